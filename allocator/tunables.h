// The malloc tunables (GLIBC_TUNABLES=glibc.malloc.NAME=VALUE:...) as glibc reads them: one
// table of names with the bounds of glibc's elf/dl-tunables.list (a value outside them is
// ignored, as tunable_initialize ignores it), and the number syntax of _dl_strtoul. The twin's
// side, the drop-in library and the runner's environment all read tunables through it.
// Freestanding: no allocation, no libstdc++ (the drop-in links it).
#ifndef HEAPTWIN_ALLOCATOR_TUNABLES_H_
#define HEAPTWIN_ALLOCATOR_TUNABLES_H_

#include <cstddef>
#include <cstdint>

#include "allocator/profile.h"

namespace heaptwin::alloc {

// _dl_strtoul over [s, end): decimal, 0x hex, 0 octal; stops at the first character that is not
// a digit. False when nothing was read.
bool parse_tunable_number(const char* s, const char* end, uint64_t* out);

// Sets tunable NAME (without "glibc.malloc.", name_len bytes) from the text [value, value_end)
// when the name is known and the value within glibc's bounds; false otherwise (ignored).
bool set_tunable(GlibcTunables* t, const char* name, size_t name_len, const char* value,
                 const char* value_end);

// Every glibc.malloc.* entry of a GLIBC_TUNABLES value ("name=value:name=value...").
void parse_glibc_tunables(GlibcTunables* t, const char* s);

}  // namespace heaptwin::alloc

#endif  // HEAPTWIN_ALLOCATOR_TUNABLES_H_
