/*
 * Statistics counters: which counter moves on which day for each change of a
 * dossier, and the st_* fields that remember what was counted.  See
 * dvc_stats.h for the contract; the report lives in dvc_stats_report.c.
 */
#include <string.h>

#include "dvc_err.h"
#include "dvc_stats.h"
#include "dvc_time.h"

static const char *const counter_names[DVC_STAT_NCOUNTERS] = {
    "received_online", "received_postal", "received_counter",
    "submitted_online", "accept_due",
    "left_desk", "left_desk_late", "left_desk_ontime",
    "closed", "due_a", "due_n",
    "closed_late_a", "closed_late_n", "closed_ontime_a", "closed_ontime_n",
    "resolved_early", "resolved_ontime", "resolved_late",
    "refused", "stopped", "withdrawn",
    "rating_very_satisfied", "rating_satisfied", "rating_dissatisfied",
    "received_l3", "received_online_l3", "received_l4", "received_online_l4",
    "paid_online", "fees_online",
    "transferred", "transfer_in", "transfer_in_ontime", "transfer_in_late"
};

const char *const dvc_stat_field_names[DVC_STAT_NFIELDS] = {
    "st_ch", "st_rcv", "st_cl", "st_due", "st_apo", "st_desk", "st_adl",
    "st_lv", "st_sec", "st_paid"
};

enum { F_CH, F_RCV, F_CL, F_DUE, F_APO, F_DESK, F_ADL, F_LV, F_SEC, F_PAID };


const char *
dvc_stat_counter_name(dvc_stat_counter_t c)
{
    if ((int) c < 0 || c >= DVC_STAT_NCOUNTERS) {
        return NULL;
    }
    return counter_names[c];
}


int
dvc_stat_name_ok(const char *s, size_t len)
{
    size_t  i;

    if (s == NULL || len == 0 || len > DVC_STAT_NAME_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z') || c == '.' || c == '_' || c == '-'))
        {
            return 0;
        }
    }
    return 1;
}


static size_t
put(char *out, size_t at, const char *s, size_t len)
{
    memcpy(out + at, s, len);
    return at + len;
}


int
dvc_stat_cell(int which, const char *agency, size_t alen,
    const char *procedure, size_t plen, char *out, size_t cap)
{
    int              n;
    dvc_stat_dims_t  d;

    if (which < 0 || which > 3) {
        return -1;
    }
    memset(&d, 0, sizeof(d));
    d.agency = agency;
    d.agency_len = alen;
    d.procedure = procedure;
    d.procedure_len = plen;
    n = dvc_stat_cell_of(which, &d, out, cap);
    return n == 0 ? -1 : n;
}


/* Each cell: its prefix and which dimensions it is made of, in order. */
enum { DIM_A = 1, DIM_P = 2, DIM_L = 4, DIM_S = 8 };

static const struct {
    const char  *prefix;
    unsigned     dims;
} cell_kinds[DVC_STAT_NCELLS] = {
    { "all", 0 },
    { "a", DIM_A },
    { "p", DIM_P },
    { "ap", DIM_A | DIM_P },
    { "l", DIM_L },
    { "al", DIM_A | DIM_L },
    { "s", DIM_S },
    { "as", DIM_A | DIM_S },
    { "ls", DIM_L | DIM_S },
    { "als", DIM_A | DIM_L | DIM_S }
};


int
dvc_stat_cell_of(int which, const dvc_stat_dims_t *d, char *out, size_t cap)
{
    char      lv[2];
    size_t    n, need;
    unsigned  dims;

    if (which < 0 || which >= DVC_STAT_NCELLS
        || (d->level != 0 && d->level != 3 && d->level != 4))
    {
        return -1;
    }
    dims = cell_kinds[which].dims;

    if (((dims & DIM_L) && d->level == 0)
        || ((dims & DIM_S) && d->sector == NULL))
    {
        return 0;
    }
    if (((dims & DIM_A) && !dvc_stat_name_ok(d->agency, d->agency_len))
        || ((dims & DIM_P) && !dvc_stat_name_ok(d->procedure, d->procedure_len))
        || ((dims & DIM_S) && !dvc_stat_name_ok(d->sector, d->sector_len)))
    {
        return -1;
    }

    need = strlen(cell_kinds[which].prefix)
           + ((dims & DIM_A) ? 1 + d->agency_len : 0)
           + ((dims & DIM_P) ? 1 + d->procedure_len : 0)
           + ((dims & DIM_L) ? 2 : 0)
           + ((dims & DIM_S) ? 1 + d->sector_len : 0);
    if (need + 1 > cap) {
        return -1;
    }

    n = put(out, 0, cell_kinds[which].prefix, strlen(cell_kinds[which].prefix));
    if (dims & DIM_A) {
        n = put(out, n, ":", 1);
        n = put(out, n, d->agency, d->agency_len);
    }
    if (dims & DIM_P) {
        n = put(out, n, ":", 1);
        n = put(out, n, d->procedure, d->procedure_len);
    }
    if (dims & DIM_L) {
        lv[0] = ':';
        lv[1] = (char) ('0' + d->level);
        n = put(out, n, lv, 2);
    }
    if (dims & DIM_S) {
        n = put(out, n, ":", 1);
        n = put(out, n, d->sector, d->sector_len);
    }
    out[n] = '\0';
    return (int) n;
}


