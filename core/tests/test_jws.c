/* Keys, compact JWS and JWK Sets (dvc_keys.h, dvc_jws.h, dvc_base64url.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dvc_base64url.h"
#include "dvc_jws.h"
#include "dvc_keys.h"
#include "jws_fixtures.h"

#define S(x) x, sizeof(x) - 1

static const dvc_alloc_t *A = &dvc_alloc_std;

/* ------------------------------------------------------------ helpers */

static dvc_key_t *
load_private(const char *pem, const char *kid)
{
    dvc_key_t  *k = NULL;
    char        err[256] = "";

    if (dvc_key_load_private(A, pem, strlen(pem), kid, &k, err, sizeof(err))
        != 0)
    {
        fail_msg("load_private: %s", err);
    }
    return k;
}

/* The message loading pem as a private key fails with. */
static const char *
load_private_error(const char *pem, char *err, size_t errlen)
{
    dvc_key_t  *k = NULL;

    err[0] = '\0';
    assert_int_equal(dvc_key_load_private(A, pem, strlen(pem), NULL, &k, err,
                                          errlen), -1);
    assert_null(k);
    assert_true(err[0] != '\0');
    return err;
}

/* A JWKS parsed from the JSON dvc_jwks_write makes of keys. */
static void
jwks_of(dvc_key_t **keys, size_t n, dvc_jwks_t *jwks)
{
    dvc_buf_t  json;
    char       err[256] = "";

    dvc_buf_init(&json, A);
    assert_int_equal(dvc_jwks_write((const dvc_key_t **) keys, n, &json), 0);
    if (dvc_jwks_parse(A, json.data, json.len, jwks, err, sizeof(err)) != 0) {
        fail_msg("jwks_parse: %s", err);
    }
    dvc_buf_free(&json);
}

/* header.payload.signature with the signature made by k over exactly this
 * header: tests of header checks then fail for the check, not the signature */
static void
forge(const dvc_key_t *k, const char *header, const char *payload,
    dvc_buf_t *out)
{
    unsigned char  sig[DVC_SIG_MAX];
    long           n;

    dvc_buf_reset(out);
    dvc_buf_base64url(out, (const unsigned char *) header, strlen(header));
    dvc_buf_putc(out, '.');
    dvc_buf_base64url(out, (const unsigned char *) payload, strlen(payload));
    n = dvc_jws_sign_input(k, (const unsigned char *) out->data, out->len, sig);
    assert_true(n > 0);
    dvc_buf_putc(out, '.');
    dvc_buf_base64url(out, sig, (size_t) n);
    assert_false(out->failed);
}

/* verify must fail with a message containing want; payload_out untouched */
static void
assert_rejected(const char *jws, size_t len, const dvc_jwks_t *jwks,
    const char *want)
{
    dvc_buf_t  payload;
    char       err[512] = "";

    dvc_buf_init(&payload, A);
    dvc_buf_puts(&payload, "kept");
    assert_int_equal(dvc_jws_verify(jws, len, jwks, &payload, err, sizeof(err)),
                     -1);
    if (strstr(err, want) == NULL) {
        fail_msg("rejected with \"%s\", expected \"%s\"", err, want);
    }
    assert_int_equal(payload.len, 4);
    dvc_buf_free(&payload);
}

static void
assert_verifies(const char *jws, size_t len, const dvc_jwks_t *jwks,
    const char *payload_want)
{
    dvc_buf_t  payload;
    char       err[512] = "";

    dvc_buf_init(&payload, A);
    if (dvc_jws_verify(jws, len, jwks, &payload, err, sizeof(err)) != 0) {
        fail_msg("verify: %s", err);
    }
    assert_int_equal(payload.len, strlen(payload_want));
    assert_memory_equal(payload.data, payload_want, payload.len);
    dvc_buf_free(&payload);
}

/* the decoded first segment of a compact JWS */
static void
decode_header(const char *jws, char *out, size_t size)
{
    const char  *dot = strchr(jws, '.');
    long         n;

    assert_non_null(dot);
    assert_true(DVC_BASE64URL_DECODED_LEN((size_t) (dot - jws)) < size);
    n = dvc_base64url_decode(jws, (size_t) (dot - jws), (unsigned char *) out,
                             NULL);
    assert_true(n > 0);
    out[n] = '\0';
}

/* ------------------------------------------------------------ base64url */

static void
test_base64url_strict(void **state)
{
    unsigned char  out[16];
    size_t         bad;

    (void) state;
    assert_int_equal(dvc_base64url_decode("", 0, out, NULL), 0);
    assert_int_equal(dvc_base64url_decode(S("Zg"), out, NULL), 1);
    assert_memory_equal(out, "f", 1);
    assert_int_equal(dvc_base64url_decode(S("Zm8"), out, NULL), 2);
    assert_memory_equal(out, "fo", 2);
    assert_int_equal(dvc_base64url_decode(S("Zm9vYg"), out, NULL), 4);
    assert_memory_equal(out, "foob", 4);
    /* the two characters base64url has and base64 has not */
    assert_int_equal(dvc_base64url_decode(S("-_-_"), out, NULL), 3);
    assert_memory_equal(out, "\xfb\xff\xbf", 3);

    /* a lone trailing character can encode no byte */
    assert_int_equal(dvc_base64url_decode(S("Zm9vY"), out, &bad), -1);
    assert_int_equal(bad, 5);
    /* "Zh" would also decode to "f" but is not the canonical encoding */
    assert_int_equal(dvc_base64url_decode(S("Zh"), out, &bad), -1);
    assert_int_equal(bad, 1);
    assert_int_equal(dvc_base64url_decode(S("Zm9="), out, &bad), -1);
    assert_int_equal(bad, 3);
    assert_int_equal(dvc_base64url_decode(S("Zm8="), out, &bad), -1);
    assert_int_equal(dvc_base64url_decode(S("Zm+v"), out, &bad), -1);
    assert_int_equal(bad, 2);
    assert_int_equal(dvc_base64url_decode(S("Zm/v"), out, NULL), -1);
    assert_int_equal(dvc_base64url_decode(S("Zm9 v"), out, NULL), -1);
    assert_int_equal(dvc_base64url_decode(S("Zm9v\n"), out, NULL), -1);
    assert_int_equal(dvc_base64url_decode(S("Zm\x80v"), out, NULL), -1);
    assert_int_equal(dvc_base64url_decode("Zm\0v", 4, out, NULL), -1);
}

