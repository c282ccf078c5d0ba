//! Packaging: the Debian package built by cargo-deb from the debug binary.
//!
//! - the control data (dependencies, conffiles, maintainer scripts) and the file list;
//! - the package extracted into a throwaway root: the binary, the shipped templates and the
//!   shipped configuration work from there;
//! - `dpkg -i` on this machine (serialised with a file lock, purged afterwards): the service
//!   user and directories, the config permissions, the installed binary running as that user
//!   (forms check, outbox, headless demo, the kiosk window under cage, the sender unit's
//!   command stopped by its KillSignal), `systemd-analyze verify` of the units, conffiles
//!   surviving a reinstall, and `dpkg --purge` leaving nothing behind.
//!
//! Needs `cargo-deb`, `dpkg-deb`, `systemd-analyze`, `cage`, `xwayland`, `grim` and the
//! package's dependencies: `bash tests/stack.sh install` installs them.

use crate::support::packaging_support as support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use madoguchi::config::Config;
use support::{Installed, assets_named, control_field, deb, run, run_ok};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn control_declares_dependencies_conffiles_and_scripts() {
    let deb = deb();
    assert_eq!(control_field(deb, "Package"), "madoguchi");
    assert!(control_field(deb, "Version").starts_with(VERSION), "version follows Cargo.toml");
    let depends = control_field(deb, "Depends");
    // The Wayland libraries are loaded with dlopen, so $auto cannot see them; without
    // libwayland-egl1 the kiosk window panics at start.
    for d in [
        "pcscd",
        "libpcsclite1",
        "libccid",
        "adduser",
        "fonts-ipaexfont-gothic",
        "fonts-ipaexfont-mincho",
        "libwayland-client0",
        "libwayland-egl1",
        "libxkbcommon0",
        // The kiosk unit runs under cage in a logind session (pam_systemd): without them,
        // an install with --no-install-recommends would never show the kiosk.
        "cage",
        "xwayland",
        "libpam-systemd",
    ] {
        assert!(depends.split(',').any(|x| x.trim().starts_with(d)), "Depends lacks {d}: {depends}");
    }
    // cargo-deb's $auto: the shared libraries the binary links (libc, fontconfig, …).
    assert!(depends.contains("libc6"), "shlibs not computed: {depends}");
    let recommends = control_field(deb, "Recommends");
    for r in ["poppler-utils", "cups-client", "fonts-noto-cjk"] {
        assert!(recommends.contains(r), "Recommends lacks {r}: {recommends}");
    }

    let control = tempfile::tempdir().expect("tempdir");
    run_ok("dpkg-deb", &["-e", deb.to_str().expect("utf-8 path"), control.path().to_str().expect("utf-8")]);
    let conffiles: BTreeSet<String> = fs::read_to_string(control.path().join("conffiles"))
        .expect("conffiles in the control archive")
        .lines()
        .map(str::to_string)
        .collect();
    let mut expected: BTreeSet<String> =
        ["/etc/madoguchi/madoguchi.toml", "/etc/madoguchi/procedures.toml", "/etc/pam.d/madoguchi-kiosk"]
            .into_iter()
            .map(String::from)
            .collect();
    for t in assets_named("assets/templates", "toml") {
        expected.insert(format!("/etc/madoguchi/templates/{t}"));
    }
    assert_eq!(conffiles, expected, "every file under /etc is a conffile, nothing else is");
    for script in ["postinst", "prerm", "postrm"] {
        let p = control.path().join(script);
        let mode = fs::metadata(&p).unwrap_or_else(|e| panic!("{script} missing: {e}")).permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{script} is executable");
        // The scripts are POSIX sh: a syntax error would only show up on a customer's machine.
        run_ok("sh", &["-n", p.to_str().expect("utf-8")]);
    }
}

