/*
 * Statistics: every counter rule of issue 5's contract (which counter, which
 * day), the st_* state round trip, the report's figures and renderings, and a
 * small province simulated change by change whose report is checked against
 * figures worked out by hand for several periods.
 *
 * The calendar: Monday-Friday, 07:30-11:30 13:00-17:00 (480 office minutes a
 * day), 2026.  2026-11-23 is a Monday.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_calendar.h"
#include "dvc_stats.h"
#include "dvc_time.h"

#define S(x) x, sizeof(x) - 1

static const char *cal_text =
    "years 2026-2026\n"
    "weekdays mon-fri\n"
    "hours 07:30-11:30 13:00-17:00\n"
    "holiday 2026-12-31 test holiday\n";

static dvc_calendar_t *cal;

static int
setup(void **state)
{
    char  err[256];

    (void) state;
    cal = dvc_calendar_parse(&dvc_alloc_std, cal_text, strlen(cal_text),
                             err, sizeof(err));
    if (cal == NULL) {
        fprintf(stderr, "calendar: %s\n", err);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    dvc_calendar_free(&dvc_alloc_std, cal);
    return 0;
}

static int64_t
at(const char *iso)
{
    int64_t  t;

    if (dvc_time_parse_vn(iso, strlen(iso), &t) != 0) {
        fail_msg("bad time %s", iso);
    }
    return t;
}

/* The deltas of change c, applied to *s; "counter@day+1 counter@day-1". */
static const char *
deltas(dvc_stat_state_t *s, dvc_stat_change_t *c)
{
    static char        text[512];
    char               err[128];
    size_t             n, i, len;
    dvc_stat_delta_t   out[DVC_STAT_MAX_DELTAS];

    if (dvc_stats_change(cal, s, c, s, out, DVC_STAT_MAX_DELTAS, &n,
                         err, sizeof(err)) != 0)
    {
        fail_msg("dvc_stats_change: %s", err);
    }
    text[0] = '\0';
    for (i = 0, len = 0; i < n; i++) {
        len += snprintf(text + len, sizeof(text) - len, "%s%s@%s%+lld",
                        i ? " " : "", dvc_stat_counter_name(out[i].counter),
                        out[i].day, (long long) out[i].delta);
    }
    return text;
}

/* A change of an online dossier. */
static const char *
change(dvc_stat_state_t *s, dvc_stat_kind_t kind, const char *when,
    int64_t due)
{
    dvc_stat_change_t  c;

    memset(&c, 0, sizeof(c));
    c.kind = kind;
    c.at = at(when);
    c.due = due;
    c.channel = DVC_CHANNEL_ONLINE;
    return deltas(s, &c);
}

/* A submission through channel ch: *s starts afresh. */
static const char *
submit(dvc_stat_state_t *s, dvc_channel_t ch, const char *when, int64_t due)
{
    dvc_stat_change_t  c;

    dvc_stat_state_init(s);
    memset(&c, 0, sizeof(c));
    c.kind = DVC_STAT_SUBMISSION;
    c.at = at(when);
    c.due = due;
    c.channel = ch;
    return deltas(s, &c);
}


static void
test_cells_and_keys(void **state)
{
    char  cell[DVC_STAT_KEY_MAX], key[DVC_STAT_KEY_MAX];
    int   n;

    (void) state;
    assert_int_equal(dvc_stat_cell(0, NULL, 0, NULL, 0, cell, sizeof(cell)), 3);
    assert_string_equal(cell, "all");
    dvc_stat_cell(1, S("000.00.10.H47"), S("1.000001"), cell, sizeof(cell));
    assert_string_equal(cell, "a:000.00.10.H47");
    dvc_stat_cell(2, S("000.00.10.H47"), S("1.000001"), cell, sizeof(cell));
    assert_string_equal(cell, "p:1.000001");
    n = dvc_stat_cell(3, S("000.00.10.H47"), S("1.000001"), cell, sizeof(cell));
    assert_string_equal(cell, "ap:000.00.10.H47:1.000001");
    assert_int_equal(n, (int) strlen(cell));

    n = dvc_stat_key(cell, n, DVC_STAT_CLOSED_LATE_A, key, sizeof(key));
    assert_int_equal(n, (int) strlen(key));
    assert_string_equal(key, "dvc:st:ap:000.00.10.H47:1.000001:closed_late_a");

    /* a ':' would make ap:{agency}:{procedure} ambiguous */
    assert_int_equal(dvc_stat_cell(1, S("a:b"), NULL, 0, cell, sizeof(cell)), -1);
    assert_int_equal(dvc_stat_cell(3, S("A"), NULL, 0, cell, sizeof(cell)), -1);
    assert_int_equal(dvc_stat_cell(2, NULL, 0, S("1.000001"), cell, 5), -1);
    assert_false(dvc_stat_name_ok(S("")));
    assert_false(dvc_stat_name_ok(S("x y")));
    assert_false(dvc_stat_name_ok(S("Hồng Gai")));
    assert_true(dvc_stat_name_ok(S("G01.12.00.A00")));
    assert_int_equal(dvc_stat_key(S("all"), DVC_STAT_RATING_VERY_SATISFIED,
                                  key, 20), -1);
    assert_null(dvc_stat_counter_name(DVC_STAT_NCOUNTERS));
    assert_string_equal(dvc_stat_counter_name(DVC_STAT_LEFT_DESK_ONTIME),
                        "left_desk_ontime");
}


/* the fields a diff wrote, read back as the glue reads them: in the HMGET
 * order of dvc_stat_field_names, absent ones NULL */
static void
read_back(const dvc_stat_field_t *f, size_t n, dvc_stat_state_t *r)
{
    const char  *vals[DVC_STAT_NFIELDS];
    size_t       lens[DVC_STAT_NFIELDS], i;
    int          j;
    char         err[128];

    for (j = 0; j < DVC_STAT_NFIELDS; j++) {
        vals[j] = NULL;
        lens[j] = 0;
        for (i = 0; i < n; i++) {
            if (strcmp(f[i].name, dvc_stat_field_names[j]) == 0) {
                vals[j] = f[i].value;
                lens[j] = strlen(f[i].value);
            }
        }
    }
    assert_int_equal(dvc_stat_state_from_values(r, vals, lens, err,
                                                sizeof(err)), 0);
}


static void
test_state_round_trip(void **state)
{
    dvc_stat_state_t  s, r;
    dvc_stat_field_t  f[DVC_STAT_NFIELDS];
    const char       *vals[DVC_STAT_NFIELDS];
    size_t            lens[DVC_STAT_NFIELDS], n;
    int               j;
    char              err[128];

    (void) state;
    dvc_stat_state_init(&s);
    s.channel = DVC_CHANNEL_POSTAL;
    s.received = 1;
    s.due = at("2026-11-26T17:00:00+07:00");
    s.apology = 1;

    n = dvc_stat_state_diff(NULL, &s, f);
    assert_int_equal(n, 4);
    assert_string_equal(f[0].name, "st_ch");
    assert_string_equal(f[0].value, "postal");
    assert_string_equal(f[2].name, "st_due");
    assert_string_equal(f[2].value, "1795687200");

    /* back through the HMGET order */
    read_back(f, n, &r);
    assert_memory_equal(&r, &s, sizeof(s));

    /* only what changed; a zero value is deleted, never written */
    r.apology = 0;
    r.closed = 1;
    n = dvc_stat_state_diff(&s, &r, f);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].name, "st_cl");
    assert_string_equal(f[0].value, "1");
    assert_false(f[0].del);
    assert_string_equal(f[1].name, "st_apo");
    assert_true(f[1].del);
    assert_int_equal(dvc_stat_state_diff(&s, &s, f), 0);

    /* one field at a time, as from HGETALL */
    dvc_stat_state_init(&r);
    assert_int_equal(dvc_stat_state_field(&r, S("st_desk"), S("1")), 1);
    assert_int_equal(dvc_stat_state_field(&r, S("st_adl"), S("1795600800")), 1);
    assert_int_equal(dvc_stat_state_field(&r, S("status"), S("2")), 0);
    assert_int_equal(dvc_stat_state_field(&r, S("st_due"), S("12x")), -1);
    assert_int_equal(dvc_stat_state_field(&r, S("st_ch"), S("fax")), -1);
    assert_int_equal(dvc_stat_state_field(&r, S("st_rcv"), S("2")), -1);
    assert_true(r.at_desk);
    assert_int_equal(r.accept_deadline, 1795600800);

    for (j = 0; j < DVC_STAT_NFIELDS; j++) {
        vals[j] = NULL;
        lens[j] = 0;
    }
    vals[3] = "-5";
    lens[3] = 2;
    assert_int_equal(dvc_stat_state_from_values(&r, vals, lens, err,
                                                sizeof(err)), -1);
    assert_string_equal(err, "malformed statistics field st_due");
}


