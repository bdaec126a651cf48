#!/usr/bin/env python3
"""Two address logs in the "# 0x..." form (glibc_log_shim.c's and heaptwin exec --trace's):
the malloc family's returned addresses, in order, must be the same."""
import sys

VERBS = ('malloc', 'calloc', 'realloc', 'memalign', 'aligned_alloc', 'valloc', 'pvalloc',
         'posix_memalign')


def addresses(path):
    out = []
    for line in open(path, errors='replace'):
        if line.startswith('#') or '# 0x' not in line:
            continue
        verb = line.split('=')[1].split()[0] if '=' in line else line.split()[0]
        if verb in VERBS:
            out.append(line.split('# ')[1].split()[0])
    return out


glibc, twin = addresses(sys.argv[1]), addresses(sys.argv[2])
n = min(len(glibc), len(twin))
first = next((i for i in range(n) if glibc[i] != twin[i]), None)
if first is None and len(glibc) == len(twin):
    print(f"identical: {len(glibc)} results")
else:
    where = f"first difference at result {first}: {glibc[first]} vs {twin[first]}" if first is not None else "one is a prefix of the other"
    print(f"DIFFERENT ({len(glibc)} vs {len(twin)} results): {where}")
    sys.exit(1)
