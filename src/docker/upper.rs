//! A container's changes read from its own layer on this host, when the engine stores it in
//! a folder pindrift can read (overlay2, fuse-overlayfs: `GraphDriver.Data.UpperDir` in
//! `inspect`). That folder holds exactly what the container changed, so listing it is what
//! the engine's changes endpoint does with a native diff — in milliseconds — where the
//! endpoint itself compares the whole file tree with the image's (seconds on
//! fuse-overlayfs, `bench/DRIFT.md`).
//!
//! Only used when every layer folder `inspect` names exists here (an engine in a VM, or on
//! another host, names folders this host does not have) and `PINDRIFT_LOCAL_LAYERS` is not
//! `0`; anything unexpected (an unreadable folder, too many entries) gives `None` and the
//! caller asks the engine. Nothing is written, links are never followed.

use std::path::{Path, PathBuf};

use super::RawChange;
use crate::drift::FileChangeKind;

/// Above this many entries in the container's layer, the engine is asked instead.
const MAX_ENTRIES: usize = 1_000_000;

/// The layer folders of a container, as `inspect` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers {
    /// The container's own layer.
    pub upper: PathBuf,
    /// The image's layers (and the engine's init layer), top first.
    pub lowers: Vec<PathBuf>,
}

impl Layers {
    /// From `GraphDriver` (`Name` and `Data`), for the drivers whose upper folder is an
    /// overlay upper layer.
    pub fn from_graph_driver(
        name: &str,
        data: &std::collections::HashMap<String, String>,
    ) -> Option<Layers> {
        if !matches!(name, "overlay2" | "fuse-overlayfs" | "overlay") {
            return None;
        }
        let upper = data.get("UpperDir").filter(|u| u.starts_with('/'))?;
        let lowers: Vec<PathBuf> = data
            .get("LowerDir")
            .map(|l| {
                l.split(':')
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        if lowers.iter().any(|l| !l.is_absolute()) {
            return None;
        }
        Some(Layers {
            upper: PathBuf::from(upper),
            lowers,
        })
    }

    /// Are the folders there on this host (same engine, not one in a VM)?
    pub fn here(&self) -> bool {
        let dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
        dir(&self.upper) && self.lowers.iter().all(|l| dir(l))
    }
}

/// May pindrift read container layers on this host (`PINDRIFT_LOCAL_LAYERS=0` says no)?
pub fn allowed() -> bool {
    std::env::var("PINDRIFT_LOCAL_LAYERS").as_deref() != Ok("0")
}

/// The container's changes as the engine's changes endpoint lists them: every entry of its
/// layer — deleted where it is a whiteout, added where no image layer has the path, else
/// changed. An opaque folder (its image content hidden) is listed as deleted, then added
/// with what it holds now. `None` when the layer cannot be read whole.
pub fn changes(layers: &Layers) -> Option<Vec<RawChange>> {
    let mut out = Vec::new();
    let mut stack: Vec<(PathBuf, String)> = vec![(layers.upper.clone(), String::new())];
    let mut seen = 0usize;
    while let Some((dir, at)) = stack.pop() {
        let mut entries: Vec<(String, std::fs::Metadata)> = Vec::new();
        let mut opaque = false;
        for entry in std::fs::read_dir(&dir).ok()? {
            let entry = entry.ok()?;
            seen += 1;
            if seen > MAX_ENTRIES {
                return None;
            }
            let name = entry.file_name().into_string().ok()?;
            let meta = entry.metadata().ok()?;
            // fuse-overlayfs marks an opaque folder with these; the kernel's overlay with an
            // extended attribute, read below.
            if name == ".wh..wh..opq" || name == ".wh..opq" {
                opaque = true;
                continue;
            }
            entries.push((name, meta));
        }
        if !at.is_empty() && !opaque {
            opaque = xattr_opaque(&dir);
        }
        if opaque && !at.is_empty() && layers.lowers.iter().any(|l| exists_in(l, &at)) {
            // Replace the "changed/added" entry pushed by the parent with deleted + added.
            out.retain(|c: &RawChange| c.path != at);
            out.push(RawChange {
                path: at.clone(),
                kind: FileChangeKind::Deleted,
            });
            out.push(RawChange {
                path: at.clone(),
                kind: FileChangeKind::Added,
            });
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, meta) in entries {
            let (name, whiteout) = match name.strip_prefix(".wh.") {
                Some(n) => (n.to_string(), true),
                None => (name, is_whiteout_device(&meta)),
            };
            let path = format!("{at}/{name}");
            if whiteout {
                // A whiteout of something no image layer has (a temporary file created and
                // removed in the container, such as pip's `~ackage` folders or runc's
                // `.pivot_root…`) is no change, as the engine's diff says.
                if !opaque && layers.lowers.iter().any(|l| exists_in(l, &path)) {
                    out.push(RawChange {
                        path,
                        kind: FileChangeKind::Deleted,
                    });
                }
                continue;
            }
            let in_image = !opaque && layers.lowers.iter().any(|l| exists_in(l, &path));
            out.push(RawChange {
                path: path.clone(),
                kind: if in_image {
                    FileChangeKind::Changed
                } else {
                    FileChangeKind::Added
                },
            });
            if meta.is_dir() {
                stack.push((layers.upper.join(path.trim_start_matches('/')), path));
            }
        }
    }
    Some(out)
}

fn exists_in(layer: &Path, path: &str) -> bool {
    std::fs::symlink_metadata(layer.join(path.trim_start_matches('/')))
        .is_ok_and(|m| !is_whiteout_device(&m))
}

/// The kernel's whiteout: a character device numbered 0/0.
fn is_whiteout_device(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        meta.file_type().is_char_device() && meta.rdev() == 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// The kernel overlay's opaque folder attribute (`trusted.overlay.opaque` = `y`).
fn xattr_opaque(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
            return false;
        };
        let mut value = [0u8; 2];
        for name in [c"trusted.overlay.opaque", c"user.overlay.opaque"] {
            // SAFETY: valid NUL-terminated strings and a buffer of the length given.
            let n = unsafe {
                libc::lgetxattr(
                    path.as_ptr(),
                    name.as_ptr(),
                    value.as_mut_ptr().cast(),
                    value.len(),
                )
            };
            if n == 1 && value[0] == b'y' {
                return true;
            }
        }
        false
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(list: &[RawChange]) -> Vec<String> {
        list.iter()
            .map(|c| format!("{} {}", c.kind.as_str(), c.path))
            .collect()
    }

    #[test]
    fn a_layer_listed_as_the_engine_lists_changes() {
        let t = tempfile::tempdir().unwrap();
        let (upper, lower) = (t.path().join("upper"), t.path().join("lower"));
        for d in ["etc", "s/a-1.dist-info", "s/old", "app"] {
            std::fs::create_dir_all(lower.join(d)).unwrap();
        }
        std::fs::write(lower.join("app/app.py"), "x").unwrap();
        std::fs::write(lower.join("s/old/f"), "x").unwrap();
        for d in ["etc", "s/b-2.dist-info", "s/old", "app"] {
            std::fs::create_dir_all(upper.join(d)).unwrap();
        }
        std::fs::write(upper.join("app/app.py"), "y").unwrap();
        std::fs::write(upper.join("s/b-2.dist-info/METADATA"), "Name: b\n").unwrap();
        std::fs::write(upper.join("s/.wh.a-1.dist-info"), "").unwrap();
        std::fs::write(upper.join("s/old/.wh..wh..opq"), "").unwrap();
        std::fs::write(upper.join("s/old/g"), "").unwrap();
        // Made and removed in the container: nothing to report.
        std::fs::write(upper.join(".wh..pivot_root123"), "").unwrap();
        std::fs::write(upper.join("s/.wh.~ackage"), "").unwrap();
        std::fs::create_dir_all(upper.join("s/fresh")).unwrap();
        std::fs::write(upper.join("s/fresh/.wh..wh..opq"), "").unwrap();
        let layers = Layers {
            upper,
            lowers: vec![lower],
        };
        assert!(layers.here());
        let mut got = kinds(&changes(&layers).unwrap());
        got.sort();
        assert_eq!(
            got,
            [
                "added /s/b-2.dist-info",
                "added /s/b-2.dist-info/METADATA",
                "added /s/fresh",
                "added /s/old",
                "added /s/old/g",
                "changed /app",
                "changed /app/app.py",
                "changed /etc",
                "changed /s",
                "deleted /s/a-1.dist-info",
                "deleted /s/old",
            ]
        );
        let gone = Layers {
            upper: t.path().join("nowhere"),
            lowers: vec![],
        };
        assert!(!gone.here());
        assert!(changes(&gone).is_none());
    }

    #[test]
    fn only_overlay_drivers_with_absolute_folders() {
        let data: std::collections::HashMap<String, String> = [
            ("UpperDir".to_string(), "/d/u/diff".to_string()),
            ("LowerDir".to_string(), "/d/a/diff:/d/b/diff".to_string()),
        ]
        .into();
        let l = Layers::from_graph_driver("fuse-overlayfs", &data).unwrap();
        assert_eq!(l.lowers.len(), 2);
        assert!(Layers::from_graph_driver("btrfs", &data).is_none());
        let rel: std::collections::HashMap<String, String> =
            [("UpperDir".to_string(), "u".to_string())].into();
        assert!(Layers::from_graph_driver("overlay2", &rel).is_none());
    }
}
