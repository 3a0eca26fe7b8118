/*
 * Compact JWS signing (the gateway's hot path) and verification (tools,
 * tests: untrusted input), and writing JWK Sets.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#define OPENSSL_API_COMPAT 30000  /* EVP only: deprecated calls do not compile */
#define OPENSSL_NO_DEPRECATED

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <yajl/yajl_tree.h>

#include "dvc_err.h"
#include "dvc_base64url.h"
#include "dvc_jws.h"
#include "dvc_key_int.h"

/* Most members a protected header may have before we stop looking. */
#define DVC_JWS_HEADER_MEMBERS  32

/* ------------------------------------------------------------ signing */

static int
dvc_jws_typ_valid(const char *typ, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > DVC_JWS_TYP_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        c = typ[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '/'
              || c == '_' || c == '-'))
        {
            return 0;
        }
    }
    return 1;
}

/* An allocator that never gives memory: a dvc_buf_t over a fixed array. */
static void *
dvc_jws_no_malloc(void *ud, size_t size)
{
    (void) ud;
    (void) size;
    return NULL;
}

static void *
dvc_jws_no_realloc(void *ud, void *p, size_t old_size, size_t new_size)
{
    (void) ud;
    (void) p;
    (void) old_size;
    (void) new_size;
    return NULL;
}

static void
dvc_jws_no_free(void *ud, void *p)
{
    (void) ud;
    (void) p;
}

static const dvc_alloc_t  dvc_jws_fixed_alloc = {
    dvc_jws_no_malloc, dvc_jws_no_realloc, dvc_jws_no_free, NULL
};

static void
dvc_jws_fixed_buf(dvc_buf_t *b, char *mem, size_t size)
{
    dvc_buf_init(b, &dvc_jws_fixed_alloc);
    b->data = mem;
    b->cap = size;
}

/*
 * Appends the base64url of the protected header.  Built on the stack, not on
 * the key's allocator: in nginx that is the configuration pool, which must
 * not grow while workers sign.
 */
static void
dvc_jws_header(const dvc_key_t *k, const char *typ, size_t typ_len,
    dvc_buf_t *out)
{
    char       mem[DVC_JWS_HDR_JSON_MAX + 1];
    dvc_buf_t  b;

    dvc_jws_fixed_buf(&b, mem, sizeof(mem));
    dvc_buf_puts(&b, "{\"alg\":\"");
    dvc_buf_puts(&b, dvc_alg_name(k->alg));
    dvc_buf_puts(&b, "\",\"kid\":");
    /* kid is printable ASCII (dvc_kid_valid) but may hold '"' or '\\' */
    dvc_buf_json_str(&b, k->kid, k->kid_len);
    if (typ != NULL) {
        dvc_buf_puts(&b, ",\"typ\":\"");
        dvc_buf_append(&b, typ, typ_len);
        dvc_buf_putc(&b, '"');
    }
    dvc_buf_putc(&b, '}');
    if (b.failed) {
        out->failed = 1;    /* cannot happen: the bounds above fit mem */
    } else {
        dvc_buf_base64url(out, (const unsigned char *) b.data, b.len);
    }
}

/* The encoded header for typ, from the key's cache (filled on first use). */
static void
dvc_jws_put_header(const dvc_key_t *k, const char *typ, size_t typ_len,
    dvc_buf_t *out)
{
    dvc_key_signer_t    *s = k->signer;
    dvc_jws_hdr_slot_t  *slot;
    dvc_buf_t            b;
    size_t               i;

    for (i = 0; i < DVC_JWS_HDR_SLOTS; i++) {
        slot = &s->hdr[i];
        if (slot->typ_len == (size_t) -1) {
            break;
        }
        /* typ_len 0 is "no typ" (a typ has at least one character) */
        if (slot->typ_len == typ_len
            && (typ_len == 0 || memcmp(slot->typ, typ, typ_len) == 0))
        {
            dvc_buf_append(out, slot->b64, slot->b64_len);
            return;
        }
    }
    if (i == DVC_JWS_HDR_SLOTS) {
        dvc_jws_header(k, typ, typ_len, out);    /* cache full: no caching */
        return;
    }
    dvc_jws_fixed_buf(&b, slot->b64, sizeof(slot->b64));
    dvc_jws_header(k, typ, typ_len, &b);
    if (b.failed) {
        out->failed = 1;
        return;
    }
    if (typ_len) {
        memcpy(slot->typ, typ, typ_len);
    }
    slot->typ_len = typ_len;
    slot->b64_len = b.len;
    dvc_buf_append(out, slot->b64, slot->b64_len);
}

