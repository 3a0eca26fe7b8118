/*
 * GET /dvc/v1/dossiers/{code}[/receipt]: a citizen looks up a dossier's status with its
 * lookup token, answered from Redis in one round trip (HMGET).
 *
 * An unknown code, a wrong token and a missing token give byte-identical 404s,
 * so codes (which are sequential) cannot be probed.  The token's SHA-256 is
 * computed before Redis is asked, whatever the outcome, and compared in
 * constant time; the token itself is never stored nor logged.
 */

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "ngx_http_dvc_module.h"
#include "dvc_code.h"
#include "dvc_retention.h"
#include "dvc_status.h"


#define NGX_HTTP_DVC_TOKEN_MAX  128


/* HMGET field order; the reply array follows it */
typedef enum {
    DVC_F_TOKEN_SHA256 = 0,
    DVC_F_CODE,
    DVC_F_PROCEDURE,
    DVC_F_AGENCY,
    DVC_F_STATUS,
    DVC_F_DELIVERY,
    DVC_F_SUBMITTED_AT,
    DVC_F_ACCEPTED_AT,
    DVC_F_DUE_AT,
    DVC_F_DUE_TS,
    DVC_F_UPDATED_AT,
    DVC_F_HISTORY,
    DVC_F_APPOINTMENT_AT,
    DVC_F_APOLOGY,
    DVC_F_CHANNEL,
    DVC_F_RATING,
    DVC_F_PAYMENT,
    DVC_F_TRANSFERS,
    DVC_F_FORMS,
    DVC_F_LAST
} ngx_http_dvc_field_e;

static ngx_str_t  ngx_http_dvc_lookup_fields[] = {
    ngx_string("token_sha256"),
    ngx_string("code"),
    ngx_string("procedure"),
    ngx_string("agency"),
    ngx_string("status"),
    ngx_string("delivery"),
    ngx_string("submitted_at"),
    ngx_string("accepted_at"),
    ngx_string("due_at"),
    ngx_string("due_ts"),
    ngx_string("updated_at"),
    ngx_string("history"),
    ngx_string("appointment_at"),
    ngx_string("apology"),
    ngx_string("channel"),
    ngx_string("rating"),
    ngx_string("payment"),
    ngx_string("transfers"),
    ngx_string("forms"),
};


static ngx_int_t ngx_http_dvc_lookup_token(ngx_http_request_t *r,
    ngx_str_t *token, ngx_uint_t *nargs, ngx_uint_t *nheaders);
static ngx_int_t ngx_http_dvc_dossier_fetch(ngx_http_request_t *r,
    ngx_str_t *code, ngx_str_t *fields, ngx_uint_t nfields,
    ngx_http_dvc_redis_handler_pt handler);
static void ngx_http_dvc_lookup_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static void ngx_http_dvc_receipt_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_lookup_answer(ngx_http_request_t *r,
    ngx_http_dvc_val_t *f);
static ngx_uint_t ngx_http_dvc_lookup_overdue(ngx_http_dvc_val_t *f,
    const dvc_status_info_t *st);
static ngx_uint_t ngx_http_dvc_json_kept(dvc_buf_t *b, const char *key,
    ngx_http_dvc_val_t *v, u_char open, const char *dflt);
static void ngx_http_dvc_json_field(dvc_buf_t *b, const char *name,
    ngx_http_dvc_val_t *v);


static ngx_str_t  ngx_http_dvc_token_header =
    ngx_string("X-DVC-Lookup-Token");


/*
 * What every citizen's request (lookup, receipt, withdrawal, supplement,
 * rating) starts with: the code's form and the token.  The token's SHA-256
 * is computed now, before Redis answers, so a hit, an unknown code and a
 * wrong token cost the same.  NGX_DECLINED with *err: answer that (after
 * reading or discarding the body); the line logged is the same for all.
 * A token given twice is 400 token_ambiguous, before Redis is asked.
 */
