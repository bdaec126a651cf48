"""Files and programs always built optimised (-c opt), whatever the build's own mode.

The drop-in library runs every malloc of a real program and the heaptwin command line runs the
twin, the checker and the fuzz supervisor: at -O0 (fastbuild, what `bazel build` and the tests
use) both are several times slower than they need to be. A transition builds them -c opt in the
same output base, beside the fastbuild tree, so `./heaptwin` needs no second build of its own."""

def _opt_transition_impl(settings, attr):
    return {"//command_line_option:compilation_mode": "opt"}

_opt_transition = transition(
    implementation = _opt_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:compilation_mode"],
)

def _src_target(ctx):
    # An attribute with a transition is a list of one target (Bazel 4).
    return ctx.attr.src[0] if type(ctx.attr.src) == "list" else ctx.attr.src

def _copy(ctx):
    src = ctx.files.src[0]
    out = ctx.actions.declare_file(ctx.label.name)

    # A copy, not a symlink: the file keeps its own name wherever a path to it is resolved.
    ctx.actions.run_shell(
        inputs = [src],
        outputs = [out],
        command = "cp -f '%s' '%s'" % (src.path, out.path),
        mnemonic = "CopyOptimized",
    )
    return out

def _optimized_file_impl(ctx):
    out = _copy(ctx)
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

def _optimized_binary_impl(ctx):
    out = _copy(ctx)

    # The program's runfiles (its data: the glibc runner, the drop-in library), built -c opt too.
    runfiles = ctx.runfiles(files = [out]).merge(_src_target(ctx)[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = out, files = depset([out]), runfiles = runfiles)]

_ATTRS = {
    "src": attr.label(cfg = _opt_transition, mandatory = True),
    "_allowlist_function_transition": attr.label(
        default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
    ),
}

optimized_file = rule(
    implementation = _optimized_file_impl,
    doc = "A file named like the target: the single file of `src`, built with compilation_mode=opt.",
    attrs = _ATTRS,
)

optimized_binary = rule(
    implementation = _optimized_binary_impl,
    doc = "A program named like the target: `src` built with compilation_mode=opt, with its runfiles.",
    attrs = _ATTRS,
    executable = True,
)
