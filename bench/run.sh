#!/usr/bin/env bash
# ./heaptwin bench, after the launcher has installed what is missing: builds bench/ with
# --config=opt, gathers the rows measured outside the bench binary (traces of real programs,
# bench/engines.sh, bench/dropin.sh), runs each "twin vs glibc" row in a process of its own and
# prints one table. With --mutants: bench/mutants/run.sh instead.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf 'heaptwin: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

usage() {
  cat <<'EOF'
usage: ./heaptwin bench [--quick] [--filter REGEX] [--skip PARTS]

Builds bench/ with --config=opt and prints one table; each row is measured side by side in the
same run (never across runs):
  twin vs glibc: <workload>      ns per call, the twin (no checker) and this process's own glibc
                                 on the identical stream: synthetic mixes (tcache-heavy,
                                 fastbin-heavy, large-bin churn, mixed, realloc growth) and
                                 traces of real programs recorded now (heaptwin exec --trace:
                                 python3, perl, sqlite3, ls); target twin/glibc <= 1.05
  checker: N chunks              one op and the incremental check of what it touched, against
                                 the op alone, on heaps of 10 ... 10,000 chunks; "checker: flat"
                                 is 10,000 chunks against 10 (target <= 2); "checker (full)" a
                                 whole-heap check (end of a Program, --full-check-every)
  checker: 1,000,000 ops         heaptwin run --on twin of a 1M-op Program (~4,000 live), checked
                                 against --no-check (target <= 3)
  long Program, 1M ops, ~4,000 live: diff twin,glibc
                                 the whole diff of that Program against real glibc (<= 30 s)
  side <name>: 64-op Programs    Programs/s of each side (glibc: the runner process)
  glibc runner: fork vs persistent  the runner's two ways of isolating Programs
  harness <target>: N ops        execs/s of a fuzz target's work without the engine
  fuzz <engine> <target>: N ops  execs/s of the built fuzz targets under libFuzzer (replaying
                                 fixed inputs) and AFL++ (fuzzing from them): bench/engines.sh
  fuzz main job ...: per job     ./heaptwin fuzz as a user starts it (twin_vs_glibc, libFuzzer,
                                 one job per core, committed corpus): execs/s per job (>= 5,000)
  drop-in: <program> (<mode>)    wall time of real programs on the drop-in library against
                                 glibc, without and with checks: bench/dropin.sh; gawk also
                                 in callgrind instructions ("no check, callgrind"; not --quick),
                                 which this noisy machine's wall time cannot resolve
  Targets at 64 ops: twin_vs_model >= 100k execs/s, twin_vs_glibc >= 20k; checked drop-in <= 3x.

  --quick          shorter measurements (0.2 s each; fewer engine and drop-in runs): ~3 min
  --filter REGEX   only the in-process benchmarks whose names match, all in one process
                   (implies --skip engines,drop-in unless --skip is given)
  --skip PARTS     comma-separated: traces, engines, drop-in
  --mutants        mutation testing of the harness instead: seconds to the first finding of
                   each fuzz target on each planted bug (bench/mutants/; --mutants --help)
EOF
}

# The names of the fuzz targets of fuzz/targets.txt whose ROLE matches the regular expression.
fuzz_targets() {  # ROLE_REGEX
  grep -v -e '^#' -e '^[[:space:]]*$' "$ROOT/fuzz/targets.txt" | awk -v role="$1" '$2 ~ role { print $1 }'
}

# Builds fuzz TARGETs for ENGINE (libfuzzer, afl) in that engine's output base; prints bazel-bin.
build_fuzz_targets() {  # ENGINE TARGET...
  local engine=$1
  shift
  "$ROOT/scripts/bazel_build.sh" "$engine" --config="$engine" -- "${@/#///fuzz:}" ||
    die "fuzz: the $engine build failed"
}

# ./heaptwin bench --mutants: bench/mutants/run.sh, given the clean command line and the clean
# libFuzzer build of the differential targets; it builds the mutated copies itself.
run_mutants() {  # ARG... (without --mutants)
  local a clean targets
  for a in "$@"; do
    [[ "$a" == -h || "$a" == --help ]] && exec bash "$ROOT/bench/mutants/run.sh" --help
  done
  mapfile -t targets < <(fuzz_targets '^(main|differential)$')
  say "building the fuzz targets (libfuzzer)..."
  clean=$(build_fuzz_targets libfuzzer "${targets[@]}") || exit 2
  exec bash "$ROOT/bench/mutants/run.sh" --cli "$ROOT/bazel-bin/tools/heaptwin" --clean-bin "$clean" \
    --scratch "$("$ROOT/scripts/bazel_build.sh" --folder mutants)" "$@"
}

