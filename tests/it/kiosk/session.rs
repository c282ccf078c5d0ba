//! The session state machine without a display, over the real forms layer: flow, the one
//! validator, PIN rules, staff-PIN rules, idle timeout, card removal, the wipe. Time is moved
//! by hand; nothing sleeps. The card is the in-process virtual card.

use std::sync::Arc;

use chrono::NaiveDate;
use madoguchi::card::sim::persona;
use madoguchi::session::stage::Stage;
use madoguchi::session::{CardProblem, EndReason, Event, OutputAction, PinState, ProcedureMode, SessionSettings};
use madoguchi::vocab::AnswerValue;
use madoguchi::vocab::person::SecretString;

use crate::support::kiosk_support::{AcceptingOutput, Rig, review_problems};

fn text(s: &str) -> AnswerValue {
    AnswerValue::Text(SecretString::new(s))
}

fn work_dirs(r: &Rig) -> usize {
    std::fs::read_dir(&r.work).map(|d| d.count()).unwrap_or(0)
}

fn pin_state(r: &Rig) -> PinState {
    match r.s.stage() {
        Stage::Pin(p) => p.state,
        other => panic!("not on the PIN screen: {other:?}"),
    }
}

#[test]
fn juminhyo_flow_reads_only_basic_four_and_validates_answers() {
    let mut r = Rig::accepting();
    r.walk_to_review("juminhyo", "typical");
    let Stage::Review(rv) = r.s.stage() else { unreachable!() };
    assert_eq!(rv.visit.card.attributes.name.expose(), "山田 太郎");
    assert!(rv.visit.card.my_number.is_none(), "住民票の写し must not read the 個人番号");
    let ids: Vec<&str> = rv.questions.iter().map(|q| q.id.as_str()).collect();
    assert!(ids.starts_with(&["requester", "applicant_kana", "phone"]), "{ids:?}");
    assert!(!ids.contains(&"proxy_name"), "conditional questions wait for their condition");
    assert_eq!(rv.visit.answers.get("juminhyo_copies"), Some(&AnswerValue::Count(1)), "counter starts at its minimum");
    // 次へ with required answers missing: stay, and say which ones in plain words.
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "review");
    let problems = review_problems(&r.s);
    assert!(problems.iter().any(|(id, m)| id == "requester" && m.contains("「請求者の区分」を選んで")), "{problems:?}");
    // The same problem on an English screen: English words around the label.
    let Stage::Review(rv) = r.s.stage() else { unreachable!() };
    let en = rv.problems.iter().find(|p| p.question == "requester").unwrap().message.render("en");
    assert!(en.starts_with("Please choose"), "{en}");
    r.answer_all(&["juminhyo"]);
    household(&mut r);
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "signature", "{:?}", review_problems(&r.s));
    // An empty pad is not a signature.
    r.ev(Event::SignatureDone);
    assert_eq!(r.stage_name(), "signature");
    assert!(r.s.message().unwrap().ja().contains("指"));
    r.sign();
    r.ev(Event::SignatureDone);
    assert_eq!(r.stage_name(), "confirm");
    let rendered = r.s.stage().rendered().expect("forms rendered");
    assert_eq!(rendered.forms.len(), 1);
    let dir = rendered.work_dir.path().to_path_buf();
    assert!(dir.starts_with(&r.work));
    assert!(dir.join("01-juminhyo.pdf").is_file());
    r.ev(Event::Deliver(OutputAction::Print));
    assert_eq!(r.stage_name(), "output", "progress screen while the output runs");
    assert_eq!(r.s.delivering(), Some(OutputAction::Print));
    r.settle();
    let Stage::Done(d) = r.s.stage() else { panic!("{:?}", r.s.message()) };
    assert_eq!(d.receipt.number, "0001");
    assert_eq!(d.receipt.id, "T01-20261122-0001");
    // The done screen returns to start by itself and wipes everything.
    r.wait(19);
    assert_eq!(r.stage_name(), "done");
    r.hand.remove(); // the resident takes the card
    r.wait(1);
    assert_eq!(r.stage_name(), "start");
    assert_eq!(r.s.last_end(), Some(EndReason::Done));
    assert!(r.s.stage().card().is_none() && r.s.stage().answers().is_none());
    assert!(!dir.exists(), "generated files must be deleted");
}

