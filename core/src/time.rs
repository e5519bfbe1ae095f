//! Time as the credential format sees it: whole seconds since the Unix epoch, civil dates, and the
//! clock a presenter or verifier reads.
//!
//! This module owns the `UnixTime` and `CivilDate` value types and the `Clock` trait. It must never
//! read the system clock anywhere but in [`SystemClock`], so that every freshness decision in
//! `present` and `verify` can be replayed in tests with a [`FixedClock`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970-01-01T00:00:00Z, the CWT `NumericDate` restricted to whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The instant `secs` seconds after the Unix epoch (negative values are before it).
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// This instant moved by `secs` seconds, saturating instead of overflowing on hostile input.
    pub const fn saturating_add(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// The civil (UTC) date this instant falls on.
    pub fn date(self) -> CivilDate {
        CivilDate::from_days_since_epoch(self.0.div_euclid(86_400))
    }
}

/// RFC 3339 in UTC (`2026-01-15T08:30:05Z`): the form people read in messages and logs.
impl std::fmt::Display for UnixTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let second_of_day = self.0.rem_euclid(86_400);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date(),
            second_of_day / 3_600,
            second_of_day / 60 % 60,
            second_of_day % 60
        )
    }
}

/// A source of the current time. Verifiers and presenters take one so tests can pin time.
pub trait Clock: Send + Sync {
    /// The current wall-clock time (which its owner may set forward or back).
    fn now(&self) -> UnixTime;

    /// Time since this boot of the device, from a clock nobody can set, if the platform has one.
    /// Lockouts and sessions are measured by it, so moving the wall clock neither shortens a
    /// lockout nor lengthens a session. `None` falls back to the wall clock with a high-water mark.
    fn uptime(&self) -> Option<Uptime> {
        None
    }
}

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now(&self) -> UnixTime {
        (**self).now()
    }

    fn uptime(&self) -> Option<Uptime> {
        (**self).uptime()
    }
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now(&self) -> UnixTime {
        (**self).now()
    }

    fn uptime(&self) -> Option<Uptime> {
        (**self).uptime()
    }
}

/// A reading of the device's boot-time clock: which boot, and how long since it (including time
/// asleep). Within one boot it never goes back; a new boot id means at least `since_boot` has
/// passed since any reading of an earlier boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uptime {
    /// Identifies one boot of the device (random per boot).
    pub boot_id: [u8; 16],
    /// Whole seconds since that boot.
    pub since_boot_secs: u64,
}

impl Uptime {
    /// Seconds that have certainly passed since `earlier` was read: the difference within one
    /// boot, and at least the time since this boot across a reboot.
    pub fn secs_since(&self, earlier: &Uptime) -> u64 {
        if self.boot_id == earlier.boot_id {
            self.since_boot_secs.saturating_sub(earlier.since_boot_secs)
        } else {
            self.since_boot_secs
        }
    }
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        // A clock set before 1970 is reported as negative seconds rather than panicking.
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => UnixTime(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => UnixTime(-i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX)),
        }
    }

    fn uptime(&self) -> Option<Uptime> {
        system_uptime()
    }
}

/// Linux and Android: the kernel's per-boot random id and `/proc/uptime` (CLOCK_BOOTTIME, which
/// counts suspend). Elsewhere (iOS, macOS, Windows) there is no such reading here yet.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn system_uptime() -> Option<Uptime> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let hex: String = boot.trim().chars().filter(|c| *c != '-').collect();
    let mut boot_id = [0u8; 16];
    hex::decode_to_slice(hex, &mut boot_id).ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let whole = uptime.split(['.', ' ']).next()?;
    Some(Uptime {
        boot_id,
        since_boot_secs: whole.parse().ok()?,
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn system_uptime() -> Option<Uptime> {
    None
}

/// A clock that only moves when told to: for tests, worked examples and replaying incidents.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: UnixTime) -> Self {
        Self(AtomicI64::new(at.0))
    }

    /// Move the clock to `at`.
    pub fn set(&self, at: UnixTime) {
        self.0.store(at.0, Ordering::SeqCst);
    }

    /// Move the clock forward by `secs` seconds (backwards if negative).
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

/// A proleptic Gregorian calendar date with no time zone, e.g. a birth date printed on a card.
///
/// Only valid dates can be constructed, so code holding a `CivilDate` never re-checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("a date must be written as YYYY-MM-DD (for example 1990-07-01)")]
    Syntax,
    /// Well-formed but no such day exists.
    #[error("that date does not exist in the calendar")]
    NoSuchDay,
}

