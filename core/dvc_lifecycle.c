/*
 * The lifecycle's table and the event body's rules (dvc_lifecycle.h).
 *
 * Bodies are small (<= 64 KiB, signed by the back-end), so they are parsed
 * into a yajl tree and every value the event keeps is copied onto the
 * caller's allocator; the tree is freed before returning.
 */
#include <string.h>
#include <stdio.h>

#include <yajl/yajl_tree.h>

#include "dvc_lifecycle.h"
#include "dvc_status.h"
#include "dvc_time.h"
#include "dvc_utf8.h"

#define S(n)  (1u << (n))

static const dvc_transition_t  dvc_transitions[] = {
    { DVC_EV_ACCEPT, "accept", S(1), 2, 0, 0, 1 },
    { DVC_EV_REFUSE, "refuse", S(1), 3, DVC_EVF_REASON, 0, 1 },
    { DVC_EV_REQUEST_SUPPLEMENT, "request_supplement", S(1) | S(2) | S(4), 5,
      DVC_EVF_REASON | DVC_EVF_DOCUMENTS, 0, 1 },
    { DVC_EV_PROCESS, "process", S(2) | S(6), 4, 0, 0, 1 },
    { DVC_EV_REQUEST_PAYMENT, "request_payment", S(2) | S(4), 6,
      DVC_EVF_REASON, DVC_EVF_AMOUNT, 1 },
    { DVC_EV_DELAY, "delay", S(2) | S(4) | S(6), DVC_TO_UNCHANGED,
      DVC_EVF_REASON | DVC_EVF_NEW_DUE_AT, 0, 1 },
    { DVC_EV_STOP, "stop", S(2) | S(4) | S(5) | S(6), 8, DVC_EVF_REASON, 0, 1 },
    { DVC_EV_CONFIRM_WITHDRAWAL, "confirm_withdrawal", S(7), 8, 0,
      DVC_EVF_REASON, 1 },
    { DVC_EV_DECLINE_WITHDRAWAL, "decline_withdrawal", S(7), DVC_TO_PREVIOUS,
      DVC_EVF_REASON, 0, 1 },
    { DVC_EV_RESOLVE, "resolve", S(2) | S(4), 9, 0, DVC_EVF_NOTE, 1 },
    { DVC_EV_RETURN, "return", S(9), 10, 0, 0, 1 },
    { DVC_ACT_WITHDRAWAL, "withdrawal", S(1) | S(2) | S(4) | S(5) | S(6), 7,
      0, DVC_EVF_REASON, 0 },
    { DVC_ACT_SUPPLEMENT, "supplement", S(5), 1, 0, 0, 0 },
    { DVC_ACT_RATING, "rating", S(9) | S(10), DVC_TO_UNCHANGED,
      DVC_EVF_RATING, DVC_EVF_COMMENT, 0 },
};

/* liên thông: inside status 4, no status change (dvc_transfer.h decides the
 * rest: the agency, the share's fit, the open transfer) */
static const dvc_transition_t  dvc_transfer_rows[] = {
    { DVC_EV_TRANSFER, "transfer", S(4), DVC_TO_UNCHANGED,
      DVC_EVF_TO_AGENCY | DVC_EVF_REASON | DVC_EVF_SHARE, 0, 1 },
    { DVC_EV_TRANSFER_RETURN, "transfer_return", S(4), DVC_TO_UNCHANGED,
      0, DVC_EVF_NOTE, 1 },
};

#undef S

static const char *const  dvc_ratings[] = {
    "very_satisfied", "satisfied", "dissatisfied"
};

/* field bits and the names bodies use for them */
static const struct {
    unsigned     bit;
    const char  *name;
} dvc_event_fields[] = {
    { DVC_EVF_REASON, "reason" },
    { DVC_EVF_DOCUMENTS, "documents" },
    { DVC_EVF_NEW_DUE_AT, "new_due_at" },
    { DVC_EVF_AMOUNT, "amount" },
    { DVC_EVF_NOTE, "note" },
    { DVC_EVF_RATING, "rating" },
    { DVC_EVF_COMMENT, "comment" },
    { DVC_EVF_TO_AGENCY, "to_agency" },
    { DVC_EVF_SHARE, "share" },
};


const dvc_transition_t *
dvc_transition(dvc_event_type_t type)
{
    if (type >= DVC_XFER_FIRST && type <= DVC_XFER_LAST) {
        return &dvc_transfer_rows[type - DVC_XFER_FIRST];
    }

    if (type < DVC_EV_FIRST || type > DVC_ACT_LAST) {
        return NULL;
    }

    return &dvc_transitions[type - DVC_EV_FIRST];
}


