import Foundation
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

// Every case of the generated error enums carries these values; these read them without a
// `switch` over every case. They only read the error and decide nothing.

extension WalletError {
    /// The step to offer the person for any `WalletError`.
    public var nextStep: NextStep {
        switch self {
        case let .Locked(_, step),
             let .PinRequired(_, step),
             let .WrongPin(_, _, step),
             let .LockedOut(_, _, step),
             let .Cancelled(_, step),
             let .NotRecognised(_, _, step),
             let .BiometricsNotEnrolled(_, step),
             let .SystemLockedOut(_, step),
             let .HolderKeyInvalidated(_, step),
             let .AuthenticatorInvalidated(_, step),
             let .HostMisbehaved(_, step),
             let .HostUnavailable(_, step),
             let .KeyUnavailable(_, step),
             let .StoreDamaged(_, step),
             let .StorageFailed(_, step),
             let .NoSuchDocument(_, step),
             let .CredentialRefused(_, step),
             let .PoolEmpty(_, step),
             let .RequestRefused(_, _, step),
             let .RequestRequired(_, step),
             let .Busy(_, step),
             let .InvalidInput(_, step),
             let .Internal(_, step):
            return step
        }
    }

    /// The English sentence explaining any `WalletError`, for logs and support; never personal data.
    public var reason: String {
        switch self {
        case let .Locked(text, _),
             let .PinRequired(text, _),
             let .WrongPin(_, text, _),
             let .LockedOut(_, text, _),
             let .Cancelled(text, _),
             let .NotRecognised(_, text, _),
             let .BiometricsNotEnrolled(text, _),
             let .SystemLockedOut(text, _),
             let .HolderKeyInvalidated(text, _),
             let .AuthenticatorInvalidated(text, _),
             let .HostMisbehaved(text, _),
             let .HostUnavailable(text, _),
             let .KeyUnavailable(text, _),
             let .StoreDamaged(text, _),
             let .StorageFailed(text, _),
             let .NoSuchDocument(text, _),
             let .CredentialRefused(text, _),
             let .PoolEmpty(text, _),
             let .RequestRefused(_, text, _),
             let .RequestRequired(text, _),
             let .Busy(text, _),
             let .InvalidInput(text, _),
             let .Internal(text, _):
            return text
        }
    }
}

extension VerifyError {
    /// The English sentence for the clerk explaining any `VerifyError`; never personal data.
    public var reason: String {
        switch self {
        case let .Malformed(text),
             let .UnknownIssuer(text),
             let .BadIssuerSignature(text),
             let .BadHolderSignature(text),
             let .DisclosureMismatch(text),
             let .Expired(text),
             let .NotYetValid(text),
             let .IssuedInFuture(text),
             let .Replayed(text),
             let .ReplayCacheFull(text),
             let .WrongAudience(text),
             let .NonceMismatch(text),
             let .PolicyUnmet(text),
             let .CredentialExpired(text),
             let .Revoked(text),
             let .Suspended(text),
             let .StatusUnavailable(text),
             let .StatusStale(_, text),
             let .RequestRequired(text),
             let .RequestExpired(text),
             let .InvalidConfiguration(text):
            return text
        }
    }
}

/// Swift-named codes of `WalletError` (uniffi 0.32 generates the error's cases in Rust's
/// UpperCamelCase, `.WrongPin`): switch on `error.code` for `.wrongPin`, `.lockedOut`, … The raw
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
    /// This error's Swift-named code.
    public var code: WalletErrorCode {
        switch self {
        case .Locked: return .locked
        case .PinRequired: return .pinRequired
        case .WrongPin: return .wrongPin
        case .LockedOut: return .lockedOut
        case .Cancelled: return .cancelled
        case .NotRecognised: return .notRecognised
        case .BiometricsNotEnrolled: return .biometricsNotEnrolled
        case .SystemLockedOut: return .systemLockedOut
        case .HolderKeyInvalidated: return .holderKeyInvalidated
        case .AuthenticatorInvalidated: return .authenticatorInvalidated
        case .HostMisbehaved: return .hostMisbehaved
        case .HostUnavailable: return .hostUnavailable
        case .KeyUnavailable: return .keyUnavailable
        case .StoreDamaged: return .storeDamaged
        case .StorageFailed: return .storageFailed
        case .NoSuchDocument: return .noSuchDocument
        case .CredentialRefused: return .credentialRefused
        case .PoolEmpty: return .poolEmpty
        case .RequestRefused: return .requestRefused
        case .RequestRequired: return .requestRequired
        case .Busy: return .busy
        case .InvalidInput: return .invalidInput
        case .Internal: return .internal
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
        case .Malformed: kind = "malformed"
        case .UnknownIssuer: kind = "unknown-issuer"
        case .BadIssuerSignature: kind = "bad-issuer-signature"
        case .BadHolderSignature: kind = "bad-holder-signature"
        case .DisclosureMismatch: kind = "disclosure-mismatch"
        case .Expired: kind = "expired"
        case .NotYetValid: kind = "not-yet-valid"
        case .IssuedInFuture: kind = "issued-in-future"
        case .Replayed: kind = "replayed"
        case .ReplayCacheFull: kind = "replay-cache-full"
        case .WrongAudience: kind = "wrong-audience"
        case .NonceMismatch: kind = "nonce-mismatch"
        case .PolicyUnmet: kind = "policy-unmet"
        case .CredentialExpired: kind = "credential-expired"
        case .Revoked: kind = "revoked"
        case .Suspended: kind = "suspended"
        case .StatusUnavailable: kind = "status-unavailable"
        case .StatusStale: kind = "status-stale"
        case .RequestRequired: kind = "request-required"
        case .RequestExpired: kind = "request-expired"
        case .InvalidConfiguration: kind = "invalid-configuration"
        }
        return NetIDStrings.text("refusal-\(kind)")
    }
}
