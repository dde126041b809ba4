//! Grouping metadata files found in a container into Python environments, and the OS
//! package database into its own section.

use std::collections::{BTreeMap, BTreeSet};

use super::metadata::{parse_core_metadata, parse_direct_url, split_info_name};
use super::os::{parse_apk_inventory, parse_dpkg_inventory};
use super::tarscan::{parent_of, Collected};
use super::{EnvKind, OsInventory, Package, PythonEnv, Warning};
use crate::names::normalize_name;

/// Python versions whose standard site folders are looked for.
pub const PY_VERSIONS: &[&str] = &[
    "2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15",
];

/// Candidate system site folders, in the order an interpreter imports them.
pub fn system_site_candidates() -> Vec<String> {
    let mut out = Vec::new();
    for v in PY_VERSIONS {
        out.push(format!("/usr/local/lib/python{v}/dist-packages"));
        out.push(format!("/usr/local/lib/python{v}/site-packages"));
    }
    out.push("/usr/lib/python3/dist-packages".into());
    out.push("/usr/lib/python2.7/dist-packages".into());
    for v in PY_VERSIONS {
        out.push(format!("/usr/lib/python{v}/dist-packages"));
        out.push(format!("/usr/lib/python{v}/site-packages"));
        out.push(format!("/usr/lib64/python{v}/site-packages"));
    }
    out
}

/// Where a site folder belongs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Placement {
    key: String,
    kind: EnvKind,
    root: Option<String>,
    python: Option<String>,
    /// Import order within the environment (lower first).
    order: u8,
    /// A folder a `.pth` file of the site folder names: imported right after it.
    after_site: bool,
}

/// `{prefix}/lib[64]/pythonX.Y/{site,dist}-packages` -> (prefix, X.Y, leaf, lib64).
fn split_site(dir: &str) -> Option<(&str, &str, &str, bool)> {
    let (rest, leaf) = dir.rsplit_once('/')?;
    if leaf != "site-packages" && leaf != "dist-packages" {
        return None;
    }
    let (rest, py) = rest.rsplit_once('/')?;
    let ver = py.strip_prefix("python")?;
    let (prefix, lib) = rest.rsplit_once('/')?;
    if lib != "lib" && lib != "lib64" {
        return None;
    }
    Some((prefix, ver, leaf, lib == "lib64"))
}

fn place(
    dir: &str,
    venvs: &BTreeMap<String, Option<String>>,
    pythonpath: &[String],
) -> Option<Placement> {
    if pythonpath.iter().any(|p| p.trim_end_matches('/') == dir) {
        return Some(Placement {
            key: format!("pythonpath:{dir}"),
            kind: EnvKind::PythonPath,
            root: Some(dir.to_string()),
            python: None,
            order: 0,
            after_site: false,
        });
    }
    if dir == "/usr/lib/python3/dist-packages" {
        return Some(Placement {
            key: "system".into(),
            kind: EnvKind::System,
            root: None,
            python: None,
            order: 2,
            after_site: false,
        });
    }
    if let Some((prefix, ver, leaf, lib64)) = split_site(dir) {
        if let Some(cfg_ver) = venvs.get(prefix) {
            return Some(Placement {
                key: format!("venv:{prefix}"),
                kind: EnvKind::Venv,
                root: Some(prefix.to_string()),
                python: cfg_ver.clone().or_else(|| Some(ver.to_string())),
                order: u8::from(lib64),
                after_site: false,
            });
        }
        let order = match (prefix, leaf, lib64) {
            ("/usr/local", "dist-packages", _) => 0,
            ("/usr/local", _, _) => 1,
            ("/usr", "dist-packages", false) => 3,
            ("/usr", _, false) => 4,
            (_, _, true) => 5,
            _ => 1,
        };
        if prefix == "/usr" || prefix == "/usr/local" {
            return Some(Placement {
                key: "system".into(),
                kind: EnvKind::System,
                root: None,
                python: Some(ver.to_string()),
                order,
                after_site: false,
            });
        }
        if prefix.ends_with("/.local") {
            return Some(Placement {
                key: format!("user:{prefix}"),
                kind: EnvKind::UserSite,
                root: Some(prefix.to_string()),
                python: Some(ver.to_string()),
                order: 0,
                after_site: false,
            });
        }
        return Some(Placement {
            key: format!("prefix:{prefix}"),
            kind: EnvKind::Prefix,
            root: Some(prefix.to_string()),
            python: Some(ver.to_string()),
            order: 0,
            after_site: false,
        });
    }
    // A site-packages folder somewhere else (vendored `_vendor` folders are not site folders).
    let leaf = dir.rsplit('/').next().unwrap_or("");
    if leaf == "site-packages" || leaf == "dist-packages" {
        return Some(Placement {
            key: format!("site:{dir}"),
            kind: EnvKind::Prefix,
            root: Some(dir.to_string()),
            python: None,
            order: 0,
            after_site: false,
        });
    }
    None
}

