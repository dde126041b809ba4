//! Proving from path-stat answers alone that a container still holds, at one archived path
//! ("root"), what its image held — so a container of a cached image is read without
//! streaming its site folders (the engine's `HEAD /containers/{id}/archive` costs a few
//! milliseconds; an archive of a site folder tens to hundreds).
//!
//! Why the proof holds. pip, apt and apk install, upgrade, reinstall and uninstall by
//! creating, removing or renaming entries of the folder that holds the metadata (a site
//! folder, the OS database's folder) or by rewriting a database file through a rename; and a
//! new folder anywhere (a new venv) changes its parent folder's mtime. So a root is proven
//! unchanged when, in the container, these paths have the mode, size, mtime and link target
//! they have in the image: the root, every folder the image's archive listed under it except
//! those inside a site folder (the package folders themselves), and the `.pth` and
//! `pyvenv.cfg` files read there (edited in place, not renamed). The engine may give mtimes
//! to the second only: every image mtime must also be older than the container's creation,
//! so that a change made in the container (after it was created) shows as another second.
//!
//! What it does not see: a file inside a `*.dist-info` folder edited in place (pip never
//! does that; `--no-cache` or `drift container:C` against its own image, which lists the
//! container's changes, do see it). Whatever cannot be proven is read whole.

use std::collections::BTreeSet;

use crate::inventory::cache::{PathFacts, Proof};
use crate::inventory::tarscan::{parent_of, Collected};

use super::api::PathStat;

/// Above this many paths to stat, a root is read whole instead (a folder tree that is not
/// a site folder, such as an application under `/opt`).
pub const MAX_PROOF_PATHS: usize = 64;

/// The paths whose facts prove a root unchanged, given the image's content there (`None`:
/// the root is missing in the image). `None` when the root cannot be proven this way: its
/// listing was incomplete or it has too many folders outside site folders.
pub fn proof_paths(root: &str, content: Option<&Collected>) -> Option<Vec<String>> {
    let root = root.trim_end_matches('/');
    let Some(c) = content else {
        return Some(vec![root.to_string()]);
    };
    if c.dirs_overflow || c.cut_short || c.broken.is_some() {
        return None;
    }
    let mut sites: BTreeSet<&str> = BTreeSet::new();
    let mut files: BTreeSet<&str> = BTreeSet::new();
    for path in c.files.keys() {
        let parent = parent_of(path);
        let name = path.rsplit_once('/').map_or(path.as_str(), |(_, n)| n);
        if parent.ends_with(".dist-info") || parent.ends_with(".egg-info") {
            sites.insert(parent_of(parent));
        } else if name.ends_with(".egg-info") {
            sites.insert(parent);
        } else if name.ends_with(".pth") {
            sites.insert(parent);
            files.insert(path);
        } else if name == "pyvenv.cfg" {
            files.insert(path);
        }
    }
    for dir in &c.dirs {
        if dir.ends_with("/site-packages") || dir.ends_with("/dist-packages") {
            sites.insert(dir);
        }
    }
    let inside_site = |dir: &str| {
        let mut d = dir;
        while d != "/" && d.len() > root.len() {
            d = parent_of(d);
            if sites.contains(d) {
                return true;
            }
        }
        false
    };
    let mut paths: BTreeSet<String> = BTreeSet::new();
    paths.insert(root.to_string());
    for dir in &c.dirs {
        if !inside_site(dir) {
            paths.insert(dir.clone());
        }
        if paths.len() > MAX_PROOF_PATHS {
            return None;
        }
    }
    paths.extend(files.into_iter().map(str::to_string));
    (paths.len() <= MAX_PROOF_PATHS).then(|| paths.into_iter().collect())
}

/// The facts of a path-stat answer that a proof compares (`None` when the engine gave no
/// mtime: nothing can be proven from it).
pub fn facts(stat: &PathStat) -> Option<PathFacts> {
    let mtime = stat.mtime.clone().filter(|m| !m.is_empty())?;
    Some(PathFacts {
        mode: stat.mode,
        size: stat.size,
        mtime,
        link: stat.link_target.clone(),
    })
}

/// Does the container, with these facts at the proof's paths and created at `created`,
/// still hold the image's content?
pub fn holds(
    image: &Proof,
    container: &[(String, Option<PathFacts>)],
    created: Option<&str>,
) -> bool {
    let Some(created) = created.and_then(epoch_seconds) else {
        return false;
    };
    if image.is_empty() || container.len() != image.len() {
        return false;
    }
    container.iter().all(|(path, now)| {
        let Some(was) = image.get(path) else {
            return false;
        };
        if now != was {
            return false;
        }
        match was {
            None => true,
            Some(f) => epoch_seconds(&f.mtime).is_some_and(|m| m < created),
        }
    })
}

