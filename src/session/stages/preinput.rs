//! A pre-input code scanned at the counter: on the start screen it starts a visit with the
//! code's procedures and answers (the card and PIN follow, then the review with the answers
//! filled); a clerk may also scan on the procedure and card screens. Anywhere else nothing
//! changes and the resident is told where to scan. The code's text is never kept: only what
//! [`crate::session::preinput_import`] made of it, inside the stage (wiped with the visit).

use crate::i18n::Msg;
use crate::vocab::person::SecretString;
use crate::vocab::preinput_code;

use super::super::preinput_import::import;
use crate::vocab::visit::Step;

use super::super::machine::Session;
use super::super::stage::Stage;
use super::super::visit::{Plan, PreFill};

/// Said on every screen that does not take a code.
pub(crate) fn wrong_screen() -> Msg {
    Msg::new("事前入力のコードは、最初の画面で読み取らせてください。この画面では使えません。")
}

/// The review screen's notice: the notices of a code, one per line.
pub(crate) fn notice(notices: Vec<Msg>) -> Option<Msg> {
    notices.into_iter().reduce(|all, m| Msg::new("{}\n{}").arg(all).arg(m))
}

impl Session {
    pub(crate) fn scan_code(&mut self, code: &SecretString) {
        let takes = match &self.stage {
            Stage::Start(_) => true,
            Stage::Choosing(_) | Stage::Card(_) => self.clerk.unlocked(),
            _ => false,
        };
        if !takes {
            self.show(wrong_screen());
            return;
        }
        let today = self.ports.clock.today();
        let imported = preinput_code::decode(code.expose())
            .map_err(|e| e.message())
            .and_then(|p| import(&p, self.ports.forms.as_ref(), self.procedures(), today).map_err(|r| r.message()));
        let imported = match imported {
            Ok(i) => i,
            Err(m) => {
                self.show(m);
                return;
            }
        };
        if matches!(self.stage, Stage::Start(_)) {
            // A new resident, as with 「はじめる」.
            self.sessions_started += 1;
            let now = self.now();
            self.visit.begin(Step::Card, now, self.ports.clock.local().naive_local());
            self.clerk.relock_for_new_visit(self.ports.clerk.as_ref());
        }
        if let Some(l) = imported.language.filter(|l| self.settings.languages.contains(l)) {
            self.language = l;
        }
        self.preinput_used = true;
        self.visit.mark_preinput();
        let prefill = PreFill { answers: imported.answers, notices: imported.notices };
        self.enter_card_step(Plan { procedures: imported.procedures, guide: None, prefill: Some(prefill) });
    }

    /// A message on the current screen, changing nothing else.
    fn show(&mut self, m: Msg) {
        let slot = match &mut self.stage {
            Stage::Start(s) => &mut s.notice,
            Stage::CardCheck(s) => &mut s.message,
            Stage::Choosing(s) => &mut s.message,
            Stage::Card(s) => &mut s.message,
            Stage::Pin(s) => &mut s.message,
            Stage::Review(s) => &mut s.message,
            Stage::Signing(s) => &mut s.message,
            Stage::Confirm(s) => &mut s.message,
            Stage::Output(s) => &mut s.message,
            Stage::Done(s) => &mut s.message,
        };
        *slot = Some(m);
    }
}
