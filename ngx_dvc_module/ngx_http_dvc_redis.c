/*
 * The one pipelined Redis connection of a worker: connecting, AUTH and
 * SELECT, the batches held until they are answered, the backoff and the
 * timeouts.  The event hooks are ngx_http_dvc_redis_adapter.c's; replies
 * reach the endpoints typed (ngx_http_dvc_reply.c).  The traps this file is
 * shaped around:
 *
 * - hiredis 0.14 has no timeouts: every command carries an nginx timer; when
 *   one fires the request is answered 503 and the connection is dropped,
 *   since every reply queued behind the late one is late too.
 * - redisAsyncConnect resolves names with a blocking getaddrinfo: dvc_redis
 *   is resolved at configuration time (ngx_http_dvc_redis_conf.c) and we
 *   connect by numeric address.
 * - a client may go away before Redis answers: commands are tracked in
 *   records that outlive the request; a pool cleanup detaches the request and
 *   the reply then only frees the record.
 * - AUTH and SELECT are answered before anything else may reach Redis: until
 *   they are, a batch is held here, in copies (its caller's argv lives only
 *   for the call), and leaves in order once the last setup reply is OK; a
 *   command pipelined behind a failing AUTH would run as Redis's "default"
 *   user, behind a failing SELECT in database 0.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_redis_adapter.h"
#include "ngx_http_dvc_metrics.h"


#define NGX_HTTP_DVC_REDIS_BACKOFF_MIN  50
#define NGX_HTTP_DVC_REDIS_BACKOFF_MAX  1000


typedef struct ngx_http_dvc_rcmd_s  ngx_http_dvc_rcmd_t;

struct ngx_http_dvc_rcmd_s {
    ngx_http_request_t             *request;   /* NULL once detached */
    ngx_http_dvc_redis_handler_pt   handler;
    void                           *data;
    ngx_http_dvc_redis_t           *redis;
    ngx_pool_cleanup_t             *cleanup;
    ngx_event_t                     timer;
    ngx_msec_t                      sent;      /* for $dvc_redis_time */
    ngx_http_dvc_rcmd_t            *next;      /* free list, held FIFO */

    /* the batch while AUTH/SELECT are unanswered: copies in one block,
     * NULL once sent or dropped */
    ngx_http_dvc_redis_cmd_t       *held;
    ngx_uint_t                      nheld;

    /* the first error a command before the last got (a command refused
     * inside MULTI): EXEC then says only EXECABORT */
    size_t                          refused_len;
    u_char                          refused[128];
};


struct ngx_http_dvc_redis_s {
    ngx_http_dvc_main_conf_t       *conf;
    ngx_http_dvc_redis_adapter_t    adapter;    /* .ac: NULL when down */
    ngx_log_t                      *log;

    ngx_http_dvc_rcmd_t            *free;

    /* batches waiting for the setup replies, oldest first */
    ngx_http_dvc_rcmd_t            *held;
    ngx_http_dvc_rcmd_t           **held_last;
    ngx_uint_t                      setup_pending;

    ngx_uint_t                      failures;
    ngx_msec_t                      retry_at;   /* ngx_current_msec */

    unsigned                        exiting:1;
    unsigned                        logged_down:1;
    unsigned                        up:1;       /* for the metrics */
    unsigned                        was_up:1;
};


static ngx_int_t ngx_http_dvc_redis_connect(ngx_http_dvc_redis_t *redis);
static ngx_int_t ngx_http_dvc_redis_setup(ngx_http_dvc_redis_t *redis);
static void ngx_http_dvc_redis_closed(void *data,
    const redisAsyncContext *ac);
static void ngx_http_dvc_redis_reset(ngx_http_dvc_redis_t *redis,
    const char *why);
static void ngx_http_dvc_redis_failed(ngx_http_dvc_redis_t *redis);
static ngx_int_t ngx_http_dvc_redis_queue(ngx_http_dvc_redis_t *redis,
    ngx_http_dvc_rcmd_t *rcmd, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_log_t *log);
