/*
 * Signing keys for the gateway's signed documents (acknowledgement, receipt).
 *
 * A key is loaded from PEM text in memory (nginx reads the file at config
 * time, the CLI reads it itself):
 *   Ed25519          -> JWS alg "EdDSA" (RFC 8037), the default we recommend
 *   EC P-256         -> "ES256"
 *   RSA >= 2048 bits -> "RS256"
 * Every other key (Ed448, P-384, RSA-PSS, short RSA, encrypted PEM, DSA...)
 * is refused with a message that says why.
 *
 * kid: unless the operator names one, a key's kid is its RFC 7638 JWK
 * thumbprint (SHA-256, base64url, the full 43 characters).  Full rather than
 * truncated so anyone can recompute it from the published JWK with any JOSE
 * library (e.g. jwcrypto's JWK.thumbprint()) and compare; 27 more characters
 * in a header is a price worth paying for that.
 *
 * The dvc_key_t holds an OpenSSL EVP_PKEY (allocated by OpenSSL, not by the
 * dvc_alloc_t) and, for private keys, a prepared signing context: always pair
 * a successful load with dvc_key_free (nginx: a pool cleanup handler).  A key
 * is not for concurrent use from several threads (nginx workers are processes,
 * each with its own copy after fork).
 */
#ifndef DVC_KEYS_H
#define DVC_KEYS_H

#include <stddef.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"

typedef enum {
    DVC_ALG_EDDSA = 1,
    DVC_ALG_ES256,
    DVC_ALG_RS256
} dvc_alg_t;

/* Longest kid we accept or make (a thumbprint is 43). */
#define DVC_KID_MAX        64
/* RSA moduli outside [2048, 8192] bits are refused. */
#define DVC_RSA_MIN_BITS   2048
#define DVC_RSA_MAX_BITS   8192
/* Largest signature any accepted key makes (RSA-8192). */
#define DVC_SIG_MAX        (DVC_RSA_MAX_BITS / 8)

typedef struct dvc_key dvc_key_t;

/*
 * Loads a private key for signing from PEM text (PKCS#8 "PRIVATE KEY", or the
 * traditional "EC PRIVATE KEY" / "RSA PRIVATE KEY").  kid: NULL derives the
 * RFC 7638 thumbprint; otherwise 1..DVC_KID_MAX characters from
 * [A-Za-z0-9._:-].  Returns 0 and *out, or -1 with a message in err.
 */
int dvc_key_load_private(const dvc_alloc_t *a, const char *pem, size_t len,
    const char *kid, dvc_key_t **out, char *err, size_t errlen);

/*
 * Loads a key for verification only (dvc_verify_key, the JWKS): PEM public
 * key ("PUBLIC KEY") or a private key, of which only the public half is kept.
 */
int dvc_key_load_public(const dvc_alloc_t *a, const char *pem, size_t len,
    const char *kid, dvc_key_t **out, char *err, size_t errlen);

void dvc_key_free(dvc_key_t *k);

dvc_alg_t   dvc_key_alg(const dvc_key_t *k);
/* "EdDSA", "ES256" or "RS256". */
const char *dvc_key_alg_name(const dvc_key_t *k);
const char *dvc_alg_name(dvc_alg_t alg);
/* 0 unless the name is exactly one of the three above. */
dvc_alg_t   dvc_alg_by_name(const char *name, size_t len);
const char *dvc_key_kid(const dvc_key_t *k);
int         dvc_key_has_private(const dvc_key_t *k);
/*
 * The public JWK as one JSON object with a fixed member order:
 * {"kty","crv","x","y" | "n","e", "kid","alg","use":"sig"}.
 */
const char *dvc_key_jwk(const dvc_key_t *k, size_t *len);

/*
 * RFC 7638 thumbprint (SHA-256, base64url, 43 characters) of the key's public
 * JWK; appended to out.  Returns 0, or -1 on failure.
 */
int dvc_key_thumbprint(const dvc_key_t *k, dvc_buf_t *out);

/*
 * Checks a key file before it is read at startup: it must be a regular file
 * (symlinks followed) that neither group nor others may read, write or run
 * (mode & 077 == 0).  Returns 0, or -1 with what is wrong and how to fix it.
 */
int dvc_key_file_check(const char *path, char *err, size_t errlen);

#endif
