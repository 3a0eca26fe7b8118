/*
 * hiredis 0.14's asynchronous context on nginx's event loop, as hiredis's
 * own adapters/ do it for libevent or libuv: the read and write hooks, and
 * the cleanup hiredis calls before it closes the socket.  Nothing here knows
 * of requests, commands or replies (ngx_http_dvc_redis.c); only this file,
 * the connection and the reply layer (ngx_http_dvc_reply.c) include hiredis.
 */

#ifndef NGX_HTTP_DVC_REDIS_ADAPTER_H_INCLUDED
#define NGX_HTTP_DVC_REDIS_ADAPTER_H_INCLUDED

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


/* called from hiredis's cleanup hook, after the events are gone and before
 * hiredis closes the socket and frees ac */
typedef void (*ngx_http_dvc_redis_closed_pt)(void *data,
    const redisAsyncContext *ac);

typedef struct {
    redisAsyncContext             *ac;
    ngx_connection_t              *connection;
    ngx_http_dvc_redis_closed_pt   closed;
    void                          *data;
    unsigned                       in_write:1;
} ngx_http_dvc_redis_adapter_t;

/* Attach ac (connecting) to nginx.  NGX_OK; NGX_ERROR: not attached (no
 * free connection), the caller frees ac; NGX_ABORT: attached, but the write
 * event could not be armed: the caller frees ac, whose cleanup detaches it.
 * The write event is armed because connect(2)'s end, or its failure, shows
 * as writability. */
ngx_int_t ngx_http_dvc_redis_attach(ngx_http_dvc_redis_adapter_t *a,
    redisAsyncContext *ac, ngx_log_t *log);

#endif /* NGX_HTTP_DVC_REDIS_ADAPTER_H_INCLUDED */
