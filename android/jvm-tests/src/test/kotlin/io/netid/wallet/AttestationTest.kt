package io.netid.wallet

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.security.KeyPair
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList

/**
 * P-256 keys from the JDK, kept in memory, signatures `SHA256withECDSA` (DER), as the platform
 * secure areas make them; a subclass says what a new key is reported as and with what evidence.
 */
abstract class AttestingTestSecureArea : SecureArea {
    private val keys = ConcurrentHashMap<String, KeyPair>()
    val challenges = CopyOnWriteArrayList<ByteArray>()

    /** The created key as the platform reports it: level and evidence for [publicKey] over [challenge]. */
    protected abstract fun attest(publicKey: ByteArray, challenge: ByteArray): CreatedKey

    override suspend fun createKey(
        alias: String,
        policy: KeyPolicy,
        allowDeviceCredential: Boolean,
        challenge: ByteArray,
    ): CreatedKey {
        challenges += challenge
        val pair = P256.generate()
        if (keys.putIfAbsent(alias, pair) != null) throw HostException.KeyExists()
        return attest(P256.toSec1(pair.public as ECPublicKey), challenge)
    }

    override suspend fun publicKey(alias: String): ByteArray =
        P256.toSec1((keys[alias] ?: throw HostException.KeyNotFound()).public as ECPublicKey)

    override suspend fun sign(alias: String, message: ByteArray, reason: PromptReason, allowDeviceCredential: Boolean): ByteArray {
        val pair = keys[alias] ?: throw HostException.KeyNotFound()
        return Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    override suspend fun deleteKey(alias: String) {
        keys.remove(alias) ?: throw HostException.KeyNotFound()
    }
}

/**
 * What the Android glue's Keystore secure area does, on a JVM: at creation the key's security
 * level and an attestation chain over the challenge — here made by the development attestation
 * authority [ca] to the real Android schema, as `KeyStore.getCertificateChain(alias)` returns one
 * on a device.
 */
class AttestingSecureArea(
    private val ca: DevAttestationCa,
    @Volatile var level: KeySecurityLevel = KeySecurityLevel.TRUSTED_ENVIRONMENT,
    @Volatile var requiresUserAuth: Boolean = true,
    /** Attest over this instead of the challenge the wallet passes (a replayed attestation). */
    @Volatile var attestOver: ByteArray? = null,
) : AttestingTestSecureArea() {
    override fun attest(publicKey: ByteArray, challenge: ByteArray): CreatedKey {
        if (challenge.isEmpty()) return CreatedKey(publicKey, level, KeyEvidence.NoEvidence)
        val chain = ca.chain(publicKey, attestOver ?: challenge, level, requiresUserAuth, true)
        return CreatedKey(publicKey, level, KeyEvidence.AndroidKeyAttestation(chain))
    }
}

/**
 * What the Swift glue's `SecureEnclaveSecureArea` with `AppAttestEvidence` does, on a JVM: keys
 * reported as Secure Enclave keys, and at creation iOS App Attest evidence for the new key over
 * the challenge — here made by the development App Attestation CA [ca] for [appId] (a
 * development-signed build when [development]), as `DCAppAttestService` would on an iPhone.
 */
class AppAttestingSecureArea(
    private val ca: DevAppAttestCa,
    @Volatile var appId: String,
    @Volatile var development: Boolean = false,
) : AttestingTestSecureArea() {
    override fun attest(publicKey: ByteArray, challenge: ByteArray): CreatedKey {
        val level = KeySecurityLevel.SECURE_ENCLAVE
        if (challenge.isEmpty()) return CreatedKey(publicKey, level, KeyEvidence.NoEvidence)
        return CreatedKey(publicKey, level, KeyEvidence.AppleAppAttest(ca.evidence(publicKey, challenge, appId, development)))
    }
}

/** The app id the App Attest tests configure: team id, dot, bundle id. */
const val APP_ID = "ABCDE12345.io.netid.wallet"

/** The resident ID at the enhanced ("colour") grade. */
val ENHANCED_RESIDENT_ID_CLAIMS = RESIDENT_ID_CLAIMS.replace("\"basic\"", "\"enhanced\"")

/**
 * Attested enrolment through the FFI: the holder key's level and Android attestation chain travel
 * in the enrolment proof, and the development issuer's policy (enhanced grade: TEE or StrongBox
 * with user authentication; basic: any key) accepts or refuses with the rule that failed. That
 * policy applies from the issuer's construction; [Setup.trustRoot] only adds a root.
 */
class AttestationTest {
    @TempDir
    lateinit var dir: Path