const dvc_transition_t *
dvc_transition_by_name(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(dvc_transitions) / sizeof(dvc_transitions[0]); i++) {
        if (dvc_transitions[i].backend
            && strlen(dvc_transitions[i].name) == len
            && memcmp(dvc_transitions[i].name, name, len) == 0)
        {
            return &dvc_transitions[i];
        }
    }

    for (i = 0; i < sizeof(dvc_transfer_rows) / sizeof(dvc_transfer_rows[0]);
         i++)
    {
        if (strlen(dvc_transfer_rows[i].name) == len
            && memcmp(dvc_transfer_rows[i].name, name, len) == 0)
        {
            return &dvc_transfer_rows[i];
        }
    }

    return NULL;
}


int
dvc_transition_allowed(dvc_event_type_t type, int from)
{
    const dvc_transition_t  *t = dvc_transition(type);

    return t != NULL && from >= DVC_STATUS_MIN && from <= DVC_STATUS_MAX
           && (t->from & (1u << from)) != 0;
}


int
dvc_transition_target(dvc_event_type_t type, int from, int prev)
{
    const dvc_transition_t  *t;

    if (!dvc_transition_allowed(type, from)) {
        return 0;
    }

    t = dvc_transition(type);

    if (t->to == DVC_TO_UNCHANGED) {
        return from;
    }

    if (t->to == DVC_TO_PREVIOUS) {
        /* the status the citizen asked to withdraw from; withdrawal is legal
         * only from 1, 2, 4, 5, 6, so nothing else can come back */
        return prev >= DVC_STATUS_MIN && prev <= DVC_STATUS_MAX
               && dvc_transition_allowed(DVC_ACT_WITHDRAWAL, prev) ? prev : 0;
    }

    return t->to;
}


int
dvc_status_terminal(int status)
{
    return status == DVC_STATUS_REFUSED || status == DVC_STATUS_STOPPED
           || status == DVC_STATUS_RETURNED;
}


void
dvc_transitions_allowed_json(dvc_buf_t *b, int from, int prev)
{
    int     to, first = 1;
    size_t  i;

    dvc_buf_putc(b, '[');

    for (i = 0; i < sizeof(dvc_transitions) / sizeof(dvc_transitions[0]); i++) {
        if (!dvc_transitions[i].backend) {
            continue;
        }

        to = dvc_transition_target(dvc_transitions[i].type, from, prev);
        if (to == 0) {
            continue;
        }

        dvc_buf_printf(b, "%s{\"type\":\"%s\",\"to\":%d}", first ? "" : ",",
                       dvc_transitions[i].name, to);
        first = 0;
    }

    dvc_buf_putc(b, ']');
}


int
dvc_reason_is_human(const char *s, size_t len)
{
    size_t  i;
    int     code = 1;

    if (memchr(s, ' ', len) == NULL) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
              || c == '.' || c == ':' || c == '-'))
        {
            code = 0;
            break;
        }
    }

    return !code;
}


/* ---------------------------------------------------------------- errors */

static int
dvc_event_fail(dvc_event_error_t *err, int http, const char *code,
    const char *field, const char *vi, const char *en)
{
    err->http = http;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    snprintf(err->message_vi, sizeof(err->message_vi), "%s", vi);
    snprintf(err->message_en, sizeof(err->message_en), "%s", en);
    return -1;
}


static int
dvc_event_missing(dvc_event_error_t *err, const char *field)
{
    char  vi[128], en[128];

    snprintf(vi, sizeof(vi), "Thiếu trường bắt buộc \"%s\".", field);
    snprintf(en, sizeof(en), "The field \"%s\" is required.", field);
    return dvc_event_fail(err, 422, "missing_field", field, vi, en);
}


static int
dvc_event_invalid(dvc_event_error_t *err, const char *field, const char *vi,
    const char *en)
{
    char  fvi[256], fen[256];

    snprintf(fvi, sizeof(fvi), "Trường \"%s\" không hợp lệ: %s", field, vi);
    snprintf(fen, sizeof(fen), "The field \"%s\" is invalid: %s", field, en);
    return dvc_event_fail(err, 422, "invalid_field", field, fvi, fen);
}


void
dvc_event_error_json(dvc_buf_t *b, const dvc_event_error_t *err)
{
    dvc_buf_printf(b, "{\"error\":\"%s\"", err->code);

    if (err->field[0]) {
        dvc_buf_puts(b, ",\"field\":");
        dvc_buf_json_str(b, err->field, strlen(err->field));
    }

    dvc_buf_puts(b, ",\"message\":{\"vi\":");
    dvc_buf_json_str(b, err->message_vi, strlen(err->message_vi));
    dvc_buf_puts(b, ",\"en\":");
    dvc_buf_json_str(b, err->message_en, strlen(err->message_en));
    dvc_buf_puts(b, "}}");
}


