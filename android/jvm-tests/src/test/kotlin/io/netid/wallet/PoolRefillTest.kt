package io.netid.wallet

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * The pool of one-time purpose credentials: refill (one prompt, one batch from the issuer, stored
 * whole or not at all), one-time codes that each spend a credential, and what an empty pool does.
 */
class PoolRefillTest {
    @TempDir
    lateinit var dir: Path

    /** What a basic-grade resident ID serves: every purpose but the government counter's. */
    private val served = setOf(Purpose.HOTEL_CHECK_IN, Purpose.INTERNET_CAFE, Purpose.TRAIN_TICKET)

    private fun WalletFixture.level(purpose: Purpose): PoolLevel =
        wallet.poolLevels(documentId).single { it.purpose == purpose }

    /** Begins a refill; the issuer answers with its batch, which [edit] may spoil before it is sent back. */
    private suspend fun WalletFixture.refill(
        edit: (List<ByteArray>) -> List<ByteArray> = { it },
    ): List<PoolLevel> {
        val nonce = issuer.newChallenge()
        val pending = checkNotNull(wallet.beginRefill(documentId, issuer.issuerId(), nonce)) { "nothing to refill" }
        return pending.use {
            val batch = issuer.issueBatch(it.request(), nonce)
            wallet.completeRefill(it, edit(batch), trust)
        }
    }

    private suspend fun WalletFixture.showHotel(): Triple<String, Boolean, Boolean> =
        wallet.showQr(documentId, QrRequest(Purpose.HOTEL_CHECK_IN)).use {
            Triple(it.qrText(), it.linkable(), it.refillDue())
        }

    @Test
    fun aRefillFillsEveryServedPurposeAndEachOneTimeCodeVerifies() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val empty = f.wallet.poolLevels(f.documentId)
            assertEquals(served, empty.map { it.purpose }.toSet(), "$empty")
            assertTrue(empty.all { it.remaining == 0u && it.refillDue }, "$empty")

            val filled = f.refill()
            assertEquals(served, filled.map { it.purpose }.toSet(), "$filled")
            assertTrue(filled.all { it.remaining == 10u && !it.refillDue }, "$filled")
            assertEquals(filled, f.wallet.poolLevels(f.documentId))
            // The refill was one prompt, with the enrolment's reason.
            assertEquals(listOf(PromptReason.ENROLMENT, PromptReason.ENROLMENT), f.authenticator.prompts)
            // Nothing missing: no request, no prompt.
            assertNull(f.wallet.beginRefill(f.documentId, f.issuer.issuerId(), f.issuer.newChallenge()))
            assertEquals(2, f.authenticator.prompts.size)

            val (first, firstLinkable, firstDue) = f.showHotel()
            assertFalse(firstLinkable, "a code from the pool is not linkable")
            assertFalse(firstDue)
            val verified = f.verifier.verify(first, Purpose.HOTEL_CHECK_IN)
            assertEquals(DocType.RESIDENT_ID, verified.docType)
            assertEquals("gov.example.test", verified.issuer)
            val claims = verified.claims.associate { it.name to it.value }
            assertEquals(ClaimValue.Text("李秀英"), claims["name"])
            assertEquals(ClaimValue.Text("11010519491231002X"), claims["id_number"])
            assertFalse("address" in claims, "a hotel code must not disclose the address")
            assertEquals(9u, f.level(Purpose.HOTEL_CHECK_IN).remaining)

            val (second, secondLinkable, _) = f.showHotel()
            assertFalse(secondLinkable)
            assertNotEquals(first, second)
            f.verifier.verify(second, Purpose.HOTEL_CHECK_IN)
            assertEquals(8u, f.level(Purpose.HOTEL_CHECK_IN).remaining)
            // Spending hotel codes leaves the other purposes alone.
            assertEquals(10u, f.level(Purpose.TRAIN_TICKET).remaining)
            assertEquals(
                listOf(PromptReason.ENROLMENT, PromptReason.ENROLMENT, PromptReason.SHOW_QR, PromptReason.SHOW_QR),
                f.authenticator.prompts,
            )

