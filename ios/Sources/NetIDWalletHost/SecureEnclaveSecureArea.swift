import Foundation
import LocalAuthentication
import Security
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// Hardware holder keys for `HolderKeys.secureArea(area:)`: P-256 keys in the Secure Enclave,
/// tagged `tagPrefix + alias`, usable only after Face ID / Touch ID of the currently enrolled
/// biometrics (`.biometryCurrentSet` + `.privateKeyUsage`, and only while a passcode is set). When
/// the face or fingers enrolled change, such a key is gone for good: the keychain answers
/// `errSecItemNotFound`, which this class reports as `.keyPermanentlyInvalidated` (the wallet says
/// `.holderKeyInvalidated`: enrol that document again) when the biometry state recorded at creation
/// differs, else `.keyNotFound`. Where the wallet's options allow the device passcode
/// (`allowDeviceCredential`), keys are made with `.userPresence` and the sheet offers the passcode
/// only for the prompts the wallet allows it for. A
/// signature is `SecKeyCreateSignature(.ecdsaSignatureMessageX962SHA256)`: SHA-256 over the exact
/// message, DER-encoded, as the core expects; one `LAContext` is evaluated and handed to the key, so
/// the person sees one sheet per signature.
///
/// Every signature asks, whatever the key's `KeyPolicy`: `within` keys are treated as
/// `everyUse`, which is stricter (the core asks for a signature only when its own gate needs a fresh
/// authentication, so this adds no prompt to the default policy).
///
/// `createKey` reports `.secureEnclave` and, when given a challenge (the issuer's enrolment nonce)
/// and an `AppAttestEvidence`, App Attest evidence over the new key and the challenge
/// (`KeyEvidence.appleAppAttest`); otherwise `.noEvidence`.
///
/// Owns the keychain keys under `tagPrefix`. It must never replace a key (`createKey` on a taken
/// alias throws `.keyExists`), never sign without an evaluated context, and never pre-hash. The
/// Secure Enclave does not exist in the Simulator: there `createKey` throws `.unavailable`.
public final class SecureEnclaveSecureArea: SecureArea, @unchecked Sendable {
    private let tagPrefix: String
    private let text: PromptText
    private let appAttest: AppAttestEvidence?
    /// Serialises creation and deletion, so a check for a taken alias stays true until the key exists.
    private let lock = NSLock()

    public init(
        tagPrefix: String = "io.netid.wallet.holder.",
        text: PromptText = .english,
        appAttest: AppAttestEvidence? = nil
    ) {
        self.tagPrefix = tagPrefix
        self.text = text
        self.appAttest = appAttest
    }

    public func createKey(
        alias: String, policy: KeyPolicy, allowDeviceCredential: Bool, challenge: Data
    ) async throws -> CreatedKey {
        let publicKey = try create(tag: tagPrefix + alias, allowPasscode: allowDeviceCredential)
        var evidence = KeyEvidence.noEvidence
        if !challenge.isEmpty, let appAttest,
           let attested = await appAttest.evidence(publicKey: publicKey, challenge: challenge) {
            evidence = .appleAppAttest(evidence: attested)
        }
        return CreatedKey(publicKey: publicKey, securityLevel: .secureEnclave, evidence: evidence)
    }

    public func publicKey(alias: String) async throws -> Data {
        let tag = tagPrefix + alias
        guard let key = try SecureEnclave.findKey(tag: tag) else { throw missing(tag) }
        return try SecureEnclave.publicKeyData(of: key)
    }

    public func sign(alias: String, message: Data, reason: PromptReason, allowDeviceCredential: Bool) async throws -> Data {
        let tag = tagPrefix + alias
        // Say so before showing a sheet for a key that cannot sign any more.
        guard try SecureEnclave.findKey(tag: tag) != nil else { throw missing(tag) }
        if BiometryState.changed(since: tag) { throw HostError.keyPermanentlyInvalidated }
        let context = try await SecureEnclave.evaluate(
            .useKeySign,
            reason: text.reasonText(reason),
            cancelTitle: text.cancelTitle,
            allowPasscode: allowDeviceCredential
        )
        defer { context.invalidate() }
        guard let key = try SecureEnclave.findKey(tag: tag, context: context) else { throw missing(tag) }
        var error: Unmanaged<CFError>?
        guard let signature = SecKeyCreateSignature(
            key, .ecdsaSignatureMessageX962SHA256, message as CFData, &error
        ) as Data? else {
            throw SecureEnclave.operationError(error, what: "signing", gone: missing(tag))
        }
        return signature
    }

    public func deleteKey(alias: String) async throws {
        try delete(tag: tagPrefix + alias)
    }

    private func create(tag: String, allowPasscode: Bool) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if try SecureEnclave.findKey(tag: tag) != nil { throw HostError.keyExists }
        try SecureEnclave.checkBiometryAvailable(allowPasscode: allowPasscode)
        let key = try SecureEnclave.createKey(tag: tag, allowPasscode: allowPasscode)
        // A `.userPresence` key survives a biometry change (the passcode still opens it): only a
        // biometry-bound key gets a state to compare against.
        if allowPasscode {
            BiometryState.forget(tag)
        } else {
            BiometryState.record(for: tag)
        }
        return try SecureEnclave.publicKeyData(of: key)
    }

    private func delete(tag: String) throws {
        lock.lock()
        defer { lock.unlock() }
        guard try SecureEnclave.deleteKey(tag: tag) else { throw HostError.keyNotFound }
        BiometryState.forget(tag)
    }

    /// A key that is gone: invalidated if biometrics changed since it was made, else never there.
    private func missing(_ tag: String) -> HostError {
        BiometryState.changed(since: tag) ? .keyPermanentlyInvalidated : .keyNotFound
    }
}
