/*
 * Signing and verifying rates of core/dvc_jws.c, one core, per alg, on an
 * acknowledgement-sized payload (the JWS the gateway makes per submission).
 * For EdDSA it also times the plain OpenSSL path the reference peers take
 * (EVP_MD_CTX_new + EVP_DigestSignInit + EVP_DigestSign per signature, no
 * base64url) to show what dvc_jws_sign adds or saves around the curve math.
 *
 * build and run: bench/jws/run.sh [SECONDS_PER_ROUND=0.5]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dvc_jws.h"
#include "dvc_keys.h"

static const char ack[] =
    "{\"code\":\"000.00.10.H47-261122-0042\",\"procedure\":\"1.000001\","
    "\"agency\":\"000.00.10.H47\",\"status\":1,"
    "\"submitted_at\":\"2026-11-22T09:41:07+07:00\","
    "\"body_sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
    "\"documents\":[{\"kind\":\"to-khai\",\"sha256\":\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"},"
    "{\"kind\":\"giay-chung-sinh\",\"sha256\":\"fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9\"}]}";

static double
clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wall time, and this thread's CPU time: on a shared machine (other
 * benchmarks, builds) the wall-clock rate says more about the neighbours than
 * about the code, so rates are per CPU second, as `openssl speed` counts by
 * default; the wall-clock rate is printed beside them. */
static double
now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static double
cpu_now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static double  last_wall_rate;

static dvc_key_t *
make_key(const char *type)
{
    EVP_PKEY   *pkey;
    BIO        *bio;
    char       *pem, err[256];
    long        len;
    dvc_key_t  *k = NULL;

    if (strcmp(type, "ed25519") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else if (strcmp(type, "p256") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    } else {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    }
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
    len = BIO_get_mem_data(bio, &pem);
    if (dvc_key_load_private(&dvc_alloc_std, pem, (size_t) len, NULL, &k, err,
                             sizeof(err)) != 0)
    {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return k;
}

enum { SIGN, VERIFY, SIGN_INPUT, PLAIN };

/* One timed run of what for key k: ops per second. */
static double
run(int what, dvc_key_t *k, EVP_PKEY *plain_key, const dvc_jwks_t *jwks,
    dvc_buf_t *jws, double secs)
{
    dvc_buf_t      out, payload;
    unsigned char  sig[DVC_SIG_MAX];
    size_t         input_len = (size_t) ((char *) memrchr(jws->data, '.', jws->len)
                                         - jws->data), siglen;
    char           err[256];
    double         t0 = now(), c0 = cpu_now(), t;
    long           n = 0;
    int            r;

    dvc_buf_init(&out, &dvc_alloc_std);
    dvc_buf_init(&payload, &dvc_alloc_std);
    do {
        for (r = 0; r < 50; r++, n++) {
            switch (what) {
            case SIGN:
                dvc_buf_reset(&out);
                if (dvc_jws_sign(k, "dvc-ack+jwt", ack, sizeof(ack) - 1, &out)
                    != 0)
                {
                    fprintf(stderr, "sign failed\n");
                    exit(1);
                }
                break;
            case VERIFY:
                dvc_buf_reset(&payload);
                if (dvc_jws_verify(jws->data, jws->len, jwks, &payload, err,
                                   sizeof(err)) != 0)
                {
                    fprintf(stderr, "verify failed: %s\n", err);
                    exit(1);
                }
                break;
            case SIGN_INPUT:
                if (dvc_jws_sign_input(k, (unsigned char *) jws->data,
                                       input_len, sig) < 0)
                {
                    exit(1);
                }
                break;
            case PLAIN: {
                EVP_MD_CTX *ctx = EVP_MD_CTX_new();

                siglen = sizeof(sig);
                if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, plain_key) != 1
                    || EVP_DigestSign(ctx, sig, &siglen,
                                      (unsigned char *) jws->data, input_len)
                       != 1)
                {
                    exit(1);
                }
                EVP_MD_CTX_free(ctx);
                break;
            }
            }
        }
    } while ((t = now() - t0) < secs);
    last_wall_rate = n / t;
    t = cpu_now() - c0;
    dvc_buf_free(&out);
    dvc_buf_free(&payload);
    return n / t;
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    static const char *types[] = { "ed25519", "p256", "rsa" };
    static const char *whats[] = { "sign", "verify", "sign-input-only",
                                   "plain-evp-new-ctx-per-sign" };
    enum { ROUNDS = 5 };
    double       secs = argc > 1 ? atof(argv[1]) : 0.5;
    double       rate[3][4][ROUNDS], wall[3][4][ROUNDS], *x;
    dvc_buf_t    jws[3], json;
    dvc_jwks_t   jwks[3];
    dvc_key_t   *keys[3];
    EVP_PKEY    *plain = NULL;
    char         err[256];
    int          i, w, round;

    dvc_buf_init(&json, &dvc_alloc_std);
    for (i = 0; i < 3; i++) {
        keys[i] = make_key(types[i]);
        dvc_buf_init(&jws[i], &dvc_alloc_std);
        dvc_jws_sign(keys[i], "dvc-ack+jwt", ack, sizeof(ack) - 1, &jws[i]);
        dvc_buf_reset(&json);
        dvc_jwks_write((const dvc_key_t **) &keys[i], 1, &json);
        if (dvc_jwks_parse(&dvc_alloc_std, json.data, json.len, &jwks[i], err,
                           sizeof(err)) != 0)
        {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    /* the plain path: an Ed25519 key of its own, outside dvc */
    plain = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    /* rounds interleave the measures, so drift on a shared machine hits all */
    for (round = 0; round < ROUNDS; round++) {
        for (i = 0; i < 3; i++) {
            for (w = 0; w < 4; w++) {
                last_wall_rate = 0;
                rate[i][w][round] = (w >= SIGN_INPUT && i != 0) ? 0
                    : run(w, keys[i], plain, &jwks[i], &jws[i], secs);
                wall[i][w][round] = last_wall_rate;
            }
        }
    }
    printf("payload %zu bytes; per CPU second, median (min-max) of %d rounds "
           "of %.1f s; wall = the wall-clock median\n", sizeof(ack) - 1,
           ROUNDS, secs);
    for (i = 0; i < 3; i++) {
        for (w = 0; w < 4; w++) {
            if (w >= SIGN_INPUT && i != 0) {
                continue;
            }
            qsort(wall[i][w], ROUNDS, sizeof(double), cmp);
            x = rate[i][w];
            qsort(x, ROUNDS, sizeof(double), cmp);
            printf("RESULT %s %s ops_per_s=%.0f (%.0f-%.0f) us_per_op=%.2f "
                   "wall_ops_per_s=%.0f jws_bytes=%zu\n",
                   dvc_key_alg_name(keys[i]), whats[w], x[ROUNDS / 2], x[0],
                   x[ROUNDS - 1], 1e6 / x[ROUNDS / 2], wall[i][w][ROUNDS / 2],
                   jws[i].len);
        }
    }
    for (i = 0; i < 3; i++) {
        dvc_jwks_free(&jwks[i]);
        dvc_key_free(keys[i]);
        dvc_buf_free(&jws[i]);
    }
    EVP_PKEY_free(plain);
    dvc_buf_free(&json);
    return 0;
}
