/*
 * Uploaded documents after the upload (ngx_http_dvc_upload.c):
 *
 * - a dossier's documents[] against their uploads: one EVAL reads every
 *   record (dvc:up:{sha256}: size, type) in one round trip before the
 *   dossier's sequence number is taken, and core judges each item
 *   (dvc_upload_check_listed): not uploaded or expired, size or type
 *   other than the upload's, a type or size the kind does not take;
 *   422 with every such document, beside nothing else;
 * - the claim, one EVAL inside the dossier's MULTI: each upload that still
 *   exists loses its TTL and names the dossier (the first one to list it);
 * - the inbox entry's documents, each with its upload's scan ("clean",
 *   "unscanned" under dvc_clamd_fail open, "off" without dvc_clamd), as
 *   the check read it;
 * - GET /dvc/v1/documents/{sha256}: the back-end fetches a file, signed as
 *   it signs its events (dvc_event_key); nginx serves it from the store as
 *   its static module would (sendfile, Range, If-None-Match).
 *
 * A citizen never fetches a file: the endpoint takes only the back-end's
 * signature.
 */

#include "ngx_http_dvc_module.h"
#include "dvc_upload.h"
#include "dvc_procedure.h"
#include "dvc_hmac.h"


typedef struct {
    const dvc_procedure_t            *procedure;
    dvc_dossier_facts_t              *facts;      /* &facts_copy */
    dvc_dossier_facts_t               facts_copy;
    ngx_http_dvc_documents_next_pt    next;
    void                             *data;
    ngx_str_t                        *refusal;    /* deferred: the 422 */
} ngx_http_dvc_documents_ctx_t;


/*
 * What the check read of each upload's scan, kept for the inbox entry
 * (ngx_http_dvc_documents_inbox_json) on the request's pool as the data
 * of a cleanup with a handler of its own, so that submit.c carries nothing
 * more between the two.
 */
typedef struct {
    ngx_uint_t                        n;
    ngx_str_t                        *scan;       /* n, "" when unknown */
} ngx_http_dvc_documents_scans_t;

static void ngx_http_dvc_documents_scans_tag(void *data);