            val log = f.wallet.activityLog(50u)
            assertTrue(log.any { it.kind == ActivityKind.REFILL }, "${log.map { it.kind }}")
            assertTrue(log.none { it.detail.contains("李") }, "the log holds no claim values")
        }
    }

    @Test
    fun anEmptyPoolFallsBackToALinkableCodeFromTheFullCredential() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            f.refill()
            for (used in 1..10) {
                val (text, linkable, due) = f.showHotel()
                assertFalse(linkable, "code $used came from the pool")
                // Due once fewer than 3 (the default refill_below) are left.
                assertEquals(10 - used < 3, due, "code $used")
                f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
            }
            assertEquals(PoolLevel(Purpose.HOTEL_CHECK_IN, 0u, true), f.level(Purpose.HOTEL_CHECK_IN))

            val (text, linkable, due) = f.showHotel()
            assertTrue(linkable, "no one-time code left: the full credential, marked linkable")
            assertTrue(due)
            f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)

            // A new refill asks only for what is missing.
            val levels = f.refill()
            assertTrue(levels.all { it.remaining == 10u }, "$levels")
            assertFalse(f.showHotel().second)
        }
    }

    @Test
    fun refusingLinkableCodesMakesAnEmptyPoolThrowPoolEmptyWithRefill() = runBlocking<Unit> {
        WalletFixture(dir, WalletOptions(refuseLinkableCodes = true)).use { f ->
            val error = assertThrows<WalletException.PoolEmpty> { runBlocking { f.showText() } }
            assertSame(NextStep.Refill, error.nextStep)
            assertTrue(error.reason.isNotEmpty())
            // Refused before any prompt: only the enrolment's.
            assertEquals(listOf(PromptReason.ENROLMENT), f.authenticator.prompts)

            f.refill()
            val (text, linkable, _) = f.showHotel()
            assertFalse(linkable)
            f.verifier.verify(text, Purpose.HOTEL_CHECK_IN)
        }
    }

    @Test
    fun aTamperedOrIncompleteBatchIsRefusedWholeAndTheLevelsStay() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val before = f.wallet.poolLevels(f.documentId)

            val tampered = assertThrows<WalletException.CredentialRefused> {
                runBlocking {
                    f.refill { batch ->
                        batch.mapIndexed { i, c ->
                            if (i == batch.size / 2) c.copyOf().also { it[it.size - 1] = (it[it.size - 1] + 1).toByte() } else c
                        }
                    }
                }
            }
            assertSame(NextStep.ContactIssuer, tampered.nextStep)
            assertEquals(before, f.wallet.poolLevels(f.documentId), "nothing of a refused batch is stored")

            assertThrows<WalletException.CredentialRefused> { runBlocking { f.refill { it.dropLast(1) } } }
            assertEquals(before, f.wallet.poolLevels(f.documentId))

            // The wallet still refills, and still shows linkable codes meanwhile.
            assertTrue(f.showHotel().second)
            assertTrue(f.refill().all { it.remaining == 10u })
        }
    }

    @Test
    fun aPendingRefillIsCompletedOnceButSurvivesABusyOrLockedWallet() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            val nonce = f.issuer.newChallenge()
            f.wallet.beginRefill(f.documentId, f.issuer.issuerId(), nonce)!!.use { pending ->
                val batch = f.issuer.issueBatch(pending.request(), nonce)

                // A locked wallet refuses, and the refill is not used up.
                f.wallet.lock()
                assertThrows<WalletException.Locked> { runBlocking { f.wallet.completeRefill(pending, batch, f.trust) } }
                f.wallet.unlock(null)

                val levels = f.wallet.completeRefill(pending, batch, f.trust)
                assertTrue(levels.all { it.remaining == 10u }, "$levels")

                val again = assertThrows<WalletException.InvalidInput> {
                    runBlocking { f.wallet.completeRefill(pending, batch, f.trust) }
                }
                assertTrue(again.reason.contains("already completed"), again.reason)
                assertEquals(levels, f.wallet.poolLevels(f.documentId))
            }
        }
    }

    @Test
    fun poolOptionsOutOfRangeAreRefused() {
        HolderKeys.software(ScriptedAuthenticator()).use { keys ->
            val bad = listOf(
                WalletOptions(oneTimeCodesPerPurpose = 0u),
                WalletOptions(oneTimeCodesPerPurpose = 17u),
                // A full pool would stay "due" forever, and beginRefill would have nothing to ask for.
                WalletOptions(oneTimeCodesPerPurpose = 2u, refillBelow = 3u),
            )
            bad.forEachIndexed { i, options ->
                assertThrows<WalletException.InvalidInput>("$options") {
                    Wallet.create(dir.resolve("w$i").toString(), MemoryKeyWrapper(), keys, options).close()
                }
            }
            Wallet.create(dir.resolve("ok").toString(), MemoryKeyWrapper(), keys, WalletOptions(oneTimeCodesPerPurpose = 3u, refillBelow = 3u))
                .close()
        }
    }
}
