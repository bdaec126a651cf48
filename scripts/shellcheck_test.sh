#!/usr/bin/env bash
# Lints with shellcheck every shell script of the checkout: files named *.sh and files whose first line
# runs sh or bash (./heaptwin, .ci/run), tracked or new (git ls-files; find where there is no
# git). The checkout is where this test's runfile scripts/test.sh really lives. Any finding, of
# any severity, fails that script's case. Writes a gtest-style XML: one case per script.
set -uo pipefail

runfile="${TEST_SRCDIR:-$PWD/..}/heaptwin/scripts/test.sh"
ROOT=$(cd "$(dirname "$(readlink -f "$runfile")")/.." && pwd)

if ! command -v shellcheck >/dev/null; then
  echo "SKIPPED: shellcheck is not installed (apt-get install shellcheck; ./heaptwin test installs it)"
  exit 0
fi

# Every file of the checkout, relative to ROOT, one a line.
checkout_files() {
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" ls-files -co --exclude-standard
  else
    (cd "$ROOT" && find . -path ./third_party -prune -o -path './bazel-*' -prune -o -type f -print |
       sed 's|^\./||')
  fi
}

# Read with bash's own `read`: two processes a file (head | grep) made this test take over a
# minute on a loaded 2-core machine, for some 2,300 files.
is_shell_script() {  # FILE
  [[ "$1" == *.sh ]] && return 0
  local first=""
  IFS= read -r first <"$ROOT/$1" 2>/dev/null
  [[ "$first" =~ ^\#!.*[/\ ](ba)?sh([[:space:]]|$) ]]
}

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

main() {
  local file findings scripts=() cases="" failed=0
  while IFS= read -r file; do
    [ -f "$ROOT/$file" ] && is_shell_script "$file" && scripts+=("$file")
  done < <(checkout_files | sort -u)
  if [ ${#scripts[@]} -lt 10 ]; then
    echo "FAILED: only ${#scripts[@]} shell scripts found in $ROOT (the launcher, scripts/, bench/, ...)"
    exit 1
  fi
  echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#scripts[@]} scripts in $ROOT"
  for file in "${scripts[@]}"; do
    if findings=$(cd "$ROOT" && shellcheck --format=gcc "$file" 2>&1); then
      echo "ok: $file"
      cases+="<testcase name=\"$file\" status=\"run\"/>"
    else
      echo "FAILED: $file"
      printf '%s\n' "$findings" | sed 's/^/    /'
      failed=$((failed + 1))
      cases+="<testcase name=\"$file\" status=\"run\"><failure message=\"$(head -n 1 <<<"$findings" | xml_escape)\"/></testcase>"
    fi
  done
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="%d" failures="%d" disabled="0" errors="0" name="AllTests">\n<testsuite name="Shellcheck" tests="%d" failures="%d">%s</testsuite>\n</testsuites>\n' \
      "${#scripts[@]}" "$failed" "${#scripts[@]}" "$failed" "$cases" >"$XML_OUTPUT_FILE"
  fi
  [ "$failed" -eq 0 ]
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
