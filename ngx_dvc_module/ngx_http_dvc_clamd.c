/*
 * ClamAV's daemon on nginx's event loop: one connection per scan, the file
 * sent with INSTREAM in 64 KB chunks as clamd takes them, its answer read
 * without blocking the worker.  The protocol (framing, answers) is core's
 * (dvc_clamd.h); this file only moves bytes.
 *
 * - dvc_clamd unix:/run/clamav/clamd.ctl | host:port: resolved when nginx
 *   reads its configuration; a unix socket that is not there is "clamd
 *   down" (no connect, so no [crit] from nginx for ENOENT).
 * - dvc_clamd_timeout bounds the whole scan, connect to answer; past it the
 *   connection is closed and the upload's handler gets an error.
 * - clamd may answer before the end of the stream (its StreamMaxLength):
 *   a write that fails goes on to read that answer.
 * - The request may go first (client gone, nginx terminating it): a pool
 *   cleanup closes the connection, and the handler never runs.
 *
 * The chunks are read from nginx's temp file with ngx_read_file (the file
 * was just written: the page cache has it), one buffer per scan.
 */

#include <sys/un.h>

#include "ngx_http_dvc_module.h"
#include "dvc_clamd.h"


#define NGX_HTTP_DVC_CLAMD_CHUNK  (64 * 1024)


typedef enum {
    ngx_http_dvc_clamd_command = 0,
    ngx_http_dvc_clamd_data,
    ngx_http_dvc_clamd_end,
    ngx_http_dvc_clamd_answer
} ngx_http_dvc_clamd_phase_e;


typedef struct {
    ngx_http_request_t              *request;
    ngx_peer_connection_t            pc;
    ngx_file_t                      *file;
    off_t                            size;
    off_t                            offset;     /* of the file, sent */
    u_char                          *buf;        /* header + chunk */
    u_char                          *pos;
    u_char                          *last;
    ngx_http_dvc_clamd_phase_e       phase;
    size_t                           nreply;
    char                             reply[DVC_CLAMD_REPLY_MAX + 1];
    char                             what[128];
    ngx_http_dvc_clamd_handler_pt    handler;
    void                            *data;
    ngx_pool_cleanup_t              *cleanup;
    unsigned                         done:1;
} ngx_http_dvc_clamd_ctx_t;


static void ngx_http_dvc_clamd_write(ngx_event_t *wev);
static void ngx_http_dvc_clamd_read(ngx_event_t *rev);
static ngx_int_t ngx_http_dvc_clamd_fill(ngx_http_dvc_clamd_ctx_t *ctx);
static void ngx_http_dvc_clamd_finish(ngx_http_dvc_clamd_ctx_t *ctx,
    ngx_uint_t verdict, const char *what);
static void ngx_http_dvc_clamd_cleanup(void *data);


ngx_int_t
ngx_http_dvc_clamd_scan(ngx_http_request_t *r, ngx_file_t *file, off_t size,
    ngx_http_dvc_clamd_handler_pt handler, void *data)
{
    ngx_int_t                   rc;
    ngx_file_info_t             fi;
    ngx_connection_t           *c;
    struct sockaddr_un         *sun;
    ngx_pool_cleanup_t         *cln;
    ngx_http_dvc_clamd_ctx_t   *ctx;
    ngx_http_dvc_main_conf_t   *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->clamd->sockaddr->sa_family == AF_UNIX) {
        sun = (struct sockaddr_un *) dmcf->clamd->sockaddr;

        if (ngx_file_info((u_char *) sun->sun_path, &fi) == NGX_FILE_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                          "dvc: clamd socket \"%s\" is not there",
                          sun->sun_path);
            return NGX_ERROR;
        }
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_clamd_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->buf = ngx_palloc(r->pool, 4 + NGX_HTTP_DVC_CLAMD_CHUNK);
    if (ctx->buf == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    ctx->request = r;
    ctx->file = file;
    ctx->size = size;
    ctx->handler = handler;
    ctx->data = data;
    ctx->cleanup = cln;

    ctx->pc.sockaddr = dmcf->clamd->sockaddr;
    ctx->pc.socklen = dmcf->clamd->socklen;
    ctx->pc.name = &dmcf->clamd_text;
    ctx->pc.get = ngx_event_get_peer;
    ctx->pc.log = r->connection->log;
    ctx->pc.log_error = NGX_ERROR_ERR;

    rc = ngx_event_connect_peer(&ctx->pc);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        /* ngx_event_connect_peer logged why and closed the socket */
        return NGX_ERROR;
    }

    cln->handler = ngx_http_dvc_clamd_cleanup;
    cln->data = ctx;

    c = ctx->pc.connection;
    c->data = ctx;
    c->read->handler = ngx_http_dvc_clamd_read;
    c->write->handler = ngx_http_dvc_clamd_write;
    c->pool = r->pool;

    ngx_add_timer(c->read, dmcf->clamd_timeout);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dvc: clamd scan of %O bytes, connect rc:%i", size, rc);

    /* never the handler before this returns: the first write is posted */
    if (rc == NGX_OK) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


