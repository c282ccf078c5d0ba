//! The page's validator (assets/preinput/validate.js, run in Chromium) and the kiosk's
//! (`forms::validate::check_answer`, `Catalog::check`) give the same verdict on the same cases.

use chrono::NaiveDate;
use madoguchi::forms::model::{Field, FieldKind};
use madoguchi::forms::validate::{Problem, check_answer};
use madoguchi::forms::{CardView, Catalog, FillInput, sample};
use madoguchi::preinput::page::field_json;
use madoguchi::vocab::person::SecretString;
use madoguchi::vocab::{AnswerValue, Answers};
use serde_json::{Value, json};

use super::open;

fn field(toml_text: &str) -> Field {
    toml::from_str(&format!("id = \"f\"\nlabel = {{ ja = \"欄\" }}\n{toml_text}")).expect("field TOML")
}

fn answer(kind: FieldKind, v: &Value) -> AnswerValue {
    match (kind, v) {
        (_, Value::Bool(b)) => AnswerValue::YesNo(*b),
        (_, Value::Number(n)) => AnswerValue::Count(n.as_u64().unwrap() as u32),
        (FieldKind::Choice, Value::String(s)) => AnswerValue::Choice(s.clone()),
        (FieldKind::Date, Value::String(s)) => AnswerValue::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()),
        (_, Value::String(s)) => AnswerValue::Text(SecretString::new(s.as_str())),
        other => panic!("no answer for {other:?}"),
    }
}

fn value_json(v: &AnswerValue) -> Value {
    match v {
        AnswerValue::Choice(c) => json!(c),
        AnswerValue::YesNo(b) => json!(b),
        AnswerValue::Count(n) => json!(n),
        AnswerValue::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
        AnswerValue::Text(t) => json!(t.expose()),
    }
}

/// The Rust verdict in the shape validate.js returns.
fn rust_verdict(f: &Field, v: &Value) -> Value {
    match check_answer(f, &answer(f.kind, v)) {
        Ok(Some(a)) => json!({ "ok": true, "value": value_json(&a) }),
        Ok(None) => json!({ "ok": true, "value": null }),
        Err(p) => json!({ "ok": false, "problem": problem_json(&p) }),
    }
}

fn problem_json(p: &Problem) -> Value {
    match p {
        Problem::Missing { choose } => json!({ "kind": "missing", "choose": choose }),
        Problem::NotAnAnswer => json!({ "kind": "not_an_answer" }),
        Problem::OutOfRange { min, max } => json!({ "kind": "out_of_range", "min": min, "max": max }),
        Problem::TooLong { max } => json!({ "kind": "too_long", "max": max }),
        Problem::Character { kana, code_point } => {
            json!({ "kind": "character", "kana": kana, "codePoint": code_point })
        }
        Problem::Phone => json!({ "kind": "phone" }),
        Problem::DateTooEarly => json!({ "kind": "date_too_early" }),
        Problem::Rule(_) => json!({ "kind": "rule" }),
        other => json!({ "kind": format!("{other:?}") }),
    }
}

#[test]
fn the_page_and_the_kiosk_judge_every_answer_alike() {
    let kana = "kind = \"kana\"\nmax_len = 10";
    let text = "kind = \"text\"\nmax_len = 8";
    let digits = "kind = \"text\"\nmax_len = 7\nchars = [\"digit\"]";
    let name = "kind = \"text\"\nchars = [\"kanji\", \"hiragana\", \"katakana\", \"space\"]";
    let phone = "kind = \"phone\"\nmax_len = 13";
    let count = "kind = \"count\"\nmin = 1\nmax = 4";
    let open_count = "kind = \"count\"";
    let date = "kind = \"date\"";
    let choice = "kind = \"choice\"\nchoices = [{ value = \"self\", label = { ja = \"本人\" } }, { value = \"proxy\", label = { ja = \"代理人\" } }]";
    let yesno = "kind = \"checkbox\"";
    let cases: Vec<(&str, Value)> = vec![
        (kana, json!("ヤマダ タロウ")),
        (kana, json!("やまだ　たろう")),
        (kana, json!("ジョン・スミス")),
        (kana, json!("ｼﾞｮﾝ")),
        (kana, json!("ヴォーン")),
        (kana, json!("ゝゞヽヾ")),
        (kana, json!("山田")),
        (kana, json!("ヤマ𠮷")),
        (kana, json!("Yamada")),
        (kana, json!("ヤマダ-タロウ")),
        (kana, json!("  ヤマダ  ")),
        (kana, json!("\u{3000}\u{3000}")),
        (kana, json!("\u{85}ヤマダ")),
        (kana, json!("\u{feff}ヤマダ")),
        (kana, json!("アイウエオカキクケコサ")),
        (kana, json!("アイウエオカキクケコ")),
        (kana, json!("")),
        (text, json!("😀😀😀😀😀😀😀😀")),
        (text, json!("😀😀😀😀😀😀😀😀😀")),
        (text, json!("a\tb")),
        (text, json!("a\u{7f}b")),
        (text, json!("東京都")),
        (digits, json!("1234567")),
        (digits, json!("１２３４５６７")),
        (digits, json!("12345a")),
        (digits, json!("123 456")),
        (digits, json!("12345678")),
        (name, json!("山田 花子")),
        (name, json!("山田・花子")),
        (name, json!("々〆〇")),
        (name, json!("丼𠮟")),
        (name, json!("ABC")),
        (phone, json!("03-1234-5678")),
        (phone, json!("090-1234-5678")),
        (phone, json!("０９０－１２３４－５６７８")),
        (phone, json!("0312345678")),
        (phone, json!("1234")),
        (phone, json!("03-1234-567a")),
        (phone, json!("090 1234 5678")),
        (phone, json!("012345678901")),
        (phone, json!("03-1234-5678-9999")),
        (count, json!(0)),
        (count, json!(1)),
        (count, json!(4)),
        (count, json!(5)),
        (open_count, json!(0)),
        (open_count, json!(1000)),
        (date, json!("1868-10-22")),
        (date, json!("1868-10-23")),
        (date, json!("2026-02-28")),
        (date, json!("1900-01-01")),
        (choice, json!("self")),
        (choice, json!("family")),
        (yesno, json!(true)),
        (yesno, json!(false)),
        (kana, json!(true)),
        (count, json!("3")),
        (choice, json!(1)),
    ];
    let s = open("ja");
    let mut disagree = Vec::new();
    for (spec, v) in &cases {
        let f = field(spec);
        let fj = field_json(&f).expect("an answered field");
        let rust = rust_verdict(&f, v);
        let js = s.exec("return MadoguchiValidate.checkAnswer(arguments[0], arguments[1]);", json!([fj, v]));
        if rust != js {
            disagree.push(format!("{spec:?} with {v}: kiosk {rust}, page {js}"));
        }
    }
    assert!(disagree.is_empty(), "{} of {} cases differ:\n{}", disagree.len(), cases.len(), disagree.join("\n"));
}

