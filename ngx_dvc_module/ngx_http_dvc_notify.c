/*
 * Notifications (issue 19): each change a citizen must hear of appends one
 * entry to the stream dvc:notify, in the same script call (events) or
 * MULTI/EXEC (acceptance on submission) as the change itself, so a change
 * and its notice are written together or not at all.  The gateway sends
 * nothing: examples/notifier.py (or the agency's own consumer) reads the
 * stream with a consumer group and sends e-mail, SMS or Zalo messages
 * (docs/notifications.md).  core/dvc_notify.c decides and writes the texts.
 *
 *     dvc_notify on [link=URL];    URL: the lookup page, the code appended
 *
 * Nothing here logs the contact or the texts.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_notify.h"


#define NGX_HTTP_DVC_NOTIFY_STREAM  "dvc:notify"


char *
ngx_http_dvc_notify_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (dmcf->notify != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "on") == 0) {
        dmcf->notify = 1;

    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        dmcf->notify = 0;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: dvc_notify takes \"on\" or \"off\", not "
                           "\"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "link=", 5) == 0
            && value[i].len > 5 && value[i].len <= 5 + 512
            && (ngx_strncmp(value[i].data + 5, "https://", 8) == 0
                || ngx_strncmp(value[i].data + 5, "http://", 7) == 0)
            && ngx_strlchr(value[i].data, value[i].data + value[i].len, ' ')
               == NULL)
        {
            dmcf->notify_link.data = value[i].data + 5;
            dmcf->notify_link.len = value[i].len - 5;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: invalid parameter \"%V\" (link=URL: http:// "
                           "or https://, at most 512 bytes)", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* The notice's entry, on the request's pool: NGX_OK; NGX_DECLINED when
 * notifications are off or there is none; NGX_ERROR (logged). */
static ngx_int_t
ngx_http_dvc_notify_build(ngx_http_request_t *r, const dvc_alloc_t *alloc,
    dvc_notice_t *n, dvc_notify_entry_t **out)
{
    dvc_notify_entry_t        *e;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (dmcf->notify != 1 || n->kind == DVC_NOTICE_NONE) {
        return NGX_DECLINED;
    }

    if (dmcf->notify_link.len) {
        n->link = (const char *) dmcf->notify_link.data;
        n->link_len = dmcf->notify_link.len;
    }

    e = ngx_palloc(r->pool, sizeof(dvc_notify_entry_t));
    if (e == NULL || dvc_notify_entry(alloc, n, e) != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: the notice of \"%*s\" could not be written",
                      n->code_len, n->code);
        return NGX_ERROR;
    }

    *out = e;

    return NGX_OK;
}


/*
 * Adds the notice to the change's script call.  NGX_OK (also when off or
 * none), NGX_ERROR: answer 500.
 */
ngx_int_t
ngx_http_dvc_notify_apply(ngx_http_request_t *r, ngx_http_dvc_apply_t *a,
    const dvc_alloc_t *alloc, dvc_notice_t *n)
{
    size_t               i;
    ngx_int_t            rc;
    dvc_notify_entry_t  *e;

    rc = ngx_http_dvc_notify_build(r, alloc, n, &e);

    if (rc != NGX_OK) {
        return rc == NGX_DECLINED ? NGX_OK : NGX_ERROR;
    }

    for (i = 0; i < e->n; i++) {
        if (ngx_http_dvc_apply_xadd_to(a,
                (u_char *) NGX_HTTP_DVC_NOTIFY_STREAM,
                sizeof(NGX_HTTP_DVC_NOTIFY_STREAM) - 1, e->f[i].name,
                e->buf.data + e->f[i].off, e->f[i].len) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
