//! Plain records and enums of the FFI surface (documents, claims, purposes), and their mapping
//! from the core's types. Nothing here holds a secret; claim values appear only in
//! [`DocumentDetails`] and [`VerifiedPresentation`], which apps get after the relevant check.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netid_core::credential::{self, ClaimName, ClaimValue as CoreClaimValue, Sex};
use netid_core::wallet;

/// The kinds of document netid carries (docs/FORMAT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum DocType {
    /// The resident ID card.
    ResidentId,
    /// A driving licence.
    DrivingLicence,
    /// A social-security card.
    SocialSecurityCard,
    /// A residence permit.
    ResidencePermit,
}

impl From<credential::DocType> for DocType {
    fn from(doc_type: credential::DocType) -> Self {
        match doc_type {
            credential::DocType::ResidentId => Self::ResidentId,
            credential::DocType::DrivingLicence => Self::DrivingLicence,
            credential::DocType::SocialSecurityCard => Self::SocialSecurityCard,
            credential::DocType::ResidencePermit => Self::ResidencePermit,
        }
    }
}

impl From<DocType> for credential::DocType {
    fn from(doc_type: DocType) -> Self {
        match doc_type {
            DocType::ResidentId => Self::ResidentId,
            DocType::DrivingLicence => Self::DrivingLicence,
            DocType::SocialSecurityCard => Self::SocialSecurityCard,
            DocType::ResidencePermit => Self::ResidencePermit,
        }
    }
}

/// The credential's grade: basic is the "black-and-white" ID, enhanced the "colour" one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum AssuranceLevel {
    /// The "black-and-white" grade.
    Basic,
    /// The "colour" grade.
    Enhanced,
}

impl From<credential::AssuranceLevel> for AssuranceLevel {
    fn from(level: credential::AssuranceLevel) -> Self {
        match level {
            credential::AssuranceLevel::Basic => Self::Basic,
            credential::AssuranceLevel::Enhanced => Self::Enhanced,
        }
    }
}

/// What a code is shown for; each purpose discloses a fixed claim set and is checked against the
/// counter's policy for it (docs/FORMAT.md, "Purposes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Purpose {
    /// Hotel check-in: name, ID number, sex, birth date.
    HotelCheckIn,
    /// Internet café: name and "over 18".
    InternetCafe,
    /// Train ticket: name and ID number.
    TrainTicket,
    /// Government service: every claim.
    GovernmentService,
}

impl From<Purpose> for credential::Purpose {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::HotelCheckIn => Self::HotelCheckIn,
            Purpose::InternetCafe => Self::InternetCafe,
            Purpose::TrainTicket => Self::TrainTicket,
            Purpose::GovernmentService => Self::GovernmentService,
        }
    }
}

impl From<credential::Purpose> for Purpose {
    fn from(purpose: credential::Purpose) -> Self {
        match purpose {
            credential::Purpose::HotelCheckIn => Self::HotelCheckIn,
            credential::Purpose::InternetCafe => Self::InternetCafe,
            credential::Purpose::TrainTicket => Self::TrainTicket,
            credential::Purpose::GovernmentService => Self::GovernmentService,
        }
    }
}

/// One claim's value. Printing it (Kotlin `toString`, Swift `description`) gives `<redacted>`:
/// read the fields to show a value.
#[derive(Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum ClaimValue {
    /// Text (name, address, ID number...).
    Text { value: String },
    /// A civil date (birth date, validity).
    Date { year: i32, month: u8, day: u8 },
    /// A yes/no claim (age_over_18, age_over_60).
    Flag { value: bool },
    /// Sex, as "male" or "female".
    Sex { value: String },
}

impl std::fmt::Debug for ClaimValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claim values are personal data: never in logs or panic messages.
        f.write_str("ClaimValue(<redacted>)")
    }
}

impl std::fmt::Display for ClaimValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

/// What a claim value prints as: hosts log records by accident (string templates, crash
/// reporters), and a claim must never reach a log that way. Only `ClaimValue` exports it: the
/// records that hold claims print their fields, so their values print redacted too, and each
/// further Display export would cost the library several KB of lifting code.
pub(crate) const REDACTED: &str = "<redacted>";

