//! The one module that knows every layer: the adapters from the session's ports to the card
//! reader, the forms layer, the output layer, the staff PIN and the clock, and the assembly of
//! a kiosk from its configuration. Dependencies point inward: nothing else uses this module
//! but the CLI and the tests.

pub mod card;
pub mod clerk;
pub mod clock;
pub mod forms;
pub mod output;
pub mod stats;

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

pub use card::{PcscPort, SimHandle, SimReader};
pub use clerk::StaffPin;
pub use clock::SystemClock;
pub use forms::CatalogForms;
pub use output::KioskOutput;
pub use stats::StatsLog;

use crate::card::sim::{Persona, persona};
use crate::config::{self, Config};
use crate::forms::{Catalog, Fonts, FontsConfig};
use crate::session::{CardPort, Clock, Ports, Session, SessionSettings};
use crate::vocab::Answers;

/// Demo wiring: the simulated reader's hand and the personas to pick from.
pub struct Demo {
    pub hand: SimHandle,
    pub personas: Vec<Persona>,
}

impl crate::ui::DemoCards for Demo {
    fn cards(&self) -> Vec<(String, String)> {
        self.personas.iter().map(|p| (p.id.clone(), p.label.clone())).collect()
    }
    fn place(&self, id: &str) {
        if let Some(p) = self.personas.iter().find(|p| p.id == id) {
            self.hand.insert(p.clone());
        }
    }
}

/// A kiosk assembled from its configuration.
pub struct Kiosk {
    pub session: Session,
    pub demo: Option<Demo>,
    /// The configuration as used (for the demo: with its stores moved under `--out`).
    pub config: Config,
    /// Sample answers the headless demo gives (住民票の写し).
    pub demo_answers: Answers,
}

/// The session's timing and mode from the configuration.
pub fn settings(cfg: &Config) -> SessionSettings {
    SessionSettings {
        idle_timeout: cfg.idle_timeout(),
        idle_warning: cfg.idle_warning(),
        done_return: cfg.done_return(),
        clerk_mode: cfg.mode == config::Mode::Clerk,
        clerk_relock: cfg.clerk_relock(),
        languages: cfg.languages.clone(),
        display: crate::session::Display {
            large_text: cfg.screen.text_size == config::TextSize::Large,
            high_contrast: cfg.screen.high_contrast,
        },
    }
}

/// The demo writes only under `out`: its outbox, receipt counter, export spool, staff-PIN
/// record, statistics (`out/stats.sqlite3`, so repeated runs into one folder accumulate) and
/// work files, and it never sends to a back office, whatever the configuration
/// says — fictitious residents must not reach production stores.
pub fn demo_config(mut cfg: Config, out: &Path) -> Config {
    cfg.demo = true;
    cfg.output.outbox.db_path = out.join("outbox/outbox.sqlite3");
    cfg.output.outbox.key_path = out.join("outbox/outbox.key");
    cfg.output.backend = None;
    cfg.output.export.enabled = true;
    cfg.output.export.spool_dir = out.join("export");
    cfg.paths.work_dir = out.join("work");
    cfg.stats.db_path = out.join("stats.sqlite3");
    cfg
}

/// The statistics port from the configuration: the database, or nothing when stats are off
/// or the database cannot be opened (said once on the console; the kiosk still serves).
pub fn visit_log(cfg: &Config) -> Box<dyn crate::session::VisitLog> {
    if !cfg.stats.enabled {
        return Box::new(crate::session::NoVisitLog);
    }
    match StatsLog::open(&cfg.stats) {
        Ok(log) => Box::new(log),
        Err(e) => {
            eprintln!("madoguchi: {e}\n  → the kiosk runs without statistics / 統計なしで動作します");
            Box::new(crate::session::NoVisitLog)
        }
    }
}

/// The staff-PIN failure record: next to the outbox, in the kiosk's own state directory.
fn staff_pin_record(cfg: &Config) -> Option<PathBuf> {
    cfg.output.outbox.db_path.parent().map(|d| d.join("staff-pin.state"))
}

/// The templates and fonts: embedded templates for the demo, the configured files otherwise.
pub fn load_forms(cfg: &Config) -> Result<CatalogForms, String> {
    let catalog = if cfg.demo {
        Catalog::embedded()
    } else {
        Catalog::load(&cfg.paths.templates_dir, &cfg.paths.procedures_dir.join("procedures.toml"))
    }
    .map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        format!("templates have problems / テンプレートに問題があります:\n{}", lines.join("\n"))
    })?;
    let fonts = Fonts::load(&FontsConfig::default())
        .map_err(|e| format!("{e} (install fonts-ipaexfont / フォントを入れてください)"))?;
    Ok(CatalogForms::new(catalog, fonts, cfg.municipality.clone(), cfg.paths.work_dir.clone()))
}

/// Assemble the kiosk: the reader (a virtual one with a persona picker in the demo), the
/// forms, the output layer and the staff PIN, over the system clock.
pub fn build(cfg: Config) -> Result<Kiosk, String> {
    let (card, demo): (Box<dyn CardPort>, Option<Demo>) = if cfg.demo {
        let (reader, hand) = SimReader::new();
        let reader = reader.renew_within_days(cfg.reader.renew_within_days);
        (Box::new(reader), Some(Demo { hand, personas: persona::builtin() }))
    } else {
        // A missing reader does not stop the kiosk (a service would restart it in a loop
        // behind a black screen): the card screen says what is wrong until one is plugged in.
        let mut port = PcscPort::new(&cfg.reader.name_pattern).renew_within_days(cfg.reader.renew_within_days);
        match port.reader_name() {
            Ok(name) => eprintln!("madoguchi: card reader / カードリーダー: {name}"),
            Err(e) => eprintln!(
                "madoguchi: {e}\n  → the kiosk starts anyway and shows this on the card screen; check the reader and pcscd / カード画面に表示します。リーダーと pcscd を確認してください"
            ),
        }
        (Box::new(port), None)
    };
    let forms = load_forms(&cfg)?;
    let swept = forms.sweep();
    if swept > 0 {
        eprintln!(
            "madoguchi: removed {swept} work folder(s) left by an earlier run / 前回の作業フォルダを削除しました"
        );
    }
    let demo_answers = forms.demo_answers(&["juminhyo"]);
    let output =
        KioskOutput::start(&cfg.output, &cfg.kiosk_id, cfg.demo).map_err(|e| format!("{e}\n  → {}", e.message_ja()))?;
    // Said at every start, not only by `madoguchi print`: the local CUPS may keep each
    // printed form (個人番号 included) on this disk.
    if let Some(uri) = &cfg.output.print.printer_uri
        && let Some(warning) =
            crate::output::print::cups::privacy_warning(uri, Path::new(crate::output::print::cups::CUPSD_CONF))
    {
        eprintln!("madoguchi: {warning}");
    }
    let clock: Rc<dyn Clock> = Rc::new(SystemClock);
    let ports = Ports {
        card,
        forms: Box::new(forms),
        output: Arc::new(output),
        clerk: Box::new(StaffPin::new(cfg.clerk.pin_hash.clone(), staff_pin_record(&cfg))),
        clock,
    };
    let mut session = Session::new(settings(&cfg), ports);
    session.set_visit_log(&cfg.kiosk_id, visit_log(&cfg));
    Ok(Kiosk { session, demo, config: cfg, demo_answers })
}
