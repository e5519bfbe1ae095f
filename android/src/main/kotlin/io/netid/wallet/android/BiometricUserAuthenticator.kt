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
 * (x-coordinate) between this key and the request's point, which the core (and only the core)
 * turns into what opens one sealed holder key for one signature: the point is blinded afresh per
 * request, so a grant is worthless for any other.
 *
 * The key needs a strong-biometric authentication for **every** agreement (timeout 0, through
 * `Keystore.requireStrongBiometric`), granted to that one agreement by a
 * `BiometricPrompt.CryptoObject(KeyAgreement)`. There is no time window after *any* biometric on
 * any Android version. That `CryptoObject` constructor is recent (the Android API diff lists it in
 * SDK 36.1) and this library compiles against API 34, so it is found by reflection, by feature
 * rather than by version number. Where it is missing, or below API 31 (no Keystore key agreement),
 * every call throws `Unavailable`: use [KeystoreSecureArea] there ([isSupported] tells which).
 * A key made by an earlier version of this class with a time window is not used: [unlockPublicKey]
 * replaces it, so holder keys sealed under it report `HolderKeyInvalidated` and are re-enrolled.
 *
 * Owns the Keystore entry [alias]. It must never give out a secret without a successful prompt,
 * never export the key, and never keep the secret: the grant is the only copy it hands back. When
 * biometrics were re-enrolled the key is invalidated: every call then throws
 * `KeyPermanentlyInvalidated` (the wallet says `AuthenticatorInvalidated`, next step
 * `SetUpAuthenticatorAgain`) until the app, having told the resident, calls [setUpAgain]; the
 * next call makes a new unlock key, and the holder keys sealed under the old one report
 * `HolderKeyInvalidated` (enrol those documents again). It never replaces an invalidated key on
 * its own, so the resident learns why their documents must be enrolled again.
 *
 * [allowDeviceCredential] (Android 11+) makes the unlock key accept the device PIN, pattern or
 * password as well; pass `true` exactly when the wallet's `WalletOptions.deviceCredentialFor` is
 * not empty. Each prompt then offers the passcode only when its request allows it.
 */
