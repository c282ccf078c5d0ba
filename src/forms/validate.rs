//! The one validator of answers: the review screen shows these problems and the paper is
//! filled only when there are none, so the screen and the paper can never disagree.

use std::fmt;

use chrono::NaiveDate;

use super::jp;
use super::model::{CharClass, Field, FieldKind};
use crate::i18n::{Arg, Msg, Text};
use crate::vocab::AnswerValue;

/// What is wrong with one field. It never holds the answer itself (only, for a character a
/// form cannot take, that character's code point — shown on the screen, never logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required question has no answer (`choose`: a choice, yes/no or date question).
    Missing {
        choose: bool,
    },
    /// The answer does not fit the question's kind, or is not one of its choices.
    NotAnAnswer,
    OutOfRange {
        min: u32,
        max: u32,
    },
    TooLong {
        max: u32,
    },
    /// A character outside the field's classes (`kana`: a reading, katakana or hiragana).
    Character {
        kana: bool,
        code_point: u32,
    },
    /// Not a telephone number of 10 or 11 digits.
    Phone,
    /// Before the first date the forms can write in 和暦.
    DateTooEarly,
    SignatureUnreadable,
    MyNumberNotRead,
    /// A legal rule of the template, with its own message.
    Rule(Text),
    /// The printing font has no glyph for a character (a 外字): a clerk types a substitute.
    NoGlyph {
        code_point: u32,
    },
}

impl Problem {
    /// What the resident or clerk reads, about the field labelled `label`.
    pub fn message(&self, label: &Text) -> Msg {
        let l = || Arg::Text(label.clone());
        let cp = |c: u32| Arg::Plain(format!("U+{c:04X}"));
        match self {
            Problem::Missing { choose: true } => Msg::new("「{}」を選んでください。").arg(l()),
            Problem::Missing { choose: false } => Msg::new("「{}」を入力してください。").arg(l()),
            Problem::NotAnAnswer => Msg::new("「{}」の答えを選び直してください。").arg(l()),
            Problem::OutOfRange { min, max } => {
                Msg::new("「{}」は{}から{}までの数で選んでください。").arg(l()).arg(*min).arg(*max)
            }
            Problem::TooLong { max } => Msg::new("「{}」は{}文字までです。").arg(l()).arg(*max),
            Problem::Character { kana: true, code_point } => {
                Msg::new("「{}」はカタカナで入力してください。({})").arg(l()).arg(cp(*code_point))
            }
            Problem::Character { kana: false, code_point } => {
                Msg::new("「{}」に使えない文字があります。({})").arg(l()).arg(cp(*code_point))
            }
            Problem::Phone => Msg::new("「{}」は10桁か11桁の数字で入力してください。").arg(l()),
            Problem::DateTooEarly => Msg::new("「{}」の日付が古すぎます。").arg(l()),
            Problem::SignatureUnreadable => Msg::new("署名を読み取れませんでした。もう一度署名してください。"),
            Problem::MyNumberNotRead => Msg::new("個人番号が読み取られていません。職員にお声がけください。"),
            Problem::Rule(t) => Msg::new("「{}」: {}").arg(l()).arg(Arg::Text(t.clone())),
            Problem::NoGlyph { code_point } => {
                Msg::new("「{}」に印刷できない文字(外字)があります。職員が代わりの字を入力します。({})")
                    .arg(l())
                    .arg(cp(*code_point))
            }
        }
    }

    /// For logs and the CLI: what kind of problem, with no value and no character.
    pub fn kind_en(&self) -> &'static str {
        match self {
            Problem::Missing { .. } => "required, not answered",
            Problem::NotAnAnswer => "answer does not fit the question",
            Problem::OutOfRange { .. } => "number out of range",
            Problem::TooLong { .. } => "too long",
            Problem::Character { .. } => "character class not allowed",
            Problem::Phone => "not a 10- or 11-digit phone number",
            Problem::DateTooEarly => "date before the first supported 和暦 date",
            Problem::SignatureUnreadable => "signature is not a PNG image",
            Problem::MyNumberNotRead => "the 個人番号 was not read from the card",
            Problem::Rule(_) => "a rule of the template",
            Problem::NoGlyph { .. } => "the font has no glyph for a character",
        }
    }
}

/// A problem of one field of one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub label: Text,
    pub problem: Problem,
}

impl FieldError {
    pub fn message(&self) -> Msg {
        self.problem.message(&self.label)
    }
}

impl fmt::Display for FieldError {
    // Field id and kind of problem only: labels are harmless, values and characters are not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Rule(t) => write!(f, "{}: {} ({})", self.field, self.problem.kind_en(), t.en),
            p => write!(f, "{}: {}", self.field, p.kind_en()),
        }
    }
}

/// The first date the forms write in 和暦 (明治, from the day of the 改元の詔): the one era
/// table's first day.
pub fn first_date() -> NaiveDate {
    crate::vocab::calendar::first_wareki_day()
}

/// Characters of a reading (フリガナ): katakana, hiragana, the long vowel mark, the middle dot
/// between the parts of a foreign name, and spaces.
const KANA: &[CharClass] = &[CharClass::Katakana, CharClass::Hiragana, CharClass::Space];

fn allowed_in_kana(c: char) -> bool {
    c == '・' || jp::class_of(c).is_some_and(|k| KANA.contains(&k))
}