impl From<&CoreClaimValue> for ClaimValue {
    fn from(value: &CoreClaimValue) -> Self {
        match value {
            CoreClaimValue::Text(text) => Self::Text {
                value: text.clone(),
            },
            CoreClaimValue::Date(date) => Self::Date {
                year: date.year(),
                month: date.month(),
                day: date.day(),
            },
            CoreClaimValue::Bool(flag) => Self::Flag { value: *flag },
            CoreClaimValue::Sex(sex) => Self::Sex {
                value: match sex {
                    Sex::Male => "male",
                    Sex::Female => "female",
                }
                .to_owned(),
            },
        }
    }
}

/// A named claim (`name` is the claims-file name: "name", "id_number", "age_over_18", ...).
/// Prints as `Claim(name=id_number, value=<redacted>)`: its value prints redacted.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Claim {
    /// The claim's name.
    pub name: String,
    /// Its value.
    pub value: ClaimValue,
}

pub(crate) fn claim(name: ClaimName, value: &CoreClaimValue) -> Claim {
    Claim {
        name: name.as_str().to_owned(),
        value: value.into(),
    }
}

/// A document as listed: nothing personal, only what it is and when it was added.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DocumentSummary {
    /// Its id in this wallet (32 hex digits, random).
    pub id: String,
    /// What kind of document.
    pub doc_type: DocType,
    /// The name the resident gave it.
    pub label: Option<String>,
    /// When it was enrolled.
    pub added_at: SystemTime,
    /// Its grade.
    pub assurance_level: AssuranceLevel,
}

impl From<wallet::DocumentSummary> for DocumentSummary {
    fn from(summary: wallet::DocumentSummary) -> Self {
        Self {
            id: summary.id.to_hex(),
            doc_type: summary.doc_type.into(),
            label: summary.label,
            added_at: seconds_to_instant(summary.added_at.unix_seconds()),
            assurance_level: summary.assurance_level.into(),
        }
    }
}

/// A document's details, after the view-details gate. Prints without its claims' values (each
/// `ClaimValue` prints `<redacted>`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DocumentDetails {
    /// What is listed about it.
    pub summary: DocumentSummary,
    /// The issuer id.
    pub issuer: String,
    /// When the credential was issued.
    pub issued_at: SystemTime,
    /// When it expires.
    pub expires_at: SystemTime,
    /// Every claim, in the credential's order.
    pub claims: Vec<Claim>,
}

impl From<wallet::DocumentDetails> for DocumentDetails {
    fn from(details: wallet::DocumentDetails) -> Self {
        Self {
            claims: details
                .claims
                .iter()
                .map(|(name, value)| claim(*name, value))
                .collect(),
            // Cloned, not moved: the core's details wipe their claims and label on drop.
            summary: details.summary.clone().into(),
            issuer: details.issuer.clone(),
            issued_at: instant(details.issued_at),
            expires_at: instant(details.expires),
        }
    }
}

/// What kind of event an activity-log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ActivityKind {
    /// A document was enrolled.
    Enrolment,
    /// A code was shown.
    Presentation,
    /// A document was deleted.
    Deletion,
    /// An authentication failed.
    FailedAuthentication,
    /// Too many failures locked the wallet.
    Lockout,
    /// A document's details were viewed.
    DetailsViewed,
    /// The log was exported.
    LogExported,
    /// One-time codes were added to a document.
    Refill,
    /// A kind this version does not know (written by a newer one).
    Other,
}

/// One activity-log entry; `detail` names a doc type or purpose, never a claim value. For a
/// presentation it is the receipt: the registered counter (`锦江之星 / Jinjiang Inn [id],
/// registered by R, purpose P, may keep N days`) or `unregistered, purpose P`, then `shown:` and
/// the names of the claims disclosed (docs/FORMAT.md §13.5).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ActivityEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When.
    pub at: SystemTime,
    /// What happened.
    pub kind: ActivityKind,
    /// The document concerned.
    pub document_id: Option<String>,
    /// The doc type or purpose concerned, if any; for a presentation, its receipt (who scanned
    /// it, which claims were shown).
    pub detail: String,
}

