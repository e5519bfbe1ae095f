#!/usr/bin/env python3
"""Renames the cases of the generated Swift error enums to lowerCamelCase.

uniffi 0.32.2 declares every case of an error enum through its `class_name` filter, so
`WalletError::WrongPin` becomes `case WrongPin(...)`, against Swift's API Design Guidelines and
unlike our plain enums (`NextStep.reEnrolDocument`). No uniffi setting changes that: its
`[bindings.swift.rename]` table renames a variant, but the new name goes through `class_name`
(UpperCamelCase) again, so `"WalletError.WrongPin" = "wrongPin"` still gives `WrongPin`.

This step, run by scripts/gen-bindings.sh on the freshly generated NetIDWallet.swift, rewrites
exactly the error variants, read from the file's own error enum declarations:
  - the `case X` / `case X(` declarations inside each `enum E: Swift.Error` body;
  - the `.X` references in that error's FfiConverterType<E> (`return .X`, `case .X:`,
    `case let .X(...)`);
  - qualified references `E.X` anywhere else in the file (uniffi copies Rust doc comments).
The new name is the old one with its first letter lowercased, which is what uniffi gives a plain
enum variant (heck's lowerCamelCase of a name heck already made UpperCamelCase); Swift keywords
are escaped with backticks in code, as uniffi does for plain enum variants.

It is strict on purpose: any line of an error enum or its converter that it does not recognise,
a case that is not UpperCamelCase (a uniffi upgrade that already lowercases them), a converter
whose variants do not match the declaration one for one, an unqualified `.X` anywhere else in the
file, or two variants that would end up with one Swift name, stop it with an error naming the
line, so an upgrade cannot leave the file half renamed.

Usage: swift_error_cases.py FILE    rewrite FILE in place
"""

from __future__ import annotations

import re
import sys

# uniffi_bindgen 0.32.2, src/bindings/swift/gen_swift/mod.rs KEYWORDS (from the Swift book's
# "Keywords and Punctuation"): the names uniffi escapes with backticks in plain enums.
SWIFT_KEYWORDS = frozenset(
    """
    associatedtype class deinit enum extension fileprivate func import init inout internal let
    open operator private precedencegroup protocol public rethrows static struct subscript
    typealias var break case catch continue default defer do else fallthrough for guard if in
    repeat return throw switch where while Any as await false is nil self Self super throws true
    try
    """.split()
)

# Members an error enum already has in Swift (Error, Hashable, LocalizedError, description) or
# gets from the glue (ios/Sources/NetIDWalletHost/Errors.swift): a case with one of these names
# would clash with them.
RESERVED_MEMBERS = frozenset(
    """
    hashValue hash description debugDescription localizedDescription errorDescription
    failureReason recoverySuggestion helpAnchor code nextStep reason
    """.split()
)

ENUM_DECL = re.compile(r"^enum (?P<name>[A-Za-z_][A-Za-z0-9_]*): Swift\.Error(?:, [A-Za-z0-9_, ]+)? \{$")
UPPER_CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# Lines of an error enum body.
CASE_UNIT = re.compile(r"^    case (?P<name>\S+)$")
# `case X(` then the fields (the first may follow on the same line), closed by a line "    )".
CASE_FIELDS = re.compile(r"^    case (?P<name>[^\s(]+)\(.*$")
CASE_FLAT = re.compile(r"^    case (?P<name>[^\s(]+)\(message: String\)$")
FIELDS_END = "    )"
DOC_LINE = re.compile(r"^\s*(?:/\*\*.*|\*.*|\*/)$")

# Lines of a converter that name a variant.
READ_CASE = re.compile(r"^        case (?P<index>\d+): return \.(?P<name>[^\s(]+)(?P<open>\()?$")
WRITE_UNIT = re.compile(r"^        case \.(?P<name>[^\s(:]+):$")
WRITE_FIELDS = re.compile(r"^        case let \.(?P<name>[^\s(]+)\((?P<bindings>[^)]*)\):$")
WRITE_FLAT = re.compile(r"^        case \.(?P<name>[^\s(]+)\(_ /\* message is ignored\*/\):$")


class ShapeError(Exception):
    """The generated file is not shaped as this script expects."""


def swift_name(variant: str) -> str:
    """The lowerCamelCase Swift name of an UpperCamelCase variant, unescaped."""
    return variant[0].lower() + variant[1:]


def quoted(name: str) -> str:
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def _fail(lineno: int, line: str, why: str) -> ShapeError:
    return ShapeError(f"line {lineno + 1}: {why}: {line.strip()!r}")


def _block_end(lines: list[str], start: int, what: str) -> int:
    """Index of the first line that is exactly `}` after `start` (uniffi closes its top-level
    declarations at column 0)."""
    for i in range(start + 1, len(lines)):
        if lines[i] == "}":
            return i
    raise _fail(start, lines[start], f"{what} is never closed by a line '}}'")


