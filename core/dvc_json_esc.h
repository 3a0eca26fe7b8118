/*
 * \u escapes in JSON text that name half of a UTF-16 surrogate pair without
 * the other half.  yajl turns a lone high surrogate into "?", a high one
 * followed by any other \u escape into an unrelated code point, and a lone
 * low one into bytes that are not UTF-8: the validator would then check (and
 * PCRE2 match) something else than what was sent, so such text is refused
 * as invalid UTF-8 would be.  Checked over the raw bytes as they arrive, in
 * buffers, by the validator and the dossier scanner.
 */
#ifndef DVC_JSON_ESC_H
#define DVC_JSON_ESC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t         start;     /* stream offset of the escape's backslash */
    uint32_t       unit;      /* the \u escape's value so far */
    unsigned char  state;
    unsigned char  digits;
} dvc_json_esc_t;

void dvc_json_esc_reset(dvc_json_esc_t *e);
/* Checks the next len bytes at p, which start at stream offset base: 0, or
 * -1 with *at the offset of the backslash of the first escape of a lone
 * surrogate (before base when it began in an earlier buffer).  Escapes yajl
 * itself refuses ("\x", "\u12G4") are left to yajl. */
int  dvc_json_esc_feed(dvc_json_esc_t *e, const unsigned char *p, size_t len,
                       size_t base, size_t *at);

#endif
