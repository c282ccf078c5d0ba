//! Outbox through real parts: SQLite files on disk and a loopback HTTPS back office
//! (rustls, certificates made at test time) that fails on purpose.

use crate::support::output_support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi::output::outbox::{EntryState, Outbox, OutboxError, Sender, SenderThread};
use output_support::server::{Action, Server};
use output_support::{ADDRESS, MY_NUMBER, NAME, Pki, outbox_config, submission};

fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn every_submission_arrives_exactly_once_through_failures() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    server.script([
        Action::Status(500),
        Action::Status(429),
        Action::Drop,
        Action::CommitThenDrop,
        Action::Slow(Duration::from_millis(2500)), // beyond the 2 s client timeout
        Action::Status(503),
        Action::Status(408),
        Action::CommitThenDrop,
        Action::Status(502),
    ]);
    let mut keys = HashSet::new();
    for i in 0..40 {
        keys.insert(outbox.enqueue(&submission(i)).expect("enqueue").idempotency_key);
    }
    let mut backend = pki.backend(&server.url(), false);
    backend.concurrency = 4;
    let sender = SenderThread::spawn(Sender::new(outbox.clone(), &backend).expect("sender")).expect("spawn");
    let done = wait_until(Duration::from_secs(60), || outbox.status().map(|s| s.sent == 40).unwrap_or(false));
    sender.stop();
    let st = outbox.status().expect("status");
    assert!(done, "not all delivered: {st:?}");
    assert_eq!(st.needs_clerk, 0);
    assert_eq!(server.committed(), keys, "server has exactly the enqueued submissions");
    server.assert_consistent();
    assert!(server.total_requests() > 40, "the failures forced retries");
    // Entries record their attempts; answers lost after a commit came back as 200 duplicates.
    let rows = outbox.list(100).expect("list");
    let retried = rows.iter().filter(|e| e.attempts > 1).count();
    assert!(retried >= 5, "only {retried} entries needed retries");
    assert!(rows.iter().all(|e| matches!(e.http_status, Some(200 | 201))));
    let duplicates = rows.iter().filter(|e| e.http_status == Some(200)).count();
    assert!(duplicates >= 2, "the two commit-then-drop answers were resent and seen as duplicates ({duplicates})");
}

#[test]
fn backend_down_keeps_submissions_until_it_returns() {
    let pki = Pki::generate();
    let mut server = Server::start(&pki, false);
    server.down();
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    let mut keys = HashSet::new();
    for i in 0..5 {
        keys.insert(outbox.enqueue(&submission(i)).expect("enqueue").idempotency_key);
    }
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    let stats = rt().block_on(sender.run_once()).expect("pass");
    assert_eq!(stats.retried, 5);
    let rows = outbox.list(10).expect("list");
    assert!(rows.iter().all(|r| r.state == EntryState::Pending && r.last_error.is_some()));
    server.up();
    let t = SenderThread::spawn(sender).expect("spawn");
    let done = wait_until(Duration::from_secs(30), || outbox.status().map(|s| s.sent == 5).unwrap_or(false));
    t.stop();
    assert!(done, "{:?}", outbox.status());
    assert_eq!(server.committed(), keys);
    server.assert_consistent();
}

#[test]
fn permanent_4xx_needs_a_clerk_and_retry_keeps_the_key() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    server.script([Action::Status(422), Action::Status(400)]);
    let a = outbox.enqueue(&submission(1)).expect("enqueue");
    let b = outbox.enqueue(&submission(2)).expect("enqueue");
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    let rt = rt();
    let stats = rt.block_on(sender.run_once()).expect("pass");
    assert_eq!(stats.needs_clerk, 2);
    let rows = outbox.list(10).expect("list");
    for r in &rows {
        assert_eq!(r.state, EntryState::NeedsClerk);
        let msg = r.last_error.as_deref().unwrap_or("");
        assert!(msg.starts_with("HTTP 4"), "the status is kept for the clerk: {msg}");
        assert!(!msg.contains("scripted failure"), "the server's text is not stored: {msg}");
    }
    // Nothing further happens on its own.
    assert_eq!(rt.block_on(sender.run_once()).expect("pass").delivered, 0);
    outbox.retry(a.id).expect("retry");
    outbox.retry(b.id).expect("retry");
    assert_eq!(rt.block_on(sender.run_once()).expect("pass").delivered, 2);
    assert_eq!(server.committed(), HashSet::from([a.idempotency_key, b.idempotency_key]));
    server.assert_consistent();
    assert!(matches!(outbox.retry(a.id), Err(OutboxError::NoSuchEntry(_))), "sent entries cannot be retried");
}

