#ifndef RESUME_INGEST_CLIBZ_SHIM_H
#define RESUME_INGEST_CLIBZ_SHIM_H
#include <zlib.h>

// `inflateInit2` is a macro (it passes ZLIB_VERSION and sizeof(z_stream) to `inflateInit2_`), which Swift cannot
// call. `windowBits`: -15 for a raw deflate stream (zip entries), 15 + 16 for gzip members.
static inline int resume_ingest_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif
