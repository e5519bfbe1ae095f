//! The vocabulary of netid documents: document types, assurance levels, claim names with their
//! integer keys and value kinds, and ID-number validation.
//!
//! These are the tables of `docs/FORMAT.md` in code. Nothing here may change a key or a code
//! without a new profile version, since verifiers in other languages read the same numbers.

use zeroize::Zeroize;

use crate::credential::cbor::Cbor;
use crate::time::CivilDate;

/// CBOR tag 100 (RFC 8943): a date as days since 1970-01-01.
const TAG_DAYS: u64 = 100;

/// Kinds of document a credential can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocType {
    /// Resident identity card (`resident-id`).
    ResidentId,
    /// Motor vehicle driving licence (`driving-licence`).
    DrivingLicence,
    /// Social-security card (`social-security-card`).
    SocialSecurityCard,
    /// Residence permit (`residence-permit`).
    ResidencePermit,
}

impl DocType {
    /// Every document type.
    pub const ALL: [DocType; 4] = [
        Self::ResidentId,
        Self::DrivingLicence,
        Self::SocialSecurityCard,
        Self::ResidencePermit,
    ];

    /// Wire code.
    pub fn code(self) -> i64 {
        match self {
            Self::ResidentId => 1,
            Self::DrivingLicence => 2,
            Self::SocialSecurityCard => 3,
            Self::ResidencePermit => 4,
        }
    }
    /// From a wire code.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
    /// Name in claims files and trust lists.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentId => "resident-id",
            Self::DrivingLicence => "driving-licence",
            Self::SocialSecurityCard => "social-security-card",
            Self::ResidencePermit => "residence-permit",
        }
    }
    /// From its name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == name)
    }
    /// The identity claims this document carries (all required, all redactable). The derived
    /// `age_over_18` / `age_over_60` are added at issuance to every type.
    pub fn claims(self) -> &'static [ClaimName] {
        use ClaimName::*;
        match self {
            Self::ResidentId => &[
                Name,
                Sex,
                Ethnicity,
                BirthDate,
                Address,
                IdNumber,
                IssuingAuthority,
            ],
            Self::DrivingLicence => &[
                Name,
                Sex,
                Nationality,
                BirthDate,
                Address,
                IdNumber,
                VehicleClass,
                FirstIssueDate,
                IssuingAuthority,
            ],
            Self::SocialSecurityCard => &[
                Name,
                Sex,
                Nationality,
                BirthDate,
                IdNumber,
                CardNumber,
                IssuingAuthority,
            ],
            Self::ResidencePermit => &[
                Name,
                Sex,
                Nationality,
                BirthDate,
                Address,
                IdNumber,
                IssuingAuthority,
            ],
        }
    }
}

/// Assurance grade: `basic` is the "black-and-white" grade (offline real-name checks),
/// `enhanced` the "colour" grade (upgraded at a terminal; all online uses). Ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssuranceLevel {
    /// The "black-and-white" grade.
    Basic,
    /// The "colour" grade.
    Enhanced,
}

impl AssuranceLevel {
    /// Wire code.
    pub fn code(self) -> i64 {
        match self {
            Self::Basic => 1,
            Self::Enhanced => 2,
        }
    }
    /// From a wire code.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Basic),
            2 => Some(Self::Enhanced),
            _ => None,
        }
    }
    /// Name in claims files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Enhanced => "enhanced",
        }
    }
    /// From its name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Basic, Self::Enhanced]
            .into_iter()
            .find(|l| l.as_str() == name)
    }
}

/// Sex as ISO/IEC 5218 codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    /// 1.
    Male,
    /// 2.
    Female,
}

/// A document claim. Every one is redactable and issued as a salted disclosure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimName {
    /// Full name (text).
    Name,
    /// Sex (ISO/IEC 5218 integer).
    Sex,
    /// Ethnicity (text).
    Ethnicity,
    /// Birth date (tag 100 days).
    BirthDate,
    /// Address (text).
    Address,
    /// 18-character ID number (text).
    IdNumber,
    /// Issuing authority (text).
    IssuingAuthority,
    /// Derived: at least 18 years old at issuance (bool).
    AgeOver18,
    /// Derived: at least 60 years old at issuance (bool).
    AgeOver60,
    /// Nationality, ISO 3166-1 alpha-3 (text).
    Nationality,
    /// Driving licence vehicle classes, e.g. "C1" (text).
    VehicleClass,
    /// Date the licence was first issued (tag 100 days).
    FirstIssueDate,
    /// Social-security card number (text).
    CardNumber,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Bool,
    Sex,
}

impl ClaimName {
    /// Every claim name, in key order.
    pub const ALL: [ClaimName; 13] = [
        Self::Name,
        Self::Sex,
        Self::Ethnicity,
        Self::BirthDate,
        Self::Address,
        Self::IdNumber,
        Self::IssuingAuthority,
        Self::AgeOver18,
        Self::AgeOver60,
        Self::Nationality,
        Self::VehicleClass,
        Self::FirstIssueDate,
        Self::CardNumber,
    ];

