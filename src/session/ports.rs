//! The edges the session calls: the card reader, the forms layer, the output layer, the
//! staff PIN and the clock. `crate::wiring` implements them with the real layers; the
//! session knows only these traits and types.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, FixedOffset, NaiveDate};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::i18n::{Msg, Text};
use crate::vocab::person::{CardAttributes, MyNumber, SecretString};
use crate::vocab::pin::Credential;
use crate::vocab::{AnswerValue, Answers, Icon, Question};

use super::visit::{CardFields, CardRead, Plan};

/// Where "now" comes from: one clock for monotonic time (timeouts) and the calendar
/// (receipt days, date pickers, the date on the forms).
pub trait Clock {
    fn now(&self) -> Instant;
    /// The wall-clock time with the kiosk's UTC offset.
    fn local(&self) -> DateTime<FixedOffset>;
    fn today(&self) -> NaiveDate {
        self.local().date_naive()
    }
}

/// What the session asks of one read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardQuery {
    /// The 個人番号 too (only when a chosen form needs it; never with 照合番号B).
    pub my_number: bool,
    /// A clerk allowed the last try, with the resident's consent. Without it the reader
    /// refuses to spend the last try.
    pub last_try_allowed: bool,
}

/// What a read gave: 基本4情報, and the 個人番号 when asked for.
pub struct CardData {
    pub attributes: CardAttributes,
    pub my_number: Option<MyNumber>,
}

/// Why the card could not be used, in what the session acts on; `message` is what the
/// screen says (plain Japanese, translated where shown; no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardProblem {
    pub kind: CardProblemKind,
    pub message: Msg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardProblemKind {
    /// The PIN (or 照合番号B) was wrong; the card counted it.
    WrongPin { tries_left: u8 },
    /// One try left: not spent without a clerk's consent.
    LastTryRefused,
    /// The PIN (or 照合番号B) is locked.
    Locked,
    /// The card must be taken off and placed again (it moved, or the read went wrong).
    PlaceAgain,
    /// Anything else (not a My Number Card, a reader problem, …): `message` says what to do.
    Other,
}

/// カードの状態 as the screen shows it, without a PIN and without personal data: one row per
/// PIN and one for the certificate, and what to do, most urgent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardReport {
    /// (label, value)
    pub rows: Vec<(Msg, Msg)>,
    pub advice: Vec<CardAdvice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAdvice {
    /// Stable key: which procedures are offered for it ([`FormPort::advice_procedures`]).
    pub key: &'static str,
    /// On the screen.
    pub message: Msg,
    /// On the printed 手続き案内: without the days left, which with the date of the check
    /// would give the expiry date (usually the holder's birthday).
    pub on_paper: Msg,
}

/// What the session does with a card reader. Implementations must never spend a try
/// except inside [`CardPort::read`], which checks the tries first and refuses the last one
/// unless [`CardQuery::last_try_allowed`].
pub trait CardPort {
    /// Whether a card is on the reader now.
    fn present(&mut self) -> Result<bool, CardProblem>;
    /// Tries left of the 4-digit PIN (empty VERIFY; consumes none).
    fn pin_tries(&mut self) -> Result<u8, CardProblem>;
    /// Tries left of 照合番号B (empty VERIFY; consumes none).
    fn pin_b_tries(&mut self) -> Result<u8, CardProblem>;
    /// Safe VERIFY with the PIN or 照合番号B + read of what `query` asks for.
    fn read(&mut self, cred: Credential<'_>, query: CardQuery) -> Result<CardData, CardProblem>;
    /// カードの状態 without a PIN and without personal data (`today` counts the days left).
    fn status(&mut self, today: NaiveDate) -> Result<CardReport, CardProblem>;
    /// End the card connection and reset the card (clears its security state).
    fn release(&mut self) {}
}

/// A procedure (手続き) the kiosk offers, e.g. 住民票の写しの交付申請.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureInfo {
    pub id: String,
    pub title: Text,
    /// Heading on the procedure screen (証明書, 引っ越し, …).
    pub category: Text,
    pub icon: Icon,
}

