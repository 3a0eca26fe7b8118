#include <string.h>

#include "dvc_json_esc.h"

enum {
    ESC_NONE = 0,
    ESC_BACKSLASH,     /* after a backslash */
    ESC_HEX,           /* after \u and `digits` hex digits */
    ESC_LOW_BACKSLASH, /* after a high surrogate: a low one must follow */
    ESC_LOW_U,
    ESC_LOW_HEX
};

static int
hex_digit(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void
dvc_json_esc_reset(dvc_json_esc_t *e)
{
    e->start = 0;
    e->unit = 0;
    e->state = ESC_NONE;
    e->digits = 0;
}

/* Backslashes are rare: memchr skips to them. */
int
dvc_json_esc_feed(dvc_json_esc_t *e, const unsigned char *p, size_t len,
    size_t base, size_t *at)
{
    const unsigned char  *q;
    size_t                i = 0;
    int                   d;

    while (i < len) {
        if (e->state == ESC_NONE) {
            q = memchr(p + i, '\\', len - i);
            if (q == NULL) {
                return 0;
            }
            i = (size_t) (q - p);
            e->start = base + i;
            e->state = ESC_BACKSLASH;
            i++;
            continue;
        }
        switch (e->state) {
        case ESC_BACKSLASH:
            e->state = p[i] == 'u' ? ESC_HEX : ESC_NONE;
            e->digits = 0;
            e->unit = 0;
            break;
        case ESC_LOW_BACKSLASH:
            if (p[i] != '\\') {
                goto lone;
            }
            e->state = ESC_LOW_U;
            break;
        case ESC_LOW_U:
            if (p[i] != 'u') {
                goto lone;
            }
            e->state = ESC_LOW_HEX;
            e->digits = 0;
            e->unit = 0;
            break;
        default:        /* ESC_HEX, ESC_LOW_HEX */
            d = hex_digit(p[i]);
            if (d < 0) {
                e->state = ESC_NONE;          /* yajl's error */
                break;
            }
            e->unit = e->unit << 4 | (unsigned) d;
            if (++e->digits < 4) {
                break;
            }
            if (e->state == ESC_LOW_HEX) {
                if (e->unit < 0xDC00 || e->unit > 0xDFFF) {
                    goto lone;
                }
                e->state = ESC_NONE;
            } else if (e->unit >= 0xD800 && e->unit <= 0xDBFF) {
                e->state = ESC_LOW_BACKSLASH;
            } else if (e->unit >= 0xDC00 && e->unit <= 0xDFFF) {
                goto lone;
            } else {
                e->state = ESC_NONE;
            }
        }
        i++;
    }
    return 0;

lone:
    *at = e->start;
    return -1;
}
