/*
 * Violations: records with instance path, schema location, stable code and
 * messages in Vietnamese and English; deferral (then/else branches decide
 * late), document order, and the JSON answer.
 */
#include <stdio.h>
#include <string.h>

#include "dvc_schema_run.h"

static const dvc_msg_t messages[] = {
    { "type", "Kiểu dữ liệu không đúng", "Value has the wrong type" },
    { "required", "Trường bắt buộc bị thiếu", "Required field is missing" },
    { "additionalProperties", "Trường không được phép có",
      "Field is not allowed" },
    { "unevaluatedProperties", "Trường không được phép có",
      "Field is not allowed" },
    { "properties", "Trường không được phép có", "Field is not allowed" },
    { "pattern", "Giá trị không đúng mẫu quy định",
      "Value does not match the required pattern" },
    { "format", "Giá trị không đúng định dạng quy định",
      "Value is not in the required format" },
    { "enum", "Giá trị không nằm trong danh sách cho phép",
      "Value is not one of the allowed values" },
    { "const", "Giá trị không đúng giá trị quy định",
      "Value differs from the required value" },
    { "minLength", "Giá trị quá ngắn", "Value is too short" },
    { "maxLength", "Giá trị quá dài", "Value is too long" },
    { "minimum", "Giá trị nhỏ hơn mức tối thiểu",
      "Value is below the minimum" },
    { "exclusiveMinimum", "Giá trị phải lớn hơn mức tối thiểu",
      "Value must be greater than the minimum" },
    { "maximum", "Giá trị lớn hơn mức tối đa", "Value is above the maximum" },
    { "exclusiveMaximum", "Giá trị phải nhỏ hơn mức tối đa",
      "Value must be less than the maximum" },
    { "multipleOf", "Giá trị không phải là bội số cho phép",
      "Value is not a multiple of the allowed step" },
    { "minItems", "Danh sách có quá ít phần tử", "List has too few items" },
    { "maxItems", "Danh sách có quá nhiều phần tử",
      "List has too many items" },
    { "uniqueItems", "Danh sách có phần tử trùng nhau",
      "List has duplicate items" },
    { "contains", "Danh sách thiếu phần tử bắt buộc",
      "List lacks a required kind of item" },
    { "minContains", "Danh sách có quá ít phần tử loại bắt buộc",
      "List has too few items of the required kind" },
    { "maxContains", "Danh sách có quá nhiều phần tử loại này",
      "List has too many items of this kind" },
    { "items", "Phần tử không được phép có", "Item is not allowed" },
    { "prefixItems", "Phần tử không được phép có", "Item is not allowed" },
    { "unevaluatedItems", "Phần tử không được phép có",
      "Item is not allowed" },
    { "minProperties", "Thiếu trường thông tin", "Object has too few fields" },
    { "maxProperties", "Có quá nhiều trường thông tin",
      "Object has too many fields" },
    { "dependentRequired", "Thiếu trường bắt buộc đi kèm",
      "A field required together with another one is missing" },
    { "propertyNames", "Tên trường không hợp lệ", "Field name is not valid" },
    { "anyOf", "Giá trị không khớp phương án nào được phép",
      "Value matches none of the allowed alternatives" },
    { "oneOf", "Giá trị phải khớp đúng một phương án",
      "Value must match exactly one alternative" },
    { "not", "Giá trị thuộc dạng không được phép",
      "Value is of a forbidden form" },
    { "false", "Giá trị không được phép có", "Value is not allowed" },
    { "ref_loop", "Lược đồ tham chiếu vòng vô hạn",
      "Schema references loop without end" },
    { "json_syntax", "Dữ liệu không phải JSON hợp lệ", "Malformed JSON" },
    { "json_utf8", "Dữ liệu chứa ký tự UTF-8 không hợp lệ",
      "Invalid UTF-8 in the document" },
    { "json_incomplete", "Dữ liệu JSON bị cắt cụt",
      "The JSON document is truncated" },
    { "limit_depth", "Dữ liệu lồng nhau quá sâu", "Nesting is too deep" },
    { "limit_string", "Chuỗi ký tự quá dài", "A string is too long" },
    { "limit_properties", "Đối tượng có quá nhiều trường",
      "An object has too many members" },
    { "limit_items", "Danh sách có quá nhiều phần tử",
      "An array has too many items" },
    { "limit_size", "Dữ liệu quá lớn", "The document is too large" },
    { "nomem", "Không đủ bộ nhớ để kiểm tra", "Out of memory" },
    { "state", "Gọi sai trình tự", "Called out of order" },
};

/* Appends the current instance path, as a JSON Pointer, to b: made only
 * when an error is recorded, so a valid document never pays for it. */
