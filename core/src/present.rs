//! Presentations: the holder chooses disclosures (by purpose or claim by claim) and signs an
//! SD-KBT with the holder key, producing the bytes and QR text a counter scans.
//!
//! Building is two phases, so a secure area that signs asynchronously behind a biometric prompt
//! fits between them: [`prepare`] lays out an [`UnsignedPresentation`], whose
//! [`UnsignedPresentation::finish`] takes the holder's signature and checks it. [`present`] runs
//! both phases for a synchronous [`HolderSigner`] (tests, the demo).
//!
//! This module owns the holder-signing abstraction ([`HolderSigner`]) and the SD-KBT layout. It
//! must never emit a presentation whose signature it has not checked against the credential's
//! `cnf` key (a secure area that returns garbage must be caught here, not at the counter), never
//! disclose a claim the caller did not choose, and never hold the holder private key itself
//! beyond the software signer used for tests and desktop.

use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey;
use rand_core::OsRng;
use zeroize::{Zeroize, Zeroizing};

pub use crate::credential::Purpose;
use crate::credential::cbor::Cbor;
use crate::credential::purpose::PurposeCredential;
use crate::credential::sd_cwt::{self, claim};
use crate::credential::{self, ClaimName, Credential, IssueError, OsSalts, SaltSource};
use crate::signature::Backend;
use crate::time::{Clock, UnixTime};

/// Default presentation lifetime (the QR refresh period).
pub const DEFAULT_LIFETIME_SECS: u32 = 60;
/// Longest lifetime a presenter may ask for; verifiers cap age separately.
pub const MAX_LIFETIME_SECS: u32 = 600;
/// Longest audience string, keeping codes small.
pub const MAX_AUDIENCE_LEN: usize = 64;

/// Why a secure area could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The user cancelled or failed the biometric / PIN prompt.
    #[error("the user did not confirm (authentication cancelled or failed)")]
    AuthenticationFailed,
    /// The key was invalidated (e.g. biometrics changed): the document must be re-enrolled.
    #[error("the holder key is no longer usable; re-enrol the document")]
    KeyInvalidated,
    /// The secure area is not available right now.
    #[error("the secure area is unavailable; try again")]
    Unavailable,
}

/// The holder key, wherever it lives (software here; Android Keystore / Secure Enclave via the
/// host later). Signatures are ES256 over the message (the signer hashes with SHA-256).
pub trait HolderSigner {
    /// The public key recorded at enrolment.
    fn public_key(&self) -> p256::PublicKey;
    /// Sign `message` (ECDSA P-256 / SHA-256).
    fn sign(&self, message: &[u8]) -> Result<p256::ecdsa::Signature, SignerError>;
}

/// A holder key in process memory: tests, the demo and the desktop software secure area.
/// The key is wiped when dropped (`SigningKey` zeroizes its scalar).
pub struct SoftwareHolderKey {
    key: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for SoftwareHolderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoftwareHolderKey(..)")
    }
}

impl SoftwareHolderKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self {
            key: p256::ecdsa::SigningKey::random(&mut OsRng),
        }
    }
    /// From PKCS#8 PEM (e.g. the draft's example holder key).
    pub fn from_pkcs8_pem(pem: &str) -> Option<Self> {
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .ok()
            .map(|key| Self { key })
    }
    /// From fixed scalar bytes: deterministic tests and the worked example only.
    pub fn from_scalar_bytes(bytes: &[u8; 32]) -> Option<Self> {
        p256::ecdsa::SigningKey::from_slice(bytes)
            .ok()
            .map(|key| Self { key })
    }
}

impl HolderSigner for SoftwareHolderKey {
    fn public_key(&self) -> p256::PublicKey {
        p256::PublicKey::from(self.key.verifying_key())
    }
    fn sign(&self, message: &[u8]) -> Result<p256::ecdsa::Signature, SignerError> {
        Ok(self.key.sign(message))
    }
}

/// What to disclose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disclose {
    /// A named purpose's claim set.
    Purpose(Purpose),
    /// Exactly these claims (an `audience` is then required).
    Claims(Vec<ClaimName>),
}

/// A presentation request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentationRequest {
    /// Which claims.
    pub disclose: Disclose,
    /// `aud`; defaults to the purpose's short name.
    pub audience: Option<String>,
    /// `cnonce` from the counter, in interactive mode.
    pub nonce: Option<Vec<u8>>,
    /// Seconds from `iat` to `exp` (default 60; never past the credential's own `exp`).
    pub lifetime_secs: u32,
}

