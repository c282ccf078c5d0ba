//! The signature pad, and turning the signed visit into forms (the confirm step).

use crate::i18n::Msg;

use super::super::machine::{Event, PAD_H, PAD_W, Session};
use super::super::ports::FillRequest;
use super::super::stage::{Confirm, Stage};

impl Session {
    pub(crate) fn signing_event(&mut self, ev: Event) {
        let Stage::Signing(s) = &mut self.stage else { return };
        match ev {
            Event::StrokeBegin(x, y) => s.pad.begin_stroke(x, y),
            Event::StrokeMove(x, y) => s.pad.extend_stroke(x, y),
            Event::SignatureUndo => s.pad.undo(),
            Event::SignatureRedo => s.pad.redo(),
            Event::SignatureClear => s.pad.clear(),
            Event::SignatureDone if s.pad.is_empty() => {
                s.message = Some(Msg::new("枠の中に指でお名前を書いてください。"));
            }
            Event::SignatureDone => self.render(),
            _ => {}
        }
    }

    /// Fill and render the forms with the signature; the confirm screen shows them (or why
    /// they could not be made).
    fn render(&mut self) {
        let Stage::Signing(s) = &mut self.stage else { return };
        let png = match s.pad.to_png(PAD_W, PAD_H, 6.0) {
            Ok(p) => p,
            Err(_) => {
                s.message = Some(Msg::new("署名を画像にできませんでした。もう一度書いてください。"));
                return;
            }
        };
        // One 受付番号 per visit: going back and confirming again keeps it.
        if s.visit.receipt_id.is_none() {
            match self.ports.output.new_receipt_id(self.ports.clock.today()) {
                Ok(r) => s.visit.receipt_id = Some(r),
                Err(e) => {
                    eprintln!("madoguchi: {e}");
                    s.message = Some(e.message());
                    return;
                }
            }
        }
        let created = self.ports.clock.local();
        let req = FillRequest {
            procedures: &s.visit.plan.procedures,
            card: &s.visit.card,
            answers: &s.visit.answers,
            guide: s.visit.plan.guide.as_ref(),
            receipt_id: s.visit.receipt_id.as_deref().unwrap_or(""),
            created,
        };
        let result = self.ports.forms.render(&req, &png);
        let Stage::Signing(s) = std::mem::replace(&mut self.stage, Stage::Start(Default::default())) else { return };
        let (rendered, message) = match result {
            Ok(r) => (Some(r), None),
            Err(e) => {
                eprintln!("madoguchi: {e}");
                self.visit.error(crate::stats::ErrorKind::FormFailed);
                (None, Some(e.message()))
            }
        };
        self.stage =
            Stage::Confirm(Confirm { visit: s.visit, pad: s.pad, rendered, signature_png: png, created, message });
    }
}