#[test]
fn idle_timeout_warns_then_wipes_everything() {
    let mut r = Rig::accepting();
    r.walk_to_confirm();
    let dir = r.s.stage().rendered().unwrap().work_dir.path().to_path_buf();
    assert!(dir.is_dir());
    assert!(r.s.idle_warning().is_none());
    r.wait(44);
    assert_eq!(r.s.idle_warning(), None);
    r.wait(1);
    assert_eq!(r.s.idle_warning(), Some(15), "warning at 45 s");
    // A touch restarts the idle clock.
    r.ev(Event::Activity);
    assert_eq!(r.s.idle_warning(), None);
    r.wait(59);
    assert_eq!(r.stage_name(), "confirm");
    r.wait(1);
    assert_eq!(r.stage_name(), "start");
    assert_eq!(r.s.last_end(), Some(EndReason::TimedOut));
    assert!(r.s.message().unwrap().ja().contains("時間が過ぎた"));
    assert!(r.s.stage().card().is_none(), "card data must be gone");
    assert!(r.s.stage().answers().is_none(), "answers must be gone");
    assert!(r.s.stage().plan().is_none());
    assert!(r.s.stage().rendered().is_none());
    assert!(!dir.exists(), "generated files must be deleted");
    assert_eq!(work_dirs(&r), 0);
}

#[test]
fn timeout_is_configurable() {
    let settings = SessionSettings {
        idle_timeout: std::time::Duration::from_secs(20),
        idle_warning: std::time::Duration::from_secs(10),
        ..crate::support::kiosk_support::settings()
    };
    let mut r = Rig::with(settings, Arc::new(AcceptingOutput::printing()));
    r.s.handle(Event::Begin);
    r.clock.advance(10);
    assert_eq!(r.s.idle_warning(), Some(10));
    r.wait(10);
    assert_eq!(r.stage_name(), "start");
}

#[test]
fn card_removal_mid_flow_returns_to_card_step_with_message() {
    let mut r = Rig::accepting();
    r.walk_to_review("juminhyo", "typical");
    r.answer_all(&["juminhyo"]);
    r.ev(Event::ReviewDone);
    r.sign();
    let card = r.hand.remove().unwrap();
    r.wait(1);
    assert_eq!(r.stage_name(), "card");
    assert!(r.s.message().unwrap().ja().contains("カードが取り外されました"));
    assert!(r.s.stage().card().is_none(), "data read from the removed card is dropped");
    assert!(r.s.stage().answers().is_none());
    assert_eq!(r.s.stage().plan().unwrap().procedures, ["juminhyo"], "the chosen procedure stays");
    // Putting it back asks for the PIN again.
    r.hand.insert_card(card);
    r.wait(1);
    assert_eq!(r.stage_name(), "pin");
    r.pin("1234");
    assert_eq!(r.stage_name(), "review");
}

#[test]
fn pin_rules_tries_shown_call_clerk_and_clerk_override() {
    let mut r = Rig::accepting();
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.hand.insert(persona::builtin_by_id("typical").unwrap());
    r.wait(1);
    assert_eq!(pin_state(&r), PinState::Ready { tries_left: 3 });
    r.pin("0000");
    assert_eq!(pin_state(&r), PinState::Wrong { tries_left: 2 });
    assert!(pin_state(&r).message_ja().contains("あと2回"));
    r.pin("0001");
    assert_eq!(pin_state(&r), PinState::CallClerk, "one try left → call a clerk");
    // The keypad is dead now: no try is spent by accident.
    r.pin("1234");
    assert_eq!(r.stage_name(), "pin");
    // Only an unlocked clerk can allow the last try.
    r.ev(Event::ClerkAllowLastTry);
    assert_eq!(pin_state(&r), PinState::CallClerk);
    r.unlock_clerk();
    r.ev(Event::ClerkAllowLastTry);
    assert_eq!(pin_state(&r), PinState::LastTryAllowed);
    r.pin("1234");
    assert_eq!(r.stage_name(), "review");
    // Self-service: the clerk is locked again when the next resident begins.
    r.ev(Event::Cancel);
    r.hand.remove();
    r.ev(Event::Begin);
    assert!(!r.s.clerk_unlocked(), "clerk powers must not carry into the next resident's session");
}

#[test]
fn last_try_and_locked_cards_are_explained() {
    let mut r = Rig::accepting();
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.hand.insert(persona::builtin_by_id("last-try").unwrap());
    r.wait(1);
    assert_eq!(pin_state(&r), PinState::CallClerk);
    assert!(pin_state(&r).message_ja().contains("職員"));
    r.hand.remove();
    r.wait(1);
    assert_eq!(r.stage_name(), "card");
    for id in ["locked", "locked-63c0"] {
        r.hand.insert(persona::builtin_by_id(id).unwrap());
        r.wait(1);
        assert_eq!(r.stage_name(), "pin");
        assert_eq!(pin_state(&r), PinState::Locked, "{id}");
        assert!(pin_state(&r).message_ja().contains("窓口"), "locked → where to go");
        r.hand.remove();
        r.wait(1);
    }
}

