"""Reads requirements files with pip's own parser, line by line, and prints JSON.

Used by tests/pip_differential.rs as the referee for pindrift's parser. It calls
pip's internals the way `pip install -r FILE` does (`preprocess`, the line parser
from `get_line_parser(None)`, `ParsedLine`, `handle_requirement_line`,
`install_req_from_parsed_requirement`), but:

* every line is handled on its own inside try/except, so one bad line does not
  stop the rest (pip itself stops at the first error);
* includes (`-r`/`-c`) are reported, not followed.

Usage: python pip_reference.py FILE...   (one JSON document on stdout)

Relative local paths are resolved by pip against the working directory, so the
caller runs this script with the file's folder as cwd.
"""

import json
import os
import sys

from pip._internal.req.constructors import install_req_from_parsed_requirement
from pip._internal.req.req_file import (
    ParsedLine,
    get_file_content,
    get_line_parser,
    handle_requirement_line,
    preprocess,
)
from pip._vendor.packaging.utils import canonicalize_name
from pip._vendor.packaging.version import InvalidVersion, Version


def normalize_specifier(spec):
    """`op` + the PEP 440 normalized version (`===` stays verbatim)."""
    operator, version = spec.operator, spec.version
    if operator == "===":
        return operator + version
    wildcard = version.endswith(".*")
    try:
        text = str(Version(version[:-2] if wildcard else version))
    except InvalidVersion:
        text = version[:-2] if wildcard else version
    return operator + text + (".*" if wildcard else "")


def origin_of(ireq):
    """index / url / path: where pip would install the requirement from. A `file:`
    link (or a URL without a scheme, like `name @ ./dir`) is a local path."""
    if ireq.link is None:
        return "index"
    if ireq.link.scheme in ("", "file"):
        return "path"
    return "url"


def describe_line(filename, line_number, line, line_parser):
    entry = {"line": line_number, "text": line}
    try:
        args_str, opts = line_parser(line)
        parsed_line = ParsedLine(filename, line_number, args_str, opts, False)
        if parsed_line.requirement is None:
            if opts.requirements or opts.constraints:
                entry["kind"] = "include"
                if opts.requirements:
                    entry["include"] = opts.requirements[0]
                    entry["constraint"] = False
                else:
                    entry["include"] = opts.constraints[0]
                    entry["constraint"] = True
            else:
                entry["kind"] = "option"
            return entry
        parsed_req = handle_requirement_line(parsed_line)
        ireq = install_req_from_parsed_requirement(parsed_req)
        entry["kind"] = "editable" if parsed_req.is_editable else "requirement"
        entry["name"] = canonicalize_name(ireq.req.name) if ireq.req else None
        entry["specifiers"] = (
            sorted(normalize_specifier(s) for s in ireq.req.specifier)
            if ireq.req
            else []
        )
        entry["marker"] = str(ireq.markers) if ireq.markers is not None else None
        entry["url"] = ireq.link.url if ireq.link is not None else None
        entry["origin"] = origin_of(ireq)
        # What PD103 reads from a URL: a VCS checkout or an archive, and whether the
        # URL carries a hash that holds the archive's content.
        entry["vcs"] = bool(ireq.link is not None and ireq.link.is_vcs)
        entry["url_hash"] = bool(ireq.link is not None and ireq.link.hash is not None)
        entry["hashes"] = sum(len(v) for v in ireq.hash_options.values())
    except BaseException as exc:  # noqa: BLE001 - the referee reports, never stops
        if isinstance(exc, KeyboardInterrupt):
            raise
        entry["kind"] = "error"
        entry["error"] = f"{type(exc).__name__}: {exc}"
    return entry


def describe_file(filename):
    result = {"file": filename, "lines": []}
    try:
        _, content = get_file_content(filename, session=None)
    except BaseException as exc:  # noqa: BLE001
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    line_parser = get_line_parser(None)
    for line_number, line in preprocess(content):
        result["lines"].append(describe_line(filename, line_number, line, line_parser))
    return result


def main(argv):
    # pip logs warnings ("looks like a filename, but the file does not exist") to stderr.
    import logging

    logging.disable(logging.CRITICAL)
    files = [describe_file(os.fspath(name)) for name in argv]
    json.dump({"files": files}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
