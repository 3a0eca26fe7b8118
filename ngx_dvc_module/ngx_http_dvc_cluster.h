/*
 * dvc_redis_cluster: a worker's map of the cluster (which node serves each
 * of the 16384 slots), built from CLUSTER SLOTS and corrected by MOVED.
 * No I/O here: ngx_http_dvc_redis.c holds one pipelined connection per node
 * (two with dvc_redis_wait), asks CLUSTER SLOTS and follows redirections;
 * the slot arithmetic is core/dvc_cluster.c's.
 */

#ifndef NGX_HTTP_DVC_CLUSTER_H_INCLUDED
#define NGX_HTTP_DVC_CLUSTER_H_INCLUDED

#include "ngx_http_dvc_redis_int.h"
#include "dvc_cluster.h"


/* nodes a worker knows at most (masters and the replicas promoted since it
 * started; a node is never forgotten while the worker lives) */
#define NGX_HTTP_DVC_CLUSTER_NODES  64


typedef struct {
    ngx_http_dvc_redis_addr_t  node[NGX_HTTP_DVC_CLUSTER_NODES];
    ngx_uint_t                 nnodes;
    ngx_uint_t                 nseeds;      /* the first nodes, configured */
    ngx_uint_t                 covered;     /* slots with a node */
    uint8_t                    slot[DVC_CLUSTER_SLOTS];  /* node + 1; 0 */
} ngx_http_dvc_cluster_t;


ngx_http_dvc_cluster_t *ngx_http_dvc_cluster_create(ngx_conf_t *cf,
    ngx_array_t *seeds);
/* the node at host:port, added if new; NGX_ERROR: not a numeric address,
 * or the table is full */
ngx_int_t ngx_http_dvc_cluster_node(ngx_http_dvc_cluster_t *c,
    const char *host, size_t host_len, ngx_int_t port);
/* CLUSTER SLOTS's reply, from the node "asked" (whose host stands for an
 * empty one): the whole map is replaced; NGX_ERROR leaves it as it was */
ngx_int_t ngx_http_dvc_cluster_slots(ngx_http_dvc_cluster_t *c,
    ngx_http_dvc_reply_t *reply, ngx_http_dvc_redis_addr_t *asked,
    ngx_log_t *log);
/* The slot a batch goes to once its keys are placed (core/dvc_cluster.h:
 * the partition from its dossier's or sequence's key, or from a key placed
 * already) and its partition into *part (-1: none).  NGX_DECLINED: no key;
 * NGX_ERROR: keys to place but no partition, or keys in two slots (logged:
 * a bug, Redis would refuse it CROSSSLOT). */
ngx_int_t ngx_http_dvc_cluster_route(ngx_http_dvc_redis_cmd_t *cmds,
    ngx_uint_t n, ngx_int_t *part, ngx_log_t *log);
/* The length of key once placed in partition part (as it is: len). */
size_t ngx_http_dvc_cluster_key_len(const char *key, size_t len,
    ngx_int_t part);
/* Writes it placed at p (ngx_http_dvc_cluster_key_len() bytes); returns
 * the end. */
u_char *ngx_http_dvc_cluster_key_put(u_char *p, const char *key, size_t len,
    ngx_int_t part);

#endif /* NGX_HTTP_DVC_CLUSTER_H_INCLUDED */
