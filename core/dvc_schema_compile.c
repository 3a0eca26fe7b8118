/*
 * The schema compiler: loads schema documents (the root, files of its folder,
 * remotes), indexes their resources ($id) and anchors ($anchor,
 * $dynamicAnchor), resolves every $ref, and builds the immutable dvc_snode_t
 * graph the streaming engine walks.  Runs at configuration time only.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dvc_format.h"
#include "dvc_metaschema.h"
#include "dvc_number.h"
#include "dvc_schema_doc.h"
#include "dvc_schema_int.h"
#include "dvc_schema_uri.h"

#define REMOTE_PREFIX  "http://localhost:1234/"
#define MAX_DOC_SIZE   (16 * 1024 * 1024)

typedef struct {
    const char *uri;        /* absolute, no fragment */
    dvc_sv_t   *root;
    dvc_sres_t *res;
} res_ent_t;

typedef struct {
    const char *uri;        /* resource */
    const char *name;
    dvc_sv_t   *v;
    dvc_sres_t *res;
    int         dynamic;
} anchor_ent_t;

typedef struct {
    dvc_sv_t    *v;
    const char  *base;
    dvc_sres_t  *res;
    const char  *loc;
    dvc_snode_t *node;
    int          novalid;   /* dialect without the validation vocabulary */
    int          fmt_assert; /* dialect with the format-assertion one */
} node_ent_t;

typedef struct {
    uint32_t      hash;
    size_t        len;
    const char   *pat;
    dvc_regex_t  *re;
} re_ent_t;

typedef struct compiler_s compiler_t;

struct compiler_s {
    dvc_schema_t               *schema;
    dvc_arena_t                *out;        /* the compiled schema */
    dvc_arena_t                *lines;      /* its nodes, names tables */
    compiler_t                 *lib;        /* the shared documents, or NULL */
    dvc_arena_t                 tmp;        /* freed after compiling */
    const dvc_schema_options_t *opt;
    char                       *err;
    size_t                      errlen;
    int                         failed;

    res_ent_t                  *res;
    size_t                      nres, cres;
    anchor_ent_t               *anchors;
    size_t                      nanchors, canchors;
    const char                **map_from;   /* $id folder -> file folder */
    const char                **map_to;
    size_t                      nmaps, cmaps, cmaps2;
    node_ent_t                 *nodes;      /* open addressing on v */
    size_t                      nnodes, cnodes;
    const char                 *root_uri;
    int                         scan_novalid;
    int                         scan_fmt_assert;
    int                         shared;     /* this is a library's */
    re_ent_t                   *recache;    /* a library's patterns */
    size_t                      nrecache, crecache;
    /* where a keyword group goes when there is no memory for it (the
     * compilation has failed) */
    dvc_sinplace_t              lost_inp;
    dvc_sarray_t                lost_arr;
    dvc_snumeric_t              lost_num;
};

/* Shared documents compiled once for every schema compiled with them: a
 * compiler kept between compilations, its nodes, patterns and resources
 * in `out` (dvc_schema.h). */
struct dvc_schema_lib {
    compiler_t            c;
    dvc_schema_t          out;
    dvc_schema_options_t  opt;
    char                 *base_dir;
    char                  err[512];   /* why it failed, once it has */
};

static dvc_snode_t *compile_node(compiler_t *c, dvc_sv_t *v);
static void dvc_schema_free_parts(dvc_schema_t *s);

_Static_assert(sizeof(dvc_snode_t) % 64 == 0,
               "a node is whole cache lines (dvc_schema_int.h)");
_Static_assert(sizeof(dvc_sname_t) == 64, "a name is one cache line");

const dvc_sinplace_t  dvc_sinplace_none;
const dvc_sarray_t    dvc_sarray_none = {
    .max_items = SIZE_MAX, .min_contains = 1, .max_contains = SIZE_MAX
};
const dvc_snumeric_t  dvc_snumeric_none;

static void fail(compiler_t *c, const char *fmt, ...);

/* A node's own group of the keywords few have (dvc_schema_int.h), made
 * from the defaults the first time one of them is set. */
#define GROUP_OF(name, type, field, none, lost)                             \
    static type *                                                          \
    name(compiler_t *c, dvc_snode_t *s)                                    \
    {                                                                      \
        type *g;                                                           \
                                                                           \
        if (s->field != &none) {                                           \
            return (type *) s->field;                                      \
        }                                                                  \
        g = dvc_arena_alloc(c->out, sizeof(type));                         \
        if (g == NULL) {                                                   \
            fail(c, "out of memory");                                      \
            return &c->lost;                                               \
        }                                                                  \
        *g = none;                                                         \
        s->field = g;                                                      \
        return g;                                                          \
    }

GROUP_OF(inplace_of, dvc_sinplace_t, inp, dvc_sinplace_none, lost_inp)
GROUP_OF(array_of, dvc_sarray_t, arr, dvc_sarray_none, lost_arr)
GROUP_OF(numeric_of, dvc_snumeric_t, num, dvc_snumeric_none, lost_num)

static void
fail(compiler_t *c, const char *fmt, ...)
{
    va_list ap;

    if (c->failed) {
        return;
    }
    c->failed = 1;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
}

static void *
grow(compiler_t *c, void *p, size_t *cap, size_t n, size_t size)
{
    size_t  ncap;
    void   *q;

    if (n < *cap) {
        return p;
    }
    ncap = *cap ? *cap * 2 : 16;
    q = dvc_arena_alloc(&c->tmp, ncap * size);
    if (q == NULL) {
        fail(c, "out of memory");
        return NULL;
    }
    if (n) {
        memcpy(q, p, n * size);
    }
    *cap = ncap;
    return q;
}

static char *
tmpstr(compiler_t *c, const char *s)
{
    char *p = dvc_arena_strndup(&c->tmp, s, strlen(s));

    if (p == NULL) {
        fail(c, "out of memory");
    }
    return p;
}

/* A location in messages: the root's JSON Pointer, "", is shown as "/". */
#define AT(loc)  ((loc)[0] != '\0' ? (loc) : "/")

/*
 * A keyword's bad value in messages, as JSON: a string quoted (its first
 * 40 bytes, whole characters, then "..."), a number's text, true, false,
 * null; an array or an object by its kind.
 */
static const char *
value_text(compiler_t *c, const dvc_sv_t *v)
{
    size_t      n;
    dvc_buf_t   b;
    const char *s;

    switch (v->type) {
    case DVC_TOK_NULL:
        return "null";
    case DVC_TOK_TRUE:
        return "true";
    case DVC_TOK_FALSE:
        return "false";
    case DVC_TOK_ARR:
        return "an array";
    case DVC_TOK_OBJ:
        return "an object";
    default:
        break;
    }
    n = v->len;
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char) v->s[n] & 0xc0) == 0x80) {
            n--;
        }
    }
    dvc_buf_init(&b, c->schema->alloc);
    if (v->type == DVC_TOK_STR) {
        dvc_buf_json_str(&b, v->s, n);
    } else {
        dvc_buf_append(&b, v->s, n);
    }
    if (n < v->len) {
        dvc_buf_puts(&b, "...");
    }
    s = dvc_buf_cstr(&b) ? tmpstr(c, b.data) : NULL;
    dvc_buf_free(&b);
    return s != NULL ? s : "?";
}

/* ------------------------------------------------------------ node table */

static size_t
ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t) p;

    x ^= x >> 17;
    x *= (uintptr_t) 0x9E3779B97F4A7C15ull;
    return (size_t) (x ^ (x >> 29));
}

static node_ent_t *
node_lookup(compiler_t *c, dvc_sv_t *v, int create)
{
    size_t      i, mask, j, ncap;
    node_ent_t *old, *e;

    if (c->cnodes == 0 || (create && (c->nnodes + 1) * 2 > c->cnodes)) {
        old = c->nodes;
        ncap = c->cnodes ? c->cnodes * 2 : 256;
        c->nodes = dvc_arena_alloc(&c->tmp, ncap * sizeof(node_ent_t));
        if (c->nodes == NULL) {
            fail(c, "out of memory");
            c->nodes = old;
            return NULL;
        }
        for (j = 0; j < c->cnodes; j++) {
            if (old[j].v == NULL) {
                continue;
            }
            for (i = ptr_hash(old[j].v) & (ncap - 1); c->nodes[i].v;
                 i = (i + 1) & (ncap - 1))
            {
            }
            c->nodes[i] = old[j];
        }
        c->cnodes = ncap;
    }
    mask = c->cnodes - 1;
    for (i = ptr_hash(v) & mask; ; i = (i + 1) & mask) {
        e = &c->nodes[i];
        if (e->v == v) {
            return e;
        }
        if (e->v == NULL) {
            if (!create) {
                return NULL;
            }
            e->v = v;
            c->nnodes++;
            return e;
        }
    }
}

/* ------------------------------------------------------------ resources */

static res_ent_t *
res_find(compiler_t *c, const char *uri)
{
    size_t i;

    for (i = 0; i < c->nres; i++) {
        if (strcmp(c->res[i].uri, uri) == 0) {
            return &c->res[i];
        }
    }
    return NULL;
}

static dvc_sres_t *
res_add(compiler_t *c, const char *uri, dvc_sv_t *root)
{
    res_ent_t *r = res_find(c, uri);

    if (r != NULL) {
        return r->root == root ? r->res : NULL;
    }
    c->res = grow(c, c->res, &c->cres, c->nres, sizeof(res_ent_t));
    if (c->res == NULL) {
        return NULL;
    }
    r = &c->res[c->nres++];
    r->uri = tmpstr(c, uri);
    r->root = root;
    r->res = dvc_arena_alloc(c->out, sizeof(dvc_sres_t));
    if (r->res == NULL || r->uri == NULL) {
        fail(c, "out of memory");
        return NULL;
    }
    r->res->uri = dvc_arena_strndup(c->out, uri, strlen(uri));
    return r->res;
}

static void
anchor_add(compiler_t *c, const char *uri, const char *name, dvc_sv_t *v,
    dvc_sres_t *res, int dynamic)
{
    anchor_ent_t *a;

    c->anchors = grow(c, c->anchors, &c->canchors, c->nanchors,
                      sizeof(anchor_ent_t));
    if (c->anchors == NULL) {
        return;
    }
    a = &c->anchors[c->nanchors++];
    a->uri = tmpstr(c, uri);
    a->name = tmpstr(c, name);
    a->v = v;
    a->res = res;
    a->dynamic = dynamic;
}

/* Strips the fragment (and an empty one) off uri, in place. */
static void
strip_fragment(char *uri)
{
    char *h = strchr(uri, '#');

    if (h != NULL) {
        *h = '\0';
    }
}

