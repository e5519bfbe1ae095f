//! Issuers: the trust list a verifier (or holder) checks issuer keys against, and a development
//! issuer that mints credentials from a JSON claims file for tests, the demo and the CLI.
//!
//! This module owns the trust-list file format and the development issuer's key. It must never
//! be used to mint credentials in production (the real issuer is a separate authority), never
//! print or log the issuer private key, and never echo claim values in its errors.

use std::collections::BTreeMap;

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::counter::TrustedRegistrar;
use crate::credential::purpose::{PurposeCredential, PurposeIssueParams};
use crate::credential::sd_cwt::SignatureAlgorithm;
use crate::credential::{
    self, AssuranceLevel, ClaimName, Credential, DocType, DocumentClaims, IssueError, IssueParams,
    Purpose, SaltSource, StatusReference,
};
use crate::signature::Backend;
use crate::status::{StatusError, StatusIssuerKeys, StatusListBuilder};
use crate::time::{CivilDate, UnixTime};

/// An issuer's public signing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerPublicKey {
    /// P-256 (ES256), what netid issuers use.
    P256(p256::ecdsa::VerifyingKey),
    /// P-384 (ES384), accepted so the draft's own examples verify (feature `es384`).
    #[cfg(feature = "es384")]
    P384(p384::ecdsa::VerifyingKey),
}

impl IssuerPublicKey {
    /// Check `signature` (raw r ‖ s) over `message` with `alg`; the algorithm must match the
    /// key's curve, so a P-384 key cannot be confused into verifying ES256 or vice versa.
    pub fn verify(&self, alg: SignatureAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        self.verify_with(Backend::DEFAULT, alg, message, signature)
    }

    /// [`Self::verify`] by a chosen backend (the verifier's, which tests can set).
    pub(crate) fn verify_with(
        &self,
        backend: Backend,
        alg: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        match (self, alg) {
            (Self::P256(k), SignatureAlgorithm::Es256) => {
                backend.verify_es256(k, message, signature)
            }
            #[cfg(feature = "es384")]
            (Self::P384(k), SignatureAlgorithm::Es384) => {
                backend.verify_es384(k, message, signature)
            }
            _ => false,
        }
    }

    fn to_json(&self) -> PublicKeyJson {
        match self {
            Self::P256(k) => PublicKeyJson {
                crv: "P-256".into(),
                sec1_hex: hex::encode(k.to_encoded_point(false).as_bytes()),
            },
            #[cfg(feature = "es384")]
            Self::P384(k) => PublicKeyJson {
                crv: "P-384".into(),
                sec1_hex: hex::encode(k.to_encoded_point(false).as_bytes()),
            },
        }
    }

    fn from_json(j: &PublicKeyJson) -> Option<Self> {
        let bytes = hex::decode(&j.sec1_hex).ok()?;
        match j.crv.as_str() {
            "P-256" => p256::ecdsa::VerifyingKey::from_sec1_bytes(&bytes)
                .ok()
                .map(Self::P256),
            #[cfg(feature = "es384")]
            "P-384" => p384::ecdsa::VerifyingKey::from_sec1_bytes(&bytes)
                .ok()
                .map(Self::P384),
            _ => None,
        }
    }
}

/// One trusted issuer key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedIssuer {
    /// The issuer id, which must equal the credential's `iss`.
    pub issuer: String,
    /// The key id in the credential's protected `kid` header.
    pub kid: Vec<u8>,
    /// The public key.
    pub key: IssuerPublicKey,
    /// Credentials issued (and presentations checked) before this are not covered.
    pub not_before: UnixTime,
    /// After this the key is no longer trusted.
    pub not_after: UnixTime,
    /// Document types this key may issue.
    pub doc_types: Vec<DocType>,
}

