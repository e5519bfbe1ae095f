import Foundation
import LocalAuthentication
import Security
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// The unlock key for `HolderKeys.software(authenticator:)`: one P-256 key in the Secure Enclave,
/// usable only after Face ID / Touch ID of the currently enrolled biometrics (`.biometryCurrentSet`
/// + `.privateKeyUsage`). `authenticate(request:)` shows one Face ID / Touch ID sheet, then runs
/// the ECDH key agreement (`SecKeyCopyKeyExchangeResult`, `.ecdhKeyExchangeStandard`: the raw
/// 32-byte x-coordinate) between this key and the request's sealing key, with the same evaluated
/// `LAContext`, so the person is asked once. That secret opens one sealed holder key for one
/// signature.
///
/// Owns the keychain key tagged `tag`. It must never give out a secret without a successful
/// evaluation, never export the private key (the Secure Enclave cannot), and never keep the secret.
/// When Face ID / Touch ID was re-enrolled the old key is unusable: `unlockPublicKey()` replaces it,
/// so the core sees a new enrolment and reports the old holder keys as invalidated, and
/// `authenticate(request:)` throws `.KeyInvalidated` for them.
///
/// The Secure Enclave does not exist in the Simulator: there every call throws `.Unavailable`.
public final class LocalAuthenticationUserAuthenticator: UserAuthenticator, @unchecked Sendable {
    private let tag: String
    private let text: PromptText
    /// Serialises the check-then-create of the unlock key.
    private let lock = NSLock()

    public init(tag: String = "io.netid.wallet.unlock", text: PromptText = .english) {
        self.tag = tag
        self.text = text
    }

    public func unlockPublicKey() async throws -> Data {
        try SecureEnclave.publicKeyData(of: currentOrNewKey())
    }

    public func authenticate(request: UnlockRequest) async throws -> UnlockGrant {
        // The request's policy is not used to skip the sheet: every grant follows an evaluation.
        let sealingKey = try SecureEnclave.publicKey(fromSEC1: request.sealingPublicKey)
        guard try SecureEnclave.findKey(tag: tag) != nil, !BiometryState.changed(since: tag) else {
            throw HostError.KeyInvalidated
        }
        let context = try await SecureEnclave.evaluate(
            .useKeyKeyExchange,
            reason: text.reasonText(request.reason),
            cancelTitle: text.cancelTitle
        )
        defer { context.invalidate() }
        guard let key = try SecureEnclave.findKey(tag: tag, context: context) else {
            throw HostError.KeyInvalidated
        }
        var error: Unmanaged<CFError>?
        guard let secret = SecKeyCopyKeyExchangeResult(
            key, .ecdhKeyExchangeStandard, sealingKey, [:] as CFDictionary, &error
        ) as Data? else {
            throw SecureEnclave.operationError(error, what: "the key agreement")
        }
        guard secret.count == 32 else {
            throw HostError.Unavailable(detail: "the key agreement returned a secret of the wrong length")
        }
        return UnlockGrant(challenge: request.challenge, unlockSecret: secret)
    }

    /// The unlock key; a new one if there is none or biometrics were re-enrolled since it was made.
    private func currentOrNewKey() throws -> SecKey {
        lock.lock()
        defer { lock.unlock() }
        if let existing = try SecureEnclave.findKey(tag: tag) {
            if !BiometryState.changed(since: tag) {
                return existing
            }
            _ = try SecureEnclave.deleteKey(tag: tag)
        }
        try SecureEnclave.checkBiometryAvailable()
        let key = try SecureEnclave.createKey(tag: tag)
        BiometryState.record(for: tag)
        return key
    }
}
