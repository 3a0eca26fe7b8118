/*
 * "uri" and "uri-reference": RFC 3986 section 3 (URI) and 4.1
 * (URI-reference), ASCII only; "iri" and "iri-reference": the same grammar
 * with RFC 3987's ucschar (and iprivate in the query); "uri-template": RFC
 * 6570 level 4 syntax.  The host of an authority is an IP-literal ([IPv6] or
 * [vX.future]) or a reg-name; a dotted quad that is not a valid IPv4 address
 * is still a valid reg-name.
 */
#include <string.h>

#include "dvc_format.h"
#include "dvc_utf8.h"

/* What a component may hold beyond ASCII. */
enum { ASCII_ONLY = 0, UCSCHAR = 1, UCS_PRIVATE = 2 };

static int
is_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
is_unreserved(int c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
is_sub_delim(int c)
{
    return c != 0 && strchr("!$&'()*+,;=", c) != NULL;
}

static int
is_ucschar(uint32_t cp)
{
    if (cp >= 0xA0 && cp <= 0xD7FF) {
        return 1;
    }
    if ((cp >= 0xF900 && cp <= 0xFDCF) || (cp >= 0xFDF0 && cp <= 0xFFEF)) {
        return 1;
    }
    /* planes 1 to 14 without their last two code points; E0000-E0FFF out */
    return cp >= 0x10000 && cp <= 0xEFFFD && (cp & 0xFFFF) <= 0xFFFD
           && !(cp >= 0xE0000 && cp <= 0xE0FFF);
}

static int
is_iprivate(uint32_t cp)
{
    return (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xF0000 && cp <= 0xFFFFD)
           || (cp >= 0x100000 && cp <= 0x10FFFD);
}

/* Length of the allowed non-ASCII character at s, 0 if not allowed. */
static size_t
non_ascii_ok(const char *s, size_t len, int wide)
{
    uint32_t  cp;
    size_t    k;

    if (wide == ASCII_ONLY) {
        return 0;
    }
    k = dvc_utf8_decode((const unsigned char *) s, len, &cp);
    if (k == 0 || !(is_ucschar(cp) || (wide == UCS_PRIVATE && is_iprivate(cp)))) {
        return 0;
    }
    return k;
}

/*
 * Checks s[0..len) against *( unreserved / pct-encoded / sub-delims / extra ),
 * where extra lists the further characters the component allows.
 */
static int
component_ok(const char *s, size_t len, const char *extra, int wide)
{
    size_t  i, k;
    int     c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];
        if (c >= 0x80) {
            k = non_ascii_ok(s + i, len - i, wide);
            if (k == 0) {
                return 0;
            }
            i += k - 1;
            continue;
        }
        if (c == '%') {
            if (i + 2 >= len || !is_hex((unsigned char) s[i + 1])
                || !is_hex((unsigned char) s[i + 2]))
            {
                return 0;
            }
            i += 2;
            continue;
        }
        if (!is_unreserved(c) && !is_sub_delim(c) && (c == 0 || strchr(extra, c) == NULL)) {
            return 0;
        }
    }
    return 1;
}

/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static int
ipvfuture_ok(const char *s, size_t len)
{
    size_t  i = 1;

    if (len < 4 || (s[0] != 'v' && s[0] != 'V')) {
        return 0;
    }
    while (i < len && is_hex((unsigned char) s[i])) {
        i++;
    }
    if (i == 1 || i >= len - 1 || s[i] != '.') {
        return 0;
    }
    for (i++; i < len; i++) {
        if (!is_unreserved((unsigned char) s[i]) && !is_sub_delim((unsigned char) s[i])
            && s[i] != ':')
        {
            return 0;
        }
    }
    return 1;
}

/* authority = [ userinfo "@" ] host [ ":" port ] */
static int
authority_ok(const char *s, size_t len, int wide)
{
    const char  *at, *host, *end = s + len, *p, *close;

    at = memchr(s, '@', len);
    host = s;
    if (at != NULL) {
        if (!component_ok(s, (size_t) (at - s), ":", wide)) {
            return 0;
        }
        host = at + 1;
    }
    if (host < end && *host == '[') {
        close = memchr(host, ']', (size_t) (end - host));
        if (close == NULL) {
            return 0;
        }
        if (!dvc_fmt_ipv6(host + 1, (size_t) (close - host - 1))
            && !ipvfuture_ok(host + 1, (size_t) (close - host - 1)))
        {
            return 0;
        }
        p = close + 1;
    } else {
        for (p = host; p < end && *p != ':'; p++) {
            /* reg-name up to the port */
        }
        if (!component_ok(host, (size_t) (p - host), "", wide)) {
            return 0;
        }
    }
    if (p == end) {
        return 1;
    }
    if (*p != ':') {
        return 0;
    }
    for (p++; p < end; p++) {
        if (!is_digit((unsigned char) *p)) {
            return 0;
        }
    }
    return 1;
}

