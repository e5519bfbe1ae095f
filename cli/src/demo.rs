//! `netid demo`: the whole journey with the real parts, in a fresh temporary home (or `--home`):
//! the development issuer mints a resident ID, the wallet enrols it into the encrypted store,
//! the biometric stand-in confirms, the live QR is drawn in the terminal with a countdown and
//! refreshed before it expires, and the current code is verified as a counter would.
//!
//! This module owns the sequence and the terminal animation only; every step is the same code
//! the `issuer`, `wallet` and `verify` commands run. A temporary home is wiped at the end,
//! including its key-store entries, so the demo leaves nothing behind.

use std::path::PathBuf;
use std::time::Duration;

use netid_core::block_on::block_on;
use netid_core::credential::{AssuranceLevel, Purpose};
use netid_core::issuer::parse_claims_file;
use netid_core::time::{Clock, SystemClock};
use netid_core::wallet::ShownQr;
use serde_json::json;

use crate::args::DemoArgs;
use crate::biometric::{Answer, TerminalVerifier};
use crate::error::{CliError, CliResult};
use crate::home::Home;
use crate::i18n::{t, ta};
use crate::issuer_attestation::IssuerAttestation;
use crate::issuer_cmd;
use crate::key_store::{self, KeyStoreKind, PassphraseSource};
use crate::output::{self, Output};
use crate::terminal_input::{self, Waited};
use crate::verify_cmd;
use crate::wallet_cmd::{self, RenderedQr, Unlocked};

/// The demo resident's claims (a fictitious person).
const DEMO_CLAIMS: &str = include_str!("../assets/demo-resident-id.json");
/// Refresh the code when this many seconds or fewer remain.
const REFRESH_AT_SECS: i64 = 10;
/// How long the refreshed code is shown before the demo moves on to the counter.
const SHOW_REFRESHED_SECS: i64 = 3;

/// Run the demo.
pub fn run(home: Option<PathBuf>, args: DemoArgs, out: Output) -> CliResult<()> {
    let interactive = !args.non_interactive;
    // Decided first, so a demo that cannot ask anyone fails before it creates anything.
    let verifier = if interactive {
        TerminalVerifier::from_env()?
    } else {
        if std::env::var_os(crate::biometric::NETID_AUTH).is_none() {
            out.notice("notice: --non-interactive: the biometric stand-in confirms on its own (set NETID_AUTH=deny or cancel to see a refusal)");
        }
        TerminalVerifier::from_env_or(Some(Answer::Allow))?
    };
    let (temp, home) = match home {
        Some(dir) => (None, Home::at(dir)),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("netid-demo-")
                .tempdir()
                .map_err(|e| {
                    CliError::usage(
                        "no-temp-dir",
                        format!("cannot create a temporary directory: {e}"),
                        "pass --home DIR to run the demo in a directory of your choice",
                    )
                })?;
            let home = Home::at(temp.path().to_owned());
            (Some(temp), home)
        }
    };
    let result = journey(&home, temp.is_some(), &args, verifier, interactive, out);
    // The temporary directory goes when `temp` drops. Entries in the OS key store do not live
    // there, so a throwaway wallet kept by it is wiped first, whatever happened above. (A
    // passphrase wallet keeps nothing outside the directory, and its one-time passphrase is gone:
    // it is not reopened, which could otherwise prompt.)
    if temp.is_some() && key_store::recorded_kind(&home.wallet_dir()) == Some(KeyStoreKind::Os) {
        out.progress("removing the temporary demo wallet's key-store entries");
        let _ = wallet_cmd::wipe(&home, Some(KeyStoreKind::Os), Output::new(true));
    }
    result
}

fn step(out: Output, n: u32, text: &str) {
    if !out.is_json() {
        let step = ta("cli-demo-step", &[("n", n.into()), ("text", text.into())]);
        output::out_line(&format!("\n{step}"));
    }
}

