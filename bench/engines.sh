#!/usr/bin/env bash
# bench/engines.sh: execs/s of every fuzz target under libFuzzer and under AFL++, on the inputs of
# bench/fuzz_inputs (16-, 64- and 256-op Programs), written as rows for `bench --rows=OUT_FILE`.
#
#   bench/engines.sh [--quick] --libfuzzer-bin DIR --afl-bin DIR --inputs DIR [--cli PATH] OUT_FILE
#
# The DIRs of the engines are the bazel-bin/fuzz folders of a --config=libfuzzer and a
# --config=afl build (`./heaptwin fuzz` builds them under ~/.cache/heaptwin/<id>/bazel-<engine>);
# a missing one is skipped with a message. --inputs is fuzz_inputs' OUT_DIR.
#
# The settings (upper case) are set once, from the arguments, and read only; every measurement
# appends its row to ROWS and returns nothing else through a variable.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT

usage() {
  cat <<'EOF2'
usage: bench/engines.sh [--quick] --libfuzzer-bin DIR --afl-bin DIR --inputs DIR [--cli PATH]
                        OUT_FILE

Measures the execs/s of every fuzz target (fuzz/targets.txt) on 16-, 64- and 256-op inputs under each engine, and writes them to OUT_FILE
as rows for `bench --rows=OUT_FILE` (tab-separated: `value ROW exec NS` and `rate ROW exec MIN
execs/s`; targets at 64 ops: twin_vs_model >= 100000, twin_vs_glibc >= 20000).

  --libfuzzer-bin DIR  bazel-bin/fuzz of a --config=libfuzzer build (missing: skipped)
  --afl-bin DIR        bazel-bin/fuzz of a --config=afl build (missing: skipped)
  --inputs DIR         what `fuzz_inputs DIR` wrote: DIR/<target>/<ops>/NNNN
  --cli PATH           the heaptwin command line: also measure the default main job
                       (`heaptwin fuzz` as a user runs it: twin_vs_glibc, libFuzzer, one job
                       per core, from the committed corpus) in execs/s per job; target >= 5000
  --quick              64-op inputs only, shorter runs (under a minute instead of about 4)

libFuzzer replays a fixed set of inputs (the first 20 of each folder) with -runs=R, which
executes each file R times without mutation; R is chosen so the run lasts a few seconds, which
amortises the process's start-up (nothing is subtracted). AFL++ fuzzes for a fixed time from
the same inputs as seeds (a fresh output folder each time, no CmpLog) and reports its own
execs_per_sec, which includes calibration and mutated inputs of other sizes around the seeds'.
Progress on stderr. Exit 0, 1 when nothing could be measured, 2 bad usage.
EOF2
}

say() { printf 'engines: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

quick=0 lf_bin="" afl_bin="" inputs="" out="" cli=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --quick) quick=1; shift ;;
    --libfuzzer-bin) [ $# -ge 2 ] || die "--libfuzzer-bin needs a folder"; lf_bin=$2; shift 2 ;;
    --afl-bin) [ $# -ge 2 ] || die "--afl-bin needs a folder"; afl_bin=$2; shift 2 ;;
    --inputs) [ $# -ge 2 ] || die "--inputs needs a folder"; inputs=$2; shift 2 ;;
    --cli) [ $# -ge 2 ] || die "--cli needs the heaptwin binary"; cli=$2; shift 2 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$out" ] || die "one OUT_FILE only (got '$out' and '$1')"; out=$1; shift ;;
  esac
done
[[ -n "$lf_bin" && -n "$afl_bin" && -n "$inputs" && -n "$out" ]] || { usage >&2; exit 2; }
[ -d "$inputs" ] || die "--inputs $inputs: no such folder (make it with fuzz_inputs)"
readonly LF_BIN=$lf_bin AFL_BIN=$afl_bin INPUTS=$inputs CLI=$cli QUICK=$quick OUT=$out

readonly FILES_PER_SET=20   # the fixed set of inputs of one target and op count
if [ "$QUICK" -eq 1 ]; then
  readonly OPS=(64)
  readonly LF_SECONDS=2     # how long one libFuzzer measurement lasts, about
  readonly AFL_SECONDS=5    # afl-fuzz -V
  readonly MAIN_SECONDS=15  # heaptwin fuzz --time
else
  readonly OPS=(16 64 256)
  readonly LF_SECONDS=3
  readonly AFL_SECONDS=10
  readonly MAIN_SECONDS=30
fi

TMP=$(mktemp -d /tmp/heaptwin-engines.XXXXXX) || die "cannot make a temporary folder"
readonly TMP
readonly ROWS="$TMP/rows" STRAYS="$TMP/strays"  # STRAYS: one line per stray process ended

goal() {  # TARGET OPS: the execs/s a row must reach (0: none)
  case "$1:$2" in
    twin_vs_model:64) echo 100000 ;;
    twin_vs_glibc:64) echo 20000 ;;
    *) echo 0 ;;
  esac
}