impl CivilDate {
    /// The date `year-month-day`, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, DateError> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay);
        }
        if !(-9999..=9999).contains(&year) {
            return Err(DateError::NoSuchDay);
        }
        Ok(Self { year, month, day })
    }

    /// Parse `YYYY-MM-DD` (RFC 3339 full-date).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let bytes = text.as_bytes();
        // ASCII first, so the slicing below never splits a multi-byte character.
        if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(DateError::Syntax);
        }
        let num = |s: &str| -> Result<u32, DateError> {
            if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().map_err(|_| DateError::Syntax)
            } else {
                Err(DateError::Syntax)
            }
        };
        let year = num(&text[0..4])?;
        let month = num(&text[5..7])?;
        let day = num(&text[8..10])?;
        Self::new(year as i32, month as u8, day as u8)
    }

    /// Year.
    pub fn year(self) -> i32 {
        self.year
    }
    /// Month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }
    /// Day of month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (the RFC 8943 tag 100 representation).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil, exact for the proleptic Gregorian calendar.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01, if it lies within years -9999..=9999.
    pub fn from_days_since_epoch_checked(days: i64) -> Option<Self> {
        // Bound first so hostile input cannot overflow the arithmetic below.
        if !(-4_371_587..=2_932_896).contains(&days) {
            return None;
        }
        Some(Self::from_days_since_epoch(days))
    }

    fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// Midnight UTC at the start of this date.
    pub fn start_utc(self) -> UnixTime {
        UnixTime(self.days_since_epoch() * 86_400)
    }

    /// Whole years of age on `on` for someone born on `self`; negative if `on` is before birth.
    pub fn age_on(self, on: CivilDate) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

impl std::fmt::Display for CivilDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_time_displays_as_rfc3339_utc() {
        assert_eq!(UnixTime::from_secs(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            UnixTime::from_secs(1_768_465_805).to_string(),
            "2026-01-15T08:30:05Z"
        );
        assert_eq!(UnixTime::from_secs(-1).to_string(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn days_round_trip_and_known_values() {
        assert_eq!(CivilDate::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(
            CivilDate::new(2000, 3, 1).unwrap().days_since_epoch(),
            11_017
        );
        assert_eq!(
            CivilDate::new(1949, 12, 31).unwrap().days_since_epoch(),
            -7_306
        );
        for d in [-800_000_i64, -7306, -1, 0, 1, 11_016, 19_000, 2_000_000] {
            let date = CivilDate::from_days_since_epoch_checked(d).unwrap();
            assert_eq!(date.days_since_epoch(), d);
        }
        assert!(CivilDate::from_days_since_epoch_checked(i64::MAX).is_none());
    }

    #[test]
    fn parse_rejects_impossible_dates() {
        assert_eq!(CivilDate::parse("2023-02-29"), Err(DateError::NoSuchDay));
        assert!(CivilDate::parse("2024-02-29").is_ok());
        assert_eq!(CivilDate::parse("2024-2-29"), Err(DateError::Syntax));
        assert_eq!(CivilDate::parse("2024-0a-29"), Err(DateError::Syntax));
        assert_eq!(CivilDate::parse("+024-01-01"), Err(DateError::Syntax));
        // Ten bytes with dashes in place but a multi-byte character inside.
        assert_eq!(CivilDate::parse("2€-01-01"), Err(DateError::Syntax));
        assert_eq!(CivilDate::parse("2020-é-01"), Err(DateError::Syntax));
    }

    #[test]
    fn age_counts_birthdays() {
        let born = CivilDate::parse("2000-06-15").unwrap();
        assert_eq!(born.age_on(CivilDate::parse("2018-06-14").unwrap()), 17);
        assert_eq!(born.age_on(CivilDate::parse("2018-06-15").unwrap()), 18);
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::new(UnixTime::from_secs(100));
        assert_eq!(c.now().as_secs(), 100);
        c.advance(5);
        assert_eq!(c.now().as_secs(), 105);
    }
}
