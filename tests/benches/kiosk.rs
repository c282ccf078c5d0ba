//! Kiosk UI benchmark (harness = false): `cargo bench --bench kiosk`.
//!
//! Prints, over several fresh processes (Slint allows one platform per process):
//! - cold start to first frame: process start → window built → first full frame rendered
//!   (software renderer, 1920×1080, headless);
//! - review-screen render time: full repaints of the review screen (median, p95);
//! - peak RSS (VmHWM) of the process after all of that.
//!
//! Targets: ≤ 500 ms, ≤ 16 ms per frame, ≤ 120 MB.

use std::process::Command;
use std::time::{Duration, Instant};

use madoguchi::card::sim::persona;
use madoguchi::config::Config;
use madoguchi::session::{Event, Stage};
use madoguchi::ui::{KioskUi, headless};
use madoguchi::wiring;

const RUNS: usize = 7;
const FRAMES: usize = 40;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn process_age() -> Duration {
    // Process start time from /proc/self/stat (field 22, clock ticks since boot) vs uptime.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let start_ticks: f64 = after.split_whitespace().nth(19).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0);
    Duration::from_secs_f64((uptime - start_ticks / 100.0).max(0.0))
}

fn child() {
    let t0 = Instant::now();
    let age_at_main = process_age();
    let window = headless::install(1920, 1080).expect("platform");
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-{}", std::process::id()));
    // The demo kiosk as `kiosk --demo` builds it: embedded templates, fonts, a local outbox.
    let kiosk = wiring::build(wiring::demo_config(Config::default(), &dir)).expect("demo kiosk");
    let demo = kiosk.demo.expect("demo reader");
    let hand = demo.hand.clone();
    let ui = KioskUi::new(&kiosk.config, kiosk.session, Some(Box::new(demo))).expect("window");
    slint::ComponentHandle::show(&ui.window).expect("show");
    let _ = headless::render_rgb(&window);
    let first_frame = t0.elapsed() + age_at_main;

    ui.send(Event::Begin);
    ui.send(Event::ChooseProcedure("juminhyo".into()));
    hand.insert(persona::builtin_by_id("typical").expect("persona"));
    ui.tick();
    for d in [1, 2, 3, 4] {
        ui.send(Event::PinDigit(d));
    }
    ui.send(Event::PinSubmit);
    assert!(matches!(ui.session().stage(), Stage::Review(_)), "the bench reaches the review screen");
    let mut frames = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        let t = Instant::now();
        let _ = headless::render_rgb(&window);
        frames.push(t.elapsed());
    }
    frames.sort();
    let median = frames[FRAMES / 2];
    let p95 = frames[FRAMES * 95 / 100];
    println!(
        "{} {} {} {}",
        first_frame.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        peak_rss_kib()
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--child") {
        child();
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let (mut start, mut frame, mut p95, mut rss) = (vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let out = Command::new(&exe).arg("--child").output().expect("spawn the bench child");
        if !out.status.success() {
            eprintln!("child failed: {}", String::from_utf8_lossy(&out.stderr));
            std::process::exit(1);
        }
        let line = String::from_utf8_lossy(&out.stdout);
        let v: Vec<f64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
        if v.len() != 4 {
            eprintln!("unexpected child output: {line}");
            std::process::exit(1);
        }
        start.push(v[0]);
        frame.push(v[1]);
        p95.push(v[2]);
        rss.push(v[3] / 1024.0);
    }
    println!("kiosk UI benchmark, {RUNS} fresh processes, software renderer 1920×1080 (median of runs):");
    println!("  cold start to first frame : {:7.1} ms   (target ≤ 500 ms)", median(start));
    println!("  review screen full repaint: {:7.2} ms   (p95 {:.2} ms; target ≤ 16 ms)", median(frame), median(p95));
    println!("  peak RSS                  : {:7.1} MB   (target ≤ 120 MB)", median(rss));
}