now_ns() { date +%s%N; }
secs() { awk -v t="$1" 'BEGIN { printf "%.2f", t / 1e9 }'; }  # ns -> "1.23"

row() {  # ENGINE TARGET OPS NS_PER_EXEC [COMMENT]
  local name="fuzz $1 $2: $3 ops"
  {
    [ -n "${5:-}" ] && printf '# %s: %s\n' "$name" "$5"
    printf 'value\t%s\texec\t%s\n' "$name" "$4"
    printf 'rate\t%s\texec\t%s\texecs/s\n' "$name" "$(goal "$2" "$3")"
  } >>"$ROWS"
}

# The fixed set: the first FILES_PER_SET inputs of a folder, in name order.
input_set() {
  find "$1" -maxdepth 1 -type f -name '[0-9]*' 2>/dev/null | sort | head -n "$FILES_PER_SET"
}

# Every process a measurement starts carries HEAPTWIN_ENGINES_RUN=<its mark> in its environment:
# this script's pid, a dash and a number of its own. When afl-fuzz stops a target (at the end of
# -V, or on a timeout) it kills it mid-Program, and the glibc runner the target started lives on,
# its child spinning on a CPU; reap_strays ends what a measurement left (the processes whose mark
# starts with MARK; "$$-": every measurement's, when the script stops) and prints how many.
new_mark() { echo "$$-$(now_ns)"; }
reap_strays() {  # MARK
  local pids=()
  mapfile -t pids < <(grep -lz "^HEAPTWIN_ENGINES_RUN=$1" /proc/[0-9]*/environ 2>/dev/null |
                      sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p')
  if [ ${#pids[@]} -gt 0 ]; then
    kill -KILL "${pids[@]}" 2>/dev/null
    say "  ended ${#pids[@]} process(es) left behind (glibc runners of killed targets): ${pids[*]}"
    printf '%s\n' "${pids[@]}" >>"$STRAYS"
  fi
  echo "${#pids[@]}"
}
trap 'reap_strays "$$-" >/dev/null; rm -rf "$TMP"' EXIT

# One libFuzzer replay: BIN R FILE...; prints its wall time in ns; false when it failed (its
# output in TMP/lf.log).
lf_time() {
  local bin=$1 r=$2 mark t0 t1 rc
  shift 2
  mark=$(new_mark)
  t0=$(now_ns)
  HEAPTWIN_ENGINES_RUN=$mark "$bin" -runs="$r" -detect_leaks=0 -rss_limit_mb=4096 "$@" \
    >"$TMP/lf.log" 2>&1
  rc=$?
  t1=$(now_ns)
  reap_strays "$mark" >/dev/null
  echo $((t1 - t0))
  [ "$rc" -eq 0 ]
}

lf_failed() {  # TARGET OPS
  say "libfuzzer $1 $2 ops: the replay failed; skipped (its output:)"
  tail -n 20 "$TMP/lf.log" >&2
}

# libFuzzer: run the fixed set R times each (-runs=R FILE...: no mutation) and divide the wall
# time by the executions. R comes from two short probes (R=1 and R=10) so that the measured run
# lasts about LF_SECONDS: start-up (ASan, the glibc runner's fork server) is then a small part
# of it; nothing is subtracted, and the comment says what start-up the probes imply.
measure_libfuzzer() {  # TARGET OPS
  local t=$1 ops=$2 bin="$LF_BIN/$1" files
  mapfile -t files < <(input_set "$INPUTS/$t/$ops")
  local n=${#files[@]}
  if [ ! -x "$bin" ]; then say "libfuzzer $t: no binary $bin; skipped"; return; fi
  if [ "$n" -eq 0 ]; then
    say "libfuzzer $t $ops ops: no inputs in $INPUTS/$t/$ops; skipped"
    return
  fi
  local t1 tp="" rp=10 per r total
  t1=$(lf_time "$bin" 1 "${files[@]}") || { lf_failed "$t" "$ops"; return; }
  # A probe of R=1 that already lasts a while is mostly executions: no second probe.
  if [ "$t1" -lt $((LF_SECONDS * 100000000)) ]; then
    tp=$(lf_time "$bin" "$rp" "${files[@]}") || tp=""
  fi
  if [ -n "$tp" ] && [ "$tp" -gt "$t1" ]; then
    per=$(((tp - t1) / ((rp - 1) * n)))   # ns per execution, start-up excluded
  else
    per=$((t1 / n))                        # an upper bound: start-up included
  fi
  [ "$per" -ge 1 ] || per=1
  r=$(((LF_SECONDS * 1000000000 + per * n - 1) / (per * n)))
  [ "$r" -ge 2 ] || r=2
  local _
  for _ in 1 2 3; do
    total=$(lf_time "$bin" "$r" "${files[@]}") || { lf_failed "$t" "$ops"; return; }
    # The probes are noisy: a run much shorter than planned is made again, longer.
    [ "$total" -ge $((LF_SECONDS * 700000000)) ] && break
    r=$(((r * LF_SECONDS * 1000000000 + total - 1) / total))
  done
  local execs=$((n * r)) ns startup
  ns=$(awk -v t="$total" -v e="$execs" 'BEGIN { printf "%.1f", t / e }')
  # Start-up implied by the two runs: t1 = S + n*e, total = S + n*r*e.
  startup=$(awk -v a="$t1" -v b="$total" -v r="$r" 'BEGIN {
    s = (r * a - b) / (r - 1); if (s < 0) s = 0
    printf "%.0f ms (%.0f%% of the run)", s / 1e6, 100 * s / b }')
  row libfuzzer "$t" "$ops" "$ns" \
    "$n inputs x -runs=$r = $execs executions in $(secs "$total") s; start-up about $startup"
  say "libfuzzer $t $ops ops: $execs execs in $(secs "$total") s:" \
    "$(awk -v n="$ns" 'BEGIN { printf "%.0f", 1e9 / n }') execs/s (start-up about $startup)"
}

# The value of KEY in an AFL++ fuzzer_stats FILE ("" when there is none).
afl_stat() { awk -F' *: *' -v key="$2" '$1 == key { print $2 }' "$1" 2>/dev/null; }

# AFL++: fuzz for AFL_SECONDS from the fixed set as seeds, as ./heaptwin fuzz --engine afl runs a
# single instance (its environment and the target's dictionary, no CmpLog), into a fresh output
# folder; execs_per_sec of fuzzer_stats is AFL's own: all executions (calibration too) over the
# time since start. Mutation makes inputs shorter and longer than the seeds: the rate is that of
# inputs around <ops> ops, not of exactly <ops>.
measure_afl() {  # TARGET OPS
  local t=$1 ops=$2 bin="$AFL_BIN/$1"
  if [ ! -x "$bin" ]; then say "afl $t: no binary $bin; skipped"; return; fi
  local seeds="$TMP/seeds-$t-$ops" work="$TMP/afl-$t-$ops" dict=() f
  mkdir -p "$seeds"
  while IFS= read -r f; do cp "$f" "$seeds/"; done < <(input_set "$INPUTS/$t/$ops")
  if [ -z "$(ls -A "$seeds")" ]; then
    say "afl $t $ops ops: no inputs in $INPUTS/$t/$ops; skipped"
    return
  fi
  [ -f "$ROOT/corpus/$t.dict" ] && dict=(-x "$ROOT/corpus/$t.dict")
  local mark t0 t1 rc left
  mark=$(new_mark)
  t0=$(now_ns)
  env AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    HEAPTWIN_ENGINES_RUN="$mark" \
    afl-fuzz -i "$seeds" -o "$work" -V "$AFL_SECONDS" "${dict[@]}" -- "$bin" \
    </dev/null >"$TMP/afl.log" 2>&1
  rc=$?
  t1=$(now_ns)
  left=$(reap_strays "$mark")
  local stats="$work/default/fuzzer_stats" rate execs crashes
  rate=$(afl_stat "$stats" execs_per_sec)
  execs=$(afl_stat "$stats" execs_done)
  crashes=$(afl_stat "$stats" saved_crashes)
  if [ -z "$rate" ] || ! awk -v r="$rate" 'BEGIN { exit !(r > 0) }'; then
    say "afl $t $ops ops: no execs_per_sec (afl-fuzz exit $rc); skipped (its output:)"
    grep -E 'PROGRAM ABORT|ERROR|Location' "$TMP/afl.log" | head -n 5 >&2 ||
      tail -n 5 "$TMP/afl.log" >&2
    rm -rf "$work" "$seeds"
    return
  fi
  local ns wall
  ns=$(awk -v r="$rate" 'BEGIN { printf "%.1f", 1e9 / r }')
  wall=$(secs $((t1 - t0)))
  local what="$execs executions, execs_per_sec $rate, ${wall} s in all, crashes ${crashes:-?}"
  [ "$left" -gt 0 ] && what+=", $left stray runner process(es) ended afterwards"
  row afl "$t" "$ops" "$ns" "afl-fuzz -V $AFL_SECONDS: $what"
  say "afl $t $ops ops: $rate execs/s ($what)"
  rm -rf "$work" "$seeds"
}

# The value of KEY in a `heaptwin fuzz --result` LINE (tab-separated key=value).
result_field() { printf '%s\n' "$1" | tr '\t' '\n' | sed -n "s/^$2=//p"; }

# The default main job, as a user starts it (`./heaptwin fuzz`: twin_vs_glibc, libFuzzer, one
# job per core, seeded with the committed corpus) into a fresh findings folder, for MAIN_SECONDS;
# its --result line gives the executions of all jobs and the seconds. The row is execs/s per
# job over the whole run: loading the seeds (every committed input runs once first) is included,
# as the user pays it. Mutation is on, so the inputs are of every size the fuzzer makes.
measure_main_job() {
  local work="$TMP/main-job" result="$TMP/main-job.result" mark rc
  rm -rf "$work" "$result"
  mark=$(new_mark)
  HEAPTWIN_ENGINES_RUN=$mark "$CLI" fuzz --root "$ROOT" --bin "${LF_BIN%/fuzz}" --findings "$work" \
    --time "$MAIN_SECONDS" --progress 0 --result "$result" >"$TMP/main.log" 2>&1
  rc=$?
  reap_strays "$mark" >/dev/null
  local line execs seconds jobs found
  line=$(grep -m1 '^target=twin_vs_glibc' "$result" 2>/dev/null)
  execs=$(result_field "$line" execs) seconds=$(result_field "$line" seconds)
  jobs=$(result_field "$line" jobs) found=$(result_field "$line" found)
  if [ -z "$execs" ] || [ "${execs:-0}" -eq 0 ] || [ "$rc" -eq 2 ]; then
    say "main job: no result (heaptwin fuzz exit $rc); skipped (its output:)"
    tail -n 10 "$TMP/main.log" >&2
    return
  fi
  local ns rate name="fuzz main job (libfuzzer, $jobs jobs) twin_vs_glibc: per job"
  ns=$(awk -v s="$seconds" -v e="$execs" -v j="$jobs" 'BEGIN { printf "%.1f", s * j * 1e9 / e }')
  rate=$(awk -v n="$ns" 'BEGIN { printf "%.0f", 1e9 / n }')
  {
    printf '# %s: heaptwin fuzz --time %s from the committed corpus: %s executions in %s s by %s jobs%s\n' \
      "$name" "$MAIN_SECONDS" "$execs" "$seconds" "$jobs" \
      "$([ "$found" = 1 ] && echo ', stopped early by a finding')"
    printf 'value\t%s\texec\t%s\n' "$name" "$ns"
    printf 'rate\t%s\texec\t5000\texecs/s\n' "$name"
  } >>"$ROWS"
  say "main job: $execs execs in $seconds s by $jobs jobs: $rate execs/s per job"
  rm -rf "$work"
}

engine_dir_ok() {  # NAME DIR
  if [ -d "$2" ]; then return 0; fi
  say "$1: no folder $2; not measured"
  return 1
}

main() {
  local started targets have_lf=0 have_afl=0 ops t
  started=$(now_ns)
  # Every fuzz target (fuzz/targets.txt, the one list of them).
  mapfile -t targets < <(grep -v -e '^#' -e '^[[:space:]]*$' "$ROOT/fuzz/targets.txt" | awk '{ print $1 }')
  : >"$STRAYS"
  {
    echo "# bench/engines.sh$([ "$QUICK" -eq 1 ] && echo ' --quick'): execs/s of each fuzz target" \
      "per engine, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
      "load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# Other processes (fuzzers, builds) may share the machine: the rates are a little noisy."
    echo "# libFuzzer: a fixed set of $FILES_PER_SET inputs per row replayed with -runs=R (no" \
      "mutation); the wall time over all executions: start-up amortised, not subtracted."
    echo "# AFL++: afl-fuzz -V $AFL_SECONDS from the same inputs as seeds; its execs_per_sec" \
      "(calibration included; mutated inputs vary in size around the seeds')."
  } >"$ROWS"

  engine_dir_ok libfuzzer "$LF_BIN" && have_lf=1
  if engine_dir_ok afl "$AFL_BIN"; then
    if command -v afl-fuzz >/dev/null; then
      have_afl=1
    else
      say "afl: no afl-fuzz on PATH; not measured"
    fi
  fi
  for ops in "${OPS[@]}"; do
    for t in "${targets[@]}"; do
      [ "$have_lf" -eq 1 ] && measure_libfuzzer "$t" "$ops"
      [ "$have_afl" -eq 1 ] && measure_afl "$t" "$ops"
    done
  done
  if [ "$have_lf" -eq 1 ] && [ -n "$CLI" ]; then
    if [ -x "$CLI" ]; then measure_main_job; else say "main job: no $CLI; not measured"; fi
  fi

  local measured elapsed strays
  measured=$(grep -c '^value' "$ROWS")
  strays=$(wc -l <"$STRAYS")
  elapsed=$(awk -v a="$started" -v b="$(now_ns)" 'BEGIN { printf "%.0f", (b - a) / 1e9 }')
  echo "# $measured rows measured in ${elapsed} s; $strays stray process(es) ended" >>"$ROWS"
  if ! { mkdir -p "$(dirname "$OUT")" && cp "$ROWS" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"; }; then
    die "cannot write $OUT"
  fi
  say "$measured rows in ${elapsed} s -> $OUT"
  [ "$measured" -gt 0 ] || exit 1
  exit 0
}

main  # exits: nothing after it is read, so an edit saved while this runs cannot change the run
