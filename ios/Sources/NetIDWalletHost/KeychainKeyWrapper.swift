import CryptoKit
import Foundation
import Security
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// Keeps one wallet's 32-byte data key at rest: AES-256-GCM (CryptoKit) under a random 256-bit key
/// kept as a keychain generic password (`service`, `account`) with
/// `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`. The wrapped form is
/// `version (1 byte) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, the version byte also authenticated.
///
/// Why a keychain key and not a Secure Enclave key with ECIES: the data key needs no user presence
/// (the wallet must open without a prompt; the holder keys carry the biometric gates), and a
/// `WhenUnlockedThisDeviceOnly` item already gives what is wanted here: it is readable only while
/// the device is unlocked (the phone-lock gate of docs/SECURITY.md), it is protected by a class key
/// the Secure Enclave keeps, and it is neither synced nor restored from a backup onto another
/// device. A Secure Enclave key would add no gate, and would not exist in the Simulator, where
/// developers create wallets.
///
/// Owns that one keychain item: use one `account` per wallet directory. It must never return bytes
/// that did not authenticate (a wrong key or altered blob throws), and never keep the data key;
/// `forget` deletes the item, after which nothing wrapped under it can be opened. (Wiping is best
/// effort in Swift: the caller's `Data` cannot be wiped from here, and the wrapping key lives in a
/// CryptoKit `SymmetricKey`, whose storage CryptoKit clears when it is freed.)
public final class KeychainKeyWrapper: KeyWrapper, @unchecked Sendable {
    private let service: String
    private let account: String
    private let lock = NSLock()

    private static let version: UInt8 = 1
    private static let associatedData = Data([version])
    private static let minimumLength = 1 + 12 + 16

    public init(account: String, service: String = "io.netid.wallet.data-key") {
        precondition(!account.isEmpty, "the keychain account must not be empty")
        self.service = service
        self.account = account
    }

    public func wrap(dataKey: Data) throws -> Data {
        let key = try keyForWrapping()
        let sealed: AES.GCM.SealedBox
        do {
            sealed = try AES.GCM.seal(dataKey, using: key, authenticating: Self.associatedData)
        } catch {
            throw HostError.unavailable(detail: "AES-GCM could not seal the data key")
        }
        guard let combined = sealed.combined else {
            throw HostError.unavailable(detail: "AES-GCM produced an unexpected nonce length")
        }
        return Data([Self.version]) + combined
    }

    public func unwrap(wrapped: Data) throws -> Data {
        guard wrapped.count >= Self.minimumLength, wrapped.first == Self.version else {
            throw HostError.unavailable(detail: "the wrapped data key has an unknown format")
        }
        guard let key = try locked({ try storedKey() }) else { throw HostError.keyNotFound }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(wrapped.dropFirst()))
            return try AES.GCM.open(box, using: key, authenticating: Self.associatedData)
        } catch CryptoKitError.authenticationFailure {
            // Not this key's blob (the item was replaced) or altered: the data key is out of reach.
            throw HostError.keyPermanentlyInvalidated
        } catch {
            throw HostError.unavailable(detail: "the wrapped data key could not be opened")
        }
    }

    public func forget(wrapped: Data) throws {
        let status = locked { SecItemDelete(baseQuery() as CFDictionary) }
        switch status {
        case errSecSuccess: return
        case errSecItemNotFound: throw HostError.keyNotFound
        default: throw SecureEnclave.keychainError(status, "deleting the data key's keychain item")
        }
    }

    // MARK: - Rollback anchors

    /// Anchors are generic-password items of their own service (`<service>.anchors`, account =
    /// the anchor's name), `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: outside the wallet
    /// directory, never synced, never restored from a backup onto this or another device, so an
    /// old copy of the directory put back is noticed.
    public func loadAnchor(name: String) throws -> Data? {
        var query = anchorQuery(name)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = locked { SecItemCopyMatching(query as CFDictionary, &item) }
        switch status {
        case errSecSuccess:
            guard let value = item as? Data else {
                throw HostError.unavailable(detail: "an anchor in the keychain is damaged")
            }
            return value
        case errSecItemNotFound:
            return nil
        default:
            throw SecureEnclave.keychainError(status, "reading a rollback anchor")
        }
    }

    public func saveAnchor(name: String, value: Data) throws {
        let status = locked { () -> OSStatus in
            let update = [kSecValueData as String: value] as CFDictionary
            let updated = SecItemUpdate(anchorQuery(name) as CFDictionary, update)
            guard updated == errSecItemNotFound else { return updated }
            var item = anchorQuery(name)
            item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
            item[kSecValueData as String] = value
            return SecItemAdd(item as CFDictionary, nil)
        }
        guard status == errSecSuccess else {
            throw SecureEnclave.keychainError(status, "saving a rollback anchor")
        }
    }

    public func forgetAnchor(name: String) throws {
        let status = locked { SecItemDelete(anchorQuery(name) as CFDictionary) }
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw SecureEnclave.keychainError(status, "deleting a rollback anchor")
        }
    }

    private func anchorQuery(_ name: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service + ".anchors",
            kSecAttrAccount as String: name,
        ]
    }

    // MARK: - Keychain

    private func keyForWrapping() throws -> SymmetricKey {
        try locked { () throws -> SymmetricKey in
            if let key = try storedKey() { return key }
            let key = SymmetricKey(size: .bits256)
            var raw = key.withUnsafeBytes { Data($0) }
            defer { raw.resetBytes(in: 0..<raw.count) }
            var item = baseQuery()
            item[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
            item[kSecValueData as String] = raw
            let status = SecItemAdd(item as CFDictionary, nil)
            switch status {
            case errSecSuccess:
                return key
            case errSecDuplicateItem:
                // Written by another process of this app meanwhile: use that one.
                guard let stored = try storedKey() else { throw HostError.keyNotFound }
                return stored
            default:
                throw SecureEnclave.keychainError(status, "storing the wrapping key")
            }
        }
    }

    private func storedKey() throws -> SymmetricKey? {
        var query = baseQuery()
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard var raw = item as? Data, raw.count == 32 else {
                throw HostError.unavailable(detail: "the wrapping key in the keychain is damaged")
            }
            defer { raw.resetBytes(in: 0..<raw.count) }
            return SymmetricKey(data: raw)
        case errSecItemNotFound:
            return nil
        default:
            throw SecureEnclave.keychainError(status, "reading the wrapping key")
        }
    }

    private func baseQuery() -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
        ]
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
