#!/usr/bin/env bash
# Real programs on the drop-in library against real glibc 2.36, under setarch -R:
#   1. address logs: glibc_log_shim.c (an LD_PRELOAD around glibc's own malloc) against the
#      library's trace: every returned address, in order;
#   2. --ltrace: pristine glibc (ltrace -x: no LD_PRELOAD at all) against the library, and glibc
#      behind a preload that does nothing (tests/preload/empty_preload.c) against the library;
#   3. --time: wall and CPU time of glibc and the library, interleaved run by run (bench.py),
#      and heaptwin exec --check / --check-every N.
# Usage, from the repository root:  tests/preload/measure/measure.sh [--ltrace] [--time] [--out DIR]
# Needs: gcc, setarch; ltrace and hyperfine-free; the programs that are not installed are skipped.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/tests/preload/measure"
OUT=/tmp/heaptwin-measure LTRACE=0 TIME=0
while [ $# -gt 0 ]; do
  case "$1" in
    --ltrace) LTRACE=1; shift ;;
    --time) TIME=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--ltrace] [--time] [--out DIR]" >&2; exit 2 ;;
  esac
done
if [ "$LTRACE" = 1 ] && ! command -v ltrace >/dev/null; then
  echo "$0: --ltrace needs ltrace (Debian package ltrace: apt-get install ltrace)" >&2
  exit 2
fi
mkdir -p "$OUT/cmds"
cd "$OUT" || exit 2
LIB=$("$ROOT/heaptwin" preload-path) || exit 2
HEAPTWIN=${HEAPTWIN:-$ROOT/bazel-bin/tools/heaptwin}
# Both libraries under paths of the same length: the environment (which programs copy) and
# ld.so's bookkeeping for the preloaded object then differ in nothing but the code.
cp -f "$LIB" "$OUT/twin.so"
gcc -O2 -shared -fPIC -Wl,-Ttext-segment=0x7e0000000000 -o "$OUT/shim.so" \
  "$ROOT/tests/preload/glibc_log_shim.c" || exit 2
# A preload that does nothing, linked as the library is (no libc, no versions): glibc behind it is
# the baseline every address of the library must equal (allocator/preload/README.md).
gcc -O2 -shared -fPIC -nostdlib -Wl,-Ttext-segment=0x7e0000000000 -o "$OUT/none.so" \
  "$ROOT/tests/preload/empty_preload.c" || exit 2
export PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0

# cc1's input: 3,000 lines of generated C.
python3 - > "$OUT/big.c" <<'PY'
print('#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>')
for i in range(1500):
    print(f'struct s{i} {{ int a; double b; char c[{i%17+1}]; }};')
    print(f'int f{i}(int x, struct s{i} *p) {{ int y = x * {i} + p->a; for (int k = 0; k < {i%9+1}; ++k) y ^= (y << 3) + k + (int)p->b; if (y > {i}) return f{max(i-1,0)}(y - 1, (void*)p) + strlen(p->c); return y; }}')
print('int main(void) { return f1499(3, 0); }')
PY
CC1=$(gcc -print-prog-name=cc1)
# One script per program (exec keeps the pid, so traces and checks follow into the program).
w() { printf '#!/bin/sh\ncd %s || exit 2\nexec %s\n' "$OUT" "$2" > "cmds/$1"; chmod +x "cmds/$1"; }
w ls "ls -la /usr/bin"
w python3 "/usr/bin/python3 -c \"import json,re; d=[{'a':i,'b':str(i)*3} for i in range(20000)]; s=json.dumps(d); print(len(s), len(re.findall(r'\\\\d+', s)))\""
w perl "perl -e 'my %h; for my \$i (1..50000) { \$h{\"k\$i\"} = \"v\" x (\$i % 50) } my @k = sort keys %h; print scalar(@k), \"\\\\n\"'"
w sqlite3 "sqlite3 :memory: \"create table t(a,b); with recursive c(x) as (select 1 union all select x+1 from c where x<20000) insert into t select x, printf('%08d', x*7919 % 100003) from c; create index i on t(b); select count(*), sum(length(b)) from t group by a%10 order by 1 limit 3;\""
w jq "jq -n '[range(0;20000) | {a: ., b: (. * 3 | tostring)}] | map(.b) | join(\",\") | length'"
w lua "lua5.4 -e 't={} for i=1,100000 do t[i]=tostring(i)..(\"x\"):rep(i%20) end s=table.concat(t) print(#s)'"
w cc1 "$CC1 -quiet -imultiarch x86_64-linux-gnu big.c -quiet -dumpbase big.c -dumpbase-ext .c -mtune=generic -march=x86-64 -O2 -fasynchronous-unwind-tables -o big.s"
NAMES=(ls python3 perl sqlite3 jq lua cc1)
declare -A BIN=([ls]=ls [python3]=/usr/bin/python3 [perl]=perl [sqlite3]=sqlite3 [jq]=jq [lua]=lua5.4 [cc1]=$CC1)

