//! The software secure area: keys are usable only with the wallet key *and* a grant from the user
//! authenticator for a fresh challenge; every failure is typed and loses nothing.

mod auth_support;

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use auth_support::*;
use netid_core::block_on::block_on;
use netid_core::secure_area::{
    AuthenticatorEnrolment, KeyAlias, KeyAuthPolicy, MemoryKeyBlobStore, PromptReason,
    RecordedHolderKey, SecureArea, SecureAreaError, SoftwareKeyBlobStore, SoftwareSecureArea,
    UnlockGrant, UnlockRequest, UserAuthenticator,
};
use netid_core::secure_area::{KeyWrappingKey, SoftwareAuthenticator};
use p256::PublicKey;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use zeroize::Zeroizing;

const MESSAGE: &[u8] = b"presentation bytes to sign";

fn create(area: &impl SecureArea, name: &str, policy: KeyAuthPolicy) -> RecordedHolderKey {
    block_on(RecordedHolderKey::create(area, alias(name), policy)).expect("key created")
}

#[test]
fn signature_verifies_independently_under_the_key_reported_at_creation() {
    let area = software_area(ScriptedUser::default());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);

    let signature = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("signed");

    let verifying_key =
        VerifyingKey::from_sec1_bytes(&key.public_key().to_sec1_uncompressed()).unwrap();
    let raw = Signature::from_slice(&signature.to_raw_bytes()).unwrap();
    assert!(verifying_key.verify(MESSAGE, &raw).is_ok());
    assert!(verifying_key.verify(b"other bytes", &raw).is_err());
    assert_eq!(
        block_on(area.public_key(key.alias())).unwrap(),
        *key.public_key()
    );
    let blob = area
        .blobs()
        .load(key.alias())
        .unwrap()
        .expect("blob stored");
    assert_eq!(blob.public_key().unwrap(), *key.public_key());
}

#[test]
fn every_use_key_prompts_for_every_signature() {
    let area = software_area(ScriptedUser::default());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    assert_eq!(
        area.authenticator().verifier().prompts(),
        0,
        "creation does not prompt"
    );

    for expected_prompts in 1..=3 {
        block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).unwrap();
        assert_eq!(area.authenticator().verifier().prompts(), expected_prompts);
    }
}

#[test]
fn windowed_key_reuses_an_authentication_only_within_its_window() {
    let area = software_area(ScriptedUser::default());
    let key = create(
        &area,
        "doc-1",
        KeyAuthPolicy::WithinSeconds(NonZeroU32::new(1).unwrap()),
    );
    block_on(key.sign(&area, MESSAGE, PromptReason::ViewDetails)).unwrap();
    block_on(key.sign(&area, MESSAGE, PromptReason::ViewDetails)).unwrap();
    assert_eq!(
        area.authenticator().verifier().prompts(),
        1,
        "second use within the window"
    );

    std::thread::sleep(Duration::from_millis(1_100));
    block_on(key.sign(&area, MESSAGE, PromptReason::ViewDetails)).unwrap();
    assert_eq!(
        area.authenticator().verifier().prompts(),
        2,
        "window over: prompted again"
    );
}

/// What a hostile or broken authenticator does instead of an honest grant.
enum Trick {
    /// Says "yes" with a grant carrying made-up unlock material.
    SayYes,
    /// Answers with a valid grant for the previous challenge (a replayed grant).
    ReplayPreviousChallenge,
    /// Answers with a valid grant for another key's sealing key.
    UnlockOtherKey(PublicKey),
}

struct TrickAuthenticator {
    honest: SoftwareAuthenticator<ScriptedUser>,
    trick: Trick,
    previous_challenge: Mutex<Option<[u8; 32]>>,
}

impl UserAuthenticator for TrickAuthenticator {
    async fn enrolment(&self) -> Result<AuthenticatorEnrolment, SecureAreaError> {
        self.honest.enrolment().await
    }

