/*
 * libFuzzer target: the dossier pre-scan (dvc_dossier_scan, run on every
 * request body before the validator).  The body is scanned whole and split at
 * a byte derived from the input; both runs must agree on acceptance and on
 * every fact (procedure, delivery, documents, applicant contacts), and on a
 * refusal on its kind (the API code the intake makes of it), its message
 * when the message names no token, and its offset where the header
 * promises an exact one: the network decides where a body is cut, never
 * the outcome.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_dossier_scan.h"

static dvc_dossier_scan_t *scanner;

static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
    if (a == NULL || b == NULL) {
        return a == b && alen == blen;
    }
    return alen == blen && memcmp(a, b, alen) == 0 && a[alen] == '\0';
}

/* The kind of refusal, as dvc_intake's scan_code() reads the message:
 * 'u' UTF-8, 'd' duplicate key, 'n' nesting, 'm' too many items,
 * 's' a syntax error in yajl's words (which name the token, so may differ
 * with the cut where the token was cut). */
static int
kind(const char *message)
{
    if (strstr(message, "UTF-8") != NULL || strstr(message, "surrogate")) {
        return 'u';
    }
    if (strncmp(message, "duplicate key", 13) == 0) {
        return 'd';
    }
    if (strncmp(message, "nesting deeper", 14) == 0) {
        return 'n';
    }
    if (strncmp(message, "more than", 9) == 0) {
        return 'm';
    }
    return 's';
}

static int
scan(const uint8_t *body, size_t len, size_t cut)
{
    dvc_dossier_scan_reset(scanner);
    if (dvc_dossier_scan_feed(scanner, body, cut) != 0) {
        return -1;
    }
    if (dvc_dossier_scan_feed(scanner, body + cut, len - cut) != 0) {
        return -1;
    }
    return dvc_dossier_scan_finish(scanner);
}

static void
keep(dvc_dossier_scan_t *s, char **proc, size_t *plen, dvc_dossier_facts_t *f,
     char **dump, size_t *dlen)
{
    const char *p;
    size_t      i, n = 0;
    char       *d;

    p = dvc_dossier_scan_procedure(s, plen);
    *proc = p ? strndup(p, *plen) : NULL;
    dvc_dossier_scan_facts(s, f);
    /* the facts as text, to compare with the other run's after reset */
    d = malloc(65536);
    if (d == NULL) {
        abort();
    }
#define ADD(str, l) do {                                                    \
        n += snprintf(d + n, n < 65536 ? 65536 - n : 0, "%zu:%s|",          \
                      (size_t) (l), (str) ? (str) : "(null)");              \
        if ((str) && strlen(str) != (l)) { n += snprintf(d + n,             \
            n < 65536 ? 65536 - n : 0, "#"); }                              \
    } while (0)
    ADD(f->delivery, f->delivery_len);
    ADD(f->applicant_name, f->applicant_name_len);
    ADD(f->applicant_phone, f->applicant_phone_len);
    ADD(f->applicant_email, f->applicant_email_len);
    for (i = 0; i < f->ndocuments && n < 60000; i++) {
        ADD(f->documents[i].kind, f->documents[i].kind_len);
        ADD(f->documents[i].sha256, f->documents[i].sha256_len);
        ADD(f->documents[i].media_type, f->documents[i].media_type_len);
        n += snprintf(d + n, n < 65536 ? 65536 - n : 0, "%lld|",
                      f->documents[i].size);
    }
#undef ADD
    *dump = d;
    *dlen = n < 65536 ? n : 65535;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                *p1, *p2, *d1, *d2;
    size_t               pl1, pl2, dl1, dl2, cut;
    dvc_dossier_facts_t  f1, f2;
    int                  r1, r2, k;
    char                *m1 = NULL;
    const char          *m2;
    size_t               o1 = 0, o2 = 0;

    if (scanner == NULL) {
        scanner = dvc_dossier_scan_new(&dvc_alloc_std);
        if (scanner == NULL) {
            abort();
        }
    }
    cut = size ? (data[0] * 2654435761u + size) % (size + 1) : 0;
    r1 = scan(data, size, size);
    if (r1 == 0) {
        keep(scanner, &p1, &pl1, &f1, &d1, &dl1);
    } else if (dvc_dossier_scan_error(scanner, NULL) == NULL) {
        fprintf(stderr, "refused without a reason\n");
        abort();
    }
    if (r1 != 0) {
        m1 = strdup(dvc_dossier_scan_error(scanner, &o1));
        if (m1 == NULL) {
            abort();
        }
    }
    r2 = scan(data, size, cut);
    if (r1 != r2) {
        fprintf(stderr, "whole: %d, split at %zu: %d (%s)\n", r1, cut, r2,
                r2 ? dvc_dossier_scan_error(scanner, NULL) : "ok");
        abort();
    }
    if (r1 != 0) {
        m2 = dvc_dossier_scan_error(scanner, &o2);
        k = kind(m1);
        if (k != kind(m2)
            || (k != 's' && strcmp(m1, m2) != 0)
            || ((k == 'u' || k == 'n' || k == 'm') && o1 != o2))
        {
            fprintf(stderr, "refusals differ whole / split at %zu:\n"
                    "%s at %zu\n%s at %zu\n", cut, m1, o1, m2, o2);
            abort();
        }
        free(m1);
    }
    if (r1 == 0) {
        keep(scanner, &p2, &pl2, &f2, &d2, &dl2);
        if (!same(p1, pl1, p2, pl2) || f1.ndocuments != f2.ndocuments
            || dl1 != dl2 || memcmp(d1, d2, dl1) != 0)
        {
            fprintf(stderr, "facts differ whole / split at %zu:\n%.*s\n%.*s\n",
                    cut, (int) dl1, d1, (int) dl2, d2);
            abort();
        }
        free(p1); free(p2); free(d1); free(d2);
    }
    return 0;
}
