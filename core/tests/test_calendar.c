/*
 * The working-day calendar: the shipped calendar/vn-2025-2027.cal (read from
 * the repository, so a wrong date in it fails here) and small inline
 * calendars for the edges.  Times are Vietnam civil time throughout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_calendar.h"

#define SHIPPED "calendar/vn-2025-2027.cal"
#define S(x) x, sizeof(x) - 1

static dvc_calendar_t *
load_shipped(void)
{
    FILE           *f;
    char           *text;
    long            n;
    char            err[256];
    dvc_calendar_t *c;

    f = fopen(SHIPPED, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s (run from the repository root)", SHIPPED);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc(n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, n, f), n);
    fclose(f);
    c = dvc_calendar_parse(&dvc_alloc_std, text, n, err, sizeof(err));
    free(text);
    if (c == NULL) {
        fail_msg("%s: %s", SHIPPED, err);
    }
    return c;
}

static int
setup_shipped(void **state)
{
    *state = load_shipped();
    return 0;
}

static int
teardown_cal(void **state)
{
    dvc_calendar_free(&dvc_alloc_std, *state);
    return 0;
}

static dvc_calendar_t *
inline_cal(const char *text)
{
    char            err[256];
    dvc_calendar_t *c;

    c = dvc_calendar_parse(&dvc_alloc_std, text, strlen(text), err, sizeof(err));
    if (c == NULL) {
        fail_msg("inline calendar: %s", err);
    }
    return c;
}

static int64_t
at(const char *iso)
{
    int64_t t;

    if (dvc_time_parse_vn(iso, strlen(iso), &t) != 0) {
        fail_msg("bad time in test: %s", iso);
    }
    return t;
}

/* the due time of a dossier accepted at `accepted` as Vietnam civil time */
static const char *
due(const dvc_calendar_t *c, const char *accepted, int64_t minutes, int cutoff,
    char out[DVC_TIME_VN_LEN + 1])
{
    int64_t t;

    if (dvc_calendar_due(c, at(accepted), minutes, cutoff, &t) != 0) {
        return "refused";
    }
    dvc_time_format_vn(t, out);
    return out;
}

static int64_t
days(const dvc_calendar_t *c, const char *num)
{
    int64_t m;

    assert_int_equal(dvc_calendar_processing_minutes(c, num, strlen(num), 1, &m), 0);
    return m;
}

static int64_t
hours(const dvc_calendar_t *c, const char *num)
{
    int64_t m;

    assert_int_equal(dvc_calendar_processing_minutes(c, num, strlen(num), 0, &m), 0);
    return m;
}

/* ------------------------------------------------------------ time helpers */

