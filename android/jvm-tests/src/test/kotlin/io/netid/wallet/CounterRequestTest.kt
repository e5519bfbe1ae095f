package io.netid.wallet

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.Duration

/**
 * Registered counters (issue 13, docs/FORMAT.md §13) through the Kotlin bindings: a counter's
 * signed request, the wallet's check and consent data before any prompt, the answer bound to the
 * counter, the counter's acceptance, the receipt in the activity log; and each refusal as its own
 * typed error, with no prompt and nothing logged.
 */
class CounterRequestTest {
    @TempDir
    lateinit var dir: Path

    /** A registrar the wallet trusts, and a hotel counter it certified. */
    private class Counters(f: WalletFixture) : AutoCloseable {
        val registrar = DevRegistrar("cn-dev-registrar")
        val trust = registrar.trustedBy(f.trust)
        val hotel: CounterSigner = registrar.registerCounter(
            "hotel-jj-0001", "锦江之星", "Jinjiang Inn", listOf(Purpose.HOTEL_CHECK_IN), 30u,
        ).let { CounterSigner(it.certificate, it.privateKey) }

        private val made = mutableListOf<AutoCloseable>()

        /** A request signed by [signer] (closed with these counters). */
        fun ask(signer: CounterSigner, purpose: Purpose = Purpose.HOTEL_CHECK_IN): IssuedRequest =
            signer.request(purpose, null, Duration.ofMinutes(2)).also { made += it }

        /** [request], closed with these counters. */
        fun keep(request: IssuedRequest): IssuedRequest = request.also { made += it }

        override fun close() {
            made.asReversed().forEach { it.close() }
            hotel.close()
            trust.close()
            registrar.close()
        }
    }

    private suspend fun presentationsLogged(f: WalletFixture): List<String> =
        f.wallet.activityLog(100u).filter { it.kind == ActivityKind.PRESENTATION }.map { it.detail }

    /** Refused by the wallet with [refusal], before any prompt, with nothing logged. */
    private suspend fun assertRefused(
        f: WalletFixture,
        trust: TrustList,
        text: String,
        refusal: RequestRefusal,
        nextStep: NextStep,
    ) {
        val prompts = f.authenticator.prompts.size
        val error = assertThrows<WalletException.RequestRefused> { f.wallet.parseRequest(text, trust) }
        assertEquals(refusal, error.refusal, error.reason)
        assertEquals(nextStep, error.nextStep)
        assertEquals(prompts, f.authenticator.prompts.size, "no prompt was raised")
        assertTrue(presentationsLogged(f).isEmpty(), "nothing was logged")
    }

