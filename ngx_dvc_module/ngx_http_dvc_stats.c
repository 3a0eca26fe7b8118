/*
 * Statistics (issue 5): GET /dvc/v1/stats.
 *
 * The report reads one cell (all dossiers, one agency, one procedure, or an
 * agency's procedure): MULTI, one HGETALL per counter hash, EXEC, in one
 * pipelined batch and one round trip; EXEC makes it one consistent snapshot
 * even while dossiers move.  Core sums the day fields before and inside the
 * period and renders the figures (core/dvc_stats.h); nothing here scans
 * dossiers.
 *
 * The writes: every recorded change adds its counter deltas to the cells
 * with HINCRBY and stores what the statistics must remember of the dossier
 * in its st_* fields, inside the same atomic step as the change itself: its
 * core decision puts them in its plan (dvc_plan_stats).
 */

#include "ngx_http_dvc_stats.h"
#include "dvc_time.h"
#include "dvc_cluster.h"


typedef struct {
    dvc_stat_query_t           query;
    ngx_uint_t                 csv;
    char                       cell[DVC_STAT_KEY_MAX];
    char                       keys[DVC_STAT_NCOUNTERS][DVC_STAT_KEY_MAX];
    const char                *argv[DVC_STAT_NCOUNTERS][2];
    size_t                     argvlen[DVC_STAT_NCOUNTERS][2];
    ngx_http_dvc_redis_cmd_t   cmds[DVC_STAT_NCOUNTERS + 2];
    /* dvc_redis_cluster: the counters of each partition in turn, summed
     * (docs/redis.md); one Redis: one batch, parts 0 */
    ngx_uint_t                 part;
    ngx_uint_t                 parts;
    size_t                     bad;
    dvc_stat_sums_t            sums;
} ngx_http_dvc_stats_ctx_t;


static ngx_int_t ngx_http_dvc_stats_params(ngx_http_request_t *r,
    ngx_str_t *values, ngx_int_t *rc);
static ngx_int_t ngx_http_dvc_stats_unescape(ngx_http_request_t *r,
    ngx_str_t *raw, ngx_str_t *value);
static ngx_int_t ngx_http_dvc_stats_bad_param(ngx_http_request_t *r,
    u_char *param, size_t len, const char *vi, const char *why);
static void ngx_http_dvc_stats_reply(ngx_http_request_t *r,
    ngx_http_dvc_reply_t *reply, void *data);
static ngx_int_t ngx_http_dvc_stats_send(ngx_http_request_t *r,
    ngx_http_dvc_stats_ctx_t *ctx, dvc_buf_t *b);
static ngx_int_t ngx_http_dvc_stats_ask(ngx_http_request_t *r,
    ngx_http_dvc_stats_ctx_t *ctx);
static ngx_int_t ngx_http_dvc_stats_add(ngx_http_request_t *r,
    ngx_http_dvc_stats_ctx_t *ctx, ngx_http_dvc_reply_t *reply,
    ngx_int_t *rc);
static void ngx_http_dvc_stats_answer(ngx_http_request_t *r,
    ngx_http_dvc_stats_ctx_t *ctx);


static ngx_str_t  ngx_http_dvc_accept_header = ngx_string("Accept");


/* The report's parameters, in the order of ngx_http_dvc_stats_params()'s
 * values; any other is refused */
static const char  *ngx_http_dvc_stats_names[] = {
    "from", "to", "agency", "procedure", "level", "sector"
};

#define NGX_HTTP_DVC_STATS_NPARAMS                                           \
    (sizeof(ngx_http_dvc_stats_names) / sizeof(ngx_http_dvc_stats_names[0]))


/* What each parameter's 400 says in Vietnamese (the English is core's). */
static const struct {
    const char  *param;
    const char  *vi;
} ngx_http_dvc_stats_param_vi[] = {
    { "from", "Tham số from (ngày đầu kỳ báo cáo, dạng YYYY-MM-DD, từ năm "
              "2000 đến 2100) bị thiếu hoặc không hợp lệ." },
    { "to", "Tham số to (ngày cuối kỳ báo cáo, dạng YYYY-MM-DD, từ năm 2000 "
            "đến 2100) bị thiếu, không hợp lệ, trước ngày from, hoặc kỳ báo "
            "cáo dài quá 3 năm." },
    { "agency", "Tham số agency (mã cơ quan, ví dụ 000.00.10.H47) không hợp "
                "lệ." },
    { "procedure", "Tham số procedure (mã thủ tục, ví dụ 1.000001) không hợp "
                   "lệ." },
    { "level", "Tham số level (mức độ dịch vụ công trực tuyến) phải là 3 (một "
               "phần) hoặc 4 (toàn trình), và không dùng cùng tham số "
               "procedure." },
    { "sector", "Tham số sector (mã lĩnh vực của thủ tục, ví dụ ho_tich) không "
                "hợp lệ, hoặc dùng cùng tham số procedure." },
};


