/*
 * The streaming engine: one pass of yajl events over the instance, no tree.
 *
 * For each value the applicable schemas become instances (dvc_vi_t): value
 * roots spawned by the instances on the parent container (properties[k],
 * items, contains, ..), each expanded in place into its $ref, allOf, anyOf,
 * oneOf, not, if/then/else and dependentSchemas children, which run in
 * parallel on the same events.  Scalars are checked on their event;
 * containers keep counters and bits until their end event.  When a value
 * ends, its instances are finalised children first: combinators decide,
 * annotations (evaluated members/items) flow up for unevaluated*, and each
 * value root reports to its spawner.  Only containers under const/enum/
 * uniqueItems are recorded (as tokens).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_format.h"
#include "dvc_number.h"
#include "dvc_schema_run.h"
#include "dvc_unicode.h"

enum {
    REL_DOC = 0, REL_PROP, REL_ADDL, REL_ITEM, REL_CONTAINS, REL_UNEVAL,
    REL_PROPNAMES, REL_REF, REL_ALLOF, REL_ANYOF, REL_ONEOF, REL_NOT,
    REL_IF, REL_THEN, REL_ELSE, REL_DEPSCH
};

/* What runs for every value and instance is inlined into the yajl
 * callbacks: a call and its register spills were ~5% of a dossier. */
#define HOT  static inline __attribute__((always_inline))

#define MAX_INPLACE_DEPTH  64
/* Instances alive at once (~168 bytes each): a schema whose $ref loops
 * branch (oneOf: [{$ref: a}, {$ref: b}] under a and b) would otherwise grow
 * 2^MAX_INPLACE_DEPTH of them before the depth bound stops it. */
#define MAX_LIVE_INSTANCES (64 * 1024)

/* ------------------------------------------------------------ bits */

static int
bits_set(dvc_validate_ctx_t *v, dvc_bits_t *b, size_t i)
{
    size_t    w = i / 64, nw;
    uint64_t *h;

    if (w < 2) {
        b->in[w] |= (uint64_t) 1 << (i % 64);
        return 0;
    }
    w -= 2;
    if (w >= b->nwords) {
        nw = b->nwords ? b->nwords * 2 : 4;
        while (nw <= w) {
            nw *= 2;
        }
        h = dvc_realloc(v->alloc, b->heap, b->nwords * 8, nw * 8);
        if (h == NULL) {
            return -1;
        }
        memset(h + b->nwords, 0, (nw - b->nwords) * 8);
        b->heap = h;
        b->nwords = nw;
    }
    b->heap[w] |= (uint64_t) 1 << (i % 64);
    return 0;
}

static int
bits_get(const dvc_bits_t *b, size_t i)
{
    size_t w = i / 64;

    if (w < 2) {
        return (int) (b->in[w] >> (i % 64)) & 1;
    }
    w -= 2;
    return w < b->nwords ? (int) (b->heap[w] >> (i % 64)) & 1 : 0;
}

static int
bits_or(dvc_validate_ctx_t *v, dvc_bits_t *dst, const dvc_bits_t *src)
{
    size_t i;

    dst->in[0] |= src->in[0];
    dst->in[1] |= src->in[1];
    for (i = src->nwords; i > 0; i--) {
        if (src->heap[i - 1]) {
            break;
        }
    }
    if (i > 0 && bits_set(v, dst, (i + 2) * 64 - 1) != 0) {
        return -1;
    }
    if (i > 0) {
        dst->heap[i - 1] &= ~((uint64_t) 1 << 63);
    }
    for (; i > 0; i--) {
        dst->heap[i - 1] |= src->heap[i - 1];
    }
    return 0;
}

