#!/usr/bin/env bash
# The drop-in library (libheaptwin_preload.so) against real glibc 2.36 on real programs, wall
# time, as rows for the ./heaptwin bench table (bench/table.h: the --rows=FILE format).
#
# Per program, four modes, each verified once before it is timed (same stdout as the glibc run,
# exit status 0, and a one-call trace that proves the library served the program's malloc):
#   glibc    no preload:                        env PROG ARGS
#   twin     the library, no checks:            env LD_PRELOAD=LIB PROG ARGS
#            (LD_PRELOAD directly, not heaptwin exec: no launcher in the measured command)
#   check    heaptwin exec --check -- PROG ARGS   (the incremental checker after every call,
#            inside the program, and the whole heap at exit)
#   every    heaptwin exec --check-every 1000 -- PROG ARGS   (--check, and the whole heap every
#            1000 calls)
# The checked modes run under `heaptwin exec`, which sets the checker up (the channel a report
# comes back on), so the measured command is the heaptwin binary itself (not the ./heaptwin
# launcher script, which would run Bazel on every run); its own start-up is a few ms.
#
# Timing: hyperfine -N (no shell; `env` in front of every mode, so each pays the same exec),
# --warmup 1, --output=pipe (programs write their output as usual); a row's value is the mean of
# all its runs. Each row times glibc and its mode side by side, in the same hyperfine call, in
# rounds whose order alternates (glibc first, then the mode first, ...), so a load that drifts
# (other work on the machine) hits both alike; glibc is measured again for every row.
# Each row has its own workload size n (both sides of its ratio at that n): realistic workloads
# (~0.1-0.3 s under glibc) for every mode. (Before the incremental checker, a checked call copied
# and checked the whole heap in the heaptwin process and the checked rows needed workloads 100 to
# 1000 times smaller.) --quick keeps the sizes (so the numbers compare) and runs fewer rounds and
# runs. DROPIN_SMALL=1 times the checked modes at those old sizes instead, so a run against an
# older build (HEAPTWIN, HEAPTWIN_PRELOAD_LIBRARY) compares with this one.
#
# The workloads are files in bench/dropin/ (its README says what each does).
#
# Environment: HEAPTWIN=PATH  the heaptwin binary for the checked modes (default
# bazel-bin/tools/heaptwin; a --config=opt build checks several times faster than fastbuild);
# HEAPTWIN_PRELOAD_LIBRARY=PATH  the library (default: what `heaptwin preload-path` of that binary
# finds beside it, else ./heaptwin preload-path, which builds it); DROPIN_PROGRAMS a subset.
# Both are copied to a temporary directory first, so a concurrent rebuild cannot change them
# halfway through.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/dropin.sh [--quick] OUT_FILE

Times real programs (python3, perl, sqlite3, lua5.4, jq, gawk: those installed) on real glibc and on
the drop-in library (no checks, heaptwin exec --check, heaptwin exec --check-every 1000), with
hyperfine, and writes tab-separated rows for ./heaptwin bench --rows=OUT_FILE:
  value <row> <column> <ns per run>
  ratio <row> <numerator column> <denominator column> <max ratio, 0: none> <goal>
one row per program and mode ("drop-in: perl (--check)": columns checked and glibc). Progress on
stderr. Run it after the library is built; about 1.5 minutes on 2 busy cores (--quick: fewer
rounds and runs, the same workloads, ~25 s).

  --quick   fewer runs per mode
  -h, --help

