/*
 * dvc_redis host:port | unix:PATH: where Redis listens, resolved here, when
 * nginx reads its configuration: hiredis 0.14's redisAsyncConnect would call
 * the blocking resolver in a worker on every reconnect.
 */

#include "ngx_http_dvc_redis_int.h"


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


/* dvc_redis_wait N TIMEOUT: after a submission's EXEC, WAIT N TIMEOUT. */
char *
ngx_http_dvc_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;
    ngx_msec_t  ms;

    if (dmcf->redis_wait) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1 || n > 64) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: invalid replica count \"%V\" in "
                           "\"dvc_redis_wait\", it must be 1 to 64",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    ms = ngx_parse_time(&value[2], 0);

    /* WAIT n 0 would wait for ever: a submission must be answered */
    if (ms == (ngx_msec_t) NGX_ERROR || ms == 0 || ms > 60000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: invalid timeout \"%V\" in \"dvc_redis_wait\", "
                           "it must be a time from 1ms to 60s", &value[2]);
        return NGX_CONF_ERROR;
    }

    dmcf->redis_wait = n;
    dmcf->redis_wait_timeout = ms;

    return NGX_CONF_OK;
}


/* dvc_redis_sentinel host:port ... master=NAME: the Sentinels, resolved
 * now (a worker never resolves), and the name they know the master by. */
char *
ngx_http_dvc_redis_sentinel(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    u_char                     *p;
    ngx_str_t                  *value, name;
    ngx_url_t                   u;
    ngx_uint_t                  i;
    ngx_http_dvc_redis_addr_t  *a;
    u_char                      text[NGX_SOCKADDR_STRLEN];

    if (dmcf->redis_sentinels) {
        return "is duplicate";
    }

    if (dmcf->redis_text.len) {
        return "excludes \"dvc_redis\"";
    }

    dmcf->redis_sentinels = ngx_array_create(cf->pool, 3,
                                             sizeof(ngx_http_dvc_redis_addr_t));
    if (dmcf->redis_sentinels == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    ngx_str_null(&name);

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len > 7 && ngx_strncmp(value[i].data, "master=", 7) == 0)
        {
            if (name.len) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "dvc: \"master=\" given twice in "
                                   "\"dvc_redis_sentinel\"");
                return NGX_CONF_ERROR;
            }

            name.data = value[i].data + 7;
            name.len = value[i].len - 7;
            continue;
        }

        ngx_memzero(&u, sizeof(ngx_url_t));
        u.url = value[i];
        u.default_port = 26379;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: %s in dvc_redis_sentinel \"%V\"",
                               u.err ? u.err : "no address", &value[i]);
            return NGX_CONF_ERROR;
        }

        a = ngx_array_push(dmcf->redis_sentinels);
        if (a == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(a, sizeof(ngx_http_dvc_redis_addr_t));

        a->text.len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen,
                                    text, NGX_SOCKADDR_STRLEN, 0);
        p = ngx_cpymem(a->host, text, a->text.len);
        *p = '\0';
        a->port = ngx_inet_get_port(u.addrs[0].sockaddr);

        a->text.data = ngx_pstrdup(cf->pool, &value[i]);
        if (a->text.data == NULL) {
            return NGX_CONF_ERROR;
        }
        a->text.len = value[i].len;
        a->known = 1;
    }

    if (name.len == 0 || dmcf->redis_sentinels->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_redis_sentinel\" needs at least one "
                           "host:port and master=NAME");
        return NGX_CONF_ERROR;
    }

    dmcf->redis_master_name = name;

    /* for the logs, and for "dvc_api needs a Redis" */
    dmcf->redis_text.len = sizeof("sentinel master=") - 1 + name.len;
    dmcf->redis_text.data = ngx_pnalloc(cf->pool, dmcf->redis_text.len);
    if (dmcf->redis_text.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(dmcf->redis_text.data, "sentinel master=%V", &name);

    return NGX_CONF_OK;
}


/* dvc_redis_read master|replica */
char *
ngx_http_dvc_redis_read(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    ngx_str_t  *value;

    if (dmcf->redis_read_replica != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 6 && ngx_strncmp(value[1].data, "master", 6) == 0) {
        dmcf->redis_read_replica = 0;
        return NGX_CONF_OK;
    }

    if (value[1].len == 7 && ngx_strncmp(value[1].data, "replica", 7) == 0) {
        dmcf->redis_read_replica = 1;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "dvc: invalid value \"%V\" in \"dvc_redis_read\", it "
                       "must be \"master\" or \"replica\"", &value[1]);
    return NGX_CONF_ERROR;
}


