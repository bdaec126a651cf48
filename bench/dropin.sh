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

Times real programs (python3, perl, sqlite3, lua5.4, jq: those installed) on real glibc and on
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

QUICK=0
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --quick) QUICK=1; shift ;;
    --) shift; [ $# -eq 1 ] || bad_usage "expected one OUT_FILE after --"; OUT=$1; shift ;;
    -*) bad_usage "unknown option '$1'" ;;
    *) [ -z "$OUT" ] || bad_usage "one OUT_FILE only (got '$OUT' and '$1')"; OUT=$1; shift ;;
  esac
done
[ -n "$OUT" ] || bad_usage "no OUT_FILE"
case "$OUT" in /*) ;; *) OUT=$PWD/$OUT ;; esac  # the script works in a temporary directory

die() {
  echo "bench/dropin.sh: $*" >&2
  exit 1
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECK_EVERY=1000
MAX_CHECKED_RATIO=3
# Runs per hyperfine call x rounds (each round times glibc and the mode side by side).
if [ "$QUICK" = 1 ]; then
  RUNS_FAST=3 ROUNDS_FAST=1 RUNS_EVERY=2 ROUNDS_EVERY=1 RUNS_CHECK=2 ROUNDS_CHECK=1
else
  RUNS_FAST=5 ROUNDS_FAST=6 RUNS_EVERY=3 ROUNDS_EVERY=4 RUNS_CHECK=2 ROUNDS_CHECK=3
fi

command -v hyperfine >/dev/null || die "hyperfine is not installed (apt-get install hyperfine)"
: >"$OUT" || die "cannot write $OUT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/heaptwin-dropin.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The library and the checking binary, snapshotted.
# The library: HEAPTWIN_PRELOAD_LIBRARY, else what the heaptwin binary's preload-path finds
# beside it (no Bazel run), else ./heaptwin preload-path (which builds it first).
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
ht_real=$(realpath "$ht_src")
case "$ht_real" in
  *-opt/*) ht_config=opt ;;
  *-fastbuild/*) ht_config=fastbuild ;;
  *-dbg/*) ht_config=dbg ;;
  *) ht_config=unknown ;;
esac
LIB=$WORK/libheaptwin_preload.so
HT=$WORK/heaptwin
cp -f "$lib_src" "$LIB"
cp -f "$ht_src" "$HT"
export HEAPTWIN_PRELOAD_LIBRARY=$LIB  # what the copied heaptwin exec preloads

# A clean, deterministic environment: no inherited preload, fixed hash seeds.
if [ -n "${LD_PRELOAD:-}" ]; then
  echo "drop-in: note: ignoring the inherited LD_PRELOAD=$LD_PRELOAD" >&2
fi
unset LD_PRELOAD HEAPTWIN_TRACE_FD HEAPTWIN_TRACE_MAX_OPS HEAPTWIN_CHECK_FD \
  HEAPTWIN_CHECK_REPLY_FD HEAPTWIN_CHECK_EVERY HEAPTWIN_FULL_CHECK_EVERY HEAPTWIN_PID
export PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 LC_ALL=C
cd "$WORK"

# ---- workloads: each program reads its size n from its command line ----------------------------

cat >"$WORK/work.py" <<'EOF'
import sys
n = int(sys.argv[1])
d = [{'id': i, 'name': 'item%d' % i, 'tags': ['t%d' % (i % 7), str(i) * 3], 'v': i * 0.5}
     for i in range(n)]
idx = {x['name']: x for x in d}
groups = {}
for x in d:
    groups.setdefault(x['tags'][0], []).append(x['name'] + x['tags'][1])
s = ','.join('%s=%s' % (k, '|'.join(v)) for k, v in sorted(groups.items()))
words = s.replace('=', ',').replace('|', ',').split(',')
print(len(s), len(idx), sum(x['id'] for x in d), len(set(words)), repr(d[n // 2]))
EOF

cat >"$WORK/work.pl" <<'EOF'
my $n = shift;
my %h;
for my $i (1 .. $n) { $h{"key$i"} = join(',', map { "v$_" } 1 .. ($i % 10 + 1)); }
my @k = sort keys %h;
my $total = 0;
for my $k (@k) {
  my @p = split /,/, $h{$k};
  $total += scalar(@p);
  $h{$k} = uc($h{$k}) . reverse($k);
}
my $s = join(';', map { "$_=$h{$_}" } @k[0 .. ($n < 100 ? $n - 1 : 99)]);
print scalar(@k), " $total ", length($s), "\n";
EOF

cat >"$WORK/work.lua" <<'EOF'
local n = tonumber(arg[1])
local t = {}
for i = 1, n do t[i] = tostring(i) .. ("x"):rep(i % 20) end
local m = {}
for i = 1, n do m[t[i]] = i end
local s = table.concat(t, ",")
local c = 0
for w in s:gmatch("[^,]+") do if m[w] then c = c + 1 end end
print(#s, c)
EOF

cat >"$WORK/work.jq" <<'EOF'
map(select(.id % 3 != 0) | .name |= ascii_upcase)
| group_by(.tag)
| map({tag: .[0].tag, n: length, names: (map(.name) | join(",") | length), sum: (map(.v) | add)})
EOF

# Input files of size n (sqlite3's script, jq's JSON), made on first use.
make_input() {
  local prog=$1 n=$2
  case "$prog" in
    sqlite3)
      [ -e "$WORK/work$n.sql" ] || cat >"$WORK/work$n.sql" <<EOF
create table t(a integer primary key, b text, c text);
with recursive s(x) as (select 1 union all select x + 1 from s where x < $n)
  insert into t
  select x, printf('%08d', x * 7919 % 100003), substr('abcdefghij', 1 + x % 10) from s;
create index ib on t(b);
create table u as select c, count(*) as k, group_concat(b) as g from t group by c;
select count(*), sum(length(b)), max(b) from t;
select t.c, k, length(g) from t join u using (c) where t.a % 1000 = 7 order by t.a limit 5;
EOF
      ;;
    jq)
      [ -e "$WORK/work$n.json" ] ||
        awk -v n="$n" 'BEGIN { printf "["; for (i = 0; i < n; i++)
          printf "%s{\"id\":%d,\"name\":\"item%d\",\"tag\":\"t%d\",\"v\":%d,\"xs\":[%d,%d,\"%s\"]}",
            (i ? "," : ""), i, i, i % 17, i * 7 % 1000, i, i + 1, "p" i; print "]" }' \
          >"$WORK/work$n.json"
      ;;
  esac
}

# The program and its arguments for size n, in the array ARGV.
program_argv() {
  local prog=$1 n=$2
  case "$prog" in
    python3) ARGV=("$PYTHON" "$WORK/work.py" "$n") ;;
    perl) ARGV=("$(command -v perl)" "$WORK/work.pl" "$n") ;;
    sqlite3) ARGV=("$(command -v sqlite3)" -bail :memory: ".read $WORK/work$n.sql") ;;
    lua5.4) ARGV=("$(command -v lua5.4)" "$WORK/work.lua" "$n") ;;
    jq) ARGV=("$(command -v jq)" -c -f "$WORK/work.jq" "$WORK/work$n.json") ;;
  esac
}

# Sizes per program: the no-check row, the --check-every row, the --check row (0: not run).
# Chosen for a 2-core machine and a fastbuild heaptwin: --check-every and --check each take
# about 0.3-1 s a run. jq's --check is not run: its start-up alone (16,000 calls over a large
# heap) takes ~20 s under --check.
PROGRAMS=(python3 perl sqlite3 lua5.4 jq)
if [ -n "${DROPIN_PROGRAMS:-}" ]; then
  read -r -a PROGRAMS <<<"$DROPIN_PROGRAMS"
  for prog in "${PROGRAMS[@]}"; do
    case "$prog" in
      python3|perl|sqlite3|lua5.4|jq) ;;
      *) bad_usage "DROPIN_PROGRAMS: unknown program '$prog' (python3 perl sqlite3 lua5.4 jq)" ;;
    esac
  done
fi
declare -A N_RUN=([python3]=20000 [perl]=20000 [sqlite3]=20000 [lua5.4]=50000 [jq]=5000)
declare -A N_EVERY=([python3]=20000 [perl]=20000 [sqlite3]=20000 [lua5.4]=50000 [jq]=5000)
declare -A N_CHECK=([python3]=20000 [perl]=20000 [sqlite3]=20000 [lua5.4]=50000 [jq]=5000)
declare -A WHY_NO_CHECK=()
if [ "${DROPIN_SMALL:-0}" = 1 ]; then  # the sizes the whole-heap --check of older builds needed
  N_EVERY=([python3]=20000 [perl]=2000 [sqlite3]=20000 [lua5.4]=5000 [jq]=1000)
  N_CHECK=([python3]=100 [perl]=20 [sqlite3]=200 [lua5.4]=300 [jq]=0)
  WHY_NO_CHECK=([jq]="jq's start-up alone (16,000 calls) takes ~20 s under an older build's --check")
fi

# Debian's python3, not a pyenv/virtualenv shim (a shell script would be timed too).
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || true)

# ---- running and timing ------------------------------------------------------------------------

# The command of MODE (glibc, twin, every, check) for the program in ARGV, in the array CMD;
# VERIFY=1 adds a one-call trace (HEAPTWIN_TRACE_FD / --trace) that shows the library is used.
mode_cmd() {
  local mode=$1 verify=${2:-0}
  case "$mode" in
    glibc) CMD=(env "${ARGV[@]}") ;;
    twin)
      if [ "$verify" = 1 ]; then
        CMD=(env "LD_PRELOAD=$LIB" HEAPTWIN_TRACE_FD=9 HEAPTWIN_TRACE_MAX_OPS=1 "${ARGV[@]}")
      else
        CMD=(env "LD_PRELOAD=$LIB" "${ARGV[@]}")
      fi ;;
    every|check)
      local opt=(--check)
      [ "$mode" = every ] && opt=(--check-every "$CHECK_EVERY")
      [ "$verify" = 1 ] && opt+=(--trace "$WORK/verify.trace" --trace-max-ops 1)
      CMD=(env "$HT" exec "${opt[@]}" -- "${ARGV[@]}") ;;
  esac
}

# Runs MODE once (stdout to $WORK/out.KEY); fails, with the reason on stderr, unless it exits 0,
# its stdout equals REF's (when given) and, for the twin modes, the library served a call.
verify_mode() {
  local label=$1 mode=$2 key=$3 ref=${4:-}
  local out="$WORK/out.$key" err="$WORK/err.$key" rc=0
  mode_cmd "$mode" 1
  rm -f "$WORK/verify.trace"
  timeout 600 "${CMD[@]}" >"$out" 2>"$err" 9>"$WORK/verify.trace" || rc=$?
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
  if [ "$mode" != glibc ] && ! grep -q '^[^#]' "$WORK/verify.trace"; then
    echo "drop-in: $label: FAILED: the library served no call (empty trace), no row" >&2
    return 1
  fi
}

# hyperfine -N splits a command like a shell: every word quoted (none holds a quote), in QCMD.
quote_cmd() {
  local a
  QCMD=""
  for a in "${CMD[@]}"; do QCMD+="${QCMD:+ }'$a'"; done
}

secs() { awk -v ns="$1" 'BEGIN { printf "%.3f s", ns / 1e9 }'; }
ratio_text() { awk -v a="$1" -v b="$2" 'BEGIN { printf "x%.2f", a / b }'; }

# Times glibc and MODE side by side: ROUNDS hyperfine calls, each with both commands (--warmup 1
# and RUNS runs each; the order swaps every round, so a load that drifts hits both alike). Sets
# G_NS and M_NS (the mean wall time of all their runs, ns) and G_CPU and M_CPU (user+sys, s).
time_pair() {
  local label=$1 mode=$2 runs=$3 rounds=$4 key=$5 column=$6
  local glibc_q mode_q r json first second nums all=""
  mode_cmd glibc 0; quote_cmd; glibc_q=$QCMD
  mode_cmd "$mode" 0; quote_cmd; mode_q=$QCMD
  for ((r = 1; r <= rounds; r++)); do
    json="$WORK/time.$key.$r.json"
    if ((r % 2)); then first=$glibc_q second=$mode_q; else first=$mode_q second=$glibc_q; fi
    printf 'drop-in: %s, round %d/%d ... ' "$label" "$r" "$rounds" >&2
    if ! hyperfine -N --warmup 1 --runs "$runs" --output=pipe --style none \
        --export-json "$json" "$first" "$second" >"$WORK/hyperfine.log" 2>&1; then
      echo "FAILED under hyperfine, no row:" >&2
      tail -n 5 "$WORK/hyperfine.log" | sed 's/^/    /' >&2
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
    awk '{ printf "glibc %.3f s, '"$column"' %.3f s\n", $1, $4 }' <<<"$nums" >&2
  done
  read -r G_NS M_NS G_CPU M_CPU < <(awk '
    NF == 6 { g += $1; m += $4; gc += $2 + $3; mc += $5 + $6; k++ }
    END { printf "%.0f %.0f %.3f %.3f\n", g / k * 1e9, m / k * 1e9, gc / k, mc / k }' <<<"$all")
}

# glibc at size n of PROG, once per size: the reference output, $WORK/out.PROG.N.glibc.
declare -A GLIBC_OK=()
glibc_reference() {
  local prog=$1 n=$2
  [ -n "${GLIBC_OK[$prog:$n]:-}" ] && return "${GLIBC_OK[$prog:$n]}"
  make_input "$prog" "$n"
  program_argv "$prog" "$n"
  GLIBC_OK[$prog:$n]=0
  verify_mode "$prog glibc (n=$n)" glibc "$prog.$n.glibc" || GLIBC_OK[$prog:$n]=1
  return "${GLIBC_OK[$prog:$n]}"
}

# One row: the twin MODE of PROG against glibc, both at size n.
row() {
  local prog=$1 mode=$2 n=$3 row column modename runs rounds max=$MAX_CHECKED_RATIO
  local goal="checked/glibc <= $MAX_CHECKED_RATIO"
  case "$mode" in
    twin) modename=twin; column=twin; runs=$RUNS_FAST; rounds=$ROUNDS_FAST; max=0; goal="-"
          row="drop-in: $prog (no check)" ;;
    every) modename="--check-every $CHECK_EVERY"; column=checked; runs=$RUNS_EVERY
           rounds=$ROUNDS_EVERY; row="drop-in: $prog (--check-every $CHECK_EVERY)" ;;
    check) modename=--check; column=checked; runs=$RUNS_CHECK; rounds=$ROUNDS_CHECK
           row="drop-in: $prog (--check)" ;;
  esac
  if [ "$n" = 0 ]; then
    echo "drop-in: $prog $modename: not run (${WHY_NO_CHECK[$prog]:-no size}), no row" >&2
    printf '# %s: not run (%s)\n' "$row" "${WHY_NO_CHECK[$prog]:-no size}" >>"$OUT"
    return 0
  fi
  if ! glibc_reference "$prog" "$n"; then
    printf '# %s: the glibc run at n=%s failed, no row\n' "$row" "$n" >>"$OUT"
    return 0
  fi
  local key="$prog.$n.$mode" label="$prog $modename (n=$n)"
  program_argv "$prog" "$n"
  if verify_mode "$label" "$mode" "$key" "$WORK/out.$prog.$n.glibc" &&
     time_pair "$label" "$mode" "$runs" "$rounds" "$key" "$column"; then
    echo "drop-in: $label: glibc $(secs "$G_NS"), $column $(secs "$M_NS"):" \
         "$(ratio_text "$M_NS" "$G_NS") ($((runs * rounds)) runs each)" >&2
    {
      printf '# %s: n=%s, mean of %s runs each; cpu (user+sys) glibc %s s, %s %s s\n' \
        "$row" "$n" "$((runs * rounds))" "$G_CPU" "$column" "$M_CPU"
      printf 'value\t%s\tglibc\t%s\n' "$row" "$G_NS"
      printf 'value\t%s\t%s\t%s\n' "$row" "$column" "$M_NS"
      printf 'ratio\t%s\t%s\tglibc\t%s\t%s\n' "$row" "$column" "$max" "$goal"
    } >>"$OUT"
  else
    printf '# %s: failed (see the stderr of bench/dropin.sh), no row\n' "$row" >>"$OUT"
  fi
}

{
  quick_flag=""
  [ "$QUICK" = 1 ] && quick_flag=" --quick"
  echo "# bench/dropin.sh$quick_flag: the drop-in library against glibc, wall time per run (ns)"
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -srm), $(nproc) cpus," \
       "load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# library: $lib_src"
  echo "# heaptwin (checked modes): $ht_real ($ht_config)"
  echo "# hyperfine -N --warmup 1 --output=pipe, mean; twin: LD_PRELOAD; checked: heaptwin exec"
} >>"$OUT"
if [ "$ht_config" != opt ]; then
  echo "drop-in: note: heaptwin is not a --config=opt build ($ht_config); an opt one checks" \
       "several times faster (HEAPTWIN=PATH)" >&2
fi

start=$SECONDS
measured=0
for prog in "${PROGRAMS[@]}"; do
  bin=$prog
  [ "$prog" = python3 ] && bin=$PYTHON
  if [ -z "$bin" ] || ! command -v "$bin" >/dev/null; then
    echo "drop-in: $prog is not installed, skipped" >&2
    printf '# %s: not installed, skipped\n' "$prog" >>"$OUT"
    continue
  fi
  measured=$((measured + 1))
  row "$prog" twin "${N_RUN[$prog]}"
  row "$prog" every "${N_EVERY[$prog]}"
  row "$prog" check "${N_CHECK[$prog]}"
done
[ "$measured" -gt 0 ] || die "none of ${PROGRAMS[*]} is installed"
echo "drop-in: done in $((SECONDS - start)) s; rows in $OUT" >&2