int
dvc_stat_key(const char *cell, size_t clen, dvc_stat_counter_t c,
    char *out, size_t cap)
{
    const char  *name;
    size_t       nlen, n;

    name = dvc_stat_counter_name(c);
    if (name == NULL) {
        return -1;
    }
    nlen = strlen(name);
    if (sizeof("dvc:st:") - 1 + clen + 1 + nlen + 1 > cap) {
        return -1;
    }
    n = put(out, 0, "dvc:st:", sizeof("dvc:st:") - 1);
    n = put(out, n, cell, clen);
    n = put(out, n, ":", 1);
    n = put(out, n, name, nlen);
    out[n] = '\0';
    return (int) n;
}


/* ---------------------------------------------------------------- channels */

static const char *const channel_names[] = { NULL, "online", "postal", "counter" };

const char *
dvc_channel_name(dvc_channel_t ch)
{
    if ((int) ch <= 0 || ch > DVC_CHANNEL_COUNTER) {
        return NULL;
    }
    return channel_names[ch];
}


dvc_channel_t
dvc_channel_by_name(const char *s, size_t len)
{
    int  i;

    for (i = DVC_CHANNEL_ONLINE; i <= DVC_CHANNEL_COUNTER; i++) {
        if (strlen(channel_names[i]) == len
            && memcmp(channel_names[i], s, len) == 0)
        {
            return (dvc_channel_t) i;
        }
    }
    return DVC_CHANNEL_NONE;
}


static const char *const rating_names[] = {
    NULL, "very_satisfied", "satisfied", "dissatisfied"
};

const char *
dvc_rating_name(dvc_rating_t r)
{
    if ((int) r <= 0 || r > DVC_RATING_DISSATISFIED) {
        return NULL;
    }
    return rating_names[r];
}


dvc_rating_t
dvc_rating_by_name(const char *s, size_t len)
{
    int  i;

    for (i = DVC_RATING_VERY_SATISFIED; i <= DVC_RATING_DISSATISFIED; i++) {
        if (strlen(rating_names[i]) == len
            && memcmp(rating_names[i], s, len) == 0)
        {
            return (dvc_rating_t) i;
        }
    }
    return (dvc_rating_t) 0;
}


/* ------------------------------------------------------------------- state */

void
dvc_stat_state_init(dvc_stat_state_t *s)
{
    memset(s, 0, sizeof(*s));
}


/* A positive decimal integer of at most 18 digits (Unix seconds). */
static int
parse_ts(const char *v, size_t len, int64_t *out)
{
    size_t   i;
    int64_t  n = 0;

    if (len == 0 || len > 18) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        n = n * 10 + (v[i] - '0');
    }
    if (n <= 0) {
        return -1;
    }
    *out = n;
    return 0;
}


static int
parse_flag(const char *v, size_t len, unsigned *flag)
{
    if (len != 1 || (v[0] != '0' && v[0] != '1')) {
        return -1;
    }
    *flag = (unsigned) (v[0] - '0');
    return 0;
}


