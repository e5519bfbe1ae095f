import Foundation
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

// Every case of the generated error enums carries these values; these read them without a
// `switch` over every case. They only read the error and decide nothing.

extension WalletError {
    /// The step to offer the person for any `WalletError`.
    public var nextStep: NextStep {
        switch self {
        case let .locked(_, step),
             let .pinRequired(_, step),
             let .wrongPin(_, _, step),
             let .lockedOut(_, _, step),
             let .cancelled(_, step),
             let .notRecognised(_, _, step),
             let .biometricsNotEnrolled(_, step),
             let .systemLockedOut(_, step),
             let .holderKeyInvalidated(_, step),
             let .authenticatorInvalidated(_, step),
             let .hostMisbehaved(_, step),
             let .hostUnavailable(_, step),
             let .keyUnavailable(_, step),
             let .storeDamaged(_, step),
             let .storageFailed(_, step),
             let .noSuchDocument(_, step),
             let .credentialRefused(_, step),
             let .poolEmpty(_, step),
             let .requestRefused(_, _, step),
             let .requestRequired(_, step),
             let .busy(_, step),
             let .invalidInput(_, step),
             let .`internal`(_, step):
            return step
        }
    }

    /// The English sentence explaining any `WalletError`, for logs and support; never personal data.
    public var reason: String {
        switch self {
        case let .locked(text, _),
             let .pinRequired(text, _),
             let .wrongPin(_, text, _),
             let .lockedOut(_, text, _),
             let .cancelled(text, _),
             let .notRecognised(_, text, _),
             let .biometricsNotEnrolled(text, _),
             let .systemLockedOut(text, _),
             let .holderKeyInvalidated(text, _),
             let .authenticatorInvalidated(text, _),
             let .hostMisbehaved(text, _),
             let .hostUnavailable(text, _),
             let .keyUnavailable(text, _),
             let .storeDamaged(text, _),
             let .storageFailed(text, _),
             let .noSuchDocument(text, _),
             let .credentialRefused(text, _),
             let .poolEmpty(text, _),
             let .requestRefused(_, text, _),
             let .requestRequired(text, _),
             let .busy(text, _),
             let .invalidInput(text, _),
             let .`internal`(text, _):
            return text
        }
    }
}

extension VerifyError {
    /// The English sentence for the clerk explaining any `VerifyError`; never personal data.
    public var reason: String {
        switch self {
        case let .malformed(text),
             let .unknownIssuer(text),
             let .badIssuerSignature(text),
             let .badHolderSignature(text),
             let .disclosureMismatch(text),
             let .expired(text),
             let .notYetValid(text),
             let .issuedInFuture(text),
             let .replayed(text),
             let .replayCacheFull(text),
             let .wrongAudience(text),
             let .nonceMismatch(text),
             let .policyUnmet(text),
             let .credentialExpired(text),
             let .revoked(text),
             let .suspended(text),
             let .statusUnavailable(text),
             let .statusStale(_, text),
             let .requestRequired(text),
             let .requestExpired(text),
             let .invalidConfiguration(text):
            return text
        }
    }
}

/// The kind of a `WalletError` without its payload: `error.code` is `.wrongPin` for any
/// `.wrongPin(attemptsLeft:reason:nextStep:)`. For comparing (`error.code == .busy`), counting
/// kinds in analytics or tests (`CaseIterable`) and switching without payload patterns. The raw
/// value is the error's stable kind, the key of its message in the string tables
/// (`wallet-error-<kind>`).
public enum WalletErrorCode: String, Sendable, CaseIterable {
    case locked, pinRequired = "pin-required", wrongPin = "wrong-pin", lockedOut = "locked-out"
    case cancelled, notRecognised = "not-recognised"
    case biometricsNotEnrolled = "biometrics-not-enrolled", systemLockedOut = "system-locked-out"
    case holderKeyInvalidated = "holder-key-invalidated"
    case authenticatorInvalidated = "authenticator-invalidated", hostMisbehaved = "host-misbehaved"
    case hostUnavailable = "host-unavailable", keyUnavailable = "key-unavailable"
    case storeDamaged = "store-damaged", storageFailed = "storage-failed"
    case noSuchDocument = "no-such-document", credentialRefused = "credential-refused"
    case poolEmpty = "pool-empty", busy, requestRefused = "request-refused"
    case requestRequired = "request-required", invalidInput = "invalid-input", `internal`
}

extension WalletError: @retroactive LocalizedError {
    /// This error's kind, without its payload.
    public var code: WalletErrorCode {
        switch self {
        case .locked: return .locked
        case .pinRequired: return .pinRequired
        case .wrongPin: return .wrongPin
        case .lockedOut: return .lockedOut
        case .cancelled: return .cancelled
        case .notRecognised: return .notRecognised
        case .biometricsNotEnrolled: return .biometricsNotEnrolled
        case .systemLockedOut: return .systemLockedOut
        case .holderKeyInvalidated: return .holderKeyInvalidated
        case .authenticatorInvalidated: return .authenticatorInvalidated
        case .hostMisbehaved: return .hostMisbehaved
        case .hostUnavailable: return .hostUnavailable
        case .keyUnavailable: return .keyUnavailable
        case .storeDamaged: return .storeDamaged
        case .storageFailed: return .storageFailed
        case .noSuchDocument: return .noSuchDocument
        case .credentialRefused: return .credentialRefused
        case .poolEmpty: return .poolEmpty
        case .requestRefused: return .requestRefused
        case .requestRequired: return .requestRequired
        case .busy: return .busy
        case .invalidInput: return .invalidInput
        case .`internal`: return .`internal`
        }
    }

    /// `localizedDescription`: one sentence for the person, in their language (the shared
    /// catalogue's `wallet-error-<kind>`, naming the next step), never a debug dump.
    public var errorDescription: String? {
        NetIDStrings.text("wallet-error-\(code.rawValue)")
    }
}

extension VerifyError: @retroactive LocalizedError {
    /// `localizedDescription`: the clerk's sentence for this refusal, in their language (the
    /// shared catalogue's `refusal-<kind>`).
    public var errorDescription: String? {
        let kind: String
        switch self {
        case .malformed: kind = "malformed"
        case .unknownIssuer: kind = "unknown-issuer"
        case .badIssuerSignature: kind = "bad-issuer-signature"
        case .badHolderSignature: kind = "bad-holder-signature"
        case .disclosureMismatch: kind = "disclosure-mismatch"
        case .expired: kind = "expired"
        case .notYetValid: kind = "not-yet-valid"
        case .issuedInFuture: kind = "issued-in-future"
        case .replayed: kind = "replayed"
        case .replayCacheFull: kind = "replay-cache-full"
        case .wrongAudience: kind = "wrong-audience"
        case .nonceMismatch: kind = "nonce-mismatch"
        case .policyUnmet: kind = "policy-unmet"
        case .credentialExpired: kind = "credential-expired"
        case .revoked: kind = "revoked"
        case .suspended: kind = "suspended"
        case .statusUnavailable: kind = "status-unavailable"
        case .statusStale: kind = "status-stale"
        case .requestRequired: kind = "request-required"
        case .requestExpired: kind = "request-expired"
        case .invalidConfiguration: kind = "invalid-configuration"
        }
        return NetIDStrings.text("refusal-\(kind)")
    }
}
