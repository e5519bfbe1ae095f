//! `netid verify`: the counter. Reads a code (photo, text or standard input), checks it with the
//! core's [`Verifier`] against the trust list, then against the on-disk replay cache, and prints
//! the verified claims or the specific reason for refusal.
//!
//! This module owns the mapping from the core's [`VerifyError`] to the command's error kinds and
//! next steps. It must never print claims from a code that failed any check, and never record a
//! refused code in the replay cache.

use std::io::Read;

use netid_core::credential::{self, QR_TEXT_PREFIX};
use netid_core::credential::{ClaimValue, Sex};
use netid_core::issuer::TrustList;
use netid_core::status::{ListSource, StatusError, StatusListCache};
use netid_core::time::{Clock, FixedClock, SystemClock, UnixTime};
use netid_core::verify::{
    DEFAULT_SKEW_SECS, PolicyProblem, VerifiedPresentation, Verifier, VerifyError, VerifyRequest,
};
use serde_json::json;

use crate::args::VerifyArgs;
use crate::error::{CliError, CliResult};
use crate::home::Home;
use crate::i18n::{self, t, ta};
use crate::issuer_cmd;
use crate::output::Output;
use crate::replay::{ReplayCache, Seen};
use crate::scan;
use crate::status_store::CounterStatusLists;

/// A status list without its own `ttl` is fresh this long after it was fetched — for the list
/// file beside the trust list, after the counter first imported it (docs/FORMAT.md §7); its `exp`
/// still applies.
const STATUS_TTL_SECS: u64 = 3600;
/// Longest code text accepted from `--text` or standard input, in bytes. A version-40 QR holds
/// at most 4,296 characters, and the core refuses presentations over 8 KiB (whose base45 text is
/// about 12,300 characters), so nothing real comes near it; it keeps a pasted file from being
/// decoded at all.
pub const MAX_TEXT: usize = 16 * 1024;

/// Run `netid verify`.
pub fn run(home: &Home, args: VerifyArgs, out: Output) -> CliResult<()> {
    if args.interactive || args.counter.is_some() {
        let dir = args
            .counter
            .clone()
            .unwrap_or_else(|| crate::counter_cmd::default_dir(home));
        return run_registered(home, &dir, args, out);
    }
    if !args.claim.is_empty() || args.request_out.is_some() {
        return Err(CliError::usage(
            "bad-arguments",
            "--claim and --request-out belong to a registered counter's request",
            "add --interactive (and --counter DIR if the counter is not in <home>/counter/registered)",
        ));
    }
    let text = match (&args.image, args.text) {
        (Some(path), _) => {
            out.progress("reading the QR code from the image");
            scan::qr_text_from_image(path)?
        }
        (None, Some(text)) => {
            if text.len() > MAX_TEXT {
                return Err(too_long("--text"));
            }
            text
        }
        (None, None) => read_stdin()?,
    };
    let trust_path = args.trust.clone().unwrap_or_else(|| home.trust_list());
    let now = args.at.unwrap_or_else(|| SystemClock.now());
    let purpose = args.purpose.purpose();
    let mut request = VerifyRequest::for_purpose(purpose);
    if let Some(audience) = args.audience {
        request.audience = Some(audience);
    }
    request.nonce = args.nonce.map(|nonce| nonce.0);
    let verified = verify_request(home, &trust_path, &text, &request, now, out)?;
    print_verified(&verified, purpose.as_str(), out);
    Ok(())
}