static void ngx_http_dvc_documents_checked(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_documents_signed(ngx_http_request_t *r,
    ngx_http_dvc_main_conf_t *dmcf, size_t *which, ngx_int_t *rc);
static ngx_int_t ngx_http_dvc_documents_send(ngx_http_request_t *r,
    ngx_str_t *sha, ngx_str_t *path, size_t which);
static ngx_int_t ngx_http_dvc_documents_keys(ngx_http_request_t *r,
    dvc_dossier_facts_t *facts, ngx_uint_t extra, const char ***argv,
    size_t **argvlen);


/*
 * every record's size and type, "" for a missing one; a record found with
 * less than 60 s left is given 60 s, so that it cannot expire between this
 * check and the claim in the dossier's MULTI (milliseconds later; a Redis
 * slower than that fails the submission): else the dossier would name an
 * upload without a record, whose file "dvc documents gc" removes
 */
static const char  ngx_http_dvc_documents_read_lua[] =
    "local r = {} "
    "for i, k in ipairs(KEYS) do "
    "local v = redis.call('HMGET', k, 'size', 'type', 'scan') "
    "if v[1] then local t = redis.call('TTL', k) "
    "if t >= 0 and t < 60 then redis.call('EXPIRE', k, 60) end end "
    "r[#r + 1] = v[1] or '' r[#r + 1] = v[2] or '' "
    "r[#r + 1] = v[3] or '' end "
    "return r";

/* the uploads that still exist lose their TTL and name the dossier */
static const char  ngx_http_dvc_documents_claim_lua[] =
    "for i, k in ipairs(KEYS) do "
    "if redis.call('EXISTS', k) == 1 then "
    "redis.call('HSETNX', k, 'dossier', ARGV[1]) "
    "redis.call('PERSIST', k) end end "
    "return #KEYS";

static ngx_str_t  ngx_http_dvc_documents_ts = ngx_string("X-DVC-Timestamp");
static ngx_str_t  ngx_http_dvc_documents_sig = ngx_string("X-DVC-Signature");


/*
 * argv = {EVAL, script, n, dvc:up:{sha256} x n, <extra slots>}: the keys of
 * the listed documents, on the request's pool.  A document whose sha256 is
 * not 64 lowercase hex digits (the schema refuses it; a procedure may not)
 * is keyed as it is: it has no record.
 */
static ngx_int_t
ngx_http_dvc_documents_keys(ngx_http_request_t *r, dvc_dossier_facts_t *facts,
    ngx_uint_t extra, const char ***argv, size_t **argvlen)
{
    u_char                   *p;
    size_t                   *lens;
    ngx_uint_t                i, n;
    const char              **args;
    const dvc_dossier_doc_t  *d;

    n = facts->ndocuments;

    args = ngx_palloc(r->pool, (3 + n + extra) * sizeof(char *));
    lens = ngx_palloc(r->pool, (3 + n + extra) * sizeof(size_t));
    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN + 1);

    if (args == NULL || lens == NULL || p == NULL) {
        return NGX_ERROR;
    }

    args[0] = "EVAL";
    lens[0] = 4;
    /* [1]: the script, the caller's */
    lens[2] = ngx_sprintf(p, "%ui", n) - p;
    args[2] = (const char *) p;

    for (i = 0; i < n; i++) {
        d = &facts->documents[i];

        p = ngx_pnalloc(r->pool, sizeof("dvc:up:") - 1 + d->sha256_len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        args[3 + i] = (const char *) p;
        p = ngx_cpymem(p, "dvc:up:", sizeof("dvc:up:") - 1);
        p = ngx_cpymem(p, d->sha256 ? d->sha256 : "", d->sha256_len);
        lens[3 + i] = (u_char *) p - (u_char *) args[3 + i];
    }

    *argv = args;
    *argvlen = lens;

    return NGX_OK;
}


ngx_int_t
ngx_http_dvc_documents_check(ngx_http_request_t *r,
    const dvc_procedure_t *p, dvc_dossier_facts_t *facts,
    ngx_http_dvc_documents_next_pt next, void *data, ngx_str_t *refusal)
{
    size_t                         *argvlen;
    ngx_int_t                       rc;
    const char                    **argv;
    ngx_http_dvc_redis_cmd_t        cmd;
    ngx_http_dvc_main_conf_t       *dmcf;
    ngx_http_dvc_documents_ctx_t   *ctx;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    /* without a store no upload exists: the hashes are the client's word,
     * as before uploads were taken */
    if (dmcf->documents.len == 0 || facts->ndocuments == 0) {
        return NGX_DECLINED;
    }

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_dvc_documents_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the documents themselves stay in the intake, the request's */
    ctx->procedure = p;
    ctx->facts_copy = *facts;
    ctx->facts = &ctx->facts_copy;
    ctx->next = next;
    ctx->data = data;
    ctx->refusal = refusal;

    if (ngx_http_dvc_documents_keys(r, facts, 0, &argv, &argvlen) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[1] = ngx_http_dvc_documents_read_lua;
    argvlen[1] = sizeof(ngx_http_dvc_documents_read_lua) - 1;

    cmd.argc = 3 + facts->ndocuments;
    cmd.argv = argv;
    cmd.argvlen = argvlen;

    rc = ngx_http_dvc_redis_send(r, &cmd, 1, ngx_http_dvc_documents_checked,
                                 ctx);

    return ngx_http_dvc_redis_sent(r, rc, "submission's documents", NULL);
}


/* One listed document against its upload's record as read (size, type:
 * "" when there is none) and its kind's rules: core's verdict. */
static dvc_upload_result_t
ngx_http_dvc_documents_judge(const dvc_procedure_t *p,
    const dvc_dossier_doc_t *d, ngx_http_dvc_val_t *vs, ngx_http_dvc_val_t *vt)
{
    off_t                       n;
    dvc_media_t                 declared;
    dvc_upload_rules_t          rules;
    dvc_upload_record_t         rec;
    const dvc_procedure_doc_t  *kind;

    ngx_memzero(&rec, sizeof(dvc_upload_record_t));

    if (vs->type == NGX_HTTP_DVC_VAL_STRING && vs->len
        && vt->type == NGX_HTTP_DVC_VAL_STRING && vt->len)
    {
        n = ngx_atoof((u_char *) vs->str, vs->len);

        rec.found = n >= 0;
        rec.size = (uint64_t) (int64_t) n;
        rec.type = dvc_media_parse(vt->str, vt->len);
    }

    declared = d->media_type ? dvc_media_parse(d->media_type,
                                               d->media_type_len)
                             : DVC_MEDIA_NONE;

    kind = d->kind ? dvc_procedure_document(p, d->kind, d->kind_len) : NULL;

    rules.types = kind ? kind->types : 0;
    rules.max_size = kind ? kind->max_size : 0;

    return dvc_upload_check_listed(&rec, d->size, declared, &rules);
}


static void
ngx_http_dvc_documents_checked(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_documents_ctx_t *ctx = data;

    ngx_uint_t                       i, bad;
    dvc_buf_t                        out;
    dvc_alloc_t                      alloc;
    ngx_int_t                        nel;
    const char                      *err;
    ngx_http_dvc_val_t               vs, vt, vc;
    ngx_pool_cleanup_t              *cln;
    ngx_http_dvc_documents_scans_t  *scans;
    dvc_upload_result_t              res;
    const dvc_dossier_doc_t         *d;

    nel = ngx_http_dvc_reply_vals(reply, NULL, 0);

    if (nel == NGX_ERROR || (ngx_uint_t) nel != 3 * ctx->facts->ndocuments) {
        err = ngx_http_dvc_reply_error(reply);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: submission answered 503, nothing recorded: its "
                      "documents' records could not be read (%s)",
                      reply == NULL ? "no reply"
                      : err != NULL ? err : "unexpected reply");
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE));
        return;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_dvc_documents_scans_t));
    scans = cln ? cln->data : NULL;

    if (scans) {
        scans->n = ctx->facts->ndocuments;
        scans->scan = ngx_pcalloc(r->pool, scans->n * sizeof(ngx_str_t));
        cln->handler = ngx_http_dvc_documents_scans_tag;
    }

    if (scans == NULL || scans->scan == NULL) {
        ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&out, &alloc);
    dvc_buf_puts(&out, "{\"error\":\"validation_failed\",\"violations\":[");

    bad = 0;

    for (i = 0; i < ctx->facts->ndocuments; i++) {
        d = &ctx->facts->documents[i];
        ngx_http_dvc_reply_val(ngx_http_dvc_reply_elem(reply, 3 * i), &vs);
        ngx_http_dvc_reply_val(ngx_http_dvc_reply_elem(reply, 3 * i + 1), &vt);
        ngx_http_dvc_reply_val(ngx_http_dvc_reply_elem(reply, 3 * i + 2), &vc);

        /* copied: the reply is freed after this handler */
        if (vc.type == NGX_HTTP_DVC_VAL_STRING && vc.len
            && vc.len <= sizeof("unscanned") - 1)
        {
            scans->scan[i].data = ngx_pnalloc(r->pool, vc.len);
            if (scans->scan[i].data == NULL) {
                ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }
            ngx_memcpy(scans->scan[i].data, vc.str, vc.len);
            scans->scan[i].len = vc.len;
        }

        res = ngx_http_dvc_documents_judge(ctx->procedure, d, &vs, &vt);

        if (res == DVC_UPLOAD_OK) {
            continue;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s's documents[%ui] refused: %s",
                      ctx->refusal ? "supplement" : "submission", i,
                      dvc_upload_result_code(res));

        if (bad++) {
            dvc_buf_putc(&out, ',');
        }

        (void) dvc_upload_violation_json(res, i, &out);
    }

    if (bad == 0) {
        ngx_http_dvc_finalize(r, ctx->next(r, ctx->data));
        return;
    }

    dvc_buf_puts(&out, "]}");

    if (out.failed) {
        ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ctx->refusal) {
        /* the caller answers it once it may (a supplement: after the
         * token and the status are checked) */
        ctx->refusal->data = (u_char *) out.data;
        ctx->refusal->len = out.len;
        ngx_http_dvc_finalize(r, ctx->next(r, ctx->data));
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: submission for procedure \"%s\" refused: %ui "
                  "document(s) not as uploaded", ctx->procedure->code, bad);

    ngx_http_dvc_finalize(r, ngx_http_dvc_send_json(r,
                          NGX_HTTP_DVC_UNPROCESSABLE, (u_char *) out.data,
                          out.len));
}


