/*
 * The gateway's facts from a dossier body, read as it streams in.
 *
 * A dossier is {"procedure","applicant","form","documents","delivery",...}.
 * Before the JSON Schema validator can run, the gateway must know the
 * procedure (it picks the schema); after validation it needs a few values for
 * the Redis record, the signed acknowledgement and the receipt.  The body is
 * untrusted, so no tree is built: yajl events are matched against the few
 * paths below and only those strings are copied (into one arena owned by the
 * scanner).  Everything else is tokenised and checked, then forgotten.
 *
 * Only top-level members count ("procedure" inside "form" is not the
 * procedure).  Because the values end up in a signed record, a body where a
 * member the scanner reads appears twice is refused instead of letting the
 * last one win (another reader could take the first): top-level "procedure",
 * "delivery", "channel", "documents", "applicant"; applicant "full_name", "phone",
 * "email"; a document's "kind", "sha256", "size", "media_type".
 *
 *     dvc_dossier_scan_t *s = dvc_dossier_scan_new(&dvc_alloc_std);
 *     while (more) {
 *         if (dvc_dossier_scan_feed(s, buf, n) != 0) { 400 with the offset }
 *         if (!started && (p = dvc_dossier_scan_procedure(s, &plen))) { ... }
 *     }
 *     if (dvc_dossier_scan_finish(s) != 0) { 400 }
 *     dvc_dossier_scan_facts(s, &facts);
 *     dvc_dossier_scan_reset(s);      next body, memory kept
 *
 * Limits: nesting 64 deep, 1,000 items in "documents" (the schema sets its
 * own, lower limits; these only bound the scanner).  The body must be valid
 * UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF;
 * stricter than yajl's own check) and its \u escapes must pair surrogates
 * (yajl would silently turn a lone one into "?" or a wrong character).
 * A body that is not an object is well-formed JSON to the scanner: it has
 * no members, so the procedure is NULL (the validator reports the type).
 *
 * Memory: the scanner (with a 1 KiB inline arena: a typical dossier's kept
 * strings need ~300 bytes), the documents array, arena chunks for long
 * values, and yajl's handle (re-made per body: yajl 2.1 cannot rewind one).
 * yajl 2.1 itself does not survive its own allocations failing (it writes
 * through them unchecked); the scanner's own allocations fail cleanly.
 */
#ifndef DVC_DOSSIER_SCAN_H
#define DVC_DOSSIER_SCAN_H

#include <stddef.h>

#include "dvc_alloc.h"

#define DVC_DOSSIER_MAX_DEPTH      64
#define DVC_DOSSIER_MAX_DOCUMENTS  1000

typedef struct dvc_dossier_scan dvc_dossier_scan_t;

/* NULL when out of memory. */
dvc_dossier_scan_t *dvc_dossier_scan_new(const dvc_alloc_t *a);
void dvc_dossier_scan_free(dvc_dossier_scan_t *s);

/* Feeds the next bytes of the body.  Returns 0 while fine, -1 on malformed
 * JSON, invalid UTF-8, a duplicate member (see above), a limit or no memory;
 * after -1 (or after finish) every call returns -1. */
int dvc_dossier_scan_feed(dvc_dossier_scan_t *s, const void *buf, size_t len);

/* End of the body: 0 if it was one complete JSON value, else -1. */
int dvc_dossier_scan_finish(dvc_dossier_scan_t *s);

/* After -1: what went wrong, and in *offset (may be NULL) the byte offset
 * in the body:
 *   "invalid UTF-8"                       first byte of the bad sequence
 *   "\u escape of an unpaired UTF-16 surrogate"    the escape's backslash
 *   "duplicate key \"procedure\""          the key's closing quote (the
 *        same however the key was cut or spelled; dvc_intake answers the
 *        key's first character, found from there in the body); also "duplicate key \"phone\" in \"applicant\"",
 *        "duplicate key \"sha256\" in documents[1]"
 *   "nesting deeper than 64", "more than 1000 documents"   the bracket
 *        opened one level too deep, the 1,001st item's bracket (or its
 *        last byte if it is not an array or object)
 *   yajl's own message ("parse error: premature EOF", "lexical error: ...")
 *        just past the token yajl refused; for finish, the body's length
 *   "out of memory", "body already finished"
 * The first fault in body order is the one reported.  NULL if none. */
const char *dvc_dossier_scan_error(const dvc_dossier_scan_t *s, size_t *offset);

/* The top-level "procedure" string (NUL-terminated, *len without the NUL)
 * as soon as its value has been read, so the caller can start the
 * validator early; NULL before, or if it is absent or not a string. */
const char *dvc_dossier_scan_procedure(const dvc_dossier_scan_t *s,
    size_t *len);

typedef struct {
    const char *kind;        size_t kind_len;
    const char *sha256;      size_t sha256_len;
    long long   size;        /* a non-negative integer (1e3 and 1000.0 are
                                1000), else -1 */
    const char *media_type;  size_t media_type_len;
} dvc_dossier_doc_t;

typedef struct {
    const char *delivery;         size_t delivery_len;   /* top-level string */
    /* top-level string: how the dossier reached the gateway (online, or
     * postal/counter when the back-end enters a paper dossier) */
    const char *channel;          size_t channel_len;
    /* items of the top-level "documents" array that are objects, in order;
     * a member absent or of another type stays NULL/0 (size -1) */
    const dvc_dossier_doc_t *documents;  size_t ndocuments;
    const char *applicant_name;   size_t applicant_name_len;  /* .full_name */
    const char *applicant_phone;  size_t applicant_phone_len; /* .phone */
    const char *applicant_email;  size_t applicant_email_len; /* .email */
} dvc_dossier_facts_t;

/* What the body said (meaningful after finish returned 0).  Strings are
 * NUL-terminated copies (lengths exclude the NUL), absent ones NULL; all of
 * them, and the procedure, stay valid until reset or free. */
void dvc_dossier_scan_facts(const dvc_dossier_scan_t *s,
    dvc_dossier_facts_t *out);

/* Ready for the next body; memory is kept for reuse. */
void dvc_dossier_scan_reset(dvc_dossier_scan_t *s);

#endif
