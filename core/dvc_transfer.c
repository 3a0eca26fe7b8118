/*
 * Liên thông: the decision of transfer and transfer_return (dvc_transfer.h).
 *
 * The stored `transfers` array is the gateway's own JSON: it is parsed to
 * learn how many parts there were and whether the last is open (only the
 * last can be: a transfer waits for the return of the one before), and
 * written back as text: a transfer appends an entry, a return rewrites the
 * open entry's fixed tail.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "dvc_transfer.h"
#include "dvc_status.h"
#include "dvc_time.h"

/* the tail of an open part, as dvc_transfer_entry() writes it */
static const char  dvc_open_tail[] =
    "\"returned_at\":null,\"return_event\":null,\"late\":null}]";

typedef struct {
    size_t    n;                        /* parts so far */
    int       open;                     /* the last one is not back */
    char      agency[DVC_AGENCY_MAX + 1];
    size_t    agency_len;
    int64_t   due_ts;
} dvc_transfer_state_t;


int
dvc_transfer_is(const dvc_event_t *ev)
{
    return ev->tr != NULL && (ev->tr->type == DVC_EV_TRANSFER
                              || ev->tr->type == DVC_EV_TRANSFER_RETURN);
}


static void
dvc_transfer_refuse(dvc_plan_t *p, int http, const char *code,
    const char *field, const char *vi, const char *en)
{
    dvc_event_error_t  err;

    memset(&err, 0, sizeof(err));
    err.http = http;
    err.code = code;
    snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
    snprintf(err.message_vi, sizeof(err.message_vi), "%s", vi);
    snprintf(err.message_en, sizeof(err.message_en), "%s", en);
    dvc_plan_refuse(p, &err);
}


static void
dvc_transfer_broken(dvc_plan_t *p, const char *what)
{
    char  en[200];

    snprintf(en, sizeof(en), "The dossier's stored %s is malformed.", what);
    dvc_transfer_refuse(p, 500, "internal_error", NULL,
                        "Dữ liệu hồ sơ bị hỏng.", en);
}


/* The stored array: parts so far and the last one's state.  -1: broken. */
static int
dvc_transfer_state(const dvc_alloc_t *a, const char *s, size_t len,
    dvc_transfer_state_t *st)
{
    char      *copy;
    size_t     i;
    yajl_val   root, last, v;

    memset(st, 0, sizeof(*st));

    if (s == NULL || len == 0) {
        return 0;
    }

    if (s[len - 1] != ']') {
        return -1;                    /* the text is appended to */
    }

    copy = dvc_malloc(a, len + 1);
    if (copy == NULL) {
        return -1;
    }

    memcpy(copy, s, len);
    copy[len] = '\0';
    root = yajl_tree_parse(copy, NULL, 0);
    dvc_free(a, copy);

    if (!YAJL_IS_ARRAY(root)) {
        yajl_tree_free(root);
        return -1;
    }

    st->n = root->u.array.len;

    for (i = 0; i < st->n; i++) {
        if (!YAJL_IS_OBJECT(root->u.array.values[i])) {
            yajl_tree_free(root);
            return -1;
        }
    }

    if (st->n == 0) {
        yajl_tree_free(root);
        return 0;
    }

    last = root->u.array.values[st->n - 1];

    v = yajl_tree_get(last, (const char *[]) { "returned_at", NULL },
                      yajl_t_any);
    st->open = YAJL_IS_NULL(v);

    v = yajl_tree_get(last, (const char *[]) { "agency", NULL },
                      yajl_t_string);
    if (v == NULL || strlen(v->u.string) > DVC_AGENCY_MAX) {
        yajl_tree_free(root);
        return -1;
    }

    st->agency_len = strlen(v->u.string);
    memcpy(st->agency, v->u.string, st->agency_len + 1);

    v = yajl_tree_get(last, (const char *[]) { "due_ts", NULL },
                      yajl_t_number);
    if (!YAJL_IS_INTEGER(v)) {
        yajl_tree_free(root);
        return -1;
    }

    st->due_ts = YAJL_GET_INTEGER(v);
    yajl_tree_free(root);

    /* an open part must end the text as it was written */
    if (st->open && (len < sizeof(dvc_open_tail) - 1
                     || memcmp(s + len - (sizeof(dvc_open_tail) - 1),
                               dvc_open_tail, sizeof(dvc_open_tail) - 1)
                        != 0))
    {
        return -1;
    }

    return 0;
}


