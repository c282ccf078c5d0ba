//! Turning the confirmed session into files and deliveries: render the forms into the
//! session's private work directory, hand them to the output service on a worker thread,
//! delete them again.

use std::path::Path;
use std::sync::mpsc::{self, TryRecvError};
use std::time::Instant;

use super::super::answers::AnswerValue;
use super::super::services::{FillRequest, OutputAction, RenderedVisit, Visit};
use super::{Delivery, PAD_H, PAD_W, Session, Step};
use crate::card::CardAttributes;
use crate::i18n::{Arg, Msg};

impl Session {
    pub(super) fn render(&mut self) {
        if self.attributes.is_none() {
            self.card_removed();
            return;
        }
        self.delete_work_dir();
        let dir = self.settings.work_root.join(format!("session-{}-{}", std::process::id(), self.sessions_started));
        if let Err(e) = make_private_dir(&dir) {
            self.message = Some(
                Msg::new("作業用フォルダを作れませんでした。職員にお声がけください。({})")
                    .arg(Arg::Plain(e.kind().to_string())),
            );
            return;
        }
        self.work_dir = Some(dir.clone());
        let png = match self.signature.to_png(PAD_W, PAD_H, 6.0) {
            Ok(p) => p,
            Err(_) => {
                self.message = Some(Msg::new("署名を画像にできませんでした。もう一度書いてください。"));
                return;
            }
        };
        // One 受付番号 per visit: going back and confirming again keeps it.
        let receipt_id = match &self.receipt_id {
            Some(r) => r.clone(),
            None => match self.output.new_receipt_id() {
                Ok(r) => {
                    self.receipt_id = Some(r.clone());
                    r
                }
                Err(e) => {
                    eprintln!("madoguchi: {e}");
                    self.message = Some(e.message());
                    return;
                }
            },
        };
        let Some(attrs) = self.edited_attributes() else { return };
        let req = FillRequest {
            procedures: &self.selected,
            attributes: &attrs,
            my_number: self.my_number.as_ref(),
            answers: &self.answers,
            guide: self.via_guide.then_some(&self.guide),
            signature_png: &png,
            receipt_id: &receipt_id,
            work_dir: &dir,
        };
        match self.forms.render(&req) {
            Ok(visit) => {
                for f in &visit.forms {
                    if !self.keys.iter().any(|(p, _)| p == &f.procedure_id) {
                        self.keys.push((f.procedure_id.clone(), crate::output::payload::new_idempotency_key()));
                    }
                }
                self.rendered = visit;
                self.signature_png = png;
                self.message = None;
            }
            Err(e) => {
                eprintln!("madoguchi: {e}");
                self.rendered = RenderedVisit::default();
                self.message = Some(e.message());
            }
        }
        self.step = Step::Confirm;
    }

    /// The card's values with the clerk's corrections (外字 typed by a clerk, a moved address).
    fn edited_attributes(&self) -> Option<CardAttributes> {
        let mut a = self.attributes.clone()?;
        if let Some(AnswerValue::Text(v)) = self.clerk_edits.get("name") {
            a.name = v.clone();
        }
        if let Some(AnswerValue::Text(v)) = self.clerk_edits.get("address") {
            a.address = v.clone();
        }
        Some(a)
    }

    /// Start printing or sending on a worker thread; [`Session::tick`] collects the result.
    pub(super) fn deliver(&mut self, action: OutputAction, now: Instant) {
        let allowed = match action {
            OutputAction::Print => self.output.can_print(),
            OutputAction::Send => self.output.can_send(),
            OutputAction::PrintAndSend => self.output.can_print() && self.output.can_send(),
        };
        if !allowed || self.delivery.is_some() {
            return;
        }
        let Some(receipt_id) = self.receipt_id.clone().filter(|_| !self.rendered.forms.is_empty()) else {
            self.message = Some(Msg::new("作成された書類がありません。職員にお声がけください。"));
            self.step = Step::Output;
            return;
        };
        let visit = Visit {
            receipt_id,
            created: chrono::Utc::now(),
            rendered: self.rendered.clone(),
            signature_png: self.signature_png.clone(),
            keys: self.keys.clone(),
        };
        let (tx, rx) = mpsc::channel();
        let output = self.output.clone();
        let spawned = std::thread::Builder::new().name("madoguchi-deliver".into()).spawn(move || {
            // The receiver may be gone (session cancelled); the job itself still completes.
            let _ = tx.send(output.deliver(&visit, action));
        });
        if let Err(e) = spawned {
            eprintln!("madoguchi: cannot start the output thread: {e} / 出力処理を開始できません");
            self.message = Some(Msg::new("印刷・送信を開始できませんでした。職員にお声がけください。"));
            self.step = Step::Output;
            return;
        }
        self.delivery = Some(Delivery { action, rx });
        self.last_action = Some(action);
        self.message = None;
        self.step = Step::Output;
        self.last_activity = now;
    }

    /// Collect a finished delivery, if any.
    pub(super) fn poll_delivery(&mut self, now: Instant) {
        let Some(d) = &self.delivery else { return };
        let result = match d.rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err(super::super::services::OutputError::Send {
                detail: "the output thread ended without an answer / 出力処理が応答なく終了しました".into(),
                message: Msg::new("印刷・送信の処理が途中で止まりました。"),
            }),
        };
        self.delivery = None;
        self.last_activity = now;
        match result {
            Ok(r) => {
                self.receipt = Some(r);
                self.message = None;
                self.step = Step::Done;
                self.entered_done = now;
            }
            Err(e) => {
                eprintln!("madoguchi: {e}");
                self.message = Some(e.message());
                self.step = if self.receipt.is_some() { Step::Done } else { Step::Output };
                self.entered_done = now;
            }
        }
    }

    pub(super) fn delete_work_dir(&mut self) {
        if let Some(d) = self.work_dir.take()
            && let Err(e) = std::fs::remove_dir_all(&d)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            // Nothing personal in the path: it is session-<pid>-<n>.
            eprintln!("madoguchi: could not delete {} ({e}) / 作業ファイルを削除できませんでした", d.display());
        }
    }
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}