ngx_int_t
ngx_http_dvc_dossier_ref(ngx_http_request_t *r, ngx_str_t *code,
    ngx_http_dvc_dossier_ref_t *ref, ngx_http_dvc_error_e *err)
{
    u_char         *p;
    ngx_int_t       rc;
    ngx_str_t       token;
    ngx_uint_t      nargs, nheaders;
    unsigned char   digest[SHA256_DIGEST_LENGTH];

    if (!dvc_code_valid((const char *) code->data, code->len)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: lookup of a malformed code (%uz bytes)",
                      code->len);
        *err = NGX_HTTP_DVC_ERR_BAD_CODE;
        return NGX_DECLINED;
    }

    rc = ngx_http_dvc_lookup_token(r, &token, &nargs, &nheaders);

    if (rc == NGX_BUSY) {
        /* how often, never what: the values are secrets */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: lookup of \"%V\" refused: token_ambiguous, the "
                      "token given %ui times in the query and %ui in headers",
                      code, nargs, nheaders);
        *err = NGX_HTTP_DVC_ERR_TOKEN_AMBIGUOUS;
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: lookup of \"%V\" without a usable token", code);
        *err = ngx_http_dvc_not_found(r, code);
        return NGX_DECLINED;
    }

    ref->code = *code;

    SHA256(token.data, token.len, digest);
    ngx_hex_dump(ref->token_hex, digest, SHA256_DIGEST_LENGTH);

    p = ngx_cpymem(ref->key, "dvc:d:", sizeof("dvc:d:") - 1);
    p = ngx_cpymem(p, code->data, code->len);
    ref->key_len = p - ref->key;

    return NGX_OK;
}


/*
 * What a miss answers: 404, or with dvc_retention 410 archived for a code
 * old enough to have been archived (dvc_retention_code_old).  The same for
 * an unknown code, a wrong token and no token, as 404 is for younger codes:
 * an old dossier still in Redis cannot be told from an archived one without
 * its token.
 */
ngx_http_dvc_error_e
ngx_http_dvc_not_found(ngx_http_request_t *r, ngx_str_t *code)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->retention > 0
        && dvc_retention_code_old((const char *) code->data, code->len,
                                  (int64_t) ngx_time(),
                                  (int64_t) dmcf->retention))
    {
        return NGX_HTTP_DVC_ERR_ARCHIVED;
    }

    return NGX_HTTP_DVC_ERR_NOT_FOUND;
}


/* HMGET of the dossier's fields; fields[0] must be token_sha256. */
ngx_int_t
ngx_http_dvc_dossier_hmget(ngx_http_request_t *r,
    ngx_http_dvc_dossier_ref_t *ref, ngx_str_t *fields, ngx_uint_t nfields,
    ngx_http_dvc_redis_handler_pt handler, void *data)
{
    size_t                     argvlen[2 + NGX_HTTP_DVC_DOSSIER_FIELDS_MAX];
    ngx_uint_t                 i;
    const char                *argv[2 + NGX_HTTP_DVC_DOSSIER_FIELDS_MAX];
    ngx_http_dvc_redis_cmd_t   cmd;

    if (nfields > NGX_HTTP_DVC_DOSSIER_FIELDS_MAX) {
        return NGX_ERROR;
    }

    argv[0] = "HMGET";
    argvlen[0] = 5;
    argv[1] = (const char *) ref->key;
    argvlen[1] = ref->key_len;

    for (i = 0; i < nfields; i++) {
        argv[2 + i] = (const char *) fields[i].data;
        argvlen[2 + i] = fields[i].len;
    }

    cmd.argc = 2 + nfields;
    cmd.argv = argv;
    cmd.argvlen = argvlen;

    /* a replica may answer it while no master does (dvc_redis_read) */
    return ngx_http_dvc_redis_send_read(r, &cmd, 1, handler, data);
}


/* The lookup and the receipt: no body, one HMGET. */
static ngx_int_t
ngx_http_dvc_dossier_fetch(ngx_http_request_t *r, ngx_str_t *code,
    ngx_str_t *fields, ngx_uint_t nfields,
    ngx_http_dvc_redis_handler_pt handler)
{
    ngx_int_t                    rc;
    ngx_http_dvc_error_e         err;
    ngx_http_dvc_dossier_ref_t  *ref;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ref = ngx_palloc(r->pool, sizeof(ngx_http_dvc_dossier_ref_t));
    if (ref == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_dvc_dossier_ref(r, code, ref, &err) != NGX_OK) {
        return ngx_http_dvc_send_error(r, err);
    }

    rc = ngx_http_dvc_dossier_hmget(r, ref, fields, nfields, handler, ref);

    return ngx_http_dvc_redis_sent(r, rc, "lookup of", code);
}