static void
test_time(void **state)
{
    char    out[DVC_TIME_VN_LEN + 1];
    int64_t t;
    int     y, m, d;

    (void) state;
    assert_int_equal(dvc_time_parse_vn(S("2026-11-21T09:15:00+07:00"), &t), 0);
    assert_int_equal(t, 1795227300);
    dvc_time_format_vn(t, out);
    assert_string_equal(out, "2026-11-21T09:15:00+07:00");
    /* the same instant in UTC, with a fraction */
    assert_int_equal(dvc_time_parse_vn(S("2026-11-21T02:15:00.250Z"), &t), 0);
    assert_int_equal(t, 1795227300);
    /* 17:30 UTC is already the next day in Vietnam */
    assert_int_equal(dvc_time_parse_vn(S("2026-12-31T17:30:00Z"), &t), 0);
    dvc_time_vn_date(t, &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20270101);
    dvc_time_format_vn(t, out);
    assert_string_equal(out, "2027-01-01T00:30:00+07:00");
    assert_int_equal(dvc_time_parse_vn(S("2028-02-29T08:00:00-05:00"), &t), 0);
    dvc_time_format_vn(t, out);
    assert_string_equal(out, "2028-02-29T20:00:00+07:00");

    assert_int_equal(dvc_time_parse_vn(S("2026-11-21T09:15:00"), &t), -1);
    assert_int_equal(dvc_time_parse_vn(S("2027-02-29T09:15:00+07:00"), &t), -1);
    assert_int_equal(dvc_time_parse_vn(S("2026-11-21T24:00:00+07:00"), &t), -1);
    assert_int_equal(dvc_time_parse_vn(S("2026-11-21 09:15:00+07:00"), &t), -1);
    assert_int_equal(dvc_time_parse_vn(S("2026-11-21T09:15:00+0700"), &t), -1);
    assert_int_equal(dvc_time_parse_vn(S("2026-11-21T09:15:00+07:00x"), &t), -1);

    assert_int_equal(dvc_time_parse_hhmm(S("15:00")), 900);
    assert_int_equal(dvc_time_parse_hhmm(S("00:00")), 0);
    assert_int_equal(dvc_time_parse_hhmm(S("24:00")), -1);
    assert_int_equal(dvc_time_parse_hhmm(S("9:00")), -1);

    assert_int_equal(dvc_weekday(dvc_days_from_civil(2026, 11, 22)), 0); /* Sun */
    assert_int_equal(dvc_weekday(dvc_days_from_civil(1969, 12, 31)), 3); /* Wed */
    dvc_civil_from_days(dvc_days_from_civil(2000, 2, 29), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20000229);
}

/* ------------------------------------------------------------ shipped file */

static void
test_shipped_days(void **state)
{
    dvc_calendar_t *c = *state;
    int             first, last;

    dvc_calendar_years(c, &first, &last);
    assert_int_equal(first, 2025);
    assert_int_equal(last, 2027);
    assert_int_equal(dvc_calendar_day_minutes(c), 480);

    /* Tết Ất Tỵ: Monday 27/1 to Friday 31/1/2025 off */
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 1, 24), 1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 1, 27), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 1, 31), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 2, 3), 1);
    assert_string_equal(dvc_calendar_day_name(c, 2025, 1, 29),
                        "Tết Nguyên đán Ất Tỵ");
    /* Hùng Kings 10/3 lunar */
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 4, 7), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2027, 4, 16), 0);
    /* 26/4/2026 is a Sunday: Monday 27/4 is the day off in lieu */
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 4, 27), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 4, 28), 1);
    /* swaps: Saturday 26/4/2025 and 22/8/2026 worked, 2/5/2025 and 31/8/2026 off */
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 4, 26), 1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2025, 5, 2), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 8, 22), 1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 8, 31), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 1, 2), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 1, 10), 1);
    /* Tết Bính Ngọ 16/2-20/2/2026; an ordinary Saturday stays off */
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 2, 13), 1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 2, 16), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 2, 20), 0);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 2, 23), 1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 11, 21), 0);
    assert_null(dvc_calendar_day_name(c, 2026, 11, 23));
    /* outside the file's years, and not a date */
    assert_int_equal(dvc_calendar_is_working_day(c, 2024, 12, 31), -1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2028, 1, 3), -1);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 2, 29), -1);
}

/* Accepted Friday 16:59: 1 minute counts on Friday, the rest from Monday
 * 07:30. */
static void
test_friday_1659(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];
    int64_t         t;

    assert_string_equal(due(c, "2026-11-20T16:59:00+07:00", days(c, "1"), -1, out),
                        "2026-11-23T16:59:00+07:00");
    assert_string_equal(due(c, "2026-11-20T16:59:00+07:00", days(c, "3"), -1, out),
                        "2026-11-25T16:59:00+07:00");
    /* 1 minute: exactly the end of Friday's afternoon, not Monday 07:30 */
    assert_string_equal(due(c, "2026-11-20T16:59:00+07:00", 1, -1, out),
                        "2026-11-20T17:00:00+07:00");
    assert_string_equal(due(c, "2026-11-20T16:59:00+07:00", 2, -1, out),
                        "2026-11-23T07:31:00+07:00");
    /* seconds are dropped: 16:59:59 is still the minute 16:59 */
    assert_string_equal(due(c, "2026-11-20T16:59:59+07:00", 2, -1, out),
                        "2026-11-23T07:31:00+07:00");
    /* 17:00 is after hours: counting starts on Monday */
    assert_int_equal(dvc_calendar_start(c, at("2026-11-20T17:00:00+07:00"), -1, &t), 0);
    dvc_time_format_vn(t, out);
    assert_string_equal(out, "2026-11-23T07:30:00+07:00");
}

