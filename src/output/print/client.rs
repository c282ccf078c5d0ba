//! The IPP edge (blocking `ipp` client): preflight the printer, submit with retries while
//! it is busy, then follow the job to a final state.

use std::time::{Duration, Instant};

use ipp::prelude::*;
use zeroize::Zeroizing;

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

pub struct Printer {
    uri: Uri,
    cfg: PrintConfig,
    client: IppClient,
    poll: Duration,
}

fn ipp_err(e: IppError) -> PrintError {
    match e {
        IppError::ClientError(e) => PrintError::Unreachable(e.to_string()),
        IppError::IoError(e) => PrintError::Unreachable(e.to_string()),
        IppError::RequestError(code) => PrintError::Protocol(format!("HTTP {code}")),
        other => PrintError::Protocol(other.to_string()),
    }
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

impl Printer {
    /// Use `uri` if given, else the configured printer.
    pub fn new(cfg: &PrintConfig, uri: Option<&str>) -> Result<Printer, PrintError> {
        let s = uri.or(cfg.printer_uri.as_deref()).ok_or_else(|| PrintError::InvalidUri(String::new()))?;
        let uri: Uri = s.parse().map_err(|_| PrintError::InvalidUri(s.to_owned()))?;
        if !matches!(uri.scheme_str(), Some("ipp" | "http")) {
            // ipps needs a TLS-enabled ipp build; refuse clearly instead of failing later.
            return Err(PrintError::InvalidUri(s.to_owned()));
        }
        let client = IppClient::builder(uri.clone()).request_timeout(Duration::from_secs(30)).build();
        Ok(Printer { uri, cfg: cfg.clone(), client, poll: Duration::from_millis(100) })
    }

    /// Current printer state: `Err` when something blocks printing.
    pub fn check(&self) -> Result<(), PrintError> {
        let op = IppOperationBuilder::get_printer_attributes(self.uri.clone())
            .attributes(["printer-state", "printer-state-reasons", "printer-is-accepting-jobs"])
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let resp = self.client.send(op).map_err(ipp_err)?;
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
            let user = if self.cfg.user_name.is_empty() { "madoguchi" } else { self.cfg.user_name.as_str() };
            let op = IppOperationBuilder::print_job(
                self.uri.clone(),
                IppPayload::new(std::io::Cursor::new(req.pdf.to_vec())),
            )
            .user_name(user)
            .job_title(safe_job_name(&req.job_name))
            .document_format(format)
            .attribute(IppAttribute::with_name("media", media).map_err(|e| PrintError::Protocol(e.to_string()))?)
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
            let resp = self.client.send(op).map_err(ipp_err)?;
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
        loop {
            let op = IppOperationBuilder::get_job_attributes(self.uri.clone(), job.job_id)
                .build()
                .map_err(|e| PrintError::Protocol(e.to_string()))?;
            let resp = self.client.send(op).map_err(ipp_err)?;
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
                Some(JobState::ProcessingStopped | JobState::Pending | JobState::PendingHeld) => self.check()?,
                _ => {}
            }
            if started.elapsed() >= limit {
                return Err(PrintError::Timeout(job.job_id));
            }
            std::thread::sleep(self.poll);
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
            .user_name(self.cfg.user_name.as_str())
            .build()
            .map_err(|e| PrintError::Protocol(e.to_string()))?;
        let resp = self.client.send(op).map_err(ipp_err)?;
        let st = status_of(&resp);
        if st.is_success() { Ok(()) } else { Err(PrintError::Rejected(st.to_string())) }
    }
}
