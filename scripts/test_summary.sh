#!/usr/bin/env bash
# scripts/test_summary.sh STATUS_LOG TESTLOGS: counts the test cases of a `bazel test
# --test_summary=short` run and prints "PASSED FAILED". STATUS_LOG is the run's output (its
# "//pkg:target [(cached)] STATUS ..." lines name the suites), TESTLOGS its bazel-testlogs folder.
# A suite counts the cases of the JUnit XML it wrote (gtest, or a script that writes one); a suite
# without one (it did not build, crashed before writing, timed out, or is a script that writes
# none) counts as one case: passed when its status is PASSED, failed otherwise.
set -uo pipefail

# The number in the attribute NAME of the <testsuites ...> element of FILE; 0 when it has none.
suites_attribute() {  # FILE NAME
  local element
  element=$(grep -m1 -o '<testsuites [^>]*' "$1")
  if [[ "$element" =~ [[:space:]]$2=\"([0-9]+)\" ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo 0
  fi
}

# Prints "PASSED FAILED" for one suite.
count_suite() {  # TARGET STATUS TESTLOGS
  local target=$1 status=$2 xml
  xml="$3/$(sed -e 's|^//||' -e 's|:|/|' <<<"$target")/test.xml"
  if [[ "$status" == PASSED || "$status" == FAILED ]] && [ -f "$xml" ] &&
     grep -q '<testsuites ' "$xml"; then
    local tests disabled bad
    tests=$(suites_attribute "$xml" tests)
    disabled=$(suites_attribute "$xml" disabled)
    bad=$(( $(suites_attribute "$xml" failures) + $(suites_attribute "$xml" errors) ))
    if [ "$status" == FAILED ] && [ "$bad" -eq 0 ]; then bad=1; fi  # crashed after some cases
    echo "$((tests - disabled - bad)) $bad"
  elif [ "$status" == PASSED ]; then
    echo "1 0"
  else
    echo "0 1"
  fi
}

main() {
  [ $# -eq 2 ] || { echo "usage: scripts/test_summary.sh STATUS_LOG TESTLOGS" >&2; exit 2; }
  local status_log=$1 testlogs=$2 target status suite_passed suite_failed passed=0 failed=0
  while read -r target status _; do
    read -r suite_passed suite_failed < <(count_suite "$target" "$status" "$testlogs")
    passed=$((passed + suite_passed))
    failed=$((failed + suite_failed))
  done < <(grep -E '^//[^ ]+ +(\(cached\) )?[A-Z]' "$status_log" | sed 's/(cached) //')
  echo "$passed $failed"
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
