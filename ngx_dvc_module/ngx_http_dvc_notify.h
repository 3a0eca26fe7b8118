/*
 * Notices to dvc:notify (ngx_http_dvc_notify.c): into a change's script
 * call (a payment's; the other decisions put theirs in their plan,
 * dvc_plan_notice).  The entry's values live on the request's pool (alloc)
 * until the request ends.
 */

#ifndef NGX_HTTP_DVC_NOTIFY_H_INCLUDED
#define NGX_HTTP_DVC_NOTIFY_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_apply.h"
#include "dvc_notify.h"


/* NGX_OK (also when dvc_notify is off or the change has no notice),
 * NGX_ERROR */
ngx_int_t ngx_http_dvc_notify_apply(ngx_http_request_t *r,
    ngx_http_dvc_apply_t *a, const dvc_alloc_t *alloc, dvc_notice_t *n);

#endif /* NGX_HTTP_DVC_NOTIFY_H_INCLUDED */
