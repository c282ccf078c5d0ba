//! The session state machine without a display: flow, PIN rules, idle timeout, card removal,
//! wipe. Time is passed in explicitly; nothing sleeps. The card is the in-process virtual card.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use madoguchi::card::sim::persona;
use madoguchi::session::demo_forms::{DemoForms, JIDO_TEATE, JUMINHYO, TENNYU};
use madoguchi::session::services::{FormService, OutputAction, OutputService};
use madoguchi::session::{
    AnswerValue, EndReason, Event, NotWiredOutput, PinState, ProcedureMode, Session, SessionSettings, SimHandle,
    SimReader, Step,
};

use crate::support::kiosk_support;
use kiosk_support::{AcceptingOutput, SignatureWritingForms};

struct Rig {
    s: Session,
    hand: SimHandle,
    t: Instant,
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Rig {
    fn new(forms: Box<dyn FormService>, output: Box<dyn OutputService>) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        let settings = SessionSettings { work_root: root.clone(), ..SessionSettings::default() };
        let (reader, hand) = SimReader::new();
        let t = Instant::now();
        Rig { s: Session::new(settings, Box::new(reader), forms, output, t), hand, t, _dir: dir, root }
    }
    fn demo() -> Rig {
        Rig::new(Box::new(SignatureWritingForms), Box::new(AcceptingOutput))
    }
    fn ev(&mut self, e: Event) {
        self.t += Duration::from_secs(1);
        self.s.handle(e, self.t);
    }
    /// Let a print/send on the worker thread finish (no simulated time passes).
    fn settle(&mut self) {
        for _ in 0..2000 {
            if self.s.delivering().is_none() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
            self.s.tick(self.t);
        }
        panic!("the output thread did not finish");
    }
    fn wait(&mut self, secs: u64) {
        self.t += Duration::from_secs(secs);
        self.s.tick(self.t);
    }
    fn pin(&mut self, pin: &str) {
        for b in pin.bytes() {
            self.ev(Event::PinDigit(b - b'0'));
        }
        self.ev(Event::PinSubmit);
    }
    /// Start → 住民票の写し → card of `persona` → PIN → review.
    fn walk_to_review(&mut self, persona_id: &str) {
        self.ev(Event::Begin);
        self.ev(Event::ChooseProcedure(JUMINHYO.into()));
        assert_eq!(self.s.step(), Step::Card);
        self.hand.insert(persona::builtin_by_id(persona_id).unwrap());
        self.wait(1);
        assert_eq!(self.s.step(), Step::Pin);
        let pin = persona::builtin_by_id(persona_id).unwrap().pin.expose().to_string();
        self.pin(&pin);
        assert_eq!(self.s.step(), Step::Review, "message: {:?}", self.s.message());
    }
    fn answer_juminhyo(&mut self) {
        self.ev(Event::Answer("scope".into(), AnswerValue::Choice("household".into())));
        self.ev(Event::Answer("purpose".into(), AnswerValue::Choice("bank".into())));
    }
    fn sign(&mut self) {
        self.ev(Event::StrokeBegin(100.0, 150.0));
        self.ev(Event::StrokeMove(300.0, 120.0));
        self.ev(Event::StrokeMove(500.0, 180.0));
    }
    fn walk_to_confirm(&mut self) {
        self.walk_to_review("typical");
        self.answer_juminhyo();
        self.ev(Event::ReviewDone);
        assert_eq!(self.s.step(), Step::Signature);
        self.sign();
        self.ev(Event::SignatureDone);
        assert_eq!(self.s.step(), Step::Confirm);
    }
}