static void
bits_free(dvc_validate_ctx_t *v, dvc_bits_t *b)
{
    dvc_free(v->alloc, b->heap);
    memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------ helpers */

static void
fatal(dvc_validate_ctx_t *v, int status)
{
    if (v->status == 0) {
        v->status = status;
    }
}

static int path_grow(dvc_validate_ctx_t *v, size_t extra);

static inline int
path_reserve(dvc_validate_ctx_t *v, size_t extra)
{
    return v->path_len + extra <= v->path_cap ? 0 : path_grow(v, extra);
}

static int
path_grow(dvc_validate_ctx_t *v, size_t extra)
{
    size_t  cap;
    char   *p;

    cap = v->path_cap ? v->path_cap : 256;
    while (cap < v->path_len + extra) {
        cap *= 2;
    }
    p = dvc_realloc(v->alloc, v->path, v->path_cap, cap);
    if (p == NULL) {
        fatal(v, DVC_ERR_NOMEM);
        return -1;
    }
    v->path = p;
    v->path_cap = cap;
    return 0;
}

/* Appends "/" + the key, raw, to the path.  The '~' and '/' escapes of a
 * JSON Pointer are made only when an error needs the path
 * (path_append in dvc_schema_errors.c): a valid document never pays for them. */
static inline void
path_push_key(dvc_validate_ctx_t *v, const char *k, size_t len)
{
    char *p;

    if (path_reserve(v, len + 1) == 0) {
        p = v->path + v->path_len;
        *p++ = '/';
        dvc_name_copy(p, k, len);
        v->path_len += len + 1;
    }
}

static void
path_push_index(dvc_validate_ctx_t *v, size_t i)
{
    char   n[24], *p = n + sizeof(n);
    size_t len;

    /* not snprintf: this runs for every array element */
    do {
        *--p = (char) ('0' + i % 10);
        i /= 10;
    } while (i > 0);
    *--p = '/';
    len = (size_t) (n + sizeof(n) - p);
    if (path_reserve(v, len) == 0) {
        memcpy(v->path + v->path_len, p, len);
        v->path_len += len;
    }
}

static dvc_vi_t *
vi_alloc(dvc_validate_ctx_t *v)
{
    size_t     c = v->top / DVC_VI_CHUNK;
    dvc_vi_t **chunks;
    dvc_vi_t  *vi;

    if (c == v->nchunks) {
        chunks = dvc_realloc(v->alloc, v->chunks, v->nchunks * sizeof(*chunks),
                             (v->nchunks + 1) * sizeof(*chunks));
        if (chunks == NULL) {
            return NULL;
        }
        v->chunks = chunks;
        chunks[c] = dvc_malloc(v->alloc, DVC_VI_CHUNK * sizeof(dvc_vi_t));
        if (chunks[c] == NULL) {
            return NULL;
        }
        v->nchunks++;
    }
    vi = &v->chunks[c][v->top % DVC_VI_CHUNK];
    v->top++;
    /* the hot path: only what every instance uses (spawn does the
     * unevaluated* state when the schema has such keywords) */
    vi->first = vi->next = NULL;
    vi->present[0] = vi->present[1] = 0;
    vi->present_heap = NULL;
    vi->ncontains = 0;
    memset(&vi->defer, 0, sizeof(vi->defer));
    return vi;
}

static int
vlist_push(dvc_validate_ctx_t *v, dvc_vi_t *vi)
{
    dvc_vi_t **l;
    size_t     cap;

    if (v->nv == v->cv) {
        cap = v->cv ? v->cv * 2 : 64;
        l = dvc_realloc(v->alloc, v->vlist, v->cv * sizeof(*l),
                        cap * sizeof(*l));
        if (l == NULL) {
            return -1;
        }
        v->vlist = l;
        v->cv = cap;
    }
    v->vlist[v->nv++] = vi;
    return 0;
}

/* Releases what instances above `top` hold on the heap, and pops them. */
static void
vi_pop(dvc_validate_ctx_t *v, size_t top)
{
    size_t    i;
    dvc_vi_t *vi;

    if (!v->schema->track && !v->present_heaps) {
        v->top = top;
        return;
    }
    for (i = top; i < v->top; i++) {
        vi = &v->chunks[i / DVC_VI_CHUNK][i % DVC_VI_CHUNK];
        if (vi->tracked) {
            bits_free(v, &vi->eval);
            bits_free(v, &vi->uneval_ok);
        }
        if (vi->present_heap) {
            dvc_free(v->alloc, vi->present_heap);
        }
    }
    v->top = top;
}

static int
present_get(const dvc_vi_t *vi, size_t j)
{
    const uint64_t *w = vi->present_heap ? vi->present_heap : vi->present;

    return (int) (w[j / 64] >> (j % 64)) & 1;
}

static void
present_set(dvc_vi_t *vi, size_t j)
{
    uint64_t *w = vi->present_heap ? vi->present_heap : vi->present;

    w[j / 64] |= (uint64_t) 1 << (j % 64);
}

static int
sname_lookup(const dvc_snode_t *s, const char *k, size_t len, uint32_t hash)
{
    uint32_t           i;
    uint64_t           e;
    const dvc_sname_t *nm;

    /* the slot holds the hash too: a miss never touches names[] */
    for (i = hash & s->name_mask; (e = s->name_tab[i]) != 0;
         i = (i + 1) & s->name_mask)
    {
        if ((uint32_t) (e >> 32) != hash) {
            continue;
        }
        nm = &s->names[(uint32_t) e - 1];
        if (dvc_sname_eq(nm, k, len)) {
            return (int) (uint32_t) e - 1;
        }
    }
    return -1;
}

/* The names index of key k if it is the expected name e or the one
 * after it (an optional member left out), else -1: no hash needed. */
static inline int
sname_expected(const dvc_snode_t *s, uint32_t e, const char *k, size_t len)
{
    const dvc_sname_t *nm = &s->names[e];

    if (dvc_sname_eq(nm, k, len)) {
        return (int) e;
    }
    e = nm->next;
    if (e != DVC_NAME_NONE && dvc_sname_eq(&s->names[e], k, len)) {
        return (int) e;
    }
    return -1;
}

/* ------------------------------------------------------------ spawning */

static const dvc_snode_t *
dynamic_target(const dvc_vi_t *vi, const dvc_snode_t *s)
{
    const dvc_snode_t *found = s->inp->dynref;
    const dvc_sres_t  *r, *last = NULL;
    size_t             i;

    /* outermost resource of the dynamic scope declaring the anchor */
    for (; vi != NULL; vi = vi->up) {
        r = vi->s->res;
        if (r == NULL || r == last) {
            continue;
        }
        last = r;
        for (i = 0; i < r->ndyn; i++) {
            if (r->dyn[i].len == s->inp->dynanchor_len
                && memcmp(r->dyn[i].name, s->inp->dynanchor, s->inp->dynanchor_len) == 0)
            {
                found = r->dyn[i].s;
            }
        }
    }
    return found;
}

static inline dvc_vi_t *spawn(dvc_validate_ctx_t *v, const dvc_snode_t *s,
    dvc_vi_t *up, int rel, uint32_t index, int root, dvc_errlist_t *sink,
    const char *fcode, int depth);

static void
child(dvc_validate_ctx_t *v, dvc_vi_t *vi, dvc_vi_t **last,
    const dvc_snode_t *s, int rel, uint32_t index, dvc_errlist_t *sink,
    int own_defer, int depth)
{
    dvc_vi_t *c;

    c = spawn(v, s, vi, rel, index, 0, own_defer ? NULL : sink, "false",
              depth + 1);
    if (c == NULL) {
        return;
    }
    if (own_defer && sink != NULL) {
        /* errors wait in the child until the parent knows they count */
        c->sink = &c->defer;
    }
    if (*last) {
        (*last)->next = c;
    } else {
        vi->first = c;
    }
    *last = c;
}

/* What spawn does beyond the common leaf: unevaluated* state, a large
 * names bitmap, the false schema, in-place children. */
static dvc_vi_t * __attribute__((noinline))
spawn_more(dvc_validate_ctx_t *v, dvc_vi_t *vi, dvc_errlist_t *sink,
    const char *fcode, int depth)
{
    const dvc_snode_t *s = vi->s;
    dvc_vi_t          *last = NULL;
    size_t             i;

    if (vi->tracked) {
        memset(&vi->eval, 0, sizeof(vi->eval));
        memset(&vi->uneval_ok, 0, sizeof(vi->uneval_ok));
        memset(&vi->uneval_errs, 0, sizeof(vi->uneval_errs));
    }
    if (s->nnames > 128) {
        vi->present_heap = dvc_calloc(v->alloc, (s->nnames + 63) / 64, 8);
        if (vi->present_heap == NULL) {
            fatal(v, DVC_ERR_NOMEM);
            return NULL;
        }
        v->present_heaps = 1;
    }
    if (s->kw & KW_FALSE) {
        vi->valid = 0;
        dvc_err_add(v, vi, fcode, NULL, NULL, 0, NULL);
        return vi;
    }
    if (!(s->kw & KW_INPLACE)) {
        return vi;
    }
    if (depth > MAX_INPLACE_DEPTH || v->top > MAX_LIVE_INSTANCES) {
        vi->valid = 0;
        dvc_err_add(v, vi, "ref_loop", "$ref", NULL, 0, NULL);
        return vi;
    }
    if (s->ref) {
        child(v, vi, &last, s->ref, REL_REF, 0, sink, 0, depth);
    }
    if (s->inp->dynref) {
        child(v, vi, &last, s->inp->dynanchor ? dynamic_target(vi, s) : s->inp->dynref,
              REL_REF, 0, sink, 0, depth);
    }
    for (i = 0; i < s->inp->nallof; i++) {
        child(v, vi, &last, s->inp->allof[i], REL_ALLOF, (uint32_t) i, sink, 0,
              depth);
    }
    /* alternatives keep their errors aside: when none fits, the closest
     * one's tell the citizen what to fix */
    for (i = 0; i < s->inp->nanyof; i++) {
        child(v, vi, &last, s->inp->anyof[i], REL_ANYOF, (uint32_t) i, sink, 1,
              depth);
    }
    for (i = 0; i < s->inp->noneof; i++) {
        child(v, vi, &last, s->inp->oneof[i], REL_ONEOF, (uint32_t) i, sink, 1,
              depth);
    }
    if (s->inp->not_) {
        child(v, vi, &last, s->inp->not_, REL_NOT, 0, NULL, 0, depth);
    }
    if (s->inp->if_) {
        child(v, vi, &last, s->inp->if_, REL_IF, 0, NULL, 0, depth);
        if (s->inp->then_) {
            child(v, vi, &last, s->inp->then_, REL_THEN, 0, sink, 1, depth);
        }
        if (s->inp->else_) {
            child(v, vi, &last, s->inp->else_, REL_ELSE, 0, sink, 1, depth);
        }
    }
    if (s->ndepsch) {
        for (i = 0; i < s->nnames; i++) {
            if (s->names[i].dep && s->names[i].dep->depschema) {
                child(v, vi, &last, s->names[i].dep->depschema, REL_DEPSCH,
                      (uint32_t) i, sink, 1, depth);
            }
        }
    }
    return vi;
}

/* A bare $ref is its target (a bounded walk: refs may loop), as long as
 * skipping it leaves the dynamic scope as it was: its resource is already
 * there through the instance above. */
static inline const dvc_snode_t *
through(const dvc_snode_t *s, const dvc_vi_t *up)
{
    size_t i;

    for (i = 0; s->passthrough && i < 8 && up != NULL && up->s->res == s->res;
         i++)
    {
        s = s->ref;
    }
    return s;
}

static inline dvc_vi_t *
spawn(dvc_validate_ctx_t *v, const dvc_snode_t *s, dvc_vi_t *up, int rel,
    uint32_t index, int root, dvc_errlist_t *sink, const char *fcode,
    int depth)
{
    dvc_vi_t *vi;

    s = through(s, up);
    vi = vi_alloc(v);
    if (vi == NULL || vlist_push(v, vi) != 0) {
        fatal(v, DVC_ERR_NOMEM);
        return NULL;
    }
    vi->s = s;
    vi->up = up;
    vi->rel = (uint8_t) rel;
    vi->root = (uint8_t) root;
    vi->index = index;
    vi->sink = sink;
    vi->valid = 1;
    vi->tracked = (uint8_t) v->schema->track;
    if (vi->tracked || s->nnames > 128 || (s->kw & (KW_FALSE | KW_INPLACE))) {
        return spawn_more(v, vi, sink, fcode, depth);
    }
    return vi;
}

/* ------------------------------------------------------------ scalars */

/* The type bit each token satisfies outright ("integer" needs a look at
 * a number's text). */
static const uint8_t tok_type[] = {
    DVC_T_NULL, DVC_T_BOOL, DVC_T_BOOL, DVC_T_NUM, DVC_T_STR, DVC_T_ARR,
    DVC_T_OBJ, DVC_T_OBJ
};

static inline int
type_ok(const dvc_snode_t *s, int tok, const char *t, size_t len)
{
    if (s->types & tok_type[tok]) {
        return 1;
    }
    return tok == DVC_TOK_NUM && (s->types & DVC_T_INT)
           && dvc_num_is_integer(t, len);
}

static int
values_match_scalar(const dvc_snode_t *s, int tok, const char *t, size_t len)
{
    dvc_tok_t  one;
    dvc_tokv_t a;
    size_t     i;

    if (tok == DVC_TOK_STR) {
        /* a valid document matches byte for byte: try that first, NFC
         * (costlier) only when nothing did */
        for (i = 0; i < s->nvalues; i++) {
            const dvc_tok_t *x = &s->values.t[s->value_idx[i]];

            if (x->type == DVC_TOK_STR && x->len == len
                && (len == 0
                    || dvc_name_eq(s->values.text + x->off, t, len)))
            {
                return 1;
            }
        }
        if (!s->values.nfc) {
            return 0;
        }
    }
    memset(&one, 0, sizeof(one));
    one.type = (uint8_t) tok;
    one.size = 1;
    one.len = len;
    a.t = &one;
    a.text = t;
    a.nfc = s->values.nfc;
    for (i = 0; i < s->nvalues; i++) {
        if (dvc_tok_equal(a, 0, s->values, s->value_idx[i])) {
            return 1;
        }
    }
    return 0;
}

/* feed checked the UTF-8: code points are the bytes that do not continue
 * a sequence. */
static size_t
count_code_points(const char *t, size_t len)
{
    size_t   i = 0, cont = 0;
    uint64_t w;

    /* continuation bytes are 10xxxxxx: bit 7 set, bit 6 clear */
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, t + i, 8);
        w = (w & ~(w << 1) & 0x8080808080808080ull) >> 7;
        /* the byte sums in the top byte (at most 8), no popcount call */
        cont += (size_t) ((w * 0x0101010101010101ull) >> 56);
    }
    for (; i < len; i++) {
        cont += ((unsigned char) t[i] & 0xC0) == 0x80;
    }
    return len - cont;
}

