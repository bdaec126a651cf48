#!/usr/bin/env bash
# scripts/bazel_build.sh NAME [BAZEL_OPTION...] -- LABEL...
#   Builds LABELs in this checkout's own Bazel output base NAME, quietly, and prints that build's
#   bazel-bin folder. Each configuration (fuzz engines, opt) keeps an output base of its own, so
#   switching compilers never discards the test build's cache, and two checkouts never share one
#   (an output base belongs to one workspace). On failure the build's output goes to stderr
#   (exit 1).
# scripts/bazel_build.sh --folder NAME
#   Prints the folder NAME of this checkout (~/.cache/heaptwin/<checkout>/bazel-NAME), made by
#   nobody: bench/mutants/run.sh keeps its scratch copy there.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

folder() {  # NAME
  local key
  key=$(printf '%s' "$ROOT" | md5sum | cut -c1-12)
  printf '%s/.cache/heaptwin/%s/bazel-%s\n' "$HOME" "$key" "$1"
}

build() {  # NAME [BAZEL_OPTION...] -- LABEL...
  local base options=() log
  base=$(folder "$1")
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
  [ $# -ge 2 ] || { echo "scripts/bazel_build.sh: no LABEL after --" >&2; exit 2; }
  shift
  log=$(mktemp /tmp/heaptwin-build.XXXXXX)
  if ! (cd "$ROOT" && bazel --output_base="$base" build --config=quiet "${options[@]}" \
          --experimental_convenience_symlinks=ignore "$@") >"$log" 2>&1; then
    grep -v 'Cannot export' "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  (cd "$ROOT" && bazel --output_base="$base" info "${options[@]}" bazel-bin 2>/dev/null)
}

case "${1:-}" in
  --folder) [ $# -eq 2 ] || { echo "usage: scripts/bazel_build.sh --folder NAME" >&2; exit 2; }; folder "$2" ;;
  ""|-*) echo "usage: scripts/bazel_build.sh NAME [BAZEL_OPTION...] -- LABEL..." >&2; exit 2 ;;
  *) build "$@" ;;
esac