    /// Key inside the document claims map.
    pub fn key(self) -> i64 {
        match self {
            Self::Name => 3,
            Self::Sex => 4,
            Self::Ethnicity => 5,
            Self::BirthDate => 6,
            Self::Address => 7,
            Self::IdNumber => 8,
            Self::IssuingAuthority => 9,
            Self::AgeOver18 => 10,
            Self::AgeOver60 => 11,
            Self::Nationality => 12,
            Self::VehicleClass => 13,
            Self::FirstIssueDate => 14,
            Self::CardNumber => 15,
        }
    }
    /// From a key.
    pub fn from_key(key: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
    /// Name in claims files and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Sex => "sex",
            Self::Ethnicity => "ethnicity",
            Self::BirthDate => "birth_date",
            Self::Address => "address",
            Self::IdNumber => "id_number",
            Self::IssuingAuthority => "issuing_authority",
            Self::AgeOver18 => "age_over_18",
            Self::AgeOver60 => "age_over_60",
            Self::Nationality => "nationality",
            Self::VehicleClass => "vehicle_class",
            Self::FirstIssueDate => "first_issue_date",
            Self::CardNumber => "card_number",
        }
    }
    /// From its name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
    /// Whether the claim lives in the nested, separately redacted details map rather than
    /// directly in the document map. Every top-level redacted claim costs every presentation a
    /// 34-byte digest, so only what the counter purposes disclose stays at the top: `name`,
    /// `id_number` (hotel, ticket) and `age_over_18` (café). `sex` and `birth_date` are in the
    /// group: the hotel counter reads them from the disclosed `id_number`, which encodes both
    /// (docs/FORMAT.md §2.3, §4), so a hotel code carries neither their digests nor their
    /// disclosures, and they stay separately disclosable through the group.
    pub fn in_details(self) -> bool {
        !matches!(self, Self::Name | Self::IdNumber | Self::AgeOver18)
    }

    /// Whether a verifier may read this claim from a disclosed, valid `id_number` when it is not
    /// disclosed itself (FORMAT.md §4): the birth date (positions 7–14) and sex (parity of
    /// position 17), which the issuer rules make agree with the claims.
    pub fn derivable_from_id_number(self) -> bool {
        matches!(self, Self::Sex | Self::BirthDate)
    }

    /// Whether the issuer computes this claim (it never comes from a claims file).
    pub fn is_derived(self) -> bool {
        matches!(self, Self::AgeOver18 | Self::AgeOver60)
    }

    fn kind(self) -> Kind {
        match self {
            Self::Sex => Kind::Sex,
            Self::BirthDate | Self::FirstIssueDate => Kind::Date,
            Self::AgeOver18 | Self::AgeOver60 => Kind::Bool,
            _ => Kind::Text,
        }
    }

    /// Whether `value` is of this claim's kind.
    pub fn accepts(self, value: &ClaimValue) -> bool {
        matches!(
            (self.kind(), value),
            (Kind::Text, ClaimValue::Text(_))
                | (Kind::Date, ClaimValue::Date(_))
                | (Kind::Bool, ClaimValue::Bool(_))
                | (Kind::Sex, ClaimValue::Sex(_))
        )
    }

    /// Read a value of this claim's kind from a claims-file JSON value.
    pub fn value_from_json(self, v: &serde_json::Value) -> Option<ClaimValue> {
        match self.kind() {
            Kind::Text => v
                .as_str()
                .filter(|s| !s.is_empty())
                .map(|s| ClaimValue::Text(s.to_owned())),
            Kind::Date => v
                .as_str()
                .and_then(|s| CivilDate::parse(s).ok())
                .map(ClaimValue::Date),
            Kind::Bool => v.as_bool().map(ClaimValue::Bool),
            Kind::Sex => match v.as_str()? {
                "male" => Some(ClaimValue::Sex(Sex::Male)),
                "female" => Some(ClaimValue::Sex(Sex::Female)),
                _ => None,
            },
        }
    }
}

/// A claim value. `Debug` hides the content and text is wiped on drop, since values are personal
/// data.
#[derive(Clone, PartialEq, Eq)]
pub enum ClaimValue {
    /// Text.
    Text(String),
    /// A civil date.
    Date(CivilDate),
    /// A boolean (derived age claims).
    Bool(bool),
    /// Sex.
    Sex(Sex),
}

impl Drop for ClaimValue {
    fn drop(&mut self) {
        // Text claims are the personal data; dates, booleans and sex are plain values with no heap.
        if let Self::Text(text) = self {
            text.zeroize();
        }
    }
}

impl std::fmt::Debug for ClaimValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Text(_) => "Text(..)",
            Self::Date(_) => "Date(..)",
            Self::Bool(_) => "Bool(..)",
            Self::Sex(_) => "Sex(..)",
        })
    }
}

impl ClaimValue {
    /// Wire form.
    pub fn to_cbor(&self) -> Cbor {
        match self {
            Self::Text(t) => Cbor::Text(t.clone()),
            Self::Date(d) => Cbor::Tag(TAG_DAYS, Box::new(Cbor::int(d.days_since_epoch()))),
            Self::Bool(b) => Cbor::Bool(*b),
            Self::Sex(Sex::Male) => Cbor::int(1),
            Self::Sex(Sex::Female) => Cbor::int(2),
        }
    }

