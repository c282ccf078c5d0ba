//! The page makes no request after it has loaded: its files come from a loopback HTTP server
//! that records every request, a whole visit is answered to the QR code, and the server saw
//! the page's own files once each and nothing else; the CSP meta tag blocks what a script
//! would try to fetch (tried here on purpose) and the browser's resource timing agrees.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::{PHONE, answer_juminhyo, page_dir};
use crate::support::webdriver::Session;

/// A static file server on 127.0.0.1 for the built page; returns its port and the request log.
fn serve() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    let dir = page_dir().to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).map(|n| n > 2).unwrap_or(false) {
                h.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push(path.clone());
            let name = path.trim_start_matches('/');
            let file = if name.is_empty() { "index.html" } else { name };
            let ok = !file.contains("..") && !file.contains('/');
            let (status, body) = match std::fs::read(dir.join(file)) {
                Ok(b) if ok => ("200 OK", b),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let kind = match file.rsplit('.').next() {
                Some("html") => "text/html; charset=utf-8",
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                _ => "text/plain",
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (port, log)
}

#[test]
fn after_loading_the_page_requests_nothing_and_its_csp_blocks_requests() {
    let (port, log) = serve();
    let s = Session::start(PHONE.0, PHONE.1, "ja");
    s.goto(&format!("http://127.0.0.1:{port}/index.html"));
    s.find("main[data-screen=start]");
    let mut loaded = log.lock().unwrap().clone();
    loaded.sort();
    assert_eq!(loaded, ["/index.html", "/page.css", "/page.js", "/payload.js", "/qr.js", "/validate.js"]);

    s.click("#lang-en");
    s.click("#start-pick");
    s.click("#p-juminhyo");
    s.click("#next");
    answer_juminhyo(&s, "03-1234-5678");
    s.click("#make-code");
    s.find("main[data-screen=code] #qr");
    s.click("#save");
    assert_eq!(log.lock().unwrap().len(), 6, "no request while answering: {:?}", log.lock().unwrap());

    // What a script on the page would try: the CSP refuses every one before it leaves.
    s.exec_async(
        "const done = arguments[arguments.length - 1]; const u = location.origin; \
         fetch(u + '/probe-fetch').catch(() => {}); \
         new Image().src = u + '/probe-image'; \
         const x = document.createElement('script'); x.src = 'data:text/javascript,1'; document.body.appendChild(x); \
         try { navigator.sendBeacon(u + '/probe-beacon', 'x'); } catch (e) {} \
         setTimeout(() => done(true), 1500);",
        json!([]),
    );
    let after = log.lock().unwrap().clone();
    let probes: Vec<&String> = after.iter().filter(|p| p.starts_with("/probe")).collect();
    // `img-src 'self'` allows the page's own images (its QR code is a data: URL), so the image
    // probe reaching the server is expected; everything else must have been blocked.
    assert_eq!(probes, ["/probe-image"], "only what the policy allows reached the server: {after:?}");
    let console = s.console().join("\n");
    assert!(console.contains("Content Security Policy"), "the browser reports the blocked requests: {console}");

    let resources = s.exec(
        "return performance.getEntriesByType('resource').filter(e => e.name.startsWith(location.origin)) \
           .map(e => new URL(e.name).pathname).filter(p => !p.startsWith('/probe'));",
        json!([]),
    );
    let mut names: Vec<String> =
        resources.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, ["/page.css", "/page.js", "/payload.js", "/qr.js", "/validate.js"], "resource timing");
}

#[test]
fn the_page_works_from_a_file_without_errors() {
    let s = super::open("ja");
    let console = s.console();
    assert!(console.iter().all(|l| !l.starts_with("SEVERE")), "console errors: {console:?}");
    assert_eq!(
        s.exec("return performance.getEntriesByType('resource').every(e => e.name.startsWith('file://'));", json!([])),
        true
    );
}
