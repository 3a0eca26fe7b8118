/*
 * dvc_redis_sentinel host:port ... master=NAME: the master (and, with
 * dvc_redis_read replica, a replica for reads) as Redis Sentinel names it,
 * asked without blocking a worker, on hiredis connections of their own:
 *
 * - the question: a short connection to one Sentinel, [AUTH],
 *   SENTINEL get-master-addr-by-name NAME [, SENTINEL replicas NAME]; asked
 *   when the worker starts, when the master's connection is lost, when the
 *   master answers ROLE with something else or a write with -READONLY, and
 *   while no master is known and a command needs one.  A Sentinel that
 *   fails, does not answer within dvc_redis_timeout or knows no such master
 *   passes the question to the next; after a round of them all, again in
 *   200 ms.
 * - the subscription: SUBSCRIBE +switch-master on one Sentinel, kept open;
 *   a switch of NAME moves the connections at once (the question follows to
 *   confirm it and to refresh the replica).  Lost, it is made again on the
 *   next Sentinel 500 ms later, and the question is asked then, in case a
 *   switch was missed meanwhile.
 *
 * What Sentinel says is only a hint: every new connection to the master
 * checks ROLE first (ngx_http_dvc_redis.c).  Sentinel's addresses must be
 * numeric (no resolve-hostnames): a worker never resolves a name.
 */

#include "ngx_http_dvc_redis_int.h"


#define NGX_HTTP_DVC_SENTINEL_RETRY     200
#define NGX_HTTP_DVC_SENTINEL_RESUB     500


struct ngx_http_dvc_sentinel_s {
    ngx_http_dvc_sentinel_peer_t    peer;
    ngx_http_dvc_main_conf_t       *conf;
    ngx_log_t                      *log;
    ngx_http_dvc_redis_addr_t      *addrs;
    ngx_uint_t                      naddrs;

    ngx_http_dvc_redis_adapter_t    ask;
    ngx_uint_t                      ask_index;
    ngx_uint_t                      ask_tries;
    ngx_event_t                     ask_timer;

    ngx_http_dvc_redis_adapter_t    sub;
    ngx_uint_t                      sub_index;
    ngx_event_t                     sub_timer;

    unsigned                        asking:1;
    unsigned                        again:1;
    unsigned                        answered:1;
    unsigned                        waiting:1;    /* ask_timer: a retry */
    unsigned                        exiting:1;
    unsigned                        sub_logged:1;
    unsigned                        sub_waiting:1; /* sub_timer: confirm */
};


static redisAsyncContext *ngx_http_dvc_sentinel_connect(
    ngx_http_dvc_sentinel_t *s, ngx_http_dvc_redis_adapter_t *a,
    ngx_uint_t i, ngx_http_dvc_redis_closed_pt closed);
static ngx_int_t ngx_http_dvc_sentinel_auth(ngx_http_dvc_sentinel_t *s,
    redisAsyncContext *ac, redisCallbackFn *fn);
static void ngx_http_dvc_sentinel_ask_start(ngx_http_dvc_sentinel_t *s);
static void ngx_http_dvc_sentinel_ask_timer(ngx_event_t *ev);
static void ngx_http_dvc_sentinel_ask_closed(void *data,
    const redisAsyncContext *ac);
static void ngx_http_dvc_sentinel_ask_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_dvc_sentinel_replicas(ngx_http_dvc_sentinel_t *s,
    redisReply *rr);
static void ngx_http_dvc_sentinel_sub_start(ngx_http_dvc_sentinel_t *s);
static void ngx_http_dvc_sentinel_sub_timer(ngx_event_t *ev);
static void ngx_http_dvc_sentinel_sub_closed(void *data,
    const redisAsyncContext *ac);
static void ngx_http_dvc_sentinel_sub_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_dvc_sentinel_auth_reply(redisAsyncContext *ac,
    void *reply, void *privdata);


