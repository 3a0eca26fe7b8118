/*
 * dvc_payment vnpay tmn_code=CODE secret=FILE return_url=URL [url=URL]:
 * the directive of the online payment (ngx_http_dvc_payment.c), its
 * provider, merchant, secret (the server's alone, zeroed at cleanup) and
 * URLs.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_payment.h"


#define NGX_HTTP_DVC_PAY_SECRET_MIN   16
#define NGX_HTTP_DVC_PAY_DEFAULT_URL                                         \
    "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"


static char *ngx_http_dvc_payment_secret(ngx_conf_t *cf,
    ngx_http_dvc_payment_t *pay, ngx_str_t *file_p);
static ngx_uint_t ngx_http_dvc_payment_param(ngx_str_t *arg,
    const char *name, ngx_str_t *value);


static void
ngx_http_dvc_payment_cleanup(void *data)
{
    ngx_http_dvc_payment_t *pay = data;

    ngx_explicit_memzero(pay->secret.data, pay->secret.len);
}


/* secret=FILE: read once, the server's alone, zeroed at cleanup. */
static char *
ngx_http_dvc_payment_secret(ngx_conf_t *cf, ngx_http_dvc_payment_t *pay,
    ngx_str_t *file_p)
{
    ngx_str_t            file = *file_p, text;
    ngx_pool_cleanup_t  *cln;

    if (file.len == 0) {
        return "needs secret=FILE";
    }

    /* whoever reads the secret can confirm any payment: the server's alone,
     * like dvc_event_key */
    if (ngx_http_dvc_read_secret_file(cf, &file, &text) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the secret is the file's text without its trailing newline */
    while (text.len && (text.data[text.len - 1] == '\n'
                        || text.data[text.len - 1] == '\r'
                        || text.data[text.len - 1] == ' '))
    {
        text.len--;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_explicit_memzero(text.data, text.len);
        return NGX_CONF_ERROR;
    }

    pay->secret = text;
    cln->handler = ngx_http_dvc_payment_cleanup;
    cln->data = pay;

    if (text.len < NGX_HTTP_DVC_PAY_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"%V\": the secret must be at least %d "
                           "bytes", &file, NGX_HTTP_DVC_PAY_SECRET_MIN);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* dvc_payment PROVIDER tmn_code=... secret=FILE return_url=URL [url=URL] */
char *
ngx_http_dvc_payment_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    char                    *rv;
    size_t                   i;
    ngx_str_t               *value, merchant, file, ret, url;
    ngx_uint_t               k;
    ngx_http_dvc_payment_t  *pay;

    if (dmcf->payment) {
        return "is duplicate";
    }

    value = cf->args->elts;

    pay = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_payment_t));
    if (pay == NULL) {
        return NGX_CONF_ERROR;
    }

    pay->provider = dvc_payment_provider((const char *) value[1].data,
                                         value[1].len);
    if (pay->provider == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: unknown payment provider \"%V\" (known: "
                           "vnpay)", &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&merchant);
    ngx_str_null(&file);
    ngx_str_null(&ret);
    ngx_str_null(&url);

    for (k = 2; k < cf->args->nelts; k++) {
        if (ngx_http_dvc_payment_param(&value[k], "tmn_code=", &merchant)
            || ngx_http_dvc_payment_param(&value[k], "secret=", &file)
            || ngx_http_dvc_payment_param(&value[k], "return_url=", &ret)
            || ngx_http_dvc_payment_param(&value[k], "url=", &url))
        {
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: invalid or repeated parameter \"%V\"",
                           &value[k]);
        return NGX_CONF_ERROR;
    }

    if (url.data == NULL) {
        ngx_str_set(&url, NGX_HTTP_DVC_PAY_DEFAULT_URL);
    }

    if (merchant.len == 0 || merchant.len > 32) {
        return "needs tmn_code=CODE (1 to 32 letters and digits)";
    }

    for (i = 0; i < merchant.len; i++) {
        if (!((merchant.data[i] >= '0' && merchant.data[i] <= '9')
              || (merchant.data[i] >= 'A' && merchant.data[i] <= 'Z')
              || (merchant.data[i] >= 'a' && merchant.data[i] <= 'z')))
        {
            return "needs tmn_code=CODE (1 to 32 letters and digits)";
        }
    }

    if (ret.len < 8 || (ngx_strncmp(ret.data, "https://", 8) != 0
                        && ngx_strncmp(ret.data, "http://", 7) != 0))
    {
        return "needs return_url=http(s)://...";
    }

    if (url.len < 8 || (ngx_strncmp(url.data, "https://", 8) != 0
                        && ngx_strncmp(url.data, "http://", 7) != 0))
    {
        return "needs url=http(s)://... for the provider's payment page";
    }

    rv = ngx_http_dvc_payment_secret(cf, pay, &file);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    pay->conf.merchant = (const char *) merchant.data;
    pay->conf.merchant_len = merchant.len;
    pay->conf.secret = pay->secret.data;
    pay->conf.secret_len = pay->secret.len;
    pay->conf.pay_url = (const char *) url.data;
    pay->conf.pay_url_len = url.len;
    pay->conf.return_url = (const char *) ret.data;
    pay->conf.return_url_len = ret.len;

    dmcf->payment = pay;

    return NGX_CONF_OK;
}


/* NAME=VALUE the first time NAME= is given: 1, value set; else 0 */
static ngx_uint_t
ngx_http_dvc_payment_param(ngx_str_t *arg, const char *name, ngx_str_t *value)
{
    size_t  n;

    n = ngx_strlen(name);

    if (value->data != NULL || arg->len < n
        || ngx_strncmp(arg->data, name, n) != 0)
    {
        return 0;
    }

    value->data = arg->data + n;
    value->len = arg->len - n;

    return 1;
}
