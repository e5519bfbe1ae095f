//! `netid wallet`: the resident's side — an encrypted wallet in `<home>/wallet/`, opened through
//! the core's [`LockedWallet`] facade with the chosen key store, the software secure area and the
//! terminal biometric stand-in; documents enrolled through the development issuer with proof of
//! possession; details, QR codes, deletion and the log behind the wallet's gates.
//!
//! This module owns the CLI's wallet files beside the store (`key-store`, the record of which key
//! store wraps the data key, and `authenticator.key`, the software authenticator's secret wrapped
//! by that same key store) and the mapping of [`WalletError`] to exit codes and next steps. Each
//! command unlocks the wallet for its own duration only; nothing unwrapped outlives the process.
//! It must never print personal data except the details or QR the person asked for, and never in
//! an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use netid_core::attestation::{CheckedKey, check_key_attestation};
use netid_core::auth::{AuthError, AuthPolicy, NextStep as AuthNext, PinParams};
use netid_core::block_on::block_on;
use netid_core::credential::{DocType, DocumentClaims, OsSalts, Purpose, StatusReference};
use netid_core::issuer::DevIssuer;
use netid_core::keystore::{
    DataKey, KeyStoreError, KeyWrapper, OsKeyStore, Unavailable, WrappedKey,
};
use netid_core::present::PresentationRequest;
use netid_core::qr::{QrMatrix, TerminalColors};
use netid_core::secure_area::{KeyEvidence, SecureAreaError, SoftwareAuthenticator};
use netid_core::store::{ActivityKind, DocumentId, FILE_NAME, StoreError};
use netid_core::time::{Clock, SystemClock, UnixTime};
use netid_core::wallet::{
    DEFAULT_SESSION_SECS, DocumentSummary, EnrolmentChallenge, LockedWallet, PoolLevel, ShownQr,
    SoftwareArea, UnlockedWallet, WalletConfig, WalletError, issue_purpose_batch,
    verify_batch_request, verify_proof_attested,
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::WalletCommand;
use crate::biometric::TerminalVerifier;
use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::i18n::{t, ta};
use crate::issuer_attestation::IssuerAttestation;
use crate::issuer_cmd;
use crate::key_store::{self, CliKeyStore, KeyStoreKind, PassphraseSource};
use crate::output::Output;

/// The software authenticator with the terminal stand-in.
pub type Authenticator = SoftwareAuthenticator<TerminalVerifier>;
/// The wallet as this command runs it.
pub type Locked = LockedWallet<CliKeyStore, SoftwareArea<Authenticator>, SystemClock>;
/// An unlocked wallet.
pub type Unlocked = UnlockedWallet<CliKeyStore, SoftwareArea<Authenticator>, SystemClock>;

/// The authenticator's wrapped secret, beside the store.
const AUTHENTICATOR_FILE: &str = "authenticator.key";
/// Pixels per module of `--png`/`--svg` output: a phone-camera-friendly size.
const IMAGE_PIXELS_PER_MODULE: u32 = 8;

/// Run a `wallet` subcommand.
pub fn run(
    home: &Home,
    key_store: Option<KeyStoreKind>,
    command: WalletCommand,
    out: Output,
) -> CliResult<()> {
    match command {
        WalletCommand::Init => {
            create(
                home,
                key_store,
                PassphraseSource::EnvOrPrompt { confirm: true },
                None,
                out,
            )?;
            out.result(
                &json!({"wallet": home.wallet_dir(), "created": true}),
                &format!(
                    "{}\n{}",
                    ta(
                        "cli-wallet-created",
                        &[(
                            "dir",
                            home.wallet_dir().display().to_string().as_str().into()
                        )]
                    ),
                    t("cli-wallet-next-enrol")
                ),
            );
            Ok(())
        }
        WalletCommand::Enrol {
            doctype,
            claims,
            label,
        } => {
            let mut wallet =
                open_unlocked(home, key_store, Some(TerminalVerifier::from_env()?), out)?;
            let document = read_claims(&claims, doctype)?;
            let (summary, checked) = enrol(home, &mut wallet, &document, label, out)?;
            // The enrolment stands whatever the top-up does: a failed one is reported, and
            // `wallet refill` tries again.
            let (levels, refill_problem) = match refill(home, &mut wallet, summary.id, out) {
                Ok(levels) => (levels, None),
                Err(error) => (Vec::new(), Some(error)),
            };
            let mut result = summary_json(&summary);
            result["one_time_codes"] = levels_json(&levels);
            result["holder_key"] = checked_json(&checked);
            let mut text = ta(
                "cli-wallet-enrolled",
                &[
                    ("doctype", doctype_label(summary.doc_type).as_str().into()),
                    ("id", summary.id.to_hex().as_str().into()),
                ],
            );
            text.push('\n');
            text.push_str(&checked_text(&checked));
            match &refill_problem {
                None => text.push_str(&format!("\n{}", levels_text(&levels))),
                Some(error) => {
                    result["refill_error"] = json!(error.to_string());
                    text.push('\n');
                    text.push_str(&ta(
                        "cli-wallet-no-codes-yet",
                        &[
                            ("problem", error.to_string().as_str().into()),
                            ("id", summary.id.to_hex().as_str().into()),
                        ],
                    ));
                }
            }
            out.result(&result, &text);
            Ok(())
        }
        WalletCommand::Refill { id } => {
            let mut wallet =
                open_unlocked(home, key_store, Some(TerminalVerifier::from_env()?), out)?;
            let id = resolve_id(&mut wallet, &id)?;
            let levels = refill(home, &mut wallet, id, out)?;
            out.result(
                &json!({"document": id.to_hex(), "one_time_codes": levels_json(&levels)}),
                &levels_text(&levels),
            );
            Ok(())
        }
        WalletCommand::List => {
            let mut wallet = open_unlocked(home, key_store, None, out)?;
            let documents = wallet.documents().map_err(wallet_error)?;
            let mut text = String::new();
            if documents.is_empty() {
                text.push_str(&t("cli-wallet-no-documents"));
            }
            for d in &documents {
                text.push_str(&format!(
                    "{}  {} {} {}{}\n",
                    d.id.to_hex(),
                    crate::i18n::pad(&doctype_label(d.doc_type), 22),
                    crate::i18n::pad(&t(&format!("grade-{}", d.assurance_level.as_str())), 14),
                    ta(
                        "cli-wallet-added",
                        &[(
                            "at",
                            date_time(secs(d.added_at.unix_seconds())).as_str().into()
                        )]
                    ),
                    d.label
                        .as_deref()
                        .map(|l| format!("  \"{l}\""))
                        .unwrap_or_default()
                ));
            }
            out.result(
                &json!({"documents": documents.iter().map(summary_json).collect::<Vec<_>>()}),
                &text,
            );
            Ok(())
        }
        WalletCommand::Show { id } => {
            let mut wallet =
                open_unlocked(home, key_store, Some(TerminalVerifier::from_env()?), out)?;
            let id = resolve_id(&mut wallet, &id)?;
            let details = block_on(wallet.document_details(id)).map_err(wallet_error)?;
            // Every copy of a claim made here is wiped: the display strings, the text (sized up
            // front so it never reallocates) and the JSON tree (`private_result`).
            let shown: Vec<(&str, String, Zeroizing<String>)> = details
                .claims
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str(),
                        crate::i18n::pad(&crate::i18n::claim(*n), 18),
                        Zeroizing::new(v.display()),
                    )
                })
                .collect();
            let header = format!(
                "{}\n  {}\n",
                ta(
                    "cli-wallet-show-header",
                    &[
                        (
                            "doctype",
                            doctype_label(details.summary.doc_type).as_str().into()
                        ),
                        (
                            "grade",
                            t(&format!(
                                "grade-{}",
                                details.summary.assurance_level.as_str()
                            ))
                            .as_str()
                            .into()
                        ),
                        ("issuer", details.issuer.as_str().into()),
                    ],
                ),
                ta(
                    "cli-wallet-show-dates",
                    &[
                        (
                            "issued",
                            date_time(details.issued_at.as_secs()).as_str().into()
                        ),
                        (
                            "expires",
                            date_time(details.expires.as_secs()).as_str().into()
                        ),
                    ],
                ),
            );
            let size = header.len()
                + shown
                    .iter()
                    .map(|(_, label, v)| 2 + label.len() + 1 + v.len() + 1)
                    .sum::<usize>();
            let mut text = Zeroizing::new(String::with_capacity(size));
            text.push_str(&header);
            for (_, label, v) in &shown {
                text.push_str("  ");
                text.push_str(label);
                text.push(' ');
                text.push_str(v);
                text.push('\n');
            }
            let mut claims = serde_json::Map::new();
            for (n, _, v) in &shown {
                let mut value = String::with_capacity(v.len());
                value.push_str(v);
                claims.insert((*n).to_owned(), value.into());
            }
            let mut json = summary_json(&details.summary);
            json["issuer"] = details.issuer.clone().into();
            json["issued_at"] = details.issued_at.as_secs().into();
            json["expires"] = details.expires.as_secs().into();
            json["claims"] = claims.into();
            out.private_result(json, text);
            Ok(())
        }
        WalletCommand::Qr {
            id,
            purpose,
            request,
            trust,
            png,
            svg,
        } => {
            let mut wallet =
                open_unlocked(home, key_store, Some(TerminalVerifier::from_env()?), out)?;
            let id = resolve_id(&mut wallet, &id)?;
            let (shown, purpose) = match request {
                Some(text) => {
                    let trust_path = trust.unwrap_or_else(|| home.trust_list());
                    let trust = crate::issuer_cmd::load_trust(&trust_path, home)?;
                    // Checked before the prompt: a refused request shows and logs nothing.
                    let request = wallet.parse_request(&text, &trust).map_err(wallet_error)?;
                    print_consent(&request, out);
                    let shown =
                        block_on(wallet.show_qr_for_request(id, &request)).map_err(wallet_error)?;
                    (shown, request.purpose())
                }
                None => (
                    show_qr(&mut wallet, id, purpose.purpose(), 60)?,
                    purpose.purpose(),
                ),
            };
            let rendered = RenderedQr::new(&shown)?;
            if let Some(path) = &png {
                home::write_private(path, &rendered.png()?)?;
            }
            if let Some(path) = &svg {
                home::write_private(path, rendered.svg()?.as_bytes())?;
            }
            let text = shown.qr_text();
            let mut notes = String::new();
            if shown.linkable {
                notes.push('\n');
                notes.push_str(&t("cli-wallet-linkable-warning"));
            }
            if shown.refill_due {
                notes.push('\n');
                notes.push_str(&ta(
                    "cli-wallet-refill-due",
                    &[
                        ("purpose", crate::i18n::purpose(purpose).as_str().into()),
                        ("id", id.to_hex().as_str().into()),
                    ],
                ));
            }
            out.private_result(
                json!({
                    "text": text.as_str(),
                    "one_time": !shown.linkable,
                    "linkable": shown.linkable,
                    "refill_due": shown.refill_due,
                    "qr_version": rendered.matrix.version(),
                    "error_correction": ec_name(rendered.matrix.error_correction()),
                    "byte_length": shown.presentation.as_bytes().len(),
                    "text_length": text.len(),
                    "expires": shown.expires().as_secs(),
                    "purpose": purpose.as_str(),
                    "counter": shown.answers_counter.as_deref(),
                    "png": png,
                    "svg": svg,
                }),
                Zeroizing::new(format!(
                    "{}\n{}\n{}{notes}",
                    rendered.terminal(),
                    text.as_str(),
                    ta(
                        "cli-wallet-qr-facts",
                        &[
                            ("version", rendered.matrix.version().into()),
                            ("level", ec_name(rendered.matrix.error_correction()).into()),
                            ("bytes", shown.presentation.as_bytes().len().into()),
                            (
                                "until",
                                date_time(shown.expires().as_secs()).as_str().into()
                            ),
                            (
                                "seconds",
                                (shown.expires().as_secs() - SystemClock.now().as_secs()).into()
                            ),
                        ],
                    ),
                )),
            );
            Ok(())
        }
        WalletCommand::Delete { id } => {
            let mut wallet =
                open_unlocked(home, key_store, Some(TerminalVerifier::from_env()?), out)?;
            let id = resolve_id(&mut wallet, &id)?;
            block_on(wallet.delete_document(id)).map_err(wallet_error)?;
            out.result(
                &json!({"deleted": id.to_hex()}),
                &ta("cli-wallet-deleted", &[("id", id.to_hex().as_str().into())]),
            );
            Ok(())
        }
        WalletCommand::Log { limit } => {
            let mut wallet =
                open_unlocked(home, key_store, Some(TerminalVerifier::from_env()?), out)?;
            let entries = block_on(wallet.export_activity(limit)).map_err(wallet_error)?;
            let mut text = String::new();
            let mut list = Vec::new();
            for e in &entries {
                let kind = activity_name(e.kind);
                let document = e.document.map(|d| d.to_hex());
                text.push_str(&format!(
                    "{:>4}  {}  {} {}{}\n",
                    e.seq,
                    date_time(secs(e.at.unix_seconds())),
                    crate::i18n::pad(&t(&format!("activity-{kind}")), 22),
                    document.clone().unwrap_or_default(),
                    if e.detail.is_empty() {
                        String::new()
                    } else {
                        format!("  {}", e.detail)
                    }
                ));
                list.push(json!({
                    "seq": e.seq,
                    "at": e.at.unix_seconds(),
                    "kind": kind,
                    "document": document,
                    "detail": e.detail,
                }));
            }
            out.result(&json!({"entries": list}), &text);
            Ok(())
        }
        WalletCommand::Pin { action } => crate::pin::run(home, key_store, action, out),
        WalletCommand::Lock => {
            let wallet = open_unlocked(home, key_store, None, out)?;
            drop(wallet.lock());
            out.result(&json!({"locked": true}), &t("cli-wallet-locked"));
            Ok(())
        }
        WalletCommand::Wipe { yes } => {
            if !yes {
                return Err(CliError::usage(
                    "confirmation-needed",
                    "wiping deletes every document and holder key in this wallet for good",
                    "run `netid wallet wipe --yes` to confirm",
                ));
            }
            wipe(home, key_store, out)?;
            out.result(
                &json!({"wiped": home.wallet_dir()}),
                &ta(
                    "cli-wallet-wiped",
                    &[(
                        "dir",
                        home.wallet_dir().display().to_string().as_str().into(),
                    )],
                ),
            );
            Ok(())
        }
    }
}