/// A problem the review screen shows under a question (or above them all when `question`
/// is not one of the questions, e.g. a card value a form cannot print).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    pub question: String,
    pub message: Msg,
}

/// What the forms layer gets to check or fill the chosen forms.
pub struct FillRequest<'a> {
    pub procedures: &'a [String],
    pub card: &'a CardRead,
    pub answers: &'a Answers,
    /// The life-event guide's answers, when the guide chose the procedures (for the 手続き案内).
    pub guide: Option<&'a Answers>,
    /// 受付番号 of this visit: printed on the forms and in their QR code.
    pub receipt_id: &'a str,
    pub created: DateTime<FixedOffset>,
}

/// A session-private directory of generated files (PDFs, previews). It is deleted when the
/// last owner drops it: the wipe cannot forget it.
#[derive(Debug)]
pub struct WorkDir(PathBuf);

impl WorkDir {
    /// Take ownership of `dir` (which the caller created, private to this process).
    pub fn new(dir: PathBuf) -> WorkDir {
        WorkDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            // Nothing personal in the path: it is session-<pid>-<n>.
            eprintln!("madoguchi: could not delete {} ({e}) / 作業ファイルを削除できませんでした", self.0.display());
        }
    }
}

/// One filled form: its PDF, a preview image per page, and what the back office gets for it.
pub struct RenderedForm {
    pub form_id: String,
    pub template_version: String,
    /// The chosen procedure this form belongs to (the first that lists it).
    pub procedure_id: String,
    pub title: Text,
    pub pdf: Zeroizing<Vec<u8>>,
    /// The PDF on disk (inside the work dir), for the demo and the page previews.
    pub pdf_path: PathBuf,
    /// One PNG per page; empty when previews could not be made (delivery does not need them).
    pub page_previews: Vec<PathBuf>,
    /// Printed values by field id, in template order (personal: zeroized, Debug redacted).
    pub values: Vec<(String, SecretString)>,
    /// Which card attributes this form declares (its submission carries only those).
    pub declares: CardFields,
}

impl std::fmt::Debug for RenderedForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedForm")
            .field("form_id", &self.form_id)
            .field("pages", &self.page_previews.len())
            .finish()
    }
}

/// The printable 手続き案内 the guide produced.
#[derive(Debug)]
pub struct GuideSheet {
    pub pdf: Zeroizing<Vec<u8>>,
    pub page_previews: Vec<PathBuf>,
}

/// Everything rendering produced for one visit; dropping it deletes its files.
#[derive(Debug)]
pub struct Rendered {
    pub forms: Vec<RenderedForm>,
    /// Every form (and the guide sheet) in one PDF: one print job per visit.
    pub print_pdf: Zeroizing<Vec<u8>>,
    pub guide: Option<GuideSheet>,
    /// Page previews could not be made (the confirm screen says so; delivery works without).
    pub previews_missing: bool,
    pub work_dir: WorkDir,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormError {
    #[error("a form could not be filled: {0} / 書類を作成できませんでした")]
    Fill(String),
    /// Answers or card data a form refuses (e.g. a 外字 the font cannot draw): the clerk is
    /// shown which field and why on the screen; `log` names form and field ids only.
    #[error("a form refused its data: {log} / 書類に書けない内容があります")]
    Invalid { log: String, message: Msg },
}

impl FormError {
    pub fn message(&self) -> Msg {
        match self {
            FormError::Fill(_) => Msg::new("書類を作成できませんでした。職員にお声がけください。"),
            FormError::Invalid { message, .. } => {
                Msg::new("書類を作成できませんでした。職員にお声がけください。({})").arg(message.clone())
            }
        }
    }
}

/// What a pre-input code is checked against, for the forms of some procedures
/// (see `crate::session::preinput_import`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormFacts {
    /// (template id, version) of each form, in order.
    pub templates: Vec<(String, u32)>,
    /// Every question of these forms, conditional ones included.
    pub questions: Vec<Question>,
    /// Ids of the fields the card fills (name, address, birth date, sex, 個人番号).
    pub card_given: Vec<String>,
}