/*
 * An ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }, DER, as OpenSSL
 * makes it) to JOSE's fixed-width R||S.  Done by hand: it is on the signing
 * path and P-256 values keep every length in one byte.
 */
static int
dvc_ecdsa_der_to_raw(const unsigned char *der, size_t len, unsigned char *raw)
{
    size_t  pos = 2, i, ilen;

    if (len < 8 || der[0] != 0x30 || der[1] != len - 2) {
        return -1;
    }
    for (i = 0; i < 2; i++) {
        if (pos + 2 > len || der[pos] != 0x02) {
            return -1;
        }
        ilen = der[pos + 1];
        pos += 2;
        if (ilen == 0 || ilen > 33 || pos + ilen > len) {
            return -1;
        }
        /* drop the sign byte, left-pad to 32 */
        while (ilen > 32) {
            if (der[pos] != 0) {
                return -1;
            }
            pos++;
            ilen--;
        }
        memset(raw + i * 32, 0, 32 - ilen);
        memcpy(raw + i * 32 + (32 - ilen), der + pos, ilen);
        pos += ilen;
    }
    return pos == len ? 0 : -1;
}

long
dvc_jws_sign_input(const dvc_key_t *k, const unsigned char *input,
    size_t len, unsigned char *sig)
{
    dvc_key_signer_t  *s = k->signer;
    unsigned char      md[32], der[80];
    unsigned int       mdlen = 0;
    size_t             siglen;

    if (s == NULL) {
        return -1;
    }
    switch (k->alg) {
    case DVC_ALG_EDDSA:
        siglen = 64;
        if (EVP_DigestSign(s->md_ctx, sig, &siglen, input, len) == 1) {
            return (long) siglen;
        }
        /* an OpenSSL that refuses to reuse the context: initialise again */
        ERR_clear_error();
        siglen = 64;
        if (EVP_DigestSignInit_ex(s->md_ctx, NULL, NULL, NULL, NULL, k->pkey,
                                  NULL) == 1
            && EVP_DigestSign(s->md_ctx, sig, &siglen, input, len) == 1)
        {
            return (long) siglen;
        }
        break;

    case DVC_ALG_ES256:
        siglen = sizeof(der);
        if (EVP_DigestInit_ex2(s->digest_ctx, s->sha256, NULL) == 1
            && EVP_DigestUpdate(s->digest_ctx, input, len) == 1
            && EVP_DigestFinal_ex(s->digest_ctx, md, &mdlen) == 1
            && EVP_PKEY_sign(s->pkey_ctx, der, &siglen, md, mdlen) == 1
            && dvc_ecdsa_der_to_raw(der, siglen, sig) == 0)
        {
            return 64;
        }
        break;

    case DVC_ALG_RS256:
        siglen = DVC_SIG_MAX;
        if (EVP_DigestInit_ex2(s->digest_ctx, s->sha256, NULL) == 1
            && EVP_DigestUpdate(s->digest_ctx, input, len) == 1
            && EVP_DigestFinal_ex(s->digest_ctx, md, &mdlen) == 1
            && EVP_PKEY_sign(s->pkey_ctx, sig, &siglen, md, mdlen) == 1
            && siglen == k->sig_len)
        {
            return (long) siglen;
        }
        break;
    }
    ERR_clear_error();
    return -1;
}

