/*
 * Streaming scan of a dossier body for the few values the gateway needs
 * (dvc_dossier_scan.h).  yajl tokenises; the callbacks keep a depth count
 * and, for the three levels that matter, which member a value belongs to:
 *
 *   depth 1  the body's own members: procedure, delivery, channel, documents,
 *            applicant
 *   depth 2  applicant's members, or documents[] items
 *   depth 3  a document's members
 *
 * Any other value costs a comparison of the depth and nothing else.  Kept
 * strings are copied into an arena that never moves what it holds (an inline
 * block, then chunks), so the procedure handed out mid-body stays valid.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <yajl/yajl_parse.h>

#include "dvc_dossier_scan.h"
#include "dvc_json_esc.h"
#include "dvc_utf8.h"

#define SCAN_INLINE_BYTES  1024    /* a typical dossier's kept strings: ~300 */
#define SCAN_CHUNK_MIN     4096
#define SCAN_ERR_MAX       160

/* Which member a value is, by the key just read at its depth. */
enum {
    F_NONE = 0,
    F_PROCEDURE, F_DELIVERY, F_DOCUMENTS, F_APPLICANT,        /* depth 1 */
    F_FULL_NAME, F_PHONE, F_EMAIL,                            /* applicant */
    F_KIND, F_SHA256, F_SIZE, F_MEDIA_TYPE,                   /* a document */
    F_CHANNEL                                                 /* depth 1 */
};

#define DOC_FIELDS  ((1u << F_KIND) | (1u << F_SHA256) | (1u << F_SIZE) \
                     | (1u << F_MEDIA_TYPE))

/* What the container at depth 2 is. */
enum { CTX_NONE = 0, CTX_APPLICANT, CTX_DOCUMENTS };

typedef struct scan_chunk {
    struct scan_chunk  *next;
    size_t              size;
    size_t              used;
} scan_chunk_t;

/* yajl's realloc does not pass the old size, which dvc_alloc_t wants: each
 * block yajl gets carries its size in front. */
typedef union {
    size_t       size;
    max_align_t  align;
} yajl_block_t;

struct dvc_dossier_scan {
    dvc_alloc_t         alloc;
    yajl_alloc_funcs    yfuncs;
    yajl_handle         h;

    /* parse state */
    unsigned            depth;
    unsigned char       key[4];        /* F_* of the pending member, by depth */
    unsigned char       ctx2;          /* CTX_* of the depth-2 container */
    unsigned char       in_doc;        /* depth-3 container is a document */
    unsigned            seen;          /* 1 << F_* of members read already */
    size_t              nitems;        /* documents[] items, objects or not */
    int                 failed;
    int                 finished;

    /* raw-byte checks, carried across buffers */
    dvc_utf8_stream_t    u8;
    dvc_json_esc_t       esc;          /* \u escapes of lone surrogates */

    /* error location, resolved by feed once yajl has stopped */
    int                  err_bracket;  /* the cause is the token just read */
    size_t               base;         /* bytes fed before the current buffer */
    size_t               err_offset;
    char                 err[SCAN_ERR_MAX];

    /* results */
    const char         *procedure;
    size_t              procedure_len;
    dvc_dossier_facts_t facts;
    dvc_dossier_doc_t  *docs;
    size_t              docs_cap;

    /* arena */
    scan_chunk_t       *chunks;        /* newest first */
    size_t              inline_used;
    char                inline_buf[SCAN_INLINE_BYTES];
};

static void *
yajl_block_malloc(void *ctx, size_t size)
{
    yajl_block_t  *b;

    if (size > SIZE_MAX - sizeof(yajl_block_t)) {
        return NULL;
    }
    b = dvc_malloc(ctx, sizeof(yajl_block_t) + size);
    if (b == NULL) {
        return NULL;
    }
    b->size = size;
    return b + 1;
}

