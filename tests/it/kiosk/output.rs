//! 印刷 and 送信 from the kiosk flow through the real parts: session + virtual card + embedded
//! templates + fonts → `KioskOutput` → the stack's ippeveprinter / a CUPS queue, the SQLite
//! outbox, the export spool and a loopback HTTPS back office.

use crate::support::kiosk_support;
use crate::support::output_support;
use crate::support::{print_lock, stack_env};

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use kiosk_support::Rig;
use kiosk_support::real::{pdftotext, pdftotext_bytes};
use madoguchi::card::sim::persona;
use madoguchi::forms::GUIDE_EVENT;
use madoguchi::output::{ExportConfig, OutputConfig, PrintConfig};
use madoguchi::session::stage::Stage;
use madoguchi::session::{Event, OutputAction, OutputPort};
use madoguchi::vocab::AnswerValue;
use madoguchi::wiring::KioskOutput;
use output_support::server::Server;
use output_support::{Pki, outbox_config};

fn pages(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdfinfo").arg(&path).output().expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().expect("page count")))
        .expect("Pages: line")
}

/// A session over the real output layer (`KioskOutput`) for `cfg`; `dir` holds its stores.
struct Kiosk {
    r: Rig,
    dir: tempfile::TempDir,
}

fn kiosk(cfg: &OutputConfig, dir: tempfile::TempDir, kiosk_id: &str) -> Kiosk {
    let output = KioskOutput::start(cfg, kiosk_id, false).expect("output layer starts");
    Kiosk { r: Rig::new(Arc::new(output)), dir }
}

impl Kiosk {
    /// 住民票の写し for `persona_id`, answered and signed.
    fn juminhyo(&mut self, persona_id: &str) {
        self.r.walk_to_review("juminhyo", persona_id);
        self.r.answer_all(&["juminhyo"]);
        self.r.sign_and_confirm();
        assert_eq!(self.r.s.message(), None);
    }
    fn done_receipt(&self) -> madoguchi::session::Receipt {
        match self.r.s.stage() {
            Stage::Done(d) => d.receipt.clone(),
            other => panic!("not done: {other:?} {:?}", self.r.s.message()),
        }
    }
    fn message(&self) -> String {
        self.r.s.message().map(|m| m.ja()).unwrap_or_default()
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
        // The 児童手当 JSON is checked for the 個人番号 below: this spool is set up to carry it.
        export: ExportConfig {
            enabled: true,
            spool_dir: spool.clone(),
            include_my_number: true,
            ..ExportConfig::default()
        },
        ..OutputConfig::default()
    };
    let mut k = kiosk(&cfg, dir, "K07");
    let r = &mut k.r;
    assert_eq!(r.s.delivery_buttons(), [OutputAction::Send], "no printer configured: no 印刷 button");

    // 転入 with a child under 15 → 住民異動届 + 児童手当 and a 手続き案内.
    r.ev(Event::Begin);
    r.ev(Event::ShowGuide);
    r.ev(Event::Answer(GUIDE_EVENT.into(), AnswerValue::Choice("moving-in".into())));
    r.ev(Event::Answer("children_under_15".into(), AnswerValue::YesNo(true)));
    r.ev(Event::GuideDone);
    let procedures = r.s.stage().plan().unwrap().procedures.clone();
    assert!(procedures.len() >= 2, "{procedures:?}");
    r.card_and_pin("long-address");
    let ids: Vec<&str> = procedures.iter().map(String::as_str).collect();
    r.answer_all(&ids);
    r.sign_and_confirm();

    let visit = r.s.stage().rendered().unwrap();
    let guide = visit.guide.as_ref().expect("the guide made a 手続き案内");
    assert!(pdftotext_bytes(&guide.pdf).contains("手続き案内"));
    assert!(!guide.page_previews.is_empty(), "the done screen shows it");
    let form_pages: usize = visit.forms.iter().map(|f| pages(&f.pdf)).sum();
    assert_eq!(pages(&visit.print_pdf), form_pages + pages(&guide.pdf), "forms and guide in one print job");

