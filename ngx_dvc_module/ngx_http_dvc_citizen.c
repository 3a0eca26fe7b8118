/*
 * A citizen acts on a dossier with its lookup token:
 *
 *   POST /dvc/v1/dossiers/{code}/withdrawal   {"reason"?}        1,2,4,5,6 -> 7
 *   POST /dvc/v1/dossiers/{code}/supplement   the whole dossier  5 -> 1
 *   POST /dvc/v1/dossiers/{code}/rating       {"rating","comment"?}  9, 10; once
 *
 * The token rules are the lookup's (ngx_http_dvc_lookup.c): an unknown code,
 * a wrong token and a missing one give the same 404.  The body is read first
 * (a supplement streams through the submission's scanner and validator), then
 * one HMGET reads what the decision needs; core decides (dvc_lifecycle: is the
 * change legal, the history entry; dvc_stats: the counters), and the change
 * is applied by the generic compare-and-set script (ngx_http_dvc_apply.c),
 * guarded by the dossier's `ver`.  A change that lost the race to another is
 * re-read and decided once more, then answered 409 conflict.
 *
 * A withdrawal asked again while the first request waits for the back-end
 * (status 7: a citizen retrying after a lost answer) is answered 200 with
 * what the first one was answered, and nothing is applied again: no second
 * history entry, inbox entry or counter.
 *
 * A supplement or a rating sent again after it applied (the same body, byte
 * for byte: a browser or an app retrying after a lost answer) gets the first
 * answer, byte for byte, and nothing is applied again either.  The script
 * call that applies one stores `c:{action}` = "{body sha256 hex} {answer}"
 * in the dossier's hash with the change itself; a request that finds the
 * action no longer possible (a supplement outside 5, a second rating) and
 * its own body's SHA-256 in that field answers the answer stored after
 * it.  A supplement in 5 again (the desk asked anew) is a new one, even
 * with the same bytes: the field keeps only the last.  The check is
 * made on the HMGET's snapshot, and that is exact: a stored answer is only
 * ever written with the change it answers, and a decision to apply is
 * written only if `ver` is still the one read, so two identical requests
 * racing both read 5, one applies, the other loses the compare-and-set,
 * reads again and finds the answer.  Another body is refused as before.
 *
 * Withdrawal requests and supplements reach the back-end through dvc:inbox
 * (type withdrawal_requested / supplement; the supplement with the corrected
 * body as the citizen sent it).  A supplement "returns the dossier to the
 * desk": status 1 again, and the desk's next accept computes a fresh due time
 * (Decree 61/2018 art. 19: time counts anew from a complete dossier).
 */

#include <openssl/sha.h>

#include "ngx_http_dvc_module.h"
#include "dvc_utf8.h"
#include "dvc_code.h"
#include "dvc_status.h"
#include "dvc_time.h"
#include "dvc_lifecycle.h"
#include "dvc_stats.h"
#include "dvc_dossier_scan.h"
#include "dvc_procedure.h"
#include "dvc_citizen.h"
#include "ngx_http_dvc_apply.h"


/* a withdrawal's reason ({"vi","en"}, 2,000 code points each) or a rating's
 * comment, even from a client that escapes every non-ASCII character
 * (\uXXXX, 12 bytes for one outside the BMP): the events' cap too */
#define NGX_HTTP_DVC_ACTION_BODY_MAX  (64 * 1024)


/* HMGET field order; the reply array follows it */
typedef enum {
    CF_TOKEN_SHA256 = 0,
    CF_CODE,
    CF_PROCEDURE,
    CF_AGENCY,
    CF_STATUS,
    CF_PREV_STATUS,
    CF_VER,
    CF_HISTORY,
    CF_DUE_TS,
    CF_APPOINTMENT_TS,
    CF_RATING,
    CF_UPDATED_AT,
    CF_ANSWER,              /* c:{action}, per request (below) */
    CF_ST,                  /* DVC_STAT_NFIELDS st_* fields from here */
    CF_LAST = CF_ST + DVC_STAT_NFIELDS
} ngx_http_dvc_citizen_field_e;

