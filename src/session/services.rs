//! The edges the session calls for forms and output. The forms layer (issue 3) and the output
//! layer (issue 5) implement these traits; the session only knows these types.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::card::{CardAttributes, MyNumber, SecretString};
use crate::i18n::{Arg, Msg};
pub use crate::output::payload::DeclaredCard;

use super::answers::Answers;

/// A procedure (手続き) the kiosk offers, e.g. 住民票の写しの交付申請.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureInfo {
    pub id: String,
    pub title_ja: String,
    /// English title from the template catalogue; empty = show the Japanese.
    pub title_en: String,
    /// Category heading on the procedure screen (証明書, 引っ越し, …).
    pub category_ja: String,
    /// Icon key known to the UI (`certificate`, `moving`, `family`, `seal`, `tax`, `other`).
    pub icon: String,
}

/// One choice of a [`QuestionKind::Choice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub label_ja: String,
    /// Empty = show the Japanese.
    pub label_en: String,
}

/// The touch control a question needs. Free text only where it is unavoidable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    Choice(Vec<Choice>),
    YesNo,
    Count {
        min: u32,
        max: u32,
    },
    Date,
    /// Reading of a name etc.: the kana keyboard.
    Kana {
        max_chars: usize,
    },
    /// Text that is not only kana (本籍, a phone number …). Shown with the same on-screen
    /// keyboard; a clerk types it in clerk mode. Only the length is checked here; the forms
    /// layer checks character classes.
    Text {
        max_chars: usize,
    },
}

/// A question the resident answers on the review screen or in the guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub label_ja: String,
    /// Empty = show the Japanese.
    pub label_en: String,
    /// A hint under the control (the template's `help`); empty = none.
    pub help_ja: String,
    pub help_en: String,
    pub kind: QuestionKind,
    pub required: bool,
}

/// What the forms layer needs to fill the chosen forms.
pub struct FillRequest<'a> {
    pub procedures: &'a [String],
    pub attributes: &'a CardAttributes,
    pub my_number: Option<&'a MyNumber>,
    pub answers: &'a Answers,
    /// The life-event guide's answers, when the guide chose the procedures (for the 手続き案内).
    pub guide: Option<&'a Answers>,
    /// The finger signature as PNG (RGBA, transparent background).
    pub signature_png: &'a [u8],
    /// 受付番号 of this visit: printed on the forms and in their QR code.
    pub receipt_id: &'a str,
    /// Session-private directory; the session deletes it at the end of the session.
    pub work_dir: &'a Path,
}

/// One filled form: the PDF and a preview image per page (PNG), all inside `work_dir`, and
/// what the back office gets for it.
#[derive(Debug, Clone)]
pub struct RenderedForm {
    pub form_id: String,
    pub template_version: String,
    /// The chosen procedure this form belongs to (the first that lists it).
    pub procedure_id: String,
    pub title_ja: String,
    pub pdf: PathBuf,
    pub page_previews: Vec<PathBuf>,
    /// Printed values by field id, in template order (personal: zeroized, Debug redacted).
    pub values: Vec<(String, SecretString)>,
    /// Which card attributes this form declares (its submission carries only those).
    pub declares: CardFields,
}

/// A set of card attributes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CardFields {
    pub name: bool,
    pub address: bool,
    pub birth_date: bool,
    pub sex: bool,
    pub my_number: bool,
}

impl CardFields {
    pub fn union(self, o: CardFields) -> CardFields {
        CardFields {
            name: self.name || o.name,
            address: self.address || o.address,
            birth_date: self.birth_date || o.birth_date,
            sex: self.sex || o.sex,
            my_number: self.my_number || o.my_number,
        }
    }

    /// Keep only these attributes of `card`.
    pub fn select(self, card: &DeclaredCard) -> DeclaredCard {
        DeclaredCard {
            name: card.name.clone().filter(|_| self.name),
            address: card.address.clone().filter(|_| self.address),
            birth_date: card.birth_date.filter(|_| self.birth_date),
            sex: card.sex.filter(|_| self.sex),
            my_number: card.my_number.clone().filter(|_| self.my_number),
        }
    }
}

/// The printable 手続き案内 the guide produced.
#[derive(Debug, Clone)]
pub struct GuideSheet {
    pub pdf: PathBuf,
    pub page_previews: Vec<PathBuf>,
}

/// Everything rendering produced for one visit.
#[derive(Debug, Clone, Default)]
pub struct RenderedVisit {
    pub forms: Vec<RenderedForm>,
    /// Every form (and the guide sheet) in one PDF: one print job per visit.
    pub print_pdf: Option<PathBuf>,
    pub guide: Option<GuideSheet>,
    /// The card attributes the forms of the visit declared, together; each submission
    /// narrows them to its own forms' [`RenderedForm::declares`].
    pub card: DeclaredCard,
}