/// The most folders `.pth` files may add to one inventory (each is one more archive read).
pub const MAX_PTH_FOLDERS: usize = 64;

/// Is `dir` a site folder (whose `.pth` files Python's `site` module reads)?
fn is_site_dir(dir: &str) -> bool {
    dir.ends_with("/site-packages") || dir.ends_with("/dist-packages")
}

/// `path` with `.` and `..` resolved as text (`os.path.abspath`); `None` when it is not
/// absolute.
fn normalize_abs(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// The folders the `.pth` files of site folders put on `sys.path`, as Python's `site`
/// module reads them (`addpackage`): one path a line, relative to the site folder or
/// absolute; blank lines and `#` comments skipped; lines starting with `import` are code
/// that `site` runs, and pindrift runs nothing. Folder → the site folder that names it
/// (the first, in path order).
pub fn pth_folders(collected: &Collected) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (path, data) in &collected.files {
        let Some((dir, name)) = path.rsplit_once('/') else {
            continue;
        };
        if !name.ends_with(".pth") || !is_site_dir(dir) {
            continue;
        }
        for line in String::from_utf8_lossy(data).lines() {
            if line.starts_with('#')
                || line.starts_with("import ")
                || line.starts_with("import\t")
                || line.trim().is_empty()
                || line.contains('\0')
            {
                continue;
            }
            let line = line.trim_end();
            let joined = if line.starts_with('/') {
                line.to_string()
            } else {
                format!("{dir}/{line}")
            };
            if let Some(folder) = normalize_abs(&joined) {
                if folder != dir && folder != "/" {
                    out.entry(folder).or_insert_with(|| dir.to_string());
                }
            }
        }
    }
    out
}

fn venv_version(cfg: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(cfg);
    let mut found = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            let k = k.trim();
            if k == "version" || k == "version_info" {
                let mut parts = v.trim().split('.');
                if let (Some(a), Some(b)) = (parts.next(), parts.next()) {
                    found = Some(format!("{a}.{b}"));
                }
            }
        }
    }
    found
}

/// What a container's files say: Python environments, OS packages, warnings.
pub struct Grouped {
    pub envs: Vec<PythonEnv>,
    pub os: Option<OsInventory>,
    pub warnings: Vec<Warning>,
}