static int
state_set(dvc_stat_state_t *s, int f, const char *v, size_t len)
{
    unsigned  flag;

    switch (f) {
    case F_CH:
        s->channel = dvc_channel_by_name(v, len);
        return s->channel == DVC_CHANNEL_NONE ? -1 : 0;
    case F_DUE:
        return parse_ts(v, len, &s->due);
    case F_ADL:
        return parse_ts(v, len, &s->accept_deadline);
    case F_LV:
        if (len != 1 || (v[0] != '3' && v[0] != '4')) {
            return -1;
        }
        s->level = v[0] - '0';
        return 0;
    case F_SEC:
        if (!dvc_stat_name_ok(v, len)) {
            return -1;
        }
        memcpy(s->sector, v, len);
        s->sector[len] = '\0';
        s->sector_len = len;
        return 0;
    default:
        break;
    }

    if (parse_flag(v, len, &flag) != 0) {
        return -1;
    }
    switch (f) {
    case F_RCV:
        s->received = flag;
        break;
    case F_CL:
        s->closed = flag;
        break;
    case F_APO:
        s->apology = flag;
        break;
    case F_PAID:
        s->paid = flag;
        break;
    default:
        s->at_desk = flag;
        break;
    }
    return 0;
}


int
dvc_stat_state_from_values(dvc_stat_state_t *s, const char *const *vals,
    const size_t *lens, char *err, size_t errlen)
{
    int  i;

    dvc_stat_state_init(s);
    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        if (vals[i] == NULL || lens[i] == 0) {
            continue;
        }
        if (state_set(s, i, vals[i], lens[i]) != 0) {
            dvc_errf(err, errlen, "malformed statistics field %s",
                     dvc_stat_field_names[i]);
            return -1;
        }
    }
    return 0;
}


int
dvc_stat_state_field(dvc_stat_state_t *s, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
    int  i;

    for (i = 0; i < DVC_STAT_NFIELDS; i++) {
        if (strlen(dvc_stat_field_names[i]) == nlen
            && memcmp(dvc_stat_field_names[i], name, nlen) == 0)
        {
            return state_set(s, i, val, vlen) == 0 ? 1 : -1;
        }
    }
    return 0;
}


static void
field_put(dvc_stat_field_t *f, int which, int64_t v, const char *str)
{
    char  tmp[24];
    int   n = 0;

    f->name = dvc_stat_field_names[which];
    f->del = 0;
    if (str != NULL) {
        strcpy(f->value, str);
        return;
    }
    if (v == 0) {
        f->del = 1;
        f->value[0] = '\0';
        return;
    }
    while (v > 0 && n < (int) sizeof(tmp)) {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    }
    for (which = 0; which < n; which++) {
        f->value[which] = tmp[n - 1 - which];
    }
    f->value[n] = '\0';
}


size_t
dvc_stat_state_diff(const dvc_stat_state_t *before,
    const dvc_stat_state_t *after, dvc_stat_field_t *out)
{
    dvc_stat_state_t  zero;
    size_t            n = 0;

    if (before == NULL) {
        dvc_stat_state_init(&zero);
        before = &zero;
    }

    if (before->channel != after->channel) {
        if (after->channel == DVC_CHANNEL_NONE) {
            field_put(&out[n++], F_CH, 0, NULL);
        } else {
            field_put(&out[n++], F_CH, 0, dvc_channel_name(after->channel));
        }
    }
    if (before->received != after->received) {
        field_put(&out[n++], F_RCV, after->received, NULL);
    }
    if (before->closed != after->closed) {
        field_put(&out[n++], F_CL, after->closed, NULL);
    }
    if (before->due != after->due) {
        field_put(&out[n++], F_DUE, after->due, NULL);
    }
    if (before->apology != after->apology) {
        field_put(&out[n++], F_APO, after->apology, NULL);
    }
    if (before->at_desk != after->at_desk) {
        field_put(&out[n++], F_DESK, after->at_desk, NULL);
    }
    if (before->accept_deadline != after->accept_deadline) {
        field_put(&out[n++], F_ADL, after->accept_deadline, NULL);
    }
    if (before->level != after->level) {
        field_put(&out[n++], F_LV, after->level, NULL);
    }
    if (before->paid != after->paid) {
        field_put(&out[n++], F_PAID, after->paid, NULL);
    }
    if (before->sector_len != after->sector_len
        || memcmp(before->sector, after->sector, after->sector_len) != 0)
    {
        field_put(&out[n++], F_SEC, 0,
                  after->sector_len ? after->sector : NULL);
    }
    return n;
}


