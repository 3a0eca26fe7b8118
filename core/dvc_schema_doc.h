/* Schema documents as a small tree with exact strings and number texts. */
#ifndef DVC_SCHEMA_DOC_H
#define DVC_SCHEMA_DOC_H

#include <stdio.h>

#include "dvc_schema_int.h"

typedef struct dvc_sv dvc_sv_t;

struct dvc_sv {
    uint8_t    type;      /* DVC_TOK_NULL .. DVC_TOK_OBJ */
    char      *s;         /* string or number text, NUL-terminated */
    size_t     len;
    size_t     n;         /* members or elements */
    dvc_sv_t **items;
    char     **keys;      /* objects: member names (NUL-terminated) */
    size_t    *klens;
};

/* Parses one JSON document into ar; NULL with a message in err. */
dvc_sv_t *dvc_doc_parse(dvc_arena_t *ar, const char *text, size_t len,
                        char *err, size_t errlen);

/* Member of an object by name (first one), or NULL. */
dvc_sv_t *dvc_sv_get(const dvc_sv_t *obj, const char *key);

#endif