/* Whole days keep the clock time; a count that fills the last period ends at
 * its end (17:00), not at 07:30 of the next day. */
static void
test_whole_days(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];

    assert_string_equal(due(c, "2026-11-23T09:00:00+07:00", days(c, "3"), -1, out),
                        "2026-11-26T09:00:00+07:00");
    assert_string_equal(due(c, "2026-11-23T07:30:00+07:00", days(c, "3"), -1, out),
                        "2026-11-25T17:00:00+07:00");
    /* before office hours: the day starts at 07:30 */
    assert_string_equal(due(c, "2026-11-23T06:10:00+07:00", days(c, "1"), -1, out),
                        "2026-11-23T17:00:00+07:00");
    /* accepted on Sunday: from Monday 07:30 */
    assert_string_equal(due(c, "2026-11-22T10:00:00+07:00", days(c, "2"), -1, out),
                        "2026-11-24T17:00:00+07:00");
    /* 0 processing time: due when counting would start */
    assert_string_equal(due(c, "2026-11-22T10:00:00+07:00", 0, -1, out),
                        "2026-11-23T07:30:00+07:00");
    /* 20 working days over the 2/9/2026 break (29/8-2/9 off, 22/8 worked) */
    assert_string_equal(due(c, "2026-08-17T09:00:00+07:00", days(c, "20"), -1, out),
                        "2026-09-16T09:00:00+07:00");
}

/* After the 15:00 cut-off on Friday 13/2/2026, the last working day before
 * Tết Bính Ngọ, counting starts on Monday 23/2/2026. */
static void
test_cutoff_before_tet(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];
    int64_t         t;

    assert_int_equal(dvc_calendar_start(c, at("2026-02-13T15:30:00+07:00"), 900, &t), 0);
    dvc_time_format_vn(t, out);
    assert_string_equal(out, "2026-02-23T07:30:00+07:00");
    assert_string_equal(due(c, "2026-02-13T15:30:00+07:00", days(c, "1"), 900, out),
                        "2026-02-23T17:00:00+07:00");
    assert_string_equal(due(c, "2026-02-13T15:30:00+07:00", days(c, "3"), 900, out),
                        "2026-02-25T17:00:00+07:00");
    /* without a cut-off, 90 minutes count on Friday */
    assert_string_equal(due(c, "2026-02-13T15:30:00+07:00", days(c, "1"), -1, out),
                        "2026-02-23T15:30:00+07:00");
    /* 15:00 itself is not after the cut-off; 15:01 is */
    assert_string_equal(due(c, "2026-02-13T15:00:59+07:00", 60, 900, out),
                        "2026-02-13T16:00:00+07:00");
    assert_string_equal(due(c, "2026-02-13T15:01:00+07:00", 60, 900, out),
                        "2026-02-23T08:30:00+07:00");
    /* a morning acceptance is before the cut-off */
    assert_string_equal(due(c, "2026-02-13T07:00:00+07:00", days(c, "1"), 900, out),
                        "2026-02-13T17:00:00+07:00");
    /* the same before Tết Ất Tỵ: Friday 24/1/2025 -> Monday 3/2/2025 */
    assert_string_equal(due(c, "2025-01-24T16:00:00+07:00", days(c, "0.5"), 900, out),
                        "2025-02-03T11:30:00+07:00");
}