#[test]
fn guide_flow_picks_several_procedures_and_reads_my_number_only_then() {
    let mut r = Rig::accepting();
    r.ev(Event::Begin);
    r.ev(Event::ShowGuide);
    assert!(matches!(r.s.stage(), Stage::Choosing(c) if c.mode == ProcedureMode::Guide));
    r.ev(Event::GuideDone);
    assert_eq!(r.stage_name(), "procedure", "unanswered guide questions keep the resident here");
    assert!(r.s.message().is_some());
    r.ev(Event::Choose { question: madoguchi::forms::GUIDE_EVENT.into(), index: 0 });
    r.ev(Event::Answer("children_under_15".into(), AnswerValue::YesNo(true)));
    r.ev(Event::GuideDone);
    assert_eq!(r.s.stage().plan().unwrap().procedures, ["tennyu", "jidou-teate"]);
    r.card_and_pin("typical");
    assert!(r.s.stage().card().unwrap().my_number.is_some(), "児童手当 needs the 個人番号");
    r.ev(Event::Answer("applicant_kana".into(), text("yamada")));
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "review");
    assert!(
        review_problems(&r.s).iter().any(|(id, m)| id == "applicant_kana" && m.contains("カタカナ")),
        "{:?}",
        review_problems(&r.s)
    );
}

#[test]
fn back_navigation() {
    let mut r = Rig::accepting();
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "procedure");
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "start");
    assert_eq!(r.s.last_end(), Some(EndReason::Cancelled));
    r.walk_to_review("juminhyo", "typical");
    r.answer_all(&["juminhyo"]);
    household(&mut r);
    let answered = r.s.stage().answers().unwrap().len();
    r.ev(Event::ReviewDone);
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "review");
    assert_eq!(r.s.stage().answers().unwrap().len(), answered, "answers survive going back to the review");
    r.ev(Event::ReviewDone);
    r.sign();
    r.ev(Event::SignatureDone);
    let dir = r.s.stage().rendered().unwrap().work_dir.path().to_path_buf();
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "signature");
    assert!(!dir.exists(), "leaving the confirm step deletes its files");
    r.ev(Event::SignatureClear);
    let Stage::Signing(sg) = r.s.stage() else { unreachable!() };
    assert!(sg.pad.is_empty());
    r.ev(Event::SignatureRedo);
    let Stage::Signing(sg) = r.s.stage() else { unreachable!() };
    assert!(!sg.pad.is_empty(), "a cleared stroke can be brought back");
    r.ev(Event::Back);
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "procedure");
    assert!(r.s.stage().card().is_none(), "choosing again forgets this read");
}

/// 住民票 requested for someone of the same household: a case the form asks a signature for.
fn household(r: &mut Rig) {
    r.ev(Event::Answer("requester".into(), AnswerValue::Choice("household".into())));
}

#[test]
fn the_card_holders_own_juminhyo_skips_the_signature_pad_and_says_the_card_identified_them() {
    let mut r = Rig::accepting();
    r.walk_to_review("juminhyo", "typical");
    r.answer_all(&["juminhyo"]);
    assert_eq!(r.s.stage().answers().unwrap().get("requester"), Some(&AnswerValue::Choice("self".into())));
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "confirm", "no pad for the holder's own request: {:?}", review_problems(&r.s));
    let Stage::Confirm(c) = r.s.stage() else { unreachable!() };
    assert!(c.signature_png.is_empty() && c.pad.is_empty());
    let pdf = c.rendered.as_ref().expect("forms rendered").forms[0].pdf_path.clone();
    let text = crate::support::kiosk_support::real::pdftotext(&pdf);
    assert!(text.contains("マイナンバーカード（暗証番号）で本人確認済み"), "{text}");
    let images = std::process::Command::new("pdfimages").arg("-list").arg(&pdf).output().unwrap();
    let list = String::from_utf8_lossy(&images.stdout);
    assert!(!list.lines().any(|l| l.contains(" 900 ") && l.contains(" 300 ")), "no signature image: {list}");
    // もどる goes back to the review it came from, not to an empty pad.
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "review");
    // Someone else requesting it signs, and the note is not printed then.
    household(&mut r);
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "signature");
    r.sign();
    r.ev(Event::SignatureDone);
    let Stage::Confirm(c) = r.s.stage() else { unreachable!() };
    let text = crate::support::kiosk_support::real::pdftotext(&c.rendered.as_ref().unwrap().forms[0].pdf_path);
    assert!(!text.contains("本人確認済み"), "{text}");
}

#[test]
fn cancel_at_output_wipes_everything() {
    let mut r = Rig::accepting();
    r.walk_to_confirm();
    let dir = r.s.stage().rendered().unwrap().work_dir.path().to_path_buf();
    r.ev(Event::Cancel);
    assert_eq!(r.stage_name(), "start");
    assert_eq!(r.s.last_end(), Some(EndReason::Cancelled));
    assert!(r.s.stage().card().is_none());
    assert!(!dir.exists());
}

#[test]
fn signature_png_reaches_the_forms() {
    let mut r = Rig::accepting();
    r.walk_to_confirm();
    let Stage::Confirm(c) = r.s.stage() else { unreachable!() };
    let dec = png::Decoder::new(std::io::Cursor::new(c.signature_png.to_vec()));
    let info = dec.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (madoguchi::session::PAD_W, madoguchi::session::PAD_H));
    // … and is on the paper: the PDF carries an image of the pad's size.
    let pdf = &c.rendered.as_ref().unwrap().forms[0].pdf_path;
    let out = std::process::Command::new("pdfimages").arg("-list").arg(pdf).output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.lines().any(|l| l.contains(" 900 ") && l.contains(" 300 ")), "{list}");
}