fn wallet_config(
    wrapper: CliKeyStore,
    authenticator: Authenticator,
) -> WalletConfig<CliKeyStore, SoftwareArea<Authenticator>, SystemClock> {
    WalletConfig {
        wrapper,
        area: SoftwareArea::new(Arc::new(authenticator)),
        clock: Arc::new(SystemClock),
        policy: AuthPolicy::default(),
        session_secs: DEFAULT_SESSION_SECS,
        pin_params: PinParams::RECOMMENDED,
        pool: Default::default(),
        presentation: Default::default(),
    }
}

/// Create a new wallet in `home`. `verifier` answers prompts later (None: from the environment,
/// checked only when a prompt comes).
pub fn create(
    home: &Home,
    forced: Option<KeyStoreKind>,
    passphrase: PassphraseSource,
    verifier: Option<TerminalVerifier>,
    out: Output,
) -> CliResult<Locked> {
    let dir = home.wallet_dir();
    if dir.join(FILE_NAME).exists() {
        return Err(CliError::usage(
            "wallet-exists",
            format!("a wallet already exists in {}", dir.display()),
            "use it, or delete it first with `netid wallet wipe --yes`",
        ));
    }
    home.ensure_dir(&dir)?;
    let store = key_store::for_new_wallet(&dir, forced, passphrase, out)?;
    out.progress(&t("cli-progress-creating-wallet"));
    let secret = Authenticator::generate_secret();
    let wrapped = store
        .wrap(&DataKey::from_bytes(secret.clone()))
        .map_err(|e| key_store_error(&e, store.kind()))?;
    home::write_private(&dir.join(AUTHENTICATOR_FILE), &wrapped.to_bytes())?;
    let verifier = verifier.unwrap_or_else(TerminalVerifier::deferred);
    let authenticator = Authenticator::new(&secret, verifier).map_err(|e| secure_area_error(&e))?;
    let kind = store.kind();
    let created = LockedWallet::create(&dir, wallet_config(store, authenticator));
    match created {
        Ok(w) => Ok(w),
        Err(e) => {
            // Leave no half-made wallet or key-store entry behind.
            if kind == KeyStoreKind::Os
                && let Ok(os) = OsKeyStore::new()
            {
                let _ = os.forget(&wrapped);
            }
            let _ = std::fs::remove_file(dir.join(AUTHENTICATOR_FILE));
            Err(wallet_error(e))
        }
    }
}

