/*
 * Metrics and log variables of the API: a module of its own in the same .so
 * (ngx_http_dvc_metrics_module), so that its request context never meets
 * the endpoints' (each endpoint keeps its own in ngx_http_dvc_module's slot).
 *
 * - Counting happens in one place, a log-phase handler, for every request
 *   that reached a location with dvc_api: its endpoint (from the path as
 *   sent, so nginx's own 413 and 429 count under the endpoint that was
 *   asked for), its status, its time.  The endpoints only report what the
 *   log phase cannot see (ngx_http_dvc_metrics.h).
 * - The counters live in one shared memory zone, "dvc_metrics", of atomic
 *   words: every worker adds to the same words and `dvc_metrics;` prints
 *   their sums.  The zone's layout depends on the procedures loaded; it is
 *   kept across a reload that loads the same ones and the same signing key,
 *   and zeroed otherwise (a procedure's counters never move to another).
 * - Labels are bounded: endpoints and statuses are fixed lists (others are
 *   "other"), procedures are the loaded ones, violation codes are the
 *   validator's keywords and the x-dvc document codes, the key id is the
 *   signing key's.  No dossier code, token or body ever becomes a label.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_code.h"
#include "dvc_keys.h"
#include "dvc_procedure.h"


typedef enum {
    NGX_HTTP_DVC_EP_SUBMIT = 0,
    NGX_HTTP_DVC_EP_LOOKUP,
    NGX_HTTP_DVC_EP_RECEIPT,
    NGX_HTTP_DVC_EP_WITHDRAWAL,
    NGX_HTTP_DVC_EP_SUPPLEMENT,
    NGX_HTTP_DVC_EP_RATING,
    NGX_HTTP_DVC_EP_EVENTS,
    NGX_HTTP_DVC_EP_PROCEDURES,
    NGX_HTTP_DVC_EP_KEYS,
    NGX_HTTP_DVC_EP_STATS,
    NGX_HTTP_DVC_EP_UPLOADS,
    NGX_HTTP_DVC_EP_OTHER,
    NGX_HTTP_DVC_EP_LAST
} ngx_http_dvc_endpoint_e;

static const char  *ngx_http_dvc_endpoint_names[NGX_HTTP_DVC_EP_LAST] = {
    "submit", "lookup", "receipt", "withdrawal", "supplement", "rating",
    "events", "procedures", "keys", "stats", "uploads", "other"
};

/* the statuses the API and nginx in front of it answer; the rest "other" */
static const ngx_uint_t  ngx_http_dvc_statuses[] = {
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 411, 413, 414,
    415, 422, 429, 494, 499, 500, 502, 503, 504
};

#define NGX_HTTP_DVC_NSTATUS                                                 \
    (sizeof(ngx_http_dvc_statuses) / sizeof(ngx_http_dvc_statuses[0]) + 1)

