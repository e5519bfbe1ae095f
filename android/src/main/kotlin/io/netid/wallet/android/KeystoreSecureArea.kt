package io.netid.wallet.android

import android.content.Context
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import io.netid.wallet.CreatedKey
import io.netid.wallet.HostException
import io.netid.wallet.KeyEvidence
import io.netid.wallet.KeyPolicy
import io.netid.wallet.KeySecurityLevel
import io.netid.wallet.PromptReason
import io.netid.wallet.SecureArea
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import java.security.GeneralSecurityException
import java.security.InvalidKeyException
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.Signature
import java.security.SignatureException
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec

/**
 * Hardware holder keys for `HolderKeys.secureArea(...)`: ECDSA P-256 keys in the Android Keystore
 * (StrongBox when the device has one, otherwise the TEE), each bound to a strong biometric as its
 * [KeyPolicy] says and invalidated when biometrics are re-enrolled. `createKey` reports where the
 * key went (a StrongBox-to-TEE fallback shows as `TRUSTED_ENVIRONMENT`) and, given the issuer's
 * enrolment nonce as challenge, its Key Attestation certificate chain (`setAttestationChallenge`,
 * `KeyStore.getCertificateChain`), which the wallet carries to the issuer. A signature is made inside the
 * biometric prompt ([BiometricGate]): through a `CryptoObject` for `EveryUse` keys; for
 * `Within` keys directly, prompting only when the key store asks for a fresh authentication.
 * A key destroyed by a biometric change throws `KeyPermanentlyInvalidated` (the wallet then says
 * `HolderKeyInvalidated`: enrol that document again). The device passcode is accepted only where
 * the wallet's options allow it (`allowDeviceCredential`, Android 11+).
 *
 * Owns the Keystore entries named [aliasPrefix] + the core's alias. It must never export or
 * replace a key (`createKey` on a taken alias throws `KeyExists`), never sign without the key
 * store's own user check, and never pre-hash: `SHA256withECDSA` hashes the exact message and
 * returns the DER signature the core expects. Works from Android 9 (API 28).
 */