/* ------------------------------------------------------------ RFC vectors */

/* RFC 8037 appendix A: the known key, thumbprint and signature. */
static void
test_rfc8037_ed25519(void **state)
{
    static const char  input[] =
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    static const char  rfc_sig[] =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    static const char  rfc_jwks[] =
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
        "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";
    dvc_key_t         *k;
    dvc_jwks_t         jwks;
    dvc_buf_t          b;
    unsigned char      sig[DVC_SIG_MAX];
    const char        *jwk;
    char               err[256];
    long               n;

    (void) state;
    k = load_private(pem_rfc8037, NULL);
    assert_int_equal(dvc_key_alg(k), DVC_ALG_EDDSA);
    assert_string_equal(dvc_key_alg_name(k), "EdDSA");
    /* A.2 public key, A.3 thumbprint (our kid) */
    assert_string_equal(dvc_key_kid(k),
                        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    jwk = dvc_key_jwk(k, NULL);
    assert_string_equal(jwk,
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
        "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
        "\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\","
        "\"alg\":\"EdDSA\",\"use\":\"sig\"}");

    /* A.4: Ed25519 is deterministic, so the signature is the RFC's */
    n = dvc_jws_sign_input(k, (const unsigned char *) input, sizeof(input) - 1,
                           sig);
    assert_int_equal(n, 64);
    dvc_buf_init(&b, A);
    dvc_buf_base64url(&b, sig, 64);
    assert_int_equal(b.len, sizeof(rfc_sig) - 1);
    assert_memory_equal(b.data, rfc_sig, b.len);

    /* A.5: the RFC's JWS (no kid) verifies against the RFC's bare JWK */
    assert_int_equal(dvc_jwks_parse(A, S(rfc_jwks), &jwks, err, sizeof(err)), 0);
    assert_int_equal(jwks.n, 1);
    assert_string_equal(dvc_key_kid(jwks.keys[0]), dvc_key_kid(k));
    dvc_buf_reset(&b);
    dvc_buf_printf(&b, "%s.%s", input, rfc_sig);
    assert_verifies(b.data, b.len, &jwks, "Example of Ed25519 signing");
    /* one flipped bit of the message: refused */
    b.data[30] ^= 0x01;
    assert_rejected(b.data, b.len, &jwks, "does not verify");

    dvc_jwks_free(&jwks);
    dvc_buf_free(&b);
    dvc_key_free(k);
}

/* RFC 7638 section 3.1: the thumbprint of the RFC's RSA key is our kid. */
static void
test_rfc7638_thumbprint(void **state)
{
    static const char  rfc_jwk_n[] =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhD"
        "R1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5"
        "v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNL"
        "yrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzK"
        "nqDKgw";
    dvc_jwks_t  jwks;
    dvc_buf_t   json, tp;
    char        err[256];

    (void) state;
    dvc_buf_init(&json, A);
    dvc_buf_init(&tp, A);
    /* without kid: derived; with kid "2011-04-29" (the RFC's): kept */
    dvc_buf_printf(&json, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"},"
                   "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"RS256\","
                   "\"kid\":\"2011-04-29\"}]}", rfc_jwk_n, rfc_jwk_n);
    if (dvc_jwks_parse(A, json.data, json.len, &jwks, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(jwks.n, 2);
    assert_string_equal(dvc_key_kid(jwks.keys[0]),
                        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_string_equal(dvc_key_kid(jwks.keys[1]), "2011-04-29");
    assert_int_equal(dvc_key_thumbprint(jwks.keys[1], &tp), 0);
    assert_int_equal(tp.len, 43);
    assert_memory_equal(tp.data, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", 43);
    assert_int_equal(dvc_key_alg(jwks.keys[0]), DVC_ALG_RS256);
    assert_false(dvc_key_has_private(jwks.keys[0]));
    dvc_jwks_free(&jwks);
    dvc_buf_free(&json);
    dvc_buf_free(&tp);
}

/* ------------------------------------------------------------ openssl CLI */

/* Signatures made by `openssl dgst -sha256 -sign` verify (ES256: our R||S to
 * DER conversion agrees with OpenSSL's DER); RS256 is deterministic, so our
 * own signature over the same input is byte for byte openssl's. */
static void
test_openssl_cli_signatures(void **state)
{
    dvc_key_t   *es, *rs, *keys[2];
    dvc_jwks_t   jwks;
    dvc_buf_t    b;
    char         hdr[256];

    (void) state;
    es = load_private(pem_p256, "openssl-cli");
    rs = load_private(pem_rsa2048, "openssl-cli-rsa");
    keys[0] = es;
    keys[1] = rs;
    jwks_of(keys, 2, &jwks);
    assert_verifies(S(jws_openssl_es256), &jwks, receipt_payload);

    /* a JWKS with one key: kid "openssl-cli" names the RSA key */
    dvc_jwks_free(&jwks);
    dvc_key_free(rs);
    rs = load_private(pem_rsa2048, "openssl-cli");
    keys[0] = rs;
    jwks_of(keys, 1, &jwks);
    assert_verifies(S(jws_openssl_rs256), &jwks, receipt_payload);

    dvc_buf_init(&b, A);
    assert_int_equal(dvc_jws_sign(rs, "dvc-receipt+jwt", S(receipt_payload), &b),
                     0);
    decode_header(dvc_buf_cstr(&b), hdr, sizeof(hdr));
    assert_string_equal(hdr, "{\"alg\":\"RS256\",\"kid\":\"openssl-cli\","
                             "\"typ\":\"dvc-receipt+jwt\"}");
    assert_int_equal(b.len, sizeof(jws_openssl_rs256) - 1);
    assert_memory_equal(b.data, jws_openssl_rs256, b.len);

    /* the ES256 one, checked against the wrong key type, is refused */
    assert_rejected(S(jws_openssl_es256), &jwks, "does not match");

    dvc_buf_free(&b);
    dvc_jwks_free(&jwks);
    dvc_key_free(es);
    dvc_key_free(rs);
}

/* ------------------------------------------------------------ round trips */

static void
roundtrip(const char *pem, dvc_alg_t alg, const char *alg_name)
{
    static const char  payload[] =
        "{\"code\":\"000.00.10.H47-261122-0001\",\"procedure\":\"1.000001\","
        "\"applicant\":{\"name\":\"Nguyễn Văn An\"}}";
    dvc_key_t   *k, *pub, *keys[1];
    dvc_jwks_t   jwks;
    dvc_buf_t    b, want;
    char         hdr[256];
    size_t       first_len;

    k = load_private(pem, NULL);
    assert_int_equal(dvc_key_alg(k), alg);
    assert_true(dvc_key_has_private(k));
    assert_int_equal(strlen(dvc_key_kid(k)), 43);
    keys[0] = k;
    jwks_of(keys, 1, &jwks);
    /* what the JWKS gives back is the same key */
    assert_string_equal(dvc_key_jwk(jwks.keys[0], NULL), dvc_key_jwk(k, NULL));

    dvc_buf_init(&b, A);
    dvc_buf_init(&want, A);
    dvc_buf_puts(&b, "prefix ");    /* sign appends */
    assert_int_equal(dvc_jws_sign(k, "dvc-ack+jwt", S(payload), &b), 0);
    assert_memory_equal(b.data, "prefix ", 7);
    decode_header(dvc_buf_cstr(&b) + 7, hdr, sizeof(hdr));
    dvc_buf_printf(&want, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"dvc-ack+jwt\"}",
                   alg_name, dvc_key_kid(k));
    assert_string_equal(hdr, dvc_buf_cstr(&want));
    assert_verifies(b.data + 7, b.len - 7, &jwks, payload);

    /* the remembered header: a second signature, another typ, no typ */
    first_len = b.len;
    dvc_buf_reset(&b);
    assert_int_equal(dvc_jws_sign(k, "dvc-ack+jwt", S(payload), &b), 0);
    assert_int_equal(b.len, first_len - 7);
    assert_verifies(b.data, b.len, &jwks, payload);
    dvc_buf_reset(&b);
    assert_int_equal(dvc_jws_sign(k, "dvc-receipt+jwt", S("{}"), &b), 0);
    decode_header(dvc_buf_cstr(&b), hdr, sizeof(hdr));
    assert_non_null(strstr(hdr, "\"typ\":\"dvc-receipt+jwt\"}"));
    assert_verifies(b.data, b.len, &jwks, "{}");
    dvc_buf_reset(&b);
    assert_int_equal(dvc_jws_sign(k, NULL, S("[1,2]"), &b), 0);
    decode_header(dvc_buf_cstr(&b), hdr, sizeof(hdr));
    assert_null(strstr(hdr, "typ"));
    assert_verifies(b.data, b.len, &jwks, "[1,2]");

    /* a typ that would need escaping, or is too long, is refused */
    dvc_buf_reset(&b);
    assert_int_equal(dvc_jws_sign(k, "a\"b", S("{}"), &b), -1);
    assert_int_equal(dvc_jws_sign(k, "", S("{}"), &b), -1);
    assert_int_equal(dvc_jws_sign(k,
        "0123456789012345678901234567890123456789012345678", S("{}"), &b), -1);
    assert_int_equal(b.len, 0);

    /* a verification key made of the same PEM cannot sign */
    assert_int_equal(dvc_key_load_public(A, pem, strlen(pem), NULL, &pub, hdr,
                                         sizeof(hdr)), 0);
    assert_false(dvc_key_has_private(pub));
    assert_string_equal(dvc_key_kid(pub), dvc_key_kid(k));
    assert_int_equal(dvc_jws_sign(pub, "dvc-ack+jwt", S("{}"), &b), -1);

    dvc_key_free(pub);
    dvc_buf_free(&b);
    dvc_buf_free(&want);
    dvc_jwks_free(&jwks);
    dvc_key_free(k);
}

static void
test_roundtrip_eddsa(void **state)
{
    (void) state;
    roundtrip(pem_ed25519, DVC_ALG_EDDSA, "EdDSA");
}

static void
test_roundtrip_es256(void **state)
{
    (void) state;
    roundtrip(pem_p256, DVC_ALG_ES256, "ES256");
    roundtrip(pem_p256_trad, DVC_ALG_ES256, "ES256");
}

static void
test_roundtrip_rs256(void **state)
{
    (void) state;
    roundtrip(pem_rsa2048, DVC_ALG_RS256, "RS256");
}

/* ES256 values with leading zero bytes (r or s < 2^248, 1 in 128 signatures)
 * take the short DER paths of both conversions; sign until both were seen. */
static void
test_es256_short_values(void **state)
{
    dvc_key_t      *k, *keys[1];
    dvc_jwks_t      jwks;
    dvc_buf_t       b, payload;
    unsigned char   sig[64];
    const char     *dot;
    char            err[256], msg[32];
    int             i, short_r = 0, short_s = 0;

    (void) state;
    k = load_private(pem_p256, NULL);
    keys[0] = k;
    jwks_of(keys, 1, &jwks);
    dvc_buf_init(&b, A);
    dvc_buf_init(&payload, A);
    for (i = 0; i < 4000 && !(short_r && short_s); i++) {
        snprintf(msg, sizeof(msg), "{\"n\":%d}", i);
        dvc_buf_reset(&b);
        dvc_buf_reset(&payload);
        assert_int_equal(dvc_jws_sign(k, "t", msg, strlen(msg), &b), 0);
        if (dvc_jws_verify(b.data, b.len, &jwks, &payload, err, sizeof(err))
            != 0)
        {
            fail_msg("signature %d: %s", i, err);
        }
        dot = memrchr(b.data, '.', b.len);
        assert_int_equal(dvc_base64url_decode(dot + 1,
                             (size_t) (b.data + b.len - dot - 1), sig, NULL), 64);
        short_r |= sig[0] == 0;
        short_s |= sig[32] == 0;
    }
    assert_true(short_r && short_s);
    dvc_buf_free(&b);
    dvc_buf_free(&payload);
    dvc_jwks_free(&jwks);
    dvc_key_free(k);
}

/* ------------------------------------------------------------ tampering */

/* swaps the character at i for another base64url character with the same
 * low bits, so the text stays canonical base64url and only the bytes change */
static void
flip(dvc_buf_t *b, size_t i)
{
    b->data[i] = b->data[i] == 'A' ? 'Q' : 'A';
}

static void
tamper(const char *pem)
{
    dvc_key_t   *k, *keys[1];
    dvc_jwks_t   jwks;
    dvc_buf_t    b, good;
    const char  *dot1, *dot2;
    size_t       h, p;

    k = load_private(pem, NULL);
    keys[0] = k;
    jwks_of(keys, 1, &jwks);
    dvc_buf_init(&good, A);
    dvc_buf_init(&b, A);
    assert_int_equal(dvc_jws_sign(k, "dvc-ack+jwt", S(receipt_payload), &good),
                     0);
    dot1 = memchr(good.data, '.', good.len);
    dot2 = memchr(dot1 + 1, '.', good.len - (size_t) (dot1 - good.data) - 1);
    h = (size_t) (dot1 - good.data);
    p = (size_t) (dot2 - good.data);

    /* payload: one character in the middle */
    dvc_buf_reset(&b);
    dvc_buf_append(&b, good.data, good.len);
    flip(&b, h + 10);
    assert_rejected(b.data, b.len, &jwks, "does not verify");
    /* header: the same bytes but typ changed */
    dvc_buf_reset(&b);
    {
        char       hdr[256], *t;
        dvc_buf_t  nh;

        decode_header(good.data, hdr, sizeof(hdr));
        t = strstr(hdr, "dvc-ack");
        assert_non_null(t);
        memcpy(t, "dvc-rct", 7);
        dvc_buf_init(&nh, A);
        dvc_buf_base64url(&nh, (unsigned char *) hdr, strlen(hdr));
        dvc_buf_append(&b, nh.data, nh.len);
        dvc_buf_append(&b, good.data + h, good.len - h);
        dvc_buf_free(&nh);
    }
    assert_rejected(b.data, b.len, &jwks, "does not verify");
    /* signature: one character in the middle, then its last one */
    dvc_buf_reset(&b);
    dvc_buf_append(&b, good.data, good.len);
    flip(&b, p + 20);
    assert_rejected(b.data, b.len, &jwks, "does not verify");
    /* a signature of another length */
    assert_rejected(good.data, good.len - 4, &jwks, "signature is");
    /* signature cut off, or payload moved into it */
    assert_rejected(good.data, p + 1, &jwks, "signature is");
    /* the untouched one still verifies */
    assert_verifies(good.data, good.len, &jwks, receipt_payload);

    dvc_buf_free(&b);
    dvc_buf_free(&good);
    dvc_jwks_free(&jwks);
    dvc_key_free(k);
}

static void
test_tampered(void **state)
{
    (void) state;
    tamper(pem_ed25519);
    tamper(pem_p256);
    tamper(pem_rsa2048);
}

/* ------------------------------------------------------------ header rules */

static void
test_alg_rules(void **state)
{
    dvc_key_t   *ed, *ec, *rs, *keys[3];
    dvc_jwks_t   jwks, one;
    dvc_buf_t    b, h;

    (void) state;
    ed = load_private(pem_ed25519, "ed");
    ec = load_private(pem_p256, "ec");
    rs = load_private(pem_rsa2048, "rs");
    keys[0] = ed;
    keys[1] = ec;
    keys[2] = rs;
    jwks_of(keys, 3, &jwks);
    jwks_of(keys, 1, &one);
    dvc_buf_init(&b, A);
    dvc_buf_init(&h, A);

    /* correctly signed, so only the header rule can refuse these */
    forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\"}", "{}", &b);
    assert_verifies(b.data, b.len, &jwks, "{}");

    /* alg confusion: RS256 (and EdDSA) claimed for the EC key */
    forge(ec, "{\"alg\":\"RS256\",\"kid\":\"ec\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "header alg RS256 does not match key ec");
    forge(ec, "{\"alg\":\"EdDSA\",\"kid\":\"ec\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "does not match");
    /* an RS256 header pointing at the Ed25519 key, signed with RSA */
    forge(rs, "{\"alg\":\"RS256\",\"kid\":\"ed\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "does not match key ed");

    /* "none", with and without a signature part; HS256 */
    dvc_buf_reset(&b);
    dvc_buf_base64url(&b, (const unsigned char *) S("{\"alg\":\"none\",\"kid\":\"ed\"}"));
    dvc_buf_puts(&b, ".e30.");
    assert_rejected(b.data, b.len, &jwks, "alg \"none\" is not accepted");
    dvc_buf_puts(&b, "AAAA");
    assert_rejected(b.data, b.len, &jwks, "alg \"none\" is not accepted");
    forge(ec, "{\"alg\":\"HS256\",\"kid\":\"ec\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "alg \"HS256\" is not accepted");
    forge(ec, "{\"alg\":\"es256\",\"kid\":\"ec\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "not accepted");

    /* kid: unknown; absent with three keys; absent with one (RFC 7515 allows) */
    forge(ec, "{\"alg\":\"ES256\",\"kid\":\"retired-2024\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "no key with kid \"retired-2024\"");
    forge(ec, "{\"alg\":\"ES256\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "no kid and the JWKS has 3 keys");
    forge(ed, "{\"alg\":\"EdDSA\"}", "{}", &b);
    assert_verifies(b.data, b.len, &one, "{}");
    forge(ed, "{\"alg\":\"EdDSA\",\"kid\":7}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "kid is not a string");

    /* two alg members: parsers disagree on which wins, so neither does */
    forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"alg\":\"ES256\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "member \"alg\" twice");
    /* critical extensions we do not implement */
    forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"crit\":[\"exp\"],\"exp\":1}",
          "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "\"crit\" is not supported");
    forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"b64\":false}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "\"b64\" is not supported");
    /* typ, when the caller asks for one; and which key verified */
    {
        const dvc_key_t  *by = NULL;
        char              err[256];

        forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"typ\":\"dvc-ack+jws\"}",
              "{}", &b);
        dvc_buf_reset(&h);
        assert_int_equal(dvc_jws_verify_ex(b.data, b.len, &jwks, "dvc-ack+jws",
                                           &h, &by, err, sizeof(err)), 0);
        assert_ptr_equal(by, jwks.keys[1]);
        assert_string_equal(dvc_key_kid(by), "ec");
        assert_int_equal(dvc_jws_verify_ex(b.data, b.len, &jwks,
                                           "dvc-receipt+jws", &h, NULL, err,
                                           sizeof(err)), -1);
        assert_string_equal(err, "typ is \"dvc-ack+jws\", not \"dvc-receipt+jws\"");
        forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\"}", "{}", &b);
        assert_int_equal(dvc_jws_verify_ex(b.data, b.len, &jwks,
                                           "dvc-receipt+jws", &h, NULL, err,
                                           sizeof(err)), -1);
        assert_non_null(strstr(err, "no typ"));
        forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"typ\":1}", "{}", &b);
        assert_rejected(b.data, b.len, &jwks, "typ is not a string");
    }
    /* a key embedded in the header is ignored: the JWKS decides */
    forge(ec, "{\"alg\":\"ES256\",\"kid\":\"ec\",\"jwk\":{\"kty\":\"oct\"}}",
          "{}", &b);
    assert_verifies(b.data, b.len, &jwks, "{}");

    /* headers that are not JSON objects */
    forge(ec, "[\"ES256\"]", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "not a JSON object");
    forge(ec, "{\"alg\":\"ES256\"", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "not JSON");
    forge(ec, "{\"kid\":\"ec\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "no alg");
    forge(ec, "{\"alg\":[\"ES256\"],\"kid\":\"ec\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "alg is not a string");

    dvc_buf_free(&b);
    dvc_buf_free(&h);
    dvc_jwks_free(&jwks);
    dvc_jwks_free(&one);
    dvc_key_free(ed);
    dvc_key_free(ec);
    dvc_key_free(rs);
}

static void
test_malformed(void **state)
{
    dvc_key_t   *ed, *keys[1];
    dvc_jwks_t   jwks;
    dvc_buf_t    good, b;
    char        *big;
    size_t       i;

    (void) state;
    ed = load_private(pem_ed25519, NULL);
    keys[0] = ed;
    jwks_of(keys, 1, &jwks);
    dvc_buf_init(&good, A);
    dvc_buf_init(&b, A);
    assert_int_equal(dvc_jws_sign(ed, "dvc-ack+jwt", S("{\"a\":1}"), &good), 0);
    assert_non_null(dvc_buf_cstr(&good));    /* strchr below */

    assert_rejected(S(""), &jwks, "not a compact JWS");
    assert_rejected(S("abc"), &jwks, "not a compact JWS");
    assert_rejected(S("a.b"), &jwks, "not a compact JWS");
    assert_rejected(S("a.b.c.d"), &jwks, "not a compact JWS");
    assert_rejected(S("..."), &jwks, "not a compact JWS");
    assert_rejected(S(".e30.AAAA"), &jwks, "empty header");
    /* the JWS JSON serialization is not what we take */
    assert_rejected(S("{\"payload\":\"e30\",\"signatures\":[]}"), &jwks,
                    "not a compact JWS");

    /* base64 (not url) characters, padding, whitespace in each part */
    for (i = 0; i < 3; i++) {
        const char  *part = good.data;
        size_t       k;

        for (k = 0; k < i; k++) {
            part = strchr(part, '.') + 1;
        }
        dvc_buf_reset(&b);
        dvc_buf_append(&b, good.data, good.len);
        b.data[(size_t) (part - good.data) + 2] = '+';
        assert_rejected(b.data, b.len, &jwks, "not base64url");
        b.data[(size_t) (part - good.data) + 2] = ' ';
        assert_rejected(b.data, b.len, &jwks, "not base64url");
    }
    dvc_buf_reset(&b);
    dvc_buf_append(&b, good.data, good.len);
    dvc_buf_puts(&b, "==");
    assert_rejected(b.data, b.len, &jwks, "signature is");
    dvc_buf_reset(&b);
    dvc_buf_append(&b, good.data, good.len);
    dvc_buf_putc(&b, '\n');
    assert_rejected(b.data, b.len, &jwks, "signature is");
    /* the last signature character with bits past the 64th byte set */
    dvc_buf_reset(&b);
    dvc_buf_append(&b, good.data, good.len);
    b.data[b.len - 1] = b.data[b.len - 1] == 'B' ? 'C' : 'B';
    assert_rejected(b.data, b.len, &jwks, "signature is not base64url");
    /* an empty payload (detached content) */
    forge(ed, "{\"alg\":\"EdDSA\"}", "", &b);
    assert_rejected(b.data, b.len, &jwks, "empty payload");
    /* a header with a NUL inside */
    dvc_buf_reset(&b);
    dvc_buf_base64url(&b, (const unsigned char *) "{\"alg\":\"EdDSA\"}\0x", 17);
    dvc_buf_puts(&b, strchr(good.data, '.'));
    assert_rejected(b.data, b.len, &jwks, "NUL");
    /* an escaped NUL would make "ed\u0000x" the kid "ed" for yajl's C strings */
    {
        dvc_key_t   *named = load_private(pem_ed25519, "ed");
        dvc_key_t   *nk[1] = { named };
        dvc_jwks_t   nj;

        jwks_of(nk, 1, &nj);
        forge(named, "{\"alg\":\"EdDSA\",\"kid\":\"ed\"}", "{}", &b);
        assert_verifies(b.data, b.len, &nj, "{}");
        forge(named, "{\"alg\":\"EdDSA\",\"kid\":\"ed\\u0000x\"}", "{}", &b);
        assert_rejected(b.data, b.len, &nj, "NUL");
        forge(named, "{\"alg\":\"EdDSA\\u0000none\",\"kid\":\"ed\"}", "{}", &b);
        assert_rejected(b.data, b.len, &nj, "NUL");
        dvc_jwks_free(&nj);
        dvc_key_free(named);
    }
    /* a huge header is refused before it is decoded */
    dvc_buf_reset(&b);
    for (i = 0; i < 3000; i++) {
        dvc_buf_putc(&b, 'e');
    }
    dvc_buf_puts(&b, ".e30.AAAA");
    assert_rejected(b.data, b.len, &jwks, "header longer than");
    /* and a huge token before anything */
    big = malloc(DVC_JWS_MAX + 10);
    assert_non_null(big);
    memset(big, 'A', DVC_JWS_MAX + 10);
    big[10] = '.';
    big[20] = '.';
    assert_rejected(big, DVC_JWS_MAX + 10, &jwks, "longer than");
    free(big);

    assert_verifies(good.data, good.len, &jwks, "{\"a\":1}");
    dvc_buf_free(&good);
    dvc_buf_free(&b);
    dvc_jwks_free(&jwks);
    dvc_key_free(ed);
}

/* ------------------------------------------------------------ keys */

static void
test_key_refusals(void **state)
{
    char        err[512];
    dvc_key_t  *k = NULL;

    (void) state;
    assert_non_null(strstr(load_private_error(pem_ed448, err, sizeof(err)),
                           "Ed448 key: only Ed25519"));
    assert_non_null(strstr(load_private_error(pem_p384, err, sizeof(err)),
                           "curve secp384r1: only P-256"));
    assert_non_null(strstr(load_private_error(pem_rsa1024, err, sizeof(err)),
                           "RSA key of 1024 bits"));
    assert_non_null(strstr(load_private_error(pem_rsapss, err, sizeof(err)),
                           "RSA-PSS key: not accepted"));
    assert_non_null(strstr(load_private_error(pem_ed25519_enc, err, sizeof(err)),
                           "encrypted private key"));
    assert_non_null(strstr(load_private_error(pem_p256_trad_enc, err, sizeof(err)),
                           "encrypted private key"));
    assert_non_null(strstr(load_private_error(pem_p256_pub, err, sizeof(err)),
                           "a public key: signing needs the private key"));
    assert_non_null(strstr(load_private_error("hello", err, sizeof(err)),
                           "not a PEM file"));
    assert_non_null(strstr(load_private_error(
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        err, sizeof(err)), "unreadable PEM private key"));
    assert_non_null(strstr(load_private_error(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        err, sizeof(err)), "a certificate"));

    /* a file holding the public key and then the private key signs */
    {
        char  both[2048];

        snprintf(both, sizeof(both), "%s%s", pem_p256_pub, pem_p256);
        k = load_private(both, NULL);
        assert_int_equal(dvc_key_alg(k), DVC_ALG_ES256);
        assert_true(dvc_key_has_private(k));
        dvc_key_free(k);
        k = NULL;
    }

    /* kid given by the operator: kept if printable, refused if not */
    assert_int_equal(dvc_key_load_private(A, S(pem_ed25519), "2026-11 a", &k,
                                          err, sizeof(err)), -1);
    assert_non_null(strstr(err, "kid must be"));
    assert_int_equal(dvc_key_load_private(A, S(pem_ed25519), "", &k, err,
                                          sizeof(err)), -1);
    assert_int_equal(dvc_key_load_private(A, S(pem_ed25519), "receipts-2026",
                                          &k, err, sizeof(err)), 0);
    assert_string_equal(dvc_key_kid(k), "receipts-2026");
    dvc_key_free(k);

    /* the longest kid, all of it needing JSON escapes, with the longest typ:
     * the header still fits the key's cache and the token verifies */
    {
        char        kid[DVC_KID_MAX + 1], hdr[512];
        dvc_key_t  *keys[1];
        dvc_jwks_t  jwks;
        dvc_buf_t   b;
        int         i;

        for (i = 0; i < DVC_KID_MAX; i++) {
            kid[i] = i % 2 ? '\\' : '"';
        }
        kid[DVC_KID_MAX] = '\0';
        keys[0] = load_private(pem_ed25519, kid);
        jwks_of(keys, 1, &jwks);
        assert_string_equal(dvc_key_kid(jwks.keys[0]), kid);
        dvc_buf_init(&b, A);
        for (i = 0; i < 2; i++) {   /* cache miss, then hit */
            dvc_buf_reset(&b);
            assert_int_equal(dvc_jws_sign(keys[0],
                "application/dvc-receipt+jwt.0123456789abcdefghij", S("{}"), &b), 0);
            assert_verifies(b.data, b.len, &jwks, "{}");
        }
        decode_header(dvc_buf_cstr(&b), hdr, sizeof(hdr));
        assert_int_equal(strlen(hdr), 209);
        dvc_buf_free(&b);
        dvc_jwks_free(&jwks);
        dvc_key_free(keys[0]);
    }

    /* a public key is fine for verification; its kid is the same thumbprint */
    assert_int_equal(dvc_key_load_public(A, S(pem_p256_pub), NULL, &k, err,
                                         sizeof(err)), 0);
    assert_int_equal(dvc_key_alg(k), DVC_ALG_ES256);
    assert_false(dvc_key_has_private(k));
    {
        dvc_key_t  *priv = load_private(pem_p256, NULL);

        assert_string_equal(dvc_key_kid(k), dvc_key_kid(priv));
        assert_string_equal(dvc_key_jwk(k, NULL), dvc_key_jwk(priv, NULL));
        dvc_key_free(priv);
    }
    dvc_key_free(k);
    assert_int_equal(dvc_key_load_public(A, S(pem_ed448), NULL, &k, err,
                                         sizeof(err)), -1);
    assert_non_null(strstr(err, "Ed448"));
}

static void
test_key_file_check(void **state)
{
    char   dir[] = "/tmp/dvc-test-keys-XXXXXX", path[128], err[512];
    FILE  *f;

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/signing.pem", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(pem_ed25519, f);
    fclose(f);

    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), 0);
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), 0);

    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "mode 0640 (its group can read it)"));
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "its group can read it, everyone can read it"));
    assert_int_equal(chmod(path, 0602), 0);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "(everyone can write it)"));
    assert_int_equal(chmod(path, 0777), 0);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "mode 0777 (its group can read it, its group "
                                "can write it, its group can run it, everyone "
                                "can read it, everyone can write it, everyone "
                                "can run it)"));

    assert_int_equal(dvc_key_file_check(dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
    unlink(path);
    assert_int_equal(dvc_key_file_check(path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    rmdir(dir);
}

/* ------------------------------------------------------------ JWK Sets */

static void
test_jwks_write_format(void **state)
{
    dvc_key_t  *keys[2];
    dvc_buf_t   b;

    (void) state;
    keys[0] = load_private(pem_rfc8037, NULL);
    keys[1] = load_private(pem_p256, "p256-2025");
    dvc_buf_init(&b, A);
    assert_int_equal(dvc_jwks_write((const dvc_key_t **) keys, 0, &b), 0);
    assert_string_equal(dvc_buf_cstr(&b), "{\"keys\":[]}");
    dvc_buf_reset(&b);
    assert_int_equal(dvc_jwks_write((const dvc_key_t **) keys, 2, &b), 0);
    assert_string_equal(dvc_buf_cstr(&b),
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
        "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
        "\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\","
        "\"alg\":\"EdDSA\",\"use\":\"sig\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"BjnLRBMuenBjidqbaK6xFd_1w0CMdh5LgUUwFTWeWaw\","
        "\"y\":\"gHl6HytK9VZ3voH_qnRTluV2BrZ2Shj9iYIdCUke-FI\","
        "\"kid\":\"p256-2025\",\"alg\":\"ES256\",\"use\":\"sig\"}]}");
    /* no private member ever leaves */
    assert_null(strstr(b.data, "\"d\""));
    dvc_buf_free(&b);
    dvc_key_free(keys[0]);
    dvc_key_free(keys[1]);
}

/* One key configured twice is published once; two keys sharing a kid are
 * told apart by alg, and the alg rule still holds. */
static void
test_jwks_duplicates(void **state)
{
    dvc_key_t   *keys[4];
    dvc_jwks_t   jwks;
    dvc_buf_t    b;

    (void) state;
    keys[0] = load_private(pem_ed25519, NULL);
    keys[1] = load_private(pem_ed25519, NULL);
    keys[2] = load_private(pem_ed25519, "ed-named");
    dvc_buf_init(&b, A);
    assert_int_equal(dvc_jwks_write((const dvc_key_t **) keys, 3, &b), 0);
    assert_string_equal(dvc_buf_cstr(&b),
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
        "\"x\":\"za8QQvDkwLiSAMfcAZEwRxF_lRW-WyxlvGIXcuy0QaM\","
        "\"kid\":\"SO55qZnq3ugQkMxD-mB5Cqij6hiYn-4Nz5Vitdyr47Q\","
        "\"alg\":\"EdDSA\",\"use\":\"sig\"},"
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
        "\"x\":\"za8QQvDkwLiSAMfcAZEwRxF_lRW-WyxlvGIXcuy0QaM\","
        "\"kid\":\"ed-named\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}");
    dvc_buf_free(&b);
    dvc_key_free(keys[0]);
    dvc_key_free(keys[1]);
    dvc_key_free(keys[2]);

    keys[0] = load_private(pem_ed25519, "shared");
    keys[1] = load_private(pem_p256, "shared");
    keys[2] = load_private(pem_rsa2048, "other");
    jwks_of(keys, 3, &jwks);
    assert_int_equal(jwks.n, 3);
    dvc_buf_init(&b, A);
    forge(keys[1], "{\"alg\":\"ES256\",\"kid\":\"shared\"}", "{\"n\":1}", &b);
    assert_verifies(b.data, b.len, &jwks, "{\"n\":1}");
    forge(keys[0], "{\"alg\":\"EdDSA\",\"kid\":\"shared\"}", "{\"n\":2}", &b);
    assert_verifies(b.data, b.len, &jwks, "{\"n\":2}");
    forge(keys[2], "{\"alg\":\"RS256\",\"kid\":\"shared\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "does not match key shared");
    /* the EC key's signature (64 bytes too) under the Ed25519 key's alg */
    forge(keys[1], "{\"alg\":\"EdDSA\",\"kid\":\"shared\"}", "{}", &b);
    assert_rejected(b.data, b.len, &jwks, "does not verify with key shared");
    dvc_buf_free(&b);
    dvc_jwks_free(&jwks);
    dvc_key_free(keys[0]);
    dvc_key_free(keys[1]);
    dvc_key_free(keys[2]);
}

static void
jwks_error(const char *json, const char *want)
{
    dvc_jwks_t  jwks;
    char        err[512] = "";

    assert_int_equal(dvc_jwks_parse(A, json, strlen(json), &jwks, err,
                                    sizeof(err)), -1);
    if (strstr(err, want) == NULL) {
        fail_msg("JWKS error \"%s\", expected \"%s\"", err, want);
    }
    assert_null(jwks.keys);
}

static void
test_jwks_parse(void **state)
{
    static const char  ed_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    dvc_jwks_t         jwks;
    dvc_buf_t          b;
    char               err[512];

    (void) state;
    dvc_buf_init(&b, A);
    /* unknown types, curves and uses are skipped (RFC 7517 section 5) */
    dvc_buf_printf(&b, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"},"
                   "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\"},"
                   "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"use\":\"enc\"},"
                   "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"k1\","
                   "\"alg\":\"EdDSA\",\"use\":\"sig\",\"key_ops\":[\"verify\"]}],"
                   "\"extra\":true}", ed_x, ed_x, ed_x);
    assert_int_equal(dvc_jwks_parse(A, b.data, b.len, &jwks, err, sizeof(err)), 0);
    assert_int_equal(jwks.n, 1);
    assert_string_equal(dvc_key_kid(jwks.keys[0]), "k1");
    dvc_jwks_free(&jwks);
    assert_null(jwks.keys);

    jwks_error("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", "no EdDSA, ES256");
    jwks_error("{\"keys\":[]}", "no EdDSA, ES256");
    jwks_error("{\"keys\":{}}", "no \"keys\" array");
    jwks_error("[]", "no \"keys\" array");
    jwks_error("{\"keys\":[", "not JSON");
    jwks_error("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}]}",
               "keys[0]: x must be 32 bytes");
    jwks_error("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
               "\"alg\":\"RS256\"}]}", "alg \"RS256\" does not fit a OKP key");
    jwks_error("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
               "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}]}",
               "private key");
    /* a point that is not on P-256 (y of the real key, x changed) */
    jwks_error("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
               "\"x\":\"AAALRBMuenBjidqbaK6xFd_1w0CMdh5LgUUwFTWeWaw\","
               "\"y\":\"gHl6HytK9VZ3voH_qnRTluV2BrZ2Shj9iYIdCUke-FI\"}]}",
               "not a point of P-256");
    /* a short RSA modulus is a refused key, not a skipped one */
    jwks_error("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
               "RSA key of 17 bits");
    jwks_error("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
               "\"kid\":\"with space\"}]}", "kid must be");
    jwks_error("{\"keys\":[7]}", "keys[0]: not a JSON object");
    jwks_error("{\"keys\":[{\"crv\":\"Ed25519\"}]}", "keys[0]: no kty");
    dvc_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64url_strict),
        cmocka_unit_test(test_rfc8037_ed25519),
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_openssl_cli_signatures),
        cmocka_unit_test(test_roundtrip_eddsa),
        cmocka_unit_test(test_roundtrip_es256),
        cmocka_unit_test(test_roundtrip_rs256),
        cmocka_unit_test(test_es256_short_values),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_alg_rules),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_key_refusals),
        cmocka_unit_test(test_key_file_check),
        cmocka_unit_test(test_jwks_write_format),
        cmocka_unit_test(test_jwks_parse),
        cmocka_unit_test(test_jwks_duplicates),
    };

    return cmocka_run_group_tests_name("jws", tests, NULL, NULL);
}