/* latency buckets, in milliseconds (printed in seconds) */
static const ngx_msec_t  ngx_http_dvc_buckets[] = {
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

#define NGX_HTTP_DVC_NBUCKET                                                 \
    (sizeof(ngx_http_dvc_buckets) / sizeof(ngx_http_dvc_buckets[0]) + 1)

/* the violation codes a 422 lists (core/dvc_schema_errors.c, x-dvc's
 * documents in core/dvc_procedure.c); the last, "other", takes the rest */
static const char  *ngx_http_dvc_vcodes[] = {
    "type", "required", "additionalProperties", "unevaluatedProperties",
    "properties", "pattern", "format", "enum", "const", "minLength",
    "maxLength", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems", "uniqueItems", "contains",
    "minContains", "maxContains", "items", "prefixItems", "unevaluatedItems",
    "minProperties", "maxProperties", "dependentRequired", "propertyNames",
    "anyOf", "oneOf", "not", "false", "unknown_document", "missing_document",
    "other"
};

#define NGX_HTTP_DVC_NVCODE                                                  \
    (sizeof(ngx_http_dvc_vcodes) / sizeof(ngx_http_dvc_vcodes[0]))

static const char  *ngx_http_dvc_signed_names[] = {
    "acknowledgement", "receipt"
};

/* clamd's verdicts (DVC_CLAMD_CLEAN, _INFECTED, _ERROR: 1, 2, 3) */
static const char  *ngx_http_dvc_clamd_names[] = {
    "clean", "infected", "error"
};


typedef struct {
    uint64_t       layout;        /* what the words below count */
    ngx_atomic_t   requests[NGX_HTTP_DVC_EP_LAST][NGX_HTTP_DVC_NSTATUS];
    ngx_atomic_t   buckets[NGX_HTTP_DVC_EP_LAST][NGX_HTTP_DVC_NBUCKET];
    ngx_atomic_t   sum_ms[NGX_HTTP_DVC_EP_LAST];
    ngx_atomic_t   redis_connected;
    ngx_atomic_t   redis_reconnects;
    ngx_atomic_t   redis_timeouts;
    ngx_atomic_t   redis_pending;
    ngx_atomic_t   signed_docs[2];
    ngx_atomic_t   clamd[3];
    ngx_atomic_t   invalid[];     /* [nprocs][NGX_HTTP_DVC_NVCODE] */
} ngx_http_dvc_metrics_sh_t;


typedef struct {
    ngx_http_dvc_metrics_sh_t  *sh;
    ngx_slab_pool_t            *shpool;
    uint64_t                    layout;
    size_t                      size;
} ngx_http_dvc_metrics_zone_t;


/* what one request did, for the log phase and the variables */
typedef struct {
    ngx_msec_t                    redis_ms;
    ngx_uint_t                    redis_batches;
    ngx_http_dvc_procedure_rt_t  *proc;
    ngx_uint_t                    proc_index;   /* in dmcf->procs */
    u_char                        code[DVC_CODE_LEN];
    u_char                        outcome[48];
    size_t                        outcome_len;
    unsigned                      has_code:1;
} ngx_http_dvc_req_t;


static ngx_http_dvc_req_t *ngx_http_dvc_req(ngx_http_request_t *r);
static void ngx_http_dvc_req_proc(ngx_http_request_t *r,
    ngx_http_dvc_req_t *rq, ngx_http_dvc_procedure_rt_t *rt);
static ngx_uint_t ngx_http_dvc_endpoint(ngx_http_request_t *r,
    ngx_http_dvc_loc_conf_t *dlcf);
static void ngx_http_dvc_metrics_violations(ngx_http_dvc_req_t *rq,
    u_char *p, u_char *last);
static ngx_int_t ngx_http_dvc_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_dvc_var_code(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dvc_var_procedure(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dvc_var_agency(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dvc_var_outcome(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dvc_var_redis_time(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_dvc_metrics_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_dvc_metrics_postconfiguration(ngx_conf_t *cf);
static char *ngx_http_dvc_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/* the zone of the cycle this process runs (set in the master by the
 * zone's init, inherited by its workers; NULL until then) */
static ngx_http_dvc_metrics_sh_t  *ngx_http_dvc_metrics_sh;
static ngx_uint_t                  ngx_http_dvc_metrics_nprocs;


static ngx_command_t  ngx_http_dvc_metrics_commands[] = {

    { ngx_string("dvc_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dvc_metrics,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dvc_metrics_module_ctx = {
    ngx_http_dvc_metrics_preconfiguration, /* preconfiguration */
    ngx_http_dvc_metrics_postconfiguration, /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dvc_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_dvc_metrics_module_ctx,      /* module context */
    ngx_http_dvc_metrics_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_dvc_vars[] = {

    { ngx_string("dvc_code"), NULL, ngx_http_dvc_var_code, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_procedure"), NULL, ngx_http_dvc_var_procedure, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_agency"), NULL, ngx_http_dvc_var_agency, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_outcome"), NULL, ngx_http_dvc_var_outcome, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_redis_time"), NULL, ngx_http_dvc_var_redis_time, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_dvc_metrics_zone_name = ngx_string("dvc_metrics");


/* ------------------------------------------------------------ reports */

static ngx_http_dvc_req_t *
ngx_http_dvc_req(ngx_http_request_t *r)
{
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_get_module_ctx(r, ngx_http_dvc_metrics_module);
    if (rq) {
        return rq;
    }

    rq = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_req_t));
    if (rq == NULL) {
        return NULL;
    }

    ngx_http_set_ctx(r, rq, ngx_http_dvc_metrics_module);

    return rq;
}


static void
ngx_http_dvc_req_proc(ngx_http_request_t *r, ngx_http_dvc_req_t *rq,
    ngx_http_dvc_procedure_rt_t *rt)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    if (rt == NULL) {
        return;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    rq->proc = rt;
    rq->proc_index = rt - dmcf->procs;
}


void
ngx_http_dvc_metrics_procedure(ngx_http_request_t *r,
    ngx_http_dvc_procedure_rt_t *rt)
{
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_dvc_req(r);
    if (rq == NULL) {
        return;
    }

    ngx_http_dvc_req_proc(r, rq, rt);
}


/* A JSON string's value right after p, if it is made only of the bytes a
 * code or a procedure has (no escape): its end, or NULL. */
static u_char *
ngx_http_dvc_plain_str(u_char *p, u_char *last, size_t max)
{
    u_char  *s;

    for (s = p; s < last && (size_t) (s - p) <= max; s++) {
        if (*s == '"') {
            return s;
        }

        if (!((*s >= '0' && *s <= '9')
              || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')
              || *s == '.' || *s == '-' || *s == '_'))
        {
            return NULL;
        }
    }

    return NULL;
}


#define ngx_http_dvc_starts(p, last, lit)                                    \
    ((size_t) ((last) - (p)) >= sizeof(lit) - 1                              \
     && ngx_strncmp(p, lit, sizeof(lit) - 1) == 0)


/*
 * Every JSON answer starts with either {"code":"<dossier>"[,"procedure":
 * "<procedure>"] (a dossier's answers) or {"error":"<code>" (errors); that
 * is all these look at, besides a 422's violation codes.
 */
void
ngx_http_dvc_metrics_answer(ngx_http_request_t *r, u_char *body, size_t len)
{
    u_char                    *p, *last, *end;
    ngx_http_dvc_req_t        *rq;
    ngx_http_dvc_main_conf_t  *dmcf;

    p = body;
    last = body + len;

    if (ngx_http_dvc_starts(p, last, "{\"error\":\"")) {
        p += sizeof("{\"error\":\"") - 1;
        end = ngx_http_dvc_plain_str(p, last, 47);
        if (end == NULL || end == p) {
            return;
        }

        rq = ngx_http_dvc_req(r);
        if (rq == NULL) {
            return;
        }

        rq->outcome_len = end - p;
        ngx_memcpy(rq->outcome, p, rq->outcome_len);

        if (rq->outcome_len == sizeof("validation_failed") - 1
            && ngx_strncmp(p, "validation_failed", rq->outcome_len) == 0)
        {
            ngx_http_dvc_metrics_violations(rq, end, last);
        }

        return;
    }

    if (!ngx_http_dvc_starts(p, last, "{\"code\":\"")) {
        return;
    }

    p += sizeof("{\"code\":\"") - 1;
    end = ngx_http_dvc_plain_str(p, last, DVC_CODE_LEN);

    if (end == NULL || !dvc_code_valid((char *) p, end - p)) {
        return;
    }

    rq = ngx_http_dvc_req(r);
    if (rq == NULL) {
        return;
    }

    ngx_memcpy(rq->code, p, DVC_CODE_LEN);
    rq->has_code = 1;

    p = end + 1;

    if (rq->proc || !ngx_http_dvc_starts(p, last, ",\"procedure\":\"")) {
        return;
    }

    p += sizeof(",\"procedure\":\"") - 1;
    end = ngx_http_dvc_plain_str(p, last, 64);
    if (end == NULL) {
        return;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    ngx_http_dvc_req_proc(r, rq,
                          ngx_http_dvc_procedure_find(dmcf, (char *) p,
                                                      end - p));
}


/*
 * The "code" of each violation of a 422 body, counted for its procedure.
 * The body is ours ({"error":"validation_failed","violations":[{"path":..,
 * "keyword":..,"code":"required",..},..]}): the strings are walked with
 * their escapes, so a "code" key is never taken from inside a value.
 */
static void
ngx_http_dvc_metrics_violations(ngx_http_dvc_req_t *rq, u_char *p,
    u_char *last)
{
    u_char      *s, *e;
    ngx_uint_t   i, key;

    if (ngx_http_dvc_metrics_sh == NULL || rq->proc == NULL
        || rq->proc_index >= ngx_http_dvc_metrics_nprocs)
    {
        return;
    }

    /* p is at the closing quote of "validation_failed" */
    p++;
    key = 0;

    while (p < last) {

        if (*p == ',' || *p == '{') {
            key = 1;
            p++;
            continue;
        }

        if (*p != '"') {
            key = 0;
            p++;
            continue;
        }

        /* a string: to its end, over escapes */
        s = ++p;
        while (p < last && *p != '"') {
            p += (*p == '\\') ? 2 : 1;
        }

        if (p >= last) {
            return;
        }

        e = p++;

        if (!key || e - s != 4 || ngx_strncmp(s, "code", 4) != 0
            || !ngx_http_dvc_starts(p, last, ":\""))
        {
            key = 0;
            continue;
        }

        key = 0;
        s = p + 2;
        e = s;
        while (e < last && *e != '"' && *e != '\\') {
            e++;
        }

        for (i = 0; i < NGX_HTTP_DVC_NVCODE - 1; i++) {
            if ((size_t) (e - s) == ngx_strlen(ngx_http_dvc_vcodes[i])
                && ngx_strncmp(s, ngx_http_dvc_vcodes[i], e - s) == 0)
            {
                break;
            }
        }

        (void) ngx_atomic_fetch_add(&ngx_http_dvc_metrics_sh->invalid[
                                        rq->proc_index * NGX_HTTP_DVC_NVCODE
                                        + i], 1);
        p = (e < last) ? e + 1 : last;
    }
}


void
ngx_http_dvc_metrics_signed(ngx_uint_t what)
{
    if (ngx_http_dvc_metrics_sh && what < 2) {
        (void) ngx_atomic_fetch_add(&ngx_http_dvc_metrics_sh->signed_docs[what],
                                    1);
    }
}


void
ngx_http_dvc_metrics_clamd(ngx_uint_t verdict)
{
    /* DVC_CLAMD_CLEAN .. DVC_CLAMD_ERROR, anything else an error */
    if (verdict < 1 || verdict > 3) {
        verdict = 3;
    }

    if (ngx_http_dvc_metrics_sh) {
        (void) ngx_atomic_fetch_add(
                   &ngx_http_dvc_metrics_sh->clamd[verdict - 1], 1);
    }
}


void
ngx_http_dvc_metrics_redis_pending(ngx_int_t delta)
{
    if (ngx_http_dvc_metrics_sh) {
        (void) ngx_atomic_fetch_add(&ngx_http_dvc_metrics_sh->redis_pending,
                                    (ngx_atomic_int_t) delta);
    }
}


void
ngx_http_dvc_metrics_redis_up(ngx_uint_t up, ngx_uint_t first)
{
    ngx_http_dvc_metrics_sh_t  *sh = ngx_http_dvc_metrics_sh;

    if (sh == NULL) {
        return;
    }

    if (!up) {
        (void) ngx_atomic_fetch_add(&sh->redis_connected,
                                    (ngx_atomic_int_t) -1);
        return;
    }

    (void) ngx_atomic_fetch_add(&sh->redis_connected, 1);

    if (!first) {
        (void) ngx_atomic_fetch_add(&sh->redis_reconnects, 1);
    }
}


void
ngx_http_dvc_metrics_redis_done(ngx_http_request_t *r, ngx_msec_t ms,
    ngx_uint_t timed_out)
{
    ngx_http_dvc_req_t  *rq;

    if (timed_out && ngx_http_dvc_metrics_sh) {
        (void) ngx_atomic_fetch_add(&ngx_http_dvc_metrics_sh->redis_timeouts,
                                    1);
    }

    rq = ngx_http_dvc_req(r);
    if (rq == NULL) {
        return;
    }

    rq->redis_ms += ms;
    rq->redis_batches++;
}


/* ------------------------------------------------------------ counting */

/*
 * The endpoint a request asked for, from its path as sent (r->uri may be
 * one of our error pages by now): what follows dvc_api_root "/v1/".
 */
static ngx_uint_t
ngx_http_dvc_endpoint(ngx_http_request_t *r, ngx_http_dvc_loc_conf_t *dlcf)
{
    u_char     *p, *last, *slash;
    ngx_str_t   seg, tail;

    p = r->unparsed_uri.data;
    last = ngx_strlchr(p, p + r->unparsed_uri.len, '?');
    if (last == NULL) {
        last = p + r->unparsed_uri.len;
    }

    if ((size_t) (last - p) < dlcf->api_root.len + sizeof("/v1/") - 1
        || ngx_strncmp(p, dlcf->api_root.data, dlcf->api_root.len) != 0
        || ngx_strncmp(p + dlcf->api_root.len, "/v1/", 4) != 0)
    {
        return NGX_HTTP_DVC_EP_OTHER;
    }

    p += dlcf->api_root.len + 4;

    slash = ngx_strlchr(p, last, '/');
    seg.data = p;
    seg.len = (slash ? slash : last) - p;

    if (seg.len == 10 && ngx_strncmp(p, "procedures", 10) == 0) {
        return NGX_HTTP_DVC_EP_PROCEDURES;
    }

    if (slash == NULL && seg.len == 4 && ngx_strncmp(p, "keys", 4) == 0) {
        return NGX_HTTP_DVC_EP_KEYS;
    }

    if (slash == NULL && seg.len == 5 && ngx_strncmp(p, "stats", 5) == 0) {
        return NGX_HTTP_DVC_EP_STATS;
    }

    if (slash == NULL && seg.len == 7 && ngx_strncmp(p, "uploads", 7) == 0) {
        return NGX_HTTP_DVC_EP_UPLOADS;
    }

    if (seg.len != 8 || ngx_strncmp(p, "dossiers", 8) != 0) {
        return NGX_HTTP_DVC_EP_OTHER;
    }

    if (slash == NULL) {
        return NGX_HTTP_DVC_EP_SUBMIT;
    }

    /* dossiers/{code}[/tail] */
    p = slash + 1;
    slash = ngx_strlchr(p, last, '/');

    if (p == last || slash == p) {
        return NGX_HTTP_DVC_EP_OTHER;
    }

    if (slash == NULL) {
        return NGX_HTTP_DVC_EP_LOOKUP;
    }

    tail.data = slash + 1;
    tail.len = last - tail.data;

#define ngx_http_dvc_tail_is(lit)                                            \
    (tail.len == sizeof(lit) - 1 && ngx_strncmp(tail.data, lit, tail.len) == 0)

    if (ngx_http_dvc_tail_is("receipt")) {
        return NGX_HTTP_DVC_EP_RECEIPT;
    }

    if (ngx_http_dvc_tail_is("withdrawal")) {
        return NGX_HTTP_DVC_EP_WITHDRAWAL;
    }

    if (ngx_http_dvc_tail_is("supplement")) {
        return NGX_HTTP_DVC_EP_SUPPLEMENT;
    }

    if (ngx_http_dvc_tail_is("rating")) {
        return NGX_HTTP_DVC_EP_RATING;
    }

    if (ngx_http_dvc_tail_is("events")) {
        return NGX_HTTP_DVC_EP_EVENTS;
    }

#undef ngx_http_dvc_tail_is

    return NGX_HTTP_DVC_EP_OTHER;
}


static ngx_msec_int_t
ngx_http_dvc_request_ms(ngx_http_request_t *r)
{
    ngx_time_t      *tp;
    ngx_msec_int_t   ms;

    tp = ngx_timeofday();

    ms = (ngx_msec_int_t) ((tp->sec - r->start_sec) * 1000
                           + (tp->msec - r->start_msec));

    return ngx_max(ms, 0);
}


static ngx_int_t
ngx_http_dvc_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                  ep, st, b, status;
    ngx_msec_int_t              ms;
    ngx_http_dvc_loc_conf_t    *dlcf;
    ngx_http_dvc_metrics_sh_t  *sh;

    sh = ngx_http_dvc_metrics_sh;

    if (sh == NULL || r != r->main) {
        return NGX_OK;
    }

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dvc_module);
    if (dlcf == NULL || !dlcf->api) {
        return NGX_OK;
    }

    ep = ngx_http_dvc_endpoint(r, dlcf);

    status = r->err_status ? r->err_status : r->headers_out.status;

    for (st = 0; st < NGX_HTTP_DVC_NSTATUS - 1; st++) {
        if (ngx_http_dvc_statuses[st] == status) {
            break;
        }
    }

    ms = ngx_http_dvc_request_ms(r);

    for (b = 0; b < NGX_HTTP_DVC_NBUCKET - 1; b++) {
        if ((ngx_msec_t) ms <= ngx_http_dvc_buckets[b]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&sh->requests[ep][st], 1);
    (void) ngx_atomic_fetch_add(&sh->buckets[ep][b], 1);
    (void) ngx_atomic_fetch_add(&sh->sum_ms[ep], (ngx_atomic_int_t) ms);

    return NGX_OK;
}


/* ------------------------------------------------------------ exposition */

/* a label value as the text format escapes it: \\, \", \n */
static void
ngx_http_dvc_label(dvc_buf_t *out, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '\\':
            dvc_buf_puts(out, "\\\\");
            break;
        case '"':
            dvc_buf_puts(out, "\\\"");
            break;
        case '\n':
            dvc_buf_puts(out, "\\n");
            break;
        default:
            dvc_buf_putc(out, s[i]);
        }
    }
}


#define ngx_http_dvc_family(out, name, type, help)                           \
    dvc_buf_puts(out, "# HELP " name " " help "\n# TYPE " name " " type "\n")


/* The requests by endpoint and status, and their durations. */
static void
ngx_http_dvc_metrics_print_http(dvc_buf_t *out, ngx_http_dvc_metrics_sh_t *sh)
{
    ngx_uint_t   ep, st, b;
    uint64_t     n, cum, sum;

    ngx_http_dvc_family(out, "dvc_http_requests_total", "counter",
                        "API requests answered, by endpoint and HTTP status "
                        "(all workers).");

    for (ep = 0; ep < NGX_HTTP_DVC_EP_LAST; ep++) {
        for (st = 0; st < NGX_HTTP_DVC_NSTATUS; st++) {
            n = sh->requests[ep][st];
            if (n == 0) {
                continue;
            }

            dvc_buf_printf(out, "dvc_http_requests_total{endpoint=\"%s\","
                           "code=\"", ngx_http_dvc_endpoint_names[ep]);

            if (st < NGX_HTTP_DVC_NSTATUS - 1) {
                dvc_buf_printf(out, "%u", (unsigned) ngx_http_dvc_statuses[st]);

            } else {
                dvc_buf_puts(out, "other");
            }

            dvc_buf_printf(out, "\"} %llu\n", (unsigned long long) n);
        }
    }

    ngx_http_dvc_family(out, "dvc_http_request_duration_seconds", "histogram",
                        "Time from the request's first byte to its log "
                        "line, by endpoint.");

    for (ep = 0; ep < NGX_HTTP_DVC_EP_LAST; ep++) {
        cum = 0;
        for (b = 0; b < NGX_HTTP_DVC_NBUCKET; b++) {
            cum += sh->buckets[ep][b];
        }

        if (cum == 0) {
            continue;
        }

        cum = 0;
        for (b = 0; b < NGX_HTTP_DVC_NBUCKET; b++) {
            cum += sh->buckets[ep][b];

            dvc_buf_printf(out, "dvc_http_request_duration_seconds_bucket"
                           "{endpoint=\"%s\",le=\"",
                           ngx_http_dvc_endpoint_names[ep]);

            if (b < NGX_HTTP_DVC_NBUCKET - 1) {
                dvc_buf_printf(out, "%u.%03u",
                               (unsigned) (ngx_http_dvc_buckets[b] / 1000),
                               (unsigned) (ngx_http_dvc_buckets[b] % 1000));

            } else {
                dvc_buf_puts(out, "+Inf");
            }

            dvc_buf_printf(out, "\"} %llu\n", (unsigned long long) cum);
        }

        sum = sh->sum_ms[ep];
        dvc_buf_printf(out, "dvc_http_request_duration_seconds_sum"
                       "{endpoint=\"%s\"} %llu.%03u\n",
                       ngx_http_dvc_endpoint_names[ep],
                       (unsigned long long) (sum / 1000),
                       (unsigned) (sum % 1000));
        dvc_buf_printf(out, "dvc_http_request_duration_seconds_count"
                       "{endpoint=\"%s\"} %llu\n",
                       ngx_http_dvc_endpoint_names[ep],
                       (unsigned long long) cum);
    }
}


/* The connections to Redis, all workers. */
static void
ngx_http_dvc_metrics_print_redis(dvc_buf_t *out, ngx_http_dvc_metrics_sh_t *sh)
{
    ngx_http_dvc_family(out, "dvc_redis_connected", "gauge",
                        "Workers connected to Redis now.");
    dvc_buf_printf(out, "dvc_redis_connected %lld\n",
                   (long long) (ngx_atomic_int_t) sh->redis_connected);

    ngx_http_dvc_family(out, "dvc_redis_reconnects_total", "counter",
                        "Connections to Redis a worker opened after its "
                        "first (after a loss, a timeout or a refusal).");
    dvc_buf_printf(out, "dvc_redis_reconnects_total %llu\n",
                   (unsigned long long) sh->redis_reconnects);

    ngx_http_dvc_family(out, "dvc_redis_timeouts_total", "counter",
                        "Requests' Redis commands unanswered within "
                        "dvc_redis_timeout (answered 503).");
    dvc_buf_printf(out, "dvc_redis_timeouts_total %llu\n",
                   (unsigned long long) sh->redis_timeouts);

    ngx_http_dvc_family(out, "dvc_redis_replies_pending", "gauge",
                        "Batches of commands sent to Redis (or held until "
                        "AUTH and SELECT are answered) awaiting a reply.");
    dvc_buf_printf(out, "dvc_redis_replies_pending %lld\n",
                   (long long) (ngx_atomic_int_t) sh->redis_pending);
}


static void
ngx_http_dvc_metrics_print(dvc_buf_t *out, ngx_http_dvc_metrics_sh_t *sh,
    ngx_http_dvc_main_conf_t *dmcf)
{
    size_t       len;
    uint64_t     n;
    ngx_uint_t   i, j;
    const char  *kid;

    ngx_http_dvc_metrics_print_http(out, sh);

    ngx_http_dvc_family(out, "dvc_validation_failures_total", "counter",
                        "Violations in dossiers refused 422, by procedure "
                        "and violation code.");

    for (i = 0; i < ngx_http_dvc_metrics_nprocs && i < dmcf->nprocs; i++) {
        for (j = 0; j < NGX_HTTP_DVC_NVCODE; j++) {
            n = sh->invalid[i * NGX_HTTP_DVC_NVCODE + j];
            if (n == 0) {
                continue;
            }

            dvc_buf_puts(out, "dvc_validation_failures_total{procedure=\"");
            ngx_http_dvc_label(out, dmcf->procs[i].procedure->code,
                               dmcf->procs[i].procedure->code_len);
            dvc_buf_printf(out, "\",code=\"%s\"} %llu\n",
                           ngx_http_dvc_vcodes[j], (unsigned long long) n);
        }
    }

    ngx_http_dvc_metrics_print_redis(out, sh);

    ngx_http_dvc_family(out, "dvc_signatures_total", "counter",
                        "Documents signed, by key id and document.");

    if (dmcf->signing_key) {
        kid = dvc_key_kid(dmcf->signing_key);
        len = ngx_strlen(kid);

        for (i = 0; i < 2; i++) {
            dvc_buf_puts(out, "dvc_signatures_total{kid=\"");
            ngx_http_dvc_label(out, kid, len);
            dvc_buf_printf(out, "\",document=\"%s\"} %llu\n",
                           ngx_http_dvc_signed_names[i],
                           (unsigned long long) sh->signed_docs[i]);
        }
    }

    ngx_http_dvc_family(out, "dvc_clamd_scans_total", "counter",
                        "Uploads scanned by clamd, by verdict (error: "
                        "refused, timed out or unreadable).");

    if (dmcf->clamd) {
        for (i = 0; i < 3; i++) {
            dvc_buf_printf(out, "dvc_clamd_scans_total{result=\"%s\"} %llu\n",
                           ngx_http_dvc_clamd_names[i],
                           (unsigned long long) sh->clamd[i]);
        }
    }

    ngx_http_dvc_family(out, "dvc_procedures_loaded", "gauge",
                        "Procedures whose schemas this configuration loaded.");
    dvc_buf_printf(out, "dvc_procedures_loaded %u\n", (unsigned) dmcf->nprocs);
}


static ngx_int_t
ngx_http_dvc_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    dvc_buf_t                  out;
    dvc_alloc_t                alloc;
    ngx_http_dvc_main_conf_t  *dmcf;

    static ngx_str_t  type =
        ngx_string("text/plain; version=0.0.4; charset=utf-8");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_dvc_metrics_sh == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: metrics zone missing");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&out, &alloc);

    ngx_http_dvc_metrics_print(&out, ngx_http_dvc_metrics_sh, dmcf);

    if (out.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_memory(r, NGX_HTTP_OK, &type,
                                    sizeof("text/plain") - 1,
                                    (u_char *) out.data, out.len);
}


/* ------------------------------------------------------------ variables */

static ngx_int_t
ngx_http_dvc_var_set(ngx_http_variable_value_t *v, u_char *data, size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_http_dvc_req_t *
ngx_http_dvc_var_req(ngx_http_request_t *r, ngx_http_variable_value_t *v)
{
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_get_module_ctx(r, ngx_http_dvc_metrics_module);
    if (rq == NULL) {
        v->not_found = 1;
    }

    return rq;
}


static ngx_int_t
ngx_http_dvc_var_code(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_dvc_var_req(r, v);
    if (rq == NULL || !rq->has_code) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_dvc_var_set(v, rq->code, DVC_CODE_LEN);
}


static ngx_int_t
ngx_http_dvc_var_procedure(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_dvc_var_req(r, v);
    if (rq == NULL || rq->proc == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_dvc_var_set(v, (u_char *) rq->proc->procedure->code,
                                rq->proc->procedure->code_len);
}


/* the agency that starts the dossier code, else the procedure's */
static ngx_int_t
ngx_http_dvc_var_agency(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    const char          *a;
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_dvc_var_req(r, v);
    if (rq == NULL) {
        return NGX_OK;
    }

    if (rq->has_code) {
        return ngx_http_dvc_var_set(v, rq->code, DVC_AGENCY_LEN);
    }

    if (rq->proc == NULL || rq->proc->procedure->agency == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    a = rq->proc->procedure->agency;

    return ngx_http_dvc_var_set(v, (u_char *) a, ngx_strlen(a));
}


/* the answer's error code; "ok" for an answer below 400; nginx's own
 * errors that never reached the API as "http_NNN" */
static ngx_int_t
ngx_http_dvc_var_outcome(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                   *p;
    ngx_uint_t                status;
    ngx_http_dvc_req_t       *rq;
    ngx_http_dvc_loc_conf_t  *dlcf;

    rq = ngx_http_get_module_ctx(r, ngx_http_dvc_metrics_module);

    if (rq && rq->outcome_len) {
        return ngx_http_dvc_var_set(v, rq->outcome, rq->outcome_len);
    }

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dvc_module);
    if (rq == NULL && (dlcf == NULL || !dlcf->api)) {
        v->not_found = 1;
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    if (status && status < 400) {
        return ngx_http_dvc_var_set(v, (u_char *) "ok", 2);
    }

    p = ngx_pnalloc(r->pool, sizeof("http_NNN") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_dvc_var_set(v, p,
                                ngx_sprintf(p, "http_%03ui", status % 1000)
                                - p);
}


/* the time the request waited for Redis, summed over its round trips, in
 * seconds with milliseconds, as $upstream_response_time */
static ngx_int_t
ngx_http_dvc_var_redis_time(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char              *p;
    ngx_http_dvc_req_t  *rq;

    rq = ngx_http_dvc_var_req(r, v);
    if (rq == NULL || rq->redis_batches == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_dvc_var_set(v, p,
                                ngx_sprintf(p, "%T.%03M",
                                            (time_t) (rq->redis_ms / 1000),
                                            rq->redis_ms % 1000) - p);
}


/* ------------------------------------------------------------ configuration */

static ngx_int_t
ngx_http_dvc_metrics_preconfiguration(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_dvc_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* FNV-1a over what the zone's words mean: the procedures, in order, and
 * the signing key's id */
static uint64_t
ngx_http_dvc_metrics_layout(ngx_http_dvc_main_conf_t *dmcf)
{
    size_t       k, len;
    uint64_t     h;
    ngx_uint_t   i;
    const char  *s;

    h = 14695981039346656037ULL;

#define ngx_http_dvc_fnv(s, len)                                             \
    for (k = 0; k < (len); k++) {                                            \
        h = (h ^ (u_char) (s)[k]) * 1099511628211ULL;                        \
    }                                                                        \
    h = (h ^ 0xff) * 1099511628211ULL

    for (i = 0; i < dmcf->nprocs; i++) {
        s = dmcf->procs[i].procedure->code;
        len = dmcf->procs[i].procedure->code_len;
        ngx_http_dvc_fnv(s, len);
    }

    if (dmcf->signing_key) {
        s = dvc_key_kid(dmcf->signing_key);
        len = ngx_strlen(s);
        ngx_http_dvc_fnv(s, len);
    }

#undef ngx_http_dvc_fnv

    return h;
}


static ngx_int_t
ngx_http_dvc_metrics_postconfiguration(ngx_conf_t *cf)
{
    size_t                        size;
    ngx_shm_zone_t               *shm_zone;
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_dvc_main_conf_t     *dmcf;
    ngx_http_dvc_metrics_zone_t  *zone;

    /* until this cycle's zone is made: never the last cycle's, which the
     * master unmaps once the reload is done */
    ngx_http_dvc_metrics_sh = NULL;
    ngx_http_dvc_metrics_nprocs = 0;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dvc_module);

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_metrics_zone_t));
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->layout = ngx_http_dvc_metrics_layout(dmcf);
    zone->size = sizeof(ngx_http_dvc_metrics_sh_t)
                 + (dmcf->nprocs * NGX_HTTP_DVC_NVCODE) * sizeof(ngx_atomic_t);
    ngx_http_dvc_metrics_nprocs = dmcf->nprocs;

    /* the slab pool's own pages besides ours */
    size = ngx_align(zone->size, ngx_pagesize) + 8 * ngx_pagesize;

    shm_zone = ngx_shared_memory_add(cf, &ngx_http_dvc_metrics_zone_name,
                                     size, &ngx_http_dvc_metrics_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_dvc_metrics_init_zone;
    shm_zone->data = zone;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dvc_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dvc_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_dvc_metrics_zone_t  *ozone = data;

    ngx_slab_pool_t              *shpool;
    ngx_http_dvc_metrics_sh_t    *sh;
    ngx_http_dvc_metrics_zone_t  *zone;

    zone = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    zone->shpool = shpool;

    sh = shpool->data;

    /* a reload: the counters go on if they still mean the same */
    if (ozone && sh && sh->layout == zone->layout) {
        zone->sh = sh;
        ngx_http_dvc_metrics_sh = sh;
        return NGX_OK;
    }

    if (sh) {
        ngx_slab_free(shpool, sh);
    }

    sh = ngx_slab_calloc(shpool, zone->size);
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->layout = zone->layout;
    shpool->data = sh;
    zone->sh = sh;
    ngx_http_dvc_metrics_sh = sh;

    return NGX_OK;
}


static char *
ngx_http_dvc_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_dvc_metrics_handler;

    return NGX_CONF_OK;
}
