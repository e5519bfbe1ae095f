//! The development issuer over FFI, for demos and tests only (cargo feature `dev-issuer`).
//!
//! It plays the issuer's side of an enrolment: hands out a challenge, checks the wallet's proof of
//! possession and the holder key's attestation against its policy (secure by default: the
//! enhanced grade needs an attested hardware key bound to user authentication; Android roots and
//! iOS App Attest roots and app ids are configured separately), and mints a
//! credential from a claims file (the same JSON as `netid issuer issue`), bound to the proven
//! holder key. Its key is random per object and never leaves it. This module
//! must never be compiled into what ships to residents: the Android and Swift bindings are
//! generated without the feature.

use std::sync::{Arc, Mutex};

use netid_core::attestation::apple::{check_app_id, client_data_hash};
use netid_core::attestation::testing::{
    AppAttestOptions, LeafOptions, TestAppAttestCa, TestAttestationCa,
};
use netid_core::attestation::{
    self as attestation, AppAttestPolicy, AttestationError, AttestationPolicy,
    AttestedEnrolmentError, TrustedRoots, issue_for_attested_proof,
};
use netid_core::credential::DocType;
use netid_core::issuer::{self, parse_claims_file};
use netid_core::time::{Clock, SystemClock};
use netid_core::wallet::{EnrolmentChallenge, issue_purpose_batch, verify_batch_request};

use netid_core::counter::{CounterRegistration, Registrar};
use netid_core::time::CivilDate;

use crate::counter::{CounterSigner, IssuedRequest};
use crate::host::KeySecurityLevel;
use crate::live::Live;
use crate::types::Purpose;
use crate::verifier::TrustList;

/// Why the development issuer refused.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum IssuerError {
    /// The claims file is not acceptable (unknown claim, bad ID number, missing field...).
    #[error("{reason}")]
    InvalidClaims { reason: String },
    /// The proof of possession does not answer the challenge or does not verify.
    #[error("{reason}")]
    ProofRefused { reason: String },
    /// An argument is not acceptable.
    #[error("{reason}")]
    InvalidInput { reason: String },
    /// The holder key's attestation does not satisfy the issuer's attestation policy for the
    /// credential's grade; `rule` names the check that failed.
    #[error("{reason}")]
    AttestationRefused {
        rule: AttestationRefusal,
        reason: String,
    },
}

/// Which attestation check refused a holder key (netid-core's `AttestationError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum AttestationRefusal {
    /// A certificate of the chain is not DER X.509.
    MalformedCertificate,
    /// A signature algorithm or key type the check does not support.
    UnsupportedAlgorithm,
    /// A certificate is not signed by the one above it.
    BrokenChain,
    /// The chain does not end in a configured root.
    UnknownRoot,
    /// A CA certificate is outside its validity.
    CertificateNotValidNow,
    /// The leaf has no KeyDescription.
    NoKeyDescription,
    /// A certificate above the leaf carries a KeyDescription.
    KeyDescriptionAboveLeaf,
    /// The KeyDescription does not parse.
    MalformedKeyDescription,
    /// The attestation challenge is not the enrolment nonce.
    WrongChallenge,
    /// The attested key is not the enrolled key.
    KeyMismatch,
    /// The key was imported, not generated in the keystore.
    NotGenerated,
    /// The host's claimed level differs from the attested one.
    LevelMismatch,
    /// The grade needs a hardware key.
    NotHardware,
    /// The grade needs a key bound to user authentication.
    NoUserAuthentication,
    /// Evidence this issuer cannot verify (iOS App Attest with no App Attest policy set) where
    /// verified hardware is needed.
    EvidenceNotVerifiable,
    /// iOS App Attest evidence breaks one of Apple's rules; the reason names which (an app id
    /// not in the policy, a development build the policy refuses, an assertion not over this key
    /// and nonce, ...). A chain under an unconfigured root is `UnknownRoot`.
    AppAttestRefused,
}