/* The next bytes to send into pos..last.  NGX_OK; NGX_DONE when all is sent;
 * NGX_ERROR when the file cannot be read. */
static ngx_int_t
ngx_http_dvc_clamd_fill(ngx_http_dvc_clamd_ctx_t *ctx)
{
    size_t   want;
    ssize_t  n;

    switch (ctx->phase) {

    case ngx_http_dvc_clamd_command:
        ngx_memcpy(ctx->buf, DVC_CLAMD_COMMAND, DVC_CLAMD_COMMAND_LEN);
        ctx->pos = ctx->buf;
        ctx->last = ctx->buf + DVC_CLAMD_COMMAND_LEN;
        ctx->phase = ctx->size ? ngx_http_dvc_clamd_data
                               : ngx_http_dvc_clamd_end;
        return NGX_OK;

    case ngx_http_dvc_clamd_data:
        want = (size_t) ngx_min((off_t) NGX_HTTP_DVC_CLAMD_CHUNK,
                                ctx->size - ctx->offset);

        n = ngx_read_file(ctx->file, ctx->buf + 4, want, ctx->offset);

        if (n != (ssize_t) want) {
            /* ngx_read_file logged an error; a short read is ours */
            return NGX_ERROR;
        }

        dvc_clamd_chunk_header(ctx->buf, (uint32_t) want);
        ctx->pos = ctx->buf;
        ctx->last = ctx->buf + 4 + want;
        ctx->offset += want;

        if (ctx->offset == ctx->size) {
            ctx->phase = ngx_http_dvc_clamd_end;
        }

        return NGX_OK;

    case ngx_http_dvc_clamd_end:
        dvc_clamd_chunk_header(ctx->buf, 0);
        ctx->pos = ctx->buf;
        ctx->last = ctx->buf + 4;
        ctx->phase = ngx_http_dvc_clamd_answer;
        return NGX_OK;

    default:
        return NGX_DONE;
    }
}


static void
ngx_http_dvc_clamd_write(ngx_event_t *wev)
{
    ssize_t                    n;
    ngx_int_t                  rc;
    ngx_connection_t          *c;
    ngx_http_dvc_clamd_ctx_t  *ctx;

    c = wev->data;
    ctx = c->data;

    for ( ;; ) {

        if (ctx->pos == ctx->last) {
            rc = ngx_http_dvc_clamd_fill(ctx);

            if (rc == NGX_ERROR) {
                ngx_http_dvc_clamd_finish(ctx, DVC_CLAMD_ERROR,
                                          "the upload's temp file cannot be "
                                          "read");
                return;
            }

            if (rc == NGX_DONE) {
                break;
            }
        }

        n = c->send(c, ctx->pos, ctx->last - ctx->pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                ngx_http_dvc_clamd_finish(ctx, DVC_CLAMD_ERROR,
                                          "write event failed");
            }
            return;
        }

        if (n == NGX_ERROR) {
            /* clamd may have answered and closed (a size limit): read */
            ctx->phase = ngx_http_dvc_clamd_answer;
            ctx->pos = ctx->last;
            break;
        }

        ctx->pos += n;
    }

    /* everything is sent: clamd's answer */
    if (wev->active && ngx_del_event(wev, NGX_WRITE_EVENT, 0) != NGX_OK) {
        ngx_http_dvc_clamd_finish(ctx, DVC_CLAMD_ERROR, "write event failed");
        return;
    }

    ngx_http_dvc_clamd_read(c->read);
}


