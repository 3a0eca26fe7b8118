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

#include "ngx_http_dvc_redis_int.h"
#include "ngx_http_dvc_cluster.h"
#include "ngx_http_dvc_metrics.h"


#define NGX_HTTP_DVC_REDIS_BACKOFF_MIN  50
#define NGX_HTTP_DVC_REDIS_BACKOFF_MAX  1000

/* dvc_redis_cluster: redirections a batch follows at most, the pause
 * before a batch refused TRYAGAIN (a slot half migrated) goes again, and
 * how often a worker may ask CLUSTER SLOTS */
#define NGX_HTTP_DVC_CLUSTER_HOPS       64
#define NGX_HTTP_DVC_CLUSTER_TRYAGAIN   50
#define NGX_HTTP_DVC_CLUSTER_REFRESH    250
#define NGX_HTTP_DVC_REDIS_KEYS         64


typedef struct ngx_http_dvc_rcmd_s  ngx_http_dvc_rcmd_t;
typedef struct ngx_http_dvc_redis_retry_s  ngx_http_dvc_redis_retry_t;
typedef struct ngx_http_dvc_redis_link_s  ngx_http_dvc_redis_link_t;

struct ngx_http_dvc_rcmd_s {
    ngx_http_request_t             *request;   /* NULL once detached */
    ngx_http_dvc_redis_handler_pt   handler;
    void                           *data;
    ngx_http_dvc_redis_link_t      *redis;
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

    /* dvc_redis_wait: the EXEC's reply, copied, until WAIT's arrives */
    redisReply                     *kept;
    unsigned                        durable:1;
    unsigned                        kept_failed:1;

    /* dvc_redis_cluster: the batch, copied, to send again where MOVED or
     * ASK point (only when none of it ran: one command, a MULTI, a script,
     * or the first command refused) */
    ngx_http_dvc_redis_cmd_t       *copy;
    ngx_uint_t                      ncopy;
    ngx_uint_t                      hops;
    ngx_msec_t                      deadline;
    ngx_uint_t                      nreplied;
    ngx_uint_t                      skip;      /* 1: ASKING went first */
    unsigned                        atomic:1;
    unsigned                        first_failed:1;
};


/* One connection of a worker: to the master (every command), to the master
 * for the submissions that WAIT (dvc_redis_wait: a WAIT holds back every
 * command pipelined behind it, so lookups never queue behind one), or to a
 * replica (dvc_redis_read replica, while no master is known). */
struct ngx_http_dvc_redis_link_s {
    ngx_http_dvc_main_conf_t       *conf;
    ngx_http_dvc_redis_t           *top;
    ngx_http_dvc_redis_addr_t      *addr;
    const char                     *role;       /* ROLE's, with Sentinel */
    ngx_uint_t                      wait_n;     /* WAIT after each batch */
    ngx_msec_t                      wait_timeout;
    ngx_http_dvc_redis_adapter_t    adapter;    /* .ac: NULL when down */
    ngx_log_t                      *log;

    ngx_http_dvc_rcmd_t            *free;

    /* batches waiting for the setup replies, oldest first */
    ngx_http_dvc_rcmd_t            *held;
    ngx_http_dvc_rcmd_t           **held_last;
    ngx_uint_t                      setup_pending;

    ngx_uint_t                      failures;
    ngx_msec_t                      retry_at;   /* ngx_current_msec */

    unsigned                        logged_down:1;
    unsigned                        up:1;       /* for the metrics */
    unsigned                        was_up:1;
    unsigned                        metrics:1;  /* the main link only */
};


/* dvc_redis_cluster: one node's connections */
typedef struct {
    ngx_http_dvc_redis_link_t       main;
    ngx_http_dvc_redis_link_t       durable;
} ngx_http_dvc_redis_node_t;


struct ngx_http_dvc_redis_s {
    ngx_http_dvc_main_conf_t       *conf;
    ngx_log_t                      *log;
    ngx_http_dvc_redis_addr_t       master;
    ngx_http_dvc_redis_addr_t       replica;
    ngx_http_dvc_redis_link_t       main;
    ngx_http_dvc_redis_link_t       durable;
    ngx_http_dvc_redis_link_t       read;
    ngx_http_dvc_sentinel_t        *sentinel;

    /* dvc_redis_cluster: the map, a link pair per node of it, which node
     * CLUSTER SLOTS is asked next, when last; the hop count and deadline a
     * batch sent again carries over (set around ngx_http_dvc_redis_resend) */
    ngx_http_dvc_cluster_t         *cluster;
    ngx_http_dvc_redis_node_t      *nodes;
    ngx_uint_t                      ask_next;
    ngx_msec_t                      asked_at;
    ngx_uint_t                      hop;
    ngx_msec_t                      hop_deadline;
    unsigned                        refreshing:1;

    unsigned                        exiting:1;
    unsigned                        has_durable:1;
    unsigned                        has_read:1;
};


static ngx_int_t ngx_http_dvc_redis_connect(ngx_http_dvc_redis_link_t *redis);
static ngx_int_t ngx_http_dvc_redis_setup(ngx_http_dvc_redis_link_t *redis);
static void ngx_http_dvc_redis_closed(void *data,
    const redisAsyncContext *ac);
static void ngx_http_dvc_redis_reset(ngx_http_dvc_redis_link_t *redis,
    const char *why);
static void ngx_http_dvc_redis_failed(ngx_http_dvc_redis_link_t *redis);
static ngx_int_t ngx_http_dvc_redis_queue(ngx_http_dvc_redis_link_t *redis,
    ngx_http_dvc_rcmd_t *rcmd, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_log_t *log);
static ngx_int_t ngx_http_dvc_redis_hold(ngx_http_dvc_redis_link_t *redis,
    ngx_http_dvc_rcmd_t *rcmd, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n);
static void ngx_http_dvc_redis_release(ngx_http_dvc_redis_link_t *redis);
static void ngx_http_dvc_redis_drop_held(ngx_http_dvc_redis_link_t *redis);
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
static void ngx_http_dvc_redis_kept_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static redisReply *ngx_http_dvc_redis_copy(const redisReply *rr,
    ngx_uint_t depth);
static ngx_int_t ngx_http_dvc_redis_link_send(ngx_http_request_t *r,
    ngx_http_dvc_redis_link_t *redis, ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_http_dvc_redis_handler_pt handler, void *data);
static ngx_uint_t ngx_http_dvc_redis_readonly(ngx_http_dvc_redis_link_t *redis,
    const char *err);
static void ngx_http_dvc_redis_moved(void *data, ngx_uint_t replica,
    const char *host, size_t host_len, const char *port, size_t port_len);
static void ngx_http_dvc_redis_forget(void *data, ngx_uint_t replica);
static ngx_int_t ngx_http_dvc_redis_cluster_create(ngx_conf_t *cf,
    ngx_http_dvc_redis_t *top);
