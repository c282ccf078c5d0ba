//! A really full disk: a 1 MiB tmpfs mounted for the test (needs root with CAP_SYS_ADMIN,
//! as the test stack already has). The outbox and the export spool must report it as a
//! typed error and keep everything they already acknowledged.

use crate::support::output_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use madoguchi::output::export::{ExportError, export_submission};
use madoguchi::output::outbox::{Outbox, OutboxError};
use madoguchi::output::{CsvEncoding, ExportConfig};
use output_support::{outbox_config, submission};

struct TinyFs(PathBuf);

impl TinyFs {
    fn mount(dir: &Path) -> TinyFs {
        let st =
            Command::new("mount").args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"]).arg(dir).status().expect("run mount");
        assert!(
            st.success(),
            "cannot mount a 1 MiB tmpfs at {}: this test needs root with CAP_SYS_ADMIN (like tests/stack.sh)",
            dir.display()
        );
        TinyFs(dir.to_path_buf())
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn big(i: usize) -> madoguchi::output::payload::Submission {
    let mut s = submission(i);
    s.pdf = zeroize::Zeroizing::new(vec![b'%'; 48 * 1024]);
    s
}

#[test]
fn full_disk_is_reported_by_outbox_and_export() {
    let base = tempfile::tempdir().expect("tempdir");
    let _fs = TinyFs::mount(base.path());

    let outbox_dir = base.path().join("outbox");
    let outbox = Outbox::open(&outbox_config(&outbox_dir)).expect("open on the small disk");
    let mut acked = 0;
    let err = loop {
        match outbox.enqueue(&big(acked)) {
            Ok(_) => acked += 1,
            Err(e) => break e,
        }
        assert!(acked < 100, "1 MiB cannot hold 100 × 64 KB");
    };
    assert!(matches!(err, OutboxError::DiskFull), "{err:?}");
    assert!(err.to_string().contains("NOT saved"));
    assert!(acked > 0);
    assert_eq!(outbox.status().expect("status").pending, acked as u64, "acknowledged entries survive");
    // And from a fresh process's point of view (reopen), every acknowledged entry is there.
    drop(outbox);
    let reopened = Outbox::open(&outbox_config(&outbox_dir)).expect("reopen");
    assert_eq!(reopened.status().expect("status").pending, acked as u64);
    assert_eq!(reopened.list(1000).expect("list").len(), acked);

    let spool = base.path().join("spool");
    let cfg = ExportConfig {
        enabled: true,
        spool_dir: spool.clone(),
        csv_encoding: CsvEncoding::Utf8,
        include_my_number: true, // with the PDF: big files
        ..ExportConfig::default()
    };
    let mut e = None;
    for i in 0..50 {
        if let Err(x) = export_submission(&cfg, &big(i), chrono::Utc::now()) {
            e = Some(x);
            break;
        }
    }
    let e = e.expect("the disk is full");
    assert!(matches!(e, ExportError::DiskFull { .. }), "{e:?}");
    assert!(e.message_ja().contains("ディスク"));
    // No temp file or partial file left behind.
    for f in std::fs::read_dir(&spool).expect("spool").flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temp file left: {name}");
        let bytes = std::fs::read(f.path()).expect("read");
        if name.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("complete JSON");
        } else {
            assert!(bytes.ends_with(b"\r\n"), "complete CSV");
        }
    }
}

#[test]
fn a_full_export_spool_accepts_nothing_into_the_outbox() {
    use madoguchi::output::{OutputConfig, OutputError, OutputService};
    let base = tempfile::tempdir().expect("tempdir");
    let spool = base.path().join("spool");
    std::fs::create_dir(&spool).expect("spool dir");
    let _fs = TinyFs::mount(&spool);
    // Fill the spool's disk to the last few KiB.
    let mut i = 0;
    for size in [16 * 1024, 4096, 512] {
        while std::fs::write(spool.join(format!("fill{i}")), vec![0u8; size]).is_ok() {
            i += 1;
        }
    }
    let outbox_dir = base.path().join("outbox"); // on the big disk
    let cfg = OutputConfig {
        outbox: outbox_config(&outbox_dir),
        export: ExportConfig { enabled: true, spool_dir: spool.clone(), ..ExportConfig::default() },
        ..OutputConfig::default()
    };
    let svc = OutputService::start(&cfg).expect("start");
    let e = svc.accept(&submission(1)).expect_err("no room for the export");
    assert!(matches!(e, OutputError::Export(ExportError::NoSpace { .. } | ExportError::DiskFull { .. })), "{e:?}");
    assert!(e.message_ja().contains("ディスク"), "{}", e.message_ja());
    assert_eq!(svc.outbox().status().expect("status"), Default::default(), "nothing was accepted");
}
