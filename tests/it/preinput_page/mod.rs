//! The resident's pre-input page in a real browser: Debian's Chromium through
//! chromedriver (`tests/stack.sh up` starts it), the page built by `madoguchi preinput build`.
//! The QR code on the screen is read by an independent decoder (zbarimg from zbar-tools) and
//! its digits decoded in Rust.

mod a11y;
mod golden;
mod offline;
mod validation;
mod visits;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::support::webdriver::Session;

/// A phone-sized viewport (CSS pixels).
pub const PHONE: (u32, u32) = (480, 1000);

/// The page as `madoguchi preinput build --out DIR` writes it (built once per test run).
pub fn page_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("madoguchi-preinput-page-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let o = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .args(["preinput", "build", "--out"])
            .arg(&dir)
            .output()
            .expect("run madoguchi preinput build");
        assert!(o.status.success(), "preinput build failed: {}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("index.html"), "{}", String::from_utf8_lossy(&o.stdout));
        dir
    })
}

pub fn page_url() -> String {
    format!("file://{}", page_dir().join("index.html").display())
}

/// A browser on the page's start screen, in `lang` (a page language code).
pub fn open(lang: &str) -> Session {
    let s = Session::start(PHONE.0, PHONE.1, if lang == "en" { "en-US" } else { "ja" });
    s.goto(&page_url());
    s.find("main[data-screen=start]");
    if lang != "ja" || s.attribute("#lang-ja", "aria-pressed").as_deref() != Some("true") {
        s.click(&format!("#lang-{lang}"));
    }
    s
}

/// Set a date control the way its picker does (the typed format of `<input type=date>`
/// follows the browser's locale, the value never does).
pub fn set_date(s: &Session, question: &str, ymd: &str) {
    let css = format!("#q-{question}-input");
    s.find(&css);
    s.exec(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
         e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));",
        json!([css, ymd]),
    );
}

pub fn choose(s: &Session, question: &str, choice: &str) {
    s.click(&format!("#q-{question}-{choice}"));
}

pub fn count(s: &Session, question: &str, n: u32) {
    s.click(&format!("#q-{question}-input option[value=\"{n}\"]"));
}

pub fn type_text(s: &Session, question: &str, text: &str) {
    s.type_into(&format!("#q-{question}-input"), text);
}

/// The screenshot's QR code as zbarimg reads it (digits, no newline).
pub fn zbar(png: &[u8], name: &str) -> String {
    let path = std::env::temp_dir().join(format!("madoguchi-preinput-{}-{name}.png", std::process::id()));
    std::fs::write(&path, png).expect("write screenshot");
    let o = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("zbarimg not found ({e}): `bash tests/stack.sh install` installs zbar-tools"));
    assert!(o.status.success(), "zbarimg found no QR code in {} ({})", path.display(), o.status);
    let _ = std::fs::remove_file(&path);
    String::from_utf8(o.stdout).expect("utf-8").trim_end_matches(['\r', '\n']).to_string()
}

/// The page's own validator and data, for tests that compare it with the Rust side.
pub fn page_data(s: &Session) -> Value {
    s.exec("return JSON.parse(document.getElementById('madoguchi-data').textContent);", json!([]))
}

/// The answers of a 住民票 visit for oneself (the reading with the middle dot of a foreign
/// name), with this phone number.
pub fn answer_juminhyo(s: &Session, phone: &str) {
    choose(s, "requester", "self");
    type_text(s, "applicant_kana", "ジョン・スミス");
    type_text(s, "phone", phone);
    choose(s, "juminhyo_certificate", "all");
    count(s, "juminhyo_copies", 2);
    choose(s, "include_household_head", "yes");
    choose(s, "purpose", "employment");
    type_text(s, "submit_to", "ABC商事");
    choose(s, "id_document", "mynumber_card");
}
