//! Printer and job state → typed errors with Japanese messages for the clerk.

/// A condition at the printer that stops printing and that a clerk can fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterCondition {
    MediaEmpty,
    MediaJam,
    DoorOpen,
    TonerEmpty,
    Offline,
    /// Stopped by an administrator (CUPS `cupsdisable`, IPP Pause-Printer).
    Paused,
    /// Stopped for a reason without a specific message.
    Stopped,
}

impl PrinterCondition {
    pub fn message_ja(self) -> &'static str {
        match self {
            PrinterCondition::MediaEmpty => "プリンターの用紙がありません。A4用紙を補充してください。",
            PrinterCondition::MediaJam => "プリンターで紙詰まりが起きています。詰まった用紙を取り除いてください。",
            PrinterCondition::DoorOpen => "プリンターのカバーが開いています。カバーを閉じてください。",
            PrinterCondition::TonerEmpty => "トナー（インク）がありません。交換してください。",
            PrinterCondition::Offline => "プリンターがオフラインです。電源とケーブルを確認してください。",
            PrinterCondition::Paused => "プリンターが一時停止されています。管理者に再開を依頼してください。",
            PrinterCondition::Stopped => "プリンターが停止しています。プリンターの表示を確認してください。",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("printer URI {0:?} is not valid / プリンターのURIが正しくありません")]
    InvalidUri(String),
    #[error("printer is not reachable: {0} / プリンターに接続できません")]
    Unreachable(String),
    #[error("printer condition {condition:?} (reasons: {reasons}) / {}", condition.message_ja())]
    Condition { condition: PrinterCondition, reasons: String },
    #[error("printer is not accepting jobs / プリンターが印刷を受け付けていません")]
    NotAccepting,
    #[error("printer stayed busy for {0} s / プリンターが他の印刷中です")]
    Busy(u64),
    #[error("printer refused the job: {0} / 印刷を受け付けませんでした")]
    Rejected(String),
    #[error("job {job_id} {state} (reasons: {reasons}) / 印刷が中止されました")]
    JobFailed { job_id: i32, state: &'static str, reasons: String },
    #[error("job {0} did not finish in time / 印刷が終わりません")]
    Timeout(i32),
    #[error("IPP protocol error: {0} / プリンターとの通信でエラーが発生しました")]
    Protocol(String),
    #[error("cannot read {path}: {detail} / ファイルを読めません")]
    File { path: String, detail: String },
    #[error("printer certificate file {path}: {detail} / プリンター証明書ファイル(print.ca_cert)を読めません")]
    Certificate { path: String, detail: String },
    #[error(
        "TLS to the printer failed: {0}; for ipps:// set print.ca_cert to the printer's certificate / プリンターとの暗号化通信に失敗しました"
    )]
    Tls(String),
}

impl PrintError {
    /// Text for the clerk screen.
    pub fn message_ja(&self) -> &'static str {
        match self {
            PrintError::InvalidUri(_) => "プリンターの設定が正しくありません。管理者に連絡してください。",
            PrintError::Unreachable(_) => {
                "プリンターに接続できません。電源とネットワークを確認し、再印刷してください。"
            }
            PrintError::Condition { condition, .. } => condition.message_ja(),
            PrintError::NotAccepting => "プリンターが印刷を受け付けていません。管理者に連絡してください。",
            PrintError::Busy(_) => "プリンターが他の印刷中です。しばらく待ってから再印刷してください。",
            PrintError::Rejected(_) | PrintError::Protocol(_) => {
                "印刷できませんでした。再印刷しても直らない場合は管理者に連絡してください。"
            }
            PrintError::JobFailed { .. } => "印刷が中止されました。プリンターを確認して再印刷してください。",
            PrintError::Timeout(_) => "印刷が終わりません。プリンターを確認してください。",
            PrintError::File { .. } => "印刷するファイルを読めませんでした。",
            PrintError::Certificate { .. } | PrintError::Tls(_) => {
                "プリンターの証明書を確認できません。管理者に連絡してください（設定 print.ca_cert）。"
            }
        }
    }

    /// Whether pressing 再印刷 may succeed without an administrator.
    pub fn retryable(&self) -> bool {
        !matches!(
            self,
            PrintError::InvalidUri(_) | PrintError::File { .. } | PrintError::Certificate { .. } | PrintError::Tls(_)
        )
    }
}

/// `media-empty-error` → `media-empty`; warnings and reports never block printing.
fn blocking_keyword(r: &str) -> Option<&str> {
    if r.ends_with("-warning") || r.ends_with("-report") || r == "none" {
        return None;
    }
    Some(r.strip_suffix("-error").unwrap_or(r))
}

/// The condition that blocks printing, if any. `stopped` = printer-state is stopped (5).
pub fn condition_from(stopped: bool, reasons: &[String]) -> Option<PrinterCondition> {
    let kws: Vec<&str> = reasons.iter().filter_map(|r| blocking_keyword(r)).collect();
    let has = |names: &[&str]| kws.iter().any(|k| names.contains(k));
    // Most specific first: a jammed printer usually also reports "stopped"/"paused".
    let found = if has(&["media-jam", "input-tray-missing"]) {
        Some(PrinterCondition::MediaJam)
    } else if has(&["media-empty", "media-needed"]) {
        Some(PrinterCondition::MediaEmpty)
    } else if has(&["door-open", "cover-open", "interlock-open"]) {
        Some(PrinterCondition::DoorOpen)
    } else if has(&["toner-empty", "marker-supply-empty", "marker-waste-full"]) {
        Some(PrinterCondition::TonerEmpty)
    } else if has(&["offline", "shutdown", "connecting-to-device", "timed-out"]) {
        Some(PrinterCondition::Offline)
    } else if has(&["paused", "moving-to-paused"]) {
        Some(PrinterCondition::Paused)
    } else {
        None
    };
    found.or(if stopped { Some(PrinterCondition::Stopped) } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reasons_map_to_conditions() {
        assert_eq!(condition_from(false, &v(&["none"])), None);
        assert_eq!(condition_from(false, &v(&["media-low-warning"])), None);
        assert_eq!(condition_from(true, &v(&["media-empty-error"])), Some(PrinterCondition::MediaEmpty));
        assert_eq!(condition_from(false, &v(&["media-needed"])), Some(PrinterCondition::MediaEmpty));
        assert_eq!(condition_from(true, &v(&["paused", "media-jam-error"])), Some(PrinterCondition::MediaJam));
        assert_eq!(condition_from(true, &v(&["paused"])), Some(PrinterCondition::Paused));
        assert_eq!(condition_from(false, &v(&["offline-report"])), None);
        assert_eq!(condition_from(false, &v(&["offline"])), Some(PrinterCondition::Offline));
        assert_eq!(condition_from(true, &v(&["other"])), Some(PrinterCondition::Stopped));
        assert_eq!(condition_from(false, &v(&["cover-open-error"])), Some(PrinterCondition::DoorOpen));
    }

    #[test]
    fn every_error_has_japanese_text() {
        let e = PrintError::Condition { condition: PrinterCondition::MediaEmpty, reasons: "media-empty".into() };
        assert!(e.message_ja().contains("用紙"));
        assert!(e.to_string().contains("用紙"));
        assert!(!PrintError::InvalidUri("x".into()).retryable());
        assert!(PrintError::Busy(3).retryable());
    }
}
