/*
 * Notifications (dvc_notify) and the signed forms 02, 03, 04 and the stop
 * notice (dvc_forms): which change leaves what, the stream entry's fields
 * and texts, the forms' payloads, and their JWS checked with the verifier
 * against the key's public half.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_notify.h"
#include "dvc_forms.h"
#include "dvc_jws.h"
#include "dvc_keys.h"
#include "jws_fixtures.h"

#define A     (&dvc_alloc_std)
#define CODE  "000.20.31.H29-261122-0005"
#define AT    INT64_C(1795310293)       /* 2026-11-22T08:18:13+07:00 */
#define DUE   INT64_C(1795564800)       /* 2026-11-25T07:00:00+07:00 */


static char *
field(dvc_notify_entry_t *e, const char *name)
{
    size_t  i;
    char   *s;

    for (i = 0; i < e->n; i++) {
        if (strcmp(e->f[i].name, name) == 0) {
            s = malloc(e->f[i].len + 1);
            memcpy(s, e->buf.data + e->f[i].off, e->f[i].len);
            s[e->f[i].len] = '\0';
            return s;
        }
    }

    return NULL;
}


static void
assert_field(dvc_notify_entry_t *e, const char *name, const char *want)
{
    char  *s = field(e, name);

    if (want == NULL) {
        assert_null(s);
        return;
    }

    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}


static void
assert_field_has(dvc_notify_entry_t *e, const char *name, const char *part)
{
    char  *s = field(e, name);

    assert_non_null(s);
    if (strstr(s, part) == NULL) {
        fail_msg("%s: \"%s\" not in \"%s\"", name, part, s);
    }
    free(s);
}


static void
test_which_events(void **state)
{
    (void) state;

    assert_int_equal(dvc_notice_for_event(DVC_EV_ACCEPT), DVC_NOTICE_ACCEPTED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_REQUEST_SUPPLEMENT),
                     DVC_NOTICE_SUPPLEMENT_REQUESTED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_REFUSE), DVC_NOTICE_REFUSED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_DELAY), DVC_NOTICE_DELAYED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_REQUEST_PAYMENT),
                     DVC_NOTICE_PAYMENT_REQUIRED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_RESOLVE), DVC_NOTICE_RESOLVED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_RETURN), DVC_NOTICE_RETURNED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_STOP), DVC_NOTICE_STOPPED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_CONFIRM_WITHDRAWAL),
                     DVC_NOTICE_STOPPED);
    assert_int_equal(dvc_notice_for_event(DVC_EV_PROCESS), DVC_NOTICE_NONE);
    assert_int_equal(dvc_notice_for_event(DVC_EV_DECLINE_WITHDRAWAL),
                     DVC_NOTICE_NONE);
    assert_int_equal(dvc_notice_for_event(DVC_ACT_RATING), DVC_NOTICE_NONE);

    assert_string_equal(dvc_notice_template(DVC_NOTICE_DELAYED), "delayed");
    assert_null(dvc_notice_template(DVC_NOTICE_NONE));
    assert_null(dvc_notice_template((dvc_notice_kind_t) 99));

    assert_int_equal(dvc_form_for_event(DVC_EV_REQUEST_SUPPLEMENT),
                     DVC_FORM_SUPPLEMENT);
    assert_int_equal(dvc_form_for_event(DVC_EV_REFUSE), DVC_FORM_REFUSAL);
    assert_int_equal(dvc_form_for_event(DVC_EV_DELAY), DVC_FORM_APOLOGY);
    assert_int_equal(dvc_form_for_event(DVC_EV_STOP), DVC_FORM_STOP);
    assert_int_equal(dvc_form_for_event(DVC_EV_ACCEPT), DVC_FORM_NONE);
    assert_int_equal(dvc_form_for_event(DVC_EV_CONFIRM_WITHDRAWAL),
                     DVC_FORM_NONE);
    assert_string_equal(dvc_form_info(DVC_FORM_REFUSAL)->typ,
                        "dvc-refusal+jws");
    assert_string_equal(dvc_form_info(DVC_FORM_APOLOGY)->id, "04");
    assert_null(dvc_form_info(DVC_FORM_NONE));
}


static void
test_times(void **state)
{
    char  out[32];

    (void) state;

    dvc_notify_time_vi(AT, out);
    assert_string_equal(out, "08:18 ngày 22/11/2026");
    dvc_notify_time_en(DUE, out);
    assert_string_equal(out, "07:00 on 25/11/2026");
}


