/*
 * A dossier body's verdict as it streams in (dvc_intake.h).
 */
#include <string.h>

#include "dvc_intake.h"

/* the parsers' smallest batch (see dvc_intake_feed) */
#define DVC_INTAKE_BATCH  16384

struct dvc_intake {
    const dvc_alloc_t        *alloc;
    dvc_dossier_scan_t       *scan;
    const dvc_intake_procs_t *procs;
    dvc_buf_t                *body;
    size_t                    max;
    size_t                    parsed;      /* bytes the parsers have seen */
    size_t                    batch;       /* their smallest batch */
    const dvc_procedure_t    *proc;
    dvc_validate_ctx_t       *v;
    int                       vstatus;
    const char               *internal;    /* ours failed: what */

    unsigned                  scan_failed:1;
    unsigned                  finished:1;
    unsigned                  no_procedure:1;
    unsigned                  unknown_procedure:1;
    unsigned                  too_large:1;
    unsigned                  valid:1;
};

static const char  dvc_intake_not_json_vi[] =
    "Nội dung gửi lên không phải JSON hợp lệ.";
static const char  dvc_intake_not_json_en[] = "The body is not valid JSON.";
static const char  dvc_intake_duplicate_vi[] =
    "Một trường của hồ sơ được gửi hai lần; mỗi trường chỉ gửi một lần.";

static const char  dvc_intake_no_procedure[] =
    "{\"error\":\"validation_failed\",\"violations\":[{\"path\":"
    "\"/procedure\",\"keyword\":\"\",\"code\":\"required\",\"message\":"
    "{\"vi\":\"Thiếu mã thủ tục hành chính (procedure).\",\"en\":"
    "\"The procedure code (procedure) is missing.\"}}]}";


dvc_intake_t *
dvc_intake_new(const dvc_alloc_t *a)
{
    dvc_intake_t *in = dvc_calloc(a, 1, sizeof(*in));

    if (in == NULL) {
        return NULL;
    }
    in->alloc = a;
    in->batch = DVC_INTAKE_BATCH;
    in->scan = dvc_dossier_scan_new(a);
    if (in->scan == NULL) {
        dvc_free(a, in);
        return NULL;
    }
    return in;
}

static void
release_validator(dvc_intake_t *in)
{
    if (in->v != NULL) {
        in->procs->release(in->procs->data, in->v);
        in->v = NULL;
    }
}

void
dvc_intake_reset(dvc_intake_t *in)
{
    release_validator(in);
    dvc_dossier_scan_reset(in->scan);
    in->procs = NULL;
    in->body = NULL;
    in->max = 0;
    in->parsed = 0;
    in->proc = NULL;
    in->vstatus = DVC_VALID;
    in->internal = NULL;
    in->scan_failed = 0;
    in->finished = 0;
    in->no_procedure = 0;
    in->unknown_procedure = 0;
    in->too_large = 0;
    in->valid = 0;
}

void
dvc_intake_free(dvc_intake_t *in)
{
    if (in == NULL) {
        return;
    }
    release_validator(in);
    dvc_dossier_scan_free(in->scan);
    dvc_free(in->alloc, in);
}

void
dvc_intake_begin(dvc_intake_t *in, dvc_buf_t *body, size_t max,
    const dvc_intake_procs_t *procs)
{
    in->body = body;
    in->max = max;
    in->procs = procs;
    in->parsed = 0;
    in->vstatus = DVC_VALID;
}