static void
test_submission(void **state)
{
    dvc_stat_state_t  s;

    (void) state;

    /* online, waits at the desk: 1 working day to accept */
    assert_string_equal(submit(&s, DVC_CHANNEL_ONLINE,
                               "2026-11-23T09:00:00+07:00", 0),
                        "submitted_online@20261123+1 accept_due@20261124+1");
    assert_true(s.at_desk);
    assert_int_equal(s.accept_deadline, at("2026-11-24T09:00:00+07:00"));
    assert_false(s.received);

    /* Friday 16:00: one office hour Friday, seven on Monday */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-27T16:00:00+07:00", 0);
    assert_int_equal(s.accept_deadline, at("2026-11-30T16:00:00+07:00"));
    /* Saturday: counting starts Monday 07:30 and ends at 17:00 */
    assert_string_equal(submit(&s, DVC_CHANNEL_ONLINE,
                               "2026-11-28T10:00:00+07:00", 0),
                        "submitted_online@20261128+1 accept_due@20261130+1");
    assert_int_equal(s.accept_deadline, at("2026-11-30T17:00:00+07:00"));

    /* auto-accepted: received at once, never in the desk's pool */
    assert_string_equal(submit(&s, DVC_CHANNEL_ONLINE,
                               "2026-11-23T09:00:00+07:00",
                               at("2026-11-25T09:00:00+07:00")),
                        "received_online@20261123+1 due_n@20261125+1");
    assert_false(s.at_desk);
    assert_true(s.received);
    assert_int_equal(s.due, at("2026-11-25T09:00:00+07:00"));

    /* counter and postal intake: accepted at once, by channel */
    assert_string_equal(submit(&s, DVC_CHANNEL_COUNTER,
                               "2026-11-23T23:30:00+07:00",
                               at("2026-12-01T17:00:00+07:00")),
                        "received_counter@20261123+1 due_n@20261201+1");
    assert_string_equal(submit(&s, DVC_CHANNEL_POSTAL,
                               "2026-11-24T00:10:00+07:00",
                               at("2026-12-01T17:00:00+07:00")),
                        "received_postal@20261124+1 due_n@20261201+1");
    assert_int_equal(s.channel, DVC_CHANNEL_POSTAL);
}


/* The day is the Vietnam date: 16:59:59Z on the 23rd is the 23rd, 17:00Z
 * already the 24th. */
static void
test_vietnam_day(void **state)
{
    dvc_stat_state_t  s;

    (void) state;
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00",
           at("2026-11-27T17:00:00+07:00"));
    assert_string_equal(change(&s, DVC_STAT_STOPPED_CHANGE,
                               "2026-11-23T16:59:59Z", 0),
                        "stopped@20261123+1 closed@20261123+1 "
                        "closed_ontime_n@20261127+1");
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00",
           at("2026-11-27T17:00:00+07:00"));
    assert_string_equal(change(&s, DVC_STAT_STOPPED_CHANGE,
                               "2026-11-23T17:00:00Z", 0),
                        "stopped@20261124+1 closed@20261124+1 "
                        "closed_ontime_n@20261127+1");
}


static void
test_acceptance_deadline(void **state)
{
    dvc_stat_state_t  s;
    int64_t           due = at("2026-12-04T17:00:00+07:00");

    (void) state;

    /* exactly at the deadline: on time, counted on the deadline day */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-11-24T09:00:00+07:00", due),
                        "left_desk@20261124+1 left_desk_ontime@20261124+1 "
                        "received_online@20261124+1 due_n@20261204+1");
    assert_false(s.at_desk);
    assert_int_equal(s.accept_deadline, 0);

    /* one second later: late, counted on the departure day */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-11-24T09:00:01+07:00", due),
                        "left_desk@20261124+1 left_desk_late@20261124+1 "
                        "received_online@20261124+1 due_n@20261204+1");

    /* early, the same day: on time, still by the deadline day */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-11-23T10:00:00+07:00", due),
                        "left_desk@20261123+1 left_desk_ontime@20261124+1 "
                        "received_online@20261123+1 due_n@20261204+1");

    /* a refusal also leaves the desk; the dossier was never received */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-27T16:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_REFUSED_CHANGE,
                               "2026-12-01T08:00:00+07:00", 0),
                        "left_desk@20261201+1 left_desk_late@20261201+1 "
                        "refused@20261201+1");
    assert_false(s.received);
    assert_false(s.closed);

    /* so does a supplement request straight from the desk */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_SUPPLEMENT_REQUESTED,
                               "2026-11-23T15:00:00+07:00", 0),
                        "left_desk@20261123+1 left_desk_ontime@20261124+1");
    /* ... and only the first departure counts: back at the desk after the
     * supplement, the acceptance is no departure from the pool again */
    assert_string_equal(change(&s, DVC_STAT_SUPPLEMENT_RECEIVED,
                               "2026-11-25T08:00:00+07:00", 0), "");
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-11-26T08:00:00+07:00", due),
                        "received_online@20261126+1 due_n@20261204+1");
}


static void
test_resolution_boundaries(void **state)
{
    dvc_stat_state_t  s;
    int64_t           due = at("2026-11-26T17:00:00+07:00");

    (void) state;

    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-25T16:59:59+07:00", 0),
                        "resolved_early@20261125+1 closed@20261125+1 "
                        "closed_ontime_n@20261126+1");
    assert_true(s.closed);
    /* already closed: a second resolution counts nothing */
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-25T17:00:00+07:00", 0), "");

    /* the due day's first minute: on time, not early */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-26T00:00:00+07:00", 0),
                        "resolved_ontime@20261126+1 closed@20261126+1 "
                        "closed_ontime_n@20261126+1");

    /* exactly at the due time: on time */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-26T17:00:00+07:00", 0),
                        "resolved_ontime@20261126+1 closed@20261126+1 "
                        "closed_ontime_n@20261126+1");

    /* one second after: late, on the same day */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-26T17:00:01+07:00", 0),
                        "resolved_late@20261126+1 closed@20261126+1 "
                        "closed_late_n@20261126+1");

    /* days later: late, by the closing day */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_PROCESSING,
                               "2026-11-24T09:00:00+07:00", 0), "");
    assert_string_equal(change(&s, DVC_STAT_PAYMENT,
                               "2026-11-24T10:00:00+07:00", 0), "");
    assert_string_equal(change(&s, DVC_STAT_PROCESSING,
                               "2026-11-24T11:00:00+07:00", 0), "");
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-12-02T09:00:00+07:00", 0),
                        "resolved_late@20261202+1 closed@20261202+1 "
                        "closed_late_n@20261202+1");
    /* returning the result and rating it are no closings */
    assert_string_equal(change(&s, DVC_STAT_RETURNED,
                               "2026-12-03T09:00:00+07:00", 0), "");
}


static void
test_apology(void **state)
{
    dvc_stat_state_t  s;
    int64_t           due = at("2026-11-26T17:00:00+07:00");

    (void) state;

    /* before the due: moved on the due day */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_DELAY,
                               "2026-11-25T10:00:00+07:00", 0),
                        "due_n@20261126-1 due_a@20261126+1");
    assert_true(s.apology);
    /* a second apology moves nothing */
    assert_string_equal(change(&s, DVC_STAT_DELAY,
                               "2026-11-26T10:00:00+07:00", 0), "");
    /* lateness is still judged on the original due time */
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-30T10:00:00+07:00", 0),
                        "resolved_late@20261130+1 closed@20261130+1 "
                        "closed_late_a@20261130+1");

    /* after the due has passed: moved on the day of the apology, so a report
     * as of the 28th still shows it overdue without an apology */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_DELAY,
                               "2026-11-30T10:00:00+07:00", 0),
                        "due_n@20261130-1 due_a@20261130+1");
    /* closed on time with an apology (the apology came before the due) */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    change(&s, DVC_STAT_DELAY, "2026-11-24T10:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_STOPPED_CHANGE,
                               "2026-11-26T10:00:00+07:00", 0),
                        "stopped@20261126+1 closed@20261126+1 "
                        "closed_ontime_a@20261126+1");
}


