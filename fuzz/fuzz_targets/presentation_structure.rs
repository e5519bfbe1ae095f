//! Structure-aware fuzz target: valid presentations, decoded into a CBOR model, edited by a plan
//! that `arbitrary` draws from the fuzzer's bytes, optionally re-signed, re-encoded and verified.
//!
//! Byte-level fuzzing (`qr_text`) mostly dies at the first parse error or at a signature check.
//! Here every input is a well-formed presentation with a few structural edits — a header value
//! replaced, a map entry duplicated or removed, a claim moved, a byte string that holds CBOR
//! edited inside — and the plan may re-sign the result as the holder (who can sign anything in
//! the key-binding token) or as the issuer too (a careless or compromised issuer), so the edits
//! reach the checks after the signatures: disclosures, claims, time, policy, status.
//!
//! Besides "no panic, no hang", two oracles:
//! - nobody re-signed: an accepted presentation must verify to exactly the seed's result (an edit
//!   of unsigned parts must never change what the counter is told);
//! - only the holder re-signed: an accepted presentation keeps the seed's issuer, document type,
//!   assurance level and credential expiry, and every disclosed claim has the value the issuer
//!   signed (the holder cannot forge a claim).
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use ciborium::value::{Integer, Value};
use libfuzzer_sys::fuzz_target;
use netid_core::credential::{
    ClaimName, ClaimValue, Credential, DocType, IssueError, Purpose, SALT_LEN, SaltSource,
    StatusReference,
};
use netid_core::issuer::{DevIssuer, TrustList, parse_claims_file};
use netid_core::present::{
    HolderSigner, PresentationRequest, SoftwareHolderKey, present, present_purpose,
};
use netid_core::status::{StatusBits, StatusListBuilder, StatusListCache, TokenStatus};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::verify::{VerifiedPresentation, Verifier, VerifyRequest};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

/// When the seeds are presented; the counter's clock is two seconds later.
const NOW: i64 = 1_768_435_200;
const ISSUER_ID: &str = "cn-dev";
const KID: &[u8] = b"d1";
const STATUS_URI: &str = "cn-dev/s";
/// Stands for "a byte string holding CBOR" in the model; never a tag a presentation uses.
const EMBEDDED: u64 = 0xffff_ffff_ffff_ff01;
/// COSE header label of the SD-CWT inside the key-binding token.
const KCWT: i128 = 13;
/// Edits per input: a few is what finds shallow-but-wrong acceptance; more is noise.
const MAX_EDITS: usize = 6;
/// Nodes addressed per model (a presentation has a few hundred).
const MAX_NODES: usize = 4096;

fn scalar(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

/// Deterministic salts, so every run of the fuzzer sees the same seeds.
struct CountingSalts(u32);

impl SaltSource for CountingSalts {
    fn salt(&mut self) -> Result<[u8; SALT_LEN], IssueError> {
        self.0 += 1;
        let digest = Sha256::digest(format!("netid fuzz salt {}", self.0));
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&digest[..SALT_LEN]);
        Ok(salt)
    }
}

struct Seed {
    purpose: Purpose,
    nonce: Option<Vec<u8>>,
    bytes: Vec<u8>,
    model: Value,
    accepted: VerifiedPresentation,
}

struct World {
    trust: TrustList,
    status: StatusListCache,
    issuer_key: SigningKey,
    holder_key: SigningKey,
    /// Every claim each credential was issued with, by document type (what the issuer signed).
    issued_claims: BTreeMap<&'static str, BTreeMap<ClaimName, ClaimValue>>,
    seeds: Vec<Seed>,
}

fn verifier(world: &World) -> Verifier {
    let mut verifier = Verifier::new(
        world.trust.clone(),
        Box::new(FixedClock::new(UnixTime::from_secs(NOW + 2))),
    );
    verifier.set_status_lookup(Box::new(world.status.clone()));
    verifier
}