def _enum_cases(lines: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """(line index, name) of every case declared in the enum body lines[start+1:end]."""
    cases = []
    i = start + 1
    while i < end:
        line = lines[i]
        if line.strip() == "" or DOC_LINE.match(line):
            i += 1
            continue
        m = CASE_FLAT.match(line) or CASE_FIELDS.match(line) or CASE_UNIT.match(line)
        if not m:
            raise _fail(i, line, "unexpected line in an error enum (only cases and doc comments are known)")
        cases.append((i, m.group("name")))
        if CASE_FIELDS.match(line) and not CASE_FLAT.match(line):
            # The payload's fields (and their doc comments) run to a line that is exactly "    )".
            j = i + 1
            while j < end and lines[j] != FIELDS_END:
                if lines[j].startswith("    case "):
                    raise _fail(j, lines[j], "a case inside an unclosed payload")
                j += 1
            if j == end:
                raise _fail(i, line, "a case payload is never closed by '    )'")
            i = j
        i += 1
    return cases


def rewrite(text: str) -> tuple[str, dict[str, dict[str, str]]]:
    """Returns the rewritten text and, per error enum, the map old case name -> new Swift name
    (unescaped)."""
    lines = text.split("\n")
    renames: dict[str, dict[str, str]] = {}
    owned: set[int] = set()  # lines rewritten as part of an enum or its converter

    decls = [i for i, line in enumerate(lines) if re.match(r"^\s*(?:public\s+)?(?:indirect\s+)?enum\b.*\bSwift\.Error\b", line)]
    if not decls:
        raise ShapeError("no error enum ('enum X: Swift.Error') in the file")
    for start in decls:
        m = ENUM_DECL.match(lines[start])
        if not m:
            raise _fail(start, lines[start], "an error enum declared in an unknown form")
        enum = m.group("name")
        if enum in renames:
            raise _fail(start, lines[start], f"error enum {enum} declared twice")
        end = _block_end(lines, start, f"enum {enum}")
        cases = _enum_cases(lines, start, end)
        if not cases:
            raise _fail(start, lines[start], f"error enum {enum} declares no case")

        mapping: dict[str, str] = {}
        for i, old in cases:
            if not UPPER_CAMEL.match(old):
                raise _fail(i, lines[i], f"{enum} case is not UpperCamelCase (has uniffi changed its naming? then drop this step)")
            if old in mapping:
                raise _fail(i, lines[i], f"{enum} declares {old} twice")
            new = swift_name(old)
            if new in RESERVED_MEMBERS:
                raise _fail(i, lines[i], f"{enum}.{old} would become '{new}', a member Swift or the glue already defines")
            mapping[old] = new
        if len(set(mapping.values())) != len(mapping):
            raise ShapeError(f"{enum}: two variants would get one Swift name: {mapping}")
        for i, old in cases:
            lines[i] = lines[i].replace(f"case {old}", f"case {quoted(mapping[old])}", 1)
            owned.add(i)

        # The converter: every variant read once, in declaration order with indices 1..n, and
        # written once, in the same order.
        header = f"public struct FfiConverterType{enum}: FfiConverterRustBuffer {{"
        found = [k for k, line in enumerate(lines) if line == header]
        if len(found) != 1:
            raise ShapeError(f"expected exactly one line {header!r}, found {len(found)}")
        c_start = found[0]
        c_end = _block_end(lines, c_start, f"FfiConverterType{enum}")
        read, written = [], []
        for k in range(c_start + 1, c_end):
            line = lines[k]
            r = READ_CASE.match(line)
            w = WRITE_FLAT.match(line) or WRITE_FIELDS.match(line) or WRITE_UNIT.match(line)
            if r:
                read.append((int(r.group("index")), r.group("name")))
                name = r.group("name")
            elif w:
                written.append(w.group("name"))
                name = w.group("name")
            else:
                if any(re.search(rf"\.{re.escape(old)}\b", line) for old in mapping):
                    raise _fail(k, line, f"a reference to a {enum} case in a form this script does not know")
                continue
            if name not in mapping:
                raise _fail(k, line, f"FfiConverterType{enum} names '{name}', which {enum} does not declare")
            lines[k] = line.replace(f".{name}", f".{quoted(mapping[name])}", 1)
            owned.add(k)
        order = [old for _, old in cases]
        if read != list(enumerate(order, start=1)):
            raise ShapeError(f"FfiConverterType{enum}.read does not read {order} as 1..{len(order)}: {read}")
        if written != order:
            raise ShapeError(f"FfiConverterType{enum}.write does not write {order} in order: {written}")
        renames[enum] = mapping

    # Everywhere else: `E.X` is rewritten anywhere (doc comments copied from Rust), a bare `.X`
    # in a comment too (the new name does not depend on the enum); a bare `.X` in code outside
    # the enums and converters is a form this script does not know.
    qualified = re.compile(
        r"\b(?P<enum>" + "|".join(map(re.escape, renames)) + r")\.(?P<name>[A-Z][A-Za-z0-9]*)\b"
    )
    all_old = sorted({old for m in renames.values() for old in m}, key=len, reverse=True)
    bare = re.compile(r"(?<!\w)\.(?P<name>" + "|".join(map(re.escape, all_old)) + r")\b")
    for k, line in enumerate(lines):
        if k in owned:
            continue
        comment = bool(DOC_LINE.match(line)) or line.lstrip().startswith("//")

        def sub_qualified(m: re.Match[str]) -> str:
            mapping = renames[m.group("enum")]
            old = m.group("name")
            if old not in mapping:
                return m.group(0)
            new = mapping[old]
            return f"{m.group('enum')}.{new if comment else quoted(new)}"

        line = qualified.sub(sub_qualified, line)
        if comment:
            line = bare.sub(lambda m: "." + swift_name(m.group("name")), line)
        else:
            left = bare.search(line)
            if left:
                raise _fail(k, lines[k], f"an unqualified reference to the error case {left.group('name')} in code; teach this script the form")
        lines[k] = line
    return "\n".join(lines), renames


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    path = argv[1]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        new_text, _ = rewrite(text)
    except ShapeError as e:
        print(f"swift_error_cases: {path}: {e}", file=sys.stderr)
        return 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(new_text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
