//! Template checking: shipped templates pass, broken ones give the documented errors with
//! file:line:column; the JSON Schema is current and every template validates against it.

use crate::support::forms_support;

use std::path::Path;
use std::process::Command;

use forms_support::*;
use madoguchi::forms::{Catalog, parse_template};

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

#[test]
fn shipped_templates_pass_check_from_disk_and_embedded() {
    let r = root();
    let c = Catalog::load(&r.join("assets/templates"), &r.join("assets/procedures.toml"))
        .unwrap_or_else(|e| panic!("{}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")));
    assert_eq!(c.templates.len(), 8);
    assert_eq!(catalog().templates.len(), 8);
    let out = Command::new(BIN).args(["forms", "check"]).arg(r.join("assets/templates")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK: 8 templates"));
}

fn errors_of(text: &str) -> Vec<String> {
    parse_template(text, Path::new("broken.toml")).unwrap_err().iter().map(ToString::to_string).collect()
}

const MINIMAL: &str = r#"id = "mini"
version = 1
title = { ja = "見本", en = "Sample" }

[[fields]]
id = "name"
label = { ja = "氏名" }
kind = "text"
source = "card_name"
[[fields.print]]
box = [10, 10, 80, 10]
"#;

#[test]
fn minimal_template_is_valid() {
    assert!(parse_template(MINIMAL, Path::new("mini.toml")).is_ok());
}

#[test]
fn broken_templates_give_located_errors_with_fixes() {
    // Syntax: missing closing bracket on line 11.
    let e = errors_of(&MINIMAL.replace("box = [10, 10, 80, 10]", "box = [10, 10, 80, 10"));
    assert!(e[0].starts_with("broken.toml:11:"), "{e:?}");
    assert!(e[0].contains("how to fix / 直し方"));
    // Unknown key (typo) is reported at its line.
    let e = errors_of(&MINIMAL.replace("kind = \"text\"", "kind = \"text\"\nrequird = true"));
    assert!(e[0].starts_with("broken.toml:9:"), "{e:?}");
    assert!(e[0].contains("requird"));
    // Wrong enum value.
    let e = errors_of(&MINIMAL.replace("source = \"card_name\"", "source = \"card_honseki\""));
    assert!(e[0].starts_with("broken.toml:9:") || e[0].starts_with("broken.toml:10:"), "{e:?}");
    // Box outside the page.
    let e = errors_of(&MINIMAL.replace("box = [10, 10, 80, 10]", "box = [180, 10, 80, 10]"));
    assert!(
        e[0].starts_with("broken.toml:6:") && e[0].contains("outside the A4 page") && e[0].contains("用紙"),
        "{e:?}"
    );
    // `when` referring to an unknown field.
    let e = errors_of(
        &MINIMAL.replace("source = \"card_name\"", "source = \"card_name\"\nwhen = { field = \"nope\", in = [\"x\"] }"),
    );
    assert!(e[0].starts_with("broken.toml:10:") && e[0].contains("\"nope\" does not name a field"), "{e:?}");
    // 本籍 taken from the card is refused.
    let e = errors_of(&MINIMAL.replace("id = \"name\"", "id = \"honseki\""));
    assert!(e[0].contains("本籍/筆頭者") && e[0].contains("must be an answer"), "{e:?}");
    // Date part on a text field; duplicate ids; every error is reported, not just the first.
    let two =
        format!("{MINIMAL}part = \"era\"\n[[fields]]\nid = \"name\"\nlabel = {{ ja = \"x\" }}\nkind = \"text\"\n");
    let e = errors_of(&two);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e.iter().any(|m| m.contains("used twice")) && e.iter().any(|m| m.contains("part \"era\"")));
}

