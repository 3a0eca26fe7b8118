/*
 * A submission's record: the decision (dvc_submit.h).
 */
#include <stdio.h>
#include <string.h>

#include "dvc_jws.h"
#include "dvc_notify.h"
#include "dvc_receipt.h"
#include "dvc_status.h"
#include "dvc_submit.h"
#include "dvc_time.h"


void
dvc_submit_plan_init(dvc_submit_plan_t *sp, const dvc_alloc_t *a)
{
    memset(sp, 0, sizeof(*sp));
    dvc_plan_init(&sp->p, a);
    dvc_buf_init(&sp->idem, a);
}


void
dvc_submit_plan_free(dvc_submit_plan_t *sp)
{
    dvc_plan_free(&sp->p);
    dvc_buf_free(&sp->idem);
}


/* 503: what the calendar cannot answer (err.message_en for the log) */
static void
dvc_submit_unavailable(dvc_submit_plan_t *sp, const char *en)
{
    dvc_event_error_t  err;

    memset(&err, 0, sizeof(err));
    err.http = 503;
    err.code = "unavailable";
    snprintf(err.message_vi, sizeof(err.message_vi), "%s",
             "Hệ thống tạm thời không tiếp nhận được hồ sơ.");
    snprintf(err.message_en, sizeof(err.message_en), "%s", en);
    dvc_plan_refuse(&sp->p, &err);
}


static int
dvc_submit_set_buf(dvc_plan_t *p, const char *name, const dvc_buf_t *b)
{
    if (b->failed) {
        p->failed = 1;
        return -1;
    }

    return dvc_plan_set(p, name, b->data ? b->data : "", b->len);
}


static int
dvc_submit_set_str(dvc_plan_t *p, const char *name, const char *v)
{
    return dvc_plan_set(p, name, v, strlen(v));
}


static void
dvc_submit_history_entry(dvc_buf_t *b, const char *at, int status,
    const char *actor)
{
    const dvc_status_info_t  *st;

    st = dvc_status_info(status);

    dvc_buf_printf(b, "{\"at\":\"%s\",\"status\":\"%s\",\"status_number\":%d,"
                   "\"actor\":\"%s\"}", at, st->slug, status, actor);
}


/* The acknowledgement: what was submitted, and when (dvc-ack+jws). */
static int
dvc_submit_ack(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    const char *now_vn, dvc_buf_t *ack)
{
    int                     rc;
    dvc_buf_t               payload;
    const dvc_procedure_t  *p = f->procedure;

    if (env->signing_key == NULL) {
        return -1;
    }

    dvc_buf_init(&payload, ack->alloc);
    dvc_buf_printf(&payload, "{\"code\":\"%.*s\",\"procedure\":\"%s\","
                   "\"agency\":\"%s\",\"submitted_at\":\"%s\","
                   "\"documents\":", DVC_CODE_LEN, f->code, p->code,
                   p->agency, now_vn);
    dvc_documents_json(&payload, f->dossier, p, 0);
    dvc_buf_printf(&payload, ",\"body_sha256\":\"%.64s\"}", f->body_sha256);

    rc = payload.failed
         || dvc_jws_sign(env->signing_key, "dvc-ack+jws", payload.data,
                         payload.len, ack) != 0
         || ack->failed ? -1 : 0;

    dvc_buf_free(&payload);

    return rc;
}


/* The statistics: the counters of the dossier's cells, its st_* fields,
 * and the cells a report may ask for (p.cells). */
static int
dvc_submit_stats(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    dvc_submit_plan_t *sp)
{
    char                    err[128], en[200];
    dvc_stat_state_t        before;
    dvc_stat_change_t       change;
    const dvc_procedure_t  *p = f->procedure;

    dvc_stat_state_init(&before);
    memset(&change, 0, sizeof(change));
    change.kind = DVC_STAT_SUBMISSION;
    change.at = env->now;
    change.channel = f->channel;
    change.due = sp->due;
    change.level = p->level;
    change.sector = p->sector;
    change.sector_len = p->sector_len;

    err[0] = '\0';

    if (dvc_plan_stats(&sp->p, env->cal, &before, &change, p->agency,
                       strlen(p->agency), p->code, strlen(p->code), err,
                       sizeof(err)) == 0)
    {
        return 0;
    }

    if (strstr(err, "calendar") != NULL) {
        snprintf(en, sizeof(en), "statistics of procedure \"%s\": %s; "
                 "extend dvc_calendar", p->code, err);
        dvc_submit_unavailable(sp, en);

    } else {
        sp->p.failed = 1;
    }

    return -1;
}


