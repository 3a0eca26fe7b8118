/*
 * Event signatures (dvc_hmac.h): HMAC-SHA256 through OpenSSL 3's EVP_MAC,
 * one context per configured key so the body is read once whatever the
 * number of keys.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dvc_hmac.h"
#include "dvc_err.h"

struct dvc_sig_ctx {
    const dvc_alloc_t  *alloc;
    EVP_MAC            *mac;
    EVP_MAC_CTX        *ctx[DVC_HMAC_KEYS_MAX];
    size_t              n;
    int                 failed;
};


static int
dvc_hmac_name_ok(const char *s)
{
    size_t  i, len = strlen(s);

    if (len == 0 || len > DVC_HMAC_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':'
              || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
dvc_hmac_key_load(const dvc_alloc_t *a, const char *text, size_t len,
    const char *name, dvc_hmac_key_t *key, char *err, size_t errlen)
{
    memset(key, 0, sizeof(*key));

    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'
                       || text[len - 1] == '\r' || text[len - 1] == '\n'))
    {
        len--;
    }

    if (len < DVC_HMAC_KEY_MIN) {
        dvc_errf(err, errlen, "the key is %zu bytes, at least %d are needed "
                 "(make one with: openssl rand -hex 32)", len,
                 DVC_HMAC_KEY_MIN);
        return -1;
    }

    if (len > DVC_HMAC_KEY_MAX) {
        dvc_errf(err, errlen, "the key is %zu bytes, at most %d are allowed",
                 len, DVC_HMAC_KEY_MAX);
        return -1;
    }

    if (memchr(text, '\0', len) != NULL) {
        dvc_errf(err, errlen, "the key holds a NUL byte; write it as text "
                 "(openssl rand -hex 32)");
        return -1;
    }

    if (name == NULL || name[0] == '\0') {
        dvc_errf(err, errlen, "the key has no name");
        return -1;
    }

    if (!dvc_hmac_name_ok(name)) {
        dvc_errf(err, errlen, "the key name must be 1 to %d characters of "
                 "[A-Za-z0-9._:-]", DVC_HMAC_NAME_MAX);
        return -1;
    }

    key->secret = dvc_malloc(a, len);
    if (key->secret == NULL) {
        dvc_errf(err, errlen, "out of memory");
        return -1;
    }

    memcpy(key->secret, text, len);
    key->len = len;
    memcpy(key->name, name, strlen(name) + 1);

    return 0;
}


void
dvc_hmac_key_free(const dvc_alloc_t *a, dvc_hmac_key_t *key)
{
    if (key->secret) {
        OPENSSL_cleanse(key->secret, key->len);
        dvc_free(a, key->secret);
    }

    key->secret = NULL;
    key->len = 0;
}


static int
dvc_hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;    /* upper case too: the header is lowercase hex */
}


