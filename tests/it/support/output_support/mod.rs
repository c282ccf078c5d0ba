//! Shared helpers for the output-layer integration tests: a test PKI (rcgen, generated at
//! test time), a loopback HTTPS back office that dedupes by Idempotency-Key and can be told
//! to fail, and submission builders.

pub mod pause;
pub mod server;

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use madoguchi::output::payload::{DeclaredCard, FormInput, Submission, new_idempotency_key};
use madoguchi::output::{BackendConfig, OutboxConfig};
use madoguchi::vocab::person::{SecretString, Sex};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use zeroize::Zeroizing;

pub const NAME: &str = "窓口 花子";
pub const ADDRESS: &str = "東京都千代田区霞が関二丁目一番二号";
pub const MY_NUMBER: &str = "123456789018";

/// Certificates for one test: a server CA + server cert, a client CA + client cert.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_ca_pem: String,
    /// Client cert chain + key in one PEM (what `client_identity` points at).
    pub client_identity_pem: String,
    /// An unrelated CA, to prove a wrong CA is refused.
    pub other_ca_pem: String,
}

fn ca(cn: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, cn);
    CertifiedIssuer::self_signed(p, KeyPair::generate().expect("ca key")).expect("ca cert")
}

impl Pki {
    pub fn generate() -> Pki {
        let server_ca = ca("madoguchi test server CA");
        let client_ca = ca("madoguchi test client CA");
        let other = ca("unrelated CA");
        let skey = KeyPair::generate().expect("key");
        let sparams = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("params");
        let scert = sparams.signed_by(&skey, &server_ca).expect("server cert");
        let ckey = KeyPair::generate().expect("key");
        let mut cparams = CertificateParams::new(Vec::<String>::new()).expect("params");
        cparams.distinguished_name.push(DnType::CommonName, "kiosk-001");
        let ccert = cparams.signed_by(&ckey, &client_ca).expect("client cert");
        Pki {
            dir: tempfile::tempdir().expect("tempdir"),
            ca_pem: server_ca.pem(),
            server_cert_pem: scert.pem(),
            server_key_pem: skey.serialize_pem(),
            client_ca_pem: client_ca.pem(),
            client_identity_pem: format!("{}{}", ccert.pem(), ckey.serialize_pem()),
            other_ca_pem: other.pem(),
        }
    }

    pub fn write(&self, name: &str, pem: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, pem).expect("write pem");
        p
    }

    /// A backend config trusting our CA (and presenting the client cert when `mtls`).
    pub fn backend(&self, url: &str, mtls: bool) -> BackendConfig {
        BackendConfig {
            url: url.to_string(),
            ca_bundle: Some(self.write("ca.pem", &self.ca_pem)),
            client_identity: mtls.then(|| self.write("client.pem", &self.client_identity_pem)),
            backoff_initial_ms: 20,
            backoff_max_ms: 200,
            request_timeout_secs: 2,
            connect_timeout_secs: 1,
            poll_interval_ms: 20,
            ..BackendConfig::default()
        }
    }
}

pub fn outbox_config(dir: &Path) -> OutboxConfig {
    OutboxConfig { db_path: dir.join("outbox.sqlite3"), key_path: dir.join("outbox.key"), ..OutboxConfig::default() }
}

/// A realistic submission: two forms, declared card attributes, a signature and a PDF.
pub fn submission(n: usize) -> Submission {
    submission_with(n, NAME, ADDRESS)
}

pub fn submission_with(n: usize, name: &str, address: &str) -> Submission {
    let pdf = std::fs::read(test_pdf_path()).unwrap_or_else(|_| b"%PDF-1.4\n%test\n".to_vec());
    Submission {
        idempotency_key: new_idempotency_key(),
        receipt_id: format!("R-{n:06}"),
        kiosk_id: "kiosk-001".into(),
        procedure_id: "moving-in".into(),
        created_at: Utc::now(),
        forms: vec![
            FormInput {
                form_id: "jumin-ido".into(),
                template_version: "2026.1".into(),
                values: vec![
                    ("move_date".into(), SecretString::new("2026-11-22")),
                    ("previous_address".into(), SecretString::new("大阪府大阪市北区中之島一丁目三番二十号")),
                    ("note".into(), SecretString::new("カンマ, と \"引用符\" を含む")),
                ],
            },
            FormInput {
                form_id: "kokuho".into(),
                template_version: "3".into(),
                values: vec![("household_size".into(), SecretString::new("2"))],
            },
        ],
        card: DeclaredCard {
            name: Some(SecretString::new(name)),
            address: Some(SecretString::new(address)),
            birth_date: NaiveDate::from_ymd_opt(1985, 4, 1),
            sex: Some(Sex::Female),
            my_number: madoguchi::vocab::person::MyNumber::parse(MY_NUMBER.as_bytes()).ok(),
        },
        card_corrected: Vec::new(),
        signature_png: Some(Zeroizing::new(b"\x89PNG\r\n\x1a\nsignature".to_vec())),
        pdf: Zeroizing::new(pdf),
    }
}

/// A small real PDF made at test time by qpdf (from the stack's packages).
pub fn test_pdf_path() -> PathBuf {
    let p = std::env::temp_dir().join("madoguchi-output-test.pdf");
    if !p.exists() {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = std::env::temp_dir().join(format!("madoguchi-output-test.{}.{n}.pdf", std::process::id()));
        write_pdf(&tmp, "madoguchi output test page");
        let _ = std::fs::rename(&tmp, &p);
    }
    p
}

/// Write a one-page A4 PDF with `text` on it (hand-built, uncompressed; fixed by qpdf).
pub fn write_pdf(path: &Path, text: &str) {
    let content = format!("BT /F1 18 Tf 72 760 Td ({text}) Tj ET");
    let objs = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objs.len() + 1).as_bytes(),
    );
    let raw = path.with_extension("raw.pdf");
    std::fs::write(&raw, out).expect("write pdf");
    // qpdf normalises it; exit code 3 = warnings, still written.
    let st = std::process::Command::new("qpdf")
        .arg(&raw)
        .arg(path)
        .status()
        .expect("qpdf must be installed (tests/stack.sh install)");
    assert!(st.code() == Some(0) || st.code() == Some(3), "qpdf failed: {st}");
    let _ = std::fs::remove_file(raw);
}
