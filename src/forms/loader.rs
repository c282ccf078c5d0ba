//! Template loading and checking. Every problem is reported with file:line:column, what is
//! wrong and how to fix it, in English and Japanese (administrators read these in `forms check`).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use super::groups::{GroupProblem, MAX_ROWS, expand};
use super::model::{FieldKind, Part, Source, Static, Template, When, page_size_mm};

/// One problem in a template file.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub problem: Problem,
}

/// What is wrong; `Display` of [`TemplateError`] adds how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
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
}

impl Problem {
    fn en(&self) -> String {
        match self {
            Problem::Io(e) => format!("cannot read the file: {e}"),
            Problem::Syntax(m) => format!("TOML syntax or type error: {m}"),
            Problem::BadId(id) => format!("template id {id:?} must be ASCII letters, digits or '-'"),
            Problem::DuplicateField(id) => format!("field id {id:?} is used twice"),
            Problem::UnknownField(id) => format!("{id:?} does not name a field of this template"),
            Problem::MissingChoices(id) => format!("field {id:?} is a choice but has no `choices`"),
            Problem::UnknownChoice { field, value } => format!("field {field:?} has no choice {value:?}"),
            Problem::ConstantWithoutValue(id) => format!("field {id:?} has source = \"constant\" but no `value`"),
            Problem::PartNotApplicable { field, part } => format!("part {part:?} does not apply to field {field:?}"),
            Problem::OutsidePage { field } => format!("a box of {field:?} lies outside the A4 page"),
            Problem::BadPage { page, pages } => format!("page {page} but the form has {pages} page(s)"),
            Problem::BadSize(id) => format!("font size of {id:?} must be > 0 and min_size <= size"),
            Problem::SignatureNotAnswer(id) => format!("signature field {id:?} must have source = \"answer\""),
            Problem::HonsekiFromCard(id) => {
                format!("field {id:?} (本籍/筆頭者) is not on the card; it must be an answer")
            }
            Problem::ConflictingField { field, other, what } => format!(
                "field {field:?} is declared with a different {what} here than in {other}; one answer feeds every form of a visit, so a shared id must mean the same everywhere"
            ),
            Problem::EmptyWhen(id) => format!("the `when` of {id:?} has neither `in` nor `at_least`"),
            Problem::AtLeastNotCount(id) => format!("`at_least` refers to {id:?}, which is not a count field"),
            Problem::Group(g) => match g {
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
            Problem::Io(_) => "ファイルを読めません",
            Problem::Syntax(_) => "TOML の書き方または値の種類が正しくありません",
            Problem::BadId(_) => "テンプレートIDは半角英数字と - だけにしてください",
            Problem::DuplicateField(_) => "項目IDが重複しています",
            Problem::UnknownField(_) => "存在しない項目IDを参照しています",
            Problem::MissingChoices(_) => "選択肢(choices)がありません",
            Problem::UnknownChoice { .. } => "選択肢にない値です",
            Problem::ConstantWithoutValue(_) => "固定値(constant)なのに value がありません",
            Problem::PartNotApplicable { .. } => "この項目には使えない part です",
            Problem::OutsidePage { .. } => "印字位置が用紙(A4)の外です",
            Problem::BadPage { .. } => "ページ番号が用紙の枚数を超えています",
            Problem::BadSize(_) => "文字サイズが正しくありません",
            Problem::SignatureNotAnswer(_) => "署名欄は source = \"answer\" にしてください",
            Problem::HonsekiFromCard(_) => "本籍・筆頭者はカードに記録されていません",
            Problem::ConflictingField { .. } => {
                "同じ項目IDが別の様式で違う種類・選択肢になっています（回答はIDで共有され、キオスクでは一度だけ質問します）"
            }
            Problem::EmptyWhen(_) => "when に in も at_least もありません",
            Problem::AtLeastNotCount(_) => "at_least は数(count)の項目にだけ使えます",
            Problem::Group(g) => match g {
                GroupProblem::NoCountField { .. } => "繰り返し行(groups)の count が数(count)の項目ではありません",
                GroupProblem::BadRows { .. } => "繰り返し行の first / last が正しくありません",
                GroupProblem::CountAboveRows { .. } => "人数の上限(max)が用紙の行数(last)を超えています",
                GroupProblem::WhenInGroup { .. } => "繰り返し行の項目には when を書けません",
            },
        }
    }
    fn fix(&self) -> &'static str {
        match self {
            Problem::Io(_) => "check the path and permissions / パスと権限を確認してください",
            Problem::Syntax(_) => {
                "fix the line shown; see packaging/docs/templates.ja.md / 表示された行を直してください (templates.ja.md 参照)"
            }
            Problem::BadId(_) => "rename the id, e.g. \"juminhyo-request\" / 例: \"juminhyo-request\"",
            Problem::DuplicateField(_) => "give each field its own id / 項目ごとに別のIDを付けてください",
            Problem::UnknownField(_) => "use an id defined in [[fields]] / [[fields]] で定義したIDを書いてください",
            Problem::MissingChoices(_) => {
                "add choices = [{ value = \"...\", label = { ja = \"...\" } }] / choices を追加してください"
            }
            Problem::UnknownChoice { .. } => "use one of the field's choice values / choices の value を書いてください",
            Problem::ConstantWithoutValue(_) => "add value = \"...\" / value を追加してください",
            Problem::PartNotApplicable { .. } => {
                "era/era_year/year/month/day only for dates, prefecture/city/town only for addresses, code only for sex / part を見直してください"
            }
            Problem::OutsidePage { .. } => {
                "keep x+width <= 210 and y+height <= 297 mm (portrait) / 用紙内に収めてください"
            }
            Problem::BadPage { .. } => "raise page.pages or use a smaller page / page.pages を増やしてください",
            Problem::BadSize(_) => "use e.g. size = 10.5, min_size = 7 / 例: size = 10.5, min_size = 7",
            Problem::ConflictingField { .. } => {
                "use the same kind, source and choices (values and labels, in the same order) in both templates, or rename one id / 両方の様式で種類・選択肢（値・表示・順番）をそろえるか、IDを変えてください"
            }
            Problem::EmptyWhen(_) => {
                "add in = [\"...\"] or at_least = N / in = [\"...\"] か at_least = N を書いてください"
            }
            Problem::AtLeastNotCount(_) => "use in = [...] instead / in = [...] を使ってください",
            Problem::Group(g) => match g {
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
            Problem::SignatureNotAnswer(_) | Problem::HonsekiFromCard(_) => {
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
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![TemplateError { file: path.into(), line: 1, column: 1, problem: Problem::Io(e.kind().to_string()) }]
    })?;
    parse_template(&text, path)
}

/// Parse and check template text; `file` names it in errors.
pub fn parse_template(text: &str, file: &Path) -> Result<Template, Vec<TemplateError>> {
    let mut t: Template = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        vec![TemplateError { file: file.into(), line, column, problem: Problem::Syntax(e.message().to_string()) }]
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
            TemplateError { file: file.into(), line, column, problem: Problem::Group(g) }
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
    let mut err = |at: &str, problem: Problem| {
        let (line, column) = locate(text, at);
        errs.push(TemplateError { file: file.into(), line, column, problem });
    };
    if t.id.is_empty() || !t.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        err(&t.id, Problem::BadId(t.id.clone()));
    }
    let (pw, ph) = page_size_mm(t.page.orientation);
    let pages = t.page.pages.max(1);
    let mut ids = HashSet::new();
    for f in &t.fields {
        if !ids.insert(f.id.as_str()) {
            err(&f.id, Problem::DuplicateField(f.id.clone()));
        }
    }
    let known = |id: &str| t.fields.iter().any(|f| f.id == id);
    let check_when = |owner: &str, w: &When, err: &mut dyn FnMut(&str, Problem)| {
        let target = t.fields.iter().find(|f| f.id == w.field);
        if target.is_none() {
            err(&w.field, Problem::UnknownField(w.field.clone()));
        }
        if w.any_of.is_empty() && w.at_least.is_none() {
            err(&w.field, Problem::EmptyWhen(owner.to_string()));
        }
        if w.at_least.is_some() && target.is_some_and(|f| f.kind != FieldKind::Count) {
            err(&w.field, Problem::AtLeastNotCount(w.field.clone()));
        }
    };
    for f in &t.fields {
        if let Some(w) = &f.when {
            check_when(&f.id, w, &mut err);
        }
        let is_choice = matches!(f.kind, FieldKind::Choice | FieldKind::MultiChoice);
        if is_choice && f.choices.is_empty() {
            err(&f.id, Problem::MissingChoices(f.id.clone()));
        }
        if f.source == Source::Constant && f.value.is_none() {
            err(&f.id, Problem::ConstantWithoutValue(f.id.clone()));
        }
        if f.kind == FieldKind::Signature && f.source != Source::Answer {
            err(&f.id, Problem::SignatureNotAnswer(f.id.clone()));
        }
        if (f.id.contains("honseki") || f.id.contains("hittousha")) && f.source != Source::Answer {
            err(&f.id, Problem::HonsekiFromCard(f.id.clone()));
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
                err(&f.id, Problem::PartNotApplicable { field: f.id.clone(), part: part_name(p.part) });
            }
            let [x, y, w, h] = p.rect;
            if !(x >= 0.0 && y >= 0.0 && w > 0.0 && h > 0.0 && x + w <= pw + 0.01 && y + h <= ph + 0.01) {
                err(&f.id, Problem::OutsidePage { field: f.id.clone() });
            }
            if p.page == 0 || p.page > pages {
                err(&f.id, Problem::BadPage { page: p.page, pages });
            }
            let min_ok = p.min_size.is_none_or(|m| m > 0.0 && m <= p.size);
            if !(p.size > 0.0 && p.size < 200.0 && min_ok) {
                err(&f.id, Problem::BadSize(f.id.clone()));
            }
            if let Some(v) = &p.mark_if {
                let ok = match f.kind {
                    FieldKind::Checkbox => v == "true" || v == "false",
                    _ => f.choices.iter().any(|c| &c.value == v),
                };
                if !ok {
                    err(v, Problem::UnknownChoice { field: f.id.clone(), value: v.clone() });
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
                err(id, Problem::UnknownField(id.clone()));
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
            err("kind", Problem::BadPage { page, pages });
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
