/*
 * bench/stats seeder: a year (2025) of N synthetic dossiers of a province,
 * moved through their lives by core's own rules (dvc_stats_change, the same
 * function the gateway calls at every change, with the shipped calendar), and
 * the resulting counters written as Redis commands (RESP, for
 * `redis-cli --pipe`): one HSET per counter hash `dvc:st:{cell}:{counter}`
 * with its day fields, plus the SADD of dvc:st:cells.
 *
 * usage: seed_stats CALENDAR N NPROC NAGENCY > seed.resp  2> totals.txt
 *
 * The province: NPROC procedures spread over NAGENCY agencies (procedure j
 * belongs to agency j % NAGENCY), dossiers per procedure skewed as in real
 * portals (weight 1/(j+1)^0.8); 65 % online, 5 % by post, 30 % at the
 * counter.  totals.txt gets what the seeder itself counted (dossiers first
 * accepted in 2025, resolved in 2025, in progress at its end, and the busiest
 * agency and procedure), which run.sh checks against the report before it
 * measures anything.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_alloc.h"
#include "dvc_calendar.h"
#include "dvc_stats.h"
#include "dvc_time.h"

#define DAY0      20089      /* 2025-01-01 as days since 1970 */
#define NDAYS     (366 + 365 + 31)   /* 2025, 2026 and a January: dues run on */
#define HOUR      3600
#define DAY       86400

typedef struct {
    int32_t  *v;          /* [cell][counter][day] */
    int       ncells;
} counts_t;

