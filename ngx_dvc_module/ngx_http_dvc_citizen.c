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
#include "dvc_receipt.h"
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

    int                          status;     /* after the change */
    u_char                       sha[SHA256_DIGEST_LENGTH * 2];
    ngx_str_t                    answer;     /* the citizen's answer */
    dvc_stat_delta_t             deltas[DVC_STAT_MAX_DELTAS];

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
static ngx_int_t ngx_http_dvc_citizen_illegal(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, int status);
static ngx_int_t ngx_http_dvc_citizen_event_error(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, dvc_event_error_t *err);
static ngx_int_t ngx_http_dvc_citizen_supplement_fields(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_apply_t *a);
static ngx_int_t ngx_http_dvc_citizen_withdrawing(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *updated_at);
static ngx_int_t ngx_http_dvc_citizen_replay(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *stored, ngx_int_t *rc);
static ngx_int_t ngx_http_dvc_citizen_answer(ngx_http_dvc_citizen_ctx_t *ctx);
static ngx_int_t ngx_http_dvc_citizen_done(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_uint_t applied);
static ngx_int_t ngx_http_dvc_citizen_stats(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f,
    dvc_stat_change_t *change, ngx_http_dvc_apply_t *a);
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

#define ngx_http_dvc_citizen_xadd_str(a, name, v)                            \
    ngx_http_dvc_apply_xadd(a, name, (v), ngx_strlen((v)))


static const char  *ngx_http_dvc_citizen_names[] = {
    [DVC_ACT_WITHDRAWAL] = "withdrawal",
    [DVC_ACT_SUPPLEMENT] = "supplement",
    [DVC_ACT_RATING] = "rating",
};

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
    ngx_int_t                    rc;
    ngx_uint_t                   i;
    ngx_http_dvc_error_e         err;
    ngx_http_dvc_citizen_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_citizen_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->action = (dvc_event_type_t) action;

    if (ngx_http_dvc_dossier_ref(r, code, &ctx->ref, &err) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_dvc_send_error(r, err);
    }

    /* a supplement is a dossier: JSON like a submission; the small bodies
     * may be empty, but if there is one it is JSON too */
    if ((ctx->action == DVC_ACT_SUPPLEMENT
         || r->headers_in.content_length_n > 0 || r->headers_in.chunked)
        && !ngx_http_dvc_is_json(r))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" with content type \"%V\" refused",
                      ngx_http_dvc_citizen_names[ctx->action], code,
                      r->headers_in.content_type
                      ? &r->headers_in.content_type->value
                      : &ngx_http_dvc_empty_str);

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_MEDIA_TYPE);
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
                                  ngx_http_dvc_citizen_names[ctx->action], 0,
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

    if (rc == NGX_DONE) {
        /* waiting for Redis; the post handler's own reference goes */
        ngx_http_finalize_request(r, NGX_DONE);
        return;
    }

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
 * The dossier is the citizen's: check the action against it and decide the
 * change.  Every refusal here names what the citizen can do instead.
 */