/*
 * The reply's first element is token_sha256.  Returns 1 if it matches, the
 * fields in f; otherwise the request has been answered (404, 503) and *rc
 * says how.
 */
ngx_int_t
ngx_http_dvc_dossier_check(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    ngx_http_dvc_val_t *f, ngx_uint_t nfields, ngx_http_dvc_dossier_ref_t *ctx,
    ngx_int_t *rc)
{
    ngx_http_dvc_val_t  *hash, top;

    if (reply == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: lookup of \"%V\" answered 503: redis failed",
                      &ctx->code);
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
        return 0;
    }

    if (ngx_http_dvc_reply_vals(reply, f, nfields) != (ngx_int_t) nfields) {
        ngx_http_dvc_reply_val(reply, &top);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: lookup of \"%V\" answered 503: unexpected redis "
                      "reply (type %d)", &ctx->code, (int) top.type);
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
        return 0;
    }

    hash = &f[0];

    /* unknown code and wrong token end alike */
    if (hash->type != NGX_HTTP_DVC_VAL_STRING
        || hash->len != SHA256_DIGEST_LENGTH * 2
        || CRYPTO_memcmp(hash->str, ctx->token_hex,
                         SHA256_DIGEST_LENGTH * 2) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: lookup of \"%V\": no such dossier or wrong token",
                      &ctx->code);
        *rc = ngx_http_dvc_send_error(r, ngx_http_dvc_not_found(r,
                                                                &ctx->code));
        return 0;
    }

    return 1;
}


ngx_int_t
ngx_http_dvc_lookup(ngx_http_request_t *r, ngx_str_t *code)
{
    return ngx_http_dvc_dossier_fetch(r, code, ngx_http_dvc_lookup_fields,
                                      DVC_F_LAST, ngx_http_dvc_lookup_reply);
}


static ngx_str_t  ngx_http_dvc_receipt_fields[] = {
    ngx_string("token_sha256"),
    ngx_string("code"),
    ngx_string("receipt"),
};


ngx_int_t
ngx_http_dvc_receipt(ngx_http_request_t *r, ngx_str_t *code)
{
    return ngx_http_dvc_dossier_fetch(r, code, ngx_http_dvc_receipt_fields,
                                      3, ngx_http_dvc_receipt_reply);
}


static void
ngx_http_dvc_receipt_reply(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    void *data)
{
    ngx_http_dvc_dossier_ref_t *ctx = data;

    ngx_int_t            rc;
    dvc_buf_t            b;
    dvc_alloc_t          alloc;
    ngx_http_dvc_val_t   f[3], *receipt;

    if (!ngx_http_dvc_dossier_check(r, reply, f, 3, ctx, &rc)) {
        ngx_http_dvc_finalize(r, rc);
        return;
    }

    receipt = &f[2];

    if (receipt->type != NGX_HTTP_DVC_VAL_STRING) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: receipt of \"%V\" asked before acceptance",
                      &ctx->code);
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_NOT_ACCEPTED));
        return;
    }

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&b, &alloc);
    dvc_buf_puts(&b, "{\"code\":");
    dvc_buf_json_str(&b, (const char *) ctx->code.data, ctx->code.len);
    dvc_buf_puts(&b, ",\"receipt\":");
    dvc_buf_json_str(&b, receipt->str, receipt->len);
    dvc_buf_putc(&b, '}');

    if (b.failed) {
        ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_dvc_finalize(r, ngx_http_dvc_send_json(r, NGX_HTTP_OK,
                                                    (u_char *) b.data, b.len));
}


/*
 * The token from ?token= or the X-DVC-Lookup-Token header.  Given more than
 * once it is ambiguous, and no order decides: NGX_BUSY, with *nargs and
 * *nheaders saying how often it came in each.  Twice means two headers
 * (whatever the case of the name, or one a proxy joined, "a, b"), two token=
 * parameters (whatever the case or percent-encoding of the name, with a
 * value or not), or a header and a parameter, equal or not.  NGX_DECLINED:
 * no usable token.
 */
