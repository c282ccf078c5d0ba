//! カードの状態を確かめる: the card on the reader tells, without a PIN and without personal
//! data, how many tries each of its three PINs has left and until when its 利用者証明用電子証明書
//! is valid; the kiosk says what to do, prints a 手続き案内 for it, and offers the application
//! form for it (an ordinary procedure, with the PIN — or 照合番号B with a clerk).

use std::sync::mpsc::{self, TryRecvError};

use crate::i18n::Msg;

use super::super::machine::{Event, Session};
use super::super::ports::{CardAdvice, DeliveryError};
use super::super::stage::Stage;
use super::super::visit::Plan;

impl Session {
    /// Read the status once a card is there (and the printing of its sheet, if any).
    pub(crate) fn poll_status(&mut self) {
        let today = self.ports.clock.today();
        let Stage::CardCheck(c) = &mut self.stage else { return };
        if let Some(rx) = &c.printing {
            match rx.try_recv() {
                Ok(Ok(())) => {
                    c.printing = None;
                    c.printed = true;
                    c.message = None;
                }
                Ok(Err(e)) => {
                    eprintln!("madoguchi: {e}");
                    c.printing = None;
                    c.message = Some(e.message());
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => c.printing = None,
            }
        }
        if c.status.is_some() {
            return;
        }
        match self.ports.card.present() {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                c.message = Some(e.message);
                return;
            }
        }
        match self.ports.card.status(today) {
            Ok(s) => {
                c.status = Some(s);
                c.message = None;
            }
            Err(e) => c.message = Some(e.message),
        }
        self.ports.card.release();
    }

    /// What the status means, most urgent first.
    pub fn card_advice(&self) -> &[CardAdvice] {
        match &self.stage {
            Stage::CardCheck(c) => c.status.as_ref().map_or(&[][..], |s| s.advice.as_slice()),
            _ => &[],
        }
    }

    /// The procedures the status calls for (an application form a resident can make now).
    pub fn advised_procedures(&self) -> Vec<String> {
        let keys: Vec<&str> = self.card_advice().iter().map(|a| a.key).collect();
        if keys.is_empty() { Vec::new() } else { self.ports.forms.advice_procedures(&keys) }
    }

    pub(crate) fn card_check_event(&mut self, ev: Event) {
        match ev {
            Event::PrintCardAdvice => self.print_advice(),
            Event::ChooseProcedure(id) if self.advised_procedures().contains(&id) => {
                // The card is on the reader: on to its PIN.
                self.enter_card_step(Plan { procedures: vec![id], ..Plan::default() });
            }
            _ => {}
        }
    }

    fn print_advice(&mut self) {
        // The sheet tells what to do, never the card's dates (they give away a birthday).
        let notes: Vec<String> = self.card_advice().iter().map(|a| a.on_paper.ja()).collect();
        let procedures = self.advised_procedures();
        let Stage::CardCheck(c) = &mut self.stage else { return };
        if c.printing.is_some() || notes.is_empty() || !self.ports.output.offers().print {
            return;
        }
        let pdf = match self.ports.forms.advice_sheet(&notes, &procedures, self.ports.clock.local()) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("madoguchi: {e}");
                c.message = Some(e.message());
                return;
            }
        };
        let (tx, rx) = mpsc::channel::<Result<(), DeliveryError>>();
        let output = self.ports.output.clone();
        let spawned = std::thread::Builder::new().name("madoguchi-print-advice".into()).spawn(move || {
            let _ = tx.send(output.print_sheet(&pdf, "card-status"));
        });
        match spawned {
            Ok(_) => c.printing = Some(rx),
            Err(_) => c.message = Some(Msg::new("印刷・送信を開始できませんでした。職員にお声がけください。")),
        }
    }
}
