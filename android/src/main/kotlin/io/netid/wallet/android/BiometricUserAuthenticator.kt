package io.netid.wallet.android

import android.content.Context
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import androidx.annotation.RequiresApi
import io.netid.wallet.HostException
import io.netid.wallet.UnlockGrant
import io.netid.wallet.UnlockRequest
import io.netid.wallet.UserAuthenticator
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import javax.crypto.KeyAgreement

/**
 * The unlock key for `HolderKeys.software(...)`: one P-256 key-agreement key in the Android
 * Keystore (StrongBox when present, else the TEE), bound to a strong biometric and invalidated when
 * biometrics are re-enrolled. [authenticate] shows the prompt and returns the ECDH shared secret
 * (x-coordinate) between this key and the request's sealing key, which is what opens one sealed
 * holder key for one signature.
 *
 * The binding depends on the Android version the key was created on, because a
 * `BiometricPrompt.CryptoObject(KeyAgreement)` only exists from Android 15 (API 35):
 * - API 35+: the key needs an authentication for **every** agreement, unlocked by a `CryptoObject`
 *   (built by reflection, since this library compiles against API 34);
 * - API 31–34: the key is usable for [FALLBACK_WINDOW_SECONDS] after a strong biometric; the
 *   prompt is always shown first, then the agreement runs at once.
 * Below API 31 the Keystore has no key agreement: every call throws `Unavailable`; use
 * [KeystoreSecureArea] there ([isSupported] tells which).
 *
 * Owns the Keystore entry [alias]. It must never give out a secret without a successful prompt,
 * never export the key, and never keep the secret: the grant is the only copy it hands back. When
 * biometrics were re-enrolled (the key is invalidated) [unlockPublicKey] replaces the key, so the
 * core sees a new enrolment and reports the old holder keys as invalidated.
 */
class BiometricUserAuthenticator @JvmOverloads constructor(
    context: Context,
    private val gate: BiometricGate = BiometricGate(context),
    private val alias: String = DEFAULT_ALIAS,
) : UserAuthenticator {
    private val strongBox = Keystore.hasStrongBox(context.applicationContext ?: context)

    /** Serialises the check-then-create of the unlock key. */
    private val lifecycle = Mutex()

    override suspend fun unlockPublicKey(): ByteArray {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.S) throw unsupported()
        return lifecycle.withLock {
            withContext(Dispatchers.IO) {
                hostCall("reading the unlock key") { P256.encode(currentOrNewKey()) }
            }
        }
    }

    override suspend fun authenticate(request: UnlockRequest): UnlockGrant {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.S) throw unsupported()
        return unlock(request)
    }

    @RequiresApi(Build.VERSION_CODES.S)
    private suspend fun unlock(request: UnlockRequest): UnlockGrant = hostCall("unlocking a holder key") {
        // The request's policy is not used to skip the prompt: every grant follows a prompt.
        val sealingKey = P256.decode(request.sealingPublicKey)
        val key = withContext(Dispatchers.IO) { Keystore.open().getKey(alias, null) as? PrivateKey }
            ?: throw HostException.KeyInvalidated()
        val agreement = KeyAgreement.getInstance(AGREEMENT, Keystore.PROVIDER)
        val secret = if (withContext(Dispatchers.IO) { Keystore.authenticatesEveryUse(key) }) {
            withContext(Dispatchers.IO) {
                agreement.init(key)
                agreement.doPhase(sealingKey, true)
            }
            gate.authenticate(request.reason, cryptoObjectFor(agreement))
            withContext(Dispatchers.IO) { agreement.generateSecret() }
        } else {
            gate.authenticate(request.reason, null)
            withContext(Dispatchers.IO) {
                agreement.init(key)
                agreement.doPhase(sealingKey, true)
                agreement.generateSecret()
            }
        }
        if (secret.size != SECRET_LENGTH) {
            secret.fill(0)
            throw HostException.Unavailable("the key store returned a key agreement of the wrong length")
        }
        UnlockGrant(challenge = request.challenge.copyOf(), unlockSecret = secret)
    }

    /** The unlock key's public key; a new key if there is none or the old one was invalidated. */
    @RequiresApi(Build.VERSION_CODES.S)
    private fun currentOrNewKey(): ECPublicKey {
        val store = Keystore.open()
        val existing = store.getCertificate(alias)?.publicKey as? ECPublicKey
        if (existing != null && !isInvalidated(store)) return existing
        if (existing != null) store.deleteEntry(alias)
        gate.checkAvailable()
        val pair = Keystore.strongBoxOrTee(strongBox) { inStrongBox ->
            val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_AGREE_KEY)
                .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                .setIsStrongBoxBacked(inStrongBox)
            // Fixed at creation: a key made before API 35 stays time-bound after an OS upgrade.
            val timeout = if (Build.VERSION.SDK_INT >= API_CRYPTO_OBJECT_KEY_AGREEMENT) 0 else FALLBACK_WINDOW_SECONDS
            Keystore.requireStrongBiometric(spec, timeout)
            KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, Keystore.PROVIDER)
                .apply { initialize(spec.build()) }
                .generateKeyPair()
        }
        return pair.public as ECPublicKey
    }

    /**
     * Whether re-enrolled biometrics (or a removed screen lock) destroyed the key. Starting an
     * agreement does not prompt; the key store refuses it with `KeyPermanentlyInvalidatedException`
     * only for an invalidated key.
     */
    @RequiresApi(Build.VERSION_CODES.S)
    private fun isInvalidated(store: KeyStore): Boolean {
        val key = store.getKey(alias, null) as? PrivateKey ?: return true
        return try {
            KeyAgreement.getInstance(AGREEMENT, Keystore.PROVIDER).init(key)
            false
        } catch (e: KeyPermanentlyInvalidatedException) {
            true
        } catch (e: UserNotAuthenticatedException) {
            false
        }
    }

    private fun cryptoObjectFor(agreement: KeyAgreement): BiometricPrompt.CryptoObject {
        if (Build.VERSION.SDK_INT < API_CRYPTO_OBJECT_KEY_AGREEMENT) {
            throw HostException.Unavailable("this unlock key needs Android 15 to be used")
        }
        return try {
            // BiometricPrompt.CryptoObject(KeyAgreement), public API 35. Replace with the direct
            // call once the library compiles against API 35.
            BiometricPrompt.CryptoObject::class.java.getConstructor(KeyAgreement::class.java).newInstance(agreement)
        } catch (e: ReflectiveOperationException) {
            throw HostException.Unavailable("the biometric prompt cannot unlock a key agreement on this device")
        }
    }

    private fun unsupported() =
        HostException.Unavailable("biometric key agreement needs Android 12 (API 31); use KeystoreSecureArea")

    companion object {
        /** The Keystore alias of the unlock key unless the app picks another. */
        const val DEFAULT_ALIAS = "netid.unlock"

        /** Seconds a key made on API 31–34 stays usable after the prompt; the agreement runs at once. */
        const val FALLBACK_WINDOW_SECONDS = 5

        /** Whether this device can hold the unlock key (Android 12, API 31, or later). */
        @JvmStatic
        val isSupported: Boolean
            get() = Build.VERSION.SDK_INT >= Build.VERSION_CODES.S

        private const val AGREEMENT = "ECDH"
        private const val SECRET_LENGTH = 32
        private const val API_CRYPTO_OBJECT_KEY_AGREEMENT = 35
    }
}
