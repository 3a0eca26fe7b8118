/*
 * One procedure schema: strict JSON check, x-dvc metadata, listing summary and
 * the dossier's documents against the procedure's list.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "dvc_code.h"
#include "dvc_procedure.h"
#include "dvc_upload.h"
#include "dvc_utf8.h"

#define NAME_MAX_BYTES     1000
#define DAYS_MAX           365
#define HOURS_MAX          (DAYS_MAX * 8)
#define SHOW_MAX           60     /* bytes of a bad value quoted in a message */

static const char *const xdvc_fields[] = {
    "code", "name", "agency", "level", "sector", "processing", "cutoff",
    "accept", "fee", "documents", NULL
};
static const char *const doc_fields[] = {
    "kind", "name", "required", "types", "max_size", NULL
};


static void
fail(char *err, size_t errlen, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail(char *err, size_t errlen, const char *file, const char *fmt, ...)
{
    va_list  ap;
    int      n;

    if (errlen == 0) {
        return;
    }
    n = snprintf(err, errlen, "%s: ", file ? file : "(schema)");
    if (n < 0 || (size_t) n >= errlen) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - n, fmt, ap);
    va_end(ap);
}

/* How many bytes of s to quote in a message: at most SHOW_MAX, never cutting
 * a UTF-8 sequence. */
static int
show_len(const char *s)
{
    size_t  len = strlen(s), i = 0, n;

    while (i < len && i < SHOW_MAX) {
        n = dvc_utf8_valid_prefix((const unsigned char *) s + i, len - i);
        if (n == 0 || i + n > SHOW_MAX) {
            break;
        }
        i += n;
    }
    return (int) i;
}

static const char *
ellipsis(const char *s)
{
    return (int) strlen(s) > show_len(s) ? "..." : "";
}

/* A short description of a JSON value's type for messages. */
static const char *
type_name(yajl_val v)
{
    if (v == NULL) {
        return "missing";
    }
    switch (v->type) {
    case yajl_t_string: return "a string";
    case yajl_t_number: return "a number";
    case yajl_t_object: return "an object";
    case yajl_t_array:  return "an array";
    case yajl_t_true:
    case yajl_t_false:  return "a boolean";
    default:            return "null";
    }
}

static yajl_val
member(yajl_val obj, const char *key)
{
    size_t i;

    for (i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0) {
            return obj->u.object.values[i];
        }
    }
    return NULL;
}

/* Rejects duplicate keys and keys outside allowed (typos must not pass
 * silently: "proccessing" would otherwise leave a procedure without a
 * deadline).  where is the object's name in messages. */
static int
check_keys(yajl_val obj, const char *const *allowed, const char *where,
    const char *file, char *err, size_t errlen)
{
    size_t       i, j;
    const char  *k;

    for (i = 0; i < obj->u.object.len; i++) {
        k = obj->u.object.keys[i];
        for (j = 0; allowed[j]; j++) {
            if (strcmp(allowed[j], k) == 0) {
                break;
            }
        }
        if (allowed[j] == NULL) {
            fail(err, errlen, file, "%s.%.*s%s is not an x-dvc field",
                 where, show_len(k), k, ellipsis(k));
            return -1;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(obj->u.object.keys[j], k) == 0) {
                fail(err, errlen, file, "%s.%s appears twice", where, k);
                return -1;
            }
        }
    }
    return 0;
}

int
dvc_procedure_code_valid(const char *s, size_t len)
{
    size_t i;

    if (len != 8 || s[0] < '0' || s[0] > '9' || s[1] != '.') {
        return 0;
    }
    for (i = 2; i < 8; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int
kind_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > DVC_PROCEDURE_KIND_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '_'))
        {
            return 0;
        }
    }
    return 1;
}

/*
 * What dvc_procedure_parse reads of a schema besides x-dvc's contents: the
 * spans of the root's first "$schema", "$id", "x-dvc" and of its first
 * "properties" object's first "procedure", found during the syntax pass,
 * so that only they are parsed into a tree (the whole schema's tree cost
 * more than all the rest of loading it).
 */
enum { SPAN_SCHEMA, SPAN_ID, SPAN_XDVC, SPAN_PROCEDURE, NSPANS };

static const char *const span_keys[NSPANS] = {
    "$schema", "$id", "x-dvc", "procedure"
};

typedef struct {
    yajl_handle  h;
    const char  *json;
    size_t       len;
    int          depth;      /* of the value being read; the root is 1 */
    int          odd;        /* the root is not an object: no spans */
    int          want;       /* the span whose value is next, or -1 */
    int          props;      /* 0, 1: the first "properties" is next,
                                2: in it, 3: done */
    int          seen[NSPANS];
    size_t       start[NSPANS], end[NSPANS];
} spans_t;