#[test]
fn enqueue_is_durable_and_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = outbox_config(dir.path());
    let outbox = Outbox::open(&cfg).expect("open");
    let sub = submission(7);
    let a = outbox.enqueue(&sub).expect("enqueue");
    let b = outbox.enqueue(&sub).expect("enqueue twice");
    assert_eq!(a, b, "same key → same entry");
    // A second, independent connection sees the committed row at once.
    let conn = rusqlite::Connection::open(&cfg.db_path).expect("open raw");
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 1);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
    assert_eq!(mode, "wal");
    drop(outbox);
    let reopened = Outbox::open(&cfg).expect("reopen");
    assert_eq!(reopened.status().expect("status").pending, 1);
}

#[test]
fn personal_data_is_encrypted_at_rest_and_purged() {
    use std::os::unix::fs::PermissionsExt as _;
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = outbox_config(dir.path());
    cfg.retention_hours = 0;
    let outbox = Arc::new(Outbox::open(&cfg).expect("open"));
    for i in 0..3 {
        outbox.enqueue(&submission(i)).expect("enqueue");
    }
    let mode = std::fs::metadata(&cfg.key_path).expect("key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let mut bytes = std::fs::read(&cfg.db_path).expect("db");
    bytes.extend(std::fs::read(dir.path().join("outbox.sqlite3-wal")).unwrap_or_default());
    for secret in [NAME, ADDRESS, MY_NUMBER, "大阪府大阪市北区"] {
        let needle = secret.as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "plaintext personal data found in the outbox files");
    }
    assert!(bytes.windows(8).any(|w| w == b"R-000001"), "the metadata is there (the search works)");
    // Deliver, then purge with zero retention: the rows go away.
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    assert_eq!(rt().block_on(sender.run_once()).expect("pass").delivered, 3);
    assert_eq!(outbox.purge(chrono::Utc::now()).expect("purge"), 3);
    assert_eq!(outbox.status().expect("status"), Default::default());
}

#[test]
fn a_full_disk_is_a_typed_error_not_a_silent_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = outbox_config(dir.path());
    // SQLite's own size cap gives the same SQLITE_FULL a full filesystem gives.
    cfg.max_db_size_mb = 1;
    let outbox = Outbox::open(&cfg).expect("open");
    let mut ok = 0;
    let mut err = None;
    for i in 0..200 {
        let mut s = submission(i);
        s.pdf = zeroize::Zeroizing::new(vec![b'x'; 64 * 1024]);
        match outbox.enqueue(&s) {
            Ok(_) => ok += 1,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let e = err.expect("the cap must be hit");
    assert!(matches!(e, OutboxError::DiskFull), "{e:?}");
    assert!(e.message_ja().contains("ディスク"));
    assert!(ok > 0);
    assert_eq!(outbox.status().expect("status").pending, ok, "everything acknowledged is still there");
}

#[test]
fn mtls_client_certificate_works_and_wrong_ca_or_missing_cert_is_refused() {
    let pki = Pki::generate();
    let server = Server::start(&pki, true);
    let rt = rt();
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    let key = outbox.enqueue(&submission(1)).expect("enqueue").idempotency_key;

    // No client certificate: the server refuses the handshake → retry later.
    let no_cert = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    assert_eq!(rt.block_on(no_cert.run_once()).expect("pass").retried, 1);

    // Wrong CA: our side refuses the server.
    outbox.retry(1).expect("due now");
    let mut wrong = pki.backend(&server.url(), true);
    wrong.ca_bundle = Some(pki.write("other.pem", &pki.other_ca_pem));
    let s = Sender::new(outbox.clone(), &wrong).expect("sender");
    assert_eq!(rt.block_on(s.run_once()).expect("pass").retried, 1);
    let err = outbox.list(1).expect("list")[0].last_error.clone().unwrap_or_default();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(server.committed().is_empty());

    // Right CA + client cert: delivered.
    outbox.retry(1).expect("due now");
    let good = Sender::new(outbox.clone(), &pki.backend(&server.url(), true)).expect("sender");
    assert_eq!(rt.block_on(good.run_once()).expect("pass").delivered, 1);
    assert_eq!(server.committed(), HashSet::from([key]));
}

#[test]
fn plain_http_is_refused_unless_allowed_and_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    let mut b = madoguchi::output::BackendConfig { url: "http://127.0.0.1:9/x".into(), ..Default::default() };
    assert!(Sender::new(outbox.clone(), &b).is_err());
    b.allow_insecure_loopback_http = true;
    assert!(Sender::new(outbox.clone(), &b).is_ok());
    b.url = "http://192.0.2.1/x".into();
    assert!(Sender::new(outbox, &b).is_err());
}

