/*
 * JSON answers.  Every error the API gives is JSON with a stable code and a
 * message in Vietnamese and English, so a web form can show it as is.
 */

#include "ngx_http_dvc_module.h"
#include "ngx_http_dvc_metrics.h"


typedef struct {
    ngx_uint_t   status;
    ngx_str_t    body;
} ngx_http_dvc_error_t;


#define ngx_http_dvc_error(err, status, code, vi, en)                        \
    [err] = { status, ngx_string("{\"error\":\"" code "\",\"message\":"     \
                                 "{\"vi\":\"" vi "\",\"en\":\"" en "\"}}") }

static ngx_http_dvc_error_t  ngx_http_dvc_errors[NGX_HTTP_DVC_ERR_LAST] = {

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_NOT_FOUND,
        NGX_HTTP_NOT_FOUND, "not_found",
        "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này.",
        "No dossier matches this code and lookup token."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_ARCHIVED,
        410, "archived",
        "Hồ sơ có mã này không còn tra cứu được trên cổng: hồ sơ đã kết thúc "
        "quá thời hạn lưu trên cổng và đã được chuyển sang lưu trữ của cơ "
        "quan tiếp nhận (mã cơ quan là phần đầu của mã hồ sơ). Xin liên hệ "
        "Bộ phận Tiếp nhận và Trả kết quả của cơ quan đó để tra cứu hoặc xin "
        "bản sao.",
        "A dossier with this code can no longer be looked up here: dossiers "
        "finished longer ago than the gateway keeps them are moved to the "
        "receiving agency's archive (the agency's code starts the dossier "
        "code). Ask that agency's one-stop desk (Bộ phận Tiếp nhận và Trả "
        "kết quả) to look it up or for a copy."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_BAD_CODE,
        NGX_HTTP_BAD_REQUEST, "bad_code",
        "Mã hồ sơ không đúng định dạng (ví dụ: 000.00.10.H47-261121-0001).",
        "The dossier code is malformed (expected AGENCY-YYMMDD-NNNN, "
        "e.g. 000.00.10.H47-261121-0001)."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_METHOD,
        NGX_HTTP_NOT_ALLOWED, "method_not_allowed",
        "Phương thức không được hỗ trợ cho địa chỉ này.",
        "This method is not allowed here."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_UNKNOWN_ENDPOINT,
        NGX_HTTP_NOT_FOUND, "unknown_endpoint",
        "Địa chỉ API không tồn tại.",
        "There is no such API endpoint."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_UNKNOWN_PROCEDURE,
        NGX_HTTP_NOT_FOUND, "unknown_procedure",
        "Không có thủ tục hành chính với mã này.",
        "There is no procedure with this code."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_MEDIA_TYPE,
        NGX_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
        "Hồ sơ phải được gửi dưới dạng JSON (Content-Type: application/json).",
        "Dossiers must be sent as JSON (Content-Type: application/json)."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_BAD_IDEMPOTENCY,
        NGX_HTTP_BAD_REQUEST, "bad_idempotency_key",
        "Idempotency-Key phải có từ 1 đến 255 ký tự.",
        "Idempotency-Key must be 1 to 255 characters long."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_IDEMPOTENCY_CONFLICT,
        NGX_HTTP_CONFLICT, "idempotency_key_reused",
        "Idempotency-Key này đã được dùng cho một hồ sơ có nội dung khác.",
        "This Idempotency-Key was used for a dossier with another body."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_IDEMPOTENCY_BUSY,
        NGX_HTTP_CONFLICT, "idempotency_key_in_use",
        "Hồ sơ với Idempotency-Key này đang được xử lý, vui lòng thử lại sau "
        "vài giây.",
        "A submission with this Idempotency-Key is in progress; retry in a "
        "few seconds."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_SEQUENCE_EXHAUSTED,
        NGX_HTTP_SERVICE_UNAVAILABLE, "daily_limit_reached",
        "Cơ quan đã tiếp nhận số hồ sơ tối đa trong ngày (9.999), vui lòng "
        "nộp lại vào ngày làm việc tiếp theo.",
        "The agency has received the most dossiers a day allows (9,999); "
        "please submit on the next working day."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_NOT_ACCEPTED,
        NGX_HTTP_CONFLICT, "not_accepted_yet",
        "Hồ sơ chưa được tiếp nhận nên chưa có giấy tiếp nhận và hẹn trả kết "
        "quả.",
        "The dossier has not been accepted yet, so there is no receipt."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_TOO_LARGE,
        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "body_too_large",
        "Hồ sơ gửi lên vượt quá dung lượng cho phép.",
        "The dossier is larger than this service accepts."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_UNAVAILABLE,
        NGX_HTTP_SERVICE_UNAVAILABLE, "unavailable",
        "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau ít phút.",
        "The service is temporarily unavailable; please retry shortly."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_INTERNAL,
        NGX_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
        "Đã xảy ra lỗi hệ thống.",
        "An internal error occurred."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_EVENTS_DISABLED,
        NGX_HTTP_FORBIDDEN, "events_disabled",
        "Cổng chưa được cấu hình khóa nhận sự kiện (dvc_event_key).",
        "This gateway has no event key configured (dvc_event_key)."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_SIGNATURE_MISSING,
        NGX_HTTP_UNAUTHORIZED, "signature_missing",
        "Thiếu hoặc sai định dạng X-DVC-Timestamp / X-DVC-Signature.",
        "X-DVC-Timestamp or X-DVC-Signature is missing or malformed."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_SIGNATURE_STALE,
        NGX_HTTP_UNAUTHORIZED, "signature_stale",
        "Chữ ký đã quá hạn: X-DVC-Timestamp lệch quá 300 giây so với giờ "
        "của cổng.",
        "The signature is stale: X-DVC-Timestamp is more than 300 seconds "
        "away from the gateway's clock."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_SIGNATURE_INVALID,
        NGX_HTTP_UNAUTHORIZED, "signature_invalid",
        "Chữ ký không khớp với khóa nào đang dùng.",
        "The signature matches none of the configured keys."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_SIGNATURE_AMBIGUOUS,
        NGX_HTTP_UNAUTHORIZED, "signature_ambiguous",
        "X-DVC-Timestamp và X-DVC-Signature chỉ được gửi một lần; yêu cầu "
        "có một trong hai tiêu đề này lặp lại bị từ chối.",
        "X-DVC-Timestamp and X-DVC-Signature must each be sent once; a "
        "request repeating either header is refused."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_EVENT_ID_REUSED,
        NGX_HTTP_CONFLICT, "event_id_reused",
        "Mã sự kiện này đã được dùng cho hồ sơ với nội dung khác.",
        "This event id was already used on this dossier with another body."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_CONFLICT,
        NGX_HTTP_CONFLICT, "conflict",
        "Hồ sơ vừa được thay đổi đồng thời, vui lòng gửi lại.",
        "The dossier was changed concurrently; please retry."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_NO_DOSSIER,
        NGX_HTTP_NOT_FOUND, "not_found",
        "Không có hồ sơ với mã này.",
        "No dossier has this code."),
    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_ALREADY_RATED,
        NGX_HTTP_CONFLICT, "already_rated",
        "Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần.",
        "This dossier has been rated already; a dossier is rated once."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_PROCEDURE_MISMATCH,
        NGX_HTTP_DVC_UNPROCESSABLE, "procedure_mismatch",
        "Hồ sơ bổ sung phải thuộc cùng thủ tục hành chính với hồ sơ ban đầu.",
        "The supplemented dossier must be for the same procedure as the "
        "original one."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_CHANNEL_NEEDS_SIGNATURE,
        NGX_HTTP_DVC_UNPROCESSABLE, "channel_needs_signature",
        "Hồ sơ nộp qua bưu chính hoặc tại Bộ phận Một cửa chỉ được ghi nhận "
        "khi do hệ thống một cửa gửi lên, có chữ ký.",
        "Postal and counter dossiers are accepted only from the one-stop "
        "back-end, signed with an event key."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_TOO_MANY_REQUESTS,
        NGX_HTTP_TOO_MANY_REQUESTS, "too_many_requests",
        "Quá nhiều yêu cầu trong thời gian ngắn, vui lòng thử lại sau ít "
        "giây.",
        "Too many requests in a short time; please retry in a few seconds."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_FORBIDDEN,
        NGX_HTTP_FORBIDDEN, "forbidden",
        "Địa chỉ này không được phép truy cập từ nơi gửi yêu cầu.",
        "This address may not be used from where the request came."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_TOKEN_AMBIGUOUS,
        NGX_HTTP_BAD_REQUEST, "token_ambiguous",
        "Mã tra cứu chỉ được gửi một lần: hoặc tham số token, hoặc tiêu đề "
        "X-DVC-Lookup-Token; yêu cầu gửi mã tra cứu hai lần bị từ chối.",
        "The lookup token must be sent once: as the token parameter or in "
        "the X-DVC-Lookup-Token header; a request giving it twice is "
        "refused."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_BAD_PATH,
        NGX_HTTP_BAD_REQUEST, "bad_path",
        "Đường dẫn có dấu gạch chéo được mã hóa (%2F, %5C), đoạn '.' hoặc "
        "'..', hoặc '//': hãy gửi đường dẫn đúng như tài liệu API.",
        "The path has an encoded slash or backslash (%2F, %5C), a '.' or "
        "'..' segment, or '//': send the path as the API documents it."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_NOT_FOUND_DOCUMENT,
        NGX_HTTP_NOT_FOUND, "not_found",
        "Không có tệp giấy tờ với mã băm này.",
        "No document has this SHA-256."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_BAD_DRY_RUN,
        NGX_HTTP_BAD_REQUEST, "bad_dry_run",
        "Tham số dry_run chỉ được gửi một lần, với giá trị 1.",
        "The dry_run parameter must be sent once, with the value 1."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_PAYMENTS_DISABLED,
        NGX_HTTP_FORBIDDEN, "payments_disabled",
        "Cổng chưa được cấu hình thanh toán trực tuyến (dvc_payment).",
        "This gateway takes no online payment (no dvc_payment)."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_PAYMENT_NOT_REQUIRED,
        NGX_HTTP_CONFLICT, "payment_not_required",
        "Hồ sơ không ở trạng thái chờ thực hiện nghĩa vụ tài chính.",
        "The dossier is not waiting for a payment."),

    ngx_http_dvc_error(NGX_HTTP_DVC_ERR_NOT_PAYABLE_ONLINE,
        NGX_HTTP_CONFLICT, "not_payable_online",
        "Khoản phí này không thanh toán trực tuyến được: hãy nộp tại bộ "
        "phận một cửa.",
        "This fee cannot be paid online: pay it at the one-stop desk."),
};