#[test]
fn contents_list_every_shipped_file() {
    let listing = run_ok("dpkg-deb", &["--contents", deb().to_str().expect("utf-8 path")]);
    let files: BTreeSet<&str> = listing.lines().filter_map(|l| l.split_whitespace().nth(5)).collect();
    let has = |p: &str| files.contains(format!("./{p}").as_str());
    let mut expected = vec![
        "usr/bin/madoguchi".to_string(),
        "etc/madoguchi/madoguchi.toml".into(),
        "etc/madoguchi/procedures.toml".into(),
        "usr/share/madoguchi/procedures/procedures.toml".into(),
        "usr/share/madoguchi/schema/template.schema.json".into(),
        "usr/lib/systemd/system/madoguchi-kiosk.service".into(),
        "usr/lib/systemd/system/madoguchi-sender.service".into(),
        "etc/pam.d/madoguchi-kiosk".into(),
        "usr/share/polkit-1/rules.d/50-madoguchi-pcsc.rules".into(),
        "usr/share/doc/madoguchi/copyright".into(),
        "usr/share/doc/madoguchi/kiosk.example.toml".into(),
        "usr/share/doc/madoguchi/openapi.yaml".into(),
        "usr/share/doc/madoguchi/README.md".into(),
    ];
    for t in assets_named("assets/templates", "toml") {
        expected.push(format!("etc/madoguchi/templates/{t}"));
        expected.push(format!("usr/share/madoguchi/templates/{t}"));
    }
    for p in assets_named("assets/personas", "toml") {
        expected.push(format!("usr/share/madoguchi/personas/{p}"));
    }
    for d in assets_named("packaging/docs", "md") {
        expected.push(format!("usr/share/doc/madoguchi/{d}"));
    }
    for f in ["index.html", "page.css", "qr.js", "payload.js", "validate.js", "page.js"] {
        expected.push(format!("usr/share/madoguchi/preinput/{f}"));
    }
    let missing: Vec<&String> = expected.iter().filter(|p| !has(p)).collect();
    assert!(missing.is_empty(), "not in the package: {missing:?}\n{listing}");
    let bin = listing.lines().find(|l| l.ends_with("./usr/bin/madoguchi")).expect("binary line");
    assert!(bin.starts_with("-rwxr-xr-x root/root") || bin.starts_with("-rwxr-xr-x 0/0"), "binary mode/owner: {bin}");
    // Nothing of the build tree or of the developer's machine leaks into the package.
    assert!(!listing.contains("target/") && !listing.contains("/work/"), "stray paths:\n{listing}");
}

