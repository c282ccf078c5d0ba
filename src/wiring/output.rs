//! The real output layer behind the session's [`OutputPort`]: 印刷 prints the visit's
//! combined PDF over IPP; 送信 makes one submission per procedure durable in the outbox
//! (and the export spool, when configured) before the resident is told it was accepted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::i18n::Msg;
use crate::output::payload::{DeclaredCard, FormInput, Submission};
use crate::output::print::{PrintError, PrintJob, PrintRequest, Printer};
use crate::output::{self, OutputConfig};
use crate::session::ports::{
    ConfirmedVisit, DeliveryError, Offers, OutputAction, OutputPort, OutputStatus, Receipt, RenderedForm,
};
use crate::session::visit::CardFields;

/// How long a printer check stays fresh for the clerk screen.
const PRINTER_CHECK_EVERY: Duration = Duration::from_secs(20);

pub struct KioskOutput {
    service: output::OutputService,
    cfg: OutputConfig,
    kiosk_id: String,
    send: bool,
    printer_seen: Arc<Mutex<PrinterSeen>>,
    /// The job of a print that did not finish (paper out, jam, …), by receipt id: もう一度
    /// ためす follows it instead of submitting the same forms a second time.
    unfinished: Mutex<Option<(String, PrintJob)>>,
    /// The submissions of the visit being delivered, built once (by receipt id): a retry
    /// sends the very same ones.
    prepared: Mutex<Option<(String, Vec<Submission>)>>,
}

/// The last known printer state, refreshed in the background (never on the UI thread).
#[derive(Default)]
struct PrinterSeen {
    at: Option<Instant>,
    text: Msg,
    checking: bool,
}

impl KioskOutput {
    /// Open the outbox (and start the sender when a backend is configured). 送信 is offered
    /// when there is somewhere to send to (a backend or the export spool), or always with
    /// `outbox_only_send` (the demo keeps submissions in its local outbox).
    pub fn start(
        cfg: &OutputConfig,
        kiosk_id: &str,
        outbox_only_send: bool,
    ) -> Result<KioskOutput, output::service::OutputError> {
        let service = output::OutputService::start(cfg)?;
        Ok(KioskOutput {
            service,
            cfg: cfg.clone(),
            kiosk_id: kiosk_id.to_string(),
            send: outbox_only_send || cfg.backend.is_some() || cfg.export.enabled,
            printer_seen: Arc::default(),
            unfinished: Mutex::default(),
            prepared: Mutex::default(),
        })
    }

    fn print(&self, visit: &ConfirmedVisit) -> Result<(), DeliveryError> {
        let perr = |e: PrintError| DeliveryError::Printer { detail: e.to_string(), message: Msg::new(e.message_ja()) };
        if visit.rendered.print_pdf.is_empty() {
            return Err(DeliveryError::Printer {
                detail: "no print PDF was rendered / 印刷用PDFがありません".into(),
                message: Msg::new("印刷する書類がありません。"),
            });
        }
        let printer = Printer::new(&self.cfg.print, None).map_err(perr)?;
        // The receipt id names the job: spool file names never carry personal data.
        let req = PrintRequest { pdf: visit.rendered.print_pdf.clone(), job_name: visit.receipt_id.clone() };
        let result = self.print_once(&printer, &req);
        self.remember_printer(result.as_ref().err().map(|e| e.message_ja()));
        result.map_err(perr)
    }

    /// Submit and follow one job, or follow the unfinished job of this receipt. A job the
    /// printer holds (paper out…) is remembered; one that completed is forgotten, so a later
    /// 印刷 on the same receipt is a deliberate reprint.
    fn print_once(&self, printer: &Printer, req: &PrintRequest) -> Result<(), PrintError> {
        let mut unfinished = self.unfinished.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((receipt, job)) = unfinished.take()
            && receipt == req.job_name
        {
            match printer.resume(job) {
                Ok(Some(_)) => return Ok(()),
                Ok(None) => {} // aborted, canceled or gone: print it again
                Err(e) => {
                    *unfinished = Some((receipt, job));
                    return Err(e);
                }
            }
        }
        printer.check()?;
        let job = printer.submit(req)?;
        output::service::test_pause("printing");
        printer.wait(job).map(|_| ()).inspect_err(|_| *unfinished = Some((req.job_name.clone(), job)))
    }