// ---- the one validator: the screen and the paper agree ----

#[test]
fn a_middle_dot_and_hiragana_in_a_reading_pass_the_review_and_the_paper() {
    for reading in ["ジョン・スミス", "やまだ たろう"] {
        let mut r = Rig::accepting();
        r.walk_to_review("juminhyo", "typical");
        r.answer_all(&["juminhyo"]);
        r.ev(Event::Answer("applicant_kana".into(), text(reading)));
        assert!(review_problems(&r.s).is_empty(), "{reading}: {:?}", review_problems(&r.s));
        r.sign_and_confirm();
        let Stage::Confirm(c) = r.s.stage() else { unreachable!() };
        assert!(c.rendered.is_some(), "{reading}: the paper refused what the screen took: {:?}", c.message);
    }
}

#[test]
fn a_date_the_paper_cannot_write_is_refused_on_the_review_screen() {
    let mut r = Rig::accepting();
    r.walk_to_review("tennyu", "typical");
    r.answer_all(&["tennyu"]);
    r.ev(Event::Answer("move_date".into(), AnswerValue::Date(NaiveDate::from_ymd_opt(1868, 5, 1).unwrap())));
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "review");
    assert!(review_problems(&r.s).iter().any(|(id, m)| id == "move_date" && m.contains("古すぎ")));
}

#[test]
fn a_glyph_the_font_lacks_is_found_before_signing_and_a_clerk_can_correct_it() {
    let mut r = Rig::accepting();
    r.walk_to_review("juminhyo", "rare-kanji");
    r.answer_all(&["juminhyo"]);
    r.ev(Event::ReviewDone);
    assert_eq!(r.stage_name(), "review", "the 外字 is found before the resident signs");
    let problems = review_problems(&r.s);
    assert!(problems.iter().any(|(_, m)| m.contains("外字") && m.contains("U+20BB7")), "{problems:?}");
    // The clerk types a substitute for the name; only the name counts as corrected.
    r.unlock_clerk();
    let card = r.s.stage().card().unwrap().clone();
    let name = SecretString::new(card.attributes.name.expose().replace('\u{20BB7}', "吉"));
    r.ev(Event::ClerkCorrect { name, address: card.attributes.address.clone() });
    let c = r.s.stage().card().unwrap();
    assert!(c.corrections.name.is_some() && c.corrections.address.is_none(), "{c:?}");
    assert!(review_problems(&r.s).is_empty(), "{:?}", review_problems(&r.s));
    r.sign_and_confirm();
}

// ---- nothing goes back past a started delivery ----

#[test]
fn once_a_delivery_started_answers_can_no_longer_change() {
    let mut r = Rig::accepting();
    r.walk_to_confirm();
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(r.stage_name(), "done");
    assert!(!r.s.can_go_back());
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "done", "no way back into the answers of a delivered visit");
}

// ---- a card left on the reader ----

#[test]
fn a_card_left_on_the_reader_never_walks_into_the_next_residents_pin_screen() {
    let mut r = Rig::accepting();
    r.walk_to_confirm();
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    r.ev(Event::Finish);
    assert_eq!(r.stage_name(), "start");
    assert!(r.s.message().unwrap().ja().contains("カードをお取りください"));
    // The next resident starts while the card is still there: it is not read.
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure("juminhyo".into()));
    r.wait(1);
    assert_eq!(r.stage_name(), "card");
    assert!(r.s.message().unwrap().ja().contains("カードをいったんお取りください"));
    // Taken away and placed again (the new resident's card): the PIN screen.
    let card = r.hand.remove().unwrap();
    r.wait(1);
    r.hand.insert_card(card);
    r.wait(1);
    assert_eq!(r.stage_name(), "pin");
}

// ---- staff PIN ----

fn staff_pin(r: &mut Rig, pin: &str) {
    r.ev(Event::ClerkPanel(true));
    for b in pin.bytes() {
        r.ev(Event::ClerkDigit(b - b'0'));
    }
    r.ev(Event::ClerkSubmit);
}

