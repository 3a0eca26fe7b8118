/*
 * Acceptance of a dossier: the appointment and the signed receipt (form 01,
 * giấy tiếp nhận hồ sơ và hẹn trả kết quả).  One code for the three ways a
 * dossier is accepted: at once on submission ("accept": "auto"), by the
 * back-end's `accept` event, and at counter/postal intake.
 *
 * The receipt names the applicant and the documents, which only the
 * submitted body holds; a dossier left at the desk keeps them in its hash as
 * `receipt_facts` ({"applicant":{...},"documents":[...]}, written at
 * submission) so a later acceptance signs the same receipt auto-accept would
 * have signed.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"
#include "dvc_time.h"
#include "dvc_calendar.h"
#include "dvc_jws.h"
#include "dvc_procedure.h"
#include "dvc_dossier_scan.h"


/* The documents as the signed documents list them (names: the receipt's
 * form, with the procedure's name of each kind). */
void
ngx_http_dvc_documents_json(dvc_buf_t *b, dvc_dossier_facts_t *facts,
    const dvc_procedure_t *p, ngx_flag_t names)
{
    size_t                      i;
    const dvc_procedure_doc_t  *doc;

    dvc_buf_putc(b, '[');

    for (i = 0; i < facts->ndocuments; i++) {
        if (i) {
            dvc_buf_putc(b, ',');
        }

        dvc_buf_puts(b, "{\"kind\":");
        dvc_buf_json_str(b, facts->documents[i].kind,
                         facts->documents[i].kind_len);

        if (names) {
            doc = dvc_procedure_document(p, facts->documents[i].kind,
                                         facts->documents[i].kind_len);
            if (doc) {
                dvc_buf_puts(b, ",\"name\":");
                dvc_buf_json_str(b, doc->name, strlen(doc->name));
            }
        }

        dvc_buf_puts(b, ",\"sha256\":");
        dvc_buf_json_str(b, facts->documents[i].sha256,
                         facts->documents[i].sha256_len);
        dvc_buf_putc(b, '}');
    }

    dvc_buf_putc(b, ']');
}


/* {"applicant":{"name","phone","email"},"documents":[...]} */
void
ngx_http_dvc_receipt_facts(dvc_buf_t *b, dvc_dossier_facts_t *facts,
    const dvc_procedure_t *p)
{
    dvc_buf_puts(b, "{\"applicant\":{\"name\":");
    dvc_buf_json_str(b, facts->applicant_name, facts->applicant_name_len);
    dvc_buf_puts(b, ",\"phone\":");
    dvc_buf_json_str(b, facts->applicant_phone, facts->applicant_phone_len);
    dvc_buf_puts(b, ",\"email\":");
    dvc_buf_json_str(b, facts->applicant_email, facts->applicant_email_len);
    dvc_buf_puts(b, "},\"documents\":");
    ngx_http_dvc_documents_json(b, facts, p, 1);
    dvc_buf_putc(b, '}');
}


/*
 * Accepted at `at`: the due time from the procedure's processing time on the
 * working-day calendar, and the receipt signed.  facts: the JSON of
 * ngx_http_dvc_receipt_facts.  NGX_OK; NGX_DECLINED when the calendar does
 * not cover the appointment (logged: answer 503); NGX_ERROR when signing
 * failed (logged: answer 500).
 */
ngx_int_t
ngx_http_dvc_accept(ngx_http_request_t *r, ngx_http_dvc_main_conf_t *dmcf,
    const dvc_procedure_t *p, const char *code, const char *facts,
    size_t facts_len, const char *delivery, size_t delivery_len, int64_t at,
    int64_t *due, dvc_buf_t *receipt)
{
    char        at_vn[DVC_TIME_VN_LEN + 1];
    char        due_vn[DVC_TIME_VN_LEN + 1];
    int64_t     minutes;
    dvc_buf_t   payload;

    /* the deadline's clock starts at acceptance */
    minutes = p->processing_unit == DVC_PROCESSING_DAYS
              ? (int64_t) p->processing_halves
                * dvc_calendar_day_minutes(dmcf->calendar) / 2
              : (int64_t) p->processing_halves * 30;

    if (dvc_calendar_due(dmcf->calendar, at, minutes, p->cutoff, due) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: the calendar does not cover the appointment "
                      "of procedure \"%s\"; extend dvc_calendar", p->code);
        return NGX_DECLINED;
    }

    dvc_time_format_vn(at, at_vn);
    dvc_time_format_vn(*due, due_vn);

    if (facts == NULL || facts_len < 2 || facts[0] != '{'
        || facts[facts_len - 1] != '}')
    {
        /* a dossier recorded before receipt_facts existed: the receipt
         * still gives the appointment, without the applicant's details */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "dvc: dossier \"%s\" has no receipt facts; its "
                      "receipt names no applicant nor documents", code);
        facts = "{}";
        facts_len = 2;
    }

    dvc_buf_init(&payload, receipt->alloc);
    dvc_buf_printf(&payload, "{\"code\":\"%s\",\"procedure\":{\"code\":"
                   "\"%s\",\"name\":", code, p->code);
    dvc_buf_json_str(&payload, p->name, strlen(p->name));
    dvc_buf_printf(&payload, "},\"agency\":\"%s\"", p->agency);

    if (facts_len > 2) {
        /* applicant and documents: the facts without their braces */
        dvc_buf_putc(&payload, ',');
        dvc_buf_append(&payload, facts + 1, facts_len - 2);
    }

    dvc_buf_printf(&payload, ",\"processing\":{\"%s\":%u%s},"
                   "\"accepted_at\":\"%.16s\",\"due_at\":\"%.16s\","
                   "\"delivery\":",
                   p->processing_unit == DVC_PROCESSING_DAYS ? "days"
                                                             : "hours",
                   p->processing_halves / 2,
                   (p->processing_halves & 1) ? ".5" : "",
                   at_vn, due_vn);
    dvc_buf_json_str(&payload, delivery, delivery_len);
    dvc_buf_printf(&payload, ",\"fee\":%lld}", p->fee);

    if (payload.failed
        || dvc_jws_sign(dmcf->signing_key, "dvc-receipt+jws", payload.data,
                        payload.len, receipt) != 0 || receipt->failed)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "dvc: signing the receipt failed");
        return NGX_ERROR;
    }

    ngx_http_dvc_metrics_signed(NGX_HTTP_DVC_SIGNED_RECEIPT);

    return NGX_OK;
}
