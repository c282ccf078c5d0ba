//! Real kiosk sessions produce the visit rows: the session over the real forms layer and
//! virtual card (the rig of the kiosk tests), its statistics going to a real SQLite file
//! through the wiring's `StatsLog`. Then the file is searched, byte by byte, for every value
//! any persona card holds and every answer given: none may be there.

use std::path::{Path, PathBuf};

use madoguchi::config::StatsConfig;
use madoguchi::session::{Event, OutputAction};
use madoguchi::stats::{Filter, StatsStore};
use madoguchi::vocab::AnswerValue;
use madoguchi::vocab::visit::{End, ErrorKind, PinOutcome, Step, Visit};
use madoguchi::wiring::StatsLog;

use crate::support::kiosk_support::{Rig, real};

fn rig_with_stats(db: &Path) -> Rig {
    let mut r = Rig::accepting();
    let cfg = StatsConfig { db_path: db.to_path_buf(), ..StatsConfig::default() };
    r.s.set_visit_log("K07", Box::new(StatsLog::open(&cfg).unwrap()));
    r
}

fn deliver_and_finish(r: &mut Rig) {
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.stage_name(), "done", "{:?}", r.s.message());
    r.ev(Event::Finish);
    r.hand.remove();
    r.wait(1);
}

fn rows(db: &Path) -> Vec<Visit> {
    let s = StatsStore::open_read(db).unwrap();
    let mut out = Vec::new();
    s.for_each(&Filter::default(), |v| out.push(v)).unwrap();
    out
}

/// Six visits that end every way a visit can end.
fn six_visits(db: &Path) -> Vec<String> {
    let mut r = rig_with_stats(db);
    let mut receipts = Vec::new();
    // 1. 住民票, printed, PIN right at once.
    r.walk_to_confirm();
    deliver_and_finish(&mut r);
    // 2. A wrong PIN first, then right; printed.
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.hand.insert(madoguchi::card::sim::persona::builtin_by_id("long-address").unwrap());
    r.wait(1);
    r.pin("9999");
    r.pin("5678");
    assert_eq!(r.stage_name(), "review", "{:?}", r.s.message());
    r.answer_all(&["juminhyo"]);
    r.sign_and_confirm();
    if let madoguchi::session::stage::Stage::Confirm(c) = r.s.stage() {
        receipts.extend(c.visit.receipt_id.clone());
    }
    deliver_and_finish(&mut r);
    // 3. Answers given, then the resident walks away: idle timeout on the review.
    r.walk_to_review("juminhyo", "foreign-resident");
    r.answer_all(&["juminhyo"]);
    r.wait(61);
    assert_eq!(r.stage_name(), "start");
    r.hand.remove();
    r.wait(1);
    // 4. The card taken off on the review and never brought back.
    r.walk_to_review("juminhyo", "typical");
    r.hand.remove();
    r.wait(1);
    assert_eq!(r.stage_name(), "card");
    r.wait(61);
    assert_eq!(r.stage_name(), "start");
    // 5. One try left: a clerk allows it; then cancelled on the review.
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.hand.insert(madoguchi::card::sim::persona::builtin_by_id("last-try").unwrap());
    r.wait(1);
    r.unlock_clerk();
    r.ev(Event::ClerkAllowLastTry);
    r.pin("4321");
    assert_eq!(r.stage_name(), "review", "{:?}", r.s.message());
    r.ev(Event::Cancel);
    r.hand.remove();
    r.wait(1);
    // 6. In English, given up on the card screen.
    r.ev(Event::SetLanguage("en".into()));
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.ev(Event::Cancel);
    assert_eq!(r.s.sessions_started(), 6);
    receipts
}

#[test]
fn every_kind_of_visit_end_is_recorded_with_its_steps_pin_outcome_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stats.sqlite3");
    six_visits(&db);
    let v = rows(&db);
    assert_eq!(v.len(), 6, "one row per visit: {v:#?}");
    for x in &v {
        assert_eq!(x.kiosk.as_str(), "K07");
        assert_eq!(x.started.format("%Y-%m-%d").to_string(), "2026-11-22", "the hand clock's day");
        assert_eq!(x.started.and_utc().timestamp() % 60, 0, "to the minute");
        assert_eq!(x.procedures.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["juminhyo"]);
        assert!(x.taps >= 2, "{x:?}");
    }
    // 1: printed, at once.
    assert_eq!(
        (v[0].end, v[0].pin, v[0].last_step, v[0].furthest),
        (End::Printed, PinOutcome::FirstTry, Step::Done, Step::Done)
    );
    assert!(v[0].card_read_ms.is_some() && v[0].delivery_ms.is_some());
    assert!(v[0].step_ms[Step::Review.index()] >= 1000, "the rig spends a second per event: {:?}", v[0].step_ms);
    assert_eq!(v[0].errors, [0; ErrorKind::COUNT]);
    assert!(!v[0].assisted && v[0].language.as_str() == "ja" && !v[0].preinput);
    // 2: after a wrong PIN.
    assert_eq!((v[1].end, v[1].pin), (End::Printed, PinOutcome::AfterWrong));
    assert_eq!(v[1].errors[ErrorKind::WrongPin.index()], 1);
    // 3: idle timeout on the review.
    assert_eq!((v[2].end, v[2].last_step, v[2].delivery_ms), (End::IdleTimeout, Step::Review, None));
    assert!(v[2].step_ms[Step::Review.index()] >= 60_000, "{:?}", v[2].step_ms);
    // 4: card pulled.
    assert_eq!((v[3].end, v[3].last_step, v[3].furthest), (End::CardPulled, Step::Card, Step::Review));
    assert_eq!(v[3].errors[ErrorKind::CardRemoved.index()], 1);
    // 5: the clerk's override, a clerk-assisted visit, cancelled.
    assert_eq!((v[4].end, v[4].pin, v[4].last_step), (End::Cancelled, PinOutcome::ClerkOverride, Step::Review));
    assert!(v[4].assisted);
    // 6: English, given up waiting for the card.
    assert_eq!(
        (v[5].end, v[5].pin, v[5].last_step, v[5].language.as_str()),
        (End::Cancelled, PinOutcome::NotRead, Step::Card, "en")
    );
    assert_eq!(v[5].card_read_ms, None);
}