static void ngx_http_dvc_redis_cluster_refresh(ngx_http_dvc_redis_t *top);
static void ngx_http_dvc_redis_cluster_slots_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_http_dvc_redis_link_t *ngx_http_dvc_redis_cluster_link(
    ngx_http_dvc_redis_t *top, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_uint_t durable);
static ngx_int_t ngx_http_dvc_redis_cluster_send(ngx_http_request_t *r,
    ngx_http_dvc_redis_t *top, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_uint_t durable, ngx_http_dvc_redis_handler_pt handler, void *data);
static ngx_int_t ngx_http_dvc_redis_keep_copy(ngx_http_dvc_redis_link_t *redis,
    ngx_http_dvc_rcmd_t *rcmd, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n);
static ngx_http_dvc_redis_cmd_t *ngx_http_dvc_redis_copy_batch(
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n, ngx_int_t part,
    ngx_log_t *log);
static ngx_int_t ngx_http_dvc_redis_redirect(ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_request_t *r, void *reply);
static ngx_int_t ngx_http_dvc_redis_resend(ngx_http_request_t *r,
    ngx_http_dvc_redis_link_t *link, ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_uint_t asking, ngx_uint_t hops, ngx_msec_t deadline,
    ngx_http_dvc_redis_handler_pt handler, void *data);
static ngx_msec_t ngx_http_dvc_redis_deadline(ngx_http_dvc_redis_t *top,
    ngx_http_dvc_rcmd_t *rcmd, ngx_msec_t timeout);
static ngx_int_t ngx_http_dvc_redis_tryagain_later(ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_request_t *r);
static void ngx_http_dvc_redis_tryagain(ngx_event_t *ev);
static void ngx_http_dvc_redis_done(ngx_http_dvc_rcmd_t *rcmd,
    redisReply *kept);
static ngx_uint_t ngx_http_dvc_redis_is(ngx_http_dvc_redis_cmd_t *cmd,
    const char *name);
static void ngx_http_dvc_redis_tryagain_gone(void *data);
static ngx_http_dvc_rcmd_t *ngx_http_dvc_rcmd_get(
    ngx_http_dvc_redis_link_t *redis);
static void ngx_http_dvc_rcmd_put(ngx_http_dvc_rcmd_t *rcmd);


static void
ngx_http_dvc_redis_link_init(ngx_http_dvc_redis_t *top,
    ngx_http_dvc_redis_link_t *link, ngx_http_dvc_redis_addr_t *addr)
{
    link->conf = top->conf;
    link->top = top;
    link->addr = addr;
    link->log = top->log;
    link->held_last = &link->held;
}


static ngx_int_t
ngx_http_dvc_redis_cluster_create(ngx_conf_t *cf, ngx_http_dvc_redis_t *top)
{
    ngx_uint_t                  i;
    ngx_http_dvc_redis_node_t  *node;

    top->cluster = ngx_http_dvc_cluster_create(cf, top->conf->redis_cluster);
    top->nodes = ngx_pcalloc(cf->pool, NGX_HTTP_DVC_CLUSTER_NODES
                                       * sizeof(ngx_http_dvc_redis_node_t));

    if (top->cluster == NULL || top->nodes == NULL) {
        return NGX_ERROR;
    }

    /* the addresses live in the map, which only ever adds nodes */
    for (i = 0; i < NGX_HTTP_DVC_CLUSTER_NODES; i++) {
        node = &top->nodes[i];

        ngx_http_dvc_redis_link_init(top, &node->main,
                                     &top->cluster->node[i]);
        /* dvc_redis_connected counts a worker's connections to the masters */
        node->main.metrics = 1;

        if (top->conf->redis_wait) {
            ngx_http_dvc_redis_link_init(top, &node->durable,
                                         &top->cluster->node[i]);
            node->durable.wait_n = top->conf->redis_wait;
            node->durable.wait_timeout = top->conf->redis_wait_timeout;
        }
    }

    top->has_durable = top->conf->redis_wait ? 1 : 0;

    return NGX_OK;
}


ngx_http_dvc_redis_t *
ngx_http_dvc_redis_create(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf)
{
    ngx_http_dvc_redis_t          *top;
    ngx_http_dvc_sentinel_peer_t   peer;

    top = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_redis_t));
    if (top == NULL) {
        return NULL;
    }

    top->conf = dmcf;
    top->log = &cf->cycle->new_log;

    if (dmcf->redis_cluster) {
        return ngx_http_dvc_redis_cluster_create(cf, top) == NGX_OK ? top
                                                                    : NULL;
    }

    if (dmcf->redis_sentinels == NULL) {
        top->master.text = dmcf->redis_text;
        top->master.port = dmcf->redis_port;
        top->master.unix_path = dmcf->redis_unix;
        top->master.known = 1;

        if (dmcf->redis_host) {
            ngx_cpystrn((u_char *) top->master.host,
                        (u_char *) dmcf->redis_host,
                        sizeof(top->master.host));
        }
    }

    ngx_http_dvc_redis_link_init(top, &top->main, &top->master);
    top->main.metrics = 1;

    if (dmcf->redis_wait) {
        ngx_http_dvc_redis_link_init(top, &top->durable, &top->master);
        top->durable.wait_n = dmcf->redis_wait;
        top->durable.wait_timeout = dmcf->redis_wait_timeout;
        top->has_durable = 1;
    }

    if (dmcf->redis_sentinels) {
        top->main.role = "master";
        top->durable.role = "master";

        if (dmcf->redis_read_replica) {
            ngx_http_dvc_redis_link_init(top, &top->read, &top->replica);
            top->read.role = "slave";
            top->has_read = 1;
        }

        peer.data = top;
        peer.moved = ngx_http_dvc_redis_moved;
        peer.forget = ngx_http_dvc_redis_forget;

        top->sentinel = ngx_http_dvc_sentinel_create(cf, dmcf, top->log,
                                                     &peer);
        if (top->sentinel == NULL) {
            return NULL;
        }
    }

    return top;
}


void
ngx_http_dvc_redis_start(ngx_http_dvc_redis_t *top)
{
    if (top && top->sentinel) {
        ngx_http_dvc_sentinel_start(top->sentinel);
    }

    if (top && top->cluster) {
        ngx_http_dvc_redis_cluster_refresh(top);
    }
}


/*
 * dvc_redis_cluster: CLUSTER SLOTS, asked of the nodes in turn (the seeds
 * first), at most once per NGX_HTTP_DVC_CLUSTER_REFRESH ms and one question
 * at a time: when a worker starts, on MOVED, on a lost connection and while
 * a batch finds its node down (a failover moves its slots elsewhere).
 */