static void
test_supplement(void **state)
{
    dvc_stat_state_t  s;
    int64_t           due = at("2026-11-26T17:00:00+07:00");
    int64_t           due2 = at("2026-12-08T17:00:00+07:00");

    (void) state;

    /* before the due: removed on the due day (the +1 and -1 cancel) */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_SUPPLEMENT_REQUESTED,
                               "2026-11-24T09:00:00+07:00", 0),
                        "due_n@20261126-1");
    assert_int_equal(s.due, 0);
    assert_string_equal(change(&s, DVC_STAT_SUPPLEMENT_RECEIVED,
                               "2026-11-30T09:00:00+07:00", 0), "");
    /* re-acceptance: the new due, never received twice */
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-12-01T09:00:00+07:00", due2),
                        "due_n@20261208+1");
    assert_int_equal(s.due, due2);
    /* judged against the new due: on the 8th by 17:00 is on time */
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-12-08T16:00:00+07:00", 0),
                        "resolved_ontime@20261208+1 closed@20261208+1 "
                        "closed_ontime_n@20261208+1");

    /* after the due, with an apology: removed on the request's day, from
     * due_a; the fresh appointment starts without an apology */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    change(&s, DVC_STAT_DELAY, "2026-11-25T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_SUPPLEMENT_REQUESTED,
                               "2026-11-27T09:00:00+07:00", 0),
                        "due_a@20261127-1");
    assert_false(s.apology);
    change(&s, DVC_STAT_SUPPLEMENT_RECEIVED, "2026-11-30T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-12-01T09:00:00+07:00", due2),
                        "due_n@20261208+1");

    /* stopped while waiting for the supplement: no due, closed only */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    change(&s, DVC_STAT_SUPPLEMENT_REQUESTED, "2026-11-24T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_STOPPED_CHANGE,
                               "2026-12-20T09:00:00+07:00", 0),
                        "stopped@20261220+1 closed@20261220+1");

    /* refused at the desk after the supplement came back: an accepted
     * dossier entering 3 closes */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    change(&s, DVC_STAT_SUPPLEMENT_REQUESTED, "2026-11-24T09:00:00+07:00", 0);
    change(&s, DVC_STAT_SUPPLEMENT_RECEIVED, "2026-11-25T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_REFUSED_CHANGE,
                               "2026-11-25T10:00:00+07:00", 0),
                        "refused@20261125+1 closed@20261125+1");
}


static void
test_withdrawal(void **state)
{
    dvc_stat_state_t  s;
    int64_t           due = at("2026-11-26T17:00:00+07:00");

    (void) state;

    /* before acceptance: leaves the desk; withdrawn, never closed */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_WITHDRAWAL_REQUESTED,
                               "2026-11-23T10:00:00+07:00", 0),
                        "left_desk@20261123+1 left_desk_ontime@20261124+1");
    assert_string_equal(change(&s, DVC_STAT_WITHDRAWAL_CONFIRMED,
                               "2026-11-24T10:00:00+07:00", 0),
                        "withdrawn@20261124+1");

    /* declined: back where it was, nothing counted; requested again later */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    assert_string_equal(change(&s, DVC_STAT_WITHDRAWAL_REQUESTED,
                               "2026-11-24T10:00:00+07:00", 0), "");
    assert_string_equal(change(&s, DVC_STAT_WITHDRAWAL_DECLINED,
                               "2026-11-24T11:00:00+07:00", 0), "");
    change(&s, DVC_STAT_WITHDRAWAL_REQUESTED, "2026-11-26T10:00:00+07:00", 0);
    /* confirmed by the due: withdrawn, closed on time */
    assert_string_equal(change(&s, DVC_STAT_WITHDRAWAL_CONFIRMED,
                               "2026-11-26T16:00:00+07:00", 0),
                        "withdrawn@20261126+1 closed@20261126+1 "
                        "closed_ontime_n@20261126+1");

    /* confirmed after the due: closed late */
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00", due);
    change(&s, DVC_STAT_WITHDRAWAL_REQUESTED, "2026-11-26T10:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_WITHDRAWAL_CONFIRMED,
                               "2026-11-27T08:00:00+07:00", 0),
                        "withdrawn@20261127+1 closed@20261127+1 "
                        "closed_late_n@20261127+1");
}


static void
test_ratings_and_errors(void **state)
{
    dvc_stat_state_t   s, before;
    dvc_stat_change_t  c;
    dvc_stat_delta_t   out[DVC_STAT_MAX_DELTAS];
    size_t             n;
    char               err[128];

    (void) state;
    submit(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00",
           at("2026-11-26T17:00:00+07:00"));
    change(&s, DVC_STAT_RESOLVED_CHANGE, "2026-11-24T09:00:00+07:00", 0);

    memset(&c, 0, sizeof(c));
    c.kind = DVC_STAT_RATING;
    c.at = at("2026-11-25T08:00:00+07:00");
    c.rating = DVC_RATING_DISSATISFIED;
    assert_int_equal(dvc_stats_change(NULL, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].counter, DVC_STAT_RATING_DISSATISFIED);
    assert_string_equal(out[0].day, "20261125");
    assert_int_equal(out[0].delta, 1);

    c.rating = 0;
    assert_int_equal(dvc_stats_change(NULL, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), -1);
    assert_string_equal(err, "rating without a level");

    /* acceptance needs its due; an online submission needs the calendar */
    dvc_stat_state_init(&s);
    s.channel = DVC_CHANNEL_ONLINE;
    s.at_desk = 1;
    s.accept_deadline = at("2026-11-24T09:00:00+07:00");
    before = s;
    c.kind = DVC_STAT_ACCEPTED;
    c.due = 0;
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), -1);
    assert_string_equal(err, "acceptance without a due time");
    assert_memory_equal(&s, &before, sizeof(s));  /* untouched on error */

    c.kind = DVC_STAT_SUBMISSION;
    c.channel = DVC_CHANNEL_ONLINE;
    assert_int_equal(dvc_stats_change(NULL, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), -1);
    /* a calendar that does not cover the year cannot answer */
    c.at = at("2027-03-01T09:00:00+07:00");
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), -1);
    c.channel = DVC_CHANNEL_NONE;
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), -1);
    assert_string_equal(err, "submission without a channel");

    /* too small an output: refused, never truncated */
    c.at = at("2026-11-23T09:00:00+07:00");
    c.channel = DVC_CHANNEL_ONLINE;
    c.kind = DVC_STAT_ACCEPTED;
    c.due = at("2026-11-26T17:00:00+07:00");
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out, 3, &n, err,
                                      sizeof(err)), -1);
    assert_string_equal(err, "statistics delta buffer too small");
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out, 4, &n, err,
                                      sizeof(err)), 0);
    assert_int_equal(n, 4);

    c.kind = 99;
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out, 8, &n, err,
                                      sizeof(err)), -1);

    assert_int_equal(dvc_rating_by_name(S("satisfied")), DVC_RATING_SATISFIED);
    assert_int_equal(dvc_rating_by_name(S("happy")), 0);
    assert_string_equal(dvc_rating_name(DVC_RATING_VERY_SATISFIED),
                        "very_satisfied");
    assert_int_equal(dvc_channel_by_name(S("counter")), DVC_CHANNEL_COUNTER);
    assert_int_equal(dvc_channel_by_name(S("onlin")), DVC_CHANNEL_NONE);
}


/* ------------------------------------------------------------------ report */

static size_t
len(const char *s)
{
    return s ? strlen(s) : 0;
}

static void
test_query(void **state)
{
    dvc_stat_query_t  q;
    const char       *bad = NULL;
    char              err[128], cell[DVC_STAT_KEY_MAX];

    (void) state;
#define Q(f, t, a, p)                                                       \
    dvc_stat_query_parse(&q, f, len(f), t, len(t), a, len(a), p, len(p),    \
                         NULL, 0, NULL, 0, &bad, err, sizeof(err))

    assert_int_equal(Q("2026-01-01", "2026-12-31", NULL, NULL), 0);
    assert_int_equal(q.from, 20260101);
    assert_int_equal(q.to, 20261231);
    assert_int_equal(dvc_stat_query_cell(&q, cell, sizeof(cell)), 3);
    assert_string_equal(cell, "all");

    assert_int_equal(Q("2026-01-01", "2026-01-01", "000.00.10.H47",
                       "1.000001"), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "ap:000.00.10.H47:1.000001");
    assert_int_equal(Q("2026-01-01", "2026-01-01", NULL, "1.000001"), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "p:1.000001");

    assert_int_equal(Q(NULL, "2026-12-31", NULL, NULL), -1);
    assert_string_equal(bad, "from");
    assert_int_equal(Q("2026-02-29", "2026-12-31", NULL, NULL), -1);
    assert_string_equal(bad, "from");
    assert_int_equal(Q("2026-1-01", "2026-12-31", NULL, NULL), -1);
    assert_string_equal(bad, "from");
    assert_int_equal(Q("2026-01-01", NULL, NULL, NULL), -1);
    assert_string_equal(bad, "to");
    assert_int_equal(Q("2026-01-01", "2026-13-01", NULL, NULL), -1);
    assert_string_equal(bad, "to");
    assert_int_equal(Q("2026-01-02", "2026-01-01", NULL, NULL), -1);
    assert_string_equal(bad, "to");
    assert_string_equal(err, "to must not be before from");
    /* 1,098 days is the most: 2024-01-01..2027-01-02 inclusive */
    assert_int_equal(Q("2024-01-01", "2027-01-02", NULL, NULL), 0);
    assert_int_equal(Q("2024-01-01", "2027-01-03", NULL, NULL), -1);
    assert_string_equal(bad, "to");
    assert_int_equal(Q("2026-01-01", "2026-12-31", "000:1", NULL), -1);
    assert_string_equal(bad, "agency");
    assert_int_equal(Q("2026-01-01", "2026-12-31", NULL, ""), -1);
    assert_string_equal(bad, "procedure");

    /* the years 2000-2100 only, at both ends of both dates */
    assert_int_equal(Q("2000-01-01", "2000-01-01", NULL, NULL), 0);
    assert_int_equal(Q("2100-12-31", "2100-12-31", NULL, NULL), 0);
    assert_int_equal(Q("1999-12-31", "2000-01-01", NULL, NULL), -1);
    assert_string_equal(bad, "from");
    assert_string_equal(err, "from must be a date YYYY-MM-DD of the years "
                        "2000-2100");
    assert_int_equal(Q("1970-01-01", "1970-01-02", NULL, NULL), -1);
    assert_string_equal(bad, "from");
    assert_int_equal(Q("2100-12-31", "2101-01-01", NULL, NULL), -1);
    assert_string_equal(bad, "to");
    assert_string_equal(err, "to must be a date YYYY-MM-DD of the years "
                        "2000-2100");
    assert_int_equal(Q("0000-01-01", "9999-12-31", NULL, NULL), -1);
    assert_string_equal(bad, "from");
    assert_int_equal(Q("2026-01-01", "9999-12-31", NULL, NULL), -1);
    assert_string_equal(bad, "to");
#undef Q
}


