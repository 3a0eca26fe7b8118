/*
 * A growable byte buffer on a caller's allocator, with the JSON writing
 * helpers every answer needs (escaped strings, numbers).  Errors are sticky:
 * after a failed allocation every append is a no-op and buf->failed is set,
 * so callers check once at the end.
 */
#ifndef DVC_BUF_H
#define DVC_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"

typedef struct dvc_buf {
    char              *data;
    size_t             len;
    size_t             cap;
    int                failed;
    const dvc_alloc_t *alloc;
} dvc_buf_t;

void dvc_buf_init(dvc_buf_t *b, const dvc_alloc_t *alloc);
void dvc_buf_free(dvc_buf_t *b);
void dvc_buf_reset(dvc_buf_t *b);
int  dvc_buf_reserve(dvc_buf_t *b, size_t extra);
void dvc_buf_append(dvc_buf_t *b, const void *data, size_t len);
void dvc_buf_puts(dvc_buf_t *b, const char *s);
void dvc_buf_putc(dvc_buf_t *b, char c);
void dvc_buf_printf(dvc_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A NUL after the data (not counted in len); returns data or NULL on failure. */
const char *dvc_buf_cstr(dvc_buf_t *b);

/* Appends s as a JSON string literal, quotes included.  Invalid UTF-8 bytes
 * become U+FFFD so the output is always valid JSON. */
void dvc_buf_json_str(dvc_buf_t *b, const char *s, size_t len);
/* Appends a JSON Pointer reference token escaped per RFC 6901 (~0, ~1). */
void dvc_buf_pointer_token(dvc_buf_t *b, const char *s, size_t len);

/* Lower-case hex of n bytes. */
void dvc_buf_hex(dvc_buf_t *b, const unsigned char *bytes, size_t n);
/* base64url without padding (RFC 7515 section 2). */
void dvc_buf_base64url(dvc_buf_t *b, const unsigned char *bytes, size_t n);

#endif