static ngx_str_t  ngx_http_dvc_citizen_fields[CF_ST] = {
    ngx_string("token_sha256"),
    ngx_string("code"),
    ngx_string("procedure"),
    ngx_string("agency"),
    ngx_string("status"),
    ngx_string("prev_status"),
    ngx_string("ver"),
    ngx_string("history"),
    ngx_string("due_ts"),
    ngx_string("appointment_ts"),
    ngx_string("rating"),
    ngx_string("updated_at"),
    ngx_null_string,
};


typedef struct {
    ngx_http_dvc_body_t          b;          /* first: the body filter's */
    ngx_http_dvc_dossier_ref_t   ref;
    dvc_event_type_t             action;
    ngx_uint_t                   tries;
    ngx_str_t                    fields[CF_LAST];

    int64_t                      now;
    char                         now_vn[DVC_TIME_VN_LEN + 1];
    dvc_event_t                  ev;         /* the parsed action */

    int64_t                      ver;        /* as read */
    u_char                       sha[SHA256_DIGEST_LENGTH * 2];
    ngx_str_t                    answer;     /* the citizen's answer */
    char                         stat_err[128];

    /* a supplement's documents not as uploaded: the 422, answered once the
     * token and the status allow the supplement (ngx_http_dvc_documents.c) */
    ngx_str_t                    docs_refusal;
    dvc_dossier_facts_t          facts;
} ngx_http_dvc_citizen_ctx_t;


static void ngx_http_dvc_citizen_body_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_citizen_read(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx);
static void ngx_http_dvc_citizen_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_citizen_decide(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f);
static ngx_int_t ngx_http_dvc_citizen_facts(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f,
    dvc_citizen_facts_t *facts);
static ngx_int_t ngx_http_dvc_citizen_body(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_citizen_action_t *act,
    ngx_int_t *rc);
static ngx_int_t ngx_http_dvc_citizen_refused(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_citizen_verdict_t verdict,
    dvc_citizen_facts_t *facts, dvc_buf_t *answer);
static ngx_int_t ngx_http_dvc_citizen_apply(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_citizen_facts_t *facts,
    dvc_citizen_action_t *act);
static ngx_int_t ngx_http_dvc_citizen_event_error(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_event_error_t *err);
static ngx_int_t ngx_http_dvc_citizen_done(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_uint_t applied);
static ngx_int_t ngx_http_dvc_citizen_documents(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx);
static ngx_int_t ngx_http_dvc_citizen_read_next(ngx_http_request_t *r,
    void *data);
