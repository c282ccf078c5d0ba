//! The set of templates and procedures the kiosk offers: from a directory, or the embedded
//! default built from assets/ so the demo runs with no files around.

use std::path::{Path, PathBuf};

use super::fill::{Answers, FilledForm, Session, is_active};
use super::layout::Measure;
use super::loader::{Problem, TemplateError, line_col, locate, parse_template};
use super::model::{Field, Source, Template};
use super::procedures::{EventPlan, LifeEvent, Procedure, ProceduresFile, guide_form, plan};

/// Shipped templates (file name, text).
pub const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[
    ("juminhyo.toml", include_str!("../../assets/templates/juminhyo.toml")),
    ("inkan-toroku.toml", include_str!("../../assets/templates/inkan-toroku.toml")),
    ("inkan-shomei.toml", include_str!("../../assets/templates/inkan-shomei.toml")),
    ("koseki.toml", include_str!("../../assets/templates/koseki.toml")),
    ("idou.toml", include_str!("../../assets/templates/idou.toml")),
    ("shotoku-kazei.toml", include_str!("../../assets/templates/shotoku-kazei.toml")),
    ("jidou-teate.toml", include_str!("../../assets/templates/jidou-teate.toml")),
];
pub const EMBEDDED_PROCEDURES: &str = include_str!("../../assets/procedures.toml");

/// A question for the touch UI: a field with `source = "answer"` (id, label ja/en, kind,
/// choices, validation, condition).
pub type Question = Field;

#[derive(Debug, Clone)]
pub struct Catalog {
    pub templates: Vec<Template>,
    pub procedures: Vec<Procedure>,
    pub life_events: Vec<LifeEvent>,
}

