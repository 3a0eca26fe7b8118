/*
 * The slot map of dvc_redis_cluster (ngx_http_dvc_cluster.h).
 */

#include "ngx_http_dvc_cluster.h"


ngx_http_dvc_cluster_t *
ngx_http_dvc_cluster_create(ngx_conf_t *cf, ngx_array_t *seeds)
{
    ngx_uint_t                  i;
    ngx_http_dvc_cluster_t     *c;
    ngx_http_dvc_redis_addr_t  *a;

    c = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_cluster_t));
    if (c == NULL) {
        return NULL;
    }

    a = seeds->elts;

    for (i = 0; i < seeds->nelts && i < NGX_HTTP_DVC_CLUSTER_NODES; i++) {
        c->node[i] = a[i];
        c->node[i].text.data = c->node[i].text_buf;
    }

    c->nnodes = i;
    c->nseeds = i;

    return c;
}


ngx_int_t
ngx_http_dvc_cluster_node(ngx_http_dvc_cluster_t *c, const char *host,
    size_t host_len, ngx_int_t port)
{
    u_char                      pbuf[NGX_INT_T_LEN];
    size_t                      plen;
    ngx_uint_t                  i;
    ngx_http_dvc_redis_addr_t  *a;

    for (i = 0; i < c->nnodes; i++) {
        a = &c->node[i];

        if (a->port == port && ngx_strlen(a->host) == host_len
            && ngx_strncmp(a->host, host, host_len) == 0)
        {
            return i;
        }
    }

    if (c->nnodes == NGX_HTTP_DVC_CLUSTER_NODES) {
        return NGX_ERROR;
    }

    plen = ngx_sprintf(pbuf, "%i", port) - pbuf;

    a = &c->node[c->nnodes];

    if (ngx_http_dvc_redis_addr_set(a, host, host_len, (const char *) pbuf,
                                    plen)
        != NGX_OK)
    {
        ngx_memzero(a, sizeof(ngx_http_dvc_redis_addr_t));
        return NGX_ERROR;
    }

    return c->nnodes++;
}


ngx_int_t
ngx_http_dvc_cluster_slots(ngx_http_dvc_cluster_t *c,
    ngx_http_dvc_reply_t *reply, ngx_http_dvc_redis_addr_t *asked,
    ngx_log_t *log)
{
    size_t                 hlen;
    ngx_int_t              n, i, node;
    const char            *host;
    ngx_uint_t             s, covered, level;
    ngx_http_dvc_val_t     range[2], ep[2];
    ngx_http_dvc_reply_t  *entry, *master;
    uint8_t                slot[DVC_CLUSTER_SLOTS];

    n = ngx_http_dvc_reply_vals(reply, NULL, 0);
    if (n <= 0) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "dvc: redis cluster \"%V\" answers CLUSTER SLOTS with "
                      "%s", &asked->text,
                      n == 0 ? "no slot" : "no array");
        return NGX_ERROR;
    }

    ngx_memzero(slot, sizeof(slot));
    covered = 0;

    for (i = 0; i < n; i++) {
        entry = ngx_http_dvc_reply_elem(reply, i);

        /* [start, end, [host, port, id, ...], replicas...] */
        if (ngx_http_dvc_reply_vals(entry, range, 2) < 3
            || range[0].type != NGX_HTTP_DVC_VAL_INTEGER
            || range[1].type != NGX_HTTP_DVC_VAL_INTEGER
            || range[0].integer < 0 || range[1].integer < range[0].integer
            || range[1].integer >= DVC_CLUSTER_SLOTS)
        {
            goto malformed;
        }

        master = ngx_http_dvc_reply_elem(entry, 2);

        if (ngx_http_dvc_reply_vals(master, ep, 2) < 2
            || ep[0].type != NGX_HTTP_DVC_VAL_STRING
            || ep[1].type != NGX_HTTP_DVC_VAL_INTEGER)
        {
            goto malformed;
        }

        host = ep[0].str;
        hlen = ep[0].len;

        /* Redis 7: an empty (or "?") endpoint is the node asked */
        if (hlen == 0 || (hlen == 1 && host[0] == '?')) {
            host = asked->host;
            hlen = ngx_strlen(asked->host);
        }

        node = ngx_http_dvc_cluster_node(c, host, hlen, ep[1].integer);
        if (node == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "dvc: redis cluster node \"%*s:%L\" ignored: not a "
                          "numeric address, or over %d nodes", hlen, host,
                          ep[1].integer, NGX_HTTP_DVC_CLUSTER_NODES);
            continue;
        }

        for (s = range[0].integer; s <= (ngx_uint_t) range[1].integer; s++) {
            if (slot[s] == 0) {
                covered++;
            }
            slot[s] = (uint8_t) (node + 1);
        }
    }

    /* a change at notice (or warn: slots unserved), the same at info */
    level = covered != c->covered
            ? (covered == DVC_CLUSTER_SLOTS ? NGX_LOG_NOTICE : NGX_LOG_WARN)
            : NGX_LOG_INFO;

    {
        ngx_log_error(level, log, 0, "dvc: redis cluster map from \"%V\": %ui of "
                      "%d slots served", &asked->text, covered,
                      DVC_CLUSTER_SLOTS);
    }

    ngx_memcpy(c->slot, slot, sizeof(slot));
    c->covered = covered;

    return NGX_OK;

