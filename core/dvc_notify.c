/*
 * The notices of dvc:notify (dvc_notify.h): which change leaves one, and
 * its fields and texts.
 */
#include <string.h>

#include "dvc_notify.h"
#include "dvc_forms.h"
#include "dvc_time.h"


static const char *dvc_notice_templates[] = {
    NULL, "accepted", "supplement_requested", "refused", "delayed",
    "payment_required", "stopped", "resolved", "returned",
    "payment_received"
};


dvc_notice_kind_t
dvc_notice_for_event(dvc_event_type_t type)
{
    switch (type) {
    case DVC_EV_ACCEPT:
        return DVC_NOTICE_ACCEPTED;
    case DVC_EV_REFUSE:
        return DVC_NOTICE_REFUSED;
    case DVC_EV_REQUEST_SUPPLEMENT:
        return DVC_NOTICE_SUPPLEMENT_REQUESTED;
    case DVC_EV_REQUEST_PAYMENT:
        return DVC_NOTICE_PAYMENT_REQUIRED;
    case DVC_EV_DELAY:
        return DVC_NOTICE_DELAYED;
    case DVC_EV_STOP:
    case DVC_EV_CONFIRM_WITHDRAWAL:
        return DVC_NOTICE_STOPPED;
    case DVC_EV_RESOLVE:
        return DVC_NOTICE_RESOLVED;
    case DVC_EV_RETURN:
        return DVC_NOTICE_RETURNED;
    default:
        return DVC_NOTICE_NONE;
    }
}


const char *
dvc_notice_template(dvc_notice_kind_t kind)
{
    if (kind <= DVC_NOTICE_NONE || kind > DVC_NOTICE_PAYMENT_RECEIVED) {
        return NULL;
    }

    return dvc_notice_templates[kind];
}


/* "2026-11-23T09:10:00+07:00" -> HH:MM, DD/MM/YYYY */
static void
dvc_notify_time(int64_t t, const char *word, char *out)
{
    char  vn[DVC_TIME_VN_LEN + 1];

    dvc_time_format_vn(t, vn);
    memcpy(out, vn + 11, 5);
    out[5] = ' ';
    strcpy(out + 6, word);
    out += 6 + strlen(word);
    *out++ = ' ';
    memcpy(out, vn + 8, 2);
    out[2] = '/';
    memcpy(out + 3, vn + 5, 2);
    out[5] = '/';
    memcpy(out + 6, vn, 4);
    out[10] = '\0';
}


void
dvc_notify_time_vi(int64_t t, char *out)
{
    dvc_notify_time(t, "ngày", out);
}


void
dvc_notify_time_en(int64_t t, char *out)
{
    dvc_notify_time(t, "on", out);
}


/* 1234567 -> "1.234.567" (sep '.') or "1,234,567" */
static void
dvc_notify_amount(dvc_buf_t *b, int64_t v, char sep)
{
    char    digits[24], *p;
    size_t  n, i;

    p = digits + sizeof(digits);
    *--p = '\0';

    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v > 0 && p > digits);

    n = strlen(p);

    for (i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) {
            dvc_buf_putc(b, sep);
        }
        dvc_buf_putc(b, p[i]);
    }
}


typedef struct {
    dvc_notify_entry_t  *e;
    size_t               start;
} dvc_notify_val_t;


static void
dvc_notify_begin(dvc_notify_entry_t *e, dvc_notify_val_t *v)
{
    v->e = e;
    v->start = e->buf.len;
}


static void
dvc_notify_end(dvc_notify_val_t *v, const char *name)
{
    dvc_notify_entry_t  *e = v->e;

    if (e->n < DVC_NOTIFY_FIELDS_MAX) {
        e->f[e->n].name = name;
        e->f[e->n].off = v->start;
        e->f[e->n].len = e->buf.len - v->start;
        e->n++;
    }
}


static void
dvc_notify_field(dvc_notify_entry_t *e, const char *name, const char *s,
    size_t len)
{
    dvc_notify_val_t  v;

    dvc_notify_begin(e, &v);
    dvc_buf_append(&e->buf, s, len);
    dvc_notify_end(&v, name);
}


/* "hồ sơ CODE (PROCEDURE)" */
static void
dvc_notify_dossier(dvc_buf_t *b, const dvc_notice_t *n, const char *word)
{
    dvc_buf_puts(b, word);
    dvc_buf_append(b, n->code, n->code_len);

    if (n->procedure && n->procedure_len) {
        dvc_buf_puts(b, " (");
        dvc_buf_append(b, n->procedure, n->procedure_len);
        dvc_buf_putc(b, ')');
    }
}


