/*
 * The base of the glue: what every other file may call and which calls none
 * of them back, so the files' calls make no cycle (scripts/shape-check.py):
 * core's allocator on nginx pools (a request's, the configuration's), the
 * lookup of a loaded procedure by its code, and an answer sent from memory.
 */

#include "ngx_http_dvc_module.h"


static void *
ngx_http_dvc_pool_malloc(void *ud, size_t size)
{
    return ngx_http_dvc_core_palloc((ngx_pool_t *) ud, size);
}


/* Core's allocator on a request pool: memory goes with the request. */
void
ngx_http_dvc_pool_alloc(ngx_pool_t *pool, dvc_alloc_t *alloc)
{
    alloc->malloc = ngx_http_dvc_pool_malloc;
    alloc->realloc = NULL;
    alloc->free = NULL;
    alloc->ud = pool;
}


static void
ngx_http_dvc_cf_free_noop(void *ud, void *p)
{
    /* configuration memory goes with the cycle's pool */
}


/* The same on the configuration's pool: memory goes with the cycle. */
void
ngx_http_dvc_cf_alloc_init(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf)
{
    if (dmcf->cf_alloc.malloc) {
        return;
    }

    dmcf->cf_alloc.malloc = ngx_http_dvc_pool_malloc;
    dmcf->cf_alloc.realloc = NULL;
    dmcf->cf_alloc.free = ngx_http_dvc_cf_free_noop;
    dmcf->cf_alloc.ud = cf->pool;
}


ngx_http_dvc_procedure_rt_t *
ngx_http_dvc_procedure_find(ngx_http_dvc_main_conf_t *dmcf, const char *code,
    size_t len)
{
    ngx_int_t   rc;
    ngx_uint_t  lo, hi, mid;

    lo = 0;
    hi = dmcf->nprocs;

    /* procedures are sorted by code */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        rc = ngx_memn2cmp((u_char *) dmcf->procs[mid].procedure->code,
                          (u_char *) code, dmcf->procs[mid].procedure->code_len,
                          len);
        if (rc == 0) {
            return &dmcf->procs[mid];
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/*
 * A whole answer from memory, of the given Content-Type (type_len: its
 * length before the parameters).  Never cached; 503 and 429 say when to try
 * again.  Not counted by the metrics: the API's answers go through
 * ngx_http_dvc_send_typed(), the metrics page itself through this.
 */
ngx_int_t
ngx_http_dvc_send_memory(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, size_t type_len, u_char *body, size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type_len;
    r->headers_out.content_type_lowcase = NULL;

    /* dossier state changes and may carry personal data: never cache */
    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }
    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE
        || status == NGX_HTTP_TOO_MANY_REQUESTS)
    {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }
        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
