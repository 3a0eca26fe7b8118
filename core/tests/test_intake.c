/*
 * The dossier intake (dvc_intake.h), the verdict the gateway answers with:
 * - the same verdict, code, offset and answer bytes whatever the cuts of the
 *   body (whole, at every byte, in nginx-like pieces);
 * - the verdict of the procedure's schema alone (dvc_validate, as `dvc
 *   validate` runs it): the same refusal or acceptance, the same codes and
 *   paths, unless the gateway's own stricter rules (the scanner's duplicate
 *   members, the x-dvc documents) refuse a body the schema allows;
 * - 99, 100, 101 and 10,000 violations are all refused (the cap once turned
 *   invalid into valid), and every limit still holds after the cap.
 * Bodies are built on the shipped schemas/ (run from the checkout root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_intake.h"
#include "dvc_procedure.h"
#include "dvc_schema.h"

#define SCHEMAS "schemas"
#define MAXP    16

/* ------------------------------------------------------------ procedures */

typedef struct {
    dvc_procedures_t   *set;
    dvc_schema_t       *schemas[MAXP];
    dvc_validate_ctx_t *v[MAXP];
    int                 lent[MAXP];
} procs_t;

static procs_t  P;

static int
find(void *data, const char *code, size_t len, const dvc_procedure_t **proc,
    dvc_validate_ctx_t **v)
{
    procs_t *p = data;
    size_t   i;

    for (i = 0; i < p->set->n; i++) {
        if (p->set->items[i]->code_len == len
            && memcmp(p->set->items[i]->code, code, len) == 0)
        {
            assert_false(p->lent[i]);
            p->lent[i] = 1;
            *proc = p->set->items[i];
            *v = p->v[i];
            return 0;
        }
    }
    return 1;
}

static void
release(void *data, dvc_validate_ctx_t *v)
{
    procs_t *p = data;
    size_t   i;

    for (i = 0; i < p->set->n; i++) {
        if (p->v[i] == v) {
            assert_true(p->lent[i]);
            p->lent[i] = 0;
            dvc_validate_reset(v);
            return;
        }
    }
    fail_msg("released a validator that was never lent");
}

static const dvc_intake_procs_t  procs = { find, release, &P };

static int
setup(void **state)
{
    char                  err[1024];
    size_t                i;
    dvc_schema_options_t  opt;

    (void) state;
    P.set = dvc_procedures_load_dir(&dvc_alloc_std, SCHEMAS, err,
                                    sizeof(err));
    if (P.set == NULL || P.set->n > MAXP) {
        fprintf(stderr, "test_intake: %s\n", P.set ? "too many" : err);
        return -1;
    }
    memset(&opt, 0, sizeof(opt));
    opt.base_dir = SCHEMAS;
    for (i = 0; i < P.set->n; i++) {
        P.schemas[i] = dvc_schema_compile(&dvc_alloc_std,
                                          P.set->items[i]->raw,
                                          P.set->items[i]->raw_len, &opt,
                                          err, sizeof(err));
        if (P.schemas[i] == NULL) {
            fprintf(stderr, "test_intake: %s\n", err);
            return -1;
        }
        P.v[i] = dvc_validate_new(&dvc_alloc_std, P.schemas[i], NULL);
        if (P.v[i] == NULL) {
            return -1;
        }
    }
    return 0;
}

static int
teardown(void **state)
{
    size_t i;

    (void) state;
    for (i = 0; i < P.set->n; i++) {
        dvc_validate_free(P.v[i]);
        dvc_schema_free(P.schemas[i]);
    }
    dvc_procedures_free(P.set);
    return 0;
}

