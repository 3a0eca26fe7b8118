/*
 * ngx_dvc: shared types of the nginx glue.  The work itself (codes, statuses,
 * validation, signing, calendar) lives in core/, which knows nothing of nginx.
 */

#ifndef NGX_HTTP_DVC_MODULE_H_INCLUDED
#define NGX_HTTP_DVC_MODULE_H_INCLUDED

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_hmac.h"
#include "dvc_dossier_scan.h"
#include "dvc_intake.h"


typedef struct ngx_http_dvc_redis_s  ngx_http_dvc_redis_t;

struct dvc_procedure;
struct dvc_procedures;
struct dvc_schema;
struct dvc_validate_ctx;
struct dvc_dossier_scan;
struct dvc_key;
struct dvc_calendar;


/* Contexts kept per worker for reuse (validators, scanners). */
#define NGX_HTTP_DVC_POOL_MAX  64
/* Documents a dossier may list (the schema's maxItems is usually far less). */
#define NGX_HTTP_DVC_MAX_DOCS  1000

/*
 * core/'s allocations from a pool.  A pool carves many objects out of one
 * block, so AddressSanitizer would see only the block's edges; in a sanitizer
 * build (make test-asan) each allocation gets a block of its own instead
 * (ngx_pmemalign: still freed with the pool), and an overflow or a use after
 * the request is caught at the object's edge.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NGX_HTTP_DVC_ASAN  1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(NGX_HTTP_DVC_ASAN)
#define ngx_http_dvc_core_palloc(pool, size)                                 \
    ngx_pmemalign(pool, size, NGX_POOL_ALIGNMENT)
#else
#define ngx_http_dvc_core_palloc(pool, size)  ngx_palloc(pool, size)
#endif


/* A loaded procedure: its metadata and compiled schema, never written after
 * the configuration is read (the workers share its pages with the master). */
typedef struct {
    const struct dvc_procedure  *procedure;
    struct dvc_schema           *schema;
} ngx_http_dvc_procedure_rt_t;


/* A worker's kept validators of one procedure (dmcf->vpools[i] for
 * dmcf->procs[i], made in the worker when first needed). */
typedef struct {
    struct dvc_validate_ctx    **free;          /* NGX_HTTP_DVC_POOL_MAX */
    ngx_uint_t                   nfree;
} ngx_http_dvc_vpool_t;