#[test]
fn forms_check_cli_lists_every_error_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("templates");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(tdir.join("a.toml"), MINIMAL.replace("box = [10, 10, 80, 10]", "box = [180, 10, 80, 10]")).unwrap();
    std::fs::write(tdir.join("b.toml"), "id = \"b\"\nversion = \"one\"\n").unwrap();
    std::fs::write(
        dir.path().join("procedures.toml"),
        "[[procedures]]\nid = \"p\"\ntitle = { ja = \"p\" }\nforms = [\"zzz\"]\n",
    )
    .unwrap();
    let out = Command::new(BIN).args(["forms", "check"]).arg(&tdir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a.toml:6:"), "{err}");
    assert!(err.contains("b.toml:2:11"), "{err}");
    assert!(err.contains("procedures.toml:4:"), "{err}");
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[test]
fn schema_file_is_current() {
    let path = root().join("assets/schema/template.schema.json");
    let want = madoguchi::forms::schema::template_schema_json();
    if std::env::var_os("MADOGUCHI_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).expect("schema file missing: run with MADOGUCHI_UPDATE_GOLDEN=1");
    assert_eq!(
        have, want,
        "schema is stale: regenerate with MADOGUCHI_UPDATE_GOLDEN=1 cargo test --test it forms::templates"
    );
}

/// A small JSON Schema validator for the subset schemars emits (type, properties, required,
/// additionalProperties, enum/const, items, $ref, oneOf/anyOf).
fn validate(
    schema: &serde_json::Value,
    root: &serde_json::Value,
    v: &serde_json::Value,
    path: &str,
    errs: &mut Vec<String>,
) {
    use serde_json::Value as J;
    let Some(s) = schema.as_object() else { return };
    if let Some(J::String(r)) = s.get("$ref") {
        let name = r.trim_start_matches("#/$defs/");
        return validate(&root["$defs"][name], root, v, path, errs);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(J::Array(alts)) = s.get(key) {
            let ok = alts
                .iter()
                .filter(|a| {
                    let mut e = Vec::new();
                    validate(a, root, v, path, &mut e);
                    e.is_empty()
                })
                .count();
            if (key == "oneOf" && ok != 1) || ok == 0 {
                errs.push(format!("{path}: matches {ok} alternatives of {key}"));
            }
        }
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errs.push(format!("{path}: not {c}"));
    }
    if let Some(J::Array(e)) = s.get("enum")
        && !e.contains(v)
    {
        errs.push(format!("{path}: {v} not in enum"));
    }
    let types: Vec<&str> = match s.get("type") {
        Some(J::String(t)) => vec![t.as_str()],
        Some(J::Array(ts)) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => true,
        });
        if !ok {
            errs.push(format!("{path}: expected {types:?}, got {v}"));
            return;
        }
    }
    if let (Some(o), Some(J::Object(props))) = (v.as_object(), s.get("properties")) {
        if let Some(J::Array(req)) = s.get("required") {
            for r in req.iter().filter_map(|r| r.as_str()) {
                if !o.contains_key(r) {
                    errs.push(format!("{path}: missing {r}"));
                }
            }
        }
        for (k, x) in o {
            match props.get(k) {
                Some(ps) => validate(ps, root, x, &format!("{path}.{k}"), errs),
                None if s.get("additionalProperties") == Some(&J::Bool(false)) => {
                    errs.push(format!("{path}: unknown key {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(a), Some(items)) = (v.as_array(), s.get("items")) {
        for (i, x) in a.iter().enumerate() {
            validate(items, root, x, &format!("{path}[{i}]"), errs);
        }
    }
}

#[test]
fn every_shipped_template_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&madoguchi::forms::schema::template_schema_json()).unwrap();
    for entry in std::fs::read_dir(root().join("assets/templates")).unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        let json = serde_json::to_value(&value).unwrap();
        let mut errs = Vec::new();
        validate(&schema, &schema, &json, "$", &mut errs);
        assert!(errs.is_empty(), "{}: {errs:?}", p.display());
    }
    // And the validator is not vacuous: a typo'd key is rejected.
    let bad: toml::Value =
        toml::from_str(&MINIMAL.replace("kind = \"text\"", "kind = \"text\"\nrequird = true")).unwrap();
    let mut errs = Vec::new();
    validate(&schema, &schema, &serde_json::to_value(&bad).unwrap(), "$", &mut errs);
    assert!(errs.iter().any(|e| e.contains("requird")), "{errs:?}");
}

#[test]
fn shared_field_ids_must_mean_the_same_in_every_template() {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("templates");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(tdir.join("a.toml"), MINIMAL.replace("\"mini\"", "\"a\"")).unwrap();
    let b = MINIMAL.replace("\"mini\"", "\"b\"").replace("source = \"card_name\"", "source = \"answer\"");
    std::fs::write(tdir.join("b.toml"), b).unwrap();
    std::fs::write(dir.path().join("procedures.toml"), "").unwrap();
    let errs = Catalog::load(&tdir, &dir.path().join("procedures.toml")).unwrap_err();
    assert_eq!(errs.len(), 1);
    let msg = errs[0].to_string();
    assert!(
        msg.contains("\"name\"") && msg.contains("mean the same everywhere") && msg.contains("IDを変えて"),
        "{msg}"
    );
}

fn with_requester(id: &str, kind: &str, choices: &[(&str, &str)]) -> String {
    let cs: Vec<String> =
        choices.iter().map(|(v, l)| format!("{{ value = \"{v}\", label = {{ ja = \"{l}\" }} }}")).collect();
    let choices = if cs.is_empty() { String::new() } else { format!("choices = [{}]\n", cs.join(", ")) };
    format!(
        "id = \"{id}\"\nversion = 1\ntitle = {{ ja = \"{id}\" }}\n\n[[fields]]\nid = \"phone\"\nlabel = {{ ja = \"電話\" }}\nkind = \"phone\"\n\n[[fields]]\nid = \"requester\"\nlabel = {{ ja = \"請求者\" }}\nkind = \"{kind}\"\n{choices}"
    )
}

fn load_pair(a: &str, b: &str) -> (tempfile::TempDir, Result<Catalog, Vec<madoguchi::forms::TemplateError>>) {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("templates");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(tdir.join("alpha.toml"), a).unwrap();
    std::fs::write(tdir.join("beta.toml"), b).unwrap();
    std::fs::write(
        dir.path().join("procedures.toml"),
        "[[procedures]]\nid = \"p\"\ntitle = { ja = \"p\" }\nforms = [\"alpha\", \"beta\"]\n",
    )
    .unwrap();
    let r = Catalog::load(&tdir, &dir.path().join("procedures.toml"));
    (dir, r)
}

#[test]
fn loader_rejects_a_shared_answer_declared_differently_naming_both_templates() {
    let two = [("self", "本人"), ("proxy", "代理人")];
    // Same id, same kind and choices: fine, and asked once.
    let (_d, ok) = load_pair(&with_requester("alpha", "choice", &two), &with_requester("beta", "choice", &two));
    let ok = ok.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(ok.questions(&["p"]).iter().filter(|q| q.id == "requester").count(), 1);
    // Different choice sets (the old requester conflict).
    let three = [("self", "本人"), ("proxy", "代理人"), ("third_party", "第三者")];
    let (_d, e) = load_pair(&with_requester("alpha", "choice", &two), &with_requester("beta", "choice", &three));
    let e = e.unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    let msg = e[0].to_string();
    // Located at the id in the second file; names the first one; English and Japanese; how to fix.
    assert!(msg.contains("beta.toml:11:"), "{msg}");
    assert!(msg.contains("alpha.toml") && msg.contains("\"requester\"") && msg.contains("choices"), "{msg}");
    assert!(msg.contains("選択肢") && msg.contains("直し方"), "{msg}");
    // Same values, different labels: the kiosk would show one form's wording for both.
    let relabelled = [("self", "ご本人"), ("proxy", "代理人")];
    let (_d, e) = load_pair(&with_requester("alpha", "choice", &two), &with_requester("beta", "choice", &relabelled));
    assert!(e.unwrap_err()[0].to_string().contains("choices"));
    // Different kind.
    let (_d, e) = load_pair(&with_requester("alpha", "choice", &two), &with_requester("beta", "text", &[]));
    let msg = e.unwrap_err()[0].to_string();
    assert!(msg.contains("kind") && msg.contains("alpha.toml"), "{msg}");
    // `forms check` reports it and exits non-zero.
    let (dir, _) = load_pair(&with_requester("alpha", "choice", &two), &with_requester("beta", "choice", &three));
    let out = Command::new(BIN).args(["forms", "check"]).arg(dir.path().join("templates")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("beta.toml") && err.contains("alpha.toml") && err.contains("1 problem(s)"), "{err}");
}

#[test]
fn broken_groups_and_conditions_give_located_errors() {
    let base = r#"id = "g"
version = 1
title = { ja = "g" }

[[fields]]
id = "n"
label = { ja = "人数" }
kind = "count"
max = 9

[[groups]]
id = "row"
count = "n"
first = 1
last = 3
step = [0, 10]

[[groups.fields]]
id = "name"
label = { ja = "{n}人目" }
kind = "text"
"#;
    let e = errors_of(base);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("broken.toml:12:") && e[0].contains("at most last = 3") && e[0].contains("行数"), "{e:?}");
    let e = errors_of(&base.replace("max = 9", "max = 3").replace("count = \"n\"", "count = \"zz\""));
    assert!(e[0].contains("not a count field") && e[0].contains("直し方"), "{e:?}");
    let e = errors_of(
        &base
            .replace("max = 9", "max = 3")
            .replace("kind = \"text\"", "kind = \"text\"\nwhen = { field = \"n\", at_least = 1 }"),
    );
    assert!(e[0].contains("may not have its own `when`"), "{e:?}");
    // A valid group expands into fields with `at_least` conditions.
    let t = parse_template(&base.replace("max = 9", "max = 3"), Path::new("g.toml")).unwrap();
    let ids: Vec<&str> = t.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["n", "row1_name", "row2_name", "row3_name"]);
    assert_eq!(t.fields[3].label.ja, "3人目");
    // `when` with nothing to test, and at_least on a non-count.
    let e =
        errors_of(&MINIMAL.replace("source = \"card_name\"", "source = \"card_name\"\nwhen = { field = \"name\" }"));
    assert!(e.iter().any(|m| m.contains("neither `in` nor `at_least`")), "{e:?}");
    let e = errors_of(
        &MINIMAL.replace("source = \"card_name\"", "source = \"card_name\"\nwhen = { field = \"name\", at_least = 2 }"),
    );
    assert!(e.iter().any(|m| m.contains("not a count field")), "{e:?}");
}