/* Feeds the scanner and the validator what they have not seen yet. */
static void
parse(dvc_intake_t *in)
{
    size_t               plen, len;
    const char          *procedure;
    const unsigned char *data;
    int                  rc;

    len = in->body->len - in->parsed;

    if (len == 0 || in->scan_failed || in->internal != NULL) {
        /* nothing new, or the verdict is known: the rest is only kept */
        in->parsed = in->body->len;
        return;
    }

    /* only now: an empty body may have no storage at all (data == NULL) */
    data = (const unsigned char *) in->body->data + in->parsed;
    in->parsed = in->body->len;

    /* an unknown procedure's body is still scanned to its end: whether it
     * is malformed must not depend on where the procedure was learnt */
    if (dvc_dossier_scan_feed(in->scan, data, len) != 0) {
        in->scan_failed = 1;
    }

    if (in->unknown_procedure) {
        return;
    }

    if (in->v == NULL) {
        procedure = dvc_dossier_scan_procedure(in->scan, &plen);
        if (procedure == NULL) {
            return;
        }
        rc = in->procs->find(in->procs->data, procedure, plen, &in->proc,
                             &in->v);
        if (rc != 0) {
            in->v = NULL;
            if (rc > 0) {
                in->proc = NULL;
                in->unknown_procedure = 1;
            } else {
                in->internal = "no validator for the procedure";
            }
            return;
        }
        /* the validator starts late: give it what it missed */
        in->vstatus = dvc_validate_feed(in->v, in->body->data,
                                        in->body->len);
        return;
    }

    /* (the validator answers DVC_INVALID only at its end; were it to do
     * so earlier, the document must still be read and finished) */
    if (in->vstatus <= DVC_INVALID) {
        in->vstatus = dvc_validate_feed(in->v, data, len);
    }
}

int
dvc_intake_feed(dvc_intake_t *in, const void *data, size_t len)
{
    if (in->too_large || in->finished || len == 0) {
        return 0;
    }
    if (in->max && (in->body->len > in->max || len > in->max - in->body->len))
    {
        /* read and dropped; the verdict is 413 */
        in->too_large = 1;
        return 0;
    }
    dvc_buf_append(in->body, data, len);
    if (in->body->failed) {
        in->internal = "no memory for the body";
        return -1;
    }
    /*
     * The parsers get the body in batches that grow with it (at least
     * 16 KiB, at least half of what they have seen), not buffer by buffer:
     * yajl reads a token cut by a buffer's end again from its start with
     * every later buffer, so a long string fed in 16 KiB pieces cost time
     * quadratic in its length (1 MB: 0.14 s of a worker, 4 MB: 2.3 s).
     * Growing batches keep the rescans linear.
     */
    if (in->body->len - in->parsed < in->batch
        || in->body->len - in->parsed < in->parsed / 2)
    {
        return 0;
    }
    parse(in);
    return in->internal != NULL ? -1 : 0;
}

void
dvc_intake_finish(dvc_intake_t *in)
{
    if (in->finished) {
        return;
    }
    in->finished = 1;
    if (in->too_large) {
        return;
    }
    parse(in);
    if (in->internal != NULL) {
        return;
    }
    if (in->scan_failed) {
        /* the validator was not fed past the batch where the scanner
         * failed: its end would be no end of the body (a UTF-8 sequence
         * or a token cut there would be its fault); what it found while
         * it was fed stands */
        return;
    }
    if (dvc_dossier_scan_finish(in->scan) != 0) {
        in->scan_failed = 1;
    } else if (in->v == NULL && !in->unknown_procedure) {
        in->no_procedure = 1;
    }
    if (in->v != NULL && in->vstatus <= DVC_INVALID) {
        in->vstatus = dvc_validate_finish(in->v);
    }
}

static size_t
scan_offset(const dvc_intake_t *in)
{
    size_t offset = 0;

    (void) dvc_dossier_scan_error(in->scan, &offset);
    return offset;
}

/* The API's code for the scanner's refusal (its message says which). */
static const char *
scan_code(const char *message)
{
    if (message == NULL) {
        return "json_syntax";
    }
    if (strstr(message, "UTF-8") != NULL
        || strstr(message, "surrogate") != NULL)
    {
        return "json_utf8";
    }
    if (strncmp(message, "duplicate key", sizeof("duplicate key") - 1) == 0) {
        return "json_duplicate_key";
    }
    if (strncmp(message, "nesting deeper", sizeof("nesting deeper") - 1)
        == 0)
    {
        return "limit_depth";
    }
    if (strncmp(message, "more than", sizeof("more than") - 1) == 0) {
        return "limit_items";
    }
    if (strcmp(message, "out of memory") == 0) {
        return NULL;
    }
    return "json_syntax";
}

