/*
 * RFC 5892 derives each code point's IDNA2008 class from Unicode properties;
 * the properties come from utf8proc (Unicode 15), the exception lists and the
 * contextual rules (Appendix A) are written out below, and so is the Bidi
 * rule of RFC 5893.  ZERO WIDTH NON-JOINER's Joining_Type rule uses the
 * letters of the joining scripts as an approximation of Joining_Type D/L/R
 * (utf8proc has no Joining_Type).
 */
#include <string.h>
#include <utf8proc.h>

#include "dvc_idna.h"
#include "dvc_utf8.h"

enum { PVALID, CONTEXTJ, CONTEXTO, DISALLOWED, UNASSIGNED };

#define VIRAMA 9

static int
in(uint32_t cp, uint32_t lo, uint32_t hi)
{
    return cp >= lo && cp <= hi;
}

static int
punycode_digit(int c)
{
    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 26;
    }
    return -1;
}

static uint32_t
adapt(uint32_t delta, uint32_t numpoints, int first)
{
    uint32_t  k = 0;

    delta = first ? delta / 700 : delta / 2;
    delta += delta / numpoints;
    while (delta > ((36 - 1) * 26) / 2) {
        delta /= 36 - 1;
        k += 36;
    }
    return k + (36 * delta) / (delta + 38);
}

int
dvc_punycode_decode(const char *s, size_t len, uint32_t *out, size_t max)
{
    uint32_t  n = 128, i = 0, bias = 72, oldi, w, k, t, digit, count;
    size_t    b = 0, j, in_pos;

    for (j = 0; j < len; j++) {
        if (s[j] == '-') {
            b = j;
        }
    }
    if (b > max) {
        return -1;
    }
    for (j = 0; j < b; j++) {
        if ((unsigned char) s[j] >= 0x80) {
            return -1;
        }
        out[j] = (unsigned char) s[j];
    }
    count = (uint32_t) b;
    for (in_pos = b > 0 ? b + 1 : 0; in_pos < len; ) {
        oldi = i;
        w = 1;
        for (k = 36; ; k += 36) {
            if (in_pos >= len) {
                return -1;
            }
            digit = (uint32_t) punycode_digit((unsigned char) s[in_pos++]);
            if (digit == (uint32_t) -1 || digit > (UINT32_MAX - i) / w) {
                return -1;
            }
            i += digit * w;
            t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
            if (digit < t) {
                break;
            }
            if (w > UINT32_MAX / (36 - t)) {
                return -1;
            }
            w *= 36 - t;
        }
        bias = adapt(i - oldi, count + 1, oldi == 0);
        if (i / (count + 1) > UINT32_MAX - n) {
            return -1;
        }
        n += i / (count + 1);
        i %= count + 1;
        if (count >= max || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF) || n < 0x80) {
            return -1;
        }
        for (j = count; j > i; j--) {
            out[j] = out[j - 1];
        }
        out[i++] = n;
        count++;
    }
    return (int) count;
}

static int
is_greek(uint32_t cp)
{
    return (in(cp, 0x0370, 0x03FF) && !in(cp, 0x03E2, 0x03EF)) || in(cp, 0x1F00, 0x1FFF)
           || in(cp, 0x10140, 0x1018E);
}

static int
is_hebrew(uint32_t cp)
{
    return in(cp, 0x0591, 0x05F4) || in(cp, 0xFB1D, 0xFB4F);
}

static int
is_hira_kata_han(uint32_t cp)
{
    if (cp == 0x30FB) {
        return 0;
    }
    return in(cp, 0x3041, 0x309F) || in(cp, 0x30A0, 0x30FF) || in(cp, 0x31F0, 0x31FF)
           || in(cp, 0xFF66, 0xFF9D) || in(cp, 0x1B000, 0x1B16F)
           || in(cp, 0x2E80, 0x2FDF) || cp == 0x3005 || cp == 0x3007
           || in(cp, 0x3021, 0x3029) || in(cp, 0x3038, 0x303B)
           || in(cp, 0x3400, 0x4DBF) || in(cp, 0x4E00, 0x9FFF)
           || in(cp, 0xF900, 0xFAFF) || in(cp, 0x20000, 0x3134F);
}

