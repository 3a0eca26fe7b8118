/*
 * Loading signing and verification keys, their JWK and RFC 7638 thumbprint,
 * and the key file permission check.  OpenSSL 3 EVP/OSSL_PARAM APIs only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#define OPENSSL_API_COMPAT 30000  /* EVP only: deprecated calls do not compile */
#define OPENSSL_NO_DEPRECATED

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dvc_err.h"
#include "dvc_key_int.h"

/* A PEM key is a few kilobytes at most; anything bigger is not one. */
#define DVC_PEM_MAX  (64 * 1024)

/* The reason of OpenSSL's most recent error, and an empty queue after: the
 * queue is per thread and nginx's own SSL code reads it later. */
static const char *
dvc_ossl_reason(void)
{
    unsigned long  e = ERR_peek_last_error();
    const char    *r = e ? ERR_reason_error_string(e) : NULL;

    ERR_clear_error();
    return r ? r : "no detail";
}

const char *
dvc_alg_name(dvc_alg_t alg)
{
    switch (alg) {
    case DVC_ALG_EDDSA: return "EdDSA";
    case DVC_ALG_ES256: return "ES256";
    case DVC_ALG_RS256: return "RS256";
    }
    return "?";
}

dvc_alg_t
dvc_alg_by_name(const char *name, size_t len)
{
    if (len == 5 && memcmp(name, "EdDSA", 5) == 0) {
        return DVC_ALG_EDDSA;
    }
    if (len == 5 && memcmp(name, "ES256", 5) == 0) {
        return DVC_ALG_ES256;
    }
    if (len == 5 && memcmp(name, "RS256", 5) == 0) {
        return DVC_ALG_RS256;
    }
    return (dvc_alg_t) 0;
}

dvc_alg_t
dvc_key_alg(const dvc_key_t *k)
{
    return k->alg;
}

const char *
dvc_key_alg_name(const dvc_key_t *k)
{
    return dvc_alg_name(k->alg);
}

const char *
dvc_key_kid(const dvc_key_t *k)
{
    return k->kid;
}

int
dvc_key_has_private(const dvc_key_t *k)
{
    return k->signer != NULL;
}

const char *
dvc_key_jwk(const dvc_key_t *k, size_t *len)
{
    if (len) {
        *len = k->jwk_len;
    }
    return k->jwk;
}

int
dvc_kid_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > DVC_KID_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------ JWK members */

/* Appends a big number as base64url of its minimal big-endian bytes (RSA n,
 * e: RFC 7518 section 6.3.1) or left-padded to pad bytes (EC x, y). */
static int
dvc_jwk_bn(dvc_buf_t *b, EVP_PKEY *pkey, const char *param, int pad)
{
    BIGNUM         *bn = NULL;
    unsigned char   bytes[DVC_SIG_MAX];
    int             n;

    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) {
        return -1;
    }
    n = pad ? BN_bn2binpad(bn, bytes, pad) : BN_num_bytes(bn);
    if (n < 0 || n > (int) sizeof(bytes)) {
        BN_free(bn);
        return -1;
    }
    if (!pad) {
        n = BN_bn2bin(bn, bytes);
    }
    BN_free(bn);
    dvc_buf_base64url(b, bytes, (size_t) n);
    return 0;
}

/* The public members of the JWK in RFC 7638's lexicographic order when
 * canonical (for the thumbprint), else in the order we publish:
 * kty, crv, x, y / kty, n, e. */
