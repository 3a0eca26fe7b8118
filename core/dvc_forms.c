/*
 * The one-stop desk's signed forms 02, 03, 04 and the stop notice
 * (dvc_forms.h).
 */
#include <string.h>

#include "dvc_forms.h"
#include "dvc_jws.h"
#include "dvc_time.h"


static const dvc_form_info_t  dvc_forms[] = {
    { DVC_FORM_RECEIPT, "01", "dvc-receipt+jws",
      "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
      "Receipt and appointment for the result" },
    { DVC_FORM_SUPPLEMENT, "02", "dvc-supplement+jws",
      "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
      "Request to supplement and complete the dossier" },
    { DVC_FORM_REFUSAL, "03", "dvc-refusal+jws",
      "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
      "Refusal to accept the dossier for handling" },
    { DVC_FORM_APOLOGY, "04", "dvc-apology+jws",
      "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
      "Apology and new date for the result" },
    { DVC_FORM_STOP, "stop", "dvc-stop+jws",
      "Thông báo dừng xử lý hồ sơ",
      "Notice that handling of the dossier stopped" },
};


const dvc_form_info_t *
dvc_form_info(dvc_form_t form)
{
    size_t  i;

    for (i = 0; i < sizeof(dvc_forms) / sizeof(dvc_forms[0]); i++) {
        if (dvc_forms[i].form == form) {
            return &dvc_forms[i];
        }
    }

    return NULL;
}


dvc_form_t
dvc_form_for_event(dvc_event_type_t type)
{
    switch (type) {
    case DVC_EV_REQUEST_SUPPLEMENT:
        return DVC_FORM_SUPPLEMENT;
    case DVC_EV_REFUSE:
        return DVC_FORM_REFUSAL;
    case DVC_EV_DELAY:
        return DVC_FORM_APOLOGY;
    case DVC_EV_STOP:
        return DVC_FORM_STOP;
    default:
        return DVC_FORM_NONE;
    }
}


static void
dvc_forms_str(dvc_buf_t *b, const char *s)
{
    dvc_buf_json_str(b, s, strlen(s));
}


int
dvc_form_payload(dvc_form_t form, const dvc_form_facts_t *f, dvc_buf_t *out)
{
    char                    t[DVC_TIME_VN_LEN + 1];
    size_t                  i;
    const dvc_form_info_t  *fi;

    fi = dvc_form_info(form);

    if (fi == NULL || form == DVC_FORM_RECEIPT || f->reason == NULL
        || f->code == NULL || f->procedure_code == NULL)
    {
        return -1;
    }

    dvc_buf_printf(out, "{\"form\":\"%s\",\"title\":{\"vi\":", fi->id);
    dvc_forms_str(out, fi->title_vi);
    dvc_buf_puts(out, ",\"en\":");
    dvc_forms_str(out, fi->title_en);
    dvc_buf_puts(out, "},\"code\":");
    dvc_forms_str(out, f->code);
    dvc_buf_puts(out, ",\"procedure\":{\"code\":");
    dvc_forms_str(out, f->procedure_code);

    if (f->procedure_name) {
        dvc_buf_puts(out, ",\"name\":");
        dvc_forms_str(out, f->procedure_name);
    }

    dvc_buf_puts(out, "},\"agency\":");
    dvc_buf_json_str(out, f->agency ? f->agency : "",
                     f->agency ? f->agency_len : 0);
    dvc_buf_puts(out, ",\"event\":");
    dvc_forms_str(out, f->event ? f->event : "");
    dvc_buf_puts(out, ",\"actor\":");
    dvc_forms_str(out, f->actor ? f->actor : "back-end");

    dvc_time_format_vn(f->at, t);
    dvc_buf_printf(out, ",\"at\":\"%s\"", t);
    dvc_time_format_vn(f->issued, t);
    dvc_buf_printf(out, ",\"issued_at\":\"%s\",\"reason\":", t);
    dvc_text_json(out, f->reason);

    if (form == DVC_FORM_SUPPLEMENT) {
        dvc_buf_puts(out, ",\"documents\":[");

        for (i = 0; i < f->ndocuments; i++) {
            dvc_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
            dvc_buf_json_str(out, f->documents[i].name,
                             f->documents[i].name_len);

            if (f->documents[i].note) {
                dvc_buf_puts(out, ",\"note\":");
                dvc_buf_json_str(out, f->documents[i].note,
                                 f->documents[i].note_len);
            }

            dvc_buf_putc(out, '}');
        }

        dvc_buf_putc(out, ']');
    }

    if (form == DVC_FORM_APOLOGY) {
        if (f->due) {
            dvc_time_format_vn(f->due, t);
            dvc_buf_printf(out, ",\"due_at\":\"%s\"", t);
        }

        dvc_time_format_vn(f->new_due, t);
        dvc_buf_printf(out, ",\"new_due_at\":\"%s\"", t);
    }

    dvc_buf_putc(out, '}');

    return out->failed ? -1 : 0;
}


int
dvc_form_sign(const dvc_key_t *key, dvc_form_t form,
    const dvc_form_facts_t *f, dvc_buf_t *payload, dvc_buf_t *jws)
{
    const dvc_form_info_t  *fi;

    fi = dvc_form_info(form);

    if (fi == NULL || key == NULL || dvc_form_payload(form, f, payload) != 0
        || dvc_jws_sign(key, fi->typ, payload->data, payload->len, jws) != 0)
    {
        return -1;
    }

    return jws->failed ? -1 : 0;
}


void
dvc_forms_append(dvc_buf_t *out, const char *prev, size_t prev_len,
    dvc_form_t form, int64_t at, const char *event, const char *jws,
    size_t jws_len)
{
    char                    t[DVC_TIME_VN_LEN + 1];
    const dvc_form_info_t  *fi;

    fi = dvc_form_info(form);

    if (prev && prev_len >= 2 && prev[0] == '[' && prev[prev_len - 1] == ']')
    {
        dvc_buf_append(out, prev, prev_len - 1);
        if (prev_len > 2) {
            dvc_buf_putc(out, ',');
        }

    } else {
        dvc_buf_putc(out, '[');
    }

    dvc_time_format_vn(at, t);
    dvc_buf_printf(out, "{\"form\":\"%s\",\"typ\":\"%s\",\"at\":\"%s\","
                   "\"event\":", fi ? fi->id : "", fi ? fi->typ : "", t);
    dvc_forms_str(out, event ? event : "");
    dvc_buf_puts(out, ",\"jws\":");
    dvc_buf_json_str(out, jws, jws_len);
    dvc_buf_puts(out, "}]");
}
