/*
 * ngx_dvc metrics: the Prometheus text format (version 0.0.4) of the shared
 * zone's counters, dvc_metrics's location handler.
 */

#include "ngx_http_dvc_metrics_int.h"
#include "dvc_keys.h"
#include "dvc_procedure.h"


static const char  *ngx_http_dvc_endpoint_names[NGX_HTTP_DVC_EP_LAST] = {
    "submit", "lookup", "receipt", "withdrawal", "supplement", "rating",
    "events", "procedures", "keys", "stats", "uploads", "other"
};

static const char  *ngx_http_dvc_signed_names[] = {
    "acknowledgement", "receipt"
};

/* clamd's verdicts (DVC_CLAMD_CLEAN, _INFECTED, _ERROR: 1, 2, 3) */
static const char  *ngx_http_dvc_clamd_names[] = {
    "clean", "infected", "error"
};


/* ------------------------------------------------------------ exposition */

/* a label value as the text format escapes it: \\, \", \n */
static void
ngx_http_dvc_label(dvc_buf_t *out, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '\\':
            dvc_buf_puts(out, "\\\\");
            break;
        case '"':
            dvc_buf_puts(out, "\\\"");
            break;
        case '\n':
            dvc_buf_puts(out, "\\n");
            break;
        default:
            dvc_buf_putc(out, s[i]);
        }
    }
}


#define ngx_http_dvc_family(out, name, type, help)                           \
    dvc_buf_puts(out, "# HELP " name " " help "\n# TYPE " name " " type "\n")


/* The requests by endpoint and status, and their durations. */
static void
ngx_http_dvc_metrics_print_http(dvc_buf_t *out, ngx_http_dvc_metrics_sh_t *sh)
{
    ngx_uint_t   ep, st, b;
    uint64_t     n, cum, sum;

    ngx_http_dvc_family(out, "dvc_http_requests_total", "counter",
                        "API requests answered, by endpoint and HTTP status "
                        "(all workers).");

    for (ep = 0; ep < NGX_HTTP_DVC_EP_LAST; ep++) {
        for (st = 0; st < NGX_HTTP_DVC_NSTATUS; st++) {
            n = sh->requests[ep][st];
            if (n == 0) {
                continue;
            }

            dvc_buf_printf(out, "dvc_http_requests_total{endpoint=\"%s\","
                           "code=\"", ngx_http_dvc_endpoint_names[ep]);

            if (st < NGX_HTTP_DVC_NSTATUS - 1) {
                dvc_buf_printf(out, "%u", (unsigned) ngx_http_dvc_statuses[st]);

            } else {
                dvc_buf_puts(out, "other");
            }

            dvc_buf_printf(out, "\"} %llu\n", (unsigned long long) n);
        }
    }

    ngx_http_dvc_family(out, "dvc_http_request_duration_seconds", "histogram",
                        "Time from the request's first byte to its log "
                        "line, by endpoint.");

    for (ep = 0; ep < NGX_HTTP_DVC_EP_LAST; ep++) {
        cum = 0;
        for (b = 0; b < NGX_HTTP_DVC_NBUCKET; b++) {
            cum += sh->buckets[ep][b];
        }

        if (cum == 0) {
            continue;
        }

        cum = 0;
        for (b = 0; b < NGX_HTTP_DVC_NBUCKET; b++) {
            cum += sh->buckets[ep][b];

            dvc_buf_printf(out, "dvc_http_request_duration_seconds_bucket"
                           "{endpoint=\"%s\",le=\"",
                           ngx_http_dvc_endpoint_names[ep]);

            if (b < NGX_HTTP_DVC_NBUCKET - 1) {
                dvc_buf_printf(out, "%u.%03u",
                               (unsigned) (ngx_http_dvc_buckets[b] / 1000),
                               (unsigned) (ngx_http_dvc_buckets[b] % 1000));

            } else {
                dvc_buf_puts(out, "+Inf");
            }

            dvc_buf_printf(out, "\"} %llu\n", (unsigned long long) cum);
        }

        sum = sh->sum_ms[ep];
        dvc_buf_printf(out, "dvc_http_request_duration_seconds_sum"
                       "{endpoint=\"%s\"} %llu.%03u\n",
                       ngx_http_dvc_endpoint_names[ep],
                       (unsigned long long) (sum / 1000),
                       (unsigned) (sum % 1000));
        dvc_buf_printf(out, "dvc_http_request_duration_seconds_count"
                       "{endpoint=\"%s\"} %llu\n",
                       ngx_http_dvc_endpoint_names[ep],
                       (unsigned long long) cum);
    }
}