static ngx_int_t ngx_http_dvc_redis_hold(ngx_http_dvc_redis_t *redis,
    ngx_http_dvc_rcmd_t *rcmd, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n);
static void ngx_http_dvc_redis_release(ngx_http_dvc_redis_t *redis);
static void ngx_http_dvc_redis_drop_held(ngx_http_dvc_redis_t *redis);
static void ngx_http_dvc_redis_answer_null(ngx_http_dvc_rcmd_t *rcmd);
static void ngx_http_dvc_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_dvc_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_http_dvc_redis_setup_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_dvc_redis_early_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_dvc_redis_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_dvc_redis_timeout(ngx_event_t *ev);
static void ngx_http_dvc_redis_request_gone(void *data);
static ngx_http_dvc_rcmd_t *ngx_http_dvc_rcmd_get(ngx_http_dvc_redis_t *redis);
static void ngx_http_dvc_rcmd_put(ngx_http_dvc_rcmd_t *rcmd);


ngx_http_dvc_redis_t *
ngx_http_dvc_redis_create(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf)
{
    ngx_http_dvc_redis_t  *redis;

    redis = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_redis_t));
    if (redis == NULL) {
        return NULL;
    }

    redis->conf = dmcf;
    redis->log = &cf->cycle->new_log;
    redis->held_last = &redis->held;

    return redis;
}


ngx_int_t
ngx_http_dvc_redis_send(ngx_http_request_t *r, ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_int_t                  rc;
    ngx_pool_cleanup_t        *cln;
    ngx_http_dvc_rcmd_t       *rcmd;
    ngx_http_dvc_redis_t      *redis;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    redis = dmcf->redis;

    if (redis == NULL || redis->exiting) {
        return NGX_DECLINED;
    }

    if (redis->adapter.ac == NULL) {
        if (redis->failures
            && (ngx_msec_int_t) (redis->retry_at - ngx_current_msec) > 0)
        {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "dvc: redis down, next attempt in %M ms",
                           redis->retry_at - ngx_current_msec);
            return NGX_DECLINED;
        }

        if (ngx_http_dvc_redis_connect(redis) != NGX_OK) {
            return NGX_DECLINED;
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    rcmd = ngx_http_dvc_rcmd_get(redis);
    if (rcmd == NULL) {
        return NGX_ERROR;
    }

    if (redis->setup_pending) {
        /* AUTH or SELECT unanswered: nothing may reach Redis before them */
        rc = ngx_http_dvc_redis_hold(redis, rcmd, cmds, n);
        if (rc != NGX_OK) {
            ngx_http_dvc_rcmd_put(rcmd);
            return NGX_ERROR;
        }

    } else {
        rc = ngx_http_dvc_redis_queue(redis, rcmd, cmds, n,
                                      r->connection->log);
        if (rc != NGX_OK) {
            /* the earlier commands of the batch are queued: a MULTI
             * without its EXEC would swallow every later command, so the
             * connection goes (and with it the half batch, whose callbacks
             * still hold the record: it is put back only after) */
            if (rc == NGX_ERROR) {
                ngx_http_dvc_redis_reset(redis, "half a batch was queued");
            }

            ngx_http_dvc_rcmd_put(rcmd);

            return NGX_DECLINED;
        }
    }

    rcmd->request = r;
    rcmd->handler = handler;
    rcmd->data = data;
    rcmd->cleanup = cln;

    cln->handler = ngx_http_dvc_redis_request_gone;
    cln->data = rcmd;

    ngx_add_timer(&rcmd->timer, dmcf->redis_timeout);
    rcmd->sent = ngx_current_msec;

    r->main->count++;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dvc: redis %s %ui command(s), timeout %M ms",
                   rcmd->held ? "holds" : "sent", n, dmcf->redis_timeout);

    return NGX_OK;
}


