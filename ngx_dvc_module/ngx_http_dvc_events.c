/*
 * POST /dvc/v1/dossiers/{code}/events: the agency's back-end moves a dossier
 * through its lifecycle (accept, refuse, request_supplement, process,
 * request_payment, delay, stop, confirm_withdrawal, decline_withdrawal,
 * resolve, return).
 *
 *   1. The signature's headers are checked before the body is read (missing,
 *      malformed, stale: 401 at once); the body (at most 64 KiB) then feeds
 *      the MAC under every dvc_event_key buffer by buffer as nginx receives
 *      it (ngx_http_dvc_body.c's filter and ngx_http_dvc_body_sign(), shared
 *      with counter/postal intake).  A mismatch is 401.
 *   2. core parses the event (400, 422 naming the field).
 *   3. One HMGET reads what the decision needs; a known event id is a replay
 *      (the first answer, byte for byte) or a reuse (409); core checks the
 *      transition (409 naming the legal ones) and its times (422).
 *   4. The change (status, history, appointment, receipt, statistics) goes
 *      to Redis as one compare-and-set script (ngx_http_dvc_apply.c); if
 *      another change slipped in since the HMGET, the dossier is read again
 *      and the event decided afresh, once.
 *
 * Its directives (dvc_event_key, dvc_agency): ngx_http_dvc_events_conf.c.
 */

#include <openssl/sha.h>

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_apply.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_code.h"
#include "dvc_status.h"
#include "dvc_time.h"
#include "dvc_hmac.h"
#include "dvc_keys.h"
#include "dvc_lifecycle.h"
#include "dvc_procedure.h"
#include "dvc_stats.h"
#include "dvc_event_decide.h"


#define NGX_HTTP_DVC_EVENT_BODY_MAX  (64 * 1024)


/* HMGET field order; the reply array follows it.  The last one is the
 * event's own e:{id}, added per request. */
typedef enum {
    DVC_EF_STATUS = 0,
    DVC_EF_PREV_STATUS,
    DVC_EF_VER,
    DVC_EF_DUE_TS,
    DVC_EF_APPOINTMENT_TS,
    DVC_EF_HISTORY,
    DVC_EF_PROCEDURE,
    DVC_EF_AGENCY,
    DVC_EF_DELIVERY,
    DVC_EF_RECEIPT_FACTS,
    DVC_EF_TRANSFERS,
    DVC_EF_BODY_SHA256,
    DVC_EF_CONTACT_EMAIL,
    DVC_EF_CONTACT_PHONE,
    DVC_EF_FORMS,
    DVC_EF_ST_FIRST,
    DVC_EF_ONCE = DVC_EF_ST_FIRST + DVC_STAT_NFIELDS,
    DVC_EF_LAST
} ngx_http_dvc_event_field_e;

static const char *ngx_http_dvc_event_fields[DVC_EF_ST_FIRST] = {
    "status", "prev_status", "ver", "due_ts", "appointment_ts", "history",
    "procedure", "agency", "delivery", "receipt_facts", "transfers",
    "body_sha256", "contact_email", "contact_phone", "forms"
};


typedef struct {
    ngx_http_dvc_body_t          b;          /* first: the body filter's */
    ngx_str_t                    code;
    ngx_str_t                    key;        /* dvc:d:{code} */
    ngx_str_t                    once;       /* e:{event id} */
    unsigned char                mac[DVC_HMAC_LEN];
    int64_t                      now;
    char                         now_vn[DVC_TIME_VN_LEN + 1];
    u_char                       body_sha[SHA256_DIGEST_LENGTH * 2];
    dvc_event_t                  ev;
    ngx_str_t                    answer;
    ngx_uint_t                   attempts;
    char                         stat_err[128];
} ngx_http_dvc_events_ctx_t;


static void ngx_http_dvc_events_body_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_events_read(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx);
static void ngx_http_dvc_events_read_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_events_decide(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx, ngx_http_dvc_val_t *f);
static ngx_int_t ngx_http_dvc_events_send(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx, ngx_http_dvc_val_t *f,
    dvc_event_facts_t *facts, dvc_plan_t *plan);
static void ngx_http_dvc_events_apply_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_events_known(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx, u_char *stored, size_t len);
static ngx_int_t ngx_http_dvc_events_unauthorized(ngx_http_request_t *r,
    ngx_str_t *code, dvc_sig_result_t why, const char *repeated);