char *
ngx_http_dvc_redis_check(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf)
{
    if (dmcf->redis_cluster) {
        /* a cluster has database 0 only, and its replicas are its own */
        if (dmcf->redis_db) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: \"dvc_redis_db\" cannot be used with "
                               "\"dvc_redis_cluster\" (a cluster has "
                               "database 0 only)");
            return NGX_CONF_ERROR;
        }

        /* the check of a submission's uploads is one script over their
         * records, each in its own slot (docs/redis.md) */
        if (dmcf->documents.len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: \"dvc_documents\" cannot be used with "
                               "\"dvc_redis_cluster\" yet (the uploads' "
                               "records are in many slots)");
            return NGX_CONF_ERROR;
        }
    }

    if (dmcf->redis_sentinels == NULL) {
        if (dmcf->redis_read_replica) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: \"dvc_redis_read replica\" needs "
                               "\"dvc_redis_sentinel\" (which names the "
                               "replicas)");
            return NGX_CONF_ERROR;
        }

        if (dmcf->redis_sentinel_password.len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: \"dvc_redis_sentinel_password\" needs "
                               "\"dvc_redis_sentinel\"");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* dvc_redis_cluster host:port ...: seed nodes of a Redis Cluster, resolved
 * now; the slot map comes from CLUSTER SLOTS (ngx_http_dvc_cluster.c). */
char *
ngx_http_dvc_redis_cluster(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    u_char                     *p;
    size_t                      len;
    ngx_str_t                  *value;
    ngx_url_t                   u;
    ngx_uint_t                  i;
    ngx_http_dvc_redis_addr_t  *a;
    u_char                      text[NGX_SOCKADDR_STRLEN];

    if (dmcf->redis_cluster) {
        return "is duplicate";
    }

    if (dmcf->redis_text.len) {
        return dmcf->redis_sentinels ? "excludes \"dvc_redis_sentinel\""
                                     : "excludes \"dvc_redis\"";
    }

    dmcf->redis_cluster = ngx_array_create(cf->pool, cf->args->nelts,
                                           sizeof(ngx_http_dvc_redis_addr_t));
    if (dmcf->redis_cluster == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        ngx_memzero(&u, sizeof(ngx_url_t));
        u.url = value[i];
        u.default_port = 6379;

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: %s in dvc_redis_cluster \"%V\"",
                               u.err ? u.err : "no address", &value[i]);
            return NGX_CONF_ERROR;
        }

        a = ngx_array_push(dmcf->redis_cluster);
        if (a == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(a, sizeof(ngx_http_dvc_redis_addr_t));

        /* ngx_sock_ntop writes IPv6 in brackets only with a port */
        len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                            NGX_SOCKADDR_STRLEN, 0);
        p = ngx_cpymem(a->host, text, ngx_min(len, sizeof(a->host) - 1));
        *p = '\0';
        a->port = ngx_inet_get_port(u.addrs[0].sockaddr);
        p = ngx_snprintf(a->text_buf, sizeof(a->text_buf) - 1, "%s:%i",
                         a->host, (ngx_int_t) a->port);
        *p = '\0';
        a->text.data = a->text_buf;
        a->text.len = p - a->text_buf;
        a->known = 1;
    }

    /* for the logs, and for "dvc_api needs a Redis" */
    ngx_str_set(&dmcf->redis_text, "cluster");

    return NGX_CONF_OK;
}


/* Sets addr to a numeric host and port (from Sentinel, CLUSTER SLOTS or a
 * redirection). */
ngx_int_t
ngx_http_dvc_redis_addr_set(ngx_http_dvc_redis_addr_t *addr,
    const char *host, size_t host_len, const char *port, size_t port_len)
{
    u_char      *p;
    ngx_int_t    n;
    in_addr_t    in;
#if (NGX_HAVE_INET6)
    u_char       in6[16];
#endif

    if (host_len == 0 || host_len >= sizeof(addr->host)) {
        return NGX_ERROR;
    }

    n = ngx_atoi((u_char *) port, port_len);
    if (n < 1 || n > 65535) {
        return NGX_ERROR;
    }

    in = ngx_inet_addr((u_char *) host, host_len);

    if (in == INADDR_NONE
#if (NGX_HAVE_INET6)
        && ngx_inet6_addr((u_char *) host, host_len, in6) != NGX_OK
#endif
        )
    {
        return NGX_ERROR;
    }

    ngx_memcpy(addr->host, host, host_len);
    addr->host[host_len] = '\0';
    addr->port = (int) n;
    addr->unix_path = NULL;

    p = ngx_snprintf(addr->text_buf, sizeof(addr->text_buf) - 1, "%s:%i",
                     addr->host, n);
    *p = '\0';
    addr->text.data = addr->text_buf;
    addr->text.len = p - addr->text_buf;
    addr->known = 1;

    return NGX_OK;
}