/* NGX_OK: the whole batch is queued in hiredis; NGX_DECLINED: none of it;
 * NGX_ERROR: only its first commands (the caller drops the connection). */
static ngx_int_t
ngx_http_dvc_redis_queue(ngx_http_dvc_redis_t *redis, ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n, ngx_log_t *log)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        /* only the last command of a batch reports to the handler; the
         * others only keep their first error, for the log */
        if (redisAsyncCommandArgv(redis->adapter.ac,
                                  i == n - 1 ? ngx_http_dvc_redis_reply
                                             : ngx_http_dvc_redis_early_reply,
                                  rcmd,
                                  cmds[i].argc, cmds[i].argv, cmds[i].argvlen)
            != REDIS_OK)
        {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "dvc: redis command %ui of %ui not queued: %s",
                          i + 1, n,
                          redis->adapter.ac->errstr[0]
                          ? redis->adapter.ac->errstr : "refused by hiredis");

            return i > 0 ? NGX_ERROR : NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* Keep a copy of the batch at the end of the FIFO: the caller's argv and
 * values may be gone (some point into an earlier Redis reply) by the time
 * the setup replies arrive.  One block: the commands, then every argv, then
 * every argvlen, then the bytes. */
static ngx_int_t
ngx_http_dvc_redis_hold(ngx_http_dvc_redis_t *redis, ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n)
{
    int                        j;
    size_t                     size, nargs;
    u_char                    *p;
    ngx_uint_t                 i;
    const char               **argv;
    size_t                    *argvlen;
    ngx_http_dvc_redis_cmd_t  *held;

    nargs = 0;
    size = 0;

    for (i = 0; i < n; i++) {
        nargs += cmds[i].argc;

        for (j = 0; j < cmds[i].argc; j++) {
            size += cmds[i].argvlen[j];
        }
    }

    held = ngx_alloc(n * sizeof(ngx_http_dvc_redis_cmd_t)
                     + nargs * (sizeof(char *) + sizeof(size_t)) + size,
                     redis->log);
    if (held == NULL) {
        return NGX_ERROR;
    }

    argv = (const char **) &held[n];
    argvlen = (size_t *) &argv[nargs];
    p = (u_char *) &argvlen[nargs];

    for (i = 0; i < n; i++) {
        held[i].argc = cmds[i].argc;
        held[i].argv = argv;
        held[i].argvlen = argvlen;

        for (j = 0; j < cmds[i].argc; j++) {
            *argv++ = (const char *) p;
            *argvlen++ = cmds[i].argvlen[j];
            p = ngx_cpymem(p, cmds[i].argv[j], cmds[i].argvlen[j]);
        }
    }

    rcmd->held = held;
    rcmd->nheld = n;
    rcmd->next = NULL;

    *redis->held_last = rcmd;
    redis->held_last = &rcmd->next;

    return NGX_OK;
}


/* The last setup reply was OK: the held batches leave, oldest first. */
static void
ngx_http_dvc_redis_release(ngx_http_dvc_redis_t *redis)
{
    ngx_int_t             rc;
    ngx_http_dvc_rcmd_t  *rcmd;

    while (redis->held) {
        rcmd = redis->held;
        redis->held = rcmd->next;

        if (redis->held == NULL) {
            redis->held_last = &redis->held;
        }

        rcmd->next = NULL;

        /* the client went (or the timeout answered it) while it waited:
         * never sent */
        if (rcmd->request == NULL) {
            ngx_http_dvc_rcmd_put(rcmd);
            continue;
        }

        rc = ngx_http_dvc_redis_queue(redis, rcmd, rcmd->held, rcmd->nheld,
                                      redis->log);

        /* hiredis has its own copy in its output buffer now */
        ngx_free(rcmd->held);
        rcmd->held = NULL;

        if (rc != NGX_OK) {
            /* the rest could not go either, or would follow half a MULTI:
             * the connection goes (the free is deferred, we are in a
             * hiredis callback) and its cleanup answers the rest */
            ngx_http_dvc_redis_reset(redis, "a held batch was not queued");
            ngx_http_dvc_redis_answer_null(rcmd);
            return;
        }
    }
}


