//! The catalogue's rules, checked on every `.ftl` file found under `i18n/locales/*/` at test time
//! (not only those compiled in): both languages have the same files, the same message ids and the
//! same variables per message; every file parses; every refusal kind, claim, purpose and document
//! type of the core has its message. Each rule is a function returning the problems it finds, and
//! each has a test feeding it a broken catalogue, so a rule that can no longer fail is noticed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fluent_syntax::ast::{
    Entry, Expression, InlineExpression, Pattern, PatternElement, Resource as Ast,
};
use netid_core::credential::{ClaimName, DocType, Purpose};
use netid_core::verify::VerifyError;
use netid_i18n::{Catalogue, Lang};

/// A catalogue as read from disk: locale → file name → text.
type Files = BTreeMap<String, BTreeMap<String, String>>;

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

fn read_catalogue(dir: &Path) -> Files {
    let mut files = Files::new();
    for locale in std::fs::read_dir(dir)
        .expect("i18n/locales is readable")
        .flatten()
    {
        if !locale.path().is_dir() {
            continue;
        }
        let name = locale.file_name().to_string_lossy().into_owned();
        let entry = files.entry(name).or_default();
        for file in std::fs::read_dir(locale.path())
            .expect("locale dir")
            .flatten()
        {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "ftl") {
                let text = std::fs::read_to_string(&path).expect("ftl is UTF-8");
                entry.insert(file.file_name().to_string_lossy().into_owned(), text);
            }
        }
    }
    files
}

/// Message id → the variables its value and attributes use.
fn messages(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let ast: Ast<&str> = match fluent_syntax::parser::parse(text) {
        Ok(ast) | Err((ast, _)) => ast,
    };
    let mut out = BTreeMap::new();
    for entry in ast.body {
        if let Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(p) = &m.value {
                pattern_vars(p, &mut vars);
            }
            for a in &m.attributes {
                pattern_vars(&a.value, &mut vars);
            }
            out.insert(m.id.name.to_owned(), vars);
        }
    }
    out
}

fn pattern_vars(p: &Pattern<&str>, vars: &mut BTreeSet<String>) {
    for e in &p.elements {
        if let PatternElement::Placeable { expression } = e {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        Expression::Inline(i) => inline_vars(i, vars),
        Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
    }
}

fn inline_vars(i: &InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match i {
        InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        InlineExpression::FunctionReference { arguments, .. }
        | InlineExpression::TermReference {
            arguments: Some(arguments),
            ..
        } => {
            for a in &arguments.positional {
                inline_vars(a, vars);
            }
            for a in &arguments.named {
                inline_vars(&a.value, vars);
            }
        }
        _ => {}
    }
}

/// Rule (d): every file parses without junk.
fn syntax_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (locale, list) in files {
        for (name, text) in list {
            if let Err((_, errors)) = fluent_syntax::parser::parse(text.as_str()) {
                for e in errors {
                    let line = text[..e.pos.start.min(text.len())].lines().count().max(1);
                    problems.push(format!("{locale}/{name}:{line}: {:?}", e.kind));
                }
            }
        }
    }
    problems
}

/// Rule (a): the same files in every locale, and in each file the same message ids; (b) the same
/// variables per message. Problems name the id and the file.
fn parity_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(reference) = files.get("en") else {
        return vec!["no en locale".to_owned()];
    };
    for (locale, list) in files {
        if locale == "en" {
            continue;
        }
        let names: BTreeSet<&String> = reference.keys().chain(list.keys()).collect();
        for name in names {
            let (Some(en_text), Some(other_text)) = (reference.get(name), list.get(name)) else {
                let missing = if reference.contains_key(name) {
                    locale.as_str()
                } else {
                    "en"
                };
                problems.push(format!("{missing}/{name} is missing"));
                continue;
            };
            let en = messages(en_text);
            let other = messages(other_text);
            for (id, vars) in &en {
                match other.get(id) {
                    None => problems.push(format!("{id}: in en/{name} but not in {locale}/{name}")),
                    Some(other_vars) if other_vars != vars => problems.push(format!(
                        "{id}: variables differ: en/{name} uses {vars:?}, {locale}/{name} uses {other_vars:?}"
                    )),
                    Some(_) => {}
                }
            }
            for id in other.keys().filter(|id| !en.contains_key(*id)) {
                problems.push(format!("{id}: in {locale}/{name} but not in en/{name}"));
            }
        }
    }
    problems
}