fn journey(
    home: &Home,
    throwaway: bool,
    args: &DemoArgs,
    verifier: TerminalVerifier,
    interactive: bool,
    out: Output,
) -> CliResult<()> {
    if !out.is_json() {
        output::out_line(&format!("netid demo in {}", home.root().display()));
    }

    step(out, 1, &t("cli-demo-step-issuer"));
    let gov = args.purpose.purpose() == Purpose::GovernmentService;
    let issuer = if issuer_cmd::IssuerFiles::new(home).exists() {
        issuer_cmd::load(home)?
    } else {
        let issuer = issuer_cmd::keygen(home, issuer_cmd::DEFAULT_ISSUER_ID, false, out)?;
        if gov {
            // Government counters need the enhanced grade, which the default policy gives only
            // to attested hardware keys; this machine's wallet has software keys. The issuer the
            // demo creates says so explicitly in its policy file (and below); an existing issuer
            // keeps its own policy, and refuses if it is the default.
            IssuerAttestation::development().save(home)?;
        }
        issuer
    };
    let attestation = IssuerAttestation::load(home)?;
    if !out.is_json() {
        output::out_line(&format!(
            "  issuer {} (kid {}); its trust list is in {}",
            issuer.issuer_id(),
            hex::encode(issuer.kid()),
            home.trust_list().display()
        ));
        if gov && attestation.software_keys_accepted_at_enhanced() {
            output::out_line(&format!("  {}", t("cli-attestation-development-policy")));
        }
    }

    step(out, 2, &t("cli-demo-step-wallet"));
    let wallet_dir = home.wallet_dir();
    let passphrase = if throwaway {
        PassphraseSource::EnvOrThrowaway
    } else {
        PassphraseSource::EnvOrPrompt { confirm: true }
    };
    let locked = if wallet_dir.join(netid_core::store::FILE_NAME).exists() {
        wallet_cmd::open(home, args.key_store, Some(verifier), out)?
    } else {
        wallet_cmd::create(home, args.key_store, passphrase, Some(verifier), out)?
    };
    let key_store = key_store::recorded_kind(&wallet_dir)
        .map(|k| k.describe())
        .unwrap_or("the key store");
    if !out.is_json() {
        output::out_line(&format!(
            "  {} — data key kept by {key_store}",
            wallet_dir.display()
        ));
    }
    let mut wallet = locked.unlock(None).map_err(wallet_cmd::wallet_error)?;

    step(out, 3, &t("cli-demo-step-enrol"));
    let mut document = parse_claims_file(DEMO_CLAIMS)
        .map_err(|e| CliError::usage("bad-claims", e.to_string(), "report this problem"))?;
    if gov {
        // Government counters demand the enhanced ("colour") grade; the demo issues that grade
        // for them, as a real upgrade at a terminal would.
        document.assurance_level = AssuranceLevel::Enhanced;
    }
    let (summary, checked) =
        wallet_cmd::enrol(home, &mut wallet, &document, Some("demo".into()), out)?;
    if !out.is_json() {
        output::out_line(&format!(
            "  enrolled {} ({} grade) as document {}",
            summary.doc_type.as_str(),
            summary.assurance_level.as_str(),
            summary.id.to_hex()
        ));
        output::out_line(&format!("  {}", wallet_cmd::checked_text(&checked)));
    }
    let levels = wallet_cmd::refill(home, &mut wallet, summary.id, out)?;
    if !out.is_json() {
        let parts: Vec<String> = levels
            .iter()
            .map(|l| format!("{} {}", l.purpose.as_str(), l.remaining))
            .collect();
        let line = ta(
            "cli-demo-one-time-codes",
            &[("levels", parts.join(", ").as_str().into())],
        );
        output::out_line(&format!("  {line}"));
    }

    let purpose = args.purpose.purpose();
    let prompts = std::env::var_os(crate::biometric::NETID_AUTH).is_none();
    step(
        out,
        4,
        &ta(
            "cli-demo-step-qr",
            &[("purpose", crate::i18n::purpose(purpose).as_str().into())],
        ),
    );
    // `gov` shows the whole card, which goes only to a registered counter: the demo registers
    // one, and the wallet answers its signed request (docs/FORMAT.md §13).
    let (mut shown, issued) = if purpose == Purpose::GovernmentService {
        let (shown, issued) = registered_counter_answer(home, &mut wallet, summary.id, out)?;
        (shown, Some(issued))
    } else {
        let shown = wallet_cmd::show_qr(&mut wallet, summary.id, purpose, args.qr_lifetime)?;
        (shown, None)
    };
    let mut refreshes = 0u32;
    // A request is answered once, so only a one-shot code is kept fresh by refreshing.
    if interactive && !out.is_json() && issued.is_none() {
        shown = countdown(&mut wallet, shown, &mut refreshes, prompts)?;
    } else if !out.is_json() {
        let rendered = RenderedQr::new(&shown)?;
        output::out_line(&rendered.terminal());
        output::out_line(&format!("  {}", qr_facts(&shown, &rendered)));
    }

    step(out, 5, &t("cli-demo-step-verify"));
    let text = shown.qr_text();
    let verified = match &issued {
        Some(issued) => verify_cmd::verify_answer(
            home,
            &home.trust_list(),
            &text,
            issued,
            SystemClock.now(),
            out,
        )?,
        None => verify_cmd::verify_text(
            home,
            &home.trust_list(),
            &text,
            purpose,
            SystemClock.now(),
            out,
        )?,
    };
    let rendered = RenderedQr::new(&shown)?;
    let mut result = json!({
        "home": home.root(),
        "temporary_home": throwaway,
        "key_store": key_store::recorded_kind(&wallet_dir).map(|k| format!("{k:?}").to_lowercase()),
        "document": summary.id.to_hex(),
        "assurance_level": summary.assurance_level.as_str(),
        "holder_key": wallet_cmd::checked_json(&checked),
        "software_keys_accepted_at_enhanced": attestation.software_keys_accepted_at_enhanced(),
        "qr": {
            "text": text.as_str(),
            "qr_version": rendered.matrix.version(),
            "byte_length": shown.presentation.as_bytes().len(),
            "expires": shown.expires().as_secs(),
            "refreshes": refreshes,
            "one_time": !shown.linkable,
        },
        "one_time_codes_left": wallet.pool_levels(summary.id).map_err(wallet_cmd::wallet_error)?
            .iter()
            .map(|l| json!({"purpose": l.purpose.as_str(), "remaining": l.remaining}))
            .collect::<Vec<_>>(),
        "verification": verify_cmd::verified_json(&verified, purpose.as_str()),
    });
    if out.is_json() {
        result["ok"] = true.into();
    }
    out.result(
        &result,
        &format!(
            "{}\n{}",
            verify_cmd::verified_text(&verified, purpose.as_str()),
            if throwaway {
                t("cli-demo-removed")
            } else {
                t("cli-demo-kept")
            }
        ),
    );
    drop(wallet.lock());
    Ok(())
}