fn request(purpose: Purpose, nonce: &Option<Vec<u8>>) -> VerifyRequest {
    let mut request = VerifyRequest::for_purpose(purpose);
    request.nonce = nonce.clone();
    request
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let issuer_scalar = scalar("netid fuzz issuer");
        let holder_scalar = scalar("netid fuzz holder");
        let issuer = DevIssuer::from_scalar_bytes(&issuer_scalar, ISSUER_ID, KID)
            .expect("a valid issuer scalar");
        let holder = SoftwareHolderKey::from_scalar_bytes(&holder_scalar).expect("holder scalar");
        let mut trust = TrustList::new();
        trust
            .add(issuer.trust_entry(
                UnixTime::from_secs(1_704_067_200),
                UnixTime::from_secs(2_240_611_200),
                &DocType::ALL,
            ))
            .expect("one entry fits");
        let mut list = StatusListBuilder::new(STATUS_URI, 64, StatusBits::Two).expect("list");
        list.set(1, TokenStatus::Revoked).expect("in range");
        list.set(2, TokenStatus::Suspended).expect("in range");
        list.time_to_live(3_600);
        let token = issuer
            .sign_status_list(&list, UnixTime::from_secs(NOW - 60))
            .expect("signs");
        let mut status = StatusListCache::new(3_600);
        status
            .verify_and_insert(&token, &trust.status_issuer_keys(), (NOW - 60) as u64)
            .expect("the issuer's own list verifies");

        let documents: [(DocType, &str); 2] = [
            (
                DocType::ResidentId,
                include_str!("../../core/tests/vectors/claims/resident-id.json"),
            ),
            (
                DocType::DrivingLicence,
                include_str!("../../core/tests/vectors/claims/driving-licence.json"),
            ),
        ];
        let mut salts = CountingSalts(0);
        let mut issued_claims = BTreeMap::new();
        let mut seeds = Vec::new();
        for (n, (doc_type, json)) in documents.iter().enumerate() {
            let claims = parse_claims_file(json).expect("the vector claims parse");
            let credential: Credential = issuer
                .issue(
                    &claims,
                    &holder.public_key(),
                    UnixTime::from_secs(NOW - 86_400),
                    Some(StatusReference {
                        idx: n as u64 * 8,
                        uri: STATUS_URI.into(),
                    }),
                    &mut salts,
                )
                .expect("issues");
            let mut all = BTreeMap::new();
            for purpose in Purpose::ALL {
                for nonce in [None, Some(b"counter challenge 7".to_vec())] {
                    let mut presentation = PresentationRequest::for_purpose(purpose);
                    presentation.nonce = nonce.clone();
                    let clock = FixedClock::new(UnixTime::from_secs(NOW));
                    let Ok(shown) = present(&credential, &presentation, &holder, &clock) else {
                        continue; // this document does not serve this purpose
                    };
                    let bytes = shown.as_bytes().to_vec();
                    let Ok(accepted) = verifier_for_seed(&trust, &status)
                        .verify(&bytes, &request(purpose, &nonce))
                    else {
                        continue; // e.g. the policy wants another document type
                    };
                    all.extend(accepted.claims().iter().map(|(k, v)| (*k, v.clone())));
                    let model = to_model(&bytes).expect("a presentation is CBOR");
                    assert_eq!(
                        encode(&model),
                        bytes,
                        "the harness's CBOR model must re-encode a presentation byte for byte"
                    );
                    seeds.push(Seed {
                        purpose,
                        nonce,
                        bytes,
                        model,
                        accepted,
                    });
                }
            }
            // The same document as one-time purpose credentials (FORMAT.md §12), the second
            // shape a counter accepts; the same holder key, so the plans can re-sign as holder.
            for purpose in Purpose::ALL {
                let Ok(purpose_credential) = issuer.issue_purpose(
                    &claims,
                    purpose,
                    &holder.public_key(),
                    UnixTime::from_secs(NOW - 86_400),
                    UnixTime::from_secs(NOW + 30 * 86_400),
                    Some(StatusReference {
                        idx: n as u64 * 8 + 4,
                        uri: STATUS_URI.into(),
                    }),
                ) else {
                    continue;
                };
                for nonce in [None, Some(b"counter challenge 7".to_vec())] {
                    let mut presentation = PresentationRequest::for_purpose(purpose);
                    presentation.nonce = nonce.clone();
                    let clock = FixedClock::new(UnixTime::from_secs(NOW));
                    let Ok(shown) =
                        present_purpose(&purpose_credential, &presentation, &holder, &clock)
                    else {
                        continue;
                    };
                    let bytes = shown.as_bytes().to_vec();
                    let Ok(accepted) = verifier_for_seed(&trust, &status)
                        .verify(&bytes, &request(purpose, &nonce))
                    else {
                        continue; // the policy wants another document type
                    };
                    all.extend(accepted.claims().iter().map(|(k, v)| (*k, v.clone())));
                    let model = to_model(&bytes).expect("a presentation is CBOR");
                    assert_eq!(
                        encode(&model),
                        bytes,
                        "the harness's CBOR model must re-encode a presentation byte for byte"
                    );
                    seeds.push(Seed {
                        purpose,
                        nonce,
                        bytes,
                        model,
                        accepted,
                    });
                }
            }
            issued_claims.insert(doc_type.as_str(), all);
        }
        assert!(!seeds.is_empty(), "at least one seed verifies");
        World {
            trust,
            status,
            issuer_key: SigningKey::from_slice(&issuer_scalar).expect("scalar"),
            holder_key: SigningKey::from_slice(&holder_scalar).expect("scalar"),
            issued_claims,
            seeds,
        }
    })
}

