use super::*;

#[test]
fn example_equals_defaults_except_work_dir() {
    let mut ex = Config::parse(EXAMPLE, Path::new("example")).unwrap();
    let d = Config::default();
    ex.paths.work_dir = d.paths.work_dir.clone();
    assert_eq!(ex, d);
}

#[test]
fn empty_file_is_the_defaults() {
    let c = Config::parse("", Path::new("x")).unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.idle_timeout(), Duration::from_secs(60));
    assert_eq!(c.idle_warning(), Duration::from_secs(45));
}

#[test]
fn one_message_per_problem() {
    let text = r#"
mode = "clerk"
languages = ["ja", "fr"]
[screen]
dpi = 5.0
[timeouts]
idle_seconds = 30
warning_seconds = 40
[clerk]
relock_seconds = 5
[output.print]
printer_uri = "http://printer"
[output.backend]
url = "http://backend"
client_identity = "/nonexistent/cert.pem"
"#;
    let c = Config::parse(text, Path::new("x")).unwrap();
    let problems = c.validate();
    let fields: Vec<&str> = problems
        .iter()
        .filter_map(|p| match p {
            ConfigError::Invalid { field, .. } => Some(*field),
            _ => None,
        })
        .collect();
    for f in [
        "languages",
        "screen.dpi",
        "timeouts.warning_seconds",
        "clerk.pin_hash",
        "clerk.relock_seconds",
        "paths.templates_dir",
        "output.print.printer_uri",
        "output.backend.url",
        "output.backend.client_identity",
    ] {
        assert!(fields.contains(&f), "no message for {f}: {fields:?}");
    }
    for p in &problems {
        let m = p.to_string();
        assert!(m.contains(" / "), "message must be English / Japanese: {m}");
    }
}

#[test]
fn unknown_keys_and_bad_values_are_reported() {
    let e = Config::parse("[screen]\ndpy = 96\n", Path::new("kiosk.toml")).unwrap_err();
    assert!(e.to_string().contains("dpy"), "{e}");
    let e = Config::parse("mode = \"robot\"\n", Path::new("kiosk.toml")).unwrap_err();
    assert!(e.to_string().contains("kiosk.toml"), "{e}");
}

#[test]
fn clerk_pin_hash_roundtrip() {
    let h = hash_clerk_pin("258025").unwrap();
    assert!(h.starts_with("$argon2id$"), "{h}");
    assert!(verify_clerk_pin("258025", &h));
    assert!(!verify_clerk_pin("258026", &h));
    assert!(!verify_clerk_pin("258025", "not-a-hash"));
    assert_eq!(hash_clerk_pin("12a456"), Err(ClerkPinError::BadPin));
    // Four digits fall to 10,000 taps: too short for a staff PIN.
    assert_eq!(hash_clerk_pin("2580"), Err(ClerkPinError::BadPin));
    let text = format!("mode = \"clerk\"\ndemo = true\n[clerk]\npin_hash = \"{h}\"\n");
    let c = Config::parse(&text, Path::new("x")).unwrap();
    assert!(c.validate().is_empty(), "{:?}", c.validate());
}

#[test]
fn load_reports_missing_file() {
    let e = Config::load(Path::new("/nonexistent/kiosk.toml")).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].to_string().contains("設定ファイルを読めません"));
}

/// Write `text` to a file and load it the way the kiosk does.
fn load(text: &str) -> Result<Config, Vec<ConfigError>> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("madoguchi.toml");
    std::fs::write(&p, format!("demo = true\n{text}")).unwrap();
    Config::load(&p)
}

fn invalid_fields(r: Result<Config, Vec<ConfigError>>) -> Vec<&'static str> {
    r.err()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| match p {
            ConfigError::Invalid { field, .. } => Some(*field),
            _ => None,
        })
        .collect()
}

#[test]
fn ipps_printers_are_accepted_and_plain_ipp_only_to_this_machine() {
    for ok in [
        "ipps://printer.example.lg.jp/ipp/print",
        "ipps://192.0.2.10:631/ipp/print",
        "ipp://localhost:631/printers/kiosk",
        "ipp://127.0.0.1:8631/ipp/print",
        "ipp://[::1]/printers/kiosk",
    ] {
        let r = load(&format!("[output.print]\nprinter_uri = \"{ok}\"\n"));
        assert!(r.is_ok(), "{ok}: {:?}", r.err());
    }
    for refused in
        ["ipp://192.0.2.10/ipp/print", "http://printer.example.lg.jp:631/ipp/print", "ipp://localhost.evil.example/x"]
    {
        let r = load(&format!("[output.print]\nprinter_uri = \"{refused}\"\n"));
        assert_eq!(invalid_fields(r), ["output.print.printer_uri"], "{refused} must be refused");
        // The explicit insecure option lets it through.
        let r = load(&format!("[output.print]\nprinter_uri = \"{refused}\"\nallow_insecure = true\n"));
        assert!(r.is_ok(), "{refused} with allow_insecure: {:?}", r.err());
    }
    let r = load("[output.print]\nprinter_uri = \"lpd://x/q\"\nallow_insecure = true\n");
    assert_eq!(invalid_fields(r), ["output.print.printer_uri"]);
}

