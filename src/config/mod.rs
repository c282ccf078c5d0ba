//! Kiosk configuration: one TOML file (see `packaging/docs/configuration.ja.md` and
//! [`EXAMPLE`]). Every field has a default that works on a demo machine; `validate` reports
//! one clear message per problem, English + Japanese, before anything starts.

mod clerk_pin;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::output::config::OutputConfig;
use thiserror::Error;

pub use clerk_pin::{ClerkPinError, hash_clerk_pin, verify_clerk_pin};

/// The commented example shipped in the docs; it is also what the defaults are.
pub const EXAMPLE: &str = include_str!("kiosk.example.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Residents use the kiosk alone.
    #[default]
    #[serde(rename = "self")]
    SelfService,
    /// A clerk drives the kiosk for the resident.
    Clerk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScreenOrientation {
    #[default]
    Landscape,
    Portrait,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TextSize {
    #[default]
    Standard,
    Large,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// 市区町村名 printed on forms and the 手続き案内.
    pub municipality: String,
    /// This kiosk's id: the start of every 受付番号 and `kiosk_id` in submissions (A–Z, 0–9, `-`).
    pub kiosk_id: String,
    pub mode: Mode,
    /// Simulated card with a persona picker instead of a real reader.
    pub demo: bool,
    /// Offered languages, first is the default: `ja`, `ja-easy` (やさしい日本語), `en`.
    pub languages: Vec<String>,
    pub reader: ReaderConfig,
    pub screen: ScreenConfig,
    pub timeouts: TimeoutConfig,
    pub paths: PathsConfig,
    pub clerk: ClerkConfig,
    /// Printing, outbox, back office, export spool (the output layer's own settings).
    pub output: OutputConfig,
    /// Counter statistics (no personal data): see `packaging/docs/stats.ja.md`.
    pub stats: StatsConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatsConfig {
    /// Record one PII-free row per visit.
    pub enabled: bool,
    /// The statistics database (its own SQLite file, not the outbox).
    pub db_path: PathBuf,
    /// Rows older than this many days are deleted (0 = keep every row).
    pub retention_days: u32,
    /// Clerk minutes one paper form takes (the report's "staff time saved" baseline).
    pub paper_minutes_per_form: f64,
    /// The same per procedure id, where it differs.
    pub paper_minutes: std::collections::BTreeMap<String, f64>,
}

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            enabled: true,
            db_path: "var/stats/stats.sqlite3".into(),
            retention_days: 1095,
            paper_minutes_per_form: 10.0,
            paper_minutes: Default::default(),
        }
    }
}

impl StatsConfig {
    /// Clerk minutes per paper form the report accepts as a baseline: 0 to 600.
    pub fn paper_minutes_ok(m: f64) -> bool {
        m.is_finite() && (0.0..=600.0).contains(&m)
    }