static ngx_int_t ngx_http_dvc_citizen_claim(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx);
static void ngx_http_dvc_citizen_claimed(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static void ngx_http_dvc_citizen_applied(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);


/* where the answer of an applied supplement or rating is kept, with its
 * body's SHA-256 (a withdrawal keeps none: its retry is answered from 7;
 * the HMGET asks for the field all the same, never there) */
static ngx_str_t  ngx_http_dvc_citizen_answers[] = {
    [DVC_ACT_WITHDRAWAL] = ngx_string("c:withdrawal"),
    [DVC_ACT_SUPPLEMENT] = ngx_string("c:supplement"),
    [DVC_ACT_RATING] = ngx_string("c:rating"),
};

/* the same, as the log says what a request was about */
static const char  *ngx_http_dvc_citizen_of[] = {
    [DVC_ACT_WITHDRAWAL] = "withdrawal of",
    [DVC_ACT_SUPPLEMENT] = "supplement of",
    [DVC_ACT_RATING] = "rating of",
};


/*
 * The router's entry: action is DVC_ACT_WITHDRAWAL, DVC_ACT_SUPPLEMENT or
 * DVC_ACT_RATING; the method is POST.
 */
ngx_int_t
ngx_http_dvc_citizen(ngx_http_request_t *r, ngx_str_t *code,
    ngx_uint_t action)
{
    ngx_uint_t                   i;
    ngx_http_dvc_error_e         err;
    ngx_http_dvc_citizen_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_citizen_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->action = (dvc_event_type_t) action;

    if (ngx_http_dvc_dossier_ref(r, code, &ctx->ref, &err) != NGX_OK) {
        return ngx_http_dvc_refuse_unread(r, err);
    }

    /* a supplement is a dossier: JSON like a submission; the small bodies
     * may be empty, but if there is one it is JSON too */
    if ((ctx->action == DVC_ACT_SUPPLEMENT
         || r->headers_in.content_length_n > 0 || r->headers_in.chunked)
        && !ngx_http_dvc_is_json(r))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" with content type \"%V\" refused",
                      dvc_citizen_name(ctx->action), code,
                      ngx_http_dvc_content_type(r));

        return ngx_http_dvc_refuse_unread(r, NGX_HTTP_DVC_ERR_MEDIA_TYPE);
    }

    for (i = 0; i < CF_ST; i++) {
        ctx->fields[i] = ngx_http_dvc_citizen_fields[i];
    }

    ctx->fields[CF_ANSWER] = ngx_http_dvc_citizen_answers[ctx->action];

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        ctx->fields[CF_ST + i].data = (u_char *) dvc_stat_field_names[i];
        ctx->fields[CF_ST + i].len = ngx_strlen(dvc_stat_field_names[i]);
    }

    if (ctx->action == DVC_ACT_SUPPLEMENT) {
        return ngx_http_dvc_body_read(r, &ctx->b, "supplement", 1, 0,
                                      ngx_http_dvc_citizen_body_done);
    }

    return ngx_http_dvc_body_read(r, &ctx->b,
                                  dvc_citizen_name(ctx->action), 0,
                                  NGX_HTTP_DVC_ACTION_BODY_MAX,
                                  ngx_http_dvc_citizen_body_done);
}


/* The body is in: read the dossier. */
static void
ngx_http_dvc_citizen_body_done(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_dvc_citizen_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_dvc_module);

    ngx_http_dvc_body_finish(&ctx->b);

    rc = NGX_DECLINED;

    if (ctx->action == DVC_ACT_SUPPLEMENT) {
        rc = ngx_http_dvc_citizen_documents(r, ctx);
    }

    if (rc == NGX_DECLINED) {
        rc = ngx_http_dvc_citizen_read(r, ctx);
    }

    /* NGX_DONE: waiting for Redis; the post handler's own reference goes */
    ngx_http_finalize_request(r, rc);
}


/*
 * A supplement's documents[] against their uploads, read before the
 * dossier; what is wrong is answered only after the token and the status
 * (decide), so a stranger learns nothing of anyone's uploads.
 * NGX_DECLINED: nothing to check.
 */
static ngx_int_t
ngx_http_dvc_citizen_documents(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx)
{
    size_t                        plen;
    const char                   *procedure;
    ngx_http_dvc_procedure_rt_t  *rt;

    procedure = ctx->b.intake ? dvc_intake_procedure(ctx->b.intake, &plen)
                              : NULL;
    rt = procedure ? ngx_http_dvc_procedure_find(ctx->b.dmcf, procedure, plen)
                   : NULL;

    if (rt == NULL) {
        return NGX_DECLINED;        /* decide refuses the body itself */
    }

    dvc_intake_facts(ctx->b.intake, &ctx->facts);

    return ngx_http_dvc_documents_check(r, rt->procedure, &ctx->facts,
                                        ngx_http_dvc_citizen_read_next, ctx,
                                        &ctx->docs_refusal);
}


static ngx_int_t
ngx_http_dvc_citizen_read_next(ngx_http_request_t *r, void *data)
{
    return ngx_http_dvc_citizen_read(r, data);
}


static ngx_int_t
ngx_http_dvc_citizen_read(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_dvc_dossier_hmget(r, &ctx->ref, ctx->fields, CF_LAST,
                                    ngx_http_dvc_citizen_reply, ctx);

    return ngx_http_dvc_redis_sent(r, rc, ngx_http_dvc_citizen_of[ctx->action],
                                   &ctx->ref.code);
}