/* A counter hash field into sums, checked. */
static void
add(dvc_stat_sums_t *s, dvc_stat_counter_t c, const char *day, long long v)
{
    char  val[32];

    snprintf(val, sizeof(val), "%lld", v);
    assert_int_equal(dvc_stat_sums_add(s, c, day, strlen(day), val,
                                       strlen(val)), 0);
}


/*
 * Quảng Ninh's reported year: 62,798 dossiers received new, 1,612 carried
 * over, 63,256 handled on time (resolved early or on time, or still in
 * progress within time): 98.2 %.  The counters below are one way to get
 * there, spread over days before and inside the period.
 */
static void
qn_sums(dvc_stat_sums_t *s)
{
    dvc_stat_sums_init(s, 20260101, 20261231);

    /* before the year: 9,000 received, 7,388 closed on time -> 1,612
     * carried over, all due in January */
    add(s, DVC_STAT_RECEIVED_ONLINE, "20251103", 6000);
    add(s, DVC_STAT_RECEIVED_COUNTER, "20251215", 3000);
    add(s, DVC_STAT_CLOSED, "20251120", 7388);
    add(s, DVC_STAT_DUE_N, "20251201", 7388);
    add(s, DVC_STAT_CLOSED_ONTIME_N, "20251201", 7388);
    add(s, DVC_STAT_DUE_N, "20260115", 1612);

    /* the year: 62,798 received */
    add(s, DVC_STAT_RECEIVED_ONLINE, "20260105", 20000);
    add(s, DVC_STAT_RECEIVED_ONLINE, "20261230", 21000);
    add(s, DVC_STAT_RECEIVED_POSTAL, "20260701", 2798);
    add(s, DVC_STAT_RECEIVED_COUNTER, "20260301", 19000);
    /* 62,798 resolved (the 1,612 carried over and 61,186 new ones): 40,000
     * early + 22,380 on time + 418 late */
    add(s, DVC_STAT_RESOLVED_EARLY, "20260201", 40000);
    add(s, DVC_STAT_RESOLVED_ONTIME, "20260601", 22380);
    add(s, DVC_STAT_RESOLVED_LATE, "20261101", 418);
    add(s, DVC_STAT_CLOSED, "20260601", 62798);
    add(s, DVC_STAT_CLOSED_ONTIME_N, "20260601", 62380);
    add(s, DVC_STAT_CLOSED_LATE_N, "20261101", 418);
    /* the new ones' dues: 876 fall in 2027 (still in time at the year's
     * end), 36 of the rest were apologised for */
    add(s, DVC_STAT_DUE_N, "20260601", 62798 - 876 - 36);
    add(s, DVC_STAT_DUE_A, "20260601", 36);
    add(s, DVC_STAT_DUE_N, "20270115", 876);
    /* after the year: ignored */
    add(s, DVC_STAT_RECEIVED_ONLINE, "20270102", 5000);
    add(s, DVC_STAT_CLOSED, "20270102", 99);
}


static void
test_report_quang_ninh(void **state)
{
    dvc_stat_sums_t    s;
    dvc_stat_report_t  r;
    dvc_stat_query_t   q;
    dvc_buf_t          b;

    (void) state;
    qn_sums(&s);
    dvc_stat_report(&s, &r);

    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 62798);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_ONLINE], 41000);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_POSTAL], 2798);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_COUNTER], 19000);
    assert_int_equal(r.fig[DVC_FIG_CARRIED_OVER], 1612);
    assert_int_equal(r.fig[DVC_FIG_HANDLED], 64410);
    assert_int_equal(r.fig[DVC_FIG_RESOLVED], 62798);
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS], 1612);
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITH_APOLOGY], 36);
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITHOUT_APOLOGY], 700);
    assert_int_equal(r.fig[DVC_FIG_OVERDUE], 736);
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS_ON_TIME], 876);
    /* 40,000 + 22,380 + 876 = 63,256 */
    assert_int_equal(r.num[DVC_RATE_ON_TIME_HANDLED], 63256);
    assert_int_equal(r.den[DVC_RATE_ON_TIME_HANDLED], 64410);
    assert_int_equal(r.den[DVC_RATE_SATISFACTION], 0);

    q.from = 20260101;
    q.to = 20261231;
    q.agency = NULL;
    q.procedure = NULL;
    q.level = 0;
    q.sector = NULL;
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_stat_report_json(&q, &r, &b), 0);
    dvc_buf_cstr(&b);
    assert_non_null(strstr(b.data, "{\"from\":\"2026-01-01\",\"to\":\"2026-12-31\","
                           "\"as_of\":\"2027-01-01T00:00:00+07:00\","
                           "\"agency\":null,\"procedure\":null,"
                           "\"level\":null,\"sector\":null,"
                           "\"received_new\":62798,"));
    assert_non_null(strstr(b.data, ",\"carried_over\":1612,\"handled\":64410,"));
    assert_non_null(strstr(b.data, "\"on_time_rate_handled\":0.9821,"
                           "\"on_time_rate_handled_percent\":\"98.2%\""));
    /* 62,380 / 62,798 = 0.99334... */
    assert_non_null(strstr(b.data, "\"on_time_rate_resolved\":0.9933,"
                           "\"on_time_rate_resolved_percent\":\"99.3%\""));
    assert_non_null(strstr(b.data, "\"satisfaction_rate\":null,"
                           "\"satisfaction_rate_percent\":null,"));

    dvc_buf_reset(&b);
    assert_int_equal(dvc_stat_report_csv(&q, &r, &b), 0);
    dvc_buf_cstr(&b);
    assert_memory_equal(b.data, "figure,value,definition_vi\r\n"
                        "received_new,62798,\"Hồ sơ mới tiếp nhận trong kỳ",
                        strlen("figure,value,definition_vi\r\n"
                               "received_new,62798,\"Hồ sơ mới tiếp nhận "
                               "trong kỳ"));
    assert_non_null(strstr(b.data, "\r\ncarried_over,1612,\""));
    assert_non_null(strstr(b.data, "\r\non_time_rate_handled,0.9821,\""));
    assert_non_null(strstr(b.data, "\r\nsatisfaction_rate,,\""));
    assert_int_equal(b.data[b.len - 1], '\n');
    dvc_buf_free(&b);
}