typedef struct {
    /* dvc_redis: where Redis listens, resolved at configuration time so a
     * worker never calls the blocking resolver inside hiredis */
    ngx_str_t                  redis_text;      /* as written, for logs */
    char                      *redis_host;      /* numeric address, or NULL */
    int                        redis_port;
    char                      *redis_unix;      /* unix socket path, or NULL */
    ngx_str_t                  redis_user;      /* ACL user, or empty */
    ngx_str_t                  redis_password;
    ngx_int_t                  redis_db;
    ngx_msec_t                 redis_timeout;
    /* dvc_redis_wait N TIMEOUT: WAIT after a submission (0: none) */
    ngx_uint_t                 redis_wait;
    ngx_msec_t                 redis_wait_timeout;
    /* dvc_redis_sentinel: the Sentinels (ngx_http_dvc_redis_addr_t), the
     * master's name, their password; dvc_redis_read replica */
    ngx_array_t               *redis_sentinels;
    ngx_str_t                  redis_master_name;
    ngx_str_t                  redis_sentinel_password;
    ngx_uint_t                 redis_read_replica;
    /* dvc_redis_cluster: the seed nodes (ngx_http_dvc_redis_addr_t) */
    ngx_array_t               *redis_cluster;

    ngx_http_dvc_redis_t      *redis;           /* this worker's connections */

    /* dvc_schemas: the procedures, loaded at configuration time */
    struct dvc_procedures     *procedures;
    ngx_str_t                  schemas_dir;
    ngx_str_t                  listing;         /* GET /v1/procedures */
    dvc_alloc_t                cf_alloc;        /* on the cycle's pool */
    ngx_http_dvc_procedure_rt_t  *procs;        /* sorted by code */
    ngx_uint_t                 nprocs;
    ngx_http_dvc_vpool_t      *vpools;          /* this worker's, or NULL */
    struct dvc_intake         *intakes[NGX_HTTP_DVC_POOL_MAX];
    ngx_uint_t                 nintakes;

    /* dvc_signing_key, dvc_verify_key, dvc_calendar */
    struct dvc_key            *signing_key;
    ngx_array_t               *keys;            /* of struct dvc_key * */
    ngx_str_t                  jwks;            /* GET /v1/keys */
    struct dvc_calendar       *calendar;

    /* dvc_event_key: the back-end's event signing secrets (dvc_hmac_key_t) */
    ngx_array_t               *event_keys;
    /* dvc_agency: agencies a dossier may be transferred to besides those
     * of the procedures (ngx_str_t) */
    ngx_array_t               *agencies;

    /* dvc_payment: the online payment provider (ngx_http_dvc_payment.c) */
    struct ngx_http_dvc_payment_s  *payment;     /* NULL: none */

    /* dvc_notify: notices to dvc:notify (ngx_http_dvc_notify.c) */
    ngx_flag_t                 notify;
    ngx_str_t                  notify_link;     /* lookup page; empty: none */

    /* dvc_documents, dvc_upload_ttl, dvc_clamd, dvc_clamd_timeout,
     * dvc_clamd_fail (ngx_http_dvc_upload.c, ngx_http_dvc_clamd.c) */
    ngx_str_t                  documents;       /* the store; empty: off */
    time_t                     upload_ttl;
    ngx_str_t                  clamd_text;      /* as written, for logs */
    ngx_addr_t                *clamd;           /* NULL: no scan */
    ngx_msec_t                 clamd_timeout;
    ngx_uint_t                 clamd_fail_open;

    /* dvc_retention: a miss on a code older than this answers 410 archived
     * (dvc dossiers archive moved it to dvc:archive); 0: off */
    time_t                     retention;
} ngx_http_dvc_main_conf_t;


typedef struct {
    ngx_flag_t                 api;
    ngx_str_t                  api_root;
} ngx_http_dvc_loc_conf_t;


/* Errors the API answers; each has a stable code and a message in
 * Vietnamese and English (ngx_http_dvc_response.c). */
typedef enum {
    NGX_HTTP_DVC_ERR_NOT_FOUND = 0,
    NGX_HTTP_DVC_ERR_BAD_CODE,
    NGX_HTTP_DVC_ERR_METHOD,
    NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT,
    NGX_HTTP_DVC_ERR_UNKNOWN_PROCEDURE,
    NGX_HTTP_DVC_ERR_MEDIA_TYPE,
    NGX_HTTP_DVC_ERR_BAD_IDEMPOTENCY,
    NGX_HTTP_DVC_ERR_IDEMPOTENCY_CONFLICT,
    NGX_HTTP_DVC_ERR_IDEMPOTENCY_BUSY,
    NGX_HTTP_DVC_ERR_SEQUENCE_EXHAUSTED,
    NGX_HTTP_DVC_ERR_NOT_ACCEPTED,
    NGX_HTTP_DVC_ERR_TOO_LARGE,
    NGX_HTTP_DVC_ERR_UNAVAILABLE,
    NGX_HTTP_DVC_ERR_INTERNAL,
    NGX_HTTP_DVC_ERR_EVENTS_DISABLED,
    NGX_HTTP_DVC_ERR_SIGNATURE_MISSING,
    NGX_HTTP_DVC_ERR_SIGNATURE_STALE,
    NGX_HTTP_DVC_ERR_SIGNATURE_INVALID,
    NGX_HTTP_DVC_ERR_SIGNATURE_AMBIGUOUS,
    NGX_HTTP_DVC_ERR_EVENT_ID_REUSED,
    NGX_HTTP_DVC_ERR_CONFLICT,
    NGX_HTTP_DVC_ERR_NO_DOSSIER,
    NGX_HTTP_DVC_ERR_ALREADY_RATED,
    NGX_HTTP_DVC_ERR_PROCEDURE_MISMATCH,
    NGX_HTTP_DVC_ERR_CHANNEL_NEEDS_SIGNATURE,
    NGX_HTTP_DVC_ERR_TOO_MANY_REQUESTS,
    NGX_HTTP_DVC_ERR_FORBIDDEN,
    NGX_HTTP_DVC_ERR_TOKEN_AMBIGUOUS,
    NGX_HTTP_DVC_ERR_BAD_PATH,
    NGX_HTTP_DVC_ERR_NOT_FOUND_DOCUMENT,
    NGX_HTTP_DVC_ERR_BAD_DRY_RUN,
    NGX_HTTP_DVC_ERR_PAYMENTS_DISABLED,
    NGX_HTTP_DVC_ERR_PAYMENT_NOT_REQUIRED,
    NGX_HTTP_DVC_ERR_NOT_PAYABLE_ONLINE,
    NGX_HTTP_DVC_ERR_ARCHIVED,
    NGX_HTTP_DVC_ERR_LAST
} ngx_http_dvc_error_e;