ngx_http_dvc_sentinel_t *
ngx_http_dvc_sentinel_create(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf,
    ngx_log_t *log, const ngx_http_dvc_sentinel_peer_t *peer)
{
    ngx_http_dvc_sentinel_t  *s;

    s = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_sentinel_t));
    if (s == NULL) {
        return NULL;
    }

    s->peer = *peer;
    s->conf = dmcf;
    s->log = log;
    s->addrs = dmcf->redis_sentinels->elts;
    s->naddrs = dmcf->redis_sentinels->nelts;

    s->ask_timer.handler = ngx_http_dvc_sentinel_ask_timer;
    s->ask_timer.data = s;
    s->ask_timer.log = s->log;
    s->ask_timer.cancelable = 1;

    s->sub_timer.handler = ngx_http_dvc_sentinel_sub_timer;
    s->sub_timer.data = s;
    s->sub_timer.log = s->log;
    s->sub_timer.cancelable = 1;

    return s;
}


void
ngx_http_dvc_sentinel_start(ngx_http_dvc_sentinel_t *s)
{
    /* workers start at different Sentinels, so one slow Sentinel does not
     * hold them all */
    s->ask_index = (ngx_uint_t) ngx_pid % s->naddrs;
    s->sub_index = s->ask_index;

    ngx_http_dvc_sentinel_sub_start(s);
    ngx_http_dvc_sentinel_ask(s);
}


void
ngx_http_dvc_sentinel_lost(ngx_http_dvc_sentinel_t *s, const char *why)
{
    if (s == NULL || s->exiting) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, s->log, 0,
                   "dvc: redis sentinel asked again: %s", why);

    ngx_http_dvc_sentinel_ask(s);
}


void
ngx_http_dvc_sentinel_ask(ngx_http_dvc_sentinel_t *s)
{
    if (s == NULL || s->exiting) {
        return;
    }

    if (s->asking) {
        /* the answer under way may predate what made us ask */
        s->again = 1;
        return;
    }

    if (s->waiting) {
        /* every Sentinel failed a moment ago: the retry is due soon */
        return;
    }

    ngx_http_dvc_sentinel_ask_start(s);
}


void
ngx_http_dvc_sentinel_shutdown(ngx_http_dvc_sentinel_t *s)
{
    if (s == NULL) {
        return;
    }

    s->exiting = 1;

    if (s->ask_timer.timer_set) {
        ngx_del_timer(&s->ask_timer);
    }

    if (s->sub_timer.timer_set) {
        ngx_del_timer(&s->sub_timer);
    }

    if (s->ask.ac) {
        redisAsyncFree(s->ask.ac);
    }

    if (s->sub.ac) {
        redisAsyncFree(s->sub.ac);
    }
}


static redisAsyncContext *
ngx_http_dvc_sentinel_connect(ngx_http_dvc_sentinel_t *s,
    ngx_http_dvc_redis_adapter_t *a, ngx_uint_t i,
    ngx_http_dvc_redis_closed_pt closed)
{
    ngx_int_t           rc;
    redisAsyncContext  *ac;

    ac = redisAsyncConnect(s->addrs[i].host, s->addrs[i].port);
    if (ac == NULL) {
        return NULL;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel \"%V\": %s", &s->addrs[i].text,
                      ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }

    ac->data = s;
    a->closed = closed;
    a->data = s;

    rc = ngx_http_dvc_redis_attach(a, ac, s->log);

    if (rc == NGX_ERROR) {
        redisAsyncFree(ac);
        return NULL;
    }

    if (rc != NGX_OK) {
        /* attached: the cleanup runs closed() */
        redisAsyncFree(ac);
        return NULL;
    }

    return ac;
}


