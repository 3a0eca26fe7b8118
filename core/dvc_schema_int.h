/*
 * Internals shared by the schema compiler (dvc_schema_compile.c), the
 * streaming engine (dvc_schema_validate.c), JSON value tokens for const, enum
 * and uniqueItems (dvc_schema_value.c) and error reporting
 * (dvc_schema_errors.c).  Not part of the public API.
 */
#ifndef DVC_SCHEMA_INT_H
#define DVC_SCHEMA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_regex.h"
#include "dvc_schema.h"

/* ------------------------------------------------------------ arena */

/* Bump allocator for the compiled schema: everything is freed at once. */
typedef struct dvc_arena_blk dvc_arena_blk_t;

typedef struct {
    const dvc_alloc_t *alloc;
    dvc_arena_blk_t   *blk;
    int                failed;
} dvc_arena_t;

void *dvc_arena_alloc(dvc_arena_t *ar, size_t size);   /* zeroed */
/* Zeroed, at a multiple of align (a power of two, 16 to 4096). */
void *dvc_arena_alloc_aligned(dvc_arena_t *ar, size_t size, size_t align);
char *dvc_arena_strndup(dvc_arena_t *ar, const char *s, size_t len);
void  dvc_arena_free(dvc_arena_t *ar);

/* ------------------------------------------------------------ values */

/* A JSON value as a flat run of tokens (pre-order): a container token counts
 * its children and the tokens of its whole subtree, an object's members are
 * a KEY token followed by the value.  Text lives in a separate byte area
 * addressed by offset, so a growing recorder can realloc it. */
enum {
    DVC_TOK_NULL = 0, DVC_TOK_FALSE, DVC_TOK_TRUE, DVC_TOK_NUM, DVC_TOK_STR,
    DVC_TOK_ARR, DVC_TOK_OBJ, DVC_TOK_KEY
};

typedef struct {
    uint8_t  type;
    uint32_t size;    /* tokens in this subtree, itself included */
    uint32_t count;   /* children (members for objects) */
    size_t   off;     /* text offset (NUM, STR, KEY) */
    size_t   len;
} dvc_tok_t;

typedef struct {
    const dvc_tok_t *t;
    const char      *text;
    int              nfc;    /* strings equal in NFC (a's setting rules) */
} dvc_tokv_t;

/* 1 if the values at a.t[ai] and b.t[bi] are equal in the JSON Schema sense
 * (numbers by value, objects regardless of member order). */
int dvc_tok_equal(dvc_tokv_t a, size_t ai, dvc_tokv_t b, size_t bi);

/* A hash equal for values dvc_tok_equal finds equal (uniqueItems sorts
 * by it); scratch holds NFC forms. */
uint64_t dvc_tok_hash(dvc_tokv_t a, size_t i, dvc_buf_t *scratch);

/* Growable token recorder (runtime, for containers under const, enum and
 * uniqueItems). */
typedef struct {
    const dvc_alloc_t *alloc;
    dvc_tok_t         *t;
    size_t             n, cap;
    dvc_buf_t          text;
} dvc_rec_t;

int  dvc_rec_push(dvc_rec_t *r, int type, const char *s, size_t len);
void dvc_rec_free(dvc_rec_t *r);

/* ------------------------------------------------------------ compiled */

enum {
    DVC_T_NULL = 1, DVC_T_BOOL = 2, DVC_T_INT = 4, DVC_T_NUM = 8,
    DVC_T_STR = 16, DVC_T_ARR = 32, DVC_T_OBJ = 64
};

/* Keyword presence, tested on the hot path. */
#define KW_FALSE        (1u << 0)   /* the boolean schema false */
#define KW_TYPE         (1u << 1)
#define KW_CONST        (1u << 2)
#define KW_ENUM         (1u << 3)
#define KW_NUMERIC      (1u << 4)   /* any of minimum .. multipleOf */
#define KW_STRING       (1u << 5)   /* minLength, maxLength, pattern, format */
#define KW_OBJECT       (1u << 6)   /* any object keyword */
#define KW_ARRAY        (1u << 7)   /* any array keyword */
#define KW_INPLACE      (1u << 8)   /* $ref, allOf, .. applied to the same value */
#define KW_REC_OBJ      (1u << 9)   /* const/enum holds an object: record one */
#define KW_REC_ARR      (1u << 10)  /* const/enum holds an array, or uniqueItems */
#define KW_UNEVAL       (1u << 11)  /* unevaluatedProperties/Items present */
#define KW_PROPNAMES    (1u << 12)  /* propertyNames other than true */

/* Hash of a member name, computed once per key for every schema: eight
 * bytes at a time (the last word overlaps the one before, the length is
 * mixed in), so a key costs a few multiplies rather than one per byte. */
static inline uint64_t
dvc_name_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