impl TrustedIssuer {
    /// Whether the key is trusted at `at`.
    pub fn trusted_at(&self, at: UnixTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// Whether the key is trusted at some moment of the UTC day that starts at `day_start`: a
    /// purpose credential's `iat` is the start of its day of issuance (FORMAT.md §12.1), so it
    /// was issued at some moment of that day, which may be after the key's window opened
    /// mid-day.
    pub fn trusted_on_day_starting(&self, day_start: UnixTime) -> bool {
        self.not_before <= day_start.saturating_add(86_399) && day_start <= self.not_after
    }
}

/// Why an issuer is not accepted for a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerProblem {
    /// No trust-list entry for the `kid`.
    NotListed,
    /// The credential's `iss` is not the listed issuer id.
    IssuerMismatch,
    /// The key's trust window does not cover now or the credential's issue time.
    OutsideWindow,
    /// The key may not issue this document type.
    DocTypeNotAllowed,
}

impl std::fmt::Display for IssuerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotListed => "its issuer key is not on the trust list",
            Self::IssuerMismatch => "it names a different issuer than its key belongs to",
            Self::OutsideWindow => "its issuer key is not trusted for this date",
            Self::DocTypeNotAllowed => "its issuer may not issue this kind of document",
        })
    }
}

/// Why an issued credential is refused before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialTrustError {
    /// The issuer is not trusted for it.
    #[error("the credential is not from a trusted issuer: {0}")]
    Untrusted(IssuerProblem),
    /// The issuer signature does not verify.
    #[error("the credential's issuer signature is invalid")]
    BadSignature,
}

