//! Outbox benchmark: enqueue 10,000 submissions (each committed with fsync) while a sender
//! delivers them to a loopback HTTPS back office. Prints delivered/s and enqueue latency
//! percentiles. Run: `cargo bench --bench outbox` (release).

#[path = "../output_support/mod.rs"]
mod output_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi::output::outbox::{Outbox, Sender, SenderThread};
use output_support::server::Server;
use output_support::{Pki, outbox_config, submission};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let total: usize = std::env::var("MADOGUCHI_BENCH_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let pki = Pki::generate();
    let server = Server::start(&pki, false);
    // Keep the database on the real disk (not tmpfs) so fsync costs what it costs.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let outbox = Arc::new(Outbox::open(&outbox_config(dir.path())).expect("open outbox"));
    let mut backend = pki.backend(&server.url(), false);
    backend.concurrency = 32;
    backend.request_timeout_secs = 10;

    // A form PDF with an embedded font subset is typically ~40 KB.
    let mut template = submission(0);
    let mut pdf = template.pdf.to_vec();
    pdf.resize(40 * 1024, b'%');
    template.pdf = zeroize::Zeroizing::new(pdf);
    let subs: Vec<_> = (0..total)
        .map(|i| {
            let mut s = template.clone();
            s.idempotency_key = madoguchi::output::payload::new_idempotency_key();
            s.receipt_id = format!("R-{i:06}");
            s
        })
        .collect();

    let sender = SenderThread::spawn(Sender::new(outbox.clone(), &backend).expect("sender")).expect("spawn");
    let start = Instant::now();
    let mut lat = Vec::with_capacity(total);
    for s in &subs {
        let t = Instant::now();
        outbox.enqueue(s).expect("enqueue");
        lat.push(t.elapsed());
    }
    let enqueue_secs = start.elapsed().as_secs_f64();
    while outbox.status().expect("status").sent < total as u64 {
        assert!(start.elapsed() < Duration::from_secs(600), "delivery stalled: {:?}", outbox.status());
        std::thread::sleep(Duration::from_millis(5));
    }
    let all_secs = start.elapsed().as_secs_f64();
    sender.stop();
    assert_eq!(server.committed().len(), total, "every submission reached the server");
    server.assert_consistent();

    lat.sort();
    println!(
        "outbox bench: {total} submissions, payload ~{} KB JSON each",
        submission(0).to_json(chrono::Utc::now()).len() / 1024 + 40 * 4 / 3
    );
    println!("  enqueue (WAL, synchronous=FULL, concurrent sender):");
    println!(
        "    p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({:.0} enqueues/s)",
        pct(&lat, 0.5).as_secs_f64() * 1e3,
        pct(&lat, 0.9).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        total as f64 / enqueue_secs
    );
    println!(
        "  delivered: {total} in {all_secs:.2} s = {:.0} delivered/s (first enqueue → last delivery)",
        total as f64 / all_secs
    );
    println!("  server requests: {} (retries included)", server.total_requests());
}
