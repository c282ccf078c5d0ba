//! `madoguchi forms list|check|preview`: administrator tools for form templates.
//! Errors name file:line:column and how to fix them (English + Japanese); previews use
//! fictitious personas only.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args, Subcommand};
use madoguchi::card::sim::{Persona, persona};
use madoguchi::forms::{self, Catalog, FillInput, Fonts, FontsConfig, RenderOptions, Template};

#[derive(Subcommand)]
pub enum FormsCmd {
    /// List the procedures and form templates / 手続きと様式の一覧
    List(CatalogArgs),
    /// Check every template in DIR (default: built-in) / テンプレートの検査
    Check {
        /// Directory with *.toml templates (procedures.toml is read from its parent)
        dir: Option<PathBuf>,
        /// Procedures file (default: DIR/../procedures.toml)
        #[arg(long)]
        procedures: Option<PathBuf>,
    },
    /// Render a template with sample data / 見本データで様式を表示
    Preview(PreviewArgs),
}

#[derive(Args)]
pub struct CatalogArgs {
    /// Templates directory (default: built-in templates)
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Procedures file (default: TEMPLATES/../procedures.toml)
    #[arg(long)]
    procedures: Option<PathBuf>,
}

#[derive(Args)]
pub struct PreviewArgs {
    /// Template file (.toml) or the id of a built-in template
    template: String,
    /// Persona id (built-in) or persona TOML file; default "typical"
    #[arg(long, default_value = "typical")]
    persona: String,
    /// Answers TOML (field = value); missing answers get sample values
    #[arg(long)]
    answers: Option<PathBuf>,
    /// Output PDF
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Also write OUT.png (page 1, 100 dpi) with pdftoppm
    #[arg(long)]
    png: bool,
    /// Draw a 5 mm grid with 10 mm labels for placing fields
    #[arg(long)]
    grid: bool,
    /// Gothic font file
    #[arg(long, env = "MADOGUCHI_FONT_GOTHIC", default_value = forms::fonts::IPAEX_GOTHIC)]
    font_gothic: PathBuf,
    /// Mincho font file
    #[arg(long, env = "MADOGUCHI_FONT_MINCHO", default_value = forms::fonts::IPAEX_MINCHO)]
    font_mincho: PathBuf,
}

pub fn run(cmd: FormsCmd) -> ExitCode {
    match cmd {
        FormsCmd::List(a) => list(&a),
        FormsCmd::Check { dir, procedures } => check(dir.as_deref(), procedures.as_deref()),
        FormsCmd::Preview(a) => match preview(&a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error / エラー: {e}");
                ExitCode::from(1)
            }
        },
    }
}

fn procedures_for(dir: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit.map(Path::to_path_buf).unwrap_or_else(|| dir.parent().unwrap_or(Path::new(".")).join("procedures.toml"))
}

fn load(dir: Option<&Path>, procedures: Option<&Path>) -> Result<Catalog, Vec<forms::TemplateError>> {
    match dir {
        Some(d) => Catalog::load(d, &procedures_for(d, procedures)),
        None => Catalog::embedded(),
    }
}

fn list(a: &CatalogArgs) -> ExitCode {
    let c = match load(a.templates.as_deref(), a.procedures.as_deref()) {
        Ok(c) => c,
        Err(errs) => return report(&errs),
    };
    println!("procedures / 手続き:");
    for p in &c.procedures {
        let mn = if c.needs_my_number(&[&p.id]) { "  [個人番号]" } else { "" };
        println!("  {:<16} {} ({}) → {}{mn}", p.id, p.title.ja, p.title.en, p.forms.join(", "));
    }
    println!("forms / 様式:");
    for t in &c.templates {
        println!("  {:<16} v{} {} ({}), {} fields", t.id, t.version, t.title.ja, t.title.en, t.fields.len());
    }
    println!("life events / ライフイベント:");
    for e in &c.life_events {
        println!("  {:<16} {} ({})", e.id, e.title.ja, e.title.en);
    }
    ExitCode::SUCCESS
}

fn report(errs: &[forms::TemplateError]) -> ExitCode {
    for e in errs {
        eprintln!("{e}");
    }
    eprintln!("{} problem(s) / {} 件の問題があります", errs.len(), errs.len());
    ExitCode::from(1)
}

fn check(dir: Option<&Path>, procedures: Option<&Path>) -> ExitCode {
    match load(dir, procedures) {
        Ok(c) => {
            println!("OK: {} templates, {} procedures / 問題ありません", c.templates.len(), c.procedures.len());
            ExitCode::SUCCESS
        }
        Err(errs) => report(&errs),
    }
}

fn preview(a: &PreviewArgs) -> Result<(), String> {
    let template: Template = if a.template.ends_with(".toml") || Path::new(&a.template).exists() {
        let mut t = forms::load_template(Path::new(&a.template))
            .map_err(|es| es.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
        if let Some(rel) = &t.base_pdf {
            let p = Path::new(&a.template).parent().unwrap_or(Path::new(".")).join(rel);
            t.base_pdf_data =
                Some(std::sync::Arc::new(std::fs::read(&p).map_err(|e| format!("base_pdf {}: {e}", p.display()))?));
        }
        t
    } else {
        let c = Catalog::embedded().map_err(|es| es.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
        c.template(&a.template)
            .cloned()
            .ok_or_else(|| format!("no template {:?} / その様式はありません", a.template))?
    };
    let p: Persona = match persona::builtin_by_id(&a.persona) {
        Some(p) => p,
        None => Persona::load(Path::new(&a.persona)).map_err(|e| e.to_string())?,
    };
    let mut answers = forms::sample::sample_answers(&[&template]);
    let mut signature = forms::sample::sample_signature();
    if let Some(path) = &a.answers {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (given, sig) =
            forms::sample::answers_from_toml(&text, &[&template]).map_err(|e| format!("{}: {e}", path.display()))?;
        for (id, v) in given.iter() {
            answers.set(id, v.clone());
        }
        if let Some(sig) = sig {
            signature = sig;
        }
    }
    let attrs = p.attributes();
    let stamp = forms::sample::sample_stamp();
    let input = FillInput {
        card: forms::CardView::of(&attrs, Some(&p.my_number)),
        answers: &answers,
        signature: Some(&signature),
        stamp: &stamp,
    };
    let filled = forms::fill(&template, &input)
        .map_err(|es| es.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
    let fonts = Fonts::load(&FontsConfig {
        gothic: a.font_gothic.clone(),
        mincho: a.font_mincho.clone(),
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    // The administrator previews fictitious or test data: the clerk's screen message (which
    // names a 外字's code point) goes with the log line.
    let pdf = forms::render_pdf_with(&[filled], &fonts, RenderOptions { grid: a.grid }).map_err(|e| {
        let m = e.message(&template);
        format!("{e}\n  → {} / {}", m.render("en"), m.ja())
    })?;
    std::fs::write(&a.output, &pdf).map_err(|e| format!("{}: {e}", a.output.display()))?;
    println!("wrote / 出力しました: {}", a.output.display());
    if a.png {
        let stem = a.output.with_extension("");
        let st = Command::new("pdftoppm")
            .args(["-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&a.output)
            .arg(&stem)
            .status()
            .map_err(|e| format!("pdftoppm (poppler-utils) is needed for --png: {e} / pdftoppm が必要です"))?;
        if !st.success() {
            return Err("pdftoppm failed / pdftoppm が失敗しました".into());
        }
        println!("wrote / 出力しました: {}.png", stem.display());
    }
    Ok(())
}
