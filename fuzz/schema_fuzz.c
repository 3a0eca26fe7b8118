/*
 * libFuzzer target: the schema compiler on arbitrary text, then the compiled
 * schema on a few small instances.  Schemas are trusted configuration, but a
 * typo'd or hostile one must be refused with a message, never crash the
 * configuration load (nginx -t) or the workers that validate against it.
 * The input's length picks the options (format asserted or not, NFC or exact
 * strings) so both paths of each are compiled.  Relative $refs resolve under
 * fuzz/schemas/validate/ (files that exist), no remotes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_schema.h"

#ifndef FUZZ_DIR
#error "build with -DFUZZ_DIR=\"path/to/fuzz\""
#endif

static const char *instances[] = {
    "null", "true", "0", "-1.5e300", "12345678901234567890", "\"\"",
    "\"Nguy\xe1\xbb\x85n V\xc4\x83n H\xc3\xb9ng\"", "\"2026-11-22T00:00:00Z\"",
    "[]", "[1,\"a\",null,[1],{\"a\":1}]", "[1,1]", "{}",
    "{\"foo\":1,\"bar\":\"x\",\"baz\":[{}],\"a\":{\"b\":{\"c\":[]}}}",
    "{\"procedure\":\"1.000001\",\"documents\":[{\"kind\":\"x\"}]}",
};

static int
validate(const dvc_schema_t *s, const char *doc, size_t len)
{
    dvc_validate_ctx_t *v;
    dvc_buf_t           b;
    int                 rc;

    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    if (v == NULL) {
        return -1;
    }
    rc = dvc_validate_feed(v, doc, len);
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_errors_to_json(&b, v);
    dvc_buf_free(&b);
    dvc_validate_free(v);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  err[512];
    char                 *text;
    dvc_schema_t         *s;
    dvc_schema_options_t  opt;
    size_t                i;
    int                   rc;

    /* an exact-size copy: reading past the text is an ASan error */
    text = malloc(size ? size : 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    memset(&opt, 0, sizeof(opt));
    opt.base_dir = FUZZ_DIR "/schemas/validate";
    opt.format_annotation = size & 1;
    opt.exact_strings = (size >> 1) & 1;
    err[0] = '\0';
    s = dvc_schema_compile(&dvc_alloc_std, text, size, &opt, err, sizeof(err));
    if (s == NULL) {
        if (err[0] == '\0') {
            fprintf(stderr, "compile refused the schema without a message\n");
            abort();
        }
    } else {
        for (i = 0; i < sizeof(instances) / sizeof(instances[0]); i++) {
            rc = validate(s, instances[i], strlen(instances[i]));
            if (rc != DVC_VALID && rc != DVC_INVALID) {
                fprintf(stderr, "instance %s: status %d\n", instances[i], rc);
                abort();
            }
        }
        dvc_schema_free(s);
    }
    free(text);
    return 0;
}
