//! Template loading and checking. Every problem is reported with file:line:column, what is
//! wrong and how to fix it, in English and Japanese (administrators read these in `forms check`).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use super::groups::{GroupProblem, MAX_ROWS, expand};
use super::model::{FieldKind, Part, Source, Static, Template, When, page_size_mm};

/// Caps on what a template may ask of the kiosk (a broken or hostile file must not stall or
/// exhaust it at render time). The shipped templates are 5–15 KiB with 1 page, ≤ 120 fields
/// after group expansion, and no base PDF.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;
pub const MAX_PAGES: u32 = 20;
pub const MAX_FIELDS: usize = 1000;
pub const MAX_BASE_PDF_BYTES: u64 = 20 * 1024 * 1024;

/// One problem in a template file.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub problem: TemplateProblem,
}

/// What is wrong; `Display` of [`TemplateError`] adds how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateProblem {
    Io(String),
    Syntax(String),
    BadId(String),
    DuplicateField(String),
    UnknownField(String),
    MissingChoices(String),
    UnknownChoice {
        field: String,
        value: String,
    },
    ConstantWithoutValue(String),
    PartNotApplicable {
        field: String,
        part: &'static str,
    },
    OutsidePage {
        field: String,
    },
    BadPage {
        page: u32,
        pages: u32,
    },
    BadSize(String),
    SignatureNotAnswer(String),
    HonsekiFromCard(String),
    /// The same answer id is declared differently in two templates; `other` names the file of
    /// the first declaration, `what` the difference ("kind", "source" or "choices").
    ConflictingField {
        field: String,
        other: String,
        what: &'static str,
    },
    /// A `when` with neither `in` nor `at_least`.
    EmptyWhen(String),
    /// `at_least` on a field that is not a count.
    AtLeastNotCount(String),
    Group(GroupProblem),
    /// Over one of the caps above: `what` is "file bytes", "pages", "fields" or "base_pdf bytes".
    TooLarge {
        what: &'static str,
        limit: u64,
    },
    /// The base PDF cannot be parsed, or has fewer pages than `page.pages`.
    BadBasePdf(String),
}

