/*
 * A citizen acts on a dossier with its lookup token (issue 13: the pure
 * decision behind POST /dvc/v1/dossiers/{code}/withdrawal, /supplement and
 * /rating):
 *
 *   withdrawal  {"reason"?}             1,2,4,5,6 -> 7
 *   supplement  the whole dossier       5 -> 1
 *   rating      {"rating","comment"?}   in 9, 10; once
 *
 * In two steps, because a supplement's body is judged by the body path
 * between them (its verdict is only answered once the action is possible,
 * so a stranger learns nothing of the dossier from it):
 *
 *   dvc_citizen_check()   is the action possible from the stored state?
 *                         GO, or what to answer instead: the stored answer
 *                         of the same request (a retry after a lost
 *                         answer), a withdrawal already requested, 409
 *                         illegal / not resolved / already rated, 422 a
 *                         supplement of another procedure;
 *   dvc_citizen_decide()  the change as a dvc_plan_t for the compare-and-set
 *                         script: status and history, the inbox entry, the
 *                         statistics, a supplement's corrected fields, a
 *                         rating's fields, and `c:{action}` = "{body sha256}
 *                         {answer}" that makes a retry get these very bytes.
 */
#ifndef DVC_CITIZEN_H
#define DVC_CITIZEN_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_calendar.h"
#include "dvc_dossier_scan.h"
#include "dvc_lifecycle.h"
#include "dvc_plan.h"
#include "dvc_procedure.h"
#include "dvc_stats.h"

#define DVC_CITIZEN_SHA_LEN  64

/* What the glue read of the dossier (NULL/0: absent). */
typedef struct {
    const char        *code;
    size_t             code_len;
    const char        *procedure;
    size_t             procedure_len;
    const char        *agency;
    size_t             agency_len;
    int                status;
    int                prev_status;
    const char        *history;          /* the stored JSON array */
    size_t             history_len;
    int                rated;            /* a rating is stored */
    const char        *updated_at;       /* DVC_TIME_VN_LEN, or NULL */
    size_t             updated_at_len;
    const char        *stored;           /* c:{action}: "{sha256} {answer}" */
    size_t             stored_len;
    dvc_stat_state_t   stat;             /* its st_* fields */
    const char        *stat_error;       /* why they could not be read, or
                                            NULL (decide refuses: 500) */
} dvc_citizen_facts_t;

/* The request. */
typedef struct {
    dvc_event_type_t            action;  /* DVC_ACT_WITHDRAWAL ... RATING */
    const dvc_event_t          *ev;      /* the parsed body */
    const char                 *sha256;  /* 64 hex of the body (supplement,
                                            rating: "the same request") */
    /* a supplement: the corrected dossier, validated */
    const char                 *body;
    size_t                      body_len;
    const char                 *body_procedure;  /* the procedure it names */
    size_t                      body_procedure_len;
    const dvc_procedure_t      *procedure;       /* that procedure */
    const dvc_dossier_facts_t  *dossier;
} dvc_citizen_action_t;

typedef enum {
    DVC_CITIZEN_GO = 0,          /* possible: decide it */
    DVC_CITIZEN_REPLAY,          /* applied already: the stored answer */
    DVC_CITIZEN_WITHDRAWING,     /* a withdrawal already requested: 200 with
                                    the current status, nothing applied */
    DVC_CITIZEN_ILLEGAL,         /* 409: the answer names what is possible */
    DVC_CITIZEN_ALREADY_RATED,   /* 409 */
    DVC_CITIZEN_OTHER_PROCEDURE  /* 422: a supplement of another procedure */
} dvc_citizen_verdict_t;

/* "withdrawal", "supplement", "rating"; NULL for other types. */
const char *dvc_citizen_name(dvc_event_type_t action);
/* The hash field an applied action's answer is kept in: "c:{action}". */
const char *dvc_citizen_answer_field(dvc_event_type_t action);
/* 201 for a rating, 200 for the others. */
int dvc_citizen_http(dvc_event_type_t action);

/*
 * The first step.  The answer for REPLAY (the stored one, byte for byte),
 * WITHDRAWING and ILLEGAL goes into answer; nothing for GO and the others.
 */
dvc_citizen_verdict_t dvc_citizen_check(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, int64_t now, dvc_buf_t *answer);

/*
 * The second step, after GO (p initialised by the caller): the plan
 * (p->http 200) and p->answer, answered with dvc_citizen_http().  Refused:
 * p->http 500 and p->err (no target status, broken statistics: the log
 * says which); p->failed: no memory.  cal: the statistics' (a supplement
 * back at the desk).
 */
void dvc_citizen_decide(const dvc_citizen_facts_t *f,
    const dvc_citizen_action_t *a, const dvc_calendar_t *cal, int64_t now,
    dvc_plan_t *p);

#endif
