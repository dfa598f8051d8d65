#ifndef RESUME_INGEST_CLIBPQ_SHIM_H
#define RESUME_INGEST_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
