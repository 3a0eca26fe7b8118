/*
 * JSON Schema draft 2020-12: compile once, validate many times in one
 * streaming pass.
 *
 * A schema (JSON text, trusted configuration) is compiled at configuration
 * time into an immutable dvc_schema_t: every $ref is resolved (other files of
 * the schema's folder, or remotes), keyword tables are precomputed.  The
 * compiled schema is read-only afterwards and may be shared by any number of
 * validation contexts (one per request), in one process.
 *
 * An instance (untrusted: the citizen's dossier) is never built into a tree:
 * it is fed buffer by buffer to yajl and checked event by event.  Only what a
 * keyword needs is kept (a container under const/enum/uniqueItems, the
 * outcome bits of unevaluated* candidates).  Hostile input is bounded by
 * dvc_validate_limits_t; invalid UTF-8 and malformed JSON are rejected with
 * the byte offset.
 *
 *     dvc_schema_t *s = dvc_schema_compile_file(&dvc_alloc_std, path, NULL,
 *                                               err, sizeof(err));
 *     dvc_validate_ctx_t *v = dvc_validate_new(&dvc_alloc_std, s, NULL);
 *     while (more) rc = dvc_validate_feed(v, buf, n);   stop when rc > 1
 *     rc = dvc_validate_finish(v);        DVC_VALID, DVC_INVALID or fatal
 *     dvc_errors_to_json(&out, v);        [{"path":..,"keyword":..,...}]
 *     dvc_validate_reset(v);              next document, memory kept
 */
#ifndef DVC_SCHEMA_H
#define DVC_SCHEMA_H

#include <stddef.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"

typedef struct dvc_schema dvc_schema_t;
typedef struct dvc_validate_ctx dvc_validate_ctx_t;

/* ------------------------------------------------------------- compiling */

/* A URI prefix whose documents are files of a folder: "PREFIX" + "a/b"
 * is DIR/a/b, or DIR/a/b.json when only that exists (meta-schema URIs
 * such as https://json-schema.org/draft/2020-12/meta/core have no
 * extension, their files do). */
typedef struct {
    const char *prefix;
    const char *dir;
} dvc_schema_map_t;

typedef struct {
    /* Folder that http://localhost:1234/ maps to (the official suite's
     * remotes/); NULL: such references are unresolvable. */
    const char *remotes_dir;
    /* Base for relative $ref of a schema compiled from text (a folder, no
     * trailing slash needed); NULL: the current directory.  Ignored by
     * dvc_schema_compile_file, which uses the file's own folder. */
    const char *base_dir;
    /* 0 (ours): `format` is asserted.  1: an annotation only, the
     * specification's default (the official suite's required files). */
    int         format_annotation;
    /* 0 (ours): const, enum and uniqueItems compare strings in NFC, so a
     * decomposed "Hà Nội" equals the composed one.  1: code point by code
     * point, as the specification (and its suite) says. */
    int         exact_strings;
    /* More URI prefixes read from folders (nmaps of them), tried in order
     * after remotes_dir; nothing is ever fetched from the network. */
    const dvc_schema_map_t *maps;
    size_t                  nmaps;
} dvc_schema_options_t;

/* Compiles schema text.  Returns NULL with a human message in err (what and
 * where: "$ref \"x.json#/a\" at /properties/b: no such file") when the schema
 * is unusable: not JSON, a keyword of the wrong type, an invalid regex, an
 * unresolvable $ref.  opt may be NULL. */
dvc_schema_t *dvc_schema_compile(const dvc_alloc_t *a, const char *text,
    size_t len, const dvc_schema_options_t *opt, char *err, size_t errlen);

/* Same for a file; relative $ref resolve against the file's folder. */
dvc_schema_t *dvc_schema_compile_file(const dvc_alloc_t *a, const char *path,
    const dvc_schema_options_t *opt, char *err, size_t errlen);

void dvc_schema_free(dvc_schema_t *s);

/*
 * Shared documents compiled once for many schemas (a gateway's procedures
 * and their common/ definitions):
 *
 *     lib = dvc_schema_lib_new(&alloc, &opt);          opt copied, base_dir too
 *     dvc_schema_lib_add(lib, "DIR/common/person.json", text, len, err, n);
 *     s = dvc_schema_compile_lib(lib, text, len, err, n);   as dvc_schema_compile
 *     ...
 *     dvc_schema_free(s);  ...  dvc_schema_lib_free(lib);  the schemas first
 *
 * A shared document is known by its "$id" (else by its file's URI), so a
 * reference to it from any schema compiled with the library lands on the
 * same compiled nodes, compiled the first time one is reached; patterns are
 * compiled once for every schema of the library too.  Nodes of the schemas
 * themselves live in the library as well: a schema compiled with it is valid
 * while the library is, and holds no memory of its own but its header.  The
 * answers are those of dvc_schema_compile on the same text and options (a
 * schema with unevaluated* keywords is compiled on its own, as there).
 * Once a shared document's definition fails to compile, every later
 * compilation with the library fails with the same message.
 */
typedef struct dvc_schema_lib dvc_schema_lib_t;

