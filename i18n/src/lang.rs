//! Which language to speak: the two the catalogue has, read from a command-line value or from the
//! POSIX locale variables.
//!
//! This module owns only the mapping from locale names to [`Lang`]. It must never fail: a name it
//! does not know is `None` from [`Lang::parse`] and English from [`Lang::from_env`], so a machine
//! with an odd locale still gets a readable answer.

use crate::{RESOURCES_EN, RESOURCES_ZH_CN, Resource};

/// A language the catalogue has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English; also the fallback for anything missing.
    #[default]
    En,
    /// Simplified Chinese as used in mainland China.
    ZhCn,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag: `en` or `zh-CN` (also the locale directory under `i18n/locales/`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhCn => "zh-CN",
        }
    }

    /// The catalogue files of this language.
    pub fn resources(self) -> &'static [Resource] {
        match self {
            Self::En => RESOURCES_EN,
            Self::ZhCn => RESOURCES_ZH_CN,
        }
    }

    /// A language from a tag or POSIX locale name: `en`, `en-US`, `en_GB.UTF-8` are English;
    /// `zh`, `zh-CN`, `zh_CN.UTF-8`, `zh-Hans`, `zh-Hans-CN` are Chinese. Case and `-`/`_` do
    /// not matter; an encoding (`.UTF-8`) or modifier (`@…`) is ignored. Traditional-Chinese
    /// locales (`zh-TW`, `zh-Hant`) also give Chinese: simplified text is closer for their readers
    /// than English, and it is the only Chinese the catalogue has. Anything else is `None`.
    pub fn parse(name: &str) -> Option<Lang> {
        let base = name.split(['.', '@']).next().unwrap_or_default();
        let lower = base.trim().to_ascii_lowercase().replace('_', "-");
        let language = lower.split('-').next().unwrap_or_default();
        match language {
            "en" => Some(Self::En),
            "zh" => Some(Self::ZhCn),
            _ => None,
        }
    }

    /// The language whose tag is exactly `tag` (`en`, `zh-CN`), as a page or a file names it;
    /// anything else, even a close variant, is `None` (use [`Lang::parse`] for locale names).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Self::ALL.into_iter().find(|lang| lang.tag() == tag)
    }

    /// The first language of an HTTP `Accept-Language` value (RFC 9110 §12.5.4) the catalogue
    /// has: highest quality first, the header's order among equals, `q=0` meaning "not this one";
    /// tags as [`Lang::parse`] reads them. None of them, or a header that does not parse, is
    /// English.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut choices: Vec<(f32, usize, &str)> = accept_language
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                Some((quality, position, tag))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        choices
            .into_iter()
            .filter(|(quality, _, _)| *quality > 0.0)
            .find_map(|(_, _, tag)| Self::parse(tag))
            .unwrap_or(Self::En)
    }

    /// The language of the process environment (see [`Lang::from_vars`]).
    pub fn from_env() -> Lang {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The language the POSIX locale variables ask for messages: the first of `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` that is set and not empty decides, as it does for every other
    /// program; a value [`Lang::parse`] does not know (`C`, `POSIX`, `fr_FR.UTF-8`) or none at all
    /// is English. `get` reads one variable.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(get)
            .find(|value| !value.trim().is_empty())
            .and_then(|value| Self::parse(&value))
            .unwrap_or(Self::En)
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_tags_and_posix_names() {
        for name in ["en", "EN", "en-US", "en_GB.UTF-8", "en_US@euro"] {
            assert_eq!(Lang::parse(name), Some(Lang::En), "{name}");
        }
        for name in [
            "zh",
            "zh-CN",
            "zh_CN",
            "zh_CN.UTF-8",
            "zh-Hans",
            "zh-Hans-CN",
            "ZH_cn.gb18030",
        ] {
            assert_eq!(Lang::parse(name), Some(Lang::ZhCn), "{name}");
        }
        for name in ["", "C", "POSIX", "C.UTF-8", "fr_FR.UTF-8", "english", "-"] {
            assert_eq!(Lang::parse(name), None, "{name}");
        }
    }

    #[test]
    fn from_tag_takes_only_the_catalogue_tags() {
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhCn));
        for tag in ["", "EN", "en-US", "zh", "zh_CN", "zh-cn", "fr"] {
            assert_eq!(Lang::from_tag(tag), None, "{tag}");
        }
    }

    #[test]
    fn negotiate_takes_the_best_accepted_language_the_catalogue_has() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("en-GB,zh;q=0.5"), Lang::En);
        assert_eq!(Lang::negotiate("fr-FR,zh-TW;q=0.7,en;q=0.8"), Lang::En);
        assert_eq!(Lang::negotiate("fr-FR,zh-Hans;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::negotiate("de"), Lang::En);
        assert_eq!(Lang::negotiate("zh;q=0,en"), Lang::En);
        assert_eq!(Lang::negotiate("en;q=0.1, zh-CN;q=0.2"), Lang::ZhCn);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate("zh;q=abc,;;,"), Lang::En);
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_first_set_locale_variable_decides() {
        assert_eq!(Lang::from_vars(vars(&[])), Lang::En);
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "zh_CN.UTF-8")])),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "en_US.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LANG", "en_US.UTF-8"), ("LC_MESSAGES", "zh_CN")])),
            Lang::ZhCn
        );
        // An empty variable is unset (POSIX); a set but unknown one decides, for English.
        assert_eq!(
            Lang::from_vars(vars(&[("LC_ALL", ""), ("LANG", "zh_CN.UTF-8")])),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_vars(vars(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")])),
            Lang::En
        );
    }
}