LT='malloc@libc.so.6+free@libc.so.6+calloc@libc.so.6+realloc@libc.so.6+memalign@libc.so.6+aligned_alloc@libc.so.6+valloc@libc.so.6+pvalloc@libc.so.6'
# Runs cmds/NAME's program directly (no shell in front: the trace is of the program's image).
direct() { local n=$1; shift; local line; line=$(sed -n 3p "cmds/$n"); eval "$* ${line#exec }"; }
PRESENT=()
for n in "${NAMES[@]}"; do
  command -v "${BIN[$n]}" >/dev/null || { echo "$n: not installed, skipped"; continue; }
  PRESENT+=("$n")
  direct "$n" setarch -R env LD_PRELOAD="$OUT/shim.so" HEAPTWIN_TRACE_FD=1021 1021>"$n.glibc.log" >"$n.glibc.out" 2>&1
  direct "$n" setarch -R env LD_PRELOAD="$OUT/twin.so" HEAPTWIN_TRACE_FD=1021 1021>"$n.twin.heap" >"$n.twin.out" 2>&1
  same=$(cmp -s "$n.glibc.out" "$n.twin.out" && echo "same output" || echo "OUTPUT DIFFERS")
  echo "$n: glibc (shim) vs library: $(python3 "$HERE/compare_shim.py" "$n.glibc.log" "$n.twin.heap"); $same"
  if [ "$LTRACE" = 1 ] && [ "$n" != cc1 ]; then  # cc1's 8 million calls would take ltrace hours
    # XD_PRELOAD: an unused variable as long as LD_PRELOAD=..., so the environment is the same.
    direct "$n" setarch -R env XD_PRELOAD="$OUT/twin.so" HEAPTWIN_TRACE_FD=1021 ltrace -x "'$LT'" -o "$n.ltrace" >/dev/null 2>&1
    echo "$n: pristine glibc (ltrace) vs library: $(python3 "$HERE/compare_ltrace.py" "$n.ltrace" "$n.twin.heap")"
    direct "$n" setarch -R env LD_PRELOAD="$OUT/none.so" HEAPTWIN_TRACE_FD=1021 ltrace -x "'$LT'" -o "$n.none.ltrace" >/dev/null 2>&1
    echo "$n: glibc behind an empty preload (ltrace) vs library: $(python3 "$HERE/compare_ltrace.py" "$n.none.ltrace" "$n.twin.heap")"
  fi
done
if [ "$TIME" = 1 ]; then
  setarch -R python3 "$HERE/bench.py" "$OUT/twin.so" 11 "${PRESENT[@]}"
  tm() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); printf "%.2f s" "$(echo "$e - $s" | bc)"; }
  for n in "${PRESENT[@]}"; do
    echo "$n: glibc $(tm setarch -R "cmds/$n"); --check-every 1000 $(tm timeout 900 "$HEAPTWIN" exec --no-aslr --check-every 1000 -- "cmds/$n"); --check-every 100 $(tm timeout 900 "$HEAPTWIN" exec --no-aslr --check-every 100 -- "cmds/$n"); --check $(tm timeout 900 "$HEAPTWIN" exec --no-aslr --check -- "cmds/$n")"
  done
fi