Environment: HEAPTWIN (the heaptwin binary for the checked modes, default
bazel-bin/tools/heaptwin; a --config=opt one checks faster), HEAPTWIN_PRELOAD_LIBRARY (the
library, default: that binary's preload-path, else ./heaptwin preload-path), DROPIN_PROGRAMS
(a subset, e.g. "perl jq"), DROPIN_SMALL=1 (the checked modes at the small sizes an older
build's whole-heap --check needed, to compare with one).
Exit status: 0 (a program or mode that fails is left out, with the reason on stderr), 1 when
nothing can be measured (no hyperfine, no library), 2 on bad usage.
EOF
}

bad_usage() {
  echo "bench/dropin.sh: $1 (see bench/dropin.sh --help)" >&2
  exit 2
}

die() {
  echo "bench/dropin.sh: $*" >&2
  exit 1
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly WORKLOADS="$ROOT/bench/dropin"
readonly CHECK_EVERY=1000
readonly MAX_CHECKED_RATIO=3
readonly PROGRAMS_KNOWN="python3 perl sqlite3 lua5.4 jq gawk"

# "RUNS ROUNDS" of MODE (twin, every, check): runs per hyperfine call x rounds (each round times
# glibc and the mode side by side); QUICK 1: fewer.
runs_and_rounds() {  # MODE QUICK
  case "$1:$2" in
    twin:0) echo "5 6" ;;  every:0) echo "3 4" ;;  check:0) echo "2 3" ;;
    twin:1) echo "3 1" ;;  every:1) echo "2 1" ;;  check:1) echo "2 1" ;;
  esac
}

# The workload size n of PROG for MODE (twin, every, check; 0: not run): realistic workloads
# (~0.1-0.3 s under glibc) for every mode. DROPIN_SMALL=1: the sizes the whole-heap --check of
# older builds needed, for the checked modes.
workload_size() {  # PROG MODE
  if [ "${DROPIN_SMALL:-0}" = 1 ] && [ "$2" != twin ]; then
    case "$2:$1" in
      every:python3|every:sqlite3) echo 20000 ;;
      every:perl) echo 2000 ;;
      every:lua5.4) echo 5000 ;;
      every:jq) echo 1000 ;;
      every:gawk) echo 20000 ;;
      check:python3) echo 100 ;;
      check:perl) echo 20 ;;
      check:sqlite3) echo 200 ;;
      check:lua5.4) echo 300 ;;
      check:jq) echo 0 ;;
      check:gawk) echo 2000 ;;
    esac
    return
  fi
  case "$1" in
    lua5.4) echo 50000 ;;
    jq) echo 5000 ;;
    gawk) echo 100000 ;;
    *) echo 20000 ;;
  esac
}

# Why MODE of PROG has size 0 (not run).
why_not_run() {  # PROG MODE
  if [ "${DROPIN_SMALL:-0}" = 1 ] && [ "$1:$2" = jq:check ]; then
    echo "jq's start-up alone (16,000 calls) takes ~20 s under an older build's --check"
  else
    echo "no size"
  fi
}

# The program's path: Debian's python3, not a pyenv/virtualenv shim (a shell script would be
# timed too); the others as found on PATH. Empty when it is not installed.
program_path() {  # PROG
  if [ "$1" = python3 ] && [ -x /usr/bin/python3 ]; then
    echo /usr/bin/python3
  else
    command -v "$1" || true
  fi
}

# Input files of size n in WORK (sqlite3's script, jq's JSON), made on first use.
make_input() {  # WORK PROG N
  local work=$1 prog=$2 n=$3
  case "$prog" in
    sqlite3) [ -e "$work/work$n.sql" ] || sed "s/@N@/$n/g" "$WORKLOADS/work.sql" >"$work/work$n.sql" ;;
    jq) [ -e "$work/work$n.json" ] || awk -v n="$n" -f "$WORKLOADS/work_json.awk" >"$work/work$n.json" ;;
  esac
}

# The program and its arguments for size n, one a line (the program path first).
program_argv() {  # WORK PROG N
  local work=$1 prog=$2 n=$3 path
  path=$(program_path "$prog")
  case "$prog" in
    python3) printf '%s\n' "$path" "$WORKLOADS/work.py" "$n" ;;
    perl) printf '%s\n' "$path" "$WORKLOADS/work.pl" "$n" ;;
    sqlite3) printf '%s\n' "$path" -bail :memory: ".read $work/work$n.sql" ;;
    lua5.4) printf '%s\n' "$path" "$WORKLOADS/work.lua" "$n" ;;
    jq) printf '%s\n' "$path" -c -f "$WORKLOADS/work.jq" "$work/work$n.json" ;;
    gawk) printf '%s\n' "$path" -v "n=$n" -f "$WORKLOADS/work.awk" ;;
  esac
}

