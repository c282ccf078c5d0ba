//! Filling: card attributes + answers + stamp → validated values per field, borrowed from
//! where they live (the card, the answers, the template): filling copies no personal data.
//! Sans-IO; problems are per field and never contain the personal data itself.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::model::{Field, FieldKind, Rule, RuleKind, Source, Template, When};
use super::validate::{FieldError, Problem, check_answer, is_chosen};
use crate::vocab::person::{BirthDate, SecretString, Sex};
use crate::vocab::{AnswerValue, Answers};

/// What is stamped on every form of a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Date and time of the visit with the kiosk's UTC offset (JST: +09:00); the printed
    /// dates use its local date, the PDF CreationDate is written with the offset.
    pub created: DateTime<FixedOffset>,
    /// 受付番号, printed and encoded in the QR code.
    pub receipt_id: String,
    /// 市区町村名 of the kiosk.
    pub municipality: String,
}

impl Stamp {
    pub fn date(&self) -> NaiveDate {
        self.created.date_naive()
    }
}

/// The card's values as the forms print them: what was read, with a clerk's corrections
/// (a 外字 typed by a clerk, a moved address) in place. Borrowed, never copied.
#[derive(Clone, Copy)]
pub struct CardView<'a> {
    pub name: &'a SecretString,
    pub address: &'a SecretString,
    pub birth_date: &'a BirthDate,
    pub sex: Sex,
    pub my_number: Option<&'a crate::vocab::person::MyNumber>,
}

impl fmt::Debug for CardView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardView(<redacted>)")
    }
}

impl<'a> CardView<'a> {
    /// The card's values as read (no corrections).
    pub fn of(
        a: &'a crate::vocab::person::CardAttributes,
        my_number: Option<&'a crate::vocab::person::MyNumber>,
    ) -> CardView<'a> {
        CardView { name: &a.name, address: &a.address, birth_date: &a.birth_date, sex: a.sex, my_number }
    }
}

/// What the filler gets for one form.
#[derive(Clone, Copy)]
pub struct FillInput<'a> {
    pub card: CardView<'a>,
    pub answers: &'a Answers,
    /// The finger signature (PNG); `None` while the resident has not signed yet (the review
    /// screen checks everything else).
    pub signature: Option<&'a [u8]>,
    pub stamp: &'a Stamp,
}

/// A filled value, borrowed from the card, the answers, the template or the stamp.
#[derive(Clone, PartialEq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Date(NaiveDate),
    Sex(Sex),
    Flag(bool),
    Count(u32),
    /// The chosen choice's id.
    Choice(Cow<'a, str>),
    Image(Cow<'a, [u8]>),
}

impl Value<'_> {
    fn into_owned(self) -> Value<'static> {
        match self {
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Choice(c) => Value::Choice(Cow::Owned(c.into_owned())),
            Value::Image(i) => Value::Image(Cow::Owned(i.into_owned())),
            Value::Date(d) => Value::Date(d),
            Value::Sex(s) => Value::Sex(s),
            Value::Flag(b) => Value::Flag(b),
            Value::Count(n) => Value::Count(n),
        }
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Value(<redacted>)")
    }
}

/// A template with its values, ready to render.
#[derive(Debug, Clone)]
pub struct FilledForm<'a> {
    pub template: Cow<'a, Template>,
    /// Values of active, non-empty fields, by field id.
    pub values: BTreeMap<String, Value<'a>>,
    pub stamp: Cow<'a, Stamp>,
}

impl FilledForm<'_> {
    /// A copy that owns its values, for tools and tests that keep a form beyond its inputs.
    /// It copies personal data into memory that is not zeroized: the kiosk never uses it.
    pub fn into_owned(self) -> FilledForm<'static> {
        FilledForm {
            template: Cow::Owned(self.template.into_owned()),
            values: self.values.into_iter().map(|(k, v)| (k, v.into_owned())).collect(),
            stamp: Cow::Owned(self.stamp.into_owned()),
        }
    }
}