int
dvc_jws_sign(const dvc_key_t *k, const char *typ, const char *payload_json,
    size_t len, dvc_buf_t *out)
{
    unsigned char  sig[DVC_SIG_MAX];
    size_t         start = out->len, typ_len = 0;
    long           siglen;

    if (k->signer == NULL || out->failed) {
        return -1;
    }
    if (typ != NULL) {
        typ_len = strlen(typ);
        if (!dvc_jws_typ_valid(typ, typ_len)) {
            return -1;
        }
    }
    /* one reservation for the whole token: header, payload, signature */
    if (dvc_buf_reserve(out, DVC_JWS_HDR_B64_MAX + 2 + (len + 2) / 3 * 4
                             + (k->sig_len + 2) / 3 * 4) != 0)
    {
        return -1;
    }
    dvc_jws_put_header(k, typ, typ_len, out);
    dvc_buf_putc(out, '.');
    dvc_buf_base64url(out, (const unsigned char *) payload_json, len);
    if (out->failed) {
        goto failed;
    }
    siglen = dvc_jws_sign_input(k, (const unsigned char *) out->data + start,
                                out->len - start, sig);
    if (siglen < 0) {
        goto failed;
    }
    dvc_buf_putc(out, '.');
    dvc_buf_base64url(out, sig, (size_t) siglen);
    if (out->failed) {
        goto failed;
    }
    return 0;

failed:
    out->len = start;
    return -1;
}

/* ------------------------------------------------------------ JWKS */

int
dvc_jwks_write(const dvc_key_t **keys, size_t n, dvc_buf_t *out)
{
    size_t  i, j;
    int     first = 1;

    dvc_buf_puts(out, "{\"keys\":[");
    for (i = 0; i < n; i++) {
        /* the same key configured twice (signing and verify) is one JWK */
        for (j = 0; j < i; j++) {
            if (keys[j]->jwk_len == keys[i]->jwk_len
                && memcmp(keys[j]->jwk, keys[i]->jwk, keys[i]->jwk_len) == 0)
            {
                break;
            }
        }
        if (j < i) {
            continue;
        }
        if (!first) {
            dvc_buf_putc(out, ',');
        }
        first = 0;
        dvc_buf_append(out, keys[i]->jwk, keys[i]->jwk_len);
    }
    dvc_buf_puts(out, "]}");
    return out->failed ? -1 : 0;
}

/* ------------------------------------------------------------ verifying */

/* Copies an untrusted string into an error message, printable ASCII only. */
static const char *
dvc_jws_quote(const char *s, size_t len, char *buf, size_t size)
{
    size_t  i;

    if (len > size - 4) {
        len = size - 4;
        memcpy(buf + len, "...", 4);
    } else {
        buf[len] = '\0';
    }
    for (i = 0; i < len; i++) {
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }
    return buf;
}

/* JOSE R||S (64 bytes) to DER for OpenSSL; *der is OPENSSL_malloc'd. */
static int
dvc_ecdsa_raw_to_der(const unsigned char *raw, unsigned char **der)
{
    ECDSA_SIG  *es;
    BIGNUM     *r, *s;
    int         n;

    es = ECDSA_SIG_new();
    r = BN_bin2bn(raw, 32, NULL);
    s = BN_bin2bn(raw + 32, 32, NULL);
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return -1;
    }
    *der = NULL;
    n = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    return n;
}

/* 1 valid, 0 not. */
static int
dvc_jws_check_sig(const dvc_key_t *k, const unsigned char *input, size_t len,
    const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX     *ctx;
    unsigned char  *der = NULL;
    int             derlen, ok = 0;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return 0;
    }
    if (EVP_DigestVerifyInit_ex(ctx, NULL,
                                k->alg == DVC_ALG_EDDSA ? NULL : "SHA256",
                                NULL, NULL, k->pkey, NULL) == 1)
    {
        if (k->alg == DVC_ALG_ES256) {
            derlen = dvc_ecdsa_raw_to_der(sig, &der);
            ok = derlen > 0
                 && EVP_DigestVerify(ctx, der, (size_t) derlen, input, len)
                    == 1;
            OPENSSL_free(der);
        } else {
            ok = EVP_DigestVerify(ctx, sig, siglen, input, len) == 1;
        }
    }
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

