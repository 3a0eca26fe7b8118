/*
 * VNPAY's payment gateway, API version 2.1.0 (the only one with HMAC-SHA512;
 * sandbox.vnpayment.vn/apis/docs/thanh-toan-pay/pay.html and
 * .../chuyen-doi-thuat-toan/changeTypeHash.html):
 *
 * - the payment URL carries vnp_Version=2.1.0, vnp_Command=pay,
 *   vnp_TmnCode, vnp_Amount (VND x 100, no separators), vnp_CreateDate and
 *   vnp_ExpireDate (yyyyMMddHHmmss, GMT+7), vnp_CurrCode=VND, vnp_IpAddr,
 *   vnp_Locale, vnp_OrderInfo (Vietnamese without diacritics), vnp_OrderType,
 *   vnp_ReturnUrl and vnp_TxnRef (unique per day), and vnp_SecureHash: the
 *   hex HMAC-SHA512, with the merchant's secret, of the parameters sorted by
 *   name and joined as urlencode(name)=urlencode(value) with '&', exactly
 *   the string VNPAY's PHP reference code builds (ksort, urlencode);
 * - the IPN (VNPAY's server calling ours, GET) carries the vnp_* results
 *   and vnp_SecureHash over every other vnp_* parameter but
 *   vnp_SecureHashType, decoded then encoded and sorted the same way; the
 *   merchant answers JSON {"RspCode","Message"}: 97 bad signature, 01 order
 *   not found, 04 invalid amount, 02 order already confirmed, 00 confirmed
 *   (a failed payment is confirmed too: VNPAY stops retrying), 99 other.
 *
 * Ours: vnp_TxnRef is "{dossier code}-{vnp_CreateDate}", so each attempt has
 * its own reference and the IPN names its dossier.  A parameter given twice
 * is refused (99) before the signature is looked at: which copy was signed
 * would be decided by order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dvc_code.h"
#include "dvc_payment.h"
#include "dvc_time.h"

#define VNPAY_TZ          (7 * 3600)
#define VNPAY_AMOUNT_MAX  INT64_C(9999999999)   /* Numeric[1,12] x 100 */
#define VNPAY_DATE_LEN    14


typedef struct {
    const char  *name;
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} vnpay_param_t;


/* The notice's parameters that give its facts (NULL: not given). */
typedef struct {
    const vnpay_param_t  *tmn;
    const vnpay_param_t  *ref;
    const vnpay_param_t  *amount;
    const vnpay_param_t  *rsp;
    const vnpay_param_t  *status;
    const vnpay_param_t  *no;
    const vnpay_param_t  *bank;
    const vnpay_param_t  *date;
} vnpay_fields_t;


static int
vnpay_param_cmp(const void *a, const void *b)
{
    const vnpay_param_t  *x = a, *y = b;
    size_t                n;
    int                   c;

    n = x->name_len < y->name_len ? x->name_len : y->name_len;
    c = memcmp(x->name, y->name, n);

    if (c != 0) {
        return c;
    }

    return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}


/* Sorts p and writes the string VNPAY signs (and the query, the same). */
static void
vnpay_data(dvc_buf_t *b, vnpay_param_t *p, size_t n)
{
    size_t  i;

    qsort(p, n, sizeof(vnpay_param_t), vnpay_param_cmp);

    for (i = 0; i < n; i++) {
        if (i) {
            dvc_buf_putc(b, '&');
        }
        dvc_payment_urlencode(b, p[i].name, p[i].name_len);
        dvc_buf_putc(b, '=');
        dvc_payment_urlencode(b, p[i].value, p[i].value_len);
    }
}


static int
vnpay_hmac(const dvc_payment_conf_t *conf, const char *data, size_t len,
    unsigned char *mac)
{
    unsigned int  maclen = 0;

    if (HMAC(EVP_sha512(), conf->secret, (int) conf->secret_len,
             (const unsigned char *) data, len, mac, &maclen) == NULL
        || maclen != 64)
    {
        return -1;
    }

    return 0;
}


static void
vnpay_digits(char *out, unsigned v, int n)
{
    while (n-- > 0) {
        out[n] = (char) ('0' + v % 10);
        v /= 10;
    }
}


