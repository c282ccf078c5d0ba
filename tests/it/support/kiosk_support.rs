//! Shared by the kiosk tests: one session rig over the real forms layer (embedded templates,
//! IPAex fonts, pdftoppm), the in-process virtual card, the real staff-PIN port and one hand
//! clock; the window rig on top of it; and one stand-in output layer for flow tests that
//! need no printer (the real output layer is driven in kiosk/output.rs and kiosk/ui_real.rs).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone};
use madoguchi::card::sim::persona;
use madoguchi::config::Config;
use madoguchi::forms::{Catalog, Fonts, FontsConfig};
use madoguchi::session::{
    Clock, ConfirmedVisit, DeliveryError, Event, Offers, OutputAction, OutputPort, OutputStatus, Ports, Receipt,
    Session, SessionSettings, Stage,
};
use madoguchi::ui::KioskUi;
use madoguchi::vocab::{AnswerValue, Answers};
use madoguchi::wiring::{CatalogForms, Demo, SimHandle, SimReader, StaffPin};

/// The tests' staff PIN (its Argon2id hash is made once per test run).
pub const STAFF_PIN: &str = "258025";

pub fn staff_pin_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| madoguchi::config::hash_clerk_pin(STAFF_PIN).expect("hash the test staff PIN")).clone()
}

/// A clock the test moves by hand: monotonic time and the calendar move together, from
/// 2026-11-22 10:00 JST.
#[derive(Clone)]
pub struct HandClock {
    start: Instant,
    elapsed: Rc<Cell<Duration>>,
}

impl HandClock {
    pub fn new() -> HandClock {
        HandClock { start: Instant::now(), elapsed: Rc::default() }
    }
    pub fn advance(&self, secs: u64) {
        self.elapsed.set(self.elapsed.get() + Duration::from_secs(secs));
    }
}

impl Default for HandClock {
    fn default() -> Self {
        HandClock::new()
    }
}

impl Clock for HandClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed.get()
    }
    fn local(&self) -> DateTime<FixedOffset> {
        let jst = FixedOffset::east_opt(9 * 3600).unwrap();
        let base = jst.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        base + chrono::Duration::from_std(self.elapsed.get()).unwrap()
    }
}

/// Stand-in for the output layer: accepts every job (numbering receipts like the outbox), so
/// the done step and its auto-return are tested without a printer. A fault-free stand-in on
/// purpose: printer and outbox faults come from the real parts in kiosk/output.rs.
#[derive(Default)]
pub struct AcceptingOutput {
    n: AtomicU32,
    pub offers: Offers,
    /// Sizes of the sheets "printed" with `print_sheet` (the card status's 手続き案内).
    pub sheets: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl AcceptingOutput {
    pub fn printing() -> AcceptingOutput {
        AcceptingOutput { offers: Offers { print: true, send: false }, ..AcceptingOutput::default() }
    }
}

impl OutputPort for AcceptingOutput {
    fn offers(&self) -> Offers {
        self.offers
    }
    fn new_receipt_id(&self, today: chrono::NaiveDate) -> Result<String, DeliveryError> {
        let n = self.n.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(madoguchi::wiring::output::receipt_id("T01", today, n))
    }
    fn new_idempotency_key(&self) -> String {
        madoguchi::output::payload::new_idempotency_key()
    }
    fn deliver(&self, visit: &ConfirmedVisit, _: OutputAction) -> Result<Receipt, DeliveryError> {
        assert!(visit.rendered.work_dir.path().is_dir(), "output must get the visit's files");
        Ok(Receipt::for_id(&visit.receipt_id))
    }
    fn status(&self) -> OutputStatus {
        OutputStatus::default()
    }
    fn print_sheet(&self, pdf: &[u8], _: &str) -> Result<(), DeliveryError> {
        self.sheets.lock().unwrap().push(pdf.to_vec());
        Ok(())
    }
}

/// The real forms layer for the kiosk tests: embedded templates, IPAex fonts, pdftotext.
pub mod real {
    use super::*;

