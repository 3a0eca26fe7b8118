/*
 * The submission endpoint's parts (ngx_http_dvc_submit.c): the plan of a new
 * dossier as one MULTI/EXEC (ngx_http_dvc_submit_multi.c).
 */

#ifndef NGX_HTTP_DVC_SUBMIT_H_INCLUDED
#define NGX_HTTP_DVC_SUBMIT_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "dvc_submit.h"


/* NGX_OK: sent, handler(data) will run; NGX_DECLINED: Redis unavailable
 * (503, nothing recorded); NGX_ERROR: no memory.  code: DVC_CODE_LEN
 * characters; idem_key empty without an Idempotency-Key. */
ngx_int_t ngx_http_dvc_submit_multi(ngx_http_request_t *r,
    dvc_submit_plan_t *plan, const char *code, ngx_str_t *idem_key,
    dvc_dossier_facts_t *facts, ngx_http_dvc_redis_handler_pt handler,
    void *data);

#endif /* NGX_HTTP_DVC_SUBMIT_H_INCLUDED */