static inline uint32_t
dvc_name_hash(const char *k, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
    uint32_t a, b;
    size_t   i = 0;

    if (len >= 8) {
        for (; i + 8 <= len; i += 8) {
            memcpy(&w, k + i, 8);
            h = dvc_name_mix(h, w);
        }
        if (i < len) {
            memcpy(&w, k + len - 8, 8);
            h = dvc_name_mix(h, w);
        }
    } else {
        if (len >= 4) {
            memcpy(&a, k, 4);
            memcpy(&b, k + len - 4, 4);
            w = a | (uint64_t) b << 32;
        } else if (len > 0) {
            w = (uint64_t) (unsigned char) k[0]
                | (uint64_t) (unsigned char) k[len / 2] << 8
                | (uint64_t) (unsigned char) k[len - 1] << 16;
        } else {
            w = 0;
        }
        h = dvc_name_mix(h, w);
    }
    return (uint32_t) dvc_name_mix(h, 0x2545f4914f6cdd1dull);
}

/* memcpy(dst, src, len) for a member name, short ones without a call
 * (two overlapping loads and stores, all within len bytes) */
static inline void
dvc_name_copy(char *dst, const char *src, size_t len)
{
    uint64_t a, b;
    uint32_t c, d;

    if (len >= 8 && len <= 16) {
        memcpy(&a, src, 8);
        memcpy(&b, src + len - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + len - 8, &b, 8);
    } else if (len >= 4 && len < 8) {
        memcpy(&c, src, 4);
        memcpy(&d, src + len - 4, 4);
        memcpy(dst, &c, 4);
        memcpy(dst + len - 4, &d, 4);
    } else {
        memcpy(dst, src, len);
    }
}

/* memcmp(a, b, len) == 0 for the short names and enum strings of schemas,
 * without a call (overlapping word loads, all within len bytes) */
static inline int
dvc_name_eq(const char *a, const char *b, size_t len)
{
    uint64_t x, y, x2, y2, x3, y3, x4, y4;

    if (len >= 8 && len <= 16) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&x2, a + len - 8, 8);
        memcpy(&y2, b + len - 8, 8);
        return ((x ^ y) | (x2 ^ y2)) == 0;
    }
    if (len > 16 && len <= 32) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&x2, a + 8, 8);
        memcpy(&y2, b + 8, 8);
        memcpy(&x3, a + len - 16, 8);
        memcpy(&y3, b + len - 16, 8);
        memcpy(&x4, a + len - 8, 8);
        memcpy(&y4, b + len - 8, 8);
        return ((x ^ y) | (x2 ^ y2) | (x3 ^ y3) | (x4 ^ y4)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t p, q, p2, q2;

        memcpy(&p, a, 4);
        memcpy(&q, b, 4);
        memcpy(&p2, a + len - 4, 4);
        memcpy(&q2, b + len - 4, 4);
        return ((p ^ q) | (p2 ^ q2)) == 0;
    }
    if (len < 4) {
        /* first, middle and last byte cover 1 to 3 */
        return len == 0
               || (a[0] == b[0] && a[len / 2] == b[len / 2]
                   && a[len - 1] == b[len - 1]);
    }
    return memcmp(a, b, len) == 0;
}

typedef struct dvc_snode dvc_snode_t;
typedef struct dvc_sres dvc_sres_t;

/* What few names have: dependentSchemas and dependentRequired. */
typedef struct {
    dvc_snode_t    *depschema;  /* dependentSchemas[key] or NULL */
    const uint32_t *depreq;     /* dependentRequired[key]: indices in names */
    uint32_t        ndepreq;
    const char     *depreq_kw;  /* "dependentRequired" or "dependencies" */
} dvc_sname_dep_t;

#define DVC_NAME_HEAD  16

/* One name of an object schema: properties, required, dependentRequired,
 * dependentSchemas merged into one sorted table (one lookup per key).
 * One cache line each (the table is 64-byte aligned) with all a member's
 * lookup reads: keys of up to DVC_NAME_HEAD bytes compare in `head`,
 * without a second line for the key's text. */
typedef struct {
    uint32_t       hash;       /* dvc_name_hash(key) */
    uint32_t       len;
    dvc_snode_t   *leaf;       /* prop through bare $refs when that is a
                                  plain leaf (compile_leaves), or NULL */
    dvc_snode_t   *prop;       /* properties[key] or NULL */
    char           head[DVC_NAME_HEAD];   /* the key's first bytes */
    const char    *key;        /* the whole key, NUL-terminated */
    dvc_sname_dep_t *dep;      /* NULL: no dependent* for this key */
    uint8_t        required;
    uint32_t       next;       /* the property after this one in the
                                  schema's order, or DVC_NAME_NONE */
} dvc_sname_t;

#define DVC_NAME_NONE  UINT32_MAX

/* 1 if the name is k (len bytes; its hash matched). */
static inline int
dvc_sname_eq(const dvc_sname_t *nm, const char *k, size_t len)
{
    if (nm->len != len) {
        return 0;
    }
    if (len <= DVC_NAME_HEAD) {
        return dvc_name_eq(nm->head, k, len);
    }
    return dvc_name_eq(nm->head, k, DVC_NAME_HEAD)
           && memcmp(nm->key + DVC_NAME_HEAD, k + DVC_NAME_HEAD,
                     len - DVC_NAME_HEAD) == 0;
}