static void
span_end(spans_t *sp)
{
    if (sp->want >= 0
        && sp->depth == (sp->want == SPAN_PROCEDURE ? 2 : 1))
    {
        sp->end[sp->want] = yajl_get_bytes_consumed(sp->h);
        sp->seen[sp->want] = 1;
        sp->want = -1;
    }
    if (sp->props == 1 && sp->depth == 1) {
        sp->props = 3;          /* "properties" is not an object */
    }
}

static int
span_scalar(void *ctx)
{
    spans_t *sp = ctx;

    if (sp->depth == 0) {
        sp->odd = 1;
    }
    span_end(sp);
    return 1;
}

static int
span_bool(void *ctx, int b)
{
    (void) b;
    return span_scalar(ctx);
}

static int
span_text(void *ctx, const char *s, size_t len)
{
    (void) s;
    (void) len;
    return span_scalar(ctx);
}

static int
span_string(void *ctx, const unsigned char *s, size_t len)
{
    return span_text(ctx, (const char *) s, len);
}

static int
span_open(void *ctx, int map)
{
    spans_t *sp = ctx;

    if (sp->depth == 0 && !map) {
        sp->odd = 1;
    }
    sp->depth++;
    if (sp->props == 1 && sp->depth == 2) {
        sp->props = map ? 2 : 3;
    }
    return 1;
}

static int
span_start_map(void *ctx)
{
    return span_open(ctx, 1);
}

static int
span_start_array(void *ctx)
{
    return span_open(ctx, 0);
}

static int
span_close(void *ctx)
{
    spans_t *sp = ctx;

    if (sp->props == 2 && sp->depth == 2) {
        sp->props = 3;
    }
    sp->depth--;
    span_end(sp);
    return 1;
}

static int
span_key(void *ctx, const unsigned char *k, size_t len)
{
    spans_t *sp = ctx;
    size_t   off;
    int      i, first, last;

    if (sp->depth == 1) {
        first = SPAN_SCHEMA;
        last = SPAN_XDVC;
        if (sp->props == 0 && len == 10 && memcmp(k, "properties", 10) == 0) {
            sp->props = 1;
        }
    } else if (sp->depth == 2 && sp->props == 2) {
        first = last = SPAN_PROCEDURE;
    } else {
        return 1;
    }
    for (i = first; i <= last; i++) {
        if (!sp->seen[i] && strlen(span_keys[i]) == len
            && memcmp(span_keys[i], k, len) == 0)
        {
            /* the value starts past the colon */
            off = yajl_get_bytes_consumed(sp->h);
            while (off < sp->len && sp->json[off] != ':') {
                off++;
            }
            for (off++; off < sp->len
                 && strchr(" \t\r\n", sp->json[off]) != NULL; off++)
            {
            }
            sp->want = i;
            sp->start[i] = off;
        }
    }
    return 1;
}

static const yajl_callbacks span_callbacks = {
    span_scalar, span_bool, NULL, NULL, span_text, span_string,
    span_start_map, span_key, span_close, span_start_array, span_close
};

/* Strict syntax pass: no comments, one value, valid UTF-8 in strings; on
 * error the message gives line, column and byte offset.  sp: the spans
 * found on the way, or NULL. */
static int
check_syntax(const char *json, size_t len, const char *file, char *err,
    size_t errlen, spans_t *sp)
{
    yajl_handle     h;
    yajl_status     st;
    size_t          off, i, line = 1, col = 1;
    unsigned char  *msg;
    char           *nl;

    h = sp != NULL ? yajl_alloc(&span_callbacks, NULL, sp)
                   : yajl_alloc(NULL, NULL, NULL);
    if (sp != NULL) {
        sp->h = h;
    }
    if (h == NULL) {
        fail(err, errlen, file, "out of memory");
        return -1;
    }
    st = yajl_parse(h, (const unsigned char *) json, len);
    off = yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        off = len;
    }
    if (st == yajl_status_ok) {
        yajl_free(h);
        return 0;
    }
    for (i = 0; i < off && i < len; i++) {
        if (json[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char) json[i] & 0xc0) != 0x80) {
            col++;   /* columns count characters, not UTF-8 bytes */
        }
    }
    msg = yajl_get_error(h, 0, NULL, 0);
    if (msg) {
        nl = strchr((char *) msg, '\n');
        if (nl) {
            *nl = '\0';
        }
    }
    fail(err, errlen, file, "invalid JSON at line %zu, column %zu (byte %zu): %s",
         line, col, off,
         msg ? (strncmp((char *) msg, "parse error: ", 13) == 0
                ? (char *) msg + 13 : (char *) msg)
             : "syntax error");
    if (msg) {
        yajl_free_error(h, msg);
    }
    yajl_free(h);
    return -1;
}

