/*
 * JSON Schema formats: dates and times (RFC 3339 section 5.6 and Appendix
 * A), identifiers (RFC 4122 UUID, RFC 6901 JSON Pointer), addresses (IPv4 as
 * dotted-quad without leading zeros, RFC 4291 IPv6 without zone ids), RFC
 * 5321 / 6531 mailboxes and host names (RFC 1123, IDNA2008 in dvc_idna.c).
 * URIs, IRIs and URI templates live in dvc_format_uri.c, the Vietnamese
 * formats in dvc_format_vn.c, IPv4 and IPv6 in dvc_format_ip.c (which the
 * other two use: it calls nothing back, so the files make no cycle).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* gmtime_r */
#endif
#include <string.h>
#include <time.h>

#include "dvc_format.h"
#include "dvc_idna.h"
#include "dvc_regex.h"
#include "dvc_utf8.h"

static const char *const format_names[DVC_FORMAT_COUNT] = {
    "date", "date-time", "time", "duration", "email", "hostname", "ipv4", "ipv6",
    "uri", "uri-reference", "uuid", "json-pointer", "relative-json-pointer",
    "regex", "vn-citizen-id", "vn-phone", "vn-tax-code", "vn-agency-code",
    "idn-email", "idn-hostname", "iri", "iri-reference", "uri-template",
};

int
dvc_format_id(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < DVC_FORMAT_COUNT; i++) {
        if (strlen(format_names[i]) == len && memcmp(format_names[i], name, len) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
dvc_format_name(int id)
{
    return id >= 0 && id < DVC_FORMAT_COUNT ? format_names[id] : NULL;
}

static int
current_year(void)
{
    time_t     now = time(NULL);
    struct tm  tm;

    /* UTC: a citizen born on 1 January in UTC+7 is at most a few hours early */
    if (gmtime_r(&now, &tm) == NULL) {
        return 9999;
    }
    return tm.tm_year + 1900;
}

int
dvc_format_check_a(const dvc_alloc_t *a, int id, const char *s, size_t len)
{
    switch (id) {
    case DVC_FORMAT_DATE:              return dvc_fmt_date(s, len);
    case DVC_FORMAT_DATE_TIME:         return dvc_fmt_date_time(s, len);
    case DVC_FORMAT_TIME:              return dvc_fmt_time(s, len);
    case DVC_FORMAT_DURATION:          return dvc_fmt_duration(s, len);
    case DVC_FORMAT_EMAIL:             return dvc_fmt_email(s, len);
    case DVC_FORMAT_HOSTNAME:          return dvc_fmt_hostname(s, len);
    case DVC_FORMAT_IPV4:              return dvc_fmt_ipv4(s, len);
    case DVC_FORMAT_IPV6:              return dvc_fmt_ipv6(s, len);
    case DVC_FORMAT_URI:               return dvc_fmt_uri(s, len);
    case DVC_FORMAT_URI_REFERENCE:     return dvc_fmt_uri_reference(s, len);
    case DVC_FORMAT_UUID:              return dvc_fmt_uuid(s, len);
    case DVC_FORMAT_JSON_POINTER:      return dvc_fmt_json_pointer(s, len);
    case DVC_FORMAT_RELATIVE_JSON_POINTER:
        return dvc_fmt_relative_json_pointer(s, len);
    case DVC_FORMAT_REGEX:             return dvc_regex_valid(a, s, len);
    case DVC_FORMAT_VN_CITIZEN_ID:
        return dvc_fmt_vn_citizen_id(s, len, current_year());
    case DVC_FORMAT_VN_PHONE:          return dvc_fmt_vn_phone(s, len);
    case DVC_FORMAT_VN_TAX_CODE:       return dvc_fmt_vn_tax_code(s, len);
    case DVC_FORMAT_VN_AGENCY_CODE:    return dvc_fmt_vn_agency_code(s, len);
    case DVC_FORMAT_IDN_EMAIL:         return dvc_fmt_idn_email(s, len);
    case DVC_FORMAT_IDN_HOSTNAME:      return dvc_fmt_idn_hostname(s, len);
    case DVC_FORMAT_IRI:               return dvc_fmt_iri(s, len);
    case DVC_FORMAT_IRI_REFERENCE:     return dvc_fmt_iri_reference(s, len);
    case DVC_FORMAT_URI_TEMPLATE:      return dvc_fmt_uri_template(s, len);
    default:
        return 1;
    }
}

int
dvc_format_check(int id, const char *s, size_t len)
{
    return dvc_format_check_a(&dvc_alloc_std, id, s, len);
}

/* ------------------------------------------------------------ helpers */

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* n ASCII digits at s as a number, -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
    int  v = 0, i;

    for (i = 0; i < n; i++) {
        if (!is_digit((unsigned char) s[i])) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return days[m - 1];
}

/* ------------------------------------------------------------ dates, times */

int
dvc_fmt_date(const char *s, size_t len)
{
    int  y, m, d;

    if (len != 10 || s[4] != '-' || s[7] != '-') {
        return 0;
    }
    y = digits(s, 4);
    m = digits(s + 5, 2);
    d = digits(s + 8, 2);
    return y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/*
 * partial-time time-offset: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM).  A leap second
 * (SS = 60) is only possible at 23:59 UTC, so its local time must be 23:59
 * shifted by the offset.
 */
int
dvc_fmt_time(const char *s, size_t len)
{
    int     h, m, sec, oh = 0, om = 0, sign = 0, utc;
    size_t  i;

    if (len < 9 || s[2] != ':' || s[5] != ':') {
        return 0;
    }
    h = digits(s, 2);
    m = digits(s + 3, 2);
    sec = digits(s + 6, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) {
        return 0;
    }
    i = 8;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit((unsigned char) s[i])) {
            return 0;
        }
        while (i < len && is_digit((unsigned char) s[i])) {
            i++;
        }
    }
    if (i >= len) {
        return 0;
    }
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (len - i != 6 || s[i + 3] != ':') {
            return 0;
        }
        oh = digits(s + i + 1, 2);
        om = digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return 0;
        }
        i += 6;
    } else {
        return 0;
    }
    if (i != len) {
        return 0;
    }
    if (sec == 60) {
        utc = ((h * 60 + m - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59) {
            return 0;
        }
    }
    return 1;
}