/// The forms layer as the session sees it: the one place that knows templates, and the one
/// validator of answers.
pub trait FormPort {
    fn procedures(&self) -> Vec<ProcedureInfo>;
    /// The life-event guide: a few touch questions (given the answers so far: the chosen life
    /// event decides which follow) …
    fn guide_questions(&self, guide: &Answers) -> Vec<Question>;
    /// … what is wrong with its answers …
    fn guide_problems(&self, guide: &Answers) -> Vec<AnswerProblem>;
    /// … and the procedures they lead to.
    fn guide_result(&self, guide: &Answers) -> Vec<String>;
    /// Whether any chosen form legally needs the 個人番号 (read it only then).
    fn needs_my_number(&self, procedures: &[String]) -> bool;
    /// The questions to show given the answers so far (the rows of a household table appear
    /// as the count grows).
    fn questions(&self, procedures: &[String], answers: &Answers) -> Vec<Question>;
    /// Everything the forms would refuse, before the resident signs.
    fn problems(&self, req: &FillRequest<'_>) -> Vec<AnswerProblem>;
    /// Whether the chosen forms ask for a signature with these answers (the signature pad is
    /// skipped when none does).
    fn needs_signature(&self, procedures: &[String], answers: &Answers) -> bool;
    /// Fill and render the forms (PDF + page previews), with the signature when one was asked.
    fn render(&self, req: &FillRequest<'_>, signature_png: Option<&[u8]>) -> Result<Rendered, FormError>;
    /// The templates, questions and card fields of these procedures' forms.
    fn facts(&self, procedures: &[String]) -> FormFacts;
    /// The one validator for one answer to question `id` of these procedures: the value as
    /// the forms keep it (`None`: blank), or what is wrong with it.
    fn check_answer(&self, procedures: &[String], id: &str, value: &AnswerValue) -> Result<Option<AnswerValue>, Msg>;
    /// The procedures offered for these card-status advices (`Advice::key`), in catalogue order.
    fn advice_procedures(&self, advice: &[&str]) -> Vec<String>;
    /// A printable 手続き案内 for the card status (no personal data on it): the advice
    /// texts in Japanese and where to go for `procedures`.
    fn advice_sheet(
        &self,
        notes: &[String],
        procedures: &[String],
        created: DateTime<FixedOffset>,
    ) -> Result<Zeroizing<Vec<u8>>, FormError>;
}

/// What the resident chose on the confirm screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputAction {
    Print,
    Send,
    /// Both configured: one 申請する does both, sending first (the submission is durable
    /// before anything else), then printing. A retry re-sends nothing twice (idempotency
    /// keys) and follows an unfinished print job.
    PrintAndSend,
}

/// What the output layer is set up to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offers {
    pub print: bool,
    pub send: bool,
}

/// A confirmed visit as the output layer gets it.
pub struct ConfirmedVisit {
    pub receipt_id: String,
    pub plan: Plan,
    /// When the resident confirmed (rendered) the forms.
    pub created: DateTime<FixedOffset>,
    pub rendered: Rendered,
    pub card: CardRead,
    pub signature_png: Zeroizing<Vec<u8>>,
    /// One idempotency key per procedure, fixed when delivery first starts, so that 送信
    /// pressed again after an error never doubles a submission.
    pub keys: Vec<(String, String)>,
}

impl std::fmt::Debug for ConfirmedVisit {
    // The signature image and the card are personal: only what they are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmedVisit")
            .field("receipt_id", &self.receipt_id)
            .field("rendered", &self.rendered)
            .field("signature_bytes", &self.signature_png.len())
            .finish_non_exhaustive()
    }
}

/// Proof of delivery shown on the done screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The short number the resident tells the clerk (the number of the day).
    pub number: String,
    /// The full 受付番号, unique across kiosks and days.
    pub id: String,
    /// Text encoded in the QR code (no personal data).
    pub qr_payload: String,
}

