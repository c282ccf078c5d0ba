//! Background delivery to the back office over HTTPS. Thin edge around `policy` and `store`:
//! take due entries, POST them concurrently, write all results back in one transaction.

use std::sync::Arc;
use std::time::Duration;

use chacha20poly1305::aead::{OsRng, rand_core::RngCore as _};
use chrono::Utc;
use tokio::task::JoinSet;

use super::policy::{Verdict, backoff_delay, classify_response, classify_transport};
use super::store::{Due, Outbox, OutboxError, Outcome};
use crate::output::config::BackendConfig;

#[derive(Debug, thiserror::Error)]
pub enum SenderConfigError {
    #[error("backend URL {0:?} is not a valid URL / 送信先URLが正しくありません")]
    BadUrl(String),
    #[error(
        "backend URL must be https:// (plain http only with allow_insecure_loopback_http to localhost) / 送信先はhttpsである必要があります"
    )]
    InsecureUrl,
    #[error("cannot read {what} {path}: {source} / 証明書ファイルを読めません")]
    Read { what: &'static str, path: String, source: std::io::Error },
    #[error("{what} {path} is not valid PEM: {detail} / 証明書ファイルの形式が正しくありません")]
    Pem { what: &'static str, path: String, detail: String },
    #[error("HTTP client: {0}")]
    Client(String),
}

/// Check the URL against the transport rules: https always; http only when allowed and to loopback.
pub fn check_backend_url(url: &str, allow_insecure_loopback_http: bool) -> Result<reqwest::Url, SenderConfigError> {
    let u = reqwest::Url::parse(url).map_err(|_| SenderConfigError::BadUrl(url.to_owned()))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if allow_insecure_loopback_http && is_loopback(&u) => Ok(u),
        _ => Err(SenderConfigError::InsecureUrl),
    }
}

fn is_loopback(u: &reqwest::Url) -> bool {
    u.host_str().is_some_and(crate::output::config::is_loopback_host)
}

/// Longest answer body read from the back office; the rest is not read (a 2xx needs none,
/// an error keeps only the problem `type`).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

