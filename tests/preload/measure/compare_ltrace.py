#!/usr/bin/env python3
"""Pristine glibc (an ltrace -x log: no LD_PRELOAD, nothing added to the address space) against a
heaptwin trace (the library's "# 0x" address comments): the malloc family's returned addresses,
in order, heap (brk) and mmapped results counted apart."""
import re, sys
verbs = ('malloc', 'calloc', 'realloc', 'memalign', 'aligned_alloc', 'valloc', 'pvalloc')
done = re.compile(r'^(\w+)@libc\.so\.6\(.*\)\s*= (0x[0-9a-f]+|nil|<void>)')
start = re.compile(r'^(\w+)@libc\.so\.6\(.*<unfinished \.\.\.>')
resumed = re.compile(r'^<\.\.\. (\w+)@libc\.so\.6 resumed> .*\)\s*= (0x[0-9a-f]+|nil|<void>)|^<\.\.\. (\w+) resumed> .*\)\s*= (0x[0-9a-f]+|nil|<void>)')
lt, depth = [], 0
stack = []
for line in open(sys.argv[1], errors='replace'):
    m = start.match(line)
    if m:
        stack.append(m.group(1))
        continue
    m = done.match(line)
    if m:
        if not stack and m.group(1) in verbs and m.group(2).startswith('0x'): lt.append(m.group(2))
        continue
    m = re.match(r'^<\.\.\. (\w+)(?:@libc\.so\.6)? resumed> .*\)\s*= (\S+)', line)
    if m and stack and stack[-1] == m.group(1):
        stack.pop()
        if not stack and m.group(1) in verbs and m.group(2).startswith('0x'): lt.append(m.group(2))
tw = []
for line in open(sys.argv[2], errors='replace'):
    if line.startswith('#') or '# 0x' not in line: continue
    verb = line.split('=')[1].split()[0] if '=' in line else line.split()[0]
    if verb in verbs: tw.append(line.split('# ')[1].split()[0])
# ltrace arms its breakpoints after the first calls of start-up: align on the first 20 it saw.
k = next((k for k in range(0, min(len(tw), 5000)) if tw[k:k+20] == lt[:20]), None)
if k is None:
    print(f"pristine glibc (ltrace) {len(lt)} results, twin {len(tw)}: no alignment found"); sys.exit(1)
t = tw[k:]
n = min(len(lt), len(t))
heap = [i for i in range(n) if lt[i] != t[i] and int(lt[i], 16) < 0x7f0000000000]
mm = [i for i in range(n) if lt[i] != t[i] and int(lt[i], 16) >= 0x7f0000000000]
nmm = sum(1 for i in range(n) if int(lt[i], 16) >= 0x7f0000000000)
shifts = sorted(set((int(t[i], 16) - int(lt[i], 16)) // 4096 for i in mm))
print(f"ltrace saw {len(lt)} glibc results (the twin made {len(tw)}; {k} before ltrace's breakpoints): "
      f"lengths {'equal' if len(lt) == len(t) else 'DIFFER'}; heap results differing: {len(heap)}"
      + (f" (first at {heap[0]}: {lt[heap[0]]} vs {t[heap[0]]})" if heap else "")
      + f"; mmapped results {nmm}, differing {len(mm)}" + (f", twin - glibc in pages: {shifts[:6]}" if mm else ""))
