/* A preload that does nothing: no code, no libc, no versions, at the drop-in library's fixed
 * address. What ld.so spends at start-up on any LD_PRELOAD of the same path length (its link_map,
 * the path) it spends on this one; the glibc runs that the drop-in is compared with byte for
 * byte run with it (preload_versions_test). */
int heaptwin_empty_preload;
