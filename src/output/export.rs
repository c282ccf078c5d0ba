//! Export spool for 三層分離 networks: each submission becomes `<receipt>.json` plus one
//! `<receipt>-<form>.csv` per form, picked up by RPA / 基幹 import. Every file appears
//! atomically (temp file, fsync, rename, fsync dir); readers must ignore names starting
//! with a dot. The JSON is written last, so its presence means the set is complete.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::output::config::{CsvEncoding, ExportConfig};
use crate::output::payload::{Submission, rfc3339};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "export spool {path}: disk is full, nothing was written; free space / 出力先のディスクがいっぱいです。空きを作ってから再出力してください"
    )]
    DiskFull { path: String },
    #[error("export spool {path}: {source} / 出力先に書き込めません")]
    Io { path: String, source: io::Error },
    #[error(
        "form {form_id}, field {field}: a character has no Shift_JIS code; export as UTF-8 or correct it by hand / Shift_JISで表せない文字があります"
    )]
    Unencodable { form_id: String, field: String },
}

impl ExportError {
    pub fn message_ja(&self) -> &'static str {
        match self {
            ExportError::DiskFull { .. } => "出力先のディスクがいっぱいです。管理者に連絡してください。",
            ExportError::Io { .. } => "出力フォルダに書き込めませんでした。管理者に連絡してください。",
            ExportError::Unencodable { .. } => {
                "Shift_JISで表せない文字（外字など）が含まれています。UTF-8で出力するか、職員が手で修正してください。"
            }
        }
    }

    fn io(path: &Path, source: io::Error) -> ExportError {
        let path = path.display().to_string();
        if source.raw_os_error() == Some(28) {
            ExportError::DiskFull { path }
        } else {
            ExportError::Io { path, source }
        }
    }
}

/// The files one submission produced.
#[derive(Debug, Clone)]
pub struct Exported {
    pub json: PathBuf,
    pub csv: Vec<PathBuf>,
}

/// Write one submission into the spool directory.
pub fn export_submission(cfg: &ExportConfig, sub: &Submission, now: DateTime<Utc>) -> Result<Exported, ExportError> {
    fs::create_dir_all(&cfg.spool_dir).map_err(|e| ExportError::io(&cfg.spool_dir, e))?;
    // One visit may yield one submission per procedure, all with the same receipt id.
    let base = format!("{}-{}", safe_name(&sub.receipt_id), safe_name(&sub.procedure_id));
    // Encode everything first so an unencodable value leaves no partial set behind.
    let mut csvs = Vec::new();
    for form in &sub.forms {
        let text = form_csv(sub, form);
        let bytes =
            encode(cfg, &text).map_err(|field| ExportError::Unencodable { form_id: form.form_id.clone(), field })?;
        csvs.push((cfg.spool_dir.join(format!("{base}-{}.csv", safe_name(&form.form_id))), bytes));
    }
    let json = sub.to_json(now);
    let mut out = Exported { json: cfg.spool_dir.join(format!("{base}.json")), csv: Vec::new() };
    for (path, bytes) in &csvs {
        write_atomic(path, bytes)?;
        out.csv.push(path.clone());
    }
    write_atomic(&out.json, &json)?;
    Ok(out)
}

/// Receipt and form ids come from our own generators and templates, but never trust them
/// as path components.
fn safe_name(s: &str) -> String {
    let t: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(80).collect();
    if t.is_empty() { "_".into() } else { t }
}

fn form_csv(sub: &Submission, form: &crate::output::payload::FormInput) -> Zeroizing<String> {
    let mut header: Vec<String> =
        ["receipt_id", "kiosk_id", "procedure_id", "form_id", "template_version", "created_at"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let mut row: Vec<Zeroizing<String>> = [
        sub.receipt_id.as_str(),
        sub.kiosk_id.as_str(),
        sub.procedure_id.as_str(),
        form.form_id.as_str(),
        form.template_version.as_str(),
    ]
    .iter()
    .map(|s| Zeroizing::new(s.to_string()))
    .collect();
    row.push(Zeroizing::new(rfc3339(sub.created_at)));
    let c = &sub.card;
    let mut card = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            header.push(k.into());
            row.push(Zeroizing::new(v));
        }
    };
    card("card.name", c.name.as_ref().map(|s| s.expose().to_owned()));
    card("card.address", c.address.as_ref().map(|s| s.expose().to_owned()));
    card("card.birth_date", c.birth_date.map(|d| d.format("%Y-%m-%d").to_string()));
    card("card.sex", c.sex.map(|s| char::from(s.code()).to_string()));
    card("card.my_number", c.my_number.as_ref().map(|m| m.expose().to_owned()));
    for (k, v) in &form.values {
        header.push(k.clone());
        row.push(Zeroizing::new(v.expose().to_owned()));
    }
    let mut out = Zeroizing::new(String::new());
    push_record(&mut out, header.iter().map(String::as_str));
    push_record(&mut out, row.iter().map(|s| s.as_str()));
    out
}

/// RFC 4180: quote every field, double inner quotes, CRLF line ends.
fn push_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}

/// Returns the header name of the first line that cannot be encoded, on failure.
fn encode(cfg: &ExportConfig, text: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    match cfg.csv_encoding {
        CsvEncoding::Utf8 => {
            let mut v = Vec::with_capacity(text.len() + 3);
            if cfg.utf8_bom {
                v.extend_from_slice(b"\xEF\xBB\xBF");
            }
            v.extend_from_slice(text.as_bytes());
            Ok(Zeroizing::new(v))
        }
        CsvEncoding::ShiftJis => {
            let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
            if !had_errors {
                return Ok(Zeroizing::new(bytes.into_owned()));
            }
            Err(first_unencodable_field(text))
        }
    }
}

fn first_unencodable_field(text: &str) -> String {
    let mut lines = text.split("\r\n");
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let row = lines.next().unwrap_or("");
    // Fields are fully quoted; splitting on "," between quotes is exact.
    let trimmed = row.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(row);
    for (i, field) in trimmed.split("\",\"").enumerate() {
        if encoding_rs::SHIFT_JIS.encode(field).2 {
            return header.get(i).map(|h| h.trim_matches('"').to_owned()).unwrap_or_default();
        }
    }
    String::new()
}

/// Temp file in the same directory, fsync, rename over the final name, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(ExportError::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("../etc/passwd"), "___etc_passwd");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("R-2026_0001"), "R-2026_0001");
    }

    #[test]
    fn csv_quoting() {
        let mut s = String::new();
        push_record(&mut s, ["a\"b", "c,d", "e\nf"].into_iter());
        assert_eq!(s, "\"a\"\"b\",\"c,d\",\"e\nf\"\r\n");
    }
}
