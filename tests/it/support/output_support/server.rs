//! A loopback HTTPS back office for tests (hyper + tokio-rustls). It implements the
//! receiving side of assets/api/openapi.yaml: dedupes by Idempotency-Key (201 first time,
//! 200 for a duplicate), and can be scripted to fail in the ways a real server does.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::Pki;

/// What the server does with the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    /// Answer with this status and a problem document, without storing.
    Status(u16),
    /// Wait, then accept (the client may have timed out by then).
    Slow(Duration),
    /// Close the connection without answering and without storing.
    Drop,
    /// Store, then close the connection without answering (the client cannot know).
    CommitThenDrop,
    /// Answer with this 3xx status and `Location: https://127.0.0.1:<port><path>`, where
    /// `path` is an endpoint that answers 200 to anything (a login page, a moved API).
    Redirect(u16, &'static str),
    /// Refuse with this status and a problem `detail` that echoes the resident's name from
    /// the body (as real back offices do), plus a problem `type`.
    EchoName(u16),
    /// Refuse with this status and a valid problem JSON of about 8 MiB (its `type` first, then
    /// a huge `detail`): a client that reads it whole can parse it.
    HugeProblem(u16),
}

/// The submissions endpoint; every other path answers 200 and is only counted.
const API_PATH: &str = "/api/v1/submissions";

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Action>>,
    /// Key → sha256 of every body received for it.
    received: Mutex<HashMap<String, Vec<[u8; 32]>>>,
    committed: Mutex<HashSet<String>>,
    /// How many 201s were given per key (must never exceed 1).
    created: Mutex<HashMap<String, u32>>,
    /// Requests that did not follow the API contract.
    violations: Mutex<Vec<String>>,
    /// Requests to paths other than the API, as (method, path, body length).
    elsewhere: Mutex<Vec<(String, String, usize)>>,
    port: std::sync::atomic::AtomicU16,
}

pub struct Server {
    pub addr: SocketAddr,
    rt: tokio::runtime::Runtime,
    state: Arc<State>,
    tls: Arc<rustls::ServerConfig>,
    tasks: Option<Arc<Mutex<JoinSet<()>>>>,
    accept: Option<tokio::task::JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Server {
    /// Start on a free loopback port. `mtls` = require a client cert from the client CA.
    pub fn start(pki: &Pki, mtls: bool) -> Server {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pki.server_cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .expect("server cert");
        let key = PrivateKeyDer::from_pem_slice(pki.server_key_pem.as_bytes()).expect("server key");
        let builder = rustls::ServerConfig::builder();
        let builder = if mtls {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(pki.client_ca_pem.as_bytes()) {
                roots.add(c.expect("client ca")).expect("add root");
            }
            let v = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots)).build().expect("verifier");
            builder.with_client_cert_verifier(v)
        } else {
            builder.with_no_client_auth()
        };
        let mut cfg = builder.with_single_cert(certs, key).expect("server config");
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = std_listener.local_addr().expect("addr");
        drop(std_listener);
        let state = State::default();
        state.port.store(addr.port(), std::sync::atomic::Ordering::Relaxed);
        let mut s = Server { addr, rt, state: Arc::new(state), tls: Arc::new(cfg), tasks: None, accept: None };
        s.up();
        s
    }

    pub fn url(&self) -> String {
        format!("https://localhost:{}/api/v1/submissions", self.addr.port())
    }

    /// (Re)start listening on the same port.
    pub fn up(&mut self) {
        if self.accept.is_some() {
            return;
        }
        let addr = self.addr;
        let listener = self.rt.block_on(async {
            for _ in 0..100 {
                if let Ok(l) = TcpListener::bind(addr).await {
                    return l;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            panic!("cannot rebind {addr}");
        });
        let tasks = Arc::new(Mutex::new(JoinSet::new()));
        let acceptor = tokio_rustls::TlsAcceptor::from(self.tls.clone());
        let state = self.state.clone();
        let t2 = tasks.clone();
        let handle = self.rt.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let acceptor = acceptor.clone();
                let state = state.clone();
                lock(&t2).spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), svc).await;
                });
            }
        });
        self.tasks = Some(tasks);
        self.accept = Some(handle);
    }

    /// Go down: stop listening and cut every open connection.
    pub fn down(&mut self) {
        if let Some(h) = self.accept.take() {
            h.abort();
            let _ = self.rt.block_on(h);
        }
        if let Some(t) = self.tasks.take() {
            lock(&t).abort_all();
        }
    }

    /// Actions for the next requests, in order; afterwards every request is accepted.
    pub fn script(&self, actions: impl IntoIterator<Item = Action>) {
        lock(&self.state.script).extend(actions);
    }

    pub fn committed(&self) -> HashSet<String> {
        lock(&self.state.committed).clone()
    }

    pub fn received_count(&self, key: &str) -> usize {
        lock(&self.state.received).get(key).map_or(0, Vec::len)
    }

    /// Requests that reached any path but the API (a followed redirect lands there).
    pub fn elsewhere(&self) -> Vec<(String, String, usize)> {
        lock(&self.state.elsewhere).clone()
    }

    pub fn total_requests(&self) -> usize {
        lock(&self.state.received).values().map(Vec::len).sum()
    }

    /// Every key got at most one 201, and every retry carried the identical body.
    pub fn assert_consistent(&self) {
        let created = lock(&self.state.created);
        for (k, n) in created.iter() {
            assert!(*n <= 1, "key {k} created {n} times");
        }
        for (k, bodies) in lock(&self.state.received).iter() {
            assert!(bodies.windows(2).all(|w| w[0] == w[1]), "key {k}: retries carried different bodies");
        }
        let v = lock(&self.state.violations);
        assert!(v.is_empty(), "API contract violations: {v:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.down();
    }
}