ngx_str_t  ngx_http_dvc_empty_str = ngx_string("");
ngx_str_t  ngx_http_dvc_idempotency_header = ngx_string("Idempotency-Key");


ngx_int_t
ngx_http_dvc_send_json(ngx_http_request_t *r, ngx_uint_t status, u_char *body,
    size_t len)
{
    static ngx_str_t  json = ngx_string("application/json; charset=utf-8");

    return ngx_http_dvc_send_typed(r, status, &json,
                                   sizeof("application/json") - 1, body, len);
}


/*
 * An API answer: counted for the metrics (its code, procedure or error, from
 * the body's start), then sent as ngx_http_dvc_send_memory() does.
 */
ngx_int_t
ngx_http_dvc_send_typed(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, size_t type_len, u_char *body, size_t len)
{
    ngx_http_dvc_metrics_answer(r, body, len);

    return ngx_http_dvc_send_memory(r, status, type, type_len, body, len);
}


ngx_int_t
ngx_http_dvc_refuse_unread(ngx_http_request_t *r, ngx_http_dvc_error_e err)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_dvc_send_error(r, err);
}


ngx_int_t
ngx_http_dvc_refuse_method(ngx_http_request_t *r, const char *allow)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_dvc_send_not_allowed(r, allow);
}


ngx_int_t
ngx_http_dvc_get_only(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_dvc_send_not_allowed(r, "GET, HEAD");
    }

    return NGX_DECLINED;
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