ngx_int_t
ngx_http_dvc_documents_claim(ngx_http_request_t *r,
    dvc_dossier_facts_t *facts, const char *code, size_t code_len,
    ngx_http_dvc_redis_cmd_t *cmd)
{
    size_t                     *argvlen;
    const char                **argv;
    ngx_http_dvc_main_conf_t   *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->documents.len == 0 || facts->ndocuments == 0) {
        return 0;
    }

    if (ngx_http_dvc_documents_keys(r, facts, 1, &argv, &argvlen) != NGX_OK) {
        return NGX_ERROR;
    }

    argv[1] = ngx_http_dvc_documents_claim_lua;
    argvlen[1] = sizeof(ngx_http_dvc_documents_claim_lua) - 1;
    argv[3 + facts->ndocuments] = code;
    argvlen[3 + facts->ndocuments] = code_len;

    cmd->argc = 4 + facts->ndocuments;
    cmd->argv = argv;
    cmd->argvlen = argvlen;

    return 1;
}


static void
ngx_http_dvc_documents_scans_tag(void *data)
{
    (void) data;            /* nothing to free: it only marks the scans */
}


/*
 * The inbox entry's "documents": [{"kind","sha256","size","type","scan"}],
 * as checked against the uploads ("scan" as the check read it; "unscanned"
 * tells the back-end clamd never saw that file); nothing without a store.
 */