static void
ngx_http_dvc_citizen_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_citizen_ctx_t *ctx = data;

    ngx_int_t           rc;
    ngx_http_dvc_val_t  f[CF_LAST];

    if (ngx_http_dvc_dossier_check(r, reply, f, CF_LAST, &ctx->ref, &rc)) {
        rc = ngx_http_dvc_citizen_decide(r, ctx, f);
    }

    ngx_http_dvc_finalize(r, rc);
}


/*
 * The dossier is the citizen's: the reply turned into facts, the body into
 * the action, core's check and decision (dvc_citizen.h), the plan to the
 * compare-and-set script.  Every refusal names what the citizen can do
 * instead.
 */
static ngx_int_t
ngx_http_dvc_citizen_decide(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f)
{
    ngx_int_t              rc;
    dvc_buf_t              answer;
    dvc_citizen_facts_t    facts;
    dvc_citizen_action_t   act;
    dvc_citizen_verdict_t  verdict;

    if (ngx_http_dvc_citizen_facts(r, ctx, f, &facts) != NGX_OK) {
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    ctx->now = ngx_time();

    if (!ngx_http_dvc_citizen_body(r, ctx, &act, &rc)) {
        return rc;
    }

    dvc_buf_init(&answer, &ctx->b.alloc);
    verdict = dvc_citizen_check(&facts, &act, ctx->now, &answer);

    if (answer.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (verdict != DVC_CITIZEN_GO) {
        return ngx_http_dvc_citizen_refused(r, ctx, verdict, &facts,
                                            &answer);
    }

    if (ctx->action == DVC_ACT_SUPPLEMENT) {

        if (!ngx_http_dvc_body_verdict(r, &ctx->b, &rc)) {
            return rc;
        }

        if (ctx->docs_refusal.len) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: supplement of \"%V\" refused: document(s) "
                          "not as uploaded", &ctx->ref.code);
            return ngx_http_dvc_send_json(r, NGX_HTTP_DVC_UNPROCESSABLE,
                                          ctx->docs_refusal.data,
                                          ctx->docs_refusal.len);
        }

        /* the corrected dossier, validated */
        dvc_intake_facts(ctx->b.intake, &ctx->facts);
        act.procedure = ctx->b.proc->procedure;
        act.dossier = &ctx->facts;
    }

    return ngx_http_dvc_citizen_apply(r, ctx, &facts, &act);
}


/*
 * The HMGET's values as core's facts.  NGX_ERROR: a field core cannot do
 * without is malformed (logged).
 */
static ngx_int_t
ngx_http_dvc_citizen_facts(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f,
    dvc_citizen_facts_t *facts)
{
    size_t               i;
    int64_t              status, prev;
    ngx_http_dvc_val_t  *v;
    const char          *vals[DVC_STAT_NFIELDS];
    size_t               lens[DVC_STAT_NFIELDS];

    if (ngx_http_dvc_val_int(&f[CF_STATUS], &status) != 1
        || dvc_status_info((int) status) == NULL
        || ngx_http_dvc_val_int(&f[CF_PREV_STATUS], &prev) < 0
        || ngx_http_dvc_val_int(&f[CF_VER], &ctx->ver) < 0
        || f[CF_PROCEDURE].type != NGX_HTTP_DVC_VAL_STRING
        || f[CF_AGENCY].type != NGX_HTTP_DVC_VAL_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: dossier hash for \"%V\" is malformed (status, "
                      "prev_status, ver, procedure or agency)",
                      &ctx->ref.code);
        return NGX_ERROR;
    }

    ngx_memzero(facts, sizeof(dvc_citizen_facts_t));
    facts->code = (const char *) ctx->ref.code.data;
    facts->code_len = ctx->ref.code.len;
    facts->procedure = f[CF_PROCEDURE].str;
    facts->procedure_len = f[CF_PROCEDURE].len;
    facts->agency = f[CF_AGENCY].str;
    facts->agency_len = f[CF_AGENCY].len;
    facts->status = (int) status;
    facts->prev_status = (int) prev;
    facts->history = ngx_http_dvc_val_str(&f[CF_HISTORY]);
    facts->history_len = ngx_http_dvc_val_len(&f[CF_HISTORY]);
    facts->rated = f[CF_RATING].type == NGX_HTTP_DVC_VAL_STRING;
    facts->updated_at = ngx_http_dvc_val_str(&f[CF_UPDATED_AT]);
    facts->updated_at_len = ngx_http_dvc_val_len(&f[CF_UPDATED_AT]);
    facts->stored = ngx_http_dvc_val_str(&f[CF_ANSWER]);
    facts->stored_len = ngx_http_dvc_val_len(&f[CF_ANSWER]);

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        v = &f[CF_ST + i];
        vals[i] = v->type == NGX_HTTP_DVC_VAL_STRING ? v->str : NULL;
        lens[i] = v->type == NGX_HTTP_DVC_VAL_STRING ? v->len : 0;
    }

    /* a broken st_* field fails the change, not its checks */
    if (dvc_stat_state_from_values(&facts->stat, vals, lens, ctx->stat_err,
                                   sizeof(ctx->stat_err)) != 0)
    {
        facts->stat_error = ctx->stat_err;
    }

    return NGX_OK;
}


