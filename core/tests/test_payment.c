/*
 * The VNPAY adapter and the payment decision.  The expected URL and
 * signatures were computed independently with Python (hmac, hashlib,
 * urllib.parse.quote_plus, which encodes as PHP's urlencode but for '~'):
 *
 *   d = "&".join(quote_plus(k, safe="") + "=" + quote_plus(v, safe="")
 *                for k, v in sorted(params.items()))
 *   hmac.new(SECRET, d.encode(), hashlib.sha512).hexdigest()
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dvc_payment.h"
#include "dvc_jws.h"
#include "dvc_keys.h"
#include "dvc_time.h"
#include "jws_fixtures.h"

#define S(x) x, sizeof(x) - 1

#define SECRET   "SECRETKEY0123456789ABCDEFGHIJKLM"
#define TMN      "DVCTEST1"
#define CODE     "000.05.22.H29-261122-0001"
#define REF      CODE "-20261122072113"
#define NOW      INT64_C(1795306873)          /* 2026-11-22 07:21:13 +07 */
#define RETURN   "https://dvc.example.vn/thanh-toan?x=1&y=2"
#define PAYPAGE  "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"

#define URL_DATA                                                             \
    "vnp_Amount=5000000&vnp_Command=pay&vnp_CreateDate=20261122072113"       \
    "&vnp_CurrCode=VND&vnp_ExpireDate=20261122073613&vnp_IpAddr=127.0.0.1"   \
    "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+le+phi+ho+so+"                  \
    "000.05.22.H29-261122-0001&vnp_OrderType=other&vnp_ReturnUrl=https%3A"   \
    "%2F%2Fdvc.example.vn%2Fthanh-toan%3Fx%3D1%26y%3D2&vnp_TmnCode=DVCTEST1" \
    "&vnp_TxnRef=000.05.22.H29-261122-0001-20261122072113&vnp_Version=2.1.0"
#define URL_HASH                                                             \
    "d3ed4cb9f9c3bf882598d8c1f1eb1aa2292499046bc3aae07e4a3690bf8292259ae5a1" \
    "d79b012d5be12eda68a4e7b3935cd5d83e8cfb88e5883847b51cbb27f0"

#define IPN_DATA                                                             \
    "vnp_Amount=5000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112"         \
    "&vnp_CardType=ATM&vnp_OrderInfo=Thanh+toan+le+phi+ho+so+"               \
    "000.05.22.H29-261122-0001&vnp_PayDate=20261122072530"                   \
    "&vnp_ResponseCode=00&vnp_TmnCode=DVCTEST1&vnp_TransactionNo=14226112"   \
    "&vnp_TransactionStatus=00"                                              \
    "&vnp_TxnRef=000.05.22.H29-261122-0001-20261122072113"
#define IPN_HASH                                                             \
    "9572811ed3ab5d96cbbfb0af40ac542b3d684d1e776f80ec11fd05baadc105dd2c547e" \
    "83441d6399c25286e935919e56eb5046faff88224dcc1742d77244415b"
#define IPN  IPN_DATA "&vnp_SecureHashType=HmacSHA512&vnp_SecureHash=" IPN_HASH

static const dvc_payment_conf_t  conf = {
    S(TMN), (const unsigned char *) SECRET, sizeof(SECRET) - 1,
    S(PAYPAGE), S(RETURN)
};


static dvc_pay_verdict_t
parse(const char *q, dvc_payment_notice_t *n)
{
    char  why[128];

    why[0] = '\0';
    return dvc_payment_vnpay.notice_parse(&dvc_alloc_std, &conf, q,
                                          strlen(q), n, why, sizeof(why));
}


/* the query of data signed with SECRET: the test's own signing */
static char *
sign(const char *data, const char *extra)
{
    static char    out[4096];
    unsigned char  mac[64];
    unsigned int   len, i;
    char          *p;

    HMAC(EVP_sha512(), SECRET, sizeof(SECRET) - 1,
         (const unsigned char *) data, strlen(data), mac, &len);
    p = out + snprintf(out, sizeof(out), "%s%s&vnp_SecureHash=", data, extra);
    for (i = 0; i < len; i++) {
        p += sprintf(p, "%02x", mac[i]);
    }
    return out;
}