/* The connection went before the setup replies did: every held batch is
 * answered 503, as the pipelined commands' NULL replies are. */
static void
ngx_http_dvc_redis_drop_held(ngx_http_dvc_redis_t *redis)
{
    ngx_http_dvc_rcmd_t  *rcmd, *next;

    next = redis->held;
    redis->held = NULL;
    redis->held_last = &redis->held;
    redis->setup_pending = 0;

    while (next) {
        rcmd = next;
        next = rcmd->next;
        rcmd->next = NULL;

        if (rcmd->request == NULL) {
            ngx_http_dvc_rcmd_put(rcmd);
            continue;
        }

        if (redis->exiting) {
            /* requests may be half torn down: detach, answer nothing */
            rcmd->request = NULL;
            rcmd->cleanup->handler = NULL;

            if (rcmd->timer.timer_set) {
                ngx_del_timer(&rcmd->timer);
            }

            ngx_http_dvc_rcmd_put(rcmd);
            continue;
        }

        ngx_http_dvc_redis_answer_null(rcmd);
    }
}


static void
ngx_http_dvc_redis_answer_null(ngx_http_dvc_rcmd_t *rcmd)
{
    void                           *data;
    ngx_http_request_t             *r;
    ngx_http_dvc_redis_handler_pt   handler;

    r = rcmd->request;
    handler = rcmd->handler;
    data = rcmd->data;

    if (rcmd->timer.timer_set) {
        ngx_del_timer(&rcmd->timer);
    }

    rcmd->cleanup->handler = NULL;
    rcmd->request = NULL;

    /* put back first: the handler may send again, and get the record */
    ngx_http_dvc_rcmd_put(rcmd);

    handler(r, NULL, data);
}


void
ngx_http_dvc_redis_shutdown(ngx_http_dvc_redis_t *redis)
{
    if (redis == NULL) {
        return;
    }

    ngx_http_dvc_rcmd_t  *rcmd;

    /* requests may be half torn down by now: replies only free records */
    redis->exiting = 1;

    if (redis->adapter.ac) {
        redisAsyncFree(redis->adapter.ac);
    }

    /* the kept records too, so a leak checker sees none at exit */
    while (redis->free) {
        rcmd = redis->free;
        redis->free = rcmd->next;
        ngx_free(rcmd);
    }
}


static ngx_int_t
ngx_http_dvc_redis_connect(ngx_http_dvc_redis_t *redis)
{
    ngx_int_t                  rc;
    redisAsyncContext         *ac;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = redis->conf;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, redis->log, 0,
                   "dvc: redis connecting to %V", &dmcf->redis_text);

    if (dmcf->redis_unix) {
        ac = redisAsyncConnectUnix(dmcf->redis_unix);

    } else {
        ac = redisAsyncConnect(dmcf->redis_host, dmcf->redis_port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                      "dvc: redis connect to \"%V\" failed: out of memory",
                      &dmcf->redis_text);
        ngx_http_dvc_redis_failed(redis);
        return NGX_ERROR;
    }

    if (ac->err) {
        if (!redis->logged_down) {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis connect to \"%V\" failed: %s",
                          &dmcf->redis_text, ac->errstr);
            redis->logged_down = 1;
        }
        redisAsyncFree(ac);
        ngx_http_dvc_redis_failed(redis);
        return NGX_ERROR;
    }

    ac->data = redis;
    redis->adapter.closed = ngx_http_dvc_redis_closed;
    redis->adapter.data = redis;

    rc = ngx_http_dvc_redis_attach(&redis->adapter, ac, redis->log);

    if (rc == NGX_ERROR) {
        redisAsyncFree(ac);
        ngx_http_dvc_redis_failed(redis);
        return NGX_ERROR;
    }

    redisAsyncSetConnectCallback(ac, ngx_http_dvc_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_http_dvc_redis_on_disconnect);

    if (rc != NGX_OK) {
        ngx_http_dvc_redis_reset(redis, "event registration failed");
        return NGX_ERROR;
    }

    return ngx_http_dvc_redis_setup(redis);
}