fn verifier_for_seed(trust: &TrustList, status: &StatusListCache) -> Verifier {
    let mut verifier = Verifier::new(
        trust.clone(),
        Box::new(FixedClock::new(UnixTime::from_secs(NOW + 2))),
    );
    verifier.set_status_lookup(Box::new(status.clone()));
    verifier
}

// ---- The CBOR model: ciborium values, with byte strings that hold CBOR opened up. ----

fn to_model(bytes: &[u8]) -> Option<Value> {
    let value: Value = ciborium::from_reader(bytes).ok()?;
    Some(open(value, 0))
}

/// Replace byte strings whose whole content is a CBOR array or map by `EMBEDDED(inner)`.
fn open(value: Value, depth: usize) -> Value {
    if depth > 16 {
        return value;
    }
    match value {
        Value::Bytes(bytes) if matches!(bytes.first(), Some(0x80..=0xbf | 0xd8..=0xdb)) => {
            match ciborium::from_reader::<Value, _>(bytes.as_slice()) {
                Ok(inner) if encode_plain(&inner) == bytes => {
                    Value::Tag(EMBEDDED, Box::new(open(inner, depth + 1)))
                }
                _ => Value::Bytes(bytes),
            }
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| open(v, depth + 1)).collect())
        }
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (open(k, depth + 1), open(v, depth + 1)))
                .collect(),
        ),
        Value::Tag(tag, inner) => Value::Tag(tag, Box::new(open(*inner, depth + 1))),
        other => other,
    }
}

/// Back to plain CBOR values: `EMBEDDED(inner)` becomes the byte string of `inner`'s encoding.
fn close(value: &Value) -> Value {
    match value {
        Value::Tag(EMBEDDED, inner) => Value::Bytes(encode(inner)),
        Value::Tag(tag, inner) => Value::Tag(*tag, Box::new(close(inner))),
        Value::Array(items) => Value::Array(items.iter().map(close).collect()),
        Value::Map(entries) => {
            Value::Map(entries.iter().map(|(k, v)| (close(k), close(v))).collect())
        }
        other => other.clone(),
    }
}