/// Group the collected files into environments.
pub fn group(collected: &Collected, pythonpath: &[String]) -> Grouped {
    let mut warnings = collected.warnings.clone();
    let venvs: BTreeMap<String, Option<String>> = collected
        .files
        .iter()
        .filter(|(p, _)| p.ends_with("/pyvenv.cfg"))
        .map(|(p, data)| (parent_of(p).to_string(), venv_version(data)))
        .collect();

    // Folders named by `.pth` files belong to the environment of the site folder naming
    // them, right after it on the import path.
    let pth = pth_folders(collected);
    let place_dir = |dir: &str| match pth.get(dir) {
        Some(site) if !is_site_dir(dir) => place(site, &venvs, pythonpath).map(|mut p| {
            p.after_site = true;
            p
        }),
        _ => place(dir, &venvs, pythonpath),
    };
    // (placement, site dir, info path, package)
    let mut found: Vec<(Placement, String, Package)> = Vec::new();
    for (path, data) in &collected.files {
        let (info_dir, site_dir) =
            if path.ends_with(".dist-info/METADATA") || path.ends_with(".egg-info/PKG-INFO") {
                let info = parent_of(path);
                (info.to_string(), parent_of(info).to_string())
            } else if path.ends_with(".egg-info") {
                (path.clone(), parent_of(path).to_string())
            } else {
                continue;
            };
        let Some(placement) = place_dir(&site_dir) else {
            continue;
        };
        let folder = info_dir.rsplit('/').next().unwrap_or("");
        let (name, version) = match parse_core_metadata(data) {
            Ok(m) => (m.name, Some(m.version)),
            Err(e) => match split_info_name(folder) {
                Some((n, Some(v))) => {
                    warnings.push(Warning {
                        path: path.clone(),
                        message: format!("{e}; name and version taken from the folder name"),
                    });
                    (n, Some(v))
                }
                _ => {
                    warnings.push(Warning {
                        path: path.clone(),
                        message: format!("{e}; package skipped{}", super::NOT_COMPARED),
                    });
                    continue;
                }
            },
        };
        let direct = match collected.files.get(&format!("{info_dir}/direct_url.json")) {
            Some(bytes) => match parse_direct_url(bytes) {
                Ok(d) => Some(d),
                Err(e) => {
                    warnings.push(Warning {
                        path: format!("{info_dir}/direct_url.json"),
                        message: e.to_string(),
                    });
                    None
                }
            },
            None => None,
        };
        found.push((
            placement,
            site_dir,
            Package {
                name: normalize_name(name.trim()),
                display_name: name,
                version,
                direct,
                location: path.clone(),
            },
        ));
    }

    // Several system interpreter versions get their own keys; /usr/lib/python3/dist-packages
    // belongs to every python3 among them.
    let system_versions: BTreeSet<String> = found
        .iter()
        .filter(|(p, _, _)| p.kind == EnvKind::System)
        .filter_map(|(p, _, _)| p.python.clone())
        .collect();
    let mut expanded = Vec::new();
    for (mut p, dir, pkg) in found {
        if p.kind == EnvKind::System && system_versions.len() > 1 {
            match p.python.clone() {
                Some(v) => p.key = format!("system-python{v}"),
                None => {
                    for v in system_versions.iter().filter(|v| v.starts_with("3.")) {
                        let mut q = p.clone();
                        q.key = format!("system-python{v}");
                        q.python = Some(v.clone());
                        expanded.push((q, dir.clone(), pkg.clone()));
                    }
                    continue;
                }
            }
        } else if p.kind == EnvKind::System && p.python.is_none() {
            p.python = system_versions.iter().next().cloned();
        }
        expanded.push((p, dir, pkg));
    }
    expanded.sort_by(|a, b| {
        (
            a.0.key.as_str(),
            a.0.order,
            a.0.after_site,
            a.1.as_str(),
            a.2.location.as_str(),
        )
            .cmp(&(
                b.0.key.as_str(),
                b.0.order,
                b.0.after_site,
                b.1.as_str(),
                b.2.location.as_str(),
            ))
    });

    let mut envs: BTreeMap<String, PythonEnv> = BTreeMap::new();
    // Several metadata folders for one name in one site folder (`six-1.15.0.dist-info` and
    // `six-1.16.0.dist-info`, left by an interrupted upgrade): (dir, name) → every package.
    let mut duplicates: BTreeMap<(String, String), Vec<Package>> = BTreeMap::new();
    for (p, dir, pkg) in expanded {
        let env = envs.entry(p.key.clone()).or_insert_with(|| {
            let mut e = PythonEnv::new(p.key.clone(), p.kind);
            e.root = p.root.clone();
            e
        });
        if env.python.is_none() {
            env.python = p.python.clone();
        }
        if !env.dirs.contains(&dir) {
            env.dirs.push(dir.clone());
        }
        if let Some(dup) = env.insert_first(pkg) {
            let kept = &env.packages[&dup.name];
            let same_dir =
                parent_of(parent_of(&kept.location)) == dir || parent_of(&kept.location) == dir;
            if same_dir {
                duplicates
                    .entry((dir.clone(), dup.name.clone()))
                    .or_insert_with(|| vec![kept.clone()])
                    .push(dup);
            } else {
                warnings.push(Warning {
                    path: dup.location.clone(),
                    message: format!(
                        "`{}` {} is shadowed by {} {}",
                        dup.name,
                        dup.version.as_deref().unwrap_or("?"),
                        kept.version.as_deref().unwrap_or("?"),
                        kept.location
                    ),
                });
            }
        }
    }
    warnings.extend(
        duplicates
            .into_iter()
            .map(|((dir, name), packages)| duplicate_warning(&dir, &name, &packages)),
    );

    let os = os_inventory(collected, &mut warnings);
    warnings.sort();
    warnings.dedup();
    Grouped {
        envs: envs.into_values().collect(),
        os,
        warnings,
    }
}