static void
ngx_http_dvc_redis_cluster_refresh(ngx_http_dvc_redis_t *top)
{
    ngx_uint_t                  i, k;
    ngx_http_dvc_redis_link_t  *link;

    if (top->refreshing || top->exiting
        || (top->asked_at
            && ngx_current_msec - top->asked_at < NGX_HTTP_DVC_CLUSTER_REFRESH))
    {
        return;
    }

    top->asked_at = ngx_current_msec;
    if (top->asked_at == 0) {
        top->asked_at = 1;
    }

    for (k = 0; k < top->cluster->nnodes; k++) {
        i = (top->ask_next + k) % top->cluster->nnodes;
        link = &top->nodes[i].main;

        if (link->adapter.ac == NULL
            && (link->failures == 0
                || (ngx_msec_int_t) (link->retry_at - ngx_current_msec) <= 0)
            && ngx_http_dvc_redis_connect(link) != NGX_OK)
        {
            continue;
        }

        if (link->adapter.ac == NULL) {
            continue;
        }

        /* behind AUTH (a refused AUTH makes this NOAUTH, harmless) */
        if (redisAsyncCommand(link->adapter.ac,
                              ngx_http_dvc_redis_cluster_slots_reply, NULL,
                              "CLUSTER SLOTS")
            != REDIS_OK)
        {
            continue;
        }

        top->ask_next = i;
        top->refreshing = 1;
        return;
    }

    ngx_log_error(NGX_LOG_ERR, top->log, 0,
                  "dvc: redis cluster: no node to ask CLUSTER SLOTS");
}


static void
ngx_http_dvc_redis_cluster_slots_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    const char                 *err;
    ngx_http_dvc_redis_link_t  *link = ac->data;
    ngx_http_dvc_redis_t       *top = link->top;

    top->refreshing = 0;

    if (top->exiting) {
        return;
    }

    err = reply ? ngx_http_dvc_reply_error(reply) : "no answer";

    if (err) {
        ngx_log_error(NGX_LOG_ERR, top->log, 0,
                      "dvc: redis cluster \"%V\" refused CLUSTER SLOTS: %s",
                      &link->addr->text, err);
    }

    if (err || ngx_http_dvc_cluster_slots(top->cluster, reply, link->addr,
                                          top->log)
               != NGX_OK)
    {
        /* the next question goes to the next node, without waiting */
        top->ask_next++;
        top->asked_at = 0;
    }
}


/* The connection for a batch: of the node serving its slot (NULL: the slot
 * has no node known, or the batch no key: 503 at once, the map is asked). */
static ngx_http_dvc_redis_link_t *
ngx_http_dvc_redis_cluster_link(ngx_http_dvc_redis_t *top,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n, ngx_uint_t durable)
{
    ngx_int_t                   slot, part;
    ngx_uint_t                  node;
    ngx_http_dvc_redis_link_t  *link;

    slot = ngx_http_dvc_cluster_route(cmds, n, &part, top->log);

    if (slot == NGX_ERROR) {
        return NULL;
    }

    if (slot == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ALERT, top->log, 0,
                      "dvc: redis cluster: a batch without a key");
        return NULL;
    }

    node = top->cluster->slot[slot];

    if (node == 0) {
        ngx_http_dvc_redis_cluster_refresh(top);
        return NULL;
    }

    link = durable && top->has_durable ? &top->nodes[node - 1].durable
                                       : &top->nodes[node - 1].main;

    if (link->adapter.ac == NULL && link->failures) {
        /* down: maybe failed over, its slots served elsewhere now */
        ngx_http_dvc_redis_cluster_refresh(top);
    }

    return link;
}


ngx_int_t
ngx_http_dvc_redis_send(ngx_http_request_t *r, ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->redis == NULL) {
        return NGX_DECLINED;
    }

    if (dmcf->redis->cluster) {
        return ngx_http_dvc_redis_cluster_send(r, dmcf->redis, cmds, n, 0,
                                               handler, data);
    }

    return ngx_http_dvc_redis_link_send(r, &dmcf->redis->main, cmds, n,
                                        handler, data);
}


/* A submission's transaction: with dvc_redis_wait, on its own connection
 * and followed by WAIT; answered as no reply (503, outcome unknown) when
 * fewer replicas than asked acknowledged it in time. */
ngx_int_t
ngx_http_dvc_redis_send_durable(ngx_http_request_t *r,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_http_dvc_redis_t      *top;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    top = dmcf->redis;

    if (top == NULL) {
        return NGX_DECLINED;
    }

    if (top->cluster) {
        return ngx_http_dvc_redis_cluster_send(r, top, cmds, n, 1, handler,
                                               data);
    }

    return ngx_http_dvc_redis_link_send(r, top->has_durable ? &top->durable
                                                            : &top->main,
                                        cmds, n, handler, data);
}


/* A read: the master when it answers, else (dvc_redis_read replica) a
 * replica Sentinel names. */
ngx_int_t
ngx_http_dvc_redis_send_read(ngx_http_request_t *r,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_int_t                  rc;
    ngx_http_dvc_redis_t      *top;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);
    top = dmcf->redis;

    if (top == NULL) {
        return NGX_DECLINED;
    }

    if (top->cluster) {
        return ngx_http_dvc_redis_cluster_send(r, top, cmds, n, 0, handler,
                                               data);
    }

    rc = ngx_http_dvc_redis_link_send(r, &top->main, cmds, n, handler, data);

    if (rc == NGX_DECLINED && top->has_read) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: no redis master, read from replica \"%V\"",
                      &top->replica.text);
        rc = ngx_http_dvc_redis_link_send(r, &top->read, cmds, n, handler,
                                          data);
    }

    return rc;
}


static ngx_int_t
ngx_http_dvc_redis_cluster_send(ngx_http_request_t *r,
    ngx_http_dvc_redis_t *top, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_uint_t durable, ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_http_dvc_redis_link_t  *link;

    link = ngx_http_dvc_redis_cluster_link(top, cmds, n, durable);
    if (link == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dvc: redis cluster: no node known for the slot");
        return NGX_DECLINED;
    }

    return ngx_http_dvc_redis_link_send(r, link, cmds, n, handler, data);
}


