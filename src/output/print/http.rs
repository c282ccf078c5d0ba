//! IPP over HTTP(S) with a bounded response. The `ipp` crate's own blocking client reads a
//! response without any limit, so a broken or hostile device at the printer's address could
//! grow the kiosk's memory until it is killed mid-visit. Here the request is the crate's, the
//! parser is the crate's, and only the transport is ours: ureq with a cap on the body.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ipp::parser::{IppParseError, IppParser};
use ipp::prelude::{IppRequestResponse, Uri};
use ipp::reader::IppReader;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use super::reasons::PrintError;

/// The largest IPP response read. Printer attributes of a real device are a few tens of KiB
/// (CUPS's full Get-Printer-Attributes ≈ 20 KiB); a job's a few KiB.
pub const MAX_RESPONSE: u64 = 1024 * 1024;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The system's CA certificates, read once per process (a printer is made for every job and
/// every status check).
static SYSTEM_ROOTS: LazyLock<Vec<Certificate<'static>>> = LazyLock::new(|| {
    rustls_native_certs::load_native_certs()
        .certs
        .into_iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect()
});

pub struct IppHttp {
    agent: ureq::Agent,
    url: String,
}

/// `ipp://host/p` → `http://host:631/p`, `ipps://` → `https://host:443/...` (RFC 8010 §5,
/// RFC 7472); other schemes as they are.
pub fn http_url(uri: &Uri) -> String {
    let (scheme, port) = match uri.scheme_str() {
        Some("ipps") => ("https", 443),
        Some("ipp") => ("http", 631),
        _ => return uri.to_string(),
    };
    let Some(auth) = uri.authority() else { return uri.to_string() };
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    match auth.port_u16() {
        Some(_) => format!("{scheme}://{auth}{path}"),
        None => format!("{scheme}://{auth}:{port}{path}"),
    }
}

impl IppHttp {
    /// `extra_roots`: DER certificates trusted besides the system's (`print.ca_cert`).
    pub fn new(uri: &Uri, timeout: Duration, extra_roots: Vec<Vec<u8>>) -> IppHttp {
        let mut roots = SYSTEM_ROOTS.clone();
        roots.extend(extra_roots.iter().map(|d| Certificate::from_der(d).to_owned()));
        let tls =
            TlsConfig::builder().provider(TlsProvider::Rustls).root_certs(RootCerts::Specific(Arc::new(roots))).build();
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(timeout))
            // IPP status codes travel inside a 200; any other HTTP status is read as an error.
            .http_status_as_error(true)
            // Never follow a redirect to another host with a document (the 個人番号 may be on it).
            .max_redirects(0)
            .tls_config(tls)
            .user_agent(concat!("madoguchi/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        IppHttp { agent, url: http_url(uri) }
    }

    /// Send one operation and parse the answer, reading at most [`MAX_RESPONSE`] bytes of it.
    pub fn send(&self, op: impl Into<IppRequestResponse>) -> Result<IppRequestResponse, PrintError> {
        let limit = MAX_RESPONSE;
        let req: IppRequestResponse = op.into();
        let resp = self
            .agent
            .post(&self.url)
            .header("content-type", "application/ipp")
            .send(ureq::SendBody::from_reader(&mut req.into_read()))
            .map_err(transport_err)?;
        // A redirect is not followed (see `new`) and not an answer either.
        if !resp.status().is_success() {
            return Err(PrintError::Protocol(format!("HTTP {}", resp.status().as_u16())));
        }
        let reader = resp.into_body().into_with_config().limit(limit).reader();
        IppParser::new(IppReader::new(reader)).parse().map_err(|e| match e {
            IppParseError::IoError(io) if over_limit(&io) => {
                PrintError::Protocol(format!("the printer's answer is larger than {limit} bytes"))
            }
            IppParseError::IoError(io) => PrintError::Unreachable(io.to_string()),
            e => PrintError::Protocol(e.to_string()),
        })
    }
}

/// ureq says "over the limit" with its own error inside the reader's I/O error.
fn over_limit(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<ureq::Error>())
        .is_some_and(|u| matches!(u, ureq::Error::BodyExceedsLimit(_)))
}

fn transport_err(e: ureq::Error) -> PrintError {
    match e {
        e @ (ureq::Error::Rustls(_) | ureq::Error::Tls(_) | ureq::Error::Pem(_)) => PrintError::Tls(e.to_string()),
        // A handshake failure (e.g. an untrusted certificate) arrives as an I/O error.
        ureq::Error::Io(e) if e.get_ref().is_some_and(|i| i.is::<rustls::Error>()) => PrintError::Tls(e.to_string()),
        ureq::Error::StatusCode(code) => PrintError::Protocol(format!("HTTP {code}")),
        e => PrintError::Unreachable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipp_schemes_map_to_http_with_default_ports() {
        let u = |s: &str| http_url(&s.parse().expect("uri"));
        assert_eq!(u("ipp://printer.local/ipp/print"), "http://printer.local:631/ipp/print");
        assert_eq!(u("ipps://printer.local/ipp/print"), "https://printer.local:443/ipp/print");
        assert_eq!(u("ipp://localhost:8631/ipp/print"), "http://localhost:8631/ipp/print");
        assert_eq!(u("http://localhost:631/printers/kiosk"), "http://localhost:631/printers/kiosk");
    }
}
