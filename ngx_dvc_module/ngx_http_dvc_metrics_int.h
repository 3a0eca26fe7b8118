/*
 * ngx_dvc: what the files of ngx_http_dvc_metrics_module share (the
 * module's own header, ngx_http_dvc_metrics.h, is what the endpoints call).
 * The zone and the directives are in ngx_http_dvc_metrics.c, the reports
 * and the log phase's counting in ngx_http_dvc_metrics_count.c, the
 * Prometheus text in ngx_http_dvc_metrics_print.c and the log variables in
 * ngx_http_dvc_metrics_vars.c.
 */

#ifndef NGX_HTTP_DVC_METRICS_INT_H_INCLUDED
#define NGX_HTTP_DVC_METRICS_INT_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_code.h"


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

/* the statuses the API and nginx in front of it answer; the rest "other" */
#define NGX_HTTP_DVC_NSTATUS  (23 + 1)
extern const ngx_uint_t  ngx_http_dvc_statuses[NGX_HTTP_DVC_NSTATUS - 1];

/* latency buckets, in milliseconds (printed in seconds); then +Inf */
#define NGX_HTTP_DVC_NBUCKET  (12 + 1)
extern const ngx_msec_t  ngx_http_dvc_buckets[NGX_HTTP_DVC_NBUCKET - 1];

/* the violation codes a 422 lists; the last, "other", takes the rest */
#define NGX_HTTP_DVC_NVCODE  36
extern const char  *ngx_http_dvc_vcodes[NGX_HTTP_DVC_NVCODE];


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


/* the zone of the cycle this process runs (set in the master by the
 * zone's init, inherited by its workers; NULL until then) */
extern ngx_http_dvc_metrics_sh_t  *ngx_http_dvc_metrics_sh;
extern ngx_uint_t                  ngx_http_dvc_metrics_nprocs;


/* the log phase's handler: one request counted */
ngx_int_t ngx_http_dvc_metrics_log(ngx_http_request_t *r);

/* dvc_metrics's location handler: the Prometheus text */
ngx_int_t ngx_http_dvc_metrics_handler(ngx_http_request_t *r);

/* $dvc_code, $dvc_procedure, $dvc_agency, $dvc_outcome, $dvc_redis_time */
ngx_int_t ngx_http_dvc_var_code(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_dvc_var_procedure(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_dvc_var_agency(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_dvc_var_outcome(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_dvc_var_redis_time(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

#endif /* NGX_HTTP_DVC_METRICS_INT_H_INCLUDED */