static void *
yajl_block_realloc(void *ctx, void *p, size_t size)
{
    yajl_block_t  *b, *n;

    if (p == NULL) {
        return yajl_block_malloc(ctx, size);
    }
    if (size > SIZE_MAX - sizeof(yajl_block_t)) {
        return NULL;
    }
    b = (yajl_block_t *) p - 1;
    n = dvc_realloc(ctx, b, sizeof(yajl_block_t) + b->size,
                    sizeof(yajl_block_t) + size);
    if (n == NULL) {
        return NULL;
    }
    n->size = size;
    return n + 1;
}

static void
yajl_block_free(void *ctx, void *p)
{
    if (p != NULL) {
        dvc_free(ctx, (yajl_block_t *) p - 1);
    }
}

static int
fail(dvc_dossier_scan_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first error; returns 0 so a callback can `return fail(..)`
 * and have yajl stop. */
static int
fail(dvc_dossier_scan_t *s, const char *fmt, ...)
{
    va_list  ap;

    if (!s->failed) {
        s->failed = 1;
        va_start(ap, fmt);
        vsnprintf(s->err, sizeof(s->err), fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* A NUL-terminated copy in the arena; NULL when out of memory. */
static char *
arena_copy(dvc_dossier_scan_t *s, const unsigned char *p, size_t len)
{
    scan_chunk_t  *c = s->chunks;
    size_t         size;
    char          *d;

    if (len >= SIZE_MAX - sizeof(scan_chunk_t) - SCAN_CHUNK_MIN) {
        return NULL;
    }
    if (len < sizeof(s->inline_buf) - s->inline_used) {
        d = s->inline_buf + s->inline_used;
        s->inline_used += len + 1;
    } else if (c != NULL && len < c->size - c->used) {
        d = (char *) (c + 1) + c->used;
        c->used += len + 1;
    } else {
        size = c != NULL && c->size < SIZE_MAX / 4 ? c->size * 2 : SCAN_CHUNK_MIN;
        if (size < len + 1) {
            size = len + 1;
        }
        c = dvc_malloc(&s->alloc, sizeof(scan_chunk_t) + size);
        if (c == NULL) {
            return NULL;
        }
        c->size = size;
        c->used = len + 1;
        c->next = s->chunks;
        s->chunks = c;
        d = (char *) (c + 1);
    }
    memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

/*
 * The value of a JSON number as a size: a non-negative integer that fits in
 * long long, whatever its notation (1000, 1e3, 1000.0, 10000e-1), else -1.
 * The text is a valid JSON number (yajl's lexer saw to that).
 */
static long long
number_as_size(const char *t, size_t len)
{
    size_t     i = 0, int0, nint, frac0 = 0, nfrac = 0, ndig, k, first, last;
    long long  v = 0, exp = 0, scale;
    int        neg = 0, eneg = 0, d;

    if (i < len && t[i] == '-') {
        neg = 1;
        i++;
    }
    int0 = i;
    while (i < len && t[i] >= '0' && t[i] <= '9') {
        i++;
    }
    nint = i - int0;
    if (i < len && t[i] == '.') {
        frac0 = ++i;
        while (i < len && t[i] >= '0' && t[i] <= '9') {
            i++;
        }
        nfrac = i - frac0;
    }
    if (i < len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < len && (t[i] == '+' || t[i] == '-')) {
            eneg = t[i] == '-';
            i++;
        }
        for (; i < len; i++) {
            if (exp < 1000000) {          /* past that it cannot fit anyway */
                exp = exp * 10 + (t[i] - '0');
            }
        }
    }
    if (eneg) {
        exp = -exp;
    }

#define DIGIT(k) ((k) < nint ? t[int0 + (k)] : t[frac0 + (k) - nint])

    ndig = nint + nfrac;
    for (first = 0; first < ndig && DIGIT(first) == '0'; first++) {
        /* leading zeros */
    }
    if (first == ndig) {
        return 0;                         /* 0, -0, 0.000e5 */
    }
    if (neg) {
        return -1;
    }
    for (last = ndig - 1; DIGIT(last) == '0'; last--) {
        /* trailing zeros move into the scale */
    }
    scale = exp - (long long) nfrac + (long long) (ndig - 1 - last);
    if (scale < 0 || last - first + 1 > 19 || scale > 18) {
        return -1;                        /* a fraction, or too large */
    }
    for (k = first; k <= last; k++) {
        d = DIGIT(k) - '0';
        if (v > (LLONG_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
#undef DIGIT
    for (; scale > 0; scale--) {
        if (v > LLONG_MAX / 10) {
            return -1;
        }
        v *= 10;
    }
    return v;
}

static unsigned
top_member(const unsigned char *k, size_t len)
{
    switch (len) {
    case 7:
        return memcmp(k, "channel", 7) == 0 ? F_CHANNEL : F_NONE;
    case 8:
        return memcmp(k, "delivery", 8) == 0 ? F_DELIVERY : F_NONE;
    case 9:
        if (memcmp(k, "procedure", 9) == 0) {
            return F_PROCEDURE;
        }
        if (memcmp(k, "documents", 9) == 0) {
            return F_DOCUMENTS;
        }
        return memcmp(k, "applicant", 9) == 0 ? F_APPLICANT : F_NONE;
    }
    return F_NONE;
}

static unsigned
applicant_member(const unsigned char *k, size_t len)
{
    switch (len) {
    case 5:
        if (memcmp(k, "phone", 5) == 0) {
            return F_PHONE;
        }
        return memcmp(k, "email", 5) == 0 ? F_EMAIL : F_NONE;
    case 9:
        return memcmp(k, "full_name", 9) == 0 ? F_FULL_NAME : F_NONE;
    }
    return F_NONE;
}

static unsigned
document_member(const unsigned char *k, size_t len)
{
    switch (len) {
    case 4:
        if (memcmp(k, "kind", 4) == 0) {
            return F_KIND;
        }
        return memcmp(k, "size", 4) == 0 ? F_SIZE : F_NONE;
    case 6:
        return memcmp(k, "sha256", 6) == 0 ? F_SHA256 : F_NONE;
    case 10:
        return memcmp(k, "media_type", 10) == 0 ? F_MEDIA_TYPE : F_NONE;
    }
    return F_NONE;
}

/* The member a value at the current depth is, or F_NONE. */
static unsigned
member_of_value(const dvc_dossier_scan_t *s)
{
    switch (s->depth) {
    case 1:
        return s->key[1];
    case 2:
        return s->ctx2 == CTX_APPLICANT ? s->key[2] : F_NONE;
    case 3:
        return s->in_doc ? s->key[3] : F_NONE;
    }
    return F_NONE;
}

/* A documents[] item begins at depth 2 (before the depth count moves). */
static int
document_item(dvc_dossier_scan_t *s, int is_object)
{
    dvc_dossier_doc_t  *d;
    size_t              cap;

    if (++s->nitems > DVC_DOSSIER_MAX_DOCUMENTS) {
        s->err_bracket = 1;
        return fail(s, "more than %d documents",
                    DVC_DOSSIER_MAX_DOCUMENTS);
    }
    if (!is_object) {
        return 1;
    }
    if (s->facts.ndocuments == s->docs_cap) {
        cap = s->docs_cap ? s->docs_cap * 2 : 8;
        d = dvc_realloc(&s->alloc, s->docs, s->docs_cap * sizeof(*d),
                        cap * sizeof(*d));
        if (d == NULL) {
            return fail(s, "out of memory");
        }
        s->docs = d;
        s->docs_cap = cap;
    }
    d = &s->docs[s->facts.ndocuments++];
    memset(d, 0, sizeof(*d));
    d->size = -1;
    s->seen &= ~DOC_FIELDS;
    s->in_doc = 1;
    return 1;
}

static int
on_string(void *ctx, const unsigned char *v, size_t len)
{
    dvc_dossier_scan_t  *s = ctx;
    char                *copy;
    dvc_dossier_doc_t   *doc;
    unsigned             f;

    if (s->depth == 2 && s->ctx2 == CTX_DOCUMENTS) {
        return document_item(s, 0);
    }
    f = member_of_value(s);
    if (f == F_NONE || f == F_DOCUMENTS || f == F_APPLICANT || f == F_SIZE) {
        return 1;
    }
    copy = arena_copy(s, v, len);
    if (copy == NULL) {
        return fail(s, "out of memory");
    }
    doc = s->facts.ndocuments ? &s->docs[s->facts.ndocuments - 1] : NULL;
    switch (f) {
    case F_PROCEDURE:
        s->procedure = copy;
        s->procedure_len = len;
        break;
    case F_DELIVERY:
        s->facts.delivery = copy;
        s->facts.delivery_len = len;
        break;
    case F_CHANNEL:
        s->facts.channel = copy;
        s->facts.channel_len = len;
        break;
    case F_FULL_NAME:
        s->facts.applicant_name = copy;
        s->facts.applicant_name_len = len;
        break;
    case F_PHONE:
        s->facts.applicant_phone = copy;
        s->facts.applicant_phone_len = len;
        break;
    case F_EMAIL:
        s->facts.applicant_email = copy;
        s->facts.applicant_email_len = len;
        break;
    case F_KIND:
        doc->kind = copy;
        doc->kind_len = len;
        break;
    case F_SHA256:
        doc->sha256 = copy;
        doc->sha256_len = len;
        break;
    case F_MEDIA_TYPE:
        doc->media_type = copy;
        doc->media_type_len = len;
        break;
    }
    return 1;
}

static int
on_number(void *ctx, const char *v, size_t len)
{
    dvc_dossier_scan_t  *s = ctx;

    if (s->depth == 2 && s->ctx2 == CTX_DOCUMENTS) {
        return document_item(s, 0);
    }
    if (s->depth == 3 && s->in_doc && s->key[3] == F_SIZE) {
        s->docs[s->facts.ndocuments - 1].size = number_as_size(v, len);
    }
    return 1;
}

static int
on_scalar(void *ctx)
{
    dvc_dossier_scan_t  *s = ctx;

    if (s->depth == 2 && s->ctx2 == CTX_DOCUMENTS) {
        return document_item(s, 0);
    }
    return 1;
}

static int
on_boolean(void *ctx, int b)
{
    (void) b;
    return on_scalar(ctx);
}

static int
on_key(void *ctx, const unsigned char *k, size_t len)
{
    dvc_dossier_scan_t  *s = ctx;
    unsigned             f;

    switch (s->depth) {
    case 1:
        f = top_member(k, len);
        break;
    case 2:
        f = s->ctx2 == CTX_APPLICANT ? applicant_member(k, len) : F_NONE;
        break;
    case 3:
        f = s->in_doc ? document_member(k, len) : F_NONE;
        break;
    default:
        return 1;
    }
    s->key[s->depth] = (unsigned char) f;
    if (f == F_NONE) {
        return 1;
    }
    if (s->seen & (1u << f)) {
        /* at the key's closing quote, the one place yajl tells alike
         * whether the key was cut by a buffer end or spelled with escapes
         * (its first byte may lie in a buffer the caller has let go) */
        s->err_bracket = 1;
        if (s->depth == 1) {
            return fail(s, "duplicate key \"%.*s\"", (int) len, k);
        }
        if (s->depth == 2) {
            return fail(s, "duplicate key \"%.*s\" in \"applicant\"",
                        (int) len, k);
        }
        return fail(s, "duplicate key \"%.*s\" in documents[%zu]",
                    (int) len, k, s->facts.ndocuments - 1);
    }
    s->seen |= 1u << f;
    return 1;
}

static int
on_start(dvc_dossier_scan_t *s, int is_object)
{
    if (s->depth >= DVC_DOSSIER_MAX_DEPTH) {
        s->err_bracket = 1;
        return fail(s, "nesting deeper than %d", DVC_DOSSIER_MAX_DEPTH);
    }
    if (s->depth == 1) {
        s->ctx2 = is_object && s->key[1] == F_APPLICANT ? CTX_APPLICANT
                  : !is_object && s->key[1] == F_DOCUMENTS ? CTX_DOCUMENTS
                  : CTX_NONE;
    } else if (s->depth == 2) {
        s->in_doc = 0;
        if (s->ctx2 == CTX_DOCUMENTS && !document_item(s, is_object)) {
            return 0;
        }
    }
    s->depth++;
    return 1;
}

static int
on_end(void *ctx)
{
    dvc_dossier_scan_t  *s = ctx;

    s->depth--;
    if (s->depth == 1) {
        s->ctx2 = CTX_NONE;
    } else if (s->depth == 2) {
        s->in_doc = 0;
    }
    return 1;
}

static int
on_start_map(void *ctx)
{
    return on_start(ctx, 1);
}

static int
on_start_array(void *ctx)
{
    return on_start(ctx, 0);
}

static const yajl_callbacks  scan_callbacks = {
    on_scalar,          /* null */
    on_boolean,
    NULL,               /* integer, double: yajl_number gets the raw text */
    NULL,
    on_number,
    on_string,
    on_start_map,
    on_key,
    on_end,
    on_start_array,
    on_end
};

dvc_dossier_scan_t *
dvc_dossier_scan_new(const dvc_alloc_t *a)
{
    dvc_dossier_scan_t  *s;

    s = dvc_malloc(a, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    memset(s, 0, offsetof(dvc_dossier_scan_t, inline_buf));
    s->alloc = *a;
    s->yfuncs.malloc = yajl_block_malloc;
    s->yfuncs.realloc = yajl_block_realloc;
    s->yfuncs.free = yajl_block_free;
    s->yfuncs.ctx = &s->alloc;
    return s;
}

void
dvc_dossier_scan_reset(dvc_dossier_scan_t *s)
{
    scan_chunk_t  *c, *next;

    if (s->h != NULL) {
        yajl_free(s->h);      /* yajl 2.1 cannot rewind a handle */
        s->h = NULL;
    }
    for (c = s->chunks; c != NULL; c = next) {
        next = c->next;
        dvc_free(&s->alloc, c);
    }
    s->chunks = NULL;
    s->inline_used = 0;
    s->depth = 0;
    memset(s->key, 0, sizeof(s->key));
    s->ctx2 = CTX_NONE;
    s->in_doc = 0;
    s->seen = 0;
    s->nitems = 0;
    s->failed = 0;
    s->finished = 0;
    dvc_utf8_stream_reset(&s->u8);
    dvc_json_esc_reset(&s->esc);
    s->err_bracket = 0;
    s->base = 0;
    s->err_offset = 0;
    s->err[0] = '\0';
    s->procedure = NULL;
    s->procedure_len = 0;
    memset(&s->facts, 0, sizeof(s->facts));
}

void
dvc_dossier_scan_free(dvc_dossier_scan_t *s)
{
    if (s == NULL) {
        return;
    }
    dvc_dossier_scan_reset(s);
    dvc_free(&s->alloc, s->docs);
    dvc_free(&s->alloc, s);
}

/* yajl's own message ("parse error: premature EOF"), one line. */
static void
yajl_message(dvc_dossier_scan_t *s)
{
    unsigned char  *msg;
    size_t          n;

    msg = yajl_get_error(s->h, 0, NULL, 0);
    if (msg == NULL) {
        fail(s, "malformed JSON");
        return;
    }
    n = strcspn((char *) msg, "\n");
    fail(s, "%.*s", (int) n, (char *) msg);
    yajl_free_error(s->h, msg);
}

static int
ensure_handle(dvc_dossier_scan_t *s)
{
    if (s->h == NULL) {
        s->h = yajl_alloc(&scan_callbacks, &s->yfuncs, s);
        if (s->h == NULL) {
            fail(s, "out of memory");
            s->err_offset = s->base;
            return -1;
        }
        /* the raw-byte check in feed (dvc_utf8_stream_feed) is stricter
         * than yajl's own, which would only cost time */
        yajl_config(s->h, yajl_dont_validate_strings, 1);
    }
    return 0;
}

/* yajl reads the n bytes at p, the body's from offset base on: 0, or -1
 * with the error's offset. */
static int
parse_part(dvc_dossier_scan_t *s, const unsigned char *p, size_t n,
    size_t base)
{
    yajl_status  st;
    size_t       used;

    if (n == 0) {
        return 0;
    }
    st = yajl_parse(s->h, p, n);
    if (st == yajl_status_ok) {
        return 0;
    }
    used = yajl_get_bytes_consumed(s->h);
    if (st == yajl_status_client_canceled) {
        if (s->err_bracket && used > 0) {
            s->err_offset = base + used - 1;
        } else {
            s->err_offset = base + used;
        }
    } else {
        yajl_message(s);
        s->err_offset = base + used;
    }
    return -1;
}

int
dvc_dossier_scan_feed(dvc_dossier_scan_t *s, const void *buf, size_t len)
{
    size_t           esc_at = 0, at;
    dvc_utf8_span_t  u;
    int              bad_utf8, bad_escape = 0;
    const unsigned char *b = buf;

    if (s->failed) {
        return -1;
    }
    if (s->finished) {
        fail(s, "body already finished");
        s->err_offset = s->base;
        return -1;
    }
    if (ensure_handle(s) != 0) {
        return -1;
    }

    /*
     * The raw checks run first; yajl then reads only the bytes before a
     * fault they found, so whichever error comes first in the body is the
     * one reported.  UTF-8 is checked on the raw bytes (RFC 3629, stricter
     * than yajl's lexer, which passes overlongs, surrogates and code points
     * past U+10FFFF), and a sequence cut by the buffer's end waits for the
     * next one, so yajl never sees part of one and the error does not
     * depend on where the body was cut (as in the validator,
     * dvc_schema_validate.c).  Bytes >= 0x80 outside strings are an error
     * either way: invalid UTF-8 here, yajl's lexical error if they are
     * valid UTF-8.  A lone surrogate's \u escape is refused at its
     * backslash, which yajl reads too (outside a string it refuses it
     * first, however the body is cut).
     */
    bad_utf8 = dvc_utf8_stream_feed(&s->u8, b, len, s->base, &u) != 0;
    at = u.at;
    if (dvc_json_esc_feed(&s->esc, b, len, s->base, &esc_at) != 0
        && (!bad_utf8 || esc_at < at))
    {
        bad_utf8 = 0;
        bad_escape = 1;
        at = esc_at;
        if (esc_at < s->base) {
            /* begun in an earlier buffer: nothing of this one is read */
            u.joined = 0;
            u.to = u.from;
        } else if (esc_at - s->base < u.to) {
            u.to = esc_at - s->base < u.from ? u.from
                                              : esc_at - s->base + 1;
        }
    }

    if (parse_part(s, s->u8.joined, u.joined, s->base + u.from - u.joined)
        != 0
        || parse_part(s, b + u.from, u.to - u.from, s->base + u.from) != 0)
    {
        return -1;
    }
    if (bad_utf8 || bad_escape) {
        fail(s, bad_utf8 ? "invalid UTF-8"
             : "\\u escape of an unpaired UTF-16 surrogate");
        s->err_offset = at;
        return -1;
    }
    s->base += len;
    return 0;
}

int
dvc_dossier_scan_finish(dvc_dossier_scan_t *s)
{
    if (s->failed) {
        return -1;
    }
    if (s->finished) {
        return 0;
    }
    if (ensure_handle(s) != 0) {
        return -1;
    }
    if (dvc_utf8_stream_end(&s->u8, &s->err_offset) != 0) {
        /* the body ends inside a UTF-8 sequence */
        fail(s, "invalid UTF-8");
        return -1;
    }
    if (yajl_complete_parse(s->h) != yajl_status_ok) {
        if (!s->failed) {
            yajl_message(s);
        }
        s->err_offset = s->base;
        return -1;
    }
    s->finished = 1;
    return 0;
}

const char *
dvc_dossier_scan_error(const dvc_dossier_scan_t *s, size_t *offset)
{
    if (!s->failed) {
        return NULL;
    }
    if (offset != NULL) {
        *offset = s->err_offset;
    }
    return s->err;
}

const char *
dvc_dossier_scan_procedure(const dvc_dossier_scan_t *s, size_t *len)
{
    if (len != NULL) {
        *len = s->procedure_len;
    }
    return s->procedure;
}

void
dvc_dossier_scan_facts(const dvc_dossier_scan_t *s, dvc_dossier_facts_t *out)
{
    *out = s->facts;
    out->documents = s->facts.ndocuments ? s->docs : NULL;
}