void
ngx_http_dvc_documents_inbox_json(ngx_http_request_t *r,
    dvc_dossier_facts_t *facts, dvc_buf_t *out)
{
    ngx_uint_t                       i;
    ngx_pool_cleanup_t              *c;
    const dvc_dossier_doc_t         *d;
    ngx_http_dvc_main_conf_t        *dmcf;
    ngx_http_dvc_documents_scans_t  *scans;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->documents.len == 0 || facts->ndocuments == 0) {
        return;
    }

    scans = NULL;

    for (c = r->pool->cleanup; c; c = c->next) {
        if (c->handler == ngx_http_dvc_documents_scans_tag) {
            scans = c->data;
            break;
        }
    }

    dvc_buf_putc(out, '[');

    for (i = 0; i < facts->ndocuments; i++) {
        d = &facts->documents[i];

        dvc_buf_puts(out, i ? ",{\"kind\":" : "{\"kind\":");
        dvc_buf_json_str(out, d->kind ? d->kind : "", d->kind_len);
        dvc_buf_puts(out, ",\"sha256\":");
        dvc_buf_json_str(out, d->sha256 ? d->sha256 : "", d->sha256_len);
        dvc_buf_printf(out, ",\"size\":%lld,\"type\":", d->size);
        dvc_buf_json_str(out, d->media_type ? d->media_type : "",
                         d->media_type_len);

        if (scans && i < scans->n && scans->scan[i].len) {
            dvc_buf_puts(out, ",\"scan\":");
            dvc_buf_json_str(out, (const char *) scans->scan[i].data,
                             scans->scan[i].len);
        }

        dvc_buf_putc(out, '}');
    }

    dvc_buf_putc(out, ']');
}


/*
 * GET /dvc/v1/documents/{sha256}: the back-end's fetch, signed like its
 * events over "timestamp \n GET \n target \n" (no body).  The file is
 * served from the store by nginx's own output: sendfile when configured,
 * Range and If-None-Match through its filters.
 */
/* The back-end's signature over "timestamp \n GET \n target \n" (HEAD is
 * signed as GET: the same request without its body).  NGX_OK, or the
 * refusal answered. */
static ngx_int_t
ngx_http_dvc_documents_signed(ngx_http_request_t *r,
    ngx_http_dvc_main_conf_t *dmcf, size_t *which_p, ngx_int_t *rc)
{
    int               sig;
    size_t            which;
    ngx_uint_t        nts, nsig, level;
    dvc_alloc_t       alloc;
    ngx_table_elt_t  *ts, *sg;

    which = 0;
    nts = ngx_http_dvc_header_count(r, &ngx_http_dvc_documents_ts, &ts);
    nsig = ngx_http_dvc_header_count(r, &ngx_http_dvc_documents_sig, &sg);

    if (nts > 1 || nsig > 1) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: document fetch refused: signature_ambiguous");
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_SIGNATURE_AMBIGUOUS);
        return 0;
    }

    ngx_http_dvc_pool_alloc(r->pool, &alloc);

    sig = dvc_sig_check(&alloc, dmcf->event_keys->elts,
                        dmcf->event_keys->nelts, ngx_time(),
                        ts ? (const char *) ts->value.data : NULL,
                        ts ? ts->value.len : 0,
                        sg ? (const char *) sg->value.data : NULL,
                        sg ? sg->value.len : 0, "GET", 3,
                        (const char *) r->unparsed_uri.data,
                        r->unparsed_uri.len, "", 0, &which);

    if (sig != DVC_SIG_OK) {
        level = sig < 0 ? NGX_LOG_ALERT : NGX_LOG_WARN;
        ngx_log_error(level, r->connection->log, 0,
                      "dvc: document fetch refused: %s",
                      sig < 0 ? "the MAC failed"
                              : dvc_sig_result_code((dvc_sig_result_t) sig));
        *rc = ngx_http_dvc_send_error(r,
                   sig < 0 ? NGX_HTTP_DVC_ERR_INTERNAL
                   : sig == DVC_SIG_STALE ? NGX_HTTP_DVC_ERR_SIGNATURE_STALE
                   : sig == DVC_SIG_INVALID
                     ? NGX_HTTP_DVC_ERR_SIGNATURE_INVALID
                     : NGX_HTTP_DVC_ERR_SIGNATURE_MISSING);
        return 0;
    }

    *which_p = which;

    return 1;
}


