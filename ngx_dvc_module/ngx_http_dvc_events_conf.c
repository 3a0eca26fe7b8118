/*
 * The back-end's directives (the events endpoint is ngx_http_dvc_events.c):
 *
 *     dvc_event_key FILE [name=NAME];   the shared secrets (several: rotation)
 *     dvc_agency CODE ...;              agencies a transfer may go to
 */

#include "ngx_http_dvc_module.h"
#include "dvc_hmac.h"
#include "dvc_lifecycle.h"


/* ------------------------------------------------------------- agencies */

/* dvc_agency CODE ...: agencies a dossier may be transferred to (liên
 * thông) besides those of the loaded procedures. */
char *
ngx_http_dvc_agency(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    u_char      c;
    ngx_str_t  *value, *ag;
    ngx_uint_t  i, k;

    value = cf->args->elts;

    if (dmcf->agencies == NULL) {
        dmcf->agencies = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (dmcf->agencies == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    for (i = 1; i < cf->args->nelts; i++) {
        for (k = 0; k < value[i].len; k++) {
            c = value[i].data[k];

            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                  || (c >= '0' && c <= '9') || c == '.' || c == '_'
                  || c == '-'))
            {
                break;
            }
        }

        if (value[i].len == 0 || value[i].len > DVC_AGENCY_MAX
            || k < value[i].len)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: \"%V\" is not an agency identifier "
                               "(1 to 64 of A-Z a-z 0-9 . _ -, e.g. "
                               "000.00.10.H47)", &value[i]);
            return NGX_CONF_ERROR;
        }

        ag = ngx_array_push(dmcf->agencies);
        if (ag == NULL) {
            return NGX_CONF_ERROR;
        }

        *ag = value[i];
    }

    return NGX_CONF_OK;
}


/* ---------------------------------------------------------------- keys */

static void
ngx_http_dvc_event_key_cleanup(void *data)
{
    dvc_hmac_key_t  *k = data;

    /* the cycle's pool frees the memory; the secret is wiped first */
    ngx_explicit_memzero(k->secret, k->len);
}


char *
ngx_http_dvc_event_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    char                 err[512];
    char                 namebuf[DVC_HMAC_NAME_MAX + 1];
    ngx_str_t           *value, file, text, kname;
    ngx_uint_t           i;
    dvc_hmac_key_t      *k, *keys;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;
    file = value[1];
    ngx_str_null(&kname);

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "name=", 5) == 0 && value[i].len > 5
            && value[i].len - 5 <= DVC_HMAC_NAME_MAX)
        {
            kname.data = value[i].data + 5;
            kname.len = value[i].len - 5;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (dmcf->event_keys == NULL) {
        dmcf->event_keys = ngx_array_create(cf->pool, 2,
                                            sizeof(dvc_hmac_key_t));
        if (dmcf->event_keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (dmcf->event_keys->nelts >= DVC_HMAC_KEYS_MAX) {
        return "is given too many times (at most 16 keys)";
    }

    if (kname.len) {
        ngx_memcpy(namebuf, kname.data, kname.len);
        namebuf[kname.len] = '\0';

    } else {
        /* key1, key2...: the order of the directives */
        ngx_sprintf((u_char *) namebuf, "key%ui%Z",
                    dmcf->event_keys->nelts + 1);
    }

    keys = dmcf->event_keys->elts;
    for (i = 0; i < dmcf->event_keys->nelts; i++) {
        if (ngx_strcmp(keys[i].name, namebuf) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: two event keys named \"%s\"", namebuf);
            return NGX_CONF_ERROR;
        }
    }

    /* whoever reads the secret can move any dossier: the file must be the
     * server's alone, like dvc_signing_key */
    if (ngx_http_dvc_read_secret_file(cf, &file, &text) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_dvc_cf_alloc_init(cf, dmcf);

    k = ngx_array_push(dmcf->event_keys);
    if (k == NULL) {
        return NGX_CONF_ERROR;
    }

    if (dvc_hmac_key_load(&dmcf->cf_alloc, (const char *) text.data, text.len,
                          namebuf, k, err, sizeof(err)) != 0)
    {
        ngx_explicit_memzero(text.data, text.len);
        dmcf->event_keys->nelts--;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: \"%V\": %s", &file,
                           err);
        return NGX_CONF_ERROR;
    }

    ngx_explicit_memzero(text.data, text.len);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dvc_event_key_cleanup;
    cln->data = k;

    return NGX_CONF_OK;
}