/* The history with one entry more (the stored text, its last ']' off). */
static int
dvc_transfer_history(dvc_buf_t *b, const dvc_transfer_facts_t *f)
{
    const char  *h = f->history;
    size_t       n = f->history_len;

    if (h != NULL && n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        dvc_buf_append(b, h, n - 1);
        if (n > 2) {
            dvc_buf_putc(b, ',');
        }
        return 0;
    }

    if (h != NULL && n > 0) {
        return -1;
    }

    dvc_buf_putc(b, '[');
    return 0;
}


/* {"code","event","type","status","status_slug","applied_at" (no '}') */
static void
dvc_transfer_answer_head(dvc_buf_t *b, const dvc_transfer_facts_t *f,
    const dvc_event_t *ev, const dvc_transfer_env_t *env)
{
    char                      now_vn[DVC_TIME_VN_LEN + 1];
    const dvc_status_info_t  *st;

    st = dvc_status_info(f->status);
    dvc_time_format_vn(env->now, now_vn);

    dvc_buf_puts(b, "{\"code\":");
    dvc_buf_json_str(b, f->code, f->code_len);
    dvc_buf_puts(b, ",\"event\":");
    dvc_buf_json_str(b, ev->id, ev->id_len);
    dvc_buf_printf(b, ",\"type\":\"%s\",\"status\":%d,\"status_slug\":\"%s\","
                   "\"applied_at\":\"%s\"", ev->tr->name, f->status,
                   st ? st->slug : "", now_vn);
}


static int
dvc_plan_set_buf(dvc_plan_t *p, const char *name, dvc_buf_t *b)
{
    if (b->failed) {
        p->failed = 1;
        return -1;
    }

    return dvc_plan_set(p, name, b->data ? b->data : "", b->len);
}


/* +1 in the cells of `agency` (the dossier's or the receiving one) with the
 * dossier's procedure, level and sector */
static int
dvc_transfer_stat(dvc_plan_t *p, const dvc_transfer_facts_t *f,
    const char *agency, size_t alen, dvc_stat_counter_t c, int64_t at)
{
    dvc_stat_dims_t  dims;

    dvc_stat_state_dims(&f->stat, agency, alen, f->procedure,
                        f->procedure_len, &dims);

    return dvc_plan_stat(p, &dims, c, at, 1);
}


