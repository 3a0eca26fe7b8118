/*
 * Conformance runner: every case of JSON-Schema-Test-Suite files through
 * dvc_schema_compile + dvc_validate_feed/finish, as a user of the API would.
 *
 *   runner [-r REMOTES] [-m URI-PREFIX=DIR]... [-k KNOWN_FAILURES] [-o]
 *          [-s SEED_DIR] [-j RESULTS] FILE...
 *
 * -r maps http://localhost:1234/ (the suite's remotes), each -m one more URI
 * prefix to files (the official 2020-12 meta-schemas need none: they are
 * built in, core/dvc_metaschema.h).
 * Prints "<file>: P/T passed" per file, every unexpected failure, and a final
 * "N passed, M failed" line (known failures counted apart).  -o marks the
 * files as optional: their failures are reported but never fail the run.
 * -s writes every case as a fuzzing seed (SCHEMA NUL INSTANCE) into SEED_DIR.
 * -j writes one line per case into RESULTS, {"file":F,"group":G,"test":T,
 * "pass":0|1} (G, T: indices in the file), for t/conformance/compare.
 * Exit 1 if a case of a required file failed without being a known failure.
 * Each instance is fed whole and again split in two at every third byte
 * position, so buffer boundaries are exercised on the whole suite.  The
 * suite's rules apply (they are options of ours): format only annotates
 * outside optional/format/, strings compare code point by code point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_schema.h"
#include "dvc_schema_doc.h"

static void
serialize(dvc_buf_t *b, const dvc_sv_t *v)
{
    size_t i;

    switch (v->type) {
    case DVC_TOK_NULL:
        dvc_buf_puts(b, "null");
        break;
    case DVC_TOK_TRUE:
        dvc_buf_puts(b, "true");
        break;
    case DVC_TOK_FALSE:
        dvc_buf_puts(b, "false");
        break;
    case DVC_TOK_NUM:
        dvc_buf_append(b, v->s, v->len);
        break;
    case DVC_TOK_STR:
        dvc_buf_json_str(b, v->s, v->len);
        break;
    case DVC_TOK_ARR:
        dvc_buf_putc(b, '[');
        for (i = 0; i < v->n; i++) {
            if (i) {
                dvc_buf_putc(b, ',');
            }
            serialize(b, v->items[i]);
        }
        dvc_buf_putc(b, ']');
        break;
    default:
        dvc_buf_putc(b, '{');
        for (i = 0; i < v->n; i++) {
            if (i) {
                dvc_buf_putc(b, ',');
            }
            dvc_buf_json_str(b, v->keys[i], v->klens[i]);
            dvc_buf_putc(b, ':');
            serialize(b, v->items[i]);
        }
        dvc_buf_putc(b, '}');
        break;
    }
}

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long  n;

    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t) n + 1);
    if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t) n;
    return buf;
}

static const char *
base_name(const char *path)
{
    const char *p = strstr(path, "draft2020-12/");

    return p ? p + strlen("draft2020-12/") : path;
}

/* known-failures lines: "file|group|test  # reason" */
static int
is_known(const char *known, const char *file, const char *group,
    const char *test)
{
    char        key[2048];
    const char *p;
    size_t      n;

    if (known == NULL) {
        return 0;
    }
    n = (size_t) snprintf(key, sizeof(key), "%s|%s|%s", file, group, test);
    for (p = known; (p = strstr(p, key)) != NULL; p += n) {
        if ((p == known || p[-1] == '\n')
            && (p[n] == '\n' || p[n] == ' ' || p[n] == '\t' || p[n] == '\0'))
        {
            return 1;
        }
    }
    return 0;
}

/* A fuzzing seed: SCHEMA NUL INSTANCE (fuzz/fuzz_schema.c). */
static void
write_seed(const char *dir, long n, const dvc_sv_t *schema,
    const dvc_sv_t *data)
{
    char      path[4096];
    dvc_buf_t b;
    FILE     *f;

    snprintf(path, sizeof(path), "%s/suite-%05ld.json", dir, n);
    dvc_buf_init(&b, &dvc_alloc_std);
    serialize(&b, schema);
    dvc_buf_append(&b, "", 1);
    serialize(&b, data);
    f = fopen(path, "wb");
    if (f != NULL && !b.failed) {
        fwrite(b.data, 1, b.len, f);
    }
    if (f != NULL) {
        fclose(f);
    }
    dvc_buf_free(&b);
}

static int
run_one(const dvc_schema_t *s, dvc_validate_ctx_t *v, const char *text,
    size_t len, size_t split)
{
    int rc;

    dvc_validate_reset(v);
    rc = dvc_validate_feed(v, text, split);
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_feed(v, text + split, len - split);
    }
    if (rc <= DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    (void) s;
    return rc;
}

