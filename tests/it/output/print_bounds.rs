//! The IPP client reads at most `print::http::MAX_RESPONSE` bytes of a printer's answer.
//!
//! A mock, on purpose: no real printer (ippeveprinter, cupsd) can be made to answer with
//! megabytes of attributes, and that is exactly the fault tested. The server is a thread on
//! loopback that answers one request with a well-formed IPP response of `size` bytes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use madoguchi::output::PrintConfig;
use madoguchi::output::print::http::MAX_RESPONSE;
use madoguchi::output::print::{PrintError, Printer};

/// A Get-Printer-Attributes answer: success, printer idle and accepting, padded with values of
/// `printer-info` (1,000 bytes each, under IPP's 1,023 for text) until it is about `size`
/// bytes, then the end-of-attributes tag, so a client that reads it all parses it as valid.
fn ipp_answer(size: usize) -> Vec<u8> {
    let mut b = vec![2, 0, 0, 0, 0, 0, 0, 1, 0x04];
    let attr = |b: &mut Vec<u8>, tag: u8, name: &str, value: &[u8]| {
        b.push(tag);
        b.extend((name.len() as u16).to_be_bytes());
        b.extend(name.as_bytes());
        b.extend((value.len() as u16).to_be_bytes());
        b.extend(value);
    };
    attr(&mut b, 0x23, "printer-state", &3i32.to_be_bytes());
    attr(&mut b, 0x44, "printer-state-reasons", b"none");
    attr(&mut b, 0x22, "printer-is-accepting-jobs", &[1]);
    let pad = vec![b'x'; 1000];
    let mut first = true;
    while b.len() < size {
        // Additional values of the same attribute (empty name), as IPP allows.
        attr(&mut b, 0x41, if first { "printer-info" } else { "" }, &pad);
        first = false;
    }
    b.push(0x03);
    b
}

/// Serves one request on loopback with `body`; returns the printer URI.
fn one_shot_printer(body: Vec<u8>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        // Read the request to its end (ureq sends the IPP body chunked: it ends "0\r\n\r\n").
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        while !req.ends_with(b"0\r\n\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(&body);
    });
    format!("ipp://127.0.0.1:{port}/ipp/print")
}

#[test]
fn a_printer_answer_larger_than_the_cap_is_refused_not_read_whole() {
    // Within the cap: the same answer is read and understood (the printer is ready).
    let small = one_shot_printer(ipp_answer(200 * 1024));
    Printer::new(&PrintConfig::default(), Some(&small)).expect("printer").check().expect("a 200 KiB answer is read");

    // Four times the cap: refused with a protocol error that names the limit.
    let big = one_shot_printer(ipp_answer(4 * MAX_RESPONSE as usize));
    let err = Printer::new(&PrintConfig::default(), Some(&big)).expect("printer").check().expect_err("over the cap");
    assert!(
        matches!(&err, PrintError::Protocol(m) if m.contains("larger than")),
        "expected the size limit, got {err:?}"
    );
}