static int64_t ngx_http_dvc_int_field(ngx_http_dvc_val_t *v);
static int64_t ngx_http_dvc_last_history_ts(ngx_http_dvc_val_t *history);


ngx_int_t
ngx_http_dvc_events(ngx_http_request_t *r, ngx_str_t *code)
{
    u_char                     *p;
    ngx_int_t                   rc;
    dvc_sig_result_t            res;
    ngx_http_dvc_events_ctx_t  *ctx;
    ngx_http_dvc_main_conf_t   *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->event_keys == NULL || dmcf->event_keys->nelts == 0) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event refused: no dvc_event_key configured");
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_EVENTS_DISABLED);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_events_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the headers before the body: a request without a fresh signature
     * is not read */
    rc = ngx_http_dvc_body_sign(r, &ctx->b, ctx->mac, &res);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_dvc_events_unauthorized(r, code, res,
                                                ctx->b.repeated);
    }

    if (!dvc_code_valid((const char *) code->data, code->len)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_BAD_CODE);
    }

    if (!ngx_http_dvc_is_json(r)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_MEDIA_TYPE);
    }

    ctx->code = *code;
    ctx->key.len = sizeof("dvc:d:") - 1 + code->len;

    /* NUL-terminated: the code after "dvc:d:" is a C string for core */
    ctx->key.data = ngx_pnalloc(r->pool, ctx->key.len + 1);
    if (ctx->key.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(ctx->key.data, "dvc:d:", sizeof("dvc:d:") - 1);
    p = ngx_cpymem(p, code->data, code->len);
    *p = '\0';

    return ngx_http_dvc_body_read(r, &ctx->b, "event", 0,
                                  NGX_HTTP_DVC_EVENT_BODY_MAX,
                                  ngx_http_dvc_events_body_done);
}


static void
ngx_http_dvc_events_body_done(ngx_http_request_t *r)
{
    int                         rc;
    size_t                      which;
    ngx_int_t                   n;
    dvc_buf_t                   out;
    dvc_hmac_key_t             *keys;
    dvc_event_error_t           err;
    unsigned char               digest[SHA256_DIGEST_LENGTH];
    ngx_http_dvc_events_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dvc_module);

    ngx_http_dvc_body_finish(&ctx->b);

    if (ctx->b.too_large) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event for \"%V\" refused: body over 64 KiB",
                      &ctx->code);
        ngx_http_finalize_request(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_TOO_LARGE));
        return;
    }

    which = 0;
    rc = dvc_sig_finish(ctx->b.sig, ctx->mac, &which);

    if (rc < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: the event signature's MAC failed");
        ngx_http_finalize_request(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL));
        return;
    }

    if (rc != DVC_SIG_OK) {
        ngx_http_finalize_request(r,
            ngx_http_dvc_events_unauthorized(r, &ctx->code, rc, NULL));
        return;
    }

    keys = ctx->b.dmcf->event_keys->elts;

    ctx->now = ngx_time();
    dvc_time_format_vn(ctx->now, ctx->now_vn);

    if (dvc_event_parse(&ctx->b.alloc, ctx->b.body.data, ctx->b.body.len,
                        ctx->now, &ctx->ev, &err) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event for \"%V\" (key \"%s\") refused: %s%s%s",
                      &ctx->code, keys[which].name, err.code,
                      err.field[0] ? " " : "", err.field);

        if (err.http >= 500) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        dvc_buf_init(&out, &ctx->b.alloc);
        dvc_event_error_json(&out, &err);

        ngx_http_finalize_request(r, out.failed
            ? NGX_HTTP_INTERNAL_SERVER_ERROR
            : ngx_http_dvc_send_json(r, err.http, (u_char *) out.data,
                                     out.len));
        return;
    }

    SHA256((u_char *) ctx->b.body.data, ctx->b.body.len, digest);
    ngx_hex_dump(ctx->body_sha, digest, SHA256_DIGEST_LENGTH);

    ctx->once.len = 2 + ctx->ev.id_len;
    ctx->once.data = ngx_pnalloc(r->pool, ctx->once.len);
    if (ctx->once.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_memcpy(ctx->once.data, "e:", 2);
    ngx_memcpy(ctx->once.data + 2, ctx->ev.id, ctx->ev.id_len);

    n = ngx_http_dvc_events_read(r, ctx);

    /* NGX_DONE: waiting for Redis; the post handler's own reference goes */
    ngx_http_finalize_request(r, n);
}


