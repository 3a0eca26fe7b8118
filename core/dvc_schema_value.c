/*
 * JSON values as flat token runs (const, enum, uniqueItems) and the schema's
 * bump arena.
 */
#include <stdint.h>
#include <string.h>

#include "dvc_number.h"
#include "dvc_schema_int.h"
#include "dvc_unicode.h"

/* ------------------------------------------------------------ arena */

struct dvc_arena_blk {
    dvc_arena_blk_t *next;
    size_t           used, cap;
    /* data follows, aligned */
};

#define ARENA_HDR  ((sizeof(dvc_arena_blk_t) + 15) & ~(size_t) 15)
#define ARENA_BLK  (64 * 1024)

void *
dvc_arena_alloc(dvc_arena_t *ar, size_t size)
{
    dvc_arena_blk_t *b = ar->blk;
    size_t           cap;
    char            *p;

    size = (size + 15) & ~(size_t) 15;
    if (b == NULL || b->cap - b->used < size) {
        cap = size > ARENA_BLK / 2 ? size : ARENA_BLK;
        b = dvc_malloc(ar->alloc, ARENA_HDR + cap);
        if (b == NULL) {
            ar->failed = 1;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        if (ar->blk != NULL && size > ARENA_BLK / 2) {
            /* a big one-off block goes behind, the current one stays open */
            b->next = ar->blk->next;
            ar->blk->next = b;
        } else {
            b->next = ar->blk;
            ar->blk = b;
        }
    }
    p = (char *) b + ARENA_HDR + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void *
dvc_arena_alloc_aligned(dvc_arena_t *ar, size_t size, size_t align)
{
    dvc_arena_blk_t *b = ar->blk;
    uintptr_t        p;
    size_t           pad;
    char            *q;

    /* every address the arena gives is a multiple of 16: so is pad */
    if (b != NULL) {
        p = (uintptr_t) ((char *) b + ARENA_HDR + b->used);
        pad = (size_t) (-p & (align - 1));
        if (b->cap - b->used >= pad + ((size + 15) & ~(size_t) 15)) {
            b->used += pad;
            return dvc_arena_alloc(ar, size);
        }
    }
    q = dvc_arena_alloc(ar, size + align - 16);
    if (q == NULL) {
        return NULL;
    }
    return (void *) (((uintptr_t) q + align - 1) & ~(uintptr_t) (align - 1));
}

char *
dvc_arena_strndup(dvc_arena_t *ar, const char *s, size_t len)
{
    char *p = dvc_arena_alloc(ar, len + 1);

    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void
dvc_arena_free(dvc_arena_t *ar)
{
    dvc_arena_blk_t *b, *n;

    for (b = ar->blk; b != NULL; b = n) {
        n = b->next;
        dvc_free(ar->alloc, b);
    }
    ar->blk = NULL;
}

/* ------------------------------------------------------------ equality */

static int
tok_scalar_equal(dvc_tokv_t a, const dvc_tok_t *x, dvc_tokv_t b,
    const dvc_tok_t *y)
{
    switch (x->type) {
    case DVC_TOK_NUM:
        return dvc_num_cmp(a.text + x->off, x->len, b.text + y->off, y->len)
               == 0;
    case DVC_TOK_STR:
    case DVC_TOK_KEY:
        if (!a.nfc) {
            return x->len == y->len
                   && (x->len == 0
                       || memcmp(a.text + x->off, b.text + y->off, x->len)
                          == 0);
        }
        return dvc_str_equal_nfc(a.text + x->off, x->len,
                                 b.text + y->off, y->len);
    default:
        return 1;
    }
}

int
dvc_tok_equal(dvc_tokv_t a, size_t ai, dvc_tokv_t b, size_t bi)
{
    const dvc_tok_t *x = &a.t[ai], *y = &b.t[bi];
    size_t           i, j, ac, bc, n;
    int              found;

    if (x->type != y->type || x->count != y->count) {
        return 0;
    }
    if (x->type == DVC_TOK_ARR) {
        ac = ai + 1;
        bc = bi + 1;
        for (n = 0; n < x->count; n++) {
            if (!dvc_tok_equal(a, ac, b, bc)) {
                return 0;
            }
            ac += a.t[ac].size;
            bc += b.t[bc].size;
        }
        return 1;
    }
    if (x->type == DVC_TOK_OBJ) {
        /* every member of a has an equal member in b; counts are equal and
         * keys are unique in practice (duplicates: first one wins both) */
        ac = ai + 1;
        for (i = 0; i < x->count; i++) {
            found = 0;
            bc = bi + 1;
            for (j = 0; j < y->count; j++) {
                if (tok_scalar_equal(a, &a.t[ac], b, &b.t[bc])) {
                    found = dvc_tok_equal(a, ac + 1, b, bc + 1);
                    break;
                }
                bc += 1 + b.t[bc + 1].size;
            }
            if (!found) {
                return 0;
            }
            ac += 1 + a.t[ac + 1].size;
        }
        return 1;
    }
    return tok_scalar_equal(a, x, b, y);
}

/* ------------------------------------------------------------ hashing */

#define FNV_OFF   1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static uint64_t
fnv(uint64_t h, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char) s[i]) * FNV_PRIME;
    }
    return h;
}