dvc_sig_result_t
dvc_sig_parse(const char *ts, size_t ts_len, const char *sig, size_t sig_len,
    int64_t *timestamp, unsigned char mac[DVC_HMAC_LEN])
{
    int      hi, lo;
    size_t   i;
    int64_t  t;

    if (ts == NULL || sig == NULL || ts_len == 0 || ts_len > 18
        || sig_len != 3 + 2 * DVC_HMAC_LEN || memcmp(sig, "v1=", 3) != 0)
    {
        return DVC_SIG_MISSING;
    }

    t = 0;
    for (i = 0; i < ts_len; i++) {
        if (ts[i] < '0' || ts[i] > '9') {
            return DVC_SIG_MISSING;
        }

        t = t * 10 + (ts[i] - '0');
    }

    for (i = 0; i < DVC_HMAC_LEN; i++) {
        hi = dvc_hex_nibble(sig[3 + 2 * i]);
        lo = dvc_hex_nibble(sig[3 + 2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return DVC_SIG_MISSING;
        }

        mac[i] = (unsigned char) (hi << 4 | lo);
    }

    *timestamp = t;
    return DVC_SIG_OK;
}


dvc_sig_result_t
dvc_sig_fresh(int64_t ts, int64_t now)
{
    int64_t  d = now - ts;

    return d > DVC_HMAC_WINDOW || d < -DVC_HMAC_WINDOW ? DVC_SIG_STALE
                                                       : DVC_SIG_OK;
}


dvc_sig_ctx_t *
dvc_sig_begin(const dvc_alloc_t *a, const dvc_hmac_key_t *keys, size_t nkeys,
    const char *ts_text, size_t ts_len, const char *method, size_t method_len,
    const char *target, size_t target_len)
{
    size_t          i;
    OSSL_PARAM      params[2];
    dvc_sig_ctx_t  *c;

    if (nkeys == 0 || nkeys > DVC_HMAC_KEYS_MAX) {
        return NULL;
    }

    c = dvc_calloc(a, 1, sizeof(dvc_sig_ctx_t));
    if (c == NULL) {
        return NULL;
    }

    c->alloc = a;
    c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (c->mac == NULL) {
        dvc_sig_free(c);
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    for (i = 0; i < nkeys; i++) {
        c->ctx[i] = EVP_MAC_CTX_new(c->mac);
        c->n = i + 1;

        if (c->ctx[i] == NULL
            || EVP_MAC_init(c->ctx[i], keys[i].secret, keys[i].len, params)
               != 1
            || EVP_MAC_update(c->ctx[i], (const unsigned char *) ts_text,
                              ts_len) != 1
            || EVP_MAC_update(c->ctx[i], (const unsigned char *) "\n", 1) != 1
            || EVP_MAC_update(c->ctx[i], (const unsigned char *) method,
                              method_len) != 1
            || EVP_MAC_update(c->ctx[i], (const unsigned char *) "\n", 1) != 1
            || EVP_MAC_update(c->ctx[i], (const unsigned char *) target,
                              target_len) != 1
            || EVP_MAC_update(c->ctx[i], (const unsigned char *) "\n", 1) != 1)
        {
            dvc_sig_free(c);
            return NULL;
        }
    }

    return c;
}


int
dvc_sig_update(dvc_sig_ctx_t *c, const void *data, size_t len)
{
    size_t  i;

    if (c->failed) {
        return -1;
    }

    for (i = 0; i < c->n; i++) {
        if (EVP_MAC_update(c->ctx[i], data, len) != 1) {
            c->failed = 1;
            return -1;
        }
    }

    return 0;
}


int
dvc_sig_finish(dvc_sig_ctx_t *c, const unsigned char mac[DVC_HMAC_LEN],
    size_t *which)
{
    int            found = 0;
    size_t         i, outl;
    unsigned char  out[EVP_MAX_MD_SIZE];

    if (c->failed) {
        return -1;
    }

    /* every key is computed and compared: the time taken says nothing of
     * which key matched, or how much of the MAC did */
    for (i = 0; i < c->n; i++) {
        if (EVP_MAC_final(c->ctx[i], out, &outl, sizeof(out)) != 1
            || outl != DVC_HMAC_LEN)
        {
            c->failed = 1;
            return -1;
        }

        if (CRYPTO_memcmp(out, mac, DVC_HMAC_LEN) == 0 && !found) {
            found = 1;
            if (which) {
                *which = i;
            }
        }
    }

    OPENSSL_cleanse(out, sizeof(out));

    return found ? DVC_SIG_OK : DVC_SIG_INVALID;
}


void
dvc_sig_free(dvc_sig_ctx_t *c)
{
    size_t  i;

    if (c == NULL) {
        return;
    }

    for (i = 0; i < c->n; i++) {
        EVP_MAC_CTX_free(c->ctx[i]);
    }

    EVP_MAC_free(c->mac);
    dvc_free(c->alloc, c);
}


int
dvc_sig_check(const dvc_alloc_t *a, const dvc_hmac_key_t *keys, size_t nkeys,
    int64_t now, const char *ts, size_t ts_len, const char *sig,
    size_t sig_len, const char *method, size_t method_len, const char *target,
    size_t target_len, const void *body, size_t body_len, size_t *which)
{
    int              rc;
    int64_t          t;
    unsigned char    mac[DVC_HMAC_LEN];
    dvc_sig_ctx_t   *c;
    dvc_sig_result_t r;

    r = dvc_sig_parse(ts, ts_len, sig, sig_len, &t, mac);
    if (r != DVC_SIG_OK) {
        return r;
    }

    r = dvc_sig_fresh(t, now);
    if (r != DVC_SIG_OK) {
        return r;
    }

    c = dvc_sig_begin(a, keys, nkeys, ts, ts_len, method, method_len, target,
                      target_len);
    if (c == NULL) {
        return -1;
    }

    rc = dvc_sig_update(c, body, body_len);
    if (rc == 0) {
        rc = dvc_sig_finish(c, mac, which);
    }

    dvc_sig_free(c);
    return rc;
}


const char *
dvc_sig_result_code(dvc_sig_result_t r)
{
    switch (r) {
    case DVC_SIG_OK:
        return "ok";
    case DVC_SIG_MISSING:
        return "signature_missing";
    case DVC_SIG_STALE:
        return "signature_stale";
    case DVC_SIG_INVALID:
        return "signature_invalid";
    case DVC_SIG_AMBIGUOUS:
        return "signature_ambiguous";
    }

    return "signature_invalid";
}
