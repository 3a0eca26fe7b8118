/*
 * The state of one validation run, shared by the streaming engine
 * (dvc_schema_validate.c) and error reporting (dvc_schema_errors.c).
 */
#ifndef DVC_SCHEMA_RUN_H
#define DVC_SCHEMA_RUN_H

#include <stdint.h>

#include <yajl/yajl_parse.h>

#include "dvc_schema_int.h"
#include "dvc_json_esc.h"
#include "dvc_utf8.h"

/* A list of error records (indices + 1 into the run's pool; 0 = none). */
typedef struct {
    uint32_t head, tail, n;
} dvc_errlist_t;

typedef struct {
    uint32_t    next;
    uint32_t    tag;          /* member/item index (unevaluated candidates) */
    int         dead;         /* on the free list */
    size_t      path;         /* offsets into the run's string pool */
    size_t      kw;
    const char *code;
    const char *vi;
    const char *en;
    size_t      offset;
} dvc_erec_t;

/* Index bits (evaluated members/items, unevaluated candidates' outcome). */
typedef struct {
    uint64_t  in[2];
    uint64_t *heap;
    size_t    nwords;         /* heap words */
} dvc_bits_t;

typedef struct dvc_vi dvc_vi_t;

/* One schema applied to one instance value.  Value roots are spawned by an
 * instance on the parent container (properties, items, ..); the others are
 * in-place children ($ref, allOf, if, ..) of another instance on the same
 * value.  All instances of a value are finalised together, children first. */
struct dvc_vi {
    const dvc_snode_t *s;
    dvc_vi_t          *up;         /* in-place parent or spawner */
    dvc_vi_t          *first;      /* in-place children */
    dvc_vi_t          *next;
    uint8_t            rel;
    uint8_t            valid;
    uint8_t            root;
    uint8_t            tracked;    /* eval/uneval bits may be heap */
    uint32_t           index;
    dvc_errlist_t     *sink;       /* NULL: errors are not reported */
    dvc_errlist_t      defer;      /* then/else/dependentSchemas errors */
    dvc_errlist_t      uneval_errs;
    uint32_t           ncontains;
    uint64_t           present[2]; /* names table members seen */
    uint64_t          *present_heap;
    dvc_bits_t         eval;
    dvc_bits_t         uneval_ok;
};

typedef struct {
    uint8_t   type;                /* DVC_TOK_OBJ or DVC_TOK_ARR */
    uint8_t   rec_owner;
    uint8_t   propnames;           /* some instance has propertyNames */
    uint32_t  count;
    size_t    vbeg, vend;          /* instances on this container */
    size_t    mark;                /* instance stack before them */
    size_t    child_mark;          /* before the pending member's roots */
    size_t    path_len;            /* path of the container itself */
    size_t    rec_start;
    /* the pending member's one schema when it is a plain leaf (no
     * in-place children, no unevaluated* state): no instance is spawned
     * for it unless the value turns out to be a container */
    const dvc_snode_t *leaf;
    dvc_vi_t          *leaf_up;
    uint32_t           leaf_idx;
    uint8_t            leaf_rel;
    /* with one object schema on the container: the names index the next
     * member is expected to have (dvc_sname_t.next), or DVC_NAME_NONE */
    uint32_t           expect;
} dvc_frame_t;

struct dvc_validate_ctx {
    const dvc_alloc_t     *alloc;
    const dvc_schema_t    *schema;
    dvc_validate_limits_t  lim;
    yajl_handle            h;
    dvc_regex_scratch_t   *scratch;

    int                    status;      /* fatal status, or 0 */
    int                    finished;
    int                    capped;
    int                    valid;
    size_t                 fed;         /* bytes yajl read before this parse */
    int                    in_parse;    /* inside yajl_parse: add its offset */
    dvc_utf8_stream_t      u8;          /* UTF-8 of the raw bytes (feed) */
    dvc_json_esc_t         esc;         /* \u escapes of lone surrogates */
    int                    got_value;
    int                    value_done;     /* the document's value ended */
    size_t                 value_end;      /* at this offset */
    int                    parser_clean;   /* h ended its last document at a
                                              value's end: reset keeps it */
    int                    present_heaps;  /* some instance has one */

    /* instance stack: chunks of DVC_VI_CHUNK, never moved */
    dvc_vi_t             **chunks;
    size_t                 nchunks, top;
    dvc_vi_t             **vlist;
    size_t                 nv, cv;
    dvc_frame_t           *frames;
    size_t                 depth, cframes;

    char                  *path;        /* path of the current value, member
                                           names unescaped (frames' path_len
                                           mark where each starts) */
    size_t                 path_len, path_cap;

    dvc_rec_t              rec;         /* container values being recorded */
    int                    recording;

    /* errors */
    dvc_erec_t            *pool;
    size_t                 npool, cpool;
    size_t                 nlive;       /* records not on the free list */
    uint32_t               free_rec;    /* discarded records, for reuse */
    size_t                 compact_at;  /* strs length worth compacting */
    dvc_buf_t              strs;
    dvc_errlist_t          errors;
    dvc_validation_error_t *out;       /* built at finish */
    size_t                 nout;
};

#define DVC_VI_CHUNK  256

/* Adds a violation of keyword kw (code) of vi's schema for the current value
 * (plus the member token if given) to vi's sink. */
dvc_erec_t *dvc_err_add(dvc_validate_ctx_t *v, dvc_vi_t *vi,
                        const char *code, const char *kw, const char *tok,
                        size_t toklen, const dvc_snode_t *msgs);
/* Moves all of src to the end of dst (dst NULL: drops them). */
void dvc_err_move(dvc_validate_ctx_t *v, dvc_errlist_t *dst,
                  dvc_errlist_t *src);
/* Discards all of l (its records are reused). */
void dvc_err_drop(dvc_validate_ctx_t *v, dvc_errlist_t *l);
/* Moves the records of src tagged `tag` to dst, keeps the others. */
void dvc_err_move_tag(dvc_validate_ctx_t *v, dvc_errlist_t *dst,
                      dvc_errlist_t *src, uint32_t tag);
/* Replaces every error by the fatal status's entry. */
void dvc_err_fatal(dvc_validate_ctx_t *v, int status);
/* Builds v->out in document order. */
int  dvc_err_finish(dvc_validate_ctx_t *v);

/* The document offset now: what earlier parses read, plus what the parse
 * under way has (here, not in dvc_schema_validate.c, so that the error
 * records of dvc_schema_errors.c do not call back into the validator). */
static inline size_t
dvc_run_offset(const dvc_validate_ctx_t *v)
{
    return v->fed + (v->in_parse ? yajl_get_bytes_consumed(v->h) : 0);
}

#endif