static int
dvc_jwk_members(dvc_buf_t *b, EVP_PKEY *pkey, dvc_alg_t alg, int canonical)
{
    unsigned char  raw[32];
    size_t         rawlen = sizeof(raw);
    dvc_buf_t      x, y;
    int            rc = -1;

    switch (alg) {
    case DVC_ALG_EDDSA:
        if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1
            || rawlen != 32)
        {
            return -1;
        }
        dvc_buf_puts(b, canonical ? "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\""
                                  : "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"");
        dvc_buf_base64url(b, raw, rawlen);
        dvc_buf_putc(b, '"');
        return 0;

    case DVC_ALG_ES256:
        dvc_buf_init(&x, b->alloc);
        dvc_buf_init(&y, b->alloc);
        if (dvc_jwk_bn(&x, pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32) == 0
            && dvc_jwk_bn(&y, pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32) == 0
            && !x.failed && !y.failed)
        {
            dvc_buf_puts(b, canonical ? "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""
                                      : "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"");
            dvc_buf_append(b, x.data, x.len);
            dvc_buf_puts(b, "\",\"y\":\"");
            dvc_buf_append(b, y.data, y.len);
            dvc_buf_putc(b, '"');
            rc = 0;
        }
        dvc_buf_free(&x);
        dvc_buf_free(&y);
        return rc;

    case DVC_ALG_RS256:
        dvc_buf_init(&x, b->alloc);
        dvc_buf_init(&y, b->alloc);
        if (dvc_jwk_bn(&x, pkey, OSSL_PKEY_PARAM_RSA_N, 0) == 0
            && dvc_jwk_bn(&y, pkey, OSSL_PKEY_PARAM_RSA_E, 0) == 0
            && !x.failed && !y.failed)
        {
            if (canonical) {
                dvc_buf_puts(b, "{\"e\":\"");
                dvc_buf_append(b, y.data, y.len);
                dvc_buf_puts(b, "\",\"kty\":\"RSA\",\"n\":\"");
                dvc_buf_append(b, x.data, x.len);
            } else {
                dvc_buf_puts(b, "{\"kty\":\"RSA\",\"n\":\"");
                dvc_buf_append(b, x.data, x.len);
                dvc_buf_puts(b, "\",\"e\":\"");
                dvc_buf_append(b, y.data, y.len);
            }
            dvc_buf_putc(b, '"');
            rc = 0;
        }
        dvc_buf_free(&x);
        dvc_buf_free(&y);
        return rc;
    }
    return -1;
}

static int
dvc_thumbprint(EVP_PKEY *pkey, dvc_alg_t alg, const dvc_alloc_t *a,
    dvc_buf_t *out)
{
    dvc_buf_t      canon;
    unsigned char  md[32];
    unsigned int   mdlen = sizeof(md);
    int            rc = -1;

    dvc_buf_init(&canon, a);
    if (dvc_jwk_members(&canon, pkey, alg, 1) == 0) {
        dvc_buf_putc(&canon, '}');
        if (!canon.failed
            && EVP_Digest(canon.data, canon.len, md, &mdlen, EVP_sha256(), NULL)
               == 1)
        {
            dvc_buf_base64url(out, md, mdlen);
            rc = out->failed ? -1 : 0;
        }
    }
    dvc_buf_free(&canon);
    if (rc != 0) {
        ERR_clear_error();
    }
    return rc;
}

int
dvc_key_thumbprint(const dvc_key_t *k, dvc_buf_t *out)
{
    return dvc_thumbprint(k->pkey, k->alg, k->alloc, out);
}

/* ------------------------------------------------------------ wrapping */

/* Which JWS alg a key is for, or 0 with the reason it is refused. */
static dvc_alg_t
dvc_key_classify(EVP_PKEY *pkey, char *err, size_t errlen)
{
    char  group[64];
    int   bits;

    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        return DVC_ALG_EDDSA;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) != 1) {
            ERR_clear_error();
            dvc_errf(err, errlen, "EC key with explicit curve parameters: "
                        "only the named curve P-256 (ES256) is accepted");
            return 0;
        }
        if (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0) {
            dvc_errf(err, errlen, "EC key on curve %s: only P-256 (ES256) "
                        "is accepted; Ed25519 (EdDSA) is recommended", group);
            return 0;
        }
        return DVC_ALG_ES256;
    }
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        bits = EVP_PKEY_get_bits(pkey);
        if (bits < DVC_RSA_MIN_BITS || bits > DVC_RSA_MAX_BITS) {
            dvc_errf(err, errlen, "RSA key of %d bits: RS256 needs %d to %d "
                        "bits; Ed25519 (EdDSA) is recommended", bits,
                        DVC_RSA_MIN_BITS, DVC_RSA_MAX_BITS);
            return 0;
        }
        return DVC_ALG_RS256;
    }
    if (EVP_PKEY_is_a(pkey, "ED448")) {
        dvc_errf(err, errlen, "Ed448 key: only Ed25519 is accepted for "
                    "EdDSA");
        return 0;
    }
    dvc_errf(err, errlen, "%s key: not accepted; use Ed25519 (EdDSA, "
                "recommended), EC P-256 (ES256) or RSA >= %d bits (RS256)",
                EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey)
                                              : "unknown", DVC_RSA_MIN_BITS);
    return 0;
}

static int
dvc_key_prepare_signer(dvc_key_t *k)
{
    dvc_key_signer_t  *s;
    size_t             i;

    s = dvc_calloc(k->alloc, 1, sizeof(*s));
    if (s == NULL) {
        return -1;
    }
    k->signer = s;
    for (i = 0; i < DVC_JWS_HDR_SLOTS; i++) {
        s->hdr[i].typ_len = (size_t) -1;
    }
    if (k->alg == DVC_ALG_EDDSA) {
        s->md_ctx = EVP_MD_CTX_new();
        return s->md_ctx != NULL
               && EVP_DigestSignInit_ex(s->md_ctx, NULL, NULL, NULL, NULL,
                                        k->pkey, NULL) == 1 ? 0 : -1;
    }
    s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    s->digest_ctx = EVP_MD_CTX_new();
    s->pkey_ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    if (s->sha256 == NULL || s->digest_ctx == NULL || s->pkey_ctx == NULL
        || EVP_PKEY_sign_init(s->pkey_ctx) != 1
        || EVP_PKEY_CTX_set_signature_md(s->pkey_ctx, s->sha256) != 1)
    {
        return -1;
    }
    if (k->alg == DVC_ALG_RS256
        && EVP_PKEY_CTX_set_rsa_padding(s->pkey_ctx, RSA_PKCS1_PADDING) != 1)
    {
        return -1;
    }
    return 0;
}

