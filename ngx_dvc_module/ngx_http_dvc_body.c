/*
 * Request bodies of the JSON API, read as nginx receives them.
 *
 * A dossier (a submission, a citizen's supplement) streams through a request
 * body filter into core's intake (dvc_intake.h), which scans it, validates
 * it against the schema of the procedure it names as soon as that is known,
 * and decides its verdict: one pass, no tree of untrusted input, and the
 * same verdict as `dvc validate --dossier` for every body however nginx
 * cut it.  This file only turns that verdict into the answer.  When the
 * request is signed (counter and postal intake), the same buffers feed the
 * signature's MAC.
 *
 * An upload (b->upload) goes to nginx's temp file as any large body does;
 * the filter only feeds core's hash and sniff (dvc_upload.h) on the way.
 *
 * Other bodies (a withdrawal's reason, a rating) are only collected, up to a
 * small cap, for core's parser.
 *
 * The request's module context is the caller's own structure, which starts
 * with an ngx_http_dvc_body_t: the filter needs no other knowledge of it.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_intake.h"
#include "dvc_schema.h"
#include "dvc_procedure.h"
#include "dvc_hmac.h"
#include "dvc_upload.h"


static ngx_int_t ngx_http_dvc_body_process(ngx_http_dvc_body_t *b,
    u_char *data, size_t len);
static int ngx_http_dvc_body_find(void *data, const char *code, size_t len,
    const dvc_procedure_t **proc, dvc_validate_ctx_t **v);
static void ngx_http_dvc_body_release(void *data, dvc_validate_ctx_t *v);
static void ngx_http_dvc_body_cleanup(void *data);


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;

static ngx_str_t  ngx_http_dvc_body_ts_header = ngx_string("X-DVC-Timestamp");
static ngx_str_t  ngx_http_dvc_body_sig_header = ngx_string("X-DVC-Signature");


ngx_int_t
ngx_http_dvc_body_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_dvc_body_filter;

    return NGX_OK;
}


/*
 * Starts reading the body into b (the first member of the request's context,
 * which the caller has zeroed).  what: "submission", "supplement"... for the
 * log lines; dossier: scan and validate it; max: refuse a
 * longer body (0: only client_max_body_size).  Returns what the content
 * handler should return.
 */
