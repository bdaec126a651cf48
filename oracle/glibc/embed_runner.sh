#!/bin/sh
# Writes a C++ file holding the runner's sources (runner_source.h): each file's path inside the
# workspace and its text as a raw string, so the runner can be compiled at run time against
# another glibc's sysroot.
# usage: embed_runner.sh out.cc FILE...   (FILE: a workspace-relative path)
set -e
out="$1"
shift
{
  echo '#include "oracle/glibc/runner_source.h"'
  echo 'namespace heaptwin {'
  echo 'extern const RunnerSourceFile kRunnerSources[] = {'
  for f in "$@"; do
    printf '{"%s", R"HEAPTWIN_RUNNER(' "$f"
    cat "$f"
    echo ')HEAPTWIN_RUNNER"},'
  done
  echo '};'
  echo "extern const size_t kRunnerSourceCount = $#;"
  echo '}  // namespace heaptwin'
} > "$out"