# The command of MODE (glibc, twin, every, check) for the program ARGV..., one word a line;
# VERIFY 1 adds a one-call trace (HEAPTWIN_TRACE_FD / --trace) that shows the library is used.
mode_cmd() {  # WORK MODE VERIFY ARGV...
  local work=$1 mode=$2 verify=$3 opt=()
  shift 3
  case "$mode" in
    glibc) printf '%s\n' env "$@" ;;
    twin)
      if [ "$verify" = 1 ]; then
        printf '%s\n' env "LD_PRELOAD=$work/libheaptwin_preload.so" HEAPTWIN_TRACE_FD=9 HEAPTWIN_TRACE_MAX_OPS=1 "$@"
      else
        printf '%s\n' env "LD_PRELOAD=$work/libheaptwin_preload.so" "$@"
      fi ;;
    every|check)
      opt=(--check)
      [ "$mode" = every ] && opt=(--check-every "$CHECK_EVERY")
      [ "$verify" = 1 ] && opt+=(--trace "$work/verify.trace" --trace-max-ops 1)
      printf '%s\n' env "$work/heaptwin" exec "${opt[@]}" -- "$@" ;;
  esac
}

# Runs MODE once (stdout to WORK/out.KEY); fails, with the reason on stderr, unless it exits 0,
# its stdout equals REF's (when REF is not "") and, for the twin modes, the library served a call.
verify_mode() {  # WORK LABEL MODE KEY REF ARGV...
  local work=$1 label=$2 mode=$3 key=$4 ref=$5 cmd rc=0
  shift 5
  local out="$work/out.$key" err="$work/err.$key"
  mapfile -t cmd < <(mode_cmd "$work" "$mode" 1 "$@")
  rm -f "$work/verify.trace"
  timeout 600 "${cmd[@]}" >"$out" 2>"$err" 9>"$work/verify.trace" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "drop-in: $label: FAILED (exit status $rc), no row; its stderr/stdout ends:" >&2
    tail -n 5 "$err" "$out" | sed 's/^/    /' >&2
    return 1
  fi
  if [ -n "$ref" ] && ! cmp -s "$ref" "$out"; then
    echo "drop-in: $label: FAILED: its output differs from glibc's, no row:" >&2
    diff "$ref" "$out" | head -n 6 | sed 's/^/    /' >&2
    return 1
  fi
  if [ "$mode" != glibc ] && ! grep -q '^[^#]' "$work/verify.trace"; then
    echo "drop-in: $label: FAILED: the library served no call (empty trace), no row" >&2
    return 1
  fi
}

# The command of MODE as hyperfine -N splits it (like a shell): every word quoted (none holds
# a quote).
quoted_cmd() {  # WORK MODE ARGV...
  local word quoted=""
  while IFS= read -r word; do quoted+="${quoted:+ }'$word'"; done < <(mode_cmd "$1" "$2" 0 "${@:3}")
  printf '%s\n' "$quoted"
}

secs() { awk -v ns="$1" 'BEGIN { printf "%.3f s", ns / 1e9 }'; }
ratio_text() { awk -v a="$1" -v b="$2" 'BEGIN { printf "x%.2f", a / b }'; }

# Times glibc and MODE side by side: ROUNDS hyperfine calls, each with both commands (--warmup 1
# and RUNS runs each; the order swaps every round, so a load that drifts hits both alike). Prints
# "GLIBC_NS MODE_NS GLIBC_CPU MODE_CPU": the mean wall time of all their runs (ns) and user+sys (s).
time_pair() {  # WORK LABEL MODE RUNS ROUNDS KEY COLUMN ARGV...
  local work=$1 label=$2 mode=$3 runs=$4 rounds=$5 key=$6 column=$7
  shift 7
  local glibc_q mode_q r json first second nums all=""
  glibc_q=$(quoted_cmd "$work" glibc "$@")
  mode_q=$(quoted_cmd "$work" "$mode" "$@")
  for ((r = 1; r <= rounds; r++)); do
    json="$work/time.$key.$r.json"
    if ((r % 2)); then first=$glibc_q second=$mode_q; else first=$mode_q second=$glibc_q; fi
    printf 'drop-in: %s, round %d/%d ... ' "$label" "$r" "$rounds" >&2
    if ! hyperfine -N --warmup 1 --runs "$runs" --output=pipe --style none \
        --export-json "$json" "$first" "$second" >"$work/hyperfine.log" 2>&1; then
      echo "FAILED under hyperfine, no row:" >&2
      tail -n 5 "$work/hyperfine.log" | sed 's/^/    /' >&2
      return 1
    fi
    # Per command, in order: mean, user, system (seconds).
    nums=$(grep -oE '"(mean|user|system)": *[0-9.eE+-]+' "$json" | sed 's/.*: *//' | tr '\n' ' ')
    if [ "$(wc -w <<<"$nums")" != 6 ]; then
      echo "FAILED: cannot read $json" >&2
      return 1
    fi
    ((r % 2)) || nums=$(awk '{ print $4, $5, $6, $1, $2, $3 }' <<<"$nums")  # glibc first
    all+="$nums"$'\n'
    awk -v column="$column" '{ printf "glibc %.3f s, %s %.3f s\n", $1, column, $4 }' <<<"$nums" >&2
  done
  awk 'NF == 6 { g += $1; m += $4; gc += $2 + $3; mc += $5 + $6; k++ }
       END { printf "%.0f %.0f %.3f %.3f\n", g / k * 1e9, m / k * 1e9, gc / k, mc / k }' <<<"$all"
}