malformed:

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "dvc: redis cluster \"%V\": CLUSTER SLOTS entry %i is "
                  "malformed, map kept", &asked->text, i);
    return NGX_ERROR;
}


#define NGX_HTTP_DVC_CLUSTER_KEYS  64


ngx_int_t
ngx_http_dvc_cluster_route(ngx_http_dvc_redis_cmd_t *cmds, ngx_uint_t n,
    ngx_int_t *part, ngx_log_t *log)
{
    int          pos[NGX_HTTP_DVC_CLUSTER_KEYS], k, nk;
    const char  *tag;
    ngx_int_t    slot, s, p;
    ngx_uint_t   i;
    const char  *key;
    size_t       len;

    p = -1;

    for (i = 0; i < n && p < 0; i++) {
        nk = dvc_cluster_cmd_keys(cmds[i].argc, cmds[i].argv, cmds[i].argvlen,
                                  pos, NGX_HTTP_DVC_CLUSTER_KEYS);
        for (k = 0; k < nk && p < 0; k++) {
            p = dvc_cluster_key_part(cmds[i].argv[pos[k]],
                                     cmds[i].argvlen[pos[k]]);
        }
    }

    *part = p;
    slot = NGX_DECLINED;

    for (i = 0; i < n; i++) {
        nk = dvc_cluster_cmd_keys(cmds[i].argc, cmds[i].argv, cmds[i].argvlen,
                                  pos, NGX_HTTP_DVC_CLUSTER_KEYS);

        for (k = 0; k < nk; k++) {
            key = cmds[i].argv[pos[k]];
            len = cmds[i].argvlen[pos[k]];

            if (dvc_cluster_key_placed(key, len)) {
                if (p < 0) {
                    ngx_log_error(NGX_LOG_ALERT, log, 0,
                                  "dvc: redis cluster: key \"%*s\" has no "
                                  "partition in its batch", len, key);
                    return NGX_ERROR;
                }

                tag = dvc_cluster_tag((unsigned) p);
                s = dvc_cluster_slot(tag, ngx_strlen(tag));

            } else {
                s = dvc_cluster_slot(key, len);
            }

            if (slot != NGX_DECLINED && s != slot) {
                ngx_log_error(NGX_LOG_ALERT, log, 0,
                              "dvc: redis cluster: key \"%*s\" is not in "
                              "its batch's slot %i", len, key, slot);
                return NGX_ERROR;
            }

            slot = s;
        }
    }

    return slot;
}


size_t
ngx_http_dvc_cluster_key_len(const char *key, size_t len, ngx_int_t part)
{
    return (part >= 0 && dvc_cluster_key_placed(key, len))
           ? len + 3 + ngx_strlen(dvc_cluster_tag((unsigned) part)) : len;
}


u_char *
ngx_http_dvc_cluster_key_put(u_char *p, const char *key, size_t len,
    ngx_int_t part)
{
    int  n;

    if (part >= 0 && dvc_cluster_key_placed(key, len)) {
        /* the room is the caller's: the key's placed length, plus the
         * NUL dvc_cluster_key() writes, which the next bytes overwrite */
        n = dvc_cluster_key(key, len, (unsigned) part, (char *) p,
                            ngx_http_dvc_cluster_key_len(key, len, part) + 1);
        if (n > 0) {
            return p + n;
        }
    }

    return ngx_cpymem(p, key, len);
}