typedef struct {
    const char  *alg;
    size_t       alg_len;
    const char  *kid;
    size_t       kid_len;
    const char  *typ;          /* NULL: no typ member */
} dvc_jws_header_t;

/* Parses the decoded protected header (NUL-terminated json). */
static int
dvc_jws_parse_header(char *json, yajl_val *tree, dvc_jws_header_t *h,
    char *err, size_t errlen)
{
    char         ebuf[128], q[40];
    yajl_val     root, v;
    const char  *name;
    size_t       i, j;

    memset(h, 0, sizeof(*h));
    root = yajl_tree_parse(json, ebuf, sizeof(ebuf));
    *tree = root;
    if (root == NULL) {
        dvc_errf(err, errlen, "header is not JSON");
        return -1;
    }
    if (!YAJL_IS_OBJECT(root)) {
        dvc_errf(err, errlen, "header is not a JSON object");
        return -1;
    }
    if (root->u.object.len > DVC_JWS_HEADER_MEMBERS) {
        dvc_errf(err, errlen, "header has more than %d members",
                    DVC_JWS_HEADER_MEMBERS);
        return -1;
    }
    for (i = 0; i < root->u.object.len; i++) {
        name = root->u.object.keys[i];
        v = root->u.object.values[i];
        /* two "alg" members could mean two things to two parsers */
        for (j = 0; j < i; j++) {
            if (strcmp(name, root->u.object.keys[j]) == 0) {
                dvc_errf(err, errlen, "header has member \"%s\" twice",
                            dvc_jws_quote(name, strlen(name), q, sizeof(q)));
                return -1;
            }
        }
        if (strcmp(name, "alg") == 0) {
            if (!YAJL_IS_STRING(v)) {
                dvc_errf(err, errlen, "header alg is not a string");
                return -1;
            }
            h->alg = v->u.string;
            h->alg_len = strlen(v->u.string);
        } else if (strcmp(name, "kid") == 0) {
            if (!YAJL_IS_STRING(v)) {
                dvc_errf(err, errlen, "header kid is not a string");
                return -1;
            }
            h->kid = v->u.string;
            h->kid_len = strlen(v->u.string);
        } else if (strcmp(name, "typ") == 0) {
            if (!YAJL_IS_STRING(v)) {
                dvc_errf(err, errlen, "header typ is not a string");
                return -1;
            }
            h->typ = v->u.string;
        } else if (strcmp(name, "crit") == 0 || strcmp(name, "b64") == 0) {
            /* extensions we do not implement must not be ignored (7515 4.1.11) */
            dvc_errf(err, errlen, "header member \"%s\" is not supported",
                        name);
            return -1;
        }
    }
    if (h->alg == NULL) {
        dvc_errf(err, errlen, "header has no alg");
        return -1;
    }
    return 0;
}

/*
 * The key the header names.  kids should be unique in a set (RFC 7517
 * section 4.5) but need not be: among keys with the kid, the one whose own
 * alg is the header's wins; if none has it, the first is returned and the
 * caller refuses the mismatch.
 */
static const dvc_key_t *
dvc_jws_find_key(const dvc_jwks_t *jwks, const dvc_jws_header_t *h,
    dvc_alg_t alg, char *err, size_t errlen)
{
    const dvc_key_t  *first = NULL;
    char              q[80];
    size_t            i;

    if (h->kid == NULL) {
        if (jwks->n == 1) {
            return jwks->keys[0];
        }
        dvc_errf(err, errlen, "header has no kid and the JWKS has %zu keys",
                    jwks->n);
        return NULL;
    }
    for (i = 0; i < jwks->n; i++) {
        if (jwks->keys[i]->kid_len == h->kid_len
            && memcmp(jwks->keys[i]->kid, h->kid, h->kid_len) == 0)
        {
            if (jwks->keys[i]->alg == alg) {
                return jwks->keys[i];
            }
            if (first == NULL) {
                first = jwks->keys[i];
            }
        }
    }
    if (first == NULL) {
        dvc_errf(err, errlen, "no key with kid \"%s\" in the JWKS",
                    dvc_jws_quote(h->kid, h->kid_len, q, sizeof(q)));
    }
    return first;
}

