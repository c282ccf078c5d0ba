//! The statistics database through a real file: what goes in comes out, rows past the
//! retention period go, and several kiosks' files read side by side.

use chrono::NaiveDate;
use madoguchi::stats::{Filter, StatsStore};
use madoguchi::vocab::visit::End;

use super::{db_with, month};

#[test]
fn visits_round_trip_through_a_real_file_in_start_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/stats.sqlite3");
    let visits = month();
    drop(db_with(&path, &visits));
    // A fresh connection, read-only, as the CLI opens it.
    let s = StatsStore::open_read(&path).unwrap();
    assert_eq!(s.count().unwrap(), visits.len() as u64);
    let mut back = Vec::new();
    s.for_each(&Filter::default(), |v| back.push(v)).unwrap();
    let mut want = visits.clone();
    want.sort_by_key(|v| v.started);
    // Same multiset of rows; within one minute the order is insertion order.
    let key = |v: &madoguchi::vocab::visit::Visit| format!("{:?}", v);
    let mut a: Vec<String> = back.iter().map(key).collect();
    let mut b: Vec<String> = want.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(back.windows(2).all(|w| w[0].started <= w[1].started));
}

#[test]
fn the_date_filter_is_inclusive_at_both_ends() {
    let dir = tempfile::tempdir().unwrap();
    let visits = month();
    let s = db_with(&dir.path().join("s.sqlite3"), &visits);
    let (from, to) = (NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(), NaiveDate::from_ymd_opt(2026, 10, 9).unwrap());
    let filter = Filter { from: Some(from), to: Some(to) };
    let mut n = 0;
    s.for_each(&filter, |v| {
        assert!(v.started.date() >= from && v.started.date() <= to, "{}", v.started);
        n += 1;
    })
    .unwrap();
    let want = visits.iter().filter(|v| filter.contains(v)).count();
    assert!(want > 0);
    assert_eq!(n, want);
    assert!(visits.iter().any(|v| v.started.date() == to), "the last day has visits and they count");
}

#[test]
fn retention_deletes_only_rows_older_than_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let visits = month();
    drop(db_with(&path, &visits));
    let s = StatsStore::open(&path, 10).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 10, 20).unwrap();
    let cutoff = NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
    let old = visits.iter().filter(|v| v.started.date() < cutoff).count();
    assert!(old > 0);
    assert_eq!(s.purge(today).unwrap(), old);
    assert_eq!(s.count().unwrap(), (visits.len() - old) as u64);
    let mut oldest = None;
    s.for_each(&Filter::default(), |v| {
        oldest.get_or_insert(v.started.date());
    })
    .unwrap();
    let first_kept = visits.iter().map(|v| v.started.date()).filter(|d| *d >= cutoff).min();
    assert_eq!(oldest, first_kept);
    // Recording a visit purges once a day on its own.
    let mut late = visits[visits.len() - 1].clone();
    late.started = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap().and_hms_opt(9, 0, 0).unwrap();
    s.record(&late).unwrap();
    let mut first = None;
    s.for_each(&Filter::default(), |v| {
        first.get_or_insert(v.started.date());
    })
    .unwrap();
    let cutoff = NaiveDate::from_ymd_opt(2026, 10, 15).unwrap();
    assert_eq!(first, visits.iter().map(|v| v.started.date()).filter(|d| *d >= cutoff).min());
}

#[test]
fn zero_retention_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let visits = month();
    let s = db_with(&dir.path().join("s.sqlite3"), &visits);
    assert_eq!(s.purge(NaiveDate::from_ymd_opt(2036, 1, 1).unwrap()).unwrap(), 0);
    assert_eq!(s.count().unwrap(), visits.len() as u64);
}

#[test]
fn day_summary_counts_the_days_visits_by_end() {
    let dir = tempfile::tempdir().unwrap();
    let visits = month();
    let s = db_with(&dir.path().join("s.sqlite3"), &visits);
    let day = NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
    let sum = s.day_summary(day).unwrap();
    let of_day: Vec<_> = visits.iter().filter(|v| v.started.date() == day).collect();
    assert!(!of_day.is_empty());
    assert_eq!(sum.visits, of_day.len() as u64);
    for e in End::ALL {
        assert_eq!(sum.by_end[e.index()], of_day.iter().filter(|v| v.end == *e).count() as u64, "{e:?}");
    }
    assert!(sum.line_ja().starts_with(&format!("本日の利用 {}件", of_day.len())), "{}", sum.line_ja());
}

#[test]
fn a_missing_database_is_named_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.sqlite3");
    let e = StatsStore::open_read(&path).unwrap_err().to_string();
    assert!(e.contains("does not exist") && e.contains("統計データベース"), "{e}");
    assert!(!path.exists());
}
