//! The real forms layer (templates, filling, PDF) behind the session's [`FormService`].

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::card::SecretString;
use crate::forms::model::{Field, FieldKind, Source};
use crate::forms::{self, Answer, Catalog, FillInput, Fonts, Value};

use super::answers::{AnswerValue, Answers};
use super::services::{
    CardFields, Choice, DeclaredCard, FillRequest, FormError, FormService, GuideSheet, ProcedureInfo, Question,
    QuestionKind, RenderedForm, RenderedVisit,
};

/// Question id of the first guide question: which life event brought the resident.
pub const GUIDE_EVENT: &str = "guide-event";

/// Forms from a template [`Catalog`], rendered with real fonts.
pub struct CatalogForms {
    catalog: Catalog,
    fonts: Fonts,
    municipality: String,
}

impl CatalogForms {
    pub fn new(catalog: Catalog, fonts: Fonts, municipality: impl Into<String>) -> Self {
        CatalogForms { catalog, fonts, municipality: municipality.into() }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Sample answers for every question of these procedures (the headless demo answers
    /// with them, as a resident would by touch).
    pub fn demo_answers(&self, procedures: &[&str]) -> Vec<(String, AnswerValue)> {
        let sample = forms::sample::sample_answers(&self.catalog.forms_for(procedures));
        sample
            .into_iter()
            .filter_map(|(id, a)| {
                let v = match a {
                    Answer::Text(s) => AnswerValue::Text(s),
                    Answer::Flag(b) => AnswerValue::YesNo(b),
                    Answer::Count(n) => AnswerValue::Count(n),
                    Answer::Date(d) => AnswerValue::Date(d),
                    Answer::Choices(mut c) if !c.is_empty() => AnswerValue::Choice(c.swap_remove(0)),
                    Answer::Choices(_) | Answer::Signature(_) => return None,
                };
                Some((id, v))
            })
            .collect()
    }
}

/// Category heading and icon key for the procedure screen, from the first form it prints.
fn category_of(first_form: &str) -> (&'static str, &'static str) {
    match first_form {
        "juminhyo" | "koseki" | "inkan-shomei" => ("証明書", "certificate"),
        "shotoku-kazei" => ("税", "tax"),
        "idou" => ("引っ越し", "moving"),
        "jidou-teate" => ("子育て", "family"),
        "inkan-toroku" => ("印鑑", "seal"),
        _ => ("その他", "other"),
    }
}

/// The touch control for a template field. Signatures come from the signature step.
fn to_question(f: &Field) -> Option<Question> {
    let kind = match f.kind {
        FieldKind::Choice | FieldKind::MultiChoice => QuestionKind::Choice(
            f.choices
                .iter()
                .map(|c| Choice { id: c.value.clone(), label_ja: c.label.ja.clone(), label_en: c.label.en.clone() })
                .collect(),
        ),
        FieldKind::Checkbox => QuestionKind::YesNo,
        FieldKind::Count => QuestionKind::Count { min: f.min.unwrap_or(0), max: f.max.unwrap_or(99) },
        FieldKind::Date => QuestionKind::Date,
        FieldKind::Kana => QuestionKind::Kana { max_chars: f.max_len.map_or(40, |n| n as usize) },
        FieldKind::Text | FieldKind::Phone => QuestionKind::Text { max_chars: f.max_len.map_or(80, |n| n as usize) },
        FieldKind::Signature => return None,
    };
    // A conditional field is only required when its condition holds; the filler checks that.
    Some(Question {
        id: f.id.clone(),
        label_ja: f.label.ja.clone(),
        label_en: f.label.en.clone(),
        help_ja: f.help.as_ref().map(|h| h.ja.clone()).unwrap_or_default(),
        help_en: f.help.as_ref().map(|h| h.en.clone()).unwrap_or_default(),
        kind,
        required: f.required && f.when.is_none(),
    })
}

fn to_forms_answers(a: &Answers) -> forms::Answers {
    a.iter()
        .map(|(id, v)| {
            let ans = match v {
                AnswerValue::Choice(c) => Answer::Choices(vec![c.clone()]),
                AnswerValue::YesNo(b) => Answer::Flag(*b),
                AnswerValue::Count(n) => Answer::Count(*n),
                AnswerValue::Date(d) => Answer::Date(*d),
                AnswerValue::Text(s) => Answer::Text(s.clone()),
            };
            (id.to_string(), ans)
        })
        .collect()
}

/// Page previews as PNG via poppler's pdftoppm; none (not an error) if it is missing.
fn previews(pdf: &Path, prefix: &Path, dpi: u32) -> Vec<PathBuf> {
    let ok = Command::new("pdftoppm")
        .args(["-png", "-r", &dpi.to_string()])
        .arg(pdf)
        .arg(prefix)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return Vec::new();
    }
    let (Some(dir), Some(stem)) = (prefix.parent(), prefix.file_name().and_then(|s| s.to_str())) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "png")
                        && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{stem}-")))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

impl FormService for CatalogForms {
    fn procedures(&self) -> Vec<ProcedureInfo> {
        self.catalog
            .procedures
            .iter()
            .map(|p| {
                let (cat, icon) = category_of(p.forms.first().map_or("", String::as_str));
                ProcedureInfo {
                    id: p.id.clone(),
                    title_ja: p.title.ja.clone(),
                    title_en: p.title.en.clone(),
                    category_ja: cat.into(),
                    icon: icon.into(),
                }
            })
            .collect()
    }

