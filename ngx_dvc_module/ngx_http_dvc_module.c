/*
 * ngx_dvc: the gateway for Vietnamese online public services, as an nginx
 * module.  This file holds the directives, the configuration and the router
 * of the JSON API; each endpoint lives in a file of its own.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_stats.h"
#include "ngx_http_dvc_apply.h"
#include "dvc_lifecycle.h"


static ngx_int_t ngx_http_dvc_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_error_page(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_route_v1(ngx_http_request_t *r,
    ngx_str_t *segment, ngx_str_t *rest);
static ngx_int_t ngx_http_dvc_route_dossiers(ngx_http_request_t *r,
    ngx_str_t *rest);
static const char *ngx_http_dvc_path_check(ngx_str_t *target, size_t *end);
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
static ngx_int_t ngx_http_dvc_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_dvc_init_module(ngx_cycle_t *cycle);
#if (NGX_HTTP_V2)
static ngx_int_t ngx_http_dvc_h2_too_large(ngx_http_request_t *r);
#endif
static ngx_int_t ngx_http_dvc_init_process(ngx_cycle_t *cycle);
static void ngx_http_dvc_exit_process(ngx_cycle_t *cycle);


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


static ngx_str_t  ngx_http_dvc_v1 = ngx_string("/v1/");
static ngx_str_t  ngx_http_dvc_dossiers = ngx_string("dossiers");
static ngx_str_t  ngx_http_dvc_procedures_path = ngx_string("procedures");
static ngx_str_t  ngx_http_dvc_keys_path = ngx_string("keys");
static ngx_str_t  ngx_http_dvc_stats_path = ngx_string("stats");
static ngx_str_t  ngx_http_dvc_uploads_path = ngx_string("uploads");
static ngx_str_t  ngx_http_dvc_documents_path = ngx_string("documents");
static ngx_str_t  ngx_http_dvc_receipt_path = ngx_string("/receipt");
static ngx_str_t  ngx_http_dvc_events_path = ngx_string("/events");
static ngx_str_t  ngx_http_dvc_payment_path = ngx_string("/payment");
static ngx_str_t  ngx_http_dvc_payments_path = ngx_string("payments");

/* what a citizen does with the lookup token: POST {code}/<action> */
static struct {
    ngx_str_t   path;
    ngx_uint_t  action;
} ngx_http_dvc_citizen_paths[] = {
    { ngx_string("/withdrawal"), DVC_ACT_WITHDRAWAL },
    { ngx_string("/supplement"), DVC_ACT_SUPPLEMENT },
    { ngx_string("/rating"), DVC_ACT_RATING },
};


/* nginx's own error, redirected here by our error pages: its JSON answer,
 * or NGX_DECLINED for another status */
static ngx_int_t
ngx_http_dvc_error_page(ngx_http_request_t *r)
{
    switch (r->err_status) {

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: body over client_max_body_size refused");
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_TOO_LARGE);

    case NGX_HTTP_TOO_MANY_REQUESTS:
        /* limit_req/limit_conn with their _status 429; they log the
         * zone and the excess themselves */
        return ngx_http_dvc_send_error(r,
                                       NGX_HTTP_DVC_ERR_TOO_MANY_REQUESTS);

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        /* limit_req/limit_conn with their default status */
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);

    case NGX_HTTP_FORBIDDEN:
        /* allow/deny, auth_request: the access module logged it */
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_FORBIDDEN);

    case NGX_HTTP_INTERNAL_SERVER_ERROR:
        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_INTERNAL);
    }

    return NGX_DECLINED;
}


/* The endpoints below /v1/: segment is the first path segment, rest what
 * follows it.  NGX_DECLINED: none. */