/*
 * Redis's replies, typed (ngx_http_dvc_reply.c; no glue file but it and the
 * connection sees hiredis).  A reply is opaque: an endpoint takes the value
 * or the array of values it expects.  NULL is no reply at all (Redis failed,
 * timed out or went away).  A value's str points into the reply and is
 * NUL-terminated, as hiredis makes it; it lives until the handler returns.
 */
typedef struct ngx_http_dvc_reply_s  ngx_http_dvc_reply_t;

/* the numbers are hiredis's REDIS_REPLY_*, so logs read the same */
typedef enum {
    NGX_HTTP_DVC_VAL_NONE = 0,      /* no reply, or past the array's end */
    NGX_HTTP_DVC_VAL_STRING = 1,
    NGX_HTTP_DVC_VAL_ARRAY = 2,     /* nested: ngx_http_dvc_reply_elem() */
    NGX_HTTP_DVC_VAL_INTEGER = 3,
    NGX_HTTP_DVC_VAL_NIL = 4,
    NGX_HTTP_DVC_VAL_STATUS = 5,
    NGX_HTTP_DVC_VAL_ERROR = 6
} ngx_http_dvc_val_type_e;

typedef struct {
    ngx_uint_t                 type;
    const char                *str;     /* string, status, error; or NULL */
    size_t                     len;
    int64_t                    integer;
} ngx_http_dvc_val_t;

void ngx_http_dvc_reply_val(ngx_http_dvc_reply_t *reply,
    ngx_http_dvc_val_t *v);
/* an array's first n elements into v (missing ones: NONE); returns how many
 * elements it has, or NGX_ERROR when it is not an array (or no reply) */
ngx_int_t ngx_http_dvc_reply_vals(ngx_http_dvc_reply_t *reply,
    ngx_http_dvc_val_t *v, ngx_uint_t n);
ngx_http_dvc_reply_t *ngx_http_dvc_reply_elem(ngx_http_dvc_reply_t *reply,
    ngx_uint_t i);
/* Redis's error text, or NULL when the reply is none or not an error */
const char *ngx_http_dvc_reply_error(ngx_http_dvc_reply_t *reply);
/* a decimal hash field: 1 read, 0 absent, -1 malformed (*out 0 then) */
ngx_int_t ngx_http_dvc_val_int(ngx_http_dvc_val_t *v, int64_t *out);
/* a string value for core's facts: NULL / 0 when it is not one */
#define ngx_http_dvc_val_str(v)                                               \
    ((v)->type == NGX_HTTP_DVC_VAL_STRING ? (v)->str : NULL)
#define ngx_http_dvc_val_len(v)                                               \
    ((v)->type == NGX_HTTP_DVC_VAL_STRING ? (v)->len : 0)


/*
 * Redis on nginx's event loop (ngx_http_dvc_redis.c: the connection;
 * ngx_http_dvc_redis_adapter.c: the event hooks; ngx_http_dvc_redis_conf.c:
 * the dvc_redis address).
 *
 * The handler runs exactly once per accepted command unless the request is
 * finalized first: with the reply of the last command of the batch, or with
 * reply == NULL when Redis failed, timed out or went away.  It must answer
 * the request and finalize it.  hiredis frees the reply as soon as the
 * handler returns, while an answer nginx cannot write at once (a slow
 * client) waits in the output chain: a body or header value taken from the
 * reply is copied into r->pool first (t/060 TEST 21, t/031 TEST 5).
 */
