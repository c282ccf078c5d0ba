//! A decoded code → what this kiosk selects and fills: the procedures it offers, the answers
//! its questions take (each through the one validator, like a touch answer), and what the
//! resident is told about the rest. Sans-IO: the forms layer is reached through the
//! session's [`FormPort`], the date is given. It lives in the session (which decides what a
//! visit selects); `crate::preinput` is only the code's format and the resident's page, and
//! knows nothing of the session.

use chrono::NaiveDate;

use super::ports::{FormPort, ProcedureInfo};
use crate::i18n::{Arg, Msg};
use crate::vocab::{AnswerValue, Answers, QuestionKind};

use crate::vocab::preinput_code::{PreInput, RawValue};

/// What a code brings into a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The procedures to select: the code's, in its order, that this kiosk offers.
    pub procedures: Vec<String>,
    /// Answers that passed the validator for this kiosk's questions.
    pub answers: Answers,
    /// The language the resident used at home (the session takes it if it offers it).
    pub language: Option<String>,
    /// For the review screen, in Japanese first: answers filled, and what was not taken.
    pub notices: Vec<Msg>,
    /// How many answers of the code were not taken (for tests and statistics; no ids).
    pub dropped: usize,
}

/// Why a code brings nothing into a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Valid until this day, which is before today.
    Expired(NaiveDate),
    /// None of its procedures is offered here.
    NoProcedure,
}

impl Refused {
    pub fn message(&self) -> Msg {
        match self {
            Refused::Expired(on) => {
                Msg::new("このコードは有効期限({})を過ぎています。事前入力のページでコードを作り直してください。")
                    .arg(Arg::Plain(on.format("%Y-%m-%d").to_string()))
            }
            Refused::NoProcedure => {
                Msg::new("コードの手続きは、この窓口では受け付けていません。職員にお声がけください。")
            }
        }
    }
}

/// Shown on the review screen whenever a code filled the answers.
pub fn filled_notice() -> Msg {
    Msg::new("事前入力の答えを入れました。内容を確かめて、違うところは直してください。")
}

/// Import `code` for a visit on `today` at a kiosk offering `offered`.
pub fn import(
    code: &PreInput,
    forms: &dyn FormPort,
    offered: &[ProcedureInfo],
    today: NaiveDate,
) -> Result<Imported, Refused> {
    if code.expires < today {
        return Err(Refused::Expired(code.expires));
    }
    let mut procedures: Vec<String> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for id in &code.procedures {
        if offered.iter().any(|p| &p.id == id) {
            if !procedures.contains(id) {
                procedures.push(id.clone());
            }
        } else if !unknown.contains(&id.as_str()) {
            unknown.push(id);
        }
    }
    if procedures.is_empty() {
        return Err(Refused::NoProcedure);
    }
    let facts = forms.facts(&procedures);
    // A form the code was not made for, or made for another version of it.
    let version_changed = facts.templates.iter().any(|(id, v)| code.templates.get(id) != Some(v));

    let mut answers = Answers::default();
    let (mut dropped, mut card_given, mut refused) = (0usize, false, 0usize);
    for (id, raw) in &code.answers {
        if facts.card_given.iter().any(|c| c == id) {
            // The card is the source of these; a page must never send them.
            card_given = true;
            dropped += 1;
            continue;
        }
        let Some(q) = facts.questions.iter().find(|q| &q.id == id) else {
            // Not a question of these forms (a guide question, one an older form had).
            dropped += 1;
            continue;
        };
        let checked = answer_for(&q.kind, raw).map(|v| forms.check_answer(&procedures, id, &v));
        match checked {
            Some(Ok(Some(v))) => answers.set(id.clone(), v),
            Some(Ok(None)) => {}
            Some(Err(_)) | None => {
                refused += 1;
                dropped += 1;
            }
        }
    }

    let mut notices = vec![filled_notice()];
    if !unknown.is_empty() {
        notices.push(
            Msg::new("この窓口では受け付けていない手続きがコードにありました({})。ほかの手続きは続けられます。")
                .arg(Arg::Plain(unknown.join("、"))),
        );
    }
    if version_changed {
        notices.push(Msg::new(
            "事前入力のあとで書類の様式が変わりました。使える答えは入れてあります。ほかの質問にはもう一度お答えください。",
        ));
    } else if refused > 0 {
        notices.push(
            Msg::new("コードの答えのうち{}件は使えなかったため入れていません。その質問にもう一度お答えください。")
                .arg(refused),
        );
    }
    if card_given {
        notices.push(Msg::new("氏名・住所などはカードから読み取ります。コードにあった分は使っていません。"));
    }
    Ok(Imported { procedures, answers, language: code.language.clone(), notices, dropped })
}

