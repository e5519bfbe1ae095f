import Foundation
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// The words of the Face ID / Touch ID sheet for each `PromptReason`, so an app can localise them,
/// for example `PromptText { reason in String(localized: "prompt.\(reason)") }`.
///
/// Owns only wording. It must never decide whether a prompt is shown (the core and the Secure
/// Enclave decide), and never hold personal data: the system shows the text, possibly over the
/// lock screen.
public struct PromptText: Sendable {
    /// The sentence under "Face ID" / "Touch ID" for a reason (`LAContext.localizedReason`); must
    /// not be empty.
    public let reasonText: @Sendable (PromptReason) -> String
    /// The cancel button's title, or `nil` for the system's.
    public let cancelTitle: String?

    public init(cancelTitle: String? = nil, reasonText: @escaping @Sendable (PromptReason) -> String) {
        self.cancelTitle = cancelTitle
        self.reasonText = reasonText
    }

    /// Plain English defaults.
    public static let english = PromptText { reason in
        switch reason {
        case .viewDetails: return "Confirm it's you to see this document's details."
        case .showQr: return "Confirm it's you to make a code for the counter."
        case .deleteDocument: return "Confirm it's you to delete this document from your wallet."
        case .exportLog: return "Confirm it's you to export your wallet's activity log."
        // Also the prompt of a refill (`Wallet.beginRefill`): one signature by the document's key
        // asks the issuer for a new batch of one-time codes.
        case .enrolment:
            return "Confirm it's you to add this document, or new one-time codes for it, to your wallet."
        }
    }
}
