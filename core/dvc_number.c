/*
 * A JSON number text is read as sign, significand digits and a decimal
 * exponent that may itself be any length.  Values are never expanded: a
 * comparison looks at exponents first (as big decimals, exactly), then at the
 * significant digits; multipleOf reduces to a remainder over the digits of the
 * value followed by at most a bounded number of zeros (see
 * dvc_num_multiple_of), so 1e1000000000 costs what "1e1000000000" costs.
 */
#include <stdint.h>
#include <string.h>

#include "dvc_number.h"

/* Texts longer than this are refused: it keeps every position offset far
 * below the exponent magnitudes treated as "huge" (10^18). */
#define NUM_MAX_LEN      ((size_t) 1 << 40)
#define EXP_SMALL_DIGITS 18

typedef struct {
    int         neg;
    int         zero;
    const char *ip;      /* integer part digits */
    size_t      in;
    const char *fp;      /* fraction digits */
    size_t      fn;
    size_t      f;       /* first and last non-zero digit, indexes into ip+fp */
    size_t      l;
    int         eneg;
    const char *ep;      /* exponent digits, leading zeros skipped */
    size_t      en;
} num_t;

/* The exact integer (eneg ? -1 : 1) * digits + adj. */
typedef struct {
    int         neg;
    const char *d;
    size_t      n;
    int64_t     adj;
} bexp_t;

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char
num_digit(const num_t *n, size_t i)
{
    return i < n->in ? n->ip[i] : n->fp[i - n->in];
}

static int
num_parse(num_t *n, const char *s, size_t len)
{
    size_t  i = 0, j, total;

    memset(n, 0, sizeof(*n));
    if (len == 0 || len > NUM_MAX_LEN) {
        return 0;
    }
    if (s[i] == '-') {
        n->neg = 1;
        i++;
    }
    if (i >= len || !is_digit(s[i])) {
        return 0;
    }
    n->ip = s + i;
    if (s[i] == '0') {
        i++;
    } else {
        while (i < len && is_digit(s[i])) {
            i++;
        }
    }
    n->in = (size_t) (s + i - n->ip);
    n->fp = s + i;
    if (i < len && s[i] == '.') {
        i++;
        n->fp = s + i;
        while (i < len && is_digit(s[i])) {
            i++;
        }
        n->fn = (size_t) (s + i - n->fp);
        if (n->fn == 0) {
            return 0;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            n->eneg = s[i] == '-';
            i++;
        }
        j = i;
        while (i < len && is_digit(s[i])) {
            i++;
        }
        if (i == j) {
            return 0;
        }
        while (j < i && s[j] == '0') {
            j++;
        }
        n->ep = s + j;
        n->en = i - j;
    }
    if (i != len) {
        return 0;
    }

    total = n->in + n->fn;
    for (j = 0; j < total && num_digit(n, j) == '0'; j++) {
        /* leading zeros */
    }
    if (j == total) {
        n->zero = 1;
        return 1;
    }
    n->f = j;
    for (j = total - 1; num_digit(n, j) == '0'; j--) {
        /* trailing zeros; stops at f at the latest */
    }
    n->l = j;
    return 1;
}

static int64_t
small_value(const char *d, size_t n)
{
    int64_t  v = 0;
    size_t   i;

    for (i = 0; i < n; i++) {
        v = v * 10 + (d[i] - '0');
    }
    return v;
}

static int
mag_cmp(const bexp_t *a, const bexp_t *b)
{
    int  r;

    if (a->n != b->n) {
        return a->n < b->n ? -1 : 1;
    }
    r = memcmp(a->d, b->d, a->n);
    return (r > 0) - (r < 0);
}

/*
 * a - b for two big exponents.  Returns 0 with the exact difference in *out,
 * or 2 / -2 when the difference is at least 10^18 in magnitude (positive /
 * negative): no text we accept can make up such a gap with its offsets.
 */
