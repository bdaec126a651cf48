"""fuzz_sources: what .clusterfuzzlite/build.sh compiles for each fuzz target, from the Bazel graph.

The ClusterFuzzLite/OSS-Fuzz images have no Bazel, so build.sh compiles the sources itself from a
committed manifest (.clusterfuzzlite/sources.txt). This rule writes that manifest from the fuzz
targets' graph, and puts every source file they read in its runfiles.
.clusterfuzzlite/update_sources.sh builds it under --config=libfuzzer, so every select() resolves
as for `heaptwin fuzz`; tests/clusterfuzzlite/build_sh_test.sh builds it in its own configuration,
compares the committed manifest with it (all but what selects on the engine) and runs build.sh
over exactly those files.
"""

_SourcesInfo = provider(
    doc = "What one target contributes to a fuzz target's build.",
    fields = {
        "units": "depset of 'FILE COPT...' lines: one compiled file with its library's copts",
        "linkopts": "depset of link options",
        "generated": "depset of 'OUT TOOL SRC...' lines: files a genrule writes",
        "needs": "depset of 'FILE OWNER' lines: generated files compiled (OWNER: their genrule)",
        "binaries": "depset of lines describing cc_binary targets reached through `data`",
        "files": "depset of the source files read (sources, headers, genrule inputs)",
    },
)

# What a cc rule compiles (headers are only read).
_COMPILED = ["c", "cc", "cpp"]

# The one genrule form build.sh knows how to run: `TOOL OUT SRC...`.
_GENRULE_CMD = "$(location {tool}) $@ $(SRCS)"

def _path(f):
    # A generated file's path as the source tree would hold it (bazel-out/... stripped).
    return f.short_path

def _infos(attr_value):
    return [d[_SourcesInfo] for d in attr_value if _SourcesInfo in d]

def _genrule(target, ctx):
    tools = ctx.rule.files.tools
    outs = target.files.to_list()
    form = _GENRULE_CMD.format(tool = tools[0].basename) if len(tools) == 1 else None
    if len(outs) != 1 or ctx.rule.attr.cmd != form:
        fail("%s: build.sh runs only genrules of the form `%s` with one tool and one output" %
             (target.label, _GENRULE_CMD))
    srcs = ctx.rule.files.srcs
    line = " ".join([_path(outs[0]), _path(tools[0])] + [_path(f) for f in srcs])
    return _SourcesInfo(
        units = depset(),
        linkopts = depset(),
        generated = depset([line]),
        needs = depset(),
        binaries = depset(),
        files = depset([f for f in srcs + tools if f.is_source]),
    )

def _sources_aspect_impl(target, ctx):
    if target.label.workspace_name != "":
        fail("%s: build.sh compiles only this repository's sources" % target.label)
    kind = ctx.rule.kind
    if kind == "genrule":
        return [_genrule(target, ctx)]
    if kind not in ("cc_library", "cc_binary"):
        fail("%s: build.sh knows cc_library, cc_binary and genrule, not %s" % (target.label, kind))
    attr = ctx.rule.attr
    srcs = getattr(ctx.rule.files, "srcs", [])
    hdrs = getattr(ctx.rule.files, "hdrs", [])
    copts = list(getattr(attr, "copts", []))
    for f in ["includes", "defines", "local_defines", "strip_include_prefix", "include_prefix"]:
        if getattr(attr, f, None):
            fail("%s: build.sh does not pass `%s`; teach it (and fuzz_sources.bzl) first" %
                 (target.label, f))
    deps = _infos(getattr(attr, "deps", [])) + _infos(getattr(attr, "srcs", []))
    own_units = [" ".join([_path(f)] + copts) for f in srcs if f.extension in _COMPILED]
    binaries = []
    for d in getattr(attr, "data", []):
        if _SourcesInfo not in d:
            continue
        info = d[_SourcesInfo]
        name = d.label.package + "/" + d.label.name
        binaries.append(depset(
            ["binary " + name] +
            ["unit %s %s" % (name, u) for u in info.units.to_list()] +
            ["link %s %s" % (name, o) for o in info.linkopts.to_list()],
        ))
        deps.append(_SourcesInfo(
            units = depset(),
            linkopts = depset(),
            generated = info.generated,
            needs = info.needs,
            binaries = info.binaries,
            files = info.files,
        ))
    return [_SourcesInfo(
        units = depset(own_units, transitive = [d.units for d in deps], order = "postorder"),
        linkopts = depset(
            list(getattr(attr, "linkopts", [])),
            transitive = [d.linkopts for d in deps],
        ),
        generated = depset(transitive = [d.generated for d in deps]),
        needs = depset(
            ["%s %s" % (_path(f), f.owner) for f in srcs if not f.is_source],
            transitive = [d.needs for d in deps],
        ),
        binaries = depset(transitive = [d.binaries for d in deps] + binaries),
        files = depset(
            [f for f in srcs + hdrs if f.is_source],
            transitive = [d.files for d in deps],
        ),
    )]

