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


static void
ngx_http_dvc_procedures_cleanup(void *data)
{
    dvc_procedures_free(data);
}


static void
ngx_http_dvc_vpools_cleanup(void *data)
{
    ngx_http_dvc_pools_free(data);
}


char *
ngx_http_dvc_schemas(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    char                 err[512];
    ngx_str_t           *value, dir;
    dvc_buf_t            b;
    dvc_procedures_t    *set;
    ngx_pool_cleanup_t  *cln;

    if (dmcf->procedures) {
        return "is duplicate";
    }

    value = cf->args->elts;
    dir = value[1];

    if (ngx_conf_full_name(cf->cycle, &dir, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * everything loaded lives as long as this configuration; read with the
     * C library's allocator, so that what reading frees (each file's text,
     * once its copy is kept) is reused rather than kept in the pool
     */
    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    set = dvc_procedures_load_dir(&dvc_alloc_std, (const char *) dir.data,
                                  err, sizeof(err));
    if (set == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "dvc: %s", err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_dvc_procedures_cleanup;
    cln->data = set;

    /* the listing grows by doubling: its final bytes alone in the pool */
    dvc_buf_init(&b, &dvc_alloc_std);

    if (dvc_procedures_listing_json(set, &b) != 0 || b.failed) {
        dvc_buf_free(&b);
        return NGX_CONF_ERROR;
    }

    dmcf->listing.data = ngx_pnalloc(cf->pool, b.len);
    if (dmcf->listing.data == NULL) {
        dvc_buf_free(&b);
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(dmcf->listing.data, b.data, b.len);
    dmcf->listing.len = b.len;
    dvc_buf_free(&b);

    dmcf->procedures = set;
    dmcf->schemas_dir = dir;

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

    rc = ngx_http_dvc_get_only(r);
    if (rc != NGX_DECLINED) {
        return rc;
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


static void
ngx_http_dvc_schema_lib_cleanup(void *data)
{
    dvc_schema_lib_free(data);
}


/*
 * The shared definitions of DIR/common/ in one library: compiled once, the
 * first time a procedure refers to one, and every procedure's compiled
 * schema in its memory too (dvc_schema.h).  NULL, after a notice, when a
 * file cannot be shared: each procedure then compiles them itself, and
 * reports their faults as before.
 */
static dvc_schema_lib_t *
ngx_http_dvc_schema_lib(ngx_conf_t *cf, dvc_procedures_t *set,
    dvc_schema_options_t *opt)
{
    char                 err[1024];
    ngx_uint_t           i;
    dvc_schema_lib_t    *lib;
    ngx_pool_cleanup_t  *cln;

    /* added before the procedures' cleanups: it runs after theirs */
    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    lib = dvc_schema_lib_new(&dvc_alloc_std, opt);
    if (lib == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_dvc_schema_lib_cleanup;
    cln->data = lib;

    for (i = 0; i < set->ncommon; i++) {
        if (dvc_schema_lib_add(lib, set->common[i].file_name,
                               set->common[i].raw, set->common[i].raw_len,
                               err, sizeof(err))
            != 0)
        {
            ngx_conf_log_error(NGX_LOG_NOTICE, cf, 0,
                               "dvc: shared definitions compiled with each "
                               "procedure: %s", err);
            dvc_schema_lib_free(lib);
            cln->handler = NULL;
            return NULL;
        }
    }

    return lib;
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
    dvc_schema_lib_t             *lib;
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

    lib = ngx_http_dvc_schema_lib(cf, set, &opt);

    for (i = 0; i < set->n; i++) {
        rt = &dmcf->procs[i];
        rt->procedure = set->items[i];

        if (lib) {
            rt->schema = dvc_schema_compile_lib(lib, set->items[i]->raw,
                                                set->items[i]->raw_len, err,
                                                sizeof(err));
        } else {
            rt->schema = dvc_schema_compile(&dvc_alloc_std,
                                            set->items[i]->raw,
                                            set->items[i]->raw_len, &opt,
                                            err, sizeof(err));
        }
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

    /* a worker's validators, if this cycle ends without its exit: added
     * last, run first, before the schemas go */
    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_dvc_vpools_cleanup;
    cln->data = dmcf;

    return NGX_OK;
}


void
ngx_http_dvc_procedure_rt_cleanup(void *data)
{
    ngx_http_dvc_procedure_rt_t *rt = data;

    dvc_schema_free(rt->schema);
}


dvc_validate_ctx_t *
ngx_http_dvc_validator_get(ngx_http_dvc_main_conf_t *dmcf,
    ngx_http_dvc_procedure_rt_t *rt)
{
    ngx_http_dvc_vpool_t  *vp;

    if (dmcf->vpools) {
        vp = &dmcf->vpools[rt - dmcf->procs];
        if (vp->nfree) {
            return vp->free[--vp->nfree];
        }
    }

    return dvc_validate_new(&dvc_alloc_std, rt->schema, NULL);
}


/*
 * Kept in this worker's own memory, made on first use: the procedures'
 * runtime records stay as the master wrote them, shared with it.
 */
void
ngx_http_dvc_validator_put(ngx_http_dvc_main_conf_t *dmcf,
    ngx_http_dvc_procedure_rt_t *rt, dvc_validate_ctx_t *v)
{
    ngx_http_dvc_vpool_t  *vp;

    if (dmcf->vpools == NULL) {
        dmcf->vpools = ngx_calloc(dmcf->nprocs * sizeof(ngx_http_dvc_vpool_t),
                                  ngx_cycle->log);
    }

    vp = dmcf->vpools ? &dmcf->vpools[rt - dmcf->procs] : NULL;

    if (vp && vp->free == NULL) {
        vp->free = ngx_alloc(NGX_HTTP_DVC_POOL_MAX * sizeof(dvc_validate_ctx_t *),
                             ngx_cycle->log);
    }

    if (vp == NULL || vp->free == NULL
        || vp->nfree == NGX_HTTP_DVC_POOL_MAX)
    {
        dvc_validate_free(v);
        return;
    }

    dvc_validate_reset(v);
    vp->free[vp->nfree++] = v;
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
    ngx_uint_t             i;
    ngx_http_dvc_vpool_t  *vp;

    for (i = 0; dmcf->vpools && i < dmcf->nprocs; i++) {
        vp = &dmcf->vpools[i];
        while (vp->nfree) {
            dvc_validate_free(vp->free[--vp->nfree]);
        }
        ngx_free(vp->free);
    }

    ngx_free(dmcf->vpools);
    dmcf->vpools = NULL;

    while (dmcf->nintakes) {
        dvc_intake_free(dmcf->intakes[--dmcf->nintakes]);
    }
}
