/*
 * dvc keygen [--type ed25519|p256|rsa] [--bits N] [--out FILE]: makes a
 * signing key.  With --out the private key goes to a new file of mode 0600
 * (never over an existing one) and the public JWK to stdout; without, the
 * PEM goes to stdout and the JWK to stderr.
 */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dvc_cli.h"
#include "dvc_keys.h"

static int
keygen_usage(void)
{
    fprintf(stderr, "usage: dvc keygen [--type ed25519|p256|rsa] [--bits N] "
            "[--out FILE]\n"
            "  ed25519 (EdDSA) is the default; rsa takes --bits 2048..8192 "
            "(default 3072)\n");
    return 2;
}

static int
keygen_write(const char *path, const char *pem, size_t len)
{
    int      fd;
    ssize_t  n;
    size_t   done = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "dvc keygen: %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (a key is never overwritten)" : "");
        return -1;
    }
    /* umask can only take bits away; fchmod makes 0600 certain */
    if (fchmod(fd, 0600) != 0) {
        goto failed;
    }
    while (done < len) {
        n = write(fd, pem + done, len - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            goto failed;
        }
        done += (size_t) n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto failed;
    }
    return 0;

failed:
    fprintf(stderr, "dvc keygen: %s: %s\n", path, strerror(errno));
    if (fd >= 0) {
        close(fd);
    }
    unlink(path);
    return -1;
}

int
dvc_cmd_keygen(int argc, char **argv)
{
    const char  *type = "ed25519", *out = NULL, *jwk;
    char         err[256], *pem;
    long         bits = 0, pem_len;
    EVP_PKEY    *pkey = NULL;
    BIO         *bio = NULL;
    dvc_key_t   *key = NULL;
    size_t       jwk_len;
    int          i, rc = 2;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
            type = argv[++i];
        } else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc) {
            bits = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else {
            return keygen_usage();
        }
    }
    if (bits != 0 && strcmp(type, "rsa") != 0) {
        fprintf(stderr, "dvc keygen: --bits is for --type rsa only\n");
        return 2;
    }
    if (strcmp(type, "ed25519") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    } else if (strcmp(type, "p256") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    } else if (strcmp(type, "rsa") == 0) {
        bits = bits ? bits : 3072;
        if (bits < DVC_RSA_MIN_BITS || bits > DVC_RSA_MAX_BITS) {
            fprintf(stderr, "dvc keygen: --bits must be %d..%d\n",
                    DVC_RSA_MIN_BITS, DVC_RSA_MAX_BITS);
            return 2;
        }
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) bits);
    } else {
        return keygen_usage();
    }
    bio = BIO_new(BIO_s_mem());
    if (pkey == NULL || bio == NULL
        || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
    {
        fprintf(stderr, "dvc keygen: key generation failed: %s\n",
                ERR_reason_error_string(ERR_get_error()));
        goto done;
    }
    pem_len = BIO_get_mem_data(bio, &pem);
    /* read it back as the gateway will: same checks, same kid */
    if (dvc_key_load_private(&dvc_alloc_std, pem, (size_t) pem_len, NULL, &key,
                             err, sizeof(err)) != 0)
    {
        fprintf(stderr, "dvc keygen: %s\n", err);
        goto done;
    }
    jwk = dvc_key_jwk(key, &jwk_len);
    if (out != NULL) {
        if (keygen_write(out, pem, (size_t) pem_len) != 0) {
            goto done;
        }
        printf("%s\n", jwk);
        fprintf(stderr, "dvc keygen: wrote %s (mode 0600), %s key, kid %s\n",
                out, dvc_key_alg_name(key), dvc_key_kid(key));
    } else {
        fwrite(pem, 1, (size_t) pem_len, stdout);
        fprintf(stderr, "%s\n", jwk);
    }
    rc = 0;

done:
    dvc_key_free(key);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return rc;
}