/* ---------------------------------------------------------------- values */

/* A string of 1..max code points, copied.  yajl checked the UTF-8. */
static int
dvc_event_string(const dvc_alloc_t *a, yajl_val v, const char *field,
    size_t max, char **out, size_t *out_len, dvc_event_error_t *err)
{
    char    vi[96], en[96];
    size_t  len, n;

    if (!YAJL_IS_STRING(v)) {
        return dvc_event_invalid(err, field, "phải là một chuỗi ký tự.",
                                 "must be a string.");
    }

    len = strlen(v->u.string);
    n = dvc_utf8_count((const unsigned char *) v->u.string, len);

    if (n == 0 || n > max) {
        snprintf(vi, sizeof(vi), "phải có từ 1 đến %zu ký tự.", max);
        snprintf(en, sizeof(en), "must be 1 to %zu characters long.", max);
        return dvc_event_invalid(err, field, vi, en);
    }

    *out = dvc_strndup(a, v->u.string, len);
    if (*out == NULL) {
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hết bộ nhớ.", "Out of memory.");
    }

    *out_len = len;
    return 0;
}


static int
dvc_event_text_part(const dvc_alloc_t *a, yajl_val v, const char *field,
    char **out, size_t *out_len, dvc_event_error_t *err)
{
    if (dvc_event_string(a, v, field, DVC_REASON_MAX, out, out_len, err)
        != 0)
    {
        return -1;
    }

    if (!dvc_reason_is_human(*out, *out_len)) {
        return dvc_event_fail(err, 422, "reason_not_human", field,
            "Lý do phải là câu văn người dân đọc hiểu được, không phải một "
            "mã kỹ thuật.",
            "The reason must be a sentence a citizen can read, not a bare "
            "technical code.");
    }

    return 0;
}


/* A member of a two-member object: {"vi", "en"} of a text, {"name", "note"}
 * of a document. */
typedef struct {
    const char   *key;
    size_t        max;          /* 0: a text part (DVC_REASON_MAX, human) */
    char        **out;
    size_t       *out_len;
} dvc_event_member_t;


/*
 * The object v holding m[0] (required) and m[1] (optional), each once and
 * nothing else; field names the object in errors ("reason.en",
 * "documents[2].note").  vi, en: what to say of another member.
 */
static int
dvc_event_pair(const dvc_alloc_t *a, yajl_val v, const char *field,
    const dvc_event_member_t m[2], const char *vi, const char *en,
    dvc_event_error_t *err)
{
    int          rc;
    char         name[48];
    size_t       i, k;
    const char  *key;

    for (i = 0; i < v->u.object.len; i++) {
        key = v->u.object.keys[i];

        snprintf(name, sizeof(name), "%s.%s", field, key);

        for (k = 0; k < 2; k++) {
            if (strcmp(key, m[k].key) == 0 && *m[k].out == NULL) {
                break;
            }
        }

        if (k == 2) {
            return dvc_event_invalid(err, name, vi, en);
        }

        rc = m[k].max
             ? dvc_event_string(a, v->u.object.values[i], name, m[k].max,
                                m[k].out, m[k].out_len, err)
             : dvc_event_text_part(a, v->u.object.values[i], name, m[k].out,
                                   m[k].out_len, err);
        if (rc != 0) {
            return -1;
        }
    }

    if (*m[0].out == NULL) {
        snprintf(name, sizeof(name), "%s.%s", field, m[0].key);
        return dvc_event_missing(err, name);
    }

    return 0;
}


/* "..." or {"vi": "...", "en": "..."} */
static int
dvc_event_text(const dvc_alloc_t *a, yajl_val v, const char *field,
    dvc_text_t *t, dvc_event_error_t *err)
{
    dvc_event_member_t  m[2] = {
        { "vi", 0, &t->vi, &t->vi_len },
        { "en", 0, &t->en, &t->en_len }
    };

    memset(t, 0, sizeof(*t));

    if (YAJL_IS_STRING(v)) {
        return dvc_event_text_part(a, v, field, &t->vi, &t->vi_len, err);
    }

    if (!YAJL_IS_OBJECT(v)) {
        return dvc_event_invalid(err, field,
            "phải là một chuỗi hoặc {\"vi\": \"...\", \"en\": \"...\"}.",
            "must be a string or {\"vi\": \"...\", \"en\": \"...\"}.");
    }

    return dvc_event_pair(a, v, field, m,
        "chỉ nhận \"vi\" và \"en\", mỗi trường một lần.",
        "only \"vi\" and \"en\" are allowed, each once.", err);
}