static ngx_int_t
ngx_http_dvc_route_v1(ngx_http_request_t *r, ngx_str_t *segment_p,
    ngx_str_t *rest_p)
{
    ngx_str_t  segment = *segment_p, rest = *rest_p;

    if (segment.len == ngx_http_dvc_dossiers.len
        && ngx_strncmp(segment.data, ngx_http_dvc_dossiers.data,
                       segment.len) == 0)
    {
        return ngx_http_dvc_route_dossiers(r, &rest);
    }

    if (segment.len == ngx_http_dvc_procedures_path.len
        && ngx_strncmp(segment.data, ngx_http_dvc_procedures_path.data,
                       segment.len) == 0)
    {
        return ngx_http_dvc_procedures(r, &rest);
    }

    if (segment.len == ngx_http_dvc_keys_path.len && rest.len == 0
        && ngx_strncmp(segment.data, ngx_http_dvc_keys_path.data,
                       segment.len) == 0)
    {
        return ngx_http_dvc_keys(r);
    }

    if (segment.len == ngx_http_dvc_stats_path.len && rest.len == 0
        && ngx_strncmp(segment.data, ngx_http_dvc_stats_path.data,
                       segment.len) == 0)
    {
        return ngx_http_dvc_stats(r);
    }

    if (segment.len == ngx_http_dvc_payments_path.len && rest.len > 1
        && ngx_strncmp(segment.data, ngx_http_dvc_payments_path.data,
                       segment.len) == 0)
    {
        /* /v1/payments/{provider}/ipn: the provider's server */
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            if (ngx_http_discard_request_body(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_dvc_send_not_allowed(r, "GET, HEAD");
        }

        return ngx_http_dvc_payment_notice(r, &rest);
    }

    if (segment.len == ngx_http_dvc_uploads_path.len && rest.len == 0
        && ngx_strncmp(segment.data, ngx_http_dvc_uploads_path.data,
                       segment.len) == 0)
    {
        if (r->method != NGX_HTTP_POST) {
            if (ngx_http_discard_request_body(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_dvc_send_not_allowed(r, "POST");
        }

        return ngx_http_dvc_upload(r);
    }

    if (segment.len == ngx_http_dvc_documents_path.len && rest.len > 1
        && rest.data[0] == '/'
        && ngx_strlchr(rest.data + 1, rest.data + rest.len, '/') == NULL
        && ngx_strncmp(segment.data, ngx_http_dvc_documents_path.data,
                       segment.len) == 0)
    {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            if (ngx_http_discard_request_body(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_dvc_send_not_allowed(r, "GET, HEAD");
        }

        rest.data++;
        rest.len--;

        return ngx_http_dvc_documents(r, &rest);
    }

    return NGX_DECLINED;
}


/*
 * The router: URIs below dvc_api_root.  It works on r->uri, which nginx has
 * already decoded and normalized ("..", "//"), so what reaches an endpoint
 * is what nested locations matched on.  A path whose segments that changes
 * (ngx_http_dvc_path_check) is refused first: the signature covers the
 * request target as sent.
 */
static ngx_int_t
ngx_http_dvc_handler(ngx_http_request_t *r)
{
    size_t                    end;
    ngx_int_t                 rc;
    ngx_str_t                 rest, segment;
    u_char                   *slash;
    const char               *why;
    ngx_http_dvc_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_dvc_module);

    if (r->internal && r->err_status) {
        rc = ngx_http_dvc_error_page(r);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    why = ngx_http_dvc_path_check(&r->unparsed_uri, &end);

    if (why) {
        /* the path as sent up to what is refused (never the query, where
         * a token may be), at most 256 bytes of it */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "dvc: path refused (bad_path): %s, \"%*s\"", why,
                      ngx_min(end, (size_t) 256), r->unparsed_uri.data);

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_BAD_PATH);
    }

    rest = r->uri;

    if (rest.len < dlcf->api_root.len + ngx_http_dvc_v1.len
        || ngx_strncmp(rest.data, dlcf->api_root.data, dlcf->api_root.len) != 0
        || ngx_strncmp(rest.data + dlcf->api_root.len, ngx_http_dvc_v1.data,
                       ngx_http_dvc_v1.len) != 0)
    {
        goto unknown;
    }

    rest.data += dlcf->api_root.len + ngx_http_dvc_v1.len;
    rest.len -= dlcf->api_root.len + ngx_http_dvc_v1.len;

    slash = ngx_strlchr(rest.data, rest.data + rest.len, '/');

    segment.data = rest.data;
    segment.len = slash ? (size_t) (slash - rest.data) : rest.len;

    rest.data += segment.len;
    rest.len -= segment.len;

    rc = ngx_http_dvc_route_v1(r, &segment, &rest);
    if (rc != NGX_DECLINED) {
        return rc;
    }

unknown:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: no endpoint for \"%V\"", &r->uri);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT);
}