/// One template `mini.toml` (from `text`) and `base.pdf` (from `base`, when given) in a
/// fresh folder, loaded as a catalog: its errors as text.
fn load_errors(text: &str, base: Option<&[u8]>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let tdir = dir.path().join("templates");
    std::fs::create_dir(&tdir).unwrap();
    std::fs::write(tdir.join("mini.toml"), text).unwrap();
    if let Some(b) = base {
        std::fs::write(tdir.join("base.pdf"), b).unwrap();
    }
    std::fs::write(dir.path().join("procedures.toml"), "").unwrap();
    match Catalog::load(&tdir, &dir.path().join("procedures.toml")) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn templates_over_the_caps_and_broken_base_pdfs_are_refused_at_load() {
    use madoguchi::forms::loader::{MAX_FIELDS, MAX_PAGES, MAX_TEMPLATE_BYTES};
    // Too many pages.
    let pages = MINIMAL.replace(
        "title = { ja = \"見本\", en = \"Sample\" }",
        &format!("title = {{ ja = \"見本\", en = \"Sample\" }}\n[page]\npages = {}", MAX_PAGES + 1),
    );
    let e = load_errors(&pages, None);
    assert!(
        e.iter().any(|m| m.contains(&format!("more than {MAX_PAGES} pages")) && m.contains("大きすぎます")),
        "{e:?}"
    );
    // Too many fields (each a valid answer field).
    let mut fields = MINIMAL.to_string();
    for n in 0..MAX_FIELDS {
        fields.push_str(&format!("\n[[fields]]\nid = \"f{n}\"\nlabel = {{ ja = \"項目\" }}\nkind = \"text\"\n"));
    }
    let e = load_errors(&fields, None);
    assert!(e.iter().any(|m| m.contains(&format!("more than {MAX_FIELDS} fields"))), "{e:?}");
    // A file over the byte cap is refused before it is parsed (padding in a TOML comment).
    let mut big = MINIMAL.to_string();
    big.push('#');
    big.push_str(&"x".repeat(MAX_TEMPLATE_BYTES as usize));
    let e = load_errors(&big, None);
    assert!(e.iter().any(|m| m.contains("file bytes")), "{e:?}");

    // A base PDF that is not a PDF, and one with fewer pages than the template declares.
    let with_base = MINIMAL.replace(
        "title = { ja = \"見本\", en = \"Sample\" }",
        "title = { ja = \"見本\", en = \"Sample\" }\nbase_pdf = \"base.pdf\"",
    );
    let e = load_errors(&with_base, Some(b"%PDF-1.7\nnot really a pdf"));
    assert!(e.iter().any(|m| m.contains("base_pdf:") && m.contains("台紙")), "{e:?}");
    let form = madoguchi::forms::FilledForm {
        template: std::borrow::Cow::Owned(catalog().template("juminhyo").unwrap().clone()),
        values: Default::default(),
        stamp: std::borrow::Cow::Owned(madoguchi::forms::sample::sample_stamp()),
    };
    let one_page = madoguchi::forms::render_pdf(&[form], &fonts()).unwrap();
    let two_pages = with_base.replace("[[fields]]", "[page]\npages = 2\n\n[[fields]]");
    let e = load_errors(&two_pages, Some(&one_page));
    assert!(e.iter().any(|m| m.contains("page.pages = 2")), "{e:?}");
    // The same one-page base with a one-page template loads.
    assert_eq!(load_errors(&with_base, Some(&one_page)), Vec::<String>::new());
}