impl TemplateProblem {
    fn en(&self) -> String {
        match self {
            TemplateProblem::Io(e) => format!("cannot read the file: {e}"),
            TemplateProblem::Syntax(m) => format!("TOML syntax or type error: {m}"),
            TemplateProblem::BadId(id) => format!("template id {id:?} must be ASCII letters, digits or '-'"),
            TemplateProblem::DuplicateField(id) => format!("field id {id:?} is used twice"),
            TemplateProblem::UnknownField(id) => format!("{id:?} does not name a field of this template"),
            TemplateProblem::MissingChoices(id) => format!("field {id:?} is a choice but has no `choices`"),
            TemplateProblem::UnknownChoice { field, value } => format!("field {field:?} has no choice {value:?}"),
            TemplateProblem::ConstantWithoutValue(id) => {
                format!("field {id:?} has source = \"constant\" but no `value`")
            }
            TemplateProblem::PartNotApplicable { field, part } => {
                format!("part {part:?} does not apply to field {field:?}")
            }
            TemplateProblem::OutsidePage { field } => format!("a box of {field:?} lies outside the A4 page"),
            TemplateProblem::BadPage { page, pages } => format!("page {page} but the form has {pages} page(s)"),
            TemplateProblem::BadSize(id) => format!("font size of {id:?} must be > 0 and min_size <= size"),
            TemplateProblem::SignatureNotAnswer(id) => format!("signature field {id:?} must have source = \"answer\""),
            TemplateProblem::HonsekiFromCard(id) => {
                format!("field {id:?} (本籍/筆頭者) is not on the card; it must be an answer")
            }
            TemplateProblem::ConflictingField { field, other, what } => format!(
                "field {field:?} is declared with a different {what} here than in {other}; one answer feeds every form of a visit, so a shared id must mean the same everywhere"
            ),
            TemplateProblem::EmptyWhen(id) => format!("the `when` of {id:?} has neither `in` nor `at_least`"),
            TemplateProblem::AtLeastNotCount(id) => format!("`at_least` refers to {id:?}, which is not a count field"),
            TemplateProblem::TooLarge { what, limit } => format!("too large: more than {limit} {what}"),
            TemplateProblem::BadBasePdf(why) => format!("base_pdf: {why}"),
            TemplateProblem::Group(g) => match g {
                GroupProblem::NoCountField { group, count } => {
                    format!("group {group:?}: count {count:?} is not a count field of this template")
                }
                GroupProblem::BadRows { group } => {
                    format!("group {group:?}: rows must satisfy 1 <= first <= last < first + {MAX_ROWS}")
                }
                GroupProblem::CountAboveRows { group, count, last } => {
                    format!("group {group:?}: the max of {count:?} must be set and at most last = {last}")
                }
                GroupProblem::WhenInGroup { group, field } => {
                    format!("group {group:?}: field {field:?} may not have its own `when`")
                }
            },
        }
    }
    fn ja(&self) -> &'static str {
        match self {
            TemplateProblem::Io(_) => "ファイルを読めません",
            TemplateProblem::Syntax(_) => "TOML の書き方または値の種類が正しくありません",
            TemplateProblem::BadId(_) => "テンプレートIDは半角英数字と - だけにしてください",
            TemplateProblem::DuplicateField(_) => "項目IDが重複しています",
            TemplateProblem::UnknownField(_) => "存在しない項目IDを参照しています",
            TemplateProblem::MissingChoices(_) => "選択肢(choices)がありません",
            TemplateProblem::UnknownChoice { .. } => "選択肢にない値です",
            TemplateProblem::ConstantWithoutValue(_) => "固定値(constant)なのに value がありません",
            TemplateProblem::PartNotApplicable { .. } => "この項目には使えない part です",
            TemplateProblem::OutsidePage { .. } => "印字位置が用紙(A4)の外です",
            TemplateProblem::BadPage { .. } => "ページ番号が用紙の枚数を超えています",
            TemplateProblem::BadSize(_) => "文字サイズが正しくありません",
            TemplateProblem::SignatureNotAnswer(_) => "署名欄は source = \"answer\" にしてください",
            TemplateProblem::HonsekiFromCard(_) => "本籍・筆頭者はカードに記録されていません",
            TemplateProblem::ConflictingField { .. } => {
                "同じ項目IDが別の様式で違う種類・選択肢になっています（回答はIDで共有され、キオスクでは一度だけ質問します）"
            }
            TemplateProblem::EmptyWhen(_) => "when に in も at_least もありません",
            TemplateProblem::AtLeastNotCount(_) => "at_least は数(count)の項目にだけ使えます",
            TemplateProblem::TooLarge { .. } => "テンプレートが大きすぎます(上限を超えています)",
            TemplateProblem::BadBasePdf(_) => "台紙の PDF(base_pdf)を読めないか、ページが足りません",
            TemplateProblem::Group(g) => match g {
                GroupProblem::NoCountField { .. } => "繰り返し行(groups)の count が数(count)の項目ではありません",
                GroupProblem::BadRows { .. } => "繰り返し行の first / last が正しくありません",
                GroupProblem::CountAboveRows { .. } => "人数の上限(max)が用紙の行数(last)を超えています",
                GroupProblem::WhenInGroup { .. } => "繰り返し行の項目には when を書けません",
            },
        }
    }
    fn fix(&self) -> &'static str {
        match self {
            TemplateProblem::Io(_) => "check the path and permissions / パスと権限を確認してください",
            TemplateProblem::Syntax(_) => {
                "fix the line shown; see packaging/docs/templates.ja.md / 表示された行を直してください (templates.ja.md 参照)"
            }
            TemplateProblem::BadId(_) => "rename the id, e.g. \"juminhyo-request\" / 例: \"juminhyo-request\"",
            TemplateProblem::DuplicateField(_) => "give each field its own id / 項目ごとに別のIDを付けてください",
            TemplateProblem::UnknownField(_) => {
                "use an id defined in [[fields]] / [[fields]] で定義したIDを書いてください"
            }
            TemplateProblem::MissingChoices(_) => {
                "add choices = [{ value = \"...\", label = { ja = \"...\" } }] / choices を追加してください"
            }
            TemplateProblem::UnknownChoice { .. } => {
                "use one of the field's choice values / choices の value を書いてください"
            }
            TemplateProblem::ConstantWithoutValue(_) => "add value = \"...\" / value を追加してください",
            TemplateProblem::PartNotApplicable { .. } => {
                "era/era_year/year/month/day only for dates, prefecture/city/town only for addresses, code only for sex / part を見直してください"
            }
            TemplateProblem::OutsidePage { .. } => {
                "keep x+width <= 210 and y+height <= 297 mm (portrait) / 用紙内に収めてください"
            }
            TemplateProblem::BadPage { .. } => "raise page.pages or use a smaller page / page.pages を増やしてください",
            TemplateProblem::BadSize(_) => "use e.g. size = 10.5, min_size = 7 / 例: size = 10.5, min_size = 7",
            TemplateProblem::ConflictingField { .. } => {
                "use the same kind, source and choices (values and labels, in the same order) in both templates, or rename one id / 両方の様式で種類・選択肢（値・表示・順番）をそろえるか、IDを変えてください"
            }
            TemplateProblem::EmptyWhen(_) => {
                "add in = [\"...\"] or at_least = N / in = [\"...\"] か at_least = N を書いてください"
            }
            TemplateProblem::AtLeastNotCount(_) => "use in = [...] instead / in = [...] を使ってください",
            TemplateProblem::TooLarge { .. } => {
                "split the form into several templates, or shrink the base PDF / 様式を分けるか、台紙の PDF を小さくしてください"
            }
            TemplateProblem::BadBasePdf(_) => {
                "save the base PDF again (PDF 1.4–1.7) with at least page.pages pages / page.pages 以上のページがある PDF で保存し直してください"
            }
            TemplateProblem::Group(g) => match g {
                GroupProblem::NoCountField { .. } => {
                    "add a field with kind = \"count\" outside the group and name it in `count` / kind = \"count\" の項目を作り count に書いてください"
                }
                GroupProblem::BadRows { .. } => "e.g. first = 2, last = 6 / 例: first = 2, last = 6",
                GroupProblem::CountAboveRows { .. } => {
                    "set max of the count field to at most `last` / count の項目の max を last 以下にしてください"
                }
                GroupProblem::WhenInGroup { .. } => {
                    "remove `when`; a row is used when the count reaches its number / when を消してください（行は人数で決まります）"
                }
            },
            TemplateProblem::SignatureNotAnswer(_) | TemplateProblem::HonsekiFromCard(_) => {
                "set source = \"answer\" / source = \"answer\" にしてください"
            }
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} / {}\n  how to fix / 直し方: {}",
            self.file.display(),
            self.line,
            self.column,
            self.problem.en(),
            self.problem.ja(),
            self.problem.fix()
        )
    }
}

