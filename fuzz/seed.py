#!/usr/bin/env python3
"""Writes seed inputs for every fuzz target into SEEDS/<target>/, from the repository's
fixtures, ../shared/corpus/real (when present) and small hand-made samples.

Usage: fuzz/seed.py SEEDS_DIR
"""
import csv
import hashlib
import io
import os
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "real"
MAX = 64 * 1024  # seeds larger than this slow the fuzzer more than they help


def add(out: Path, target: str, data: bytes) -> None:
    if not data or len(data) > MAX:
        return
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def files():
    """(kind, bytes) for every fixture and corpus file."""
    for p in sorted((REPO / "fixtures").rglob("*")):
        if not p.is_file():
            continue
        kind = "dockerfile" if "Dockerfile" in p.name or p.suffix == ".Dockerfile" else "requirements"
        if p.suffix in (".txt", ".in") or kind == "dockerfile":
            yield kind, p.read_bytes()
    index = CORPUS / "INDEX.tsv"
    if index.exists():
        with index.open() as f:
            for row in csv.DictReader(f, delimiter="\t"):
                p = CORPUS / row["repo"].replace("/", "+") / row["path"]
                if p.is_file() and row["kind"] in ("dockerfile", "requirements"):
                    yield row["kind"], p.read_bytes()
    else:
        print(f"seed.py: {CORPUS} is absent; seeding from the fixtures only", file=sys.stderr)


def main() -> None:
    out = Path(sys.argv[1])
    for kind, data in files():
        text = data.decode("utf-8", "replace")
        if kind == "requirements":
            add(out, "requirements_file", data)
            add(out, "freeze", data)
            # Includes: the file itself plus a second file it may include.
            add(out, "requirements_includes", data + b"\0-r requirements.txt\n-c b.txt\n\0six==1.16.0\n")
            for line in text.splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    add(out, "requirement_line", line.encode())
        else:
            add(out, "dockerfile", data)
            for line in text.splitlines():
                s = line.strip()
                if s.upper().startswith("FROM "):
                    for word in s.split()[1:]:
                        if not word.startswith("--") and word.upper() != "AS":
                            add(out, "image_ref", word.encode())
                            break
            # RUN bodies for the shell tokenizer and the installer recognizers.
            joined = text.replace("\\\n", " ")
            for line in joined.splitlines():
                s = line.strip()
                if s.upper().startswith("RUN "):
                    add(out, "shell", s[4:].encode())
                    add(out, "pip_options", s[4:].encode())
    for p in sorted((REPO / "fixtures").rglob("*")):
        if p.is_file() and (p.name.startswith(("compose.", "docker-compose.")) or p.name == ".env"):
            add(out, "compose", p.read_bytes()[:MAX])
    # Lock files: the first byte picks the format (see fuzz_targets/lock_file.rs).
    lock_formats = {"uv.lock": 0, "poetry.lock": 1, "Pipfile.lock": 2, "pylock.toml": 3}
    for p in sorted((REPO / "fixtures").rglob("*")):
        if p.is_file() and p.name in lock_formats:
            add(out, "lock_file", bytes([lock_formats[p.name]]) + p.read_bytes()[:MAX])
    for p in sorted(Path("/usr/lib/python3/dist-packages").glob("*.dist-info/METADATA"))[:40]:
        add(out, "metadata", p.read_bytes()[:MAX])
    add(out, "metadata", b'{"url": "https://github.com/a/b", "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}')
    add(out, "metadata", b"Metadata-Version: 2.1\nName: eventlet\nVersion: 0.20.0\n\nbody\n")
    status = Path("/var/lib/dpkg/status")
    if status.exists():
        stanzas = status.read_text(errors="replace").split("\n\n")
        for i in range(0, min(len(stanzas), 60), 20):
            add(out, "dpkg_status", "\n\n".join(stanzas[i : i + 20]).encode())
    add(out, "apk_installed", b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\n\n")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, body in [
            ("dist-packages/eventlet-0.20.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: eventlet\nVersion: 0.20.0\n"),
            ("dist-packages/six-1.16.0.egg-info/PKG-INFO", b"Metadata-Version: 1.0\nName: six\nVersion: 1.16.0\n"),
            ("dist-packages/x.pth", b"/opt/extra\n"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    add(out, "tar_stream", buf.getvalue())
    add(out, "config", b'select = ["PD1"]\nignore = ["PD102"]\nallow-unpinned = ["pip"]\nfail-on = "warning"\n')
    # A journal recorded by a real hotfix (start, cp, pin, reload, commit, export, rollback),
    # whole, cut short as a crash leaves it, and line by line.
    journal = (REPO / "fixtures/hotfix/recorded-journal.jsonl").read_bytes()
    add(out, "hotfix_journal", journal)
    add(out, "hotfix_journal", journal[: len(journal) // 2])
    lines = journal.splitlines(keepends=True)
    for i in range(1, len(lines)):
        add(out, "hotfix_journal", lines[0] + lines[i])
    add(out, "config", b'[tool.pindrift]\nprofile = "strict"\nexclude = ["vendor/"]\n[tool.pindrift.rules]\nPD101 = "error"\n')


if __name__ == "__main__":
    main()
