//! The issuer's check of a holder key's attestation (feature `attestation-verify`): is the key the
//! wallet enrols in the device's secure hardware, bound to user authentication, and attested over
//! this enrolment's challenge?
//!
//! The wallet carries its secure area's claim and the platform's evidence in the enrolment proof
//! (FORMAT.md §14, `wallet::verify_proof_attested`); this module checks them against an
//! [`AttestationPolicy`]: Android Key Attestation chains ([`android`]) up to configured roots, iOS
//! App Attest evidence ([`apple`]) up to configured Apple roots for configured app ids, and the
//! grade's requirement (by default the enhanced grade needs a hardware key, TEE or StrongBox,
//! that requires user authentication; the basic grade accepts a software key). It is issuer-side
//! code: never in the shipped FFI library, which only passes the evidence through. It must never
//! accept evidence that does not chain to a configured root, answers another challenge, or
//! attests another key, and never let a host's *claimed* level stand in for an attested one.
//!
//! Not checked here (docs/SECURITY.md §2): revocation of attestation keys (Google's attestation
//! status list); App Attest counters across enrolments and Apple's fraud-metric receipts. App
//! Attest evidence is not verifiable (refused where the policy needs verified hardware) until the
//! policy names Apple roots and app ids.

pub mod android;
pub mod apple;
#[cfg(feature = "test-support")]
pub mod testing;

use crate::credential::{AssuranceLevel, Credential, DocumentClaims, OsSalts};
use crate::issuer::DevIssuer;
use crate::secure_area::{KeyAttestation, KeyEvidence, KeySecurityLevel};
use crate::time::UnixTime;
use crate::wallet::{EnrolmentChallenge, ProofError, verify_proof_attested};

pub use android::{AndroidAttestation, TrustedRoots};
pub use apple::{AppAttestError, AppAttestPolicy};

/// What a grade demands of the holder key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRequirement {
    /// Any key, software included. Evidence that is sent is still checked in full: a wallet that
    /// sends a chain gets it verified, never ignored (App Attest evidence too, once the policy
    /// names App Attest roots and app ids; until then it counts as software).
    AnyKey,
    /// A key whose attestation verifies and shows it in a TEE or StrongBox, generated there, and
    /// usable only after user authentication; or a Secure Enclave key vouched for by verified App
    /// Attest evidence (docs/SECURITY.md §2 says what that trusts).
    HardwareWithUserAuth,
}

/// The issuer's attestation policy: the roots Android chains must end in, what App Attest evidence
/// is accepted, and what each grade of credential requires of the holder key.
#[derive(Clone, Debug)]
pub struct AttestationPolicy {
    /// The attestation roots trusted (e.g. Google's hardware attestation roots; tests: their own).
    pub roots: TrustedRoots,
    /// Requirement for basic-grade credentials (default: [`KeyRequirement::AnyKey`]).
    pub basic: KeyRequirement,
    /// Requirement for enhanced-grade credentials (default:
    /// [`KeyRequirement::HardwareWithUserAuth`]).
    pub enhanced: KeyRequirement,
    /// App Attest roots, app ids and environment (default: none, so App Attest evidence is not
    /// verifiable).
    pub apple: AppAttestPolicy,
}

impl AttestationPolicy {
    /// The default requirements with `roots`, and no App Attest configuration.
    pub fn new(roots: TrustedRoots) -> Self {
        Self {
            roots,
            basic: KeyRequirement::AnyKey,
            enhanced: KeyRequirement::HardwareWithUserAuth,
            apple: AppAttestPolicy::default(),
        }
    }

    /// The same policy, also verifying App Attest evidence under `apple`.
    pub fn with_app_attest(self, apple: AppAttestPolicy) -> Self {
        Self { apple, ..self }
    }

    /// The requirement for a credential of `grade`.
    pub fn requirement(&self, grade: AssuranceLevel) -> KeyRequirement {
        match grade {
            AssuranceLevel::Basic => self.basic,
            AssuranceLevel::Enhanced => self.enhanced,
        }
    }
}

/// What the issuer knows about a holder key after the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckedKey {
    /// The attested level: [`KeySecurityLevel::Software`] whenever nothing verifiable shows more,
    /// whatever the host claimed.
    pub level: KeySecurityLevel,
    /// Whether verified evidence shows the key needs user authentication for every use or within
    /// a timeout.
    pub user_auth_required: bool,
}

