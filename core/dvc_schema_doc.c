/*
 * Schema documents parsed into a small tree for the compiler.  Schemas are
 * trusted configuration, but we still keep exact string lengths (a const may
 * hold "\u0000") and number texts (bignums), which yajl_tree would lose.
 * Everything lives in the compiler's temporary arena.
 */
#include <string.h>

#include <yajl/yajl_parse.h>

#include "dvc_schema_doc.h"
#include "dvc_utf8.h"

#define DOC_MAX_DEPTH  512

typedef struct {
    dvc_arena_t *ar;
    dvc_sv_t    *stack[DOC_MAX_DEPTH];
    size_t       caps[DOC_MAX_DEPTH];
    size_t       depth;
    dvc_sv_t    *root;
    const char  *key;
    size_t       klen;
    int          failed;
} doc_builder_t;

static int
doc_add(doc_builder_t *d, dvc_sv_t *v)
{
    dvc_sv_t  *c, **items;
    char     **keys;
    size_t    *klens, cap;

    if (d->depth == 0) {
        d->root = v;
        return 1;
    }
    c = d->stack[d->depth - 1];
    cap = d->caps[d->depth - 1];
    if (c->n == cap) {
        cap = cap ? cap * 2 : 8;
        items = dvc_arena_alloc(d->ar, cap * sizeof(*items));
        if (items == NULL) {
            return 0;
        }
        if (c->n) {
            memcpy(items, c->items, c->n * sizeof(*items));
        }
        c->items = items;
        if (c->type == DVC_TOK_OBJ) {
            keys = dvc_arena_alloc(d->ar, cap * sizeof(*keys));
            klens = dvc_arena_alloc(d->ar, cap * sizeof(*klens));
            if (keys == NULL || klens == NULL) {
                return 0;
            }
            if (c->n) {
                memcpy(keys, c->keys, c->n * sizeof(*keys));
                memcpy(klens, c->klens, c->n * sizeof(*klens));
            }
            c->keys = keys;
            c->klens = klens;
        }
        d->caps[d->depth - 1] = cap;
    }
    if (c->type == DVC_TOK_OBJ) {
        c->keys[c->n] = (char *) d->key;
        c->klens[c->n] = d->klen;
    }
    c->items[c->n++] = v;
    return 1;
}

static dvc_sv_t *
doc_new(doc_builder_t *d, int type, const char *s, size_t len)
{
    dvc_sv_t *v = dvc_arena_alloc(d->ar, sizeof(*v));

    if (v == NULL) {
        return NULL;
    }
    v->type = (uint8_t) type;
    if (s != NULL) {
        v->s = dvc_arena_strndup(d->ar, s, len);
        if (v->s == NULL) {
            return NULL;
        }
        v->len = len;
    }
    return doc_add(d, v) ? v : NULL;
}

static int
cb_null(void *ctx)
{
    return doc_new(ctx, DVC_TOK_NULL, NULL, 0) != NULL;
}

static int
cb_bool(void *ctx, int b)
{
    return doc_new(ctx, b ? DVC_TOK_TRUE : DVC_TOK_FALSE, NULL, 0) != NULL;
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
    return doc_new(ctx, DVC_TOK_NUM, s, len) != NULL;
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
    return doc_new(ctx, DVC_TOK_STR, (const char *) s, len) != NULL;
}

static int
cb_start(doc_builder_t *d, int type)
{
    dvc_sv_t *v;

    if (d->depth == DOC_MAX_DEPTH) {
        return 0;
    }
    v = doc_new(d, type, NULL, 0);
    if (v == NULL) {
        return 0;
    }
    d->caps[d->depth] = 0;
    d->stack[d->depth++] = v;
    return 1;
}

static int
cb_start_map(void *ctx)
{
    return cb_start(ctx, DVC_TOK_OBJ);
}

static int
cb_start_array(void *ctx)
{
    return cb_start(ctx, DVC_TOK_ARR);
}

static int
cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
    doc_builder_t *d = ctx;

    d->key = dvc_arena_strndup(d->ar, (const char *) s, len);
    d->klen = len;
    return d->key != NULL;
}

static int
cb_end(void *ctx)
{
    doc_builder_t *d = ctx;

    d->depth--;
    return 1;
}

static const yajl_callbacks doc_callbacks = {
    cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end
};

dvc_sv_t *
dvc_doc_parse(dvc_arena_t *ar, const char *text, size_t len, char *err,
    size_t errlen)
{
    doc_builder_t  *d;
    yajl_handle     h;
    yajl_status     st;
    unsigned char  *msg;
    dvc_sv_t       *root = NULL;
    size_t          bad;

    d = dvc_arena_alloc(ar, sizeof(*d));
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->ar = ar;
    h = yajl_alloc(&doc_callbacks, NULL, d);
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* UTF-8 strictly (RFC 3629; yajl's own check passes overlongs,
     * surrogates and code points past U+10FFFF): yajl reads only what comes
     * before the first invalid sequence, so a syntax error before it is
     * still the one reported */
    yajl_config(h, yajl_dont_validate_strings, 1);
    bad = dvc_utf8_invalid_at((const unsigned char *) text, len);
    st = yajl_parse(h, (const unsigned char *) text, bad);
    if (st == yajl_status_ok && bad == len) {
        st = yajl_complete_parse(h);
    }
    if (st == yajl_status_ok && bad < len) {
        snprintf(err, errlen, "not JSON at byte %zu: invalid UTF-8", bad);
    } else if (st != yajl_status_ok) {
        if (ar->failed) {
            snprintf(err, errlen, "out of memory");
        } else if (d->depth >= DOC_MAX_DEPTH) {
            snprintf(err, errlen, "nested deeper than %d", DOC_MAX_DEPTH);
        } else {
            msg = yajl_get_error(h, 0, (const unsigned char *) text, len);
            snprintf(err, errlen, "not JSON at byte %zu: %s",
                     yajl_get_bytes_consumed(h), msg ? (char *) msg : "?");
            if (msg) {
                yajl_free_error(h, msg);
            }
        }
    } else {
        root = d->root;
    }
    yajl_free(h);
    return root;
}

dvc_sv_t *
dvc_sv_get(const dvc_sv_t *obj, const char *key)
{
    size_t i, len = strlen(key);

    if (obj == NULL || obj->type != DVC_TOK_OBJ) {
        return NULL;
    }
    for (i = 0; i < obj->n; i++) {
        if (obj->klens[i] == len && memcmp(obj->keys[i], key, len) == 0) {
            return obj->items[i];
        }
    }
    return NULL;
}
