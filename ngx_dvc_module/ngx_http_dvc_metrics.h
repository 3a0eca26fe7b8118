/*
 * ngx_dvc: what the API did, for Prometheus (dvc_metrics) and log_format
 * ($dvc_code, $dvc_procedure, $dvc_agency, $dvc_outcome, $dvc_redis_time).
 * ngx_http_dvc_metrics.c is a module of its own in the same .so, with its
 * own request context: the endpoints only report a few facts through these
 * calls, and everything is counted once, in the log phase.
 */

#ifndef NGX_HTTP_DVC_METRICS_H_INCLUDED
#define NGX_HTTP_DVC_METRICS_H_INCLUDED

#include "ngx_http_dvc_module.h"


/* Every JSON answer, as it is sent (ngx_http_dvc_send_typed): the dossier
 * code and procedure an answer names, or its error code, and a 422's
 * violations. */
void ngx_http_dvc_metrics_answer(ngx_http_request_t *r, u_char *body,
    size_t len);

/* The procedure a dossier body named (NULL: none known). */
void ngx_http_dvc_metrics_procedure(ngx_http_request_t *r,
    ngx_http_dvc_procedure_rt_t *rt);

/* A document signed with the signing key. */
#define NGX_HTTP_DVC_SIGNED_ACK      0
#define NGX_HTTP_DVC_SIGNED_RECEIPT  1
void ngx_http_dvc_metrics_signed(ngx_uint_t what);

/* clamd's verdict on an upload (DVC_CLAMD_CLEAN, _INFECTED, _ERROR) */
void ngx_http_dvc_metrics_clamd(ngx_uint_t verdict);

/* Redis, from ngx_http_dvc_redis.c: a command record taken (+1) or given
 * back (-1); a connection up (1) or gone (0), first: the worker's first;
 * a request's batch answered or timed out after ms. */
void ngx_http_dvc_metrics_redis_pending(ngx_int_t delta);
void ngx_http_dvc_metrics_redis_up(ngx_uint_t up, ngx_uint_t first);
void ngx_http_dvc_metrics_redis_done(ngx_http_request_t *r, ngx_msec_t ms,
    ngx_uint_t timed_out);


extern ngx_module_t  ngx_http_dvc_metrics_module;

#endif /* NGX_HTTP_DVC_METRICS_H_INCLUDED */
