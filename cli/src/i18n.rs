//! The command's language: chosen once at start (`--lang`, else the locale variables) and used by
//! every line a clerk or resident reads, through the shared catalogue (netid-i18n).
//!
//! This module owns that one choice and the lookups. It must never be used for what scripts
//! parse — error kinds, JSON field names, `NID1:` texts — which stay the same in every language;
//! and never for developer-facing issuer output, which is English only (docs/i18n.md).

use std::sync::OnceLock;

use netid_i18n::Catalogue;
pub use netid_i18n::{Arg, Lang};

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

/// Fix the language for this run; later calls are ignored (the first choice wins).
pub fn init(lang: Lang) {
    let _ = CATALOGUE.set(Catalogue::new(lang));
}

fn catalogue() -> &'static Catalogue {
    // Unit tests and any path before `init` get the environment's language.
    CATALOGUE.get_or_init(|| Catalogue::new(Lang::from_env()))
}

/// Message `id` without arguments.
pub fn t(id: &str) -> String {
    catalogue().message(id, &[])
}

/// Message `id` with arguments.
pub fn ta(id: &str, args: &[(&str, Arg<'_>)]) -> String {
    catalogue().message(id, args)
}

/// The localized label of a claim (`姓名`, `Name`).
pub fn claim(name: netid_core::credential::ClaimName) -> String {
    t(&format!("claim-{}", name.as_str()))
}

/// The localized name of a purpose (`酒店入住`, `Hotel check-in`).
pub fn purpose(purpose: netid_core::credential::Purpose) -> String {
    t(&format!("purpose-{}", purpose.as_str()))
}

/// `text` padded with spaces to `width` terminal columns, counting CJK characters as two (a
/// label column of Chinese claim names would otherwise not line up).
pub fn pad(text: &str, width: usize) -> String {
    let used: usize = text.chars().map(columns).sum();
    let mut out = text.to_owned();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

fn columns(c: char) -> usize {
    // East Asian wide and fullwidth ranges; enough for the catalogue's labels.
    match c as u32 {
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_chinese_characters_as_two_columns() {
        assert_eq!(pad("姓名", 6), "姓名  ");
        assert_eq!(pad("Name", 6), "Name  ");
        assert_eq!(pad("Citizen ID number", 4), "Citizen ID number");
    }
}
