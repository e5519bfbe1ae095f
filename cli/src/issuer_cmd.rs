//! `netid issuer`: the development issuer kept in `<home>/issuer/` — its P-256 key (PKCS#8 PEM,
//! 0600), its identity, the trust list counters load, (with `core::status`) its status list, and
//! (with `issuer_attestation`) its key-attestation policy.
//!
//! This is a development tool: it mints real, verifiable credentials from a claims file so the
//! demo, the wallet commands and tests run end to end, but its key sits in a file on disk and
//! must never sign anything a real counter trusts. It never prints the private key and never
//! echoes claim values in errors.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use netid_core::credential::{DocType, OsSalts, StatusReference};
use netid_core::issuer::{DevIssuer, TrustList};
use netid_core::status::{StatusBits, StatusListBuilder, TokenStatus};
use netid_core::time::{Clock, SystemClock, UnixTime};
use p256::pkcs8::DecodePublicKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::args::IssuerCommand;
use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::output::Output;

/// The development issuer's default `iss`.
pub const DEFAULT_ISSUER_ID: &str = "netid-dev";
/// Random key id length (docs/FORMAT.md: keep it to 1–4 bytes).
const KID_LEN: usize = 2;
/// How long the development issuer's key stays on its own trust list.
const TRUST_YEARS: i64 = 10;
/// Tolerated clock difference between the issuing and verifying machines at key creation.
const TRUST_BACKDATE_SECS: i64 = 300;
/// Printed with every key the development issuer creates.
pub const DEV_KEY_WARNING: &str = "This is a DEVELOPMENT issuer: its private key is a plain file on this machine. \
Use it for tests and demos only; never let a real counter trust it.";

/// The development issuer's identity file, `<home>/issuer/issuer.json`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerIdentity {
    issuer_id: String,
    kid_hex: String,
}

/// Paths of the development issuer inside a home.
pub struct IssuerFiles {
    dir: PathBuf,
}

impl IssuerFiles {
    /// The issuer files of `home`.
    pub fn new(home: &Home) -> Self {
        Self {
            dir: home.issuer_dir(),
        }
    }
    fn key(&self) -> PathBuf {
        self.dir.join("issuer-key.pem")
    }
    fn identity(&self) -> PathBuf {
        self.dir.join("issuer.json")
    }
    fn trust(&self) -> PathBuf {
        self.dir.join("trust.json")
    }
    /// Whether a development issuer exists here.
    pub fn exists(&self) -> bool {
        self.key().is_file()
    }
}

