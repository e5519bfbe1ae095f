import CryptoKit
import DeviceCheck
import Foundation
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// App Attest evidence for new holder keys (`KeyEvidence.appleAppAttest`), for
/// `SecureEnclaveSecureArea(appAttest:)`. Reviewed, not compiled, on the CI machine (no Swift
/// toolchain there). An issuer verifies it with Apple's App Attest rules (netid-core's
/// `attestation::apple`, once its policy names Apple's root and the app id; docs/SECURITY.md §2).
///
/// App Attest does not attest a Secure Enclave key itself: it attests the *app* (an App Attest key
/// made by `DCAppAttestService`, certified by Apple once by `attestKey`) and then signs assertions
/// with that key. So the evidence for a holder key is an assertion over
/// `clientDataHash = SHA-256(holder public key (SEC1) || challenge)`: this genuine app, on this
/// device, vouches for this holder key in answer to this enrolment's nonce. The App Attest key is
/// made and attested once per installation; its id, attestation object and the clientDataHash the
/// attestation was made over (the first enrolment's; no secret) are kept in `UserDefaults` and
/// sent with every assertion, so an issuer that keeps no state can check both: the attestation's
/// nonce against that hash, the assertion against the hash it computes itself.
///
/// Evidence encoding (JSON, UTF-8, docs/FORMAT.md §14): `{"key_id": base64, "attestation":
/// base64, "attestation_client_data_hash": base64, "assertion": base64, "client_data_hash":
/// base64}` (standard base64 with padding, as `JSONEncoder` writes `Data`). `evidence(...)`
/// returns `nil` where App Attest is not supported (Simulator, extensions, old devices) or fails
/// (e.g. no network for the first `attestKey`): the key is then enrolled without evidence, and an
/// issuer requiring verified hardware refuses it — a failure here never blocks enrolment by
/// itself.
public final class AppAttestEvidence: @unchecked Sendable {
    private let defaults: UserDefaults
    private let storageKey: String
    private let lock = NSLock()

    public init(defaults: UserDefaults = .standard, storageKey: String = "io.netid.wallet.appattest") {
        self.defaults = defaults
        self.storageKey = storageKey
    }

    /// An entry stored before `attestationClientDataHash` existed does not decode: the
    /// installation then makes and attests a new App Attest key once.
    private struct Stored: Codable {
        var keyId: String
        var attestation: Data
        var attestationClientDataHash: Data
    }

    private struct Evidence: Codable {
        var key_id: String
        var attestation: Data
        var attestation_client_data_hash: Data
        var assertion: Data
        var client_data_hash: Data
    }

    /// The evidence for `publicKey` answering `challenge`, or `nil` (see the type's comment).
    public func evidence(publicKey: Data, challenge: Data) async -> Data? {
        let service = DCAppAttestService.shared
        guard service.isSupported else { return nil }
        let clientDataHash = Data(SHA256.hash(data: publicKey + challenge))
        do {
            let stored = try await attestedKey(service: service, clientDataHash: clientDataHash)
            let assertion = try await service.generateAssertion(stored.keyId, clientDataHash: clientDataHash)
            return try JSONEncoder().encode(Evidence(
                key_id: stored.keyId,
                attestation: stored.attestation,
                attestation_client_data_hash: stored.attestationClientDataHash,
                assertion: assertion,
                client_data_hash: clientDataHash
            ))
        } catch {
            return nil
        }
    }

    /// The installation's attested App Attest key, made and attested on first use.
    private func attestedKey(service: DCAppAttestService, clientDataHash: Data) async throws -> Stored {
        if let stored = load() { return stored }
        let keyId = try await service.generateKey()
        let attestation = try await service.attestKey(keyId, clientDataHash: clientDataHash)
        let stored = Stored(keyId: keyId, attestation: attestation, attestationClientDataHash: clientDataHash)
        save(stored)
        return stored
    }

    private func load() -> Stored? {
        lock.lock()
        defer { lock.unlock() }
        guard let data = defaults.data(forKey: storageKey) else { return nil }
        return try? JSONDecoder().decode(Stored.self, from: data)
    }

    private func save(_ stored: Stored) {
        lock.lock()
        defer { lock.unlock() }
        if let data = try? JSONEncoder().encode(stored) {
            defaults.set(data, forKey: storageKey)
        }
    }
}
