//! The statistics database: one SQLite file per kiosk (not the outbox: nothing in it is
//! personal or sealed, and its retention is the municipality's choice), WAL, one transaction
//! per visit, rows older than the retention period purged once a day.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{Days, NaiveDate, NaiveDateTime};
use rusqlite::{Connection, OpenFlags, params_from_iter, types::Value};
use thiserror::Error;

use super::aggregate::Filter;
use crate::vocab::visit::{Code, DaySummary, End, ErrorKind, PinOutcome, Step, Visit};

const SCHEMA_VERSION: i64 = 1;
/// How a start time is written: sortable text, local time, to the minute.
pub const STARTED_FORMAT: &str = "%Y-%m-%d %H:%M";

#[derive(Debug, Error)]
pub enum StatsError {
    #[error("statistics database {path}: {source} / 統計データベースを開けません")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "statistics database {0} does not exist (run the kiosk with [stats] enabled, or check --db) / 統計データベースがありません"
    )]
    Missing(PathBuf),
    #[error("cannot create the folder {path}: {source} / 統計データベースのフォルダを作れません")]
    Dir { path: PathBuf, source: std::io::Error },
    #[error(
        "statistics database {0} was written by a newer madoguchi (schema {1}); update madoguchi / 新しい版で作られた統計データベースです。madoguchi を更新してください"
    )]
    NewerSchema(PathBuf, i64),
    #[error("statistics database error: {0} / 統計データベースのエラーです")]
    Db(#[from] rusqlite::Error),
    #[error("statistics database has a row it cannot read (id {0}): {1} / 統計データベースに読めない行があります")]
    BadRow(i64, &'static str),
}

/// Column names: fixed ones, then `ms_<step>` and `err_<kind>` per code.
fn columns() -> Vec<String> {
    let mut c: Vec<String> = [
        "kiosk",
        "started",
        "language",
        "assisted",
        "procedures",
        "preinput",
        "taps",
        "pin",
        "card_read_ms",
        "furthest",
        "last_step",
        "end_reason",
        "delivery_ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    c.extend(Step::ALL.iter().map(|s| format!("ms_{}", s.code())));
    c.extend(ErrorKind::ALL.iter().map(|e| format!("err_{}", e.code())));
    c
}

fn create_sql() -> String {
    let mut cols = vec!["id INTEGER PRIMARY KEY".to_string()];
    for c in columns() {
        let ty = match c.as_str() {
            "kiosk" | "started" | "language" | "procedures" | "pin" | "furthest" | "last_step" | "end_reason" => {
                "TEXT NOT NULL"
            }
            "card_read_ms" | "delivery_ms" => "INTEGER",
            _ => "INTEGER NOT NULL",
        };
        cols.push(format!("{c} {ty}"));
    }
    format!(
        "CREATE TABLE IF NOT EXISTS visits ({});\nCREATE INDEX IF NOT EXISTS visits_started ON visits(started);",
        cols.join(", ")
    )
}

pub struct StatsStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    retention_days: u32,
    insert_sql: String,
    /// The day of the last purge (once a day is enough).
    purged: Mutex<Option<NaiveDate>>,
}

impl std::fmt::Debug for StatsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatsStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl StatsStore {
    /// Open (creating it and its folder) for writing; `retention_days` = 0 keeps every row.
    pub fn open(path: &Path, retention_days: u32) -> Result<StatsStore, StatsError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StatsError::Dir { path: dir.to_path_buf(), source })?;
        }
        let conn = Connection::open(path).map_err(|source| StatsError::Open { path: path.to_path_buf(), source })?;
        // NORMAL in WAL mode: a power cut may lose the last visits, never corrupt the file —
        // the right trade for counters (the outbox, which holds submissions, uses FULL).
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StatsError::NewerSchema(path.to_path_buf(), version));
        }
        conn.execute_batch(&create_sql())?;
        conn.execute_batch(&format!("PRAGMA user_version={SCHEMA_VERSION}"))?;
        let cols = columns();
        let marks = vec!["?"; cols.len()].join(", ");
        let insert_sql = format!("INSERT INTO visits ({}) VALUES ({marks})", cols.join(", "));
        Ok(StatsStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            retention_days,
            insert_sql,
            purged: Mutex::new(None),
        })
    }

    /// Open an existing file for reading only (export, report; another kiosk's copy).
    pub fn open_read(path: &Path) -> Result<StatsStore, StatsError> {
        if !path.is_file() {
            return Err(StatsError::Missing(path.to_path_buf()));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|source| StatsError::Open { path: path.to_path_buf(), source })?;
        conn.execute_batch("PRAGMA busy_timeout=5000;")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StatsError::NewerSchema(path.to_path_buf(), version));
        }
        Ok(StatsStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            retention_days: 0,
            insert_sql: String::new(),
            purged: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves a usable connection (every write is one
        // transaction): take it back rather than stop counting.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store one visit in its own transaction; purges old rows the first time each day.
    pub fn record(&self, v: &Visit) -> Result<(), StatsError> {
        self.purge_daily(v.started.date())?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.prepare_cached(&self.insert_sql)?.execute(params_from_iter(row_values(v)))?;
        tx.commit()?;
        Ok(())
    }

    /// Many visits in one transaction (the synthetic generator, imports).
    pub fn record_all<'a>(&self, visits: impl IntoIterator<Item = &'a Visit>) -> Result<usize, StatsError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut n = 0;
        {
            let mut st = tx.prepare_cached(&self.insert_sql)?;
            for v in visits {
                st.execute(params_from_iter(row_values(v)))?;
                n += 1;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    fn purge_daily(&self, today: NaiveDate) -> Result<(), StatsError> {
        let mut last = self.purged.lock().unwrap_or_else(|p| p.into_inner());
        if *last != Some(today) {
            self.purge(today)?;
            *last = Some(today);
        }
        Ok(())
    }

    /// Delete the visits that started before `today − retention_days`; returns how many.
    pub fn purge(&self, today: NaiveDate) -> Result<usize, StatsError> {
        if self.retention_days == 0 {
            return Ok(0);
        }
        let cutoff = today.checked_sub_days(Days::new(u64::from(self.retention_days))).unwrap_or(NaiveDate::MIN);
        let n =
            self.conn().execute("DELETE FROM visits WHERE started < ?1", [cutoff.format("%Y-%m-%d").to_string()])?;
        Ok(n)
    }

    pub fn count(&self) -> Result<u64, StatsError> {
        Ok(self.conn().query_row("SELECT count(*) FROM visits", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Every visit in `filter`'s date range, oldest first, streamed to `f`.
    pub fn for_each(&self, filter: &Filter, mut f: impl FnMut(Visit)) -> Result<(), StatsError> {
        let conn = self.conn();
        let cols = columns();
        let (cond, args) = filter.sql();
        let sql = format!("SELECT id, {} FROM visits {cond} ORDER BY started, id", cols.join(", "));
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            f(read_row(r).map_err(|e| match e {
                RowError::Db(e) => StatsError::Db(e),
                RowError::Bad(what) => StatsError::BadRow(id, what),
            })?);
        }
        Ok(())
    }

    /// Today's visits and how they ended (the clerk panel).
    pub fn day_summary(&self, day: NaiveDate) -> Result<DaySummary, StatsError> {
        let conn = self.conn();
        let from = day.format("%Y-%m-%d").to_string();
        let to = day.succ_opt().unwrap_or(day).format("%Y-%m-%d").to_string();
        let mut st = conn.prepare_cached(
            "SELECT end_reason, count(*) FROM visits WHERE started >= ?1 AND started < ?2 GROUP BY end_reason",
        )?;
        let mut s = DaySummary { day, ..DaySummary::default() };
        let mut rows = st.query([from, to])?;
        while let Some(r) = rows.next()? {
            let code: String = r.get(0)?;
            let n: i64 = r.get(1)?;
            if let Some(e) = End::from_code(&code) {
                s.by_end[e.index()] += n as u64;
                s.visits += n as u64;
            }
        }
        Ok(s)
    }
}

fn opt(v: Option<u32>) -> Value {
    v.map_or(Value::Null, |n| Value::Integer(i64::from(n)))
}

fn row_values(v: &Visit) -> Vec<Value> {
    let procs: Vec<&str> = v.procedures.iter().map(Code::as_str).collect();
    let mut out = vec![
        Value::Text(v.kiosk.as_str().to_string()),
        Value::Text(v.started.format(STARTED_FORMAT).to_string()),
        Value::Text(v.language.as_str().to_string()),
        Value::Integer(i64::from(v.assisted)),
        Value::Text(procs.join(" ")),
        Value::Integer(i64::from(v.preinput)),
        Value::Integer(i64::from(v.taps)),
        Value::Text(v.pin.code().into()),
        opt(v.card_read_ms),
        Value::Text(v.furthest.code().into()),
        Value::Text(v.last_step.code().into()),
        Value::Text(v.end.code().into()),
        opt(v.delivery_ms),
    ];
    out.extend(v.step_ms.iter().map(|&m| Value::Integer(i64::from(m))));
    out.extend(v.errors.iter().map(|&n| Value::Integer(i64::from(n))));
    out
}

enum RowError {
    Db(rusqlite::Error),
    Bad(&'static str),
}

impl From<rusqlite::Error> for RowError {
    fn from(e: rusqlite::Error) -> Self {
        RowError::Db(e)
    }
}

fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str, RowError> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).map_err(|_| RowError::Bad("text is not UTF-8")),
        _ => Err(RowError::Bad("text column is not text")),
    }
}

fn num(r: &rusqlite::Row<'_>, i: usize) -> Result<u32, RowError> {
    let n: i64 = r.get(i)?;
    u32::try_from(n).map_err(|_| RowError::Bad("number out of range"))
}

fn opt_num(r: &rusqlite::Row<'_>, i: usize) -> Result<Option<u32>, RowError> {
    let n: Option<i64> = r.get(i)?;
    n.map(|n| u32::try_from(n).map_err(|_| RowError::Bad("number out of range"))).transpose()
}

/// `YYYY-MM-DD HH:MM` without chrono's general parser (reading 2 million rows is the hot path).
pub fn parse_started(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?.and_hms_opt(n(11..13)?, n(14..16)?, 0)
}

fn read_row(r: &rusqlite::Row<'_>) -> Result<Visit, RowError> {
    // Column 0 is the id.
    let code = |i: usize| -> Result<Code, RowError> { Code::new(text(r, i)?).ok_or(RowError::Bad("bad code")) };
    let procedures = text(r, 5)?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| Code::new(s).ok_or(RowError::Bad("bad procedure id")))
        .collect::<Result<Vec<_>, _>>()?;
    let step = |i: usize| Step::from_code(text(r, i)?).ok_or(RowError::Bad("unknown step"));
    let mut step_ms = [0u32; Step::COUNT];
    let base = 14;
    for (k, m) in step_ms.iter_mut().enumerate() {
        *m = num(r, base + k)?;
    }
    let mut errors = [0u16; ErrorKind::COUNT];
    for (k, e) in errors.iter_mut().enumerate() {
        *e = u16::try_from(num(r, base + Step::COUNT + k)?).unwrap_or(u16::MAX);
    }
    Ok(Visit {
        kiosk: code(1)?,
        started: parse_started(text(r, 2)?).ok_or(RowError::Bad("bad start time"))?,
        language: code(3)?,
        assisted: num(r, 4)? != 0,
        procedures,
        preinput: num(r, 6)? != 0,
        taps: num(r, 7)?,
        pin: PinOutcome::from_code(text(r, 8)?).ok_or(RowError::Bad("unknown PIN outcome"))?,
        card_read_ms: opt_num(r, 9)?,
        furthest: step(10)?,
        last_step: step(11)?,
        end: End::from_code(text(r, 12)?).ok_or(RowError::Bad("unknown end"))?,
        delivery_ms: opt_num(r, 13)?,
        step_ms,
        errors,
    })
}