/// The demo's government counter: registered by the home's development registrar, it signs a
/// request; the wallet checks it, the consent is printed, and the wallet answers it.
fn registered_counter_answer(
    home: &Home,
    wallet: &mut Unlocked,
    document: netid_core::store::DocumentId,
    out: Output,
) -> CliResult<(ShownQr, netid_core::counter::IssuedRequest)> {
    let registration = crate::counter_cmd::Registration {
        id: "gov-demo-01".into(),
        name_zh: "政务服务中心".into(),
        name_en: "Service Hall".into(),
        purposes: vec![Purpose::GovernmentService],
        claims: Vec::new(),
        keeps_days: 0,
        valid_from: None,
        valid_until: None,
        out: None,
    };
    let (_, certificate, key) = crate::counter_cmd::certify(home, &registration, out)?;
    let signer = netid_core::counter::CounterSigner::with_key(&certificate, key)
        .map_err(|e| crate::counter_cmd::request_error(&e))?;
    let (request_text, issued) = signer
        .request(Purpose::GovernmentService, None, 120, SystemClock.now())
        .map_err(|e| crate::counter_cmd::request_error(&e))?;
    let trust = issuer_cmd::load_trust(&home.trust_list(), home)?;
    let request = wallet
        .parse_request(&request_text, &trust)
        .map_err(wallet_cmd::wallet_error)?;
    if !out.is_json() {
        output::out_line(&format!(
            "  the counter shows a signed request; the wallet checked it and asks you:\n  {} / {} ({}), registered by {}, asks for your whole card for {}; keeps it {} days.",
            request.name_zh(),
            request.name_en(),
            request.counter_id(),
            request.registrar(),
            request.purpose().as_str(),
            request.keeps_days(),
        ));
    }
    let shown = block_on(wallet.show_qr_for_request(document, &request))
        .map_err(wallet_cmd::wallet_error)?;
    Ok((shown, issued))
}

