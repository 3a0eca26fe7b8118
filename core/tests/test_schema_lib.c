/* Schemas compiled with a library of shared documents (dvc_schema_lib_t):
 * the same answers as compiled alone, the shared nodes and patterns really
 * shared, failures kept, unevaluated* compiled alone.  The shipped schemas/
 * and examples/dossiers/ are read from the checkout root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dvc_procedure.h"
#include "dvc_schema.h"
#include "dvc_schema_int.h"

#define PERSON_ID  "https://dvc.example.gov.vn/procedures/common/p.json"

static const char *person =
    "{\"$id\":\"" PERSON_ID "\",\"$defs\":{"
    "\"name\":{\"type\":\"string\",\"minLength\":2,"
    "          \"pattern\":\"^[^0-9]+$\"},"
    "\"id\":{\"type\":\"string\",\"pattern\":\"^[0-9]{12}$\"},"
    "\"bad\":{\"type\":\"strnig\"}}}";

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long  n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    b = malloc((size_t) n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t) n, f), (size_t) n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t) n;
    return b;
}

/* The verdict and the errors' JSON of doc against s, as one string. */
static char *
answer(const dvc_schema_t *s, const char *doc, size_t len)
{
    dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    dvc_buf_t           b;
    char               *out;
    int                 rc;

    assert_non_null(v);
    rc = dvc_validate_feed(v, doc, len);
    if (rc == DVC_VALID) {
        rc = dvc_validate_finish(v);
    }
    dvc_buf_init(&b, &dvc_alloc_std);
    dvc_buf_printf(&b, "%d ", rc);
    dvc_errors_to_json(&b, v);
    assert_non_null(dvc_buf_cstr(&b));
    out = strdup(b.data);
    dvc_buf_free(&b);
    dvc_validate_free(v);
    return out;
}

static dvc_schema_lib_t *
lib_of(const dvc_procedures_t *set, const dvc_schema_options_t *opt)
{
    char              err[512];
    size_t            i;
    dvc_schema_lib_t *lib = dvc_schema_lib_new(&dvc_alloc_std, opt);

    assert_non_null(lib);
    for (i = 0; i < set->ncommon; i++) {
        if (dvc_schema_lib_add(lib, set->common[i].file_name,
                               set->common[i].raw, set->common[i].raw_len,
                               err, sizeof(err)) != 0)
        {
            fail_msg("%s", err);
        }
    }
    return lib;
}

/* Every shipped procedure, its example dossier and faulty variants of it:
 * byte for byte the same answer with the library as without. */
static void
test_same_answers(void **state)
{
    static const char *const swaps[][2] = {
        { "", "" },                                   /* the example */
        { "\"citizen_id\": \"", "\"citizen_id\": \"x" },
        { "\"full_name\": \"", "\"full_name\": \"1" },
        { "\"delivery\": \"", "\"delivery\": \"zz" },
        { "\"procedure\": \"", "\"procedure\": \"9" },
        { "{", "{\"extra\":1," },
        { "\"phone\": \"", "\"phone\": \"+" },
        { "\"date_of_birth\": \"", "\"date_of_birth\": \"1" },
    };
    char                  err[512], path[256], *doc, *a, *b, *mut;
    size_t                i, k, len, at, checked = 0;
    dvc_procedures_t     *set;
    dvc_schema_options_t  opt;
    dvc_schema_lib_t     *lib;
    dvc_schema_t         *alone, *shared;
    const char           *hit;

    (void) state;
    set = dvc_procedures_load_dir(&dvc_alloc_std, "schemas", err, sizeof(err));
    if (set == NULL) {
        fail_msg("%s", err);
    }
    assert_true(set->n >= 5 && set->ncommon >= 2);
    memset(&opt, 0, sizeof(opt));
    opt.base_dir = "schemas";
    lib = lib_of(set, &opt);

    for (i = 0; i < set->n; i++) {
        alone = dvc_schema_compile(&dvc_alloc_std, set->items[i]->raw,
                                   set->items[i]->raw_len, &opt, err,
                                   sizeof(err));
        assert_non_null(alone);
        shared = dvc_schema_compile_lib(lib, set->items[i]->raw,
                                        set->items[i]->raw_len, err,
                                        sizeof(err));
        if (shared == NULL) {
            fail_msg("%s: %s", set->items[i]->code, err);
        }
        snprintf(path, sizeof(path), "examples/dossiers/%s.json",
                 set->items[i]->code);
        doc = slurp(path, &len);
        for (k = 0; k < sizeof(swaps) / sizeof(swaps[0]); k++) {
            hit = swaps[k][0][0] ? strstr(doc, swaps[k][0]) : doc;
            if (hit == NULL) {
                continue;
            }
            at = (size_t) (hit - doc);
            mut = malloc(len + 32);
            assert_non_null(mut);
            memcpy(mut, doc, at);
            strcpy(mut + at, swaps[k][1]);
            strcat(mut, doc + at + strlen(swaps[k][0]));
            a = answer(alone, mut, strlen(mut));
            b = answer(shared, mut, strlen(mut));
            assert_string_equal(a, b);
            checked++;
            if (k == 0) {
                assert_string_equal(a, "0 []");   /* the examples are valid */
            }
            free(a);
            free(b);
            free(mut);
        }
        free(doc);
        dvc_schema_free(alone);
        dvc_schema_free(shared);
    }
    assert_true(checked >= 4 * set->n);
    dvc_schema_lib_free(lib);
    dvc_procedures_free(set);
}

