//! Encryption at rest for outbox payloads: XChaCha20-Poly1305 with a random 192-bit nonce
//! per record (random nonces are safe at this size), the row's idempotency key as
//! associated data so a ciphertext cannot be moved to another row.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore as _};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("outbox key file {path}: {source} / 鍵ファイルを読み書きできません")]
    Io { path: String, source: io::Error },
    #[error(
        "outbox key file {path} must be exactly 32 bytes (found {len}); restore it from backup / 鍵ファイルが壊れています"
    )]
    BadLength { path: String, len: usize },
    #[error(
        "outbox key file {path} is readable by others (mode {mode:o}); run chmod 600 / 鍵ファイルの権限が広すぎます"
    )]
    TooOpen { path: String, mode: u32 },
}

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("outbox record cannot be decrypted (wrong key file or corrupted database) / 暗号化データを復号できません")]
pub struct OpenError;

impl Sealer {
    /// Load the key file, creating it (mode 0600, parent dirs as needed) when missing.
    pub fn load_or_create(path: &Path) -> Result<Sealer, KeyError> {
        let err = |source| KeyError::Io { path: path.display().to_string(), source };
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        match fs::File::open(path) {
            Ok(mut f) => {
                let mode = f.metadata().map_err(err)?.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(KeyError::TooOpen { path: path.display().to_string(), mode });
                }
                let mut buf = Zeroizing::new(Vec::new());
                f.read_to_end(&mut buf).map_err(err)?;
                if buf.len() != KEY_LEN {
                    return Err(KeyError::BadLength { path: path.display().to_string(), len: buf.len() });
                }
                key.copy_from_slice(&buf);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                fs::create_dir_all(dir).map_err(err)?;
                OsRng.fill_bytes(key.as_mut());
                // Written whole and synced under a temp name, then linked into place: another
                // process (or a restart after a crash) never sees a short key file. `link`
                // fails if the name exists: then another process won and its key is used.
                let mut r = [0u8; 8];
                OsRng.fill_bytes(&mut r);
                let tmp =
                    dir.join(format!(".outbox-key.{}.tmp", r.iter().map(|b| format!("{b:02x}")).collect::<String>()));
                let written = (|| {
                    let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
                    f.write_all(key.as_ref())?;
                    f.sync_all()?;
                    fs::hard_link(&tmp, path)
                })();
                let _ = fs::remove_file(&tmp);
                match written {
                    Ok(()) => fs::File::open(dir).and_then(|d| d.sync_all()).map_err(err)?,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Sealer::load_or_create(path),
                    Err(e) => return Err(err(e)),
                }
            }
            Err(e) => return Err(err(e)),
        }
        Ok(Sealer { cipher: XChaCha20Poly1305::new(key.as_ref().into()) })
    }

    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        // Encryption only fails for inputs beyond 256 GiB.
        let ct = self.cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad }).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_0600_and_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("sub/k.key");
        let s = Sealer::load_or_create(&p).expect("create");
        let mode = fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let sealed = s.seal(b"secret", b"k1");
        let s2 = Sealer::load_or_create(&p).expect("reload");
        assert_eq!(s2.open(&sealed, b"k1").expect("open").as_slice(), b"secret");
        assert!(s2.open(&sealed, b"k2").is_err(), "aad binds the row");
    }

    #[test]
    fn racing_creators_all_get_the_one_complete_key() {
        // Before the key was linked into place whole, a second process could open the file
        // between its creation and the write, read 0 bytes and fail with BadLength.
        for round in 0..40 {
            let dir = tempfile::tempdir().expect("tempdir");
            let p = dir.path().join("k.key");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let (p, b) = (p.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        b.wait();
                        Sealer::load_or_create(&p).map(|s| s.seal(b"x", b"a"))
                    })
                })
                .collect();
            let sealed: Vec<Vec<u8>> = threads
                .into_iter()
                .map(|t| t.join().expect("thread").unwrap_or_else(|e| panic!("round {round}: {e}")))
                .collect();
            let s = Sealer::load_or_create(&p).expect("reload");
            for c in &sealed {
                assert!(s.open(c, b"a").is_ok(), "round {round}: every thread used the same key");
            }
            let names: Vec<_> = fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
            assert_eq!(names.len(), 1, "no temp files left: {names:?}");
        }
    }

    #[test]
    fn world_readable_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("k.key");
        fs::write(&p, [7u8; 32]).expect("write");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(Sealer::load_or_create(&p), Err(KeyError::TooOpen { .. })));
    }
}