class KeystoreSecureArea @JvmOverloads constructor(
    context: Context,
    private val gate: BiometricGate = BiometricGate(context),
    private val aliasPrefix: String = DEFAULT_ALIAS_PREFIX,
) : SecureArea {
    private val strongBox = Keystore.hasStrongBox(context.applicationContext ?: context)

    /** Serialises creation and deletion, so a check for a taken alias stays true until the key exists. */
    private val lifecycle = Mutex()

    override suspend fun createKey(
        alias: String,
        policy: KeyPolicy,
        allowDeviceCredential: Boolean,
        challenge: ByteArray,
    ): CreatedKey = lifecycle.withLock {
        withContext(Dispatchers.IO) {
            hostCall("creating a holder key") {
                val name = aliasPrefix + alias
                if (Keystore.open().containsAlias(name)) throw HostException.KeyExists()
                gate.checkAvailable(allowDeviceCredential)
                val timeoutSeconds = when (policy) {
                    is KeyPolicy.EveryUse -> 0
                    is KeyPolicy.Within -> policy.within.seconds.coerceIn(1L, Int.MAX_VALUE.toLong()).toInt()
                }
                val (pair, inStrongBox) = Keystore.strongBoxOrTeeReported(strongBox) { tryStrongBox ->
                    val spec = KeyGenParameterSpec.Builder(name, KeyProperties.PURPOSE_SIGN)
                        .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                        .setDigests(KeyProperties.DIGEST_SHA256)
                        .setIsStrongBoxBacked(tryStrongBox)
                    // Key Attestation over the issuer's enrolment nonce: the key's certificate
                    // chain then carries it in its KeyDescription, for the issuer to check.
                    if (challenge.isNotEmpty()) spec.setAttestationChallenge(challenge)
                    // The wallet's passcode fallback (off by default) also lets the device
                    // credential release the key; each prompt then offers it only where allowed.
                    Keystore.requireStrongBiometric(spec, timeoutSeconds, allowDeviceCredential)
                    KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, Keystore.PROVIDER)
                        .apply { initialize(spec.build()) }
                        .generateKeyPair()
                }
                val level = securityLevel(pair.private, inStrongBox)
                val evidence = if (challenge.isEmpty()) {
                    KeyEvidence.NoEvidence
                } else {
                    // Leaf first, as the issuer expects; each certificate's DER encoding.
                    val chain = Keystore.open().getCertificateChain(name)
                        ?: throw HostException.Unavailable("the key store gave no attestation chain")
                    KeyEvidence.AndroidKeyAttestation(chain.map { it.encoded })
                }
                CreatedKey(P256.encode(pair.public as ECPublicKey), level, evidence)
            }
        }
    }

    /**
     * Where the key store says [key] lives: `KeyInfo.securityLevel` from Android 12, before that
     * `isInsideSecureHardware` with where the generation succeeded. A StrongBox request that fell
     * back to the TEE reports `TRUSTED_ENVIRONMENT`.
     */
    private fun securityLevel(key: PrivateKey, inStrongBox: Boolean): KeySecurityLevel {
        val info = KeyFactory.getInstance(key.algorithm, Keystore.PROVIDER).getKeySpec(key, KeyInfo::class.java)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            return when (info.securityLevel) {
                KeyProperties.SECURITY_LEVEL_STRONGBOX -> KeySecurityLevel.STRONG_BOX
                KeyProperties.SECURITY_LEVEL_TRUSTED_ENVIRONMENT -> KeySecurityLevel.TRUSTED_ENVIRONMENT
                else -> KeySecurityLevel.SOFTWARE
            }
        }
        @Suppress("DEPRECATION")
        val inHardware = info.isInsideSecureHardware
        return when {
            !inHardware -> KeySecurityLevel.SOFTWARE
            inStrongBox -> KeySecurityLevel.STRONG_BOX
            else -> KeySecurityLevel.TRUSTED_ENVIRONMENT
        }
    }

    override suspend fun publicKey(alias: String): ByteArray = withContext(Dispatchers.IO) {
        hostCall("reading a holder key") {
            val certificate = Keystore.open().getCertificate(aliasPrefix + alias) ?: throw HostException.KeyNotFound()
            P256.encode(certificate.publicKey as ECPublicKey)
        }
    }

    override suspend fun sign(
        alias: String,
        message: ByteArray,
        reason: PromptReason,
        allowDeviceCredential: Boolean,
    ): ByteArray =
        hostCall("signing") {
            val key = withContext(Dispatchers.IO) { privateKey(alias) }
            if (withContext(Dispatchers.IO) { Keystore.authenticatesEveryUse(key) }) {
                // The prompt's success unlocks exactly this Signature object, and nothing else.
                // initSign throws KeyPermanentlyInvalidatedException for a key destroyed by a
                // biometric change, before any prompt (hostCall: KeyPermanentlyInvalidated).
                val signature = withContext(Dispatchers.IO) {
                    Signature.getInstance(SIGNATURE_ALGORITHM).apply { initSign(key) }
                }
                gate.authenticate(reason, BiometricPrompt.CryptoObject(signature), allowDeviceCredential)
                withContext(Dispatchers.IO) {
                    signature.update(message)
                    signature.sign()
                }
            } else {
                try {
                    withContext(Dispatchers.IO) { signNow(key, message) }
                } catch (e: KeyPermanentlyInvalidatedException) {
                    throw e
                } catch (e: UserNotAuthenticatedException) {
                    gate.authenticate(reason, null, allowDeviceCredential)
                    withContext(Dispatchers.IO) { signNow(key, message) }
                } catch (e: GeneralSecurityException) {
                    // Some devices throw a plain SignatureException (or InvalidKeyException)
                    // instead of UserNotAuthenticatedException when the key's window has passed
                    // (b/282174161): re-prompt once if the entry is still there and initSign does
                    // not report it permanently invalidated (see Keystore.isOnlyUnauthenticated).
                    if (e !is SignatureException && e !is InvalidKeyException) throw e
                    val onlyUnauthenticated = withContext(Dispatchers.IO) {
                        Keystore.isOnlyUnauthenticated(aliasPrefix + alias, key)
                    }
                    if (!onlyUnauthenticated) throw e
                    gate.authenticate(reason, null, allowDeviceCredential)
                    withContext(Dispatchers.IO) { signNow(key, message) }
                }
            }
        }

    override suspend fun deleteKey(alias: String): Unit = lifecycle.withLock {
        withContext(Dispatchers.IO) {
            hostCall("deleting a holder key") {
                val store = Keystore.open()
                val name = aliasPrefix + alias
                if (!store.containsAlias(name)) throw HostException.KeyNotFound()
                store.deleteEntry(name)
            }
        }
    }

    private fun privateKey(alias: String): PrivateKey =
        Keystore.open().getKey(aliasPrefix + alias, null) as? PrivateKey ?: throw HostException.KeyNotFound()

    private fun signNow(key: PrivateKey, message: ByteArray): ByteArray =
        Signature.getInstance(SIGNATURE_ALGORITHM).run {
            initSign(key)
            update(message)
            sign()
        }

    companion object {
        /** Where holder keys live in the app's Keystore namespace unless the app picks another prefix. */
        const val DEFAULT_ALIAS_PREFIX = "netid.holder."

        private const val SIGNATURE_ALGORITHM = "SHA256withECDSA"
    }
}
