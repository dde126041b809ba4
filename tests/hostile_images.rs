//! Issue 14, hostile images against the real engine: site folders that are links to `/` or
//! loop, 20,000 distributions, a 50 MB METADATA, and distribution folder names with `../`
//! and control characters.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::time::Instant;

use support::*;

/// An image FROM scratch whose files a build stage on the suite's base image made with
/// `script` (run with `sh -c`, writing below `/out`). The stage is an image of its own,
/// tagged and removed with the result: the legacy builder would keep an untagged stage
/// image of a multi-stage build behind.
struct StagedImage {
    _image: ImageGuard,
    _stage: ImageGuard,
}

fn staged_image(tag: &str, script: &str) -> StagedImage {
    let (name, version) = tag.split_once(':').unwrap_or((tag, "1"));
    let stage_tag = format!("{name}-stage:{version}");
    let stage = build_image(
        &stage_tag,
        &format!(
            "FROM {}\nCOPY script.sh /script.sh\nRUN mkdir /out && cd /out && sh -e /script.sh\n",
            base_image()
        ),
        &[("script.sh", script.as_bytes())],
        false,
    );
    let image = build_image(
        tag,
        &format!("FROM scratch\nLABEL pindrift.test={tag}\nCOPY --from={stage_tag} /out/ /\n"),
        &[],
        false,
    );
    StagedImage {
        _image: image,
        _stage: stage,
    }
}

fn run(args: &[&str]) -> (i32, String, String) {
    pindrift_env(args, &[])
}

/// Site folders that are links to `/`, or a loop of two links, and a venv whose site folder
/// links to itself: each is named in a warning, the rest (six in Debian's folder) is read,
/// and the exit code is the drift's (0: the image against itself).
#[test]
#[ignore = "needs the Docker Engine"]
fn site_folders_that_are_links_to_root_or_loops_are_named() {
    require_docker();
    let tag = unique("links") + ":1";
    let _img = staged_image(
        &tag,
        "mkdir -p usr/local/lib/python3.11 usr/local/lib/python3.12 \
            usr/lib/python3/dist-packages/six-1.16.0.dist-info opt/venv/lib/python3.11\n\
         printf 'Name: six\\nVersion: 1.16.0\\n' > usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA\n\
         ln -s / usr/local/lib/python3.11/site-packages\n\
         ln -s dist-packages2 usr/local/lib/python3.11/dist-packages\n\
         ln -s dist-packages usr/local/lib/python3.11/dist-packages2\n\
         printf 'home = /usr/bin\\nversion = 3.11.2\\n' > opt/venv/pyvenv.cfg\n\
         ln -s /opt/venv/lib/python3.11/site-packages opt/venv/lib/python3.11/site-packages\n",
    );
    let img = format!("image:{tag}");
    let started = Instant::now();
    let (code, out, err) = run(&["drift", &img, &img, "--all", "--no-cache"]);
    assert!(started.elapsed().as_secs() < 60);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("six  1.16.0 → 1.16.0"), "{out}");
    assert!(
        out.contains("/usr/local/lib/python3.11/site-packages: is a symbolic link to `/`"),
        "{out}"
    );
    assert!(
        out.contains("/usr/local/lib/python3.11/dist-packages: is a loop of symbolic links"),
        "{out}"
    );
    assert!(containers_of(&tag).is_empty());
}

