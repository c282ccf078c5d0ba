//! axe-core (installed by `tests/stack.sh install` into the stack's npm prefix, path in
//! `MADOGUCHI_TEST_AXE`; never committed) finds no WCAG 2.2 A/AA violation on any screen of
//! the page, in each language, with the errors shown and with larger text.

use serde_json::{Value, json};

use super::{choose, open};
use crate::support::webdriver::Session;

fn axe_source() -> String {
    let path = std::env::var("MADOGUCHI_TEST_AXE").unwrap_or_else(|_| {
        panic!("MADOGUCHI_TEST_AXE is not set: `bash tests/stack.sh install` installs axe-core, `eval \"$(bash tests/stack.sh env)\"` names it")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core at {path}: {e} (bash tests/stack.sh install)"))
}

/// Violations on the current screen: "rule (impact): target …".
fn violations(s: &Session, axe: &str) -> Vec<String> {
    // Injected through WebDriver, which the page's CSP does not govern.
    s.exec(&format!("{axe}\n;return typeof axe;"), json!([]));
    let r = s.exec_async(
        "const done = arguments[arguments.length - 1]; \
         axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }) \
           .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')))) \
           .catch(e => done(['axe failed: ' + e]));",
        json!([]),
    );
    r.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

#[test]
fn every_screen_passes_axe_wcag_2_2_aa() {
    let axe = axe_source();
    let mut found = Vec::new();
    let mut check = |s: &Session, what: &str| {
        let screen = s.attribute("main", "data-screen").unwrap_or_default();
        for v in violations(s, &axe) {
            found.push(format!("{what} [{screen}]: {v}"));
        }
    };
    for lang in ["ja", "ja-easy", "en"] {
        let s = open(lang);
        check(&s, lang);
        s.click("#start-guide");
        choose(&s, "guide-event", "moving-in");
        check(&s, lang);
        s.click("#next");
        check(&s, lang);
        s.click("#next");
        s.click("#make-code"); // every required question unanswered: errors on the screen
        s.find("#errors:not([hidden])");
        check(&s, lang);
    }
    let s = open("ja");
    s.click("#larger");
    s.click("#start-pick");
    s.click("#p-shotoku-kazei");
    s.click("#next");
    check(&s, "ja larger");
    assert!(found.is_empty(), "axe-core WCAG 2.2 AA violations:\n{}", found.join("\n"));
}

#[test]
fn the_code_screen_passes_axe_wcag_2_2_aa() {
    let axe = axe_source();
    let s = open("ja");
    s.click("#start-pick");
    s.click("#p-juminhyo");
    s.click("#next");
    super::answer_juminhyo(&s, "03-1234-5678");
    s.click("#make-code");
    s.find("main[data-screen=code]");
    let v = violations(&s, &axe);
    assert!(v.is_empty(), "axe-core WCAG 2.2 AA violations on the code screen:\n{}", v.join("\n"));
}