/* The file from the store, as nginx's static module serves one: sendfile
 * when configured, Range and If-None-Match through its filters. */
static ngx_int_t
ngx_http_dvc_documents_send(ngx_http_request_t *r, ngx_str_t *sha,
    ngx_str_t *path_p, size_t which)
{
    u_char                     head[DVC_UPLOAD_HEAD];
    ssize_t                    n;
    ngx_int_t                  rc;
    ngx_str_t                  path = *path_p;
    ngx_buf_t                 *b;
    ngx_file_t                *file;
    ngx_chain_t                out;
    dvc_media_t                type;
    ngx_table_elt_t           *h;
    ngx_file_info_t            fi;
    ngx_pool_cleanup_t        *cln;
    ngx_pool_cleanup_file_t   *clnf;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_pool_cleanup_file_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    if (file == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    file->fd = ngx_open_file(path.data, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK,
                             NGX_FILE_OPEN, 0);

    if (file->fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, ngx_errno,
                      "dvc: document %V not in the store", sha);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_NOT_FOUND_DOCUMENT);
    }

    cln->handler = ngx_pool_cleanup_file;
    clnf = cln->data;
    clnf->fd = file->fd;
    clnf->name = path.data;
    clnf->log = r->pool->log;

    file->name = path;
    file->log = r->connection->log;

    if (ngx_fd_info(file->fd, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      ngx_fd_info_n " \"%V\" failed", &path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* its type from its first bytes: the upload was refused unless they
     * were one of the three */
    n = ngx_read_file(file, head, sizeof(head), 0);
    type = n > 0 ? dvc_media_sniff(head, (size_t) n) : DVC_MEDIA_NONE;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = ngx_file_size(&fi);
    r->headers_out.last_modified_time = ngx_file_mtime(&fi);

    if (type != DVC_MEDIA_NONE) {
        r->headers_out.content_type.data = (u_char *) dvc_media_name(type);
        r->headers_out.content_type.len = ngx_strlen(dvc_media_name(type));

    } else {
        ngx_str_set(&r->headers_out.content_type, "application/octet-stream");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (ngx_http_set_etag(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->allow_ranges = 1;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: document %V fetched by the back-end (key %ui)", sha,
                  (ngx_uint_t) which);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->file = file;
    b->file_pos = 0;
    b->file_last = ngx_file_size(&fi);
    b->in_file = b->file_last ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_dvc_documents(ngx_http_request_t *r, ngx_str_t *sha)
{
    u_char                    *p;
    size_t                     which;
    ngx_int_t                  rc;
    ngx_str_t                  path;
    ngx_http_dvc_main_conf_t  *dmcf;
    char                       rel[DVC_UPLOAD_REL_LEN];

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    which = 0;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (dmcf->documents.len == 0) {
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT);
    }

    if (dmcf->event_keys == NULL || dmcf->event_keys->nelts == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: document fetch refused: no dvc_event_key "
                      "configured");
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_EVENTS_DISABLED);
    }

    if (!ngx_http_dvc_documents_signed(r, dmcf, &which, &rc)) {
        return rc;
    }

    if (dvc_upload_store_path((const char *) sha->data, sha->len, rel) != 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: document fetch: not a sha256");
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_NOT_FOUND_DOCUMENT);
    }

    path.len = dmcf->documents.len + 1 + DVC_UPLOAD_REL_LEN;
    path.data = ngx_pnalloc(r->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(path.data, dmcf->documents.data, dmcf->documents.len);
    *p++ = '/';
    p = ngx_cpymem(p, rel, DVC_UPLOAD_REL_LEN);
    *p = '\0';

    return ngx_http_dvc_documents_send(r, sha, &path, which);
}
