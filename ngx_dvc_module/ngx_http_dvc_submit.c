/*
 * POST /dvc/v1/dossiers: a citizen submits a dossier.
 *
 * 1. The body streams through the dossier body path (ngx_http_dvc_body.c):
 *    scanner and validator see each buffer as nginx receives it, one pass,
 *    no tree of untrusted input.
 * 2. Redis, in at most three round trips: the Idempotency-Key reservation
 *    (when given), the day's sequence for the agency (one INCR shared by all
 *    workers and hosts), then one MULTI/EXEC that writes the dossier, its
 *    first history entry, the index and the inbox entry for the back-end.
 *    Only after EXEC succeeds does the citizen get an answer; a failure on
 *    the way leaves nothing half written (the sequence number is lost, never
 *    reused: codes may skip, never repeat).
 * 3. 201 with the code, the lookup token (128 random bits; only its SHA-256
 *    is stored) and the signed acknowledgement; for procedures the desk
 *    accepts at once ("accept": "auto"), also the appointment and the signed
 *    receipt.
 */

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_code.h"
#include "dvc_status.h"
#include "dvc_time.h"
#include "dvc_calendar.h"
#include "dvc_jws.h"
#include "dvc_procedure.h"
#include "dvc_dossier_scan.h"
#include "dvc_schema.h"
#include "ngx_http_dvc_submit.h"


#define NGX_HTTP_DVC_TOKEN_BYTES     16
#define NGX_HTTP_DVC_SEQ_TTL         "259200"      /* 3 days */


typedef struct {
    ngx_http_dvc_body_t           b;          /* first: the body filter's */
    ngx_str_t                     answer;     /* the 201 body */

    int64_t                       now;
    char                          now_vn[DVC_TIME_VN_LEN + 1];
    char                          code[DVC_CODE_LEN + 1];
    u_char                        body_sha[SHA256_DIGEST_LENGTH * 2 + 1];
    u_char                        token[32];
    size_t                        token_len;
    u_char                        token_sha[SHA256_DIGEST_LENGTH * 2 + 1];

    ngx_http_dvc_submit_idem_t    idem;       /* with an Idempotency-Key */

    /* counter/postal intake: a paper dossier the one-stop back-end enters,
     * signed like its events, accepted at once */
    dvc_channel_t                 channel;
    u_char                        mac[DVC_HMAC_LEN];
    unsigned                      is_signed:1;
    unsigned                      dry_run:1;  /* ?dry_run=1: check only */
} ngx_http_dvc_submit_ctx_t;


static void ngx_http_dvc_submit_body_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_submit_signature(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, ngx_int_t *rc);
static ngx_int_t ngx_http_dvc_submit_channel(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, ngx_int_t *rc);
static ngx_int_t ngx_http_dvc_submit_documents_ok(ngx_http_request_t *r,
    void *data);
static ngx_int_t ngx_http_dvc_submit_idempotency(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx);
static ngx_int_t ngx_http_dvc_submit_idem_done(ngx_http_request_t *r,
    ngx_http_dvc_submit_idem_t *idem, ngx_uint_t outcome);
static ngx_int_t ngx_http_dvc_submit_sequence(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx);
static void ngx_http_dvc_submit_seq_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_submit_record(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx);
static ngx_int_t ngx_http_dvc_submit_send(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, dvc_submit_plan_t *plan,
    dvc_dossier_facts_t *facts);
static void ngx_http_dvc_submit_exec_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_submit_unavailable(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, const char *why);
static ngx_int_t ngx_http_dvc_submit_created(ngx_http_request_t *r,
    ngx_str_t *code, u_char *body, size_t len);
static ngx_int_t ngx_http_dvc_submit_dry_run(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx);
static ngx_int_t ngx_http_dvc_submit_checked(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx);


