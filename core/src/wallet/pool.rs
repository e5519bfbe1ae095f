//! The wallet's pool of one-time purpose credentials (FORMAT.md §12): per document, the credentials
//! a refill brought, each with a holder key of its own, kept sealed in the store until one code
//! uses it.
//!
//! A refill is two halves like an enrolment, and the core stays transport-free:
//! [`UnlockedWallet::begin_refill`] creates one holder key per credential wanted (each listed as
//! pending first, so a crash leaves nothing the sweep does not delete) and signs one batch request
//! with the document's own holder key (one prompt); [`UnlockedWallet::complete_refill`] accepts the
//! issuer's answer only whole ([`super::batch::accept_purpose_batch`]) and stores it with its log
//! entry in one transaction, or deletes every new key. A code for a purpose takes one credential
//! out of the pool in the transaction that logs it, before the code is returned, and its key is
//! deleted after: no credential is ever offered twice. With the pool empty, the
//! [`WhenPoolEmpty`] policy shows the full credential marked linkable, or refuses.
//!
//! This module must never keep a credential in the pool after a code was made from it, never
//! store part of a refused batch, and never put a claim value in a log entry or error.

use zeroize::Zeroizing;

use super::batch::{UnsignedBatchRequest, accept_purpose_batch};
use super::storage::{self, PendingKind, SharedStore};
use super::{AreaProvider, EnrolmentChallenge, UnlockedWallet, WalletError, timestamp};
use crate::credential::purpose::PurposeCredential;
use crate::credential::{ClaimValue, Credential, Purpose};
use crate::issuer::TrustList;
use crate::keystore::KeyWrapper;
use crate::secure_area::{KeyAlias, PromptReason, RecordedHolderKey, SecureArea};
use crate::store::{
    ActivityKind, DocumentId, HolderKeyId, NewActivity, SettingName, StoreError, Writer,
};
use crate::time::Clock;
use crate::verify::Policy;

/// Default number of one-time credentials a refill tops each purpose up to.
pub const DEFAULT_PER_PURPOSE: u8 = 10;
/// Default level below which a purpose is due for a refill.
pub const DEFAULT_REFILL_BELOW: u8 = 3;

/// What a code for a purpose does when that purpose's pool is empty (offline, or not refilled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WhenPoolEmpty {
    /// Show the full credential, with [`super::ShownQr::linkable`] set so the app tells the
    /// resident that codes made this way can be linked to each other by counters comparing notes.
    #[default]
    ShowLinkable,
    /// Refuse with [`WalletError::PoolEmpty`]: the resident must refill (go online) first.
    Refuse,
}

/// How the wallet keeps its pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolPolicy {
    /// A refill tops every purpose the document serves up to this many (1 to 64 in all).
    pub per_purpose: u8,
    /// A purpose with fewer than this many left is due for a refill.
    pub refill_below: u8,
    /// What to do when a purpose has none left.
    pub when_empty: WhenPoolEmpty,
}

impl Default for PoolPolicy {
    fn default() -> Self {
        Self {
            per_purpose: DEFAULT_PER_PURPOSE,
            refill_below: DEFAULT_REFILL_BELOW,
            when_empty: WhenPoolEmpty::default(),
        }
    }
}

/// One purpose's supply of one-time credentials for a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLevel {
    /// The purpose.
    pub purpose: Purpose,
    /// Unused credentials left.
    pub remaining: u32,
    /// Fewer than the policy's threshold left: the host should refill when it can.
    pub refill_due: bool,
}

/// A refill under way: the new holder keys exist and the signed batch request is ready.
#[derive(Debug)]
pub struct PendingRefill {
    document: DocumentId,
    keys: Vec<(Purpose, HolderKeyId, RecordedHolderKey)>,
    request: Vec<u8>,
}

impl PendingRefill {
    /// The batch request to send to the issuer (it carries the document's full credential).
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The document being refilled.
    pub fn document(&self) -> DocumentId {
        self.document
    }

    /// How many credentials are asked for.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether nothing is asked for (never true for a pending refill from the wallet).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One stored one-time credential.
struct PoolEntry {
    purpose: Purpose,
    holder_key: HolderKeyId,
    credential: Zeroizing<Vec<u8>>,
}

fn pool_corrupt() -> StoreError {
    StoreError::StoreCorrupted {
        detail: "the wallet's pool of one-time credentials is malformed".to_owned(),
    }
}

fn pool_name(document: DocumentId) -> Result<SettingName, StoreError> {
    SettingName::new(&format!("wallet.pool.{}", document.to_hex()))
}

/// `[purpose code: 1][holder key id: 16][length: 2, big-endian][credential]` per entry.
fn encode_pool(entries: &[PoolEntry]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut out = Zeroizing::new(Vec::new());
    for entry in entries {
        out.push(u8::try_from(entry.purpose.code()).map_err(|_| pool_corrupt())?);
        out.extend_from_slice(entry.holder_key.as_bytes());
        let len = u16::try_from(entry.credential.len()).map_err(|_| pool_corrupt())?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&entry.credential);
    }
    Ok(out)
}