/* Letters of the cursive scripts, standing in for Joining_Type D, L or R. */
static int
is_joining(uint32_t cp)
{
    const utf8proc_property_t  *p = utf8proc_get_property((utf8proc_int32_t) cp);

    if (p->category != UTF8PROC_CATEGORY_LO) {
        return 0;
    }
    return in(cp, 0x0620, 0x06FF) || in(cp, 0x0700, 0x074F) || in(cp, 0x0750, 0x077F)
           || in(cp, 0x07C0, 0x07FF) || in(cp, 0x0840, 0x085F) || in(cp, 0x0860, 0x086F)
           || in(cp, 0x08A0, 0x08FF) || in(cp, 0x1800, 0x18AF) || in(cp, 0xA840, 0xA87F)
           || in(cp, 0x10AC0, 0x10AFF) || in(cp, 0x10B80, 0x10BAF)
           || in(cp, 0x10D00, 0x10D3F) || in(cp, 0x10F30, 0x10F6F)
           || in(cp, 0x1E900, 0x1E95F);
}

static int
is_transparent(uint32_t cp)
{
    const utf8proc_property_t  *p = utf8proc_get_property((utf8proc_int32_t) cp);

    return p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_ME
           || p->category == UTF8PROC_CATEGORY_CF;
}

/* cp != NFKC_Casefold(cp) */
static int
is_unstable(uint32_t cp)
{
    utf8proc_int32_t   buf[64];
    utf8proc_ssize_t   n;
    int                last = 0;

    n = utf8proc_decompose_char((utf8proc_int32_t) cp, buf, 64,
                                UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE,
                                &last);
    if (n < 0 || n > 64) {
        return 1;
    }
    n = utf8proc_normalize_utf32(buf, n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    return !(n == 1 && (uint32_t) buf[0] == cp);
}

static int
idna_class(uint32_t cp)
{
    const utf8proc_property_t  *p;
    int                         gc;

    switch (cp) {
    case 0x00DF: case 0x03C2: case 0x06FD: case 0x06FE: case 0x0F0B: case 0x3007:
        return PVALID;
    case 0x00B7: case 0x0375: case 0x05F3: case 0x05F4: case 0x30FB:
        return CONTEXTO;
    case 0x0640: case 0x07FA: case 0x302E: case 0x302F: case 0x303B:
        return DISALLOWED;
    default:
        break;
    }
    if (in(cp, 0x0660, 0x0669) || in(cp, 0x06F0, 0x06F9)) {
        return CONTEXTO;
    }
    if (in(cp, 0x3031, 0x3035)) {
        return DISALLOWED;
    }
    p = utf8proc_get_property((utf8proc_int32_t) cp);
    gc = p->category;
    if (gc == UTF8PROC_CATEGORY_CN && !in(cp, 0xFDD0, 0xFDEF) && (cp & 0xFFFE) != 0xFFFE) {
        return UNASSIGNED;
    }
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-') {
        return PVALID;
    }
    if (cp == 0x200C || cp == 0x200D) {
        return CONTEXTJ;
    }
    if (is_unstable(cp) || p->ignorable || gc == UTF8PROC_CATEGORY_ZS
        || in(cp, 0xFDD0, 0xFDEF) || (cp & 0xFFFE) == 0xFFFE
        || in(cp, 0x20D0, 0x20FF) || in(cp, 0x1D100, 0x1D24F)
        || in(cp, 0x1100, 0x11FF) || in(cp, 0xA960, 0xA97F) || in(cp, 0xD7B0, 0xD7FF))
    {
        return DISALLOWED;
    }
    switch (gc) {
    case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
        return PVALID;
    default:
        return DISALLOWED;
    }
}

static int
ccc(uint32_t cp)
{
    return utf8proc_get_property((utf8proc_int32_t) cp)->combining_class;
}

