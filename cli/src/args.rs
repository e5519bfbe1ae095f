//! The command line: every command, flag and environment variable of `netid`, as clap derive
//! types. docs/cli.md is the prose version of this file.
//!
//! This module owns parsing only; it never touches files or keys. Values that need checking
//! beyond their shape (times, purposes) are parsed into typed values here so commands never see
//! raw strings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use netid_core::credential::{ClaimName, DocType, Purpose};

use crate::key_store::KeyStoreKind;
use netid_core::time::{CivilDate, UnixTime};

/// netid: the network ID wallet, counter verifier and development issuer.
#[derive(Debug, Parser)]
#[command(name = "netid", version, about, long_about = None)]
pub struct Cli {
    /// The netid home directory (wallet, issuer, counter); default ~/.netid.
    #[arg(long, global = true, env = "NETID_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Print results (and errors) as JSON on standard output.
    #[arg(long, global = true)]
    pub json: bool,

    /// Language of what clerks and residents read: en or zh-CN (also zh, zh_CN, en-US, …);
    /// default from LC_ALL, LC_MESSAGES, then LANG, else English. JSON kinds and field names are
    /// the same in every language.
    #[arg(long, global = true, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<crate::i18n::Lang>,

    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole journey in a fresh temporary home: issue, enrol, confirm, live QR, verify.
    Demo(DemoArgs),
    /// The resident's wallet: enrol documents, show them, show QR codes.
    Wallet(WalletArgs),
    /// Counter: verify a scanned code (from --image, --text or standard input).
    Verify(VerifyArgs),
    /// The development issuer: keys, credentials, revocation, status lists.
    #[command(subcommand)]
    Issuer(IssuerCommand),
}

/// A counter purpose, which selects what a code must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PurposeArg {
    /// Hotel check-in: name, ID number, sex, birth date.
    Hotel,
    /// Internet café: name and over 18.
    Cafe,
    /// Train ticket: name and ID number.
    Ticket,
    /// Government service: every claim, enhanced grade.
    Gov,
}

impl PurposeArg {
    /// The core's purpose.
    pub fn purpose(self) -> Purpose {
        match self {
            Self::Hotel => Purpose::HotelCheckIn,
            Self::Cafe => Purpose::InternetCafe,
            Self::Ticket => Purpose::TrainTicket,
            Self::Gov => Purpose::GovernmentService,
        }
    }
}

/// `netid verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A PNG or JPEG photo or screenshot of the code.
    #[arg(long, value_name = "FILE", conflicts_with = "text")]
    pub image: Option<PathBuf>,
    /// The scanned text (NID1:…); without --image or --text it is read from standard input.
    #[arg(long, value_name = "STRING")]
    pub text: Option<String>,
    /// The counter's purpose.
    #[arg(long, value_enum, default_value = "hotel")]
    pub purpose: PurposeArg,
    /// Trust list JSON; default <home>/issuer/trust.json.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Check as of this moment: Unix seconds or YYYY-MM-DDTHH:MM:SSZ (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<UnixTime>,
    /// Registered-counter mode (docs/FORMAT.md §13): sign a request as this home's registered
    /// counter (<home>/counter/registered, or --counter DIR), show it as a QR code (its text on
    /// standard output), then read the resident's answer from standard input and accept only an
    /// answer to that request.
    #[arg(long, conflicts_with_all = ["text", "image", "audience", "nonce"])]
    pub interactive: bool,
    /// With --interactive: the registered counter's directory (from `netid issuer
    /// register-counter --out DIR`); implies --interactive.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["text", "image", "audience", "nonce"])]
    pub counter: Option<PathBuf>,
    /// With --interactive: a claim to ask for by name (repeat); without any, the purpose's set.
    #[arg(long, value_parser = parse_claim)]
    pub claim: Vec<ClaimName>,
    /// With --interactive: also write the request's text to FILE.
    #[arg(long, value_name = "FILE")]
    pub request_out: Option<PathBuf>,
    /// Interactive mode: the audience this counter expects (`aud`), instead of the purpose's
    /// name; a code made for another counter is refused (wrong-audience).
    #[arg(long, value_name = "A", value_parser = parse_audience)]
    pub audience: Option<String>,
    /// Interactive mode: the challenge this counter showed the wallet, hex; a code carrying
    /// another nonce, or none, is refused (nonce-mismatch).
    #[arg(long, value_name = "HEX", value_parser = parse_nonce)]
    pub nonce: Option<Nonce>,
}