static void
path_append(const dvc_validate_ctx_t *v, dvc_buf_t *b)
{
    size_t d, start, end;

    /* container d's member (or item) starts at its own path's end */
    for (d = 0; d < v->depth; d++) {
        start = v->frames[d].path_len;
        if (start >= v->path_len) {
            break;
        }
        end = v->path_len;
        if (d + 1 < v->depth && v->frames[d + 1].path_len <= v->path_len) {
            end = v->frames[d + 1].path_len;
        }
        dvc_buf_putc(b, '/');
        if (v->frames[d].type == DVC_TOK_OBJ) {
            dvc_buf_pointer_token(b, v->path + start + 1, end - start - 1);
        } else {
            dvc_buf_append(b, v->path + start + 1, end - start - 1);
        }
    }
}

/* format failures name what was expected */
static const dvc_msg_t format_messages[] = {
    { "date", "Ngày không hợp lệ (định dạng YYYY-MM-DD)",
      "Not a valid date (YYYY-MM-DD)" },
    { "date-time", "Thời điểm không hợp lệ (định dạng RFC 3339)",
      "Not a valid date-time (RFC 3339)" },
    { "time", "Giờ không hợp lệ (định dạng RFC 3339)",
      "Not a valid time (RFC 3339)" },
    { "duration", "Khoảng thời gian không hợp lệ (ISO 8601)",
      "Not a valid duration (ISO 8601)" },
    { "email", "Địa chỉ thư điện tử không hợp lệ",
      "Not a valid e-mail address" },
    { "hostname", "Tên miền không hợp lệ", "Not a valid host name" },
    { "ipv4", "Địa chỉ IPv4 không hợp lệ", "Not a valid IPv4 address" },
    { "ipv6", "Địa chỉ IPv6 không hợp lệ", "Not a valid IPv6 address" },
    { "uri", "Địa chỉ URI không hợp lệ", "Not a valid URI" },
    { "uri-reference", "Tham chiếu URI không hợp lệ",
      "Not a valid URI reference" },
    { "uuid", "Mã UUID không hợp lệ", "Not a valid UUID" },
    { "vn-citizen-id", "Số định danh cá nhân không hợp lệ (12 chữ số)",
      "Not a valid personal identification number (12 digits)" },
    { "vn-phone", "Số điện thoại không hợp lệ",
      "Not a valid Vietnamese phone number" },
    { "vn-tax-code", "Mã số thuế không hợp lệ",
      "Not a valid tax code" },
    { "vn-agency-code", "Mã cơ quan không hợp lệ",
      "Not a valid agency code" },
};

const dvc_msg_t *
dvc_schema_format_msg(const char *format)
{
    size_t i;

    for (i = 0; format != NULL
                && i < sizeof(format_messages) / sizeof(format_messages[0]);
         i++)
    {
        if (strcmp(format_messages[i].code, format) == 0) {
            return &format_messages[i];
        }
    }
    return NULL;
}

static const dvc_msg_t generic = {
    "invalid", "Giá trị không hợp lệ", "Value is not valid"
};

const dvc_msg_t *
dvc_schema_msg(const char *code)
{
    size_t i;

    for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
        if (strcmp(messages[i].code, code) == 0) {
            return &messages[i];
        }
    }
    return &generic;
}

void
dvc_validate_message(const char *code, const char **vi, const char **en)
{
    const dvc_msg_t *m = dvc_schema_msg(code);

    *vi = m->vi;
    *en = m->en;
}

static const char *const status_codes[] = {
    "valid", "invalid", "json_syntax", "json_utf8", "json_incomplete",
    "limit_depth", "limit_string", "limit_properties", "limit_items",
    "limit_size", "nomem", "state"
};

const char *
dvc_validate_status_code(int status)
{
    if (status < 0
        || (size_t) status >= sizeof(status_codes) / sizeof(status_codes[0]))
    {
        return "unknown";
    }
    return status_codes[status];
}

/* Records and path text a run may hold for errors that may yet be
 * discarded (deferred in then/else/anyOf branches): a hostile document must
 * not grow them without bound.  Errors for the answer itself are bounded by
 * max_errors. */
#define DEFERRED_TEXT_MAX  (1024 * 1024)

static size_t
pool_limit(const dvc_validate_ctx_t *v)
{
    return v->lim.max_errors * 16 + 256;
}