/* "Lý do: REASON\n" (the English text when there is one); without the label
 * the reason alone (the fee's purpose) */
static void
dvc_notify_reason_as(dvc_buf_t *b, const dvc_notice_t *n, int en, int label)
{
    if (n->reason == NULL || n->reason->vi == NULL) {
        return;
    }

    if (label) {
        dvc_buf_puts(b, en ? "Reason: " : "Lý do: ");
    }

    if (en && n->reason->en) {
        dvc_buf_append(b, n->reason->en, n->reason->en_len);

    } else {
        dvc_buf_append(b, n->reason->vi, n->reason->vi_len);
    }

    dvc_buf_putc(b, '\n');
}


static void
dvc_notify_reason(dvc_buf_t *b, const dvc_notice_t *n, int en)
{
    dvc_notify_reason_as(b, n, en, 1);
}


/* "150.000 đồng" / "150,000 VND" */
static void
dvc_notify_money(dvc_buf_t *b, int64_t amount, int en)
{
    dvc_notify_amount(b, amount, en ? ',' : '.');
    dvc_buf_puts(b, en ? " VND" : " đồng");
}


/* the first line: "LEAD" + "CODE (PROCEDURE)" + "WHAT", in the language */
static void
dvc_notify_lead(dvc_buf_t *b, const dvc_notice_t *n, int en,
    const char *lead_vi, const char *lead_en, const char *what_vi,
    const char *what_en)
{
    dvc_notify_dossier(b, n, en ? lead_en : lead_vi);
    dvc_buf_puts(b, en ? what_en : what_vi);
}


static void
dvc_notify_subject(dvc_buf_t *b, const dvc_notice_t *n, int en)
{
    static const char  *vi[] = {
        NULL, "đã được tiếp nhận", "cần bổ sung, hoàn thiện",
        "không được tiếp nhận", "xin lỗi và hẹn lại ngày trả kết quả",
        "yêu cầu thực hiện nghĩa vụ tài chính", "dừng xử lý",
        "đã có kết quả", "đã trả kết quả", "đã thanh toán trực tuyến"
    };
    static const char  *eng[] = {
        NULL, "accepted", "documents to add", "refused",
        "our apology and a new date", "a fee to pay", "handling stopped",
        "the result is ready", "the result was handed over",
        "payment received"
    };

    dvc_buf_puts(b, en ? "Dossier " : "Hồ sơ ");
    dvc_buf_append(b, n->code, n->code_len);
    dvc_buf_puts(b, ": ");
    dvc_buf_puts(b, en ? eng[n->kind] : vi[n->kind]);
}


static void
dvc_notify_documents(dvc_buf_t *b, const dvc_notice_t *n, int en)
{
    size_t  i;

    if (n->ndocuments) {
        dvc_buf_puts(b, en ? "Documents to add:\n" : "Giấy tờ cần bổ sung:\n");
    }

    for (i = 0; i < n->ndocuments; i++) {
        dvc_buf_puts(b, "- ");
        dvc_buf_append(b, n->documents[i].name, n->documents[i].name_len);
        if (n->documents[i].note) {
            dvc_buf_puts(b, " (");
            dvc_buf_append(b, n->documents[i].note, n->documents[i].note_len);
            dvc_buf_putc(b, ')');
        }
        dvc_buf_putc(b, '\n');
    }
}


/* the signed form, the lookup link, "do not reply" */
static void
dvc_notify_footer(dvc_buf_t *b, const dvc_notice_t *n, int en)
{
    int                     i;
    const dvc_form_info_t  *fi;

    if (n->form) {
        for (i = DVC_FORM_RECEIPT; i <= DVC_FORM_STOP; i++) {
            fi = dvc_form_info((dvc_form_t) i);
            if (fi && strcmp(fi->id, n->form) == 0) {
                dvc_buf_puts(b, en ? "The signed form \"" : "\"");
                dvc_buf_puts(b, en ? fi->title_en : fi->title_vi);
                dvc_buf_puts(b, en ? "\" is in the lookup.\n"
                                   : "\" có chữ ký số, xem tại trang tra "
                                     "cứu.\n");
                break;
            }
        }
    }

    if (n->link && n->link_len) {
        dvc_buf_puts(b, en ? "Look it up (with your lookup token): "
                           : "Tra cứu hồ sơ (với mã tra cứu đã nhận): ");
        dvc_buf_append(b, n->link, n->link_len);
        dvc_buf_append(b, n->code, n->code_len);
        dvc_buf_putc(b, '\n');
    }

    dvc_buf_puts(b, en ? "This message was sent automatically; please do "
                         "not reply."
                       : "Đây là thư tự động, xin đừng trả lời.");
}


