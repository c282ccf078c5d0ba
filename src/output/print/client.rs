//! The IPP edge (operations built and parsed by the `ipp` crate, sent by [`IppHttp`] with a
//! bounded response): preflight the printer, submit with retries while it is busy, then
//! follow the job to a final state.

use std::time::{Duration, Instant};

use ipp::prelude::*;
use zeroize::Zeroizing;

use super::http::IppHttp;
use super::reasons::{PrintError, condition_from};
use crate::output::config::PrintConfig;

/// A document to print, kept by the caller so 再印刷 sends the same bytes again.
#[derive(Clone)]
pub struct PrintRequest {
    pub pdf: Zeroizing<Vec<u8>>,
    /// Job name; appears in spool file names, so it must never hold personal data
    /// (use the receipt id). Anything outside [A-Za-z0-9_-] is replaced.
    pub job_name: String,
}

impl std::fmt::Debug for PrintRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintRequest").field("job_name", &self.job_name).field("bytes", &self.pdf.len()).finish()
    }
}

/// A submitted job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintJob {
    pub job_id: i32,
}

/// A job that reached `completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobDone {
    pub job_id: i32,
    pub elapsed: Duration,
}

/// How long a printer condition must last while a job waits before it is reported.
const CONDITION_GRACE: Duration = Duration::from_secs(2);

pub struct Printer {
    uri: Uri,
    cfg: PrintConfig,
    client: IppHttp,
    poll: Duration,
}

fn status_of(resp: &IppRequestResponse) -> StatusCode {
    StatusCode::from_u16(resp.header().operation_or_status as u16).unwrap_or(StatusCode::UnknownStatusCode)
}

fn values(v: &IppValue) -> Vec<String> {
    match v {
        IppValue::Array(a) => a.iter().map(|x| x.to_string()).collect(),
        other => vec![other.to_string()],
    }
}

fn attr<'a>(resp: &'a IppRequestResponse, tag: DelimiterTag, name: &str) -> Option<&'a IppValue> {
    resp.attributes().groups_of(tag).find_map(|g| g.get(name)).map(|a| a.value())
}

fn safe_job_name(s: &str) -> String {
    let t: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(60).collect();
    if t.is_empty() { "madoguchi".into() } else { t }
}

/// The DER bodies of every CERTIFICATE block in a PEM file.
fn read_pem_certs(path: &std::path::Path) -> Result<Vec<Vec<u8>>, PrintError> {
    let bad = |detail: String| PrintError::Certificate { path: path.display().to_string(), detail };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let certs = pem_blocks(&text, "CERTIFICATE").map_err(bad)?;
    if certs.is_empty() {
        return Err(bad("no -----BEGIN CERTIFICATE----- block".into()));
    }
    Ok(certs)
}

/// Decode the base64 bodies of `-----BEGIN <label>-----` blocks (RFC 7468).
fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine as _;
    let (begin, end) = (format!("-----BEGIN {label}-----"), format!("-----END {label}-----"));
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line == begin {
            body = Some(String::new());
        } else if line == end {
            let b64 = body.take().ok_or_else(|| format!("line {}: END without BEGIN", n + 1))?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("line {}: bad base64 in the certificate: {e}", n + 1))?;
            out.push(der);
        } else if let Some(b) = body.as_mut() {
            b.push_str(line);
        }
    }
    if body.is_some() {
        return Err(format!("-----BEGIN {label}----- without END"));
    }
    Ok(out)
}

impl Printer {
    /// Use `uri` if given, else the configured printer.
    pub fn new(cfg: &PrintConfig, uri: Option<&str>) -> Result<Printer, PrintError> {
        let s = uri.or(cfg.printer_uri.as_deref()).ok_or_else(|| PrintError::InvalidUri(String::new()))?;
        let uri: Uri = s.parse().map_err(|_| PrintError::InvalidUri(s.to_owned()))?;
        if !matches!(uri.scheme_str(), Some("ipp" | "http" | "ipps" | "https")) || uri.host().is_none() {
            return Err(PrintError::InvalidUri(s.to_owned()));
        }
        // The same rule as the configuration check: plaintext only to this machine.
        if let Err((why, _)) = crate::output::config::check_printer_uri(s, cfg.allow_insecure) {
            return Err(PrintError::InvalidUri(why));
        }
        let roots = match &cfg.ca_cert {
            Some(path) => read_pem_certs(path)?,
            None => Vec::new(),
        };
        let client = IppHttp::new(&uri, Duration::from_secs(30), roots);
        Ok(Printer { uri, cfg: cfg.clone(), client, poll: Duration::from_millis(100) })
    }

