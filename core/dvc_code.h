/*
 * Dossier codes, Circular 01/2018/TT-VPCP art. 19: AGENCY-YYMMDD-NNNN, e.g.
 * 000.00.53.H48-220921-0099: the receiving agency's electronic identifier
 * (Decision 20/2020/QD-TTg: 3.2.2.3 characters), the date of receipt and the
 * day's 4-digit sequence for that agency.
 */
#ifndef DVC_CODE_H
#define DVC_CODE_H

#include <stddef.h>

#define DVC_AGENCY_LEN  13
#define DVC_CODE_LEN    25  /* 13 + 1 + 6 + 1 + 4 */
#define DVC_SEQ_MAX     9999

/* 1 if s is a well-formed agency identifier (e.g. 000.00.10.H47). */
int dvc_agency_valid(const char *s, size_t len);

/* 1 if s is a well-formed dossier code with a real calendar date and a
 * sequence in 1..9999. */
int dvc_code_valid(const char *s, size_t len);

/* Writes the code for agency, the date (yy = year % 100) and seq into out
 * (DVC_CODE_LEN + 1 bytes, NUL-terminated).  Returns 0, or -1 when the agency
 * is malformed, the date is not a date or seq is outside 1..9999: a caller
 * never gets a malformed code. */
int dvc_code_format(char *out, const char *agency, size_t agency_len,
                    int yy, int mm, int dd, long seq);

#endif