    pub fn catalog_forms(work_root: &Path) -> CatalogForms {
        let catalog = Catalog::embedded().unwrap_or_else(|e| panic!("embedded templates: {e:?}"));
        let fonts = Fonts::load(&FontsConfig::default()).expect("IPAex fonts installed (tests/stack.sh install)");
        CatalogForms::new(catalog, fonts, "見本市", work_root)
    }

    /// Sample answers for every question of these procedures.
    pub fn demo_answers(procedures: &[&str]) -> Answers {
        catalog_forms(Path::new("/nonexistent")).demo_answers(procedures)
    }

    pub fn pdftotext(pdf: &Path) -> String {
        let out =
            Command::new("pdftotext").args(["-layout"]).arg(pdf).arg("-").output().expect("poppler-utils installed");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn pdftotext_bytes(pdf: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.pdf");
        std::fs::write(&p, pdf).unwrap();
        pdftotext(&p)
    }
}

/// A session over the real forms layer, the in-process virtual card and the hand clock.
pub struct Rig {
    pub s: Session,
    pub hand: SimHandle,
    pub clock: HandClock,
    /// Holds the work root for the rig's lifetime.
    pub _dir: tempfile::TempDir,
    pub work: PathBuf,
}

pub fn settings() -> SessionSettings {
    SessionSettings { languages: vec!["ja".into(), "ja-easy".into(), "en".into()], ..SessionSettings::default() }
}

/// The ports of a kiosk over the hand clock; `staff_pin_file`: where the staff-PIN record is
/// kept (None: in memory).
pub fn ports(
    output: Arc<dyn OutputPort>,
    work: &Path,
    clock: &HandClock,
    staff_pin_file: Option<PathBuf>,
) -> (Ports, SimHandle) {
    ports_with_staff_pin(output, work, clock, staff_pin_hash(), staff_pin_file)
}

/// [`ports`] with this staff-PIN hash ("" = none configured).
pub fn ports_with_staff_pin(
    output: Arc<dyn OutputPort>,
    work: &Path,
    clock: &HandClock,
    hash: String,
    staff_pin_file: Option<PathBuf>,
) -> (Ports, SimHandle) {
    let (reader, hand) = SimReader::new();
    let ports = Ports {
        card: Box::new(reader),
        forms: Box::new(real::catalog_forms(work)),
        output,
        clerk: Box::new(StaffPin::new(hash, staff_pin_file)),
        clock: Rc::new(clock.clone()),
    };
    (ports, hand)
}

impl Rig {
    pub fn new(output: Arc<dyn OutputPort>) -> Rig {
        Rig::with(settings(), output)
    }

    pub fn with(settings: SessionSettings, output: Arc<dyn OutputPort>) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let clock = HandClock::new();
        let (ports, hand) = ports(output, &work, &clock, None);
        Rig { s: Session::new(settings, ports), hand, clock, _dir: dir, work }
    }

    /// A rig whose ports a test adjusts first (a counting or recording adapter around a real
    /// one); `adjust` gets the ports and the work root.
    pub fn with_ports(output: Arc<dyn OutputPort>, adjust: impl FnOnce(&mut Ports, &Path)) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let clock = HandClock::new();
        let (mut ports, hand) = ports(output, &work, &clock, None);
        adjust(&mut ports, &work);
        Rig { s: Session::new(settings(), ports), hand, clock, _dir: dir, work }
    }

    /// Accepting (print-only) output.
    pub fn accepting() -> Rig {
        Rig::new(Arc::new(AcceptingOutput::printing()))
    }