    fn send(&self, visit: &ConfirmedVisit) -> Result<(), DeliveryError> {
        let mut prepared = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
        if prepared.as_ref().is_none_or(|(r, _)| r != &visit.receipt_id) {
            *prepared = Some((visit.receipt_id.clone(), submissions(visit, &self.kiosk_id)?));
        }
        // All of the visit at once: checked before any is committed (see `accept_all`).
        self.service
            .accept_all(prepared.as_ref().map_or(&[][..], |(_, s)| s.as_slice()))
            .map_err(|e| DeliveryError::Send { detail: e.to_string(), message: Msg::new(e.message_ja()) })?;
        // Kept only for a retry: once accepted they are in the (encrypted) outbox.
        *prepared = None;
        Ok(())
    }

    fn remember_printer(&self, problem: Option<&'static str>) {
        let mut seen = self.printer_seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.text = Msg::new(problem.unwrap_or("印刷できます"));
        seen.at = Some(Instant::now());
    }

    fn printer_status(&self) -> Msg {
        if self.cfg.print.printer_uri.is_none() {
            return Msg::new("印刷は設定されていません");
        }
        let mut seen = self.printer_seen.lock().unwrap_or_else(|p| p.into_inner());
        let stale = seen.at.is_none_or(|at| at.elapsed() >= PRINTER_CHECK_EVERY);
        if stale && !seen.checking {
            seen.checking = true;
            let shared = self.printer_seen.clone();
            let cfg = self.cfg.print.clone();
            let spawned = std::thread::Builder::new().name("madoguchi-printer-check".into()).spawn(move || {
                let text = match Printer::new(&cfg, None).and_then(|p| p.check()) {
                    Ok(()) => Msg::new("印刷できます"),
                    Err(e) => Msg::new(e.message_ja()),
                };
                let mut seen = shared.lock().unwrap_or_else(|p| p.into_inner());
                *seen = PrinterSeen { at: Some(Instant::now()), text, checking: false };
            });
            if spawned.is_err() {
                seen.checking = false;
            }
        }
        if seen.at.is_none() { Msg::new("確認しています") } else { seen.text.clone() }
    }
}

/// One submission per procedure of the visit, each with its own forms and PDF and only the
/// card attributes its own forms declare.
fn submissions(visit: &ConfirmedVisit, kiosk_id: &str) -> Result<Vec<Submission>, DeliveryError> {
    let serr = |detail: String| DeliveryError::Send {
        detail, message: Msg::new("送信用のデータを作れませんでした。")
    };
    let mut out = Vec::new();
    for (procedure_id, key) in &visit.keys {
        let forms: Vec<&RenderedForm> =
            visit.rendered.forms.iter().filter(|f| &f.procedure_id == procedure_id).collect();
        if forms.is_empty() {
            continue;
        }
        let pdf = match forms.as_slice() {
            [one] => one.pdf.clone(),
            many => {
                let parts: Vec<Vec<u8>> = many.iter().map(|f| f.pdf.to_vec()).collect();
                let joined = crate::forms::merge(&parts).map_err(|e| serr(format!("cannot merge the PDFs: {e}")));
                for mut p in parts {
                    zeroize::Zeroize::zeroize(&mut p);
                }
                Zeroizing::new(joined?)
            }
        };
        let declared = forms.iter().fold(CardFields::default(), |d, f| d.union(f.declares));
        out.push(Submission {
            idempotency_key: key.clone(),
            receipt_id: visit.receipt_id.clone(),
            kiosk_id: kiosk_id.to_string(),
            procedure_id: procedure_id.clone(),
            created_at: visit.created.with_timezone(&chrono::Utc),
            forms: forms
                .iter()
                .map(|f| FormInput {
                    form_id: f.form_id.clone(),
                    template_version: f.template_version.clone(),
                    values: f.values.clone(),
                })
                .collect(),
            card: declared_card(visit, declared),
            // The values are as printed; which of them a clerk corrected is said explicitly.
            card_corrected: corrected(visit, declared),
            signature_png: Some(visit.signature_png.clone()).filter(|s| !s.is_empty()),
            pdf,
        });
    }
    if out.is_empty() {
        return Err(serr("the visit has no forms to send".into()));
    }
    Ok(out)
}