/*
 * What a handler returns once it has handed its commands to
 * ngx_http_dvc_redis_send() (rc is what that returned): NGX_DONE while the
 * reply is awaited, the JSON 503 when Redis is unavailable (logged as
 * "dvc: WHAT "CODE" answered 503", CODE left out when NULL), 500 when the
 * command could not even be queued.
 */
ngx_int_t
ngx_http_dvc_redis_sent(ngx_http_request_t *r, ngx_int_t rc, const char *what,
    ngx_str_t *code)
{
    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc != NGX_DECLINED) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (code) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: %s \"%V\" answered 503: redis unavailable", what,
                      code);

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "dvc: %s answered 503: redis unavailable", what);
    }

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_UNAVAILABLE);
}


/* 405 with the methods the endpoint does take. */
ngx_int_t
ngx_http_dvc_send_not_allowed(ngx_http_request_t *r, const char *allow)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) allow;
    h->value.len = ngx_strlen(allow);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "dvc: method %V not allowed on \"%V\"", &r->method_name,
                  &r->uri);

    return ngx_http_dvc_send_error(r, NGX_HTTP_DVC_ERR_METHOD);
}


ngx_table_elt_t *
ngx_http_dvc_find_header(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name->len
            && ngx_strncasecmp(h[i].key.data, name->data, name->len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * How many times a header is given, whatever the case of its name (and the
 * first of them).  A value with a comma counts twice: it is what a proxy
 * makes of two headers of that name, and none of ours holds one.
 */
ngx_uint_t
ngx_http_dvc_header_count(ngx_http_request_t *r, ngx_str_t *name,
    ngx_table_elt_t **first)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;
    *first = NULL;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return n;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != name->len
            || ngx_strncasecmp(h[i].key.data, name->data, name->len) != 0)
        {
            continue;
        }

        if (n == 0) {
            *first = &h[i];
        }

        n += ngx_strlchr(h[i].value.data, h[i].value.data + h[i].value.len,
                         ',')
             ? 2 : 1;
    }
}