fn files_in(p: &Path) -> usize {
    std::fs::read_dir(p).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn juminhyo_flow_reads_only_basic_four_and_validates_answers() {
    let mut r = Rig::demo();
    r.walk_to_review("typical");
    let a = r.s.attributes().expect("attributes read");
    assert_eq!(a.name.expose(), "山田 太郎");
    assert!(!r.s.has_my_number(), "住民票の写し must not read the 個人番号");
    let ids: Vec<&str> = r.s.questions().iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["copies", "scope", "honseki", "purpose"]);
    assert_eq!(r.s.answers().get("copies"), Some(&AnswerValue::Count(1)), "counter starts at its minimum");
    // 次へ with required answers missing: stay, and say which ones in plain words.
    r.ev(Event::ReviewDone);
    assert_eq!(r.s.step(), Step::Review);
    let problems = r.s.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].1.ja().contains("記載する人"));
    // The same problem on an English screen: English words around the (untranslated) label.
    let en = problems[0].1.render("en");
    assert!(en.starts_with("Please choose") && en.contains("記載する人"), "{en}");
    r.answer_juminhyo();
    r.ev(Event::ReviewDone);
    assert_eq!(r.s.step(), Step::Signature);
    // An empty pad is not a signature.
    r.ev(Event::SignatureDone);
    assert_eq!(r.s.step(), Step::Signature);
    assert!(r.s.message().unwrap().contains("指"));
    r.sign();
    r.ev(Event::SignatureDone);
    assert_eq!(r.s.step(), Step::Confirm);
    assert_eq!(r.s.rendered().len(), 1);
    let dir = r.s.work_dir().unwrap().to_path_buf();
    assert!(dir.starts_with(&r.root));
    assert_eq!(files_in(&dir), 1);
    r.ev(Event::Deliver(OutputAction::Print));
    assert_eq!(r.s.step(), Step::Output, "progress screen while the output runs");
    assert_eq!(r.s.delivering(), Some(OutputAction::Print));
    r.settle();
    assert_eq!(r.s.step(), Step::Done);
    assert_eq!(r.s.receipt().unwrap().number, "0001");
    assert_eq!(r.s.receipt().unwrap().id, "T01-20261122-0001");
    // The done screen returns to start by itself and wipes everything.
    r.wait(19);
    assert_eq!(r.s.step(), Step::Done);
    r.wait(1);
    assert_eq!(r.s.step(), Step::Start);
    assert_eq!(r.s.last_end(), Some(EndReason::Done));
    assert!(r.s.attributes().is_none());
    assert!(r.s.answers().is_empty());
    assert!(r.s.signature().is_empty());
    assert!(!dir.exists(), "generated files must be deleted");
}

#[test]
fn idle_timeout_warns_then_wipes_everything() {
    let mut r = Rig::demo();
    r.walk_to_confirm();
    let dir = r.s.work_dir().unwrap().to_path_buf();
    assert_eq!(files_in(&dir), 1);
    assert!(r.s.idle_warning(r.t).is_none());
    r.wait(44);
    assert_eq!(r.s.idle_warning(r.t), None);
    r.wait(1);
    assert_eq!(r.s.idle_warning(r.t), Some(15), "warning at 45 s");
    // A touch restarts the idle clock.
    r.ev(Event::Activity);
    assert_eq!(r.s.idle_warning(r.t), None);
    r.wait(59);
    assert_eq!(r.s.step(), Step::Confirm);
    r.wait(1);
    assert_eq!(r.s.step(), Step::Start);
    assert_eq!(r.s.last_end(), Some(EndReason::TimedOut));
    assert!(r.s.message().unwrap().contains("時間が過ぎた"));
    assert!(r.s.attributes().is_none(), "attributes must be gone");
    assert!(!r.s.has_my_number());
    assert!(r.s.answers().is_empty(), "answers must be cleared");
    assert!(r.s.signature().is_empty());
    assert!(r.s.selected().is_empty());
    assert!(r.s.rendered().is_empty());
    assert!(r.s.work_dir().is_none());
    assert!(!dir.exists(), "generated files must be deleted");
}

#[test]
fn timeout_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let settings = SessionSettings {
        idle_timeout: Duration::from_secs(20),
        idle_warning: Duration::from_secs(10),
        work_root: dir.path().to_path_buf(),
        ..SessionSettings::default()
    };
    let (reader, _hand) = SimReader::new();
    let t = Instant::now();
    let mut s = Session::new(settings, Box::new(reader), Box::new(DemoForms), Box::new(NotWiredOutput), t);
    s.handle(Event::Begin, t);
    assert_eq!(s.idle_warning(t + Duration::from_secs(10)), Some(10));
    s.tick(t + Duration::from_secs(20));
    assert_eq!(s.step(), Step::Start);
}

#[test]
fn card_removal_mid_flow_returns_to_card_step_with_message() {
    let mut r = Rig::demo();
    r.walk_to_review("typical");
    r.answer_juminhyo();
    r.ev(Event::ReviewDone);
    r.sign();
    let card = r.hand.remove().unwrap();
    r.wait(1);
    assert_eq!(r.s.step(), Step::Card);
    assert!(r.s.message().unwrap().contains("カードが取り外されました"));
    assert!(r.s.attributes().is_none(), "data read from the removed card is dropped");
    assert!(r.s.answers().is_empty());
    assert!(r.s.signature().is_empty());
    assert_eq!(r.s.selected(), [JUMINHYO.to_string()], "the chosen procedure stays");
    // Putting it back asks for the PIN again.
    r.hand.insert_card(card);
    r.wait(1);
    assert_eq!(r.s.step(), Step::Pin);
    r.pin("1234");
    assert_eq!(r.s.step(), Step::Review);
}

