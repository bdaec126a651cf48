#!/usr/bin/env bash
# bench/mutants/run.sh: mutation testing of the harness. Each NAME.patch plants one bug in a
# scratch copy of the repository (never the working tree); NAME.heap shows real glibc and the
# mutated twin differ. For each mutant the fuzz targets run from the committed corpus and from an
# empty one; the table says how many seconds each took to its first finding.
#
# ./heaptwin bench --mutants [OPTIONS] runs it (it builds the clean command line and fuzz
# targets and passes them here); see --help.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
QUICK_MUTANTS=(tcache_count_off_by_one smallbin_lifo consolidation_threshold_off_by_one memalign_trailer_threshold)
declare -A problem  # mutant -> why it was not run (its proof failed)

usage() {
  cat <<'EOF'
usage: ./heaptwin bench --mutants [--quick] [--mutant NAME]... [--time S] [--parallel N]
                                  [--check-only] [--out FILE]

Mutation testing of the harness: each bench/mutants/NAME.patch plants one realistic bug in a
scratch copy of the twin (allocator/), one at a time. First the proof that the mutant is real:
bench/mutants/NAME.heap agrees with real glibc on the clean tree and diverges on the mutated one
(heaptwin diff NAME.heap --sides twin,glibc). Then libFuzzer runs each differential target
(fuzz/targets.txt: twin_vs_glibc, twin_vs_model, attack, threads; one job each) and the main job
(./heaptwin fuzz's configuration: twin_vs_glibc with one job per core) on the mutated build,
each twice: from the committed corpus (corpus/<target>/ and corpus/regressions/<target>/) and
from an empty one (the dictionaries are used in both), up to S seconds. The table gives the
seconds to the first finding (from the start of the run: process start and seeds included), or
"-" when none came in S seconds. Marks: * = the finding is a committed seed itself (the corpus
found it, not the fuzzer); ! = the finding also fails on the clean build (not the mutant's);
? = it does not fail again on the mutated build (a hang of a busy machine, say). Cells with !
or ? do not count as found.

  --quick        4 mutants, runs of 30 s (about 12 minutes at most; the full run: 17
                 mutants, 60 s, about 1 hour here, 90 minutes at most)
  --mutant NAME  only this mutant (repeatable)
  --time S       seconds per run (default 60, the issue's limit)
  --parallel N   single-job runs at once (default: the number of cores); the main job runs
                 alone (it uses every core)
  --check-only   the proofs only (build each mutant, diverge/agree), no fuzzing
  --out FILE     also write the results as tab-separated lines: mutant, column, corpus,
                 the cell, and the executions made until the finding (a measure that does
                 not depend on the machine's speed)

Internal (the launcher gives them): --cli PATH (the clean heaptwin), --clean-bin DIR (the clean
libFuzzer build's bazel-bin), --scratch DIR (the mutated copy and its Bazel output base).
Exit 0 when every mutant was proven and run, 1 when a proof failed, 2 bad usage.
EOF
}

say() { printf 'mutants: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

parse_args() {
  cli="" clean_bin="" scratch="" seconds=60 quick=0 parallel=$(nproc) check_only=0 out=""
  selected=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage; exit 0 ;;
      --quick) quick=1; shift ;;
      --mutant) [ $# -ge 2 ] || die "--mutant needs a name"; selected+=("$2"); shift 2 ;;
      --time) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--time needs whole seconds >= 1"; seconds=$2; shift 2 ;;
      --parallel) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--parallel needs a count >= 1"; parallel=$2; shift 2 ;;
      --check-only) check_only=1; shift ;;
      --out) [ $# -ge 2 ] || die "--out needs a file"; out=$2; shift 2 ;;
      --cli) [ $# -ge 2 ] || die "--cli needs a path"; cli=$2; shift 2 ;;
      --clean-bin) [ $# -ge 2 ] || die "--clean-bin needs a folder"; clean_bin=$2; shift 2 ;;
      --scratch) [ $# -ge 2 ] || die "--scratch needs a folder"; scratch=$2; shift 2 ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
  done
  [[ -n "$cli" && -n "$clean_bin" && -n "$scratch" ]] ||
    die "run it as ./heaptwin bench --mutants (it builds what this needs and passes --cli, --clean-bin, --scratch)"
  [ -x "$cli" ] || die "--cli $cli: not an executable"
}

all_mutants() { find "$HERE" -maxdepth 1 -name '*.patch' -printf '%f\n' | sed 's/\.patch$//' | sort; }

choose_mutants() {
  if [ ${#selected[@]} -gt 0 ]; then
    mutants=("${selected[@]}")
  elif [ "$quick" -eq 1 ]; then
    mutants=("${QUICK_MUTANTS[@]}")
  else
    mapfile -t mutants < <(all_mutants)
  fi
  [ "$quick" -eq 1 ] && [ "$seconds" -eq 60 ] && seconds=30
  local m
  for m in "${mutants[@]}"; do
    [ -f "$HERE/$m.patch" ] || die "no mutant '$m' (bench/mutants/$m.patch); there are: $(all_mutants | tr '\n' ' ')"
    [ -f "$HERE/$m.heap" ] || die "mutant '$m' has no scenario bench/mutants/$m.heap"
  done
}

# The columns: every differential target with one job, then the main job with one per core.
choose_columns() {
  cores=$(nproc)
  mapfile -t targets < <(grep -v -e '^#' -e '^[[:space:]]*$' "$ROOT/fuzz/targets.txt" |
                         awk '$2 == "main" || $2 == "differential" { print $1 }')
  main_target=$(grep -v '^#' "$ROOT/fuzz/targets.txt" | awk '$2 == "main" { print $1 }')
  local t
  columns=()
  for t in "${targets[@]}"; do columns+=("$t:1"); done
  columns+=("$main_target:$cores")
}
column_title() {  # TARGET:JOBS
  if [ "${1#*:}" -gt 1 ]; then echo "main job (${1#*:} jobs)"; else echo "${1%%:*}"; fi
}

# The scratch copy: the working tree's files (tracked and untracked, not ignored), nothing else.
sync_scratch() {
  local list
  list=$(mktemp)
  (cd "$ROOT" && git ls-files -co --exclude-standard | sort -u) >"$list"
  (cd "$ROOT" && tar -cf - -T "$list") | (cd "$src" && tar -xf -) || { rm -f "$list"; return 1; }
  # Files that the working tree no longer has.
  (cd "$src" && find . -type f ! -path './bazel-*' | sed 's|^\./||' | sort) | comm -13 "$list" - |
    (cd "$src" && xargs -r rm -f)
  rm -f "$list"
}

# Builds the scratch copy: the command line (for the proof) and the differential targets, all
# under --config=libfuzzer in one output base, so a mutant recompiles allocator/ and relinks.
build_scratch() {  # LOG; sets mbin
  local labels=(//tools:heaptwin) t
  local bazel=(bazel --output_base="$scratch/bazel")
  local flags=(--config=quiet --config=libfuzzer --experimental_convenience_symlinks=ignore)
  for t in "${targets[@]}"; do labels+=("//fuzz:$t"); done
  # 9>&-: the Bazel server outlives this script and must not hold its lock.
  (cd "$src" && "${bazel[@]}" build "${flags[@]}" "${labels[@]}") >"$1" 2>&1 9>&- || return 1
  mbin=$(cd "$src" && "${bazel[@]}" info --config=libfuzzer bazel-bin 2>/dev/null 9>&-)
}

diff_rc() {  # CLI HEAP LOG: prints heaptwin diff's exit code (its output in LOG)
  "$1" diff "$2" --sides twin,glibc >"$3" 2>&1
  echo $?
}

# One run: mutant, target, jobs, committed|empty. Writes DIR/cell: seconds and marks, "-" or ERR.
run_cell() {
  local m=$1 t=$2 j=$3 c=$4
  local dir="$work/$m/$t-$j-$c" extra=()
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$c" == empty ] && extra=(--no-seeds)
  "$cli" fuzz --root "$ROOT" --bin "$mbin" --target "$t" --jobs "$j" --time "$seconds" \
    --findings "$dir/findings" --progress 10 --result "$dir/result" "${extra[@]}" >"$dir/out.log" 2>&1
  local line found secs file marks=""
  line=$(tail -n 1 "$dir/result" 2>/dev/null)
  grep -o 'first_finding_execs=[0-9]*' <<<"$line" | cut -d= -f2 >"$dir/execs"
  found=$(grep -o 'found=[01]' <<<"$line" | cut -d= -f2)
  secs=$(grep -o 'first_finding_seconds=[-0-9.]*' <<<"$line" | cut -d= -f2)
  file=$(sed -n 's/.*first_finding=//p' <<<"$line")
  if [ -z "$found" ]; then
    echo "ERR" >"$dir/cell"
    return
  fi
  if [ "$found" == 1 ]; then
    # Whose finding: it must fail again on the mutated build (not a timeout of a busy machine)
    # and pass on the clean one; a committed seed measures the corpus, not the fuzzer.
    if "$mbin/fuzz/$t" "$file" >"$dir/mutant-replay.log" 2>&1; then marks+="?"; fi
    if ! "$clean_bin/fuzz/$t" "$file" >"$dir/clean-replay.log" 2>&1; then marks+="!"; fi
    local seed
    for seed in "$ROOT/corpus/$t"/* "$ROOT/corpus/regressions/$t"/*; do
      [ -f "$seed" ] && cmp -s "$seed" "$file" && { marks+="*"; break; }
    done
    printf '%.1f%s\n' "$secs" "$marks" >"$dir/cell"
  else
    echo "-" >"$dir/cell"
  fi
}

# Runs the cells: the main job alone, the single-job runs `parallel` at a time.
run_mutant_cells() {
  local m=$1 col t j c running=0
  for col in "${columns[@]}"; do
    t=${col%%:*} j=${col#*:}
    [ "$j" -gt 1 ] || continue
    for c in committed empty; do run_cell "$m" "$t" "$j" "$c"; done
  done
  for col in "${columns[@]}"; do
    t=${col%%:*} j=${col#*:}
    [ "$j" -eq 1 ] || continue
    for c in committed empty; do
      run_cell "$m" "$t" "$j" "$c" &
      running=$((running + 1))
      if [ "$running" -ge "$parallel" ]; then wait -n; running=$((running - 1)); fi
    done
  done
  wait
}

cell_of() { cat "$work/$1/$2-$3-$4/cell" 2>/dev/null || echo "?"; }

print_header() {
  local col
  printf '%-36s' "mutant"
  for col in "${columns[@]}"; do printf '  %-19s' "$(column_title "$col")"; done
  printf '\n%-36s' ""
  for col in "${columns[@]}"; do printf '  %-9s %-9s' corpus empty; done
  printf '\n'
}

print_row() {  # MUTANT [PROOF-PROBLEM]
  local m=$1 col
  printf '%-36s' "$m"
  if [ -n "${2:-}" ]; then printf '  %s\n' "$2"; return; fi
  for col in "${columns[@]}"; do
    printf '  %-9s %-9s' "$(cell_of "$m" "${col%%:*}" "${col#*:}" committed)" \
      "$(cell_of "$m" "${col%%:*}" "${col#*:}" empty)"
  done
  printf '\n'
}

# The clean tree must agree with glibc on every scenario (before any build).
prove_scenarios_sound() {
  local m rc
  say "${#mutants[@]} mutant(s); columns: $(for c in "${columns[@]}"; do printf '%s; ' "$(column_title "$c")"; done)runs of up to ${seconds} s"
  unsound=()
  for m in "${mutants[@]}"; do
    rc=$(diff_rc "$cli" "$HERE/$m.heap" "$work/$m.clean-diff.log")
    if [ "$rc" != 0 ]; then
      say "$m: its scenario does not agree with real glibc on the clean tree (diff exit $rc): $work/$m.clean-diff.log"
      unsound+=("$m")
    fi
  done
}

# Per mutant: apply, build, prove real, fuzz.
prove_and_run() {
  say "copying the working tree to $src"
  sync_scratch || die "cannot copy the working tree to $src"
  proof_failed=0
  local m rc t0
  for m in "${mutants[@]}"; do
    if [[ " ${unsound[*]} " == *" $m "* ]]; then
      problem[$m]="not run: NAME.heap does not agree with glibc on the clean tree"
      proof_failed=1
      continue
    fi
    sync_scratch || die "cannot copy the working tree to $src"
    if ! patch -p1 -d "$src" --batch --forward --silent <"$HERE/$m.patch" >"$work/$m.patch.log" 2>&1; then
      problem[$m]="not run: the patch does not apply ($work/$m.patch.log)"
      proof_failed=1
      continue
    fi
    say "$m: building the mutated copy..."
    t0=$(date +%s)
    if ! build_scratch "$work/$m.build.log"; then
      problem[$m]="not run: the mutated copy does not build ($work/$m.build.log)"
      proof_failed=1
      continue
    fi
    rc=$(diff_rc "$mbin/tools/heaptwin" "$HERE/$m.heap" "$work/$m.mutant-diff.log")
    if [ "$rc" != 1 ]; then
      problem[$m]="not run: the mutant agrees with glibc on its scenario (diff exit $rc): not a real mutant"
      proof_failed=1
      continue
    fi
    say "$m: built in $(( $(date +%s) - t0 )) s; real (its scenario diverges: $(grep -m1 -i -E 'first|differ|diverg' "$work/$m.mutant-diff.log" | cut -c1-80))"
    [ "$check_only" -eq 1 ] && continue
    t0=$(date +%s)
    run_mutant_cells "$m"
    say "$m: fuzzed in $(( $(date +%s) - t0 )) s: $(print_row "$m" | tr -s ' ')"
  done
}

print_table() {
  local m elapsed=$(( $(date +%s) - started ))
  echo
  echo "Mutation testing: seconds to the first finding (libFuzzer; runs of up to ${seconds} s;" \
    "'-' none; *: a committed seed; !: fails on the clean build too; ?: does not fail again)." \
    "$(date -u '+%Y-%m-%d %H:%M UTC')," \
    "$cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
  print_header
  for m in "${mutants[@]}"; do
    print_row "$m" "${problem[$m]:-$([ "$check_only" -eq 1 ] && echo 'proof passed (--check-only)')}"
  done
  echo
  if [ "$check_only" -eq 0 ]; then
    local col c
    for col in "${columns[@]}"; do
      for c in committed empty; do print_counts "$col" "$c"; done
    done
  fi
  echo "${#mutants[@]} mutant(s) in $((elapsed / 60)) min $((elapsed % 60)) s; logs in $work"
}

# One column and corpus: how many mutants were found (and --out's lines); for the main job,
# the issue's targets.
print_counts() {  # TARGET:JOBS committed|empty
  local col=$1 c=$2 m cell n=0 found=0 by_seed=0 goal met
  for m in "${mutants[@]}"; do
    [ -z "${problem[$m]:-}" ] || continue
    cell=$(cell_of "$m" "${col%%:*}" "${col#*:}" "$c")
    n=$((n + 1))
    [[ "$cell" =~ ^[0-9] && "$cell" != *'!'* && "$cell" != *'?'* ]] && found=$((found + 1))
    [[ "$cell" == *'*'* ]] && by_seed=$((by_seed + 1))
    [ -n "$out" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$(column_title "$col")" "$c" "$cell" \
      "$(cat "$work/$m/${col%%:*}-${col#*:}-$c/execs" 2>/dev/null)" >>"$out"
  done
  [ "$n" -gt 0 ] || return 0
  printf '%-22s %-9s found %2d of %2d within %s s (%3d%%)%s\n' "$(column_title "$col")" "$c" \
    "$found" "$n" "$seconds" $((100 * found / n)) \
    "$([ "$by_seed" -gt 0 ] && echo ", $by_seed by a committed seed")"
  [ "$col" == "${columns[-1]}" ] || return 0
  if [ "$c" == committed ]; then
    goal="every mutant found from the committed corpus"
    met=$([ "$found" -eq "$n" ] && echo MET || echo "MISSED by $((n - found))")
  else
    goal=">= 80% found from an empty corpus"
    met=$([ $((100 * found)) -ge $((80 * n)) ] && echo MET || echo MISSED)
  fi
  [ "$seconds" -eq 60 ] || met="$met (runs of $seconds s, not the issue's 60)"
  printf '  target (issue 14): %s within 60 s: %s\n' "$goal" "$met"
}

main() {
  parse_args "$@"
  choose_mutants
  choose_columns
  src="$scratch/src"
  work="$scratch/runs"
  mkdir -p "$src" "$work" || die "cannot make $scratch"
  exec 9>"$scratch/lock"
  flock -n 9 || die "another mutation run uses $scratch"
  started=$(date +%s)
  prove_scenarios_sound
  prove_and_run
  sync_scratch >/dev/null 2>&1  # leave the scratch copy clean
  print_table
  exit "$proof_failed"
}

# Everything runs from here, the last line: bash has read the whole file before it runs any
# of it, so editing the file during a run (up to an hour) cannot derail that run.
main "$@"
