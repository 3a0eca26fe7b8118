/*
 * The working-day calendar: the file's parser and the due-time count.  The
 * file format and the counting rules are described in docs/calendar.md.
 *
 * The parsed calendar is one flag per day of its years (working or not) and
 * the office periods of a working day, so every question is an array lookup
 * and a walk over at most a few periods per day.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dvc_calendar.h"
#include "dvc_utf8.h"

#define MAX_YEARS      50          /* a calendar is renewed, not a century */
#define MAX_RANGE_DAYS 31          /* a holiday range longer than this is a typo */
#define MAX_DAYS_PROCESSING 1000   /* working days; beyond this x-dvc is wrong */

struct dvc_calendar {
    int       first_year;
    int       last_year;
    int64_t   first_day;           /* days since 1970-01-01 of first_year-01-01 */
    int64_t   ndays;
    uint8_t  *working;             /* per day: 1 working day, 0 not */
    char    **name;                /* per day: the file's name for it, or NULL */
    unsigned  weekdays;            /* bit w (0 = Sunday) set: a working weekday */
    int       nperiods;
    int       period_start[DVC_CALENDAR_MAX_PERIODS];  /* minutes after midnight */
    int       period_end[DVC_CALENDAR_MAX_PERIODS];
    int       day_minutes;
};

typedef struct {
    const char *s;
    size_t      len;
} tok_t;

#define MAX_TOKS 8

typedef struct {
    const char *text;
    size_t      len;
    size_t      pos;
    int         lineno;
    tok_t       tok[MAX_TOKS];
    int         ntok;
    const char *rest;              /* the line after the first ntok - 1 tokens */
    size_t      rest_len;
} lines_t;

typedef struct {
    char       *err;
    size_t      errlen;
    int         lineno;
} ctx_t;

static const char *const wday_names[] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

static int
fail(ctx_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(ctx_t *x, const char *fmt, ...)
{
    va_list ap;
    int     n = 0;

    if (x->errlen == 0) {
        return -1;
    }
    if (x->lineno > 0) {
        n = snprintf(x->err, x->errlen, "calendar:%d: ", x->lineno);
    } else {
        n = snprintf(x->err, x->errlen, "calendar: ");
    }
    if (n < 0 || (size_t) n >= x->errlen) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(x->err + n, x->errlen - n, fmt, ap);
    va_end(ap);
    return -1;
}

static int
is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/*
 * Next non-empty line, comment removed, split into whitespace-separated
 * tokens (at most MAX_TOKS; the rest of the line stays in the last token's
 * tail, see line_rest).  Returns 0 at the end of the text.
 */
static int
next_line(lines_t *l)
{
    const char *p, *end, *hash;
    size_t      eol;

    while (l->pos < l->len) {
        p = l->text + l->pos;
        end = memchr(p, '\n', l->len - l->pos);
        eol = end ? (size_t) (end - p) : l->len - l->pos;
        l->pos += eol + (end ? 1 : 0);
        l->lineno++;
        hash = memchr(p, '#', eol);
        if (hash) {
            eol = hash - p;
        }
        end = p + eol;
        l->ntok = 0;
        while (p < end) {
            while (p < end && is_space(*p)) {
                p++;
            }
            if (p == end) {
                break;
            }
            if (l->ntok == MAX_TOKS) {
                break;
            }
            l->tok[l->ntok].s = p;
            while (p < end && !is_space(*p)) {
                p++;
            }
            l->tok[l->ntok].len = p - l->tok[l->ntok].s;
            l->ntok++;
        }
        if (l->ntok > 0) {
            /* the end of the line, for names that contain spaces */
            l->rest = end;
            return 1;
        }
    }
    return 0;
}

/* The text from token i to the end of the line, trailing spaces trimmed. */
static tok_t
line_rest(const lines_t *l, int i)
{
    tok_t       t;
    const char *end = l->rest;

    t.s = l->tok[i].s;
    while (end > t.s && is_space(end[-1])) {
        end--;
    }
    t.len = end - t.s;
    return t;
}

static int
tok_is(const tok_t *t, const char *word)
{
    size_t n = strlen(word);

    return t->len == n && memcmp(t->s, word, n) == 0;
}

static int
parse_uint(const char *s, size_t len, int *v)
{
    size_t i;
    long   n = 0;

    if (len == 0 || len > 9) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        n = n * 10 + (s[i] - '0');
    }
    *v = (int) n;
    return 0;
}