/* minimum .. multipleOf: out of check_scalar, which runs for every value */
static void __attribute__((noinline))
check_numeric(dvc_validate_ctx_t *v, dvc_vi_t *vi, const char *t, size_t len)
{
    const dvc_snode_t *s = vi->s;
    int64_t            x;
    int                ix;

    /* an integer value against integer bounds: compared as integers, the
     * exact comparison of number texts only for the others */
    ix = s->num->ibound_ok ? dvc_num_plain_int(t, len, &x) : 0;
#define BOUND_CMP(i, text, tlen)                                            \
    (ix && (s->num->ibound_ok & (1u << (i)))                                     \
     ? (x < s->num->ibound[i] ? -1 : x > s->num->ibound[i])                           \
     : dvc_num_cmp(t, len, text, tlen))

    if (s->num->minimum && BOUND_CMP(0, s->num->minimum, s->num->minimum_len) < 0) {
        vi->valid = 0;
        dvc_err_add(v, vi, "minimum", "minimum", NULL, 0, NULL);
    }
    if (s->num->maximum && BOUND_CMP(1, s->num->maximum, s->num->maximum_len) > 0) {
        vi->valid = 0;
        dvc_err_add(v, vi, "maximum", "maximum", NULL, 0, NULL);
    }
    if (s->num->xminimum
        && BOUND_CMP(2, s->num->xminimum, s->num->xminimum_len) <= 0)
    {
        vi->valid = 0;
        dvc_err_add(v, vi, "exclusiveMinimum", "exclusiveMinimum", NULL, 0,
                    NULL);
    }
    if (s->num->xmaximum
        && BOUND_CMP(3, s->num->xmaximum, s->num->xmaximum_len) >= 0)
    {
        vi->valid = 0;
        dvc_err_add(v, vi, "exclusiveMaximum", "exclusiveMaximum", NULL, 0,
                    NULL);
    }
#undef BOUND_CMP
    if (s->num->multiple_of
        && !dvc_num_multiple_of(t, len, s->num->multiple_of, s->num->multiple_of_len))
    {
        vi->valid = 0;
        dvc_err_add(v, vi, "multipleOf", "multipleOf", NULL, 0, NULL);
    }
}

static void __attribute__((noinline))
check_format_failed(dvc_validate_ctx_t *v, dvc_vi_t *vi)
{
    const dvc_snode_t *s = vi->s;
    dvc_erec_t        *e;
    const dvc_msg_t   *m;

    vi->valid = 0;
    e = dvc_err_add(v, vi, "format", "format", NULL, 0, NULL);
    m = dvc_schema_format_msg(dvc_format_name(s->format));
    if (e != NULL && m != NULL && s->msg_vi == NULL && s->msg_en == NULL) {
        e->vi = m->vi;
        e->en = m->en;
    }
}

static void __attribute__((noinline))
check_failed(dvc_validate_ctx_t *v, dvc_vi_t *vi, const char *code)
{
    vi->valid = 0;
    dvc_err_add(v, vi, code, code, NULL, 0, NULL);
}

HOT void
check_scalar(dvc_validate_ctx_t *v, dvc_vi_t *vi, int tok, const char *t,
    size_t len, size_t *cps)
{
    const dvc_snode_t *s = vi->s;

    if ((s->kw & KW_TYPE) && !type_ok(s, tok, t, len)) {
        check_failed(v, vi, "type");
    }
    if ((s->kw & (KW_CONST | KW_ENUM)) && !values_match_scalar(s, tok, t, len)) {
        check_failed(v, vi, s->kw & KW_CONST ? "const" : "enum");
    }
    if (tok == DVC_TOK_NUM && (s->kw & KW_NUMERIC)) {
        check_numeric(v, vi, t, len);
    }
    if (tok == DVC_TOK_STR && (s->kw & KW_STRING)) {
        /* a string of len bytes has len/4 (rounded up) to len code points:
         * often that alone settles both bounds */
        if ((s->min_len > 0 || s->max_len != SIZE_MAX)
            && (len > s->max_len || (len + 3) / 4 < s->min_len))
        {
            if (*cps == SIZE_MAX) {
                *cps = count_code_points(t, len);
            }
            if (*cps < s->min_len) {
                check_failed(v, vi, "minLength");
            }
            if (*cps > s->max_len) {
                check_failed(v, vi, "maxLength");
            }
        }
        if (s->pattern
            && dvc_regex_search_utf8(s->pattern, v->scratch, t, len) != 1)
        {
            check_failed(v, vi, "pattern");
        }
        if (s->format >= 0
            && !dvc_format_check_a(v->alloc, s->format, t, len))
        {
            check_format_failed(v, vi);
        }
    }
}

/* ------------------------------------------------------------ finalising */

static void
merge(dvc_validate_ctx_t *v, dvc_vi_t *dst, const dvc_vi_t *src)
{
    if (dst->tracked && bits_or(v, &dst->eval, &src->eval) != 0) {
        fatal(v, DVC_ERR_NOMEM);
    }
}

/* What finalize gathers from an instance's children. */
typedef struct {
    int       valid, ifv, notv;
    size_t    nany, none;
    dvc_vi_t *then_c, *else_c, *closest;
} kids_t;

/* The children of vi, instances of its in-place applicators, read into k
 * (and their evaluations merged into vi's). */
static void
finalize_children(dvc_validate_ctx_t *v, dvc_vi_t *vi, int tok, kids_t *k)
{
    dvc_vi_t *c;

    for (c = vi->first; c != NULL; c = c->next) {
        switch (c->rel) {
        case REL_REF:
        case REL_ALLOF:
            if (!c->valid) {
                k->valid = 0;
            } else {
                merge(v, vi, c);
            }
            break;
        case REL_ANYOF:
        case REL_ONEOF:
            if (!c->valid && c->defer.n > 0
                && (k->closest == NULL || c->defer.n < k->closest->defer.n))
            {
                k->closest = c;
            }
            if (c->valid) {
                if (c->rel == REL_ANYOF) {
                    k->nany++;
                } else {
                    k->none++;
                }
                merge(v, vi, c);
            }
            break;
        case REL_NOT:
            k->notv = c->valid;
            break;
        case REL_IF:
            k->ifv = c->valid;
            if (c->valid) {
                merge(v, vi, c);
            }
            break;
        case REL_THEN:
            k->then_c = c;
            break;
        case REL_ELSE:
            k->else_c = c;
            break;
        case REL_DEPSCH:
            if (tok == DVC_TOK_OBJ && present_get(vi, c->index)) {
                if (!c->valid) {
                    k->valid = 0;
                    dvc_err_move(v, vi->sink, &c->defer);
                } else {
                    merge(v, vi, c);
                }
            }
            break;
        }
    }
}

/* anyOf, oneOf, not and if/then/else decided from k; vi's validity. */
static int
finalize_applicators(dvc_validate_ctx_t *v, dvc_vi_t *vi, kids_t *k)
{
    const dvc_snode_t *s = vi->s;
    dvc_vi_t          *c;

    if (k->closest != NULL && ((s->inp->nanyof && k->nany == 0)
                               || (s->inp->noneof && k->none == 0)))
    {
        /* the details first, then what they are details of */
        dvc_err_move(v, vi->sink, &k->closest->defer);
    }
    if (s->inp->nanyof && k->nany == 0) {
        k->valid = 0;
        dvc_err_add(v, vi, "anyOf", "anyOf", NULL, 0, NULL);
    }
    if (s->inp->noneof && k->none != 1) {
        k->valid = 0;
        dvc_err_add(v, vi, "oneOf", "oneOf", NULL, 0, NULL);
    }

    if (s->inp->not_ && k->notv) {
        k->valid = 0;
        dvc_err_add(v, vi, "not", "not", NULL, 0, NULL);
    }
    if (s->inp->if_) {
        c = k->ifv ? k->then_c : k->else_c;
        if (c != NULL) {
            if (!c->valid) {
                k->valid = 0;
                dvc_err_move(v, vi->sink, &c->defer);
            } else {
                merge(v, vi, c);
            }
        }
    }
    return k->valid;
}

