//! The outbox table in SQLite. Every write is its own transaction committed with
//! `synchronous=FULL` in WAL mode, so "enqueue returned Ok" means the submission is on disk.
//! Payloads are sealed (see `crypto`); metadata columns hold no personal data.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension as _, params};
use tokio::sync::Notify;
use zeroize::Zeroizing;

use super::crypto::{KeyError, Sealer};
use crate::output::config::OutboxConfig;
use crate::output::payload::Submission;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(
        "outbox disk is full: the submission was NOT saved; free disk space or ask the administrator / ディスクがいっぱいのため申請を保存できませんでした。管理者に連絡してください"
    )]
    DiskFull,
    #[error("outbox key: {0}")]
    Key(#[from] KeyError),
    #[error("outbox directory {path}: {source} / 送信待ちフォルダを作成できません")]
    Dir { path: String, source: std::io::Error },
    #[error("outbox database error: {0} / 送信待ちデータベースのエラーです。管理者に連絡してください")]
    Db(rusqlite::Error),
    #[error("no outbox entry with id {0} / 該当する送信待ちはありません")]
    NoSuchEntry(i64),
    #[error(
        "{dir} belongs to user {owner}: as root this would create outbox files that user cannot open; run it as that user: sudo -u {owner} madoguchi … / 送信待ちのフォルダは {owner} ユーザーのものです。root ではなく sudo -u {owner} で実行してください"
    )]
    WrongUser { dir: String, owner: String },
}

impl From<rusqlite::Error> for OutboxError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => OutboxError::DiskFull,
            _ => OutboxError::Db(e),
        }
    }
}

impl OutboxError {
    /// Japanese text for the clerk screen.
    pub fn message_ja(&self) -> &'static str {
        match self {
            OutboxError::DiskFull => {
                "ディスクの空きがないため、申請を保存できませんでした。職員・管理者に連絡してください。"
            }
            OutboxError::NoSuchEntry(_) => "指定された送信待ちは見つかりません。",
            _ => "送信待ちの保存でエラーが発生しました。管理者に連絡してください。",
        }
    }
}

/// Delivery state of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    Pending,
    Sent,
    NeedsClerk,
    /// Stored with no back office configured (printed or exported instead): never sent,
    /// deleted after the retention period like a delivered entry.
    Kept,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Sent => "sent",
            EntryState::NeedsClerk => "needs_clerk",
            EntryState::Kept => "kept",
        }
    }
    fn parse(s: &str) -> EntryState {
        match s {
            "sent" => EntryState::Sent,
            "needs_clerk" => EntryState::NeedsClerk,
            "kept" => EntryState::Kept,
            _ => EntryState::Pending,
        }
    }
}

/// What `enqueue` hands back: the row id and the key the back office will see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub id: i64,
    pub idempotency_key: String,
}

/// One row without its payload (safe to show and log).
#[derive(Debug, Clone)]
pub struct EntrySummary {
    pub id: i64,
    pub idempotency_key: String,
    pub receipt_id: String,
    pub procedure_id: String,
    pub state: EntryState,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub http_status: Option<u16>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    pub pending: u64,
    pub sent: u64,
    pub needs_clerk: u64,
    pub kept: u64,
}

/// A due submission handed to the sender.
pub(crate) struct Due {
    pub id: i64,
    pub key: String,
    pub attempts: u32,
    pub body: Result<Zeroizing<Vec<u8>>, ()>,
}

/// Result of one attempt, written back in a batch.
pub(crate) enum Outcome {
    Sent { status: u16 },
    Retry { next: DateTime<Utc>, reason: String },
    NeedsClerk { status: Option<u16>, message: String },
}