#[test]
fn wrong_staff_pins_wait_longer_each_time_then_lock_out_across_a_restart() {
    // A rig whose staff-PIN record is a file, as on a counter PC.
    let make = |record: &std::path::Path| {
        let dir = tempfile::tempdir().unwrap();
        let clock = crate::support::kiosk_support::HandClock::new();
        let (ports, hand) = crate::support::kiosk_support::ports(
            Arc::new(AcceptingOutput::printing()),
            &dir.path().join("work"),
            &clock,
            Some(record.to_path_buf()),
        );
        let s = madoguchi::session::Session::new(crate::support::kiosk_support::settings(), ports);
        Rig { s, hand, clock, work: dir.path().join("work"), _dir: dir }
    };
    let tmp = tempfile::tempdir().unwrap();
    let record = tmp.path().join("staff-pin.state");
    let mut r = make(&record);
    // Too short: refused without spending a try.
    staff_pin(&mut r, "1234");
    assert!(r.s.clerk().message().unwrap().ja().contains("6桁以上"));
    assert_eq!(r.s.clerk().failures(), 0);
    staff_pin(&mut r, "000000");
    staff_pin(&mut r, "000001");
    assert_eq!(r.s.clerk().failures(), 2);
    staff_pin(&mut r, "000002");
    assert!(r.s.clerk().message().unwrap().ja().contains("30秒後"), "{:?}", r.s.clerk().message());
    // During the wait even the right PIN is not tried.
    staff_pin(&mut r, crate::support::kiosk_support::STAFF_PIN);
    assert!(!r.s.clerk_unlocked());
    assert!(r.s.clerk().message().unwrap().ja().contains("お待ちください"));
    for n in 4..=6 {
        r.clock.advance(3600);
        staff_pin(&mut r, &format!("00000{n}"));
    }
    assert_eq!(r.s.clerk().failures(), 6);
    assert!(r.s.clerk().message().unwrap().ja().contains("30分間ロック"));
    // A restart does not end the lockout: the record is read back from the file.
    r = make(&record);
    assert_eq!(r.s.clerk().failures(), 6);
    staff_pin(&mut r, crate::support::kiosk_support::STAFF_PIN);
    assert!(!r.s.clerk_unlocked(), "the lockout survives the restart");
}

#[test]
fn clerk_powers_end_after_a_quiet_while() {
    let mut r = Rig::accepting();
    r.unlock_clerk();
    r.wait(299);
    assert!(r.s.clerk_unlocked());
    r.wait(2);
    assert!(!r.s.clerk_unlocked(), "relocked after 5 minutes without clerk activity");
}

#[test]
fn a_residents_taps_do_not_keep_clerk_powers_alive_and_the_relock_time_is_configurable() {
    let relock = SessionSettings {
        clerk_relock: std::time::Duration::from_secs(60),
        ..crate::support::kiosk_support::settings()
    };
    let mut r = Rig::with(relock, Arc::new(AcceptingOutput::printing()));
    r.unlock_clerk();
    // The resident goes on alone: taps every 20 s (a language switch, which any screen takes).
    for _ in 0..2 {
        r.wait(20);
        r.s.handle(Event::SetLanguage("en".into()));
        assert!(r.s.clerk_unlocked());
    }
    r.wait(21);
    assert!(!r.s.clerk_unlocked(), "60 s after the clerk's last action, whatever the resident did");
    // A clerk action (opening the panel to unlock again) starts the minute anew.
    r.unlock_clerk();
    r.wait(50);
    r.s.handle(Event::ClerkPanel(true));
    r.wait(50);
    assert!(r.s.clerk_unlocked(), "the clerk's panel action 50 s ago keeps the powers");
}

/// A reader that is unplugged and plugged back in. A mock, because vpcd's readers exist as
/// long as pcscd runs and cannot be unplugged on demand; the real "no such reader" answer is
/// tested through pcscd in card/pcsc.rs.
struct Unpluggable {
    inner: madoguchi::wiring::SimReader,
    plugged: Arc<std::sync::atomic::AtomicBool>,
}

impl madoguchi::session::CardPort for Unpluggable {
    fn present(&mut self) -> Result<bool, CardProblem> {
        if !self.plugged.load(std::sync::atomic::Ordering::SeqCst) {
            // What the reader adapter makes of pcscd's "no reader".
            let no_reader = madoguchi::card::CardError::Transport(madoguchi::card::TransportError::NoReader);
            return Err(madoguchi::wiring::card::problem(&no_reader));
        }
        self.inner.present()
    }
    fn pin_tries(&mut self) -> Result<u8, CardProblem> {
        self.inner.pin_tries()
    }
    fn pin_b_tries(&mut self) -> Result<u8, CardProblem> {
        self.inner.pin_b_tries()
    }
    fn read(
        &mut self,
        cred: madoguchi::vocab::pin::Credential<'_>,
        query: madoguchi::session::CardQuery,
    ) -> Result<madoguchi::session::CardData, CardProblem> {
        self.inner.read(cred, query)
    }
    fn status(&mut self, today: NaiveDate) -> Result<madoguchi::session::CardReport, CardProblem> {
        self.inner.status(today)
    }
}