/*
 * The body against what the action takes, parsed into act.  1: go on; 0:
 * answered (413, 400, 422), *rc says how.
 */
static ngx_int_t
ngx_http_dvc_citizen_body(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_citizen_action_t *act,
    ngx_int_t *rc)
{
    unsigned char      digest[SHA256_DIGEST_LENGTH];
    dvc_event_error_t  err;

    if (ctx->b.too_large) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" refused: body over %uz bytes",
                      dvc_citizen_name(ctx->action), &ctx->ref.code,
                      ctx->b.max);
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_TOO_LARGE);
        return 0;
    }

    if (ctx->action != DVC_ACT_SUPPLEMENT
        && !dvc_utf8_valid((const u_char *) ctx->b.body.data, ctx->b.body.len))
    {
        /* yajl lets overlong forms and encoded surrogates through; a text
         * kept and shown to officials must be clean.  Answered as a
         * submission's invalid UTF-8 is: 400 json_utf8 with the offset */
        *rc = ngx_http_dvc_body_malformed(r, &ctx->b, "json_utf8",
                  dvc_utf8_invalid_at((const u_char *) ctx->b.body.data,
                                        ctx->b.body.len),
                  "Nội dung gửi lên không phải UTF-8 hợp lệ.",
                  "The body is not valid UTF-8.");
        return 0;
    }

    /* an empty body (no data at all) is "" to the parser, not "no body" */
    if (dvc_action_parse(&ctx->b.alloc, ctx->action,
                         ctx->action == DVC_ACT_SUPPLEMENT
                         ? NULL
                         : ctx->b.body.data ? ctx->b.body.data : "",
                         ctx->b.body.len, ctx->now, &ctx->ev, &err) != 0)
    {
        *rc = ngx_http_dvc_citizen_event_error(r, ctx, &err);
        return 0;
    }

    ngx_memzero(act, sizeof(dvc_citizen_action_t));
    act->action = ctx->action;
    act->ev = &ctx->ev;

    if (ctx->action != DVC_ACT_WITHDRAWAL) {
        /* "the same request": this action with these bytes */
        SHA256((u_char *) ctx->b.body.data, ctx->b.body.len, digest);
        ngx_hex_dump(ctx->sha, digest, SHA256_DIGEST_LENGTH);
        act->sha256 = (const char *) ctx->sha;
    }

    if (ctx->action == DVC_ACT_SUPPLEMENT) {
        act->body = ctx->b.body.data;
        act->body_len = ctx->b.body.len;
        act->body_procedure = ctx->b.intake
            ? dvc_intake_procedure(ctx->b.intake, &act->body_procedure_len)
            : NULL;
    }

    return 1;
}