impl std::error::Error for TemplateError {}

/// Load and check one template file.
pub fn load_template(path: &Path) -> Result<Template, Vec<TemplateError>> {
    let text = read_template_text(path).map_err(|e| vec![e])?;
    parse_template(&text, path)
}

/// A template file's text, refused before reading when it is over [`MAX_TEMPLATE_BYTES`].
pub fn read_template_text(path: &Path) -> Result<String, TemplateError> {
    let at_start = |problem| TemplateError { file: path.into(), line: 1, column: 1, problem };
    let len = std::fs::metadata(path).map_err(|e| at_start(TemplateProblem::Io(e.kind().to_string())))?.len();
    if len > MAX_TEMPLATE_BYTES {
        return Err(at_start(TemplateProblem::TooLarge { what: "file bytes", limit: MAX_TEMPLATE_BYTES }));
    }
    std::fs::read_to_string(path).map_err(|e| at_start(TemplateProblem::Io(e.kind().to_string())))
}

/// The base PDF `rel` (relative to the template file `file`), read and parsed now so a
/// broken one is the administrator's error at load, not the resident's at the counter.
pub fn load_base_pdf(file: &Path, rel: &str, pages: u32) -> Result<Vec<u8>, TemplateProblem> {
    let p = file.parent().unwrap_or(Path::new(".")).join(rel);
    let io = |e: std::io::Error| TemplateProblem::Io(format!("base_pdf {}: {}", p.display(), e.kind()));
    if std::fs::metadata(&p).map_err(io)?.len() > MAX_BASE_PDF_BYTES {
        return Err(TemplateProblem::TooLarge { what: "base_pdf bytes", limit: MAX_BASE_PDF_BYTES });
    }
    let bytes = std::fs::read(&p).map_err(io)?;
    let doc = lopdf::Document::load_mem(&bytes).map_err(|e| TemplateProblem::BadBasePdf(e.to_string()))?;
    let has = doc.get_pages().len();
    if has < pages.max(1) as usize {
        return Err(TemplateProblem::BadBasePdf(format!("{has} page(s), page.pages = {pages}")));
    }
    Ok(bytes)
}