static int
uri_check(const char *s, size_t len, int relative_ok, int iri)
{
    const char  *end = s + len, *p, *hier, *hier_end, *q, *f, *seg_end;
    int          wide = iri ? UCSCHAR : ASCII_ONLY;

    /* no controls or spaces (RFC 3986 section 2); non-ASCII only in an IRI,
     * where component_ok() checks it */
    for (p = s; p < end; p++) {
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p == 0x7F
            || ((unsigned char) *p >= 0x80 && !iri))
        {
            return 0;
        }
    }
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    hier = s;
    if (len > 0 && is_alpha((unsigned char) s[0])) {
        for (p = s + 1; p < end && (is_alpha((unsigned char) *p) || is_digit((unsigned char) *p)
                                    || *p == '+' || *p == '-' || *p == '.'); p++)
        {
            /* scheme characters */
        }
        if (p < end && *p == ':') {
            hier = p + 1;
        }
    }
    if (hier == s && !relative_ok) {
        return 0;
    }
    f = memchr(hier, '#', (size_t) (end - hier));
    if (f != NULL && !component_ok(f + 1, (size_t) (end - f - 1), ":@/?", wide)) {
        return 0;
    }
    hier_end = f ? f : end;
    q = memchr(hier, '?', (size_t) (hier_end - hier));
    if (q != NULL && !component_ok(q + 1, (size_t) (hier_end - q - 1), ":@/?",
                                   iri ? UCS_PRIVATE : ASCII_ONLY))
    {
        return 0;
    }
    if (q != NULL) {
        hier_end = q;
    }
    p = hier;
    if (hier_end - p >= 2 && p[0] == '/' && p[1] == '/') {
        p += 2;
        for (seg_end = p; seg_end < hier_end && *seg_end != '/'; seg_end++) {
            /* the authority runs to the path */
        }
        if (!authority_ok(p, (size_t) (seg_end - p), wide)) {
            return 0;
        }
        p = seg_end;
    } else if (hier == s) {
        /* path-noscheme: no ':' in the first segment of a relative path */
        for (seg_end = p; seg_end < hier_end && *seg_end != '/'; seg_end++) {
            if (*seg_end == ':') {
                return 0;
            }
        }
    }
    return component_ok(p, (size_t) (hier_end - p), ":@/", wide);
}

int
dvc_fmt_uri(const char *s, size_t len)
{
    return uri_check(s, len, 0, 0);
}

int
dvc_fmt_uri_reference(const char *s, size_t len)
{
    return uri_check(s, len, 1, 0);
}

int
dvc_fmt_iri(const char *s, size_t len)
{
    return uri_check(s, len, 0, 1);
}

int
dvc_fmt_iri_reference(const char *s, size_t len)
{
    return uri_check(s, len, 1, 1);
}

/* varchar = ALPHA / DIGIT / "_" / pct-encoded; returns its length or 0. */
static size_t
varchar(const char *s, const char *end)
{
    if (s < end && (is_alpha((unsigned char) *s) || is_digit((unsigned char) *s)
                    || *s == '_'))
    {
        return 1;
    }
    if (end - s >= 3 && s[0] == '%' && is_hex((unsigned char) s[1])
        && is_hex((unsigned char) s[2]))
    {
        return 3;
    }
    return 0;
}

/*
 * RFC 6570 section 2.3: expression = "{" [ operator ] variable-list "}",
 * varspec = varname [ ":" max-length / "*" ], varname = varchar *( ["."]
 * varchar ), max-length 1 to 9999 without leading zero.  The reserved
 * operators "=", ",", "!", "@", "|" are errors.  p is after "{".
 */
static const char *
template_expression(const char *p, const char *end)
{
    size_t  k;
    int     digits;

    if (p < end && strchr("+#./;?&", *p) != NULL && *p != '\0') {
        p++;
    }
    for ( ;; ) {
        if ((k = varchar(p, end)) == 0) {
            return NULL;
        }
        p += k;
        for ( ;; ) {
            if ((k = varchar(p, end)) > 0) {
                p += k;
            } else if (p < end && *p == '.' && (k = varchar(p + 1, end)) > 0) {
                p += 1 + k;
            } else {
                break;
            }
        }
        if (p < end && *p == ':') {
            p++;
            if (p >= end || *p < '1' || *p > '9') {
                return NULL;
            }
            for (digits = 0; p < end && is_digit((unsigned char) *p); p++) {
                digits++;
            }
            if (digits > 4) {
                return NULL;
            }
        } else if (p < end && *p == '*') {
            p++;
        }
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        return p < end && *p == '}' ? p + 1 : NULL;
    }
}

/*
 * literals = %x21 / %x23-24 / %x26-3B / %x3D / %x3F-5B / %x5D / %x5F /
 * %x61-7A / %x7E / ucschar / iprivate / pct-encoded (with RFC 6570 erratum
 * 6937, which admits the apostrophe).
 */
int
dvc_fmt_uri_template(const char *s, size_t len)
{
    const char  *p = s, *end = s + len;
    int          c;
    size_t       k;

    while (p < end) {
        c = (unsigned char) *p;
        if (c == '{') {
            p = template_expression(p + 1, end);
            if (p == NULL) {
                return 0;
            }
        } else if (c == '%') {
            if (end - p < 3 || !is_hex((unsigned char) p[1]) || !is_hex((unsigned char) p[2])) {
                return 0;
            }
            p += 3;
        } else if (c >= 0x80) {
            k = non_ascii_ok(p, (size_t) (end - p), UCS_PRIVATE);
            if (k == 0) {
                return 0;
            }
            p += k;
        } else if (c <= 0x20 || c == 0x7F || strchr("\"<>\\^`{|}", c) != NULL) {
            return 0;
        } else {
            p++;
        }
    }
    return 1;
}
