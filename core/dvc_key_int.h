/*
 * Inside a dvc_key_t: shared by dvc_keys.c (loading), dvc_jws.c (signing,
 * verifying) and dvc_jwks.c (JWK Sets).  Not for callers outside core/.
 */
#ifndef DVC_KEY_INT_H
#define DVC_KEY_INT_H

#include <openssl/evp.h>

#include "dvc_keys.h"

/* A "typ" we sign with: at most this long, from [A-Za-z0-9.+/_-]. */
#define DVC_JWS_TYP_MAX     48
/* The longest header {"alg":"EdDSA","kid":KID,"typ":TYP}: 8 + 5 + 9 + a kid
 * of 64 characters each escaped to 2 + 9 + TYP + 2 = 209 bytes; its
 * base64url is 279 characters (and the encoder wants one byte more). */
#define DVC_JWS_HDR_JSON_MAX 216
#define DVC_JWS_HDR_B64_MAX  ((DVC_JWS_HDR_JSON_MAX + 2) / 3 * 4 + 1)
/* How many distinct typ values a key remembers the encoded header of
 * (the gateway signs two: acknowledgement and receipt). */
#define DVC_JWS_HDR_SLOTS   4

typedef struct {
    size_t  typ_len;         /* (size_t) -1: slot unused; 0: no typ member */
    size_t  b64_len;
    char    typ[DVC_JWS_TYP_MAX];
    char    b64[DVC_JWS_HDR_B64_MAX];
} dvc_jws_hdr_slot_t;

/*
 * What signing needs, prepared once at load time so the hot path allocates
 * nothing of its own: EdDSA signs with md_ctx (EVP_DigestSign on a context
 * initialised once); ES256 and RS256 hash with digest_ctx and sign the
 * digest with pkey_ctx (EVP_PKEY_sign, repeatable after one sign_init).
 */
typedef struct {
    EVP_MD_CTX         *md_ctx;
    EVP_MD_CTX         *digest_ctx;
    EVP_PKEY_CTX       *pkey_ctx;
    EVP_MD             *sha256;
    dvc_jws_hdr_slot_t  hdr[DVC_JWS_HDR_SLOTS];
} dvc_key_signer_t;

struct dvc_key {
    const dvc_alloc_t  *alloc;
    EVP_PKEY           *pkey;
    dvc_alg_t           alg;
    size_t              sig_len;     /* JOSE signature length in bytes */
    size_t              kid_len;
    char                kid[DVC_KID_MAX + 1];
    char               *jwk;         /* public JWK, NUL-terminated */
    size_t              jwk_len;
    dvc_key_signer_t   *signer;      /* NULL: verification only */
};

/*
 * Makes a dvc_key_t of an EVP_PKEY (taking ownership of it, also on
 * failure): checks the type and size, derives alg, kid and the JWK, and for
 * a private key (with_private) prepares the signer.
 */
int dvc_key_wrap(const dvc_alloc_t *a, EVP_PKEY *pkey, int with_private,
    const char *kid, size_t kid_len, dvc_key_t **out, char *err,
    size_t errlen);

/* 1 if s[0..len) is an acceptable kid (1..DVC_KID_MAX of [A-Za-z0-9._:-]). */
int dvc_kid_valid(const char *s, size_t len);

#endif
