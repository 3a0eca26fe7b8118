/*
 * IDNA2008 host names for the "hostname", "idn-hostname" and "idn-email"
 * formats: labels are judged by libidn2 (RFC 5891 section 5.4, RFC 5892
 * classes and contextual rules, RFC 5893 within a label), the name as a
 * whole (separators, lengths, the Bidi rule across labels, NFC) here, with
 * utf8proc's Unicode data.  libidn2 uses malloc(3) for its results and
 * each is freed before the call returns.
 */
#ifndef DVC_IDNA_H
#define DVC_IDNA_H

#include <stddef.h>
#include <stdint.h>

#define DVC_IDNA_MAX_LABEL 63

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