int
main(int argc, char **argv)
{
    const char          *remotes = NULL, *known_path = NULL, *seed_dir = NULL,
                        *results_path = NULL;
    FILE                *results = NULL;
    long                 nseeds = 0;
    char                *known = NULL, *text, err[512];
    int                  optional = 0, i, rc, expect, ok;
    size_t               len, g, t, klen, split;
    long                 passed = 0, failed = 0, known_failed = 0,
                         opt_failed = 0, req_passed = 0, req_total = 0;
    dvc_schema_options_t opt;
    dvc_schema_map_t     maps[8];
    size_t               nmaps = 0;
    char                *eq;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            remotes = argv[++i];
        } else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc) {
            known_path = argv[++i];
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            seed_dir = argv[++i];
        } else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
            results_path = argv[++i];
        } else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc
                   && (eq = strchr(argv[i + 1], '=')) != NULL
                   && nmaps < sizeof(maps) / sizeof(maps[0]))
        {
            *eq = '\0';
            maps[nmaps].prefix = argv[++i];
            maps[nmaps++].dir = eq + 1;
        } else if (strcmp(argv[i], "-o") == 0) {
            optional = 1;
        } else {
            fprintf(stderr, "runner: bad option %s\n", argv[i]);
            return 2;
        }
    }
    if (known_path != NULL) {
        known = slurp(known_path, &klen);
    }
    if (results_path != NULL && (results = fopen(results_path, "w")) == NULL) {
        fprintf(stderr, "runner: cannot write %s\n", results_path);
        return 2;
    }
    memset(&opt, 0, sizeof(opt));
    opt.remotes_dir = remotes;
    opt.maps = maps;
    opt.nmaps = nmaps;

    for (; i < argc; i++) {
        dvc_arena_t  ar = { &dvc_alloc_std, NULL, 0 };
        dvc_sv_t    *doc;
        long         fp = 0, ft = 0;
        const char  *file = base_name(argv[i]);

        /* the suite's own rules: format is an annotation except in
         * optional/format/, strings compare code point by code point */
        opt.format_annotation = strstr(argv[i], "/optional/format/") == NULL;
        opt.exact_strings = 1;
        text = slurp(argv[i], &len);
        if (text == NULL) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            return 2;
        }
        doc = dvc_doc_parse(&ar, text, len, err, sizeof(err));
        free(text);
        if (doc == NULL || doc->type != DVC_TOK_ARR) {
            fprintf(stderr, "%s: %s\n", argv[i], doc ? "not an array" : err);
            return 2;
        }
        for (g = 0; g < doc->n; g++) {
            dvc_sv_t           *grp = doc->items[g];
            dvc_sv_t           *desc = dvc_sv_get(grp, "description");
            dvc_sv_t           *tests = dvc_sv_get(grp, "tests");
            dvc_buf_t           sb;
            dvc_schema_t       *s;
            dvc_validate_ctx_t *v = NULL;

            dvc_buf_init(&sb, &dvc_alloc_std);
            serialize(&sb, dvc_sv_get(grp, "schema"));
            s = dvc_schema_compile(&dvc_alloc_std, sb.data, sb.len, &opt, err,
                                   sizeof(err));
            dvc_buf_free(&sb);
            if (s != NULL) {
                v = dvc_validate_new(&dvc_alloc_std, s, NULL);
            }
            for (t = 0; tests != NULL && t < tests->n; t++) {
                dvc_sv_t   *tc = tests->items[t];
                dvc_sv_t   *tdesc = dvc_sv_get(tc, "description");
                dvc_buf_t   ib;

                expect = dvc_sv_get(tc, "valid")->type == DVC_TOK_TRUE;
                ok = 0;
                rc = -1;
                if (seed_dir != NULL) {
                    write_seed(seed_dir, nseeds++, dvc_sv_get(grp, "schema"),
                               dvc_sv_get(tc, "data"));
                }
                if (v != NULL) {
                    dvc_buf_init(&ib, &dvc_alloc_std);
                    serialize(&ib, dvc_sv_get(tc, "data"));
                    rc = run_one(s, v, ib.data, ib.len, ib.len);
                    ok = (rc == DVC_VALID) == expect && rc <= DVC_INVALID;
                    for (split = 1; ok && split < ib.len; split += 3) {
                        int rc2 = run_one(s, v, ib.data, ib.len, split);

                        if (rc2 != rc) {
                            fprintf(stderr, "%s: split at %zu changes the "
                                    "verdict\n", file, split);
                            ok = 0;
                        }
                    }
                    dvc_buf_free(&ib);
                }
                ft++;
                if (results != NULL) {
                    fprintf(results, "{\"file\":\"%s\",\"group\":%zu,"
                            "\"test\":%zu,\"pass\":%d}\n", file, g, t, ok);
                }
                if (ok) {
                    fp++;
                    passed++;
                } else if (is_known(known, file, desc->s, tdesc->s)) {
                    known_failed++;
                } else {
                    if (optional) {
                        opt_failed++;
                    } else {
                        failed++;
                    }
                    printf("  FAIL %s | %s | %s: expected %s, got %s%s%s\n",
                           file, desc->s, tdesc->s,
                           expect ? "valid" : "invalid",
                           s == NULL ? "schema error: " : rc == DVC_VALID
                           ? "valid" : rc == DVC_INVALID ? "invalid"
                           : dvc_validate_status_code(rc),
                           s == NULL ? err : "", "");
                }
            }
            dvc_validate_free(v);
            dvc_schema_free(s);
        }
        printf("%s: %ld/%ld passed\n", file, fp, ft);
        if (strstr(argv[i], "/optional/") == NULL) {
            req_passed += fp;
            req_total += ft;
        }
        dvc_arena_free(&ar);
    }
    printf("required (outside optional/): %ld/%ld passed\n", req_passed,
           req_total);
    printf("%ld passed, %ld failed", passed, failed);
    if (known_failed) {
        printf(", %ld known failures", known_failed);
    }
    if (opt_failed) {
        printf(", %ld optional failures", opt_failed);
    }
    printf("\n");
    free(known);
    if (results != NULL && fclose(results) != 0) {
        fprintf(stderr, "runner: cannot write %s\n", results_path);
        return 2;
    }
    return failed ? 1 : 0;
}