ngx_int_t
ngx_http_dvc_stats(ngx_http_request_t *r)
{
    int                        n;
    char                       err[128];
    ngx_int_t                  rc;
    ngx_str_t                  v[NGX_HTTP_DVC_STATS_NPARAMS];
    const char                *bad;
    ngx_table_elt_t           *accept;
    ngx_http_dvc_stats_ctx_t  *ctx;
    ngx_http_dvc_main_conf_t  *dmcf;

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        return ngx_http_dvc_send_not_allowed(r, "GET, HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_dvc_stats_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ngx_http_dvc_stats_params(r, v, &rc)) {
    case NGX_OK:
        break;
    case NGX_DONE:
        return rc;
    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    bad = NULL;

    if (dvc_stat_query_parse(&ctx->query, (const char *) v[0].data, v[0].len,
                             (const char *) v[1].data, v[1].len,
                             (const char *) v[2].data, v[2].len,
                             (const char *) v[3].data, v[3].len,
                             (const char *) v[4].data, v[4].len,
                             (const char *) v[5].data, v[5].len,
                             &bad, err, sizeof(err)) != 0)
    {
        return ngx_http_dvc_stats_bad_param(r, (u_char *) bad,
                                            ngx_strlen(bad), NULL, err);
    }

    accept = ngx_http_dvc_find_header(r, &ngx_http_dvc_accept_header);
    ctx->csv = accept != NULL
               && ngx_strlcasestrn(accept->value.data,
                                   accept->value.data + accept->value.len,
                                   (u_char *) "text/csv",
                                   sizeof("text/csv") - 2) != NULL;

    n = dvc_stat_query_cell(&ctx->query, ctx->cell, sizeof(ctx->cell));
    if (n < 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    dvc_stat_sums_init(&ctx->sums, ctx->query.from, ctx->query.to);
    ctx->parts = dmcf->redis_cluster ? DVC_CLUSTER_PARTS : 0;

    return ngx_http_dvc_redis_sent(r, ngx_http_dvc_stats_ask(r, ctx),
                                   "statistics", NULL);
}


/* MULTI; HGETALL dvc:st:{cell}:{counter} for each counter; EXEC.  With
 * dvc_redis_cluster, of partition ctx->part: dvc:st:{NN}:{cell}:... */
static ngx_int_t
ngx_http_dvc_stats_ask(ngx_http_request_t *r, ngx_http_dvc_stats_ctx_t *ctx)
{
    int         n;
    ngx_uint_t  i;
    char        key[DVC_STAT_KEY_MAX];

    n = (int) ngx_strlen(ctx->cell);

    ctx->cmds[0].argc = 1;
    ctx->cmds[0].argv = (const char *[]) { "MULTI" };
    ctx->cmds[0].argvlen = (size_t[]) { 5 };

    for (i = 0; i < DVC_STAT_NCOUNTERS; i++) {
        ctx->argvlen[i][1] = dvc_stat_key(ctx->cell, n, (dvc_stat_counter_t) i,
                                          ctx->keys[i], DVC_STAT_KEY_MAX);

        if (ctx->parts) {
            n = dvc_cluster_key(ctx->keys[i], ctx->argvlen[i][1], ctx->part,
                                key, sizeof(key));
            if (n < 0) {
                return NGX_ERROR;
            }

            ngx_memcpy(ctx->keys[i], key, n + 1);
            ctx->argvlen[i][1] = n;
            n = (int) ngx_strlen(ctx->cell);
        }

        ctx->argv[i][0] = "HGETALL";
        ctx->argvlen[i][0] = sizeof("HGETALL") - 1;
        ctx->argv[i][1] = ctx->keys[i];

        ctx->cmds[1 + i].argc = 2;
        ctx->cmds[1 + i].argv = ctx->argv[i];
        ctx->cmds[1 + i].argvlen = ctx->argvlen[i];
    }

    ctx->cmds[1 + i].argc = 1;
    ctx->cmds[1 + i].argv = (const char *[]) { "EXEC" };
    ctx->cmds[1 + i].argvlen = (size_t[]) { 4 };

    return ngx_http_dvc_redis_send(r, ctx->cmds, DVC_STAT_NCOUNTERS + 2,
                                   ngx_http_dvc_stats_reply, ctx);
}


/*
 * The query's parameters into values[] (ngx_http_dvc_stats_names' order),
 * URL-decoded into the pool; data NULL when absent.  A parameter the report
 * does not know, or one given twice (whatever the case or percent-encoding
 * of its name, as ngx_http_dvc_arg_is() compares), is answered 400 naming
 * it: never ignored, never decided by order.  NGX_OK; NGX_DONE when it was
 * answered so, with the answer's *rc; NGX_ERROR.
 */
static ngx_int_t
ngx_http_dvc_stats_params(ngx_http_request_t *r, ngx_str_t *values,
    ngx_int_t *rc)
{
    char        why[128];
    size_t      pos, n, k;
    u_char      shown[32];
    ngx_str_t   name, raw;
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_DVC_STATS_NPARAMS; i++) {
        ngx_str_null(&values[i]);
    }

    pos = 0;

    while (ngx_http_dvc_arg_next(&r->args, &pos, &name, &raw) == NGX_OK) {

        for (i = 0; i < NGX_HTTP_DVC_STATS_NPARAMS; i++) {
            if (ngx_http_dvc_arg_is(&name, ngx_http_dvc_stats_names[i])) {
                break;
            }
        }

        if (i < NGX_HTTP_DVC_STATS_NPARAMS && values[i].data == NULL) {
            if (raw.data == NULL) {
                ngx_str_set(&raw, "");
            }

            if (ngx_http_dvc_stats_unescape(r, &raw, &values[i]) != NGX_OK) {
                return NGX_ERROR;
            }

            continue;
        }

        if (i < NGX_HTTP_DVC_STATS_NPARAMS) {
            ngx_snprintf((u_char *) why, sizeof(why) - 1,
                         "%s is given more than once%Z",
                         ngx_http_dvc_stats_names[i]);

            *rc = ngx_http_dvc_stats_bad_param(r,
                      (u_char *) ngx_http_dvc_stats_names[i],
                      ngx_strlen(ngx_http_dvc_stats_names[i]),
                      "Tham số chỉ được gửi một lần.", why);
            return NGX_DONE;
        }

        /* the name as sent, printable ASCII only, cut short: for the log
         * and the answer (it is a name, never a value) */
        n = ngx_min(name.len, sizeof(shown));
        for (k = 0; k < n; k++) {
            shown[k] = (name.data[k] > 0x20 && name.data[k] < 0x7f
                        && name.data[k] != '"' && name.data[k] != '\\')
                       ? name.data[k] : '?';
        }

        ngx_snprintf((u_char *) why, sizeof(why) - 1,
                     "%s%*s%s is not a parameter of this report (from, to, "
                     "agency, procedure, level, sector)%Z", n ? "" : "a parameter without "
                     "a name", n, shown, name.len > n ? "..." : "");

        *rc = ngx_http_dvc_stats_bad_param(r, shown, n,
                  "Tham số không được hỗ trợ; báo cáo chỉ nhận from, to, "
                  "agency, procedure, level và sector.", why);
        return NGX_DONE;
    }

    return NGX_OK;
}


/* A parameter's value, URL-decoded into the pool. */
static ngx_int_t
ngx_http_dvc_stats_unescape(ngx_http_request_t *r, ngx_str_t *raw,
    ngx_str_t *value)
{
    u_char  *dst, *src;

    dst = ngx_pnalloc(r->pool, raw->len + 1);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    value->data = dst;
    src = raw->data;
    ngx_unescape_uri(&dst, &src, raw->len, NGX_UNESCAPE_URI);
    value->len = dst - value->data;
    *dst = '\0';

    return NGX_OK;
}


/* 400 naming the parameter: {"error":"bad_parameter","parameter":"to",...} */
static ngx_int_t
ngx_http_dvc_stats_bad_param(ngx_http_request_t *r, u_char *param,
    size_t len, const char *vi, const char *why)
{
    dvc_buf_t    b;
    ngx_uint_t   i;
    dvc_alloc_t  alloc;

    for (i = 0; vi == NULL && i < sizeof(ngx_http_dvc_stats_param_vi)
                                  / sizeof(ngx_http_dvc_stats_param_vi[0]);
         i++)
    {
        if (ngx_strlen(ngx_http_dvc_stats_param_vi[i].param) == len
            && ngx_strncmp(ngx_http_dvc_stats_param_vi[i].param, param, len)
               == 0)
        {
            vi = ngx_http_dvc_stats_param_vi[i].vi;
        }
    }

    if (vi == NULL) {
        vi = "Tham số không hợp lệ.";
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: statistics refused: %s", why);

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&b, &alloc);
    dvc_buf_puts(&b, "{\"error\":\"bad_parameter\",\"parameter\":");
    dvc_buf_json_str(&b, (const char *) param, len);
    dvc_buf_puts(&b, ",\"message\":{\"vi\":");
    dvc_buf_json_str(&b, vi, ngx_strlen(vi));
    dvc_buf_puts(&b, ",\"en\":");
    dvc_buf_json_str(&b, why, ngx_strlen(why));
    dvc_buf_puts(&b, "}}");

    if (b.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->err_status = 0;
    return ngx_http_dvc_send_json(r, NGX_HTTP_BAD_REQUEST, (u_char *) b.data,
                                  b.len);
}


static void
ngx_http_dvc_stats_reply(ngx_http_request_t *r, ngx_http_dvc_reply_t *reply,
    void *data)
{
    ngx_http_dvc_stats_ctx_t *ctx = data;

    ngx_int_t  rc;

    if (ngx_http_dvc_stats_add(r, ctx, reply, &rc) != NGX_OK) {
        ngx_http_dvc_finalize(r, rc);
        return;
    }

    if (++ctx->part < ctx->parts) {
        /* the next partition's counters (dvc_redis_cluster) */
        rc = ngx_http_dvc_stats_ask(r, ctx);

        /* NGX_DONE (sent): this reply's reference on the request goes */
        ngx_http_dvc_finalize(r, ngx_http_dvc_redis_sent(r, rc, "statistics",
                                                         NULL));
        return;
    }

    ngx_http_dvc_stats_answer(r, ctx);
}


/* One EXEC's HGETALLs into the sums: NGX_OK; NGX_DONE: answered, *rc to
 * finalize with. */
static ngx_int_t
ngx_http_dvc_stats_add(ngx_http_request_t *r, ngx_http_dvc_stats_ctx_t *ctx,
    ngx_http_dvc_reply_t *reply, ngx_int_t *rc)
{
    size_t                 i, j;
    ngx_int_t              n;
    const char            *err;
    ngx_http_dvc_val_t     fv[2];
    ngx_http_dvc_reply_t  *h;

    if (ngx_http_dvc_reply_vals(reply, NULL, 0) != DVC_STAT_NCOUNTERS) {
        err = ngx_http_dvc_reply_error(reply);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: statistics answered 503: %s",
                      reply == NULL ? "redis failed"
                      : err ? err : "unexpected redis reply");
        *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
        return NGX_DONE;
    }

    for (i = 0; i < DVC_STAT_NCOUNTERS; i++) {
        h = ngx_http_dvc_reply_elem(reply, i);
        n = ngx_http_dvc_reply_vals(h, NULL, 0);

        if (n == NGX_ERROR) {
            /* a wrong-type key: a bug or someone else's data */
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "dvc: statistics key \"%s\" is not a hash",
                          ctx->keys[i]);
            *rc = ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
            return NGX_DONE;
        }

        for (j = 0; j + 1 < (size_t) n; j += 2) {
            ngx_http_dvc_reply_val(ngx_http_dvc_reply_elem(h, j), &fv[0]);
            ngx_http_dvc_reply_val(ngx_http_dvc_reply_elem(h, j + 1), &fv[1]);

            if (fv[0].type != NGX_HTTP_DVC_VAL_STRING
                || fv[1].type != NGX_HTTP_DVC_VAL_STRING
                || dvc_stat_sums_add(&ctx->sums, (dvc_stat_counter_t) i,
                                     fv[0].str, fv[0].len, fv[1].str,
                                     fv[1].len) != 0)
            {
                ctx->bad++;
            }
        }
    }

    return NGX_OK;
}