/*
 * The path of the request target as sent (before "?") must have the
 * segments nginx routes on: no percent-encoded "/" (%2F), "\" (%5C, a
 * separator to some proxies and back-ends) or NUL (%00, which nginx refuses
 * itself), no "." or ".." segment however spelt (".", "%2e", ".%2E", ...),
 * no empty segment ("//", which nginx merges).  Otherwise the path a
 * signature covers, or a proxy's rule matched, and the path routed here
 * would differ.  Percent-encoding of other bytes changes no segment.
 * Returns why a path is refused and *end, the length of the path up to the
 * end of what is refused; or NULL.
 */
static const char *
ngx_http_dvc_path_check(ngx_str_t *target, size_t *end)
{
    u_char      c, *p, *last, *start;
    ngx_int_t   hi, lo;
    ngx_uint_t  len, dots;

    start = target->data;
    last = ngx_strlchr(start, start + target->len, '?');
    if (last == NULL) {
        last = start + target->len;
    }

    if (start == last || *start != '/') {
        return NULL;            /* "*" or nothing: nginx's business */
    }

    p = start + 1;
    len = 0;                    /* the segment's length, decoded */
    dots = 0;                   /* the dots in it */

    for ( ;; ) {

        if (p == last || *p == '/') {
            *end = p - start;

            if (len && len == dots && dots <= 2) {
                return "a dot segment";
            }

            if (len == 0 && p != last) {
                return "an empty segment";
            }

            if (p == last) {
                return NULL;
            }

            len = 0;
            dots = 0;
            p++;
            continue;
        }

        c = *p;

        if (c == '%' && last - p >= 3) {
            hi = ngx_hextoi(p + 1, 1);
            lo = ngx_hextoi(p + 2, 1);

            if (hi != NGX_ERROR && lo != NGX_ERROR) {
                c = (u_char) (hi * 16 + lo);
                *end = p + 3 - start;

                if (c == '/') {
                    return "an encoded slash";
                }

                if (c == '\\') {
                    return "an encoded backslash";
                }

                if (c == '\0') {
                    return "an encoded NUL";
                }

                p += 2;
            }
        }

        p++;
        len++;

        if (c == '.') {
            dots++;
        }
    }
}


/* rest is what follows /v1/dossiers: "", "/{code}", "/{code}/receipt" or
 * "/{code}/{citizen's action}" */
