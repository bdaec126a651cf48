#!/usr/bin/env bash
# Rewrites .clusterfuzzlite/sources.txt (what build.sh compiles for each fuzz target) from the
# Bazel graph as `--config=libfuzzer` resolves it: //tests/clusterfuzzlite:fuzz_sources, built in
# the libFuzzer output base the launcher's fuzz builds use (only analysis; nothing compiles).
# Run it after adding a fuzz target, a source file or a library the targets link;
# tests/clusterfuzzlite/build_sh_test.sh fails until the committed file is current.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The launcher's output base for libFuzzer builds (./heaptwin: output_base libfuzzer).
key=$(printf '%s' "$ROOT" | md5sum | cut -c1-12)
base="$HOME/.cache/heaptwin/$key/bazel-libfuzzer"
cd "$ROOT"
bazel --output_base="$base" build --noshow_progress --ui_event_filters=-info,-debug \
  --config=libfuzzer --experimental_convenience_symlinks=ignore //tests/clusterfuzzlite:fuzz_sources
bin=$(bazel --output_base="$base" info --config=libfuzzer bazel-bin 2>/dev/null)
cp "$bin/tests/clusterfuzzlite/fuzz_sources.txt" .clusterfuzzlite/sources.txt
chmod 644 .clusterfuzzlite/sources.txt
echo "wrote .clusterfuzzlite/sources.txt ($(grep -c '^unit ' .clusterfuzzlite/sources.txt) units)"