static void
test_pay_url(void **state)
{
    char                 ref[DVC_PAY_TXN_MAX + 1], why[128];
    dvc_buf_t            url;
    dvc_payment_order_t  o = { S(CODE), 50000, NOW, S("127.0.0.1"), 15 };

    (void) state;
    dvc_buf_init(&url, &dvc_alloc_std);
    assert_int_equal(dvc_payment_vnpay.pay_url(&conf, &o, &url, ref, why,
                                               sizeof(why)), 0);
    assert_string_equal(dvc_buf_cstr(&url),
                        PAYPAGE "?" URL_DATA "&vnp_SecureHash=" URL_HASH);
    assert_string_equal(ref, REF);
    dvc_buf_free(&url);

    /* VNPAY's amount field has 12 digits: VND x 100 */
    o.amount = INT64_C(10000000000);
    dvc_buf_init(&url, &dvc_alloc_std);
    assert_int_equal(dvc_payment_vnpay.pay_url(&conf, &o, &url, ref, why,
                                               sizeof(why)), -1);
    o.amount = 0;
    assert_int_equal(dvc_payment_vnpay.pay_url(&conf, &o, &url, ref, why,
                                               sizeof(why)), -1);
    dvc_buf_free(&url);
}


static void
test_notice_valid(void **state)
{
    dvc_payment_notice_t  n;

    (void) state;
    assert_int_equal(parse(IPN, &n), DVC_PAY_APPLY);
    assert_string_equal(n.code, CODE);
    assert_string_equal(n.txn_ref, REF);
    assert_int_equal(n.amount, 50000);
    assert_int_equal(n.paid, 1);
    assert_string_equal(n.transaction_no, "14226112");
    assert_string_equal(n.bank_code, "NCB");
    assert_int_equal(n.paid_at, NOW + 257);

    /* the order of the parameters is VNPAY's business; upper-case hex and
     * parameters that are not vnp_ are fine */
    assert_int_equal(parse("utm=1&vnp_SecureHash=" IPN_HASH "&" IPN_DATA, &n),
                     DVC_PAY_APPLY);

    /* a cancelled payment: signed and well-formed, not paid */
    assert_int_equal(parse(sign("vnp_Amount=5000000&vnp_ResponseCode=24"
                                "&vnp_TmnCode=DVCTEST1"
                                "&vnp_TransactionNo=0"
                                "&vnp_TransactionStatus=02&vnp_TxnRef=" REF,
                                ""), &n), DVC_PAY_APPLY);
    assert_int_equal(n.paid, 0);
}