int
dvc_fmt_date_time(const char *s, size_t len)
{
    return len > 11 && (s[10] == 'T' || s[10] == 't') && dvc_fmt_date(s, 10)
           && dvc_fmt_time(s + 11, len - 11);
}

/*
 * RFC 3339 Appendix A:
 *   duration = "P" (dur-date / dur-time / dur-week)
 *   dur-date = (dur-day / dur-month / dur-year) [dur-time]
 *   dur-time = "T" (dur-hour / dur-minute / dur-second)
 * so units appear in order without gaps (P1Y2D and PT1H2S are invalid) and
 * weeks stand alone.
 */
static int
duration_units(const char *s, size_t len, size_t *i, const char *order)
{
    int          next = 0, count = 0;
    size_t       j;
    const char  *u;

    while (*i < len && is_digit((unsigned char) s[*i])) {
        j = *i;
        while (j < len && is_digit((unsigned char) s[j])) {
            j++;
        }
        if (j >= len || (u = strchr(order, s[j])) == NULL || s[j] == '\0') {
            return -1;
        }
        if (count > 0 && u - order != next) {
            return -1;
        }
        next = (int) (u - order) + 1;
        count++;
        *i = j + 1;
    }
    return count;
}

int
dvc_fmt_duration(const char *s, size_t len)
{
    size_t  i = 1, j;
    int     nd, nt = 0;

    if (len < 3 || s[0] != 'P') {
        return 0;
    }
    /* P n W */
    for (j = 1; j < len && is_digit((unsigned char) s[j]); j++) {
        /* digits */
    }
    if (j > 1 && j == len - 1 && s[j] == 'W') {
        return 1;
    }
    nd = duration_units(s, len, &i, "YMD");
    if (nd < 0) {
        return 0;
    }
    if (i < len && s[i] == 'T') {
        i++;
        nt = duration_units(s, len, &i, "HMS");
        if (nt <= 0) {
            return 0;
        }
    }
    return i == len && nd + nt > 0;
}

/* ------------------------------------------------------------ identifiers */

int
dvc_fmt_uuid(const char *s, size_t len)
{
    size_t  i;

    if (len != 36) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
        } else if (!is_hex((unsigned char) s[i])) {
            return 0;
        }
    }
    return 1;
}

