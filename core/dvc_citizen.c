/*
 * A citizen's action on a dossier: the decision (dvc_citizen.h).
 */
#include <stdio.h>
#include <string.h>

#include "dvc_citizen.h"
#include "dvc_receipt.h"
#include "dvc_status.h"
#include "dvc_submit.h"
#include "dvc_time.h"

static const char *const  dvc_citizen_names[] = {
    [DVC_ACT_WITHDRAWAL] = "withdrawal",
    [DVC_ACT_SUPPLEMENT] = "supplement",
    [DVC_ACT_RATING] = "rating",
};

/* a withdrawal keeps none (its retry is answered from 7); the glue reads
 * the field all the same, never there */
static const char *const  dvc_citizen_answers[] = {
    [DVC_ACT_WITHDRAWAL] = "c:withdrawal",
    [DVC_ACT_SUPPLEMENT] = "c:supplement",
    [DVC_ACT_RATING] = "c:rating",
};


static int
dvc_citizen_known(dvc_event_type_t action)
{
    return action == DVC_ACT_WITHDRAWAL || action == DVC_ACT_SUPPLEMENT
           || action == DVC_ACT_RATING;
}


const char *
dvc_citizen_name(dvc_event_type_t action)
{
    return dvc_citizen_known(action) ? dvc_citizen_names[action] : NULL;
}


const char *
dvc_citizen_answer_field(dvc_event_type_t action)
{
    return dvc_citizen_known(action) ? dvc_citizen_answers[action] : NULL;
}


int
dvc_citizen_http(dvc_event_type_t action)
{
    return action == DVC_ACT_RATING ? 201 : 200;
}


/* {"code","action","status","status_slug","applied_at"}, a rating's
 * {"code","action","rating","rated_at"} */
static void
dvc_citizen_answer(dvc_buf_t *b, const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, int status, const char *at_vn)
{
    const dvc_status_info_t  *st;

    dvc_buf_puts(b, "{\"code\":");
    dvc_buf_json_str(b, f->code, f->code_len);
    dvc_buf_printf(b, ",\"action\":\"%s\"", dvc_citizen_names[a->action]);

    if (a->action == DVC_ACT_RATING) {
        dvc_buf_printf(b, ",\"rating\":\"%s\",\"rated_at\":\"%.*s\"}",
                       a->ev->rating, DVC_TIME_VN_LEN, at_vn);
        return;
    }

    st = dvc_status_info(status);
    dvc_buf_printf(b, ",\"status\":%d,\"status_slug\":\"%s\","
                   "\"applied_at\":\"%.*s\"}", status, st ? st->slug : "",
                   DVC_TIME_VN_LEN, at_vn);
}


/*
 * 409: the action is not possible from this status.  The answer says the
 * status and what the citizen may do from it, e.g. after the result only
 * rating: {"action":"rating"}.
 */
static void
dvc_citizen_illegal(dvc_buf_t *b, const dvc_citizen_action_t *a, int status)
{
    int                       to, n;
    unsigned                  act;
    const char               *code, *vi, *en;
    const dvc_status_info_t  *st;

    st = dvc_status_info(status);

    if (a->action == DVC_ACT_RATING) {
        code = "not_resolved";
        vi = "Chỉ có thể đánh giá sau khi hồ sơ đã có kết quả.";
        en = "A dossier can be rated only once it has been resolved.";

    } else {
        code = "illegal_transition";
        vi = "Không thể thực hiện yêu cầu này ở trạng thái hiện tại của hồ sơ.";
        en = "This is not possible in the dossier's current status.";
    }

    dvc_buf_printf(b, "{\"error\":\"%s\",\"action\":\"%s\",\"status\":"
                   "{\"number\":%d,\"slug\":\"%s\"},\"allowed\":[",
                   code, dvc_citizen_names[a->action], status,
                   st ? st->slug : "");

    n = 0;
    for (act = DVC_ACT_WITHDRAWAL; act <= DVC_ACT_LAST; act++) {
        if (!dvc_transition_allowed((dvc_event_type_t) act, status)) {
            continue;
        }

        dvc_buf_printf(b, "%s{\"action\":\"%s\"", n++ ? "," : "",
                       dvc_citizen_names[act]);

        to = dvc_transition_target((dvc_event_type_t) act, status, 0);
        if (to > 0 && to != status) {
            dvc_buf_printf(b, ",\"to\":%d", to);
        }

        dvc_buf_putc(b, '}');
    }

    dvc_buf_puts(b, "],\"message\":{\"vi\":");
    dvc_buf_json_str(b, vi, strlen(vi));
    dvc_buf_puts(b, ",\"en\":");
    dvc_buf_json_str(b, en, strlen(en));
    dvc_buf_puts(b, "}}");
}