    pub fn baseline(&self) -> crate::stats::aggregate::PaperBaseline {
        crate::stats::aggregate::PaperBaseline {
            minutes_per_form: self.paper_minutes_per_form,
            per_procedure: self.paper_minutes.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReaderConfig {
    /// Substring of the PC/SC reader name; empty = the first reader.
    pub name_pattern: String,
    /// The card status check advises renewal this many days before the 利用者証明用電子証明書
    /// expires (certificates can be renewed from three months before).
    pub renew_within_days: u32,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig { name_pattern: String::new(), renew_within_days: crate::card::status::DEFAULT_RENEW_WITHIN_DAYS }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenConfig {
    /// Physical pixels per inch of the touch screen (touch targets are sized in mm from it).
    pub dpi: f32,
    pub orientation: ScreenOrientation,
    pub text_size: TextSize,
    pub high_contrast: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutConfig {
    pub idle_seconds: u64,
    pub warning_seconds: u64,
    pub done_return_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathsConfig {
    pub templates_dir: PathBuf,
    pub procedures_dir: PathBuf,
    /// Per-session temporary files (PDFs, previews); wiped at the end of every session.
    pub work_dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClerkConfig {
    /// Argon2id PHC string of the staff PIN (`madoguchi kiosk --hash-clerk-pin`). Empty = clerk
    /// unlock disabled.
    pub pin_hash: String,
    /// Self-service: clerk powers end after this many seconds without clerk activity (and
    /// always when the next resident starts).
    pub relock_seconds: u64,
}

impl Default for ClerkConfig {
    fn default() -> Self {
        ClerkConfig { pin_hash: String::new(), relock_seconds: 300 }
    }
}

/// Output fields kept together so the output layer can swap in its own `OutputConfig`.
impl Default for Config {
    fn default() -> Self {
        Config {
            municipality: "見本市".into(),
            kiosk_id: "K01".into(),
            mode: Mode::SelfService,
            demo: false,
            languages: vec!["ja".into(), "ja-easy".into(), "en".into()],
            reader: ReaderConfig::default(),
            screen: ScreenConfig::default(),
            timeouts: TimeoutConfig::default(),
            paths: PathsConfig::default(),
            clerk: ClerkConfig::default(),
            output: OutputConfig::default(),
            stats: StatsConfig::default(),
        }
    }
}

impl Default for ScreenConfig {
    fn default() -> Self {
        ScreenConfig {
            dpi: DEFAULT_DPI,
            orientation: ScreenOrientation::Landscape,
            text_size: TextSize::Standard,
            high_contrast: false,
        }
    }
}

/// A 24-inch 1920×1080 touch monitor.
pub const DEFAULT_DPI: f32 = 96.0;

impl Default for TimeoutConfig {
    fn default() -> Self {
        TimeoutConfig { idle_seconds: 60, warning_seconds: 45, done_return_seconds: 20 }
    }
}

impl Default for PathsConfig {
    fn default() -> Self {
        PathsConfig {
            templates_dir: "/usr/share/madoguchi/templates".into(),
            procedures_dir: "/usr/share/madoguchi/procedures".into(),
            work_dir: std::env::temp_dir().join("madoguchi-sessions"),
        }
    }
}

/// A TOML error as `line L, column C: message`, never quoting the source. The `toml` crate's
/// `Display` prints the offending line, and in a configuration that line may be the
/// `bearer_token` or the staff-PIN hash: the message goes to the journal. serde's "invalid
/// type/value" messages also carry the value itself (`invalid type: string "…"`): cut it.
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = toml_message(e);
    match e.span().filter(|_| !text.is_empty()) {
        Some(span) => {
            let (line, column) = line_col(text, span.start);
            format!("line {line}, column {column}: {msg}")
        }
        None => msg,
    }
}

/// The message of a TOML error without its location, source line or offending value.
pub fn toml_message(e: &toml::de::Error) -> String {
    redact_serde_value(e.message().trim())
}

fn redact_serde_value(msg: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(i) = rest.find(", expected ")
        {
            // Keep the kind ("string", "integer") but not the value that follows it.
            let kind = rest[..i].split([' ', '`', '"']).next().unwrap_or("");
            return format!("{}{kind}, {}", prefix, &rest[i + 2..]);
        }
    }
    msg.to_string()
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// One configuration problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {reason} / 設定ファイルを読めません")]
    Read { path: PathBuf, reason: String },
    #[error("configuration file {path} is not valid TOML: {reason} / 設定ファイルの書き方に誤りがあります")]
    Parse { path: PathBuf, reason: String },
    #[error("{field}: {problem} / {problem_ja}")]
    Invalid { field: &'static str, problem: String, problem_ja: String },
}

fn bad(field: &'static str, problem: impl Into<String>, problem_ja: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { field, problem: problem.into(), problem_ja: problem_ja.into() }
}

impl Config {
    /// Parse TOML text (`origin` names the file in messages).
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: origin.to_path_buf(), reason: toml_error(text, &e) })
    }

    /// Load and validate a file; every problem is returned, not just the first.
    pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![ConfigError::Read { path: path.to_path_buf(), reason: e.to_string() }])?;
        let cfg = Config::parse(&text, path).map_err(|e| vec![e])?;
        let problems = cfg.validate();
        if problems.is_empty() { Ok(cfg) } else { Err(problems) }
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.timeouts.idle_seconds)
    }
    pub fn idle_warning(&self) -> Duration {
        Duration::from_secs(self.timeouts.warning_seconds)
    }
    pub fn done_return(&self) -> Duration {
        Duration::from_secs(self.timeouts.done_return_seconds)
    }
    pub fn clerk_relock(&self) -> Duration {
        Duration::from_secs(self.clerk.relock_seconds)
    }

