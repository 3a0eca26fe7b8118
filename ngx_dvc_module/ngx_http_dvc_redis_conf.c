/*
 * dvc_redis host:port | unix:PATH: where Redis listens, resolved here, when
 * nginx reads its configuration: hiredis 0.14's redisAsyncConnect would call
 * the blocking resolver in a worker on every reconnect.
 */

#include "ngx_http_dvc_module.h"


char *
ngx_http_dvc_redis_parse(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf,
    ngx_str_t *value)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;
    u_char      text[NGX_SOCKADDR_STRLEN];

    dmcf->redis_text = *value;

    if (value->len > 5 && ngx_strncmp(value->data, "unix:", 5) == 0) {
        len = value->len - 5;
        if (len == 0 || len >= 108) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: invalid unix socket path in \"%V\"", value);
            return NGX_CONF_ERROR;
        }
        dmcf->redis_unix = ngx_pnalloc(cf->pool, len + 1);
        if (dmcf->redis_unix == NULL) {
            return NGX_CONF_ERROR;
        }
        ngx_cpystrn((u_char *) dmcf->redis_unix, value->data + 5, len + 1);
        return NGX_CONF_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = *value;
    u.default_port = 6379;

    /* resolved here, once: hiredis 0.14 would call the blocking resolver in
     * a worker on every reconnect */
    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: %s in dvc_redis \"%V\"",
                           u.err ? u.err : "invalid address", value);
        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: dvc_redis \"%V\" resolves to no address",
                           value);
        return NGX_CONF_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                        NGX_SOCKADDR_STRLEN, 0);

    /* ngx_sock_ntop writes IPv6 in brackets only with a port */
    dmcf->redis_host = ngx_pnalloc(cf->pool, len + 1);
    if (dmcf->redis_host == NULL) {
        return NGX_CONF_ERROR;
    }
    p = ngx_cpymem(dmcf->redis_host, text, len);
    *p = '\0';
    dmcf->redis_port = ngx_inet_get_port(u.addrs[0].sockaddr);

    return NGX_CONF_OK;
}
