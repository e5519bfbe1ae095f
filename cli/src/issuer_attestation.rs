//! The development issuer's key-attestation policy, `<home>/issuer/attestation.json`: the
//! Android attestation roots it trusts, what iOS App Attest evidence it accepts (Apple's App
//! Attestation roots, the app ids, whether development-signed builds count) and what each
//! credential grade requires of the enrolling holder key (netid-core's `attestation`), with
//! `netid issuer attestation` to show and set it.
//!
//! Secure by default: a missing file means the default policy (no roots, so every Android chain
//! is refused as coming from an unknown root; no App Attest roots or app ids, so App Attest evidence
//! is not verifiable and is refused where hardware is required; the enhanced grade needs an
//! attested hardware key bound to user authentication; the basic grade accepts any key), and
//! `netid issuer keygen`
//! writes that default. The CLI's own wallet has software keys only, so under the default it
//! enrols at the basic grade; accepting software keys at the enhanced grade is an explicit
//! development choice (`--enhanced any-key`), which `netid demo --purpose gov` makes for the
//! issuer it creates and prints. This module must never accept a damaged policy file as the
//! default, and never let a refusal leave anything behind in the issuer's state.

use std::path::{Path, PathBuf};

use netid_core::attestation::apple::check_app_id;
use netid_core::attestation::{
    AppAttestError, AppAttestPolicy, AttestationError, AttestationPolicy, KeyRequirement,
    TrustedRoots,
};
use netid_core::credential::AssuranceLevel;
use netid_core::secure_area::KeySecurityLevel;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::args::RequirementArg;
use crate::error::{CliError, CliResult};
use crate::home::{self, Home};
use crate::i18n::{t, ta};
use crate::output::Output;

/// The policy file's name inside the issuer directory.
const FILE_NAME: &str = "attestation.json";

/// Most root certificates one file may hold (a root bundle; Google publishes two).
const MAX_ROOTS_PER_FILE: usize = 16;

/// What a grade requires, as stored and typed (`any-key`, `hardware-with-user-auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// Any key, software included (evidence that is sent is still checked in full).
    AnyKey,
    /// An attested TEE or StrongBox key, generated there, usable only after user authentication.
    HardwareWithUserAuth,
}

impl Requirement {
    fn core(self) -> KeyRequirement {
        match self {
            Self::AnyKey => KeyRequirement::AnyKey,
            Self::HardwareWithUserAuth => KeyRequirement::HardwareWithUserAuth,
        }
    }

    /// The stable name (JSON, flags).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnyKey => "any-key",
            Self::HardwareWithUserAuth => "hardware-with-user-auth",
        }
    }
}

impl From<RequirementArg> for Requirement {
    fn from(arg: RequirementArg) -> Self {
        match arg {
            RequirementArg::AnyKey => Self::AnyKey,
            RequirementArg::HardwareWithUserAuth => Self::HardwareWithUserAuth,
        }
    }
}

/// One trusted root, as stored: its DER (hex) and SHA-256 fingerprint (for people comparing it
/// with a published root).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredRoot {
    sha256: String,
    der_hex: String,
}

/// The policy file. The App Attest fields came later: a file without them loads as "App Attest
/// not configured" (what the issuer did before them), a file with a damaged one does not load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerAttestation {
    basic: Requirement,
    enhanced: Requirement,
    trust_roots: Vec<StoredRoot>,
    /// Apple App Attestation roots an App Attest chain must end under.
    #[serde(default)]
    app_attest_roots: Vec<StoredRoot>,
    /// The app ids (`TEAMID.bundle.id`) whose App Attest keys are accepted.
    #[serde(default)]
    app_ids: Vec<String>,
    /// Accept App Attest keys of development-signed builds (`appattestdevelop`).
    #[serde(default)]
    allow_app_attest_development: bool,
}

impl Default for IssuerAttestation {
    /// The production choice: no roots, no App Attest, basic any key, enhanced hardware + user
    /// authentication.
    fn default() -> Self {
        Self {
            basic: Requirement::AnyKey,
            enhanced: Requirement::HardwareWithUserAuth,
            trust_roots: Vec::new(),
            app_attest_roots: Vec::new(),
            app_ids: Vec::new(),
            allow_app_attest_development: false,
        }
    }
}

