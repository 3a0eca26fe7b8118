/*
 * A decision's plan (dvc_plan.h).
 */
#include <stdio.h>
#include <string.h>

#include "dvc_plan.h"
#include "dvc_status.h"
#include "dvc_time.h"


void
dvc_plan_init(dvc_plan_t *p, const dvc_alloc_t *a)
{
    memset(p, 0, sizeof(*p));
    p->alloc = a;
    p->http = 200;
    dvc_buf_init(&p->answer, a);
}


void
dvc_plan_free(dvc_plan_t *p)
{
    size_t  i, j;

    for (i = 0; i < p->nset; i++) {
        dvc_free(p->alloc, p->set[i].value);
    }

    for (i = 0; i < p->nxadd; i++) {
        for (j = 0; j < p->xadd[i].nf; j++) {
            dvc_free(p->alloc, p->xadd[i].f[j].value);
        }
    }

    dvc_buf_free(&p->answer);
    p->nset = p->nxadd = p->nincr = p->ndel = 0;
}


static int
dvc_plan_fail(dvc_plan_t *p)
{
    p->failed = 1;
    return -1;
}


static int
dvc_plan_pair(dvc_plan_t *p, dvc_plan_pair_t *pair, const char *name,
    const char *value, size_t len)
{
    pair->value = dvc_malloc(p->alloc, len + 1);
    if (pair->value == NULL) {
        return dvc_plan_fail(p);
    }

    memcpy(pair->value, value, len);
    pair->value[len] = '\0';
    pair->name = name;
    pair->len = len;
    return 0;
}


int
dvc_plan_set(dvc_plan_t *p, const char *name, const char *value, size_t len)
{
    if (p->nset == DVC_PLAN_MAX_SET
        || dvc_plan_pair(p, &p->set[p->nset], name, value, len) != 0)
    {
        return dvc_plan_fail(p);
    }

    p->nset++;
    return 0;
}


int
dvc_plan_set_int(dvc_plan_t *p, const char *name, int64_t value)
{
    char  num[24];
    int   n;

    n = snprintf(num, sizeof(num), "%lld", (long long) value);

    return dvc_plan_set(p, name, num, (size_t) n);
}


int
dvc_plan_del(dvc_plan_t *p, const char *name)
{
    if (p->ndel == DVC_PLAN_MAX_DEL) {
        return dvc_plan_fail(p);
    }

    p->del[p->ndel++] = name;
    return 0;
}


int
dvc_plan_stat(dvc_plan_t *p, const dvc_stat_dims_t *dims,
    dvc_stat_counter_t c, int64_t at, int delta)
{
    int               y, m, d, cl, kl, which;
    char              cell[DVC_STAT_KEY_MAX];
    dvc_plan_incr_t  *in;

    dvc_time_vn_date(at, &y, &m, &d);

    for (which = 0; which < DVC_STAT_NCELLS; which++) {
        cl = dvc_stat_cell_of(which, dims, cell, sizeof(cell));
        if (cl < 0) {
            return dvc_plan_fail(p);
        }

        if (cl == 0) {
            continue;                   /* no level or no sector known */
        }

        if (p->nincr == DVC_PLAN_MAX_INCR) {
            return dvc_plan_fail(p);
        }

        in = &p->incr[p->nincr];

        kl = dvc_stat_key(cell, (size_t) cl, c, in->key, sizeof(in->key));
        if (kl < 0) {
            return dvc_plan_fail(p);
        }

        in->key_len = (size_t) kl;
        snprintf(in->field, sizeof(in->field), "%04d%02d%02d", y, m, d);
        in->delta = delta;
        p->nincr++;
    }

    return 0;
}


