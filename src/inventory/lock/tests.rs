use super::*;
use crate::drift::reqcheck::{check, MarkerFacts};
use crate::inventory::Package;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/drift/lock/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn parse(format: LockFormat, name: &str) -> Vec<ReqEntry> {
    let (entries, warnings) = parse_lock(format, &fixture(name), name).unwrap();
    assert_eq!(warnings, []);
    entries
}

fn find<'a>(entries: &'a [ReqEntry], name: &str, spec: &str) -> &'a ReqEntry {
    entries
        .iter()
        .find(|e| e.name == name && e.specifier() == spec)
        .unwrap_or_else(|| panic!("no {name} {spec} in {entries:#?}"))
}

fn installed(pairs: &[(&str, &str)]) -> BTreeMap<String, Package> {
    pairs
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                Package {
                    name: n.to_string(),
                    display_name: n.to_string(),
                    version: Some(v.to_string()),
                    direct: None,
                    location: "site".into(),
                },
            )
        })
        .collect()
}

/// Each result as `name status`, for the environment given.
fn statuses(
    entries: &[ReqEntry],
    packages: &BTreeMap<String, Package>,
    python: &str,
    platform: &str,
) -> Vec<String> {
    let facts = MarkerFacts {
        python_version: Some(python.into()),
        platform: Some(platform.into()),
    };
    check(
        "lock:x",
        "after",
        "image:x",
        "system",
        entries,
        packages,
        &facts,
        &BTreeSet::new(),
        false,
    )
    .results
    .iter()
    .map(|r| format!("{} {}", r.name, r.status.as_str()))
    .collect()
}

#[test]
fn full_version_markers() {
    for (given, want) in [
        ("python_full_version < '3.12'", "python_version < '3.12'"),
        ("python_full_version >= \"3.10\"", "python_version >= \"3.10\""),
        // Not equivalent: a patch release is greater than `3.12`, or a third component.
        ("python_full_version > '3.12'", "python_full_version > '3.12'"),
        ("python_full_version < '3.12.4'", "python_full_version < '3.12.4'"),
        ("python_full_version == '3.12'", "python_full_version == '3.12'"),
        (
            "sys_platform == 'linux' and python_full_version >= '3.11' and python_full_version < '3.13.1'",
            "sys_platform == 'linux' and python_version >= '3.11' and python_full_version < '3.13.1'",
        ),
        ("python_full_version", "python_full_version"),
    ] {
        assert_eq!(python_version_marker(given), want, "{given}");
    }
}

#[test]
fn file_names() {
    assert_eq!(LockFormat::from_file_name("uv.lock"), Some(LockFormat::Uv));
    assert_eq!(
        LockFormat::from_file_name("pylock.prod.toml"),
        Some(LockFormat::Pylock)
    );
    assert_eq!(LockFormat::from_file_name("pylock..toml"), None);
    assert_eq!(LockFormat::from_file_name("Cargo.lock"), None);
    assert_eq!(LockFormat::from_file_name("requirements.lock"), None);
}

