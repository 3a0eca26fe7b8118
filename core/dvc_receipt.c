/*
 * The appointment, the signed receipt and the documents' JSON
 * (dvc_receipt.h).
 */
#include <string.h>

#include "dvc_jws.h"
#include "dvc_receipt.h"
#include "dvc_time.h"


void
dvc_documents_json(dvc_buf_t *b, const dvc_dossier_facts_t *facts,
    const dvc_procedure_t *p, int names)
{
    size_t                      i;
    const dvc_dossier_doc_t    *d;
    const dvc_procedure_doc_t  *doc;

    dvc_buf_putc(b, '[');

    for (i = 0; i < facts->ndocuments; i++) {
        d = &facts->documents[i];

        if (i) {
            dvc_buf_putc(b, ',');
        }

        dvc_buf_puts(b, "{\"kind\":");
        dvc_buf_json_str(b, d->kind, d->kind_len);

        if (names) {
            doc = dvc_procedure_document(p, d->kind, d->kind_len);
            if (doc) {
                dvc_buf_puts(b, ",\"name\":");
                dvc_buf_json_str(b, doc->name, strlen(doc->name));
            }
        }

        dvc_buf_puts(b, ",\"sha256\":");
        dvc_buf_json_str(b, d->sha256, d->sha256_len);
        dvc_buf_putc(b, '}');
    }

    dvc_buf_putc(b, ']');
}


void
dvc_receipt_facts(dvc_buf_t *b, const dvc_dossier_facts_t *facts,
    const dvc_procedure_t *p)
{
    dvc_buf_puts(b, "{\"applicant\":{\"name\":");
    dvc_buf_json_str(b, facts->applicant_name, facts->applicant_name_len);
    dvc_buf_puts(b, ",\"phone\":");
    dvc_buf_json_str(b, facts->applicant_phone, facts->applicant_phone_len);
    dvc_buf_puts(b, ",\"email\":");
    dvc_buf_json_str(b, facts->applicant_email, facts->applicant_email_len);
    dvc_buf_puts(b, "},\"documents\":");
    dvc_documents_json(b, facts, p, 1);
    dvc_buf_putc(b, '}');
}


int
dvc_receipt_due(const dvc_calendar_t *cal, const dvc_procedure_t *p,
    int64_t at, int64_t *due)
{
    int64_t  minutes;

    /* the deadline's clock starts at acceptance */
    minutes = p->processing_unit == DVC_PROCESSING_DAYS
              ? (int64_t) p->processing_halves
                * dvc_calendar_day_minutes(cal) / 2
              : (int64_t) p->processing_halves * 30;

    return dvc_calendar_due(cal, at, minutes, p->cutoff, due) == 0 ? 0 : -1;
}


int
dvc_receipt_sign(const dvc_key_t *key, const dvc_procedure_t *p,
    const char *code, const char *facts, size_t facts_len,
    const char *delivery, size_t delivery_len, int64_t at, int64_t due,
    dvc_buf_t *out, int *no_facts)
{
    int        rc;
    char       at_vn[DVC_TIME_VN_LEN + 1];
    char       due_vn[DVC_TIME_VN_LEN + 1];
    dvc_buf_t  payload;

    dvc_time_format_vn(at, at_vn);
    dvc_time_format_vn(due, due_vn);

    *no_facts = 0;

    if (facts == NULL || facts_len < 2 || facts[0] != '{'
        || facts[facts_len - 1] != '}')
    {
        /* the receipt still gives the appointment */
        *no_facts = 1;
        facts = "{}";
        facts_len = 2;
    }

    dvc_buf_init(&payload, out->alloc);
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

    rc = payload.failed
         || dvc_jws_sign(key, "dvc-receipt+jws", payload.data, payload.len,
                         out) != 0
         || out->failed ? -1 : 0;

    dvc_buf_free(&payload);

    return rc;
}