impl PresentationRequest {
    /// Disclose for `purpose` with defaults (audience = purpose name, 60 s, no nonce).
    pub fn for_purpose(purpose: Purpose) -> Self {
        Self {
            disclose: Disclose::Purpose(purpose),
            audience: None,
            nonce: None,
            lifetime_secs: DEFAULT_LIFETIME_SECS,
        }
    }
}

/// Why a presentation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentError {
    /// The chosen claim is not on this document.
    #[error("this document has no `{0}` to show")]
    ClaimNotInCredential(&'static str),
    /// A custom claim set without an audience.
    #[error("say who the code is for (an audience is required when choosing claims by hand)")]
    AudienceRequired,
    /// Audience empty or longer than [`MAX_AUDIENCE_LEN`].
    #[error("the audience must be 1 to 64 bytes")]
    BadAudience,
    /// Lifetime zero or above [`MAX_LIFETIME_SECS`].
    #[error("the code lifetime must be between 1 and 600 seconds")]
    BadLifetime,
    /// The credential's validity has ended (or not begun): re-issue needed.
    #[error("this document is not valid now; renew it with the issuer")]
    CredentialNotValidNow,
    /// The signer's key is not the one in the credential.
    #[error("this device's holder key does not belong to this document; re-enrol it")]
    WrongHolderKey,
    /// The secure area failed.
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// The secure area returned a signature that does not verify under its own public key.
    #[error("the secure area returned an invalid signature; the code was not shown")]
    SecureAreaMisbehaved,
    /// No random identifier could be generated.
    #[error("no random number could be generated")]
    Randomness,
    /// A purpose credential asked to show another purpose's claims.
    #[error("this one-time credential is for another purpose; use one made for this service")]
    WrongPurpose,
}

/// A signed SD-KBT, ready to show.
#[derive(Clone, PartialEq, Eq)]
pub struct Presentation {
    bytes: Vec<u8>,
    issued_at: UnixTime,
    expires: UnixTime,
    disclosed: Vec<ClaimName>,
}

impl Drop for Presentation {
    fn drop(&mut self) {
        // The SD-KBT embeds the disclosures it shows.
        self.bytes.zeroize();
    }
}

impl std::fmt::Debug for Presentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presentation")
            .field("len", &self.bytes.len())
            .field("issued_at", &self.issued_at)
            .field("expires", &self.expires)
            .field("disclosed", &self.disclosed)
            .finish()
    }
}

impl Presentation {
    /// The SD-KBT bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The QR text (prefix + Base45), for alphanumeric mode at error correction M. It encodes the
    /// disclosed claims, so it comes in a buffer wiped on drop.
    pub fn qr_text(&self) -> Zeroizing<String> {
        credential::to_qr_text(&self.bytes)
    }
    /// `iat`.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// `exp` (the refresh deadline).
    pub fn expires(&self) -> UnixTime {
        self.expires
    }
    /// Claims disclosed.
    pub fn disclosed(&self) -> &[ClaimName] {
        &self.disclosed
    }
}

/// Build and sign a presentation with a random `cti`, through a synchronous signer.
pub fn present(
    credential: &Credential,
    request: &PresentationRequest,
    signer: &dyn HolderSigner,
    clock: &dyn Clock,
) -> Result<Presentation, PresentError> {
    present_with_ids(credential, request, signer, clock, &mut OsSalts)
}

/// As [`present`], with the 16-byte `cti` drawn from `ids` (deterministic in tests).
pub fn present_with_ids(
    credential: &Credential,
    request: &PresentationRequest,
    signer: &dyn HolderSigner,
    clock: &dyn Clock,
    ids: &mut dyn SaltSource,
) -> Result<Presentation, PresentError> {
    let unsigned = prepare_with_ids(credential, request, &signer.public_key(), clock, ids)?;
    let signature = signer.sign(unsigned.to_be_signed())?;
    unsigned.finish(&signature.to_bytes())
}

/// A presentation laid out and waiting for the holder's signature: the first of the two phases,
/// so a secure area that signs asynchronously (behind a biometric prompt) fits between them.
pub struct UnsignedPresentation {
    protected: Vec<u8>,
    protected_map: Cbor,
    payload: Vec<u8>,
    to_be_signed: Vec<u8>,
    holder_key: p256::PublicKey,
    issued_at: UnixTime,
    expires: UnixTime,
    disclosed: Vec<ClaimName>,
}

