#!/usr/bin/env bash
# ./heaptwin coverage: which source lines of the twin (and of the code around it) the committed
# corpus reaches. Builds the fuzz targets that run the twin with clang's source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping) in an output base of their own
# (scripts/bazel_build.sh coverage), replays corpus/TARGET and corpus/regressions/TARGET through
# each (the plain replay main, fuzz/replay_main.cc), merges the profiles with llvm-profdata and
# writes llvm-cov's HTML report; prints one summary line per top-level folder.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="$ROOT/fuzz/targets.txt"
PROFDATA=llvm-profdata-14
COV=llvm-cov-14
# Not the project's own code, or not what a corpus is meant to reach.
IGNORE='(^|/)(external|third_party|usr)/|_test\.cc$|fuzz/replay_main\.cc$'

say() { printf 'heaptwin coverage: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

usage() {
  cat <<'EOF'
usage: ./heaptwin coverage [--target T]... [--max-inputs N] [--out DIR]

The twin's source coverage from the committed corpus: builds the fuzz targets that run the twin
with clang source-based coverage (clang 14; the first build takes several minutes, later ones
reuse it), replays each target's corpus/T/ and corpus/regressions/T/ inputs, and writes an HTML
report (llvm-cov show) to DIR/html/index.html. Prints one line per folder: lines and functions
reached, e.g.
  allocator/   lines 3012/3371 (89.4%)  functions 402/431 (93.3%)

  --target T      a fuzz target of fuzz/targets.txt that runs the twin (role main or
                  differential); repeat for several. Default: all of them
  --max-inputs N  replay at most N inputs per target (the first N by name); default all
  --out DIR       where the report goes (default out/coverage)

Exit 0; 2 on bad usage, a failed build or a missing llvm tool (message on stderr).
EOF
}

# The targets that run the twin: manifest roles main and differential.
twin_targets() {
  awk '!/^#/ && NF >= 2 && ($2 == "main" || $2 == "differential") {print $1}' "$MANIFEST"
}

# Dies unless NAME is a target that runs the twin, saying which are.
check_target() {  # NAME
  local name=$1 known
  known=$(twin_targets | tr '\n' ' ')
  if ! grep -qx -- "$name" < <(twin_targets); then
    if awk -v n="$name" '!/^#/ && $1 == n {found=1} END {exit !found}' "$MANIFEST"; then
      die "target '$name' runs no twin (its role in fuzz/targets.txt); targets that do: $known"
    fi
    die "unknown target '$name'; targets that run the twin (fuzz/targets.txt): $known"
  fi
}

# The corpus files of TARGET, in name order (regressions' .heap forms are for people), at most MAX
# (0: all).
corpus_files() {  # TARGET MAX
  local target=$1 max=$2
  find "$ROOT/corpus/$target" "$ROOT/corpus/regressions/$target" -maxdepth 1 -type f ! -name '*.heap' \
      2>/dev/null | sort | { if [ "$max" -gt 0 ]; then head -n "$max"; else cat; fi; }
}

# llvm-cov report's table (one row per file: Filename Regions Missed Cover Functions Missed
# Executed Lines Missed Cover ...) summed per top-level folder: "FOLDER/ lines C/T (P%) ...".
folder_summary() {
  awk '
    NF >= 10 && $2 ~ /^[0-9]+$/ && $1 != "TOTAL" {
      folder = $1
      sub(/^\.\//, "", folder)
      if (index(folder, "/") == 0) next
      folder = substr(folder, 1, index(folder, "/"))
      functions[folder] += $5; missed_functions[folder] += $6
      lines[folder] += $8; missed_lines[folder] += $9
    }
    END {
      for (f in lines) {
        lc = lines[f] - missed_lines[f]; fc = functions[f] - missed_functions[f]
        printf "%-12s lines %d/%d (%.1f%%)  functions %d/%d (%.1f%%)\n", f, lc, lines[f],
               lines[f] ? 100 * lc / lines[f] : 0, fc, functions[f],
               functions[f] ? 100 * fc / functions[f] : 0
      }
    }' | sort
}

# The glibc runner of the default build, uninstrumented: the profile runtime would allocate in
# the heap it measures. Prints its path.
plain_runner() {
  local log bin
  log=$(mktemp /tmp/heaptwin-build.XXXXXX)
  if ! (cd "$ROOT" && bazel build --config=quiet //oracle/glibc:glibc_runner) >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  bin=$(cd "$ROOT" && bazel info bazel-bin 2>/dev/null) || return 1
  echo "$bin/oracle/glibc/glibc_runner"
}

main() {
  local targets=() max=0 out="$ROOT/out/coverage" t
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; return 0 ;;
      --target) [ $# -ge 2 ] || die "--target needs a name"; targets+=("$2"); shift 2 ;;
      --max-inputs)
        [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--max-inputs needs a number"
        max=$2; shift 2 ;;
      --out) [ $# -ge 2 ] || die "--out needs a folder"; out=$2; shift 2 ;;
      *) die "unknown argument '$1' (see ./heaptwin coverage --help)" ;;
    esac
  done
  [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(twin_targets)
  for t in "${targets[@]}"; do check_target "$t"; done
  if ! command -v "$PROFDATA" >/dev/null || ! command -v "$COV" >/dev/null; then
    die "needs $PROFDATA and $COV (apt-get install llvm-14)"
  fi

  say "building ${targets[*]} with clang coverage (the first build takes several minutes)..."
  local bin
  bin=$("$ROOT/scripts/bazel_build.sh" coverage --repo_env=CC=clang --repo_env=CXX=clang++ \
          --copt=-fprofile-instr-generate --copt=-fcoverage-mapping \
          --linkopt=-fprofile-instr-generate -- "${targets[@]/#///fuzz:}") ||
    die "the coverage build failed (output above)"

  local runner
  runner=$(plain_runner) || die "building the glibc runner failed (output above)"
  rm -rf "$out/profiles" "$out/html"
  mkdir -p "$out/profiles" || die "cannot create $out"
  local files=() objects=() n file findings
  for t in "${targets[@]}"; do
    mapfile -t files < <(corpus_files "$t" "$max")
    n=${#files[@]}
    say "replaying $n inputs of $t..."
    [ "$n" -gt 0 ] || continue
    # One process per input: a finding aborts it, and an aborted process writes no profile.
    findings=0
    for file in "${files[@]}"; do
      HEAPTWIN_RUNNER="$runner" LLVM_PROFILE_FILE="$out/profiles/$t-%p.profraw" \
        "$bin/fuzz/$t" "$file" >/dev/null 2>&1 || findings=$((findings + 1))
    done
    [ "$findings" -eq 0 ] ||
      say "$t: $findings inputs ended in a finding (./heaptwin repro FILE --target $t); their coverage is not counted"
    objects+=(-object "$bin/fuzz/$t")
  done
  [ ${#objects[@]} -gt 0 ] || die "no corpus inputs to replay"
  say "merging the profiles..."
  "$PROFDATA" merge -sparse -o "$out/merged.profdata" "$out"/profiles/*.profraw ||
    die "llvm-profdata merge failed"
  say "writing the HTML report..."
  (cd "$ROOT" && "$COV" show -format=html -output-dir="$out/html" -instr-profile="$out/merged.profdata" \
      -ignore-filename-regex="$IGNORE" "${objects[@]}") || die "llvm-cov show failed"
  (cd "$ROOT" && "$COV" report -instr-profile="$out/merged.profdata" -ignore-filename-regex="$IGNORE" \
      "${objects[@]}") | folder_summary
  say "report: $out/html/index.html"
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
