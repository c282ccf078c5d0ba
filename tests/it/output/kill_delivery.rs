//! kill -9 at each step of one delivery, then a restart: every accepted submission reaches
//! the back office exactly once, nothing that was not accepted does, and nothing is printed
//! twice.
//!
//! What runs: the hidden `madoguchi outbox test-deliver` (tests only) in a child process does
//! a delivery as the kiosk does it — `OutputService::accept` (export preflight, outbox commit
//! with fsync, export files, export mark) and then printing to the stack's ippeveprinter —
//! and stops for good at the step named by MADOGUCHI_TEST_PAUSE_AT (pause points in
//! src/output/service.rs and the command, test-only). The test SIGKILLs it there, restarts
//! delivery with `madoguchi outbox run --until-empty` (the sender service), and counts what
//! the loopback back office received (by idempotency key) and what the printer spooled.
//! Not covered: the Slint kiosk process itself (its delivery is this same `OutputService`
//! call from src/wiring/output.rs), and kills inside SQLite's commit (SQLite's own
//! guarantee; the commit either is on disk or not).

use crate::support::output_support;
use crate::support::{print_lock, stack_env};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use madoguchi::output::outbox::Outbox;
use madoguchi::output::payload::new_idempotency_key;
use output_support::pause::run_to;
use output_support::server::Server;
use output_support::{Pki, outbox_config};

fn write_config(pki: &Pki, server: &Server, dir: &Path) -> PathBuf {
    let ca = pki.write("ca.pem", &pki.ca_pem);
    let o = outbox_config(dir);
    let text = format!(
        "[output]\nsender_in_kiosk = false\n\
         [output.print]\nprinter_uri = {uri:?}\njob_timeout_secs = 30\n\
         [output.outbox]\ndb_path = {db:?}\nkey_path = {key:?}\n\
         [output.backend]\nurl = {url:?}\nca_bundle = {ca:?}\nbackoff_initial_ms = 20\nbackoff_max_ms = 200\npoll_interval_ms = 20\n\
         [output.export]\nenabled = true\nspool_dir = {spool:?}\n",
        uri = stack_env("MADOGUCHI_TEST_IPP_URI"),
        db = o.db_path,
        key = o.key_path,
        url = server.url(),
        spool = dir.join("export"),
    );
    let p = dir.join("madoguchi.toml");
    std::fs::write(&p, text).expect("config");
    p
}

/// Run one delivery; with `pause`, wait until it reached that step and SIGKILL it there.
/// Returns whether it said the submission was accepted.
fn deliver(config: &Path, key: &str, receipt: &str, pause: Option<&str>) -> bool {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    c.args(["outbox", "test-deliver", "--config"]).arg(config);
    c.args(["--key", key, "--receipt", receipt, "--pdf"]).arg(output_support::test_pdf_path());
    let run = run_to(&mut c, pause, Duration::from_secs(60));
    if let Some(st) = run.status {
        assert!(st.success(), "delivery failed: {:?}", run.stderr);
    }
    run.stderr.iter().any(|l| l.starts_with("madoguchi-test accepted"))
}

fn spooled(spool: &Path, job: &str) -> usize {
    output_support::pause::spooled(spool, &format!("-{job}")).len()
}

#[test]
fn sigkill_at_each_delivery_step_sends_once_and_prints_at_most_once() {
    let _lock = print_lock();
    let ipp_spool = PathBuf::from(stack_env("MADOGUCHI_TEST_IPP_SPOOL"));
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&pki, &server, dir.path());
    let tag = std::process::id() % 100_000;
    // (where it is killed, committed to the outbox by then, exported by then)
    let steps = [
        (Some("before-commit"), false, false),
        (Some("after-commit"), true, false),
        (Some("after-export"), true, true),
        (Some("printing"), true, true),
        (None, true, true),
    ];
    let mut cases = Vec::new();
    for (pause, committed, exported) in steps {
        let key = new_idempotency_key();
        let receipt = format!("kill-{}-{tag}", pause.unwrap_or("none"));
        let said_accepted = deliver(&config, &key, &receipt, pause);
        // The outbox says what was committed before the kill, from a fresh process's view.
        let outbox = Outbox::open(&outbox_config(dir.path())).expect("reopen after the kill");
        assert_eq!(outbox.contains_key(&key).expect("lookup"), committed, "{pause:?}: committed");
        // `accept` returns (and the kiosk would tell the resident) only after the export.
        assert_eq!(said_accepted, matches!(pause, Some("printing") | None), "{pause:?}: told accepted");
        let json = dir.path().join("export").join(format!("{receipt}-juminhyo.json"));
        assert_eq!(json.exists(), exported, "{pause:?}: export files");
        cases.push((pause, key, receipt, committed));
    }
    // Restart: the sender service drains the outbox.
    let st = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["outbox", "run", "--until-empty", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("outbox run");
    assert!(st.success());
    let outbox = Outbox::open(&outbox_config(dir.path())).expect("open");
    assert_eq!(outbox.status().expect("status").pending, 0);
    // ippeveprinter may still be finishing the killed job's file.
    std::thread::sleep(Duration::from_millis(500));
    for (pause, key, receipt, committed) in &cases {
        assert_eq!(server.received_count(key), usize::from(*committed), "{pause:?}: delivered once iff committed");
        let printed = spooled(&ipp_spool, receipt);
        match pause {
            None => assert_eq!(printed, 1, "the whole delivery printed once"),
            Some("printing") => assert!(printed <= 1, "killed while printing: at most once ({printed})"),
            Some(_) => assert_eq!(printed, 0, "{pause:?}: killed before printing"),
        }
    }
    let committed: std::collections::HashSet<String> = cases.iter().filter(|c| c.3).map(|c| c.1.clone()).collect();
    assert_eq!(server.committed(), committed, "the back office has exactly the accepted submissions");
    server.assert_consistent();
}
