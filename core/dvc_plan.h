/*
 * A decision's plan (issue 13): what a pure core decision tells the glue to
 * do, so that the glue only reads, sends and answers.  One plan is one
 * atomic write of a dossier: the compare-and-set apply script of a change
 * (the glue's apply call), or a new dossier's MULTI/EXEC (dvc_submit.h):
 * fields to set and delete, counters to increment (and the cells they are
 * in), stream entries to add, and the answer kept for replays.  When the
 * decision refuses, http is the 4xx/5xx to answer and answer holds its JSON
 * body, or is empty when the glue answers with its own error (the log line
 * in err.message_en); there is nothing to write.
 *
 * Every value is copied onto the plan's allocator; names are static strings
 * (field names, "dvc:inbox").  dvc_plan_free() releases the copies (a no-op
 * on a pool).
 */
#ifndef DVC_PLAN_H
#define DVC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_lifecycle.h"
#include "dvc_notify.h"
#include "dvc_stats.h"

#define DVC_PLAN_MAX_SET     40     /* a new dossier's fields (dvc_submit) */
#define DVC_PLAN_MAX_DEL     8
#define DVC_PLAN_MAX_INCR    (DVC_STAT_MAX_DELTAS * DVC_STAT_NCELLS)
#define DVC_PLAN_MAX_XADD    2      /* entries, each to its own stream */
#define DVC_PLAN_MAX_XFIELDS 16     /* pairs in one entry */
#define DVC_PLAN_STREAM_MAX  (sizeof("dvc:inbox:") + DVC_AGENCY_MAX)

typedef struct {
    const char  *name;
    char        *value;
    size_t       len;
} dvc_plan_pair_t;

typedef struct {
    char         key[DVC_STAT_KEY_MAX];
    size_t       key_len;
    char         field[9];           /* YYYYMMDD */
    int64_t      delta;      /* +1, -1; an amount for fees_online */
} dvc_plan_incr_t;

typedef struct {
    char             stream[DVC_PLAN_STREAM_MAX];
    size_t           stream_len;
    dvc_plan_pair_t  f[DVC_PLAN_MAX_XFIELDS];
    size_t           nf;
} dvc_plan_xadd_t;

typedef struct {
    const dvc_alloc_t  *alloc;
    int                 http;        /* 200: apply; otherwise refuse */
    dvc_event_error_t   err;         /* why, when refused (for the log) */
    dvc_plan_pair_t     set[DVC_PLAN_MAX_SET];
    size_t              nset;
    const char         *del[DVC_PLAN_MAX_DEL];
    size_t              ndel;
    dvc_plan_incr_t     incr[DVC_PLAN_MAX_INCR];
    size_t              nincr;
    dvc_plan_xadd_t     xadd[DVC_PLAN_MAX_XADD];
    size_t              nxadd;
    char                cells[DVC_STAT_NCELLS][DVC_STAT_KEY_MAX];
    size_t              cell_len[DVC_STAT_NCELLS];
    size_t              ncells;      /* dvc_plan_stats': the dossier's cells
                                        (a new one's go to DVC_STAT_CELLS_KEY) */
    dvc_buf_t           answer;      /* JSON: the 200's (kept for replays)
                                        or the refusal's */
    int                 failed;      /* out of memory or a bound: answer 500 */
    unsigned            signed_ack:1;       /* what was signed, for the */
    unsigned            signed_receipt:1;   /* metrics */
    unsigned            no_receipt_facts:1; /* a receipt without the
                                               applicant (for the log) */
} dvc_plan_t;

#define DVC_PLAN_NOTIFY      "dvc:notify"

void dvc_plan_init(dvc_plan_t *p, const dvc_alloc_t *a);
void dvc_plan_free(dvc_plan_t *p);

/* Each returns 0, or -1 (and sets failed) when out of memory or full. */
int dvc_plan_set(dvc_plan_t *p, const char *name, const char *value,
    size_t len);
int dvc_plan_set_int(dvc_plan_t *p, const char *name, int64_t value);
int dvc_plan_del(dvc_plan_t *p, const char *name);
/* +delta on counter c of every cell of a dossier with those dimensions
 * (dvc_stat_cell_of), field the Vietnam date of at. */
int dvc_plan_stat(dvc_plan_t *p, const dvc_stat_dims_t *dims,
    dvc_stat_counter_t c, int64_t at, int delta);
/*
 * The statistics of one change (dvc_stats_change) of a dossier of that
 * agency and procedure whose st_* state was `before`: its counters in every
 * cell of the dossier (the level and sector of the state after: a
 * submission sets them, nothing changes them after), the st_* fields set
 * or deleted, the cells in p->cells.  0; -1 with err (it names "calendar"
 * when the calendar cannot answer: 503) or p->failed (memory, a bound).
 */
int dvc_plan_stats(dvc_plan_t *p, const dvc_calendar_t *cal,
    const dvc_stat_state_t *before, const dvc_stat_change_t *change,
    const char *agency, size_t alen, const char *procedure, size_t plen,
    char *err, size_t errlen);
/* A pair of the entry to stream (the first pair opens the entry). */
int dvc_plan_xadd(dvc_plan_t *p, const char *stream, size_t slen,
    const char *name, const char *value, size_t len);

/* The citizen's notice (dvc_notify_entry) as the entry to DVC_PLAN_NOTIFY. */
int dvc_plan_notice(dvc_plan_t *p, const dvc_notice_t *n);

/* Refuses: http and err, answer = dvc_event_error_json(err). */
void dvc_plan_refuse(dvc_plan_t *p, const dvc_event_error_t *err);
/*
 * Refuses with 409 illegal_transition as the events endpoint answers it:
 * {"error","status":{"number","slug"},"allowed":[...],"message":{"vi","en"}}.
 */
void dvc_plan_refuse_transition(dvc_plan_t *p, const dvc_event_error_t *err,
    int status, int prev);

#endif