static int
bexp_diff(const bexp_t *a, const bexp_t *b, int64_t *out)
{
    const bexp_t  *big, *small;
    int            sa, sb, mc, hi = 0, borrow = 0, da, db, t;
    int64_t        d, low = 0, scale = 1;
    size_t         i;

    if (a->n <= EXP_SMALL_DIGITS && b->n <= EXP_SMALL_DIGITS) {
        d = (a->neg ? -1 : 1) * small_value(a->d, a->n)
            - (b->neg ? -1 : 1) * small_value(b->d, b->n);
        *out = d + a->adj - b->adj;
        return 0;
    }
    sa = a->n == 0 ? 0 : (a->neg ? -1 : 1);
    sb = b->n == 0 ? 0 : (b->neg ? -1 : 1);
    if (sa != sb) {
        /* one side is at least 10^18 and the other does not cancel it */
        return sa > sb ? 2 : -2;
    }
    mc = mag_cmp(a, b);
    if (mc == 0) {
        *out = a->adj - b->adj;
        return 0;
    }
    big = mc > 0 ? a : b;
    small = mc > 0 ? b : a;
    for (i = 0; i < big->n; i++) {
        da = big->d[big->n - 1 - i] - '0';
        db = i < small->n ? small->d[small->n - 1 - i] - '0' : 0;
        t = da - db - borrow;
        borrow = t < 0;
        if (borrow) {
            t += 10;
        }
        if (i < EXP_SMALL_DIGITS) {
            low += t * scale;
            scale *= 10;
        } else if (t != 0) {
            hi = 1;
        }
    }
    if (hi) {
        return sa * mc > 0 ? 2 : -2;
    }
    *out = sa * mc * low + a->adj - b->adj;
    return 0;
}

static int
bexp_sign(int r, const int64_t *v)
{
    if (r != 0) {
        return r > 0 ? 1 : -1;
    }
    return (*v > 0) - (*v < 0);
}

/* The exponent of the first significant digit: value = 0.d... * 10^P. */
static void
point_exp(const num_t *n, bexp_t *e)
{
    e->neg = n->eneg;
    e->d = n->ep;
    e->n = n->en;
    e->adj = (int64_t) n->in - (int64_t) n->f;
}

/* The exponent of the last significant digit: value = M * 10^U, M integer. */
static void
unit_exp(const num_t *n, bexp_t *e)
{
    e->neg = n->eneg;
    e->d = n->ep;
    e->n = n->en;
    e->adj = (int64_t) n->in - 1 - (int64_t) n->l;
}

int
dvc_num_valid(const char *s, size_t len)
{
    num_t  n;

    return num_parse(&n, s, len);
}

/* The common case, a plain integer text of at most 18 digits (no
 * fraction, no exponent): its value, without the exact machinery. */
static int
plain_int(const char *s, size_t len, int64_t *v)
{
    size_t  i = 0;
    int64_t x = 0;

    if (len > 0 && s[0] == '-') {
        i = 1;
    }
    if (i == len || len - i > 18) {
        return 0;
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = s[0] == '-' ? -x : x;
    return 1;
}

int
dvc_num_plain_int(const char *s, size_t len, int64_t *v)
{
    return plain_int(s, len, v);
}

int
dvc_num_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    num_t    na, nb;
    bexp_t   pa, pb;
    int      sa, sb, r;
    int64_t  d = 0;
    size_t   i, la, lb;
    char     ca, cb;
    int64_t  ia, ib;

    if (plain_int(a, alen, &ia) && plain_int(b, blen, &ib)) {
        return ia < ib ? -1 : ia > ib;
    }
    if (!num_parse(&na, a, alen) || !num_parse(&nb, b, blen)) {
        return 0;
    }
    sa = na.zero ? 0 : (na.neg ? -1 : 1);
    sb = nb.zero ? 0 : (nb.neg ? -1 : 1);
    if (sa != sb) {
        return sa < sb ? -1 : 1;
    }
    if (sa == 0) {
        return 0;
    }
    point_exp(&na, &pa);
    point_exp(&nb, &pb);
    r = bexp_diff(&pa, &pb, &d);
    r = bexp_sign(r, &d);
    if (r != 0) {
        return sa * r;
    }
    la = na.l - na.f + 1;
    lb = nb.l - nb.f + 1;
    for (i = 0; i < la || i < lb; i++) {
        ca = i < la ? num_digit(&na, na.f + i) : '0';
        cb = i < lb ? num_digit(&nb, nb.f + i) : '0';
        if (ca != cb) {
            return sa * (ca < cb ? -1 : 1);
        }
    }
    return 0;
}

int
dvc_num_is_integer(const char *s, size_t len)
{
    static const bexp_t  zero = { 0, "", 0, 0 };
    num_t                n;
    bexp_t               u;
    int64_t              d = 0;
    int                  r;
    int64_t              x;

    if (plain_int(s, len, &x)) {
        return 1;
    }
    if (!num_parse(&n, s, len)) {
        return 0;
    }
    if (n.zero) {
        return 1;
    }
    unit_exp(&n, &u);
    r = bexp_diff(&u, &zero, &d);
    return bexp_sign(r, &d) >= 0;
}

int
dvc_num_divisor_ok(const char *d, size_t dlen)
{
    num_t  n;

    return num_parse(&n, d, dlen) && !n.zero && !n.neg
           && n.l - n.f + 1 <= DVC_NUM_DIVISOR_MAX_DIGITS;
}

