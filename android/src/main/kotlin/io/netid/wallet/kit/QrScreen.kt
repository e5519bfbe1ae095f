package io.netid.wallet.kit

import io.netid.wallet.Presentation
import io.netid.wallet.QrRequest
import io.netid.wallet.Wallet
import java.time.Clock
import java.time.Duration
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.withTimeoutOrNull

/**
 * One frame of the QR screen: the code to draw and the time it has left.
 *
 * [presentation] belongs to the [QrScreen] flow: draw it ([Presentation.qrModules]) until the next
 * frame arrives, and do not close or keep it — the flow closes every code it replaces, and the
 * last one when collection stops. Printing a frame shows no code text.
 */
class QrFrame internal constructor(val presentation: Presentation, val timeLeft: Duration) {
    override fun toString(): String = "QrFrame(timeLeft=${timeLeft.seconds}s)"
}

/**
 * The QR screen as a cold [Flow]: collecting it shows a code for [request] (through the wallet's
 * gate: the biometric prompt), then emits a [QrFrame] every [tick] with the time left, signs a new
 * code (through the gate again) when less than [refreshBefore] is left or when [refresh] is
 * called, and stops cleanly when its collector is cancelled: the Rust call in flight is cancelled,
 * a prompt still showing is dismissed (`Wallet.cancelAuthentication`), every code is closed.
 *
 * Collect it in the screen's lifecycle scope (`repeatOnLifecycle(STARTED)`), so leaving the
 * screen stops it. It never blocks the main thread: every wallet call it makes suspends.
 */
class QrScreen(
    private val wallet: Wallet,
    private val documentId: String,
    private val request: QrRequest,
    private val refreshBefore: Duration = Duration.ofSeconds(15),
    private val tick: Duration = Duration.ofSeconds(1),
    private val clock: Clock = Clock.systemUTC(),
) {
    private val refreshRequests = Channel<Unit>(Channel.CONFLATED)

    /** Ask for a new code at the next tick (the resident tapped "new code"); it passes the gate. */
    fun refresh() {
        refreshRequests.trySend(Unit)
    }

    val frames: Flow<QrFrame> = flow {
        var current: Presentation? = null
        try {
            var shown = wallet.showQr(documentId, request)
            current = shown
            while (true) {
                emit(QrFrame(shown, timeLeft(shown)))
                val asked = withTimeoutOrNull(tick.toMillis()) { refreshRequests.receive() } != null
                if (asked || timeLeft(shown) <= refreshBefore) {
                    // A duration longer than any code's life: the wallet always signs a new one.
                    val next = wallet.refreshQr(shown, ALWAYS_NEW)
                    current = next
                    shown.close()
                    shown = next
                }
            }
        } catch (cancelled: CancellationException) {
            // The coroutine's cancellation already drops the Rust future; this also dismisses a
            // host prompt that ignores it.
            wallet.cancelAuthentication()
            throw cancelled
        } finally {
            current?.close()
        }
    }

    private fun timeLeft(shown: Presentation): Duration =
        Duration.between(clock.instant(), shown.expiresAt()).let { if (it.isNegative) Duration.ZERO else it }

    private companion object {
        val ALWAYS_NEW: Duration = Duration.ofDays(1)
    }
}