impl From<&AttestationError> for AttestationRefusal {
    fn from(error: &AttestationError) -> Self {
        match error {
            AttestationError::MalformedCertificate { .. } => Self::MalformedCertificate,
            AttestationError::UnsupportedAlgorithm { .. } => Self::UnsupportedAlgorithm,
            AttestationError::BrokenChain { .. } => Self::BrokenChain,
            AttestationError::UnknownRoot => Self::UnknownRoot,
            AttestationError::CertificateNotValidNow { .. } => Self::CertificateNotValidNow,
            AttestationError::NoKeyDescription => Self::NoKeyDescription,
            AttestationError::KeyDescriptionAboveLeaf { .. } => Self::KeyDescriptionAboveLeaf,
            AttestationError::MalformedKeyDescription(_) => Self::MalformedKeyDescription,
            AttestationError::WrongChallenge => Self::WrongChallenge,
            AttestationError::KeyMismatch => Self::KeyMismatch,
            AttestationError::NotGenerated => Self::NotGenerated,
            AttestationError::LevelMismatch { .. } => Self::LevelMismatch,
            AttestationError::NotHardware { .. } => Self::NotHardware,
            AttestationError::NoUserAuthentication => Self::NoUserAuthentication,
            AttestationError::EvidenceNotVerifiable => Self::EvidenceNotVerifiable,
            AttestationError::AppAttest(_) => Self::AppAttestRefused,
        }
    }
}

/// What a credential grade requires of the holder key (netid-core's `KeyRequirement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum KeyRequirement {
    /// Any key, software included (evidence that is sent is still checked).
    AnyKey,
    /// A TEE or StrongBox key, generated there and bound to user authentication, shown by a
    /// chain to a configured root.
    HardwareWithUserAuth,
}

impl From<KeyRequirement> for attestation::KeyRequirement {
    fn from(requirement: KeyRequirement) -> Self {
        match requirement {
            KeyRequirement::AnyKey => Self::AnyKey,
            KeyRequirement::HardwareWithUserAuth => Self::HardwareWithUserAuth,
        }
    }
}

/// A development issuer with a fresh random P-256 key.
#[derive(uniffi::Object)]
pub struct DevIssuer {
    issuer: issuer::DevIssuer,
    /// From construction the default policy (no roots: every Android chain refused as
    /// `UnknownRoot`; no App Attest: App Attest evidence not verifiable; enhanced grade: hardware
    /// and user authentication; basic: any key), until `set_attestation_policy` replaces its
    /// Android roots and requirements, or `set_app_attest_policy` its App Attest part.
    attestation: Mutex<AttestationPolicy>,
    _live: Live,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer_id", &self.issuer.issuer_id())
            .finish_non_exhaustive()
    }
}

/// How long the trust list of a development issuer trusts its key: a day back, ten years on.
const TRUST_BACK_SECONDS: i64 = 86_400;
const TRUST_AHEAD_SECONDS: i64 = 10 * 365 * 86_400;

#[uniffi::export]
impl DevIssuer {
    /// A development issuer signing as `issuer_id` (1 to 256 bytes).
    #[uniffi::constructor]
    pub fn new(issuer_id: String) -> Result<Arc<Self>, IssuerError> {
        if issuer_id.is_empty() || issuer_id.len() > 256 {
            return Err(IssuerError::InvalidInput {
                reason: "the issuer id must be 1 to 256 bytes".to_owned(),
            });
        }
        let mut kid = [0u8; 8];
        getrandom_kid(&mut kid);
        Ok(Arc::new(Self {
            issuer: issuer::DevIssuer::generate(&issuer_id, &kid),
            attestation: Mutex::new(AttestationPolicy::new(TrustedRoots::new())),
            _live: Live::new(),
        }))
    }

    /// Replaces the attestation policy's Android roots and requirements: Android chains must end
    /// in one of `roots` (DER certificates), and each grade's requirement applies (the default,
    /// from construction, is no roots, `basic = AnyKey`, `enhanced = HardwareWithUserAuth`: a
    /// software key enrols only at the basic grade). Tests that enrol software keys at the
    /// enhanced grade say so with `enhanced = AnyKey`. The App Attest part
    /// (`set_app_attest_policy`) is kept.
    pub fn set_attestation_policy(
        &self,
        roots: Vec<Vec<u8>>,
        basic: KeyRequirement,
        enhanced: KeyRequirement,
    ) -> Result<(), IssuerError> {
        let roots = TrustedRoots::from_der(roots.iter().map(Vec::as_slice)).map_err(|e| {
            IssuerError::InvalidInput {
                reason: format!("a root certificate is unusable: {e}"),
            }
        })?;
        let mut current = self
            .attestation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut policy = AttestationPolicy::new(roots).with_app_attest(current.apple.clone());
        policy.basic = basic.into();
        policy.enhanced = enhanced.into();
        *current = policy;
        Ok(())
    }

