//! Reading the interesting files out of a tar stream, in memory, never extracting.
//!
//! The engine's archive API returns a tar of one path. Only package metadata, `pyvenv.cfg`
//! and OS package databases are kept; every other entry's bytes are skipped as they stream
//! by. Entry names are untrusted: absolute names, `..` components and links are never
//! followed, and every kept file is capped in size.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use super::Warning;

/// Cap for one metadata header block, `direct_url.json` or `pyvenv.cfg`.
pub const MAX_SMALL_FILE: u64 = 256 * 1024;
/// Cap for one OS package database file.
pub const MAX_OS_DB: u64 = 64 * 1024 * 1024;
/// Cap for everything kept from one source.
pub const MAX_TOTAL_KEPT: u64 = 256 * 1024 * 1024;

/// What to keep from a path (a container path, absolute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Keep the first bytes only (the header block is all that matters).
    Head(u64),
    /// Keep all of it, or skip with a warning when larger.
    Whole(u64),
}

/// Files worth keeping: core metadata, `direct_url.json`, egg-info, `pyvenv.cfg`, dpkg and apk
/// databases.
pub fn interest(path: &str) -> Option<Interest> {
    let (dir, name) = path.rsplit_once('/')?;
    if dir.ends_with(".dist-info") && name == "METADATA" {
        return Some(Interest::Head(MAX_SMALL_FILE));
    }
    if dir.ends_with(".egg-info") && name == "PKG-INFO" {
        return Some(Interest::Head(MAX_SMALL_FILE));
    }
    if dir.ends_with(".dist-info") && name == "direct_url.json" {
        return Some(Interest::Whole(MAX_SMALL_FILE));
    }
    if name.ends_with(".egg-info") {
        return Some(Interest::Head(MAX_SMALL_FILE));
    }
    if name == "pyvenv.cfg" {
        return Some(Interest::Whole(MAX_SMALL_FILE));
    }
    if path == "/var/lib/dpkg/status" || path == "/lib/apk/db/installed" {
        return Some(Interest::Whole(MAX_OS_DB));
    }
    if dir == "/var/lib/dpkg/status.d" && !name.ends_with(".md5sums") {
        return Some(Interest::Whole(MAX_SMALL_FILE * 4));
    }
    None
}

/// Files kept from one or more tar streams, by absolute container path.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub files: BTreeMap<String, Vec<u8>>,
    pub warnings: Vec<Warning>,
    pub kept_bytes: u64,
    /// Entries seen (all types); for statistics.
    pub entries: u64,
}

impl Collected {
    pub fn merge(&mut self, other: Collected) {
        self.kept_bytes += other.kept_bytes;
        self.entries += other.entries;
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
    }
}