/// Why a holder key's attestation was refused. Each names one rule; none carries key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    /// A certificate of the chain is not a DER X.509 certificate.
    #[error("attestation certificate {index} is malformed")]
    MalformedCertificate {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// A certificate is signed with an algorithm or key type this check does not support.
    #[error("attestation certificate {index} uses an unsupported signature algorithm or key")]
    UnsupportedAlgorithm {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// A certificate's signature does not verify under the next certificate's key, or its issuer
    /// is not the next certificate's subject.
    #[error("attestation certificate {index} is not signed by the certificate above it")]
    BrokenChain {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// The chain does not end in (or under) a configured root.
    #[error("the attestation chain does not end in a trusted attestation root")]
    UnknownRoot,
    /// A CA certificate of the chain is outside its validity period.
    #[error("attestation certificate {index} is expired or not yet valid")]
    CertificateNotValidNow {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// The leaf has no KeyDescription extension (1.3.6.1.4.1.11129.2.1.17).
    #[error("the attestation certificate has no key description")]
    NoKeyDescription,
    /// A certificate above the leaf carries a KeyDescription: a chain extended below a genuine
    /// attested key by whoever holds it.
    #[error("attestation certificate {index} above the leaf carries a key description")]
    KeyDescriptionAboveLeaf {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// The KeyDescription does not parse.
    #[error("the key description is malformed: {0}")]
    MalformedKeyDescription(&'static str),
    /// The attestation challenge is not this enrolment's nonce.
    #[error("the key attestation answers a different challenge")]
    WrongChallenge,
    /// The attested public key is not the key being enrolled.
    #[error("the key attestation is for a different key than the one enrolled")]
    KeyMismatch,
    /// The key was imported into the keystore, not generated there.
    #[error("the attested key was not generated in the secure hardware")]
    NotGenerated,
    /// The host claimed one level and the evidence shows another.
    #[error("the secure area claimed {claimed:?} but the attestation shows {attested:?}")]
    LevelMismatch {
        /// What the host said.
        claimed: KeySecurityLevel,
        /// What the evidence shows.
        attested: KeySecurityLevel,
    },
    /// The grade needs a hardware key and the (attested) key is not one.
    #[error("this credential grade needs a key in secure hardware; the key is {attested:?}")]
    NotHardware {
        /// The attested level (software when nothing verifiable was sent).
        attested: KeySecurityLevel,
    },
    /// The grade needs a key bound to user authentication and the attestation shows none
    /// (`noAuthRequired`, or no `userAuthType`).
    #[error("this credential grade needs a key that requires user authentication")]
    NoUserAuthentication,
    /// The grade needs verified hardware and the evidence is of a kind this issuer cannot verify
    /// (iOS App Attest without Apple roots and app ids in the policy).
    #[error("this issuer cannot verify this kind of key attestation for this grade")]
    EvidenceNotVerifiable,
    /// iOS App Attest evidence breaks one of Apple's rules (the certificate chain's own rules
    /// report as the variants above: `UnknownRoot`, `BrokenChain`, ...).
    #[error(transparent)]
    AppAttest(AppAttestError),
}

/// Checks `attestation` (as [`verify_proof_attested`] returned it) for `holder_key`, enrolled
/// with `challenge` (the enrolment nonce), for a credential of `grade`, at `now`.
pub fn check_key_attestation(
    attestation: &KeyAttestation,
    holder_key: &p256::PublicKey,
    challenge: &[u8],
    grade: AssuranceLevel,
    policy: &AttestationPolicy,
    now: UnixTime,
) -> Result<CheckedKey, AttestationError> {
    let requirement = policy.requirement(grade);
    let checked = match &attestation.evidence {
        // A claim without evidence proves nothing: the key counts as software.
        KeyEvidence::None => CheckedKey {
            level: KeySecurityLevel::Software,
            user_auth_required: false,
        },
        KeyEvidence::AndroidKeyAttestation { chain } => {
            let attested = android::verify_chain(chain, &policy.roots, now)?;
            attested.check_for(holder_key, challenge)?;
            if attested.level != attestation.level {
                return Err(AttestationError::LevelMismatch {
                    claimed: attestation.level,
                    attested: attested.level,
                });
            }
            CheckedKey {
                level: attested.level,
                user_auth_required: attested.user_auth_required,
            }
        }
        KeyEvidence::AppleAppAttest { evidence } if policy.apple.is_configured() => {
            apple::verify_evidence(evidence, holder_key, challenge, &policy.apple, now)?;
            if attestation.level != KeySecurityLevel::SecureEnclave {
                return Err(AttestationError::LevelMismatch {
                    claimed: attestation.level,
                    attested: KeySecurityLevel::SecureEnclave,
                });
            }
            // App Attest vouches for the app; the app's code makes the holder key in the Secure
            // Enclave, usable only after user authentication (docs/SECURITY.md §2).
            CheckedKey {
                level: KeySecurityLevel::SecureEnclave,
                user_auth_required: true,
            }
        }
        KeyEvidence::AppleAppAttest { .. } => {
            if requirement == KeyRequirement::HardwareWithUserAuth {
                return Err(AttestationError::EvidenceNotVerifiable);
            }
            CheckedKey {
                level: KeySecurityLevel::Software,
                user_auth_required: false,
            }
        }
    };
    if requirement == KeyRequirement::HardwareWithUserAuth {
        if !checked.level.is_hardware() {
            return Err(AttestationError::NotHardware {
                attested: checked.level,
            });
        }
        if !checked.user_auth_required {
            return Err(AttestationError::NoUserAuthentication);
        }
    }
    Ok(checked)
}

/// Why an attested enrolment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestedEnrolmentError {
    /// The proof of possession itself was refused (or the credential could not be minted).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The holder key's attestation does not satisfy the issuer's policy for this grade.
    #[error("the holder key's attestation was refused: {0}")]
    Attestation(#[from] AttestationError),
}

/// The development issuer's side of an enrolment under an attestation policy: checks `proof`
/// against `challenge`, then the key's attestation against `policy` for the document's grade,
/// and mints the credential bound to the proven key.
pub fn issue_for_attested_proof(
    issuer: &DevIssuer,
    document: &DocumentClaims,
    challenge: &EnrolmentChallenge,
    proof: &[u8],
    policy: &AttestationPolicy,
    now: UnixTime,
) -> Result<(Credential, CheckedKey), AttestedEnrolmentError> {
    if challenge.issuer_id() != issuer.issuer_id() {
        return Err(ProofError::WrongChallenge.into());
    }
    let proven = verify_proof_attested(proof, challenge, now)?;
    let checked = check_key_attestation(
        &proven.attestation,
        &proven.holder_key,
        challenge.nonce(),
        document.assurance_level,
        policy,
        now,
    )?;
    let credential = issuer
        .issue(document, &proven.holder_key, now, None, &mut OsSalts)
        .map_err(ProofError::from)?;
    Ok((credential, checked))
}