/// `netid verify --counter DIR`: sign a request as the registered counter in `dir`, show it, then
/// accept only an answer to it, read from standard input (docs/FORMAT.md §13).
fn run_registered(
    home: &Home,
    dir: &std::path::Path,
    args: VerifyArgs,
    out: Output,
) -> CliResult<()> {
    let signer = crate::counter_cmd::load_signer(dir)?;
    let now = args.at.unwrap_or_else(|| SystemClock.now());
    let purpose = args.purpose.purpose();
    let claims = (!args.claim.is_empty()).then_some(args.claim);
    let (request, issued) = signer
        .request(purpose, claims, REQUEST_LIFETIME_SECS, now)
        .map_err(|e| {
            CliError::usage(
                e.kind(),
                format!("this counter cannot ask that: {e}"),
                "ask only for the purposes and claims the counter is registered for",
            )
        })?;
    if let Some(path) = &args.request_out {
        crate::home::write_private(path, request.as_bytes())?;
    }
    if out.is_json() {
        crate::output::err_line(
            &json!({
                "request": request,
                "counter_id": issued.counter_id(),
                "purpose": purpose.as_str(),
                "nonce": hex::encode(issued.nonce()),
                "expires": issued.expires().as_secs(),
            })
            .to_string(),
        );
    } else {
        if let Ok(matrix) = netid_core::qr::QrMatrix::encode(&request) {
            crate::output::err(&matrix.to_terminal(netid_core::qr::TerminalColors::Ansi));
        }
        crate::output::err_line(&ta(
            "cli-verify-request-shown",
            &[
                ("counter_id", issued.counter_id().into()),
                ("purpose", i18n::purpose(purpose).as_str().into()),
                ("seconds", REQUEST_LIFETIME_SECS.into()),
            ],
        ));
        crate::output::out_line(&request);
    }
    let answer = read_stdin()?;
    let answer = answer.trim_end_matches(['\r', '\n']);
    if !answer.starts_with(QR_TEXT_PREFIX) {
        return Err(scan::not_netid());
    }
    // The answer is judged when it arrives: a request left unanswered too long has expired.
    let now = args.at.unwrap_or_else(|| SystemClock.now());
    let trust_path = args.trust.clone().unwrap_or_else(|| home.trust_list());
    let verified = verify_answer(home, &trust_path, answer, &issued, now, out)?;
    let mut json = verified_json(&verified, purpose.as_str());
    json["counter_id"] = issued.counter_id().into();
    out.private_result(
        json,
        zeroize::Zeroizing::new(format!(
            "{}  {}\n",
            verified_text(&verified, purpose.as_str()),
            ta(
                "cli-verify-answering",
                &[("counter_id", issued.counter_id().into())]
            )
        )),
    );
    Ok(())
}

/// Verify `answer` as the answer to this counter's request `issued` at `now` (every check, `aud` =
/// the counter's id, `cnonce` = its nonce), recording it in the replay cache.
pub fn verify_answer(
    home: &Home,
    trust_path: &std::path::Path,
    answer: &str,
    issued: &netid_core::counter::IssuedRequest,
    now: UnixTime,
    out: Output,
) -> CliResult<VerifiedPresentation> {
    let trust = issuer_cmd::load_trust(trust_path, home)?;
    let status = status_lists(home, trust_path, &trust, now, out)?;
    let mut verifier = Verifier::new(trust, Box::new(FixedClock::new(now)));
    verifier.set_status_lookup(Box::new(status));
    let verified = verifier
        .verify_response_text(answer, issued)
        .map_err(|e| refusal(&e))?;
    let bytes =
        credential::from_qr_text(answer).map_err(|e| refusal(&VerifyError::Malformed(e)))?;
    let until = verified
        .expires()
        .saturating_add(i64::from(DEFAULT_SKEW_SECS));
    if ReplayCache::open(home)?.check_and_record(&bytes, until, now)? == Seen::Again {
        return Err(refusal(&VerifyError::Replayed));
    }
    Ok(verified)
}

/// How long a counter's request stays answerable: the resident reads the consent screen first.
const REQUEST_LIFETIME_SECS: u32 = 120;

/// Verify `text` as the counter of `home` would at `now` for `purpose` (its default audience, no
/// nonce), recording it in the replay cache.
pub fn verify_text(
    home: &Home,
    trust_path: &std::path::Path,
    text: &str,
    purpose: credential::Purpose,
    now: UnixTime,
    out: Output,
) -> CliResult<VerifiedPresentation> {
    let request = VerifyRequest::for_purpose(purpose);
    verify_request(home, trust_path, text, &request, now, out)
}

