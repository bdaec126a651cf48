#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of heaptwin's fuzz targets (docs/clusterfuzzlite.md).
#
# Runs in the checkout (the Dockerfile's WORKDIR, $SRC/heaptwin) with the services' variables:
#   CC CXX CFLAGS CXXFLAGS   compilers and flags (sanitizer and coverage instrumentation)
#   LIB_FUZZING_ENGINE       the engine's link flag (libFuzzer: -fsanitize=fuzzer)
#   OUT                      where the targets and their files go
#   WORK                     scratch: generated sources, objects, seed staging
# The images have no Bazel: each target's sources and their libraries' copts come from
# .clusterfuzzlite/sources.txt, which .clusterfuzzlite/update_sources.sh writes from the Bazel
# graph (tests/clusterfuzzlite checks it is current); the targets are those of fuzz/targets.txt.
#
# Into $OUT, for each target NAME:
#   NAME                     the fuzz target, linked with $LIB_FUZZING_ENGINE
#   NAME_seed_corpus.zip     corpus/NAME/ and corpus/regressions/NAME/, each file named by its sha1
#   NAME.dict                corpus/NAME.dict, where there is one
#   NAME.options             libFuzzer options and, as comments, what the target compares
# and glibc_runner (the real-glibc side's process, built uninstrumented: the targets that run it
# find it beside themselves), glibc_debug/ (libc's debug symbols, for the glibc side) and
# heaptwin_README.txt.
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

for v in CC CXX CFLAGS CXXFLAGS LIB_FUZZING_ENGINE OUT WORK; do
  [ -n "${!v+x}" ] || die "\$$v is not set (ClusterFuzzLite and OSS-Fuzz set it; see docs/clusterfuzzlite.md)"
done

# The checkout: the working directory (the Dockerfile's WORKDIR), else $SRC/heaptwin.
if [ -f fuzz/targets.txt ]; then
  ROOT=$PWD
elif [ -n "${SRC:-}" ] && [ -f "$SRC/heaptwin/fuzz/targets.txt" ]; then
  ROOT=$SRC/heaptwin
else
  die "run me in the heaptwin checkout (no fuzz/targets.txt in $PWD)"
fi
MANIFEST=$ROOT/.clusterfuzzlite/sources.txt
# The services' compilers and flags are lists of words ("-O1 -fsanitize=address ...").
read -r -a CC_WORDS <<<"$CC"
read -r -a CXX_WORDS <<<"$CXX"
read -r -a CFLAGS_WORDS <<<"$CFLAGS"
read -r -a CXXFLAGS_WORDS <<<"$CXXFLAGS"
read -r -a ENGINE_WORDS <<<"$LIB_FUZZING_ENGINE"
mkdir -p "$OUT" "$WORK"
OUT=$(cd "$OUT" && pwd)
WORK=$(cd "$WORK" && pwd)
GEN=$WORK/heaptwin-gen
OBJ=$WORK/heaptwin-obj
SEEDS=$WORK/heaptwin-seeds
rm -rf "$GEN" "$OBJ" "$SEEDS"
JOBS=${HEAPTWIN_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}

# The targets: fuzz/targets.txt (name first; '#' comments), with their one-line summaries.
declare -A SUMMARY=()
TARGETS=()
while read -r name _ _ summary; do
  TARGETS+=("$name")
  SUMMARY[$name]=$summary
done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$ROOT/fuzz/targets.txt")

# The manifest (its header says what each line means).
declare -A UNITS=() COPTS=() LINKOPTS=() USES=() GENERATED=()
GENERATE=() BINARIES=() MANIFEST_TARGETS=()
while read -r kind a b rest; do
  case "$kind" in
    ''|'#'*) ;;
    generate) GENERATE+=("$a $b $rest"); GENERATED[$a]=1 ;;
    binary) BINARIES+=("$a") ;;
    target) MANIFEST_TARGETS+=("$a") ;;
    unit) UNITS[$a]+="$b"$'\n'; COPTS["$a $b"]=$rest ;;
    link) LINKOPTS[$a]+=" $b${rest:+ $rest}" ;;
    uses) USES[$a]+=" $b" ;;
    *) die "$MANIFEST: unknown line '$kind $a $b $rest'" ;;
  esac