static dvc_erec_t *
rec_new(dvc_validate_ctx_t *v, uint32_t *id, int deferred)
{
    dvc_erec_t *p;
    size_t      cap;

    if (v->free_rec != 0) {
        *id = v->free_rec;
        p = &v->pool[*id - 1];
        v->free_rec = p->next;
        memset(p, 0, sizeof(*p));
        v->nlive++;
        return p;
    }
    if (deferred
        && (v->nlive >= pool_limit(v) || v->strs.len > DEFERRED_TEXT_MAX))
    {
        return NULL;
    }
    if (v->npool == v->cpool) {
        cap = v->cpool ? v->cpool * 2 : 32;
        p = dvc_realloc(v->alloc, v->pool, v->cpool * sizeof(dvc_erec_t),
                        cap * sizeof(dvc_erec_t));
        if (p == NULL) {
            return NULL;
        }
        v->pool = p;
        v->cpool = cap;
    }
    *id = (uint32_t) ++v->npool;
    p = &v->pool[*id - 1];
    memset(p, 0, sizeof(*p));
    v->nlive++;
    return p;
}

void
dvc_err_drop(dvc_validate_ctx_t *v, dvc_errlist_t *l)
{
    uint32_t id, next;

    for (id = l->head; id != 0; id = next) {
        next = v->pool[id - 1].next;
        v->pool[id - 1].next = v->free_rec;
        v->pool[id - 1].dead = 1;
        v->free_rec = id;
        v->nlive--;
    }
    memset(l, 0, sizeof(*l));
}

static void
list_push(dvc_validate_ctx_t *v, dvc_errlist_t *l, uint32_t id)
{
    v->pool[id - 1].next = 0;
    if (l->tail) {
        v->pool[l->tail - 1].next = id;
    } else {
        l->head = id;
    }
    l->tail = id;
    l->n++;
    if (l == &v->errors && l->n >= v->lim.max_errors) {
        v->capped = 1;
    }
}

/* The text of discarded records is dead weight: when it dominates, copy
 * the live records' text into a fresh buffer. */
static void
compact_text(dvc_validate_ctx_t *v)
{
    dvc_buf_t   nb;
    size_t      i, n;
    dvc_erec_t *r;

    dvc_buf_init(&nb, v->alloc);
    for (i = 0; i < v->npool; i++) {
        r = &v->pool[i];
        if (r->dead) {
            continue;
        }
        n = strlen(v->strs.data + r->path) + 1;
        dvc_buf_append(&nb, v->strs.data + r->path, n);
        r->path = nb.len - n;
        n = strlen(v->strs.data + r->kw) + 1;
        dvc_buf_append(&nb, v->strs.data + r->kw, n);
        r->kw = nb.len - n;
    }
    if (nb.failed) {
        dvc_buf_free(&nb);
        return;
    }
    dvc_buf_free(&v->strs);
    v->strs = nb;
    v->compact_at = v->strs.len * 2 > 64 * 1024 ? v->strs.len * 2 : 64 * 1024;
}

dvc_erec_t *
dvc_err_add(dvc_validate_ctx_t *v, dvc_vi_t *vi, const char *code,
    const char *kw, const char *tok, size_t toklen, const dvc_snode_t *msgs)
{
    dvc_erec_t      *r;
    uint32_t         id;

    if (vi->sink == NULL || v->capped) {
        return NULL;
    }
    if (v->strs.len > v->compact_at && v->strs.len > 64 * 1024) {
        compact_text(v);
    }
    r = rec_new(v, &id, vi->sink != &v->errors);
    if (r == NULL) {
        return NULL;
    }
    r->offset = dvc_run_offset(v);
    r->code = code;
    if (msgs == NULL || (msgs->msg_vi == NULL && msgs->msg_en == NULL)) {
        msgs = vi->s;
    }
    /* NULL: the code's generic message, looked up by dvc_err_finish
     * (most records are discarded before: anyOf branches, if/then) */
    r->vi = msgs->msg_vi;
    r->en = msgs->msg_en;
    r->path = v->strs.len;
    path_append(v, &v->strs);
    if (tok != NULL) {
        dvc_buf_putc(&v->strs, '/');
        dvc_buf_pointer_token(&v->strs, tok, toklen);
    }
    dvc_buf_putc(&v->strs, '\0');
    r->kw = v->strs.len;
    dvc_buf_puts(&v->strs, vi->s->loc);
    if (kw != NULL) {
        dvc_buf_putc(&v->strs, '/');
        dvc_buf_puts(&v->strs, kw);
    }
    dvc_buf_putc(&v->strs, '\0');
    r->tag = vi->index;
    list_push(v, vi->sink, id);
    return r;
}

void
dvc_err_move(dvc_validate_ctx_t *v, dvc_errlist_t *dst, dvc_errlist_t *src)
{
    uint32_t id, next;

    if (dst == NULL) {
        dvc_err_drop(v, src);
        return;
    }
    for (id = src->head; id != 0; id = next) {
        next = v->pool[id - 1].next;
        if (dst == &v->errors && v->capped) {
            v->pool[id - 1].next = v->free_rec;
            v->pool[id - 1].dead = 1;
            v->free_rec = id;
            v->nlive--;
        } else {
            list_push(v, dst, id);
        }
    }
    memset(src, 0, sizeof(*src));
}

