/*
 * Canonical equivalence is tested as NFD(a) == NFD(b), which holds exactly
 * when NFC(a) == NFC(b) and can be computed as a stream: each code point is
 * decomposed, and every run of combining marks (a starter and the non-starters
 * after it) is put in canonical order before the two sides are compared.
 * Nothing is allocated; the run buffer bounds the work per character.
 */
#include <string.h>
#include <utf8proc.h>

#include "dvc_unicode.h"
#include "dvc_utf8.h"

#define DECOMP_MAX 8            /* longest canonical decomposition is 4 */
#define RUN_MAX    (DVC_NFC_MAX_MARKS + 1)

typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    utf8proc_int32_t      dec[DECOMP_MAX];
    int                   ndec;
    int                   idec;
    int                   bad;
} nfd_iter_t;

static int
is_ascii(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* The next code point of the canonical decomposition, -1 at the end. */
static utf8proc_int32_t
nfd_peek(nfd_iter_t *it)
{
    uint32_t          cp;
    size_t            n;
    int               last = 0;
    utf8proc_ssize_t  r;

    if (it->idec < it->ndec) {
        return it->dec[it->idec];
    }
    if (it->p >= it->end || it->bad) {
        return -1;
    }
    n = dvc_utf8_decode(it->p, (size_t) (it->end - it->p), &cp);
    if (n == 0) {
        it->bad = 1;
        return -1;
    }
    it->p += n;
    r = utf8proc_decompose_char((utf8proc_int32_t) cp, it->dec, DECOMP_MAX,
                                UTF8PROC_DECOMPOSE, &last);
    if (r <= 0 || r > DECOMP_MAX) {
        it->bad = 1;
        return -1;
    }
    it->ndec = (int) r;
    it->idec = 0;
    return it->dec[0];
}

static int
ccc(utf8proc_int32_t cp)
{
    return utf8proc_get_property(cp)->combining_class;
}

/* The next run: one code point, then every non-starter after it, in
 * canonical order.  Returns its length, 0 at the end, -1 past RUN_MAX. */
static int
nfd_run(nfd_iter_t *it, utf8proc_int32_t *run)
{
    utf8proc_int32_t  cp, t;
    int               n = 0, i, j, c;

    cp = nfd_peek(it);
    if (cp < 0) {
        return 0;
    }
    do {
        if (n == RUN_MAX) {
            return -1;
        }
        run[n++] = cp;
        it->idec++;
        cp = nfd_peek(it);
    } while (cp >= 0 && ccc(cp) != 0);
    /* stable insertion sort of the non-starters by combining class */
    for (i = 1; i < n; i++) {
        t = run[i];
        c = ccc(t);
        if (c == 0) {
            continue;
        }
        for (j = i; j > 0 && ccc(run[j - 1]) > c; j--) {
            run[j] = run[j - 1];
        }
        run[j] = t;
    }
    return n;
}

int
dvc_str_equal_nfc(const char *a, size_t alen, const char *b, size_t blen)
{
    nfd_iter_t        ia, ib;
    utf8proc_int32_t  ra[RUN_MAX], rb[RUN_MAX];
    int               na, nb;
    size_t            i, p;

    /* canonical decomposition keeps the number of code points, so when one
     * string is a proper prefix of the other they cannot be equivalent */
    for (i = 0; i < alen && i < blen && a[i] == b[i]; i++) {
        /* common prefix */
    }
    if (i == alen && i == blen) {
        return dvc_utf8_valid((const unsigned char *) a, alen);
    }
    if (i == alen || i == blen) {
        return 0;
    }
    /* two different ASCII characters after an identical prefix: the NFDs
     * differ there */
    if ((unsigned char) a[i] < 0x80 && (unsigned char) b[i] < 0x80) {
        return 0;
    }
    /* the prefix up to its last ASCII character has the same NFD on both
     * sides (an ASCII character is a starter; reordering never crosses it),
     * so normalization starts there */
    for (p = i; p > 0 && (unsigned char) a[p - 1] >= 0x80; p--) {
        /* back past the non-ASCII characters before the difference */
    }
    if (p > 0) {
        p--;
    }
    if (!dvc_utf8_valid((const unsigned char *) a, p)) {
        return 0;
    }
    if (is_ascii(a + p, alen - p) && is_ascii(b + p, blen - p)) {
        return 0;
    }
    memset(&ia, 0, sizeof(ia));
    memset(&ib, 0, sizeof(ib));
    ia.p = (const unsigned char *) a + p;
    ia.end = (const unsigned char *) a + alen;
    ib.p = (const unsigned char *) b + p;
    ib.end = (const unsigned char *) b + blen;
    for ( ;; ) {
        na = nfd_run(&ia, ra);
        nb = nfd_run(&ib, rb);
        if (na < 0 || nb < 0 || ia.bad || ib.bad || na != nb) {
            return 0;
        }
        if (na == 0) {
            return 1;
        }
        if (memcmp(ra, rb, (size_t) na * sizeof(ra[0])) != 0) {
            return 0;
        }
    }
}

int
dvc_nfc(const char *s, size_t len, dvc_buf_t *out)
{
    utf8proc_ssize_t   n, m;
    utf8proc_int32_t  *buf;
    size_t             size;

    if (!dvc_utf8_valid((const unsigned char *) s, len)) {
        return -1;
    }
    if (is_ascii(s, len)) {
        dvc_buf_append(out, s, len);
        return out->failed ? -1 : 0;
    }
    n = utf8proc_decompose((const utf8proc_uint8_t *) s, (utf8proc_ssize_t) len,
                           NULL, 0, UTF8PROC_DECOMPOSE);
    if (n < 0) {
        return -1;
    }
    /* utf8proc_reencode writes the UTF-8 over the code points: 4 bytes each
     * is enough room */
    size = ((size_t) n + 1) * sizeof(utf8proc_int32_t);
    buf = dvc_malloc(out->alloc, size);
    if (buf == NULL) {
        return -1;
    }
    n = utf8proc_decompose((const utf8proc_uint8_t *) s, (utf8proc_ssize_t) len,
                           buf, n, UTF8PROC_DECOMPOSE);
    m = n < 0 ? n : utf8proc_reencode(buf, n, UTF8PROC_COMPOSE);
    if (m >= 0) {
        dvc_buf_append(out, buf, (size_t) m);
    }
    dvc_free(out->alloc, buf);
    return m < 0 || out->failed ? -1 : 0;
}
