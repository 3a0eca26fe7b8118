/*
 * The signed forms of the one-stop desk beside the receipt (form 01,
 * at acceptance): supplement request (02), refusal (03), apology
 * with a new date (04) and the stop notice.  Each is a compact JWS like the
 * receipt (dvc_jws_sign, the gateway's key, verifiable with the JWKS), its
 * payload built here from the change; the glue keeps it in the dossier's
 * `forms` and the lookup shows it.  Numbers and titles: the forms of
 * Circular 01/2018/TT-VPCP (docs/forms.md says which texts are in force).
 */
#ifndef DVC_FORMS_H
#define DVC_FORMS_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_buf.h"
#include "dvc_keys.h"
#include "dvc_lifecycle.h"

typedef enum {
    DVC_FORM_NONE = 0,
    DVC_FORM_RECEIPT,          /* "01" (signed by accept.c, not here) */
    DVC_FORM_SUPPLEMENT,       /* "02" */
    DVC_FORM_REFUSAL,          /* "03" */
    DVC_FORM_APOLOGY,          /* "04" */
    DVC_FORM_STOP              /* "stop" */
} dvc_form_t;

typedef struct {
    dvc_form_t    form;
    const char   *id;          /* "01", "02", "03", "04", "stop" */
    const char   *typ;         /* the JWS header's typ */
    const char   *title_vi;
    const char   *title_en;
} dvc_form_info_t;

/* NULL for NONE or out of range */
const dvc_form_info_t *dvc_form_info(dvc_form_t form);

/* Which form a back-end event leaves: request_supplement 02, refuse 03,
 * delay 04, stop the stop notice; NONE otherwise (accept's receipt is
 * signed by the acceptance itself, confirm_withdrawal stops at the
 * citizen's own request). */
dvc_form_t dvc_form_for_event(dvc_event_type_t type);

typedef struct {
    const char             *code;
    const char             *procedure_code;
    const char             *procedure_name;   /* NULL: not loaded */
    const char             *agency;
    size_t                  agency_len;
    const char             *event;            /* the back-end's event id */
    const char             *actor;            /* who decided */
    int64_t                 at;               /* the act */
    int64_t                 issued;           /* the gateway's clock */
    const dvc_text_t       *reason;
    const dvc_event_doc_t  *documents;        /* 02 */
    size_t                  ndocuments;
    int64_t                 due;              /* 04: the original appointment,
                                                 0 none */
    int64_t                 new_due;          /* 04: the new one */
} dvc_form_facts_t;

/*
 * The form's payload JSON, appended to `out`:
 *   {"form":"02","title":{"vi","en"},"code","procedure":{"code","name"},
 *    "agency","event","actor","at","issued_at","reason":{"vi","en"},
 *    "documents":[{"name","note"}] (02), "due_at","new_due_at" (04)}
 * Times are Vietnam time (+07:00).  0, or -1 (NONE/RECEIPT, memory).
 */
int dvc_form_payload(dvc_form_t form, const dvc_form_facts_t *f,
    dvc_buf_t *out);

/*
 * Signs the form: payload then JWS (typ of dvc_form_info) appended to
 * `jws`; the payload is left in `payload` for whoever keeps it.  0 or -1.
 */
int dvc_form_sign(const dvc_key_t *key, dvc_form_t form,
    const dvc_form_facts_t *f, dvc_buf_t *payload, dvc_buf_t *jws);

/*
 * The dossier's `forms` array with one entry more: `prev` the stored JSON
 * array (NULL or not an array: a new one), the entry
 * {"form":"02","typ":"...","at":"...","event":"...","jws":"..."}.
 */
void dvc_forms_append(dvc_buf_t *out, const char *prev, size_t prev_len,
    dvc_form_t form, int64_t at, const char *event, const char *jws,
    size_t jws_len);

#endif