/// What `netid issuer attestation` changes in the App Attest part of the policy.
#[derive(Clone, Debug, Default)]
pub struct AppAttestChanges {
    /// Root certificate files to add (PEM or DER).
    pub roots: Vec<PathBuf>,
    /// App ids to add, as typed (checked before anything changes).
    pub app_ids: Vec<String>,
    /// Remove every App Attest root and app id first, and refuse development keys again.
    pub clear: bool,
    /// `Some(true)`: accept development-signed builds; `Some(false)`: refuse them.
    pub allow_development: Option<bool>,
}

impl AppAttestChanges {
    fn any(&self) -> bool {
        !self.roots.is_empty()
            || !self.app_ids.is_empty()
            || self.clear
            || self.allow_development.is_some()
    }
}

impl IssuerAttestation {
    fn path(home: &Home) -> PathBuf {
        home.issuer_dir().join(FILE_NAME)
    }

    /// The policy of `home`'s issuer: the file, or the default when there is none (an issuer
    /// made before attestation existed gets the secure default, not "any key").
    pub fn load(home: &Home) -> CliResult<Self> {
        let path = Self::path(home);
        if !path.exists() {
            return Ok(Self::default());
        }
        let damaged = || {
            CliError::usage(
                "issuer-damaged",
                format!("{} is damaged", path.display()),
                "reset it with `netid issuer attestation --reset` (then add your roots again)",
            )
        };
        let text = home::read_text("attestation policy", &path)?;
        let policy: Self = serde_json::from_str(&text).map_err(|_| damaged())?;
        policy.policy().map_err(|_| damaged())?;
        // An app id nobody could have typed is damage, never an id that silently matches nothing.
        if policy.app_ids.iter().any(|id| check_app_id(id).is_err()) {
            return Err(damaged());
        }
        Ok(policy)
    }

    /// Write the policy beside the issuer's other files (owner-only, like them).
    pub fn save(&self, home: &Home) -> CliResult<()> {
        home::write_private(
            &Self::path(home),
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )
    }

    /// The development policy `netid demo --purpose gov` sets on an issuer it creates: software
    /// keys accepted at the enhanced grade, no roots.
    pub fn development() -> Self {
        Self {
            enhanced: Requirement::AnyKey,
            ..Self::default()
        }
    }

    /// Whether the enhanced grade accepts a key with no hardware evidence.
    pub fn software_keys_accepted_at_enhanced(&self) -> bool {
        self.enhanced == Requirement::AnyKey
    }

    /// Whether App Attest evidence can be verified: at least one App Attest root and one app id.
    pub fn app_attest_configured(&self) -> bool {
        !self.app_attest_roots.is_empty() && !self.app_ids.is_empty()
    }

    /// The core's policy.
    pub fn policy(&self) -> Result<AttestationPolicy, AttestationError> {
        let mut policy = AttestationPolicy::new(trusted(&self.trust_roots)?);
        policy.basic = self.basic.core();
        policy.enhanced = self.enhanced.core();
        Ok(policy.with_app_attest(AppAttestPolicy {
            roots: trusted(&self.app_attest_roots)?,
            app_ids: self.app_ids.clone(),
            allow_development: self.allow_app_attest_development,
        }))
    }

    fn add_root(&mut self, der: Vec<u8>) -> bool {
        add_stored(&mut self.trust_roots, der)
    }

    fn json(&self, home: &Home) -> serde_json::Value {
        json!({
            "file": Self::path(home),
            "basic": self.basic.as_str(),
            "enhanced": self.enhanced.as_str(),
            "trust_roots": fingerprints(&self.trust_roots),
            "software_keys_accepted_at_enhanced": self.software_keys_accepted_at_enhanced(),
            "app_attest": {
                "configured": self.app_attest_configured(),
                "roots": fingerprints(&self.app_attest_roots),
                "app_ids": self.app_ids,
                "allow_development": self.allow_app_attest_development,
            },
        })
    }

