/*
 * POST /dvc/v1/uploads: a citizen uploads one scanned document (PDF, JPEG,
 * PNG) as the raw body, before submitting the dossier that lists it.
 *
 * 1. The body goes to nginx's temp file as any large body does
 *    (client_body_buffer_size at a time, never whole in memory), and on
 *    the way through the request body filter core hashes and sniffs it
 *    (dvc_upload.h): one pass, never a second read for the hash.
 * 2. Core's verdict: the magic against Content-Type, empty, malformed or
 *    encrypted PDF, and with X-DVC-Procedure and X-DVC-Document-Kind the
 *    kind's types and max_size (a Content-Length already over max_size is
 *    refused before a byte is read).
 * 3. With dvc_clamd, the file goes to ClamAV (ngx_http_dvc_clamd.c):
 *    infected 422, nothing stored; clamd down or slow 503 unless
 *    "dvc_clamd_fail open".
 * 4. The temp file is renamed to DIR/ab/abcdef... (content-addressed, as
 *    nginx's DAV module renames a PUT); the same file twice is stored once,
 *    and two clients racing with it rename the same bytes atomically.
 * 5. Redis: the record dvc:up:{sha256} with its TTL (dvc_upload_ttl), or,
 *    when a dossier already owns that file, left as it is; then 201
 *    {"sha256","size","type","expires_at"}, the same answer in both cases
 *    (the held file lives at least that long), so that an uploader does
 *    not learn whether some dossier holds the file.
 *
 * A client that leaves mid-body never reaches 2: nginx deletes the temp
 * file with the request (request_body_in_clean_file), nothing is stored or
 * recorded.  A file stored whose record failed (Redis down: 503) has no
 * record; `dvc documents gc` removes it.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_upload.h"
#include "dvc_clamd.h"
#include "dvc_procedure.h"
#include "dvc_time.h"


typedef struct {
    ngx_http_dvc_body_t          b;             /* first: the body filter's */
    dvc_alloc_t                  alloc;
    dvc_upload_rules_t           rules;
    ngx_uint_t                   has_rules;
    dvc_media_t                  declared;
    char                         hex[DVC_SHA256_HEX_LEN + 1];
    uint64_t                     size;
    ngx_str_t                    path;          /* DIR/ab/abcdef... */
    const char                  *scan;          /* "clean", "unscanned", "off" */
    char                         size_text[NGX_INT64_LEN + 1];
    char                         ttl_text[NGX_INT64_LEN + 1];
    char                         now_text[NGX_INT64_LEN + 1];
} ngx_http_dvc_upload_ctx_t;


static ngx_int_t ngx_http_dvc_upload_rules(ngx_http_request_t *r,
    ngx_http_dvc_main_conf_t *dmcf, ngx_http_dvc_upload_ctx_t *ctx,
    dvc_upload_result_t *res);
static void ngx_http_dvc_upload_body_done(ngx_http_request_t *r);
static void ngx_http_dvc_upload_scanned(ngx_http_request_t *r,
    ngx_uint_t verdict, const char *what, void *data);
static ngx_int_t ngx_http_dvc_upload_store(ngx_http_request_t *r,
    ngx_http_dvc_upload_ctx_t *ctx);
