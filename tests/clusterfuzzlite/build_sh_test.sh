#!/usr/bin/env bash
# .clusterfuzzlite/build.sh as ClusterFuzzLite and OSS-Fuzz run it, here: clang, libFuzzer, ASan,
# the services' variables, a scratch $OUT and $WORK, and $SRC holding the checkout (this test's
# runfiles: exactly the files Bazel knows the fuzz targets read, so a build.sh that needs an
# undeclared file fails here). Then every target it made runs its seed corpus from a copy of
# $OUT elsewhere, as the services' runner image does. Checked, one test case each:
#   sources_current  .clusterfuzzlite/sources.txt matches the Bazel graph (fuzz_sources.bzl)
#   build_sh         build.sh exits 0
#   out_files        each target, NAME_seed_corpus.zip (every seed), NAME.dict, NAME.options,
#                    glibc_runner and heaptwin_README.txt are in $OUT
#   run_NAME         NAME -runs=0 over its unzipped seeds, with its .options, exits 0 having
#                    read every seed; a glibc target also with /usr/lib/debug hidden (a mount
#                    namespace, where unshare works), as the services' runner image has no
#                    libc6-dbg: it must use the debug file build.sh carried in glibc_debug/
#   runner_beside    a glibc target whose glibc_runner is gone stops (it used the one beside it)
#   other_glibc      on a machine whose glibc is not 2.36 (Debian's 2.41 from the cache, which the
#                    2.41 suites set up, made the targets' own with patchelf), the glibc targets
#                    compare twin-2.41 with it and agree on every seed; the 2.36 twin does not.
#                    Skipped, with a note, without patchelf or that sysroot.
# Writes a gtest-style XML so the launcher counts the cases.
set -uo pipefail

ROOT="$TEST_SRCDIR/${TEST_WORKSPACE:-heaptwin}"
SCRATCH="${TEST_TMPDIR:-$(mktemp -d)}"
cd "$ROOT" || exit 1
pass=0; fail=0; cases=""
record() {  # NAME ok|fail [MESSAGE]
  if [ "$2" == ok ]; then
    echo "ok: $1"; pass=$((pass + 1)); cases+="<testcase name=\"$1\" status=\"run\"/>"
  else
    echo "FAILED: $1: ${3:-}"; fail=$((fail + 1))
    cases+="<testcase name=\"$1\" status=\"run\"><failure message=\"$(printf '%s' "${3:-}" | tr -d '<>&"')\"/></testcase>"
  fi
}
finish() {
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="%d" failures="%d" disabled="0" errors="0" name="AllTests">\n<testsuite name="ClusterFuzzLiteBuild" tests="%d" failures="%d">%s</testsuite>\n</testsuites>\n' \
      $((pass + fail)) "$fail" $((pass + fail)) "$fail" "$cases" >"$XML_OUTPUT_FILE"
  fi
  echo "$pass passed, $fail failed; $(($(date +%s) - started)) s in all"
  [ "$fail" -eq 0 ]
  exit
}
started=$(date +%s)
MANIFEST=.clusterfuzzlite/sources.txt
TARGETS=$(grep -v -e '^#' -e '^[[:space:]]*$' fuzz/targets.txt | awk '{print $1}')

# 1. The committed manifest against the graph. This test's configuration is not
# --config=libfuzzer, which the manifest is written for, so what selects on the engine is left
# out of the comparison: NO_FUZZ_FEEDBACK's copts and NO_TWIN_DCHECKS_WHEN_FUZZING's
# (bazel/copts.bzl) and fuzz.bzl's engine glue (exec_counter.cc and its --wrap for libFuzzer,
# replay_main.cc otherwise).
normalise() {
  sed -E -e 's/ -fno-sanitize-coverage=[^ ]*//g' -e 's/ -fno-sanitize=address//g' \
    -e 's/ -DHEAPTWIN_NO_TWIN_DCHECKS//g' \
    -e '/^unit [^ ]+ fuzz\/(exec_counter|replay_main)\.cc$/d' \
    -e '/^link [^ ]+ -Wl,--wrap=LLVMFuzzerTestOneInput$/d' "$1"
}
if ! d=$(diff <(normalise "$MANIFEST") <(normalise tests/clusterfuzzlite/fuzz_sources.txt)); then
  echo "$d"
  record sources_current fail "$MANIFEST is stale (diff above): run .clusterfuzzlite/update_sources.sh"
elif [ "$(awk '$1 == "target" {print $2}' "$MANIFEST" | sort)" != "$(sort <<<"$TARGETS")" ]; then
  record sources_current fail "fuzz/targets.txt and $MANIFEST name different targets: add the target to tests/clusterfuzzlite/BUILD.bazel and run .clusterfuzzlite/update_sources.sh"
else
  record sources_current ok
fi

