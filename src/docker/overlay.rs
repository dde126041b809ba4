//! A container's inventory as its image's (cached) plus what the Engine's changes endpoint
//! reports. Pure planning: which archived paths ("roots") can be taken from the image, which
//! must be read again whole, and which metadata folders inside them must be read again.

use super::RawChange;
use crate::drift::FileChangeKind;
use crate::inventory::tarscan::{interest, Collected};

/// Above this many metadata folders to read again in one root, the root is read whole.
pub const MAX_UNITS_PER_ROOT: usize = 8;

/// How one root of a container is obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootPlan {
    /// Nothing under it changed: the image's content is the container's.
    Clean,
    /// Read it from the container (replaced, deleted, under a mount, or too many changes).
    Whole,
    /// Start from the image's content, drop everything at or below `drop`, then read `reread`
    /// (metadata folders or files) from the container and add what they hold.
    Patch {
        drop: Vec<String>,
        reread: Vec<String>,
    },
}

fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// Is `path` the folder `dir` or below it?
pub fn at_or_under(path: &str, dir: &str) -> bool {
    path == dir.trim_end_matches('/') || under(path, dir)
}

/// Do two paths overlap (one is the other or below it)?
pub fn overlaps(a: &str, b: &str) -> bool {
    at_or_under(a, b) || at_or_under(b, a)
}

/// The smallest thing to read again for a changed path below a root: the `*.dist-info` /
/// `*.egg-info` folder it is in (or is), or the path itself when it is a file pindrift keeps
/// (`pyvenv.cfg`, an egg-info file, an OS database). `None` when it holds nothing pindrift
/// reads.
fn unit_of(root: &str, path: &str) -> Option<String> {
    let rest = path.get(root.trim_end_matches('/').len() + 1..)?;
    let mut end = root.trim_end_matches('/').len();
    for comp in rest.split('/') {
        end += 1 + comp.len();
        if comp.ends_with(".dist-info") || comp.ends_with(".egg-info") {
            return Some(path[..end].to_string());
        }
    }
    interest(path).map(|_| path.to_string())
}

/// Plan one root given the container's changes (path and how it changed)
/// and whether a mount overlaps it. `image` is the image's content at the root (`None`:
/// missing in the image).
pub fn plan_root(
    root: &str,
    image: Option<&Collected>,
    changes: &[RawChange],
    mounted: bool,
) -> RootPlan {
    if mounted {
        return RootPlan::Whole;
    }
    let mut drop = Vec::new();
    let mut reread = Vec::new();
    let mut touched = false;
    let has_below = changes.iter().any(|c| under(&c.path, root));
    for RawChange { path, kind } in changes {
        let kind = *kind;
        if at_or_under(root, path) {
            // A folder above the root only "changed" because something below it did.
            if kind == FileChangeKind::Changed && path != root.trim_end_matches('/') {
                continue;
            }
            // The root folder itself changed because entries below it did (they are listed).
            if kind == FileChangeKind::Changed && has_below && image.is_some() {
                continue;
            }
            // Replaced, created or deleted, or a changed file.
            return RootPlan::Whole;
        }
        if !under(path, root) {
            continue;
        }
        touched = true;
        if image.is_none() {
            return RootPlan::Whole;
        }
        if kind == FileChangeKind::Deleted {
            drop.push(path.clone());
        } else if let Some(u) = unit_of(root, path) {
            if !reread.contains(&u) {
                reread.push(u);
            }
        }
    }
    if !touched || (drop.is_empty() && reread.is_empty()) {
        return RootPlan::Clean;
    }
    if reread.len() > MAX_UNITS_PER_ROOT {
        return RootPlan::Whole;
    }
    reread.sort();
    drop.sort();
    RootPlan::Patch { drop, reread }
}