    async fn authenticate(&self, request: &UnlockRequest) -> Result<UnlockGrant, SecureAreaError> {
        let previous = self
            .previous_challenge
            .lock()
            .unwrap()
            .replace(request.challenge);
        match &self.trick {
            Trick::SayYes => Ok(UnlockGrant::new(
                request.challenge,
                Zeroizing::new([0u8; 32]),
            )),
            Trick::ReplayPreviousChallenge => {
                let mut stale = request.clone();
                if let Some(previous) = previous {
                    stale.challenge = previous;
                }
                self.honest.authenticate(&stale).await
            }
            Trick::UnlockOtherKey(sealing_public_key) => {
                let mut other = request.clone();
                other.sealing_public_key = *sealing_public_key;
                self.honest.authenticate(&other).await
            }
        }
    }
}

fn trick_area(
    trick: Trick,
    blobs: MemoryKeyBlobStore,
) -> SoftwareSecureArea<TrickAuthenticator, MemoryKeyBlobStore> {
    SoftwareSecureArea::new(
        KeyWrappingKey::new(Zeroizing::new(WRAPPING_KEY)),
        TrickAuthenticator {
            honest: software_authenticator(AUTHENTICATOR_SECRET, ScriptedUser::default()),
            trick,
            previous_challenge: Mutex::new(None),
        },
        blobs,
    )
}

#[test]
fn authenticator_that_only_says_yes_cannot_sign() {
    let blobs = MemoryKeyBlobStore::new();
    let area = trick_area(Trick::SayYes, blobs.clone());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    let before = blobs.load(key.alias()).unwrap();

    let outcome = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));

    assert!(
        matches!(outcome, Err(SecureAreaError::Misbehaved { .. })),
        "{outcome:?}"
    );
    assert_eq!(
        blobs.load(key.alias()).unwrap(),
        before,
        "the key is kept for an honest retry"
    );
}

#[test]
fn a_grant_replayed_for_a_later_signature_is_refused() {
    let area = trick_area(Trick::ReplayPreviousChallenge, MemoryKeyBlobStore::new());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    // The first request has no previous challenge to replay, so it is answered honestly.
    block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("honest first grant");

    let outcome = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));
    assert_eq!(
        outcome,
        Err(SecureAreaError::Misbehaved {
            what: "the authenticator's grant answers a different challenge"
        })
    );
}

#[test]
fn a_grant_for_another_key_does_not_unlock_this_one() {
    let blobs = MemoryKeyBlobStore::new();
    let honest = software_area_with(
        WRAPPING_KEY,
        AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs.clone(),
    );
    let other = create(&honest, "doc-other", KeyAuthPolicy::EveryUse);
    let target = create(&honest, "doc-target", KeyAuthPolicy::EveryUse);
    // Field offset of the sealing public key in a version-1 blob (see the module docs).
    let other_blob = blobs.load(other.alias()).unwrap().unwrap();
    let other_sealing_key = PublicKey::from_sec1_bytes(&other_blob.as_bytes()[87..152]).unwrap();

    let area = trick_area(Trick::UnlockOtherKey(other_sealing_key), blobs);
    let outcome = block_on(target.sign(&area, MESSAGE, PromptReason::ShowQr));
    assert_eq!(
        outcome,
        Err(SecureAreaError::Misbehaved {
            what: "the authenticator's grant does not unlock this key"
        })
    );
}

/// How a replaying authenticator answers once it holds a grant captured from an earlier request.
#[derive(Clone, Copy, Debug)]
enum Replay {
    /// Echoes the new challenge but hands back the captured unlock secret, so only the secret is
    /// stale: what an attacker who copied one grant's bytes would send.
    StaleSecretFreshChallenge,
    /// Hands back the captured grant byte for byte.
    WholeGrant,
}

/// A captured grant's bytes: the challenge it answered and its unlock secret.
type CapturedGrant = ([u8; 32], Zeroizing<[u8; 32]>);

/// A real authenticator behind a recorder: the first request is answered honestly (the user is
/// prompted) and that grant's bytes are kept; every later request is answered from the recording
/// without asking the user.
struct ReplayingAuthenticator {
    honest: SoftwareAuthenticator<ScriptedUser>,
    replay: Replay,
    recorded: Mutex<Option<CapturedGrant>>,
    sealing_points_sent: Mutex<Vec<PublicKey>>,
}

impl ReplayingAuthenticator {
    fn new(replay: Replay) -> Self {
        Self {
            honest: software_authenticator(AUTHENTICATOR_SECRET, ScriptedUser::default()),
            replay,
            recorded: Mutex::new(None),
            sealing_points_sent: Mutex::new(Vec::new()),
        }
    }