/* One HMGET: what the decision needs, and the event id's record. */
static ngx_int_t
ngx_http_dvc_events_read(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx)
{
    size_t                     argvlen[2 + DVC_EF_LAST];
    ngx_int_t                  rc;
    ngx_uint_t                 i;
    const char                *argv[2 + DVC_EF_LAST];
    ngx_http_dvc_redis_cmd_t   cmd;

    argv[0] = "HMGET";
    argvlen[0] = 5;
    argv[1] = (const char *) ctx->key.data;
    argvlen[1] = ctx->key.len;

    for (i = 0; i < DVC_EF_ST_FIRST; i++) {
        argv[2 + i] = ngx_http_dvc_event_fields[i];
        argvlen[2 + i] = ngx_strlen(ngx_http_dvc_event_fields[i]);
    }

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        argv[2 + DVC_EF_ST_FIRST + i] = dvc_stat_field_names[i];
        argvlen[2 + DVC_EF_ST_FIRST + i] = ngx_strlen(dvc_stat_field_names[i]);
    }

    argv[2 + DVC_EF_ONCE] = (const char *) ctx->once.data;
    argvlen[2 + DVC_EF_ONCE] = ctx->once.len;

    cmd.argc = 2 + DVC_EF_LAST;
    cmd.argv = argv;
    cmd.argvlen = argvlen;

    rc = ngx_http_dvc_redis_send(r, &cmd, 1, ngx_http_dvc_events_read_reply,
                                 ctx);

    return ngx_http_dvc_redis_sent(r, rc, "event for", &ctx->code);
}


static void
ngx_http_dvc_events_read_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_events_ctx_t *ctx = data;

    ngx_int_t            rc;
    const char          *err;
    ngx_http_dvc_val_t   f[DVC_EF_LAST], *once;

    if (ngx_http_dvc_reply_vals(reply, f, DVC_EF_LAST) != DVC_EF_LAST) {
        err = ngx_http_dvc_reply_error(reply);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: event for \"%V\" answered 503: %s", &ctx->code,
                      err ? err : "no reply");
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE));
        return;
    }

    if (f[DVC_EF_STATUS].type != NGX_HTTP_DVC_VAL_STRING) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event \"%s\" for unknown dossier \"%V\"",
                      ctx->ev.id, &ctx->code);
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_NO_DOSSIER));
        return;
    }

    once = &f[DVC_EF_ONCE];

    if (once->type == NGX_HTTP_DVC_VAL_STRING) {
        rc = ngx_http_dvc_events_known(r, ctx, (u_char *) once->str,
                                       once->len);
        ngx_http_dvc_finalize(r, rc);
        return;
    }

    ngx_http_dvc_finalize(r, ngx_http_dvc_events_decide(r, ctx, f));
}


/*
 * The event id was seen: the same body is answered as the first time.
 * `stored` is in the hiredis reply, freed as soon as the reply handler
 * returns, while an answer nginx could not write at once (a slow back-end,
 * a full socket buffer) waits in the request's output chain: the answer is
 * copied into the request's pool first.
 */
static ngx_int_t
ngx_http_dvc_events_known(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx, u_char *stored, size_t len)
{
    if (len > sizeof(ctx->body_sha) + 1
        && ngx_strncmp(stored, ctx->body_sha, sizeof(ctx->body_sha)) == 0
        && stored[sizeof(ctx->body_sha)] == ' ')
    {
        ctx->answer.len = len - sizeof(ctx->body_sha) - 1;
        ctx->answer.data = ngx_pnalloc(r->pool, ctx->answer.len);
        if (ctx->answer.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(ctx->answer.data, stored + sizeof(ctx->body_sha) + 1,
                   ctx->answer.len);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event \"%s\" for \"%V\" replayed: first answer "
                      "repeated, nothing applied", ctx->ev.id, &ctx->code);

        return ngx_http_dvc_send_json(r, NGX_HTTP_OK, ctx->answer.data,
                                      ctx->answer.len);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: event id \"%s\" for \"%V\" reused with another body",
                  ctx->ev.id, &ctx->code);

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_EVENT_ID_REUSED);
}