/// Open the wallet of `home`, locked.
pub fn open(
    home: &Home,
    forced: Option<KeyStoreKind>,
    verifier: Option<TerminalVerifier>,
    out: Output,
) -> CliResult<Locked> {
    let dir = home.wallet_dir();
    if !dir.join(FILE_NAME).is_file() {
        return Err(CliError::usage(
            "no-wallet",
            format!("there is no wallet in {}", dir.display()),
            format!(
                "create one with `netid wallet init --home {}` (or pass the right --home)",
                home.root().display()
            ),
        ));
    }
    let store = key_store::for_existing_wallet(&dir, forced, out)?;
    out.progress(&t("cli-progress-unlocking"));
    let wrapped = std::fs::read(dir.join(AUTHENTICATOR_FILE))
        .map_err(|e| CliError::read_file("authenticator key", &dir.join(AUTHENTICATOR_FILE), &e))?;
    let wrapped = WrappedKey::from_bytes(&wrapped).map_err(|_| corrupted(&dir))?;
    let secret = store
        .unwrap(&wrapped)
        .map_err(|e| key_store_error(&e, store.kind()))?;
    let secret = Zeroizing::new(*secret.expose_secret());
    let verifier = verifier.unwrap_or_else(TerminalVerifier::deferred);
    let authenticator = Authenticator::new(&secret, verifier).map_err(|e| secure_area_error(&e))?;
    LockedWallet::open(&dir, wallet_config(store, authenticator)).map_err(wallet_error)
}

/// Open and unlock, with the PIN (NETID_PIN, else a prompt with echo off) if the wallet has one.
pub fn open_unlocked(
    home: &Home,
    forced: Option<KeyStoreKind>,
    verifier: Option<TerminalVerifier>,
    out: Output,
) -> CliResult<Unlocked> {
    let locked = open(home, forced, verifier, out)?;
    let pin = if locked.has_pin().map_err(wallet_error)? {
        Some(crate::pin::read(
            crate::pin::NETID_PIN,
            &t("cli-prompt-pin"),
        )?)
    } else {
        None
    };
    locked.unlock(pin.as_ref()).map_err(wallet_error)
}