/* May the part go?  0 with its minutes and due time, or -1 refused. */
static int
dvc_transfer_check(const dvc_transfer_facts_t *f, const dvc_event_t *ev,
    const dvc_transfer_env_t *env, const dvc_transfer_state_t *st,
    dvc_plan_t *p, int64_t *minutes, int64_t *due)
{
    char  due_vn[DVC_TIME_VN_LEN + 1], ddue_vn[DVC_TIME_VN_LEN + 1];
    char  vi[256], en[256];

    if (st->open) {
        snprintf(vi, sizeof(vi), "Phần việc đã chuyển cho cơ quan %s chưa "
                 "được trả lại (transfer_return).", st->agency);
        snprintf(en, sizeof(en), "The part sent to agency %s has not come "
                 "back yet (transfer_return).", st->agency);
        dvc_transfer_refuse(p, 409, "transfer_open", NULL, vi, en);
        return -1;
    }

    if (st->n >= DVC_TRANSFER_MAX) {
        dvc_transfer_refuse(p, 409, "transfer_limit", NULL,
                            "Hồ sơ đã liên thông đủ 16 lần.",
                            "The dossier was transferred 16 times already.");
        return -1;
    }

    if (ev->to_agency_len == f->agency_len
        && memcmp(ev->to_agency, f->agency, f->agency_len) == 0)
    {
        dvc_transfer_refuse(p, 422, "invalid_field", "to_agency",
                            "Trường \"to_agency\" không hợp lệ: là cơ quan "
                            "đang giải quyết hồ sơ.",
                            "The field \"to_agency\" is invalid: it is the "
                            "dossier's own agency.");
        return -1;
    }

    if (env->known == NULL
        || !env->known(env->known_ud, ev->to_agency, ev->to_agency_len))
    {
        dvc_transfer_refuse(p, 422, "unknown_agency", "to_agency",
                            "Cổng không biết cơ quan này (dvc_agency).",
                            "The gateway knows no such agency (dvc_agency).");
        return -1;
    }

    if (dvc_calendar_processing_minutes(env->cal, ev->share_num,
                                        ev->share_num_len, ev->share_in_days,
                                        minutes) != 0
        || *minutes <= 0)
    {
        dvc_transfer_refuse(p, 422, "invalid_field", "share",
                            "Trường \"share\" không hợp lệ: số ngày phải là "
                            "số nguyên hoặc nửa ngày, số giờ phải tròn phút.",
                            "The field \"share\" is invalid: days must be "
                            "whole or half days, hours whole minutes.");
        return -1;
    }

    if (dvc_calendar_due(env->cal, ev->at, *minutes, -1, due) != 0) {
        dvc_transfer_refuse(p, 422, "share_does_not_fit", "share",
                            "Thời hạn của phần việc vượt quá lịch làm việc "
                            "đã nạp.",
                            "The share runs beyond the calendar's years.");
        return -1;
    }

    if (f->due_ts != 0 && *due > f->due_ts) {
        dvc_time_format_vn(*due, due_vn);
        dvc_time_format_vn(f->due_ts, ddue_vn);
        snprintf(vi, sizeof(vi), "Phần việc sẽ hết hạn lúc %s, sau thời hạn "
                 "trả kết quả của hồ sơ (%s).", due_vn, ddue_vn);
        snprintf(en, sizeof(en), "The share would end at %s, after the "
                 "dossier's due time (%s).", due_vn, ddue_vn);
        dvc_transfer_refuse(p, 422, "share_does_not_fit", "share", vi, en);
        return -1;
    }

    return 0;
}


/* The receiving agency's own inbox entry. */
static void
dvc_transfer_inbox(const dvc_transfer_facts_t *f, const dvc_event_t *ev,
    const char *at_vn, const char *due_vn, dvc_buf_t *reason,
    dvc_buf_t *share, dvc_plan_t *p)
{
    int   slen;
    char  stream[DVC_PLAN_STREAM_MAX], ddue_vn[DVC_TIME_VN_LEN + 1];

    slen = snprintf(stream, sizeof(stream), "dvc:inbox:%s", ev->to_agency);

#define X(name, v, l)                                                         \
    (dvc_plan_xadd(p, stream, (size_t) slen, name, v, l) != 0)

    if (X("type", "transfer", 8)
        || X("code", f->code, f->code_len)
        || X("procedure", f->procedure, f->procedure_len)
        || X("from_agency", f->agency, f->agency_len)
        || X("event", ev->id, ev->id_len)
        || X("at", at_vn, DVC_TIME_VN_LEN)
        || X("reason", reason->data, reason->len)
        || X("share", share->data, share->len)
        || X("due_at", due_vn, DVC_TIME_VN_LEN)
        || (f->due_ts != 0 && (dvc_time_format_vn(f->due_ts, ddue_vn),
                               X("dossier_due_at", ddue_vn, DVC_TIME_VN_LEN)))
        || (f->body_sha256 != NULL
            && X("body_sha256", f->body_sha256, f->body_sha256_len)))
    {
        p->failed = 1;
    }

#undef X
}


