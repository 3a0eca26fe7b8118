/*
 * dvc validate [--spec [--format-assertion]] [--remotes DIR]
 *              [--map URI-PREFIX=DIR]... SCHEMA [INSTANCE]:
 * validates one document
 * (stdin when INSTANCE is absent), streamed in 64 KiB reads like nginx feeds
 * a request body.  Exit 0 valid, 1 invalid (violations as JSON on stdout),
 * 2 unusable schema or wrong call.  --spec: the specification's defaults
 * instead of ours (format an annotation, strings compared code point by code
 * point); --format-assertion then asserts format again (the suite's
 * optional/format/ files).  The 2020-12 meta-schemas are built in.
 *
 * dvc check-schemas DIR: compiles every *.json of DIR (what `nginx -t` runs).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_cli.h"
#include "dvc_schema.h"

static int
validate_stream(dvc_validate_ctx_t *v, FILE *in)
{
    char   buf[65536];
    size_t n;
    int    rc = DVC_VALID;

    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        rc = dvc_validate_feed(v, buf, n);
        if (rc != DVC_VALID) {
            break;
        }
    }
    if (rc == DVC_VALID || rc == DVC_INVALID) {
        rc = dvc_validate_finish(v);
    }
    return rc;
}

int
dvc_cmd_validate(int argc, char **argv)
{
    dvc_schema_options_t  opt;
    dvc_schema_t         *s;
    dvc_validate_ctx_t   *v;
    dvc_buf_t             out;
    FILE                 *in = stdin;
    char                  err[1024], *eq;
    int                   i = 1, rc, spec = 0, fmt_assert = 0;
    dvc_schema_map_t      maps[16];

    if (argc > 1 && strcmp(argv[1], "--dossier") == 0) {
        /* a whole dossier as the gateway judges it (dvc_dossier_cmd.c) */
        return dvc_cmd_validate_dossier(argc - 1, argv + 1);
    }
    memset(&opt, 0, sizeof(opt));
    opt.maps = maps;
    while (i + 1 < argc) {
        /* an option given twice is refused, never resolved by order */
        if (strcmp(argv[i], "--spec") == 0 && !spec) {
            spec = 1;
            i++;
            continue;
        }
        if (strcmp(argv[i], "--format-assertion") == 0 && !fmt_assert) {
            fmt_assert = 1;
            i++;
            continue;
        }
        if (strcmp(argv[i], "--remotes") == 0 && opt.remotes_dir == NULL) {
            opt.remotes_dir = argv[i + 1];
        } else if (strcmp(argv[i], "--map") == 0
                   && (eq = strchr(argv[i + 1], '=')) != NULL
                   && eq != argv[i + 1]
                   && opt.nmaps < sizeof(maps) / sizeof(maps[0]))
        {
            *eq = '\0';
            maps[opt.nmaps].prefix = argv[i + 1];
            maps[opt.nmaps++].dir = eq + 1;
        } else {
            break;
        }
        i += 2;
    }
    if (argc - i < 1 || argc - i > 2 || strncmp(argv[i], "--", 2) == 0
        || (fmt_assert && !spec))
    {
        fprintf(stderr, "usage: dvc validate [--spec [--format-assertion]] "
                "[--remotes DIR] [--map URI-PREFIX=DIR]... SCHEMA "
                "[INSTANCE]\n");
        return 2;
    }
    opt.format_annotation = spec && !fmt_assert;
    opt.exact_strings = spec;
    s = dvc_schema_compile_file(&dvc_alloc_std, argv[i], &opt, err,
                                sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "dvc validate: %s: %s\n", argv[i], err);
        return 2;
    }
    if (argc - i == 2 && strcmp(argv[i + 1], "-") != 0) {
        in = fopen(argv[i + 1], "rb");
        if (in == NULL) {
            fprintf(stderr, "dvc validate: %s: %s\n", argv[i + 1],
                    strerror(errno));
            dvc_schema_free(s);
            return 2;
        }
    }
    v = dvc_validate_new(&dvc_alloc_std, s, NULL);
    if (v == NULL) {
        fprintf(stderr, "dvc validate: out of memory\n");
        dvc_schema_free(s);
        return 2;
    }
    rc = validate_stream(v, in);
    if (in != stdin) {
        fclose(in);
    }
    if (rc != DVC_VALID) {
        dvc_buf_init(&out, &dvc_alloc_std);
        dvc_errors_to_json(&out, v);
        dvc_buf_putc(&out, '\n');
        fwrite(out.data, 1, out.len, stdout);
        dvc_buf_free(&out);
        if (rc != DVC_INVALID) {
            fprintf(stderr, "dvc validate: %s at byte %zu\n",
                    dvc_validate_status_code(rc), dvc_validate_offset(v));
        }
    }
    dvc_validate_free(v);
    dvc_schema_free(s);
    return rc == DVC_VALID ? 0 : 1;
}

int
dvc_cmd_check_schemas(int argc, char **argv)
{
    DIR           *d;
    struct dirent *e;
    char           path[4096], err[1024];
    size_t         len;
    int            bad = 0, n = 0;
    dvc_schema_t  *s;

    if (argc != 2) {
        fprintf(stderr, "usage: dvc check-schemas DIR\n");
        return 2;
    }
    d = opendir(argv[1]);
    if (d == NULL) {
        fprintf(stderr, "dvc check-schemas: %s: %s\n", argv[1],
                strerror(errno));
        return 2;
    }
    while ((e = readdir(d)) != NULL) {
        len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0
            || e->d_name[0] == '.')
        {
            continue;
        }
        if ((size_t) snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name)
            >= sizeof(path))
        {
            continue;
        }
        n++;
        s = dvc_schema_compile_file(&dvc_alloc_std, path, NULL, err,
                                    sizeof(err));
        if (s == NULL) {
            printf("%s: %s\n", path, err);
            bad = 1;
        } else {
            printf("%s: ok\n", path);
            dvc_schema_free(s);
        }
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "dvc check-schemas: no *.json in %s\n", argv[1]);
        return 2;
    }
    return bad ? 2 : 0;
}
