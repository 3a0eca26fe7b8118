/*
 * A back-end event on a dossier: the decision (dvc_event_decide.h).
 */
#include <stdio.h>
#include <string.h>

#include "dvc_event_decide.h"
#include "dvc_forms.h"
#include "dvc_notify.h"
#include "dvc_receipt.h"
#include "dvc_status.h"
#include "dvc_time.h"

/* what one decision computes on the way, for the answer */
typedef struct {
    int        to;
    int64_t    due;                          /* accept: the new due time */
    char       at_vn[DVC_TIME_VN_LEN + 1];   /* the event's */
    char       due_vn[DVC_TIME_VN_LEN + 1];  /* accept */
    char       appt_vn[DVC_TIME_VN_LEN + 1]; /* delay */
    dvc_buf_t  receipt;                      /* accept */
    dvc_form_t form;
    dvc_buf_t  form_jws;
    char       code[DVC_STAT_NAME_MAX + 1];  /* NUL-terminated */
} dvc_event_work_t;


/* refused for the glue to answer with its own 500 or 503; what: the log's
 * words, then `a` (alen bytes, may be 0) and `tail` */
static void
dvc_event_fail(dvc_plan_t *p, int http, const char *what, const char *a,
    size_t alen, const char *tail)
{
    p->http = http;
    memset(&p->err, 0, sizeof(p->err));
    p->err.http = http;
    p->err.code = http == 503 ? "unavailable" : "internal_error";
    snprintf(p->err.message_en, sizeof(p->err.message_en), "%s%.*s%s", what,
             (int) alen, a ? a : "", tail);
    dvc_buf_reset(&p->answer);
}


static dvc_stat_kind_t
dvc_event_stat_kind(dvc_event_type_t type)
{
    switch (type) {
    case DVC_EV_ACCEPT:
        return DVC_STAT_ACCEPTED;
    case DVC_EV_REFUSE:
        return DVC_STAT_REFUSED_CHANGE;
    case DVC_EV_REQUEST_SUPPLEMENT:
        return DVC_STAT_SUPPLEMENT_REQUESTED;
    case DVC_EV_PROCESS:
        return DVC_STAT_PROCESSING;
    case DVC_EV_REQUEST_PAYMENT:
        return DVC_STAT_PAYMENT;
    case DVC_EV_DELAY:
        return DVC_STAT_DELAY;
    case DVC_EV_STOP:
        return DVC_STAT_STOPPED_CHANGE;
    case DVC_EV_CONFIRM_WITHDRAWAL:
        return DVC_STAT_WITHDRAWAL_CONFIRMED;
    case DVC_EV_DECLINE_WITHDRAWAL:
        return DVC_STAT_WITHDRAWAL_DECLINED;
    case DVC_EV_RESOLVE:
        return DVC_STAT_RESOLVED_CHANGE;
    default:
        return DVC_STAT_RETURNED;
    }
}


/* accept: the appointment from the procedure's time, the receipt signed */
static int
dvc_event_accept(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_event_work_t *w, dvc_plan_t *p)
{
    int  no_facts;

    if (env->procedure == NULL) {
        dvc_event_fail(p, 500, "its procedure \"", f->procedure,
                       f->procedure_len, "\" is not loaded any more");
        return -1;
    }

    if (dvc_receipt_due(env->cal, env->procedure, ev->at, &w->due) != 0) {
        dvc_event_fail(p, 503, "the calendar does not cover the appointment "
                       "of procedure \"", f->procedure, f->procedure_len,
                       "\"; extend dvc_calendar");
        return -1;
    }

    if (env->signing_key == NULL
        || dvc_receipt_sign(env->signing_key, env->procedure, w->code,
                            f->receipt_facts, f->receipt_facts_len,
                            f->delivery, f->delivery_len, ev->at, w->due,
                            &w->receipt, &no_facts) != 0)
    {
        dvc_event_fail(p, 500, "signing the receipt failed", NULL, 0, "");
        return -1;
    }

    p->signed_receipt = 1;
    p->no_receipt_facts = no_facts ? 1 : 0;
    dvc_time_format_vn(w->due, w->due_vn);

    if (w->receipt.failed
        || dvc_plan_set(p, "accepted_at", w->at_vn, DVC_TIME_VN_LEN) != 0
        || dvc_plan_set_int(p, "accepted_ts", ev->at) != 0
        || dvc_plan_set(p, "due_at", w->due_vn, DVC_TIME_VN_LEN) != 0
        || dvc_plan_set_int(p, "due_ts", w->due) != 0
        || dvc_plan_set(p, "receipt", w->receipt.data, w->receipt.len) != 0)
    {
        p->failed = 1;
        return -1;
    }

    return 0;
}


