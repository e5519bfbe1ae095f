//! The desk page's files, embedded in the binary: its HTML templates, scripts, style sheet, the
//! vendored browser libraries (`service/desk/vendor/README.md` says which and why) and the
//! message catalogue. Nothing is read from disk or any other host at run time, so the page works
//! on an intranet with no internet. This module must never serve a file that is not listed here.

/// A static file of the page.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr, $path:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!($path),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file under `/desk/assets/`.
pub const ASSETS: &[Asset] = &[
    asset!("desk.css", "text/css; charset=utf-8", "../../desk/desk.css"),
    asset!("desk.js", JS, "../../desk/desk.js"),
    asset!("sign-in.js", JS, "../../desk/sign-in.js"),
    asset!("l10n.js", JS, "../../desk/l10n.js"),
    asset!("fluent-bundle.js", JS, "../../desk/vendor/fluent-bundle.js"),
    asset!(
        "zxing-wasm-reader.js",
        JS,
        "../../desk/vendor/zxing-wasm-reader.js"
    ),
    // instantiateStreaming insists on this type.
    asset!(
        "zxing_reader.wasm",
        "application/wasm",
        "../../desk/vendor/zxing_reader.wasm"
    ),
];

/// The asset called `name`, if there is one.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The signed-in desk page; `{{…}}` placeholders are filled by `desk::page`.
pub const DESK_HTML: &str = include_str!("../../desk/desk.html");
/// The sign-in page.
pub const SIGN_IN_HTML: &str = include_str!("../../desk/sign-in.html");

/// The message catalogue (Project Fluent, every resource: the refusal reasons and claim labels the
/// `netid` command shares, and the desk's own texts) in one language, as the page's `l10n.js`
/// loads it.
pub fn catalogue(tag: &str) -> Option<&'static str> {
    match tag {
        "en" => Some(netid_i18n::ftl_source(netid_i18n::Lang::En)),
        "zh-CN" => Some(netid_i18n::ftl_source(netid_i18n::Lang::ZhCn)),
        _ => None,
    }
}

/// Escape text for an HTML attribute value or element content.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_reference_to_an_asset_is_served() {
        for page in [DESK_HTML, SIGN_IN_HTML] {
            for part in page.split("/desk/assets/").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(asset(name).is_some(), "the page loads {name}, not embedded");
            }
        }
    }

    #[test]
    fn pages_have_no_inline_script_or_style() {
        for page in [DESK_HTML, SIGN_IN_HTML] {
            for tag in page.split("<script").skip(1) {
                let open = tag.split('>').next().unwrap();
                assert!(
                    open.contains(" src=\"/desk/assets/"),
                    "inline script: {open}"
                );
                assert!(tag.split('>').nth(1).unwrap().starts_with("</script"));
            }
            assert!(!page.contains("<style"), "inline style element");
            assert!(!page.contains(" style=\""), "inline style attribute");
            for (at, _) in page.match_indices(" on") {
                let rest = &page[at + 3..];
                let name_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
                assert!(
                    name_len == 0 || !rest[name_len..].starts_with('='),
                    "an inline event handler: {}",
                    &rest[..name_len]
                );
            }
        }
    }

    /// Every message id the page's HTML and scripts name literally (`data-l10n-id="…"`,
    /// `"desk-…"`) is in the catalogue, in both languages.
    #[test]
    fn every_message_the_page_names_is_in_the_catalogue() {
        let sources = [
            DESK_HTML,
            SIGN_IN_HTML,
            include_str!("../../desk/desk.js"),
            include_str!("../../desk/sign-in.js"),
        ];
        let mut ids = Vec::new();
        for source in sources {
            for (at, _) in source.match_indices("desk-") {
                let before = source[..at].chars().next_back();
                if !matches!(before, Some('"') | Some('`')) {
                    continue;
                }
                let id: String = source[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                    .collect();
                // Element ids (`desk-error`) and prefixes built at run time end differently.
                if source[at + id.len()..].starts_with(['"', '`']) && !id.ends_with('-') {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        ids.dedup();
        assert!(ids.len() > 30, "found only {ids:?}");
        for lang in netid_i18n::Lang::ALL {
            // Read from the source: a message with attributes only (an `alt`) has no value to
            // format, but is defined.
            let source = netid_i18n::ftl_source(lang);
            let defined = |id: &str| {
                source
                    .lines()
                    .any(|line| line.strip_prefix(id).is_some_and(|r| r.starts_with(" =")))
            };
            let missing: Vec<&String> = ids
                .iter()
                .filter(|id| !defined(id) && id.as_str() != "desk-error")
                .collect();
            assert!(missing.is_empty(), "{lang}: no message for {missing:?}");
        }
        // The ids built at run time: every purpose, and the claim values the page words.
        for lang in netid_i18n::Lang::ALL {
            let catalogue = netid_i18n::Catalogue::new(lang);
            for purpose in netid_core::present::Purpose::ALL {
                assert!(catalogue.has(&format!("purpose-{}", purpose.as_str())));
            }
        }
    }

    #[test]
    fn html_escaping_covers_attribute_breakouts() {
        assert_eq!(escape_html(r#"a"b'c<d>&"#), "a&quot;b&#39;c&lt;d&gt;&amp;");
    }
}