/// Which of the declared attributes a clerk corrected (the payload says so explicitly).
fn corrected(visit: &ConfirmedVisit, declared: CardFields) -> Vec<crate::output::payload::CardAttribute> {
    use crate::output::payload::CardAttribute;
    let c = visit.card.corrected();
    let mut out = Vec::new();
    if declared.name && c.name {
        out.push(CardAttribute::Name);
    }
    if declared.address && c.address {
        out.push(CardAttribute::Address);
    }
    out
}

/// Only the attributes `declared`, as printed (a clerk's corrections in place).
fn declared_card(visit: &ConfirmedVisit, declared: CardFields) -> DeclaredCard {
    let c = &visit.card;
    DeclaredCard {
        name: declared.name.then(|| c.name().clone()),
        address: declared.address.then(|| c.address().clone()),
        birth_date: declared.birth_date.then(|| c.attributes.birth_date.date()),
        sex: declared.sex.then_some(c.attributes.sex),
        my_number: c.my_number.clone().filter(|_| declared.my_number),
    }
}

impl OutputPort for KioskOutput {
    fn offers(&self) -> Offers {
        Offers { print: self.cfg.print.printer_uri.is_some(), send: self.send }
    }
    fn new_receipt_id(&self, today: chrono::NaiveDate) -> Result<String, DeliveryError> {
        let n = self
            .service
            .outbox()
            .next_receipt_number(today)
            .map_err(|e| DeliveryError::Send { detail: e.to_string(), message: Msg::new(e.message_ja()) })?;
        Ok(receipt_id(&self.kiosk_id, today, n))
    }
    fn new_idempotency_key(&self) -> String {
        crate::output::payload::new_idempotency_key()
    }
    fn deliver(&self, visit: &ConfirmedVisit, action: OutputAction) -> Result<Receipt, DeliveryError> {
        match action {
            OutputAction::Print => self.print(visit)?,
            OutputAction::Send => self.send(visit)?,
            OutputAction::PrintAndSend => {
                self.send(visit)?;
                output::service::test_pause("sent");
                self.print(visit).map_err(|e| match e {
                    DeliveryError::Printer { detail, message } => DeliveryError::Printer {
                        detail,
                        message: Msg::new("窓口への送信は済みました。{}").arg(message),
                    },
                    other => other,
                })?
            }
        }
        Ok(Receipt::for_id(&visit.receipt_id))
    }
    fn print_sheet(&self, pdf: &[u8], job_name: &str) -> Result<(), DeliveryError> {
        let perr = |e: PrintError| DeliveryError::Printer { detail: e.to_string(), message: Msg::new(e.message_ja()) };
        let printer = Printer::new(&self.cfg.print, None).map_err(perr)?;
        let req = PrintRequest { pdf: Zeroizing::new(pdf.to_vec()), job_name: job_name.to_string() };
        let result = printer.print(&req).map(|_| ());
        self.remember_printer(result.as_ref().err().map(|e| e.message_ja()));
        result.map_err(perr)
    }
    fn forget(&self) {
        *self.prepared.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    fn housekeeping(&self) {
        self.service.housekeeping();
    }
    fn status(&self) -> OutputStatus {
        let outbox = match self.service.outbox().status() {
            Ok(s) if self.cfg.backend.is_none() => Msg::new("保存のみ {} 件(送信先なし)").arg(s.kept),
            Ok(s) => {
                Msg::new("送信待ち {} 件・送信済み {} 件・要対応 {} 件").arg(s.pending).arg(s.sent).arg(s.needs_clerk)
            }
            Err(e) => Msg::new(e.message_ja()),
        };
        OutputStatus { printer: self.printer_status(), outbox }
    }
}

/// `K01-20261122-0007`: kiosk, day, number of the day. No personal data.
pub fn receipt_id(kiosk_id: &str, day: chrono::NaiveDate, n: u32) -> String {
    format!("{kiosk_id}-{}-{n:04}", day.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::sim::persona;
    use crate::i18n::Text;
    use crate::output::{ExportConfig, OutboxConfig};
    use crate::session::ports::{Rendered, WorkDir};
    use crate::session::visit::{CardRead, Plan};

    fn visit(work: &std::path::Path) -> ConfirmedVisit {
        let p = persona::builtin_by_id("typical").expect("persona");
        let form = RenderedForm {
            form_id: "juminhyo".into(),
            template_version: "1".into(),
            procedure_id: "juminhyo".into(),
            title: Text::ja("住民票"),
            pdf: Zeroizing::new(b"%PDF-1.7 test".to_vec()),
            pdf_path: work.join("01-juminhyo.pdf"),
            page_previews: Vec::new(),
            values: Vec::new(),
            declares: CardFields { name: true, ..CardFields::default() },
        };
        ConfirmedVisit {
            receipt_id: "K01-20261208-0001".into(),
            plan: Plan { procedures: vec!["juminhyo".into()], ..Plan::default() },
            created: chrono::Local::now().fixed_offset(),
            rendered: Rendered {
                forms: vec![form],
                print_pdf: Zeroizing::new(Vec::new()),
                guide: None,
                previews_missing: true,
                work_dir: WorkDir::new(work.to_path_buf()),
            },
            card: CardRead { attributes: p.attributes(), my_number: None, corrections: Default::default() },
            signature_png: Zeroizing::new(Vec::new()),
            keys: vec![("juminhyo".into(), "key-1".into())],
        }
    }

    /// 送信 pressed again after a failure sends the very submissions built for the first
    /// try (the same buffers, not rebuilt), and forgets them once accepted.
    #[test]
    fn a_retry_sends_the_submissions_built_for_the_first_try() {
        let dir = tempfile::tempdir().expect("tempdir");
        // The export spool is a file, not a folder: every try fails before the commit.
        let spool = dir.path().join("export");
        std::fs::write(&spool, b"").expect("file");
        let cfg = OutputConfig {
            outbox: OutboxConfig {
                db_path: dir.path().join("outbox.sqlite3"),
                key_path: dir.path().join("outbox.key"),
                ..OutboxConfig::default()
            },
            export: ExportConfig { enabled: true, spool_dir: spool.clone(), ..ExportConfig::default() },
            ..OutputConfig::default()
        };
        let out = KioskOutput::start(&cfg, "K01", false).expect("start");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).expect("work");
        let v = visit(&work);
        let built = |out: &KioskOutput| {
            let p = out.prepared.lock().unwrap_or_else(|p| p.into_inner());
            p.as_ref().map(|(_, subs)| subs.iter().map(|s| s.pdf.as_ptr() as usize).collect::<Vec<_>>())
        };
        assert!(matches!(out.send(&v), Err(DeliveryError::Send { .. })));
        let first = built(&out).expect("kept for a retry");
        assert!(matches!(out.send(&v), Err(DeliveryError::Send { .. })));
        assert_eq!(built(&out), Some(first), "the retry used the submissions of the first try");
        // Fixed: the spool is a folder now.
        std::fs::remove_file(&spool).expect("rm");
        std::fs::create_dir(&spool).expect("mkdir");
        out.send(&v).expect("accepted");
        assert_eq!(built(&out), None, "forgotten once accepted (they are in the outbox)");
        assert_eq!(out.service.outbox().status().expect("status").kept, 1);
    }

    #[test]
    fn receipt_ids_carry_kiosk_day_and_number() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
        assert_eq!(receipt_id("K01", d, 7), "K01-20261122-0007");
        assert_eq!(Receipt::for_id("K01-20261122-0007").number, "0007");
    }
}