    @Test
    fun aRegisteredCounterRequestIsConsentedAnsweredAcceptedOnceAndLogged() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            Counters(f).use { c ->
                val issued = c.ask(c.hotel)
                assertTrue(issued.text().startsWith("NRQ1:"), issued.text())
                val prompts = f.authenticator.prompts.size
                f.wallet.parseRequest(issued.text(), c.trust).use { request ->
                    // What the consent screen shows, before any prompt.
                    val consent = request.consent()
                    assertEquals(prompts, f.authenticator.prompts.size, "checking a request prompts nothing")
                    assertEquals("hotel-jj-0001", consent.counterId)
                    assertEquals("锦江之星", consent.nameZh)
                    assertEquals("Jinjiang Inn", consent.nameEn)
                    assertEquals("cn-dev-registrar", consent.registrar)
                    assertEquals(Purpose.HOTEL_CHECK_IN, consent.purpose)
                    assertEquals(listOf("name", "sex", "birth_date", "id_number"), consent.requestedClaims)
                    assertFalse(consent.asksFullCard)
                    assertEquals(30.toUShort(), consent.keepsDays)
                    val left = java.time.Duration.between(java.time.Instant.now(), consent.expiresAt).seconds
                    assertTrue(left in 100..121, "${consent.expiresAt}")

                    val text = f.wallet.showQrForRequest(f.documentId, request).use { it.qrText() }
                    assertEquals(prompts + 1, f.authenticator.prompts.size, "one prompt, after consent")
                    val verified = f.verifier.verifyResponse(text, issued)
                    assertEquals(
                        setOf("name", "sex", "birth_date", "id_number"),
                        verified.claims.map { it.name }.toSet(),
                    )
                    // Accepted once.
                    assertThrows<VerifyException.Replayed> { f.verifier.verifyResponse(text, issued) }
                    // The same request is answered once by the wallet, too.
                    val again = assertThrows<WalletException.RequestRefused> {
                        f.wallet.showQrForRequest(f.documentId, request)
                    }
                    assertEquals(RequestRefusal.REPLAYED, again.refusal)
                }
                // The receipt names the counter as registered, and the claims shown.
                val receipts = presentationsLogged(f)
                assertEquals(1, receipts.size, "$receipts")
                val receipt = receipts.single()
                for (part in listOf("锦江之星", "Jinjiang Inn", "hotel-jj-0001", "cn-dev-registrar", "id_number")) {
                    assertTrue(receipt.contains(part), "`$part` in $receipt")
                }
                assertFalse(receipt.contains("李"), "the log holds no claim values")
            }
        }
    }

    @Test
    fun anAnswerIsAcceptedOnlyByTheCounterAndRequestItAnswers() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            Counters(f).use { c ->
                val other = c.registrar.registerCounter(
                    "hotel-hj-0002", "汉庭", "Hanting", listOf(Purpose.HOTEL_CHECK_IN), 0u,
                ).let { CounterSigner(it.certificate, it.privateKey) }
                other.use {
                    val issued = c.ask(c.hotel)
                    val text = f.wallet.parseRequest(issued.text(), c.trust).use { request ->
                        f.wallet.showQrForRequest(f.documentId, request).use { it.qrText() }
                    }
                    assertThrows<VerifyException.WrongAudience> {
                        f.verifier.verifyResponse(text, c.ask(other))
                    }
                    assertThrows<VerifyException.NonceMismatch> {
                        f.verifier.verifyResponse(text, c.ask(c.hotel))
                    }
                    f.verifier.verifyResponse(text, issued)
                }
            }
        }
    }

    @Test
    fun aTamperedUnregisteredOverreachingOrReplayedRequestIsRefusedBeforeAnyPrompt() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            Counters(f).use { c ->
                // Tampered: a changed character anywhere after the prefix.
                val text = c.ask(c.hotel).text()
                val alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
                for (position in listOf(6, text.length / 3, text.length / 2, text.length - 2)) {
                    val original = text[position]
                    val replacement = alphabet[(alphabet.indexOf(original) + 1) % alphabet.length]
                    val tampered = text.substring(0, position) + replacement + text.substring(position + 1)
                    val prompts = f.authenticator.prompts.size
                    val error = assertThrows<WalletException.RequestRefused> {
                        f.wallet.parseRequest(tampered, c.trust)
                    }
                    assertTrue(
                        error.refusal in setOf(
                            RequestRefusal.MALFORMED,
                            RequestRefusal.BAD_CERTIFICATE_SIGNATURE,
                            RequestRefusal.BAD_REQUEST_SIGNATURE,
                            RequestRefusal.UNKNOWN_REGISTRAR,
                            RequestRefusal.EXPIRED,
                        ),
                        "$error",
                    )
                    assertEquals(prompts, f.authenticator.prompts.size)
                }
                assertRefused(f, c.trust, "NID1:not a request", RequestRefusal.MALFORMED, NextStep.ScanCounterRequest)

                // Certified by a registrar this wallet does not trust.
                DevRegistrar("someone.else").use { rogue ->
                    val keys = rogue.registerCounter(
                        "hotel-jj-0001", "锦江之星", "Jinjiang Inn", listOf(Purpose.HOTEL_CHECK_IN), 30u,
                    )
                    CounterSigner(keys.certificate, keys.privateKey).use { signer ->
                        val forged = c.ask(signer).text()
                        assertRefused(f, c.trust, forged, RequestRefusal.UNKNOWN_REGISTRAR, NextStep.DoNotShow)
                    }
                }

                // A hotel counter asking for the whole card: its own signer refuses, and a
                // request signed anyway is refused by the wallet.
                assertThrows<VerifyException.InvalidConfiguration> {
                    c.hotel.request(Purpose.GOVERNMENT_SERVICE, null, Duration.ofMinutes(2))
                }
                // A request lives 1 s to 5 minutes, in whole seconds.
                for (lifetime in listOf(Duration.ZERO, Duration.ofSeconds(301), Duration.ofMillis(1_500))) {
                    val refused = assertThrows<VerifyException.InvalidConfiguration> {
                        c.hotel.request(Purpose.HOTEL_CHECK_IN, null, lifetime)
                    }
                    assertTrue(
                        refused.reason.startsWith("lifetime must be a whole number of seconds from 1 s to 300 s (5 minutes)"),
                        refused.reason,
                    )
                }
                val overreach = c.keep(devSignRequestUnchecked(c.hotel, Purpose.GOVERNMENT_SERVICE)).text()
                assertRefused(f, c.trust, overreach, RequestRefusal.PURPOSE_NOT_CERTIFIED, NextStep.DoNotShow)

                // Replayed: a request the wallet already answered.
                val issued = c.ask(c.hotel)
                f.wallet.parseRequest(issued.text(), c.trust).use { request ->
                    f.wallet.showQrForRequest(f.documentId, request).close()
                }
                val prompts = f.authenticator.prompts.size
                val replayed = assertThrows<WalletException.RequestRefused> {
                    f.wallet.parseRequest(issued.text(), c.trust)
                }
                assertEquals(RequestRefusal.REPLAYED, replayed.refusal)
                assertEquals(NextStep.ScanCounterRequest, replayed.nextStep)
                assertEquals(prompts, f.authenticator.prompts.size)
            }
        }
    }

    @Test
    fun aGovCodeNeedsASignedRequest() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            Counters(f).use { c ->
                // Without a request the wallet refuses before any prompt, and says what to do.
                val prompts = f.authenticator.prompts.size
                val refused = assertThrows<WalletException.RequestRequired> {
                    f.showText(Purpose.GOVERNMENT_SERVICE)
                }
                assertEquals(NextStep.ScanCounterRequest, refused.nextStep)
                assertEquals(prompts, f.authenticator.prompts.size)
                assertTrue(presentationsLogged(f).isEmpty())

                // With a registered government counter's request the resident sees "the whole
                // card" and can answer; this basic-grade ID still does not meet gov's policy.
                val gov = c.registrar.registerCounter(
                    "gov-bj-01", "政务大厅", "Gov Hall", listOf(Purpose.GOVERNMENT_SERVICE), 3650u,
                ).let { CounterSigner(it.certificate, it.privateKey) }
                gov.use {
                    val issued = c.ask(gov, Purpose.GOVERNMENT_SERVICE)
                    val text = f.wallet.parseRequest(issued.text(), c.trust).use { request ->
                        assertTrue(request.consent().asksFullCard)
                        f.wallet.showQrForRequest(f.documentId, request).use { it.qrText() }
                    }
                    val policy = assertThrows<VerifyException.PolicyUnmet> { f.verifier.verifyResponse(text, issued) }
                    assertTrue(policy.reason.contains("enhanced"), policy.reason)
                }
                // A counter's gov check of a code that answers no request is refused too.
                assertThrows<VerifyException.RequestRequired> {
                    f.verifier.verify(f.showText(), Purpose.GOVERNMENT_SERVICE)
                }
            }
        }
    }
}