fn decode_pool(mut bytes: &[u8]) -> Result<Vec<PoolEntry>, StoreError> {
    let mut out = Vec::new();
    while let Some((&purpose, rest)) = bytes.split_first() {
        let purpose = Purpose::from_code(i64::from(purpose)).ok_or_else(pool_corrupt)?;
        let (id, rest) = rest.split_first_chunk::<16>().ok_or_else(pool_corrupt)?;
        let holder_key = HolderKeyId::from_hex(&hex::encode(id)).map_err(|_| pool_corrupt())?;
        let (len, rest) = rest.split_first_chunk::<2>().ok_or_else(pool_corrupt)?;
        let (credential, rest) = rest
            .split_at_checked(usize::from(u16::from_be_bytes(*len)))
            .ok_or_else(pool_corrupt)?;
        out.push(PoolEntry {
            purpose,
            holder_key,
            credential: Zeroizing::new(credential.to_vec()),
        });
        bytes = rest;
    }
    Ok(out)
}

fn read_pool_in(w: &Writer<'_>, document: DocumentId) -> Result<Vec<PoolEntry>, StoreError> {
    match w.setting(&pool_name(document)?)? {
        Some(bytes) => decode_pool(&bytes),
        None => Ok(Vec::new()),
    }
}

fn write_pool_in(
    w: &mut Writer<'_>,
    document: DocumentId,
    entries: &[PoolEntry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        w.remove_setting(&pool_name(document)?)?;
        Ok(())
    } else {
        w.set_setting(&pool_name(document)?, &encode_pool(entries)?)
    }
}

fn read_pool(store: &SharedStore, document: DocumentId) -> Result<Vec<PoolEntry>, StoreError> {
    match store.lock().setting(&pool_name(document)?)? {
        Some(bytes) => decode_pool(&bytes),
        None => Ok(Vec::new()),
    }
}

/// Within `w`: empties `document`'s pool, forgets its keys' records and lists each key as
/// `Deleting`. Returns the aliases the secure area must still delete.
pub(super) fn drop_pool_in(
    w: &mut Writer<'_>,
    document: DocumentId,
) -> Result<Vec<KeyAlias>, StoreError> {
    let entries = read_pool_in(w, document)?;
    write_pool_in(w, document, &[])?;
    forget_entries_in(w, &entries)
}

/// Within `w`: forgets the keys of `entries` and lists each for deletion by the secure area.
fn forget_entries_in(
    w: &mut Writer<'_>,
    entries: &[PoolEntry],
) -> Result<Vec<KeyAlias>, StoreError> {
    let mut aliases = Vec::new();
    for entry in entries {
        if let Some(alias) = SharedStore::alias_of_in(w, entry.holder_key)? {
            SharedStore::forget_holder_key_in(w, entry.holder_key, &alias)?;
            storage::mark_pending_in(w, &alias, PendingKind::Deleting)?;
            aliases.push(alias);
        }
    }
    Ok(aliases)
}

/// The purposes a document can serve under netid's default policies (type, level, and claims that
/// must be true): the ones a refill asks credentials for.
fn purposes_for(full: &Credential) -> Vec<Purpose> {
    Purpose::ALL
        .into_iter()
        .filter(|purpose| {
            let policy = Policy::for_purpose(*purpose);
            policy.doc_types.contains(&full.doc_type())
                && full.assurance_level() >= policy.min_assurance
                && policy
                    .must_be_true
                    .iter()
                    .all(|claim| full.claim(*claim) == Some(&ClaimValue::Bool(true)))
        })
        .collect()
}

impl<W: KeyWrapper, P: AreaProvider, C: Clock> UnlockedWallet<W, P, C> {
    /// How many one-time credentials `id` has left for each purpose it can serve, and which are
    /// due for a refill. No prompt, no personal data.
    pub fn pool_levels(&mut self, id: DocumentId) -> Result<Vec<PoolLevel>, WalletError> {
        let (_, full, _) = self.load_document(id)?;
        self.levels_of(id, &full)
    }

