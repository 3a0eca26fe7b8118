/*
 * JSON answers.  Every error the API gives is JSON with a stable code and a
 * message in Vietnamese and English, so a web form can show it as is.
 */

#include "ngx_http_dvc_module.h"


typedef struct {
    ngx_uint_t   status;
    ngx_str_t    body;
} ngx_http_dvc_error_t;


#define ngx_http_dvc_error(status, code, vi, en)                             \
    { status, ngx_string("{\"error\":\"" code "\",\"message\":{\"vi\":\""    \
                         vi "\",\"en\":\"" en "\"}}") }

/* indexed by ngx_http_dvc_error_e */
static ngx_http_dvc_error_t  ngx_http_dvc_errors[] = {

    ngx_http_dvc_error(NGX_HTTP_NOT_FOUND, "not_found",
        "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.",
        "No dossier matches this code and lookup token."),

    ngx_http_dvc_error(NGX_HTTP_BAD_REQUEST, "bad_code",
        "Mã hồ sơ không đúng định dạng (ví dụ: 000.00.10.H47-261121-0001).",
        "The dossier code is malformed (expected AGENCY-YYMMDD-NNNN, "
        "e.g. 000.00.10.H47-261121-0001)."),

    ngx_http_dvc_error(NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
        "Phương thức không được hỗ trợ cho địa chỉ này.",
        "This method is not allowed here."),

    ngx_http_dvc_error(NGX_HTTP_NOT_FOUND, "unknown_endpoint",
        "Địa chỉ API không tồn tại.",
        "There is no such API endpoint."),

    ngx_http_dvc_error(NGX_HTTP_SERVICE_UNAVAILABLE, "unavailable",
        "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau ít phút.",
        "The service is temporarily unavailable; please retry shortly."),

    ngx_http_dvc_error(NGX_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
        "Đã xảy ra lỗi hệ thống.",
        "An internal error occurred."),
};


static void *
ngx_http_dvc_pool_malloc(void *ud, size_t size)
{
    return ngx_palloc(ud, size);
}


/* Core's allocator on a request pool: memory goes with the request. */
void
ngx_http_dvc_pool_alloc(ngx_pool_t *pool, dvc_alloc_t *alloc)
{
    alloc->malloc = ngx_http_dvc_pool_malloc;
    alloc->realloc = NULL;
    alloc->free = NULL;
    alloc->ud = pool;
}


ngx_int_t
ngx_http_dvc_send_json(ngx_http_request_t *r, ngx_uint_t status, u_char *body,
    size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type,
                "application/json; charset=utf-8");
    r->headers_out.content_type_len = sizeof("application/json") - 1;
    r->headers_out.content_type_lowcase = NULL;

    /* dossier state changes and may carry personal data: never cache */
    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }
    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }
        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    if (status == NGX_HTTP_NOT_ALLOWED) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }
        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "GET, HEAD");
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_dvc_send_error(ngx_http_request_t *r, ngx_http_dvc_error_e err)
{
    ngx_http_dvc_error_t  *e;

    e = &ngx_http_dvc_errors[err];

    /* nginx's own error pages must not replace ours */
    r->err_status = 0;

    return ngx_http_dvc_send_json(r, e->status, e->body.data, e->body.len);
}


/* Ends a request answered from an event handler (a Redis reply). */
void
ngx_http_dvc_finalize(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_connection_t  *c;

    c = r->connection;

    ngx_http_finalize_request(r, rc);
    ngx_http_run_posted_requests(c);
}
