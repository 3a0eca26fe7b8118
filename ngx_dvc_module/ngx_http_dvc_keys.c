/*
 * Signing keys and the working-day calendar: files read when nginx reads its
 * configuration, never by a worker serving requests.
 *
 *     dvc_signing_key FILE [kid=ID];   signs acknowledgements and receipts
 *     dvc_verify_key FILE [kid=ID];    earlier keys still published (rotation)
 *     dvc_calendar FILE;               holidays, swapped days, office hours
 *
 *     GET /dvc/v1/keys                 the JWK Set anyone verifies against
 */

#include "ngx_http_dvc_module.h"
#include "dvc_keys.h"
#include "dvc_jws.h"
#include "dvc_calendar.h"


#define NGX_HTTP_DVC_FILE_MAX  (1024 * 1024)


static char *ngx_http_dvc_load_key(ngx_conf_t *cf,
    ngx_http_dvc_main_conf_t *dmcf, ngx_flag_t signing);
static void ngx_http_dvc_key_cleanup(void *data);


/* Reads a whole configuration file into the configuration pool. */
ngx_int_t
ngx_http_dvc_read_conf_file(ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *text)
{
    ssize_t          n;
    ngx_file_t       file;
    ngx_file_info_t  fi;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = *name;
    file.log = cf->log;

    file.fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "dvc: cannot open \"%V\"", name);
        return NGX_ERROR;
    }

    if (ngx_fd_info(file.fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_DVC_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"%V\" is not a readable file of at most "
                           "1 MiB", name);
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    text->len = ngx_file_size(&fi);
    text->data = ngx_pnalloc(cf->pool, text->len + 1);
    if (text->data == NULL) {
        ngx_close_file(file.fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, text->data, text->len, 0);
    ngx_close_file(file.fd);

    if (n != (ssize_t) text->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "dvc: cannot read \"%V\"", name);
        return NGX_ERROR;
    }

    text->data[text->len] = '\0';

    return NGX_OK;
}


/*
 * A secret's file (dvc_event_key, a payment provider's secret=): *name
 * made a full name, refused unless it is the server's alone
 * (dvc_key_file_check: whoever reads it can act in the agency's name),
 * then read like ngx_http_dvc_read_conf_file.
 */
ngx_int_t
ngx_http_dvc_read_secret_file(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *text)
{
    char  err[512];

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    if (dvc_key_file_check((const char *) name->data, err, sizeof(err)) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: %s", err);
        return NGX_ERROR;
    }

    return ngx_http_dvc_read_conf_file(cf, name, text);
}


static char *
ngx_http_dvc_load_key(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf,
    ngx_flag_t signing)
{
    int                  rc;
    char                 err[512];
    char                *kid;
    ngx_str_t           *value, name, pem;
    ngx_uint_t           i;
    dvc_key_t           *key, **slot;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;
    name = value[1];
    kid = NULL;

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "kid=", 4) == 0 && value[i].len > 4) {
            kid = (char *) value[i].data + 4;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* a private key readable by others is refused: whoever reads it can
     * sign receipts in the agency's name */
    if (signing
        && dvc_key_file_check((const char *) name.data, err, sizeof(err)) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: %s", err);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dvc_read_conf_file(cf, &name, &pem) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_dvc_cf_alloc_init(cf, dmcf);

    if (signing) {
        rc = dvc_key_load_private(&dmcf->cf_alloc, (const char *) pem.data,
                                  pem.len, kid, &key, err, sizeof(err));
    } else {
        rc = dvc_key_load_public(&dmcf->cf_alloc, (const char *) pem.data,
                                 pem.len, kid, &key, err, sizeof(err));
    }

    /* the PEM text is not needed any more: do not leave it in memory */
    ngx_explicit_memzero(pem.data, pem.len);

    if (rc != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: \"%V\": %s", &name,
                           err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        dvc_key_free(key);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dvc_key_cleanup;
    cln->data = key;

    if (signing) {
        dmcf->signing_key = key;
    }

    if (dmcf->keys == NULL) {
        dmcf->keys = ngx_array_create(cf->pool, 2, sizeof(dvc_key_t *));
        if (dmcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    slot = ngx_array_push(dmcf->keys);
    if (slot == NULL) {
        return NGX_CONF_ERROR;
    }

    *slot = key;

    return NGX_CONF_OK;
}


static void
ngx_http_dvc_key_cleanup(void *data)
{
    dvc_key_free(data);
}


char *
ngx_http_dvc_signing_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    if (dmcf->signing_key) {
        return "is duplicate";
    }

    return ngx_http_dvc_load_key(cf, dmcf, 1);
}


char *
ngx_http_dvc_verify_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_dvc_load_key(cf, conf, 0);
}


/* The JWK Set, built once the configuration is complete. */
ngx_int_t
ngx_http_dvc_keys_init(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf)
{
    dvc_buf_t  b;

    if (dmcf->keys == NULL) {
        ngx_str_set(&dmcf->jwks, "{\"keys\":[]}");
        return NGX_OK;
    }

    ngx_http_dvc_cf_alloc_init(cf, dmcf);
    dvc_buf_init(&b, &dmcf->cf_alloc);

    if (dvc_jwks_write((const dvc_key_t **) dmcf->keys->elts,
                       dmcf->keys->nelts, &b) != 0 || b.failed)
    {
        return NGX_ERROR;
    }

    dmcf->jwks.data = (u_char *) b.data;
    dmcf->jwks.len = b.len;

    return NGX_OK;
}


char *
ngx_http_dvc_calendar(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    char        err[512];
    ngx_str_t  *value, name, text;

    if (dmcf->calendar) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dvc_read_conf_file(cf, &name, &text) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_dvc_cf_alloc_init(cf, dmcf);

    dmcf->calendar = dvc_calendar_parse(&dmcf->cf_alloc,
                                        (const char *) text.data, text.len,
                                        err, sizeof(err));
    if (dmcf->calendar == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: \"%V\": %s", &name,
                           err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_dvc_keys(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_dvc_main_conf_t  *dmcf;

    rc = ngx_http_dvc_get_only(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    return ngx_http_dvc_send_json(r, NGX_HTTP_OK, dmcf->jwks.data,
                                  dmcf->jwks.len);
}
