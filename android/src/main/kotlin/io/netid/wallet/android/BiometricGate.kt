package io.netid.wallet.android

import android.app.KeyguardManager
import android.content.Context
import android.hardware.biometrics.BiometricManager
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.os.CancellationSignal
import io.netid.wallet.HostException
import io.netid.wallet.PromptReason
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

/**
 * Shows the system biometric prompt (the framework `android.hardware.biometrics.BiometricPrompt`,
 * class 3 "strong" biometrics only) for one key-store operation, and turns its outcome into a
 * [HostException]. Shared by [KeystoreSecureArea] and [BiometricUserAuthenticator].
 *
 * Owns the prompt's life: shown on the main thread, dismissed (through a [CancellationSignal]) when
 * the calling coroutine is cancelled, which is what `Wallet.cancelAuthentication()` does to a host
 * call in flight; and the mapping of the prompt's errors. It must never report success without the
 * system's `onAuthenticationSucceeded`, never offer the device PIN or pattern instead unless the
 * wallet's policy allows it for this prompt (`allowDeviceCredential`: the resident's passcode
 * fallback, off by default, Android 11+), and never put anything but [PromptText] in the prompt.
 *
 * The app must declare `android.permission.USE_BIOMETRIC` in its manifest. The prompt is shown only
 * while the app is in the foreground; [context] may be any context (only its application context
 * is kept).
 */