/// 20,000 distributions in one site folder: all read, the image equals itself; time and
/// peak memory are printed (run with --nocapture to see them).
#[test]
#[ignore = "needs the Docker Engine"]
fn twenty_thousand_distributions_are_read() {
    require_docker();
    let tag = unique("many") + ":1";
    // The image is imported from a tar written here, not built: the test knows exactly
    // which 20,000 distributions the image holds (a RUN writing 60,000 files through the
    // legacy builder on fuse-overlayfs took minutes and twice gave an image one short).
    let site = "usr/local/lib/python3.11/site-packages";
    let mut layer = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8], mode: u32, kind: tar::EntryType| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(1_700_000_000);
        layer.append_data(&mut header, path, data).unwrap();
    };
    let mut folder = String::new();
    for part in site.split('/') {
        folder = if folder.is_empty() {
            part.to_string()
        } else {
            format!("{folder}/{part}")
        };
        add(&format!("{folder}/"), b"", 0o755, tar::EntryType::Directory);
    }
    for i in 0..20000 {
        let dist = format!("{site}/pkg{i}-1.{}.dist-info", i % 97);
        add(&format!("{dist}/"), b"", 0o755, tar::EntryType::Directory);
        let metadata = format!(
            "Metadata-Version: 2.1\nName: pkg{i}\nVersion: 1.{}\nSummary: generated\n\n{}",
            i % 97,
            "body ".repeat(40)
        );
        add(
            &format!("{dist}/METADATA"),
            metadata.as_bytes(),
            0o644,
            tar::EntryType::Regular,
        );
        let record = format!("pkg{i}/__init__.py,,\n");
        add(
            &format!("{dist}/RECORD"),
            record.as_bytes(),
            0o644,
            tar::EntryType::Regular,
        );
    }
    let layer = layer.into_inner().unwrap();
    let _img = import_image(&tag, &layer);
    let img = format!("image:{tag}");
    let started = Instant::now();
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "maxrss_kib=%M", env!("CARGO_BIN_EXE_pindrift")])
        // No Python version hint in this image: every known site folder is archived, and
        // the engine answers them one at a time per container, behind the big one.
        .args([
            "drift",
            &img,
            &img,
            "--all",
            "--format",
            "json",
            "--no-cache",
        ])
        .args(["--timeout", "600"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let changes = v["changes"].as_array().unwrap();
    let names: std::collections::HashSet<&str> =
        changes.iter().filter_map(|c| c["name"].as_str()).collect();
    let missing: Vec<String> = (0..20000)
        .map(|i| format!("pkg{i}"))
        .filter(|n| !names.contains(n.as_str()))
        .collect();
    assert_eq!(
        changes.len(),
        20000,
        "missing {missing:?}; warnings {}; notes {}; stderr {stderr}",
        v["warnings"],
        v["notes"]
    );
    assert!(changes.iter().all(|c| c["change"] == "unchanged"));
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .unwrap_or("?");
    eprintln!(
        "20,000 distributions: {:.1} s, peak RSS {rss} KiB (debug build, image read twice)",
        elapsed.as_secs_f64()
    );
    assert!(containers_of(&tag).is_empty());
}

/// A 50 MB METADATA (a 50 MB description after small headers) and a METADATA whose header
/// section alone is 1 MB: both read from their headers; the cut header section is named.
#[test]
#[ignore = "needs the Docker Engine"]
fn a_fifty_megabyte_metadata_is_read_from_its_headers() {
    require_docker();
    let tag = unique("bigmeta") + ":1";
    let _img = staged_image(
        &tag,
        "site=usr/local/lib/python3.11/site-packages\n\
         mkdir -p $site/big-1.0.dist-info $site/long-2.0.dist-info\n\
         { printf 'Name: big\\nVersion: 1.0\\n\\n'; head -c 52428800 /dev/zero | tr '\\0' x; } > $site/big-1.0.dist-info/METADATA\n\
         { printf 'Name: long\\nVersion: 2.0\\n'; yes 'Classifier: x' | head -c 1048576; } > $site/long-2.0.dist-info/METADATA\n",
    );
    let img = format!("image:{tag}");
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "maxrss_kib=%M", env!("CARGO_BIN_EXE_pindrift")])
        .args(["drift", &img, &img, "--all", "--no-cache"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("big   1.0 → 1.0"), "{stdout}");
    assert!(stdout.contains("long  2.0 → 2.0"), "{stdout}");
    assert!(
        stdout.contains("long-2.0.dist-info/METADATA: the metadata header section is longer than"),
        "{stdout}"
    );
    let rss: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kib="))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    eprintln!("50 MB METADATA: peak RSS {rss} KiB");
    assert!(rss < 48 * 1024, "peak RSS {rss} KiB: a 50 MB file was held");
    assert!(containers_of(&tag).is_empty());
}

/// Distribution folders named with `..`, ESC sequences, BEL, `\r` and a newline, without a
/// `Name:` (so the name comes from the folder), and a `Name:` of `../../etc/passwd`: escaped in
/// table, markdown and github output, valid JSON, and no file is made from them on the host.
#[test]
#[ignore = "needs the Docker Engine"]
fn hostile_distribution_names_are_escaped_everywhere() {
    require_docker();
    let tag = unique("names") + ":1";
    let _img = staged_image(
        &tag,
        "site=usr/local/lib/python3.11/site-packages\n\
         mkdir -p $site\n\
         d=\"$site/$(printf '..\\033]0;pwned\\007\\033[31mred\\r\\nx')-1.0.dist-info\"\n\
         mkdir -p \"$d\" && printf 'Metadata-Version: 2.1\\n' > \"$d/METADATA\"\n\
         mkdir -p $site/dots-1.0.dist-info\n\
         printf 'Name: ../../etc/passwd\\nVersion: 1.0\\033[2K\\n' > $site/dots-1.0.dist-info/METADATA\n",
    );
    let img = format!("image:{tag}");
    let dir = tempfile::tempdir().unwrap();
    let freeze = dir.path().join("f.txt");
    std::fs::write(&freeze, "").unwrap();
    let f = format!("freeze:{}", freeze.display());
    let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    for format in ["table", "markdown", "github", "json"] {
        let (code, out, err) = pindrift_env(
            &["drift", &img, &f, "--format", format, "--no-cache"],
            &[(
                "PINDRIFT_CACHE_DIR",
                dir.path().join("cache").to_str().unwrap(),
            )],
        );
        assert_eq!(code, 1, "{format}: {out}\n{err}");
        for raw in ['\x1b', '\x07', '\r'] {
            assert!(!out.contains(raw), "{format}: raw {raw:?} in\n{out}");
            assert!(!err.contains(raw), "{format}: raw {raw:?} in\n{err}");
        }
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            let names: Vec<&str> = v["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert!(names.iter().any(|n| n.contains("etc/passwd")), "{names:?}");
            assert!(
                names.iter().any(|n| n.contains("\x1b]0;pwned")),
                "{names:?}"
            );
        } else {
            assert!(out.contains("etc/passwd"), "{format}: {out}");
            assert!(out.contains("pwned"), "{format}: {out}");
        }
    }
    // Nothing named by the image appeared on the host (only the cache folder).
    let after: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(before.len(), after.len(), "{after:?}");
    assert!(!std::path::Path::new("/etc/passwd.dist-info").exists());
    assert!(containers_of(&tag).is_empty());
}