static const dvc_schema_t *
schema_of(const char *code)
{
    size_t i;

    for (i = 0; i < P.set->n; i++) {
        if (strcmp(P.set->items[i]->code, code) == 0) {
            return P.schemas[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ bodies */

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long  n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    text = malloc((size_t) n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    text[n] = '\0';
    *len = (size_t) n;
    return text;
}

/* {"procedure":"1.001193","zz0":0,...}: 4 `required` violations and one
 * `additionalProperties` per member, so n + 4 in all; the object is left
 * open for more members when open is set. */
static void
many(dvc_buf_t *b, size_t n, int open)
{
    size_t i;

    dvc_buf_puts(b, "{\"procedure\":\"1.001193\"");
    for (i = 0; i < n; i++) {
        dvc_buf_printf(b, ",\"zz%zu\":%zu", i, i);
    }
    if (!open) {
        dvc_buf_putc(b, '}');
    }
}

static void
repeat(dvc_buf_t *b, const char *s, size_t n)
{
    while (n--) {
        dvc_buf_puts(b, s);
    }
}

/* ------------------------------------------------------------ verdicts */

typedef struct {
    dvc_intake_outcome_t  outcome;
    char                  code[64];
    size_t                offset;
    size_t                nviolations;
    dvc_buf_t             answer;
} result_t;

/* Feeds body in the pieces that end at cuts[0..ncuts) and then at its end. */
static void
judge_batch(const char *body, size_t len, const size_t *cuts, size_t ncuts,
    size_t batch, result_t *r)
{
    dvc_intake_t         *in;
    dvc_buf_t             raw;
    dvc_intake_verdict_t  vd;
    size_t                at = 0, i;

    in = dvc_intake_new(&dvc_alloc_std);
    assert_non_null(in);
    if (batch) {
        dvc_intake_set_batch(in, batch);
    }
    dvc_buf_init(&raw, &dvc_alloc_std);
    dvc_buf_init(&r->answer, &dvc_alloc_std);
    dvc_intake_begin(in, &raw, 0, &procs);
    for (i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;

        assert_int_equal(dvc_intake_feed(in, body + at, to - at), 0);
        at = to;
    }
    dvc_intake_finish(in);
    assert_int_equal(dvc_intake_verdict(in, &vd, &r->answer), 0);
    r->outcome = vd.outcome;
    snprintf(r->code, sizeof(r->code), "%s", vd.code ? vd.code : "");
    r->offset = vd.offset;
    r->nviolations = vd.nviolations;
    /* what the gateway stores is exactly what came */
    assert_int_equal(raw.len, len);
    assert_memory_equal(raw.data, body, len);
    dvc_buf_free(&raw);
    dvc_intake_free(in);
}

/* the gateway's batches (16 KiB) */
static void
judge(const char *body, size_t len, const size_t *cuts, size_t ncuts,
    result_t *r)
{
    judge_batch(body, len, cuts, ncuts, 0, r);
}

/* The answer without its "offset" member. */
static size_t
without_offset(const dvc_buf_t *b, char *out, size_t max)
{
    const char *p = b->len ? memmem(b->data, b->len, "\"offset\":", 9) : NULL;
    size_t      n = 0, i = 0;

    while (i < b->len && n < max) {
        if (p != NULL && b->data + i == p) {
            i += strlen("\"offset\":");
            while (i < b->len && b->data[i] >= '0' && b->data[i] <= '9') {
                i++;
            }
            continue;
        }
        out[n++] = b->data[i++];
    }
    return n;
}

/*
 * exact: the same offset and answer bytes.  Else (the parsers fed every
 * cut, batch 1) the offset of a syntax error may move by a token: yajl
 * reports a token cut by a buffer's end where the next buffer completes it
 * (fuzz/regressions/validate/syntax-offset-split); all else is the same.
 */
static void
assert_same_as(const result_t *a, const result_t *b, const char *name,
    size_t cut, int exact)
{
    static char  x[1 << 16], y[1 << 16];
    int          loose;
    size_t       nx, ny;

    loose = !exact && (strcmp(a->code, "json_syntax") == 0
                       || strcmp(a->code, "json_incomplete") == 0);
    if (loose && a->outcome == b->outcome && strcmp(a->code, b->code) == 0) {
        nx = without_offset(&a->answer, x, sizeof(x));
        ny = without_offset(&b->answer, y, sizeof(y));
        if (nx == ny && memcmp(x, y, nx) == 0) {
            return;
        }
    }
    if (a->outcome != b->outcome || strcmp(a->code, b->code) != 0
        || a->offset != b->offset || a->answer.len != b->answer.len
        || memcmp(a->answer.data, b->answer.data, a->answer.len) != 0)
    {
        fail_msg("%s: cut at %zu: outcome %d %s@%zu (%zu bytes) whole, "
                 "%d %s@%zu (%zu bytes) cut", name, cut, a->outcome, a->code,
                 a->offset, a->answer.len, b->outcome, b->code, b->offset,
                 b->answer.len);
    }
}

static void
assert_same(const result_t *a, const result_t *b, const char *name,
    size_t cut)
{
    assert_same_as(a, b, name, cut, 1);
}

/* The same verdict whole, cut once at every byte (at 509 places past 8 KiB,
 * 7 past 1 MiB),
 * and in nginx-like pieces of pseudo-random sizes. */
static void
check_cuts(const char *name, const char *body, size_t len, result_t *whole)
{
    result_t  r;
    size_t    cut, step, cuts[4096] = { 0 }, n, at;
    unsigned  seed = 12345;

    judge(body, len, NULL, 0, whole);
    step = len <= 8192 ? 1 : len <= (1 << 20) ? len / 509 + 1 : len / 7;
    for (cut = 1; cut < len; cut += step) {
        judge(body, len, &cut, 1, &r);
        assert_same(whole, &r, name, cut);
        dvc_buf_free(&r.answer);
    }
    for (n = 0, at = 0; n < 4096; n++) {
        seed = seed * 1103515245u + 12345u;
        at += 1 + (seed >> 8) % 20000;
        if (at >= len) {
            break;
        }
        cuts[n] = at;
    }
    judge(body, len, cuts, n, &r);
    assert_same(whole, &r, name, 0);
    dvc_buf_free(&r.answer);

    /* and each cut straight to the parsers, as its own buffer */
    for (cut = 1; len <= 8192 && cut < len; cut++) {
        judge_batch(body, len, &cut, 1, 1, &r);
        assert_same_as(whole, &r, name, cut, 0);
        dvc_buf_free(&r.answer);
    }
    if (len <= (1 << 20)) {
        judge_batch(body, len, cuts, n, 1, &r);
        assert_same_as(whole, &r, name, 0, 0);
        dvc_buf_free(&r.answer);
    }
}

/* The schema alone, as `dvc validate` runs it: status and its errors. */
static int
plain(const char *code, const char *body, size_t len, dvc_buf_t *errors)
{
    dvc_validate_ctx_t *v;
    int                 rc;

    v = dvc_validate_new(&dvc_alloc_std, schema_of(code), NULL);
    assert_non_null(v);
    rc = dvc_validate_feed(v, body, len);
    if (rc == DVC_VALID) {
        rc = dvc_validate_finish(v);
    }
    dvc_buf_init(errors, &dvc_alloc_std);
    dvc_errors_to_json(errors, v);
    dvc_validate_free(v);
    return rc;
}

/*
 * The intake's verdict against the schema's.  gateway_only: the code by
 * which the gateway alone may refuse this body (NULL: none may).
 */
static void
check_plain(const char *name, const char *code, const char *body, size_t len,
    const result_t *r, const char *gateway_only)
{
    dvc_buf_t  errors;
    int        rc;
    size_t     n;

    rc = plain(code, body, len, &errors);
    if (gateway_only != NULL && strcmp(r->code, gateway_only) == 0) {
        dvc_buf_free(&errors);
        return;
    }
    switch (rc) {
    case DVC_VALID:
        if (r->outcome != DVC_INTAKE_VALID) {
            fail_msg("%s: valid by the schema, intake outcome %d %s", name,
                     r->outcome, r->code);
        }
        break;
    case DVC_INVALID:
        if (r->outcome != DVC_INTAKE_INVALID) {
            fail_msg("%s: invalid by the schema, intake outcome %d %s", name,
                     r->outcome, r->code);
        }
        /* the same violations, in the same order: the schema's list is
         * the answer's, before the document checks */
        n = strlen("{\"error\":\"validation_failed\",\"violations\":");
        assert_true(r->answer.len > n + errors.len - 1);
        if (memcmp(r->answer.data + n, errors.data, errors.len - 1) != 0) {
            fail_msg("%s: violations differ from the schema's", name);
        }
        break;
    default:
        if (r->outcome != DVC_INTAKE_MALFORMED
            || strcmp(r->code, dvc_validate_status_code(rc)) != 0)
        {
            fail_msg("%s: %s by the schema, intake outcome %d %s", name,
                     dvc_validate_status_code(rc), r->outcome, r->code);
        }
    }
    dvc_buf_free(&errors);
}

static void
expect(const char *name, dvc_buf_t *b, dvc_intake_outcome_t outcome,
    const char *code, size_t nviolations, const char *gateway_only)
{
    result_t r;

    assert_false(b->failed);
    check_cuts(name, b->data, b->len, &r);
    if (r.outcome != outcome || (code && strcmp(r.code, code) != 0)
        || (nviolations && r.nviolations != nviolations))
    {
        fail_msg("%s: outcome %d %s %zu, expected %d %s %zu", name,
                 r.outcome, r.code, r.nviolations, outcome, code ? code : "",
                 nviolations);
    }
    check_plain(name, "1.001193", b->data, b->len, &r, gateway_only);
    dvc_buf_free(&r.answer);
    dvc_buf_reset(b);
}

/* ------------------------------------------------------------ tests */

/* 99, 100, 101 and 10,000 violations: each refused with its list (the cap
 * keeps 100), never accepted. */
static void
test_violations_around_the_cap(void **state)
{
    dvc_buf_t b;

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);
    many(&b, 95, 0);
    expect("99 violations", &b, DVC_INTAKE_INVALID, NULL, 99, NULL);
    many(&b, 96, 0);
    expect("100 violations", &b, DVC_INTAKE_INVALID, NULL, 100, NULL);
    many(&b, 97, 0);
    expect("101 violations", &b, DVC_INTAKE_INVALID, NULL, 100, NULL);
    many(&b, 9996, 0);
    expect("10,000 violations", &b, DVC_INTAKE_INVALID, NULL, 100, NULL);
    dvc_buf_free(&b);
}

/* After the cap every limit, syntax and UTF-8 still hold, as before it. */
static void
test_limits_after_the_cap(void **state)
{
    dvc_buf_t b;

    (void) state;
    dvc_buf_init(&b, &dvc_alloc_std);

    many(&b, 200, 1);
    dvc_buf_puts(&b, ",\"s\":\"");
    repeat(&b, "x", 1024 * 1024 + 1);
    dvc_buf_puts(&b, "\"}");
    expect("a string over 1 MiB after the cap", &b, DVC_INTAKE_MALFORMED,
           "limit_string", 0, NULL);

    many(&b, 200, 1);
    dvc_buf_puts(&b, ",\"s\":\"");
    repeat(&b, "0123456789", 1024 * 1024);
    dvc_buf_puts(&b, "\"}");
    expect("a 10 MB string after the cap", &b, DVC_INTAKE_MALFORMED,
           "limit_string", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"o\":{\"k0\":0");
    for (size_t i = 1; i <= 10000; i++) {
        dvc_buf_printf(&b, ",\"k%zu\":0", i);
    }
    dvc_buf_puts(&b, "}}");
    expect("10,001 members after the cap", &b, DVC_INTAKE_MALFORMED,
           "limit_properties", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"a\":[0");
    repeat(&b, ",0", 100000);
    dvc_buf_puts(&b, "]}");
    expect("100,001 items after the cap", &b, DVC_INTAKE_MALFORMED,
           "limit_items", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"d\":");
    repeat(&b, "[", 70);
    repeat(&b, "]", 70);
    dvc_buf_puts(&b, "}");
    expect("nesting 70 deep after the cap", &b, DVC_INTAKE_MALFORMED,
           "limit_depth", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"x\":tru}");
    expect("a syntax error after the cap", &b, DVC_INTAKE_MALFORMED,
           "json_syntax", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"x\":\"\xc0\xaf\"}");
    expect("an overlong UTF-8 sequence after the cap", &b,
           DVC_INTAKE_MALFORMED, "json_utf8", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"x\":\"\\udc00\"}");
    expect("a lone surrogate escape after the cap", &b,
           DVC_INTAKE_MALFORMED, "json_utf8", 0, NULL);

    many(&b, 120, 0);
    dvc_buf_puts(&b, " x");
    expect("garbage after the cap's document", &b, DVC_INTAKE_MALFORMED,
           "json_syntax", 0, NULL);

    many(&b, 120, 0);
    dvc_buf_puts(&b, "{}");
    expect("a second document after the cap", &b, DVC_INTAKE_MALFORMED,
           "json_syntax", 0, NULL);

    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"x\":[1,2");
    expect("a body that ends after the cap", &b, DVC_INTAKE_MALFORMED,
           "json_incomplete", 0, NULL);

    many(&b, 120, 1);
    for (size_t i = 0; i < 17; i++) {
        dvc_buf_printf(&b, ",\"big%zu\":\"", i);
        repeat(&b, "y", 1000000);
        dvc_buf_putc(&b, '"');
    }
    dvc_buf_puts(&b, "}");
    expect("over 16 MiB after the cap", &b, DVC_INTAKE_MALFORMED,
           "limit_size", 0, NULL);

    /* the gateway's own rule: a member it reads, given twice */
    many(&b, 120, 1);
    dvc_buf_puts(&b, ",\"procedure\":\"1.001612\"}");
    expect("procedure given twice after the cap", &b, DVC_INTAKE_MALFORMED,
           "json_duplicate_key", 0, "json_duplicate_key");

    dvc_buf_free(&b);
}

/* The shipped example dossiers: valid, whole and cut; and the 1.001612
 * example broken in the ways the issue found accepted. */
static void
test_examples(void **state)
{
    static const char *codes[] = {
        "1.001193", "1.001612", "1.002820", "1.009994", "2.000488"
    };
    char       path[256], *text, *p;
    size_t     i, len;
    result_t   r;
    dvc_buf_t  b, errors;

    (void) state;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        snprintf(path, sizeof(path), "examples/dossiers/%s.json", codes[i]);
        text = read_file(path, &len);
        check_cuts(path, text, len, &r);
        assert_int_equal(r.outcome, DVC_INTAKE_VALID);
        check_plain(path, codes[i], text, len, &r, NULL);
        dvc_buf_free(&r.answer);
        free(text);
    }

    text = read_file("examples/dossiers/1.001612.json", &len);
    dvc_buf_init(&b, &dvc_alloc_std);

    /* "employees":"ba" plus 99 unknown members of the form */
    p = strstr(text, "\"employees\"");
    assert_non_null(p);
    dvc_buf_append(&b, text, (size_t) (p - text));
    dvc_buf_puts(&b, "\"employees\":\"ba\",");
    for (i = 0; i < 99; i++) {
        dvc_buf_printf(&b, "\"u%zu\":1,", i);
    }
    dvc_buf_puts(&b, "\"employees2\":1,");
    p = strchr(p, ',');
    assert_non_null(p);
    dvc_buf_append(&b, p + 1, len - (size_t) (p + 1 - text));
    check_cuts("1.001612 with 101 violations", b.data, b.len, &r);
    assert_int_equal(r.outcome, DVC_INTAKE_INVALID);
    assert_int_equal(r.nviolations, 100);
    check_plain("1.001612 with 101 violations", "1.001612", b.data, b.len,
                &r, NULL);
    assert_int_equal(plain("1.001612", b.data, b.len, &errors), DVC_INVALID);
    dvc_buf_free(&errors);
    dvc_buf_free(&r.answer);

    /* 200,000 members in form: limit_properties */
    dvc_buf_reset(&b);
    p = strstr(text, "\"form\"");
    assert_non_null(p);
    p = strchr(p, '{');
    dvc_buf_append(&b, text, (size_t) (p + 1 - text));
    for (i = 0; i < 200000; i++) {
        dvc_buf_printf(&b, "\"m%zu\":0,", i);
    }
    dvc_buf_append(&b, p + 1, len - (size_t) (p + 1 - text));
    check_cuts("200,000 members in form", b.data, b.len, &r);
    assert_int_equal(r.outcome, DVC_INTAKE_MALFORMED);
    assert_string_equal(r.code, "limit_properties");
    check_plain("200,000 members in form", "1.001612", b.data, b.len, &r,
                NULL);
    dvc_buf_free(&r.answer);

    dvc_buf_free(&b);
    free(text);
}

/* The answers of the other outcomes, and a verdict asked twice. */
static void
test_outcomes(void **state)
{
    result_t r;

    (void) state;
    judge("{\"procedure\":\"9.999999\"}", 24, NULL, 0, &r);
    assert_int_equal(r.outcome, DVC_INTAKE_UNKNOWN_PROCEDURE);
    assert_int_equal(r.answer.len, 0);
    dvc_buf_free(&r.answer);

    judge("{\"form\":{}}", 11, NULL, 0, &r);
    assert_int_equal(r.outcome, DVC_INTAKE_NO_PROCEDURE);
    assert_non_null(memmem(r.answer.data, r.answer.len,
                           "\"path\":\"/procedure\"", 19));
    dvc_buf_free(&r.answer);

    judge("", 0, NULL, 0, &r);
    assert_int_equal(r.outcome, DVC_INTAKE_MALFORMED);
    dvc_buf_free(&r.answer);

    judge("{\"procedure\":\"1.001193\",}", 25, NULL, 0, &r);
    assert_int_equal(r.outcome, DVC_INTAKE_MALFORMED);
    assert_string_equal(r.code, "json_syntax");
    assert_non_null(memmem(r.answer.data, r.answer.len,
                           "\"error\":\"json_syntax\"", 21));
    dvc_buf_free(&r.answer);
}

/* A repeated member the gateway reads is refused at the repeated key's
 * first character, however the body is cut or the key spelled, and before
 * a fault that follows the key (fuzz/regressions/intake/
 * duplicate-key-cut-before-utf8: cut inside the key, it used to lose to
 * the invalid UTF-8 right after it). */
static void
test_duplicate_keys(void **state)
{
    static const struct {
        const char *body;
        const char *key;       /* the repeated key, as spelled */
    } cases[] = {
        { "{\"procedure\":\"1.001193\",\"zz0\":0,\"procedure\"\xbb\xa5 }",
          "\"procedure\"\xbb" },
        { "{\"procedure\":\"1.001193\",\"proc\\u0065dure\":\"x\"}",
          "\"proc\\u0065" },
        { "{\"procedure\":\"1.001193\",\"applicant\":{\"phone\":\"1\","
          "\"phone\":\"2\"}}", "\"phone\":\"2" },
    };
    result_t  r;
    size_t    i;
    char      name[32];

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(name, sizeof(name), "duplicate %zu", i);
        check_cuts(name, cases[i].body, strlen(cases[i].body), &r);
        assert_int_equal(r.outcome, DVC_INTAKE_MALFORMED);
        assert_string_equal(r.code, "json_duplicate_key");
        assert_int_equal(r.offset,
                         strstr(cases[i].body, cases[i].key)
                         - cases[i].body + 1);
        dvc_buf_free(&r.answer);
    }
}