/* The citizen's notice of the appointment (accepted at once). */
static int
dvc_submit_notice(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    dvc_submit_plan_t *sp)
{
    dvc_notice_t                n;
    const dvc_dossier_facts_t  *d = f->dossier;

    memset(&n, 0, sizeof(n));
    n.kind = DVC_NOTICE_ACCEPTED;
    n.code = f->code;
    n.code_len = DVC_CODE_LEN;
    n.procedure = f->procedure->name;
    n.procedure_len = strlen(f->procedure->name);
    n.event = "submit";
    n.event_len = sizeof("submit") - 1;
    n.status = DVC_STATUS_ACCEPTED;
    n.at = env->now;
    n.due = sp->due;
    n.email = d->applicant_email;
    n.email_len = d->applicant_email_len;
    n.phone = d->applicant_phone;
    n.phone_len = d->applicant_phone_len;
    n.link = env->link;
    n.link_len = env->link_len;

    return dvc_plan_notice(&sp->p, &n);
}


/* The inbox entry: the body exactly as the citizen sent it, and with a
 * store the documents as uploaded (checked equal to the body's). */
static int
dvc_submit_inbox(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    const char *now_vn, dvc_submit_plan_t *sp)
{
    int         rc;
    dvc_plan_t *p = &sp->p;

#define X(name, v, l)                                                         \
    (dvc_plan_xadd(p, DVC_SUBMIT_INBOX, sizeof(DVC_SUBMIT_INBOX) - 1, name,   \
                   v, l) != 0)

    (void) env;

    rc = X("code", f->code, DVC_CODE_LEN)
         || X("procedure", f->procedure->code, strlen(f->procedure->code))
         || X("submitted_at", now_vn, DVC_TIME_VN_LEN)
         || X("body", f->body, f->body_len)
         || (f->documents_len
             && X("documents", f->documents, f->documents_len)) ? -1 : 0;

#undef X

    if (rc != 0) {
        p->failed = 1;
    }

    return rc;
}


/* {"code","procedure","status","status_number","submitted_at",
 *  "lookup_token","acknowledgement","channel"?,"accepted_at"?,"due_at"?,
 *  "receipt"?} */
static void
dvc_submit_answer(const dvc_submit_facts_t *f, const char *now_vn,
    const char *due_vn, const dvc_buf_t *ack, const dvc_buf_t *receipt,
    dvc_submit_plan_t *sp)
{
    dvc_buf_t                *b = &sp->p.answer;
    const dvc_status_info_t  *st;

    st = dvc_status_info(sp->status);

    dvc_buf_printf(b, "{\"code\":\"%.*s\",\"procedure\":\"%s\","
                   "\"status\":\"%s\",\"status_number\":%d,"
                   "\"submitted_at\":\"%s\",\"lookup_token\":\"%.*s\","
                   "\"acknowledgement\":\"%.*s\"",
                   DVC_CODE_LEN, f->code, f->procedure->code, st->slug,
                   sp->status, now_vn, (int) f->token_len, f->token,
                   (int) ack->len, ack->data);

    if (f->channel != DVC_CHANNEL_ONLINE) {
        dvc_buf_printf(b, ",\"channel\":\"%s\"", dvc_channel_name(f->channel));
    }

    if (sp->status == DVC_STATUS_ACCEPTED) {
        dvc_buf_printf(b, ",\"accepted_at\":\"%s\",\"due_at\":\"%s\","
                       "\"receipt\":\"%.*s\"", now_vn, due_vn,
                       (int) receipt->len, receipt->data);
    }

    dvc_buf_putc(b, '}');

    if (b->failed) {
        sp->p.failed = 1;
    }
}


