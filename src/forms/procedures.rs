//! Procedures (what a resident came for) and life events (転入, 転出 …) that select procedures
//! from a few answers, plus the printable 手続き案内 sheet. Sans-IO.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fill::{FilledForm, Stamp, holds};
use super::layout::{Measure, PT_MM, break_lines};
use super::model::{FontFamily, Orientation, PageSetup, Static, Template, Text, When};
use crate::vocab::Answers;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProceduresFile {
    #[serde(default)]
    pub procedures: Vec<Procedure>,
    #[serde(default)]
    pub life_events: Vec<LifeEvent>,
}

/// e.g. 住民票の写しがほしい → form `juminhyo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub id: String,
    pub title: Text,
    /// Heading the procedure is listed under on the procedure screen (証明書, 引っ越し …).
    #[serde(default = "other_category")]
    pub category: Text,
    /// Picture on its button.
    #[serde(default)]
    pub icon: crate::vocab::Icon,
    /// Template ids, in printing order.
    pub forms: Vec<String>,
    /// 持ち物.
    #[serde(default)]
    pub bring: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// 窓口 (counter) to go to.
    #[serde(default)]
    pub counter: Option<String>,
    /// Offered after the card status check when it gives one of these advices
    /// (`pin_locked`, `certificate_expired`, `renew_soon`, `no_certificate`, `one_try_left`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifeEvent {
    pub id: String,
    pub title: Text,
    /// Yes/no or choice questions (checkbox / choice fields without print placements).
    #[serde(default)]
    pub questions: Vec<super::model::Field>,
    pub rules: Vec<EventRule>,
}

fn other_category() -> Text {
    Text::new("その他", "Other")
}

/// When `when` holds (or always, without `when`), add these procedures and notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    #[serde(default)]
    pub when: Option<When>,
    #[serde(default)]
    pub procedures: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The selected procedures and the notes of a life event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPlan {
    pub procedures: Vec<String>,
    pub notes: Vec<String>,
}

/// Apply a life event's rules to the answers.
pub fn plan(event: &LifeEvent, answers: &Answers) -> EventPlan {
    let mut plan = EventPlan { procedures: Vec::new(), notes: Vec::new() };
    for r in &event.rules {
        if r.when.as_ref().is_none_or(|w| holds(w, answers)) {
            for p in &r.procedures {
                if !plan.procedures.contains(p) {
                    plan.procedures.push(p.clone());
                }
            }
            plan.notes.extend(r.notes.iter().cloned());
        }
    }
    plan
}

/// Page geometry of the guide sheet (A4 portrait, mm).
const LEFT: f32 = 15.0;
const TOP: f32 = 15.0;
const TEXT_W: f32 = 180.0;
const BOTTOM: f32 = 282.0;
/// The sheet never runs longer than this (notes are written by administrators).
const MAX_PAGES: u32 = 10;

/// Lines of the guide sheet flowing down the page and onto further pages.
struct Flow<'a> {
    measure: &'a dyn Measure,
    layout: Vec<Static>,
    page: u32,
    y: f32,
}

impl Flow<'_> {
    /// A paragraph broken at the measured width of the gothic font (with 禁則); continuation
    /// lines are indented one em more so bullets stand out.
    fn put(&mut self, text: &str, size: f32, indent: f32) {
        let em = size * PT_MM;
        let width = TEXT_W - indent;
        let lines = break_lines(self.measure, FontFamily::Gothic, text, size, width - em)
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| vec![text.to_string()]);
        for (i, line) in lines.into_iter().enumerate() {
            let lh = em * 1.42;
            if self.y + lh > BOTTOM && self.page < MAX_PAGES {
                self.page += 1;
                self.y = TOP;
            }
            let x = LEFT + indent + if i == 0 { 0.0 } else { em };
            self.layout.push(Static::Text {
                page: self.page,
                at: [x, self.y],
                text: line,
                size,
                font: Some(FontFamily::Gothic),
            });
            self.y += lh;
        }
    }
}

/// Build the 手続き案内 sheet as a form of static text (no personal data on it), so it
/// renders and prints like any other form. Text is broken by the width `measure` gives (the
/// fonts it is printed with); a long guide continues on further pages.
pub fn guide_form(
    title: &str,
    procs: &[&Procedure],
    forms: &[&Template],
    notes: &[String],
    s: &Stamp,
    measure: &dyn Measure,
) -> FilledForm<'static> {
    let mut f = Flow { measure, layout: Vec::new(), page: 1, y: TOP };
    f.put(&format!("手続き案内 {title}"), 16.0, 0.0);
    let receipt = if s.receipt_id.is_empty() { String::new() } else { format!("  受付番号 {}", s.receipt_id) };
    f.put(&format!("{} {}{receipt}", s.municipality, crate::vocab::calendar::seireki(s.date())), 9.0, 0.0);
    f.y += 3.0;
    for (i, p) in procs.iter().enumerate() {
        f.put(&format!("{}. {}", i + 1, p.title.ja), 12.0, 0.0);
        let names: Vec<&str> =
            p.forms.iter().filter_map(|id| forms.iter().find(|t| &t.id == id)).map(|t| t.title.ja.as_str()).collect();
        if !names.is_empty() {
            f.put(&format!("書類: {}", names.join("、")), 9.5, 5.0);
        }
        if let Some(c) = &p.counter {
            f.put(&format!("窓口: {c}"), 9.5, 5.0);
        }
        for b in &p.bring {
            f.put(&format!("持ち物: {b}"), 9.5, 5.0);
        }
        for n in &p.notes {
            f.put(&format!("・{n}"), 9.5, 5.0);
        }
        f.y += 2.0;
    }
    for n in notes {
        f.put(&format!("※ {n}"), 9.5, 0.0);
    }
    let template = Template {
        id: "guide".into(),
        version: 1,
        title: Text { ja: "手続き案内".into(), en: "Procedure guide".into() },
        page: PageSetup { orientation: Orientation::Portrait, pages: f.page },
        font: FontFamily::Gothic,
        base_pdf: None,
        base_pdf_data: None,
        fields: Vec::new(),
        groups: Vec::new(),
        rules: Vec::new(),
        layout: f.layout,
    };
    FilledForm {
        template: std::borrow::Cow::Owned(template),
        values: Default::default(),
        stamp: std::borrow::Cow::Owned(s.clone()),
    }
}
