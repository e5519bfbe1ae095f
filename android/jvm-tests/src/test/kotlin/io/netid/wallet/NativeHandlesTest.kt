package io.netid.wallet

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** Objects closed with `use {}` free their native side: a long loop leaves nothing alive. */
class NativeHandlesTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun tenThousandIterationsLeaveNoNativeObjectAlive() = runBlocking<Unit> {
        val beforeFixture = liveNativeObjects()
        WalletFixture(dir).use { f ->
            val trustJson = f.trust.toJson()
            val before = liveNativeObjects()
            repeat(10_000) { i ->
                TrustList.fromJson(trustJson).use { trust ->
                    Verifier(trust, VerifierOptions()).use { counter ->
                        assertThrows<VerifyException.Malformed> { counter.verify("NID1:$i", Purpose.TRAIN_TICKET) }
                    }
                }
                if (i % 250 == 0) {
                    f.wallet.showQr(f.documentId, QrRequest(Purpose.TRAIN_TICKET)).use { qr ->
                        f.verifier.verify(qr.qrText(), Purpose.TRAIN_TICKET)
                    }
                }
            }
            assertEquals(before, liveNativeObjects(), "objects created in the loop are all freed")
        }
        assertEquals(beforeFixture, liveNativeObjects(), "closing the fixture frees the wallet, issuer and counter")
    }
}
