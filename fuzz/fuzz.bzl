"""fuzz_target: one fuzz harness built for libFuzzer, AFL++ or plain replay, by config."""

def fuzz_target(name, srcs, deps = []):
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + select({
            # Counts executions for heaptwin fuzz's progress lines (exec_counter.cc).
            "//bazel:engine_libfuzzer": ["//fuzz:exec_counter"],
            "//bazel:engine_afl": ["//fuzz:exec_counter"],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//bazel:engine_libfuzzer": [
                "-fsanitize=fuzzer",
                "-Wl,--wrap=LLVMFuzzerTestOneInput",
            ],
            # Bazel hands the linker its flags in a params file, which afl-clang-fast cannot
            # look into to swap -fsanitize=fuzzer for its driver: name the driver directly.
            "//bazel:engine_afl": [
                "/usr/lib/afl/libAFLDriver.a",
                "-lstdc++",
                "-Wl,--wrap=LLVMFuzzerTestOneInput",
            ],
            "//conditions:default": [],
        }),
    )
