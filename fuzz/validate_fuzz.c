/*
 * libFuzzer target: the streaming validator on untrusted documents.
 *
 * The schemas of fuzz/schemas/validate/ (the real procedure 00.json and one
 * rich group of each stateful keyword of the JSON Schema Test Suite) are
 * compiled once.  Input byte 0 picks the schema (low 5 bits) and the limits
 * (bit 7: tight ones, so the limit paths run too); the rest is the document.
 * It is validated twice, once whole and once split at a byte derived from the
 * input, and the two runs must agree on the outcome and the error list, with
 * each violation's offset: a streaming validator's answer must not depend on
 * where the network cut the body.  The offset of a fatal error (malformed
 * JSON) may move by a token: yajl reports a token cut by a buffer boundary
 * when the next buffer completes it (fuzz/regressions/validate/
 * syntax-offset-split: 13 whole, 14 split), so it is only checked to lie in
 * the document.  The bytes before max_total_size are read before the limit
 * is reported, at its byte, so limit_size compares like any other status
 * (fuzz/regressions/validate/size-before-syntax, size-before-error-cap once
 * differed).  Reaching max_errors stops only the schema's evaluation: the
 * document is still read to its end, so a capped run is compared like any
 * other (error-cap-stops-early once stopped there).
 *
 * UTF-8 has an oracle of its own, RFC 3629 read literally here (not core's
 * dvc_utf8 or dvc_json_esc): a document read to its end without a fatal
 * error is valid UTF-8 with no \u escape of a lone surrogate, and json_utf8
 * is reported at exactly the first of those faults (an invalid sequence's
 * first byte, an escape's backslash), whole and split alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_schema.h"

#ifndef FUZZ_DIR
#error "build with -DFUZZ_DIR=\"path/to/fuzz\""
#endif

#define MAX_SCHEMAS       32
#define TIGHT_MAX_ERRORS  3

static dvc_schema_t         *schemas[MAX_SCHEMAS];
static size_t                n_schemas;
static dvc_validate_ctx_t   *ctx[MAX_SCHEMAS][2];

static void
load(void)
{
    char                   path[4096], err[512];
    dvc_validate_limits_t  tight;
    size_t                 i;

    dvc_validate_limits_default(&tight);
    tight.max_depth = 6;
    tight.max_string_len = 40;
    tight.max_properties = 8;
    tight.max_items = 8;
    tight.max_total_size = 600;
    tight.max_errors = TIGHT_MAX_ERRORS;

    for (i = 0; i < MAX_SCHEMAS; i++) {
        snprintf(path, sizeof(path), "%s/schemas/validate/%02zu.json",
                 FUZZ_DIR, i);
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            break;
        }
        fclose(f);
        schemas[i] = dvc_schema_compile_file(&dvc_alloc_std, path, NULL,
                                             err, sizeof(err));
        if (schemas[i] == NULL) {
            fprintf(stderr, "%s: %s\n", path, err);
            abort();
        }
        ctx[i][0] = dvc_validate_new(&dvc_alloc_std, schemas[i], NULL);
        ctx[i][1] = dvc_validate_new(&dvc_alloc_std, schemas[i], &tight);
        if (ctx[i][0] == NULL || ctx[i][1] == NULL) {
            abort();
        }
    }
    n_schemas = i;
    if (n_schemas == 0) {
        fprintf(stderr, "no schemas under %s/schemas/validate\n", FUZZ_DIR);
        abort();
    }
}

static int
run(dvc_validate_ctx_t *v, const uint8_t *doc, size_t len, size_t cut,
    dvc_buf_t *errors, size_t *offset, size_t *count)
{
    int     rc;
    size_t  i;

    dvc_validate_reset(v);
    rc = dvc_validate_feed(v, doc, cut);
    if (rc <= DVC_INVALID && cut < len) {
        rc = dvc_validate_feed(v, doc + cut, len - cut);
    }
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    *offset = dvc_validate_offset(v);
    if (*offset > len) {
        fprintf(stderr, "offset %zu past the document's %zu bytes\n",
                *offset, len);
        abort();
    }
    dvc_errors_to_json(errors, v);
    *count = dvc_validate_error_count(v);
    if (rc <= DVC_INVALID) {
        for (i = 0; i < dvc_validate_error_count(v); i++) {
            dvc_buf_printf(errors, " @%zu", dvc_validate_error(v, i)->offset);
        }
    }
    return rc;
}

/* Offset of the first byte that does not start a valid UTF-8 sequence
 * (len if none): the code point decoded and checked against its length's
 * range, surrogates and U+10FFFF, as RFC 3629 words it. */