class BiometricUserAuthenticator @JvmOverloads constructor(
    context: Context,
    private val gate: BiometricGate = BiometricGate(context),
    private val alias: String = DEFAULT_ALIAS,
    private val allowDeviceCredential: Boolean = false,
) : UserAuthenticator {
    private val strongBox = Keystore.hasStrongBox(context.applicationContext ?: context)

    /** Serialises the check-then-create of the unlock key. */
    private val lifecycle = Mutex()

    override suspend fun unlockPublicKey(): ByteArray {
        if (!isSupported || Build.VERSION.SDK_INT < Build.VERSION_CODES.S) throw unsupported()
        return lifecycle.withLock {
            withContext(Dispatchers.IO) {
                hostCall("reading the unlock key") { P256.encode(currentOrNewKey()) }
            }
        }
    }

    override suspend fun authenticate(request: UnlockRequest): UnlockGrant {
        if (!isSupported || Build.VERSION.SDK_INT < Build.VERSION_CODES.S) throw unsupported()
        return unlock(request)
    }

    /**
     * Sets the authenticator up again after a biometric change (`NextStep.SetUpAuthenticatorAgain`):
     * deletes the invalidated unlock key, so the next call makes a new one bound to the biometrics
     * enrolled now. Every document whose holder key was sealed under the old key must then be
     * enrolled again; the wallet, its other data and its PIN are untouched.
     */
    suspend fun setUpAgain() {
        if (!isSupported || Build.VERSION.SDK_INT < Build.VERSION_CODES.S) throw unsupported()
        lifecycle.withLock {
            withContext(Dispatchers.IO) {
                hostCall("removing the invalidated unlock key") {
                    val store = Keystore.open()
                    if (store.containsAlias(alias)) store.deleteEntry(alias)
                }
            }
        }
    }

    @RequiresApi(Build.VERSION_CODES.S)
    private suspend fun unlock(request: UnlockRequest): UnlockGrant = hostCall("unlocking a holder key") {
        // The request's policy is not used to skip the prompt: every grant follows a prompt, and
        // the prompt authorises exactly this one agreement.
        val sealingKey = P256.decode(request.sealingPublicKey)
        // No unlock key (deleted by setUpAgain, or by the OS): nothing sealed can be opened.
        val key = withContext(Dispatchers.IO) { Keystore.open().getKey(alias, null) as? PrivateKey }
            ?: throw HostException.KeyPermanentlyInvalidated()
        // A time-windowed key from an earlier version would be usable after any biometric: refuse
        // it as invalidated; unlockPublicKey() replaces it with a per-use key.
        val perUse = withContext(Dispatchers.IO) { Keystore.authenticatesEveryUse(key) }
        if (!perUse) throw HostException.KeyPermanentlyInvalidated()
        val agreement = KeyAgreement.getInstance(AGREEMENT, Keystore.PROVIDER)
        withContext(Dispatchers.IO) {
            agreement.init(key)
            agreement.doPhase(sealingKey, true)
        }
        // The passcode only where the wallet allows it for this request and the key accepts it.
        val withCredential = request.allowDeviceCredential && allowDeviceCredential
        gate.authenticate(request.reason, cryptoObjectFor(agreement), withCredential)
        val secret = withContext(Dispatchers.IO) { agreement.generateSecret() }
        if (secret.size != SECRET_LENGTH) {
            secret.fill(0)
            throw HostException.Unavailable("the key store returned a key agreement of the wrong length")
        }
        UnlockGrant(challenge = request.challenge.copyOf(), unlockSecret = secret)
    }

    /**
     * The unlock key's public key; a new key if there is none or it was made with a time window
     * (by an earlier version of this class). An invalidated key is reported, not replaced: the
     * app replaces it with [setUpAgain] after telling the resident.
     */
    @RequiresApi(Build.VERSION_CODES.S)
    private fun currentOrNewKey(): ECPublicKey {
        val store = Keystore.open()
        val existing = store.getCertificate(alias)?.publicKey as? ECPublicKey
        if (existing != null && isInvalidated(store)) throw HostException.KeyPermanentlyInvalidated()
        if (existing != null && isPerUse(store)) return existing
        if (existing != null) store.deleteEntry(alias)
        gate.checkAvailable(allowDeviceCredential)
        val pair = Keystore.strongBoxOrTee(strongBox) { inStrongBox ->
            val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_AGREE_KEY)
                .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                .setIsStrongBoxBacked(inStrongBox)
            // Every agreement needs its own prompt: setUserAuthenticationParameters(0, strong
            // [| device credential, where the wallet's passcode fallback is on]).
            Keystore.requireStrongBiometric(spec, 0, allowDeviceCredential)
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

    /** Whether the unlock key needs an authentication for every agreement (no time window). */
    @RequiresApi(Build.VERSION_CODES.S)
    private fun isPerUse(store: KeyStore): Boolean {
        val key = store.getKey(alias, null) as? PrivateKey ?: return false
        return Keystore.authenticatesEveryUse(key)
    }

    private fun cryptoObjectFor(agreement: KeyAgreement): BiometricPrompt.CryptoObject {
        val constructor = keyAgreementCryptoObject ?: throw unsupported()
        return try {
            constructor.newInstance(agreement)
        } catch (e: ReflectiveOperationException) {
            throw unsupported()
        }
    }

    private fun unsupported() =
        HostException.Unavailable(
            "this device's biometric prompt cannot authorise a single key agreement " +
                "(BiometricPrompt.CryptoObject(KeyAgreement)); use KeystoreSecureArea",
        )

    companion object {
        /** The Keystore alias of the unlock key unless the app picks another. */
        const val DEFAULT_ALIAS = "netid.unlock"

        /**
         * `BiometricPrompt.CryptoObject(KeyAgreement)` where the platform has it. Called by
         * reflection while the library compiles against API 34; replace with the direct call once
         * compileSdk includes it.
         */
        private val keyAgreementCryptoObject: java.lang.reflect.Constructor<BiometricPrompt.CryptoObject>? by lazy {
            try {
                BiometricPrompt.CryptoObject::class.java.getConstructor(KeyAgreement::class.java)
            } catch (e: ReflectiveOperationException) {
                null
            }
        }

        /**
         * Whether this device can hold the unlock key with an authentication for every agreement:
         * a Keystore key agreement (API 31+) and a biometric prompt that authorises one agreement
         * (`BiometricPrompt.CryptoObject(KeyAgreement)`). Where it is `false`, use
         * [KeystoreSecureArea].
         */
        @JvmStatic
        val isSupported: Boolean
            get() = Build.VERSION.SDK_INT >= Build.VERSION_CODES.S && keyAgreementCryptoObject != null

        private const val AGREEMENT = "ECDH"
        private const val SECRET_LENGTH = 32
    }
}
