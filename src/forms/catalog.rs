//! The set of templates and procedures the kiosk offers: from a directory, or the embedded
//! default built from assets/ so the demo runs with no files around.

use std::path::{Path, PathBuf};

use super::fill::{FillInput, FilledForm, Stamp, fill, is_active};
use super::layout::Measure;
use super::loader::{
    TemplateError, TemplateProblem, line_col, load_base_pdf, locate, parse_template, read_template_text,
};
use super::model::{Field, FieldKind, Source, Template};
use super::procedures::{EventPlan, LifeEvent, Procedure, ProceduresFile, guide_form, plan};
use super::validate::{FieldError, Problem, check_answer};
use crate::i18n::Text;
use crate::vocab::{AnswerValue, Answers, Choice, Question, QuestionKind};

/// Shipped templates (file name, text).
pub const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[
    ("juminhyo.toml", include_str!("../../assets/templates/juminhyo.toml")),
    ("inkan-toroku.toml", include_str!("../../assets/templates/inkan-toroku.toml")),
    ("inkan-shomei.toml", include_str!("../../assets/templates/inkan-shomei.toml")),
    ("koseki.toml", include_str!("../../assets/templates/koseki.toml")),
    ("idou.toml", include_str!("../../assets/templates/idou.toml")),
    ("shotoku-kazei.toml", include_str!("../../assets/templates/shotoku-kazei.toml")),
    ("jidou-teate.toml", include_str!("../../assets/templates/jidou-teate.toml")),
    ("mynumber-card.toml", include_str!("../../assets/templates/mynumber-card.toml")),
];
pub const EMBEDDED_PROCEDURES: &str = include_str!("../../assets/procedures.toml");