    /// Read the wire form of `name`'s value.
    pub fn from_cbor(name: ClaimName, v: &Cbor) -> Option<Self> {
        match (name.kind(), v) {
            (Kind::Text, Cbor::Text(t)) => Some(Self::Text(t.clone())),
            (Kind::Date, Cbor::Tag(TAG_DAYS, inner)) => inner
                .as_i64()
                .and_then(CivilDate::from_days_since_epoch_checked)
                .map(Self::Date),
            (Kind::Bool, Cbor::Bool(b)) => Some(Self::Bool(*b)),
            (Kind::Sex, Cbor::Int(1)) => Some(Self::Sex(Sex::Male)),
            (Kind::Sex, Cbor::Int(2)) => Some(Self::Sex(Sex::Female)),
            _ => None,
        }
    }

    /// A display form for the counter screen (dates as YYYY-MM-DD). The caller owns a copy of
    /// personal data: keep it in a `Zeroizing` buffer.
    pub fn display(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Date(d) => d.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Sex(Sex::Male) => "male".into(),
            Self::Sex(Sex::Female) => "female".into(),
        }
    }
}

/// Why an ID number is not valid. Messages never repeat the number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters.
    #[error("an ID number has 18 characters")]
    Length,
    /// A character other than digits (and a final X).
    #[error("an ID number has 17 digits followed by a digit or X")]
    Characters,
    /// ISO 7064 MOD 11-2 check character wrong: a typo.
    #[error("the check character does not match (likely a typing mistake)")]
    CheckCharacter,
    /// Positions 7–14 are not a real date.
    #[error("the birth date inside the ID number is not a real date")]
    BirthDate,
    /// Birth date claim differs from the one inside the ID number.
    #[error("the birth date does not match the one inside the ID number")]
    BirthDateMismatch,
    /// Sex claim differs from the parity of the sequence digit.
    #[error("the sex does not match the one encoded in the ID number")]
    SexMismatch,
}

/// What an ID number itself says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdNumberInfo {
    /// Birth date (positions 7–14).
    pub birth_date: CivilDate,
    /// Sex (parity of position 17: odd male, even female).
    pub sex: Sex,
}

/// Validate an 18-character resident ID number (GB 11643): 17 digits and an ISO 7064 MOD 11-2
/// check character (weights 2^(17−i) mod 11, check = (12 − sum mod 11) mod 11, 10 written `X`).
pub fn validate_id_number(id: &str) -> Result<IdNumberInfo, IdNumberError> {
    let b = id.as_bytes();
    if id.chars().count() != 18 || b.len() != 18 {
        return Err(IdNumberError::Length);
    }
    let mut sum = 0u32;
    for (i, c) in b[..17].iter().enumerate() {
        if !c.is_ascii_digit() {
            return Err(IdNumberError::Characters);
        }
        let weight = (1u32 << (17 - i)) % 11;
        sum += u32::from(c - b'0') * weight;
    }
    let check = (12 - sum % 11) % 11;
    let expected = if check == 10 {
        b'X'
    } else {
        b'0' + check as u8
    };
    match b[17] {
        c if c == expected => {}
        c if c.is_ascii_digit() || c == b'X' => return Err(IdNumberError::CheckCharacter),
        _ => return Err(IdNumberError::Characters),
    }
    // Read the digits in place: formatting them into a date string would leave the birth date in
    // a freed, unwiped buffer.
    let number = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let birth_date = CivilDate::new(
        number(6..10) as i32,
        number(10..12) as u8,
        number(12..14) as u8,
    )
    .map_err(|_| IdNumberError::BirthDate)?;
    let sex = if (b[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(IdNumberInfo { birth_date, sex })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_id_numbers() {
        let info = validate_id_number("11010519491231002X").unwrap();
        assert_eq!(info.birth_date, CivilDate::parse("1949-12-31").unwrap());
        assert_eq!(info.sex, Sex::Female);
        assert!(validate_id_number("110101199003074477").is_ok());
    }

    #[test]
    fn rejects_bad_id_numbers() {
        assert_eq!(
            validate_id_number("110105194912310021"),
            Err(IdNumberError::CheckCharacter)
        );
        assert_eq!(
            validate_id_number("11010519491231002"),
            Err(IdNumberError::Length)
        );
        assert_eq!(
            validate_id_number("11010519491231002x"),
            Err(IdNumberError::Characters)
        );
        assert_eq!(
            validate_id_number("1101051949123100AX"),
            Err(IdNumberError::Characters)
        );
        // Valid checksum, impossible birth date 1949-13-31.
        let mut bad = String::from("11010519491331002");
        let sum: u32 = bad
            .bytes()
            .enumerate()
            .map(|(i, c)| u32::from(c - b'0') * ((1 << (17 - i)) % 11))
            .sum();
        let check = (12 - sum % 11) % 11;
        bad.push(if check == 10 {
            'X'
        } else {
            char::from(b'0' + check as u8)
        });
        assert_eq!(validate_id_number(&bad), Err(IdNumberError::BirthDate));
    }
}