static ngx_int_t
ngx_http_dvc_redis_link_send(ngx_http_request_t *r,
    ngx_http_dvc_redis_link_t *redis, ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_int_t                  rc;
    ngx_msec_t                 timeout;
    ngx_pool_cleanup_t        *cln;
    ngx_http_dvc_rcmd_t       *rcmd;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = redis->conf;

    if (redis->top->exiting) {
        return NGX_DECLINED;
    }

    if (!redis->addr->known) {
        /* Sentinel names no master (or replica) yet: 503 at once */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "dvc: redis: no server known yet");
        if (redis->top->sentinel) {
            ngx_http_dvc_sentinel_ask(redis->top->sentinel);
        }
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

    rcmd->durable = redis->wait_n ? 1 : 0;

    if (redis->top->cluster) {
        if (ngx_http_dvc_redis_keep_copy(redis, rcmd, cmds, n) != NGX_OK) {
            ngx_http_dvc_rcmd_put(rcmd);
            return NGX_ERROR;
        }

        /* what leaves: the copy, its keys placed */
        cmds = rcmd->copy;
    }

    if (redis->setup_pending) {
        /* AUTH, SELECT or ROLE unanswered: nothing may reach Redis before */
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

    /* a WAIT may take its whole timeout before Redis answers it */
    timeout = dmcf->redis_timeout + redis->wait_timeout;

    ngx_add_timer(&rcmd->timer,
                  ngx_http_dvc_redis_deadline(redis->top, rcmd, timeout));
    rcmd->sent = ngx_current_msec;

    r->main->count++;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dvc: redis %s %ui command(s), timeout %M ms",
                   rcmd->held ? "holds" : "sent", n, timeout);

    return NGX_OK;
}


/* The timer of a send: its timeout; sent again after a redirection
 * (dvc_redis_cluster), what is left of the first send's. */
static ngx_msec_t
ngx_http_dvc_redis_deadline(ngx_http_dvc_redis_t *top,
    ngx_http_dvc_rcmd_t *rcmd, ngx_msec_t timeout)
{
    if (top->hop == 0) {
        rcmd->deadline = ngx_current_msec + timeout;
        return timeout;
    }

    rcmd->hops = top->hop;
    rcmd->deadline = top->hop_deadline;

    return (ngx_msec_int_t) (rcmd->deadline - ngx_current_msec) > 0
           ? rcmd->deadline - ngx_current_msec : 1;
}


/* NGX_OK: the whole batch is queued in hiredis; NGX_DECLINED: none of it;
 * NGX_ERROR: only its first commands (the caller drops the connection). */
