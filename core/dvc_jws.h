/*
 * Compact JWS (RFC 7515) signing and verification, and JWK Sets (RFC 7517),
 * for the gateway's acknowledgements and receipts.
 *
 * Signing is on the request path: the encoded protected header is computed
 * once per key and typ and remembered in the key, and the key's prepared
 * OpenSSL contexts are reused, so a signature costs the curve arithmetic plus
 * two base64url passes.  Verification is for tools and tests (the CLI's
 * `dvc verify`); it treats the JWS as untrusted input.
 */
#ifndef DVC_JWS_H
#define DVC_JWS_H

#include <stddef.h>

#include "dvc_buf.h"
#include "dvc_keys.h"

/* Longest compact JWS dvc_jws_verify looks at. */
#define DVC_JWS_MAX         (256 * 1024)
/* Longest decoded protected header it accepts. */
#define DVC_JWS_HEADER_MAX  2048

/*
 * Appends the compact JWS of payload to out:
 *   BASE64URL({"alg":ALG,"kid":KID,"typ":TYP}) '.' BASE64URL(payload) '.' SIG
 * with the header members in that order ("typ" left out when typ is NULL).
 * typ: 1..48 characters of [A-Za-z0-9.+/_-].  ES256 signatures are in JOSE's
 * R||S form (64 bytes), not DER.  Returns 0, or -1 (key without a private
 * half, bad typ, out of memory, OpenSSL failure) leaving out as it was.
 */
int dvc_jws_sign(const dvc_key_t *k, const char *typ, const char *payload_json,
    size_t len, dvc_buf_t *out);

/*
 * The raw JOSE signature of a signing input (what dvc_jws_sign signs), for
 * test vectors.  sig has room for DVC_SIG_MAX bytes; returns its length or -1.
 */
long dvc_jws_sign_input(const dvc_key_t *k, const unsigned char *input,
    size_t len, unsigned char *sig);

/* A set of verification keys. */
typedef struct {
    dvc_key_t         **keys;
    size_t              n;
    const dvc_alloc_t  *alloc;   /* set by dvc_jwks_parse, which owns keys */
} dvc_jwks_t;

/*
 * Appends {"keys":[JWK,...]} with the public parts of keys (see
 * dvc_key_jwk), in order; a key whose JWK (kid included) equals an earlier
 * one's is written once.  Returns 0, or -1 if out failed.
 */
int dvc_jwks_write(const dvc_key_t **keys, size_t n, dvc_buf_t *out);

/*
 * Parses a JWK Set (RFC 7517 section 5).  Keys of a type or curve we do not
 * sign with, or with "use" other than "sig", are skipped as section 5 asks;
 * a key of our types that is malformed, or a set with no usable key, is an
 * error.  A key without "kid" gets its RFC 7638 thumbprint; a key with "alg"
 * must name the alg its type implies.  Free with dvc_jwks_free.
 */
int dvc_jwks_parse(const dvc_alloc_t *a, const char *json, size_t len,
    dvc_jwks_t *jwks, char *err, size_t errlen);
void dvc_jwks_free(dvc_jwks_t *jwks);

/*
 * Verifies a compact JWS against jwks and appends its payload to payload_out.
 * The key is the one whose kid the header names (a header without kid is
 * accepted only when jwks holds exactly one key; of several keys sharing a
 * kid, the one for the header's alg); the header's alg must be that key's alg ("none" and every other mismatch refused); "crit" is
 * refused, as are duplicate header members.  Keys are never taken from the
 * JWS itself (jwk, jku, x5c, x5u are ignored).  Returns 0 if valid, else -1
 * with the reason in err and payload_out unchanged.
 */
int dvc_jws_verify(const char *jws, size_t len, const dvc_jwks_t *jwks,
    dvc_buf_t *payload_out, char *err, size_t errlen);

/*
 * dvc_jws_verify, and also: typ (if not NULL) must be the header's "typ"
 * exactly (so an acknowledgement is not taken for a receipt); *key_out (if
 * not NULL) gets the key that verified, for its kid and alg.
 */
int dvc_jws_verify_ex(const char *jws, size_t len, const dvc_jwks_t *jwks,
    const char *typ, dvc_buf_t *payload_out, const dvc_key_t **key_out,
    char *err, size_t errlen);

#endif