/* what each type changes besides the status and history */
static int
dvc_event_fields(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_event_work_t *w, dvc_plan_t *p)
{
    int        rc;
    dvc_buf_t  apology;

    switch (ev->tr->type) {

    case DVC_EV_ACCEPT:
        return dvc_event_accept(f, ev, env, w, p);

    case DVC_EV_REQUEST_SUPPLEMENT:
        /* the appointment is void: time counts anew from a complete
         * dossier (Decree 61/2018 art. 19); the history keeps it */
        return dvc_plan_del(p, "due_at") || dvc_plan_del(p, "due_ts")
               || dvc_plan_del(p, "appointment_at")
               || dvc_plan_del(p, "appointment_ts")
               || dvc_plan_del(p, "apology") ? -1 : 0;

    case DVC_EV_DELAY:
        /* form 04: the apology and the new appointment; lateness is still
         * judged on due_at */
        dvc_time_format_vn(ev->new_due_at, w->appt_vn);

        dvc_buf_init(&apology, p->alloc);
        dvc_buf_puts(&apology, "{\"reason\":");
        dvc_text_json(&apology, &ev->reason);
        dvc_buf_printf(&apology, ",\"new_due_at\":\"%s\",\"at\":\"%s\"}",
                       w->appt_vn, w->at_vn);

        rc = apology.failed
             || dvc_plan_set(p, "appointment_at", w->appt_vn,
                             DVC_TIME_VN_LEN) != 0
             || dvc_plan_set_int(p, "appointment_ts", ev->new_due_at) != 0
             || dvc_plan_set(p, "apology", apology.data, apology.len) != 0
             ? -1 : 0;

        dvc_buf_free(&apology);
        return rc;

    case DVC_EV_REQUEST_PAYMENT:
        /* the amount an online payment must match; without one the fee is
         * paid at the desk */
        return (ev->has & DVC_EVF_AMOUNT)
               ? dvc_plan_set_int(p, "pay_amount", ev->amount)
               : dvc_plan_del(p, "pay_amount");

    case DVC_EV_CONFIRM_WITHDRAWAL:
    case DVC_EV_DECLINE_WITHDRAWAL:
        return dvc_plan_del(p, "prev_status");

    default:
        return 0;
    }
}


/* the signed form (02, 03, 04, stop), appended to the dossier's forms */
static int
dvc_event_form(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_event_work_t *w, dvc_plan_t *p)
{
    int               rc;
    dvc_buf_t         payload, forms;
    dvc_form_facts_t  ff;

    w->form = dvc_form_for_event(ev->tr->type);

    if (w->form == DVC_FORM_NONE) {
        return 0;
    }

    memset(&ff, 0, sizeof(ff));
    ff.code = w->code;
    ff.procedure_code = env->procedure ? env->procedure->code : NULL;
    ff.procedure_name = env->procedure ? env->procedure->name : NULL;
    ff.agency = f->agency;
    ff.agency_len = f->agency_len;
    ff.event = ev->id;
    ff.actor = ev->actor;
    ff.at = ev->at;
    ff.issued = env->now;
    ff.reason = (ev->has & DVC_EVF_REASON) ? &ev->reason : NULL;
    ff.documents = ev->documents;
    ff.ndocuments = ev->ndocuments;
    ff.due = f->due_ts;
    ff.new_due = ev->new_due_at;

    dvc_buf_init(&payload, p->alloc);

    rc = env->procedure == NULL || env->signing_key == NULL
         || dvc_form_sign(env->signing_key, w->form, &ff, &payload,
                          &w->form_jws) != 0 ? -1 : 0;

    dvc_buf_free(&payload);

    if (rc != 0) {
        dvc_event_fail(p, 500, "signing form ", dvc_form_info(w->form)->id,
                       strlen(dvc_form_info(w->form)->id),
                       env->procedure ? " failed"
                                      : " failed: its procedure is not loaded");
        return -1;
    }

    dvc_buf_init(&forms, p->alloc);
    dvc_forms_append(&forms, f->forms, f->forms_len, w->form, ev->at, ev->id,
                     w->form_jws.data, w->form_jws.len);

    rc = forms.failed
         || dvc_plan_set(p, "forms", forms.data, forms.len) != 0 ? -1 : 0;

    dvc_buf_free(&forms);

    if (rc != 0) {
        p->failed = 1;
    }

    return rc;
}


