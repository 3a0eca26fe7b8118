/*
 * The province's statistics: counters kept at every change of a dossier, so
 * the report over any period is a handful of sums, never a scan of dossiers.
 *
 * Counters are Redis hashes `dvc:st:{cell}:{counter}`, field = a Vietnam date
 * `YYYYMMDD`, value = a count changed by HINCRBY (+1 / -1) in the same atomic
 * write that applies the change.  Cells: `all`, `a:{agency}`, `p:{procedure}`,
 * `ap:{agency}:{procedure}`, and by level and sector (below); every delta
 * goes to all that apply.  Report periods are whole Vietnam days, so a sum over dates is exact.  The rules (which counter,
 * which day) are issue 5's contract (docs/statistics.md); the lines next to
 * each counter below restate them.
 *
 * What a dossier's statistics need to remember between changes (channel,
 * whether it has been received and closed, its current due time and apology,
 * whether it still waits at the desk for the first time) is dvc_stat_state_t,
 * stored in the dossier's own hash as the `st_*` fields.  Callers read those
 * fields (HMGET with dvc_stat_field_names), hand the state and the change to
 * dvc_stats_change(), and write back the deltas (HINCRBY on the cells'
 * keys) and the changed st_* fields (HSET / HDEL) in one atomic step.
 *
 * Everything here is pure: no I/O, no clock, no global state.
 */
#ifndef DVC_STATS_H
#define DVC_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_buf.h"
#include "dvc_calendar.h"

/* ---------------------------------------------------------------- counters */

typedef enum {
    DVC_STAT_RECEIVED_ONLINE = 0, /* first acceptance, by acceptance day, */
    DVC_STAT_RECEIVED_POSTAL,     /*   one counter per channel            */
    DVC_STAT_RECEIVED_COUNTER,
    DVC_STAT_SUBMITTED_ONLINE,    /* online dossier waiting at the desk, by submission day */
    DVC_STAT_ACCEPT_DUE,          /* the same, by its acceptance deadline day */
    DVC_STAT_LEFT_DESK,           /* its first departure from status 1, by that day */
    DVC_STAT_LEFT_DESK_LATE,      /* departed after the deadline, by departure day */
    DVC_STAT_LEFT_DESK_ONTIME,    /* departed by the deadline, by DEADLINE day */
    DVC_STAT_CLOSED,              /* received dossier entering 3, 8 or 9, by that day */
    DVC_STAT_DUE_A,               /* received dossier with a due time, by due day, */
    DVC_STAT_DUE_N,               /*   with (a) or without (n) an apology          */
    DVC_STAT_CLOSED_LATE_A,       /* closed after the due time, by closing day */
    DVC_STAT_CLOSED_LATE_N,
    DVC_STAT_CLOSED_ONTIME_A,     /* closed by the due time, by DUE day */
    DVC_STAT_CLOSED_ONTIME_N,
    DVC_STAT_RESOLVED_EARLY,      /* resolved on a day before the due day */
    DVC_STAT_RESOLVED_ONTIME,     /* on the due day, by the due time */
    DVC_STAT_RESOLVED_LATE,       /* after the due time; all three by resolution day */
    DVC_STAT_REFUSED,             /* 1 -> 3, by day */
    DVC_STAT_STOPPED,             /* -> 8 by the back-end's stop (not withdrawals) */
    DVC_STAT_WITHDRAWN,           /* 7 -> 8 */
    DVC_STAT_RATING_VERY_SATISFIED,
    DVC_STAT_RATING_SATISFIED,
    DVC_STAT_RATING_DISSATISFIED,
    DVC_STAT_RECEIVED_L3,         /* received_* again, by the level of online */
    DVC_STAT_RECEIVED_ONLINE_L3,  /*   service the dossier was submitted     */
    DVC_STAT_RECEIVED_L4,         /*   under (any channel / online only)     */
    DVC_STAT_RECEIVED_ONLINE_L4,
    DVC_STAT_PAID_ONLINE,         /* a dossier's first online payment, by the
                                     day the gateway recorded it */
    DVC_STAT_FEES_ONLINE,         /* VND of every online payment, that day
                                     (its delta is the amount, not 1) */
    /* liên thông (dvc_transfer.h); not from dvc_stats_change() */
    DVC_STAT_TRANSFERRED,         /* dossier's first transfer, by its day: the
                                     cells of the dossier's own agency */
    DVC_STAT_TRANSFER_IN,         /* a part received, by transfer day: the
                                     cells of the RECEIVING agency */
    DVC_STAT_TRANSFER_IN_ONTIME,  /* returned by its share's due time, */
    DVC_STAT_TRANSFER_IN_LATE,    /*   or after: both by return day, the
                                     receiving agency's cells */
    DVC_STAT_NCOUNTERS
} dvc_stat_counter_t;

