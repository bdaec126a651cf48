"""fuzz_target: one fuzz harness built for libFuzzer, AFL++ or plain replay, by config."""

def fuzz_target(name, srcs, deps = []):
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//fuzz:engine_libfuzzer": [],
            "//fuzz:engine_afl": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:engine_libfuzzer": ["-fsanitize=fuzzer"],
            # Bazel hands the linker its flags in a params file, which afl-clang-fast cannot
            # look into to swap -fsanitize=fuzzer for its driver: name the driver directly.
            "//fuzz:engine_afl": ["/usr/lib/afl/libAFLDriver.a", "-lstdc++"],
            "//conditions:default": [],
        }),
    )

# Copts for the oracle code that runs after every op (the heap checker, the heap view, the block
# rules, the differ): no libFuzzer coverage or comparison tracing in them. Their branches are
# not what the fuzzer should explore, and tracing every comparison of a walk over every chunk
# and bin made them most of an execution's cost (twin_vs_model: ~700 execs/s with, see the
# issue notes for without).
NO_FUZZ_FEEDBACK = select({
    "//fuzz:engine_libfuzzer": ["-fno-sanitize-coverage=inline-8bit-counters,trace-cmp,indirect-calls,pc-table"],
    "//conditions:default": [],
})