dvc_schema_lib_t *dvc_schema_lib_new(const dvc_alloc_t *a,
    const dvc_schema_options_t *opt);

/* 0, or -1 with err set: the library is then unusable (every compilation
 * with it fails), free it and compile without. */
int dvc_schema_lib_add(dvc_schema_lib_t *lib, const char *path,
    const char *text, size_t len, char *err, size_t errlen);

dvc_schema_t *dvc_schema_compile_lib(dvc_schema_lib_t *lib, const char *text,
    size_t len, char *err, size_t errlen);

void dvc_schema_lib_free(dvc_schema_lib_t *lib);

/* ------------------------------------------------------------ validating */

typedef struct {
    size_t max_depth;        /* nesting of arrays/objects; default 64 */
    size_t max_string_len;   /* bytes of one string or key; default 1 MiB */
    size_t max_properties;   /* members of one object; default 10,000 */
    size_t max_items;        /* elements of one array; default 100,000 */
    size_t max_total_size;   /* bytes of the whole document; default 16 MiB */
    size_t max_errors;       /* violations kept (then the schema is no
                                longer evaluated); default 100 */
} dvc_validate_limits_t;

void dvc_validate_limits_default(dvc_validate_limits_t *l);

/* Outcome of feed/finish.  Values > DVC_INVALID are fatal: the document was
 * not read to its end; dvc_validate_offset() tells where it stopped and the
 * error list holds one entry with the code of dvc_validate_status_code(). */
typedef enum {
    DVC_VALID = 0,          /* (finish) conforms; (feed) so far so good */
    DVC_INVALID,            /* read whole, violates the schema */
    DVC_ERR_SYNTAX,         /* malformed JSON                 "json_syntax" */
    DVC_ERR_UTF8,           /* invalid UTF-8                  "json_utf8" */
    DVC_ERR_INCOMPLETE,     /* ends before the value does     "json_incomplete" */
    DVC_ERR_DEPTH,          /* max_depth exceeded             "limit_depth" */
    DVC_ERR_STRING,         /* max_string_len exceeded        "limit_string" */
    DVC_ERR_PROPERTIES,     /* max_properties exceeded        "limit_properties" */
    DVC_ERR_ITEMS,          /* max_items exceeded             "limit_items" */
    DVC_ERR_SIZE,           /* max_total_size exceeded        "limit_size" */
    DVC_ERR_NOMEM,          /* allocation failed              "nomem" */
    DVC_ERR_STATE           /* feed after finish/fatal        "state" */
} dvc_validate_status_t;

/* A context for one document at a time; limits may be NULL (defaults).  The
 * schema must outlive the context. */
dvc_validate_ctx_t *dvc_validate_new(const dvc_alloc_t *a,
    const dvc_schema_t *s, const dvc_validate_limits_t *limits);

/* Feeds the next bytes.  Returns DVC_VALID while nothing is fatal (also
 * once violations were found: they are only final at finish), or a fatal
 * status; after a fatal status further feeds return it again.  When
 * max_errors violations are kept, the schema is no longer evaluated but the
 * document is still read to its end: malformed JSON, invalid UTF-8 and every
 * limit after the cap are as fatal as before it (finish then returns that
 * status, else DVC_INVALID). */
int dvc_validate_feed(dvc_validate_ctx_t *v, const void *buf, size_t len);

/* End of the document: DVC_VALID, DVC_INVALID or a fatal status. */
int dvc_validate_finish(dvc_validate_ctx_t *v);

/* Ready for the next document against the same schema; buffers are kept. */
void dvc_validate_reset(dvc_validate_ctx_t *v);

void dvc_validate_free(dvc_validate_ctx_t *v);

typedef struct {
    const char *path;        /* instance JSON Pointer; "" is the document */
    const char *keyword;     /* schema location, e.g. "/properties/a/type" */
    const char *code;        /* stable: the keyword ("required", "type",..)
                                or a fatal code ("json_syntax", ..) */
    const char *message_vi;  /* for the citizen (x-dvc-messages if given) */
    const char *message_en;
    size_t      offset;      /* byte offset in the document near the cause */
} dvc_validation_error_t;

/* Violations in document order (at most limits.max_errors), valid until the
 * next feed/reset/free. */
size_t dvc_validate_error_count(const dvc_validate_ctx_t *v);
const dvc_validation_error_t *dvc_validate_error(const dvc_validate_ctx_t *v,
    size_t i);

/* Bytes of the document consumed so far; for a fatal status, where the
 * document went wrong. */
size_t dvc_validate_offset(const dvc_validate_ctx_t *v);

/* "json_syntax", "limit_depth", ... for a status (see the enum). */
const char *dvc_validate_status_code(int status);

/* The messages the validator gives a code ("json_syntax", "type", ...;
 * a generic one for a code it does not know). */
void dvc_validate_message(const char *code, const char **vi,
    const char **en);

/* Appends [{"path":"/a/0","keyword":"/properties/a/items/type",
 * "code":"type","message":{"vi":"..","en":".."}}, ...]. */
void dvc_errors_to_json(dvc_buf_t *b, const dvc_validate_ctx_t *v);

#endif
