#!/usr/bin/env bash
# A stand-in for a libFuzzer worker, for fuzz_job_test: prints libFuzzer's status lines, counts
# "executions" into $HEAPTWIN_EXEC_COUNTER as fuzz/exec_counter.cc does, and stops on SIGINT
# with libFuzzer's final stats. FAKE_FINDER=N: the worker with -seed=N writes a crash artifact
# after FAKE_FIND_AFTER executions and exits 1, as libFuzzer does (FAKE_SLOW_WRITE=1: the file
# is created a second before its bytes are written). FAKE_FAIL=1: exits 1 at once
# without a finding. FAKE_LEAVE_BEHIND=FILE: starts a process outside the job's process group
# (as a glibc runner of a killed target can be) and writes its pid to FILE.
prefix="" seed=0 execs=0
for a in "$@"; do
  case "$a" in
    -artifact_prefix=*) prefix=${a#-artifact_prefix=} ;;
    -seed=*) seed=${a#-seed=} ;;
  esac
done
write_count() {
  local s="" i
  for i in 0 1 2 3 4 5 6 7; do s+=$(printf '\\x%02x' $(( ($1 >> (8 * i)) & 255 ))); done
  printf '%b' "$s" | dd of="$HEAPTWIN_EXEC_COUNTER" bs=8 count=1 conv=notrunc status=none
}
stop() {
  echo "==$$== libFuzzer: run interrupted; exiting"
  echo "stat::number_of_executed_units: $execs"
  exit 72
}
trap stop INT
[ "${FAKE_FAIL:-0}" = 1 ] && { echo "ERROR: something is wrong"; exit 1; }
if [ -n "${FAKE_LEAVE_BEHIND:-}" ]; then
  setsid sleep 1000 </dev/null >/dev/null 2>&1 &
  echo $! >"$FAKE_LEAVE_BEHIND"
fi
echo "INFO: Seed: $seed"
echo "#3	INITED cov: 10 ft: 20 corp: 3/30b exec/s: 0 rss: 1Mb"
while :; do
  execs=$((execs + 10))
  write_count "$execs"
  if [ "$seed" = "${FAKE_FINDER:-none}" ] && [ "$execs" -ge "${FAKE_FIND_AFTER:-50}" ]; then
    echo "==== heaptwin fake finding: op 0 (a = malloc 0x18) diverged"
    echo "first divergence at op 0"
    echo "==== the input as a .heap script:"
    echo "a = malloc 0x18"
    echo "===="
    if [ "${FAKE_SLOW_WRITE:-0}" = 1 ]; then  # the file exists a while before it is written
      : >"${prefix}crash-fake"
      sleep 1 &
      wait $!
    fi
    printf 'fake' >"${prefix}crash-fake"
    echo "artifact_prefix='$prefix'; Test unit written to ${prefix}crash-fake"
    exit 1
  fi
  [ $((execs % 100)) -eq 0 ] && echo "#$execs	NEW    cov: 11 ft: 25 corp: 4/40b lim: 4 exec/s: 100 rss: 1Mb L: 1/1 MS: 1 CopyPart-"
  sleep 0.05 &
  wait $!
done
