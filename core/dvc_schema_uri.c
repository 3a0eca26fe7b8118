/*
 * URI reference resolution (RFC 3986 section 5.2) for $id, $ref and
 * $dynamicRef.  Schemas are trusted configuration, so this is a plain, exact
 * implementation of the RFC's algorithm without normalisation beyond it.
 */
#include <string.h>

#include "dvc_schema_uri.h"

typedef struct {
    const char *scheme;    size_t scheme_len;    int has_scheme;
    const char *auth;      size_t auth_len;      int has_auth;
    const char *path;      size_t path_len;
    const char *query;     size_t query_len;     int has_query;
    const char *frag;      size_t frag_len;      int has_frag;
} uri_parts_t;

static void
uri_split(const char *s, uri_parts_t *u)
{
    const char *p = s, *q;

    memset(u, 0, sizeof(*u));
    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    for (q = p; *q && *q != ':' && *q != '/' && *q != '?' && *q != '#'; q++) {
    }
    if (*q == ':' && q > p) {
        u->has_scheme = 1;
        u->scheme = p;
        u->scheme_len = (size_t) (q - p);
        p = q + 1;
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        for (q = p; *q && *q != '/' && *q != '?' && *q != '#'; q++) {
        }
        u->has_auth = 1;
        u->auth = p;
        u->auth_len = (size_t) (q - p);
        p = q;
    }
    for (q = p; *q && *q != '?' && *q != '#'; q++) {
    }
    u->path = p;
    u->path_len = (size_t) (q - p);
    p = q;
    if (*p == '?') {
        p++;
        for (q = p; *q && *q != '#'; q++) {
        }
        u->has_query = 1;
        u->query = p;
        u->query_len = (size_t) (q - p);
        p = q;
    }
    if (*p == '#') {
        u->has_frag = 1;
        u->frag = p + 1;
        u->frag_len = strlen(p + 1);
    }
}

/* RFC 3986 5.2.4, in place on a NUL-terminated path in out. */
static void
remove_dot_segments(dvc_buf_t *out, const char *in, size_t len)
{
    const char *end = in + len, *seg;
    size_t      start = out->len, n;

    while (in < end) {
        if (end - in >= 3 && memcmp(in, "../", 3) == 0) {
            in += 3;
        } else if (end - in >= 2 && memcmp(in, "./", 2) == 0) {
            in += 2;
        } else if (end - in >= 3 && memcmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (end - in == 2 && memcmp(in, "/.", 2) == 0) {
            in += 1;
            /* becomes "/" */
            dvc_buf_putc(out, '/');
            in = end;
        } else if ((end - in >= 4 && memcmp(in, "/../", 4) == 0)
                   || (end - in == 3 && memcmp(in, "/..", 3) == 0))
        {
            in += 3;
            /* drop the last segment of the output */
            n = out->len;
            while (n > start && out->data[n - 1] != '/') {
                n--;
            }
            if (n > start) {
                n--;
            }
            out->len = n;
            if (in == end) {
                dvc_buf_putc(out, '/');
            }
        } else if ((end - in == 1 && in[0] == '.')
                   || (end - in == 2 && memcmp(in, "..", 2) == 0))
        {
            in = end;
        } else {
            seg = in;
            if (*in == '/') {
                in++;
            }
            while (in < end && *in != '/') {
                in++;
            }
            dvc_buf_append(out, seg, (size_t) (in - seg));
        }
    }
}

static void
put_auth(dvc_buf_t *b, const uri_parts_t *u)
{
    if (u->has_auth) {
        dvc_buf_puts(b, "//");
        dvc_buf_append(b, u->auth, u->auth_len);
    }
}

int
dvc_uri_resolve(dvc_buf_t *out, const char *base, const char *ref)
{
    uri_parts_t b, r;
    size_t      n;
    const char *slash;

    uri_split(base, &b);
    uri_split(ref, &r);
    dvc_buf_reset(out);

    if (r.has_scheme) {
        dvc_buf_append(out, r.scheme, r.scheme_len);
        dvc_buf_putc(out, ':');
        put_auth(out, &r);
        remove_dot_segments(out, r.path, r.path_len);
        if (r.has_query) {
            dvc_buf_putc(out, '?');
            dvc_buf_append(out, r.query, r.query_len);
        }
    } else {
        if (b.has_scheme) {
            dvc_buf_append(out, b.scheme, b.scheme_len);
            dvc_buf_putc(out, ':');
        }
        if (r.has_auth) {
            put_auth(out, &r);
            remove_dot_segments(out, r.path, r.path_len);
            if (r.has_query) {
                dvc_buf_putc(out, '?');
                dvc_buf_append(out, r.query, r.query_len);
            }
        } else {
            put_auth(out, &b);
            if (r.path_len == 0) {
                dvc_buf_append(out, b.path, b.path_len);
                if (r.has_query) {
                    dvc_buf_putc(out, '?');
                    dvc_buf_append(out, r.query, r.query_len);
                } else if (b.has_query) {
                    dvc_buf_putc(out, '?');
                    dvc_buf_append(out, b.query, b.query_len);
                }
            } else {
                if (r.path[0] == '/') {
                    remove_dot_segments(out, r.path, r.path_len);
                } else {
                    /* merge (5.2.3) */
                    dvc_buf_t m;

                    dvc_buf_init(&m, out->alloc);
                    if (b.has_auth && b.path_len == 0) {
                        dvc_buf_putc(&m, '/');
                    } else {
                        slash = NULL;
                        for (n = b.path_len; n > 0; n--) {
                            if (b.path[n - 1] == '/') {
                                slash = b.path + n;
                                break;
                            }
                        }
                        if (slash != NULL) {
                            dvc_buf_append(&m, b.path,
                                           (size_t) (slash - b.path));
                        }
                    }
                    dvc_buf_append(&m, r.path, r.path_len);
                    if (m.failed) {
                        dvc_buf_free(&m);
                        return -1;
                    }
                    remove_dot_segments(out, m.data ? m.data : "", m.len);
                    dvc_buf_free(&m);
                }
                if (r.has_query) {
                    dvc_buf_putc(out, '?');
                    dvc_buf_append(out, r.query, r.query_len);
                }
            }
        }
    }
    if (r.has_frag) {
        dvc_buf_putc(out, '#');
        dvc_buf_append(out, r.frag, r.frag_len);
    }
    return dvc_buf_cstr(out) == NULL ? -1 : 0;
}