    /// Every problem, one message each.
    pub fn validate(&self) -> Vec<ConfigError> {
        let mut out = Vec::new();
        if self.kiosk_id.is_empty()
            || self.kiosk_id.len() > 16
            || !self.kiosk_id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            out.push(bad(
                "kiosk_id",
                format!("{:?}: use 1–16 characters A–Z, 0–9 or -", self.kiosk_id),
                "端末IDは英大文字・数字・- の1〜16文字で指定してください",
            ));
        }
        if self.languages.is_empty() {
            out.push(bad("languages", "list at least one language", "言語を1つ以上指定してください"));
        }
        for l in &self.languages {
            if crate::i18n::language(l).is_none() {
                let known: Vec<&str> = crate::i18n::languages().iter().map(|l| l.code.as_str()).collect();
                out.push(bad(
                    "languages",
                    format!("unknown language {l:?} (use {})", known.join(", ")),
                    format!("不明な言語 {l:?} です({} のいずれか)", known.join(", ")),
                ));
            }
        }
        if !(30..=3600).contains(&self.clerk.relock_seconds) {
            out.push(bad("clerk.relock_seconds", "must be 30 to 3600 seconds", "30〜3600秒で指定してください"));
        }
        if !(1..=365).contains(&self.reader.renew_within_days) {
            out.push(bad("reader.renew_within_days", "must be 1 to 365 days", "1〜365日で指定してください"));
        }
        if !(50.0..=600.0).contains(&self.screen.dpi) {
            out.push(bad(
                "screen.dpi",
                format!("{} is not a plausible screen DPI (50–600)", self.screen.dpi),
                "画面のDPIは50〜600で指定してください",
            ));
        }
        let t = &self.timeouts;
        if t.idle_seconds < 15 {
            out.push(bad("timeouts.idle_seconds", "must be at least 15 seconds", "15秒以上にしてください"));
        }
        if t.warning_seconds >= t.idle_seconds {
            out.push(bad(
                "timeouts.warning_seconds",
                "must be less than timeouts.idle_seconds",
                "警告までの秒数は無操作タイムアウトより短くしてください",
            ));
        }
        if t.done_return_seconds < 5 {
            out.push(bad("timeouts.done_return_seconds", "must be at least 5 seconds", "5秒以上にしてください"));
        }
        if !self.clerk.pin_hash.is_empty()
            && let Err(e) = clerk_pin::parse_hash(&self.clerk.pin_hash)
        {
            out.push(bad(
                "clerk.pin_hash",
                e.to_string(),
                "職員用暗証番号のハッシュが正しくありません(madoguchi kiosk --hash-clerk-pin で作成)",
            ));
        }
        if self.mode == Mode::Clerk && self.clerk.pin_hash.is_empty() {
            out.push(bad(
                "clerk.pin_hash",
                "mode = \"clerk\" needs a staff PIN hash",
                "職員モードには職員用暗証番号のハッシュが必要です",
            ));
        }
        if !self.demo {
            for (field, dir) in [
                ("paths.templates_dir", &self.paths.templates_dir),
                ("paths.procedures_dir", &self.paths.procedures_dir),
            ] {
                if !dir.is_dir() {
                    out.push(bad(
                        field,
                        format!("directory {} does not exist", dir.display()),
                        "指定のフォルダがありません",
                    ));
                }
            }
        }
        let t = &self.timeouts;
        // Upper bounds: a session that never times out keeps a resident's data on screen, and
        // huge values overflow `Instant + Duration`.
        if t.idle_seconds > 3600 {
            out.push(bad("timeouts.idle_seconds", "must be at most 3600 seconds", "3600秒以下にしてください"));
        }
        if t.done_return_seconds > 600 {
            out.push(bad("timeouts.done_return_seconds", "must be at most 600 seconds", "600秒以下にしてください"));
        }
        if self.stats.retention_days > 3660 {
            out.push(bad(
                "stats.retention_days",
                "must be at most 3660 days (0 = keep)",
                "3660日以下にしてください(0 = 削除しない)",
            ));
        }
        let minutes_ok = StatsConfig::paper_minutes_ok;
        if !minutes_ok(self.stats.paper_minutes_per_form) {
            out.push(bad("stats.paper_minutes_per_form", "must be 0 to 600 minutes", "0〜600分で指定してください"));
        }
        for (id, m) in &self.stats.paper_minutes {
            if !minutes_ok(*m) || crate::vocab::visit::Code::new(id).is_none() {
                out.push(bad(
                    "stats.paper_minutes",
                    format!("{id:?}: use a procedure id and 0 to 600 minutes"),
                    "手続きIDと0〜600分で指定してください",
                ));
            }
        }
        if self.stats.enabled && self.stats.db_path.as_os_str().is_empty() {
            out.push(bad("stats.db_path", "must not be empty", "統計データベースの場所を指定してください"));
        }
        for p in self.output.validate() {
            out.push(ConfigError::Invalid { field: p.field, problem: p.problem, problem_ja: p.problem_ja });
        }
        out
    }
}

#[cfg(test)]
mod tests;