/// Run an `issuer` subcommand.
pub fn run(home: &Home, command: IssuerCommand, out: Output) -> CliResult<()> {
    match command {
        IssuerCommand::Keygen { issuer_id, force } => {
            let created = keygen(home, &issuer_id, force, out)?;
            let files = IssuerFiles::new(home);
            out.result(
                &json!({
                    "issuer_id": created.issuer_id(),
                    "kid": hex::encode(created.kid()),
                    "key_file": files.key(),
                    "trust_list": files.trust(),
                    "development_only": true,
                    "warning": DEV_KEY_WARNING,
                }),
                &format!(
                    "Created development issuer {} (kid {}).\n  key:        {}\n  trust list: {}\n\n{DEV_KEY_WARNING}",
                    created.issuer_id(),
                    hex::encode(created.kid()),
                    files.key().display(),
                    files.trust().display(),
                ),
            );
            Ok(())
        }
        IssuerCommand::Issue {
            claims,
            holder_key,
            out: out_path,
        } => issue_to_file(home, &claims, &holder_key, &out_path, out),
        IssuerCommand::Revoke { index } => {
            let mut state = StatusState::load(home)?;
            let revocation = state.revoke_group_of(index)?;
            // Saved before signing, so the revocation is kept even if publishing fails.
            state.save(home)?;
            let published = publish_status_list(home, &mut state)?;
            let Revocation {
                group,
                doc_type,
                indexes,
                newly,
            } = revocation;
            let what = if indexes == 1 {
                "1 status index".to_owned()
            } else {
                format!("{indexes} status indexes")
            };
            let text = if newly == 0 {
                format!(
                    "Already revoked: the resident with status index {index} ({doc_type}, {what}); published {}.",
                    published.display()
                )
            } else if newly < indexes {
                format!(
                    "Revoked the resident with status index {index} ({doc_type}): {what}, {newly} of them newly; published {}.\nCounters using this home's status list now refuse every credential of this resident.",
                    published.display()
                )
            } else {
                format!(
                    "Revoked the resident with status index {index} ({doc_type}): {what}; published {}.\nCounters using this home's status list now refuse every credential of this resident.",
                    published.display()
                )
            };
            out.result(
                &json!({
                    "revoked": index,
                    "group": group,
                    "doc_type": doc_type,
                    "revoked_indexes": indexes,
                    "newly_revoked": newly,
                    "already_revoked": newly == 0,
                    "status_list": published,
                }),
                &text,
            );
            Ok(())
        }
        IssuerCommand::RegisterCounter {
            id,
            name_zh,
            name_en,
            purpose,
            claim,
            keeps_days,
            valid_from,
            valid_until,
            out: dir,
        } => crate::counter_cmd::register(
            home,
            crate::counter_cmd::Registration {
                id,
                name_zh,
                name_en,
                purposes: purpose.iter().map(|p| p.purpose()).collect(),
                claims: claim,
                keeps_days,
                valid_from,
                valid_until,
                out: dir,
            },
            out,
        ),
        IssuerCommand::Serve { listen } => crate::issuer_serve::run(home, listen, out),
        IssuerCommand::Attestation {
            trust_root,
            clear_roots,
            app_attest_root,
            app_id,
            clear_app_attest,
            allow_app_attest_development,
            no_app_attest_development,
            reset,
            basic,
            enhanced,
        } => crate::issuer_attestation::run(
            home,
            &trust_root,
            clear_roots,
            reset,
            basic,
            enhanced,
            &crate::issuer_attestation::AppAttestChanges {
                roots: app_attest_root,
                app_ids: app_id,
                clear: clear_app_attest,
                allow_development: if allow_app_attest_development {
                    Some(true)
                } else if no_app_attest_development {
                    Some(false)
                } else {
                    None
                },
            },
            out,
        ),
        IssuerCommand::StatusList => {
            let mut state = StatusState::load(home)?;
            let published = publish_status_list(home, &mut state)?;
            let revoked: HashSet<u64> = state.revoked.iter().copied().collect();
            let groups = state.groups();
            let mut text = format!(
                "Published the status list {} ({}), valid for {} days.\n",
                state.uri,
                published.display(),
                STATUS_LIST_DAYS
            );
            if state.issued.is_empty() {
                text.push_str("No credentials issued yet.\n");
            } else {
                text.push_str(&format!(
                    "{} residents, {} of {STATUS_LIST_SIZE} status indexes issued, {} revoked.\n  {:>5}  {:>7}  {:<22} {:<10}  status\n",
                    groups.len(),
                    state.issued.len(),
                    revoked.len(),
                    "group",
                    "indexes",
                    "document",
                    "issued",
                ));
            }
            let mut group_json = Vec::new();
            for g in &groups {
                let status = if g.revoked { "revoked" } else { "valid" };
                text.push_str(&format!(
                    "  {:>5}  {:>7}  {:<22} {:<10}  {}\n",
                    g.group,
                    g.indexes,
                    g.doc_type,
                    g.issued_at,
                    if g.revoked { "REVOKED" } else { "valid" }
                ));
                group_json.push(json!({
                    "group": g.group,
                    "indexes": g.indexes,
                    "doc_type": g.doc_type,
                    "issued_at": g.issued_at,
                    "status": status,
                }));
            }
            let entries: Vec<_> = state
                .issued
                .iter()
                .map(|e| {
                    json!({
                        "index": e.index,
                        "group": e.group(),
                        "doc_type": e.doc_type,
                        "issued_at": e.issued_at,
                        "status": if revoked.contains(&e.index) { "revoked" } else { "valid" },
                    })
                })
                .collect();
            out.result(
                &json!({
                    "uri": state.uri,
                    "file": published,
                    "size": STATUS_LIST_SIZE,
                    "groups": group_json,
                    "entries": entries,
                }),
                &text,
            );
            Ok(())
        }
    }
}