void
dvc_stat_state_dims(const dvc_stat_state_t *s, const char *agency,
    size_t alen, const char *procedure, size_t plen, dvc_stat_dims_t *d)
{
    memset(d, 0, sizeof(*d));
    d->agency = agency;
    d->agency_len = alen;
    d->procedure = procedure;
    d->procedure_len = plen;
    d->level = s->level;
    if (s->sector_len) {
        d->sector = s->sector;
        d->sector_len = s->sector_len;
    }
}


/* ----------------------------------------------------------------- changes */

typedef struct {
    dvc_stat_delta_t  *out;
    size_t             cap;
    size_t             n;
    int                overflow;
} deltas_t;


/* The Vietnam date of an instant as YYYYMMDD. */
static int32_t
vn_day(int64_t t)
{
    int  y, m, d;

    dvc_time_vn_date(t, &y, &m, &d);
    return (int32_t) (y * 10000 + m * 100 + d);
}


static void
emit(deltas_t *ds, dvc_stat_counter_t c, int32_t day, int64_t delta)
{
    dvc_stat_delta_t  *dl;
    int                i;

    if (ds->n == ds->cap) {
        ds->overflow = 1;
        return;
    }
    dl = &ds->out[ds->n++];
    dl->counter = c;
    dl->delta = delta;
    for (i = 7; i >= 0; i--) {
        dl->day[i] = (char) ('0' + day % 10);
        day /= 10;
    }
    dl->day[8] = '\0';
}


/* The first departure of an online dossier from status 1. */
static void
leave_desk(dvc_stat_state_t *s, int64_t at, deltas_t *ds)
{
    if (!s->at_desk) {
        return;
    }
    emit(ds, DVC_STAT_LEFT_DESK, vn_day(at), +1);
    if (at > s->accept_deadline) {
        emit(ds, DVC_STAT_LEFT_DESK_LATE, vn_day(at), +1);
    } else {
        emit(ds, DVC_STAT_LEFT_DESK_ONTIME, vn_day(s->accept_deadline), +1);
    }
    s->at_desk = 0;
    s->accept_deadline = 0;
}


/*
 * The due leaves due_a/due_n.  Before it has passed, on its own day (the
 * +1 and -1 cancel in every sum); once passed, on the day of the change, so a
 * report as of any day in between still counts the dossier as overdue then.
 */
static void
remove_due(dvc_stat_state_t *s, int64_t at, deltas_t *ds)
{
    int32_t  dd, ad;

    if (s->due == 0) {
        return;
    }
    dd = vn_day(s->due);
    ad = vn_day(at);
    emit(ds, s->apology ? DVC_STAT_DUE_A : DVC_STAT_DUE_N,
         ad > dd ? ad : dd, -1);
    s->due = 0;
    s->apology = 0;
}


/* Accepted (first time or again): received once, the due counted. */
static int
accept(dvc_stat_state_t *s, int64_t at, int64_t due, deltas_t *ds)
{
    static const dvc_stat_counter_t  by_channel[] = {
        DVC_STAT_RECEIVED_ONLINE,   /* no st_ch: recorded before statistics,
                                       and only the API recorded dossiers then */
        DVC_STAT_RECEIVED_ONLINE, DVC_STAT_RECEIVED_POSTAL,
        DVC_STAT_RECEIVED_COUNTER
    };

    if (due <= 0) {
        return -1;
    }
    if (!s->received) {
        emit(ds, by_channel[s->channel], vn_day(at), +1);
        if (s->level == 3 || s->level == 4) {
            emit(ds, s->level == 3 ? DVC_STAT_RECEIVED_L3 : DVC_STAT_RECEIVED_L4,
                 vn_day(at), +1);
            if (s->channel == DVC_CHANNEL_ONLINE
                || s->channel == DVC_CHANNEL_NONE)
            {
                emit(ds, s->level == 3 ? DVC_STAT_RECEIVED_ONLINE_L3
                                       : DVC_STAT_RECEIVED_ONLINE_L4,
                     vn_day(at), +1);
            }
        }
        s->received = 1;
    }
    remove_due(s, at, ds);
    emit(ds, DVC_STAT_DUE_N, vn_day(due), +1);
    s->due = due;
    s->apology = 0;
    return 0;
}