    /// Replaces the attestation policy's iOS App Attest part: App Attest chains must end under
    /// one of `roots` (DER certificates: Apple's App Attestation root, or a `DevAppAttestCa`'s),
    /// the key must belong to one of `app_ids` (`TEAMID.bundle.id`), and development-signed
    /// builds count only with `allow_development`. Until both a root and an app id are set
    /// (the default; also after setting empty lists), App Attest evidence is not verifiable:
    /// refused as `EvidenceNotVerifiable` where hardware is required. An unusable root or an app
    /// id that is not `TEAMID.bundle.id` is `InvalidInput`, and the policy is left unchanged.
    pub fn set_app_attest_policy(
        &self,
        roots: Vec<Vec<u8>>,
        app_ids: Vec<String>,
        allow_development: bool,
    ) -> Result<(), IssuerError> {
        let roots = TrustedRoots::from_der(roots.iter().map(Vec::as_slice)).map_err(|e| {
            IssuerError::InvalidInput {
                reason: format!("an App Attest root certificate is unusable: {e}"),
            }
        })?;
        for app_id in &app_ids {
            check_app_id(app_id).map_err(|why| IssuerError::InvalidInput {
                reason: format!("{app_id:?} is not an App Attest app id (TEAMID.bundle.id): {why}"),
            })?;
        }
        self.attestation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .apple = AppAttestPolicy {
            roots,
            app_ids,
            allow_development,
        };
        Ok(())
    }

    /// The issuer id credentials are signed under.
    pub fn issuer_id(&self) -> String {
        self.issuer.issuer_id().to_owned()
    }

    /// A trust list naming this issuer for every document type.
    pub fn trust_list(&self) -> Arc<TrustList> {
        let now = SystemClock.now();
        let mut list = issuer::TrustList::new();
        let entry = self.issuer.trust_entry(
            now.saturating_add(-TRUST_BACK_SECONDS),
            now.saturating_add(TRUST_AHEAD_SECONDS),
            &DocType::ALL,
        );
        // A fresh list and one entry: adding cannot collide.
        let _ = list.add(entry);
        Arc::new(TrustList {
            list,
            _live: Live::new(),
        })
    }

    /// A fresh 32-byte enrolment nonce for `Wallet.begin_enrolment`.
    pub fn new_challenge(&self) -> Result<Vec<u8>, IssuerError> {
        EnrolmentChallenge::random(self.issuer.issuer_id())
            .map(|challenge| challenge.nonce().to_vec())
            .map_err(|e| IssuerError::InvalidInput {
                reason: e.to_string(),
            })
    }

    /// Checks `proof` against the challenge `nonce`, then the holder key's attestation against
    /// the attestation policy for the document's grade (`AttestationRefused` names the failed
    /// rule), and issues the credential described by `claims_json` (a claims file) bound to the
    /// proven holder key.
    pub fn issue(
        &self,
        claims_json: String,
        proof: Vec<u8>,
        nonce: Vec<u8>,
    ) -> Result<Vec<u8>, IssuerError> {
        let document = parse_claims_file(&claims_json).map_err(|e| IssuerError::InvalidClaims {
            reason: e.to_string(),
        })?;
        let challenge = EnrolmentChallenge::new(self.issuer.issuer_id(), nonce).map_err(|e| {
            IssuerError::InvalidInput {
                reason: e.to_string(),
            }
        })?;
        let policy = self
            .attestation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let now = SystemClock.now();
        let refused = |e: netid_core::wallet::ProofError| IssuerError::ProofRefused {
            reason: e.to_string(),
        };
        issue_for_attested_proof(&self.issuer, &document, &challenge, &proof, &policy, now)
            .map(|(credential, _)| credential.to_bytes())
            .map_err(|e| match e {
                AttestedEnrolmentError::Proof(e) => refused(e),
                AttestedEnrolmentError::Attestation(e) => IssuerError::AttestationRefused {
                    rule: (&e).into(),
                    reason: e.to_string(),
                },
            })
    }
}

/// A test attestation authority (root and attestation key) issuing Android-style attestation
/// chains to the real schema, for tests of attested enrolment without a device: a test
/// `SecureArea` returns `chain(...)` from `create_key`, and the `DevIssuer` trusts
/// `root_certificate()`. Never a source of trust outside tests.
#[derive(uniffi::Object)]
pub struct DevAttestationCa {
    ca: TestAttestationCa,
    _live: Live,
}