ngx_int_t
ngx_http_dvc_body_read(ngx_http_request_t *r, ngx_http_dvc_body_t *b,
    const char *what, ngx_uint_t dossier, size_t max,
    ngx_http_client_body_handler_pt done)
{
    off_t                expect;
    ngx_int_t            rc;
    ngx_pool_cleanup_t  *cln;

    b->dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    b->what = what;
    b->max = max;

    ngx_http_dvc_pool_alloc(r->pool, &b->alloc);
    dvc_buf_init(&b->body, &b->alloc);

    /* one allocation for the usual case: the length is known */
    expect = r->headers_in.content_length_n;
    if (b->upload == NULL && expect > 0 && expect <= 16 * 1024 * 1024
        && (max == 0 || (size_t) expect <= max))
    {
        dvc_buf_reserve(&b->body, (size_t) expect);
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_dvc_body_cleanup;
    cln->data = b;

    if (dossier) {
        b->intake = ngx_http_dvc_intake_get(b->dmcf);
        if (b->intake == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        b->procs.find = ngx_http_dvc_body_find;
        b->procs.release = ngx_http_dvc_body_release;
        b->procs.data = b;

        dvc_intake_begin(b->intake, &b->body, max, &b->procs);
    }

    ngx_http_set_ctx(r, b, ngx_http_dvc_module);

    rc = ngx_http_read_client_request_body(r, done);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* Sees the body as nginx receives it, de-chunked, before it is stored. */
ngx_int_t
ngx_http_dvc_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t          *cl;
    ngx_http_dvc_body_t  *b;

    b = ngx_http_get_module_ctx(r, ngx_http_dvc_module);

    if (b == NULL || b->finished) {
        return ngx_http_next_request_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {

        if (ngx_buf_in_memory(cl->buf) && cl->buf->last > cl->buf->pos) {
            if (ngx_http_dvc_body_process(b, cl->buf->pos,
                                          cl->buf->last - cl->buf->pos)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        if (cl->buf->last_buf) {
            ngx_http_dvc_body_finish(b);
        }
    }

    return ngx_http_next_request_body_filter(r, in);
}


static ngx_int_t
ngx_http_dvc_body_process(ngx_http_dvc_body_t *b, u_char *data, size_t len)
{
    if (b->sig) {
        /* a failure is sticky: the signature's verdict reports it */
        (void) dvc_sig_update(b->sig, data, len);
    }

    if (b->upload) {
        /* nginx keeps the bytes in its temp file; core hashes and sniffs */
        return dvc_upload_feed(b->upload, data, len) == 0 ? NGX_OK
                                                          : NGX_ERROR;
    }

    if (b->intake) {
        return dvc_intake_feed(b->intake, data, len) == 0 ? NGX_OK
                                                          : NGX_ERROR;
    }

    if (b->too_large) {
        return NGX_OK;
    }

    if (b->max && b->body.len + len > b->max) {
        /* read and dropped; the verdict is 413 */
        b->too_large = 1;
        return NGX_OK;
    }

    dvc_buf_append(&b->body, data, len);

    return b->body.failed ? NGX_ERROR : NGX_OK;
}


/* The intake asks for the procedure the body names (dvc_intake_procs_t). */
static int
ngx_http_dvc_body_find(void *data, const char *code, size_t len,
    const dvc_procedure_t **proc, dvc_validate_ctx_t **v)
{
    ngx_http_dvc_body_t          *b = data;
    ngx_http_dvc_procedure_rt_t  *rt;

    rt = ngx_http_dvc_procedure_find(b->dmcf, code, len);

    if (rt == NULL || rt->schema == NULL) {
        return 1;
    }

    *v = ngx_http_dvc_validator_get(b->dmcf, rt);
    if (*v == NULL) {
        return -1;
    }

    b->proc = rt;
    *proc = rt->procedure;

    return 0;
}


static void
ngx_http_dvc_body_release(void *data, dvc_validate_ctx_t *v)
{
    ngx_http_dvc_body_t *b = data;

    ngx_http_dvc_validator_put(b->dmcf, b->proc, v);
}


/* The last byte is in (also called by the body handlers: an empty body
 * never reaches the filter's last buffer). */
void
ngx_http_dvc_body_finish(ngx_http_dvc_body_t *b)
{
    if (b->finished) {
        return;
    }

    b->finished = 1;

    if (b->intake) {
        dvc_intake_finish(b->intake);
    }
}


/*
 * 400 for a body that is not JSON (or not UTF-8): the code, the byte where
 * it went wrong and the message in both languages; one [info] line.  Every
 * endpoint that reads a body answers malformed bodies this way.
 */
ngx_int_t
ngx_http_dvc_body_malformed(ngx_http_request_t *r, ngx_http_dvc_body_t *b,
    const char *code, size_t offset, const char *vi, const char *en)
{
    dvc_buf_t             out;
    dvc_intake_verdict_t  vd;

    ngx_memzero(&vd, sizeof(dvc_intake_verdict_t));
    vd.code = code;
    vd.offset = offset;
    vd.vi = vi;
    vd.en = en;

    dvc_buf_init(&out, &b->alloc);
    dvc_intake_malformed_json(&vd, &out);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: %s refused: malformed body (%s at byte %uz)",
                  b->what, code, offset);

    if (out.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_json(r, NGX_HTTP_BAD_REQUEST,
                                  (u_char *) out.data, out.len);
}


/*
 * The dossier's verdict, once the body is in: 1 if it is a valid dossier of
 * b->proc, else the request has been answered (400 malformed, 404 unknown
 * procedure, 413, 422 with the violations, 500) and *rc says how.  The
 * verdict is core's (dvc_intake_verdict); this only answers it.
 */
ngx_int_t
ngx_http_dvc_body_verdict(ngx_http_request_t *r, ngx_http_dvc_body_t *b,
    ngx_int_t *rc)
{
    dvc_buf_t             out;
    dvc_intake_verdict_t  vd;

    dvc_buf_init(&out, &b->alloc);

    (void) dvc_intake_verdict(b->intake, &vd, &out);
    ngx_http_dvc_metrics_procedure(r, b->proc);

    switch (vd.outcome) {

    case DVC_INTAKE_VALID:
        return 1;

    case DVC_INTAKE_TOO_LARGE:
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_TOO_LARGE);
        return 0;

    case DVC_INTAKE_MALFORMED:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s refused: malformed body (%s at byte %uz)",
                      b->what, vd.code, vd.offset);
        *rc = ngx_http_dvc_send_json(r, NGX_HTTP_BAD_REQUEST,
                                     (u_char *) out.data, out.len);
        return 0;

    case DVC_INTAKE_UNKNOWN_PROCEDURE:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s refused: unknown procedure", b->what);
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_PROCEDURE);
        return 0;

    case DVC_INTAKE_NO_PROCEDURE:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s refused: no procedure named", b->what);
        *rc = ngx_http_dvc_send_json(r, NGX_HTTP_DVC_UNPROCESSABLE,
                                     (u_char *) out.data, out.len);
        return 0;

    case DVC_INTAKE_INVALID:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s for procedure \"%s\" refused: %uz "
                      "violation(s)", b->what, vd.procedure->code,
                      vd.nviolations);
        *rc = ngx_http_dvc_send_json(r, NGX_HTTP_DVC_UNPROCESSABLE,
                                     (u_char *) out.data, out.len);
        return 0;

    default: /* DVC_INTAKE_INTERNAL */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: %s not decided: %s", b->what,
                      vd.code ? vd.code : "internal error");
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
        return 0;
    }
}