/*
 * The HMGET's values as core's facts.  The st_* fields that cannot be read
 * fail the change in core (after its checks), as does a broken status.
 */
static void
ngx_http_dvc_events_facts(ngx_http_dvc_events_ctx_t *ctx,
    ngx_http_dvc_val_t *f, dvc_event_facts_t *facts)
{
    size_t       i, lens[DVC_STAT_NFIELDS];
    const char  *vals[DVC_STAT_NFIELDS];

    ngx_memzero(facts, sizeof(dvc_event_facts_t));
    facts->code = (const char *) ctx->code.data;
    facts->code_len = ctx->code.len;
    facts->agency = ngx_http_dvc_val_str(&f[DVC_EF_AGENCY]);
    facts->agency_len = ngx_http_dvc_val_len(&f[DVC_EF_AGENCY]);
    facts->procedure = ngx_http_dvc_val_str(&f[DVC_EF_PROCEDURE]);
    facts->procedure_len = ngx_http_dvc_val_len(&f[DVC_EF_PROCEDURE]);
    facts->status = (int) ngx_http_dvc_int_field(&f[DVC_EF_STATUS]);
    facts->prev_status = (int) ngx_http_dvc_int_field(&f[DVC_EF_PREV_STATUS]);
    facts->due_ts = ngx_http_dvc_int_field(&f[DVC_EF_DUE_TS]);
    facts->appointment_ts = ngx_http_dvc_int_field(&f[DVC_EF_APPOINTMENT_TS]);
    facts->last_ts = ngx_http_dvc_last_history_ts(&f[DVC_EF_HISTORY]);

#define dvc_fact(name, field)                                                 \
    facts->name = ngx_http_dvc_val_str(&f[field]);                            \
    facts->name##_len = ngx_http_dvc_val_len(&f[field])

    dvc_fact(history, DVC_EF_HISTORY);
    dvc_fact(transfers, DVC_EF_TRANSFERS);
    dvc_fact(forms, DVC_EF_FORMS);
    dvc_fact(body_sha256, DVC_EF_BODY_SHA256);
    dvc_fact(delivery, DVC_EF_DELIVERY);
    dvc_fact(receipt_facts, DVC_EF_RECEIPT_FACTS);
    dvc_fact(contact_email, DVC_EF_CONTACT_EMAIL);
    dvc_fact(contact_phone, DVC_EF_CONTACT_PHONE);

#undef dvc_fact

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        vals[i] = ngx_http_dvc_val_str(&f[DVC_EF_ST_FIRST + i]);
        lens[i] = ngx_http_dvc_val_len(&f[DVC_EF_ST_FIRST + i]);
    }

    if (dvc_stat_state_from_values(&facts->stat, vals, lens, ctx->stat_err,
                                   sizeof(ctx->stat_err)) != 0)
    {
        facts->stat_error = ctx->stat_err;
    }
}