static void
ngx_http_dvc_clamd_read(ngx_event_t *rev)
{
    int                        eof;
    ssize_t                    n;
    ngx_connection_t          *c;
    dvc_clamd_verdict_t        v;
    ngx_http_dvc_clamd_ctx_t  *ctx;

    c = rev->data;
    ctx = c->data;

    if (rev->timedout) {
        ngx_http_dvc_clamd_finish(ctx, DVC_CLAMD_ERROR, "timed out");
        return;
    }

    for ( ;; ) {
        eof = 0;
        n = c->recv(c, (u_char *) ctx->reply + ctx->nreply,
                    DVC_CLAMD_REPLY_MAX - ctx->nreply);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(rev, 0) != NGX_OK) {
                ngx_http_dvc_clamd_finish(ctx, DVC_CLAMD_ERROR,
                                          "read event failed");
            }
            return;
        }

        if (n == 0 || n == NGX_ERROR) {
            eof = 1;

        } else {
            ctx->nreply += n;
        }

        if (ctx->phase != ngx_http_dvc_clamd_answer && !eof
            && memchr(ctx->reply, '\0', ctx->nreply) == NULL
            && ctx->nreply < DVC_CLAMD_REPLY_MAX)
        {
            /* a partial early answer while we still send: go on */
            continue;
        }

        v = dvc_clamd_parse_reply(ctx->reply, ctx->nreply, eof, ctx->what,
                                  sizeof(ctx->what));

        if (v != DVC_CLAMD_INCOMPLETE) {
            if (v == DVC_CLAMD_ERROR && eof && ctx->nreply == 0) {
                ngx_cpystrn((u_char *) ctx->what,
                            (u_char *) "clamd closed the connection "
                            "without an answer", sizeof(ctx->what));
            }

            ngx_http_dvc_clamd_finish(ctx, v, ctx->what);
            return;
        }

        if (eof) {
            ngx_http_dvc_clamd_finish(ctx, DVC_CLAMD_ERROR,
                                      "connection closed");
            return;
        }
    }
}


static void
ngx_http_dvc_clamd_finish(ngx_http_dvc_clamd_ctx_t *ctx, ngx_uint_t verdict,
    const char *what)
{
    if (ctx->done) {
        return;
    }

    ctx->done = 1;
    ctx->cleanup->handler = NULL;

    if (ctx->pc.connection) {
        ngx_close_connection(ctx->pc.connection);
        ctx->pc.connection = NULL;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "dvc: clamd verdict %s \"%s\"",
                   dvc_clamd_verdict_name(verdict), what);

    ctx->handler(ctx->request, verdict, what, ctx->data);
}


/* The request is going first: no handler, the connection closes. */
static void
ngx_http_dvc_clamd_cleanup(void *data)
{
    ngx_http_dvc_clamd_ctx_t *ctx = data;

    ctx->done = 1;

    if (ctx->pc.connection) {
        ngx_close_connection(ctx->pc.connection);
        ctx->pc.connection = NULL;
    }
}


/* dvc_clamd unix:PATH | host:port (clamd's TCPSocket, 3310 by default) */
char *
ngx_http_dvc_clamd(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    ngx_str_t  *value;
    ngx_url_t   u;

    if (dmcf->clamd_text.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = value[1];
    u.default_port = 3310;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_clamd\" \"%V\": %s (expected "
                           "unix:/run/clamav/clamd.ctl or host:port)",
                           &value[1], u.err ? u.err : "invalid address");
        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_clamd\" \"%V\" has no address",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    dmcf->clamd_text = value[1];
    dmcf->clamd = &u.addrs[0];

    return NGX_CONF_OK;
}