/* A Saturday swapped into a working day counts like any working day. */
static void
test_swapped_saturday(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];

    /* Friday 21/8/2026 16:00 + 1 day: 60 min Friday, 420 on Saturday 22/8 */
    assert_string_equal(due(c, "2026-08-21T16:00:00+07:00", days(c, "1"), -1, out),
                        "2026-08-22T16:00:00+07:00");
    /* accepted on the working Saturday itself */
    assert_string_equal(due(c, "2026-08-22T09:00:00+07:00", hours(c, "4"), -1, out),
                        "2026-08-22T14:30:00+07:00");
    /* Saturday 10/1/2026 worked for Friday 2/1 */
    assert_string_equal(due(c, "2026-01-09T08:00:00+07:00", days(c, "1"), -1, out),
                        "2026-01-10T08:00:00+07:00");
    /* ... and the bridge Monday 31/8/2026 is not: Friday 28/8 + 2 days */
    assert_string_equal(due(c, "2026-08-28T09:00:00+07:00", days(c, "2"), -1, out),
                        "2026-09-04T09:00:00+07:00");
    /* Saturday 26/4/2025 worked for Friday 2/5/2025; from 13:00 a day is the
     * afternoon and the next morning, which ends at 11:30 (the same office
     * instant as 13:00: the due time is the end of a period, as with 17:00) */
    assert_string_equal(due(c, "2025-04-25T13:00:00+07:00", days(c, "1"), -1, out),
                        "2025-04-26T11:30:00+07:00");
    assert_string_equal(due(c, "2025-04-25T13:01:00+07:00", days(c, "1"), -1, out),
                        "2025-04-26T13:01:00+07:00");
}

/* Deadlines across New Year and its holiday. */
static void
test_new_year(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];

    /* Wed 31/12/2025 14:00 + 2 days: 1/1 holiday, 2/1 swapped off, weekend */
    assert_string_equal(due(c, "2025-12-31T14:00:00+07:00", days(c, "2"), -1, out),
                        "2026-01-06T14:00:00+07:00");
    /* Thu 31/12/2026 10:00 + 1 day: Friday 1/1/2027 off */
    assert_string_equal(due(c, "2026-12-31T10:00:00+07:00", days(c, "1"), -1, out),
                        "2027-01-04T10:00:00+07:00");
    /* accepted on New Year's Day itself */
    assert_string_equal(due(c, "2026-01-01T09:00:00+07:00", days(c, "1"), -1, out),
                        "2026-01-05T17:00:00+07:00");
}

/* Half days and hours, across the lunch break. */
static void
test_half_days_and_hours(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];
    int64_t         m;

    assert_int_equal(days(c, "0.5"), 240);
    assert_int_equal(days(c, "2.5"), 1200);
    assert_int_equal(days(c, "3.0"), 1440);
    assert_int_equal(hours(c, "4"), 240);
    assert_int_equal(hours(c, "1.5"), 90);
    assert_int_equal(dvc_calendar_processing_minutes(c, S("0.3"), 1, &m), -1);
    assert_int_equal(dvc_calendar_processing_minutes(c, S("-1"), 1, &m), -1);
    assert_int_equal(dvc_calendar_processing_minutes(c, S("1e1"), 1, &m), -1);
    assert_int_equal(dvc_calendar_processing_minutes(c, S("1."), 1, &m), -1);
    assert_int_equal(dvc_calendar_processing_minutes(c, S(""), 0, &m), -1);
    assert_int_equal(dvc_calendar_processing_minutes(c, S("0.001"), 0, &m), -1);
    assert_int_equal(dvc_calendar_processing_minutes(c, S("1001"), 1, &m), -1);

    /* 0.5 day from 10:00: 90 min before lunch, 150 after 13:00 */
    assert_string_equal(due(c, "2026-11-23T10:00:00+07:00", days(c, "0.5"), -1, out),
                        "2026-11-23T15:30:00+07:00");
    /* 2.5 days from Monday 09:00: Wednesday 09:00 + 4 office hours */
    assert_string_equal(due(c, "2026-11-23T09:00:00+07:00", days(c, "2.5"), -1, out),
                        "2026-11-25T14:30:00+07:00");
    /* 4 hours from Monday 15:00: 2 on Monday, 2 on Tuesday morning */
    assert_string_equal(due(c, "2026-11-23T15:00:00+07:00", hours(c, "4"), -1, out),
                        "2026-11-24T09:30:00+07:00");
    /* a count that ends at 11:30 is due at 11:30, not 13:00 */
    assert_string_equal(due(c, "2026-11-23T09:30:00+07:00", hours(c, "2"), -1, out),
                        "2026-11-23T11:30:00+07:00");
}

