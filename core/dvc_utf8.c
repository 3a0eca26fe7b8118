#include "dvc_utf8.h"

size_t
dvc_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t  c;
    size_t    n, i;

    if (len == 0) {
        return 0;
    }
    c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = c << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF))
        || (c >= 0xD800 && c <= 0xDFFF))
    {
        return 0;
    }
    *cp = c;
    return n;
}

size_t
dvc_utf8_valid_prefix(const unsigned char *s, size_t len)
{
    uint32_t cp;

    return dvc_utf8_decode(s, len, &cp);
}

size_t
dvc_utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t  i = 0, n;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        n = dvc_utf8_valid_prefix(s + i, len - i);
        if (n == 0) {
            return i;
        }
        i += n;
    }
    return len;
}

int
dvc_utf8_valid(const unsigned char *s, size_t len)
{
    return dvc_utf8_invalid_at(s, len) == len;
}

size_t
dvc_utf8_count(const unsigned char *s, size_t len)
{
    size_t  i, count = 0;

    for (i = 0; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            count++;
        }
    }
    return count;
}