/// Parse and check template text; `file` names it in errors.
pub fn parse_template(text: &str, file: &Path) -> Result<Template, Vec<TemplateError>> {
    let mut t: Template = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        vec![TemplateError {
            file: file.into(),
            line,
            column,
            problem: TemplateProblem::Syntax(e.message().to_string()),
        }]
    })?;
    let mut errors: Vec<TemplateError> = expand(&mut t)
        .into_iter()
        .map(|g| {
            let needle = match &g {
                GroupProblem::NoCountField { group, .. }
                | GroupProblem::BadRows { group }
                | GroupProblem::CountAboveRows { group, .. } => group.clone(),
                GroupProblem::WhenInGroup { field, .. } => field.clone(),
            };
            let (line, column) = locate(text, &needle);
            TemplateError { file: file.into(), line, column, problem: TemplateProblem::Group(g) }
        })
        .collect();
    errors.extend(check(&t, text, file));
    if errors.is_empty() { Ok(t) } else { Err(errors) }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// Position of the first `"needle"` (quoted) in the text, as a best-effort location for
/// semantic errors (serde gives spans only for syntax errors). A field generated from a group
/// (`member3_name`) is found by its id inside the group (`name`).
pub(crate) fn locate(text: &str, needle: &str) -> (usize, usize) {
    let find = |n: &str| text.find(&format!("\"{n}\"")).map(|o| line_col(text, o));
    find(needle).or_else(|| needle.split_once('_').and_then(|(_, short)| find(short))).unwrap_or((1, 1))
}