static size_t
utf8_reference(const uint8_t *s, size_t len)
{
    size_t    i = 0, n, k;
    uint32_t  cp, min;

    while (i < len) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xE0) == 0xC0) {
            n = 2, cp = s[i] & 0x1F, min = 0x80;
        } else if ((s[i] & 0xF0) == 0xE0) {
            n = 3, cp = s[i] & 0x0F, min = 0x800;
        } else if ((s[i] & 0xF8) == 0xF0) {
            n = 4, cp = s[i] & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (len - i < n) {
            return i;
        }
        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return i;
            }
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return i;
        }
        i += n;
    }
    return len;
}

static int
hex4(const uint8_t *s, uint32_t *v)
{
    int  k;

    *v = 0;
    for (k = 0; k < 4; k++) {
        if (s[k] >= '0' && s[k] <= '9') {
            *v = *v << 4 | (uint32_t) (s[k] - '0');
        } else if ((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f') {
            *v = *v << 4 | (uint32_t) ((s[k] | 0x20) - 'a' + 10);
        } else {
            return 0;
        }
    }
    return 1;
}

/* Offset of the backslash of the first \u escape of a lone surrogate in the
 * raw text (len if none): a high one not followed by \u and a low one, or a
 * low one alone.  An escape yajl refuses (not four hex digits) is not one. */
static size_t
escape_reference(const uint8_t *s, size_t len)
{
    size_t    i = 0;
    uint32_t  hi, lo;

    while (i < len) {
        if (s[i] != '\\') {
            i++;
            continue;
        }
        if (i + 1 >= len || s[i + 1] != 'u') {
            i += 2;
            continue;
        }
        if (i + 6 > len || !hex4(s + i + 2, &hi)) {
            return len;             /* yajl's error, or the document's end */
        }
        if (hi >= 0xDC00 && hi <= 0xDFFF) {
            return i;
        }
        if (hi < 0xD800 || hi > 0xDBFF) {
            i += 6;
            continue;
        }
        if (i + 6 >= len) {
            return len;             /* the end comes first */
        }
        if (s[i + 6] != '\\' || (i + 7 < len && s[i + 7] != 'u')) {
            return i;
        }
        if (i + 12 > len || !hex4(s + i + 8, &lo)) {
            return len;
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
            return i;
        }
        i += 12;
    }
    return len;
}

static void
check_utf8(const char *how, int rc, size_t off, size_t n, size_t cap,
    size_t bad, size_t len)
{
    (void) n;
    (void) cap;
    /* a capped document too is read to its end */
    if ((rc == DVC_ERR_UTF8 && off != bad)
        || ((rc == DVC_VALID || rc == DVC_INVALID) && bad < len))
    {
        fprintf(stderr, "%s: status %d at %zu, but the first invalid UTF-8 "
                "or lone surrogate escape is at %zu of %zu\n", how, rc, off,
                bad, len);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int          loaded;
    dvc_validate_ctx_t *v;
    dvc_buf_t           e1, e2;
    size_t              len, cut, off1, off2, n1, n2, cap, bad, esc;
    const uint8_t      *doc;
    int                 rc1, rc2;

    if (!loaded) {
        load();
        loaded = 1;
    }
    if (size < 1) {
        return 0;
    }
    v = ctx[(data[0] & 0x1f) % n_schemas][data[0] >> 7];
    cap = (data[0] >> 7) ? TIGHT_MAX_ERRORS : 100;
    doc = data + 1;
    len = size - 1;
    cut = len ? (data[0] * 2654435761u + len) % (len + 1) : 0;

    dvc_buf_init(&e1, &dvc_alloc_std);
    dvc_buf_init(&e2, &dvc_alloc_std);
    rc1 = run(v, doc, len, len, &e1, &off1, &n1);
    rc2 = run(v, doc, len, cut, &e2, &off2, &n2);
    bad = utf8_reference(doc, len);
    esc = escape_reference(doc, len);
    bad = esc < bad ? esc : bad;
    check_utf8("whole", rc1, off1, n1, cap, bad, len);
    check_utf8("split", rc2, off2, n2, cap, bad, len);
    (void) cap;
    if (rc1 != rc2 || (rc1 <= DVC_INVALID && off1 != off2) || e1.len != e2.len
        || (e1.len && memcmp(e1.data, e2.data, e1.len) != 0))
    {
        fprintf(stderr, "whole: %d at %zu %.*s\nsplit at %zu: %d at %zu %.*s\n",
                rc1, off1, (int) e1.len, e1.data, cut, rc2, off2,
                (int) e2.len, e2.data);
        abort();
    }
    dvc_buf_free(&e1);
    dvc_buf_free(&e2);
    return 0;
}