fn read_claims(path: &Path, doctype: DocType) -> CliResult<DocumentClaims> {
    let json = home::read_text("claims file", path)?;
    let document = netid_core::issuer::parse_claims_file(&json).map_err(|e| {
        CliError::usage(
            "bad-claims",
            format!("{}: {e}", path.display()),
            "fix the claims file (see docs/FORMAT.md, \"Claims file\") and try again",
        )
    })?;
    if document.doc_type != doctype {
        return Err(CliError::usage(
            "doctype-mismatch",
            format!(
                "the claims file describes a {}, not a {}",
                document.doc_type.as_str(),
                doctype.as_str()
            ),
            format!("pass --doctype {}", document.doc_type.as_str()),
        ));
    }
    Ok(document)
}

/// Enrol `document` through the development issuer of `home`: the wallet makes a holder key and
/// proves possession of it; the issuer checks the proof and the key's attestation against its
/// policy for the document's grade, and issues to that key (with a status list entry); the
/// wallet checks the credential against the trust list and stores it. Returns the document and
/// what the issuer's check established about the key.
pub fn enrol(
    home: &Home,
    wallet: &mut Unlocked,
    document: &DocumentClaims,
    label: Option<String>,
    out: Output,
) -> CliResult<(DocumentSummary, CheckedKey)> {
    let issuer = issuer_cmd::load(home)?;
    let trust = issuer_cmd::load_trust(&home.trust_list(), home)?;
    let challenge = EnrolmentChallenge::random(issuer.issuer_id())
        .map_err(|e| CliError::usage("enrolment", e.to_string(), "try the enrolment again"))?;
    out.progress(&t("cli-progress-holder-key"));
    let pending = block_on(wallet.begin_enrolment(&challenge)).map_err(wallet_error)?;
    out.progress(&t("cli-progress-issuing"));
    let (credential, checked) =
        match issue_for(home, &issuer, document, &challenge, pending.proof()) {
            Ok(issued) => issued,
            Err(refusal) => {
                // The new holder key is on the wallet's pending-key list: delete it now rather than
                // at the next enrolment, so a refused enrolment leaves nothing behind.
                drop(pending);
                let _ = block_on(wallet.remove_abandoned_keys());
                return Err(refusal);
            }
        };
    out.progress(&t("cli-progress-storing"));
    let summary = block_on(wallet.complete_enrolment(pending, &credential, &trust, label))
        .map_err(wallet_error)?;
    Ok((summary, checked))
}

/// Top up document `id`'s one-time purpose credentials through the development issuer of `home`:
/// the wallet signs one batch request (one confirmation), the issuer checks it, gives each
/// credential a random status entry in the resident's group and issues the batch, and the wallet
/// stores it only whole. Returns the new levels (unchanged if nothing was missing).
pub fn refill(
    home: &Home,
    wallet: &mut Unlocked,
    id: DocumentId,
    out: Output,
) -> CliResult<Vec<PoolLevel>> {
    let issuer = issuer_cmd::load(home)?;
    let trust = issuer_cmd::load_trust(&home.trust_list(), home)?;
    let challenge = EnrolmentChallenge::random(issuer.issuer_id())
        .map_err(|e| CliError::usage("refill", e.to_string(), "try the refill again"))?;
    out.progress(&t("cli-progress-batch-keys"));
    let Some(pending) = block_on(wallet.begin_refill(id, &challenge)).map_err(wallet_error)? else {
        return wallet.pool_levels(id).map_err(wallet_error);
    };
    out.progress(&t("cli-progress-batch-issuing"));
    let now = SystemClock.now();
    let refused = |e: &dyn std::fmt::Display| {
        CliError::refused(
            "refill-refused",
            format!("the issuer refused the refill: {e}"),
            "run `netid wallet refill` again; if it keeps failing, enrol the document again",
        )
    };
    let request =
        verify_batch_request(pending.request(), &challenge, now).map_err(|e| refused(&e))?;
    let full = request.full_credential();
    let holder_index = full
        .status()
        .map(|status| status.idx)
        .ok_or_else(|| refused(&"the document has no status-list entry to group its codes with"))?;
    let statuses = issuer_cmd::allocate_batch_statuses(
        home,
        holder_index,
        full.doc_type(),
        request.keys().len(),
        now,
    )?;
    // One-time codes live at most 30 days, and never past the document itself.
    let expires =
        UnixTime::from_secs((now.as_secs() + ONE_TIME_DAYS * 86_400).min(full.expires().as_secs()));
    let issued = issue_purpose_batch(&issuer, &trust, &request, &statuses, now, expires)
        .map_err(|e| refused(&e))?;
    let response: Vec<Vec<u8>> = issued.iter().map(|c| c.to_bytes()).collect();
    out.progress(&t("cli-progress-batch-storing"));
    block_on(wallet.complete_refill(pending, &response, &trust)).map_err(wallet_error)
}

/// What the issuer's attestation check established about a holder key, as JSON.
pub fn checked_json(checked: &CheckedKey) -> serde_json::Value {
    json!({
        "attested_level": crate::issuer_attestation::level_name(checked.level),
        "user_auth_required": checked.user_auth_required,
    })
}

/// The same, as a line for people.
pub fn checked_text(checked: &CheckedKey) -> String {
    ta(
        "cli-wallet-holder-key-attested",
        &[
            (
                "level",
                crate::issuer_attestation::level_name(checked.level).into(),
            ),
            (
                "user_auth",
                t(if checked.user_auth_required {
                    "cli-verify-yes"
                } else {
                    "cli-verify-no"
                })
                .as_str()
                .into(),
            ),
        ],
    )
}

/// How long the development issuer's one-time credentials stay valid.
const ONE_TIME_DAYS: i64 = 30;

fn levels_json(levels: &[PoolLevel]) -> serde_json::Value {
    levels
        .iter()
        .map(|l| {
            json!({
                "purpose": l.purpose.as_str(),
                "remaining": l.remaining,
                "refill_due": l.refill_due,
            })
        })
        .collect()
}

fn levels_text(levels: &[PoolLevel]) -> String {
    let parts: Vec<String> = levels
        .iter()
        .map(|l| format!("{} {}", crate::i18n::purpose(l.purpose), l.remaining))
        .collect();
    ta(
        "cli-wallet-codes-left",
        &[("levels", parts.join(", ").as_str().into())],
    )
}