/// Verify `text` against `request` (purpose, expected audience and nonce) at `now`, recording it
/// in the replay cache.
fn verify_request(
    home: &Home,
    trust_path: &std::path::Path,
    text: &str,
    request: &VerifyRequest,
    now: UnixTime,
    out: Output,
) -> CliResult<VerifiedPresentation> {
    // FORMAT.md §5: only a trailing CR or LF (what scanners add) is dropped; anything else, leading
    // whitespace included, is not a code.
    let text = text.trim_end_matches(['\r', '\n']);
    if !text.starts_with(QR_TEXT_PREFIX) {
        return Err(scan::not_netid());
    }
    let trust = issuer_cmd::load_trust(trust_path, home)?;
    let status = status_lists(home, trust_path, &trust, now, out)?;
    let mut verifier = Verifier::new(trust, Box::new(FixedClock::new(now)));
    verifier.set_status_lookup(Box::new(status));
    let verified = verifier
        .verify_qr_text(text, request)
        .map_err(|e| refusal(&e))?;
    // Only a code that passed every check reaches the cache; its bytes decoded above.
    let bytes = credential::from_qr_text(text).map_err(|e| refusal(&VerifyError::Malformed(e)))?;
    let until = verified
        .expires()
        .saturating_add(i64::from(DEFAULT_SKEW_SECS));
    match ReplayCache::open(home)?.check_and_record(&bytes, until, now)? {
        Seen::First => Ok(verified),
        Seen::Again => Err(refusal(&VerifyError::Replayed)),
    }
}

/// The status lists a counter knows: those it kept from earlier runs in its record
/// (`<home>/counter/status-lists.json`), then the token published beside the trust list (the
/// development issuer writes `status-list.cwt` there), each verified against the trust list's
/// keys. The published file counts as fetched when this counter first imports it, not at every
/// run; an older list than the newest recorded (or a different one with the same `iat`) is
/// refused with a notice and the recorded one stays in use. A missing or unverifiable token leaves
/// its credentials' status unknown, which the verifier refuses.
fn status_lists(
    home: &Home,
    trust_path: &std::path::Path,
    trust: &TrustList,
    now: UnixTime,
    out: Output,
) -> CliResult<StatusListCache> {
    let mut cache = StatusListCache::new(STATUS_TTL_SECS);
    let now = u64::try_from(now.as_secs()).unwrap_or(0);
    let keys = trust.status_issuer_keys();
    let mut record = CounterStatusLists::open(home)?;
    for kept in record.kept_tokens() {
        // A kept list that no longer verifies (expired, or its key left the trust list) answers
        // nothing; its record still guards against rollback.
        let _ = cache.admit(&kept, &keys, ListSource::LocalFile, now, &mut record);
    }
    let dir = trust_path.parent().unwrap_or(std::path::Path::new("."));
    let published = issuer_cmd::status_list_file(dir);
    if let Ok(bytes) = std::fs::read(&published) {
        match cache.admit(&bytes, &keys, ListSource::LocalFile, now, &mut record) {
            Ok(_) => {}
            Err(
                e @ (StatusError::OlderThanCached { .. } | StatusError::ConflictingList { .. }),
            ) => {
                out.notice(&format!(
                    "notice: refused the status list {}: {e}",
                    published.display()
                ));
            }
            Err(e) => out.notice(&format!(
                "notice: the status list {} was not used: {e}",
                published.display()
            )),
        }
    }
    record.save()?;
    Ok(cache)
}

fn too_long(source: &str) -> CliError {
    CliError::usage(
        "input-too-long",
        format!("the text from {source} is longer than any netid code ({MAX_TEXT} bytes at most)"),
        "pass exactly one scanned code (NID1:…)",
    )
}

fn read_stdin() -> CliResult<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_TEXT as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|_| {
            CliError::usage(
                "bad-input",
                "standard input is not text",
                "pipe the scanned text (NID1:…) or pass --text or --image",
            )
        })?;
    if text.trim().is_empty() {
        return Err(CliError::usage(
            "no-input",
            "no code given: standard input was empty",
            "pass --image FILE or --text STRING, or pipe the scanned text into `netid verify`",
        ));
    }
    if text.len() > MAX_TEXT {
        return Err(too_long("standard input"));
    }
    Ok(text)
}