int
dvc_fmt_json_pointer(const char *s, size_t len)
{
    size_t  i;

    if (len > 0 && s[0] != '/') {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '~' && (i + 1 >= len || (s[i + 1] != '0' && s[i + 1] != '1'))) {
            return 0;
        }
    }
    return 1;
}

/* non-negative-integer, then "#" or a JSON Pointer (draft-bhutton-relative-
 * json-pointer-00 section 3); an index manipulation (+n / -n) may follow. */
int
dvc_fmt_relative_json_pointer(const char *s, size_t len)
{
    size_t  i = 0;

    if (len == 0 || !is_digit((unsigned char) s[0])) {
        return 0;
    }
    if (s[0] == '0') {
        i = 1;
    } else {
        while (i < len && is_digit((unsigned char) s[i])) {
            i++;
        }
    }
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        i++;
        if (i >= len || !is_digit((unsigned char) s[i]) || s[i] == '0') {
            return 0;
        }
        while (i < len && is_digit((unsigned char) s[i])) {
            i++;
        }
    }
    if (i < len && s[i] == '#') {
        return i + 1 == len;
    }
    return dvc_fmt_json_pointer(s + i, len - i);
}

/* ------------------------------------------------------------ host names */

int
dvc_fmt_hostname(const char *s, size_t len)
{
    return dvc_idna_hostname_valid(s, len, 0);
}

int
dvc_fmt_idn_hostname(const char *s, size_t len)
{
    return dvc_idna_hostname_valid(s, len, 1);
}

/* ------------------------------------------------------------ e-mail */

static int
is_atext(int c)
{
    return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/*
 * RFC 5321 section 4.1.2 Mailbox = Local-part "@" ( Domain / address-literal ),
 * Local-part = Dot-string / Quoted-string, at most 64 octets (4.5.3.1.1).
 * With utf8 (idn-email, RFC 6531 section 3.3), any non-ASCII character is
 * atext and qtext, and the domain is an internationalized host name.
 */
static int
mailbox(const char *s, size_t len, int utf8)
{
    size_t  i = 0, at, k;
    int     c;

    if (len == 0) {
        return 0;
    }
    if (s[0] == '"') {
        for (i = 1; i < len && s[i] != '"'; i++) {
            c = (unsigned char) s[i];
            if (c == '\\') {
                i++;
                if (i >= len || s[i] < 32 || s[i] > 126) {
                    return 0;
                }
            } else if (c >= 0x80 && utf8) {
                k = dvc_utf8_valid_prefix((const unsigned char *) s + i, len - i);
                if (k == 0) {
                    return 0;
                }
                i += k - 1;
            } else if (c < 32 || c > 126) {
                return 0;
            }
        }
        if (i >= len) {
            return 0;
        }
        i++;
    } else {
        for ( ;; ) {
            size_t  start = i;

            while (i < len) {
                if (is_atext((unsigned char) s[i])) {
                    i++;
                } else if (utf8 && (unsigned char) s[i] >= 0x80
                           && (k = dvc_utf8_valid_prefix((const unsigned char *) s + i,
                                                         len - i)) > 0)
                {
                    i += k;
                } else {
                    break;
                }
            }
            if (i == start) {
                return 0;
            }
            if (i < len && s[i] == '.') {
                i++;
                continue;
            }
            break;
        }
    }
    if (i > 64 || i >= len || s[i] != '@') {
        return 0;
    }
    at = i + 1;
    if (at >= len) {
        return 0;
    }
    if (s[at] == '[') {
        if (s[len - 1] != ']') {
            return 0;
        }
        if (len - at - 2 > 5 && memcmp(s + at + 1, "IPv6:", 5) == 0) {
            return dvc_fmt_ipv6(s + at + 6, len - at - 7);
        }
        return dvc_fmt_ipv4(s + at + 1, len - at - 2);
    }
    return dvc_idna_hostname_valid(s + at, len - at, utf8);
}

int
dvc_fmt_email(const char *s, size_t len)
{
    return mailbox(s, len, 0);
}

int
dvc_fmt_idn_email(const char *s, size_t len)
{
    return mailbox(s, len, 1);
}