    /// The levels of document `id`, whose full credential is `full`.
    pub(super) fn levels_of(
        &mut self,
        id: DocumentId,
        full: &Credential,
    ) -> Result<Vec<PoolLevel>, WalletError> {
        let now = self.now();
        let entries = read_pool(&self.session()?.store, id)?;
        let policy = self.parts.config.pool;
        Ok(purposes_for(full)
            .into_iter()
            .map(|purpose| {
                let remaining = entries
                    .iter()
                    .filter(|e| e.purpose == purpose && usable(e, now))
                    .count();
                let remaining = u32::try_from(remaining).unwrap_or(u32::MAX);
                PoolLevel {
                    purpose,
                    remaining,
                    refill_due: remaining < u32::from(policy.refill_below),
                }
            })
            .collect())
    }

    /// First half of a refill: tops every purpose `id` serves up to the policy's count. Creates
    /// one holder key per credential wanted and signs one batch request answering `challenge`
    /// with the document's holder key (one prompt, [`PromptReason::Enrolment`], counted like any
    /// authentication). `None` when every purpose is already full.
    pub async fn begin_refill(
        &mut self,
        id: DocumentId,
        challenge: &EnrolmentChallenge,
    ) -> Result<Option<PendingRefill>, WalletError> {
        let _ = self.remove_abandoned_keys().await;
        let per_purpose = u32::from(self.parts.config.pool.per_purpose);
        let wanted: Vec<Purpose> = self
            .pool_levels(id)?
            .into_iter()
            .flat_map(|level| {
                let missing = per_purpose.saturating_sub(level.remaining);
                std::iter::repeat_n(level.purpose, missing as usize)
            })
            .collect();
        if wanted.is_empty() {
            return Ok(None);
        }
        if wanted.len() > super::batch::MAX_BATCH {
            return Err(WalletError::InvalidInput {
                what: "pool policy",
                why: "a refill may ask for at most 64 credentials in all",
            });
        }
        let (_, full, document_key) = self.load_document(id)?;
        let mut keys = Vec::with_capacity(wanted.len());
        let made = async {
            for purpose in wanted {
                // No attestation for purpose keys: a batch proves its keys by the full
                // credential's key (FORMAT.md §12.5), and attesting 40 keys would take seconds.
                let (holder, recorded, _) = self.create_holder_key(&[]).await?;
                keys.push((purpose, holder, recorded));
            }
            let publics: Vec<(Purpose, p256::PublicKey)> = keys
                .iter()
                .map(|(purpose, _, recorded)| {
                    (
                        *purpose,
                        p256::PublicKey::from(recorded.public_key().as_verifying_key()),
                    )
                })
                .collect();
            let unsigned =
                UnsignedBatchRequest::new(challenge, &full.to_bytes(), &publics, self.now())?;
            let session = self.session()?;
            let signed = session
                .auth
                .sign_counted_for(
                    PromptReason::Enrolment,
                    &session.area,
                    &document_key,
                    unsigned.to_be_signed(),
                )
                .await;
            let signature = match signed {
                Ok(signature) => signature,
                Err(error) => return Err(self.auth_failed(error)),
            };
            Ok(unsigned.finish(signature.to_raw_bytes())?)
        }
        .await;
        match made {
            Ok(request) => Ok(Some(PendingRefill {
                document: id,
                keys,
                request,
            })),
            Err(error) => {
                self.discard_new_keys(&keys).await;
                Err(error)
            }
        }
    }

    /// Second half: accepts the issuer's `response` only if all of it passes
    /// ([`accept_purpose_batch`]), then stores the credentials, takes their keys off the
    /// pending-key list and logs the refill, in one transaction. On refusal every new key is
    /// deleted and nothing is stored. Returns the new levels.
    pub async fn complete_refill(
        &mut self,
        pending: PendingRefill,
        response: &[Vec<u8>],
        trust: &TrustList,
    ) -> Result<Vec<PoolLevel>, WalletError> {
        let now = self.now();
        let checked = match self.load_document(pending.document) {
            Ok((_, full, _)) => {
                let requested: Vec<(Purpose, p256::PublicKey)> = pending
                    .keys
                    .iter()
                    .map(|(purpose, _, recorded)| {
                        (
                            *purpose,
                            p256::PublicKey::from(recorded.public_key().as_verifying_key()),
                        )
                    })
                    .collect();
                accept_purpose_batch(&requested, response, &full, trust, now)
                    .map_err(WalletError::from)
            }
            Err(error) => Err(error),
        };
        let accepted = match checked {
            Ok(accepted) => accepted,
            Err(error) => {
                self.discard_new_keys(&pending.keys).await;
                return Err(error);
            }
        };
        let document = pending.document;
        let detail = Purpose::ALL
            .into_iter()
            .filter_map(|purpose| {
                let n = accepted.iter().filter(|c| c.purpose() == purpose).count();
                (n > 0).then(|| format!("{}:{n}", purpose.as_str()))
            })
            .collect::<Vec<_>>()
            .join(",");
        let at = timestamp(now);
        let stored = self.session()?.store.lock().write(|w| {
            // Expired credentials can never be shown: they and their keys go in the same
            // transaction.
            let (mut entries, expired): (Vec<_>, Vec<_>) = read_pool_in(w, document)?
                .into_iter()
                .partition(|e| usable(e, now));
            let gone = forget_entries_in(w, &expired)?;
            for (credential, (purpose, holder, recorded)) in accepted.iter().zip(&pending.keys) {
                entries.push(PoolEntry {
                    purpose: *purpose,
                    holder_key: *holder,
                    credential: Zeroizing::new(credential.to_bytes()),
                });
                storage::unmark_pending_in(w, recorded.alias())?;
            }
            write_pool_in(w, document, &entries)?;
            w.append_activity(&NewActivity {
                at,
                kind: ActivityKind::Refill,
                document: Some(document),
                detail,
            })?;
            Ok(gone)
        });
        match stored {
            Ok(gone) => delete_listed_keys(self.session()?, &gone).await,
            Err(error) => {
                self.discard_new_keys(&pending.keys).await;
                return Err(error.into());
            }
        }
        self.pool_levels(document)
    }

