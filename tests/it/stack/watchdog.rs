//! The test stack's watchdog (`tests/stack.sh watch`): a daemon that dies while the tests
//! run is named with its log, instead of showing up later as unrelated failures.
//! This breaks a real cupsd on purpose: a private instance (own port, own directories, so
//! the stack's cupsd is untouched) killed with SIGSEGV, as the Debian 12 cupsd crashed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stack_sh() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stack.sh")
}

/// A cupsd that shares nothing with the stack's: its own config, spool, state and port.
fn private_cupsd(root: &Path, run: &Path) -> Killed {
    for d in ["etc", "spool", "cache", "state", "tmp", "log"] {
        std::fs::create_dir_all(root.join(d)).expect("cupsd dirs");
    }
    let r = root.display();
    let files = format!(
        "ServerRoot {r}/etc\nRequestRoot {r}/spool\nCacheDir {r}/cache\nStateDir {r}/state\nTempDir {r}/tmp\n\
         ErrorLog {r}/log/error_log\nAccessLog {r}/log/access_log\nPageLog {r}/log/page_log\n"
    );
    let port = 21000 + (std::process::id() % 20000) as u16;
    std::fs::write(root.join("files.conf"), files).expect("cups-files.conf");
    std::fs::write(root.join("cupsd.conf"), format!("Listen 127.0.0.1:{port}\nBrowsing No\nWebInterface No\n"))
        .expect("cupsd.conf");
    let log = std::fs::File::create(run.join("cupsd.log")).expect("cupsd.log");
    let child = Command::new("cupsd")
        .arg("-f")
        .arg("-c")
        .arg(root.join("cupsd.conf"))
        .arg("-s")
        .arg(root.join("files.conf"))
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("cupsd (cups-daemon) is installed: bash tests/stack.sh install");
    let cupsd = Killed(child);
    let t = Instant::now();
    let server = format!("127.0.0.1:{port}");
    while !Command::new("lpstat").args(["-h", &server, "-r"]).output().is_ok_and(|o| o.status.success()) {
        assert!(t.elapsed() < Duration::from_secs(10), "the private cupsd did not start; see {}", run.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(run.join("cupsd.pid"), cupsd.0.id().to_string()).expect("pid file");
    cupsd
}

fn deaths(run: &Path) -> (bool, String) {
    let out = Command::new("bash")
        .arg(stack_sh())
        .arg("deaths")
        .env("MADOGUCHI_STACK_DIR", run)
        .output()
        .expect("bash tests/stack.sh deaths");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_cupsd_that_dies_during_the_tests_is_named_with_its_log() {
    let root = tempfile::tempdir().expect("tempdir");
    let run = root.path().join("run");
    std::fs::create_dir_all(&run).expect("run dir");
    let cupsd = private_cupsd(&root.path().join("cups"), &run);
    // A pid file the stack did not write (another checkout's browser driver, say) names a
    // process that is gone: not this run's daemon, so not a death of this run.
    let mut gone = Command::new("true").spawn().expect("true");
    gone.wait().expect("true exits");
    std::fs::write(run.join("stranger.pid"), gone.id().to_string()).expect("stranger pid");

    let mut watch = Command::new("bash")
        .arg(stack_sh())
        .arg("watch")
        .env("MADOGUCHI_STACK_DIR", &run)
        .env("MADOGUCHI_STACK_RESTART", "0")
        .env("MADOGUCHI_STACK_WATCH_INTERVAL", "0.1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash tests/stack.sh watch");
    let stderr = watch.stderr.take().expect("watch stderr");
    let watch = Killed(watch);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    // Alive: nothing is reported.
    std::thread::sleep(Duration::from_millis(600));
    assert!(lines.try_recv().is_err(), "the watchdog reported a death while cupsd was running (or a stranger's)");
    assert!(deaths(&run).0, "`deaths` with no death must succeed");

    // Break it the way the Debian cupsd broke (a segfault).
    let status = Command::new("kill").args(["-SEGV", &cupsd.0.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let line = lines.recv_timeout(Duration::from_secs(10)).expect("the watchdog names the dead daemon within 10 s");
    assert!(line.contains("cupsd died during the tests"), "{line}");
    assert!(line.contains("テスト中に cupsd が停止しました"), "{line}");
    let kept = line.split_whitespace().find(|w| w.contains("cupsd.died-")).expect("the message points at the log");
    assert!(Path::new(kept.trim_end_matches(';')).is_file(), "the log it points at exists: {line}");

    // And at the end of the run it is said again, with a failing exit code.
    let (ok, said) = deaths(&run);
    assert!(!ok, "`deaths` fails after a death");
    assert!(said.contains("cupsd died during the tests"), "{said}");
    drop(watch);
}