/*
 * The query string's parameters one by one, from *pos (0 to start): the
 * name and the value as sent, not unescaped; value->data is NULL for a
 * name without "=".  Empty pieces ("a=1&&b=2", a trailing "&") are no
 * parameters.  NGX_DECLINED after the last.
 */
ngx_int_t
ngx_http_dvc_arg_next(ngx_str_t *args, size_t *pos, ngx_str_t *name,
    ngx_str_t *value)
{
    u_char  *p, *last, *amp, *eq;

    if (*pos >= args->len) {
        return NGX_DECLINED;
    }

    p = args->data + *pos;
    last = args->data + args->len;

    while (p < last && *p == '&') {
        p++;
    }

    if (p == last) {
        *pos = args->len;
        return NGX_DECLINED;
    }

    amp = ngx_strlchr(p, last, '&');
    if (amp == NULL) {
        amp = last;
    }

    eq = ngx_strlchr(p, amp, '=');

    name->data = p;
    name->len = (eq ? eq : amp) - p;

    if (eq) {
        value->data = eq + 1;
        value->len = amp - (eq + 1);

    } else {
        value->data = NULL;
        value->len = 0;
    }

    *pos = amp - args->data;

    return NGX_OK;
}


/*
 * 1 if a parameter's name is want: compared case-insensitively, as
 * ngx_http_arg() does, and percent-decoded, as a proxy in front of us may
 * decode it ("tok%65n" is "token").
 */
ngx_uint_t
ngx_http_dvc_arg_is(ngx_str_t *name, const char *want)
{
    u_char  *dst, *src;
    size_t   len;
    u_char   buf[64];

    len = ngx_strlen(want);

    if (name->len == len) {
        return ngx_strncasecmp(name->data, (u_char *) want, len) == 0;
    }

    /* each byte of want is at most "%XX" */
    if (name->len < len || name->len > 3 * len || name->len > sizeof(buf)
        || ngx_strlchr(name->data, name->data + name->len, '%') == NULL)
    {
        return 0;
    }

    dst = buf;
    src = name->data;
    ngx_unescape_uri(&dst, &src, name->len, 0);

    return (size_t) (dst - buf) == len
           && ngx_strncasecmp(buf, (u_char *) want, len) == 0;
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
