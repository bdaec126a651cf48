// A one-byte overflow of `below` into the header of the chunk above it (its size now 0x31): the
// next free of that chunk leaves the heap broken, which --check finds after the call. The report
// must name that free (BREAK), the chunk's allocation (ALLOC) and the one below it (BELOW).
#include <stdlib.h>

static char* make_buffer(void) {
  return malloc(24);  // BELOW
}

int main(void) {
  char* below = make_buffer();
  char* victim = malloc(24);  // ALLOC
  char* spare = malloc(24);
  char* const one_too_far = below + 24;
  *one_too_far = 0x31;
  free(victim);  // BREAK
  free(spare);
  return 0;
}
