/*
 * Inside the Redis layer only (ngx_http_dvc_redis.c, the connections;
 * ngx_http_dvc_sentinel.c, the master found through Sentinel): the address
 * a connection goes to, which Sentinel may change while nginx runs.
 */

#ifndef NGX_HTTP_DVC_REDIS_INT_H_INCLUDED
#define NGX_HTTP_DVC_REDIS_INT_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_redis_adapter.h"


typedef struct ngx_http_dvc_sentinel_s  ngx_http_dvc_sentinel_t;

typedef struct {
    ngx_str_t                  text;        /* for logs: as written, ip:port */
    u_char                     text_buf[NGX_SOCKADDR_STRLEN + 8];
    char                       host[NGX_SOCKADDR_STRLEN + 1];  /* numeric */
    int                        port;
    char                      *unix_path;   /* or NULL */
    unsigned                   known:1;     /* 0: Sentinel names none yet */
} ngx_http_dvc_redis_addr_t;


/* Sets addr to a numeric host and port from Sentinel (NGX_ERROR: not a
 * numeric address: a worker must never resolve a name). */
ngx_int_t ngx_http_dvc_redis_addr_set(ngx_http_dvc_redis_addr_t *addr,
    const char *host, size_t host_len, const char *port, size_t port_len);

/*
 * What Sentinel tells the connections.  ngx_http_dvc_redis.c fills it in and
 * hands it to ngx_http_dvc_sentinel_create(); the sentinel calls only through
 * it, so the two files do not call each other (a Cluster layer can fill its
 * own).
 *   moved:  the master (replica 0) or the replica for reads (1) is elsewhere
 *           now: the connections to the old address are dropped, the next
 *           command connects to the new one.
 *   forget: no master (or replica) is known any more: commands needing it
 *           are refused (503) until Sentinel names one.
 */
typedef struct {
    void                      *data;
    void                     (*moved)(void *data, ngx_uint_t replica,
                                  const char *host, size_t host_len,
                                  const char *port, size_t port_len);
    void                     (*forget)(void *data, ngx_uint_t replica);
} ngx_http_dvc_sentinel_peer_t;


/* ngx_http_dvc_sentinel.c */
ngx_http_dvc_sentinel_t *ngx_http_dvc_sentinel_create(ngx_conf_t *cf,
    ngx_http_dvc_main_conf_t *dmcf, ngx_log_t *log,
    const ngx_http_dvc_sentinel_peer_t *peer);
void ngx_http_dvc_sentinel_start(ngx_http_dvc_sentinel_t *s);
/* the master's connection was lost, refused ROLE or answered READONLY */
void ngx_http_dvc_sentinel_lost(ngx_http_dvc_sentinel_t *s, const char *why);
/* a command found no master known: ask (at most one question at a time) */
void ngx_http_dvc_sentinel_ask(ngx_http_dvc_sentinel_t *s);
void ngx_http_dvc_sentinel_shutdown(ngx_http_dvc_sentinel_t *s);

#endif /* NGX_HTTP_DVC_REDIS_INT_H_INCLUDED */