#[test]
fn a_missing_reader_is_explained_on_the_card_screen_until_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let clock = crate::support::kiosk_support::HandClock::new();
    let (mut ports, _) = crate::support::kiosk_support::ports(
        Arc::new(AcceptingOutput::printing()),
        &dir.path().join("work"),
        &clock,
        None,
    );
    let (reader, hand) = madoguchi::wiring::SimReader::new();
    let plugged = Arc::new(std::sync::atomic::AtomicBool::new(false));
    ports.card = Box::new(Unpluggable { inner: reader, plugged: plugged.clone() });
    let mut s = madoguchi::session::Session::new(crate::support::kiosk_support::settings(), ports);
    s.handle(Event::Begin);
    s.handle(Event::ChooseProcedure("juminhyo".into()));
    clock.advance(1);
    s.tick();
    let m = s.message().expect("the reader problem is shown").ja();
    assert!(m.contains("カードリーダー"), "{m}");
    assert!(matches!(s.stage(), Stage::Card(_)), "the session waits; nothing crashes");
    plugged.store(true, std::sync::atomic::Ordering::SeqCst);
    clock.advance(1);
    s.tick();
    assert_eq!(s.message(), None, "the message goes when the reader is back");
    hand.insert(persona::builtin_by_id("typical").unwrap());
    clock.advance(1);
    s.tick();
    assert!(matches!(s.stage(), Stage::Pin(_)));
}

/// The back office took the visit, then the printer failed. A mock port: the real stack's
/// printer failures are tested in kiosk/output.rs; here what matters is what the session lets
/// the resident and the clerk do afterwards, which needs a failure after a successful send on
/// demand.
struct SentThenPrinterFails {
    calls: std::sync::Mutex<Vec<Delivered>>,
}

/// What one delivery carried: receipt id, idempotency keys, the print job's bytes.
type Delivered = (String, Vec<(String, String)>, Vec<u8>);

impl madoguchi::session::OutputPort for SentThenPrinterFails {
    fn offers(&self) -> madoguchi::session::Offers {
        madoguchi::session::Offers { print: true, send: true }
    }
    fn new_receipt_id(&self, today: NaiveDate) -> Result<String, madoguchi::session::DeliveryError> {
        Ok(madoguchi::wiring::output::receipt_id("T01", today, 1))
    }
    fn new_idempotency_key(&self) -> String {
        madoguchi::output::payload::new_idempotency_key()
    }
    fn deliver(
        &self,
        visit: &madoguchi::session::ConfirmedVisit,
        _: OutputAction,
    ) -> Result<madoguchi::session::Receipt, madoguchi::session::DeliveryError> {
        let mut calls = self.calls.lock().unwrap();
        calls.push((visit.receipt_id.clone(), visit.keys.clone(), visit.rendered.print_pdf.to_vec()));
        if calls.len() == 1 {
            return Err(madoguchi::session::DeliveryError::Printer {
                detail: "paper out (scripted)".into(),
                message: madoguchi::i18n::Msg::new("用紙がありません。"),
            });
        }
        Ok(madoguchi::session::Receipt::for_id(&visit.receipt_id))
    }
    fn status(&self) -> madoguchi::session::OutputStatus {
        Default::default()
    }
    fn print_sheet(&self, _: &[u8], _: &str) -> Result<(), madoguchi::session::DeliveryError> {
        Ok(())
    }
}

#[test]
fn after_a_send_and_a_failed_print_nothing_can_change_what_was_sent() {
    let port = Arc::new(SentThenPrinterFails { calls: Default::default() });
    let mut r = Rig::new(port.clone());
    r.walk_to_confirm();
    r.ev(Event::Deliver(OutputAction::PrintAndSend));
    r.settle();
    assert_eq!(r.stage_name(), "output", "the print failed after the send");
    // The screen's title comes from the session: the print failed (not "送信できませんでした").
    assert_eq!(r.s.output_failed(), Some(madoguchi::session::stage::FailedPart::Print));
    assert!(!r.s.can_go_back());
    // もどる and a clerk's correction are both refused: the back office has this visit.
    r.ev(Event::Back);
    assert_eq!(r.stage_name(), "output", "no way back into the answers of a sent visit");
    r.unlock_clerk();
    r.ev(Event::ClerkCorrect { name: SecretString::new("職員 修正"), address: SecretString::new("") });
    // The retry delivers the very same visit: same receipt, same idempotency keys, same forms.
    r.ev(Event::Deliver(OutputAction::PrintAndSend));
    r.settle();
    assert_eq!(r.stage_name(), "done");
    let calls = port.calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], calls[1], "the retry must carry what was sent, unchanged");
}

/// The real staff-PIN adapter, each journal event also kept for the test (the journal line
/// itself goes to stderr, which an in-process test cannot read).
struct Journaled {
    inner: madoguchi::wiring::StaffPin,
    events: std::rc::Rc<std::cell::RefCell<Vec<madoguchi::session::ClerkEvent>>>,
}

impl madoguchi::session::ClerkPort for Journaled {
    fn configured(&self) -> bool {
        self.inner.configured()
    }
    fn verify(&self, pin: &str) -> bool {
        self.inner.verify(pin)
    }
    fn load(&self) -> madoguchi::session::StaffPinRecord {
        self.inner.load()
    }
    fn save(&self, record: &madoguchi::session::StaffPinRecord) {
        self.inner.save(record)
    }
    fn journal(&self, event: madoguchi::session::ClerkEvent) {
        self.events.borrow_mut().push(event);
        self.inner.journal(event)
    }
}

