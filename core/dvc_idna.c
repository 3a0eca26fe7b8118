/*
 * IDNA2008 host names.  Each label that is not plain letters, digits and
 * hyphens goes to libidn2 (Debian's libidn2-0), which applies the
 * registration checks of RFC 5891 section 5.4: the code point classes of
 * RFC 5892 from its tables, the contextual rules (CONTEXTJ, CONTEXTO) of
 * RFC 5892 Appendix A, NFC, hyphens, no leading combining mark, the Bidi
 * rule within a right-to-left label, and for an A-label the Punycode round
 * trip.  What concerns the whole name is ours: label separators, lengths,
 * NFC of the input (utf8proc), and the Bidi rule of RFC 5893 for every
 * label of a name that has a right-to-left one (utf8proc's Bidi classes).
 *
 * libidn2 allocates with malloc(3) and has no allocator hook: each result
 * is freed before the call returns, nothing is kept.
 */
#include <string.h>
#include <idn2.h>
#include <utf8proc.h>

#include "dvc_idna.h"
#include "dvc_utf8.h"

/* A U-label of at most 63 code points, as UTF-8, NUL-terminated. */
#define ULABEL_UTF8_MAX  (DVC_IDNA_MAX_LABEL * 4 + 1)

static int
bidi(uint32_t cp)
{
    return utf8proc_get_property((utf8proc_int32_t) cp)->bidi_class;
}

static int
has_rtl(const uint32_t *u, int n)
{
    int  i, b;

    for (i = 0; i < n; i++) {
        b = bidi(u[i]);
        if (b == UTF8PROC_BIDI_CLASS_R || b == UTF8PROC_BIDI_CLASS_AL
            || b == UTF8PROC_BIDI_CLASS_AN)
        {
            return 1;
        }
    }
    return 0;
}

/* RFC 5893 section 2, for every label of a domain name with an RTL label
 * (libidn2 applies it to right-to-left labels only). */
static int
bidi_ok(const uint32_t *u, int n)
{
    int  i, b, rtl, last, has_en = 0, has_an = 0;

    b = bidi(u[0]);
    if (b == UTF8PROC_BIDI_CLASS_R || b == UTF8PROC_BIDI_CLASS_AL) {
        rtl = 1;
    } else if (b == UTF8PROC_BIDI_CLASS_L) {
        rtl = 0;
    } else {
        return 0;                                               /* rule 1 */
    }
    for (i = 0; i < n; i++) {
        switch (b = bidi(u[i])) {
        case UTF8PROC_BIDI_CLASS_EN:
            has_en = 1;
            break;
        case UTF8PROC_BIDI_CLASS_AN:
            if (!rtl) {
                return 0;                                       /* rule 5 */
            }
            has_an = 1;
            break;
        case UTF8PROC_BIDI_CLASS_R:
        case UTF8PROC_BIDI_CLASS_AL:
            if (!rtl) {
                return 0;                                       /* rule 5 */
            }
            break;
        case UTF8PROC_BIDI_CLASS_L:
            if (rtl) {
                return 0;                                       /* rule 2 */
            }
            break;
        case UTF8PROC_BIDI_CLASS_ES: case UTF8PROC_BIDI_CLASS_CS:
        case UTF8PROC_BIDI_CLASS_ET: case UTF8PROC_BIDI_CLASS_ON:
        case UTF8PROC_BIDI_CLASS_BN: case UTF8PROC_BIDI_CLASS_NSM:
            break;
        default:
            return 0;
        }
    }
    for (last = n - 1; last >= 0 && bidi(u[last]) == UTF8PROC_BIDI_CLASS_NSM; last--) {
        /* trailing marks */
    }
    if (last < 0) {
        return 0;
    }
    b = bidi(u[last]);
    if (rtl) {
        return !(has_en && has_an)                              /* rule 4 */
               && (b == UTF8PROC_BIDI_CLASS_R || b == UTF8PROC_BIDI_CLASS_AL
                   || b == UTF8PROC_BIDI_CLASS_EN || b == UTF8PROC_BIDI_CLASS_AN);
    }
    return b == UTF8PROC_BIDI_CLASS_L || b == UTF8PROC_BIDI_CLASS_EN;   /* rule 6 */
}

