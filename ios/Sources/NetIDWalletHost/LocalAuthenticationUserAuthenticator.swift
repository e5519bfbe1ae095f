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
/// When Face ID / Touch ID was re-enrolled the old key is unusable: every call then throws
/// `.keyPermanentlyInvalidated` (the wallet says `.authenticatorInvalidated`, next step
/// `setUpAuthenticatorAgain`) until the app, having told the resident, calls `setUpAgain()`; the
/// next call makes a new unlock key and the holder keys sealed under the old one report
/// `.holderKeyInvalidated` (enrol those documents again). It never replaces the key on its own.
///
/// `allowDeviceCredential` makes the unlock key a `.userPresence` key (biometric or passcode);
/// pass `true` exactly when the wallet's `WalletOptions.deviceCredentialFor` is not empty. Each
/// sheet then offers the passcode only when its request allows it.
///
/// The Secure Enclave does not exist in the Simulator: there every call throws `.unavailable`.
public final class LocalAuthenticationUserAuthenticator: UserAuthenticator, @unchecked Sendable {
    private let tag: String
    private let text: PromptText
    private let allowDeviceCredential: Bool
    /// Serialises the check-then-create of the unlock key.
    private let lock = NSLock()

    public init(
        tag: String = "io.netid.wallet.unlock",
        text: PromptText = .english,
        allowDeviceCredential: Bool = false
    ) {
        self.tag = tag
        self.text = text
        self.allowDeviceCredential = allowDeviceCredential
    }

    /// Sets the authenticator up again after a biometry change (`.setUpAuthenticatorAgain`):
    /// deletes the invalidated unlock key, so the next call makes one bound to the biometrics
    /// enrolled now. The documents sealed under the old key must then be enrolled again.
    public func setUpAgain() throws {
        lock.lock()
        defer { lock.unlock() }
        _ = try SecureEnclave.deleteKey(tag: tag)
        BiometryState.forget(tag)
    }

    public func unlockPublicKey() async throws -> Data {
        try SecureEnclave.publicKeyData(of: currentOrNewKey())
    }

    public func authenticate(request: UnlockRequest) async throws -> UnlockGrant {
        // The request's policy is not used to skip the sheet: every grant follows an evaluation.
        let sealingKey = try SecureEnclave.publicKey(fromSEC1: request.sealingPublicKey)
        guard try SecureEnclave.findKey(tag: tag) != nil, !BiometryState.changed(since: tag) else {
            throw HostError.keyPermanentlyInvalidated
        }
        let context = try await SecureEnclave.evaluate(
            .useKeyKeyExchange,
            reason: text.reasonText(request.reason),
            cancelTitle: text.cancelTitle,
            allowPasscode: request.allowDeviceCredential && allowDeviceCredential
        )
        defer { context.invalidate() }
        guard let key = try SecureEnclave.findKey(tag: tag, context: context) else {
            throw HostError.keyPermanentlyInvalidated
        }
        var error: Unmanaged<CFError>?
        guard let secret = SecKeyCopyKeyExchangeResult(
            key, .ecdhKeyExchangeStandard, sealingKey, [:] as CFDictionary, &error
        ) as Data? else {
            throw SecureEnclave.operationError(
                error,
                what: "the key agreement",
                gone: HostError.keyPermanentlyInvalidated
            )
        }
        guard secret.count == 32 else {
            throw HostError.unavailable(detail: "the key agreement returned a secret of the wrong length")
        }
        return UnlockGrant(challenge: request.challenge, unlockSecret: secret)
    }

    /// The unlock key; a new one if there is none. One invalidated by a biometry change is
    /// reported (`.keyPermanentlyInvalidated`), not replaced: `setUpAgain()` does that.
    private func currentOrNewKey() throws -> SecKey {
        lock.lock()
        defer { lock.unlock() }
        if let existing = try SecureEnclave.findKey(tag: tag) {
            if BiometryState.changed(since: tag) {
                throw HostError.keyPermanentlyInvalidated
            }
            return existing
        }
        try SecureEnclave.checkBiometryAvailable(allowPasscode: allowDeviceCredential)
        let key = try SecureEnclave.createKey(tag: tag, allowPasscode: allowDeviceCredential)
        if allowDeviceCredential {
            BiometryState.forget(tag)
        } else {
            BiometryState.record(for: tag)
        }
        return key
    }
}
