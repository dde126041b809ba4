//! Suppression comments end to end (issue 7, item 4): both forms in both file kinds,
//! unknown codes (PD004), unused suppressions (PD003, strict only), hadolint comments.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use assert_cmd::Command;
use predicates::prelude::*;

fn pindrift() -> Command {
    let mut cmd = Command::cargo_bin("pindrift").unwrap();
    cmd.env_remove("NO_COLOR").env("CI", "true");
    cmd
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn line_before_form_works_in_requirements_files() {
    let dir = tree(&[(
        "requirements.txt",
        "# pindrift: ignore[PD101] pinned by the base image\n# another comment\nrequests\n",
    )]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn same_line_form_works_in_dockerfile_run() {
    let dir = tree(&[(
        "Dockerfile",
        "FROM python:3.12\nRUN pip install flask  # pindrift: ignore[PD101]\nRUN pip install \\\n    celery  # pindrift: ignore[PD101]\n",
    )]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn a_trailing_hash_on_from_is_not_a_comment() {
    let dir = tree(&[("Dockerfile", "FROM python # pindrift: ignore[PD201]\n")]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Dockerfile:1:6: PD201"));
}

#[test]
fn unknown_codes_are_warnings_with_file_and_line() {
    let dir = tree(&[
        (
            "requirements.txt",
            "flask==3.0.3  # pindrift: ignore[PD11]\n",
        ),
        (
            "Dockerfile",
            "FROM python:3.12\n# pindrift: ignore[XX101]\nRUN pip install flask==3.0.3\n",
        ),
    ]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Dockerfile:2:20: PD004 [warning] `XX101` in a suppression is not a pindrift rule",
        ))
        .stdout(predicate::str::contains(
            "requirements.txt:1:34: PD004 [warning] `PD11` in a suppression is not a pindrift rule",
        ));
}

#[test]
fn unused_suppressions_are_reported_only_when_strict_or_selected() {
    let dir = tree(&[
        (
            "requirements.txt",
            "flask==3.0.3  # pindrift: ignore[PD101]\n",
        ),
        (
            "Dockerfile",
            "FROM python:3.12\nRUN pip install flask==3.0.3  # pindrift: ignore\n",
        ),
    ]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(0);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--strict", "--select", "PD003"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "Dockerfile:2:43: PD003 [warning] suppression of `ignore` (every code) suppressed nothing",
        ))
        .stdout(predicate::str::contains(
            "requirements.txt:1:34: PD003 [warning] suppression of `PD101` suppressed nothing",
        ));
    // Named in the configuration, it runs in the default profile too.
    std::fs::write(
        dir.path().join("pindrift.toml"),
        "[rules]\nPD003 = \"note\"\n",
    )
    .unwrap();
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--fail-on", "note"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("PD003 [note]").count(2));
}

#[test]
fn a_suppression_needed_by_one_install_is_not_unused() {
    // common.txt is read by two installs; only one of them pins `requests` by constraint.
    let dir = tree(&[
        ("common.txt", "requests  # pindrift: ignore[PD101]\n"),
        ("requirements.txt", "-r common.txt\n"),
        (
            "requirements-dev.txt",
            "-r common.txt\n-c constraints.txt\n",
        ),
        ("constraints.txt", "requests==2.32.3\n"),
    ]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--strict", "--select", "PD003"])
        .assert()
        .code(0);
}

#[test]
fn hadolint_comments_still_map_and_are_never_unused() {
    let dir = tree(&[(
        "Dockerfile",
        "FROM debian:12.5@sha256:3d7b7e1ad8e3bba8a0a6e1ae26a1da7ff1b8c6d7ab2a6e9cd4b0a5b07ce1c8c2\n\
         # hadolint ignore=DL3008,DL3009\nRUN apt-get install -y curl\n\
         # hadolint ignore=DL3013\nRUN pip install flask==3.0.3\n",
    )]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--strict"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn shell_comments_in_sh_c_bodies_and_heredocs_suppress_their_line() {
    let dir = tree(&[(
        "Dockerfile",
        "FROM python:3.12\n\
         RUN sh -c 'pip install flask # pindrift: ignore[PD101]'\n\
         RUN <<EOF\n\
         pip install celery # pindrift: ignore[PD101]\n\
         # pindrift: ignore[PD101]\n\
         pip install kombu\n\
         EOF\n",
    )]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn hadolint_global_ignore_covers_the_whole_file() {
    let dir = tree(&[(
        "Dockerfile",
        "# syntax=docker/dockerfile:1\n# hadolint global ignore=DL3008,DL3003\n\nFROM debian:12.5\n\nRUN apt-get install -y curl\n\nRUN apt-get install -y git\n",
    )]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn hadolint_global_ignore_counts_wherever_it_stands() {
    // hadolint collects every comment line of the file: after a blank line, between
    // instructions and at the end, with blanks around `=` and `,`.
    for pragma_at in ["middle", "end"] {
        let pragma = "#  hadolint global ignore = DL3009 , DL3033 # floats on purpose\n";
        let mut text = String::from("FROM rockylinux:9.3\n\nRUN yum install -y curl\n\n");
        if pragma_at == "middle" {
            text.push_str(pragma);
            text.push_str("\nRUN yum install -y git\n");
        } else {
            text.push_str("RUN yum install -y git\n\n");
            text.push_str(pragma);
        }
        let dir = tree(&[("Dockerfile", text.as_str())]);
        pindrift()
            .current_dir(dir.path())
            .args(["check", "--no-config"])
            .assert()
            .code(0)
            .stdout("No problems in 1 file.\n");
    }
    // Without the pragma both packages are reported, and `# hadolint shell=` changes nothing.
    let dir = tree(&[(
        "Dockerfile",
        "# hadolint shell=/bin/bash\nFROM rockylinux:9.3\nRUN yum install -y curl git\n",
    )]);
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("`curl` is not pinned"))
        .stdout(predicate::str::contains("`git` is not pinned"))
        .stdout(predicate::str::contains("PD004").not());
}
