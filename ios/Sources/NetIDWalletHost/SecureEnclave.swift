import Foundation
import LocalAuthentication
import Security
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// What the Secure Enclave host classes (`SecureEnclaveSecureArea`,
/// `LocalAuthenticationUserAuthenticator`) share: P-256 keys created in the Secure Enclave and found
/// by tag, one `LAContext` evaluated per operation and handed to the key (one Face ID / Touch ID
/// sheet, not two), and the mapping of `LAError` and `OSStatus` onto `HostError`.
///
/// It must never create a key that can leave the device or be used without the current biometric
/// set, never use a key without an evaluated context, and never copy an error's text into a
/// `HostError` (only its code).
enum SecureEnclave {
    /// Usable only inside the Secure Enclave (`.privateKeyUsage`), only after Face ID / Touch ID of
    /// the biometrics enrolled when the key was made (`.biometryCurrentSet`), and only while a
    /// device passcode is set. With `allowPasscode` (the wallet's passcode fallback, off by
    /// default) `.userPresence` instead: any enrolled biometric or the device passcode. Such a key
    /// is not invalidated by a biometric change: the passcode still opens it.
    static func accessControl(allowPasscode: Bool = false) throws -> SecAccessControl {
        var error: Unmanaged<CFError>?
        let flags: SecAccessControlCreateFlags = allowPasscode
            ? [.privateKeyUsage, .userPresence]
            : [.privateKeyUsage, .biometryCurrentSet]
        guard let access = SecAccessControlCreateWithFlags(
            kCFAllocatorDefault,
            kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly,
            flags,
            &error
        ) else {
            _ = error?.takeRetainedValue()
            throw HostError.unavailable(detail: "the access control for a Secure Enclave key could not be made")
        }
        return access
    }

    /// Throws `.notEnrolled` when no Face ID / Touch ID (or no passcode) is set up and
    /// `.unavailable` when biometry cannot be used; never prompts.
    static func checkBiometryAvailable(allowPasscode: Bool = false) throws {
        let context = LAContext()
        var error: NSError?
        let policy: LAPolicy = allowPasscode ? .deviceOwnerAuthentication : .deviceOwnerAuthenticationWithBiometrics
        if !context.canEvaluatePolicy(policy, error: &error) {
            throw hostError(from: error)
        }
    }