static ngx_int_t
ngx_http_dvc_redis_queue(ngx_http_dvc_redis_link_t *redis, ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n, ngx_log_t *log)
{
    int                    argc;
    u_char                 num[NGX_INT_T_LEN], ms[NGX_INT_T_LEN];
    const char            *argv[3];
    size_t                 argvlen[3];
    ngx_uint_t             i;
    redisCallbackFn       *last;

    /* with WAIT, the batch's last reply is kept for WAIT's to deliver */
    last = rcmd->durable ? ngx_http_dvc_redis_kept_reply
                         : ngx_http_dvc_redis_reply;

    for (i = 0; i < n; i++) {
        /* only the last command of a batch reports to the handler; the
         * others only keep their first error, for the log */
        if (redisAsyncCommandArgv(redis->adapter.ac,
                                  i == n - 1 ? last
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

    if (!rcmd->durable) {
        return NGX_OK;
    }

    argv[0] = "WAIT";
    argvlen[0] = 4;
    argv[1] = (const char *) num;
    argvlen[1] = ngx_sprintf(num, "%ui", redis->wait_n) - num;
    argv[2] = (const char *) ms;
    argvlen[2] = ngx_sprintf(ms, "%M", redis->wait_timeout) - ms;
    argc = 3;

    if (redisAsyncCommandArgv(redis->adapter.ac, ngx_http_dvc_redis_reply,
                              rcmd, argc, argv, argvlen)
        != REDIS_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "dvc: redis WAIT not queued: %s",
                      redis->adapter.ac->errstr[0]
                      ? redis->adapter.ac->errstr : "refused by hiredis");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* Keep a copy of the batch at the end of the FIFO: the caller's argv and
 * values may be gone (some point into an earlier Redis reply) by the time
 * the setup replies arrive.  One block: the commands, then every argv, then
 * every argvlen, then the bytes. */
static ngx_int_t
ngx_http_dvc_redis_hold(ngx_http_dvc_redis_link_t *redis, ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n)
{
    ngx_http_dvc_redis_cmd_t  *held;

    held = ngx_http_dvc_redis_copy_batch(cmds, n, -1, redis->log);
    if (held == NULL) {
        return NGX_ERROR;
    }

    rcmd->held = held;
    rcmd->nheld = n;
    rcmd->next = NULL;

    *redis->held_last = rcmd;
    redis->held_last = &rcmd->next;

    return NGX_OK;
}


/* dvc_redis_cluster: the batch as sent, for a redirection; whether it may
 * be sent again whole (nothing of it ran when its last reply redirects). */
static ngx_int_t
ngx_http_dvc_redis_keep_copy(ngx_http_dvc_redis_link_t *redis,
    ngx_http_dvc_rcmd_t *rcmd, ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n)
{
    ngx_int_t    part;
    ngx_uint_t   first, i, asks;

    /* placed as the cluster layout says (docs/redis.md) */
    if (ngx_http_dvc_cluster_route(cmds, n, &part, redis->log) == NGX_ERROR) {
        return NGX_ERROR;
    }

    rcmd->copy = ngx_http_dvc_redis_copy_batch(cmds, n, part, redis->log);
    if (rcmd->copy == NULL) {
        return NGX_ERROR;
    }

    rcmd->ncopy = n;

    for (first = 0, asks = 0; first < n; first++) {
        if (!ngx_http_dvc_redis_is(&cmds[first], "ASKING")) {
            break;
        }
    }

    for (i = first; i < n; i++) {
        asks += ngx_http_dvc_redis_is(&cmds[i], "ASKING");
    }

    if (first == n) {
        return NGX_ERROR;
    }

    /* one command, or a transaction: none of it ran when it is refused */
    rcmd->atomic = (n - first - asks == 1
                    || ngx_http_dvc_redis_is(&cmds[first], "MULTI"))
                   ? 1 : 0;

    rcmd->skip = first;

    return NGX_OK;
}


/* One block: the commands, then every argv, then every argvlen, then the
 * bytes (ngx_free() frees it).  With a partition (dvc_redis_cluster, else
 * -1) the keys are written placed in it (ngx_http_dvc_cluster.h). */
static ngx_http_dvc_redis_cmd_t *
ngx_http_dvc_redis_copy_batch(ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_int_t part, ngx_log_t *log)
{
    int                        j, k, nk, pos[NGX_HTTP_DVC_REDIS_KEYS];
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

        if (part >= 0) {
            /* at most: every key takes its tag */
            size += DVC_CLUSTER_TAG_MAX
                    * dvc_cluster_cmd_keys(cmds[i].argc, cmds[i].argv,
                                           cmds[i].argvlen, pos,
                                           NGX_HTTP_DVC_REDIS_KEYS);
        }
    }

    /* + 1: dvc_cluster_key()'s NUL after the last key */
    held = ngx_alloc(n * sizeof(ngx_http_dvc_redis_cmd_t)
                     + nargs * (sizeof(char *) + sizeof(size_t)) + size + 1,
                     log);
    if (held == NULL) {
        return NULL;
    }

    argv = (const char **) &held[n];
    argvlen = (size_t *) &argv[nargs];
    p = (u_char *) &argvlen[nargs];

    for (i = 0; i < n; i++) {
        held[i].argc = cmds[i].argc;
        held[i].argv = argv;
        held[i].argvlen = argvlen;

        nk = part >= 0 ? dvc_cluster_cmd_keys(cmds[i].argc, cmds[i].argv,
                                              cmds[i].argvlen, pos,
                                              NGX_HTTP_DVC_REDIS_KEYS)
                       : 0;
        k = 0;

        for (j = 0; j < cmds[i].argc; j++) {
            *argv++ = (const char *) p;

            if (k < nk && pos[k] == j) {
                k++;
                *argvlen++ = ngx_http_dvc_cluster_key_len(cmds[i].argv[j],
                                                          cmds[i].argvlen[j],
                                                          part);
                p = ngx_http_dvc_cluster_key_put(p, cmds[i].argv[j],
                                                 cmds[i].argvlen[j], part);
                continue;
            }

            *argvlen++ = cmds[i].argvlen[j];
            p = ngx_cpymem(p, cmds[i].argv[j], cmds[i].argvlen[j]);
        }
    }

    return held;
}


/* The last setup reply was OK: the held batches leave, oldest first. */
static void
ngx_http_dvc_redis_release(ngx_http_dvc_redis_link_t *redis)
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
ngx_http_dvc_redis_drop_held(ngx_http_dvc_redis_link_t *redis)
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

        if (redis->top->exiting) {
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


static void
ngx_http_dvc_redis_link_shutdown(ngx_http_dvc_redis_link_t *redis)
{
    ngx_http_dvc_rcmd_t  *rcmd;

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


void
ngx_http_dvc_redis_shutdown(ngx_http_dvc_redis_t *top)
{
    ngx_uint_t  i;

    if (top == NULL) {
        return;
    }

    /* requests may be half torn down by now: replies only free records */
    top->exiting = 1;

    if (top->sentinel) {
        ngx_http_dvc_sentinel_shutdown(top->sentinel);
    }

    ngx_http_dvc_redis_link_shutdown(&top->main);
    ngx_http_dvc_redis_link_shutdown(&top->durable);
    ngx_http_dvc_redis_link_shutdown(&top->read);

    if (top->cluster) {
        for (i = 0; i < NGX_HTTP_DVC_CLUSTER_NODES; i++) {
            ngx_http_dvc_redis_link_shutdown(&top->nodes[i].main);
            ngx_http_dvc_redis_link_shutdown(&top->nodes[i].durable);
        }
    }
}


/* Sentinel names a new address: the links to the old one are dropped
 * (their pending commands get no reply: 503, outcome unknown). */
static void
ngx_http_dvc_redis_moved(void *data, ngx_uint_t replica, const char *host,
    size_t host_len, const char *port, size_t port_len)
{
    ngx_http_dvc_redis_t       *top = data;
    ngx_http_dvc_redis_addr_t  *addr, old;

    addr = replica ? &top->replica : &top->master;
    old = *addr;

    if (ngx_http_dvc_redis_addr_set(addr, host, host_len, port, port_len)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, top->log, 0,
                      "dvc: redis sentinel names \"%*s:%*s\", not a numeric "
                      "address: ignored", host_len, host, port_len, port);
        *addr = old;
        addr->text.data = addr->text_buf;
        return;
    }

    if (old.port == addr->port && ngx_strcmp(old.host, addr->host) == 0) {
        /* the same (known again after a ROLE or READONLY refusal: the
         * connection's backoff paces the next check) */
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, top->log, 0,
                  "dvc: redis %s is \"%V\" now (was \"%s\")",
                  replica ? "replica for reads" : "master", &addr->text,
                  old.known ? (char *) old.text_buf : "unknown");

    if (replica) {
        top->read.failures = 0;
        ngx_http_dvc_redis_reset(&top->read, "the replica changed");
        return;
    }

    top->main.failures = 0;
    top->durable.failures = 0;
    ngx_http_dvc_redis_reset(&top->main, "the master changed");
    ngx_http_dvc_redis_reset(&top->durable, "the master changed");
}


static void
ngx_http_dvc_redis_forget(void *data, ngx_uint_t replica)
{
    ngx_http_dvc_redis_t       *top = data;
    ngx_http_dvc_redis_addr_t  *addr;

    addr = replica ? &top->replica : &top->master;

    if (addr->known) {
        ngx_log_error(NGX_LOG_NOTICE, top->log, 0,
                      "dvc: redis %s \"%V\" forgotten, asking sentinel",
                      replica ? "replica for reads" : "master", &addr->text);
    }

    addr->known = 0;
}


static ngx_int_t
ngx_http_dvc_redis_connect(ngx_http_dvc_redis_link_t *redis)
{
    ngx_int_t           rc;
    redisAsyncContext  *ac;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, redis->log, 0,
                   "dvc: redis connecting to %V", &redis->addr->text);

    if (redis->addr->unix_path) {
        ac = redisAsyncConnectUnix(redis->addr->unix_path);

    } else {
        ac = redisAsyncConnect(redis->addr->host, redis->addr->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                      "dvc: redis connect to \"%V\" failed: out of memory",
                      &redis->addr->text);
        ngx_http_dvc_redis_failed(redis);
        return NGX_ERROR;
    }

    if (ac->err) {
        if (!redis->logged_down) {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis connect to \"%V\" failed: %s",
                          &redis->addr->text, ac->errstr);
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
ngx_http_dvc_redis_setup(ngx_http_dvc_redis_link_t *redis)
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

    if (redis->role) {
        /* Sentinel's answer may be stale (a failover under way, the old
         * master back as a replica): the server says what it is */
        argv[0] = "ROLE";
        argvlen[0] = 4;

        if (redisAsyncCommandArgv(ac, ngx_http_dvc_redis_setup_reply, "ROLE",
                                  1, argv, argvlen)
            != REDIS_OK)
        {
            ngx_http_dvc_redis_reset(redis, "ROLE not queued");
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
    ngx_http_dvc_redis_link_t  *redis = data;

    if (ac->err) {
        if (!redis->logged_down) {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis connection to \"%V\" lost: %s",
                          &redis->addr->text, ac->errstr);
            redis->logged_down = 1;
        }

        /* a reset() counted its failure already and left err at 0 */
        ngx_http_dvc_redis_failed(redis);

        /* the master may have died: Sentinel says whether it moved */
        if (redis->top->sentinel && !redis->top->exiting) {
            ngx_http_dvc_sentinel_lost(redis->top->sentinel,
                                       "connection lost");
        }

        /* a cluster node may have died: its slots move to a replica */
        if (redis->top->cluster && !redis->top->exiting) {
            ngx_http_dvc_redis_cluster_refresh(redis->top);
        }
    }

    if (redis->up) {
        if (redis->metrics) {
            ngx_http_dvc_metrics_redis_up(0, 0);
        }
        redis->up = 0;
    }

    /* after the pipelined commands' NULL replies (hiredis ran them just
     * before this hook), with the backoff already set: a handler sending
     * again is refused at once instead of reconnecting from here */
    ngx_http_dvc_redis_drop_held(redis);
}


/* Drop the connection now; pending commands get their NULL reply. */
static void
ngx_http_dvc_redis_reset(ngx_http_dvc_redis_link_t *redis, const char *why)
{
    redisAsyncContext  *ac;

    ac = redis->adapter.ac;
    if (ac == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                  "dvc: redis connection to \"%V\" dropped: %s",
                  &redis->addr->text, why);
    redis->logged_down = 1;

    ngx_http_dvc_redis_failed(redis);
    redisAsyncFree(ac);
}


/* Capped exponential backoff with jitter: while it runs, commands are
 * refused at once (503) instead of piling up behind a dead server. */
static void
ngx_http_dvc_redis_failed(ngx_http_dvc_redis_link_t *redis)
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
    ngx_http_dvc_redis_link_t  *redis = ac->data;

    if (status != REDIS_OK) {
        if (!redis->logged_down) {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis connect to \"%V\" failed: %s",
                          &redis->addr->text, ac->errstr);
            redis->logged_down = 1;
        }
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, redis->log, 0,
                   "dvc: redis connected to %V", &redis->addr->text);

    if (redis->metrics) {
        ngx_http_dvc_metrics_redis_up(1, !redis->was_up);
    }
    redis->up = 1;
    redis->was_up = 1;
}


static void
ngx_http_dvc_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_dvc_redis_link_t  *redis = ac->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, redis->log, 0,
                   "dvc: redis disconnected from %V, status %d",
                   &redis->addr->text, status);
}


static void
ngx_http_dvc_redis_setup_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_dvc_val_t     v;
    ngx_http_dvc_redis_link_t  *redis = ac->data;

    /* NULL: the connection went; its cleanup answers the held batches */
    if (reply == NULL) {
        return;
    }

    if (ngx_strcmp(privdata, "ROLE") == 0) {
        ngx_http_dvc_reply_vals(reply, &v, 1);

        if (v.type != NGX_HTTP_DVC_VAL_STRING
            || (ngx_strcmp(redis->role, "master") == 0
                && ngx_strcmp(v.str, "master") != 0))
        {
            ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                          "dvc: redis \"%V\" says ROLE \"%s\", not %s",
                          &redis->addr->text,
                          v.type == NGX_HTTP_DVC_VAL_STRING ? v.str : "?",
                          redis->role);

            ngx_http_dvc_redis_forget(redis->top, redis->role[0] == 's');
            ngx_http_dvc_redis_reset(redis, "not the master");
            ngx_http_dvc_sentinel_lost(redis->top->sentinel,
                                       "ROLE: not the master");
            return;
        }

        if (redis->setup_pending && --redis->setup_pending == 0) {
            ngx_http_dvc_redis_release(redis);
        }

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
    if (reply == NULL) {
        return;
    }

    ngx_http_dvc_reply_val(reply, &v);

    if (rcmd->nreplied++ == rcmd->skip && v.type == NGX_HTTP_DVC_VAL_ERROR) {
        /* dvc_redis_cluster: nothing of the batch ran before a refusal */
        rcmd->first_failed = 1;
    }

    if (rcmd->refused_len) {
        return;
    }

    if (v.type != NGX_HTTP_DVC_VAL_ERROR) {
        return;
    }

    rcmd->refused_len = ngx_min(v.len, sizeof(rcmd->refused));
    ngx_memcpy(rcmd->refused, v.str, rcmd->refused_len);
}