/* A compact JWS's three parts, still base64url. */
typedef struct {
    const char  *hdr;
    size_t       hdr_len;
    const char  *pay;
    size_t       pay_len;
    const char  *sig;
    size_t       sig_len;
} dvc_jws_parts_t;

static int
dvc_jws_split(const char *jws, size_t len, dvc_jws_parts_t *p, char *err,
    size_t errlen)
{
    const char  *dot1, *dot2;

    if (len > DVC_JWS_MAX) {
        dvc_errf(err, errlen, "JWS of %zu bytes: longer than %d", len,
                    DVC_JWS_MAX);
        return -1;
    }
    dot1 = memchr(jws, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t) (jws + len - dot1 - 1)) : NULL;
    if (dot2 == NULL
        || memchr(dot2 + 1, '.', (size_t) (jws + len - dot2 - 1)) != NULL)
    {
        dvc_errf(err, errlen, "not a compact JWS (three base64url parts "
                    "separated by two dots)");
        return -1;
    }
    p->hdr = jws;
    p->hdr_len = (size_t) (dot1 - jws);
    p->pay = dot1 + 1;
    p->pay_len = (size_t) (dot2 - dot1 - 1);
    p->sig = dot2 + 1;
    p->sig_len = (size_t) (jws + len - p->sig);
    return 0;
}

/* The header's JSON, decoded into hdr (DVC_JWS_HEADER_MAX + 1 bytes). */
static int
dvc_jws_header_decode(const dvc_jws_parts_t *p, char *hdr, char *err,
    size_t errlen)
{
    long    n;
    size_t  bad;

    if (p->hdr_len == 0) {
        dvc_errf(err, errlen, "empty header");
        return -1;
    }
    if (DVC_BASE64URL_DECODED_LEN(p->hdr_len) > DVC_JWS_HEADER_MAX) {
        dvc_errf(err, errlen, "header longer than %d bytes",
                    DVC_JWS_HEADER_MAX);
        return -1;
    }
    n = dvc_base64url_decode(p->hdr, p->hdr_len, (unsigned char *) hdr, &bad);
    if (n < 0) {
        dvc_errf(err, errlen, "header is not base64url (at byte %zu)", bad);
        return -1;
    }
    /* a NUL, raw or escaped, would cut alg or kid short for us (yajl hands
     * out C strings) but not for another parser */
    if (memchr(hdr, '\0', (size_t) n) != NULL
        || memmem(hdr, (size_t) n, "\\u0000", 6) != NULL)
    {
        dvc_errf(err, errlen, "header holds a NUL byte");
        return -1;
    }
    hdr[n] = '\0';
    return 0;
}

/* The header's alg accepted and its typ the one asked for (if any). */
static dvc_alg_t
dvc_jws_header_check(const dvc_jws_header_t *h, const char *typ, char *err,
    size_t errlen)
{
    dvc_alg_t  alg;
    char       q[64];

    alg = dvc_alg_by_name(h->alg, h->alg_len);
    if (alg == 0) {
        dvc_errf(err, errlen, "alg \"%s\" is not accepted (EdDSA, ES256 or "
                    "RS256)", dvc_jws_quote(h->alg, h->alg_len, q, sizeof(q)));
        return 0;
    }
    if (typ != NULL && (h->typ == NULL || strcmp(h->typ, typ) != 0)) {
        if (h->typ == NULL) {
            dvc_errf(err, errlen, "header has no typ; expected \"%s\"",
                        typ);
        } else {
            dvc_errf(err, errlen, "typ is \"%s\", not \"%s\"",
                        dvc_jws_quote(h->typ, strlen(h->typ), q, sizeof(q)),
                        typ);
        }
        return 0;
    }
    return alg;
}