static void
test_sums_and_rates(void **state)
{
    dvc_stat_sums_t    s;
    dvc_stat_report_t  r;
    dvc_stat_query_t   q;
    dvc_buf_t          b;

    (void) state;
    dvc_stat_sums_init(&s, 20261123, 20261129);
    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_REFUSED, S("2026112"),
                                       S("1")), -1);
    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_REFUSED, S("20261123"),
                                       S("1x")), -1);
    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_REFUSED, S("20261123"),
                                       S("-")), -1);
    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_NCOUNTERS, S("20261123"),
                                       S("1")), -1);
    /* the period's bounds are inclusive days */
    add(&s, DVC_STAT_REFUSED, "20261122", 100);
    add(&s, DVC_STAT_REFUSED, "20261123", 1);
    add(&s, DVC_STAT_REFUSED, "20261129", 2);
    add(&s, DVC_STAT_REFUSED, "20261130", 1000);
    add(&s, DVC_STAT_RATING_VERY_SATISFIED, "20261125", 2);
    add(&s, DVC_STAT_RATING_SATISFIED, "20261125", 1);
    add(&s, DVC_STAT_RATING_DISSATISFIED, "20261125", 3);
    /* the awaiting pool as of the 30th */
    add(&s, DVC_STAT_SUBMITTED_ONLINE, "20261120", 10);
    add(&s, DVC_STAT_SUBMITTED_ONLINE, "20261129", 5);
    add(&s, DVC_STAT_LEFT_DESK, "20261125", 9);
    add(&s, DVC_STAT_ACCEPT_DUE, "20261123", 10);
    add(&s, DVC_STAT_ACCEPT_DUE, "20261130", 5);        /* not yet due */
    add(&s, DVC_STAT_LEFT_DESK_LATE, "20261125", 3);
    add(&s, DVC_STAT_LEFT_DESK_ONTIME, "20261123", 5);
    dvc_stat_report(&s, &r);

    assert_int_equal(r.fig[DVC_FIG_REFUSED], 3);
    assert_int_equal(r.fig[DVC_FIG_RATINGS], 6);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_ACCEPTANCE], 6);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_LATE], 2);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_ON_TIME], 4);
    assert_int_equal(r.den[DVC_RATE_ON_TIME_HANDLED], 0);

    q.from = 20261123;
    q.to = 20261129;
    q.agency = "000.00.10.H47";
    q.agency_len = strlen(q.agency);
    q.procedure = NULL;
    q.level = 0;
    q.sector = NULL;
    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_stat_report_json(&q, &r, &b);
    dvc_buf_cstr(&b);
    assert_non_null(strstr(b.data, "\"as_of\":\"2026-11-30T00:00:00+07:00\","
                           "\"agency\":\"000.00.10.H47\",\"procedure\":null,"));
    /* 3 of 6 satisfied: exactly half; 2/3 rounds up */
    assert_non_null(strstr(b.data, "\"satisfaction_rate\":0.5000,"
                           "\"satisfaction_rate_percent\":\"50.0%\","));
    assert_non_null(strstr(b.data, "\"on_time_rate_handled\":null,"
                           "\"on_time_rate_handled_percent\":null,"));
    dvc_buf_free(&b);

    r.num[DVC_RATE_SATISFACTION] = 2;
    r.den[DVC_RATE_SATISFACTION] = 3;
    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_stat_report_json(&q, &r, &b);
    dvc_buf_cstr(&b);
    assert_non_null(strstr(b.data, "\"satisfaction_rate\":0.6667,"
                           "\"satisfaction_rate_percent\":\"66.7%\","));
    dvc_buf_free(&b);
}


/* Old days folded into a "YYYY" field (scripts/stats-rollup.sh). */
static void
test_rolled_up_years(void **state)
{
    dvc_stat_sums_t  s;

    (void) state;

    /* a year before the period: before it, like its days were */
    dvc_stat_sums_init(&s, 20260301, 20260331);
    add(&s, DVC_STAT_RECEIVED_ONLINE, "2024", 5000);
    add(&s, DVC_STAT_RECEIVED_ONLINE, "2025", 7000);
    add(&s, DVC_STAT_RECEIVED_ONLINE, "20260110", 3);
    add(&s, DVC_STAT_RECEIVED_ONLINE, "20260310", 4);
    add(&s, DVC_STAT_RECEIVED_ONLINE, "2027", 99);       /* after: ignored */
    assert_int_equal(s.before[DVC_STAT_RECEIVED_ONLINE], 12003);
    assert_int_equal(s.during[DVC_STAT_RECEIVED_ONLINE], 4);
    assert_int_equal(s.rolled_up, 0);

    /* a period holding the whole year: in it */
    dvc_stat_sums_init(&s, 20250101, 20251231);
    add(&s, DVC_STAT_CLOSED, "2024", 10);
    add(&s, DVC_STAT_CLOSED, "2025", 20);
    assert_int_equal(s.before[DVC_STAT_CLOSED], 10);
    assert_int_equal(s.during[DVC_STAT_CLOSED], 20);
    assert_int_equal(s.rolled_up, 0);
    dvc_stat_sums_init(&s, 20241201, 20260131);
    add(&s, DVC_STAT_CLOSED, "2025", 20);
    assert_int_equal(s.during[DVC_STAT_CLOSED], 20);
    assert_int_equal(s.rolled_up, 0);

    /* a period that cuts a rolled-up year cannot be answered */
    dvc_stat_sums_init(&s, 20250201, 20251231);
    add(&s, DVC_STAT_CLOSED, "2024", 10);
    add(&s, DVC_STAT_CLOSED, "2025", 20);
    assert_int_equal(s.rolled_up, 2025);
    assert_int_equal(s.before[DVC_STAT_CLOSED] + s.during[DVC_STAT_CLOSED], 10);
    dvc_stat_sums_init(&s, 20250101, 20251230);
    add(&s, DVC_STAT_CLOSED, "2025", 20);
    assert_int_equal(s.rolled_up, 2025);

    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_CLOSED, S("202"), S("1")), -1);
    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_CLOSED, S("202511"), S("1")), -1);
    assert_int_equal(dvc_stat_sums_add(&s, DVC_STAT_CLOSED, S("20x5"), S("1")), -1);
}


/* ------------------------------------------------------- a small province */

/* Counters kept as Redis would: (counter, day) -> value. */
typedef struct {
    int   counter;
    char  day[9];
    long  value;
} cell_t;

typedef struct {
    cell_t  c[256];
    int     n;
} store_t;

static void
apply(store_t *st, dvc_stat_state_t *s, dvc_stat_kind_t kind,
    const char *when, const char *due, dvc_channel_t ch, dvc_rating_t rating)
{
    dvc_stat_change_t  c;
    dvc_stat_delta_t   out[DVC_STAT_MAX_DELTAS];
    size_t             n, i;
    int                j;
    char               err[128];

    memset(&c, 0, sizeof(c));
    c.kind = kind;
    c.at = at(when);
    c.due = due ? at(due) : 0;
    c.channel = ch;
    c.rating = rating;
    if (kind == DVC_STAT_SUBMISSION) {
        dvc_stat_state_init(s);
    }
    if (dvc_stats_change(cal, s, &c, s, out, DVC_STAT_MAX_DELTAS, &n, err,
                         sizeof(err)) != 0)
    {
        fail_msg("%s", err);
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < st->n; j++) {
            if (st->c[j].counter == (int) out[i].counter
                && strcmp(st->c[j].day, out[i].day) == 0)
            {
                break;
            }
        }
        if (j == st->n) {
            assert_true(st->n < 256);
            st->c[j].counter = out[i].counter;
            strcpy(st->c[j].day, out[i].day);
            st->c[j].value = 0;
            st->n++;
        }
        st->c[j].value += out[i].delta;
    }
}

static void
report(const store_t *st, int32_t from, int32_t to, dvc_stat_report_t *r)
{
    dvc_stat_sums_t  s;
    char             v[24];
    int              j;

    dvc_stat_sums_init(&s, from, to);
    for (j = 0; j < st->n; j++) {
        snprintf(v, sizeof(v), "%ld", st->c[j].value);
        assert_int_equal(dvc_stat_sums_add(&s, st->c[j].counter, st->c[j].day,
                                           8, v, strlen(v)), 0);
    }
    dvc_stat_report(&s, r);
}

/*
 * Six dossiers in the week of 2026-11-23 (Mon) and the next:
 *  A online, accepted Mon 10:00 (deadline kept), due Wed 25 17:00,
 *    resolved Tue 24: early.
 *  B online, submitted Mon 09:00, accepted Wed 25 08:00 (desk late), due
 *    Fri 27 17:00, apology Thu 26, resolved Tue Dec 1: late, with apology.
 *  C counter, accepted at once Mon, due Thu 26 17:00; supplement requested
 *    Tue 24; supplement Mon 30; accepted again Mon 30, due Thu Dec 3 17:00;
 *    resolved Dec 3 16:00: on time; rated very satisfied Dec 4.
 *  D postal, accepted at once Tue 24, due Wed 25 17:00; never closed:
 *    overdue without apology from the 26th.
 *  E online, submitted Fri 27 16:00, still at the desk (deadline Mon 30
 *    16:00): awaiting, on time as of the 30th, late from Dec 1.
 *  F online, submitted Mon 23 11:00, withdrawal requested at the desk Mon 23
 *    14:00, confirmed Tue 24: withdrawn, never received.
 */
