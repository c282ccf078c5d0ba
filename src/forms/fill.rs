//! Filling: card attributes + answers + session → validated values per field.
//! Sans-IO; errors are per field, in plain Japanese, and never contain the personal data itself.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};
use zeroize::Zeroizing;

use super::jp;
use super::model::{Field, FieldKind, Rule, RuleKind, Source, Template, When};
use crate::card::{CardAttributes, MyNumber, SecretString, Sex};

/// One answer from the touch screen. `Debug` is redacted.
#[derive(Clone)]
pub enum Answer {
    Text(SecretString),
    Flag(bool),
    Count(u32),
    Date(NaiveDate),
    /// Choice (one value) or multi-choice.
    Choices(Vec<String>),
    /// PNG bytes of the finger signature.
    Signature(Zeroizing<Vec<u8>>),
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Answer(<redacted>)")
    }
}

/// Answers keyed by field id; one set of answers feeds every form of a visit.
pub type Answers = BTreeMap<String, Answer>;

/// Values fixed for the whole visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Date and time of the visit with the kiosk's UTC offset (JST: +09:00); the printed
    /// dates use its local date, the PDF CreationDate is written with the offset.
    pub created: DateTime<FixedOffset>,
    /// 受付番号, printed and encoded in the QR code.
    pub receipt_id: String,
    /// 市区町村名 of the kiosk.
    pub municipality: String,
}

impl Session {
    pub fn date(&self) -> NaiveDate {
        self.created.date_naive()
    }
}

/// What the filler gets for one form.
pub struct FillInput<'a> {
    pub attributes: &'a CardAttributes,
    pub my_number: Option<&'a MyNumber>,
    pub answers: &'a Answers,
    pub session: &'a Session,
}

/// A filled value.
#[derive(Clone, PartialEq)]
pub enum Value {
    Text(SecretString),
    Date(NaiveDate),
    Sex(Sex),
    Flag(bool),
    Count(u32),
    Choices(Vec<String>),
    Image(Zeroizing<Vec<u8>>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Value(<redacted>)")
    }
}

/// A template with its values, ready to render.
#[derive(Debug, Clone)]
pub struct FilledForm {
    pub template: Template,
    /// Values of active, non-empty fields, by field id.
    pub values: BTreeMap<String, Value>,
    pub session: Session,
}

/// A validation problem of one field. Messages are for the resident (ja) and logs (en); they
/// never quote the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub label_ja: String,
    pub message_ja: String,
    pub message_en: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} / {}「{}」", self.field, self.message_en, self.message_ja, self.label_ja)
    }
}

/// Does `when` hold for these answers? (`in` and `at_least` must both hold when both are given.)
pub fn holds(when: &When, answers: &Answers) -> bool {
    let a = answers.get(&when.field);
    let listed = when.any_of.is_empty()
        || match a {
            None => when.any_of.iter().any(|v| v == "false"),
            Some(Answer::Flag(b)) => when.any_of.iter().any(|v| v == if *b { "true" } else { "false" }),
            Some(Answer::Text(t)) => when.any_of.iter().any(|v| v == t.expose()),
            Some(Answer::Choices(cs)) => cs.iter().any(|c| when.any_of.contains(c)),
            Some(Answer::Count(n)) => when.any_of.iter().any(|v| v == &n.to_string()),
            Some(Answer::Date(_)) | Some(Answer::Signature(_)) => false,
        };
    let enough = match (when.at_least, a) {
        (None, _) => true,
        (Some(min), Some(Answer::Count(n))) => *n >= min,
        (Some(min), None) => min == 0,
        (Some(_), Some(_)) => false,
    };
    listed && enough
}

