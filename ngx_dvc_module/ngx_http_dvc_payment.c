/*
 * Online payment of the fee the back-end asked for (issue 19):
 *
 *   dvc_payment vnpay tmn_code=CODE secret=FILE return_url=URL [url=URL];
 *
 *   POST /dvc/v1/dossiers/{code}/payment      the citizen, lookup token
 *   GET  /dvc/v1/payments/{provider}/ipn?...  the provider's server
 *
 * The protocol is core's (dvc_payment.h: the signed URL, the IPN's parser
 * and verifier, the decision); this file only reads and writes Redis.
 *
 * The payment endpoint answers the provider's URL for the amount the
 * back-end's request_payment event stored (`pay_amount`), for a dossier in
 * status 6; a body, if any, is never read: no amount comes from the client.
 *
 * The IPN is verified first (97), then the dossier is read with one HMGET
 * (status, ver, pay_amount, history and `pay:{txn_ref}`, the mark of this
 * transaction applied) and core decides.  A payment is applied by the
 * generic compare-and-set script (ngx_http_dvc_apply.c): status 6 -> 4, a
 * history entry, the `payment` field with the signed receipt that the
 * lookup shows, an inbox entry `payment_received` for the back-end, and the
 * once-field `pay:{txn_ref}`.  The script applies nothing if `ver` moved
 * since the read or the once-field exists, so two IPNs at the same instant
 * cannot both apply: the loser reads again and is answered 02.
 *
 * The directive is in ngx_http_dvc_payment_conf.c.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_apply.h"
#include "ngx_http_dvc_payment.h"
#include "dvc_code.h"
#include "dvc_jws.h"
#include "dvc_payment.h"
#include "dvc_status.h"
#include "dvc_time.h"


/* the citizen's request: HMGET field order */
typedef enum {
    PF_TOKEN_SHA256 = 0,
    PF_CODE,
    PF_STATUS,
    PF_PAY_AMOUNT,
    PF_LAST
} ngx_http_dvc_pay_field_e;

static ngx_str_t  ngx_http_dvc_pay_fields[PF_LAST] = {
    ngx_string("token_sha256"),
    ngx_string("code"),
    ngx_string("status"),
    ngx_string("pay_amount"),
};


/* the provider's notice: HMGET field order */
typedef enum {
    NF_CODE = 0,
    NF_STATUS,
    NF_VER,
    NF_PAY_AMOUNT,
    NF_HISTORY,
    NF_PROCEDURE,
    NF_ONCE,                /* pay:{txn_ref} */
    NF_AGENCY,
    NF_CONTACT_EMAIL,       /* the citizen's notice (dvc_notify) */
    NF_CONTACT_PHONE,
    NF_ST_FIRST,            /* DVC_STAT_NFIELDS st_* fields from here */
    NF_LAST = NF_ST_FIRST + DVC_STAT_NFIELDS
} ngx_http_dvc_notice_field_e;


typedef struct {
    ngx_http_dvc_dossier_ref_t   ref;
} ngx_http_dvc_pay_ctx_t;

typedef struct {
    ngx_http_dvc_payment_t      *pay;
    dvc_payment_notice_t         n;
    dvc_alloc_t                  alloc;
    ngx_uint_t                   tries;
    u_char                       key[sizeof("dvc:d:") - 1
                                     + DVC_PAY_CODE_MAX];
    ngx_str_t                    fields[NF_LAST];
    ngx_str_t                    once;        /* pay:{txn_ref}'s value */
    int64_t                      now;
    char                         stat_err[128];
} ngx_http_dvc_notice_ctx_t;


static void ngx_http_dvc_payment_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_notice_read(ngx_http_request_t *r,
    ngx_http_dvc_notice_ctx_t *ctx);
static void ngx_http_dvc_notice_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_notice_apply(ngx_http_request_t *r,
    ngx_http_dvc_notice_ctx_t *ctx, ngx_http_dvc_val_t *f, int64_t ver);
