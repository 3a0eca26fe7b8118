/*
 * Reading a JWK Set (RFC 7517) into verification keys.  The JWKS is trusted
 * local input (a file the verifier chose, or our own /dvc/v1/keys answer), so
 * yajl's tree parser is fine here; yajl_tree allocates with malloc, but only
 * for the duration of the parse: the keys it leaves behind use the caller's
 * allocator (and OpenSSL's, for the EVP_PKEY).
 */
#define OPENSSL_API_COMPAT 30000  /* EVP only: deprecated calls do not compile */
#define OPENSSL_NO_DEPRECATED

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <yajl/yajl_tree.h>

#include "dvc_err.h"
#include "dvc_base64url.h"
#include "dvc_jws.h"
#include "dvc_key_int.h"

/* More keys than any rotation needs; bounds the work on a hostile file. */
#define DVC_JWKS_MAX_KEYS  64

static yajl_val
dvc_jwks_member(yajl_val obj, const char *name)
{
    size_t  i;

    for (i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], name) == 0) {
            return obj->u.object.values[i];
        }
    }
    return NULL;
}

static const char *
dvc_jwks_str(yajl_val obj, const char *name)
{
    yajl_val  v = dvc_jwks_member(obj, name);

    return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* Decodes member name (base64url) into out; its length, or -1. */
static long
dvc_jwks_b64(yajl_val obj, const char *name, unsigned char *out, size_t max)
{
    const char  *s = dvc_jwks_str(obj, name);
    size_t       len;

    if (s == NULL) {
        return -1;
    }
    len = strlen(s);
    if (DVC_BASE64URL_DECODED_LEN(len) > max) {
        return -1;
    }
    return dvc_base64url_decode(s, len, out, NULL);
}

static EVP_PKEY *
dvc_jwks_fromdata(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY_CTX  *ctx;
    EVP_PKEY      *pkey = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *
dvc_jwks_ec(yajl_val jwk, char *err, size_t errlen)
{
    unsigned char  point[65];
    char           group[] = "prime256v1";
    OSSL_PARAM     params[3];
    EVP_PKEY      *pkey;
    EVP_PKEY_CTX  *ctx;
    int            ok;

    point[0] = 0x04;  /* uncompressed: X || Y */
    if (dvc_jwks_b64(jwk, "x", point + 1, 32) != 32
        || dvc_jwks_b64(jwk, "y", point + 33, 32) != 32)
    {
        dvc_errf(err, errlen, "x and y must be 32 bytes of base64url");
        return NULL;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    pkey = dvc_jwks_fromdata("EC", params);
    if (pkey != NULL) {
        /* the point must lie on the curve (invalid-curve attacks) */
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
        EVP_PKEY_CTX_free(ctx);
        if (!ok) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
    }
    if (pkey == NULL) {
        dvc_errf(err, errlen, "x, y is not a point of P-256");
    }
    return pkey;
}

static EVP_PKEY *
dvc_jwks_rsa(yajl_val jwk, char *err, size_t errlen)
{
    unsigned char    n[DVC_SIG_MAX], e[8];
    long             nlen, elen;
    BIGNUM          *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD  *bld = NULL;
    OSSL_PARAM      *params = NULL;
    EVP_PKEY        *pkey = NULL;

    nlen = dvc_jwks_b64(jwk, "n", n, sizeof(n));
    elen = dvc_jwks_b64(jwk, "e", e, sizeof(e));
    if (nlen <= 0 || elen <= 0) {
        dvc_errf(err, errlen, "n and e must be base64url (n at most %d "
                     "bits, e at most 64)", DVC_RSA_MAX_BITS);
        return NULL;
    }
    bn_n = BN_bin2bn(n, (int) nlen, NULL);
    bn_e = BN_bin2bn(e, (int) elen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (bn_n != NULL && bn_e != NULL && bld != NULL
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
    {
        params = OSSL_PARAM_BLD_to_param(bld);
        if (params != NULL) {
            pkey = dvc_jwks_fromdata("RSA", params);
        }
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    if (pkey == NULL) {
        dvc_errf(err, errlen, "n, e is not an RSA public key");
    }
    return pkey;
}

/*
 * One JWK: 1 and *out, 0 if it is not for us (skip), -1 on error.
 */
static int
dvc_jwks_key(const dvc_alloc_t *a, yajl_val jwk, dvc_key_t **out, char *err,
    size_t errlen)
{
    unsigned char  raw[32];
    const char    *kty, *crv, *use, *alg, *kid;
    dvc_alg_t      implied;
    EVP_PKEY      *pkey;

    if (!YAJL_IS_OBJECT(jwk)) {
        dvc_errf(err, errlen, "not a JSON object");
        return -1;
    }
    kty = dvc_jwks_str(jwk, "kty");
    crv = dvc_jwks_str(jwk, "crv");
    use = dvc_jwks_str(jwk, "use");
    alg = dvc_jwks_str(jwk, "alg");
    kid = dvc_jwks_str(jwk, "kid");
    if (kty == NULL) {
        dvc_errf(err, errlen, "no kty");
        return -1;
    }
    if (use != NULL && strcmp(use, "sig") != 0) {
        return 0;
    }
    if (strcmp(kty, "OKP") == 0 && crv && strcmp(crv, "Ed25519") == 0) {
        implied = DVC_ALG_EDDSA;
    } else if (strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0) {
        implied = DVC_ALG_ES256;
    } else if (strcmp(kty, "RSA") == 0) {
        implied = DVC_ALG_RS256;
    } else {
        return 0;
    }
    if (dvc_jwks_member(jwk, "d") != NULL) {
        dvc_errf(err, errlen, "holds a private key (\"d\"): a JWKS must "
                     "publish public keys only");
        return -1;
    }
    if (alg != NULL && dvc_alg_by_name(alg, strlen(alg)) != implied) {
        dvc_errf(err, errlen, "alg \"%.16s\" does not fit a %s key (%s)",
                     alg, kty, dvc_alg_name(implied));
        return -1;
    }
    if (kid != NULL && !dvc_kid_valid(kid, strlen(kid))) {
        dvc_errf(err, errlen, "kid must be 1 to %d printable ASCII "
                     "characters without spaces", DVC_KID_MAX);
        return -1;
    }
    switch (implied) {
    case DVC_ALG_EDDSA:
        if (dvc_jwks_b64(jwk, "x", raw, sizeof(raw)) != 32) {
            dvc_errf(err, errlen, "x must be 32 bytes of base64url");
            return -1;
        }
        pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, raw, 32);
        if (pkey == NULL) {
            dvc_errf(err, errlen, "x is not an Ed25519 public key");
        }
        break;
    case DVC_ALG_ES256:
        pkey = dvc_jwks_ec(jwk, err, errlen);
        break;
    default:
        pkey = dvc_jwks_rsa(jwk, err, errlen);
        break;
    }
    ERR_clear_error();
    if (pkey == NULL) {
        return -1;
    }
    if (dvc_key_wrap(a, pkey, 0, kid, kid ? strlen(kid) : 0, out, err, errlen)
        != 0)
    {
        return -1;
    }
    return 1;
}

int
dvc_jwks_parse(const dvc_alloc_t *a, const char *json, size_t len,
    dvc_jwks_t *jwks, char *err, size_t errlen)
{
    char       ebuf[256], kerr[200];
    dvc_buf_t  text;
    yajl_val   root = NULL, arr;
    size_t     i;
    int        rc;

    memset(jwks, 0, sizeof(*jwks));
    jwks->alloc = a;
    dvc_buf_init(&text, a);
    dvc_buf_append(&text, json, len);
    if (dvc_buf_cstr(&text) == NULL) {
        dvc_errf(err, errlen, "out of memory");
        goto failed;
    }
    if (memchr(text.data, '\0', text.len) != NULL) {
        dvc_errf(err, errlen, "JWKS holds a NUL byte");
        goto failed;
    }
    root = yajl_tree_parse(text.data, ebuf, sizeof(ebuf));
    if (root == NULL) {
        ebuf[strcspn(ebuf, "\n")] = '\0';
        dvc_errf(err, errlen, "JWKS is not JSON: %s", ebuf);
        goto failed;
    }
    arr = YAJL_IS_OBJECT(root) ? dvc_jwks_member(root, "keys") : NULL;
    if (arr == NULL || !YAJL_IS_ARRAY(arr)) {
        dvc_errf(err, errlen, "not a JWK Set: no \"keys\" array");
        goto failed;
    }
    if (arr->u.array.len > DVC_JWKS_MAX_KEYS) {
        dvc_errf(err, errlen, "JWKS has %zu keys, more than %d",
                     arr->u.array.len, DVC_JWKS_MAX_KEYS);
        goto failed;
    }
    jwks->keys = dvc_calloc(a, arr->u.array.len ? arr->u.array.len : 1,
                            sizeof(dvc_key_t *));
    if (jwks->keys == NULL) {
        dvc_errf(err, errlen, "out of memory");
        goto failed;
    }
    for (i = 0; i < arr->u.array.len; i++) {
        rc = dvc_jwks_key(a, arr->u.array.values[i], &jwks->keys[jwks->n],
                          kerr, sizeof(kerr));
        if (rc < 0) {
            dvc_errf(err, errlen, "keys[%zu]: %s", i, kerr);
            goto failed;
        }
        jwks->n += (size_t) rc;
    }
    if (jwks->n == 0) {
        dvc_errf(err, errlen, "JWKS has no EdDSA, ES256 or RS256 "
                     "signature key");
        goto failed;
    }
    yajl_tree_free(root);
    dvc_buf_free(&text);
    return 0;

failed:
    yajl_tree_free(root);
    dvc_buf_free(&text);
    dvc_jwks_free(jwks);
    return -1;
}

void
dvc_jwks_free(dvc_jwks_t *jwks)
{
    size_t  i;

    if (jwks->alloc == NULL) {
        return;   /* made by the caller, not by dvc_jwks_parse */
    }
    for (i = 0; i < jwks->n; i++) {
        dvc_key_free(jwks->keys[i]);
    }
    dvc_free(jwks->alloc, jwks->keys);
    jwks->keys = NULL;
    jwks->n = 0;
}