static ngx_int_t
ngx_http_dvc_lookup_token(ngx_http_request_t *r, ngx_str_t *token,
    ngx_uint_t *nargs, ngx_uint_t *nheaders)
{
    size_t            pos;
    ngx_str_t         name, value;
    ngx_table_elt_t  *h;

    ngx_str_null(token);

    *nargs = 0;
    pos = 0;

    while (ngx_http_dvc_arg_next(&r->args, &pos, &name, &value) == NGX_OK) {
        if (ngx_http_dvc_arg_is(&name, "token")) {
            (*nargs)++;
            *token = value;
        }
    }

    *nheaders = ngx_http_dvc_header_count(r, &ngx_http_dvc_token_header, &h);

    if (*nargs + *nheaders > 1) {
        ngx_str_null(token);
        return NGX_BUSY;
    }

    if (h) {
        *token = h->value;
    }

    /* tokens are base64url: nothing to unescape, and anything longer than
     * we ever issue cannot match */
    if (token->data == NULL || token->len == 0
        || token->len > NGX_HTTP_DVC_TOKEN_MAX)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_dvc_lookup_reply(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    void *data)
{
    ngx_int_t           rc;
    ngx_http_dvc_val_t  f[DVC_F_LAST];

    if (ngx_http_dvc_dossier_check(r, reply, f, DVC_F_LAST, data, &rc)) {
        rc = ngx_http_dvc_lookup_answer(r, f);
    }

    ngx_http_dvc_finalize(r, rc);
}


static ngx_int_t
ngx_http_dvc_lookup_answer(ngx_http_request_t *r, ngx_http_dvc_val_t *f)
{
    size_t                    size;
    ngx_int_t                 n;
    ngx_uint_t                overdue;
    dvc_buf_t                 b;
    dvc_alloc_t               alloc;
    ngx_uint_t                i;
    const dvc_status_info_t  *st;

    st = NULL;

    if (f[DVC_F_STATUS].type == NGX_HTTP_DVC_VAL_STRING) {
        n = ngx_atoi((u_char *) f[DVC_F_STATUS].str, f[DVC_F_STATUS].len);
        st = dvc_status_info((int) n);
    }

    if (st == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: dossier hash for \"%*s\" has no valid status",
                      (size_t) f[DVC_F_CODE].len, f[DVC_F_CODE].str);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    overdue = ngx_http_dvc_lookup_overdue(f, st);

    size = 512;
    for (i = 0; i < DVC_F_LAST; i++) {
        if (f[i].type == NGX_HTTP_DVC_VAL_STRING) {
            size += f[i].len * 2;
        }
    }

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&b, &alloc);
    dvc_buf_reserve(&b, size);

    dvc_buf_putc(&b, '{');
    ngx_http_dvc_json_field(&b, "code", &f[DVC_F_CODE]);
    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "procedure", &f[DVC_F_PROCEDURE]);
    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "agency", &f[DVC_F_AGENCY]);
    dvc_buf_printf(&b, ",\"status\":\"%s\",\"status_number\":%d,"
                   "\"status_name\":{\"vi\":\"%s\",\"en\":\"%s\"}",
                   st->slug, (int) st->number, st->name_vi, st->name_en);
    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "delivery", &f[DVC_F_DELIVERY]);
    /* how it reached the desk; dossiers recorded before channels were
     * kept all came online */
    dvc_buf_puts(&b, ",\"channel\":");
    if (f[DVC_F_CHANNEL].type == NGX_HTTP_DVC_VAL_STRING) {
        dvc_buf_json_str(&b, f[DVC_F_CHANNEL].str, f[DVC_F_CHANNEL].len);

    } else {
        dvc_buf_puts(&b, "\"online\"");
    }

    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "submitted_at", &f[DVC_F_SUBMITTED_AT]);
    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "accepted_at", &f[DVC_F_ACCEPTED_AT]);
    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "due_at", &f[DVC_F_DUE_AT]);
    dvc_buf_putc(&b, ',');
    /* after a delay (form 04): the new appointment and the apology; due_at
     * stays the original, on which overdue is judged */
    ngx_http_dvc_json_field(&b, "appointment_at", &f[DVC_F_APPOINTMENT_AT]);
    ngx_http_dvc_json_kept(&b, ",\"apology\":", &f[DVC_F_APOLOGY], '{',
                           "null");
    /* after an online payment: its facts and signed receipt
     * (ngx_http_dvc_payment.c) */
    ngx_http_dvc_json_kept(&b, ",\"payment\":", &f[DVC_F_PAYMENT], '{',
                           "null");
    /* the signed forms 02, 03, 04 and stop notices, oldest first
     * (dvc_event_decide.c) */
    ngx_http_dvc_json_kept(&b, ",\"forms\":", &f[DVC_F_FORMS], '[', "[]");
    dvc_buf_putc(&b, ',');
    ngx_http_dvc_json_field(&b, "rating", &f[DVC_F_RATING]);
    dvc_buf_putc(&b, ',');
    /* not written before the first change: the submission's time */
    ngx_http_dvc_json_field(&b, "updated_at",
                            f[DVC_F_UPDATED_AT].type
                            == NGX_HTTP_DVC_VAL_STRING
                            ? &f[DVC_F_UPDATED_AT] : &f[DVC_F_SUBMITTED_AT]);
    dvc_buf_puts(&b, overdue ? ",\"overdue\":true" : ",\"overdue\":false");

    /* liên thông: each part sent to another agency, its share, due time
     * and whether it came back late (dvc_transfer.h) */
    ngx_http_dvc_json_kept(&b, ",\"transfers\":", &f[DVC_F_TRANSFERS], '[',
                           "[]");

    if (!ngx_http_dvc_json_kept(&b, ",\"history\":", &f[DVC_F_HISTORY], '[',
                                "[]")
        && f[DVC_F_HISTORY].type != NGX_HTTP_DVC_VAL_NIL)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: dossier \"%*s\" has a malformed history",
                      (size_t) f[DVC_F_CODE].len, f[DVC_F_CODE].str);
    }

    dvc_buf_putc(&b, '}');

    if (b.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dvc: lookup answered 200, status %d", (int) st->number);

    return ngx_http_dvc_send_json(r, NGX_HTTP_OK, (u_char *) b.data, b.len);
}