    // 送信: a progress step, then the receipt.
    r.ev(Event::Deliver(OutputAction::Send));
    assert_eq!(r.stage_name(), "output");
    r.settle();
    let receipt = k.done_receipt();
    let r = &mut k.r;
    let today = "20261122"; // the rig's calendar
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
    r.unlock_clerk();
    r.ev(Event::Deliver(OutputAction::Send));
    r.settle();
    assert_eq!(r.stage_name(), "done");
    std::thread::sleep(Duration::from_millis(300));
    for key in &keys {
        assert_eq!(server.received_count(key), 1, "submission {key} was sent more than once");
    }
    server.assert_consistent();

    // Nothing personal in the outbox files — the database, and the WAL where the latest
    // commits are until a checkpoint (and the shared-memory index); the session's files go
    // at the end.
    let mut db = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let f = k.dir.path().join(format!("outbox/outbox.sqlite3{suffix}"));
        db.extend(std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())));
    }
    let wal = std::fs::metadata(k.dir.path().join("outbox/outbox.sqlite3-wal")).map(|m| m.len()).unwrap_or(0);
    assert!(wal > 0, "the WAL holds the latest commits (the check reads them)");
    for secret in [p.name.expose(), p.address.expose(), p.my_number.expose()] {
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plaintext personal data in the outbox files"
        );
    }
    assert!(db.windows(receipt.id.len()).any(|w| w == receipt.id.as_bytes()), "the search works: metadata is found");
    let r = &mut k.r;
    let work = r.s.stage().rendered().expect("work dir").work_dir.path().to_path_buf();
    r.hand.remove();
    r.ev(Event::Finish);
    assert_eq!(r.stage_name(), "start");
    assert!(!work.exists(), "rendered files are deleted at the end of the session");
}