int
dvc_plan_stats(dvc_plan_t *p, const dvc_calendar_t *cal,
    const dvc_stat_state_t *before, const dvc_stat_change_t *change,
    const char *agency, size_t alen, const char *procedure, size_t plen,
    char *err, size_t errlen)
{
    int                len;
    size_t             i, c, n, nf;
    dvc_plan_incr_t   *in;
    dvc_stat_dims_t    dims;
    dvc_stat_delta_t   deltas[DVC_STAT_MAX_DELTAS];
    dvc_stat_field_t   fields[DVC_STAT_NFIELDS];
    dvc_stat_state_t   after;

    if (dvc_stats_change(cal, before, change, &after, deltas,
                         DVC_STAT_MAX_DELTAS, &n, err, errlen) != 0)
    {
        return -1;
    }

    dvc_stat_state_dims(&after, agency, alen, procedure, plen, &dims);
    p->ncells = 0;

    for (c = 0; c < DVC_STAT_NCELLS; c++) {
        len = dvc_stat_cell_of((int) c, &dims, p->cells[p->ncells],
                               DVC_STAT_KEY_MAX);
        if (len < 0) {
            snprintf(err, errlen, "no statistics cell for agency \"%.*s\" "
                     "and procedure \"%.*s\"", (int) alen, agency,
                     (int) plen, procedure);
            return dvc_plan_fail(p);
        }

        if (len == 0) {
            continue;                   /* no level or no sector known */
        }

        p->cell_len[p->ncells] = (size_t) len;

        for (i = 0; i < n; i++) {
            if (p->nincr == DVC_PLAN_MAX_INCR) {
                return dvc_plan_fail(p);
            }

            in = &p->incr[p->nincr];
            len = dvc_stat_key(p->cells[p->ncells], p->cell_len[p->ncells],
                               deltas[i].counter, in->key, sizeof(in->key));
            if (len < 0) {
                return dvc_plan_fail(p);
            }

            in->key_len = (size_t) len;
            memcpy(in->field, deltas[i].day, sizeof(in->field));
            in->delta = deltas[i].delta;
            p->nincr++;
        }

        p->ncells++;
    }

    nf = dvc_stat_state_diff(before, &after, fields);

    for (i = 0; i < nf; i++) {
        if (fields[i].del ? dvc_plan_del(p, fields[i].name)
                          : dvc_plan_set(p, fields[i].name, fields[i].value,
                                         strlen(fields[i].value)))
        {
            return -1;
        }
    }

    return 0;
}


int
dvc_plan_xadd(dvc_plan_t *p, const char *stream, size_t slen,
    const char *name, const char *value, size_t len)
{
    size_t            i;
    dvc_plan_xadd_t  *x;

    x = NULL;

    for (i = 0; i < p->nxadd; i++) {
        if (p->xadd[i].stream_len == slen
            && memcmp(p->xadd[i].stream, stream, slen) == 0)
        {
            x = &p->xadd[i];
            break;
        }
    }

    if (x == NULL) {
        if (p->nxadd == DVC_PLAN_MAX_XADD
            || slen >= sizeof(p->xadd[0].stream))
        {
            return dvc_plan_fail(p);
        }

        x = &p->xadd[p->nxadd++];
        memcpy(x->stream, stream, slen);
        x->stream[slen] = '\0';
        x->stream_len = slen;
        x->nf = 0;
    }

    if (x->nf == DVC_PLAN_MAX_XFIELDS
        || dvc_plan_pair(p, &x->f[x->nf], name, value, len) != 0)
    {
        return dvc_plan_fail(p);
    }

    x->nf++;
    return 0;
}


int
dvc_plan_notice(dvc_plan_t *p, const dvc_notice_t *n)
{
    int                 rc;
    size_t              i;
    dvc_notify_entry_t  e;

    if (dvc_notify_entry(p->alloc, n, &e) != 0) {
        return dvc_plan_fail(p);
    }

    rc = 0;

    for (i = 0; i < e.n && rc == 0; i++) {
        rc = dvc_plan_xadd(p, DVC_PLAN_NOTIFY, sizeof(DVC_PLAN_NOTIFY) - 1,
                           e.f[i].name, e.buf.data + e.f[i].off, e.f[i].len);
    }

    dvc_buf_free(&e.buf);

    return rc;
}


void
dvc_plan_refuse(dvc_plan_t *p, const dvc_event_error_t *err)
{
    p->http = err->http;
    p->err = *err;
    dvc_buf_reset(&p->answer);
    dvc_event_error_json(&p->answer, err);

    if (p->answer.failed) {
        p->failed = 1;
    }
}


void
dvc_plan_refuse_transition(dvc_plan_t *p, const dvc_event_error_t *err,
    int status, int prev)
{
    const dvc_status_info_t  *st;
    dvc_buf_t                *b = &p->answer;

    st = dvc_status_info(status);

    p->http = err->http;
    p->err = *err;
    dvc_buf_reset(b);
    dvc_buf_printf(b, "{\"error\":\"%s\",\"status\":{\"number\":%d,"
                   "\"slug\":\"%s\"},\"allowed\":", err->code, status,
                   st ? st->slug : "");
    dvc_transitions_allowed_json(b, status, prev);
    dvc_buf_puts(b, ",\"message\":{\"vi\":");
    dvc_buf_json_str(b, err->message_vi, strlen(err->message_vi));
    dvc_buf_puts(b, ",\"en\":");
    dvc_buf_json_str(b, err->message_en, strlen(err->message_en));
    dvc_buf_puts(b, "}}");

    if (b->failed) {
        p->failed = 1;
    }
}