type Resp = Response<Full<Bytes>>;

fn problem(status: u16, detail: &str) -> Resp {
    Response::builder()
        .status(status)
        .header("content-type", "application/problem+json")
        .header("retry-after", "0")
        .body(Full::new(Bytes::from(
            serde_json::json!({"title": "scripted", "status": status, "detail": detail}).to_string(),
        )))
        .expect("response")
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Resp, std::io::Error> {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (method, path) = (req.method().to_string(), req.uri().path().to_string());
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    if path != API_PATH {
        lock(&state.elsewhere).push((method, path, body.len()));
        return Ok(Response::builder()
            .status(200)
            .header("content-type", "text/html")
            .body(Full::new(Bytes::from_static(b"<html>login</html>")))
            .expect("response"));
    }
    let Some(key) = key else {
        lock(&state.violations).push("missing Idempotency-Key".into());
        return Ok(problem(400, "Idempotency-Key header is required"));
    };
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            lock(&state.violations).push(format!("{key}: body is not JSON"));
            return Ok(problem(400, "body is not JSON"));
        }
    };
    if json.get("idempotency_key").and_then(|v| v.as_str()) != Some(key.as_str()) {
        lock(&state.violations).push(format!("{key}: header and body keys differ"));
        return Ok(problem(422, "idempotency key mismatch"));
    }
    lock(&state.received).entry(key.clone()).or_default().push(Sha256::digest(&body).into());
    let action = {
        let next = lock(&state.script).pop_front();
        next.unwrap_or(Action::Accept)
    };
    let commit = |state: &State| {
        let fresh = lock(&state.committed).insert(key.clone());
        if fresh {
            *lock(&state.created).entry(key.clone()).or_default() += 1;
        }
        fresh
    };
    match action {
        Action::Status(s) => Ok(problem(s, &format!("scripted failure {s}"))),
        Action::Redirect(s, to) => {
            let port = state.port.load(std::sync::atomic::Ordering::Relaxed);
            Ok(Response::builder()
                .status(s)
                // Another host name for this same server (its certificate names both), so a
                // message can be told to name the Location's host, not the back office's.
                .header("location", format!("https://127.0.0.1:{port}{to}"))
                .body(Full::new(Bytes::new()))
                .expect("response"))
        }
        Action::HugeProblem(s) => Ok(Response::builder()
            .status(s)
            .header("content-type", "application/problem+json")
            .body(Full::new(Bytes::from(
                serde_json::json!({
                    "type": "https://backoffice.example/problems/huge",
                    "status": s,
                    "detail": "x".repeat(8 * 1024 * 1024),
                })
                .to_string(),
            )))
            .expect("response")),
        Action::EchoName(s) => {
            let name = json["card"]["name"].as_str().unwrap_or("").to_string();
            Ok(Response::builder()
                .status(s)
                .header("content-type", "application/problem+json")
                .body(Full::new(Bytes::from(
                    serde_json::json!({
                        "type": "https://backoffice.example/problems/name-rejected",
                        "title": format!("氏名「{name}」は受け付けられません"),
                        "status": s,
                        "detail": format!("card.name {name} does not match the resident register"),
                    })
                    .to_string(),
                )))
                .expect("response"))
        }
        Action::Drop => Err(std::io::Error::other("scripted drop")),
        Action::CommitThenDrop => {
            commit(&state);
            Err(std::io::Error::other("scripted drop after commit"))
        }
        Action::Slow(d) => {
            tokio::time::sleep(d).await;
            Ok(accepted(commit(&state), &key))
        }
        Action::Accept => Ok(accepted(commit(&state), &key)),
    }
}

fn accepted(fresh: bool, key: &str) -> Resp {
    let status = if fresh { 201 } else { 200 };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            serde_json::json!({"idempotency_key": key, "status": if fresh {"accepted"} else {"duplicate"}}).to_string(),
        )))
        .expect("response")
}
