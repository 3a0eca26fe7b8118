/*
 * Request bodies of the JSON API, read as nginx receives them.
 *
 * A dossier (a submission, a citizen's supplement) streams through a request
 * body filter: the dossier scanner reads every byte and, as soon as the
 * top-level "procedure" is known, a validator context for that procedure's
 * compiled schema takes over the bytes seen so far and then each buffer: one
 * pass, no tree of untrusted input.  When the request is signed (counter and
 * postal intake), the same buffers feed the signature's MAC.
 *
 * Other bodies (a withdrawal's reason, a rating) are only collected, up to a
 * small cap, for core's parser.
 *
 * The request's module context is the caller's own structure, which starts
 * with an ngx_http_dvc_body_t: the filter needs no other knowledge of it.
 */

#include "ngx_http_dvc_module.h"
#include "dvc_dossier_scan.h"
#include "dvc_schema.h"
#include "dvc_procedure.h"
#include "dvc_hmac.h"


/* the parsers' smallest batch (see ngx_http_dvc_body_process) */
#define NGX_HTTP_DVC_PARSE_BATCH  16384


static ngx_int_t ngx_http_dvc_body_process(ngx_http_dvc_body_t *b,
    u_char *data, size_t len);
static ngx_int_t ngx_http_dvc_body_parse(ngx_http_dvc_body_t *b);
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
    if (expect > 0 && expect <= 16 * 1024 * 1024
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
        b->scan = ngx_http_dvc_scan_get(b->dmcf);
        if (b->scan == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
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
    if (b->too_large) {
        return NGX_OK;
    }

    if (b->max && b->body.len + len > b->max) {
        /* read and dropped; the verdict is 413 */
        b->too_large = 1;
        return NGX_OK;
    }

    dvc_buf_append(&b->body, data, len);
    if (b->body.failed) {
        return NGX_ERROR;
    }

    if (b->sig) {
        /* a failure is sticky: the signature's verdict reports it */
        (void) dvc_sig_update(b->sig, data, len);
    }

    /*
     * The parsers get the body in batches that grow with it (at least
     * 16 KiB, at least half of what they have seen), not buffer by buffer:
     * yajl reads a token cut by a buffer's end again from its start with
     * every later buffer, so a long string fed in 16 KiB pieces cost time
     * quadratic in its length (1 MB: 0.14 s of a worker, 4 MB: 2.3 s).
     * Growing batches keep the rescans linear.
     */
    if (b->body.len - b->parsed < NGX_HTTP_DVC_PARSE_BATCH
        || b->body.len - b->parsed < b->parsed / 2)
    {
        return NGX_OK;
    }

    return ngx_http_dvc_body_parse(b);
}


/* Feeds the scanner and the validator what they have not seen yet. */
static ngx_int_t
ngx_http_dvc_body_parse(ngx_http_dvc_body_t *b)
{
    size_t        plen, len;
    const char   *procedure;
    u_char       *data;

    data = (u_char *) b->body.data + b->parsed;
    len = b->body.len - b->parsed;
    b->parsed = b->body.len;

    if (len == 0 || b->scan == NULL || b->scan_failed
        || b->unknown_procedure)
    {
        /* not a dossier, or the verdict is known: the rest is only kept */
        return NGX_OK;
    }

    if (dvc_dossier_scan_feed(b->scan, data, len) != 0) {
        b->scan_failed = 1;
    }

    if (b->v == NULL) {
        procedure = dvc_dossier_scan_procedure(b->scan, &plen);

        if (procedure == NULL) {
            return NGX_OK;
        }

        b->proc = ngx_http_dvc_procedure_find(b->dmcf, procedure, plen);

        if (b->proc == NULL || b->proc->schema == NULL) {
            b->unknown_procedure = 1;
            return NGX_OK;
        }

        b->v = ngx_http_dvc_validator_get(b->proc);
        if (b->v == NULL) {
            return NGX_ERROR;
        }

        /* the validator starts late: give it what it missed */
        b->vstatus = dvc_validate_feed(b->v, b->body.data, b->body.len);
        return NGX_OK;
    }

    if (b->vstatus <= DVC_VALID) {
        b->vstatus = dvc_validate_feed(b->v, data, len);
    }

    return NGX_OK;
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

    if (!b->too_large && ngx_http_dvc_body_parse(b) != NGX_OK) {
        b->failed = 1;
        return;
    }

    if (b->scan && !b->scan_failed && !b->unknown_procedure
        && !b->too_large)
    {
        if (dvc_dossier_scan_finish(b->scan) != 0) {
            b->scan_failed = 1;

        } else if (b->v == NULL) {
            b->no_procedure = 1;
        }
    }

    if (b->v && b->vstatus <= DVC_VALID && !b->too_large) {
        b->vstatus = dvc_validate_finish(b->v);
    }
}


static size_t
ngx_http_dvc_scan_offset(ngx_http_dvc_body_t *b)
{
    size_t  offset = 0;

    (void) dvc_dossier_scan_error(b->scan, &offset);
    return offset;
}


/* The API's code for the scanner's refusal (its message says which). */
static const char *
ngx_http_dvc_scan_code(const char *message)
{
    if (message == NULL) {
        return "json_syntax";
    }

    if (ngx_strstr(message, "UTF-8") || ngx_strstr(message, "surrogate")) {
        return "json_utf8";
    }

    if (ngx_strncmp(message, "duplicate key", sizeof("duplicate key") - 1)
        == 0)
    {
        return "json_duplicate_key";
    }

    if (ngx_strncmp(message, "nesting deeper", sizeof("nesting deeper") - 1)
        == 0)
    {
        return "limit_depth";
    }

    if (ngx_strncmp(message, "more than", sizeof("more than") - 1) == 0) {
        return "limit_items";
    }

    return "json_syntax";
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
    dvc_buf_t  out;

    dvc_buf_init(&out, &b->alloc);

    dvc_buf_printf(&out, "{\"error\":\"%s\",\"offset\":%zu,"
                   "\"message\":{\"vi\":", code, offset);
    dvc_buf_json_str(&out, vi, strlen(vi));
    dvc_buf_puts(&out, ",\"en\":");
    dvc_buf_json_str(&out, en, strlen(en));
    dvc_buf_puts(&out, "}}");

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
 * b->proc (the validator goes back to its pool), else the request has been
 * answered (400 malformed, 404 unknown procedure, 413, 422 with the
 * violations, 500) and *rc says how.
 */
ngx_int_t
ngx_http_dvc_body_verdict(ngx_http_request_t *r, ngx_http_dvc_body_t *b,
    ngx_int_t *rc)
{
    int                    n, status;
    size_t                 i, nerr, offset;
    const char            *code, *vi, *en;
    dvc_buf_t              out;
    const char            *kinds[NGX_HTTP_DVC_MAX_DOCS];
    size_t                 lens[NGX_HTTP_DVC_MAX_DOCS];
    dvc_dossier_facts_t    facts;
    const dvc_validation_error_t  *e;

    if (b->valid) {
        /* asked again (a change decided twice after a race) */
        return 1;
    }

    dvc_buf_init(&out, &b->alloc);

    if (b->too_large) {
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_TOO_LARGE);
        return 0;
    }

    if (b->failed) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: no validator for the %s's procedure", b->what);
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
        return 0;
    }

    /* malformed JSON: the validator's verdict when it ran, else the
     * scanner's; either way the byte offset */
    status = b->v ? b->vstatus : DVC_VALID;

    /* our failure, not the citizen's: never a 400 for it */
    if (status == DVC_ERR_NOMEM || status == DVC_ERR_STATE) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: validation failed internally: %s",
                      dvc_validate_status_code(status));
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
        return 0;
    }

    /*
     * The scanner's refusal stands even when the validator finished: one
     * of its checks is stricter than the validator's (a duplicate key
     * where the gateway reads one), and the validator is no longer fed
     * once the scanner failed, so its "incomplete" before the scanner's
     * offset is only that.  The
     * validator's own fatal error wins when it came first in the body (or
     * at the same byte: a body that truly ends early).
     */
    if (b->scan_failed
        && (status <= DVC_INVALID
            || dvc_validate_offset(b->v) > ngx_http_dvc_scan_offset(b)
            || (status == DVC_ERR_INCOMPLETE
                && dvc_validate_offset(b->v) < ngx_http_dvc_scan_offset(b))))
    {
        en = dvc_dossier_scan_error(b->scan, &offset);
        code = ngx_http_dvc_scan_code(en);
        vi = "Nội dung gửi lên không phải JSON hợp lệ.";

    } else if (status > DVC_INVALID) {
        e = dvc_validate_error(b->v, 0);
        code = dvc_validate_status_code(status);
        offset = dvc_validate_offset(b->v);
        vi = e ? e->message_vi : "Nội dung gửi lên không phải JSON hợp lệ.";
        en = e ? e->message_en : "The body is not valid JSON.";

    } else {
        code = NULL;
    }

    if (code != NULL) {

        *rc = ngx_http_dvc_body_malformed(r, b, code, offset, vi, en);
        return 0;
    }

    if (b->unknown_procedure) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s refused: unknown procedure", b->what);
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_PROCEDURE);
        return 0;
    }

    if (b->no_procedure) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s refused: no procedure named", b->what);
        ngx_str_t  body = ngx_string(
            "{\"error\":\"validation_failed\",\"violations\":[{\"path\":"
            "\"/procedure\",\"keyword\":\"\",\"code\":\"required\",\"message\":"
            "{\"vi\":\"Thiếu mã thủ tục hành chính (procedure).\",\"en\":"
            "\"The procedure code (procedure) is missing.\"}}]}");
        *rc = ngx_http_dvc_send_json(r, NGX_HTTP_DVC_UNPROCESSABLE,
                                     body.data, body.len);
        return 0;
    }

    /* the schema's verdict, then the procedure's documents (x-dvc) */
    dvc_buf_puts(&out, "{\"error\":\"validation_failed\",\"violations\":");

    nerr = dvc_validate_error_count(b->v);
    if (nerr) {
        dvc_errors_to_json(&out, b->v);
        out.len--;    /* reopen the array for the document checks */

    } else {
        dvc_buf_putc(&out, '[');
    }

    dvc_dossier_scan_facts(b->scan, &facts);

    for (i = 0; i < facts.ndocuments && i < NGX_HTTP_DVC_MAX_DOCS; i++) {
        kinds[i] = facts.documents[i].kind ? facts.documents[i].kind : "";
        lens[i] = facts.documents[i].kind_len;
    }

    n = dvc_procedure_check_documents(b->proc->procedure, kinds, lens, i,
                                      &out);

    dvc_buf_puts(&out, "]}");

    if (out.failed || n < 0) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return 0;
    }

    if (nerr + (size_t) n > 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s for procedure \"%s\" refused: %uz "
                      "violation(s)", b->what, b->proc->procedure->code,
                      nerr + (size_t) n);
        *rc = ngx_http_dvc_send_json(r, NGX_HTTP_DVC_UNPROCESSABLE,
                                     (u_char *) out.data, out.len);
        return 0;
    }

    /* valid: the validator is not needed any more, others may use it */
    ngx_http_dvc_validator_put(b->proc, b->v);
    b->v = NULL;
    b->valid = 1;

    return 1;
}


/* The request is over: pooled contexts go back for the next one. */
static void
ngx_http_dvc_body_cleanup(void *data)
{
    ngx_http_dvc_body_t *b = data;

    if (b->v) {
        ngx_http_dvc_validator_put(b->proc, b->v);
        b->v = NULL;
    }

    if (b->scan) {
        ngx_http_dvc_scan_put(b->dmcf, b->scan);
        b->scan = NULL;
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
