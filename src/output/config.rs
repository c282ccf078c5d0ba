//! Output configuration. Every field has a default that works with no file at all:
//! the outbox lives in a local directory, no backend (outbox only), export off.

use std::path::PathBuf;

use serde::Deserialize;

/// The `[output]` section of the kiosk configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// `true`: the kiosk process delivers the outbox itself. `false`: a separate
    /// `madoguchi outbox run` (the madoguchi-sender service) does, so delivery goes on while
    /// the UI restarts.
    pub sender_in_kiosk: bool,
    pub print: PrintConfig,
    pub outbox: OutboxConfig,
    /// `None` = no back office: submissions stay in the outbox (and/or the export spool).
    pub backend: Option<BackendConfig>,
    pub export: ExportConfig,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            sender_in_kiosk: true,
            print: PrintConfig::default(),
            outbox: OutboxConfig::default(),
            backend: None,
            export: ExportConfig::default(),
        }
    }
}

impl OutputConfig {
    /// Parse the `[output]` section from TOML text (used by the CLI and tests).
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrintConfig {
    /// `None` = printing disabled.
    pub printer_uri: Option<String>,
    /// IPP `media` keyword; A4 by default.
    pub media: String,
    /// CUPS queues only: send as `application/vnd.cups-raw` so CUPS passes the PDF through
    /// unchanged (the printer must understand PDF itself).
    pub raw: bool,
    /// How long to keep retrying while the printer answers "busy".
    pub busy_timeout_secs: u64,
    /// How long to wait for a job to finish.
    pub job_timeout_secs: u64,
    pub user_name: String,
    /// `ipps://` only: PEM file with the certificate(s) to trust for the printer, e.g. the
    /// printer's own self-signed certificate or the municipality's CA. The system's CAs are
    /// trusted as well.
    pub ca_cert: Option<PathBuf>,
    /// Plain `ipp://` / `http://` to a printer that is not on this machine sends the forms
    /// (個人番号 included) across the network in clear: refused unless this is set.
    pub allow_insecure: bool,
}

impl Default for PrintConfig {
    fn default() -> Self {
        PrintConfig {
            printer_uri: None,
            media: "iso_a4_210x297mm".into(),
            raw: false,
            busy_timeout_secs: 60,
            job_timeout_secs: 120,
            user_name: "madoguchi".into(),
            ca_cert: None,
            allow_insecure: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// The SQLite database file.
    pub db_path: PathBuf,
    /// The 32-byte key file (created with mode 0600 when missing).
    pub key_path: PathBuf,
    /// Delivered submissions are deleted this many hours after delivery.
    pub retention_hours: u64,
    /// Upper bound for the database size (0 = only the disk limits it). Reaching it is
    /// reported exactly like a full disk.
    pub max_db_size_mb: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            db_path: PathBuf::from("var/outbox/outbox.sqlite3"),
            key_path: PathBuf::from("var/outbox/outbox.key"),
            retention_hours: 24 * 7,
            max_db_size_mb: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendConfig {
    /// Full URL of the submissions endpoint, e.g. `https://backoffice.example.lg.jp/api/v1/submissions`.
    pub url: String,
    /// PEM bundle of CA certificates to trust instead of the system roots.
    pub ca_bundle: Option<PathBuf>,
    /// PEM file holding the client certificate chain and its private key (mTLS).
    pub client_identity: Option<PathBuf>,
    /// Plain `http://` is refused unless this is set, and even then only to loopback.
    pub allow_insecure_loopback_http: bool,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Backoff: first retry delay and the ceiling, in milliseconds.
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// How many submissions are in flight at once.
    pub concurrency: usize,
    /// How often the sender looks for due work when idle.
    pub poll_interval_ms: u64,
    /// Optional bearer token sent as `Authorization`.
    pub bearer_token: Option<String>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            url: String::new(),
            ca_bundle: None,
            client_identity: None,
            allow_insecure_loopback_http: false,
            request_timeout_secs: 30,
            connect_timeout_secs: 10,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 5 * 60 * 1_000,
            concurrency: 16,
            poll_interval_ms: 500,
            bearer_token: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvEncoding {
    #[default]
    Utf8,
    /// For legacy RPA tools; characters outside Shift_JIS are an error, never replaced.
    ShiftJis,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportConfig {
    pub enabled: bool,
    pub spool_dir: PathBuf,
    pub csv_encoding: CsvEncoding,
    /// Write a UTF-8 BOM (Excel needs it to detect UTF-8). Ignored for Shift_JIS.
    pub utf8_bom: bool,
    /// Export files (and stale temp files) older than this are deleted from the spool: the
    /// pickup account should take them long before. 0 = never (the pickup deletes them).
    pub retention_hours: u64,
    /// The 個人番号 goes into the export only when this is set; otherwise it is left out of
    /// the card columns, of every form value that holds it, and the PDF (which prints it)
    /// is not exported for such a submission.
    pub include_my_number: bool,
    /// For CSV opened in Excel: a value starting with `=`, `+`, `-`, `@`, TAB or CR gets a
    /// leading `'` so Excel shows it as text instead of running it as a formula.
    pub excel_formula_guard: bool,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            enabled: false,
            spool_dir: PathBuf::from("var/export"),
            csv_encoding: CsvEncoding::Utf8,
            utf8_bom: false,
            retention_hours: 24 * 7,
            include_my_number: false,
            excel_formula_guard: false,
        }
    }
}

/// One problem `OutputConfig::validate` found: the key (as written in the file) and what
/// is wrong, English and Japanese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub field: &'static str,
    pub problem: String,
    pub problem_ja: String,
}

/// Longest retention (outbox and export): one leap year. Longer keeps personal data for no
/// purpose, and far larger values overflow date arithmetic.
pub const MAX_RETENTION_HOURS: u64 = 24 * 366;

impl OutputConfig {
    /// Every problem in the `[output]` settings, one each. The kiosk (`Config::validate`) and
    /// the `outbox`/`print` commands both refuse to start with any.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut bad = |field: &'static str, problem: String, problem_ja: String| {
            out.push(ConfigProblem { field, problem, problem_ja })
        };
        let mut range = |field: &'static str, v: u64, lo: u64, hi: u64, unit: &str, unit_ja: &str| {
            if !(lo..=hi).contains(&v) {
                bad(
                    field,
                    format!("{v} is out of range: use {lo}–{hi} {unit}"),
                    format!("{lo}〜{hi}{unit_ja}で指定してください"),
                );
            }
        };
        let p = &self.print;
        range("output.print.busy_timeout_secs", p.busy_timeout_secs, 1, 3600, "seconds", "秒");
        range("output.print.job_timeout_secs", p.job_timeout_secs, 1, 3600, "seconds", "秒");
        range("output.outbox.retention_hours", self.outbox.retention_hours, 0, MAX_RETENTION_HOURS, "hours", "時間");
        range("output.outbox.max_db_size_mb", self.outbox.max_db_size_mb, 0, 1 << 20, "MB", "MB");
        range("output.export.retention_hours", self.export.retention_hours, 0, MAX_RETENTION_HOURS, "hours", "時間");
        if let Some(b) = &self.backend {
            range("output.backend.request_timeout_secs", b.request_timeout_secs, 1, 600, "seconds", "秒");
            range("output.backend.connect_timeout_secs", b.connect_timeout_secs, 1, 300, "seconds", "秒");
            // A floor, or a failing back office is hammered in a tight loop.
            range("output.backend.backoff_initial_ms", b.backoff_initial_ms, 10, 3_600_000, "ms", "ミリ秒");
            range("output.backend.backoff_max_ms", b.backoff_max_ms, 10, 86_400_000, "ms", "ミリ秒");
            range("output.backend.poll_interval_ms", b.poll_interval_ms, 10, 60_000, "ms", "ミリ秒");
            range("output.backend.concurrency", b.concurrency as u64, 1, 256, "", "");
        }
        let mut bad = |field: &'static str, problem: String, problem_ja: &str| {
            out.push(ConfigProblem { field, problem, problem_ja: problem_ja.into() })
        };
        if let Some(b) = &self.backend
            && b.backoff_max_ms < b.backoff_initial_ms
        {
            bad(
                "output.backend.backoff_max_ms",
                "must not be less than backoff_initial_ms".into(),
                "backoff_initial_ms 以上にしてください",
            );
        }
        if let Some(uri) = &p.printer_uri
            && let Err((en, ja)) = check_printer_uri(uri, p.allow_insecure)
        {
            bad("output.print.printer_uri", en, ja);
        }
        if let Some(f) = &p.ca_cert
            && !f.is_file()
        {
            bad("output.print.ca_cert", format!("file {} does not exist", f.display()), "指定のファイルがありません");
        }
        if let Some(b) = &self.backend {
            if let Err(e) = crate::output::outbox::check_backend_url(&b.url, b.allow_insecure_loopback_http) {
                bad(
                    "output.backend.url",
                    e.to_string(),
                    "送信先は https:// で指定してください(http:// は同じ端末宛てで allow_insecure_loopback_http = true のときだけ)",
                );
            }
            for (field, f) in
                [("output.backend.ca_bundle", &b.ca_bundle), ("output.backend.client_identity", &b.client_identity)]
            {
                if let Some(f) = f
                    && !f.is_file()
                {
                    bad(field, format!("file {} does not exist", f.display()), "指定のファイルがありません");
                }
            }
        }
        out
    }
}