# glibc at size n of PROG, once per size: the reference output WORK/out.PROG.N.glibc; false when
# that run failed (remembered in WORK/glibc.PROG.N).
glibc_reference() {  # WORK PROG N
  local work=$1 prog=$2 n=$3 argv
  local status="$work/glibc.$prog.$n"
  if [ ! -e "$status" ]; then
    make_input "$work" "$prog" "$n"
    mapfile -t argv < <(program_argv "$work" "$prog" "$n")
    if verify_mode "$work" "$prog glibc (n=$n)" glibc "$prog.$n.glibc" "" "${argv[@]}"; then
      echo 0 >"$status"
    else
      echo 1 >"$status"
    fi
  fi
  [ "$(cat "$status")" = 0 ]
}

# One row: the twin MODE (twin, every, check) of PROG against glibc, both at the mode's size;
# appended to OUT.
row() {  # WORK OUT QUICK PROG MODE
  local work=$1 out=$2 quick=$3 prog=$4 mode=$5
  local n row column modename runs rounds max=$MAX_CHECKED_RATIO goal="checked/glibc <= $MAX_CHECKED_RATIO"
  n=$(workload_size "$prog" "$mode")
  read -r runs rounds < <(runs_and_rounds "$mode" "$quick")
  case "$mode" in
    twin) modename=twin; column=twin; max=0; goal="-"; row="drop-in: $prog (no check)"
          # Issue 16's target for the unchecked library.
          if [ "$prog" = gawk ]; then max=1.05; goal="twin/glibc <= 1.05"; fi ;;
    every) modename="--check-every $CHECK_EVERY"; column=checked
           row="drop-in: $prog (--check-every $CHECK_EVERY)" ;;
    check) modename=--check; column=checked; row="drop-in: $prog (--check)" ;;
  esac
  if [ "$n" = 0 ]; then
    echo "drop-in: $prog $modename: not run ($(why_not_run "$prog" "$mode")), no row" >&2
    printf '# %s: not run (%s)\n' "$row" "$(why_not_run "$prog" "$mode")" >>"$out"
    return 0
  fi
  if ! glibc_reference "$work" "$prog" "$n"; then
    printf '# %s: the glibc run at n=%s failed, no row\n' "$row" "$n" >>"$out"
    return 0
  fi
  local key="$prog.$n.$mode" label="$prog $modename (n=$n)" argv times g_ns m_ns g_cpu m_cpu
  mapfile -t argv < <(program_argv "$work" "$prog" "$n")
  if verify_mode "$work" "$label" "$mode" "$key" "$work/out.$prog.$n.glibc" "${argv[@]}" &&
     times=$(time_pair "$work" "$label" "$mode" "$runs" "$rounds" "$key" "$column" "${argv[@]}"); then
    read -r g_ns m_ns g_cpu m_cpu <<<"$times"
    echo "drop-in: $label: glibc $(secs "$g_ns"), $column $(secs "$m_ns"):" \
         "$(ratio_text "$m_ns" "$g_ns") ($((runs * rounds)) runs each)" >&2
    {
      printf '# %s: n=%s, mean of %s runs each; cpu (user+sys) glibc %s s, %s %s s\n' \
        "$row" "$n" "$((runs * rounds))" "$g_cpu" "$column" "$m_cpu"
      printf 'value\t%s\tglibc\t%s\n' "$row" "$g_ns"
      printf 'value\t%s\t%s\t%s\n' "$row" "$column" "$m_ns"
      printf 'ratio\t%s\t%s\tglibc\t%s\t%s\n' "$row" "$column" "$max" "$goal"
    } >>"$out"
  else
    printf '# %s: failed (see the stderr of bench/dropin.sh), no row\n' "$row" >>"$out"
  fi
}