/*
 * AUTH and SELECT go first on the wire, and the requests' batches are held
 * (ngx_http_dvc_redis_send) until both are answered OK: a batch pipelined
 * behind a failing AUTH would run as Redis's "default" user when it needs no
 * password, behind a failing SELECT in database 0.  A failure drops the
 * connection (setup_reply), the held batches are answered 503 and it backs
 * off like a lost one (docs/operations.md, t/015, t/016).  With a user name,
 * AUTH takes Redis 6's form "AUTH user password" (an ACL user); without, it
 * authenticates as "default".
 */
static ngx_int_t
ngx_http_dvc_redis_setup(ngx_http_dvc_redis_t *redis)
{
    int                        argc;
    const char                *argv[3];
    size_t                     argvlen[3];
    u_char                     db[NGX_INT_T_LEN];
    redisAsyncContext         *ac;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = redis->conf;
    ac = redis->adapter.ac;

    redis->setup_pending = 0;

    if (dmcf->redis_password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (dmcf->redis_user.len) {
            argv[argc] = (const char *) dmcf->redis_user.data;
            argvlen[argc++] = dmcf->redis_user.len;
        }

        argv[argc] = (const char *) dmcf->redis_password.data;
        argvlen[argc++] = dmcf->redis_password.len;

        if (redisAsyncCommandArgv(ac, ngx_http_dvc_redis_setup_reply, "AUTH",
                                  argc, argv, argvlen)
            != REDIS_OK)
        {
            ngx_http_dvc_redis_reset(redis, "AUTH not queued");
            return NGX_ERROR;
        }

        redis->setup_pending++;
    }

    if (dmcf->redis_db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", dmcf->redis_db) - db;
        argc = 2;

        if (redisAsyncCommandArgv(ac, ngx_http_dvc_redis_setup_reply, "SELECT",
                                  argc, argv, argvlen)
            != REDIS_OK)
        {
            ngx_http_dvc_redis_reset(redis, "SELECT not queued");
            return NGX_ERROR;
        }

        redis->setup_pending++;
    }

    return NGX_OK;
}


/* The adapter's cleanup: hiredis is about to close the socket and free the
 * context (a reset, a lost connection, the worker's exit). */
static void
ngx_http_dvc_redis_closed(void *data, const redisAsyncContext *ac)
{
    ngx_http_dvc_redis_t  *redis = data;

    if (ac->err) {
        if (!redis->logged_down) {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis connection to \"%V\" lost: %s",
                          &redis->conf->redis_text, ac->errstr);
            redis->logged_down = 1;
        }

        /* a reset() counted its failure already and left err at 0 */
        ngx_http_dvc_redis_failed(redis);
    }

    if (redis->up) {
        ngx_http_dvc_metrics_redis_up(0, 0);
        redis->up = 0;
    }

    /* after the pipelined commands' NULL replies (hiredis ran them just
     * before this hook), with the backoff already set: a handler sending
     * again is refused at once instead of reconnecting from here */
    ngx_http_dvc_redis_drop_held(redis);
}


/* Drop the connection now; pending commands get their NULL reply. */
static void
ngx_http_dvc_redis_reset(ngx_http_dvc_redis_t *redis, const char *why)
{
    redisAsyncContext  *ac;

    ac = redis->adapter.ac;
    if (ac == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                  "dvc: redis connection to \"%V\" dropped: %s",
                  &redis->conf->redis_text, why);
    redis->logged_down = 1;

    ngx_http_dvc_redis_failed(redis);
    redisAsyncFree(ac);
}