/// Is field `f` of `t` asked and printed for these answers? Its `when` must hold, and the field
/// that `when` looks at must itself be active (a stale answer to a hidden question counts for
/// nothing). Conditions chain at most a few levels; a cycle counts as inactive.
pub fn is_active(t: &Template, f: &Field, answers: &Answers) -> bool {
    let mut cur = f;
    for _ in 0..8 {
        let Some(w) = &cur.when else { return true };
        if !holds(w, answers) {
            return false;
        }
        match t.fields.iter().find(|g| g.id == w.field) {
            Some(next) => cur = next,
            None => return true,
        }
    }
    false
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None => false,
        Some(Value::Flag(b)) => *b,
        Some(Value::Text(t)) => !t.is_empty(),
        Some(Value::Choices(c)) => !c.is_empty(),
        Some(Value::Count(n)) => *n > 0,
        Some(_) => true,
    }
}

/// Fill and validate one template.
pub fn fill(t: &Template, input: &FillInput<'_>) -> Result<FilledForm, Vec<FieldError>> {
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for f in &t.fields {
        let err = |ja: &str, en: &str| FieldError {
            field: f.id.clone(),
            label_ja: f.label.ja.clone(),
            message_ja: ja.to_string(),
            message_en: en.to_string(),
        };
        if !is_active(t, f, input.answers) {
            continue;
        }
        let a = input.attributes;
        let value = match f.source {
            Source::CardName => Some(Value::Text(a.name.clone())),
            Source::CardAddress => Some(Value::Text(a.address.clone())),
            Source::CardBirthDate => Some(Value::Date(a.birth_date.date())),
            Source::CardSex => Some(Value::Sex(a.sex)),
            Source::CardMyNumber => match input.my_number {
                Some(n) => Some(Value::Text(SecretString::new(n.expose()))),
                None => {
                    errors.push(err(
                        "個人番号が読み取られていません。係員にお申し出ください。",
                        "the 個人番号 was not read from the card",
                    ));
                    None
                }
            },
            Source::Today => Some(Value::Date(input.session.date())),
            Source::ReceiptId => Some(Value::Text(SecretString::new(input.session.receipt_id.clone()))),
            Source::Age => Some(Value::Count(jp::age(a.birth_date.date(), input.session.date()))),
            Source::Municipality => Some(Value::Text(SecretString::new(input.session.municipality.clone()))),
            Source::Constant => f.value.as_ref().map(|v| Value::Text(SecretString::new(v.clone()))),
            Source::Answer => match input.answers.get(&f.id) {
                None => None,
                Some(ans) => match check_answer(t, &f.id, ans) {
                    Ok(v) => v,
                    Err((ja, en)) => {
                        errors.push(err(ja, &en));
                        continue;
                    }
                },
            },
        };
        match value {
            Some(v) => {
                values.insert(f.id.clone(), v);
            }
            None if f.required && f.source == Source::Answer => {
                errors.push(err("入力してください。", "required"));
            }
            None => {}
        }
    }
    for r in &t.rules {
        apply_rule(t, r, input.answers, &values, &mut errors);
    }
    if errors.is_empty() {
        Ok(FilledForm { template: t.clone(), values, session: input.session.clone() })
    } else {
        Err(errors)
    }
}

fn apply_rule(
    t: &Template,
    r: &Rule,
    answers: &Answers,
    values: &BTreeMap<String, Value>,
    errors: &mut Vec<FieldError>,
) {
    if r.when.as_ref().is_some_and(|w| !holds(w, answers)) {
        return;
    }
    // A field that is not asked (its `when` does not hold) is neither required nor printed.
    let asked = |id: &String| t.fields.iter().find(|f| &f.id == id).is_none_or(|f| is_active(t, f, answers));
    let error = |id: &String| FieldError {
        field: id.clone(),
        label_ja: t.fields.iter().find(|f| &f.id == id).map(|f| f.label.ja.clone()).unwrap_or_default(),
        message_ja: r.message.ja.clone(),
        message_en: r.message.en.clone(),
    };
    if r.kind == RuleKind::RequireAny {
        let asked_ids: Vec<&String> = r.fields.iter().filter(|id| asked(id)).collect();
        if let Some(first) = asked_ids.first()
            && !asked_ids.iter().any(|id| truthy(values.get(*id)))
        {
            errors.push(error(first));
        }
        return;
    }
    for id in r.fields.iter().filter(|id| asked(id)) {
        let bad = match r.kind {
            RuleKind::Forbid => truthy(values.get(id)),
            RuleKind::Require | RuleKind::RequireAny => !truthy(values.get(id)),
        };
        if bad {
            errors.push(error(id));
        }
    }
}