/// Does `when` hold for these answers? (`in` and `at_least` must both hold when both are given.)
pub fn holds(when: &When, answers: &Answers) -> bool {
    let a = answers.get(&when.field);
    let listed = when.any_of.is_empty()
        || match a {
            None => when.any_of.iter().any(|v| v == "false"),
            Some(AnswerValue::YesNo(b)) => when.any_of.iter().any(|v| v == if *b { "true" } else { "false" }),
            Some(AnswerValue::Text(t)) => when.any_of.iter().any(|v| v == t.expose()),
            Some(AnswerValue::Choice(c)) => when.any_of.contains(c),
            Some(AnswerValue::Count(n)) => when.any_of.iter().any(|v| v == &n.to_string()),
            Some(AnswerValue::Date(_)) => false,
        };
    let enough = match (when.at_least, a) {
        (None, _) => true,
        (Some(min), Some(AnswerValue::Count(n))) => *n >= min,
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
        Some(Value::Choice(c)) => !c.is_empty(),
        Some(Value::Count(n)) => *n > 0,
        Some(_) => true,
    }
}

/// The value of an answer that passed [`check_answer`], borrowed from the answer.
fn answer_value(a: &AnswerValue) -> Value<'_> {
    match a {
        AnswerValue::Text(s) => Value::Text(Cow::Borrowed(s.expose().trim())),
        AnswerValue::Choice(c) => Value::Choice(Cow::Borrowed(c)),
        AnswerValue::YesNo(b) => Value::Flag(*b),
        AnswerValue::Count(n) => Value::Count(*n),
        AnswerValue::Date(d) => Value::Date(*d),
    }
}

/// Fill and validate one template.
pub fn fill<'a>(t: &'a Template, input: &FillInput<'a>) -> Result<FilledForm<'a>, Vec<FieldError>> {
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for f in &t.fields {
        let err = |problem: Problem| FieldError { field: f.id.clone(), label: f.label.clone(), problem };
        if !is_active(t, f, input.answers) {
            continue;
        }
        let c = &input.card;
        let value = match f.source {
            Source::CardName => Some(Value::Text(Cow::Borrowed(c.name.expose()))),
            Source::CardAddress => Some(Value::Text(Cow::Borrowed(c.address.expose()))),
            Source::CardBirthDate => Some(Value::Date(c.birth_date.date())),
            Source::CardSex => Some(Value::Sex(c.sex)),
            Source::CardMyNumber => match c.my_number {
                Some(n) => Some(Value::Text(Cow::Borrowed(n.expose()))),
                None => {
                    errors.push(err(Problem::MyNumberNotRead));
                    None
                }
            },
            Source::Today => Some(Value::Date(input.stamp.date())),
            Source::ReceiptId => Some(Value::Text(Cow::Borrowed(&input.stamp.receipt_id))),
            Source::Age => Some(Value::Count(crate::vocab::calendar::age(c.birth_date.date(), input.stamp.date()))),
            Source::Municipality => Some(Value::Text(Cow::Borrowed(&input.stamp.municipality))),
            Source::Constant => f.value.as_deref().map(|v| Value::Text(Cow::Borrowed(v))),
            Source::Answer if f.kind == FieldKind::Signature => match input.signature {
                None => continue, // not signed yet: the review screen comes before the pad
                Some(png) if png.starts_with(b"\x89PNG\r\n\x1a\n") => Some(Value::Image(Cow::Borrowed(png))),
                Some(_) => {
                    errors.push(err(Problem::SignatureUnreadable));
                    continue;
                }
            },
            Source::Answer => match input.answers.get(&f.id) {
                None => None,
                Some(ans) => match check_answer(f, ans) {
                    Ok(Some(_)) => Some(answer_value(ans)),
                    Ok(None) => None,
                    Err(p) => {
                        errors.push(err(p));
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
                errors.push(err(Problem::Missing { choose: is_chosen(f) }));
            }
            None => {}
        }
    }
    for r in &t.rules {
        apply_rule(t, r, input.answers, &values, &mut errors);
    }
    if errors.is_empty() {
        Ok(FilledForm { template: Cow::Borrowed(t), values, stamp: Cow::Borrowed(input.stamp) })
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
        label: t.fields.iter().find(|f| &f.id == id).map(|f| f.label.clone()).unwrap_or_default(),
        problem: Problem::Rule(r.message.clone()),
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