/// Rule: an id is defined once per locale, across all its files — Fluent keeps the first of two
/// definitions (the browser's `addResource` only reports the second), so a desk text and a
/// `netid` text sharing an id would show one of them in the wrong place.
fn duplicate_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (locale, list) in files {
        let mut seen: BTreeMap<String, &String> = BTreeMap::new();
        for (name, text) in list {
            let ast: Ast<&str> = match fluent_syntax::parser::parse(text.as_str()) {
                Ok(ast) | Err((ast, _)) => ast,
            };
            for entry in ast.body {
                if let Entry::Message(m) = entry {
                    let id = m.id.name.to_owned();
                    if let Some(first) = seen.get(&id) {
                        problems.push(format!(
                            "{id}: defined in {locale}/{first} and again in {locale}/{name}"
                        ));
                    } else {
                        seen.insert(id, name);
                    }
                }
            }
        }
    }
    problems
}

/// Every id in `required` is a message of every locale.
fn missing_ids(files: &Files, required: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for (locale, list) in files {
        let ids: BTreeSet<String> = list
            .values()
            .flat_map(|t| messages(t).into_keys())
            .collect();
        for id in required {
            if !ids.contains(id) {
                problems.push(format!("{id}: missing in {locale}"));
            }
        }
    }
    problems
}

/// The verification service's own refusal kinds: service/src/api.rs, the constants
/// `REPLAY_CACHE_RESET`, `REPLAY_CACHE_UNAVAILABLE` and `CHALLENGE_UNKNOWN` (copied, since this
/// crate must not depend on the service).
const SERVICE_REFUSAL_KINDS: &[&str] = &[
    "replay-cache-reset",
    "replay-cache-unavailable",
    "challenge-unknown",
];

fn required_ids() -> Vec<String> {
    let mut ids: Vec<String> = VerifyError::ALL_KINDS
        .iter()
        .chain(SERVICE_REFUSAL_KINDS)
        .map(|k| format!("refusal-{k}"))
        .collect();
    ids.extend(
        ClaimName::ALL
            .iter()
            .map(|c| format!("claim-{}", c.as_str())),
    );
    ids.extend(
        Purpose::ALL
            .iter()
            .map(|p| format!("purpose-{}", p.as_str())),
    );
    ids.extend(
        DocType::ALL
            .iter()
            .map(|d| format!("doctype-{}", d.as_str())),
    );
    ids
}

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_file_parses_without_errors() {
    assert_none(syntax_problems(&read_catalogue(&locales_dir())));
}

#[test]
fn both_languages_have_the_same_ids_and_variables() {
    assert_none(parity_problems(&read_catalogue(&locales_dir())));
}

#[test]
fn every_refusal_kind_claim_purpose_and_document_type_has_a_message() {
    assert_none(missing_ids(
        &read_catalogue(&locales_dir()),
        &required_ids(),
    ));
}

