#!/usr/bin/env bash
# ./heaptwin fuzz, after the launcher has built the command line: the command line parses the
# arguments and names the engine builds they need (`heaptwin fuzz --plan ARGS`: one
# "FLAG ENGINE BUILD TARGET..." line each); they are built here, each in an output base of its
# own (scripts/bazel_build.sh), and the job runs in the command line with their bazel-bin folders
# (tools/cmd_fuzz.cc).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="$ROOT/bazel-bin/tools/heaptwin"

say() { printf 'heaptwin: %s\n' "$*" >&2; }

# Builds TARGETs of fuzz/ for ENGINE (a .bazelrc config) in the output base BUILD; prints its
# bazel-bin. The afl-cmplog build is AFL++'s CmpLog instrumentation of the same targets.
build_engine() {  # ENGINE BUILD TARGET...
  local engine=$1 build=$2 options=() labels=()
  shift 2
  options=(--config="$engine")
  [ "$build" == afl-cmplog ] && options+=(--action_env=AFL_LLVM_CMPLOG=1)
  labels=("${@/#///fuzz:}")
  "$ROOT/scripts/bazel_build.sh" "$build" "${options[@]}" -- "${labels[@]}"
}

main() {
  local plan line flag engine build rest targets=() bin args=()
  plan=$("$CLI" fuzz --plan "$@") || exit
  while IFS= read -r line; do
    read -r flag engine build rest <<<"$line"
    [ -n "$flag" ] || continue
    read -r -a targets <<<"$rest"
    say "building the fuzz targets ($build)..."
    bin=$(build_engine "$engine" "$build" "${targets[@]}") || { say "fuzz: the $build build failed"; exit 2; }
    args+=("$flag" "$bin")
  done <<<"$plan"
  exec "$CLI" fuzz --root "$ROOT" "${args[@]}" "$@"
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