static void
vnpay_date(int64_t t, char out[VNPAY_DATE_LEN + 1])
{
    int      y, m, d;
    int64_t  s, days, secs;

    s = t + VNPAY_TZ;
    days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    secs = s - days * 86400;
    dvc_civil_from_days(days, &y, &m, &d);

    vnpay_digits(out, (unsigned) y % 10000, 4);
    vnpay_digits(out + 4, (unsigned) m, 2);
    vnpay_digits(out + 6, (unsigned) d, 2);
    vnpay_digits(out + 8, (unsigned) (secs / 3600), 2);
    vnpay_digits(out + 10, (unsigned) (secs / 60 % 60), 2);
    vnpay_digits(out + 12, (unsigned) (secs % 60), 2);
    out[VNPAY_DATE_LEN] = '\0';
}


/* yyyyMMddHHmmss GMT+7 to Unix seconds; -1 if malformed. */
static int64_t
vnpay_date_parse(const char *s, size_t len)
{
    int     v[6], i, y, mo, d, h, mi, se;
    size_t  k;

    if (len != VNPAY_DATE_LEN) {
        return -1;
    }

    for (k = 0; k < len; k++) {
        if (s[k] < '0' || s[k] > '9') {
            return -1;
        }
    }

    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
        + (s[3] - '0');
    for (i = 1; i < 6; i++) {
        v[i] = (s[2 + 2 * i] - '0') * 10 + (s[3 + 2 * i] - '0');
    }
    mo = v[1]; d = v[2]; h = v[3]; mi = v[4]; se = v[5];

    if (!dvc_date_valid(y, mo, d) || h > 23 || mi > 59 || se > 59) {
        return -1;
    }

    return dvc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
           - VNPAY_TZ;
}


static int
vnpay_pay_url(const dvc_payment_conf_t *conf, const dvc_payment_order_t *o,
    dvc_buf_t *url, char *txn_ref, char *why, size_t whylen)
{
    int            rc;
    char           amount[32], created[VNPAY_DATE_LEN + 1];
    char           expires[VNPAY_DATE_LEN + 1];
    size_t         n, start;
    dvc_buf_t      info;
    unsigned char  mac[64];
    vnpay_param_t  p[13];

#define P(nm, v, l)                                                          \
    p[n].name = nm; p[n].name_len = sizeof(nm) - 1;                          \
    p[n].value = v; p[n].value_len = l; n++

    if (o->amount <= 0 || o->amount > VNPAY_AMOUNT_MAX) {
        snprintf(why, whylen, "VNPAY takes amounts of 1 to %lld VND",
                 (long long) VNPAY_AMOUNT_MAX);
        return -1;
    }

    if (o->code_len == 0 || o->code_len > DVC_PAY_CODE_MAX) {
        snprintf(why, whylen, "no dossier code");
        return -1;
    }

    snprintf(amount, sizeof(amount), "%lld", (long long) o->amount * 100);
    vnpay_date(o->now, created);
    vnpay_date(o->now + (int64_t) (o->expire_minutes > 0
                                   ? o->expire_minutes : 15) * 60, expires);

    memcpy(txn_ref, o->code, o->code_len);
    txn_ref[o->code_len] = '-';
    memcpy(txn_ref + o->code_len + 1, created, VNPAY_DATE_LEN + 1);

    /* "Tiếng Việt không dấu": the code is ASCII */
    dvc_buf_init(&info, url->alloc);
    dvc_buf_puts(&info, "Thanh toan le phi ho so ");
    dvc_buf_append(&info, o->code, o->code_len);

    n = 0;
    P("vnp_Amount", amount, strlen(amount));
    P("vnp_Command", "pay", 3);
    P("vnp_CreateDate", created, VNPAY_DATE_LEN);
    P("vnp_CurrCode", "VND", 3);
    P("vnp_ExpireDate", expires, VNPAY_DATE_LEN);
    P("vnp_IpAddr", o->ip, o->ip_len);
    P("vnp_Locale", "vn", 2);
    P("vnp_OrderInfo", info.data ? info.data : "", info.len);
    P("vnp_OrderType", "other", 5);
    P("vnp_ReturnUrl", conf->return_url, conf->return_url_len);
    P("vnp_TmnCode", conf->merchant, conf->merchant_len);
    P("vnp_TxnRef", txn_ref, strlen(txn_ref));
    P("vnp_Version", "2.1.0", 5);

#undef P

    dvc_buf_append(url, conf->pay_url, conf->pay_url_len);
    dvc_buf_putc(url, '?');
    start = url->len;
    vnpay_data(url, p, n);

    rc = info.failed || url->failed
         || vnpay_hmac(conf, url->data + start, url->len - start, mac) != 0;
    dvc_buf_free(&info);

    if (rc) {
        snprintf(why, whylen, "out of memory or HMAC failure");
        return -1;
    }

    dvc_buf_puts(url, "&vnp_SecureHash=");
    dvc_buf_hex(url, mac, sizeof(mac));

    if (url->failed) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }

    return 0;
}


