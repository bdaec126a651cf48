#!/bin/sh
# Writes a C++ file holding runner.c and runner_protocol.h as raw strings (runner_source.h).
# usage: embed_runner.sh runner.c runner_protocol.h out.cc
set -e
{
  echo '#include "oracle/glibc/runner_source.h"'
  echo 'namespace heaptwin {'
  printf 'extern const char kRunnerSource[] = R"HEAPTWIN_RUNNER('
  cat "$1"
  echo ')HEAPTWIN_RUNNER";'
  printf 'extern const char kRunnerProtocolHeader[] = R"HEAPTWIN_RUNNER('
  cat "$2"
  echo ')HEAPTWIN_RUNNER";'
  echo '}  // namespace heaptwin'
} > "$3"