/* unevaluatedProperties / unevaluatedItems at the container's end: the
 * members or items nothing evaluated; vi's validity. */
static int
finalize_uneval(dvc_validate_ctx_t *v, dvc_vi_t *vi, uint32_t count,
    int valid)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (!bits_get(&vi->eval, i)) {
            if (!bits_get(&vi->uneval_ok, i)) {
                valid = 0;
                dvc_err_move_tag(v, vi->sink, &vi->uneval_errs,
                                 (uint32_t) i);
            }
            if (bits_set(v, &vi->eval, i) != 0) {
                fatal(v, DVC_ERR_NOMEM);
            }
        }
    }
    return valid;
}

/* A finished instance that is its parent's (a property's, an item's, ...)
 * tells the parent, valid or not. */
HOT void
finalize_report(dvc_validate_ctx_t *v, dvc_vi_t *vi, int valid)
{
    dvc_vi_t *up;

    if (!vi->root) {
        return;
    }
    up = vi->up;
    switch (vi->rel) {
    case REL_DOC:
        v->valid = valid;
        break;
    case REL_PROP:
    case REL_ADDL:
    case REL_ITEM:
    case REL_PROPNAMES:
        if (!valid) {
            up->valid = 0;
        }
        break;
    case REL_CONTAINS:
        if (valid) {
            up->ncontains++;
            if (up->tracked && bits_set(v, &up->eval, vi->index) != 0) {
                fatal(v, DVC_ERR_NOMEM);
            }
        }
        break;
    case REL_UNEVAL:
        if (valid) {
            if (bits_set(v, &up->uneval_ok, vi->index) != 0) {
                fatal(v, DVC_ERR_NOMEM);
            }
        } else if (up->sink != NULL) {
            /* reported at the container's end if nothing evaluated it */
            dvc_vi_t tmp = *up;
            int      obj = up->s->uneval_props == vi->s;

            tmp.sink = &up->uneval_errs;
            tmp.index = vi->index;
            tmp.s = vi->s;
            dvc_err_add(v, &tmp, obj ? "unevaluatedProperties"
                                     : "unevaluatedItems",
                        NULL, NULL, 0, NULL);
        }
        break;
    }
}

static void
finalize(dvc_validate_ctx_t *v, dvc_vi_t *vi, int tok, uint32_t count)
{
    const dvc_snode_t *s = vi->s;
    dvc_vi_t          *c;
    kids_t             k;
    int                valid = vi->valid;

    /* a leaf (most instances: spawn made children only under KW_INPLACE)
     * has no children, nothing of its own to decide */
    if (s->kw & (KW_INPLACE | KW_UNEVAL)) {
        memset(&k, 0, sizeof(k));
        k.valid = valid;
        finalize_children(v, vi, tok, &k);
        valid = finalize_applicators(v, vi, &k);
        if (vi->tracked && (s->kw & KW_UNEVAL)
            && ((tok == DVC_TOK_OBJ && s->uneval_props)
                || (tok == DVC_TOK_ARR && s->arr->uneval_items)))
        {
            valid = finalize_uneval(v, vi, count, valid);
        }
        vi->valid = (uint8_t) valid;
        /* what the branches kept aside and nobody took is discarded */
        for (c = vi->first; c != NULL; c = c->next) {
            if (c->defer.head != 0) {
                dvc_err_drop(v, &c->defer);
            }
        }
        if (vi->tracked && vi->uneval_errs.head != 0) {
            dvc_err_drop(v, &vi->uneval_errs);
        }
    }
    finalize_report(v, vi, valid);
}

HOT void
end_value(dvc_validate_ctx_t *v, size_t vbeg, size_t mark, int tok,
    uint32_t count)
{
    size_t i;

    for (i = v->nv; i > vbeg; i--) {
        dvc_vi_t *vi = v->vlist[i - 1];

        /* the common leaf under properties/items: finalize's outcome
         * without the call */
        if (!(vi->s->kw & (KW_INPLACE | KW_UNEVAL)) && vi->root
            && (vi->rel == REL_PROP || vi->rel == REL_ADDL
                || vi->rel == REL_ITEM))
        {
            if (!vi->valid) {
                vi->up->valid = 0;
            }
            continue;
        }
        finalize(v, vi, tok, count);
    }
    v->nv = vbeg;
    if (!v->schema->track && !v->present_heaps) {
        v->top = mark;          /* nothing on the heap to release */
    } else {
        vi_pop(v, mark);
    }
}

/* ------------------------------------------------------------ containers */

static void
check_object_end(dvc_validate_ctx_t *v, dvc_vi_t *vi, dvc_frame_t *f)
{
    const dvc_snode_t *s = vi->s;
    size_t             i, k;
    const dvc_sname_t *nm;
    dvc_tokv_t         rv;

    if (f->count < s->min_props) {
        vi->valid = 0;
        dvc_err_add(v, vi, "minProperties", "minProperties", NULL, 0, NULL);
    }
    if (f->count > s->max_props) {
        vi->valid = 0;
        dvc_err_add(v, vi, "maxProperties", "maxProperties", NULL, 0, NULL);
    }
    /* the common case, every required member there: one test (with
     * <= 128 names the present bits are in the instance itself) */
    i = s->req_fast
        && ((s->req_mask[0] & ~vi->present[0])
            | (s->req_mask[1] & ~vi->present[1])) == 0 ? s->nnames : 0;
    for (; i < s->nnames; i++) {
        nm = &s->names[i];
        if (nm->required && !present_get(vi, i)) {
            vi->valid = 0;
            dvc_err_add(v, vi, "required", "required", nm->key, nm->len,
                        nm->prop);
        }
        if (nm->dep != NULL && nm->dep->ndepreq && present_get(vi, i)) {
            const dvc_sname_dep_t *d = nm->dep;

            for (k = 0; k < d->ndepreq; k++) {
                if (!present_get(vi, d->depreq[k])) {
                    vi->valid = 0;
                    dvc_err_add(v, vi, "dependentRequired", d->depreq_kw,
                                s->names[d->depreq[k]].key,
                                s->names[d->depreq[k]].len,
                                s->names[d->depreq[k]].prop);
                }
            }
        }
    }
    if (s->kw & (KW_CONST | KW_ENUM)) {
        int ok = 0;

        if ((s->kw & KW_REC_OBJ) && v->recording) {
            rv.t = v->rec.t;
            rv.text = v->rec.text.data;
            rv.nfc = v->schema->nfc;
            for (i = 0; i < s->nvalues && !ok; i++) {
                ok = dvc_tok_equal(rv, f->rec_start, s->values,
                                   s->value_idx[i]);
            }
        }
        if (!ok) {
            vi->valid = 0;
            dvc_err_add(v, vi, s->kw & KW_CONST ? "const" : "enum",
                        s->kw & KW_CONST ? "const" : "enum", NULL, 0, NULL);
        }
    }
}

typedef struct {
    uint64_t hash;
    size_t   tok;
} item_hash_t;

