/*
 * Acceptance of a dossier: the appointment and the signed receipt (form 01,
 * giấy tiếp nhận hồ sơ và hẹn trả kết quả), and the documents as the signed
 * acknowledgement and receipt list them.  One code for the three ways a
 * dossier is accepted: at once on submission ("accept": "auto", dvc_submit),
 * by the back-end's `accept` event, and at counter/postal intake.
 *
 * The receipt names the applicant and the documents, which only the
 * submitted body holds; a dossier left at the desk keeps them in its hash as
 * `receipt_facts` (dvc_receipt_facts, written at submission and supplement)
 * so a later acceptance signs the same receipt auto-accept would have signed.
 */
#ifndef DVC_RECEIPT_H
#define DVC_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_buf.h"
#include "dvc_calendar.h"
#include "dvc_dossier_scan.h"
#include "dvc_keys.h"
#include "dvc_procedure.h"

/* [{"kind","name"?,"sha256"}]: names (the receipt's form) with the
 * procedure's name of each kind */
void dvc_documents_json(dvc_buf_t *b, const dvc_dossier_facts_t *facts,
    const dvc_procedure_t *p, int names);

/* {"applicant":{"name","phone","email"},"documents":[...]} */
void dvc_receipt_facts(dvc_buf_t *b, const dvc_dossier_facts_t *facts,
    const dvc_procedure_t *p);

/* The appointment of a dossier accepted at `at`: the procedure's processing
 * time on the working-day calendar.  0, or -1: the calendar does not cover
 * it. */
int dvc_receipt_due(const dvc_calendar_t *cal, const dvc_procedure_t *p,
    int64_t at, int64_t *due);

/*
 * The receipt of dossier `code` accepted at `at`, due `due`, signed
 * (typ dvc-receipt+jws) into out.  facts: dvc_receipt_facts's JSON; when it
 * is not an object (a dossier recorded before receipt_facts existed) the
 * receipt gives the appointment without the applicant and documents, and
 * *no_facts is set (for the log).  0, or -1: signing failed.
 */
int dvc_receipt_sign(const dvc_key_t *key, const dvc_procedure_t *p,
    const char *code, const char *facts, size_t facts_len,
    const char *delivery, size_t delivery_len, int64_t at, int64_t due,
    dvc_buf_t *out, int *no_facts);

#endif
