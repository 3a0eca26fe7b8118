/*
 * A dossier body's verdict, decided as the body streams in: the one rule
 * that the gateway (a submission, a citizen's supplement) and `dvc validate
 * --dossier` both apply, so that what the gateway accepts is exactly what
 * the core library accepts.
 *
 * Every byte goes to the dossier scanner (dvc_dossier_scan.h: the procedure,
 * the facts the record needs, duplicate members, its limits); as soon as the
 * top-level "procedure" is known, a validator of that procedure's compiled
 * schema takes over the bytes seen so far, then the rest.  At the end the
 * verdict weighs the two (the first fault in the body wins), then the
 * procedure's x-dvc document rules.  The verdict never depends on how the
 * body was cut into buffers, nor on how many violations came before a
 * fatal fault (tests/test_intake.c, fuzz/intake_fuzz.c).
 *
 *     dvc_intake_t *in = dvc_intake_new(&dvc_alloc_std);
 *     dvc_intake_begin(in, &body, max, &procs);   body: the caller's buffer
 *     while (more) if (dvc_intake_feed(in, buf, n) != 0) { no memory }
 *     dvc_intake_finish(in);
 *     dvc_intake_verdict(in, &vd, &answer);       vd.outcome, answer's JSON
 *     dvc_intake_reset(in);                       next body, memory kept
 *
 * The intake owns its scanner; the validator comes from the caller's
 * procs->find and goes back through procs->release (the gateway pools
 * them per procedure).
 */
#ifndef DVC_INTAKE_H
#define DVC_INTAKE_H

#include <stddef.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_dossier_scan.h"
#include "dvc_procedure.h"
#include "dvc_schema.h"

typedef struct dvc_intake dvc_intake_t;

typedef struct {
    /* The procedure the body names (code as the body spelled it, len
     * bytes): 0 with *proc and a validator context for its schema in *v;
     * 1 when there is no such procedure (or it has no schema); -1 when out
     * of memory. */
    int   (*find)(void *data, const char *code, size_t len,
                  const dvc_procedure_t **proc, dvc_validate_ctx_t **v);
    /* v (from find) is not needed any more. */
    void  (*release)(void *data, dvc_validate_ctx_t *v);
    void   *data;
} dvc_intake_procs_t;

typedef enum {
    DVC_INTAKE_VALID = 0,         /* a valid dossier of vd.procedure */
    DVC_INTAKE_MALFORMED,         /* 400: not JSON, not UTF-8, a limit,
                                     a duplicate member */
    DVC_INTAKE_UNKNOWN_PROCEDURE, /* 404 */
    DVC_INTAKE_NO_PROCEDURE,      /* 422: no top-level "procedure" */
    DVC_INTAKE_INVALID,           /* 422: the schema's or x-dvc's
                                     violations */
    DVC_INTAKE_TOO_LARGE,         /* 413: longer than max */
    DVC_INTAKE_INTERNAL           /* 500: ours (no memory), never the
                                     citizen's */
} dvc_intake_outcome_t;

typedef struct {
    dvc_intake_outcome_t   outcome;
    /* MALFORMED: the code ("json_syntax", "limit_string", ...), the byte
     * offset and the message; INTERNAL: what failed, for the log */
    const char            *code;
    size_t                 offset;
    const char            *vi;
    const char            *en;
    /* INVALID: how many violations the answer lists */
    size_t                 nviolations;
    /* the procedure, once the body named a known one */
    const dvc_procedure_t *procedure;
} dvc_intake_verdict_t;

/* NULL when out of memory. */
dvc_intake_t *dvc_intake_new(const dvc_alloc_t *a);
void dvc_intake_free(dvc_intake_t *in);

/* Starts a body.  Each byte fed is appended to body (the caller's buffer,
 * empty, in the caller's allocator: the raw dossier it records) until the body is
 * longer than max (0: no cap of the intake's), after which the rest is
 * read and dropped.  procs must outlive the body. */
void dvc_intake_begin(dvc_intake_t *in, dvc_buf_t *body, size_t max,
    const dvc_intake_procs_t *procs);

/* The next bytes, in any cut.  0, or -1 when the body buffer failed (no
 * memory: the verdict is then INTERNAL). */
int dvc_intake_feed(dvc_intake_t *in, const void *data, size_t len);

/* The last byte is in.  Idempotent. */
void dvc_intake_finish(dvc_intake_t *in);

/*
 * The verdict (after finish).  answer, if not NULL, receives the JSON body
 * the gateway answers for MALFORMED, NO_PROCEDURE and INVALID (nothing for
 * the others, whose answers are the server's own):
 *   {"error":"json_syntax","offset":12,"message":{"vi":..,"en":..}}
 *   {"error":"validation_failed","violations":[{"path":..,"keyword":..,
 *    "code":..,"message":{"vi":..,"en":..}},...]}
 * For VALID the validator goes back to procs->release at once.  Asking
 * twice gives the same verdict.  -1 (and outcome INTERNAL) when answer's
 * buffer failed.
 */
int dvc_intake_verdict(dvc_intake_t *in, dvc_intake_verdict_t *vd,
    dvc_buf_t *answer);

/* Appends a MALFORMED verdict's answer (vd's code, offset, vi and en): also
 * for bodies refused as malformed outside the intake. */
void dvc_intake_malformed_json(const dvc_intake_verdict_t *vd,
    dvc_buf_t *out);

/* The parsers read the body in batches of at least this many bytes (and at
 * least half of what they have read: linear time on long strings); 16 KiB
 * unless set.  Tests and fuzzers set it small, so that every cut of a
 * small body reaches the parsers as its own buffer.  Kept across reset. */
void dvc_intake_set_batch(dvc_intake_t *in, size_t bytes);

/* The top-level "procedure" as soon as the scanner has read it (see
 * dvc_dossier_scan_procedure), else NULL. */
const char *dvc_intake_procedure(const dvc_intake_t *in, size_t *len);

/* What the body said (meaningful once the verdict is VALID); valid until
 * reset or free. */
void dvc_intake_facts(const dvc_intake_t *in, dvc_dossier_facts_t *facts);

/* Ready for the next body: the validator is released, the scanner reset,
 * memory kept. */
void dvc_intake_reset(dvc_intake_t *in);

#endif