/* the citizen's notice of the change, with dvc_notify on */
static int
dvc_event_notice(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_event_work_t *w, dvc_plan_t *p)
{
    dvc_notice_t  n;

    memset(&n, 0, sizeof(n));
    n.kind = dvc_notice_for_event(ev->tr->type);

    if (!env->notify || n.kind == DVC_NOTICE_NONE) {
        return 0;
    }

    n.code = f->code;
    n.code_len = f->code_len;
    n.procedure = env->procedure ? env->procedure->name : NULL;
    n.procedure_len = env->procedure ? strlen(env->procedure->name) : 0;
    n.event = ev->id;
    n.event_len = ev->id_len;
    n.status = w->to;
    n.at = ev->at;
    n.due = ev->tr->type == DVC_EV_DELAY ? ev->new_due_at : w->due;
    n.amount = (ev->has & DVC_EVF_AMOUNT) ? ev->amount : 0;
    n.reason = (ev->has & DVC_EVF_REASON) ? &ev->reason : NULL;
    n.documents = ev->documents;
    n.ndocuments = ev->ndocuments;
    n.note = ev->note;
    n.note_len = ev->note_len;
    n.form = w->form != DVC_FORM_NONE ? dvc_form_info(w->form)->id : NULL;
    n.email = f->contact_email;
    n.email_len = f->contact_email_len;
    n.phone = f->contact_phone;
    n.phone_len = f->contact_phone_len;
    n.link = env->link;
    n.link_len = env->link_len;

    return dvc_plan_notice(p, &n);
}


/* status, history (the gateway's own JSON array, one entry more), the
 * statistics of the change */
static int
dvc_event_status(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_event_work_t *w, dvc_plan_t *p)
{
    int                rc;
    char               err[160];
    dvc_buf_t          history;
    dvc_stat_change_t  change;

    dvc_buf_init(&history, p->alloc);

    if (f->history != NULL && f->history_len >= 2 && f->history[0] == '['
        && f->history[f->history_len - 1] == ']')
    {
        dvc_buf_append(&history, f->history, f->history_len - 1);
        if (f->history_len > 2) {
            dvc_buf_putc(&history, ',');
        }

    } else {
        dvc_buf_putc(&history, '[');
    }

    dvc_history_entry_json(&history, ev, w->to);
    dvc_buf_putc(&history, ']');

    rc = history.failed
         || dvc_plan_set_int(p, "status", w->to) != 0
         || dvc_plan_set(p, "history", history.data, history.len) != 0
         ? -1 : 0;

    dvc_buf_free(&history);

    if (rc != 0) {
        p->failed = 1;
        return -1;
    }

    memset(&change, 0, sizeof(change));
    change.kind = dvc_event_stat_kind(ev->tr->type);
    change.at = ev->at;
    change.due = w->due;
    err[0] = '\0';

    if (dvc_plan_stats(p, env->cal, &f->stat, &change, f->agency,
                       f->agency_len, f->procedure, f->procedure_len, err,
                       sizeof(err)) != 0)
    {
        if (err[0] || !p->failed) {
            p->failed = 0;
            dvc_event_fail(p, 500, "statistics: ", err, strlen(err), "");
        }
        return -1;
    }

    return 0;
}


/* {"code","event","type","status","status_slug","applied_at","due_at"?,
 *  "receipt"?,"appointment_at"?,"form"?} */
static void
dvc_event_answer(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_event_work_t *w, dvc_plan_t *p)
{
    char                      now_vn[DVC_TIME_VN_LEN + 1];
    dvc_buf_t                *b = &p->answer;
    const dvc_status_info_t  *st;

    st = dvc_status_info(w->to);
    dvc_time_format_vn(env->now, now_vn);

    dvc_buf_puts(b, "{\"code\":");
    dvc_buf_json_str(b, f->code, f->code_len);
    dvc_buf_puts(b, ",\"event\":");
    dvc_buf_json_str(b, ev->id, ev->id_len);
    dvc_buf_printf(b, ",\"type\":\"%s\",\"status\":%d,\"status_slug\":\"%s\","
                   "\"applied_at\":\"%s\"", ev->tr->name, w->to,
                   st ? st->slug : "", now_vn);

    if (ev->tr->type == DVC_EV_ACCEPT) {
        dvc_buf_printf(b, ",\"due_at\":\"%s\",\"receipt\":\"%.*s\"",
                       w->due_vn, (int) w->receipt.len, w->receipt.data);
    }

    if (ev->tr->type == DVC_EV_DELAY) {
        dvc_buf_printf(b, ",\"appointment_at\":\"%s\"", w->appt_vn);
    }

    if (w->form != DVC_FORM_NONE) {
        dvc_buf_printf(b, ",\"form\":{\"form\":\"%s\",\"jws\":",
                       dvc_form_info(w->form)->id);
        dvc_buf_json_str(b, w->form_jws.data, w->form_jws.len);
        dvc_buf_putc(b, '}');
    }

    dvc_buf_putc(b, '}');

    if (b->failed || dvc_plan_set(p, "updated_at", now_vn, DVC_TIME_VN_LEN)
                     != 0)
    {
        p->failed = 1;
    }
}


