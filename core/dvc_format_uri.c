/*
 * "uri" and "uri-reference": RFC 3986 section 3 (URI) and 4.1
 * (URI-reference), ASCII only (non-ASCII belongs to "iri").  The host of an
 * authority is an IP-literal ([IPv6] or [vX.future]) or a reg-name; a dotted
 * quad that is not a valid IPv4 address is still a valid reg-name.
 */
#include <string.h>

#include "dvc_format.h"

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

/*
 * Checks s[0..len) against *( unreserved / pct-encoded / sub-delims / extra ),
 * where extra lists the further characters the component allows.
 */
static int
component_ok(const char *s, size_t len, const char *extra)
{
    size_t  i;
    int     c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];
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
authority_ok(const char *s, size_t len)
{
    const char  *at, *host, *end = s + len, *p, *close;

    at = memchr(s, '@', len);
    host = s;
    if (at != NULL) {
        if (!component_ok(s, (size_t) (at - s), ":")) {
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
        if (!component_ok(host, (size_t) (p - host), "")) {
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
uri_check(const char *s, size_t len, int relative_ok)
{
    const char  *end = s + len, *p, *hier, *hier_end, *q, *f, *seg_end;

    /* all of it is ASCII without controls or spaces (RFC 3986 section 2) */
    for (p = s; p < end; p++) {
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7F) {
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
    if (f != NULL && !component_ok(f + 1, (size_t) (end - f - 1), ":@/?")) {
        return 0;
    }
    hier_end = f ? f : end;
    q = memchr(hier, '?', (size_t) (hier_end - hier));
    if (q != NULL && !component_ok(q + 1, (size_t) (hier_end - q - 1), ":@/?")) {
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
        if (!authority_ok(p, (size_t) (seg_end - p))) {
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
    return component_ok(p, (size_t) (hier_end - p), ":@/");
}

int
dvc_fmt_uri(const char *s, size_t len)
{
    return uri_check(s, len, 0);
}

int
dvc_fmt_uri_reference(const char *s, size_t len)
{
    return uri_check(s, len, 1);
}