int
dvc_key_wrap(const dvc_alloc_t *a, EVP_PKEY *pkey, int with_private,
    const char *kid, size_t kid_len, dvc_key_t **out, char *err,
    size_t errlen)
{
    dvc_key_t  *k;
    dvc_buf_t   b;
    dvc_alg_t   alg;

    alg = dvc_key_classify(pkey, err, errlen);
    if (alg == 0) {
        EVP_PKEY_free(pkey);
        return -1;
    }
    if (kid != NULL && !dvc_kid_valid(kid, kid_len)) {
        dvc_errf(err, errlen, "kid must be 1 to %d printable ASCII "
                    "characters without spaces", DVC_KID_MAX);
        EVP_PKEY_free(pkey);
        return -1;
    }
    k = dvc_calloc(a, 1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        dvc_errf(err, errlen, "out of memory");
        return -1;
    }
    k->alloc = a;
    k->pkey = pkey;
    k->alg = alg;
    k->sig_len = alg == DVC_ALG_RS256 ? (size_t) EVP_PKEY_get_size(pkey) : 64;

    dvc_buf_init(&b, a);
    if (kid != NULL) {
        memcpy(k->kid, kid, kid_len);
        k->kid_len = kid_len;
    } else if (dvc_thumbprint(pkey, alg, a, &b) == 0 && b.len <= DVC_KID_MAX) {
        memcpy(k->kid, b.data, b.len);
        k->kid_len = b.len;
    } else {
        goto failed;
    }
    k->kid[k->kid_len] = '\0';

    dvc_buf_reset(&b);
    if (dvc_jwk_members(&b, pkey, alg, 0) != 0) {
        goto failed;
    }
    dvc_buf_puts(&b, ",\"kid\":");
    dvc_buf_json_str(&b, k->kid, k->kid_len);
    dvc_buf_puts(&b, ",\"alg\":\"");
    dvc_buf_puts(&b, dvc_alg_name(alg));
    dvc_buf_puts(&b, "\",\"use\":\"sig\"}");
    if (dvc_buf_cstr(&b) == NULL) {
        goto failed;
    }
    k->jwk = b.data;
    k->jwk_len = b.len;

    if (with_private && dvc_key_prepare_signer(k) != 0) {
        dvc_key_free(k);
        dvc_errf(err, errlen, "cannot prepare signing with this key (%s)",
                    dvc_ossl_reason());
        return -1;
    }
    *out = k;
    return 0;

failed:
    dvc_buf_free(&b);
    dvc_key_free(k);
    dvc_errf(err, errlen, "cannot read the key's public parameters (%s)",
                dvc_ossl_reason());
    return -1;
}

void
dvc_key_free(dvc_key_t *k)
{
    dvc_key_signer_t  *s;

    if (k == NULL) {
        return;
    }
    s = k->signer;
    if (s != NULL) {
        EVP_MD_CTX_free(s->md_ctx);
        EVP_MD_CTX_free(s->digest_ctx);
        EVP_PKEY_CTX_free(s->pkey_ctx);
        EVP_MD_free(s->sha256);
        OPENSSL_cleanse(s, sizeof(*s));
        dvc_free(k->alloc, s);
    }
    EVP_PKEY_free(k->pkey);
    dvc_free(k->alloc, k->jwk);
    dvc_free(k->alloc, k);
}

/* ------------------------------------------------------------ PEM */

/* Never prompt for a passphrase (nginx starts unattended): fail instead. */
static int
dvc_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void) buf;
    (void) size;
    (void) rwflag;
    (void) u;
    return -1;
}

static int
dvc_pem_has(const char *pem, size_t len, const char *label)
{
    return memmem(pem, len, label, strlen(label)) != NULL;
}