/// Check an answer against its field; `Ok(None)` for an empty answer (blank text).
pub fn check_answer(f: &Field, a: &AnswerValue) -> Result<Option<AnswerValue>, Problem> {
    match (f.kind, a) {
        (FieldKind::Text | FieldKind::Kana | FieldKind::Phone, AnswerValue::Text(s)) => {
            let text = s.expose().trim();
            if text.is_empty() {
                return Ok(None);
            }
            if let Some(max) = f.max_len
                && text.chars().count() > max as usize
            {
                return Err(Problem::TooLong { max });
            }
            let bad = match f.kind {
                FieldKind::Kana => text.chars().find(|c| !allowed_in_kana(*c)),
                FieldKind::Phone => {
                    text.chars().find(|c| !(c.is_ascii_digit() || ('０'..='９').contains(c) || "-－".contains(*c)))
                }
                _ => jp::first_disallowed(text, &f.chars),
            };
            if let Some(c) = bad {
                return Err(match f.kind {
                    FieldKind::Phone => Problem::Phone,
                    kind => Problem::Character { kana: kind == FieldKind::Kana, code_point: c as u32 },
                });
            }
            if f.kind == FieldKind::Phone {
                let digits = jp::half_width_digits(text).chars().filter(char::is_ascii_digit).count();
                if !(10..=11).contains(&digits) {
                    return Err(Problem::Phone);
                }
            }
            Ok(Some(AnswerValue::Text(crate::vocab::person::SecretString::new(text))))
        }
        (FieldKind::Choice, AnswerValue::Choice(c)) => {
            if f.choices.iter().any(|ch| &ch.id == c) {
                Ok(Some(a.clone()))
            } else {
                Err(Problem::NotAnAnswer)
            }
        }
        (FieldKind::Checkbox, AnswerValue::YesNo(_)) => Ok(Some(a.clone())),
        (FieldKind::Count, AnswerValue::Count(n)) => {
            let (min, max) = (f.min.unwrap_or(0), f.max.unwrap_or(u32::MAX));
            if *n < min || *n > max { Err(Problem::OutOfRange { min, max }) } else { Ok(Some(a.clone())) }
        }
        (FieldKind::Date, AnswerValue::Date(d)) => {
            if *d < first_date() {
                Err(Problem::DateTooEarly)
            } else {
                Ok(Some(a.clone()))
            }
        }
        _ => Err(Problem::NotAnAnswer),
    }
}

/// Whether a missing answer to `f` is asked for with "choose" (rather than "enter").
pub fn is_chosen(f: &Field) -> bool {
    matches!(f.kind, FieldKind::Choice | FieldKind::Checkbox | FieldKind::Count | FieldKind::Date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::model::Source;
    use crate::vocab::person::SecretString;

    fn field(kind: FieldKind) -> Field {
        Field {
            id: "f".into(),
            label: Text::ja("欄"),
            kind,
            source: Source::Answer,
            required: true,
            when: None,
            max_len: Some(20),
            chars: Vec::new(),
            choices: Vec::new(),
            min: None,
            max: None,
            value: None,
            help: None,
            print: Vec::new(),
        }
    }

    fn text(s: &str) -> AnswerValue {
        AnswerValue::Text(SecretString::new(s))
    }

    #[test]
    fn readings_take_katakana_hiragana_the_middle_dot_and_spaces() {
        let k = field(FieldKind::Kana);
        for ok in ["ヤマダ タロウ", "やまだ　たろう", "ジョン・スミス", "ヴォーン"] {
            assert!(check_answer(&k, &text(ok)).is_ok(), "{ok}");
        }
        let e = check_answer(&k, &text("山田")).unwrap_err();
        assert_eq!(e, Problem::Character { kana: true, code_point: '山' as u32 });
    }

    #[test]
    fn a_character_problem_is_logged_without_the_character() {
        let k = field(FieldKind::Kana);
        let problem = check_answer(&k, &text("ヤマ𠮷")).unwrap_err();
        let e = FieldError { field: "kana".into(), label: Text::ja("フリガナ"), problem };
        assert!(!e.to_string().contains("20BB7") && !e.to_string().contains('𠮷'), "{e}");
        assert!(e.message().ja().contains("U+20BB7"), "the screen names it for the clerk: {}", e.message().ja());
    }

    #[test]
    fn dates_before_meiji_are_refused_like_on_paper() {
        let d = field(FieldKind::Date);
        let before = AnswerValue::Date(NaiveDate::from_ymd_opt(1868, 5, 1).unwrap());
        assert_eq!(check_answer(&d, &before), Err(Problem::DateTooEarly));
        assert!(crate::vocab::calendar::to_wareki(NaiveDate::from_ymd_opt(1868, 5, 1).unwrap()).is_none());
        assert!(check_answer(&d, &AnswerValue::Date(first_date())).is_ok());
    }

    #[test]
    fn phone_numbers_have_10_or_11_digits() {
        let p = field(FieldKind::Phone);
        assert!(check_answer(&p, &text("03-1234-5678")).is_ok());
        assert!(check_answer(&p, &text("090-1234-5678")).is_ok());
        assert_eq!(check_answer(&p, &text("1234")), Err(Problem::Phone));
        assert_eq!(check_answer(&p, &text("03-1234-567a")), Err(Problem::Phone));
    }
}