static int
check_json(const char *json, size_t len, const char *file_name,
    char *err, size_t errlen, spans_t *sp)
{
    if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0) {
        /* what some Windows editors write: JSON (RFC 8259 8.1) forbids it */
        fail(err, errlen, file_name, "starts with a byte order mark; save it "
             "as UTF-8 without BOM");
        return -1;
    }
    if (memchr(json, '\0', len) != NULL) {
        fail(err, errlen, file_name, "contains a NUL byte");
        return -1;
    }
    return check_syntax(json, len, file_name, err, errlen, sp);
}

int
dvc_procedure_check_json(const char *json, size_t len, const char *file_name,
    char *err, size_t errlen)
{
    return check_json(json, len, file_name, err, errlen, NULL);
}

/* The schema's tree as far as dvc_procedure_parse reads it: an object of
 * the spans found (the whole schema when its root is not an object). */
static yajl_val
spans_tree(const dvc_alloc_t *a, const char *json, const spans_t *sp,
    char *ebuf, size_t elen)
{
    dvc_buf_t  b;
    yajl_val   root;
    int        i, n = 0;

    if (sp->odd) {
        return yajl_tree_parse(json, ebuf, elen);
    }
    dvc_buf_init(&b, a);
    dvc_buf_putc(&b, '{');
    for (i = SPAN_SCHEMA; i <= SPAN_PROCEDURE; i++) {
        if (!sp->seen[i]) {
            continue;
        }
        if (n++) {
            dvc_buf_putc(&b, ',');
        }
        dvc_buf_puts(&b, i == SPAN_PROCEDURE ? "\"properties\":{" : "");
        dvc_buf_json_str(&b, span_keys[i], strlen(span_keys[i]));
        dvc_buf_putc(&b, ':');
        dvc_buf_append(&b, json + sp->start[i], sp->end[i] - sp->start[i]);
        dvc_buf_puts(&b, i == SPAN_PROCEDURE ? "}" : "");
    }
    dvc_buf_putc(&b, '}');
    if (dvc_buf_cstr(&b) == NULL) {
        dvc_buf_free(&b);
        snprintf(ebuf, elen, "out of memory");
        return NULL;
    }
    root = yajl_tree_parse(b.data, ebuf, elen);
    dvc_buf_free(&b);
    return root;
}

static char *
dup_str(const dvc_alloc_t *a, const char *s, size_t *len_out)
{
    size_t len = strlen(s);

    if (len_out) {
        *len_out = len;
    }
    return dvc_strndup(a, s, len);
}

static int
parse_level(dvc_procedure_t *p, yajl_val v, const char *file, char *err,
    size_t errlen)
{
    if (YAJL_IS_INTEGER(v)
        && (v->u.number.i == DVC_LEVEL_PARTIAL || v->u.number.i == DVC_LEVEL_FULL))
    {
        p->level = (int) v->u.number.i;
        return 0;
    }
    if (YAJL_IS_STRING(v) && strcmp(v->u.string, "toan_trinh") == 0) {
        p->level = DVC_LEVEL_FULL;
        return 0;
    }
    if (YAJL_IS_STRING(v) && strcmp(v->u.string, "mot_phan") == 0) {
        p->level = DVC_LEVEL_PARTIAL;
        return 0;
    }
    if (YAJL_IS_NUMBER(v)) {
        fail(err, errlen, file, "x-dvc.level %s is not 3 (\"mot_phan\", một phần) "
             "or 4 (\"toan_trinh\", toàn trình): the gateway takes online "
             "dossiers only", v->u.number.r);
    } else if (YAJL_IS_STRING(v)) {
        fail(err, errlen, file, "x-dvc.level \"%.*s%s\" is not 3 (\"mot_phan\", "
             "một phần) or 4 (\"toan_trinh\", toàn trình)",
             show_len(v->u.string), v->u.string, ellipsis(v->u.string));
    } else {
        fail(err, errlen, file, "x-dvc.level is %s, expected 3, 4, \"mot_phan\" "
             "or \"toan_trinh\"", type_name(v));
    }
    return -1;
}