static const char *
loc_join(compiler_t *c, const char *loc, const char *key, size_t klen)
{
    dvc_buf_t   b;
    const char *s;
    char       *p;
    size_t      n;

    if (memchr(key, '~', klen) == NULL && memchr(key, '/', klen) == NULL) {
        /* nothing to escape (nearly every key): straight into the arena */
        n = strlen(loc);
        p = dvc_arena_alloc(&c->tmp, n + 1 + klen + 1);
        if (p == NULL) {
            fail(c, "out of memory");
            return NULL;
        }
        memcpy(p, loc, n);
        p[n] = '/';
        memcpy(p + n + 1, key, klen);
        p[n + 1 + klen] = '\0';
        return p;
    }
    dvc_buf_init(&b, c->schema->alloc);
    dvc_buf_puts(&b, loc);
    dvc_buf_putc(&b, '/');
    dvc_buf_pointer_token(&b, key, klen);
    s = dvc_buf_cstr(&b) ? tmpstr(c, b.data) : NULL;
    dvc_buf_free(&b);
    if (s == NULL) {
        fail(c, "out of memory");
    }
    return s;
}

static const char *
loc_index(compiler_t *c, const char *loc, const char *key, size_t i)
{
    char n[32];

    snprintf(n, sizeof(n), "%zu", i);
    loc = loc_join(c, loc, key, strlen(key));
    return loc ? loc_join(c, loc, n, strlen(n)) : NULL;
}