/* A body longer than max is read and dropped: 413, nothing parsed. */
static void
test_too_large(void **state)
{
    dvc_intake_t         *in;
    dvc_buf_t             raw;
    dvc_intake_verdict_t  vd;

    (void) state;
    in = dvc_intake_new(&dvc_alloc_std);
    dvc_buf_init(&raw, &dvc_alloc_std);
    dvc_intake_begin(in, &raw, 10, &procs);
    assert_int_equal(dvc_intake_feed(in, "{\"procedure\"", 12), 0);
    dvc_intake_finish(in);
    assert_int_equal(dvc_intake_verdict(in, &vd, NULL), 0);
    assert_int_equal(vd.outcome, DVC_INTAKE_TOO_LARGE);
    assert_int_equal(raw.len, 0);
    dvc_intake_reset(in);

    /* the intake is ready for the next body */
    dvc_buf_reset(&raw);
    dvc_intake_begin(in, &raw, 0, &procs);
    assert_int_equal(dvc_intake_feed(in, "{}", 2), 0);
    dvc_intake_finish(in);
    assert_int_equal(dvc_intake_verdict(in, &vd, NULL), 0);
    assert_int_equal(vd.outcome, DVC_INTAKE_NO_PROCEDURE);
    dvc_intake_free(in);
    dvc_buf_free(&raw);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_violations_around_the_cap),
        cmocka_unit_test(test_limits_after_the_cap),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_outcomes),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_too_large),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
