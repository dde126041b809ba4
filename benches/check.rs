//! `discover` + `check` over the synthetic monorepo of `../shared/bench/gen-tree.py`
//! (1,000 services: 10k files, 1,000 requirements files, 1,000+ Dockerfiles).
//!
//! `cargo bench --bench check`. The tree is generated into a temporary folder in the
//! setup; without the script (no `../shared`) the bench says so and does nothing.
//! Whole-process numbers (hyperfine, peak RSS) are in bench/README.md.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use criterion::{criterion_group, criterion_main, Criterion};
use pindrift::config::Settings;
use pindrift::discover::discover;
use pindrift::lint::check;
use std::path::PathBuf;
use std::process::Command;

fn generate_tree() -> Option<(tempfile::TempDir, PathBuf)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen-tree.py");
    if !script.is_file() {
        eprintln!("SKIPPED: {} is absent", script.display());
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    let tree = dir.path().join("tree");
    let status = Command::new("python3")
        .arg(&script)
        .arg(&tree)
        .args(["--services", "1000"])
        .status();
    match status {
        Ok(status) if status.success() => Some((dir, tree)),
        other => {
            eprintln!("SKIPPED: gen-tree.py failed: {other:?}");
            None
        }
    }
}

fn bench_check(c: &mut Criterion) {
    let Some((_dir, tree)) = generate_tree() else {
        return;
    };
    let settings = Settings::default();
    let roots = vec![tree.clone()];
    let files = discover(&roots, None, &settings).expect("discover");
    eprintln!(
        "tree: {} files to lint, {} findings",
        files.len(),
        check(&files, &settings).findings.len()
    );
    let mut group = c.benchmark_group("tree-1000-services");
    group.sample_size(20);
    group.bench_function("discover", |b| {
        b.iter(|| discover(&roots, None, &settings).expect("discover"))
    });
    group.bench_function("check", |b| b.iter(|| check(&files, &settings)));
    group.bench_function("discover+check", |b| {
        b.iter(|| {
            let files = discover(&roots, None, &settings).expect("discover");
            check(&files, &settings)
        })
    });
    group.finish();
}

/// Include graphs (issue 14): a 10,000-deep `-r` chain, one file included from 10,000
/// files, and one file including 10,000 files. Generated here; no `../shared` needed.
fn bench_include_graphs(c: &mut Criterion) {
    const N: usize = 10_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = dir.path().join("deep");
    let wide = dir.path().join("wide");
    let fan_in = dir.path().join("fan-in");
    for folder in [&deep, &wide, &fan_in] {
        std::fs::create_dir_all(folder).expect("mkdir");
    }
    let write = |path: PathBuf, text: String| std::fs::write(path, text).expect("write");
    for i in 0..N {
        write(
            deep.join(format!("r{i}.txt")),
            format!("-r r{}.txt\npkg{i}\n", i + 1),
        );
        write(wide.join(format!("d{i}.txt")), format!("pkg{i}==1.0\n"));
        write(
            fan_in.join(format!("svc{i}-requirements.txt")),
            "-r common.txt\nflask==3.0.3\n".to_string(),
        );
    }
    write(deep.join(format!("r{N}.txt")), "last==1.0\n".to_string());
    write(
        wide.join("requirements.txt"),
        (0..N).map(|i| format!("-r d{i}.txt\n")).collect(),
    );
    write(fan_in.join("common.txt"), "shared\n".to_string());
    let settings = Settings::default();
    let mut group = c.benchmark_group("include-graphs-10000");
    group.sample_size(10);
    for (name, path) in [
        ("deep-chain", deep.join("r0.txt")),
        ("fan-out", wide.join("requirements.txt")),
        ("fan-in", fan_in.clone()),
    ] {
        let roots = vec![path];
        group.bench_function(name, |b| {
            b.iter(|| {
                let files = discover(&roots, None, &settings).expect("discover");
                check(&files, &settings)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_check, bench_include_graphs);
criterion_main!(benches);
