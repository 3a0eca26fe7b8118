/*
 * hiredis 0.14's asynchronous API on nginx's event loop (the adapter: what
 * hiredis's adapters/ are for other loops).  The traps it is shaped around:
 *
 * - redisBufferRead reads at most 16 KiB per call: reads are registered
 *   level-triggered, so a large reply keeps the socket readable until drained.
 * - writes are posted to the end of the event loop iteration instead of
 *   registered with epoll: every command queued in one iteration leaves in
 *   one write(2), and epoll is asked for EPOLLOUT only after a short write.
 * - hiredis closes the socket itself right after the cleanup hook: cleanup
 *   removes events and frees the ngx_connection_t but never closes the fd.
 */

#include "ngx_http_dvc_redis_adapter.h"


static void ngx_http_dvc_redis_read_handler(ngx_event_t *ev);
static void ngx_http_dvc_redis_write_handler(ngx_event_t *ev);
static void ngx_http_dvc_redis_add_read(void *privdata);
static void ngx_http_dvc_redis_del_read(void *privdata);
static void ngx_http_dvc_redis_add_write(void *privdata);
static void ngx_http_dvc_redis_del_write(void *privdata);
static void ngx_http_dvc_redis_cleanup(void *privdata);


ngx_int_t
ngx_http_dvc_redis_attach(ngx_http_dvc_redis_adapter_t *a,
    redisAsyncContext *ac, ngx_log_t *log)
{
    ngx_event_t       *rev, *wev;
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    rev = c->read;
    wev = c->write;

    c->data = a;
    c->log = log;
    rev->log = log;
    wev->log = log;
    rev->handler = ngx_http_dvc_redis_read_handler;
    wev->handler = ngx_http_dvc_redis_write_handler;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_dvc_redis_add_read;
    ac->ev.delRead = ngx_http_dvc_redis_del_read;
    ac->ev.addWrite = ngx_http_dvc_redis_add_write;
    ac->ev.delWrite = ngx_http_dvc_redis_del_write;
    ac->ev.cleanup = ngx_http_dvc_redis_cleanup;

    a->ac = ac;
    a->connection = c;
    a->in_write = 0;

    /* wait for connect(2) to finish: writability says it did (or failed);
     * from here on hiredis's cleanup frees c */
    if (ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
        return NGX_ABORT;
    }

    return NGX_OK;
}


static void
ngx_http_dvc_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_dvc_redis_adapter_t  *a;

    c = ev->data;
    a = c->data;

    if (a->ac == NULL || a->connection != c) {
        return;
    }

    redisAsyncHandleRead(a->ac);
}


static void
ngx_http_dvc_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_dvc_redis_adapter_t  *a;

    c = ev->data;
    a = c->data;

    if (a->ac == NULL || a->connection != c) {
        return;
    }

    a->in_write = 1;
    redisAsyncHandleWrite(a->ac);

    /* the context may be gone (a callback dropped the connection); the
     * adapter, embedded in its owner, is not */
    a->in_write = 0;
}


static void
ngx_http_dvc_redis_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (!c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                          "dvc: redis read event registration failed");
        }
    }
}


static void
ngx_http_dvc_redis_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_dvc_redis_add_write(void *privdata)
{
    ngx_connection_t              *c = privdata;
    ngx_http_dvc_redis_adapter_t  *a = c->data;

    if (c->write->active) {
        return;
    }

    if (a->in_write) {
        /* a short write: only now does epoll need to tell us when the
         * socket drains */
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                          "dvc: redis write event registration failed");
        }
        return;
    }

    if (!c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


static void
ngx_http_dvc_redis_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }
}


/* hiredis is about to close the socket and free the context. */
static void
ngx_http_dvc_redis_cleanup(void *privdata)
{
    redisAsyncContext             *ac;
    ngx_connection_t              *c = privdata;
    ngx_http_dvc_redis_adapter_t  *a = c->data;

    /* NGX_CLOSE_EVENT: the fd is closed right after, which removes it from
     * epoll; no epoll_ctl needed */
    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    /* hiredis owns the fd and closes it after this hook */
    c->fd = (ngx_socket_t) -1;
    ngx_free_connection(c);

    ac = a->ac;
    a->ac = NULL;
    a->connection = NULL;

    if (ac && a->closed) {
        a->closed(a->data, ac);
    }
}
