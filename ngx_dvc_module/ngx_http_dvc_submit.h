/*
 * The submission endpoint's parts (ngx_http_dvc_submit.c): the
 * Idempotency-Key (ngx_http_dvc_submit_idem.c) and the plan of a new
 * dossier as one MULTI/EXEC (ngx_http_dvc_submit_multi.c).
 */

#ifndef NGX_HTTP_DVC_SUBMIT_H_INCLUDED
#define NGX_HTTP_DVC_SUBMIT_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "dvc_submit.h"


/* What an Idempotency-Key's reservation found (idem->done's outcome). */
#define NGX_HTTP_DVC_IDEM_HELD         0   /* this request holds the key */
#define NGX_HTTP_DVC_IDEM_REPLAY       1   /* recorded before with this body:
                                              code and answer */
#define NGX_HTTP_DVC_IDEM_UNAVAILABLE  2   /* not reserved: why */

typedef struct ngx_http_dvc_submit_idem_s  ngx_http_dvc_submit_idem_t;

/* the submission's next step: what ngx_http_dvc_finalize() gets */
typedef ngx_int_t (*ngx_http_dvc_submit_idem_pt)(ngx_http_request_t *r,
    ngx_http_dvc_submit_idem_t *idem, ngx_uint_t outcome);

struct ngx_http_dvc_submit_idem_s {
    ngx_str_t                     key;       /* dvc:idem:<sha256 of header> */
    ngx_str_t                     mark;      /* pending:<nonce> */
    ngx_str_t                     code;      /* REPLAY: the first answer's,
                                                valid during done() */
    ngx_str_t                     answer;    /* REPLAY: its body (r->pool) */
    const char                   *why;       /* UNAVAILABLE */

    /* set by the caller */
    const u_char                 *body_sha;  /* the body's, 64 hex digits */
    ngx_http_dvc_submit_idem_pt   done;
    void                         *data;
};

/* Reserves key (the header's value) in agency's partition.  NGX_DONE:
 * sent, done() will run; NGX_DECLINED: Redis unavailable; else an
 * answer's status (400 for a bad key, sent; 500). */
ngx_int_t ngx_http_dvc_submit_idem(ngx_http_request_t *r,
    ngx_http_dvc_submit_idem_t *idem, ngx_str_t *key, const char *agency);


/* NGX_OK: sent, handler(data) will run; NGX_DECLINED: Redis unavailable
 * (503, nothing recorded); NGX_ERROR: no memory.  code: DVC_CODE_LEN
 * characters; idem_key empty without an Idempotency-Key. */
ngx_int_t ngx_http_dvc_submit_multi(ngx_http_request_t *r,
    dvc_submit_plan_t *plan, const char *code, ngx_str_t *idem_key,
    dvc_dossier_facts_t *facts, ngx_http_dvc_redis_handler_pt handler,
    void *data);

#endif /* NGX_HTTP_DVC_SUBMIT_H_INCLUDED */
