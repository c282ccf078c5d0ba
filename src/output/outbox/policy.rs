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
    /// Permanent 4xx: a clerk has to look at it; carries the server's message.
    NeedsClerk { status: u16, message: String },
}

/// Longest server message kept (it is shown on the clerk screen).
const MAX_MESSAGE_CHARS: usize = 300;

/// Classify an HTTP response.
pub fn classify_status(status: u16, body: &[u8], retry_after: Option<&str>) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered { status },
        408 | 429 | 500..=599 => {
            Verdict::Retry { reason: format!("HTTP {status}"), retry_after: retry_after.and_then(parse_retry_after) }
        }
        _ => Verdict::NeedsClerk { status, message: server_message(body) },
    }
}

/// A transport failure (timeout, refused, reset, TLS handshake) is always retried.
pub fn classify_transport(reason: &str) -> Verdict {
    Verdict::Retry { reason: reason.chars().take(MAX_MESSAGE_CHARS).collect(), retry_after: None }
}

/// Delta-seconds form only; HTTP dates are rare from APIs and fall back to backoff.
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(|s| Duration::from_secs(s.min(3600)))
}

/// The message from an RFC 9457 problem document (`detail`, else `title`), or the body text.
pub fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let msg = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let pick = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            pick("detail").or_else(|| pick("title")).or_else(|| pick("message"))
        })
        .unwrap_or_else(|| text.trim().to_owned());
    let msg: String = msg.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE_CHARS).collect();
    if msg.is_empty() { "(no message from server)".into() } else { msg }
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
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify_status(s, b"", None), Verdict::Retry { .. }), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 413, 422] {
            assert!(matches!(classify_status(s, b"", None), Verdict::NeedsClerk { .. }), "{s}");
        }
    }

    #[test]
    fn problem_detail_is_the_clerk_message() {
        let v = classify_status(422, br#"{"title":"Unprocessable","detail":"form X unknown"}"#, None);
        assert_eq!(v, Verdict::NeedsClerk { status: 422, message: "form X unknown".into() });
        let v = classify_status(400, b"bad\nthing", None);
        assert_eq!(v, Verdict::NeedsClerk { status: 400, message: "badthing".into() });
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
            proptest::prop_assert!(server_message(&body).chars().count() <= MAX_MESSAGE_CHARS);
        }
    }
}