/// Why a trust list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustListError {
    /// Not JSON of the expected shape.
    #[error("the trust list is not valid JSON of the expected shape: {0}")]
    Json(#[from] serde_json::Error),
    /// A key that is not a valid P-256/P-384 SEC1 point.
    #[error("trust list entry {index}: the public key is not a valid P-256 or P-384 key")]
    BadKey {
        /// Entry position.
        index: usize,
    },
    /// A kid that is not hex or is empty.
    #[error("trust list entry {index}: kid must be non-empty hex")]
    BadKid {
        /// Entry position.
        index: usize,
    },
    /// An unknown document type name.
    #[error("trust list entry {index}: unknown document type")]
    UnknownDocType {
        /// Entry position.
        index: usize,
    },
    /// not_after before not_before.
    #[error("trust list entry {index}: not_after is before not_before")]
    BadWindow {
        /// Entry position.
        index: usize,
    },
    /// Two entries with the same kid.
    #[error("trust list entry {index}: another entry already uses this kid")]
    DuplicateKid {
        /// Entry position.
        index: usize,
    },
    /// A registrar entry (`registrars[index]`) that cannot be used.
    #[error("trust list registrar {index}: {why}")]
    BadRegistrar {
        /// Position in `registrars`.
        index: usize,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The file could not be read.
    #[error("the trust list file could not be read: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyJson {
    crv: String,
    sec1_hex: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson {
    issuer: String,
    kid_hex: String,
    public_key: PublicKeyJson,
    not_before: i64,
    not_after: i64,
    doc_types: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrarJson {
    registrar: String,
    kid_hex: String,
    public_key: PublicKeyJson,
    not_before: i64,
    not_after: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustListJson {
    issuers: Vec<EntryJson>,
    // Older trust lists have no registrars: their wallets trust no counter's request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    registrars: Vec<RegistrarJson>,
}

/// The issuer keys a verifier accepts, looked up by `kid`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustList {
    entries: Vec<TrustedIssuer>,
    registrars: Vec<TrustedRegistrar>,
}

impl TrustList {
    /// The keys a counter accepts on status lists: each trusted ES256 issuer key under its kid, so
    /// revocation data is believed only from the issuers whose credentials are believed.
    pub fn status_issuer_keys(&self) -> StatusIssuerKeys {
        let mut keys = StatusIssuerKeys::new();
        for entry in &self.entries {
            // Status lists are ES256 only (FORMAT.md §7); without `es384` every key is P-256.
            #[cfg_attr(not(feature = "es384"), allow(irrefutable_let_patterns))]
            if let IssuerPublicKey::P256(key) = &entry.key {
                keys.insert(&entry.kid, *key);
            }
        }
        keys
    }

    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an entry; its kid must be new.
    pub fn add(&mut self, entry: TrustedIssuer) -> Result<(), TrustListError> {
        if self.find(&entry.kid).is_some() {
            return Err(TrustListError::DuplicateKid {
                index: self.entries.len(),
            });
        }
        if entry.not_after < entry.not_before {
            return Err(TrustListError::BadWindow {
                index: self.entries.len(),
            });
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The entry for `kid`.
    pub fn find(&self, kid: &[u8]) -> Option<&TrustedIssuer> {
        self.entries.iter().find(|e| e.kid == kid)
    }

    /// All entries.
    pub fn entries(&self) -> &[TrustedIssuer] {
        &self.entries
    }

    /// Add a registrar key (counters it certifies may send signed requests); its kid must be new
    /// among registrars.
    pub fn add_registrar(&mut self, entry: TrustedRegistrar) -> Result<(), TrustListError> {
        let index = self.registrars.len();
        let bad = |why| TrustListError::BadRegistrar { index, why };
        if self.registrars.iter().any(|r| r.kid == entry.kid) {
            return Err(bad("another registrar already uses this kid"));
        }
        if entry.not_after < entry.not_before {
            return Err(bad("not_after is before not_before"));
        }
        self.registrars.push(entry);
        Ok(())
    }

    /// The registrar keys counters' certificates are checked against (FORMAT.md §13).
    pub fn registrars(&self) -> &[TrustedRegistrar] {
        &self.registrars
    }

    /// Parse the JSON file format (see docs/FORMAT.md, "Trust list").
    pub fn from_json(json: &str) -> Result<Self, TrustListError> {
        let parsed: TrustListJson = serde_json::from_str(json)?;
        let mut list = Self::new();
        for (index, e) in parsed.issuers.into_iter().enumerate() {
            let key = IssuerPublicKey::from_json(&e.public_key)
                .ok_or(TrustListError::BadKey { index })?;
            let kid = hex::decode(&e.kid_hex)
                .ok()
                .filter(|k| !k.is_empty())
                .ok_or(TrustListError::BadKid { index })?;
            let doc_types = e
                .doc_types
                .iter()
                .map(|d| DocType::from_name(d).ok_or(TrustListError::UnknownDocType { index }))
                .collect::<Result<_, _>>()?;
            list.add(TrustedIssuer {
                issuer: e.issuer,
                kid,
                key,
                not_before: UnixTime::from_secs(e.not_before),
                not_after: UnixTime::from_secs(e.not_after),
                doc_types,
            })
            .map_err(|err| match err {
                TrustListError::DuplicateKid { .. } => TrustListError::DuplicateKid { index },
                TrustListError::BadWindow { .. } => TrustListError::BadWindow { index },
                other => other,
            })?;
        }
        for (index, r) in parsed.registrars.into_iter().enumerate() {
            let key = hex::decode(&r.public_key.sec1_hex)
                .ok()
                .filter(|_| r.public_key.crv == "P-256")
                .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
                .ok_or(TrustListError::BadRegistrar {
                    index,
                    why: "the public key is not a valid P-256 key",
                })?;
            let kid = hex::decode(&r.kid_hex)
                .ok()
                .filter(|k| !k.is_empty())
                .ok_or(TrustListError::BadRegistrar {
                    index,
                    why: "kid must be non-empty hex",
                })?;
            list.add_registrar(TrustedRegistrar {
                registrar: r.registrar,
                kid,
                key,
                not_before: UnixTime::from_secs(r.not_before),
                not_after: UnixTime::from_secs(r.not_after),
            })?;
        }
        Ok(list)
    }

    /// Check an issued credential before the wallet stores it: listed `kid`, matching `iss`,
    /// valid issuer signature, key trusted at `now` and at the credential's `iat`, document type
    /// allowed. Expiry is not checked here (an expired credential may still be shown as history).
    pub fn check_credential(
        &self,
        credential: &Credential,
        now: UnixTime,
    ) -> Result<&TrustedIssuer, CredentialTrustError> {
        let untrusted = CredentialTrustError::Untrusted;
        let entry = self
            .find(credential.kid())
            .ok_or(untrusted(IssuerProblem::NotListed))?;
        let (alg, tbs, signature) = credential.signed_parts();
        if !entry.key.verify(alg, &tbs, signature) {
            return Err(CredentialTrustError::BadSignature);
        }
        if credential.issuer() != entry.issuer {
            return Err(untrusted(IssuerProblem::IssuerMismatch));
        }
        let in_window = |at: UnixTime| entry.not_before <= at && at <= entry.not_after;
        if !in_window(now) || !in_window(credential.issued_at()) {
            return Err(untrusted(IssuerProblem::OutsideWindow));
        }
        if !entry.doc_types.contains(&credential.doc_type()) {
            return Err(untrusted(IssuerProblem::DocTypeNotAllowed));
        }
        Ok(entry)
    }

    /// Check a purpose credential (FORMAT.md §12) before the wallet stores it: listed `kid`,
    /// valid issuer signature, key trusted at `now` and at the credential's `iat`, document type
    /// allowed. There is no `iss` to match: the `kid` names the issuer.
    pub fn check_purpose_credential(
        &self,
        credential: &PurposeCredential,
        now: UnixTime,
    ) -> Result<&TrustedIssuer, CredentialTrustError> {
        let untrusted = CredentialTrustError::Untrusted;
        let entry = self
            .find(credential.kid())
            .ok_or(untrusted(IssuerProblem::NotListed))?;
        let (alg, tbs, signature) = credential.signed_parts();
        if !entry.key.verify(alg, &tbs, signature) {
            return Err(CredentialTrustError::BadSignature);
        }
        if !entry.trusted_at(now) || !entry.trusted_on_day_starting(credential.issued_at()) {
            return Err(untrusted(IssuerProblem::OutsideWindow));
        }
        if !entry.doc_types.contains(&credential.doc_type()) {
            return Err(untrusted(IssuerProblem::DocTypeNotAllowed));
        }
        Ok(entry)
    }

    /// Read the JSON file at `path`.
    pub fn load(path: &std::path::Path) -> Result<Self, TrustListError> {
        Self::from_json(&std::fs::read_to_string(path)?)
    }

    /// Serialize to the JSON file format.
    pub fn to_json(&self) -> String {
        let j = TrustListJson {
            issuers: self
                .entries
                .iter()
                .map(|e| EntryJson {
                    issuer: e.issuer.clone(),
                    kid_hex: hex::encode(&e.kid),
                    public_key: e.key.to_json(),
                    not_before: e.not_before.as_secs(),
                    not_after: e.not_after.as_secs(),
                    doc_types: e.doc_types.iter().map(|d| d.as_str().to_owned()).collect(),
                })
                .collect(),
            registrars: self
                .registrars
                .iter()
                .map(|r| RegistrarJson {
                    registrar: r.registrar.clone(),
                    kid_hex: hex::encode(&r.kid),
                    public_key: IssuerPublicKey::P256(p256::ecdsa::VerifyingKey::from(&r.key))
                        .to_json(),
                    not_before: r.not_before.as_secs(),
                    not_after: r.not_after.as_secs(),
                })
                .collect(),
        };
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string_pretty(&j).unwrap_or_default()
    }
}

/// Why a claims file could not be turned into document claims. Never repeats values.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsFileError {
    /// Not a JSON object.
    #[error("the claims file is not a JSON object: {0}")]
    Json(#[from] serde_json::Error),
    /// The top level is not an object.
    #[error("the claims file must be a JSON object")]
    NotAnObject,
    /// A key that is neither a claim name nor a document field.
    #[error("the claims file has an unknown key `{0}`")]
    UnknownKey(String),
    /// A required key is absent.
    #[error("the claims file lacks `{0}`")]
    Missing(&'static str),
    /// A value of the wrong shape (e.g. a date not written YYYY-MM-DD).
    #[error("the claims file value for `{0}` is not acceptable")]
    BadValue(&'static str),
    /// The claims do not make a valid document.
    #[error(transparent)]
    Invalid(#[from] IssueError),
}

/// Parse a claims file: a JSON object with `doc_type`, `assurance_level`, `valid_from`,
/// `valid_until` and the document type's claims by name (dates as `YYYY-MM-DD`, sex as
/// `"male"`/`"female"`). Derived claims (`age_over_18`, `age_over_60`) may not be supplied.
pub fn parse_claims_file(json: &str) -> Result<DocumentClaims, ClaimsFileError> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    let obj = value.as_object().ok_or(ClaimsFileError::NotAnObject)?;
    let text = |key: &'static str| -> Result<&str, ClaimsFileError> {
        obj.get(key)
            .ok_or(ClaimsFileError::Missing(key))?
            .as_str()
            .ok_or(ClaimsFileError::BadValue(key))
    };
    let doc_type =
        DocType::from_name(text("doc_type")?).ok_or(ClaimsFileError::BadValue("doc_type"))?;
    let assurance_level = AssuranceLevel::from_name(text("assurance_level")?)
        .ok_or(ClaimsFileError::BadValue("assurance_level"))?;
    let date = |key: &'static str| -> Result<CivilDate, ClaimsFileError> {
        CivilDate::parse(text(key)?).map_err(|_| ClaimsFileError::BadValue(key))
    };
    let valid_from = date("valid_from")?;
    let valid_until = date("valid_until")?;
    let mut claims = BTreeMap::new();
    for (key, v) in obj {
        if ["doc_type", "assurance_level", "valid_from", "valid_until"].contains(&key.as_str()) {
            continue;
        }
        let name = ClaimName::from_name(key)
            .filter(|n| !n.is_derived())
            .ok_or_else(|| ClaimsFileError::UnknownKey(key.chars().take(40).collect()))?;
        claims.insert(
            name,
            name.value_from_json(v)
                .ok_or(ClaimsFileError::BadValue(name.as_str()))?,
        );
    }
    let document = DocumentClaims {
        doc_type,
        assurance_level,
        valid_from,
        valid_until,
        claims,
    };
    document.validate()?;
    Ok(document)
}

/// Why a development issuer key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    /// Not a PKCS#8 PEM P-256 private key.
    #[error("the issuer key is not a PKCS#8 PEM P-256 private key")]
    BadKey,
    /// Scalar bytes out of range.
    #[error("the issuer key bytes are not a valid P-256 private key")]
    BadScalar,
}

/// A development issuer: a P-256 key and the identity it signs under. For tests, the demo and
/// the CLI only; it validates claims exactly like a real issuer would.
pub struct DevIssuer {
    key: p256::ecdsa::SigningKey,
    issuer_id: String,
    kid: Vec<u8>,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer_id", &self.issuer_id)
            .field("kid", &hex::encode(&self.kid))
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// Sign a status list (Token Status List, CWT form) as this issuer: same key and kid as its
    /// credentials, so [`TrustList::status_issuer_keys`] accepts it.
    pub fn sign_status_list(
        &self,
        list: &StatusListBuilder,
        issued_at: UnixTime,
    ) -> Result<Vec<u8>, StatusError> {
        list.sign(
            &self.key,
            &self.kid,
            u64::try_from(issued_at.as_secs()).unwrap_or(0),
        )
    }

    /// Sign arbitrary COSE `Sig_structure` bytes with this issuer's key (ES256, r ‖ s). Only
    /// for conformance tests, which craft validly signed but non-conformant credentials (what a
    /// careless or compromised issuer could sign) to prove the verifier refuses them by rule.
    #[cfg(feature = "test-support")]
    pub fn sign_to_be_signed(&self, to_be_signed: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        let signature: p256::ecdsa::Signature = self.key.sign(to_be_signed);
        signature.to_bytes().to_vec()
    }

    /// A fresh random key.
    pub fn generate(issuer_id: &str, kid: &[u8]) -> Self {
        Self {
            key: p256::ecdsa::SigningKey::random(&mut OsRng),
            issuer_id: issuer_id.into(),
            kid: kid.into(),
        }
    }

    /// Load a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str, issuer_id: &str, kid: &[u8]) -> Result<Self, DevIssuerError> {
        let key =
            p256::ecdsa::SigningKey::from_pkcs8_pem(pem).map_err(|_| DevIssuerError::BadKey)?;
        Ok(Self {
            key,
            issuer_id: issuer_id.into(),
            kid: kid.into(),
        })
    }

    /// A key from fixed scalar bytes: deterministic tests and the FORMAT.md worked example only.
    pub fn from_scalar_bytes(
        bytes: &[u8; 32],
        issuer_id: &str,
        kid: &[u8],
    ) -> Result<Self, DevIssuerError> {
        let key =
            p256::ecdsa::SigningKey::from_slice(bytes).map_err(|_| DevIssuerError::BadScalar)?;
        Ok(Self {
            key,
            issuer_id: issuer_id.into(),
            kid: kid.into(),
        })
    }

    /// The private key as PKCS#8 PEM, in a buffer wiped on drop.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, DevIssuerError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| Zeroizing::new(pem.as_str().to_owned()))
            .map_err(|_| DevIssuerError::BadKey)
    }

    /// The issuer id (`iss`).
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    /// The key id (`kid`).
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }

    /// The public key.
    pub fn public_key(&self) -> IssuerPublicKey {
        IssuerPublicKey::P256(*self.key.verifying_key())
    }

    /// The trust-list entry for this issuer.
    pub fn trust_entry(
        &self,
        not_before: UnixTime,
        not_after: UnixTime,
        doc_types: &[DocType],
    ) -> TrustedIssuer {
        TrustedIssuer {
            issuer: self.issuer_id.clone(),
            kid: self.kid.clone(),
            key: self.public_key(),
            not_before,
            not_after,
            doc_types: doc_types.to_vec(),
        }
    }

    /// Issue a credential for `holder_key`.
    pub fn issue(
        &self,
        document: &DocumentClaims,
        holder_key: &p256::PublicKey,
        issued_at: UnixTime,
        status: Option<StatusReference>,
        salts: &mut dyn SaltSource,
    ) -> Result<Credential, IssueError> {
        let params = IssueParams {
            issuer_id: &self.issuer_id,
            kid: &self.kid,
            issued_at,
            holder_key,
            status,
        };
        credential::issue(document, &params, &self.key, salts)
    }

    /// Issue a one-time purpose credential (FORMAT.md §12) for `purpose`, bound to its own
    /// `holder_key` and status entry, valid from `issued_at` until `expires`.
    pub fn issue_purpose(
        &self,
        document: &DocumentClaims,
        purpose: Purpose,
        holder_key: &p256::PublicKey,
        issued_at: UnixTime,
        expires: UnixTime,
        status: Option<StatusReference>,
    ) -> Result<PurposeCredential, IssueError> {
        let params = PurposeIssueParams {
            kid: &self.kid,
            issued_at,
            expires,
            holder_key,
            status,
        };
        credential::purpose::issue_purpose(document, purpose, &params, &self.key)
    }

    /// Issue from a claims file (see [`parse_claims_file`]).
    pub fn issue_from_claims_file(
        &self,
        json: &str,
        holder_key: &p256::PublicKey,
        issued_at: UnixTime,
        salts: &mut dyn SaltSource,
    ) -> Result<Credential, ClaimsFileError> {
        let document = parse_claims_file(json)?;
        Ok(self.issue(&document, holder_key, issued_at, None, salts)?)
    }
}
