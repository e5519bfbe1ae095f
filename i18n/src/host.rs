//! The catalogue's resident- and clerk-facing messages as Android string resources and iOS
//! `.strings` tables, so app teams ship the same words as the command line and the web page.
//!
//! This module owns the selection ([`HOST_PREFIXES`]), the key naming, the escaping and the
//! variable conversion (Fluent `{ $name }` → `%1$s` / `%1$@`). It must never write a message it
//! cannot convert faithfully: a message of a host prefix that uses anything but text and
//! `{ $variable }` (select expressions, terms, functions) is an error, not a best guess. It does
//! not touch the file system; the `gen-host-strings` binary and the tests do.

use std::collections::BTreeMap;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

use crate::Lang;

/// The message-id prefixes host apps get: what the app library's errors and prompts need.
pub const HOST_PREFIXES: &[&str] = &[
    "refusal-",
    "wallet-error-",
    "next-step-",
    "request-refusal-",
    "prompt-",
    "consent-",
    "claim-",
    "purpose-",
    "doctype-",
    "grade-",
];

/// A generated file: where it lives in the repository and what it must contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFile {
    /// Path relative to the repository root.
    pub path: &'static str,
    /// The file's text.
    pub text: String,
}

/// One message ready for a platform: its text split into literal runs and variable slots.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// 1-based position of the variable in the message's argument list.
    Var(usize),
}

#[derive(Clone, Debug)]
struct HostMessage {
    id: String,
    pieces: Vec<Piece>,
    /// Variable names in argument order (shared by both languages).
    args: Vec<String>,
}

/// Every generated file, for both languages.
pub fn generate() -> Result<Vec<HostFile>, String> {
    // Argument positions come from the English message, in order of first use, so both languages
    // (and both platforms) take the same arguments in the same order.
    let english = messages(Lang::En, None)?;
    let order: BTreeMap<String, Vec<String>> = english
        .iter()
        .map(|m| (m.id.clone(), m.args.clone()))
        .collect();
    let mut files = Vec::new();
    for lang in Lang::ALL {
        let list = messages(lang, Some(&order))?;
        let (android_dir, ios_dir) = match lang {
            Lang::En => ("values", "en.lproj"),
            Lang::ZhCn => ("values-zh-rCN", "zh-Hans.lproj"),
        };
        files.push(HostFile {
            path: leak(format!(
                "android/src/main/res/{android_dir}/netid_strings.xml"
            )),
            text: android_xml(lang, &list)?,
        });
        files.push(HostFile {
            path: leak(format!(
                "ios/Sources/NetIDWallet/Resources/{ios_dir}/NetID.strings"
            )),
            text: ios_strings(lang, &list),
        });
    }
    Ok(files)
}

// Four short paths, built once per run of a generator or test.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The Android resource name of message `id`: `netid_` + the id with `-` → `_`.
pub fn android_name(id: &str) -> String {
    format!("netid_{}", id.replace('-', "_"))
}