static EVP_PKEY *
dvc_pem_read(const char *pem, size_t len, int want_private, char *err,
    size_t errlen)
{
    BIO       *bio;
    EVP_PKEY  *pkey = NULL;
    int        has_private, has_public;

    if (len > DVC_PEM_MAX) {
        dvc_errf(err, errlen, "%zu bytes: too large to be a PEM key", len);
        return NULL;
    }
    if (!dvc_pem_has(pem, len, "-----BEGIN ")) {
        dvc_errf(err, errlen, "not a PEM file (no -----BEGIN line)");
        return NULL;
    }
    if (dvc_pem_has(pem, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || dvc_pem_has(pem, len, "Proc-Type: 4,ENCRYPTED"))
    {
        dvc_errf(err, errlen, "encrypted private key: the gateway reads keys "
                    "unattended at startup; store it decrypted with mode 0600 "
                    "(openssl pkey -in KEY -out PLAIN)");
        return NULL;
    }
    has_private = dvc_pem_has(pem, len, "PRIVATE KEY-----");
    has_public = dvc_pem_has(pem, len, "-----BEGIN PUBLIC KEY-----");
    if (!has_private && !has_public
        && dvc_pem_has(pem, len, "-----BEGIN CERTIFICATE-----"))
    {
        dvc_errf(err, errlen, "a certificate, not a key; give the key itself "
                    "(openssl x509 -pubkey -noout for the public key)");
        return NULL;
    }
    if (want_private && !has_private && has_public) {
        dvc_errf(err, errlen, "a public key: signing needs the private "
                    "key (a public key belongs in dvc_verify_key)");
        return NULL;
    }
    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        dvc_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (!want_private && has_public) {
        pkey = PEM_read_bio_PUBKEY(bio, NULL, dvc_no_passphrase, NULL);
        if (pkey == NULL) {
            dvc_errf(err, errlen, "unreadable PEM public key (%s)",
                        dvc_ossl_reason());
        }
    } else {
        pkey = PEM_read_bio_PrivateKey(bio, NULL, dvc_no_passphrase, NULL);
        if (pkey == NULL) {
            dvc_errf(err, errlen, "unreadable PEM private key (%s)",
                        dvc_ossl_reason());
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    return pkey;
}

int
dvc_key_load_private(const dvc_alloc_t *a, const char *pem, size_t len,
    const char *kid, dvc_key_t **out, char *err, size_t errlen)
{
    EVP_PKEY  *pkey;

    pkey = dvc_pem_read(pem, len, 1, err, errlen);
    if (pkey == NULL) {
        return -1;
    }
    return dvc_key_wrap(a, pkey, 1, kid, kid ? strlen(kid) : 0, out, err,
                        errlen);
}

int
dvc_key_load_public(const dvc_alloc_t *a, const char *pem, size_t len,
    const char *kid, dvc_key_t **out, char *err, size_t errlen)
{
    EVP_PKEY             *pkey, *pub;
    unsigned char        *der = NULL;
    const unsigned char  *p;
    int                   n;

    pkey = dvc_pem_read(pem, len, 0, err, errlen);
    if (pkey == NULL) {
        return -1;
    }
    /* keep only the public half: a verification key never needs more */
    n = i2d_PUBKEY(pkey, &der);
    EVP_PKEY_free(pkey);
    if (n <= 0) {
        dvc_errf(err, errlen, "cannot extract the public key (%s)",
                    dvc_ossl_reason());
        return -1;
    }
    p = der;
    pub = d2i_PUBKEY(NULL, &p, n);
    OPENSSL_free(der);
    if (pub == NULL) {
        dvc_errf(err, errlen, "cannot extract the public key (%s)",
                    dvc_ossl_reason());
        return -1;
    }
    return dvc_key_wrap(a, pub, 0, kid, kid ? strlen(kid) : 0, out, err,
                        errlen);
}

/* ------------------------------------------------------------ key files */

int
dvc_key_file_check(const char *path, char *err, size_t errlen)
{
    static const struct {
        unsigned int  bit;
        const char   *what;
    } perms[] = {
        { 040, "its group can read it" }, { 020, "its group can write it" },
        { 010, "its group can run it" }, { 004, "everyone can read it" },
        { 002, "everyone can write it" }, { 001, "everyone can run it" },
    };
    struct stat  st;
    char         why[256];
    size_t       i, n = 0;

    if (stat(path, &st) != 0) {
        dvc_errf(err, errlen, "key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        dvc_errf(err, errlen, "key file %s is not a regular file", path);
        return -1;
    }
    if ((st.st_mode & 077) == 0) {
        return 0;
    }
    why[0] = '\0';
    for (i = 0; i < sizeof(perms) / sizeof(perms[0]); i++) {
        if (st.st_mode & perms[i].bit) {
            n += (size_t) snprintf(why + n, sizeof(why) - n, "%s%s",
                                   n ? ", " : "", perms[i].what);
        }
    }
    dvc_errf(err, errlen, "key file %s has mode %04o (%s): a private key "
                "must be readable by its owner only (chmod 600 %s)", path,
                (unsigned int) (st.st_mode & 07777), why, path);
    return -1;
}