fn build_client(cfg: &BackendConfig) -> Result<reqwest::Client, SenderConfigError> {
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.request_timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs.max(1)))
        // Never follow a redirect (see `policy::classify_response`): a 3xx is an answer.
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(cfg.concurrency.max(1));
    if let Some(path) = &cfg.ca_bundle {
        let pem = std::fs::read(path).map_err(|source| SenderConfigError::Read {
            what: "CA bundle",
            path: path.display().to_string(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| SenderConfigError::Pem {
            what: "CA bundle",
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        // Only the configured CAs: a municipality's private PKI, not the public web.
        b = b.tls_certs_only(certs);
    }
    if let Some(path) = &cfg.client_identity {
        let pem = zeroize::Zeroizing::new(std::fs::read(path).map_err(|source| SenderConfigError::Read {
            what: "client certificate",
            path: path.display().to_string(),
            source,
        })?);
        let id = reqwest::Identity::from_pem(&pem).map_err(|e| SenderConfigError::Pem {
            what: "client certificate",
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        b = b.identity(id);
    }
    b.build().map_err(|e| SenderConfigError::Client(e.to_string()))
}

/// Delivers outbox entries to one backend.
pub struct Sender {
    outbox: Arc<Outbox>,
    client: reqwest::Client,
    url: reqwest::Url,
    cfg: BackendConfig,
}

/// What one `run_once` pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    pub delivered: usize,
    pub retried: usize,
    pub needs_clerk: usize,
}

impl Sender {
    pub fn new(outbox: Arc<Outbox>, cfg: &BackendConfig) -> Result<Sender, SenderConfigError> {
        let url = check_backend_url(&cfg.url, cfg.allow_insecure_loopback_http)?;
        let client = build_client(cfg)?;
        Ok(Sender { outbox, client, url, cfg: cfg.clone() })
    }

    /// Send everything due now, once. Returns what happened.
    pub async fn run_once(&self) -> Result<PassStats, OutboxError> {
        let limit = self.cfg.concurrency.max(1);
        let due = self.outbox.due(Utc::now(), limit, &[])?;
        let mut set = JoinSet::new();
        for d in due {
            let client = self.client.clone();
            let url = self.url.clone();
            let token = self.cfg.bearer_token.clone();
            set.spawn(async move { (d.id, d.attempts, attempt(&client, url, token.as_deref(), d).await) });
        }
        let mut results = Vec::new();
        let mut stats = PassStats::default();
        while let Some(joined) = set.join_next().await {
            let Ok((id, attempts, verdict)) = joined else { continue };
            let outcome = match verdict {
                Verdict::Delivered { status } => {
                    stats.delivered += 1;
                    Outcome::Sent { status }
                }
                Verdict::Retry { reason, retry_after } => {
                    stats.retried += 1;
                    let mut delay = backoff_delay(
                        attempts + 1,
                        self.cfg.backoff_initial_ms,
                        self.cfg.backoff_max_ms,
                        (OsRng.next_u32() as f64) / (u32::MAX as f64 + 1.0),
                    );
                    if let Some(ra) = retry_after {
                        delay = delay.max(ra.min(Duration::from_millis(self.cfg.backoff_max_ms)));
                    }
                    let now = Utc::now();
                    let next = chrono::Duration::from_std(delay)
                        .ok()
                        .and_then(|d| now.checked_add_signed(d))
                        .unwrap_or(now + chrono::Duration::hours(1));
                    Outcome::Retry { next, reason }
                }
                Verdict::NeedsClerk { status, message } => {
                    stats.needs_clerk += 1;
                    // The entry id, the status and (for a redirect) the target's host: no
                    // personal data, nothing the back office wrote.
                    eprintln!("outbox sender: entry {id}: {message}");
                    Outcome::NeedsClerk { status: Some(status), message }
                }
            };
            results.push((id, outcome));
        }
        self.outbox.record(&results)?;
        Ok(stats)
    }

    /// Run until `stop` turns true. Errors from the database are retried after a pause
    /// (a full disk may clear); they are returned to the caller's log through `on_error`.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>, on_error: impl Fn(&OutboxError)) {
        let poll = Duration::from_millis(self.cfg.poll_interval_ms.max(10));
        let wake = self.outbox.wake.clone();
        let mut last_purge: Option<std::time::Instant> = None;
        while !*stop.borrow() {
            // Retention is enforced by the running kiosk too, not only by `outbox purge`.
            if last_purge.is_none_or(|t| t.elapsed() > Duration::from_secs(600)) {
                last_purge = Some(std::time::Instant::now());
                if let Err(e) = self.outbox.purge(Utc::now()) {
                    on_error(&e);
                }
            }
            let pass = self.run_once().await;
            let busy = match &pass {
                Ok(s) => s.delivered + s.retried + s.needs_clerk > 0,
                Err(e) => {
                    on_error(e);
                    false
                }
            };
            if busy {
                continue;
            }
            let wait = match self.outbox.next_due() {
                Ok(Some(t)) => (t - Utc::now()).to_std().unwrap_or_default().min(poll),
                _ => poll,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}

async fn attempt(client: &reqwest::Client, url: reqwest::Url, token: Option<&str>, d: Due) -> Verdict {
    let Ok(body) = d.body else {
        return Verdict::NeedsClerk {
            status: 0,
            message: "stored submission cannot be decrypted (wrong key file?) / 復号できません".into(),
        };
    };
    let mut req = client
        .post(url)
        .header("Idempotency-Key", &d.key)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        // No copy: the decrypted body is wiped when the request lets go of it; the sealed
        // original stays in SQLite.
        .body(reqwest::Body::from(bytes::Bytes::from_owner(body)));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let header = |name| resp.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
            let retry_after = header(reqwest::header::RETRY_AFTER).map(str::to_owned);
            let location_host = header(reqwest::header::LOCATION)
                .and_then(|l| resp.url().join(l).ok())
                .and_then(|u| u.host_str().map(str::to_owned));
            if (200..300).contains(&status) {
                // Committed: the body does not matter (and a cut-off one changes nothing).
                return Verdict::Delivered { status };
            }
            match read_capped(&mut resp, MAX_RESPONSE_BYTES).await {
                Ok(b) => classify_response(status, &b, retry_after.as_deref(), location_host.as_deref()),
                Err(e) => classify_transport(&error_chain(&e)),
            }
        }
        Err(e) => classify_transport(&error_chain(&e)),
    }
}

/// At most `cap` bytes of the body; the rest is left unread (the connection is dropped).
async fn read_capped(resp: &mut reqwest::Response, cap: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while out.len() < cap {
        match resp.chunk().await? {
            Some(c) => out.extend_from_slice(&c[..c.len().min(cap - out.len())]),
            None => break,
        }
    }
    Ok(out)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A sender on its own thread with its own tokio runtime, for callers that are not async
/// (the Slint kiosk, the CLI). Dropping the handle stops it.
pub struct SenderThread {
    stop: tokio::sync::watch::Sender<bool>,
    join: Option<std::thread::JoinHandle<()>>,
}

impl SenderThread {
    pub fn spawn(sender: Sender) -> std::io::Result<SenderThread> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let join = std::thread::Builder::new().name("outbox-sender".into()).spawn(move || {
            rt.block_on(sender.run(rx, |e| eprintln!("outbox sender: {e}")));
        })?;
        Ok(SenderThread { stop: tx, join: Some(join) })
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for SenderThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rules() {
        assert!(check_backend_url("https://backoffice.example.lg.jp/api", false).is_ok());
        assert!(matches!(check_backend_url("http://127.0.0.1:8080/", false), Err(SenderConfigError::InsecureUrl)));
        assert!(check_backend_url("http://127.0.0.1:8080/", true).is_ok());
        assert!(check_backend_url("http://[::1]:8080/", true).is_ok());
        assert!(check_backend_url("http://localhost/", true).is_ok());
        assert!(matches!(check_backend_url("http://10.0.0.5/", true), Err(SenderConfigError::InsecureUrl)));
        assert!(matches!(check_backend_url("ftp://x/", true), Err(SenderConfigError::InsecureUrl)));
        assert!(matches!(check_backend_url("not a url", true), Err(SenderConfigError::BadUrl(_))));
    }
}
