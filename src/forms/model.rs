//! Template model: what an administrator writes in `assets/templates/*.toml`.
//! The JSON Schema in `assets/schema/template.schema.json` is generated from these types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::i18n::Text;
pub use crate::vocab::Choice;

/// One municipal paper form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// ASCII id, e.g. `juminhyo-request`; also the file stem.
    pub id: String,
    /// Bump when the paper form changes.
    pub version: u32,
    pub title: Text,
    /// Page size and orientation; every page of the form uses it.
    #[serde(default)]
    pub page: PageSetup,
    /// Default font family for printed values.
    #[serde(default)]
    pub font: FontFamily,
    /// Optional official PDF (path relative to the template file) printed underneath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_pdf: Option<String>,
    /// The base PDF's bytes, read by the catalog loader.
    #[serde(skip)]
    #[schemars(skip)]
    pub base_pdf_data: Option<std::sync::Arc<Vec<u8>>>,
    /// Input, card and computed fields.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Repeated rows (household members, children): expanded when the template is loaded into
    /// ordinary fields `{group}{n}_{field}` that are asked and printed only when the group's
    /// count is at least `n`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    /// Legal and consistency rules checked before printing.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Static drawing: labels, lines, boxes and tables, per page.
    #[serde(default)]
    pub layout: Vec<Static>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageSetup {
    #[serde(default)]
    pub orientation: Orientation,
    /// Number of pages (default 1).
    #[serde(default = "one")]
    pub pages: u32,
}

impl Default for PageSetup {
    fn default() -> Self {
        PageSetup { orientation: Orientation::Portrait, pages: 1 }
    }
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    #[default]
    Portrait,
    Landscape,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FontFamily {
    /// 明朝 (IPAex Mincho by default).
    #[default]
    Mincho,
    /// ゴシック (IPAex Gothic by default).
    Gothic,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The resident answers on the touch screen.
    Answer,
    /// 券面事項: the card's registered name.
    CardName,
    /// The card's registered address: for 転入・転居 this is the OLD address.
    CardAddress,
    CardBirthDate,
    CardSex,
    /// 個人番号: read from the card only when some form of the visit declares it.
    CardMyNumber,
    /// Session date (the day of the visit).
    Today,
    /// Receipt number of the visit.
    ReceiptId,
    /// Age in full years on the session date, from the card's birth date.
    Age,
    /// Municipality name from the kiosk configuration.
    Municipality,
    /// The `value` of the field itself.
    Constant,
}

impl Source {
    pub fn is_card(self) -> bool {
        matches!(
            self,
            Source::CardName | Source::CardAddress | Source::CardBirthDate | Source::CardSex | Source::CardMyNumber
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// ふりがな / フリガナ: kana only.
    Kana,
    Choice,
    Date,
    Count,
    Checkbox,
    Phone,
    Signature,
}

/// Character classes a text answer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CharClass {
    Kanji,
    Hiragana,
    Katakana,
    Digit,
    Latin,
    Space,
    Symbol,
}

/// A condition on another field's answer. With both `in` and `at_least`, both must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    pub field: String,
    /// The condition holds when the answer is one of these (checkbox: "true"/"false";
    /// choice: the chosen value; count: the number as text).
    #[serde(rename = "in", default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<String>,
    /// Count fields: the condition holds when the answer is at least this number (an
    /// unanswered count is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
}

/// Rows of a table that repeat, e.g. 異動する方 2–6 or 児童 1–3. The fields of one row are
/// written once, with the boxes of row `first`; row `n` is printed `step` mm further per row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Prefix of the generated field ids: field `name` of row 2 of group `member` is `member2_name`.
    pub id: String,
    /// Id of the count field (kind = "count") saying how many rows are used; its `max` must not
    /// exceed `last`.
    pub count: String,
    /// Number of the first generated row (2 when row 1 is the applicant, filled from the card).
    #[serde(default = "one")]
    pub first: u32,
    /// Number of the last row the paper form has.
    pub last: u32,
    /// Offset [dx, dy] in mm from one row to the next.
    pub step: [f32; 2],
    /// The fields of one row. `{n}` in labels and help is replaced by the row number. They may
    /// not have their own `when`: the row's condition is `count >= n`.
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub id: String,
    pub label: Text,
    pub kind: FieldKind,
    #[serde(default = "answer")]
    pub source: Source,
    #[serde(default)]
    pub required: bool,
    /// Only asked and printed when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chars: Vec<CharClass>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// For `source = "constant"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Help shown under the touch control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Where and how the value is printed (several places allowed, e.g. era/year/month/day).
    #[serde(default)]
    pub print: Vec<Placement>,
}

fn answer() -> Source {
    Source::Answer
}

