//! Sans-IO delivery policy: what an HTTP answer means for a submission, and how long to
//! wait before the next try.

use std::time::Duration;

/// What to do with a submission after one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: the back office has it (201 new, 200 duplicate of an earlier try).
    Delivered { status: u16 },
    /// Temporary: try again later with the same idempotency key.
    Retry { reason: String, retry_after: Option<Duration> },
    /// Permanent 4xx (or a redirect): a clerk has to look at it. The message holds the
    /// status and the problem `type` only, never the server's text (see `server_message`).
    NeedsClerk { status: u16, message: String },
}

/// Longest message kept (it is shown on the clerk screen and by `outbox list`).
const MAX_MESSAGE_CHARS: usize = 300;

/// Classify an HTTP response. `location_host` is the host a 3xx points at (for the log).
pub fn classify_status(status: u16, body: &[u8], retry_after: Option<&str>) -> Verdict {
    classify_response(status, body, retry_after, None)
}

/// Like [`classify_status`], with the host of a redirect's `Location` for the message.
pub fn classify_response(status: u16, body: &[u8], retry_after: Option<&str>, location_host: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered { status },
        // Never followed: a 301/302/303 would turn the POST into a body-less GET whose 2xx
        // (a login page, a trailing-slash redirect) looks like delivery; a 307/308 would
        // post the personal data wherever it points. The URL is the administrator's to fix.
        300..=399 => Verdict::NeedsClerk {
            status,
            message: format!(
                "HTTP {status}: redirect to {} not followed; check output.backend.url / 転送先には送りません。送信先URLを確認してください",
                location_host.map(safe_host).unwrap_or_else(|| "(no Location)".into())
            ),
        },
        // The kiosk's credentials (bearer token, client certificate) are refused: the same for
        // every entry, and fixed by the administrator, not per entry by a clerk. Kept in line
        // and retried with backoff, so everything goes out once the credentials are fixed.
        401 | 403 => Verdict::Retry {
            reason: format!(
                "HTTP {status}: the back office refused this kiosk's credentials (bearer_token / client_identity) / 送信先に認証を拒否されました。管理者に連絡してください"
            ),
            retry_after: None,
        },
        408 | 429 | 500..=599 => {
            Verdict::Retry { reason: format!("HTTP {status}"), retry_after: retry_after.and_then(parse_retry_after) }
        }
        _ => Verdict::NeedsClerk { status, message: server_message(status, body) },
    }
}

/// A host name as the log may show it: the characters of a DNS name or an IP literal only.
fn safe_host(h: &str) -> String {
    let t: String = h.chars().filter(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(*c)).take(100).collect();
    if t.is_empty() { "(unreadable host)".into() } else { t }
}

/// A transport failure (timeout, refused, reset, TLS handshake) is always retried.
pub fn classify_transport(reason: &str) -> Verdict {
    Verdict::Retry { reason: reason.chars().take(MAX_MESSAGE_CHARS).collect(), retry_after: None }
}

/// Delta-seconds form only; HTTP dates are rare from APIs and fall back to backoff.
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(|s| Duration::from_secs(s.min(3600)))
}

/// What is kept of a refused submission's answer: the status and the RFC 9457 problem
/// `type` (a URI naming the kind of problem). Not `detail`, `title` or the body text: back
/// offices echo field values there ("name 窓口 花子 is invalid"), and this message is
/// stored in plain text and shown by `outbox list`.
pub fn server_message(status: u16, body: &[u8]) -> String {
    let ty = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("type").and_then(|x| x.as_str()).map(str::to_owned))
        // A URI reference only: anything else may be free text.
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_graphic()) && t.len() <= 200);
    match ty {
        Some(t) => format!("HTTP {status} (problem type {t})"),
        None => format!("HTTP {status}"),
    }
    .chars()
    .take(MAX_MESSAGE_CHARS)
    .collect()
}

/// Exponential backoff with "equal jitter": half the step is fixed, half random, so
/// retries from many kiosks spread out but never collapse to zero. `rand01` in [0, 1).
pub fn backoff_delay(attempts: u32, initial_ms: u64, max_ms: u64, rand01: f64) -> Duration {
    let exp = attempts.saturating_sub(1).min(30);
    let step = initial_ms.saturating_mul(1u64 << exp).min(max_ms.max(1));
    let half = step / 2;
    let jitter = (half as f64 * rand01.clamp(0.0, 1.0)) as u64;
    Duration::from_millis(half + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_verdicts() {
        assert_eq!(classify_status(201, b"", None), Verdict::Delivered { status: 201 });
        assert_eq!(classify_status(200, b"", None), Verdict::Delivered { status: 200 });
        for s in [401, 403, 408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify_status(s, b"", None), Verdict::Retry { .. }), "{s}");
        }
        for s in [400, 404, 409, 413, 422] {
            assert!(matches!(classify_status(s, b"", None), Verdict::NeedsClerk { .. }), "{s}");
        }
    }

    #[test]
    fn only_status_and_problem_type_are_kept() {
        let v = classify_status(
            422,
            br#"{"type":"https://bo.example/problems/unknown-form","title":"Unprocessable","detail":"name X unknown"}"#,
            None,
        );
        assert_eq!(
            v,
            Verdict::NeedsClerk {
                status: 422,
                message: "HTTP 422 (problem type https://bo.example/problems/unknown-form)".into()
            }
        );
        let v = classify_status(400, b"bad\nthing", None);
        assert_eq!(v, Verdict::NeedsClerk { status: 400, message: "HTTP 400".into() });
        let v = classify_status(400, "{\"type\":\"名前 窓口\"}".as_bytes(), None);
        assert_eq!(v, Verdict::NeedsClerk { status: 400, message: "HTTP 400".into() }, "free text is no type");
    }

    #[test]
    fn redirects_need_a_clerk_and_name_the_host_only() {
        for s in [301, 302, 303, 307, 308] {
            let Verdict::NeedsClerk { status, message } = classify_response(s, b"", None, Some("sso.example.lg.jp"))
            else {
                panic!("{s} must not count as delivered or be retried");
            };
            assert_eq!(status, s);
            assert!(message.contains("sso.example.lg.jp"), "{message}");
        }
    }

    #[test]
    fn retry_after_is_honoured() {
        let v = classify_status(429, b"", Some("7"));
        assert_eq!(v, Verdict::Retry { reason: "HTTP 429".into(), retry_after: Some(Duration::from_secs(7)) });
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        assert_eq!(backoff_delay(1, 1000, 60_000, 0.0), Duration::from_millis(500));
        assert_eq!(backoff_delay(1, 1000, 60_000, 0.999), Duration::from_millis(999));
        assert_eq!(backoff_delay(3, 1000, 60_000, 0.0), Duration::from_millis(2000));
        assert!(backoff_delay(40, 1000, 60_000, 0.999) <= Duration::from_millis(60_000));
        assert!(backoff_delay(40, 1000, 60_000, 0.0) >= Duration::from_millis(30_000));
    }

    proptest::proptest! {
        #[test]
        fn backoff_never_exceeds_cap(a in 0u32..100, i in 1u64..100_000, m in 1u64..10_000_000, r in 0.0f64..1.0) {
            proptest::prop_assert!(backoff_delay(a, i, m, r) <= Duration::from_millis(m.max(1)));
        }

        #[test]
        fn server_message_never_panics_and_is_bounded(body in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
            proptest::prop_assert!(server_message(422, &body).chars().count() <= MAX_MESSAGE_CHARS);
        }
    }
}