    /// One event, a second after the last one.
    pub fn ev(&mut self, e: Event) {
        self.clock.advance(1);
        self.s.handle(e);
    }
    pub fn wait(&mut self, secs: u64) {
        self.clock.advance(secs);
        self.s.tick();
    }
    /// Let a print/send on the worker thread finish (no simulated time passes).
    pub fn settle(&mut self) {
        for _ in 0..4000 {
            if self.s.delivering().is_none() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
            self.s.tick();
        }
        panic!("the output thread did not finish");
    }
    pub fn pin(&mut self, pin: &str) {
        for b in pin.bytes() {
            self.ev(Event::PinDigit(b - b'0'));
        }
        self.ev(Event::PinSubmit);
    }
    pub fn stage_name(&self) -> &'static str {
        stage_name(self.s.stage())
    }
    /// The card of `persona_id` on the reader and its PIN: on to the review.
    pub fn card_and_pin(&mut self, persona_id: &str) {
        let p = persona::builtin_by_id(persona_id).unwrap();
        self.hand.insert(p.clone());
        self.wait(1);
        assert_eq!(self.stage_name(), "pin", "{:?}", self.s.message());
        self.pin(p.pin.expose());
        assert_eq!(self.stage_name(), "review", "{:?}", self.s.message());
    }
    /// Start → `procedure` → card of `persona` → PIN → review.
    pub fn walk_to_review(&mut self, procedure: &str, persona_id: &str) {
        self.ev(Event::Begin);
        self.ev(Event::ChooseProcedure(procedure.into()));
        assert_eq!(self.stage_name(), "card");
        self.card_and_pin(persona_id);
    }
    /// Give the sample answer to every question of these procedures.
    pub fn answer_all(&mut self, procedures: &[&str]) {
        for (id, v) in real::demo_answers(procedures).iter() {
            self.ev(Event::Answer(id.to_string(), v.clone()));
        }
    }
    pub fn sign(&mut self) {
        self.ev(Event::StrokeBegin(100.0, 150.0));
        self.ev(Event::StrokeMove(300.0, 120.0));
        self.ev(Event::StrokeMove(500.0, 180.0));
    }
    /// Review (answered) → signature, when a chosen form asks for one → confirm.
    pub fn sign_and_confirm(&mut self) {
        self.ev(Event::ReviewDone);
        if self.stage_name() == "signature" {
            self.sign();
            self.ev(Event::SignatureDone);
        }
        assert_eq!(self.stage_name(), "confirm", "problems: {:?}", review_problems(&self.s));
    }
    /// 住民票の写し for `typical`, answered and signed (requested for someone of the same
    /// household: a case that asks for a signature): the confirm screen.
    pub fn walk_to_confirm(&mut self) {
        self.walk_to_review("juminhyo", "typical");
        self.answer_all(&["juminhyo"]);
        self.ev(Event::Answer("requester".into(), AnswerValue::Choice("household".into())));
        self.ev(Event::ReviewDone);
        assert_eq!(self.stage_name(), "signature", "problems: {:?}", review_problems(&self.s));
        self.sign();
        self.ev(Event::SignatureDone);
        assert_eq!(self.stage_name(), "confirm");
    }
    /// A clerk unlocks with the staff PIN on the panel, and closes it.
    pub fn unlock_clerk(&mut self) {
        self.ev(Event::ClerkPanel(true));
        for b in STAFF_PIN.bytes() {
            self.ev(Event::ClerkDigit(b - b'0'));
        }
        self.ev(Event::ClerkSubmit);
        assert!(self.s.clerk_unlocked(), "{:?}", self.s.clerk().message());
        self.ev(Event::ClerkPanel(false));
    }
}

pub fn stage_name(s: &Stage) -> &'static str {
    match s {
        Stage::Start(_) => "start",
        Stage::CardCheck(_) => "check",
        Stage::Choosing(_) => "procedure",
        Stage::Card(_) => "card",
        Stage::Pin(_) => "pin",
        Stage::Review(_) => "review",
        Stage::Signing(_) => "signature",
        Stage::Confirm(_) => "confirm",
        Stage::Output(_) => "output",
        Stage::Done(_) => "done",
    }
}

/// The review's problems (question id, Japanese), for assertion messages.
pub fn review_problems(s: &Session) -> Vec<(String, String)> {
    match s.stage() {
        Stage::Review(r) => r.problems.iter().map(|p| (p.question.clone(), p.message.ja())).collect(),
        _ => Vec::new(),
    }
}

