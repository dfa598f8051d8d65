#ifndef RESUME_INGEST_CLIBUV_SHIM_H
#define RESUME_INGEST_CLIBUV_SHIM_H
#include <uv.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <malloc.h>

/// `UV_E*` codes are macros over negated errno values; Swift sees some of them only through functions.
static inline int cuv_eof(void) { return UV_EOF; }
static inline int cuv_eagain(void) { return UV_EAGAIN; }
static inline int cuv_ecanceled(void) { return UV_ECANCELED; }

/// `uv_loop_configure` is variadic, which Swift cannot call.
static inline int cuv_enable_idle_metrics(uv_loop_t *loop) { return uv_loop_configure(loop, UV_METRICS_IDLE_TIME); }

/// `memmem` is a GNU extension that glibc hides unless `_GNU_SOURCE` is set before <string.h>.
void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
static inline const void *cuv_memmem(const void *h, size_t hl, const void *n, size_t nl) {
    return memmem(h, hl, n, nl);
}

/// glibc's `mallopt(M_MMAP_THRESHOLD, bytes)`: allocations from `bytes` up get their own mapping, returned to
/// the system when freed (and the sliding threshold that would let them settle in arenas is turned off).
static inline int cuv_fix_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
#endif
