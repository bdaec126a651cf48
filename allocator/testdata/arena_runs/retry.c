/* Run on real glibc 2.36 for the twin's arena tests: see README.md. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static char buf[65536], out[4096];
#define SAY(...)                                    \
  do {                                              \
    int n = snprintf(out, sizeof out, __VA_ARGS__); \
    write(1, out, n);                               \
  } while (0)
int main(void) {
  mallopt(M_TOP_PAD, -2147483647 - 1);
  errno = 0;
  void* p = malloc(0x20);
  int e = errno;
  SAY("malloc(0x20) = %p errno %d\n", p, e);
  int fd = open("/proc/self/maps", O_RDONLY);
  int n = read(fd, buf, sizeof buf - 1);
  buf[n] = 0;
  // the 64 MiB heap: a line whose range is 0x4000000 long
  for (char* l = buf; *l;) {
    char* nl = strchr(l, '\n');
    *nl = 0;
    unsigned long lo, hi;
    sscanf(l, "%lx-%lx", &lo, &hi);
    if ((lo & 0x3ffffff) == 0 && strstr(l, "rw-p")) {
      uint64_t* h = (uint64_t*)lo;
      SAY("%s\n  heap_info ar_ptr %#lx prev %#lx size %#lx mprotect %#lx; first chunk size %#lx at "
          "0x8d0; top %#lx size %#lx sysmem %#lx attached %lu; main attached %lu\n",
          l, h[0] - lo, h[1], h[2], h[3], *(uint64_t*)(lo + 0x8d8), *(uint64_t*)(h[0] + 0x60) - lo,
          *(uint64_t*)(*(uint64_t*)(h[0] + 0x60) + 8), *(uint64_t*)(h[0] + 0x888),
          *(uint64_t*)(h[0] + 0x880), *(uint64_t*)(*(uint64_t*)(h[0] + 0x870) + 0x880));
      // the tcache: free a chunk of 0x20 from an mmapped block? Instead malloc(0x20) again
    }
    l = nl + 1;
  }
  void* q = malloc(0x18);
  SAY("second malloc(0x18) = %p\n", q);
  return 0;
}