/* What core answered instead of the change. */
static ngx_int_t
ngx_http_dvc_citizen_refused(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_citizen_verdict_t verdict,
    dvc_citizen_facts_t *facts, dvc_buf_t *answer)
{
    const char  *name = dvc_citizen_name(ctx->action);

    ctx->answer.data = (u_char *) answer->data;
    ctx->answer.len = answer->len;

    switch (verdict) {

    case DVC_CITIZEN_REPLAY:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" sent again: the first answer "
                      "repeated, nothing applied", name, &ctx->ref.code);
        return ngx_http_dvc_citizen_done(r, ctx, 0);

    case DVC_CITIZEN_WITHDRAWING:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: withdrawal of \"%V\" already requested: answered "
                      "with the current status, nothing applied",
                      &ctx->ref.code);
        return ngx_http_dvc_citizen_done(r, ctx, 0);

    case DVC_CITIZEN_ILLEGAL:
        if (ctx->action == DVC_ACT_RATING) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: rating of \"%V\" refused: status %d",
                          &ctx->ref.code, facts->status);
        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: %s of \"%V\" refused: illegal from status %d",
                          name, &ctx->ref.code, facts->status);
        }
        return ngx_http_dvc_send_json(r, NGX_HTTP_CONFLICT, ctx->answer.data,
                                      ctx->answer.len);

    case DVC_CITIZEN_ALREADY_RATED:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: rating of \"%V\" refused: already rated",
                      &ctx->ref.code);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_ALREADY_RATED);

    default: /* DVC_CITIZEN_OTHER_PROCEDURE */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: supplement of \"%V\" refused: another "
                      "procedure", &ctx->ref.code);
        return ngx_http_dvc_send_error(r,
                                       NGX_HTTP_DVC_ERR_PROCEDURE_MISMATCH);
    }
}


/* core's plan, applied only if `ver` is still what was read */
static ngx_int_t
ngx_http_dvc_citizen_apply(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_citizen_facts_t *facts,
    dvc_citizen_action_t *act)
{
    ngx_int_t              rc;
    ngx_str_t              key;
    dvc_plan_t            *plan;
    ngx_http_dvc_apply_t   a;

    plan = ngx_palloc(r->pool, sizeof(dvc_plan_t));
    if (plan == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dvc_plan_init(plan, &ctx->b.alloc);
    dvc_citizen_decide(facts, act, ctx->b.dmcf->calendar, ctx->now, plan);

    if (plan->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (plan->http != 200) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "dvc: %s of "
                      "\"%V\": %s", dvc_citizen_name(ctx->action),
                      &ctx->ref.code, plan->err.message_en);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    ctx->answer.data = (u_char *) plan->answer.data;
    ctx->answer.len = plan->answer.len;

    key.data = ctx->ref.key;
    key.len = ctx->ref.key_len;

    if (ngx_http_dvc_apply_init(r->pool, &a, &key, ctx->ver) != NGX_OK
        || ngx_http_dvc_apply_plan(&a, plan) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_dvc_apply_send(r, &a, ngx_http_dvc_citizen_applied, ctx);

    return ngx_http_dvc_redis_sent(r, rc, ngx_http_dvc_citizen_of[ctx->action],
                                   &ctx->ref.code);
}


/* core's refusal of the body: 400 or 422 naming the field */
static ngx_int_t
ngx_http_dvc_citizen_event_error(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_event_error_t *err)
{
    dvc_buf_t  b;

    if (err->http >= 500) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: %s of \"%V\": %s",
                      dvc_citizen_name(ctx->action), &ctx->ref.code,
                      err->message_en);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: %s of \"%V\" refused: %s%s%s",
                  dvc_citizen_name(ctx->action), &ctx->ref.code,
                  err->code, err->field[0] ? " " : "", err->field);

    dvc_buf_init(&b, &ctx->b.alloc);
    dvc_event_error_json(&b, err);

    if (b.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_json(r, err->http, (u_char *) b.data, b.len);
}


/* The citizen's answer: the change is applied (or was, by a first request). */
static ngx_int_t
ngx_http_dvc_citizen_done(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_uint_t applied)
{
    if (applied) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" applied",
                      dvc_citizen_name(ctx->action), &ctx->ref.code);
    }

    return ngx_http_dvc_send_json(r, ctx->action == DVC_ACT_RATING
                                     ? NGX_HTTP_CREATED : NGX_HTTP_OK,
                                  ctx->answer.data, ctx->answer.len);
}