/// The development issuer's half of an enrolment: the proof of possession, then the holder key's
/// attestation against the issuer's policy for the document's grade
/// (`<home>/issuer/attestation.json`), and only then a status entry and the credential, so a
/// refused enrolment leaves nothing in the issuer's state.
fn issue_for(
    home: &Home,
    issuer: &DevIssuer,
    document: &DocumentClaims,
    challenge: &EnrolmentChallenge,
    proof: &[u8],
) -> CliResult<(Vec<u8>, CheckedKey)> {
    let now = SystemClock.now();
    let proven = verify_proof_attested(proof, challenge, now).map_err(|e| {
        CliError::refused(
            "proof-refused",
            format!("the issuer refused the wallet's proof of possession: {e}"),
            "start the enrolment again",
        )
    })?;
    let policy = IssuerAttestation::load(home)?.policy().map_err(|e| {
        CliError::usage(
            "issuer-damaged",
            format!("the development issuer's attestation policy is damaged: {e}"),
            "reset it with `netid issuer attestation --reset` (then add your roots again)",
        )
    })?;
    let checked = check_key_attestation(
        &proven.attestation,
        &proven.holder_key,
        challenge.nonce(),
        document.assurance_level,
        &policy,
        now,
    )
    .map_err(|e| {
        let app_attest = matches!(
            proven.attestation.evidence,
            KeyEvidence::AppleAppAttest { .. }
        );
        crate::issuer_attestation::refused(&e, document.assurance_level, app_attest)
    })?;
    let status: StatusReference = issuer_cmd::allocate_status(home, document.doc_type, now)?;
    let credential = issuer
        .issue(
            document,
            &proven.holder_key,
            now,
            Some(status),
            &mut OsSalts,
        )
        .map_err(|e| {
            CliError::usage(
                "bad-claims",
                format!("the issuer refused the claims: {e}"),
                "fix the claims file and try again",
            )
        })?;
    Ok((credential.to_bytes(), checked))
}

/// Show a QR code for `purpose`, valid `lifetime_secs`.
pub fn show_qr(
    wallet: &mut Unlocked,
    id: DocumentId,
    purpose: Purpose,
    lifetime_secs: u32,
) -> CliResult<ShownQr> {
    let mut request = PresentationRequest::for_purpose(purpose);
    request.lifetime_secs = lifetime_secs;
    block_on(wallet.show_qr(id, &request)).map_err(wallet_error)
}

/// What the consent screen shows before the confirmation: who asks (as registered), for what,
/// and what it may keep. On standard error, so the code's JSON on standard output stays one
/// document.
fn print_consent(request: &netid_core::counter::VerifiedRequest, out: Output) {
    let claims: Vec<&str> = request
        .requested_claims()
        .iter()
        .map(|c| c.as_str())
        .collect();
    let consent = json!({
        "consent": {
            "counter_id": request.counter_id(),
            "name_zh": request.name_zh(),
            "name_en": request.name_en(),
            "registrar": request.registrar(),
            "purpose": request.purpose().as_str(),
            "claims": claims,
            "full_card": request.asks_full_card(),
            "keeps_days": request.keeps_days(),
            "expires": request.expires().as_secs(),
        }
    });
    if out.is_json() {
        crate::output::err_line(&consent.to_string());
    } else {
        let labels: Vec<String> = request
            .requested_claims()
            .iter()
            .map(|c| crate::i18n::claim(*c))
            .collect();
        let labels = labels.join(&t("consent-list-separator"));
        let id = if request.asks_full_card() {
            "consent-asks-full-card"
        } else {
            "consent-asks"
        };
        let asks = ta(
            id,
            &[
                ("name_zh", request.name_zh().into()),
                ("name_en", request.name_en().into()),
                ("counter_id", request.counter_id().into()),
                ("registrar", request.registrar().into()),
                (
                    "purpose",
                    crate::i18n::purpose(request.purpose()).as_str().into(),
                ),
                ("claims", labels.as_str().into()),
            ],
        );
        crate::output::err_line(&format!(
            "{asks}\n{} {}",
            ta("consent-keeps", &[("days", request.keeps_days().into())]),
            t("consent-confirm")
        ));
    }
}

/// A shown code as a QR symbol.
pub struct RenderedQr {
    /// The module matrix.
    pub matrix: QrMatrix,
}

impl RenderedQr {
    /// Encode the code's text.
    pub fn new(shown: &ShownQr) -> CliResult<Self> {
        let matrix = QrMatrix::encode(&shown.qr_text()).map_err(|e| {
            CliError::usage(
                "qr",
                format!("the code could not be drawn as a QR symbol: {e}"),
                "show fewer claims (another --purpose)",
            )
        })?;
        Ok(Self { matrix })
    }
    /// Half-block terminal picture.
    pub fn terminal(&self) -> String {
        self.matrix.to_terminal(TerminalColors::Ansi)
    }
    /// PNG bytes.
    pub fn png(&self) -> CliResult<Vec<u8>> {
        self.matrix
            .to_png(IMAGE_PIXELS_PER_MODULE)
            .map_err(|e| CliError::usage("qr", e.to_string(), "report this problem"))
    }
    /// SVG text.
    pub fn svg(&self) -> CliResult<String> {
        self.matrix
            .to_svg(IMAGE_PIXELS_PER_MODULE)
            .map_err(|e| CliError::usage("qr", e.to_string(), "report this problem"))
    }
}

fn ec_name(ec: netid_core::qr::ErrorCorrection) -> &'static str {
    use netid_core::qr::ErrorCorrection as E;
    match ec {
        E::Low => "L",
        E::Medium => "M",
        E::Quartile => "Q",
        E::High => "H",
    }
}

/// Delete the wallet of `home` and everything the key store keeps for it.
pub fn wipe(home: &Home, forced: Option<KeyStoreKind>, out: Output) -> CliResult<()> {
    let dir = home.wallet_dir();
    let authenticator = std::fs::read(dir.join(AUTHENTICATOR_FILE))
        .ok()
        .and_then(|b| WrappedKey::from_bytes(&b).ok());
    let wallet = open_unlocked(home, forced, None, out)?;
    let kind = key_store::recorded_kind(&dir);
    out.progress(&t("cli-progress-wiping"));
    block_on(wallet.wipe()).map_err(wallet_error)?;
    if let (Some(wrapped), Some(KeyStoreKind::Os)) = (authenticator, kind)
        && let Ok(os) = OsKeyStore::new()
    {
        let _ = os.forget(&wrapped);
    }
    for name in [AUTHENTICATOR_FILE, key_store::CHOICE_FILE] {
        let path: PathBuf = dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CliError::write_file("wallet file", &path, &e)),
        }
    }
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}

