/*
 * Online payment of a dossier's fee (issue 19): the provider's protocol as
 * pure functions, no I/O.  A provider is one adapter (dvc_payment_vnpay.c
 * is the first) behind dvc_payment_provider_t: it builds the signed URL
 * that sends the citizen to its payment page, and parses and verifies the
 * notification its server sends back (VNPAY's IPN).  What to do with a
 * verified notification, given what the dossier says, is decided here
 * once for every provider (dvc_payment_decide), and the provider turns the
 * verdict into the answer its server expects.  A second provider (the
 * national payment platform) is one more adapter file and one more line in
 * dvc_payment.c's table.
 *
 * The gateway never takes an amount from the citizen: the order's amount is
 * the one the back-end asked for with its request_payment event.
 */
#ifndef DVC_PAYMENT_H
#define DVC_PAYMENT_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_calendar.h"
#include "dvc_keys.h"
#include "dvc_plan.h"
#include "dvc_stats.h"

#define DVC_PAY_TXN_MAX      100     /* a transaction reference's length */
#define DVC_PAY_CODE_MAX     64      /* the dossier code inside it */
#define DVC_PAY_FIELD_MAX    64      /* provider's transaction no., bank... */
#define DVC_PAY_QUERY_MAX    8192    /* a notification's query string */
#define DVC_PAY_PARAMS_MAX   64      /* its parameters */

/* The merchant's account with the provider (dvc_payment directive). */
typedef struct {
    const char            *merchant;     /* VNPAY: vnp_TmnCode */
    size_t                 merchant_len;
    const unsigned char   *secret;       /* VNPAY: vnp_HashSecret */
    size_t                 secret_len;
    const char            *pay_url;      /* the provider's payment page */
    size_t                 pay_url_len;
    const char            *return_url;   /* where the citizen comes back */
    size_t                 return_url_len;
} dvc_payment_conf_t;

/* One payment attempt for a dossier. */
typedef struct {
    const char            *code;         /* the dossier code */
    size_t                 code_len;
    int64_t                amount;       /* VND, as the back-end asked */
    int64_t                now;          /* Unix seconds */
    const char            *ip;           /* the citizen's address */
    size_t                 ip_len;
    int                    expire_minutes;   /* 0: 15 */
} dvc_payment_order_t;

/* What a notification asks. */
typedef enum {
    DVC_PAY_APPLY = 0,         /* well-formed and signed; after
                                  dvc_payment_decide: paid, apply it ("00") */
    DVC_PAY_NOTED,             /* not paid (cancelled, failed): nothing to
                                  apply, answered "00" all the same */
    DVC_PAY_DONE,              /* already confirmed, nothing applied ("02") */
    DVC_PAY_UNKNOWN,           /* no such order ("01") */
    DVC_PAY_AMOUNT,            /* amount differs from the order ("04") */
    DVC_PAY_BAD_SIGNATURE,     /* not signed with our secret ("97") */
    DVC_PAY_OTHER              /* malformed, ambiguous, anything else ("99") */
} dvc_pay_verdict_t;

/* A verified notification's facts (NUL-terminated copies). */
typedef struct {
    char      txn_ref[DVC_PAY_TXN_MAX + 1];
    char      code[DVC_PAY_CODE_MAX + 1];        /* the dossier, from txn_ref */
    int64_t   amount;                            /* VND; -1: not whole */
    int       paid;                              /* the provider says paid */
    char      transaction_no[DVC_PAY_FIELD_MAX + 1];
    char      bank_code[DVC_PAY_FIELD_MAX + 1];
    char      response_code[DVC_PAY_FIELD_MAX + 1];
    int64_t   paid_at;                           /* 0: not given */
} dvc_payment_notice_t;

/* What the gateway read of the dossier the notice names. */
typedef struct {
    int       found;
    int       status;          /* national status number */
    int64_t   requested;       /* VND the back-end asked for; 0: none */
    int       paid;            /* a payment was applied already */
} dvc_payment_facts_t;

