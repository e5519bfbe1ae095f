#!/usr/bin/env bash
# Fuzzes the counter's verifier in two modes, for a bounded time in total:
#  - bytes: "QR text or raw bytes → verified claims" (fuzz/fuzz_targets/qr_text.rs), libFuzzer's
#    byte mutations from the worked example;
#  - structure: valid presentations decoded into a CBOR model, edited by plans `arbitrary` draws,
#    optionally re-signed as holder or issuer (fuzz/fuzz_targets/presentation_structure.rs).
# NETID_FUZZ_SECONDS (default 60) is the total fuzzing time, split evenly (at least 1 s each;
# building comes on top). A crash, panic, failed oracle, leak or timeout fails the run and
# libFuzzer leaves the input under fuzz/artifacts/<target>/ to reproduce with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`.
# Needs the nightly toolchain and cargo-fuzz, which scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${NETID_FUZZ_SECONDS:-60}"
per_mode=$(( seconds / 2 ))
[ "$per_mode" -ge 1 ] || per_mode=1
corpus=fuzz/corpus/qr_text
structure_corpus=fuzz/corpus/presentation_structure
mkdir -p "$corpus" "$structure_corpus"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs the nightly toolchain and cargo-fuzz; run scripts/setup.sh" >&2
  exit 1
fi

# Seeds: the worked example from docs/FORMAT.md, as QR text and as raw SD-KBT bytes, so the fuzzer
# starts from a presentation that verifies (and §12's purpose-credential presentation).
.venv/bin/python - "$corpus" <<'PY'
import pathlib, sys
sys.path.insert(0, "scripts")
from check_sd_cwt import b45decode
doc = pathlib.Path("docs/FORMAT.md").read_text(encoding="utf-8")
block = doc.split("<!-- worked-example:begin", 1)[1].split("<!-- worked-example:end -->", 1)[0]
qr_block = block.split("Its QR text", 1)[1].split("```", 2)[1]
text = "".join(line for line in qr_block.split("\n") if line)
out = pathlib.Path(sys.argv[1])
(out / "seed-worked-example-text").write_text(text, encoding="ascii")
(out / "seed-worked-example-bytes").write_bytes(b45decode(text[len("NID1:"):]))
# And §12's purpose-credential presentation, so the fuzzer also starts inside the second shape.
purpose = doc.split("<!-- purpose-example:begin", 1)[1].split("<!-- purpose-example:end -->", 1)[0]
hex_block = purpose.split("The same presentation in hex:", 1)[1].split("```", 2)[1]
(out / "seed-purpose-example-bytes").write_bytes(bytes.fromhex("".join(hex_block.split())))
PY

# The fuzz crate is a workspace of its own; start its lockfile from the main one so the fuzzed
# code is built with exactly the dependency versions the product ships (cargo then adds only the
# fuzz crate's own libfuzzer-sys and arbitrary, and prunes the rest). The result is not tracked,
# so a run leaves no diff.
cp Cargo.lock fuzz/Cargo.lock

echo "== fuzz mode 1/2: bytes (qr_text), ${per_mode} s"
cargo +nightly fuzz run qr_text "$corpus" -- \
  -max_total_time="$per_mode" -timeout=5 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1

# Its inputs are edit plans, not presentations: it starts from an empty corpus and builds its own
# (the valid presentations it edits are made inside the target, from fixed keys).
echo "== fuzz mode 2/2: structure (presentation_structure), ${per_mode} s"
# -len_control=0: a plan needs a few dozen bytes to hold any edit, so do not start from tiny inputs.
cargo +nightly fuzz run presentation_structure "$structure_corpus" -- \
  -max_total_time="$per_mode" -timeout=5 -rss_limit_mb=2048 -max_len=1024 -len_control=0 \
  -print_final_stats=1