/// Whole visits through `Catalog::check` (required answers, conditions, the legal rules) and
/// the page's `check` over the page's own data.
#[test]
fn the_page_and_the_kiosk_refuse_the_same_visits() {
    let c = Catalog::embedded().unwrap();
    let persona = madoguchi::card::sim::persona::builtin_by_id("typical").unwrap();
    let attrs = persona.attributes();
    let stamp = sample::sample_stamp();
    let visits: Vec<(Vec<&str>, Value)> = vec![
        (vec!["juminhyo"], json!({})),
        (
            vec!["juminhyo"],
            json!({ "requester": "family", "phone": "0312345678", "juminhyo_certificate": "all", "juminhyo_copies": 1, "purpose": "employment", "id_document": "license" }),
        ),
        (
            vec!["juminhyo"],
            json!({ "requester": "proxy", "phone": "0312345678", "juminhyo_certificate": "all", "juminhyo_copies": 1, "purpose": "employment", "id_document": "license", "proxy_address": "東京都", "proxy_name": "代理", "target_address": "東京都", "target_name": "山田", "power_of_attorney": false, "include_my_number": true }),
        ),
        (
            vec!["juminhyo"],
            json!({ "requester": "self", "phone": "0312345678", "juminhyo_certificate": "all", "juminhyo_copies": 1, "purpose": "employment", "id_document": "license" }),
        ),
        (vec!["koseki"], json!({})),
        (vec!["inkan-shomei"], json!({ "requester": "household" })),
        (vec!["tennyu", "jidou-teate"], json!({ "move_type": "tennyu", "members": 3, "children": 2, "spouse": "yes" })),
        (vec!["tennyu"], json!({ "move_type": "tenkyo", "special_tennyu": true, "members": 1 })),
    ];
    let s = open("ja");
    let data = super::page_data(&s);
    let mut disagree = Vec::new();
    for (procs, given) in &visits {
        let mut answers = Answers::default();
        let forms = c.forms_for(procs);
        for (id, v) in given.as_object().unwrap() {
            let f = forms.iter().flat_map(|t| &t.fields).find(|f| &f.id == id).unwrap_or_else(|| panic!("{id}"));
            answers.set(id.clone(), answer(f.kind, v));
        }
        let input = FillInput {
            card: CardView::of(&attrs, Some(&persona.my_number)),
            answers: &answers,
            signature: None,
            stamp: &stamp,
        };
        let mut rust: Vec<String> =
            c.check(procs, &input).iter().map(|e| format!("{} {}", e.field, problem_json(&e.problem))).collect();
        let templates: Vec<Value> = forms
            .iter()
            .map(|t| data["templates"].as_array().unwrap().iter().find(|x| x["id"] == t.id.as_str()).unwrap().clone())
            .collect();
        let js = s.exec(
            "const kinds = {}; arguments[0].forEach(t => t.fields.forEach(f => kinds[f.id] = f.kind)); \
             return MadoguchiValidate.check(arguments[0], arguments[1], id => kinds[id]);",
            json!([templates, given]),
        );
        let mut page: Vec<String> = js
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let p = if e["problem"]["kind"] == "rule" { json!({ "kind": "rule" }) } else { e["problem"].clone() };
                format!("{} {p}", e["field"].as_str().unwrap())
            })
            .collect();
        rust.sort();
        page.sort();
        rust.dedup();
        page.dedup();
        assert!(!rust.is_empty() || procs == &["juminhyo"], "the visit {procs:?} {given} is a real refusal case");
        if rust != page {
            disagree.push(format!("{procs:?} {given}:\n  kiosk {rust:?}\n  page  {page:?}"));
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
}
