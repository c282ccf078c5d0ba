//! The procedure screen: the catalogue, or the life-event guide that chooses procedures from
//! a few answers.

use crate::vocab::{AnswerValue, QuestionKind};

use super::super::machine::{Event, Session};
use super::super::stage::{ProcedureMode, Stage};
use super::super::visit::Plan;

impl Session {
    pub(crate) fn choosing_event(&mut self, ev: Event) {
        let known = matches!(&ev, Event::ChooseProcedure(id) if self.procedure_exists(id));
        let Stage::Choosing(c) = &mut self.stage else { return };
        match ev {
            Event::ShowGuide => c.mode = ProcedureMode::Guide,
            Event::ShowCatalogue => c.mode = ProcedureMode::Catalogue,
            Event::ChooseProcedure(id) if known => {
                self.enter_card_step(Plan { procedures: vec![id], ..Plan::default() });
            }
            Event::Choose { question, index } => {
                let qs = self.ports.forms.guide_questions(&c.guide);
                if let Some(v) = qs.iter().find(|q| q.id == question).and_then(|q| tapped(&q.kind, index)) {
                    self.set_guide_answer(question, v);
                }
            }
            Event::Answer(id, v) => self.set_guide_answer(id, v),
            Event::GuideDone => {
                let problems = self.ports.forms.guide_problems(&c.guide);
                if let Some(p) = problems.into_iter().next() {
                    c.message = Some(p.message);
                } else {
                    let procedures = self.ports.forms.guide_result(&c.guide);
                    let guide = std::mem::take(&mut c.guide);
                    self.enter_card_step(Plan { procedures, guide: Some(guide), prefill: None });
                }
            }
            _ => {}
        }
    }

    fn set_guide_answer(&mut self, id: String, v: AnswerValue) {
        let Stage::Choosing(c) = &mut self.stage else { return };
        c.guide.set(id, v);
        c.message = None;
        // Another life event: forget the answers to the questions it does not ask.
        let asked: Vec<String> = self.ports.forms.guide_questions(&c.guide).into_iter().map(|q| q.id).collect();
        c.guide.retain(|k| asked.iter().any(|a| a == k));
    }
}

/// The answer a tap on choice `index` of a question means (yes/no: 0 = はい, 1 = いいえ).
pub(crate) fn tapped(kind: &QuestionKind, index: usize) -> Option<AnswerValue> {
    match kind {
        QuestionKind::Choice(cs) => cs.get(index).map(|c| AnswerValue::Choice(c.id.clone())),
        QuestionKind::YesNo if index <= 1 => Some(AnswerValue::YesNo(index == 0)),
        _ => None,
    }
}