static void
test_province(void **state)
{
    store_t            st;
    dvc_stat_state_t   a, b, c, d, e, f;
    dvc_stat_report_t  r;

    (void) state;
    memset(&st, 0, sizeof(st));

    apply(&st, &b, DVC_STAT_SUBMISSION, "2026-11-23T09:00:00+07:00", NULL,
          DVC_CHANNEL_ONLINE, 0);
    apply(&st, &a, DVC_STAT_SUBMISSION, "2026-11-23T09:30:00+07:00", NULL,
          DVC_CHANNEL_ONLINE, 0);
    apply(&st, &c, DVC_STAT_SUBMISSION, "2026-11-23T09:45:00+07:00",
          "2026-11-26T17:00:00+07:00", DVC_CHANNEL_COUNTER, 0);
    apply(&st, &a, DVC_STAT_ACCEPTED, "2026-11-23T10:00:00+07:00",
          "2026-11-25T17:00:00+07:00", 0, 0);
    apply(&st, &f, DVC_STAT_SUBMISSION, "2026-11-23T11:00:00+07:00", NULL,
          DVC_CHANNEL_ONLINE, 0);
    apply(&st, &f, DVC_STAT_WITHDRAWAL_REQUESTED, "2026-11-23T14:00:00+07:00",
          NULL, 0, 0);
    apply(&st, &d, DVC_STAT_SUBMISSION, "2026-11-24T08:00:00+07:00",
          "2026-11-25T17:00:00+07:00", DVC_CHANNEL_POSTAL, 0);
    apply(&st, &a, DVC_STAT_PROCESSING, "2026-11-24T08:30:00+07:00", NULL, 0, 0);
    apply(&st, &a, DVC_STAT_RESOLVED_CHANGE, "2026-11-24T15:00:00+07:00", NULL,
          0, 0);
    apply(&st, &c, DVC_STAT_SUPPLEMENT_REQUESTED, "2026-11-24T09:00:00+07:00",
          NULL, 0, 0);
    apply(&st, &f, DVC_STAT_WITHDRAWAL_CONFIRMED, "2026-11-24T10:00:00+07:00",
          NULL, 0, 0);
    apply(&st, &b, DVC_STAT_ACCEPTED, "2026-11-25T08:00:00+07:00",
          "2026-11-27T17:00:00+07:00", 0, 0);
    apply(&st, &b, DVC_STAT_DELAY, "2026-11-26T10:00:00+07:00", NULL, 0, 0);
    apply(&st, &e, DVC_STAT_SUBMISSION, "2026-11-27T16:00:00+07:00", NULL,
          DVC_CHANNEL_ONLINE, 0);
    apply(&st, &c, DVC_STAT_SUPPLEMENT_RECEIVED, "2026-11-30T08:00:00+07:00",
          NULL, 0, 0);
    apply(&st, &c, DVC_STAT_ACCEPTED, "2026-11-30T09:00:00+07:00",
          "2026-12-03T17:00:00+07:00", 0, 0);
    apply(&st, &b, DVC_STAT_RESOLVED_CHANGE, "2026-12-01T09:00:00+07:00", NULL,
          0, 0);
    apply(&st, &c, DVC_STAT_RESOLVED_CHANGE, "2026-12-03T16:00:00+07:00", NULL,
          0, 0);
    apply(&st, &c, DVC_STAT_RATING, "2026-12-04T08:00:00+07:00", NULL, 0,
          DVC_RATING_VERY_SATISFIED);

    /* the week of the 23rd, as of Mon 30 00:00 */
    report(&st, 20261123, 20261129, &r);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 4);        /* A B C D */
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_ONLINE], 2);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_POSTAL], 1);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_COUNTER], 1);
    assert_int_equal(r.fig[DVC_FIG_CARRIED_OVER], 0);
    assert_int_equal(r.fig[DVC_FIG_RESOLVED_EARLY], 1);      /* A */
    assert_int_equal(r.fig[DVC_FIG_RESOLVED], 1);
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS], 3);         /* B C D */
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITH_APOLOGY], 1); /* B (27th) */
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITHOUT_APOLOGY], 1); /* D */
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS_ON_TIME], 1); /* C, in supplement */
    assert_int_equal(r.fig[DVC_FIG_WITHDRAWN], 1);           /* F */
    assert_int_equal(r.fig[DVC_FIG_AWAITING_ACCEPTANCE], 1); /* E */
    assert_int_equal(r.fig[DVC_FIG_AWAITING_LATE], 0);
    /* (1 early + 0 + 1) / 4 */
    assert_int_equal(r.num[DVC_RATE_ON_TIME_HANDLED], 2);
    assert_int_equal(r.den[DVC_RATE_ON_TIME_HANDLED], 4);

    /* Wednesday alone (as of Thu 26 00:00): D and A's... */
    report(&st, 20261125, 20261125, &r);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 1);        /* B */
    assert_int_equal(r.fig[DVC_FIG_CARRIED_OVER], 2);        /* C D (A closed) */
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS], 3);
    /* D's due (Wed 17:00) has passed as of Thu 00:00 */
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITHOUT_APOLOGY], 1);
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITH_APOLOGY], 0);
    /* the desk took B late on Wed: E not yet submitted */
    assert_int_equal(r.fig[DVC_FIG_AWAITING_ACCEPTANCE], 0);

    /* Tuesday 24 alone, as of Wed 00:00: B still at the desk, late since
     * Tue 09:00 */
    report(&st, 20261124, 20261124, &r);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_ACCEPTANCE], 1);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_LATE], 1);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 1);        /* D */
    assert_int_equal(r.fig[DVC_FIG_CARRIED_OVER], 2);        /* A C */
    assert_int_equal(r.fig[DVC_FIG_OVERDUE], 0);

    /* Mon 30 alone: E late as of Dec 1 00:00?  Its deadline is Mon 16:00 */
    report(&st, 20261130, 20261130, &r);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_LATE], 1);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 0);        /* C again: no */
    assert_int_equal(r.fig[DVC_FIG_CARRIED_OVER], 3);        /* B C D */

    /* the following week, as of Dec 7 00:00 */
    report(&st, 20261130, 20261206, &r);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 0);
    assert_int_equal(r.fig[DVC_FIG_CARRIED_OVER], 3);
    assert_int_equal(r.fig[DVC_FIG_RESOLVED_LATE], 1);       /* B */
    assert_int_equal(r.fig[DVC_FIG_RESOLVED_ON_TIME], 1);    /* C */
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS], 1);         /* D */
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITHOUT_APOLOGY], 1);
    assert_int_equal(r.fig[DVC_FIG_OVERDUE_WITH_APOLOGY], 0);
    assert_int_equal(r.fig[DVC_FIG_RATING_VERY_SATISFIED], 1);
    assert_int_equal(r.num[DVC_RATE_ON_TIME_HANDLED], 1);    /* C */
    assert_int_equal(r.den[DVC_RATE_ON_TIME_HANDLED], 3);
    assert_int_equal(r.num[DVC_RATE_ON_TIME_RESOLVED], 1);
    assert_int_equal(r.den[DVC_RATE_ON_TIME_RESOLVED], 2);
    assert_int_equal(r.num[DVC_RATE_SATISFACTION], 1);
    assert_int_equal(r.den[DVC_RATE_SATISFACTION], 1);
    assert_int_equal(r.fig[DVC_FIG_AWAITING_LATE], 1);       /* E */

    /* both weeks at once: everything handled once, nothing carried */
    report(&st, 20261123, 20261206, &r);
    assert_int_equal(r.fig[DVC_FIG_RECEIVED_NEW], 4);
    assert_int_equal(r.fig[DVC_FIG_RESOLVED], 3);
    assert_int_equal(r.fig[DVC_FIG_IN_PROGRESS], 1);
    assert_int_equal(r.num[DVC_RATE_ON_TIME_HANDLED], 2);    /* A C */
}


/* ---------------------------------------------------- level and sector */

/* A submission of a procedure of that level and sector. */
static const char *
submit_ls(dvc_stat_state_t *s, dvc_channel_t ch, const char *when,
    int64_t due, int level, const char *sector)
{
    dvc_stat_change_t  c;

    dvc_stat_state_init(s);
    memset(&c, 0, sizeof(c));
    c.kind = DVC_STAT_SUBMISSION;
    c.at = at(when);
    c.due = due;
    c.channel = ch;
    c.level = level;
    c.sector = sector;
    c.sector_len = sector ? strlen(sector) : 0;
    return deltas(s, &c);
}