static void
test_notice_refused(void **state)
{
    char                  q[4096];
    dvc_payment_notice_t  n;

    (void) state;

    /* any change breaks the signature: 97 */
    strcpy(q, IPN);
    q[11] = '9';                                   /* vnp_Amount=5000009 */
    assert_int_equal(parse(q, &n), DVC_PAY_BAD_SIGNATURE);
    assert_int_equal(parse(IPN_DATA, &n), DVC_PAY_BAD_SIGNATURE);
    assert_int_equal(parse(IPN_DATA "&vnp_SecureHash=abc", &n),
                     DVC_PAY_BAD_SIGNATURE);
    assert_int_equal(parse(IPN_DATA "&vnp_Extra=1&vnp_SecureHash=" IPN_HASH,
                           &n), DVC_PAY_BAD_SIGNATURE);

    /* a parameter twice, however spelt: 99 before the signature */
    assert_int_equal(parse(IPN "&vnp_Amount=5000000", &n), DVC_PAY_OTHER);
    assert_int_equal(parse(IPN "&vnp_%41mount=1", &n), DVC_PAY_OTHER);
    assert_int_equal(parse(IPN "&vnp_SecureHash=" IPN_HASH, &n),
                     DVC_PAY_OTHER);
    assert_int_equal(parse("", &n), DVC_PAY_OTHER);

    /* signed, but not an order of ours: 01 */
    assert_int_equal(parse(sign("vnp_Amount=5000000&vnp_ResponseCode=00"
                                "&vnp_TmnCode=OTHERTMN&vnp_TransactionNo=1"
                                "&vnp_TransactionStatus=00&vnp_TxnRef=" REF,
                                ""), &n), DVC_PAY_UNKNOWN);
    assert_int_equal(parse(sign("vnp_Amount=5000000&vnp_ResponseCode=00"
                                "&vnp_TmnCode=DVCTEST1&vnp_TransactionNo=1"
                                "&vnp_TransactionStatus=00&vnp_TxnRef=12345",
                                ""), &n), DVC_PAY_UNKNOWN);
    assert_int_equal(parse(sign("vnp_Amount=5000000&vnp_ResponseCode=00"
                                "&vnp_TmnCode=DVCTEST1&vnp_TransactionNo=1"
                                "&vnp_TransactionStatus=00&vnp_TxnRef="
                                "000.05.22.H29-261199-0001-20261122072113",
                                ""), &n), DVC_PAY_UNKNOWN);

    /* signed but malformed: 99 */
    assert_int_equal(parse(sign("vnp_Amount=5e6&vnp_ResponseCode=00"
                                "&vnp_TmnCode=DVCTEST1&vnp_TransactionNo=1"
                                "&vnp_TransactionStatus=00&vnp_TxnRef=" REF,
                                ""), &n), DVC_PAY_OTHER);
    assert_int_equal(parse(sign("vnp_Amount=5000000&vnp_ResponseCode=00"
                                "&vnp_TmnCode=DVCTEST1"
                                "&vnp_TransactionStatus=00&vnp_TxnRef=" REF,
                                ""), &n), DVC_PAY_OTHER);

    /* a fraction of a dong is another amount */
    assert_int_equal(parse(sign("vnp_Amount=5000050&vnp_ResponseCode=00"
                                "&vnp_TmnCode=DVCTEST1&vnp_TransactionNo=1"
                                "&vnp_TransactionStatus=00&vnp_TxnRef=" REF,
                                ""), &n), DVC_PAY_APPLY);
    assert_int_equal(n.amount, -1);
}


static void
test_decide(void **state)
{
    dvc_payment_notice_t  n;
    dvc_payment_facts_t   f;
    char                  out[128];
    dvc_buf_t             b;

    (void) state;
    assert_int_equal(parse(IPN, &n), DVC_PAY_APPLY);

    f.found = 1; f.status = 6; f.requested = 50000; f.paid = 0;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_APPLY);

    f.requested = 50001;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_AMOUNT);
    f.requested = 50000;

    f.paid = 1; f.status = 4;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_DONE);
    /* the amount is checked first, as VNPAY's reference code does */
    f.requested = 1;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_AMOUNT);
    f.requested = 50000; f.paid = 0;

    f.status = 7;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_DONE);

    f.found = 0;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_UNKNOWN);
    f.found = 1; f.requested = 0;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_UNKNOWN);

    f.requested = 50000; f.status = 6; n.paid = 0;
    assert_int_equal(dvc_payment_decide(&n, &f), DVC_PAY_NOTED);

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_payment_vnpay.answer(DVC_PAY_BAD_SIGNATURE, &b);
    snprintf(out, sizeof(out), "%s", dvc_buf_cstr(&b));
    assert_string_equal(out, "{\"RspCode\":\"97\",\"Message\":"
                        "\"Invalid signature\"}");
    dvc_buf_reset(&b);
    dvc_payment_vnpay.answer(DVC_PAY_NOTED, &b);
    assert_string_equal(dvc_buf_cstr(&b), "{\"RspCode\":\"00\",\"Message\":"
                        "\"Confirm Success\"}");
    dvc_buf_free(&b);
}