/// A confirmed visit as the output layer gets it.
#[derive(Clone)]
pub struct Visit {
    pub receipt_id: String,
    /// When the resident confirmed (rendered) the forms.
    pub created: DateTime<Utc>,
    pub rendered: RenderedVisit,
    pub signature_png: Zeroizing<Vec<u8>>,
    /// One idempotency key per procedure, fixed when the forms are rendered, so that 送信
    /// pressed again after an error never doubles a submission.
    pub keys: Vec<(String, String)>,
}

impl std::fmt::Debug for Visit {
    // The signature image is personal: only its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visit")
            .field("receipt_id", &self.receipt_id)
            .field("rendered", &self.rendered)
            .field("signature_bytes", &self.signature_png.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormError {
    #[error("form rendering is not wired into this build yet / 書類の作成機能がまだ接続されていません")]
    NotWired,
    #[error("a form could not be filled: {0} / 書類を作成できませんでした")]
    Fill(String),
    /// Answers or card data a form refuses (e.g. a 外字 the font cannot draw): the clerk is
    /// shown which field and why (the messages never quote the value).
    #[error("a form refused its data: {en} / 書類に書けない内容があります: {ja}")]
    Invalid { ja: String, en: String },
}

impl FormError {
    pub fn message_ja(&self) -> String {
        self.message().ja()
    }

    pub fn message(&self) -> Msg {
        match self {
            FormError::NotWired => Msg::new("書類の作成機能がまだ接続されていません(デモ)。職員にお声がけください。"),
            FormError::Fill(_) => Msg::new("書類を作成できませんでした。職員にお声がけください。"),
            FormError::Invalid { ja, en } => Msg::new("書類を作成できませんでした。職員にお声がけください。({})")
                .arg(Arg::Text { ja: ja.clone(), en: en.clone() }),
        }
    }
}

/// The forms layer as the session sees it.
pub trait FormService {
    fn procedures(&self) -> Vec<ProcedureInfo>;
    /// The life-event guide: a few touch questions (given the answers so far: the chosen life
    /// event decides which follow) …
    fn guide_questions(&self, answers: &Answers) -> Vec<Question>;
    /// … and the procedures they lead to.
    fn guide_result(&self, answers: &Answers) -> Vec<String>;
    /// Whether any chosen form legally needs the 個人番号 (read it only then).
    fn needs_my_number(&self, procedures: &[String]) -> bool;
    /// Questions the card cannot answer, for the review screen.
    fn questions(&self, procedures: &[String]) -> Vec<Question>;
    /// The questions to show given the answers so far (e.g. the rows of a household table
    /// appear as the count grows). By default all of them.
    fn active_questions(&self, procedures: &[String], _answers: &Answers) -> Vec<Question> {
        self.questions(procedures)
    }
    /// Fill and render the forms (PDF + page previews) into `req.work_dir`.
    fn render(&self, req: &FillRequest<'_>) -> Result<RenderedVisit, FormError>;
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
pub enum OutputError {
    #[error("output is not wired into this build yet / 出力機能がまだ接続されていません")]
    NotWired,
    /// `detail` is for logs (English + Japanese); `message` for the screen.
    #[error("the printer failed: {detail}")]
    Printer { detail: String, message: Msg },
    #[error("the submission could not be stored: {detail}")]
    Send { detail: String, message: Msg },
}

impl OutputError {
    pub fn message_ja(&self) -> String {
        self.message().ja()
    }

    pub fn message(&self) -> Msg {
        match self {
            OutputError::NotWired => {
                Msg::new("印刷・送信の機能がまだ接続されていません(デモ)。職員にお声がけください。")
            }
            OutputError::Printer { message, .. } | OutputError::Send { message, .. } => {
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
pub trait OutputService: Send + Sync {
    fn can_print(&self) -> bool;
    fn can_send(&self) -> bool;
    /// A new 受付番号 (no personal data); called once per visit, before the forms are filled.
    fn new_receipt_id(&self) -> Result<String, OutputError>;
    fn deliver(&self, visit: &Visit, action: OutputAction) -> Result<Receipt, OutputError>;
    /// Must be cheap: the screen asks on every repaint.
    fn status(&self) -> OutputStatus;
}

/// Stand-in when no output layer is available: offers both actions and answers every one with
/// [`OutputError::NotWired`].
#[derive(Debug, Default, Clone, Copy)]
pub struct NotWiredOutput;

impl OutputService for NotWiredOutput {
    fn can_print(&self) -> bool {
        true
    }
    fn can_send(&self) -> bool {
        true
    }
    fn new_receipt_id(&self) -> Result<String, OutputError> {
        Ok(chrono::Local::now().format("%Y%m%d-%H%M%S").to_string())
    }
    fn deliver(&self, _: &Visit, _: OutputAction) -> Result<Receipt, OutputError> {
        Err(OutputError::NotWired)
    }
    fn status(&self) -> OutputStatus {
        OutputStatus { printer: Msg::new("未接続"), outbox: Msg::new("未接続") }
    }
}
