//! Golden screenshots of the page on a phone-sized viewport, compared with a tolerance
//! (anti-aliasing). `MADOGUCHI_UPDATE_GOLDEN=1 cargo test --test it preinput_page::golden`
//! rewrites them; look at the PNGs under tests/golden/preinput/ before committing.

use std::path::PathBuf;

use super::{choose, open};
use crate::support::golden::{changed_share, rgba};
use crate::support::webdriver::Session;

/// Up to this share of changed pixels is accepted.
const MAX_CHANGED: f64 = 0.003;

fn golden(s: &Session, name: &str, failures: &mut Vec<String>) {
    let png = s.screenshot();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/preinput/{name}.png"));
    if std::env::var_os("MADOGUCHI_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &png).unwrap();
        return;
    }
    let Ok(want) = std::fs::read(&path) else {
        failures.push(format!("{name}: no golden {} (run with MADOGUCHI_UPDATE_GOLDEN=1)", path.display()));
        return;
    };
    let (w, h, a) = rgba(&png);
    let (gw, gh, g) = rgba(&want);
    if (w, h) != (gw, gh) {
        failures.push(format!("{name}: size {w}×{h}, golden {gw}×{gh}"));
        return;
    }
    let share = changed_share(&a, &g);
    if share > MAX_CHANGED {
        let out = std::env::temp_dir().join(format!("madoguchi-actual-preinput-{name}.png"));
        let _ = std::fs::write(&out, &png);
        failures.push(format!("{name}: {:.2}% pixels differ (actual in {})", share * 100.0, out.display()));
    }
}

#[test]
fn the_screens_match_their_goldens() {
    let mut failures = Vec::new();
    let s = open("ja");
    golden(&s, "start-ja", &mut failures);
    s.click("#start-guide");
    choose(&s, "guide-event", "moving-in");
    choose(&s, "children_under_15", "yes");
    s.click("#next");
    golden(&s, "guide-result-ja", &mut failures);
    s.click("#next");
    s.click("#make-code");
    s.exec("window.scrollTo(0, 0);", serde_json::json!([]));
    golden(&s, "questions-errors-ja", &mut failures);
    drop(s);
    let s = open("ja-easy");
    golden(&s, "start-ja-easy", &mut failures);
    drop(s);
    let s = open("en");
    s.click("#larger");
    golden(&s, "start-en-larger", &mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