static int
vnpay_is(const vnpay_param_t *p, const char *name)
{
    return p->name_len == strlen(name)
           && memcmp(p->name, name, p->name_len) == 0;
}


/* Copies a value (printable ASCII, 1..max bytes); 0, or -1. */
static int
vnpay_copy(char *out, size_t max, const vnpay_param_t *p, int digits)
{
    size_t  i;

    if (p == NULL || p->value_len == 0 || p->value_len > max) {
        return -1;
    }

    for (i = 0; i < p->value_len; i++) {
        if (digits ? (p->value[i] < '0' || p->value[i] > '9')
                   : (p->value[i] <= ' ' || p->value[i] > '~'))
        {
            return -1;
        }
    }

    memcpy(out, p->value, p->value_len);
    out[p->value_len] = '\0';
    return 0;
}


/* Writes why; returns v: how each refusal below reads in one line. */
static dvc_pay_verdict_t
vnpay_refuse(char *why, size_t whylen, dvc_pay_verdict_t v, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return v;
}


/*
 * Splits the query into its vnp_ parameters, decoded into dec (len bytes
 * at least) one after another; a parameter given twice is refused.
 */
static dvc_pay_verdict_t
vnpay_params(const char *q, size_t len, char *dec, vnpay_param_t *p,
    size_t *np, char *why, size_t whylen)
{
    char        *w;
    size_t       i, k, n, seg, eq;
    const char  *s, *end, *amp;

    w = dec;
    n = 0;
    end = q + len;

    for (s = q; s < end; s += seg + 1) {
        amp = memchr(s, '&', (size_t) (end - s));
        seg = (size_t) ((amp ? amp : end) - s);
        if (seg == 0) {
            continue;
        }

        for (eq = 0; eq < seg && s[eq] != '='; eq++) { /* void */ }

        if (n == DVC_PAY_PARAMS_MAX) {
            snprintf(why, whylen, "more than %d parameters",
                     DVC_PAY_PARAMS_MAX);
            return DVC_PAY_OTHER;
        }

        p[n].name = w;
        p[n].name_len = dvc_payment_urldecode(s, eq, w);
        w += p[n].name_len;
        p[n].value = w;
        p[n].value_len = eq < seg
                         ? dvc_payment_urldecode(s + eq + 1, seg - eq - 1, w)
                         : 0;
        w += p[n].value_len;

        /* as VNPAY's code: only the vnp_ parameters are its */
        if (p[n].name_len >= 4 && memcmp(p[n].name, "vnp_", 4) == 0) {
            n++;
        }
    }

    *np = n;

    /* ambiguity is refused, never resolved by order */
    for (i = 0; i < n; i++) {
        for (k = i + 1; k < n; k++) {
            if (p[i].name_len == p[k].name_len
                && memcmp(p[i].name, p[k].name, p[i].name_len) == 0)
            {
                return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                                    "a parameter given twice");
            }
        }
    }

    return DVC_PAY_APPLY;
}


static int
vnpay_hex(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}


/*
 * Takes vnp_SecureHash and vnp_SecureHashType out of p and checks the
 * first against the HMAC of what is left (sorted, as VNPAY signs it).
 */