/// Remove files and warnings at or below `path`.
pub fn drop_below(c: &mut Collected, path: &str) {
    c.files.retain(|p, _| !at_or_under(p, path));
    c.warnings
        .retain(|w| !(at_or_under(&w.path, path) || w.path.starts_with(&format!("{path}: "))));
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "/usr/local/lib/python3.11/dist-packages";

    fn ch(list: &[(&str, &str)]) -> Vec<RawChange> {
        list.iter()
            .map(|(p, k)| RawChange {
                path: p.to_string(),
                kind: match *k {
                    "added" => FileChangeKind::Added,
                    "deleted" => FileChangeKind::Deleted,
                    "changed" => FileChangeKind::Changed,
                    other => panic!("kind {other}"),
                },
            })
            .collect()
    }

    fn image() -> Collected {
        let mut c = Collected::default();
        c.files
            .insert(format!("{S}/six-1.16.0.dist-info/METADATA"), b"x".to_vec());
        c
    }

    #[test]
    fn install_upgrade_uninstall() {
        let changes = ch(&[
            ("/usr", "changed"),
            ("/usr/local/lib/python3.11", "changed"),
            (S, "changed"),
            (&format!("{S}/eventlet-0.20.0.dist-info"), "deleted"),
            (&format!("{S}/eventlet-0.20.1.dist-info"), "added"),
            (&format!("{S}/eventlet-0.20.1.dist-info/METADATA"), "added"),
            (&format!("{S}/eventlet-0.20.1.dist-info/RECORD"), "added"),
            (&format!("{S}/eventlet"), "changed"),
            (&format!("{S}/eventlet/hubs/hub.py"), "changed"),
            (&format!("{S}/old.egg-info"), "deleted"),
            ("/tmp/x", "added"),
        ]);
        assert_eq!(
            plan_root(S, Some(&image()), &changes, false),
            RootPlan::Patch {
                drop: vec![
                    format!("{S}/eventlet-0.20.0.dist-info"),
                    format!("{S}/old.egg-info")
                ],
                reread: vec![format!("{S}/eventlet-0.20.1.dist-info")],
            }
        );
        // Unrelated roots stay clean; a mount or a missing image path forces a read.
        assert_eq!(
            plan_root("/opt", Some(&image()), &changes, false),
            RootPlan::Clean
        );
        assert_eq!(
            plan_root("/opt", Some(&image()), &changes, true),
            RootPlan::Whole
        );
        assert_eq!(plan_root(S, None, &changes, false), RootPlan::Whole);
        assert_eq!(plan_root("/venv", None, &changes, false), RootPlan::Clean);
    }

    #[test]
    fn replaced_roots_and_files() {
        // The root deleted (or an opaque replacement) or a parent deleted.
        let gone = ch(&[(S, "deleted")]);
        assert_eq!(plan_root(S, Some(&image()), &gone, false), RootPlan::Whole);
        let parent = ch(&[("/usr/local/lib/python3.11", "deleted")]);
        assert_eq!(
            plan_root(S, Some(&image()), &parent, false),
            RootPlan::Whole
        );
        // The dpkg database as a root.
        let dpkg = ch(&[
            ("/var/lib/dpkg", "changed"),
            ("/var/lib/dpkg/status", "changed"),
        ]);
        assert_eq!(
            plan_root("/var/lib/dpkg/status", Some(&image()), &dpkg, false),
            RootPlan::Whole
        );
        // Only bytecode caches and code changed: clean.
        let code = ch(&[(S, "changed"), (&format!("{S}/six.py"), "changed")]);
        assert_eq!(plan_root(S, Some(&image()), &code, false), RootPlan::Clean);
        // A venv created under /opt: its pyvenv.cfg and metadata folders are read.
        let venv = ch(&[
            ("/opt/v", "added"),
            ("/opt/v/pyvenv.cfg", "added"),
            (
                "/opt/v/lib/python3.11/site-packages/a-1.dist-info/METADATA",
                "added",
            ),
        ]);
        assert_eq!(
            plan_root("/opt", Some(&Collected::default()), &venv, false),
            RootPlan::Patch {
                drop: vec![],
                reread: vec![
                    "/opt/v/lib/python3.11/site-packages/a-1.dist-info".into(),
                    "/opt/v/pyvenv.cfg".into()
                ],
            }
        );
    }

    #[test]
    fn dropping() {
        let mut c = image();
        c.files.insert(format!("{S}/a/pyvenv.cfg"), b"".to_vec());
        drop_below(&mut c, &format!("{S}/six-1.16.0.dist-info"));
        assert_eq!(c.files.len(), 1);
    }
}