/// Entries in the development issuer's status list: 2^16, the most whose every index still fits
/// CBOR's 16-bit unsigned integer (3 bytes in a credential; 2^17 would make most indexes 5 bytes
/// and every code 2 bytes longer). With a full credential and 4 × 10 purpose credentials per
/// resident that is about 1,600 residents; the signed list stays small because it is compressed
/// (docs/cli.md, "status.json").
pub const STATUS_LIST_SIZE: u64 = 65_536;
/// How long a published status list is acceptable to counters.
pub const STATUS_LIST_DAYS: u64 = 30;
/// How long a counter may use a loaded list before reloading it.
const STATUS_LIST_TTL_SECS: u64 = 3600;

/// The development issuer's record of status-list entries, `<home>/issuer/status.json`: indexes,
/// document types, issue times and which indexes belong to one resident, never personal data.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusState {
    uri: String,
    issued: Vec<IssuedEntry>,
    revoked: Vec<u64>,
    /// `iat` of the last published list. Each new list gets a later one: counters refuse a
    /// different list with the same `iat` (docs/FORMAT.md §7), and a revocation published in the
    /// same second as the previous list must still reach them.
    #[serde(default)]
    published_iat: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuedEntry {
    index: u64,
    doc_type: String,
    issued_at: i64,
    /// The resident this entry belongs to, named by the status index of their full credential
    /// (the entry that started the group: its own index). Files written before purpose batches
    /// have no `group`: each such entry is its own group, and is given it when next saved.
    #[serde(default)]
    group: Option<u64>,
}

impl IssuedEntry {
    fn group(&self) -> u64 {
        self.group.unwrap_or(self.index)
    }
}

/// One resident's entries, as `netid issuer status-list` shows them.
struct GroupSummary {
    group: u64,
    indexes: usize,
    doc_type: String,
    issued_at: i64,
    revoked: bool,
}

/// What `revoke` did to a resident's group.
struct Revocation {
    group: u64,
    doc_type: String,
    /// Indexes in the group, all revoked now.
    indexes: usize,
    /// How many of them this revocation marked (0: the resident was already revoked).
    newly: usize,
}

impl StatusState {
    fn path(home: &Home) -> PathBuf {
        home.issuer_dir().join("status.json")
    }

    fn load(home: &Home) -> CliResult<Self> {
        if !IssuerFiles::new(home).exists() {
            return Err(no_issuer(home));
        }
        let text = home::read_text("status list state", &Self::path(home))?;
        let damaged = || {
            CliError::usage(
                "issuer-damaged",
                format!("{} is damaged", Self::path(home).display()),
                "recreate the development issuer with `netid issuer keygen --force`",
            )
        };
        let mut state: Self = serde_json::from_str(&text).map_err(|_| damaged())?;
        for entry in &mut state.issued {
            entry.group = Some(entry.group());
        }
        if !state.is_consistent() {
            return Err(damaged());
        }
        Ok(state)
    }

    /// Indexes unique and inside the list, every group named after one of its own entries that
    /// starts it, every revoked index issued. Random allocation and group revocation rely on it.
    fn is_consistent(&self) -> bool {
        let mut indexes = HashSet::with_capacity(self.issued.len());
        let mut heads = HashSet::new();
        for entry in &self.issued {
            if entry.index >= STATUS_LIST_SIZE || !indexes.insert(entry.index) {
                return false;
            }
            if entry.group() == entry.index {
                heads.insert(entry.index);
            }
        }
        self.issued.iter().all(|e| heads.contains(&e.group()))
            && self.revoked.iter().all(|i| indexes.contains(i))
    }

    fn save(&self, home: &Home) -> CliResult<()> {
        home::write_private(
            &Self::path(home),
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )
    }

    fn entry(&self, index: u64) -> Option<&IssuedEntry> {
        self.issued.iter().find(|e| e.index == index)
    }

    /// The indexes of group `group`, in issue order.
    fn members(&self, group: u64) -> Vec<u64> {
        self.issued
            .iter()
            .filter(|e| e.group() == group)
            .map(|e| e.index)
            .collect()
    }

    /// Every group, in the order their full credentials were issued.
    fn groups(&self) -> Vec<GroupSummary> {
        let revoked: HashSet<u64> = self.revoked.iter().copied().collect();
        let mut order = Vec::new();
        let mut by_group: HashMap<u64, GroupSummary> = HashMap::new();
        for entry in &self.issued {
            let group = entry.group();
            let summary = by_group.entry(group).or_insert_with(|| {
                order.push(group);
                GroupSummary {
                    group,
                    indexes: 0,
                    doc_type: String::new(),
                    issued_at: entry.issued_at,
                    revoked: false,
                }
            });
            summary.indexes += 1;
            summary.revoked |= revoked.contains(&entry.index);
            if entry.index == group {
                summary.doc_type.clone_from(&entry.doc_type);
                summary.issued_at = entry.issued_at;
            }
        }
        order
            .into_iter()
            .filter_map(|g| by_group.remove(&g))
            .collect()
    }