typedef struct {
    dvc_regex_t  *re;
    dvc_snode_t  *s;
} dvc_spat_t;

typedef struct {
    const char   *name;
    size_t        len;
    dvc_snode_t  *s;
} dvc_sanchor_t;

struct dvc_sres {
    const char    *uri;
    dvc_sanchor_t *dyn;      /* $dynamicAnchor names of this resource */
    size_t         ndyn;
};

/* The keywords few subschemas have, out of the node (a subschema without
 * them points to the shared defaults below): applicators on the same value
 * (KW_INPLACE, $ref aside), array keywords (KW_ARRAY), numeric bounds
 * (KW_NUMERIC).  Node memory is most of a compiled schema's. */
typedef struct {
    dvc_snode_t    *dynref;         /* initial target of $dynamicRef */
    const char     *dynanchor;      /* set when the dynamic lookup applies */
    size_t          dynanchor_len;
    dvc_snode_t   **allof, **anyof, **oneof;
    size_t          nallof, nanyof, noneof;
    dvc_snode_t    *not_, *if_, *then_, *else_;
} dvc_sinplace_t;

typedef struct {
    dvc_snode_t   **prefix;
    size_t          nprefix;
    dvc_snode_t    *items, *contains, *uneval_items;
    size_t          min_items, max_items, min_contains, max_contains;
    int             has_min_contains;
} dvc_sarray_t;

typedef struct {
    /* the four bounds as integers when written as plain integers
     * (ibound_ok bit i: minimum, maximum, exclusiveMinimum,
     * exclusiveMaximum), so an integer value compares without parsing */
    int64_t         ibound[4];
    uint8_t         ibound_ok;
    const char     *minimum, *maximum, *xminimum, *xmaximum, *multiple_of;
    size_t          minimum_len, maximum_len, xminimum_len, xmaximum_len,
                    multiple_of_len;
} dvc_snumeric_t;

/* What a node without those keywords points to (dvc_schema_compile.c). */
extern const dvc_sinplace_t  dvc_sinplace_none;
extern const dvc_sarray_t    dvc_sarray_none;
extern const dvc_snumeric_t  dvc_snumeric_none;

struct dvc_snode {
    /* cache line 1 (snodes are 64-byte aligned): what every value and
     * member reads first */
    uint32_t        kw;
    uint8_t         types;
    uint8_t         unique;
    uint8_t         passthrough;    /* only a $ref: use its target */
    uint8_t         req_fast;       /* <= 128 names, no dependentRequired */
    uint32_t        name_mask;      /* name_tab size - 1 */
    int             format;         /* -1: none or unknown */
    uint64_t       *name_tab;       /* hash << 32 | (names index + 1);
                                       0 empty */
    dvc_sname_t    *names;          /* sorted by key */
    size_t          nnames;
    dvc_regex_t    *pattern;
    size_t          min_len, max_len;          /* code points; SIZE_MAX */

    /* line 2: $ref, const and enum; the first property */
    uint32_t        first_name;     /* names index, or DVC_NAME_NONE */
    uint32_t        ndepsch;        /* names with depschema */
    dvc_snode_t    *ref;
    const dvc_sres_t *res;          /* resource, for the dynamic scope */
    dvc_tokv_t      values;                    /* const / enum tokens */
    size_t         *value_idx;                 /* token index of each */
    size_t          nvalues;

    /* line 3: the rest of an object's members */
    uint64_t        req_mask[2];    /* required names (req_fast) */
    dvc_spat_t     *pprops;
    size_t          npprops;
    dvc_snode_t    *addl, *uneval_props, *propnames;
    size_t          nrequired;

    const char     *loc;            /* schema location of this subschema */
    const char     *msg_vi;         /* x-dvc-messages, or NULL */
    const char     *msg_en;

    size_t          min_props, max_props;      /* SIZE_MAX: absent */

    const dvc_sinplace_t *inp;      /* never NULL: see above */
    const dvc_sarray_t   *arr;
    const dvc_snumeric_t *num;
};

struct dvc_schema {
    const dvc_alloc_t *alloc;
    dvc_arena_t        arena;
    dvc_arena_t        lines;    /* a library's nodes and names tables:
                                    whole cache lines, packed without
                                    padding (alone: in arena) */
    dvc_snode_t       *root;
    dvc_regex_t      **regexes;                /* to free */
    size_t             nregexes, cregexes;
    int                track;                  /* some unevaluated* present */
    int                nfc;                    /* !options.exact_strings */
};

/* ------------------------------------------------------------ messages */

typedef struct {
    const char *code;
    const char *vi;
    const char *en;
} dvc_msg_t;

/* Message for a keyword or fatal code (a generic one if unknown). */
const dvc_msg_t *dvc_schema_msg(const char *code);
/* Message for a failed format by its name, NULL if none specific. */
const dvc_msg_t *dvc_schema_format_msg(const char *format);

#endif
