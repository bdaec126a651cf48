#!/usr/bin/env bash
# scripts/format.sh [--check] FILE...
# scripts/format.sh [--check] --since COMMIT
#   Formats C and C++ files with clang-format (the style in .clang-format): the FILEs given, or
#   every .c/.cc/.h file changed since COMMIT (committed or not). With --check nothing is
#   rewritten: the files that would change are listed and the exit code is 1 if any would.
#   The whole tree was formatted once (one commit of its own); keep it so by running this on
#   what you change.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "$1"
}

find_clang_format() {
  local c
  for c in clang-format clang-format-14; do
    if command -v "$c" >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  echo "scripts/format.sh: clang-format is not installed (apt-get install clang-format)" >&2
  return 1
}

changed_since() {  # COMMIT
  (cd "$ROOT" && { git diff --name-only "$1" --; git ls-files --others --exclude-standard; } |
    sort -u | grep -E '\.(c|cc|h)$' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
}

main() {
  local check=0 since="" files=() tool f failed=0
  while [ $# -gt 0 ]; do
    case "$1" in
      -h|--help) usage 0 ;;
      --check) check=1 ;;
      --since) [ $# -ge 2 ] || usage 2; since="$2"; shift ;;
      -*) echo "scripts/format.sh: unknown option $1" >&2; usage 2 ;;
      *) files+=("$1") ;;
    esac
    shift
  done
  if [ -n "$since" ]; then
    if ! (cd "$ROOT" && git rev-parse --verify --quiet "$since^{commit}" >/dev/null); then
      echo "scripts/format.sh: $since is no commit of this repository" >&2
      exit 2
    fi
    mapfile -t files < <(changed_since "$since")
  fi
  [ ${#files[@]} -gt 0 ] || { [ -n "$since" ] && exit 0; usage 2; }
  tool=$(find_clang_format) || exit 2
  for f in "${files[@]}"; do
    case "$f" in /*) ;; *) [ -f "$f" ] || f="$ROOT/$f" ;; esac
    if [ ! -f "$f" ]; then
      echo "scripts/format.sh: $f: no such file" >&2
      failed=1
      continue
    fi
    if [ "$check" = 1 ]; then
      if ! "$tool" --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "would change: $f"
        failed=1
      fi
    else
      "$tool" --style=file -i "$f" || failed=1
    fi
  done
  exit "$failed"
}

main "$@"