#[test]
fn every_clerk_action_is_journaled_without_personal_data_or_the_pin() {
    use madoguchi::session::ClerkEvent as E;
    let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut r = Rig::with_ports(Arc::new(AcceptingOutput::printing()), |ports, _| {
        let staff = madoguchi::wiring::StaffPin::new(crate::support::kiosk_support::staff_pin_hash(), None);
        ports.clerk = Box::new(Journaled { inner: staff, events: events.clone() });
    });
    staff_pin(&mut r, "999999");
    r.unlock_clerk();
    r.walk_to_review("juminhyo", "typical");
    // Began a visit: the powers of the clerk before it ended.
    r.unlock_clerk();
    let can = r.s.clerk_actions();
    assert!(can.correct && !can.reprint && !can.allow_last_try && !can.use_pin_b, "{can:?}");
    let card = r.s.stage().card().unwrap().clone();
    let corrected = SecretString::new(format!("{}子", card.attributes.name.expose()));
    r.ev(Event::ClerkCorrect { name: corrected, address: card.attributes.address.clone() });
    r.answer_all(&["juminhyo"]);
    r.sign_and_confirm();
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert!(r.s.clerk_actions().reprint && !r.s.clerk_actions().correct);
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    r.ev(Event::ClerkLock);
    let got = events.borrow().clone();
    assert_eq!(
        got,
        vec![
            E::WrongPin { failures: 1 },
            E::Unlocked,
            E::Relocked,
            E::Unlocked,
            E::Corrected { name: true, address: false },
            E::Reprint,
            E::Locked
        ]
    );
    // The lines say what happened, never who or the PIN.
    let name = card.attributes.name.expose().to_string();
    for e in got {
        let line = madoguchi::wiring::clerk::journal_line(e);
        for secret in [crate::support::kiosk_support::STAFF_PIN, "999999", name.as_str()] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}

// ---- the editing rules, without a window ----

fn text_answer(r: &Rig, id: &str) -> Option<String> {
    match r.s.stage().answers()?.get(id) {
        Some(AnswerValue::Text(t)) => Some(t.expose().to_string()),
        _ => None,
    }
}

fn answer(r: &Rig, id: &str) -> Option<AnswerValue> {
    r.s.stage().answers()?.get(id).cloned()
}

#[test]
fn text_editing_keys_backspace_and_same_as_address_are_session_rules() {
    let mut r = Rig::accepting();
    r.walk_to_review("tennyu", "typical");
    // Keys before a field is open, or for a field that is not text, change nothing.
    let members = answer(&r, "members");
    r.ev(Event::EditKey("ア".into()));
    r.ev(Event::EditStart("members".into()));
    r.ev(Event::EditKey("ア".into()));
    assert_eq!(answer(&r, "members"), members);
    // 本籍 by 「住所と同じ」, one character off, a key on.
    r.ev(Event::EditStart("honseki".into()));
    r.ev(Event::EditSameAsAddress);
    let address = persona::builtin_by_id("typical").unwrap().address.expose().to_string();
    assert_eq!(text_answer(&r, "honseki").as_deref(), Some(address.as_str()));
    r.ev(Event::EditBackspace);
    r.ev(Event::EditKey("番地".into()));
    let mut want: String = address.chars().take(address.chars().count() - 1).collect();
    want.push_str("番地");
    assert_eq!(text_answer(&r, "honseki"), Some(want.clone()));
    // Closed: keys no longer reach it.
    r.ev(Event::EditDone);
    r.ev(Event::EditKey("号".into()));
    assert_eq!(text_answer(&r, "honseki"), Some(want));
    // Backspace on an empty field leaves it empty (no panic, no stray value).
    r.ev(Event::EditStart("kana".into()));
    r.ev(Event::EditBackspace);
    assert_eq!(text_answer(&r, "kana").as_deref(), Some(""));
}

#[test]
fn counts_step_within_their_bounds_and_dates_step_to_real_days() {
    use madoguchi::session::DatePart;
    let mut r = Rig::accepting();
    r.walk_to_review("tennyu", "typical");
    // 異動する人数: 1 to 6 (the review starts it at the minimum).
    r.ev(Event::CountStep("members".into(), 1));
    assert_eq!(answer(&r, "members"), Some(AnswerValue::Count(2)));
    r.ev(Event::CountStep("members".into(), -5));
    assert_eq!(answer(&r, "members"), Some(AnswerValue::Count(1)));
    r.ev(Event::CountStep("members".into(), 10));
    assert_eq!(answer(&r, "members"), Some(AnswerValue::Count(6)));
    // A count step on a date question changes nothing.
    let before = answer(&r, "move_date");
    r.ev(Event::CountStep("move_date".into(), 1));
    assert_eq!(answer(&r, "move_date"), before);
    let d = |y, m, day| AnswerValue::Date(NaiveDate::from_ymd_opt(y, m, day).unwrap());
    // With no answer a date starts from today (the rig's clock: 2026-11-22).
    r.ev(Event::ClearAnswer("move_date".into()));
    r.ev(Event::DateStep("move_date".into(), DatePart::Month, 3));
    assert_eq!(answer(&r, "move_date"), Some(d(2027, 2, 22)));
    // 31 January + 1 month is the last day of February, not 3 March and not 31 February.
    r.ev(Event::Answer("move_date".into(), d(2027, 1, 31)));
    r.ev(Event::DateStep("move_date".into(), DatePart::Month, 1));
    assert_eq!(answer(&r, "move_date"), Some(d(2027, 2, 28)));
    // 29 February − 1 year; 31 December + 1 day.
    r.ev(Event::Answer("move_date".into(), d(2024, 2, 29)));
    r.ev(Event::DateStep("move_date".into(), DatePart::Year, -1));
    assert_eq!(answer(&r, "move_date"), Some(d(2023, 2, 28)));
    r.ev(Event::Answer("move_date".into(), d(2026, 12, 31)));
    r.ev(Event::DateStep("move_date".into(), DatePart::Day, 1));
    assert_eq!(answer(&r, "move_date"), Some(d(2027, 1, 1)));
}

/// The real forms layer, counting how often the visit's forms are rendered (the only way to
/// see it from outside: the session keeps the rendering it confirmed).
struct CountingForms {
    inner: madoguchi::wiring::CatalogForms,
    renders: Arc<std::sync::atomic::AtomicUsize>,
}

impl madoguchi::session::FormPort for CountingForms {
    fn procedures(&self) -> Vec<madoguchi::session::ProcedureInfo> {
        self.inner.procedures()
    }
    fn guide_questions(&self, g: &madoguchi::vocab::Answers) -> Vec<madoguchi::vocab::Question> {
        self.inner.guide_questions(g)
    }
    fn guide_problems(&self, g: &madoguchi::vocab::Answers) -> Vec<madoguchi::session::ports::AnswerProblem> {
        self.inner.guide_problems(g)
    }
    fn guide_result(&self, g: &madoguchi::vocab::Answers) -> Vec<String> {
        self.inner.guide_result(g)
    }
    fn needs_my_number(&self, p: &[String]) -> bool {
        self.inner.needs_my_number(p)
    }
    fn questions(&self, p: &[String], a: &madoguchi::vocab::Answers) -> Vec<madoguchi::vocab::Question> {
        self.inner.questions(p, a)
    }
    fn needs_signature(&self, p: &[String], a: &madoguchi::vocab::Answers) -> bool {
        self.inner.needs_signature(p, a)
    }
    fn problems(
        &self,
        req: &madoguchi::session::ports::FillRequest<'_>,
    ) -> Vec<madoguchi::session::ports::AnswerProblem> {
        self.inner.problems(req)
    }
    fn render(
        &self,
        req: &madoguchi::session::ports::FillRequest<'_>,
        sig: Option<&[u8]>,
    ) -> Result<madoguchi::session::Rendered, madoguchi::session::FormError> {
        self.renders.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.render(req, sig)
    }
    fn facts(&self, p: &[String]) -> madoguchi::session::FormFacts {
        self.inner.facts(p)
    }
    fn check_answer(
        &self,
        p: &[String],
        id: &str,
        v: &AnswerValue,
    ) -> Result<Option<AnswerValue>, madoguchi::i18n::Msg> {
        self.inner.check_answer(p, id, v)
    }
    fn advice_procedures(&self, advice: &[&str]) -> Vec<String> {
        self.inner.advice_procedures(advice)
    }
    fn advice_sheet(
        &self,
        notes: &[String],
        procedures: &[String],
        created: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, madoguchi::session::FormError> {
        self.inner.advice_sheet(notes, procedures, created)
    }
}

#[test]
fn a_visits_forms_are_rendered_once_for_the_confirm_screen_print_send_and_reprint() {
    let mut output = AcceptingOutput::printing();
    output.offers.send = true;
    let renders = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut r = Rig::with_ports(Arc::new(output), |ports, work| {
        ports.forms = Box::new(CountingForms {
            inner: crate::support::kiosk_support::real::catalog_forms(work),
            renders: renders.clone(),
        });
    });
    r.walk_to_confirm();
    assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 1, "rendered for the confirm screen");
    r.ev(Event::Deliver(OutputAction::PrintAndSend));
    r.settle();
    assert_eq!(r.stage_name(), "done");
    r.unlock_clerk();
    r.ev(Event::Deliver(OutputAction::Print));
    r.settle();
    assert_eq!(renders.load(std::sync::atomic::Ordering::SeqCst), 1, "print, send and a reprint reuse that rendering");
}