/// The answer a code's value means for a question of this kind, if it can mean one.
fn answer_for(kind: &QuestionKind, raw: &RawValue) -> Option<AnswerValue> {
    match (kind, raw) {
        (QuestionKind::Choice(_), RawValue::Text(t)) => Some(AnswerValue::Choice(t.expose().to_string())),
        (QuestionKind::YesNo, RawValue::Bool(b)) => Some(AnswerValue::YesNo(*b)),
        (QuestionKind::Count { .. }, RawValue::Number(n)) => u32::try_from(*n).ok().map(AnswerValue::Count),
        (QuestionKind::Date, RawValue::Text(t)) => {
            let s = t.expose();
            (s.len() == 10).then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten().map(AnswerValue::Date)
        }
        (QuestionKind::Kana { .. } | QuestionKind::Text { .. } | QuestionKind::Phone, RawValue::Text(t)) => {
            Some(AnswerValue::Text(t.clone()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::forms::Catalog;
    use crate::forms::model::Source;
    use crate::session::FormFacts;
    use crate::session::ports::{AnswerProblem, FillRequest, FormError, Rendered};
    use crate::vocab::Question;
    use crate::vocab::person::SecretString;

    /// The forms layer's catalogue and validator over the embedded templates, without fonts
    /// (the import only asks for facts and checks).
    struct Embedded(Catalog);

    impl Embedded {
        fn new() -> Embedded {
            Embedded(Catalog::embedded().unwrap())
        }
        fn offered(&self) -> Vec<ProcedureInfo> {
            self.0.procedures.iter().map(crate::wiring::forms::procedure_info).collect()
        }
    }

    impl FormPort for Embedded {
        fn facts(&self, procedures: &[String]) -> FormFacts {
            let ids: Vec<&str> = procedures.iter().map(String::as_str).collect();
            let forms = self.0.forms_for(&ids);
            FormFacts {
                templates: forms.iter().map(|t| (t.id.clone(), t.version)).collect(),
                questions: self.0.questions(&ids),
                card_given: forms
                    .iter()
                    .flat_map(|t| &t.fields)
                    .filter(|f| f.source.is_card())
                    .map(|f| f.id.clone())
                    .collect(),
            }
        }
        fn check_answer(&self, procedures: &[String], id: &str, v: &AnswerValue) -> Result<Option<AnswerValue>, Msg> {
            let ids: Vec<&str> = procedures.iter().map(String::as_str).collect();
            let forms = self.0.forms_for(&ids);
            let f = forms.iter().flat_map(|t| &t.fields).find(|f| f.id == id && f.source == Source::Answer).unwrap();
            crate::forms::validate::check_answer(f, v).map_err(|p| p.message(&f.label))
        }
        fn procedures(&self) -> Vec<ProcedureInfo> {
            self.offered()
        }
        fn guide_questions(&self, _: &Answers) -> Vec<Question> {
            unreachable!()
        }
        fn guide_problems(&self, _: &Answers) -> Vec<AnswerProblem> {
            unreachable!()
        }
        fn guide_result(&self, _: &Answers) -> Vec<String> {
            unreachable!()
        }
        fn needs_my_number(&self, _: &[String]) -> bool {
            unreachable!()
        }
        fn questions(&self, _: &[String], _: &Answers) -> Vec<Question> {
            unreachable!()
        }
        fn problems(&self, _: &FillRequest<'_>) -> Vec<AnswerProblem> {
            unreachable!()
        }
        fn needs_signature(&self, _: &[String], _: &Answers) -> bool {
            unreachable!()
        }
        fn render(&self, _: &FillRequest<'_>, _: Option<&[u8]>) -> Result<Rendered, FormError> {
            unreachable!()
        }
        fn advice_procedures(&self, _: &[&str]) -> Vec<String> {
            unreachable!()
        }
        fn advice_sheet(
            &self,
            _: &[String],
            _: &[String],
            _: chrono::DateTime<chrono::FixedOffset>,
        ) -> Result<zeroize::Zeroizing<Vec<u8>>, FormError> {
            unreachable!()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn text(s: &str) -> RawValue {
        RawValue::Text(SecretString::new(s))
    }

    fn code(procedures: &[&str], templates: &[(&str, u32)], answers: &[(&str, RawValue)]) -> PreInput {
        PreInput {
            expires: today() + chrono::Days::new(30),
            language: Some("ja".into()),
            procedures: procedures.iter().map(|s| s.to_string()).collect(),
            templates: templates.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            answers: answers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>(),
        }
    }

    fn juminhyo_answers() -> Vec<(&'static str, RawValue)> {
        vec![
            ("requester", text("self")),
            ("phone", text("03-1234-5678")),
            ("juminhyo_certificate", text("all")),
            ("juminhyo_copies", RawValue::Number(2)),
            ("include_honseki", RawValue::Bool(true)),
            ("purpose", text("employment")),
            ("id_document", text("mynumber_card")),
            ("applicant_kana", text("ヤマダ タロウ")),
        ]
    }

    fn run(c: &PreInput) -> Result<Imported, Refused> {
        let forms = Embedded::new();
        import(c, &forms, &forms.offered(), today())
    }

    fn templates() -> String {
        Catalog::embedded().unwrap().templates.iter().map(|t| format!("{}={}", t.id, t.version)).collect()
    }

    #[test]
    fn a_current_code_selects_its_procedure_and_fills_every_answer_of_the_right_kind() {
        let c = code(&["juminhyo"], &[("juminhyo", 1)], &juminhyo_answers());
        let got = run(&c).unwrap();
        assert_eq!(got.procedures, ["juminhyo"]);
        assert_eq!(got.dropped, 0, "{:?} ({})", got.answers, templates());
        assert_eq!(got.answers.get("requester"), Some(&AnswerValue::Choice("self".into())));
        assert_eq!(got.answers.get("juminhyo_copies"), Some(&AnswerValue::Count(2)));
        assert_eq!(got.answers.get("include_honseki"), Some(&AnswerValue::YesNo(true)));
        assert!(
            matches!(got.answers.get("applicant_kana"), Some(AnswerValue::Text(t)) if t.expose() == "ヤマダ タロウ")
        );
        assert_eq!(got.notices, vec![filled_notice()], "nothing else to say");
        assert_eq!(got.language.as_deref(), Some("ja"));
    }

    #[test]
    fn an_expired_code_is_refused_with_its_date_and_the_last_day_still_counts() {
        let mut c = code(&["juminhyo"], &[("juminhyo", 1)], &[]);
        c.expires = today();
        assert!(run(&c).is_ok(), "valid through its last day");
        c.expires = today().pred_opt().unwrap();
        let e = run(&c).unwrap_err();
        assert_eq!(e, Refused::Expired(c.expires));
        assert!(e.message().ja().contains("2026-11-21") && e.message().ja().contains("作り直して"));
    }

    #[test]
    fn unknown_procedures_are_dropped_and_named() {
        let c = code(&["pet-license", "juminhyo", "juminhyo"], &[("juminhyo", 1)], &[]);
        let got = run(&c).unwrap();
        assert_eq!(got.procedures, ["juminhyo"], "known ones kept, each once");
        assert!(
            got.notices.iter().any(|m| m.ja().contains("受け付けていない手続き") && m.ja().contains("pet-license"))
        );
        let none = code(&["pet-license"], &[], &[]);
        assert_eq!(run(&none).unwrap_err(), Refused::NoProcedure);
    }

    #[test]
    fn an_older_template_version_keeps_what_still_fits_and_says_the_rest_is_asked_again() {
        let mut answers = juminhyo_answers();
        // Gone from the current form, and a value the current form's choices no longer have.
        answers.push(("old_question", text("x")));
        answers.push(("submit_to", text("会社")));
        answers.retain(|(k, _)| *k != "purpose");
        answers.push(("purpose", text("retired_choice")));
        let c = code(&["juminhyo"], &[("juminhyo", 0)], &answers);
        let got = run(&c).unwrap();
        assert_eq!(got.answers.get("requester"), Some(&AnswerValue::Choice("self".into())), "still fits");
        assert!(got.answers.get("purpose").is_none(), "not a choice any more: asked again");
        assert!(got.answers.get("old_question").is_none());
        assert_eq!(got.dropped, 2);
        assert!(got.notices.iter().any(|m| m.ja().contains("様式が変わりました")), "{:?}", got.notices);
    }

    #[test]
    fn values_the_validator_refuses_are_dropped_and_counted() {
        let c = code(
            &["juminhyo"],
            &[("juminhyo", 1)],
            &[
                ("requester", RawValue::Bool(true)),        // wrong kind
                ("phone", text("12")),                      // not a phone number
                ("applicant_kana", text("山田")),           // not kana
                ("juminhyo_copies", RawValue::Number(999)), // out of range
                ("include_honseki", RawValue::Bool(false)),
            ],
        );
        let got = run(&c).unwrap();
        assert_eq!(got.dropped, 4);
        assert_eq!(got.answers.len(), 1);
        let n = got.notices.iter().find(|m| m.ja().contains("使えなかった")).expect("said");
        assert!(n.ja().contains('4') && !n.ja().contains("山田"), "{}", n.ja());
    }

    #[test]
    fn what_the_card_gives_is_never_taken_from_a_code() {
        let c = code(
            &["juminhyo"],
            &[("juminhyo", 1)],
            &[("applicant_name", text("偽 名前")), ("applicant_address", text("どこか")), ("requester", text("self"))],
        );
        let got = run(&c).unwrap();
        assert!(got.answers.get("applicant_name").is_none() && got.answers.get("applicant_address").is_none());
        assert_eq!(got.answers.len(), 1);
        assert!(got.notices.iter().any(|m| m.ja().contains("カードから読み取ります")));
        for m in &got.notices {
            assert!(!m.ja().contains("偽") && !m.ja().contains("どこか"));
        }
    }

    #[test]
    fn dates_are_taken_only_as_yyyy_mm_dd() {
        let forms = Embedded::new();
        let offered = forms.offered();
        let date_q = forms
            .facts(&["tennyu".to_string()])
            .questions
            .into_iter()
            .find(|q| q.kind == QuestionKind::Date)
            .expect("a date question on 住民異動届");
        let v = |s: &str| code(&["tennyu"], &[("idou", 2)], &[(date_q.id.as_str(), text(s))]);
        let ok = import(&v("2026-11-20"), &forms, &offered, today()).unwrap();
        assert_eq!(
            ok.answers.get(&date_q.id),
            Some(&AnswerValue::Date(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()))
        );
        for bad in ["2026/11/20", "20261120", "2026-13-01", "令和8年"] {
            let got = import(&v(bad), &forms, &offered, today()).unwrap();
            assert!(got.answers.get(&date_q.id).is_none(), "{bad}");
        }
    }
}