    /// Creates a permanent Secure Enclave P-256 key under `tag` (see `accessControl(allowPasscode:)`).
    static func createKey(tag: String, allowPasscode: Bool = false) throws -> SecKey {
        let access = try accessControl(allowPasscode: allowPasscode)
        let privateAttributes: [String: Any] = [
            kSecAttrIsPermanent as String: true,
            kSecAttrApplicationTag as String: Data(tag.utf8),
            kSecAttrAccessControl as String: access,
        ]
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: privateAttributes,
        ]
        var error: Unmanaged<CFError>?
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            let code = error.map { CFErrorGetCode($0.takeRetainedValue()) } ?? 0
            throw HostError.unavailable(detail: "the Secure Enclave could not create a key (error \(code))")
        }
        return key
    }

    /// The private key under `tag`, bound to `context` when given, or `nil` if there is none.
    static func findKey(tag: String, context: LAContext? = nil) throws -> SecKey? {
        var query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrKeyClass as String: kSecAttrKeyClassPrivate,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrApplicationTag as String: Data(tag.utf8),
            kSecReturnRef as String: true,
        ]
        if let context {
            query[kSecUseAuthenticationContext as String] = context
        }
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let item, CFGetTypeID(item) == SecKeyGetTypeID() else {
                throw HostError.unavailable(detail: "the keychain returned something that is not a key")
            }
            return (item as! SecKey)
        case errSecItemNotFound:
            return nil
        default:
            throw keychainError(status, "looking up a key")
        }
    }

    /// Deletes the private key under `tag`; `false` if there was none.
    static func deleteKey(tag: String) throws -> Bool {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrKeyClass as String: kSecAttrKeyClassPrivate,
            kSecAttrApplicationTag as String: Data(tag.utf8),
        ]
        let status = SecItemDelete(query as CFDictionary)
        switch status {
        case errSecSuccess: return true
        case errSecItemNotFound: return false
        default: throw keychainError(status, "deleting a key")
        }
    }

    /// The 65-byte uncompressed SEC1 public point of `privateKey` (`04 ‖ X ‖ Y`).
    static func publicKeyData(of privateKey: SecKey) throws -> Data {
        guard let publicKey = SecKeyCopyPublicKey(privateKey) else {
            throw HostError.unavailable(detail: "the Secure Enclave key has no public key")
        }
        var error: Unmanaged<CFError>?
        guard let data = SecKeyCopyExternalRepresentation(publicKey, &error) as Data? else {
            _ = error?.takeRetainedValue()
            throw HostError.unavailable(detail: "the public key could not be exported")
        }
        return data
    }

    /// A public key for a 65-byte uncompressed SEC1 P-256 point from the core.
    static func publicKey(fromSEC1 data: Data) throws -> SecKey {
        guard data.count == 65, data.first == 0x04 else {
            throw HostError.unavailable(detail: "the core sent a public key that is not an uncompressed P-256 point")
        }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeyClass as String: kSecAttrKeyClassPublic,
            kSecAttrKeySizeInBits as String: 256,
        ]
        var error: Unmanaged<CFError>?
        guard let key = SecKeyCreateWithData(data as CFData, attributes as CFDictionary, &error) else {
            _ = error?.takeRetainedValue()
            throw HostError.unavailable(detail: "the core sent a public key that is not a P-256 point")
        }
        return key
    }

    /// Shows Face ID / Touch ID once for `operation` on a key made with `accessControl()`, and
    /// returns the evaluated context: pass it to `findKey(tag:context:)` and the key operation runs
    /// without a second sheet. Cancelling the calling task (as `Wallet.cancelAuthentication()` does)
    /// dismisses the sheet. Invalidate the context when the operation is done.
    ///
    /// With `allowPasscode` (the wallet's policy allows the device passcode for this prompt) the
    /// sheet offers "Enter Passcode" (`.deviceOwnerAuthentication`); otherwise it is biometric only
    /// (no fallback button), whatever the key would accept.
    static func evaluate(
        _ operation: LAAccessControlOperation,
        reason: String,
        cancelTitle: String?,
        allowPasscode: Bool = false
    ) async throws -> LAContext {
        let box = ContextBox(LAContext())
        if !allowPasscode {
            box.context.localizedFallbackTitle = ""  // no "Enter Password": biometrics only
        }
        if let cancelTitle {
            box.context.localizedCancelTitle = cancelTitle
        }
        let access = try accessControl()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let reply: @Sendable (Bool, Error?) -> Void = { success, error in
                    if success {
                        continuation.resume()
                    } else {
                        continuation.resume(throwing: SecureEnclave.hostError(from: error))
                    }
                }
                if allowPasscode {
                    // Biometric or passcode; the evaluated context then satisfies a
                    // `.userPresence` key, which is what keys made with the fallback have.
                    box.context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: reason, reply: reply)
                } else {
                    box.context.evaluateAccessControl(access, operation: operation, localizedReason: reason, reply: reply)
                }
            }
        } onCancel: {
            box.context.invalidate()
        }
        return box.context
    }

    /// The outcome of a failed evaluation, per docs/SECURITY.md "iOS mapping".
    static func hostError(from error: Error?) -> HostError {
        guard let error = error as? LAError else {
            let code = (error as NSError?)?.code ?? 0
            return .unavailable(detail: "the biometric check failed (error \(code))")
        }
        switch error.code {
        case .userCancel, .appCancel, .systemCancel, .userFallback, .invalidContext:
            return .cancelled
        case .authenticationFailed:
            return .failed
        case .biometryNotEnrolled, .passcodeNotSet:
            return .notEnrolled
        case .biometryLockout:
            return .systemLockedOut
        case .biometryNotAvailable:
            return .unavailable(detail: "biometry is not available on this device")
        default:
            return .unavailable(detail: "the biometric check failed (LAError \(error.code.rawValue))")
        }
    }

    /// The outcome of a failed key operation (signature, key agreement) after the evaluation.
    /// `gone` is what a key the keychain no longer has (`errSecItemNotFound`) means: after a
    /// biometry change a `.biometryCurrentSet` key answers exactly that, so callers pass
    /// `.keyPermanentlyInvalidated` when `BiometryState.changed(since:)` says so.
    static func operationError(_ error: Unmanaged<CFError>?, what: String, gone: HostError = .keyNotFound) -> HostError {
        guard let cfError = error?.takeRetainedValue() else {
            return .unavailable(detail: "\(what) failed in the Secure Enclave")
        }
        let nsError = cfError as Error as NSError
        if nsError.domain == LAErrorDomain {
            return hostError(from: nsError)
        }
        if nsError.code == Int(errSecUserCanceled) {
            return .cancelled
        }
        if nsError.code == Int(errSecItemNotFound) {
            return gone
        }
        return .unavailable(detail: "\(what) failed in the Secure Enclave (error \(nsError.code))")
    }

    static func keychainError(_ status: OSStatus, _ what: String) -> HostError {
        if status == errSecInteractionNotAllowed {
            return .unavailable(detail: "\(what): the keychain is locked until the device is unlocked")
        }
        return .unavailable(detail: "\(what) failed in the keychain (OSStatus \(status))")
    }
}