static void ngx_http_dvc_notice_applied(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_notice_sent(ngx_http_request_t *r,
    ngx_http_dvc_notice_ctx_t *ctx, ngx_int_t rc);
static ngx_int_t ngx_http_dvc_notice_answer(ngx_http_request_t *r,
    ngx_http_dvc_payment_t *pay, dvc_pay_verdict_t v);


/* POST /dvc/v1/dossiers/{code}/payment */
ngx_int_t
ngx_http_dvc_payment(ngx_http_request_t *r, ngx_str_t *code)
{
    ngx_int_t                  rc;
    ngx_http_dvc_error_e       err;
    ngx_http_dvc_pay_ctx_t    *ctx;
    ngx_http_dvc_main_conf_t  *dmcf;

    /* whatever the body says (an amount, say), it is not read */
    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->payment == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: payment refused: no dvc_payment configured");
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_PAYMENTS_DISABLED);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_pay_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_dvc_dossier_ref(r, code, &ctx->ref, &err) != NGX_OK) {
        return ngx_http_dvc_send_error(r, err);
    }

    rc = ngx_http_dvc_dossier_hmget(r, &ctx->ref, ngx_http_dvc_pay_fields,
                                    PF_LAST, ngx_http_dvc_payment_reply, ctx);

    return ngx_http_dvc_redis_sent(r, rc, "payment of", code);
}


static void
ngx_http_dvc_payment_reply(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    void *data)
{
    ngx_http_dvc_pay_ctx_t *ctx = data;

    char                       why[128], txn[DVC_PAY_TXN_MAX + 1];
    char                       expires[DVC_TIME_VN_LEN + 1];
    int64_t                    status, amount;
    ngx_int_t                  rc;
    dvc_buf_t                  url, b;
    dvc_alloc_t                alloc;
    ngx_http_dvc_val_t         f[PF_LAST];
    dvc_payment_order_t        o;
    ngx_http_dvc_payment_t    *pay;
    ngx_http_dvc_main_conf_t  *dmcf;

    if (!ngx_http_dvc_dossier_check(r, reply, f, PF_LAST, &ctx->ref, &rc)) {
        ngx_http_dvc_finalize(r, rc);
        return;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    pay = dmcf->payment;

    if (ngx_http_dvc_val_int(&f[PF_STATUS], &status) != 1
        || status != DVC_STATUS_PAYMENT_REQUIRED)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: payment of \"%V\" answered 409: status %L, not 6",
                      &ctx->ref.code, status);
        ngx_http_dvc_finalize(r, ngx_http_dvc_send_error(r,
                                  NGX_HTTP_DVC_ERR_PAYMENT_NOT_REQUIRED));
        return;
    }

    if (ngx_http_dvc_val_int(&f[PF_PAY_AMOUNT], &amount) != 1
        || amount <= 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: payment of \"%V\" answered 409: the back-end "
                      "asked for no amount", &ctx->ref.code);
        ngx_http_dvc_finalize(r, ngx_http_dvc_send_error(r,
                                  NGX_HTTP_DVC_ERR_NOT_PAYABLE_ONLINE));
        return;
    }

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&url, &alloc);
    dvc_buf_init(&b, &alloc);

    ngx_memzero(&o, sizeof(o));
    o.code = (const char *) ctx->ref.code.data;
    o.code_len = ctx->ref.code.len;
    o.amount = amount;
    o.now = ngx_time();
    o.ip = (const char *) r->connection->addr_text.data;
    o.ip_len = r->connection->addr_text.len;
    o.expire_minutes = 15;

    if (pay->provider->pay_url(&pay->conf, &o, &url, txn, why, sizeof(why))
        != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: payment of \"%V\" answered 409: %s",
                      &ctx->ref.code, why);
        ngx_http_dvc_finalize(r, ngx_http_dvc_send_error(r,
                                  NGX_HTTP_DVC_ERR_NOT_PAYABLE_ONLINE));
        return;
    }

    dvc_time_format_vn(o.now + o.expire_minutes * 60, expires);

    dvc_buf_puts(&b, "{\"code\":");
    dvc_buf_json_str(&b, (const char *) ctx->ref.code.data,
                     ctx->ref.code.len);
    dvc_buf_puts(&b, ",\"provider\":");
    dvc_buf_json_str(&b, pay->provider->name,
                     ngx_strlen(pay->provider->name));
    dvc_buf_printf(&b, ",\"amount\":%lld,\"currency\":\"VND\",\"txn_ref\":",
                   (long long) amount);
    dvc_buf_json_str(&b, txn, ngx_strlen(txn));
    dvc_buf_puts(&b, ",\"payment_url\":");
    dvc_buf_json_str(&b, url.data, url.len);
    dvc_buf_puts(&b, ",\"expires_at\":");
    dvc_buf_json_str(&b, expires, DVC_TIME_VN_LEN);
    dvc_buf_putc(&b, '}');

    if (url.failed || b.failed) {
        ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: payment of \"%V\": %s order %s for %L VND",
                  &ctx->ref.code, pay->provider->name, txn, amount);

    ngx_http_dvc_finalize(r, ngx_http_dvc_send_json(r, NGX_HTTP_OK,
                                                    (u_char *) b.data, b.len));
}


