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
import java.time.Duration

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
            // A 2-minute first lockout, as a java.time.Duration (not raw seconds).
            val withPin = WalletOptions(maxFailedAttempts = 3u, lockout = Duration.ofMinutes(2))
            Wallet.open(walletDir, keyWrapper, keys, withPin).use { wallet ->
                assertThrows<WalletException.PinRequired> { wallet.unlock(null) }
                val first = assertThrows<WalletException.WrongPin> { wallet.unlock("000000") }
                assertEquals(2u, first.attemptsLeft)
            }
            Wallet.open(walletDir, keyWrapper, keys, withPin).use { wallet ->
                assertEquals(1u, assertThrows<WalletException.WrongPin> { wallet.unlock("000001") }.attemptsLeft)
                val lockout = assertThrows<WalletException.LockedOut> { wallet.unlock("000002") }
                val remaining: Duration = lockout.remaining
                assertTrue(
                    remaining > Duration.ofSeconds(110) && remaining <= Duration.ofMinutes(2),
                    "the configured 2-minute lockout, just begun: $remaining",
                )
                assertEquals(0, remaining.nano, "whole seconds")
                assertEquals(NextStep.WaitThenTryAgain(remaining), lockout.nextStep)
                assertThrows<WalletException.LockedOut> { wallet.unlock("482915") }
            }
        }
    }

    @Test
    fun durationsOutOfRangeOrWithFractionsAreRefusedWithTheValidRange() = runBlocking<Unit> {
        HolderKeys.software(ScriptedAuthenticator()).use { keys ->
            for ((options, says) in listOf(
                WalletOptions(session = Duration.ofHours(24).plusSeconds(1)) to
                    "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got 86401.000000000 s",
                WalletOptions(session = Duration.ZERO) to
                    "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got 0.000000000 s",
                WalletOptions(session = Duration.ofMillis(1_500)) to
                    "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got 1.500000000 s",
                WalletOptions(lockout = Duration.ZERO) to
                    "lockout must be a whole number of seconds from 1 s to 4 294 967 295 s; got 0.000000000 s",
            )) {
                val walletDir = dir.resolve("refused")
                val error = assertThrows<WalletException.InvalidInput> {
                    Wallet.create(walletDir.toString(), MemoryKeyWrapper(), keys, options)
                }
                assertEquals(says, error.reason)
                assertEquals(NextStep.ChangeRequest, error.nextStep)
                assertTrue(!walletDir.toFile().exists(), "no directory is left behind")
            }
            // The range's ends are accepted, and the longest session is what unlock grants.
            val walletDir = dir.resolve("day").toString()
            Wallet.create(walletDir, MemoryKeyWrapper(), keys, WalletOptions(session = Duration.ofHours(24))).use { wallet ->
                val before = java.time.Instant.now()
                wallet.unlock(null)
                val session = Duration.between(before, wallet.unlockedUntil()!!)
                assertTrue(session > Duration.ofHours(24).minusSeconds(2), "$session")
            }
        }
        WalletFixture(dir.resolve("codes")).use { f ->
            for (lifetime in listOf(Duration.ofSeconds(601), Duration.ofMillis(59_500))) {
                val error = assertThrows<WalletException.InvalidInput> {
                    f.wallet.showQr(f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN, lifetime = lifetime))
                }
                assertTrue(error.reason.startsWith("lifetime must be a whole number of seconds from 1 s to 600 s"), error.reason)
            }
            f.wallet.showQr(f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN)).use { qr ->
                assertEquals(Duration.ofMinutes(1), Duration.between(qr.issuedAt(), qr.expiresAt()), "the default lifetime")
            }
            val skew = assertThrows<VerifyException.InvalidConfiguration> {
                Verifier(f.trust, VerifierOptions(skew = Duration.ofMillis(30_250)))
            }
            assertEquals("skew must be a whole number of seconds from 0 s to 300 s (5 min); got 30.250000000 s", skew.reason)
            val wideSkew = assertThrows<VerifyException.InvalidConfiguration> {
                Verifier(f.trust, VerifierOptions(skew = Duration.ofDays(1)))
            }
            assertTrue(wideSkew.reason.startsWith("skew must be a whole number of seconds from 0 s to 300 s"), wideSkew.reason)
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