done < "$MANIFEST"
for t in "${TARGETS[@]}"; do
  [[ " ${MANIFEST_TARGETS[*]} " == *" $t "* ]] ||
    die "fuzz/targets.txt names $t, which $MANIFEST does not build: run .clusterfuzzlite/update_sources.sh"
done
for t in "${MANIFEST_TARGETS[@]}"; do
  [[ " ${TARGETS[*]} " == *" $t "* ]] ||
    die "$MANIFEST builds $t, which fuzz/targets.txt does not name: run .clusterfuzzlite/update_sources.sh"
done

# The C compiler of the programs the targets run (the glibc runner): plain and uninstrumented,
# as Bazel builds it. $CC may carry a fuzzing engine's instrumentation (AFL++'s afl-clang-fast).
HELPER_CC=${HEAPTWIN_HELPER_CC:-$(command -v cc || echo "$CC")}
# The release of this image's glibc ("2.31"): what the glibc targets compare with.
GLIBC_RELEASE=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}' || true)
GLIBC_RELEASE=${GLIBC_RELEASE:-unknown}

# A small job pool: compile with up to $JOBS processes.
running=0
spawn() {
  "$@" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || die "a compile failed (its errors are above)"
    running=$((running - 1))
  fi
}
drain() {
  while [ "$running" -gt 0 ]; do
    wait -n || die "a compile failed (its errors are above)"
    running=$((running - 1))
  done
}

# 1. Generated sources (genrules of the form `TOOL OUT SRC...`, run in the checkout).
for g in "${GENERATE[@]}"; do
  read -r out tool srcs <<<"$g"
  read -r -a src_words <<<"$srcs"
  mkdir -p "$(dirname "$GEN/$out")"
  (cd "$ROOT" && "./$tool" "$GEN/$out" "${src_words[@]}") || die "generating $out with $tool failed"
done

# Where a unit's file is: generated into $GEN, or in the checkout.
source_of() { if [ -n "${GENERATED[$1]:-}" ]; then echo "$GEN/$1"; else echo "$ROOT/$1"; fi; }
# One object per (file, copts, kind): units shared by several targets compile once.
object_of() { echo "$OBJ/$3/$1.$(printf '%s' "$2" | cksum | cut -d' ' -f1).o"; }

# 2. Compile every unit: targets with the services' flags (and each library's copts after them,
# as Bazel orders them), the programs they run with the plain C compiler.
declare -A QUEUED=()
compile_target_unit() {  # FILE COPTS
  local src obj copts=()
  read -r -a copts <<<"$2"
  # OSS-Fuzz's UBSan names -fsanitize=vptr, which needs the RTTI these libraries turn off.
  if [[ " $2 " == *" -fno-rtti "* ]]; then copts+=(-fno-sanitize=vptr); fi
  src=$(source_of "$1")
  obj=$(object_of "$1" "$2" fuzz)
  if [ -n "${QUEUED[$obj]:-}" ]; then return 0; fi
  QUEUED[$obj]=1
  mkdir -p "$(dirname "$obj")"
  case "$1" in
    *.c) spawn "${CC_WORDS[@]}" "${CFLAGS_WORDS[@]}" -I"$ROOT" -I"$GEN" "${copts[@]}" -c "$src" -o "$obj" ;;
    *) spawn "${CXX_WORDS[@]}" "${CXXFLAGS_WORDS[@]}" -std=c++17 -I"$ROOT" -I"$GEN" "${copts[@]}" -c "$src" -o "$obj" ;;
  esac
}
compile_helper_unit() {  # FILE COPTS
  local src obj copts=() words o
  read -r -a words <<<"$2"
  # NO_FUZZ_FEEDBACK (bazel/copts.bzl) turns off coverage a helper never has; gcc refuses it.
  for o in "${words[@]}"; do
    if [[ "$o" != -fno-sanitize-coverage=* ]]; then copts+=("$o"); fi
  done
  src=$(source_of "$1")
  obj=$(object_of "$1" "$2" helper)
  if [ -n "${QUEUED[$obj]:-}" ]; then return 0; fi
  QUEUED[$obj]=1
  mkdir -p "$(dirname "$obj")"
  spawn "$HELPER_CC" -O1 -g -I"$ROOT" -I"$GEN" "${copts[@]}" -c "$src" -o "$obj"
}
for program in "${BINARIES[@]}" "${TARGETS[@]}"; do
  while IFS= read -r f; do
    [ -n "$f" ] || continue
    if [[ " ${BINARIES[*]} " == *" $program "* ]]; then
      compile_helper_unit "$f" "${COPTS["$program $f"]}"
    else
      compile_target_unit "$f" "${COPTS["$program $f"]}"
    fi
  done <<<"${UNITS[$program]:-}"
