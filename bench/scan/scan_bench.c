/*
 * Cost of dvc_dossier_scan on one body, next to yajl's own tokenise pass
 * over the same bytes (the ceiling in ../shared/bench/RESULTS.md).
 *
 *   yajl-events        yajl_alloc + parse + complete + free, no callbacks,
 *                      yajl's UTF-8 check on (as the shared ceiling runs it)
 *   yajl-events-noutf8 the same with yajl_dont_validate_strings, which is how
 *                      the scanner runs yajl (it checks UTF-8 itself)
 *   scan               reset + feed whole + finish + facts, one scanner reused
 *   scan-split         the same, the body fed in 512-byte buffers
 *
 * usage: scan_bench [FILE] [SECONDS per mode, default 2] [ROUNDS, default 3]
 * Modes run interleaved, ROUNDS times; the median per mode is printed.
 * SECONDS given as "nN" runs every mode exactly N times instead, for
 * instruction counts under valgrind --tool=callgrind (a loaded machine's
 * clock is noisy; instructions are not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "dvc_dossier_scan.h"

static const unsigned char  *doc;
static size_t                doc_len;
static dvc_dossier_scan_t   *scanner;

static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
yajl_events(int validate_utf8)
{
    yajl_handle  h = yajl_alloc(NULL, NULL, NULL);
    int          ok;

    if (!validate_utf8) {
        yajl_config(h, yajl_dont_validate_strings, 1);
    }
    ok = yajl_parse(h, doc, doc_len) == yajl_status_ok
         && yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    return ok;
}

static int
run_yajl(void)
{
    return yajl_events(1);
}

static int
run_yajl_noutf8(void)
{
    return yajl_events(0);
}

static int
scan(size_t piece)
{
    dvc_dossier_facts_t  f;
    size_t               off, n;

    dvc_dossier_scan_reset(scanner);
    for (off = 0; off < doc_len; off += n) {
        n = doc_len - off < piece ? doc_len - off : piece;
        if (dvc_dossier_scan_feed(scanner, doc + off, n) != 0) {
            return 0;
        }
    }
    if (dvc_dossier_scan_finish(scanner) != 0) {
        return 0;
    }
    dvc_dossier_scan_facts(scanner, &f);
    return f.ndocuments > 0 && dvc_dossier_scan_procedure(scanner, NULL) != NULL;
}

static int
run_scan(void)
{
    return scan(doc_len);
}

static int
run_scan_split(void)
{
    return scan(512);
}

typedef struct {
    const char  *name;
    int        (*fn)(void);
    double       us[16];
} mode_t_;

static long  fixed_runs;

static double
measure(int (*fn)(void), double secs)
{
    long    n = 0;
    int     i;
    double  t0 = now(), t;

    if (fixed_runs > 0) {
        for (n = 0; n < fixed_runs; n++) {
            if (!fn()) {
                fprintf(stderr, "parse failed\n");
                exit(1);
            }
        }
        return (now() - t0) / n * 1e6;
    }
    do {
        for (i = 0; i < 1000; i++, n++) {
            if (!fn()) {
                fprintf(stderr, "parse failed\n");
                exit(1);
            }
        }
    } while ((t = now() - t0) < secs);
    return t / n * 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
    static unsigned char  buf[1 << 20];
    mode_t_               modes[] = {
        { "yajl-events", run_yajl, {0} },
        { "yajl-events-noutf8", run_yajl_noutf8, {0} },
        { "scan", run_scan, {0} },
        { "scan-split512", run_scan_split, {0} },
    };
    const char  *path = argc > 1 ? argv[1]
                        : "../shared/bench/fixtures/dossier-valid.json";
    double       secs = argc > 2 && argv[2][0] != 'n' ? atof(argv[2]) : 2;
    int          rounds = argc > 3 ? atoi(argv[3]) : 3, r;
    size_t       m, nmodes = sizeof(modes) / sizeof(modes[0]);
    double       base, med;
    FILE        *f = fopen(path, "rb");

    if (f == NULL) {
        perror(path);
        return 1;
    }
    doc_len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    doc = buf;
    if (argc > 2 && argv[2][0] == 'n') {
        fixed_runs = atol(argv[2] + 1);
    }
    if (rounds < 1 || rounds > 16) {
        rounds = 3;
    }
    scanner = dvc_dossier_scan_new(&dvc_alloc_std);
    if (scanner == NULL) {
        return 1;
    }
    for (r = 0; r < rounds; r++) {
        for (m = 0; m < nmodes; m++) {
            modes[m].us[r] = measure(modes[m].fn, secs);
        }
    }
    base = 0;
    for (m = 0; m < nmodes; m++) {
        qsort(modes[m].us, (size_t) rounds, sizeof(double), cmp_double);
        med = modes[m].us[rounds / 2];
        if (m == 0) {
            base = med;
        }
        printf("RESULT %-19s bytes=%zu us_per_doc=%.3f (min %.3f max %.3f)"
               " docs_per_s=%.0f x_yajl=%.2f\n", modes[m].name, doc_len, med,
               modes[m].us[0], modes[m].us[rounds - 1], 1e6 / med, med / base);
    }
    dvc_dossier_scan_free(scanner);
    return 0;
}
