// The app around docs/kotlin.md's snippets, for their compile check (scripts/kotlin_doc_snippets.py).
//
// Every name a snippet takes from "your app" (the wallet it opened, its issuer client, its screens)
// is declared here, so that the library's own names in the snippets — types, methods, fields,
// string resources — are checked against the real bindings, glue and android-all. Nothing of the
// library is declared here. The androidx names at the bottom stand in for androidx.activity and
// androidx.lifecycle (on Google's Maven repository, not Maven Central): their signatures follow
// androidx's, and they are checked only as far as the snippets use them.
@file:Suppress("unused", "UNUSED_PARAMETER")

package io.netid.docsnippets

import android.app.Activity
import android.app.Application
import android.content.Context
import android.widget.Button
import android.widget.ImageView
import android.widget.TextView
import io.netid.wallet.HolderKeys
import io.netid.wallet.KeyWrapper
import io.netid.wallet.NextStep
import io.netid.wallet.Presentation
import io.netid.wallet.TrustList
import io.netid.wallet.Verifier
import io.netid.wallet.Wallet
import io.netid.wallet.android.BiometricUserAuthenticator
import java.io.File
import kotlinx.coroutines.CoroutineScope

/** The issuer's API as an app would wrap it. */
interface IssuerApi {
    suspend fun requestNonce(): ByteArray
    suspend fun issue(proof: ByteArray): ByteArray
    suspend fun issueBatch(request: ByteArray): List<ByteArray>
    suspend fun revokeOldCredential()
}

abstract class DocSnippetContext {
    // What the app has.
    abstract val context: Context
    abstract val application: Application
    abstract val dir: File
    abstract val keyWrapper: KeyWrapper
    abstract val holderKeys: HolderKeys
    abstract val wallet: Wallet
    abstract val authenticator: BiometricUserAuthenticator
    abstract val issuerApi: IssuerApi
    abstract val trustListJson: String
    abstract val trust: TrustList
    abstract val verifier: Verifier
    abstract val documentId: String
    abstract val nonce: ByteArray
    abstract val challenge: ByteArray
    abstract val text: String
    abstract val scannedText: String
    abstract val certificateBytes: ByteArray
    abstract val counterPrivateKey: ByteArray
    abstract val pinOrNull: String?
    abstract val wait: java.time.Duration
    abstract val refreshButton: Button
    abstract val qrView: ImageView
    abstract val countdown: TextView

    fun getString(id: Int, vararg args: Any): String = context.getString(id, *args)
    fun registerActivityLifecycleCallbacks(callbacks: Application.ActivityLifecycleCallbacks) =
        application.registerActivityLifecycleCallbacks(callbacks)

    // The app's screens and messages.
    abstract fun log(message: String)
    abstract fun tell(message: String)
    abstract fun warn(message: String)
    abstract fun ask(message: String)
    abstract fun refuse(message: String)
    abstract fun show(vararg shown: Any?)
    abstract fun display(presentation: Presentation)
    abstract fun showOnScreen(qrText: String)
    abstract suspend fun askConsent(
        title: String,
        registeredBy: String,
        asks: List<String>,
        wholeCard: Boolean,
        keepsDays: Int,
    ): Boolean
    abstract fun showPinError(attemptsLeft: Any?)
    abstract fun showLockedOut(remaining: Any)
    abstract fun offerRetry()
    abstract fun offerRetryAfter(wait: Any)
    abstract fun openBiometricSettings()
    abstract fun startReEnrolment()
    abstract fun startUnlockSetUp()
    abstract fun unlockAgain()
    abstract fun refillWhenOnline()
    abstract fun scanCounterRequest()
    abstract fun warnForgedCounter()
    abstract fun showProblem(step: NextStep, reason: String)
}

// Stand-ins for androidx.activity.ComponentActivity and androidx.lifecycle (see the top).
open class ComponentActivity : Activity()

object Lifecycle {
    enum class State { DESTROYED, INITIALIZED, CREATED, STARTED, RESUMED }
}

val ComponentActivity.lifecycleScope: CoroutineScope
    get() = throw UnsupportedOperationException("compile check only")

suspend fun ComponentActivity.repeatOnLifecycle(
    state: Lifecycle.State,
    block: suspend CoroutineScope.() -> Unit,
): Unit = throw UnsupportedOperationException("compile check only")