static int
is_kw(const char *k, size_t klen, const char *const *list)
{
    for (; *list; list++) {
        if (strlen(*list) == klen && memcmp(*list, k, klen) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The validation vocabulary (JSON Schema Validation 2020-12 section 6). */
static const char *const kw_validation[] = {
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum",
    "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern",
    "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "required", "dependentRequired", NULL
};

static const char *const kw_one[] = {
    "additionalProperties", "unevaluatedProperties", "propertyNames",
    "items", "contains", "unevaluatedItems", "not", "if", "then", "else",
    NULL
};
static const char *const kw_list[] = {
    "allOf", "anyOf", "oneOf", "prefixItems", NULL
};
static const char *const kw_map[] = {
    "properties", "patternProperties", "$defs", "dependentSchemas",
    "dependencies", NULL
};

/* 1 if uri names the meta-schema of an earlier JSON Schema draft (03 to
 * 2019-09), http or https, with or without the empty fragment. */
static int
older_draft(const char *uri, size_t len)
{
    static const char *const drafts[] = {
        "json-schema.org/draft-03/schema", "json-schema.org/draft-04/schema",
        "json-schema.org/draft-06/schema", "json-schema.org/draft-07/schema",
        "json-schema.org/draft/2019-09/schema", NULL
    };
    size_t i, n;

    if (len > 7 && memcmp(uri, "http://", 7) == 0) {
        uri += 7;
        len -= 7;
    } else if (len > 8 && memcmp(uri, "https://", 8) == 0) {
        uri += 8;
        len -= 8;
    } else {
        return 0;
    }
    if (len > 0 && uri[len - 1] == '#') {
        len--;
    }
    for (i = 0; drafts[i] != NULL; i++) {
        n = strlen(drafts[i]);
        if (n == len && memcmp(uri, drafts[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Records base URI, resource and location of every subschema under v, and
 * registers the resources and anchors it declares. */
static void
scan(compiler_t *c, dvc_sv_t *v, const char *base, dvc_sres_t *res,
    const char *loc)
{
    node_ent_t *e;
    dvc_sv_t   *id, *anchor, *m;
    dvc_buf_t   b;
    size_t      i, j;
    const char *k;

    if (c->failed || v == NULL) {
        return;
    }
    e = node_lookup(c, v, 1);
    if (e == NULL || e->base != NULL) {
        return;
    }
    e->base = base;
    e->res = res;
    e->loc = loc;
    e->novalid = c->scan_novalid;
    e->fmt_assert = c->scan_fmt_assert;
    if (v->type != DVC_TOK_OBJ) {
        return;
    }
    /* read by 2020-12's rules it would mean something else (items as an
     * array, no prefixItems, ...): refused, never guessed */
    m = dvc_sv_get(v, "$schema");
    if (m != NULL && m->type == DVC_TOK_STR && older_draft(m->s, m->len)) {
        fail(c, "$schema \"%s\" at %s: that draft is not implemented "
             "(only 2020-12)", m->s, AT(loc));
        return;
    }
    id = dvc_sv_get(v, "$id");
    if (id != NULL && id->type == DVC_TOK_STR) {
        dvc_buf_init(&b, c->schema->alloc);
        if (dvc_uri_resolve(&b, base, id->s) != 0) {
            dvc_buf_free(&b);
            fail(c, "out of memory");
            return;
        }
        strip_fragment(b.data);
        base = tmpstr(c, b.data);
        dvc_buf_free(&b);
        if (base == NULL) {
            return;
        }
        res = res_add(c, base, v);
        if (res == NULL) {
            if (!c->failed) {
                fail(c, "$id \"%s\" at %s: declared twice", base, AT(loc));
            }
            return;
        }
        e->base = base;
        e->res = res;
    }
    anchor = dvc_sv_get(v, "$anchor");
    if (anchor != NULL && anchor->type == DVC_TOK_STR) {
        anchor_add(c, base, anchor->s, v, res, 0);
    }
    anchor = dvc_sv_get(v, "$dynamicAnchor");
    if (anchor != NULL && anchor->type == DVC_TOK_STR) {
        anchor_add(c, base, anchor->s, v, res, 1);
    }
    for (i = 0; i < v->n; i++) {
        k = v->keys[i];
        m = v->items[i];
        if (is_kw(k, v->klens[i], kw_one)) {
            scan(c, m, base, res, loc_join(c, loc, k, v->klens[i]));
        } else if (is_kw(k, v->klens[i], kw_list) && m->type == DVC_TOK_ARR) {
            for (j = 0; j < m->n; j++) {
                scan(c, m->items[j], base, res, loc_index(c, loc, k, j));
            }
        } else if (is_kw(k, v->klens[i], kw_map) && m->type == DVC_TOK_OBJ) {
            const char *l2 = loc_join(c, loc, k, v->klens[i]);

            for (j = 0; j < m->n && l2 != NULL; j++) {
                scan(c, m->items[j], base, res,
                     loc_join(c, l2, m->keys[j], m->klens[j]));
            }
        }
    }
}

/* ------------------------------------------------------------ loading */

static char *
read_file(compiler_t *c, const char *path, size_t *len)
{
    FILE  *f;
    char  *buf;
    long   n;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > MAX_DOC_SIZE
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fclose(f);
        return NULL;
    }
    buf = dvc_arena_alloc(&c->tmp, (size_t) n + 1);
    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t) n;
    return buf;
}

/* A file whose $id is https://host/procedures/x.json makes every
 * https://host/procedures/... reference a file of the same folder: schemas
 * name each other by $id, the folder holds them. */
static void
map_id_folder(compiler_t *c, const char *uri, dvc_sv_t *root)
{
    dvc_sv_t   *id = dvc_sv_get(root, "$id");
    dvc_buf_t   b;
    char       *from, *to, *slash;

    if (id == NULL || id->type != DVC_TOK_STR
        || strncmp(uri, "file://", 7) != 0)
    {
        return;
    }
    dvc_buf_init(&b, c->schema->alloc);
    if (dvc_uri_resolve(&b, uri, id->s) != 0) {
        dvc_buf_free(&b);
        return;
    }
    strip_fragment(b.data);
    from = tmpstr(c, b.data);
    to = tmpstr(c, uri);
    dvc_buf_free(&b);
    if (from == NULL || to == NULL || strncmp(from, "file://", 7) == 0) {
        return;
    }
    slash = strrchr(from, '/');
    if (slash == NULL) {
        return;
    }
    slash[1] = '\0';
    strrchr(to, '/')[1] = '\0';
    c->map_from = grow(c, c->map_from, &c->cmaps, c->nmaps, sizeof(char *));
    c->map_to = grow(c, c->map_to, &c->cmaps2, c->nmaps, sizeof(char *));
    if (c->map_from == NULL || c->map_to == NULL) {
        return;
    }
    c->map_from[c->nmaps] = from;
    c->map_to[c->nmaps++] = to;
}

static dvc_sv_t *read_uri(compiler_t *c, const char *uri);

#define VOCAB_VALIDATION \
    "https://json-schema.org/draft/2020-12/vocab/validation"
#define VOCAB_FORMAT_ASSERTION \
    "https://json-schema.org/draft/2020-12/vocab/format-assertion"

/* For the document's $schema when it names a meta-schema we can read:
 * c->scan_novalid when its $vocabulary leaves out the validation vocabulary
 * (its keywords are then annotations), c->scan_fmt_assert when it lists the
 * format-assertion vocabulary, true or false (we know it: format is then
 * asserted whatever opt->format_annotation says).  The standard dialect, or
 * one we cannot read, has validation and format as an annotation. */
static void
dialect_vocabularies(compiler_t *c, const char *uri, dvc_sv_t *root)
{
    dvc_sv_t   *dialect = dvc_sv_get(root, "$schema"), *vocab;
    dvc_buf_t   b;
    res_ent_t  *r;
    char       *meta;
    dvc_sv_t   *mroot;

    c->scan_novalid = 0;
    c->scan_fmt_assert = 0;
    if (dialect == NULL || dialect->type != DVC_TOK_STR
        || strncmp(dialect->s, "https://json-schema.org/", 24) == 0)
    {
        return;
    }
    dvc_buf_init(&b, c->schema->alloc);
    if (dvc_uri_resolve(&b, uri, dialect->s) != 0) {
        dvc_buf_free(&b);
        return;
    }
    strip_fragment(b.data);
    meta = tmpstr(c, b.data);
    dvc_buf_free(&b);
    if (meta == NULL || strcmp(meta, uri) == 0) {
        return;
    }
    /* read only: the meta-schema itself is not compiled */
    r = res_find(c, meta);
    mroot = r != NULL ? r->root : read_uri(c, meta);
    if (mroot == NULL) {
        return;
    }
    vocab = dvc_sv_get(mroot, "$vocabulary");
    if (vocab != NULL && vocab->type == DVC_TOK_OBJ) {
        c->scan_novalid = dvc_sv_get(vocab, VOCAB_VALIDATION) == NULL;
        c->scan_fmt_assert = dvc_sv_get(vocab, VOCAB_FORMAT_ASSERTION) != NULL;
    }
}

/* Parses text as the document at uri and indexes it. */
static dvc_sv_t *
load_text(compiler_t *c, const char *uri, const char *text, size_t len)
{
    dvc_sv_t   *root;
    dvc_sres_t *res;
    char        msg[256];

    root = dvc_doc_parse(&c->tmp, text, len, msg, sizeof(msg));
    if (root == NULL) {
        fail(c, "%s: %s", uri, msg);
        return NULL;
    }
    res = res_add(c, uri, root);
    if (res == NULL) {
        fail(c, "%s: loaded twice", uri);
        return NULL;
    }
    map_id_folder(c, uri, root);
    dialect_vocabularies(c, uri, root);
    if (c->failed) {
        return NULL;
    }
    if (strcmp(uri, c->root_uri) == 0) {
        scan(c, root, tmpstr(c, uri), res, "");
    } else {
        dvc_buf_t b;

        dvc_buf_init(&b, c->schema->alloc);
        dvc_buf_puts(&b, uri);
        dvc_buf_putc(&b, '#');
        scan(c, root, tmpstr(c, uri), res,
             dvc_buf_cstr(&b) ? tmpstr(c, b.data) : "");
        dvc_buf_free(&b);
    }
    return c->failed ? NULL : root;
}

/* The file a URI (without fragment) names: file:// paths,
 * http://localhost:1234/ under remotes_dir, the prefixes of opt->maps, and
 * $id folders of files. */
static int
uri_path(compiler_t *c, const char *uri, char *full, size_t size)
{
    size_t i, n;
    int    w;

    if (strncmp(uri, "file://", 7) == 0) {
        w = snprintf(full, size, "%s", uri + 7);
        return w > 0 && (size_t) w < size;
    }
    if (strncmp(uri, REMOTE_PREFIX, sizeof(REMOTE_PREFIX) - 1) == 0
        && c->opt != NULL && c->opt->remotes_dir != NULL)
    {
        w = snprintf(full, size, "%s/%s", c->opt->remotes_dir,
                     uri + sizeof(REMOTE_PREFIX) - 1);
        return w > 0 && (size_t) w < size;
    }
    for (i = 0; c->opt != NULL && i < c->opt->nmaps; i++) {
        const dvc_schema_map_t *m = &c->opt->maps[i];

        n = strlen(m->prefix);
        if (n == 0 || strncmp(uri, m->prefix, n) != 0) {
            continue;
        }
        w = snprintf(full, size, "%s/%s", m->dir, uri + n);
        if (w <= 0 || (size_t) w >= size) {
            return 0;
        }
        if (access(full, R_OK) != 0 && (size_t) w + 5 < size) {
            memcpy(full + w, ".json", 6);
        }
        return 1;
    }
    for (i = 0; i < c->nmaps; i++) {
        n = strlen(c->map_from[i]);
        if (strncmp(uri, c->map_from[i], n) == 0) {
            w = snprintf(full, size, "%s%s", c->map_to[i] + 7, uri + n);
            return w > 0 && (size_t) w < size;
        }
    }
    return 0;
}

/* Reads and parses the document a URI (without fragment) names (a file,
 * else a built-in 2020-12 meta-schema: dvc_metaschema.h), without
 * indexing it; NULL if it cannot be had. */
static dvc_sv_t *
read_uri(compiler_t *c, const char *uri)
{
    char        full[PATH_MAX], msg[256];
    const char *text = NULL;
    size_t      len;

    if (uri_path(c, uri, full, sizeof(full))) {
        text = read_file(c, full, &len);
    }
    if (text == NULL) {
        text = dvc_metaschema_text(uri, &len);
    }
    return text ? dvc_doc_parse(&c->tmp, text, len, msg, sizeof(msg)) : NULL;
}

/* Loads the document a URI (without fragment) names: file:// paths,
 * http://localhost:1234/ under remotes_dir, and $id folders of files, else
 * a built-in 2020-12 meta-schema (dvc_metaschema.h). */
static int
load_uri(compiler_t *c, const char *uri)
{
    const char *text = NULL;
    char        full[PATH_MAX];
    size_t      len;

    if (uri_path(c, uri, full, sizeof(full))) {
        text = read_file(c, full, &len);
    }
    if (text == NULL) {
        text = dvc_metaschema_text(uri, &len);      /* the built-in ones */
    }
    if (text == NULL) {
        return 0;
    }
    return load_text(c, uri, text, len) != NULL;
}

/* JSON Pointer (percent-decoded fragment) from v. */
static dvc_sv_t *
pointer_get(dvc_sv_t *v, const char *frag)
{
    char        tok[1024];
    size_t      n, i;
    const char *p = frag;
    int         hi, lo;
    char       *end;
    unsigned long idx;

    while (*p == '/' && v != NULL) {
        p++;
        n = 0;
        while (*p && *p != '/' && n < sizeof(tok) - 1) {
            if (*p == '%' && p[1] && p[2]) {
                hi = p[1] <= '9' ? p[1] - '0' : (p[1] | 0x20) - 'a' + 10;
                lo = p[2] <= '9' ? p[2] - '0' : (p[2] | 0x20) - 'a' + 10;
                tok[n++] = (char) (hi * 16 + lo);
                p += 3;
            } else if (*p == '~' && p[1] == '1') {
                tok[n++] = '/';
                p += 2;
            } else if (*p == '~' && p[1] == '0') {
                tok[n++] = '~';
                p += 2;
            } else {
                tok[n++] = *p++;
            }
        }
        tok[n] = '\0';
        if (v->type == DVC_TOK_OBJ) {
            dvc_sv_t *next = NULL;

            for (i = 0; i < v->n; i++) {
                if (v->klens[i] == n && memcmp(v->keys[i], tok, n) == 0) {
                    next = v->items[i];
                    break;
                }
            }
            v = next;
        } else if (v->type == DVC_TOK_ARR) {
            errno = 0;
            idx = strtoul(tok, &end, 10);
            v = (*end == '\0' && n > 0 && idx < v->n) ? v->items[idx] : NULL;
        } else {
            v = NULL;
        }
    }
    return *p == '\0' ? v : NULL;
}

/* The value at #frag of the resource r of compiler o (a pointer or an
 * anchor); NULL if there is none.  A pointer to where no keyword declares a
 * schema is indexed there, at loc, the referring place: never in a library
 * (its nodes must not depend on who refers to them), *local says so. */
static dvc_sv_t *
ref_target(compiler_t *c, compiler_t *o, res_ent_t *r, const char *uri,
    const char *frag, const char *loc, int *local)
{
    dvc_sv_t   *v = NULL;
    node_ent_t *e;
    size_t      i;

    *local = 0;
    if (frag[0] == '\0') {
        return r->root;
    }
    if (frag[0] == '/') {
        v = pointer_get(r->root, frag);
        if (v != NULL) {
            e = node_lookup(o, v, 0);
            if (e == NULL || e->base == NULL) {
                /* somewhere no keyword declares a schema (e.g. under an
                 * unknown keyword): a schema with the resource's base */
                if (o != c) {
                    *local = 1;
                    return NULL;
                }
                scan(c, v, r->uri, r->res, tmpstr(c, loc));
            }
        }
        return v;
    }
    for (i = 0; i < o->nanchors; i++) {
        if (strcmp(o->anchors[i].uri, uri) == 0
            && strcmp(o->anchors[i].name, frag) == 0)
        {
            return o->anchors[i].v;
        }
    }
    return NULL;
}

/* Resolves ref against base to a schema value (loading documents as
 * needed: the library's first, else into this compilation); NULL after
 * fail(). */
static dvc_sv_t *
resolve_ref(compiler_t *c, const char *base, const char *ref, const char *loc,
    const char **frag_out)
{
    dvc_buf_t   b;
    char       *uri, *frag;
    res_ent_t  *r;
    dvc_sv_t   *v = NULL;
    compiler_t *o = c;
    int         local;

    dvc_buf_init(&b, c->schema->alloc);
    if (dvc_uri_resolve(&b, base, ref) != 0) {
        dvc_buf_free(&b);
        fail(c, "out of memory");
        return NULL;
    }
    uri = tmpstr(c, b.data);
    dvc_buf_free(&b);
    if (uri == NULL) {
        return NULL;
    }
    frag = strchr(uri, '#');
    if (frag != NULL) {
        *frag++ = '\0';
    } else {
        frag = "";
    }
    *frag_out = frag;
    r = res_find(c, uri);
    if (r == NULL && c->lib != NULL) {
        r = res_find(c->lib, uri);
        o = r != NULL ? c->lib : c;
    }
    for ( ;; ) {
        if (r == NULL && load_uri(c, uri)) {
            r = res_find(c, uri);
            o = c;
        }
        if (c->failed) {
            return NULL;
        }
        if (r == NULL) {
            fail(c, "$ref \"%s\" at %s: cannot resolve %s", ref, AT(loc),
                 uri);
            return NULL;
        }
        v = ref_target(c, o, r, uri, frag, loc, &local);
        if (!local) {
            break;
        }
        r = NULL;           /* the document again, of this compilation */
    }
    if (v == NULL) {
        fail(c, "$ref \"%s\" at %s: nothing at #%s of %s", ref, AT(loc), frag,
             uri);
    }
    return v;
}

/* ------------------------------------------------------------ keywords */

static int
get_count(compiler_t *c, dvc_sv_t *v, const char *loc, const char *kw,
    size_t *out)
{
    const char *p;
    size_t      n = 0;

    if (v->type != DVC_TOK_NUM || v->s[0] == '-'
        || !dvc_num_is_integer(v->s, v->len))
    {
        fail(c, "%s at %s: must be a non-negative integer, not %s", kw,
             AT(loc), value_text(c, v));
        return -1;
    }
    /* 1.0 and 1e2 are integers too: go through the digits exactly */
    if (strpbrk(v->s, ".eE") != NULL) {
        double d = strtod(v->s, NULL);

        *out = d >= (double) SIZE_MAX ? SIZE_MAX : (size_t) d;
        return 0;
    }
    for (p = v->s; *p; p++) {
        if (n > (SIZE_MAX - 9) / 10) {
            n = SIZE_MAX;
            break;
        }
        n = n * 10 + (size_t) (*p - '0');
    }
    *out = n;
    return 0;
}

static dvc_snode_t *
sub(compiler_t *c, dvc_sv_t *v, const char *loc, const char *kw)
{
    if (v->type != DVC_TOK_OBJ && v->type != DVC_TOK_TRUE
        && v->type != DVC_TOK_FALSE)
    {
        fail(c, "%s at %s: must be a schema (object or boolean), not %s", kw,
             AT(loc), value_text(c, v));
        return NULL;
    }
    return compile_node(c, v);
}

static dvc_snode_t **
sub_list(compiler_t *c, dvc_sv_t *v, const char *loc, const char *kw,
    size_t *n)
{
    dvc_snode_t **list;
    size_t        i;

    if (v->type != DVC_TOK_ARR || (v->n == 0 && strcmp(kw, "prefixItems"))) {
        fail(c, "%s at %s: must be a non-empty array of schemas", kw,
             AT(loc));
        return NULL;
    }
    list = dvc_arena_alloc(c->out, (v->n + 1) * sizeof(*list));
    if (list == NULL) {
        fail(c, "out of memory");
        return NULL;
    }
    for (i = 0; i < v->n; i++) {
        list[i] = sub(c, v->items[i], loc, kw);
    }
    *n = v->n;
    return list;
}

/* Appends v as tokens to a growable run in the schema arena. */
typedef struct {
    dvc_tok_t *t;
    size_t     n, cap;
    dvc_buf_t  text;
} tokbuild_t;

static size_t
tok_put(compiler_t *c, tokbuild_t *tb, dvc_sv_t *v, int key, const char *k,
    size_t klen)
{
    size_t     me, i;
    dvc_tok_t *t;

    tb->t = grow(c, tb->t, &tb->cap, tb->n, sizeof(dvc_tok_t));
    if (tb->t == NULL) {
        return 0;
    }
    me = tb->n++;
    t = &tb->t[me];
    memset(t, 0, sizeof(*t));
    t->size = 1;
    if (key) {
        t->type = DVC_TOK_KEY;
        t->off = tb->text.len;
        t->len = klen;
        dvc_buf_append(&tb->text, k, klen);
        return me;
    }
    t->type = v->type;
    if (v->type == DVC_TOK_NUM || v->type == DVC_TOK_STR) {
        t->off = tb->text.len;
        t->len = v->len;
        dvc_buf_append(&tb->text, v->s, v->len);
    } else if (v->type == DVC_TOK_ARR || v->type == DVC_TOK_OBJ) {
        for (i = 0; i < v->n; i++) {
            if (v->type == DVC_TOK_OBJ) {
                tok_put(c, tb, NULL, 1, v->keys[i], v->klens[i]);
            }
            tok_put(c, tb, v->items[i], 0, NULL, 0);
        }
        tb->t[me].count = (uint32_t) v->n;
        tb->t[me].size = (uint32_t) (tb->n - me);
    }
    return me;
}

static void
compile_values(compiler_t *c, dvc_snode_t *s, dvc_sv_t **vals, size_t n)
{
    tokbuild_t tb;
    size_t     i;
    char      *text;
    dvc_tok_t *t;

    memset(&tb, 0, sizeof(tb));
    dvc_buf_init(&tb.text, c->schema->alloc);
    s->value_idx = dvc_arena_alloc(c->out, (n + 1) * sizeof(size_t));
    if (s->value_idx == NULL) {
        fail(c, "out of memory");
        return;
    }
    for (i = 0; i < n; i++) {
        s->value_idx[i] = tok_put(c, &tb, vals[i], 0, NULL, 0);
        if (vals[i]->type == DVC_TOK_OBJ) {
            s->kw |= KW_REC_OBJ;
        } else if (vals[i]->type == DVC_TOK_ARR) {
            s->kw |= KW_REC_ARR;
        }
    }
    s->nvalues = n;
    t = dvc_arena_alloc(c->out, (tb.n + 1) * sizeof(dvc_tok_t));
    text = dvc_arena_alloc(c->out, tb.text.len + 1);
    if (t == NULL || text == NULL || tb.text.failed || c->failed) {
        dvc_buf_free(&tb.text);
        fail(c, "out of memory");
        return;
    }
    if (tb.n) {
        memcpy(t, tb.t, tb.n * sizeof(dvc_tok_t));
    }
    if (tb.text.len) {
        memcpy(text, tb.text.data, tb.text.len);
    }
    dvc_buf_free(&tb.text);
    s->values.t = t;
    s->values.text = text;
    s->values.nfc = c->schema->nfc;
}

typedef struct {
    const char   *key;
    size_t        len;
    dvc_snode_t  *prop, *depschema;
    dvc_sv_t     *depreq;
    int           required;
    int           from_deps;   /* depreq given by "dependencies" */
} name_in_t;

static int
name_cmp(const void *a, const void *b)
{
    const name_in_t *x = a, *y = b;
    size_t           n = x->len < y->len ? x->len : y->len;
    int              r = memcmp(x->key, y->key, n);

    return r ? r : (x->len < y->len ? -1 : x->len > y->len);
}

/* The name's dependent* record, made on first use. */
static dvc_sname_dep_t *
sname_dep(compiler_t *c, dvc_sname_t *nm)
{
    if (nm->dep == NULL) {
        nm->dep = dvc_arena_alloc(c->out, sizeof(dvc_sname_dep_t));
        if (nm->dep == NULL) {
            fail(c, "out of memory");
        }
    }
    return nm->dep;
}

static int
sname_find(const dvc_snode_t *s, const char *k, size_t len)
{
    size_t lo = 0, hi = s->nnames, mid, n;
    int    r;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        n = s->names[mid].len < len ? s->names[mid].len : len;
        r = memcmp(s->names[mid].key, k, n);
        if (r == 0) {
            r = s->names[mid].len < len ? -1 : s->names[mid].len > len;
        }
        if (r == 0) {
            return (int) mid;
        }
        if (r < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* The names of an object schema as they come, each with what it is
 * (several entries for one name when several keywords list it). */
typedef struct {
    name_in_t  *in;
    size_t      n, cap;
} names_in_t;

/* A new entry for the name k, zeroed; NULL after fail(). */
static name_in_t *
name_add(compiler_t *c, names_in_t *ni, const char *k, size_t len)
{
    ni->in = grow(c, ni->in, &ni->cap, ni->n, sizeof(name_in_t));
    if (ni->in == NULL) {
        return NULL;
    }
    memset(&ni->in[ni->n], 0, sizeof(name_in_t));
    ni->in[ni->n].key = k;
    ni->in[ni->n].len = len;
    return &ni->in[ni->n++];
}

/* properties and required; 0, or -1 after fail(). */
static int
names_props(compiler_t *c, names_in_t *ni, dvc_sv_t *props, dvc_sv_t *req,
    const char *loc)
{
    size_t     i;
    name_in_t *e;

    for (i = 0; props != NULL && i < props->n; i++) {
        e = name_add(c, ni, props->keys[i], props->klens[i]);
        if (e == NULL) {
            return -1;
        }
        e->prop = sub(c, props->items[i], loc, "properties");
    }
    for (i = 0; req != NULL && i < req->n; i++) {
        if (req->items[i]->type != DVC_TOK_STR) {
            fail(c, "required at %s: must list strings", AT(loc));
            return -1;
        }
        e = name_add(c, ni, req->items[i]->s, req->items[i]->len);
        if (e == NULL) {
            return -1;
        }
        e->required = 1;
    }
    return 0;
}

/* The names an array m of dependentRequired (or dependencies: kw) lists,
 * each an entry; 0, or -1 after fail(). */
static int
names_listed(compiler_t *c, names_in_t *ni, dvc_sv_t *m, const char *kw,
    const char *loc)
{
    size_t j;

    for (j = 0; j < m->n; j++) {
        if (m->items[j]->type != DVC_TOK_STR) {
            /* as ever: dependencies' message shows "" for the root */
            fail(c, "%s at %s: must list strings", kw,
                 strcmp(kw, "dependencies") == 0 ? loc : AT(loc));
            return -1;
        }
        if (name_add(c, ni, m->items[j]->s, m->items[j]->len) == NULL) {
            return -1;
        }
    }
    return 0;
}

/* dependentRequired, dependentSchemas and dependencies; 0, or -1 after
 * fail(). */
static int
names_deps(compiler_t *c, names_in_t *ni, dvc_sv_t *depreq, dvc_sv_t *depsch,
    dvc_sv_t *deps, const char *loc)
{
    size_t     i;
    dvc_sv_t  *m;
    name_in_t *e;

    for (i = 0; depreq != NULL && i < depreq->n; i++) {
        m = depreq->items[i];
        if (m->type != DVC_TOK_ARR) {
            fail(c, "dependentRequired at %s: must map to arrays", AT(loc));
            return -1;
        }
        e = name_add(c, ni, depreq->keys[i], depreq->klens[i]);
        if (e == NULL) {
            return -1;
        }
        e->depreq = m;
        if (names_listed(c, ni, m, "dependentRequired", loc) != 0) {
            return -1;
        }
    }
    for (i = 0; depsch != NULL && i < depsch->n; i++) {
        e = name_add(c, ni, depsch->keys[i], depsch->klens[i]);
        if (e == NULL) {
            return -1;
        }
        e->depschema = sub(c, depsch->items[i],
            loc_join(c, loc_join(c, loc, "dependentSchemas", 16),
                     depsch->keys[i], depsch->klens[i]),
            "dependentSchemas");
    }
    for (i = 0; deps != NULL && i < deps->n; i++) {
        m = deps->items[i];
        e = name_add(c, ni, deps->keys[i], deps->klens[i]);
        if (e == NULL) {
            return -1;
        }
        if (m->type != DVC_TOK_ARR) {
            e->depschema = sub(c, m,
                loc_join(c, loc_join(c, loc, "dependencies", 12),
                         deps->keys[i], deps->klens[i]),
                "dependencies");
            continue;
        }
        e->depreq = m;
        e->from_deps = 1;
        if (names_listed(c, ni, m, "dependencies", loc) != 0) {
            return -1;
        }
    }
    return 0;
}

/* s->names: the entries sorted, one per name (what each entry says of it
 * merged); 0, or -1 after fail(). */
static int
names_merge(compiler_t *c, dvc_snode_t *s, name_in_t *in, size_t n,
    const char *loc)
{
    size_t       i, j, out;
    dvc_sname_t *nm;

    qsort(in, n, sizeof(name_in_t), name_cmp);
    /* entries on cache lines of their own */
    s->names = dvc_arena_alloc_aligned(c->lines, n * sizeof(dvc_sname_t), 64);
    if (s->names == NULL) {
        fail(c, "out of memory");
        return -1;
    }
    out = 0;
    for (i = 0; i < n; i = j) {
        nm = &s->names[out++];
        nm->key = dvc_arena_strndup(c->out, in[i].key, in[i].len);
        nm->len = (uint32_t) in[i].len;
        memcpy(nm->head, in[i].key,
               in[i].len < DVC_NAME_HEAD ? in[i].len : DVC_NAME_HEAD);
        for (j = i; j < n && name_cmp(&in[i], &in[j]) == 0; j++) {
            if (in[j].prop && !nm->prop) {
                nm->prop = in[j].prop;
            }
            if (in[j].depschema && sname_dep(c, nm) != NULL) {
                if (nm->dep->depschema != NULL) {
                    fail(c, "dependentSchemas and dependencies at %s: both "
                         "give \"%s\" a schema (put both in an allOf)",
                         loc, nm->key);
                    return -1;
                }
                nm->dep->depschema = in[j].depschema;
            }
            if (in[j].required) {
                nm->required = 1;
            }
        }
    }
    s->nnames = out;
    return 0;
}

/* The hash table of s->names and the counts; 0, or -1 after fail(). */
static int
names_hash(compiler_t *c, dvc_snode_t *s)
{
    size_t i, k, h;

    /* a quarter full at most: most lookups end at the first slot */
    for (k = 8; k < 4 * s->nnames; k *= 2) {
    }
    s->name_tab = dvc_arena_alloc(c->out, k * sizeof(uint64_t));
    if (s->name_tab == NULL) {
        fail(c, "out of memory");
        return -1;
    }
    s->name_mask = (uint32_t) (k - 1);
    for (i = 0; i < s->nnames; i++) {
        s->names[i].hash = dvc_name_hash(s->names[i].key, s->names[i].len);
        for (h = s->names[i].hash & s->name_mask; s->name_tab[h];
             h = (h + 1) & s->name_mask)
        {
        }
        s->name_tab[h] = (uint64_t) s->names[i].hash << 32 | (uint32_t) (i + 1);
    }
    for (i = 0; i < s->nnames; i++) {
        s->nrequired += s->names[i].required;
        s->ndepsch += s->names[i].dep && s->names[i].dep->depschema;
    }
    return 0;
}

/* dependentRequired: indices of the names each key requires; 0, or -1
 * after fail(). */
static int
names_depreq(compiler_t *c, dvc_snode_t *s, name_in_t *in, size_t n,
    const char *loc)
{
    size_t       i, k;
    dvc_sname_t *nm;
    dvc_sv_t    *m;
    uint32_t    *idx;

    for (i = 0; i < n; i++) {
        if (in[i].depreq == NULL) {
            continue;
        }
        nm = &s->names[sname_find(s, in[i].key, in[i].len)];
        m = in[i].depreq;
        idx = dvc_arena_alloc(c->out, (m->n + 1) * sizeof(uint32_t));
        if (idx == NULL) {
            fail(c, "out of memory");
            return -1;
        }
        for (k = 0; k < m->n; k++) {
            idx[k] = (uint32_t) sname_find(s, m->items[k]->s, m->items[k]->len);
        }
        if (sname_dep(c, nm) == NULL) {
            return -1;
        }
        if (nm->dep->depreq != NULL) {
            fail(c, "dependentRequired and dependencies at %s: both list "
                 "what \"%s\" requires (put them in one)", loc, nm->key);
            return -1;
        }
        nm->dep->depreq = idx;
        nm->dep->depreq_kw = in[i].from_deps ? "dependencies"
                                             : "dependentRequired";
        nm->dep->ndepreq = (uint32_t) m->n;
    }
    return 0;
}

/* The properties' order, and the required names' bitmap. */
static void
names_order(dvc_snode_t *s, dvc_sv_t *props)
{
    size_t   i;
    uint32_t prev, cur;

    /* properties in the schema's order: a document written from the
     * schema (as forms are) has its members in that order, so the engine
     * tries the name after the one matched last before hashing the key */
    s->first_name = DVC_NAME_NONE;
    for (i = 0; i < s->nnames; i++) {
        s->names[i].next = DVC_NAME_NONE;
    }
    for (i = 0, prev = DVC_NAME_NONE; props != NULL && i < props->n; i++) {
        cur = (uint32_t) sname_find(s, props->keys[i], props->klens[i]);
        if (prev == DVC_NAME_NONE) {
            s->first_name = cur;
        } else {
            s->names[prev].next = cur;
        }
        prev = cur;
    }
    /* required names as a bitmap beside the instance's present bits: one
     * test at the object's end when all are there */
    s->req_fast = s->nnames <= 128;
    for (i = 0; i < s->nnames; i++) {
        if (s->names[i].dep && s->names[i].dep->ndepreq) {
            s->req_fast = 0;
        }
        if (i < 128 && s->names[i].required) {
            s->req_mask[i / 64] |= (uint64_t) 1 << (i % 64);
        }
    }
}

/* properties, required, dependentRequired, dependentSchemas: one table.
 * deps is the draft 7 "dependencies" (2020-12 section 8 of the validation
 * spec: its two forms became dependentRequired and dependentSchemas, and
 * the meta-schema keeps the name for compatibility): an array value is a
 * dependentRequired entry, a schema a dependentSchemas one. */
static void
compile_names(compiler_t *c, dvc_snode_t *s, dvc_sv_t *props,
    dvc_sv_t *req, dvc_sv_t *depreq, dvc_sv_t *depsch, dvc_sv_t *deps,
    const char *loc)
{
    names_in_t ni;

    memset(&ni, 0, sizeof(ni));
    if (names_props(c, &ni, props, req, loc) != 0
        || names_deps(c, &ni, depreq, depsch, deps, loc) != 0
        || ni.n == 0 || c->failed)
    {
        return;
    }
    if (names_merge(c, s, ni.in, ni.n, loc) == 0
        && names_hash(c, s) == 0
        && names_depreq(c, s, ni.in, ni.n, loc) == 0)
    {
        names_order(s, props);
    }
}

/* The library's slot for a pattern: its compiled form, or the empty slot
 * where it goes (the table is never more than half full). */
static re_ent_t *
regex_slot(compiler_t *l, const char *pat, size_t len)
{
    uint32_t  h = dvc_name_hash(pat, len);
    size_t    i, j, mask, ncap;
    re_ent_t *old, *e;

    if ((l->nrecache + 1) * 2 > l->crecache) {
        old = l->recache;
        ncap = l->crecache ? l->crecache * 2 : 64;
        l->recache = dvc_arena_alloc(&l->tmp, ncap * sizeof(re_ent_t));
        if (l->recache == NULL) {
            l->recache = old;
            return NULL;
        }
        for (j = 0; j < l->crecache; j++) {
            for (i = old[j].hash & (ncap - 1); old[j].re && l->recache[i].re;
                 i = (i + 1) & (ncap - 1))
            {
            }
            if (old[j].re) {
                l->recache[i] = old[j];
            }
        }
        l->crecache = ncap;
    }
    mask = l->crecache - 1;
    for (i = h & mask; ; i = (i + 1) & mask) {
        e = &l->recache[i];
        if (e->re == NULL
            || (e->hash == h && e->len == len && memcmp(e->pat, pat, len) == 0))
        {
            e->hash = h;
            return e;
        }
    }
}

static dvc_regex_t *
compile_regex(compiler_t *c, dvc_sv_t *v, const char *loc, const char *kw)
{
    char          msg[200];
    dvc_regex_t  *re;
    compiler_t   *l = c->lib != NULL ? c->lib : c;
    dvc_schema_t *sc = l->schema;
    re_ent_t     *slot = NULL;

    if (v->type != DVC_TOK_STR) {
        fail(c, "%s at %s: must be a string", kw, AT(loc));
        return NULL;
    }
    /* with a library, a pattern is compiled once for every schema */
    if (l->shared) {
        slot = regex_slot(l, v->s, v->len);
        if (slot == NULL) {
            fail(c, "out of memory");
            return NULL;
        }
        if (slot->re != NULL) {
            return slot->re;
        }
    }
    msg[0] = '\0';
    re = dvc_regex_compile(sc->alloc, v->s, v->len, msg, sizeof(msg));
    if (re == NULL) {
        fail(c, "%s \"%s\" at %s: %s", kw, v->s, AT(loc), msg);
        return NULL;
    }
    if (slot != NULL) {
        slot->pat = dvc_arena_strndup(&l->tmp, v->s, v->len);
        if (slot->pat == NULL) {
            dvc_regex_free(sc->alloc, re);
            fail(c, "out of memory");
            return NULL;
        }
        slot->len = v->len;
        slot->re = re;
        l->nrecache++;
    }
    if (sc->nregexes == sc->cregexes) {
        size_t        cap = sc->cregexes ? sc->cregexes * 2 : 16;
        dvc_regex_t **r = dvc_realloc(sc->alloc, sc->regexes,
                                      sc->cregexes * sizeof(*r),
                                      cap * sizeof(*r));
        if (r == NULL) {
            dvc_regex_free(sc->alloc, re);
            fail(c, "out of memory");
            return NULL;
        }
        sc->regexes = r;
        sc->cregexes = cap;
    }
    sc->regexes[sc->nregexes++] = re;
    return re;
}

#define TYPE_NAMES  "null, boolean, integer, number, string, array, object"

static int
type_bit(const dvc_sv_t *v)
{
    static const struct { const char *n; int bit; } types[] = {
        { "null", DVC_T_NULL }, { "boolean", DVC_T_BOOL },
        { "integer", DVC_T_INT }, { "number", DVC_T_NUM | DVC_T_INT },
        { "string", DVC_T_STR }, { "array", DVC_T_ARR },
        { "object", DVC_T_OBJ }
    };
    size_t i;

    if (v->type != DVC_TOK_STR) {
        return 0;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(v->s, types[i].n) == 0) {
            return types[i].bit;
        }
    }
    return 0;
}

static const char *
num_text(compiler_t *c, dvc_sv_t *v, const char *loc, const char *kw,
    size_t *len)
{
    if (v->type != DVC_TOK_NUM) {
        fail(c, "%s at %s: must be a number", kw, AT(loc));
        return NULL;
    }
    *len = v->len;
    return dvc_arena_strndup(c->out, v->s, v->len);
}

#define KEY_IS(s)  (klen == sizeof(s) - 1 && memcmp(k, s, klen) == 0)

/* What a schema object's keywords leave for after them all. */
typedef struct {
    dvc_sv_t  *props, *req, *depreq, *depsch, *deps, *vals1, *ifv;
} node_later_t;

/* v's node, made with the defaults and recorded in e: NULL after fail(),
 * *done when v is a boolean schema (nothing more to compile). */
static dvc_snode_t *
node_new(compiler_t *c, node_ent_t *e, dvc_sv_t *v, int *done)
{
    dvc_snode_t *s;
    const char  *loc = e->loc;

    *done = 1;
    /* on cache lines of its own: its first line is what the engine reads
     * for every value (four lines: nodes made one after another pack) */
    s = dvc_arena_alloc_aligned(c->lines, sizeof(*s), 64);
    if (s == NULL) {
        fail(c, "out of memory");
        return NULL;
    }
    e->node = s;
    s->loc = dvc_arena_strndup(c->out, loc, strlen(loc));
    s->res = e->res;
    s->format = -1;
    s->min_props = s->min_len = 0;
    s->max_props = s->max_len = SIZE_MAX;
    s->inp = &dvc_sinplace_none;
    s->arr = &dvc_sarray_none;
    s->num = &dvc_snumeric_none;

    if (v->type == DVC_TOK_TRUE) {
        return s;
    }
    if (v->type == DVC_TOK_FALSE) {
        s->kw = KW_FALSE;
        return s;
    }
    if (v->type != DVC_TOK_OBJ) {
        fail(c, "schema at %s: must be an object or a boolean, not %s",
             AT(loc), value_text(c, v));
        return NULL;
    }
    *done = 0;
    return s;
}

/* compile_node's keywords, by kind: each function takes one keyword of a
 * schema object and answers 1 if it is one of its kind (compiled, or
 * c->failed), 0 if not.  Here $ref, $dynamicRef, type, const and enum. */
static int
kw_core(compiler_t *c, node_ent_t *e, dvc_snode_t *s, const char *k,
    size_t klen, dvc_sv_t *m, node_later_t *later)
{
    const char  *loc = e->loc;
    dvc_sv_t    *target;
    const char  *frag;
    int          bit;

    if (KEY_IS("$ref") || KEY_IS("$dynamicRef")) {
        if (m->type != DVC_TOK_STR) {
            fail(c, "%s at %s: must be a string", k, AT(loc));
            return 1;
        }
        target = resolve_ref(c, e->base, m->s, loc, &frag);
        if (target == NULL) {
            return 1;
        }
        if (KEY_IS("$ref")) {
            s->ref = sub(c, target, loc, k);
        } else {
            dvc_sv_t *da = dvc_sv_get(target, "$dynamicAnchor");

            inplace_of(c, s)->dynref = sub(c, target, loc, k);
            if (frag[0] != '/' && frag[0] != '\0' && da != NULL
                && da->type == DVC_TOK_STR && strcmp(da->s, frag) == 0)
            {
                inplace_of(c, s)->dynanchor = dvc_arena_strndup(c->out,
                                                 frag, strlen(frag));
                inplace_of(c, s)->dynanchor_len = strlen(frag);
            }
        }
        s->kw |= KW_INPLACE;
    } else if (KEY_IS("type")) {
        if (m->type == DVC_TOK_ARR) {
            size_t j;

            for (j = 0; j < m->n; j++) {
                bit = type_bit(m->items[j]);
                if (bit == 0) {
                    fail(c, "type at %s: unknown type %s (" TYPE_NAMES
                         ")", AT(loc), value_text(c, m->items[j]));
                }
                s->types |= (uint8_t) bit;
            }
        } else {
            bit = type_bit(m);
            if (bit == 0) {
                fail(c, "type at %s: unknown type %s (" TYPE_NAMES ")",
                     AT(loc), value_text(c, m));
            }
            s->types = (uint8_t) bit;
        }
        s->kw |= KW_TYPE;
    } else if (KEY_IS("const")) {
        later->vals1 = m;
        s->kw |= KW_CONST;
    } else if (KEY_IS("enum")) {
        if (m->type != DVC_TOK_ARR) {
            fail(c, "enum at %s: must be an array", AT(loc));
            return 1;
        }
        compile_values(c, s, m->items, m->n);
        s->kw |= KW_ENUM;
    } else {
        return 0;
    }
    return 1;
}

/* Numbers and strings: minimum .. multipleOf, minLength, maxLength,
 * pattern, format. */
static int
kw_scalar(compiler_t *c, node_ent_t *e, dvc_snode_t *s, const char *k,
    size_t klen, dvc_sv_t *m, node_later_t *later)
{
    const char  *loc = e->loc;
    dvc_snumeric_t  *nm;

    (void) later;
    if (KEY_IS("minimum")) {
        nm = numeric_of(c, s);
        nm->minimum = num_text(c, m, loc, k, &nm->minimum_len);
        s->kw |= KW_NUMERIC;
    } else if (KEY_IS("maximum")) {
        nm = numeric_of(c, s);
        nm->maximum = num_text(c, m, loc, k, &nm->maximum_len);
        s->kw |= KW_NUMERIC;
    } else if (KEY_IS("exclusiveMinimum")) {
        nm = numeric_of(c, s);
        nm->xminimum = num_text(c, m, loc, k, &nm->xminimum_len);
        s->kw |= KW_NUMERIC;
    } else if (KEY_IS("exclusiveMaximum")) {
        nm = numeric_of(c, s);
        nm->xmaximum = num_text(c, m, loc, k, &nm->xmaximum_len);
        s->kw |= KW_NUMERIC;
    } else if (KEY_IS("multipleOf")) {
        nm = numeric_of(c, s);
        nm->multiple_of = num_text(c, m, loc, k, &nm->multiple_of_len);
        if (nm->multiple_of && !dvc_num_divisor_ok(m->s, m->len)) {
            fail(c, "multipleOf at %s: must be a positive number, not %s",
                 AT(loc), value_text(c, m));
        }
        s->kw |= KW_NUMERIC;
    } else if (KEY_IS("minLength")) {
        get_count(c, m, loc, k, &s->min_len);
        s->kw |= KW_STRING;
    } else if (KEY_IS("maxLength")) {
        get_count(c, m, loc, k, &s->max_len);
        s->kw |= KW_STRING;
    } else if (KEY_IS("pattern")) {
        s->pattern = compile_regex(c, m, loc, k);
        s->kw |= KW_STRING;
    } else if (KEY_IS("format")) {
        if (m->type != DVC_TOK_STR) {
            fail(c, "format at %s: must be a string", AT(loc));
            return 1;
        }
        s->format = c->opt && c->opt->format_annotation && !e->fmt_assert
                    ? -1 : dvc_format_id(m->s, m->len);
        /* 2020-12 validation 7.2.3: with the format-assertion
         * vocabulary an unknown format must fail */
        if (e->fmt_assert && dvc_format_id(m->s, m->len) < 0) {
            fail(c, "format \"%s\" at %s: unknown, and the dialect's "
                 "format-assertion vocabulary asserts formats",
                 m->s, AT(loc));
            return 1;
        }
        if (s->format >= 0) {
            s->kw |= KW_STRING;
        }
    } else {
        return 0;
    }
    return 1;
}

/* Arrays: minItems .. unevaluatedItems. */
static int
kw_array(compiler_t *c, node_ent_t *e, dvc_snode_t *s, const char *k,
    size_t klen, dvc_sv_t *m, node_later_t *later)
{
    const char  *loc = e->loc;

    (void) later;
    if (KEY_IS("minItems")) {
        get_count(c, m, loc, k, &array_of(c, s)->min_items);
        s->kw |= KW_ARRAY;
    } else if (KEY_IS("maxItems")) {
        get_count(c, m, loc, k, &array_of(c, s)->max_items);
        s->kw |= KW_ARRAY;
    } else if (KEY_IS("uniqueItems")) {
        if (m->type != DVC_TOK_TRUE && m->type != DVC_TOK_FALSE) {
            fail(c, "uniqueItems at %s: must be a boolean, not %s",
                 AT(loc), value_text(c, m));
            return 1;
        }
        if (m->type == DVC_TOK_TRUE) {
            s->unique = 1;
            s->kw |= KW_ARRAY | KW_REC_ARR;
        }
    } else if (KEY_IS("prefixItems")) {
        array_of(c, s)->prefix = sub_list(c, m, loc, k,
                                          &array_of(c, s)->nprefix);
        s->kw |= KW_ARRAY;
    } else if (KEY_IS("items")) {
        array_of(c, s)->items = sub(c, m, loc, k);
        s->kw |= KW_ARRAY;
    } else if (KEY_IS("contains")) {
        array_of(c, s)->contains = sub(c, m, loc, k);
        s->kw |= KW_ARRAY;
    } else if (KEY_IS("unevaluatedItems")) {
        array_of(c, s)->uneval_items = sub(c, m, loc, k);
        s->kw |= KW_ARRAY | KW_UNEVAL;
        c->schema->track = 1;
    } else {
        return 0;
    }
    return 1;
}

/* Objects: minProperties .. propertyNames (properties, required and
 * dependent* wait in `later` for compile_names). */
static int
kw_object(compiler_t *c, node_ent_t *e, dvc_snode_t *s, const char *k,
    size_t klen, dvc_sv_t *m, node_later_t *later)
{
    const char  *loc = e->loc;

    if (KEY_IS("minProperties")) {
        get_count(c, m, loc, k, &s->min_props);
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("maxProperties")) {
        get_count(c, m, loc, k, &s->max_props);
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("properties")) {
        if (m->type != DVC_TOK_OBJ) {
            fail(c, "properties at %s: must be an object", AT(loc));
            return 1;
        }
        later->props = m;
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("required")) {
        if (m->type != DVC_TOK_ARR) {
            fail(c, "required at %s: must be an array", AT(loc));
            return 1;
        }
        later->req = m;
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("dependentRequired")) {
        if (m->type != DVC_TOK_OBJ) {
            fail(c, "dependentRequired at %s: must be an object", AT(loc));
            return 1;
        }
        later->depreq = m;
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("dependentSchemas")) {
        if (m->type != DVC_TOK_OBJ) {
            fail(c, "dependentSchemas at %s: must be an object", AT(loc));
            return 1;
        }
        later->depsch = m;
        s->kw |= KW_OBJECT | KW_INPLACE;
    } else if (KEY_IS("dependencies")) {
        if (m->type != DVC_TOK_OBJ) {
            fail(c, "dependencies at %s: must be an object", loc);
            return 1;
        }
        later->deps = m;
        s->kw |= KW_OBJECT | KW_INPLACE;
    } else if (KEY_IS("patternProperties")) {
        size_t j;

        if (m->type != DVC_TOK_OBJ) {
            fail(c, "patternProperties at %s: must be an object", AT(loc));
            return 1;
        }
        s->pprops = dvc_arena_alloc(c->out,
                                    (m->n + 1) * sizeof(dvc_spat_t));
        if (s->pprops == NULL) {
            fail(c, "out of memory");
            return 1;
        }
        for (j = 0; j < m->n && !c->failed; j++) {
            dvc_sv_t pat;

            memset(&pat, 0, sizeof(pat));
            pat.type = DVC_TOK_STR;
            pat.s = m->keys[j];
            pat.len = m->klens[j];
            s->pprops[j].re = compile_regex(c, &pat, loc, k);
            s->pprops[j].s = sub(c, m->items[j], loc, k);
        }
        s->npprops = m->n;
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("additionalProperties")) {
        s->addl = sub(c, m, loc, k);
        s->kw |= KW_OBJECT;
    } else if (KEY_IS("unevaluatedProperties")) {
        s->uneval_props = sub(c, m, loc, k);
        s->kw |= KW_OBJECT | KW_UNEVAL;
        c->schema->track = 1;
    } else if (KEY_IS("propertyNames")) {
        s->propnames = sub(c, m, loc, k);
        s->kw |= KW_OBJECT;
        if (m->type != DVC_TOK_TRUE) {
            s->kw |= KW_PROPNAMES;
        }
    } else {
        return 0;
    }
    return 1;
}

/* The in-place applicators and messages: allOf, anyOf, oneOf, not, if
 * (then and else wait for it), x-dvc-messages. */
static int
kw_applicator(compiler_t *c, node_ent_t *e, dvc_snode_t *s, const char *k,
    size_t klen, dvc_sv_t *m, node_later_t *later)
{
    const char  *loc = e->loc;
    dvc_sv_t    *msgs;
    dvc_sinplace_t  *ip;

    if (KEY_IS("allOf")) {
        ip = inplace_of(c, s);
        ip->allof = sub_list(c, m, loc, k, &ip->nallof);
        s->kw |= KW_INPLACE;
    } else if (KEY_IS("anyOf")) {
        ip = inplace_of(c, s);
        ip->anyof = sub_list(c, m, loc, k, &ip->nanyof);
        s->kw |= KW_INPLACE;
    } else if (KEY_IS("oneOf")) {
        ip = inplace_of(c, s);
        ip->oneof = sub_list(c, m, loc, k, &ip->noneof);
        s->kw |= KW_INPLACE;
    } else if (KEY_IS("not")) {
        inplace_of(c, s)->not_ = sub(c, m, loc, k);
        s->kw |= KW_INPLACE;
    } else if (KEY_IS("if")) {
        later->ifv = m;
    } else if (KEY_IS("x-dvc-messages")) {
        msgs = m;
        if (msgs->type == DVC_TOK_OBJ) {
            dvc_sv_t *vi = dvc_sv_get(msgs, "vi"), *en = dvc_sv_get(msgs, "en");

            if (vi && vi->type == DVC_TOK_STR) {
                s->msg_vi = dvc_arena_strndup(c->out, vi->s,
                                              vi->len);
            }
            if (en && en->type == DVC_TOK_STR) {
                s->msg_en = dvc_arena_strndup(c->out, en->s,
                                              en->len);
            }
        }
    } else {
        return 0;
    }
    return 1;
}

/* After every keyword of v: const, if/then/else, min/maxContains (which
 * need contains), the names table, integer bounds, passthrough. */
static void
node_finish(compiler_t *c, node_ent_t *e, dvc_snode_t *s, dvc_sv_t *v,
    node_later_t *later)
{
    const char  *loc = e->loc;
    dvc_sv_t    *m;

    if (later->vals1 != NULL) {
        compile_values(c, s, &later->vals1, 1);
    }
    if (later->ifv != NULL) {
        inplace_of(c, s)->if_ = sub(c, later->ifv, loc, "if");
        m = dvc_sv_get(v, "then");
        if (m != NULL) {
            inplace_of(c, s)->then_ = sub(c, m, loc, "then");
        }
        m = dvc_sv_get(v, "else");
        if (m != NULL) {
            inplace_of(c, s)->else_ = sub(c, m, loc, "else");
        }
        s->kw |= KW_INPLACE;
    }
    if ((m = dvc_sv_get(v, "minContains")) != NULL && s->arr->contains
        && !e->novalid)
    {
        get_count(c, m, loc, "minContains", &array_of(c, s)->min_contains);
        array_of(c, s)->has_min_contains = 1;
    }
    if ((m = dvc_sv_get(v, "maxContains")) != NULL && s->arr->contains
        && !e->novalid)
    {
        get_count(c, m, loc, "maxContains", &array_of(c, s)->max_contains);
    }
    if (later->props || later->req || later->depreq || later->depsch
        || later->deps)
    {
        compile_names(c, s, later->props, later->req, later->depreq,
                      later->depsch, later->deps, loc);
    }
    {
        const char *b[4] = { s->num->minimum, s->num->maximum,
                             s->num->xminimum, s->num->xmaximum };
        size_t      bl[4] = { s->num->minimum_len, s->num->maximum_len,
                              s->num->xminimum_len, s->num->xmaximum_len };
        int         bi;

        for (bi = 0; bi < 4; bi++) {
            if (b[bi] && dvc_num_plain_int(b[bi], bl[bi],
                                           &numeric_of(c, s)->ibound[bi]))
            {
                numeric_of(c, s)->ibound_ok |= (uint8_t) (1u << bi);
            }
        }
    }
    /* {"$ref": ...} alone (titles and other annotations aside) adds nothing
     * to its target but an instance per value: the engine goes straight to
     * the target (when that keeps the dynamic scope: see spawn()).  Not
     * with $id (a resource of its own) nor with messages of its own. */
    if (s->kw == KW_INPLACE && s->ref != NULL && s->inp == &dvc_sinplace_none
        && s->msg_vi == NULL && s->msg_en == NULL
        && dvc_sv_get(v, "$id") == NULL)
    {
        s->passthrough = 1;
    }
}

static dvc_snode_t *
compile_node(compiler_t *c, dvc_sv_t *v)
{
    node_ent_t   *e;
    dvc_snode_t  *s;
    node_later_t  later;
    dvc_sv_t     *m;
    const char   *k;
    size_t        i, klen;
    int           done;

    if (c->failed) {
        return NULL;
    }
    e = node_lookup(c, v, 0);
    if ((e == NULL || e->base == NULL) && c->lib != NULL) {
        /* a shared document's: compiled once, in the library */
        s = compile_node(c->lib, v);
        c->failed |= c->lib->failed;
        return s;
    }
    if (e == NULL || e->base == NULL) {
        fail(c, "internal: schema value not indexed");
        return NULL;
    }
    if (e->node != NULL) {
        return e->node;
    }
    s = node_new(c, e, v, &done);
    if (s == NULL || done) {
        return s;
    }
    memset(&later, 0, sizeof(later));
    for (i = 0; i < v->n && !c->failed; i++) {
        k = v->keys[i];
        klen = v->klens[i];
        m = v->items[i];
        if (e->novalid && is_kw(k, klen, kw_validation)) {
            continue;
        }
        if (!kw_core(c, e, s, k, klen, m, &later)
            && !kw_scalar(c, e, s, k, klen, m, &later)
            && !kw_array(c, e, s, k, klen, m, &later)
            && !kw_object(c, e, s, k, klen, m, &later))
        {
            (void) kw_applicator(c, e, s, k, klen, m, &later);
        }
    }
    if (c->failed) {
        return NULL;
    }
    node_finish(c, e, s, v, &later);
    return c->failed ? NULL : s;
}

/* ------------------------------------------------------------ entry */

/* Each member's plain leaf schema, resolved once for cb_map_key: the
 * property schema through its bare $refs (the bounded walk of the engine's
 * through(), within the object schema's resource) when an instance of it
 * would be a plain leaf: no evaluation tracking anywhere in the schema, no
 * in-place children or unevaluated* state, not false, its names bitmap
 * inside the instance (spawn's and end_value's fast paths).  Only known
 * once every node is compiled: refs may point forward. */
static void
compile_leaves(compiler_t *c)
{
    size_t       i, n, k;
    dvc_snode_t *s, *t;

    if (c->schema->track) {
        return;
    }
    for (i = 0; i < c->cnodes; i++) {
        s = c->nodes[i].v != NULL ? c->nodes[i].node : NULL;
        for (n = 0; s != NULL && n < s->nnames; n++) {
            t = s->names[n].prop;
            if (t == NULL || t->kw == 0) {
                continue;
            }
            for (k = 0; t->passthrough && k < 8 && s->res == t->res; k++) {
                t = t->ref;
            }
            if (t->nnames <= 128
                && !(t->kw & (KW_FALSE | KW_INPLACE | KW_UNEVAL)))
            {
                s->names[n].leaf = t;
            }
        }
    }
}

/* Every $dynamicAnchor of every loaded resource compiled (a $dynamicRef may
 * land on any of them at validation time), and each resource's list of
 * them; the nodes in c->out. */
static void
compile_dynamic(compiler_t *c)
{
    size_t      i, j, n;
    dvc_sres_t *r;

    for (i = 0; i < c->nanchors && !c->failed; i++) {
        if (c->anchors[i].dynamic) {
            compile_node(c, c->anchors[i].v);
        }
    }
    for (i = 0; i < c->nres && !c->failed; i++) {
        r = c->res[i].res;
        if (r->dyn != NULL) {
            continue;
        }
        for (n = 0, j = 0; j < c->nanchors; j++) {
            n += c->anchors[j].dynamic && c->anchors[j].res == r;
        }
        if (n == 0) {
            continue;
        }
        r->dyn = dvc_arena_alloc(c->out, n * sizeof(dvc_sanchor_t));
        if (r->dyn == NULL) {
            fail(c, "out of memory");
            return;
        }
        for (j = 0; j < c->nanchors; j++) {
            if (c->anchors[j].dynamic && c->anchors[j].res == r) {
                dvc_sanchor_t *d = &r->dyn[r->ndyn++];

                d->name = dvc_arena_strndup(c->out, c->anchors[j].name,
                                            strlen(c->anchors[j].name));
                d->len = strlen(c->anchors[j].name);
                d->s = node_lookup(c, c->anchors[j].v, 0)->node;
            }
        }
    }
}

/* After a compilation with the library: its new nodes' dynamic anchors and
 * leaves, and its failure kept (the nodes it left half made are never
 * used again: every later compilation fails the same). */
static void
lib_settle(dvc_schema_lib_t *lib, int failed)
{
    compiler_t *l = &lib->c;

    if (!l->failed && !failed) {
        compile_dynamic(l);
        if (!l->failed) {
            compile_leaves(l);
        }
    }
    if (l->tmp.failed || lib->out.arena.failed || lib->out.lines.failed) {
        fail(l, "out of memory");
    }
    if (l->failed && lib->err[0] == '\0') {
        snprintf(lib->err, sizeof(lib->err), "%s", l->err[0] ? l->err : "?");
    }
    l->err = lib->err;
    l->errlen = sizeof(lib->err);
}

static dvc_schema_t *
compile_doc(const dvc_alloc_t *a, const char *uri, const char *text,
    size_t len, const dvc_schema_options_t *opt, dvc_schema_lib_t *lib,
    char *err, size_t errlen)
{
    compiler_t    c;
    dvc_schema_t *s;
    dvc_sv_t     *root;

    if (errlen) {
        err[0] = '\0';
    }
    if (lib != NULL && lib->c.failed) {
        snprintf(err, errlen, "%s", lib->err);
        return NULL;
    }
    s = dvc_calloc(a, 1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->alloc = a;
    s->arena.alloc = a;
    s->lines.alloc = a;
    s->nfc = !(opt && opt->exact_strings);
    memset(&c, 0, sizeof(c));
    c.schema = s;
    c.out = &s->arena;
    c.lines = &s->arena;    /* alone, one arena: fewer half-empty blocks */
    c.tmp.alloc = a;
    c.opt = opt;
    c.err = err;
    c.errlen = errlen;
    c.root_uri = uri;
    if (lib != NULL) {
        /* nodes, patterns and the library's failure messages all go
         * where the library's are */
        c.lib = &lib->c;
        c.out = lib->c.out;
        c.lines = lib->c.lines;
        lib->c.err = err;
        lib->c.errlen = errlen;
    }

    root = load_text(&c, uri, text, len);
    if (root != NULL) {
        s->root = sub(&c, root, "", "schema");
    }
    compile_dynamic(&c);
    if (!c.failed) {
        compile_leaves(&c);
    }
    if (c.tmp.failed || c.out->failed || c.lines->failed) {
        fail(&c, "out of memory");
    }
    if (lib != NULL) {
        lib_settle(lib, c.failed);
        s->track |= lib->out.track;
    }
    dvc_arena_free(&c.tmp);
    if (c.failed || s->root == NULL) {
        if (!c.failed) {
            snprintf(err, errlen, "schema could not be compiled");
        }
        dvc_schema_free(s);
        return NULL;
    }
    return s;
}

static int
abs_dir(const char *dir, char *out, size_t outlen)
{
    char cwd[PATH_MAX];
    int  n;

    if (dir != NULL && dir[0] == '/') {
        snprintf(out, outlen, "%s", dir);
        return 0;
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return -1;
    }
    if (dir == NULL || dir[0] == '\0') {
        n = snprintf(out, outlen, "%s", cwd);
    } else {
        n = snprintf(out, outlen, "%s/%s", cwd, dir);
    }
    return n < 0 || (size_t) n >= outlen ? -1 : 0;
}

/* file://DIR/schema.json, DIR the options' base_dir made absolute: the
 * URI of a schema compiled from text.  0, or -1 with err set. */
static int
text_uri(const dvc_schema_options_t *opt, char *uri, size_t size, char *err,
    size_t errlen)
{
    char dir[PATH_MAX];

    if (abs_dir(opt ? opt->base_dir : NULL, dir, sizeof(dir)) != 0) {
        snprintf(err, errlen, "cannot find the current directory");
        return -1;
    }
    if ((size_t) snprintf(uri, size, "file://%s/schema.json", dir) >= size) {
        snprintf(err, errlen, "base directory name too long");
        return -1;
    }
    return 0;
}

dvc_schema_t *
dvc_schema_compile(const dvc_alloc_t *a, const char *text, size_t len,
    const dvc_schema_options_t *opt, char *err, size_t errlen)
{
    char uri[PATH_MAX + 64];

    if (text_uri(opt, uri, sizeof(uri), err, errlen) != 0) {
        return NULL;
    }
    return compile_doc(a, uri, text, len, opt, NULL, err, errlen);
}

/* ------------------------------------------------------------ library */

dvc_schema_lib_t *
dvc_schema_lib_new(const dvc_alloc_t *a, const dvc_schema_options_t *opt)
{
    dvc_schema_lib_t *lib = dvc_calloc(a, 1, sizeof(*lib));

    if (lib == NULL) {
        return NULL;
    }
    if (opt != NULL) {
        lib->opt = *opt;
    }
    if (lib->opt.base_dir != NULL) {
        lib->base_dir = dvc_strndup(a, lib->opt.base_dir,
                                    strlen(lib->opt.base_dir));
        if (lib->base_dir == NULL) {
            dvc_free(a, lib);
            return NULL;
        }
        lib->opt.base_dir = lib->base_dir;
    }
    lib->out.alloc = a;
    lib->out.arena.alloc = a;
    lib->out.lines.alloc = a;
    lib->out.nfc = !lib->opt.exact_strings;
    lib->c.schema = &lib->out;
    lib->c.out = &lib->out.arena;
    lib->c.lines = &lib->out.lines;
    lib->c.shared = 1;
    lib->c.tmp.alloc = a;
    lib->c.opt = &lib->opt;
    lib->c.err = lib->err;
    lib->c.errlen = sizeof(lib->err);
    lib->c.root_uri = "";
    return lib;
}

int
dvc_schema_lib_add(dvc_schema_lib_t *lib, const char *path, const char *text,
    size_t len, char *err, size_t errlen)
{
    compiler_t *l = &lib->c;
    char        full[PATH_MAX], file[PATH_MAX + 16], msg[256];
    dvc_sv_t   *root, *id;
    dvc_buf_t   b;
    const char *uri;

    if (l->failed) {
        snprintf(err, errlen, "%s", lib->err);
        return -1;
    }
    if (path[0] == '/') {
        snprintf(full, sizeof(full), "%s", path);
    } else if (abs_dir(path, full, sizeof(full)) != 0) {
        snprintf(err, errlen, "%s: cannot find the current directory", path);
        return -1;
    }
    if ((size_t) snprintf(file, sizeof(file), "file://%s", full)
        >= sizeof(file))
    {
        snprintf(err, errlen, "%s: name too long", path);
        return -1;
    }
    /* known by its $id, as a procedure's reference names it (the same
     * locations in messages as when each procedure loaded it) */
    root = dvc_doc_parse(&l->tmp, text, len, msg, sizeof(msg));
    if (root == NULL) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return -1;
    }
    id = dvc_sv_get(root, "$id");
    uri = file;
    dvc_buf_init(&b, lib->out.alloc);
    if (id != NULL && id->type == DVC_TOK_STR
        && dvc_uri_resolve(&b, file, id->s) == 0 && dvc_buf_cstr(&b))
    {
        strip_fragment(b.data);
        uri = tmpstr(l, b.data);
    }
    dvc_buf_free(&b);
    l->err = err;
    l->errlen = errlen;
    if (uri == NULL || res_find(l, uri) != NULL
        || (map_id_folder(l, file, root), load_text(l, uri, text, len)) == NULL)
    {
        if (!l->failed) {
            snprintf(err, errlen, "%s: cannot be shared (out of memory, or "
                     "its $id given twice)", path);
        }
        /* half indexed: the library is no longer usable */
        l->failed = 1;
        snprintf(lib->err, sizeof(lib->err), "%s", err);
        l->err = lib->err;
        l->errlen = sizeof(lib->err);
        return -1;
    }
    l->err = lib->err;
    l->errlen = sizeof(lib->err);
    return 0;
}

dvc_schema_t *
dvc_schema_compile_lib(dvc_schema_lib_t *lib, const char *text, size_t len,
    char *err, size_t errlen)
{
    char          uri[PATH_MAX + 64];
    dvc_schema_t *s;

    if (text_uri(&lib->opt, uri, sizeof(uri), err, errlen) != 0) {
        return NULL;
    }
    s = compile_doc(lib->out.alloc, uri, text, len, &lib->opt, lib, err,
                    errlen);
    if (s != NULL && s->track) {
        /* evaluation tracking (unevaluated*) changes what a node's leaf
         * may be: such a schema gets nodes of its own */
        dvc_schema_free(s);
        s = compile_doc(lib->out.alloc, uri, text, len, &lib->opt, NULL,
                        err, errlen);
    }
    return s;
}

void
dvc_schema_lib_free(dvc_schema_lib_t *lib)
{
    const dvc_alloc_t *a;

    if (lib == NULL) {
        return;
    }
    a = lib->out.alloc;
    dvc_schema_free_parts(&lib->out);
    dvc_arena_free(&lib->c.tmp);
    dvc_free(a, lib->base_dir);
    dvc_free(a, lib);
}

dvc_schema_t *
dvc_schema_compile_file(const dvc_alloc_t *a, const char *path,
    const dvc_schema_options_t *opt, char *err, size_t errlen)
{
    char          full[PATH_MAX], uri[PATH_MAX + 16];
    char         *text;
    FILE         *f;
    long          n;
    dvc_schema_t *s;

    if (path[0] == '/') {
        if ((size_t) snprintf(full, sizeof(full), "%s", path) >= sizeof(full)) {
            snprintf(err, errlen, "file name too long");
            return NULL;
        }
    } else if (abs_dir(path, full, sizeof(full)) != 0) {
        snprintf(err, errlen, "cannot find the current directory");
        return NULL;
    }
    f = fopen(full, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || n > MAX_DOC_SIZE || fseek(f, 0, SEEK_SET) != 0)
    {
        fclose(f);
        snprintf(err, errlen, "%s: unreadable or larger than 16 MiB", path);
        return NULL;
    }
    text = dvc_malloc(a, (size_t) n + 1);
    if (text == NULL || fread(text, 1, (size_t) n, f) != (size_t) n) {
        fclose(f);
        dvc_free(a, text);
        snprintf(err, errlen, "%s: read error", path);
        return NULL;
    }
    fclose(f);
    if ((size_t) snprintf(uri, sizeof(uri), "file://%s", full) >= sizeof(uri)) {
        dvc_free(a, text);
        snprintf(err, errlen, "%s: name too long", path);
        return NULL;
    }
    s = compile_doc(a, uri, text, (size_t) n, opt, NULL, err, errlen);
    dvc_free(a, text);
    return s;
}

static void
dvc_schema_free_parts(dvc_schema_t *s)
{
    size_t i;

    for (i = 0; i < s->nregexes; i++) {
        dvc_regex_free(s->alloc, s->regexes[i]);
    }
    dvc_free(s->alloc, s->regexes);
    dvc_arena_free(&s->arena);
    dvc_arena_free(&s->lines);
}

void
dvc_schema_free(dvc_schema_t *s)
{
    if (s == NULL) {
        return;
    }
    dvc_schema_free_parts(s);
    dvc_free(s->alloc, s);
}
