"""Compiler options shared across folders."""

# For the oracle code that runs after every op (the arena walk, the heap checker, the heap view,
# the block rules, the differ): no libFuzzer coverage or comparison tracing in it. Its branches
# are not what the fuzzer should explore, and tracing every comparison of a walk over every
# chunk and bin made it most of an execution's cost.
NO_FUZZ_FEEDBACK = select({
    "//bazel:engine_libfuzzer": ["-fno-sanitize-coverage=inline-8bit-counters,trace-cmp,indirect-calls,pc-table"],
    "//conditions:default": [],
})