    /// Starts from a grant captured elsewhere (e.g. in an earlier session).
    fn holding(replay: Replay, captured: CapturedGrant) -> Self {
        let replaying = Self::new(replay);
        *replaying.recorded.lock().unwrap() = Some(captured);
        replaying
    }

    fn captured(&self) -> Option<CapturedGrant> {
        self.recorded.lock().unwrap().clone()
    }
}

impl UserAuthenticator for ReplayingAuthenticator {
    async fn enrolment(&self) -> Result<AuthenticatorEnrolment, SecureAreaError> {
        self.honest.enrolment().await
    }

    async fn authenticate(&self, request: &UnlockRequest) -> Result<UnlockGrant, SecureAreaError> {
        self.sealing_points_sent
            .lock()
            .unwrap()
            .push(request.sealing_public_key);
        let recorded = self.captured();
        let Some((challenge, secret)) = recorded else {
            let grant = self.honest.authenticate(request).await?;
            *self.recorded.lock().unwrap() =
                Some((*grant.challenge(), Zeroizing::new(*grant.unlock_secret())));
            return Ok(grant);
        };
        Ok(match self.replay {
            Replay::StaleSecretFreshChallenge => UnlockGrant::new(request.challenge, secret),
            Replay::WholeGrant => UnlockGrant::new(challenge, secret),
        })
    }
}

fn replaying_area(
    authenticator: ReplayingAuthenticator,
    blobs: MemoryKeyBlobStore,
) -> SoftwareSecureArea<ReplayingAuthenticator, MemoryKeyBlobStore> {
    SoftwareSecureArea::new(
        KeyWrappingKey::new(Zeroizing::new(WRAPPING_KEY)),
        authenticator,
        blobs,
    )
}

#[test]
fn a_captured_grant_replayed_for_a_later_signature_is_refused_as_reused() {
    for replay in [Replay::StaleSecretFreshChallenge, Replay::WholeGrant] {
        let blobs = MemoryKeyBlobStore::new();
        let area = replaying_area(ReplayingAuthenticator::new(replay), blobs.clone());
        let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
        block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("honest first grant");
        let stored = blobs.load(key.alias()).unwrap();

        for attempt in 1..=2 {
            let outcome =
                block_on(key.sign(&area, b"a message never approved", PromptReason::ShowQr));
            assert_eq!(
                outcome,
                Err(SecureAreaError::GrantReused),
                "{replay:?}, replay {attempt}"
            );
        }
        assert_eq!(
            area.authenticator().honest.verifier().prompts(),
            1,
            "{replay:?}: the user approved one operation only"
        );
        assert_eq!(
            blobs.load(key.alias()).unwrap(),
            stored,
            "{replay:?}: the key is kept for an honest retry"
        );
    }
}

#[test]
fn only_grants_that_unlocked_count_as_used_so_repeated_garbage_stays_misbehaved() {
    let area = trick_area(Trick::SayYes, MemoryKeyBlobStore::new());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    for attempt in 1..=3 {
        let outcome = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));
        assert!(
            matches!(outcome, Err(SecureAreaError::Misbehaved { .. })),
            "attempt {attempt}: {outcome:?}"
        );
    }
}

#[test]
fn a_grant_captured_in_one_session_unlocks_nothing_in_the_next() {
    // The list of consumed grants lives as long as the secure area (one unlocked session); a
    // replay to a new area must still fail, because the grant's secret was blinded for a request
    // that no longer exists.
    let blobs = MemoryKeyBlobStore::new();
    let first = replaying_area(
        ReplayingAuthenticator::new(Replay::StaleSecretFreshChallenge),
        blobs.clone(),
    );
    let key = create(&first, "doc-1", KeyAuthPolicy::EveryUse);
    block_on(key.sign(&first, MESSAGE, PromptReason::ShowQr)).expect("honest first grant");
    let captured = first.authenticator().captured().expect("grant recorded");

    let next = replaying_area(
        ReplayingAuthenticator::holding(Replay::StaleSecretFreshChallenge, captured),
        blobs,
    );
    assert_eq!(
        block_on(key.sign(&next, MESSAGE, PromptReason::ShowQr)),
        Err(SecureAreaError::Misbehaved {
            what: "the authenticator's grant does not unlock this key"
        })
    );
    assert_eq!(next.authenticator().honest.verifier().prompts(), 0);
}

