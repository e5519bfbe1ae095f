//! The two signature backends give the same verdict on every input (feature `fast-verify`, which
//! compiles ring in beside the p256/p384 crates): raw signatures called on both directly, and
//! whole presentations and status lists through a verifier set to each backend in turn.
//!
//! Both must refuse a wrong length, `r` or `s` of zero or at least `n`, and any changed bit, and
//! both must accept a high `s` (`n − s`, the other half of ECDSA's malleability) and a signature
//! whose `r` is the reduction of an `x` coordinate above `n`; those verdicts are asserted too, so
//! two backends agreeing on a wrong answer fails as well.
//!
//! Random cases come from a seed printed in every failure message; set `NETID_TEST_SEED` to
//! replay one.

#[path = "vectors/fixtures.rs"]
mod fixtures;

use coset::TaggedCborSerializable;
use fixtures::*;
use netid_core::credential::DocType;
use netid_core::credential::cbor::Cbor;
use netid_core::credential::sd_cwt::{self, CoseSign1};
use netid_core::issuer::{IssuerPublicKey, TrustList, TrustedIssuer};
use netid_core::present::{HolderSigner, PresentationRequest, Purpose, present};
use netid_core::signature::{Backend, ring_backend, rustcrypto_backend};
use netid_core::status::{StatusBits, StatusListBuilder, StatusListToken, TokenStatus};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{VerifiedPresentation, Verifier, VerifyError, VerifyRequest};
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::DecompressPoint;
use p256::elliptic_curve::subtle::Choice;
use p256::elliptic_curve::{Field, PrimeField};
use p384::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256, Sha384};

/// The group order of P-256, big-endian.
const N_P256: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
/// The group order of P-384, big-endian.
const N_P384: &str = concat!(
    "ffffffffffffffffffffffffffffffffffffffffffffffff",
    "c7634d81f4372ddf581a0db248b0a77aecec196accc52973"
);

// ---------------------------------------------------------------------------------------------
// Seeded randomness and big-endian arithmetic on scalars as bytes.

/// Deterministic bytes from a seed: SHA-256 of seed ‖ counter.
struct Rng {
    seed: u64,
    counter: u64,
}

impl Rng {
    fn new() -> Self {
        let seed = std::env::var("NETID_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        Self { seed, counter: 0 }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let mut h = Sha256::new();
            h.update(self.seed.to_be_bytes());
            h.update(self.counter.to_be_bytes());
            self.counter += 1;
            out.extend_from_slice(&h.finalize());
        }
        out.truncate(len);
        out
    }

    fn below(&mut self, bound: usize) -> usize {
        let b = self.bytes(8);
        (u64::from_be_bytes(b.try_into().unwrap()) % bound as u64) as usize
    }
}

fn order(curve: Curve) -> Vec<u8> {
    hex::decode(match curve {
        Curve::P256 => N_P256,
        Curve::P384 => N_P384,
    })
    .unwrap()
}

/// a − b over equal-length big-endian integers, a ≥ b.
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    assert_eq!(borrow, 0, "sub underflow");
    out
}

