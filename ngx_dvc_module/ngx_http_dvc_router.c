/*
 * ngx_dvc: the router of the JSON API (ngx_http_dvc_handler, the location
 * handler dvc_api installs): the path and the method pick the endpoint, and
 * nginx's own errors redirected to the API are answered in JSON.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_stats.h"
#include "dvc_lifecycle.h"


static ngx_int_t ngx_http_dvc_error_page(ngx_http_request_t *r);
static ngx_int_t ngx_http_dvc_route_v1(ngx_http_request_t *r,
    ngx_str_t *segment, ngx_str_t *rest);
static ngx_int_t ngx_http_dvc_route_dossiers(ngx_http_request_t *r,
    ngx_str_t *rest);
static ngx_int_t ngx_http_dvc_route_unknown(ngx_http_request_t *r);
static const char *ngx_http_dvc_path_check(ngx_str_t *target, size_t *end);


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
            return ngx_http_dvc_refuse_method(r, "GET, HEAD");
        }

        return ngx_http_dvc_payment_notice(r, &rest);
    }

    if (segment.len == ngx_http_dvc_uploads_path.len && rest.len == 0
        && ngx_strncmp(segment.data, ngx_http_dvc_uploads_path.data,
                       segment.len) == 0)
    {
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_dvc_refuse_method(r, "POST");
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
            return ngx_http_dvc_refuse_method(r, "GET, HEAD");
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
ngx_int_t
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

    return ngx_http_dvc_route_unknown(r);
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
    ngx_str_t   code, tail;
    u_char     *slash;

    if (rest->len == 0) {

        /* /v1/dossiers */

        if (r->method != NGX_HTTP_POST) {
            return ngx_http_dvc_refuse_method(r, "POST");
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
            return ngx_http_dvc_refuse_method(r, "POST");
        }

        return ngx_http_dvc_events(r, &code);
    }

    if (tail.len == ngx_http_dvc_payment_path.len
        && ngx_strncmp(tail.data, ngx_http_dvc_payment_path.data, tail.len)
           == 0)
    {
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_dvc_refuse_method(r, "POST");
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
            return ngx_http_dvc_refuse_method(r, "POST");
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
        return ngx_http_dvc_refuse_method(r, "GET, HEAD");
    }

    if (tail.len) {
        return ngx_http_dvc_receipt(r, &code);
    }

    return ngx_http_dvc_lookup(r, &code);

unknown:

    return ngx_http_dvc_route_unknown(r);
}


/* No endpoint for the path: 404 unknown_endpoint, with a log line. */
static ngx_int_t
ngx_http_dvc_route_unknown(ngx_http_request_t *r)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: no endpoint for \"%V\"", &r->uri);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT);
}