/* YYYY-MM-DD, a real date */
static int
parse_date(const char *s, size_t len, int *y, int *m, int *d)
{
    if (len != 10 || s[4] != '-' || s[7] != '-'
        || parse_uint(s, 4, y) || parse_uint(s + 5, 2, m)
        || parse_uint(s + 8, 2, d) || !dvc_date_valid(*y, *m, *d))
    {
        return -1;
    }
    return 0;
}

static int
parse_wday(const char *s, size_t len)
{
    int i;

    for (i = 0; i < 7; i++) {
        if (len == 3 && memcmp(s, wday_names[i], 3) == 0) {
            return i;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------- pass 1 */

static int
dir_years(ctx_t *x, dvc_calendar_t *c, const lines_t *l)
{
    const tok_t *t = &l->tok[1];
    const char  *dash;

    if (l->ntok != 2) {
        return fail(x, "\"years\" takes one range, e.g. \"years 2025-2027\"");
    }
    dash = memchr(t->s, '-', t->len);
    if (dash == NULL) {
        if (parse_uint(t->s, t->len, &c->first_year)) {
            return fail(x, "bad year \"%.*s\"", (int) t->len, t->s);
        }
        c->last_year = c->first_year;
    } else if (parse_uint(t->s, dash - t->s, &c->first_year)
               || parse_uint(dash + 1, t->s + t->len - dash - 1, &c->last_year))
    {
        return fail(x, "bad year range \"%.*s\"", (int) t->len, t->s);
    }
    if (c->first_year < 1970 || c->last_year > 9999
        || c->last_year < c->first_year
        || c->last_year - c->first_year >= MAX_YEARS)
    {
        return fail(x, "year range \"%.*s\" is not 1970-9999 or longer than %d "
                    "years", (int) t->len, t->s, MAX_YEARS);
    }
    return 0;
}

static int
dir_hours(ctx_t *x, dvc_calendar_t *c, const lines_t *l)
{
    int          i, s, e;
    const tok_t *t;

    if (l->ntok < 2) {
        return fail(x, "\"hours\" needs office periods, e.g. "
                    "\"hours 07:30-11:30 13:00-17:00\"");
    }
    if (l->ntok - 1 > DVC_CALENDAR_MAX_PERIODS) {
        return fail(x, "more than %d office periods", DVC_CALENDAR_MAX_PERIODS);
    }
    c->nperiods = 0;
    c->day_minutes = 0;
    for (i = 1; i < l->ntok; i++) {
        t = &l->tok[i];
        if (t->len != 11 || t->s[5] != '-'
            || (s = dvc_time_parse_hhmm(t->s, 5)) < 0
            || (e = dvc_time_parse_hhmm(t->s + 6, 5)) < 0)
        {
            return fail(x, "bad office period \"%.*s\" (HH:MM-HH:MM)",
                        (int) t->len, t->s);
        }
        if (e <= s) {
            return fail(x, "office period \"%.*s\" ends before it starts",
                        (int) t->len, t->s);
        }
        if (c->nperiods > 0 && s < c->period_end[c->nperiods - 1]) {
            return fail(x, "office period \"%.*s\" overlaps or precedes the one "
                        "before it", (int) t->len, t->s);
        }
        c->period_start[c->nperiods] = s;
        c->period_end[c->nperiods] = e;
        c->nperiods++;
        c->day_minutes += e - s;
    }
    return 0;
}

static int
dir_weekdays(ctx_t *x, dvc_calendar_t *c, const lines_t *l)
{
    int          i, a, b, w;
    const tok_t *t;

    if (l->ntok < 2) {
        return fail(x, "\"weekdays\" needs days, e.g. \"weekdays mon-fri\"");
    }
    c->weekdays = 0;
    for (i = 1; i < l->ntok; i++) {
        t = &l->tok[i];
        if (t->len == 7 && t->s[3] == '-') {
            a = parse_wday(t->s, 3);
            b = parse_wday(t->s + 4, 3);
        } else {
            a = b = parse_wday(t->s, t->len);
        }
        if (a < 0 || b < 0) {
            return fail(x, "bad weekday \"%.*s\" (mon tue wed thu fri sat sun, "
                        "or a range like mon-fri)", (int) t->len, t->s);
        }
        for (w = a;; w = (w + 1) % 7) {
            c->weekdays |= 1u << w;
            if (w == b) {
                break;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- pass 2 */

typedef struct {
    dvc_calendar_t    *c;
    const dvc_alloc_t *a;
    int               *decl_line;  /* per day: the line that declared it, or 0 */
} build_t;

static int
day_index(ctx_t *x, build_t *b, const tok_t *t, int64_t *idx)
{
    int     y, m, d;
    int64_t i;

    if (parse_date(t->s, t->len, &y, &m, &d)) {
        return fail(x, "bad date \"%.*s\" (YYYY-MM-DD)", (int) t->len, t->s);
    }
    i = dvc_days_from_civil(y, m, d) - b->c->first_day;
    if (i < 0 || i >= b->c->ndays) {
        return fail(x, "%.*s is outside the calendar's years %d-%d",
                    (int) t->len, t->s, b->c->first_year, b->c->last_year);
    }
    *idx = i;
    return 0;
}

static int
pattern_working(const dvc_calendar_t *c, int64_t idx)
{
    return (c->weekdays >> dvc_weekday(c->first_day + idx)) & 1;
}

static int
declare(ctx_t *x, build_t *b, int64_t idx, const tok_t *date, int working,
        const tok_t *name)
{
    if (b->decl_line[idx] != 0) {
        return fail(x, "%.*s is already declared on line %d",
                    (int) date->len, date->s, b->decl_line[idx]);
    }
    b->decl_line[idx] = x->lineno;
    b->c->working[idx] = (uint8_t) working;
    b->c->name[idx] = dvc_strndup(b->a, name->s, name->len);
    if (b->c->name[idx] == NULL) {
        return fail(x, "out of memory");
    }
    return 0;
}

static int
need_name(ctx_t *x, const lines_t *l, int i, const char *dir, tok_t *name)
{
    if (l->ntok <= i) {
        return fail(x, "\"%s\" needs a name after the date(s), e.g. the holiday "
                    "or the notice that set it", dir);
    }
    *name = line_rest(l, i);
    if (!dvc_utf8_valid((const unsigned char *) name->s, name->len)) {
        return fail(x, "the name is not valid UTF-8");
    }
    return 0;
}

/* holiday DATE[..DATE] NAME: days off (statutory, compensatory, bridge) */
static int
dir_holiday(ctx_t *x, build_t *b, const lines_t *l)
{
    const tok_t *t = &l->tok[1];
    tok_t        from, to, name;
    const char  *dots;
    int64_t      a, z, i;

    if (l->ntok < 2) {
        return fail(x, "\"holiday\" needs a date, e.g. "
                    "\"holiday 2026-09-02 Quốc khánh\"");
    }
    from = to = *t;
    dots = NULL;
    for (i = 0; i + 1 < (int64_t) t->len; i++) {
        if (t->s[i] == '.' && t->s[i + 1] == '.') {
            dots = t->s + i;
            break;
        }
    }
    if (dots) {
        from.len = dots - t->s;
        to.s = dots + 2;
        to.len = t->s + t->len - to.s;
    }
    if (day_index(x, b, &from, &a) || day_index(x, b, &to, &z)) {
        return -1;
    }
    if (z < a || z - a >= MAX_RANGE_DAYS) {
        return fail(x, "bad date range \"%.*s\"", (int) t->len, t->s);
    }
    if (need_name(x, l, 2, "holiday", &name)) {
        return -1;
    }
    for (i = a; i <= z; i++) {
        if (declare(x, b, i, t, 0, &name)) {
            return -1;
        }
    }
    return 0;
}

/* workday DATE NAME: a weekend day worked (a make-up day) */
static int
dir_workday(ctx_t *x, build_t *b, const lines_t *l)
{
    tok_t   name;
    int64_t i;

    if (l->ntok < 2) {
        return fail(x, "\"workday\" needs a date");
    }
    if (day_index(x, b, &l->tok[1], &i)) {
        return -1;
    }
    if (pattern_working(b->c, i)) {
        return fail(x, "%.*s is a %s, already a working day",
                    (int) l->tok[1].len, l->tok[1].s,
                    wday_names[dvc_weekday(b->c->first_day + i)]);
    }
    if (need_name(x, l, 2, "workday", &name)) {
        return -1;
    }
    return declare(x, b, i, &l->tok[1], 1, &name);
}

/* swap DAYOFF WORKDAY NAME: a weekday off, made up on a weekend day */
static int
dir_swap(ctx_t *x, build_t *b, const lines_t *l)
{
    tok_t   name;
    int64_t off, on;

    if (l->ntok < 3) {
        return fail(x, "\"swap\" needs the weekday off and the weekend day "
                    "worked instead, e.g. \"swap 2026-01-02 2026-01-10 ...\"");
    }
    if (day_index(x, b, &l->tok[1], &off) || day_index(x, b, &l->tok[2], &on)) {
        return -1;
    }
    if (!pattern_working(b->c, off)) {
        return fail(x, "%.*s is a %s, not a working day to swap away",
                    (int) l->tok[1].len, l->tok[1].s,
                    wday_names[dvc_weekday(b->c->first_day + off)]);
    }
    if (pattern_working(b->c, on)) {
        return fail(x, "%.*s is a %s, already a working day",
                    (int) l->tok[2].len, l->tok[2].s,
                    wday_names[dvc_weekday(b->c->first_day + on)]);
    }
    if (need_name(x, l, 3, "swap", &name)) {
        return -1;
    }
    if (declare(x, b, off, &l->tok[1], 0, &name)) {
        return -1;
    }
    return declare(x, b, on, &l->tok[2], 1, &name);
}

/* ---------------------------------------------------------------- parse */

void
dvc_calendar_free(const dvc_alloc_t *a, dvc_calendar_t *c)
{
    int64_t i;

    if (c == NULL) {
        return;
    }
    if (c->name) {
        for (i = 0; i < c->ndays; i++) {
            dvc_free(a, c->name[i]);
        }
        dvc_free(a, c->name);
    }
    dvc_free(a, c->working);
    dvc_free(a, c);
}

dvc_calendar_t *
dvc_calendar_parse(const dvc_alloc_t *a, const char *text, size_t len,
                   char *err, size_t errlen)
{
    dvc_calendar_t *c;
    lines_t         l;
    ctx_t           x;
    build_t         b;
    int             years_line = 0, hours_line = 0, weekdays_line = 0, rc;
    int            *seen;
    int64_t         i;

    x.err = err;
    x.errlen = errlen;
    x.lineno = 0;
    if (errlen > 0) {
        err[0] = '\0';
    }
    c = dvc_calloc(a, 1, sizeof(*c));
    if (c == NULL) {
        fail(&x, "out of memory");
        return NULL;
    }
    c->weekdays = 0x3e;                /* mon-fri unless the file says */

    /* pass 1: the shape of the calendar, whatever the order of the lines */
    memset(&l, 0, sizeof(l));
    l.text = text;
    l.len = len;
    while (next_line(&l)) {
        x.lineno = l.lineno;
        seen = NULL;
        if (tok_is(&l.tok[0], "years")) {
            seen = &years_line;
            rc = dir_years(&x, c, &l);
        } else if (tok_is(&l.tok[0], "hours")) {
            seen = &hours_line;
            rc = dir_hours(&x, c, &l);
        } else if (tok_is(&l.tok[0], "weekdays")) {
            seen = &weekdays_line;
            rc = dir_weekdays(&x, c, &l);
        } else if (tok_is(&l.tok[0], "holiday") || tok_is(&l.tok[0], "workday")
                   || tok_is(&l.tok[0], "swap"))
        {
            continue;
        } else {
            fail(&x, "unknown directive \"%.*s\"", (int) l.tok[0].len,
                 l.tok[0].s);
            goto failed;
        }
        if (rc != 0) {
            goto failed;
        }
        if (*seen) {
            fail(&x, "\"%.*s\" is already set on line %d", (int) l.tok[0].len,
                 l.tok[0].s, *seen);
            goto failed;
        }
        *seen = l.lineno;
    }
    x.lineno = 0;
    if (!years_line) {
        fail(&x, "no \"years\" line: say which years the file covers, "
             "e.g. \"years 2025-2027\"");
        goto failed;
    }
    if (!hours_line) {
        fail(&x, "no \"hours\" line, e.g. \"hours 07:30-11:30 13:00-17:00\"");
        goto failed;
    }

    c->first_day = dvc_days_from_civil(c->first_year, 1, 1);
    c->ndays = dvc_days_from_civil(c->last_year + 1, 1, 1) - c->first_day;
    c->working = dvc_malloc(a, c->ndays);
    c->name = dvc_calloc(a, c->ndays, sizeof(char *));
    b.decl_line = dvc_calloc(a, c->ndays, sizeof(int));
    if (c->working == NULL || c->name == NULL || b.decl_line == NULL) {
        dvc_free(a, b.decl_line);
        fail(&x, "out of memory");
        goto failed;
    }
    for (i = 0; i < c->ndays; i++) {
        c->working[i] = (uint8_t) pattern_working(c, i);
    }

    /* pass 2: the days that differ from the weekly pattern */
    b.c = c;
    b.a = a;
    memset(&l, 0, sizeof(l));
    l.text = text;
    l.len = len;
    rc = 0;
    while (rc == 0 && next_line(&l)) {
        x.lineno = l.lineno;
        if (tok_is(&l.tok[0], "holiday")) {
            rc = dir_holiday(&x, &b, &l);
        } else if (tok_is(&l.tok[0], "workday")) {
            rc = dir_workday(&x, &b, &l);
        } else if (tok_is(&l.tok[0], "swap")) {
            rc = dir_swap(&x, &b, &l);
        }
    }
    dvc_free(a, b.decl_line);
    if (rc != 0) {
        goto failed;
    }
    return c;

failed:
    dvc_calendar_free(a, c);
    return NULL;
}

/* ---------------------------------------------------------------- queries */

static int64_t
index_of(const dvc_calendar_t *c, int y, int m, int d)
{
    if (!dvc_date_valid(y, m, d)) {
        return -1;
    }
    return dvc_days_from_civil(y, m, d) - c->first_day;
}

int
dvc_calendar_is_working_day(const dvc_calendar_t *c, int y, int m, int d)
{
    int64_t i = index_of(c, y, m, d);

    if (i < 0 || i >= c->ndays) {
        return -1;
    }
    return c->working[i];
}

const char *
dvc_calendar_day_name(const dvc_calendar_t *c, int y, int m, int d)
{
    int64_t i = index_of(c, y, m, d);

    if (i < 0 || i >= c->ndays) {
        return NULL;
    }
    return c->name[i];
}

void
dvc_calendar_years(const dvc_calendar_t *c, int *first, int *last)
{
    *first = c->first_year;
    *last = c->last_year;
}

int
dvc_calendar_day_minutes(const dvc_calendar_t *c)
{
    return c->day_minutes;
}

int
dvc_calendar_processing_minutes(const dvc_calendar_t *c, const char *num,
                                size_t len, int in_days, int64_t *minutes)
{
    int64_t whole = 0, frac = 0, scale = 1, unit, total;
    size_t  i = 0;

    /* an exact decimal: 2.5 days must not become 1199.99 minutes */
    while (i < len && num[i] >= '0' && num[i] <= '9') {
        if (i >= 6) {
            return -1;
        }
        whole = whole * 10 + (num[i] - '0');
        i++;
    }
    if (i == 0) {
        return -1;
    }
    if (i < len && num[i] == '.') {
        i++;
        if (i == len) {
            return -1;
        }
        while (i < len && num[i] >= '0' && num[i] <= '9') {
            if (scale >= 1000000) {
                return -1;
            }
            frac = frac * 10 + (num[i] - '0');
            scale *= 10;
            i++;
        }
    }
    if (i != len) {
        return -1;                      /* sign, exponent, garbage */
    }
    if (in_days) {
        if (whole > MAX_DAYS_PROCESSING || (frac * 2) % scale != 0) {
            return -1;                  /* whole or half days only */
        }
        unit = c->day_minutes;
    } else {
        if (whole > MAX_DAYS_PROCESSING * 24) {
            return -1;
        }
        unit = 60;
    }
    total = (whole * scale + frac) * unit;
    if (total % scale != 0) {
        return -1;                      /* not a whole number of minutes */
    }
    *minutes = total / scale;
    return 0;
}

/* Vietnam civil day (since 1970) and minute of day of an instant */
static void
vn_day_minute(int64_t t, int64_t *day, int *minute)
{
    int64_t local = t + DVC_VN_UTC_OFFSET;
    int64_t d = local / 86400;

    if (local % 86400 < 0) {
        d--;
    }
    *day = d;
    *minute = (int) ((local - d * 86400) / 60);
}

static int64_t
vn_instant(const dvc_calendar_t *c, int64_t idx, int minute)
{
    return (c->first_day + idx) * 86400 + (int64_t) minute * 60
           - DVC_VN_UTC_OFFSET;
}

/* the next working day after idx, or -1 past the calendar */
static int64_t
next_working(const dvc_calendar_t *c, int64_t idx)
{
    for (idx++; idx < c->ndays; idx++) {
        if (c->working[idx]) {
            return idx;
        }
    }
    return -1;
}

/* counting start as a day index and minute of day; -1 outside the years */
static int
start_point(const dvc_calendar_t *c, int64_t accepted, int cutoff,
            int64_t *idx, int *minute)
{
    int64_t day, i;
    int     min, p;

    vn_day_minute(accepted, &day, &min);
    i = day - c->first_day;
    if (i < 0 || i >= c->ndays) {
        return -1;
    }
    if (c->working[i] && !(cutoff >= 0 && min > cutoff)) {
        for (p = 0; p < c->nperiods; p++) {
            if (min < c->period_end[p]) {
                *idx = i;
                *minute = min > c->period_start[p] ? min : c->period_start[p];
                return 0;
            }
        }
    }
    /* after hours, after the cut-off or on a day off: the next working day */
    i = next_working(c, i);
    if (i < 0) {
        return -1;
    }
    *idx = i;
    *minute = c->period_start[0];
    return 0;
}

int
dvc_calendar_start(const dvc_calendar_t *c, int64_t accepted_unix,
                   int cutoff_minute, int64_t *start_unix)
{
    int64_t idx;
    int     min;

    if (start_point(c, accepted_unix, cutoff_minute, &idx, &min)) {
        return -1;
    }
    *start_unix = vn_instant(c, idx, min);
    return 0;
}

int
dvc_calendar_due(const dvc_calendar_t *c, int64_t accepted_unix,
                 int64_t minutes, int cutoff_minute, int64_t *due_unix)
{
    int64_t idx, left = minutes, avail;
    int     min, p, s;

    if (minutes < 0 || start_point(c, accepted_unix, cutoff_minute, &idx, &min)) {
        return -1;
    }
    for (;;) {
        for (p = 0; p < c->nperiods; p++) {
            if (min >= c->period_end[p]) {
                continue;
            }
            s = min > c->period_start[p] ? min : c->period_start[p];
            avail = c->period_end[p] - s;
            /* "<=": a count that fills the period ends at its end, 17:00 */
            if (left <= avail) {
                *due_unix = vn_instant(c, idx, s + (int) left);
                return 0;
            }
            left -= avail;
        }
        /* whole working days in one step */
        for (;;) {
            idx = next_working(c, idx);
            if (idx < 0) {
                return -1;              /* beyond the calendar: never guess */
            }
            if (left <= c->day_minutes) {
                break;
            }
            left -= c->day_minutes;
        }
        min = 0;
    }
}