#[test]
fn extracted_package_runs_from_its_own_files() {
    let root = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    run_ok("dpkg-deb", &["-x", deb().to_str().expect("utf-8"), r.to_str().expect("utf-8")]);
    let bin = r.join("usr/bin/madoguchi");
    let bin = bin.to_str().expect("utf-8");
    let v = run_ok(bin, &["--version"]);
    assert_eq!(v.trim(), format!("madoguchi {VERSION}"));
    // The shipped templates, with procedures.toml found next to them as on a counter PC.
    let templates = r.join("etc/madoguchi/templates");
    run_ok(bin, &["forms", "check", templates.to_str().expect("utf-8")]);
    let pristine = r.join("usr/share/madoguchi/templates");
    let procedures = r.join("usr/share/madoguchi/procedures/procedures.toml");
    run_ok(
        bin,
        &["forms", "check", pristine.to_str().expect("utf-8"), "--procedures", procedures.to_str().expect("utf-8")],
    );
    // The shipped pre-input page is the one the shipped binary makes from the shipped
    // templates: an administrator who edits a template and rebuilds gets the same page.
    let rebuilt = root.path().join("rebuilt-page");
    run_ok(
        bin,
        &[
            "preinput",
            "build",
            "--templates",
            pristine.to_str().expect("utf-8"),
            "--procedures",
            procedures.to_str().expect("utf-8"),
            "--out",
            rebuilt.to_str().expect("utf-8"),
        ],
    );
    for f in ["index.html", "page.js", "qr.js"] {
        let shipped = fs::read(r.join("usr/share/madoguchi/preinput").join(f)).expect("shipped page file");
        assert!(shipped == fs::read(rebuilt.join(f)).expect("rebuilt page file"), "{f} differs from a rebuild");
    }

    // The shipped configuration parses and validates once its absolute paths point into the root.
    let conf = r.join("etc/madoguchi/madoguchi.toml");
    let text = fs::read_to_string(&conf).expect("shipped config");
    let mut cfg = Config::parse(&text, &conf).expect("shipped config is valid TOML with known keys");
    assert!(!cfg.demo, "the package must not ship in demo mode");
    let under = |p: &Path| r.join(p.strip_prefix("/").expect("absolute path in shipped config"));
    cfg.paths.templates_dir = under(&cfg.paths.templates_dir);
    cfg.paths.procedures_dir = under(&cfg.paths.procedures_dir);
    assert!(cfg.paths.procedures_dir.join("procedures.toml").is_file(), "procedures.toml where the config says");
    let problems: Vec<String> = cfg.validate().iter().map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "shipped config has problems: {problems:?}");

    // Everything the services write is inside the units' ReadWritePaths.
    let writable: Vec<String> = ["madoguchi-kiosk.service", "madoguchi-sender.service"]
        .iter()
        .map(|u| unit_read_write_paths(&r.join("usr/lib/systemd/system").join(u)))
        .collect();
    let out = &cfg.output;
    for p in [&out.outbox.db_path, &out.outbox.key_path, &out.export.spool_dir] {
        for (unit, rw) in ["kiosk", "sender"].iter().zip(&writable) {
            assert!(
                rw.split_whitespace().any(|d| p.starts_with(d)),
                "{} not writable by the {unit} unit ({rw})",
                p.display()
            );
        }
    }
    // Hardening does not regress: systemd's exposure score (0 = locked down, 10 = none) of the
    // shipped units stays at today's level. The kiosk needs the GPU, input devices and its
    // logind session, so it is allowed more.
    for (unit, max) in [("madoguchi-sender.service", "20"), ("madoguchi-kiosk.service", "35")] {
        let path = r.join("usr/lib/systemd/system").join(unit);
        let path = path.to_str().expect("utf-8");
        let o = run("systemd-analyze", &["security", "--offline=yes", &format!("--threshold={max}"), path]);
        assert!(o.status.success(), "{unit} exposure above {max}/100:\n{}", String::from_utf8_lossy(&o.stdout));
    }

    // Not overridden: the session files follow $TMPDIR, which the kiosk unit points into
    // one of its RuntimeDirectory= (tmpfs under /run, removed when the service stops).
    assert_eq!(cfg.paths.work_dir, Config::default().paths.work_dir, "work_dir left to the temp dir");
    let kiosk = fs::read_to_string(r.join("usr/lib/systemd/system/madoguchi-kiosk.service")).expect("unit");
    let runtime: Vec<&str> =
        kiosk.lines().filter_map(|l| l.strip_prefix("RuntimeDirectory=")).flat_map(str::split_whitespace).collect();
    let tmpdir = kiosk
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .flat_map(str::split_whitespace)
        .find_map(|kv| kv.strip_prefix("TMPDIR="))
        .expect("the kiosk unit sets TMPDIR");
    assert!(
        runtime.iter().any(|d| Path::new(tmpdir) == Path::new("/run").join(d)),
        "TMPDIR={tmpdir} is not one of the unit's RuntimeDirectory= {runtime:?}"
    );
}

