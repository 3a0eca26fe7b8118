#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dvc_buf.h"
#include "dvc_utf8.h"

void
dvc_buf_init(dvc_buf_t *b, const dvc_alloc_t *alloc)
{
    memset(b, 0, sizeof(*b));
    b->alloc = alloc;
}

void
dvc_buf_free(dvc_buf_t *b)
{
    dvc_free(b->alloc, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
dvc_buf_reset(dvc_buf_t *b)
{
    b->len = 0;
    b->failed = 0;
}

int
dvc_buf_reserve(dvc_buf_t *b, size_t extra)
{
    size_t  need, cap;
    char   *p;

    if (b->failed) {
        return -1;
    }
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return -1;
    }
    need = b->len + extra + 1;  /* room for dvc_buf_cstr's NUL */
    if (need <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    p = dvc_realloc(b->alloc, b->data, b->cap, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void
dvc_buf_append(dvc_buf_t *b, const void *data, size_t len)
{
    if (len == 0 || dvc_buf_reserve(b, len) != 0) {
        return;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void
dvc_buf_puts(dvc_buf_t *b, const char *s)
{
    dvc_buf_append(b, s, strlen(s));
}

void
dvc_buf_putc(dvc_buf_t *b, char c)
{
    dvc_buf_append(b, &c, 1);
}

void
dvc_buf_printf(dvc_buf_t *b, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || dvc_buf_reserve(b, (size_t) n) != 0) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
}

const char *
dvc_buf_cstr(dvc_buf_t *b)
{
    if (dvc_buf_reserve(b, 0) != 0) {
        return NULL;
    }
    b->data[b->len] = '\0';
    return b->data;
}

void
dvc_buf_json_str(dvc_buf_t *b, const char *s, size_t len)
{
    static const char  hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *) s, *end = p + len;
    const unsigned char *run;
    size_t               n;
    char                 esc[6];

    dvc_buf_putc(b, '"');
    while (p < end) {
        run = p;
        /* copy runs of bytes that need no escaping in one go */
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
            p++;
        }
        dvc_buf_append(b, run, (size_t) (p - run));
        if (p == end) {
            break;
        }
        if (*p >= 0x80) {
            n = dvc_utf8_valid_prefix(p, (size_t) (end - p));
            if (n == 0) {
                dvc_buf_append(b, "\xEF\xBF\xBD", 3);
                p++;
            } else {
                dvc_buf_append(b, p, n);
                p += n;
            }
            continue;
        }
        switch (*p) {
        case '"':  dvc_buf_append(b, "\\\"", 2); break;
        case '\\': dvc_buf_append(b, "\\\\", 2); break;
        case '\n': dvc_buf_append(b, "\\n", 2); break;
        case '\r': dvc_buf_append(b, "\\r", 2); break;
        case '\t': dvc_buf_append(b, "\\t", 2); break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            dvc_buf_append(b, esc, 6);
        }
        p++;
    }
    dvc_buf_putc(b, '"');
}

void
dvc_buf_pointer_token(dvc_buf_t *b, const char *s, size_t len)
{
    size_t i, start = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '~' || s[i] == '/') {
            dvc_buf_append(b, s + start, i - start);
            dvc_buf_append(b, s[i] == '~' ? "~0" : "~1", 2);
            start = i + 1;
        }
    }
    dvc_buf_append(b, s + start, len - start);
}

void
dvc_buf_hex(dvc_buf_t *b, const unsigned char *bytes, size_t n)
{
    static const char  hex[] = "0123456789abcdef";
    size_t             i;

    if (n > SIZE_MAX / 2 || dvc_buf_reserve(b, n * 2) != 0) {
        return;
    }
    for (i = 0; i < n; i++) {
        b->data[b->len++] = hex[bytes[i] >> 4];
        b->data[b->len++] = hex[bytes[i] & 0xf];
    }
}

void
dvc_buf_base64url(dvc_buf_t *b, const unsigned char *in, size_t n)
{
    static const char  tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t             i;
    uint32_t           v;

    if (dvc_buf_reserve(b, (n + 2) / 3 * 4) != 0) {
        return;
    }
    for (i = 0; i + 2 < n; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        b->data[b->len++] = tbl[v >> 18 & 63];
        b->data[b->len++] = tbl[v >> 12 & 63];
        b->data[b->len++] = tbl[v >> 6 & 63];
        b->data[b->len++] = tbl[v & 63];
    }
    if (n - i == 1) {
        v = (uint32_t) in[i] << 16;
        b->data[b->len++] = tbl[v >> 18 & 63];
        b->data[b->len++] = tbl[v >> 12 & 63];
    } else if (n - i == 2) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        b->data[b->len++] = tbl[v >> 18 & 63];
        b->data[b->len++] = tbl[v >> 12 & 63];
        b->data[b->len++] = tbl[v >> 6 & 63];
    }
}