fn check(t: &Template, text: &str, file: &Path) -> Vec<TemplateError> {
    let mut errs = Vec::new();
    let mut err = |at: &str, problem: TemplateProblem| {
        let (line, column) = locate(text, at);
        errs.push(TemplateError { file: file.into(), line, column, problem });
    };
    if t.id.is_empty() || !t.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        err(&t.id, TemplateProblem::BadId(t.id.clone()));
    }
    let (pw, ph) = page_size_mm(t.page.orientation);
    if t.page.pages > MAX_PAGES {
        err("pages", TemplateProblem::TooLarge { what: "pages", limit: u64::from(MAX_PAGES) });
    }
    if t.fields.len() > MAX_FIELDS {
        err("fields", TemplateProblem::TooLarge { what: "fields", limit: MAX_FIELDS as u64 });
    }
    let pages = t.page.pages.max(1);
    let mut ids = HashSet::new();
    for f in &t.fields {
        if !ids.insert(f.id.as_str()) {
            err(&f.id, TemplateProblem::DuplicateField(f.id.clone()));
        }
    }
    let known = |id: &str| t.fields.iter().any(|f| f.id == id);
    let check_when = |owner: &str, w: &When, err: &mut dyn FnMut(&str, TemplateProblem)| {
        let target = t.fields.iter().find(|f| f.id == w.field);
        if target.is_none() {
            err(&w.field, TemplateProblem::UnknownField(w.field.clone()));
        }
        if w.any_of.is_empty() && w.at_least.is_none() {
            err(&w.field, TemplateProblem::EmptyWhen(owner.to_string()));
        }
        if w.at_least.is_some() && target.is_some_and(|f| f.kind != FieldKind::Count) {
            err(&w.field, TemplateProblem::AtLeastNotCount(w.field.clone()));
        }
    };
    for f in &t.fields {
        if let Some(w) = &f.when {
            check_when(&f.id, w, &mut err);
        }
        let is_choice = f.kind == FieldKind::Choice;
        if is_choice && f.choices.is_empty() {
            err(&f.id, TemplateProblem::MissingChoices(f.id.clone()));
        }
        if f.source == Source::Constant && f.value.is_none() {
            err(&f.id, TemplateProblem::ConstantWithoutValue(f.id.clone()));
        }
        if f.kind == FieldKind::Signature && f.source != Source::Answer {
            err(&f.id, TemplateProblem::SignatureNotAnswer(f.id.clone()));
        }
        if (f.id.contains("honseki") || f.id.contains("hittousha")) && f.source != Source::Answer {
            err(&f.id, TemplateProblem::HonsekiFromCard(f.id.clone()));
        }
        let is_date = f.kind == FieldKind::Date || matches!(f.source, Source::CardBirthDate | Source::Today);
        let is_address = f.source == Source::CardAddress || f.id.contains("address");
        for p in &f.print {
            let part_ok = match p.part {
                Part::Whole => true,
                Part::Era | Part::EraYear | Part::Year | Part::Month | Part::Day => is_date,
                Part::Prefecture | Part::City | Part::Town => is_address,
                Part::Code => f.source == Source::CardSex,
            };
            if !part_ok {
                err(&f.id, TemplateProblem::PartNotApplicable { field: f.id.clone(), part: part_name(p.part) });
            }
            let [x, y, w, h] = p.rect;
            if !(x >= 0.0 && y >= 0.0 && w > 0.0 && h > 0.0 && x + w <= pw + 0.01 && y + h <= ph + 0.01) {
                err(&f.id, TemplateProblem::OutsidePage { field: f.id.clone() });
            }
            if p.page == 0 || p.page > pages {
                err(&f.id, TemplateProblem::BadPage { page: p.page, pages });
            }
            let min_ok = p.min_size.is_none_or(|m| m > 0.0 && m <= p.size);
            if !(p.size > 0.0 && p.size < 200.0 && min_ok) {
                err(&f.id, TemplateProblem::BadSize(f.id.clone()));
            }
            if let Some(v) = &p.mark_if {
                let ok = match f.kind {
                    FieldKind::Checkbox => v == "true" || v == "false",
                    _ => f.choices.iter().any(|c| &c.id == v),
                };
                if !ok {
                    err(v, TemplateProblem::UnknownChoice { field: f.id.clone(), value: v.clone() });
                }
            }
        }
    }
    for r in &t.rules {
        if let Some(w) = &r.when {
            check_when("rules", w, &mut err);
        }
        for id in &r.fields {
            if !known(id) {
                err(id, TemplateProblem::UnknownField(id.clone()));
            }
        }
    }
    for s in &t.layout {
        let page = match s {
            Static::Text { page, .. }
            | Static::Line { page, .. }
            | Static::Box { page, .. }
            | Static::Table { page, .. } => *page,
        };
        if page == 0 || page > pages {
            err("kind", TemplateProblem::BadPage { page, pages });
        }
    }
    errs
}

fn part_name(p: Part) -> &'static str {
    match p {
        Part::Whole => "whole",
        Part::Era => "era",
        Part::EraYear => "era_year",
        Part::Year => "year",
        Part::Month => "month",
        Part::Day => "day",
        Part::Prefecture => "prefecture",
        Part::City => "city",
        Part::Town => "town",
        Part::Code => "code",
    }
}
