#!/usr/bin/env bash
# ./heaptwin test, after the launcher has installed what is missing: every suite under Bazel,
# one ./heaptwin coverage run on a small target, under CI=true a short fixed-seed fuzzing run of every target, and last the line
# "N passed, N failed" that CI's .ci/run reads (scripts/test_summary.sh counts it).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf 'heaptwin: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

usage() {
  cat <<'EOF2'
usage: ./heaptwin test [--config NAME] [TARGET...]

Installs what is missing (Debian packages; chromium too, for the test that renders the HTML
timelines, which skips when it cannot be installed), builds, and runs every GoogleTest suite with
Bazel (offline). The last line is "N passed, N failed": test cases, counted from each suite's XML
report; a suite that does not build or crashes counts as one failure. Exit 0 when nothing failed.
Without --config and TARGETs it also runs ./heaptwin coverage on one target and three inputs
(one case: its summary must show lines of allocator/ reached).
Under CI=true it also fuzzes every target briefly with libFuzzer (a fixed seed and number of
executions, a few minutes in all); a finding fails that target's case.

  --config NAME   a .bazelrc config: asan or ubsan (sanitized run of the same tests)
  TARGET...       Bazel test targets (default //...)
EOF2
}

# Runs TARGETs under bazel test with OPTIONs; the whole output goes to LOG, and to the terminal
# without Bazel's progress chatter.
run_bazel_tests() {  # LOG OPTION... -- TARGET...
  local log=$1
  shift
  (cd "$ROOT" && bazel test --config=quiet --keep_going --test_summary=short "$@") 2>&1 |
    tee "$log" |
    grep -v -E '^(Loading|Analyzing|INFO: (Analyzed|Found|From|Elapsed|[0-9]+ process|Build))'
}

# CI's short fuzzing: the targets of fuzz/targets.txt with a CI count, each run for that many
# executions with seed 1 (about a minute each) through ./heaptwin fuzz, its output on fd 3.
# It starts from the committed seeds alone, in findings/ci/ (emptied first), never from the
# corpus earlier runs kept in findings/: the same checkout gives the same run on every machine.
# Prints "PASSED FAILED": each target is one test case.
ci_fuzz() {
  local manifest line name runs passed=0 failed=0 findings="$ROOT/findings/ci"
  mapfile -t manifest < <(grep -v -e '^#' -e '^[[:space:]]*$' "$ROOT/fuzz/targets.txt")
  say "CI: a short fuzzing run of every target (fixed seed, committed seeds only; a finding fails the run)"
  rm -rf "$findings"
  for line in "${manifest[@]}"; do
    read -r name _ runs _ <<<"$line"
    [ "$runs" -gt 0 ] || continue
    if "$ROOT/heaptwin" fuzz --target "$name" --runs "$runs" --seed 1 --findings "$findings" \
        </dev/null >&3; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      say "CI: fuzzing $name found something: findings/ci/$name/crashes/ (./heaptwin repro FILE explains it)"
    fi
  done
  echo "$passed $failed"
}

# ./heaptwin coverage on one small target and a few corpus inputs (seconds once its build is
# cached): its summary must name allocator/ with lines reached. Prints "PASSED FAILED".
coverage_case() {
  local out summary
  out=$(mktemp -d /tmp/heaptwin-coverage.XXXXXX)
  say "coverage: ./heaptwin coverage --target twin_vs_model --max-inputs 3"
  summary=$("$ROOT/scripts/coverage.sh" --target twin_vs_model --max-inputs 3 --out "$out" 2>&1)
  rm -rf "$out"
  if grep -qE '^allocator/ +lines [1-9][0-9]*/' <<<"$summary"; then
    echo "1 0"
  else
    say "coverage: no allocator/ line with lines reached in its summary:"
    printf '%s\n' "$summary" >&2
    echo "0 1"
  fi
}

main() {
  local options=() targets=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; return 0 ;;
      --config) [ $# -ge 2 ] || die "test: --config needs a name (asan, ubsan)"; options+=("--config=$2"); shift 2 ;;
      --config=*) options+=("$1"); shift ;;
      //*) targets+=("$1"); shift ;;
      *) die "test: unknown argument '$1' (see ./heaptwin test --help)" ;;
    esac
  done
  local whole_suite=false
  [ ${#targets[@]} -gt 0 ] || { targets=(//...); whole_suite=true; }
  local log passed failed fuzz_passed fuzz_failed
  log=$(mktemp /tmp/heaptwin-test.XXXXXX)
  say "building and running tests: ${targets[*]} ${options[*]:-}"
  run_bazel_tests "$log" "${options[@]}" -- "${targets[@]}"
  read -r passed failed < <("$ROOT/scripts/test_summary.sh" "$log" "$ROOT/bazel-testlogs")
  rm -f "$log"
  if ! [[ "${passed:-}" =~ ^[0-9]+$ && "${failed:-}" =~ ^[0-9]+$ ]]; then
    say "scripts/test_summary.sh could not count the results: counted as one failure"
    passed=0 failed=1
  fi
  # The coverage build is clang's, not the configuration's: once, in the whole default run.
  if [ "$whole_suite" == true ] && [ ${#options[@]} -eq 0 ]; then
    local coverage_passed coverage_failed
    read -r coverage_passed coverage_failed < <(coverage_case)
    passed=$((passed + ${coverage_passed:-0}))
    failed=$((failed + ${coverage_failed:-1}))
  fi
  if [ "${CI:-}" == true ]; then
    # The fuzz runs' own output goes to this stdout (fd 3); their counts come back on the pipe.
    { read -r fuzz_passed fuzz_failed < <(ci_fuzz); } 3>&1
    if ! [[ "${fuzz_passed:-}" =~ ^[0-9]+$ && "${fuzz_failed:-}" =~ ^[0-9]+$ ]]; then
      say "CI: the fuzzing runs reported no count: counted as one failure"
      fuzz_passed=0 fuzz_failed=1
    fi
    passed=$((passed + fuzz_passed))
    failed=$((failed + fuzz_failed))
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