impl Drop for UnsignedPresentation {
    fn drop(&mut self) {
        // The protected header and the bytes to sign embed the chosen disclosures.
        self.protected.zeroize();
        self.payload.zeroize();
        self.to_be_signed.zeroize();
    }
}

impl std::fmt::Debug for UnsignedPresentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsignedPresentation")
            .field("issued_at", &self.issued_at)
            .field("expires", &self.expires)
            .field("disclosed", &self.disclosed)
            .finish_non_exhaustive()
    }
}

impl UnsignedPresentation {
    /// The COSE `Sig_structure` bytes the holder key must sign (ES256: ECDSA P-256 / SHA-256).
    pub fn to_be_signed(&self) -> &[u8] {
        &self.to_be_signed
    }

    /// When the presentation will expire once signed.
    pub fn expires(&self) -> UnixTime {
        self.expires
    }

    /// Completes the presentation with `signature` (`r || s`, 64 bytes), after checking it under
    /// the credential's `cnf` key: a secure area that signed anything else, or with another key,
    /// gets [`PresentError::SecureAreaMisbehaved`] and nothing is shown.
    pub fn finish(mut self, signature: &[u8]) -> Result<Presentation, PresentError> {
        let expected = p256::ecdsa::VerifyingKey::from(&self.holder_key);
        // Hardware secure areas are outside our control: check before showing anything.
        if !Backend::DEFAULT.verify_es256(&expected, &self.to_be_signed, signature) {
            return Err(PresentError::SecureAreaMisbehaved);
        }
        // Taken, not copied: `self` and `kbt` wipe what they hold when dropped.
        let kbt = sd_cwt::CoseSign1 {
            protected_bytes: std::mem::take(&mut self.protected),
            protected: std::mem::replace(&mut self.protected_map, Cbor::Null),
            unprotected: Cbor::Map(Vec::new()),
            payload: std::mem::take(&mut self.payload),
            signature: signature.to_vec(),
        };
        Ok(Presentation {
            bytes: kbt.to_cbor().to_vec(),
            issued_at: self.issued_at,
            expires: self.expires,
            disclosed: std::mem::take(&mut self.disclosed),
        })
    }
}

/// Lays out a presentation of `credential` for `request` with a random `cti`, for the holder key
/// `holder_key` ([`PresentError::WrongHolderKey`] unless it is the credential's `cnf` key).
pub fn prepare(
    credential: &Credential,
    request: &PresentationRequest,
    holder_key: &p256::PublicKey,
    clock: &dyn Clock,
) -> Result<UnsignedPresentation, PresentError> {
    prepare_with_ids(credential, request, holder_key, clock, &mut OsSalts)
}

/// As [`prepare`], with the 16-byte `cti` drawn from `ids` (deterministic in tests).
pub fn prepare_with_ids(
    credential: &Credential,
    request: &PresentationRequest,
    holder_key: &p256::PublicKey,
    clock: &dyn Clock,
    ids: &mut dyn SaltSource,
) -> Result<UnsignedPresentation, PresentError> {
    let (chosen, audience) = match &request.disclose {
        Disclose::Purpose(p) => (
            p.claims(credential),
            request
                .audience
                .clone()
                .unwrap_or_else(|| p.as_str().into()),
        ),
        Disclose::Claims(c) => (
            c.clone(),
            request
                .audience
                .clone()
                .ok_or(PresentError::AudienceRequired)?,
        ),
    };
    if audience.is_empty() || audience.len() > MAX_AUDIENCE_LEN {
        return Err(PresentError::BadAudience);
    }
    if request.lifetime_secs == 0 || request.lifetime_secs > MAX_LIFETIME_SECS {
        return Err(PresentError::BadLifetime);
    }
    if holder_key != credential.holder_key() {
        return Err(PresentError::WrongHolderKey);
    }
    let now = clock.now();
    if now >= credential.expires() || now < credential.not_before() || now < credential.issued_at()
    {
        return Err(PresentError::CredentialNotValidNow);
    }
    // The draft: an SD-KBT must not outlive its SD-CWT.
    let expires = now
        .saturating_add(i64::from(request.lifetime_secs))
        .min(credential.expires());
    let sd_cwt = credential
        .with_only(&chosen)
        .map_err(|c| PresentError::ClaimNotInCredential(c.as_str()))?;

    let cti = ids
        .salt()
        .map_err(|_: IssueError| PresentError::Randomness)?;
    Ok(lay_out(Layout {
        kcwt: sd_cwt,
        audience,
        now,
        expires,
        cti: Some(cti),
        nonce: request.nonce.clone(),
        holder_key: *credential.holder_key(),
        disclosed: chosen,
    }))
}