static void
dvc_transfer_send(const dvc_transfer_facts_t *f, const dvc_event_t *ev,
    const dvc_transfer_env_t *env, const dvc_transfer_state_t *st,
    dvc_plan_t *p)
{
    char        at_vn[DVC_TIME_VN_LEN + 1], due_vn[DVC_TIME_VN_LEN + 1];
    int64_t     minutes, due;
    dvc_buf_t   rec, hist, share, reason;

    if (dvc_transfer_check(f, ev, env, st, p, &minutes, &due) != 0) {
        return;
    }

    dvc_time_format_vn(ev->at, at_vn);
    dvc_time_format_vn(due, due_vn);

    dvc_buf_init(&share, p->alloc);
    dvc_buf_printf(&share, "{\"%s\":%s}", ev->share_in_days ? "days" : "hours",
                   ev->share_num);
    dvc_buf_init(&reason, p->alloc);
    dvc_text_json(&reason, &ev->reason);

    /* the record: the stored array with one open part more */
    dvc_buf_init(&rec, p->alloc);

    if (st->n) {
        dvc_buf_append(&rec, f->transfers, f->transfers_len - 1);
        dvc_buf_putc(&rec, ',');
    } else {
        dvc_buf_putc(&rec, '[');
    }

    dvc_buf_puts(&rec, "{\"agency\":");
    dvc_buf_json_str(&rec, ev->to_agency, ev->to_agency_len);
    dvc_buf_puts(&rec, ",\"from_agency\":");
    dvc_buf_json_str(&rec, f->agency, f->agency_len);
    dvc_buf_puts(&rec, ",\"event\":");
    dvc_buf_json_str(&rec, ev->id, ev->id_len);
    dvc_buf_printf(&rec, ",\"sent_at\":\"%s\",\"reason\":", at_vn);
    dvc_buf_append(&rec, reason.data, reason.len);
    dvc_buf_puts(&rec, ",\"share\":");
    dvc_buf_append(&rec, share.data, share.len);
    dvc_buf_printf(&rec, ",\"share_minutes\":%lld,\"due_at\":\"%s\","
                   "\"due_ts\":%lld,", (long long) minutes, due_vn,
                   (long long) due);
    dvc_buf_puts(&rec, dvc_open_tail);

    /* the history entry: the event, and when the share ends */
    dvc_buf_init(&hist, p->alloc);

    if (dvc_transfer_history(&hist, f) != 0) {
        dvc_transfer_broken(p, "history");
        goto done;
    }

    dvc_history_entry_json(&hist, ev, f->status);
    hist.len--;                                   /* its '}' */
    dvc_buf_printf(&hist, ",\"share_due_at\":\"%s\"}]", due_vn);

    dvc_transfer_answer_head(&p->answer, f, ev, env);
    dvc_buf_puts(&p->answer, ",\"to_agency\":");
    dvc_buf_json_str(&p->answer, ev->to_agency, ev->to_agency_len);
    dvc_buf_puts(&p->answer, ",\"share\":");
    dvc_buf_append(&p->answer, share.data, share.len);
    dvc_buf_printf(&p->answer, ",\"share_due_at\":\"%s\"}", due_vn);

    if (dvc_plan_set_buf(p, "transfers", &rec) != 0
        || dvc_plan_set_buf(p, "history", &hist) != 0
        || (st->n == 0
            && dvc_transfer_stat(p, f, f->agency, f->agency_len,
                                 DVC_STAT_TRANSFERRED, ev->at) != 0)
        || dvc_transfer_stat(p, f, ev->to_agency, ev->to_agency_len,
                             DVC_STAT_TRANSFER_IN, ev->at) != 0)
    {
        p->failed = 1;
        goto done;
    }

    dvc_transfer_inbox(f, ev, at_vn, due_vn, &reason, &share, p);

done:

    dvc_buf_free(&share);
    dvc_buf_free(&reason);
    dvc_buf_free(&rec);
    dvc_buf_free(&hist);
}


