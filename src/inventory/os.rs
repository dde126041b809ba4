//! OS package databases: dpkg (`/var/lib/dpkg/status`, `status.d/*` as in distroless images)
//! and apk (`/lib/apk/db/installed`).

use std::collections::BTreeMap;

use super::{OsPackage, Warning};

/// Parse dpkg status stanzas. Packages whose `Status` is present and not `installed` (e.g.
/// `deinstall ok config-files`) are skipped; distroless `status.d` files carry no `Status`.
pub fn parse_dpkg_inventory(
    text: &str,
    path: &str,
    out: &mut BTreeMap<String, OsPackage>,
    warnings: &mut Vec<Warning>,
) {
    for (start_line, stanza) in stanzas(text) {
        let mut name = None;
        let mut version = None;
        let mut arch = None;
        let mut status = None;
        for line in stanza.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                let v = v.trim();
                match k {
                    "Package" => name = Some(v.to_string()),
                    "Version" => version = Some(v.to_string()),
                    "Architecture" => arch = Some(v.to_string()),
                    "Status" => status = Some(v.to_string()),
                    _ => {}
                }
            }
        }
        if let Some(s) = &status {
            if !s.ends_with(" installed") {
                continue;
            }
        }
        let at = || format!("{path}:{start_line}");
        record(
            out,
            warnings,
            name,
            version,
            arch,
            at,
            "dpkg stanza without Package or Version",
        );
    }
}

/// Parse apk's installed database.
pub fn parse_apk_inventory(
    text: &str,
    path: &str,
    out: &mut BTreeMap<String, OsPackage>,
    warnings: &mut Vec<Warning>,
) {
    for (start_line, stanza) in stanzas(text) {
        let mut name = None;
        let mut version = None;
        let mut arch = None;
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("P:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("V:") {
                version = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("A:") {
                arch = Some(v.trim().to_string());
            }
        }
        let at = || format!("{path}:{start_line}");
        record(
            out,
            warnings,
            name,
            version,
            arch,
            at,
            "apk record without P: or V:",
        );
    }
}

/// Blank-line separated blocks with their 1-based first line.
fn stanzas(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push((start, std::mem::take(&mut cur)));
            }
            continue;
        }
        if cur.is_empty() {
            start = i + 1;
        }
        cur.push_str(line);
        cur.push('\n');
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

/// Keeps a complete record, or warns (naming `at()`) about an incomplete one.
fn record(
    out: &mut BTreeMap<String, OsPackage>,
    warnings: &mut Vec<Warning>,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    at: impl Fn() -> String,
    incomplete: &str,
) {
    match (name, version) {
        (Some(name), Some(version)) => {
            out.insert(
                name.clone(),
                OsPackage {
                    name,
                    version,
                    arch,
                },
            );
        }
        _ => warnings.push(Warning {
            path: at(),
            message: incomplete.into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg() {
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n\
                    Version: 2.36-9+deb12u10\nDescription: GNU C\n long text\n\n\
                    Package: old\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
                    Package: broken\n\n";
        let mut out = BTreeMap::new();
        let mut w = Vec::new();
        parse_dpkg_inventory(text, "/var/lib/dpkg/status", &mut out, &mut w);
        assert_eq!(out.len(), 1);
        assert_eq!(out["libc6"].version, "2.36-9+deb12u10");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].path, "/var/lib/dpkg/status:12");
    }

    #[test]
    fn apk() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\n";
        let mut out = BTreeMap::new();
        let mut w = Vec::new();
        parse_apk_inventory(text, "/lib/apk/db/installed", &mut out, &mut w);
        assert_eq!(out["musl"].version, "1.2.4-r2");
        assert_eq!(out["busybox"].version, "1.36.1-r5");
        assert!(w.is_empty());
    }
}