/* With Sentinel, -READONLY says the master is a replica now: forget it,
 * drop the connection (after the reply is handled: we are in hiredis's
 * callback, the free is deferred) and ask Sentinel. */
static ngx_uint_t
ngx_http_dvc_redis_readonly(ngx_http_dvc_redis_link_t *redis, const char *err)
{
    if (redis->top->sentinel == NULL || redis->role == NULL
        || ngx_strcmp(redis->role, "master") != 0
        || err == NULL || ngx_strncmp(err, "READONLY", 8) != 0
        || redis->top->exiting)
    {
        return 0;
    }

    ngx_log_error(NGX_LOG_ERR, redis->log, 0,
                  "dvc: redis \"%V\" answers READONLY: not the master any "
                  "more", &redis->addr->text);

    ngx_http_dvc_redis_forget(redis->top, 0);
    ngx_http_dvc_redis_reset(redis, "READONLY");
    ngx_http_dvc_sentinel_lost(redis->top->sentinel, "READONLY");

    return 1;
}


/* dvc_redis_wait: the batch's last reply (EXEC's), copied, for WAIT's
 * callback to hand over once the replicas acknowledged it.  NULL: the
 * connection went, WAIT's callback gets NULL too. */
static void
ngx_http_dvc_redis_kept_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_dvc_rcmd_t  *rcmd = privdata;

    if (reply == NULL || rcmd->request == NULL || rcmd->redis->top->exiting) {
        return;
    }

    rcmd->kept = ngx_http_dvc_redis_copy(reply, 0);
    if (rcmd->kept == NULL) {
        rcmd->kept_failed = 1;
    }
}


/* A deep copy in hiredis's own layout (malloc'd), freed with
 * freeReplyObject(). */
static redisReply *
ngx_http_dvc_redis_copy(const redisReply *rr, ngx_uint_t depth)
{
    size_t       i;
    redisReply  *c;

    if (depth > 8) {
        return NULL;
    }

    c = calloc(1, sizeof(redisReply));
    if (c == NULL) {
        return NULL;
    }

    c->type = rr->type;
    c->integer = rr->integer;

    if (rr->str) {
        c->str = malloc(rr->len + 1);
        if (c->str == NULL) {
            freeReplyObject(c);
            return NULL;
        }
        ngx_memcpy(c->str, rr->str, rr->len);
        c->str[rr->len] = '\0';
        c->len = rr->len;
    }

    if (rr->type == REDIS_REPLY_ARRAY && rr->elements) {
        c->element = calloc(rr->elements, sizeof(redisReply *));
        if (c->element == NULL) {
            freeReplyObject(c);
            return NULL;
        }

        c->elements = rr->elements;

        for (i = 0; i < rr->elements; i++) {
            c->element[i] = ngx_http_dvc_redis_copy(rr->element[i], depth + 1);
            if (c->element[i] == NULL) {
                freeReplyObject(c);
                return NULL;
            }
        }
    }

    return c;
}