    /// Deletes keys a refill created and will not use (best effort: whatever the secure area
    /// refuses now stays listed for the sweep).
    async fn discard_new_keys(&mut self, keys: &[(Purpose, HolderKeyId, RecordedHolderKey)]) {
        let Ok(session) = self.session() else {
            return;
        };
        for (_, holder, recorded) in keys {
            let alias = recorded.alias();
            if let Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) =
                session.area.delete_key(alias).await
            {
                let _ = session.store.forget_holder_key(*holder, alias);
            }
        }
    }

    /// The next usable credential for `purpose` in `id`'s pool (not yet spent: see
    /// [`Self::spend_in`]); expired ones are skipped (the next refill drops them). `None` if
    /// there is none.
    pub(super) fn next_from_pool(
        &mut self,
        id: DocumentId,
        purpose: Purpose,
    ) -> Result<Option<(PurposeCredential, HolderKeyId, RecordedHolderKey)>, WalletError> {
        let now = self.now();
        let entries = read_pool(&self.session()?.store, id)?;
        entries
            .iter()
            .find(|e| e.purpose == purpose && usable(e, now))
            .map(|e| self.open_entry(e))
            .transpose()
    }

    fn open_entry(
        &mut self,
        entry: &PoolEntry,
    ) -> Result<(PurposeCredential, HolderKeyId, RecordedHolderKey), WalletError> {
        let credential = PurposeCredential::from_bytes(&entry.credential)
            .map_err(WalletError::StoredCredentialUnreadable)?;
        let key = self
            .session()?
            .store
            .recorded_key(entry.holder_key)?
            .ok_or(WalletError::HolderKeyMissing)?;
        Ok((credential, entry.holder_key, key))
    }

    /// Within the transaction that logs a code made from it: removes the credential of
    /// `holder` from `id`'s pool, forgets its key's records and lists the key for deletion.
    pub(super) fn spend_in(
        w: &mut Writer<'_>,
        id: DocumentId,
        holder: HolderKeyId,
        key: &RecordedHolderKey,
    ) -> Result<(), StoreError> {
        let mut entries = read_pool_in(w, id)?;
        let before = entries.len();
        entries.retain(|e| e.holder_key != holder);
        if entries.len() == before {
            // Someone else spent it between the read and this transaction: do not show it twice.
            return Err(StoreError::NotFound {
                what: "one-time credential",
            });
        }
        write_pool_in(w, id, &entries)?;
        SharedStore::forget_holder_key_in(w, holder, key.alias())?;
        storage::mark_pending_in(w, key.alias(), PendingKind::Deleting)
    }
}

/// Deletes listed keys from the secure area and takes each off the pending-key list once gone;
/// a key the area refuses to delete now stays listed for the sweep.
pub(super) async fn delete_listed_keys<A: SecureArea, C>(
    session: &super::Session<A, C>,
    aliases: &[KeyAlias],
) {
    for alias in aliases {
        if let Ok(()) | Err(crate::secure_area::SecureAreaError::KeyNotFound) =
            session.area.delete_key(alias).await
        {
            let _ = session.store.unmark_pending(alias);
        }
    }
}

/// Whether a stored credential can still make a code at `now` (a code lives up to
/// [`crate::present::MAX_LIFETIME_SECS`], but the credential must be valid when it is made).
fn usable(entry: &PoolEntry, now: crate::time::UnixTime) -> bool {
    PurposeCredential::from_bytes(&entry.credential).is_ok_and(|c| c.expires() > now)
}