/* GET /dvc/v1/payments/{provider}/ipn; rest is "/{provider}/ipn" */
ngx_int_t
ngx_http_dvc_payment_notice(ngx_http_request_t *r, ngx_str_t *rest)
{
    char                        why[128];
    size_t                      plen;
    ngx_int_t                   rc;
    dvc_pay_verdict_t           v;
    ngx_http_dvc_payment_t     *pay;
    ngx_http_dvc_notice_ctx_t  *ctx;
    ngx_http_dvc_main_conf_t   *dmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    pay = dmcf->payment;

    plen = pay ? ngx_strlen(pay->provider->name) : 0;

    if (pay == NULL
        || rest->len != 1 + plen + sizeof("/ipn") - 1
        || rest->data[0] != '/'
        || ngx_strncmp(rest->data + 1, pay->provider->name, plen) != 0
        || ngx_strncmp(rest->data + 1 + plen, "/ipn", 4) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: no payment provider for \"%V\"", &r->uri);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_notice_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->pay = pay;
    ctx->now = ngx_time();
    ngx_http_dvc_pool_alloc(r->pool, &ctx->alloc);

    why[0] = '\0';
    v = pay->provider->notice_parse(&ctx->alloc, &pay->conf,
                                    (const char *) r->args.data, r->args.len,
                                    &ctx->n, why, sizeof(why));

    if (v != DVC_PAY_APPLY) {
        /* whoever sent it: the values are not logged, only why */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: %s notice refused with %s: %s",
                      pay->provider->name, dvc_payment_verdict_code(v), why);
        return ngx_http_dvc_notice_answer(r, pay, v);
    }

    return ngx_http_dvc_notice_read(r, ctx);
}


static ngx_int_t
ngx_http_dvc_notice_read(ngx_http_request_t *r,
    ngx_http_dvc_notice_ctx_t *ctx)
{
    u_char                    *p;
    size_t                     i, klen;
    ngx_int_t                  rc;
    const char                *argv[2 + NF_LAST];
    size_t                     argvlen[2 + NF_LAST];
    ngx_http_dvc_redis_cmd_t   cmd;

    klen = ngx_sprintf(ctx->key, "dvc:d:%s", ctx->n.code) - ctx->key;

    p = ngx_pnalloc(r->pool, sizeof("pay:") - 1 + DVC_PAY_TXN_MAX);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&ctx->fields[NF_CODE], "code");
    ngx_str_set(&ctx->fields[NF_STATUS], "status");
    ngx_str_set(&ctx->fields[NF_VER], "ver");
    ngx_str_set(&ctx->fields[NF_PAY_AMOUNT], "pay_amount");
    ngx_str_set(&ctx->fields[NF_HISTORY], "history");
    ngx_str_set(&ctx->fields[NF_PROCEDURE], "procedure");
    ctx->fields[NF_ONCE].data = p;
    ctx->fields[NF_ONCE].len = ngx_sprintf(p, "pay:%s", ctx->n.txn_ref) - p;
    ngx_str_set(&ctx->fields[NF_AGENCY], "agency");
    ngx_str_set(&ctx->fields[NF_CONTACT_EMAIL], "contact_email");
    ngx_str_set(&ctx->fields[NF_CONTACT_PHONE], "contact_phone");

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        ctx->fields[NF_ST_FIRST + i].data = (u_char *) dvc_stat_field_names[i];
        ctx->fields[NF_ST_FIRST + i].len = ngx_strlen(dvc_stat_field_names[i]);
    }

    argv[0] = "HMGET";
    argvlen[0] = 5;
    argv[1] = (const char *) ctx->key;
    argvlen[1] = klen;

    for (i = 0; i < NF_LAST; i++) {
        argv[2 + i] = (const char *) ctx->fields[i].data;
        argvlen[2 + i] = ctx->fields[i].len;
    }

    cmd.argc = 2 + NF_LAST;
    cmd.argv = argv;
    cmd.argvlen = argvlen;

    rc = ngx_http_dvc_redis_send(r, &cmd, 1, ngx_http_dvc_notice_reply, ctx);

    return ngx_http_dvc_notice_sent(r, ctx, rc);
}


/* What a notice's Redis send gave: waiting for the reply, a failure, or
 * Redis unavailable, answered 99 (the provider retries a notice not
 * answered 00). */
