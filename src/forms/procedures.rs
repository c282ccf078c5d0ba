//! Procedures (what a resident came for) and life events (転入, 転出 …) that select procedures
//! from a few answers, plus the printable 手続き案内 sheet. Sans-IO.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fill::{Answers, FilledForm, Session, holds};
use super::model::{FontFamily, Label, Static, Template, When};

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
    pub title: Label,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifeEvent {
    pub id: String,
    pub title: Label,
    /// Yes/no or choice questions (checkbox / choice fields without print placements).
    #[serde(default)]
    pub questions: Vec<super::model::Field>,
    pub rules: Vec<EventRule>,
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

/// Build the 手続き案内 sheet as a form of static text (no personal data on it), so it
/// renders and prints like any other form.
pub fn guide_form(title: &str, procs: &[&Procedure], forms: &[&Template], notes: &[String], s: &Session) -> FilledForm {
    let mut layout = Vec::new();
    let mut y = 15.0;
    let mut put = |text: String, size: f32, indent: f32, y: &mut f32| {
        // Long lines are cut into pieces of 40 characters: the sheet is for reading, not a form.
        let chars: Vec<char> = text.chars().collect();
        for chunk in chars.chunks(40) {
            layout.push(Static::Text {
                page: 1,
                at: [15.0 + indent, *y],
                text: chunk.iter().collect(),
                size,
                font: Some(FontFamily::Gothic),
            });
            *y += size * 0.5;
        }
    };
    put(format!("手続き案内 {title}"), 16.0, 0.0, &mut y);
    put(format!("{} {}  受付番号 {}", s.municipality, super::jp::seireki(s.date()), s.receipt_id), 9.0, 0.0, &mut y);
    y += 3.0;
    for (i, p) in procs.iter().enumerate() {
        put(format!("{}. {}", i + 1, p.title.ja), 12.0, 0.0, &mut y);
        let names: Vec<&str> =
            p.forms.iter().filter_map(|f| forms.iter().find(|t| &t.id == f)).map(|t| t.title.ja.as_str()).collect();
        if !names.is_empty() {
            put(format!("書類: {}", names.join("、")), 9.5, 5.0, &mut y);
        }
        if let Some(c) = &p.counter {
            put(format!("窓口: {c}"), 9.5, 5.0, &mut y);
        }
        for b in &p.bring {
            put(format!("持ち物: {b}"), 9.5, 5.0, &mut y);
        }
        for n in &p.notes {
            put(format!("・{n}"), 9.5, 5.0, &mut y);
        }
        y += 2.0;
        if y > 260.0 {
            break;
        }
    }
    for n in notes {
        if y > 280.0 {
            break;
        }
        put(format!("※ {n}"), 9.5, 0.0, &mut y);
    }
    let template = Template {
        id: "guide".into(),
        version: 1,
        title: Label { ja: "手続き案内".into(), en: "Procedure guide".into() },
        page: Default::default(),
        font: FontFamily::Gothic,
        base_pdf: None,
        base_pdf_data: None,
        fields: Vec::new(),
        rules: Vec::new(),
        layout,
    };
    FilledForm { template, values: Default::default(), session: s.clone() }
}
