/*
 * Notifications (issue 19): what the citizen must hear of a change, as one
 * entry of the Redis stream `dvc:notify`.  The gateway sends nothing
 * itself; a consumer (examples/notifier.py) turns each entry into an e-mail,
 * an SMS or a Zalo message.  Decisions and texts only, no I/O: the glue
 * gives the change and the dossier's contact, and XADDs the fields in the
 * same script call as the change (docs/notifications.md).
 *
 * The texts name the dossier's code, the procedure, the times, the reason
 * the agency wrote and the amount; never the applicant's name nor an ID
 * number, which the gateway does not give here.
 */
#ifndef DVC_NOTIFY_H
#define DVC_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_lifecycle.h"

/* The notices, by template key */
typedef enum {
    DVC_NOTICE_NONE = 0,
    DVC_NOTICE_ACCEPTED,               /* "accepted": with the appointment */
    DVC_NOTICE_SUPPLEMENT_REQUESTED,   /* "supplement_requested" */
    DVC_NOTICE_REFUSED,                /* "refused" */
    DVC_NOTICE_DELAYED,                /* "delayed": apology, new date */
    DVC_NOTICE_PAYMENT_REQUIRED,       /* "payment_required" */
    DVC_NOTICE_STOPPED,                /* "stopped" (also a confirmed
                                          withdrawal) */
    DVC_NOTICE_RESOLVED,               /* "resolved" */
    DVC_NOTICE_RETURNED,               /* "returned" */
    DVC_NOTICE_PAYMENT_RECEIVED        /* "payment_received": the online
                                          payment confirmed (6 -> 4), with
                                          its signed receipt */
} dvc_notice_kind_t;

/* Which notice a back-end event leaves; DVC_NOTICE_NONE for process and
 * decline_withdrawal (nothing new the citizen must act on) and for the
 * citizen's own actions. */
dvc_notice_kind_t dvc_notice_for_event(dvc_event_type_t type);

/* "accepted", ...; NULL for NONE or out of range */
const char *dvc_notice_template(dvc_notice_kind_t kind);

typedef struct {
    dvc_notice_kind_t       kind;
    const char             *code;          /* the dossier's code */
    size_t                  code_len;
    const char             *procedure;     /* its procedure's name, or NULL */
    size_t                  procedure_len;
    const char             *event;         /* the back-end's event id, or
                                              "submit" for auto-acceptance */
    size_t                  event_len;
    int                     status;        /* the status after the change */
    int64_t                 at;            /* when the act was done */
    int64_t                 due;           /* accepted: the appointment;
                                              delayed: the new one */
    int64_t                 amount;        /* payment_required: VND, 0 none */
    const dvc_text_t       *reason;        /* NULL when none */
    const dvc_event_doc_t  *documents;     /* supplement_requested */
    size_t                  ndocuments;
    const char             *note;          /* resolved: how it is delivered */
    size_t                  note_len;
    const char             *form;          /* the signed form number ("02")
                                              the lookup shows, or NULL */
    const char             *email;         /* the dossier's contact; NULL or */
    size_t                  email_len;     /* empty when it gave none */
    const char             *phone;
    size_t                  phone_len;
    const char             *link;          /* the lookup page's URL prefix; */
    size_t                  link_len;      /* the code is appended; NULL: no
                                              link */
    const char             *provider;      /* payment_received: "vnpay" */
    const char             *transaction;   /* the provider's transaction */
    size_t                  transaction_len;   /* number, or NULL */
} dvc_notice_t;

#define DVC_NOTIFY_FIELDS_MAX  16

typedef struct {
    const char  *name;
    size_t       off;                      /* in the entry's buffer */
    size_t       len;
} dvc_notify_field_t;

typedef struct {
    dvc_buf_t            buf;              /* every value, one after another */
    dvc_notify_field_t   f[DVC_NOTIFY_FIELDS_MAX];
    size_t               n;
} dvc_notify_entry_t;

/*
 * The stream entry's fields, in this order (absent ones skipped):
 *   code, template, status, event, at, email, phone, channels,
 *   subject_vi, subject_en, text_vi, text_en, link, form
 * channels: the hints the contact allows, "email", "sms", "zalo" joined by
 * commas (sms and zalo both from the phone), "" when none.  Texts are plain
 * UTF-8 with line feeds.  The buffer is on `a`; dvc_buf_free() it.
 * Returns 0, -1 when kind is NONE or memory failed.
 */
int dvc_notify_entry(const dvc_alloc_t *a, const dvc_notice_t *n,
    dvc_notify_entry_t *e);

/* "09:10 ngày 23/11/2026" / "09:10 on 23/11/2026" (Vietnam time); out at
 * least 32 bytes. */
void dvc_notify_time_vi(int64_t t, char *out);
void dvc_notify_time_en(int64_t t, char *out);

#endif
