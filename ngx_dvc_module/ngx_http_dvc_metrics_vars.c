/*
 * ngx_dvc metrics: the log variables ($dvc_code, $dvc_procedure,
 * $dvc_agency, $dvc_outcome, $dvc_redis_time) from the request's context.
 */

#include "ngx_http_dvc_metrics_int.h"
#include "dvc_procedure.h"


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


ngx_int_t
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


ngx_int_t
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
ngx_int_t
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
ngx_int_t
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
ngx_int_t
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