ngx_int_t
ngx_http_dvc_submit(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_dvc_submit_ctx_t  *ctx;

    if (!ngx_http_dvc_is_json(r)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: submission with content type \"%V\" refused",
                      ngx_http_dvc_content_type(r));

        return ngx_http_dvc_refuse_unread(r, NGX_HTTP_DVC_ERR_MEDIA_TYPE);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_submit_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->channel = DVC_CHANNEL_ONLINE;

    if (ngx_http_dvc_submit_dry_run(r, ctx) != NGX_OK) {
        return ngx_http_dvc_refuse_unread(r, NGX_HTTP_DVC_ERR_BAD_DRY_RUN);
    }

    if (ngx_http_dvc_body_signed(r)
        && !ngx_http_dvc_submit_signature(r, ctx, &rc))
    {
        return rc;
    }

    return ngx_http_dvc_body_read(r, &ctx->b, "submission", 1, 0,
                                  ngx_http_dvc_submit_body_done);
}


/*
 * ?dry_run=1: the body is checked exactly as a submission's (the same
 * verdict, 400/404/415/422 alike, the uploads' check included) and nothing
 * is written to Redis: no code, no Idempotency-Key reservation.  A web form asks it before the real submission.
 * "dry_run" given twice or with another value than "1" is refused (400), as
 * any ambiguity is; other parameters are ignored, as without it.
 */
static ngx_int_t
ngx_http_dvc_submit_dry_run(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx)
{
    size_t       pos;
    ngx_str_t    name, value;
    ngx_uint_t   n;

    n = 0;
    pos = 0;

    while (ngx_http_dvc_arg_next(&r->args, &pos, &name, &value) == NGX_OK) {
        if (!ngx_http_dvc_arg_is(&name, "dry_run")) {
            continue;
        }

        if (++n > 1 || value.len != 1 || value.data[0] != '1') {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: submission refused: %s dry_run parameter",
                          n > 1 ? "a repeated" : "a malformed");
            return NGX_DECLINED;
        }

        ctx->dry_run = 1;
    }

    return NGX_OK;
}


/* A dry run's valid dossier: 200, nothing recorded. */
static ngx_int_t
ngx_http_dvc_submit_checked(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx)
{
    u_char  *body, *p;
    size_t   len;

    len = sizeof("{\"dry_run\":true,\"valid\":true,\"procedure\":\"\"}") - 1
          + ngx_strlen(ctx->b.proc->procedure->code);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(body, "{\"dry_run\":true,\"valid\":true,\"procedure\":\"%s\"}",
                    ctx->b.proc->procedure->code);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: dry run for procedure \"%s\": valid, nothing recorded",
                  ctx->b.proc->procedure->code);

    return ngx_http_dvc_send_json(r, NGX_HTTP_OK, body, p - body);
}


/*
 * A signed submission: the one-stop back-end enters a dossier received by
 * post or at the counter.  Headers checked now; the MAC follows the body.
 * 1: go on; 0: answered (403, 401, 500), *rc says how.
 */
static ngx_int_t
ngx_http_dvc_submit_signature(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, ngx_int_t *rc)
{
    ngx_int_t                  n;
    dvc_sig_result_t           why;
    ngx_http_dvc_error_e       err;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->event_keys == NULL || dmcf->event_keys->nelts == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: signed submission refused: no dvc_event_key "
                      "configured");
        err = NGX_HTTP_DVC_ERR_EVENTS_DISABLED;
        goto refused;
    }

    n = ngx_http_dvc_body_sign(r, &ctx->b, ctx->mac, &why);

    if (n == NGX_ERROR) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return 0;
    }

    if (n == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: signed submission refused: %s%s%s%s",
                      dvc_sig_result_code(why), ctx->b.repeated ? " (" : "",
                      ctx->b.repeated ? ctx->b.repeated : "",
                      ctx->b.repeated ? " given more than once)" : "");
        err = why == DVC_SIG_STALE ? NGX_HTTP_DVC_ERR_SIGNATURE_STALE
              : why == DVC_SIG_AMBIGUOUS ? NGX_HTTP_DVC_ERR_SIGNATURE_AMBIGUOUS
              : NGX_HTTP_DVC_ERR_SIGNATURE_MISSING;
        goto refused;
    }

    ctx->is_signed = 1;

    return 1;