static void ngx_http_dvc_upload_recorded(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_upload_refuse(ngx_http_request_t *r,
    dvc_upload_result_t res, ngx_uint_t read_body);
static void ngx_http_dvc_upload_cleanup(void *data);


static ngx_str_t  ngx_http_dvc_upload_proc_header =
    ngx_string("X-DVC-Procedure");
static ngx_str_t  ngx_http_dvc_upload_kind_header =
    ngx_string("X-DVC-Document-Kind");
static ngx_str_t  ngx_http_dvc_upload_type_header =
    ngx_string("Content-Type");


/*
 * The record, unless a dossier owns the file already (its "dossier" field:
 * no TTL then, and none is given back).  Answers the seconds left, or -1.
 */
static const char  ngx_http_dvc_upload_lua[] =
    "if redis.call('HEXISTS', KEYS[1], 'dossier') == 1 then return -1 end "
    "redis.call('HSET', KEYS[1], 'size', ARGV[1], 'type', ARGV[2], "
    "'uploaded_ts', ARGV[3], 'scan', ARGV[5]) "
    "redis.call('EXPIRE', KEYS[1], ARGV[4]) "
    "return tonumber(ARGV[4])";


ngx_int_t
ngx_http_dvc_upload(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_uint_t                  n;
    ngx_table_elt_t            *ct;
    dvc_upload_result_t         res;
    ngx_pool_cleanup_t         *cln;
    ngx_http_dvc_upload_ctx_t  *ctx;
    ngx_http_dvc_main_conf_t   *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->documents.len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: no \"dvc_documents\" configured");

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_upload_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_dvc_pool_alloc(r->pool, &ctx->alloc);

    /* Content-Type once, and one of the three */
    n = ngx_http_dvc_header_count(r, &ngx_http_dvc_upload_type_header, &ct);

    if (n > 1) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: Content-Type given %ui times", n);
        return ngx_http_dvc_upload_refuse(r, DVC_UPLOAD_BAD_HEADER, 0);
    }

    ctx->declared = ct ? dvc_media_parse((const char *) ct->value.data,
                                         ct->value.len)
                       : DVC_MEDIA_NONE;

    if (ctx->declared == DVC_MEDIA_NONE) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload with content type \"%V\" refused",
                      ct ? &ct->value : &ngx_http_dvc_empty_str);
        return ngx_http_dvc_upload_refuse(r, DVC_UPLOAD_MEDIA_TYPE, 0);
    }

    res = DVC_UPLOAD_BAD_HEADER;
    rc = ngx_http_dvc_upload_rules(r, dmcf, ctx, &res);

    if (rc == NGX_DECLINED) {
        return ngx_http_dvc_upload_refuse(r, res, 0);
    }

    if (rc == NGX_ABORT) {
        r->keepalive = 0;
        r->lingering_close = 1;
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_PROCEDURE);
    }

    if (ctx->has_rules && r->headers_in.content_length_n > 0
        && dvc_upload_too_large(&ctx->rules,
                                (uint64_t) r->headers_in.content_length_n))
    {
        /* never read: nginx closes after the answer, as for its own 413 */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: Content-Length %O over the "
                      "kind's max_size %uL", r->headers_in.content_length_n,
                      (uint64_t) ctx->rules.max_size);
        return ngx_http_dvc_upload_refuse(r, DVC_UPLOAD_TOO_LARGE, 0);
    }

    ctx->b.upload = dvc_upload_new(&ctx->alloc);

    if (ctx->b.upload == NULL
        || dvc_upload_begin(ctx->b.upload, ctx->declared) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: an upload's SHA-256 cannot start");
        dvc_upload_free(ctx->b.upload);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        dvc_upload_free(ctx->b.upload);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_dvc_upload_cleanup;
    cln->data = ctx;

    /* as nginx's DAV module for a PUT: the body in a file of its own, kept
     * for the rename, deleted with the request unless renamed */
    r->request_body_in_file_only = 1;
    r->request_body_in_persistent_file = 1;
    r->request_body_in_clean_file = 1;
    r->request_body_file_log_level = 0;

    return ngx_http_dvc_body_read(r, &ctx->b, "upload", 0, 0,
                                  ngx_http_dvc_upload_body_done);
}


/*
 * X-DVC-Procedure and X-DVC-Document-Kind: the kind's rules, looked up in
 * the loaded procedures (the values are never a path).  Each header at most
 * once, the kind only with the procedure.  NGX_OK, NGX_DECLINED with *res,
 * or NGX_ABORT for an unknown procedure (404 unknown_procedure).
 */
