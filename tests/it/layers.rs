//! The crate's layers depend inward: `vocab` on nothing but `i18n`; the session (the kiosk's
//! core) on `vocab` and `i18n` only, never on the card, forms, output or statistics layers
//! it drives through its ports; the UI glue on the session, not on the layers behind it;
//! only `wiring` (and the `cli` that starts it) knows every layer. Read from the source, so
//! a `use crate::card::…` added to the session fails here before it becomes a habit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LAYERS: &[&str] =
    &["card", "forms", "vocab", "session", "wiring", "ui", "output", "preinput", "stats", "config", "i18n", "cli"];

/// Which layers each layer names (`crate::x` / `madoguchi::x`), outside test modules and comments.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = crate::support::forms_support::root().join("src");
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let layer = layer_of(&src, &path);
            if !LAYERS.contains(&layer.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source readable");
            // Test modules may use anything (fixtures); they come last in a file.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let named = deps.entry(layer.clone()).or_default();
            for line in code.lines().map(|l| l.split("//").next().unwrap_or_default()) {
                for root in ["crate::", "madoguchi::"] {
                    for (i, _) in line.match_indices(root) {
                        let rest = &line[i + root.len()..];
                        let name: String =
                            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                        if LAYERS.contains(&name.as_str()) && name != layer {
                            named.insert(name);
                        }
                    }
                }
            }
        }
    }
    deps
}

fn layer_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

fn assert_only(deps: &BTreeMap<String, BTreeSet<String>>, layer: &str, allowed: &[&str]) {
    let named = deps.get(layer).cloned().unwrap_or_default();
    let extra: Vec<&String> = named.iter().filter(|n| !allowed.contains(&n.as_str())).collect();
    assert!(extra.is_empty(), "src/{layer} depends on {extra:?}; it may use only {allowed:?}");
}

#[test]
fn every_layer_depends_inward_and_only_wiring_knows_them_all() {
    let deps = dependencies();
    assert!(deps.get("wiring").is_some_and(|w| w.contains("card") && w.contains("session")), "the scan reads src");
    assert_only(&deps, "i18n", &[]);
    assert_only(&deps, "vocab", &["i18n"]);
    assert_only(&deps, "session", &["vocab", "i18n"]);
    assert_only(&deps, "card", &["vocab", "i18n"]);
    assert_only(&deps, "forms", &["vocab", "i18n"]);
    assert_only(&deps, "output", &["vocab", "i18n"]);
    assert_only(&deps, "stats", &["vocab", "i18n"]);
    assert_only(&deps, "ui", &["session", "vocab", "i18n", "config"]);
    assert_only(&deps, "preinput", &["forms", "vocab", "i18n"]);
    for layer in ["card", "forms", "output", "stats", "session", "ui", "vocab", "preinput", "config"] {
        let named = deps.get(layer).cloned().unwrap_or_default();
        assert!(!named.contains("wiring") && !named.contains("cli"), "src/{layer} reaches out to {named:?}");
    }
}
