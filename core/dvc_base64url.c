#include <limits.h>
#include <stdint.h>

#include "dvc_base64url.h"

/* 0..63 for the alphabet, 64 for anything else */
static const unsigned char  dvc_b64url_val[256] = {
#define X 64
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,      /* '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,  /* '_' */
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

long
dvc_base64url_decode(const char *s, size_t len, unsigned char *out,
    size_t *bad)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t               i, o = 0, rest;
    uint32_t             v;
    unsigned char        c[4];

    if (len % 4 == 1 || len > (size_t) LONG_MAX) {
        if (bad) {
            *bad = len;
        }
        return -1;
    }
    for (i = 0; i + 4 <= len; i += 4) {
        c[0] = dvc_b64url_val[p[i]];
        c[1] = dvc_b64url_val[p[i + 1]];
        c[2] = dvc_b64url_val[p[i + 2]];
        c[3] = dvc_b64url_val[p[i + 3]];
        if ((c[0] | c[1] | c[2] | c[3]) & 64) {
            goto invalid;
        }
        v = (uint32_t) c[0] << 18 | (uint32_t) c[1] << 12
            | (uint32_t) c[2] << 6 | c[3];
        out[o++] = (unsigned char) (v >> 16);
        out[o++] = (unsigned char) (v >> 8);
        out[o++] = (unsigned char) v;
    }
    rest = len - i;
    if (rest) {
        c[0] = dvc_b64url_val[p[i]];
        c[1] = dvc_b64url_val[p[i + 1]];
        c[2] = rest == 3 ? dvc_b64url_val[p[i + 2]] : 0;
        if ((c[0] | c[1] | c[2]) & 64) {
            goto invalid;
        }
        /* the bits past the last whole byte must be zero (canonical form) */
        if ((rest == 2 && (c[1] & 0x0f)) || (rest == 3 && (c[2] & 0x03))) {
            if (bad) {
                *bad = len - 1;
            }
            return -1;
        }
        v = (uint32_t) c[0] << 18 | (uint32_t) c[1] << 12 | (uint32_t) c[2] << 6;
        out[o++] = (unsigned char) (v >> 16);
        if (rest == 3) {
            out[o++] = (unsigned char) (v >> 8);
        }
    }
    return (long) o;

invalid:
    for (; i < len && dvc_b64url_val[p[i]] != 64; i++) {
        /* find the offending character */
    }
    if (bad) {
        *bad = i;
    }
    return -1;
}