/* Accepted during the lunch break: counting starts at 13:00. */
static void
test_lunch_break(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];

    assert_string_equal(due(c, "2026-11-23T12:10:00+07:00", hours(c, "1"), -1, out),
                        "2026-11-23T14:00:00+07:00");
    assert_string_equal(due(c, "2026-11-23T11:30:00+07:00", hours(c, "1"), -1, out),
                        "2026-11-23T14:00:00+07:00");
    assert_string_equal(due(c, "2026-11-23T11:29:00+07:00", hours(c, "1"), -1, out),
                        "2026-11-23T13:59:00+07:00");
    /* from the lunch break a whole day ends at the end of the next morning */
    assert_string_equal(due(c, "2026-11-23T12:59:00+07:00", days(c, "1"), -1, out),
                        "2026-11-24T11:30:00+07:00");
}

/* Questions the calendar cannot answer are refused, not guessed. */
static void
test_beyond_calendar(void **state)
{
    dvc_calendar_t *c = *state;
    char            out[DVC_TIME_VN_LEN + 1];
    int64_t         t;

    /* the last working day of 2027: 1 hour fits, 1 day does not */
    assert_string_equal(due(c, "2027-12-31T09:00:00+07:00", hours(c, "1"), -1, out),
                        "2027-12-31T10:00:00+07:00");
    assert_string_equal(due(c, "2027-12-31T09:00:00+07:00", days(c, "1"), -1, out),
                        "refused");
    /* after hours on the last day: the next working day is not known */
    assert_int_equal(dvc_calendar_start(c, at("2027-12-31T17:30:00+07:00"), -1, &t), -1);
    assert_string_equal(due(c, "2024-12-31T09:00:00+07:00", 60, -1, out), "refused");
    assert_string_equal(due(c, "2028-01-03T09:00:00+07:00", 60, -1, out), "refused");
    assert_string_equal(due(c, "2026-11-23T09:00:00+07:00", -1, -1, out), "refused");
    /* 1000 working days from 2026 run past 2027 */
    assert_string_equal(due(c, "2026-11-23T09:00:00+07:00", days(c, "1000"), -1, out),
                        "refused");
}

/* A leap year: 29 February is an ordinary working day. */
static void
test_leap_year(void **state)
{
    dvc_calendar_t *c;
    char            out[DVC_TIME_VN_LEN + 1];

    (void) state;
    c = inline_cal("years 2027-2028\n"
                   "hours 08:00-12:00 13:00-17:00\n"
                   "holiday 2028-03-01 a made-up holiday\n");
    assert_int_equal(dvc_calendar_is_working_day(c, 2028, 2, 29), 1);   /* Tue */
    assert_int_equal(dvc_calendar_is_working_day(c, 2027, 2, 29), -1);
    /* Monday 28/2/2028 09:00 + 2 days: 29/2 counts, 1/3 is off */
    assert_string_equal(due(c, "2028-02-28T09:00:00+07:00", days(c, "2"), -1, out),
                        "2028-03-02T09:00:00+07:00");
    /* a year has 366 days: 31/12/2028 is a Sunday, the last day */
    assert_int_equal(dvc_calendar_is_working_day(c, 2028, 12, 31), 0);
    assert_string_equal(due(c, "2028-12-29T16:00:00+07:00", hours(c, "2"), -1, out),
                        "refused");
    dvc_calendar_free(&dvc_alloc_std, c);
}

