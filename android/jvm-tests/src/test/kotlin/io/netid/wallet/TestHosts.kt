package io.netid.wallet

import kotlinx.coroutines.awaitCancellation
import java.math.BigInteger
import java.security.AlgorithmParameters
import java.security.KeyFactory
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.security.spec.ECParameterSpec
import java.security.spec.ECPoint
import java.security.spec.ECPublicKeySpec
import java.util.concurrent.CopyOnWriteArrayList
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** P-256 points as SEC1 bytes, the form the netid host traits exchange. */
object P256 {
    private val params: ECParameterSpec = AlgorithmParameters.getInstance("EC")
        .apply { init(ECGenParameterSpec("secp256r1")) }
        .getParameterSpec(ECParameterSpec::class.java)

    fun generate(): KeyPair = KeyPairGenerator.getInstance("EC")
        .apply { initialize(ECGenParameterSpec("secp256r1")) }
        .generateKeyPair()

    fun toSec1(key: ECPublicKey): ByteArray =
        byteArrayOf(4) + fixed32(key.w.affineX) + fixed32(key.w.affineY)

    fun fromSec1(bytes: ByteArray): ECPublicKey {
        require(bytes.size == 65 && bytes[0] == 4.toByte()) { "not an uncompressed P-256 point" }
        val point = ECPoint(
            BigInteger(1, bytes.copyOfRange(1, 33)),
            BigInteger(1, bytes.copyOfRange(33, 65)),
        )
        return KeyFactory.getInstance("EC").generatePublic(ECPublicKeySpec(point, params)) as ECPublicKey
    }

    private fun fixed32(n: BigInteger): ByteArray {
        val bytes = n.toByteArray()
        return when {
            bytes.size == 32 -> bytes
            bytes.size > 32 -> bytes.copyOfRange(bytes.size - 32, bytes.size)
            else -> ByteArray(32 - bytes.size) + bytes
        }
    }
}

/** What the test authenticator does when asked. */
enum class HostBehaviour { ALLOW, CANCEL, THROW, HANG }

/**
 * A JVM stand-in for the Android BiometricPrompt authenticator: its "biometric-bound" unlock key
 * is a plain P-256 key pair, and a grant is the ECDH agreement with the request's point (the
 * holder key's sealing point, blinded by the core for this request only), exactly what the Android
 * glue computes inside the prompt. The user's answer is scripted.
 */
class ScriptedAuthenticator : UserAuthenticator {
    @Volatile var behaviour = HostBehaviour.ALLOW
    val prompts = CopyOnWriteArrayList<PromptReason>()

    /** Per request: whether the prompt may offer the device passcode. */
    val passcodeAllowed = CopyOnWriteArrayList<Boolean>()
    @Volatile private var unlockKey = P256.generate()

    /**
     * Set by [biometricsReEnrolled]: the unlock key was permanently invalidated, and every call
     * throws `KeyPermanentlyInvalidated` (as the Android glue does for
     * `KeyPermanentlyInvalidatedException`) until the app calls [setUpAgain].
     */
    @Volatile var unlockKeyInvalidated = false
        private set

    /** Simulates a biometric re-enrolment on the device: the unlock key stops working. */
    fun biometricsReEnrolled() {
        unlockKeyInvalidated = true
    }

    /** What the app does on `NextStep.SetUpAuthenticatorAgain`: a new unlock key. */
    fun setUpAgain() {
        unlockKey = P256.generate()
        unlockKeyInvalidated = false
    }

    override suspend fun unlockPublicKey(): ByteArray {
        if (unlockKeyInvalidated) throw HostException.KeyPermanentlyInvalidated()
        return P256.toSec1(unlockKey.public as ECPublicKey)
    }

    override suspend fun authenticate(request: UnlockRequest): UnlockGrant {
        if (unlockKeyInvalidated) throw HostException.KeyPermanentlyInvalidated()
        prompts += request.reason
        passcodeAllowed += request.allowDeviceCredential
        when (behaviour) {
            HostBehaviour.CANCEL -> throw HostException.Cancelled()
            HostBehaviour.THROW -> throw IllegalStateException("a bug in the host app")
            HostBehaviour.HANG -> awaitCancellation()
            HostBehaviour.ALLOW -> {}
        }
        val agreement = KeyAgreement.getInstance("ECDH")
        agreement.init(unlockKey.private)
        agreement.doPhase(P256.fromSec1(request.sealingPublicKey), true)
        return UnlockGrant(request.challenge, agreement.generateSecret())
    }
}

