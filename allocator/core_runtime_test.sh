#!/usr/bin/env bash
# //allocator:core needs nothing but libc: every symbol its objects use and do not define
# themselves is one libc.so.6 exports. The drop-in library links it, and must not load libstdc++
# (its start-up allocation would shift every address); this holds for the twin's code as
# compiled, not only for what the drop-in's linker keeps. Allowed besides libc: what the drop-in
# defines itself (allocator/preload/runtime_stubs.cc) and a sanitizer's hooks (--config asan).
set -euo pipefail

runfiles="${TEST_SRCDIR:-$PWD}"
mapfile -t archives < <(find -L "$runfiles" -path '*/allocator/libcore*.a' | sort)
[ ${#archives[@]} -gt 0 ] || { echo "no libcore*.a under $runfiles"; exit 1; }

libc=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ {print $NF; exit}')
[ -n "$libc" ] || libc=/lib/x86_64-linux-gnu/libc.so.6

defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
{
  nm -D --defined-only --format=just-symbols "$libc" | sed 's/@.*//'
  nm --defined-only --format=just-symbols "${archives[@]}" 2>/dev/null
  printf '%s\n' __cxa_pure_virtual _ZdlPv _ZdlPvm  # runtime_stubs.cc
  printf '%s\n' _GLOBAL_OFFSET_TABLE_              # the linker's
} | sort -u >"$defined"

missing=$(nm -u --format=just-symbols "${archives[@]}" 2>/dev/null | sort -u |
  grep -v -E '^(__asan_|__ubsan_|__sanitizer_|__sancov_|__lsan_)' |
  comm -23 - "$defined" || true)
if [ -n "$missing" ]; then
  echo "//allocator:core uses symbols that libc.so.6 ($libc) does not define:"
  while IFS= read -r symbol; do echo "  $symbol"; done <<<"$missing"
  echo "(C++ runtime symbols would make the drop-in library load libstdc++)"
  exit 1
fi
echo "ok: ${archives[*]##*/} need only $libc"
