"""Macros for the target shapes that recur across the BUILD files: one definition of each.

Each macro declares one native rule under the name it is given; the arguments a call does not
name pass to that rule as written, so a BUILD file still says what differs from target to target.
"""

load("//bazel:copts.bzl", "DROP_IN_COPTS", "NO_FUZZ_FEEDBACK")

# The main every GoogleTest suite links (the system's libgtest_main).
_GTEST_MAIN = "@system//:gtest_main"

def cc_gtest(name, srcs = None, deps = [], **kwargs):
    """A cc_test of GoogleTest suites, run by gtest's own main.

    Args:
      name: the test's name; its source is NAME.cc unless srcs says otherwise.
      srcs: the test's sources (default [NAME + ".cc"]).
      deps: what the suites link; @system//:gtest_main is added last.
      **kwargs: any other cc_test attribute (size, data, shard_count, linkstatic, ...).
    """
    native.cc_test(
        name = name,
        srcs = srcs if srcs != None else [name + ".cc"],
        deps = deps + [_GTEST_MAIN],
        **kwargs
    )

# What every drop-in test runs: the library itself (always -c opt, //allocator/preload).
_DROP_IN_LIBRARY = "//allocator/preload:libheaptwin_preload.so"

def drop_in_process_test(name, size, data = [], deps = []):
    """A GoogleTest suite of tests/preload: real processes run with the drop-in library.

    Its sources are NAME.cc and skip_when_sanitized.h (the suite skips in sanitized builds); it
    gets the drop-in library as data and links :run_process (both besides DATA and DEPS).

    Args:
      name: the test's name; its source is tests/preload/NAME.cc.
      size: the test's size.
      data: what else its processes read or run (programs, //tools:heaptwin, sources).
      deps: what else it links.
    """
    cc_gtest(
        name = name,
        size = size,
        srcs = [
            name + ".cc",
            "//tests/preload:skip_when_sanitized.h",
        ],
        data = data + [_DROP_IN_LIBRARY],
        deps = ["//tests/preload:run_process"] + deps,
    )

def sh_script_test(name, **kwargs):
    """An sh_test whose script is NAME.sh in the calling folder.

    Args:
      name: the test's name and its script's, without .sh.
      **kwargs: any other sh_test attribute (size, data, tags, ...).
    """
    native.sh_test(
        name = name,
        srcs = [name + ".sh"],
        **kwargs
    )

def no_fuzz_feedback_library(name, copts = [], **kwargs):
    """A cc_library of judging code, compiled with NO_FUZZ_FEEDBACK (//bazel:copts.bzl).

    Judging code runs after every op (the arena walk, the checker, the heap view, the differ, the
    sides around the twin and the model): in fuzz builds it gives the fuzzer no coverage or
    comparison feedback, and carries no ASan.

    Args:
      name: the library's name.
      copts: options added after NO_FUZZ_FEEDBACK.
      **kwargs: any other cc_library attribute (srcs, hdrs, deps, ...).
    """
    native.cc_library(
        name = name,
        # NO_FUZZ_FEEDBACK is a select(): "+ []" would stand in the rule's copts as written.
        copts = NO_FUZZ_FEEDBACK + copts if copts else NO_FUZZ_FEEDBACK,
        **kwargs
    )

def drop_in_library(name, copts = [], **kwargs):
    """A cc_library of the drop-in library's own code, compiled with DROP_IN_COPTS.

    DROP_IN_COPTS (//bazel:copts.bzl): no C++ runtime, hidden symbols, position-independent.

    Args:
      name: the library's name.
      copts: options added after DROP_IN_COPTS.
      **kwargs: any other cc_library attribute (srcs, hdrs, deps, alwayslink, ...).
    """
    native.cc_library(
        name = name,
        copts = DROP_IN_COPTS + copts,
        **kwargs
    )

def c_test_program(name, srcs, linkopts, **kwargs):
    """A C program that a test runs (testonly), compiled with warnings off (-w).

    Args:
      name: the program's name.
      srcs: its C sources.
      linkopts: how it links (which libraries the process loads matters to these tests).
      **kwargs: any other cc_binary attribute (linkshared, ...).
    """
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        copts = ["-w"],
        linkopts = linkopts,
        **kwargs
    )

def cc_text_constant(name, src, constant, delimiter, namespace = "heaptwin::cli"):
    """A genrule writing NAME.cc, which defines `extern const char CONSTANT[]`: SRC's text.

    The text is pasted as a C++ raw string, R"DELIMITER(...)DELIMITER", in NAMESPACE; SRC must
    not contain `)DELIMITER"`.

    Args:
      name: the genrule's name; its output is NAME.cc.
      src: the text file compiled in.
      constant: the array's name, declared `extern const char CONSTANT[];` where it is used.
      delimiter: the raw string's delimiter.
      namespace: the namespace the array is defined in.
    """
    native.genrule(
        name = name,
        srcs = [src],
        outs = [name + ".cc"],
        cmd = ("(echo 'namespace {ns} {{ extern const char {constant}[] = R\"{delim}('; " +
               "cat $<; echo '){delim}\"; }}') > $@").format(
            ns = namespace,
            constant = constant,
            delim = delimiter,
        ),
    )
