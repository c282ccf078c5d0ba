//! Counter statistics at the scale of a municipality: a year of 50 kiosks (≈ 2 million
//! synthetic visits) in one database on the real disk. Measures the HTML report and the CSV
//! export over all of it (targets: ≤ 10 s each) and the cost of recording one visit (one
//! transaction in WAL mode), medians by criterion.
//! Run: cargo bench --bench stats   (MADOGUCHI_BENCH_DAYS=… for a shorter year)

use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use madoguchi::stats::aggregate::{Acc, PaperBaseline};
use madoguchi::stats::csv::{self, Encoding};
use madoguchi::stats::report::{self, ReportMeta};
use madoguchi::stats::{Filter, StatsStore, synthetic};

fn bench(c: &mut Criterion) {
    let mut plan = synthetic::Plan::year_of_50_kiosks();
    if let Some(days) = std::env::var("MADOGUCHI_BENCH_DAYS").ok().and_then(|s| s.parse().ok()) {
        plan.days = days;
    }
    // On the real disk (not tmpfs), like a kiosk's /var/lib/madoguchi.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let path = dir.path().join("stats.sqlite3");
    let t = Instant::now();
    let visits: Vec<_> = synthetic::visits(plan.clone()).collect();
    let generated = t.elapsed();
    let store = StatsStore::open(&path, 0).expect("open");
    let t = Instant::now();
    for chunk in visits.chunks(50_000) {
        store.record_all(chunk).expect("insert");
    }
    let inserted = t.elapsed();
    drop(store);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "stats bench: {} visits ({} kiosks × {} days), generated in {:.1} s, bulk-inserted in {:.1} s, database {:.0} MB",
        visits.len(),
        plan.kiosks,
        plan.days,
        generated.as_secs_f64(),
        inserted.as_secs_f64(),
        size as f64 / 1e6
    );
    let sample = visits[visits.len() / 2].clone();
    drop(visits);

    let mut g = c.benchmark_group("stats");
    g.sample_size(10);
    g.bench_function("report_year_50_kiosks", |b| {
        b.iter(|| {
            let store = StatsStore::open_read(&path).expect("open");
            let baseline = PaperBaseline::default();
            let mut acc = Acc::new();
            store.for_each(&Filter::default(), |v| acc.add(&v, &baseline)).expect("read");
            let f = acc.finish();
            report::render(&f, &ReportMeta::default()).len()
        })
    });
    g.bench_function("export_csv_year_50_kiosks", |b| {
        b.iter(|| {
            let store = StatsStore::open_read(&path).expect("open");
            csv::export(&[store], &Filter::default(), std::io::BufWriter::new(std::io::sink()), Encoding::Utf8)
                .expect("export")
        })
    });
    g.finish();

    // One visit at the end of a session: one transaction, into the big database.
    let store = StatsStore::open(&path, 0).expect("open");
    let mut g = c.benchmark_group("stats_write");
    g.bench_function("record_one_visit", |b| {
        b.iter_batched(|| sample.clone(), |v| store.record(&v).expect("record"), BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
