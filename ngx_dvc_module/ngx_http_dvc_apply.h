/*
 * The one compare-and-set write of every change after submission
 * (ngx_http_dvc_apply.c explains the script).  Usage:
 *
 *     ngx_http_dvc_apply_init(r->pool, &a, &key, ver_read);
 *     ngx_http_dvc_apply_once(&a, &"e:{id}", &"{sha256} {answer}");
 *     ngx_http_dvc_apply_set_str(&a, "status", "5");
 *     ngx_http_dvc_apply_del(&a, "due_ts");
 *     ngx_http_dvc_apply_stats(r, &a, agency, ..., deltas, n, &before, &after);
 *     ngx_http_dvc_apply_xadd(&a, "type", "withdrawal_requested", 20);
 *     ngx_http_dvc_apply_xadd_to(&a, "dvc:inbox:{agency}", n, "code", ...);
 *     ngx_http_dvc_apply_send(r, &a, handler, ctx);
 *
 * and in the handler ngx_http_dvc_apply_result(reply, &value): `value`
 * points into the reply, freed when the handler returns, so whatever is still
 * needed after (an answer nginx may write later) is copied first.  Names and
 * values are kept by reference until _send, which copies them (for the EVAL
 * a NOSCRIPT may call for): they must live until _send returns.  `ver` is
 * incremented by the script itself.
 */

#ifndef NGX_HTTP_DVC_APPLY_H_INCLUDED
#define NGX_HTTP_DVC_APPLY_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "dvc_stats.h"
#include "dvc_plan.h"


typedef struct {
    ngx_str_t                  key;
    ngx_str_t                  field;
    ngx_str_t                  delta;
} ngx_http_dvc_apply_incr_t;

typedef struct {
    ngx_str_t                  key;          /* the stream */
    ngx_array_t                fields;       /* of ngx_keyval_t */
} ngx_http_dvc_apply_stream_t;

typedef struct {
    ngx_pool_t                *pool;
    ngx_str_t                  key;          /* dvc:d:{code} */
    int64_t                    ver;          /* as read; 0 when absent */
    ngx_str_t                  once_field;   /* e:{event id}, or empty */
    ngx_str_t                  once_value;
    ngx_array_t                set;          /* of ngx_keyval_t */
    ngx_array_t                del;          /* of ngx_str_t */
    ngx_array_t                incr;         /* of ngx_http_dvc_apply_incr_t */
    ngx_array_t                xadd;         /* of ngx_http_dvc_apply_stream_t:
                                                one entry per stream */
} ngx_http_dvc_apply_t;

typedef enum {
    NGX_HTTP_DVC_APPLY_OK = 0,       /* applied; value: the new ver */
    NGX_HTTP_DVC_APPLY_DONE,         /* once_field existed; value: it */
    NGX_HTTP_DVC_APPLY_CONFLICT,     /* ver moved on: re-read, retry once */
    NGX_HTTP_DVC_APPLY_MISSING,      /* no such dossier */
    NGX_HTTP_DVC_APPLY_FAILED        /* Redis error or no reply */
} ngx_http_dvc_apply_result_e;

/* at configuration time: the script's SHA-1 for EVALSHA */
ngx_int_t ngx_http_dvc_apply_prepare(ngx_conf_t *cf);
ngx_int_t ngx_http_dvc_apply_init(ngx_pool_t *pool, ngx_http_dvc_apply_t *a,
    ngx_str_t *key, int64_t ver);
void ngx_http_dvc_apply_once(ngx_http_dvc_apply_t *a, ngx_str_t *field,
    ngx_str_t *value);
ngx_int_t ngx_http_dvc_apply_set(ngx_http_dvc_apply_t *a, const char *name,
    const void *value, size_t len);
ngx_int_t ngx_http_dvc_apply_set_str(ngx_http_dvc_apply_t *a,
    const char *name, const char *value);
ngx_int_t ngx_http_dvc_apply_set_int(ngx_http_dvc_apply_t *a,
    const char *name, int64_t value);
ngx_int_t ngx_http_dvc_apply_del(ngx_http_dvc_apply_t *a, const char *name);
ngx_int_t ngx_http_dvc_apply_incr(ngx_http_dvc_apply_t *a, const u_char *key,
    size_t key_len, const char *field, ngx_int_t delta);
ngx_int_t ngx_http_dvc_apply_xadd(ngx_http_dvc_apply_t *a, const char *name,
    const void *value, size_t len);
/* the same into another stream (its name kept by reference until _send) */
ngx_int_t ngx_http_dvc_apply_xadd_to(ngx_http_dvc_apply_t *a,
    const u_char *stream, size_t slen, const char *name, const void *value,
    size_t len);
ngx_int_t ngx_http_dvc_apply_stats(ngx_http_request_t *r,
    ngx_http_dvc_apply_t *a, const char *agency, size_t alen,
    const char *procedure, size_t plen, const dvc_stat_delta_t *deltas,
    size_t n, const dvc_stat_state_t *before, const dvc_stat_state_t *after);
/* the fields, counters and entries of a core decision's plan */
ngx_int_t ngx_http_dvc_apply_plan(ngx_http_dvc_apply_t *a,
    const dvc_plan_t *p);
/* NGX_OK (the handler will run), NGX_DECLINED (Redis unavailable: 503),
 * NGX_ERROR */
ngx_int_t ngx_http_dvc_apply_send(ngx_http_request_t *r,
    ngx_http_dvc_apply_t *a, ngx_http_dvc_redis_handler_pt handler,
    void *data);
ngx_http_dvc_apply_result_e ngx_http_dvc_apply_result(
    ngx_http_dvc_reply_t *reply, ngx_str_t *value);

#endif /* NGX_HTTP_DVC_APPLY_H_INCLUDED */