/* An "xn--" label (any case: DNS compares ASCII case-insensitively) to its
 * U-label's code points in u; -1 unless libidn2 finds it a valid A-label:
 * Punycode that decodes to a valid U-label in NFC, with at least one
 * non-ASCII code point, whose Punycode it is. */
static int
alabel_decode(const char *label, size_t len, uint32_t *u)
{
    char      a[DVC_IDNA_MAX_LABEL + 1];
    uint8_t  *ins = NULL;
    uint32_t *u32 = NULL;
    size_t    i, n;
    int       rc;

    if (len < 5 || len > DVC_IDNA_MAX_LABEL || (label[0] | 0x20) != 'x'
        || (label[1] | 0x20) != 'n' || label[2] != '-' || label[3] != '-')
    {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (label[i] == '\0' || (unsigned char) label[i] >= 0x80) {
            return -1;
        }
        a[i] = label[i] >= 'A' && label[i] <= 'Z'
               ? (char) (label[i] + ('a' - 'A')) : label[i];
    }
    a[len] = '\0';
    rc = idn2_register_u8(NULL, (const uint8_t *) a, &ins, 0);
    idn2_free(ins);
    if (rc != IDN2_OK) {
        return -1;
    }
    rc = idn2_to_unicode_8z4z(a, &u32, 0);
    if (rc != IDN2_OK || u32 == NULL) {
        idn2_free(u32);
        return -1;
    }
    for (n = 0; u32[n] != 0 && n < DVC_IDNA_MAX_LABEL; n++) {
        u[n] = u32[n];
    }
    rc = u32[n] == 0 ? (int) n : -1;
    idn2_free(u32);
    return rc;
}

int
dvc_idna_alabel_valid(const char *label, size_t len)
{
    uint32_t  u[DVC_IDNA_MAX_LABEL + 1];

    return alabel_decode(label, len, u) > 0;
}

/* A U-label from UTF-8, brought to NFC with ASCII letters in lower case:
 * its code points in u, its UTF-8 (NUL-terminated) in out; -1 if it cannot
 * be one (too long, not UTF-8, only ASCII once normalized). */
static int
ulabel_nfc(const unsigned char *s, size_t len, uint32_t *u, char *out)
{
    utf8proc_int32_t  buf[DVC_IDNA_MAX_LABEL * 4];
    utf8proc_ssize_t  m = 0, r;
    uint32_t          cp;
    size_t            k, o = 0;
    int               last = 0, i, ascii = 1;

    while (len > 0) {
        k = dvc_utf8_decode(s, len, &cp);
        if (k == 0) {
            return -1;
        }
        if (cp >= 'A' && cp <= 'Z') {
            cp += 'a' - 'A';
        }
        r = utf8proc_decompose_char((utf8proc_int32_t) cp, buf + m,
                                    (utf8proc_ssize_t) (sizeof(buf) / sizeof(buf[0])) - m,
                                    UTF8PROC_DECOMPOSE, &last);
        if (r < 0 || m + r > (utf8proc_ssize_t) (sizeof(buf) / sizeof(buf[0]))) {
            return -1;
        }
        m += r;
        s += k;
        len -= k;
    }
    m = utf8proc_normalize_utf32(buf, m, UTF8PROC_COMPOSE);
    if (m <= 0 || m > DVC_IDNA_MAX_LABEL) {
        return -1;
    }
    for (i = 0; i < m; i++) {
        u[i] = (uint32_t) buf[i];
        if (u[i] >= 0x80) {
            ascii = 0;
        }
        o += (size_t) utf8proc_encode_char(buf[i], (utf8proc_uint8_t *) out + o);
    }
    out[o] = '\0';
    return ascii ? -1 : (int) m;
}

/* Length of the label separator at s (".", or U+3002, U+FF0E, U+FF61 when
 * unicode), 0 if none. */
static size_t
separator(const unsigned char *s, size_t len, int unicode)
{
    if (len >= 1 && s[0] == '.') {
        return 1;
    }
    if (unicode && len >= 3
        && ((s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x82)
            || (s[0] == 0xEF && s[1] == 0xBC && s[2] == 0x8E)
            || (s[0] == 0xEF && s[1] == 0xBD && s[2] == 0xA1)))
    {
        return 3;
    }
    return 0;
}