/* A fee or tax to pay: how much, and why. */
static void
dvc_notify_payment_due(dvc_buf_t *b, const dvc_notice_t *n, int en)
{
    dvc_notify_lead(b, n, en, "Hồ sơ ", "Your dossier ",
                    " cần thực hiện nghĩa vụ tài chính",
                    " needs a fee or tax to be paid");
    if (n->amount > 0) {
        dvc_buf_puts(b, ": ");
        dvc_notify_money(b, n->amount, en);
    }
    dvc_buf_puts(b, ".\n");
    dvc_notify_reason_as(b, n, en, 0);
}


/* A fee paid online: how much, when, through whom, the transaction. */
static void
dvc_notify_paid(dvc_buf_t *b, const dvc_notice_t *n, int en, const char *at)
{
    dvc_notify_lead(b, n, en, "Hồ sơ ", "The fee for your dossier ",
                    " đã được thanh toán trực tuyến", " was paid online");
    if (n->amount > 0) {
        dvc_buf_puts(b, en ? ": " : " số tiền ");
        dvc_notify_money(b, n->amount, en);
    }
    dvc_buf_printf(b, en ? ", at %s" : " lúc %s", at);
    if (n->provider) {
        dvc_buf_puts(b, en ? " through " : " qua ");
        dvc_buf_puts(b, strcmp(n->provider, "vnpay") == 0 ? "VNPAY"
                                                          : n->provider);
    }
    if (n->transaction && n->transaction_len) {
        dvc_buf_puts(b, en ? " (transaction " : " (mã giao dịch ");
        dvc_buf_append(b, n->transaction, n->transaction_len);
        dvc_buf_putc(b, ')');
    }
    dvc_buf_puts(b, en ? ".\nThe agency goes on handling it. The signed "
                         "payment receipt is in the lookup.\n"
                       : ".\nHồ sơ tiếp tục được giải quyết. Biên lai "
                         "thanh toán có chữ ký số, xem tại trang tra "
                         "cứu.\n");
}


static void
dvc_notify_text(dvc_buf_t *b, const dvc_notice_t *n, int en)
{
    char  at[32], due[32];

    if (en) {
        dvc_notify_time_en(n->at, at);
        dvc_notify_time_en(n->due, due);
    } else {
        dvc_notify_time_vi(n->at, at);
        dvc_notify_time_vi(n->due, due);
    }

    switch (n->kind) {

    case DVC_NOTICE_ACCEPTED:
        dvc_notify_dossier(b, n, en ? "Your dossier " : "Hồ sơ ");
        dvc_buf_printf(b, en ? " was accepted at %s.\n"
                             : " đã được tiếp nhận lúc %s.\n", at);
        if (n->due) {
            dvc_buf_printf(b, en ? "The result is due at %s.\n"
                                 : "Hẹn trả kết quả lúc %s.\n", due);
        }
        break;

    case DVC_NOTICE_SUPPLEMENT_REQUESTED:
        dvc_notify_lead(b, n, en, "Hồ sơ ", "Your dossier ",
                        " cần được bổ sung, hoàn thiện.\n",
                        " must be supplemented and completed.\n");
        dvc_notify_reason(b, n, en);
        dvc_notify_documents(b, n, en);

        dvc_buf_puts(b, en ? "The time for handling counts again from the "
                             "complete dossier.\n"
                           : "Thời hạn giải quyết được tính lại từ khi nhận "
                             "đủ hồ sơ.\n");
        break;

    case DVC_NOTICE_REFUSED:
        dvc_notify_lead(b, n, en, "Hồ sơ ", "Your dossier ",
                        " không được tiếp nhận giải quyết.\n",
                        " was not accepted for handling.\n");
        dvc_notify_reason(b, n, en);
        break;

    case DVC_NOTICE_DELAYED:
        dvc_notify_lead(b, n, en, "Cơ quan giải quyết xin lỗi vì hồ sơ ",
                        "We apologise: your dossier ",
                        " chưa có kết quả đúng hẹn.\n",
                        " will not be ready on the date given.\n");
        dvc_notify_reason(b, n, en);
        dvc_buf_printf(b, en ? "The new date for the result: %s.\n"
                             : "Hẹn lại ngày trả kết quả: %s.\n", due);
        break;

    case DVC_NOTICE_PAYMENT_REQUIRED:
        dvc_notify_payment_due(b, n, en);
        break;

    case DVC_NOTICE_STOPPED:
        dvc_buf_puts(b, en ? "Handling of your dossier "
                           : "Việc giải quyết hồ sơ ");
        dvc_notify_dossier(b, n, "");
        dvc_buf_printf(b, en ? " stopped at %s.\n" : " đã dừng lúc %s.\n",
                       at);
        dvc_notify_reason(b, n, en);
        break;

    case DVC_NOTICE_RESOLVED:
        dvc_notify_dossier(b, n, en ? "Your dossier " : "Hồ sơ ");
        dvc_buf_printf(b, en ? " was resolved at %s: the result is ready.\n"
                             : " đã giải quyết xong lúc %s, đã có kết "
                               "quả.\n", at);
        if (n->note && n->note_len) {
            dvc_buf_append(b, n->note, n->note_len);
            dvc_buf_putc(b, '\n');
        }
        break;

    case DVC_NOTICE_PAYMENT_RECEIVED:
        dvc_notify_paid(b, n, en, at);
        break;

    default: /* DVC_NOTICE_RETURNED */
        dvc_buf_puts(b, en ? "The result of your dossier "
                           : "Kết quả của hồ sơ ");
        dvc_notify_dossier(b, n, "");
        dvc_buf_printf(b, en ? " was handed over at %s.\n"
                             "You may rate the service in the lookup.\n"
                             : " đã được trả lúc %s.\n"
                             "Mời Ông/Bà đánh giá mức độ hài lòng tại "
                             "trang tra cứu.\n", at);
        break;
    }

    dvc_notify_footer(b, n, en);
}


