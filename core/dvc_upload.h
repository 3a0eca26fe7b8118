/*
 * Uploaded documents (POST /dvc/v1/uploads): what the gateway decides about
 * a file a citizen sends, fed buffer by buffer as the server receives it.
 *
 * One pass over the bytes, never a second read: the SHA-256 (the file's
 * name in the store, DIR/ab/abcdef...), the size, the first bytes for the
 * magic sniff and, for a PDF, whether the file carries an /Encrypt
 * dictionary (an encrypted PDF the back-end could not read).  The verdict
 * then weighs what was seen against the declared type and the document
 * kind's rules (x-dvc documents[].types and max_size):
 *
 *   empty file                                  422 document_empty
 *   first bytes not the declared type's magic   422 document_type_mismatch
 *   "%PDF-" without a version "N.N"             422 document_malformed
 *   a PDF with /Encrypt                         422 document_encrypted
 *   a type the document kind does not take      422 document_type
 *   larger than the kind's max_size             413 document_too_large
 *
 * Magic: PDF "%PDF-" at byte 0 (ISO 32000 allows junk before it; the
 * national portal and every viewer in use take a file that starts with it),
 * JPEG FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A.
 */
#ifndef DVC_UPLOAD_H
#define DVC_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"

typedef enum {
    DVC_MEDIA_NONE = 0,
    DVC_MEDIA_PDF = 1,
    DVC_MEDIA_JPEG = 2,
    DVC_MEDIA_PNG = 4
} dvc_media_t;

#define DVC_MEDIA_ALL  (DVC_MEDIA_PDF | DVC_MEDIA_JPEG | DVC_MEDIA_PNG)

/* A Content-Type value: "application/pdf", "image/jpeg" or "image/png",
 * case-insensitive, optionally with parameters (";..."); else NONE. */
dvc_media_t dvc_media_parse(const char *value, size_t len);
/* "application/pdf"...; NULL for NONE */
const char *dvc_media_name(dvc_media_t m);
/* The type the first bytes show, or NONE (head: the first len bytes). */
dvc_media_t dvc_media_sniff(const unsigned char *head, size_t len);

typedef enum {
    DVC_UPLOAD_OK = 0,
    DVC_UPLOAD_EMPTY,
    DVC_UPLOAD_MISMATCH,
    DVC_UPLOAD_MALFORMED,
    DVC_UPLOAD_ENCRYPTED,
    DVC_UPLOAD_TYPE,
    DVC_UPLOAD_TOO_LARGE,
    DVC_UPLOAD_INFECTED,        /* the virus scanner's verdict */
    DVC_UPLOAD_BAD_KIND,        /* X-DVC-Document-Kind unknown or malformed */
    DVC_UPLOAD_BAD_HEADER,      /* a rule header given twice, or bad bytes */
    DVC_UPLOAD_MEDIA_TYPE,      /* Content-Type not one of the three */
    DVC_UPLOAD_NOT_UPLOADED,    /* a dossier lists a hash with no upload */
    DVC_UPLOAD_LISTED_MISMATCH, /* ... whose size or type differs */
    DVC_UPLOAD_RESULT_LAST
} dvc_upload_result_t;

/* The rules of a document kind: the types it takes (DVC_MEDIA_* bits, 0:
 * all three) and its largest size in bytes (0: no limit of its own). */
typedef struct {
    unsigned   types;
    uint64_t   max_size;
} dvc_upload_rules_t;

#define DVC_UPLOAD_HEAD      16
#define DVC_SHA256_HEX_LEN   64

typedef struct dvc_upload dvc_upload_t;

dvc_upload_t *dvc_upload_new(const dvc_alloc_t *a);
void dvc_upload_free(dvc_upload_t *u);
/* (Re)starts for a file declared as type; 0, -1 when the hash cannot start */
int dvc_upload_begin(dvc_upload_t *u, dvc_media_t declared);
/* 0, or -1 when the hash failed (sticky) */
int dvc_upload_feed(dvc_upload_t *u, const void *data, size_t len);
/* The last byte is in: the hex SHA-256 (NUL-terminated) into hex; 0 or -1 */
int dvc_upload_finish(dvc_upload_t *u, char hex[DVC_SHA256_HEX_LEN + 1]);
uint64_t dvc_upload_size(const dvc_upload_t *u);
/* The verdict, after finish; rules may be NULL (no kind named) */
dvc_upload_result_t dvc_upload_verdict(const dvc_upload_t *u,
    const dvc_upload_rules_t *rules);

/* Before any byte: a declared length already over the rules' max_size is
 * refused at once (1), so a 1 GB Content-Length is never read. */
int dvc_upload_too_large(const dvc_upload_rules_t *rules, uint64_t declared);

/* The stable code ("document_empty"...), the HTTP status (422, 413, 415,
 * 400) and the error body {"error","message":{"vi","en"}} of a result. */
const char *dvc_upload_result_code(dvc_upload_result_t r);
int dvc_upload_result_status(dvc_upload_result_t r);
int dvc_upload_error_json(dvc_upload_result_t r, dvc_buf_t *out);

/*
 * A dossier's documents[] item against the upload it names: the record
 * (dvc:up:{sha256}: found, its size and type), what the dossier declares
 * (size -1 and NONE: not declared, not compared) and the kind's rules.
 * DVC_UPLOAD_OK, _NOT_UPLOADED (no record: never uploaded or expired),
 * _LISTED_MISMATCH, _TYPE, _TOO_LARGE.
 */
typedef struct {
    int          found;
    uint64_t     size;
    dvc_media_t  type;
} dvc_upload_record_t;

dvc_upload_result_t dvc_upload_check_listed(const dvc_upload_record_t *rec,
    long long declared_size, dvc_media_t declared_type,
    const dvc_upload_rules_t *rules);

/* One violation in the validator's shape, for a dossier's 422:
 * {"path":"/documents/N/sha256","keyword":"/x-dvc/uploads","code",
 *  "message":{"vi","en"}} */
int dvc_upload_violation_json(dvc_upload_result_t r, size_t index,
    dvc_buf_t *out);

/* "ab/abcdef..." (2 + 1 + 64 bytes, no NUL) for a hex SHA-256: the file's
 * place below the store; -1 unless hex is 64 lowercase hex digits. */
#define DVC_UPLOAD_REL_LEN  (3 + DVC_SHA256_HEX_LEN)
int dvc_upload_store_path(const char *hex, size_t len,
    char out[DVC_UPLOAD_REL_LEN]);
/* 1 if s is 64 lowercase hex digits */
int dvc_sha256_hex_valid(const char *s, size_t len);

#endif
