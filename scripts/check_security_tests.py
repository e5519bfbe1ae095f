#!/usr/bin/env python3
"""Every test docs/SECURITY.md names exists.

SECURITY.md backs each "protects against" with the test that shows it. A test that is renamed or
deleted leaves a promise without a test while the page still reads as if it had one; this check
turns that into a red CI run.

What counts as a test reference (inside backticks):
- `path/or/name.rs::[module::]function` and `Name.kt::method` — the file must exist in the
  repository (a bare name is looked up among the project's files; `…/` stands for a path) and
  contain `fn function` (Rust) or `fun method` (Kotlin);
- `…::function` — the same, in the file the line (or, failing that, the paragraph) named last;
- `SomethingTest.method` — a JUnit method in android/jvm-tests.

Usage: check_security_tests.py   (exits 1 listing every missing test)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "SECURITY.md"

FILE_REF = re.compile(r"`(?P<file>[\w./…-]+\.(?:rs|kt))::(?P<path>[\w:]+)(?:\(\))?`")
ELLIPSIS_REF = re.compile(r"`…::(?P<path>[\w:]+)(?:\(\))?`")
JUNIT_REF = re.compile(r"`(?:JVM )?(?P<class>[A-Z]\w*Test)\.(?!kt`)(?P<method>[a-z]\w*)(?:\(\))?`")
# Prose names a file too ("in `core/tests/x.rs`"), which sets the file for `…::` after it.
FILE_ONLY = re.compile(r"`(?P<file>[\w./…-]+\.(?:rs|kt))`")


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "*.rs", "*.kt"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.splitlines()]


def resolve(name: str, files: list[Path]) -> list[Path]:
    """The tracked files a reference can mean: an exact path, else every file ending in it."""
    if "…/" in name:
        prefix, suffix = name.split("…/", 1)
        return [
            f
            for f in files
            if f.relative_to(ROOT).as_posix().startswith(prefix) and f.as_posix().endswith("/" + suffix)
        ]
    exact = ROOT / name
    if exact in files:
        return [exact]
    return [f for f in files if f.as_posix().endswith("/" + name)]


def defines(path: Path, function: str) -> bool:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".rs":
        return re.search(rf"\bfn {re.escape(function)}\b", text) is not None
    return re.search(rf"\bfun `?{re.escape(function)}`?\s*\(", text) is not None


def main() -> int:
    files = tracked_files()
    missing: list[str] = []
    checked = 0
    paragraph_file: str | None = None
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            paragraph_file = None
        line_file: str | None = None
        # Walk the references in the order they stand, so `…::` takes the file named before it.
        events: list[tuple[int, str, str, str]] = []
        for m in FILE_REF.finditer(line):
            events.append((m.start(), "file", m.group("file"), m.group("path")))
        for m in ELLIPSIS_REF.finditer(line):
            events.append((m.start(), "ellipsis", "", m.group("path")))
        for m in FILE_ONLY.finditer(line):
            events.append((m.start(), "name", m.group("file"), ""))
        for m in JUNIT_REF.finditer(line):
            events.append((m.start(), "junit", m.group("class") + ".kt", m.group("method")))
        for _, kind, file, path in sorted(events):
            if kind == "name":
                if resolve(file, files):
                    line_file = paragraph_file = file
                continue
            if kind == "ellipsis":
                file = line_file or paragraph_file or ""
                if not file:
                    missing.append(f"docs/SECURITY.md:{number}: `…::{path}` follows no file name")
                    continue
            function = path.split("::")[-1]
            candidates = resolve(file, files)
            checked += 1
            if not candidates:
                missing.append(f"docs/SECURITY.md:{number}: no file {file} (for {function})")
            elif not any(defines(c, function) for c in candidates):
                missing.append(f"docs/SECURITY.md:{number}: {file} has no test {function}")
            if kind == "file":
                line_file = paragraph_file = file
    if missing:
        print(f"{len(missing)} of {checked} tests named in docs/SECURITY.md do not exist:")
        print("\n".join(missing))
        return 1
    print(f"docs/SECURITY.md: all {checked} named tests exist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