/* "received_online", "due_a", ... (the key's last part); NULL out of range. */
const char *dvc_stat_counter_name(dvc_stat_counter_t c);

/* ------------------------------------------------------------------- cells */

/*
 * A dossier's changes are counted in up to ten cells: all, a:{agency},
 * p:{procedure}, ap:{agency}:{procedure}, and by the level of online service
 * (3, 4) and the sector (the procedure's x-dvc "sector") it was submitted
 * under: l:{level}, al:{agency}:{level}, s:{sector}, as:{agency}:{sector},
 * ls:{level}:{sector}, als:{agency}:{level}:{sector}.  A dossier with no
 * known level (recorded before levels were counted) or no sector is counted
 * in none of the cells that need them, so every cell stays consistent.
 */
#define DVC_STAT_NCELLS     10
#define DVC_STAT_NAME_MAX   64     /* an agency, procedure or sector code */
/* "dvc:st:als:{agency}:{level}:{sector}:{counter}" fits */
#define DVC_STAT_KEY_MAX    (sizeof("dvc:st:als:::4:rating_very_satisfied") \
                             + 2 * DVC_STAT_NAME_MAX)

/* Where one dossier is counted. */
typedef struct {
    const char  *agency;         /* NULL: none */
    size_t       agency_len;
    const char  *procedure;      /* NULL: none */
    size_t       procedure_len;
    int          level;          /* 3, 4; 0: unknown */
    const char  *sector;         /* NULL: none */
    size_t       sector_len;
} dvc_stat_dims_t;

/* 1 when s is usable in a cell name: 1..64 bytes of [A-Za-z0-9._-] (agency
 * codes like 000.00.10.H47, procedure codes like 1.000001).  No ':' so the
 * `ap:{agency}:{procedure}` cell is unambiguous. */
int dvc_stat_name_ok(const char *s, size_t len);

/*
 * The name of cell `which` (0 all, 1 a:{agency}, 2 p:{procedure},
 * 3 ap:{agency}:{procedure}) into out (NUL-terminated).  agency / procedure
 * may be NULL (len 0) for cells that do not use them.  Returns its length, or
 * -1 when a name it needs is missing or not dvc_stat_name_ok, or cap is short.
 */
int dvc_stat_cell(int which, const char *agency, size_t alen,
    const char *procedure, size_t plen, char *out, size_t cap);

/*
 * The name of cell `which` (0..DVC_STAT_NCELLS-1, in the order above: all, a,
 * p, ap, l, al, s, as, ls, als) of a dossier with those dimensions.  Returns
 * its length; 0 when the cell does not apply (a dimension it needs is
 * absent: no level, no sector); -1 when a name it needs is not
 * dvc_stat_name_ok, the level is not 0, 3 or 4, or cap is short.
 */
int dvc_stat_cell_of(int which, const dvc_stat_dims_t *d, char *out,
    size_t cap);

/* "dvc:st:{cell}:{counter}" into out; its length, or -1 when cap is short. */
int dvc_stat_key(const char *cell, size_t clen, dvc_stat_counter_t c,
    char *out, size_t cap);

/* The set listing every cell ever written (SADD at submission). */
#define DVC_STAT_CELLS_KEY  "dvc:st:cells"

/* ---------------------------------------------------------- dossier state */

typedef enum {
    DVC_CHANNEL_NONE = 0,
    DVC_CHANNEL_ONLINE,     /* submitted through the API by the citizen */
    DVC_CHANNEL_POSTAL,     /* recorded by the back-end (signed intake) */
    DVC_CHANNEL_COUNTER
} dvc_channel_t;

