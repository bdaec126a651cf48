#!/usr/bin/env bash
# Real programs on the drop-in library against real glibc 2.36, under setarch -R:
#   1. address logs: glibc_log_shim.c (an LD_PRELOAD around glibc's own malloc) vs the library's
#      --trace, every returned address in order;
#   2. with --ltrace: pristine glibc (ltrace -x, no LD_PRELOAD at all) vs the library;
#   3. with --time: wall time (hyperfine) of glibc, the library, and heaptwin exec --check.
# Usage: tests/preload/measure.sh [--ltrace] [--time] [--out DIR]   (from the repository root)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
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
mkdir -p "$OUT/work"
cd "$OUT/work" || exit 2
LIB=$("$ROOT/heaptwin" preload-path) || exit 2
# Both libraries under paths of the same length: the environment (which programs copy) and
# ld.so's bookkeeping for the preloaded object then differ in nothing but the code.
cp -f "$LIB" "$OUT/twin.so"
gcc -O2 -shared -fPIC -Wl,-Ttext-segment=0x7e0000000000 -o "$OUT/shim.so" "$ROOT/tests/preload/glibc_log_shim.c" || exit 2
HEAPTWIN="$ROOT/bazel-bin/tools/heaptwin"
export PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0

python3 -c "
import random
random.seed(1)
print('#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>')
for i in range(1500):
    print(f'struct s{i} {{ int a; double b; char c[{i%17+1}]; }};')
    print(f'int f{i}(int x, struct s{i} *p) {{ int y = x * {i} + p->a; for (int k = 0; k < {i%9+1}; ++k) y ^= (y << 3) + k + (int)p->b; if (y > {i}) return f{max(i-1,0)}(y - 1, (void*)p) + strlen(p->c); return y; }}')
print('int main(void) { return f1499(3, 0); }')
" > big.c
CC1=$(gcc -print-prog-name=cc1)

NAMES=(ls python3 perl sqlite3 jq lua5.4 cc1)
declare -A CMD
CMD[ls]="ls -la /usr/bin"
CMD[python3]="/usr/bin/python3 -c \"import json,re; d=[{'a':i,'b':str(i)*3} for i in range(20000)]; s=json.dumps(d); print(len(s), len(re.findall(r'\\d+', s)))\""
CMD[perl]="perl -e 'my %h; for my \$i (1..50000) { \$h{\"k\$i\"} = \"v\" x (\$i % 50) } my @k = sort keys %h; print scalar(@k), \"\\n\"'"
CMD[sqlite3]="sqlite3 :memory: \"create table t(a,b); with recursive c(x) as (select 1 union all select x+1 from c where x<20000) insert into t select x, printf('%08d', x*7919 % 100003) from c; create index i on t(b); select count(*), sum(length(b)) from t group by a%10 order by 1 limit 3;\""
CMD[jq]="jq -n '[range(0;20000) | {a: ., b: (. * 3 | tostring)}] | map(.b) | join(\",\") | length'"
CMD[lua5.4]="lua5.4 -e 't={} for i=1,100000 do t[i]=tostring(i)..(\"x\"):rep(i%20) end s=table.concat(t) print(#s)'"
CMD[cc1]="$CC1 -quiet -imultiarch x86_64-linux-gnu big.c -quiet -dumpbase big.c -dumpbase-ext .c -mtune=generic -march=x86-64 -O2 -fasynchronous-unwind-tables -o big.s"

LT='malloc@libc.so.6+free@libc.so.6+calloc@libc.so.6+realloc@libc.so.6+memalign@libc.so.6+aligned_alloc@libc.so.6+valloc@libc.so.6+pvalloc@libc.so.6'
for n in "${NAMES[@]}"; do
  command -v "${CMD[$n]%% *}" >/dev/null || { echo "$n: not installed, skipped"; continue; }
  eval "setarch -R env LD_PRELOAD=$OUT/shim.so HEAPTWIN_TRACE_FD=1021 ${CMD[$n]}" 1021>"$n.glibc.log" >"$n.glibc.out" 2>&1
  eval "setarch -R env LD_PRELOAD=$OUT/twin.so HEAPTWIN_TRACE_FD=1021 ${CMD[$n]}" 1021>"$n.twin.heap" >"$n.twin.out" 2>&1
  same_out=$(cmp -s "$n.glibc.out" "$n.twin.out" && echo "same output" || echo "OUTPUT DIFFERS")
  echo "$n: shim vs library: $(python3 "$HERE/compare_shim.py" "$n.glibc.log" "$n.twin.heap"); $same_out"
  if [ "$LTRACE" = 1 ] && [ "$n" != cc1 ]; then  # cc1's 8 million calls take ltrace hours
    eval "setarch -R env XD_PRELOAD=$OUT/twin.so HEAPTWIN_TRACE_FD=1021 ltrace -x '$LT' -o $n.ltrace ${CMD[$n]}" >/dev/null 2>&1
    echo "$n: pristine glibc vs library: $(python3 "$HERE/compare_ltrace.py" "$n.ltrace" "$n.twin.heap")"
  fi
  if [ "$TIME" = 1 ]; then
    hyperfine -N --warmup 1 --runs 5 --export-json "$n.time.json" \
      "setarch -R ${CMD[$n]}" \
      "setarch -R env LD_PRELOAD=$OUT/twin.so ${CMD[$n]}" >/dev/null 2>&1 ||
      hyperfine --warmup 1 --runs 5 --export-json "$n.time.json" \
        "setarch -R ${CMD[$n]}" "setarch -R env LD_PRELOAD=$OUT/twin.so ${CMD[$n]}" >/dev/null 2>&1
    python3 -c "
import json; r = json.load(open('$n.time.json'))['results']
g, t = r[0]['mean'], r[1]['mean']
print(f'$n: glibc {g:.3f} s, library {t:.3f} s: x{t/g:.2f}')"
  fi
done