static int
parse_processing(dvc_procedure_t *p, yajl_val v, const char *file, char *err,
    size_t errlen)
{
    const char  *unit;
    yajl_val     n;
    double       d, twice, max;

    if (!YAJL_IS_OBJECT(v) || v->u.object.len != 1
        || (strcmp(v->u.object.keys[0], "days") != 0
            && strcmp(v->u.object.keys[0], "hours") != 0))
    {
        fail(err, errlen, file, "x-dvc.processing must be {\"days\": N} or "
             "{\"hours\": N}");
        return -1;
    }
    unit = v->u.object.keys[0];
    n = v->u.object.values[0];
    if (!YAJL_IS_DOUBLE(n)) {
        fail(err, errlen, file, "x-dvc.processing.%s is %s, expected a number",
             unit, type_name(n));
        return -1;
    }
    d = n->u.number.d;
    twice = d * 2;
    max = unit[0] == 'd' ? DAYS_MAX : HOURS_MAX;
    if (!(d > 0) || d > max || twice != (double) (long) twice) {
        fail(err, errlen, file, "x-dvc.processing.%s %s must be more than 0, "
             "at most %d, in steps of 0.5", unit, n->u.number.r, (int) max);
        return -1;
    }
    p->processing_unit = unit[0] == 'd' ? DVC_PROCESSING_DAYS
                                        : DVC_PROCESSING_HOURS;
    p->processing_halves = (unsigned) twice;
    return 0;
}

static int
parse_cutoff(dvc_procedure_t *p, yajl_val v, const char *file, char *err,
    size_t errlen)
{
    const char *s;
    int         hh, mm;

    if (v == NULL) {
        p->cutoff = -1;
        return 0;
    }
    s = YAJL_GET_STRING(v);
    if (s == NULL || strlen(s) != 5 || s[2] != ':'
        || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9'
        || s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
    {
        if (s) {
            fail(err, errlen, file, "x-dvc.cutoff \"%.*s%s\" is not a time of "
                 "day HH:MM (e.g. 15:00)", show_len(s), s, ellipsis(s));
        } else {
            fail(err, errlen, file, "x-dvc.cutoff is %s, expected a time of day "
                 "\"HH:MM\"", type_name(v));
        }
        return -1;
    }
    hh = (s[0] - '0') * 10 + (s[1] - '0');
    mm = (s[3] - '0') * 10 + (s[4] - '0');
    if (hh > 23 || mm > 59) {
        fail(err, errlen, file, "x-dvc.cutoff \"%s\" is not a time of day "
             "(00:00 to 23:59)", s);
        return -1;
    }
    p->cutoff = hh * 60 + mm;
    return 0;
}

/* "types": a non-empty array of "application/pdf", "image/jpeg",
 * "image/png", each once */
static int
parse_doc_types(yajl_val v, unsigned *out, const char *where,
    const char *file, char *err, size_t errlen)
{
    size_t       i;
    yajl_val     t;
    dvc_media_t  m;

    if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0) {
        fail(err, errlen, file, "%s.types must be a non-empty array of "
             "\"application/pdf\", \"image/jpeg\", \"image/png\"", where);
        return -1;
    }
    *out = 0;
    for (i = 0; i < v->u.array.len; i++) {
        t = v->u.array.values[i];
        m = YAJL_IS_STRING(t) ? dvc_media_parse(t->u.string,
                                                strlen(t->u.string))
                              : DVC_MEDIA_NONE;
        if (m == DVC_MEDIA_NONE || strcmp(t->u.string, dvc_media_name(m)) != 0)
        {
            fail(err, errlen, file, "%s.types[%zu] must be \"application/pdf\", "
                 "\"image/jpeg\" or \"image/png\"", where, i);
            return -1;
        }
        if (*out & m) {
            fail(err, errlen, file, "%s.types[%zu] \"%s\" is given twice",
                 where, i, t->u.string);
            return -1;
        }
        *out |= m;
    }
    return 0;
}

