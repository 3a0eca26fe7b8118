/*
 * The dossier lifecycle (issue 5): which change may happen from which
 * national status, what an event from the back-end must carry, and the
 * history entry it leaves.  Decisions only; no I/O.  The nginx glue reads the
 * dossier, asks here, and applies the answer with one compare-and-set script.
 *
 * Back-end events (POST .../events, signed) and citizen actions (withdrawal,
 * supplement, rating; lookup token) share one table, so "is this allowed from
 * status N" has one answer for both.
 */
#ifndef DVC_LIFECYCLE_H
#define DVC_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"

typedef enum {
    /* back-end events, named by their "type" */
    DVC_EV_ACCEPT = 1,
    DVC_EV_REFUSE,
    DVC_EV_REQUEST_SUPPLEMENT,
    DVC_EV_PROCESS,
    DVC_EV_REQUEST_PAYMENT,
    DVC_EV_DELAY,
    DVC_EV_STOP,
    DVC_EV_CONFIRM_WITHDRAWAL,
    DVC_EV_DECLINE_WITHDRAWAL,
    DVC_EV_RESOLVE,
    DVC_EV_RETURN,
    /* citizen actions (names "withdrawal", "supplement", "rating") */
    DVC_ACT_WITHDRAWAL,
    DVC_ACT_SUPPLEMENT,
    DVC_ACT_RATING,
    /* liên thông (inter-agency, dvc_transfer.h): back-end events inside
     * status 4 that change no status; apart from the lifecycle's numbers so
     * that the table above keeps its bounds */
    DVC_EV_TRANSFER = 32,
    DVC_EV_TRANSFER_RETURN
} dvc_event_type_t;

#define DVC_EV_FIRST         DVC_EV_ACCEPT
#define DVC_EV_LAST          DVC_EV_RETURN      /* last back-end type */
#define DVC_ACT_LAST         DVC_ACT_RATING
#define DVC_XFER_FIRST       DVC_EV_TRANSFER
#define DVC_XFER_LAST        DVC_EV_TRANSFER_RETURN

/* Targets that are not a status number */
#define DVC_TO_UNCHANGED     0                   /* delay, rating */
#define DVC_TO_PREVIOUS      (-1)                /* decline_withdrawal */

/* Fields of an event body (bit set) */
#define DVC_EVF_REASON       0x01u
#define DVC_EVF_DOCUMENTS    0x02u
#define DVC_EVF_NEW_DUE_AT   0x04u
#define DVC_EVF_AMOUNT       0x08u
#define DVC_EVF_NOTE         0x10u
#define DVC_EVF_RATING       0x20u
#define DVC_EVF_COMMENT      0x40u
#define DVC_EVF_TO_AGENCY    0x80u     /* transfer */
#define DVC_EVF_SHARE        0x100u    /* transfer */

/* Limits (code points unless said) */
#define DVC_EVENT_ID_MAX     64
#define DVC_REASON_MAX       2000
#define DVC_ACTOR_MAX        200
#define DVC_NOTE_MAX         2000
#define DVC_DOCS_MAX         100
#define DVC_DOC_NAME_MAX     500
#define DVC_DOC_NOTE_MAX     1000
#define DVC_COMMENT_MAX      1000
#define DVC_EVENT_FUTURE_MAX 60       /* seconds "at" may lie ahead of now */
#define DVC_AMOUNT_MAX       INT64_C(1000000000000000)   /* 10^15 VND */
#define DVC_AGENCY_MAX       64       /* bytes of an agency code */
#define DVC_SHARE_NUM_MAX    31       /* bytes of the share's number */

typedef struct {
    dvc_event_type_t   type;
    const char        *name;       /* "accept", ..., "withdrawal" */
    unsigned           from;       /* bit N set: legal from status N */
    int                to;         /* status, DVC_TO_UNCHANGED or DVC_TO_PREVIOUS */
    unsigned           required;   /* DVC_EVF_* the body must carry */
    unsigned           optional;   /* DVC_EVF_* it may carry */
    int                backend;    /* 1: a back-end event, 0: a citizen action */
} dvc_transition_t;

/* The table row of a type; NULL outside DVC_EV_FIRST..DVC_ACT_LAST and
 * DVC_XFER_FIRST..DVC_XFER_LAST.  The 409's list of legal events
 * (dvc_transitions_allowed_json) is the lifecycle's status changes only:
 * transfer and transfer_return are not listed. */
const dvc_transition_t *dvc_transition(dvc_event_type_t type);
/* A back-end event type by its name ("accept"...); NULL if none (citizen
 * action names are not event types). */
const dvc_transition_t *dvc_transition_by_name(const char *name, size_t len);
/* 1 if the change is legal from status `from`. */
int dvc_transition_allowed(dvc_event_type_t type, int from);
/* The status after the change from `from` (prev: the status before 7, for
 * decline_withdrawal); the same status for delay and rating; 0 if illegal. */
int dvc_transition_target(dvc_event_type_t type, int from, int prev);
/* 1 for the terminal statuses 3, 8, 10. */
int dvc_status_terminal(int status);
/*
 * The legal back-end events from `from` as the 409 lists them:
 * [{"type":"accept","to":2},...] (delay's "to" is `from`, decline's is prev).
 * "[]" for a terminal status.
 */
