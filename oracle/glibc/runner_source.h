// The runner's C source, embedded (generated from runner.c and runner_protocol.h by a genrule)
// so that it can be compiled at run time against another glibc's sysroot.
#ifndef HEAPTWIN_ORACLE_GLIBC_RUNNER_SOURCE_H_
#define HEAPTWIN_ORACLE_GLIBC_RUNNER_SOURCE_H_

namespace heaptwin {

extern const char kRunnerSource[];
extern const char kRunnerProtocolHeader[];

}  // namespace heaptwin

#endif  // HEAPTWIN_ORACLE_GLIBC_RUNNER_SOURCE_H_
