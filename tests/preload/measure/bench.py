#!/usr/bin/env python3
"""Interleaved timing: glibc and the library alternate run by run (the machine is shared, so
load drifts); reports medians of wall and CPU (user+sys) time and the median per-pair ratio."""
import os, subprocess, sys, time, statistics
env_lib = dict(os.environ, LD_PRELOAD=sys.argv[1])
n = int(sys.argv[2]); cmds = sys.argv[3:]
def run(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime
for name in cmds:
    cmd = [os.path.join(os.getcwd(), 'cmds', name)]
    run(cmd, os.environ); run(cmd, env_lib)  # warm-up
    g, l = [], []
    for i in range(n):
        order = [(g, os.environ), (l, env_lib)] if i % 2 == 0 else [(l, env_lib), (g, os.environ)]
        for acc, env in order: acc.append(run(cmd, env))
    wall = statistics.median(b[0] / a[0] for a, b in zip(g, l))
    cpu = statistics.median(b[1] / a[1] for a, b in zip(g, l))
    gw, lw = statistics.median(x[0] for x in g), statistics.median(x[0] for x in l)
    print(f"{name}: wall median glibc {gw*1000:.0f} ms, library {lw*1000:.0f} ms; per-pair ratio wall x{wall:.2f}, cpu x{cpu:.2f}", flush=True)