#[test]
fn every_request_carries_a_freshly_blinded_sealing_point() {
    let blobs = MemoryKeyBlobStore::new();
    let area = replaying_area(
        ReplayingAuthenticator::new(Replay::StaleSecretFreshChallenge),
        blobs.clone(),
    );
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("honest first grant");
    let _ = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));
    let _ = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));

    // Field offset of the sealing public key in a version-1 blob (see the module docs).
    let blob = blobs.load(key.alias()).unwrap().unwrap();
    let sealing_key = PublicKey::from_sec1_bytes(&blob.as_bytes()[87..152]).unwrap();
    let sent = area
        .authenticator()
        .sealing_points_sent
        .lock()
        .unwrap()
        .clone();
    assert_eq!(sent.len(), 3);
    for (i, point) in sent.iter().enumerate() {
        assert_ne!(
            *point, sealing_key,
            "request {i} sent the blob's own sealing point"
        );
        for later in &sent[i + 1..] {
            assert_ne!(point, later, "two requests shared a sealing point");
        }
    }
}

#[test]
fn user_outcomes_pass_through_as_distinct_errors() {
    let outcomes = [
        SecureAreaError::Cancelled,
        SecureAreaError::Failed,
        SecureAreaError::NotEnrolled,
        SecureAreaError::SystemLockedOut,
    ];
    let area = software_area(ScriptedUser::answering(
        outcomes.iter().cloned().map(Err).collect(),
    ));
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    for expected in outcomes {
        assert_eq!(
            block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)),
            Err(expected)
        );
    }
    block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("user passes afterwards");
}

#[test]
fn reenrolled_authenticator_reports_key_invalidated_without_prompting() {
    let blobs = MemoryKeyBlobStore::new();
    let before = software_area_with(
        WRAPPING_KEY,
        AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs.clone(),
    );
    let key = create(&before, "doc-1", KeyAuthPolicy::EveryUse);

    let after = software_area_with(
        WRAPPING_KEY,
        NEW_AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs,
    );
    assert_eq!(
        block_on(key.sign(&after, MESSAGE, PromptReason::ShowQr)),
        Err(SecureAreaError::HolderKeyInvalidated)
    );
    assert_eq!(after.authenticator().verifier().prompts(), 0);
    // A key created after re-enrolment works.
    let fresh = create(&after, "doc-1-reenrolled", KeyAuthPolicy::EveryUse);
    block_on(fresh.sign(&after, MESSAGE, PromptReason::ShowQr)).expect("new key signs");
}

#[test]
fn wrong_wrapping_key_is_detected_before_prompting() {
    let blobs = MemoryKeyBlobStore::new();
    let right = software_area_with(
        WRAPPING_KEY,
        AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs.clone(),
    );
    let key = create(&right, "doc-1", KeyAuthPolicy::EveryUse);
    let wrong = software_area_with(
        [0x43; 32],
        AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs,
    );

    assert_eq!(
        block_on(key.sign(&wrong, MESSAGE, PromptReason::ShowQr)),
        Err(SecureAreaError::WrongWrappingKey)
    );
    assert_eq!(wrong.authenticator().verifier().prompts(), 0);
}