#[test]
fn pin_rules_tries_shown_call_clerk_and_clerk_override() {
    let mut r = Rig::new(Box::new(DemoForms), Box::new(NotWiredOutput));
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure(JUMINHYO.into()));
    r.hand.insert(persona::builtin_by_id("typical").unwrap());
    r.wait(1);
    assert_eq!(r.s.pin_state(), PinState::Ready { tries_left: 3 });
    r.pin("0000");
    assert_eq!(r.s.pin_state(), PinState::Wrong { tries_left: 2 });
    assert!(r.s.pin_state().message_ja().contains("あと2回"));
    r.pin("0001");
    assert_eq!(r.s.pin_state(), PinState::CallClerk, "one try left → call a clerk");
    // The keypad is dead now: no try is spent by accident.
    r.pin("1234");
    assert_eq!(r.s.step(), Step::Pin);
    assert_eq!(r.s.pin_len(), 0);
    // Only an unlocked clerk can allow the last try.
    r.ev(Event::ClerkAllowLastTry);
    assert_eq!(r.s.pin_state(), PinState::CallClerk);
    r.ev(Event::ClerkUnlocked);
    r.ev(Event::ClerkAllowLastTry);
    assert_eq!(r.s.pin_state(), PinState::LastTryAllowed);
    r.pin("1234");
    assert_eq!(r.s.step(), Step::Review);
    // Self-service: the clerk is locked again when the session ends.
    r.ev(Event::Cancel);
    assert!(!r.s.clerk_unlocked());
}

#[test]
fn last_try_and_locked_cards_are_explained() {
    let mut r = Rig::new(Box::new(DemoForms), Box::new(NotWiredOutput));
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure(JUMINHYO.into()));
    r.hand.insert(persona::builtin_by_id("last-try").unwrap());
    r.wait(1);
    assert_eq!(r.s.pin_state(), PinState::CallClerk);
    assert!(r.s.pin_state().message_ja().contains("職員"));
    r.hand.remove();
    r.wait(1);
    assert_eq!(r.s.step(), Step::Card);
    for id in ["locked", "locked-63c0"] {
        r.hand.insert(persona::builtin_by_id(id).unwrap());
        r.wait(1);
        assert_eq!(r.s.step(), Step::Pin);
        assert_eq!(r.s.pin_state(), PinState::Locked, "{id}");
        assert!(r.s.pin_state().message_ja().contains("窓口"), "locked → where to go");
        r.hand.remove();
        r.wait(1);
    }
}

#[test]
fn guide_flow_picks_several_procedures_and_reads_my_number_only_then() {
    let mut r = Rig::demo();
    r.ev(Event::Begin);
    r.ev(Event::ShowGuide);
    assert_eq!(r.s.procedure_mode(), ProcedureMode::Guide);
    r.ev(Event::GuideDone);
    assert_eq!(r.s.step(), Step::Procedure, "unanswered guide questions keep the resident here");
    assert!(r.s.message().is_some());
    r.ev(Event::GuideAnswer("g-move".into(), AnswerValue::Choice("outside".into())));
    r.ev(Event::GuideAnswer("g-children".into(), AnswerValue::YesNo(true)));
    r.ev(Event::GuideAnswer("g-kokuho".into(), AnswerValue::YesNo(false)));
    r.ev(Event::GuideDone);
    assert_eq!(r.s.selected(), [TENNYU.to_string(), JIDO_TEATE.to_string()]);
    r.hand.insert(persona::builtin_by_id("typical").unwrap());
    r.wait(1);
    r.pin("1234");
    assert_eq!(r.s.step(), Step::Review);
    assert!(r.s.has_my_number(), "児童手当 needs the 個人番号");
    let ids: Vec<&str> = r.s.questions().iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["moved-on", "furigana", "prev-honseki", "children"]);
    r.ev(Event::Answer("furigana".into(), AnswerValue::Text(madoguchi::card::SecretString::new("yamada"))));
    r.ev(Event::Answer("moved-on".into(), AnswerValue::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())));
    r.ev(Event::ReviewDone);
    assert_eq!(r.s.step(), Step::Review);
    assert!(r.s.problems().iter().any(|(id, m)| id == "furigana" && m.ja().contains("カタカナ")));
    r.ev(Event::Answer("furigana".into(), AnswerValue::Text(madoguchi::card::SecretString::new("ヤマダ　タロウ"))));
    r.ev(Event::ReviewDone);
    assert_eq!(r.s.step(), Step::Signature);
}