static ngx_int_t
ngx_http_dvc_upload_rules(ngx_http_request_t *r,
    ngx_http_dvc_main_conf_t *dmcf, ngx_http_dvc_upload_ctx_t *ctx,
    dvc_upload_result_t *res)
{
    ngx_uint_t                    np, nk;
    ngx_table_elt_t              *proc, *kind;
    const dvc_procedure_doc_t    *doc;
    ngx_http_dvc_procedure_rt_t  *rt;

    np = ngx_http_dvc_header_count(r, &ngx_http_dvc_upload_proc_header,
                                   &proc);
    nk = ngx_http_dvc_header_count(r, &ngx_http_dvc_upload_kind_header,
                                   &kind);

    if (np > 1 || nk > 1 || (nk && !np)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: X-DVC-Procedure given %ui "
                      "time(s), X-DVC-Document-Kind %ui", np, nk);
        *res = DVC_UPLOAD_BAD_HEADER;
        return NGX_DECLINED;
    }

    if (np == 0) {
        return NGX_OK;
    }

    rt = ngx_http_dvc_procedure_find(dmcf, (const char *) proc->value.data,
                                     proc->value.len);

    if (rt == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: unknown procedure in "
                      "X-DVC-Procedure");
        return NGX_ABORT;
    }

    if (nk == 0) {
        return NGX_OK;
    }

    doc = dvc_procedure_document(rt->procedure,
                                 (const char *) kind->value.data,
                                 kind->value.len);

    if (doc == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: procedure \"%s\" has no such "
                      "document kind", rt->procedure->code);
        *res = DVC_UPLOAD_BAD_KIND;
        return NGX_DECLINED;
    }

    ctx->rules.types = doc->types;
    ctx->rules.max_size = doc->max_size;
    ctx->has_rules = 1;

    return NGX_OK;
}


/* The whole body is in the temp file: core's verdict, then clamd. */
static void
ngx_http_dvc_upload_body_done(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    dvc_upload_result_t         res;
    ngx_temp_file_t            *tf;
    ngx_http_dvc_upload_ctx_t  *ctx;
    ngx_http_dvc_main_conf_t   *dmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dvc_module);
    dmcf = ctx->b.dmcf;

    ngx_http_dvc_body_finish(&ctx->b);

    if (dvc_upload_finish(ctx->b.upload, ctx->hex) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: an upload's SHA-256 failed");
        ngx_http_finalize_request(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL));
        return;
    }

    ctx->size = dvc_upload_size(ctx->b.upload);
    res = dvc_upload_verdict(ctx->b.upload,
                             ctx->has_rules ? &ctx->rules : NULL);

    if (res != DVC_UPLOAD_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: upload refused: %s (declared %s, %uL bytes)",
                      dvc_upload_result_code(res),
                      dvc_media_name(ctx->declared), ctx->size);
        ngx_http_finalize_request(r,
                                  ngx_http_dvc_upload_refuse(r, res, 1));
        return;
    }

    tf = r->request_body ? r->request_body->temp_file : NULL;

    if (tf == NULL || tf->file.fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: upload of %uL bytes has no temp file", ctx->size);
        ngx_http_finalize_request(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL));
        return;
    }

    if (dmcf->clamd == NULL) {
        ctx->scan = "off";
        rc = ngx_http_dvc_upload_store(r, ctx);
        ngx_http_finalize_request(r, rc);
        return;
    }

    r->main->count++;

    if (ngx_http_dvc_clamd_scan(r, &tf->file, (off_t) ctx->size,
                                ngx_http_dvc_upload_scanned, ctx)
        != NGX_OK)
    {
        r->main->count--;
        ngx_http_dvc_upload_scanned(r, DVC_CLAMD_ERROR, "cannot connect",
                                    NULL);
        return;
    }

    /* the post handler's own reference goes; the scan holds one */
    ngx_http_finalize_request(r, NGX_DONE);
}


/*
 * clamd's verdict.  data is NULL when the scan never started (the
 * post handler's reference is then the one to finalize).
 */
static void
ngx_http_dvc_upload_scanned(ngx_http_request_t *r, ngx_uint_t verdict,
    const char *what, void *data)
{
    ngx_int_t                   rc;
    ngx_http_dvc_upload_ctx_t  *ctx;
    ngx_http_dvc_main_conf_t   *dmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dvc_module);
    dmcf = ctx->b.dmcf;

    ngx_http_dvc_metrics_clamd(verdict);

    switch (verdict) {

    case DVC_CLAMD_CLEAN:
        ctx->scan = "clean";
        rc = ngx_http_dvc_upload_store(r, ctx);
        break;

    case DVC_CLAMD_INFECTED:
        /* the signature's name and the hash: no personal data */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: upload refused: document_infected (\"%s\", "
                      "sha256 %s, %uL bytes), nothing stored", what,
                      ctx->hex, ctx->size);
        rc = ngx_http_dvc_upload_refuse(r, DVC_UPLOAD_INFECTED, 1);
        break;

    default:
        if (dmcf->clamd_fail_open) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "dvc: clamd \"%V\" failed (%s): upload %s stored "
                          "UNSCANNED, \"dvc_clamd_fail open\"",
                          &dmcf->clamd_text, what, ctx->hex);
            ctx->scan = "unscanned";
            rc = ngx_http_dvc_upload_store(r, ctx);
            break;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: upload answered 503, nothing stored: clamd "
                      "\"%V\" failed (%s)", &dmcf->clamd_text, what);
        rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
        break;
    }

    if (data == NULL) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_dvc_finalize(r, rc);
}


