//! The kiosk-facing facade (`OutputService`) and the `madoguchi outbox` CLI, on real files
//! and the loopback HTTPS back office.

use crate::support::output_support;

use std::process::Command;
use std::time::{Duration, Instant};

use madoguchi::output::outbox::Outbox;
use madoguchi::output::{ExportConfig, OutputConfig, OutputService};
use output_support::server::Server;
use output_support::{NAME, Pki, outbox_config, submission};

#[test]
fn service_accepts_exports_and_delivers() {
    let pki = Pki::generate();
    let server = Server::start(&pki, true);
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = OutputConfig {
        outbox: outbox_config(dir.path()),
        backend: Some(pki.backend(&server.url(), true)),
        export: ExportConfig { enabled: true, spool_dir: dir.path().join("spool"), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    let svc = OutputService::start(&cfg).expect("start");
    assert!(svc.printer().is_none(), "no printer configured");
    let mut keys = std::collections::HashSet::new();
    let mut subs: Vec<_> = (0..3).map(submission).collect();
    for sub in &subs {
        let a = svc.accept(sub).expect("accept");
        let ex = a.export.expect("export enabled");
        assert!(ex.json.exists() && ex.csv.iter().all(|p| p.exists()));
        keys.insert(a.outbox.idempotency_key);
    }
    // The same submission accepted again (送信 pressed twice): same entry, and the spool does
    // not get it a second time after the RPA took the files.
    let again = subs.swap_remove(0);
    let spool = dir.path().join("spool");
    for f in std::fs::read_dir(&spool).expect("spool").flatten() {
        std::fs::remove_file(f.path()).expect("the RPA takes the files");
    }
    let a = svc.accept(&again).expect("accept again");
    assert!(keys.contains(&a.outbox.idempotency_key), "same outbox entry");
    assert!(a.export.is_none(), "not exported twice");
    assert_eq!(std::fs::read_dir(&spool).expect("spool").count(), 0);
    let t = Instant::now();
    while svc.outbox().status().expect("status").sent < 3 {
        assert!(t.elapsed() < Duration::from_secs(20), "not delivered: {:?}", svc.outbox().status());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.committed(), keys);
}

#[test]
fn what_can_fail_is_checked_before_anything_is_accepted() {
    use madoguchi::output::{CsvEncoding, OutputError};
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = OutputConfig {
        outbox: outbox_config(dir.path()),
        export: ExportConfig {
            enabled: true,
            spool_dir: dir.path().join("spool"),
            csv_encoding: CsvEncoding::ShiftJis,
            ..ExportConfig::default()
        },
        ..OutputConfig::default()
    };
    let svc = OutputService::start(&cfg).expect("start");
    // One visit, two procedures: the second has a name with no Shift_JIS code (𠮷). Neither
    // may be committed, or the resident is told "error" about a submission that is sent.
    let a = submission(1);
    let b = output_support::submission_with(2, "𠮷野 太郎", output_support::ADDRESS);
    let e = svc.accept_all(&[a.clone(), b]).expect_err("unencodable");
    assert!(matches!(e, OutputError::Export(_)), "{e:?}");
    assert_eq!(svc.outbox().status().expect("status"), Default::default(), "nothing committed");
    assert!(!dir.path().join("spool").read_dir().is_ok_and(|mut d| d.next().is_some()), "nothing exported");

    // A failure only after the commit says exactly what was accepted.
    std::fs::create_dir_all(dir.path().join("spool").join("R-000001-moving-in.json")).expect("blocker");
    let e = svc.accept(&a).expect_err("the JSON name is taken by a directory");
    assert!(matches!(e, OutputError::ExportAfterCommit { sent: false, .. }), "{e:?}");
    assert!(
        e.message_ja().starts_with("申請は保存しました。連携ファイルの書き出しに失敗しました"),
        "{}",
        e.message_ja()
    );
    assert_eq!(svc.outbox().status().expect("status").kept, 1, "accepted");
    // Fixed, and accepted again: the same entry, now exported.
    std::fs::remove_dir(dir.path().join("spool").join("R-000001-moving-in.json")).expect("unblock");
    let again = svc.accept(&a).expect("accept again");
    assert!(again.export.is_some());
    assert_eq!(svc.outbox().status().expect("status").kept, 1);
}

/// An output service with a back office (`server`) and an export spool (`dir/spool`).
fn sending_and_exporting(pki: &Pki, server: &Server, dir: &std::path::Path) -> OutputService {
    let cfg = OutputConfig {
        outbox: outbox_config(dir),
        backend: Some(pki.backend(&server.url(), false)),
        export: ExportConfig { enabled: true, spool_dir: dir.join("spool"), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    OutputService::start(&cfg).expect("start")
}

#[test]
fn export_failure_after_the_commit_says_the_submission_was_sent() {
    use madoguchi::output::OutputError;
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = sending_and_exporting(&pki, &server, dir.path());
    std::fs::create_dir_all(dir.path().join("spool").join("R-000003-moving-in.json")).expect("blocker");
    let e = svc.accept(&submission(3)).expect_err("export fails");
    assert!(matches!(e, OutputError::ExportAfterCommit { sent: true, .. }), "{e:?}");
    assert!(e.message_ja().starts_with("窓口への送信は受け付けました。"), "{}", e.message_ja());
    let t = Instant::now();
    while svc.outbox().status().expect("status").sent < 1 {
        assert!(t.elapsed() < Duration::from_secs(20), "the accepted submission is delivered");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A visit with two procedures whose first export fails after the commit: "accepted" must be
/// true of both, so both are in the outbox and both reach the back office.
#[test]
fn an_export_failure_in_a_two_procedure_visit_comes_after_both_commits() {
    use madoguchi::output::OutputError;
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let svc = sending_and_exporting(&pki, &server, dir.path());
    std::fs::create_dir_all(dir.path().join("spool").join("R-000004-moving-in.json")).expect("blocker");
    let e = svc.accept_all(&[submission(4), submission(5)]).expect_err("the first export fails");
    assert!(matches!(e, OutputError::ExportAfterCommit { sent: true, .. }), "{e:?}");
    let t = Instant::now();
    while svc.outbox().status().expect("status").sent < 2 {
        assert!(t.elapsed() < Duration::from_secs(20), "both accepted submissions are delivered");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn root_does_not_create_outbox_files_in_another_users_directory() {
    use std::os::unix::fs::MetadataExt as _;
    // The tests run as root (like an administrator's `sudo madoguchi outbox status`).
    assert_eq!(std::fs::metadata("/proc/self").expect("proc").uid(), 0, "this test needs root");
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::create_dir(&state).expect("state dir");
    std::os::unix::fs::chown(&state, Some(65534), Some(65534)).expect("chown to nobody");
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(
        &config,
        format!("[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\n", state.join("o.sqlite3"), state.join("o.key")),
    )
    .expect("config");
    let (ok, _, err) = cli(&config, &["status"]);
    assert!(!ok, "refused");
    assert!(err.contains("sudo -u nobody"), "says how to run it: {err}");
    assert_eq!(std::fs::read_dir(&state).expect("dir").count(), 0, "nothing created");
}

#[test]
fn retry_all_puts_every_entry_that_needs_a_clerk_back_in_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ocfg = outbox_config(dir.path());
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(&config, format!("[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\n", ocfg.db_path, ocfg.key_path))
        .expect("config");
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    server.script([output_support::server::Action::Status(422), output_support::server::Action::Status(400)]);
    let outbox = std::sync::Arc::new(Outbox::open(&ocfg).expect("open"));
    outbox.enqueue(&submission(1)).expect("enqueue");
    outbox.enqueue(&submission(2)).expect("enqueue");
    let sender =
        madoguchi::output::outbox::Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    assert_eq!(rt.block_on(sender.run_once()).expect("pass").needs_clerk, 2);
    let (ok, out, err) = cli(&config, &["retry", "--all"]);
    assert!(ok, "{err}");
    assert!(out.contains("2 entries"), "{out}");
    assert_eq!(outbox.status().expect("status").pending, 2);
    assert_eq!(rt.block_on(sender.run_once()).expect("pass").delivered, 2);
}

fn cli(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .arg("outbox")
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("run madoguchi");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn outbox_cli_status_list_retry_purge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ocfg = outbox_config(dir.path());
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(&config, format!("[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\n", ocfg.db_path, ocfg.key_path))
        .expect("config");
    let outbox = Outbox::open(&ocfg).expect("open");
    outbox.enqueue(&submission(41)).expect("enqueue");
    outbox.enqueue(&submission(42)).expect("enqueue");

    let (ok, out, _) = cli(&config, &["status"]);
    assert!(ok);
    assert!(out.lines().any(|l| l.starts_with("pending") && l.trim_end().ends_with(" 2")), "{out}");
    assert!(out.contains("送信先未設定"));

    let (ok, out, _) = cli(&config, &["list"]);
    assert!(ok);
    assert!(out.contains("R-000041") && out.contains("R-000042"), "{out}");
    assert!(!out.contains(NAME), "no personal data in the list");

    let (ok, out, _) = cli(&config, &["retry", "1"]);
    assert!(ok, "{out}");
    let (ok, _, err) = cli(&config, &["retry", "999"]);
    assert!(!ok);
    assert!(err.contains("該当する送信待ちはありません"), "{err}");

    let (ok, out, _) = cli(&config, &["purge"]);
    assert!(ok);
    assert!(out.contains("purged 0"), "nothing delivered yet, nothing purged: {out}");

    // A config file with a typo is reported, not ignored.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[output.outbox]\nretention = 3\n").expect("write");
    let (ok, _, err) = cli(&bad, &["status"]);
    assert!(!ok);
    assert!(err.contains("設定の項目が正しくありません"), "{err}");
}

#[test]
fn without_a_backend_submissions_are_kept_then_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The kiosk side keeps a week (the default); the sender service below is configured with
    // zero retention, so its housekeeping pass expires the entry at once.
    let ocfg = outbox_config(dir.path());
    let cfg = OutputConfig { outbox: ocfg.clone(), ..OutputConfig::default() };
    let svc = OutputService::start(&cfg).expect("start");
    svc.accept(&submission(7)).expect("accept");
    let st = svc.outbox().status().expect("status");
    assert_eq!((st.pending, st.kept), (0, 1), "nothing to send to: kept as the kiosk's record, not pending forever");
    drop(svc);
    // `outbox run` with no backend enforces retention (the madoguchi-sender service in that setup).
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(
        &config,
        format!("[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\nretention_hours = 0\n", ocfg.db_path, ocfg.key_path),
    )
    .expect("config");
    let (ok, _, err) = cli(&config, &["run", "--until-empty"]);
    assert!(ok, "{err}");
    assert!(err.contains("保存期間の管理のみ"), "{err}");
    assert_eq!(Outbox::open(&ocfg).expect("open").status().expect("status").kept, 0, "expired entries are purged");
}

#[test]
fn a_separate_sender_process_delivers_and_stops_on_sigterm() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let ocfg = outbox_config(dir.path());
    let backend = pki.backend(&server.url(), false);
    // The kiosk side: durable accept, no sender of its own.
    let cfg = OutputConfig {
        sender_in_kiosk: false,
        outbox: ocfg.clone(),
        backend: Some(backend.clone()),
        ..OutputConfig::default()
    };
    let svc = OutputService::start(&cfg).expect("start");
    let key = svc.accept(&submission(5)).expect("accept").outbox.idempotency_key;
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.committed().is_empty(), "the kiosk runs no sender when sender_in_kiosk = false");
    // The service side: `madoguchi outbox run` with the same configuration.
    let config = dir.path().join("madoguchi.toml");
    let ca = backend.ca_bundle.clone().expect("ca");
    std::fs::write(
        &config,
        format!(
            "[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\n[output.backend]\nurl = {:?}\nca_bundle = {:?}\npoll_interval_ms = 50\n",
            ocfg.db_path,
            ocfg.key_path,
            server.url(),
            ca
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["outbox", "run", "--config"])
        .arg(&config)
        .spawn()
        .expect("run madoguchi outbox run");
    let t = Instant::now();
    while !server.committed().contains(&key) {
        assert!(t.elapsed() < Duration::from_secs(20), "the sender process did not deliver");
        std::thread::sleep(Duration::from_millis(20));
    }
    // systemd stops the service with SIGTERM: it must exit cleanly and promptly.
    let st = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(st.success());
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "outbox run ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert_eq!(svc.outbox().status().expect("status").sent, 1);
}

#[test]
fn a_huge_card_wait_is_a_usage_error_not_a_deadline_overflow() {
    // Config ranges: `--wait` seconds past the bound would overflow `Instant +
    // Duration` in the reader's wait loop (a panic); clap refuses them as a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["card", "read", "--wait", "18446744073709551615"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run madoguchi");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--wait"));
}
