#!/usr/bin/env bash
# scripts/test_summary.sh on a made-up `bazel test --test_summary=short` run and its testlogs:
# every kind of status line, with and without each suite's XML.
set -uo pipefail

summary="${TEST_SRCDIR:-$PWD/..}/heaptwin/scripts/test_summary.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

xml() {  # TARGET_PATH ELEMENT: a test.xml whose first lines hold ELEMENT
  mkdir -p "$tmp/testlogs/$1"
  printf '<?xml version="1.0" encoding="UTF-8"?>\n%s\n</testsuites>\n' "$2" >"$tmp/testlogs/$1/test.xml"
}

expect() {  # WHAT EXPECTED STATUS_LINE...
  local what=$1 expected=$2 got
  shift 2
  printf '%s\n' "$@" >"$tmp/status.log"
  got=$("$summary" "$tmp/status.log" "$tmp/testlogs")
  if [ "$got" == "$expected" ]; then
    echo "ok: $what: $got"
  else
    echo "FAILED: $what: expected '$expected', got '$got'"
    failures=$((failures + 1))
  fi
}

xml a/pass_test '<testsuites tests="7" failures="0" disabled="1" errors="0" timestamp="x" name="AllTests">'
xml a/fail_test '<testsuites tests="5" failures="2" disabled="0" errors="1" name="AllTests">'
xml a/crash_test '<testsuites tests="4" failures="0" disabled="0" errors="0" name="AllTests">'
xml b/script_test '<testsuites><testsuite name="b/script_test" tests="1" failures="0" errors="0">'

expect "gtest XML: tests less disabled" "6 0" "//a:pass_test   PASSED in 0.1s"
expect "cached" "6 0" "//a:pass_test   (cached) PASSED in 0.1s"
expect "failures and errors" "2 3" "//a:fail_test   FAILED in 1.0s"
expect "crashed after writing its XML" "3 1" "//a:crash_test   FAILED in 1.0s"
expect "Bazel's own XML of a script: one case" "1 0" "//b:script_test   PASSED in 0.2s"
expect "no XML, passed" "1 0" "//c:no_xml_test   PASSED in 0.2s"
expect "did not build" "0 1" "//c:broken_test   FAILED TO BUILD"
expect "no status" "0 1" "//c:skipped_test   NO STATUS"
expect "timed out with an XML" "0 1" "//a:pass_test   TIMEOUT in 60.0s"
expect "flaky" "0 1" "//a:pass_test   FLAKY, failed in 1 out of 2 in 0.3s"
expect "other lines are not suites" "0 0" "INFO: Build completed" "Executed 1 out of 1 test" "  //a:pass_test"
expect "a whole run" "13 5" \
  "INFO: Elapsed time: 3.0s" \
  "//a:pass_test   PASSED in 0.1s" \
  "//a:fail_test   FAILED in 1.0s" \
  "//a:crash_test  (cached) FAILED in 1.0s" \
  "//b:script_test PASSED in 0.2s" \
  "//c:broken_test FAILED TO BUILD" \
  "//c:no_xml_test PASSED in 0.2s"

[ "$failures" -eq 0 ]