/* Into the store by rename, then the record.  NGX_DONE while Redis works. */
static ngx_int_t
ngx_http_dvc_upload_store(ngx_http_request_t *r,
    ngx_http_dvc_upload_ctx_t *ctx)
{
    u_char                     *p;
    ngx_int_t                   rc;
    ngx_file_info_t             fi;
    ngx_temp_file_t            *tf;
    const char                 *type;
    ngx_ext_rename_file_t       ext;
    ngx_http_dvc_redis_cmd_t    cmd;
    ngx_http_dvc_main_conf_t   *dmcf;
    char                        key[sizeof("dvc:up:") - 1
                                    + DVC_SHA256_HEX_LEN];
    char                        rel[DVC_UPLOAD_REL_LEN];
    const char                 *argv[9];
    size_t                      argvlen[9];

    dmcf = ctx->b.dmcf;
    tf = r->request_body->temp_file;

    (void) dvc_upload_store_path(ctx->hex, DVC_SHA256_HEX_LEN, rel);

    ctx->path.len = dmcf->documents.len + 1 + DVC_UPLOAD_REL_LEN;
    ctx->path.data = ngx_pnalloc(r->pool, ctx->path.len + 1);
    if (ctx->path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(ctx->path.data, dmcf->documents.data, dmcf->documents.len);
    *p++ = '/';
    p = ngx_cpymem(p, rel, DVC_UPLOAD_REL_LEN);
    *p = '\0';

    if (ngx_file_info(ctx->path.data, &fi) != NGX_FILE_ERROR
        && ngx_is_file(&fi) && ngx_file_size(&fi) == (off_t) ctx->size
        && ngx_set_file_time(ctx->path.data, NGX_INVALID_FILE, ngx_time())
           == NGX_OK)
    {
        /* the same bytes are there: stored once, its time refreshed so
         * that "dvc documents gc" leaves it to this upload's record (if gc
         * took it aside first, utimes fails and ours is renamed in); the
         * temp file goes with the request */
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dvc: upload %s already stored", ctx->hex);

    } else {
        ext.access = 0600;
        ext.path_access = 0700;
        ext.time = -1;
        ext.fd = tf->file.fd;
        ext.create_path = 1;
        ext.delete_file = 1;
        ext.log = r->connection->log;

        if (ngx_ext_rename_file(&tf->file.name, &ctx->path, &ext) != NGX_OK) {
            /* ngx_ext_rename_file logged why ([crit]) */
            return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
        }
    }

    type = dvc_media_name(ctx->declared);

    ngx_memcpy(key, "dvc:up:", sizeof("dvc:up:") - 1);
    ngx_memcpy(key + sizeof("dvc:up:") - 1, ctx->hex, DVC_SHA256_HEX_LEN);

    ngx_sprintf((u_char *) ctx->size_text, "%uL%Z", ctx->size);
    ngx_sprintf((u_char *) ctx->ttl_text, "%T%Z", dmcf->upload_ttl);
    ngx_sprintf((u_char *) ctx->now_text, "%T%Z", ngx_time());

    argv[0] = "EVAL";
    argvlen[0] = 4;
    argv[1] = ngx_http_dvc_upload_lua;
    argvlen[1] = sizeof(ngx_http_dvc_upload_lua) - 1;
    argv[2] = "1";
    argvlen[2] = 1;
    argv[3] = key;
    argvlen[3] = sizeof(key);
    argv[4] = ctx->size_text;
    argvlen[4] = ngx_strlen(ctx->size_text);
    argv[5] = type;
    argvlen[5] = ngx_strlen(type);
    argv[6] = ctx->now_text;
    argvlen[6] = ngx_strlen(ctx->now_text);
    argv[7] = ctx->ttl_text;
    argvlen[7] = ngx_strlen(ctx->ttl_text);
    argv[8] = ctx->scan;
    argvlen[8] = ngx_strlen(ctx->scan);

    cmd.argc = 9;
    cmd.argv = argv;
    cmd.argvlen = argvlen;

    rc = ngx_http_dvc_redis_send(r, &cmd, 1, ngx_http_dvc_upload_recorded,
                                 ctx);

    return ngx_http_dvc_redis_sent(r, rc, "upload", NULL);
}


static void
ngx_http_dvc_upload_recorded(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_upload_ctx_t *ctx = data;

    char                expires[DVC_TIME_VN_LEN + 1];
    dvc_buf_t           out;
    ngx_http_dvc_val_t  v;

    ngx_http_dvc_reply_val(reply, &v);

    if (v.type != NGX_HTTP_DVC_VAL_INTEGER) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: upload answered 503: its record failed (%s); "
                      "the stored file %s waits for \"dvc documents gc\"",
                      reply == NULL ? "no reply"
                      : v.type == NGX_HTTP_DVC_VAL_ERROR ? v.str
                      : "unexpected reply", ctx->hex);
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE));
        return;
    }

    dvc_buf_init(&out, &ctx->alloc);
    dvc_buf_printf(&out, "{\"sha256\":\"%s\",\"size\":%llu,\"type\":\"%s\","
                   "\"expires_at\":", ctx->hex,
                   (unsigned long long) ctx->size,
                   dvc_media_name(ctx->declared));

    /* the seconds left, or -1: a dossier holds the file and it never
     * expires; then a new upload's TTL, a lower bound (see the top) */
    dvc_time_format_vn(ngx_time() + (v.integer >= 0 ? (time_t) v.integer
                                     : ctx->b.dmcf->upload_ttl), expires);
    dvc_buf_printf(&out, "\"%s\"}", expires);

    if (out.failed) {
        ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: upload %s stored: %uL bytes, %s, scan %s%s",
                  ctx->hex, ctx->size, dvc_media_name(ctx->declared),
                  ctx->scan, v.integer >= 0 ? "" : ", held by a dossier");

    ngx_http_dvc_finalize(r, ngx_http_dvc_send_json(r, NGX_HTTP_CREATED,
                          (u_char *) out.data, out.len));
}


