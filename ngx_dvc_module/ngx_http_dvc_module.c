/*
 * ngx_dvc: the gateway for Vietnamese online public services, as an nginx
 * module.  This file holds the directives and the configuration (create,
 * init, merge); the router is in ngx_http_dvc_router.c, the module's and the
 * workers' start and end in ngx_http_dvc_init.c, and each endpoint lives in a
 * file of its own.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_apply.h"


static void *ngx_http_dvc_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_dvc_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_dvc_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_dvc_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_dvc_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_dvc_json_error_pages(ngx_conf_t *cf,
    ngx_http_core_loc_conf_t *clcf, ngx_http_dvc_loc_conf_t *dlcf);
static char *ngx_http_dvc_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_dvc_api_root(ngx_conf_t *cf, void *post, void *data);


static ngx_conf_num_bounds_t  ngx_http_dvc_redis_db_bounds = {
    ngx_conf_check_num_bounds, 0, 15
};

static ngx_conf_post_handler_pt  ngx_http_dvc_api_root_post =
    ngx_http_dvc_api_root;

static ngx_conf_enum_t  ngx_http_dvc_clamd_fail[] = {
    { ngx_string("closed"), 0 },
    { ngx_string("open"), 1 },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_dvc_commands[] = {

    { ngx_string("dvc_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_dvc_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_api_root"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_dvc_loc_conf_t, api_root),
      &ngx_http_dvc_api_root_post },

    { ngx_string("dvc_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dvc_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_redis_user"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, redis_user),
      NULL },

    { ngx_string("dvc_redis_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, redis_password),
      NULL },

    { ngx_string("dvc_redis_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, redis_db),
      &ngx_http_dvc_redis_db_bounds },

    { ngx_string("dvc_schemas"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dvc_schemas,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_signing_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_dvc_signing_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_verify_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_dvc_verify_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_calendar"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dvc_calendar,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_event_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_dvc_event_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_agency"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dvc_agency,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_notify"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_dvc_notify_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_payment"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_dvc_payment_conf,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_documents"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dvc_documents_dir,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, retention),
      NULL },

    { ngx_string("dvc_upload_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, upload_ttl),
      NULL },

    { ngx_string("dvc_clamd"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dvc_clamd,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_clamd_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, clamd_timeout),
      NULL },

    { ngx_string("dvc_clamd_fail"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, clamd_fail_open),
      &ngx_http_dvc_clamd_fail },

    { ngx_string("dvc_redis_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_dvc_redis_wait,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_redis_sentinel"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_dvc_redis_sentinel,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_redis_sentinel_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, redis_sentinel_password),
      NULL },

    { ngx_string("dvc_redis_cluster"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_dvc_redis_cluster,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_redis_read"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_dvc_redis_read,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("dvc_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_dvc_main_conf_t, redis_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_dvc_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_dvc_postconfiguration,        /* postconfiguration */

    ngx_http_dvc_create_main_conf,         /* create main configuration */
    ngx_http_dvc_init_main_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_dvc_create_loc_conf,          /* create location configuration */
    ngx_http_dvc_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_http_dvc_module = {
    NGX_MODULE_V1,
    &ngx_http_dvc_module_ctx,              /* module context */
    ngx_http_dvc_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_dvc_init_module,              /* init module */
    ngx_http_dvc_init_process,             /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_dvc_exit_process,             /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_dvc_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_main_conf_t));
    if (dmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dmcf->redis_text = { 0, NULL };
     *     dmcf->redis_host = NULL;
     *     dmcf->redis_port = 0;
     *     dmcf->redis_unix = NULL;
     *     dmcf->redis_user = { 0, NULL };
     *     dmcf->redis_password = { 0, NULL };
     *     dmcf->redis = NULL;
     *     dmcf->procedures = NULL;
     *     dmcf->schemas_dir = { 0, NULL };
     *     dmcf->listing = { 0, NULL };
     *     dmcf->documents = { 0, NULL };
     *     dmcf->clamd_text = { 0, NULL };
     *     dmcf->clamd = NULL;
     */

    dmcf->redis_db = NGX_CONF_UNSET;
    dmcf->redis_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->redis_read_replica = NGX_CONF_UNSET_UINT;
    dmcf->upload_ttl = NGX_CONF_UNSET;
    dmcf->retention = NGX_CONF_UNSET;
    dmcf->notify = NGX_CONF_UNSET;
    dmcf->clamd_timeout = NGX_CONF_UNSET_MSEC;
    dmcf->clamd_fail_open = NGX_CONF_UNSET_UINT;

    return dmcf;
}