static int
item_hash_cmp(const void *a, const void *b)
{
    const item_hash_t *x = a, *y = b;

    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* uniqueItems in O(n log n): items sorted by a hash equal values share,
 * then only equal hashes are compared.  A hostile array of 100,000 items
 * must not cost 5e9 comparisons. */
static int
has_duplicates(dvc_validate_ctx_t *v, dvc_tokv_t rv, size_t arr, size_t n)
{
    item_hash_t *h;
    size_t       i, j, t = arr + 1;
    int          dup = 0;
    dvc_buf_t    scratch;

    if (n < 16) {
        for (i = 0; i < n && !dup; i++) {
            size_t u = t + rv.t[t].size;

            for (j = i + 1; j < n; j++) {
                if (dvc_tok_equal(rv, t, rv, u)) {
                    dup = 1;
                    break;
                }
                u += rv.t[u].size;
            }
            t += rv.t[t].size;
        }
        return dup;
    }
    h = dvc_malloc(v->alloc, n * sizeof(*h));
    if (h == NULL) {
        fatal(v, DVC_ERR_NOMEM);
        return 0;
    }
    dvc_buf_init(&scratch, v->alloc);
    for (i = 0; i < n; i++) {
        h[i].hash = dvc_tok_hash(rv, t, &scratch);
        h[i].tok = t;
        t += rv.t[t].size;
    }
    dvc_buf_free(&scratch);
    qsort(h, n, sizeof(*h), item_hash_cmp);
    for (i = 0; i < n && !dup; i = j) {
        for (j = i + 1; j < n && h[j].hash == h[i].hash; j++) {
        }
        /* a group of equal hashes: real duplicates end it at once */
        for (size_t a = i; a < j && !dup; a++) {
            for (size_t b = a + 1; b < j; b++) {
                if (dvc_tok_equal(rv, h[a].tok, rv, h[b].tok)) {
                    dup = 1;
                    break;
                }
            }
        }
    }
    dvc_free(v->alloc, h);
    return dup;
}

static void
check_array_end(dvc_validate_ctx_t *v, dvc_vi_t *vi, dvc_frame_t *f)
{
    const dvc_snode_t *s = vi->s;
    size_t             i;
    dvc_tokv_t         rv;
    int                dup = 0;

    if (f->count < s->arr->min_items) {
        vi->valid = 0;
        dvc_err_add(v, vi, "minItems", "minItems", NULL, 0, NULL);
    }
    if (f->count > s->arr->max_items) {
        vi->valid = 0;
        dvc_err_add(v, vi, "maxItems", "maxItems", NULL, 0, NULL);
    }
    if (s->arr->contains) {
        if (vi->ncontains < s->arr->min_contains) {
            vi->valid = 0;
            dvc_err_add(v, vi, s->arr->has_min_contains ? "minContains" : "contains",
                        s->arr->has_min_contains ? "minContains" : "contains",
                        NULL, 0, NULL);
        }
        if (vi->ncontains > s->arr->max_contains) {
            vi->valid = 0;
            dvc_err_add(v, vi, "maxContains", "maxContains", NULL, 0, NULL);
        }
    }
    rv.t = v->rec.t;
    rv.text = v->rec.text.data;
    rv.nfc = v->schema->nfc;
    if (s->unique && v->recording && f->count > 1) {
        dup = has_duplicates(v, rv, f->rec_start, f->count);
        if (dup) {
            vi->valid = 0;
            dvc_err_add(v, vi, "uniqueItems", "uniqueItems", NULL, 0, NULL);
        }
    }
    if (s->kw & (KW_CONST | KW_ENUM)) {
        int ok = 0;

        if ((s->kw & KW_REC_ARR) && v->recording) {
            for (i = 0; i < s->nvalues && !ok; i++) {
                ok = dvc_tok_equal(rv, f->rec_start, s->values,
                                   s->value_idx[i]);
            }
        }
        if (!ok) {
            vi->valid = 0;
            dvc_err_add(v, vi, s->kw & KW_CONST ? "const" : "enum",
                        s->kw & KW_CONST ? "const" : "enum", NULL, 0, NULL);
        }
    }
}

/* ------------------------------------------------------------ events */

static int
go_on(dvc_validate_ctx_t *v)
{
    /* a fatal status stops yajl; the cap does not (see "After the cap") */
    return v->status == 0;
}

/* ------------------------------------------------------------ after the cap */

/*
 * Once max_errors violations are kept the schema is no longer evaluated, but
 * the document is still read to its end: its syntax, its UTF-8 and every
 * limit (string, properties, items, depth, size) hold as before the cap, so a
 * document is never less refused for having many violations, and its verdict
 * does not depend on where the cap fell.  Only what the limits and a fatal
 * error's path need is kept: the containers' nesting, counts and the path.
 */
static int
drain_value(dvc_validate_ctx_t *v)
{
    dvc_frame_t *f;
    uint32_t     idx;

    if (v->depth == 0) {
        if (v->got_value) {
            fatal(v, DVC_ERR_SYNTAX);
        }
        v->got_value = 1;
        return go_on(v);
    }
    f = &v->frames[v->depth - 1];
    if (f->type == DVC_TOK_ARR) {
        idx = f->count++;
        if (f->count > v->lim.max_items) {
            fatal(v, DVC_ERR_ITEMS);
        }
        v->path_len = f->path_len;
        path_push_index(v, idx);
    }
    return go_on(v);
}

static void
drain_value_end(dvc_validate_ctx_t *v)
{
    if (v->depth == 0 && !v->value_done) {
        v->value_done = 1;
        v->value_end = dvc_run_offset(v);
    }
}

static int __attribute__((noinline))
drain_scalar(dvc_validate_ctx_t *v)
{
    if (drain_value(v)) {
        drain_value_end(v);
    }
    return go_on(v);
}

static int frame_grow(dvc_validate_ctx_t *v);

static int __attribute__((noinline))
drain_start(dvc_validate_ctx_t *v, int tok)
{
    dvc_frame_t *f;

    if (!drain_value(v)) {
        return 0;
    }
    if (v->depth >= v->lim.max_depth) {
        fatal(v, DVC_ERR_DEPTH);
        return 0;
    }
    if (v->depth == v->cframes && frame_grow(v) != 0) {
        return 0;
    }
    f = &v->frames[v->depth++];
    memset(f, 0, sizeof(*f));
    f->type = (uint8_t) tok;
    f->path_len = v->path_len;
    f->expect = DVC_NAME_NONE;
    return 1;
}

static int __attribute__((noinline))
drain_end(dvc_validate_ctx_t *v)
{
    v->path_len = v->frames[v->depth - 1].path_len;
    v->depth--;
    drain_value_end(v);
    return go_on(v);
}

/* The instances of a value starting now: [*vbeg, v->nv); *mark is the
 * instance stack to pop back to when it ends. */
HOT void
begin_value(dvc_validate_ctx_t *v, size_t *vbeg, size_t *mark)
{
    dvc_frame_t       *f;
    dvc_vi_t          *p, *c;
    const dvc_snode_t *s;
    size_t             i, end;
    uint32_t           idx;

    if (v->depth == 0) {
        if (v->got_value) {
            /* a second top-level value: the reused parser accepts several
             * (yajl_allow_multiple_values), a document is one */
            fatal(v, DVC_ERR_SYNTAX);
            *mark = v->top;
            *vbeg = v->nv;
            return;
        }
        v->got_value = 1;
        *mark = v->top;
        *vbeg = v->nv;
        spawn(v, v->schema->root, NULL, REL_DOC, 0, 1, &v->errors, "false", 0);
        return;
    }
    f = &v->frames[v->depth - 1];
    if (f->type == DVC_TOK_OBJ) {
        /* spawned at the member's key */
        *mark = f->child_mark;
        *vbeg = f->vend;
        return;
    }
    idx = f->count++;
    if (f->count > v->lim.max_items) {
        fatal(v, DVC_ERR_ITEMS);
    }
    v->path_len = f->path_len;
    path_push_index(v, idx);
    *mark = v->top;
    *vbeg = v->nv;
    end = f->vend;
    for (i = f->vbeg; i < end; i++) {
        p = v->vlist[i];
        s = p->s;
        if (!(s->kw & KW_ARRAY)) {
            continue;
        }
        if (idx < s->arr->nprefix) {
            if (s->arr->prefix[idx]->kw) {
                spawn(v, s->arr->prefix[idx], p, REL_ITEM, idx, 1, p->sink,
                      "prefixItems", 0);
            }
            if (p->tracked && bits_set(v, &p->eval, idx) != 0) {
                fatal(v, DVC_ERR_NOMEM);
            }
        } else if (s->arr->items) {
            if (s->arr->items->kw) {
                spawn(v, s->arr->items, p, REL_ITEM, idx, 1, p->sink, "items", 0);
            }
            if (p->tracked && bits_set(v, &p->eval, idx) != 0) {
                fatal(v, DVC_ERR_NOMEM);
            }
        }
        if (s->arr->contains) {
            c = spawn(v, s->arr->contains, p, REL_CONTAINS, idx, 1, NULL,
                      "contains", 0);
            (void) c;
        }
        if (s->arr->uneval_items && p->tracked) {
            spawn(v, s->arr->uneval_items, p, REL_UNEVAL, idx, 1, NULL,
                  "unevaluatedItems", 0);
        }
    }
}

static void
rec_token(dvc_validate_ctx_t *v, int type, const char *t, size_t len)
{
    if (v->recording && dvc_rec_push(&v->rec, type, t, len) != 0) {
        fatal(v, DVC_ERR_NOMEM);
    }
}

/* A member's pending leaf schema on its scalar value: check_scalar on an
 * instance that lives only for the call, then end_value's fast path. */
HOT void
leaf_scalar(dvc_validate_ctx_t *v, dvc_frame_t *f, int tok, const char *t,
    size_t len, size_t *cps)
{
    dvc_vi_t vi;

    vi.s = f->leaf;
    vi.up = f->leaf_up;
    vi.rel = f->leaf_rel;
    vi.index = f->leaf_idx;
    vi.sink = f->leaf_up->sink;
    vi.valid = 1;
    f->leaf = NULL;
    check_scalar(v, &vi, tok, t, len, cps);
    if (!vi.valid) {
        vi.up->valid = 0;
    }
}

HOT int
on_scalar(dvc_validate_ctx_t *v, int tok, const char *t, size_t len)
{
    size_t vbeg, mark, i, cps = SIZE_MAX;

    if (v->status | v->capped) {
        return v->status ? 0 : drain_scalar(v);
    }
    if (v->depth > 0) {
        dvc_frame_t *f = &v->frames[v->depth - 1];

        if (f->leaf != NULL && v->nv == f->vend && !v->recording) {
            /* a member whose one schema is its pending leaf: nothing
             * spawned for it, so begin_value and end_value have nothing
             * to do */
            leaf_scalar(v, f, tok, t, len, &cps);
            return go_on(v);
        }
    }
    begin_value(v, &vbeg, &mark);
    if (v->depth == 0 && !v->value_done) {
        v->value_done = 1;
        v->value_end = dvc_run_offset(v);
    }
    rec_token(v, tok, t, len);
    if (v->depth > 0 && v->frames[v->depth - 1].leaf != NULL) {
        leaf_scalar(v, &v->frames[v->depth - 1], tok, t, len, &cps);
    }
    for (i = vbeg; i < v->nv; i++) {
        check_scalar(v, v->vlist[i], tok, t, len, &cps);
    }
    end_value(v, vbeg, mark, tok, 0);
    return go_on(v);
}

static int
cb_null(void *ctx)
{
    return on_scalar(ctx, DVC_TOK_NULL, NULL, 0);
}

static int
cb_boolean(void *ctx, int b)
{
    return on_scalar(ctx, b ? DVC_TOK_TRUE : DVC_TOK_FALSE, NULL, 0);
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
    return on_scalar(ctx, DVC_TOK_NUM, s, len);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
    dvc_validate_ctx_t *v = ctx;

    if (len > v->lim.max_string_len) {
        fatal(v, DVC_ERR_STRING);
        return 0;
    }
    return on_scalar(ctx, DVC_TOK_STR, (const char *) s, len);
}

/* The pending leaf gets its instance: its value is a container, or
 * another schema of the member spawns after it (the instances then keep
 * the order the member's schemas were found in). */
static void __attribute__((noinline))
leaf_spawn(dvc_validate_ctx_t *v, dvc_frame_t *f)
{
    const dvc_snode_t *s = f->leaf;

    f->leaf = NULL;
    spawn(v, s, f->leaf_up, f->leaf_rel, f->leaf_idx, 1, f->leaf_up->sink,
          "properties", 0);
}

static int
frame_grow(dvc_validate_ctx_t *v)
{
    size_t       cap;
    dvc_frame_t *f;

    cap = v->cframes ? v->cframes * 2 : 16;
    f = dvc_realloc(v->alloc, v->frames, v->cframes * sizeof(*f),
                    cap * sizeof(*f));
    if (f == NULL) {
        fatal(v, DVC_ERR_NOMEM);
        return -1;
    }
    v->frames = f;
    v->cframes = cap;
    return 0;
}

static int
on_start(dvc_validate_ctx_t *v, int tok)
{
    size_t       vbeg, mark, i;
    dvc_frame_t *f;
    dvc_vi_t    *vi;
    int          need_rec = 0, need_pn = 0;
    uint32_t     recbit = tok == DVC_TOK_OBJ ? KW_REC_OBJ : KW_REC_ARR;

    if (v->status | v->capped) {
        return v->status ? 0 : drain_start(v, tok);
    }
    if (v->depth > 0 && v->frames[v->depth - 1].leaf != NULL) {
        /* the pending leaf meets a container: it needs its instance */
        leaf_spawn(v, &v->frames[v->depth - 1]);
    }
    begin_value(v, &vbeg, &mark);
    if (v->depth >= v->lim.max_depth) {
        fatal(v, DVC_ERR_DEPTH);
        return 0;
    }
    for (i = vbeg; i < v->nv; i++) {
        vi = v->vlist[i];
        if ((vi->s->kw & KW_TYPE) && !type_ok(vi->s, tok, NULL, 0)) {
            vi->valid = 0;
            dvc_err_add(v, vi, "type", "type", NULL, 0, NULL);
        }
        if (vi->s->kw & recbit) {
            need_rec = 1;
        }
        if (vi->s->kw & KW_PROPNAMES) {
            need_pn = 1;
        }
    }
    if (v->depth == v->cframes && frame_grow(v) != 0) {
        return 0;
    }
    f = &v->frames[v->depth++];
    memset(f, 0, sizeof(*f));
    f->type = (uint8_t) tok;
    f->propnames = (uint8_t) need_pn;
    f->vbeg = vbeg;
    f->vend = v->nv;
    f->mark = mark;
    f->path_len = v->path_len;
    if (need_rec && !v->recording) {
        v->recording = 1;
        f->rec_owner = 1;
        v->rec.n = 0;
        v->rec.text.len = 0;
    }
    f->rec_start = v->rec.n;
    f->expect = DVC_NAME_NONE;
    if (f->vend - f->vbeg == 1 && tok == DVC_TOK_OBJ) {
        vi = v->vlist[f->vbeg];
        if ((vi->s->kw & KW_OBJECT) && vi->s->nnames) {
            f->expect = vi->s->first_name;
        }
    }
    rec_token(v, tok, NULL, 0);
    return go_on(v);
}

static int
cb_start_map(void *ctx)
{
    return on_start(ctx, DVC_TOK_OBJ);
}

static int
cb_start_array(void *ctx)
{
    return on_start(ctx, DVC_TOK_ARR);
}

static void
property_names(dvc_validate_ctx_t *v, dvc_vi_t *p, uint32_t idx,
    const char *k, size_t len)
{
    size_t mark = v->top, vbeg = v->nv, i, cps = SIZE_MAX;

    spawn(v, p->s->propnames, p, REL_PROPNAMES, idx, 1, p->sink,
          "propertyNames", 0);
    for (i = vbeg; i < v->nv; i++) {
        check_scalar(v, v->vlist[i], DVC_TOK_STR, k, len, &cps);
    }
    end_value(v, vbeg, mark, DVC_TOK_STR, 0);
}

/* A member's key, before any of its schemas: its count and limits, the
 * path, propertyNames (which runs to completion on the key alone).  0 to
 * go on with the member, else cb_map_key's answer. */
static int
key_begin(dvc_validate_ctx_t *v, dvc_frame_t *f, const char *k, size_t len,
    size_t end, uint32_t *idx)
{
    size_t    i;
    dvc_vi_t *p;

    if (v->status) {
        return 0;
    }
    if (len > v->lim.max_string_len) {
        fatal(v, DVC_ERR_STRING);
        return 0;
    }
    *idx = f->count++;
    if (f->count > v->lim.max_properties) {
        fatal(v, DVC_ERR_PROPERTIES);
        return 0;
    }
    if (v->capped) {
        v->path_len = f->path_len;
        path_push_key(v, k, len);
        return go_on(v);
    }
    rec_token(v, DVC_TOK_KEY, k, len);
    v->path_len = f->path_len;
    path_push_key(v, k, len);

    for (i = f->vbeg; f->propnames && i < end; i++) {
        p = v->vlist[i];
        if (p->s->kw & KW_PROPNAMES) {
            property_names(v, p, *idx, k, len);
        }
    }
    return -1;
}

/* The member k of the object instance p by its name (the names table of
 * p's schema: properties, required, dependent*): 1 if a property schema
 * applies.  *hash is the key's, computed once for all of the object's
 * schemas (*hashed). */
HOT int
key_by_name(dvc_validate_ctx_t *v, dvc_frame_t *f, dvc_vi_t *p,
    const char *k, size_t len, uint32_t idx, size_t end, uint32_t *hash,
    int *hashed)
{
    const dvc_snode_t *s = p->s, *t, *lt;
    int                n;

    n = -1;
    if (f->expect != DVC_NAME_NONE) {
        /* the container's one schema (set by on_start) */
        n = sname_expected(s, f->expect, k, len);
    }
    if (n < 0) {
        if (!*hashed) {
            *hash = dvc_name_hash(k, len);
            *hashed = 1;
        }
        n = sname_lookup(s, k, len, *hash);
    }
    if (n < 0) {
        return 0;
    }
    if (f->expect != DVC_NAME_NONE) {
        f->expect = s->names[n].next;
    }
    present_set(p, (size_t) n);
    t = s->names[n].prop;
    if (t == NULL) {
        return 0;
    }
    lt = s->names[n].leaf;
    if (lt != NULL && v->nv == end && f->leaf == NULL) {
        /* the common member: its first schema, a plain leaf (resolved at
         * compile time), waits in the frame; spawned only if the value is
         * a container (on_start) or another schema of the member spawns
         * after it */
        f->leaf = lt;
        f->leaf_up = p;
        f->leaf_idx = idx;
        f->leaf_rel = REL_PROP;
    } else if (t->kw) {
        if (f->leaf != NULL) {
            leaf_spawn(v, f);
        }
        spawn(v, t, p, REL_PROP, idx, 1, p->sink, "properties", 0);
    }
    return 1;
}

/* The member k of p past its name: patternProperties, then
 * additionalProperties if nothing matched, unevaluatedProperties. */
HOT void
key_others(dvc_validate_ctx_t *v, dvc_frame_t *f, dvc_vi_t *p,
    const char *k, size_t len, uint32_t idx, int matched)
{
    const dvc_snode_t *s = p->s;
    size_t             j;
    int                r;

    for (j = 0; j < s->npprops; j++) {
        r = dvc_regex_search_utf8(s->pprops[j].re, v->scratch, k, len);
        if (r == 1) {
            matched = 1;
            if (s->pprops[j].s->kw) {
                if (f->leaf != NULL) {
                    leaf_spawn(v, f);
                }
                spawn(v, s->pprops[j].s, p, REL_PROP, idx, 1, p->sink,
                      "patternProperties", 0);
            }
        }
    }
    if (!matched && s->addl) {
        matched = 1;
        if (s->addl->kw) {
            if (f->leaf != NULL) {
                leaf_spawn(v, f);
            }
            spawn(v, s->addl, p, REL_ADDL, idx, 1, p->sink,
                  "additionalProperties", 0);
        }
    }
    if (matched && p->tracked && bits_set(v, &p->eval, idx) != 0) {
        fatal(v, DVC_ERR_NOMEM);
    }
    if (s->uneval_props && p->tracked) {
        if (f->leaf != NULL) {
            leaf_spawn(v, f);
        }
        spawn(v, s->uneval_props, p, REL_UNEVAL, idx, 1, NULL,
              "unevaluatedProperties", 0);
    }
}

static int
cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
    dvc_validate_ctx_t *v = ctx;
    dvc_frame_t        *f = &v->frames[v->depth - 1];
    const char         *k = (const char *) key;
    dvc_vi_t           *p;
    size_t              i, end = f->vend;
    uint32_t            idx = 0, hash = 0;
    int                 matched, r, hashed = 0;

    r = key_begin(v, f, k, len, end, &idx);
    if (r >= 0) {
        return r;
    }
    f->child_mark = v->top;
    f->leaf = NULL;
    for (i = f->vbeg; i < end; i++) {
        p = v->vlist[i];
        if (!(p->s->kw & KW_OBJECT)) {
            continue;
        }
        matched = p->s->nnames
                  && key_by_name(v, f, p, k, len, idx, end, &hash, &hashed);
        key_others(v, f, p, k, len, idx, matched);
    }
    return go_on(v);
}

