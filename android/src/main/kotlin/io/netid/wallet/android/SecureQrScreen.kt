package io.netid.wallet.android

import android.app.Activity
import android.app.Application
import android.os.Bundle
import android.view.WindowManager
import io.netid.wallet.Wallet

/**
 * The secure screen around a shown code, for the activity that shows it: `FLAG_SECURE` (no
 * screenshots, no screen recording, a blank thumbnail in Recents) and full brightness (a counter's
 * scanner reads a bright screen first time) while the code shows. Call [start] when the QR screen
 * appears (`onStart`/`onResume`) and [stop] when it goes away; [stop] restores what it found.
 *
 * Owns only those two window settings. It never touches the wallet; locking on background is
 * [LockWhenBackgrounded]'s job.
 */
class SecureQrScreen(private val activity: Activity) {
    private var savedBrightness: Float? = null
    private var hadSecureFlag = false

    fun start() {
        val window = activity.window
        val attributes = window.attributes
        hadSecureFlag = attributes.flags and WindowManager.LayoutParams.FLAG_SECURE != 0
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        savedBrightness = attributes.screenBrightness
        attributes.screenBrightness = WindowManager.LayoutParams.BRIGHTNESS_OVERRIDE_FULL
        window.attributes = attributes
    }

    fun stop() {
        val window = activity.window
        if (!hadSecureFlag) window.clearFlags(WindowManager.LayoutParams.FLAG_SECURE)
        savedBrightness?.let { saved ->
            val attributes = window.attributes
            attributes.screenBrightness = saved
            window.attributes = attributes
        }
        savedBrightness = null
    }
}

/**
 * Locks [wallet] when the app goes to the background: when no activity of the app is started any
 * more (the last `onStop`), the keys and decrypted claims are wiped; the next code needs the gate
 * again. Register once, in `Application.onCreate`:
 *
 * ```kotlin
 * registerActivityLifecycleCallbacks(LockWhenBackgrounded(wallet))
 * ```
 *
 * Framework-only (no androidx dependency), so it works the same in every app.
 */
class LockWhenBackgrounded(private val wallet: Wallet) : Application.ActivityLifecycleCallbacks {
    private var started = 0

    override fun onActivityStarted(activity: Activity) {
        started++
    }

    override fun onActivityStopped(activity: Activity) {
        started = (started - 1).coerceAtLeast(0)
        // A configuration change (rotation) stops and restarts the activity: not a background.
        if (started == 0 && !activity.isChangingConfigurations) wallet.lock()
    }

    override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
    override fun onActivityResumed(activity: Activity) {}
    override fun onActivityPaused(activity: Activity) {}
    override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
    override fun onActivityDestroyed(activity: Activity) {}
}