/* The same request, applied already: its stored answer.  1, or 0 when
 * c:{action} is absent or was another body's. */
static int
dvc_citizen_replay(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, dvc_buf_t *answer)
{
    size_t  n = DVC_CITIZEN_SHA_LEN;

    if (a->sha256 == NULL || f->stored == NULL || f->stored_len <= n + 1
        || f->stored[n] != ' ' || memcmp(f->stored, a->sha256, n) != 0)
    {
        return 0;
    }

    dvc_buf_append(answer, f->stored + n + 1, f->stored_len - n - 1);
    return 1;
}


dvc_citizen_verdict_t
dvc_citizen_check(const dvc_citizen_facts_t *f, const dvc_citizen_action_t *a,
    int64_t now, dvc_buf_t *answer)
{
    char  at_vn[DVC_TIME_VN_LEN + 1];
    int   from = f->status;

    if (a->action == DVC_ACT_RATING) {

        if (dvc_citizen_replay(f, a, answer)) {
            return DVC_CITIZEN_REPLAY;
        }

        if (from != DVC_STATUS_RESOLVED && from != DVC_STATUS_RETURNED) {
            dvc_citizen_illegal(answer, a, from);
            return DVC_CITIZEN_ILLEGAL;
        }

        if (f->rated) {
            return DVC_CITIZEN_ALREADY_RATED;
        }

    } else if (a->action == DVC_ACT_WITHDRAWAL
               && from == DVC_STATUS_WITHDRAWAL_REQUESTED)
    {
        /* while in 7 nothing else changes the dossier (every event from 7
         * leaves it), so updated_at is when the withdrawal was applied */
        if (f->updated_at != NULL && f->updated_at_len == DVC_TIME_VN_LEN) {
            memcpy(at_vn, f->updated_at, DVC_TIME_VN_LEN);
        } else {
            dvc_time_format_vn(now, at_vn);
        }

        dvc_citizen_answer(answer, f, a, from, at_vn);
        return DVC_CITIZEN_WITHDRAWING;

    } else if (!dvc_transition_allowed(a->action, from)) {

        /* a supplement no longer awaited: this one, sent again?  (In 5
         * again, after the desk asked anew, it is a new supplement.) */
        if (a->action == DVC_ACT_SUPPLEMENT
            && dvc_citizen_replay(f, a, answer))
        {
            return DVC_CITIZEN_REPLAY;
        }

        dvc_citizen_illegal(answer, a, from);
        return DVC_CITIZEN_ILLEGAL;
    }

    /* the corrected dossier is the same procedure's */
    if (a->action == DVC_ACT_SUPPLEMENT && a->body_procedure != NULL
        && (a->body_procedure_len != f->procedure_len
            || memcmp(a->body_procedure, f->procedure, f->procedure_len)
               != 0))
    {
        return DVC_CITIZEN_OTHER_PROCEDURE;
    }

    return DVC_CITIZEN_GO;
}


static void
dvc_citizen_refuse(dvc_plan_t *p, const char *en)
{
    dvc_event_error_t  err;

    memset(&err, 0, sizeof(err));
    err.http = 500;
    err.code = "internal_error";
    snprintf(err.message_vi, sizeof(err.message_vi), "%s",
             "Lỗi hệ thống.");
    snprintf(err.message_en, sizeof(err.message_en), "%s", en);
    dvc_plan_refuse(p, &err);
}