/// The durable outbox. Cheap to share (`Arc`); all methods are synchronous and short.
///
/// Two connections: `writer` (synchronous=FULL) takes new submissions and clerk actions;
/// `worker` (synchronous=NORMAL) serves the sender and reporting. Delivery marks need no
/// fsync of their own: if one is lost in a power cut the entry is sent again with the same
/// idempotency key and the back office answers 200. The next FULL commit syncs them anyway.
/// `write_lock` orders writes from both so neither sleeps in SQLite's busy handler, and
/// the worker runs the WAL checkpoints so enqueue rarely pays for one.
pub struct Outbox {
    writer: Mutex<Connection>,
    worker: Mutex<Connection>,
    write_lock: Mutex<()>,
    records: std::sync::atomic::AtomicU64,
    sealer: Sealer,
    retention: Duration,
    pub(crate) wake: Arc<Notify>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS submissions (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    receipt_id      TEXT NOT NULL,
    procedure_id    TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    sent_ms         INTEGER,
    http_status     INTEGER,
    last_error      TEXT,
    payload         BLOB NOT NULL,
    exported_ms     INTEGER
);
CREATE INDEX IF NOT EXISTS submissions_due ON submissions(state, next_attempt_ms);
CREATE TABLE IF NOT EXISTS receipt_numbers (
    day  TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
";

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}
fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

impl Outbox {
    pub fn open(cfg: &OutboxConfig) -> Result<Outbox, OutboxError> {
        refuse_root_in_foreign_dir(&[&cfg.db_path, &cfg.key_path])?;
        if let Some(dir) = cfg.db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| OutboxError::Dir { path: dir.display().to_string(), source })?;
        }
        let sealer = Sealer::load_or_create(&cfg.key_path)?;
        let writer = open_conn(&cfg.db_path, cfg.max_db_size_mb, true)?;
        let worker = open_conn(&cfg.db_path, cfg.max_db_size_mb, false)?;
        Ok(Outbox {
            writer: Mutex::new(writer),
            worker: Mutex::new(worker),
            write_lock: Mutex::new(()),
            records: std::sync::atomic::AtomicU64::new(0),
            sealer,
            retention: Duration::from_secs(cfg.retention_hours.saturating_mul(3600)),
            wake: Arc::new(Notify::new()),
        })
    }

    // A panic while holding a lock cannot leave SQLite inconsistent (transactions roll back).
    fn writer(&self) -> (MutexGuard<'_, ()>, MutexGuard<'_, Connection>) {
        let w = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        (w, self.writer.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn worker(&self) -> MutexGuard<'_, Connection> {
        self.worker.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn worker_writing(&self) -> (MutexGuard<'_, ()>, MutexGuard<'_, Connection>) {
        let c = self.worker();
        let w = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        (w, c)
    }

    /// Store a submission durably. Returns only after the commit is on disk.
    /// Enqueuing the same idempotency key twice returns the existing entry.
    pub fn enqueue(&self, sub: &Submission) -> Result<Enqueued, OutboxError> {
        self.insert(sub, EntryState::Pending)
    }

    /// Store a submission durably that will not be sent (no back office configured); it is
    /// purged after the retention period.
    pub fn keep(&self, sub: &Submission) -> Result<Enqueued, OutboxError> {
        self.insert(sub, EntryState::Kept)
    }

    fn insert(&self, sub: &Submission, state: EntryState) -> Result<Enqueued, OutboxError> {
        let now = Utc::now();
        let json = sub.to_json(now);
        let sealed = self.sealer.seal(&json, sub.idempotency_key.as_bytes());
        let (lock, conn) = self.writer();
        // Not `RETURNING`: with it the autocommit happens when the statement is reset, and
        // an error there (SQLITE_FULL) would be lost. `execute` runs to completion.
        let inserted = conn
            .prepare_cached(
                "INSERT INTO submissions (idempotency_key, receipt_id, procedure_id, created_ms, state, next_attempt_ms, payload)
                 VALUES (?1, ?2, ?3, ?4, ?6, ?4, ?5) ON CONFLICT(idempotency_key) DO NOTHING",
            )?
            .execute(params![sub.idempotency_key, sub.receipt_id, sub.procedure_id, ms(now), sealed, state.as_str()])?;
        let inserted = (inserted == 1).then(|| conn.last_insert_rowid());
        let id = match inserted {
            Some(id) => id,
            None => conn.query_row(
                "SELECT id FROM submissions WHERE idempotency_key = ?1",
                params![sub.idempotency_key],
                |r| r.get(0),
            )?,
        };
        drop(conn);
        drop(lock);
        self.wake.notify_one();
        Ok(Enqueued { id, idempotency_key: sub.idempotency_key.clone() })
    }

    pub fn status(&self) -> Result<OutboxStatus, OutboxError> {
        let conn = self.worker();
        let mut st = conn.prepare("SELECT state, COUNT(*) FROM submissions GROUP BY state")?;
        let mut out = OutboxStatus::default();
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (s, n) = row?;
            let n = n.max(0) as u64;
            match EntryState::parse(&s) {
                EntryState::Pending => out.pending += n,
                EntryState::Sent => out.sent += n,
                EntryState::NeedsClerk => out.needs_clerk += n,
                EntryState::Kept => out.kept += n,
            }
        }
        Ok(out)
    }

    /// Newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<EntrySummary>, OutboxError> {
        let conn = self.worker();
        let mut st = conn.prepare(
            "SELECT id, idempotency_key, receipt_id, procedure_id, state, attempts, created_ms,
                    next_attempt_ms, sent_ms, http_status, last_error
             FROM submissions ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st.query_map(params![limit as i64], |r| {
            Ok(EntrySummary {
                id: r.get(0)?,
                idempotency_key: r.get(1)?,
                receipt_id: r.get(2)?,
                procedure_id: r.get(3)?,
                state: EntryState::parse(&r.get::<_, String>(4)?),
                attempts: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
                created_at: from_ms(r.get(6)?),
                next_attempt_at: from_ms(r.get(7)?),
                sent_at: r.get::<_, Option<i64>>(8)?.map(from_ms),
                http_status: r.get::<_, Option<i64>>(9)?.map(|s| s.clamp(0, 999) as u16),
                last_error: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Clerk action: put a "needs clerk" (or waiting) entry back in line right now.
    /// The idempotency key is kept, so a back office that already has it answers 200.
    pub fn retry(&self, id: i64) -> Result<(), OutboxError> {
        let (lock, conn) = self.writer();
        let n = conn.execute(
            "UPDATE submissions SET state = 'pending', next_attempt_ms = ?2
             WHERE id = ?1 AND state != 'sent'",
            params![id, ms(Utc::now())],
        )?;
        drop(conn);
        drop(lock);
        if n == 0 {
            return Err(OutboxError::NoSuchEntry(id));
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Clerk action after the cause is fixed (a redirecting URL, a refused payload version):
    /// every "needs clerk" entry back in line, keys kept. Returns how many.
    pub fn retry_all(&self) -> Result<usize, OutboxError> {
        let (lock, conn) = self.writer();
        let n = conn.execute(
            "UPDATE submissions SET state = 'pending', next_attempt_ms = ?1 WHERE state = 'needs_clerk'",
            params![ms(Utc::now())],
        )?;
        drop(conn);
        drop(lock);
        self.wake.notify_one();
        Ok(n)
    }

    /// Delete delivered entries (and kept ones) older than the retention period. Returns how many.
    /// `secure_delete` is on, so the freed pages are overwritten with zeros.
    pub fn purge(&self, now: DateTime<Utc>) -> Result<usize, OutboxError> {
        // Checked: a retention too long to subtract deletes nothing (never "cutoff = now").
        let Some(cutoff) = chrono::Duration::from_std(self.retention).ok().and_then(|d| now.checked_sub_signed(d))
        else {
            return Ok(0);
        };
        let (_lock, conn) = self.worker_writing();
        let n = conn.execute(
            "DELETE FROM submissions WHERE (state = 'sent' AND sent_ms <= ?1) OR (state = 'kept' AND created_ms <= ?1)",
            params![ms(cutoff)],
        )?;
        // Fold the WAL back so deleted ciphertext does not linger in it either.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(n)
    }

    /// Earliest time anything pending becomes due.
    pub(crate) fn next_due(&self) -> Result<Option<DateTime<Utc>>, OutboxError> {
        let v: Option<i64> = self.worker().query_row(
            "SELECT MIN(next_attempt_ms) FROM submissions WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(v.map(from_ms))
    }

    pub(crate) fn due(&self, now: DateTime<Utc>, limit: usize, skip: &[i64]) -> Result<Vec<Due>, OutboxError> {
        let conn = self.worker();
        let mut st = conn.prepare_cached(
            "SELECT id, idempotency_key, attempts, payload FROM submissions
             WHERE state = 'pending' AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2",
        )?;
        let rows = st.query_map(params![ms(now), (limit + skip.len()) as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, key, attempts, sealed) = row?;
            if skip.contains(&id) {
                continue;
            }
            let body = self.sealer.open(&sealed, key.as_bytes()).map_err(|_| ());
            out.push(Due { id, key, attempts: attempts.clamp(0, u32::MAX as i64) as u32, body });
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Write a batch of attempt results in one transaction (one fsync).
    pub(crate) fn record(&self, results: &[(i64, Outcome)]) -> Result<(), OutboxError> {
        if results.is_empty() {
            return Ok(());
        }
        let now = ms(Utc::now());
        let (lock, mut conn) = self.worker_writing();
        let tx = conn.transaction()?;
        for (id, outcome) in results {
            match outcome {
                Outcome::Sent { status } => tx.execute(
                    "UPDATE submissions SET state = 'sent', attempts = attempts + 1, sent_ms = ?2,
                     http_status = ?3, last_error = NULL WHERE id = ?1 AND state = 'pending'",
                    params![id, now, status],
                )?,
                Outcome::Retry { next, reason } => tx.execute(
                    "UPDATE submissions SET attempts = attempts + 1, next_attempt_ms = ?2, last_error = ?3
                     WHERE id = ?1 AND state = 'pending'",
                    params![id, ms(*next), reason],
                )?,
                Outcome::NeedsClerk { status, message } => tx.execute(
                    "UPDATE submissions SET state = 'needs_clerk', attempts = attempts + 1,
                     http_status = ?2, last_error = ?3 WHERE id = ?1 AND state = 'pending'",
                    params![id, status, message],
                )?,
            };
        }
        tx.commit()?;
        drop(lock);
        // Checkpoint here, outside the write lock: a PASSIVE checkpoint runs alongside
        // writers, so enqueue never waits for one.
        if self.records.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4 == 3 {
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// The next 受付番号 of `day` (1, 2, …), committed before it is returned so a restart never
    /// hands the same number out twice.
    pub fn next_receipt_number(&self, day: chrono::NaiveDate) -> Result<u32, OutboxError> {
        let (lock, conn) = self.writer();
        let day = day.format("%Y-%m-%d").to_string();
        // `execute` runs to the commit, so SQLITE_FULL is seen here (see `enqueue`).
        conn.execute(
            "INSERT INTO receipt_numbers (day, last) VALUES (?1, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1",
            params![day],
        )?;
        let n: i64 = conn.query_row("SELECT last FROM receipt_numbers WHERE day = ?1", params![day], |r| r.get(0))?;
        drop(conn);
        drop(lock);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Whether the export spool already has this entry's files (see [`Outbox::mark_exported`]).
    pub fn exported(&self, id: i64) -> Result<bool, OutboxError> {
        let v: Option<Option<i64>> = self
            .worker()
            .query_row("SELECT exported_ms FROM submissions WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?;
        Ok(matches!(v, Some(Some(_))))
    }

    /// Record that the entry was written to the export spool, so accepting the same
    /// submission again (送信 pressed twice, a retry) does not hand it to the RPA twice.
    pub fn mark_exported(&self, id: i64) -> Result<(), OutboxError> {
        let (lock, conn) = self.writer();
        conn.execute("UPDATE submissions SET exported_ms = ?2 WHERE id = ?1", params![id, ms(Utc::now())])?;
        drop(conn);
        drop(lock);
        Ok(())
    }

    /// Whether an entry exists with this key (for callers that re-enqueue after a crash).
    pub fn contains_key(&self, key: &str) -> Result<bool, OutboxError> {
        Ok(self
            .worker()
            .query_row("SELECT 1 FROM submissions WHERE idempotency_key = ?1", params![key], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

/// Root opening (or creating) the outbox in the service user's directory would leave
/// root-owned database, WAL, shared-memory or key files there that the service then cannot
/// open. Refused before anything is created.
fn refuse_root_in_foreign_dir(paths: &[&Path]) -> Result<(), OutboxError> {
    use std::os::unix::fs::MetadataExt as _;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    for p in paths {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // The nearest directory that exists is where files (or directories) would appear.
        let Some(meta) = dir.ancestors().find_map(|d| std::fs::metadata(d).ok()) else { continue };
        if meta.uid() != 0 {
            return Err(OutboxError::WrongUser { dir: dir.display().to_string(), owner: user_name(meta.uid()) });
        }
    }
    Ok(())
}

/// The login name of `uid` from /etc/passwd, else the number.
fn user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| format!("#{uid}"))
}

/// Busy handler: `n` is how many times this lock has been waited for already.
fn busy_wait(n: i32) -> bool {
    const STEP: Duration = Duration::from_micros(200);
    if n >= 50_000 {
        return false; // 10 s: give up with SQLITE_BUSY, reported like any database error
    }
    std::thread::sleep(STEP);
    true
}

fn open_conn(path: &Path, max_db_size_mb: u64, durable: bool) -> Result<Connection, OutboxError> {
    let mut conn = Connection::open(path)?;
    // Another process (the `outbox run` sender service) may hold the write lock. SQLite's own
    // busy timeout sleeps in steps of up to 100 ms, which is what an enqueue would then wait;
    // polling every 200 µs (for up to 10 s, as before) ends the wait as soon as the lock is free.
    conn.busy_handler(Some(busy_wait))?;
    // WAL + FULL: each commit fsyncs the WAL, so a committed enqueue survives power loss.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OutboxError::Db(rusqlite::Error::InvalidParameterName(format!("journal_mode stayed {mode}"))));
    }
    conn.execute_batch(if durable {
        // The worker checkpoints; this one only when the WAL has grown large (no sender running).
        "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 10000;"
    } else {
        "PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 0;"
    })?;
    if max_db_size_mb > 0 {
        let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages = (max_db_size_mb as i64).saturating_mul(1024 * 1024) / page.max(512);
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
    }
    conn.execute_batch(SCHEMA)?;
    // Databases from before the export mark get the column (NULL = not exported yet).
    let has_exported: bool =
        conn.prepare("SELECT 1 FROM pragma_table_info('submissions') WHERE name = 'exported_ms'")?.exists([])?;
    if !has_exported {
        conn.execute_batch("ALTER TABLE submissions ADD COLUMN exported_ms INTEGER")?;
    }
    Ok(conn)
}
