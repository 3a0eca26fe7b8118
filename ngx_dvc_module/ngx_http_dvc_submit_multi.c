/*
 * A new dossier's plan (core/dvc_submit.h) as one transaction, sent with
 * dvc_redis_wait's WAIT after it when configured:
 *
 *   MULTI; HSET dvc:d:{code}; XADD dvc:inbox; ZADD dvc:idx:submitted;
 *   [SET dvc:idem:... done:... EX 86400]; HINCRBY...; SADD dvc:st:cells;
 *   [XADD dvc:notify]; [EVAL claim of the uploads]; EXEC
 *
 * Every argument lives in the plan or the request's pool until
 * ngx_http_dvc_redis_send_durable() returns.
 */

#include "ngx_http_dvc_submit.h"


#define NGX_HTTP_DVC_IDEM_TTL        "86400"       /* a day to retry */


/* One command of argc arguments, its arrays on the request's pool. */
static ngx_int_t
ngx_http_dvc_multi_cmd(ngx_http_request_t *r, ngx_http_dvc_redis_cmd_t *cmd,
    ngx_uint_t argc)
{
    cmd->argv = ngx_palloc(r->pool, argc * sizeof(char *));
    cmd->argvlen = ngx_palloc(r->pool, argc * sizeof(size_t));
    cmd->argc = 0;

    return cmd->argv && cmd->argvlen ? NGX_OK : NGX_ERROR;
}

/* (argvlen is const to the sender only: ngx_http_dvc_multi_cmd's own) */
#define ngx_http_dvc_multi_arg(cmd, s, l)                                     \
    (cmd)->argv[(cmd)->argc] = (const char *) (s);                            \
    ((size_t *) (cmd)->argvlen)[(cmd)->argc++] = (l)


/* XADD stream * f v ... of one of the plan's entries */
static ngx_int_t
ngx_http_dvc_multi_xadd(ngx_http_request_t *r, ngx_http_dvc_redis_cmd_t *cmd,
    const dvc_plan_xadd_t *x)
{
    ngx_uint_t  i;

    if (ngx_http_dvc_multi_cmd(r, cmd, 3 + 2 * x->nf) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_dvc_multi_arg(cmd, "XADD", 4);
    ngx_http_dvc_multi_arg(cmd, x->stream, x->stream_len);
    ngx_http_dvc_multi_arg(cmd, "*", 1);

    for (i = 0; i < x->nf; i++) {
        ngx_http_dvc_multi_arg(cmd, x->f[i].name, ngx_strlen(x->f[i].name));
        ngx_http_dvc_multi_arg(cmd, x->f[i].value, x->f[i].len);
    }

    return NGX_OK;
}



ngx_int_t
ngx_http_dvc_submit_multi(ngx_http_request_t *r, dvc_submit_plan_t *plan,
    const char *code, ngx_str_t *idem_key, dvc_dossier_facts_t *facts,
    ngx_http_dvc_redis_handler_pt handler, void *data)
{
    u_char                    *num;
    ngx_int_t                  rc;
    ngx_uint_t                 n, i;
    dvc_plan_t                *p = &plan->p;
    ngx_http_dvc_redis_cmd_t  *c, cmds[8 + DVC_PLAN_MAX_XADD
                                        + DVC_PLAN_MAX_INCR];

    n = 0;

    cmds[n].argc = 1;
    cmds[n].argv = (const char *[]) { "MULTI" };
    cmds[n].argvlen = (size_t[]) { 5 };
    n++;

    c = &cmds[n++];
    if (ngx_http_dvc_multi_cmd(r, c, 2 + 2 * p->nset) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_dvc_multi_arg(c, "HSET", 4);
    ngx_http_dvc_multi_arg(c, plan->key, plan->key_len);

    for (i = 0; i < p->nset; i++) {
        ngx_http_dvc_multi_arg(c, p->set[i].name, ngx_strlen(p->set[i].name));
        ngx_http_dvc_multi_arg(c, p->set[i].value, p->set[i].len);
    }

    if (ngx_http_dvc_multi_xadd(r, &cmds[n++], &p->xadd[0]) != NGX_OK) {
        return NGX_ERROR;
    }

    cmds[n].argc = 4;
    cmds[n].argv = (const char *[]) { "ZADD", DVC_SUBMIT_INDEX, plan->score,
                                      code };
    cmds[n].argvlen = (size_t[]) { 4, sizeof(DVC_SUBMIT_INDEX) - 1,
                                   ngx_strlen(plan->score), DVC_CODE_LEN };
    n++;

    if (idem_key->len) {
        c = &cmds[n++];
        if (ngx_http_dvc_multi_cmd(r, c, 5) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_dvc_multi_arg(c, "SET", 3);
        ngx_http_dvc_multi_arg(c, idem_key->data, idem_key->len);
        ngx_http_dvc_multi_arg(c, plan->idem.data, plan->idem.len);
        ngx_http_dvc_multi_arg(c, "EX", 2);
        ngx_http_dvc_multi_arg(c, NGX_HTTP_DVC_IDEM_TTL,
                                sizeof(NGX_HTTP_DVC_IDEM_TTL) - 1);
    }

    /* the statistics: counters of the cells, in the same transaction */
    for (i = 0; i < p->nincr; i++) {
        c = &cmds[n++];
        num = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (num == NULL || ngx_http_dvc_multi_cmd(r, c, 4) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_dvc_multi_arg(c, "HINCRBY", 7);
        ngx_http_dvc_multi_arg(c, p->incr[i].key, p->incr[i].key_len);
        ngx_http_dvc_multi_arg(c, p->incr[i].field, 8);
        ngx_http_dvc_multi_arg(c, num,
                                ngx_sprintf(num, "%i", (ngx_int_t)
                                            p->incr[i].delta) - num);
    }

    /* the cells a report may ask for */
    c = &cmds[n++];
    if (ngx_http_dvc_multi_cmd(r, c, 2 + p->ncells) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_dvc_multi_arg(c, "SADD", 4);
    ngx_http_dvc_multi_arg(c, DVC_STAT_CELLS_KEY,
                            sizeof(DVC_STAT_CELLS_KEY) - 1);

    for (i = 0; i < p->ncells; i++) {
        ngx_http_dvc_multi_arg(c, p->cells[i], p->cell_len[i]);
    }

    /* accepted at once: the citizen's notice of the appointment */
    for (i = 1; i < p->nxadd; i++) {
        if (ngx_http_dvc_multi_xadd(r, &cmds[n++], &p->xadd[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /* the uploads it lists are its own now: no TTL */
    rc = ngx_http_dvc_documents_claim(r, facts, code, DVC_CODE_LEN,
                                      &cmds[n]);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }
    n += rc;

    cmds[n].argc = 1;
    cmds[n].argv = (const char *[]) { "EXEC" };
    cmds[n].argvlen = (size_t[]) { 4 };
    n++;

    rc = ngx_http_dvc_redis_send_durable(r, cmds, n, handler, data);

    return rc == NGX_OK ? NGX_OK : NGX_DECLINED;
}

#undef ngx_http_dvc_multi_arg