static void
test_history_receipt(void **state)
{
    dvc_payment_notice_t  n;
    dvc_buf_t             b;

    (void) state;
    assert_int_equal(parse(IPN, &n), DVC_PAY_APPLY);

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_payment_history_json(&b, "vnpay", &n, 4, NOW + 200);
    assert_string_equal(dvc_buf_cstr(&b),
        "{\"at\":\"2026-11-22T07:24:33+07:00\",\"status\":\"processing\","
        "\"status_number\":4,\"actor\":\"vnpay\",\"type\":\"payment\","
        "\"amount\":50000,\"transaction_no\":\"14226112\"}");
    dvc_buf_reset(&b);
    dvc_payment_receipt_json(&b, "vnpay", &n, NOW + 200);
    assert_string_equal(dvc_buf_cstr(&b),
        "{\"code\":\"000.05.22.H29-261122-0001\",\"provider\":\"vnpay\","
        "\"amount\":50000,\"currency\":\"VND\",\"txn_ref\":"
        "\"000.05.22.H29-261122-0001-20261122072113\",\"transaction_no\":"
        "\"14226112\",\"bank_code\":\"NCB\",\"paid_at\":"
        "\"2026-11-22T07:25:30+07:00\",\"recorded_at\":"
        "\"2026-11-22T07:24:33+07:00\"}");
    dvc_buf_free(&b);
}


static void
test_codec(void **state)
{
    char       out[64];
    size_t     n;
    dvc_buf_t  b;

    (void) state;
    n = dvc_payment_urldecode(S("a+b%2Fc%zz%4"), out);
    assert_int_equal(n, 10);
    assert_memory_equal(out, "a b/c%zz%4", 10);

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_payment_urlencode(&b, S("Tê n~*_.-"));
    assert_string_equal(dvc_buf_cstr(&b), "T%C3%AA+n%7E%2A_.-");
    dvc_buf_free(&b);

    assert_non_null(dvc_payment_provider(S("vnpay")));
    assert_null(dvc_payment_provider(S("vnpa")));
}


/* the plan of an applied payment (dvc_payment_plan) */
static const dvc_plan_pair_t *
plan_set(const dvc_plan_t *p, const char *name)
{
    size_t  i;

    for (i = 0; i < p->nset; i++) {
        if (strcmp(p->set[i].name, name) == 0) {
            return &p->set[i];
        }
    }

    return NULL;
}

static const char *
plan_xadd(const dvc_plan_t *p, const char *stream, const char *name)
{
    size_t  i, j;

    for (i = 0; i < p->nxadd; i++) {
        for (j = 0; strcmp(p->xadd[i].stream, stream) == 0
                    && j < p->xadd[i].nf; j++)
        {
            if (strcmp(p->xadd[i].f[j].name, name) == 0) {
                return p->xadd[i].f[j].value;
            }
        }
    }

    return NULL;
}