/*
 * The first character of the key whose closing quote is at close: the
 * quote before it that no backslash escapes (a JSON string holds no other).
 */
static size_t
key_start(const dvc_buf_t *body, size_t close)
{
    size_t  i, slashes;

    if (close >= body->len) {
        return close;
    }
    for (i = close; i > 0; i--) {
        if (body->data[i - 1] != '"') {
            continue;
        }
        for (slashes = 0; i - 1 > slashes
                          && body->data[i - 2 - slashes] == '\\';
             slashes++)
        {
            /* count the backslashes before this quote */
        }
        if (slashes % 2 == 0) {
            return i;
        }
    }
    return close;
}

/*
 * Malformed: the scanner's refusal or the validator's fatal status,
 * whichever came first in the body; 1 if so (vd filled), 0 if the body is
 * well-formed, -1 if ours failed.
 */
static int
malformed(dvc_intake_t *in, dvc_intake_verdict_t *vd)
{
    int                           status;
    size_t                        voff;
    const dvc_validation_error_t *e;

    status = in->v != NULL ? in->vstatus : DVC_VALID;

    /* our failure, not the citizen's: never a 400 for it */
    if (status == DVC_ERR_NOMEM || status == DVC_ERR_STATE) {
        vd->code = dvc_validate_status_code(status);
        return -1;
    }
    voff = in->v != NULL ? dvc_validate_offset(in->v) : 0;

    /*
     * The scanner's refusal stands even when the validator finished: one of
     * its checks is stricter than the validator's (a duplicate key where
     * the gateway reads one), and the validator is no longer fed once the
     * scanner failed, so its "incomplete" before the scanner's offset is
     * only that.  The validator's own fatal error wins when it came first
     * in the body (or at the same byte: a body that truly ends early).
     */
    if (in->scan_failed
        && (status <= DVC_INVALID || voff > scan_offset(in)
            || (status == DVC_ERR_INCOMPLETE && voff < scan_offset(in))))
    {
        vd->en = dvc_dossier_scan_error(in->scan, &vd->offset);
        vd->code = scan_code(vd->en);
        if (vd->code == NULL) {
            vd->code = "scanner out of memory";
            return -1;
        }
        vd->vi = dvc_intake_not_json_vi;
        if (strcmp(vd->code, "json_duplicate_key") == 0) {
            /* the scanner's own rule: its words name the member; it is
             * placed at its closing quote (cut-proof), shown at its start */
            vd->vi = dvc_intake_duplicate_vi;
            vd->offset = key_start(in->body, vd->offset);
        } else if (in->v != NULL) {
            /* a fault both read: whichever of the two reported it (that
             * depends on where the batches fell), the code's own words */
            dvc_validate_message(vd->code, &vd->vi, &vd->en);
        }
        return 1;
    }
    if (status > DVC_INVALID) {
        e = dvc_validate_error(in->v, 0);
        vd->code = dvc_validate_status_code(status);
        vd->offset = voff;
        vd->vi = e ? e->message_vi : dvc_intake_not_json_vi;
        vd->en = e ? e->message_en : dvc_intake_not_json_en;
        return 1;
    }
    return 0;
}

void
dvc_intake_malformed_json(const dvc_intake_verdict_t *vd, dvc_buf_t *out)
{
    dvc_buf_printf(out, "{\"error\":\"%s\",\"offset\":%zu,"
                   "\"message\":{\"vi\":", vd->code, vd->offset);
    dvc_buf_json_str(out, vd->vi, strlen(vd->vi));
    dvc_buf_puts(out, ",\"en\":");
    dvc_buf_json_str(out, vd->en, strlen(vd->en));
    dvc_buf_puts(out, "}}");
}

/* The schema's violations, then the procedure's documents (x-dvc): their
 * number, or -1 when a buffer failed. */
