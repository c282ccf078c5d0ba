//! The resident's pre-input page: static HTML/CSS/JS a city puts on its own website. It is
//! generated from the kiosk's own catalog (templates, procedures, life events) and the kiosk's
//! translation catalogs, so an administrator edits a template once and the kiosk and the page
//! stay in step. The data is embedded as JSON in `index.html`; the scripts are the files in
//! `assets/preinput/` (no third-party code). The page never asks what the card gives: only
//! fields the resident answers (`source = "answer"`, not the signature) are in it.
//!
//! Sans-IO except [`write`], which puts the files in a directory.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::forms::model::{CharClass, Field, FieldKind, Source, Template, When};
use crate::forms::procedures::{LifeEvent, Procedure};
use crate::forms::validate::{Problem, first_date};
use crate::forms::{Catalog, GUIDE_EVENT};
use crate::i18n::{Msg, Text, languages, tr};

/// Days a code stays valid after the resident made it (the page sets `x` = today + this).
pub const VALID_DAYS: u32 = 30;
/// Longest code the kiosk accepts (beyond it a code is "far too large").
pub const MAX_DIGITS: usize = 2400;
/// Largest QR version the page draws: counter scanners read up to version 25 reliably.
pub const MAX_QR_VERSION: u32 = 25;

const INDEX_HTML: &str = include_str!("../../../assets/preinput/index.html");
const PAGE_CSS: &str = include_str!("../../../assets/preinput/page.css");
const QR_JS: &str = include_str!("../../../assets/preinput/qr.js");
const PAYLOAD_JS: &str = include_str!("../../../assets/preinput/payload.js");
const VALIDATE_JS: &str = include_str!("../../../assets/preinput/validate.js");
const PAGE_JS: &str = include_str!("../../../assets/preinput/page.js");

/// The texts of the page itself (keys used by page.js → Japanese source). Other languages
/// come from the kiosk's catalogs (`ui/translations/*/LC_MESSAGES/madoguchi.po`).
pub const UI_TEXTS: &[(&str, &str)] = &[
    ("title", "窓口に来る前に(事前入力)"),
    (
        "intro",
        "窓口でお聞きすることに、家で前もって答えておけます。最後に出るQRコードを、窓口の読み取り機に見せてください。",
    ),
    ("card_note", "氏名・住所・生年月日・性別・個人番号はマイナンバーカードから読み取るので、ここでは聞きません。"),
    ("privacy_note", "答えはどこにも送信されません。QRコードの中にだけ入ります。"),
    ("start_guide", "必要な手続きを調べる(手続き案内)"),
    ("start_pick", "手続きを選ぶ"),
    ("language", "言語"),
    ("next", "次へ"),
    ("back", "戻る"),
    ("guide_title", "手続き案内"),
    ("guide_result", "必要な手続き"),
    ("forms", "書類"),
    ("counter", "窓口"),
    ("bring", "持ち物"),
    ("answer_these", "これらの手続きの質問に答える"),
    ("pick_title", "手続きを選んでください"),
    ("pick_none", "手続きを1つ以上選んでください。"),
    ("questions_title", "質問に答えてください"),
    ("required", "必須"),
    ("optional", "任意"),
    ("yes", "はい"),
    ("no", "いいえ"),
    ("choose", "選んでください"),
    ("make_code", "QRコードを作る"),
    ("fix", "直すところがあります。赤い字の説明を見てください。"),
    ("code_title", "窓口で見せるQRコード"),
    (
        "code_help",
        "窓口の読み取り機にこの画面を向けてください。マイナンバーカードを置くと、答えが入った状態で始まります。",
    ),
    ("valid_until", "有効期限: {}"),
    ("save_image", "画像として保存する"),
    ("restart", "最初からやり直す"),
    ("too_large", "答えが多すぎてQRコードに入りません。任意の質問の答えを減らしてください。残りは窓口で答えられます。"),
    ("qr_alt", "事前入力のQRコード"),
    ("chosen", "選んだ手続き"),
    ("nothing_asked", "家で答える質問はありません。そのままQRコードを作れます。"),
    ("larger_text", "文字を大きくする"),
];

/// One file of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageFile {
    pub name: &'static str,
    pub text: String,
}

/// Why the page could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("cannot write {path}: {kind} / 書き込めません: {path}")]
    Io { path: String, kind: std::io::ErrorKind },
}