typedef void (*ngx_http_dvc_redis_handler_pt)(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);

typedef struct {
    int                        argc;
    const char               **argv;
    const size_t              *argvlen;
} ngx_http_dvc_redis_cmd_t;

/* NGX_OK: sent, the handler will run; NGX_DECLINED: Redis is unavailable
 * right now (answer 503 at once); NGX_ERROR: out of memory. */
ngx_int_t ngx_http_dvc_redis_send(ngx_http_request_t *r,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_http_dvc_redis_handler_pt handler, void *data);
/* A submission's transaction: with dvc_redis_wait, WAIT follows it and
 * fewer acknowledgements than asked are answered as no reply (NULL). */
ngx_int_t ngx_http_dvc_redis_send_durable(ngx_http_request_t *r,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_http_dvc_redis_handler_pt handler, void *data);
/* A read that a replica may answer (dvc_redis_read replica) while no
 * master does. */
ngx_int_t ngx_http_dvc_redis_send_read(ngx_http_request_t *r,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_http_dvc_redis_handler_pt handler, void *data);
/* a worker starts: with Sentinel, the master is asked for */
void ngx_http_dvc_redis_start(ngx_http_dvc_redis_t *redis);
char *ngx_http_dvc_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_redis_sentinel(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_redis_read(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_redis_cluster(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_redis_check(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf);
ngx_http_dvc_redis_t *ngx_http_dvc_redis_create(ngx_conf_t *cf,
    ngx_http_dvc_main_conf_t *dmcf);
void ngx_http_dvc_redis_shutdown(ngx_http_dvc_redis_t *redis);
void ngx_http_dvc_pools_free(ngx_http_dvc_main_conf_t *dmcf);
char *ngx_http_dvc_redis_parse(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf,
    ngx_str_t *value);


/* Responses (ngx_http_dvc_response.c) */
ngx_int_t ngx_http_dvc_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len);
ngx_int_t ngx_http_dvc_send_typed(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, size_t type_len, u_char *body, size_t len);
ngx_int_t ngx_http_dvc_send_error(ngx_http_request_t *r,
    ngx_http_dvc_error_e err);
/* a refusal before the body is read: the body discarded, then the error */
ngx_int_t ngx_http_dvc_refuse_unread(ngx_http_request_t *r,
    ngx_http_dvc_error_e err);
/* a method the endpoint does not take: the body discarded, then 405 with
 * Allow: allow (or the discard's failure) */
ngx_int_t ngx_http_dvc_refuse_method(ngx_http_request_t *r,
    const char *allow);
/* a GET or HEAD endpoint: the body discarded; NGX_DECLINED to go on, else
 * what to return (405 sent, or the discard's failure) */
ngx_int_t ngx_http_dvc_get_only(ngx_http_request_t *r);
/* the request's Content-Type for a log line, "" when none */
#define ngx_http_dvc_content_type(r)                                          \
    ((r)->headers_in.content_type ? &(r)->headers_in.content_type->value     \
                                  : &ngx_http_dvc_empty_str)
ngx_int_t ngx_http_dvc_redis_sent(ngx_http_request_t *r, ngx_int_t rc,
    const char *what, ngx_str_t *code);
ngx_int_t ngx_http_dvc_send_not_allowed(ngx_http_request_t *r,
    const char *allow);
ngx_table_elt_t *ngx_http_dvc_find_header(ngx_http_request_t *r,
    ngx_str_t *name);
ngx_uint_t ngx_http_dvc_header_count(ngx_http_request_t *r, ngx_str_t *name,
    ngx_table_elt_t **first);
ngx_int_t ngx_http_dvc_arg_next(ngx_str_t *args, size_t *pos,
    ngx_str_t *name, ngx_str_t *value);
ngx_uint_t ngx_http_dvc_arg_is(ngx_str_t *name, const char *want);

extern ngx_str_t  ngx_http_dvc_empty_str;
extern ngx_str_t  ngx_http_dvc_idempotency_header;
void ngx_http_dvc_finalize(ngx_http_request_t *r, ngx_int_t rc);


/* The base, which calls no other glue file (ngx_http_dvc_base.c) */
void ngx_http_dvc_pool_alloc(ngx_pool_t *pool, dvc_alloc_t *alloc);
void ngx_http_dvc_cf_alloc_init(ngx_conf_t *cf,
    ngx_http_dvc_main_conf_t *dmcf);
ngx_http_dvc_procedure_rt_t *ngx_http_dvc_procedure_find(
    ngx_http_dvc_main_conf_t *dmcf, const char *code, size_t len);
ngx_int_t ngx_http_dvc_send_memory(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, size_t type_len, u_char *body, size_t len);


/* Directives kept beside their endpoints, and configuration-time work */
char *ngx_http_dvc_schemas(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_dvc_signing_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_verify_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_dvc_calendar(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_dvc_event_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_dvc_agency(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_dvc_notify_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_payment_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_documents_dir(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_dvc_clamd(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_dvc_read_conf_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *text);
ngx_int_t ngx_http_dvc_read_secret_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *text);
ngx_int_t ngx_http_dvc_keys_init(ngx_conf_t *cf,
    ngx_http_dvc_main_conf_t *dmcf);
ngx_int_t ngx_http_dvc_procedures_compile(ngx_conf_t *cf,
    ngx_http_dvc_main_conf_t *dmcf);
void ngx_http_dvc_procedure_rt_cleanup(void *data);
ngx_int_t ngx_http_dvc_body_init(ngx_conf_t *cf);
ngx_int_t ngx_http_dvc_body_filter(ngx_http_request_t *r, ngx_chain_t *in);


/* RFC 4918's code for a well-formed body that breaks the rules; nginx 1.22
 * has no name for it */
#define NGX_HTTP_DVC_UNPROCESSABLE   422


/*
 * A request body read as nginx receives it (ngx_http_dvc_body.c).  A dossier
 * (submission, supplement) streams through core's intake (dvc_intake.h),
 * which decides its verdict; other bodies (withdrawal, rating) are only
 * collected, up to max bytes.  The request's module context must be a
 * structure that starts with this one.
 */
typedef struct {
    ngx_http_dvc_main_conf_t     *dmcf;
    const char                   *what;       /* "submission"... for logs */
    ngx_http_dvc_procedure_rt_t  *proc;       /* the procedure the body names */
    dvc_alloc_t                   alloc;      /* the request's pool */
    struct dvc_intake            *intake;     /* NULL: not a dossier */
    dvc_intake_procs_t            procs;      /* the intake's procedures */
    dvc_buf_t                     body;       /* the raw bytes */
    size_t                        max;        /* 0: no cap of ours */
    struct dvc_upload            *upload;     /* an upload: hashed and
                                                 sniffed, never kept here */
    struct dvc_sig_ctx           *sig;        /* signed: the MAC sees it too */
    const char                   *repeated;   /* the signature header(s)
                                                 given twice, for the log */

    unsigned                      finished:1;
    unsigned                      too_large:1;
} ngx_http_dvc_body_t;

ngx_int_t ngx_http_dvc_body_read(ngx_http_request_t *r,
    ngx_http_dvc_body_t *b, const char *what, ngx_uint_t dossier, size_t max,
    ngx_http_client_body_handler_pt done);
void ngx_http_dvc_body_finish(ngx_http_dvc_body_t *b);
/* 1: a valid dossier of b->proc; 0: answered, *rc says how */
ngx_int_t ngx_http_dvc_body_verdict(ngx_http_request_t *r,
    ngx_http_dvc_body_t *b, ngx_int_t *rc);
ngx_int_t ngx_http_dvc_body_malformed(ngx_http_request_t *r,
    ngx_http_dvc_body_t *b, const char *code, size_t offset, const char *vi,
    const char *en);
ngx_int_t ngx_http_dvc_is_json(ngx_http_request_t *r);
ngx_int_t ngx_http_dvc_body_signed(ngx_http_request_t *r);
ngx_int_t ngx_http_dvc_body_sign(ngx_http_request_t *r,
    ngx_http_dvc_body_t *b, u_char *mac, dvc_sig_result_t *why);


/* Procedures and pooled contexts (ngx_http_dvc_procedures.c) */
struct dvc_validate_ctx *ngx_http_dvc_validator_get(
    ngx_http_dvc_main_conf_t *dmcf, ngx_http_dvc_procedure_rt_t *rt);
void ngx_http_dvc_validator_put(ngx_http_dvc_main_conf_t *dmcf,
    ngx_http_dvc_procedure_rt_t *rt, struct dvc_validate_ctx *v);
struct dvc_intake *ngx_http_dvc_intake_get(ngx_http_dvc_main_conf_t *dmcf);
void ngx_http_dvc_intake_put(ngx_http_dvc_main_conf_t *dmcf,
    struct dvc_intake *in);


/*
 * A citizen's dossier, named by its code and opened with its lookup token
 * (ngx_http_dvc_lookup.c): the lookup, the receipt and the citizen's
 * actions share the token rules, so all give the same 404 for an unknown
 * code, a wrong token and a missing one.
 */
#define NGX_HTTP_DVC_DOSSIER_FIELDS_MAX  32

typedef struct {
    ngx_str_t                  code;
    u_char                     token_hex[64];             /* its SHA-256 */
    u_char                     key[sizeof("dvc:d:") - 1 + 32];
    size_t                     key_len;
} ngx_http_dvc_dossier_ref_t;

ngx_int_t ngx_http_dvc_dossier_ref(ngx_http_request_t *r, ngx_str_t *code,
    ngx_http_dvc_dossier_ref_t *ref, ngx_http_dvc_error_e *err);
/* 404 not_found, or 410 archived for a code older than dvc_retention */
ngx_http_dvc_error_e ngx_http_dvc_not_found(ngx_http_request_t *r,
    ngx_str_t *code);
/* NGX_OK, NGX_DECLINED (Redis unavailable), NGX_ERROR */
ngx_int_t ngx_http_dvc_dossier_hmget(ngx_http_request_t *r,
    ngx_http_dvc_dossier_ref_t *ref, ngx_str_t *fields, ngx_uint_t nfields,
    ngx_http_dvc_redis_handler_pt handler, void *data);
/* 1 if the reply is the dossier and the token matches, its nfields values
 * in f; else the request has been answered (404, 503) and *rc says how. */
ngx_int_t ngx_http_dvc_dossier_check(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, ngx_http_dvc_val_t *f, ngx_uint_t nfields,
    ngx_http_dvc_dossier_ref_t *ref, ngx_int_t *rc);


/* Acceptance: the appointment and the signed receipt (ngx_http_dvc_accept.c
 * over core's dvc_receipt.h) */
ngx_int_t ngx_http_dvc_accept(ngx_http_request_t *r,
    ngx_http_dvc_main_conf_t *dmcf, const struct dvc_procedure *p,
    const char *code, const char *facts, size_t facts_len,
    const char *delivery, size_t delivery_len, int64_t at, int64_t *due,
    dvc_buf_t *receipt);


/*
 * ClamAV's daemon over INSTREAM on nginx's event loop (ngx_http_dvc_clamd.c):
 * the file's size bytes go to clamd; the handler runs once with
 * DVC_CLAMD_CLEAN, _INFECTED (what: the signature) or _ERROR (what: why:
 * refused, timed out, clamd's ERROR), unless the request is finalized
 * first.  NGX_OK: the handler will run; NGX_ERROR: it will not.
 */
typedef void (*ngx_http_dvc_clamd_handler_pt)(ngx_http_request_t *r,
    ngx_uint_t verdict, const char *what, void *data);

ngx_int_t ngx_http_dvc_clamd_scan(ngx_http_request_t *r, ngx_file_t *file,
    off_t size, ngx_http_dvc_clamd_handler_pt handler, void *data);


/*
 * A dossier's documents against their uploads (ngx_http_dvc_documents.c).
 * check: NGX_DECLINED, nothing to check (no dvc_documents, no document):
 * go on at once; NGX_DONE: Redis was asked, and next() runs (its result
 * finalizes the request) or the request is answered 422/503; else an HTTP
 * status.  With refusal, a 422 is not answered but kept there (its body)
 * and next() runs all the same.  claim: one command for the dossier's MULTI (1), none (0), or
 * NGX_ERROR.
 */
typedef ngx_int_t (*ngx_http_dvc_documents_next_pt)(ngx_http_request_t *r,
    void *data);

ngx_int_t ngx_http_dvc_documents_check(ngx_http_request_t *r,
    const struct dvc_procedure *p, dvc_dossier_facts_t *facts,
    ngx_http_dvc_documents_next_pt next, void *data, ngx_str_t *refusal);
ngx_int_t ngx_http_dvc_documents_claim(ngx_http_request_t *r,
    dvc_dossier_facts_t *facts, const char *code, size_t code_len,
    ngx_http_dvc_redis_cmd_t *cmd);
/* [{"kind","sha256","size","type"}] for the inbox; nothing without a store */
void ngx_http_dvc_documents_inbox_json(ngx_http_request_t *r,
    dvc_dossier_facts_t *facts, dvc_buf_t *out);


/* What a core decision's env takes from the configuration and the clock
 * (dvc_submit_env_t, dvc_event_env_t and dvc_payment_env_t name these
 * fields alike), the rest of *env zeroed. */
#define ngx_http_dvc_env_init(env, dmcf, t)                                   \
    ngx_memzero(env, sizeof(*(env)));                                         \
    (env)->cal = (dmcf)->calendar;                                            \
    (env)->signing_key = (dmcf)->signing_key;                                 \
    (env)->notify = (dmcf)->notify == 1;                                      \
    (env)->now = (t);                                                         \
    if ((dmcf)->notify_link.len) {                                            \
        (env)->link = (const char *) (dmcf)->notify_link.data;                \
        (env)->link_len = (dmcf)->notify_link.len;                            \
    }


/* The router (ngx_http_dvc_router.c), dvc_api's location handler */
ngx_int_t ngx_http_dvc_handler(ngx_http_request_t *r);

/* The module's start and end (ngx_http_dvc_init.c), named in the module's
 * tables (ngx_http_dvc_module.c) */
ngx_int_t ngx_http_dvc_postconfiguration(ngx_conf_t *cf);
ngx_int_t ngx_http_dvc_init_module(ngx_cycle_t *cycle);
ngx_int_t ngx_http_dvc_init_process(ngx_cycle_t *cycle);
void ngx_http_dvc_exit_process(ngx_cycle_t *cycle);


/* Endpoints */
ngx_int_t ngx_http_dvc_lookup(ngx_http_request_t *r, ngx_str_t *code);
ngx_int_t ngx_http_dvc_procedures(ngx_http_request_t *r, ngx_str_t *rest);
ngx_int_t ngx_http_dvc_submit(ngx_http_request_t *r);
ngx_int_t ngx_http_dvc_receipt(ngx_http_request_t *r, ngx_str_t *code);
ngx_int_t ngx_http_dvc_keys(ngx_http_request_t *r);
ngx_int_t ngx_http_dvc_events(ngx_http_request_t *r, ngx_str_t *code);
ngx_int_t ngx_http_dvc_payment(ngx_http_request_t *r, ngx_str_t *code);
ngx_int_t ngx_http_dvc_payment_notice(ngx_http_request_t *r,
    ngx_str_t *rest);
ngx_int_t ngx_http_dvc_upload(ngx_http_request_t *r);
ngx_int_t ngx_http_dvc_documents(ngx_http_request_t *r, ngx_str_t *sha);
/* action: DVC_ACT_WITHDRAWAL, DVC_ACT_SUPPLEMENT, DVC_ACT_RATING */
ngx_int_t ngx_http_dvc_citizen(ngx_http_request_t *r, ngx_str_t *code,
    ngx_uint_t action);


extern ngx_module_t  ngx_http_dvc_module;

#endif /* NGX_HTTP_DVC_MODULE_H_INCLUDED */
