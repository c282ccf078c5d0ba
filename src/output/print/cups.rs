//! Whether the local CUPS keeps the documents it printed. CUPS's default is
//! `PreserveJobFiles 86400`: every printed form (個人番号 included) stays in /var/spool/cups
//! for a day. The counter PC should say `PreserveJobFiles No` (packaging/docs/privacy.ja.md);
//! `madoguchi print` warns when it does not.

use std::path::Path;

/// Where Debian's cupsd reads its configuration.
pub const CUPSD_CONF: &str = "/etc/cups/cupsd.conf";

/// What cupsd does with a job's document after printing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFiles {
    /// `PreserveJobFiles No`: deleted once printed.
    Deleted,
    /// Kept this long (seconds; `None` = until the job history goes).
    Kept(Option<u64>),
}

/// The `PreserveJobFiles` setting of a cupsd.conf text (the last one wins, as in cupsd).
pub fn job_files(conf: &str) -> JobFiles {
    let mut setting = JobFiles::Kept(Some(86_400)); // cupsd's built-in default
    for line in conf.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(value)) = (words.next(), words.next()) else { continue };
        if !key.eq_ignore_ascii_case("PreserveJobFiles") {
            continue;
        }
        setting = match value.to_ascii_lowercase().as_str() {
            "no" | "off" | "false" | "0" => JobFiles::Deleted,
            "yes" | "on" | "true" => JobFiles::Kept(None),
            v => v.parse().map_or(JobFiles::Kept(None), |s| JobFiles::Kept(Some(s))),
        };
    }
    setting
}

/// Whether `uri` is a queue of the CUPS on this machine (`ipp://localhost:631/printers/…`).
pub fn is_local_cups(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else { return false };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p),
        _ => (authority, "631"),
    };
    crate::output::config::is_loopback_host(host)
        && port == "631"
        && (path.starts_with("printers/") || path.starts_with("classes/"))
}

/// A warning (English / Japanese) when printing to `uri` leaves the document on this disk.
pub fn privacy_warning(uri: &str, conf_path: &Path) -> Option<String> {
    if !is_local_cups(uri) {
        return None;
    }
    let how_long = match std::fs::read_to_string(conf_path) {
        Err(e) => {
            return Some(format!(
                "warning: cannot read {} ({e}) to check that CUPS deletes printed forms / CUPS の設定を確認できません",
                conf_path.display()
            ));
        }
        Ok(text) => match job_files(&text) {
            JobFiles::Deleted => return None,
            JobFiles::Kept(Some(s)) => format!("for {s} seconds"),
            JobFiles::Kept(None) => "until the job history is purged".to_string(),
        },
    };
    Some(format!(
        "warning: the local CUPS keeps every printed form in /var/spool/cups {how_long}; add `PreserveJobFiles No` to {} and restart cups / CUPS が印刷した申請書をディスクに残す設定です。{} に PreserveJobFiles No を書いて cups を再起動してください",
        conf_path.display(),
        conf_path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preserve_job_files_settings() {
        assert_eq!(job_files("LogLevel warn\n"), JobFiles::Kept(Some(86_400)), "the default keeps them a day");
        assert_eq!(job_files("PreserveJobFiles No\n"), JobFiles::Deleted);
        assert_eq!(job_files("preservejobfiles off\n"), JobFiles::Deleted);
        assert_eq!(job_files("PreserveJobFiles Yes\n"), JobFiles::Kept(None));
        assert_eq!(job_files("PreserveJobFiles 3600\n"), JobFiles::Kept(Some(3600)));
        assert_eq!(job_files("PreserveJobFiles No\nPreserveJobFiles Yes\n"), JobFiles::Kept(None), "last wins");
        assert_eq!(job_files("# PreserveJobFiles No\n"), JobFiles::Kept(Some(86_400)), "a comment is no setting");
    }

    #[test]
    fn local_cups_queues() {
        assert!(is_local_cups("ipp://localhost:631/printers/kiosk"));
        assert!(is_local_cups("ipp://127.0.0.1/printers/kiosk"));
        assert!(!is_local_cups("ipp://localhost:8631/ipp/print"), "ippeveprinter, not CUPS");
        assert!(!is_local_cups("ipps://printer.example.lg.jp/ipp/print"));
    }
}