static dvc_pay_verdict_t
vnpay_signed(const dvc_alloc_t *a, const dvc_payment_conf_t *conf,
    vnpay_param_t *p, size_t *np, char *why, size_t whylen)
{
    int             hi, lo;
    size_t          i, given_len;
    dvc_buf_t       data;
    const char     *given;
    unsigned char   mac[64], want[64];

    given = NULL;
    given_len = 0;

    for (i = 0; i < *np; /* void */) {
        if (vnpay_is(&p[i], "vnp_SecureHash")
            || vnpay_is(&p[i], "vnp_SecureHashType"))
        {
            if (vnpay_is(&p[i], "vnp_SecureHash")) {
                given = p[i].value;
                given_len = p[i].value_len;
            }
            p[i] = p[--*np];
            continue;
        }
        i++;
    }

    if (given == NULL || given_len != 128) {
        return vnpay_refuse(why, whylen, DVC_PAY_BAD_SIGNATURE,
                            "no vnp_SecureHash of 128 hex digits");
    }

    for (i = 0; i < 64; i++) {
        hi = vnpay_hex(given[2 * i]);
        lo = vnpay_hex(given[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return vnpay_refuse(why, whylen, DVC_PAY_BAD_SIGNATURE,
                                "vnp_SecureHash is not hex");
        }
        want[i] = (unsigned char) (hi * 16 + lo);
    }

    dvc_buf_init(&data, a);
    vnpay_data(&data, p, *np);

    if (data.failed
        || vnpay_hmac(conf, data.data ? data.data : "", data.len, mac) != 0)
    {
        dvc_buf_free(&data);
        return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                            "out of memory or HMAC failure");
    }

    dvc_buf_free(&data);

    if (CRYPTO_memcmp(mac, want, sizeof(mac)) != 0) {
        return vnpay_refuse(why, whylen, DVC_PAY_BAD_SIGNATURE,
                            "vnp_SecureHash does not match");
    }

    return DVC_PAY_APPLY;
}


static void
vnpay_fields(const vnpay_param_t *p, size_t np, vnpay_fields_t *f)
{
    size_t  i;

    memset(f, 0, sizeof(*f));

    for (i = 0; i < np; i++) {
        if (vnpay_is(&p[i], "vnp_TmnCode")) f->tmn = &p[i];
        else if (vnpay_is(&p[i], "vnp_TxnRef")) f->ref = &p[i];
        else if (vnpay_is(&p[i], "vnp_Amount")) f->amount = &p[i];
        else if (vnpay_is(&p[i], "vnp_ResponseCode")) f->rsp = &p[i];
        else if (vnpay_is(&p[i], "vnp_TransactionStatus")) f->status = &p[i];
        else if (vnpay_is(&p[i], "vnp_TransactionNo")) f->no = &p[i];
        else if (vnpay_is(&p[i], "vnp_BankCode")) f->bank = &p[i];
        else if (vnpay_is(&p[i], "vnp_PayDate")) f->date = &p[i];
    }
}


/* The order: our merchant code, and a vnp_TxnRef that names a dossier. */
static dvc_pay_verdict_t
vnpay_order(const dvc_payment_conf_t *conf, const vnpay_fields_t *f,
    dvc_payment_notice_t *n, char *why, size_t whylen)
{
    size_t       k;
    const char  *dash;

    if (f->tmn == NULL || f->tmn->value_len != conf->merchant_len
        || memcmp(f->tmn->value, conf->merchant, conf->merchant_len) != 0)
    {
        return vnpay_refuse(why, whylen, DVC_PAY_UNKNOWN,
                            "vnp_TmnCode missing or not ours");
    }

    if (vnpay_copy(n->txn_ref, DVC_PAY_TXN_MAX, f->ref, 0) != 0) {
        return vnpay_refuse(why, whylen, DVC_PAY_UNKNOWN,
                            "vnp_TxnRef missing or malformed");
    }

    /* "{code}-{yyyyMMddHHmmss}" */
    dash = strrchr(n->txn_ref, '-');
    k = dash ? (size_t) (dash - n->txn_ref) : 0;

    if (dash == NULL || strlen(dash + 1) != VNPAY_DATE_LEN
        || vnpay_date_parse(dash + 1, VNPAY_DATE_LEN) < 0
        || k > DVC_PAY_CODE_MAX || !dvc_code_valid(n->txn_ref, k))
    {
        return vnpay_refuse(why, whylen, DVC_PAY_UNKNOWN,
                            "vnp_TxnRef names no dossier of ours");
    }

    memcpy(n->code, n->txn_ref, k);
    n->code[k] = '\0';

    return DVC_PAY_APPLY;
}


/* vnp_Amount: VND x 100, at most 12 digits. */
static dvc_pay_verdict_t
vnpay_amount(const vnpay_param_t *f, dvc_payment_notice_t *n, char *why,
    size_t whylen)
{
    size_t   i;
    int64_t  amount;

    if (f == NULL || f->value_len == 0 || f->value_len > 12) {
        return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                            "vnp_Amount missing or over 12 digits");
    }

    amount = 0;
    for (i = 0; i < f->value_len; i++) {
        if (f->value[i] < '0' || f->value[i] > '9') {
            return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                                "vnp_Amount is not a number");
        }
        amount = amount * 10 + (f->value[i] - '0');
    }

    /* VND has no smaller unit: a fraction is another amount */
    n->amount = amount % 100 == 0 ? amount / 100 : -1;

    return DVC_PAY_APPLY;
}