/// Lets the cancellation handler (which may run on any thread) invalidate the context; `LAContext`
/// is documented as safe to invalidate from another thread.
private final class ContextBox: @unchecked Sendable {
    let context: LAContext
    init(_ context: LAContext) { self.context = context }
}

/// The enrolled biometrics' state hash recorded when a key was created, so a
/// `.biometryCurrentSet` key that became unusable after Face ID / Touch ID was re-enrolled (the
/// keychain then answers `errSecItemNotFound` for it) is reported as `.keyPermanentlyInvalidated`,
/// not as a missing key. Holds no secret: an opaque hash, kept in the keychain (this device only)
/// beside the key it describes.
///
/// iOS 18 deprecates `LAContext.evaluatedPolicyDomainState` for `domainState.biometry.stateHash`.
/// The two are not documented to hash the same way, so each record says which one made it (its
/// keychain service): a hash is only ever compared with a fresh hash from the same API. Records
/// made before iOS 18 keep being checked with the old property, which still works there.
enum BiometryState {
    /// Hashes from `evaluatedPolicyDomainState` (before iOS 18, and every record of earlier versions).
    private static let legacyService = "io.netid.wallet.biometry-state"
    /// Hashes from `domainState.biometry.stateHash` (iOS 18 and later).
    private static let domainStateService = "io.netid.wallet.biometry-state.v2"

    /// The current state hash from the API that `service` records, or `nil` when biometry cannot
    /// be evaluated now (none, locked out) or that API is missing.
    private static func current(for service: String) -> Data? {
        let context = LAContext()
        var error: NSError?
        guard context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &error) else {
            return nil
        }
        if service == domainStateService {
            if #available(iOS 18.0, macOS 15.0, *) {
                return context.domainState.biometry.stateHash
            }
            return nil
        }
        return legacyDomainState(context)
    }

    /// The deprecated property, read only for records it made.
    @available(iOS, deprecated: 18.0)
    @available(macOS, deprecated: 15.0)
    private static func legacyDomainState(_ context: LAContext) -> Data? {
        context.evaluatedPolicyDomainState
    }

    /// Where a new record goes on this OS.
    private static var currentService: String {
        if #available(iOS 18.0, macOS 15.0, *) {
            return domainStateService
        }
        return legacyService
    }

    /// Records the current state for the key under `tag`.
    static func record(for tag: String) {
        forget(tag)
        let service = currentService
        guard let state = current(for: service) else { return }
        let item: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: tag,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: state,
        ]
        _ = SecItemAdd(item as CFDictionary, nil)
    }

    /// Whether the enrolled biometrics changed since the key under `tag` was created (`false`
    /// when either state is unknown).
    static func changed(since tag: String) -> Bool {
        for service in [domainStateService, legacyService] {
            guard let recorded = stored(service: service, tag: tag) else { continue }
            guard let now = current(for: service) else { return false }
            return recorded != now
        }
        return false
    }

    private static func stored(service: String, tag: String) -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: tag,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess else { return nil }
        return item as? Data
    }

    static func forget(_ tag: String) {
        for service in [domainStateService, legacyService] {
            let query: [String: Any] = [
                kSecClass as String: kSecClassGenericPassword,
                kSecAttrService as String: service,
                kSecAttrAccount as String: tag,
            ]
            _ = SecItemDelete(query as CFDictionary)
        }
    }
}