    fn text(&self, home: &Home) -> String {
        let mut text = format!(
            "Key attestation policy of the development issuer ({}):\n  basic grade:    {}\n  enhanced grade: {}\n",
            Self::path(home).display(),
            self.basic.as_str(),
            self.enhanced.as_str(),
        );
        if self.trust_roots.is_empty() {
            text.push_str(
                "  trusted attestation roots: none (every Android attestation chain is refused)\n",
            );
        } else {
            text.push_str("  trusted attestation roots (SHA-256 of the certificate):\n");
            for root in &self.trust_roots {
                text.push_str(&format!("    {}\n", root.sha256));
            }
        }
        if self.app_attest_configured() {
            text.push_str("  iOS App Attest roots (SHA-256 of the certificate):\n");
            for root in &self.app_attest_roots {
                text.push_str(&format!("    {}\n", root.sha256));
            }
            text.push_str(&format!(
                "  iOS App Attest app ids: {}\n  iOS App Attest environments: {}\n",
                self.app_ids.join(", "),
                if self.allow_app_attest_development {
                    "production and development"
                } else {
                    "production only"
                },
            ));
        } else {
            text.push_str(&format!(
                "  iOS App Attest: not configured ({} roots, {} app ids; App Attest evidence is refused where hardware is required)\n",
                self.app_attest_roots.len(),
                self.app_ids.len(),
            ));
        }
        if self.software_keys_accepted_at_enhanced() {
            text.push_str(&format!("{}\n", t("cli-attestation-development-policy")));
        }
        if self.allow_app_attest_development {
            text.push_str(&format!(
                "{}\n",
                t("cli-attestation-app-attest-development-policy")
            ));
        }
        text
    }
}

/// The roots of `stored` as the core's trust store.
fn trusted(stored: &[StoredRoot]) -> Result<TrustedRoots, AttestationError> {
    let mut roots = TrustedRoots::new();
    for root in stored {
        let der = hex::decode(&root.der_hex)
            .map_err(|_| AttestationError::MalformedCertificate { index: 0 })?;
        roots.add_der(&der)?;
    }
    Ok(roots)
}

/// Adds `der` to `stored` unless it is there already; whether it was added.
fn add_stored(stored: &mut Vec<StoredRoot>, der: Vec<u8>) -> bool {
    let sha256 = hex::encode(Sha256::digest(&der));
    if stored.iter().any(|r| r.sha256 == sha256) {
        return false;
    }
    stored.push(StoredRoot {
        sha256,
        der_hex: hex::encode(der),
    });
    true
}

fn fingerprints(stored: &[StoredRoot]) -> Vec<serde_json::Value> {
    stored.iter().map(|r| json!({"sha256": r.sha256})).collect()
}

/// `netid issuer attestation`: show the policy, or change it and show the result.
#[allow(clippy::too_many_arguments)]
pub fn run(
    home: &Home,
    trust_roots: &[PathBuf],
    clear_roots: bool,
    reset: bool,
    basic: Option<RequirementArg>,
    enhanced: Option<RequirementArg>,
    app_attest: &AppAttestChanges,
    out: Output,
) -> CliResult<()> {
    if !crate::issuer_cmd::IssuerFiles::new(home).exists() {
        return Err(crate::issuer_cmd::no_issuer(home));
    }
    let changing = !trust_roots.is_empty()
        || clear_roots
        || reset
        || basic.is_some()
        || enhanced.is_some()
        || app_attest.any();
    let mut policy = if reset {
        IssuerAttestation::default()
    } else {
        IssuerAttestation::load(home)?
    };
    if clear_roots {
        policy.trust_roots.clear();
    }
    // Every file is read and checked before anything is written: one bad root changes nothing.
    let mut added = 0;
    for path in trust_roots {
        for der in read_root_file(path, RootKind::Android)? {
            added += usize::from(policy.add_root(der));
        }
    }
    if app_attest.clear {
        policy.app_attest_roots.clear();
        policy.app_ids.clear();
        policy.allow_app_attest_development = false;
    }
    let mut app_attest_added = 0;
    for path in &app_attest.roots {
        for der in read_root_file(path, RootKind::AppAttest)? {
            app_attest_added += usize::from(add_stored(&mut policy.app_attest_roots, der));
        }
    }
    for app_id in &app_attest.app_ids {
        check_app_id(app_id).map_err(|why| {
            CliError::usage(
                "bad-app-id",
                format!("{app_id:?} is not an App Attest app id: {why}"),
                "pass the app id as App Attest names it: the 10-character team id, a dot and the bundle id, e.g. --app-id ABCDE12345.io.example.wallet",
            )
        })?;
        if !policy.app_ids.contains(app_id) {
            policy.app_ids.push(app_id.clone());
        }
    }
    if let Some(allow) = app_attest.allow_development {
        policy.allow_app_attest_development = allow;
    }
    if let Some(basic) = basic {
        policy.basic = basic.into();
    }
    if let Some(enhanced) = enhanced {
        policy.enhanced = enhanced.into();
    }
    if policy.basic == Requirement::HardwareWithUserAuth && policy.enhanced == Requirement::AnyKey {
        return Err(CliError::usage(
            "bad-attestation-policy",
            "the enhanced grade cannot require less of the holder key than the basic grade",
            "pass --enhanced hardware-with-user-auth, or --basic any-key",
        ));
    }
    if changing {
        policy.save(home)?;
    }
    let mut result = policy.json(home);
    result["changed"] = changing.into();
    result["roots_added"] = added.into();
    result["app_attest"]["roots_added"] = app_attest_added.into();
    out.result(&result, &policy.text(home));
    Ok(())
}

