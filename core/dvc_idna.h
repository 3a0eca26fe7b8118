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

/* 1 if label (with its "xn--" prefix, any case) is a valid A-label: it
 * decodes to a valid U-label in NFC and is that U-label's Punycode. */
int dvc_idna_alabel_valid(const char *label, size_t len);

/* 1 if name is a valid host name: labels of letters, digits and hyphens or
 * valid A-labels, at most 63 and 253 octets, the Bidi rule when a label is
 * right-to-left.  With unicode, labels may also be U-labels (brought to NFC,
 * ASCII letters to lower case) and U+3002, U+FF0E, U+FF61 separate labels
 * ("idn-hostname"); lengths count the A-label form. */
int dvc_idna_hostname_valid(const char *name, size_t len, int unicode);

#endif
