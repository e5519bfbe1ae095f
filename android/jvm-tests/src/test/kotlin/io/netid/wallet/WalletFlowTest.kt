package io.netid.wallet

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

/** The happy path an app team builds first: enrol, authenticate, show a QR, verify it. */
class WalletFlowTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun enrolThroughAKotlinAuthenticatorShowAQrAndVerifyItWithTheKotlinVerifier() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val listed = f.wallet.documents()
            assertEquals(1, listed.size)
            assertEquals(DocType.RESIDENT_ID, listed[0].docType)
            assertEquals("My ID card", listed[0].label)

            f.wallet.showQr(f.documentId, QrRequest(Purpose.HOTEL_CHECK_IN)).use { qr ->
                assertTrue(qr.qrText().startsWith("NID1:"))
                assertTrue(qr.qrModules().version.toInt() in 1..20)
                val verified = f.verifier.verify(qr.qrText(), Purpose.HOTEL_CHECK_IN)
                assertEquals(DocType.RESIDENT_ID, verified.docType)
                assertEquals("gov.example.test", verified.issuer)
                val claims = verified.claims.associate { it.name to it.value }
                assertEquals(ClaimValue.Text("李秀英"), claims["name"])
                assertEquals(ClaimValue.Text("11010519491231002X"), claims["id_number"])
                assertEquals(ClaimValue.Sex("female"), claims["sex"])
                assertEquals(ClaimValue.Date(1949, 12u, 31u), claims["birth_date"])
                assertFalse("address" in claims, "a hotel code must not disclose the address")
                assertEquals(qr.expiresAt(), verified.expiresAt)
            }
            assertEquals(listOf(PromptReason.ENROLMENT, PromptReason.SHOW_QR), f.authenticator.prompts)
        }
    }

    @Test
    fun detailsRefreshAndTheActivityLogEachPassTheirGate() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val details = f.wallet.documentDetails(f.documentId)
            val claims = details.claims.associate { it.name to it.value }
            assertEquals(ClaimValue.Text("北京市朝阳区建国路88号"), claims["address"])
            assertEquals("gov.example.test", details.issuer)

            f.wallet.showQr(f.documentId, QrRequest(Purpose.INTERNET_CAFE)).use { first ->
                // Plenty of time left: the same code comes back, no prompt.
                val prompts = f.authenticator.prompts.size
                f.wallet.refreshQr(first, java.time.Duration.ofSeconds(10)).use { same ->
                    assertEquals(first.qrText(), same.qrText())
                }
                assertEquals(prompts, f.authenticator.prompts.size)
                // Asked to keep more than its whole lifetime: a new code, through the gate.
                f.wallet.refreshQr(first, java.time.Duration.ofSeconds(120)).use { fresh ->
                    assertNotEquals(first.qrText(), fresh.qrText())
                    val verified = f.verifier.verify(fresh.qrText(), Purpose.INTERNET_CAFE)
                    val claims2 = verified.claims.associate { it.name to it.value }
                    assertEquals(ClaimValue.Flag(true), claims2["age_over_18"])
                }
                assertEquals(prompts + 1, f.authenticator.prompts.size)
            }

            val log = f.wallet.activityLog(50u)
            val kinds = log.map { it.kind }
            assertTrue(ActivityKind.ENROLMENT in kinds, "$kinds")
            assertTrue(ActivityKind.PRESENTATION in kinds, "$kinds")
            assertTrue(ActivityKind.DETAILS_VIEWED in kinds, "$kinds")
            assertTrue(log.none { it.detail.contains("李") }, "the log holds no claim values")
        }
    }

    @Test
    fun lockWipesTheSessionAndDeleteAndWipeRemoveEverything() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.wallet.lock()
            assertFalse(f.wallet.isUnlocked())
            val locked = runCatching { f.wallet.documents() }.exceptionOrNull()
            assertTrue(locked is WalletException.Locked, "$locked")
            assertSame(NextStep.UnlockWallet, (locked as WalletException.Locked).nextStep)

            f.wallet.unlock(null)
            f.wallet.deleteDocument(f.documentId)
            assertEquals(emptyList<DocumentSummary>(), f.wallet.documents())
            f.wallet.wipe()
            val left = Files.list(Path.of(f.walletDir)).use { files -> files.map { it.fileName.toString() }.toList() }
            assertEquals(emptyList<String>(), left, "wipe leaves no wallet file behind")
        }
    }
}