static void
test_accepted(void **state)
{
    dvc_notice_t        n;
    dvc_notify_entry_t  e;

    (void) state;

    memset(&n, 0, sizeof(n));
    n.kind = DVC_NOTICE_ACCEPTED;
    n.code = CODE;
    n.code_len = strlen(CODE);
    n.procedure = "Đăng ký khai sinh";
    n.procedure_len = strlen(n.procedure);
    n.event = "b.1.accept";
    n.event_len = strlen(n.event);
    n.status = 2;
    n.at = AT;
    n.due = DUE;
    n.email = "an@example.vn";
    n.email_len = strlen(n.email);
    n.phone = "0912345678";
    n.phone_len = strlen(n.phone);
    n.link = "https://dvc.example.vn/tra-cuu?code=";
    n.link_len = strlen(n.link);

    assert_int_equal(dvc_notify_entry(A, &n, &e), 0);

    /* the fields in their order */
    assert_int_equal(e.n, 13);
    assert_string_equal(e.f[0].name, "code");
    assert_string_equal(e.f[1].name, "template");
    assert_string_equal(e.f[12].name, "link");

    assert_field(&e, "code", CODE);
    assert_field(&e, "template", "accepted");
    assert_field(&e, "status", "2");
    assert_field(&e, "event", "b.1.accept");
    assert_field(&e, "at", "2026-11-22T08:18:13+07:00");
    assert_field(&e, "email", "an@example.vn");
    assert_field(&e, "phone", "0912345678");
    assert_field(&e, "channels", "email,sms,zalo");
    assert_field(&e, "subject_vi", "Hồ sơ " CODE ": đã được tiếp nhận");
    assert_field(&e, "subject_en", "Dossier " CODE ": accepted");
    assert_field(&e, "link", "https://dvc.example.vn/tra-cuu?code=" CODE);
    assert_field(&e, "form", NULL);
    assert_field(&e, "text_vi",
        "Hồ sơ " CODE " (Đăng ký khai sinh) đã được tiếp nhận lúc "
        "08:18 ngày 22/11/2026.\n"
        "Hẹn trả kết quả lúc 07:00 ngày 25/11/2026.\n"
        "Tra cứu hồ sơ (với mã tra cứu đã nhận): "
        "https://dvc.example.vn/tra-cuu?code=" CODE "\n"
        "Đây là thư tự động, xin đừng trả lời.");
    assert_field_has(&e, "text_en", "The result is due at 07:00 on "
                     "25/11/2026.\n");

    dvc_buf_free(&e.buf);
}


static void
test_supplement_no_contact(void **state)
{
    dvc_text_t          reason = { "Thiếu bản sao giấy khai sinh", 0,
                                   NULL, 0 };
    dvc_event_doc_t     docs[2] = {
        { "Bản sao Giấy khai sinh", 0, "bản sao có chứng thực", 0 },
        { "Ảnh 4x6", 0, NULL, 0 }
    };
    dvc_notice_t        n;
    dvc_notify_entry_t  e;

    (void) state;

    reason.vi_len = strlen(reason.vi);
    docs[0].name_len = strlen(docs[0].name);
    docs[0].note_len = strlen(docs[0].note);
    docs[1].name_len = strlen(docs[1].name);

    memset(&n, 0, sizeof(n));
    n.kind = DVC_NOTICE_SUPPLEMENT_REQUESTED;
    n.code = CODE;
    n.code_len = strlen(CODE);
    n.status = 5;
    n.at = AT;
    n.reason = &reason;
    n.documents = docs;
    n.ndocuments = 2;
    n.form = "02";

    assert_int_equal(dvc_notify_entry(A, &n, &e), 0);
    assert_field(&e, "email", NULL);
    assert_field(&e, "phone", NULL);
    assert_field(&e, "channels", "");
    assert_field(&e, "link", NULL);
    assert_field(&e, "form", "02");
    assert_field(&e, "text_vi",
        "Hồ sơ " CODE " cần được bổ sung, hoàn thiện.\n"
        "Lý do: Thiếu bản sao giấy khai sinh\n"
        "Giấy tờ cần bổ sung:\n"
        "- Bản sao Giấy khai sinh (bản sao có chứng thực)\n"
        "- Ảnh 4x6\n"
        "Thời hạn giải quyết được tính lại từ khi nhận đủ hồ sơ.\n"
        "\"Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ\" có chữ ký số, xem tại "
        "trang tra cứu.\n"
        "Đây là thư tự động, xin đừng trả lời.");
    /* no English reason: the Vietnamese one */
    assert_field_has(&e, "text_en", "Reason: Thiếu bản sao giấy khai sinh\n");

    dvc_buf_free(&e.buf);
}