# The engines' rows (bench/engines.sh) into WORK/engines.rows, measured on the fuzz targets'
# engine builds and the optimised build's command line (BIN_DIR); false when there are none.
engine_rows() {  # WORK BIN_DIR QUICK_FLAG...
  local work=$1 bin_dir=$2 lf afl targets
  shift 2
  say "bench: building the fuzz targets for libFuzzer and AFL++..."
  mapfile -t targets < <(fuzz_targets .)
  lf=$(build_fuzz_targets libfuzzer "${targets[@]}")/fuzz || return 1
  afl=$(build_fuzz_targets afl "${targets[@]}")/fuzz || return 1
  "$bin_dir/bench/fuzz_inputs" "$work/inputs" >&2 || die "bench: writing the engines' inputs failed"
  bash "$ROOT/bench/engines.sh" "$@" --libfuzzer-bin "$lf" --afl-bin "$afl" --cli "$bin_dir/tools/heaptwin" \
    --inputs "$work/inputs" "$work/engines.rows"
}

# Each "twin vs glibc" row in a process of its own: this process's glibc keeps what earlier rows
# did to it (a big heap, warm pages), the twin starts afresh, and in one process that made the
# same row 1.2x alone and 4.6x after the others. Prints a --rows=FILE argument per row.
isolated_rows() {  # BENCH MIN_TIME WORK BENCH_ARG...
  local bench=$1 min_time=$2 work=$3 rows=() row pattern n=0
  shift 3
  mapfile -t rows < <("$bench" --benchmark_list_tests=true "$@" 2>/dev/null |
                      sed -n 's|^\(twin vs glibc: .*\)/[^/]*/real_time$|\1|p' | sort -u)
  for row in "${rows[@]}"; do
    pattern=$(printf '%s' "$row" | sed 's/[][().*+?^$|\\{}]/\\&/g')
    n=$((n + 1))
    say "bench: $row (a process of its own)"
    "$bench" --benchmark_min_time="$min_time" --benchmark_filter="^$pattern/" "$@" \
      --emit_rows="$work/isolated.$n" >/dev/null || die "bench: '$row' failed"
    echo "--rows=$work/isolated.$n"
  done
}

main() {
  local filter="" min_time=1 quick=() skip="" a without_mutants=()
  for a in "$@"; do [ "$a" == --mutants ] || without_mutants+=("$a"); done
  [ ${#without_mutants[@]} -lt $# ] && run_mutants "${without_mutants[@]}"
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; return 0 ;;
      --quick) min_time=0.2; quick=(--quick); shift ;;
      --filter) [ $# -ge 2 ] || die "bench: --filter needs a regular expression"; filter=$2; shift 2 ;;
      --skip) [ $# -ge 2 ] || die "bench: --skip needs a list (traces,engines,drop-in)"; skip=",$2,"; shift 2 ;;
      *) die "bench: unknown argument '$1' (see ./heaptwin bench --help)" ;;
    esac
  done
  [ -n "$filter" ] && [ -z "$skip" ] && skip=",engines,drop-in,"
  local work bin_dir args=() isolated=()
  work=$(mktemp -d /tmp/heaptwin-bench.XXXXXX)
  # shellcheck disable=SC2064  # the folder's name is known now
  trap "rm -rf '$work'" EXIT
  say "building benchmarks (--config=opt)..."
  bin_dir=$("$ROOT/scripts/bazel_build.sh" opt --config=opt -- //bench:bench //bench:fuzz_inputs \
              //tools:heaptwin //allocator/preload:libheaptwin_preload.so 2>"$work/build.log") ||
    { cat "$work/build.log" >&2; die "bench: build failed"; }
  # The optimised CLI and library (the checked drop-in modes run the checker in the CLI).
  export HEAPTWIN="$bin_dir/tools/heaptwin"
  export HEAPTWIN_PRELOAD_LIBRARY="$bin_dir/allocator/preload/libheaptwin_preload.so"
  [[ "$skip" != *,traces,* ]] && mapfile -t args < <(bash "$ROOT/bench/record_traces.sh" "$work" "$HEAPTWIN")
  if [[ "$skip" != *,engines,* ]]; then
    if engine_rows "$work" "$bin_dir" "${quick[@]}"; then
      args+=("--rows=$work/engines.rows")
    else
      say "bench: bench/engines.sh failed: no engine rows"
    fi
  fi
  if [[ "$skip" != *,drop-in,* ]]; then
    if bash "$ROOT/bench/dropin.sh" "${quick[@]}" "$work/dropin.rows"; then
      args+=("--rows=$work/dropin.rows")
    else
      say "bench: bench/dropin.sh failed: no drop-in rows"
    fi
  fi
  local bench="$bin_dir/bench/bench"
  if [ -z "$filter" ]; then
    mapfile -t isolated < <(isolated_rows "$bench" "$min_time" "$work" "${args[@]}")
    [ ${#isolated[@]} -gt 0 ] && filter="-^twin vs glibc: "
  fi
  say "running (progress on stderr; the table at the end)..."
  "$bench" --benchmark_min_time="$min_time" ${filter:+--benchmark_filter="$filter"} "${args[@]}" "${isolated[@]}"
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
