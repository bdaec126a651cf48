// A double free through a helper: the report must name free's call site in main (BREAK), the
// allocation in make_name (ALLOC) and the first free in release (FREE). Lines are found by
// these markers; keep one of each.
#include <stdlib.h>
#include <string.h>

static char* make_name(void) {
  char* p = malloc(24);  // ALLOC
  strcpy(p, "name");
  return p;
}

static void release(char* p) {
  free(p);  // FREE
}

int main(void) {
  char* name = make_name();
  char* other = malloc(24);
  release(name);
  free(other);
  free(name);  // BREAK
  return 0;
}
