"""The drop-in library is always built optimised (-c opt), whatever the build's own mode: a real
program runs every malloc through it, and -O0 would make `heaptwin exec` several times slower
than it needs to be."""

def _opt_transition_impl(settings, attr):
    return {"//command_line_option:compilation_mode": "opt"}

_opt_transition = transition(
    implementation = _opt_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:compilation_mode"],
)

def _optimized_file_impl(ctx):
    src = ctx.files.src[0]
    out = ctx.actions.declare_file(ctx.label.name)
    # A copy, not a symlink: the library keeps its own name wherever a path to it is resolved.
    ctx.actions.run_shell(
        inputs = [src],
        outputs = [out],
        command = "cp -f '%s' '%s'" % (src.path, out.path),
        mnemonic = "CopyOptimized",
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

optimized_file = rule(
    implementation = _optimized_file_impl,
    doc = "A file named like the target: the single file of `src`, built with compilation_mode=opt.",
    attrs = {
        "src": attr.label(cfg = _opt_transition, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