#[test]
fn the_locales_on_disk_are_the_languages_and_resources_compiled_in() {
    let files = read_catalogue(&locales_dir());
    let on_disk: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    let known: BTreeSet<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
    assert_eq!(
        on_disk, known,
        "a locale directory without a Lang, or the reverse"
    );
    for lang in Lang::ALL {
        let compiled: BTreeMap<&str, &str> = lang
            .resources()
            .iter()
            .map(|r| (r.name, r.source))
            .collect();
        let disk = &files[lang.tag()];
        for (name, text) in disk {
            assert_eq!(
                compiled.get(name.as_str()).copied(),
                Some(text.as_str()),
                "{}/{name} is on disk but not in the RESOURCES of {lang:?} (or differs)",
                lang.tag()
            );
        }
        assert_eq!(
            compiled.len(),
            disk.len(),
            "a listed resource is missing on disk"
        );
        assert_eq!(
            netid_i18n::ftl_source(lang),
            lang.resources()
                .iter()
                .map(|r| r.source)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn every_required_message_formats_in_both_languages() {
    for lang in Lang::ALL {
        let catalogue = Catalogue::new(lang);
        for id in required_ids() {
            assert!(catalogue.has(&id), "{id} missing in {lang}");
            let text = catalogue.message(&id, &[]);
            assert!(!text.is_empty() && text != id, "{id} in {lang}: {text:?}");
        }
    }
    let zh = Catalogue::new(Lang::ZhCn);
    assert_eq!(zh.message("claim-id_number", &[]), "公民身份号码");
    assert_eq!(
        zh.message("refusal-expired", &[]),
        "核验码已过期：请住客刷新后重新出示。"
    );
}

// The rules themselves must be able to fail.

fn catalogue_of(en: &str, zh: &str) -> Files {
    let mut files = Files::new();
    files
        .entry("en".into())
        .or_default()
        .insert("netid.ftl".into(), en.into());
    files
        .entry("zh-CN".into())
        .or_default()
        .insert("netid.ftl".into(), zh.into());
    files
}

#[test]
fn a_message_missing_in_one_language_is_named_with_its_file() {
    let problems = parity_problems(&catalogue_of("a = A\nb = B\n", "a = 甲\nc = 丙\n"));
    assert!(
        problems.contains(&"b: in en/netid.ftl but not in zh-CN/netid.ftl".to_owned()),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"c: in zh-CN/netid.ftl but not in en/netid.ftl".to_owned()),
        "{problems:?}"
    );
    let mut files = catalogue_of("a = A\n", "a = 甲\n");
    files
        .get_mut("zh-CN")
        .expect("zh-CN")
        .insert("desk.ftl".into(), "d = 丁\n".into());
    assert_eq!(parity_problems(&files), ["en/desk.ftl is missing"]);
}

#[test]
fn no_message_id_is_defined_twice_in_a_language() {
    assert_none(duplicate_problems(&read_catalogue(&locales_dir())));
}

#[test]
fn an_id_defined_in_two_files_of_a_language_is_reported() {
    let mut files = catalogue_of("a = A\n", "a = 甲\n");
    for (locale, text) in [("en", "a = again\n"), ("zh-CN", "b = 乙\n")] {
        files
            .get_mut(locale)
            .expect("locale")
            .insert("desk.ftl".into(), text.into());
    }
    assert_eq!(
        duplicate_problems(&files),
        ["a: defined in en/desk.ftl and again in en/netid.ftl"]
    );
}

#[test]
fn a_variable_used_in_one_language_only_is_reported() {
    let problems = parity_problems(&catalogue_of(
        "wait = Wait { $seconds } seconds\n",
        "wait = 请等待 { $second } 秒\n",
    ));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("wait: variables differ"),
        "{problems:?}"
    );
    // Inside a select expression too.
    let problems = parity_problems(&catalogue_of(
        "n = { $count ->\n    [one] one { $what }\n   *[other] many\n}\n",
        "n = { $count ->\n   *[other] 多个\n}\n",
    ));
    assert_eq!(problems.len(), 1, "{problems:?}");
}

#[test]
fn junk_in_a_file_is_reported_with_its_line() {
    let problems = syntax_problems(&catalogue_of("a = A\n", "a = 甲\nthis is not fluent\n"));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("zh-CN/netid.ftl:2:"),
        "{problems:?}"
    );
}

#[test]
fn a_missing_refusal_message_is_reported() {
    let problems = missing_ids(
        &catalogue_of("refusal-expired = x\n", "refusal-expired = 甲\n"),
        &["refusal-expired".to_owned(), "refusal-replayed".to_owned()],
    );
    assert_eq!(
        problems,
        [
            "refusal-replayed: missing in en",
            "refusal-replayed: missing in zh-CN"
        ]
    );
}