    fn guide_questions(&self, answers: &Answers) -> Vec<Question> {
        let events = self.catalog.life_events.iter().map(|e| Choice {
            id: e.id.clone(),
            label_ja: e.title.ja.clone(),
            label_en: e.title.en.clone(),
        });
        let mut qs = vec![Question {
            id: GUIDE_EVENT.into(),
            label_ja: "どのようなご用件ですか?".into(),
            label_en: "What brings you here today?".into(),
            help_ja: String::new(),
            help_en: String::new(),
            kind: QuestionKind::Choice(events.collect()),
            required: true,
        }];
        // Only the chosen event's follow-up questions; none until one is chosen.
        let chosen = match answers.get(GUIDE_EVENT) {
            Some(AnswerValue::Choice(c)) => self.catalog.life_events.iter().find(|e| &e.id == c),
            _ => None,
        };
        for f in chosen.map_or(&[][..], |e| e.questions.as_slice()) {
            if let Some(mut q) = to_question(f) {
                // The rules treat "not answered" as "no".
                q.required = false;
                qs.push(q);
            }
        }
        qs
    }

    fn guide_result(&self, answers: &Answers) -> Vec<String> {
        let Some(AnswerValue::Choice(event)) = answers.get(GUIDE_EVENT) else {
            return Vec::new();
        };
        self.catalog.plan(event, &to_forms_answers(answers)).map(|p| p.procedures).unwrap_or_default()
    }

    fn needs_my_number(&self, procedures: &[String]) -> bool {
        let ids: Vec<&str> = procedures.iter().map(String::as_str).collect();
        self.catalog.needs_my_number(&ids)
    }

    fn questions(&self, procedures: &[String]) -> Vec<Question> {
        let ids: Vec<&str> = procedures.iter().map(String::as_str).collect();
        self.catalog.questions(&ids).into_iter().filter_map(to_question).collect()
    }

    fn active_questions(&self, procedures: &[String], answers: &Answers) -> Vec<Question> {
        let ids: Vec<&str> = procedures.iter().map(String::as_str).collect();
        self.catalog.active_questions(&ids, &to_forms_answers(answers)).into_iter().filter_map(to_question).collect()
    }

