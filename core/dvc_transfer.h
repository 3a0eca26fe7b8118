/*
 * Liên thông (issue 19): a dossier in processing (status 4) hands a part of
 * its work to another agency for a share of the working time, and the part
 * comes back.  Two signed back-end events:
 *
 *   {"id","type":"transfer","to_agency":"000.00.12.H29","reason":...,
 *    "share":{"days":2}}                 the share is counted in office time
 *                                        of the calendar from the event's at
 *   {"id","type":"transfer_return","note"?}   the open part comes back
 *
 * One part is open at a time (a second transfer waits for the return), at
 * most DVC_TRANSFER_MAX per dossier; the status stays 4.  The part's due
 * time must fit before the dossier's own due time.  The record of every part
 * is the dossier's `transfers` field (JSON array the gateway writes; shown
 * as is by the lookup):
 *
 *   [{"agency":"000.00.12.H29","from_agency":"000.00.10.H47","event":"t1",
 *     "sent_at":"...","reason":{"vi",...},"share":{"days":2},
 *     "share_minutes":960,"due_at":"...","due_ts":1795...,
 *     "returned_at":null|"...","return_event":null|"...","late":null|bool}]
 *
 * dvc_transfer_decide() is pure: the dossier's stored facts, the parsed
 * event, the time and the calendar in; a dvc_plan_t out (fields, counters,
 * stream entries, the answer; or the refusal).
 */
#ifndef DVC_TRANSFER_H
#define DVC_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_calendar.h"
#include "dvc_lifecycle.h"
#include "dvc_plan.h"
#include "dvc_stats.h"

#define DVC_TRANSFER_MAX  16

/* Is this agency known to the gateway (its procedures', dvc_agency)? */
typedef int (*dvc_agency_known_pt)(void *ud, const char *code, size_t len);

/* What the glue read of the dossier (NULL/0: absent). */
typedef struct {
    const char  *code;
    size_t       code_len;
    const char  *agency;             /* the dossier's own agency */
    size_t       agency_len;
    const char  *procedure;
    size_t       procedure_len;
    int          status;
    int          prev_status;
    int64_t      due_ts;
    int64_t      last_ts;            /* the history's last entry */
    const char  *history;            /* the stored JSON array */
    size_t       history_len;
    const char  *transfers;          /* the stored JSON array */
    size_t       transfers_len;
    const char  *body_sha256;
    size_t       body_sha256_len;
    dvc_stat_state_t  stat;          /* its st_* fields: level and sector */
} dvc_transfer_facts_t;

typedef struct {
    const dvc_calendar_t  *cal;
    dvc_agency_known_pt    known;
    void                  *known_ud;
    int64_t                now;
} dvc_transfer_env_t;

/* 1 for the types this decides (DVC_EV_TRANSFER, DVC_EV_TRANSFER_RETURN). */
int dvc_transfer_is(const dvc_event_t *ev);

/*
 * The plan of a transfer or transfer_return (p initialised by the caller).
 * Applied (p->http 200): set transfers, history, updated_at; counters
 * (transferred on the first transfer, transfer_in, transfer_in_ontime or
 * _late); an entry to dvc:inbox:{to_agency} (transfer) or dvc:inbox
 * (transfer_returned); the answer.  Refused: 409 illegal_transition (not in
 * 4), transfer_open, no_open_transfer, transfer_limit; 422 unknown_agency,
 * invalid_field (to_agency the dossier's own, share not whole minutes, or
 * share_does_not_fit), the event checks of dvc_event_check.  500 (p->failed
 * or http 500): a broken stored record or no memory.
 */
void dvc_transfer_decide(const dvc_transfer_facts_t *f,
    const dvc_event_t *ev, const dvc_transfer_env_t *env, dvc_plan_t *p);

#endif