/**
 * A JVM stand-in for the Android Keystore secure area: P-256 keys in memory, signing with
 * `SHA256withECDSA` (DER, as the Keystore does). [biometricsReEnrolled] simulates a biometric
 * re-enrolment: every key made before it is permanently invalidated (still present, never usable
 * again), as Keystore keys made with `setInvalidatedByBiometricEnrollment(true)` are, and signing
 * with one throws `KeyPermanentlyInvalidated`; keys made afterwards work.
 */
class ScriptedSecureArea : SecureArea {
    private val keys = java.util.concurrent.ConcurrentHashMap<String, KeyPair>()
    private val invalidated = java.util.concurrent.ConcurrentHashMap.newKeySet<String>()

    /** Per key created: whether it may be released after the device passcode. */
    val createdWithPasscode = CopyOnWriteArrayList<Boolean>()

    /** Per signature: the prompt's reason and whether it may offer the device passcode. */
    val prompts = CopyOnWriteArrayList<Pair<PromptReason, Boolean>>()

    fun biometricsReEnrolled() {
        invalidated.addAll(keys.keys)
    }

    override suspend fun createKey(
        alias: String,
        policy: KeyPolicy,
        allowDeviceCredential: Boolean,
        challenge: ByteArray,
    ): CreatedKey {
        createdWithPasscode += allowDeviceCredential
        val pair = P256.generate()
        if (keys.putIfAbsent(alias, pair) != null) throw HostException.KeyExists()
        return CreatedKey(P256.toSec1(pair.public as ECPublicKey), KeySecurityLevel.SOFTWARE, KeyEvidence.NoEvidence)
    }

    override suspend fun publicKey(alias: String): ByteArray =
        P256.toSec1((keys[alias] ?: throw HostException.KeyNotFound()).public as ECPublicKey)

    override suspend fun sign(alias: String, message: ByteArray, reason: PromptReason, allowDeviceCredential: Boolean): ByteArray {
        val pair = keys[alias] ?: throw HostException.KeyNotFound()
        if (alias in invalidated) throw HostException.KeyPermanentlyInvalidated()
        prompts += reason to allowDeviceCredential
        return java.security.Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
    }

    override suspend fun deleteKey(alias: String) {
        keys.remove(alias) ?: throw HostException.KeyNotFound()
        invalidated.remove(alias)
    }
}

/** AES-256-GCM under an in-memory key: the JVM stand-in for the Android Keystore wrapper. */
class MemoryKeyWrapper : KeyWrapper {
    private val key: SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    private val random = SecureRandom()

    override fun wrap(dataKey: ByteArray): ByteArray {
        val iv = ByteArray(12).also(random::nextBytes)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, iv))
        return (iv + cipher.doFinal(dataKey)).also { dataKey.fill(0) }
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        if (wrapped.size < 12 + 16) throw HostException.Unavailable("wrapped key too short")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 0, 12))
        return try {
            cipher.doFinal(wrapped, 12, wrapped.size - 12)
        } catch (e: javax.crypto.AEADBadTagException) {
            throw HostException.KeyNotFound()
        }
    }

    override fun forget(wrapped: ByteArray) {}

    /** Anchors in a map: outside any wallet directory, like the platform's. */
    val anchors = java.util.concurrent.ConcurrentHashMap<String, ByteArray>()

    override fun loadAnchor(name: String): ByteArray? = anchors[name]?.copyOf()

    override fun saveAnchor(name: String, value: ByteArray) {
        anchors[name] = value.copyOf()
    }

    override fun forgetAnchor(name: String) {
        anchors.remove(name)
    }
}

/** A resident ID claims file, as `netid issuer issue` reads it. */
const val RESIDENT_ID_CLAIMS = """{
  "doc_type": "resident-id",
  "assurance_level": "basic",
  "name": "李秀英",
  "sex": "female",
  "ethnicity": "汉",
  "birth_date": "1949-12-31",
  "address": "北京市朝阳区建国路88号",
  "id_number": "11010519491231002X",
  "issuing_authority": "北京市公安局朝阳分局",
  "valid_from": "2020-01-01",
  "valid_until": "2040-01-01"
}"""

/** Enrols the resident ID with [issuer] through the wallet and returns the document id. */
suspend fun enrolResidentId(wallet: Wallet, issuer: DevIssuer): String {
    val nonce = issuer.newChallenge()
    return wallet.beginEnrolment(issuer.issuerId(), nonce).use { pending ->
        val credential = issuer.issue(RESIDENT_ID_CLAIMS, pending.proof(), nonce)
        issuer.trustList().use { trust ->
            wallet.completeEnrolment(pending, credential, trust, "My ID card").id
        }
    }
}
