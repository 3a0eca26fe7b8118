/*
 * dvc_redis_sentinel: not yet.
 */

#include "ngx_http_dvc_redis_int.h"


ngx_http_dvc_sentinel_t *
ngx_http_dvc_sentinel_create(ngx_conf_t *cf, ngx_http_dvc_redis_t *redis)
{
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "dvc: \"dvc_redis_sentinel\" is not supported yet");
    return NULL;
}


void
ngx_http_dvc_sentinel_start(ngx_http_dvc_sentinel_t *s)
{
}


void
ngx_http_dvc_sentinel_lost(ngx_http_dvc_sentinel_t *s, const char *why)
{
}


void
ngx_http_dvc_sentinel_ask(ngx_http_dvc_sentinel_t *s)
{
}


void
ngx_http_dvc_sentinel_shutdown(ngx_http_dvc_sentinel_t *s)
{
}
