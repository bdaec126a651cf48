"""The drop-in library is always built optimised: the rule now lives in //bazel (the heaptwin
command line uses it too)."""

load("//bazel:optimized.bzl", _optimized_file = "optimized_file")

optimized_file = _optimized_file