/* Is the agency one of the procedures' or of dvc_agency? */
static int
ngx_http_dvc_agency_known(void *ud, const char *code, size_t len)
{
    ngx_http_dvc_main_conf_t *dmcf = ud;

    ngx_str_t   *ag;
    ngx_uint_t   i;
    const char  *pa;

    if (dmcf->agencies) {
        ag = dmcf->agencies->elts;

        for (i = 0; i < dmcf->agencies->nelts; i++) {
            if (ag[i].len == len && ngx_strncmp(ag[i].data, code, len) == 0) {
                return 1;
            }
        }
    }

    for (i = 0; i < dmcf->nprocs; i++) {
        pa = dmcf->procs[i].procedure->agency;

        if (pa && ngx_strlen(pa) == len && ngx_strncmp(pa, code, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/* The facts and the event to core's decision (dvc_event_decide.h), every
 * type alike (transfers too). */
static ngx_int_t
ngx_http_dvc_events_decide(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx, ngx_http_dvc_val_t *f)
{
    dvc_plan_t                   *plan;
    dvc_event_env_t               env;
    dvc_event_facts_t             facts;
    ngx_http_dvc_main_conf_t     *dmcf;
    ngx_http_dvc_procedure_rt_t  *proc;

    dmcf = ctx->b.dmcf;

    ngx_http_dvc_events_facts(ctx, f, &facts);

    proc = facts.procedure
           ? ngx_http_dvc_procedure_find(dmcf, facts.procedure,
                                         facts.procedure_len)
           : NULL;

    ngx_http_dvc_env_init(&env, dmcf, ctx->now);
    env.procedure = proc ? proc->procedure : NULL;
    env.known = ngx_http_dvc_agency_known;
    env.known_ud = dmcf;

    plan = ngx_palloc(r->pool, sizeof(dvc_plan_t));
    if (plan == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dvc_plan_init(plan, &ctx->b.alloc);
    dvc_event_decide(&facts, &ctx->ev, &env, plan);

    if (plan->signed_receipt) {
        ngx_http_dvc_metrics_signed(NGX_HTTP_DVC_SIGNED_RECEIPT);
    }

    if (plan->no_receipt_facts) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: dossier \"%V\" has no receipt facts; its "
                      "receipt names no applicant nor documents",
                      &ctx->code);
    }

    return ngx_http_dvc_events_send(r, ctx, f, &facts, plan);
}


/* The plan to the apply script with e:{id}, or its refusal answered. */
static ngx_int_t
ngx_http_dvc_events_send(ngx_http_request_t *r,
    ngx_http_dvc_events_ctx_t *ctx, ngx_http_dvc_val_t *f,
    dvc_event_facts_t *facts, dvc_plan_t *plan)
{
    u_char                *p;
    ngx_int_t              rc;
    ngx_uint_t             level;
    ngx_http_dvc_apply_t   a;

    if (plan->failed) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: event \"%s\" (%s) on \"%V\": no plan (out of "
                      "memory or a bound)", ctx->ev.id, ctx->ev.tr->name,
                      &ctx->code);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    if (plan->http != NGX_HTTP_OK && plan->answer.len == 0) {
        /* the record or the configuration, not the event */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: event \"%s\" (%s) on \"%V\" answered %i: %s",
                      ctx->ev.id, ctx->ev.tr->name, &ctx->code,
                      (ngx_int_t) plan->http, plan->err.message_en);
        return ngx_http_dvc_send_error(r, plan->http == 503
                                          ? NGX_HTTP_DVC_ERR_UNAVAILABLE
                                          : NGX_HTTP_DVC_ERR_INTERNAL);
    }

    if (plan->http != NGX_HTTP_OK) {
        level = plan->http >= 500 ? NGX_LOG_ERR : NGX_LOG_INFO;
        ngx_log_error(level, r->connection->log, 0,
                      "dvc: event \"%s\" (%s) on \"%V\" in status %d "
                      "refused: %s%s%s", ctx->ev.id, ctx->ev.tr->name,
                      &ctx->code, facts->status, plan->err.code,
                      plan->err.field[0] ? " " : "", plan->err.field);

        return ngx_http_dvc_send_json(r, plan->http,
                                      (u_char *) plan->answer.data,
                                      plan->answer.len);
    }

    if (ngx_http_dvc_apply_init(r->pool, &a, &ctx->key,
                                ngx_http_dvc_int_field(&f[DVC_EF_VER]))
        != NGX_OK
        || ngx_http_dvc_apply_plan(&a, plan) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the answer, kept under e:{id} for replays */
    ctx->answer.data = (u_char *) plan->answer.data;
    ctx->answer.len = plan->answer.len;

    p = ngx_pnalloc(r->pool, sizeof(ctx->body_sha) + 1 + ctx->answer.len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a.once_field = ctx->once;
    a.once_value.data = p;
    p = ngx_cpymem(p, ctx->body_sha, sizeof(ctx->body_sha));
    *p++ = ' ';
    p = ngx_cpymem(p, ctx->answer.data, ctx->answer.len);
    a.once_value.len = p - a.once_value.data;

    rc = ngx_http_dvc_apply_send(r, &a, ngx_http_dvc_events_apply_reply, ctx);

    return ngx_http_dvc_redis_sent(r, rc, "event for", &ctx->code);
}


static void
ngx_http_dvc_events_apply_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_events_ctx_t *ctx = data;

    ngx_str_t    v;
    const char  *err;

    switch (ngx_http_dvc_apply_result(reply, &v)) {

    case NGX_HTTP_DVC_APPLY_OK:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event \"%s\" (%s) applied to \"%V\", ver %V",
                      ctx->ev.id, ctx->ev.tr->name, &ctx->code, &v);
        ngx_http_dvc_finalize(r, ngx_http_dvc_send_json(r, NGX_HTTP_OK,
                              ctx->answer.data, ctx->answer.len));
        return;

    case NGX_HTTP_DVC_APPLY_DONE:
        /* the same event, applied by a concurrent request */
        ngx_http_dvc_finalize(r, ngx_http_dvc_events_known(r, ctx, v.data,
                                                           v.len));
        return;

    case NGX_HTTP_DVC_APPLY_CONFLICT:
        if (ctx->attempts++ == 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: event \"%s\" on \"%V\" raced another change; "
                          "deciding again", ctx->ev.id, &ctx->code);
            ngx_http_dvc_finalize(r, ngx_http_dvc_events_read(r, ctx));
            return;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: event \"%s\" on \"%V\" raced other changes twice",
                      ctx->ev.id, &ctx->code);
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_CONFLICT));
        return;

    case NGX_HTTP_DVC_APPLY_MISSING:
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_NO_DOSSIER));
        return;

    default:
        if (reply == NULL) {
            /* sent, but no answer (timeout, connection lost): Redis may
             * run it, or have run it; the back-end's retry finds out */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: event \"%s\" on \"%V\" answered 503, "
                          "outcome unknown: it may be applied; the same "
                          "body again gets its answer",
                          ctx->ev.id, &ctx->code);

        } else if ((err = ngx_http_dvc_reply_error(reply)) != NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: event \"%s\" on \"%V\" not applied: %s",
                          ctx->ev.id, &ctx->code, err);

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: event \"%s\" on \"%V\" not applied: an "
                          "unexpected answer from the script",
                          ctx->ev.id, &ctx->code);
        }

        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE));
        return;
    }
}