/* Capped exponential backoff with jitter: while it runs, commands are
 * refused at once (503) instead of piling up behind a dead server. */
static void
ngx_http_dvc_redis_failed(ngx_http_dvc_redis_t *redis)
{
    ngx_msec_t  delay;

    if (redis->failures < 16) {
        redis->failures++;
    }

    delay = NGX_HTTP_DVC_REDIS_BACKOFF_MIN << (redis->failures - 1);
    if (delay > NGX_HTTP_DVC_REDIS_BACKOFF_MAX
        || redis->failures > 10)
    {
        delay = NGX_HTTP_DVC_REDIS_BACKOFF_MAX;
    }

    /* +-25% so that many workers do not reconnect in lockstep */
    delay = delay * 3 / 4 + (ngx_msec_t) ngx_random() % (delay / 2 + 1);

    redis->retry_at = ngx_current_msec + delay;
}


static void
ngx_http_dvc_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_http_dvc_redis_t  *redis = ac->data;

    if (status != REDIS_OK) {
        if (!redis->logged_down) {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis connect to \"%V\" failed: %s",
                          &redis->conf->redis_text, ac->errstr);
            redis->logged_down = 1;
        }
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, redis->log, 0,
                   "dvc: redis connected to %V", &redis->conf->redis_text);

    ngx_http_dvc_metrics_redis_up(1, !redis->was_up);
    redis->up = 1;
    redis->was_up = 1;
}


static void
ngx_http_dvc_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_dvc_redis_t  *redis = ac->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, redis->log, 0,
                   "dvc: redis disconnected from %V, status %d",
                   &redis->conf->redis_text, status);
}


static void
ngx_http_dvc_redis_setup_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_dvc_val_t     v;
    ngx_http_dvc_redis_t  *redis = ac->data;

    /* NULL: the connection went; its cleanup answers the held batches */
    if (reply == NULL) {
        return;
    }

    ngx_http_dvc_reply_val(reply, &v);

    if (v.type == NGX_HTTP_DVC_VAL_ERROR) {
        /* the password is never logged, only Redis's answer */
        ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                      "dvc: redis %s failed: %*s", (char *) privdata,
                      v.len, v.str);

        /* fail closed: not another user's rights, not another database
         * (hiredis frees the context once this callback returns) */
        ngx_http_dvc_redis_reset(redis,
                                 ngx_strcmp(privdata, "AUTH") == 0
                                 ? "AUTH failed" : "SELECT failed");
        return;
    }

    if (redis->setup_pending && --redis->setup_pending == 0) {
        ngx_http_dvc_redis_release(redis);
    }
}


static void
ngx_http_dvc_redis_early_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_dvc_val_t    v;
    ngx_http_dvc_rcmd_t  *rcmd = privdata;

    /* NULL: the connection went; the last command's callback follows */
    if (reply == NULL || rcmd->refused_len) {
        return;
    }

    ngx_http_dvc_reply_val(reply, &v);

    if (v.type != NGX_HTTP_DVC_VAL_ERROR) {
        return;
    }

    rcmd->refused_len = ngx_min(v.len, sizeof(rcmd->refused));
    ngx_memcpy(rcmd->refused, v.str, rcmd->refused_len);
}