done
# The services' defaults for the targets that run a helper (target_environment.cc).
for b in "${BINARIES[@]}"; do
  spawn "${CXX_WORDS[@]}" "${CXXFLAGS_WORDS[@]}" -std=c++17 -DHEAPTWIN_RUNNER_NAME="\"$(basename "$b")\"" \
    -c "$ROOT/.clusterfuzzlite/target_environment.cc" -o "$OBJ/target_environment.$(basename "$b").o"
done
drain

# 3. Link: the helpers beside the targets, each target with the engine.
objects_of() {  # PROGRAM KIND: the program's objects into OBJS
  local f
  OBJS=()
  while IFS= read -r f; do
    if [ -n "$f" ]; then OBJS+=("$(object_of "$f" "${COPTS["$1 $f"]}" "$2")"); fi
  done <<<"${UNITS[$1]:-}"
}
for b in "${BINARIES[@]}"; do
  objects_of "$b" helper
  read -r -a link_words <<<"${LINKOPTS[$b]:-}"
  "$HELPER_CC" "${OBJS[@]}" "${link_words[@]}" -o "$OUT/$(basename "$b")" || die "linking $b failed"
done
for t in "${TARGETS[@]}"; do
  objects_of "$t" fuzz
  read -r -a uses <<<"${USES[$t]:-}"
  for b in "${uses[@]}"; do OBJS+=("$OBJ/target_environment.$(basename "$b").o"); done
  read -r -a link_words <<<"${LINKOPTS[$t]:-}"
  spawn "${CXX_WORDS[@]}" "${CXXFLAGS_WORDS[@]}" "${OBJS[@]}" "${link_words[@]}" "${ENGINE_WORDS[@]}" -o "$OUT/$t"
done
drain

