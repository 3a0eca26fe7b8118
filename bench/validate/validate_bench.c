/*
 * Throughput of the streaming validator next to yajl's bare parse (the
 * ceiling of ../shared/bench/ceilings/yajl_parse.c) on the same bytes.
 *
 *   yajl  yajl_alloc (no callbacks) + yajl_parse + yajl_complete_parse +
 *         yajl_free per document: tokenise and syntax check, nothing kept
 *   ours  dvc_validate_reset + dvc_validate_feed (whole document) +
 *         dvc_validate_finish, one context on a schema compiled once
 *
 * usage: validate_bench SCHEMA DOC [SECONDS per mode, default 1] [ROUNDS]
 *                       [MODE: yajl or ours, default both (for perf record)]
 *        validate_bench SCHEMA DOC nCOUNT 1 MODE   (COUNT documents, untimed:
 *                       for callgrind, bench/validate/instructions.sh)
 * Modes run interleaved ROUNDS times (default 1: bench/validate/run.sh
 * interleaves whole invocations with ajv's and takes the medians); one
 * "RESULT mode docs_per_s=.. MB_per_s=.." line per mode and round.  Every
 * document must come out valid, else it exits 1 (a benchmark of a rejection
 * path would measure the wrong thing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "dvc_schema.h"

static unsigned char        *doc;
static size_t                doc_len;
static dvc_validate_ctx_t   *ctx;

static clockid_t             clock_id = CLOCK_MONOTONIC;

static double
now(void)
{
    struct timespec ts;

    clock_gettime(clock_id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
run_yajl(void)
{
    yajl_handle  h;
    int          ok;

    h = yajl_alloc(NULL, NULL, NULL);
    ok = yajl_parse(h, doc, doc_len) == yajl_status_ok
         && yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    return ok;
}

static int
run_ours(void)
{
    dvc_validate_reset(ctx);
    if (dvc_validate_feed(ctx, doc, doc_len) != DVC_VALID) {
        return 0;
    }
    return dvc_validate_finish(ctx) == DVC_VALID;
}

static void
bench(const char *name, int (*fn)(void), double secs)
{
    long    n = 0;
    int     batch = doc_len > 100000 ? 1 : 200;
    double  t0, t;

    for (int i = 0; i < batch; i++) {           /* warm caches */
        fn();
    }
    t0 = now();
    do {
        for (int i = 0; i < batch; i++, n++) {
            if (!fn()) {
                fprintf(stderr, "%s: document not valid\n", name);
                exit(1);
            }
        }
    } while ((t = now() - t0) < secs);
    printf("RESULT %s bytes=%zu docs_per_s=%.1f MB_per_s=%.2f\n", name,
           doc_len, n / t, n * (double) doc_len / t / 1e6);
    fflush(stdout);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE           *f;
    long            n;
    unsigned char  *p;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        perror(path);
        exit(2);
    }
    rewind(f);
    p = malloc(n + 1);
    if (p == NULL || fread(p, 1, n, f) != (size_t) n) {
        perror(path);
        exit(2);
    }
    fclose(f);
    p[n] = '\0';
    *len = n;
    return p;
}

int
main(int argc, char **argv)
{
    char           err[512];
    dvc_schema_t  *s;
    double         secs;
    int            rounds;
    const char    *mode;

    if (argc < 3) {
        fprintf(stderr, "usage: %s SCHEMA DOC [SECONDS] [ROUNDS]\n", argv[0]);
        return 2;
    }
    secs = argc > 3 ? atof(argv[3]) : 1;
    rounds = argc > 4 ? atoi(argv[4]) : 1;
    mode = argc > 5 ? argv[5] : "";
    /* CLOCK=cpu: the thread's CPU time instead of the wall clock, so time
     * the shared machine's other processes take the core away is not
     * counted (their effect on caches and clock speed still is) */
    if (getenv("CLOCK") != NULL && strcmp(getenv("CLOCK"), "cpu") == 0) {
        clock_id = CLOCK_THREAD_CPUTIME_ID;
    }
    doc = slurp(argv[2], &doc_len);
    s = dvc_schema_compile_file(&dvc_alloc_std, argv[1], NULL, err,
                                sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 2;
    }
    ctx = dvc_validate_new(&dvc_alloc_std, s, NULL);
    if (ctx == NULL) {
        return 2;
    }
    if (argv[3] != NULL && argv[3][0] == 'n') {
        /* "nCOUNT": exactly COUNT documents of MODE, untimed, for an
         * instruction count (bench/validate/instructions.sh) */
        long count = atol(argv[3] + 1);

        for (long i = 0; i < count; i++) {
            if (!(strcmp(mode, "yajl") == 0 ? run_yajl() : run_ours())) {
                fprintf(stderr, "document not valid\n");
                return 1;
            }
        }
        rounds = 0;
    }
    for (int r = 0; r < rounds; r++) {
        if (strcmp(mode, "ours") != 0) {
            bench("yajl", run_yajl, secs);
        }
        if (strcmp(mode, "yajl") != 0) {
            bench("ours", run_ours, secs);
        }
    }
    dvc_validate_free(ctx);
    dvc_schema_free(s);
    free(doc);
    return 0;
}
