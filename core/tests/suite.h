/*
 * Reads the official JSON-Schema-Test-Suite files for unit tests of the
 * validator's support functions (numbers, formats, regex) while checking them
 * against the very cases the full validator must pass.  The suite lives in
 * ../shared/conformance/json-schema-test-suite (override with DVC_SUITE).
 */
#ifndef DVC_TEST_SUITE_H
#define DVC_TEST_SUITE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#define SUITE_DEFAULT "../shared/conformance/json-schema-test-suite"

static char *
suite_path(const char *rel)
{
    const char *root = getenv("DVC_SUITE");
    char       *p;
    size_t      n;

    if (root == NULL || *root == '\0') {
        root = SUITE_DEFAULT;
    }
    n = strlen(root) + strlen(rel) + 2;
    p = malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s/%s", root, rel);
    }
    return p;
}

/* Parses tests/draft2020-12/<rel>; NULL when the file cannot be read. */
static yajl_val
suite_load(const char *rel)
{
    char     *path = suite_path(rel), *text = NULL, err[256];
    FILE     *f;
    long      n;
    yajl_val  v = NULL;

    if (path == NULL || (f = fopen(path, "rb")) == NULL) {
        fprintf(stderr, "# cannot open %s\n", path ? path : rel);
        free(path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0
        && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t) n + 1)) != NULL
        && fread(text, 1, (size_t) n, f) == (size_t) n)
    {
        text[n] = '\0';
        v = yajl_tree_parse(text, err, sizeof(err));
        if (v == NULL) {
            fprintf(stderr, "# %s: %s\n", path, err);
        }
    }
    fclose(f);
    free(text);
    free(path);
    return v;
}

static yajl_val
suite_get(yajl_val obj, const char *key)
{
    size_t  i;

    if (!YAJL_IS_OBJECT(obj)) {
        return NULL;
    }
    for (i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0) {
            return obj->u.object.values[i];
        }
    }
    return NULL;
}

/*
 * A support function's verdict on one suite case: 1 valid, 0 invalid; it sets
 * *applies to 0 when the case tests something else (it is then not counted).
 */
typedef int (*suite_case_fn)(yajl_val schema, yajl_val data, int *applies);

/*
 * Runs every case of the files that fn applies to; each file must have at
 * least one such case and all of them must pass.  Prints the count per file
 * ("# FILE: N/N what cases") and each failing case's descriptions.
 */
static inline void
suite_check_files(const char *const *files, size_t nfiles, suite_case_fn fn,
    const char *what)
{
    size_t    f, g, t;
    int       applies, got, total, passed;
    yajl_val  doc, group, tests, tc;

    for (f = 0; f < nfiles; f++) {
        doc = suite_load(files[f]);
        assert_non_null(doc);
        passed = total = 0;
        for (g = 0; g < doc->u.array.len; g++) {
            group = doc->u.array.values[g];
            tests = suite_get(group, "tests");
            for (t = 0; tests && t < tests->u.array.len; t++) {
                tc = tests->u.array.values[t];
                got = fn(suite_get(group, "schema"), suite_get(tc, "data"),
                         &applies);
                if (!applies) {
                    continue;
                }
                total++;
                if (got == YAJL_IS_TRUE(suite_get(tc, "valid"))) {
                    passed++;
                } else {
                    print_error("# %s: %s / %s\n", files[f],
                                suite_get(group, "description")->u.string,
                                suite_get(tc, "description")->u.string);
                }
            }
        }
        print_message("# %s: %d/%d %s cases\n", files[f], passed, total, what);
        assert_true(total > 0);
        assert_int_equal(passed, total);
        yajl_tree_free(doc);
    }
}

#endif