fn messages(
    lang: Lang,
    order: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<Vec<HostMessage>, String> {
    let mut out = Vec::new();
    for resource in lang.resources() {
        let parsed = fluent_syntax::parser::parse(resource.source).map_err(|(_, errors)| {
            format!(
                "{}/{}: {} syntax error(s), first: {:?}",
                lang.tag(),
                resource.name,
                errors.len(),
                errors.first()
            )
        })?;
        for entry in parsed.body {
            let Entry::Message(message) = entry else {
                continue;
            };
            let id = message.id.name;
            if !HOST_PREFIXES.iter().any(|p| id.starts_with(p)) {
                continue;
            }
            let Some(pattern) = message.value else {
                continue;
            };
            let where_ = format!("{}/{}: {id}", lang.tag(), resource.name);
            let mut args: Vec<String> = order.and_then(|o| o.get(id)).cloned().unwrap_or_default();
            let pieces = pieces(&pattern, &mut args, order.is_some(), &where_)?;
            out.push(HostMessage {
                id: id.to_owned(),
                pieces,
                args,
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn pieces(
    pattern: &Pattern<&str>,
    args: &mut Vec<String>,
    fixed: bool,
    where_: &str,
) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    for element in &pattern.elements {
        match element {
            PatternElement::TextElement { value } => out.push(Piece::Text((*value).to_owned())),
            PatternElement::Placeable { expression } => match expression {
                Expression::Inline(InlineExpression::VariableReference { id }) => {
                    let name = id.name.to_owned();
                    let position = match args.iter().position(|a| *a == name) {
                        Some(i) => i + 1,
                        None if !fixed => {
                            args.push(name);
                            args.len()
                        }
                        None => {
                            return Err(format!(
                                "{where_}: uses ${name}, which the English message does not"
                            ));
                        }
                    };
                    out.push(Piece::Var(position));
                }
                Expression::Inline(InlineExpression::StringLiteral { value }) => {
                    out.push(Piece::Text(unescape_literal(value)));
                }
                _ => {
                    return Err(format!(
                        "{where_}: host strings support only text and {{ $variable }}"
                    ));
                }
            },
        }
    }
    Ok(out)
}

/// A Fluent string literal's own escapes: `\"`, `\\` (the catalogue uses no `\u` escapes).
fn unescape_literal(value: &str) -> String {
    value.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// Also an XML comment, which may not contain `--` (XML 1.0 §2.5; aapt2 refuses the file): so the
/// generator is named, not its command line.
const HEADER: &str = "Generated from i18n/locales/*/netid.ftl by netid-i18n's gen-host-strings (scripts/gen-bindings.sh runs it); do not edit.";

/// Android: `<string name="netid_…">`. Strings with arguments are format strings for
/// `getString(id, arg1, …)` (`%1$s`, a literal `%` doubled); strings without are plain text
/// (`formatted="false"` when they contain `%`).
fn android_xml(lang: Lang, list: &[HostMessage]) -> Result<String, String> {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    s.push_str(&format!("<!-- {HEADER} -->\n"));
    s.push_str(&format!(
        "<!-- Language: {}. Arguments are positional, in the order named in each comment. -->\n",
        lang.tag()
    ));
    s.push_str("<resources>\n");
    let mut seen = BTreeMap::new();
    for m in list {
        let name = android_name(&m.id);
        if let Some(other) = seen.insert(name.clone(), m.id.clone()) {
            return Err(format!(
                "{} and {other} both become the Android name {name}",
                m.id
            ));
        }
        let has_args = !m.args.is_empty();
        let mut value = String::new();
        for piece in &m.pieces {
            match piece {
                Piece::Text(t) => value.push_str(&android_escape(t, has_args)),
                Piece::Var(i) => value.push_str(&format!("%{i}$s")),
            }
        }
        if value.starts_with('@') || value.starts_with('?') {
            value.insert(0, '\\');
        }
        // aapt trims leading and trailing spaces of a resource (a list separator is ", ").
        if value.ends_with(' ') {
            value.pop();
            value.push_str("\\u0020");
        }
        if value.starts_with(' ') {
            value.replace_range(0..1, "\\u0020");
        }
        if has_args {
            let names: Vec<String> = m
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| format!("%{}$s = {a}", i + 1))
                .collect();
            s.push_str(&format!("    <!-- {} -->\n", names.join(", ")));
        }
        let formatted = if !has_args && value.contains('%') {
            " formatted=\"false\""
        } else {
            ""
        };
        s.push_str(&format!(
            "    <string name=\"{name}\"{formatted}>{value}</string>\n"
        ));
    }
    s.push_str("</resources>\n");
    Ok(s)
}

fn android_escape(text: &str, format_string: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // aapt treats these specially inside a resource string.
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '%' if format_string => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out
}

/// iOS: `"key" = "value";`, keyed by the Fluent id, for
/// `String(format: NSLocalizedString(key, tableName: "NetID", bundle: .module, comment: ""), …)`
/// with `%1$@` arguments (pass `String` or `NSNumber`).
fn ios_strings(lang: Lang, list: &[HostMessage]) -> String {
    let mut s = String::new();
    s.push_str(&format!("/* {HEADER} */\n"));
    s.push_str(&format!("/* Language: {}. */\n", lang.tag()));
    for m in list {
        let has_args = !m.args.is_empty();
        let mut value = String::new();
        for piece in &m.pieces {
            match piece {
                Piece::Text(t) => value.push_str(&ios_escape(t, has_args)),
                Piece::Var(i) => value.push_str(&format!("%{i}$@")),
            }
        }
        s.push('\n');
        if has_args {
            let names: Vec<String> = m
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| format!("%{}$@ = {a}", i + 1))
                .collect();
            s.push_str(&format!("/* {} */\n", names.join(", ")));
        }
        s.push_str(&format!(
            "\"{}\" = \"{value}\";\n",
            ios_escape(&m.id, false)
        ));
    }
    s
}

fn ios_escape(text: &str, format_string: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '%' if format_string => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_escaping_covers_what_aapt_treats_specially() {
        assert_eq!(
            android_escape("it's <b> & \"q\" \\ 5%\n", true),
            "it\\'s &lt;b&gt; &amp; \\\"q\\\" \\\\ 5%%\\n"
        );
        assert_eq!(android_escape("5%", false), "5%");
    }

    #[test]
    fn android_keeps_edge_spaces_that_aapt_would_trim() {
        let files = generate().expect("the catalogue converts");
        let en = files
            .iter()
            .find(|f| f.path.ends_with("values/netid_strings.xml"))
            .expect("English Android file");
        assert!(
            en.text
                .contains("<string name=\"netid_consent_list_separator\">,\\u0020</string>"),
            "{}",
            en.text
        );
    }

    #[test]
    fn ios_escaping_covers_quotes_and_backslashes() {
        assert_eq!(
            ios_escape("say \"hi\" \\ 5%", true),
            "say \\\"hi\\\" \\\\ 5%%"
        );
    }

    #[test]
    fn variables_become_positional_in_english_order_in_both_languages() {
        let files = generate().expect("the catalogue converts");
        let zh = files
            .iter()
            .find(|f| f.path.contains("values-zh-rCN"))
            .expect("Chinese Android file");
        // consent-asks uses five variables; the Chinese sentence must use the English positions.
        let line = zh
            .text
            .lines()
            .find(|l| l.contains("name=\"netid_consent_asks\""))
            .expect("consent-asks is exported");
        for i in 1..=5 {
            assert!(line.contains(&format!("%{i}$s")), "{line}");
        }
        let en = files
            .iter()
            .find(|f| f.path.ends_with("en.lproj/NetID.strings"))
            .expect("English iOS file");
        assert!(
            en.text.contains(
                "\"next-step-wait-then-try-again\" = \"Wait %1$@ seconds, then try again\";"
            ),
            "{}",
            en.text
        );
    }
}