/// Which attestation a root file is for (only the error's wording differs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum RootKind {
    Android,
    AppAttest,
}

/// The root certificates in `path`: PEM (one or more `CERTIFICATE` blocks) or one DER
/// certificate, each checked to parse as X.509 with a key the chain check supports.
fn read_root_file(path: &Path, kind: RootKind) -> CliResult<Vec<Vec<u8>>> {
    let bytes = home::read("attestation root", path)?;
    let bad = |reason: &str| {
        CliError::usage(
            "bad-attestation-root",
            format!(
                "{} is not a usable attestation root certificate: {reason}",
                path.display()
            ),
            match kind {
                RootKind::Android => {
                    "pass an X.509 root certificate as PEM (-----BEGIN CERTIFICATE-----) or DER, e.g. Google's hardware attestation root"
                }
                RootKind::AppAttest => {
                    "pass an X.509 root certificate as PEM (-----BEGIN CERTIFICATE-----) or DER, e.g. Apple's App Attestation root (Apple_App_Attestation_Root_CA.pem)"
                }
            },
        )
    };
    let trimmed = bytes.trim_ascii_start();
    let certificates = if trimmed.starts_with(b"-----BEGIN ") {
        pem_certificates(trimmed).map_err(|reason| bad(&reason))?
    } else {
        vec![bytes.clone()]
    };
    if certificates.is_empty() {
        return Err(bad("it holds no certificate"));
    }
    if certificates.len() > MAX_ROOTS_PER_FILE {
        return Err(bad(&format!(
            "it holds more than {MAX_ROOTS_PER_FILE} certificates"
        )));
    }
    for der in &certificates {
        let mut roots = TrustedRoots::new();
        roots.add_der(der).map_err(|e| bad(&e.to_string()))?;
    }
    Ok(certificates)
}

/// Every PEM block of `text`, which must all be `CERTIFICATE`s.
fn pem_certificates(text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)
            .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
            .map(|i| i + from)
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(begin) = find(text, BEGIN, at) {
        let end = find(text, END, begin).ok_or("a PEM block has no END line")?;
        // The END line's closing dashes.
        let close = find(text, b"-----", end + END.len()).ok_or("a PEM END line is cut short")?;
        let (label, der) = decode_pem_block(&text[begin..close + 5])?;
        if label != "CERTIFICATE" {
            return Err(format!("a PEM block is a {label}, not a CERTIFICATE"));
        }
        out.push(der);
        at = close + 5;
    }
    Ok(out)
}

/// One PEM block, read leniently about line width (Google publishes its roots and sample chains
/// in 76-column lines; RFC 7468's strict form, which the decoder wants, has 64): the base64 body
/// is rewrapped at 64 columns and decoded strictly.
fn decode_pem_block(block: &[u8]) -> Result<(String, Vec<u8>), String> {
    let text = std::str::from_utf8(block).map_err(|_| "a PEM block is not text".to_owned())?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or("a PEM BEGIN line is malformed")?;
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        if line == format!("-----END {label}-----") {
            ended = true;
            break;
        }
        body.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    if !ended {
        return Err(format!("the PEM block {label} has no matching END line"));
    }
    let mut strict = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        strict.push_str(&String::from_utf8_lossy(chunk));
        strict.push('\n');
    }
    strict.push_str(&format!("-----END {label}-----\n"));
    let (_, der) = p256::pkcs8::der::pem::decode_vec(strict.as_bytes())
        .map_err(|e| format!("the PEM block {label} does not decode ({e})"))?;
    Ok((label.to_owned(), der))
}

/// The stable name of a key level (JSON, text).
pub fn level_name(level: KeySecurityLevel) -> &'static str {
    match level {
        KeySecurityLevel::Software => "software",
        KeySecurityLevel::TrustedEnvironment => "tee",
        KeySecurityLevel::StrongBox => "strongbox",
        KeySecurityLevel::SecureEnclave => "secure-enclave",
    }
}