/// The page's files for this catalog.
pub fn build(catalog: &Catalog) -> Vec<PageFile> {
    let data = page_data(catalog);
    // `</` inside a script element would end it; `<\/` is the same JSON string.
    let json = data.to_string().replace("</", "<\\/");
    let title = tr("ja", "窓口に来る前に(事前入力)");
    let index = INDEX_HTML.replace("{{TITLE}}", &html_escape(&title)).replace("{{DATA}}", &json);
    vec![
        PageFile { name: "index.html", text: index },
        PageFile { name: "page.css", text: PAGE_CSS.to_string() },
        PageFile { name: "qr.js", text: QR_JS.to_string() },
        PageFile { name: "payload.js", text: PAYLOAD_JS.to_string() },
        PageFile { name: "validate.js", text: VALIDATE_JS.to_string() },
        PageFile { name: "page.js", text: PAGE_JS.to_string() },
    ]
}

/// Write the page's files into `dir` (created if needed); returns the paths written.
pub fn write(catalog: &Catalog, dir: &Path) -> Result<Vec<std::path::PathBuf>, PageError> {
    let io = |p: &Path, e: std::io::Error| PageError::Io { path: p.display().to_string(), kind: e.kind() };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut out = Vec::new();
    for f in build(catalog) {
        let p = dir.join(f.name);
        std::fs::write(&p, f.text.as_bytes()).map_err(|e| io(&p, e))?;
        out.push(p);
    }
    Ok(out)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Language codes of the page: every language the kiosk has.
fn codes() -> Vec<&'static str> {
    languages().iter().map(|l| l.code.as_str()).collect()
}

/// An administrator's text in every language (the kiosk's own rendering).
fn text(t: &Text) -> Value {
    Value::Object(codes().into_iter().map(|c| (c.to_string(), json!(t.render(c)))).collect())
}

/// A plain Japanese text (notes, 持ち物) in every language, through the catalogs.
fn plain(ja: &str) -> Value {
    Value::Object(codes().into_iter().map(|c| (c.to_string(), json!(tr(c, ja)))).collect())
}

/// A message template (with `{}` placeholders) in every language.
fn template(m: &Msg) -> Value {
    plain(m.template())
}

fn when(w: &Option<When>) -> Value {
    match w {
        None => Value::Null,
        Some(w) => json!({ "field": w.field, "in": w.any_of, "atLeast": w.at_least }),
    }
}

fn kind_name(k: FieldKind) -> &'static str {
    match k {
        FieldKind::Text => "text",
        FieldKind::Kana => "kana",
        FieldKind::Choice => "choice",
        FieldKind::Date => "date",
        FieldKind::Count => "count",
        FieldKind::Checkbox => "yesno",
        FieldKind::Phone => "phone",
        FieldKind::Signature => "signature",
    }
}

fn class_name(c: CharClass) -> &'static str {
    match c {
        CharClass::Kanji => "kanji",
        CharClass::Hiragana => "hiragana",
        CharClass::Katakana => "katakana",
        CharClass::Digit => "digit",
        CharClass::Latin => "latin",
        CharClass::Space => "space",
        CharClass::Symbol => "symbol",
    }
}

/// Whether the resident answers `f` on the page: answered fields only (the card's, the
/// kiosk's and the signature pad's never).
pub fn asked_at_home(f: &Field) -> bool {
    f.source == Source::Answer && f.kind != FieldKind::Signature && f.question().is_some()
}

/// One question as the page's scripts read it: what the control needs (from
/// [`Field::question`], like the kiosk) and what the validator checks (the field itself, like
/// `check_answer`). `None` for fields the page never asks.
pub fn field_json(f: &Field) -> Option<Value> {
    if !asked_at_home(f) {
        return None;
    }
    let q = f.question()?;
    let (ui_min, ui_max, ui_chars) = match q.kind {
        crate::vocab::QuestionKind::Count { min, max } => (Some(min), Some(max), None),
        crate::vocab::QuestionKind::Kana { max_chars } | crate::vocab::QuestionKind::Text { max_chars } => {
            (None, None, Some(max_chars))
        }
        _ => (None, None, None),
    };
    let choices: Vec<Value> = f.choices.iter().map(|c| json!({ "id": c.id, "label": text(&c.label) })).collect();
    Some(json!({
        "id": f.id,
        "kind": kind_name(f.kind),
        "label": text(&q.label),
        "help": if q.help.is_empty() { Value::Null } else { text(&q.help) },
        "required": f.required,
        "when": when(&f.when),
        "choices": choices,
        "min": f.min,
        "max": f.max,
        "maxLen": f.max_len,
        "chars": f.chars.iter().map(|c| class_name(*c)).collect::<Vec<_>>(),
        "uiMin": ui_min,
        "uiMax": ui_max,
        "uiMaxChars": ui_chars,
    }))
}