    private class Setup(dir: Path, area: SecureArea?, name: String = "wallet") : AutoCloseable {
        val authenticator = ScriptedAuthenticator()
        val holderKeys = if (area != null) HolderKeys.secureArea(area) else HolderKeys.software(authenticator)
        val wallet = Wallet.create(dir.resolve(name).toString(), MemoryKeyWrapper(), holderKeys, WalletOptions())
        val issuer = DevIssuer("gov.example.test")

        init {
            kotlinx.coroutines.runBlocking { wallet.unlock(null) }
        }

        fun trustRoot(ca: DevAttestationCa) = issuer.setAttestationPolicy(
            listOf(ca.rootCertificate()),
            KeyRequirement.ANY_KEY,
            KeyRequirement.HARDWARE_WITH_USER_AUTH,
        )

        /** Begins an enrolment, asks the issuer for [claims], completes it; returns the level. */
        suspend fun enrol(claims: String): KeySecurityLevel {
            val nonce = issuer.newChallenge()
            return wallet.beginEnrolment(issuer.issuerId(), nonce).use { pending ->
                val level = pending.securityLevel()
                val credential = issuer.issue(claims, pending.proof(), nonce)
                issuer.trustList().use { trust -> wallet.completeEnrolment(pending, credential, trust, "ID") }
                level
            }
        }

        /** Begins an enrolment and returns the issuer's refusal. */
        suspend fun refusal(claims: String): IssuerException.AttestationRefused {
            val nonce = issuer.newChallenge()
            return wallet.beginEnrolment(issuer.issuerId(), nonce).use { pending ->
                assertThrows<IssuerException.AttestationRefused> { issuer.issue(claims, pending.proof(), nonce) }
            }
        }

        override fun close() {
            issuer.close()
            wallet.close()
            holderKeys.close()
        }
    }

    @Test
    fun aFreshDevIssuerRefusesASoftwareKeyForEnhancedAndAnyChainButEnrolsSoftwareAtBasic() = runBlocking<Unit> {
        // No setAttestationPolicy call: the default policy is in force from construction.
        Setup(dir, null).use { s ->
            val refused = s.refusal(ENHANCED_RESIDENT_ID_CLAIMS)
            assertEquals(AttestationRefusal.NOT_HARDWARE, refused.rule)
            assertTrue(refused.reason.contains("secure hardware"), refused.reason)
            assertEquals(0, s.wallet.documents().size)
            assertEquals(KeySecurityLevel.SOFTWARE, s.enrol(RESIDENT_ID_CLAIMS))
        }
        // With no root configured, a genuine-looking chain is refused even at the basic grade.
        DevAttestationCa().use { ca ->
            Setup(dir, AttestingSecureArea(ca), name = "attested").use { s ->
                assertEquals(AttestationRefusal.UNKNOWN_ROOT, s.refusal(ENHANCED_RESIDENT_ID_CLAIMS).rule)
                assertEquals(AttestationRefusal.UNKNOWN_ROOT, s.refusal(RESIDENT_ID_CLAIMS).rule)
            }
        }
    }

    @Test
    fun aDevelopmentPolicyThatSaysSoEnrolsASoftwareKeyAtTheEnhancedGrade() = runBlocking<Unit> {
        Setup(dir, null).use { s ->
            s.issuer.setAttestationPolicy(listOf(), KeyRequirement.ANY_KEY, KeyRequirement.ANY_KEY)
            assertEquals(KeySecurityLevel.SOFTWARE, s.enrol(ENHANCED_RESIDENT_ID_CLAIMS))
        }
    }

    @Test
    fun aTeeKeyBoundToUserAuthenticationIsEnrolledAtTheEnhancedGrade() = runBlocking<Unit> {
        DevAttestationCa().use { ca ->
            val area = AttestingSecureArea(ca)
            Setup(dir, area).use { s ->
                s.trustRoot(ca)
                assertEquals(KeySecurityLevel.TRUSTED_ENVIRONMENT, s.enrol(ENHANCED_RESIDENT_ID_CLAIMS))
                assertEquals(1, s.wallet.documents().size)
                // The host was asked to attest over the issuer's enrolment nonce (32 bytes).
                assertEquals(32, area.challenges.single().size)
            }
        }
    }