static dvc_schema_t *
compile_lib(dvc_schema_lib_t *lib, const char *text)
{
    char          err[512];
    dvc_schema_t *s = dvc_schema_compile_lib(lib, text, strlen(text), err,
                                             sizeof(err));

    if (s == NULL) {
        fail_msg("%s", err);
    }
    return s;
}

/* The property "n"'s schema: a $ref to the library's node */
static const dvc_snode_t *
prop(const dvc_schema_t *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->root->nnames; i++) {
        if (strcmp(s->root->names[i].key, name) == 0) {
            return s->root->names[i].prop;
        }
    }
    fail_msg("no property %s", name);
    return NULL;
}

static void
test_shared_nodes_and_patterns(void **state)
{
    char              err[512];
    dvc_schema_lib_t *lib = dvc_schema_lib_new(&dvc_alloc_std, NULL);
    dvc_schema_t     *s1, *s2;
    char             *a;

    (void) state;
    assert_int_equal(dvc_schema_lib_add(lib, "/nowhere/common/p.json",
                                        person, strlen(person), err,
                                        sizeof(err)), 0);
    s1 = compile_lib(lib,
        "{\"$id\":\"https://dvc.example.gov.vn/procedures/a.json\","
        "\"properties\":{\"n\":{\"$ref\":\"common/p.json#/$defs/name\"},"
        "\"code\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}$\"}}}");
    s2 = compile_lib(lib,
        "{\"$id\":\"https://dvc.example.gov.vn/procedures/b.json\","
        "\"properties\":{\"n\":{\"$ref\":\"common/p.json#/$defs/name\"},"
        "\"k\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}$\"}}}");
    /* each schema has its own $ref node, both on one compiled definition */
    assert_ptr_not_equal(prop(s1, "n"), prop(s2, "n"));
    assert_non_null(prop(s1, "n")->ref);
    assert_ptr_equal(prop(s1, "n")->ref, prop(s2, "n")->ref);
    assert_non_null(prop(s1, "code")->pattern);
    assert_ptr_equal(prop(s1, "code")->pattern, prop(s2, "k")->pattern);
    /* and it answers with the shared document's locations */
    a = answer(s2, "{\"n\":\"x9\",\"k\":\"ab\"}", 19);
    assert_non_null(strstr(a, "\"keyword\":\"" PERSON_ID "#/$defs/name/pattern\""));
    assert_non_null(strstr(a, "\"keyword\":\"/properties/k/pattern\""));
    free(a);
    dvc_schema_free(s1);
    dvc_schema_free(s2);
    dvc_schema_lib_free(lib);
}

/* A shared definition that does not compile: the procedure reaching it
 * fails as it would alone, and so does every later one. */
