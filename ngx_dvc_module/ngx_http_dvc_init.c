/*
 * ngx_dvc: the module's start and end (postconfiguration, init module,
 * init and exit process), kept apart from the directives
 * (ngx_http_dvc_module.c) that name them in the module's tables.
 */

#include "ngx_http_dvc_module.h"


#if (NGX_HTTP_V2)
static ngx_int_t ngx_http_dvc_h2_too_large(ngx_http_request_t *r);
#endif


ngx_int_t
ngx_http_dvc_postconfiguration(ngx_conf_t *cf)
{
#if (NGX_HTTP_V2)
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dvc_h2_too_large;
#endif

    return ngx_http_dvc_body_init(cf);
}


/*
 * The master, still root, made dvc_documents when it read the
 * configuration: the workers (the "user" directive) must write there, as
 * they write nginx's own temp paths, which ngx_create_paths() chowns
 * likewise.
 */
ngx_int_t
ngx_http_dvc_init_module(ngx_cycle_t *cycle)
{
    ngx_core_conf_t           *ccf;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dvc_module);
    if (dmcf == NULL || dmcf->documents.len == 0 || geteuid() != 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        return NGX_OK;
    }

    if (chown((const char *) dmcf->documents.data, ccf->user, -1) == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "dvc: chown(\"%V\", %d) failed", &dmcf->documents,
                      (int) ccf->user);
        return NGX_ERROR;
    }

    return NGX_OK;
}


#if (NGX_HTTP_V2)

/*
 * A body over client_max_body_size on HTTP/2: nginx 1.22 answers 413 and
 * redirects to the error page (ours: JSON), but its HTTP/2 discard of the
 * body leaves r->discard_body unset, so the redirect's own
 * client_max_body_size check fails again and nginx sends its HTML page
 * instead (t/103-tls-http2.t TEST 4).  HTTP/1.x sets the flag; so do we,
 * for the redirect of such a request only: its body is skipped already.
 */
static ngx_int_t
ngx_http_dvc_h2_too_large(ngx_http_request_t *r)
{
    if (r->stream && r->internal
        && r->err_status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
        && r->request_body == NULL)
    {
        r->discard_body = 1;
    }

    return NGX_DECLINED;
}

#endif


ngx_int_t
ngx_http_dvc_init_process(ngx_cycle_t *cycle)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dvc_module);
    if (dmcf == NULL) {
        return NGX_OK;
    }

    /* with Sentinel: ask for the master before the first request */
    ngx_http_dvc_redis_start(dmcf->redis);

    return NGX_OK;
}


void
ngx_http_dvc_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dvc_module);
    if (dmcf == NULL) {
        return;
    }

    ngx_http_dvc_redis_shutdown(dmcf->redis);
    ngx_http_dvc_pools_free(dmcf);
}
