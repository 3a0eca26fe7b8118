/*
 * The official JSON Schema draft 2020-12 meta-schemas, built in: the
 * compiler resolves https://json-schema.org/draft/2020-12/schema and its
 * meta/core, meta/applicator, meta/unevaluated, meta/validation,
 * meta/meta-data, meta/format-annotation and meta/content from here when
 * no file of remotes_dir or of a map gives them (nothing is ever fetched).
 * The texts come from core/metaschemas/draft2020-12/ through
 * scripts/gen-metaschemas.py, which checks each against the 2020-12 release.
 */
#ifndef DVC_METASCHEMA_H
#define DVC_METASCHEMA_H

#include <stddef.h>

/* The JSON text of the meta-schema whose URI (no fragment) is uri, its
 * length in *len; NULL when uri is not one of them. */
const char *dvc_metaschema_text(const char *uri, size_t *len);

#endif
