#ifndef RESUME_INGEST_CZSTD_SHIM_H
#define RESUME_INGEST_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>
#endif