static void
ngx_http_dvc_redis_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    const char                 *err;
    redisReply                 *kept, *wait;
    ngx_uint_t                  readonly;
    ngx_http_request_t         *r;
    ngx_http_dvc_rcmd_t        *rcmd = privdata;
    ngx_http_dvc_redis_link_t  *redis = rcmd->redis;

    if (reply) {
        if (redis->logged_down) {
            ngx_log_error(NGX_LOG_NOTICE, redis->log, 0,
                          "dvc: redis \"%V\" answers again",
                          &redis->addr->text);
        }
        redis->failures = 0;
        redis->logged_down = 0;
    }

    r = rcmd->request;

    if (r == NULL || redis->top->exiting) {
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

    kept = NULL;

    if (rcmd->durable && reply) {
        /* the handler gets EXEC's reply, once WAIT says enough replicas
         * have it; else no reply: the dossier may be recorded, only on a
         * master that may yet lose it */
        wait = reply;
        kept = rcmd->kept;
        rcmd->kept = NULL;
        reply = kept;

        if (kept == NULL) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "dvc: redis reply not kept for WAIT%s",
                          rcmd->kept_failed ? ": out of memory" : "");

        } else if (kept->type != REDIS_REPLY_ERROR
                   && (wait->type != REDIS_REPLY_INTEGER
                       || wait->integer < (long long) redis->wait_n))
        {
            if (wait->type == REDIS_REPLY_INTEGER) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "dvc: redis WAIT: %L of %ui replica(s) "
                              "acknowledged within %M ms",
                              (int64_t) wait->integer, redis->wait_n,
                              redis->wait_timeout);
            } else {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "dvc: redis WAIT failed: %s",
                              wait->type == REDIS_REPLY_ERROR
                              ? wait->str : "unexpected reply");
            }

            reply = NULL;
        }
    }

    /* dvc_redis_cluster: sent again where the cluster says (or after
     * TRYAGAIN's pause); that send's reply or timeout answers */
    if (redis->top->cluster
        && ngx_http_dvc_redis_redirect(rcmd, r, reply) == NGX_OK)
    {
        ngx_http_dvc_redis_done(rcmd, kept);
        return;
    }

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

    /* a write refused, alone or inside MULTI (EXEC: EXECABORT) */
    readonly = reply && ((redisReply *) reply)->type == REDIS_REPLY_ERROR
               && (ngx_strncmp(((redisReply *) reply)->str, "READONLY", 8)
                   == 0
                   || (rcmd->refused_len >= 8
                       && ngx_strncmp(rcmd->refused, "READONLY", 8) == 0));

    rcmd->handler(r, (ngx_http_dvc_reply_t *) reply, rcmd->data);

    ngx_http_dvc_redis_done(rcmd, kept);

    if (readonly) {
        (void) ngx_http_dvc_redis_readonly(redis, "READONLY");
    }
}


/* dvc_redis_cluster: a batch refused TRYAGAIN, waiting to go again */
struct ngx_http_dvc_redis_retry_s {
    ngx_event_t                     ev;
    ngx_http_request_t             *request;
    ngx_http_dvc_redis_handler_pt   handler;
    void                           *data;
    ngx_http_dvc_redis_t           *top;
    ngx_pool_cleanup_t             *cleanup;
    ngx_http_dvc_redis_cmd_t       *block;     /* the copy, ngx_free()d */
    ngx_http_dvc_redis_cmd_t       *cmds;      /* in it */
    ngx_uint_t                      n;
    ngx_uint_t                      hops;
    ngx_msec_t                      deadline;
    ngx_uint_t                      durable;
};


/*
 * dvc_redis_cluster: the batch's last reply says its slot is served
 * elsewhere.  MOVED: the map is corrected at once (and asked for whole),
 * the batch goes to the node named; ASK: to that node this once, after
 * ASKING (a slot being migrated, the key already there or new); TRYAGAIN
 * (the batch's keys on both sides of a migration): the same way again after
 * NGX_HTTP_DVC_CLUSTER_TRYAGAIN ms.  Only a batch none of which ran goes
 * again: one command, a MULTI (a refused command or EXEC's check aborts it
 * whole), or one whose first command was refused; within the first send's
 * deadline and at most NGX_HTTP_DVC_CLUSTER_HOPS times.  NGX_OK: sent again
 * (or waiting); NGX_DECLINED: the handler gets the reply.
 */
static ngx_int_t
ngx_http_dvc_redis_redirect(ngx_http_dvc_rcmd_t *rcmd, ngx_http_request_t *r,
    void *reply)
{
    size_t                       len;
    ngx_int_t                    node, rc;
    const char                  *err, *host;
    redisReply                  *rr = reply;
    dvc_redirect_t               rd;
    ngx_http_dvc_redis_t        *top;
    ngx_http_dvc_redis_link_t   *link, *to;

    link = rcmd->redis;
    top = link->top;

    if (rr == NULL || rr->type != REDIS_REPLY_ERROR || rcmd->copy == NULL) {
        return NGX_DECLINED;
    }

    err = rr->str;
    len = rr->len;

    if (len >= 9 && ngx_strncmp(err, "EXECABORT", 9) == 0
        && rcmd->refused_len)
    {
        err = (const char *) rcmd->refused;
        len = rcmd->refused_len;
    }

    if (dvc_cluster_redirect(err, len, &rd) == DVC_REDIRECT_NONE) {
        return NGX_DECLINED;
    }

    if (!rcmd->atomic && !rcmd->first_failed) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: redis cluster \"%V\": \"%*s\" after part of "
                      "a batch ran: not sent again", &link->addr->text, len,
                      err);
        return NGX_DECLINED;
    }

    if (rcmd->hops >= NGX_HTTP_DVC_CLUSTER_HOPS
        || (ngx_msec_int_t) (rcmd->deadline - ngx_current_msec) <= 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: redis cluster \"%V\": \"%*s\" after %ui "
                      "redirection(s): given up", &link->addr->text, len, err,
                      rcmd->hops);
        return NGX_DECLINED;
    }

    if (rd.kind == DVC_REDIRECT_TRYAGAIN) {
        return ngx_http_dvc_redis_tryagain_later(rcmd, r);
    }

    host = rd.host[0] ? rd.host : link->addr->host;
    node = ngx_http_dvc_cluster_node(top->cluster, host, ngx_strlen(host),
                                     rd.port);
    if (node == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: redis cluster: \"%*s\" names no usable node",
                      len, err);
        return NGX_DECLINED;
    }

    if (rd.kind == DVC_REDIRECT_MOVED) {
        top->cluster->slot[rd.slot] = (uint8_t) (node + 1);
        ngx_http_dvc_redis_cluster_refresh(top);
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: redis cluster: slot %ui %s \"%V\" (from \"%V\")",
                  (ngx_uint_t) rd.slot,
                  rd.kind == DVC_REDIRECT_MOVED ? "moved to" : "asked of",
                  &top->cluster->node[node].text, &link->addr->text);

    to = rcmd->durable ? &top->nodes[node].durable : &top->nodes[node].main;

    rc = ngx_http_dvc_redis_resend(r, to, rcmd->copy, rcmd->ncopy,
                                   rd.kind == DVC_REDIRECT_ASK,
                                   rcmd->hops + 1, rcmd->deadline,
                                   rcmd->handler, rcmd->data);
    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    /* this send's reference on the request: the new one holds its own */
    r->main->count--;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dvc_redis_tryagain_later(ngx_http_dvc_rcmd_t *rcmd,
    ngx_http_request_t *r)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_dvc_redis_retry_t  *retry;

    retry = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_redis_retry_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (retry == NULL || cln == NULL) {
        return NGX_DECLINED;
    }

    retry->request = r;
    retry->handler = rcmd->handler;
    retry->data = rcmd->data;
    retry->top = rcmd->redis->top;
    retry->cleanup = cln;
    retry->block = rcmd->copy;
    retry->cmds = rcmd->copy;
    retry->n = rcmd->ncopy;
    retry->hops = rcmd->hops + 1;
    retry->deadline = rcmd->deadline;
    retry->durable = rcmd->durable;

    /* the record goes back, the copy stays with the retry */
    rcmd->copy = NULL;

    retry->ev.handler = ngx_http_dvc_redis_tryagain;
    retry->ev.data = retry;
    retry->ev.log = r->connection->log;

    cln->handler = ngx_http_dvc_redis_tryagain_gone;
    cln->data = retry;

    /* the request keeps this send's reference until the next send */
    ngx_add_timer(&retry->ev, NGX_HTTP_DVC_CLUSTER_TRYAGAIN);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "dvc: redis cluster: TRYAGAIN, the batch waits");

    return NGX_OK;
}


