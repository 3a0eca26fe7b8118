/*
 * Procedures: the x-dvc metadata of each procedure schema (docs/procedures.md).
 *
 * A procedure schema is a JSON Schema (draft 2020-12) for one administrative
 * procedure's dossier, carrying in "x-dvc" what the gateway itself needs: the
 * national procedure code, the receiving agency (whose identifier starts every
 * dossier code), the online service level, the processing time and cut-off
 * for the appointment, whether the desk accepts at once, the fee and the
 * documents a dossier may and must hold.
 *
 * Schema files are trusted configuration read once at startup (nginx -t, the
 * CLI); every check still fails with "FILE: x-dvc.FIELD ..." so a sysadmin
 * knows what to fix.  Parsing uses yajl_tree, whose transient tree lives on
 * the C library's heap and is freed before returning; everything kept is on
 * the caller's allocator.
 */
#ifndef DVC_PROCEDURE_H
#define DVC_PROCEDURE_H

#include <stddef.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"

#define DVC_PROCEDURE_SCHEMA_DIALECT  "https://json-schema.org/draft/2020-12/schema"
#define DVC_PROCEDURE_MAX_FILE        (4 * 1024 * 1024)
#define DVC_PROCEDURE_KIND_MAX        64

/* Online service level.  Decree 42/2022/ND-CP renamed the old levels:
 * level 4 is "toàn trình" (entirely online), level 3 "một phần" (partly). */
#define DVC_LEVEL_PARTIAL  3
#define DVC_LEVEL_FULL     4

typedef enum {
    DVC_PROCESSING_DAYS = 1,   /* working days (8 office hours each) */
    DVC_PROCESSING_HOURS = 2   /* office hours */
} dvc_processing_unit_e;

typedef struct {
    char   *kind;        /* [a-z0-9_]{1,64}, unique in the procedure */
    size_t  kind_len;
    char   *name;        /* Vietnamese name shown to citizens */
    int     required;
    /* what an upload of this kind may be (dvc_upload.h): the DVC_MEDIA_*
     * bits of "types" (0: PDF, JPEG and PNG alike), "max_size" in bytes
     * (0: only the gateway's own limit) */
    unsigned            types;
    unsigned long long  max_size;
} dvc_procedure_doc_t;

typedef struct dvc_procedure {
    const dvc_alloc_t     *alloc;
    char                  *code;          /* e.g. "1.001193" */
    size_t                 code_len;
    char                  *name;          /* e.g. "Đăng ký khai sinh" */
    char                  *agency;        /* e.g. "000.00.10.H47" */
    int                    level;         /* DVC_LEVEL_PARTIAL or _FULL */
    char                  *sector;        /* "ho_tich": [a-z0-9_]{1,64}, the
                                             field (lĩnh vực) of the national
                                             database; NULL when not given */
    size_t                 sector_len;
    dvc_processing_unit_e  processing_unit;
    unsigned               processing_halves; /* the amount times 2: 0.5 day = 1 */
    int                    cutoff;        /* minutes after midnight, -1: none */
    int                    accept_auto;   /* 1: accepted on submission */
    long long              fee;           /* VND */
    dvc_procedure_doc_t   *documents;
    size_t                 ndocuments;
    char                  *schema_id;     /* the schema's "$id", NULL if absent */
    char                  *raw;           /* the schema file text, NUL-terminated */
    size_t                 raw_len;
    char                  *file_name;     /* as given to the parser */
} dvc_procedure_t;

/*
 * Parses one schema file's text.  Returns the procedure, or NULL with
 * "FILE_NAME: reason" in err (also for a failed allocation).  file_name is
 * only used in messages and kept for later ones.
 */
dvc_procedure_t *dvc_procedure_parse(const dvc_alloc_t *a, const char *json,
    size_t len, const char *file_name, char *err, size_t errlen);

void dvc_procedure_free(dvc_procedure_t *p);

/* The syntax checks every schema file passes: strict JSON (RFC 8259: no
 * comments, one value, valid UTF-8), no byte order mark, no NUL byte.
 * 0, or -1 with "FILE_NAME: invalid JSON at line L, column C (byte N): ..."
 * in err. */
