//! The headless demo counts its visits like a kiosk: `--out/stats.sqlite3`, accumulating over
//! runs into the same folder, readable by `stats export`, `stats report` and `stats summary`.

use madoguchi::stats::{Filter, StatsStore};
use madoguchi::vocab::visit::{End, PinOutcome, Step};

use super::{madoguchi, p};

fn demo(out: &std::path::Path) {
    let run = crate::support::kiosk_support::headless_demo(out, &[], &[], None);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("stats.sqlite3"), "the demo says where its statistics are: {}", run.stdout);
}

#[test]
fn two_demo_runs_into_one_folder_leave_two_visits_that_export_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    demo(&out);
    demo(&out);
    let db = out.join("stats.sqlite3");
    let s = StatsStore::open_read(&db).unwrap();
    let mut rows = Vec::new();
    s.for_each(&Filter::default(), |v| rows.push(v)).unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    for v in &rows {
        assert_eq!((v.end, v.pin, v.last_step), (End::Sent, PinOutcome::FirstTry, Step::Done));
        assert_eq!(v.procedures.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["juminhyo"]);
        assert_eq!(v.kiosk.as_str(), "K01");
        assert!(v.delivery_ms.is_some() && v.card_read_ms.is_some());
    }
    let csv = String::from_utf8(madoguchi(&["stats", "export", "--db", p(&db)]).stdout).unwrap();
    assert_eq!(csv.lines().count(), 3);
    let html = dir.path().join("r.html");
    madoguchi(&["stats", "report", "--db", p(&db), "-o", p(&html)]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(
        text.contains(r#"data-k="visits">2<"#) && text.contains("住民票"),
        "the procedure's title from the templates"
    );
    let summary = String::from_utf8(madoguchi(&["stats", "summary", "--db", p(&db)]).stdout).unwrap();
    assert!(summary.contains("本日の利用 2件(送信 2)"), "{summary}");
}
