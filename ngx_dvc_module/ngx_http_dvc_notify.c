/*
 * Notifications (issue 19): each change a citizen must hear of appends one
 * entry to the stream dvc:notify, in the same script call (events) or
 * MULTI/EXEC (acceptance on submission) as the change itself, so a change
 * and its notice are written together or not at all.  The gateway sends
 * nothing: examples/notifier.py (or the agency's own consumer) reads the
 * stream with a consumer group and sends e-mail, SMS or Zalo messages
 * (docs/notifications.md).  core/dvc_notify.c decides and writes the texts;
 * each decision puts its notice in its plan (dvc_plan_notice) from the
 * configuration read here.
 *
 *     dvc_notify on [link=URL];    URL: the lookup page, the code appended
 *
 * Nothing here logs the contact or the texts.
 */

#include "ngx_http_dvc_module.h"


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
