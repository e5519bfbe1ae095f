#!/usr/bin/env bash
# Fuzzes "QR text → verified claims" (fuzz/fuzz_targets/qr_text.rs) for a bounded time.
# NETID_FUZZ_SECONDS (default 60) bounds the run; a crash, panic, leak or timeout fails it and
# libFuzzer leaves the input under fuzz/artifacts/qr_text/ to reproduce with
# `cargo +nightly fuzz run qr_text fuzz/artifacts/qr_text/<file>`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${NETID_FUZZ_SECONDS:-60}"
corpus=fuzz/corpus/qr_text
mkdir -p "$corpus"

# Seeds: the worked example from docs/FORMAT.md, as QR text and as raw SD-KBT bytes, so the fuzzer
# starts from a presentation that verifies.
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
PY

# The fuzz crate is a workspace of its own; start its lockfile from the main one so the fuzzed
# code is built with exactly the dependency versions the product ships (cargo then adds only
# libfuzzer-sys and prunes the rest). The result is not tracked, so a run leaves no diff.
cp Cargo.lock fuzz/Cargo.lock

cargo +nightly fuzz run qr_text "$corpus" -- \
  -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
