//! Export spool for 三層分離 networks: each submission becomes `<receipt>.json` plus one
//! `<receipt>-<form>.csv` per form, picked up by RPA / 基幹 import. Every file appears
//! atomically (temp file, fsync, rename, fsync dir); readers must ignore names starting
//! with a dot. The JSON is written last, so its presence means the set is complete.
//!
//! The spool is shared with the pickup account (the package makes it setgid, group
//! `madoguchi-export`, writable so the pickup can delete what it took). So temp files get a
//! random name and are created exclusively without following symlinks, and files older than
//! `retention_hours` are swept. The 個人番号 is left out unless `include_my_number`.

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
    #[error(
        "export spool {path}: only {free_kb} KiB free, {need_kb} KiB needed; nothing was written / 出力先の空きが足りません"
    )]
    NoSpace { path: String, free_kb: u64, need_kb: u64 },
}

impl ExportError {
    pub fn message_ja(&self) -> &'static str {
        match self {
            ExportError::DiskFull { .. } | ExportError::NoSpace { .. } => {
                "出力先のディスクがいっぱいです。管理者に連絡してください。"
            }
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

/// Everything one submission will write, encoded, before anything touches the spool.
struct Planned {
    csv: Vec<(PathBuf, Zeroizing<Vec<u8>>)>,
    json: (PathBuf, Zeroizing<Vec<u8>>),
}

fn plan(cfg: &ExportConfig, sub: &Submission, now: DateTime<Utc>) -> Result<Planned, ExportError> {
    let withheld;
    let withhold = !cfg.include_my_number && sub.card.my_number.is_some();
    let sub = if withhold {
        withheld = without_my_number(sub);
        &withheld
    } else {
        sub
    };
    // One visit may yield one submission per procedure, all with the same receipt id.
    let base = format!("{}-{}", safe_name(&sub.receipt_id), safe_name(&sub.procedure_id));
    let mut csv = Vec::new();
    for form in &sub.forms {
        let text = form_csv(sub, form, cfg.excel_formula_guard);
        let bytes =
            encode(cfg, &text).map_err(|field| ExportError::Unencodable { form_id: form.form_id.clone(), field })?;
        csv.push((cfg.spool_dir.join(format!("{base}-{}.csv", safe_name(&form.form_id))), bytes));
    }
    // The PDF prints the 個人番号: a submission whose number was withheld goes without it.
    let json = if withhold { sub.to_json_without_pdf(now) } else { sub.to_json(now) };
    Ok(Planned { csv, json: (cfg.spool_dir.join(format!("{base}.json")), json) })
}

/// A copy with the 個人番号 gone: the card column, and every form value that holds it
/// (a form that prints it fills a field from it), and the PDF.
fn without_my_number(sub: &Submission) -> Submission {
    let mut s = sub.clone();
    let digits = s.card.my_number.take().map(|m| m.expose().to_owned()).map(Zeroizing::new);
    if let Some(n) = &digits {
        for form in &mut s.forms {
            for (_, v) in &mut form.values {
                let compact: Zeroizing<String> =
                    Zeroizing::new(v.expose().chars().filter(char::is_ascii_digit).collect());
                if compact.contains(n.as_str()) {
                    *v = crate::vocab::person::SecretString::new("");
                }
            }
        }
    }
    s
}

/// Check that `subs` can be exported — every value encodable, the spool writable and with
/// room for all of them — without writing any of them. The kiosk runs this before the outbox
/// commit, so what would fail after it fails before anything was accepted.
pub fn preflight(cfg: &ExportConfig, subs: &[&Submission], now: DateTime<Utc>) -> Result<(), ExportError> {
    let mut need: u64 = 0;
    for sub in subs {
        let p = plan(cfg, sub, now)?;
        need += p.csv.iter().map(|(_, b)| b.len() as u64 + 4096).sum::<u64>() + p.json.1.len() as u64 + 4096;
    }
    fs::create_dir_all(&cfg.spool_dir).map_err(|e| ExportError::io(&cfg.spool_dir, e))?;
    // Writable: a real exclusive create, removed at once.
    let probe = create_temp(&cfg.spool_dir, "preflight").map_err(|e| ExportError::io(&cfg.spool_dir, e))?;
    let _ = fs::remove_file(&probe.1);
    let free = free_bytes(&cfg.spool_dir).map_err(|e| ExportError::io(&cfg.spool_dir, e))?;
    // A margin on top, so the files fit even if something else writes meanwhile.
    let need = need + 256 * 1024;
    if free < need {
        return Err(ExportError::NoSpace {
            path: cfg.spool_dir.display().to_string(),
            free_kb: free / 1024,
            need_kb: need.div_ceil(1024),
        });
    }
    Ok(())
}

fn free_bytes(dir: &Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// Write one submission into the spool directory.
pub fn export_submission(cfg: &ExportConfig, sub: &Submission, now: DateTime<Utc>) -> Result<Exported, ExportError> {
    fs::create_dir_all(&cfg.spool_dir).map_err(|e| ExportError::io(&cfg.spool_dir, e))?;
    // Encode everything first so an unencodable value leaves no partial set behind.
    let planned = plan(cfg, sub, now)?;
    let mut out = Exported { json: planned.json.0.clone(), csv: Vec::new() };
    for (path, bytes) in &planned.csv {
        write_atomic(path, bytes)?;
        out.csv.push(path.clone());
    }
    write_atomic(&out.json, &planned.json.1)?;
    Ok(out)
}

/// Delete spool files older than `retention_hours` (by modification time): exports the pickup
/// never took, and temp files a crash left. Only regular files directly in the spool; a
/// symlink or directory someone placed there is left alone. Returns how many were deleted.
pub fn sweep(cfg: &ExportConfig, now: std::time::SystemTime) -> Result<usize, ExportError> {
    if cfg.retention_hours == 0 {
        return Ok(0);
    }
    let keep = std::time::Duration::from_secs(cfg.retention_hours.saturating_mul(3600));
    // Checked: a retention longer than the clock has run deletes nothing.
    let Some(cutoff) = now.checked_sub(keep) else { return Ok(0) };
    let stale_tmp = now.checked_sub(std::time::Duration::from_secs(3600));
    let entries = match fs::read_dir(&cfg.spool_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(ExportError::io(&cfg.spool_dir, e)),
    };
    let mut n = 0;
    for e in entries.flatten() {
        let Ok(meta) = e.path().symlink_metadata() else { continue };
        let Ok(modified) = meta.modified() else { continue };
        if !meta.file_type().is_file() {
            continue;
        }
        let is_tmp = e.file_name().to_string_lossy().starts_with('.');
        let old = modified <= cutoff || (is_tmp && stale_tmp.is_some_and(|t| modified <= t));
        if old && fs::remove_file(e.path()).is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

/// Receipt and form ids come from our own generators and templates, but never trust them
/// as path components.
fn safe_name(s: &str) -> String {
    let t: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(80).collect();
    if t.is_empty() { "_".into() } else { t }
}

fn form_csv(sub: &Submission, form: &crate::output::payload::FormInput, formula_guard: bool) -> Zeroizing<String> {
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
    if formula_guard {
        for v in &mut row {
            if let Some(g) = neutralise_formula(v) {
                *v = g;
            }
        }
    }
    let mut out = Zeroizing::new(String::new());
    push_record(&mut out, header.iter().map(String::as_str));
    push_record(&mut out, row.iter().map(|s| s.as_str()));
    out
}

/// Excel (and LibreOffice) run a cell starting with `=`, `+`, `-` or `@` as a formula, and
/// TAB/CR are used to smuggle one in. A leading `'` makes the cell plain text in Excel.
fn neutralise_formula(v: &str) -> Option<Zeroizing<String>> {
    v.starts_with(['=', '+', '-', '@', '\t', '\r']).then(|| Zeroizing::new(format!("'{v}")))
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

/// A new temp file in `dir` with a random name (`.<stem>.<random>.tmp`), created exclusively
/// (`O_EXCL`: never an existing file or a symlink someone planted; `O_NOFOLLOW` as well),
/// mode 0640 (the setgid spool gives it the pickup group).
fn create_temp(dir: &Path, stem: &str) -> io::Result<(fs::File, PathBuf)> {
    use chacha20poly1305::aead::{OsRng, rand_core::RngCore as _};
    let stem: String = stem.chars().take(100).collect();
    for _ in 0..16 {
        let r: String = (0..8).map(|_| format!("{:02x}", (OsRng.next_u32() & 0xff) as u8)).collect();
        let tmp = dir.join(format!(".{stem}.{r}.tmp"));
        match open_new(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temp file name"))
}

/// Create `path` for writing only if nothing is there: never an existing file, never through
/// a symlink (whether it points anywhere or not), mode 0640.
fn open_new(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Temp file in the same directory, fsync, rename over the final name, fsync the directory.
/// `rename` replaces a name, never follows it: a symlink at the final name is replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (f, tmp) = create_temp(dir, &name).map_err(|e| ExportError::io(path, e))?;
    let result = (|| {
        let mut f = f;
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
    fn temp_files_are_new_files_with_unpredictable_names_never_through_a_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep me").expect("victim");
        // A symlink to a file, and a dangling one (O_CREAT alone would create its target).
        let link = dir.path().join("planted");
        std::os::unix::fs::symlink(&victim, &link).expect("plant");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("would-be-created"), &dangling).expect("plant");
        for p in [&link, &dangling] {
            let e = open_new(p).expect_err("a planted name is refused");
            assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{p:?}: {e}");
        }
        assert_eq!(fs::read_to_string(&victim).expect("victim"), "keep me");
        assert!(!dir.path().join("would-be-created").exists());
        // An existing regular file is not reused either.
        let e = open_new(&victim).expect_err("existing file");
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        // Two temp files for the same final name get different random names.
        let (_, a) = create_temp(dir.path(), "R-1.json").expect("temp");
        let (_, b) = create_temp(dir.path(), "R-1.json").expect("temp");
        assert_ne!(a, b);
        assert!(a.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".R-1.json.")));
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("../etc/passwd"), "___etc_passwd");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("R-2026_0001"), "R-2026_0001");
    }

    #[test]
    fn formulas_are_neutralised() {
        for v in ["=1+2", "+81", "-3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise_formula(v).as_deref().map(String::as_str), Some(format!("'{v}").as_str()));
        }
        for v in ["窓口 花子", "2026-11-22", "", "a=b"] {
            assert!(neutralise_formula(v).is_none(), "{v:?}");
        }
    }

    #[test]
    fn csv_quoting() {
        let mut s = String::new();
        push_record(&mut s, ["a\"b", "c,d", "e\nf"].into_iter());
        assert_eq!(s, "\"a\"\"b\",\"c,d\",\"e\nf\"\r\n");
    }
}