#[test]
fn uv_markers_follow_the_graph() {
    let e = parse(LockFormat::Uv, "uv.lock");
    // Unconditional through fastapi → pydantic.
    let p = find(&e, "pydantic-core", "==2.23.4");
    assert_eq!(p.marker, None);
    assert!(!p.constraint);
    assert_eq!(p.location, "uv.lock:160");
    // Two paths, both conditional: anyio's edge, and uvicorn's.
    let t = find(&e, "exceptiongroup", "==1.2.2");
    assert_eq!(t.marker.as_deref(), Some("python_version < '3.11'"));
    // typing-extensions has an unconditional path (fastapi): no marker at all.
    assert_eq!(find(&e, "typing-extensions", "==4.12.2").marker, None);
    // The fork: one entry per version, each with its edge's marker.
    assert_eq!(
        find(&e, "numpy", "==1.26.4").marker.as_deref(),
        Some("python_version < '3.12'")
    );
    // uvloop only through uvicorn[standard].
    let u = find(&e, "uvloop", "==0.21.0");
    assert!(u
        .marker
        .as_deref()
        .unwrap()
        .contains("platform_python_implementation"));
    assert!(!u.constraint);
    // colorama: through click and through uvicorn[standard] (same marker, one clause).
    assert_eq!(
        find(&e, "colorama", "==0.4.6").marker.as_deref(),
        Some("sys_platform == 'win32'")
    );
    // Dev group and the root's extra: constraints, never dropped.
    assert!(find(&e, "pytest", "==8.3.3").constraint);
    assert!(find(&e, "iniconfig", "==2.0.0").constraint);
    assert!(find(&e, "prometheus-client", "==0.21.0").constraint);
    // The project itself, editable: checked if installed.
    let root = find(&e, "orders-api", "@ .");
    assert!(root.constraint && root.editable);
    // A package reached only through a dev dependency's conditional edge keeps both.
    let tomli = find(&e, "tomli", "==2.0.2");
    assert!(tomli.constraint);
    assert_eq!(tomli.marker.as_deref(), Some("python_version < '3.11'"));
    assert_eq!(e.len(), 24);
}

#[test]
fn uv_against_linux_312() {
    let e = parse(LockFormat::Uv, "uv.lock");
    let env = installed(&[
        ("annotated-types", "0.7.0"),
        ("anyio", "4.6.2.post1"),
        ("click", "8.1.7"),
        ("fastapi", "0.115.4"),
        ("h11", "0.14.0"),
        ("idna", "3.10"),
        ("numpy", "2.1.3"),
        ("pydantic", "2.9.2"),
        ("pydantic-core", "2.23.4"),
        ("sniffio", "1.3.1"),
        ("starlette", "0.41.3"),
        ("typing-extensions", "4.12.2"),
        ("uvicorn", "0.32.0"),
        ("httptools", "0.6.4"),
    ]);
    let s = statuses(&e, &env, "3.12", "linux");
    for want in [
        "numpy not-applicable",
        "numpy satisfied",
        "starlette violated",
        "colorama not-applicable",
        "exceptiongroup not-applicable",
        // Its marker needs the interpreter's implementation, which is not known.
        "uvloop unknown",
        "pytest not-applicable",
        "orders-api not-applicable",
        "httptools not-in-requirements",
    ] {
        assert!(s.contains(&want.to_string()), "{want} not in {s:#?}");
    }
    // On 3.11 the other numpy applies, and 2.1.3 is a violation of the 1.26.4 entry.
    let s = statuses(&e, &env, "3.11", "linux");
    assert!(s.contains(&"numpy violated".to_string()), "{s:#?}");
}

#[test]
fn poetry_groups_and_markers() {
    let e = parse(LockFormat::Poetry, "poetry.lock");
    assert_eq!(e.len(), 6);
    let c = find(&e, "colorama", "==0.4.6");
    assert_eq!(
        c.marker.as_deref(),
        Some("(platform_system == \"Windows\")")
    );
    assert!(!c.constraint);
    assert!(find(&e, "pytest", "==8.3.3").constraint);
    let auth = find(
        &e,
        "internal-auth",
        "@ git+https://git.example.com/platform/internal-auth.git@8f3c2a91d0b6e4f7a5c3d2e1f0a9b8c7d6e5f4a3",
    );
    assert_eq!(auth.location, "poetry.lock:48");
    let env = installed(&[
        ("celery", "5.4.0"),
        ("django", "5.1.2"),
        ("internal-auth", "2.3.1"),
    ]);
    let s = statuses(&e, &env, "3.12", "linux");
    assert_eq!(
        s,
        [
            "celery satisfied",
            "colorama not-applicable",
            "django violated",
            "internal-auth satisfied",
            "pytest not-applicable",
            "tzdata not-applicable",
        ]
    );
}

