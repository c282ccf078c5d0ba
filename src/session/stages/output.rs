//! 印刷 / 送信: the confirmed visit handed to the output layer on a worker thread, its result
//! collected by `tick`, the receipt on the done screen, and a clerk's reprint from there.

use std::sync::Arc;
use std::sync::mpsc::{self, TryRecvError};

use crate::i18n::Msg;

use super::super::machine::{EndReason, Event, Session};
use super::super::ports::{ConfirmedVisit, DeliveryError, OutputAction};
use super::super::stage::{Delivery, Done, FailedPart, Output, Stage};

impl Session {
    pub(crate) fn output_event(&mut self, ev: Event) {
        match (&self.stage, ev) {
            (Stage::Confirm(_) | Stage::Output(_), Event::Deliver(action)) => self.deliver(action),
            (Stage::Done(_), Event::Deliver(action)) if self.clerk.unlocked() => {
                let now = self.now();
                self.clerk.acted(now);
                if action == OutputAction::Print {
                    self.ports.clerk.journal(super::super::ports::ClerkEvent::Reprint);
                }
                self.deliver(action);
            }
            (Stage::Done(_), Event::Finish) => self.end(EndReason::Done),
            _ => {}
        }
    }

    fn allowed(&self, action: OutputAction) -> bool {
        let o = self.ports.output.offers();
        match action {
            OutputAction::Print => o.print,
            OutputAction::Send => o.send,
            OutputAction::PrintAndSend => o.print && o.send,
        }
    }

    /// Start printing or sending on a worker thread; [`Session::tick`] collects the result.
    fn deliver(&mut self, action: OutputAction) {
        if !self.allowed(action) || self.delivering().is_some() {
            return;
        }
        let stage = std::mem::replace(&mut self.stage, Stage::Start(Default::default()));
        let (visit, receipt) = match stage {
            Stage::Confirm(c) => match (c.rendered, c.visit.receipt_id.clone()) {
                (Some(rendered), Some(receipt_id)) if !rendered.forms.is_empty() => {
                    // The keys are fixed here, once: a retry never doubles a submission.
                    let mut keys: Vec<(String, String)> = Vec::new();
                    for f in &rendered.forms {
                        if !keys.iter().any(|(p, _)| p == &f.procedure_id) {
                            keys.push((f.procedure_id.clone(), self.ports.output.new_idempotency_key()));
                        }
                    }
                    let visit = ConfirmedVisit {
                        receipt_id,
                        plan: c.visit.plan,
                        created: c.created,
                        rendered,
                        card: c.visit.card,
                        signature_png: c.signature_png,
                        keys,
                    };
                    (Arc::new(visit), None)
                }
                (rendered, _) => {
                    self.stage = Stage::Confirm(super::super::stage::Confirm {
                        rendered,
                        message: Some(Msg::new("作成された書類がありません。職員にお声がけください。")),
                        ..c
                    });
                    return;
                }
            },
            Stage::Output(o) => (o.visit, o.receipt),
            Stage::Done(d) => (d.visit, Some(d.receipt)),
            other => {
                self.stage = other;
                return;
            }
        };
        if receipt.is_none() {
            let now = self.now();
            self.visit.delivery_started(now);
        }
        let (tx, rx) = mpsc::channel();
        let output = self.ports.output.clone();
        let shared = visit.clone();
        let spawned = std::thread::Builder::new().name("madoguchi-deliver".into()).spawn(move || {
            // The receiver may be gone (session cancelled); the job itself still completes.
            let _ = tx.send(output.deliver(&shared, action));
        });
        let (delivery, message, failed) = match spawned {
            Ok(_) => (Some(Delivery { action, rx }), None, None),
            Err(e) => {
                eprintln!("madoguchi: cannot start the output thread: {e} / 出力処理を開始できません");
                let part = if action == OutputAction::Print { FailedPart::Print } else { FailedPart::Send };
                (None, Some(Msg::new("印刷・送信を開始できませんでした。職員にお声がけください。")), Some(part))
            }
        };
        self.stage = Stage::Output(Output { visit, delivery, last: action, receipt, message, failed });
    }

    /// Collect a finished delivery, if any.
    pub(crate) fn poll_delivery(&mut self) {
        let Stage::Output(o) = &mut self.stage else { return };
        let Some(d) = &o.delivery else { return };
        let result = match d.rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err(DeliveryError::Send {
                detail: "the output thread ended without an answer / 出力処理が応答なく終了しました".into(),
                message: Msg::new("印刷・送信の処理が途中で止まりました。"),
            }),
        };
        o.delivery = None;
        let now = self.now();
        self.last_activity = now;
        let Stage::Output(o) = std::mem::replace(&mut self.stage, Stage::Start(Default::default())) else { return };
        match (&result, &o.receipt) {
            (Ok(_), None) => self.visit.delivered(o.last, now),
            (Err(DeliveryError::Printer { .. }), _) => self.visit.error(crate::vocab::visit::ErrorKind::PrintFailed),
            (Err(DeliveryError::Send { .. }), _) => self.visit.error(crate::vocab::visit::ErrorKind::SendFailed),
            (Ok(_), Some(_)) => {}
        }
        self.stage = match (result, o.receipt) {
            (Ok(receipt), _) => Stage::Done(Done { visit: o.visit, receipt, last: o.last, since: now, message: None }),
            (Err(e), receipt) => {
                eprintln!("madoguchi: {e}");
                match receipt {
                    // A clerk's reprint failed: the visit itself was delivered.
                    Some(receipt) => Stage::Done(Done {
                        visit: o.visit,
                        receipt,
                        last: o.last,
                        since: now,
                        message: Some(e.message()),
                    }),
                    None => {
                        let failed = Some(match e {
                            DeliveryError::Printer { .. } => FailedPart::Print,
                            DeliveryError::Send { .. } => FailedPart::Send,
                        });
                        Stage::Output(Output { message: Some(e.message()), receipt: None, delivery: None, failed, ..o })
                    }
                }
            }
        };
    }

    /// Which part of the visit's delivery failed, while the output screen shows the failure.
    pub fn output_failed(&self) -> Option<FailedPart> {
        match &self.stage {
            Stage::Output(o) if o.delivery.is_none() => o.failed,
            _ => None,
        }
    }

    /// What the output screen shows and what もう一度ためす does: the running or last action.
    pub fn output_action(&self) -> Option<OutputAction> {
        match &self.stage {
            Stage::Output(o) => Some(o.delivery.as_ref().map_or(o.last, |d| d.action)),
            Stage::Done(d) => Some(d.last),
            _ => None,
        }
    }
}