static int
dvc_event_documents(const dvc_alloc_t *a, yajl_val v, dvc_event_t *ev,
    dvc_event_error_t *err)
{
    char                name[48];
    size_t              i, n;
    yajl_val            d;
    dvc_event_doc_t    *doc;
    dvc_event_member_t  m[2] = {
        { "name", DVC_DOC_NAME_MAX, NULL, NULL },
        { "note", DVC_DOC_NOTE_MAX, NULL, NULL }
    };

    if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0
        || v->u.array.len > DVC_DOCS_MAX)
    {
        return dvc_event_invalid(err, "documents",
            "phải là danh sách từ 1 đến 100 giấy tờ.",
            "must be an array of 1 to 100 documents.");
    }

    n = v->u.array.len;
    ev->documents = dvc_calloc(a, n, sizeof(dvc_event_doc_t));
    if (ev->documents == NULL) {
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hết bộ nhớ.", "Out of memory.");
    }

    /* counted at once (the rows are zeroed): a refusal half way frees
     * what was copied */
    ev->ndocuments = n;

    for (i = 0; i < n; i++) {
        d = v->u.array.values[i];
        doc = &ev->documents[i];

        if (YAJL_IS_STRING(d)) {
            snprintf(name, sizeof(name), "documents[%zu]", i);
            if (dvc_event_string(a, d, name, DVC_DOC_NAME_MAX, &doc->name,
                                 &doc->name_len, err) != 0)
            {
                return -1;
            }
            continue;
        }

        if (!YAJL_IS_OBJECT(d)) {
            snprintf(name, sizeof(name), "documents[%zu]", i);
            return dvc_event_invalid(err, name,
                "phải là tên giấy tờ hoặc {\"name\": \"...\", \"note\": "
                "\"...\"}.",
                "must be a name or {\"name\": \"...\", \"note\": \"...\"}.");
        }

        snprintf(name, sizeof(name), "documents[%zu]", i);
        m[0].out = &doc->name;
        m[0].out_len = &doc->name_len;
        m[1].out = &doc->note;
        m[1].out_len = &doc->note_len;

        if (dvc_event_pair(a, d, name, m,
                "chỉ nhận \"name\" và \"note\", mỗi trường một lần.",
                "only \"name\" and \"note\" are allowed, each once.", err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
dvc_event_time(yajl_val v, const char *field, int64_t *t,
    dvc_event_error_t *err)
{
    if (!YAJL_IS_STRING(v)
        || dvc_time_parse_vn(v->u.string, strlen(v->u.string), t) != 0)
    {
        return dvc_event_invalid(err, field,
            "phải là thời điểm dạng 2026-11-23T09:10:00+07:00.",
            "must be a time like 2026-11-23T09:10:00+07:00.");
    }

    return 0;
}


/* The root must be an object; an escaped NUL would cut yajl's C strings
 * short, so the raw text is refused when it holds one. */
static int
dvc_event_tree(const char *body, size_t len, char *copy, yajl_val *root,
    dvc_event_error_t *err)
{
    char    msg[128];
    size_t  i, bs;

    for (i = 0; i + 6 <= len; i++) {
        if (body[i] == '\\' && body[i + 1] == 'u' && body[i + 2] == '0'
            && body[i + 3] == '0' && body[i + 4] == '0' && body[i + 5] == '0')
        {
            /* an escape only if preceded by an even number of backslashes */
            for (bs = 0; bs < i && body[i - 1 - bs] == '\\'; bs++) { }

            if (bs % 2 == 0) {
                return dvc_event_fail(err, 400, "json_syntax", NULL,
                    "Nội dung không được chứa ký tự NUL (\\u0000).",
                    "The body must not contain a NUL character (\\u0000).");
            }
        }
    }

    if (memchr(body, '\0', len) != NULL) {
        return dvc_event_fail(err, 400, "json_syntax", NULL,
                              "Nội dung gửi lên không phải JSON hợp lệ.",
                              "The body is not valid JSON.");
    }

    memcpy(copy, body, len);
    copy[len] = '\0';

    msg[0] = '\0';
    *root = yajl_tree_parse(copy, msg, sizeof(msg));

    if (*root == NULL) {
        return dvc_event_fail(err, 400, "json_syntax", NULL,
                              "Nội dung gửi lên không phải JSON hợp lệ.",
                              "The body is not valid JSON.");
    }

    if (!YAJL_IS_OBJECT(*root)) {
        yajl_tree_free(*root);
        *root = NULL;
        return dvc_event_fail(err, 400, "json_syntax", NULL,
                              "Nội dung phải là một đối tượng JSON.",
                              "The body must be a JSON object.");
    }

    return 0;
}


/* A field of the type's body (bit), or 0 when the name is none of them. */
static unsigned
dvc_event_field_bit(const char *k)
{
    size_t  i;

    for (i = 0; i < sizeof(dvc_event_fields) / sizeof(dvc_event_fields[0]);
         i++)
    {
        if (strcmp(dvc_event_fields[i].name, k) == 0) {
            return dvc_event_fields[i].bit;
        }
    }

    return 0;
}


/* An agency code: 1..64 of [A-Za-z0-9._-] (the form of 000.00.10.H47; which
 * agencies exist is the transfer decision's question). */
static int
dvc_event_agency(yajl_val v, dvc_event_t *ev, dvc_event_error_t *err)
{
    size_t       i, len;
    const char  *s;

    s = YAJL_IS_STRING(v) ? v->u.string : NULL;
    len = s ? strlen(s) : 0;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        {
            break;
        }
    }

    if (s == NULL || len == 0 || len > DVC_AGENCY_MAX || i < len) {
        return dvc_event_invalid(err, "to_agency", "phải là mã định danh cơ "
                                 "quan (ví dụ 000.00.10.H47).",
                                 "must be an agency identifier (e.g. "
                                 "000.00.10.H47).");
    }

    memcpy(ev->to_agency, s, len);
    ev->to_agency[len] = '\0';
    ev->to_agency_len = len;
    return 0;
}


/* {"days": N} or {"hours": N}, one member, a positive number; whether it is
 * a whole or half day of the calendar is decided with the calendar. */
static int
dvc_event_share(yajl_val v, dvc_event_t *ev, dvc_event_error_t *err)
{
    size_t       len;
    yajl_val     n;
    const char  *k, *num;

    if (!YAJL_IS_OBJECT(v) || v->u.object.len != 1) {
        return dvc_event_invalid(err, "share", "phải là {\"days\": N} hoặc "
                                 "{\"hours\": N}.",
                                 "must be {\"days\": N} or {\"hours\": N}.");
    }

    k = v->u.object.keys[0];
    n = v->u.object.values[0];

    if (strcmp(k, "days") != 0 && strcmp(k, "hours") != 0) {
        return dvc_event_invalid(err, "share", "phải là {\"days\": N} hoặc "
                                 "{\"hours\": N}.",
                                 "must be {\"days\": N} or {\"hours\": N}.");
    }

    num = YAJL_IS_NUMBER(v->u.object.values[0]) ? YAJL_GET_NUMBER(n) : NULL;
    len = num ? strlen(num) : 0;

    if (num == NULL || len == 0 || len > DVC_SHARE_NUM_MAX
        || !(YAJL_IS_INTEGER(n) ? YAJL_GET_INTEGER(n) > 0
                                : YAJL_IS_DOUBLE(n) && YAJL_GET_DOUBLE(n) > 0))
    {
        return dvc_event_invalid(err, "share", "thời gian phải là một số "
                                 "dương.",
                                 "the time must be a positive number.");
    }

    memcpy(ev->share_num, num, len);
    ev->share_num[len] = '\0';
    ev->share_num_len = len;
    ev->share_in_days = (k[0] == 'd');
    return 0;
}


static int
dvc_event_field(const dvc_alloc_t *a, const char *k, yajl_val v,
    unsigned bit, int64_t now, dvc_event_t *ev, dvc_event_error_t *err)
{
    size_t  i;

    switch (bit) {

    case DVC_EVF_REASON:
        return dvc_event_text(a, v, "reason", &ev->reason, err);

    case DVC_EVF_DOCUMENTS:
        return dvc_event_documents(a, v, ev, err);

    case DVC_EVF_NEW_DUE_AT:
        if (dvc_event_time(v, k, &ev->new_due_at, err) != 0) {
            return -1;
        }

        if (ev->new_due_at <= now) {
            return dvc_event_invalid(err, k, "hẹn mới phải sau thời điểm "
                                     "hiện tại.",
                                     "the new appointment must be later "
                                     "than now.");
        }

        return 0;

    case DVC_EVF_AMOUNT:
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0
            || YAJL_GET_INTEGER(v) > DVC_AMOUNT_MAX)
        {
            return dvc_event_invalid(err, k, "phải là số tiền (đồng) nguyên "
                                     "dương.",
                                     "must be a positive whole amount in "
                                     "VND.");
        }

        ev->amount = YAJL_GET_INTEGER(v);
        return 0;

    case DVC_EVF_NOTE:
        return dvc_event_string(a, v, k, DVC_NOTE_MAX, &ev->note,
                                &ev->note_len, err);

    case DVC_EVF_TO_AGENCY:
        return dvc_event_agency(v, ev, err);

    case DVC_EVF_SHARE:
        return dvc_event_share(v, ev, err);

    case DVC_EVF_COMMENT:
        if (YAJL_IS_STRING(v) && v->u.string[0] == '\0') {
            return 0;   /* an empty comment is no comment */
        }

        return dvc_event_string(a, v, k, DVC_COMMENT_MAX, &ev->comment,
                                &ev->comment_len, err);

    case DVC_EVF_RATING:
        for (i = 0; YAJL_IS_STRING(v)
                    && i < sizeof(dvc_ratings) / sizeof(dvc_ratings[0]); i++)
        {
            if (strcmp(v->u.string, dvc_ratings[i]) == 0) {
                ev->rating = dvc_ratings[i];
                return 0;
            }
        }

        return dvc_event_invalid(err, k, "phải là \"very_satisfied\", "
                                 "\"satisfied\" hoặc \"dissatisfied\".",
                                 "must be \"very_satisfied\", \"satisfied\" "
                                 "or \"dissatisfied\".");
    }

    return dvc_event_invalid(err, k, "trường không được hỗ trợ.",
                             "unknown field.");
}


/* Fields of the type (after id/type/at/actor), required ones present. */
static int
dvc_event_fields_of(const dvc_alloc_t *a, yajl_val root, int backend,
    int64_t now, dvc_event_t *ev, dvc_event_error_t *err)
{
    char        vi[160], en[160];
    size_t      i;
    unsigned    bit;
    const char *k;

    for (i = 0; i < root->u.object.len; i++) {
        k = root->u.object.keys[i];

        if (backend && (strcmp(k, "id") == 0 || strcmp(k, "type") == 0
                        || strcmp(k, "at") == 0 || strcmp(k, "actor") == 0))
        {
            continue;
        }

        bit = dvc_event_field_bit(k);

        if (bit == 0 || !((ev->tr->required | ev->tr->optional) & bit)) {
            snprintf(vi, sizeof(vi), "sự kiện \"%s\" không nhận trường này.",
                     ev->tr->name);
            snprintf(en, sizeof(en), "a \"%s\" event does not take this "
                     "field.", ev->tr->name);
            return dvc_event_invalid(err, k, vi, en);
        }

        if (ev->has & bit) {
            return dvc_event_invalid(err, k, "trường bị lặp lại.",
                                     "the field is repeated.");
        }

        if (dvc_event_field(a, k, root->u.object.values[i], bit, now, ev, err)
            != 0)
        {
            return -1;
        }

        ev->has |= bit;
    }

    for (i = 0; i < sizeof(dvc_event_fields) / sizeof(dvc_event_fields[0]);
         i++)
    {
        if ((ev->tr->required & dvc_event_fields[i].bit)
            && !(ev->has & dvc_event_fields[i].bit))
        {
            return dvc_event_missing(err, dvc_event_fields[i].name);
        }
    }

    return 0;
}


static int
dvc_event_header(const dvc_alloc_t *a, yajl_val root, int64_t now,
    dvc_event_t *ev, dvc_event_error_t *err)
{
    size_t       i, len;
    yajl_val     id, type, at, actor;
    const char  *s;

    id = type = at = actor = NULL;

    for (i = 0; i < root->u.object.len; i++) {
        const char *k = root->u.object.keys[i];
        yajl_val   *slot = strcmp(k, "id") == 0 ? &id
                         : strcmp(k, "type") == 0 ? &type
                         : strcmp(k, "at") == 0 ? &at
                         : strcmp(k, "actor") == 0 ? &actor : NULL;

        if (slot == NULL) {
            continue;
        }

        if (*slot != NULL) {
            return dvc_event_invalid(err, k, "trường bị lặp lại.",
                                     "the field is repeated.");
        }

        *slot = root->u.object.values[i];
    }

    if (id == NULL) {
        return dvc_event_missing(err, "id");
    }

    s = YAJL_IS_STRING(id) ? id->u.string : NULL;
    len = s ? strlen(s) : 0;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':'
              || c == '-'))
        {
            break;
        }
    }

    if (s == NULL || len == 0 || len > DVC_EVENT_ID_MAX || i < len) {
        return dvc_event_invalid(err, "id", "phải có từ 1 đến 64 ký tự "
                                 "[A-Za-z0-9._:-].",
                                 "must be 1 to 64 characters of "
                                 "[A-Za-z0-9._:-].");
    }

    memcpy(ev->id, s, len);
    ev->id[len] = '\0';
    ev->id_len = len;

    if (type == NULL) {
        return dvc_event_missing(err, "type");
    }

    ev->tr = YAJL_IS_STRING(type)
             ? dvc_transition_by_name(type->u.string, strlen(type->u.string))
             : NULL;

    if (ev->tr == NULL) {
        return dvc_event_invalid(err, "type",
            "không phải loại sự kiện đã biết (accept, refuse, "
            "request_supplement, process, request_payment, delay, stop, "
            "confirm_withdrawal, decline_withdrawal, resolve, return).",
            "not a known event type (accept, refuse, request_supplement, "
            "process, request_payment, delay, stop, confirm_withdrawal, "
            "decline_withdrawal, resolve, return).");
    }

    ev->at = now;

    if (at != NULL) {
        if (dvc_event_time(at, "at", &ev->at, err) != 0) {
            return -1;
        }

        if (ev->at > now + DVC_EVENT_FUTURE_MAX) {
            return dvc_event_invalid(err, "at", "thời điểm nằm ở tương lai.",
                                     "the time lies in the future.");
        }
    }

    if (actor != NULL) {
        return dvc_event_string(a, actor, "actor", DVC_ACTOR_MAX, &ev->actor,
                                &ev->actor_len, err);
    }

    ev->actor = dvc_strndup(a, "back-end", sizeof("back-end") - 1);
    ev->actor_len = sizeof("back-end") - 1;

    if (ev->actor == NULL) {
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hết bộ nhớ.", "Out of memory.");
    }

    return 0;
}


