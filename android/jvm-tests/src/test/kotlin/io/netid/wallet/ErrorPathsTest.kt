package io.netid.wallet

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** Every way a wallet or a counter says no, each as its own exception type. */
class ErrorPathsTest {
    @TempDir
    lateinit var dir: Path

    private suspend fun waitForPrompt(f: WalletFixture, count: Int) {
        withTimeout(10_000) {
            while (f.authenticator.prompts.size < count) delay(5)
        }
    }

    @Test
    fun aHostThatThrowsGetsHostMisbehavedAndNoCode() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.authenticator.behaviour = HostBehaviour.THROW
            val error = assertThrows<WalletException.HostMisbehaved> { runBlocking { f.showText() } }
            assertEquals(NextStep.ReportProblem, error.nextStep)
            assertTrue(!error.reason.contains("a bug in the host app"), "host exception text is not passed on")
            f.authenticator.behaviour = HostBehaviour.ALLOW
            f.verifier.verify(f.showText(), Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun aCancelledPromptIsCancelledWithTryAgain() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.authenticator.behaviour = HostBehaviour.CANCEL
            val error = assertThrows<WalletException.Cancelled> { runBlocking { f.showText() } }
            assertEquals(NextStep.TryAgain, error.nextStep)
        }
    }

    @Test
    fun cancelAuthenticationEndsAHangingPromptAndTheWalletStaysUsable() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.authenticator.behaviour = HostBehaviour.HANG
            val pending = async(Dispatchers.Default) { runCatching { f.showText() } }
            waitForPrompt(f, 2)
            assertThrows<WalletException.Busy> { f.wallet.documents() }
            f.wallet.cancelAuthentication()
            val outcome = withTimeout(10_000) { pending.await() }
            assertTrue(outcome.exceptionOrNull() is WalletException.Cancelled, "$outcome")
            f.authenticator.behaviour = HostBehaviour.ALLOW
            assertEquals(1, f.wallet.documents().size)
            f.verifier.verify(f.showText(), Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun cancellingTheCallingCoroutineDropsTheRustCallToo() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.authenticator.behaviour = HostBehaviour.HANG
            val job = async(Dispatchers.Default) { f.showText() }
            waitForPrompt(f, 2)
            job.cancel()
            withTimeout(10_000) { runCatching { job.await() } }
            // The checked-out session came back: the wallet is not stuck in "busy".
            withTimeout(10_000) {
                while (runCatching { f.wallet.documents() }.isFailure) delay(5)
            }
            f.authenticator.behaviour = HostBehaviour.ALLOW
            f.verifier.verify(f.showText(), Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun aWrongPinCountsDownThenLocksOutEvenAcrossReopening() = runBlocking<Unit> {
        val keyWrapper = MemoryKeyWrapper()
        val authenticator = ScriptedAuthenticator()
        val walletDir = dir.resolve("pin-wallet").toString()
        HolderKeys.software(authenticator).use { keys ->
            Wallet.create(walletDir, keyWrapper, keys, WalletOptions()).use { wallet ->
                wallet.unlock(null)
                assertThrows<WalletException.InvalidInput> { wallet.setPin("12") }
                wallet.setPin("482915")
            }
            val withPin = WalletOptions(maxFailedAttempts = 3u)
            Wallet.open(walletDir, keyWrapper, keys, withPin).use { wallet ->
                assertThrows<WalletException.PinRequired> { wallet.unlock(null) }
                val first = assertThrows<WalletException.WrongPin> { wallet.unlock("000000") }
                assertEquals(2u, first.attemptsLeft)
            }
            Wallet.open(walletDir, keyWrapper, keys, withPin).use { wallet ->
                assertEquals(1u, assertThrows<WalletException.WrongPin> { wallet.unlock("000001") }.attemptsLeft)
                val lockout = assertThrows<WalletException.LockedOut> { wallet.unlock("000002") }
                assertTrue(lockout.remainingSeconds in 1u..300u, "${lockout.remainingSeconds}")
                assertEquals(NextStep.WaitThenTryAgain(lockout.remainingSeconds), lockout.nextStep)
                assertThrows<WalletException.LockedOut> { wallet.unlock("482915") }
            }
        }
    }

    @Test
    fun aTamperedCodeIsRefused() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val text = f.showText()
            val alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
            for (position in listOf(10, text.length / 2, text.length - 3)) {
                val original = text[position]
                val replacement = alphabet[(alphabet.indexOf(original) + 1) % alphabet.length]
                val tampered = text.substring(0, position) + replacement + text.substring(position + 1)
                assertNotEquals(text, tampered)
                assertThrows<VerifyException> { f.verifier.verify(tampered, Purpose.HOTEL_CHECK_IN) }
            }
            assertThrows<VerifyException.Malformed> { f.verifier.verify("NID1:not base45 ~", Purpose.HOTEL_CHECK_IN) }
            // The genuine code still verifies: tampered copies did not burn it.
            f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun anExpiredCodeAReplayAWrongAudienceAndAnUnmetPolicyEachHaveTheirOwnError() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val later = java.time.Instant.now().plusSeconds(600)
            assertThrows<VerifyException.Expired> {
                f.verifier.verifyAt(f.showText(), Purpose.HOTEL_CHECK_IN, later)
            }
            assertThrows<VerifyException.WrongAudience> {
                f.verifier.verify(f.showText(Purpose.INTERNET_CAFE), Purpose.HOTEL_CHECK_IN)
            }
            // A gov code is shown only in answer to a counter's signed request; the policy check
            // of a basic-grade ID at a government counter is in CounterRequestTest.
            assertThrows<WalletException.RequestRequired> { f.showText(Purpose.GOVERNMENT_SERVICE) }
            val text = f.showText()
            f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
            assertThrows<VerifyException.Replayed> { f.verifier.verify(text, Purpose.HOTEL_CHECK_IN) }
        }
    }

    @Test
    fun aCounterThatDoesNotTrustTheIssuerRefuses() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            DevIssuer("someone.else").use { other ->
                other.trustList().use { otherTrust ->
                    Verifier(otherTrust, VerifierOptions()).use { counter ->
                        assertThrows<VerifyException.UnknownIssuer> {
                            counter.verify(f.showText(), Purpose.HOTEL_CHECK_IN)
                        }
                    }
                }
            }
            assertThrows<VerifyException.InvalidConfiguration> { TrustList.fromJson("{not json") }
        }
    }
}