static void
dvc_event_transfer(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_plan_t *p)
{
    dvc_transfer_env_t    te;
    dvc_transfer_facts_t  tf;

    if (f->stat_error != NULL) {
        dvc_event_fail(p, 500, "", f->stat_error, strlen(f->stat_error), "");
        return;
    }

    memset(&tf, 0, sizeof(tf));
    tf.code = f->code;
    tf.code_len = f->code_len;
    tf.agency = f->agency;
    tf.agency_len = f->agency_len;
    tf.procedure = f->procedure;
    tf.procedure_len = f->procedure_len;
    tf.status = f->status;
    tf.prev_status = f->prev_status;
    tf.due_ts = f->due_ts;
    tf.last_ts = f->last_ts;
    tf.history = f->history;
    tf.history_len = f->history_len;
    tf.transfers = f->transfers;
    tf.transfers_len = f->transfers_len;
    tf.body_sha256 = f->body_sha256;
    tf.body_sha256_len = f->body_sha256_len;
    tf.stat = f->stat;

    te.cal = env->cal;
    te.known = env->known;
    te.known_ud = env->known_ud;
    te.now = env->now;

    dvc_transfer_decide(&tf, ev, &te, p);
}


void
dvc_event_decide(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_plan_t *p)
{
    dvc_event_work_t     w;
    dvc_event_error_t    err;
    dvc_dossier_state_t  d;

    if (ev->tr == NULL || dvc_status_info(f->status) == NULL
        || f->procedure == NULL || f->agency == NULL || f->code == NULL
        || f->code_len > DVC_STAT_NAME_MAX)
    {
        dvc_event_fail(p, 500, "no valid status, procedure or agency", NULL, 0,
                       "");
        return;
    }

    if (dvc_transfer_is(ev)) {
        dvc_event_transfer(f, ev, env, p);
        return;
    }

    memset(&d, 0, sizeof(d));
    d.status = f->status;
    d.prev_status = f->prev_status;
    d.due_ts = f->due_ts;
    d.appointment_ts = f->appointment_ts;
    d.last_ts = f->last_ts;

    memset(&w, 0, sizeof(w));

    /* the transition (409 naming the legal ones) and the times (422) */
    if (dvc_event_check(ev, &d, env->now, &w.to, &err) != 0) {
        if (err.http == 409) {
            dvc_plan_refuse_transition(p, &err, f->status, f->prev_status);
        } else {
            dvc_plan_refuse(p, &err);
        }
        return;
    }

    if (f->stat_error != NULL) {
        dvc_event_fail(p, 500, "", f->stat_error, strlen(f->stat_error), "");
        return;
    }

    memcpy(w.code, f->code, f->code_len);
    w.code[f->code_len] = '\0';
    dvc_time_format_vn(ev->at, w.at_vn);
    dvc_buf_init(&w.receipt, p->alloc);
    dvc_buf_init(&w.form_jws, p->alloc);

    if (dvc_event_fields(f, ev, env, &w, p) != 0
        || ((w.to == DVC_STATUS_REFUSED || w.to == DVC_STATUS_STOPPED
             || w.to == DVC_STATUS_RESOLVED)
            && dvc_plan_set_int(p, "closed_ts", ev->at) != 0)
        || dvc_event_form(f, ev, env, &w, p) != 0
        || dvc_event_notice(f, ev, env, &w, p) != 0
        || dvc_event_status(f, ev, env, &w, p) != 0)
    {
        p->failed |= p->http == 200;
        goto done;
    }

    dvc_event_answer(f, ev, env, &w, p);

done:

    dvc_buf_free(&w.receipt);
    dvc_buf_free(&w.form_jws);
}