int
dvc_event_parse(const dvc_alloc_t *a, const char *body, size_t len,
    int64_t now, dvc_event_t *ev, dvc_event_error_t *err)
{
    int       rc;
    char     *copy;
    yajl_val  root;

    memset(ev, 0, sizeof(*ev));
    memset(err, 0, sizeof(*err));

    copy = dvc_malloc(a, len + 1);
    if (copy == NULL) {
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hết bộ nhớ.", "Out of memory.");
    }

    rc = dvc_event_tree(body, len, copy, &root, err);
    dvc_free(a, copy);

    if (rc != 0) {
        return -1;
    }

    rc = dvc_event_header(a, root, now, ev, err);

    if (rc == 0) {
        rc = dvc_event_fields_of(a, root, 1, now, ev, err);
    }

    yajl_tree_free(root);

    if (rc != 0) {
        dvc_event_free(a, ev);
    }

    return rc;
}


int
dvc_action_parse(const dvc_alloc_t *a, dvc_event_type_t type,
    const char *body, size_t len, int64_t now, dvc_event_t *ev,
    dvc_event_error_t *err)
{
    int       rc;
    char     *copy;
    yajl_val  root;

    memset(ev, 0, sizeof(*ev));
    memset(err, 0, sizeof(*err));

    ev->tr = dvc_transition(type);
    if (ev->tr == NULL || ev->tr->backend) {
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hành động không hợp lệ.", "Not an action.");
    }

    ev->at = now;
    ev->actor = dvc_strndup(a, "citizen", sizeof("citizen") - 1);
    ev->actor_len = sizeof("citizen") - 1;

    if (ev->actor == NULL) {
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hết bộ nhớ.", "Out of memory.");
    }

    if (body == NULL || type == DVC_ACT_SUPPLEMENT) {
        return 0;
    }

    /* an empty withdrawal body stands for {} */
    for (; len > 0 && (*body == ' ' || *body == '\n' || *body == '\r'
                       || *body == '\t'); body++, len--) { }

    if (len == 0) {
        if (ev->tr->required) {
            dvc_event_free(a, ev);
            return dvc_event_fail(err, 400, "json_syntax", NULL,
                                  "Nội dung gửi lên không phải JSON hợp lệ.",
                                  "The body is not valid JSON.");
        }

        return 0;
    }

    copy = dvc_malloc(a, len + 1);
    if (copy == NULL) {
        dvc_event_free(a, ev);
        return dvc_event_fail(err, 500, "internal_error", NULL,
                              "Hết bộ nhớ.", "Out of memory.");
    }

    rc = dvc_event_tree(body, len, copy, &root, err);
    dvc_free(a, copy);

    if (rc != 0) {
        dvc_event_free(a, ev);
        return -1;
    }

    rc = dvc_event_fields_of(a, root, 0, now, ev, err);

    yajl_tree_free(root);

    if (rc != 0) {
        dvc_event_free(a, ev);
    }

    return rc;
}


