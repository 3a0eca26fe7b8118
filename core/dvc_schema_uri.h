/* URI reference resolution (RFC 3986 section 5.2) for the schema compiler. */
#ifndef DVC_SCHEMA_URI_H
#define DVC_SCHEMA_URI_H

#include "dvc_buf.h"

/* Writes ref resolved against base into out (reset first, NUL-terminated).
 * Returns 0, or -1 when out ran out of memory. */
int dvc_uri_resolve(dvc_buf_t *out, const char *base, const char *ref);

#endif
