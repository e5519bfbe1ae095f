//! netid-i18n: the one message catalogue for every text a hotel clerk or a resident reads —
//! refusal reasons with their next step, wallet errors, prompts, consent texts and claim labels —
//! in Chinese (zh-CN) and English, as Project Fluent files under `i18n/locales/<locale>/`.
//!
//! This crate owns the catalogue files, the choice of language ([`Lang`]), formatting a message
//! ([`Catalogue::message`]) and the export of the resident-facing messages to Android and iOS
//! string resources ([`host`]). It must never hold personal data (messages take counts, kinds and
//! counter names as arguments, never claim values), never decide anything (it only words what
//! other crates decided) and never panic on a missing message or a bad locale: the worst case is
//! English, then the message id itself. Message ids are a contract with the web page and host
//! apps; docs/i18n.md lists the conventions.
#![forbid(unsafe_code)]

mod catalogue;
pub mod host;
mod lang;

pub use catalogue::{Arg, Catalogue};
pub use lang::Lang;

/// One Fluent file of a locale: its file name under `i18n/locales/<locale>/` and its text.
#[derive(Clone, Copy, Debug)]
pub struct Resource {
    /// File name, e.g. `netid.ftl`.
    pub name: &'static str,
    /// The FTL text, compiled into the binary.
    pub source: &'static str,
}

/// Every English resource, in load order. A new file (the web page's `desk.ftl`) is one more line
/// here and one in [`RESOURCES_ZH_CN`]; the tests read the directory and fail if a file on disk
/// is not listed.
pub const RESOURCES_EN: &[Resource] = &[
    Resource {
        name: "netid.ftl",
        source: include_str!("../locales/en/netid.ftl"),
    },
    // The counter desk page's own texts (netid-verifier /desk).
    Resource {
        name: "desk.ftl",
        source: include_str!("../locales/en/desk.ftl"),
    },
];

/// Every Chinese (zh-CN) resource, in load order (see [`RESOURCES_EN`]).
pub const RESOURCES_ZH_CN: &[Resource] = &[
    Resource {
        name: "netid.ftl",
        source: include_str!("../locales/zh-CN/netid.ftl"),
    },
    // The counter desk page's own texts (netid-verifier /desk).
    Resource {
        name: "desk.ftl",
        source: include_str!("../locales/zh-CN/desk.ftl"),
    },
];

/// The raw FTL text of every resource of `lang`, joined in load order, for a server to hand to a
/// browser's Fluent (which then does its own formatting and bidi isolation).
pub fn ftl_source(lang: Lang) -> &'static str {
    use std::sync::OnceLock;
    static EN: OnceLock<String> = OnceLock::new();
    static ZH_CN: OnceLock<String> = OnceLock::new();
    let cell = match lang {
        Lang::En => &EN,
        Lang::ZhCn => &ZH_CN,
    };
    cell.get_or_init(|| {
        lang.resources()
            .iter()
            .map(|r| r.source)
            .collect::<Vec<_>>()
            .join("\n")
    })
}
