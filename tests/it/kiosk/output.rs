//! 印刷 and 送信 from the kiosk flow through the real parts: session + virtual card + embedded
//! templates + fonts → `KioskOutput` → the stack's ippeveprinter / a CUPS queue, the SQLite
//! outbox, the export spool and a loopback HTTPS back office.

use crate::support::kiosk_support;
use crate::support::output_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use kiosk_support::real::{catalog_forms, pdftotext};
use madoguchi::card::sim::persona;
use madoguchi::output::{ExportConfig, OutputConfig, PrintConfig};
use madoguchi::session::catalog_forms::GUIDE_EVENT;
use madoguchi::session::{
    AnswerValue, Event, KioskOutput, OutputAction, OutputService, Session, SessionSettings, SimHandle, SimReader, Step,
};
use output_support::server::Server;
use output_support::{Pki, outbox_config};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `bash tests/stack.sh up` and `eval \"$(bash tests/stack.sh env)\"`")
    })
}

fn pages(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().expect("page count")))
        .expect("Pages: line")
}

struct Rig {
    s: Session,
    hand: SimHandle,
    t: Instant,
    dir: tempfile::TempDir,
}

impl Rig {
    fn new(cfg: &OutputConfig, dir: tempfile::TempDir) -> Rig {
        Rig::with_kiosk(cfg, dir, "K07")
    }
    fn with_kiosk(cfg: &OutputConfig, dir: tempfile::TempDir, kiosk_id: &str) -> Rig {
        let settings = SessionSettings { work_root: dir.path().join("work"), ..SessionSettings::default() };
        let (reader, hand) = SimReader::new();
        let output = KioskOutput::start(cfg, kiosk_id, false).expect("output layer starts");
        let t = Instant::now();
        let s = Session::new(settings, Box::new(reader), Box::new(catalog_forms()), Box::new(output), t);
        Rig { s, hand, t, dir }
    }
    fn ev(&mut self, e: Event) {
        self.t += Duration::from_secs(1);
        self.s.handle(e, self.t);
    }
    fn settle(&mut self) {
        let started = Instant::now();
        while self.s.delivering().is_some() {
            assert!(started.elapsed() < Duration::from_secs(90), "output did not finish");
            std::thread::sleep(Duration::from_millis(20));
            self.s.tick(self.t);
        }
    }
    fn card_and_pin(&mut self, persona_id: &str) {
        let p = persona::builtin_by_id(persona_id).unwrap();
        self.hand.insert(p.clone());
        self.t += Duration::from_secs(1);
        self.s.tick(self.t);
        for b in p.pin.expose().bytes() {
            self.ev(Event::PinDigit(b - b'0'));
        }
        self.ev(Event::PinSubmit);
        assert_eq!(self.s.step(), Step::Review, "{:?}", self.s.message());
    }
    fn answer_and_sign(&mut self) {
        let ids: Vec<String> = self.s.selected().to_vec();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        for (id, v) in catalog_forms().demo_answers(&ids) {
            self.ev(Event::Answer(id, v));
        }
        self.ev(Event::ReviewDone);
        assert_eq!(self.s.step(), Step::Signature, "problems: {:?}", self.s.problems());
        self.ev(Event::StrokeBegin(100.0, 150.0));
        self.ev(Event::StrokeMove(300.0, 120.0));
        self.ev(Event::SignatureDone);
        assert_eq!(self.s.step(), Step::Confirm);
        assert_eq!(self.s.message(), None);
    }
    fn juminhyo(&mut self, persona_id: &str) {
        self.ev(Event::Begin);
        self.ev(Event::ChooseProcedure("juminhyo".into()));
        self.card_and_pin(persona_id);
        self.answer_and_sign();
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn send_from_the_guide_flow_stores_one_submission_per_procedure_and_delivers_each_once() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("export");
    let cfg = OutputConfig {
        outbox: outbox_config(&dir.path().join("outbox")),
        backend: Some(pki.backend(&server.url(), false)),
        export: ExportConfig { enabled: true, spool_dir: spool.clone(), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    let mut r = Rig::new(&cfg, dir);
    assert!(r.s.output().can_send());
    assert!(!r.s.output().can_print(), "no printer configured: no 印刷 button");

    // 転入 with a child under 15 → 住民異動届 + 児童手当 and a 手続き案内.
    r.ev(Event::Begin);
    r.ev(Event::ShowGuide);
    r.ev(Event::GuideAnswer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-in".into())));
    r.ev(Event::GuideAnswer("children_under_15".into(), AnswerValue::YesNo(true)));
    r.ev(Event::GuideDone);
    let procedures = r.s.selected().to_vec();
    assert!(procedures.len() >= 2, "{procedures:?}");
    r.card_and_pin("long-address");
    r.answer_and_sign();

    let visit = r.s.rendered_visit().clone();
    let guide = visit.guide.as_ref().expect("the guide made a 手続き案内");
    assert!(pdftotext(&guide.pdf).contains("手続き案内"));
    assert!(!guide.page_previews.is_empty(), "the done screen shows it");
    let print_pdf = visit.print_pdf.clone().expect("one PDF for the printer");
    let form_pages: usize = visit.forms.iter().map(|f| pages(&f.pdf)).sum();
    assert_eq!(pages(&print_pdf), form_pages + pages(&guide.pdf), "forms and guide in one print job");

    // 送信: a progress step, then the receipt.
    r.ev(Event::Deliver(OutputAction::Send));
    assert_eq!(r.s.step(), Step::Output);
    r.settle();
    assert_eq!(r.s.step(), Step::Done, "{:?}", r.s.message());
    let receipt = r.s.receipt().expect("receipt").clone();
    let today = chrono::Local::now().format("%Y%m%d").to_string();
    assert_eq!(receipt.id, format!("K07-{today}-0001"));
    assert_eq!(receipt.number, "0001");
    assert_eq!(receipt.qr_payload, receipt.id, "the QR carries the receipt id, nothing personal");

    // The export spool: one JSON per procedure, only the declared card attributes.
    let p = persona::builtin_by_id("long-address").unwrap();
    let mut keys = Vec::new();
    for proc_id in &procedures {
        let path = spool.join(format!("{}-{proc_id}.json", receipt.id));
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
                .expect("json");
        assert_eq!(json["receipt_id"], receipt.id.as_str());
        assert_eq!(json["kiosk_id"], "K07");
        assert_eq!(json["procedure_id"], proc_id.as_str());
        let forms = json["forms"].as_array().expect("forms");
        assert!(!forms.is_empty());
        let is_teate = forms.iter().any(|f| f["form_id"] == "jidou-teate");
        assert_eq!(
            json["card"].get("my_number").and_then(|v| v.as_str()),
            is_teate.then(|| p.my_number.expose()),
            "{proc_id}: the 個人番号 travels only with the form that declares it"
        );
        assert_eq!(json["card"]["name"], p.name.expose());
        assert!(json["signature"]["data_base64"].as_str().is_some_and(|s| !s.is_empty()));
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(json["pdf"]["data_base64"].as_str().expect("pdf"))
            .expect("base64");
        assert!(pdf.starts_with(b"%PDF-"));
        keys.push(json["idempotency_key"].as_str().expect("key").to_string());
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), procedures.len(), "one idempotency key per procedure");

    // The back office gets each exactly once, even when a clerk presses 送信 again.
    wait_until("delivery of every submission", || keys.iter().all(|k| server.committed().contains(k)));
    r.ev(Event::ClerkUnlocked);
    r.ev(Event::Deliver(OutputAction::Send));
    r.settle();
    assert_eq!(r.s.step(), Step::Done);
    std::thread::sleep(Duration::from_millis(300));
    for k in &keys {
        assert_eq!(server.received_count(k), 1, "submission {k} was sent more than once");
    }
    server.assert_consistent();

    // Nothing personal in the outbox file; the session's files go at the end.
    let db = std::fs::read(r.dir.path().join("outbox/outbox.sqlite3")).expect("outbox file");
    assert!(!db.windows(p.name.expose().len()).any(|w| w == p.name.expose().as_bytes()), "plaintext name in outbox");
    let work = r.s.work_dir().expect("work dir").to_path_buf();
    r.ev(Event::Finish);
    assert_eq!(r.s.step(), Step::Start);
    assert!(!work.exists(), "rendered files are deleted at the end of the session");
}

#[test]
fn print_sends_the_visit_pdf_to_the_printer_and_a_stopped_queue_is_explained() {
    // ippeveprinter takes one job at a time: share the print lock with output_print.rs.
    let lock = std::fs::File::create(std::env::temp_dir().join("madoguchi-print-tests.lock")).expect("lock file");
    lock.lock().expect("lock");
    let ipp_uri = env("MADOGUCHI_TEST_IPP_URI");
    let spool = PathBuf::from(env("MADOGUCHI_TEST_IPP_SPOOL"));
    let dir = tempfile::tempdir().unwrap();
    let print = PrintConfig {
        printer_uri: Some(ipp_uri.clone()),
        busy_timeout_secs: 30,
        job_timeout_secs: 60,
        ..PrintConfig::default()
    };
    let cfg = OutputConfig { print, outbox: outbox_config(&dir.path().join("outbox")), ..OutputConfig::default() };
    // The printer's spool outlives test runs: a kiosk id of this run keeps job names unique.
    let kiosk = format!("P{}", std::process::id() % 100_000);
    let mut r = Rig::with_kiosk(&cfg, dir, &kiosk);
    assert!(r.s.output().can_print());
    assert!(!r.s.output().can_send(), "no backend, no export: no 送信 button");

    // 1. Directly to the IPP Everywhere printer: the spooled job is the visit's print PDF.
    r.juminhyo("typical");
    let print_pdf = r.s.rendered_visit().print_pdf.clone().expect("print pdf");
    let sent = std::fs::read(&print_pdf).expect("print pdf");
    r.ev(Event::Deliver(OutputAction::Send));
    assert_eq!(r.s.step(), Step::Confirm, "送信 is not offered, so it does nothing");
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.s.step(), Step::Done, "{:?}", r.s.message());
    let receipt = r.s.receipt().expect("receipt").id.clone();
    let spooled = std::fs::read_dir(&spool)
        .expect("spool dir")
        .flatten()
        .map(|e| e.path())
        // ippeveprinter lower-cases the job name in the spool file name.
        .find(|p| {
            p.file_name().is_some_and(|n| n.to_string_lossy().ends_with(&format!("-{}.pdf", receipt.to_lowercase())))
        })
        .unwrap_or_else(|| panic!("no job named {receipt} in {}", spool.display()));
    assert!(std::fs::read(&spooled).expect("spooled") == sent, "the printer got the visit's PDF unchanged");
    let text = pdftotext(&spooled);
    assert!(text.contains(persona::builtin_by_id("typical").unwrap().name.expose()));
    let status = r.s.output().status();
    assert_eq!(status.printer.ja(), "印刷できます");
    assert_eq!(status.printer.render("en"), "The printer is ready.");
    r.ev(Event::Finish);

    // 2. A paused CUPS queue: the clerk is told why, the forms stay, 再印刷 works after cupsenable.
    let queue = format!("madoguchi-kiosk-stopped-{}", std::process::id());
    let run = |cmd: &str, args: &[&str]| {
        let st = Command::new(cmd).args(args).status().unwrap_or_else(|e| panic!("{cmd}: {e}"));
        assert!(st.success(), "{cmd} {args:?}");
    };
    run("lpadmin", &["-p", &queue, "-E", "-v", &ipp_uri, "-m", "everywhere"]);
    struct Remove(String);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = Command::new("lpadmin").args(["-x", &self.0]).status();
        }
    }
    let _remove = Remove(queue.clone());
    run("cupsdisable", &[&queue]);
    let dir = tempfile::tempdir().unwrap();
    let cfg = OutputConfig {
        print: PrintConfig {
            printer_uri: Some(format!("ipp://localhost:631/printers/{queue}")),
            busy_timeout_secs: 30,
            job_timeout_secs: 60,
            ..PrintConfig::default()
        },
        outbox: outbox_config(&dir.path().join("outbox")),
        ..OutputConfig::default()
    };
    let mut r = Rig::new(&cfg, dir);
    r.juminhyo("typical");
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.s.step(), Step::Output);
    assert_eq!(r.s.last_action(), Some(OutputAction::Print));
    let m = r.s.message().expect("a message for the clerk").to_string();
    assert!(m.contains("一時停止") && m.contains("消えていません"), "{m}");
    assert!(r.s.rendered_visit().print_pdf.as_ref().is_some_and(|p| p.exists()), "nothing is lost");
    run("cupsenable", &[&queue]);
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.s.step(), Step::Done, "{:?}", r.s.message());
    r.ev(Event::Finish);

    // 3. Paper runs out after the job was queued (the stack's madoguchi-paperout backend):
    // もう一度ためす follows the queued job instead of printing the forms a second time.
    run("lpadmin", &["-p", &queue, "-v", "madoguchi-paperout:/"]);
    let dir = tempfile::tempdir().unwrap();
    let kiosk = format!("Q{}", std::process::id() % 100_000);
    let mut r = Rig::with_kiosk(&cfg, dir, &kiosk);
    r.juminhyo("typical");
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.s.step(), Step::Output);
    let m = r.s.message().expect("a message for the clerk").to_string();
    assert!(m.contains("用紙") && m.contains("消えていません"), "{m}");
    run("lpadmin", &["-p", &queue, "-v", &ipp_uri]);
    run("cupsenable", &[&queue]);
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.s.step(), Step::Done, "{:?}", r.s.message());
    let receipt = r.s.receipt().expect("receipt").id.to_lowercase();
    let copies = std::fs::read_dir(&spool)
        .expect("spool dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(&format!("-{receipt}.pdf")))
        .count();
    assert_eq!(copies, 1, "printed exactly once after the retry");
    r.ev(Event::Finish);

    // 4. Printer and export spool both set up: the resident's one button sends, then prints.
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("export");
    let cfg = OutputConfig {
        print: PrintConfig { printer_uri: Some(ipp_uri.clone()), ..PrintConfig::default() },
        outbox: outbox_config(&dir.path().join("outbox")),
        export: ExportConfig { enabled: true, spool_dir: spool_dir.clone(), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    let kiosk = format!("B{}", std::process::id() % 100_000);
    let mut r = Rig::with_kiosk(&cfg, dir, &kiosk);
    assert!(r.s.output().can_print() && r.s.output().can_send());
    r.juminhyo("typical");
    r.ev(Event::Deliver(OutputAction::PrintAndSend));
    r.settle();
    assert_eq!(r.s.step(), Step::Done, "{:?}", r.s.message());
    let receipt = r.s.receipt().expect("receipt").id.clone();
    let printed = std::fs::read_dir(&spool)
        .expect("spool dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(&format!("-{}.pdf", receipt.to_lowercase())))
        .count();
    assert_eq!(printed, 1, "printed once");
    assert!(spool_dir.join(format!("{receipt}-juminhyo.json")).exists(), "and sent (export spool)");
}

#[test]
fn receipt_numbers_count_up_per_day_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = OutputConfig { outbox: outbox_config(dir.path()), ..OutputConfig::default() };
    let today = chrono::Local::now().format("%Y%m%d").to_string();
    let a = KioskOutput::start(&cfg, "K02", true).expect("start");
    assert_eq!(a.new_receipt_id().expect("id"), format!("K02-{today}-0001"));
    assert_eq!(a.new_receipt_id().expect("id"), format!("K02-{today}-0002"));
    drop(a);
    let b = KioskOutput::start(&cfg, "K02", true).expect("restart");
    assert_eq!(b.new_receipt_id().expect("id"), format!("K02-{today}-0003"), "numbers are never reused");
    assert!(b.can_send(), "the demo keeps submissions in its local outbox");
}