refused:

    *rc = ngx_http_dvc_refuse_unread(r, err);

    return 0;
}


/* "channel": online by default; postal and counter only when signed. */
static ngx_int_t
ngx_http_dvc_submit_channel(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, ngx_int_t *rc)
{
    dvc_channel_t        ch;
    dvc_dossier_facts_t  facts;

    dvc_intake_facts(ctx->b.intake, &facts);

    /* the schema allows only the three names */
    ch = facts.channel ? dvc_channel_by_name(facts.channel, facts.channel_len)
                       : DVC_CHANNEL_ONLINE;

    if (ch == DVC_CHANNEL_NONE || ch == DVC_CHANNEL_ONLINE) {
        return 1;
    }

    if (!ctx->is_signed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: submission refused: channel \"%s\" without a "
                      "signature", facts.channel);
        *rc = ngx_http_dvc_send_error(r,
                                      NGX_HTTP_DVC_ERR_CHANNEL_NEEDS_SIGNATURE);
        return 0;
    }

    ctx->channel = ch;

    return 1;
}


/* The whole body is in: answer the verdict, or go on to Redis. */
static ngx_int_t
ngx_http_dvc_submit_documents_ok(ngx_http_request_t *r, void *data)
{
    ngx_http_dvc_submit_ctx_t  *ctx = data;

    return ctx->dry_run ? ngx_http_dvc_submit_checked(r, ctx)
                        : ngx_http_dvc_submit_idempotency(r, ctx);
}


static void
ngx_http_dvc_submit_body_done(ngx_http_request_t *r)
{
    int                         sig;
    dvc_dossier_facts_t         facts;
    size_t                      which;
    ngx_uint_t                  level;
    ngx_int_t                   rc;
    ngx_http_dvc_submit_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dvc_module);

    ngx_http_dvc_body_finish(&ctx->b);

    if (ctx->is_signed) {
        /* the signature first: an unsigned body is nobody's business */
        sig = dvc_sig_finish(ctx->b.sig, ctx->mac, &which);

        if (sig != DVC_SIG_OK) {
            level = sig < 0 ? NGX_LOG_ALERT : NGX_LOG_WARN;
            ngx_log_error(level, r->connection->log, 0,
                          "dvc: signed submission refused: %s",
                          sig < 0 ? "the MAC failed" : "signature_invalid");
            ngx_http_finalize_request(r, ngx_http_dvc_send_error(r,
                                  sig < 0 ? NGX_HTTP_DVC_ERR_INTERNAL
                                          : NGX_HTTP_DVC_ERR_SIGNATURE_INVALID));
            return;
        }
    }

    if (ngx_http_dvc_body_verdict(r, &ctx->b, &rc)
        && ngx_http_dvc_submit_channel(r, ctx, &rc))
    {
        /* the listed documents must be uploads (ngx_http_dvc_documents.c)
         * before a sequence number is taken */
        dvc_intake_facts(ctx->b.intake, &facts);
        rc = ngx_http_dvc_documents_check(r, ctx->b.proc->procedure, &facts,
                                          ngx_http_dvc_submit_documents_ok,
                                          ctx, NULL);
        if (rc == NGX_DECLINED) {
            rc = ngx_http_dvc_submit_documents_ok(r, ctx);
        }
    }

    /* NGX_DONE: waiting for Redis; the post handler's own reference goes */
    ngx_http_finalize_request(r, rc);
}


/*
 * The body's hash, then the Idempotency-Key when given
 * (ngx_http_dvc_submit_idem.c): ngx_http_dvc_submit_idem_done goes on.
 */