/* "online" / "postal" / "counter"; NULL for NONE. */
const char *dvc_channel_name(dvc_channel_t ch);
/* DVC_CHANNEL_NONE when s names none. */
dvc_channel_t dvc_channel_by_name(const char *s, size_t len);

/*
 * What the statistics know of one dossier.  Hash fields (absent = the zero
 * value; a field is deleted rather than written with its zero value):
 *   st_ch    channel name                      (written at submission)
 *   st_rcv   "1": counted in received_* once   (first acceptance)
 *   st_cl    "1": counted in closed once       (entering 3, 8 or 9 after st_rcv)
 *   st_due   Unix seconds of the due time counted in due_a/due_n
 *   st_apo   "1": that due is counted in due_a (a delay apologised for it)
 *   st_desk  "1": an online dossier waiting at the desk for the first time
 *   st_adl   Unix seconds of its acceptance deadline (with st_desk)
 *   st_lv    "3" / "4": the level of online service it was submitted under
 *   st_sec   the procedure's sector then (a dvc_stat_name_ok code)
 *   st_paid  "1": counted in paid_online once (its first online payment)
 * st_lv and st_sec are written at submission and never change, so a
 * procedure that later changes its level or sector does not move the
 * dossiers already counted.
 */
typedef struct {
    dvc_channel_t  channel;
    unsigned       received:1;
    unsigned       closed:1;
    unsigned       apology:1;
    unsigned       at_desk:1;
    int64_t        due;              /* 0: none counted */
    int64_t        accept_deadline;  /* 0 unless at_desk */
    int            level;            /* 3, 4; 0: unknown */
    unsigned       paid:1;           /* counted in paid_online */
    size_t         sector_len;       /* 0: none */
    char           sector[DVC_STAT_NAME_MAX + 1];
} dvc_stat_state_t;

#define DVC_STAT_NFIELDS  10
/* The field names in a fixed order: "st_ch", "st_rcv", "st_cl", "st_due",
 * "st_apo", "st_desk", "st_adl", "st_lv", "st_sec", "st_paid" (e.g. for one
 * HMGET). */
extern const char *const dvc_stat_field_names[DVC_STAT_NFIELDS];

/* All zero: a dossier the statistics have never seen. */
void dvc_stat_state_init(dvc_stat_state_t *s);

/*
 * Reads the state from the values of dvc_stat_field_names, in that order
 * (vals[i] NULL or lens[i] 0: the field is absent), e.g. an HMGET reply.
 * Returns 0, or -1 naming the malformed field in err.
 */
int dvc_stat_state_from_values(dvc_stat_state_t *s, const char *const *vals,
    const size_t *lens, char *err, size_t errlen);

/*
 * The same one field at a time (e.g. while walking an HGETALL reply):
 * returns 1 when name is an st_* field and was taken, 0 when it is not an st_*
 * field (ignored), -1 when it is one but its value is malformed.
 */
int dvc_stat_state_field(dvc_stat_state_t *s, const char *name, size_t nlen,
    const char *val, size_t vlen);

/* One st_* field to write: HSET name value, or HDEL name when del is set. */
typedef struct {
    const char  *name;
    char         value[DVC_STAT_NAME_MAX + 1];
    int          del;
} dvc_stat_field_t;

/* The dimensions of a dossier: agency and procedure as given, level and
 * sector from its state. */
void dvc_stat_state_dims(const dvc_stat_state_t *s, const char *agency,
    size_t alen, const char *procedure, size_t plen, dvc_stat_dims_t *d);

/*
 * The st_* fields that differ between before and after (before NULL: a new
 * dossier, every non-zero field of after).  out holds DVC_STAT_NFIELDS;
 * returns how many were filled.
 */
size_t dvc_stat_state_diff(const dvc_stat_state_t *before,
    const dvc_stat_state_t *after, dvc_stat_field_t *out);

/* ------------------------------------------------------------------ changes */

