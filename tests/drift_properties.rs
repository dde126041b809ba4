//! Property tests for drift's comparison (issue 14): an inventory compared with itself has
//! no drift, and the comparison is antisymmetric: what A→B adds, B→A removes; what A→B
//! upgrades, B→A downgrades (by the same bump); the same names on both sides.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};

use pindrift::drift::{compare, ChangeKind, DriftOutcome};
use pindrift::inventory::{
    DirectUrl, EnvKind, Inventory, OsInventory, OsPackage, Package, PythonEnv, SourceInfo,
    SourceKind,
};
use proptest::prelude::*;

fn pick(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(choices).prop_map(str::to_string)
}

/// PEP 440 versions (equal ones spelled differently, pre/post/dev/local, epochs) and a few
/// that are not PEP 440 at all.
fn python_version() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.9,
        pick(&[
            "1.0",
            "1.0.0",
            "1",
            "1.0.1",
            "1.1",
            "2.0",
            "2.0rc1",
            "2.0a1",
            "2.0.post1",
            "2.0.dev3",
            "1.0+local",
            "1.0+other",
            "1!0.5",
            "v1.0",
            "01.0",
            "1.0-1",
            "not-a-version",
            "",
            "1.0.0.0.0",
            "2024.1",
            "0.0",
        ]),
    )
}

fn direct() -> impl Strategy<Value = Option<DirectUrl>> {
    prop::option::weighted(
        0.2,
        (
            pick(&[
                "git+https://h.example/r.git",
                "git+https://h.example/r.git@v1",
                "https://h.example/p-1.0.tar.gz",
                "file:///src/p",
            ]),
            pick(&["vcs", "archive", "editable", "dir"]),
            prop::option::of(pick(&["1234567890abcdef", "fedcba0987654321"])),
        )
            .prop_map(|(url, kind, commit)| DirectUrl { url, kind, commit }),
    )
}

fn python_packages() -> impl Strategy<Value = BTreeMap<String, Package>> {
    prop::collection::btree_map(
        pick(&[
            "flask",
            "six",
            "requests",
            "numpy",
            "pip",
            "attrs",
            "zope-interface",
        ]),
        (python_version(), direct()),
        0..6,
    )
    .prop_map(|map| {
        map.into_iter()
            .map(|(name, (version, direct))| {
                let package = Package {
                    display_name: name.clone(),
                    name: name.clone(),
                    version,
                    direct,
                    location: format!("/site/{name}.dist-info/METADATA"),
                };
                (name, package)
            })
            .collect()
    })
}

/// Debian and Alpine versions, with epochs, revisions, tildes and odd characters.
fn os_version() -> impl Strategy<Value = String> {
    pick(&[
        "1.0",
        "1.0-1",
        "1.0-2",
        "1:1.0-1",
        "2:0.9",
        "1.0~rc1-1",
        "1.0+deb12u1",
        "1.0-r0",
        "1.0-r1",
        "1.0_p1-r0",
        "1.0a",
        "1.0.0",
        "1.00",
        "1..0",
        "",
        "~",
        "-",
        "a",
        "1.0-",
        "0:1.0",
        "1.0~~",
        "1.0~",
        "1.0+",
        "1.2.3-0ubuntu1",
        "1.2.3-0ubuntu1.1",
    ])
}

fn os_packages() -> impl Strategy<Value = BTreeMap<String, OsPackage>> {
    prop::collection::btree_map(
        pick(&["libc6", "openssl", "zlib1g", "bash", "musl"]),
        os_version(),
        0..5,
    )
    .prop_map(|map| {
        map.into_iter()
            .map(|(name, version)| {
                let package = OsPackage {
                    name: name.clone(),
                    version,
                    arch: None,
                };
                (name, package)
            })
            .collect()
    })
}

fn inventory() -> impl Strategy<Value = Inventory> {
    (
        prop::collection::vec(
            (
                pick(&["system", "venv:/opt/venv", "user:/root/.local"]),
                python_packages(),
            ),
            0..3,
        ),
        prop::option::of(os_packages()),
    )
        .prop_map(|(envs, os)| {
            let mut seen = BTreeSet::new();
            let envs = envs
                .into_iter()
                .filter(|(key, _)| seen.insert(key.clone()))
                .map(|(key, packages)| {
                    let mut env = PythonEnv::new(key, EnvKind::System);
                    env.packages = packages;
                    env
                })
                .collect();
            Inventory {
                source: SourceInfo::file("image:x", SourceKind::Image),
                envs,
                os: os.map(|packages| OsInventory {
                    manager: "dpkg".to_string(),
                    sources: vec!["/var/lib/dpkg/status".to_string()],
                    packages,
                }),
                warnings: Vec::new(),
                requirements: Vec::new(),
            }
        })
}

/// Every row of an outcome: (section, name, change, bump, before, after).
type Row = (
    String,
    String,
    ChangeKind,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn rows(outcome: &DriftOutcome) -> Vec<Row> {
    let mut out = Vec::new();
    for env in &outcome.envs {
        for c in &env.changes {
            out.push((
                format!("env {}", env.env),
                c.name.clone(),
                c.change,
                c.bump.map(|b| b.as_str().to_string()),
                c.before.clone(),
                c.after.clone(),
            ));
        }
    }
    for c in outcome.os.iter().flatten() {
        out.push((
            "os".to_string(),
            c.name.clone(),
            c.change,
            c.bump.map(|b| b.as_str().to_string()),
            c.before.clone(),
            c.after.clone(),
        ));
    }
    out.sort();
    out
}

fn mirrored(kind: ChangeKind) -> ChangeKind {
    match kind {
        ChangeKind::Added => ChangeKind::Removed,
        ChangeKind::Removed => ChangeKind::Added,
        ChangeKind::Upgrade => ChangeKind::Downgrade,
        ChangeKind::Downgrade => ChangeKind::Upgrade,
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn an_inventory_has_no_drift_against_itself(a in inventory()) {
        let ignore = BTreeSet::new();
        let outcome = compare(&a, &a, None, &ignore).unwrap();
        prop_assert!(!outcome.has_drift(), "{:?}", rows(&outcome));
        for row in rows(&outcome) {
            prop_assert_eq!(row.2, ChangeKind::Unchanged, "{:?}", row);
        }
    }

    #[test]
    fn drift_is_antisymmetric(a in inventory(), b in inventory()) {
        let ignore = BTreeSet::new();
        let forward = compare(&a, &b, None, &ignore);
        let backward = compare(&b, &a, None, &ignore);
        prop_assert_eq!(forward.is_ok(), backward.is_ok());
        let (Ok(forward), Ok(backward)) = (forward, backward) else {
            return Ok(());
        };
        prop_assert_eq!(forward.has_drift(), backward.has_drift());
        let mut expected: Vec<Row> = rows(&forward)
            .into_iter()
            .map(|(section, name, kind, bump, before, after)| {
                (section, name, mirrored(kind), bump, after, before)
            })
            .collect();
        expected.sort();
        prop_assert_eq!(expected, rows(&backward));
    }
}