#[test]
fn print_sends_the_visit_pdf_to_the_printer_and_a_stopped_queue_is_explained() {
    // ippeveprinter takes one job at a time: share the print lock with output_print.rs.
    let _lock = print_lock();
    let ipp_uri = stack_env("MADOGUCHI_TEST_IPP_URI");
    let spool = PathBuf::from(stack_env("MADOGUCHI_TEST_IPP_SPOOL"));
    let dir = tempfile::tempdir().unwrap();
    let print = PrintConfig {
        printer_uri: Some(ipp_uri.clone()),
        busy_timeout_secs: 30,
        job_timeout_secs: 60,
        ..PrintConfig::default()
    };
    let cfg = OutputConfig { print, outbox: outbox_config(&dir.path().join("outbox")), ..OutputConfig::default() };
    // The printer's spool outlives test runs: a kiosk id of this run keeps job names unique.
    let kiosk_id = format!("P{}", std::process::id() % 100_000);
    let mut k = kiosk(&cfg, dir, &kiosk_id);
    assert_eq!(k.r.s.delivery_buttons(), [OutputAction::Print], "no backend, no export: no 送信 button");

    // 1. Directly to the IPP Everywhere printer: the spooled job is the visit's print PDF.
    k.juminhyo("typical");
    let sent = k.r.s.stage().rendered().unwrap().print_pdf.to_vec();
    k.r.ev(Event::Deliver(OutputAction::Send));
    assert_eq!(k.r.stage_name(), "confirm", "送信 is not offered, so it does nothing");
    k.r.ev(Event::Deliver(OutputAction::Print));
    k.r.settle();
    let receipt = k.done_receipt().id;
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
    let status = k.r.s.output().status();
    assert_eq!(status.printer.ja(), "印刷できます");
    assert_eq!(status.printer.render("en"), "The printer is ready.");
    k.r.hand.remove();
    k.r.ev(Event::Finish);

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
    let mut k = kiosk(&cfg, dir, "K07");
    k.juminhyo("typical");
    k.r.ev(Event::Deliver(OutputAction::Print));
    k.r.settle();
    assert_eq!(k.r.stage_name(), "output");
    assert_eq!(k.r.s.output_action(), Some(OutputAction::Print), "もう一度ためす prints again");
    let m = k.message();
    assert!(m.contains("一時停止") && m.contains("消えていません"), "{m}");
    assert!(k.r.s.stage().rendered().is_some_and(|r| r.work_dir.path().is_dir()), "nothing is lost");
    assert!(!k.r.s.can_go_back(), "the answers cannot change under a queued print job");
    run("cupsenable", &[&queue]);
    k.r.ev(Event::Deliver(OutputAction::Print));
    k.r.settle();
    k.done_receipt();
    k.r.hand.remove();
    k.r.ev(Event::Finish);

    // 3. Paper runs out after the job was queued (the stack's madoguchi-paperout backend):
    // もう一度ためす follows the queued job instead of printing the forms a second time.
    run("lpadmin", &["-p", &queue, "-v", "madoguchi-paperout:/"]);
    let dir = tempfile::tempdir().unwrap();
    let kiosk_id = format!("Q{}", std::process::id() % 100_000);
    let mut k = kiosk(&cfg, dir, &kiosk_id);
    k.juminhyo("typical");
    k.r.ev(Event::Deliver(OutputAction::Print));
    k.r.settle();
    assert_eq!(k.r.stage_name(), "output");
    let m = k.message();
    assert!(m.contains("用紙") && m.contains("消えていません"), "{m}");
    run("lpadmin", &["-p", &queue, "-v", &ipp_uri]);
    run("cupsenable", &[&queue]);
    k.r.ev(Event::Deliver(OutputAction::Print));
    k.r.settle();
    let receipt = k.done_receipt().id.to_lowercase();
    let copies = std::fs::read_dir(&spool)
        .expect("spool dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(&format!("-{receipt}.pdf")))
        .count();
    assert_eq!(copies, 1, "printed exactly once after the retry");
    k.r.hand.remove();
    k.r.ev(Event::Finish);

    // 4. Printer and export spool both set up: the resident's one button sends, then prints.
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("export");
    let cfg = OutputConfig {
        print: PrintConfig { printer_uri: Some(ipp_uri.clone()), ..PrintConfig::default() },
        outbox: outbox_config(&dir.path().join("outbox")),
        export: ExportConfig { enabled: true, spool_dir: spool_dir.clone(), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    let kiosk_id = format!("B{}", std::process::id() % 100_000);
    let mut k = kiosk(&cfg, dir, &kiosk_id);
    assert_eq!(k.r.s.delivery_buttons(), [OutputAction::PrintAndSend], "a resident gets one button for both");
    k.juminhyo("typical");
    k.r.ev(Event::Deliver(OutputAction::PrintAndSend));
    k.r.settle();
    let receipt = k.done_receipt().id;
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
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let a = KioskOutput::start(&cfg, "K02", true).expect("start");
    assert_eq!(a.new_receipt_id(day).expect("id"), "K02-20261122-0001");
    assert_eq!(a.new_receipt_id(day).expect("id"), "K02-20261122-0002");
    drop(a);
    let b = KioskOutput::start(&cfg, "K02", true).expect("restart");
    assert_eq!(b.new_receipt_id(day).expect("id"), "K02-20261122-0003", "numbers are never reused");
    let next = day.succ_opt().unwrap();
    assert_eq!(b.new_receipt_id(next).expect("id"), "K02-20261123-0001", "a new day starts again at 1");
    assert!(b.offers().send, "the demo keeps submissions in its local outbox");
}

#[test]
fn a_kiosk_waiting_on_the_start_screen_sweeps_exports_past_their_retention() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("export");
    let export =
        ExportConfig { enabled: true, spool_dir: spool.clone(), retention_hours: 24, ..ExportConfig::default() };
    let cfg = OutputConfig { outbox: outbox_config(dir.path()), export, ..OutputConfig::default() };
    // Picked-up-and-forgotten files from earlier days: one past the retention, one not.
    let subs = [output_support::submission(1), output_support::submission(2)];
    let old = madoguchi::output::export::export_submission(&cfg.export, &subs[0], chrono::Utc::now()).expect("export");
    let fresh =
        madoguchi::output::export::export_submission(&cfg.export, &subs[1], chrono::Utc::now()).expect("export");
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(3 * 24 * 3600);
    for p in std::iter::once(&old.json).chain(old.csv.iter()) {
        std::fs::File::options().write(true).open(p).expect("open").set_modified(long_ago).expect("mtime");
    }
    let mut k = kiosk(&cfg, dir, "K03");
    assert_eq!(k.r.stage_name(), "start");
    assert!(old.json.exists(), "nothing is swept before the kiosk ticks");
    // Nobody is served: the kiosk only waits on the start screen.
    k.r.wait(1);
    assert!(!old.json.exists() && old.csv.iter().all(|p| !p.exists()), "past the retention: deleted while idle");
    assert!(fresh.json.exists(), "within the retention: kept");
}