    /// Mark every index of the group `index` belongs to as revoked (not saved).
    fn revoke_group_of(&mut self, index: u64) -> CliResult<Revocation> {
        let entry = self.entry(index).ok_or_else(|| {
            CliError::usage(
                "no-such-index",
                format!(
                    "the development issuer has issued no credential with status index {index}"
                ),
                "list the issued credentials with `netid issuer status-list`",
            )
        })?;
        let group = entry.group();
        let doc_type = self
            .entry(group)
            .map_or_else(|| entry.doc_type.clone(), |head| head.doc_type.clone());
        let members = self.members(group);
        let before = self.revoked.len();
        self.revoked.extend(&members);
        self.revoked.sort_unstable();
        self.revoked.dedup();
        Ok(Revocation {
            group,
            doc_type,
            indexes: members.len(),
            newly: self.revoked.len() - before,
        })
    }
}

/// The URI the development issuer's credentials name for their status list (`{issuer_id}/s`).
pub fn status_uri(home: &Home) -> CliResult<String> {
    Ok(StatusState::load(home)?.uri)
}

/// The published token: `<home>/issuer/status-list.cwt`, where counters look for it.
pub fn status_list_file(trust_dir: &Path) -> PathBuf {
    trust_dir.join("status-list.cwt")
}

/// A uniformly random integer below `n` (> 0) from the operating system's CSPRNG. Draws from the
/// incomplete top block of `u64` are redrawn, so no value is favoured.
fn uniform_below(n: u64) -> u64 {
    debug_assert!(n > 0);
    let accept_below = (u64::MAX / n) * n;
    loop {
        let draw = OsRng.next_u64();
        if draw < accept_below {
            return draw % n;
        }
    }
}

/// `count` distinct indexes drawn uniformly at random from the entries no credential has used
/// (a revoked or expired entry is never handed out again). Random rather than consecutive: a
/// resident's indexes must not sit side by side (a run of revoked bits would show which
/// credentials belong together) nor follow one another (neighbouring indexes would let counters
/// link one person's codes).
fn draw_free_indexes(state: &StatusState, count: usize) -> CliResult<Vec<u64>> {
    let used: HashSet<u64> = state.issued.iter().map(|e| e.index).collect();
    let mut free: Vec<u64> = (0..STATUS_LIST_SIZE)
        .filter(|i| !used.contains(i))
        .collect();
    if count > free.len() {
        return Err(CliError::usage(
            "status-list-full",
            format!(
                "the development issuer's status list has {} free entries of {STATUS_LIST_SIZE}; {count} are needed",
                free.len()
            ),
            "create a new development issuer with `netid issuer keygen --force`",
        ));
    }
    // A partial Fisher–Yates shuffle: the first `count` places get a uniform random selection.
    for i in 0..count {
        let remaining = (free.len() - i) as u64;
        let j = i + usize::try_from(uniform_below(remaining)).unwrap_or(0);
        free.swap(i, j);
    }
    free.truncate(count);
    Ok(free)
}

/// Take a random free status-list entry for the full credential of a new enrolment (`doc_type`,
/// issued at `now`), starting a new resident group named after it.
pub fn allocate_status(
    home: &Home,
    doc_type: DocType,
    now: UnixTime,
) -> CliResult<StatusReference> {
    let mut state = StatusState::load(home)?;
    let index = draw_free_indexes(&state, 1)?[0];
    state.issued.push(IssuedEntry {
        index,
        doc_type: doc_type.as_str().to_owned(),
        issued_at: now.as_secs(),
        group: Some(index),
    });
    state.save(home)?;
    Ok(StatusReference {
        idx: index,
        uri: state.uri,
    })
}