/// A throwaway pickup account, removed again (also when an assertion fails).
struct PickupUser(&'static str);

impl Drop for PickupUser {
    fn drop(&mut self) {
        let _ = run("userdel", &[self.0]);
    }
}

fn pickup_account_reads_exports_not_secrets(uid: u32, gid: u32) {
    let rpa = PickupUser("madoguchi-rpa-test");
    let _ = run("userdel", &[rpa.0]);
    run_ok(
        "useradd",
        &["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "-G", "madoguchi-export", rpa.0],
    );
    // A file as the services write it: by the service user, under the units' UMask=0027.
    let (u, g) = (uid.to_string(), gid.to_string());
    run_ok(
        "setpriv",
        &[
            "--reuid",
            &u,
            "--regid",
            &g,
            "--init-groups",
            "--",
            "sh",
            "-c",
            "umask 0027 && printf '{}' > /var/spool/madoguchi/K01-20261122-0001-juminhyo.json",
        ],
    );
    let f = Path::new("/var/spool/madoguchi/K01-20261122-0001-juminhyo.json");
    assert!(f.is_file(), "the service user can write the spool");
    let as_rpa = |cmd: &str| run("runuser", &["-u", rpa.0, "--", "sh", "-c", cmd]);
    let read = as_rpa("cat /var/spool/madoguchi/K01-20261122-0001-juminhyo.json");
    assert!(read.status.success(), "pickup cannot read the export: {}", String::from_utf8_lossy(&read.stderr));
    let del = as_rpa("rm /var/spool/madoguchi/K01-20261122-0001-juminhyo.json");
    assert!(del.status.success(), "pickup cannot delete the export: {}", String::from_utf8_lossy(&del.stderr));
    assert!(!f.exists());
    for secret in ["/etc/madoguchi/madoguchi.toml", "/var/lib/madoguchi/outbox.key"] {
        let o = as_rpa(&format!("cat {secret}"));
        assert!(!o.status.success(), "the pickup account can read {secret}");
    }
}

fn unit_read_write_paths(unit: &Path) -> String {
    let text = fs::read_to_string(unit).expect("unit file");
    text.lines().filter_map(|l| l.strip_prefix("ReadWritePaths=")).collect::<Vec<_>>().join(" ")
}

#[test]
fn installs_runs_as_service_user_and_purges_cleanly() {
    let installed = Installed::install(deb());

    // The service user and its directories.
    let pw = run_ok("getent", &["passwd", "madoguchi"]);
    let f: Vec<&str> = pw.trim().split(':').collect();
    assert_eq!(f.len(), 7, "passwd line: {pw}");
    let uid: u32 = f[2].parse().expect("uid");
    assert!(uid < 1000, "a system user (uid {uid})");
    assert_eq!(f[5], "/var/lib/madoguchi");
    assert_eq!(f[6], "/usr/sbin/nologin");
    let gid: u32 = f[3].parse().expect("gid");
    let export_gid: u32 = run_ok("getent", &["group", "madoguchi-export"])
        .trim()
        .split(':')
        .nth(2)
        .and_then(|g| g.parse().ok())
        .expect("group madoguchi-export");
    assert_ne!(export_gid, gid, "the pickup group is not the service group");
    for (dir, mode, group) in [("/var/lib/madoguchi", 0o700, gid), ("/var/spool/madoguchi", 0o2770, export_gid)] {
        let m = fs::metadata(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(m.permissions().mode() & 0o7777, mode, "{dir} mode");
        assert_eq!(m.uid(), uid, "{dir} owner");
        assert_eq!(m.gid(), group, "{dir} group");
    }
    let conf = fs::metadata("/etc/madoguchi/madoguchi.toml").expect("config installed");
    assert_eq!(conf.permissions().mode() & 0o777, 0o640, "config readable by the service group only");
    assert_eq!(conf.uid(), 0);
    assert_eq!(conf.gid(), gid);
    let members = run_ok("getent", &["group", "madoguchi"]);
    assert!(members.trim().ends_with(':'), "group madoguchi has no members but the service user: {members}");

    // Root running an outbox command before the service ever ran: refused, nothing created
    // (root-owned database or key files would lock the service out).
    let o = run("/usr/bin/madoguchi", &["outbox", "status", "--config", "/etc/madoguchi/madoguchi.toml"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("sudo -u madoguchi"), "outbox status as root: {err}");
    let left: Vec<_> =
        fs::read_dir("/var/lib/madoguchi").expect("state dir").flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "root created {left:?} in the state dir");

    // The installed binary, as the service user, from the installed files only.
    let v = run_ok("/usr/bin/madoguchi", &["--version"]);
    assert_eq!(v.trim(), format!("madoguchi {VERSION}"));
    let as_user = |args: &[&str]| {
        let mut a = vec!["-u", "madoguchi", "--", "/usr/bin/madoguchi"];
        a.extend_from_slice(args);
        run("runuser", &a)
    };
    let as_user_tmp = |args: &[&str], tmp: &Path| {
        let mut a = vec!["-u", "madoguchi", "--", "/usr/bin/madoguchi"];
        a.extend_from_slice(args);
        std::process::Command::new("runuser")
            .args(&a)
            .env("TMPDIR", tmp)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("runuser")
    };
    let check = as_user(&["forms", "check", "/etc/madoguchi/templates"]);
    assert!(check.status.success(), "forms check as madoguchi: {}", String::from_utf8_lossy(&check.stderr));
    let status = as_user(&["outbox", "status", "--config", "/etc/madoguchi/madoguchi.toml"]);
    assert!(status.status.success(), "outbox status: {}", String::from_utf8_lossy(&status.stderr));
    let key = fs::metadata("/var/lib/madoguchi/outbox.key").expect("outbox key created in the state dir");
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    assert_eq!(key.uid(), uid);

    // The pickup account (RPA): in group madoguchi-export only. It reads and deletes what the
    // service exported, and reads none of the secrets.
    pickup_account_reads_exports_not_secrets(uid, gid);

    // "Start the kiosk in demo mode from the installed files": the installed configuration
    // (validated, including its directories) plus --demo, walked headless.
    let out = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::chown(out.path(), Some(uid), Some(gid)).expect("chown out dir");
    let o = out.path().to_str().expect("utf-8");
    // TMPDIR stands in for the unit's PrivateTmp (session files go to $TMPDIR/madoguchi-sessions).
    let demo = as_user_tmp(
        &["kiosk", "--config", "/etc/madoguchi/madoguchi.toml", "--demo", "--headless", "--out", o],
        out.path(),
    );
    assert!(demo.status.success(), "headless demo: {}", String::from_utf8_lossy(&demo.stderr));
    for shot in ["01-start.png", "03-card.png", "05-review.png", "07-confirm.png"] {
        let p = out.path().join(shot);
        let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{shot}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG"), "{shot} is a PNG");
    }
    let pdfs: Vec<_> = fs::read_dir(out.path())
        .expect("out dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    assert!(!pdfs.is_empty(), "the demo wrote the filled forms");
    let text = run_ok("pdftotext", &[pdfs[0].to_str().expect("utf-8"), "-"]);
    assert!(text.contains("住民票"), "the filled form is the 住民票 request: {text}");

    // The default kiosk session for real: cage (wlroots' headless backend with the pixman
    // renderer stands in for the GPU and the tty) running the installed binary with the
    // installed configuration, as the service user; grim takes a screenshot of the output.
    let shot = support::kiosk_under_cage(uid, gid);
    let colours = support::distinct_colours(&shot);
    assert!(colours > 50, "the kiosk drew its start screen under cage ({colours} colours; a blank screen has 1)");

    // The units as installed: systemd's own checker, and every program they start exists.
    let units = ["/usr/lib/systemd/system/madoguchi-kiosk.service", "/usr/lib/systemd/system/madoguchi-sender.service"];
    let verify = run("systemd-analyze", &["verify", units[0], units[1]]);
    let err = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success() && !err.contains("madoguchi-"), "systemd-analyze verify:\n{err}");
    for u in units {
        let text = fs::read_to_string(u).expect("unit");
        let exec = text.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("ExecStart");
        for prog in exec.split_whitespace().filter(|w| w.starts_with('/') && w.starts_with("/usr/bin/")) {
            let m = fs::metadata(prog).unwrap_or_else(|e| panic!("{u} starts {prog}: {e}"));
            assert!(m.permissions().mode() & 0o111 != 0, "{prog} executable");
        }
    }

    // The sender unit's command, as the service user, with the installed config plus a
    // back office: it keeps running, and the unit's KillSignal stops it cleanly (exit 0).
    support::sender_stops_on_kill_signal(units[1], uid, gid);

    // An administrator's edits to conffiles survive a reinstall/upgrade.
    let edited = fs::read_to_string("/etc/madoguchi/madoguchi.toml")
        .expect("config")
        .replace("municipality = \"見本市\"", "municipality = \"試験町\"");
    assert!(edited.contains("試験町"), "the shipped config names the municipality");
    fs::write("/etc/madoguchi/madoguchi.toml", &edited).expect("edit config");
    installed.reinstall();
    let after = fs::read_to_string("/etc/madoguchi/madoguchi.toml").expect("config");
    assert!(after.contains("試験町"), "edited conffile kept on reinstall");
    let conf = fs::metadata("/etc/madoguchi/madoguchi.toml").expect("config");
    assert_eq!(conf.permissions().mode() & 0o777, 0o640, "statoverride kept on reinstall");

    // Purge removes everything postinst created.
    installed.purge_and_check();
}
