/*
 * The online payment's configuration (ngx_http_dvc_payment_conf.c), read
 * by its endpoints (ngx_http_dvc_payment.c).
 */

#ifndef NGX_HTTP_DVC_PAYMENT_H_INCLUDED
#define NGX_HTTP_DVC_PAYMENT_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "dvc_payment.h"


typedef struct ngx_http_dvc_payment_s {
    const dvc_payment_provider_t  *provider;
    dvc_payment_conf_t             conf;
    ngx_str_t                      secret;       /* zeroed at cleanup */
} ngx_http_dvc_payment_t;

#endif /* NGX_HTTP_DVC_PAYMENT_H_INCLUDED */