static uint64_t  rng = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic, good enough for a synthetic province */
static double
urand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double) ((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int64_t
vn_time(int64_t day, int minute)
{
    return (DAY0 + day) * DAY - 7 * HOUR + (int64_t) minute * 60;
}

static int
day_index(const char *yyyymmdd)
{
    int  y, m, d;

    y = (yyyymmdd[0] - '0') * 1000 + (yyyymmdd[1] - '0') * 100
        + (yyyymmdd[2] - '0') * 10 + (yyyymmdd[3] - '0');
    m = (yyyymmdd[4] - '0') * 10 + (yyyymmdd[5] - '0');
    d = (yyyymmdd[6] - '0') * 10 + (yyyymmdd[7] - '0');
    return (int) (dvc_days_from_civil(y, m, d) - DAY0);
}

static const dvc_calendar_t  *cal;
static counts_t               counts;
static int                    nagency;

/* Applies one change to dossier state s; its deltas go to the 4 cells. */
static void
apply(dvc_stat_state_t *s, int proc, dvc_stat_kind_t kind, int64_t at,
    int64_t due, dvc_channel_t ch, dvc_rating_t rating)
{
    char               err[128];
    int                cells[4], c, di;
    size_t             n, i;
    dvc_stat_delta_t   out[DVC_STAT_MAX_DELTAS];
    dvc_stat_change_t  chg;

    memset(&chg, 0, sizeof(chg));
    chg.kind = kind;
    chg.at = at;
    chg.due = due;
    chg.channel = ch;
    chg.rating = rating;

    if (dvc_stats_change(cal, s, &chg, s, out, DVC_STAT_MAX_DELTAS, &n, err,
                         sizeof(err)) != 0)
    {
        fprintf(stderr, "seed_stats: %s\n", err);
        exit(1);
    }

    /* cell numbering: 0 all, 1.. agencies, then procedures, then pairs */
    cells[0] = 0;
    cells[1] = 1 + proc % nagency;
    cells[2] = 1 + nagency + proc;
    cells[3] = 1 + nagency + (counts.ncells - 1 - nagency) / 2 + proc;

    for (i = 0; i < n; i++) {
        di = day_index(out[i].day);
        if (di < 0 || di >= NDAYS) {
            fprintf(stderr, "seed_stats: day %s out of range\n", out[i].day);
            exit(1);
        }
        for (c = 0; c < 4; c++) {
            counts.v[((size_t) cells[c] * DVC_STAT_NCOUNTERS + out[i].counter)
                     * NDAYS + di] += out[i].delta;
        }
    }
}

static int64_t
due_of(int64_t at, int64_t minutes)
{
    int64_t  due;

    if (dvc_calendar_due(cal, at, minutes, -1, &due) != 0) {
        fprintf(stderr, "seed_stats: the calendar does not cover %lld\n",
                (long long) at);
        exit(1);
    }
    return due;
}

static void
resp_arg(const char *s, size_t len)
{
    printf("$%zu\r\n", len);
    fwrite(s, 1, len, stdout);
    fputs("\r\n", stdout);
}

static void
cell_name(int cell, int nproc, char *out, size_t cap)
{
    char  ag[32], pr[32];
    int   j;

    if (cell == 0) {
        snprintf(out, cap, "all");
        return;
    }
    if (cell <= nagency) {
        snprintf(out, cap, "a:000.00.%02d.H22", cell);
        return;
    }
    j = cell - 1 - nagency;
    if (j < nproc) {
        snprintf(out, cap, "p:1.%06d", 900000 + j);
        return;
    }
    j -= nproc;
    snprintf(ag, sizeof(ag), "000.00.%02d.H22", 1 + j % nagency);
    snprintf(pr, sizeof(pr), "1.%06d", 900000 + j);
    snprintf(out, cap, "ap:%s:%s", ag, pr);
}

int
main(int argc, char **argv)
{
    char              *text, err[256], cell[128], key[DVC_STAT_KEY_MAX], day[16];
    char               val[24];
    long               len;
    FILE              *f;
    int                nproc, proc, c, k, d, nf, y, m, dd, busiest_proc, busiest_ag;
    int64_t            n, i, sub, acc, due, res, minutes;
    int32_t           *row;
    double            *cum, w, u;
    long long          received = 0, resolved = 0, open_at_end = 0;
    long long         *per_proc, *per_agency;
    dvc_channel_t      ch;
    dvc_stat_state_t   s;

    if (argc != 5) {
        fprintf(stderr, "usage: seed_stats CALENDAR N NPROC NAGENCY\n");
        return 2;
    }
    n = atoll(argv[2]);
    nproc = atoi(argv[3]);
    nagency = atoi(argv[4]);
    if (n <= 0 || nproc <= 0 || nagency <= 0 || nagency > 99 || nproc > 99999) {
        fprintf(stderr, "seed_stats: bad sizes\n");
        return 2;
    }

    f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc(len + 1);
    if (text == NULL || fread(text, 1, len, f) != (size_t) len) {
        return 2;
    }
    fclose(f);
    cal = dvc_calendar_parse(&dvc_alloc_std, text, len, err, sizeof(err));
    if (cal == NULL) {
        fprintf(stderr, "seed_stats: %s\n", err);
        return 2;
    }

    counts.ncells = 1 + nagency + 2 * nproc;
    counts.v = calloc((size_t) counts.ncells * DVC_STAT_NCOUNTERS * NDAYS,
                      sizeof(int32_t));
    cum = malloc(sizeof(double) * nproc);
    per_proc = calloc(nproc, sizeof(long long));
    per_agency = calloc(nagency, sizeof(long long));
    if (counts.v == NULL || cum == NULL || per_proc == NULL
        || per_agency == NULL)
    {
        return 2;
    }

    for (w = 0, k = 0; k < nproc; k++) {
        w += 1.0 / pow(k + 1, 0.8);
        cum[k] = w;
    }

    for (i = 0; i < n; i++) {
        /* the procedure, by weight */
        u = urand() * w;
        for (proc = 0; proc < nproc - 1 && cum[proc] < u; proc++) { /* void */ }
        minutes = 480 * (3 + (proc % 5) * 3);          /* 3 to 15 days */

        /* submitted on a day of 2025, 07:00-17:59 */
        d = (int) (urand() * 365);
        sub = vn_time(d, 7 * 60 + (int) (urand() * 660));
        u = urand();
        ch = u < 0.65 ? DVC_CHANNEL_ONLINE
             : u < 0.70 ? DVC_CHANNEL_POSTAL : DVC_CHANNEL_COUNTER;

        dvc_stat_state_init(&s);

        if (ch == DVC_CHANNEL_ONLINE) {
            apply(&s, proc, DVC_STAT_SUBMISSION, sub, 0, ch, 0);
            /* the desk: mostly within its working day, some late */
            acc = sub + (int64_t) ((urand() < 0.92 ? urand() * 20 : 20 + urand() * 60)
                                   * HOUR);
            if (acc >= vn_time(365, 0)) {
                continue;                       /* still at the desk */
            }
            if (urand() < 0.03) {
                apply(&s, proc, DVC_STAT_REFUSED_CHANGE, acc, 0, 0, 0);
                continue;
            }
            due = due_of(acc, minutes);
            apply(&s, proc, DVC_STAT_ACCEPTED, acc, due, 0, 0);

        } else {
            acc = sub;
            due = due_of(acc, minutes);
            apply(&s, proc, DVC_STAT_SUBMISSION, sub, due, ch, 0);
        }

        if (acc < vn_time(365, 0)) {
            received++;
            per_proc[proc]++;
            per_agency[proc % nagency]++;
        }

        /* a supplement request for 5 %: voids the due; back 3 days later */
        if (urand() < 0.05) {
            int64_t  t = acc + (int64_t) (urand() * (due - acc));

            apply(&s, proc, DVC_STAT_SUPPLEMENT_REQUESTED, t, 0, 0, 0);
            t += 3 * DAY;
            apply(&s, proc, DVC_STAT_SUPPLEMENT_RECEIVED, t, 0, 0, 0);
            t += 2 * HOUR;
            acc = t;
            due = due_of(acc, minutes);
            apply(&s, proc, DVC_STAT_ACCEPTED, acc, due, 0, 0);
        }

        apply(&s, proc, DVC_STAT_PROCESSING, acc + HOUR, 0, 0, 0);

        /* the result: 80 % early or on time, 12 % late (a third of those
         * with an apology first), 2 % stopped, 1 % withdrawn */
        u = urand();
        if (u < 0.80) {
            res = acc + (int64_t) ((0.2 + 0.8 * urand()) * (due - acc));
        } else if (u < 0.92) {
            if (urand() < 0.33) {
                apply(&s, proc, DVC_STAT_DELAY, due - 4 * HOUR, 0, 0, 0);
            }
            res = due + (int64_t) (urand() * 10 * DAY);
        } else if (u < 0.94) {
            apply(&s, proc, DVC_STAT_STOPPED_CHANGE,
                  acc + (int64_t) (urand() * (due - acc)), 0, 0, 0);
            continue;
        } else if (u < 0.95) {
            res = acc + (int64_t) (urand() * (due - acc));
            apply(&s, proc, DVC_STAT_WITHDRAWAL_REQUESTED, res, 0, 0, 0);
            apply(&s, proc, DVC_STAT_WITHDRAWAL_CONFIRMED, res + DAY, 0, 0, 0);
            continue;
        } else {
            res = due + 30 * DAY;               /* the slow ones */
        }

        if (res >= vn_time(365, 0)) {
            open_at_end++;
            if (res >= vn_time(NDAYS - 1, 0)) {
                continue;
            }
        } else {
            resolved++;
        }
        apply(&s, proc, DVC_STAT_RESOLVED_CHANGE, res, 0, 0, 0);

        if (urand() < 0.4) {
            u = urand();
            apply(&s, proc, DVC_STAT_RATING, res + HOUR, 0, 0,
                  u < 0.6 ? DVC_RATING_VERY_SATISFIED
                  : u < 0.95 ? DVC_RATING_SATISFIED : DVC_RATING_DISSATISFIED);
        }
    }

    /* RESP: one HSET per non-empty counter hash */
    for (c = 0; c < counts.ncells; c++) {
        cell_name(c, nproc, cell, sizeof(cell));
        for (k = 0; k < DVC_STAT_NCOUNTERS; k++) {
            row = &counts.v[((size_t) c * DVC_STAT_NCOUNTERS + k) * NDAYS];
            for (nf = 0, d = 0; d < NDAYS; d++) {
                nf += row[d] != 0;
            }
            if (nf == 0) {
                continue;
            }
            dvc_stat_key(cell, strlen(cell), (dvc_stat_counter_t) k, key,
                         sizeof(key));
            printf("*%d\r\n", 2 + 2 * nf);
            resp_arg("HSET", 4);
            resp_arg(key, strlen(key));
            for (d = 0; d < NDAYS; d++) {
                if (row[d] == 0) {
                    continue;
                }
                dvc_civil_from_days(DAY0 + d, &y, &m, &dd);
                snprintf(day, sizeof(day), "%04d%02d%02d", y, m, dd);
                resp_arg(day, 8);
                len = snprintf(val, sizeof(val), "%d", (int) row[d]);
                resp_arg(val, len);
            }
        }
        printf("*3\r\n");
        resp_arg("SADD", 4);
        resp_arg(DVC_STAT_CELLS_KEY, sizeof(DVC_STAT_CELLS_KEY) - 1);
        resp_arg(cell, strlen(cell));
    }

    for (busiest_proc = 0, k = 1; k < nproc; k++) {
        if (per_proc[k] > per_proc[busiest_proc]) {
            busiest_proc = k;
        }
    }
    for (busiest_ag = 0, k = 1; k < nagency; k++) {
        if (per_agency[k] > per_agency[busiest_ag]) {
            busiest_ag = k;
        }
    }
    fprintf(stderr, "received_2025=%lld resolved_2025=%lld open_at_end=%lld "
            "busiest_procedure=1.%06d busiest_procedure_received=%lld "
            "busiest_agency=000.00.%02d.H22 busiest_agency_received=%lld\n",
            received, resolved, open_at_end, 900000 + busiest_proc,
            per_proc[busiest_proc], 1 + busiest_ag, per_agency[busiest_ag]);

    free(counts.v);
    free(cum);
    free(per_proc);
    free(per_agency);
    free(text);
    dvc_calendar_free(&dvc_alloc_std, (dvc_calendar_t *) cal);
    return 0;
}