/* 1 if vi, the then (else) of an if/then/else, is already known not to
 * apply: its if instance, finished before it, failed (passed) and has
 * nothing left for finalize to add.  Its container-end errors are then not
 * worth recording (an online dossier's then `required` failed every time). */
static int
branch_moot(const dvc_vi_t *vi)
{
    const dvc_vi_t *c;

    for (c = vi->up->first; c != NULL && c != vi; c = c->next) {
        if (c->rel == REL_IF) {
            if (c->s->kw & (KW_INPLACE | KW_UNEVAL)) {
                return 0;       /* its children decide in finalize */
            }
            return c->valid != (vi->rel == REL_THEN);
        }
    }
    return 0;
}

static int
on_end(dvc_validate_ctx_t *v)
{
    dvc_frame_t *f = &v->frames[v->depth - 1];
    size_t       i;
    dvc_tok_t   *t;
    int          tok = f->type;

    if (v->status | v->capped) {
        return v->status ? 0 : drain_end(v);
    }
    if (v->recording) {
        t = &v->rec.t[f->rec_start];
        t->size = (uint32_t) (v->rec.n - f->rec_start);
        t->count = f->count;
    }
    v->path_len = f->path_len;
    for (i = f->vbeg; i < f->vend; i++) {
        dvc_vi_t *vi = v->vlist[i];

        if ((vi->rel == REL_THEN || vi->rel == REL_ELSE) && vi->sink != NULL
            && branch_moot(vi))
        {
            vi->sink = NULL;
        }
        if (tok == DVC_TOK_OBJ && (vi->s->kw & (KW_OBJECT | KW_CONST
                                                | KW_ENUM)))
        {
            check_object_end(v, vi, f);
        } else if (tok == DVC_TOK_ARR
                   && (vi->s->kw & (KW_ARRAY | KW_CONST | KW_ENUM)))
        {
            check_array_end(v, vi, f);
        }
    }
    v->depth--;
    if (v->depth == 0) {
        v->value_done = 1;
        v->value_end = dvc_run_offset(v);
    }
    end_value(v, f->vbeg, f->mark, tok, f->count);
    if (f->rec_owner) {
        v->recording = 0;
    }
    return go_on(v);
}

