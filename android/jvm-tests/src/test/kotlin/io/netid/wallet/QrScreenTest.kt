package io.netid.wallet

import io.netid.wallet.kit.QrScreen
import java.nio.file.Path
import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.time.ZoneOffset
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** A clock the test moves by hand. */
class MovableClock(var now: Instant = Instant.now()) : Clock() {
    override fun instant(): Instant = now
    override fun getZone() = ZoneOffset.UTC
    override fun withZone(zone: java.time.ZoneId?): Clock = this
}

/** The presentation kit's QR screen (android/src/main/kotlin/io/netid/wallet/kit/QrScreen.kt). */
class QrScreenTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun framesCountDownAndARefreshSignsANewCodeThroughTheGate() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val screen = QrScreen(f.wallet, f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN), tick = Duration.ofMillis(50))
            val before = f.authenticator.prompts.size
            val texts = mutableListOf<String>()
            val lefts = mutableListOf<Duration>()
            screen.frames.take(4).collect { frame ->
                texts += frame.presentation.qrText()
                lefts += frame.timeLeft
                assertFalse(frame.toString().contains("NID1:"), "a frame prints no code")
                if (texts.size == 2) screen.refresh()
            }
            assertTrue(lefts[0].seconds in 50..60, "${lefts[0]}")
            assertEquals(texts[0], texts[1], "no refresh asked, plenty of time: the same code")
            assertNotEquals(texts[1], texts[2], "a refresh was asked: a new code")
            assertEquals(before + 2, f.authenticator.prompts.size, "the first code and the refresh each passed the gate")
            f.verifier.verify(texts[2], Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun aCodeRunningLowIsReplacedByItself() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val clock = MovableClock()
            val screen = QrScreen(
                f.wallet, f.documentId, QrRequest(Purpose.TRAIN_TICKET),
                refreshBefore = Duration.ofSeconds(15), tick = Duration.ofMillis(50), clock = clock,
            )
            val texts = mutableListOf<String>()
            screen.frames.take(3).collect { frame ->
                texts += frame.presentation.qrText()
                // The code's minute is nearly over at the second frame.
                if (texts.size == 1) clock.now = clock.now.plusSeconds(50)
            }
            assertNotEquals(texts[0], texts[2], "less than 15 s left: a new code")
        }
    }

    @Test
    fun stoppingTheFlowClosesEveryCode() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val baseline = liveNativeObjects()
            val screen = QrScreen(f.wallet, f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN), tick = Duration.ofMillis(20))
            screen.frames.take(3).collect { if (it.timeLeft > Duration.ZERO) screen.refresh() }
            assertEquals(baseline, liveNativeObjects(), "every code the flow made is closed")
        }
    }

    @Test
    fun cancellingWhileThePromptHangsReachesRustAndLeavesTheWalletUsable() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.authenticator.behaviour = HostBehaviour.HANG
            val screen = QrScreen(f.wallet, f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN))
            val collector = launch(Dispatchers.Default) { screen.frames.collect { } }
            withTimeout(10_000) { while (f.authenticator.prompts.size < 2) yield() }
            withTimeout(5_000) {
                collector.cancel()
                collector.join()
            }
            assertTrue(collector.isCancelled)
            f.authenticator.behaviour = HostBehaviour.ALLOW
            // Not left Busy: the next screen shows a code.
            var text = ""
            QrScreen(f.wallet, f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN)).frames.take(1).collect {
                // Read while it is the current frame: the flow closes it when collection stops.
                text = it.presentation.qrText()
            }
            f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
        }
    }
}