/// The CLI error for an enrolment the policy refused: kind `key-attestation-refused` (exit 1),
/// the resident's language, naming the rule; the next step says what to do at this grade (or,
/// for iOS App Attest evidence, `app_attest`, which setting of the policy to look at).
pub fn refused(error: &AttestationError, grade: AssuranceLevel, app_attest: bool) -> CliError {
    let grade_name = t(&format!("grade-{}", grade.as_str()));
    let rule = match error {
        AttestationError::NotHardware { .. } => t("cli-attestation-rule-not-hardware"),
        AttestationError::NoUserAuthentication => t("cli-attestation-rule-no-user-auth"),
        AttestationError::EvidenceNotVerifiable => t("cli-attestation-rule-not-verifiable"),
        AttestationError::UnknownRoot => t("cli-attestation-rule-unknown-root"),
        AttestationError::AppAttest(AppAttestError::UnknownAppId) => {
            t("cli-attestation-rule-app-id")
        }
        AttestationError::AppAttest(AppAttestError::DevelopmentNotAllowed) => {
            t("cli-attestation-rule-app-attest-development")
        }
        // Chain and key-description faults: the core's own (English) detail, for the developer.
        other => ta(
            "cli-attestation-rule-evidence",
            &[("detail", other.to_string().as_str().into())],
        ),
    };
    let next = match error {
        // Only App Attest evidence is "not verifiable": this issuer has no App Attest setup.
        AttestationError::EvidenceNotVerifiable => t("cli-next-attestation-app-attest"),
        AttestationError::NotHardware { .. } | AttestationError::NoUserAuthentication => {
            match grade {
                AssuranceLevel::Enhanced => t("cli-next-attestation-enhanced"),
                // Only a policy that asks hardware of the basic grade too gets here.
                AssuranceLevel::Basic => t("cli-next-attestation-basic"),
            }
        }
        AttestationError::UnknownRoot if app_attest => t("cli-next-attestation-app-attest-root"),
        AttestationError::UnknownRoot => t("cli-next-attestation-root"),
        AttestationError::AppAttest(AppAttestError::UnknownAppId) => {
            t("cli-next-attestation-app-id")
        }
        AttestationError::AppAttest(AppAttestError::DevelopmentNotAllowed) => {
            t("cli-next-attestation-app-attest-development")
        }
        _ => t("cli-next-attestation-evidence"),
    };
    CliError::refused(
        "key-attestation-refused",
        ta(
            "cli-error-key-attestation-refused",
            &[
                ("grade", grade_name.as_str().into()),
                ("rule", rule.as_str().into()),
            ],
        ),
        next,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_split_and_other_labels_refused() {
        let der_a = vec![0x30, 0x03, 0x02, 0x01, 0x01];
        let der_b = vec![0x30, 0x03, 0x02, 0x01, 0x02];
        let pem = |label: &str, der: &[u8]| {
            p256::pkcs8::der::pem::encode_string(label, p256::pkcs8::der::pem::LineEnding::LF, der)
                .expect("encodes")
        };
        let bundle = format!(
            "{}\n# comment\n{}",
            pem("CERTIFICATE", &der_a),
            pem("CERTIFICATE", &der_b)
        );
        assert_eq!(
            pem_certificates(bundle.as_bytes()).expect("two"),
            vec![der_a.clone(), der_b]
        );
        // 76-column lines, as Google publishes them.
        let long = vec![0x30u8; 120];
        let wide = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            pem("CERTIFICATE", &long)
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
                .as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(pem_certificates(wide.as_bytes()).expect("wide"), vec![long]);
        let key = pem("PRIVATE KEY", &der_a);
        let err = pem_certificates(key.as_bytes()).expect_err("not a certificate");
        assert!(err.contains("PRIVATE KEY"), "{err}");
        let cut = &bundle[..bundle.len() / 3];
        assert!(pem_certificates(cut.as_bytes()).is_err());
    }

    #[test]
    fn the_default_is_the_secure_policy() {
        let policy = IssuerAttestation::default().policy().expect("valid");
        assert!(policy.roots.is_empty());
        assert_eq!(policy.basic, KeyRequirement::AnyKey);
        assert_eq!(policy.enhanced, KeyRequirement::HardwareWithUserAuth);
        assert!(!IssuerAttestation::default().software_keys_accepted_at_enhanced());
        assert!(IssuerAttestation::development().software_keys_accepted_at_enhanced());
    }
}