/// One name installed several times in one site folder: every version and folder, and
/// which one is compared. pip and `importlib.metadata` take whichever the folder lists first
/// (directory order, not sorted), so the other may be what Python imports.
fn duplicate_warning(dir: &str, name: &str, packages: &[Package]) -> Warning {
    let folder = |p: &Package| {
        let info = if p.location.ends_with(".egg-info") {
            p.location.as_str()
        } else {
            parent_of(&p.location)
        };
        info.rsplit('/').next().unwrap_or(info).to_string()
    };
    let each: Vec<String> = packages
        .iter()
        .map(|p| format!("{} ({})", p.version.as_deref().unwrap_or("?"), folder(p)))
        .collect();
    let versions: BTreeSet<Option<&str>> = packages.iter().map(|p| p.version.as_deref()).collect();
    let times = match packages.len() {
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    let compared = packages
        .first()
        .and_then(|p| p.version.as_deref())
        .unwrap_or("?");
    Warning {
        path: dir.to_string(),
        message: if versions.len() > 1 {
            format!(
                "`{name}` is installed {times} in this folder, at different versions: {}; \
                 pip and Python use whichever the folder lists first, so {compared} is compared \
                 but another may be the one imported (remove the stale metadata folder)",
                each.join(", ")
            )
        } else {
            format!(
                "`{name}` is installed {times} in this folder: {}; {compared} is compared",
                each.join(", ")
            )
        },
    }
}

fn os_inventory(collected: &Collected, warnings: &mut Vec<Warning>) -> Option<OsInventory> {
    let mut packages = BTreeMap::new();
    let mut sources = Vec::new();
    let mut managers = Vec::new();
    for (path, data) in &collected.files {
        let is_dpkg = path == "/var/lib/dpkg/status" || path.starts_with("/var/lib/dpkg/status.d/");
        let is_apk = path == "/lib/apk/db/installed";
        if !is_dpkg && !is_apk {
            continue;
        }
        let text = String::from_utf8_lossy(data);
        if is_dpkg {
            parse_dpkg_inventory(&text, path, &mut packages, warnings);
            if !managers.contains(&"dpkg") {
                managers.push("dpkg");
            }
        } else {
            parse_apk_inventory(&text, path, &mut packages, warnings);
            managers.push("apk");
        }
        sources.push(path.clone());
    }
    if sources.is_empty() {
        return None;
    }
    Some(OsInventory {
        manager: managers.join("+"),
        sources,
        packages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(files: &[(&str, &str)]) -> Collected {
        let mut c = Collected::default();
        for (p, d) in files {
            c.files.insert(p.to_string(), d.as_bytes().to_vec());
        }
        c
    }

    #[test]
    fn groups_system_venv_user_and_vendored() {
        let c = col(&[
            ("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA", "Name: pip\nVersion: 23.0.1\n"),
            ("/usr/local/lib/python3.11/dist-packages/pip-24.0.dist-info/METADATA", "Name: pip\nVersion: 24.0\n"),
            ("/usr/local/lib/python3.11/dist-packages/eventlet-0.20.0.dist-info/METADATA", "Name: eventlet\nVersion: 0.20.0\n"),
            ("/usr/lib/python3/dist-packages/wheel-0.38.4.egg-info", "Metadata-Version: 1.2\nName: wheel\nVersion: 0.38.4\n"),
            ("/usr/lib/python3/dist-packages/setuptools/_vendor/packaging-24.0.dist-info/METADATA", "Name: packaging\nVersion: 24.0\n"),
            ("/opt/venv/pyvenv.cfg", "home = /usr/bin\nversion = 3.11.2\n"),
            ("/opt/venv/lib/python3.11/site-packages/flask-2.0.1.dist-info/METADATA", "Name: Flask\nVersion: 2.0.1\n"),
            ("/opt/venv/lib/python3.11/site-packages/flask-2.0.1.dist-info/direct_url.json", "{\"url\":\"file:///src\",\"dir_info\":{\"editable\":true}}"),
            ("/home/app/.local/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA", "broken"),
            ("/app/lib/foo-1.0.dist-info/METADATA", "Name: foo\nVersion: 1.0\n"),
            ("/var/lib/dpkg/status", "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n"),
        ]);
        let g = group(&c, &["/app/lib".to_string()]);
        let keys: Vec<_> = g.envs.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "pythonpath:/app/lib",
                "system",
                "user:/home/app/.local",
                "venv:/opt/venv"
            ]
        );
        let sys = &g.envs[1];
        assert_eq!(sys.packages["pip"].version.as_deref(), Some("24.0"));
        assert_eq!(sys.packages["wheel"].version.as_deref(), Some("0.38.4"));
        assert!(!sys.packages.contains_key("packaging"));
        assert_eq!(sys.python.as_deref(), Some("3.11"));
        assert_eq!(g.envs[2].packages["six"].version.as_deref(), Some("1.16.0"));
        let venv = &g.envs[3];
        assert_eq!(
            venv.packages["flask"]
                .direct
                .as_ref()
                .map(|d| d.kind.as_str()),
            Some("editable")
        );
        assert!(venv.matches("/opt/venv/"));
        assert_eq!(g.os.as_ref().map(|o| o.packages.len()), Some(1));
        // shadowed pip and the broken six metadata are warnings
        assert_eq!(g.warnings.len(), 2, "{:?}", g.warnings);
    }

    /// Issue 14: a `.pth` file in a site folder puts folders on `sys.path` (absolute, or
    /// relative to the site folder); their packages belong to the site folder's environment,
    /// after it on the import path. `import` lines are code: never followed.
    #[test]
    fn folders_named_by_pth_files_join_the_environment_of_their_site_folder() {
        let site = "/usr/local/lib/python3.12/site-packages";
        let c = col(&[
            (
                &format!("{site}/extra.pth"),
                "# a comment\n/srv/shared/lib\n\n../../../../../app/vendor  \nimport os; os.system('x')\n/srv/shared/lib\n",
            ),
            (&format!("{site}/__editable__.pkg.pth"), "import __editable___pkg_finder; __editable___pkg_finder.install()\n"),
            (&format!("{site}/six-1.16.0.dist-info/METADATA"), "Name: six\nVersion: 1.16.0\n"),
            ("/srv/shared/lib/six-1.9.0.dist-info/METADATA", "Name: six\nVersion: 1.9.0\n"),
            ("/srv/shared/lib/attrs-23.1.0.dist-info/METADATA", "Name: attrs\nVersion: 23.1.0\n"),
            ("/app/vendor/idna-3.7.dist-info/METADATA", "Name: idna\nVersion: 3.7\n"),
            ("/srv/other/lib/flask-3.0.0.dist-info/METADATA", "Name: flask\nVersion: 3.0.0\n"),
        ]);
        assert_eq!(
            pth_folders(&c).into_iter().collect::<Vec<_>>(),
            [
                ("/app/vendor".to_string(), site.to_string()),
                ("/srv/shared/lib".to_string(), site.to_string()),
            ]
        );
        let g = group(&c, &[]);
        assert_eq!(g.envs.len(), 1, "{:?}", g.envs);
        let env = &g.envs[0];
        let versions: Vec<(&str, &str)> = env
            .packages
            .values()
            .map(|p| (p.name.as_str(), p.version.as_deref().unwrap_or("?")))
            .collect();
        // six from the site folder shadows the one the .pth adds; flask is on no path.
        assert_eq!(
            versions,
            [("attrs", "23.1.0"), ("idna", "3.7"), ("six", "1.16.0")]
        );
        assert_eq!(env.dirs, [site, "/app/vendor", "/srv/shared/lib"]);
    }

    /// Issue 14: two metadata folders of one name at different versions in one site folder
    /// are reported as such (every version, which one is compared), not silently one of them.
    #[test]
    fn one_name_twice_in_one_folder_is_reported_with_both_versions() {
        let site = "/usr/local/lib/python3.12/site-packages";
        let c = col(&[
            (
                &format!("{site}/six-1.15.0.dist-info/METADATA"),
                "Name: six\nVersion: 1.15.0\n",
            ),
            (
                &format!("{site}/six-1.16.0.dist-info/METADATA"),
                "Name: six\nVersion: 1.16.0\n",
            ),
            (
                &format!("{site}/Six-1.9.0.dist-info/METADATA"),
                "Name: Six\nVersion: 1.9.0\n",
            ),
            (
                &format!("{site}/attrs-23.1.0.dist-info/METADATA"),
                "Name: attrs\nVersion: 23.1.0\n",
            ),
            (
                &format!("{site}/attrs-23.1.0.egg-info"),
                "Name: attrs\nVersion: 23.1.0\n",
            ),
        ]);
        let g = group(&c, &[]);
        assert_eq!(g.envs.len(), 1);
        let six = &g.envs[0].packages["six"];
        let messages: Vec<&str> = g.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`attrs` is installed twice in this folder: 23.1.0 (attrs-23.1.0.dist-info), 23.1.0 (attrs-23.1.0.egg-info); 23.1.0 is compared".to_string(),
                format!(
                    "`six` is installed 3 times in this folder, at different versions: 1.9.0 (Six-1.9.0.dist-info), 1.15.0 (six-1.15.0.dist-info), 1.16.0 (six-1.16.0.dist-info); pip and Python use whichever the folder lists first, so {} is compared but another may be the one imported (remove the stale metadata folder)",
                    six.version.as_deref().unwrap()
                ),
            ]
        );
        assert!(g.warnings.iter().all(|w| w.path == site));
    }
}
