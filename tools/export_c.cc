// A Program as a standalone C program (export_c.h): the comment (export_c_comment.cc), the fixed
// C text (export_c_prelude.cc), the slots, the ops' statements (export_c_ops.cc) in functions of
// kOpsPerFunction ops, and main.
#include "tools/export_c.h"

#include <algorithm>
#include <cctype>

#include "program/heap_format.h"
#include "tools/export_c_internal.h"
#include "tools/export_c_reads.h"

namespace heaptwin {

namespace {

using c_export::c_string;
using c_export::op_code;
using c_export::slot_var;

// Ops per function. Measured with gcc 12 -O0 on a Program of 100,000 mallocs and frees: in one
// function, 136 s and 2.3 GB; in functions of 1,000 ops, 15-22 s and 0.5 GB.
constexpr size_t kOpsPerFunction = 1000;

// Whether `code` names `id` as a whole identifier (not inside p_null_slot, say).
bool uses_identifier(const std::string& code, const std::string& id) {
  auto ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  for (size_t at = code.find(id); at != std::string::npos; at = code.find(id, at + 1)) {
    const size_t end = at + id.size();
    if ((at == 0 || !ident(code[at - 1])) && (end == code.size() || !ident(code[end]))) return true;
  }
  return false;
}

}  // namespace

std::string export_c(const Program& program, const ExportOptions& options) {
  std::string c = c_export::header_comment(program, options);
  c += c_export::kPrelude;
  const bool reads = c_export::reads_memory(program);
  if (reads) c += read8_support_code(program, options.release);
  std::string body;
  const size_t n = program.ops.size();
  const size_t functions = n <= kOpsPerFunction ? 1 : (n + kOpsPerFunction - 1) / kOpsPerFunction;
  for (size_t f = 0; f < functions; ++f) {
    const size_t first = f * kOpsPerFunction, last = std::min(n, first + kOpsPerFunction);
    body += "\nstatic void ";
    body += functions == 1 ? "run_program" : "run_ops_" + std::to_string(first);
    body += "(void) {\n";
    for (size_t i = first; i < last; ++i) {
      const Op& op = program.ops[i];
      body += "  op(" + std::to_string(i) + ", " + c_string(print_op(program, op)) + ");\n";
      body += op_code(program, op);
      if (reads) body += follow_mappings_code(op, slot_var(program, op.dst));
    }
    body += "}\n";
  }
  // Only what the ops use (an unused static is a compiler warning).
  if (body.find("posix_result") != std::string::npos) {
    c += "static void *posix_result; /* posix_memalign's pointer and return value */\n"
         "static int posix_error;\n";
  }
  if (uses_identifier(body, "null_slot")) {
    c += "static void *volatile null_slot; /* the script's `null` */\n";
  }
  for (SlotId s = 1; s < program.slot_count(); ++s) {
    c += "static void *volatile " + slot_var(program, s) + ";\n";
  }
  c += body;
  if (functions > 1) {
    c += "\nstatic void run_program(void) {\n";
    for (size_t f = 0; f < functions; ++f) {
      c += "  run_ops_" + std::to_string(f * kOpsPerFunction) + "();\n";
    }
    c += "}\n";
  }
  c += "\nint main(void) {\n"
       "  note_environment();\n";
  if (c_export::touches_memory(program)) {
    c += "  pin_tcache_key(); /* the Program reads or forges memory: it might read the key */\n";
  }
  c += "  if (!align_heap()) {\n"
       "    say(\"cannot move the program break to a 16 MiB boundary\\n\");\n"
       "    return 2;\n"
       "  }\n"
       "  catch_faults();\n" +
       std::string(reads ? kFindReadPlaces : "") +
       "  put(\"# \");\n"
       "  put(" +
       c_string(options.source) +
       ");\n"
       "  put(\" on glibc \");\n"
       "  put(gnu_get_libc_version());\n"
       "  end_line();\n"
       "  run_program();\n"
       "  return 0;\n"
       "}\n";
  return c;
}

}  // namespace heaptwin
