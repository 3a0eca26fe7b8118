#include <string.h>

#include "dvc_utf8.h"

/*
 * RFC 3629's table (section 4) as masks over a sequence's first four bytes
 * read little-endian into w (w's low byte is the lead, >= 0x80): the
 * sequence's length if it is valid, 0 if it is not.  The one rule behind
 * every check of this file and of its users (the validator's, the dossier
 * scanner's, the decoders').
 */
static inline int
seq_word(uint32_t w)
{
    uint32_t  v;

    if ((w & 0xFF) < 0xE0) {
        /* C2-DF then 10xxxxxx, one unsigned range test: C0 and C1 would
         * be overlong; 80-BF (10xxxxxx) continue a sequence, start none */
        return (w & 0xC0FF) - 0x80C2 <= 0xDF - 0xC2 ? 2 : 0;
    }
    if ((w & 0xFF) < 0xF0) {
        /* 1110xxxx 10yxxxxx 10xxxxxx: E0 with y = 0 is overlong (E0 80-9F),
         * ED with y = 1 a surrogate (ED A0-BF: U+D800-DFFF) */
        v = w & 0x200F;
        return (w & 0xC0C0F0) == 0x8080E0 && v != 0 && v != 0x200D ? 3 : 0;
    }
    /* 11110xxx 10yyxxxx 10xxxxxx 10xxxxxx: xxxyy, the code point's bits
     * 20-16, from 1 (0: overlong, F0 80-8F) to 0x10 (past it: U+10FFFF,
     * F4 90-BF, F5-F7); F8-FF start nothing */
    v = (w & 7) << 2 | (w >> 12 & 3);
    return (w & 0xC0C0C0F8) == 0x808080F0 && v - 1 < 0x10 ? 4 : 0;
}

static inline uint32_t
load_le32(const unsigned char *p)
{
    /* one load where the machine is little-endian (gcc and clang merge it) */
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}

/* seq_check of a sequence cut short by the end of the bytes (avail < 4):
 * the bytes that are missing are made up as the ones that would complete
 * it if any can, so a cut that is still a valid beginning passes. */
static int
seq_short(const unsigned char *p, size_t avail)
{
    unsigned char  b[4] = { 0x80, 0x80, 0x80, 0x80 };
    int            n;

    if (avail == 1 && (p[0] == 0xE0 || p[0] == 0xF0)) {
        b[1] = 0xA0;            /* 80 would make them overlong */
    }
    memcpy(b, p, avail);
    n = seq_word(load_le32(b));
    return n == 0 ? 0 : (size_t) n > avail ? -1 : n;
}

/*
 * The sequence at p, of which avail >= 1 bytes are there: its length (1-4)
 * if it is whole and valid, 0 if it is not valid, -1 if those bytes begin
 * a valid sequence that goes on past them.
 */
static inline int
seq_check(const unsigned char *p, size_t avail)
{
    if (p[0] < 0x80) {
        return 1;
    }
    if (avail >= 4) {
        return seq_word(load_le32(p));
    }
    return seq_short(p, avail);
}

#define HIGH_BITS  0x8080808080808080ull

static inline uint64_t
load64(const unsigned char *p)
{
    uint64_t  w;

    memcpy(&w, p, 8);
    return w;
}

/* The index in its 8 bytes at p of the first non-ASCII one; w is those
 * bytes & HIGH_BITS, not 0. */
static inline unsigned
first_high(uint64_t w, const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    (void) p;
    return (unsigned) __builtin_ctzll(w) >> 3;  /* the lowest set bit's byte */
#else
    unsigned  i = 0;

    (void) w;
    while (p[i] < 0x80) {
        i++;
    }
    return i;
#endif
}

/*
 * Offset of the first sequence of p that is not whole and valid, len if
 * there is none; *cut = 1 when that sequence is valid as far as p goes (p's
 * end cut it).  This runs over every byte of every body the validator and
 * the dossier scanner read: runs of ASCII (names, numbers, punctuation)
 * are tested 32 bytes at a time, and between two non-ASCII characters
 * (Vietnamese text: most runs are under 8 bytes) a probe of the next eight
 * bytes goes straight to the next such character.
 */
static size_t
utf8_scan(const unsigned char *p, size_t len, int *cut)
{
    const unsigned char  *s = p, *end = p + len, *end32, *end8, *end4;
    uint64_t              w;
    int                   n;

    /* s < endN: N bytes from s are there */
    end32 = len >= 32 ? end - 31 : p;
    end8 = len >= 8 ? end - 7 : p;
    end4 = len >= 4 ? end - 3 : p;

    for ( ;; ) {
        /* a run of ASCII */
        while (s < end32
               && ((load64(s) | load64(s + 8) | load64(s + 16)
                    | load64(s + 24)) & HIGH_BITS) == 0)
        {
            s += 32;
        }
        for ( ;; ) {
            if (s >= end8) {
                while (s < end && *s < 0x80) {
                    s++;
                }
                if (s == end) {
                    *cut = 0;
                    return len;
                }
                break;
            }
            w = load64(s) & HIGH_BITS;
            if (w != 0) {
                s += first_high(w, s);
                break;
            }
            s += 8;
        }

        /* s is at a non-ASCII byte: sequences, and the short runs of ASCII
         * between them */
        for ( ;; ) {
            n = s < end4 ? seq_word(load_le32(s))
                         : seq_check(s, (size_t) (end - s));
            if (n <= 0) {
                *cut = n < 0;
                return (size_t) (s - p);
            }
            s += n;
            if (s >= end8) {
                break;
            }
            w = load64(s) & HIGH_BITS;
            if (w == 0) {
                s += 8;
                break;
            }
            s += first_high(w, s);
        }
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
    size_t len, size_t base, dvc_utf8_span_t *span)
{
    size_t  i = 0, take, off;
    int     n, cut;

    span->joined = 0;
    span->from = 0;
    span->to = 0;
    span->at = 0;
    if (u->have) {
        /* the sequence the last buffer cut: its rest starts this one */
        take = sizeof(u->part) - u->have;
        take = take < len ? take : len;
        memcpy(u->part + u->have, p, take);
        n = seq_check(u->part, u->have + take);
        if (n == 0) {
            span->at = u->lead;
            return -1;
        }
        if (n < 0) {
            /* still cut: this buffer was shorter than its rest */
            u->have += (unsigned char) take;
            return 0;
        }
        memcpy(u->joined, u->part, (size_t) n);
        span->joined = (size_t) n;
        i = (size_t) n - u->have;
        u->have = 0;
    }
    span->from = i;
    off = i + utf8_scan(p + i, len - i, &cut);
    span->to = off;
    if (off == len) {
        return 0;
    }
    if (cut) {
        /* held back until the next buffer completes it */
        u->lead = base + off;
        u->have = (unsigned char) (len - off);
        memcpy(u->part, p + off, len - off);
        return 0;
    }
    span->at = base + off;
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