int dvc_procedure_check_json(const char *json, size_t len,
    const char *file_name, char *err, size_t errlen);

/* Office minutes of the processing time: days count 8 hours (Labour Code's
 * normal working day), so 0.5 day = 240 minutes. */
long dvc_procedure_processing_minutes(const dvc_procedure_t *p);

/* The procedure's document of that kind, or NULL. */
const dvc_procedure_doc_t *dvc_procedure_document(const dvc_procedure_t *p,
    const char *kind, size_t len);

/* Vietnamese and English names of a level (3, 4); NULL for others. */
const char *dvc_level_name_vi(int level);
const char *dvc_level_name_en(int level);

/*
 * Appends the procedure's listing entry, one JSON object:
 * {"code","name","agency","level","level_name":{"vi","en"},"sector"?,
 *  "processing":{"days"|"hours"},"cutoff"?,"fee","accept",
 *  "documents":[{"kind","name","required"}]}.
 * Returns 0, or -1 when the buffer failed.
 */
int dvc_procedure_summary_json(const dvc_procedure_t *p, dvc_buf_t *out);

/*
 * Checks a dossier's documents[].kind values (kinds[i], lens[i], in dossier
 * order) against the procedure: each must be one of its documents, and each
 * required document must be present.  Violations are objects in the
 * validator's shape (core/dvc_schema.h, dvc_errors_to_json):
 *   {"path":"/documents/1/kind","keyword":"/x-dvc/documents",
 *    "code":"unknown_document","message":{"vi":..,"en":..}}
 *   {"path":"/documents","keyword":"/x-dvc/documents",
 *    "code":"missing_document","message":{"vi":..,"en":..}}
 * When errors_json ends in ']' (an array, e.g. dvc_errors_to_json's), they go
 * inside it before the ']'; otherwise they are appended, with a comma first
 * when errors_json is non-empty and ends neither in '[' nor ','.  Either way
 * the caller's array stays one valid JSON array.
 * Returns the number of violations, or -1 when the buffer failed.
 */
int dvc_procedure_check_documents(const dvc_procedure_t *p, const char **kinds,
    const size_t *lens, size_t n, dvc_buf_t *errors_json);


/* A shared-definition schema from DIR/common/: not a procedure, referenced
 * from procedure schemas by "$ref": "common/FILE#/$defs/...". */
typedef struct {
    char   *file_name;   /* DIR/common/FILE */
    char   *id;          /* its "$id" */
    char   *raw;         /* NUL-terminated text */
    size_t  raw_len;
} dvc_schema_file_t;

typedef struct dvc_procedures {
    const dvc_alloc_t  *alloc;
    dvc_procedure_t   **items;     /* sorted by code */
    size_t              n;
    dvc_schema_file_t  *common;    /* sorted by file name */
    size_t              ncommon;
} dvc_procedures_t;

/*
 * Loads every DIR/ *.json (regular files, not hidden ones) as a procedure, and
 * every DIR/common/ *.json as a shared definition (a JSON object with a string
 * "$id").  A procedure's file must be named after its code (CODE.json); codes
 * are unique.  Files are read in name order, so the first error is always the
 * same one: NULL with "PATH: reason" in err.  An empty DIR is an error too.
 */
dvc_procedures_t *dvc_procedures_load_dir(const dvc_alloc_t *a, const char *dir,
    char *err, size_t errlen);

void dvc_procedures_free(dvc_procedures_t *set);

/* Binary search by code; NULL when unknown. */
const dvc_procedure_t *dvc_procedures_find(const dvc_procedures_t *set,
    const char *code, size_t len);

/* Appends {"procedures":[summary, ...]} in code order.  0 or -1. */
int dvc_procedures_listing_json(const dvc_procedures_t *set, dvc_buf_t *out);

/* 1 if s looks like a national procedure code: D.DDDDDD (e.g. 1.001193). */
int dvc_procedure_code_valid(const char *s, size_t len);

#endif
