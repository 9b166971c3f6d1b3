//! Exports shared by every screen: atomic file writes, CSV tables, and
//! pseudonymised customer ids for files shared outside the company.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Replaces customer ids by `c_` + 16 hex digits of HMAC-SHA256(salt, id).
/// The same salt gives the same pseudonym for the same customer (so exports
/// can be joined with each other); without the salt the ids cannot be
/// recovered by hashing candidate ids.
#[derive(Clone)]
pub struct Pseudonymizer {
    inner: Sha256,
    outer: Sha256,
}

impl Pseudonymizer {
    pub fn new(salt: &str) -> Self {
        // HMAC (RFC 2104) with a 64-byte block.
        let mut key = [0u8; 64];
        if salt.len() > 64 {
            key[..32].copy_from_slice(&Sha256::digest(salt.as_bytes()));
        } else {
            key[..salt.len()].copy_from_slice(salt.as_bytes());
        }
        let mut inner = Sha256::new();
        inner.update(key.map(|b| b ^ 0x36));
        let mut outer = Sha256::new();
        outer.update(key.map(|b| b ^ 0x5c));
        Self { inner, outer }
    }

    pub fn pseudonym(&self, id: &str) -> String {
        let mut inner = self.inner.clone();
        inner.update(id.as_bytes());
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        format!("c_{}", crate::display::hex(&outer.finalize()[..8]))
    }
}

/// A fresh random salt (32 hex digits).
pub fn new_salt() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    crate::display::hex(&bytes)
}

/// Write `bytes` to `path` through a temporary file in the same folder and a
/// rename, so a failed write never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let err = |e: std::io::Error| format!("{}: cannot write ({e})", path.display());
    let tmp = partial_path(path);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.partial"))
}

/// Quote a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A table as CSV text: header row, then rows.
pub fn csv_text(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in std::iter::once(headers).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Write a table to CSV atomically; returns the number of data rows.
pub fn write_csv(path: &Path, headers: &[String], rows: &[Vec<String>]) -> Result<usize, String> {
    write_atomic(path, csv_text(headers, rows).as_bytes())?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        // → 5bdcc146bf60754e6a042426089575c7…
        let p = Pseudonymizer::new("Jefe");
        assert_eq!(
            p.pseudonym("what do ya want for nothing?"),
            "c_5bdcc146bf60754e"
        );
        assert_eq!(
            p.pseudonym("42"),
            Pseudonymizer::new("Jefe").pseudonym("42")
        );
        assert_ne!(
            p.pseudonym("42"),
            Pseudonymizer::new("other").pseudonym("42")
        );
        assert_ne!(new_salt(), new_salt());
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let text = csv_text(
            &["a".into(), "b".into()],
            &[vec!["x,y".into(), "say \"hi\"".into()]],
        );
        assert_eq!(text, "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        assert_eq!(
            write_csv(&p, &["a".into()], &[vec!["1".into()]]).unwrap(),
            1
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a\n1\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