/// Turn a tar entry name into an absolute container path below `base` (the parent folder of
/// the archived path). `None` for names that try to leave it.
pub fn entry_path(base: &str, name: &Path) -> Option<String> {
    let mut out = base.trim_end_matches('/').to_string();
    let mut any = false;
    for comp in name.components() {
        match comp {
            Component::Normal(c) => {
                out.push('/');
                out.push_str(&c.to_string_lossy());
                any = true;
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if !any {
        return None;
    }
    Some(out)
}

/// Parent folder of an absolute container path (`/` for top-level paths).
pub fn parent_of(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

/// Read one tar stream (the archive of container path `archived`), keeping what
/// [`interest`] selects. Malformed archives end the read with a warning, not an error: what
/// was kept so far is still used.
pub fn scan_tar<R: Read>(reader: R, archived: &str, out: &mut Collected) {
    let base = parent_of(archived).to_string();
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            out.warnings.push(Warning {
                path: archived.to_string(),
                message: format!("unreadable archive: {e}"),
            });
            return;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.warnings.push(Warning {
                    path: archived.to_string(),
                    message: format!("archive stream broke off: {e}"),
                });
                return;
            }
        };
        out.entries += 1;
        // Only regular files are read; links are never followed.
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let name = match entry.path() {
            Ok(p) => p.into_owned(),
            Err(_) => continue,
        };
        let Some(path) = entry_path(&base, &name) else {
            out.warnings.push(Warning {
                path: format!("{archived}: {}", name.display()),
                message: "archive entry escapes the archived folder; ignored".into(),
            });
            continue;
        };
        let Some(want) = interest(&path) else {
            continue;
        };
        let size = entry.size();
        let limit = match want {
            Interest::Head(n) => n,
            Interest::Whole(n) => {
                if size > n {
                    out.warnings.push(Warning {
                        path,
                        message: format!("{size} bytes is over the {n}-byte limit; not read"),
                    });
                    continue;
                }
                n
            }
        };
        if out.kept_bytes + limit.min(size) > MAX_TOTAL_KEPT {
            out.warnings.push(Warning {
                path,
                message: format!("more than {MAX_TOTAL_KEPT} bytes of metadata; stopped reading"),
            });
            return;
        }
        let mut buf = Vec::with_capacity(limit.min(size) as usize);
        if let Err(e) = (&mut entry).take(limit).read_to_end(&mut buf) {
            out.warnings.push(Warning {
                path,
                message: format!("read error: {e}"),
            });
            return;
        }
        if matches!(want, Interest::Head(_)) {
            // Only the header block is used; the description after it is dropped.
            if let Some(end) = memchr::memmem::find(&buf, b"\n\n") {
                buf.truncate(end + 1);
            }
        }
        out.kept_bytes += buf.len() as u64;
        out.files.insert(path, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name to simulate a hostile archive.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn keeps_only_metadata_and_refuses_traversal() {
        let big = vec![b'x'; 10_000];
        let data = tar_of(&[
            (
                "site-packages/eventlet-0.20.1.dist-info/METADATA",
                b"Name: eventlet\nVersion: 0.20.1\n",
            ),
            ("site-packages/eventlet/__init__.py", &big),
            (
                "site-packages/../../../etc/passwd.dist-info/METADATA",
                b"Name: evil\nVersion: 1\n",
            ),
            ("site-packages/pyvenv.cfg", b"home = /usr/bin\n"),
        ]);
        let mut c = Collected::default();
        scan_tar(&data[..], "/usr/lib/python3/site-packages", &mut c);
        let keys: Vec<_> = c.files.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "/usr/lib/python3/site-packages/eventlet-0.20.1.dist-info/METADATA",
                "/usr/lib/python3/site-packages/pyvenv.cfg"
            ]
        );
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].message.contains("escapes"));
        assert_eq!(c.entries, 4);
    }

    #[test]
    fn caps_sizes() {
        let huge = vec![b'a'; (MAX_SMALL_FILE + 10) as usize];
        let data = tar_of(&[
            ("site-packages/x-1.dist-info/METADATA", &huge),
            ("site-packages/x-1.dist-info/direct_url.json", &huge),
        ]);
        let mut c = Collected::default();
        scan_tar(&data[..], "/s/site-packages", &mut c);
        assert_eq!(
            c.files["/s/site-packages/x-1.dist-info/METADATA"].len() as u64,
            MAX_SMALL_FILE
        );
        assert!(!c
            .files
            .contains_key("/s/site-packages/x-1.dist-info/direct_url.json"));
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn garbage_is_a_warning() {
        let mut c = Collected::default();
        let junk = vec![7u8; 2048];
        scan_tar(&junk[..], "/x", &mut c);
        assert_eq!(c.files.len(), 0);
        assert!(!c.warnings.is_empty());
    }

    #[test]
    fn paths() {
        assert_eq!(parent_of("/var/lib/dpkg/status"), "/var/lib/dpkg");
        assert_eq!(parent_of("/opt"), "/");
        assert_eq!(
            entry_path("/", Path::new("opt/venv/pyvenv.cfg")).as_deref(),
            Some("/opt/venv/pyvenv.cfg")
        );
        assert_eq!(entry_path("/a", Path::new("../b")), None);
        assert_eq!(entry_path("/a", Path::new("/b")), None);
    }
}
