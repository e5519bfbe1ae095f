//! Registered counters on the command line (docs/FORMAT.md §13): `netid issuer register-counter`
//! (the development registrar certifies a counter), the counter's directory (certificate and
//! key), and the mapping of the core's request refusals to the command's error kinds.
//!
//! This module owns the registrar's files in the issuer home and the counter directory's layout.
//! It must never print or log a private key, and writes every key with mode 0600.

use std::path::{Path, PathBuf};

use netid_core::counter::{
    CounterRegistration, CounterSigner, Registrar, RegistrationError, RequestError,
};
use netid_core::credential::{ClaimName, Purpose};
use netid_core::time::{CivilDate, Clock, SystemClock};
use p256::pkcs8::EncodePrivateKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::issuer_cmd;
use crate::output::Output;

/// The development registrar's name, shown to residents beside the counter's.
pub const DEV_REGISTRAR: &str = "netid-dev-registrar";
const CERTIFICATE_FILE: &str = "certificate.cbor";
const KEY_FILE: &str = "counter-key.pem";
/// How long the registrar key is trusted, from its creation.
const REGISTRAR_YEARS: i64 = 10;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrarIdentity {
    registrar: String,
    kid_hex: String,
}

/// What `register-counter` was asked to certify.
pub struct Registration {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub purposes: Vec<Purpose>,
    pub claims: Vec<ClaimName>,
    pub keeps_days: u16,
    pub valid_from: Option<CivilDate>,
    pub valid_until: Option<CivilDate>,
    pub out: Option<PathBuf>,
}

/// Where a home's registered counter lives unless told otherwise.
pub fn default_dir(home: &Home) -> PathBuf {
    home.counter_dir().join("registered")
}

fn registrar_key_path(home: &Home) -> PathBuf {
    home.issuer_dir().join("registrar-key.pem")
}

fn registrar_identity_path(home: &Home) -> PathBuf {
    home.issuer_dir().join("registrar.json")
}

/// The development registrar of `home`, created (and added to its trust list) on first use.
fn registrar(home: &Home, out: Output) -> CliResult<Registrar> {
    let damaged = || {
        CliError::usage(
            "registrar-damaged",
            "the development registrar's files are damaged",
            format!(
                "delete {} and {} and register the counters again",
                registrar_key_path(home).display(),
                registrar_identity_path(home).display()
            ),
        )
    };
    let trust_path = home.trust_list();
    let mut trust = issuer_cmd::load_trust(&trust_path, home)?;
    let registrar = if registrar_key_path(home).is_file() {
        let identity: RegistrarIdentity = serde_json::from_str(&home::read_text(
            "registrar identity",
            &registrar_identity_path(home),
        )?)
        .map_err(|_| damaged())?;
        let kid = hex::decode(&identity.kid_hex).map_err(|_| damaged())?;
        let pem =
            zeroize::Zeroizing::new(home::read_text("registrar key", &registrar_key_path(home))?);
        Registrar::from_pkcs8_pem(&pem, &identity.registrar, &kid).map_err(|_| damaged())?
    } else {
        out.progress("creating the development registrar key");
        let mut kid = [0u8; 1];
        OsRng.fill_bytes(&mut kid);
        let registrar = Registrar::generate(DEV_REGISTRAR, &kid);
        let pem = registrar.to_pkcs8_pem().map_err(|_| damaged())?;
        home::write_private(&registrar_key_path(home), pem.as_bytes())?;
        let identity = RegistrarIdentity {
            registrar: DEV_REGISTRAR.to_owned(),
            kid_hex: hex::encode(kid),
        };
        home::write_private(
            &registrar_identity_path(home),
            serde_json::to_string_pretty(&identity)
                .unwrap_or_default()
                .as_bytes(),
        )?;
        registrar
    };
    let entry = {
        let now = SystemClock.now();
        registrar.trust_entry(
            now.saturating_add(-300),
            now.saturating_add(REGISTRAR_YEARS * 366 * 86_400),
        )
    };
    if !trust
        .registrars()
        .iter()
        .any(|r| r.kid == entry.kid && r.key == entry.key)
    {
        trust.add_registrar(entry).map_err(|e| {
            CliError::usage(
                "trust-list",
                format!("the registrar could not be added to the trust list: {e}"),
                "remove the other registrar with the same kid from the trust list, or recreate the issuer",
            )
        })?;
        home::write_private(&trust_path, trust.to_json().as_bytes())?;
    }
    Ok(registrar)
}

/// Certifies a counter with the development registrar of `home` (adding the registrar to its
/// trust list on first use): the registration, its certificate and the counter's new key.
pub fn certify(
    home: &Home,
    r: &Registration,
    out: Output,
) -> CliResult<(CounterRegistration, Vec<u8>, p256::ecdsa::SigningKey)> {
    let registrar = registrar(home, out)?;
    let today = SystemClock.now().date();
    let valid_from = r.valid_from.unwrap_or(today);
    let valid_until = match r.valid_until {
        Some(day) => day,
        None => CivilDate::from_days_since_epoch_checked(valid_from.days_since_epoch() + 365)
            .unwrap_or(valid_from),
    };
    let key = p256::ecdsa::SigningKey::random(&mut OsRng);
    let registration = CounterRegistration {
        id: r.id.clone(),
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        purposes: r.purposes.clone(),
        claims: (!r.claims.is_empty()).then(|| r.claims.clone()),
        keeps_days: r.keeps_days,
        valid_from,
        valid_until,
        key: p256::PublicKey::from(key.verifying_key()),
    };
    let certificate = registrar
        .register(&registration)
        .map_err(|e| registration_error(&e))?;
    Ok((registration, certificate, key))
}