static ngx_int_t
ngx_http_dvc_submit_idempotency(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *h;
    unsigned char     digest[SHA256_DIGEST_LENGTH];

    ctx->now = ngx_time();
    dvc_time_format_vn(ctx->now, ctx->now_vn);

    SHA256((u_char *) ctx->b.body.data, ctx->b.body.len, digest);
    ngx_hex_dump(ctx->body_sha, digest, SHA256_DIGEST_LENGTH);

    h = ngx_http_dvc_find_header(r, &ngx_http_dvc_idempotency_header);

    if (h == NULL) {
        return ngx_http_dvc_submit_sequence(r, ctx);
    }

    ctx->idem.body_sha = ctx->body_sha;
    ctx->idem.done = ngx_http_dvc_submit_idem_done;
    ctx->idem.data = ctx;

    rc = ngx_http_dvc_submit_idem(r, &ctx->idem, &h->value,
                                  ctx->b.proc->procedure->agency);

    if (rc == NGX_DECLINED) {
        return ngx_http_dvc_submit_unavailable(r, ctx, "redis unavailable");
    }

    return rc;
}


/* The Idempotency-Key's outcome: this request holds it, or it answers
 * the first submission's 201 again, or Redis did not reserve it. */
static ngx_int_t
ngx_http_dvc_submit_idem_done(ngx_http_request_t *r,
    ngx_http_dvc_submit_idem_t *idem, ngx_uint_t outcome)
{
    ngx_http_dvc_submit_ctx_t  *ctx = idem->data;

    switch (outcome) {

    case NGX_HTTP_DVC_IDEM_HELD:
        return ngx_http_dvc_submit_sequence(r, ctx);

    case NGX_HTTP_DVC_IDEM_REPLAY:
        return ngx_http_dvc_submit_created(r, &idem->code, idem->answer.data,
                                           idem->answer.len);

    default: /* NGX_HTTP_DVC_IDEM_UNAVAILABLE */
        return ngx_http_dvc_submit_unavailable(r, ctx, idem->why);
    }
}



/* The day's sequence for the agency: created with a TTL, then INCR. */
static ngx_int_t
ngx_http_dvc_submit_sequence(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx)
{
    int                        y, m, d;
    u_char                    *key, *p;
    ngx_int_t                  rc;
    const char                *agency;
    ngx_http_dvc_redis_cmd_t   cmds[2];

    agency = ctx->b.proc->procedure->agency;
    dvc_time_vn_date(ctx->now, &y, &m, &d);

    key = ngx_pnalloc(r->pool, sizeof("dvc:seq::YYMMDD") + DVC_AGENCY_LEN);
    if (key == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(key, "dvc:seq:%s:%02d%02d%02d", agency, y % 100, m, d);

    cmds[0].argc = 6;
    cmds[0].argv = (const char *[]) { "SET", (const char *) key, "0", "NX",
                                      "EX", NGX_HTTP_DVC_SEQ_TTL };
    cmds[0].argvlen = (size_t[]) { 3, p - key, 1, 2, 2,
                                   sizeof(NGX_HTTP_DVC_SEQ_TTL) - 1 };

    cmds[1].argc = 2;
    cmds[1].argv = (const char *[]) { "INCR", (const char *) key };
    cmds[1].argvlen = (size_t[]) { 4, p - key };

    rc = ngx_http_dvc_redis_send(r, cmds, 2, ngx_http_dvc_submit_seq_reply,
                                 ctx);
    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    return ngx_http_dvc_submit_unavailable(r, ctx, "redis unavailable");
}


static void
ngx_http_dvc_submit_seq_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_submit_ctx_t *ctx = data;

    int                  y, m, d;
    const char          *agency;
    ngx_http_dvc_val_t   seq;

    ngx_http_dvc_reply_val(reply, &seq);

    if (seq.type != NGX_HTTP_DVC_VAL_INTEGER) {
        ngx_http_dvc_finalize(r, ngx_http_dvc_submit_unavailable(r, ctx,
                              seq.type == NGX_HTTP_DVC_VAL_ERROR
                              ? seq.str : "no sequence number"));
        return;
    }

    agency = ctx->b.proc->procedure->agency;
    dvc_time_vn_date(ctx->now, &y, &m, &d);

    if (seq.integer > DVC_SEQ_MAX
        || dvc_code_format(ctx->code, agency, ngx_strlen(agency), y % 100, m,
                           d, (long) seq.integer) != 0)
    {
        /* the legal code has four digits: no code, rather than a wrong one */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: daily sequence of agency \"%s\" exhausted "
                      "(%lld dossiers today); submission answered 503",
                      agency, (long long) seq.integer);
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_SEQUENCE_EXHAUSTED));
        return;
    }

    ngx_http_dvc_finalize(r, ngx_http_dvc_submit_record(r, ctx));
}