void
dvc_event_free(const dvc_alloc_t *a, dvc_event_t *ev)
{
    size_t  i;

    for (i = 0; ev->documents && i < ev->ndocuments; i++) {
        dvc_free(a, ev->documents[i].name);
        dvc_free(a, ev->documents[i].note);
    }

    dvc_free(a, ev->documents);
    dvc_free(a, ev->actor);
    dvc_free(a, ev->reason.vi);
    dvc_free(a, ev->reason.en);
    dvc_free(a, ev->note);
    dvc_free(a, ev->comment);
    memset(ev, 0, sizeof(*ev));
}


int
dvc_event_check(const dvc_event_t *ev, const dvc_dossier_state_t *d,
    int64_t now, int *to, dvc_event_error_t *err)
{
    int                       target;
    int64_t                   appointment;
    const dvc_status_info_t  *st;
    char                      vi[256], en[256];

    memset(err, 0, sizeof(*err));

    target = dvc_transition_target(ev->tr->type, d->status, d->prev_status);

    if (target == 0) {
        st = dvc_status_info(d->status);
        snprintf(vi, sizeof(vi), "Không thể thực hiện \"%s\" khi hồ sơ ở "
                 "trạng thái %d (%s).", ev->tr->name, d->status,
                 st ? st->name_vi : "?");
        snprintf(en, sizeof(en), "\"%s\" is not allowed while the dossier "
                 "is in status %d (%s).", ev->tr->name, d->status,
                 st ? st->name_en : "?");
        return dvc_event_fail(err, 409, "illegal_transition", NULL, vi, en);
    }

    if (ev->tr->backend && d->last_ts && ev->at < d->last_ts) {
        return dvc_event_invalid(err, "at", "sớm hơn lần thay đổi gần nhất "
                                 "của hồ sơ.",
                                 "earlier than the dossier's last change.");
    }

    if (ev->tr->type == DVC_EV_DELAY) {
        appointment = d->appointment_ts ? d->appointment_ts : d->due_ts;

        if (ev->new_due_at <= now || ev->new_due_at <= appointment) {
            return dvc_event_invalid(err, "new_due_at",
                                     "hẹn mới phải sau lịch hẹn hiện tại và "
                                     "sau thời điểm hiện tại.",
                                     "the new appointment must be later than "
                                     "the current one and than now.");
        }
    }

    *to = target;
    return 0;
}


