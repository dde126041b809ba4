"""pip's build backend for pindrift's pre-commit hooks (PEP 517; standard library only).

The hooks (.pre-commit-hooks.yaml) are `language: python`: pre-commit makes a virtualenv and
runs `pip install .` in its clone of this repository, which calls `build_wheel` here. The
wheel holds one thing, the `pindrift` binary (as a script, so it lands in the virtualenv's
bin), taken from, in this order:

1. The release of this version (Cargo.toml), for this machine's target, when the release
   says it was built from exactly these sources: `pindrift-source.sha256` of the release
   must equal the digest of this checkout's Cargo.toml, Cargo.lock, build.rs, src/ and
   rules/ (a `rev:` that is a commit after the tag has other sources and is built). The
   archive's SHA-256 must match its `.sha256` file, or the install fails: a mismatch is
   refused, never replaced by a build that would hide it. The binary must then run and
   say it is this version.
2. Otherwise a build of this checkout: `cargo install --locked` into a temporary folder,
   with a temporary target folder (unless CARGO_TARGET_DIR is set), so the hook keeps the
   binary and nothing else.

Environment:
  PINDRIFT_RELEASE_URL   where releases are, `<url>/v<version>/pindrift-<target>.tar.gz`
                         (default: the GitHub releases of Cargo.toml's `repository`);
                         file:// works; empty means always build from source.

`python3 hook/release_or_build.py source-digest [ROOT]` prints the sources' digest: the
release workflow publishes it as `pindrift-source.sha256`.
"""

import base64
import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

NAME = "pindrift"
# Releases are for Linux and macOS; elsewhere the hook builds, and Windows names it .exe.
EXECUTABLE = NAME + (".exe" if os.name == "nt" else "")
# What the binary is built from: a change under any of these makes another binary.
SOURCES = ("Cargo.toml", "Cargo.lock", "build.rs", "src", "rules")
SOURCE_DIGEST_ASSET = "pindrift-source.sha256"
DOWNLOAD_TIMEOUT_SECONDS = 60


class HookInstallError(Exception):
    """The install cannot go on; the message says why and what to do."""


def log(message):
    # pip shows a backend's stderr when the build fails, and with `pip install -v`.
    print(f"pindrift hook: {message}", file=sys.stderr, flush=True)


def cargo_toml(root):
    with open(os.path.join(root, "Cargo.toml"), encoding="utf-8") as f:
        return f.read()


def package_field(text, field):
    """A string field of Cargo.toml's [package] table (its first occurrence there)."""
    in_package = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_package = stripped == "[package]"
            continue
        match = re.match(rf'{field}\s*=\s*"([^"]*)"', stripped)
        if in_package and match:
            return match.group(1)
    raise HookInstallError(f"Cargo.toml: no `{field}` in [package]")


def python_version(cargo_version):
    """Cargo's semver as a PEP 440 version: `0.2.0-rc.1` becomes `0.2.0+rc.1`."""
    release, _, pre = cargo_version.partition("-")
    if not re.fullmatch(r"\d+(\.\d+)*", release):
        raise HookInstallError(f"Cargo.toml: version {cargo_version!r} is not semver")
    if not pre:
        return release
    return f"{release}+{re.sub(r'[^A-Za-z0-9]+', '.', pre).strip('.')}"


def source_files(root):
    """The sources' paths relative to root, `/`-separated, in byte order."""
    paths = []
    for entry in SOURCES:
        top = os.path.join(root, entry)
        if os.path.isfile(top):
            paths.append(entry)
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            for name in files:
                full = os.path.join(folder, name)
                paths.append(os.path.relpath(full, root).replace(os.sep, "/"))
    return sorted(paths, key=lambda p: p.encode("utf-8", "surrogateescape"))