static ngx_int_t
ngx_http_dvc_notice_sent(ngx_http_request_t *r,
    ngx_http_dvc_notice_ctx_t *ctx, ngx_int_t rc)
{
    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc != NGX_DECLINED) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "dvc: %s notice for \"%s\" answered 99: redis unavailable",
                  ctx->pay->provider->name, ctx->n.code);

    return ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_OTHER);
}


static void
ngx_http_dvc_notice_reply(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    void *data)
{
    ngx_http_dvc_notice_ctx_t *ctx = data;

    int64_t              status, ver, amount;
    ngx_int_t            rc, n;

    status = ver = amount = 0;
    dvc_pay_verdict_t    v;
    ngx_http_dvc_val_t   f[NF_LAST];
    dvc_payment_facts_t  facts;

    n = ngx_http_dvc_reply_vals(reply, f, NF_LAST);

    if (n != NF_LAST) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered 99: redis failed "
                      "or answered no array",
                      ctx->pay->provider->name, ctx->n.code);
        ngx_http_dvc_finalize(r, ngx_http_dvc_notice_answer(r, ctx->pay,
                                                            DVC_PAY_OTHER));
        return;
    }

    ngx_memzero(&facts, sizeof(facts));
    facts.found = f[NF_CODE].type == NGX_HTTP_DVC_VAL_STRING;

    if (facts.found
        && (ngx_http_dvc_val_int(&f[NF_STATUS], &status) != 1
            || ngx_http_dvc_val_int(&f[NF_VER], &ver) < 0
            || ngx_http_dvc_val_int(&f[NF_PAY_AMOUNT], &amount) < 0))
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered 99: the dossier's "
                      "status, ver or pay_amount is malformed",
                      ctx->pay->provider->name, ctx->n.code);
        ngx_http_dvc_finalize(r, ngx_http_dvc_notice_answer(r, ctx->pay,
                                                            DVC_PAY_OTHER));
        return;
    }

    if (facts.found) {
        facts.status = (int) status;
        facts.requested = amount;
        facts.paid = f[NF_ONCE].type == NGX_HTTP_DVC_VAL_STRING;
    }

    v = dvc_payment_decide(&ctx->n, &facts);

    switch (v) {

    case DVC_PAY_APPLY:
        rc = ngx_http_dvc_notice_apply(r, ctx, f, ver);
        break;

    case DVC_PAY_NOTED:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s notice for \"%s\": not paid (response code "
                      "\"%s\"), nothing applied, answered 00",
                      ctx->pay->provider->name, ctx->n.code,
                      ctx->n.response_code);
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, v);
        break;

    default:
        ngx_log_error((v == DVC_PAY_DONE ? NGX_LOG_INFO : NGX_LOG_WARN),
                      r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered %s: %s",
                      ctx->pay->provider->name, ctx->n.code,
                      dvc_payment_verdict_code(v),
                      v == DVC_PAY_DONE ? "already paid or not awaited"
                      : v == DVC_PAY_AMOUNT ? "the amount is not the one "
                                              "asked for"
                      : "no such dossier, or no payment asked for");
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, v);
    }

    ngx_http_dvc_finalize(r, rc);
}