#[test]
fn redirects_are_never_followed_and_nothing_is_marked_sent() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    let rt = rt();
    for status in [301, 302, 303, 307, 308] {
        let e = outbox.enqueue(&submission(status as usize)).expect("enqueue");
        server.script([Action::Redirect(status, "/login/moved")]);
        let stats = rt.block_on(sender.run_once()).expect("pass");
        assert_eq!((stats.delivered, stats.needs_clerk), (0, 1), "HTTP {status}: {stats:?}");
        let row = outbox.list(10).expect("list").into_iter().find(|r| r.id == e.id).expect("row");
        assert_eq!(row.state, EntryState::NeedsClerk, "HTTP {status}: a clerk must look at it");
        assert_eq!(row.http_status, Some(status));
        let msg = row.last_error.unwrap_or_default();
        // The back office is https://localhost:…; the redirect points to 127.0.0.1.
        assert!(msg.contains("127.0.0.1") && !msg.contains("/login"), "the Location's host only: {msg}");
        // The 200 endpoint behind the redirect was never reached: no GET (301/302/303 would
        // have become one) and no re-post of the personal data (307/308).
        assert!(server.elsewhere().is_empty(), "HTTP {status} was followed: {:?}", server.elsewhere());
    }
    assert!(server.committed().is_empty());
    assert_eq!(outbox.status().expect("status").sent, 0);
    // Once the URL is fixed (here: the server stops redirecting), a clerk retry delivers.
    for r in outbox.list(10).expect("list") {
        outbox.retry(r.id).expect("retry");
    }
    assert_eq!(rt.block_on(sender.run_once()).expect("pass").delivered, 5);
    server.assert_consistent();
}

/// The back office's answer is read up to 64 KiB: an 8 MiB problem document is cut there, so
/// its (valid, whole) JSON never gets parsed and no more of it is held in memory.
#[test]
fn a_huge_back_office_answer_is_read_only_up_to_the_cap() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    outbox.enqueue(&submission(11)).expect("enqueue");
    server.script([Action::HugeProblem(422)]);
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    assert_eq!(rt().block_on(sender.run_once()).expect("pass").needs_clerk, 1);
    // Read whole, the document would give its problem type; cut at the cap it gives none.
    assert_eq!(outbox.list(1).expect("list")[0].last_error.as_deref(), Some("HTTP 422"));
}

#[test]
fn back_office_error_text_is_not_stored_or_listed() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = outbox_config(dir.path());
    let outbox = Arc::new(Outbox::open(&cfg).expect("open"));
    outbox.enqueue(&submission(9)).expect("enqueue");
    server.script([Action::EchoName(422)]);
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    assert_eq!(rt().block_on(sender.run_once()).expect("pass").needs_clerk, 1);
    let row = &outbox.list(1).expect("list")[0];
    assert_eq!(
        row.last_error.as_deref(),
        Some("HTTP 422 (problem type https://backoffice.example/problems/name-rejected)"),
        "status and problem type are what the clerk gets"
    );
    // The files as they are on disk, the WAL (where the last write is) included.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        bytes.extend(std::fs::read(format!("{}{suffix}", cfg.db_path.display())).unwrap_or_default());
    }
    assert!(bytes.len() > 4096, "the database files were read");
    let needle = NAME.as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle), "the echoed name is in the outbox files");
    // And `outbox list`, what an administrator sees.
    let config = dir.path().join("madoguchi.toml");
    std::fs::write(&config, format!("[output.outbox]\ndb_path = {:?}\nkey_path = {:?}\n", cfg.db_path, cfg.key_path))
        .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["outbox", "list", "--config"])
        .arg(&config)
        .output()
        .expect("run madoguchi");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("HTTP 422"), "the entry is listed: {text}");
    assert!(!text.contains(NAME), "outbox list shows the echoed name: {text}");
}

#[test]
fn refused_credentials_stay_in_line_and_go_out_once_fixed() {
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));
    for i in 0..3 {
        outbox.enqueue(&submission(i)).expect("enqueue");
    }
    server.script([Action::Status(401), Action::Status(403), Action::Status(401)]);
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    let rt = rt();
    let stats = rt.block_on(sender.run_once()).expect("pass");
    assert_eq!((stats.retried, stats.needs_clerk), (3, 0), "{stats:?}");
    let st = outbox.status().expect("status");
    assert_eq!((st.pending, st.needs_clerk), (3, 0), "no clerk retry per entry: {st:?}");
    let t = SenderThread::spawn(sender).expect("spawn");
    let done = wait_until(Duration::from_secs(20), || outbox.status().map(|s| s.sent == 3).unwrap_or(false));
    t.stop();
    assert!(done, "{:?}", outbox.status());
}

#[test]
fn a_retention_too_long_to_compute_purges_nothing() {
    // Config::validate refuses such a value; the outbox itself must still not read an
    // overflowing retention as "zero" and delete every delivered entry at once.
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = outbox_config(dir.path());
    cfg.retention_hours = u64::MAX;
    let outbox = Arc::new(Outbox::open(&cfg).expect("open"));
    outbox.enqueue(&submission(1)).expect("enqueue");
    let sender = Sender::new(outbox.clone(), &pki.backend(&server.url(), false)).expect("sender");
    assert_eq!(rt().block_on(sender.run_once()).expect("pass").delivered, 1);
    assert_eq!(outbox.purge(chrono::Utc::now() + chrono::Duration::days(1)).expect("purge"), 0);
    assert_eq!(outbox.status().expect("status").sent, 1);
}
