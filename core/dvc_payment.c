/*
 * What every payment provider shares: the decision on a verified
 * notification, the history entry and the receipt's payload, and the
 * form encoding the providers' reference code signs (dvc_payment.h).
 */
#include <string.h>

#include "dvc_payment.h"
#include "dvc_status.h"
#include "dvc_time.h"


static const dvc_payment_provider_t  *const dvc_payment_providers[] = {
    &dvc_payment_vnpay,
};


const dvc_payment_provider_t *
dvc_payment_provider(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(dvc_payment_providers)
                    / sizeof(dvc_payment_providers[0]); i++)
    {
        if (strlen(dvc_payment_providers[i]->name) == len
            && memcmp(dvc_payment_providers[i]->name, name, len) == 0)
        {
            return dvc_payment_providers[i];
        }
    }

    return NULL;
}


dvc_pay_verdict_t
dvc_payment_decide(const dvc_payment_notice_t *n,
    const dvc_payment_facts_t *f)
{
    /* a dossier that never asked for a payment has no order to pay */
    if (!f->found || f->requested <= 0) {
        return DVC_PAY_UNKNOWN;
    }

    if (n->amount != f->requested) {
        return DVC_PAY_AMOUNT;
    }

    /* paid once already, or no longer waiting for a payment (withdrawn,
     * stopped, processed at the counter): the order is closed */
    if (f->paid || f->status != DVC_STATUS_PAYMENT_REQUIRED) {
        return DVC_PAY_DONE;
    }

    return n->paid ? DVC_PAY_APPLY : DVC_PAY_NOTED;
}


const char *
dvc_payment_verdict_code(dvc_pay_verdict_t v)
{
    switch (v) {
    case DVC_PAY_APPLY:
    case DVC_PAY_NOTED:
        return "00";
    case DVC_PAY_DONE:
        return "02";
    case DVC_PAY_UNKNOWN:
        return "01";
    case DVC_PAY_AMOUNT:
        return "04";
    case DVC_PAY_BAD_SIGNATURE:
        return "97";
    default:
        return "99";
    }
}


void
dvc_payment_history_json(dvc_buf_t *b, const char *provider,
    const dvc_payment_notice_t *n, int to, int64_t at)
{
    char                      when[DVC_TIME_VN_LEN + 1];
    const dvc_status_info_t  *st;

    st = dvc_status_info(to);
    dvc_time_format_vn(at, when);

    dvc_buf_puts(b, "{\"at\":");
    dvc_buf_json_str(b, when, strlen(when));
    dvc_buf_puts(b, ",\"status\":");
    dvc_buf_json_str(b, st ? st->slug : "", st ? strlen(st->slug) : 0);
    dvc_buf_printf(b, ",\"status_number\":%d,\"actor\":", to);
    dvc_buf_json_str(b, provider, strlen(provider));
    dvc_buf_printf(b, ",\"type\":\"payment\",\"amount\":%lld,"
                   "\"transaction_no\":", (long long) n->amount);
    dvc_buf_json_str(b, n->transaction_no, strlen(n->transaction_no));
    dvc_buf_putc(b, '}');
}


void
dvc_payment_receipt_json(dvc_buf_t *b, const char *provider,
    const dvc_payment_notice_t *n, int64_t at)
{
    char  when[DVC_TIME_VN_LEN + 1];

    dvc_buf_puts(b, "{\"code\":");
    dvc_buf_json_str(b, n->code, strlen(n->code));
    dvc_buf_puts(b, ",\"provider\":");
    dvc_buf_json_str(b, provider, strlen(provider));
    dvc_buf_printf(b, ",\"amount\":%lld,\"currency\":\"VND\",\"txn_ref\":",
                   (long long) n->amount);
    dvc_buf_json_str(b, n->txn_ref, strlen(n->txn_ref));
    dvc_buf_puts(b, ",\"transaction_no\":");
    dvc_buf_json_str(b, n->transaction_no, strlen(n->transaction_no));

    if (n->bank_code[0]) {
        dvc_buf_puts(b, ",\"bank_code\":");
        dvc_buf_json_str(b, n->bank_code, strlen(n->bank_code));
    }

    dvc_time_format_vn(n->paid_at ? n->paid_at : at, when);
    dvc_buf_puts(b, ",\"paid_at\":");
    dvc_buf_json_str(b, when, strlen(when));
    dvc_time_format_vn(at, when);
    dvc_buf_puts(b, ",\"recorded_at\":");
    dvc_buf_json_str(b, when, strlen(when));
    dvc_buf_putc(b, '}');
}


void
dvc_payment_urlencode(dvc_buf_t *b, const char *s, size_t len)
{
    size_t          i;
    unsigned char   c;
    static const char  hex[] = "0123456789ABCDEF";

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
        {
            dvc_buf_putc(b, (char) c);

        } else if (c == ' ') {
            dvc_buf_putc(b, '+');

        } else {
            dvc_buf_putc(b, '%');
            dvc_buf_putc(b, hex[c >> 4]);
            dvc_buf_putc(b, hex[c & 0x0f]);
        }
    }
}


static int
dvc_payment_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}


size_t
dvc_payment_urldecode(const char *s, size_t len, char *out)
{
    size_t  i, o;
    int     hi, lo;

    for (i = 0, o = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';

        } else if (s[i] == '%' && i + 2 < len
                   && (hi = dvc_payment_hexval(s[i + 1])) >= 0
                   && (lo = dvc_payment_hexval(s[i + 2])) >= 0)
        {
            out[o++] = (char) (hi * 16 + lo);
            i += 2;

        } else {
            out[o++] = s[i];
        }
    }

    return o;
}