/* One label: its code points into u, its A-label length into *alen. */
static int
label_decode(const unsigned char *s, size_t len, int unicode, uint32_t *u,
             size_t *alen)
{
    char      utf8[ULABEL_UTF8_MAX];
    uint8_t  *ins = NULL;
    size_t    i;
    int       n, ascii = 1, rc;

    for (i = 0; i < len; i++) {
        if (s[i] >= 0x80) {
            ascii = 0;
        }
    }
    if (ascii) {
        if (len == 0 || len > DVC_IDNA_MAX_LABEL || s[0] == '-' || s[len - 1] == '-') {
            return -1;
        }
        for (i = 0; i < len; i++) {
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
                  || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            {
                return -1;
            }
        }
        *alen = len;
        if (len >= 4 && s[2] == '-' && s[3] == '-') {
            /* R-LDH: only A-labels */
            return alabel_decode((const char *) s, len, u);
        }
        for (i = 0; i < len; i++) {
            u[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i];
        }
        return (int) len;
    }
    if (!unicode) {
        return -1;
    }
    n = ulabel_nfc(s, len, u, utf8);
    if (n <= 0) {
        return -1;
    }
    rc = idn2_register_u8((const uint8_t *) utf8, NULL, &ins, 0);
    if (rc != IDN2_OK || ins == NULL) {
        idn2_free(ins);
        return -1;
    }
    *alen = strlen((const char *) ins);
    idn2_free(ins);
    return *alen <= DVC_IDNA_MAX_LABEL ? n : -1;
}

/* The common case: ASCII letters, digits, hyphens and dots only, no label
 * with "--" in positions 3-4 (A-labels and reserved ones).  1 valid, 0
 * invalid, -1 not such a name (the full check decides).  The rules are
 * label_decode's for ASCII labels; such a name has no right-to-left label
 * and its length is its A-label length. */
static int
ldh_hostname(const unsigned char *s, size_t len)
{
    size_t  i, start = 0;
    int     c;

    for (i = 0; i <= len; i++) {
        c = i < len ? s[i] : '.';
        if (c == '.') {
            if (i == start || i - start > DVC_IDNA_MAX_LABEL
                || s[start] == '-' || s[i - 1] == '-')
            {
                return 0;
            }
            if (i - start >= 4 && s[start + 2] == '-' && s[start + 3] == '-') {
                return -1;
            }
            if (i + 1 == len) {
                return 0;       /* a trailing dot: "example." */
            }
            start = i + 1;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                     || (c >= '0' && c <= '9') || c == '-'))
        {
            return -1;
        }
    }
    return len <= 253;
}

int
dvc_idna_hostname_valid(const char *name, size_t len, int unicode)
{
    const unsigned char  *s = (const unsigned char *) name, *end = s + len, *p, *q;
    uint32_t              u[DVC_IDNA_MAX_LABEL + 1];
    size_t                sep = 0, alen = 0, total = 0;
    int                   pass, n, rtl_domain = 0;

    if (len == 0) {
        return 0;
    }
    pass = ldh_hostname(s, len);
    if (pass >= 0) {
        return pass;
    }
    /* pass 0 finds whether this is a Bidi domain name, pass 1 checks */
    for (pass = 0; pass < 2; pass++) {
        total = 0;
        for (p = s; ; p = q + sep) {
            for (q = p; q < end && (sep = separator(q, (size_t) (end - q), unicode)) == 0;
                 q++)
            {
                /* the label runs to a separator */
            }
            if (q == end) {
                sep = 0;
            }
            n = label_decode(p, (size_t) (q - p), unicode, u, &alen);
            if (n <= 0) {
                return 0;
            }
            if (pass == 0) {
                rtl_domain |= has_rtl(u, n);
            } else if (rtl_domain && !bidi_ok(u, n)) {
                return 0;
            }
            total += alen + (sep ? 1 : 0);
            if (q == end) {
                break;
            }
            if (q + sep == end) {
                return 0;       /* a trailing separator: "example." */
            }
        }
        if (total > 253) {
            return 0;
        }
        if (!rtl_domain) {
            break;              /* nothing more for pass 1 to check */
        }
    }
    return 1;
}
