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
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            enabled: false,
            spool_dir: PathBuf::from("var/export"),
            csv_encoding: CsvEncoding::Utf8,
            utf8_bom: false,
        }
    }
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