typedef enum {
    DVC_STAT_SUBMISSION = 1,       /* recorded; due != 0: accepted at once
                                      (auto-accept, counter/postal intake) */
    DVC_STAT_ACCEPTED,             /* 1 -> 2; due = the new due time (required) */
    DVC_STAT_REFUSED_CHANGE,       /* 1 -> 3 */
    DVC_STAT_SUPPLEMENT_REQUESTED, /* 1, 2, 4 -> 5: the due is voided */
    DVC_STAT_SUPPLEMENT_RECEIVED,  /* 5 -> 1 */
    DVC_STAT_PROCESSING,           /* 2, 6 -> 4 */
    DVC_STAT_PAYMENT,              /* 2, 4 -> 6 */
    DVC_STAT_DELAY,                /* apology (form 04); the due stays */
    DVC_STAT_STOPPED_CHANGE,       /* -> 8 by the back-end */
    DVC_STAT_WITHDRAWAL_REQUESTED, /* -> 7 */
    DVC_STAT_WITHDRAWAL_CONFIRMED, /* 7 -> 8 */
    DVC_STAT_WITHDRAWAL_DECLINED,  /* 7 -> status before 7 */
    DVC_STAT_RESOLVED_CHANGE,      /* 2, 4 -> 9 */
    DVC_STAT_RETURNED,             /* 9 -> 10 */
    DVC_STAT_RATING,               /* rating given (9, 10) */
    DVC_STAT_PAID_ONLINE_CHANGE    /* an online payment recorded (6 -> 4);
                                      amount = VND */
} dvc_stat_kind_t;

typedef enum {
    DVC_RATING_VERY_SATISFIED = 1,
    DVC_RATING_SATISFIED,
    DVC_RATING_DISSATISFIED
} dvc_rating_t;

/* "very_satisfied" / "satisfied" / "dissatisfied" and back (0: none). */
const char *dvc_rating_name(dvc_rating_t r);
dvc_rating_t dvc_rating_by_name(const char *s, size_t len);

typedef struct {
    dvc_stat_kind_t  kind;
    int64_t          at;       /* Unix seconds of the act (the event's `at`) */
    dvc_channel_t    channel;  /* SUBMISSION only */
    int              level;    /* SUBMISSION: the procedure's level (3, 4) */
    const char      *sector;   /* SUBMISSION: its sector, NULL: none */
    size_t           sector_len;
    int64_t          due;      /* ACCEPTED, and SUBMISSION accepted at once */
    dvc_rating_t     rating;   /* RATING only */
    int64_t          amount;   /* PAID_ONLINE_CHANGE: VND, > 0 */
} dvc_stat_change_t;

/* One counter change, cell-free: the caller applies it to every cell
 * (dvc_stat_cell / dvc_stat_key, i = 0..DVC_STAT_NCELLS-1). */
typedef struct {
    dvc_stat_counter_t  counter;
    char                day[9];     /* Vietnam date "YYYYMMDD": the hash field */
    int64_t             delta;      /* +1 or -1; an amount for fees_online */
} dvc_stat_delta_t;

/* No change produces more deltas than this. */
#define DVC_STAT_MAX_DELTAS  8

/*
 * The counter deltas of one change and the dossier's new statistics state.
 * cal is needed for SUBMISSION of an online dossier that waits at the desk
 * (its acceptance deadline: 1 working day of the calendar,
 * dvc_calendar_due(cal, at, day_minutes, -1)); NULL is allowed otherwise.
 *
 * Days and moves (see docs/statistics.md for the why):
 * - a due leaves due_x (entering 5) and moves from due_n to due_a (delay) on
 *   the later of its due day and the day of the change, so a report "as of T"
 *   for any earlier T still counts what was true then;
 * - re-acceptance after a supplement adds the new due to due_n (the apology
 *   belonged to the voided appointment) and never counts received_* again;
 * - a change that makes no statistical difference yields n = 0.
 *
 * Returns 0 with *after and out[0..*n), or -1 with err (cap too small, a
 * missing due, the calendar cannot answer, an unknown kind).  after may alias
 * before.
 */