/// Take `count` distinct random free status-list entries for purpose credentials (`doc_type`,
/// issued at `now`) of the resident whose full credential has status index `holder_index`, and
/// add them to that resident's group, so revoking the resident revokes them too. All or nothing:
/// on any error nothing is saved. Refused for an index the issuer never issued
/// (`unknown-holder-index`), for a revoked resident (`holder-revoked`: a revoked resident gets no
/// top-up) and when the list has fewer than `count` free entries (`status-list-full`).
pub fn allocate_batch_statuses(
    home: &Home,
    holder_index: u64,
    doc_type: DocType,
    count: usize,
    now: UnixTime,
) -> CliResult<Vec<StatusReference>> {
    let mut state = StatusState::load(home)?;
    let group = state
        .entry(holder_index)
        .ok_or_else(|| {
            CliError::usage(
                "unknown-holder-index",
                format!(
                    "the development issuer has issued no credential with status index {holder_index}"
                ),
                "pass the status index of the resident's full credential (see `netid issuer status-list`)",
            )
        })?
        .group();
    let members = state.members(group);
    if members.iter().any(|i| state.revoked.contains(i)) {
        return Err(CliError::usage(
            "holder-revoked",
            format!(
                "the resident with status index {holder_index} is revoked and gets no new credentials"
            ),
            "enrol the resident again: a new full credential starts a new group",
        ));
    }
    let indexes = draw_free_indexes(&state, count)?;
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    for &index in &indexes {
        state.issued.push(IssuedEntry {
            index,
            doc_type: doc_type.as_str().to_owned(),
            issued_at: now.as_secs(),
            group: Some(group),
        });
    }
    state.save(home)?;
    Ok(indexes
        .into_iter()
        .map(|idx| StatusReference {
            idx,
            uri: state.uri.clone(),
        })
        .collect())
}

/// Sign the current status list with the issuer key (an `iat` later than the last one's), save
/// `state` and write the list where counters look.
fn publish_status_list(home: &Home, state: &mut StatusState) -> CliResult<PathBuf> {
    let issuer = load(home)?;
    let failed = |e: netid_core::status::StatusError| {
        CliError::usage(
            "status-list",
            e.to_string(),
            "run `netid issuer status-list` again",
        )
    };
    let mut builder = StatusListBuilder::new(
        &state.uri,
        STATUS_LIST_SIZE,
        StatusBits::from_count(1).map_err(failed)?,
    )
    .map_err(failed)?;
    for index in &state.revoked {
        builder.set(*index, TokenStatus::Revoked).map_err(failed)?;
    }
    let now = u64::try_from(SystemClock.now().as_secs()).unwrap_or(0);
    let issued_at = now.max(state.published_iat.saturating_add(1));
    builder
        .time_to_live(STATUS_LIST_TTL_SECS)
        .expires_at(now + STATUS_LIST_DAYS * 86_400);
    let bytes = issuer
        .sign_status_list(
            &builder,
            UnixTime::from_secs(i64::try_from(issued_at).unwrap_or(0)),
        )
        .map_err(failed)?;
    state.published_iat = issued_at;
    state.save(home)?;
    let path = status_list_file(&home.issuer_dir());
    home::write_private(&path, &bytes)?;
    Ok(path)
}

/// The error for a home without a development issuer.
pub fn no_issuer(home: &Home) -> CliError {
    CliError::usage(
        "no-issuer",
        format!("no development issuer in {}", home.issuer_dir().display()),
        format!(
            "create one with `netid issuer keygen --home {}`",
            home.root().display()
        ),
    )
}