# 2. build.sh, with the variables as the services set them for an ASan libFuzzer build.
OUT="$SCRATCH/out"; WORK="$SCRATCH/work"
rm -rf "$OUT" "$WORK"; mkdir -p "$OUT" "$WORK"
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
flags+=" -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
build_started=$(date +%s)
if env CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
    OUT="$OUT" WORK="$WORK" SRC="$TEST_SRCDIR" bash -eu .clusterfuzzlite/build.sh >"$SCRATCH/build.log" 2>&1; then
  record build_sh ok
  echo "build.sh: $(($(date +%s) - build_started)) s"
else
  tail -40 "$SCRATCH/build.log"
  record build_sh fail "build.sh failed (the end of its output above)"
  finish
fi

# 3. What $OUT holds. The seeds: as build.sh and fuzz/corpus_replay_test.sh take them (the
# parser reads .heap scripts; the other targets skip the readable form beside each regression).
missing=""
for t in $TARGETS; do
  for f in "$t" "$t.options" "${t}_seed_corpus.zip"; do [ -s "$OUT/$f" ] || missing+=" $f"; done
  if [ -f "corpus/$t.dict" ] && ! cmp -s "corpus/$t.dict" "$OUT/$t.dict"; then missing+=" $t.dict"; fi
  expected=$(for d in corpus/$t corpus/regressions/$t; do
               [ -d "$d" ] || continue
               if [ "$t" == script_parser ]; then find -L "$d" -type f -exec sha1sum {} +
               else find -L "$d" -type f ! -name '*.heap' -exec sha1sum {} +; fi
             done | awk '{print $1}' | sort -u)
  zipped=$(unzip -Z1 "$OUT/${t}_seed_corpus.zip" 2>/dev/null | sort)
  [ -n "$expected" ] && [ "$expected" == "$zipped" ] || missing+=" ${t}_seed_corpus.zip:seeds"
done
for f in glibc_runner heaptwin_README.txt; do [ -s "$OUT/$f" ] || missing+=" $f"; done
# libc's debug file, by the build id of the libc the targets load.
id=$(readelf -n "$(ldd "$OUT/glibc_runner" | awk '$1 == "libc.so.6" {print $3}')" | awk '/Build ID/ {print $3}')
[ -s "$OUT/glibc_debug/.build-id/${id:0:2}/${id:2}.debug" ] || missing+=" glibc_debug/.build-id/${id:0:2}/${id:2}.debug"
if [ -z "$missing" ]; then record out_files ok; else record out_files fail "missing or wrong in \$OUT:$missing"; fi

# 4. Each target over its seeds, from a copy of $OUT (the services unpack the build elsewhere;
# neither $SRC nor $WORK is there). No cache a runner could be compiled into: the glibc targets
# must use the glibc_runner beside them.
RUN="$SCRATCH/runner-image/out"
rm -rf "$SCRATCH/runner-image"; mkdir -p "$SCRATCH/runner-image"
cp -a "$OUT" "$RUN"
rm -rf "$WORK"
uses_runner=" $(awk '$1 == "uses" {print $2}' "$MANIFEST" | tr '\n' ' ') "
# The runner image has no libc6-dbg: /usr/lib/debug hidden in a mount namespace of its own.
EMPTY="$SCRATCH/empty"; mkdir -p "$EMPTY"
printf '#!/bin/sh\nmount --bind "%s" /usr/lib/debug && exec "$@"\n' "$EMPTY" >"$SCRATCH/hide_debug.sh"
HIDE_DEBUG=(unshare -m sh "$SCRATCH/hide_debug.sh")
if ! "${HIDE_DEBUG[@]}" true 2>/dev/null; then
  echo "note: no mount namespace here (unshare -m): the glibc targets run only with this machine's libc6-dbg"
  HIDE_DEBUG=()
