/*
 * JSON Schema's address formats: IPv4 as dotted-quad without leading zeros,
 * RFC 4291 IPv6 without zone ids.  A leaf: dvc_format.c (the formats, the
 * mailbox literals) and dvc_format_uri.c (IP-literal hosts) call it, it calls
 * neither (scripts/shape-check.py).
 */
#include <stddef.h>

#include "dvc_format.h"

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int
dvc_fmt_ipv4(const char *s, size_t len)
{
    size_t  i = 0, start;
    int     part, v;

    for (part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.') {
                return 0;
            }
            i++;
        }
        start = i;
        v = 0;
        while (i < len && is_digit((unsigned char) s[i]) && i - start < 4) {
            v = v * 10 + (s[i] - '0');
            i++;
        }
        if (i == start || i - start > 3 || v > 255
            || (s[start] == '0' && i - start > 1))
        {
            return 0;
        }
    }
    return i == len;
}

int
dvc_fmt_ipv6(const char *s, size_t len)
{
    size_t  i = 0, start, last;
    int     groups = 0, compressed = 0, n;

    if (len < 2) {
        return 0;
    }
    if (s[0] == ':') {
        if (s[1] != ':') {
            return 0;
        }
        compressed = 1;
        i = 2;
        if (i == len) {
            return 1;
        }
    }
    for ( ;; ) {
        start = i;
        while (i < len && is_hex((unsigned char) s[i]) && i - start < 5) {
            i++;
        }
        n = (int) (i - start);
        if (i < len && s[i] == '.') {
            /* an embedded IPv4 address ends the text and counts two groups */
            last = start;
            if (!dvc_fmt_ipv4(s + last, len - last)) {
                return 0;
            }
            groups += 2;
            break;
        }
        if (n == 0 || n > 4) {
            return 0;
        }
        groups++;
        if (i == len) {
            break;
        }
        if (s[i] != ':') {
            return 0;
        }
        i++;
        if (i < len && s[i] == ':') {
            if (compressed) {
                return 0;
            }
            compressed = 1;
            i++;
            if (i == len) {
                break;
            }
        } else if (i == len) {
            return 0;   /* a single trailing ':' */
        }
        if (groups > 8) {
            return 0;
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}