_sources_aspect = aspect(
    implementation = _sources_aspect_impl,
    attr_aspects = ["deps", "srcs", "data"],
)

# The engine's own link flag: build.sh links with $LIB_FUZZING_ENGINE instead.
_ENGINE_LINKOPT = "-fsanitize=fuzzer"

def _fuzz_sources_impl(ctx):
    lines = [
        "# Generated from the Bazel graph of the fuzz targets (//tests/clusterfuzzlite:fuzz_sources,",
        "# as --config=libfuzzer resolves it); .clusterfuzzlite/build.sh reads it. Do not edit:",
        "# .clusterfuzzlite/update_sources.sh rewrites it, and tests/clusterfuzzlite checks it is current.",
        "#   generate OUT TOOL SRC...    run `TOOL OUT SRC...` (a genrule) before compiling",
        "#   target NAME                 a fuzz target: the units and link options that follow",
        "#   binary PATH                 a program a target runs (the glibc runner): built uninstrumented",
        "#   unit PROGRAM FILE COPT...   compile FILE with its library's copts into PROGRAM",
        "#   link PROGRAM LINKOPT        a link option of PROGRAM ($LIB_FUZZING_ENGINE replaces " +
        _ENGINE_LINKOPT + ")",
        "#   uses TARGET PATH            TARGET runs the binary PATH (build.sh puts it beside the target)",
    ]
    # Aspects do not reach a genrule through the file it writes: the genrules are named in
    # `generators`, and every generated file a target compiles must come from one of them.
    generated = [g[_SourcesInfo].generated for g in ctx.attr.generators]
    produced = {l.split(" ")[0]: True for l in depset(transitive = generated).to_list()}
    binaries = []
    by_name = {t.label.name: t for t in ctx.attr.targets}
    targets = [by_name[n] for n in sorted(by_name)]
    for t in targets:
        info = t[_SourcesInfo]
        binaries.append(info.binaries)
        for need in info.needs.to_list():
            path, owner = need.split(" ")
            if path not in produced:
                fail("%s compiles %s, written by %s: add that genrule to `generators`" %
                     (t.label, path, owner))
    lines += ["generate " + g for g in sorted(depset(transitive = generated).to_list())]
    binary_lines = depset(transitive = binaries).to_list()
    lines += binary_lines
    for t in targets:
        info = t[_SourcesInfo]
        name = t.label.name
        lines.append("target " + name)
        lines += ["unit %s %s" % (name, u) for u in info.units.to_list()]
        lines += ["link %s %s" % (name, o) for o in info.linkopts.to_list() if o != _ENGINE_LINKOPT]
        used = [l.split(" ")[1] for l in info.binaries.to_list() if l.startswith("binary ")]
        lines += ["uses %s %s" % (name, b) for b in used]
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, "\n".join(lines) + "\n")
    files = depset(transitive = [
        t[_SourcesInfo].files
        for t in targets + ctx.attr.generators + ctx.attr.libfuzzer_only
    ])
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out], transitive_files = files),
    )]

fuzz_sources = rule(
    implementation = _fuzz_sources_impl,
    attrs = {
        "targets": attr.label_list(aspects = [_sources_aspect]),
        "generators": attr.label_list(aspects = [_sources_aspect]),
        # What the fuzz targets link under --config=libfuzzer only (fuzz.bzl's engine select):
        # its files join the runfiles, for a build.sh that reads the libFuzzer manifest.
        "libfuzzer_only": attr.label_list(aspects = [_sources_aspect]),
    },
)