static void
ngx_http_dvc_redis_tryagain(ngx_event_t *ev)
{
    ngx_int_t                    rc;
    ngx_http_request_t          *r;
    ngx_http_dvc_redis_link_t   *link;
    ngx_http_dvc_redis_retry_t  *retry = ev->data;

    r = retry->request;
    retry->cleanup->handler = NULL;

    link = retry->top->exiting
           ? NULL
           : ngx_http_dvc_redis_cluster_link(retry->top, retry->cmds,
                                             retry->n, retry->durable);

    rc = link ? ngx_http_dvc_redis_resend(r, link, retry->cmds, retry->n, 0,
                                          retry->hops, retry->deadline,
                                          retry->handler, retry->data)
              : NGX_DECLINED;

    ngx_free(retry->block);
    retry->block = NULL;

    if (rc == NGX_OK) {
        r->main->count--;
        return;
    }

    retry->handler(r, NULL, retry->data);
}


static void
ngx_http_dvc_redis_tryagain_gone(void *data)
{
    ngx_http_dvc_redis_retry_t  *retry = data;

    if (retry->ev.timer_set) {
        ngx_del_timer(&retry->ev);
    }

    if (retry->block) {
        ngx_free(retry->block);
        retry->block = NULL;
    }
}


/* A batch sent again, carrying the first send's deadline and the hops so
 * far.  For an ASK, ASKING goes before it (a MULTI) or before each of its
 * commands: the flag lasts one command outside a transaction.  ASKINGs of
 * an earlier ASK are left out. */
static ngx_int_t
ngx_http_dvc_redis_resend(ngx_http_request_t *r,
    ngx_http_dvc_redis_link_t *link, ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_uint_t asking, ngx_uint_t hops, ngx_msec_t deadline,
    ngx_http_dvc_redis_handler_pt handler, void *data)
{
    ngx_int_t                  rc;
    ngx_uint_t                 i, m, multi;
    ngx_http_dvc_redis_t      *top;
    ngx_http_dvc_redis_cmd_t  *all;

    static const char         *asking_argv[] = { "ASKING" };
    static const size_t        asking_len[] = { 6 };

    top = link->top;

    all = ngx_alloc(2 * n * sizeof(ngx_http_dvc_redis_cmd_t),
                    r->connection->log);
    if (all == NULL) {
        return NGX_ERROR;
    }

    multi = 0;
    m = 0;

    for (i = 0; i < n; i++) {
        if (ngx_http_dvc_redis_is(&cmds[i], "ASKING")) {
            continue;
        }

        if (m == 0 && ngx_http_dvc_redis_is(&cmds[i], "MULTI")) {
            multi = 1;
        }

        if (asking && (m == 0 || !multi)) {
            all[m].argc = 1;
            all[m].argv = (const char **) asking_argv;
            all[m].argvlen = asking_len;
            m++;
        }

        all[m++] = cmds[i];
    }

    top->hop = hops;
    top->hop_deadline = deadline;

    rc = ngx_http_dvc_redis_link_send(r, link, all, m, handler, data);

    top->hop = 0;

    ngx_free(all);

    return rc;
}


static ngx_uint_t
ngx_http_dvc_redis_is(ngx_http_dvc_redis_cmd_t *cmd, const char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return cmd->argc >= 1 && cmd->argvlen[0] == len
           && ngx_strncasecmp((u_char *) cmd->argv[0], (u_char *) name, len)
              == 0;
}


static void
ngx_http_dvc_redis_done(ngx_http_dvc_rcmd_t *rcmd, redisReply *kept)
{
    if (kept) {
        freeReplyObject(kept);
    }

    ngx_http_dvc_rcmd_put(rcmd);
}


static void
ngx_http_dvc_redis_timeout(ngx_event_t *ev)
{
    void                           *data;
    ngx_http_request_t             *r;
    ngx_http_dvc_rcmd_t            *rcmd = ev->data;
    ngx_http_dvc_redis_link_t           *redis = rcmd->redis;
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
                  &redis->addr->text, redis->conf->redis_timeout);

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
ngx_http_dvc_rcmd_get(ngx_http_dvc_redis_link_t *redis)
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
    ngx_http_dvc_redis_link_t  *redis = rcmd->redis;

    ngx_http_dvc_metrics_redis_pending(-1);

    if (rcmd->kept) {
        freeReplyObject(rcmd->kept);
        rcmd->kept = NULL;
    }

    if (rcmd->held) {
        ngx_free(rcmd->held);
        rcmd->held = NULL;
    }

    if (rcmd->copy) {
        ngx_free(rcmd->copy);
        rcmd->copy = NULL;
    }

    if (redis->top->exiting) {
        ngx_free(rcmd);
        return;
    }

    rcmd->next = redis->free;
    redis->free = rcmd;
}
