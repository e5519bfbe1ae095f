package io.netid.wallet.android

import io.netid.wallet.PromptReason

/** The words of one biometric prompt: a title, optional subtitle and description, and the cancel button. */
data class PromptCopy(
    val title: CharSequence,
    val subtitle: CharSequence? = null,
    val description: CharSequence? = null,
    val cancel: CharSequence = "Cancel",
)

/**
 * The prompt's words for each [PromptReason], so an app can localise them (for example from its
 * string resources: `PromptText { reason -> PromptCopy(getString(R.string.x)) }`).
 *
 * Owns only wording. It must never decide whether a prompt is shown (the core and the key store
 * decide), and never put personal data (names, ID numbers) in the text: the system UI shows it,
 * possibly over the lock screen, and may log it.
 */
fun interface PromptText {
    /** The copy for a prompt shown because of [reason]. */
    fun copyFor(reason: PromptReason): PromptCopy

    companion object {
        /** Plain English defaults. */
        @JvmField
        val ENGLISH: PromptText = PromptText { reason ->
            when (reason) {
                PromptReason.VIEW_DETAILS -> PromptCopy(
                    title = "View your document",
                    description = "Confirm it's you to see this document's details.",
                )
                PromptReason.SHOW_QR -> PromptCopy(
                    title = "Show your ID code",
                    description = "Confirm it's you to make a code for the counter.",
                )
                PromptReason.DELETE_DOCUMENT -> PromptCopy(
                    title = "Delete document",
                    description = "Confirm it's you to delete this document from your wallet.",
                )
                PromptReason.EXPORT_LOG -> PromptCopy(
                    title = "Export activity",
                    description = "Confirm it's you to export your wallet's activity log.",
                )
                // Also the prompt of a refill (Wallet.beginRefill): one signature by the document's
                // key asks the issuer for a new batch of one-time codes.
                PromptReason.ENROLMENT -> PromptCopy(
                    title = "Add to your wallet",
                    description = "Confirm it's you to add this document, or new one-time codes for it, to your wallet.",
                )
            }
        }
    }
}
