/*
 * libFuzzer target: the gateway's verdict on a dossier body (core's intake,
 * dvc_intake.h, what submissions and supplements answer) against itself and
 * against the schema alone.
 *
 * The procedures of schemas/ (the shipped ones) are compiled once.  Input
 * byte 0 picks how the second run is delivered (the parsers' batch: 1 to 64
 * bytes, so every cut reaches them; two cut places derived from the input);
 * the rest is the body.  The oracle:
 * - whole (the gateway's 16 KiB batches, one buffer) and cut must give the
 *   same outcome, code, number of violations and answer, byte for byte but
 *   the "offset" of a syntax error, which may move by a token when a
 *   buffer's end cut it (fuzz/README.md);
 * - against the named procedure's schema fed to dvc_validate alone (what
 *   `dvc validate` does): valid exactly when the intake says valid, unless
 *   the gateway's own stricter rules refuse (a repeated member the scanner
 *   reads, the x-dvc documents); invalid with the same violations, in the
 *   same order, first in the answer; malformed with the same code, unless
 *   the scanner found a fault earlier in the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_intake.h"
#include "dvc_procedure.h"
#include "dvc_schema.h"

#ifndef FUZZ_DIR
#error "build with -DFUZZ_DIR=\"path/to/fuzz\""
#endif

#define MAXP  16

static dvc_procedures_t   *set;
static dvc_schema_t       *schemas[MAXP];
static dvc_validate_ctx_t *lent[MAXP];
static dvc_validate_ctx_t *plain_v[MAXP];
static dvc_intake_t       *intake;

static int
find(void *data, const char *code, size_t len, const dvc_procedure_t **proc,
    dvc_validate_ctx_t **v)
{
    size_t i;

    (void) data;
    for (i = 0; i < set->n; i++) {
        if (set->items[i]->code_len == len
            && memcmp(set->items[i]->code, code, len) == 0)
        {
            *proc = set->items[i];
            *v = lent[i];
            return 0;
        }
    }
    return 1;
}

static void
release(void *data, dvc_validate_ctx_t *v)
{
    (void) data;
    dvc_validate_reset(v);
}

static const dvc_intake_procs_t  procs = { find, release, NULL };

static void
load(void)
{
    char                  dir[4096], err[1024];
    size_t                i;
    dvc_schema_options_t  opt;

    snprintf(dir, sizeof(dir), "%s/../schemas", FUZZ_DIR);
    set = dvc_procedures_load_dir(&dvc_alloc_std, dir, err, sizeof(err));
    if (set == NULL || set->n > MAXP) {
        fprintf(stderr, "%s: %s\n", dir, set ? "too many procedures" : err);
        abort();
    }
    memset(&opt, 0, sizeof(opt));
    opt.base_dir = dir;
    for (i = 0; i < set->n; i++) {
        schemas[i] = dvc_schema_compile(&dvc_alloc_std, set->items[i]->raw,
                                        set->items[i]->raw_len, &opt, err,
                                        sizeof(err));
        if (schemas[i] == NULL) {
            fprintf(stderr, "%s: %s\n", set->items[i]->file_name, err);
            abort();
        }
        lent[i] = dvc_validate_new(&dvc_alloc_std, schemas[i], NULL);
        plain_v[i] = dvc_validate_new(&dvc_alloc_std, schemas[i], NULL);
        if (lent[i] == NULL || plain_v[i] == NULL) {
            abort();
        }
    }
    intake = dvc_intake_new(&dvc_alloc_std);
    if (intake == NULL) {
        abort();
    }
}

typedef struct {
    dvc_intake_verdict_t  vd;
    dvc_buf_t             answer;
} run_t;

static void
judge(const uint8_t *body, size_t len, size_t batch, size_t c1, size_t c2,
    run_t *r)
{
    dvc_buf_t  raw;
    size_t     cuts[3] = { c1, c2, len }, at = 0, i;

    dvc_buf_init(&raw, &dvc_alloc_std);
    dvc_buf_init(&r->answer, &dvc_alloc_std);
    dvc_intake_set_batch(intake, batch);
    dvc_intake_begin(intake, &raw, 0, &procs);
    for (i = 0; i < 3; i++) {
        if (cuts[i] > at && dvc_intake_feed(intake, body + at,
                                            cuts[i] - at) != 0)
        {
            abort();
        }
        at = cuts[i] > at ? cuts[i] : at;
    }
    dvc_intake_finish(intake);
    if (dvc_intake_verdict(intake, &r->vd, &r->answer) != 0
        || r->vd.outcome == DVC_INTAKE_INTERNAL)
    {
        fprintf(stderr, "intake failed: %s\n", r->vd.code);
        abort();
    }
    if (raw.len != len || (len && memcmp(raw.data, body, len) != 0)) {
        fprintf(stderr, "the kept body is not the body\n");
        abort();
    }
    dvc_buf_free(&raw);
    dvc_intake_reset(intake);
}

static int
loose(const char *code)
{
    return code != NULL && (strcmp(code, "json_syntax") == 0
                            || strcmp(code, "json_incomplete") == 0);
}

/* The answer without its "offset":N. */
static void
strip_offset(dvc_buf_t *b)
{
    char   *p = b->len ? memmem(b->data, b->len, "\"offset\":", 9) : NULL;
    size_t  i, n;

    if (p == NULL) {
        return;
    }
    i = (size_t) (p - b->data);
    n = strlen("\"offset\":");
    while (i + n < b->len && b->data[i + n] >= '0' && b->data[i + n] <= '9') {
        n++;
    }
    memmove(b->data + i, b->data + i + n, b->len - i - n);
    b->len -= n;
}