/// Create the development issuer in `home` (refusing to replace one unless `force`).
pub fn keygen(home: &Home, issuer_id: &str, force: bool, out: Output) -> CliResult<DevIssuer> {
    let files = IssuerFiles::new(home);
    if files.exists() && !force {
        return Err(CliError::usage(
            "issuer-exists",
            format!(
                "a development issuer already exists in {}",
                files.dir.display()
            ),
            "keep using it, or pass --force to replace it (credentials it issued will stop verifying)",
        ));
    }
    if issuer_id.is_empty() || issuer_id.len() > 256 {
        return Err(CliError::usage(
            "bad-issuer-id",
            "the issuer id must be 1 to 256 characters",
            "pass a shorter --issuer-id, e.g. https://dev-issuer.example",
        ));
    }
    home.ensure_dir(&files.dir)?;
    out.progress("creating the development issuer key");
    // Short identifiers keep the hotel code within its QR size budget (docs/FORMAT.md §5).
    let mut kid = [0u8; KID_LEN];
    OsRng.fill_bytes(&mut kid);
    let issuer = DevIssuer::generate(issuer_id, &kid);
    let pem = issuer.to_pkcs8_pem().map_err(|_| {
        CliError::usage(
            "issuer-key",
            "the new issuer key could not be encoded",
            "run `netid issuer keygen` again",
        )
    })?;
    let now = SystemClock.now();
    let mut trust = TrustList::new();
    trust
        .add(issuer.trust_entry(
            now.saturating_add(-TRUST_BACKDATE_SECS),
            now.saturating_add(TRUST_YEARS * 366 * 86_400),
            &DocType::ALL,
        ))
        .map_err(|e| CliError::usage("trust-list", e.to_string(), "run keygen again"))?;
    let identity = IssuerIdentity {
        issuer_id: issuer_id.to_owned(),
        kid_hex: hex::encode(kid),
    };
    home::write_private(&files.key(), pem.as_bytes())?;
    home::write_private(
        &files.identity(),
        serde_json::to_string_pretty(&identity)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    home::write_private(&files.trust(), trust.to_json().as_bytes())?;
    // Secure by default, and visible: the enhanced grade needs attested hardware keys.
    crate::issuer_attestation::IssuerAttestation::default().save(home)?;
    let mut state = StatusState {
        uri: format!("{issuer_id}/s"),
        issued: Vec::new(),
        revoked: Vec::new(),
        published_iat: 0,
    };
    publish_status_list(home, &mut state)?;
    Ok(issuer)
}

/// Load the development issuer of `home`.
pub fn load(home: &Home) -> CliResult<DevIssuer> {
    let files = IssuerFiles::new(home);
    if !files.exists() {
        return Err(no_issuer(home));
    }
    let damaged = |what: &str| {
        CliError::usage(
            "issuer-damaged",
            format!("the development issuer's {what} is damaged"),
            "recreate it with `netid issuer keygen --force`",
        )
    };
    let identity: IssuerIdentity =
        serde_json::from_str(&home::read_text("issuer identity", &files.identity())?)
            .map_err(|_| damaged("identity file"))?;
    let kid = hex::decode(&identity.kid_hex).map_err(|_| damaged("identity file"))?;
    let pem = zeroize::Zeroizing::new(home::read_text("issuer key", &files.key())?);
    DevIssuer::from_pkcs8_pem(&pem, &identity.issuer_id, &kid).map_err(|_| damaged("key file"))
}

fn bad_claims(path: &Path, e: &dyn std::fmt::Display) -> CliError {
    CliError::usage(
        "bad-claims",
        format!("{}: {e}", path.display()),
        "fix the claims file (see docs/FORMAT.md, \"Claims file\") and try again",
    )
}

fn issue_to_file(
    home: &Home,
    claims: &Path,
    holder_key: &Path,
    out_path: &Path,
    out: Output,
) -> CliResult<()> {
    let issuer = load(home)?;
    let pem = home::read_text("holder public key", holder_key)?;
    let holder = p256::PublicKey::from_public_key_pem(&pem).map_err(|_| {
        CliError::usage(
            "bad-holder-key",
            format!(
                "{} is not a P-256 public key in SPKI PEM form",
                holder_key.display()
            ),
            "pass the holder's public key (-----BEGIN PUBLIC KEY-----)",
        )
    })?;
    let now = SystemClock.now();
    let json_text = home::read_text("claims file", claims)?;
    let document =
        netid_core::issuer::parse_claims_file(&json_text).map_err(|e| bad_claims(claims, &e))?;
    let status = allocate_status(home, document.doc_type, now)?;
    let index = status.idx;
    let credential = issuer
        .issue(&document, &holder, now, Some(status), &mut OsSalts)
        .map_err(|e| bad_claims(claims, &e))?;
    // The credential carries its disclosures in clear: owner-only, and say so.
    home::write_private(out_path, &credential.to_bytes())?;
    out.result(
        &json!({
            "credential_file": out_path,
            "doc_type": credential.doc_type().as_str(),
            "issuer_id": credential.issuer(),
            "expires": credential.expires().as_secs(),
            "bytes": credential.to_bytes().len(),
            "status_index": index,
        }),
        &format!(
            "Issued a {} credential to {} ({} bytes), status index {index}.\nThe file holds personal data in clear (mode 0600): hand it to the holder and delete it.",
            credential.doc_type().as_str(),
            out_path.display(),
            credential.to_bytes().len(),
        ),
    );
    Ok(())
}

/// The trust list at `path`, with errors that say what to do.
pub fn load_trust(path: &Path, home: &Home) -> CliResult<TrustList> {
    if !path.exists() {
        return Err(CliError::usage(
            "no-trust-list",
            format!("no trust list at {}", path.display()),
            format!(
                "pass --trust FILE, or create the development issuer with `netid issuer keygen --home {}`",
                home.root().display()
            ),
        ));
    }
    let text = home::read_text("trust list", path)?;
    TrustList::from_json(&text).map_err(|e| {
        CliError::usage(
            "bad-trust-list",
            format!("{}: {e}", path.display()),
            "pass a trust list in the format of docs/FORMAT.md, \"Trust list\"",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = UnixTime::from_secs(1_768_348_800);

    /// A throwaway home with a development issuer, made by the real `keygen`.
    fn issuer_home() -> (tempfile::TempDir, Home) {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = Home::at(dir.path().join("home"));
        keygen(&home, DEFAULT_ISSUER_ID, false, Output::new(true)).expect("keygen");
        (dir, home)
    }

    fn state_file(home: &Home) -> Vec<u8> {
        std::fs::read(StatusState::path(home)).expect("status.json")
    }

    fn indexes(refs: &[StatusReference]) -> Vec<u64> {
        refs.iter().map(|r| r.idx).collect()
    }

    /// Distinct, in the list, and spread: more than `4 × n` apart from lowest to highest.
    ///
    /// `n` uniform draws from 65,536 entries all land in some window of `4n + 1` entries with
    /// probability below 65,536 × ((4n + 1) / 65,536)^n: for n = 40 (window 161) under 2^-330,
    /// for n = 20 (window 81) under 2^-177. A failure means the allocation is not random.
    fn assert_random_spread(indexes: &[u64]) {
        let n = indexes.len() as u64;
        let unique: HashSet<u64> = indexes.iter().copied().collect();
        assert_eq!(unique.len(), indexes.len(), "distinct: {indexes:?}");
        assert!(indexes.iter().all(|&i| i < STATUS_LIST_SIZE));
        let (lo, hi) = (
            *indexes.iter().min().expect("some"),
            *indexes.iter().max().expect("some"),
        );
        assert_ne!(hi - lo + 1, n, "not one contiguous run: {indexes:?}");
        assert!(hi - lo > 4 * n, "spread over the list: {indexes:?}");
    }

    #[test]
    fn full_credentials_get_random_indexes_each_starting_a_group() {
        let (_dir, home) = issuer_home();
        let holders: Vec<u64> = (0..20)
            .map(|_| {
                allocate_status(&home, DocType::ResidentId, NOW)
                    .expect("allocated")
                    .idx
            })
            .collect();
        assert_random_spread(&holders);
        let state = StatusState::load(&home).expect("loads");
        assert_eq!(state.groups().len(), 20);
        for holder in holders {
            assert_eq!(state.members(holder), vec![holder]);
        }
    }

    #[test]
    fn a_batch_of_40_is_random_distinct_spread_and_joins_the_holders_group() {
        let (_dir, home) = issuer_home();
        let other = allocate_status(&home, DocType::ResidentId, NOW).expect("other resident");
        let holder = allocate_status(&home, DocType::ResidentId, NOW).expect("holder");
        let batch = allocate_batch_statuses(&home, holder.idx, DocType::ResidentId, 40, NOW)
            .expect("batch");
        assert!(batch.iter().all(|r| r.uri == holder.uri));
        let batch = indexes(&batch);
        assert_random_spread(&batch);
        assert!(!batch.contains(&holder.idx) && !batch.contains(&other.idx));

        let state = StatusState::load(&home).expect("loads");
        let mut group = state.members(holder.idx);
        assert_eq!(group.len(), 41);
        group.retain(|i| *i != holder.idx);
        assert_eq!(group, batch);
        assert_eq!(state.members(other.idx), vec![other.idx]);

        // A top-up named by any of the resident's indexes joins the same group.
        let more =
            allocate_batch_statuses(&home, batch[7], DocType::ResidentId, 3, NOW).expect("top-up");
        let state = StatusState::load(&home).expect("loads");
        assert_eq!(state.members(holder.idx).len(), 44);
        assert!(indexes(&more).iter().all(|i| !batch.contains(i)));
        let groups = state.groups();
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[1].group, groups[1].indexes), (holder.idx, 44));
    }

    #[test]
    fn a_batch_for_an_unknown_or_revoked_holder_or_a_full_list_is_refused_and_stores_nothing() {
        let (_dir, home) = issuer_home();
        let holder = allocate_status(&home, DocType::ResidentId, NOW).expect("holder");
        let unknown = (0..STATUS_LIST_SIZE)
            .find(|i| *i != holder.idx)
            .expect("a free index");

        let before = state_file(&home);
        let err = allocate_batch_statuses(&home, unknown, DocType::ResidentId, 10, NOW)
            .expect_err("unknown holder");
        assert_eq!(err.kind, "unknown-holder-index");
        assert!(err.next_step.contains("netid issuer status-list"));
        assert_eq!(state_file(&home), before, "nothing stored");

        let err = allocate_batch_statuses(
            &home,
            holder.idx,
            DocType::ResidentId,
            STATUS_LIST_SIZE as usize,
            NOW,
        )
        .expect_err("more than the free entries");
        assert_eq!(err.kind, "status-list-full");
        assert_eq!(state_file(&home), before, "nothing stored");

        let mut state = StatusState::load(&home).expect("loads");
        state.revoke_group_of(holder.idx).expect("revoked");
        state.save(&home).expect("saved");
        let before = state_file(&home);
        let err = allocate_batch_statuses(&home, holder.idx, DocType::ResidentId, 10, NOW)
            .expect_err("revoked holder");
        assert_eq!(err.kind, "holder-revoked");
        assert_eq!(state_file(&home), before, "nothing stored");
    }

    #[test]
    fn the_last_free_entries_are_handed_out_and_then_the_list_is_full() {
        let (_dir, home) = issuer_home();
        let holder = allocate_status(&home, DocType::ResidentId, NOW).expect("holder");
        let rest = (STATUS_LIST_SIZE - 1) as usize;
        let all = allocate_batch_statuses(&home, holder.idx, DocType::ResidentId, rest, NOW)
            .expect("every other entry");
        let unique: HashSet<u64> = indexes(&all).into_iter().collect();
        assert_eq!(unique.len(), rest);
        assert!(!unique.contains(&holder.idx));
        let err = allocate_status(&home, DocType::ResidentId, NOW).expect_err("full");
        assert_eq!(err.kind, "status-list-full");
    }

    #[test]
    fn revoking_any_index_of_a_group_revokes_the_whole_group_and_no_other() {
        let (_dir, home) = issuer_home();
        let a = allocate_status(&home, DocType::ResidentId, NOW).expect("a");
        let a_batch =
            allocate_batch_statuses(&home, a.idx, DocType::ResidentId, 12, NOW).expect("a batch");
        let b = allocate_status(&home, DocType::ResidentId, NOW).expect("b");
        allocate_batch_statuses(&home, b.idx, DocType::ResidentId, 12, NOW).expect("b batch");

        let mut state = StatusState::load(&home).expect("loads");
        let revocation = state.revoke_group_of(a_batch[5].idx).expect("revoked");
        assert_eq!(
            (revocation.group, revocation.indexes, revocation.newly),
            (a.idx, 13, 13)
        );
        let mut expected = state.members(a.idx);
        expected.sort_unstable();
        assert_eq!(state.revoked, expected);

        let again = state.revoke_group_of(a.idx).expect("again");
        assert_eq!((again.indexes, again.newly), (13, 0));
        assert_eq!(state.revoked, expected);
        let groups = state.groups();
        assert!(groups[0].revoked && !groups[1].revoked);
    }

    #[test]
    fn a_damaged_grouping_is_reported() {
        let (_dir, home) = issuer_home();
        let holder = allocate_status(&home, DocType::ResidentId, NOW).expect("holder");
        let text = String::from_utf8(state_file(&home)).expect("utf-8");
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
        // A group named after an index that does not start one.
        v["issued"][0]["group"] = json!((holder.idx + 1) % STATUS_LIST_SIZE);
        std::fs::write(StatusState::path(&home), v.to_string()).expect("write");
        let err = StatusState::load(&home).err().expect("refused");
        assert_eq!(err.kind, "issuer-damaged");
    }
}
