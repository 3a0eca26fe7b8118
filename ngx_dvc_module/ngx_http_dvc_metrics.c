/*
 * Metrics and log variables of the API: a module of its own in the same .so
 * (ngx_http_dvc_metrics_module), so that its request context never meets
 * the endpoints' (each endpoint keeps its own in ngx_http_dvc_module's slot).
 *
 * - Counting happens in one place, a log-phase handler, for every request
 *   that reached a location with dvc_api: its endpoint (from the path as
 *   sent, so nginx's own 413 and 429 count under the endpoint that was
 *   asked for), its status, its time.  The endpoints only report what the
 *   log phase cannot see (ngx_http_dvc_metrics.h).
 * - The counters live in one shared memory zone, "dvc_metrics", of atomic
 *   words: every worker adds to the same words and `dvc_metrics;` prints
 *   their sums.  The zone's layout depends on the procedures loaded; it is
 *   kept across a reload that loads the same ones and the same signing key,
 *   and zeroed otherwise (a procedure's counters never move to another).
 * - Labels are bounded: endpoints and statuses are fixed lists (others are
 *   "other"), procedures are the loaded ones, violation codes are the
 *   validator's keywords and the x-dvc document codes, the key id is the
 *   signing key's.  No dossier code, token or body ever becomes a label.
 *
 * This file holds the module, its directive and the zone; the reports and
 * the counting are in ngx_http_dvc_metrics_count.c, the Prometheus text in
 * ngx_http_dvc_metrics_print.c, the variables in ngx_http_dvc_metrics_vars.c.
 */

#include "ngx_http_dvc_metrics_int.h"
#include "dvc_keys.h"
#include "dvc_procedure.h"


typedef struct {
    ngx_http_dvc_metrics_sh_t  *sh;
    ngx_slab_pool_t            *shpool;
    uint64_t                    layout;
    size_t                      size;
} ngx_http_dvc_metrics_zone_t;


static ngx_int_t ngx_http_dvc_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_dvc_metrics_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_dvc_metrics_postconfiguration(ngx_conf_t *cf);
static char *ngx_http_dvc_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


/* the zone of the cycle this process runs (ngx_http_dvc_metrics_int.h) */
ngx_http_dvc_metrics_sh_t  *ngx_http_dvc_metrics_sh;
ngx_uint_t                  ngx_http_dvc_metrics_nprocs;


static ngx_command_t  ngx_http_dvc_metrics_commands[] = {

    { ngx_string("dvc_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_dvc_metrics,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dvc_metrics_module_ctx = {
    ngx_http_dvc_metrics_preconfiguration, /* preconfiguration */
    ngx_http_dvc_metrics_postconfiguration, /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_dvc_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_dvc_metrics_module_ctx,      /* module context */
    ngx_http_dvc_metrics_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_dvc_vars[] = {

    { ngx_string("dvc_code"), NULL, ngx_http_dvc_var_code, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_procedure"), NULL, ngx_http_dvc_var_procedure, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_agency"), NULL, ngx_http_dvc_var_agency, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_outcome"), NULL, ngx_http_dvc_var_outcome, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("dvc_redis_time"), NULL, ngx_http_dvc_var_redis_time, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_dvc_metrics_zone_name = ngx_string("dvc_metrics");

/* ------------------------------------------------------------ configuration */

static ngx_int_t
ngx_http_dvc_metrics_preconfiguration(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_dvc_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* FNV-1a over what the zone's words mean: the procedures, in order, and
 * the signing key's id */
static uint64_t
ngx_http_dvc_metrics_layout(ngx_http_dvc_main_conf_t *dmcf)
{
    size_t       k, len;
    uint64_t     h;
    ngx_uint_t   i;
    const char  *s;

    h = 14695981039346656037ULL;

#define ngx_http_dvc_fnv(s, len)                                             \
    for (k = 0; k < (len); k++) {                                            \
        h = (h ^ (u_char) (s)[k]) * 1099511628211ULL;                        \
    }                                                                        \
    h = (h ^ 0xff) * 1099511628211ULL

    for (i = 0; i < dmcf->nprocs; i++) {
        s = dmcf->procs[i].procedure->code;
        len = dmcf->procs[i].procedure->code_len;
        ngx_http_dvc_fnv(s, len);
    }

    if (dmcf->signing_key) {
        s = dvc_key_kid(dmcf->signing_key);
        len = ngx_strlen(s);
        ngx_http_dvc_fnv(s, len);
    }

#undef ngx_http_dvc_fnv

    return h;
}


static ngx_int_t
ngx_http_dvc_metrics_postconfiguration(ngx_conf_t *cf)
{
    size_t                        size;
    ngx_shm_zone_t               *shm_zone;
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_dvc_main_conf_t     *dmcf;
    ngx_http_dvc_metrics_zone_t  *zone;

    /* until this cycle's zone is made: never the last cycle's, which the
     * master unmaps once the reload is done */
    ngx_http_dvc_metrics_sh = NULL;
    ngx_http_dvc_metrics_nprocs = 0;

    dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dvc_module);

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_metrics_zone_t));
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->layout = ngx_http_dvc_metrics_layout(dmcf);
    zone->size = sizeof(ngx_http_dvc_metrics_sh_t)
                 + (dmcf->nprocs * NGX_HTTP_DVC_NVCODE) * sizeof(ngx_atomic_t);
    ngx_http_dvc_metrics_nprocs = dmcf->nprocs;

    /* the slab pool's own pages besides ours */
    size = ngx_align(zone->size, ngx_pagesize) + 8 * ngx_pagesize;

    shm_zone = ngx_shared_memory_add(cf, &ngx_http_dvc_metrics_zone_name,
                                     size, &ngx_http_dvc_metrics_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_dvc_metrics_init_zone;
    shm_zone->data = zone;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dvc_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_dvc_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_dvc_metrics_zone_t  *ozone = data;

    ngx_slab_pool_t              *shpool;
    ngx_http_dvc_metrics_sh_t    *sh;
    ngx_http_dvc_metrics_zone_t  *zone;

    zone = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    zone->shpool = shpool;

    sh = shpool->data;

    /* a reload: the counters go on if they still mean the same */
    if (ozone && sh && sh->layout == zone->layout) {
        zone->sh = sh;
        ngx_http_dvc_metrics_sh = sh;
        return NGX_OK;
    }

    if (sh) {
        ngx_slab_free(shpool, sh);
    }

    sh = ngx_slab_calloc(shpool, zone->size);
    if (sh == NULL) {
        return NGX_ERROR;
    }

    sh->layout = zone->layout;
    shpool->data = sh;
    zone->sh = sh;
    ngx_http_dvc_metrics_sh = sh;

    return NGX_OK;
}


static char *
ngx_http_dvc_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_dvc_metrics_handler;

    return NGX_CONF_OK;
}
