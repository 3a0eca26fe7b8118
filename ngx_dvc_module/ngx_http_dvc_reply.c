/*
 * Redis's replies as the endpoints see them: typed values instead of
 * hiredis's redisReply tree.  This file and the connection
 * (ngx_http_dvc_redis.c) are the only ones that include hiredis; an endpoint
 * asks for the value or the array of values it expects and gets NGX_ERROR
 * (with what it was, for the log) when Redis answered something else.
 *
 * The values point into hiredis's reply, which is freed as soon as the
 * handler returns: what is kept longer is copied first (module.h).
 */

#include <hiredis/hiredis.h>

#include "ngx_http_dvc_module.h"


/* the types keep hiredis's numbers, so "type %d" in a log reads the same */
_Static_assert(REDIS_REPLY_STRING == NGX_HTTP_DVC_VAL_STRING
               && REDIS_REPLY_ARRAY == NGX_HTTP_DVC_VAL_ARRAY
               && REDIS_REPLY_INTEGER == NGX_HTTP_DVC_VAL_INTEGER
               && REDIS_REPLY_NIL == NGX_HTTP_DVC_VAL_NIL
               && REDIS_REPLY_STATUS == NGX_HTTP_DVC_VAL_STATUS
               && REDIS_REPLY_ERROR == NGX_HTTP_DVC_VAL_ERROR,
               "hiredis's reply types changed: see ngx_http_dvc_val_type_e");


static void
ngx_http_dvc_reply_set(const redisReply *rr, ngx_http_dvc_val_t *v)
{
    v->type = rr->type;
    v->integer = rr->type == REDIS_REPLY_INTEGER ? (int64_t) rr->integer : 0;

    switch (rr->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        v->str = rr->str;
        v->len = rr->len;
        break;

    default:
        v->str = NULL;
        v->len = 0;
    }
}


void
ngx_http_dvc_reply_val(ngx_http_dvc_reply_t *reply, ngx_http_dvc_val_t *v)
{
    if (reply == NULL) {
        ngx_memzero(v, sizeof(ngx_http_dvc_val_t));
        v->type = NGX_HTTP_DVC_VAL_NONE;
        return;
    }

    ngx_http_dvc_reply_set((const redisReply *) reply, v);
}


ngx_int_t
ngx_http_dvc_reply_vals(ngx_http_dvc_reply_t *reply, ngx_http_dvc_val_t *v,
    ngx_uint_t n)
{
    size_t             i;
    const redisReply  *rr = (const redisReply *) reply;

    if (rr == NULL || rr->type != REDIS_REPLY_ARRAY) {
        return NGX_ERROR;
    }

    for (i = 0; i < n && i < rr->elements; i++) {
        ngx_http_dvc_reply_set(rr->element[i], &v[i]);
    }

    for ( /* void */ ; i < n; i++) {
        ngx_memzero(&v[i], sizeof(ngx_http_dvc_val_t));
        v[i].type = NGX_HTTP_DVC_VAL_NONE;
    }

    return (ngx_int_t) rr->elements;
}


ngx_http_dvc_reply_t *
ngx_http_dvc_reply_elem(ngx_http_dvc_reply_t *reply, ngx_uint_t i)
{
    const redisReply  *rr = (const redisReply *) reply;

    if (rr == NULL || rr->type != REDIS_REPLY_ARRAY || i >= rr->elements) {
        return NULL;
    }

    return (ngx_http_dvc_reply_t *) rr->element[i];
}


const char *
ngx_http_dvc_reply_error(ngx_http_dvc_reply_t *reply)
{
    const redisReply  *rr = (const redisReply *) reply;

    if (rr == NULL || rr->type != REDIS_REPLY_ERROR) {
        return NULL;
    }

    return rr->str;
}


/* A decimal counter as the gateway writes them (ver, times): 1 and *out;
 * 0 when absent, -1 when not such a number (*out is 0 then). */
ngx_int_t
ngx_http_dvc_val_int(ngx_http_dvc_val_t *v, int64_t *out)
{
    size_t   i;
    int64_t  n;

    *out = 0;

    if (v->type != NGX_HTTP_DVC_VAL_STRING) {
        return 0;
    }

    if (v->len == 0 || v->len > 18) {
        return -1;
    }

    n = 0;
    for (i = 0; i < v->len; i++) {
        if (v->str[i] < '0' || v->str[i] > '9') {
            return -1;
        }
        n = n * 10 + (v->str[i] - '0');
    }

    *out = n;

    return 1;
}
