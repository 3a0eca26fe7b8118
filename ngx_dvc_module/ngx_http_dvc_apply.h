/*
 * The one compare-and-set write of every change after submission
 * (ngx_http_dvc_apply.c explains the script).  A core decision's plan
 * (dvc_plan.h) goes in whole:
 *
 *     ngx_http_dvc_apply_init(r->pool, &a, &key, ver_read);
 *     ngx_http_dvc_apply_plan(&a, plan);
 *     ngx_http_dvc_apply_once(&a, &"e:{id}", &"{sha256} {answer}");
 *     ngx_http_dvc_apply_send(r, &a, handler, ctx);
 *
 * and in the handler ngx_http_dvc_apply_result(reply, &value): `value`
 * points into the reply, freed when the handler returns, so whatever is still
 * needed after (an answer nginx may write later) is copied first.  The plan's
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
