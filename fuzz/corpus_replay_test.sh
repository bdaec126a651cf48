#!/usr/bin/env bash
# Replays every seed and regression input of each target through it (no engine): a stored
# input that crashes or trips a check fails the test. Writes a gtest-style XML so the launcher
# counts each target's replay as one test case.
set -u
pass=0; fail=0; cases=""
# Every target of the manifest (fuzz/targets.txt: name first, '#' comments).
mapfile -t targets < <(grep -v '^#' fuzz/targets.txt | awk 'NF {print $1}')
for target in "${targets[@]}"; do
  # Every input file; regressions keep their readable .heap form beside the bytes, which only
  # the parser target takes as input.
  inputs=()
  for d in corpus/$target corpus/regressions/$target; do
    [ -d "$d" ] || continue
    while IFS= read -r f; do inputs+=("$f"); done < <(
      if [ "$target" == script_parser ]; then find -L "$d" -type f; else find -L "$d" -type f ! -name '*.heap'; fi)
  done
  if [ ${#inputs[@]} -eq 0 ]; then echo "no corpus for $target"; fail=$((fail+1)); continue; fi
  if out=$("fuzz/$target" "${inputs[@]}" 2>&1); then
    echo "$target: $out"; pass=$((pass+1)); cases+="<testcase name=\"$target\" status=\"run\"/>"
  else
    echo "$target FAILED: $out"; fail=$((fail+1))
    cases+="<testcase name=\"$target\" status=\"run\"><failure message=\"replay failed\"/></testcase>"
  fi
done
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="%d" failures="%d" disabled="0" errors="0" name="AllTests">\n<testsuite name="CorpusReplay" tests="%d" failures="%d">%s</testsuite>\n</testsuites>\n' \
    $((pass+fail)) "$fail" $((pass+fail)) "$fail" "$cases" > "$XML_OUTPUT_FILE"
fi
[ "$fail" -eq 0 ]