static void
test_payment_and_others(void **state)
{
    dvc_text_t          reason = { "Nộp lệ phí trước bạ", 0,
                                   "Pay the registration fee", 0 };
    dvc_notice_t        n;
    dvc_notify_entry_t  e;

    (void) state;

    reason.vi_len = strlen(reason.vi);
    reason.en_len = strlen(reason.en);

    memset(&n, 0, sizeof(n));
    n.kind = DVC_NOTICE_PAYMENT_REQUIRED;
    n.code = CODE;
    n.code_len = strlen(CODE);
    n.status = 6;
    n.at = AT;
    n.amount = 1234567;
    n.reason = &reason;
    n.phone = "0912345678";
    n.phone_len = 10;

    assert_int_equal(dvc_notify_entry(A, &n, &e), 0);
    assert_field(&e, "channels", "sms,zalo");
    assert_field_has(&e, "text_vi", "nghĩa vụ tài chính: 1.234.567 đồng.\n"
                     "Nộp lệ phí trước bạ\n");
    assert_field_has(&e, "text_en", ": 1,234,567 VND.\n"
                     "Pay the registration fee\n");
    dvc_buf_free(&e.buf);

    n.kind = DVC_NOTICE_DELAYED;
    n.due = DUE;
    assert_int_equal(dvc_notify_entry(A, &n, &e), 0);
    assert_field(&e, "template", "delayed");
    assert_field_has(&e, "text_vi", "Hẹn lại ngày trả kết quả: 07:00 ngày "
                     "25/11/2026.\n");
    assert_field_has(&e, "text_en", "Reason: Pay the registration fee\n");
    dvc_buf_free(&e.buf);

    n.kind = DVC_NOTICE_NONE;
    assert_int_equal(dvc_notify_entry(A, &n, &e), -1);

    n.kind = DVC_NOTICE_RETURNED;
    n.amount = 0;
    assert_int_equal(dvc_notify_entry(A, &n, &e), 0);
    assert_field_has(&e, "text_vi", "Kết quả của hồ sơ " CODE " đã được trả "
                     "lúc 08:18 ngày 22/11/2026.\n");
    dvc_buf_free(&e.buf);

    /* the online payment confirmed: 6 -> 4, no reason, no form */
    n.kind = DVC_NOTICE_PAYMENT_RECEIVED;
    n.status = 4;
    n.amount = 150000;
    n.reason = NULL;
    n.provider = "vnpay";
    n.transaction = "14226001";
    n.transaction_len = 8;
    assert_string_equal(dvc_notice_template(DVC_NOTICE_PAYMENT_RECEIVED),
                        "payment_received");
    assert_int_equal(dvc_notify_entry(A, &n, &e), 0);
    assert_field(&e, "template", "payment_received");
    assert_field(&e, "status", "4");
    assert_field(&e, "subject_vi", "Hồ sơ " CODE ": đã thanh toán trực tuyến");
    assert_field(&e, "subject_en", "Dossier " CODE ": payment received");
    assert_field_has(&e, "text_vi", "Hồ sơ " CODE " đã được thanh toán trực "
                     "tuyến số tiền 150.000 đồng lúc 08:18 ngày 22/11/2026 "
                     "qua VNPAY (mã giao dịch 14226001).\nHồ sơ tiếp tục "
                     "được giải quyết. Biên lai thanh toán có chữ ký số");
    assert_field_has(&e, "text_en", ": 150,000 VND, at 08:18 on 22/11/2026 "
                     "through VNPAY (transaction 14226001).\n");
    assert_field(&e, "form", NULL);
    dvc_buf_free(&e.buf);
}


static dvc_key_t *
load(const char *pem)
{
    char        err[256];
    dvc_key_t  *k = NULL;

    assert_int_equal(dvc_key_load_private(A, pem, strlen(pem), NULL, &k, err,
                                          sizeof(err)), 0);
    return k;
}