static void
test_cells_by_level_and_sector(void **state)
{
    static const char *const want[DVC_STAT_NCELLS] = {
        "all", "a:000.00.10.H47", "p:1.001193", "ap:000.00.10.H47:1.001193",
        "l:4", "al:000.00.10.H47:4", "s:ho_tich", "as:000.00.10.H47:ho_tich",
        "ls:4:ho_tich", "als:000.00.10.H47:4:ho_tich"
    };
    char              cell[DVC_STAT_KEY_MAX], key[DVC_STAT_KEY_MAX];
    char              longname[DVC_STAT_NAME_MAX + 1];
    int               i, n;
    dvc_stat_dims_t   d;
    dvc_stat_state_t  s;

    (void) state;
    memset(&d, 0, sizeof(d));
    d.agency = "000.00.10.H47";
    d.agency_len = strlen(d.agency);
    d.procedure = "1.001193";
    d.procedure_len = strlen(d.procedure);
    d.level = 4;
    d.sector = "ho_tich";
    d.sector_len = strlen(d.sector);

    for (i = 0; i < DVC_STAT_NCELLS; i++) {
        n = dvc_stat_cell_of(i, &d, cell, sizeof(cell));
        assert_int_equal(n, (int) strlen(want[i]));
        assert_string_equal(cell, want[i]);
    }
    assert_int_equal(dvc_stat_cell_of(DVC_STAT_NCELLS, &d, cell, sizeof(cell)),
                     -1);

    /* the longest names still make a key with the longest counter name */
    memset(longname, 'x', DVC_STAT_NAME_MAX);
    longname[DVC_STAT_NAME_MAX] = '\0';
    d.agency = d.sector = longname;
    d.agency_len = d.sector_len = DVC_STAT_NAME_MAX;
    n = dvc_stat_cell_of(9, &d, cell, sizeof(cell));
    assert_int_equal(n, 3 + 1 + 64 + 2 + 1 + 64);
    assert_true(dvc_stat_key(cell, n, DVC_STAT_RATING_VERY_SATISFIED, key,
                             sizeof(key)) > 0);

    /* no sector: its four cells do not apply; no level: its four neither */
    d.agency = "000.00.10.H47";
    d.agency_len = strlen(d.agency);
    d.sector = NULL;
    d.sector_len = 0;
    for (i = 0, n = 0; i < DVC_STAT_NCELLS; i++) {
        n += dvc_stat_cell_of(i, &d, cell, sizeof(cell)) > 0;
    }
    assert_int_equal(n, 6);
    d.level = 0;
    d.sector = "ho_tich";
    d.sector_len = 7;
    for (i = 0, n = 0; i < DVC_STAT_NCELLS; i++) {
        n += dvc_stat_cell_of(i, &d, cell, sizeof(cell)) > 0;
    }
    assert_int_equal(n, 6);
    assert_int_equal(dvc_stat_cell_of(4, &d, cell, sizeof(cell)), 0);
    assert_int_equal(dvc_stat_cell_of(6, &d, cell, sizeof(cell)), 9);

    /* a bad level or sector name is an error, not a skip */
    d.level = 2;
    assert_int_equal(dvc_stat_cell_of(0, &d, cell, sizeof(cell)), -1);
    d.level = 3;
    d.sector = "hộ tịch";
    d.sector_len = strlen(d.sector);
    assert_int_equal(dvc_stat_cell_of(6, &d, cell, sizeof(cell)), -1);
    assert_int_equal(dvc_stat_cell_of(4, &d, cell, sizeof(cell)), 3);
    assert_int_equal(dvc_stat_cell_of(4, &d, cell, 3), -1);   /* cap */

    /* the old four-cell call is unchanged */
    assert_int_equal(dvc_stat_cell(3, S("A"), S("B"), cell, sizeof(cell)), 6);
    assert_string_equal(cell, "ap:A:B");
    assert_int_equal(dvc_stat_cell(4, S("A"), S("B"), cell, sizeof(cell)), -1);

    /* the dimensions of a dossier come from its state */
    dvc_stat_state_init(&s);
    s.level = 3;
    memcpy(s.sector, "duong_bo", 9);
    s.sector_len = 8;
    dvc_stat_state_dims(&s, S("000.00.07.H29"), S("1.002820"), &d);
    assert_int_equal(dvc_stat_cell_of(9, &d, cell, sizeof(cell)),
                     (int) strlen("als:000.00.07.H29:3:duong_bo"));
    assert_string_equal(cell, "als:000.00.07.H29:3:duong_bo");
}


static void
test_level_counters(void **state)
{
    dvc_stat_state_t  s, r;
    dvc_stat_field_t  f[DVC_STAT_NFIELDS];
    size_t            n;
    char              err[128];
    int64_t           due = at("2026-11-25T09:00:00+07:00");

    (void) state;

    /* accepted at once, level 4 online: counted by channel and by level */
    assert_string_equal(submit_ls(&s, DVC_CHANNEL_ONLINE,
                                  "2026-11-23T09:00:00+07:00", due, 4,
                                  "ho_tich"),
                        "received_online@20261123+1 received_l4@20261123+1 "
                        "received_online_l4@20261123+1 due_n@20261125+1");
    assert_int_equal(s.level, 4);
    assert_string_equal(s.sector, "ho_tich");

    /* st_lv and st_sec are written with the rest, and read back */
    n = dvc_stat_state_diff(NULL, &s, f);
    assert_int_equal(n, 5);
    assert_string_equal(f[3].name, "st_lv");
    assert_string_equal(f[3].value, "4");
    assert_string_equal(f[4].name, "st_sec");
    assert_string_equal(f[4].value, "ho_tich");
    read_back(f, n, &r);
    assert_memory_equal(&r, &s, sizeof(s));
    assert_int_equal(dvc_stat_state_field(&r, S("st_lv"), S("2")), -1);
    assert_int_equal(dvc_stat_state_field(&r, S("st_sec"), S("a:b")), -1);
    assert_int_equal(dvc_stat_state_field(&r, S("st_lv"), S("3")), 1);
    assert_int_equal(r.level, 3);

    /* later changes never write them again */
    r = s;
    assert_string_equal(change(&s, DVC_STAT_RESOLVED_CHANGE,
                               "2026-11-24T09:00:00+07:00", 0),
                        "resolved_early@20261124+1 closed@20261124+1 "
                        "closed_ontime_n@20261125+1");
    assert_int_equal(dvc_stat_state_diff(&r, &s, f), 1);
    assert_string_equal(f[0].name, "st_cl");

    /* a counter intake of level 3: received, not online */
    assert_string_equal(submit_ls(&s, DVC_CHANNEL_COUNTER,
                                  "2026-11-23T09:00:00+07:00", due, 3,
                                  NULL),
                        "received_counter@20261123+1 received_l3@20261123+1 "
                        "due_n@20261125+1");
    assert_int_equal(s.sector_len, 0);

    /* online, at the desk: by level once, at the first acceptance only */
    assert_string_equal(submit_ls(&s, DVC_CHANNEL_ONLINE,
                                  "2026-11-23T09:00:00+07:00", 0, 3,
                                  "duong_bo"),
                        "submitted_online@20261123+1 accept_due@20261124+1");
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-11-23T10:00:00+07:00", due),
                        "left_desk@20261123+1 left_desk_ontime@20261124+1 "
                        "received_online@20261123+1 received_l3@20261123+1 "
                        "received_online_l3@20261123+1 due_n@20261125+1");
    change(&s, DVC_STAT_SUPPLEMENT_REQUESTED, "2026-11-23T11:00:00+07:00", 0);
    change(&s, DVC_STAT_SUPPLEMENT_RECEIVED, "2026-11-23T12:00:00+07:00", 0);
    assert_string_equal(change(&s, DVC_STAT_ACCEPTED,
                               "2026-11-23T13:00:00+07:00", due),
                        "due_n@20261125+1");

    /* no level (a dossier from before levels were counted): no level
     * counter, ever */
    assert_string_equal(submit_ls(&s, DVC_CHANNEL_ONLINE,
                                  "2026-11-23T09:00:00+07:00", due, 0, NULL),
                        "received_online@20261123+1 due_n@20261125+1");

    /* a submission's level is 3 or 4, its sector a cell name */
    {
        dvc_stat_change_t  c;
        dvc_stat_delta_t   out[DVC_STAT_MAX_DELTAS];

        dvc_stat_state_init(&s);
        memset(&c, 0, sizeof(c));
        c.kind = DVC_STAT_SUBMISSION;
        c.at = at("2026-11-23T09:00:00+07:00");
        c.due = due;
        c.channel = DVC_CHANNEL_ONLINE;
        c.level = 2;
        assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out,
                                          DVC_STAT_MAX_DELTAS, &n, err,
                                          sizeof(err)), -1);
        c.level = 4;
        c.sector = "ho tich";
        c.sector_len = 7;
        assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out,
                                          DVC_STAT_MAX_DELTAS, &n, err,
                                          sizeof(err)), -1);
    }
}


static void
test_query_level_and_sector(void **state)
{
    dvc_stat_query_t  q;
    const char       *bad = NULL;
    char              err[128], cell[DVC_STAT_KEY_MAX];

    (void) state;
#define Q(a, p, l, s)                                                        \
    dvc_stat_query_parse(&q, S("2026-01-01"), S("2026-12-31"), a, len(a),    \
                         p, len(p), l, len(l), s, len(s), &bad, err,         \
                         sizeof(err))

    assert_int_equal(Q(NULL, NULL, "3", NULL), 0);
    assert_int_equal(q.level, 3);
    assert_int_equal(dvc_stat_query_cell(&q, cell, sizeof(cell)), 3);
    assert_string_equal(cell, "l:3");
    assert_int_equal(Q("000.00.10.H47", NULL, "4", NULL), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "al:000.00.10.H47:4");
    assert_int_equal(Q(NULL, NULL, NULL, "ho_tich"), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "s:ho_tich");
    assert_int_equal(Q("000.00.10.H47", NULL, NULL, "ho_tich"), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "as:000.00.10.H47:ho_tich");
    assert_int_equal(Q(NULL, NULL, "4", "ho_tich"), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "ls:4:ho_tich");
    assert_int_equal(Q("000.00.10.H47", NULL, "3", "ho_tich"), 0);
    dvc_stat_query_cell(&q, cell, sizeof(cell));
    assert_string_equal(cell, "als:000.00.10.H47:3:ho_tich");

    /* bad values, each blamed on its parameter */
    assert_int_equal(Q(NULL, NULL, "2", NULL), -1);
    assert_string_equal(bad, "level");
    assert_int_equal(Q(NULL, NULL, "34", NULL), -1);
    assert_string_equal(bad, "level");
    assert_int_equal(Q(NULL, NULL, "", NULL), -1);
    assert_string_equal(bad, "level");
    assert_int_equal(Q(NULL, NULL, "toan_trinh", NULL), -1);
    assert_string_equal(bad, "level");
    assert_int_equal(Q(NULL, NULL, NULL, ""), -1);
    assert_string_equal(bad, "sector");
    assert_int_equal(Q(NULL, NULL, NULL, "ho:tich"), -1);
    assert_string_equal(bad, "sector");
    /* a procedure has one level and one sector */
    assert_int_equal(Q(NULL, "1.001193", "4", NULL), -1);
    assert_string_equal(bad, "level");
    assert_string_equal(err, "level does not go with procedure: a procedure "
                        "has one level; give one or the other");
    assert_int_equal(Q(NULL, "1.001193", NULL, "ho_tich"), -1);
    assert_string_equal(bad, "sector");
#undef Q
}