impl std::fmt::Debug for DevAttestationCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevAttestationCa").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl DevAttestationCa {
    /// A fresh root and attestation key.
    #[uniffi::constructor]
    pub fn new() -> Result<Arc<Self>, IssuerError> {
        Ok(Arc::new(Self {
            ca: TestAttestationCa::generate("netid dev").map_err(invalid)?,
            _live: Live::new(),
        }))
    }

    /// The root certificate (DER), for `DevIssuer.set_attestation_policy`.
    pub fn root_certificate(&self) -> Vec<u8> {
        self.ca.root_certificate().to_vec()
    }

    /// An attestation chain (DER, leaf first) for `public_key` (SEC1 P-256) whose KeyDescription
    /// has `challenge`, `level` (`Software`, `TrustedEnvironment` or `StrongBox`), user
    /// authentication required (`userAuthType` fingerprint) or not (`noAuthRequired`), and
    /// origin GENERATED or IMPORTED.
    pub fn chain(
        &self,
        public_key: Vec<u8>,
        challenge: Vec<u8>,
        level: KeySecurityLevel,
        requires_user_auth: bool,
        generated: bool,
    ) -> Result<Vec<Vec<u8>>, IssuerError> {
        let key = p256::PublicKey::from_sec1_bytes(&public_key)
            .map_err(|_| invalid("the public key is not a P-256 point"))?;
        let options = LeafOptions {
            challenge,
            level: level.into(),
            no_auth_required: !requires_user_auth,
            user_auth_type: requires_user_auth.then_some(2),
            origin: if generated { 0 } else { 2 },
        };
        self.ca.chain(&key, &options).map_err(invalid)
    }
}

/// A test App Attestation CA (root and intermediate, as Apple's "Apple App Attestation Root CA"
/// and "CA 1" stand) making iOS App Attest evidence to Apple's schema, for tests of attested
/// enrolment without an iPhone: a test `SecureArea` returns `KeyEvidence.AppleAppAttest(evidence(...))`
/// with level `SecureEnclave` from `create_key`, and the `DevIssuer` trusts `root_certificate()`
/// for the app id through `set_app_attest_policy`. Never a source of trust outside tests.
#[derive(uniffi::Object)]
pub struct DevAppAttestCa {
    ca: TestAppAttestCa,
    _live: Live,
}

impl std::fmt::Debug for DevAppAttestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevAppAttestCa").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl DevAppAttestCa {
    /// A fresh root and intermediate.
    #[uniffi::constructor]
    pub fn new() -> Result<Arc<Self>, IssuerError> {
        Ok(Arc::new(Self {
            ca: TestAppAttestCa::generate("netid dev").map_err(invalid)?,
            _live: Live::new(),
        }))
    }

    /// The root certificate (DER), for `DevIssuer.set_app_attest_policy`.
    pub fn root_certificate(&self) -> Vec<u8> {
        self.ca.root_certificate().to_vec()
    }

    /// The App Attest evidence (the JSON the Swift glue sends, docs/FORMAT.md §14) for the holder
    /// key `public_key` (SEC1 P-256) answering `challenge`: a fresh App Attest key of `app_id`
    /// (`development`: a development-signed build), attested by this CA over this first
    /// enrolment, and its first assertion over SHA-256(holder key ‖ challenge).
    pub fn evidence(
        &self,
        public_key: Vec<u8>,
        challenge: Vec<u8>,
        app_id: String,
        development: bool,
    ) -> Result<Vec<u8>, IssuerError> {
        let key = p256::PublicKey::from_sec1_bytes(&public_key)
            .map_err(|_| invalid("the public key is not a P-256 point"))?;
        let app_key = p256::ecdsa::SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let options = AppAttestOptions {
            development,
            ..AppAttestOptions::production(&app_id)
        };
        let first = client_data_hash(&key, &challenge);
        self.ca
            .evidence(&app_key, &first, &key, &challenge, &options)
            .map(|evidence| evidence.to_bytes())
            .map_err(invalid)
    }
}

#[uniffi::export]
impl DevIssuer {
    /// Checks a refill's batch `request` (`PendingRefill.request()`) against the challenge `nonce`
    /// and issues one one-time credential per key it names, valid for 30 days (never past the
    /// document), without status entries (this issuer keeps no status list).
    pub fn issue_batch(
        &self,
        request: Vec<u8>,
        nonce: Vec<u8>,
    ) -> Result<Vec<Vec<u8>>, IssuerError> {
        let refused = |e: netid_core::wallet::ProofError| IssuerError::ProofRefused {
            reason: e.to_string(),
        };
        let challenge = EnrolmentChallenge::new(self.issuer.issuer_id(), nonce).map_err(|e| {
            IssuerError::InvalidInput {
                reason: e.to_string(),
            }
        })?;
        let now = SystemClock.now();
        let request = verify_batch_request(&request, &challenge, now).map_err(refused)?;
        let expires = now
            .saturating_add(30 * 86_400)
            .min(request.full_credential().expires());
        let trust = self.trust_list();
        issue_purpose_batch(&self.issuer, &trust.list, &request, &[], now, expires)
            .map(|issued| issued.iter().map(|c| c.to_bytes()).collect())
            .map_err(refused)
    }
}