/* RFC 5892 Appendix A. */
static int
context_ok(const uint32_t *u, int n, int i)
{
    uint32_t  cp = u[i];
    int       j, k;

    switch (cp) {
    case 0x200D:
        return i > 0 && ccc(u[i - 1]) == VIRAMA;
    case 0x200C:
        if (i > 0 && ccc(u[i - 1]) == VIRAMA) {
            return 1;
        }
        for (j = i - 1; j >= 0 && is_transparent(u[j]); j--) {
            /* skip Joining_Type T */
        }
        for (k = i + 1; k < n && is_transparent(u[k]); k++) {
            /* skip Joining_Type T */
        }
        return j >= 0 && k < n && is_joining(u[j]) && is_joining(u[k]);
    case 0x00B7:
        return i > 0 && i + 1 < n && u[i - 1] == 0x6C && u[i + 1] == 0x6C;
    case 0x0375:
        return i + 1 < n && is_greek(u[i + 1]);
    case 0x05F3:
    case 0x05F4:
        return i > 0 && is_hebrew(u[i - 1]);
    case 0x30FB:
        for (j = 0; j < n; j++) {
            if (is_hira_kata_han(u[j])) {
                return 1;
            }
        }
        return 0;
    default:
        break;
    }
    for (j = 0; j < n; j++) {
        if (in(cp, 0x0660, 0x0669) && in(u[j], 0x06F0, 0x06F9)) {
            return 0;
        }
        if (in(cp, 0x06F0, 0x06F9) && in(u[j], 0x0660, 0x0669)) {
            return 0;
        }
    }
    return 1;
}

static int
is_nfc(const uint32_t *u, int n)
{
    utf8proc_int32_t  buf[DVC_IDNA_MAX_LABEL * 18];
    utf8proc_ssize_t  m = 0, r;
    int               i, last = 0;

    for (i = 0; i < n; i++) {
        r = utf8proc_decompose_char((utf8proc_int32_t) u[i], buf + m,
                                    (utf8proc_ssize_t) (sizeof(buf) / sizeof(buf[0])) - m,
                                    UTF8PROC_DECOMPOSE, &last);
        if (r < 0 || m + r > (utf8proc_ssize_t) (sizeof(buf) / sizeof(buf[0]))) {
            return 0;
        }
        m += r;
    }
    m = utf8proc_normalize_utf32(buf, m, UTF8PROC_COMPOSE);
    if (m != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if ((uint32_t) buf[i] != u[i]) {
            return 0;
        }
    }
    return 1;
}

static int
punycode_char(uint32_t d)
{
    return d < 26 ? (int) ('a' + d) : (int) ('0' + d - 26);
}

/* RFC 3492 section 6.3; returns the length written, -1 past max. */
static int
punycode_encode(const uint32_t *u, int n, char *out, size_t max)
{
    uint32_t  cur = 128, delta = 0, bias = 72, m, q, k, t, h, b;
    size_t    o = 0;
    int       j;

    for (j = 0; j < n; j++) {
        if (u[j] < 0x80) {
            if (o >= max) {
                return -1;
            }
            out[o++] = (char) u[j];
        }
    }
    h = b = (uint32_t) o;
    if (b > 0) {
        if (o >= max) {
            return -1;
        }
        out[o++] = '-';
    }
    while (h < (uint32_t) n) {
        m = UINT32_MAX;
        for (j = 0; j < n; j++) {
            if (u[j] >= cur && u[j] < m) {
                m = u[j];
            }
        }
        if (m - cur > (UINT32_MAX - delta) / (h + 1)) {
            return -1;
        }
        delta += (m - cur) * (h + 1);
        cur = m;
        for (j = 0; j < n; j++) {
            if (u[j] < cur && ++delta == 0) {
                return -1;
            }
            if (u[j] != cur) {
                continue;
            }
            for (q = delta, k = 36; ; k += 36) {
                t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
                if (q < t) {
                    break;
                }
                if (o >= max) {
                    return -1;
                }
                out[o++] = (char) punycode_char(t + (q - t) % (36 - t));
                q = (q - t) / (36 - t);
            }
            if (o >= max) {
                return -1;
            }
            out[o++] = (char) punycode_char(q);
            bias = adapt(delta, h + 1, h == b);
            delta = 0;
            h++;
        }
        delta++;
        cur++;
    }
    return (int) o;
}