static uint64_t
mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Equal numbers hash equal: the significant digits without leading or
 * trailing zeros and the decimal exponent of the last one (1, 1.0, 10e-1
 * and 0.1e1 all give "1" and 0). */
static uint64_t
num_hash(const char *s, size_t len)
{
    size_t    i = 0;
    int       neg = 0, started = 0, esign = 1;
    long long zeros = 0, exp = 0, e = 0, nfrac = 0;
    uint64_t  h = FNV_OFF;

    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    for (; i < len && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            nfrac = -1;
            continue;
        }
        if (nfrac < 0 || nfrac > 0) {
            nfrac = nfrac < 0 ? 1 : nfrac + 1;
        }
        if (s[i] == '0') {
            if (started) {
                zeros++;
            }
            continue;
        }
        for (; zeros > 0; zeros--) {
            h = (h ^ '0') * FNV_PRIME;
        }
        started = 1;
        h = (h ^ (unsigned char) s[i]) * FNV_PRIME;
    }
    if (!started) {
        return 0x9e3779b97f4a7c15ull;      /* zero, -0 included */
    }
    if (nfrac < 0) {
        nfrac = 0;
    }
    if (i < len) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            esign = s[i] == '-' ? -1 : 1;
            i++;
        }
        for (; i < len; i++) {
            if (e < 1000000000000000ll) {
                e = e * 10 + (s[i] - '0');
            }
        }
    }
    exp = esign * e - nfrac + zeros;
    h = fnv(h, (const char *) &exp, sizeof(exp));
    return mix(h ^ (uint64_t) neg);
}

uint64_t
dvc_tok_hash(dvc_tokv_t a, size_t i, dvc_buf_t *scratch)
{
    const dvc_tok_t *x = &a.t[i];
    const char      *p;
    uint64_t         h, m;
    size_t           c, n, j;

    switch (x->type) {
    case DVC_TOK_NUM:
        return num_hash(a.text + x->off, x->len);
    case DVC_TOK_STR:
    case DVC_TOK_KEY:
        p = a.text + x->off;
        n = x->len;
        if (a.nfc) {
            for (j = 0; j < n && (unsigned char) p[j] < 0x80; j++) {
            }
            if (j < n) {
                /* equal in NFC must hash equal: hash the NFC form */
                dvc_buf_reset(scratch);
                if (dvc_nfc(p, n, scratch) == 0 && !scratch->failed) {
                    p = scratch->data;
                    n = scratch->len;
                } else {
                    return 0x51ed27;   /* all such strings share a bucket */
                }
            }
        }
        return mix(fnv(FNV_OFF ^ 0x5, p, n));
    case DVC_TOK_ARR:
        h = 0xa5a5;
        c = i + 1;
        for (n = 0; n < x->count; n++) {
            h = mix(h * 31 + dvc_tok_hash(a, c, scratch));
            c += a.t[c].size;
        }
        return h;
    case DVC_TOK_OBJ:
        h = 0x0b1ec7;
        c = i + 1;
        for (n = 0; n < x->count; n++) {
            m = dvc_tok_hash(a, c, scratch);
            h += mix(m * 31 + dvc_tok_hash(a, c + 1, scratch));
            c += 1 + a.t[c + 1].size;
        }
        return mix(h);
    default:
        return (uint64_t) x->type * 0x100000001b3ull;
    }
}

/* ------------------------------------------------------------ recorder */

int
dvc_rec_push(dvc_rec_t *r, int type, const char *s, size_t len)
{
    dvc_tok_t *t;
    size_t     cap;

    if (r->n == r->cap) {
        cap = r->cap ? r->cap * 2 : 64;
        t = dvc_realloc(r->alloc, r->t, r->cap * sizeof(dvc_tok_t),
                        cap * sizeof(dvc_tok_t));
        if (t == NULL) {
            return -1;
        }
        r->t = t;
        r->cap = cap;
    }
    t = &r->t[r->n++];
    t->type = (uint8_t) type;
    t->size = 1;
    t->count = 0;
    t->off = r->text.len;
    t->len = len;
    if (len > 0) {
        dvc_buf_append(&r->text, s, len);
        if (r->text.failed) {
            return -1;
        }
    }
    return 0;
}

void
dvc_rec_free(dvc_rec_t *r)
{
    dvc_free(r->alloc, r->t);
    r->t = NULL;
    r->n = r->cap = 0;
    dvc_buf_free(&r->text);
}