#[test]
fn back_navigation() {
    let mut r = Rig::demo();
    r.ev(Event::Begin);
    r.ev(Event::ChooseProcedure(JUMINHYO.into()));
    r.ev(Event::Back);
    assert_eq!(r.s.step(), Step::Procedure);
    r.ev(Event::Back);
    assert_eq!(r.s.step(), Step::Start);
    assert_eq!(r.s.last_end(), Some(EndReason::Cancelled));
    r.walk_to_review("typical");
    r.answer_juminhyo();
    r.ev(Event::ReviewDone);
    r.ev(Event::Back);
    assert_eq!(r.s.step(), Step::Review);
    assert_eq!(r.s.answers().len(), 4, "answers survive going back to the review");
    r.ev(Event::ReviewDone);
    r.sign();
    r.ev(Event::SignatureDone);
    let dir = r.s.work_dir().unwrap().to_path_buf();
    r.ev(Event::Back);
    assert_eq!(r.s.step(), Step::Signature);
    assert!(!dir.exists(), "leaving the confirm step deletes its files");
    r.ev(Event::SignatureClear);
    assert!(r.s.signature().is_empty());
    r.ev(Event::SignatureRedo);
    assert!(!r.s.signature().is_empty(), "a cleared stroke can be brought back");
    r.ev(Event::Back);
    r.ev(Event::Back);
    assert_eq!(r.s.step(), Step::Procedure);
    assert!(r.s.attributes().is_none(), "choosing again forgets this read");
}

#[test]
fn cancel_wipes_and_not_wired_output_says_so() {
    let mut r = Rig::new(Box::new(DemoForms), Box::new(NotWiredOutput));
    r.walk_to_review("typical");
    r.answer_juminhyo();
    r.ev(Event::ReviewDone);
    r.sign();
    r.ev(Event::SignatureDone);
    assert_eq!(r.s.step(), Step::Confirm);
    assert!(r.s.message().unwrap().contains("接続されていません"), "demo forms are not wired: say so");
    r.ev(Event::Deliver(OutputAction::Print));
    assert_eq!(r.s.step(), Step::Output);
    let dir = r.s.work_dir().unwrap().to_path_buf();
    r.ev(Event::Cancel);
    assert_eq!(r.s.step(), Step::Start);
    assert_eq!(r.s.last_end(), Some(EndReason::Cancelled));
    assert!(r.s.attributes().is_none());
    assert!(!dir.exists());
}

#[test]
fn signature_png_reaches_the_forms_layer() {
    let mut r = Rig::demo();
    r.walk_to_confirm();
    let f = &r.s.rendered()[0];
    let bytes = std::fs::read(&f.pdf).unwrap();
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let info = dec.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (madoguchi::session::PAD_W, madoguchi::session::PAD_H));
}

/// A reader that is unplugged and plugged back in. A mock, because vpcd's readers exist as
/// long as pcscd runs and cannot be unplugged on demand; the real "no such reader" answer is
/// tested through pcscd in card_pcsc.rs.
struct Unpluggable {
    inner: SimReader,
    plugged: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl madoguchi::session::CardPort for Unpluggable {
    fn present(&mut self) -> Result<bool, madoguchi::card::TransportError> {
        if !self.plugged.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(madoguchi::card::TransportError::NoReader);
        }
        self.inner.present()
    }
    fn pin_tries(&mut self) -> Result<u8, madoguchi::card::CardError> {
        self.inner.pin_tries()
    }
    fn read(
        &mut self,
        pin: &madoguchi::card::Pin,
        req: madoguchi::card::ReadRequest,
    ) -> Result<madoguchi::card::ReadOutcome, madoguchi::card::CardError> {
        self.inner.read(pin, req)
    }
}

#[test]
fn a_missing_reader_is_explained_on_the_card_screen_until_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let settings = SessionSettings { work_root: dir.path().join("work"), ..SessionSettings::default() };
    let (reader, hand) = SimReader::new();
    let plugged = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = Unpluggable { inner: reader, plugged: plugged.clone() };
    let mut t = Instant::now();
    let mut s = Session::new(settings, Box::new(port), Box::new(SignatureWritingForms), Box::new(AcceptingOutput), t);
    s.handle(Event::Begin, t);
    s.handle(Event::ChooseProcedure(JUMINHYO.into()), t);
    assert_eq!(s.step(), Step::Card);
    t += Duration::from_secs(1);
    s.tick(t);
    let m = s.message().expect("the reader problem is shown").to_string();
    assert!(m.contains("カードリーダー"), "{m}");
    assert_eq!(s.step(), Step::Card, "the session waits; nothing crashes");
    plugged.store(true, std::sync::atomic::Ordering::SeqCst);
    t += Duration::from_secs(1);
    s.tick(t);
    assert_eq!(s.message(), None, "the message goes when the reader is back");
    hand.insert(persona::builtin_by_id("typical").unwrap());
    t += Duration::from_secs(1);
    s.tick(t);
    assert_eq!(s.step(), Step::Pin);
}