static void
test_failure_kept(void **state)
{
    char              err[512], err2[512];
    dvc_schema_lib_t *lib = dvc_schema_lib_new(&dvc_alloc_std, NULL);
    const char       *bad =
        "{\"$id\":\"https://dvc.example.gov.vn/procedures/c.json\","
        "\"properties\":{\"b\":{\"$ref\":\"common/p.json#/$defs/bad\"}}}";
    const char       *good =
        "{\"$id\":\"https://dvc.example.gov.vn/procedures/d.json\","
        "\"properties\":{\"n\":{\"$ref\":\"common/p.json#/$defs/id\"}}}";

    (void) state;
    assert_int_equal(dvc_schema_lib_add(lib, "/nowhere/common/p.json",
                                        person, strlen(person), err,
                                        sizeof(err)), 0);
    assert_null(dvc_schema_compile_lib(lib, bad, strlen(bad), err,
                                       sizeof(err)));
    assert_non_null(strstr(err, "unknown type \"strnig\""));
    assert_null(dvc_schema_compile_lib(lib, good, strlen(good), err2,
                                       sizeof(err2)));
    assert_string_equal(err, err2);
    dvc_schema_lib_free(lib);
}

/* Two shared documents with one $id: refused, the library unusable. */
static void
test_add_twice(void **state)
{
    char              err[512];
    dvc_schema_lib_t *lib = dvc_schema_lib_new(&dvc_alloc_std, NULL);

    (void) state;
    assert_int_equal(dvc_schema_lib_add(lib, "/nowhere/common/p.json",
                                        person, strlen(person), err,
                                        sizeof(err)), 0);
    assert_int_equal(dvc_schema_lib_add(lib, "/nowhere/common/q.json",
                                        person, strlen(person), err,
                                        sizeof(err)), -1);
    assert_null(dvc_schema_compile_lib(lib, "{}", 2, err, sizeof(err)));
    dvc_schema_lib_free(lib);
}

/* unevaluatedProperties over a shared definition: compiled alone, the same
 * answers as without the library. */
static void
test_unevaluated(void **state)
{
    char                 err[512], *a, *b;
    dvc_schema_lib_t    *lib;
    dvc_schema_t        *s, *alone;
    FILE                *f;
    dvc_schema_options_t opt;
    const char          *text =
        "{\"$id\":\"https://dvc.example.gov.vn/procedures/e.json\","
        "\"allOf\":[{\"properties\":{\"n\":"
        "{\"$ref\":\"common/p.json#/$defs/name\"}}}],"
        "\"unevaluatedProperties\":false}";
    const char          *doc = "{\"n\":\"ab\",\"x\":1}";

    (void) state;
    /* compiled alone, the shared document is read from its file */
    assert_int_equal(system("mkdir -p build/tests/lib/common"), 0);
    f = fopen("build/tests/lib/common/p.json", "w");
    assert_non_null(f);
    fputs(person, f);
    fclose(f);
    memset(&opt, 0, sizeof(opt));
    opt.base_dir = "build/tests/lib";
    lib = dvc_schema_lib_new(&dvc_alloc_std, &opt);
    assert_int_equal(dvc_schema_lib_add(lib, "build/tests/lib/common/p.json",
                                        person, strlen(person), err,
                                        sizeof(err)), 0);
    s = compile_lib(lib, text);
    assert_int_equal(s->track, 1);
    a = answer(s, doc, strlen(doc));
    assert_non_null(strstr(a, "unevaluatedProperties"));
    alone = dvc_schema_compile(&dvc_alloc_std, text, strlen(text), &opt, err,
                               sizeof(err));
    if (alone == NULL) {
        fail_msg("%s", err);
    }
    b = answer(alone, doc, strlen(doc));
    assert_string_equal(a, b);
    free(a);
    free(b);
    dvc_schema_free(alone);
    dvc_schema_free(s);
    dvc_schema_lib_free(lib);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_answers),
        cmocka_unit_test(test_shared_nodes_and_patterns),
        cmocka_unit_test(test_failure_kept),
        cmocka_unit_test(test_add_twice),
        cmocka_unit_test(test_unevaluated),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
