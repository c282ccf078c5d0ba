//! Crash safety: a child process (`madoguchi outbox run`) delivers while this test enqueues
//! 1,000 submissions, and is killed with SIGKILL at random points. After a final run every
//! submission has arrived at the back office exactly once and none is lost.

use crate::support::output_support;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi::output::outbox::Outbox;
use output_support::server::{Action, Server};
use output_support::{Pki, outbox_config, submission};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore as _, SeedableRng as _};

const TOTAL: usize = 1000;

fn write_config(pki: &Pki, server: &Server, dir: &std::path::Path) -> std::path::PathBuf {
    let ca = pki.write("ca.pem", &pki.ca_pem);
    let cfg = format!(
        "[output.outbox]\ndb_path = {db:?}\nkey_path = {key:?}\n\n[output.backend]\nurl = {url:?}\nca_bundle = {ca:?}\n\
         backoff_initial_ms = 20\nbackoff_max_ms = 200\npoll_interval_ms = 20\nrequest_timeout_secs = 2\nconcurrency = 8\n",
        db = dir.join("outbox.sqlite3"),
        key = dir.join("outbox.key"),
        url = server.url(),
        ca = ca,
    );
    let p = dir.join("madoguchi.toml");
    std::fs::write(&p, cfg).expect("config");
    p
}

fn spawn_sender(config: &std::path::Path, until_empty: bool) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    c.args(["outbox", "run", "--config"]).arg(config);
    if until_empty {
        c.arg("--until-empty");
    }
    c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn madoguchi outbox run")
}

#[test]
fn sigkilled_sender_loses_and_doubles_nothing() {
    let seed = std::env::var("MADOGUCHI_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("crash test seed: {seed} (set MADOGUCHI_CRASH_SEED to replay)");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    // Some commits whose answers are lost, and some failures, on top of the kills.
    for i in 0..60 {
        server.script([
            if i % 3 == 0 { Action::CommitThenDrop } else { Action::Status(503) },
            Action::Accept,
            Action::Accept,
        ]);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&pki, &server, dir.path());
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open"));

    let producer = {
        let outbox = outbox.clone();
        std::thread::spawn(move || {
            let mut keys = HashSet::new();
            for i in 0..TOTAL {
                keys.insert(outbox.enqueue(&submission(i)).expect("enqueue").idempotency_key);
                if i % 50 == 0 {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            keys
        })
    };

    let mut kills = 0;
    let started = Instant::now();
    while !producer.is_finished() || kills < 10 {
        let mut child = spawn_sender(&config, false);
        std::thread::sleep(Duration::from_millis(30 + rng.next_u64() % 400));
        child.kill().expect("SIGKILL the sender");
        let _ = child.wait();
        kills += 1;
        assert!(started.elapsed() < Duration::from_secs(240), "crash loop took too long");
    }
    let keys = producer.join().expect("producer");
    assert_eq!(keys.len(), TOTAL);

    let mut last = spawn_sender(&config, true);
    let t = Instant::now();
    let status = loop {
        if let Some(st) = last.try_wait().expect("wait") {
            break st;
        }
        if t.elapsed() > Duration::from_secs(180) {
            let _ = last.kill();
            panic!("final sender did not drain the outbox: {:?}", outbox.status());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "sender exit {status}");
    let st = outbox.status().expect("status");
    eprintln!("{kills} kills; server saw {} requests for {TOTAL} submissions", server.total_requests());
    assert_eq!(st.sent as usize, TOTAL, "{st:?}");
    assert_eq!(st.pending + st.needs_clerk, 0, "{st:?}");
    assert_eq!(server.committed(), keys, "exactly the enqueued submissions arrived");
    server.assert_consistent();
}