/* overdue is derived, never stored: an unfinished dossier past its
 * appointment time */
static ngx_uint_t
ngx_http_dvc_lookup_overdue(ngx_http_dvc_val_t *f, const dvc_status_info_t *st)
{
    time_t  due;

    if (f[DVC_F_DUE_TS].type != NGX_HTTP_DVC_VAL_STRING
        || st->number == DVC_STATUS_REFUSED
        || st->number == DVC_STATUS_STOPPED
        || st->number == DVC_STATUS_RESOLVED
        || st->number == DVC_STATUS_RETURNED)
    {
        return 0;
    }

    due = ngx_atotm((u_char *) f[DVC_F_DUE_TS].str, f[DVC_F_DUE_TS].len);

    return due != NGX_ERROR && ngx_time() > due;
}


/*
 * key (,"name":) and a field that is JSON the gateway itself wrote (an
 * object or an array, by its first and last byte), or dflt when it is absent
 * or not that.  1 when the stored JSON was used.
 */
static ngx_uint_t
ngx_http_dvc_json_kept(dvc_buf_t *b, const char *key, ngx_http_dvc_val_t *v,
    u_char open, const char *dflt)
{
    u_char  close = open == '{' ? '}' : ']';

    /* the key whole, as one constant: this runs five times a lookup */
    dvc_buf_puts(b, key);

    if (v->type == NGX_HTTP_DVC_VAL_STRING && v->len >= 2
        && (u_char) v->str[0] == open && (u_char) v->str[v->len - 1] == close)
    {
        dvc_buf_append(b, v->str, v->len);
        return 1;
    }

    dvc_buf_puts(b, dflt);
    return 0;
}


/* "name":"value" from a hash field, or "name":null when it is absent */
static void
ngx_http_dvc_json_field(dvc_buf_t *b, const char *name, ngx_http_dvc_val_t *v)
{
    dvc_buf_putc(b, '"');
    dvc_buf_puts(b, name);
    dvc_buf_puts(b, "\":");

    if (v->type == NGX_HTTP_DVC_VAL_STRING) {
        dvc_buf_json_str(b, v->str, v->len);

    } else {
        dvc_buf_puts(b, "null");
    }
}