/* What happened: paid or not, the transaction, the bank, the time. */
static dvc_pay_verdict_t
vnpay_result(const vnpay_fields_t *f, dvc_payment_notice_t *n, char *why,
    size_t whylen)
{
    if (vnpay_copy(n->response_code, DVC_PAY_FIELD_MAX, f->rsp, 0) != 0
        || f->status == NULL)
    {
        return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                            "vnp_ResponseCode or vnp_TransactionStatus "
                            "missing");
    }

    n->paid = strcmp(n->response_code, "00") == 0
              && f->status->value_len == 2
              && memcmp(f->status->value, "00", 2) == 0;

    if (n->paid && vnpay_copy(n->transaction_no, DVC_PAY_FIELD_MAX, f->no, 1)
                   != 0)
    {
        return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                            "a payment without its vnp_TransactionNo");
    }

    if (f->bank && vnpay_copy(n->bank_code, DVC_PAY_FIELD_MAX, f->bank, 0)
                   != 0)
    {
        return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                            "vnp_BankCode malformed");
    }

    if (f->date) {
        n->paid_at = vnpay_date_parse(f->date->value, f->date->value_len);
        if (n->paid_at < 0) {
            return vnpay_refuse(why, whylen, DVC_PAY_OTHER,
                                "vnp_PayDate malformed");
        }
    }

    return DVC_PAY_APPLY;
}


static dvc_pay_verdict_t
vnpay_notice_parse(const dvc_alloc_t *a, const dvc_payment_conf_t *conf,
    const char *q, size_t len, dvc_payment_notice_t *n, char *why,
    size_t whylen)
{
    char               *dec;
    size_t              np;
    vnpay_param_t       p[DVC_PAY_PARAMS_MAX];
    vnpay_fields_t      f;
    dvc_pay_verdict_t   v;

    memset(n, 0, sizeof(*n));

    if (len == 0 || len > DVC_PAY_QUERY_MAX) {
        snprintf(why, whylen, "query string empty or over %d bytes",
                 DVC_PAY_QUERY_MAX);
        return DVC_PAY_OTHER;
    }

    /* decoded names and values go here, one after another */
    dec = dvc_malloc(a, len);
    if (dec == NULL) {
        return vnpay_refuse(why, whylen, DVC_PAY_OTHER, "out of memory");
    }

    np = 0;

    v = vnpay_params(q, len, dec, p, &np, why, whylen);

    if (v == DVC_PAY_APPLY) {
        v = vnpay_signed(a, conf, p, &np, why, whylen);
    }

    /* signed by VNPAY with our secret: now the facts */
    if (v == DVC_PAY_APPLY) {
        vnpay_fields(p, np, &f);
        v = vnpay_order(conf, &f, n, why, whylen);
    }

    if (v == DVC_PAY_APPLY) {
        v = vnpay_amount(f.amount, n, why, whylen);
    }

    if (v == DVC_PAY_APPLY) {
        v = vnpay_result(&f, n, why, whylen);
    }

    dvc_free(a, dec);
    return v;
}


static void
vnpay_answer(dvc_pay_verdict_t v, dvc_buf_t *out)
{
    const char  *msg;

    switch (v) {
    case DVC_PAY_APPLY:
    case DVC_PAY_NOTED:
        msg = "Confirm Success";
        break;
    case DVC_PAY_DONE:
        msg = "Order already confirmed";
        break;
    case DVC_PAY_UNKNOWN:
        msg = "Order not found";
        break;
    case DVC_PAY_AMOUNT:
        msg = "Invalid amount";
        break;
    case DVC_PAY_BAD_SIGNATURE:
        msg = "Invalid signature";
        break;
    default:
        msg = "Unknown error";
    }

    dvc_buf_printf(out, "{\"RspCode\":\"%s\",\"Message\":\"%s\"}",
                   dvc_payment_verdict_code(v), msg);
}


const dvc_payment_provider_t  dvc_payment_vnpay = {
    "vnpay",
    vnpay_pay_url,
    vnpay_notice_parse,
    vnpay_answer,
    "application/json",
};