/* status, history and the inbox entry of a withdrawal or supplement */
static int
dvc_citizen_status(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, int to, const char *now_vn, dvc_plan_t *p)
{
    int        rc;
    dvc_buf_t  history;
    const char *type;

    dvc_buf_init(&history, p->alloc);

    if (f->history != NULL && f->history_len > 2 && f->history[0] == '['
        && f->history[f->history_len - 1] == ']')
    {
        dvc_buf_append(&history, f->history, f->history_len - 1);
        dvc_buf_putc(&history, ',');

    } else {
        dvc_buf_putc(&history, '[');
    }

    dvc_history_entry_json(&history, a->ev, to);
    dvc_buf_putc(&history, ']');

    type = a->action == DVC_ACT_WITHDRAWAL ? "withdrawal_requested"
                                           : "supplement";

#define X(name, v, l)                                                         \
    (dvc_plan_xadd(p, "dvc:inbox", sizeof("dvc:inbox") - 1, name, v, l) != 0)

    rc = history.failed
         || dvc_plan_set_int(p, "status", to) != 0
         || dvc_plan_set(p, "history", history.data, history.len) != 0
         || X("type", type, strlen(type))
         || X("code", f->code, f->code_len)
         || X("procedure", f->procedure, f->procedure_len)
         || X("at", now_vn, DVC_TIME_VN_LEN) ? -1 : 0;

#undef X

    dvc_buf_free(&history);
    return rc;
}


/* a withdrawal: where a declined one returns to, and its reason for the
 * back-end as the history keeps it */
static int
dvc_citizen_withdrawal(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, dvc_plan_t *p)
{
    int        rc;
    dvc_buf_t  reason;

    if (dvc_plan_set_int(p, "prev_status", f->status) != 0) {
        return -1;
    }

    if (!(a->ev->has & DVC_EVF_REASON)) {
        return 0;
    }

    dvc_buf_init(&reason, p->alloc);
    dvc_text_json(&reason, &a->ev->reason);

    rc = reason.failed
         || dvc_plan_xadd(p, "dvc:inbox", sizeof("dvc:inbox") - 1, "reason",
                          reason.data, reason.len) != 0 ? -1 : 0;

    dvc_buf_free(&reason);
    return rc;
}


/* a supplement: the corrected dossier replaces the first one; the desk's
 * next accept signs a receipt naming its applicant and documents; the
 * back-end gets it as the citizen sent it */
static int
dvc_citizen_supplement(const dvc_citizen_action_t *a, dvc_plan_t *p)
{
    int        rc;
    dvc_buf_t  rfacts;

    if (a->dossier == NULL || a->procedure == NULL || a->sha256 == NULL) {
        return -1;
    }

    dvc_buf_init(&rfacts, p->alloc);
    dvc_receipt_facts(&rfacts, a->dossier, a->procedure);

    rc = rfacts.failed
         || dvc_plan_set(p, "receipt_facts", rfacts.data, rfacts.len) != 0
         || dvc_submit_body_fields(p, a->dossier, a->sha256, 1) != 0
         || dvc_plan_xadd(p, "dvc:inbox", sizeof("dvc:inbox") - 1, "body",
                          a->body ? a->body : "", a->body_len) != 0 ? -1 : 0;

    dvc_buf_free(&rfacts);
    return rc;
}


static int
dvc_citizen_rating(const dvc_citizen_action_t *a, const char *now_vn,
    dvc_plan_t *p)
{
    const dvc_event_t  *ev = a->ev;

    return dvc_plan_set(p, "rating", ev->rating, strlen(ev->rating)) != 0
           || dvc_plan_set(p, "rating_at", now_vn, DVC_TIME_VN_LEN) != 0
           || (ev->comment
               && dvc_plan_set(p, "rating_comment", ev->comment,
                               ev->comment_len) != 0) ? -1 : 0;
}


