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