static void
dvc_transfer_return(const dvc_transfer_facts_t *f, const dvc_event_t *ev,
    const dvc_transfer_env_t *env, const dvc_transfer_state_t *st,
    dvc_plan_t *p)
{
    int         late;
    char        at_vn[DVC_TIME_VN_LEN + 1], due_vn[DVC_TIME_VN_LEN + 1];
    dvc_buf_t   rec, hist;

    if (!st->open) {
        dvc_transfer_refuse(p, 409, "no_open_transfer", NULL,
                            "Hồ sơ không có phần việc liên thông nào đang ở "
                            "cơ quan khác.",
                            "No part of the dossier is out with another "
                            "agency.");
        return;
    }

    late = ev->at > st->due_ts;
    dvc_time_format_vn(ev->at, at_vn);
    dvc_time_format_vn(st->due_ts, due_vn);

    /* the open part's tail, rewritten */
    dvc_buf_init(&rec, p->alloc);
    dvc_buf_append(&rec, f->transfers,
                   f->transfers_len - (sizeof(dvc_open_tail) - 1));
    dvc_buf_printf(&rec, "\"returned_at\":\"%s\",\"return_event\":", at_vn);
    dvc_buf_json_str(&rec, ev->id, ev->id_len);
    dvc_buf_printf(&rec, ",\"late\":%s}]", late ? "true" : "false");

    dvc_buf_init(&hist, p->alloc);

    if (dvc_transfer_history(&hist, f) != 0) {
        dvc_transfer_broken(p, "history");
        goto done;
    }

    dvc_history_entry_json(&hist, ev, f->status);
    hist.len--;
    dvc_buf_puts(&hist, ",\"agency\":");
    dvc_buf_json_str(&hist, st->agency, st->agency_len);
    dvc_buf_printf(&hist, ",\"share_due_at\":\"%s\",\"late\":%s}]", due_vn,
                   late ? "true" : "false");

    dvc_transfer_answer_head(&p->answer, f, ev, env);
    dvc_buf_puts(&p->answer, ",\"agency\":");
    dvc_buf_json_str(&p->answer, st->agency, st->agency_len);
    dvc_buf_printf(&p->answer, ",\"share_due_at\":\"%s\",\"returned_at\":"
                   "\"%s\",\"late\":%s}", due_vn, at_vn,
                   late ? "true" : "false");

    if (dvc_plan_set_buf(p, "transfers", &rec) != 0
        || dvc_plan_set_buf(p, "history", &hist) != 0
        || dvc_transfer_stat(p, f, st->agency, st->agency_len,
                             late ? DVC_STAT_TRANSFER_IN_LATE
                                  : DVC_STAT_TRANSFER_IN_ONTIME, ev->at) != 0)
    {
        p->failed = 1;
        goto done;
    }

    /* the dossier's agency learns that its part is back */
#define X(name, v, l)                                                         \
    (dvc_plan_xadd(p, "dvc:inbox", sizeof("dvc:inbox") - 1, name, v, l) != 0)

    if (X("type", "transfer_returned", sizeof("transfer_returned") - 1)
        || X("code", f->code, f->code_len)
        || X("procedure", f->procedure, f->procedure_len)
        || X("agency", st->agency, st->agency_len)
        || X("event", ev->id, ev->id_len)
        || X("at", at_vn, DVC_TIME_VN_LEN)
        || X("due_at", due_vn, DVC_TIME_VN_LEN)
        || X("late", late ? "true" : "false", late ? 4 : 5)
        || ((ev->has & DVC_EVF_NOTE) && X("note", ev->note, ev->note_len)))
    {
        p->failed = 1;
    }

#undef X

done:

    dvc_buf_free(&rec);
    dvc_buf_free(&hist);
}


void
dvc_transfer_decide(const dvc_transfer_facts_t *f, const dvc_event_t *ev,
    const dvc_transfer_env_t *env, dvc_plan_t *p)
{
    int                   to;
    dvc_event_error_t     err;
    dvc_dossier_state_t   d;
    dvc_transfer_state_t  st;

    if (!dvc_transfer_is(ev) || f->agency == NULL || f->procedure == NULL) {
        dvc_transfer_broken(p, "agency or procedure");
        return;
    }

    memset(&d, 0, sizeof(d));
    d.status = f->status;
    d.prev_status = f->prev_status;
    d.due_ts = f->due_ts;
    d.last_ts = f->last_ts;

    /* in 4 only (409 listing the lifecycle's legal events), at not before
     * the last change (422) */
    if (dvc_event_check(ev, &d, env->now, &to, &err) != 0) {
        if (err.http == 409) {
            dvc_plan_refuse_transition(p, &err, f->status, f->prev_status);
        } else {
            dvc_plan_refuse(p, &err);
        }
        return;
    }

    if (dvc_transfer_state(p->alloc, f->transfers, f->transfers_len, &st)
        != 0)
    {
        dvc_transfer_broken(p, "transfers");
        return;
    }

    if (ev->tr->type == DVC_EV_TRANSFER) {
        dvc_transfer_send(f, ev, env, &st, p);
    } else {
        dvc_transfer_return(f, ev, env, &st, p);
    }

    if (p->http == 200) {
        char  now_vn[DVC_TIME_VN_LEN + 1];

        dvc_time_format_vn(env->now, now_vn);

        if (p->answer.failed
            || dvc_plan_set(p, "updated_at", now_vn, DVC_TIME_VN_LEN) != 0)
        {
            p->failed = 1;
        }
    }
}
