/*
 * A back-end event on a dossier (issue 13): the pure decision behind
 * POST /dvc/v1/dossiers/{code}/events once the signature and the body are
 * checked and the dossier is read.  Facts in (what the HMGET read), the
 * parsed event, the time, the calendar, the signing key and the dossier's
 * procedure; a dvc_plan_t out for the compare-and-set script: the status
 * and its history entry, the appointment and the signed receipt (accept),
 * the apology (delay), the signed form (02, 03, 04, stop) appended to
 * `forms`, the citizen's notice, the statistics, the answer.  Transfers
 * (liên thông) are dvc_transfer_decide's, reached through the same call.
 *
 * The e:{id} field that makes a replay get the first answer is the glue's
 * (it holds the body's hash): "{body sha256} {p->answer}".
 */
#ifndef DVC_EVENT_DECIDE_H
#define DVC_EVENT_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_calendar.h"
#include "dvc_keys.h"
#include "dvc_lifecycle.h"
#include "dvc_plan.h"
#include "dvc_procedure.h"
#include "dvc_stats.h"
#include "dvc_transfer.h"

/* What the glue read of the dossier (NULL/0: absent). */
typedef struct {
    const char        *code;
    size_t             code_len;
    const char        *agency;
    size_t             agency_len;
    const char        *procedure;
    size_t             procedure_len;
    int                status;
    int                prev_status;
    int64_t            due_ts;
    int64_t            appointment_ts;
    int64_t            last_ts;            /* the history's last entry */
    const char        *history;            /* the stored JSON arrays */
    size_t             history_len;
    const char        *transfers;
    size_t             transfers_len;
    const char        *forms;
    size_t             forms_len;
    const char        *body_sha256;
    size_t             body_sha256_len;
    const char        *delivery;
    size_t             delivery_len;
    const char        *receipt_facts;      /* for accept's receipt */
    size_t             receipt_facts_len;
    const char        *contact_email;      /* where the notice goes */
    size_t             contact_email_len;
    const char        *contact_phone;
    size_t             contact_phone_len;
    dvc_stat_state_t   stat;               /* its st_* fields */
    const char        *stat_error;         /* why they could not be read,
                                              or NULL (refused: 500) */
} dvc_event_facts_t;

typedef struct {
    const dvc_calendar_t   *cal;
    const dvc_key_t        *signing_key;
    const dvc_procedure_t  *procedure;     /* the dossier's; NULL: no longer
                                              loaded */
    dvc_agency_known_pt     known;         /* transfers: the agencies */
    void                   *known_ud;
    int                     notify;        /* dvc_notify on */
    const char             *link;          /* its lookup page, or NULL */
    size_t                  link_len;
    int64_t                 now;
} dvc_event_env_t;

/*
 * The plan (p initialised by the caller).  Applied: p->http 200.  Refused
 * with an answer of its own in p->answer: 409 illegal_transition (with the
 * legal types), 422 naming the field (dvc_event_check; a transfer's own).
 * Refused for the glue to answer with its generic error (p->answer empty,
 * p->err.message_en for the log): 500 (a broken record, the procedure no
 * longer loaded, signing failed), 503 (the calendar does not cover the
 * appointment).  p->failed: no memory or a bound.
 */
void dvc_event_decide(const dvc_event_facts_t *f, const dvc_event_t *ev,
    const dvc_event_env_t *env, dvc_plan_t *p);

#endif
