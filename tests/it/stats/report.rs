//! `madoguchi stats report`: the HTML report opened by a real browser (chromium, headless).
//! Its numbers, read back from the DOM chromium built, equal those computed here from the
//! generated visits (by this test's own arithmetic, not the library's aggregation); its
//! screenshot matches the committed golden within a tolerance; it prints on A4.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Datelike, NaiveDate, Timelike};
use madoguchi::vocab::visit::{End, ErrorKind, PinOutcome, Step, Visit};

use crate::support::golden;

use super::{chromium, db_with, madoguchi, month, p};

const FROM: &str = "2026-10-05";
const TO: &str = "2026-10-16";
const PAPER_MINUTES: f64 = 12.0;

/// Two databases (K01 / the other kiosks) and the report of both over FROM..=TO.
fn report(dir: &Path) -> (PathBuf, Vec<Visit>) {
    let visits = month();
    let (a, b): (Vec<Visit>, Vec<Visit>) = visits.iter().cloned().partition(|v| v.kiosk.as_str() == "K01");
    let (da, db) = (dir.join("k01.sqlite3"), dir.join("k02-k03.sqlite3"));
    drop((db_with(&da, &a), db_with(&db, &b)));
    let html = dir.join("report.html");
    let paper = PAPER_MINUTES.to_string();
    madoguchi(&[
        "stats",
        "report",
        "--db",
        p(&da),
        "--db",
        p(&db),
        "--from",
        FROM,
        "--to",
        TO,
        "--paper-minutes",
        &paper,
        "-o",
        p(&html),
    ]);
    let (from, to) = (NaiveDate::parse_from_str(FROM, "%F").unwrap(), NaiveDate::parse_from_str(TO, "%F").unwrap());
    let inside = visits.into_iter().filter(|v| v.started.date() >= from && v.started.date() <= to).collect();
    (html, inside)
}

