#include <string.h>

#include "dvc_utf8.h"

/*
 * RFC 3629's table (section 4) for the sequence at p, of which avail >= 1
 * bytes are there: its length (1-4) if it is whole and valid, 0 if it is
 * not valid, -1 if those bytes begin a valid sequence that goes on past
 * them.  The one rule behind every check of this file and of its users
 * (the validator's, the dossier scanner's, the decoders').
 */
static inline int
seq_check(const unsigned char *p, size_t avail)
{
    unsigned  c = p[0], lo = 0x80, hi = 0xBF;
    int       n;

    if (c < 0x80) {
        return 1;
    }
    /* 80-BF continue a sequence, C0-C1 would be overlong 2-byte forms,
     * F5-FF would start code points past U+10FFFF */
    if (c < 0xC2 || c > 0xF4) {
        return 0;
    }
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0) {
            lo = 0xA0;          /* E0 80-9F: overlong */
        } else if (c == 0xED) {
            hi = 0x9F;          /* ED A0-BF: U+D800-DFFF, surrogates */
        }
    } else {
        n = 4;
        if (c == 0xF0) {
            lo = 0x90;          /* F0 80-8F: overlong */
        } else if (c == 0xF4) {
            hi = 0x8F;          /* F4 90-BF: past U+10FFFF */
        }
    }
    if (avail < 2) {
        return -1;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    if (n == 2) {
        return 2;
    }
    if (avail < 3) {
        return -1;
    }
    if ((p[2] & 0xC0) != 0x80) {
        return 0;
    }
    if (n == 3) {
        return 3;
    }
    if (avail < 4) {
        return -1;
    }
    return (p[3] & 0xC0) == 0x80 ? 4 : 0;
}

/*
 * Offset of the first sequence of p that is not whole and valid, len if
 * there is none; *cut = 1 when that sequence is valid as far as p goes (p's
 * end cut it).  This runs over every byte of every body the validator and
 * the dossier scanner read, mostly ASCII: eight bytes are tested at once
 * until one is not ASCII.
 */
static size_t
utf8_scan(const unsigned char *p, size_t len, int *cut)
{
    size_t    i = 0;
    uint64_t  w;
    int       n;

    for ( ;; ) {
        while (len - i >= 8) {
            memcpy(&w, p + i, 8);
            w &= 0x8080808080808080ull;
            if (w != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* the first non-ASCII byte's bit is the lowest set one */
                i += (size_t) __builtin_ctzll(w) >> 3;
#else
                while (p[i] < 0x80) {
                    i++;
                }
#endif
                goto other;
            }
            i += 8;
        }
        while (i < len && p[i] < 0x80) {
            i++;
        }
        if (i == len) {
            *cut = 0;
            return len;
        }

    other:

        /* sequences one after another until an ASCII byte; with 4 bytes
         * at hand the compiler drops seq_check's length tests */
        do {
            n = len - i >= 4 ? seq_check(p + i, 4) : seq_check(p + i, len - i);
            if (n <= 0) {
                *cut = n < 0;
                return i;
            }
            i += (size_t) n;
        } while (i < len && p[i] >= 0x80);
    }
}

size_t
dvc_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    int  n;

    n = len > 0 ? seq_check(s, len) : 0;
    switch (n) {
    case 1:
        *cp = s[0];
        break;
    case 2:
        *cp = (uint32_t) (s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        break;
    case 3:
        *cp = (uint32_t) (s[0] & 0x0F) << 12 | (uint32_t) (s[1] & 0x3F) << 6
              | (s[2] & 0x3F);
        break;
    case 4:
        *cp = (uint32_t) (s[0] & 0x07) << 18 | (uint32_t) (s[1] & 0x3F) << 12
              | (uint32_t) (s[2] & 0x3F) << 6 | (s[3] & 0x3F);
        break;
    default:
        return 0;
    }
    return (size_t) n;
}

size_t
dvc_utf8_valid_prefix(const unsigned char *s, size_t len)
{
    int  n;

    n = len > 0 ? seq_check(s, len) : 0;
    return n > 0 ? (size_t) n : 0;
}

size_t
dvc_utf8_invalid_at(const unsigned char *s, size_t len)
{
    int  cut;

    return utf8_scan(s, len, &cut);
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

void
dvc_utf8_stream_reset(dvc_utf8_stream_t *u)
{
    u->have = 0;
    u->lead = 0;
}

int
dvc_utf8_stream_feed(dvc_utf8_stream_t *u, const unsigned char *p,
    size_t len, size_t base, size_t *at)
{
    size_t  i = 0, take, off;
    int     n, cut;

    if (u->have) {
        /* the sequence the last buffer cut: its rest starts this one */
        take = sizeof(u->part) - u->have;
        take = take < len ? take : len;
        memcpy(u->part + u->have, p, take);
        n = seq_check(u->part, u->have + take);
        if (n == 0) {
            *at = u->lead;
            return -1;
        }
        if (n < 0) {
            /* still cut: this buffer was shorter than its rest */
            u->have += (unsigned char) take;
            return 0;
        }
        i = (size_t) n - u->have;
        u->have = 0;
    }
    off = i + utf8_scan(p + i, len - i, &cut);
    if (off == len) {
        return 0;
    }
    if (cut) {
        u->lead = base + off;
        u->have = (unsigned char) (len - off);
        memcpy(u->part, p + off, len - off);
        return 0;
    }
    *at = base + off;
    return -1;
}

int
dvc_utf8_stream_end(const dvc_utf8_stream_t *u, size_t *at)
{
    if (u->have) {
        *at = u->lead;
        return -1;
    }
    return 0;
}