static ngx_int_t
ngx_http_dvc_citizen_decide(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f)
{
    int                             to, from;
    char                           *num;
    u_char                         *once;
    unsigned char                   digest[SHA256_DIGEST_LENGTH];
    size_t                          plen;
    int64_t                         status, prev, ver;
    dvc_buf_t                       history, reason;
    ngx_int_t                       rc;
    const char                     *procedure;
    dvc_event_error_t               err;
    dvc_stat_change_t               change;
    ngx_str_t                       key;
    ngx_http_dvc_apply_t            a;

    if (ngx_http_dvc_val_int(&f[CF_STATUS], &status) != 1
        || dvc_status_info((int) status) == NULL
        || ngx_http_dvc_val_int(&f[CF_PREV_STATUS], &prev) < 0
        || ngx_http_dvc_val_int(&f[CF_VER], &ver) < 0
        || f[CF_PROCEDURE].type != NGX_HTTP_DVC_VAL_STRING
        || f[CF_AGENCY].type != NGX_HTTP_DVC_VAL_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: dossier hash for \"%V\" is malformed (status, "
                      "prev_status, ver, procedure or agency)",
                      &ctx->ref.code);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    from = (int) status;

    ctx->now = ngx_time();
    dvc_time_format_vn(ctx->now, ctx->now_vn);

    /* the body, against what the action takes */
    if (ctx->b.too_large) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" refused: body over %uz bytes",
                      ngx_http_dvc_citizen_names[ctx->action], &ctx->ref.code,
                      ctx->b.max);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_TOO_LARGE);
    }

    if (ctx->action != DVC_ACT_SUPPLEMENT
        && !dvc_utf8_valid((const u_char *) ctx->b.body.data, ctx->b.body.len))
    {
        /* yajl lets overlong forms and encoded surrogates through; a text
         * kept and shown to officials must be clean.  Answered as a
         * submission's invalid UTF-8 is: 400 json_utf8 with the offset */
        return ngx_http_dvc_body_malformed(r, &ctx->b, "json_utf8",
                   dvc_utf8_invalid_at((const u_char *) ctx->b.body.data,
                                         ctx->b.body.len),
                   "Nội dung gửi lên không phải UTF-8 hợp lệ.",
                   "The body is not valid UTF-8.");
    }

    /* an empty body (no data at all) is "" to the parser, not "no body" */
    if (dvc_action_parse(&ctx->b.alloc, ctx->action,
                         ctx->action == DVC_ACT_SUPPLEMENT
                         ? NULL
                         : ctx->b.body.data ? ctx->b.body.data : "",
                         ctx->b.body.len, ctx->now, &ctx->ev, &err) != 0)
    {
        return ngx_http_dvc_citizen_event_error(r, ctx, &err);
    }

    if (ctx->action != DVC_ACT_WITHDRAWAL) {
        /* "the same request": this action with these bytes */
        SHA256((u_char *) ctx->b.body.data, ctx->b.body.len, digest);
        ngx_hex_dump(ctx->sha, digest, SHA256_DIGEST_LENGTH);
    }

    /* the dossier's state */
    if (ctx->action == DVC_ACT_RATING) {

        if (ngx_http_dvc_citizen_replay(r, ctx, &f[CF_ANSWER], &rc)) {
            return rc;
        }

        if (from != DVC_STATUS_RESOLVED && from != DVC_STATUS_RETURNED) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: rating of \"%V\" refused: status %d",
                          &ctx->ref.code, from);
            return ngx_http_dvc_citizen_illegal(r, ctx, from);
        }

        if (f[CF_RATING].type == NGX_HTTP_DVC_VAL_STRING) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: rating of \"%V\" refused: already rated",
                          &ctx->ref.code);
            return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_ALREADY_RATED);
        }

    } else if (ctx->action == DVC_ACT_WITHDRAWAL
               && from == DVC_STATUS_WITHDRAWAL_REQUESTED)
    {
        return ngx_http_dvc_citizen_withdrawing(r, ctx, &f[CF_UPDATED_AT]);

    } else if (!dvc_transition_allowed(ctx->action, from)) {

        /* a supplement no longer awaited: this one, sent again? (in 5
         * again, after the desk asked anew, it is a new supplement) */
        if (ctx->action == DVC_ACT_SUPPLEMENT
            && ngx_http_dvc_citizen_replay(r, ctx, &f[CF_ANSWER], &rc))
        {
            return rc;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" refused: illegal from status %d",
                      ngx_http_dvc_citizen_names[ctx->action], &ctx->ref.code,
                      from);
        return ngx_http_dvc_citizen_illegal(r, ctx, from);
    }

    if (ctx->action == DVC_ACT_SUPPLEMENT) {

        /* the corrected dossier is the same procedure's */
        procedure = ctx->b.intake
                    ? dvc_intake_procedure(ctx->b.intake, &plen) : NULL;

        if (procedure != NULL
            && (plen != f[CF_PROCEDURE].len
                || ngx_strncmp(procedure, f[CF_PROCEDURE].str, plen) != 0))
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: supplement of \"%V\" refused: another "
                          "procedure", &ctx->ref.code);
            return ngx_http_dvc_send_error(r,
                                       NGX_HTTP_DVC_ERR_PROCEDURE_MISMATCH);
        }

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
    }

    to = dvc_transition_target(ctx->action, from, (int) prev);
    if (to == 0) {
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    ctx->status = to;

    /* what changes, applied only if `ver` is still what was read */
    key.data = ctx->ref.key;
    key.len = ctx->ref.key_len;

    if (ngx_http_dvc_apply_init(r->pool, &a, &key, ver) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&change, sizeof(change));
    change.at = ctx->now;

    num = ngx_pnalloc(r->pool, NGX_INT_T_LEN * 2);
    if (num == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_dvc_apply_set_str(&a, "updated_at", ctx->now_vn)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->action == DVC_ACT_RATING) {
        change.kind = DVC_STAT_RATING;
        change.rating = dvc_rating_by_name(ctx->ev.rating,
                                           ngx_strlen(ctx->ev.rating));

        if (ngx_http_dvc_apply_set_str(&a, "rating", ctx->ev.rating)
            != NGX_OK
            || ngx_http_dvc_apply_set_str(&a, "rating_at", ctx->now_vn)
               != NGX_OK
            || (ctx->ev.comment
                && ngx_http_dvc_apply_set(&a, "rating_comment",
                                          ctx->ev.comment,
                                          ctx->ev.comment_len) != NGX_OK))
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else {
        /* a status change: the new status and one more history entry */
        ngx_sprintf((u_char *) num, "%d%Z", to);

        dvc_buf_init(&history, &ctx->b.alloc);

        if (f[CF_HISTORY].type == NGX_HTTP_DVC_VAL_STRING
            && f[CF_HISTORY].len > 2
            && f[CF_HISTORY].str[0] == '['
            && f[CF_HISTORY].str[f[CF_HISTORY].len - 1] == ']')
        {
            dvc_buf_append(&history, f[CF_HISTORY].str,
                           f[CF_HISTORY].len - 1);
            dvc_buf_putc(&history, ',');

        } else {
            dvc_buf_putc(&history, '[');
        }

        dvc_history_entry_json(&history, &ctx->ev, to);
        dvc_buf_putc(&history, ']');

        if (history.failed
            || ngx_http_dvc_apply_set_str(&a, "status", num) != NGX_OK
            || ngx_http_dvc_apply_set(&a, "history", history.data,
                                      history.len) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_dvc_citizen_xadd_str(&a, "type",
                                          ctx->action == DVC_ACT_WITHDRAWAL
                                          ? "withdrawal_requested"
                                          : "supplement") != NGX_OK
            || ngx_http_dvc_apply_xadd(&a, "code", ctx->ref.code.data,
                                       ctx->ref.code.len) != NGX_OK
            || ngx_http_dvc_apply_xadd(&a, "procedure", f[CF_PROCEDURE].str,
                                       f[CF_PROCEDURE].len) != NGX_OK
            || ngx_http_dvc_citizen_xadd_str(&a, "at", ctx->now_vn)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ctx->action == DVC_ACT_WITHDRAWAL) {
        change.kind = DVC_STAT_WITHDRAWAL_REQUESTED;

        /* where a declined withdrawal returns to */
        ngx_sprintf((u_char *) num + NGX_INT_T_LEN, "%d%Z", from);

        if (ngx_http_dvc_apply_set_str(&a, "prev_status",
                                       num + NGX_INT_T_LEN) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ctx->ev.has & DVC_EVF_REASON) {
            /* for the back-end, as the history keeps it */
            dvc_buf_init(&reason, &ctx->b.alloc);
            dvc_text_json(&reason, &ctx->ev.reason);

            if (reason.failed
                || ngx_http_dvc_apply_xadd(&a, "reason", reason.data,
                                           reason.len) != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (ctx->action == DVC_ACT_SUPPLEMENT) {
        change.kind = DVC_STAT_SUPPLEMENT_RECEIVED;

        /* the corrected dossier replaces the first one; the back-end gets
         * it as the citizen sent it */
        if (ngx_http_dvc_citizen_supplement_fields(r, ctx, &a) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_dvc_citizen_stats(r, ctx, f, &change, &a) != NGX_OK) {
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    /* the answer, built now so that a retry gets these very bytes: kept
     * with the change as "{body sha256} {answer}" (replaces the previous
     * round's supplement answer; a rating's is the only one) */
    if (ngx_http_dvc_citizen_answer(ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->action != DVC_ACT_WITHDRAWAL) {
        once = ngx_pnalloc(r->pool, sizeof(ctx->sha) + 1 + ctx->answer.len);
        if (once == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(once, ctx->sha, sizeof(ctx->sha));
        once[sizeof(ctx->sha)] = ' ';
        ngx_memcpy(once + sizeof(ctx->sha) + 1, ctx->answer.data,
                   ctx->answer.len);

        if (ngx_http_dvc_apply_set(&a,
                (const char *) ngx_http_dvc_citizen_answers[ctx->action].data,
                once, sizeof(ctx->sha) + 1 + ctx->answer.len) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_http_dvc_apply_send(r, &a, ngx_http_dvc_citizen_applied, ctx);

    return ngx_http_dvc_redis_sent(r, rc, ngx_http_dvc_citizen_of[ctx->action],
                                   &ctx->ref.code);
}


/* A supplement's own fields: the corrected body replaces the first one. */
static ngx_int_t
ngx_http_dvc_citizen_supplement_fields(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_apply_t *a)
{
    dvc_buf_t             rfacts;
    dvc_dossier_facts_t   facts;

    dvc_intake_facts(ctx->b.intake, &facts);

    /* the receipt the desk's next accept signs names the corrected
     * dossier's applicant and documents */
    dvc_buf_init(&rfacts, &ctx->b.alloc);
    dvc_receipt_facts(&rfacts, &facts, ctx->b.proc->procedure);

    if (rfacts.failed
        || ngx_http_dvc_apply_set(a, "receipt_facts", rfacts.data,
                                  rfacts.len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the notices go where the corrected dossier says */
    if ((facts.applicant_email_len
         ? ngx_http_dvc_apply_set(a, "contact_email", facts.applicant_email,
                                  facts.applicant_email_len)
         : ngx_http_dvc_apply_del(a, "contact_email")) != NGX_OK
        || (facts.applicant_phone_len
            ? ngx_http_dvc_apply_set(a, "contact_phone",
                                     facts.applicant_phone,
                                     facts.applicant_phone_len)
            : ngx_http_dvc_apply_del(a, "contact_phone")) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_dvc_apply_set(a, "body_sha256", ctx->sha,
                               sizeof(ctx->sha)) != NGX_OK
        || ngx_http_dvc_apply_set(a, "delivery",
                                  facts.delivery ? facts.delivery : "",
                                  facts.delivery_len) != NGX_OK
        || ngx_http_dvc_apply_xadd(a, "body", ctx->b.body.data,
                                   ctx->b.body.len) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The statistics' part of the change: core says which counters move on
 * which day and what the dossier's st_* fields become (the deltas live in
 * ctx: the apply call keeps pointers to their days).  NGX_OK, or NGX_ERROR
 * (logged).
 */
static ngx_int_t
ngx_http_dvc_citizen_stats(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *f,
    dvc_stat_change_t *change, ngx_http_dvc_apply_t *a)
{
    char                       err[128];
    size_t                     i, n;
    ngx_http_dvc_val_t        *v;
    const char                *vals[DVC_STAT_NFIELDS];
    size_t                     lens[DVC_STAT_NFIELDS];
    dvc_stat_state_t           before, after;

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        v = &f[CF_ST + i];
        vals[i] = v->type == NGX_HTTP_DVC_VAL_STRING ? v->str : NULL;
        lens[i] = v->type == NGX_HTTP_DVC_VAL_STRING ? v->len : 0;
    }

    if (dvc_stat_state_from_values(&before, vals, lens, err, sizeof(err))
        != 0
        || dvc_stats_change(ctx->b.dmcf->calendar, &before, change, &after,
                            ctx->deltas, DVC_STAT_MAX_DELTAS, &n, err,
                            sizeof(err)) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: statistics of \"%V\": %s", &ctx->ref.code, err);
        return NGX_ERROR;
    }

    /* logs why itself */
    return ngx_http_dvc_apply_stats(r, a, f[CF_AGENCY].str,
                                    f[CF_AGENCY].len, f[CF_PROCEDURE].str,
                                    f[CF_PROCEDURE].len, ctx->deltas, n,
                                    &before, &after);
}


/*
 * 409: the action is not possible from this status.  The answer says the
 * status and what the citizen may do from it, e.g. after the result only
 * rating: {"action":"rating"}.
 */
static ngx_int_t
ngx_http_dvc_citizen_illegal(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, int status)
{
    int                       to, n;
    dvc_buf_t                 b;
    ngx_uint_t                a;
    const char               *code, *vi, *en;
    const dvc_status_info_t  *st;

    st = dvc_status_info(status);

    if (ctx->action == DVC_ACT_RATING) {
        code = "not_resolved";
        vi = "Chỉ có thể đánh giá sau khi hồ sơ đã có kết quả.";
        en = "A dossier can be rated only once it has been resolved.";

    } else {
        code = "illegal_transition";
        vi = "Không thể thực hiện yêu cầu này ở trạng thái hiện tại của hồ sơ.";
        en = "This is not possible in the dossier's current status.";
    }

    dvc_buf_init(&b, &ctx->b.alloc);
    dvc_buf_printf(&b, "{\"error\":\"%s\",\"action\":\"%s\",\"status\":"
                   "{\"number\":%d,\"slug\":\"%s\"},\"allowed\":[",
                   code, ngx_http_dvc_citizen_names[ctx->action], status,
                   st->slug);

    n = 0;
    for (a = DVC_ACT_WITHDRAWAL; a <= DVC_ACT_LAST; a++) {
        if (!dvc_transition_allowed(a, status)) {
            continue;
        }

        dvc_buf_printf(&b, "%s{\"action\":\"%s\"", n++ ? "," : "",
                       ngx_http_dvc_citizen_names[a]);

        to = dvc_transition_target(a, status, 0);
        if (to > 0 && to != status) {
            dvc_buf_printf(&b, ",\"to\":%d", to);
        }

        dvc_buf_putc(&b, '}');
    }

    dvc_buf_puts(&b, "],\"message\":{\"vi\":");
    dvc_buf_json_str(&b, vi, strlen(vi));
    dvc_buf_puts(&b, ",\"en\":");
    dvc_buf_json_str(&b, en, strlen(en));
    dvc_buf_puts(&b, "}}");

    if (b.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_json(r, NGX_HTTP_CONFLICT, (u_char *) b.data,
                                  b.len);
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
                      ngx_http_dvc_citizen_names[ctx->action], &ctx->ref.code,
                      err->message_en);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: %s of \"%V\" refused: %s%s%s",
                  ngx_http_dvc_citizen_names[ctx->action], &ctx->ref.code,
                  err->code, err->field[0] ? " " : "", err->field);

    dvc_buf_init(&b, &ctx->b.alloc);
    dvc_event_error_json(&b, err);

    if (b.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_json(r, err->http, (u_char *) b.data, b.len);
}


/*
 * A withdrawal already requested: the first request's answer again.  While
 * the dossier is in 7 nothing else changes it (every event from 7 leaves
 * it), so updated_at is when the withdrawal was applied.
 */
static ngx_int_t
ngx_http_dvc_citizen_withdrawing(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *updated_at)
{
    ctx->status = DVC_STATUS_WITHDRAWAL_REQUESTED;

    if (updated_at->type == NGX_HTTP_DVC_VAL_STRING
        && updated_at->len == DVC_TIME_VN_LEN)
    {
        ngx_memcpy(ctx->now_vn, updated_at->str, DVC_TIME_VN_LEN);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: withdrawal of \"%V\" already requested: answered "
                  "with the current status, nothing applied", &ctx->ref.code);

    if (ngx_http_dvc_citizen_answer(ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_citizen_done(r, ctx, 0);
}


/*
 * The citizen's answer to the change decided (ctx->status, ctx->now_vn),
 * into ctx->answer: {"code","action","status","status_slug","applied_at"},
 * a rating's {"code","action","rating","rated_at"}.
 */
static ngx_int_t
ngx_http_dvc_citizen_answer(ngx_http_dvc_citizen_ctx_t *ctx)
{
    dvc_buf_t                 b;
    const dvc_status_info_t  *st;

    dvc_buf_init(&b, &ctx->b.alloc);
    dvc_buf_puts(&b, "{\"code\":");
    dvc_buf_json_str(&b, (const char *) ctx->ref.code.data,
                     ctx->ref.code.len);
    dvc_buf_printf(&b, ",\"action\":\"%s\"",
                   ngx_http_dvc_citizen_names[ctx->action]);

    if (ctx->action == DVC_ACT_RATING) {
        dvc_buf_printf(&b, ",\"rating\":\"%s\",\"rated_at\":\"%s\"}",
                       ctx->ev.rating, ctx->now_vn);

    } else {
        st = dvc_status_info(ctx->status);
        dvc_buf_printf(&b, ",\"status\":%d,\"status_slug\":\"%s\","
                       "\"applied_at\":\"%s\"}", ctx->status, st->slug,
                       ctx->now_vn);
    }

    if (b.failed) {
        return NGX_ERROR;
    }

    ctx->answer.data = (u_char *) b.data;
    ctx->answer.len = b.len;

    return NGX_OK;
}


/*
 * A supplement or rating that applied already, sent again with the same
 * body: 1 and *rc the first answer, byte for byte (nothing is applied), or
 * 0 when `stored` (c:{action}) is absent or was another body's.
 */
static ngx_int_t
ngx_http_dvc_citizen_replay(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_http_dvc_val_t *stored, ngx_int_t *rc)
{
    size_t  n;

    n = sizeof(ctx->sha);

    if (stored->type != NGX_HTTP_DVC_VAL_STRING
        || stored->len <= n + 1
        || stored->str[n] != ' '
        || ngx_strncmp(stored->str, ctx->sha, n) != 0)
    {
        return 0;
    }

    /* the reply is freed when the handler returns; the answer may be
     * written later */
    ctx->answer.len = stored->len - n - 1;
    ctx->answer.data = ngx_pnalloc(r->pool, ctx->answer.len);
    if (ctx->answer.data == NULL) {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return 1;
    }

    ngx_memcpy(ctx->answer.data, stored->str + n + 1, ctx->answer.len);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: %s of \"%V\" sent again: the first answer repeated, "
                  "nothing applied", ngx_http_dvc_citizen_names[ctx->action],
                  &ctx->ref.code);

    *rc = ngx_http_dvc_citizen_done(r, ctx, 0);
    return 1;
}


/* The citizen's answer: the change is applied (or was, by a first request). */
static ngx_int_t
ngx_http_dvc_citizen_done(ngx_http_request_t *r,
    ngx_http_dvc_citizen_ctx_t *ctx, ngx_uint_t applied)
{
    if (applied) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" applied",
                      ngx_http_dvc_citizen_names[ctx->action], &ctx->ref.code);
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
                          ngx_http_dvc_citizen_names[ctx->action],
                          &ctx->ref.code);
            rc = ngx_http_dvc_citizen_read(r, ctx);
            break;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: %s of \"%V\" answered 409: changed twice meanwhile",
                      ngx_http_dvc_citizen_names[ctx->action], &ctx->ref.code);
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
                          ngx_http_dvc_citizen_names[ctx->action],
                          &ctx->ref.code);

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: %s of \"%V\" answered 503: the change was "
                          "not applied",
                          ngx_http_dvc_citizen_names[ctx->action],
                          &ctx->ref.code);
        }

        rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
        break;
    }

    ngx_http_dvc_finalize(r, rc);
}
