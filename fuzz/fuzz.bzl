"""fuzz_target: one fuzz harness built for libFuzzer, AFL++ or plain replay, by config."""

def fuzz_target(name, srcs = None, deps = []):
    """A fuzz target: NAME.cc (unless srcs says otherwise), LLVMFuzzerTestOneInput over deps.

    The engine (or, by default, replay_main.cc) and its link options come from the config.
    """
    native.cc_binary(
        name = name,
        srcs = srcs if srcs != None else [name + ".cc"],
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