/// `netid issuer register-counter`.
pub fn register(home: &Home, r: Registration, out: Output) -> CliResult<()> {
    let (registration, certificate, key) = certify(home, &r, out)?;
    let dir = r.out.clone().unwrap_or_else(|| default_dir(home));
    let pem = key.to_pkcs8_pem(Default::default()).map_err(|_| {
        CliError::usage(
            "counter-key",
            "the counter key could not be encoded",
            "run the command again",
        )
    })?;
    home.ensure_dir(&dir)?;
    home::write_private(&dir.join(KEY_FILE), pem.as_bytes())?;
    home::write_private(&dir.join(CERTIFICATE_FILE), &certificate)?;
    let purposes: Vec<&str> = registration.purposes.iter().map(|p| p.as_str()).collect();
    out.result(
        &json!({
            "counter_id": registration.id,
            "name_zh": registration.name_zh,
            "name_en": registration.name_en,
            "purposes": purposes,
            "claims": registration.claims.as_ref().map(|c| c.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
            "keeps_days": registration.keeps_days,
            "valid_from": registration.valid_from.to_string(),
            "valid_until": registration.valid_until.to_string(),
            "registrar": DEV_REGISTRAR,
            "certificate": dir.join(CERTIFICATE_FILE),
            "key_file": dir.join(KEY_FILE),
            "certificate_bytes": certificate.len(),
            "trust_list": home.trust_list(),
            "development_only": true,
        }),
        &format!(
            "Registered counter {} ({} / {}) for {} until {} by the development registrar.\n  certificate: {} ({} bytes)\n  key:         {} (mode 0600)\n  trust list:  {} (now lists the registrar)",
            registration.id,
            registration.name_zh,
            registration.name_en,
            purposes.join(", "),
            registration.valid_until,
            dir.join(CERTIFICATE_FILE).display(),
            certificate.len(),
            dir.join(KEY_FILE).display(),
            home.trust_list().display(),
        ),
    );
    Ok(())
}

/// The counter in `dir` (from `register-counter`), ready to sign requests.
pub fn load_signer(dir: &Path) -> CliResult<CounterSigner> {
    let certificate = home::read("counter certificate", &dir.join(CERTIFICATE_FILE))?;
    let pem = zeroize::Zeroizing::new(home::read_text("counter key", &dir.join(KEY_FILE))?);
    CounterSigner::new(&certificate, &pem).map_err(|e| {
        CliError::usage(
            "bad-counter",
            format!("{}: {e}", dir.display()),
            "register the counter again with `netid issuer register-counter --out DIR`",
        )
    })
}

fn registration_error(e: &RegistrationError) -> CliError {
    let (kind, next) = match e {
        RegistrationError::TooLarge { .. } => (
            "registration-too-large",
            "use a shorter --id, --name-zh or --name-en",
        ),
        RegistrationError::Invalid { .. } => (
            "bad-registration",
            "fix the named field (docs/FORMAT.md §13.1) and run the command again",
        ),
        RegistrationError::Key(_) => (
            "registrar-damaged",
            "delete the registrar files in the issuer home and register again",
        ),
    };
    CliError::usage(kind, e.to_string(), next)
}

/// The refusal for a counter request the wallet would not answer (exit 1; nothing was shown).
pub fn request_error(e: &RequestError) -> CliError {
    let (refusal, next) = match e {
        RequestError::Malformed(_) => ("malformed", "cli-next-scan-request-again"),
        RequestError::RequestExpired => ("expired", "cli-next-new-request"),
        RequestError::Replayed => ("replayed", "cli-next-new-request"),
        RequestError::UnknownRegistrar => ("unknown-registrar", "cli-next-do-not-show"),
        RequestError::BadCertificateSignature => {
            ("bad-certificate-signature", "cli-next-do-not-show")
        }
        RequestError::BadRequestSignature => ("bad-request-signature", "cli-next-do-not-show"),
        RequestError::PurposeNotCertified(_) => ("purpose-not-certified", "cli-next-do-not-show"),
        RequestError::ClaimNotCertified(_) => ("claim-not-certified", "cli-next-do-not-show"),
        RequestError::CertificateNotValid => ("certificate-not-valid", "cli-next-check-clock"),
    };
    // The resident reads the sentence of the app library's RequestRefusal; the kind stays the
    // core's (`request-expired`, …) for scripts.
    CliError::refused(
        e.kind(),
        crate::i18n::t(&format!("request-refusal-{refusal}")),
        crate::i18n::t(next),
    )
}