/// The document whose id is `text` or starts with it.
pub fn resolve_id(wallet: &mut Unlocked, text: &str) -> CliResult<DocumentId> {
    let text = text.trim().to_ascii_lowercase();
    if text.len() < 4 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CliError::usage(
            "bad-document-id",
            "a document id is hexadecimal, at least its first 4 digits",
            "copy the id from `netid wallet list`",
        ));
    }
    let documents = wallet.documents().map_err(wallet_error)?;
    let matches: Vec<DocumentId> = documents
        .iter()
        .map(|d| d.id)
        .filter(|id| id.to_hex().starts_with(&text))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(CliError::usage(
            "no-such-document",
            "no document in this wallet has that id",
            "copy the id from `netid wallet list`",
        )),
        _ => Err(CliError::usage(
            "ambiguous-document-id",
            "more than one document starts with that id",
            "type more digits of the id from `netid wallet list`",
        )),
    }
}

fn summary_json(d: &DocumentSummary) -> serde_json::Value {
    json!({
        "id": d.id.to_hex(),
        "doc_type": d.doc_type.as_str(),
        "assurance_level": d.assurance_level.as_str(),
        "label": d.label,
        "added_at": d.added_at.unix_seconds(),
    })
}

fn activity_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Enrolment => "enrolment",
        ActivityKind::Presentation => "presentation",
        ActivityKind::Refill => "refill",
        ActivityKind::Deletion => "deletion",
        ActivityKind::FailedAuthentication => "failed-authentication",
        ActivityKind::Lockout => "lockout",
        ActivityKind::DetailsViewed => "details-viewed",
        ActivityKind::LogExported => "log-exported",
        _ => "other",
    }
}

/// The localized name of a document type (`居民身份证`, `Resident identity card`).
fn doctype_label(doc_type: DocType) -> String {
    t(&format!("doctype-{}", doc_type.as_str()))
}