impl From<netid_core::store::ActivityEntry> for ActivityEntry {
    fn from(entry: netid_core::store::ActivityEntry) -> Self {
        use netid_core::store::ActivityKind as K;
        Self {
            seq: entry.seq,
            at: seconds_to_instant(entry.at.unix_seconds()),
            kind: match entry.kind {
                K::Enrolment => ActivityKind::Enrolment,
                K::Presentation => ActivityKind::Presentation,
                K::Deletion => ActivityKind::Deletion,
                K::FailedAuthentication => ActivityKind::FailedAuthentication,
                K::Lockout => ActivityKind::Lockout,
                K::DetailsViewed => ActivityKind::DetailsViewed,
                K::LogExported => ActivityKind::LogExported,
                K::Refill => ActivityKind::Refill,
                _ => ActivityKind::Other,
            },
            document_id: entry.document.map(|id| id.to_hex()),
            detail: entry.detail,
        }
    }
}

/// A core time as the FFI's instant (Kotlin `java.time.Instant`, Swift `Date`).
pub(crate) fn instant(time: netid_core::time::UnixTime) -> SystemTime {
    seconds_to_instant(u64::try_from(time.as_secs()).unwrap_or(0))
}

pub(crate) fn seconds_to_instant(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

/// The whole seconds in `value` (a duration an app passed through the FFI: Kotlin
/// `java.time.Duration`, Swift `TimeInterval`; unset: `default` seconds), if they lie in
/// `min..=max`; otherwise a sentence naming the setting (`name`), its valid range (`range`, for
/// people) and the value.
///
/// Fractions of a second are refused, not rounded: these are security settings (a session, a
/// lockout, a clock skew, a code's lifetime) that the core counts in whole seconds, and silently
/// moving one would change what the app asked for. Swift callers pass whole numbers
/// (`300`, `5 * 60`).
pub(crate) fn whole_seconds(
    name: &str,
    value: Option<Duration>,
    default: u32,
    min: u32,
    max: u32,
    range: &str,
) -> Result<u32, String> {
    let Some(value) = value else {
        return Ok(default);
    };
    let (seconds, nanos) = (value.as_secs(), value.subsec_nanos());
    if nanos == 0 && seconds >= u64::from(min) && seconds <= u64::from(max) {
        // In range, so within u32.
        return Ok(seconds as u32);
    }
    // Integers only: formatting the Duration itself (`{:?}`) would link its Debug code, ~2.4 KB
    // of the library's size budget.
    Err(format!(
        "{name} must be a whole number of seconds from {range}; got {seconds}.{nanos:09} s"
    ))
}

#[cfg(test)]
mod duration_tests {
    use super::whole_seconds;
    use std::time::Duration;

    #[test]
    fn whole_seconds_in_range_pass_and_fractions_or_out_of_range_are_refused_with_the_range() {
        let check = |d| whole_seconds("session", Some(d), 300, 1, 86_400, "1 s to 86 400 s (24 h)");
        assert_eq!(
            whole_seconds("session", None, 300, 1, 86_400, ""),
            Ok(300),
            "unset: the default"
        );
        assert_eq!(check(Duration::from_secs(1)), Ok(1));
        assert_eq!(check(Duration::from_secs(86_400)), Ok(86_400));
        for bad in [
            Duration::ZERO,
            Duration::from_millis(1_500),
            Duration::from_nanos(86_399_999_999_999),
            Duration::from_secs(86_401),
            Duration::from_secs(u64::from(u32::MAX) + 1),
            Duration::MAX,
        ] {
            let message = check(bad).expect_err("refused");
            assert!(
                message.starts_with(
                    "session must be a whole number of seconds from 1 s to 86 400 s (24 h); got "
                ),
                "{message}"
            );
        }
        let got = |d| {
            check(d)
                .unwrap_err()
                .rsplit("got ")
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(got(Duration::from_millis(1_500)), "1.500000000 s");
        assert_eq!(got(Duration::from_secs(86_401)), "86401.000000000 s");
        assert_eq!(got(Duration::MAX), "18446744073709551615.999999999 s");
    }
}