impl Field {
    /// The question the kiosk asks for this field; `None` for signatures (the signature pad)
    /// and fields that are not answered.
    pub fn question(&self) -> Option<crate::vocab::Question> {
        use crate::vocab::{Question, QuestionKind};
        if self.source != Source::Answer {
            return None;
        }
        let kind = match self.kind {
            FieldKind::Choice => QuestionKind::Choice(self.choices.clone()),
            FieldKind::Checkbox => QuestionKind::YesNo,
            FieldKind::Count => QuestionKind::Count { min: self.min.unwrap_or(0), max: self.max.unwrap_or(99) },
            FieldKind::Date => QuestionKind::Date,
            FieldKind::Kana => QuestionKind::Kana { max_chars: self.max_len.map_or(40, |n| n as usize) },
            FieldKind::Text => QuestionKind::Text { max_chars: self.max_len.map_or(80, |n| n as usize) },
            FieldKind::Phone => QuestionKind::Phone,
            FieldKind::Signature => return None,
        };
        // A conditional field is asked only while its condition holds; whether it is then
        // required is the validator's business (`forms::validate`).
        Some(Question {
            id: self.id.clone(),
            label: self.label.clone(),
            help: self.help.clone().unwrap_or_default(),
            kind,
            required: self.required,
        })
    }
}

/// Which part of a value a placement prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    #[default]
    Whole,
    /// Dates: 元号 (令和), year within era (元 or 7), month, day; western year.
    Era,
    EraYear,
    Year,
    Month,
    Day,
    /// Addresses: 都道府県 / 市区町村 / 町域・番地以降.
    Prefecture,
    City,
    Town,
    /// Sex: 1/2/9/0 code instead of 男/女.
    Code,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// 令和7年5月1日 (和暦, 元年 for the first year).
    #[default]
    Wareki,
    /// 2025年5月1日.
    Seireki,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Digits {
    /// Digits as given.
    #[default]
    Keep,
    /// 全角 ０-９.
    Full,
    /// 半角 0-9.
    Half,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// ✓ drawn with lines.
    #[default]
    Check,
    /// ○ drawn around the box (丸で囲む).
    Circle,
}

/// One printed position of a field value; all lengths in millimetres from the top-left corner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// 1-based page number.
    #[serde(default = "one")]
    pub page: u32,
    /// [x, y, width, height] in mm.
    #[serde(rename = "box")]
    pub rect: [f32; 4],
    #[serde(default)]
    pub part: Part,
    /// Font size in points.
    #[serde(default = "default_size")]
    pub size: f32,
    /// Smallest size shrink-to-fit may use (default: `size`, i.e. no shrinking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<f32>,
    #[serde(default)]
    pub align: Align,
    /// Wrap onto several lines when shrinking alone is not enough.
    #[serde(default)]
    pub wrap: bool,
    /// One character per cell: the box is split into this many equal cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<FontFamily>,
    #[serde(default)]
    pub date: DateStyle,
    #[serde(default)]
    pub digits: Digits,
    /// Choice / checkbox: mark this box when the answer is (or includes) this value
    /// ("true" for a checkbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_if: Option<String>,
    #[serde(default)]
    pub mark: Mark,
    /// Text printed before / after the value (e.g. "第" … "号").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Draw a QR code of the value instead of text (receipt id).
    #[serde(default)]
    pub qr: bool,
}

fn default_size() -> f32 {
    10.5
}

/// Rules encode the legal constraints of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub kind: RuleKind,
    /// The rule applies only when this holds (always, without `when`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    /// Fields the rule applies to.
    pub fields: Vec<String>,
    /// Plain-Japanese message for the resident / clerk, English for logs.
    pub message: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// The fields must not be answered / printed (e.g. 個人番号 for a third party).
    Forbid,
    /// The fields must be answered (e.g. 委任状 for a proxy).
    Require,
    /// At least one of the fields must be answered; a count must be more than 0 (e.g. 通数 of
    /// at least one kind of certificate).
    RequireAny,
}

/// Static drawing on the form, in mm from the top-left corner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Static {
    Text {
        #[serde(default = "one")]
        page: u32,
        at: [f32; 2],
        text: String,
        #[serde(default = "default_size")]
        size: f32,
        #[serde(default)]
        font: Option<FontFamily>,
    },
    Line {
        #[serde(default = "one")]
        page: u32,
        from: [f32; 2],
        to: [f32; 2],
        #[serde(default = "thin")]
        width: f32,
    },
    /// Rectangle [x, y, w, h].
    Box {
        #[serde(default = "one")]
        page: u32,
        #[serde(rename = "box")]
        rect: [f32; 4],
        #[serde(default = "thin")]
        width: f32,
    },
    /// Grid table: column widths and row heights in mm, starting at `at`; optional cell labels.
    Table {
        #[serde(default = "one")]
        page: u32,
        at: [f32; 2],
        cols: Vec<f32>,
        rows: Vec<f32>,
        /// Labels as (row, col, text), 0-based.
        #[serde(default)]
        labels: Vec<CellLabel>,
        #[serde(default = "label_size")]
        size: f32,
        #[serde(default = "thin")]
        width: f32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CellLabel {
    pub row: u32,
    pub col: u32,
    pub text: String,
}

fn thin() -> f32 {
    0.3
}
fn label_size() -> f32 {
    8.0
}

/// A4 in mm for the orientation.
pub fn page_size_mm(o: Orientation) -> (f32, f32) {
    match o {
        Orientation::Portrait => (210.0, 297.0),
        Orientation::Landscape => (297.0, 210.0),
    }
}