/// a + small, over a big-endian integer; `None` when it overflows the width.
fn add_small(a: &[u8], small: u64) -> Option<Vec<u8>> {
    let mut out = a.to_vec();
    let mut carry = u128::from(small);
    for byte in out.iter_mut().rev() {
        let v = u128::from(*byte) + (carry & 0xff);
        *byte = v as u8;
        carry = (carry >> 8) + (v >> 8);
    }
    (carry == 0).then_some(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

// ---------------------------------------------------------------------------------------------
// Raw verdicts: both backends called directly.

/// A public key of either curve, with the message and signature to check under it.
#[derive(Clone)]
enum Key {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl Key {
    fn curve(&self) -> Curve {
        match self {
            Self::P256(_) => Curve::P256,
            Self::P384(_) => Curve::P384,
        }
    }
}

/// Both backends' verdicts on one input; fails unless they agree.
fn same_verdict(key: &Key, message: &[u8], signature: &[u8], what: &str, seed: u64) -> bool {
    let (rustcrypto, ring) = match key {
        Key::P256(k) => (
            rustcrypto_backend::verify_es256(k, message, signature),
            ring_backend::verify_es256(k, message, signature),
        ),
        Key::P384(k) => (
            rustcrypto_backend::verify_es384(k, message, signature),
            ring_backend::verify_es384(k, message, signature),
        ),
    };
    assert_eq!(
        rustcrypto,
        ring,
        "{what}: p256/p384 crates say {rustcrypto}, ring says {ring} (seed {seed}; signature {})",
        hex::encode(signature)
    );
    rustcrypto
}

/// Every bit position of a signature of `curve`.
fn every_bit(curve: Curve) -> Vec<usize> {
    (0..order(curve).len() * 16).collect()
}

/// 24 seeded bit positions: P-384 in the p384 crate is slow unoptimised, and the structured
/// variants matter more than every flip.
fn some_bits(curve: Curve, rng: &mut Rng) -> Vec<usize> {
    let bits = order(curve).len() * 16;
    (0..24).map(|_| rng.below(bits)).collect()
}

/// A signature changed the ways an attacker or a broken signer could, each with the verdict the
/// format demands (`None`: no fixed answer, only agreement), plus the single-bit changes at
/// `flips`.
fn signature_variants(
    curve: Curve,
    signature: &[u8],
    flips: &[usize],
) -> Vec<(String, Vec<u8>, Option<bool>)> {
    let n = order(curve);
    let half = n.len();
    let (r, s) = signature.split_at(half);
    let join = |r: &[u8], s: &[u8]| [r, s].concat();
    let zero = vec![0u8; half];
    let ff = vec![0xffu8; half];
    let mut v: Vec<(String, Vec<u8>, Option<bool>)> = vec![
        ("as signed".into(), signature.to_vec(), Some(true)),
        (
            "s replaced by n − s".into(),
            join(r, &sub(&n, s)),
            Some(true),
        ),
        ("r and s swapped".into(), join(s, r), None),
        ("r = 0".into(), join(&zero, s), Some(false)),
        ("s = 0".into(), join(r, &zero), Some(false)),
        ("all zero".into(), vec![0; 2 * half], Some(false)),
        ("r = n".into(), join(&n, s), Some(false)),
        ("s = n".into(), join(r, &n), Some(false)),
        (
            "r = n + 1".into(),
            join(&add_small(&n, 1).unwrap(), s),
            Some(false),
        ),
        (
            "s = n + 1".into(),
            join(r, &add_small(&n, 1).unwrap()),
            Some(false),
        ),
        ("r all ff".into(), join(&ff, s), Some(false)),
        ("s all ff".into(), join(r, &ff), Some(false)),
        ("all ff".into(), vec![0xff; 2 * half], Some(false)),
        (
            "r = 1, s = 1".into(),
            join(&add_small(&zero, 1).unwrap(), &add_small(&zero, 1).unwrap()),
            Some(false),
        ),
        (
            "r = n − 1".into(),
            join(&sub(&n, &add_small(&zero, 1).unwrap()), s),
            Some(false),
        ),
        ("empty".into(), Vec::new(), Some(false)),
        ("r only".into(), r.to_vec(), Some(false)),
        (
            "one byte short".into(),
            signature[..2 * half - 1].to_vec(),
            Some(false),
        ),
        (
            "a zero byte appended".into(),
            [signature, &[0]].concat(),
            Some(false),
        ),
        (
            "a zero byte prepended".into(),
            [&[0], signature].concat(),
            Some(false),
        ),
        ("twice".into(), signature.repeat(2), Some(false)),
        (
            "r and s each with a leading zero byte".into(),
            [&[0], r, &[0], s].concat(),
            Some(false),
        ),
    ];
    // s + n and r + n still fit the field width for some values: the same number mod n, but not
    // in [1, n − 1], so both must refuse.
    if let Some(s_plus_n) = add_be(s, &n) {
        v.push(("s + n".into(), join(r, &s_plus_n), Some(false)));
    }
    if let Some(r_plus_n) = add_be(r, &n) {
        v.push(("r + n".into(), join(&r_plus_n, s), Some(false)));
    }
    // DER (ASN.1 ECDSA-Sig-Value), what a host's secure area returns: not a COSE signature.
    v.push(("DER encoded".into(), der(r, s), Some(false)));
    for &bit in flips {
        let mut flipped = signature.to_vec();
        flipped[bit / 8] ^= 0x80 >> (bit % 8);
        v.push((format!("bit {bit} flipped"), flipped, Some(false)));
    }
    v
}

/// a + b over equal-length big-endian integers; `None` when it overflows the width.
fn add_be(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for i in (0..a.len()).rev() {
        let v = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    (carry == 0).then_some(out)
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` (lengths below 128).
fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(x: &[u8]) -> Vec<u8> {
        let x = &x[x.iter().take_while(|&&b| b == 0).count()..];
        let mut body = if x.first().is_some_and(|&b| b & 0x80 != 0) {
            vec![0]
        } else {
            Vec::new()
        };
        body.extend_from_slice(x);
        [vec![0x02, body.len() as u8], body].concat()
    }
    let body = [integer(r), integer(s)].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

/// Runs every variant of `signature` through both backends; returns how many were checked.
fn check_variants(
    key: &Key,
    message: &[u8],
    signature: &[u8],
    flips: &[usize],
    what: &str,
    seed: u64,
) -> usize {
    let variants = signature_variants(key.curve(), signature, flips);
    for (name, sig, expected) in &variants {
        let verdict = same_verdict(key, message, sig, &format!("{what}, {name}"), seed);
        if let Some(expected) = expected {
            assert_eq!(
                verdict, *expected,
                "{what}, {name}: both backends say {verdict} (seed {seed})"
            );
        }
    }
    // The right signature over another message.
    let mut other = message.to_vec();
    other.push(0);
    assert!(!same_verdict(
        key,
        &other,
        signature,
        &format!("{what}, other message"),
        seed
    ));
    variants.len()
}

/// The netid presentations' own signatures: the issuer's over the SD-CWT and the holder's over
/// the SD-KBT, for every document type.
fn presentation_signatures() -> Vec<(String, Key, Vec<u8>, Vec<u8>)> {
    let IssuerPublicKey::P256(issuer_key) = issuer().public_key() else {
        unreachable!("the development issuer signs with P-256")
    };
    let holder_key = p256::ecdsa::VerifyingKey::from(&holder().public_key());
    let mut out = Vec::new();
    for doc_type in DocType::ALL {
        let p = show(&credential(doc_type), Purpose::GovernmentService);
        let kbt = CoseSign1::from_slice(p.as_bytes()).unwrap();
        let cwt = kcwt(&kbt);
        out.push((
            format!("{doc_type:?} issuer signature"),
            Key::P256(issuer_key),
            cwt.to_be_signed(),
            cwt.signature.clone(),
        ));
        out.push((
            format!("{doc_type:?} holder signature"),
            Key::P256(holder_key),
            kbt.to_be_signed(),
            kbt.signature.clone(),
        ));
    }
    out
}

#[test]
fn this_build_verifies_with_ring() {
    assert_eq!(Backend::DEFAULT, Backend::Ring);
    assert_eq!(Backend::ALL, &[Backend::RustCrypto, Backend::Ring]);
}

#[test]
fn the_group_orders_used_here_are_the_curves() {
    let n = order(Curve::P256);
    let below = sub(&n, &add_small(&[0; 32], 1).unwrap());
    assert!(bool::from(
        p256::Scalar::from_repr(*p256::FieldBytes::from_slice(&n)).is_none()
    ));
    assert!(bool::from(
        p256::Scalar::from_repr(*p256::FieldBytes::from_slice(&below)).is_some()
    ));
    let n = order(Curve::P384);
    let below = sub(&n, &add_small(&[0; 48], 1).unwrap());
    assert!(bool::from(
        p384::Scalar::from_repr(*p384::FieldBytes::from_slice(&n)).is_none()
    ));
    assert!(bool::from(
        p384::Scalar::from_repr(*p384::FieldBytes::from_slice(&below)).is_some()
    ));
}

#[test]
fn raw_signatures_of_presentations_get_the_same_verdicts() {
    let seed = Rng::new().seed;
    let mut checked = 0;
    let cases = presentation_signatures();
    for (what, key, message, signature) in &cases {
        checked += check_variants(key, message, signature, &every_bit(Curve::P256), what, seed);
    }
    // Keys swapped: the issuer's signature under the holder's key and the reverse.
    let (_, issuer_key, issuer_tbs, issuer_sig) = &cases[0];
    let (_, holder_key, holder_tbs, holder_sig) = &cases[1];
    assert!(!same_verdict(
        holder_key,
        issuer_tbs,
        issuer_sig,
        "issuer signature, holder key",
        seed
    ));
    assert!(!same_verdict(
        issuer_key,
        holder_tbs,
        holder_sig,
        "holder signature, issuer key",
        seed
    ));
    assert!(checked > 8 * 500, "only {checked} variants checked");
}

#[test]
fn raw_signatures_by_random_keys_get_the_same_verdicts() {
    let mut rng = Rng::new();
    let seed = rng.seed;
    for round in 0..12 {
        let len = rng.below(300);
        let message = rng.bytes(len);
        // P-256: RustCrypto's signer leaves s as it falls, so about half are high-S already.
        let key = p256::ecdsa::SigningKey::from_slice(&rng.bytes(32)).unwrap();
        let sig: p256::ecdsa::Signature = key.sign(&message);
        let what = format!("P-256 round {round}");
        let flips = some_bits(Curve::P256, &mut rng);
        check_variants(
            &Key::P256(*key.verifying_key()),
            &message,
            &sig.to_bytes(),
            &flips,
            &what,
            seed,
        );
        // Random bytes of the right length as a signature: refused by both.
        let junk = rng.bytes(64);
        assert!(!same_verdict(
            &Key::P256(*key.verifying_key()),
            &message,
            &junk,
            &what,
            seed
        ));

        let key = p384::ecdsa::SigningKey::from_slice(&rng.bytes(48)).unwrap();
        let sig: p384::ecdsa::Signature = key.sign(&message);
        let what = format!("P-384 round {round}");
        let flips = some_bits(Curve::P384, &mut rng);
        check_variants(
            &Key::P384(*key.verifying_key()),
            &message,
            &sig.to_bytes(),
            &flips,
            &what,
            seed,
        );
    }
}

/// ECDSA public-key recovery, used to build a valid signature whose `R` has an `x` coordinate
/// in `[n, p)`: its `r` is `x − n`. Such signatures are valid but about 2^-128 rare, so only a
/// crafted one exercises the backends' `x mod n` comparison (ring's `r + n < p` branch). The
/// unreduced `r' = x` must be refused (it is not below `n`).
macro_rules! high_x_signature {
    ($curve:ident, $which:expr, $hash:ty, $rng:expr, $message:expr) => {{
        use $curve::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};
        let n = order($which);
        let (t, x, big_r) = (1u64..)
            .find_map(|t| {
                let x = add_small(&n, t)?;
                let point = AffinePoint::decompress(FieldBytes::from_slice(&x), Choice::from(0));
                Option::<AffinePoint>::from(point).map(|p| (t, x, p))
            })
            .unwrap();
        let r = Scalar::from(t);
        let s = loop {
            let candidate = Scalar::from_repr(*FieldBytes::from_slice(&$rng.bytes(n.len())));
            if let Some(s) = Option::<Scalar>::from(candidate).filter(|s| !bool::from(s.is_zero()))
            {
                break s;
            }
        };
        let e = <Scalar as Reduce<_>>::reduce_bytes(&<$hash>::digest($message));
        let q = (ProjectivePoint::from(big_r) * s - ProjectivePoint::GENERATOR * e)
            * r.invert().unwrap();
        let key = $curve::ecdsa::VerifyingKey::from_affine(q.to_affine()).unwrap();
        let signature = [r.to_repr().to_vec(), s.to_repr().to_vec()].concat();
        let unreduced = [x, s.to_repr().to_vec()].concat();
        (key, signature, unreduced, t)
    }};
}

#[test]
fn a_signature_whose_r_is_an_x_coordinate_above_n_gets_the_same_verdicts() {
    let mut rng = Rng::new();
    let seed = rng.seed;
    let message = b"x(R) in [n, p)".as_slice();

    let (key, signature, unreduced, t) = high_x_signature!(p256, Curve::P256, Sha256, rng, message);
    let key = Key::P256(key);
    assert!(
        t < 1000,
        "the first x above n on P-256 should be near n (t = {t})"
    );
    assert!(same_verdict(
        &key,
        message,
        &signature,
        "P-256 r = x(R) − n",
        seed
    ));
    assert!(!same_verdict(
        &key,
        message,
        &unreduced,
        "P-256 r = x(R) ≥ n",
        seed
    ));
    let flips = every_bit(Curve::P256);
    check_variants(
        &key,
        message,
        &signature,
        &flips,
        "P-256 r = x(R) − n",
        seed,
    );

    let (key, signature, unreduced, _) = high_x_signature!(p384, Curve::P384, Sha384, rng, message);
    let key = Key::P384(key);
    assert!(same_verdict(
        &key,
        message,
        &signature,
        "P-384 r = x(R) − n",
        seed
    ));
    assert!(!same_verdict(
        &key,
        message,
        &unreduced,
        "P-384 r = x(R) ≥ n",
        seed
    ));
    let flips = some_bits(Curve::P384, &mut rng);
    check_variants(
        &key,
        message,
        &signature,
        &flips,
        "P-384 r = x(R) − n",
        seed,
    );
}

#[test]
fn the_drafts_es384_issuer_signature_gets_the_same_verdicts() {
    let cwt =
        CoseSign1::from_slice(include_bytes!("vectors/sd-cwt-draft/issuer_cwt.cbor")).unwrap();
    let key = p384::ecdsa::VerifyingKey::from_public_key_pem(include_str!(
        "vectors/sd-cwt-draft/issuer_pubkey.pem"
    ))
    .unwrap();
    let mut rng = Rng::new();
    let seed = rng.seed;
    check_variants(
        &Key::P384(key),
        &cwt.to_be_signed(),
        &cwt.signature,
        &some_bits(Curve::P384, &mut rng),
        "draft issuer",
        seed,
    );
    // An ES384 signature is never an ES256 one: a P-256 key refuses it on both backends.
    let IssuerPublicKey::P256(p256_key) = issuer().public_key() else {
        unreachable!()
    };
    assert!(!same_verdict(
        &Key::P256(p256_key),
        &cwt.to_be_signed(),
        &cwt.signature,
        "ES384 under P-256",
        seed
    ));
}

// ---------------------------------------------------------------------------------------------
// End to end: a verifier per backend.

fn at(secs: i64) -> FixedClock {
    FixedClock::new(UnixTime::from_secs(secs))
}

fn verifier(trust: &TrustList, now: i64, backend: Backend) -> Verifier {
    let mut v = without_gov_request_rule(Verifier::new(trust.clone(), Box::new(at(now))));
    v.set_signature_backend(backend);
    v
}

fn show(
    cred: &netid_core::credential::Credential,
    purpose: Purpose,
) -> netid_core::present::Presentation {
    present(
        cred,
        &PresentationRequest::for_purpose(purpose),
        &holder(),
        &at(NOW),
    )
    .unwrap()
}

fn kcwt(kbt: &CoseSign1) -> CoseSign1 {
    CoseSign1::from_cbor(kbt.protected.get_int(sd_cwt::HEADER_KCWT).unwrap()).unwrap()
}

type Outcome = Result<([u8; 32], VerifiedPresentation), VerifyError>;

/// Every check but replay (so one input can be judged twice), with the replay identity.
fn outcome(v: &Verifier, bytes: &[u8], request: &VerifyRequest) -> Outcome {
    v.check_all_but_replay(bytes, request).map(|u| {
        let identity = *u.replay_identity();
        (identity, u.into_verified_after_recording())
    })
}

/// The two verifiers' outcomes on `bytes`; fails unless they are identical.
fn same_outcome(
    pair: &[Verifier; 2],
    bytes: &[u8],
    request: &VerifyRequest,
    what: &str,
) -> Outcome {
    let rustcrypto = outcome(&pair[0], bytes, request);
    let ring = outcome(&pair[1], bytes, request);
    assert!(
        rustcrypto == ring,
        "{what}: p256 verifier says {:?}, ring verifier says {:?}",
        rustcrypto.as_ref().map(|_| "ok"),
        ring.as_ref().map(|_| "ok"),
    );
    rustcrypto
}

fn pair(trust: &TrustList, now: i64) -> [Verifier; 2] {
    [
        verifier(trust, now, Backend::RustCrypto),
        verifier(trust, now, Backend::Ring),
    ]
}

/// The presentation with the SD-KBT's signature replaced.
fn with_holder_signature(presentation: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut kbt = CoseSign1::from_slice(presentation).unwrap();
    kbt.signature = signature.to_vec();
    kbt.to_cbor().to_vec()
}

/// The presentation with the embedded SD-CWT's (issuer) signature replaced, then honestly
/// re-signed by the holder, so only the issuer signature can be wrong.
fn with_issuer_signature(presentation: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut kbt = CoseSign1::from_slice(presentation).unwrap();
    let Cbor::Map(header) = &mut kbt.protected else {
        panic!("the protected header is a map")
    };
    for (k, v) in header.iter_mut() {
        if *k == Cbor::int(sd_cwt::HEADER_KCWT) {
            let mut cwt = CoseSign1::from_cbor(v).unwrap();
            cwt.signature = signature.to_vec();
            *v = cwt.to_cbor();
        }
    }
    kbt.protected_bytes = kbt.protected.to_vec();
    kbt.signature = holder()
        .sign(&kbt.to_be_signed())
        .unwrap()
        .to_bytes()
        .to_vec();
    kbt.to_cbor().to_vec()
}

#[test]
fn every_presentation_of_every_document_and_purpose_gets_the_same_outcome() {
    let trust = trust_list();
    let verifiers = pair(&trust, NOW);
    let mut accepted = 0;
    for doc_type in DocType::ALL {
        let cred = credential(doc_type);
        for purpose in Purpose::ALL {
            let request = VerifyRequest::for_purpose(purpose);
            let p = show(&cred, purpose);
            let what = format!("{doc_type:?} for {purpose:?}");
            accepted +=
                usize::from(same_outcome(&verifiers, p.as_bytes(), &request, &what).is_ok());
            // Shown to the wrong counter, and too late: refused alike.
            let other = VerifyRequest {
                audience: Some("elsewhere".into()),
                ..request.clone()
            };
            assert!(same_outcome(&verifiers, p.as_bytes(), &other, &what).is_err());
            let late = pair(&trust, NOW + 3_600);
            assert!(same_outcome(&late, p.as_bytes(), &request, &what).is_err());
        }
    }
    assert!(accepted >= 8, "only {accepted} presentations accepted");
}

#[test]
fn the_conformance_corpus_gets_the_same_verdicts() {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("vectors/conformance/cases.json")).unwrap();
    let trust = trust_list();
    let cases = json["cases"].as_array().unwrap();
    assert!(cases.len() > 40);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let now = case["now"].as_i64().unwrap();
        let request = VerifyRequest::for_purpose(
            Purpose::from_name(case["purpose"].as_str().unwrap()).unwrap(),
        );
        let text = case["qr_text"].as_str().unwrap();
        // Fresh verifiers per case, so the replay cache plays no part.
        let [rustcrypto, ring] = pair(&trust, now).map(|v| v.verify_qr_text(text, &request));
        assert!(
            rustcrypto == ring,
            "{name}: {:?} against {:?}",
            rustcrypto.as_ref().err(),
            ring.as_ref().err()
        );
        // The verdict's name, as conformance.rs writes it into the file.
        let verdict = match &rustcrypto {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{e:?}")
                .split(['(', ' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        assert_eq!(verdict, case["expect"].as_str().unwrap(), "{name}");
    }
}

#[test]
fn malleated_and_malformed_signatures_in_a_presentation_get_the_same_outcome() {
    let trust = trust_list();
    let verifiers = pair(&trust, NOW);
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let original = same_outcome(&verifiers, p.as_bytes(), &hotel, "as presented").unwrap();
    let kbt = CoseSign1::from_slice(p.as_bytes()).unwrap();
    let cwt = kcwt(&kbt);

    for (name, signature, expected) in
        signature_variants(Curve::P256, &kbt.signature, &every_bit(Curve::P256))
    {
        let bytes = with_holder_signature(p.as_bytes(), &signature);
        let what = format!("holder signature {name}");
        let result = same_outcome(&verifiers, &bytes, &hotel, &what);
        match expected {
            // A re-encoded (n − s) signature is the same presentation: same claims, and the same
            // replay identity, so it cannot be replayed as a new code.
            Some(true) => assert_eq!(result.as_ref().ok(), Some(&original), "{what}"),
            Some(false) => assert_eq!(
                result.err(),
                Some(VerifyError::BadHolderSignature),
                "{what}"
            ),
            None => assert!(result.is_err(), "{what}"),
        }
    }
    for (name, signature, expected) in
        signature_variants(Curve::P256, &cwt.signature, &every_bit(Curve::P256))
    {
        let bytes = with_issuer_signature(p.as_bytes(), &signature);
        let what = format!("issuer signature {name}");
        let result = same_outcome(&verifiers, &bytes, &hotel, &what);
        match expected {
            Some(true) => assert_eq!(
                result.map(|(_, v)| v).ok(),
                Some(original.1.clone()),
                "{what}"
            ),
            Some(false) => assert_eq!(
                result.err(),
                Some(VerifyError::BadIssuerSignature),
                "{what}"
            ),
            None => assert!(result.is_err(), "{what}"),
        }
    }

    // The signature byte string re-encoded with a longer length head than CBOR's preferred one:
    // the same bytes to a lax decoder, refused before any signature is checked.
    let bytes = p.as_bytes();
    let head = bytes.len() - 64 - 2;
    assert_eq!(&bytes[head..head + 2], &[0x58, 0x40]);
    let long_head = [&bytes[..head], &[0x59, 0x00, 0x40], &bytes[head + 2..]].concat();
    assert!(matches!(
        same_outcome(
            &verifiers,
            &long_head,
            &hotel,
            "signature with a two-byte length head"
        ),
        Err(VerifyError::Malformed(_))
    ));
}

/// The existing exhaustive tamper test's pattern (core/tests/verify.rs), through both backends:
/// every single-byte change and every truncation of a presentation gets the same outcome.
#[test]
fn every_single_byte_change_and_every_truncation_gets_the_same_outcome() {
    let p = show(&credential(DocType::ResidentId), Purpose::HotelCheckIn);
    let bytes = p.as_bytes();
    let trust = trust_list();
    let verifiers = pair(&trust, NOW);
    let hotel = VerifyRequest::for_purpose(Purpose::HotelCheckIn);
    for cut in 0..bytes.len() {
        assert!(same_outcome(&verifiers, &bytes[..cut], &hotel, &format!("cut to {cut}")).is_err());
    }
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let counts: Vec<[usize; 2]> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let (verifiers, hotel) = (&verifiers, &hotel);
                scope.spawn(move || {
                    // Refusals by signature, and refusals of any kind.
                    let mut counts = [0usize; 2];
                    let mut changed = bytes.to_vec();
                    for position in (worker..bytes.len()).step_by(threads) {
                        let original = bytes[position];
                        for value in (0..=u8::MAX).filter(|&value| value != original) {
                            changed[position] = value;
                            let what = format!("byte {position} changed to {value:#04x}");
                            let result = same_outcome(verifiers, &changed, hotel, &what);
                            counts[0] += usize::from(matches!(
                                result,
                                Err(VerifyError::BadHolderSignature
                                    | VerifyError::BadIssuerSignature)
                            ));
                            counts[1] += usize::from(result.is_err());
                        }
                        changed[position] = original;
                    }
                    counts
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let by_signature: usize = counts.iter().map(|c| c[0]).sum();
    let refused: usize = counts.iter().map(|c| c[1]).sum();
    assert_eq!(refused, bytes.len() * 255, "every change is refused");
    // Most changes land in signed bytes that still parse: the signatures must be what refuses
    // them, or this test would not be comparing the backends at all.
    assert!(
        by_signature > bytes.len() * 255 / 2,
        "only {by_signature} of {refused} changes reached a signature check"
    );
}

#[test]
fn the_drafts_es384_presentation_gets_the_same_outcome() {
    let kbt_bytes = include_bytes!("vectors/sd-cwt-draft/kbt.cbor");
    let kid = b"https://issuer.example/cose-key3";
    let mut trust = TrustList::new();
    trust
        .add(TrustedIssuer {
            issuer: "https://issuer.example".into(),
            kid: kid.to_vec(),
            key: IssuerPublicKey::P384(
                p384::ecdsa::VerifyingKey::from_public_key_pem(include_str!(
                    "vectors/sd-cwt-draft/issuer_pubkey.pem"
                ))
                .unwrap(),
            ),
            not_before: UnixTime::from_secs(1_704_067_200),
            not_after: UnixTime::from_secs(1_735_689_600),
            doc_types: vec![],
        })
        .unwrap();
    let scan_time = 1_725_244_240;
    let aud = "https://verifier.example/app";
    let verdict = |bytes: &[u8], what: &str| {
        let [a, b] = pair(&trust, scan_time).map(|v| {
            v.verify_sd_kbt(bytes, aud, None)
                .map(|k| k.claims().clone())
        });
        assert_eq!(a, b, "{what}");
        a
    };
    verdict(kbt_bytes, "as published").unwrap();
    let kbt = CoseSign1::from_slice(kbt_bytes).unwrap();
    for (name, signature, expected) in
        signature_variants(Curve::P256, &kbt.signature, &every_bit(Curve::P256))
    {
        let result = verdict(&with_holder_signature(kbt_bytes, &signature), &name);
        if let Some(expected) = expected {
            assert_eq!(
                result.is_ok(),
                expected,
                "holder signature {name}: {result:?}"
            );
        }
    }
}

#[test]
fn status_list_tokens_get_the_same_verdicts() {
    let now = NOW as u64;
    let trusted = trust_list().status_issuer_keys();
    let mut list = StatusListBuilder::new("https://status.example/1", 64, StatusBits::Two).unwrap();
    list.set(3, TokenStatus::Revoked).unwrap();
    list.set(9, TokenStatus::Suspended).unwrap();
    list.time_to_live(3_600);
    let token = issuer()
        .sign_status_list(&list, UnixTime::from_secs(NOW))
        .unwrap();
    let verdict = |bytes: &[u8], what: &str| {
        let a = StatusListToken::verify_with_backend(Backend::RustCrypto, bytes, &trusted, now);
        let b = StatusListToken::verify_with_backend(Backend::Ring, bytes, &trusted, now);
        assert_eq!(a, b, "{what}");
        a
    };
    verdict(&token, "as signed").unwrap();

    let sign1 = coset::CoseSign1::from_tagged_slice(&token).unwrap();
    for (name, signature, expected) in
        signature_variants(Curve::P256, &sign1.signature, &every_bit(Curve::P256))
    {
        let mut changed = sign1.clone();
        changed.signature = signature;
        let result = verdict(&changed.to_tagged_vec().unwrap(), &name);
        if let Some(expected) = expected {
            assert_eq!(
                result.is_ok(),
                expected,
                "status list signature {name}: {result:?}"
            );
        }
    }
    let mut refused = 0;
    let mut changed = token.clone();
    for position in 0..token.len() {
        for value in (0..=u8::MAX).filter(|&value| value != token[position]) {
            changed[position] = value;
            refused += usize::from(
                verdict(
                    &changed,
                    &format!("byte {position} changed to {value:#04x}"),
                )
                .is_err(),
            );
        }
        changed[position] = token[position];
    }
    // A change may land in bytes the signature does not cover (none here: the unprotected
    // header is empty), so every one is refused.
    assert_eq!(refused, token.len() * 255);
}