/* Remainder of a digit stream modulo a divisor of up to 19 digits. */
typedef struct {
    int       wide;
    uint64_t  m64;
    uint64_t  r64;
    size_t    limbs;
    uint32_t  m[DVC_NUM_DIVISOR_MAX_DIGITS / 9 + 2];
    uint32_t  r[DVC_NUM_DIVISOR_MAX_DIGITS / 9 + 3];
} mod_t;

#define LIMB_BASE 1000000000u

static int
limbs_ge(const uint32_t *r, const uint32_t *m, size_t n)
{
    size_t  i;

    if (r[n] != 0) {
        return 1;
    }
    for (i = n; i-- > 0; ) {
        if (r[i] != m[i]) {
            return r[i] > m[i];
        }
    }
    return 1;
}

static void
mod_push(mod_t *md, int digit)
{
    uint64_t  t, carry;
    int64_t   s, borrow;
    size_t    i;

    if (!md->wide) {
        md->r64 = (uint64_t) (((unsigned __int128) md->r64 * 10 + (unsigned) digit)
                              % md->m64);
        return;
    }
    /* r = r * 10 + digit < 10 m, then subtract m at most 9 times */
    carry = (uint64_t) digit;
    for (i = 0; i <= md->limbs; i++) {
        t = (uint64_t) md->r[i] * 10 + carry;
        md->r[i] = (uint32_t) (t % LIMB_BASE);
        carry = t / LIMB_BASE;
    }
    while (limbs_ge(md->r, md->m, md->limbs)) {
        borrow = 0;
        for (i = 0; i <= md->limbs; i++) {
            s = (int64_t) md->r[i] - (i < md->limbs ? md->m[i] : 0) - borrow;
            borrow = s < 0;
            md->r[i] = (uint32_t) (borrow ? s + LIMB_BASE : s);
        }
    }
}

static int
mod_zero(const mod_t *md)
{
    size_t  i;

    if (!md->wide) {
        return md->r64 == 0;
    }
    for (i = 0; i <= md->limbs; i++) {
        if (md->r[i] != 0) {
            return 0;
        }
    }
    return 1;
}

static void
mod_init(mod_t *md, const num_t *d)
{
    size_t    nd = d->l - d->f + 1, i, k;
    uint32_t  p;

    memset(md, 0, sizeof(*md));
    if (nd <= 19) {
        for (i = 0; i < nd; i++) {
            md->m64 = md->m64 * 10 + (uint64_t) (num_digit(d, d->f + i) - '0');
        }
        return;
    }
    md->wide = 1;
    md->limbs = (nd + 8) / 9;
    /* little-endian base 10^9 limbs, filled from the last digit */
    for (i = 0; i < nd; i++) {
        k = i / 9;
        p = 1;
        for (size_t q = 0; q < i % 9; q++) {
            p *= 10;
        }
        md->m[k] += (uint32_t) (num_digit(d, d->l - i) - '0') * p;
    }
}

/*
 * v = Mv * 10^Uv and d = Md * 10^Ud with Mv, Md free of trailing zeros.
 * v / d = Mv * 10^k / Md with k = Uv - Ud.  When k < 0 it is never an
 * integer: Md * 10^-k would have to divide Mv, which does not end in 0.
 * When k >= 0, zeros past max(v2(Md), v5(Md)) < 4 * digits(Md) add nothing
 * (the rest of Md is coprime with 10), so the test is
 * (Mv followed by min(k, 4 * digits(Md)) zeros) mod Md == 0.
 */
int
dvc_num_multiple_of(const char *v, size_t vlen, const char *d, size_t dlen)
{
    num_t    nv, nd;
    bexp_t   uv, ud;
    int      r;
    int64_t  k = 0, cap;
    mod_t    md;
    size_t   i;

    if (!num_parse(&nv, v, vlen) || !dvc_num_divisor_ok(d, dlen)) {
        return 0;
    }
    num_parse(&nd, d, dlen);
    if (nv.zero) {
        return 1;
    }
    unit_exp(&nv, &uv);
    unit_exp(&nd, &ud);
    r = bexp_diff(&uv, &ud, &k);
    if (r < 0 || (r == 0 && k < 0)) {
        return 0;
    }
    cap = 4 * (int64_t) (nd.l - nd.f + 1);
    if (r > 0 || k > cap) {
        k = cap;
    }
    mod_init(&md, &nd);
    for (i = nv.f; i <= nv.l; i++) {
        mod_push(&md, num_digit(&nv, i) - '0');
    }
    for (; k > 0; k--) {
        mod_push(&md, 0);
    }
    return mod_zero(&md);
}