fi
run_target() {  # NAME LABEL [VAR=VALUE...] [COMMAND PREFIX...]: 0 when it read every seed and exited 0
  local t=$1 label=$2
  local seeds="$SCRATCH/seeds/$t" dir="$SCRATCH/run/$t.$label" opts=() vars=() key value section=""
  shift 2
  while [ $# -gt 0 ] && [[ "$1" == *=* ]]; do vars+=("$1"); shift; done
  rm -rf "$dir" "$seeds"; mkdir -p "$dir" "$seeds"
  unzip -q "$RUN/${t}_seed_corpus.zip" -d "$seeds" || return 1
  # The .options as the services read them: `key = value` under [libfuzzer], '#' comments.
  while IFS= read -r line; do
    case "$line" in
      '#'*|'') ;;
      '['*']') section=$line ;;
      *' = '*)
        [ "$section" == "[libfuzzer]" ] || { echo "$t.options: '$line' outside [libfuzzer]"; return 1; }
        key=${line%% = *}; value=${line#* = }
        [ "$key" == dict ] && value="$RUN/$value"
        opts+=("-$key=$value") ;;
      *) echo "$t.options: cannot read '$line'"; return 1 ;;
    esac
  done <"$RUN/$t.options"
  (cd "$dir" && "$@" env -u HEAPTWIN_RUNNER -u HEAPTWIN_GLIBC -u HEAPTWIN_LIBC -u HEAPTWIN_DEBUG_ROOT \
     HEAPTWIN_CACHE=/dev/null/heaptwin-cache "${vars[@]}" "$RUN/$t" "${opts[@]}" -artifact_prefix="$dir/" -runs=0 "$seeds") \
    >"$dir.log" 2>&1
  local rc=$? read_seeds count
  read_seeds=$(grep -o 'seed corpus: files: [0-9]*' "$dir.log" | awk '{print $4}')
  count=$(find "$seeds" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "${read_seeds:-0}" -ne "$count" ]; then
    grep -v '^INFO:' "$dir.log" | head -30
    echo "$t ($label): exit $rc, read ${read_seeds:-no} of $count seeds"
    return 1
  fi
  echo "$t ($label): $count seeds, exit 0"
}
for t in $TARGETS; do
  t_started=$(date +%s)
  if ! run_target "$t" plain; then
    record "run_$t" fail "$t failed on its seeds (output above)"
  elif [[ "$uses_runner" == *" $t "* ]] && [ ${#HIDE_DEBUG[@]} -gt 0 ] &&
       ! run_target "$t" no-libc6-dbg "${HIDE_DEBUG[@]}"; then
    record "run_$t" fail "$t failed on its seeds with /usr/lib/debug hidden (output above)"
  else
    record "run_$t" ok
  fi
  echo "  $(($(date +%s) - t_started)) s"
done

# 5. The glibc targets run the runner beside them: without it (and with no cache to build one
# into) twin_vs_glibc cannot start its sides.
rm "$RUN/glibc_runner"
if run_target twin_vs_glibc without-runner >/dev/null 2>&1; then
  record runner_beside fail "twin_vs_glibc ran without the glibc_runner beside it: it used another"
elif grep -q 'cannot start the sides' "$SCRATCH/run/twin_vs_glibc.without-runner.log"; then
  record runner_beside ok
else
  record runner_beside fail "twin_vs_glibc without its runner failed otherwise: see $SCRATCH/run/twin_vs_glibc.without-runner.log"
fi

# 6. A machine whose glibc is another release. The image's glibc is rarely the twin's default
# 2.36 (ClusterFuzzLite's: Ubuntu 20.04's 2.31). Debian 13's 2.41 stands in: `--glibc 2.41` keeps
# it in the cache; copies of the glibc targets and the runner load it (their ELF interpreter and
# library path set with patchelf), with its libc debug file as glibc_debug/. Left as the services
# leave it, a target must compare twin-2.41 with that glibc and agree on every seed; with the
# 2.36 twin forced (HEAPTWIN_GLIBC=2.36) it must not, or the real side was not 2.41.
home=$(getent passwd "$(id -u)" | cut -d: -f6)
SYSROOT="$home/.cache/heaptwin/glibc-2.41"
LIBDIR="$SYSROOT/usr/lib/x86_64-linux-gnu"
if ! command -v patchelf >/dev/null || [ ! -x "$LIBDIR/ld-linux-x86-64.so.2" ]; then
  echo "note: other_glibc skipped: it needs patchelf (apt-get install patchelf) and the 2.41 sysroot"
  echo "      ($SYSROOT, which ./heaptwin test's 2.41 suites set up on first use)"
else
  cp -a "$OUT/glibc_runner" "$RUN/glibc_runner"
  rm -rf "$RUN/glibc_debug"
  id=$(readelf -n "$LIBDIR/libc.so.6" | awk '/Build ID/ {print $3}')
  mkdir -p "$RUN/glibc_debug/.build-id/${id:0:2}"
  cp "$SYSROOT/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" "$RUN/glibc_debug/.build-id/${id:0:2}/" 2>/dev/null
  problems=""
  for f in glibc_runner $uses_runner; do
    patchelf --set-interpreter "$LIBDIR/ld-linux-x86-64.so.2" --set-rpath "$LIBDIR" "$RUN/$f" ||
      problems+=" patchelf:$f"
  done
  for t in twin_vs_glibc attack; do
    run_target "$t" glibc-2.41 || problems+=" $t"
  done
  if run_target twin_vs_glibc glibc-2.41-twin-2.36 HEAPTWIN_GLIBC=2.36 >/dev/null 2>&1; then
    problems+=" the-2.36-twin-agreed-with-2.41"
  fi
  if [ -z "$problems" ]; then record other_glibc ok; else record other_glibc fail "on glibc 2.41:$problems"; fi
fi
finish