static void
ngx_http_dvc_redis_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    const char            *err;
    ngx_http_request_t    *r;
    ngx_http_dvc_rcmd_t   *rcmd = privdata;
    ngx_http_dvc_redis_t  *redis = rcmd->redis;

    if (reply) {
        if (redis->logged_down) {
            ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                          "dvc: redis \"%V\" answers again",
                          &redis->conf->redis_text);
        }
        redis->failures = 0;
        redis->logged_down = 0;
    }

    r = rcmd->request;

    if (r == NULL || redis->exiting) {
        /* the client went away or was answered by the timeout */
        ngx_http_dvc_rcmd_put(rcmd);
        return;
    }

    if (rcmd->timer.timer_set) {
        ngx_del_timer(&rcmd->timer);
    }

    rcmd->cleanup->handler = NULL;
    rcmd->request = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dvc: redis reply %s", reply ? "received" : "missing");

    /* an earlier command's error the handler cannot see: why (OOM,
     * READONLY, NOREPLICAS, NOPERM...) */
    if (rcmd->refused_len && reply) {
        err = ngx_http_dvc_reply_error(reply);

        if (err == NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: redis refused a command of the batch: %*s",
                          rcmd->refused_len, rcmd->refused);

        } else if (ngx_strncmp(err, "EXECABORT", 9) == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: redis discarded the transaction, a command "
                          "was refused: %*s",
                          rcmd->refused_len, rcmd->refused);
        }
    }

    ngx_http_dvc_metrics_redis_done(r, ngx_current_msec - rcmd->sent, 0);

    rcmd->handler(r, (ngx_http_dvc_reply_t *) reply, rcmd->data);

    ngx_http_dvc_rcmd_put(rcmd);
}


static void
ngx_http_dvc_redis_timeout(ngx_event_t *ev)
{
    void                           *data;
    ngx_http_request_t             *r;
    ngx_http_dvc_rcmd_t            *rcmd = ev->data;
    ngx_http_dvc_redis_t           *redis = rcmd->redis;
    ngx_http_dvc_redis_handler_pt   handler;

    r = rcmd->request;
    handler = rcmd->handler;
    data = rcmd->data;

    /* detach first: the reset below runs this record's hiredis callback,
     * which then only frees it */
    rcmd->request = NULL;
    rcmd->cleanup->handler = NULL;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "dvc: redis \"%V\" did not answer within %M ms",
                  &redis->conf->redis_text, redis->conf->redis_timeout);

    /* before the reset, which may free the record */
    ngx_http_dvc_metrics_redis_done(r, ngx_current_msec - rcmd->sent, 1);

    ngx_http_dvc_redis_reset(redis, "command timed out");

    handler(r, NULL, data);
}


static void
ngx_http_dvc_redis_request_gone(void *data)
{
    ngx_http_dvc_rcmd_t  *rcmd = data;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rcmd->redis->log, 0,
                   "dvc: request gone before the redis reply");

    rcmd->request = NULL;

    if (rcmd->timer.timer_set) {
        ngx_del_timer(&rcmd->timer);
    }

    /* held: it stays in the FIFO, marked, and is never sent; the copies
     * may go now (they may point nowhere else, but hold a citizen's data) */
    if (rcmd->held) {
        ngx_free(rcmd->held);
        rcmd->held = NULL;
    }
}


static ngx_http_dvc_rcmd_t *
ngx_http_dvc_rcmd_get(ngx_http_dvc_redis_t *redis)
{
    ngx_http_dvc_rcmd_t  *rcmd;

    rcmd = redis->free;

    if (rcmd) {
        redis->free = rcmd->next;

    } else {
        rcmd = ngx_alloc(sizeof(ngx_http_dvc_rcmd_t), redis->log);
        if (rcmd == NULL) {
            return NULL;
        }
    }

    ngx_memzero(rcmd, sizeof(ngx_http_dvc_rcmd_t));
    rcmd->redis = redis;

    ngx_http_dvc_metrics_redis_pending(1);
    rcmd->timer.handler = ngx_http_dvc_redis_timeout;
    rcmd->timer.data = rcmd;
    rcmd->timer.log = redis->log;

    return rcmd;
}


static void
ngx_http_dvc_rcmd_put(ngx_http_dvc_rcmd_t *rcmd)
{
    ngx_http_dvc_redis_t  *redis = rcmd->redis;

    ngx_http_dvc_metrics_redis_pending(-1);

    if (rcmd->held) {
        ngx_free(rcmd->held);
        rcmd->held = NULL;
    }

    if (redis->exiting) {
        ngx_free(rcmd);
        return;
    }

    rcmd->next = redis->free;
    redis->free = rcmd;
}