static void
same(run_t *a, run_t *b, size_t batch, size_t c1, size_t c2)
{
    int ok;

    if (loose(a->vd.code) && a->vd.outcome == b->vd.outcome
        && strcmp(a->vd.code, b->vd.code) == 0)
    {
        strip_offset(&a->answer);
        strip_offset(&b->answer);
    }
    ok = a->vd.outcome == b->vd.outcome
         && (a->vd.code == NULL) == (b->vd.code == NULL)
         && (a->vd.code == NULL || strcmp(a->vd.code, b->vd.code) == 0)
         && a->vd.nviolations == b->vd.nviolations
         && a->answer.len == b->answer.len
         && (a->answer.len == 0
             || memcmp(a->answer.data, b->answer.data, a->answer.len) == 0);
    if (!ok) {
        fprintf(stderr, "whole: %d %s %.*s\nbatch %zu, cut at %zu and %zu: "
                "%d %s %.*s\n", a->vd.outcome, a->vd.code ? a->vd.code : "",
                (int) a->answer.len, a->answer.data, batch, c1, c2,
                b->vd.outcome, b->vd.code ? b->vd.code : "",
                (int) b->answer.len, b->answer.data);
        abort();
    }
}

/* The schema alone against the intake's verdict r (whole). */
static void
against_schema(const uint8_t *body, size_t len, const run_t *r)
{
    dvc_validate_ctx_t *v = NULL;
    dvc_buf_t           errors;
    size_t              i, n;
    int                 rc;
    const char         *code = r->vd.code;

    for (i = 0; r->vd.procedure != NULL && i < set->n; i++) {
        if (set->items[i] == r->vd.procedure) {
            v = plain_v[i];
        }
    }
    if (v == NULL) {
        return;                 /* no procedure named: nothing to compare */
    }
    dvc_validate_reset(v);
    rc = dvc_validate_feed(v, body, len);
    if (rc == DVC_VALID) {
        rc = dvc_validate_finish(v);
    }
    dvc_buf_init(&errors, &dvc_alloc_std);
    dvc_errors_to_json(&errors, v);
    n = strlen("{\"error\":\"validation_failed\",\"violations\":");

    if (r->vd.outcome == DVC_INTAKE_MALFORMED && code != NULL
        && (strcmp(code, "json_duplicate_key") == 0
            || (rc <= DVC_INVALID && strcmp(code, "limit_items") == 0)
            || (rc <= DVC_INVALID && strcmp(code, "limit_depth") == 0)))
    {
        /* the scanner's own, stricter rules (its 1,000 documents, its
         * depth) */
    } else if (rc == DVC_VALID) {
        if (r->vd.outcome != DVC_INTAKE_VALID
            && !(r->vd.outcome == DVC_INTAKE_INVALID
                 && r->answer.len > n + 1 && r->answer.data[n + 1] == '{'
                 && memmem(r->answer.data, r->answer.len, "/x-dvc/documents",
                           16) != NULL))
        {
            fprintf(stderr, "valid by the schema, intake %d %s\n",
                    r->vd.outcome, code ? code : "");
            abort();
        }
    } else if (rc == DVC_INVALID) {
        if (r->vd.outcome != DVC_INTAKE_INVALID
            || r->answer.len < n + errors.len - 1
            || memcmp(r->answer.data + n, errors.data, errors.len - 1) != 0)
        {
            fprintf(stderr, "invalid by the schema (%.*s), intake %d %s "
                    "%.*s\n", (int) errors.len, errors.data, r->vd.outcome,
                    code ? code : "", (int) r->answer.len, r->answer.data);
            abort();
        }
    } else if (r->vd.outcome != DVC_INTAKE_MALFORMED
               || (strcmp(code, dvc_validate_status_code(rc)) != 0
                   && r->vd.offset > dvc_validate_offset(v)))
    {
        /* the same fault, or the scanner's earlier in the body */
        fprintf(stderr, "%s at %zu by the schema, intake %d %s at %zu\n",
                dvc_validate_status_code(rc), dvc_validate_offset(v),
                r->vd.outcome, code ? code : "", r->vd.offset);
        abort();
    }
    dvc_buf_free(&errors);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int      loaded;
    run_t           whole, cut;
    const uint8_t  *body;
    size_t          len, batch, c1, c2, t;

    if (!loaded) {
        load();
        loaded = 1;
    }
    if (size < 1) {
        return 0;
    }
    body = data + 1;
    len = size - 1;
    batch = 1 + (data[0] & 0x3f);
    c1 = len ? (data[0] * 2654435761u + len) % (len + 1) : 0;
    c2 = len ? (data[0] * 40503u + len * 7) % (len + 1) : 0;
    if (c1 > c2) {
        t = c1, c1 = c2, c2 = t;
    }

    judge(body, len, 16384, len, len, &whole);
    judge(body, len, batch, c1, c2, &cut);
    against_schema(body, len, &whole);
    same(&whole, &cut, batch, c1, c2);
    dvc_buf_free(&whole.answer);
    dvc_buf_free(&cut.answer);
    return 0;
}