static ngx_int_t
ngx_http_dvc_route_dossiers(ngx_http_request_t *r, ngx_str_t *rest)
{
    ngx_uint_t  i;
    ngx_int_t   rc;
    ngx_str_t   code, tail;
    u_char     *slash;

    if (rest->len == 0) {

        /* /v1/dossiers */

        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_dvc_send_not_allowed(r, "POST");
        }

        return ngx_http_dvc_submit(r);
    }

    if (rest->len < 2 || rest->data[0] != '/') {
        goto unknown;
    }

    code.data = rest->data + 1;
    slash = ngx_strlchr(code.data, rest->data + rest->len, '/');
    code.len = (slash ? slash : rest->data + rest->len) - code.data;

    tail.data = code.data + code.len;
    tail.len = rest->data + rest->len - tail.data;

    if (tail.len == ngx_http_dvc_events_path.len
        && ngx_strncmp(tail.data, ngx_http_dvc_events_path.data, tail.len) == 0)
    {
        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }

            return ngx_http_dvc_send_not_allowed(r, "POST");
        }

        return ngx_http_dvc_events(r, &code);
    }

    if (tail.len == ngx_http_dvc_payment_path.len
        && ngx_strncmp(tail.data, ngx_http_dvc_payment_path.data, tail.len)
           == 0)
    {
        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }

            return ngx_http_dvc_send_not_allowed(r, "POST");
        }

        return ngx_http_dvc_payment(r, &code);
    }

    for (i = 0; tail.len && i < sizeof(ngx_http_dvc_citizen_paths)
                                / sizeof(ngx_http_dvc_citizen_paths[0]); i++)
    {
        if (tail.len != ngx_http_dvc_citizen_paths[i].path.len
            || ngx_strncmp(tail.data, ngx_http_dvc_citizen_paths[i].path.data,
                           tail.len) != 0)
        {
            continue;
        }

        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_dvc_send_not_allowed(r, "POST");
        }

        return ngx_http_dvc_citizen(r, &code,
                                    ngx_http_dvc_citizen_paths[i].action);
    }

    if (tail.len != 0
        && (tail.len != ngx_http_dvc_receipt_path.len
            || ngx_strncmp(tail.data, ngx_http_dvc_receipt_path.data,
                           tail.len) != 0))
    {
        goto unknown;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_dvc_send_not_allowed(r, "GET, HEAD");
    }

    if (tail.len) {
        return ngx_http_dvc_receipt(r, &code);
    }

    return ngx_http_dvc_lookup(r, &code);

unknown:

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: no endpoint for \"%V\"", &r->uri);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT);
}


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


static ngx_int_t
ngx_http_dvc_postconfiguration(ngx_conf_t *cf)
{
#if (NGX_HTTP_V2)
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_dvc_h2_too_large;
#endif

    return ngx_http_dvc_body_init(cf);
}


/*
 * The master, still root, made dvc_documents when it read the
 * configuration: the workers (the "user" directive) must write there, as
 * they write nginx's own temp paths, which ngx_create_paths() chowns
 * likewise.
 */
static ngx_int_t
ngx_http_dvc_init_module(ngx_cycle_t *cycle)
{
    ngx_core_conf_t           *ccf;
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dvc_module);
    if (dmcf == NULL || dmcf->documents.len == 0 || geteuid() != 0) {
        return NGX_OK;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        return NGX_OK;
    }

    if (chown((const char *) dmcf->documents.data, ccf->user, -1) == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "dvc: chown(\"%V\", %d) failed", &dmcf->documents,
                      (int) ccf->user);
        return NGX_ERROR;
    }

    return NGX_OK;
}


#if (NGX_HTTP_V2)

/*
 * A body over client_max_body_size on HTTP/2: nginx 1.22 answers 413 and
 * redirects to the error page (ours: JSON), but its HTTP/2 discard of the
 * body leaves r->discard_body unset, so the redirect's own
 * client_max_body_size check fails again and nginx sends its HTML page
 * instead (t/103-tls-http2.t TEST 4).  HTTP/1.x sets the flag; so do we,
 * for the redirect of such a request only: its body is skipped already.
 */
static ngx_int_t
ngx_http_dvc_h2_too_large(ngx_http_request_t *r)
{
    if (r->stream && r->internal
        && r->err_status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
        && r->request_body == NULL)
    {
        r->discard_body = 1;
    }

    return NGX_DECLINED;
}

#endif


static ngx_int_t
ngx_http_dvc_init_process(ngx_cycle_t *cycle)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dvc_module);
    if (dmcf == NULL) {
        return NGX_OK;
    }

    /* with Sentinel: ask for the master before the first request */
    ngx_http_dvc_redis_start(dmcf->redis);

    return NGX_OK;
}


static void
ngx_http_dvc_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_dvc_main_conf_t  *dmcf;

    dmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_dvc_module);
    if (dmcf == NULL) {
        return;
    }

    ngx_http_dvc_redis_shutdown(dmcf->redis);
    ngx_http_dvc_pools_free(dmcf);
}