/* the statistics' part of the change: which counters move on which day
 * and what the dossier's st_* fields become */
static int
dvc_citizen_stats(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, const dvc_calendar_t *cal, int64_t now,
    dvc_plan_t *p)
{
    char               err[160], en[256];
    dvc_stat_change_t  change;

    if (f->stat_error != NULL) {
        snprintf(en, sizeof(en), "statistics of \"%.*s\": %s",
                 (int) f->code_len, f->code, f->stat_error);
        dvc_citizen_refuse(p, en);
        return -1;
    }

    memset(&change, 0, sizeof(change));
    change.at = now;
    change.kind = a->action == DVC_ACT_RATING ? DVC_STAT_RATING
                  : a->action == DVC_ACT_WITHDRAWAL
                    ? DVC_STAT_WITHDRAWAL_REQUESTED
                    : DVC_STAT_SUPPLEMENT_RECEIVED;

    if (a->action == DVC_ACT_RATING) {
        change.rating = dvc_rating_by_name(a->ev->rating,
                                           strlen(a->ev->rating));
    }

    err[0] = '\0';

    if (dvc_plan_stats(p, cal, &f->stat, &change, f->agency, f->agency_len,
                       f->procedure, f->procedure_len, err, sizeof(err))
        == 0)
    {
        return 0;
    }

    if (!p->failed || err[0]) {
        snprintf(en, sizeof(en), "statistics of \"%.*s\": %s",
                 (int) f->code_len, f->code, err[0] ? err : "no room");
        p->failed = 0;
        dvc_citizen_refuse(p, en);
    }

    return -1;
}


void
dvc_citizen_decide(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, const dvc_calendar_t *cal, int64_t now,
    dvc_plan_t *p)
{
    int         to;
    char        now_vn[DVC_TIME_VN_LEN + 1];
    dvc_buf_t   once;
    const char *field;

    if (!dvc_citizen_known(a->action) || f->code == NULL
        || f->procedure == NULL || f->agency == NULL)
    {
        dvc_citizen_refuse(p, "not a citizen's action, or no dossier");
        return;
    }

    to = dvc_transition_target(a->action, f->status, f->prev_status);
    if (to == 0) {
        dvc_citizen_refuse(p, "the lifecycle gives no status to go to");
        return;
    }

    dvc_time_format_vn(now, now_vn);

    if (dvc_plan_set(p, "updated_at", now_vn, DVC_TIME_VN_LEN) != 0
        || (a->action == DVC_ACT_RATING
            ? dvc_citizen_rating(a, now_vn, p)
            : dvc_citizen_status(f, a, to, now_vn, p)) != 0
        || (a->action == DVC_ACT_WITHDRAWAL
            && dvc_citizen_withdrawal(f, a, p) != 0)
        || (a->action == DVC_ACT_SUPPLEMENT
            && dvc_citizen_supplement(a, p) != 0))
    {
        p->failed = 1;
        return;
    }

    if (dvc_citizen_stats(f, a, cal, now, p) != 0) {
        return;
    }

    /* the answer, built now so that a retry gets these very bytes: kept
     * with the change as "{body sha256} {answer}" (replaces the previous
     * round's supplement answer; a rating's is the only one) */
    dvc_citizen_answer(&p->answer, f, a, to, now_vn);

    if (p->answer.failed) {
        p->failed = 1;
        return;
    }

    if (a->action == DVC_ACT_WITHDRAWAL) {
        return;
    }

    if (a->sha256 == NULL) {
        p->failed = 1;
        return;
    }

    field = dvc_citizen_answers[a->action];

    dvc_buf_init(&once, p->alloc);
    dvc_buf_append(&once, a->sha256, DVC_CITIZEN_SHA_LEN);
    dvc_buf_putc(&once, ' ');
    dvc_buf_append(&once, p->answer.data, p->answer.len);

    if (once.failed || dvc_plan_set(p, field, once.data, once.len) != 0) {
        p->failed = 1;
    }

    dvc_buf_free(&once);
}
