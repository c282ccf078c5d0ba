//! `madoguchi preinput build|decode`: the resident's pre-input page, generated from the
//! kiosk's templates, and a clerk's look into a pre-input code (never its values).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use madoguchi::config::Config;
use madoguchi::forms::Catalog;
use madoguchi::preinput::page;

#[derive(Subcommand)]
pub enum PreinputCmd {
    /// Write the resident's pre-input web page into DIR / 事前入力ページを出力
    Build(BuildArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    /// Output directory (created if needed) / 出力先のディレクトリ
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Kiosk configuration: use its templates_dir and procedures_dir / キオスクの設定ファイル
    #[arg(long, value_name = "FILE", conflicts_with_all = ["templates", "procedures"])]
    config: Option<PathBuf>,
    /// Templates directory (default: built-in templates) / テンプレートのディレクトリ
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Procedures file (default: TEMPLATES/../procedures.toml) / 手続きファイル
    #[arg(long, value_name = "FILE", requires = "templates")]
    procedures: Option<PathBuf>,
}

pub fn run(cmd: PreinputCmd) -> ExitCode {
    match cmd {
        PreinputCmd::Build(a) => build(&a),
    }
}

fn catalog(a: &BuildArgs) -> Result<Catalog, String> {
    let loaded = if let Some(path) = &a.config {
        let cfg = Config::load(path).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
            format!("configuration has problems / 設定に問題があります:\n{}", lines.join("\n"))
        })?;
        Catalog::load(&cfg.paths.templates_dir, &cfg.paths.procedures_dir.join("procedures.toml"))
    } else if let Some(dir) = &a.templates {
        let procedures =
            a.procedures.clone().unwrap_or_else(|| dir.parent().unwrap_or(Path::new(".")).join("procedures.toml"));
        Catalog::load(dir, &procedures)
    } else {
        Catalog::embedded()
    };
    loaded.map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
        format!(
            "templates have problems; fix them first (madoguchi forms check) / テンプレートに問題があります。先に直してください:\n{}",
            lines.join("\n")
        )
    })
}

fn build(a: &BuildArgs) -> ExitCode {
    let c = match catalog(a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error / エラー: {e}");
            return ExitCode::from(1);
        }
    };
    match page::write(&c, &a.out) {
        Ok(files) => {
            for f in files {
                println!("wrote / 出力しました: {}", f.display());
            }
            println!(
                "{} procedures, {} templates; put every file of {} on the web server together / {} のファイルをすべて同じ場所に置いてください",
                c.procedures.len(),
                c.templates.len(),
                a.out.display(),
                a.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error / エラー: {e}");
            ExitCode::from(1)
        }
    }
}