/* Office hours and weekdays of an inline calendar. */
static void
test_inline_shape(void **state)
{
    dvc_calendar_t *c;
    char            out[DVC_TIME_VN_LEN + 1];

    (void) state;
    /* a six-day week with one period and odd-length day; names with '#' cut */
    c = inline_cal("# six-day counter\n"
                   "years 2026\n"
                   "weekdays mon-sat   # Saturday mornings too\n"
                   "hours 08:00-12:00\n"
                   "workday 2026-03-01 một Chủ nhật làm việc\n");
    assert_int_equal(dvc_calendar_day_minutes(c), 240);
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 11, 21), 1);   /* Sat */
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 11, 22), 0);   /* Sun */
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 3, 1), 1);
    assert_string_equal(dvc_calendar_day_name(c, 2026, 3, 1),
                        "một Chủ nhật làm việc");
    /* Friday 11:00 + 1 day of 240 min: 60 Friday, 180 Saturday */
    assert_string_equal(due(c, "2026-11-20T11:00:00+07:00", days(c, "1"), -1, out),
                        "2026-11-21T11:00:00+07:00");
    dvc_calendar_free(&dvc_alloc_std, c);

    /* a wrapping weekday range: fri-mon */
    c = inline_cal("years 2026\nweekdays fri-mon\nhours 07:30-11:30\n");
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 11, 22), 1);   /* Sun */
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 11, 24), 0);   /* Tue */
    dvc_calendar_free(&dvc_alloc_std, c);
}

static void
expect_error(const char *text, const char *message)
{
    char            err[256];
    dvc_calendar_t *c;

    c = dvc_calendar_parse(&dvc_alloc_std, text, strlen(text), err, sizeof(err));
    if (c != NULL) {
        dvc_calendar_free(&dvc_alloc_std, c);
        fail_msg("accepted a bad calendar, expected: %s", message);
    }
    assert_string_equal(err, message);
}

#define HEAD "years 2026-2027\nhours 07:30-11:30 13:00-17:00\n"

static void
test_parse_errors(void **state)
{
    (void) state;
    expect_error(HEAD "# comment\n\nholday 2026-01-01 Tết\n",
                 "calendar:5: unknown directive \"holday\"");
    expect_error("hours 07:30-11:30\n",
                 "calendar: no \"years\" line: say which years the file covers, "
                 "e.g. \"years 2025-2027\"");
    expect_error("years 2026\n", "calendar: no \"hours\" line, e.g. "
                 "\"hours 07:30-11:30 13:00-17:00\"");
    expect_error(HEAD "years 2028\n", "calendar:3: \"years\" is already set on line 1");
    expect_error("years 2027-2026\nhours 08:00-12:00\n",
                 "calendar:1: year range \"2027-2026\" is not 1970-9999 or longer "
                 "than 50 years");
    expect_error("years 2026\nhours 07:30-11:30 11:00-17:00\n",
                 "calendar:2: office period \"11:00-17:00\" overlaps or precedes "
                 "the one before it");
    expect_error("years 2026\nhours 17:00-13:00\n",
                 "calendar:2: office period \"17:00-13:00\" ends before it starts");
    expect_error("years 2026\nhours 7:30-11:30\n",
                 "calendar:2: bad office period \"7:30-11:30\" (HH:MM-HH:MM)");
    expect_error("years 2026\nhours 08:00-12:00\nweekdays mon-fry\n",
                 "calendar:3: bad weekday \"mon-fry\" (mon tue wed thu fri sat sun, "
                 "or a range like mon-fri)");
    expect_error(HEAD "holiday 2026-02-30 nope\n",
                 "calendar:3: bad date \"2026-02-30\" (YYYY-MM-DD)");
    expect_error(HEAD "holiday 2028-01-01 Tết Dương lịch\n",
                 "calendar:3: 2028-01-01 is outside the calendar's years 2026-2027");
    expect_error(HEAD "holiday 2026-09-02\n",
                 "calendar:3: \"holiday\" needs a name after the date(s), e.g. the "
                 "holiday or the notice that set it");
    expect_error(HEAD "holiday 2026-09-01..2026-09-02 Quốc khánh\n"
                 "holiday 2026-09-02 Quốc khánh\n",
                 "calendar:4: 2026-09-02 is already declared on line 3");
    expect_error(HEAD "holiday 2026-02-20..2026-02-16 Tết\n",
                 "calendar:3: bad date range \"2026-02-20..2026-02-16\"");
    /* a swap must take a weekday off and work a weekend day */
    expect_error(HEAD "swap 2026-08-22 2026-08-31 reversed\n",
                 "calendar:3: 2026-08-22 is a sat, not a working day to swap away");
    expect_error(HEAD "swap 2026-08-31 2026-08-24 both weekdays\n",
                 "calendar:3: 2026-08-24 is a mon, already a working day");
    expect_error(HEAD "workday 2026-11-23 a Monday\n",
                 "calendar:3: 2026-11-23 is a mon, already a working day");
    expect_error(HEAD "holiday 2026-09-02 Quốc khánh\n"
                 "swap 2026-09-02 2026-08-22 twice\n",
                 "calendar:4: 2026-09-02 is already declared on line 3");
    expect_error(HEAD "holiday 2026-09-02 \xff\xfe\n",
                 "calendar:3: the name is not valid UTF-8");
}

