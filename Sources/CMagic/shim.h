#ifndef RESUME_INGEST_CMAGIC_SHIM_H
#define RESUME_INGEST_CMAGIC_SHIM_H
#include <magic.h>
#endif
