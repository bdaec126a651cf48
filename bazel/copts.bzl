"""Compiler options shared across folders."""

# For the judging code that runs after every op (the arena walk, the heap checker, the heap view,
# the block rules, the differ, the sides around the twin and the model, the twin's simulated
# memory): no libFuzzer coverage or comparison tracing in it, and no ASan (UBSan stays). Its
# branches are not what the fuzzer should explore, and tracing every comparison of a walk over
# every chunk and bin made it most of an execution's cost. ASan still checks this code in
# `./heaptwin test --config asan`; in the fuzz build it cost a quarter of an execution's CPU
# (twin_vs_glibc, 64-op inputs: 428 -> 315 us of the target's CPU; twin_vs_model 110 -> 82 us).
NO_FUZZ_FEEDBACK = select({
    "//bazel:engine_libfuzzer": [
        "-fno-sanitize-coverage=inline-8bit-counters,trace-cmp,indirect-calls,pc-table,stack-depth",
        "-fno-sanitize=address",
    ],
    "//conditions:default": [],
})

# C++ that must need nothing of the C++ runtime (libstdc++'s start-up malloc would shift every
# address of the drop-in library's process): no exceptions, no RTTI, no guarded statics. The twin
# (//allocator:core) and the drop-in library (allocator/preload) are compiled so.
NO_CXX_RUNTIME = [
    "-fno-exceptions",
    "-fno-rtti",
    "-fno-threadsafe-statics",
]

# The drop-in library's own code: that, with hidden symbols (the version script exports the
# malloc family only) and position-independent code. Not the twin's: its tests link it as a
# shared library in fastbuild, which hidden symbols would break.
DROP_IN_COPTS = NO_CXX_RUNTIME + [
    "-fvisibility=hidden",
    "-fPIC",
]

# The twin's debug checks (allocator/dcheck.h) are off in fuzz builds (opt builds turn them off
# through NDEBUG): their cost there would be every execution's.
NO_TWIN_DCHECKS_WHEN_FUZZING = select({
    "//bazel:engine_libfuzzer": ["-DHEAPTWIN_NO_TWIN_DCHECKS"],
    "//bazel:engine_afl": ["-DHEAPTWIN_NO_TWIN_DCHECKS"],
    "//conditions:default": [],
})

# Link-time optimisation of the drop-in library with the twin (allocator/preload, and the twin's
# //allocator:core_direct): compile and link options. Not in fuzz builds: there clang's LTO of
# objects instrumented for coverage does not link (sancov module constructors end in discarded
# sections), and no fuzz build runs the library for its speed. `./heaptwin bench --mutants`
# builds every target with --config=libfuzzer, the library too.
DROP_IN_LTO = select({
    "//bazel:engine_libfuzzer": [],
    "//bazel:engine_afl": [],
    "//conditions:default": ["-flto"],
})