fn url(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn browser(args: &[&str]) -> std::process::Output {
    let out = Command::new(chromium())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .args(args)
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// `data-k` key → text, from the DOM as chromium parsed it.
fn figures_in_dom(html: &Path) -> BTreeMap<String, String> {
    let dom = String::from_utf8(browser(&["--dump-dom", &url(html)]).stdout).unwrap();
    assert!(dom.contains("窓口利用統計"), "chromium rendered the report");
    let mut out = BTreeMap::new();
    for part in dom.split("data-k=\"").skip(1) {
        let (key, rest) = part.split_once('"').unwrap();
        let text = rest.split_once('>').unwrap().1.split('<').next().unwrap();
        assert!(out.insert(key.to_string(), text.to_string()).is_none(), "key {key} appears once");
    }
    out
}

fn rank_pct(sorted: &[u32], p: usize) -> u32 {
    // Nearest rank: the value at ⌈p·n/100⌉ (1-based).
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn min1(ms: u32) -> String {
    format!("{:.1}", f64::from(ms) / 60_000.0)
}

#[test]
fn the_reports_numbers_equal_those_computed_from_the_visits() {
    let dir = tempfile::tempdir().unwrap();
    let (html, v) = report(dir.path());
    let dom = figures_in_dom(&html);
    let get = |k: &str| dom.get(k).unwrap_or_else(|| panic!("no {k} in the report")).as_str();
    assert!(v.len() > 500, "{}", v.len());
    assert_eq!(get("visits"), v.len().to_string());
    assert_eq!(get("period"), format!("{FROM} 〜 {TO}"));
    let delivered: Vec<&Visit> = v.iter().filter(|x| matches!(x.end, End::Printed | End::Sent | End::Both)).collect();
    assert_eq!(get("delivered"), delivered.len().to_string());
    // Weekday × hour.
    for d in 0..7 {
        for h in 8..=18 {
            let n =
                v.iter().filter(|x| x.started.weekday().num_days_from_monday() == d && x.started.hour() == h).count();
            assert_eq!(get(&format!("wh.{d}.{h}")), n.to_string(), "weekday {d} hour {h}");
        }
    }
    // Minutes per procedure (delivered visits, whole visit).
    let procs: BTreeSet<&str> = delivered.iter().flat_map(|x| x.procedures.iter().map(|p| p.as_str())).collect();
    assert!(procs.len() >= 5);
    for pid in procs {
        let mut t: Vec<u32> = delivered
            .iter()
            .filter(|x| x.procedures.iter().any(|p| p.as_str() == pid))
            .map(|x| x.step_ms.iter().sum::<u32>())
            .collect();
        t.sort();
        assert_eq!(get(&format!("proc.{pid}.n")), t.len().to_string(), "{pid}");
        assert_eq!(get(&format!("proc.{pid}.median")), min1(rank_pct(&t, 50)), "{pid} median");
        assert_eq!(get(&format!("proc.{pid}.p90")), min1(rank_pct(&t, 90)), "{pid} p90");
    }
    // Minutes per step.
    for s in [Step::Procedure, Step::Card, Step::Pin, Step::Review, Step::Signature, Step::Confirm, Step::Output] {
        let mut t: Vec<u32> = v.iter().map(|x| x.step_ms[s.index()]).filter(|&m| m > 0).collect();
        t.sort();
        assert_eq!(get(&format!("step.{}.median", s.code())), min1(rank_pct(&t, 50)), "{s:?}");
        assert_eq!(get(&format!("step.{}.p90", s.code())), min1(rank_pct(&t, 90)), "{s:?}");
    }
    // The funnel: how many application visits got at least this far.
    let order = ["procedure", "card", "pin", "review", "signature", "confirm", "output", "done"];
    let pos = |x: &Visit| match x.furthest {
        Step::CardCheck => None,
        Step::Guide => Some(0),
        s => order.iter().position(|o| *o == s.code()),
    };
    let started = v.iter().filter(|x| pos(x).is_some()).count();
    for (i, name) in order.iter().enumerate() {
        let n = v.iter().filter(|x| pos(x).is_some_and(|p| p >= i)).count();
        let pct = format!("{:.1}", n as f64 * 100.0 / started as f64);
        assert_eq!(get(&format!("funnel.{name}")), format!("{n}件 ({pct}%)"), "funnel {name}");
    }
    for x in ["review", "pin", "card"] {
        let n = v.iter().filter(|y| !y.end.delivered() && y.last_step.code() == x).count();
        assert_eq!(get(&format!("gaveup.{x}")), n.to_string(), "gave up on {x}");
    }
    for e in End::ALL {
        assert_eq!(get(&format!("end.{}", e.code())), v.iter().filter(|x| x.end == *e).count().to_string());
    }
    for o in PinOutcome::ALL {
        assert_eq!(get(&format!("pin.{}", o.code())), format!("{}件", v.iter().filter(|x| x.pin == *o).count()));
    }
    for k in ErrorKind::ALL {
        let total: u32 = v.iter().map(|x| u32::from(x.errors[k.index()])).sum();
        assert_eq!(get(&format!("err.{}", k.code())), total.to_string(), "{k:?}");
    }
    let clerk = v.iter().filter(|x| x.assisted).count();
    assert_eq!(get("mode.clerk"), format!("{clerk}件 ({:.1}%)", clerk as f64 * 100.0 / v.len() as f64));
    for lang in ["ja", "en", "ja-easy"] {
        let n = v.iter().filter(|x| x.language.as_str() == lang).count();
        assert!(get(&format!("lang.{lang}")).starts_with(&format!("{n}件 ")), "{lang}");
    }
    for k in ["K01", "K02", "K03"] {
        assert_eq!(get(&format!("kiosk.{k}")), v.iter().filter(|x| x.kiosk.as_str() == k).count().to_string());
    }
    // Staff time: every delivered form at the paper baseline, minus clerks' minutes at the kiosk.
    let forms: usize = delivered.iter().map(|x| x.procedures.len()).sum();
    let clerk_min: f64 = delivered
        .iter()
        .filter(|x| x.assisted)
        .map(|x| x.step_ms.iter().map(|&m| f64::from(m)).sum::<f64>() / 60_000.0)
        .sum();
    assert_eq!(get("forms"), forms.to_string());
    assert_eq!(get("paper_minutes"), format!("{:.0}", forms as f64 * PAPER_MINUTES));
    assert_eq!(get("clerk_minutes"), format!("{clerk_min:.0}"));
    assert_eq!(get("saved_minutes_table"), format!("{:.0}", forms as f64 * PAPER_MINUTES - clerk_min));
}

#[test]
fn the_report_is_self_contained_and_prints_on_a4() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = report(dir.path());
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(!text.contains("<script"), "no script");
    for external in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!text.contains(external), "no external request: {external}");
    }
    assert!(text.contains("<svg") && text.contains("@page{size:A4"));
    let pdf = dir.path().join("report.pdf");
    browser(&["--no-pdf-header-footer", &format!("--print-to-pdf={}", pdf.display()), &url(&html)]);
    let info = Command::new("pdfinfo").arg(&pdf).output().expect("poppler-utils installed");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "{info}");
}

/// Up to this share of changed pixels is accepted.
const MAX_CHANGED: f64 = 0.005;

#[test]
fn the_report_in_chromium_matches_its_golden_screenshot() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = report(dir.path());
    let shot = dir.path().join("report.png");
    browser(&["--window-size=1100,3000", &format!("--screenshot={}", shot.display()), &url(&html)]);
    let png = std::fs::read(&shot).unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/stats/report.png");
    if std::env::var_os("MADOGUCHI_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &png).unwrap();
        return;
    }
    let want = std::fs::read(&golden)
        .unwrap_or_else(|_| panic!("no golden {} (run with MADOGUCHI_UPDATE_GOLDEN=1)", golden.display()));
    let (w, h, a) = golden::rgba(&png);
    let (gw, gh, g) = golden::rgba(&want);
    assert_eq!((w, h), (gw, gh), "screenshot size");
    let share = golden::changed_share(&a, &g);
    if share > MAX_CHANGED {
        let out = std::env::temp_dir().join("madoguchi-actual-stats-report.png");
        std::fs::write(&out, &png).unwrap();
        panic!("{:.2}% of pixels differ from the golden (actual in {})", share * 100.0, out.display());
    }
}