static void
ngx_http_dvc_stats_answer(ngx_http_request_t *r,
    ngx_http_dvc_stats_ctx_t *ctx)
{
    char                   why[160];
    size_t                 bad;
    dvc_buf_t              b;
    dvc_alloc_t            alloc;
    dvc_stat_report_t      report;

    if (ctx->bad) {
        /* counted as nothing; the figures stay sums of the sound fields */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: statistics of cell \"%s\": %uz malformed "
                      "fields ignored", ctx->cell, ctx->bad);
    }

    if (ctx->sums.rolled_up) {
        /* the period cuts a year whose days were folded into one total */
        ngx_snprintf((u_char *) why, sizeof(why),
                     "the days of %d are kept as one yearly total: the period "
                     "may cover the whole year or none of it%Z",
                     (int) ctx->sums.rolled_up);
        bad = ctx->query.from > ctx->sums.rolled_up * 10000 + 101;
        ngx_http_dvc_finalize(r, ngx_http_dvc_stats_bad_param(r,
            (u_char *) (bad ? "from" : "to"), bad ? 4 : 2, NULL, why));
        return;
    }

    dvc_stat_report(&ctx->sums, &report);

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&b, &alloc);
    dvc_buf_reserve(&b, ctx->csv ? 6144 : 2048);

    if (ctx->csv) {
        dvc_stat_report_csv(&ctx->query, &report, &b);

    } else {
        dvc_stat_report_json(&ctx->query, &report, &b);
    }

    if (b.failed) {
        ngx_http_dvc_finalize(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_dvc_finalize(r, ngx_http_dvc_stats_send(r, ctx, &b));
}


/* JSON through the module's usual answer; CSV with its own type. */
static ngx_int_t
ngx_http_dvc_stats_send(ngx_http_request_t *r, ngx_http_dvc_stats_ctx_t *ctx,
    dvc_buf_t *b)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    static ngx_str_t  csv = ngx_string("text/csv; charset=utf-8");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }
    h->hash = 1;
    ngx_str_set(&h->key, "Vary");
    ngx_str_set(&h->value, "Accept");

    if (!ctx->csv) {
        return ngx_http_dvc_send_json(r, NGX_HTTP_OK, (u_char *) b->data,
                                      b->len);
    }

    /* a spreadsheet saved under a name that says what it holds (the codes
     * are [A-Za-z0-9._-] only: nothing to quote) */
    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }
    h->value.data = ngx_pnalloc(r->pool, sizeof("attachment; filename=\"dvc-stats"
                                                "_YYYY-MM-DD_YYYY-MM-DD__"
                                                "_level-N_sector-.csv\"")
                                         + 3 * DVC_STAT_NAME_MAX);
    if (h->value.data == NULL) {
        return NGX_ERROR;
    }
    h->hash = 1;
    ngx_str_set(&h->key, "Content-Disposition");
    p = ngx_sprintf(h->value.data,
                    "attachment; filename=\"dvc-stats_%04d-%02d-%02d_"
                    "%04d-%02d-%02d%s%*s%s%*s",
                    ctx->query.from / 10000, ctx->query.from / 100 % 100,
                    ctx->query.from % 100, ctx->query.to / 10000,
                    ctx->query.to / 100 % 100, ctx->query.to % 100,
                    ctx->query.agency ? "_" : "", ctx->query.agency_len,
                    ctx->query.agency ? ctx->query.agency : "",
                    ctx->query.procedure ? "_" : "",
                    ctx->query.procedure_len,
                    ctx->query.procedure ? ctx->query.procedure : "");
    if (ctx->query.level) {
        p = ngx_sprintf(p, "_level-%d", ctx->query.level);
    }
    if (ctx->query.sector) {
        p = ngx_sprintf(p, "_sector-%*s", ctx->query.sector_len,
                        ctx->query.sector);
    }
    p = ngx_cpymem(p, ".csv\"", sizeof(".csv\"") - 1);
    h->value.len = p - h->value.data;

    return ngx_http_dvc_send_typed(r, NGX_HTTP_OK, &csv, sizeof("text/csv") - 1,
                                   (u_char *) b->data, b->len);
}