/* One line for the sysadmin: why, and which dossier (and, for
 * signature_ambiguous, which header was repeated); never the signature,
 * a key or the body. */
static ngx_int_t
ngx_http_dvc_events_unauthorized(ngx_http_request_t *r, ngx_str_t *code,
    dvc_sig_result_t why, const char *repeated)
{
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "dvc: event for \"%*s\" refused: %s%s%s%s", code->len > 64
                  ? (size_t) 64 : code->len, code->data,
                  dvc_sig_result_code(why), repeated ? " (" : "",
                  repeated ? repeated : "",
                  repeated ? " given more than once)" : "");

    return ngx_http_dvc_send_error(r,
               why == DVC_SIG_MISSING ? NGX_HTTP_DVC_ERR_SIGNATURE_MISSING
               : why == DVC_SIG_STALE ? NGX_HTTP_DVC_ERR_SIGNATURE_STALE
               : why == DVC_SIG_AMBIGUOUS
                 ? NGX_HTTP_DVC_ERR_SIGNATURE_AMBIGUOUS
               : NGX_HTTP_DVC_ERR_SIGNATURE_INVALID);
}


static int64_t
ngx_http_dvc_int_field(ngx_http_dvc_val_t *v)
{
    int64_t  n;

    (void) ngx_http_dvc_val_int(v, &n);

    return n;
}


/* The time of the history's last entry: its "at" (the gateway writes every
 * entry as {"at":"...", so the last such opening is the last entry's; a
 * quote inside a value is escaped and cannot look like one). */
static int64_t
ngx_http_dvc_last_history_ts(ngx_http_dvc_val_t *history)
{
    size_t        i;
    int64_t       t;
    const char   *s;
    static const char  open[] = "{\"at\":\"";

    if (history->type != NGX_HTTP_DVC_VAL_STRING
        || history->len < sizeof(open) - 1 + DVC_TIME_VN_LEN)
    {
        return 0;
    }

    s = history->str;

    for (i = history->len - (sizeof(open) - 1) - DVC_TIME_VN_LEN + 1; i-- > 0;)
    {
        if (ngx_strncmp(s + i, open, sizeof(open) - 1) == 0) {
            if (dvc_time_parse_vn(s + i + sizeof(open) - 1, DVC_TIME_VN_LEN,
                                  &t) == 0)
            {
                return t;
            }

            return 0;
        }
    }

    return 0;
}