    /// `requesting-user-name`, the same for every operation so that the job's owner can act
    /// on it. (CUPS checks the owner on Cancel-Job; see tests/output_print.rs step 10 for the
    /// cupsd crash an unknown user name causes there.)
    fn user_name(&self) -> &str {
        if self.cfg.user_name.is_empty() { "madoguchi" } else { &self.cfg.user_name }
    }

    /// Current printer state: `Err` when something blocks printing.
    pub fn check(&self) -> Result<(), PrintError> {
        let op = IppOperationBuilder::get_printer_attributes(self.uri.clone())
            .attributes(["printer-state", "printer-state-reasons", "printer-is-accepting-jobs"])
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let resp = self.client.send(op)?;
        let st = status_of(&resp);
        if !st.is_success() {
            return Err(PrintError::Protocol(format!("Get-Printer-Attributes: {st}")));
        }
        let state = attr(&resp, DelimiterTag::PrinterAttributes, "printer-state");
        let stopped = matches!(state, Some(IppValue::Enum(5)));
        let reasons =
            attr(&resp, DelimiterTag::PrinterAttributes, "printer-state-reasons").map(values).unwrap_or_default();
        if let Some(condition) = condition_from(stopped, &reasons) {
            return Err(PrintError::Condition { condition, reasons: reasons.join(",") });
        }
        if matches!(
            attr(&resp, DelimiterTag::PrinterAttributes, "printer-is-accepting-jobs"),
            Some(IppValue::Boolean(false))
        ) {
            return Err(PrintError::NotAccepting);
        }
        Ok(())
    }