static ngx_int_t
ngx_http_dvc_notice_apply(ngx_http_request_t *r,
    ngx_http_dvc_notice_ctx_t *ctx, ngx_http_dvc_val_t *f, int64_t ver)
{
    size_t                        i, lens[DVC_STAT_NFIELDS];
    ngx_int_t                     rc;
    ngx_str_t                     key;
    dvc_plan_t                   *plan;
    const char                   *name, *vals[DVC_STAT_NFIELDS];
    dvc_payment_env_t             env;
    dvc_payment_record_t          rec;
    ngx_http_dvc_apply_t          a;
    ngx_http_dvc_main_conf_t     *dmcf;
    ngx_http_dvc_procedure_rt_t  *proc;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    name = ctx->pay->provider->name;

    /* the reply as core's facts */
    ngx_memzero(&rec, sizeof(rec));
    rec.agency = ngx_http_dvc_val_str(&f[NF_AGENCY]);
    rec.agency_len = ngx_http_dvc_val_len(&f[NF_AGENCY]);
    rec.procedure = ngx_http_dvc_val_str(&f[NF_PROCEDURE]);
    rec.procedure_len = ngx_http_dvc_val_len(&f[NF_PROCEDURE]);
    rec.history = ngx_http_dvc_val_str(&f[NF_HISTORY]);
    rec.history_len = ngx_http_dvc_val_len(&f[NF_HISTORY]);
    rec.contact_email = ngx_http_dvc_val_str(&f[NF_CONTACT_EMAIL]);
    rec.contact_email_len = ngx_http_dvc_val_len(&f[NF_CONTACT_EMAIL]);
    rec.contact_phone = ngx_http_dvc_val_str(&f[NF_CONTACT_PHONE]);
    rec.contact_phone_len = ngx_http_dvc_val_len(&f[NF_CONTACT_PHONE]);

    proc = rec.procedure ? ngx_http_dvc_procedure_find(dmcf, rec.procedure,
                                                       rec.procedure_len)
                         : NULL;
    rec.procedure_name = proc ? proc->procedure->name : NULL;

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        vals[i] = ngx_http_dvc_val_str(&f[NF_ST_FIRST + i]);
        lens[i] = ngx_http_dvc_val_len(&f[NF_ST_FIRST + i]);
    }

    if (dvc_stat_state_from_values(&rec.stat, vals, lens, ctx->stat_err,
                                   sizeof(ctx->stat_err)) != 0)
    {
        rec.stat_error = ctx->stat_err;
    }

    ngx_http_dvc_env_init(&env, dmcf, ctx->now);

    plan = ngx_palloc(r->pool, sizeof(dvc_plan_t));
    if (plan == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dvc_plan_init(plan, &ctx->alloc);
    dvc_payment_plan(&rec, &ctx->n, name, &env, plan);

    if (plan->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (plan->http != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered 99: %s", name,
                      ctx->n.code, plan->err.message_en);
        return ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_OTHER);
    }

    key.data = ctx->key;
    key.len = ngx_strlen(ctx->key);

    if (ngx_http_dvc_apply_init(r->pool, &a, &key, ver) != NGX_OK
        || ngx_http_dvc_apply_plan(&a, plan) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* applied once per transaction, whatever the provider sends again */
    ctx->once.data = (u_char *) ctx->n.transaction_no;
    ctx->once.len = ngx_strlen(ctx->n.transaction_no);
    ngx_http_dvc_apply_once(&a, &ctx->fields[NF_ONCE], &ctx->once);

    rc = ngx_http_dvc_apply_send(r, &a, ngx_http_dvc_notice_applied, ctx);

    return ngx_http_dvc_notice_sent(r, ctx, rc);
}


static void
ngx_http_dvc_notice_applied(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_notice_ctx_t *ctx = data;

    ngx_int_t    rc;
    ngx_str_t    value;
    const char  *name;

    name = ctx->pay->provider->name;

    switch (ngx_http_dvc_apply_result(reply, &value)) {

    case NGX_HTTP_DVC_APPLY_OK:
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "dvc: %s payment of \"%s\" applied: %L VND, "
                      "transaction %s, status 6 -> 4", name, ctx->n.code,
                      ctx->n.amount, ctx->n.transaction_no);
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_APPLY);
        break;

    case NGX_HTTP_DVC_APPLY_DONE:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered 02: applied "
                      "meanwhile", name, ctx->n.code);
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_DONE);
        break;

    case NGX_HTTP_DVC_APPLY_CONFLICT:
        if (ctx->tries++ < 2) {
            /* another change won: decide again on what it left */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: %s notice for \"%s\": the dossier changed "
                          "meanwhile, deciding again", name, ctx->n.code);
            rc = ngx_http_dvc_notice_read(r, ctx);
            break;
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered 99: the dossier "
                      "kept changing; the provider will send it again",
                      name, ctx->n.code);
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_OTHER);
        break;

    case NGX_HTTP_DVC_APPLY_MISSING:
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_UNKNOWN);
        break;

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: %s notice for \"%s\" answered 99: %s", name,
                      ctx->n.code,
                      reply == NULL ? "no answer from redis, the payment "
                                      "may be applied; the provider's retry "
                                      "finds out"
                                    : "redis refused the change");
        rc = ngx_http_dvc_notice_answer(r, ctx->pay, DVC_PAY_OTHER);
    }

    ngx_http_dvc_finalize(r, rc);
}


/* The provider's answer: always 200, the verdict is in the body. */
static ngx_int_t
ngx_http_dvc_notice_answer(ngx_http_request_t *r, ngx_http_dvc_payment_t *pay,
    dvc_pay_verdict_t v)
{
    dvc_buf_t    b;
    dvc_alloc_t  alloc;

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&b, &alloc);
    pay->provider->answer(v, &b);

    if (b.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_json(r, NGX_HTTP_OK, (u_char *) b.data, b.len);
}