/* The key the header names, for the header's alg; NULL with err. */
static const dvc_key_t *
dvc_jws_header_key(const dvc_jws_parts_t *p, const dvc_jwks_t *jwks,
    const char *typ, char *err, size_t errlen)
{
    const dvc_key_t   *k;
    dvc_jws_header_t   h;
    dvc_alg_t          alg;
    yajl_val           tree = NULL;
    char               hdr[DVC_JWS_HEADER_MAX + 1];

    if (dvc_jws_header_decode(p, hdr, err, errlen) != 0) {
        return NULL;
    }
    if (dvc_jws_parse_header(hdr, &tree, &h, err, errlen) != 0) {
        yajl_tree_free(tree);
        return NULL;
    }
    alg = dvc_jws_header_check(&h, typ, err, errlen);
    if (alg == 0) {
        yajl_tree_free(tree);
        return NULL;
    }
    k = dvc_jws_find_key(jwks, &h, alg, err, errlen);
    yajl_tree_free(tree);
    if (k == NULL) {
        return NULL;
    }
    if (alg != k->alg) {
        dvc_errf(err, errlen, "header alg %s does not match key %s, which "
                    "is for %s", dvc_alg_name(alg), k->kid,
                    dvc_alg_name(k->alg));
        return NULL;
    }
    return k;
}

int
dvc_jws_verify(const char *jws, size_t len, const dvc_jwks_t *jwks,
    dvc_buf_t *payload_out, char *err, size_t errlen)
{
    return dvc_jws_verify_ex(jws, len, jwks, NULL, payload_out, NULL, err,
                             errlen);
}

int
dvc_jws_verify_ex(const char *jws, size_t len, const dvc_jwks_t *jwks,
    const char *typ, dvc_buf_t *payload_out, const dvc_key_t **key_out,
    char *err, size_t errlen)
{
    const dvc_key_t   *k;
    dvc_jws_parts_t    p;
    unsigned char      sig[DVC_SIG_MAX];
    size_t             bad, start;
    long               n;

    start = payload_out->len;
    if (dvc_jws_split(jws, len, &p, err, errlen) != 0) {
        return -1;
    }

    k = dvc_jws_header_key(&p, jwks, typ, err, errlen);
    if (k == NULL) {
        return -1;
    }

    /* signature */
    if (p.sig_len != (k->sig_len * 4 + 2) / 3) {
        dvc_errf(err, errlen, "signature is %zu characters; %s with this "
                    "key makes %zu", p.sig_len, dvc_alg_name(k->alg),
                    (k->sig_len * 4 + 2) / 3);
        return -1;
    }
    n = dvc_base64url_decode(p.sig, p.sig_len, sig, &bad);
    if (n < 0) {
        dvc_errf(err, errlen, "signature is not base64url (at byte %zu)",
                    (size_t) (p.sig - jws) + bad);
        return -1;
    }

    /* payload: decoded before the signature is checked, so a malformed one
     * is named as such; handed out only if the signature holds */
    if (p.pay_len == 0) {
        dvc_errf(err, errlen, "empty payload (detached payloads are not "
                    "supported)");
        return -1;
    }
    if (dvc_buf_reserve(payload_out, DVC_BASE64URL_DECODED_LEN(p.pay_len))
        != 0)
    {
        dvc_errf(err, errlen, "out of memory");
        return -1;
    }
    n = dvc_base64url_decode(p.pay, p.pay_len,
                             (unsigned char *) payload_out->data + start, &bad);
    if (n < 0) {
        dvc_errf(err, errlen, "payload is not base64url (at byte %zu)",
                    p.hdr_len + 1 + bad);
        return -1;
    }
    if (!dvc_jws_check_sig(k, (const unsigned char *) jws,
                           (size_t) (p.sig - 1 - jws), sig, k->sig_len))
    {
        dvc_errf(err, errlen, "signature does not verify with key %s",
                    k->kid);
        return -1;
    }
    payload_out->len = start + (size_t) n;
    if (key_out != NULL) {
        *key_out = k;
    }
    return 0;
}