int dvc_stats_change(const dvc_calendar_t *cal, const dvc_stat_state_t *before,
    const dvc_stat_change_t *change, dvc_stat_state_t *after,
    dvc_stat_delta_t *out, size_t cap, size_t *n, char *err, size_t errlen);

/* ------------------------------------------------------------------ report */

/* A report query: whole Vietnam days [from, to], optional agency,
 * procedure, level, sector. */
typedef struct {
    int32_t      from;           /* YYYYMMDD */
    int32_t      to;             /* YYYYMMDD, inclusive */
    const char  *agency;         /* NULL: any */
    size_t       agency_len;
    const char  *procedure;      /* NULL: any */
    size_t       procedure_len;
    int          level;          /* 0: any; 3 or 4 */
    const char  *sector;         /* NULL: any */
    size_t       sector_len;
} dvc_stat_query_t;

#define DVC_STAT_MAX_DAYS  (3 * 366)   /* the longest period a report covers */
#define DVC_STAT_YEAR_MIN  2000        /* the years a report's dates are of */
#define DVC_STAT_YEAR_MAX  2100

/*
 * Checks the request's parameters (any may be NULL = absent) and fills q
 * (pointing into the given strings).  Returns 0, or -1 with *bad set to the
 * parameter to blame ("from", "to", "agency", "procedure", "level",
 * "sector") and a message in err: dates are YYYY-MM-DD real dates of the
 * years DVC_STAT_YEAR_MIN to DVC_STAT_YEAR_MAX, both required, from <= to, at
 * most DVC_STAT_MAX_DAYS days; level is "3" or "4"; sector a
 * dvc_stat_name_ok code; neither level nor sector goes with procedure (a
 * procedure has one of each: no cell counts a procedure by level).
 */
int dvc_stat_query_parse(dvc_stat_query_t *q, const char *from, size_t flen,
    const char *to, size_t tlen, const char *agency, size_t alen,
    const char *procedure, size_t plen, const char *level, size_t llen,
    const char *sector, size_t slen, const char **bad, char *err,
    size_t errlen);

/* The cell a query reads (into out, like dvc_stat_cell). */
int dvc_stat_query_cell(const dvc_stat_query_t *q, char *out, size_t cap);

/* Sums of each counter before `from` and inside [from, to]. */
typedef struct {
    int32_t  from, to;
    int64_t  before[DVC_STAT_NCOUNTERS];
    int64_t  during[DVC_STAT_NCOUNTERS];
    int32_t  rolled_up;      /* the latest year folded into a "YYYY" field
                                that the period needed day by day, or 0 */
} dvc_stat_sums_t;

void dvc_stat_sums_init(dvc_stat_sums_t *s, int32_t from, int32_t to);
/*
 * Adds one hash field and its value (a signed integer) of counter c.  The
 * field is a day "YYYYMMDD", or a year "YYYY" holding the sum of that year's
 * days once they were rolled up (scripts/stats-rollup.sh), which keeps old
 * history from growing every report.  Days after `to` are ignored; a year
 * before from's year counts as before the period, one inside the period
 * (from <= 1 January, 31 December <= to) in it, one after to's year is
 * ignored; one the period cuts cannot be split: nothing is added and
 * s->rolled_up names it (the report must then refuse the period).
 * Returns 0, or -1 when the field or the value is malformed (nothing added).
 */
int dvc_stat_sums_add(dvc_stat_sums_t *s, dvc_stat_counter_t c,
    const char *day, size_t dlen, const char *val, size_t vlen);

