package io.netid.wallet

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * Keys that stop working: a biometric re-enrolment on the device invalidates the holder keys (and,
 * for software holder keys, the authenticator's unlock key). Each surfaces as its own exception
 * with its next step; recovering costs only the affected documents.
 */
class KeyInvalidationTest {
    @TempDir
    lateinit var dir: Path

    /** A wallet whose holder keys live in [area] (the hardware secure area path). */
    private class HardwareWallet(dir: Path, val area: ScriptedSecureArea, options: WalletOptions = WalletOptions()) : AutoCloseable {
        val issuer = DevIssuer("gov.example.test")
        val holderKeys = HolderKeys.secureArea(area)
        val wallet = Wallet.create(dir.resolve("wallet").toString(), MemoryKeyWrapper(), holderKeys, options)
        val trust = issuer.trustList()
        val verifier = Verifier(trust, VerifierOptions())

        init {
            runBlocking { wallet.unlock(null) }
        }

        suspend fun enrol(): String = enrolResidentId(wallet, issuer)

        suspend fun show(id: String): String = wallet.showQr(id, QrRequest(Purpose.HOTEL_CHECK_IN)).use { it.qrText() }

        override fun close() {
            verifier.close()
            trust.close()
            wallet.close()
            holderKeys.close()
            issuer.close()
        }
    }

    @Test
    fun aHolderKeyInvalidatedByBiometricReEnrolmentIsTypedAndReEnrolmentRecovers() = runBlocking<Unit> {
        HardwareWallet(dir, ScriptedSecureArea()).use { w ->
            val old = w.enrol()
            val other = w.enrol()
            w.area.biometricsReEnrolled()

            val error = assertThrows<WalletException.HolderKeyInvalidated> { runBlocking { w.show(old) } }
            assertEquals(NextStep.ReEnrolDocument, error.nextStep)
            assertFalse(error.reason.contains(old), "the reason names no document: ${error.reason}")
            // Not a wrong biometric: more tries than the lockout allows are not counted.
            repeat(6) {
                assertThrows<WalletException.HolderKeyInvalidated> { runBlocking { w.wallet.documentDetails(old) } }
            }
            // Nothing else is lost: the wallet still lists both documents.
            assertEquals(setOf(old, other), w.wallet.documents().map { it.id }.toSet())

            // Recovery: enrol again (a new key, made after the change), then delete the dead entry,
            // authorised by the new key's prompt; the issuer revokes the old credential.
            val renewed = w.enrol()
            val verified = w.verifier.verify(w.show(renewed), Purpose.HOTEL_CHECK_IN)
            assertTrue(verified.claims.any { it.name == "name" })
            w.wallet.deleteDocument(old)
            assertEquals(setOf(other, renewed), w.wallet.documents().map { it.id }.toSet())
            // The log, gated by the oldest remaining key (also dead), still exports with a live one.
            assertTrue(w.wallet.activityLog(50u).isNotEmpty())
            // The wallet itself still locks and unlocks.
            w.wallet.lock()
            w.wallet.unlock(null)
            w.verifier.verify(w.show(renewed), Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun aDocumentEnrolledAfterTheChangeKeepsWorkingBesideTheDeadOne() = runBlocking<Unit> {
        HardwareWallet(dir, ScriptedSecureArea()).use { w ->
            val old = w.enrol()
            w.area.biometricsReEnrolled()
            val fresh = w.enrol()
            assertThrows<WalletException.HolderKeyInvalidated> { runBlocking { w.show(old) } }
            w.verifier.verify(w.show(fresh), Purpose.HOTEL_CHECK_IN)
            // With no working key but its own, a dead document cannot be deleted without a prompt.
            w.wallet.deleteDocument(fresh)
            val stuck = assertThrows<WalletException.HolderKeyInvalidated> { runBlocking { w.wallet.deleteDocument(old) } }
            assertEquals(NextStep.ReEnrolDocument, stuck.nextStep)
            assertEquals(listOf(old), w.wallet.documents().map { it.id })
        }
    }

    @Test
    fun anInvalidatedUnlockKeyIsAuthenticatorInvalidatedThenEachDocumentIsReEnrolled() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.authenticator.biometricsReEnrolled()
            val error = assertThrows<WalletException.AuthenticatorInvalidated> { runBlocking { f.showText() } }
            assertEquals(NextStep.SetUpAuthenticatorAgain, error.nextStep)
            // Enrolling needs the unlock key as well: the same answer until it is set up again.
            assertThrows<WalletException.AuthenticatorInvalidated> { runBlocking { enrolResidentId(f.wallet, f.issuer) } }

            f.authenticator.setUpAgain()
            val dead = assertThrows<WalletException.HolderKeyInvalidated> { runBlocking { f.showText() } }
            assertEquals(NextStep.ReEnrolDocument, dead.nextStep)
            assertEquals(listOf(f.documentId), f.wallet.documents().map { it.id })

            val renewed = enrolResidentId(f.wallet, f.issuer)
            val text = f.wallet.showQr(renewed, QrRequest(Purpose.HOTEL_CHECK_IN)).use { it.qrText() }
            f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
            f.wallet.deleteDocument(f.documentId)
            assertEquals(listOf(renewed), f.wallet.documents().map { it.id })
        }
    }

    @Test
    fun theDevicePasscodeIsOfferedOnlyForTheActionsTheOptionsList() = runBlocking<Unit> {
        val options = WalletOptions(
            detailsFreshWithin = java.time.Duration.ZERO,
            deviceCredentialFor = listOf(PromptReason.VIEW_DETAILS),
        )
        HardwareWallet(dir, ScriptedSecureArea(), options).use { w ->
            val id = w.enrol()
            w.show(id)
            w.wallet.documentDetails(id)
            assertEquals(listOf(true), w.area.createdWithPasscode.toList())
            assertEquals(
                listOf(
                    PromptReason.ENROLMENT to true,
                    PromptReason.SHOW_QR to false,
                    PromptReason.VIEW_DETAILS to true,
                ),
                w.area.prompts.toList(),
            )
        }
    }

    @Test
    fun byDefaultNoPromptOffersThePasscode() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.showText()
            assertEquals(listOf(false, false), f.authenticator.passcodeAllowed.toList())
        }
    }

    @Test
    fun passcodeOptionsThatMakeNoSenseAreRefused() {
        val keys = HolderKeys.software(ScriptedAuthenticator())
        keys.use {
            for (bad in listOf(
                WalletOptions(deviceCredentialFor = listOf(PromptReason.ENROLMENT)),
                WalletOptions(deviceCredentialFor = listOf(PromptReason.VIEW_DETAILS), deviceCredentialForGov = true),
            )) {
                assertThrows<WalletException.InvalidInput> {
                    Wallet.create(dir.resolve("w").toString(), MemoryKeyWrapper(), keys, bad)
                }
            }
        }
    }
}
