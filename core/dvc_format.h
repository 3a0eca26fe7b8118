/*
 * JSON Schema `format` assertions (draft 2020-12 section 7.3) and the
 * Vietnamese formats of our procedures (docs/formats.md).  Each check takes
 * the string value (UTF-8, not NUL-terminated) and answers 1 valid, 0 not.
 * A name dvc_format_id() does not know is an annotation only: -1.
 */
#ifndef DVC_FORMAT_H
#define DVC_FORMAT_H

#include <stddef.h>

#include "dvc_alloc.h"

enum {
    DVC_FORMAT_DATE = 0,
    DVC_FORMAT_DATE_TIME,
    DVC_FORMAT_TIME,
    DVC_FORMAT_DURATION,
    DVC_FORMAT_EMAIL,
    DVC_FORMAT_HOSTNAME,
    DVC_FORMAT_IPV4,
    DVC_FORMAT_IPV6,
    DVC_FORMAT_URI,
    DVC_FORMAT_URI_REFERENCE,
    DVC_FORMAT_UUID,
    DVC_FORMAT_JSON_POINTER,
    DVC_FORMAT_RELATIVE_JSON_POINTER,
    DVC_FORMAT_REGEX,
    DVC_FORMAT_VN_CITIZEN_ID,
    DVC_FORMAT_VN_PHONE,
    DVC_FORMAT_VN_TAX_CODE,
    DVC_FORMAT_VN_AGENCY_CODE,
    DVC_FORMAT_IDN_EMAIL,
    DVC_FORMAT_IDN_HOSTNAME,
    DVC_FORMAT_IRI,
    DVC_FORMAT_IRI_REFERENCE,
    DVC_FORMAT_URI_TEMPLATE,
    DVC_FORMAT_COUNT
};

/* The id of a format name, -1 when unknown (annotation only). */
int dvc_format_id(const char *name, size_t len);
/* The name of an id ("date-time"), NULL when out of range. */
const char *dvc_format_name(int id);

/* 1 valid, 0 invalid; an unknown id is valid (annotation).  "regex" needs
 * scratch memory: dvc_format_check() takes it from the C allocator and frees
 * it before returning; dvc_format_check_a() from a. */
int dvc_format_check(int id, const char *s, size_t len);
int dvc_format_check_a(const dvc_alloc_t *a, int id, const char *s, size_t len);

/* The individual checks, for callers that know what they need. */
int dvc_fmt_date(const char *s, size_t len);
int dvc_fmt_time(const char *s, size_t len);
int dvc_fmt_date_time(const char *s, size_t len);
int dvc_fmt_duration(const char *s, size_t len);
int dvc_fmt_email(const char *s, size_t len);
int dvc_fmt_hostname(const char *s, size_t len);
int dvc_fmt_ipv4(const char *s, size_t len);
int dvc_fmt_ipv6(const char *s, size_t len);
int dvc_fmt_uri(const char *s, size_t len);
int dvc_fmt_uri_reference(const char *s, size_t len);
int dvc_fmt_uuid(const char *s, size_t len);
int dvc_fmt_json_pointer(const char *s, size_t len);
int dvc_fmt_relative_json_pointer(const char *s, size_t len);
int dvc_fmt_idn_email(const char *s, size_t len);
int dvc_fmt_idn_hostname(const char *s, size_t len);
int dvc_fmt_iri(const char *s, size_t len);
int dvc_fmt_iri_reference(const char *s, size_t len);
int dvc_fmt_uri_template(const char *s, size_t len);

/* Vietnamese identifiers (docs/formats.md gives rules and sources).
 * vn-citizen-id judges the birth year against this_year (the current year in
 * dvc_format_check; a parameter here so tests do not depend on the clock). */
int dvc_fmt_vn_citizen_id(const char *s, size_t len, int this_year);
int dvc_fmt_vn_phone(const char *s, size_t len);
int dvc_fmt_vn_tax_code(const char *s, size_t len);
int dvc_fmt_vn_agency_code(const char *s, size_t len);

#endif