/// Every value of every persona card, in the spellings a form or a log might use.
fn persona_values() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/personas");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let t: toml::Table = toml::from_str(&text).unwrap();
        for key in [
            "name",
            "address",
            "birth_date",
            "birth_date_on_card",
            "sex",
            "my_number",
            "pin",
            "security_code",
            "sign_password",
        ] {
            if let Some(s) = t.get(key).and_then(|v| v.as_str()) {
                out.push(s.to_string());
                if key.starts_with("birth_date") {
                    out.push(s.replace('-', ""));
                    out.push(s.replace('-', "/"));
                }
                if key == "name" {
                    out.push(s.replace([' ', '　'], ""));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    assert!(out.len() > 60, "persona values found: {}", out.len());
    out
}

/// Whether `needle` is in `hay`. An all-digit value (a PIN such as 0000, a 個人番号) must
/// stand on its own, not inside a longer number: the rows are full of durations such as
/// 61000 ms, which hold "0000" without holding anyone's PIN.
fn contains(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    let digits = n.iter().all(u8::is_ascii_digit);
    !n.is_empty()
        && hay.windows(n.len()).enumerate().any(|(i, w)| {
            w == n
                && (!digits
                    || (!hay.get(i.wrapping_sub(1)).is_some_and(u8::is_ascii_digit)
                        && !hay.get(i + n.len()).is_some_and(u8::is_ascii_digit)))
        })
}

#[test]
fn the_store_holds_no_persona_value_no_answer_and_no_receipt_after_full_flows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stats.sqlite3");
    let receipts = six_visits(&db);
    assert!(!receipts.is_empty(), "a receipt id to look for");
    // The store's files as they are on disk (the database, and its WAL if one is left).
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("stats.sqlite3") {
            bytes.extend(std::fs::read(&p).unwrap());
        }
    }
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    // The export and the report of the same file are searched too.
    let csv = dir.path().join("all.csv");
    let html = dir.path().join("r.html");
    super::madoguchi(&["stats", "export", "--db", super::p(&db), "-o", super::p(&csv)]);
    super::madoguchi(&["stats", "report", "--db", super::p(&db), "-o", super::p(&html)]);
    let csv_bytes = std::fs::read(&csv).unwrap();
    let html_bytes = std::fs::read(&html).unwrap();
    assert!(contains(&csv_bytes, "juminhyo") && contains(&bytes, "juminhyo"), "the search does find what is there");
    assert!(contains(b"a,1234,b", "1234") && !contains(b"a,61234,b", "1234"), "digits match as a whole value");
    let mut needles = persona_values();
    for (_, a) in real::demo_answers(&["juminhyo"]).iter() {
        if let AnswerValue::Text(t) = a {
            needles.push(t.expose().to_string());
        }
    }
    needles.extend(receipts);
    for n in &needles {
        for (what, hay) in [("database", &bytes), ("CSV", &csv_bytes), ("report", &html_bytes)] {
            assert!(!contains(hay, n), "the {what} contains a personal value ({} bytes long)", n.len());
        }
    }
}

/// The clerk panel's 「本日の利用」 line comes from the statistics database: a window over a
/// session whose visits go to a real file.
#[test]
fn the_unlocked_clerk_panel_shows_todays_visits_from_the_store() {
    use madoguchi::ui::{ClerkPage, KioskUi};
    use slint::ComponentHandle;
    use std::sync::Arc;

    use crate::support::kiosk_support::{AcceptingOutput, HandClock, STAFF_PIN, ports_with_staff_pin, staff_pin_hash};

    crate::support::ui_support::init_with_renderer();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stats.sqlite3");
    let clock = HandClock::new();
    let (ports, _hand) = ports_with_staff_pin(
        Arc::new(AcceptingOutput::printing()),
        &dir.path().join("work"),
        &clock,
        staff_pin_hash(),
        None,
    );
    let cfg = madoguchi::config::Config { demo: true, ..Default::default() };
    let mut session = madoguchi::session::Session::new(madoguchi::wiring::settings(&cfg), ports);
    let stats = StatsConfig { db_path: db.clone(), ..StatsConfig::default() };
    session.set_visit_log("K01", Box::new(StatsLog::open(&stats).unwrap()));
    let ui = KioskUi::new(&cfg, session, None).unwrap();
    ui.window.show().unwrap();
    // Two visits given up on the procedure screen.
    for _ in 0..2 {
        clock.advance(1);
        ui.send(Event::Begin);
        clock.advance(1);
        ui.send(Event::Cancel);
    }
    let cp = ui.window.global::<ClerkPage>();
    cp.invoke_show();
    for b in STAFF_PIN.bytes() {
        cp.invoke_digit(i32::from(b - b'0'));
    }
    cp.invoke_submit();
    assert!(cp.get_unlocked(), "{}", cp.get_message());
    cp.invoke_show();
    ui.refresh();
    assert_eq!(cp.get_visits_today().as_str(), "2件(中止 2)");
}