int
dvc_notify_entry(const dvc_alloc_t *a, const dvc_notice_t *n,
    dvc_notify_entry_t *e)
{
    char              at[DVC_TIME_VN_LEN + 1];
    const char       *tpl;
    dvc_notify_val_t  v;

    memset(e, 0, sizeof(*e));
    dvc_buf_init(&e->buf, a);

    tpl = dvc_notice_template(n->kind);
    if (tpl == NULL || n->code == NULL) {
        return -1;
    }

    dvc_notify_field(e, "code", n->code, n->code_len);
    dvc_notify_field(e, "template", tpl, strlen(tpl));

    dvc_notify_begin(e, &v);
    dvc_buf_printf(&e->buf, "%d", n->status);
    dvc_notify_end(&v, "status");

    if (n->event && n->event_len) {
        dvc_notify_field(e, "event", n->event, n->event_len);
    }

    dvc_time_format_vn(n->at, at);
    dvc_notify_field(e, "at", at, DVC_TIME_VN_LEN);

    if (n->email && n->email_len) {
        dvc_notify_field(e, "email", n->email, n->email_len);
    }

    if (n->phone && n->phone_len) {
        dvc_notify_field(e, "phone", n->phone, n->phone_len);
    }

    dvc_notify_begin(e, &v);
    if (n->email && n->email_len) {
        dvc_buf_puts(&e->buf, "email");
    }
    if (n->phone && n->phone_len) {
        dvc_buf_puts(&e->buf, n->email && n->email_len ? ",sms,zalo"
                                                       : "sms,zalo");
    }
    dvc_notify_end(&v, "channels");

    dvc_notify_begin(e, &v);
    dvc_notify_subject(&e->buf, n, 0);
    dvc_notify_end(&v, "subject_vi");

    dvc_notify_begin(e, &v);
    dvc_notify_subject(&e->buf, n, 1);
    dvc_notify_end(&v, "subject_en");

    dvc_notify_begin(e, &v);
    dvc_notify_text(&e->buf, n, 0);
    dvc_notify_end(&v, "text_vi");

    dvc_notify_begin(e, &v);
    dvc_notify_text(&e->buf, n, 1);
    dvc_notify_end(&v, "text_en");

    if (n->link && n->link_len) {
        dvc_notify_begin(e, &v);
        dvc_buf_append(&e->buf, n->link, n->link_len);
        dvc_buf_append(&e->buf, n->code, n->code_len);
        dvc_notify_end(&v, "link");
    }

    if (n->form) {
        dvc_notify_field(e, "form", n->form, strlen(n->form));
    }

    if (e->buf.failed) {
        dvc_buf_free(&e->buf);
        return -1;
    }

    return 0;
}
