#!/usr/bin/env bash
# bench/record_traces.sh DIR HEAPTWIN: records the malloc-family calls of a few real programs
# (those installed) with `HEAPTWIN exec --trace` into DIR/NAME.heap, for the bench's replay rows
# ("twin vs glibc: <program>"); prints a --trace=NAME=FILE argument for the bench binary per trace.
set -uo pipefail

say() { printf 'heaptwin: bench: %s\n' "$*" >&2; }

# The command line traced for NAME, one word a line. Full paths: a wrapper (a pyenv shim, say)
# would be traced instead of the program.
# shellcheck disable=SC2016  # the programs' own variables ($h, $_), not the shell's
traced_command() {  # NAME
  case "$1" in
    python3) printf '%s\n' /usr/bin/python3 -c 'import json; d = {str(i): [i] * 5 for i in range(20000)}; print(len(json.dumps(d)))' ;;
    perl) printf '%s\n' /usr/bin/perl -e 'my %h; $h{$_} = "x" x ($_ % 64) for 1 .. 30000; print scalar(keys %h), "\n"' ;;
    sqlite3) printf '%s\n' /usr/bin/sqlite3 :memory: 'create table t(a, b); with recursive c(x) as (select 1 union all select x + 1 from c limit 20000) insert into t select x, hex(randomblob(40)) from c; select count(*) from t group by a % 7;' ;;
    ls) printf '%s\n' /bin/ls -lR /usr/share/doc ;;
  esac
}

main() {
  [ $# -eq 2 ] || { echo "usage: bench/record_traces.sh DIR HEAPTWIN" >&2; exit 2; }
  local dir=$1 cli=$2 name cmd
  for name in python3 perl sqlite3 ls; do
    mapfile -t cmd < <(traced_command "$name")
    if [ ! -x "${cmd[0]}" ]; then
      say "${cmd[0]} is not installed: no trace row for $name"
      continue
    fi
    if "$cli" exec --trace "$dir/$name.heap" -- "${cmd[@]}" >/dev/null 2>"$dir/$name.err" &&
       [ -s "$dir/$name.heap" ]; then
      say "traced $name: $(grep -vc '^#' "$dir/$name.heap") calls"
      printf -- '--trace=%s=%s\n' "$name" "$dir/$name.heap"
    else
      say "tracing $name failed (no trace row): $(tail -1 "$dir/$name.err")"
    fi
  done
}

main "$@"; exit  # on one line: an edit saved while this runs cannot change what follows main
