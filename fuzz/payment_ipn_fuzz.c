/*
 * libFuzzer target: a payment provider's notification (VNPAY's IPN query
 * string), untrusted input from anyone who can reach the gateway.  The
 * input goes to dvc_payment_vnpay.notice_parse as it is, and, so that the
 * fuzzer reaches what follows a valid signature (which it cannot forge),
 * a second time as "INPUT&vnp_SecureHash=HMAC-SHA512(INPUT)" signed here
 * with OpenSSL's one-shot HMAC(): an input in VNPAY's canonical form
 * (sorted, PHP-urlencoded, like the seeds) then passes the signature and
 * its facts are parsed.
 *
 * Oracles: the verdict is one of the enum's; an accepted notice names a
 * well-formed dossier code that starts its transaction reference, its
 * strings are NUL-terminated printable ASCII, the amount is -1 or whole
 * VND, and dvc_payment_decide and the history and receipt JSON run on it;
 * the unsigned input is never accepted unless it carries a vnp_SecureHash;
 * the answer is always {"RspCode":"NN","Message":...}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dvc_buf.h"
#include "dvc_code.h"
#include "dvc_payment.h"

#define SECRET  "SECRETKEY0123456789ABCDEFGHIJKLM"

static const dvc_payment_conf_t  conf = {
    "DVCTEST1", 8, (const unsigned char *) SECRET, sizeof(SECRET) - 1,
    "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", 50,
    "https://dvc.example.vn/", 23
};


static void
printable(const char *s, size_t max)
{
    size_t  i;

    for (i = 0; i <= max; i++) {
        if (s[i] == '\0') {
            return;
        }
        if (s[i] <= ' ' || s[i] > '~') {
            abort();
        }
    }
    abort();                       /* not NUL-terminated */
}


static void
check(const char *q, size_t len, int signed_here)
{
    char                  why[128];
    dvc_buf_t             b;
    dvc_pay_verdict_t     v;
    dvc_payment_facts_t   f;
    dvc_payment_notice_t  n;

    why[0] = '\0';
    v = dvc_payment_vnpay.notice_parse(&dvc_alloc_std, &conf, q, len, &n,
                                       why, sizeof(why));

    if (v < DVC_PAY_APPLY || v > DVC_PAY_OTHER) {
        abort();
    }

    if (v != DVC_PAY_APPLY && why[0] == '\0') {
        abort();                   /* a refusal says why */
    }

    if (v == DVC_PAY_APPLY) {
        if (!signed_here && memmem(q, len, "vnp_SecureHash=", 15) == NULL) {
            abort();
        }

        printable(n.txn_ref, DVC_PAY_TXN_MAX);
        printable(n.code, DVC_PAY_CODE_MAX);
        printable(n.response_code, DVC_PAY_FIELD_MAX);
        if (n.transaction_no[0]) {
            printable(n.transaction_no, DVC_PAY_FIELD_MAX);
        }
        if (n.bank_code[0]) {
            printable(n.bank_code, DVC_PAY_FIELD_MAX);
        }

        if (!dvc_code_valid(n.code, strlen(n.code))
            || strncmp(n.txn_ref, n.code, strlen(n.code)) != 0
            || n.txn_ref[strlen(n.code)] != '-'
            || n.amount < -1)
        {
            abort();
        }

        f.found = 1;
        f.status = 6;
        f.requested = n.amount;
        f.paid = 0;
        v = dvc_payment_decide(&n, &f);

        if (n.amount > 0 && v != (n.paid ? DVC_PAY_APPLY : DVC_PAY_NOTED)) {
            abort();
        }

        dvc_buf_init(&b, &dvc_alloc_std);
        dvc_payment_history_json(&b, "vnpay", &n, 4, 1795000000);
        dvc_payment_receipt_json(&b, "vnpay", &n, 1795000000);
        if (b.failed) {
            abort();
        }
        dvc_buf_free(&b);
    }

    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_payment_vnpay.answer(v, &b);
    if (b.failed || b.len < 30 || memcmp(b.data, "{\"RspCode\":\"", 12) != 0) {
        abort();
    }
    dvc_buf_free(&b);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char           *q, *s;
    size_t          i;
    unsigned int    maclen;
    unsigned char   mac[64];

    /* an exact-size copy: a read past the end is an ASan report */
    q = malloc(size ? size : 1);
    if (q == NULL) {
        return 0;
    }
    memcpy(q, data, size);
    check(q, size, 0);
    free(q);

    if (size > DVC_PAY_QUERY_MAX - 200) {
        return 0;
    }

    s = malloc(size + sizeof("&vnp_SecureHash=") - 1 + 128);
    if (s == NULL) {
        return 0;
    }

    HMAC(EVP_sha512(), SECRET, sizeof(SECRET) - 1, data, size, mac, &maclen);
    memcpy(s, data, size);
    memcpy(s + size, "&vnp_SecureHash=", 16);
    for (i = 0; i < 64; i++) {
        s[size + 16 + 2 * i] = "0123456789abcdef"[mac[i] >> 4];
        s[size + 16 + 2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
    }
    check(s, size + 16 + 128, 1);
    free(s);

    return 0;
}