/* The request is over: the pooled intake (and its validator) go back for
 * the next one. */
static void
ngx_http_dvc_body_cleanup(void *data)
{
    ngx_http_dvc_body_t *b = data;

    if (b->intake) {
        ngx_http_dvc_intake_put(b->dmcf, b->intake);
        b->intake = NULL;
    }
}


/*
 * How many times the request carries the header name (case-insensitive, as
 * HTTP field names are); *first: the first one or NULL.
 */
static ngx_uint_t
ngx_http_dvc_body_header_count(ngx_http_request_t *r, ngx_str_t *name,
    ngx_table_elt_t **first)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    *first = NULL;
    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == name->len
                && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
            {
                if (n++ == 0) {
                    *first = &h[i];
                }
            }
        }
    }

    return n;
}


/* 1 if the request carries either header of a back-end's signature. */
ngx_int_t
ngx_http_dvc_body_signed(ngx_http_request_t *r)
{
    return ngx_http_dvc_find_header(r, &ngx_http_dvc_body_ts_header) != NULL
           || ngx_http_dvc_find_header(r, &ngx_http_dvc_body_sig_header)
              != NULL;
}


static void
ngx_http_dvc_body_sig_cleanup(void *data)
{
    ngx_http_dvc_body_t *b = data;

    dvc_sig_free(b->sig);
    b->sig = NULL;
}


/*
 * A request signed as the back-end signs its events (counter and postal
 * intake): the headers are checked before the body is read, then the MAC
 * under every dvc_event_key starts over the signed prefix (the target as
 * sent in the request line) and the body filter feeds it.  Call before
 * ngx_http_dvc_body_read(); mac receives the header's MAC for the verdict
 * (dvc_sig_finish).  NGX_OK; NGX_DECLINED with *why (signature_ambiguous
 * with b->repeated naming the header, signature_missing, signature_stale);
 * NGX_ERROR.
 */
ngx_int_t
ngx_http_dvc_body_sign(ngx_http_request_t *r, ngx_http_dvc_body_t *b,
    u_char *mac, dvc_sig_result_t *why)
{
    int64_t                    t;
    ngx_uint_t                 n, m;
    ngx_table_elt_t           *ts, *sig;
    dvc_sig_result_t           res;
    ngx_pool_cleanup_t        *cln;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    /*
     * A header of the scheme given twice is refused before anything is
     * parsed: a proxy in front of us that keeps the last one must never
     * disagree with us (who would keep the first) about what was signed.
     */
    n = ngx_http_dvc_body_header_count(r, &ngx_http_dvc_body_ts_header, &ts);
    m = ngx_http_dvc_body_header_count(r, &ngx_http_dvc_body_sig_header,
                                       &sig);

    if (n > 1 || m > 1) {
        b->repeated = n > 1 && m > 1 ? "X-DVC-Timestamp and X-DVC-Signature"
                      : n > 1 ? "X-DVC-Timestamp" : "X-DVC-Signature";
        *why = DVC_SIG_AMBIGUOUS;
        return NGX_DECLINED;
    }

    res = dvc_sig_parse(ts ? (const char *) ts->value.data : NULL,
                        ts ? ts->value.len : 0,
                        sig ? (const char *) sig->value.data : NULL,
                        sig ? sig->value.len : 0, &t, mac);

    if (res == DVC_SIG_OK) {
        res = dvc_sig_fresh(t, ngx_time());
    }

    if (res != DVC_SIG_OK) {
        *why = res;
        return NGX_DECLINED;
    }

    ngx_http_dvc_pool_alloc(r->pool, &b->alloc);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    b->sig = dvc_sig_begin(&b->alloc, dmcf->event_keys->elts,
                           dmcf->event_keys->nelts,
                           (const char *) ts->value.data, ts->value.len,
                           (const char *) r->method_name.data,
                           r->method_name.len,
                           (const char *) r->unparsed_uri.data,
                           r->unparsed_uri.len);

    cln->handler = ngx_http_dvc_body_sig_cleanup;
    cln->data = b;

    if (b->sig == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: a signature's MAC cannot start");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_dvc_is_json(ngx_http_request_t *r)
{
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    ct = &r->headers_in.content_type->value;

    /* application/json, optionally with parameters (charset=utf-8) */
    return ct->len >= 16
           && ngx_strncasecmp(ct->data, (u_char *) "application/json", 16) == 0
           && (ct->len == 16 || ct->data[16] == ';' || ct->data[16] == ' ');
}