static int
parse_documents(dvc_procedure_t *p, yajl_val v, const char *file, char *err,
    size_t errlen)
{
    size_t                i, j, n;
    yajl_val              d, kind, name, req, types, max;
    dvc_procedure_doc_t  *doc;
    char                  where[48];

    if (!YAJL_IS_ARRAY(v)) {
        fail(err, errlen, file, "x-dvc.documents is %s, expected an array of "
             "{\"kind\", \"name\", \"required\"}", type_name(v));
        return -1;
    }
    n = v->u.array.len;
    if (n == 0) {
        return 0;
    }
    p->documents = dvc_calloc(p->alloc, n, sizeof(dvc_procedure_doc_t));
    if (p->documents == NULL) {
        fail(err, errlen, file, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        d = v->u.array.values[i];
        snprintf(where, sizeof(where), "x-dvc.documents[%zu]", i);
        if (!YAJL_IS_OBJECT(d)) {
            fail(err, errlen, file, "%s is %s, expected an object", where,
                 type_name(d));
            return -1;
        }
        if (check_keys(d, doc_fields, where, file, err, errlen) != 0) {
            return -1;
        }
        kind = member(d, "kind");
        name = member(d, "name");
        req = member(d, "required");
        if (!YAJL_IS_STRING(kind)) {
            fail(err, errlen, file, "%s.kind is %s, expected a string", where,
                 type_name(kind));
            return -1;
        }
        if (!kind_valid(kind->u.string, strlen(kind->u.string))) {
            fail(err, errlen, file, "%s.kind \"%.*s%s\" must be 1 to %d of "
                 "a-z, 0-9 and _", where, show_len(kind->u.string),
                 kind->u.string, ellipsis(kind->u.string),
                 DVC_PROCEDURE_KIND_MAX);
            return -1;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(p->documents[j].kind, kind->u.string) == 0) {
                fail(err, errlen, file, "%s.kind \"%s\" is already the kind of "
                     "x-dvc.documents[%zu]", where, kind->u.string, j);
                return -1;
            }
        }
        if (!YAJL_IS_STRING(name) || name->u.string[0] == '\0'
            || strlen(name->u.string) > NAME_MAX_BYTES)
        {
            fail(err, errlen, file, "%s.name must be a non-empty string (the "
                 "document's Vietnamese name)", where);
            return -1;
        }
        if (!YAJL_IS_TRUE(req) && !YAJL_IS_FALSE(req)) {
            fail(err, errlen, file, "%s.required is %s, expected true or false",
                 where, type_name(req));
            return -1;
        }
        doc = &p->documents[i];
        types = member(d, "types");
        max = member(d, "max_size");
        if (types != NULL
            && parse_doc_types(types, &doc->types, where, file, err, errlen)
               != 0)
        {
            return -1;
        }
        if (max != NULL) {
            if (!YAJL_IS_INTEGER(max) || YAJL_GET_INTEGER(max) < 1) {
                fail(err, errlen, file, "%s.max_size must be an integer of "
                     "bytes, at least 1", where);
                return -1;
            }
            doc->max_size = (unsigned long long) YAJL_GET_INTEGER(max);
        }
        doc->kind = dup_str(p->alloc, kind->u.string, &doc->kind_len);
        doc->name = dup_str(p->alloc, name->u.string, NULL);
        doc->required = YAJL_IS_TRUE(req);
        p->ndocuments = i + 1;
        if (doc->kind == NULL || doc->name == NULL) {
            fail(err, errlen, file, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int
parse_xdvc(dvc_procedure_t *p, yajl_val x, const char *file, char *err,
    size_t errlen)
{
    yajl_val     v;
    const char  *s;

    if (x == NULL) {
        fail(err, errlen, file, "no x-dvc object (the procedure's metadata, "
             "see docs/procedures.md)");
        return -1;
    }
    if (!YAJL_IS_OBJECT(x)) {
        fail(err, errlen, file, "x-dvc is %s, expected an object", type_name(x));
        return -1;
    }
    if (check_keys(x, xdvc_fields, "x-dvc", file, err, errlen) != 0) {
        return -1;
    }

    v = member(x, "code");
    s = YAJL_GET_STRING(v);
    if (s == NULL) {
        fail(err, errlen, file, "x-dvc.code is %s, expected the national "
             "procedure code as a string (e.g. \"1.001193\")", type_name(v));
        return -1;
    }
    if (!dvc_procedure_code_valid(s, strlen(s))) {
        fail(err, errlen, file, "x-dvc.code \"%.*s%s\" is not a national procedure "
             "code (e.g. 1.001193)", show_len(s), s, ellipsis(s));
        return -1;
    }
    p->code = dup_str(p->alloc, s, &p->code_len);

    v = member(x, "name");
    s = YAJL_GET_STRING(v);
    if (s == NULL || s[0] == '\0' || strlen(s) > NAME_MAX_BYTES) {
        fail(err, errlen, file, "x-dvc.name must be the procedure's name, a "
             "non-empty string");
        return -1;
    }
    p->name = dup_str(p->alloc, s, NULL);

    v = member(x, "agency");
    s = YAJL_GET_STRING(v);
    if (s == NULL) {
        fail(err, errlen, file, "x-dvc.agency is %s, expected the receiving "
             "agency's identifier (e.g. \"000.00.10.H47\")", type_name(v));
        return -1;
    }
    if (!dvc_agency_valid(s, strlen(s))) {
        fail(err, errlen, file, "x-dvc.agency \"%.*s%s\" is not an agency "
             "identifier (e.g. 000.00.10.H47)", show_len(s), s, ellipsis(s));
        return -1;
    }
    p->agency = dup_str(p->alloc, s, NULL);

    v = member(x, "sector");
    if (v != NULL) {
        s = YAJL_GET_STRING(v);
        if (s == NULL || !kind_valid(s, strlen(s))) {
            fail(err, errlen, file, "x-dvc.sector must be the procedure's "
                 "sector code, 1 to %d of a-z, 0-9 and _ (e.g. \"ho_tich\")",
                 DVC_PROCEDURE_KIND_MAX);
            return -1;
        }
        p->sector = dup_str(p->alloc, s, &p->sector_len);
        if (p->sector == NULL) {
            fail(err, errlen, file, "out of memory");
            return -1;
        }
    }

    if (parse_level(p, member(x, "level"), file, err, errlen) != 0
        || parse_processing(p, member(x, "processing"), file, err, errlen) != 0
        || parse_cutoff(p, member(x, "cutoff"), file, err, errlen) != 0)
    {
        return -1;
    }

    v = member(x, "accept");
    s = YAJL_GET_STRING(v);
    if (s == NULL || (strcmp(s, "auto") != 0 && strcmp(s, "manual") != 0)) {
        if (s) {
            fail(err, errlen, file, "x-dvc.accept \"%.*s%s\" is not \"auto\" or "
                 "\"manual\"", show_len(s), s, ellipsis(s));
        } else {
            fail(err, errlen, file, "x-dvc.accept is %s, expected \"auto\" or "
                 "\"manual\"", type_name(v));
        }
        return -1;
    }
    p->accept_auto = s[0] == 'a';

    v = member(x, "fee");
    if (!YAJL_IS_INTEGER(v) || v->u.number.i < 0) {
        if (YAJL_IS_NUMBER(v)) {
            fail(err, errlen, file, "x-dvc.fee %s is not a whole number of VND "
                 "(0 or more)", v->u.number.r);
        } else {
            fail(err, errlen, file, "x-dvc.fee is %s, expected a whole number "
                 "of VND", type_name(v));
        }
        return -1;
    }
    p->fee = v->u.number.i;

    if (parse_documents(p, member(x, "documents"), file, err, errlen) != 0) {
        return -1;
    }
    if (p->code == NULL || p->name == NULL || p->agency == NULL) {
        fail(err, errlen, file, "out of memory");
        return -1;
    }
    return 0;
}

/* The dossier's "procedure" property, when the schema pins it with const,
 * must name this procedure: otherwise no dossier could ever be valid. */
static int
check_procedure_const(const dvc_procedure_t *p, yajl_val root,
    const char *file, char *err, size_t errlen)
{
    yajl_val props, proc, c;

    props = member(root, "properties");
    if (!YAJL_IS_OBJECT(props)) {
        return 0;
    }
    proc = member(props, "procedure");
    if (!YAJL_IS_OBJECT(proc)) {
        return 0;
    }
    c = member(proc, "const");
    if (c != NULL && !(YAJL_IS_STRING(c) && strcmp(c->u.string, p->code) == 0)) {
        fail(err, errlen, file, "properties.procedure.const differs from "
             "x-dvc.code \"%s\"", p->code);
        return -1;
    }
    return 0;
}

dvc_procedure_t *
dvc_procedure_parse(const dvc_alloc_t *a, const char *json, size_t len,
    const char *file_name, char *err, size_t errlen)
{
    dvc_procedure_t  *p;
    yajl_val          root = NULL, v;
    char              ebuf[256];
    spans_t           sp;

    if (errlen) {
        err[0] = '\0';
    }
    if (len > DVC_PROCEDURE_MAX_FILE) {
        fail(err, errlen, file_name, "larger than %d bytes",
             DVC_PROCEDURE_MAX_FILE);
        return NULL;
    }
    memset(&sp, 0, sizeof(sp));
    sp.json = json;
    sp.len = len;
    sp.want = -1;
    if (check_json(json, len, file_name, err, errlen, &sp) != 0) {
        return NULL;
    }
    p = dvc_calloc(a, 1, sizeof(*p));
    if (p == NULL) {
        fail(err, errlen, file_name, "out of memory");
        return NULL;
    }
    p->alloc = a;
    p->cutoff = -1;
    p->raw = dvc_strndup(a, json, len);
    p->raw_len = len;
    p->file_name = dvc_strndup(a, file_name ? file_name : "",
                               file_name ? strlen(file_name) : 0);
    if (p->raw == NULL || p->file_name == NULL) {
        fail(err, errlen, file_name, "out of memory");
        goto failed;
    }
    root = spans_tree(a, p->raw, &sp, ebuf, sizeof(ebuf));
    if (root == NULL) {
        fail(err, errlen, file_name, "cannot parse: %s", ebuf);
        goto failed;
    }
    if (!YAJL_IS_OBJECT(root)) {
        fail(err, errlen, file_name, "is %s, expected a JSON Schema object",
             type_name(root));
        goto failed;
    }
    v = member(root, "$schema");
    if (v != NULL && !(YAJL_IS_STRING(v)
                       && strcmp(v->u.string, DVC_PROCEDURE_SCHEMA_DIALECT) == 0))
    {
        fail(err, errlen, file_name, "$schema must be \"%s\" (JSON Schema draft "
             "2020-12)", DVC_PROCEDURE_SCHEMA_DIALECT);
        goto failed;
    }
    v = member(root, "$id");
    if (v != NULL) {
        if (!YAJL_IS_STRING(v)) {
            fail(err, errlen, file_name, "$id is %s, expected a URI string",
                 type_name(v));
            goto failed;
        }
        p->schema_id = dup_str(a, v->u.string, NULL);
        if (p->schema_id == NULL) {
            fail(err, errlen, file_name, "out of memory");
            goto failed;
        }
    }
    if (parse_xdvc(p, member(root, "x-dvc"), file_name, err, errlen) != 0
        || check_procedure_const(p, root, file_name, err, errlen) != 0)
    {
        goto failed;
    }
    yajl_tree_free(root);
    return p;

failed:
    yajl_tree_free(root);
    dvc_procedure_free(p);
    return NULL;
}

void
dvc_procedure_free(dvc_procedure_t *p)
{
    size_t i;

    if (p == NULL) {
        return;
    }
    for (i = 0; i < p->ndocuments; i++) {
        dvc_free(p->alloc, p->documents[i].kind);
        dvc_free(p->alloc, p->documents[i].name);
    }
    dvc_free(p->alloc, p->documents);
    dvc_free(p->alloc, p->code);
    dvc_free(p->alloc, p->name);
    dvc_free(p->alloc, p->agency);
    dvc_free(p->alloc, p->sector);
    dvc_free(p->alloc, p->schema_id);
    dvc_free(p->alloc, p->raw);
    dvc_free(p->alloc, p->file_name);
    dvc_free(p->alloc, p);
}

long
dvc_procedure_processing_minutes(const dvc_procedure_t *p)
{
    /* halves of a day are 4 hours, halves of an hour 30 minutes */
    return p->processing_unit == DVC_PROCESSING_DAYS
           ? (long) p->processing_halves * 4 * 60
           : (long) p->processing_halves * 30;
}

const dvc_procedure_doc_t *
dvc_procedure_document(const dvc_procedure_t *p, const char *kind, size_t len)
{
    size_t i;

    for (i = 0; i < p->ndocuments; i++) {
        if (p->documents[i].kind_len == len
            && memcmp(p->documents[i].kind, kind, len) == 0)
        {
            return &p->documents[i];
        }
    }
    return NULL;
}

const char *
dvc_level_name_vi(int level)
{
    return level == DVC_LEVEL_FULL ? "Toàn trình"
         : level == DVC_LEVEL_PARTIAL ? "Một phần" : NULL;
}

const char *
dvc_level_name_en(int level)
{
    return level == DVC_LEVEL_FULL ? "Full online"
         : level == DVC_LEVEL_PARTIAL ? "Partly online" : NULL;
}

static void
put_key_str(dvc_buf_t *b, const char *key, const char *s)
{
    dvc_buf_json_str(b, key, strlen(key));
    dvc_buf_putc(b, ':');
    dvc_buf_json_str(b, s, strlen(s));
}

int
dvc_procedure_summary_json(const dvc_procedure_t *p, dvc_buf_t *b)
{
    size_t i;

    dvc_buf_putc(b, '{');
    put_key_str(b, "code", p->code);
    dvc_buf_putc(b, ',');
    put_key_str(b, "name", p->name);
    dvc_buf_putc(b, ',');
    put_key_str(b, "agency", p->agency);
    dvc_buf_printf(b, ",\"level\":%d,\"level_name\":{", p->level);
    put_key_str(b, "vi", dvc_level_name_vi(p->level));
    dvc_buf_putc(b, ',');
    put_key_str(b, "en", dvc_level_name_en(p->level));
    dvc_buf_putc(b, '}');
    if (p->sector != NULL) {
        dvc_buf_putc(b, ',');
        put_key_str(b, "sector", p->sector);
    }
    dvc_buf_printf(b, ",\"processing\":{\"%s\":%u%s}",
                   p->processing_unit == DVC_PROCESSING_DAYS ? "days" : "hours",
                   p->processing_halves / 2,
                   p->processing_halves % 2 ? ".5" : "");
    if (p->cutoff >= 0) {
        dvc_buf_printf(b, ",\"cutoff\":\"%02d:%02d\"", p->cutoff / 60,
                       p->cutoff % 60);
    }
    dvc_buf_printf(b, ",\"fee\":%lld,\"accept\":\"%s\",\"documents\":[", p->fee,
                   p->accept_auto ? "auto" : "manual");
    for (i = 0; i < p->ndocuments; i++) {
        dvc_buf_puts(b, i ? ",{" : "{");
        put_key_str(b, "kind", p->documents[i].kind);
        dvc_buf_putc(b, ',');
        put_key_str(b, "name", p->documents[i].name);
        dvc_buf_printf(b, ",\"required\":%s",
                       p->documents[i].required ? "true" : "false");
        if (p->documents[i].types) {
            unsigned  m, first = 1;

            dvc_buf_puts(b, ",\"types\":[");
            for (m = DVC_MEDIA_PDF; m <= DVC_MEDIA_PNG; m <<= 1) {
                if (p->documents[i].types & m) {
                    dvc_buf_printf(b, "%s\"%s\"", first ? "" : ",",
                                   dvc_media_name((dvc_media_t) m));
                    first = 0;
                }
            }
            dvc_buf_putc(b, ']');
        }
        if (p->documents[i].max_size) {
            dvc_buf_printf(b, ",\"max_size\":%llu", p->documents[i].max_size);
        }
        dvc_buf_putc(b, '}');
    }
    dvc_buf_puts(b, "]}");
    return b->failed ? -1 : 0;
}

/* Appends one violation; msg holds the Vietnamese then the English text,
 * each NUL-terminated by dvc_buf_cstr before use. */
static void
put_violation(dvc_buf_t *out, const char *path, const char *code,
    dvc_buf_t *vi, dvc_buf_t *en)
{
    if (out->len > 0 && out->data[out->len - 1] != '['
        && out->data[out->len - 1] != ',')
    {
        dvc_buf_putc(out, ',');
    }
    dvc_buf_puts(out, "{\"path\":");
    dvc_buf_json_str(out, path, strlen(path));
    dvc_buf_puts(out, ",\"keyword\":\"/x-dvc/documents\",\"code\":");
    dvc_buf_json_str(out, code, strlen(code));
    dvc_buf_puts(out, ",\"message\":{\"vi\":");
    dvc_buf_json_str(out, vi->data ? vi->data : "", vi->len);
    dvc_buf_puts(out, ",\"en\":");
    dvc_buf_json_str(out, en->data ? en->data : "", en->len);
    dvc_buf_puts(out, "}}");
}

int
dvc_procedure_check_documents(const dvc_procedure_t *p, const char **kinds,
    const size_t *lens, size_t n, dvc_buf_t *out)
{
    size_t     i, j;
    int        count = 0, failed, closed;
    char       path[40];
    dvc_buf_t  vi, en;

    dvc_buf_init(&vi, out->alloc);
    dvc_buf_init(&en, out->alloc);

    /* inside a finished array: reopen it, close it again below */
    closed = out->len > 0 && out->data[out->len - 1] == ']';
    if (closed) {
        out->len--;
    }

    for (i = 0; i < n; i++) {
        if (dvc_procedure_document(p, kinds[i], lens[i]) != NULL) {
            continue;
        }
        snprintf(path, sizeof(path), "/documents/%zu/kind", i);
        dvc_buf_reset(&vi);
        dvc_buf_reset(&en);
        dvc_buf_puts(&vi, "Loại giấy tờ \"");
        dvc_buf_append(&vi, kinds[i], lens[i]);
        dvc_buf_printf(&vi, "\" không thuộc thành phần hồ sơ của thủ tục %s "
                       "(%s)", p->code, p->name);
        dvc_buf_puts(&en, "Document kind \"");
        dvc_buf_append(&en, kinds[i], lens[i]);
        dvc_buf_printf(&en, "\" is not a document of procedure %s; expected ",
                       p->code);
        for (j = 0; j < p->ndocuments; j++) {
            dvc_buf_printf(&en, "%s%s", j ? ", " : "", p->documents[j].kind);
        }
        if (p->ndocuments == 0) {
            dvc_buf_puts(&en, "no documents");
        }
        put_violation(out, path, "unknown_document", &vi, &en);
        count++;
    }

    for (j = 0; j < p->ndocuments; j++) {
        if (!p->documents[j].required) {
            continue;
        }
        for (i = 0; i < n; i++) {
            if (lens[i] == p->documents[j].kind_len
                && memcmp(kinds[i], p->documents[j].kind, lens[i]) == 0)
            {
                break;
            }
        }
        if (i < n) {
            continue;
        }
        dvc_buf_reset(&vi);
        dvc_buf_reset(&en);
        dvc_buf_printf(&vi, "Hồ sơ thiếu giấy tờ bắt buộc: %s",
                       p->documents[j].name);
        dvc_buf_printf(&en, "The dossier lacks a required document: %s (%s)",
                       p->documents[j].name, p->documents[j].kind);
        put_violation(out, "/documents", "missing_document", &vi, &en);
        count++;
    }

    if (closed) {
        dvc_buf_putc(out, ']');
    }

    failed = vi.failed || en.failed || out->failed;
    dvc_buf_free(&vi);
    dvc_buf_free(&en);
    return failed ? -1 : count;
}