/* The report's figures, in the order they are rendered. */
typedef enum {
    DVC_FIG_RECEIVED_NEW = 0,
    DVC_FIG_RECEIVED_ONLINE,
    DVC_FIG_RECEIVED_POSTAL,
    DVC_FIG_RECEIVED_COUNTER,
    DVC_FIG_CARRIED_OVER,
    DVC_FIG_HANDLED,              /* received_new + carried_over */
    DVC_FIG_RESOLVED,             /* early + on time + late */
    DVC_FIG_RESOLVED_EARLY,
    DVC_FIG_RESOLVED_ON_TIME,
    DVC_FIG_RESOLVED_LATE,
    DVC_FIG_IN_PROGRESS,
    DVC_FIG_IN_PROGRESS_ON_TIME,
    DVC_FIG_OVERDUE,
    DVC_FIG_OVERDUE_WITH_APOLOGY,
    DVC_FIG_OVERDUE_WITHOUT_APOLOGY,
    DVC_FIG_WITHDRAWN,
    DVC_FIG_REFUSED,
    DVC_FIG_STOPPED,
    DVC_FIG_AWAITING_ACCEPTANCE,
    DVC_FIG_AWAITING_ON_TIME,
    DVC_FIG_AWAITING_LATE,
    DVC_FIG_RATINGS,
    DVC_FIG_RATING_VERY_SATISFIED,
    DVC_FIG_RATING_SATISFIED,
    DVC_FIG_RATING_DISSATISFIED,
    DVC_FIG_LIEN_THONG,           /* dossiers first transferred in the period */
    DVC_FIG_TRANSFERS_RECEIVED,   /* parts received by the agency */
    DVC_FIG_TRANSFERS_RETURNED_ON_TIME,
    DVC_FIG_TRANSFERS_RETURNED_LATE,
    DVC_FIG_TRANSFERS_OPEN,       /* as of the end: received, not returned */
    DVC_FIG_LEVEL_3_RECEIVED_NEW,     /* received_new of level 3 dossiers */
    DVC_FIG_LEVEL_3_RECEIVED_ONLINE,  /*   of which online               */
    DVC_FIG_LEVEL_4_RECEIVED_NEW,
    DVC_FIG_LEVEL_4_RECEIVED_ONLINE,
    DVC_FIG_PAID_ONLINE,              /* dossiers paid online (first payment) */
    DVC_FIG_FEES_COLLECTED_ONLINE,    /* VND paid online */
    DVC_FIG_COUNT
} dvc_stat_figure_t;

typedef enum {
    DVC_RATE_ON_TIME_HANDLED = 0,   /* (early + on time + in progress on time)
                                       / (received new + carried over) */
    DVC_RATE_ON_TIME_RESOLVED,      /* (early + on time) / resolved */
    DVC_RATE_SATISFACTION,          /* (very + satisfied) / ratings */
    DVC_RATE_ONLINE_LEVEL_3,        /* level 3 online / level 3 received new */
    DVC_RATE_ONLINE_LEVEL_4,
    DVC_RATE_ONLINE_LEVEL_3_4,      /* (online 3 + 4) / (received new 3 + 4) */
    DVC_RATE_COUNT
} dvc_stat_rate_t;

typedef struct {
    int64_t  fig[DVC_FIG_COUNT];
    int64_t  num[DVC_RATE_COUNT];
    int64_t  den[DVC_RATE_COUNT];   /* 0: the rate is null */
} dvc_stat_report_t;

/* JSON name ("received_new", "on_time_rate_handled") and Vietnamese
 * definition of a figure / rate. */
const char *dvc_stat_figure_name(dvc_stat_figure_t f);
const char *dvc_stat_figure_definition_vi(dvc_stat_figure_t f);
const char *dvc_stat_rate_name(dvc_stat_rate_t r);
const char *dvc_stat_rate_definition_vi(dvc_stat_rate_t r);

void dvc_stat_report(const dvc_stat_sums_t *s, dvc_stat_report_t *r);

/*
 * JSON: {"from":"YYYY-MM-DD","to":...,"as_of":"<to+1>T00:00:00+07:00",
 * "agency":null|"...","procedure":null|"...","level":null|3|4,
 * "sector":null|"...", figures as integers...,
 * rates as numbers with 4 decimals (or null) each followed by
 * "<rate>_percent":"98.2%"|null}.
 * CSV (RFC 4180, UTF-8, CRLF): "figure,value,definition_vi" then one row per
 * figure and rate (a null rate has an empty value).
 * Return 0, or -1 when the buffer failed.
 */
int dvc_stat_report_json(const dvc_stat_query_t *q,
    const dvc_stat_report_t *r, dvc_buf_t *b);
int dvc_stat_report_csv(const dvc_stat_query_t *q,
    const dvc_stat_report_t *r, dvc_buf_t *b);

#endif