    @Test
    fun aStrongBoxKeyIsReportedAsStrongBox() = runBlocking<Unit> {
        DevAttestationCa().use { ca ->
            Setup(dir, AttestingSecureArea(ca, level = KeySecurityLevel.STRONG_BOX)).use { s ->
                s.trustRoot(ca)
                assertEquals(KeySecurityLevel.STRONG_BOX, s.enrol(ENHANCED_RESIDENT_ID_CLAIMS))
            }
        }
    }

    @Test
    fun aKeyWithoutUserAuthenticationIsRefusedForEnhancedButEnrolsAtBasic() = runBlocking<Unit> {
        DevAttestationCa().use { ca ->
            Setup(dir, AttestingSecureArea(ca, requiresUserAuth = false)).use { s ->
                s.trustRoot(ca)
                assertEquals(AttestationRefusal.NO_USER_AUTHENTICATION, s.refusal(ENHANCED_RESIDENT_ID_CLAIMS).rule)
                assertEquals(KeySecurityLevel.TRUSTED_ENVIRONMENT, s.enrol(RESIDENT_ID_CLAIMS))
            }
        }
    }

    @Test
    fun aSoftwareKeyIsRefusedForEnhancedButEnrolsAtBasic() = runBlocking<Unit> {
        DevAttestationCa().use { ca ->
            Setup(dir, null).use { s ->
                s.trustRoot(ca)
                val refused = s.refusal(ENHANCED_RESIDENT_ID_CLAIMS)
                assertEquals(AttestationRefusal.NOT_HARDWARE, refused.rule)
                assertTrue(refused.reason.contains("secure hardware"), refused.reason)
                assertEquals(KeySecurityLevel.SOFTWARE, s.enrol(RESIDENT_ID_CLAIMS))
            }
        }
    }

    @Test
    fun aChainFromAnotherAuthorityOrOverAnotherChallengeIsRefused() = runBlocking<Unit> {
        DevAttestationCa().use { trusted ->
            DevAttestationCa().use { stranger ->
                val area = AttestingSecureArea(stranger)
                Setup(dir, area).use { s ->
                    s.trustRoot(trusted)
                    assertEquals(AttestationRefusal.UNKNOWN_ROOT, s.refusal(RESIDENT_ID_CLAIMS).rule)
                }
            }
        }
        DevAttestationCa().use { ca ->
            val replayed = ByteArray(32) { 7 }
            Setup(dir, AttestingSecureArea(ca, attestOver = replayed), name = "second").use { s ->
                s.trustRoot(ca)
                assertEquals(AttestationRefusal.WRONG_CHALLENGE, s.refusal(RESIDENT_ID_CLAIMS).rule)
            }
        }
    }

