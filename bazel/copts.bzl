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