/*
 * Against a reference that walks minute by minute through the shipped
 * calendar (07:30-11:30, 13:00-17:00): the due time is the end of the last
 * office minute counted.  Random acceptances over 2025-2027, fixed seed.
 */
static int
ref_office(const dvc_calendar_t *c, int64_t day, int minute)
{
    int y, m, d;

    dvc_civil_from_days(day, &y, &m, &d);
    if (dvc_calendar_is_working_day(c, y, m, d) != 1) {
        return 0;
    }
    return (minute >= 450 && minute < 690) || (minute >= 780 && minute < 1020);
}

static int
ref_due(const dvc_calendar_t *c, int64_t accepted, int64_t minutes, int cutoff,
        int64_t *due_unix)
{
    int64_t local = accepted + DVC_VN_UTC_OFFSET;
    int64_t day = local / 86400, last = dvc_days_from_civil(2028, 1, 1);
    int     minute = (int) (local % 86400 / 60);
    int     y, m, d;

    dvc_civil_from_days(day, &y, &m, &d);
    if (cutoff >= 0 && minute > cutoff && dvc_calendar_is_working_day(c, y, m, d) == 1) {
        day++;
        minute = 0;
    }
    for (;;) {
        if (day >= last) {
            return -1;
        }
        if (ref_office(c, day, minute)) {
            if (minutes == 0) {
                break;
            }
            if (--minutes == 0) {
                minute++;
                break;
            }
        }
        if (++minute == 1440) {
            minute = 0;
            day++;
        }
    }
    *due_unix = day * 86400 + minute * 60 - DVC_VN_UTC_OFFSET;
    return 0;
}