/// A kiosk window over a rig's session, driven with Slint's testing backend.
pub struct UiRig {
    pub ui: KioskUi,
    pub hand: SimHandle,
    pub clock: HandClock,
    pub _dir: tempfile::TempDir,
}

pub fn ui_rig(cfg: &Config, output: Arc<dyn OutputPort>) -> UiRig {
    let dir = tempfile::tempdir().unwrap();
    let clock = HandClock::new();
    let (ports, hand) =
        ports_with_staff_pin(output, &dir.path().join("work"), &clock, cfg.clerk.pin_hash.clone(), None);
    let mut settings = madoguchi::wiring::settings(cfg);
    settings.languages = cfg.languages.clone();
    let session = Session::new(settings, ports);
    let demo = Demo { hand: hand.clone(), personas: persona::builtin() };
    let ui = KioskUi::new(cfg, session, Some(Box::new(demo))).unwrap();
    UiRig { ui, hand, clock, _dir: dir }
}

/// A kiosk window over a real PC/SC reader (pcscd + vpcd): cards are placed with
/// `card_stack::place` into that reader's slot.
pub fn ui_rig_on_reader(cfg: &Config, output: Arc<dyn OutputPort>, reader: &str) -> UiRig {
    let dir = tempfile::tempdir().unwrap();
    let clock = HandClock::new();
    let (mut ports, hand) =
        ports_with_staff_pin(output, &dir.path().join("work"), &clock, cfg.clerk.pin_hash.clone(), None);
    ports.card = Box::new(madoguchi::wiring::PcscPort::new(reader));
    let mut settings = madoguchi::wiring::settings(cfg);
    settings.languages = cfg.languages.clone();
    let ui = KioskUi::new(cfg, Session::new(settings, ports), None).unwrap();
    UiRig { ui, hand, clock, _dir: dir }
}

impl UiRig {
    /// Tick until `done` holds (pcscd reports a card within 400 ms), for at most 5 s.
    pub fn tick_until(&self, what: &str, done: impl Fn(&Session) -> bool) {
        let t = Instant::now();
        while !done(&self.ui.session()) {
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "timed out waiting for {what}: {:?}",
                self.ui.session().message()
            );
            std::thread::sleep(Duration::from_millis(50));
            self.ui.tick();
        }
    }
    /// A clerk unlocks with the staff PIN on the panel and closes it.
    pub fn unlock_clerk(&self) {
        use madoguchi::ui::ClerkPage;
        use slint::ComponentHandle;
        let c = self.ui.window.global::<ClerkPage>();
        c.invoke_show();
        for b in STAFF_PIN.bytes() {
            c.invoke_digit(i32::from(b - b'0'));
        }
        c.invoke_submit();
        assert!(c.get_unlocked(), "staff PIN should unlock: {}", c.get_message());
        c.invoke_close();
    }
    /// Let a print/send on the session's worker thread finish, then repaint.
    pub fn settle(&self) {
        for _ in 0..4000 {
            if self.ui.session().delivering().is_none() {
                self.ui.refresh();
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
            self.ui.tick();
        }
        panic!("the output thread did not finish");
    }
}

/// What the headless demo printed and how it ended.
pub struct DemoRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// `madoguchi kiosk --demo --headless ARGS --out OUT` without a display, with `envs` set;
/// with `scan`, `--preinput-stdin` and the digits typed on its standard input the way a
/// counter's scanner types them (digits, then Enter).
pub fn headless_demo(out: &Path, args: &[&str], envs: &[(&str, &std::ffi::OsStr)], scan: Option<&str>) -> DemoRun {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    cmd.args(["kiosk", "--demo", "--headless"]).args(args);
    if scan.is_some() {
        cmd.arg("--preinput-stdin");
    }
    cmd.arg("--out").arg(out).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(if scan.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run madoguchi");
    if let (Some(digits), Some(mut stdin)) = (scan, child.stdin.take()) {
        stdin.write_all(format!("{digits}\r\n").as_bytes()).expect("type the scan");
    }
    let o = child.wait_with_output().expect("wait for madoguchi");
    DemoRun {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}