static int
cb_end(void *ctx)
{
    return on_end(ctx);
}

static const yajl_callbacks callbacks = {
    cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end
};

/* ------------------------------------------------------------ yajl memory */

/* yajl's realloc does not pass the old size, which dvc_alloc_t needs (an
 * nginx pool copies it): keep it in a header. */
typedef union {
    size_t      size;
    max_align_t align;
} ymem_hdr_t;

static void *
ymalloc(void *ud, size_t sz)
{
    ymem_hdr_t *h = dvc_malloc(ud, sizeof(ymem_hdr_t) + sz);

    if (h == NULL) {
        return NULL;
    }
    h->size = sz;
    return h + 1;
}

static void *
yrealloc(void *ud, void *p, size_t sz)
{
    ymem_hdr_t *h;

    if (p == NULL) {
        return ymalloc(ud, sz);
    }
    h = (ymem_hdr_t *) p - 1;
    h = dvc_realloc(ud, h, sizeof(ymem_hdr_t) + h->size,
                    sizeof(ymem_hdr_t) + sz);
    if (h == NULL) {
        return NULL;
    }
    h->size = sz;
    return h + 1;
}

static void
yfree(void *ud, void *p)
{
    if (p != NULL) {
        dvc_free(ud, (ymem_hdr_t *) p - 1);
    }
}

/* ------------------------------------------------------------ API */

void
dvc_validate_limits_default(dvc_validate_limits_t *l)
{
    l->max_depth = 64;
    l->max_string_len = 1024 * 1024;
    l->max_properties = 10000;
    l->max_items = 100000;
    l->max_total_size = 16 * 1024 * 1024;
    l->max_errors = 100;
}

static int
open_parser(dvc_validate_ctx_t *v)
{
    yajl_alloc_funcs af;

    af.malloc = ymalloc;
    af.realloc = yrealloc;
    af.free = yfree;
    af.ctx = (void *) v->alloc;
    v->h = yajl_alloc(&callbacks, &af, v);
    if (v->h == NULL) {
        return -1;
    }
    /* the handle is reused from one document to the next (allocating and
     * freeing it cost ~2,000 instructions a dossier): after a complete
     * value it takes the next document's value; begin_value refuses a
     * second one within a document */
    yajl_config(v->h, yajl_allow_multiple_values, 1);
    /* feed checks the UTF-8 of the raw bytes, strictly (RFC 3629), before
     * yajl sees them; yajl's own check is looser (it passes overlongs,
     * surrogates and code points past U+10FFFF) and would only cost time */
    yajl_config(v->h, yajl_dont_validate_strings, 1);
    v->parser_clean = 1;
    return 0;
}

dvc_validate_ctx_t *
dvc_validate_new(const dvc_alloc_t *a, const dvc_schema_t *s,
    const dvc_validate_limits_t *limits)
{
    dvc_validate_ctx_t *v = dvc_calloc(a, 1, sizeof(*v));

    if (v == NULL) {
        return NULL;
    }
    v->alloc = a;
    v->schema = s;
    if (limits != NULL) {
        v->lim = *limits;
    } else {
        dvc_validate_limits_default(&v->lim);
    }
    if (v->lim.max_errors == 0) {
        v->lim.max_errors = 1;
    }
    v->rec.alloc = a;
    dvc_buf_init(&v->rec.text, a);
    dvc_buf_init(&v->strs, a);
    v->scratch = dvc_regex_scratch_new(a);
    if (v->scratch == NULL || open_parser(v) != 0) {
        dvc_validate_free(v);
        return NULL;
    }
    v->valid = 1;
    return v;
}

void
dvc_validate_reset(dvc_validate_ctx_t *v)
{
    vi_pop(v, 0);
    v->nv = 0;
    v->depth = 0;
    v->path_len = 0;
    v->recording = 0;
    v->rec.n = 0;
    dvc_buf_reset(&v->rec.text);
    dvc_buf_reset(&v->strs);
    v->compact_at = 0;
    v->npool = 0;
    v->nlive = 0;
    v->free_rec = 0;
    memset(&v->errors, 0, sizeof(v->errors));
    v->nout = 0;
    v->status = 0;
    v->finished = 0;
    v->capped = 0;
    v->valid = 1;
    v->fed = 0;
    dvc_utf8_stream_reset(&v->u8);
    dvc_json_esc_reset(&v->esc);
    v->got_value = 0;
    v->value_done = 0;
    v->value_end = 0;
    if (v->h != NULL && v->parser_clean) {
        return;
    }
    if (v->h != NULL) {
        yajl_free(v->h);
        v->h = NULL;
    }
    if (open_parser(v) != 0) {
        v->status = DVC_ERR_NOMEM;
    }
}