fn template_json(t: &Template) -> Value {
    let rules: Vec<Value> = t
        .rules
        .iter()
        .map(|r| {
            let kind = match r.kind {
                crate::forms::model::RuleKind::Forbid => "forbid",
                crate::forms::model::RuleKind::Require => "require",
                crate::forms::model::RuleKind::RequireAny => "require_any",
            };
            json!({ "kind": kind, "when": when(&r.when), "fields": r.fields, "message": text(&r.message) })
        })
        .collect();
    json!({
        "id": t.id,
        "version": t.version,
        "title": text(&t.title),
        "fields": t.fields.iter().filter_map(field_json).collect::<Vec<_>>(),
        "rules": rules,
    })
}

fn procedure_json(p: &Procedure) -> Value {
    json!({
        "id": p.id,
        "title": text(&p.title),
        "category": text(&p.category),
        "forms": p.forms,
        "bring": p.bring.iter().map(|b| plain(b)).collect::<Vec<_>>(),
        "notes": p.notes.iter().map(|n| plain(n)).collect::<Vec<_>>(),
        "counter": p.counter.as_deref().map(plain),
    })
}

fn event_json(e: &LifeEvent) -> Value {
    // The guide's questions are never required: the rules read "not answered" as "no".
    let questions: Vec<Value> = e
        .questions
        .iter()
        .filter_map(field_json)
        .map(|mut q| {
            q["required"] = json!(false);
            q
        })
        .collect();
    let rules: Vec<Value> = e
        .rules
        .iter()
        .map(|r| {
            json!({
                "when": when(&r.when),
                "procedures": r.procedures,
                "notes": r.notes.iter().map(|n| plain(n)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "id": e.id, "title": text(&e.title), "questions": questions, "rules": rules })
}

/// The messages of [`Problem`] the page can show, as the kiosk's templates (`{}` = the label,
/// then the numbers), in every language.
fn problems() -> Value {
    let l = Text::default();
    let list = [
        ("missing_choose", Problem::Missing { choose: true }),
        ("missing_enter", Problem::Missing { choose: false }),
        ("not_an_answer", Problem::NotAnAnswer),
        ("out_of_range", Problem::OutOfRange { min: 0, max: 0 }),
        ("too_long", Problem::TooLong { max: 0 }),
        ("character_kana", Problem::Character { kana: true, code_point: 0 }),
        ("character", Problem::Character { kana: false, code_point: 0 }),
        ("phone", Problem::Phone),
        ("date_too_early", Problem::DateTooEarly),
        ("rule", Problem::Rule(Text::default())),
    ];
    Value::Object(list.into_iter().map(|(k, p)| (k.to_string(), template(&p.message(&l)))).collect())
}

/// Everything the page's scripts read, embedded in `index.html`.
pub fn page_data(catalog: &Catalog) -> Value {
    let ui: Map<String, Value> = UI_TEXTS.iter().map(|(k, ja)| (k.to_string(), plain(ja))).collect();
    let langs: Vec<Value> = languages().iter().map(|l| json!({ "code": l.code, "name": l.name })).collect();
    let guide = catalog.guide_questions(&Default::default());
    let guide_label = guide.first().map(|q| text(&q.label)).unwrap_or(Value::Null);
    json!({
        "format": 1,
        "langs": langs,
        "ui": ui,
        "problems": problems(),
        "guide": { "id": GUIDE_EVENT, "label": guide_label },
        "events": catalog.life_events.iter().map(event_json).collect::<Vec<_>>(),
        "procedures": catalog.procedures.iter().map(procedure_json).collect::<Vec<_>>(),
        "templates": catalog.templates.iter().map(template_json).collect::<Vec<_>>(),
        "firstDate": first_date().format("%Y-%m-%d").to_string(),
        "validDays": VALID_DAYS,
        "maxDigits": MAX_DIGITS,
        "maxVersion": MAX_QR_VERSION,
    })
}

#[cfg(test)]
mod tests;