/// Question id of the guide's first question: which life event brought the resident.
pub const GUIDE_EVENT: &str = "guide-event";

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
                    problem: TemplateProblem::Io(e.kind().to_string()),
                }]);
            }
        };
        files.sort();
        let mut texts = Vec::new();
        for f in &files {
            let text = match read_template_text(f) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            match parse_template(&text, f) {
                Ok(mut t) => {
                    if let Some(rel) = &t.base_pdf {
                        match load_base_pdf(f, rel, t.page.pages) {
                            Ok(b) => t.base_pdf_data = Some(std::sync::Arc::new(b)),
                            Err(problem) => {
                                let (line, column) = locate(&text, rel);
                                errors.push(TemplateError { file: f.clone(), line, column, problem });
                            }
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
                problem: TemplateProblem::Io(e.kind().to_string()),
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
            vec![TemplateError {
                file: file.into(),
                line,
                column,
                problem: TemplateProblem::Syntax(e.message().to_string()),
            }]
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
                        problem: TemplateProblem::UnknownField(f.clone()),
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
                            problem: TemplateProblem::UnknownField(p.clone()),
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

    /// The answer fields of these procedures, shared across forms by field id (enter once,
    /// print many), in order.
    fn answer_fields(&self, procedure_ids: &[&str]) -> Vec<&Field> {
        let mut out: Vec<&Field> = Vec::new();
        for t in self.forms_for(procedure_ids) {
            for f in t.fields.iter().filter(|f| f.source == Source::Answer) {
                if !out.iter().any(|o| o.id == f.id) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// The questions the resident answers for these procedures (signatures come from the
    /// signature pad), each id once.
    pub fn questions(&self, procedure_ids: &[&str]) -> Vec<Question> {
        self.answer_fields(procedure_ids).into_iter().filter_map(Field::question).collect()
    }

    /// The questions of these procedures whose conditions hold for the answers so far: the
    /// kiosk shows these, and re-asks after every answer (e.g. 異動する人数 = 3 shows the rows
    /// of persons 2 and 3). Same order as [`Catalog::questions`], each id once; a question
    /// shared by several forms is active when it is active in any of them.
    pub fn active_questions(&self, procedure_ids: &[&str], answers: &Answers) -> Vec<Question> {
        let forms = self.forms_for(procedure_ids);
        self.answer_fields(procedure_ids)
            .into_iter()
            .filter(|q| forms.iter().any(|t| t.fields.iter().any(|f| f.id == q.id && is_active(t, f, answers))))
            .filter_map(Field::question)
            .collect()
    }

    /// Everything the forms of these procedures refuse in this input, form by form — the same
    /// check that filling does, so a visit the review screen lets through is one the paper takes.
    pub fn check(&self, procedure_ids: &[&str], input: &FillInput<'_>) -> Vec<FieldError> {
        let mut out: Vec<FieldError> = Vec::new();
        for t in self.forms_for(procedure_ids) {
            for e in fill(t, input).err().unwrap_or_default() {
                if !out.iter().any(|o| o.field == e.field && o.problem == e.problem) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// The life-event guide: which event brought the resident, then that event's questions
    /// (none until one is chosen).
    pub fn guide_questions(&self, answers: &Answers) -> Vec<Question> {
        let events = self.life_events.iter().map(|e| Choice { id: e.id.clone(), label: e.title.clone() });
        let mut qs = vec![Question {
            id: GUIDE_EVENT.into(),
            label: Text::new("どのようなご用件ですか?", "What brings you here today?"),
            help: Text::default(),
            kind: QuestionKind::Choice(events.collect()),
            required: true,
        }];
        if let Some(e) = self.chosen_event(answers) {
            // The rules treat "not answered" as "no".
            qs.extend(e.questions.iter().filter_map(Field::question).map(|q| Question { required: false, ..q }));
        }
        qs
    }

    /// What is wrong with the guide's answers (the event not chosen, an answer of the wrong kind).
    pub fn guide_problems(&self, answers: &Answers) -> Vec<FieldError> {
        let Some(e) = self.chosen_event(answers) else {
            return vec![FieldError {
                field: GUIDE_EVENT.into(),
                label: Text::new("どのようなご用件ですか?", "What brings you here today?"),
                problem: Problem::Missing { choose: true },
            }];
        };
        e.questions
            .iter()
            .filter_map(|f| {
                let problem = check_answer(f, answers.get(&f.id)?).err()?;
                Some(FieldError { field: f.id.clone(), label: f.label.clone(), problem })
            })
            .collect()
    }

    /// The procedures the guide's answers lead to.
    pub fn guide_result(&self, answers: &Answers) -> Vec<String> {
        self.chosen_event(answers).map(|e| plan(e, answers).procedures).unwrap_or_default()
    }

    fn chosen_event(&self, answers: &Answers) -> Option<&LifeEvent> {
        match answers.get(GUIDE_EVENT) {
            Some(AnswerValue::Choice(c)) => self.life_events.iter().find(|e| &e.id == c),
            _ => None,
        }
    }

    /// Whether the card layer must read the 個人番号 for this visit.
    pub fn needs_my_number(&self, procedure_ids: &[&str]) -> bool {
        self.forms_for(procedure_ids).iter().any(|t| template_needs_my_number(t))
    }

    /// Whether any of these forms asks for the resident's signature with these answers (a
    /// template can ask for it only in some cases, e.g. 住民票 when someone other than the
    /// card holder requests it: the card's PIN already identifies the holder).
    pub fn needs_signature(&self, procedure_ids: &[&str], answers: &Answers) -> bool {
        self.forms_for(procedure_ids)
            .iter()
            .any(|t| t.fields.iter().any(|f| f.kind == FieldKind::Signature && is_active(t, f, answers)))
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
        stamp: &Stamp,
        measure: &dyn Measure,
    ) -> FilledForm<'static> {
        let procs: Vec<&Procedure> = procedure_ids.iter().filter_map(|id| self.procedure(id)).collect();
        let forms: Vec<&Template> = self.templates.iter().collect();
        guide_form(title, &procs, &forms, notes, stamp, measure)
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
                    problem: TemplateProblem::ConflictingField { field: fa.id.clone(), other: afile, what },
                });
            }
        }
    }
    errors
}

fn same_choices(a: &Field, b: &Field) -> bool {
    a.choices.len() == b.choices.len()
        && a.choices.iter().zip(&b.choices).all(|(x, y)| x.id == y.id && x.label.ja == y.label.ja)
}

pub fn template_needs_my_number(t: &Template) -> bool {
    t.fields.iter().any(|f| f.source == Source::CardMyNumber)
}

#[cfg(test)]
mod tests;
