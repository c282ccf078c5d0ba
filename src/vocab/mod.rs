//! The one vocabulary of the kiosk's middle: the questions a resident answers, their choices
//! and answers, and the icons of procedures. The forms layer makes questions from templates
//! and checks answers (it is the one validator); the session asks them; the UI shows them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::i18n::Text;

pub mod calendar;
pub mod person;
pub mod pin;
pub mod preinput_code;
pub mod visit;

use person::SecretString;

/// One choice of a choice question; in templates `{ value = "self", label = { ja = "本人" } }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What the answer stores and rules compare (`value` in templates).
    #[serde(rename = "value")]
    pub id: String,
    pub label: Text,
}

/// The touch control a question needs. Free text only where it is unavoidable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    Choice(Vec<Choice>),
    YesNo,
    Count {
        min: u32,
        max: u32,
    },
    Date,
    /// Reading of a name (フリガナ): the kana keyboard.
    Kana {
        max_chars: usize,
    },
    /// Text that is not only kana (本籍 …): the place keyboard, or a clerk's hardware keyboard.
    Text {
        max_chars: usize,
    },
    /// A telephone number: a numeric keypad.
    Phone,
}

/// A question the resident answers on the review screen or in the guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub label: Text,
    /// A hint under the control (the template's `help`); empty = none.
    pub help: Text,
    pub kind: QuestionKind,
    pub required: bool,
}

/// One answer. Free text is personal data (e.g. the reading of a name), so it is a
/// [`SecretString`] and zeroizes on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub enum AnswerValue {
    /// The `id` of one [`Choice`].
    Choice(String),
    YesNo(bool),
    Count(u32),
    Date(NaiveDate),
    Text(SecretString),
}

impl std::fmt::Debug for AnswerValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerValue::Choice(c) => write!(f, "Choice({c})"),
            AnswerValue::YesNo(b) => write!(f, "YesNo({b})"),
            AnswerValue::Count(n) => write!(f, "Count({n})"),
            // A date answer may be a birth date: redacted like the card's.
            AnswerValue::Date(_) => f.write_str("Date(<redacted>)"),
            AnswerValue::Text(_) => f.write_str("Text(<redacted>)"),
        }
    }
}

/// Answers by question id. One set of answers feeds every form of a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers(BTreeMap<String, AnswerValue>);

impl Answers {
    pub fn get(&self, id: &str) -> Option<&AnswerValue> {
        self.0.get(id)
    }
    pub fn set(&mut self, id: impl Into<String>, v: AnswerValue) {
        self.0.insert(id.into(), v);
    }
    pub fn remove(&mut self, id: &str) {
        self.0.remove(id);
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AnswerValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Keep only the answers whose question id passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.0.retain(|k, _| keep(k));
    }
    /// Set `v` unless `id` already has an answer.
    pub fn set_default(&mut self, id: &str, v: AnswerValue) {
        self.0.entry(id.to_string()).or_insert(v);
    }
}

impl FromIterator<(String, AnswerValue)> for Answers {
    fn from_iter<I: IntoIterator<Item = (String, AnswerValue)>>(iter: I) -> Answers {
        Answers(iter.into_iter().collect())
    }
}

/// The picture a procedure shows on the procedure screen (`icon` in procedures.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Icon {
    Certificate,
    Moving,
    Family,
    Seal,
    Tax,
    #[default]
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_answers_and_dates_are_redacted_in_debug() {
        let mut a = Answers::default();
        a.set("kana", AnswerValue::Text(SecretString::new("ヤマダ")));
        a.set("born", AnswerValue::Date(NaiveDate::from_ymd_opt(1985, 4, 12).unwrap()));
        let shown = format!("{a:?}");
        assert!(!shown.contains("ヤマダ") && !shown.contains("1985"), "{shown}");
    }
}