class BiometricGate @JvmOverloads constructor(
    context: Context,
    private val text: PromptText = PromptText.ENGLISH,
) {
    private val context: Context = context.applicationContext ?: context

    /**
     * Throws [HostException.NotEnrolled] when no strong biometric (or, before Android 10, no
     * secure lock screen) is set up, and [HostException.Unavailable] when the hardware cannot be
     * used. Never prompts. Called before creating a key bound to biometrics.
     */
    fun checkAvailable(allowDeviceCredential: Boolean = false) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.Q) {
            val keyguard = context.getSystemService(KeyguardManager::class.java)
            if (keyguard == null || !keyguard.isDeviceSecure) throw HostException.NotEnrolled()
            return
        }
        val manager = context.getSystemService(BiometricManager::class.java)
            ?: throw HostException.Unavailable("this device has no biometric service")
        val status = try {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                manager.canAuthenticate(authenticators(allowDeviceCredential))
            } else {
                @Suppress("DEPRECATION")
                manager.canAuthenticate()
            }
        } catch (e: SecurityException) {
            throw missingPermission()
        }
        when (status) {
            BiometricManager.BIOMETRIC_SUCCESS -> Unit
            BiometricManager.BIOMETRIC_ERROR_NONE_ENROLLED -> throw HostException.NotEnrolled()
            else -> throw HostException.Unavailable("strong biometrics cannot be used on this device (status $status)")
        }
    }

    /**
     * Shows the prompt for [reason] and returns once the person was verified. With [crypto] the
     * success unlocks exactly that operation (keys that need an authentication for every use);
     * without, it refreshes the key store's authentication time (keys usable for some seconds).
     */
    suspend fun authenticate(
        reason: PromptReason,
        crypto: BiometricPrompt.CryptoObject?,
        allowDeviceCredential: Boolean = false,
    ) {
        // The passcode fallback needs Android 11's setAllowedAuthenticators; below, biometric only.
        val withCredential = allowDeviceCredential && Build.VERSION.SDK_INT >= Build.VERSION_CODES.R
        val copy = text.copyFor(reason)
        val executor = context.mainExecutor
        suspendCancellableCoroutine { continuation ->
            // Every callback below runs on the main thread (executor), so this needs no lock.
            var failedAttempts = 0
            fun finish(error: HostException?) {
                if (!continuation.isActive) return
                if (error == null) continuation.resume(Unit) else continuation.resumeWithException(error)
            }
            val callback = object : BiometricPrompt.AuthenticationCallback() {
                override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) = finish(null)

                // Not terminal: the prompt stays up and the person may try again.
                override fun onAuthenticationFailed() {
                    failedAttempts += 1
                }

                override fun onAuthenticationError(errorCode: Int, errString: CharSequence?) =
                    finish(outcomeOf(errorCode, failedAttempts))
            }
            val signal = CancellationSignal()
            continuation.invokeOnCancellation { signal.cancel() }
            executor.execute {
                try {
                    val builder = BiometricPrompt.Builder(context).setTitle(copy.title)
                    if (!withCredential) {
                        // The framework reports the negative button only to this listener, not
                        // to onAuthenticationError. With the device credential allowed the
                        // framework forbids a negative button (its "use PIN" takes that place).
                        builder.setNegativeButton(copy.cancel, executor) { _, _ ->
                            finish(if (failedAttempts > 0) HostException.Failed() else HostException.Cancelled())
                        }
                    }
                    copy.subtitle?.let { builder.setSubtitle(it) }
                    copy.description?.let { builder.setDescription(it) }
                    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                        builder.setAllowedAuthenticators(authenticators(withCredential))
                    }
                    val prompt = builder.build()
                    if (crypto != null) {
                        prompt.authenticate(crypto, signal, executor, callback)
                    } else {
                        prompt.authenticate(signal, executor, callback)
                    }
                } catch (e: SecurityException) {
                    finish(missingPermission())
                } catch (e: IllegalArgumentException) {
                    finish(HostException.Unavailable("the biometric prompt could not be shown"))
                } catch (e: IllegalStateException) {
                    finish(HostException.Unavailable("the biometric prompt could not be shown"))
                }
            }
        }
    }

    /** `BIOMETRIC_STRONG`, or `BIOMETRIC_STRONG | DEVICE_CREDENTIAL` where the policy allows it. */
    private fun authenticators(allowDeviceCredential: Boolean): Int =
        if (allowDeviceCredential) {
            BiometricManager.Authenticators.BIOMETRIC_STRONG or BiometricManager.Authenticators.DEVICE_CREDENTIAL
        } else {
            BiometricManager.Authenticators.BIOMETRIC_STRONG
        }

    private fun missingPermission() =
        HostException.Unavailable("the app does not declare android.permission.USE_BIOMETRIC")

    internal companion object {
        // The framework's BIOMETRIC_ERROR_* values (public API, BiometricPrompt). Spelled out
        // because they are declared on a hidden interface in the framework sources that the compile
        // check builds against; the values are part of the public API and never change.
        private const val ERROR_HW_UNAVAILABLE = 1
        private const val ERROR_TIMEOUT = 3
        private const val ERROR_CANCELED = 5
        private const val ERROR_LOCKOUT = 7
        private const val ERROR_LOCKOUT_PERMANENT = 9
        private const val ERROR_USER_CANCELED = 10
        private const val ERROR_NO_BIOMETRICS = 11
        private const val ERROR_HW_NOT_PRESENT = 12
        private const val ERROR_NEGATIVE_BUTTON = 13
        private const val ERROR_NO_DEVICE_CREDENTIAL = 14
        private const val ERROR_SECURITY_UPDATE_REQUIRED = 15

        /**
         * The outcome of a prompt that ended with [errorCode] after [failedAttempts] unrecognised
         * biometrics: an ended prompt with at least one failure counts as one `Failed` (unless the
         * OS locked biometrics), so the core's lockout counts it (docs/SECURITY.md).
         */
        fun outcomeOf(errorCode: Int, failedAttempts: Int): HostException = when (errorCode) {
            ERROR_LOCKOUT, ERROR_LOCKOUT_PERMANENT -> HostException.SystemLockedOut()
            ERROR_NO_BIOMETRICS, ERROR_NO_DEVICE_CREDENTIAL -> HostException.NotEnrolled()
            ERROR_HW_UNAVAILABLE, ERROR_HW_NOT_PRESENT, ERROR_SECURITY_UPDATE_REQUIRED ->
                HostException.Unavailable("biometric hardware unavailable (error $errorCode)")
            else -> when {
                failedAttempts > 0 -> HostException.Failed()
                errorCode == ERROR_USER_CANCELED || errorCode == ERROR_NEGATIVE_BUTTON ||
                    errorCode == ERROR_CANCELED || errorCode == ERROR_TIMEOUT -> HostException.Cancelled()
                else -> HostException.Unavailable("the biometric prompt ended with error $errorCode")
            }
        }
    }
}
