//! The review step: the card's values and the questions the card cannot answer, the touch
//! rules for each control (choices, counts, dates, the on-screen keyboards) and the forms'
//! own check before the resident signs.

use chrono::{Months, NaiveDate};
use zeroize::Zeroizing;

use crate::vocab::person::SecretString;
use crate::vocab::{AnswerValue, QuestionKind};

use super::super::machine::{DatePart, Event, Ports, Session};
use super::super::ports::FillRequest;
use super::super::signature::Signature;
use super::super::stage::{Answering, Review, Signing, Stage};
use super::choosing::tapped;

impl Session {
    /// The review screen for `visit`, with the questions and problems for its answers.
    pub(crate) fn enter_review(&mut self, visit: Answering) -> Stage {
        let mut r = Review {
            visit,
            questions: Vec::new(),
            problems: Vec::new(),
            show_problems: false,
            editing: None,
            message: None,
        };
        refresh(&self.ports, &mut r);
        Stage::Review(r)
    }

    pub(crate) fn review_event(&mut self, ev: Event) {
        let today = self.ports.clock.today();
        let Stage::Review(r) = &mut self.stage else { return };
        let question = |id: &str| r.questions.iter().find(|q| q.id == id);
        let answer = match ev {
            Event::Choose { question: id, index } => {
                question(&id).and_then(|q| tapped(&q.kind, index)).map(|v| (id, Some(v)))
            }
            Event::Answer(id, v) => Some((id, Some(v))),
            Event::ClearAnswer(id) => Some((id, None)),
            Event::CountStep(id, delta) => question(&id).and_then(|q| match q.kind {
                QuestionKind::Count { min, max } => {
                    let cur = match r.visit.answers.get(&id) {
                        Some(AnswerValue::Count(n)) => i64::from(*n),
                        _ => i64::from(min),
                    };
                    let n = (cur + i64::from(delta)).clamp(i64::from(min), i64::from(max));
                    Some((id, Some(AnswerValue::Count(u32::try_from(n).unwrap_or(min)))))
                }
                _ => None,
            }),
            Event::DateStep(id, part, delta) => question(&id).filter(|q| q.kind == QuestionKind::Date).map(|_| {
                let cur = match r.visit.answers.get(&id) {
                    Some(AnswerValue::Date(d)) => *d,
                    _ => today,
                };
                (id, Some(AnswerValue::Date(step_date(cur, part, delta))))
            }),
            Event::EditStart(id) => {
                let editable = question(&id).is_some_and(|q| {
                    matches!(q.kind, QuestionKind::Kana { .. } | QuestionKind::Text { .. } | QuestionKind::Phone)
                });
                if editable {
                    r.editing = Some(id);
                }
                None
            }
            Event::EditDone => {
                r.editing = None;
                None
            }
            Event::EditKey(_) | Event::EditBackspace | Event::EditSameAsAddress | Event::EditSet(_) => {
                let Some(id) = r.editing.clone() else { return };
                let mut text = Zeroizing::new(match r.visit.answers.get(&id) {
                    Some(AnswerValue::Text(t)) => t.expose().to_string(),
                    _ => String::new(),
                });
                match ev {
                    Event::EditKey(k) => text.push_str(&k),
                    Event::EditBackspace => {
                        text.pop();
                    }
                    Event::EditSameAsAddress => *text = r.visit.card.address().expose().to_string(),
                    Event::EditSet(t) => *text = t.expose().to_string(),
                    _ => {}
                }
                Some((id, Some(AnswerValue::Text(SecretString::new(text.as_str())))))
            }
            Event::ReviewDone => {
                r.show_problems = true;
                if !r.problems.is_empty() {
                    self.visit.error(crate::vocab::visit::ErrorKind::AnswerProblem);
                }
                if r.problems.is_empty() {
                    let Stage::Review(r) = std::mem::replace(&mut self.stage, Stage::Start(Default::default())) else {
                        return;
                    };
                    let visit = r.visit;
                    // Straight to the confirm screen when no chosen form asks for a signature.
                    self.stage = if self.ports.forms.needs_signature(&visit.plan.procedures, &visit.answers) {
                        Stage::Signing(Signing { visit, pad: Signature::default(), message: None })
                    } else {
                        match self.make_forms(visit, Signature::default()) {
                            Ok(confirm) => confirm,
                            Err(back) => {
                                let (visit, _, message) = *back;
                                let mut review = self.enter_review(visit);
                                if let Stage::Review(r) = &mut review {
                                    r.message = Some(message);
                                }
                                review
                            }
                        }
                    };
                }
                None
            }
            _ => None,
        };
        if let Some((id, v)) = answer
            && let Stage::Review(r) = &mut self.stage
        {
            match v {
                Some(v) => r.visit.answers.set(id, v),
                None => r.visit.answers.remove(&id),
            }
            refresh(&self.ports, r);
        }
    }

    /// A clerk's corrections: only values that differ from the card count (and are shown
    /// as 「職員が修正」); setting a value back to the card's removes the correction.
    pub(crate) fn correct_card(&mut self, name: &SecretString, address: &SecretString) -> (bool, bool) {
        let Stage::Review(r) = &mut self.stage else { return (false, false) };
        let card = &mut r.visit.card;
        let differs = |new: &SecretString, read: &SecretString| !new.expose().trim().is_empty() && new != read;
        card.corrections.name = differs(name, &card.attributes.name).then(|| name.clone());
        card.corrections.address = differs(address, &card.attributes.address).then(|| address.clone());
        let changed = (card.corrections.name.is_some(), card.corrections.address.is_some());
        refresh(&self.ports, r);
        changed
    }
}

/// Questions whose conditions hold now (a count of 3 opens the third row of a table), with
/// sensible starting values so only real decisions need a tap, and what the forms refuse.
fn refresh(ports: &Ports, r: &mut Review) {
    let forms = ports.forms.as_ref();
    r.questions = forms.questions(&r.visit.plan.procedures, &r.visit.answers);
    for q in &r.questions {
        match q.kind {
            QuestionKind::Count { min, .. } => r.visit.answers.set_default(&q.id, AnswerValue::Count(min)),
            QuestionKind::YesNo if !q.required => r.visit.answers.set_default(&q.id, AnswerValue::YesNo(false)),
            _ => {}
        }
    }
    let req = FillRequest {
        procedures: &r.visit.plan.procedures,
        card: &r.visit.card,
        answers: &r.visit.answers,
        guide: r.visit.plan.guide.as_ref(),
        receipt_id: r.visit.receipt_id.as_deref().unwrap_or(""),
        created: ports.clock.local(),
    };
    r.problems = forms.problems(&req);
}

/// A date moved by a date picker's button; a step that has no date (31 Feb) stays put.
pub(crate) fn step_date(d: NaiveDate, part: DatePart, delta: i32) -> NaiveDate {
    let months = |n: i32| Months::new(n.unsigned_abs());
    let r = match part {
        DatePart::Year if delta >= 0 => d.checked_add_months(months(delta.saturating_mul(12))),
        DatePart::Year => d.checked_sub_months(months(delta.saturating_mul(12))),
        DatePart::Month if delta >= 0 => d.checked_add_months(months(delta)),
        DatePart::Month => d.checked_sub_months(months(delta)),
        DatePart::Day => d.checked_add_signed(chrono::Duration::days(i64::from(delta))),
    };
    r.unwrap_or(d)
}
