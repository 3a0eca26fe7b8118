/* Errors into caller buffers: core/ reports what went wrong as text the
 * caller owns ("FILE: x-dvc.agency ..."), never through global state. */
#ifndef DVC_ERR_H
#define DVC_ERR_H

#include <stddef.h>

/* printf into err (errlen bytes, always NUL-terminated); a NULL err or a
 * zero errlen is allowed and ignored. */
void dvc_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