static int
violations(dvc_intake_t *in, dvc_buf_t *out)
{
    int                  n;
    size_t               i, nerr;
    dvc_buf_t            tmp;
    dvc_dossier_facts_t  facts;
    const char          *kinds[DVC_DOSSIER_MAX_DOCUMENTS];
    size_t               lens[DVC_DOSSIER_MAX_DOCUMENTS];

    /* the answer is wanted only when there are violations */
    dvc_buf_init(&tmp, in->alloc);
    if (out == NULL) {
        out = &tmp;
    }
    dvc_buf_puts(out, "{\"error\":\"validation_failed\",\"violations\":");
    nerr = dvc_validate_error_count(in->v);
    if (nerr) {
        dvc_errors_to_json(out, in->v);
        out->len--;    /* reopen the array for the document checks */
    } else {
        dvc_buf_putc(out, '[');
    }
    dvc_dossier_scan_facts(in->scan, &facts);
    for (i = 0; i < facts.ndocuments && i < DVC_DOSSIER_MAX_DOCUMENTS; i++) {
        kinds[i] = facts.documents[i].kind ? facts.documents[i].kind : "";
        lens[i] = facts.documents[i].kind_len;
    }
    n = dvc_procedure_check_documents(in->proc, kinds, lens, i, out);
    dvc_buf_puts(out, "]}");
    n = out->failed || n < 0 ? -1 : (int) nerr + n;
    dvc_buf_free(&tmp);
    return n;
}

int
dvc_intake_verdict(dvc_intake_t *in, dvc_intake_verdict_t *vd,
    dvc_buf_t *answer)
{
    int  rc;

    memset(vd, 0, sizeof(*vd));
    vd->procedure = in->proc;

    if (in->valid) {
        /* asked again (a change decided twice after a race) */
        vd->outcome = DVC_INTAKE_VALID;
        return 0;
    }
    if (in->too_large) {
        vd->outcome = DVC_INTAKE_TOO_LARGE;
        return 0;
    }
    if (in->internal != NULL) {
        vd->outcome = DVC_INTAKE_INTERNAL;
        vd->code = in->internal;
        return 0;
    }
    rc = malformed(in, vd);
    if (rc < 0) {
        vd->outcome = DVC_INTAKE_INTERNAL;
        return 0;
    }
    if (rc > 0) {
        vd->outcome = DVC_INTAKE_MALFORMED;
        if (answer != NULL) {
            dvc_intake_malformed_json(vd, answer);
        }
        goto done;
    }
    if (in->unknown_procedure) {
        vd->outcome = DVC_INTAKE_UNKNOWN_PROCEDURE;
        return 0;
    }
    if (in->no_procedure || in->v == NULL) {
        vd->outcome = DVC_INTAKE_NO_PROCEDURE;
        if (answer != NULL) {
            dvc_buf_append(answer, dvc_intake_no_procedure,
                           sizeof(dvc_intake_no_procedure) - 1);
        }
        goto done;
    }
    rc = violations(in, answer);
    if (rc < 0) {
        vd->outcome = DVC_INTAKE_INTERNAL;
        vd->code = "no memory for the answer";
        return -1;
    }
    if (rc > 0) {
        vd->outcome = DVC_INTAKE_INVALID;
        vd->nviolations = (size_t) rc;
        goto done;
    }
    /* valid: the validator is not needed any more, others may use it */
    release_validator(in);
    in->valid = 1;
    vd->outcome = DVC_INTAKE_VALID;
    return 0;

done:
    if (answer != NULL && answer->failed) {
        vd->outcome = DVC_INTAKE_INTERNAL;
        vd->code = "no memory for the answer";
        return -1;
    }
    return 0;
}

void
dvc_intake_set_batch(dvc_intake_t *in, size_t bytes)
{
    in->batch = bytes ? bytes : 1;
}

const char *
dvc_intake_procedure(const dvc_intake_t *in, size_t *len)
{
    return dvc_dossier_scan_procedure(in->scan, len);
}

void
dvc_intake_facts(const dvc_intake_t *in, dvc_dossier_facts_t *facts)
{
    dvc_dossier_scan_facts(in->scan, facts);
}