/* The connections to Redis, all workers. */
static void
ngx_http_dvc_metrics_print_redis(dvc_buf_t *out, ngx_http_dvc_metrics_sh_t *sh)
{
    ngx_http_dvc_family(out, "dvc_redis_connected", "gauge",
                        "Workers connected to Redis now.");
    dvc_buf_printf(out, "dvc_redis_connected %lld\n",
                   (long long) (ngx_atomic_int_t) sh->redis_connected);

    ngx_http_dvc_family(out, "dvc_redis_reconnects_total", "counter",
                        "Connections to Redis a worker opened after its "
                        "first (after a loss, a timeout or a refusal).");
    dvc_buf_printf(out, "dvc_redis_reconnects_total %llu\n",
                   (unsigned long long) sh->redis_reconnects);

    ngx_http_dvc_family(out, "dvc_redis_timeouts_total", "counter",
                        "Requests' Redis commands unanswered within "
                        "dvc_redis_timeout (answered 503).");
    dvc_buf_printf(out, "dvc_redis_timeouts_total %llu\n",
                   (unsigned long long) sh->redis_timeouts);

    ngx_http_dvc_family(out, "dvc_redis_replies_pending", "gauge",
                        "Batches of commands sent to Redis (or held until "
                        "AUTH and SELECT are answered) awaiting a reply.");
    dvc_buf_printf(out, "dvc_redis_replies_pending %lld\n",
                   (long long) (ngx_atomic_int_t) sh->redis_pending);
}


static void
ngx_http_dvc_metrics_print(dvc_buf_t *out, ngx_http_dvc_metrics_sh_t *sh,
    ngx_http_dvc_main_conf_t *dmcf)
{
    size_t       len;
    uint64_t     n;
    ngx_uint_t   i, j;
    const char  *kid;

    ngx_http_dvc_metrics_print_http(out, sh);

    ngx_http_dvc_family(out, "dvc_validation_failures_total", "counter",
                        "Violations in dossiers refused 422, by procedure "
                        "and violation code.");

    for (i = 0; i < ngx_http_dvc_metrics_nprocs && i < dmcf->nprocs; i++) {
        for (j = 0; j < NGX_HTTP_DVC_NVCODE; j++) {
            n = sh->invalid[i * NGX_HTTP_DVC_NVCODE + j];
            if (n == 0) {
                continue;
            }

            dvc_buf_puts(out, "dvc_validation_failures_total{procedure=\"");
            ngx_http_dvc_label(out, dmcf->procs[i].procedure->code,
                               dmcf->procs[i].procedure->code_len);
            dvc_buf_printf(out, "\",code=\"%s\"} %llu\n",
                           ngx_http_dvc_vcodes[j], (unsigned long long) n);
        }
    }

    ngx_http_dvc_metrics_print_redis(out, sh);

    ngx_http_dvc_family(out, "dvc_signatures_total", "counter",
                        "Documents signed, by key id and document.");

    if (dmcf->signing_key) {
        kid = dvc_key_kid(dmcf->signing_key);
        len = ngx_strlen(kid);

        for (i = 0; i < 2; i++) {
            dvc_buf_puts(out, "dvc_signatures_total{kid=\"");
            ngx_http_dvc_label(out, kid, len);
            dvc_buf_printf(out, "\",document=\"%s\"} %llu\n",
                           ngx_http_dvc_signed_names[i],
                           (unsigned long long) sh->signed_docs[i]);
        }
    }

    ngx_http_dvc_family(out, "dvc_clamd_scans_total", "counter",
                        "Uploads scanned by clamd, by verdict (error: "
                        "refused, timed out or unreadable).");

    if (dmcf->clamd) {
        for (i = 0; i < 3; i++) {
            dvc_buf_printf(out, "dvc_clamd_scans_total{result=\"%s\"} %llu\n",
                           ngx_http_dvc_clamd_names[i],
                           (unsigned long long) sh->clamd[i]);
        }
    }

    ngx_http_dvc_family(out, "dvc_procedures_loaded", "gauge",
                        "Procedures whose schemas this configuration loaded.");
    dvc_buf_printf(out, "dvc_procedures_loaded %u\n", (unsigned) dmcf->nprocs);
}


ngx_int_t
ngx_http_dvc_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    dvc_buf_t                  out;
    dvc_alloc_t                alloc;
    ngx_http_dvc_main_conf_t  *dmcf;

    static ngx_str_t  type =
        ngx_string("text/plain; version=0.0.4; charset=utf-8");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_dvc_metrics_sh == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: metrics zone missing");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    ngx_http_dvc_pool_alloc(r->pool, &alloc);
    dvc_buf_init(&out, &alloc);

    ngx_http_dvc_metrics_print(&out, ngx_http_dvc_metrics_sh, dmcf);

    if (out.failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_memory(r, NGX_HTTP_OK, &type,
                                    sizeof("text/plain") - 1,
                                    (u_char *) out.data, out.len);
}
