//! The resident's answers: typed values, validation in plain words, wiped at session end.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::card::SecretString;
use crate::i18n::{Arg, Msg};

use super::services::{Question, QuestionKind};

/// One answer. Free text is personal data (e.g. the reading of a name), so it is a
/// [`SecretString`] and zeroizes on drop.
#[derive(Clone, PartialEq, Eq)]
pub enum AnswerValue {
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
            // A date answer may be a birth date: redact like the card's.
            AnswerValue::Date(_) => f.write_str("Date(<redacted>)"),
            AnswerValue::Text(_) => f.write_str("Text(<redacted>)"),
        }
    }
}

/// Answers by question id.
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
    /// Drop every answer; text answers zeroize themselves on drop.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Whether `v` fits question `q`; `Err` is a message a resident understands.
pub fn check(q: &Question, v: Option<&AnswerValue>) -> Result<(), Msg> {
    let label = || Arg::Text { ja: q.label_ja.clone(), en: q.label_en.clone() };
    let Some(v) = v else {
        return if q.required { Err(Msg::new("「{}」を選んでください。").arg(label())) } else { Ok(()) };
    };
    match (&q.kind, v) {
        (QuestionKind::Choice(cs), AnswerValue::Choice(c)) if cs.iter().any(|x| &x.id == c) => Ok(()),
        (QuestionKind::YesNo, AnswerValue::YesNo(_)) => Ok(()),
        (QuestionKind::Count { min, max }, AnswerValue::Count(n)) => {
            if n < min || n > max {
                Err(Msg::new("「{}」は{}から{}までの数で選んでください。").arg(label()).arg(*min).arg(*max))
            } else {
                Ok(())
            }
        }
        (QuestionKind::Date, AnswerValue::Date(d)) => {
            if *d < NaiveDate::from_ymd_opt(1868, 1, 25).unwrap_or(NaiveDate::MIN) {
                Err(Msg::new("「{}」の日付が古すぎます。").arg(label()))
            } else {
                Ok(())
            }
        }
        (QuestionKind::Kana { max_chars } | QuestionKind::Text { max_chars }, AnswerValue::Text(t)) => {
            let n = t.expose().chars().count();
            let kana_only = matches!(q.kind, QuestionKind::Kana { .. });
            if n == 0 && q.required {
                Err(Msg::new("「{}」を入力してください。").arg(label()))
            } else if kana_only && !t.expose().chars().all(is_kana) {
                Err(Msg::new("「{}」はカタカナで入力してください。").arg(label()))
            } else if n > *max_chars {
                Err(Msg::new("「{}」は{}文字までです。").arg(label()).arg(*max_chars))
            } else {
                Ok(())
            }
        }
        _ => Err(Msg::new("「{}」の答えを選び直してください。").arg(label())),
    }
}

/// Full-width katakana, the long vowel mark and a space (full- or half-width, as between
/// family and given name; the forms layer accepts both).
fn is_kana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | '\u{3000}' | ' ')
}

/// The first problem of each question, in question order.
pub fn problems(questions: &[Question], answers: &Answers) -> Vec<(String, Msg)> {
    questions.iter().filter_map(|q| check(q, answers.get(&q.id)).err().map(|m| (q.id.clone(), m))).collect()
}

/// 和暦 label of a date (令和/平成/昭和/大正/明治), e.g. `令和8年11月22日`; 元年 for year 1.
pub fn wareki(d: NaiveDate) -> String {
    use chrono::Datelike;
    const ERAS: &[(&str, i32, u32, u32)] = &[
        ("令和", 2019, 5, 1),
        ("平成", 1989, 1, 8),
        ("昭和", 1926, 12, 25),
        ("大正", 1912, 7, 30),
        ("明治", 1868, 1, 25),
    ];
    for (name, y, m, day) in ERAS {
        if let Some(start) = NaiveDate::from_ymd_opt(*y, *m, *day)
            && d >= start
        {
            let n = d.year() - y + 1;
            let year = if n == 1 { "元".to_string() } else { n.to_string() };
            return format!("{name}{year}年{}月{}日", d.month(), d.day());
        }
    }
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn wareki_era_boundaries() {
        assert_eq!(wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(wareki(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(wareki(d(1985, 4, 12)), "昭和60年4月12日");
        assert_eq!(wareki(d(2026, 11, 22)), "令和8年11月22日");
    }

    #[test]
    fn validation_in_plain_words() {
        let q = Question {
            id: "copies".into(),
            label_ja: "必要な通数".into(),
            label_en: String::new(),
            help_ja: String::new(),
            help_en: String::new(),
            kind: QuestionKind::Count { min: 1, max: 10 },
            required: true,
        };
        assert!(check(&q, None).unwrap_err().ja().contains("必要な通数"));
        assert!(check(&q, Some(&AnswerValue::Count(11))).is_err());
        assert!(check(&q, Some(&AnswerValue::Count(2))).is_ok());
        let k = Question {
            id: "kana".into(),
            label_ja: "フリガナ".into(),
            label_en: String::new(),
            help_ja: String::new(),
            help_en: String::new(),
            kind: QuestionKind::Kana { max_chars: 5 },
            required: true,
        };
        assert!(check(&k, Some(&AnswerValue::Text(SecretString::new("ヤマダ")))).is_ok());
        assert!(
            check(&k, Some(&AnswerValue::Text(SecretString::new("yamada")))).unwrap_err().ja().contains("カタカナ")
        );
        assert!(check(&k, Some(&AnswerValue::Text(SecretString::new("ヤマダタロウ")))).is_err());
    }

    #[test]
    fn text_answers_are_redacted_in_debug() {
        let mut a = Answers::default();
        a.set("kana", AnswerValue::Text(SecretString::new("ヤマダ")));
        assert!(!format!("{a:?}").contains("ヤマダ"));
    }
}