/* RFC 5891 section 5.4 checks of a U-label (NFC apart). */
static int
ulabel_ok(const uint32_t *u, int n)
{
    int  i, cls, gc, ascii_only = 1;

    if (n == 0 || (n >= 4 && u[2] == '-' && u[3] == '-') || u[0] == '-'
        || u[n - 1] == '-')
    {
        return 0;
    }
    gc = utf8proc_get_property((utf8proc_int32_t) u[0])->category;
    if (gc == UTF8PROC_CATEGORY_MN || gc == UTF8PROC_CATEGORY_MC
        || gc == UTF8PROC_CATEGORY_ME)
    {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (u[i] >= 0x80) {
            ascii_only = 0;
        }
        cls = idna_class(u[i]);
        if (cls == DISALLOWED || cls == UNASSIGNED) {
            return 0;
        }
        if ((cls == CONTEXTJ || cls == CONTEXTO) && !context_ok(u, n, i)) {
            return 0;
        }
    }
    return !ascii_only;
}

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

/* RFC 5893 section 2, for every label of a domain name with an RTL label. */
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

static int
ascii_eq_nocase(const char *a, const char *b, size_t n)
{
    size_t  i;
    int     ca, cb;

    for (i = 0; i < n; i++) {
        ca = (unsigned char) a[i];
        cb = (unsigned char) b[i];
        if (ca >= 'A' && ca <= 'Z') {
            ca += 'a' - 'A';
        }
        if (cb >= 'A' && cb <= 'Z') {
            cb += 'a' - 'A';
        }
        if (ca != cb) {
            return 0;
        }
    }
    return 1;
}

/* An "xn--" label to its U-label in u; -1 unless it is a valid A-label. */
static int
alabel_decode(const char *label, size_t len, uint32_t *u)
{
    char  enc[DVC_IDNA_MAX_LABEL];
    int   n, i, m;

    if (len < 5 || len > DVC_IDNA_MAX_LABEL || (label[0] | 0x20) != 'x'
        || (label[1] | 0x20) != 'n' || label[2] != '-' || label[3] != '-')
    {
        return -1;
    }
    n = dvc_punycode_decode(label + 4, len - 4, u, DVC_IDNA_MAX_LABEL);
    if (n <= 0) {
        return -1;
    }
    /* DNS compares ASCII case-insensitively: XN--ABC-... is the same label */
    for (i = 0; i < n; i++) {
        if (u[i] >= 'A' && u[i] <= 'Z') {
            u[i] += 'a' - 'A';
        }
    }
    if (!ulabel_ok(u, n) || !is_nfc(u, n)) {
        return -1;
    }
    /* the A-label must be the one Punycode gives for it (RFC 5891 5.4) */
    m = punycode_encode(u, n, enc, sizeof(enc));
    if (m < 0 || (size_t) m != len - 4 || !ascii_eq_nocase(enc, label + 4, len - 4)) {
        return -1;
    }
    return n;
}

int
dvc_idna_alabel_valid(const char *label, size_t len)
{
    uint32_t  u[DVC_IDNA_MAX_LABEL + 1];

    return alabel_decode(label, len, u) > 0;
}

/* A U-label from UTF-8, in NFC, ASCII letters in lower case; -1 if it
 * cannot be one (too long, not UTF-8). */
static int
ulabel_decode(const unsigned char *s, size_t len, uint32_t *u)
{
    utf8proc_int32_t  buf[DVC_IDNA_MAX_LABEL * 4];
    utf8proc_ssize_t  m = 0, r;
    uint32_t          cp;
    size_t            k;
    int               last = 0, i;

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
    if (m < 0 || m > DVC_IDNA_MAX_LABEL) {
        return -1;
    }
    for (i = 0; i < m; i++) {
        u[i] = (uint32_t) buf[i];
    }
    return (int) m;
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
    char    enc[DVC_IDNA_MAX_LABEL];
    size_t  i;
    int     n, ascii = 1, m;

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
    n = ulabel_decode(s, len, u);
    if (n <= 0 || !ulabel_ok(u, n)) {
        return -1;
    }
    m = punycode_encode(u, n, enc, DVC_IDNA_MAX_LABEL - 4);
    if (m < 0) {
        return -1;
    }
    *alen = 4 + (size_t) m;
    return n;
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
    }
    return 1;
}