impl Receipt {
    /// From a full id such as `K01-20261122-0007`: the number is the part after the last `-`.
    pub fn for_id(id: &str) -> Receipt {
        let number = id.rsplit('-').next().unwrap_or(id).to_string();
        Receipt { number, id: id.to_string(), qr_payload: id.to_string() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeliveryError {
    /// `detail` is for logs (English + Japanese); `message` for the screen.
    #[error("the printer failed: {detail}")]
    Printer { detail: String, message: Msg },
    #[error("the submission could not be stored: {detail}")]
    Send { detail: String, message: Msg },
}

impl DeliveryError {
    pub fn message(&self) -> Msg {
        match self {
            DeliveryError::Printer { message, .. } | DeliveryError::Send { message, .. } => {
                Msg::new("{} 申請の内容は消えていません。職員にお声がけください。").arg(message.clone())
            }
        }
    }
}

/// Printer / outbox state for the clerk screen, shown in the screen's language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutputStatus {
    pub printer: Msg,
    pub outbox: Msg,
}

/// The output layer as the session sees it. `deliver` may block (a print job runs until the
/// printer reports it done), so the session calls it off the UI thread.
pub trait OutputPort: Send + Sync {
    fn offers(&self) -> Offers;
    /// A new 受付番号 for a visit on `today` (no personal data); once per visit, before the
    /// forms are filled.
    fn new_receipt_id(&self, today: NaiveDate) -> Result<String, DeliveryError>;
    /// A fresh idempotency key for one submission (the back office's API says its form).
    fn new_idempotency_key(&self) -> String;
    fn deliver(&self, visit: &ConfirmedVisit, action: OutputAction) -> Result<Receipt, DeliveryError>;
    /// Must be cheap: the screen asks on every repaint.
    fn status(&self) -> OutputStatus;
    /// The visit ended: drop anything kept of it for a retry.
    fn forget(&self) {}
    /// Called while the kiosk waits on the start screen: delete what is past its retention
    /// (export spool, outbox) even when nobody is served for days. Cheap when not due.
    fn housekeeping(&self) {}
    /// Print a sheet with no personal data (the card status's 手続き案内) and wait for it.
    fn print_sheet(&self, pdf: &[u8], job_name: &str) -> Result<(), DeliveryError>;
}

/// A staff action worth a line in the journal (no personal data, never the PIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClerkEvent {
    Unlocked,
    Locked,
    /// Relocked by itself: a new resident's session, or no clerk activity for a while.
    Relocked,
    WrongPin {
        failures: u32,
    },
    /// Too many wrong staff PINs: no more tries until the lockout ends.
    LockedOut {
        failures: u32,
        seconds: u64,
    },
    AllowedLastTry,
    /// A clerk read the card with 照合番号B instead of the resident's PIN.
    UsedPinB,
    Corrected {
        name: bool,
        address: bool,
    },
    Reprint,
}

/// The staff PIN's record of failures, kept across restarts (a restart must not reset a
/// lockout). `blocked_until` is wall-clock seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffPinRecord {
    pub failures: u32,
    pub blocked_until: i64,
}

/// The staff PIN and the clerk journal.
pub trait ClerkPort {
    /// Whether a staff PIN is configured at all.
    fn configured(&self) -> bool;
    fn verify(&self, pin: &str) -> bool;
    fn load(&self) -> StaffPinRecord;
    fn save(&self, record: &StaffPinRecord);
    fn journal(&self, event: ClerkEvent);
}

/// Where each finished visit's statistics go (the stats database; nothing when stats are
/// off). A [`crate::vocab::visit::Visit`] holds no personal data by construction.
pub trait VisitLog {
    /// Store the visit; a failure is logged by the implementation and never stops the kiosk.
    fn record(&self, visit: &crate::vocab::visit::Visit);
    /// Today's visits and how they ended, for the clerk panel (`None`: no store).
    fn today(&self, _day: NaiveDate) -> Option<crate::vocab::visit::DaySummary> {
        None
    }
}

/// Statistics off.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoVisitLog;

impl VisitLog for NoVisitLog {
    fn record(&self, _: &crate::vocab::visit::Visit) {}
}