/* ---------------------------------------------------------------- history */

void
dvc_text_json(dvc_buf_t *b, const dvc_text_t *t)
{
    dvc_buf_puts(b, "{\"vi\":");
    dvc_buf_json_str(b, t->vi, t->vi_len);

    if (t->en) {
        dvc_buf_puts(b, ",\"en\":");
        dvc_buf_json_str(b, t->en, t->en_len);
    }

    dvc_buf_putc(b, '}');
}


void
dvc_history_entry_json(dvc_buf_t *b, const dvc_event_t *ev, int status)
{
    char                      at[DVC_TIME_VN_LEN + 1];
    size_t                    i;
    const dvc_status_info_t  *st;

    st = dvc_status_info(status);
    dvc_time_format_vn(ev->at, at);

    dvc_buf_printf(b, "{\"at\":\"%s\",\"status\":\"%s\",\"status_number\":%d,"
                   "\"actor\":", at, st ? st->slug : "", status);
    dvc_buf_json_str(b, ev->actor, ev->actor_len);

    if (ev->tr->backend) {
        dvc_buf_puts(b, ",\"event\":");
        dvc_buf_json_str(b, ev->id, ev->id_len);
    }

    dvc_buf_printf(b, ",\"type\":\"%s\"", ev->tr->name);

    if (ev->has & DVC_EVF_REASON) {
        dvc_buf_puts(b, ",\"reason\":");
        dvc_text_json(b, &ev->reason);
    }

    if (ev->has & DVC_EVF_DOCUMENTS) {
        dvc_buf_puts(b, ",\"documents\":[");

        for (i = 0; i < ev->ndocuments; i++) {
            dvc_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
            dvc_buf_json_str(b, ev->documents[i].name,
                             ev->documents[i].name_len);

            if (ev->documents[i].note) {
                dvc_buf_puts(b, ",\"note\":");
                dvc_buf_json_str(b, ev->documents[i].note,
                                 ev->documents[i].note_len);
            }

            dvc_buf_putc(b, '}');
        }

        dvc_buf_putc(b, ']');
    }

    if (ev->has & DVC_EVF_NEW_DUE_AT) {
        dvc_time_format_vn(ev->new_due_at, at);
        dvc_buf_printf(b, ",\"new_due_at\":\"%s\"", at);
    }

    if (ev->has & DVC_EVF_AMOUNT) {
        dvc_buf_printf(b, ",\"amount\":%lld", (long long) ev->amount);
    }

    if (ev->has & DVC_EVF_NOTE) {
        dvc_buf_puts(b, ",\"note\":");
        dvc_buf_json_str(b, ev->note, ev->note_len);
    }

    if (ev->has & DVC_EVF_TO_AGENCY) {
        dvc_buf_puts(b, ",\"to_agency\":");
        dvc_buf_json_str(b, ev->to_agency, ev->to_agency_len);
    }

    if (ev->has & DVC_EVF_SHARE) {
        dvc_buf_printf(b, ",\"share\":{\"%s\":%s}",
                       ev->share_in_days ? "days" : "hours", ev->share_num);
    }

    dvc_buf_putc(b, '}');
}
