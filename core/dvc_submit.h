/*
 * A submission's record (issue 13): the pure decision of what a dossier that
 * passed the body's verdict becomes in Redis.  Facts in: the validated
 * dossier's facts, its procedure and channel, the code the day's sequence
 * gave (the round trip before), the body and the hashes; the time, the
 * calendar and the signing key.  A plan out (dvc_submit_plan_t): the
 * dossier's fields, the inbox entry (and the citizen's notice when it is
 * accepted at once), the statistics, the cells for the report, the signed
 * acknowledgement and receipt inside the answer, and what an
 * Idempotency-Key keeps for retries.  The glue turns the plan into one
 * MULTI/EXEC (the nginx module's submit handler).
 *
 * Accepted at once (the procedure's "accept": "auto", or a counter/postal
 * dossier the desk entered): status 2, the appointment from the calendar
 * and the receipt signed now; else status 1 and `receipt_facts` kept for the
 * desk's later accept (dvc_receipt.h).
 */
#ifndef DVC_SUBMIT_H
#define DVC_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_calendar.h"
#include "dvc_code.h"
#include "dvc_dossier_scan.h"
#include "dvc_keys.h"
#include "dvc_plan.h"
#include "dvc_procedure.h"
#include "dvc_stats.h"

#define DVC_SUBMIT_INBOX     "dvc:inbox"
#define DVC_SUBMIT_INDEX     "dvc:idx:submitted"

typedef struct {
    const dvc_procedure_t      *procedure;
    const dvc_dossier_facts_t  *dossier;      /* the validated body's */
    dvc_channel_t               channel;      /* online, or the signed
                                                 counter/postal intake */
    const char                 *code;         /* DVC_CODE_LEN characters */
    const char                 *body;         /* as the citizen sent it */
    size_t                      body_len;
    const char                 *body_sha256;  /* 64 hex */
    const char                 *token;        /* the lookup token */
    size_t                      token_len;
    const char                 *token_sha256; /* 64 hex: only this is kept */
    int                         idempotent;   /* an Idempotency-Key is held:
                                                 keep the answer for it */
    const char                 *documents;    /* the inbox entry's
                                                 "documents": the uploads as
                                                 the check read them (JSON);
                                                 NULL: none, or no store */
    size_t                      documents_len;
} dvc_submit_facts_t;

typedef struct {
    const dvc_calendar_t       *cal;
    const dvc_key_t            *signing_key;
    int64_t                     now;
    int                         notify;       /* dvc_notify on */
    const char                 *link;         /* its lookup page, or NULL */
    size_t                      link_len;
} dvc_submit_env_t;

typedef struct {
    /* p.set: the dossier's fields (HSET key); p.incr: the counters;
     * p.cells: the dossier's (SADD DVC_STAT_CELLS_KEY); p.xadd[0]: the inbox
     * entry, [1]: the notice (when accepted at once and
     * notices are on); p.answer: the 201's body.  p.http 503 (p.err says
     * why): the calendar does not cover the appointment or the desk's
     * deadline; p.failed: answer 500 */
    dvc_plan_t          p;
    char                key[sizeof("dvc:d:") + DVC_CODE_LEN];
    size_t              key_len;
    char                score[24];        /* the index's: the time */
    dvc_buf_t           idem;             /* "done:{body sha}:{code}:{answer}"
                                             when facts->idempotent */
    int                 status;           /* 1, or 2 when accepted at once */
    int64_t             due;              /* accepted at once: the due time */
} dvc_submit_plan_t;

void dvc_submit_plan_init(dvc_submit_plan_t *sp, const dvc_alloc_t *a);
void dvc_submit_plan_free(dvc_submit_plan_t *sp);

void dvc_submit_decide(const dvc_submit_facts_t *f,
    const dvc_submit_env_t *env, dvc_submit_plan_t *sp);

/*
 * The fields a dossier's body gives its record: body_sha256, delivery and
 * the contacts its notices go to; with replace (a supplement's corrected
 * body) the contacts it no longer gives are deleted.  0, or -1 (p->failed).
 */
int dvc_submit_body_fields(dvc_plan_t *p, const dvc_dossier_facts_t *d,
    const char *body_sha256, int replace);

#endif
