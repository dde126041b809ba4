//! On-disk cache of what was read from an image, keyed by image id.
//!
//! An image id (`sha256:…`) names immutable content, so what the archive API returned for a
//! path of that image is the same every time. The cache keeps, per archived path ("root"),
//! the metadata files kept by [`super::tarscan`] (or that the path is missing), in a versioned
//! JSON file written atomically (temporary file + rename). A file that cannot be read or
//! parsed, has another version or names another image is ignored (and rewritten by the next
//! read).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tarscan::Collected;
use super::Warning;

/// Version of the file format; part of the folder name and of the file. 2: roots keep the
/// `.pth` files of site folders (a version 1 entry lacks them, so it is not used). 3: the
/// proofs of roots ([`crate::docker::proof`]).
pub const FORMAT_VERSION: u32 = 3;

/// Cache files larger than this are ignored.
const MAX_CACHE_FILE: u64 = 512 * 1024 * 1024;

/// What an image holds at each archived path: `None` when the path does not exist.
pub type Roots = BTreeMap<String, Option<Collected>>;

/// What the engine's path-stat call says of one path (`None` in a [`Proof`]: no such path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathFacts {
    pub mode: u32,
    pub size: i64,
    pub mtime: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
}

/// The paths whose facts, unchanged in a container, show that the container still holds
/// the image's content at one root ([`crate::docker::proof`]), with their facts in the image.
pub type Proof = BTreeMap<String, Option<PathFacts>>;

/// Proofs by root.
pub type Proofs = BTreeMap<String, Proof>;

/// A cache entry: the roots of an image and the proofs of those that have one.
#[derive(Debug, Default, Clone)]
pub struct Cached {
    pub roots: Roots,
    pub proofs: Proofs,
}

/// Why a cache entry could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("encoding the cache entry: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The cache folder: `$PINDRIFT_CACHE_DIR`, else `$XDG_CACHE_HOME/pindrift`, else
/// `~/.cache/pindrift`. `None` when none of these is set.
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("PINDRIFT_CACHE_DIR") {
        return Some(d);
    }
    if let Some(d) = var("XDG_CACHE_HOME").filter(|d| d.is_absolute()) {
        return Some(d.join("pindrift"));
    }
    var("HOME").map(|h| h.join(".cache").join("pindrift"))
}

/// The file for one image: `DIR/inventory/v{FORMAT_VERSION}/sha256-<hex>.json`. `None` for ids that are not
/// `sha256:` plus 64 hex digits (nothing else is content-addressed or safe as a file name).
pub fn entry_path(dir: &Path, image_id: &str) -> Option<PathBuf> {
    let hex = image_id.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(
        dir.join("inventory")
            .join(format!("v{FORMAT_VERSION}"))
            .join(format!("sha256-{}.json", hex.to_ascii_lowercase())),
    )
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    image_id: String,
    roots: BTreeMap<String, Option<RootEntry>>,
    /// Roots without a proof are read whole from containers of the image.
    #[serde(default)]
    proofs: Proofs,
}

#[derive(Serialize, Deserialize)]
struct RootEntry {
    files: BTreeMap<String, Data>,
    warnings: Vec<Warning>,
}

/// File contents: text when it is UTF-8, hex otherwise.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Data {
    Text(String),
    Hex { hex: String },
}

impl Data {
    fn encode(bytes: &[u8]) -> Data {
        match std::str::from_utf8(bytes) {
            Ok(t) => Data::Text(t.to_string()),
            Err(_) => Data::Hex {
                hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            },
        }
    }

    fn decode(self) -> Option<Vec<u8>> {
        match self {
            Data::Text(t) => Some(t.into_bytes()),
            Data::Hex { hex } => {
                if hex.len() % 2 != 0 {
                    return None;
                }
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                    .collect()
            }
        }
    }
}

/// Read the cached roots of an image; `None` when there is no usable entry.
pub fn load(dir: &Path, image_id: &str) -> Option<Roots> {
    load_entry(dir, image_id).map(|c| c.roots)
}