static ngx_int_t
ngx_http_dvc_sentinel_auth(ngx_http_dvc_sentinel_t *s, redisAsyncContext *ac,
    redisCallbackFn *fn)
{
    const char  *argv[2];
    size_t       argvlen[2];

    if (s->conf->redis_sentinel_password.len == 0) {
        return NGX_OK;
    }

    argv[0] = "AUTH";
    argvlen[0] = 4;
    argv[1] = (const char *) s->conf->redis_sentinel_password.data;
    argvlen[1] = s->conf->redis_sentinel_password.len;

    if (redisAsyncCommandArgv(ac, fn, "AUTH", 2, argv, argvlen) != REDIS_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_dvc_sentinel_ask_start(ngx_http_dvc_sentinel_t *s)
{
    const char                 *argv[3];
    size_t                      argvlen[3];
    redisAsyncContext          *ac;
    ngx_http_dvc_redis_addr_t  *sa;

    sa = &s->addrs[s->ask_index];

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, s->log, 0,
                   "dvc: redis sentinel \"%V\" asked for master \"%V\"",
                   &sa->text, &s->conf->redis_master_name);

    s->asking = 1;
    s->again = 0;
    s->answered = 0;

    ac = ngx_http_dvc_sentinel_connect(s, &s->ask, s->ask_index,
                                       ngx_http_dvc_sentinel_ask_closed);
    if (ac == NULL) {
        if (s->asking) {
            /* not attached: no cleanup ran */
            ngx_http_dvc_sentinel_ask_closed(s, NULL);
        }
        return;
    }

    argv[0] = "SENTINEL";
    argvlen[0] = 8;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = sizeof("get-master-addr-by-name") - 1;
    argv[2] = (const char *) s->conf->redis_master_name.data;
    argvlen[2] = s->conf->redis_master_name.len;

    if (ngx_http_dvc_sentinel_auth(s, ac, ngx_http_dvc_sentinel_auth_reply)
        != NGX_OK
        || redisAsyncCommandArgv(ac, ngx_http_dvc_sentinel_ask_reply,
                                 "master", 3, argv, argvlen)
           != REDIS_OK)
    {
        redisAsyncFree(ac);
        return;
    }

    if (s->conf->redis_read_replica) {
        argv[1] = "replicas";
        argvlen[1] = sizeof("replicas") - 1;

        if (redisAsyncCommandArgv(ac, ngx_http_dvc_sentinel_ask_reply,
                                  "replicas", 3, argv, argvlen)
            != REDIS_OK)
        {
            redisAsyncFree(ac);
            return;
        }
    }

    s->waiting = 0;
    ngx_add_timer(&s->ask_timer, s->conf->redis_timeout);
}


/* The question's timer: the Sentinel took too long (its connection goes,
 * the next is asked), or the pause after a failed round is over. */
static void
ngx_http_dvc_sentinel_ask_timer(ngx_event_t *ev)
{
    ngx_http_dvc_sentinel_t  *s = ev->data;

    if (s->exiting) {
        return;
    }

    if (s->asking) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel \"%V\" did not answer within %M ms",
                      &s->addrs[s->ask_index].text, s->conf->redis_timeout);

        if (s->ask.ac) {
            redisAsyncFree(s->ask.ac);
        }
        return;
    }

    s->waiting = 0;
    ngx_http_dvc_sentinel_ask_start(s);
}


/* The question's connection is gone: answered, or the next Sentinel. */
static void
ngx_http_dvc_sentinel_ask_closed(void *data, const redisAsyncContext *ac)
{
    ngx_http_dvc_sentinel_t  *s = data;

    s->asking = 0;

    if (s->ask_timer.timer_set) {
        ngx_del_timer(&s->ask_timer);
    }

    if (s->exiting) {
        return;
    }

    if (ac && ac->err && !s->answered) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel \"%V\": %s",
                      &s->addrs[s->ask_index].text, ac->errstr);
    }

    if (s->answered) {
        s->ask_tries = 0;

        if (!s->again) {
            return;
        }

        /* asked again meanwhile: at once, but not from inside hiredis */
        s->waiting = 1;
        ngx_add_timer(&s->ask_timer, 1);
        return;
    }

    s->ask_index = (s->ask_index + 1) % s->naddrs;

    s->waiting = 1;

    if (++s->ask_tries < s->naddrs) {
        ngx_add_timer(&s->ask_timer, 1);
        return;
    }

    /* a round of them all: no master known from any */
    s->ask_tries = 0;
    ngx_add_timer(&s->ask_timer, NGX_HTTP_DVC_SENTINEL_RETRY);
}


static void
ngx_http_dvc_sentinel_auth_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply               *rr = reply;
    ngx_http_dvc_sentinel_t  *s = ac->data;

    if (rr && rr->type == REDIS_REPLY_ERROR) {
        /* the password is never logged, only Sentinel's answer */
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel AUTH failed: %s", rr->str);
        redisAsyncFree(ac);
    }
}


