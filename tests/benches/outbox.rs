//! Outbox benchmark: enqueue 10,000 submissions (each committed with fsync) while a sender
//! delivers them to a loopback HTTPS back office. Prints delivered/s and enqueue latency
//! percentiles. Run: `cargo bench --bench outbox` (release).

// The tests' helpers; the benchmark uses only part of them.
#[allow(dead_code)]
#[path = "../it/support/output_support/mod.rs"]
mod output_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi::output::outbox::{Outbox, Sender, SenderThread};
use madoguchi::output::payload::Submission;
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
    println!(
        "outbox bench: {total} submissions, ~{} KB JSON each (40 KB PDF), database in {}",
        template.to_json(chrono::Utc::now()).len() / 1024,
        dir.path().display()
    );
    let subs: Vec<_> = (0..total + total / 5)
        .map(|i| {
            let mut s = template.clone();
            s.idempotency_key = madoguchi::output::payload::new_idempotency_key();
            s.receipt_id = format!("R-{i:06}");
            s
        })
        .collect();

    // Phase 1: enqueue latency alone (each enqueue = one commit with fsync).
    let (lat, secs) = enqueue_all(&outbox, &subs[..total]);
    report("enqueue, sender idle", &lat, secs);

    // Phase 2: the sender drains the full outbox to the HTTPS server.
    let start = Instant::now();
    let sender = SenderThread::spawn(Sender::new(outbox.clone(), &backend).expect("sender")).expect("spawn");
    wait_sent(&outbox, total as u64, start);
    let drain = start.elapsed().as_secs_f64();
    println!("  deliver {total} queued: {drain:.2} s = {:.0} delivered/s", total as f64 / drain);

    // Phase 3: both at once, as at a busy counter.
    let extra = &subs[total..];
    let start = Instant::now();
    let (lat, secs) = enqueue_all(&outbox, extra);
    report("enqueue while the sender delivers", &lat, secs);
    wait_sent(&outbox, (total + extra.len()) as u64, start);
    let both = start.elapsed().as_secs_f64();
    println!(
        "  enqueue+deliver {}: {both:.2} s = {:.0} delivered/s end to end",
        extra.len(),
        extra.len() as f64 / both
    );
    sender.stop();
    assert_eq!(server.committed().len(), total + extra.len(), "every submission reached the server");
    server.assert_consistent();
    println!("  server requests: {} (retries included)", server.total_requests());
}

fn enqueue_all(outbox: &Outbox, subs: &[Submission]) -> (Vec<Duration>, f64) {
    let start = Instant::now();
    let mut lat = Vec::with_capacity(subs.len());
    for s in subs {
        let t = Instant::now();
        outbox.enqueue(s).expect("enqueue");
        lat.push(t.elapsed());
    }
    lat.sort();
    (lat, start.elapsed().as_secs_f64())
}

fn report(what: &str, lat: &[Duration], secs: f64) {
    println!(
        "  {what} ({} × WAL commit, synchronous=FULL): p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({:.0}/s)",
        lat.len(),
        pct(lat, 0.5).as_secs_f64() * 1e3,
        pct(lat, 0.9).as_secs_f64() * 1e3,
        pct(lat, 0.99).as_secs_f64() * 1e3,
        lat.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        lat.len() as f64 / secs
    );
}

fn wait_sent(outbox: &Outbox, n: u64, start: Instant) {
    while outbox.status().expect("status").sent < n {
        assert!(start.elapsed() < Duration::from_secs(900), "delivery stalled: {:?}", outbox.status());
        std::thread::sleep(Duration::from_millis(5));
    }
}