/// Read the cached roots of an image and their proofs; `None` when there is no usable entry.
pub fn load_entry(dir: &Path, image_id: &str) -> Option<Cached> {
    let path = entry_path(dir, image_id)?;
    // Only a regular file: a FIFO (or a device) put there would hang or never end the read.
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_CACHE_FILE {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .ok()?
        .take(MAX_CACHE_FILE + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_CACHE_FILE {
        return None;
    }
    let entry: Entry = serde_json::from_slice(&bytes).ok()?;
    if entry.version != FORMAT_VERSION || entry.image_id != image_id {
        return None;
    }
    let mut roots = Roots::new();
    for (root, r) in entry.roots {
        let c = match r {
            None => None,
            Some(r) => {
                let mut c = Collected::default();
                for (p, d) in r.files {
                    let data = d.decode()?;
                    c.kept_bytes += data.len() as u64;
                    c.files.insert(p, data);
                }
                c.warnings = r.warnings;
                Some(c)
            }
        };
        roots.insert(root, c);
    }
    // A proof only stands next to the content it proves.
    let proofs = entry
        .proofs
        .into_iter()
        .filter(|(root, _)| roots.contains_key(root))
        .collect();
    Some(Cached { roots, proofs })
}

/// Write the cached roots of an image atomically (temporary file in the same folder, then
/// rename), replacing whatever was there.
pub fn store(dir: &Path, image_id: &str, roots: &Roots) -> Result<(), CacheError> {
    store_entry(dir, image_id, roots, &Proofs::new())
}

/// [`store`] with the proofs of some roots.
pub fn store_entry(
    dir: &Path,
    image_id: &str,
    roots: &Roots,
    proofs: &Proofs,
) -> Result<(), CacheError> {
    let Some(path) = entry_path(dir, image_id) else {
        return Ok(());
    };
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |source| CacheError::Io { path: p, source }
    };
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let entry = Entry {
        version: FORMAT_VERSION,
        image_id: image_id.to_string(),
        roots: roots
            .iter()
            .map(|(root, c)| {
                let r = c.as_ref().map(|c| RootEntry {
                    files: c
                        .files
                        .iter()
                        .map(|(p, d)| (p.clone(), Data::encode(d)))
                        .collect(),
                    warnings: c.warnings.clone(),
                });
                (root.clone(), r)
            })
            .collect(),
        proofs: proofs
            .iter()
            .filter(|(root, _)| roots.contains_key(*root))
            .map(|(root, p)| (root.clone(), p.clone()))
            .collect(),
    };
    let json = serde_json::to_vec(&entry)?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io(parent))?;
    tmp.write_all(&json).map_err(io(tmp.path()))?;
    tmp.persist(&path).map_err(|e| CacheError::Io {
        path: path.display().to_string(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "sha256:04dbed942f2f0123456789abcdef0123456789abcdef0123456789abcdef0123";

    #[test]
    fn round_trip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Collected::default();
        c.files
            .insert("/s/a-1.dist-info/METADATA".into(), b"Name: a\n".to_vec());
        c.files
            .insert("/s/b-1.dist-info/METADATA".into(), b"\xff\xfe x".to_vec());
        c.warnings.push(Warning {
            path: "/s/x".into(),
            message: "odd".into(),
        });
        let mut roots = Roots::new();
        roots.insert("/s".into(), Some(c));
        roots.insert("/missing".into(), None);
        store(dir.path(), ID, &roots).unwrap();
        let back = load(dir.path(), ID).unwrap();
        assert_eq!(back.len(), 2);
        assert!(back["/missing"].is_none());
        let s = back["/s"].as_ref().unwrap();
        assert_eq!(s.files["/s/b-1.dist-info/METADATA"], b"\xff\xfe x");
        assert_eq!(s.warnings.len(), 1);
        // Another image id, a bad id, a corrupt file: no entry.
        assert!(load(dir.path(), &ID.replace("04db", "ffff")).is_none());
        assert!(entry_path(dir.path(), "sha256:../../etc").is_none());
        let path = entry_path(dir.path(), ID).unwrap();
        std::fs::write(&path, b"{not json").unwrap();
        assert!(load(dir.path(), ID).is_none());
        store(dir.path(), ID, &roots).unwrap();
        assert!(load(dir.path(), ID).is_some());
        // Every truncation of a whole entry, and garbage: no entry, never a partial one.
        let whole = std::fs::read(&path).unwrap();
        for cut in 0..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert!(load(dir.path(), ID).is_none(), "cut at {cut}");
        }
    }

    /// Issue 14: a FIFO (or a device) where the cache file should be is ignored at once,
    /// not read forever; the next store replaces it with a file.
    #[test]
    fn a_cache_entry_that_is_not_a_regular_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = entry_path(dir.path(), ID).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let d = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(load(&d, ID).is_none());
        });
        let ignored = rx.recv_timeout(std::time::Duration::from_secs(5));
        if ignored.is_err() {
            // Unblock the reader so the test process can end.
            let _ = std::fs::OpenOptions::new().write(true).open(&path);
        }
        assert_eq!(ignored, Ok(true), "a FIFO must not be read");
        let mut roots = Roots::new();
        roots.insert("/missing".into(), None);
        store(dir.path(), ID, &roots).unwrap();
        assert!(load(dir.path(), ID).is_some());
    }
}