# Instructions of one run (valgrind's callgrind, "I refs"), or nothing when it failed.
instructions() {  # ENV... -- ARGV...
  local env=() log
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  shift
  log=$(env "${env[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null) || return 1
  sed -n 's/.*I[[:space:]]*refs:[[:space:]]*//p' <<<"$log" | tr -d ','
}

# One row of instruction counts: PROG on the library against glibc (the library unchecked), the
# same input. Wall time on a shared 2-core machine moves 15-20% from run to run; instruction
# counts do not, so this row shows what the library costs where the timed row cannot. A lock
# costs one instruction, so this row cannot show what skipping it saves.
instructions_row() {  # WORK OUT PROG
  local work=$1 out=$2 prog=$3 n argv g_ins t_ins row="drop-in: $3 (no check, callgrind)"
  command -v valgrind >/dev/null || {
    printf '# %s: valgrind is not installed (apt-get install valgrind), no row\n' "$row" >>"$out"
    return 0
  }
  n=$(workload_size "$prog" twin)
  glibc_reference "$work" "$prog" "$n" || return 0
  mapfile -t argv < <(program_argv "$work" "$prog" "$n")
  if g_ins=$(instructions LC_ALL=C -- "${argv[@]}") &&
     t_ins=$(instructions LD_PRELOAD="$work/libheaptwin_preload.so" -- "${argv[@]}") &&
     [ -n "$g_ins" ] && [ -n "$t_ins" ]; then
    echo "drop-in: $prog (n=$n), instructions: glibc $g_ins, twin $t_ins" >&2
    {
      printf '# %s: n=%s, callgrind I refs of one run each\n' "$row" "$n"
      printf 'value\t%s\tglibc instructions\t%s\n' "$row" "$g_ins"
      printf 'value\t%s\ttwin instructions\t%s\n' "$row" "$t_ins"
      printf 'ratio\t%s\ttwin instructions\tglibc instructions\t1.05\ttwin/glibc <= 1.05\n' "$row"
    } >>"$out"
  else
    printf '# %s: a callgrind run failed, no row\n' "$row" >>"$out"
  fi
}

# The library and the checking binary, snapshotted into WORK (a concurrent rebuild cannot change
# them halfway through); prints "LIBRARY_SOURCE HEAPTWIN_SOURCE". The library:
# HEAPTWIN_PRELOAD_LIBRARY, else what the heaptwin binary's preload-path finds beside it (no
# Bazel run), else ./heaptwin preload-path (which builds it first).
snapshot_binaries() {  # WORK
  local work=$1 ht_src lib_src
  ht_src=${HEAPTWIN:-$ROOT/bazel-bin/tools/heaptwin}
  lib_src=${HEAPTWIN_PRELOAD_LIBRARY:-}
  if [ -z "$lib_src" ] && [ -x "$ht_src" ]; then
    lib_src=$("$ht_src" preload-path 2>/dev/null | tail -n 1) || lib_src=""
  fi
  if [ -z "$lib_src" ]; then
    lib_src=$("$ROOT/heaptwin" preload-path | tail -n 1) || die "./heaptwin preload-path failed"
  fi
  [ -r "$lib_src" ] || die "no drop-in library at '$lib_src'"
  [ -x "$ht_src" ] || die "no heaptwin binary at '$ht_src' (./heaptwin build, or set HEAPTWIN)"
  cp -f "$lib_src" "$work/libheaptwin_preload.so"
  cp -f "$ht_src" "$work/heaptwin"
  printf '%s\n%s\n' "$lib_src" "$(realpath "$ht_src")"
}

build_config() {  # PATH: the Bazel compilation mode its folder names
  case "$1" in
    *-opt/*) echo opt ;;
    *-fastbuild/*) echo fastbuild ;;
    *-dbg/*) echo dbg ;;
    *) echo unknown ;;
  esac
}

main() {
  local quick=0 out="" programs=() prog
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --quick) quick=1; shift ;;
      --) shift; [ $# -eq 1 ] || bad_usage "expected one OUT_FILE after --"; out=$1; shift ;;
      -*) bad_usage "unknown option '$1'" ;;
      *) [ -z "$out" ] || bad_usage "one OUT_FILE only (got '$out' and '$1')"; out=$1; shift ;;
    esac
  done
  [ -n "$out" ] || bad_usage "no OUT_FILE"
  case "$out" in /*) ;; *) out=$PWD/$out ;; esac  # the script works in a temporary directory
  read -r -a programs <<<"${DROPIN_PROGRAMS:-$PROGRAMS_KNOWN}"
  for prog in "${programs[@]}"; do
    [[ " $PROGRAMS_KNOWN " == *" $prog "* ]] ||
      bad_usage "DROPIN_PROGRAMS: unknown program '$prog' ($PROGRAMS_KNOWN)"
  done

  command -v hyperfine >/dev/null || die "hyperfine is not installed (apt-get install hyperfine)"
  : >"$out" || die "cannot write $out"
  local work sources lib_src ht_real ht_config
  work=$(mktemp -d "${TMPDIR:-/tmp}/heaptwin-dropin.XXXXXX")
  # shellcheck disable=SC2064  # the folder's name is known now
  trap "rm -rf '$work'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  sources=$(snapshot_binaries "$work") || exit 1
  { read -r lib_src; read -r ht_real; } <<<"$sources"
  ht_config=$(build_config "$ht_real")
  export HEAPTWIN_PRELOAD_LIBRARY=$work/libheaptwin_preload.so  # what the copied heaptwin exec preloads

  # A clean, deterministic environment: no inherited preload, fixed hash seeds.
  if [ -n "${LD_PRELOAD:-}" ]; then
    echo "drop-in: note: ignoring the inherited LD_PRELOAD=$LD_PRELOAD" >&2
  fi
  unset LD_PRELOAD HEAPTWIN_TRACE_FD HEAPTWIN_TRACE_MAX_OPS HEAPTWIN_CHECK_FD \
    HEAPTWIN_CHECK_REPLY_FD HEAPTWIN_CHECK_EVERY HEAPTWIN_FULL_CHECK_EVERY HEAPTWIN_PID
  export PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 LC_ALL=C
  cd "$work" || die "cannot enter $work"

  {
    echo "# bench/dropin.sh$([ "$quick" = 1 ] && echo " --quick"): the drop-in library against glibc, wall time per run (ns)"
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cpus," \
         "load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# library: $lib_src"
    echo "# heaptwin (checked modes): $ht_real ($ht_config)"
    echo "# hyperfine -N --warmup 1 --output=pipe, mean; twin: LD_PRELOAD; checked: heaptwin exec"
  } >>"$out"
  if [ "$ht_config" != opt ]; then
    echo "drop-in: note: heaptwin is not a --config=opt build ($ht_config); an opt one checks" \
         "several times faster (HEAPTWIN=PATH)" >&2
  fi

  local start=$SECONDS measured=0 mode
  for prog in "${programs[@]}"; do
    if [ -z "$(program_path "$prog")" ]; then
      echo "drop-in: $prog is not installed, skipped" >&2
      printf '# %s: not installed, skipped\n' "$prog" >>"$out"
      continue
    fi
    measured=$((measured + 1))
    for mode in twin every check; do row "$work" "$out" "$quick" "$prog" "$mode"; done
    # Issue 16's gawk target, also in instructions (--quick leaves it out: it takes ~40 s).
    if [ "$prog" = gawk ] && [ "$quick" = 0 ]; then instructions_row "$work" "$out" "$prog"; fi
  done
  [ "$measured" -gt 0 ] || die "none of ${programs[*]} is installed"
  echo "drop-in: done in $((SECONDS - start)) s; rows in $out" >&2
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