static void
ngx_http_dvc_sentinel_ask_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                 *rr = reply;
    ngx_http_dvc_sentinel_t    *s = ac->data;
    ngx_http_dvc_redis_addr_t  *sa;

    if (rr == NULL || s->exiting) {
        return;
    }

    sa = &s->addrs[s->ask_index];

    if (ngx_strcmp(privdata, "replicas") == 0) {
        if (rr->type == REDIS_REPLY_ARRAY) {
            ngx_http_dvc_sentinel_replicas(s, rr);
        }

        /* the last reply: the connection goes (deferred: in a callback) */
        redisAsyncFree(ac);
        return;
    }

    if (rr->type == REDIS_REPLY_ARRAY && rr->elements == 2
        && rr->element[0]->type == REDIS_REPLY_STRING
        && rr->element[1]->type == REDIS_REPLY_STRING)
    {
        s->answered = 1;

        s->peer.moved(s->peer.data, 0, rr->element[0]->str,
                      rr->element[0]->len, rr->element[1]->str,
                      rr->element[1]->len);

    } else if (rr->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel \"%V\" refused: %s",
                      &sa->text, rr->str);

    } else {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel \"%V\" knows no master \"%V\"",
                      &sa->text, &s->conf->redis_master_name);
    }

    if (!s->answered || !s->conf->redis_read_replica) {
        redisAsyncFree(ac);
    }
}


/* SENTINEL replicas NAME: an array of flat field/value arrays; the first
 * replica whose flags are just "slave" and whose link is ok. */
static void
ngx_http_dvc_sentinel_replicas(ngx_http_dvc_sentinel_t *s, redisReply *rr)
{
    size_t       i, j;
    redisReply  *r, *k, *v, *ip, *port, *flags, *link;

    for (i = 0; i < rr->elements; i++) {
        r = rr->element[i];

        if (r->type != REDIS_REPLY_ARRAY) {
            continue;
        }

        ip = port = flags = link = NULL;

        for (j = 0; j + 1 < r->elements; j += 2) {
            k = r->element[j];
            v = r->element[j + 1];

            if (k->type != REDIS_REPLY_STRING
                || v->type != REDIS_REPLY_STRING)
            {
                continue;
            }

            if (ngx_strcmp(k->str, "ip") == 0) {
                ip = v;

            } else if (ngx_strcmp(k->str, "port") == 0) {
                port = v;

            } else if (ngx_strcmp(k->str, "flags") == 0) {
                flags = v;

            } else if (ngx_strcmp(k->str, "master-link-status") == 0) {
                link = v;
            }
        }

        if (ip && port && flags && ngx_strcmp(flags->str, "slave") == 0
            && (link == NULL || ngx_strcmp(link->str, "ok") == 0))
        {
            s->peer.moved(s->peer.data, 1, ip->str, ip->len, port->str,
                          port->len);
            return;
        }
    }

    s->peer.forget(s->peer.data, 1);
}


static void
ngx_http_dvc_sentinel_sub_start(ngx_http_dvc_sentinel_t *s)
{
    const char         *argv[2];
    size_t              argvlen[2];
    redisAsyncContext  *ac;

    ac = ngx_http_dvc_sentinel_connect(s, &s->sub, s->sub_index,
                                       ngx_http_dvc_sentinel_sub_closed);
    if (ac == NULL) {
        if (s->sub.ac == NULL && !s->sub_timer.timer_set && !s->exiting) {
            s->sub_index = (s->sub_index + 1) % s->naddrs;
            ngx_add_timer(&s->sub_timer, NGX_HTTP_DVC_SENTINEL_RESUB);
        }
        return;
    }

    argv[0] = "SUBSCRIBE";
    argvlen[0] = 9;
    argv[1] = "+switch-master";
    argvlen[1] = sizeof("+switch-master") - 1;

    if (ngx_http_dvc_sentinel_auth(s, ac, ngx_http_dvc_sentinel_auth_reply)
        != NGX_OK
        || redisAsyncCommandArgv(ac, ngx_http_dvc_sentinel_sub_reply, NULL,
                                 2, argv, argvlen)
           != REDIS_OK)
    {
        redisAsyncFree(ac);
        return;
    }

    /* a Sentinel behind a black hole (no RST) never connects, nor says
     * so: the subscription must be confirmed within dvc_redis_timeout */
    if (s->sub.ac && !s->sub_timer.timer_set) {
        s->sub_waiting = 1;
        ngx_add_timer(&s->sub_timer, s->conf->redis_timeout);
    }
}


