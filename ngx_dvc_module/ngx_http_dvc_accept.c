/*
 * Acceptance of a dossier by the back-end's `accept` event: the appointment
 * and the signed receipt are core's (dvc_receipt.h); this says why in the
 * log and counts the signature.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_receipt.h"


/*
 * Accepted at `at`: the due time and the receipt signed.  facts: the JSON of
 * dvc_receipt_facts.  NGX_OK; NGX_DECLINED when the calendar does not cover
 * the appointment (logged: answer 503); NGX_ERROR when signing failed
 * (logged: answer 500).
 */
ngx_int_t
ngx_http_dvc_accept(ngx_http_request_t *r, ngx_http_dvc_main_conf_t *dmcf,
    const dvc_procedure_t *p, const char *code, const char *facts,
    size_t facts_len, const char *delivery, size_t delivery_len, int64_t at,
    int64_t *due, dvc_buf_t *receipt)
{
    int  no_facts;

    if (dvc_receipt_due(dmcf->calendar, p, at, due) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: the calendar does not cover the appointment "
                      "of procedure \"%s\"; extend dvc_calendar", p->code);
        return NGX_DECLINED;
    }

    if (dvc_receipt_sign(dmcf->signing_key, p, code, facts, facts_len,
                         delivery, delivery_len, at, *due, receipt,
                         &no_facts) != 0)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: signing the receipt failed");
        return NGX_ERROR;
    }

    if (no_facts) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: dossier \"%s\" has no receipt facts; its "
                      "receipt names no applicant nor documents", code);
    }

    ngx_http_dvc_metrics_signed(NGX_HTTP_DVC_SIGNED_RECEIPT);

    return NGX_OK;
}