# 4. libc's debug symbols, for the glibc side (main_arena, mp_, the tcache pointer): the image
# that runs the targets has no libc6-dbg (the Dockerfile installs it in this one), and without
# them the glibc side falls back on a probe that misreads heaps a memalign started
# (docs/glibc-runner.md). Carried as glibc_debug/.build-id/, by the libc's build id.
DEBUG_NOTE=""
rm -rf "$OUT/glibc_debug"
if [ ${#BINARIES[@]} -gt 0 ]; then
  # The libc the helpers load is the one the targets load.
  libc=$(ldd "$OUT/$(basename "${BINARIES[0]}")" 2>/dev/null | awk '$1 == "libc.so.6" {print $3}' || true)
  id=$(readelf -n "${libc:-/nonexistent}" 2>/dev/null | awk '/Build ID/ {print $3}' || true)
  debug=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
  if [ -n "$id" ] && [ -f "$debug" ]; then
    mkdir -p "$OUT/glibc_debug/.build-id/${id:0:2}"
    cp -L "$debug" "$OUT/glibc_debug/.build-id/${id:0:2}/"
  else
    DEBUG_NOTE="no debug symbols for ${libc:-libc.so.6} (build id ${id:-unknown}): install libc6-dbg"
    echo "build.sh: WARNING: $DEBUG_NOTE; the glibc targets will report false findings" >&2
  fi
fi

# 5. Seeds, dictionaries, options. The parser target reads .heap scripts; every other target
# takes bytes, and the regressions keep their readable .heap form beside each input (as
# fuzz/corpus_replay_test.sh replays them).
TEXT_TARGETS=" script_parser "
zip_folder() {  # ZIP FOLDER: every file of FOLDER, at the top of ZIP
  if command -v zip >/dev/null; then
    (cd "$2" && zip -q -X -r "$1" .)
  else  # zip is in the services' images; python3's zipfile where it is not
    (cd "$2" && python3 -m zipfile -c "$1" ./*)
  fi
}
for t in "${TARGETS[@]}"; do
  mkdir -p "$SEEDS/$t"
  longest=0
  for d in "$ROOT/corpus/$t" "$ROOT/corpus/regressions/$t"; do
    [ -d "$d" ] || continue
    while IFS= read -r -d '' f; do
      if [[ "$TEXT_TARGETS" != *" $t "* && "$f" == *.heap ]]; then continue; fi
      cp "$f" "$SEEDS/$t/$(sha1sum <"$f" | cut -d' ' -f1)"
      size=$(wc -c <"$f")
      if [ "$size" -gt "$longest" ]; then longest=$size; fi
    done < <(find -L "$d" -type f -print0)
  done
  rm -f "$OUT/${t}_seed_corpus.zip"
  if [ -n "$(ls -A "$SEEDS/$t")" ]; then zip_folder "$OUT/${t}_seed_corpus.zip" "$SEEDS/$t"; fi
  dict=""
  if [ -f "$ROOT/corpus/$t.dict" ]; then
    cp "$ROOT/corpus/$t.dict" "$OUT/$t.dict"
    dict="dict = $t.dict"
  fi
  {
    echo "# heaptwin fuzz target $t: ${SUMMARY[$t]}"
    if [ -n "${USES[$t]:-}" ]; then
      echo "# Real glibc, where this target compares with it, is this image's own glibc $GLIBC_RELEASE,"
      echo "# and the twin follows that release (HEAPTWIN_GLIBC=host, set by default; the twin's own"
      echo "# default is 2.36). heaptwin_README.txt says more."
    fi
    echo "# detect_leaks, rss_limit_mb, timeout: as heaptwin fuzz runs libFuzzer (tools/fuzz_libfuzzer.cc);"
    echo "# max_len: the longest seed, at least 4096, which libFuzzer picks from the committed corpus."
    echo "[libfuzzer]"
    if [ -n "$dict" ]; then echo "$dict"; fi
    echo "max_len = $((longest > 4096 ? longest : 4096))"
    echo "detect_leaks = 0"
    echo "rss_limit_mb = 4096"
    echo "timeout = 25"
  } >"$OUT/$t.options"
done

# 6. What the build holds, for whoever unpacks it.
{
  echo "heaptwin fuzz targets, built by .clusterfuzzlite/build.sh (docs/clusterfuzzlite.md)."
  echo
  for t in "${TARGETS[@]}"; do printf '  %-20s %s\n' "$t" "${SUMMARY[$t]}"; done
  echo
  echo "Real glibc: the targets that compare with it run glibc_runner (beside them; HEAPTWIN_RUNNER"
  echo "names another) under the glibc of the machine they run on: this image's glibc $GLIBC_RELEASE"
  echo "when they run in the image they were built in. The twin's default release is 2.36 (Debian"
  echo "12's); these targets set HEAPTWIN_GLIBC=host, which makes the twin follow the real glibc's"
  echo "release (here twin-$GLIBC_RELEASE; docs/glibc-versions.md lists the twin's releases: on a glibc"
  echo "without a twin the targets stop with that list). HEAPTWIN_GLIBC=V set outside wins."
  echo "The twin's releases are held to recordings of Debian's and upstream's builds; a"
  echo "distribution's own patches to malloc (Ubuntu's, say) show up as findings of these targets."
  echo "libc's symbols (main_arena, mp_, the tcache pointer) come from glibc_debug/, the debug file"
  echo "of this image's libc (libc6-dbg), found by build id: a machine whose libc is another build"
  echo "needs its own libc6-dbg; without symbols the glibc side falls back on a probe that misreads"
  echo "some heaps (docs/glibc-runner.md), and its findings are not to be trusted."
  if [ -n "$DEBUG_NOTE" ]; then echo "THIS BUILD: $DEBUG_NOTE."; fi
} >"$OUT/heaptwin_README.txt"

echo "build.sh: built ${TARGETS[*]} into $OUT (real glibc there: $GLIBC_RELEASE)"