static char *
ngx_http_dvc_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_dvc_main_conf_t  *dmcf = conf;

    ngx_conf_init_value(dmcf->redis_db, 0);
    ngx_conf_init_msec_value(dmcf->redis_timeout, 1000);
    ngx_conf_init_uint_value(dmcf->redis_read_replica, 0);

    if (ngx_http_dvc_redis_check(cf, dmcf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }
    ngx_conf_init_value(dmcf->upload_ttl, 86400);
    ngx_conf_init_value(dmcf->retention, 0);
    ngx_conf_init_value(dmcf->notify, 0);
    ngx_conf_init_msec_value(dmcf->clamd_timeout, 10000);
    ngx_conf_init_uint_value(dmcf->clamd_fail_open, 0);

    if (dmcf->clamd && dmcf->documents.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_clamd\" needs \"dvc_documents\" "
                           "(where scanned uploads are stored)");
        return NGX_CONF_ERROR;
    }

    /* an ACL user name alone would connect as "default" without a word:
     * Redis has no AUTH with a name and no password */
    if (dmcf->redis_user.len && dmcf->redis_password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_redis_user\" needs "
                           "\"dvc_redis_password\" (the ACL user's password)");
        return NGX_CONF_ERROR;
    }

    if (dmcf->redis_text.len) {
        dmcf->redis = ngx_http_dvc_redis_create(cf, dmcf);
        if (dmcf->redis == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_dvc_apply_prepare(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* submissions are answered with signed proof and, on acceptance, an
     * appointment counted in working days: both must be configured */
    if (dmcf->procedures && dmcf->signing_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_schemas\" needs \"dvc_signing_key\" "
                           "(make one with \"dvc keygen\")");
        return NGX_CONF_ERROR;
    }

    if (dmcf->procedures && dmcf->calendar == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_schemas\" needs \"dvc_calendar\" "
                           "(e.g. calendar/vn-2025-2027.cal)");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_dvc_keys_init(cf, dmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_dvc_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_dvc_loc_conf_t  *dlcf;

    dlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_dvc_loc_conf_t));
    if (dlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dlcf->api_root = { 0, NULL };
     */

    dlcf->api = NGX_CONF_UNSET;

    return dlcf;
}


static char *
ngx_http_dvc_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_dvc_loc_conf_t *prev = parent;
    ngx_http_dvc_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_dvc_main_conf_t  *dmcf;

    ngx_conf_merge_value(conf->api, prev->api, 0);
    ngx_conf_merge_str_value(conf->api_root, prev->api_root, "/dvc");

    if (conf->api) {
        /* nested locations inherit the API, so sysadmins can add limit_req,
         * allow/deny or logging per sub-path */
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        clcf->handler = ngx_http_dvc_handler;

        if (ngx_http_dvc_json_error_pages(cf, clcf, conf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        dmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_dvc_module);

        if (dmcf->redis_text.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "dvc: \"dvc_api\" needs \"dvc_redis\" "
                               "or \"dvc_redis_sentinel\" "
                               "or \"dvc_redis_cluster\" "
                               "in the http block");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * nginx answers some errors itself with its HTML pages: a body over
 * client_max_body_size (413) before any module runs, limit_req and limit_conn
 * (503, or 429 with limit_req_status 429), allow/deny (403), a handler's
 * bare 500.  "Every
 * error is JSON", so the API's locations get error pages that redirect these
 * to the API itself, which answers JSON with the same status.  A sysadmin's
 * own error_page for a status is left alone; an inherited list is copied,
 * never changed in place.
 */
static ngx_int_t
ngx_http_dvc_json_error_pages(ngx_conf_t *cf, ngx_http_core_loc_conf_t *clcf,
    ngx_http_dvc_loc_conf_t *dlcf)
{
    static ngx_int_t      statuses[] = {
        NGX_HTTP_FORBIDDEN, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
        NGX_HTTP_TOO_MANY_REQUESTS,
        NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_SERVICE_UNAVAILABLE
    };

    u_char               *p;
    ngx_uint_t            i, s, own;
    ngx_array_t          *pages;
    ngx_http_err_page_t  *ep;

    pages = ngx_array_create(cf->pool, 6, sizeof(ngx_http_err_page_t));
    if (pages == NULL) {
        return NGX_ERROR;
    }

    if (clcf->error_pages) {
        ep = ngx_array_push_n(pages, clcf->error_pages->nelts);
        if (ep == NULL) {
            return NGX_ERROR;
        }
        ngx_memcpy(ep, clcf->error_pages->elts,
                   clcf->error_pages->nelts * sizeof(ngx_http_err_page_t));
    }

    for (s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {

        own = 0;
        ep = pages->elts;
        for (i = 0; i < pages->nelts; i++) {
            if (ep[i].status == statuses[s]) {
                own = 1;        /* the sysadmin's, or ours inherited */
                break;
            }
        }

        if (own) {
            continue;
        }

        ep = ngx_array_push(pages);
        if (ep == NULL) {
            return NGX_ERROR;
        }

        ngx_memzero(ep, sizeof(ngx_http_err_page_t));
        ep->status = statuses[s];
        ep->overwrite = -1;     /* keep the status */

        ep->value.value.len = dlcf->api_root.len + sizeof("/v1/errors/NNN") - 1;
        ep->value.value.data = ngx_pnalloc(cf->pool, ep->value.value.len);
        if (ep->value.value.data == NULL) {
            return NGX_ERROR;
        }

        p = ngx_cpymem(ep->value.value.data, dlcf->api_root.data,
                       dlcf->api_root.len);
        ngx_sprintf(p, "/v1/errors/%03i", statuses[s]);
    }

    clcf->error_pages = pages;

    return NGX_OK;
}


static char *
ngx_http_dvc_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_loc_conf_t *dlcf = conf;

    ngx_str_t  *value;

    if (dlcf->api != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 1
        || ngx_strcmp(value[1].data, "on") == 0)
    {
        dlcf->api = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        dlcf->api = 0;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "dvc: invalid value \"%V\" in \"dvc_api\", "
                       "it must be \"on\" or \"off\"", &value[1]);
    return NGX_CONF_ERROR;
}


static char *
ngx_http_dvc_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_dvc_main_conf_t *dmcf = conf;

    ngx_str_t  *value;

    if (dmcf->redis_text.len) {
        return dmcf->redis_sentinels ? "excludes \"dvc_redis_sentinel\""
               : dmcf->redis_cluster ? "excludes \"dvc_redis_cluster\""
                                     : "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_dvc_redis_parse(cf, dmcf, &value[1]);
}


static char *
ngx_http_dvc_api_root(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *root = data;

    if (root->len == 0 || root->data[0] != '/'
        || (root->len > 1 && root->data[root->len - 1] == '/'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "dvc: \"dvc_api_root\" must start with \"/\" "
                           "and not end with one, e.g. \"/dvc\"");
        return NGX_CONF_ERROR;
    }

    /* "/" means the API sits at the server's root */
    if (root->len == 1) {
        root->len = 0;
    }

    return NGX_CONF_OK;
}
