/*
 * dvc validate --dossier DIR [--max BYTES] [BODY...]: judges dossier bodies
 * exactly as the gateway does when one is submitted (core's intake,
 * dvc_intake.h: the procedure the body names among DIR's, as nginx's
 * dvc_schemas DIR loads them, the dossier scanner, the schema, the x-dvc
 * documents), each streamed in 64 KiB reads (stdin when no BODY is given).
 * Prints one line of JSON per body:
 *   {"verdict":"valid","procedure":"1.001193"}
 *   {"verdict":"refused","status":422,"answer":{...the gateway's body...}}
 * where the answer of a 400 or 422 is byte for byte the gateway's, and that
 * of a 404, 413 or 500 is its error code.  Exit 0 when every body is valid,
 * 1 when one is refused, 2 on a wrong call or unusable DIR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_cli.h"
#include "dvc_intake.h"
#include "dvc_procedure.h"
#include "dvc_schema.h"

typedef struct {
    const char          *dir;
    dvc_procedures_t    *set;
    dvc_schema_t       **schemas;       /* compiled on first use */
    dvc_validate_ctx_t **validators;
    size_t               cur;
    char                 err[1024];
    int                  broken;        /* a schema failed to compile */
} dossier_procs_t;

static int
procs_find(void *data, const char *code, size_t len,
    const dvc_procedure_t **proc, dvc_validate_ctx_t **v)
{
    dossier_procs_t       *dp = data;
    dvc_schema_options_t   opt;
    const dvc_procedure_t *p;
    size_t                 i;

    p = dvc_procedures_find(dp->set, code, len);
    if (p == NULL) {
        return 1;
    }
    for (i = 0; dp->set->items[i] != p; i++) {
        /* its index */
    }
    if (dp->schemas[i] == NULL) {
        memset(&opt, 0, sizeof(opt));
        opt.base_dir = dp->dir;
        dp->schemas[i] = dvc_schema_compile(&dvc_alloc_std, p->raw,
                                            p->raw_len, &opt, dp->err,
                                            sizeof(dp->err));
        if (dp->schemas[i] == NULL) {
            /* nginx -t would have refused the directory */
            fprintf(stderr, "dvc validate: %s: %s\n", p->file_name, dp->err);
            dp->broken = 1;
            return 1;
        }
    }
    if (dp->validators[i] == NULL) {
        dp->validators[i] = dvc_validate_new(&dvc_alloc_std, dp->schemas[i],
                                             NULL);
        if (dp->validators[i] == NULL) {
            return -1;
        }
    }
    dp->cur = i;
    *proc = p;
    *v = dp->validators[i];
    return 0;
}

static void
procs_release(void *data, dvc_validate_ctx_t *v)
{
    (void) data;
    dvc_validate_reset(v);
}

static void
procs_free(dossier_procs_t *dp)
{
    size_t i;

    for (i = 0; dp->set != NULL && i < dp->set->n; i++) {
        dvc_validate_free(dp->validators[i]);
        dvc_schema_free(dp->schemas[i]);
    }
    free(dp->validators);
    free(dp->schemas);
    dvc_procedures_free(dp->set);
}

/* The status and error code the gateway answers for the outcome. */
static int
outcome_status(dvc_intake_outcome_t o, const char **error)
{
    switch (o) {
    case DVC_INTAKE_MALFORMED:
        return 400;
    case DVC_INTAKE_UNKNOWN_PROCEDURE:
        *error = "unknown_procedure";
        return 404;
    case DVC_INTAKE_NO_PROCEDURE:
    case DVC_INTAKE_INVALID:
        return 422;
    case DVC_INTAKE_TOO_LARGE:
        *error = "body_too_large";
        return 413;
    default:
        *error = "internal_error";
        return 500;
    }
}