/// A counter's registration from the development registrar: its certificate and the counter's
/// private key (the 32-byte P-256 scalar), for `CounterSigner(certificate, privateKey)`.
#[derive(Clone, uniffi::Record)]
pub struct DevCounterKeys {
    /// The certificate (an untagged COSE_Sign1 by the registrar).
    pub certificate: Vec<u8>,
    /// The counter's private key, the 32-byte P-256 scalar.
    pub private_key: Vec<u8>,
}

impl std::fmt::Debug for DevCounterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCounterKeys").finish_non_exhaustive()
    }
}

/// A development registrar with a fresh random key: certifies counters for tests and demos.
#[derive(uniffi::Object)]
pub struct DevRegistrar {
    registrar: Registrar,
    _live: Live,
}

impl std::fmt::Debug for DevRegistrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.registrar.fmt(f)
    }
}

fn invalid(error: impl std::fmt::Display) -> IssuerError {
    IssuerError::InvalidInput {
        reason: error.to_string(),
    }
}

#[uniffi::export]
impl DevRegistrar {
    /// A registrar named `name`, shown to residents beside the counters it certifies.
    #[uniffi::constructor]
    pub fn new(name: String) -> Arc<Self> {
        let mut kid = [0u8; 8];
        getrandom_kid(&mut kid);
        Arc::new(Self {
            registrar: Registrar::generate(&name, &kid),
            _live: Live::new(),
        })
    }

    /// A copy of `trust` that also trusts this registrar (a day back, ten years on).
    pub fn trusted_by(&self, trust: Arc<TrustList>) -> Result<Arc<TrustList>, IssuerError> {
        let now = SystemClock.now();
        let mut list = trust.list.clone();
        list.add_registrar(self.registrar.trust_entry(
            now.saturating_add(-TRUST_BACK_SECONDS),
            now.saturating_add(TRUST_AHEAD_SECONDS),
        ))
        .map_err(invalid)?;
        Ok(Arc::new(TrustList {
            list,
            _live: Live::new(),
        }))
    }

    /// Certifies a new counter (a fresh key) for `purposes` and their claims, valid from
    /// yesterday for a year, keeping what it receives `keeps_days` days.
    pub fn register_counter(
        &self,
        counter_id: String,
        name_zh: String,
        name_en: String,
        purposes: Vec<Purpose>,
        keeps_days: u16,
    ) -> Result<DevCounterKeys, IssuerError> {
        let key = p256::ecdsa::SigningKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let today = SystemClock.now().date();
        let days = today.days_since_epoch();
        let day = |offset: i64| {
            CivilDate::from_days_since_epoch_checked(days + offset)
                .ok_or_else(|| invalid("the date is out of range"))
        };
        let registration = CounterRegistration {
            id: counter_id,
            name_zh,
            name_en,
            purposes: purposes.into_iter().map(Into::into).collect(),
            claims: None,
            keeps_days,
            valid_from: day(-1)?,
            valid_until: day(365)?,
            key: p256::PublicKey::from(key.verifying_key()),
        };
        let certificate = self.registrar.register(&registration).map_err(invalid)?;
        Ok(DevCounterKeys {
            certificate,
            private_key: key.to_bytes().to_vec(),
        })
    }
}

/// Signs a request for `purpose` with `signer` even if its certificate does not allow it: for
/// tests of the wallet's refusals only (a real counter's `CounterSigner.request` refuses).
#[uniffi::export]
pub fn dev_sign_request_unchecked(
    signer: Arc<CounterSigner>,
    purpose: Purpose,
) -> Result<Arc<IssuedRequest>, IssuerError> {
    let (text, issued) = signer
        .signer
        .request_unchecked(purpose.into(), None, 120, SystemClock.now())
        .map_err(invalid)?;
    Ok(Arc::new(IssuedRequest::new(text, issued)))
}

fn getrandom_kid(out: &mut [u8]) {
    use p256::elliptic_curve::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(out);
}