fn qr_facts(shown: &ShownQr, rendered: &RenderedQr) -> String {
    format!(
        "QR version {}, {} bytes signed by {}, valid until {}",
        rendered.matrix.version(),
        shown.presentation.as_bytes().len(),
        if shown.linkable {
            "the document's holder key (full credential: linkable)"
        } else {
            "a one-time key"
        },
        wallet_cmd::date_time(shown.expires().as_secs())
    )
}

/// Draw the code with a countdown updated in place; refresh (through the show-QR gate) and redraw
/// when `REFRESH_AT_SECS` or fewer remain; stop after one refresh, or when the person presses
/// Enter or q. Returns the code on screen at the end.
fn countdown(
    wallet: &mut Unlocked,
    mut shown: ShownQr,
    refreshes: &mut u32,
    prompts: bool,
) -> CliResult<ShownQr> {
    let drawn_lines = draw(&shown, None)?;
    let mut input_open = true;
    // After the one refresh, the new code stays on screen this long before the counter scans it.
    let mut stop_at: Option<i64> = None;
    loop {
        let now = SystemClock.now().as_secs();
        // Nobody is reading the picture any more (the reader of a pipe went away): stop drawing
        // and go on to the verification step.
        if stop_at.is_some_and(|t| now >= t) || output::stdout_closed() {
            break;
        }
        let remaining = shown.expires().as_secs() - now;
        // Padded here: the countdown overwrites itself in place and must keep its width.
        let line = ta(
            "cli-demo-countdown",
            &[
                ("remaining", format!("{remaining:>3}").as_str().into()),
                ("refresh", REFRESH_AT_SECS.into()),
            ],
        );
        output::out(&format!("\r\x1b[K  {line}"));
        if remaining <= REFRESH_AT_SECS && stop_at.is_none() {
            output::out("\n");
            let next = block_on(wallet.refresh_qr(shown.clone(), REFRESH_AT_SECS as u32))
                .map_err(wallet_cmd::wallet_error)?;
            shown = next;
            *refreshes += 1;
            // Up over the old picture (and the prompt lines), clear, redraw.
            // The block, the countdown line, and the prompt line if the stand-in asked.
            draw(&shown, Some(drawn_lines + 1 + usize::from(prompts)))?;
            output::out_line(&format!("  {}", t("cli-demo-refreshed")));
            stop_at = Some(SystemClock.now().as_secs() + SHOW_REFRESHED_SECS);
            continue;
        }
        if input_open {
            match terminal_input::read_line_within(Duration::from_secs(1)) {
                Waited::Line(line) if matches!(line.trim(), "" | "q" | "Q") => break,
                Waited::Line(_) | Waited::Nothing => {}
                Waited::Closed => input_open = false,
            }
        } else {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    output::out("\n");
    Ok(shown)
}

/// Print the QR block; with `erase`, first move up that many lines and clear below. Returns the
/// number of lines printed.
fn draw(shown: &ShownQr, erase: Option<usize>) -> CliResult<usize> {
    let rendered = RenderedQr::new(shown)?;
    let picture = rendered.terminal();
    if let Some(n) = erase {
        output::out(&format!("\r\x1b[{n}F\x1b[J"));
    }
    output::out_line(picture.trim_end_matches('\n'));
    output::out_line(&format!("  {}", qr_facts(shown, &rendered)));
    Ok(picture.trim_end_matches('\n').lines().count() + 1)
}