impl Catalog {
    /// Load every `*.toml` in `templates_dir` and the procedures file. All problems are
    /// collected, each with file:line:column.
    pub fn load(templates_dir: &Path, procedures_path: &Path) -> Result<Catalog, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let mut templates = Vec::new();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(templates_dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) => {
                return Err(vec![TemplateError {
                    file: templates_dir.into(),
                    line: 1,
                    column: 1,
                    problem: Problem::Io(e.kind().to_string()),
                }]);
            }
        };
        files.sort();
        let mut texts = Vec::new();
        for f in &files {
            let text = match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(TemplateError {
                        file: f.clone(),
                        line: 1,
                        column: 1,
                        problem: Problem::Io(e.kind().to_string()),
                    });
                    continue;
                }
            };
            match parse_template(&text, f) {
                Ok(mut t) => {
                    if let Some(rel) = &t.base_pdf {
                        let p = f.parent().unwrap_or(Path::new(".")).join(rel);
                        match std::fs::read(&p) {
                            Ok(b) => t.base_pdf_data = Some(std::sync::Arc::new(b)),
                            Err(e) => errors.push(TemplateError {
                                file: f.clone(),
                                line: 1,
                                column: 1,
                                problem: Problem::Io(format!("base_pdf {}: {}", p.display(), e.kind())),
                            }),
                        }
                    }
                    templates.push(t);
                    texts.push((f.clone(), text));
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        let sources: Vec<(&Path, &str)> = texts.iter().map(|(p, t)| (p.as_path(), t.as_str())).collect();
        errors.extend(conflicts(&templates, &sources));
        let text = std::fs::read_to_string(procedures_path).map_err(|e| {
            vec![TemplateError {
                file: procedures_path.into(),
                line: 1,
                column: 1,
                problem: Problem::Io(e.kind().to_string()),
            }]
        });
        let built = match text {
            Ok(text) => Self::assemble(templates, &text, procedures_path),
            Err(mut e) => {
                errors.append(&mut e);
                return Err(errors);
            }
        };
        match built {
            Ok(c) if errors.is_empty() => Ok(c),
            Ok(_) => Err(errors),
            Err(mut e) => {
                errors.append(&mut e);
                Err(errors)
            }
        }
    }

    /// The catalog compiled into the binary from assets/.
    pub fn embedded() -> Result<Catalog, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let mut templates = Vec::new();
        let mut sources = Vec::new();
        for (name, text) in EMBEDDED_TEMPLATES {
            match parse_template(text, Path::new(name)) {
                Ok(t) => {
                    templates.push(t);
                    sources.push((Path::new(*name), *text));
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        errors.extend(conflicts(&templates, &sources));
        let c = Self::assemble(templates, EMBEDDED_PROCEDURES, Path::new("procedures.toml"));
        match c {
            Ok(c) if errors.is_empty() => Ok(c),
            Ok(_) => Err(errors),
            Err(mut e) => {
                errors.append(&mut e);
                Err(errors)
            }
        }
    }

    fn assemble(templates: Vec<Template>, text: &str, file: &Path) -> Result<Catalog, Vec<TemplateError>> {
        let pf: ProceduresFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            vec![TemplateError { file: file.into(), line, column, problem: Problem::Syntax(e.message().to_string()) }]
        })?;
        let mut errors = Vec::new();
        let at = |needle: &str| text.find(&format!("\"{needle}\"")).map(|o| line_col(text, o)).unwrap_or((1, 1));
        for p in &pf.procedures {
            for f in &p.forms {
                if !templates.iter().any(|t| &t.id == f) {
                    let (line, column) = at(f);
                    errors.push(TemplateError {
                        file: file.into(),
                        line,
                        column,
                        problem: Problem::UnknownField(f.clone()),
                    });
                }
            }
        }
        for e in &pf.life_events {
            for r in &e.rules {
                for p in &r.procedures {
                    if !pf.procedures.iter().any(|q| &q.id == p) {
                        let (line, column) = at(p);
                        errors.push(TemplateError {
                            file: file.into(),
                            line,
                            column,
                            problem: Problem::UnknownField(p.clone()),
                        });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Catalog { templates, procedures: pf.procedures, life_events: pf.life_events })
        } else {
            Err(errors)
        }
    }

    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    pub fn procedure(&self, id: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.id == id)
    }

    /// Templates of the chosen procedures, each once, in order.
    pub fn forms_for(&self, procedure_ids: &[&str]) -> Vec<&Template> {
        let mut out: Vec<&Template> = Vec::new();
        for p in procedure_ids.iter().filter_map(|id| self.procedure(id)) {
            for t in p.forms.iter().filter_map(|f| self.template(f)) {
                if !out.iter().any(|o| o.id == t.id) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Questions the resident answers for these procedures, shared across forms by field id
    /// (enter once, print many).
    pub fn questions(&self, procedure_ids: &[&str]) -> Vec<&Question> {
        let mut out: Vec<&Question> = Vec::new();
        for t in self.forms_for(procedure_ids) {
            for f in t.fields.iter().filter(|f| f.source == Source::Answer) {
                if !out.iter().any(|o| o.id == f.id) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// The questions of these procedures whose conditions hold for the answers so far: the
    /// kiosk shows these, and re-asks after every answer (e.g. 異動する人数 = 3 shows the rows
    /// of persons 2 and 3). Same order as [`Catalog::questions`], each id once; a question
    /// shared by several forms is active when it is active in any of them.
    pub fn active_questions(&self, procedure_ids: &[&str], answers: &Answers) -> Vec<&Question> {
        let forms = self.forms_for(procedure_ids);
        self.questions(procedure_ids)
            .into_iter()
            .filter(|q| forms.iter().any(|t| t.fields.iter().any(|f| f.id == q.id && is_active(t, f, answers))))
            .collect()
    }

    /// Whether the card layer must read the 個人番号 for this visit.
    pub fn needs_my_number(&self, procedure_ids: &[&str]) -> bool {
        self.forms_for(procedure_ids).iter().any(|t| template_needs_my_number(t))
    }

    /// Procedures and notes a life event leads to.
    pub fn plan(&self, event_id: &str, answers: &Answers) -> Option<EventPlan> {
        self.life_events.iter().find(|e| e.id == event_id).map(|e| plan(e, answers))
    }

    /// The printable 手続き案内 for the chosen procedures; lines are broken by the width
    /// measured with `measure` (the [`super::Fonts`] it is printed with).
    pub fn guide(
        &self,
        title: &str,
        procedure_ids: &[&str],
        notes: &[String],
        session: &Session,
        measure: &dyn Measure,
    ) -> FilledForm {
        let procs: Vec<&Procedure> = procedure_ids.iter().filter_map(|id| self.procedure(id)).collect();
        let forms: Vec<&Template> = self.templates.iter().collect();
        guide_form(title, &procs, &forms, notes, session, measure)
    }
}

/// One answer feeds every form of a visit and the kiosk asks a shared id once, so a field id
/// must mean the same in every template: same source, kind and choices. `sources` holds the
/// file and text of each template, in the same order.
fn conflicts(templates: &[Template], sources: &[(&Path, &str)]) -> Vec<TemplateError> {
    let mut errors = Vec::new();
    for (i, a) in templates.iter().enumerate() {
        for (j, b) in templates.iter().enumerate().skip(i + 1) {
            for fa in &a.fields {
                let Some(fb) = b.fields.iter().find(|f| f.id == fa.id) else { continue };
                let what = if fa.source != fb.source {
                    "source"
                } else if fa.kind != fb.kind {
                    "kind"
                } else if !same_choices(fa, fb) {
                    "choices"
                } else {
                    continue;
                };
                let (bfile, btext) = sources.get(j).copied().unwrap_or((Path::new(""), ""));
                let afile = sources.get(i).map_or_else(|| a.id.clone(), |(p, _)| p.display().to_string());
                let (line, column) = locate(btext, &fb.id);
                errors.push(TemplateError {
                    file: bfile.into(),
                    line,
                    column,
                    problem: Problem::ConflictingField { field: fa.id.clone(), other: afile, what },
                });
            }
        }
    }
    errors
}

fn same_choices(a: &Field, b: &Field) -> bool {
    a.choices.len() == b.choices.len()
        && a.choices.iter().zip(&b.choices).all(|(x, y)| x.value == y.value && x.label.ja == y.label.ja)
}

pub fn template_needs_my_number(t: &Template) -> bool {
    t.fields.iter().any(|f| f.source == Source::CardMyNumber)
}

#[cfg(test)]
mod tests;