/* The lookup token: 128 bits from the CSPRNG; only its hash is kept. */
static ngx_int_t
ngx_http_dvc_submit_token(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx)
{
    dvc_buf_t      b;
    unsigned char  token[NGX_HTTP_DVC_TOKEN_BYTES];
    unsigned char  digest[SHA256_DIGEST_LENGTH];

    if (RAND_bytes(token, sizeof(token)) != 1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: RAND_bytes() failed");
        return NGX_ERROR;
    }

    dvc_buf_init(&b, &ctx->b.alloc);
    dvc_buf_base64url(&b, token, sizeof(token));

    if (b.failed || b.len > sizeof(ctx->token)) {
        return NGX_ERROR;
    }

    ctx->token_len = b.len;
    ngx_memcpy(ctx->token, b.data, b.len);

    SHA256(ctx->token, ctx->token_len, digest);
    ngx_hex_dump(ctx->token_sha, digest, SHA256_DIGEST_LENGTH);

    return NGX_OK;
}


/*
 * The code is taken: core decides the record (dvc_submit.h), the plan goes
 * to Redis as one MULTI/EXEC.
 */
static ngx_int_t
ngx_http_dvc_submit_record(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx)
{
    dvc_buf_t                   docs;
    dvc_submit_env_t            env;
    dvc_submit_plan_t          *plan;
    dvc_submit_facts_t          f;
    dvc_dossier_facts_t         facts;
    ngx_http_dvc_main_conf_t   *dmcf;

    dmcf = ctx->b.dmcf;

    if (ngx_http_dvc_submit_token(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dvc_intake_facts(ctx->b.intake, &facts);

    ngx_memzero(&f, sizeof(f));
    f.procedure = ctx->b.proc->procedure;
    f.dossier = &facts;
    f.channel = ctx->channel;
    f.code = ctx->code;
    f.body = ctx->b.body.data;
    f.body_len = ctx->b.body.len;
    f.body_sha256 = (const char *) ctx->body_sha;
    f.token = (const char *) ctx->token;
    f.token_len = ctx->token_len;
    f.token_sha256 = (const char *) ctx->token_sha;
    f.idempotent = ctx->idem.key.len != 0;

    /* with a store, the documents as uploaded (checked equal to the
     * body's) and as scanned */
    dvc_buf_init(&docs, &ctx->b.alloc);
    ngx_http_dvc_documents_inbox_json(r, &facts, &docs);

    if (docs.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    f.documents = docs.data;
    f.documents_len = docs.len;

    ngx_http_dvc_env_init(&env, dmcf, ctx->now);

    plan = ngx_palloc(r->pool, sizeof(dvc_submit_plan_t));
    if (plan == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dvc_submit_plan_init(plan, &ctx->b.alloc);
    dvc_submit_decide(&f, &env, plan);

    if (plan->p.signed_ack) {
        ngx_http_dvc_metrics_signed(NGX_HTTP_DVC_SIGNED_ACK);
    }

    if (plan->p.signed_receipt) {
        ngx_http_dvc_metrics_signed(NGX_HTTP_DVC_SIGNED_RECEIPT);
    }

    if (plan->p.failed) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: recording dossier \"%s\": signing or memory "
                      "failed", ctx->code);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (plan->p.http != 200) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "dvc: %s",
                      plan->p.err.message_en);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
    }

    ctx->answer.data = (u_char *) plan->p.answer.data;
    ctx->answer.len = plan->p.answer.len;

    return ngx_http_dvc_submit_send(r, ctx, plan, &facts);
}


/* The plan as one MULTI/EXEC (ngx_http_dvc_submit_multi.c). */
static ngx_int_t
ngx_http_dvc_submit_send(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, dvc_submit_plan_t *plan,
    dvc_dossier_facts_t *facts)
{
    ngx_int_t  rc;

    rc = ngx_http_dvc_submit_multi(r, plan, ctx->code, &ctx->idem.key, facts,
                                   ngx_http_dvc_submit_exec_reply, ctx);
    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_submit_unavailable(r, ctx, "redis unavailable");
}


static void
ngx_http_dvc_submit_exec_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_submit_ctx_t *ctx = data;

    ngx_int_t            i, n;
    ngx_str_t            code;
    const char          *err;
    ngx_http_dvc_val_t   v;

    if (reply == NULL) {
        /* no answer (timeout, connection lost): the transaction may be on
         * its way or done, its answer lost; a Redis paused past the timeout
         * still runs it when it resumes.  Not "nothing recorded": only a
         * retry with the same Idempotency-Key can tell */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: submission answered 503, outcome unknown: the "
                      "transaction of dossier \"%s\" was sent and Redis did "
                      "not answer; it may be recorded", ctx->code);
        ngx_http_dvc_finalize(r,
            ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE));
        return;
    }

    n = ngx_http_dvc_reply_vals(reply, NULL, 0);

    if (n == NGX_ERROR) {
        /* EXEC refused (EXECABORT, READONLY...): Redis discarded the whole
         * transaction */
        err = ngx_http_dvc_reply_error(reply);
        ngx_http_dvc_finalize(r, ngx_http_dvc_submit_unavailable(r, ctx,
                              err ? err : "transaction not executed"));
        return;
    }

    for (i = 0; i < n; i++) {
        ngx_http_dvc_reply_val(ngx_http_dvc_reply_elem(reply, i), &v);

        if (v.type == NGX_HTTP_DVC_VAL_ERROR) {
            /* MULTI cannot roll back: this is a bug or a wrong-type key,
             * never a partial dossier the citizen would believe recorded */
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "dvc: recording dossier \"%s\": command %i of the "
                          "transaction failed: %s", ctx->code, i + 1,
                          v.str);
            ngx_http_dvc_finalize(r,
                ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL));
            return;
        }
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: dossier \"%s\" recorded for procedure \"%s\"",
                  ctx->code, ctx->b.proc->procedure->code);

    code.data = (u_char *) ctx->code;
    code.len = DVC_CODE_LEN;

    ngx_http_dvc_finalize(r, ngx_http_dvc_submit_created(r, &code,
                          ctx->answer.data, ctx->answer.len));
}


static ngx_int_t
ngx_http_dvc_submit_unavailable(ngx_http_request_t *r,
    ngx_http_dvc_submit_ctx_t *ctx, const char *why)
{
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "dvc: submission answered 503, nothing recorded: %s", why);

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
}


static ngx_int_t
ngx_http_dvc_submit_created(ngx_http_request_t *r, ngx_str_t *code,
    u_char *body, size_t len)
{
    u_char                   *p;
    ngx_table_elt_t          *h;
    ngx_http_dvc_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dvc_module);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->value.data = ngx_pnalloc(r->pool, dlcf->api_root.len
                                + sizeof("/v1/dossiers/") - 1 + code->len);
    if (h->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(h->value.data, dlcf->api_root.data, dlcf->api_root.len);
    p = ngx_cpymem(p, "/v1/dossiers/", sizeof("/v1/dossiers/") - 1);
    p = ngx_cpymem(p, code->data, code->len);

    h->hash = 1;
    ngx_str_set(&h->key, "Location");
    h->value.len = p - h->value.data;

    return ngx_http_dvc_send_json(r, NGX_HTTP_CREATED, body, len);
}