type Problem = (&'static str, String);

/// Check an answer against its field definition; `Ok(None)` for an empty answer.
fn check_answer(t: &Template, id: &str, a: &Answer) -> Result<Option<Value>, Problem> {
    let Some(f) = t.fields.iter().find(|f| f.id == id) else { return Ok(None) };
    let wrong = || ("回答の種類が正しくありません。", format!("answer type does not match kind {:?}", f.kind));
    match (f.kind, a) {
        (FieldKind::Text | FieldKind::Kana | FieldKind::Phone, Answer::Text(s)) => {
            let s = s.expose().trim();
            if s.is_empty() {
                return Ok(None);
            }
            if let Some(max) = f.max_len
                && s.chars().count() > max as usize
            {
                return Err(("文字数が多すぎます。", format!("longer than {max} characters")));
            }
            let classes: &[_] = match f.kind {
                FieldKind::Kana => &[
                    super::model::CharClass::Hiragana,
                    super::model::CharClass::Katakana,
                    super::model::CharClass::Space,
                ],
                FieldKind::Phone => &[super::model::CharClass::Digit, super::model::CharClass::Symbol],
                _ => &f.chars,
            };
            if let Some(c) = jp::first_disallowed(s, classes) {
                return Err((
                    "使えない文字が含まれています。",
                    format!("character class not allowed (U+{:04X})", c as u32),
                ));
            }
            if f.kind == FieldKind::Phone {
                let digits = jp::half_width_digits(s).chars().filter(char::is_ascii_digit).count();
                if !(10..=11).contains(&digits)
                    || s.chars().any(|c| !(c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '-' || c == '－'))
                {
                    return Err((
                        "電話番号は10桁または11桁の数字で入力してください。",
                        "phone number must have 10 or 11 digits".into(),
                    ));
                }
            }
            Ok(Some(Value::Text(SecretString::new(s))))
        }
        (FieldKind::Choice | FieldKind::MultiChoice, Answer::Choices(cs)) => {
            if f.kind == FieldKind::Choice && cs.len() > 1 {
                return Err(("ひとつだけ選んでください。", "choose one".into()));
            }
            if let Some(bad) = cs.iter().find(|c| !f.choices.iter().any(|ch| &ch.value == *c)) {
                let _ = bad;
                return Err(("選択肢から選んでください。", "value is not one of the choices".into()));
            }
            Ok((!cs.is_empty()).then(|| Value::Choices(cs.clone())))
        }
        (FieldKind::Choice, Answer::Text(s)) => check_answer(t, id, &Answer::Choices(vec![s.expose().to_string()])),
        (FieldKind::Checkbox, Answer::Flag(b)) => Ok(Some(Value::Flag(*b))),
        (FieldKind::Count, Answer::Count(n)) => {
            if f.min.is_some_and(|m| *n < m) || f.max.is_some_and(|m| *n > m) {
                return Err(("数が範囲外です。", format!("count outside {:?}..={:?}", f.min, f.max)));
            }
            Ok(Some(Value::Count(*n)))
        }
        (FieldKind::Date, Answer::Date(d)) => {
            if jp::to_wareki(*d).is_none() {
                return Err(("日付が正しくありません。", "date before 明治 is not supported".into()));
            }
            Ok(Some(Value::Date(*d)))
        }
        (FieldKind::Signature, Answer::Signature(png)) => {
            if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
                return Err((
                    "署名を読み取れませんでした。もう一度署名してください。",
                    "signature is not a PNG image".into(),
                ));
            }
            Ok(Some(Value::Image(png.clone())))
        }
        _ => Err(wrong()),
    }
}