    fn render(&self, req: &FillRequest<'_>) -> Result<RenderedVisit, FormError> {
        let ids: Vec<&str> = req.procedures.iter().map(String::as_str).collect();
        let templates = self.catalog.forms_for(&ids);
        if templates.is_empty() {
            return Err(FormError::Fill("no forms for the chosen procedures".into()));
        }
        let session = forms::Session {
            created: chrono::Local::now().fixed_offset(),
            receipt_id: req.receipt_id.to_string(),
            municipality: self.municipality.clone(),
        };
        let mut answers = to_forms_answers(req.answers);
        for f in templates.iter().flat_map(|t| &t.fields).filter(|f| f.kind == FieldKind::Signature) {
            answers.insert(f.id.clone(), Answer::Signature(zeroize::Zeroizing::new(req.signature_png.to_vec())));
        }
        let input =
            FillInput { attributes: req.attributes, my_number: req.my_number, answers: &answers, session: &session };
        let mut filled = Vec::new();
        let mut problems = Vec::new();
        for t in &templates {
            match forms::fill(t, &input) {
                Ok(f) => filled.push(f),
                Err(errs) => problems.extend(errs),
            }
        }
        if !problems.is_empty() {
            let ja = problems.iter().map(|e| format!("{}: {}", e.label_ja, e.message_ja)).collect::<Vec<_>>();
            let en = problems.iter().map(|e| format!("{}: {}", e.field, e.message_en)).collect::<Vec<_>>();
            return Err(FormError::Invalid { ja: ja.join(" / "), en: en.join(" / ") });
        }
        let mut out = RenderedVisit { card: declared_card(&templates, req), ..RenderedVisit::default() };
        for (i, f) in filled.iter().enumerate() {
            let pdf =
                forms::render_pdf(std::slice::from_ref(f), &self.fonts).map_err(|e| FormError::Fill(e.to_string()))?;
            // File names carry the template id only, never personal data.
            let path = write_pdf(req.work_dir, &format!("{:02}-{}", i + 1, f.template.id), &pdf)?;
            let page_previews = previews(&path, &req.work_dir.join(format!("{:02}-{}", i + 1, f.template.id)), 40);
            let procedure_id = ids
                .iter()
                .find(|p| self.catalog.procedure(p).is_some_and(|p| p.forms.contains(&f.template.id)))
                .map_or_else(String::new, |p| (*p).to_string());
            out.forms.push(RenderedForm {
                form_id: f.template.id.clone(),
                template_version: f.template.version.to_string(),
                procedure_id,
                title_ja: f.template.title.ja.clone(),
                pdf: path,
                page_previews,
                values: printed_values(f),
                declares: declares(&f.template),
            });
        }
        // The 手続き案内 when the guide chose the procedures: on screen and after the forms on paper.
        let mut print_set = filled;
        if let Some(g) = req.guide
            && let Some(AnswerValue::Choice(event)) = g.get(GUIDE_EVENT)
            && let Some(plan) = self.catalog.plan(event, &to_forms_answers(g))
        {
            let title = self.catalog.life_events.iter().find(|e| &e.id == event).map_or("", |e| e.title.ja.as_str());
            let sheet = self.catalog.guide(title, &ids, &plan.notes, &session, &self.fonts);
            let pdf = forms::render_pdf(std::slice::from_ref(&sheet), &self.fonts)
                .map_err(|e| FormError::Fill(e.to_string()))?;
            let path = write_pdf(req.work_dir, "guide", &pdf)?;
            // Read on the done screen: sharp enough for 9.5 pt text.
            let page_previews = previews(&path, &req.work_dir.join("guide"), 110);
            out.guide = Some(GuideSheet { pdf: path, page_previews });
            print_set.push(sheet);
        }
        let all = forms::render_pdf(&print_set, &self.fonts).map_err(|e| FormError::Fill(e.to_string()))?;
        out.print_pdf = Some(write_pdf(req.work_dir, "print", &all)?);
        Ok(out)
    }
}

fn write_pdf(dir: &Path, stem: &str, pdf: &[u8]) -> Result<PathBuf, FormError> {
    let path = dir.join(format!("{stem}.pdf"));
    std::fs::write(&path, pdf).map_err(|e| FormError::Fill(format!("cannot write the PDF: {e}")))?;
    Ok(path)
}

/// The values as the back office gets them: text as printed, dates ISO 8601, sex as the
/// JIS X 0303 code, choices comma-separated. Images travel separately (the signature).
fn printed_values(f: &forms::FilledForm) -> Vec<(String, SecretString)> {
    f.template
        .fields
        .iter()
        .filter_map(|field| {
            let v = match f.values.get(&field.id)? {
                Value::Text(s) => s.clone(),
                Value::Date(d) => SecretString::new(d.format("%Y-%m-%d").to_string()),
                Value::Sex(s) => SecretString::new(char::from(s.code()).to_string()),
                Value::Flag(b) => SecretString::new(if *b { "true" } else { "false" }),
                Value::Count(n) => SecretString::new(n.to_string()),
                Value::Choices(c) => SecretString::new(c.join(",")),
                Value::Image(_) => return None,
            };
            Some((field.id.clone(), v))
        })
        .collect()
}

/// The card attributes a form declares.
fn declares(t: &forms::model::Template) -> CardFields {
    let uses = |s: Source| t.fields.iter().any(|f| f.source == s);
    CardFields {
        name: uses(Source::CardName),
        address: uses(Source::CardAddress),
        birth_date: uses(Source::CardBirthDate) || uses(Source::Age),
        sex: uses(Source::CardSex),
        my_number: uses(Source::CardMyNumber),
    }
}

/// Only the card attributes some chosen form declares (the payload must carry no more).
fn declared_card(templates: &[&forms::model::Template], req: &FillRequest<'_>) -> DeclaredCard {
    let d = templates.iter().fold(CardFields::default(), |acc, t| acc.union(declares(t)));
    let a = req.attributes;
    d.select(&DeclaredCard {
        name: Some(a.name.clone()),
        address: Some(a.address.clone()),
        birth_date: Some(a.birth_date.date()),
        sex: Some(a.sex),
        my_number: req.my_number.cloned(),
    })
}