/* Entering 3, 8 or 9: a received dossier closes, on time or late. */
static void
close_dossier(dvc_stat_state_t *s, int64_t at, deltas_t *ds)
{
    if (!s->received || s->closed) {
        return;
    }
    emit(ds, DVC_STAT_CLOSED, vn_day(at), +1);
    s->closed = 1;
    if (s->due == 0) {
        return;
    }
    if (at <= s->due) {
        emit(ds, s->apology ? DVC_STAT_CLOSED_ONTIME_A : DVC_STAT_CLOSED_ONTIME_N,
             vn_day(s->due), +1);
    } else {
        emit(ds, s->apology ? DVC_STAT_CLOSED_LATE_A : DVC_STAT_CLOSED_LATE_N,
             vn_day(at), +1);
    }
}


/* A submission's channel, level and sector, as the state keeps them. */
static int
take_submission(dvc_stat_state_t *s, const dvc_stat_change_t *c, char *err,
    size_t errlen)
{
    if (dvc_channel_name(c->channel) == NULL) {
        dvc_errf(err, errlen, "submission without a channel");
        return -1;
    }
    s->channel = c->channel;

    if (c->level != 0 && c->level != 3 && c->level != 4) {
        dvc_errf(err, errlen, "submission of level %d (3 or 4)", c->level);
        return -1;
    }
    s->level = c->level;

    if (c->sector != NULL) {
        if (!dvc_stat_name_ok(c->sector, c->sector_len)) {
            dvc_errf(err, errlen, "submission with a sector that cannot "
                     "name a statistics cell");
            return -1;
        }
        memcpy(s->sector, c->sector, c->sector_len);
        s->sector[c->sector_len] = '\0';
        s->sector_len = c->sector_len;
    }

    return 0;
}


/* Submitted: accepted at once (a due given), or online and at the desk. */
static int
submission(const dvc_calendar_t *cal, dvc_stat_state_t *s,
    const dvc_stat_change_t *c, deltas_t *ds, char *err, size_t errlen)
{
    int64_t  deadline;

    if (take_submission(s, c, err, errlen) != 0) {
        return -1;
    }

    if (c->due != 0) {
        if (accept(s, c->at, c->due, ds) != 0) {
            dvc_errf(err, errlen, "acceptance without a due time");
            return -1;
        }
        return 0;
    }

    if (s->channel != DVC_CHANNEL_ONLINE) {
        return 0;
    }

    /* waits at the desk, which has 1 working day to accept or refuse */
    if (cal == NULL
        || dvc_calendar_due(cal, c->at, dvc_calendar_day_minutes(cal), -1,
                            &deadline) != 0)
    {
        dvc_errf(err, errlen, "the calendar does not cover the "
                 "acceptance deadline of a submission");
        return -1;
    }
    emit(ds, DVC_STAT_SUBMITTED_ONLINE, vn_day(c->at), +1);
    emit(ds, DVC_STAT_ACCEPT_DUE, vn_day(deadline), +1);
    s->at_desk = 1;
    s->accept_deadline = deadline;
    return 0;
}


/* The apology moves the due from due_n to due_a, on the due day (or the
 * day of the apology when the due has already passed). */
static void
apologise(dvc_stat_state_t *s, int32_t day, deltas_t *ds)
{
    int32_t  dd, md;

    if (s->due == 0 || s->apology) {
        return;
    }
    dd = vn_day(s->due);
    md = day > dd ? day : dd;
    emit(ds, DVC_STAT_DUE_N, md, -1);
    emit(ds, DVC_STAT_DUE_A, md, +1);
    s->apology = 1;
}


/* Resolved: early, on time or late against the due, then closed. */
static void
resolve(dvc_stat_state_t *s, int64_t at, int32_t day, deltas_t *ds)
{
    int32_t  dd;

    if (s->received && !s->closed && s->due != 0) {
        dd = vn_day(s->due);
        if (at > s->due) {
            emit(ds, DVC_STAT_RESOLVED_LATE, day, +1);
        } else if (day < dd) {
            emit(ds, DVC_STAT_RESOLVED_EARLY, day, +1);
        } else {
            emit(ds, DVC_STAT_RESOLVED_ONTIME, day, +1);
        }
    }
    close_dossier(s, at, ds);
}


static int
rate(dvc_rating_t rating, int32_t day, deltas_t *ds, char *err,
    size_t errlen)
{
    switch (rating) {
    case DVC_RATING_VERY_SATISFIED:
        emit(ds, DVC_STAT_RATING_VERY_SATISFIED, day, +1);
        return 0;
    case DVC_RATING_SATISFIED:
        emit(ds, DVC_STAT_RATING_SATISFIED, day, +1);
        return 0;
    case DVC_RATING_DISSATISFIED:
        emit(ds, DVC_STAT_RATING_DISSATISFIED, day, +1);
        return 0;
    default:
        dvc_errf(err, errlen, "rating without a level");
        return -1;
    }
}


