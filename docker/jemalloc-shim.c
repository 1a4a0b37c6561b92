/*
 * A stand-in for libjemalloc.so.2 that leaves allocation to glibc.
 *
 * Debian's redis-server links jemalloc, and jemalloc hangs under libfaketime: its
 * initialisation reads the clock, libfaketime's clock_gettime allocates, and jemalloc aborts
 * with "Unexpected recursive calls to clock_gettime" (or deadlocks). faultline's clock fault
 * runs redis-server with this library first on LD_LIBRARY_PATH, so its libjemalloc.so.2
 * dependency is satisfied by this file and malloc/calloc/realloc/free/malloc_usable_size
 * resolve to glibc's.
 *
 * It defines only the jemalloc extensions redis-server imports (`nm -D /usr/bin/redis-server`:
 * mallctl, malloc_stats_print, nallocx) plus the mallctl family for safety. Statistics and
 * tuning calls answer ENOENT, which Redis treats as "not available" (INFO's allocator_*
 * fields read 0). Built by scripts/setup-docker.sh:
 *   gcc -O2 -shared -fPIC -Wl,-soname,libjemalloc.so.2 -o libjemalloc.so.2 jemalloc-shim.c
 * Used only for a database run under libfaketime, never on the host.
 */
#include <stddef.h> /* from gcc itself: no libc headers needed */

#define SHIM_ENOENT 2 /* ENOENT on Linux */

int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen) {
  (void)name;
  (void)oldp;
  (void)oldlenp;
  (void)newp;
  (void)newlen;
  return SHIM_ENOENT;
}

int mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp) {
  (void)name;
  (void)mibp;
  (void)miblenp;
  return SHIM_ENOENT;
}

int mallctlbymib(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp, void *newp,
                 size_t newlen) {
  (void)mib;
  (void)miblen;
  (void)oldp;
  (void)oldlenp;
  (void)newp;
  (void)newlen;
  return SHIM_ENOENT;
}

void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque, const char *opts) {
  (void)opts;
  if (write_cb) write_cb(cbopaque, "faultline jemalloc stand-in: allocation is glibc's, no statistics\n");
}

/*
 * The usable size an allocation of `size` would have. `size` itself is a safe answer: glibc's
 * malloc(size) gives at least that much. Alignment flags (the low 6 bits, lg of the alignment)
 * round it up.
 */
size_t nallocx(size_t size, int flags) {
  size_t align = (flags & 0x3f) ? ((size_t)1 << (flags & 0x3f)) : 1;
  return (size + align - 1) & ~(align - 1);
}
