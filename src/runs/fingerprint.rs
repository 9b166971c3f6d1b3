//! Which data a run was trained on: the file, its row count and a hash of its
//! bytes, so two runs compare only when their data really matched.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::skip::SkippedLines;
use crate::data::Dataset;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub file: PathBuf,
    /// Rows of the loaded table.
    pub rows: usize,
    /// First 16 bytes of the SHA-256 of the file's bytes, in hex (empty when
    /// the file could not be read again).
    pub hash: String,
    /// Malformed lines the load left out (when asked to skip them).
    #[serde(default, skip_serializing_if = "SkippedLines::is_empty")]
    pub skipped_lines: SkippedLines,
}

impl DataFingerprint {
    /// What stands in for a file when a run used none (a race on typed rates).
    pub fn none(what: &str) -> Self {
        Self {
            file: what.into(),
            ..Default::default()
        }
    }

    /// A run on no file: nothing to compare with the loaded data.
    pub fn is_none(&self) -> bool {
        self.rows == 0 && self.hash.is_empty() && !self.file.exists()
    }

    /// Whether `other` is the same data: the same rows and, where both
    /// hashes are known, the same bytes; else the same file.
    pub fn same_data(&self, other: &DataFingerprint) -> bool {
        if self.rows != other.rows {
            return false;
        }
        if !self.hash.is_empty() && !other.hash.is_empty() {
            return self.hash == other.hash;
        }
        self.file == other.file
            || std::fs::canonicalize(&self.file).ok() == std::fs::canonicalize(&other.file).ok()
    }

    /// Short form for tables: `events.csv · 1a2b3c4d`.
    pub fn short(&self) -> String {
        format!(
            "{} · {}",
            crate::display::display_name(&self.file),
            self.hash.get(..8).unwrap_or("?")
        )
    }
}

type CacheKey = (PathBuf, u64, Option<SystemTime>);

/// Hashes already computed this session: a sweep hashes its file once.
fn cache() -> &'static Mutex<HashMap<CacheKey, String>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, String>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The fingerprint of a loaded dataset. Reads the file once more (run this on a
/// worker); an unreadable file gives an empty hash rather than an error, since
/// the data is already loaded and the run can still go ahead.
pub fn fingerprint(ds: &Dataset) -> DataFingerprint {
    DataFingerprint {
        file: ds.path.clone(),
        rows: ds.df.height(),
        hash: file_hash(&ds.path).unwrap_or_default(),
        skipped_lines: ds.skipped.clone(),
    }
}

/// The fingerprint without reading the file: the hash only when this session
/// already computed it (cheap enough for the UI thread).
pub fn known_fingerprint(ds: &Dataset) -> DataFingerprint {
    let hash = std::fs::metadata(&ds.path)
        .ok()
        .and_then(|meta| {
            let key = (ds.path.clone(), meta.len(), meta.modified().ok());
            cache().lock().ok().and_then(|c| c.get(&key).cloned())
        })
        .unwrap_or_default();
    DataFingerprint {
        file: ds.path.clone(),
        rows: ds.df.height(),
        hash,
        skipped_lines: ds.skipped.clone(),
    }
}

/// SHA-256 of a file's bytes (first 16 bytes, hex), cached by path, size and
/// modification time.
pub fn file_hash(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    if let Some(hash) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hash);
    }
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let hash = hex(&hasher.finalize()[..16]);
    if let Ok(mut c) = cache().lock() {
        c.insert(key, hash.clone());
    }
    Ok(hash)
}

pub use crate::display::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, b"abc").unwrap();
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 …
        assert_eq!(file_hash(&p).unwrap(), "ba7816bf8f01cfea414140de5dae2223");
    }
}
