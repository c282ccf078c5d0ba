//! Helpers for the packaging tests: build the .deb once per test binary, run commands with
//! clear failure messages, and an installed-package guard that always purges.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The machine-wide lock for tests that install the package (other worktrees may run the
/// same test at the same time; dpkg and the `madoguchi` user are global).
const SYSTEM_LOCK: &str = "/tmp/madoguchi-packaging-test.lock";
const NOT_INSTALLED_HINT: &str = "run `bash tests/stack.sh install` (installs cargo-deb and the Debian packages)";

pub fn run(prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}; {NOT_INSTALLED_HINT}"))
}

/// Run and require success; returns stdout.
pub fn run_ok(prog: &str, args: &[&str]) -> String {
    let o = run(prog, args);
    assert!(
        o.status.success(),
        "{prog} {args:?} failed ({}):\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// File names in a repository directory with the given extension, sorted.
pub fn assets_named(dir: &str, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(manifest_dir().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(String::from))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no *.{ext} in {dir}");
    v
}

/// The .deb, built once per test binary by cargo-deb from the debug binary this test run
/// already built (`--no-build`: no second build, no release build, no build-lock wait).
pub fn deb() -> &'static Path {
    static DEB: OnceLock<PathBuf> = OnceLock::new();
    DEB.get_or_init(build_deb)
}

fn build_deb() -> PathBuf {
    // target/debug/madoguchi → target/
    let bin = Path::new(env!("CARGO_BIN_EXE_madoguchi"));
    let target = bin.parent().and_then(Path::parent).expect("binary inside target/<profile>/");
    // cargo-deb packages `<target-dir>/release/madoguchi` and refuses the dev profile; CI
    // builds debug only. So the debug binary is staged as the release binary of a private
    // target dir (a copy: cargo-deb strips what it packages).
    let work = target.join("packaging-test");
    let staged = work.join("target/release");
    std::fs::create_dir_all(&staged).expect("create target/packaging-test");
    std::fs::copy(bin, staged.join("madoguchi")).expect("stage the debug binary");
    let deb = work.join(format!("madoguchi_{}_test.deb", env!("CARGO_PKG_VERSION")));
    let _ = std::fs::remove_file(&deb);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = Command::new(&cargo)
        .current_dir(manifest_dir())
        .args(["deb", "--no-build", "--fast", "--offline", "--locked"])
        .env("CARGO_TARGET_DIR", work.join("target"))
        .arg("--output")
        .arg(&deb)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo} deb: {e}; {NOT_INSTALLED_HINT}"));
    assert!(
        o.status.success(),
        "cargo deb failed ({}); {NOT_INSTALLED_HINT}\n{}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(deb.is_file(), "cargo deb wrote no {}", deb.display());
    deb
}

pub fn control_field(deb: &Path, field: &str) -> String {
    run_ok("dpkg-deb", &["-f", deb.to_str().expect("utf-8 path"), field]).trim().to_string()
}

fn dpkg_status(pkg: &str) -> String {
    let o = run("dpkg-query", &["-W", "-f=${Status}", pkg]);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn exists_in_db(db: &str, name: &str) -> bool {
    run("getent", &[db, name]).status.success()
}

/// dpkg with a retry while another dpkg/apt holds the lock (other engineers' `stack.sh install`).
fn dpkg(args: &[&str]) -> Output {
    let start = Instant::now();
    loop {
        let o = Command::new("dpkg")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run dpkg: {e}"));
        let err = String::from_utf8_lossy(&o.stderr);
        if o.status.success() || !err.contains("lock") || start.elapsed() > Duration::from_secs(300) {
            return o;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn dpkg_ok(args: &[&str]) {
    let o = dpkg(args);
    assert!(
        o.status.success(),
        "dpkg {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The package installed on this machine for the length of one test; purged on drop, also
/// when the test fails.
pub struct Installed {
    deb: PathBuf,
    purged: bool,
    _lock: File,
}

impl Installed {
    pub fn install(deb: &Path) -> Installed {
        let lock = File::create(SYSTEM_LOCK).unwrap_or_else(|e| panic!("{SYSTEM_LOCK}: {e}"));
        lock.lock().unwrap_or_else(|e| panic!("lock {SYSTEM_LOCK}: {e}"));
        let st = dpkg_status("madoguchi");
        assert!(
            st.is_empty() || st.ends_with("not-installed"),
            "the madoguchi package is already on this machine ({}); this test installs and purges it itself: \
             remove it first with `dpkg --purge madoguchi`",
            st
        );
        assert!(
            !exists_in_db("passwd", "madoguchi") && !Path::new("/var/lib/madoguchi").exists(),
            "a user \"madoguchi\" or /var/lib/madoguchi already exists; this test creates and removes them: \
             run `dpkg --purge madoguchi` (or remove them by hand) first"
        );
        // dpkg -i would leave a half-configured package if a dependency were missing.
        let depends = control_field(deb, "Depends");
        for dep in depends.split(',') {
            let alternatives: Vec<&str> =
                dep.split('|').map(|a| a.split_whitespace().next().unwrap_or_default()).collect();
            assert!(
                alternatives.iter().any(|a| dpkg_status(a).contains("ok installed")),
                "dependency {dep:?} of the package is not installed; {NOT_INSTALLED_HINT}"
            );
        }
        let me = Installed { deb: deb.to_path_buf(), purged: false, _lock: lock };
        dpkg_ok(&["-i", deb.to_str().expect("utf-8 path")]);
        assert!(dpkg_status("madoguchi").contains("install ok installed"), "dpkg status: {}", dpkg_status("madoguchi"));
        me
    }

    /// Install the same package again over itself (what an upgrade does with conffiles).
    pub fn reinstall(&self) {
        dpkg_ok(&["-i", self.deb.to_str().expect("utf-8 path")]);
    }

    /// `dpkg --purge` and check that nothing the package or its scripts created is left.
    pub fn purge_and_check(mut self) {
        self.purged = true;
        dpkg_ok(&["--purge", "madoguchi"]);
        let st = dpkg_status("madoguchi");
        assert!(st.is_empty() || st.ends_with("not-installed"), "after purge, dpkg says {st:?}");
        assert!(!exists_in_db("passwd", "madoguchi"), "user madoguchi left after purge");
        assert!(!exists_in_db("group", "madoguchi"), "group madoguchi left after purge");
        assert!(!exists_in_db("group", "madoguchi-export"), "group madoguchi-export left after purge");
        for p in [
            "/var/lib/madoguchi",
            "/var/spool/madoguchi",
            "/etc/madoguchi",
            "/usr/bin/madoguchi",
            "/etc/pam.d/madoguchi-kiosk",
        ] {
            assert!(!Path::new(p).exists(), "{p} left after purge");
        }
        let so = run("dpkg-statoverride", &["--list", "/etc/madoguchi/madoguchi.toml"]);
        assert!(!so.status.success(), "statoverride left after purge");
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if !self.purged {
            // Best effort: the test already failed; leave the machine as it was.
            let _ = dpkg(&["--purge", "madoguchi"]);
        }
    }
}

/// Start `cage` headless as the service user with the installed kiosk (installed config,
/// `--demo`), wait until the window is up, and return a screenshot taken by grim. Fails if
/// the kiosk or cage exits early (a missing runtime library panics the window at start).
pub fn kiosk_under_cage(uid: u32, gid: u32) -> Vec<u8> {
    use std::os::unix::fs::PermissionsExt;
    let runtime = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::chown(runtime.path(), Some(uid), Some(gid)).expect("chown runtime dir");
    std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let log_path = runtime.path().join("cage.log");
    let log = File::create(&log_path).expect("cage log");
    let (u, g) = (uid.to_string(), gid.to_string());
    // setpriv execs in place, so the child's pid is cage's own and it can be stopped by id.
    let mut cage = Command::new("setpriv")
        .args(["--reuid", &u, "--regid", &g, "--clear-groups", "--"])
        .args([
            "cage",
            "-d",
            "--",
            "/usr/bin/madoguchi",
            "kiosk",
            "--config",
            "/etc/madoguchi/madoguchi.toml",
            "--demo",
        ])
        // The demo writes only under --out (never into the installed kiosk's stores).
        .arg("--out")
        .arg(runtime.path().join("demo"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("TMPDIR", runtime.path())
        .env("HOME", "/var/lib/madoguchi")
        .env("WLR_BACKENDS", "headless")
        .env("WLR_RENDERER", "pixman")
        .env("WLR_LIBINPUT_NO_DEVICES", "1")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log fd"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start cage: {e}; {NOT_INSTALLED_HINT}"));
    let shot = runtime.path().join("shot.png");
    let start = Instant::now();
    let mut result: Result<Vec<u8>, String> = Err("no screenshot yet".into());
    // The window needs a few seconds (debug binary, software rendering, a busy machine): take
    // screenshots until one shows more than the empty compositor background.
    while start.elapsed() < Duration::from_secs(90) {
        std::thread::sleep(Duration::from_secs(2));
        if let Ok(Some(status)) = cage.try_wait() {
            result = Err(format!("cage exited early ({status})"));
            break;
        }
        let o = Command::new("setpriv")
            .args(["--reuid", &u, "--regid", &g, "--clear-groups", "--", "grim"])
            .arg(&shot)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("WAYLAND_DISPLAY", "wayland-0")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run grim: {e}; {NOT_INSTALLED_HINT}"));
        if !o.status.success() {
            result = Err(format!("grim: {}", String::from_utf8_lossy(&o.stderr)));
            continue;
        }
        let bytes = std::fs::read(&shot).expect("screenshot");
        // Until the kiosk's first frame lands, the output is cage's plain background.
        let drawn = distinct_colours(&bytes) > 50;
        result = Ok(bytes);
        if drawn && find_child(cage.id()).is_some() {
            break;
        }
    }
    let kiosk = find_child(cage.id());
    let alive = cage.try_wait().ok().flatten().is_none() && kiosk.is_some();
    // Stop the session: the kiosk first, then cage (both by pid).
    if let Some(pid) = kiosk {
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    }
    let _ = Command::new("kill").args(["-TERM", &cage.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while cage.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = cage.kill();
    let _ = cage.wait();
    if let Some(pid) = kiosk {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(!log.contains("panicked"), "the kiosk panicked under cage:\n{log}");
    assert!(alive, "the kiosk was not running under cage after the screenshot:\n{log}");
    result.unwrap_or_else(|e| panic!("{e}\n{log}"))
}

/// The child process of `pid` running the kiosk (cage may also start Xwayland).
fn find_child(pid: u32) -> Option<u32> {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children
        .split_whitespace()
        .filter_map(|c| c.parse::<u32>().ok())
        .find(|c| std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|comm| comm.trim() == "madoguchi"))
}

/// Run the sender unit's ExecStart (its `--config` swapped for a copy of the installed
/// config with a loopback back office added) as the service user, check it is still running
/// after a few seconds, send the unit's KillSignal and require a clean exit.
pub fn sender_stops_on_kill_signal(unit: &str, uid: u32, gid: u32) {
    let text = std::fs::read_to_string(unit).expect("sender unit");
    let exec = text.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("ExecStart");
    let signal = text.lines().find_map(|l| l.strip_prefix("KillSignal=")).unwrap_or("SIGTERM");
    // A back office that is up but answers nothing useful: the sender only has to run.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("sender.toml");
    let installed = std::fs::read_to_string("/etc/madoguchi/madoguchi.toml").expect("installed config");
    std::fs::write(
        &conf,
        format!("{installed}\n[output.backend]\nurl = \"http://127.0.0.1:{port}/submissions\"\nallow_insecure_loopback_http = true\n"),
    )
    .expect("write sender config");
    std::os::unix::fs::chown(&conf, Some(0), Some(gid)).expect("chown config");
    let mut argv: Vec<String> = exec.split_whitespace().map(String::from).collect();
    let at = argv.iter().position(|a| a == "--config").expect("ExecStart passes --config");
    argv[at + 1] = conf.to_str().expect("utf-8").to_string();
    let (u, g) = (uid.to_string(), gid.to_string());
    let mut child = Command::new("setpriv")
        .args(["--reuid", &u, "--regid", &g, "--clear-groups", "--"])
        .args(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the sender");
    // Ready = the process has installed its handler for the unit's stop signal (SigCgt in
    // /proc): from then on that signal means "finish and exit", not "die".
    let signum: u32 = match signal {
        "SIGINT" => 2,
        "SIGTERM" => 15,
        other => panic!("unexpected KillSignal {other}"),
    };
    let ready_by = Instant::now() + Duration::from_secs(60);
    while !catches_signal(child.id(), signum) && Instant::now() < ready_by {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Still running a moment later: it does not exit on its own.
    std::thread::sleep(Duration::from_secs(1));
    let handled = catches_signal(child.id(), signum);
    let early = child.try_wait().expect("try_wait");
    let _ = Command::new("kill").args(["-s", signal.trim_start_matches("SIG"), &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut status = None;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().expect("try_wait") {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if status.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("sender output");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(early.is_none(), "the sender exited on its own ({early:?}):\n{err}");
    assert!(handled, "the sender never installed a handler for {signal}:\n{err}");
    let status = status.unwrap_or_else(|| panic!("the sender ignored {signal} for 30 s:\n{err}"));
    assert!(status.success(), "the sender did not stop cleanly on {signal} ({status}):\n{err}");
    drop(listener);
}

/// Number of distinct RGB colours in a PNG (text antialiasing alone gives dozens).
pub fn distinct_colours(png_bytes: &[u8]) -> usize {
    let mut dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().expect("screenshot is a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let step = info.color_type.samples();
    let set: std::collections::BTreeSet<[u8; 3]> =
        buf[..info.buffer_size()].chunks_exact(step).map(|px| [px[0], px[1], px[2]]).collect();
    set.len()
}

/// Whether process `pid` has a handler installed for signal `signum` (/proc/PID/status SigCgt).
fn catches_signal(pid: u32, signum: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return false };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (signum - 1)) != 0)
}