/// Whole seconds since 1970 of an RFC 3339 time (`2026-12-01T01:23:38.5Z`,
/// `…+01:00`), as the engine writes times. `None` when it is not one.
pub fn epoch_seconds(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(files: &[&str], dirs: &[&str]) -> Collected {
        let mut c = Collected::default();
        for f in files {
            c.files.insert(f.to_string(), b"x".to_vec());
        }
        c.dirs = dirs.iter().map(|d| d.to_string()).collect();
        c
    }

    fn f(mtime: &str) -> Option<PathFacts> {
        Some(PathFacts {
            mode: 0o755 | (1 << 31),
            size: 4096,
            mtime: mtime.into(),
            link: String::new(),
        })
    }

    #[test]
    fn times() {
        assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_seconds("2026-12-01T01:23:38Z"), Some(1_796_088_218));
        assert_eq!(
            epoch_seconds("2026-12-01T02:23:38.123456789+01:00"),
            epoch_seconds("2026-12-01T01:23:38Z")
        );
        assert_eq!(
            epoch_seconds("2000-02-29T00:00:00-00:30"),
            Some(951_784_200)
        );
        for bad in [
            "",
            "2026-12-01",
            "2026-13-01T00:00:00Z",
            "2026-12-01T00:00:00",
            "2026-12-01T00:00:00.Z",
            "x026-12-01T00:00:00Z",
            "2026-12-01T00:00:00+0100",
        ] {
            assert_eq!(epoch_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_site_folder_root_is_proven_by_itself_and_its_pth_files() {
        let c = col(
            &[
                "/s/a-1.dist-info/METADATA",
                "/s/b-2.egg-info",
                "/s/extra.pth",
            ],
            &["/s", "/s/a", "/s/a/sub", "/s/a-1.dist-info"],
        );
        assert_eq!(
            proof_paths("/s", Some(&c)),
            Some(vec!["/s".into(), "/s/extra.pth".into()])
        );
    }

    #[test]
    fn a_tree_root_lists_every_folder_outside_site_folders() {
        let c = col(
            &[
                "/opt/v/pyvenv.cfg",
                "/opt/v/lib/python3.11/site-packages/a-1.dist-info/METADATA",
            ],
            &[
                "/opt",
                "/opt/app",
                "/opt/v",
                "/opt/v/lib",
                "/opt/v/lib/python3.11",
                "/opt/v/lib/python3.11/site-packages",
                "/opt/v/lib/python3.11/site-packages/a",
                "/opt/v/lib/python3.11/site-packages/a-1.dist-info",
            ],
        );
        assert_eq!(
            proof_paths("/opt", Some(&c)).unwrap(),
            vec![
                "/opt",
                "/opt/app",
                "/opt/v",
                "/opt/v/lib",
                "/opt/v/lib/python3.11",
                "/opt/v/lib/python3.11/site-packages",
                "/opt/v/pyvenv.cfg",
            ]
        );
        // An empty site folder still hides nothing below it: it is one.
        let empty = col(&[], &["/u/site-packages", "/u/site-packages/x"]);
        assert_eq!(
            proof_paths("/u/site-packages", Some(&empty)).unwrap(),
            vec!["/u/site-packages"]
        );
    }

    #[test]
    fn what_cannot_be_proven() {
        let many: Vec<String> = (0..=MAX_PROOF_PATHS)
            .map(|i| format!("/opt/d{i}"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(proof_paths("/opt", Some(&col(&[], &refs))), None);
        let mut c = col(&[], &["/opt"]);
        c.dirs_overflow = true;
        assert_eq!(proof_paths("/opt", Some(&c)), None);
        let mut c = col(&[], &["/opt"]);
        c.cut_short = true;
        assert_eq!(proof_paths("/opt", Some(&c)), None);
        // A missing root is proven by being missing still.
        assert_eq!(proof_paths("/venv/", None), Some(vec!["/venv".into()]));
    }

    #[test]
    fn holds_only_when_every_fact_is_the_same_and_older_than_the_container() {
        let image: Proof = [
            ("/s".to_string(), f("2026-01-01T00:00:00Z")),
            ("/venv".to_string(), None),
        ]
        .into();
        let same: Vec<(String, Option<PathFacts>)> = image.clone().into_iter().collect();
        let created = Some("2026-01-02T00:00:00.5Z");
        assert!(holds(&image, &same, created));
        // Created in the same second as the folder's mtime: a change then would not show.
        assert!(!holds(&image, &same, Some("2026-01-01T00:00:00.9Z")));
        assert!(!holds(&image, &same, None));
        assert!(!holds(&image, &same, Some("yesterday")));
        let mut changed = same.clone();
        changed[0].1 = f("2026-01-03T00:00:00Z");
        assert!(!holds(&image, &changed, created));
        let mut appeared = same.clone();
        appeared[1].1 = f("2026-01-01T00:00:00Z");
        assert!(!holds(&image, &appeared, created));
        assert!(!holds(&image, &same[..1], created));
        assert!(!holds(&Proof::new(), &[], created));
    }
}