/// A counter's challenge, as bytes (a newtype so clap does not read `Vec<u8>` as many values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce(pub Vec<u8>);

/// Longest `--audience`, in bytes: an audience is a short identifier carried in every code.
pub const MAX_AUDIENCE: usize = 256;
/// Nonce lengths accepted by `--nonce`, in bytes: at least 8 (a guessable challenge protects
/// nothing), at most 64 (it travels in the QR code).
pub const NONCE_BYTES: std::ops::RangeInclusive<usize> = 8..=64;

fn parse_audience(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > MAX_AUDIENCE {
        return Err(format!(
            "an audience is 1 to {MAX_AUDIENCE} bytes of text, as the wallet was asked to use"
        ));
    }
    Ok(text.to_owned())
}

fn parse_nonce(text: &str) -> Result<Nonce, String> {
    let bytes = hex::decode(text)
        .map_err(|_| "the nonce must be hexadecimal (two digits per byte)".to_owned())?;
    if !NONCE_BYTES.contains(&bytes.len()) {
        return Err(format!(
            "the nonce must be {} to {} bytes ({} to {} hex digits)",
            NONCE_BYTES.start(),
            NONCE_BYTES.end(),
            NONCE_BYTES.start() * 2,
            NONCE_BYTES.end() * 2
        ));
    }
    Ok(Nonce(bytes))
}

/// `netid demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run without prompts or waiting: confirm automatically, print the QR once, verify, exit.
    #[arg(long)]
    pub non_interactive: bool,
    /// The counter the code is shown to.
    #[arg(long, value_enum, default_value = "hotel")]
    pub purpose: PurposeArg,
    /// Force a key store for the demo wallet (default: the OS key store if reachable).
    #[arg(long, value_enum)]
    pub key_store: Option<KeyStoreKind>,
    /// Seconds each QR code stays valid (tests use a short one to see the refresh).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(12..=600), hide = true)]
    pub qr_lifetime: u32,
}

/// `netid wallet …`.
#[derive(Debug, Args)]
pub struct WalletArgs {
    /// Which key store keeps (or must keep) the wallet's data key.
    #[arg(long, value_enum, global = true)]
    pub key_store: Option<KeyStoreKind>,
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// The wallet subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create an empty encrypted wallet in <home>/wallet.
    Init,
    /// Enrol a document through the development issuer (proof of possession, then store).
    Enrol {
        /// The document type.
        #[arg(long, value_parser = parse_doc_type)]
        doctype: DocType,
        /// Claims JSON for the development issuer (docs/FORMAT.md, "Claims file").
        #[arg(long, value_name = "FILE")]
        claims: PathBuf,
        /// A name for the document in this wallet.
        #[arg(long)]
        label: Option<String>,
    },
    /// Top up a document's one-time codes from the development issuer (one confirmation): each
    /// purpose the document serves gets up to 10 single-use purpose credentials, so codes shown
    /// at different counters cannot be linked. `wallet enrol` does this once by itself.
    Refill {
        /// Document id (or a unique prefix of it).
        id: String,
    },
    /// List the documents (no personal data, no prompt).
    List,
    /// Show a document's details (asks for the biometric confirmation).
    Show {
        /// Document id (or a unique prefix of it) from `netid wallet list`.
        id: String,
    },
    /// Show a QR code for a counter (asks for the biometric confirmation).
    Qr {
        /// Document id (or a unique prefix of it).
        id: String,
        /// The counter the code is for.
        #[arg(long, value_enum, default_value = "hotel")]
        purpose: PurposeArg,
        /// Answer a registered counter's request (its NRQ1:… text): the counter is checked, what
        /// it asks is shown, and the code is bound to it. --purpose is then the request's.
        #[arg(long, value_name = "TEXT")]
        request: Option<String>,
        /// Trust list JSON for checking the counter's registrar; default <home>/issuer/trust.json.
        #[arg(long, value_name = "FILE", requires = "request")]
        trust: Option<PathBuf>,
        /// Also write the code as a PNG image.
        #[arg(long, value_name = "FILE")]
        png: Option<PathBuf>,
        /// Also write the code as an SVG image.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// Delete a document and its holder key (asks for the biometric confirmation).
    Delete {
        /// Document id (or a unique prefix of it).
        id: String,
    },
    /// The activity log, newest first (asks for the biometric confirmation).
    Log {
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Set, change or remove the wallet PIN (a factor of the wallet's key: a forgotten PIN means
    /// wiping the wallet and enrolling again). PINs come from NETID_PIN / NETID_NEW_PIN or a
    /// prompt with echo off.
    Pin {
        #[command(subcommand)]
        action: PinAction,
    },
    /// Lock the wallet: end the session and wipe its keys from memory.
    Lock,
    /// Delete the wallet, its holder keys and its key-store entries for good.
    Wipe {
        /// Confirm without being asked.
        #[arg(long)]
        yes: bool,
    },
}

/// What to do with the wallet PIN.
#[derive(Debug, Subcommand)]
pub enum PinAction {
    /// Set the first PIN (NETID_NEW_PIN, else asked twice); from then on every command needs it.
    Set,
    /// Change the PIN (NETID_PIN is the current one, NETID_NEW_PIN the new one).
    Change,
    /// Remove the PIN (NETID_PIN is the current one).
    Remove,
}

fn parse_claim(text: &str) -> Result<ClaimName, String> {
    ClaimName::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = ClaimName::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown claim; use one of {}", names.join(", "))
    })
}

fn parse_date(text: &str) -> Result<CivilDate, String> {
    CivilDate::parse(text).map_err(|_| "write a date as YYYY-MM-DD".to_owned())
}

fn parse_doc_type(text: &str) -> Result<DocType, String> {
    DocType::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = DocType::ALL.iter().map(|d| d.as_str()).collect();
        format!("unknown document type; use one of {}", names.join(", "))
    })
}

