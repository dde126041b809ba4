//! Reading the interesting files out of a tar stream, in memory, never extracting.
//!
//! The engine's archive API returns a tar of one path. Only package metadata, `pyvenv.cfg`
//! and OS package databases are kept; every other entry's bytes are skipped as they stream
//! by. Entry names are untrusted: absolute names, `..` components and links are never
//! followed, and every kept file is capped in size.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Warning, NOT_COMPARED};

/// Cap for one metadata header block, `direct_url.json` or `pyvenv.cfg`.
pub const MAX_SMALL_FILE: u64 = 256 * 1024;
/// Cap for one OS package database file.
pub const MAX_OS_DB: u64 = 64 * 1024 * 1024;
/// Cap for everything kept from one source (one image or container: all its site folders
/// and OS databases together).
pub const MAX_TOTAL_KEPT: u64 = 256 * 1024 * 1024;
/// Folders listed per archived path (a site folder of 20,000 packages lists 40,000).
pub const MAX_LISTED_DIRS: usize = 65_536;

/// The bytes one inventory may still keep, shared by the concurrent reads of its folders
/// (each archived path is its own tar stream; a cap per stream would let three site folders
/// of big headers keep three times the cap).
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: AtomicU64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Budget {
            limit,
            used: AtomicU64::new(0),
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Reserves `bytes`; `false` (and nothing reserved) when they do not fit.
    pub fn take(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back bytes reserved and not kept.
    pub fn give_back(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

/// The warning for metadata left unread because an inventory's total reached `limit`: it
/// names what was not read and ends in [`NOT_COMPARED`], so the run is never called clean.
pub fn over_budget(path: String, limit: u64, what: &str) -> Warning {
    Warning {
        path,
        message: format!(
            "the metadata of this source passed the {} limit (all its folders together): {what} not read{NOT_COMPARED}",
            crate::read::human_size(limit)
        ),
    }
}

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
    // `.pth` files of a site folder: the folders they name are on `sys.path` too.
    if name.ends_with(".pth")
        && (dir.ends_with("/site-packages") || dir.ends_with("/dist-packages"))
    {
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
    /// The read stopped at the inventory's [`Budget`]: this is not the folder's whole
    /// content, so it is never cached as such.
    pub cut_short: bool,
    /// The tar did not end properly (an entry cut off, no end-of-archive blocks, garbage):
    /// why. What was kept is not the folder's content; the engine code fails the read.
    pub broken: Option<String>,
    /// The folders the archive listed (at most [`MAX_LISTED_DIRS`]), for proving later that
    /// a container still holds what its image held (`docker::proof`). Never cached.
    pub dirs: Vec<String>,
    /// More folders than [`MAX_LISTED_DIRS`] were listed: `dirs` is not all of them.
    pub dirs_overflow: bool,
}

impl Collected {
    pub fn merge(&mut self, other: Collected) {
        self.kept_bytes += other.kept_bytes;
        self.entries += other.entries;
        self.cut_short |= other.cut_short;
        if self.broken.is_none() {
            self.broken = other.broken;
        }
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
        self.dirs.extend(other.dirs);
        self.dirs_overflow |= other.dirs_overflow;
    }

    /// [`Collected::merge`], keeping no more than `limit` bytes in all: the files of `other`
    /// that do not fit are left out, with a warning that names the first and counts them.
    /// (Folders read now are bounded by their [`Budget`]; this also bounds those that come
    /// from the cache, read in other runs.)
    pub fn merge_within(&mut self, mut other: Collected, limit: u64) {
        if self.kept_bytes.saturating_add(other.kept_bytes) <= limit {
            self.merge(other);
            return;
        }
        let files = std::mem::take(&mut other.files);
        let mut left_out: Vec<String> = Vec::new();
        for (path, data) in files {
            let size = data.len() as u64;
            if left_out.is_empty() && self.kept_bytes + size <= limit {
                self.kept_bytes += size;
                self.files.insert(path, data);
            } else {
                left_out.push(path);
            }
        }
        if let Some(first) = left_out.first() {
            let what = match left_out.len() {
                1 => "this file".to_string(),
                n => format!("this file and {} more after it", n - 1),
            };
            self.warnings.push(over_budget(first.clone(), limit, &what));
        }
        self.entries += other.entries;
        self.cut_short = true;
        if self.broken.is_none() {
            self.broken = other.broken;
        }
        self.warnings.extend(other.warnings);
        self.dirs.extend(other.dirs);
        self.dirs_overflow |= other.dirs_overflow;
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
/// [`interest`] selects. Malformed archives end the read with a warning and
/// [`Collected::broken`] set; what was kept so far is still there for the caller to judge.
pub fn scan_tar<R: Read>(reader: R, archived: &str, out: &mut Collected) {
    scan_tar_within(reader, archived, out, &Budget::new(MAX_TOTAL_KEPT));
}

/// [`scan_tar`], keeping no more than what `budget` (shared by every folder of one
/// inventory) still allows.
pub fn scan_tar_within<R: Read>(reader: R, archived: &str, out: &mut Collected, budget: &Budget) {
    let mut archive = tar::Archive::new(reader);
    if !scan_entries(&mut archive, archived, out, budget) {
        return;
    }
    // The tar reader stops at the first zero block, and also, silently, at an end of input
    // on a block boundary: a stream cut there would pass for a whole folder with fewer
    // packages. Every writer (the engine's Go `archive/tar` included) ends with two zero
    // blocks, so a proper end leaves the second one unread.
    let mut rest = archive.into_inner();
    let mut buf = [0u8; 4096];
    let mut trailing = 0usize;
    loop {
        match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => trailing += n,
            Err(e) => {
                broke_off(out, archived, e.to_string());
                return;
            }
        }
    }
    if trailing == 0 {
        broke_off(
            out,
            archived,
            "the archive ended without its end-of-archive blocks".into(),
        );
    }
}

fn broke_off(out: &mut Collected, archived: &str, why: String) {
    out.warnings.push(Warning {
        path: archived.to_string(),
        message: format!("archive stream broke off: {why}"),
    });
    out.broken = Some(why);
}

/// The entries of one tar; `false` when the read stopped early (broken, or at the budget).
fn scan_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    archived: &str,
    out: &mut Collected,
    budget: &Budget,
) -> bool {
    let base = parent_of(archived).to_string();
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            broke_off(out, archived, format!("unreadable archive: {e}"));
            return false;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                broke_off(out, archived, e.to_string());
                return false;
            }
        };
        out.entries += 1;
        // The archived folder itself is a link (a site folder pointing at `/`, or at a link
        // back to itself): the engine sends the link, not what it points to. Say so; links
        // are never followed.
        if entry.header().entry_type() == tar::EntryType::Symlink {
            let here = entry.path().ok().and_then(|n| entry_path(&base, &n));
            if here.as_deref() == Some(archived.trim_end_matches('/')) {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.warnings.push(Warning {
                    path: archived.to_string(),
                    message: format!(
                        "is a symbolic link to `{target}`; links are not followed, so nothing \
                         through it was read"
                    ),
                });
            }
            continue;
        }
        if entry.header().entry_type() == tar::EntryType::Directory {
            if out.dirs.len() >= MAX_LISTED_DIRS {
                out.dirs_overflow = true;
            } else if let Some(dir) = entry.path().ok().and_then(|n| entry_path(&base, &n)) {
                out.dirs.push(dir);
            }
            continue;
        }
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
        let reserved = limit.min(size);
        if !budget.take(reserved) {
            out.warnings.push(over_budget(
                path,
                budget.limit(),
                &format!("this file and the rest of {archived}"),
            ));
            out.cut_short = true;
            return false;
        }
        let mut buf = Vec::with_capacity(reserved as usize);
        if let Err(e) = (&mut entry).take(limit).read_to_end(&mut buf) {
            budget.give_back(reserved);
            broke_off(out, archived, format!("{path}: {e}"));
            return false;
        }
        if matches!(want, Interest::Head(_)) {
            // Only the header block is used; the description after it is dropped (and its
            // memory given back: a Vec keeps its capacity when truncated).
            match memchr::memmem::find(&buf, b"\n\n") {
                Some(end) => {
                    buf.truncate(end + 1);
                    buf.shrink_to_fit();
                }
                // The cap cut the header section itself: fields after it are not seen.
                None if size > limit => out.warnings.push(Warning {
                    path: path.clone(),
                    message: format!(
                        "the metadata header section is longer than {}; only its start was read",
                        crate::read::human_size(limit)
                    ),
                }),
                None => {}
            }
        }
        budget.give_back(reserved.saturating_sub(buf.len() as u64));
        out.kept_bytes += buf.len() as u64;
        out.files.insert(path, buf);
    }
    true
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

    /// Issue 14: a 50 MB METADATA keeps at most the cap (the header block when it ends
    /// before), and a header section cut by the cap is said.
    #[test]
    fn a_huge_metadata_keeps_its_headers_only_and_a_cut_header_is_said() {
        let mut body = b"Name: big\nVersion: 1.0\n\n".to_vec();
        body.resize(50 * 1024 * 1024, b'x');
        let mut headers = b"Name: long\nVersion: 2.0\n".to_vec();
        while headers.len() < (MAX_SMALL_FILE as usize) * 2 {
            headers.extend_from_slice(b"Classifier: x\n");
        }
        let data = tar_of(&[
            ("site-packages/big-1.0.dist-info/METADATA", &body),
            ("site-packages/long-2.0.dist-info/METADATA", &headers),
        ]);
        let mut c = Collected::default();
        scan_tar(&data[..], "/s/site-packages", &mut c);
        let big = &c.files["/s/site-packages/big-1.0.dist-info/METADATA"];
        assert_eq!(big.as_slice(), b"Name: big\nVersion: 1.0\n");
        let long = &c.files["/s/site-packages/long-2.0.dist-info/METADATA"];
        assert_eq!(long.len() as u64, MAX_SMALL_FILE);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert_eq!(
            c.warnings[0].path,
            "/s/site-packages/long-2.0.dist-info/METADATA"
        );
        assert!(c.warnings[0].message.contains("header section is longer"));
        assert!(c.broken.is_none());
    }

    /// Issue 14: the archived folder itself a link (to `/`, or a loop): a warning naming
    /// it and its target; nothing followed.
    #[test]
    fn an_archived_folder_that_is_a_link_is_named() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "site-packages", "/").unwrap();
        let data = b.into_inner().unwrap();
        let mut c = Collected::default();
        scan_tar(&data[..], "/usr/local/lib/python3.11/site-packages", &mut c);
        assert!(c.files.is_empty() && c.broken.is_none(), "{c:?}");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert_eq!(
            c.warnings[0].path,
            "/usr/local/lib/python3.11/site-packages"
        );
        assert!(
            c.warnings[0].message.contains("symbolic link to `/"),
            "{c:?}"
        );
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
        // The direct_url.json over its cap, and the METADATA header section cut by it.
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    }

    /// Issue 14: the cap is per inventory: folders read one after the other (or at once)
    /// share it, and what did not fit is named in a warning that is never "clean".
    #[test]
    fn the_metadata_cap_is_shared_by_every_folder_of_one_inventory() {
        let header = |name: &str| format!("Name: {name}\nVersion: 1.0\n{}\n", "X: y\n".repeat(20));
        let (a, b, c) = (header("a"), header("b"), header("c"));
        let size = a.len() as u64;
        let site = |name: &str, text: &str| {
            tar_of(&[(
                &format!("site-packages/{name}-1.0.dist-info/METADATA"),
                text.as_bytes(),
            )])
        };
        // Room for two headers: the third folder is not read, whichever reads it.
        let budget = Budget::new(size * 2 + size / 2);
        let mut kept = Vec::new();
        for (root, name, text) in [("/one", "a", &a), ("/two", "b", &b), ("/three", "c", &c)] {
            let mut out = Collected::default();
            scan_tar_within(
                &site(name, text)[..],
                &format!("{root}/site-packages"),
                &mut out,
                &budget,
            );
            kept.push(out);
        }
        assert_eq!(kept[0].files.len() + kept[1].files.len(), 2);
        assert!(!kept[0].cut_short && !kept[1].cut_short);
        let third = &kept[2];
        assert!(third.files.is_empty() && third.cut_short);
        assert_eq!(third.warnings.len(), 1);
        let warning = &third.warnings[0];
        assert_eq!(
            warning.path,
            "/three/site-packages/c-1.0.dist-info/METADATA"
        );
        assert!(warning.package_unread(), "{warning:?}");
        assert!(
            warning.message.contains("the rest of /three/site-packages"),
            "{warning:?}"
        );
        // A folder of the same size read on its own (another inventory) still fits.
        let mut alone = Collected::default();
        scan_tar_within(
            &site("c", &c)[..],
            "/three/site-packages",
            &mut alone,
            &Budget::new(size * 2),
        );
        assert_eq!(alone.files.len(), 1);
    }

    /// Folders from the cache (read in other runs) are bounded when merged.
    #[test]
    fn merging_keeps_within_the_cap_and_names_what_it_left_out() {
        let folder = |names: &[&str]| {
            let mut c = Collected::default();
            for name in names {
                c.files
                    .insert(format!("/s/{name}.dist-info/METADATA"), vec![b'x'; 10]);
                c.kept_bytes += 10;
            }
            c
        };
        let mut all = Collected::default();
        all.merge_within(folder(&["a", "b"]), 35);
        assert!(!all.cut_short && all.warnings.is_empty());
        all.merge_within(folder(&["c", "d", "e"]), 35);
        assert_eq!(all.kept_bytes, 30);
        assert_eq!(all.files.len(), 3);
        assert!(all.cut_short);
        assert_eq!(all.warnings.len(), 1);
        assert_eq!(all.warnings[0].path, "/s/d.dist-info/METADATA");
        assert!(all.warnings[0]
            .message
            .contains("this file and 1 more after it"));
        assert!(all.warnings[0].package_unread());
    }

    /// Issue 14: a tar that stops on a block boundary (no end-of-archive blocks) or inside
    /// an entry is broken, not a folder with fewer packages.
    #[test]
    fn a_tar_cut_short_is_broken() {
        let a = b"Name: a\nVersion: 1\n".as_slice();
        let whole = tar_of(&[
            ("site-packages/a-1.dist-info/METADATA", a),
            ("site-packages/b-1.dist-info/METADATA", a),
        ]);
        let mut c = Collected::default();
        scan_tar(&whole[..], "/s/site-packages", &mut c);
        assert_eq!((c.files.len(), c.broken.as_deref()), (2, None));
        for cut in [1024, 1024 + 600, 2048] {
            let mut c = Collected::default();
            scan_tar(&whole[..cut], "/s/site-packages", &mut c);
            assert!(c.broken.is_some(), "cut at {cut}: {c:?}");
        }
    }

    #[test]
    fn garbage_is_a_warning() {
        let mut c = Collected::default();
        let junk = vec![7u8; 2048];
        scan_tar(&junk[..], "/x", &mut c);
        assert_eq!(c.files.len(), 0);
        assert!(!c.warnings.is_empty());
        assert!(c.broken.is_some());
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