void
dvc_err_move_tag(dvc_validate_ctx_t *v, dvc_errlist_t *dst,
    dvc_errlist_t *src, uint32_t tag)
{
    uint32_t      id, next;
    dvc_errlist_t keep;

    memset(&keep, 0, sizeof(keep));
    for (id = src->head; id != 0; id = next) {
        next = v->pool[id - 1].next;
        if (v->pool[id - 1].tag == tag) {
            if (dst != NULL && !(dst == &v->errors && v->capped)) {
                list_push(v, dst, id);
            } else {
                v->pool[id - 1].next = v->free_rec;
                v->pool[id - 1].dead = 1;
                v->free_rec = id;
                v->nlive--;
            }
        } else {
            list_push(v, &keep, id);
        }
    }
    *src = keep;
}

void
dvc_err_fatal(dvc_validate_ctx_t *v, int status)
{
    dvc_erec_t      *r;
    uint32_t         id;
    const dvc_msg_t *m;

    memset(&v->errors, 0, sizeof(v->errors));
    v->npool = 0;
    v->nlive = 0;
    v->free_rec = 0;
    v->capped = 0;
    r = rec_new(v, &id, 0);
    if (r == NULL) {
        return;
    }
    m = dvc_schema_msg(dvc_validate_status_code(status));
    r->code = m->code;
    r->vi = m->vi;
    r->en = m->en;
    r->offset = dvc_run_offset(v);
    r->path = v->strs.len;
    path_append(v, &v->strs);
    dvc_buf_putc(&v->strs, '\0');
    r->kw = v->strs.len;
    dvc_buf_putc(&v->strs, '\0');
    list_push(v, &v->errors, id);
}

int
dvc_err_finish(dvc_validate_ctx_t *v)
{
    size_t               n = 0, i, j;
    uint32_t             id;
    dvc_validation_error_t e;
    const dvc_msg_t     *m;

    if (v->errors.n == 0) {
        v->nout = 0;
        return 0;
    }
    if (v->strs.failed) {
        return -1;
    }
    dvc_free(v->alloc, v->out);
    v->out = dvc_malloc(v->alloc, v->errors.n * sizeof(*v->out));
    if (v->out == NULL) {
        v->nout = 0;
        return -1;
    }
    for (id = v->errors.head; id != 0; id = v->pool[id - 1].next) {
        dvc_erec_t *r = &v->pool[id - 1];

        v->out[n].path = v->strs.data + r->path;
        v->out[n].keyword = v->strs.data + r->kw;
        v->out[n].code = r->code;
        m = r->vi == NULL || r->en == NULL ? dvc_schema_msg(r->code) : NULL;
        v->out[n].message_vi = r->vi ? r->vi : m->vi;
        v->out[n].message_en = r->en ? r->en : m->en;
        v->out[n].offset = r->offset;
        n++;
    }
    /* document order: records come in stream order except deferred ones
     * (then/else, unevaluated*), so a stable insertion sort is cheap */
    for (i = 1; i < n; i++) {
        e = v->out[i];
        for (j = i; j > 0 && v->out[j - 1].offset > e.offset; j--) {
            v->out[j] = v->out[j - 1];
        }
        v->out[j] = e;
    }
    v->nout = n;
    return 0;
}

size_t
dvc_validate_error_count(const dvc_validate_ctx_t *v)
{
    return v->nout;
}

const dvc_validation_error_t *
dvc_validate_error(const dvc_validate_ctx_t *v, size_t i)
{
    return i < v->nout ? &v->out[i] : NULL;
}

void
dvc_errors_to_json(dvc_buf_t *b, const dvc_validate_ctx_t *v)
{
    size_t                        i;
    const dvc_validation_error_t *e;

    dvc_buf_putc(b, '[');
    for (i = 0; i < v->nout; i++) {
        e = &v->out[i];
        if (i) {
            dvc_buf_putc(b, ',');
        }
        dvc_buf_puts(b, "{\"path\":");
        dvc_buf_json_str(b, e->path, strlen(e->path));
        dvc_buf_puts(b, ",\"keyword\":");
        dvc_buf_json_str(b, e->keyword, strlen(e->keyword));
        dvc_buf_puts(b, ",\"code\":");
        dvc_buf_json_str(b, e->code, strlen(e->code));
        dvc_buf_puts(b, ",\"message\":{\"vi\":");
        dvc_buf_json_str(b, e->message_vi, strlen(e->message_vi));
        dvc_buf_puts(b, ",\"en\":");
        dvc_buf_json_str(b, e->message_en, strlen(e->message_en));
        dvc_buf_puts(b, "}}");
    }
    dvc_buf_putc(b, ']');
}
