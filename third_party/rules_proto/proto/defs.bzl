"""Offline stand-in for @rules_proto: a thin forward to Bazel's native proto_library."""

def proto_library(**kwargs):
    native.proto_library(**kwargs)
