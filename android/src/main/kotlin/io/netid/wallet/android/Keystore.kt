package io.netid.wallet.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import io.netid.wallet.HostException
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.InvalidKeyException
import java.security.KeyFactory
import java.security.KeyStore
import java.security.PrivateKey
import java.security.ProviderException
import java.security.Signature
import kotlin.coroutines.cancellation.CancellationException

/**
 * What the three host classes share about the Android Keystore: opening it, StrongBox with a TEE
 * fallback, binding a key to a strong biometric, and turning key-store failures into
 * [HostException]s. It must never turn a failure into a success, and never copy an exception's
 * message into a [HostException] (it may name an alias or worse): only the exception's class name.
 */
internal object Keystore {
    const val PROVIDER = "AndroidKeyStore"

    fun open(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    fun hasStrongBox(context: Context): Boolean =
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    /**
     * Runs [generate] in StrongBox when the device has one, and again in the TEE if StrongBox
     * refuses the key (it supports fewer algorithms and sizes than the TEE).
     */
    fun <T> strongBoxOrTee(strongBox: Boolean, generate: (inStrongBox: Boolean) -> T): T {
        if (!strongBox) return generate(false)
        return try {
            generate(true)
        } catch (e: ProviderException) { // StrongBoxUnavailableException, or StrongBox refused the parameters
            generate(false)
        } catch (e: GeneralSecurityException) {
            generate(false)
        }
    }

    /**
     * [strongBoxOrTee], also telling where [generate] succeeded (`true`: StrongBox), so a fallback
     * to the TEE is reported rather than silent.
     */
    fun <T> strongBoxOrTeeReported(strongBox: Boolean, generate: (inStrongBox: Boolean) -> T): Pair<T, Boolean> {
        var inStrongBox = false
        val result = strongBoxOrTee(strongBox) { tryStrongBox -> generate(tryStrongBox).also { inStrongBox = tryStrongBox } }
        return result to inStrongBox
    }

    /**
     * Binds a key to a class 3 biometric: for every use when [timeoutSeconds] is 0, otherwise for
     * [timeoutSeconds] after a successful prompt. Invalidated when biometrics are re-enrolled.
     * With [allowDeviceCredential] (the wallet's passcode fallback, Android 11+ only) the device
     * PIN, pattern or password also releases it; below Android 11 the key stays biometric-only,
     * because "every use" keys there accept nothing but a biometric.
     */
    fun requireStrongBiometric(
        builder: KeyGenParameterSpec.Builder,
        timeoutSeconds: Int,
        allowDeviceCredential: Boolean = false,
    ): KeyGenParameterSpec.Builder {
        builder.setUserAuthenticationRequired(true).setInvalidatedByBiometricEnrollment(true)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            val authenticators = if (allowDeviceCredential) {
                KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL
            } else {
                KeyProperties.AUTH_BIOMETRIC_STRONG
            }
            builder.setUserAuthenticationParameters(timeoutSeconds, authenticators)
        } else {
            // Before Android 11, -1 means "every use" and only biometrics can satisfy that.
            @Suppress("DEPRECATION")
            builder.setUserAuthenticationValidityDurationSeconds(if (timeoutSeconds == 0) -1 else timeoutSeconds)
        }
        return builder
    }

    /**
     * Whether a [java.security.SignatureException] or [InvalidKeyException] from signing with the auth-bound
     * [key] stored under [alias] means only "the user has not authenticated (recently enough)",
     * so a new prompt and one retry can succeed.
     *
     * Why: the contract is that a time-bound key throws [UserNotAuthenticatedException] from
     * `initSign` when its window has passed, but some devices' Keystore implementations let
     * `initSign` pass and throw a plain `SignatureException` (wrapping a `KeyStoreException`
     * "Key user not authenticated") from `sign()`, or a plain `InvalidKeyException`, instead
     * (Android issue tracker b/282174161). Treating that as a fault would leave those residents
     * unable to present; treating it as "re-prompt" is safe only while the key can still be used
     * at all. So: the entry must still be in the Keystore, and a fresh `Signature.initSign` must
     * not throw [KeyPermanentlyInvalidatedException] (the one reliable signal of a key destroyed
     * by a biometric change, which is rethrown here and becomes `KeyPermanentlyInvalidated`).
     */
    fun isOnlyUnauthenticated(alias: String, key: PrivateKey): Boolean {
        if (!open().containsAlias(alias)) return false
        return try {
            Signature.getInstance("SHA256withECDSA").initSign(key)
            true
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw HostException.KeyPermanentlyInvalidated()
        } catch (e: UserNotAuthenticatedException) {
            true
        } catch (e: InvalidKeyException) {
            false
        }
    }

    /** Whether [key] needs its own authentication (a `CryptoObject`) for every operation. */
    fun authenticatesEveryUse(key: PrivateKey): Boolean {
        val info = KeyFactory.getInstance(key.algorithm, PROVIDER).getKeySpec(key, KeyInfo::class.java)
        return info.userAuthenticationValidityDurationSeconds <= 0
    }
}

/**
 * Runs a key-store [block] for [what] (a fixed phrase such as "signing") and maps what the key
 * store throws onto [HostException]; a [HostException] or a coroutine cancellation passes through.
 * Programming errors (a null, a bad cast) are left alone, so they reach the core as `Unexpected`.
 */
internal inline fun <T> hostCall(what: String, block: () -> T): T =
    try {
        block()
    } catch (e: HostException) {
        throw e
    } catch (e: CancellationException) {
        throw e
    } catch (e: KeyPermanentlyInvalidatedException) {
        // The OS destroyed the key (biometrics re-enrolled): the wallet decides which key that was
        // (a holder key -> re-enrol the document; the unlock key -> set the authenticator up again).
        throw HostException.KeyPermanentlyInvalidated()
    } catch (e: UserNotAuthenticatedException) {
        throw HostException.Unavailable("$what: the key store asked for a fresh authentication; try again")
    } catch (e: GeneralSecurityException) {
        throw HostException.Unavailable("$what failed in the key store (${e.javaClass.simpleName})")
    } catch (e: ProviderException) {
        throw HostException.Unavailable("$what failed in the key store (${e.javaClass.simpleName})")
    } catch (e: IOException) {
        throw HostException.Unavailable("$what failed: the key store could not be read (${e.javaClass.simpleName})")
    } catch (e: IllegalStateException) {
        throw HostException.Unavailable("$what failed in the key store (${e.javaClass.simpleName})")
    }