void dvc_transitions_allowed_json(dvc_buf_t *b, int from, int prev);

/* A human text: vi required, en optional (NULL, 0). */
typedef struct {
    char      *vi;
    size_t     vi_len;
    char      *en;
    size_t     en_len;
} dvc_text_t;

/* A missing document: name required, note optional. */
typedef struct {
    char      *name;
    size_t     name_len;
    char      *note;
    size_t     note_len;
} dvc_event_doc_t;

/* A parsed event (or citizen action); strings are NUL-terminated copies on
 * the parse's allocator. */
typedef struct {
    const dvc_transition_t  *tr;
    char                     id[DVC_EVENT_ID_MAX + 1];   /* "" for actions */
    size_t                   id_len;
    int64_t                  at;          /* the act's time (default: now) */
    char                    *actor;       /* default "back-end" / "citizen" */
    size_t                   actor_len;
    unsigned                 has;         /* DVC_EVF_* present */
    dvc_text_t               reason;
    dvc_event_doc_t         *documents;
    size_t                   ndocuments;
    int64_t                  new_due_at;
    int64_t                  amount;
    char                    *note;
    size_t                   note_len;
    const char              *rating;      /* "very_satisfied"... (static) */
    char                    *comment;
    size_t                   comment_len;
    char                     to_agency[DVC_AGENCY_MAX + 1];   /* transfer */
    size_t                   to_agency_len;
    char                     share_num[DVC_SHARE_NUM_MAX + 1];
    size_t                   share_num_len;
    int                      share_in_days;   /* 1: {"days"}, 0: {"hours"} */
} dvc_event_t;

/*
 * Why a body or a change is refused.  http: 400 (not JSON), 422 (a field),
 * 409 (illegal_transition).  code: "json_syntax", "missing_field",
 * "invalid_field", "reason_not_human", "illegal_transition".  field: the
 * field's name ("reason", "documents[2].name"), "" when none.  Messages in
 * Vietnamese and English, for the answer as is (no personal data: they never
 * quote the value).
 */
typedef struct {
    int        http;
    const char *code;
    char       field[48];
    char       message_vi[256];
    char       message_en[256];
} dvc_event_error_t;

/*
 * Parses and checks a back-end event body (JSON object): id, type, at,
 * actor and the type's fields (unknown fields and fields the type does not
 * take are refused, naming them).  now: the gateway's clock, for "at" and
 * "new_due_at".  Returns 0, or -1 with err filled.
 */
int dvc_event_parse(const dvc_alloc_t *a, const char *body, size_t len,
    int64_t now, dvc_event_t *ev, dvc_event_error_t *err);

/*
 * Parses a citizen action's body: withdrawal {"reason"?}, rating
 * {"rating", "comment"?} (an empty body is {} for withdrawal).  Supplement
 * bodies are dossiers, not parsed here: pass body NULL to get a bare action.
 * actor "citizen", at = now.
 */
int dvc_action_parse(const dvc_alloc_t *a, dvc_event_type_t type,
    const char *body, size_t len, int64_t now, dvc_event_t *ev,
    dvc_event_error_t *err);

/* Frees what a parse allocated (a no-op on a pool); ev is zeroed.  A failed
 * parse frees its own. */
void dvc_event_free(const dvc_alloc_t *a, dvc_event_t *ev);

/* 1 unless the text is a bare technical code: no space in it, or only
 * [A-Z0-9_.:-] ("reason_not_human"). */
int dvc_reason_is_human(const char *s, size_t len);

/* What the gateway read of the dossier before a change. */
typedef struct {
    int        status;
    int        prev_status;      /* while in 7; 0 otherwise */
    int64_t    due_ts;           /* 0: none */
    int64_t    appointment_ts;   /* 0: none (after a delay: the new one) */
    int64_t    last_ts;          /* time of the last history entry, 0 */
} dvc_dossier_state_t;

/*
 * Checks the event against the dossier: the transition (409
 * illegal_transition), "at" not before the last history entry, a delay's
 * new_due_at later than the current appointment (appointment_ts, else
 * due_ts) and than now (422 naming the field).  Returns 0 and *to (the
 * status after), or -1 with err.
 */
int dvc_event_check(const dvc_event_t *ev, const dvc_dossier_state_t *d,
    int64_t now, int *to, dvc_event_error_t *err);

/* {"error":code,"field":...,"message":{"vi","en"}} (field only when set). */
void dvc_event_error_json(dvc_buf_t *b, const dvc_event_error_t *err);

/*
 * One history entry, appended to b (no comma):
 *   {"at":"2026-11-23T09:10:00+07:00","status":"supplement_requested",
 *    "status_number":5,"actor":"...","event":"evt-1","type":"request_supplement",
 *    "reason":{"vi":"...","en":"..."},"documents":[{"name","note"}],
 *    "new_due_at":"...","amount":N,"note":"...","to_agency":"...",
 *    "share":{"days":2}}
 * event only for back-end events, type always, the rest when present.  at:
 * the act's time (ev->at), status: the status after the change.
 */
void dvc_history_entry_json(dvc_buf_t *b, const dvc_event_t *ev, int status);

/* The reason as JSON {"vi":...,"en":...} (en only when given). */
void dvc_text_json(dvc_buf_t *b, const dvc_text_t *t);

#endif
