/*
 * The working-day calendar: when a dossier accepted at a given instant is due,
 * counting its processing time in office time of working days only.
 *
 * Time is Vietnam's civil time, Asia/Ho_Chi_Minh: UTC+07:00 all year (no
 * daylight saving since 1975), so the conversion is a fixed offset and the
 * civil-date arithmetic is done here (days from civil), never through TZ.
 *
 * A calendar is parsed once, at configuration time, from a text file (format
 * and counting rules: docs/calendar.md) and is immutable afterwards, so any
 * number of workers may read it at once.  It covers a closed range of years;
 * a question outside that range is refused, never guessed.
 */
#ifndef DVC_CALENDAR_H
#define DVC_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"
#include "dvc_time.h"

#define DVC_CALENDAR_MAX_PERIODS  4

typedef struct dvc_calendar dvc_calendar_t;

/* Parses a calendar file's text.  Returns the calendar, or NULL with a
 * message like `calendar:12: unknown directive "holday"` in err. */
dvc_calendar_t *dvc_calendar_parse(const dvc_alloc_t *a, const char *text,
    size_t len, char *err, size_t errlen);
void dvc_calendar_free(const dvc_alloc_t *a, dvc_calendar_t *c);

/* 1 working day, 0 not, -1 outside the calendar's years. */
int dvc_calendar_is_working_day(const dvc_calendar_t *c, int y, int m, int d);
/* The name the file gives a holiday or swapped day, or NULL. */
const char *dvc_calendar_day_name(const dvc_calendar_t *c, int y, int m, int d);
/* The years the calendar answers for. */
void dvc_calendar_years(const dvc_calendar_t *c, int *first, int *last);
/* Office minutes in one working day (480 for 07:30-11:30 13:00-17:00): the
 * length of "1 day" of processing time. */
int dvc_calendar_day_minutes(const dvc_calendar_t *c);

/*
 * Processing time as written in x-dvc (`{"days": 2.5}` or `{"hours": 4}`),
 * as office minutes of this calendar.  num is the JSON number's text; days
 * must be whole or half days, hours must come to whole minutes.  Returns 0, or
 * -1 (negative, not a number, not a half day, absurdly long).
 */
int dvc_calendar_processing_minutes(const dvc_calendar_t *c, const char *num,
    size_t len, int in_days, int64_t *minutes);

/*
 * The instant counting starts for a dossier accepted at accepted_unix:
 * seconds are dropped; inside an office period on a working day it is the
 * acceptance minute itself, unless cutoff_minute (minutes after midnight, -1
 * for none) is set and the acceptance minute is later than it; otherwise it
 * is the start of the next office period of a working day.
 * Returns 0, or -1 when that lies outside the calendar's years.
 */
int dvc_calendar_start(const dvc_calendar_t *c, int64_t accepted_unix,
    int cutoff_minute, int64_t *start_unix);

/*
 * The due time: counting starts as above and runs `minutes` of office time
 * forward inside office periods of working days.  A count that ends exactly
 * at the end of a period is due at that end (17:00 of the last day, not 07:30
 * of the next).  Returns 0 and *due_unix, or -1 when the count runs beyond
 * the calendar's years (or minutes is negative).
 */
int dvc_calendar_due(const dvc_calendar_t *c, int64_t accepted_unix,
    int64_t minutes, int cutoff_minute, int64_t *due_unix);

#endif