typedef struct dvc_payment_provider {
    const char  *name;         /* "vnpay": directive, IPN path, history */

    /*
     * Appends the URL of the provider's payment page for the order to url
     * and writes its transaction reference (NUL-terminated, at most
     * DVC_PAY_TXN_MAX) to txn_ref.  Returns 0, or -1 with why (an amount
     * the provider cannot take, out of memory).
     */
    int  (*pay_url)(const dvc_payment_conf_t *conf,
                    const dvc_payment_order_t *order, dvc_buf_t *url,
                    char *txn_ref, char *why, size_t whylen);

    /*
     * Parses and verifies a notification (the query string as received,
     * still percent-encoded).  DVC_PAY_APPLY with n filled when it is
     * well-formed and signed with conf's secret (what to do is
     * dvc_payment_decide's); otherwise the verdict to answer, with why
     * for the log (never a value from the query).
     */
    dvc_pay_verdict_t (*notice_parse)(const dvc_alloc_t *a,
                    const dvc_payment_conf_t *conf, const char *query,
                    size_t len, dvc_payment_notice_t *n, char *why,
                    size_t whylen);

    /* The body answering the notification, and its content type. */
    void (*answer)(dvc_pay_verdict_t v, dvc_buf_t *out);
    const char  *answer_type;
} dvc_payment_provider_t;

/* The provider of that name; NULL if none. */
const dvc_payment_provider_t *dvc_payment_provider(const char *name,
    size_t len);

/*
 * The decision on a verified notice given the dossier, in the order of
 * VNPAY's reference IPN code: unknown order (01), then the amount (04),
 * then whether it is still awaited (status 6, nothing paid; else 02), then
 * whether the provider says it was paid (APPLY) or not (NOTED).
 */
dvc_pay_verdict_t dvc_payment_decide(const dvc_payment_notice_t *n,
    const dvc_payment_facts_t *f);

/* "00", "01"... as VNPAY names them; for logs and tests. */
const char *dvc_payment_verdict_code(dvc_pay_verdict_t v);

/*
 * The history entry of an applied payment (no comma), at the gateway's
 * time `at`, the dossier moving to status `to`:
 *   {"at":"…+07:00","status":"processing","status_number":4,
 *    "actor":"vnpay","type":"payment","amount":N,"transaction_no":"…"}
 */
void dvc_payment_history_json(dvc_buf_t *b, const char *provider,
    const dvc_payment_notice_t *n, int to, int64_t at);

/*
 * The payload of the signed payment receipt (JWS typ dvc-payment+jws):
 *   {"code","provider","amount","currency":"VND","txn_ref",
 *    "transaction_no","bank_code"?,"paid_at","recorded_at"}
 * paid_at is the provider's time when it gave one, else `at`.
 */
void dvc_payment_receipt_json(dvc_buf_t *b, const char *provider,
    const dvc_payment_notice_t *n, int64_t at);

/* What the gateway read of a dossier whose payment is applied (NULL/0:
 * absent). */
typedef struct {
    const char        *agency;
    size_t             agency_len;
    const char        *procedure;
    size_t             procedure_len;
    const char        *procedure_name;   /* its name, NULL: not loaded */
    const char        *history;          /* the stored JSON array */
    size_t             history_len;
    const char        *contact_email;    /* where the notice goes */
    size_t             contact_email_len;
    const char        *contact_phone;
    size_t             contact_phone_len;
    dvc_stat_state_t   stat;             /* its st_* fields */
    const char        *stat_error;       /* why they could not be read */
} dvc_payment_record_t;

typedef struct {
    const dvc_calendar_t  *cal;
    const dvc_key_t       *signing_key;
    int                    notify;       /* dvc_notify on */
    const char            *link;         /* its lookup page, or NULL */
    size_t                 link_len;
    int64_t                now;
} dvc_payment_env_t;

/*
 * The change of a payment dvc_payment_decide said to apply (issue 13: the
 * plan for the compare-and-set script; p initialised by the caller):
 * status 4, the history entry, `payment` (the receipt's payload with the
 * signed receipt), updated_at, the inbox entry payment_received, the
 * statistics (paid_online, fees_online) and, with notices on, the
 * citizen's payment_received notice (event "payment:{txn_ref}").  The
 * pay:{txn_ref} guard that applies it once is the glue's.  Refused: p->http
 * 500 and p->err.message_en (no key to sign, a broken record) for the
 * provider's answer 99; p->failed: no memory.
 */
void dvc_payment_plan(const dvc_payment_record_t *rec,
    const dvc_payment_notice_t *n, const char *provider,
    const dvc_payment_env_t *env, dvc_plan_t *p);

/* For the adapters: PHP's urlencode() (what VNPAY's reference code signs:
 * [A-Za-z0-9_.-] kept, space as '+', every other byte %XX in upper case)
 * and urldecode() ('+' as space, %XX; a '%' not followed by two hex digits
 * kept as is).  decode writes at most len bytes to out, returns the
 * length. */
void dvc_payment_urlencode(dvc_buf_t *b, const char *s, size_t len);
size_t dvc_payment_urldecode(const char *s, size_t len, char *out);

extern const dvc_payment_provider_t  dvc_payment_vnpay;

#endif
