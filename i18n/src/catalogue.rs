//! Formatting a message of the catalogue in one language, with English as the fallback.
//!
//! This module owns loading the compiled-in FTL resources into Fluent bundles and formatting. It
//! must never panic and never return an empty answer: a message missing in Chinese is given in
//! English, one missing everywhere as its id (a visible, greppable bug rather than a blank line).

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::Lang;

/// A value for a message's `{ $variable }`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<'a> {
    /// Text, inserted as is.
    Str(&'a str),
    /// A number, written without grouping (`65536`) or trailing `.0`.
    Num(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Self::Str(value)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Self::Str(value)
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            // Counts, seconds and days: far below 2^53, so exact as f64.
            #[allow(clippy::cast_precision_loss, clippy::cast_lossless)]
            fn from(value: $t) -> Self {
                Self::Num(value as f64)
            }
        }
    )*};
}
number_arg!(u8, u16, u32, u64, usize, i8, i16, i32, i64, f64);

type Bundle = FluentBundle<FluentResource>;

/// The messages of one language, with English behind them.
pub struct Catalogue {
    lang: Lang,
    primary: Bundle,
    /// `None` when `primary` is already English.
    english: Option<Bundle>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

impl Catalogue {
    /// The catalogue of `lang`.
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            primary: bundle(lang),
            english: (lang != Lang::En).then(|| bundle(Lang::En)),
        }
    }

    /// The language asked for (messages it lacks come in English).
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether `id` is a message of this catalogue's own language (no fallback).
    pub fn has(&self, id: &str) -> bool {
        self.primary
            .get_message(id)
            .is_some_and(|m| m.value().is_some())
    }

    /// Message `id` with `args` (`("seconds", 30.into())`): in this language, else in English,
    /// else `id` itself. A variable the message uses but `args` lacks shows as `{$name}`.
    pub fn message(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        std::iter::once(&self.primary)
            .chain(self.english.as_ref())
            .find_map(|b| format(b, id, args))
            .unwrap_or_else(|| id.to_owned())
    }
}

fn bundle(lang: Lang) -> Bundle {
    // A tag that does not parse cannot happen for our two constants; `und` keeps it panic-free.
    let id: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Fluent wraps every placeable in U+2068/U+2069 (bidi isolation) so right-to-left values do
    // not reorder the sentence around them. Our two languages are left-to-right and the output is
    // a terminal or a log, where the invisible marks end up as stray bytes that break `grep`,
    // tests and column alignment. A browser's Fluent, fed `ftl_source`, isolates on its own.
    bundle.set_use_isolating(false);
    for resource in lang.resources() {
        // A resource with syntax errors still yields its good messages (the tests make sure the
        // shipped files have none); a duplicate id keeps the first definition.
        let parsed = match FluentResource::try_new(resource.source.to_owned()) {
            Ok(parsed) | Err((parsed, _)) => parsed,
        };
        let _ = bundle.add_resource(parsed);
    }
    bundle
}

fn format(bundle: &Bundle, id: &str, args: &[(&str, Arg<'_>)]) -> Option<String> {
    let pattern = bundle.get_message(id)?.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        let value = match *value {
            Arg::Str(s) => FluentValue::from(s),
            Arg::Num(n) => FluentValue::from(n),
        };
        fluent_args.set(*name, value);
    }
    // Formatting errors (a missing variable) still produce text with the gap marked.
    let mut errors = Vec::new();
    Some(
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_english_then_to_the_id() {
        let zh = Catalogue::new(Lang::ZhCn);
        assert_eq!(zh.message("no-such-message-id", &[]), "no-such-message-id");
        assert!(!zh.has("no-such-message-id"));
        let en = Catalogue::new(Lang::En);
        assert_eq!(en.message("", &[]), "");
    }

    #[test]
    fn arguments_are_inserted_without_isolation_marks() {
        let en = Catalogue::new(Lang::En);
        let text = en.message("next-step-wait-then-try-again", &[("seconds", 300.into())]);
        assert!(text.contains("300"), "{text}");
        assert!(!text.contains(['\u{2068}', '\u{2069}']), "{text:?}");
        let zh = Catalogue::new(Lang::ZhCn);
        let text = zh.message(
            "next-step-wait-then-try-again",
            &[("seconds", 300_u64.into())],
        );
        assert!(text.contains("300") && text.contains('秒'), "{text}");
    }

    #[test]
    fn a_missing_argument_is_marked_not_a_panic() {
        let en = Catalogue::new(Lang::En);
        let text = en.message("next-step-wait-then-try-again", &[]);
        assert!(text.contains("$seconds"), "{text}");
    }
}
