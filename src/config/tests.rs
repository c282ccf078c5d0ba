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
