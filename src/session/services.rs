//! The edges the session calls for forms and output. The forms layer (issue 3) and the output
//! layer (issue 5) implement these traits; the session only knows these types.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::card::{CardAttributes, MyNumber};

use super::answers::Answers;

/// A procedure (手続き) the kiosk offers, e.g. 住民票の写しの交付申請.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureInfo {
    pub id: String,
    pub title_ja: String,
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
    pub kind: QuestionKind,
    pub required: bool,
}

/// What the forms layer needs to fill the chosen forms.
pub struct FillRequest<'a> {
    pub procedures: &'a [String],
    pub attributes: &'a CardAttributes,
    pub my_number: Option<&'a MyNumber>,
    pub answers: &'a Answers,
    /// The finger signature as PNG (RGBA, transparent background).
    pub signature_png: &'a [u8],
    /// Session-private directory; the session deletes it at the end of the session.
    pub work_dir: &'a Path,
}

/// One filled form: the PDF and a preview image per page (PNG), all inside `work_dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedForm {
    pub title_ja: String,
    pub pdf: PathBuf,
    pub page_previews: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormError {
    #[error("form rendering is not wired into this build yet / 書類の作成機能がまだ接続されていません")]
    NotWired,
    #[error("a form could not be filled: {0} / 書類を作成できませんでした")]
    Fill(String),
}

impl FormError {
    pub fn message_ja(&self) -> String {
        match self {
            FormError::NotWired => "書類の作成機能がまだ接続されていません(デモ)。職員にお声がけください。".into(),
            FormError::Fill(_) => "書類を作成できませんでした。職員にお声がけください。".into(),
        }
    }
}

/// The forms layer as the session sees it.
pub trait FormService {
    fn procedures(&self) -> Vec<ProcedureInfo>;
    /// The life-event guide: a few touch questions …
    fn guide_questions(&self) -> Vec<Question>;
    /// … and the procedures they lead to.
    fn guide_result(&self, answers: &Answers) -> Vec<String>;
    /// Whether any chosen form legally needs the 個人番号 (read it only then).
    fn needs_my_number(&self, procedures: &[String]) -> bool;
    /// Questions the card cannot answer, for the review screen.
    fn questions(&self, procedures: &[String]) -> Vec<Question>;
    /// Fill and render the forms (PDF + page previews) into `req.work_dir`.
    fn render(&self, req: &FillRequest<'_>) -> Result<Vec<RenderedForm>, FormError>;
}

/// What the resident chose on the confirm screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputAction {
    Print,
    Send,
}

/// Proof of delivery shown on the done screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub number: String,
    /// Text encoded in the QR code (no personal data).
    pub qr_payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OutputError {
    #[error("output is not wired into this build yet / 出力機能がまだ接続されていません")]
    NotWired,
    #[error("the printer failed: {0} / 印刷できませんでした")]
    Printer(String),
    #[error("sending failed: {0} / 送信できませんでした")]
    Send(String),
}

impl OutputError {
    pub fn message_ja(&self) -> String {
        match self {
            OutputError::NotWired => "印刷・送信の機能がまだ接続されていません(デモ)。職員にお声がけください。".into(),
            OutputError::Printer(_) => "印刷できませんでした。職員にお声がけください。".into(),
            OutputError::Send(_) => "送信できませんでした。職員にお声がけください。".into(),
        }
    }
}

/// Printer / outbox state for the clerk screen, in plain Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutputStatus {
    pub printer_ja: String,
    pub outbox_ja: String,
}

/// The output layer as the session sees it.
pub trait OutputService {
    fn can_print(&self) -> bool;
    fn can_send(&self) -> bool;
    fn deliver(&self, forms: &[RenderedForm], action: OutputAction) -> Result<Receipt, OutputError>;
    fn status(&self) -> OutputStatus;
}

/// Stand-in until the output layer is merged: offers both actions and answers every one with
/// [`OutputError::NotWired`], so the demo stops honestly at the confirm step.
#[derive(Debug, Default, Clone, Copy)]
pub struct NotWiredOutput;

impl OutputService for NotWiredOutput {
    fn can_print(&self) -> bool {
        true
    }
    fn can_send(&self) -> bool {
        true
    }
    fn deliver(&self, _: &[RenderedForm], _: OutputAction) -> Result<Receipt, OutputError> {
        Err(OutputError::NotWired)
    }
    fn status(&self) -> OutputStatus {
        OutputStatus {
            printer_ja: "未接続(出力機能の組み込み待ち)".into(),
            outbox_ja: "未接続(出力機能の組み込み待ち)".into(),
        }
    }
}
