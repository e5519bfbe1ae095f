package io.netid.wallet

import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executors
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** What an app team relies on beyond the flows: no blocked main thread, no claims in logs. */
class AppKitTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun unlockWithAPinLeavesItsCallingThreadFreeForOtherWork() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.wallet.setPin("482915")
            f.wallet.lock()
            // One thread, like Android's main thread: while Argon2id (64 MiB) runs, the same
            // thread keeps ticking.
            Executors.newSingleThreadExecutor().asCoroutineDispatcher().use { main ->
                withContext(main) {
                    var ticks = 0
                    val ticker = launch {
                        while (true) {
                            ticks++
                            delay(5)
                        }
                    }
                    f.wallet.unlock("482915")
                    ticker.cancel()
                    assertTrue(ticks >= 3, "the calling thread ran $ticks ticks during unlock")
                }
            }
            assertTrue(f.wallet.isUnlocked())
            assertTrue(f.wallet.documents().isNotEmpty())
        }
    }

    @Test
    fun recordsWithClaimsPrintRedacted() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val details = f.wallet.documentDetails(f.documentId)
            val verified = f.verifier.verify(f.showText(), Purpose.HOTEL_CHECK_IN)
            val printed = listOf(
                details.toString(),
                verified.toString(),
                details.claims.first().toString(),
                details.claims.first().value.toString(),
                "$details ${verified.claims}",
            )
            for (text in printed) {
                for (value in listOf("李秀英", "11010519491231002X", "北京市朝阳区建国路88号", "1949")) {
                    assertFalse(text.contains(value), "$value printed in: $text")
                }
            }
            assertTrue(printed[2].contains("<redacted>") && printed[2].contains("name="), printed[2])
            assertTrue(printed[0].contains("gov.example.test"), printed[0])
        }
    }

    @Test
    fun aKotlinLoggerHearsOutcomesAndAThrowingOneBreaksNothing() = runBlocking<Unit> {
        val heard = CopyOnWriteArrayList<String>()
        var fail = false
        setLogger(object : LogSink {
            override fun log(level: LogLevel, message: String) {
                heard += "$level $message"
                if (fail) throw IllegalStateException("the app's logger crashed")
            }
        })
        try {
            WalletFixture(dir).use { f ->
                val text = f.showText()
                f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
                assertTrue("INFO unlock: ok" in heard, "$heard")
                assertTrue("INFO show a code (HotelCheckIn): ok" in heard, "$heard")
                assertTrue(heard.none { it.contains("李秀英") || it.contains(text) }, "$heard")
                fail = true
                f.verifier.verify(f.showText(), Purpose.HOTEL_CHECK_IN)
                assertTrue(heard.count { it == "INFO verify a code: ok" } >= 2, "$heard")
            }
        } finally {
            setLogger(null)
        }
    }
}