/* One body: 0 valid, 1 refused, 2 unreadable. */
static int
judge(dvc_intake_t *in, const dvc_intake_procs_t *procs, size_t max,
    const char *path)
{
    FILE                 *f = stdin;
    char                  buf[65536];
    size_t                n;
    int                   rc;
    const char           *error = NULL;
    dvc_buf_t             body, answer, line;
    dvc_intake_verdict_t  vd;

    if (path != NULL && strcmp(path, "-") != 0) {
        f = fopen(path, "rb");
        if (f == NULL) {
            fprintf(stderr, "dvc validate: %s: %s\n", path, strerror(errno));
            return 2;
        }
    }
    dvc_buf_init(&body, &dvc_alloc_std);
    dvc_buf_init(&answer, &dvc_alloc_std);
    dvc_buf_init(&line, &dvc_alloc_std);
    dvc_intake_begin(in, &body, max, procs);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (dvc_intake_feed(in, buf, n) != 0) {
            break;
        }
    }
    if (f != stdin) {
        fclose(f);
    }
    dvc_intake_finish(in);
    (void) dvc_intake_verdict(in, &vd, &answer);

    if (vd.outcome == DVC_INTAKE_VALID) {
        dvc_buf_puts(&line, "{\"verdict\":\"valid\",\"procedure\":");
        dvc_buf_json_str(&line, vd.procedure->code, vd.procedure->code_len);
        dvc_buf_puts(&line, "}\n");
        rc = 0;
    } else {
        rc = 1;
        dvc_buf_printf(&line, "{\"verdict\":\"refused\",\"status\":%d,"
                       "\"answer\":", outcome_status(vd.outcome, &error));
        if (error != NULL) {
            dvc_buf_printf(&line, "{\"error\":\"%s\"}", error);
        } else {
            dvc_buf_append(&line, answer.data, answer.len);
        }
        dvc_buf_puts(&line, "}\n");
        if (vd.outcome == DVC_INTAKE_INTERNAL) {
            fprintf(stderr, "dvc validate: %s\n", vd.code);
        }
    }
    if (line.failed) {
        fprintf(stderr, "dvc validate: out of memory\n");
        rc = 2;
    } else {
        fwrite(line.data, 1, line.len, stdout);
    }
    dvc_buf_free(&line);
    dvc_buf_free(&answer);
    dvc_buf_free(&body);
    dvc_intake_reset(in);
    return rc;
}

/* argv[0] is "--dossier". */
int
dvc_cmd_validate_dossier(int argc, char **argv)
{
    dossier_procs_t     dp;
    dvc_intake_procs_t  procs;
    dvc_intake_t       *in;
    size_t              max = 0;
    char               *end;
    int                 i = 2, rc = 0, one;

    if (argc < 2) {
        goto usage;
    }
    memset(&dp, 0, sizeof(dp));
    dp.dir = argv[1];
    if (argc > 3 && strcmp(argv[2], "--max") == 0) {
        errno = 0;
        max = strtoul(argv[3], &end, 10);
        if (errno || *end != '\0' || end == argv[3]) {
            goto usage;
        }
        i = 4;
    }
    dp.set = dvc_procedures_load_dir(&dvc_alloc_std, dp.dir, dp.err,
                                     sizeof(dp.err));
    if (dp.set == NULL) {
        fprintf(stderr, "dvc validate: %s\n", dp.err);
        return 2;
    }
    dp.schemas = calloc(dp.set->n, sizeof(*dp.schemas));
    dp.validators = calloc(dp.set->n, sizeof(*dp.validators));
    in = dvc_intake_new(&dvc_alloc_std);
    if (dp.schemas == NULL || dp.validators == NULL || in == NULL) {
        fprintf(stderr, "dvc validate: out of memory\n");
        dvc_intake_free(in);
        procs_free(&dp);
        return 2;
    }
    procs.find = procs_find;
    procs.release = procs_release;
    procs.data = &dp;

    if (i == argc) {
        rc = judge(in, &procs, max, NULL);
    }
    for (; i < argc; i++) {
        one = judge(in, &procs, max, argv[i]);
        rc = one > rc ? one : rc;
    }
    if (dp.broken) {
        rc = 2;
    }
    dvc_intake_free(in);
    procs_free(&dp);
    return rc;

usage:
    fprintf(stderr, "usage: dvc validate --dossier DIR [--max BYTES] "
            "[BODY...]\n");
    return 2;
}