#[test]
fn a_typo_near_the_bearer_token_does_not_put_it_in_the_message() {
    let token = "s3cr3t-TOKEN-f00d";
    for text in [
        format!("[output.backend]\nurl = \"https://bo.example/api\"\nbearer_token = \"{token}\n"),
        format!("[output.backend]\nurl = \"https://bo.example/api\"\nbearer_token \"{token}\"\n"),
        format!("[output.backend]\nurl = \"https://bo.example/api\"\nbearer_tokn = \"{token}\"\n"),
        format!("[output.backend]\nurl = \"https://bo.example/api\"\nbearer_token = [\"{token}\"]\n"),
        format!("[output.backend]\nurl = \"https://bo.example/api\"\nrequest_timeout_secs = \"{token}\"\n"),
    ] {
        let errors = load(&text).expect_err("a typo is an error");
        assert_eq!(errors.len(), 1);
        let m = errors[0].to_string();
        assert!(!m.contains(token) && !m.contains("s3cr3t"), "the secret is in the message: {m}");
        assert!(m.contains("madoguchi.toml") && m.contains("line 4"), "file and line: {m}");
        assert!(m.contains("column"), "{m}");
    }
}

#[test]
fn out_of_range_values_are_refused() {
    let cases = [
        ("[output.outbox]\nretention_hours = 18446744073709551615\n", "output.outbox.retention_hours"),
        ("[output.export]\nretention_hours = 100000000\n", "output.export.retention_hours"),
        (
            "[output.backend]\nurl = \"https://b.example/\"\nbackoff_initial_ms = 0\n",
            "output.backend.backoff_initial_ms",
        ),
        ("[output.backend]\nurl = \"https://b.example/\"\nbackoff_max_ms = 5\n", "output.backend.backoff_max_ms"),
        (
            "[output.backend]\nurl = \"https://b.example/\"\nrequest_timeout_secs = 0\n",
            "output.backend.request_timeout_secs",
        ),
        (
            "[output.backend]\nurl = \"https://b.example/\"\nconnect_timeout_secs = 100000\n",
            "output.backend.connect_timeout_secs",
        ),
        ("[output.backend]\nurl = \"https://b.example/\"\nconcurrency = 0\n", "output.backend.concurrency"),
        ("[output.backend]\nurl = \"https://b.example/\"\npoll_interval_ms = 0\n", "output.backend.poll_interval_ms"),
        ("[output.print]\njob_timeout_secs = 18446744073709551615\n", "output.print.job_timeout_secs"),
        ("[output.print]\nbusy_timeout_secs = 0\n", "output.print.busy_timeout_secs"),
        ("[timeouts]\nidle_seconds = 18446744073709551615\n", "timeouts.idle_seconds"),
        ("[timeouts]\ndone_return_seconds = 18446744073709551615\n", "timeouts.done_return_seconds"),
    ];
    for (text, field) in cases {
        let fields = invalid_fields(load(text));
        assert!(fields.contains(&field), "{field} not refused in {text:?}: {fields:?}");
    }
    let r = load("[output.backend]\nurl = \"https://b.example/\"\nbackoff_initial_ms = 10\nbackoff_max_ms = 10\n");
    assert!(r.is_ok(), "the floor itself is fine: {:?}", r.err());
}

#[test]
fn plain_http_backends_only_to_loopback_and_only_when_allowed() {
    let backend = |url: &str, allow: bool| {
        load(&format!("[output.backend]\nurl = \"{url}\"\nallow_insecure_loopback_http = {allow}\n"))
    };
    assert!(backend("https://bo.example.lg.jp/api", false).is_ok());
    assert!(backend("http://127.0.0.1:8080/api", true).is_ok());
    assert!(backend("http://[::1]:8080/api", true).is_ok());
    for (url, allow) in [
        ("http://127.0.0.1:8080/api", false),
        ("http://localhost.evil.example/api", true), // a prefix check would let this through
        ("http://127.0.0.1.evil.example/api", true),
        ("http://192.0.2.1/api", true),
    ] {
        assert_eq!(invalid_fields(backend(url, allow)), ["output.backend.url"], "{url} allow={allow}");
    }
}