int
dvc_submit_body_fields(dvc_plan_t *p, const dvc_dossier_facts_t *d,
    const char *body_sha256, int replace)
{
    if (dvc_plan_set(p, "body_sha256", body_sha256, 64) != 0
        || dvc_plan_set(p, "delivery", d->delivery ? d->delivery : "",
                        d->delivery_len) != 0)
    {
        return -1;
    }

    /* where the citizen's notices go (dvc:notify's channel hints) */
    if (d->applicant_email_len
        ? dvc_plan_set(p, "contact_email", d->applicant_email,
                       d->applicant_email_len) != 0
        : replace && dvc_plan_del(p, "contact_email") != 0)
    {
        return -1;
    }

    if (d->applicant_phone_len
        ? dvc_plan_set(p, "contact_phone", d->applicant_phone,
                       d->applicant_phone_len) != 0
        : replace && dvc_plan_del(p, "contact_phone") != 0)
    {
        return -1;
    }

    return 0;
}


/* The dossier's fields, but for the statistics'.  The acknowledgement is
 * not one of them: the citizen has it in the 201 answer (and the
 * idempotency record, for a day, to answer a replay); nothing reads it
 * from the hash, and it cost ~620 bytes a dossier (docs/redis.md).  Nor
 * is submitted_ts: dvc:idx:submitted's score is that instant already. */
static int
dvc_submit_fields(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    const char *now_vn, const char *due_vn, const dvc_buf_t *history,
    const dvc_buf_t *receipt, const dvc_buf_t *rfacts, dvc_submit_plan_t *sp)
{
    dvc_plan_t                 *p = &sp->p;
    const dvc_dossier_facts_t  *d = f->dossier;

    if (dvc_plan_set(p, "code", f->code, DVC_CODE_LEN) != 0
        || dvc_submit_set_str(p, "procedure", f->procedure->code) != 0
        || dvc_submit_set_str(p, "agency", f->procedure->agency) != 0
        || dvc_plan_set_int(p, "status", sp->status) != 0
        || dvc_submit_set_str(p, "submitted_at", now_vn) != 0
        || dvc_submit_set_str(p, "updated_at", now_vn) != 0
        || dvc_plan_set(p, "token_sha256", f->token_sha256, 64) != 0
        || dvc_submit_body_fields(p, d, f->body_sha256, 0) != 0
        || dvc_submit_set_buf(p, "history", history) != 0)
    {
        return -1;
    }

    if (sp->status == DVC_STATUS_ACCEPTED) {
        if (dvc_submit_set_str(p, "accepted_at", now_vn) != 0
            || dvc_plan_set_int(p, "accepted_ts", env->now) != 0
            || dvc_submit_set_str(p, "due_at", due_vn) != 0
            || dvc_plan_set_int(p, "due_ts", sp->due) != 0
            || dvc_submit_set_buf(p, "receipt", receipt) != 0)
        {
            return -1;
        }

    } else if (dvc_submit_set_buf(p, "receipt_facts", rfacts) != 0) {
        /* the desk accepts later (the back-end's accept event) */
        return -1;
    }

    return dvc_submit_set_str(p, "channel", dvc_channel_name(f->channel));
}


/* Accepted at once: the appointment and the receipt.  0, or -1 (the plan
 * says why). */