    @Test
    fun anAppAttestKeyIsEnrolledAtTheEnhancedGradeOnlyOnceTheAppAttestPolicyNamesItsRootAndAppId() = runBlocking<Unit> {
        DevAppAttestCa().use { ca ->
            val area = AppAttestingSecureArea(ca, APP_ID)
            Setup(dir, area).use { s ->
                // No App Attest policy (the default): the evidence cannot be verified.
                val refused = s.refusal(ENHANCED_RESIDENT_ID_CLAIMS)
                assertEquals(AttestationRefusal.EVIDENCE_NOT_VERIFIABLE, refused.rule)
                // A root without an app id is no App Attest policy either.
                s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(), false)
                assertEquals(AttestationRefusal.EVIDENCE_NOT_VERIFIABLE, s.refusal(ENHANCED_RESIDENT_ID_CLAIMS).rule)
                assertEquals(0, s.wallet.documents().size)

                s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(APP_ID), false)
                // Setting the Android part afterwards keeps the App Attest part.
                s.issuer.setAttestationPolicy(listOf(), KeyRequirement.ANY_KEY, KeyRequirement.HARDWARE_WITH_USER_AUTH)
                assertEquals(KeySecurityLevel.SECURE_ENCLAVE, s.enrol(ENHANCED_RESIDENT_ID_CLAIMS))
                assertEquals(1, s.wallet.documents().size)
                // The host was asked for evidence over the issuer's enrolment nonce (32 bytes).
                assertTrue(area.challenges.all { it.size == 32 })
            }
            // Empty lists remove the App Attest policy again.
            Setup(dir, AppAttestingSecureArea(ca, APP_ID), name = "cleared").use { s ->
                s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(APP_ID), false)
                s.issuer.setAppAttestPolicy(listOf(), listOf(), false)
                assertEquals(AttestationRefusal.EVIDENCE_NOT_VERIFIABLE, s.refusal(ENHANCED_RESIDENT_ID_CLAIMS).rule)
            }
        }
    }

    @Test
    fun appAttestEvidenceOfAnotherAppADevelopmentBuildOrAnotherRootIsRefused() = runBlocking<Unit> {
        DevAppAttestCa().use { ca ->
            val area = AppAttestingSecureArea(ca, "OTHER12345.io.netid.wallet")
            Setup(dir, area).use { s ->
                s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(APP_ID), false)
                val otherApp = s.refusal(ENHANCED_RESIDENT_ID_CLAIMS)
                assertEquals(AttestationRefusal.APP_ATTEST_REFUSED, otherApp.rule)
                assertTrue(otherApp.reason.contains("app id"), otherApp.reason)
                // Evidence that is sent is checked in full at the basic grade too.
                assertEquals(AttestationRefusal.APP_ATTEST_REFUSED, s.refusal(RESIDENT_ID_CLAIMS).rule)

                area.appId = APP_ID
                area.development = true
                val developmentBuild = s.refusal(ENHANCED_RESIDENT_ID_CLAIMS)
                assertEquals(AttestationRefusal.APP_ATTEST_REFUSED, developmentBuild.rule)
                assertTrue(developmentBuild.reason.contains("development"), developmentBuild.reason)

                // A bad app id or root is refused and leaves the policy as it was.
                for (bad in listOf("io.netid.wallet", "abcde12345.io.netid.wallet", "ABCDE12345.")) {
                    val e = assertThrows<IssuerException.InvalidInput> {
                        s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(bad), true)
                    }
                    assertTrue(e.reason.contains("TEAMID.bundle.id"), e.reason)
                }
                assertThrows<IssuerException.InvalidInput> {
                    s.issuer.setAppAttestPolicy(listOf(byteArrayOf(1, 2, 3)), listOf(APP_ID), true)
                }
                assertEquals(AttestationRefusal.APP_ATTEST_REFUSED, s.refusal(ENHANCED_RESIDENT_ID_CLAIMS).rule)

                s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(APP_ID), true)
                assertEquals(KeySecurityLevel.SECURE_ENCLAVE, s.enrol(ENHANCED_RESIDENT_ID_CLAIMS))
            }
            DevAppAttestCa().use { stranger ->
                Setup(dir, AppAttestingSecureArea(stranger, APP_ID), name = "stranger").use { s ->
                    s.issuer.setAppAttestPolicy(listOf(ca.rootCertificate()), listOf(APP_ID), false)
                    assertEquals(AttestationRefusal.UNKNOWN_ROOT, s.refusal(ENHANCED_RESIDENT_ID_CLAIMS).rule)
                }
            }
        }
    }

    @Test
    fun theTestAuthorityWritesAChainLeafFirstEndingInItsRoot() {
        DevAttestationCa().use { ca ->
            val key = P256.toSec1(P256.generate().public as ECPublicKey)
            val chain = ca.chain(key, ByteArray(16), KeySecurityLevel.TRUSTED_ENVIRONMENT, true, true)
            assertEquals(3, chain.size)
            assertArrayEquals(ca.rootCertificate(), chain.last())
            // Every certificate parses as X.509 for the JDK too.
            val factory = java.security.cert.CertificateFactory.getInstance("X.509")
            val certificates = chain.map { factory.generateCertificate(it.inputStream()) as java.security.cert.X509Certificate }
            certificates[0].verify(certificates[1].publicKey)
            certificates[1].verify(certificates[2].publicKey)
            assertTrue(certificates[0].getExtensionValue("1.3.6.1.4.1.11129.2.1.17") != null)
        }
    }
}
