//! The committed Android and iOS string resources are what the generator makes from the current
//! catalogue: change a message, run `cargo run -p netid-i18n --bin gen-host-strings` (or
//! scripts/gen-bindings.sh), commit the result.

use std::path::Path;

#[test]
fn committed_host_strings_match_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = netid_i18n::host::generate().expect("the catalogue converts to host strings");
    assert_eq!(files.len(), 4, "Android and iOS, English and Chinese");
    let mut stale = Vec::new();
    for file in &files {
        match std::fs::read_to_string(root.join(file.path)) {
            Ok(text) if text == file.text => {}
            Ok(_) => stale.push(format!("{} differs", file.path)),
            Err(e) => stale.push(format!("{}: {e}", file.path)),
        }
    }
    assert!(
        stale.is_empty(),
        "host strings are stale ({}): run `cargo run -p netid-i18n --bin gen-host-strings`",
        stale.join("; ")
    );
}

#[test]
fn every_resident_facing_prefix_is_exported() {
    let files = netid_i18n::host::generate().expect("converts");
    let en = files
        .iter()
        .find(|f| f.path.ends_with("en.lproj/NetID.strings"))
        .expect("English iOS file");
    for id in [
        "refusal-expired",
        "wallet-error-locked-out",
        "next-step-try-again",
        "request-refusal-unknown-registrar",
        "prompt-show-qr-title",
        "consent-confirm",
        "claim-id_number",
        "purpose-hotel",
    ] {
        assert!(en.text.contains(&format!("\"{id}\" = ")), "{id}");
    }
    assert!(
        !en.text.contains("\"cli-"),
        "the command line's own words stay out of the apps"
    );
}

/// XML 1.0 §2.5: a comment may not contain `--`; aapt2 (and every XML parser) refuses the whole
/// resource file. The header once named `cargo run … --bin …`.
#[test]
fn android_resource_comments_are_well_formed_xml() {
    let files = netid_i18n::host::generate().expect("converts");
    let android: Vec<_> = files.iter().filter(|f| f.path.ends_with(".xml")).collect();
    assert_eq!(android.len(), 2, "English and Chinese");
    for file in android {
        let mut rest = file.text.as_str();
        let mut comments = 0;
        while let Some(start) = rest.find("<!--") {
            let after = &rest[start + 4..];
            let end = after
                .find("-->")
                .unwrap_or_else(|| panic!("{}: a comment is never closed", file.path));
            let body = &after[..end];
            assert!(
                !body.contains("--") && !body.ends_with('-'),
                "{}: comment {body:?} contains `--`",
                file.path
            );
            comments += 1;
            rest = &after[end + 3..];
        }
        assert!(
            comments > 2,
            "{}: the header and argument comments",
            file.path
        );
    }
}