static void
test_plan(void **state)
{
    char                   err[256];
    size_t                 i, fees;
    int64_t                now;
    dvc_key_t             *key;
    dvc_plan_t             p;
    dvc_payment_env_t      env;
    dvc_payment_record_t   rec;
    dvc_payment_notice_t   n;
    const dvc_plan_pair_t *v;

    (void) state;
    assert_int_equal(dvc_key_load_private(&dvc_alloc_std, pem_ed25519,
                                          strlen(pem_ed25519), "k1", &key,
                                          err, sizeof(err)), 0);
    assert_int_equal(dvc_time_parse_vn("2026-11-24T10:00:00+07:00", 25,
                                       &now), 0);

    memset(&n, 0, sizeof(n));
    strcpy(n.txn_ref, "000.00.10.H47-261123-0007-20261124095500");
    strcpy(n.code, "000.00.10.H47-261123-0007");
    strcpy(n.transaction_no, "14224587");
    strcpy(n.bank_code, "NCB");
    n.amount = 120000;
    n.paid = 1;

    memset(&rec, 0, sizeof(rec));
    rec.agency = "000.00.10.H47";
    rec.agency_len = 13;
    rec.procedure = "1.001193";
    rec.procedure_len = 8;
    rec.procedure_name = "Đăng ký khai sinh";
    rec.history = "[{\"at\":\"x\"}]";
    rec.history_len = strlen(rec.history);
    rec.contact_email = "a@example.vn";
    rec.contact_email_len = 12;
    dvc_stat_state_init(&rec.stat);
    rec.stat.channel = DVC_CHANNEL_ONLINE;
    rec.stat.received = 1;
    rec.stat.level = 4;

    memset(&env, 0, sizeof(env));
    env.signing_key = key;
    env.now = now;
    env.notify = 1;

    dvc_plan_init(&p, &dvc_alloc_std);
    dvc_payment_plan(&rec, &n, "vnpay", &env, &p);
    assert_false(p.failed);
    assert_int_equal(p.http, 200);

    assert_string_equal(plan_set(&p, "status")->value, "4");
    assert_string_equal(plan_set(&p, "updated_at")->value,
                        "2026-11-24T10:00:00+07:00");
    v = plan_set(&p, "history");
    assert_memory_equal(v->value, "[{\"at\":\"x\"},{", 13);
    assert_non_null(strstr(v->value, "\"actor\":\"vnpay\""));
    v = plan_set(&p, "payment");
    assert_non_null(strstr(v->value, "\"transaction_no\":\"14224587\""));
    assert_non_null(strstr(v->value, ",\"receipt\":\"ey"));
    assert_non_null(plan_set(&p, "st_paid"));

    assert_string_equal(plan_xadd(&p, "dvc:inbox", "type"),
                        "payment_received");
    assert_string_equal(plan_xadd(&p, "dvc:inbox", "amount"), "120000");
    assert_string_equal(plan_xadd(&p, "dvc:notify", "event"),
                        "payment:000.00.10.H47-261123-0007-20261124095500");
    assert_string_equal(plan_xadd(&p, "dvc:notify", "email"),
                        "a@example.vn");

    /* fees_online counts the amount in every cell */
    fees = 0;
    for (i = 0; i < p.nincr; i++) {
        if (strstr(p.incr[i].key, ":fees_online") != NULL) {
            assert_int_equal(p.incr[i].delta, 120000);
            fees++;
        }
    }
    assert_int_equal(fees, p.ncells);
    dvc_plan_free(&p);

    /* notices off: none */
    env.notify = 0;
    dvc_plan_init(&p, &dvc_alloc_std);
    dvc_payment_plan(&rec, &n, "vnpay", &env, &p);
    assert_null(plan_xadd(&p, "dvc:notify", "event"));
    dvc_plan_free(&p);

    /* a broken record or no key: 500 for the provider's 99 */
    rec.agency = NULL;
    dvc_plan_init(&p, &dvc_alloc_std);
    dvc_payment_plan(&rec, &n, "vnpay", &env, &p);
    assert_false(p.failed);
    assert_int_equal(p.http, 500);
    assert_non_null(strstr(p.err.message_en, "statistics"));
    dvc_plan_free(&p);

    rec.agency = "000.00.10.H47";
    env.signing_key = NULL;
    dvc_plan_init(&p, &dvc_alloc_std);
    dvc_payment_plan(&rec, &n, "vnpay", &env, &p);
    assert_int_equal(p.http, 500);
    assert_string_equal(p.err.message_en, "cannot sign the payment receipt");
    assert_null(plan_set(&p, "status"));
    dvc_plan_free(&p);

    dvc_key_free(key);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pay_url),
        cmocka_unit_test(test_notice_valid),
        cmocka_unit_test(test_notice_refused),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_history_receipt),
        cmocka_unit_test(test_codec),
        cmocka_unit_test(test_plan),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
