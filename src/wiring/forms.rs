//! The real forms layer (templates, the one validator, PDF) behind the session's [`FormPort`].

use std::path::{Path, PathBuf};
use std::process::Command;

use zeroize::Zeroizing;

use crate::forms::model::{Source, Template};
use crate::forms::{self, CardView, Catalog, FieldError, FillInput, Fonts, Stamp, Value};
use crate::i18n::Msg;
use crate::session::ports::{
    AnswerProblem, FillRequest, FormError, FormFacts, FormPort, GuideSheet, ProcedureInfo, Rendered, RenderedForm,
    WorkDir,
};
use crate::session::visit::{CardFields, CardRead};
use crate::vocab::person::SecretString;
use crate::vocab::{AnswerValue, Answers, Question};

/// Forms from a template [`Catalog`], rendered with real fonts into private work directories.
pub struct CatalogForms {
    catalog: Catalog,
    fonts: Fonts,
    municipality: String,
    work_root: PathBuf,
    /// Numbers the work directories of this process.
    visits: std::sync::atomic::AtomicU64,
}

impl CatalogForms {
    /// `work_root`: where each visit's private directory is made (and swept of leftovers
    /// from a crashed run: see [`CatalogForms::sweep`]).
    pub fn new(catalog: Catalog, fonts: Fonts, municipality: impl Into<String>, work_root: impl Into<PathBuf>) -> Self {
        CatalogForms {
            catalog,
            fonts,
            municipality: municipality.into(),
            work_root: work_root.into(),
            visits: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Delete what a previous run left in the work root (a crash or a power cut skips the
    /// wipe): generated PDFs of a resident who is long gone. Returns how many were removed.
    pub fn sweep(&self) -> usize {
        let Ok(rd) = std::fs::read_dir(&self.work_root) else { return 0 };
        let mut n = 0;
        for e in rd.flatten() {
            let p = e.path();
            let ours = p.file_name().and_then(|f| f.to_str()).is_some_and(|f| f.starts_with("session-"));
            if ours && std::fs::remove_dir_all(&p).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Sample answers for every question of these procedures (the headless demo answers
    /// with them, as a resident would by touch).
    pub fn demo_answers(&self, procedures: &[&str]) -> Answers {
        forms::sample::sample_answers(&self.catalog.forms_for(procedures))
    }

    fn ids(procedures: &[String]) -> Vec<&str> {
        procedures.iter().map(String::as_str).collect()
    }

    fn stamp(&self, req: &FillRequest<'_>) -> Stamp {
        Stamp { created: req.created, receipt_id: req.receipt_id.to_string(), municipality: self.municipality.clone() }
    }

    fn work_dir(&self) -> Result<WorkDir, FormError> {
        let n = self.visits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = self.work_root.join(format!("session-{}-{n}", std::process::id()));
        make_private_dir(&dir)
            .map_err(|e| FormError::Fill(format!("cannot create the work directory: {}", e.kind())))?;
        Ok(WorkDir::new(dir))
    }
}

/// The card's values the forms print: a clerk's corrections in place of what was read.
fn view(card: &CardRead) -> CardView<'_> {
    CardView {
        name: card.name(),
        address: card.address(),
        birth_date: &card.attributes.birth_date,
        sex: card.attributes.sex,
        my_number: card.my_number.as_ref(),
    }
}

fn problem(e: &FieldError) -> AnswerProblem {
    AnswerProblem { question: e.field.clone(), message: e.message() }
}

/// What the session knows of a procedure of the catalog.
pub fn procedure_info(p: &forms::procedures::Procedure) -> ProcedureInfo {
    ProcedureInfo { id: p.id.clone(), title: p.title.clone(), category: p.category.clone(), icon: p.icon }
}

/// Page previews as PNG via poppler's pdftoppm; `None` if it is missing or fails.
fn previews(pdf: &Path, prefix: &Path, dpi: u32) -> Option<Vec<PathBuf>> {
    let ok = Command::new("pdftoppm")
        .args(["-png", "-r", &dpi.to_string()])
        .arg(pdf)
        .arg(prefix)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    let (dir, stem) = (prefix.parent()?, prefix.file_name()?.to_str()?);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "png")
                && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{stem}-")))
        })
        .collect();
    out.sort();
    (!out.is_empty()).then_some(out)
}

impl FormPort for CatalogForms {
    fn advice_procedures(&self, advice: &[&str]) -> Vec<String> {
        self.catalog
            .procedures
            .iter()
            .filter(|p| p.advice.iter().any(|a| advice.contains(&a.as_str())))
            .map(|p| p.id.clone())
            .collect()
    }

    fn advice_sheet(
        &self,
        notes: &[String],
        procedures: &[String],
        created: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<Zeroizing<Vec<u8>>, FormError> {
        let stamp = Stamp { created, receipt_id: String::new(), municipality: self.municipality.clone() };
        let sheet = self.catalog.guide("マイナンバーカードの状態", &Self::ids(procedures), notes, &stamp, &self.fonts);
        forms::render_pdf(std::slice::from_ref(&sheet), &self.fonts)
            .map(Zeroizing::new)
            .map_err(|e| FormError::Fill(e.to_string()))
    }

    fn facts(&self, procedures: &[String]) -> FormFacts {
        let ids = Self::ids(procedures);
        let forms = self.catalog.forms_for(&ids);
        let mut card_given: Vec<String> = Vec::new();
        for f in forms.iter().flat_map(|t| &t.fields).filter(|f| f.source.is_card()) {
            if !card_given.contains(&f.id) {
                card_given.push(f.id.clone());
            }
        }
        FormFacts {
            templates: forms.iter().map(|t| (t.id.clone(), t.version)).collect(),
            questions: self.catalog.questions(&ids),
            card_given,
        }
    }

    fn check_answer(&self, procedures: &[String], id: &str, value: &AnswerValue) -> Result<Option<AnswerValue>, Msg> {
        let ids = Self::ids(procedures);
        let forms = self.catalog.forms_for(&ids);
        let field = forms.iter().flat_map(|t| &t.fields).find(|f| f.id == id && f.source == Source::Answer);
        match field {
            Some(f) => forms::validate::check_answer(f, value).map_err(|p| p.message(&f.label)),
            None => Err(forms::validate::Problem::NotAnAnswer.message(&crate::i18n::Text::ja(id))),
        }
    }

    fn procedures(&self) -> Vec<ProcedureInfo> {
        self.catalog.procedures.iter().map(procedure_info).collect()
    }

    fn guide_questions(&self, guide: &Answers) -> Vec<Question> {
        self.catalog.guide_questions(guide)
    }

    fn guide_problems(&self, guide: &Answers) -> Vec<AnswerProblem> {
        self.catalog.guide_problems(guide).iter().map(problem).collect()
    }

    fn guide_result(&self, guide: &Answers) -> Vec<String> {
        self.catalog.guide_result(guide)
    }

    fn needs_my_number(&self, procedures: &[String]) -> bool {
        self.catalog.needs_my_number(&Self::ids(procedures))
    }

    fn questions(&self, procedures: &[String], answers: &Answers) -> Vec<Question> {
        self.catalog.active_questions(&Self::ids(procedures), answers)
    }

    fn problems(&self, req: &FillRequest<'_>) -> Vec<AnswerProblem> {
        let stamp = self.stamp(req);
        let input = FillInput { card: view(req.card), answers: req.answers, signature: None, stamp: &stamp };
        let ids = Self::ids(req.procedures);
        let mut out: Vec<AnswerProblem> = self.catalog.check(&ids, &input).iter().map(problem).collect();
        // What the paper cannot take although the answers are valid: a 外字 the font lacks,
        // a value too long for its box. Checked here so it is fixed before signing.
        if out.is_empty() {
            for t in self.catalog.forms_for(&ids) {
                if let Ok(filled) = forms::fill(t, &input)
                    && let Err(e) = forms::render::check(&filled, &self.fonts)
                {
                    out.push(AnswerProblem { question: e.field().to_string(), message: e.message(t) });
                }
            }
        }
        out
    }

    fn needs_signature(&self, procedures: &[String], answers: &Answers) -> bool {
        self.catalog.needs_signature(&Self::ids(procedures), answers)
    }

    fn render(&self, req: &FillRequest<'_>, signature_png: Option<&[u8]>) -> Result<Rendered, FormError> {
        let ids = Self::ids(req.procedures);
        let templates = self.catalog.forms_for(&ids);
        if templates.is_empty() {
            return Err(FormError::Fill("no forms for the chosen procedures".into()));
        }
        let stamp = self.stamp(req);
        let input = FillInput { card: view(req.card), answers: req.answers, signature: signature_png, stamp: &stamp };
        let mut filled = Vec::new();
        let mut problems: Vec<FieldError> = Vec::new();
        for t in &templates {
            match forms::fill(t, &input) {
                Ok(f) => filled.push(f),
                Err(errs) => problems.extend(errs),
            }
        }
        if let Some(first) = problems.first() {
            // The log names template fields only; the screen says which and why.
            let log = problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            return Err(FormError::Invalid { log, message: first.message() });
        }
        let dir = self.work_dir()?;
        let mut previews_missing = false;
        let mut forms_out = Vec::new();
        let mut parts: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for (i, f) in filled.iter().enumerate() {
            let pdf = Zeroizing::new(
                forms::render_pdf(std::slice::from_ref(f), &self.fonts).map_err(|e| render_error(&e, &f.template))?,
            );
            // File names carry the template id only, never personal data.
            let stem = format!("{:02}-{}", i + 1, f.template.id);
            let path = write_pdf(dir.path(), &stem, &pdf)?;
            // Sharp enough to read at the screen's full width (tap to enlarge).
            let page_previews = previews(&path, &dir.path().join(&stem), 150).unwrap_or_else(|| {
                previews_missing = true;
                Vec::new()
            });
            let procedure_id = ids
                .iter()
                .find(|p| self.catalog.procedure(p).is_some_and(|p| p.forms.contains(&f.template.id)))
                .map_or_else(String::new, |p| (*p).to_string());
            parts.push(pdf.clone());
            forms_out.push(RenderedForm {
                form_id: f.template.id.clone(),
                template_version: f.template.version.to_string(),
                procedure_id,
                title: f.template.title.clone(),
                pdf,
                pdf_path: path,
                page_previews,
                values: printed_values(f),
                declares: declares(&f.template),
            });
        }
        // The 手続き案内 when the guide chose the procedures: on screen and after the forms on paper.
        let mut guide = None;
        if let Some(g) = req.guide
            && let Some(AnswerValue::Choice(event)) = g.get(forms::GUIDE_EVENT)
            && let Some(plan) = self.catalog.plan(event, g)
        {
            let title = self.catalog.life_events.iter().find(|e| &e.id == event).map_or("", |e| e.title.ja.as_str());
            let sheet = self.catalog.guide(title, &ids, &plan.notes, &stamp, &self.fonts);
            let pdf = Zeroizing::new(
                forms::render_pdf(std::slice::from_ref(&sheet), &self.fonts)
                    .map_err(|e| FormError::Fill(e.to_string()))?,
            );
            let path = write_pdf(dir.path(), "guide", &pdf)?;
            // Read on the done screen: sharp enough for 9.5 pt text.
            let page_previews = previews(&path, &dir.path().join("guide"), 110).unwrap_or_default();
            parts.push(pdf.clone());
            guide = Some(GuideSheet { pdf, page_previews });
        }
        // Each form is rendered once; the print job joins the rendered PDFs.
        let print_pdf = if parts.len() == 1 {
            parts.swap_remove(0)
        } else {
            let plain: Vec<Vec<u8>> = parts.iter().map(|p| p.to_vec()).collect();
            let joined = forms::merge(&plain).map_err(|e| FormError::Fill(format!("cannot join the PDFs: {e}")));
            for mut p in plain {
                zeroize::Zeroize::zeroize(&mut p);
            }
            Zeroizing::new(joined?)
        };
        write_pdf(dir.path(), "print", &print_pdf)?;
        Ok(Rendered { forms: forms_out, print_pdf, guide, previews_missing, work_dir: dir })
    }
}

fn render_error(e: &forms::RenderError, t: &Template) -> FormError {
    match e {
        forms::RenderError::MissingGlyph { .. } | forms::RenderError::Overflow { .. } => {
            FormError::Invalid { log: e.log_line(), message: e.message(t) }
        }
        other => FormError::Fill(other.to_string()),
    }
}

fn write_pdf(dir: &Path, stem: &str, pdf: &[u8]) -> Result<PathBuf, FormError> {
    let path = dir.join(format!("{stem}.pdf"));
    std::fs::write(&path, pdf).map_err(|e| FormError::Fill(format!("cannot write the PDF: {}", e.kind())))?;
    Ok(path)
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// The values as the back office gets them: text as printed, dates ISO 8601, sex as the
/// JIS X 0303 code, the chosen choice's id. Images travel separately (the signature).
fn printed_values(f: &forms::FilledForm<'_>) -> Vec<(String, SecretString)> {
    f.template
        .fields
        .iter()
        .filter_map(|field| {
            let v = match f.values.get(&field.id)? {
                Value::Text(s) | Value::Choice(s) => SecretString::new(s.as_ref()),
                Value::Date(d) => SecretString::new(d.format("%Y-%m-%d").to_string()),
                Value::Sex(s) => SecretString::new(char::from(s.code()).to_string()),
                Value::Flag(b) => SecretString::new(if *b { "true" } else { "false" }),
                Value::Count(n) => SecretString::new(n.to_string()),
                Value::Image(_) => return None,
            };
            Some((field.id.clone(), v))
        })
        .collect()
}

/// The card attributes a form declares.
fn declares(t: &Template) -> CardFields {
    let uses = |s: Source| t.fields.iter().any(|f| f.source == s);
    CardFields {
        name: uses(Source::CardName),
        address: uses(Source::CardAddress),
        birth_date: uses(Source::CardBirthDate) || uses(Source::Age),
        sex: uses(Source::CardSex),
        my_number: uses(Source::CardMyNumber),
    }
}