fn secs(unix: u64) -> i64 {
    i64::try_from(unix).unwrap_or(i64::MAX)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn date_time(secs: i64) -> String {
    let t = UnixTime::from_secs(secs);
    let day_secs = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        t.date(),
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

fn corrupted(dir: &Path) -> CliError {
    CliError::usage(
        "store-corrupted",
        format!("{} ({})", t("wallet-error-store-corrupted"), dir.display()),
        t("cli-next-restore-store"),
    )
}

fn key_store_error(e: &KeyStoreError, kind: KeyStoreKind) -> CliError {
    match (e, kind) {
        (KeyStoreError::KeyUnavailable(Unavailable::Wrong), KeyStoreKind::Passphrase) => {
            CliError::usage(
                "wrong-passphrase",
                t("wallet-error-wrong-passphrase"),
                t("cli-next-wrong-passphrase"),
            )
        }
        (KeyStoreError::KeyUnavailable(Unavailable::Missing), KeyStoreKind::Os) => CliError::usage(
            "key-store-entry-missing",
            t("wallet-error-key-store-entry-missing"),
            "restore the key store, or move the wallet away and start again with `netid wallet init`",
        ),
        (KeyStoreError::PlatformStore(_), _) => CliError::usage(
            "os-key-store-unavailable",
            e.to_string(),
            "start and unlock the Secret Service (e.g. gnome-keyring) in this session, then try again",
        ),
        (KeyStoreError::MalformedWrappedKey(_), _) => CliError::usage(
            "store-corrupted",
            t("wallet-error-store-corrupted"),
            t("cli-next-restore-store"),
        ),
        _ => CliError::usage(
            "key-store",
            e.to_string(),
            "check the key store and try again",
        ),
    }
}

fn secure_area_error(e: &SecureAreaError) -> CliError {
    match e {
        SecureAreaError::Cancelled => CliError::refused(
            "cancelled",
            t("wallet-error-cancelled"),
            t("cli-next-confirm-again"),
        ),
        SecureAreaError::Failed => CliError::refused(
            "not-recognised",
            t("wallet-error-not-recognised"),
            t("cli-next-not-recognised"),
        ),
        other => CliError::usage("secure-area", other.to_string(), t("cli-next-re-enrol")),
    }
}

/// The CLI error for a wallet failure: refusals of the person's confirmation exit 1, the rest 2.
/// What the resident reads is in their language; developer-facing details (key-store and
/// database internals) stay in English.
pub fn wallet_error(e: WalletError) -> CliError {
    match e {
        WalletError::Store(StoreError::KeyUnavailable(Unavailable::Wrong)) => CliError::usage(
            "wrong-passphrase",
            t("wallet-error-wrong-passphrase"),
            t("cli-next-wrong-passphrase"),
        ),
        WalletError::Store(StoreError::KeyUnavailable(Unavailable::Missing)) => CliError::usage(
            "key-store-entry-missing",
            t("wallet-error-key-store-entry-missing"),
            "restore the key store, or move the wallet away and start again with `netid wallet init`",
        ),
        WalletError::Store(StoreError::KeyStore(ref k)) => CliError::usage(
            "key-store",
            k.to_string(),
            "check the key store (NETID_PASSPHRASE, or the Secret Service) and try again",
        ),
        WalletError::Store(
            StoreError::StoreCorrupted { .. }
            | StoreError::RecordTampered { .. }
            | StoreError::Database(_)
            | StoreError::SchemaTooNew { .. },
        ) => CliError::usage(
            "store-corrupted",
            format!("{} ({e})", t("wallet-error-store-corrupted")),
            t("cli-next-restore-store"),
        ),
        WalletError::Store(StoreError::StoreRolledBack { .. }) => CliError::refused(
            "store-rolled-back",
            t("wallet-error-store-rolled-back"),
            t("cli-next-rolled-back"),
        ),
        WalletError::PinRequired | WalletError::Store(StoreError::PinRequired) => CliError::usage(
            "pin-required",
            t("wallet-error-pin-required"),
            t("cli-next-pin-required"),
        ),
        WalletError::Store(StoreError::Missing { .. }) => CliError::usage(
            "no-wallet",
            t("wallet-error-no-wallet"),
            "create one with `netid wallet init`",
        ),
        WalletError::Auth(ref a) => auth_error(a),
        WalletError::SecureArea(ref s) => secure_area_error(s),
        WalletError::NoSuchDocument => CliError::usage(
            "no-such-document",
            t("wallet-error-no-such-document"),
            t("cli-next-no-such-document"),
        ),
        WalletError::NothingEnrolled => CliError::usage(
            "nothing-enrolled",
            t("wallet-error-nothing-enrolled"),
            t("cli-next-enrol-first"),
        ),
        WalletError::Untrusted(_)
        | WalletError::NotBoundToHolderKey
        | WalletError::MalformedCredential(_)
        | WalletError::Proof(_) => CliError::refused(
            "credential-refused",
            format!("{} ({e})", t("wallet-error-credential-refused")),
            t("cli-next-credential-refused"),
        ),
        WalletError::BatchRefused(_) => CliError::refused(
            "refill-refused",
            format!("{} ({e})", t("wallet-error-refill-refused")),
            t("cli-next-refill-again"),
        ),
        WalletError::PoolEmpty(_) => CliError::usage(
            "no-one-time-codes",
            t("wallet-error-no-one-time-codes"),
            ta("cli-next-refill", &[("id", "<id>".into())]),
        ),
        WalletError::Request(ref r) => crate::counter_cmd::request_error(r),
        WalletError::RequestRequired => CliError::refused(
            "request-required",
            t("wallet-error-request-required"),
            t("cli-next-request-needed"),
        ),
        WalletError::Present(ref p) => CliError::usage(
            "cannot-present",
            p.to_string(),
            "renew or re-enrol the document",
        ),
        other => CliError::usage(
            "wallet",
            other.to_string(),
            "try again; if it persists, report it",
        ),
    }
}

fn auth_error(a: &AuthError) -> CliError {
    let next = match a.next_step() {
        AuthNext::TryAgain => t("cli-next-confirm-again"),
        AuthNext::WaitThenTryAgain { seconds } => {
            ta("cli-next-wait-seconds", &[("seconds", seconds.into())])
        }
        AuthNext::ReEnrolDocument => t("cli-next-re-enrol"),
        AuthNext::ResetWallet => t("cli-next-reset-wallet"),
        AuthNext::ChooseValidPin => t("cli-next-choose-pin"),
        AuthNext::SetUpPin => t("cli-next-set-pin"),
        AuthNext::ChangePin => t("cli-next-change-pin"),
        _ => t("cli-next-try-later"),
    };
    let kind = match a {
        AuthError::Cancelled => "cancelled",
        AuthError::Failed { .. } => "not-recognised",
        AuthError::LockedOut { .. } => "locked-out",
        AuthError::PermanentlyLocked => "locked-for-good",
        AuthError::WrongPin { .. } => "wrong-pin",
        AuthError::PinNotSet => "no-pin",
        AuthError::PinAlreadySet => "pin-already-set",
        AuthError::InvalidPin(_) => "invalid-pin",
        _ => "authentication",
    };
    let message = match a {
        // How many tries are left is what the resident needs most.
        AuthError::WrongPin { attempts_left } | AuthError::Failed { attempts_left } => format!(
            "{} ({})",
            t(&format!("wallet-error-{kind}")),
            ta("cli-attempts-left", &[("count", (*attempts_left).into())])
        ),
        AuthError::Cancelled
        | AuthError::LockedOut { .. }
        | AuthError::PermanentlyLocked
        | AuthError::PinNotSet
        | AuthError::PinAlreadySet
        | AuthError::InvalidPin(_) => t(&format!("wallet-error-{kind}")),
        other => other.to_string(),
    };
    CliError::refused(kind, message, next)
}

/// iOS App Attest at the issuer's enrolment check. The `netid` wallet has software keys only and
/// the binary takes no enrolment proof from outside, so these tests call `issue_for` — the
/// issuer's half of `netid wallet enrol` — with a proof whose key carries App Attest evidence
/// from the core's test App Attestation CA, under a policy set by `netid issuer attestation`'s
/// own code (`issuer_attestation::run`, which writes `<home>/issuer/attestation.json`, which
/// `issue_for` reads back).
#[cfg(test)]
mod app_attest_tests {
    use super::*;
    use crate::issuer_attestation::AppAttestChanges;
    use netid_core::attestation::apple::client_data_hash;
    use netid_core::attestation::testing::{AppAttestOptions, TestAppAttestCa};
    use netid_core::credential::{AssuranceLevel, Credential};
    use netid_core::issuer::parse_claims_file;
    use netid_core::secure_area::{KeyAttestation, KeySecurityLevel};
    use netid_core::wallet::UnsignedProof;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    const APP_ID: &str = "ABCDE12345.io.netid.wallet";
    const CLAIMS: &str = include_str!("../tests/vectors/resident-id.json");

    struct Issuer {
        _dir: tempfile::TempDir,
        home: Home,
        issuer: DevIssuer,
        ca: TestAppAttestCa,
        root_file: PathBuf,
    }

    impl Issuer {
        /// A new development issuer (the real `keygen`: the default policy) and a test App
        /// Attestation CA whose root is in a DER file.
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("temp dir");
            let home = Home::at(dir.path().join("home"));
            issuer_cmd::keygen(&home, "gov.example.test", false, Output::new(true))
                .expect("keygen");
            let ca = TestAppAttestCa::generate("netid cli").expect("test CA");
            let root_file = dir.path().join("app-attest-root.der");
            std::fs::write(&root_file, ca.root_certificate()).expect("write root");
            let issuer = issuer_cmd::load(&home).expect("issuer");
            Self {
                _dir: dir,
                home,
                issuer,
                ca,
                root_file,
            }
        }

        /// `netid issuer attestation` with these App Attest flags only.
        fn set(&self, changes: AppAttestChanges) -> CliResult<()> {
            crate::issuer_attestation::run(
                &self.home,
                &[],
                false,
                false,
                None,
                None,
                &changes,
                Output::new(true),
            )
        }

        /// Enrols a fresh holder key at `grade` whose App Attest evidence `options` describe, made
        /// by `ca` (the issuer's own test CA unless another is given).
        fn enrol(
            &self,
            grade: AssuranceLevel,
            options: &AppAttestOptions,
            ca: Option<&TestAppAttestCa>,
        ) -> CliResult<(Vec<u8>, CheckedKey)> {
            let challenge = EnrolmentChallenge::random(self.issuer.issuer_id()).expect("challenge");
            let mut rng = p256::elliptic_curve::rand_core::OsRng;
            let holder = SigningKey::random(&mut rng);
            let holder_public = p256::PublicKey::from(holder.verifying_key());
            let app_key = SigningKey::random(&mut rng);
            // The installation's first enrolment: its attestation answers this enrolment.
            let first = client_data_hash(&holder_public, challenge.nonce());
            let evidence = ca
                .unwrap_or(&self.ca)
                .evidence(&app_key, &first, &holder_public, challenge.nonce(), options)
                .expect("evidence");
            let attestation = KeyAttestation {
                level: KeySecurityLevel::SecureEnclave,
                evidence: KeyEvidence::AppleAppAttest {
                    evidence: evidence.to_bytes(),
                },
            };
            let unsigned =
                UnsignedProof::new(&challenge, &holder_public, &attestation, SystemClock.now())
                    .expect("proof");
            let signature: p256::ecdsa::Signature = holder.sign(unsigned.to_be_signed());
            let proof = unsigned
                .finish(signature.to_bytes().into())
                .expect("signed proof");
            let mut document = parse_claims_file(CLAIMS).expect("claims");
            document.assurance_level = grade;
            issue_for(&self.home, &self.issuer, &document, &challenge, &proof)
        }

        fn configure(&self) {
            self.set(AppAttestChanges {
                roots: vec![self.root_file.clone()],
                app_ids: vec![APP_ID.to_owned()],
                ..AppAttestChanges::default()
            })
            .expect("configured");
        }
    }

    const SECURE_ENCLAVE: CheckedKey = CheckedKey {
        level: KeySecurityLevel::SecureEnclave,
        user_auth_required: true,
    };

    fn refusal(result: CliResult<(Vec<u8>, CheckedKey)>) -> CliError {
        let error = result.expect_err("refused");
        assert_eq!(error.kind, "key-attestation-refused", "{error:?}");
        assert_eq!(error.exit.code(), 1);
        error
    }

    #[test]
    fn an_app_attest_key_enrols_at_the_enhanced_grade_once_the_policy_names_its_root_and_app_id() {
        let issuer = Issuer::new();
        let production = AppAttestOptions::production(APP_ID);

        // The default policy: App Attest not configured, refused where hardware is required,
        // with the next step naming the flags that configure it.
        let error = refusal(issuer.enrol(AssuranceLevel::Enhanced, &production, None));
        assert!(
            error
                .message
                .contains(&t("cli-attestation-rule-not-verifiable")),
            "{error:?}"
        );
        assert_eq!(error.next_step, t("cli-next-attestation-app-attest"));
        assert!(error.next_step.contains("--app-attest-root FILE --app-id"));
        // At the basic grade the unverifiable evidence counts as a software key.
        let (_, checked) = issuer
            .enrol(AssuranceLevel::Basic, &production, None)
            .expect("basic");
        assert_eq!(checked.level, KeySecurityLevel::Software);

        // A root without an app id is not a configuration yet.
        issuer
            .set(AppAttestChanges {
                roots: vec![issuer.root_file.clone()],
                ..AppAttestChanges::default()
            })
            .expect("root");
        refusal(issuer.enrol(AssuranceLevel::Enhanced, &production, None));

        issuer
            .set(AppAttestChanges {
                app_ids: vec![APP_ID.to_owned()],
                ..AppAttestChanges::default()
            })
            .expect("app id");
        let (credential, checked) = issuer
            .enrol(AssuranceLevel::Enhanced, &production, None)
            .expect("enhanced");
        assert_eq!(checked, SECURE_ENCLAVE);
        let credential = Credential::from_bytes(&credential).expect("a credential");
        assert_eq!(credential.assurance_level(), AssuranceLevel::Enhanced);

        // Clearing App Attest puts the refusal back.
        issuer
            .set(AppAttestChanges {
                clear: true,
                ..AppAttestChanges::default()
            })
            .expect("cleared");
        refusal(issuer.enrol(AssuranceLevel::Enhanced, &production, None));
    }

    #[test]
    fn another_apps_key_a_development_build_or_another_root_is_refused_naming_the_setting() {
        let issuer = Issuer::new();
        issuer.configure();

        let other_app = AppAttestOptions::production("OTHER12345.io.netid.wallet");
        let error = refusal(issuer.enrol(AssuranceLevel::Enhanced, &other_app, None));
        assert!(
            error.message.contains(&t("cli-attestation-rule-app-id")),
            "{error:?}"
        );
        assert_eq!(error.next_step, t("cli-next-attestation-app-id"));
        // Evidence that is sent is checked in full at the basic grade too.
        refusal(issuer.enrol(AssuranceLevel::Basic, &other_app, None));

        let development = AppAttestOptions {
            development: true,
            ..AppAttestOptions::production(APP_ID)
        };
        let error = refusal(issuer.enrol(AssuranceLevel::Enhanced, &development, None));
        assert!(
            error
                .message
                .contains(&t("cli-attestation-rule-app-attest-development")),
            "{error:?}"
        );
        assert_eq!(
            error.next_step,
            t("cli-next-attestation-app-attest-development")
        );
        issuer
            .set(AppAttestChanges {
                allow_development: Some(true),
                ..AppAttestChanges::default()
            })
            .expect("allow development");
        let (_, checked) = issuer
            .enrol(AssuranceLevel::Enhanced, &development, None)
            .expect("development build allowed");
        assert_eq!(checked, SECURE_ENCLAVE);
        issuer
            .set(AppAttestChanges {
                allow_development: Some(false),
                ..AppAttestChanges::default()
            })
            .expect("refuse development");
        refusal(issuer.enrol(AssuranceLevel::Enhanced, &development, None));

        let stranger = TestAppAttestCa::generate("stranger").expect("CA");
        let error = refusal(issuer.enrol(
            AssuranceLevel::Enhanced,
            &AppAttestOptions::production(APP_ID),
            Some(&stranger),
        ));
        assert!(
            error
                .message
                .contains(&t("cli-attestation-rule-unknown-root")),
            "{error:?}"
        );
        assert_eq!(error.next_step, t("cli-next-attestation-app-attest-root"));
    }
}