/// `ipps://` and `https://` always; `ipp://` and `http://` only to this machine, or anywhere
/// with `allow_insecure` (the forms would cross the network in clear).
pub fn check_printer_uri(uri: &str, allow_insecure: bool) -> Result<(), (String, &'static str)> {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return Err((
            format!("{uri:?} is not an ipp:// or ipps:// URI"),
            "プリンターは ipps:// または ipp:// で指定してください",
        ));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err((format!("{uri:?} names no printer host"), "プリンターのアドレスがありません"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "ipps" | "https" => Ok(()),
        "ipp" | "http" if allow_insecure || is_loopback_host(host) => Ok(()),
        "ipp" | "http" => Err((
            format!(
                "{uri:?} sends the forms unencrypted to another machine: use ipps:// (with ca_cert), a local CUPS queue, or set output.print.allow_insecure = true"
            ),
            "別の機器への ipp:// は暗号化されません。ipps:// を使うか、この端末の CUPS を経由してください(どうしても必要なら output.print.allow_insecure = true)",
        )),
        _ => Err((
            format!("{uri:?} is not an ipp:// or ipps:// URI"),
            "プリンターは ipps:// または ipp:// で指定してください",
        )),
    }
}

/// `localhost`, 127.0.0.0/8 and ::1.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_has_working_defaults() {
        let c = OutputConfig::from_toml("").expect("empty config parses");
        assert!(c.backend.is_none());
        assert!(!c.export.enabled);
        assert_eq!(c.print.media, "iso_a4_210x297mm");
        assert!(c.outbox.db_path.ends_with("outbox.sqlite3"));
    }

    #[test]
    fn partial_sections_fill_in_defaults() {
        let c = OutputConfig::from_toml(
            "[backend]\nurl = \"https://x.invalid/s\"\n[export]\nenabled = true\ncsv_encoding = \"shift_jis\"\n",
        )
        .expect("parses");
        let b = c.backend.expect("backend");
        assert_eq!(b.concurrency, 16);
        assert_eq!(c.export.csv_encoding, CsvEncoding::ShiftJis);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(OutputConfig::from_toml("[outbox]\nretention = 3\n").is_err());
    }
}