def source_digest(root):
    """SHA-256 over `<sha256 of file>  <path>` lines, as `sha256sum` prints them."""
    listing = hashlib.sha256()
    for path in source_files(root):
        with open(os.path.join(root, path), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        listing.update(f"{digest}  {path}\n".encode("utf-8", "surrogateescape"))
    return listing.hexdigest()


def release_target():
    """The release's target triple for this machine, or None when there is no release for it."""
    system, machine = platform.system(), platform.machine().lower()
    return {
        ("Linux", "x86_64"): "x86_64-unknown-linux-musl",
        ("Linux", "amd64"): "x86_64-unknown-linux-musl",
        ("Linux", "aarch64"): "aarch64-unknown-linux-musl",
        ("Linux", "arm64"): "aarch64-unknown-linux-musl",
        ("Darwin", "x86_64"): "x86_64-apple-darwin",
        ("Darwin", "arm64"): "aarch64-apple-darwin",
    }.get((system, machine))


def release_base(root, text):
    base = os.environ.get("PINDRIFT_RELEASE_URL")
    if base is None:
        repository = package_field(text, "repository").rstrip("/")
        base = f"{repository}/releases/download"
    return base.rstrip("/")


class NotThere(Exception):
    """The release (or one of its files) does not exist: build instead."""


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            return response.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise NotThere(f"{url}: not found (HTTP 404)") from e
        raise NotThere(f"{url}: HTTP {e.code}") from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise NotThere(f"{url}: {reason}") from e


def hex_digest_of(text, url):
    """The first word of a `sha256sum` line, which must be 64 hex digits."""
    words = text.decode("utf-8", "replace").split()
    if not words or not re.fullmatch(r"[0-9a-fA-F]{64}", words[0]):
        raise HookInstallError(f"{url}: not a SHA-256 checksum file; refusing the release")
    return words[0].lower()


def binary_from_release(root, text, version):
    """The verified release binary's bytes; NotThere when this checkout has to be built."""
    base = release_base(root, text)
    if not base:
        raise NotThere("PINDRIFT_RELEASE_URL is empty")
    target = release_target()
    if target is None:
        raise NotThere(f"no release binary for {platform.system()} {platform.machine()}")
    tag_url = f"{base}/v{version}"

    published = hex_digest_of(fetch(f"{tag_url}/{SOURCE_DIGEST_ASSET}"), f"{tag_url}/{SOURCE_DIGEST_ASSET}")
    local = source_digest(root)
    if published != local:
        raise NotThere(
            f"release v{version} was built from other sources than this checkout "
            f"(source digest {published[:16]}…, here {local[:16]}…)"
        )

    asset_url = f"{tag_url}/pindrift-{target}.tar.gz"
    archive = fetch(asset_url)
    try:
        checksum = fetch(f"{asset_url}.sha256")
    except NotThere as e:
        raise HookInstallError(f"{asset_url} has no checksum file ({e}); refusing an unverified binary") from e
    expected = hex_digest_of(checksum, f"{asset_url}.sha256")
    actual = hashlib.sha256(archive).hexdigest()
    if actual != expected:
        raise HookInstallError(
            f"checksum mismatch for {asset_url}: expected {expected}, got {actual}; refusing the binary"
        )
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            member = tar.getmember(NAME)
            if not member.isreg():
                raise HookInstallError(f"{asset_url}: `{NAME}` in the archive is not a regular file")
            binary = tar.extractfile(member).read()
    except (tarfile.TarError, KeyError, OSError) as e:
        raise HookInstallError(f"{asset_url}: checksum matches but the archive is unreadable: {e}") from e
    log(f"release v{version} for {target}, SHA-256 {actual} verified")
    return binary


def runs_as(binary_path, version):
    """True when the binary runs here and says it is this version."""
    try:
        out = subprocess.run(
            [binary_path, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as e:
        log(f"{binary_path} does not run here: {e}")
        return False
    said = out.stdout.strip()
    if out.returncode != 0 or not re.match(rf"pindrift {re.escape(version)}( |$)", said):
        log(f"{binary_path} --version said {said!r} (exit {out.returncode}), not pindrift {version}")
        return False
    return True


def binary_from_build(root, scratch):
    """Builds this checkout; returns the binary's bytes."""
    cargo = shutil.which(os.environ.get("CARGO", "cargo"))
    if cargo is None:
        raise HookInstallError(
            "no release binary for this checkout and no cargo on PATH to build it: install Rust "
            "(https://rustup.rs), or use a `rev:` that is a release tag"
        )
    install_root = os.path.join(scratch, "root")
    command = [cargo, "install", "--locked", "--bins", "--root", install_root, "--path", root]
    if not os.environ.get("CARGO_TARGET_DIR"):
        # cargo install --path builds in the clone's target/ otherwise, and pre-commit would
        # keep hundreds of megabytes of build products next to the hook.
        command += ["--target-dir", os.path.join(scratch, "target")]
    log("building pindrift from source: " + " ".join(command))
    # cargo's output goes to stderr, which pip shows with -v and when the build fails.
    status = subprocess.run(command, stdout=sys.stderr, check=False).returncode
    if status != 0:
        raise HookInstallError(f"cargo install failed (exit {status})")
    with open(os.path.join(install_root, "bin", EXECUTABLE), "rb") as f:
        return f.read()


def pindrift_binary(root):
    text = cargo_toml(root)
    version = package_field(text, "version")
    with tempfile.TemporaryDirectory(prefix="pindrift-hook-") as scratch:
        try:
            binary = binary_from_release(root, text, version)
            candidate = os.path.join(scratch, NAME)
            with open(candidate, "wb") as f:
                f.write(binary)
            os.chmod(candidate, 0o755)
            if runs_as(candidate, version):
                return binary, version
            log("the release binary does not run here; building from source")
        except NotThere as e:
            log(f"no release binary to use ({e}); building from source")
        binary = binary_from_build(root, scratch)
        return binary, version


def wheel_tag():
    # The wheel is built where it is installed and never cached by pip (a local folder).
    platform_tag = re.sub(r"[^A-Za-z0-9]+", "_", sysconfig.get_platform())
    return f"py3-none-{platform_tag}"


def metadata(version):
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {version}\n"
        "Summary: pindrift for pre-commit: the binary of a release, or built from source\n"
        "License: MIT OR Apache-2.0\n"
    )


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def write_wheel(wheel_directory, version, binary):
    name = f"{NAME}-{version}-{wheel_tag()}.whl"
    dist_info = f"{NAME}-{version}.dist-info"
    files = [
        (f"{NAME}-{version}.data/scripts/{EXECUTABLE}", binary, 0o755),
        (f"{dist_info}/METADATA", metadata(version).encode(), 0o644),
        (
            f"{dist_info}/WHEEL",
            f"Wheel-Version: 1.0\nGenerator: pindrift-hook\nRoot-Is-Purelib: false\nTag: {wheel_tag()}\n".encode(),
            0o644,
        ),
    ]
    record = "".join(record_line(path, data) for path, data, _ in files) + f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode(), 0o644))
    # Written under a temporary name and renamed, so a failed build leaves no partial wheel.
    final = os.path.join(wheel_directory, name)
    partial = final + ".partial"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for path, data, mode in files:
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    os.replace(partial, final)
    return name


# PEP 517 hooks. pip runs them with the source tree as the working directory.


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version = python_version(package_field(cargo_toml(os.getcwd()), "version"))
    dist_info = f"{NAME}-{version}.dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(metadata(version))
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    root = os.getcwd()
    try:
        binary, cargo_version = pindrift_binary(root)
        return write_wheel(wheel_directory, python_version(cargo_version), binary)
    except HookInstallError as e:
        log(f"error: {e}")
        raise SystemExit(1) from None


def build_sdist(sdist_directory, config_settings=None):
    # Source distributions of pindrift are crates (`cargo package`); this backend only
    # installs the pre-commit hooks from a checkout.
    log("error: pindrift has no Python source distribution; it is a Rust crate (cargo package)")
    raise SystemExit(1)


def main(argv):
    if len(argv) in (2, 3) and argv[1] == "source-digest":
        print(source_digest(argv[2] if len(argv) == 3 else os.getcwd()))
        return 0
    print(f"usage: {argv[0]} source-digest [ROOT]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
