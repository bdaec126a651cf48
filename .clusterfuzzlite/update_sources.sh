#!/usr/bin/env bash
# Rewrites .clusterfuzzlite/sources.txt (what build.sh compiles for each fuzz target) from the
# Bazel graph as `--config=libfuzzer` resolves it: //tests/clusterfuzzlite:fuzz_sources, built in
# the libFuzzer output base ./heaptwin fuzz builds in (only analysis; nothing compiles).
# Run it after adding a fuzz target, a source file or a library the targets link;
# tests/clusterfuzzlite/build_sh_test.sh fails until the committed file is current.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bin=$(scripts/bazel_build.sh libfuzzer --config=libfuzzer -- //tests/clusterfuzzlite:fuzz_sources)
cp "$bin/tests/clusterfuzzlite/fuzz_sources.txt" .clusterfuzzlite/sources.txt
chmod 644 .clusterfuzzlite/sources.txt
echo "wrote .clusterfuzzlite/sources.txt ($(grep -c '^unit ' .clusterfuzzlite/sources.txt) units)"
