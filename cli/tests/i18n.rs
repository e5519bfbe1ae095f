//! The command speaks the clerk's language: `--lang`, else LC_ALL, LC_MESSAGES, then LANG
//! (docs/i18n.md). The same refused code reads in Chinese or English, while `--json` keeps the
//! same machine-readable `kind` in both.

mod support;

use netid_core::credential::Purpose;
use support::*;

const ZH_EXPIRED: &str = "核验码已过期：请住客刷新后重新出示。";
const EN_EXPIRED: &str = "Code expired: ask the resident to refresh it.";

/// A home with an issuer, a code made at `t0`, and `--at` ten minutes later (expired).
fn expired_code() -> (tempfile::TempDir, String, String) {
    let home = home_with_issuer();
    let t0 = now();
    let holder = Holder::new(&dev_issuer(home.path()), t0);
    let text = holder.qr_text(Purpose::HotelCheckIn, t0);
    (home, text, (t0.as_secs() + 10 * 60).to_string())
}

fn stderr_of(cmd: &mut assert_cmd::Command) -> (i32, String) {
    let out = cmd.output().expect("netid runs");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        !stderr.contains(['\u{2068}', '\u{2069}']),
        "no bidi isolation marks on a terminal: {stderr:?}"
    );
    (out.status.code().expect("exit code"), stderr)
}

#[test]
fn a_refused_code_reads_in_chinese_under_a_chinese_locale_and_in_english_with_lang_en() {
    let (home, text, later) = expired_code();
    let verify = ["verify", "--at", later.as_str(), "--text", text.as_str()];

    let (code, zh) = stderr_of(netid(home.path()).env("LANG", "zh_CN.UTF-8").args(verify));
    assert_eq!(code, 1, "{zh}");
    assert!(zh.contains(ZH_EXPIRED), "{zh}");
    assert!(zh.contains("错误：") && zh.contains("下一步："), "{zh}");
    assert!(!zh.contains(EN_EXPIRED), "{zh}");

    let (code, en) = stderr_of(
        netid(home.path())
            .env("LANG", "zh_CN.UTF-8")
            .args(["--lang", "en"])
            .args(verify),
    );
    assert_eq!(code, 1, "{en}");
    assert!(en.contains(EN_EXPIRED), "{en}");
    assert!(en.starts_with("error: "), "{en}");
    assert!(!en.contains(ZH_EXPIRED), "{en}");

    // `--lang zh-CN` wins over an English locale too.
    let (_, zh) = stderr_of(
        netid(home.path())
            .env("LANG", "en_US.UTF-8")
            .args(["--lang", "zh-CN"])
            .args(verify),
    );
    assert!(zh.contains(ZH_EXPIRED), "{zh}");
}

#[test]
fn json_keeps_the_same_kind_in_every_language() {
    let (home, text, later) = expired_code();
    let verify = ["verify", "--at", later.as_str(), "--text", text.as_str()];
    let (zh_code, zh) = json_of(netid(home.path()).env("LANG", "zh_CN.UTF-8").args(verify));
    let (en_code, en) = json_of(netid(home.path()).args(["--lang", "en"]).args(verify));
    assert_eq!((zh_code, en_code), (1, 1));
    assert_eq!(zh["error"]["kind"], "expired", "{zh}");
    assert_eq!(en["error"]["kind"], "expired", "{en}");
    assert_eq!(zh["error"]["message"], ZH_EXPIRED, "{zh}");
    assert_eq!(en["error"]["message"], EN_EXPIRED, "{en}");
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["error"]
            .as_object()
            .expect("error object")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(keys(&zh), keys(&en), "the same field names");
}

#[test]
fn lc_all_overrides_lang_and_lc_messages() {
    let (home, text, later) = expired_code();
    let verify = ["verify", "--at", later.as_str(), "--text", text.as_str()];
    let (_, en) = stderr_of(
        netid(home.path())
            .env("LANG", "zh_CN.UTF-8")
            .env("LC_MESSAGES", "zh_CN.UTF-8")
            .env("LC_ALL", "en_US.UTF-8")
            .args(verify),
    );
    assert!(en.contains(EN_EXPIRED), "{en}");
    let (_, zh) = stderr_of(
        netid(home.path())
            .env("LANG", "en_US.UTF-8")
            .env("LC_ALL", "zh_CN.UTF-8")
            .args(verify),
    );
    assert!(zh.contains(ZH_EXPIRED), "{zh}");
    // Without any locale variable: English.
    let (_, en) = stderr_of(netid(home.path()).args(verify));
    assert!(en.contains(EN_EXPIRED), "{en}");
}

#[test]
fn an_accepted_code_shows_chinese_claim_labels() {
    let home = home_with_issuer();
    let holder = Holder::new(&dev_issuer(home.path()), now());
    let text = holder.qr_text(Purpose::HotelCheckIn, now());
    let out = netid(home.path())
        .env("LANG", "zh_CN.UTF-8")
        .args(["verify", "--text", &text])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        stdout.starts_with("核验通过（酒店入住）：居民身份证"),
        "{stdout}"
    );
    for label in ["姓名", "公民身份号码", "性别", "出生日期"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(label)),
            "{label}: {stdout}"
        );
    }
    assert!(stdout.contains("（由公民身份号码得出）"), "{stdout}");
    assert!(
        !stdout.contains("住址"),
        "the hotel code shows no address: {stdout}"
    );
}

#[test]
fn an_unknown_language_is_a_usage_error() {
    let home = home_with_issuer();
    let (code, v) = json_of(netid(home.path()).args(["--lang", "fr", "verify", "--text", "x"]));
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["error"]["kind"], "usage", "{v}");
}

/// The resident's own wallet output follows the language too: the list, the document's details
/// with their claim labels, and the activity log; `--json` keeps the same field names and kinds.
#[test]
fn the_wallet_speaks_chinese_to_a_chinese_resident() {
    let (home, id) = home_with_enrolled_wallet();
    let zh = |args: &[&str]| {
        let out = wallet(home.path())
            .env("LANG", "zh_CN.UTF-8")
            .args(args)
            .output()
            .expect("netid runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let list = zh(&["list"]);
    assert!(
        list.contains("居民身份证") && list.contains("添加于"),
        "{list}"
    );
    let show = zh(&["show", &id]);
    for label in ["姓名", "公民身份号码", "出生日期", "住址"] {
        assert!(show.contains(label), "{label} missing: {show}");
    }
    assert!(
        show.contains("签发机构") && !show.contains(" from "),
        "{show}"
    );
    let log = zh(&["log"]);
    assert!(
        log.contains("添加证件") && log.contains("查看详情"),
        "{log}"
    );

    let english = wallet(home.path())
        .args(["--lang", "en", "log"])
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .expect("netid runs");
    let english = String::from_utf8(english.stdout).expect("UTF-8");
    assert!(
        english.contains("enrolment") && !english.contains("添加证件"),
        "{english}"
    );
    let (code, v) = json_of(wallet(home.path()).env("LANG", "zh_CN.UTF-8").args(["log"]));
    assert_eq!(code, 0, "{v}");
    let kinds: Vec<&str> = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"enrolment") && kinds.contains(&"details-viewed"),
        "{kinds:?}"
    );
}
