/*
 * ngx_dvc metrics: what the endpoints report (ngx_http_dvc_metrics.h) into
 * the request's context, and the log phase's handler that counts every
 * request of a dvc_api location, once, in the shared zone's atomic words.
 */

#include "ngx_http_dvc_metrics_int.h"
#include "dvc_procedure.h"


/* the statuses the API and nginx in front of it answer; the rest "other" */
const ngx_uint_t  ngx_http_dvc_statuses[] = {
    200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 411, 413, 414,
    415, 422, 429, 494, 499, 500, 502, 503, 504
};

/* latency buckets, in milliseconds (printed in seconds) */
const ngx_msec_t  ngx_http_dvc_buckets[] = {
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

/* the violation codes a 422 lists (core/dvc_schema_errors.c, x-dvc's
 * documents in core/dvc_procedure.c); the last, "other", takes the rest */
const char  *ngx_http_dvc_vcodes[] = {
    "type", "required", "additionalProperties", "unevaluatedProperties",
    "properties", "pattern", "format", "enum", "const", "minLength",
    "maxLength", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems", "uniqueItems", "contains",
    "minContains", "maxContains", "items", "prefixItems", "unevaluatedItems",
    "minProperties", "maxProperties", "dependentRequired", "propertyNames",
    "anyOf", "oneOf", "not", "false", "unknown_document", "missing_document",
    "other"
};


static ngx_http_dvc_req_t *ngx_http_dvc_req(ngx_http_request_t *r);
static void ngx_http_dvc_req_proc(ngx_http_request_t *r,
    ngx_http_dvc_req_t *rq, ngx_http_dvc_procedure_rt_t *rt);
static ngx_uint_t ngx_http_dvc_endpoint(ngx_http_request_t *r,
    ngx_http_dvc_loc_conf_t *dlcf);
static void ngx_http_dvc_metrics_violations(ngx_http_dvc_req_t *rq,
    u_char *p, u_char *last);


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


ngx_int_t
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