/// What an SD-KBT is made of, whichever credential shape its `kcwt` holds.
struct Layout {
    kcwt: Cbor,
    audience: String,
    now: UnixTime,
    expires: UnixTime,
    cti: Option<[u8; 16]>,
    nonce: Option<Vec<u8>>,
    holder_key: p256::PublicKey,
    disclosed: Vec<ClaimName>,
}

fn lay_out(layout: Layout) -> UnsignedPresentation {
    let mut payload = vec![
        (Cbor::int(claim::AUD), Cbor::Text(layout.audience)),
        (Cbor::int(claim::EXP), Cbor::int(layout.expires.as_secs())),
        (Cbor::int(claim::IAT), Cbor::int(layout.now.as_secs())),
    ];
    if let Some(cti) = layout.cti {
        payload.push((Cbor::int(claim::CTI), Cbor::Bytes(cti.to_vec())));
    }
    if let Some(nonce) = layout.nonce {
        payload.push((Cbor::int(claim::CNONCE), Cbor::Bytes(nonce)));
    }
    let payload = Cbor::Map(payload).to_vec();
    let protected_map = Cbor::Map(vec![
        (
            Cbor::int(sd_cwt::HEADER_ALG),
            Cbor::int(sd_cwt::SignatureAlgorithm::Es256.cose_id()),
        ),
        (Cbor::int(sd_cwt::HEADER_KCWT), layout.kcwt),
        (Cbor::int(sd_cwt::HEADER_TYP), Cbor::int(sd_cwt::TYP_KB_CWT)),
    ]);
    let protected = protected_map.to_vec();
    let to_be_signed = sd_cwt::to_be_signed(&protected, &payload);
    UnsignedPresentation {
        protected,
        protected_map,
        payload,
        to_be_signed,
        holder_key: layout.holder_key,
        issued_at: layout.now,
        expires: layout.expires,
        disclosed: layout.disclosed,
    }
}

/// Build and sign a presentation of a purpose credential (FORMAT.md §12) through a synchronous
/// signer holding that credential's own key.
pub fn present_purpose(
    credential: &PurposeCredential,
    request: &PresentationRequest,
    signer: &dyn HolderSigner,
    clock: &dyn Clock,
) -> Result<Presentation, PresentError> {
    let unsigned = prepare_purpose(credential, request, &signer.public_key(), clock)?;
    let signature = signer.sign(unsigned.to_be_signed())?;
    unsigned.finish(&signature.to_bytes())
}

/// Lays out a presentation of a purpose credential. The request must name the credential's own
/// purpose ([`PresentError::WrongPurpose`] otherwise: a purpose credential shows its claims or
/// nothing). No `cti`: the credential is used once, and `iat` makes the code fresh.
pub fn prepare_purpose(
    credential: &PurposeCredential,
    request: &PresentationRequest,
    holder_key: &p256::PublicKey,
    clock: &dyn Clock,
) -> Result<UnsignedPresentation, PresentError> {
    if request.disclose != Disclose::Purpose(credential.purpose()) {
        return Err(PresentError::WrongPurpose);
    }
    let audience = request
        .audience
        .clone()
        .unwrap_or_else(|| credential.purpose().as_str().into());
    if audience.is_empty() || audience.len() > MAX_AUDIENCE_LEN {
        return Err(PresentError::BadAudience);
    }
    if request.lifetime_secs == 0 || request.lifetime_secs > MAX_LIFETIME_SECS {
        return Err(PresentError::BadLifetime);
    }
    if holder_key != credential.holder_key() {
        return Err(PresentError::WrongHolderKey);
    }
    let now = clock.now();
    if now >= credential.expires() || now < credential.issued_at() {
        return Err(PresentError::CredentialNotValidNow);
    }
    let expires = now
        .saturating_add(i64::from(request.lifetime_secs))
        .min(credential.expires());
    Ok(lay_out(Layout {
        kcwt: credential.to_cbor(),
        audience,
        now,
        expires,
        cti: None,
        nonce: request.nonce.clone(),
        holder_key: *credential.holder_key(),
        disclosed: credential.claims().keys().copied().collect(),
    }))
}
