//! The signature pad, and turning the answered (and, when asked, signed) visit into forms
//! (the confirm step).

use zeroize::Zeroizing;

use crate::i18n::Msg;

use super::super::machine::{Event, PAD_H, PAD_W, Session};
use super::super::ports::FillRequest;
use super::super::signature::Signature;
use super::super::stage::{Answering, Confirm, Signing, Stage};

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
            Event::SignatureDone => {
                let Stage::Signing(s) = std::mem::replace(&mut self.stage, Stage::Start(Default::default())) else {
                    return;
                };
                self.stage = match self.make_forms(s.visit, s.pad) {
                    Ok(confirm) => confirm,
                    Err(back) => {
                        let (visit, pad, message) = *back;
                        Stage::Signing(Signing { visit, pad, message: Some(message) })
                    }
                };
            }
            _ => {}
        }
    }

    /// Fill and render the forms with the signature on `pad` (an empty pad: no chosen form
    /// asks for one); the confirm screen shows them, or why they could not be made. `Err`
    /// hands the visit back when nothing could be made at all (the signature image, the
    /// 受付番号), for the stage it came from to say why.
    pub(crate) fn make_forms(
        &mut self,
        mut visit: Answering,
        pad: Signature,
    ) -> Result<Stage, Box<(Answering, Signature, Msg)>> {
        let png = if pad.is_empty() {
            Zeroizing::new(Vec::new())
        } else {
            match pad.to_png(PAD_W, PAD_H, 6.0) {
                Ok(p) => p,
                Err(_) => {
                    return Err(Box::new((
                        visit,
                        pad,
                        Msg::new("署名を画像にできませんでした。もう一度書いてください。"),
                    )));
                }
            }
        };
        // One 受付番号 per visit: going back and confirming again keeps it.
        if visit.receipt_id.is_none() {
            match self.ports.output.new_receipt_id(self.ports.clock.today()) {
                Ok(r) => visit.receipt_id = Some(r),
                Err(e) => {
                    eprintln!("madoguchi: {e}");
                    return Err(Box::new((visit, pad, e.message())));
                }
            }
        }
        let created = self.ports.clock.local();
        let req = FillRequest {
            procedures: &visit.plan.procedures,
            card: &visit.card,
            answers: &visit.answers,
            guide: visit.plan.guide.as_ref(),
            receipt_id: visit.receipt_id.as_deref().unwrap_or(""),
            created,
        };
        let signature = (!png.is_empty()).then_some(png.as_slice());
        let (rendered, message) = match self.ports.forms.render(&req, signature) {
            Ok(r) => (Some(r), None),
            Err(e) => {
                eprintln!("madoguchi: {e}");
                self.visit.error(crate::vocab::visit::ErrorKind::FormFailed);
                (None, Some(e.message()))
            }
        };
        Ok(Stage::Confirm(Confirm { visit, pad, rendered, signature_png: png, created, message }))
    }
}