/* core's error for res; read_body: the body is in (else it is dropped) */
static ngx_int_t
ngx_http_dvc_upload_refuse(ngx_http_request_t *r, dvc_upload_result_t res,
    ngx_uint_t read_body)
{
    dvc_buf_t    out;
    dvc_alloc_t  alloc;

    if (!read_body) {
        /* as nginx's own 413: the rest of the body is never read, the
         * connection closes after the answer */
        r->keepalive = 0;
        r->lingering_close = 1;
    }

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&out, &alloc);

    if (dvc_upload_error_json(res, &out) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_json(r, dvc_upload_result_status(res),
                                  (u_char *) out.data, out.len);
}


static void
ngx_http_dvc_upload_cleanup(void *data)
{
    ngx_http_dvc_upload_ctx_t *ctx = data;

    dvc_upload_free(ctx->b.upload);
    ctx->b.upload = NULL;
}


/* dvc_documents DIR: the store; made (0700) when nginx reads its
 * configuration, so a typo fails nginx -t */
char *
ngx_http_dvc_documents_dir(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    u_char           *p;
    ngx_str_t        *value;
    ngx_err_t         err;
    ngx_file_info_t   fi;

    if (dmcf->documents.len) {
        return "is duplicate";
    }

    value = cf->args->elts;
    dmcf->documents = value[1];

    while (dmcf->documents.len > 1
           && dmcf->documents.data[dmcf->documents.len - 1] == '/')
    {
        dmcf->documents.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &dmcf->documents, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* NUL-terminated for the file calls */
    p = ngx_pnalloc(cf->pool, dmcf->documents.len + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(p, dmcf->documents.data, dmcf->documents.len);
    p[dmcf->documents.len] = '\0';
    dmcf->documents.data = p;

    if (ngx_file_info(dmcf->documents.data, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;

        if (err != NGX_ENOENT
            || ngx_create_full_path(dmcf->documents.data, 0700) != 0
            || (ngx_create_dir(dmcf->documents.data, 0700) == NGX_FILE_ERROR
                && ngx_errno != NGX_EEXIST))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "dvc: \"dvc_documents\" \"%V\" cannot be "
                               "made", &dmcf->documents);
            return NGX_CONF_ERROR;
        }

    } else if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_documents\" \"%V\" is not a directory",
                           &dmcf->documents);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