#[test]
fn pipfile_default_and_develop() {
    let e = parse(LockFormat::Pipfile, "Pipfile.lock");
    assert_eq!(e.len(), 5);
    assert_eq!(find(&e, "flask", "==3.0.3").location, "Pipfile.lock:19");
    assert!(find(&e, "pytest", "==8.3.3").constraint);
    let r = e.iter().find(|e| e.name == "reportlib").unwrap();
    assert!(r.editable);
    let env = installed(&[("flask", "3.0.3"), ("pytest", "7.4.0")]);
    let s = statuses(&e, &env, "3.11", "linux");
    assert_eq!(
        s,
        [
            "flask satisfied",
            "gunicorn missing",
            "pywin32 not-applicable",
            "reportlib missing",
            "pytest violated",
        ]
    );
}

#[test]
fn pylock_pep751() {
    let e = parse(LockFormat::Pylock, "pylock.toml");
    assert_eq!(e.len(), 5);
    assert_eq!(find(&e, "requests", "==2.32.3").location, "pylock.toml:16");
    assert!(find(&e, "pytest", "==8.3.3").constraint);
    let b = e.iter().find(|e| e.name == "billing-core").unwrap();
    assert_eq!(
        b.specifier(),
        "@ git+https://github.com/example/billing-core.git@4a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    );
    let env = installed(&[("certifi", "2024.8.30"), ("requests", "2.31.0")]);
    let s = statuses(&e, &env, "3.12", "linux");
    assert_eq!(
        s,
        [
            "certifi satisfied",
            "requests violated",
            "pywin32 not-applicable",
            "pytest not-applicable",
            "billing-core missing",
        ]
    );
}

#[test]
fn broken_and_unknown_files() {
    assert!(parse_lock(LockFormat::Uv, "[[package]\n", "uv.lock").is_err());
    assert!(parse_lock(LockFormat::Pipfile, "{\"default\": [", "Pipfile.lock").is_err());
    let err = parse_lock(
        LockFormat::Pylock,
        "lock-version = \"2.0\"\n",
        "pylock.toml",
    )
    .unwrap_err();
    assert!(err.contains("2.0"), "{err}");
    // Empty but valid: nothing to compare, no error.
    assert_eq!(
        parse_lock(LockFormat::Uv, "version = 1\n", "uv.lock")
            .unwrap()
            .0,
        []
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("Cargo.lock");
    std::fs::write(&p, "").unwrap();
    assert!(matches!(
        read_lock(&p, 1024),
        Err(LockFileError::UnknownFormat { .. })
    ));
    let p = dir.path().join("uv.lock");
    std::fs::write(&p, fixture("uv.lock")).unwrap();
    assert!(matches!(
        read_lock(&p, 100),
        Err(LockFileError::Read { .. })
    ));
    assert_eq!(read_lock(&p, 1 << 20).unwrap().0.len(), 24);
}

/// Many conditional paths to one package stay bounded.
#[test]
fn marker_paths_are_bounded() {
    let mut text = String::from("version = 1\n[[package]]\nname = \"app\"\nversion = \"1\"\nsource = { editable = \".\" }\ndependencies = [\n");
    for i in 0..40 {
        text.push_str(&format!(
            "  {{ name = \"mid{i}\", marker = \"python_version == '3.{i}'\" }},\n"
        ));
    }
    text.push_str("]\n");
    for i in 0..40 {
        text.push_str(&format!("[[package]]\nname = \"mid{i}\"\nversion = \"1\"\nsource = {{ registry = \"r\" }}\ndependencies = [{{ name = \"leaf\" }}]\n"));
    }
    text.push_str("[[package]]\nname = \"leaf\"\nversion = \"1\"\nsource = { registry = \"r\" }\n");
    let (e, w) = parse_lock(LockFormat::Uv, &text, "uv.lock").unwrap();
    let leaf = e.iter().find(|e| e.name == "leaf").unwrap();
    assert_eq!(leaf.marker, None);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.contains("leaf"));
}