static int
dvc_submit_accept(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    const dvc_buf_t *rfacts, dvc_buf_t *receipt, dvc_submit_plan_t *sp)
{
    int                         no_facts;
    char                        en[200];
    char                        code[DVC_CODE_LEN + 1];
    const dvc_dossier_facts_t  *d = f->dossier;

    if (dvc_receipt_due(env->cal, f->procedure, env->now, &sp->due) != 0) {
        snprintf(en, sizeof(en), "the calendar does not cover the "
                 "appointment of procedure \"%s\"; extend dvc_calendar",
                 f->procedure->code);
        dvc_submit_unavailable(sp, en);
        return -1;
    }

    memcpy(code, f->code, DVC_CODE_LEN);
    code[DVC_CODE_LEN] = '\0';

    if (dvc_receipt_sign(env->signing_key, f->procedure, code, rfacts->data,
                         rfacts->len, d->delivery, d->delivery_len, env->now,
                         sp->due, receipt, &no_facts) != 0)
    {
        sp->p.failed = 1;
        return -1;
    }

    sp->p.signed_receipt = 1;
    sp->p.no_receipt_facts = no_facts ? 1 : 0;

    return 0;
}


void
dvc_submit_decide(const dvc_submit_facts_t *f, const dvc_submit_env_t *env,
    dvc_submit_plan_t *sp)
{
    int         accept_now;
    char        now_vn[DVC_TIME_VN_LEN + 1], due_vn[DVC_TIME_VN_LEN + 1];
    dvc_buf_t   ack, receipt, history, rfacts;
    dvc_plan_t *p = &sp->p;

    dvc_time_format_vn(env->now, now_vn);
    due_vn[0] = '\0';

    sp->key_len = (size_t) snprintf(sp->key, sizeof(sp->key), "dvc:d:%.*s",
                                    DVC_CODE_LEN, f->code);
    snprintf(sp->score, sizeof(sp->score), "%lld", (long long) env->now);

    /* accepted at once: the procedure says so, or the desk entered it */
    accept_now = f->procedure->accept_auto || f->channel != DVC_CHANNEL_ONLINE;
    sp->status = accept_now ? DVC_STATUS_ACCEPTED : DVC_STATUS_SUBMITTED;

    dvc_buf_init(&ack, p->alloc);
    dvc_buf_init(&receipt, p->alloc);
    dvc_buf_init(&history, p->alloc);
    dvc_buf_init(&rfacts, p->alloc);

    if (dvc_submit_ack(f, env, now_vn, &ack) != 0) {
        p->failed = 1;
        goto done;
    }

    sp->p.signed_ack = 1;

    /* applicant and documents for the receipt, now or at acceptance */
    dvc_receipt_facts(&rfacts, f->dossier, f->procedure);

    if (rfacts.failed
        || (accept_now
            && dvc_submit_accept(f, env, &rfacts, &receipt, sp) != 0))
    {
        p->failed |= rfacts.failed;
        goto done;
    }

    dvc_buf_putc(&history, '[');
    dvc_submit_history_entry(&history, now_vn, DVC_STATUS_SUBMITTED,
                             "citizen");

    if (accept_now) {
        /* the deadline's clock starts now */
        dvc_time_format_vn(sp->due, due_vn);
        dvc_buf_putc(&history, ',');
        dvc_submit_history_entry(&history, now_vn, DVC_STATUS_ACCEPTED,
                                 f->channel == DVC_CHANNEL_ONLINE
                                 ? "gateway" : "back-end");
    }

    dvc_buf_putc(&history, ']');

    dvc_submit_answer(f, now_vn, due_vn, &ack, &receipt, sp);

    if (p->failed
        || dvc_submit_fields(f, env, now_vn, due_vn, &history, &receipt,
                             &rfacts, sp) != 0
        || dvc_submit_stats(f, env, sp) != 0
        || dvc_submit_inbox(f, env, now_vn, sp) != 0
        || (accept_now && env->notify
            && dvc_submit_notice(f, env, sp) != 0))
    {
        p->failed |= (p->http == 200);
        goto done;
    }

    if (f->idempotent) {
        dvc_buf_printf(&sp->idem, "done:%.64s:%.*s:", f->body_sha256,
                       DVC_CODE_LEN, f->code);
        dvc_buf_append(&sp->idem, p->answer.data, p->answer.len);

        if (sp->idem.failed) {
            p->failed = 1;
        }
    }

done:

    dvc_buf_free(&ack);
    dvc_buf_free(&receipt);
    dvc_buf_free(&history);
    dvc_buf_free(&rfacts);
}
