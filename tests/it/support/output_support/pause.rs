//! Running a madoguchi process to one of its test pause points (MADOGUCHI_TEST_PAUSE_AT,
//! see `output::service::test_pause`) and SIGKILLing it there: the kill -9 tests.

use std::io::BufRead as _;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// What a run printed on stderr, and how it ended (`None`: killed at the pause).
pub struct Run {
    pub stderr: Vec<String>,
    pub status: Option<ExitStatus>,
}

/// Run `cmd` with stderr piped; with `pause`, kill it (SIGKILL) as soon as it says it
/// stopped there. Panics when it hangs for `limit`, or ends without reaching the pause.
pub fn run_to(cmd: &mut Command, pause: Option<&str>, limit: Duration) -> Run {
    if let Some(p) = pause {
        cmd.env("MADOGUCHI_TEST_PAUSE_AT", p);
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn madoguchi");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let t = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if pause.is_some_and(|p| line == format!("madoguchi-test-paused {p}")) => {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                return Run { stderr: lines, status: None };
            }
            Ok(line) => lines.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        assert!(t.elapsed() < limit, "madoguchi hung: {lines:?}");
    }
    let st = child.wait().expect("wait");
    assert!(pause.is_none(), "never reached the pause {pause:?}: {st} {lines:?}");
    Run { stderr: lines, status: Some(st) }
}

/// Files in an ippeveprinter spool whose job name ends with `job_suffix` (ippeveprinter
/// writes job names in lower case).
pub fn spooled(spool: &std::path::Path, job_suffix: &str) -> Vec<String> {
    let want = format!("{}.pdf", job_suffix.to_lowercase());
    std::fs::read_dir(spool)
        .expect("ipp spool")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_lowercase())
        .filter(|f| f.ends_with(&want))
        .collect()
}