static void
test_report_levels(void **state)
{
    dvc_stat_sums_t    s;
    dvc_stat_report_t  r;
    dvc_stat_query_t   q;
    dvc_buf_t          b;
    const char        *bad;
    char               err[128];

    (void) state;

    /* 2026: level 3, 400 received of which 100 online; level 4, 600 of
     * which 540 online; before the period and after it: not counted */
    dvc_stat_sums_init(&s, 20260101, 20261231);
    add(&s, DVC_STAT_RECEIVED_L3, "20260105", 400);
    add(&s, DVC_STAT_RECEIVED_ONLINE_L3, "20260105", 100);
    add(&s, DVC_STAT_RECEIVED_L4, "20260601", 600);
    add(&s, DVC_STAT_RECEIVED_ONLINE_L4, "20261231", 540);
    add(&s, DVC_STAT_RECEIVED_L4, "20251231", 77);
    add(&s, DVC_STAT_RECEIVED_ONLINE_L4, "20270101", 77);
    dvc_stat_report(&s, &r);

    assert_int_equal(r.fig[DVC_FIG_LEVEL_3_RECEIVED_NEW], 400);
    assert_int_equal(r.fig[DVC_FIG_LEVEL_3_RECEIVED_ONLINE], 100);
    assert_int_equal(r.fig[DVC_FIG_LEVEL_4_RECEIVED_NEW], 600);
    assert_int_equal(r.fig[DVC_FIG_LEVEL_4_RECEIVED_ONLINE], 540);
    assert_int_equal(r.num[DVC_RATE_ONLINE_LEVEL_3_4], 640);
    assert_int_equal(r.den[DVC_RATE_ONLINE_LEVEL_3_4], 1000);

    assert_int_equal(dvc_stat_query_parse(&q, S("2026-01-01"),
                                          S("2026-12-31"), NULL, 0, NULL, 0,
                                          S("4"), S("ho_tich"), &bad, err,
                                          sizeof(err)), 0);
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_stat_report_json(&q, &r, &b), 0);
    dvc_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\"procedure\":null,\"level\":4,"
                                   "\"sector\":\"ho_tich\","));
    assert_non_null(strstr(b.data, ",\"level_3_received_new\":400,"
                                   "\"level_3_received_online\":100,"
                                   "\"level_4_received_new\":600,"
                                   "\"level_4_received_online\":540,"));
    assert_non_null(strstr(b.data, "\"online_rate_level_3\":0.2500,"
                                   "\"online_rate_level_3_percent\":\"25.0%\","
                                   "\"online_rate_level_4\":0.9000,"
                                   "\"online_rate_level_4_percent\":\"90.0%\","
                                   "\"online_rate_level_3_4\":0.6400,"
                                   "\"online_rate_level_3_4_percent\":\"64.0%\""));
    dvc_buf_free(&b);

    /* nothing of a level: its rate is null */
    dvc_stat_sums_init(&s, 20260101, 20261231);
    dvc_stat_report(&s, &r);
    dvc_buf_init(&b, &dvc_alloc_std);
    q.level = 0;
    q.sector = NULL;
    assert_int_equal(dvc_stat_report_csv(&q, &r, &b), 0);
    dvc_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "\r\nlevel_4_received_online,0,"));
    assert_non_null(strstr(b.data, "\r\nonline_rate_level_3_4,,"));
    dvc_buf_free(&b);
}


static void
test_online_payment(void **state)
{
    dvc_stat_state_t   s, r;
    dvc_stat_change_t  c;
    dvc_stat_delta_t   out[DVC_STAT_MAX_DELTAS];
    dvc_stat_field_t   f[DVC_STAT_NFIELDS];
    dvc_stat_sums_t    sums;
    dvc_stat_report_t  rep;
    dvc_stat_query_t   q;
    dvc_buf_t          b;
    const char        *bad;
    char               err[128];
    size_t             n;

    (void) state;
    submit_ls(&s, DVC_CHANNEL_ONLINE, "2026-11-23T09:00:00+07:00",
              at("2026-11-26T17:00:00+07:00"), 4, "ho_kinh_doanh");
    r = s;

    memset(&c, 0, sizeof(c));
    c.kind = DVC_STAT_PAID_ONLINE_CHANGE;
    c.at = at("2026-11-24T23:59:59+07:00");
    c.amount = 100000;
    /* the dossier once, the fee in VND, on the day it was recorded */
    assert_string_equal(deltas(&s, &c),
                        "paid_online@20261124+1 fees_online@20261124+100000");
    assert_true(s.paid);
    n = dvc_stat_state_diff(&r, &s, f);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].name, "st_paid");
    assert_string_equal(f[0].value, "1");
    assert_int_equal(dvc_stat_state_field(&r, S("st_paid"), S("1")), 1);
    assert_true(r.paid);

    /* a second fee for the same dossier: the amount, not the dossier */
    c.at = at("2026-11-25T00:00:00+07:00");
    c.amount = 35000;
    assert_string_equal(deltas(&s, &c), "fees_online@20261125+35000");

    /* an amount is required */
    c.amount = 0;
    assert_int_equal(dvc_stats_change(cal, &s, &c, &s, out,
                                      DVC_STAT_MAX_DELTAS, &n, err,
                                      sizeof(err)), -1);
    assert_string_equal(err, "online payment without an amount");

    /* the report sums them by day like the others */
    dvc_stat_sums_init(&sums, 20261124, 20261124);
    add(&sums, DVC_STAT_PAID_ONLINE, "20261124", 3);
    add(&sums, DVC_STAT_FEES_ONLINE, "20261124", 435000);
    add(&sums, DVC_STAT_PAID_ONLINE, "20261123", 1);
    add(&sums, DVC_STAT_FEES_ONLINE, "20261125", 35000);
    dvc_stat_report(&sums, &rep);
    assert_int_equal(rep.fig[DVC_FIG_PAID_ONLINE], 3);
    assert_int_equal(rep.fig[DVC_FIG_FEES_COLLECTED_ONLINE], 435000);
    assert_int_equal(dvc_stat_query_parse(&q, S("2026-11-24"), S("2026-11-24"),
                                          NULL, 0, NULL, 0, NULL, 0, NULL, 0,
                                          &bad, err, sizeof(err)), 0);
    dvc_buf_init(&b, &dvc_alloc_std);
    assert_int_equal(dvc_stat_report_json(&q, &rep, &b), 0);
    dvc_buf_cstr(&b);
    assert_non_null(strstr(b.data, ",\"paid_online\":3,"
                                   "\"fees_collected_online\":435000,"));
    dvc_buf_reset(&b);
    assert_int_equal(dvc_stat_report_csv(&q, &rep, &b), 0);
    dvc_buf_cstr(&b);
    assert_non_null(strstr(b.data, "\r\nfees_collected_online,435000,\""));
    dvc_buf_free(&b);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_and_keys),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_submission),
        cmocka_unit_test(test_vietnam_day),
        cmocka_unit_test(test_acceptance_deadline),
        cmocka_unit_test(test_resolution_boundaries),
        cmocka_unit_test(test_apology),
        cmocka_unit_test(test_supplement),
        cmocka_unit_test(test_withdrawal),
        cmocka_unit_test(test_ratings_and_errors),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_cells_by_level_and_sector),
        cmocka_unit_test(test_level_counters),
        cmocka_unit_test(test_query_level_and_sector),
        cmocka_unit_test(test_report_levels),
        cmocka_unit_test(test_online_payment),
        cmocka_unit_test(test_sums_and_rates),
        cmocka_unit_test(test_report_quang_ninh),
        cmocka_unit_test(test_rolled_up_years),
        cmocka_unit_test(test_province),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