/*
 * An applied supplement's uploads are the dossier's now: no TTL.  Its own
 * round trip after the change (the change's script knows nothing of
 * uploads); if it fails, the change stands and is answered, the uploads
 * keep their TTL (logged).  NGX_DECLINED: nothing to claim.
 */
static ngx_int_t
ngx_http_dvc_citizen_claim(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_http_dvc_redis_cmd_t   cmd;

    if (ctx->action != DVC_ACT_SUPPLEMENT || ctx->facts.ndocuments == 0) {
        return NGX_DECLINED;
    }

    rc = ngx_http_dvc_documents_claim(r, &ctx->facts,
                                      (const char *) ctx->ref.code.data,
                                      ctx->ref.code.len, &cmd);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == 0) {
        return NGX_DECLINED;
    }

    rc = ngx_http_dvc_redis_send(r, &cmd, 1, ngx_http_dvc_citizen_claimed,
                                 ctx);

    return rc == NGX_OK ? NGX_DONE : NGX_DECLINED;
}


static void
ngx_http_dvc_citizen_claimed(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_citizen_ctx_t *ctx = data;

    ngx_http_dvc_val_t  v;

    ngx_http_dvc_reply_val(reply, &v);

    if (v.type != NGX_HTTP_DVC_VAL_INTEGER) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: supplement of \"%V\" applied, but its uploads "
                      "were not claimed (%s): they keep their TTL",
                      &ctx->ref.code,
                      v.type == NGX_HTTP_DVC_VAL_ERROR ? v.str : "no reply");
    }

    ngx_http_dvc_finalize(r, ngx_http_dvc_citizen_done(r, ctx, 1));
}


/*
 * The script's answer: applied, or the dossier changed since it was read
 * (another request won the race): read it again and decide once more, since
 * the change may now be illegal or different; a second loss is 409.
 */
static void
ngx_http_dvc_citizen_applied(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_citizen_ctx_t *ctx = data;

    ngx_int_t  rc;
    ngx_str_t  value;

    switch (ngx_http_dvc_apply_result(reply, &value)) {

    case NGX_HTTP_DVC_APPLY_OK:
        rc = ngx_http_dvc_citizen_claim(r, ctx);
        if (rc == NGX_DECLINED) {
            rc = ngx_http_dvc_citizen_done(r, ctx, 1);
        }
        break;

    case NGX_HTTP_DVC_APPLY_CONFLICT:
        if (ctx->tries++ == 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: %s of \"%V\": the dossier changed meanwhile, "
                          "deciding again",
                          dvc_citizen_name(ctx->action),
                          &ctx->ref.code);
            rc = ngx_http_dvc_citizen_read(r, ctx);
            break;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" answered 409: changed twice meanwhile",
                      dvc_citizen_name(ctx->action), &ctx->ref.code);
        rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_CONFLICT);
        break;

    case NGX_HTTP_DVC_APPLY_MISSING:
        /* deleted between the read and the write */
        rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_NOT_FOUND);
        break;

    default:
        if (reply == NULL) {
            /* sent, but no answer (timeout, connection lost): Redis may
             * run it, or have run it; the retry finds out */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: %s of \"%V\" answered 503, outcome "
                          "unknown: the change may be applied; the same "
                          "request again gets its answer",
                          dvc_citizen_name(ctx->action),
                          &ctx->ref.code);

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: %s of \"%V\" answered 503: the change was "
                          "not applied",
                          dvc_citizen_name(ctx->action),
                          &ctx->ref.code);
        }

        rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
        break;
    }

    ngx_http_dvc_finalize(r, rc);
}