/// `netid issuer …`.
#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Create the development issuer key, its trust list and an empty status list.
    Keygen {
        /// The issuer id written into credentials (`iss`).
        #[arg(long, default_value = crate::issuer_cmd::DEFAULT_ISSUER_ID)]
        issuer_id: String,
        /// Replace an existing development issuer (credentials it issued stop verifying).
        #[arg(long)]
        force: bool,
    },
    /// Issue a credential from a claims file to a holder public key.
    Issue {
        /// Claims JSON (docs/FORMAT.md, "Claims file").
        #[arg(long, value_name = "FILE")]
        claims: PathBuf,
        /// The holder's P-256 public key, SPKI PEM.
        #[arg(long, value_name = "FILE")]
        holder_key: PathBuf,
        /// Where to write the credential (CBOR).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Revoke a resident by the status-list index of any of their credentials: every index of
    /// their group (full credential and purpose credentials), then publish the new status list.
    Revoke {
        /// An index printed at issue (see `netid issuer status-list`).
        #[arg(long)]
        index: u64,
    },
    /// Re-sign and publish the status list (refreshing its expiry), and list its residents.
    StatusList,
    /// Certify a counter (development registrar): writes its certificate and private key into
    /// --out and adds the registrar to the trust list, so wallets trusting it can check the
    /// counter's signed requests (docs/FORMAT.md §13).
    RegisterCounter {
        /// The counter's id (1–32 of a–z 0–9 - . _): the audience its answers are bound to.
        #[arg(long)]
        id: String,
        /// Its display name in Chinese (zh-CN).
        #[arg(long, value_name = "NAME")]
        name_zh: String,
        /// Its display name in English.
        #[arg(long, value_name = "NAME")]
        name_en: String,
        /// A purpose it may ask for (repeat for several).
        #[arg(long, value_enum, required = true)]
        purpose: Vec<PurposeArg>,
        /// A claim it may ask for (repeat); without any, its purposes' claims.
        #[arg(long, value_parser = parse_claim)]
        claim: Vec<ClaimName>,
        /// How long it may keep what it receives, in days.
        #[arg(long, default_value_t = 0)]
        keeps_days: u16,
        /// First valid day (UTC), YYYY-MM-DD; default today.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        valid_from: Option<CivilDate>,
        /// First day it is no longer valid (UTC), YYYY-MM-DD; default a year after --valid-from.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        valid_until: Option<CivilDate>,
        /// The counter's directory (certificate.cbor and counter-key.pem are written there);
        /// default <home>/counter/registered, where `netid verify --interactive` looks.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Show or set the key-attestation policy enrolments must meet: the Android attestation
    /// roots trusted, the iOS App Attest roots and app ids accepted, and what each grade requires
    /// of the holder key. Without flags it shows the policy. A new issuer trusts no root,
    /// configures no App Attest and needs hardware + user authentication for the enhanced grade,
    /// so the CLI wallet's software keys enrol at the basic grade only (development: --enhanced
    /// any-key).
    Attestation {
        /// Trust the Android attestation root certificate(s) in FILE, PEM or DER (repeat for
        /// several).
        #[arg(long, value_name = "FILE")]
        trust_root: Vec<PathBuf>,
        /// Remove every trusted Android root first.
        #[arg(long)]
        clear_roots: bool,
        /// Trust the iOS App Attest root certificate(s) in FILE, PEM or DER, e.g. Apple's App
        /// Attestation root (repeat for several).
        #[arg(long, value_name = "FILE")]
        app_attest_root: Vec<PathBuf>,
        /// Accept iOS App Attest keys of this app: TEAMID.bundle.id, e.g.
        /// ABCDE12345.io.example.wallet (repeat for several).
        #[arg(long, value_name = "APP_ID")]
        app_id: Vec<String>,
        /// Remove every App Attest root and app id first (and refuse development builds again).
        #[arg(long)]
        clear_app_attest: bool,
        /// Accept App Attest keys of development-signed builds too (development only).
        #[arg(long, conflicts_with = "no_app_attest_development")]
        allow_app_attest_development: bool,
        /// Accept App Attest keys of production-signed builds only (the default).
        #[arg(long)]
        no_app_attest_development: bool,
        /// Start from the default policy (no roots, no App Attest, basic any-key, enhanced
        /// hardware-with-user-auth).
        #[arg(long)]
        reset: bool,
        /// What a basic-grade enrolment requires of the holder key.
        #[arg(long, value_enum)]
        basic: Option<RequirementArg>,
        /// What an enhanced-grade enrolment requires of the holder key.
        #[arg(long, value_enum)]
        enhanced: Option<RequirementArg>,
    },
    /// Publish the trust list and the status list over HTTP (development only): GET
    /// /trust-list.json and the status list at its URI's path, with ETag and Cache-Control.
    Serve {
        /// Address to listen on; port 0 picks a free port (the first line printed names it).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
}

/// What a credential grade requires of the enrolling holder key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RequirementArg {
    /// Any key, software included (evidence that is sent is still checked in full).
    AnyKey,
    /// A TEE or StrongBox key whose attestation chains to a trusted root, generated there and
    /// usable only after user authentication.
    HardwareWithUserAuth,
}

/// Parse `--at`: Unix seconds, or a UTC time `YYYY-MM-DDTHH:MM:SSZ` (or just a date).
pub fn parse_time(text: &str) -> Result<UnixTime, String> {
    const HINT: &str = "write Unix seconds (1767225600) or a UTC time (2026-01-01T00:00:00Z)";
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(UnixTime::from_secs(secs));
    }
    let (date, clock) = match text.split_once('T') {
        Some((d, rest)) => (d, Some(rest)),
        None => (text, None),
    };
    let date = CivilDate::parse(date).map_err(|_| format!("not a date: {HINT}"))?;
    let mut secs = date.start_utc().as_secs();
    if let Some(clock) = clock {
        let clock = clock
            .strip_suffix('Z')
            .ok_or_else(|| format!("the time must end in Z (UTC): {HINT}"))?;
        let parts: Vec<&str> = clock.split(':').collect();
        let [h, m, s] = parts.as_slice() else {
            return Err(format!("the time must be HH:MM:SS: {HINT}"));
        };
        let field = |v: &str, max: i64| -> Result<i64, String> {
            v.parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n) && v.len() == 2)
                .ok_or_else(|| format!("the time must be HH:MM:SS: {HINT}"))
        };
        secs += field(h, 23)? * 3600 + field(m, 59)? * 60 + field(s, 60)?;
    }
    Ok(UnixTime::from_secs(secs))
}

fn parse_lang(s: &str) -> Result<crate::i18n::Lang, String> {
    crate::i18n::Lang::parse(s)
        .ok_or_else(|| format!("`{s}` is not a language netid speaks: use en or zh-CN"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_unix_seconds_or_utc() {
        assert_eq!(
            parse_time("1767225600"),
            Ok(UnixTime::from_secs(1_767_225_600))
        );
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z"),
            Ok(UnixTime::from_secs(1_767_225_600))
        );
        assert_eq!(
            parse_time("2026-01-01T01:02:03Z"),
            Ok(UnixTime::from_secs(1_767_225_600 + 3723))
        );
        assert_eq!(
            parse_time("2026-01-01"),
            Ok(UnixTime::from_secs(1_767_225_600))
        );
        assert!(parse_time("2026-01-01T01:02:03").is_err());
        assert!(parse_time("2026-13-01").is_err());
        assert!(parse_time("2026-01-01T24:00:00Z").is_err());
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