fn encode_plain(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail; a value ciborium cannot encode is fuzz noise, dropped.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

fn encode(model: &Value) -> Vec<u8> {
    encode_plain(&close(model))
}

/// Every node's path in pre-order: array element `i` is step `i`, map entry `i` has its key at
/// `2i` and its value at `2i + 1`, a tag's content is step 0.
fn paths(value: &Value, prefix: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if out.len() >= MAX_NODES {
        return;
    }
    out.push(prefix.clone());
    let mut visit = |step: usize, child: &Value, out: &mut Vec<Vec<usize>>| {
        prefix.push(step);
        paths(child, prefix, out);
        prefix.pop();
    };
    match value {
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| visit(i, v, out)),
        Value::Map(entries) => entries.iter().enumerate().for_each(|(i, (k, v))| {
            visit(2 * i, k, out);
            visit(2 * i + 1, v, out);
        }),
        Value::Tag(_, inner) => visit(0, inner, out),
        _ => {}
    }
}

fn node_at_mut<'a>(value: &'a mut Value, path: &[usize]) -> Option<&'a mut Value> {
    let Some((&step, rest)) = path.split_first() else {
        return Some(value);
    };
    let child = match value {
        Value::Array(items) => items.get_mut(step)?,
        Value::Map(entries) => {
            let (k, v) = entries.get_mut(step / 2)?;
            if step % 2 == 0 { k } else { v }
        }
        Value::Tag(_, inner) => inner.as_mut(),
        _ => return None,
    };
    node_at_mut(child, rest)
}

fn node_at<'a>(value: &'a Value, path: &[usize]) -> Option<&'a Value> {
    let Some((&step, rest)) = path.split_first() else {
        return Some(value);
    };
    let child = match value {
        Value::Array(items) => items.get(step)?,
        Value::Map(entries) => {
            let (k, v) = entries.get(step / 2)?;
            if step % 2 == 0 { k } else { v }
        }
        Value::Tag(_, inner) => inner.as_ref(),
        _ => return None,
    };
    node_at(child, rest)
}

// ---- The edit plan, drawn by `arbitrary`. ----

#[derive(Arbitrary, Debug, Clone)]
enum Leaf {
    Int(i64),
    Negative(u64),
    Text(String),
    Bytes(Vec<u8>),
    Float(f64),
    Bool(bool),
    Null,
    EmptyArray,
    EmptyMap,
    /// A label a COSE or CWT header or claim uses: `alg`, `crit`, `kid`, `typ`, `cnf`, …
    Label(u8),
}

