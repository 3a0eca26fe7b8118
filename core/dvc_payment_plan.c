/*
 * An applied payment's change: the plan (dvc_payment.h, dvc_payment_plan).
 */
#include <stdio.h>
#include <string.h>

#include "dvc_jws.h"
#include "dvc_notify.h"
#include "dvc_payment.h"
#include "dvc_status.h"
#include "dvc_time.h"


static void
dvc_payment_refuse(dvc_plan_t *p, const char *en)
{
    p->http = 500;
    memset(&p->err, 0, sizeof(p->err));
    p->err.http = 500;
    p->err.code = "internal_error";
    snprintf(p->err.message_en, sizeof(p->err.message_en), "%s", en);
    dvc_buf_reset(&p->answer);
}


/* the history with one more entry */
static int
dvc_payment_history(const dvc_payment_record_t *rec,
    const dvc_payment_notice_t *n, const char *provider, int64_t now,
    dvc_plan_t *p)
{
    int        rc;
    dvc_buf_t  h;

    dvc_buf_init(&h, p->alloc);

    if (rec->history != NULL && rec->history_len > 2
        && rec->history[0] == '[' && rec->history[rec->history_len - 1] == ']')
    {
        dvc_buf_append(&h, rec->history, rec->history_len - 1);
        dvc_buf_putc(&h, ',');

    } else {
        dvc_buf_putc(&h, '[');
    }

    dvc_payment_history_json(&h, provider, n, DVC_STATUS_PROCESSING, now);
    dvc_buf_putc(&h, ']');

    rc = h.failed || dvc_plan_set(p, "history", h.data, h.len) != 0 ? -1 : 0;

    dvc_buf_free(&h);
    return rc;
}


/* the signed receipt, and what the lookup shows: its payload with it */
static int
dvc_payment_receipt(const dvc_payment_notice_t *n, const char *provider,
    const dvc_payment_env_t *env, dvc_plan_t *p)
{
    int        rc;
    dvc_buf_t  payload, receipt, payment;

    dvc_buf_init(&payload, p->alloc);
    dvc_buf_init(&receipt, p->alloc);
    dvc_buf_init(&payment, p->alloc);

    dvc_payment_receipt_json(&payload, provider, n, env->now);

    if (payload.failed || env->signing_key == NULL
        || dvc_jws_sign(env->signing_key, "dvc-payment+jws", payload.data,
                        payload.len, &receipt) != 0)
    {
        dvc_payment_refuse(p, "cannot sign the payment receipt");
        rc = -1;
        goto done;
    }

    dvc_buf_append(&payment, payload.data, payload.len - 1);
    dvc_buf_puts(&payment, ",\"receipt\":");
    dvc_buf_json_str(&payment, receipt.data, receipt.len);
    dvc_buf_putc(&payment, '}');

    rc = payment.failed
         || dvc_plan_set(p, "payment", payment.data, payment.len) != 0
         ? -1 : 0;

    if (rc != 0) {
        p->failed = 1;
    }

done:

    dvc_buf_free(&payload);
    dvc_buf_free(&receipt);
    dvc_buf_free(&payment);
    return rc;
}


/* the back-end's inbox entry */
static int
dvc_payment_inbox(const dvc_payment_record_t *rec,
    const dvc_payment_notice_t *n, const char *provider, const char *now_vn,
    dvc_plan_t *p)
{
    int   len;
    char  amount[24];

    len = snprintf(amount, sizeof(amount), "%lld", (long long) n->amount);

#define X(name, v, l)                                                         \
    (dvc_plan_xadd(p, "dvc:inbox", sizeof("dvc:inbox") - 1, name, v, l) != 0)

    return X("type", "payment_received", sizeof("payment_received") - 1)
           || X("code", n->code, strlen(n->code))
           || X("procedure", rec->procedure ? rec->procedure : "",
                rec->procedure_len)
           || X("at", now_vn, DVC_TIME_VN_LEN)
           || X("provider", provider, strlen(provider))
           || X("amount", amount, (size_t) len)
           || X("transaction_no", n->transaction_no,
                strlen(n->transaction_no)) ? -1 : 0;

#undef X
}


/*
 * The citizen's notice "payment_received": the citizen may have left the
 * payment page before the provider's notice came.  Its event id is
 * "payment:{txn_ref}", the attempt applied once.
 */
static int
dvc_payment_notice_of(const dvc_payment_record_t *rec,
    const dvc_payment_notice_t *n, const char *provider,
    const dvc_payment_env_t *env, dvc_plan_t *p)
{
    int           len;
    char          event[sizeof("payment:") + DVC_PAY_TXN_MAX];
    dvc_notice_t  nt;

    len = snprintf(event, sizeof(event), "payment:%s", n->txn_ref);

    memset(&nt, 0, sizeof(nt));
    nt.kind = DVC_NOTICE_PAYMENT_RECEIVED;
    nt.code = n->code;
    nt.code_len = strlen(n->code);
    nt.procedure = rec->procedure_name;
    nt.procedure_len = rec->procedure_name ? strlen(rec->procedure_name) : 0;
    nt.event = event;
    nt.event_len = (size_t) len;
    nt.status = DVC_STATUS_PROCESSING;
    nt.at = env->now;
    nt.amount = n->amount;
    nt.provider = provider;
    nt.transaction = n->transaction_no;
    nt.transaction_len = strlen(n->transaction_no);
    nt.email = rec->contact_email;
    nt.email_len = rec->contact_email_len;
    nt.phone = rec->contact_phone;
    nt.phone_len = rec->contact_phone_len;
    nt.link = env->link;
    nt.link_len = env->link_len;

    return dvc_plan_notice(p, &nt);
}


void
dvc_payment_plan(const dvc_payment_record_t *rec,
    const dvc_payment_notice_t *n, const char *provider,
    const dvc_payment_env_t *env, dvc_plan_t *p)
{
    char               now_vn[DVC_TIME_VN_LEN + 1], err[128];
    dvc_stat_change_t  change;

    dvc_time_format_vn(env->now, now_vn);

    if (dvc_payment_history(rec, n, provider, env->now, p) != 0) {
        p->failed = 1;
        return;
    }

    if (dvc_payment_receipt(n, provider, env, p) != 0) {
        return;
    }

    if (dvc_plan_set_int(p, "status", DVC_STATUS_PROCESSING) != 0
        || dvc_plan_set(p, "updated_at", now_vn, DVC_TIME_VN_LEN) != 0
        || dvc_payment_inbox(rec, n, provider, now_vn, p) != 0)
    {
        p->failed = 1;
        return;
    }

    /* the statistics: paid_online (the dossier's first payment) and
     * fees_online (the amount), in the same atomic step */
    memset(&change, 0, sizeof(change));
    change.kind = DVC_STAT_PAID_ONLINE_CHANGE;
    change.at = env->now;
    change.amount = n->amount;

    if (rec->agency == NULL || rec->procedure == NULL
        || rec->stat_error != NULL
        || dvc_plan_stats(p, env->cal, &rec->stat, &change, rec->agency,
                          rec->agency_len, rec->procedure,
                          rec->procedure_len, err, sizeof(err)) != 0)
    {
        p->failed = 0;
        dvc_payment_refuse(p, "the dossier's agency, procedure or "
                           "statistics fields are missing or malformed");
        return;
    }

    if (env->notify && dvc_payment_notice_of(rec, n, provider, env, p) != 0) {
        p->failed = 1;
    }
}