/* The fee, every time; the dossier, the first time. */
static int
pay_online(dvc_stat_state_t *s, int64_t amount, int32_t day, deltas_t *ds,
    char *err, size_t errlen)
{
    if (amount <= 0) {
        dvc_errf(err, errlen, "online payment without an amount");
        return -1;
    }
    if (!s->paid) {
        emit(ds, DVC_STAT_PAID_ONLINE, day, +1);
        s->paid = 1;
    }
    emit(ds, DVC_STAT_FEES_ONLINE, day, amount);
    return 0;
}


/* One change on s: 0, or -1 with err. */
static int
apply_change(const dvc_calendar_t *cal, dvc_stat_state_t *s,
    const dvc_stat_change_t *change, deltas_t *ds, char *err, size_t errlen)
{
    int64_t  at;
    int32_t  day;

    at = change->at;
    day = vn_day(at);

    switch (change->kind) {

    case DVC_STAT_SUBMISSION:
        return submission(cal, s, change, ds, err, errlen);

    case DVC_STAT_ACCEPTED:
        leave_desk(s, at, ds);
        if (accept(s, at, change->due, ds) != 0) {
            dvc_errf(err, errlen, "acceptance without a due time");
            return -1;
        }
        return 0;

    case DVC_STAT_REFUSED_CHANGE:
        leave_desk(s, at, ds);
        emit(ds, DVC_STAT_REFUSED, day, +1);
        close_dossier(s, at, ds);
        return 0;

    case DVC_STAT_SUPPLEMENT_REQUESTED:
        leave_desk(s, at, ds);
        remove_due(s, at, ds);
        return 0;

    case DVC_STAT_WITHDRAWAL_REQUESTED:
        leave_desk(s, at, ds);
        return 0;

    case DVC_STAT_DELAY:
        apologise(s, day, ds);
        return 0;

    case DVC_STAT_STOPPED_CHANGE:
        emit(ds, DVC_STAT_STOPPED, day, +1);
        close_dossier(s, at, ds);
        return 0;

    case DVC_STAT_WITHDRAWAL_CONFIRMED:
        leave_desk(s, at, ds);
        emit(ds, DVC_STAT_WITHDRAWN, day, +1);
        close_dossier(s, at, ds);
        return 0;

    case DVC_STAT_RESOLVED_CHANGE:
        resolve(s, at, day, ds);
        return 0;

    case DVC_STAT_RATING:
        return rate(change->rating, day, ds, err, errlen);

    case DVC_STAT_PAID_ONLINE_CHANGE:
        return pay_online(s, change->amount, day, ds, err, errlen);

    case DVC_STAT_SUPPLEMENT_RECEIVED:
    case DVC_STAT_PROCESSING:
    case DVC_STAT_PAYMENT:
    case DVC_STAT_WITHDRAWAL_DECLINED:
    case DVC_STAT_RETURNED:
        /* no counter moves: the dossier stays received and open (a
         * supplement waits for a fresh acceptance, which brings the due) */
        return 0;

    default:
        dvc_errf(err, errlen, "unknown statistics change %d", (int) change->kind);
        return -1;
    }
}


int
dvc_stats_change(const dvc_calendar_t *cal, const dvc_stat_state_t *before,
    const dvc_stat_change_t *change, dvc_stat_state_t *after,
    dvc_stat_delta_t *out, size_t cap, size_t *n, char *err, size_t errlen)
{
    deltas_t          ds;
    dvc_stat_state_t  s;

    s = *before;
    ds.out = out;
    ds.cap = cap;
    ds.n = 0;
    ds.overflow = 0;
    *n = 0;

    if ((int) s.channel < 0 || s.channel > DVC_CHANNEL_COUNTER) {
        dvc_errf(err, errlen, "statistics state: bad channel");
        return -1;
    }

    if (apply_change(cal, &s, change, &ds, err, errlen) != 0) {
        return -1;
    }

    if (ds.overflow) {
        dvc_errf(err, errlen, "statistics delta buffer too small");
        return -1;
    }

    *after = s;
    *n = ds.n;
    return 0;
}
