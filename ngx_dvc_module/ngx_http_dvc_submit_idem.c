/*
 * The submission's Idempotency-Key (ngx_http_dvc_submit.h): a retry with the
 * same key and body gets the first answer, the same key with another body
 * 409.  The key is reserved with SET NX and a random mark, read back in the
 * same round trip: the mark tells whether this request won the reservation.
 * What the submission does next is its own: idem->done runs with the
 * outcome, so this file calls none of ngx_http_dvc_submit.c.
 */

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ngx_http_dvc_submit.h"
#include "dvc_code.h"
#include "dvc_cluster.h"


#define NGX_HTTP_DVC_IDEM_PENDING    "10"          /* a submission in flight */
#define NGX_HTTP_DVC_IDEM_KEY_MAX    255


static void ngx_http_dvc_submit_idem_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);


ngx_int_t
ngx_http_dvc_submit_idem(ngx_http_request_t *r,
    ngx_http_dvc_submit_idem_t *idem, ngx_str_t *key, const char *agency)
{
    u_char                     *p;
    const char                 *argv[7];
    size_t                      argvlen[7];
    unsigned char               digest[SHA256_DIGEST_LENGTH];
    unsigned char               nonce[12];
    ngx_uint_t                  part;
    ngx_http_dvc_redis_cmd_t    cmds[2];
    ngx_http_dvc_main_conf_t   *dmcf;

    if (key->len == 0 || key->len > NGX_HTTP_DVC_IDEM_KEY_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: submission refused: Idempotency-Key of %uz bytes",
                      key->len);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_BAD_IDEMPOTENCY);
    }

    /* the client's key is hashed: any bytes, fixed length in Redis */
    SHA256(key->data, key->len, digest);

    idem->key.data = ngx_pnalloc(r->pool, sizeof("dvc:idem::") - 1 + DVC_CLUSTER_TAG_MAX
                                          + SHA256_DIGEST_LENGTH * 2);
    if (idem->key.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(idem->key.data, "dvc:idem:", sizeof("dvc:idem:") - 1);

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->redis_cluster) {
        /* in the agency's partition, with its sequence and dossiers (the
         * batch has no key that names it): docs/redis.md */
        part = dvc_cluster_part(agency, ngx_strlen(agency));
        p = ngx_sprintf(p, "{%s}:", dvc_cluster_tag(part));
    }
    p = ngx_hex_dump(p, digest, SHA256_DIGEST_LENGTH);
    idem->key.len = p - idem->key.data;

    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    idem->mark.data = ngx_pnalloc(r->pool, sizeof("pending:") - 1
                                           + sizeof(nonce) * 2);
    if (idem->mark.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(idem->mark.data, "pending:", sizeof("pending:") - 1);
    p = ngx_hex_dump(p, nonce, sizeof(nonce));
    idem->mark.len = p - idem->mark.data;

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = (const char *) idem->key.data;
    argvlen[1] = idem->key.len;
    argv[2] = (const char *) idem->mark.data;
    argvlen[2] = idem->mark.len;
    argv[3] = "NX";
    argvlen[3] = 2;
    argv[4] = "EX";
    argvlen[4] = 2;
    argv[5] = NGX_HTTP_DVC_IDEM_PENDING;
    argvlen[5] = sizeof(NGX_HTTP_DVC_IDEM_PENDING) - 1;

    cmds[0].argc = 6;
    cmds[0].argv = argv;
    cmds[0].argvlen = argvlen;

    cmds[1].argc = 2;
    cmds[1].argv = (const char *[]) { "GET", (const char *) idem->key.data };
    cmds[1].argvlen = (size_t[]) { 3, idem->key.len };

    if (ngx_http_dvc_redis_send(r, cmds, 2, ngx_http_dvc_submit_idem_reply,
                                idem)
        == NGX_OK)
    {
        return NGX_DONE;
    }

    return NGX_DECLINED;
}


static void
ngx_http_dvc_submit_idem_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data)
{
    ngx_http_dvc_submit_idem_t *idem = data;

    u_char              *sep;
    ngx_str_t            v;
    ngx_http_dvc_val_t   got;

    ngx_http_dvc_reply_val(reply, &got);

    if (reply == NULL || got.type == NGX_HTTP_DVC_VAL_ERROR) {
        idem->why = reply ? got.str : "no reply";
        ngx_http_dvc_finalize(r, idem->done(r, idem,
                                            NGX_HTTP_DVC_IDEM_UNAVAILABLE));
        return;
    }

    if (got.type != NGX_HTTP_DVC_VAL_STRING) {
        /* nil from the GET right behind SET NX EX 10 in the same pipeline:
         * the SET was refused (Redis full, read-only...; the adapter logs
         * why), nothing expired.  Going on would record the dossier with no
         * reservation to keep a concurrent retry from recording it twice */
        idem->why = "the Idempotency-Key could not be reserved";
        ngx_http_dvc_finalize(r, idem->done(r, idem,
                                            NGX_HTTP_DVC_IDEM_UNAVAILABLE));
        return;
    }

    v.data = (u_char *) got.str;
    v.len = got.len;

    if (v.len == idem->mark.len
        && ngx_strncmp(v.data, idem->mark.data, v.len) == 0)
    {
        /* this request holds the key */
        ngx_http_dvc_finalize(r, idem->done(r, idem, NGX_HTTP_DVC_IDEM_HELD));
        return;
    }

    /* done:<body sha256>:<code>:<answer> */
    if (v.len > 5 + 64 + 1 + DVC_CODE_LEN + 1
        && ngx_strncmp(v.data, "done:", 5) == 0)
    {
        if (ngx_strncmp(v.data + 5, idem->body_sha, 64) != 0) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "dvc: Idempotency-Key reused with another body");
            ngx_http_dvc_finalize(r,
                ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_IDEMPOTENCY_CONFLICT));
            return;
        }

        idem->code.data = v.data + 5 + 64 + 1;
        idem->code.len = DVC_CODE_LEN;
        sep = idem->code.data + DVC_CODE_LEN;

        /* the reply is freed when this handler returns, while an answer
         * nginx cannot write at once (a slow client) waits in the output
         * chain: the answer is copied into the request's pool (the code
         * only goes into the log and the Location header, copied there) */
        idem->answer.len = v.data + v.len - (sep + 1);
        idem->answer.data = ngx_pnalloc(r->pool, idem->answer.len);
        if (idem->answer.data == NULL) {
            ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        ngx_memcpy(idem->answer.data, sep + 1, idem->answer.len);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: idempotent retry answered with \"%V\"",
                      &idem->code);

        ngx_http_dvc_finalize(r, idem->done(r, idem,
                                            NGX_HTTP_DVC_IDEM_REPLAY));
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: Idempotency-Key in use by a submission in flight");
    ngx_http_dvc_finalize(r,
        ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_IDEMPOTENCY_BUSY));
}