static void
test_against_reference(void **state)
{
    dvc_calendar_t *c = *state;
    uint64_t        rng = 20261122;
    int64_t         first = at("2025-01-01T00:00:00+07:00");
    int64_t         span = at("2027-12-31T23:59:59+07:00") - first;
    int64_t         accepted, minutes, got = 0, want = 0;
    int             i, cutoff, rc_got, rc_want, refused = 0;
    char            a[DVC_TIME_VN_LEN + 1], g[DVC_TIME_VN_LEN + 1];
    char            w[DVC_TIME_VN_LEN + 1];

    for (i = 0; i < 3000; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        accepted = first + (int64_t) ((rng >> 16) % (uint64_t) span);
        /* mostly realistic times: up to 15 days, often whole or half days */
        minutes = (int64_t) ((rng >> 40) % (15 * 480 + 1));
        if (i % 3 == 0) {
            minutes -= minutes % 240;
        }
        cutoff = i % 4 == 0 ? 900 : (i % 4 == 1 ? 600 : -1);
        rc_got = dvc_calendar_due(c, accepted, minutes, cutoff, &got);
        rc_want = ref_due(c, accepted, minutes, cutoff, &want);
        dvc_time_format_vn(accepted, a);
        if (rc_got != rc_want || (rc_got == 0 && got != want)) {
            dvc_time_format_vn(got, g);
            dvc_time_format_vn(want, w);
            fail_msg("accepted %s, %lld minutes, cutoff %d: got %d %s, want %d %s",
                     a, (long long) minutes, cutoff, rc_got, g, rc_want, w);
        }
        refused += rc_got != 0;
    }
    /* the end of 2027 was reached some times, but not most */
    assert_true(refused > 0 && refused < 300);
}

/* An allocator that fails after a number of allocations: every failure must
 * give NULL and "out of memory", and free what was taken (ASan checks). */
typedef struct {
    int left;
} budget_t;

static void *
budget_malloc(void *ud, size_t size)
{
    budget_t *b = ud;

    if (b->left-- <= 0) {
        return NULL;
    }
    return malloc(size);
}

static void *
budget_realloc(void *ud, void *p, size_t old_size, size_t new_size)
{
    budget_t *b = ud;

    (void) old_size;
    if (b->left-- <= 0) {
        return NULL;
    }
    return realloc(p, new_size);
}

static void
budget_free(void *ud, void *p)
{
    (void) ud;
    free(p);
}

static void
test_out_of_memory(void **state)
{
    const char     *text = HEAD "holiday 2026-02-16..2026-02-20 Tết Bính Ngọ\n"
                           "swap 2026-08-31 2026-08-22 Quốc khánh\n";
    budget_t        b;
    dvc_alloc_t     a = { budget_malloc, budget_realloc, budget_free, &b };
    char            err[256];
    dvc_calendar_t *c = NULL;
    int             n;

    (void) state;
    for (n = 0; n < 100 && c == NULL; n++) {
        b.left = n;
        c = dvc_calendar_parse(&a, text, strlen(text), err, sizeof(err));
        if (c == NULL) {
            /* "calendar: out of memory" or, naming a day, "calendar:3: ..." */
            assert_non_null(strstr(err, ": out of memory"));
        }
    }
    assert_non_null(c);
    assert_true(n > 5);     /* it did fail on the way, several times */
    assert_int_equal(dvc_calendar_is_working_day(c, 2026, 8, 22), 1);
    dvc_calendar_free(&a, c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test_setup_teardown(test_shipped_days, setup_shipped, teardown_cal),
        cmocka_unit_test_setup_teardown(test_friday_1659, setup_shipped, teardown_cal),
        cmocka_unit_test_setup_teardown(test_whole_days, setup_shipped, teardown_cal),
        cmocka_unit_test_setup_teardown(test_cutoff_before_tet, setup_shipped,
                                        teardown_cal),
        cmocka_unit_test_setup_teardown(test_swapped_saturday, setup_shipped,
                                        teardown_cal),
        cmocka_unit_test_setup_teardown(test_new_year, setup_shipped, teardown_cal),
        cmocka_unit_test_setup_teardown(test_half_days_and_hours, setup_shipped,
                                        teardown_cal),
        cmocka_unit_test_setup_teardown(test_lunch_break, setup_shipped, teardown_cal),
        cmocka_unit_test_setup_teardown(test_beyond_calendar, setup_shipped,
                                        teardown_cal),
        cmocka_unit_test_setup_teardown(test_against_reference, setup_shipped,
                                        teardown_cal),
        cmocka_unit_test(test_leap_year),
        cmocka_unit_test(test_inline_shape),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_out_of_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