#[test]
fn every_bit_flip_or_truncation_of_a_blob_is_refused_before_prompting() {
    let blobs = MemoryKeyBlobStore::new();
    let area = software_area_with(
        WRAPPING_KEY,
        AUTHENTICATOR_SECRET,
        ScriptedUser::default(),
        blobs.clone(),
    );
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    let original = blobs
        .load(key.alias())
        .unwrap()
        .unwrap()
        .as_bytes()
        .to_vec();

    let mut damaged_versions = Vec::new();
    for index in 0..original.len() {
        for bit in [0x01u8, 0x80] {
            let mut damaged = original.clone();
            damaged[index] ^= bit;
            damaged_versions.push(damaged);
        }
    }
    for length in [0, 1, 100, original.len() - 1] {
        damaged_versions.push(original[..length].to_vec());
    }
    let mut extended = original.clone();
    extended.push(0);
    damaged_versions.push(extended);

    for damaged in damaged_versions {
        blobs.overwrite(
            key.alias(),
            netid_core::secure_area::SoftwareKeyBlob::from_bytes(damaged.clone()),
        );
        let outcome = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));
        assert!(
            matches!(
                outcome,
                Err(SecureAreaError::CorruptKeyBlob { .. } | SecureAreaError::WrongWrappingKey)
            ),
            "damaged blob gave {outcome:?}"
        );
        assert_eq!(
            blobs.load(key.alias()).unwrap().unwrap().as_bytes(),
            damaged.as_slice(),
            "the stored record is left for inspection, not deleted"
        );
    }
    assert_eq!(area.authenticator().verifier().prompts(), 0);

    blobs.overwrite(
        key.alias(),
        netid_core::secure_area::SoftwareKeyBlob::from_bytes(original),
    );
    block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("restored blob signs");
}

#[test]
fn an_existing_key_is_never_replaced() {
    let area = software_area(ScriptedUser::default());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    assert_eq!(
        block_on(area.create_key(key.alias(), KeyAuthPolicy::EveryUse, b"challenge")),
        Err(SecureAreaError::KeyExists)
    );
    block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)).expect("original key still signs");
}

#[test]
fn a_deleted_key_cannot_sign() {
    let area = software_area(ScriptedUser::default());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    block_on(area.delete_key(key.alias())).unwrap();
    assert_eq!(
        block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr)),
        Err(SecureAreaError::KeyNotFound)
    );
    assert_eq!(
        block_on(area.delete_key(key.alias())),
        Err(SecureAreaError::KeyNotFound)
    );
    assert_eq!(
        block_on(area.public_key(key.alias())),
        Err(SecureAreaError::KeyNotFound)
    );
}

#[test]
fn aliases_outside_the_safe_alphabet_are_refused() {
    for bad in [
        "",
        "has space",
        "slash/",
        "ünïcode",
        "quote'",
        &"a".repeat(129),
    ] {
        assert_eq!(
            KeyAlias::new(bad),
            Err(SecureAreaError::InvalidAlias),
            "{bad:?}"
        );
    }
    for good in ["a", "doc-1", "netid.holder_key-7", &"a".repeat(128)] {
        assert_eq!(KeyAlias::new(good).unwrap().as_str(), good);
    }
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let wrapping = KeyWrappingKey::new(Zeroizing::new([0xAB; 32]));
    assert!(!format!("{wrapping:?}").to_lowercase().contains("abab"));
    let grant = UnlockGrant::new([1; 32], Zeroizing::new([0xCD; 32]));
    assert!(!format!("{grant:?}").to_lowercase().contains("cdcd"));
}

#[test]
fn sign_futures_are_send_for_the_ffi_layer() {
    fn assert_send<T: Send>(_: &T) {}
    let area = software_area(ScriptedUser::default());
    let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
    let future = key.sign(&area, MESSAGE, PromptReason::ShowQr);
    assert_send(&future);
    block_on(future).unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Arbitrary bytes in place of a blob give a typed error before any prompt, never a panic.
    #[test]
    fn arbitrary_blob_bytes_are_refused_before_prompting(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)
    ) {
        let blobs = MemoryKeyBlobStore::new();
        let area = software_area_with(
            WRAPPING_KEY,
            AUTHENTICATOR_SECRET,
            ScriptedUser::default(),
            blobs.clone(),
        );
        let key = create(&area, "doc-1", KeyAuthPolicy::EveryUse);
        blobs.overwrite(
            key.alias(),
            netid_core::secure_area::SoftwareKeyBlob::from_bytes(bytes),
        );
        let outcome = block_on(key.sign(&area, MESSAGE, PromptReason::ShowQr));
        let refused = matches!(
            outcome,
            Err(SecureAreaError::CorruptKeyBlob { .. } | SecureAreaError::WrongWrappingKey)
        );
        proptest::prop_assert!(refused, "arbitrary blob gave {:?}", outcome);
        proptest::prop_assert_eq!(area.authenticator().verifier().prompts(), 0);
    }
}
