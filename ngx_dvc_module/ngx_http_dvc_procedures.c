/*
 * Procedures: `dvc_schemas DIR` loads every procedure schema when nginx reads
 * its configuration (so `nginx -t` names a broken file and why), and the API
 * lists them:
 *
 *     GET /dvc/v1/procedures          the loaded procedures, for web forms
 *     GET /dvc/v1/procedures/{code}   one procedure's schema, as written
 *
 * Both answers are built once at configuration time; a request only sends
 * memory that already exists.
 */

#include "ngx_http_dvc_module.h"
#include "dvc_procedure.h"
#include "dvc_schema.h"
#include "dvc_dossier_scan.h"


char *
ngx_http_dvc_schemas(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    char               err[512];
    ngx_str_t         *value, dir;
    dvc_buf_t          b;
    dvc_procedures_t  *set;

    if (dmcf->procedures) {
        return "is duplicate";
    }

    value = cf->args->elts;
    dir = value[1];

    if (ngx_conf_full_name(cf->cycle, &dir, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* everything loaded lives as long as this configuration */
    ngx_http_dvc_cf_alloc_init(cf, dmcf);

    set = dvc_procedures_load_dir(&dmcf->cf_alloc, (const char *) dir.data,
                                  err, sizeof(err));
    if (set == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: %s", err);
        return NGX_CONF_ERROR;
    }

    dvc_buf_init(&b, &dmcf->cf_alloc);

    if (dvc_procedures_listing_json(set, &b) != 0 || b.failed) {
        return NGX_CONF_ERROR;
    }

    dmcf->procedures = set;
    dmcf->schemas_dir = dir;
    dmcf->listing.data = (u_char *) b.data;
    dmcf->listing.len = b.len;

    if (ngx_http_dvc_procedures_compile(cf, dmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                  "dvc: %uz procedure(s) loaded from \"%V\"", set->n, &dir);

    return NGX_CONF_OK;
}


/* rest is what follows /v1/procedures: "" or "/{code}" */
ngx_int_t
ngx_http_dvc_procedures(ngx_http_request_t *r, ngx_str_t *rest)
{
    ngx_int_t                  rc;
    ngx_str_t                  code;
    const dvc_procedure_t     *p;
    ngx_http_dvc_main_conf_t  *dmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_dvc_send_not_allowed(r, "GET, HEAD");
    }

    dmcf = ngx_http_get_module_main_conf(r, ngx_http_dvc_module);

    if (rest->len == 0 || (rest->len == 1 && rest->data[0] == '/')) {

        if (dmcf->procedures == NULL) {
            return ngx_http_dvc_send_json(r, NGX_HTTP_OK,
                                          (u_char *) "{\"procedures\":[]}",
                                          sizeof("{\"procedures\":[]}") - 1);
        }

        return ngx_http_dvc_send_json(r, NGX_HTTP_OK, dmcf->listing.data,
                                      dmcf->listing.len);
    }

    code.data = rest->data + 1;
    code.len = rest->len - 1;

    p = NULL;

    if (dmcf->procedures
        && dvc_procedure_code_valid((const char *) code.data, code.len))
    {
        p = dvc_procedures_find(dmcf->procedures, (const char *) code.data,
                                code.len);
    }

    if (p == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: no procedure \"%V\"", &code);
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_PROCEDURE);
    }

    /* the schema as its author wrote it: clients validate with the same
     * rules as the gateway */
    return ngx_http_dvc_send_json(r, NGX_HTTP_OK, (u_char *) p->raw,
                                  p->raw_len);
}


/*
 * Each procedure's schema is compiled once, here; validation contexts are
 * pooled per procedure and per worker (a context keeps its buffers across
 * documents), so a submission allocates nothing for validation.
 */
ngx_int_t
ngx_http_dvc_procedures_compile(ngx_conf_t *cf, ngx_http_dvc_main_conf_t *dmcf)
{
    char                          err[1024];
    ngx_uint_t                    i;
    dvc_procedures_t             *set;
    ngx_pool_cleanup_t           *cln;
    dvc_schema_options_t          opt;
    ngx_http_dvc_procedure_rt_t  *rt;

    set = dmcf->procedures;

    dmcf->procs = ngx_pcalloc(cf->pool,
                              set->n * sizeof(ngx_http_dvc_procedure_rt_t));
    if (dmcf->procs == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&opt, sizeof(dvc_schema_options_t));
    opt.base_dir = (const char *) dmcf->schemas_dir.data;

    for (i = 0; i < set->n; i++) {
        rt = &dmcf->procs[i];
        rt->procedure = set->items[i];

        rt->schema = dvc_schema_compile(&dvc_alloc_std, set->items[i]->raw,
                                        set->items[i]->raw_len, &opt, err,
                                        sizeof(err));
        if (rt->schema == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: %s: %s",
                               set->items[i]->file_name, err);
            return NGX_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            dvc_schema_free(rt->schema);
            return NGX_ERROR;
        }

        cln->handler = ngx_http_dvc_procedure_rt_cleanup;
        cln->data = rt;
    }

    dmcf->nprocs = set->n;

    return NGX_OK;
}


void
ngx_http_dvc_procedure_rt_cleanup(void *data)
{
    ngx_http_dvc_procedure_rt_t *rt = data;

    while (rt->nfree) {
        dvc_validate_free(rt->free[--rt->nfree]);
    }

    dvc_schema_free(rt->schema);
}


dvc_validate_ctx_t *
ngx_http_dvc_validator_get(ngx_http_dvc_procedure_rt_t *rt)
{
    if (rt->nfree) {
        return rt->free[--rt->nfree];
    }

    return dvc_validate_new(&dvc_alloc_std, rt->schema, NULL);
}


void
ngx_http_dvc_validator_put(ngx_http_dvc_procedure_rt_t *rt,
    dvc_validate_ctx_t *v)
{
    if (rt->nfree == NGX_HTTP_DVC_POOL_MAX) {
        dvc_validate_free(v);
        return;
    }

    dvc_validate_reset(v);
    rt->free[rt->nfree++] = v;
}


dvc_intake_t *
ngx_http_dvc_intake_get(ngx_http_dvc_main_conf_t *dmcf)
{
    if (dmcf->nintakes) {
        return dmcf->intakes[--dmcf->nintakes];
    }

    return dvc_intake_new(&dvc_alloc_std);
}


void
ngx_http_dvc_intake_put(ngx_http_dvc_main_conf_t *dmcf, dvc_intake_t *in)
{
    dvc_intake_reset(in);

    if (dmcf->nintakes == NGX_HTTP_DVC_POOL_MAX) {
        dvc_intake_free(in);
        return;
    }

    dmcf->intakes[dmcf->nintakes++] = in;
}


/* The worker's kept validators and intakes, freed when it exits (they are
 * malloc'ed; a leak checker would count them). */
void
ngx_http_dvc_pools_free(ngx_http_dvc_main_conf_t *dmcf)
{
    ngx_uint_t                    i;
    ngx_http_dvc_procedure_rt_t  *rt;

    for (i = 0; i < dmcf->nprocs; i++) {
        rt = &dmcf->procs[i];
        while (rt->nfree) {
            dvc_validate_free(rt->free[--rt->nfree]);
        }
    }

    while (dmcf->nintakes) {
        dvc_intake_free(dmcf->intakes[--dmcf->nintakes]);
    }
}