static void
test_forms(void **state)
{
    int                 rc;
    char                err[256];
    dvc_buf_t           pl, jws, forms, out;
    dvc_key_t          *k;
    dvc_jwks_t          set;
    const dvc_key_t    *keys[1];
    dvc_buf_t           jwks;
    dvc_text_t          reason = { "Hồ sơ thiếu chữ ký", 0, NULL, 0 };
    dvc_event_doc_t     doc = { "Tờ khai", 0, NULL, 0 };
    dvc_form_facts_t    f;

    (void) state;

    reason.vi_len = strlen(reason.vi);
    doc.name_len = strlen(doc.name);

    memset(&f, 0, sizeof(f));
    f.code = CODE;
    f.procedure_code = "1.001193";
    f.procedure_name = "Đăng ký khai sinh";
    f.agency = "000.20.31.H29";
    f.agency_len = strlen(f.agency);
    f.event = "b.2.request_supplement";
    f.actor = "Bộ phận Một cửa";
    f.at = AT;
    f.issued = AT + 2;
    f.reason = &reason;
    f.documents = &doc;
    f.ndocuments = 1;
    f.due = DUE;
    f.new_due = DUE + 86400;

    dvc_buf_init(&pl, A);
    assert_int_equal(dvc_form_payload(DVC_FORM_SUPPLEMENT, &f, &pl), 0);
    assert_string_equal(dvc_buf_cstr(&pl),
        "{\"form\":\"02\",\"title\":{\"vi\":\"Phiếu yêu cầu bổ sung, hoàn "
        "thiện hồ sơ\",\"en\":\"Request to supplement and complete the "
        "dossier\"},\"code\":\"" CODE "\",\"procedure\":{\"code\":"
        "\"1.001193\",\"name\":\"Đăng ký khai sinh\"},\"agency\":"
        "\"000.20.31.H29\",\"event\":\"b.2.request_supplement\",\"actor\":"
        "\"Bộ phận Một cửa\",\"at\":\"2026-11-22T08:18:13+07:00\","
        "\"issued_at\":\"2026-11-22T08:18:15+07:00\",\"reason\":{\"vi\":"
        "\"Hồ sơ thiếu chữ ký\"},\"documents\":[{\"name\":\"Tờ khai\"}]}");

    dvc_buf_reset(&pl);
    assert_int_equal(dvc_form_payload(DVC_FORM_APOLOGY, &f, &pl), 0);
    assert_non_null(strstr(dvc_buf_cstr(&pl),
        "\"due_at\":\"2026-11-25T07:00:00+07:00\","
        "\"new_due_at\":\"2026-11-26T07:00:00+07:00\"}"));
    assert_null(strstr(pl.data, "documents"));

    dvc_buf_reset(&pl);
    assert_int_equal(dvc_form_payload(DVC_FORM_RECEIPT, &f, &pl), -1);
    f.reason = NULL;
    assert_int_equal(dvc_form_payload(DVC_FORM_REFUSAL, &f, &pl), -1);
    f.reason = &reason;

    /* signed, and verified against the public key set */
    k = load(pem_ed25519);
    dvc_buf_reset(&pl);
    dvc_buf_init(&jws, A);
    assert_int_equal(dvc_form_sign(k, DVC_FORM_STOP, &f, &pl, &jws), 0);

    keys[0] = k;
    dvc_buf_init(&jwks, A);
    assert_int_equal(dvc_jwks_write(keys, 1, &jwks), 0);
    assert_int_equal(dvc_jwks_parse(A, jwks.data, jwks.len, &set, NULL, 0),
                     0);

    dvc_buf_init(&out, A);
    rc = dvc_jws_verify_ex(jws.data, jws.len, &set, "dvc-stop+jws", &out,
                           NULL, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_int_equal(out.len, pl.len);
    assert_memory_equal(out.data, pl.data, pl.len);

    /* another typ is refused: a stop notice is not a refusal */
    dvc_buf_reset(&out);
    assert_int_not_equal(dvc_jws_verify_ex(jws.data, jws.len, &set,
                                           "dvc-refusal+jws", &out, NULL,
                                           err, sizeof(err)), 0);
    dvc_buf_free(&out);

    /* the dossier's list of forms */
    dvc_buf_init(&forms, A);
    dvc_forms_append(&forms, NULL, 0, DVC_FORM_STOP, AT, "e1", "x.y.z", 5);
    assert_string_equal(dvc_buf_cstr(&forms),
        "[{\"form\":\"stop\",\"typ\":\"dvc-stop+jws\",\"at\":"
        "\"2026-11-22T08:18:13+07:00\",\"event\":\"e1\",\"jws\":\"x.y.z\"}]");
    dvc_buf_reset(&pl);
    dvc_forms_append(&pl, forms.data, forms.len, DVC_FORM_REFUSAL, AT, "e2",
                     "a.b.c", 5);
    assert_non_null(strstr(dvc_buf_cstr(&pl), "\"jws\":\"x.y.z\"},{\"form\":"
                           "\"03\",\"typ\":\"dvc-refusal+jws\""));

    dvc_buf_free(&pl);
    dvc_buf_free(&jws);
    dvc_buf_free(&jwks);
    dvc_buf_free(&forms);
    dvc_jwks_free(&set);
    dvc_key_free(k);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_which_events),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_supplement_no_contact),
        cmocka_unit_test(test_payment_and_others),
        cmocka_unit_test(test_forms),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