static void
ngx_http_dvc_sentinel_sub_timer(ngx_event_t *ev)
{
    ngx_http_dvc_sentinel_t  *s = ev->data;

    if (s->exiting) {
        return;
    }

    if (s->sub.ac) {
        if (s->sub_waiting) {
            ngx_log_error(NGX_LOG_ERR, s->log, 0,
                          "dvc: redis sentinel \"%V\" did not confirm the "
                          "subscription within %M ms",
                          &s->addrs[s->sub_index].text,
                          s->conf->redis_timeout);
            s->sub_waiting = 0;
            s->sub_logged = 1;

            /* its closed hook moves to the next Sentinel, 500 ms later */
            redisAsyncFree(s->sub.ac);
        }
        return;
    }

    ngx_http_dvc_sentinel_sub_start(s);
}


static void
ngx_http_dvc_sentinel_sub_closed(void *data, const redisAsyncContext *ac)
{
    ngx_http_dvc_sentinel_t  *s = data;

    if (s->exiting) {
        return;
    }

    if (!s->sub_logged) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel \"%V\": subscription lost%s%s",
                      &s->addrs[s->sub_index].text,
                      ac->errstr[0] ? ": " : "", ac->errstr);
        s->sub_logged = 1;
    }

    s->sub_index = (s->sub_index + 1) % s->naddrs;

    /* a confirmation's timer still set starts the next subscription */
    s->sub_waiting = 0;

    if (!s->sub_timer.timer_set) {
        ngx_add_timer(&s->sub_timer, NGX_HTTP_DVC_SENTINEL_RESUB);
    }
}


/* ["subscribe", "+switch-master", 1], then
 * ["message", "+switch-master", "NAME oldip oldport newip newport"] */
static void
ngx_http_dvc_sentinel_sub_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    u_char                   *p, *last, *f[5];
    size_t                    l[5];
    ngx_uint_t                n;
    redisReply               *rr = reply;
    ngx_http_dvc_sentinel_t  *s = ac->data;

    if (rr == NULL || s->exiting || rr->type != REDIS_REPLY_ARRAY
        || rr->elements != 3 || rr->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    if (ngx_strcmp(rr->element[0]->str, "subscribe") == 0) {
        if (s->sub_waiting) {
            s->sub_waiting = 0;

            if (s->sub_timer.timer_set) {
                ngx_del_timer(&s->sub_timer);
            }
        }

        if (s->sub_logged) {
            ngx_log_error(NGX_LOG_NOTICE, s->log, 0,
                          "dvc: redis sentinel \"%V\": subscribed again",
                          &s->addrs[s->sub_index].text);
            s->sub_logged = 0;
        }

        /* a switch may have happened while we were not listening */
        ngx_http_dvc_sentinel_ask(s);
        return;
    }

    if (ngx_strcmp(rr->element[0]->str, "message") != 0
        || rr->element[2]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    p = (u_char *) rr->element[2]->str;
    last = p + rr->element[2]->len;

    for (n = 0; n < 5 && p < last; n++) {
        f[n] = p;

        while (p < last && *p != ' ') {
            p++;
        }

        l[n] = p - f[n];

        while (p < last && *p == ' ') {
            p++;
        }
    }

    if (n != 5) {
        ngx_log_error(NGX_LOG_ERR, s->log, 0,
                      "dvc: redis sentinel: +switch-master not understood");
        return;
    }

    if (l[0] != s->conf->redis_master_name.len
        || ngx_strncmp(f[0], s->conf->redis_master_name.data, l[0]) != 0)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, s->log, 0,
                  "dvc: redis sentinel: +switch-master %*s -> %*s:%*s",
                  l[0], f[0], l[3], f[3], l[4], f[4]);

    s->peer.moved(s->peer.data, 0, (char *) f[3], l[3], (char *) f[4],
                  l[4]);

    /* the replica for reads may be the old master now */
    ngx_http_dvc_sentinel_ask(s);
}
