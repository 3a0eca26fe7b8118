/*
 * IDNA2008 A-labels for the "hostname" format: an "xn--" label must be the
 * Punycode (RFC 3492) of a valid U-label (RFC 5891 section 5.4, RFC 5892
 * code point classes and contextual rules).  Unicode data from utf8proc.
 */
#ifndef DVC_IDNA_H
#define DVC_IDNA_H

#include <stddef.h>
#include <stdint.h>

#define DVC_IDNA_MAX_LABEL 63

/* Decodes the Punycode after "xn--" into out (at most max code points);
 * returns the count, or -1 when the text is not valid Punycode. */
int dvc_punycode_decode(const char *s, size_t len, uint32_t *out, size_t max);

/* 1 if label (with its "xn--" prefix, any case) is a valid A-label. */
int dvc_idna_alabel_valid(const char *label, size_t len);

#endif