/// The refusal for a core verification error: exit 1, a stable kind and the clerk's next step,
/// both in the clerk's language (the kind is the same in every language).
pub fn refusal(e: &VerifyError) -> CliError {
    let next = match e {
        VerifyError::BadIssuerSignature
        | VerifyError::BadHolderSignature
        | VerifyError::DisclosureMismatch(_)
        | VerifyError::Revoked
        | VerifyError::Suspended => "cli-next-do-not-accept".to_owned(),
        VerifyError::Malformed(_)
        | VerifyError::UnknownIssuer(_)
        | VerifyError::PresentationExpired
        | VerifyError::NotYetValid
        | VerifyError::IssuedInFuture
        | VerifyError::Replayed
        | VerifyError::ReplayCacheFull
        | VerifyError::WrongAudience
        | VerifyError::NonceMismatch
        | VerifyError::PolicyUnmet(_)
        | VerifyError::CredentialExpired
        | VerifyError::StatusUnavailable
        | VerifyError::StatusStale { .. }
        | VerifyError::RequestRequired
        | VerifyError::RequestExpired => format!("cli-next-{}", e.kind()),
    };
    let kind = e.kind();
    let sentence = t(&format!("refusal-{kind}"));
    // Which claim or purpose was missing is what the clerk asks the resident for.
    let message = match e {
        VerifyError::PolicyUnmet(problem) => ta(
            "cli-refusal-detail",
            &[
                ("refusal", sentence.as_str().into()),
                ("detail", policy_detail(problem).as_str().into()),
            ],
        ),
        _ => sentence,
    };
    CliError::refused(kind, message, t(&next))
}

fn policy_detail(problem: &PolicyProblem) -> String {
    match problem {
        PolicyProblem::DocType => t("policy-doc-type"),
        PolicyProblem::AssuranceTooLow => t("policy-assurance-too-low"),
        PolicyProblem::MissingClaim(c) => ta(
            "policy-missing-claim",
            &[("claim", i18n::claim(*c).as_str().into())],
        ),
        PolicyProblem::ConditionFalse(c) => ta(
            "policy-condition-false",
            &[("claim", i18n::claim(*c).as_str().into())],
        ),
        PolicyProblem::OtherPurpose(p) => ta(
            "policy-other-purpose",
            &[("purpose", i18n::purpose(*p).as_str().into())],
        ),
    }
}

/// The verified claims as JSON (for `--json` and the demo).
pub fn verified_json(v: &VerifiedPresentation, purpose: &str) -> serde_json::Value {
    let claims: serde_json::Map<String, serde_json::Value> = v
        .claims()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.display().into()))
        .collect();
    json!({
        "result": "accepted",
        "purpose": purpose,
        "doc_type": v.doc_type().as_str(),
        "assurance_level": v.assurance_level().as_str(),
        "issuer": v.issuer(),
        "issued_at": v.issued_at().as_secs(),
        "expires": v.expires().as_secs(),
        "claims": claims,
    })
}

/// The verified claims for a person at the counter, in the clerk's language (claim values as
/// issued; a yes/no or sex in words).
pub fn verified_text(v: &VerifiedPresentation, purpose: &str) -> String {
    let purpose_name = credential::Purpose::from_name(purpose)
        .map(i18n::purpose)
        .unwrap_or_else(|| purpose.to_owned());
    let mut s = ta(
        "cli-verify-accepted",
        &[
            ("purpose", purpose_name.as_str().into()),
            (
                "doctype",
                t(&format!("doctype-{}", v.doc_type().as_str()))
                    .as_str()
                    .into(),
            ),
            (
                "grade",
                t(&format!("grade-{}", v.assurance_level().as_str()))
                    .as_str()
                    .into(),
            ),
            ("issuer", v.issuer().into()),
        ],
    );
    s.push('\n');
    for (name, value) in v.claims() {
        // Sex and birth date a hotel code does not disclose are read from its ID number.
        let derived = if v.derived_claims().contains(name) {
            format!(" {}", t("cli-verify-derived"))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "  {} {}{derived}\n",
            i18n::pad(&i18n::claim(*name), 18),
            value_text(value)
        ));
    }
    s
}

/// A claim value as a clerk reads it.
pub fn value_text(value: &ClaimValue) -> String {
    match value {
        ClaimValue::Bool(true) => t("cli-verify-yes"),
        ClaimValue::Bool(false) => t("cli-verify-no"),
        ClaimValue::Sex(Sex::Male) => t("cli-sex-male"),
        ClaimValue::Sex(Sex::Female) => t("cli-sex-female"),
        other => other.display(),
    }
}

fn print_verified(v: &VerifiedPresentation, purpose: &str, out: Output) {
    out.result(&verified_json(v, purpose), &verified_text(v, purpose));
}
