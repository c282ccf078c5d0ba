//! kill -9 of the **kiosk process itself** at each step of a 印刷と送信, then a restart of the
//! kiosk (the next resident's visit) and of delivery: every accepted submission reaches the
//! back office exactly once, nothing that was not accepted does, and no form is printed
//! twice — nothing at the restart reprints the killed visit.
//!
//! What runs: `madoguchi kiosk --demo --headless --test-deliver` (the hidden flag keeps the
//! configuration's back office and delivers with 印刷と送信) walks a 住民票 visit through the
//! session and `KioskOutput::deliver`, with the kiosk's own sender thread running, and stops
//! for good at the step named by MADOGUCHI_TEST_PAUSE_AT (pause points in
//! src/output/service.rs and src/wiring/output.rs). The test SIGKILLs it there. Real parts:
//! the stack's ippeveprinter, the loopback HTTPS back office, the SQLite outbox on disk.

use crate::support::{print_lock, stack_env};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use madoguchi::output::OutboxConfig;
use madoguchi::output::outbox::{EntryState, Outbox};

use crate::support::output_support::Pki;
use crate::support::output_support::pause::{run_to, spooled};
use crate::support::output_support::server::Server;

/// The kiosk's configuration: its own id (so its 受付番号 are its own), the stack's printer
/// and the loopback back office. The demo keeps its stores under `--out`.
fn kiosk_config(dir: &Path, kiosk_id: &str, pki: &Pki, server: &Server) -> PathBuf {
    let text = format!(
        "demo = true\nkiosk_id = {kiosk_id:?}\n[output.print]\nprinter_uri = {uri:?}\njob_timeout_secs = 30\n{backend}",
        uri = stack_env("MADOGUCHI_TEST_IPP_URI"),
        backend = backend(pki, server),
    );
    let p = dir.join(format!("{kiosk_id}.toml"));
    std::fs::write(&p, text).expect("config");
    p
}

/// The loopback back office, trusted through the test CA, retried quickly.
fn backend(pki: &Pki, server: &Server) -> String {
    let ca = pki.write("ca.pem", &pki.ca_pem);
    format!(
        "[output.backend]\nurl = {:?}\nca_bundle = {ca:?}\nbackoff_initial_ms = 20\nbackoff_max_ms = 200\npoll_interval_ms = 20\n",
        server.url()
    )
}

/// Where the demo keeps its outbox (`wiring::demo_config`).
fn demo_outbox(out: &Path) -> OutboxConfig {
    OutboxConfig {
        db_path: out.join("outbox/outbox.sqlite3"),
        key_path: out.join("outbox/outbox.key"),
        ..OutboxConfig::default()
    }
}

/// The sender service's configuration for the demo's outbox (the restart of delivery).
fn drain_config(dir: &Path, kiosk_id: &str, out: &Path, pki: &Pki, server: &Server) -> PathBuf {
    let o = demo_outbox(out);
    let text = format!(
        "kiosk_id = {kiosk_id:?}\n[output.outbox]\ndb_path = {db:?}\nkey_path = {key:?}\n{backend}",
        db = o.db_path,
        key = o.key_path,
        backend = backend(pki, server),
    );
    let p = dir.join(format!("{kiosk_id}-drain.toml"));
    std::fs::write(&p, text).expect("config");
    p
}

/// One headless kiosk visit; with `pause`, SIGKILL it once it stopped at that step.
fn kiosk_visit(config: &Path, out: &Path, pause: Option<&str>) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    c.args(["kiosk", "--demo", "--headless", "--test-deliver", "--config"]).arg(config).arg("--out").arg(out);
    c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let run = run_to(&mut c, pause, Duration::from_secs(90));
    if let Some(st) = run.status {
        assert!(st.success(), "the visit failed: {:?}", run.stderr);
    }
}

/// Print jobs of this kiosk's visit number `n` of the day in the printer's spool (the job is
/// named by the 受付番号).
fn printed(spool: &Path, kiosk_id: &str, n: u32) -> usize {
    let kiosk = format!("-{}-", kiosk_id.to_lowercase());
    spooled(spool, &format!("-{n:04}")).iter().filter(|f| f.contains(&kiosk)).count()
}

#[test]
fn sigkill_of_the_kiosk_at_each_delivery_step_sends_once_and_prints_at_most_once() {
    let _lock = print_lock();
    let ipp_spool = PathBuf::from(stack_env("MADOGUCHI_TEST_IPP_SPOOL"));
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let tag = std::process::id() % 100_000;
    // (where the kiosk is killed, committed to the outbox by then, exported by then)
    let steps = [
        (Some("before-commit"), false, false),
        (Some("after-commit"), true, false),
        (Some("after-export"), true, true),
        (Some("sent"), true, true),
        (Some("printing"), true, true),
        (None, true, true),
    ];
    for (i, (pause, committed, exported)) in steps.into_iter().enumerate() {
        let kiosk_id = format!("KILL{tag}-{i}");
        let out = dir.path().join(&kiosk_id);
        let config = kiosk_config(dir.path(), &kiosk_id, &pki, &server);
        kiosk_visit(&config, &out, pause);

        // What the killed kiosk left on disk, seen from a fresh process.
        let entries = Outbox::open(&demo_outbox(&out)).expect("reopen after the kill").list(100).expect("list");
        let first: Vec<_> = entries.iter().filter(|e| e.receipt_id.ends_with("-0001")).collect();
        assert_eq!(!first.is_empty(), committed, "{pause:?}: committed before the kill");
        let exported_files = std::fs::read_dir(out.join("export")).map(|d| d.count()).unwrap_or(0);
        assert_eq!(exported_files > 0, exported, "{pause:?}: export files");

        // Restart: the kiosk serves the next resident (a second visit, delivered whole),
        // then the sender service drains the outbox.
        if pause.is_some() {
            kiosk_visit(&config, &out, None);
        }
        let drain = drain_config(dir.path(), &kiosk_id, &out, &pki, &server);
        let st = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .args(["outbox", "run", "--until-empty", "--config"])
            .arg(&drain)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("outbox run");
        assert!(st.success(), "{pause:?}: the sender service drained the outbox");

        let outbox = Outbox::open(&demo_outbox(&out)).expect("open");
        let entries = outbox.list(100).expect("list");
        assert!(entries.iter().all(|e| e.state == EntryState::Sent), "{pause:?}: everything accepted was sent");
        let back_office = server.committed();
        for e in &entries {
            assert!(back_office.contains(&e.idempotency_key), "{pause:?}: {} reached the back office", e.receipt_id);
        }
        let accepted_first = entries.iter().filter(|e| e.receipt_id.ends_with("-0001")).count();
        assert_eq!(accepted_first > 0, committed, "{pause:?}: the killed visit is in the back office iff committed");

        // ippeveprinter may still be finishing a killed job's file.
        std::thread::sleep(Duration::from_millis(300));
        let killed_visit = printed(&ipp_spool, &kiosk_id, 1);
        match pause {
            None => assert_eq!(killed_visit, 1, "the whole delivery printed once"),
            Some("printing") => assert!(killed_visit <= 1, "killed while printing: at most once ({killed_visit})"),
            Some(step) => assert_eq!(killed_visit, 0, "{step}: killed before printing, and not printed at restart"),
        }
        if pause.is_some() {
            assert_eq!(printed(&ipp_spool, &kiosk_id, 2), 1, "{pause:?}: the next resident's visit printed once");
        }
    }
    // Each key was created once at the back office, and every retry carried the same body.
    server.assert_consistent();
}
