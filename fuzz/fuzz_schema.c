/*
 * libFuzzer target for the schema compiler and the streaming validator.
 *
 * Input: SCHEMA NUL INSTANCE compiles SCHEMA and validates INSTANCE; without
 * a NUL the whole input is an instance for a built-in schema that uses every
 * kind of keyword (combinators, unevaluated*, uniqueItems, patterns, formats,
 * $dynamicRef).  The instance is fed in two pieces split where the input
 * says, with small limits, and must give the same verdict fed whole.
 * The same schema compiled with a library (dvc_schema_lib_t, kept across
 * inputs, so its pattern cache and arena serve many schemas) must compile
 * or fail alike, with the same message, and answer the same, byte for byte.
 * `make fuzz` seeds the corpus from the official suite (conformance-runner -s).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE              /* strdup */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_schema.h"

static const char builtin[] =
    "{\"$defs\":{\"name\":{\"type\":\"string\",\"minLength\":2,"
    "\"maxLength\":40,\"pattern\":\"^[\\\\p{L} ]+$\"},"
    "\"node\":{\"$dynamicAnchor\":\"n\",\"type\":[\"object\",\"array\"],"
    "\"items\":{\"$dynamicRef\":\"#n\"}}},"
    "\"type\":\"object\",\"required\":[\"name\"],"
    "\"properties\":{\"name\":{\"$ref\":\"#/$defs/name\"},"
    "\"id\":{\"format\":\"vn-citizen-id\"},\"mail\":{\"format\":\"email\"},"
    "\"when\":{\"format\":\"date-time\"},"
    "\"n\":{\"type\":\"number\",\"multipleOf\":0.01,\"maximum\":1e20},"
    "\"tags\":{\"type\":\"array\",\"uniqueItems\":true,"
    "\"prefixItems\":[{\"const\":{\"a\":[1,\"x\"]}}],"
    "\"contains\":{\"enum\":[1,\"b\",[null]]},\"maxContains\":3},"
    "\"tree\":{\"$ref\":\"#/$defs/node\"}},"
    "\"patternProperties\":{\"^x-\":{\"not\":{\"type\":\"null\"}}},"
    "\"dependentSchemas\":{\"mail\":{\"required\":[\"id\"]}},"
    "\"if\":{\"properties\":{\"kind\":{\"const\":\"org\"}}},"
    "\"then\":{\"required\":[\"tax\"]},\"else\":{\"propertyNames\":"
    "{\"maxLength\":12}},"
    "\"anyOf\":[{\"minProperties\":2},{\"properties\":{\"z\":true}}],"
    "\"oneOf\":[{\"required\":[\"a\"]},{\"not\":{\"required\":[\"a\"]}}],"
    "\"unevaluatedProperties\":{\"type\":[\"string\",\"integer\"]}}";

/* The answer of s to the instance, whole: status, then the errors' JSON. */
static char *
answer(dvc_schema_t *s, const dvc_validate_limits_t *lim, const uint8_t *d,
    size_t n)
{
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, lim);
    dvc_buf_t           b;
    char               *a;
    int                 rc;

    if (v == NULL) {
        return NULL;
    }
    rc = dvc_validate_feed(v, d, n);
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_buf_printf(&b, "%d ", rc);
    dvc_errors_to_json(&b, v);
    a = dvc_buf_cstr(&b) ? strdup(b.data) : NULL;
    dvc_buf_free(&b);
    dvc_validate_free(v);
    return a;
}

/* The schema compiled with the library gives what s gives: the same
 * compile error, or the same answers. */
static void
same_with_lib(const dvc_schema_options_t *opt, const char *schema,
    size_t slen, dvc_schema_t *s, const char *err,
    const dvc_validate_limits_t *lim, const uint8_t *inst, size_t ilen)
{
    static dvc_schema_lib_t *lib;
    static unsigned          uses;
    static int               lib_fmt = -1, lib_exact = -1;
    char                     err2[256], *a, *b;
    dvc_schema_t            *ls;

    /* options are the library's: one per setting, renewed now and then so
     * its arena does not grow without end */
    if (lib == NULL || ++uses > 500 || lib_fmt != opt->format_annotation
        || lib_exact != opt->exact_strings)
    {
        dvc_schema_lib_free(lib);
        lib = dvc_schema_lib_new(&dvc_alloc_std, opt);
        if (lib == NULL) {
            return;
        }
        lib_fmt = opt->format_annotation;
        lib_exact = opt->exact_strings;
        uses = 0;
    }
    ls = dvc_schema_compile_lib(lib, schema, slen, err2, sizeof(err2));
    if ((ls == NULL) != (s == NULL)) {
        abort();   /* compiled one way and not the other */
    }
    if (ls == NULL) {
        if (strcmp(err, err2) != 0) {
            abort();
        }
        return;
    }
    a = answer(s, lim, inst, ilen);
    b = answer(ls, lim, inst, ilen);
    if (a != NULL && b != NULL && strcmp(a, b) != 0) {
        abort();   /* the library's nodes answer otherwise */
    }
    free(a);
    free(b);
    dvc_schema_free(ls);
}

static int
run(dvc_validate_ctx_t *v, const uint8_t *d, size_t n, size_t split)
{
    int rc;

    dvc_validate_reset(v);
    rc = dvc_validate_feed(v, d, split);
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_feed(v, d + split, n - split);
    }
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t         *nul = memchr(data, 0, size);
    const char            *schema = builtin;
    size_t                 slen = sizeof(builtin) - 1;
    const uint8_t         *inst = data;
    size_t                 ilen = size, i;
    char                   err[256];
    dvc_schema_options_t   opt;
    dvc_validate_limits_t  lim;
    dvc_schema_t          *s;
    dvc_validate_ctx_t    *v;
    dvc_buf_t              out;
    int                    rc1, rc2;

    if (nul != NULL) {
        schema = (const char *) data;
        slen = (size_t) (nul - data);
        inst = nul + 1;
        ilen = size - slen - 1;
    }
    memset(&opt, 0, sizeof(opt));
    opt.base_dir = "/nonexistent/dvc-fuzz";   /* no file reads */
    opt.format_annotation = size & 1;
    opt.exact_strings = (size >> 1) & 1;
    s = dvc_schema_compile(&dvc_alloc_std, schema, slen, &opt, err,
                           sizeof(err));
    dvc_validate_limits_default(&lim);
    lim.max_depth = 32;
    lim.max_items = 2000;
    lim.max_properties = 500;
    lim.max_errors = 20;
    same_with_lib(&opt, schema, slen, s, err, &lim, inst, ilen);
    if (s == NULL) {
        if (nul == NULL) {
            abort();   /* the built-in schema must always compile */
        }
        return 0;
    }
    v = dvc_validate_new(&dvc_alloc_std, s, &lim);
    if (v != NULL) {
        rc1 = run(v, inst, ilen, ilen);
        rc2 = run(v, inst, ilen, ilen ? (size_t) inst[0] % ilen : 0);
        if (rc1 != rc2) {
            abort();   /* a buffer boundary changed the verdict */
        }
        dvc_buf_init(&out, &dvc_alloc_std);
        dvc_errors_to_json(&out, v);
        for (i = 0; i < dvc_validate_error_count(v); i++) {
            if (dvc_validate_error(v, i)->path == NULL) {
                abort();
            }
        }
        dvc_buf_free(&out);
        dvc_validate_free(v);
    }
    dvc_schema_free(s);
    return 0;
}