    /// Submit one job, retrying while the printer answers server-error-busy.
    pub fn submit(&self, req: &PrintRequest) -> Result<PrintJob, PrintError> {
        let started = Instant::now();
        let busy_limit = Duration::from_secs(self.cfg.busy_timeout_secs);
        let mut pause = Duration::from_millis(200);
        loop {
            // CUPS passes application/vnd.cups-raw through without pdftopdf (like `lp -o raw`).
            let format = if self.cfg.raw { "application/vnd.cups-raw" } else { "application/pdf" };
            let media =
                IppValue::new_keyword(self.cfg.media.clone()).map_err(|e| PrintError::Protocol(e.to_string()))?;
            let op = IppOperationBuilder::print_job(
                self.uri.clone(),
                // A copy that is wiped when the client is done with it.
                IppPayload::new(std::io::Cursor::new(req.pdf.clone())),
            )
            .user_name(self.user_name())
            .job_title(safe_job_name(&req.job_name))
            .document_format(format)
            .attribute(IppAttribute::with_name("media", media).map_err(|e| PrintError::Protocol(e.to_string()))?)
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
            let resp = self.client.send(op)?;
            match status_of(&resp) {
                s if s.is_success() => {
                    let id = attr(&resp, DelimiterTag::JobAttributes, "job-id")
                        .and_then(|v| v.as_integer().copied())
                        .ok_or_else(|| PrintError::Protocol("no job-id in Print-Job response".into()))?;
                    return Ok(PrintJob { job_id: id });
                }
                StatusCode::ServerErrorBusy => {
                    if started.elapsed() >= busy_limit {
                        return Err(PrintError::Busy(self.cfg.busy_timeout_secs));
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                StatusCode::ServerErrorNotAcceptingJobs => {
                    // Tell the clerk why, when the printer says.
                    self.check()?;
                    return Err(PrintError::NotAccepting);
                }
                other => return Err(PrintError::Rejected(other.to_string())),
            }
        }
    }

    /// Follow a job until it completes. A job that is stuck because of the printer
    /// (paper out, jam, stopped) returns that condition; the job stays queued.
    pub fn wait(&self, job: PrintJob) -> Result<JobDone, PrintError> {
        let started = Instant::now();
        let limit = Duration::from_secs(self.cfg.job_timeout_secs);
        let mut problem_since: Option<Instant> = None;
        loop {
            let op = IppOperationBuilder::get_job_attributes(self.uri.clone(), job.job_id)
                .build()
                .map_err(|e| PrintError::Protocol(e.to_string()))?;
            let resp = self.client.send(op)?;
            let st = status_of(&resp);
            if !st.is_success() {
                return Err(PrintError::Protocol(format!("Get-Job-Attributes: {st}")));
            }
            let state = attr(&resp, DelimiterTag::JobAttributes, "job-state").and_then(|v| v.as_enum().copied());
            let reasons = || {
                attr(&resp, DelimiterTag::JobAttributes, "job-state-reasons").map(values).unwrap_or_default().join(",")
            };
            match state.and_then(JobState::from_i32) {
                Some(JobState::Completed) => return Ok(JobDone { job_id: job.job_id, elapsed: started.elapsed() }),
                Some(JobState::Aborted) => {
                    return Err(PrintError::JobFailed { job_id: job.job_id, state: "aborted", reasons: reasons() });
                }
                Some(JobState::Canceled) => {
                    return Err(PrintError::JobFailed { job_id: job.job_id, state: "canceled", reasons: reasons() });
                }
                Some(_) => match self.check() {
                    // Printers (and cupsd right after cupsenable) report a cleared condition
                    // for a moment: only a condition that lasts is the clerk's business.
                    Err(e) if problem_since.get_or_insert_with(Instant::now).elapsed() >= CONDITION_GRACE => {
                        return Err(e);
                    }
                    Err(_) => {}
                    Ok(()) => problem_since = None,
                },
                None => {}
            }
            if started.elapsed() >= limit {
                return Err(PrintError::Timeout(job.job_id));
            }
            std::thread::sleep(self.poll);
        }
    }

    /// Follow a job submitted earlier (a retry after the printer had a problem), so the
    /// document is not printed twice. `Ok(None)`: the job is gone, aborted or canceled and
    /// must be submitted again.
    pub fn resume(&self, job: PrintJob) -> Result<Option<JobDone>, PrintError> {
        let op = IppOperationBuilder::get_job_attributes(self.uri.clone(), job.job_id)
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let resp = self.client.send(op)?;
        let st = status_of(&resp);
        if st == StatusCode::ClientErrorNotFound {
            return Ok(None);
        }
        if !st.is_success() {
            return Err(PrintError::Protocol(format!("Get-Job-Attributes: {st}")));
        }
        let state = attr(&resp, DelimiterTag::JobAttributes, "job-state").and_then(|v| v.as_enum().copied());
        match state.and_then(JobState::from_i32) {
            Some(JobState::Aborted | JobState::Canceled) | None => Ok(None),
            Some(_) => self.wait(job).map(Some),
        }
    }

    /// Preflight, submit, follow to the end. Call again with the same request to reprint.
    pub fn print(&self, req: &PrintRequest) -> Result<JobDone, PrintError> {
        self.check()?;
        let job = self.submit(req)?;
        self.wait(job)
    }

    /// Cancel a queued job (clerk gives up on it before reprinting elsewhere).
    pub fn cancel(&self, job: PrintJob) -> Result<(), PrintError> {
        let op = IppOperationBuilder::cancel_job(self.uri.clone(), job.job_id)
            .user_name(self.user_name())
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let resp = self.client.send(op)?;
        let st = status_of(&resp);
        if st.is_success() { Ok(()) } else { Err(PrintError::Rejected(st.to_string())) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_decode_every_certificate_and_reject_broken_files() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAwQ=\n-----END CERTIFICATE-----\n\
                   -----BEGIN PRIVATE KEY-----\nBQY=\n-----END PRIVATE KEY-----\n\
                   -----BEGIN CERTIFICATE-----\nBwg=\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_blocks(pem, "CERTIFICATE").expect("valid"), vec![vec![0, 1, 2, 3, 4], vec![7, 8]]);
        assert!(pem_blocks("-----BEGIN CERTIFICATE-----\nAAEC\n", "CERTIFICATE").is_err());
        assert!(pem_blocks("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", "CERTIFICATE").is_err());
        assert!(pem_blocks("-----END CERTIFICATE-----\n", "CERTIFICATE").is_err());
    }

    #[test]
    fn uri_schemes_and_missing_certificate_file() {
        let cfg = PrintConfig::default();
        for ok in ["ipps://p:631/printers/q", "https://p/x", "ipp://localhost:631/printers/q", "http://127.0.0.1/x"] {
            assert!(Printer::new(&cfg, Some(ok)).is_ok(), "{ok}");
        }
        // Plaintext to another machine only with the explicit insecure option.
        for lan in ["ipp://p/ipp/print", "http://p:631/x"] {
            assert!(matches!(Printer::new(&cfg, Some(lan)), Err(PrintError::InvalidUri(_))), "{lan}");
            let insecure = PrintConfig { allow_insecure: true, ..cfg.clone() };
            assert!(Printer::new(&insecure, Some(lan)).is_ok(), "{lan} with allow_insecure");
        }
        for bad in ["lpd://p/q", "file:///tmp/x", "ipp:/no-host", "not a uri"] {
            assert!(matches!(Printer::new(&cfg, Some(bad)), Err(PrintError::InvalidUri(_))), "{bad}");
        }
        let cfg = PrintConfig { ca_cert: Some("/nonexistent/printer.pem".into()), ..cfg };
        let err = Printer::new(&cfg, Some("ipps://p/x")).err().expect("missing file is an error");
        assert!(matches!(err, PrintError::Certificate { .. }));
        assert!(!err.retryable());
    }
}