void
dvc_validate_free(dvc_validate_ctx_t *v)
{
    size_t i;

    if (v == NULL) {
        return;
    }
    if (v->chunks != NULL) {
        vi_pop(v, 0);
    }
    for (i = 0; i < v->nchunks; i++) {
        dvc_free(v->alloc, v->chunks[i]);
    }
    dvc_free(v->alloc, v->chunks);
    dvc_free(v->alloc, v->vlist);
    dvc_free(v->alloc, v->frames);
    dvc_free(v->alloc, v->path);
    dvc_rec_free(&v->rec);
    dvc_free(v->alloc, v->pool);
    dvc_buf_free(&v->strs);
    dvc_free(v->alloc, v->out);
    if (v->scratch != NULL) {
        dvc_regex_scratch_free(v->alloc, v->scratch);
    }
    if (v->h != NULL) {
        yajl_free(v->h);
    }
    dvc_free(v->alloc, v);
}

static int
parse_failed(dvc_validate_ctx_t *v, const unsigned char *buf, size_t len)
{
    unsigned char *msg;
    int            st = DVC_ERR_SYNTAX;

    msg = yajl_get_error(v->h, 0, buf, len);
    if (msg != NULL) {
        /* never a UTF-8 error: feed checks it, yajl is told not to */
        if (strstr((char *) msg, "premature EOF") != NULL) {
            st = DVC_ERR_INCOMPLETE;
        }
        yajl_free_error(v->h, msg);
    }
    return st;
}

/* After the document's value only whitespace may come: the parser, kept
 * from one document to the next, would take a second value or hold a token
 * begun after it.  1 (the syntax error reported at the first such byte,
 * wherever the buffers split) if something else came. */
static int
trailing_garbage(dvc_validate_ctx_t *v, const void *buf, size_t len)
{
    const unsigned char *b = buf;
    size_t               i;

    i = v->value_end > v->fed ? v->value_end - v->fed : 0;
    for (; i < len; i++) {
        if (b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') {
            break;
        }
    }
    if (i >= len) {
        return 0;
    }
    v->status = DVC_ERR_SYNTAX;
    v->fed += i;
    dvc_err_fatal(v, v->status);
    dvc_err_finish(v);
    return 1;
}

/* yajl reads the n bytes at p, the document's from offset v->fed on: 0, or
 * the fatal status it stopped at (v->fed then says where). */
static int
parse_bytes(dvc_validate_ctx_t *v, const unsigned char *p, size_t n)
{
    yajl_status st;

    if (n == 0) {
        return 0;
    }
    v->in_parse = 1;
    st = yajl_parse(v->h, p, n);
    v->in_parse = 0;
    /* after the value, the first byte that is not whitespace is the
     * error, whatever a token begun there then hit (a string past
     * max_string_len is only seen at its end) */
    if (v->value_done && v->status != DVC_ERR_NOMEM
        && trailing_garbage(v, p, n))
    {
        return v->status;
    }
    if (st == yajl_status_error) {
        v->status = parse_failed(v, p, n);
    }
    if (v->status) {
        v->fed += yajl_get_bytes_consumed(v->h);
        dvc_err_fatal(v, v->status);
        dvc_err_finish(v);
        return v->status;
    }
    v->fed += n;
    return 0;
}

static int feed_bytes(dvc_validate_ctx_t *v, const unsigned char *b,
    size_t len, size_t base);

int
dvc_validate_feed(dvc_validate_ctx_t *v, const void *buf, size_t len)
{
    size_t base, room;
    int    rc;

    if (v->finished) {
        return v->status ? v->status : DVC_ERR_STATE;
    }
    if (v->status) {
        return v->status;
    }
    /* buf's offset: yajl has read all before it but a UTF-8 sequence the
     * last buffer's end cut */
    base = v->fed + v->u8.have;
    room = base < v->lim.max_total_size ? v->lim.max_total_size - base : 0;
    if (len <= room) {
        return feed_bytes(v, buf, len, base);
    }
    /* the bytes before the limit are read first, so that a fault among
     * them comes first, and the limit is at the same byte, however the
     * document is cut */
    if (room > 0 && (rc = feed_bytes(v, buf, room, base)) != DVC_VALID) {
        return rc;
    }
    v->status = DVC_ERR_SIZE;
    v->fed = v->lim.max_total_size;
    dvc_err_fatal(v, v->status);
    dvc_err_finish(v);
    return v->status;
}

/* Reads len bytes at b, the document's from offset base on. */
static int
feed_bytes(dvc_validate_ctx_t *v, const unsigned char *b, size_t len,
    size_t base)
{
    size_t               esc_at = 0;
    dvc_utf8_span_t      u;
    int                  bad_utf8;

    /*
     * UTF-8 first, over the raw bytes, strictly: yajl reads only whole
     * valid sequences, those before the first invalid one, so whatever
     * comes first in the document is reported (a syntax error, a limit, or
     * json_utf8 at that sequence's first byte, which may lie in an earlier
     * buffer when its end cut the sequence), and no callback ever sees a
     * string with invalid UTF-8.  A sequence cut by buf's end waits for the
     * next buffer, so yajl never sees part of one and the verdict does not
     * depend on where the body is cut.  Bytes >= 0x80 outside strings are
     * errors either way: json_utf8 if they are not UTF-8, yajl's json_syntax
     * if they are.  A \u escape of a lone surrogate (yajl would make it "?",
     * another character or bytes that are not UTF-8) is json_utf8 at its
     * backslash, by the same rule, except that yajl reads the backslash
     * too: it may have read it with an earlier buffer before the escape
     * was known to be bad, so a backslash yajl refuses (outside a string)
     * is json_syntax however the body is cut.
     */
    bad_utf8 = dvc_utf8_stream_feed(&v->u8, b, len, base, &u) != 0;
    if (dvc_json_esc_feed(&v->esc, b, len, base, &esc_at) != 0
        && (!bad_utf8 || esc_at < u.at))
    {
        bad_utf8 = 1;
        u.at = esc_at;
        if (esc_at < base) {
            /* begun in an earlier buffer: nothing of this one is read */
            u.joined = 0;
            u.to = u.from;
        } else if (esc_at - base < u.to) {
            u.to = esc_at - base < u.from ? u.from : esc_at - base + 1;
        }
    }
    v->parser_clean = 0;
    if (parse_bytes(v, v->u8.joined, u.joined) != 0
        || parse_bytes(v, b + u.from, u.to - u.from) != 0)
    {
        return v->status;
    }
    if (bad_utf8) {
        v->status = DVC_ERR_UTF8;
        v->fed = u.at;
        dvc_err_fatal(v, v->status);
        dvc_err_finish(v);
        return v->status;
    }
    return DVC_VALID;
}

int
dvc_validate_finish(dvc_validate_ctx_t *v)
{
    yajl_status st;
    size_t      at;

    if (v->finished) {
        return v->status ? v->status : (v->valid ? DVC_VALID : DVC_INVALID);
    }
    v->finished = 1;
    if (v->status) {
        return v->status;
    }
    if (dvc_utf8_stream_end(&v->u8, &at) != 0) {
        /* the document ends inside a UTF-8 sequence: an error before the
         * end yajl would complain of, if it does */
        v->parser_clean = 0;
        v->status = DVC_ERR_UTF8;
        v->fed = at;
        dvc_err_fatal(v, v->status);
        dvc_err_finish(v);
        return v->status;
    }
    v->parser_clean = 0;
    st = yajl_complete_parse(v->h);
    if (st == yajl_status_error && v->status == 0) {
        v->status = parse_failed(v, NULL, 0);
    }
    if (v->status == 0 && (v->depth > 0 || !v->got_value)) {
        v->status = DVC_ERR_INCOMPLETE;
    }
    if (v->status) {
        dvc_err_fatal(v, v->status);
        dvc_err_finish(v);
        return v->status;
    }
    /* one whole value parsed, nothing pending in the lexer */
    v->parser_clean = 1;
    if (dvc_err_finish(v) != 0) {
        v->status = DVC_ERR_NOMEM;
        return v->status;
    }
    if (v->capped || v->errors.n > 0) {
        v->valid = 0;
    }
    return v->valid ? DVC_VALID : DVC_INVALID;
}

size_t
dvc_validate_offset(const dvc_validate_ctx_t *v)
{
    return v->fed;
}