impl Leaf {
    fn value(&self) -> Value {
        match self {
            Self::Int(i) => Value::Integer(Integer::from(*i)),
            Self::Negative(n) => Value::Integer(
                Integer::try_from(-1 - i128::from(*n)).unwrap_or_else(|_| Integer::from(-1)),
            ),
            Self::Text(t) => Value::Text(t.clone()),
            Self::Bytes(b) => Value::Bytes(b.clone()),
            Self::Float(f) => Value::Float(*f),
            Self::Bool(b) => Value::Bool(*b),
            Self::Null => Value::Null,
            Self::EmptyArray => Value::Array(Vec::new()),
            Self::EmptyMap => Value::Map(Vec::new()),
            Self::Label(l) => {
                const LABELS: [i64; 16] = [
                    1, 2, 3, 4, 5, 6, 7, 8, 13, 15, 16, 17, 18, 39, -65537, 65535,
                ];
                Value::Integer(Integer::from(LABELS[usize::from(*l) % LABELS.len()]))
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Edit {
    /// Replace a node by a leaf.
    Replace { node: u16, with: Leaf },
    /// Replace a node by a copy of another (moves claims, headers, disclosures around).
    Splice { node: u16, from: u16 },
    /// Remove a node from its array, or its entry from its map.
    Remove { node: u16 },
    /// Duplicate a node in its array, or its entry in its map.
    Duplicate { node: u16 },
    /// Add an entry to a map (or an element to an array).
    Insert { node: u16, key: Leaf, value: Leaf },
    /// Wrap a node in a tag.
    Wrap { node: u16, tag: u64 },
    /// Turn a byte string that holds CBOR into its bytes with one bit flipped.
    FlipEmbedded { node: u16, bit: u16 },
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Resign {
    /// Nobody re-signs: only unsigned parts can change what verifies.
    Nobody,
    /// The holder re-signs the key-binding token (they hold its key).
    Holder,
    /// The issuer re-signs the credential, then the holder the token.
    IssuerAndHolder,
}

#[derive(Arbitrary, Debug)]
struct Plan {
    seed: u8,
    edits: Vec<Edit>,
    resign: Resign,
    as_qr_text: bool,
}

fn apply(model: &mut Value, edit: &Edit) {
    let mut all = Vec::new();
    paths(model, &mut Vec::new(), &mut all);
    let pick = |n: u16| all[usize::from(n) % all.len()].clone();
    match edit {
        Edit::Replace { node, with } => {
            if let Some(target) = node_at_mut(model, &pick(*node)) {
                *target = with.value();
            }
        }
        Edit::Splice { node, from } => {
            let source = node_at(model, &pick(*from)).cloned();
            if let (Some(source), Some(target)) = (source, node_at_mut(model, &pick(*node))) {
                *target = source;
            }
        }
        Edit::Remove { node } | Edit::Duplicate { node } => {
            let path = pick(*node);
            let Some((&step, parent_path)) = path.split_last() else {
                return;
            };
            let remove = matches!(edit, Edit::Remove { .. });
            match node_at_mut(model, parent_path) {
                Some(Value::Array(items)) if step < items.len() => {
                    if remove {
                        items.remove(step);
                    } else {
                        let copy = items[step].clone();
                        items.insert(step, copy);
                    }
                }
                Some(Value::Map(entries)) if step / 2 < entries.len() => {
                    if remove {
                        entries.remove(step / 2);
                    } else {
                        let copy = entries[step / 2].clone();
                        entries.insert(step / 2, copy);
                    }
                }
                _ => {}
            }
        }
        Edit::Insert { node, key, value } => match node_at_mut(model, &pick(*node)) {
            Some(Value::Map(entries)) => entries.push((key.value(), value.value())),
            Some(Value::Array(items)) => items.push(value.value()),
            _ => {}
        },
        Edit::Wrap { node, tag } => {
            if let Some(target) = node_at_mut(model, &pick(*node)) {
                let inner = std::mem::replace(target, Value::Null);
                *target = Value::Tag(*tag, Box::new(inner));
            }
        }
        Edit::FlipEmbedded { node, bit } => {
            if let Some(target) = node_at_mut(model, &pick(*node))
                && let Value::Tag(EMBEDDED, inner) = target
            {
                let mut bytes = encode(inner);
                if !bytes.is_empty() {
                    let bit = usize::from(*bit) % (bytes.len() * 8);
                    bytes[bit / 8] ^= 1 << (bit % 8);
                }
                *target = Value::Bytes(bytes);
            }
        }
    }
}

// ---- Re-signing, as a holder or issuer who edits what they sign would. ----

/// The COSE_Sign1 array at `value` (tagged 18 or not).
fn sign1_mut(value: &mut Value) -> Option<&mut Vec<Value>> {
    match value {
        Value::Tag(18, inner) => sign1_mut(inner),
        Value::Array(items) if items.len() == 4 => Some(items),
        _ => None,
    }
}

fn as_bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Tag(EMBEDDED, inner) => Some(encode(inner)),
        Value::Bytes(bytes) => Some(bytes.clone()),
        _ => None,
    }
}

/// Recompute the signature of the COSE_Sign1 `items` with `key` (ES256, empty external AAD).
fn resign(items: &mut [Value], key: &SigningKey) {
    let (Some(protected), Some(payload)) = (as_bytes(&items[0]), as_bytes(&items[2])) else {
        return;
    };
    let to_be_signed = encode_plain(&Value::Array(vec![
        Value::Text("Signature1".into()),
        Value::Bytes(protected),
        Value::Bytes(Vec::new()),
        Value::Bytes(payload),
    ]));
    let signature: Signature = key.sign(&to_be_signed);
    items[3] = Value::Bytes(signature.to_bytes().to_vec());
}

fn resign_all(model: &mut Value, who: Resign, world: &World) {
    if who == Resign::Nobody {
        return;
    }
    let Some(kbt) = sign1_mut(model) else {
        return;
    };
    if who == Resign::IssuerAndHolder
        && let Value::Tag(EMBEDDED, protected) = &mut kbt[0]
        && let Value::Map(entries) = protected.as_mut()
        && let Some((_, kcwt)) = entries
            .iter_mut()
            .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == KCWT))
    {
        let kcwt = match kcwt {
            Value::Tag(EMBEDDED, inner) => inner.as_mut(),
            other => other,
        };
        if let Some(sd_cwt) = sign1_mut(kcwt) {
            resign(sd_cwt, &world.issuer_key);
        }
    }
    resign(kbt, &world.holder_key);
}

// ---- The oracles. ----

fn check(seed: &Seed, who: Resign, accepted: &VerifiedPresentation, world: &World) {
    match who {
        Resign::Nobody => {
            assert_eq!(accepted.doc_type(), seed.accepted.doc_type());
            assert_eq!(accepted.issuer(), seed.accepted.issuer());
            assert_eq!(accepted.assurance_level(), seed.accepted.assurance_level());
            assert!(
                accepted.claims() == seed.accepted.claims(),
                "an edit of unsigned parts changed the verified claims"
            );
            assert_eq!(accepted.expires(), seed.accepted.expires());
            assert_eq!(accepted.audience(), seed.accepted.audience());
            assert_eq!(accepted.nonce(), seed.accepted.nonce());
        }
        Resign::Holder => {
            assert_eq!(accepted.doc_type(), seed.accepted.doc_type());
            assert_eq!(accepted.issuer(), seed.accepted.issuer());
            assert_eq!(accepted.assurance_level(), seed.accepted.assurance_level());
            assert_eq!(
                accepted.credential_valid_until(),
                seed.accepted.credential_valid_until()
            );
            let issued = &world.issued_claims[seed.accepted.doc_type().as_str()];
            for (name, value) in accepted.claims() {
                // Claims the verifier derives (age_over_18) are not in every seed's set.
                if let Some(signed) = issued.get(name) {
                    assert!(
                        signed == value,
                        "the holder changed the value of {} without the issuer's key",
                        name.as_str()
                    );
                }
            }
        }
        Resign::IssuerAndHolder => {}
    }
}

fuzz_target!(|plan: Plan| {
    let world = world();
    let seed = &world.seeds[usize::from(plan.seed) % world.seeds.len()];
    let mut model = seed.model.clone();
    for edit in plan.edits.iter().take(MAX_EDITS) {
        apply(&mut model, edit);
    }
    resign_all(&mut model, plan.resign, world);
    let bytes = encode(&model);
    let request = request(seed.purpose, &seed.nonce);
    // A fresh verifier per input, so a replay-cache hit cannot mask a path.
    let result = if plan.as_qr_text {
        let text = format!("NID1:{}", netid_core::base45::encode(&bytes));
        verifier(world).verify_qr_text(&text, &request)
    } else {
        verifier(world).verify(&bytes, &request)
    };
    if let Ok(accepted) = result
        && bytes != seed.bytes
    {
        check(seed, plan.resign, &accepted, world);
    }
});
