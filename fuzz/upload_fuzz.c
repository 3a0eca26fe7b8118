/*
 * libFuzzer target: an uploaded document (dvc_upload.h) and a clamd answer
 * (dvc_clamd.h).  Byte 0 picks the declared type (bits 0-1: none, PDF,
 * JPEG, PNG) and the cut (bits 2-7: buffers of 1..64 bytes); the rest is
 * the file.  Oracles: whole and cut give the same SHA-256, size and
 * verdict; the SHA-256 is OpenSSL's one-shot EVP_Digest's; an empty file is
 * document_empty and nothing else is; document_encrypted only for a PDF
 * whose bytes hold "/Encrypt" (memmem over the whole file), and such a PDF
 * with a good header is never OK; the same bytes as a clamd answer parse
 * to the same verdict whole and byte by byte (INCOMPLETE until the NUL),
 * up to DVC_CLAMD_REPLY_MAX bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dvc_upload.h"
#include "dvc_clamd.h"

static const dvc_media_t  types[4] = {
    DVC_MEDIA_NONE, DVC_MEDIA_PDF, DVC_MEDIA_JPEG, DVC_MEDIA_PNG
};


static dvc_upload_result_t
run(dvc_media_t declared, const uint8_t *p, size_t len, size_t step,
    char hex[65], uint64_t *size)
{
    size_t                off, n;
    dvc_upload_t         *u;
    dvc_upload_result_t   r;

    u = dvc_upload_new(&dvc_alloc_std);
    if (u == NULL || dvc_upload_begin(u, declared) != 0) {
        abort();
    }
    for (off = 0; off < len; off += n) {
        n = step && step < len - off ? step : len - off;
        if (dvc_upload_feed(u, p + off, n) != 0) {
            abort();
        }
    }
    if (dvc_upload_finish(u, hex) != 0) {
        abort();
    }
    *size = dvc_upload_size(u);
    r = dvc_upload_verdict(u, NULL);
    dvc_upload_free(u);
    return r;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                 h1[65], h2[65], ref[65], w1[64], w2[64];
    size_t               i, len;
    uint8_t             *p;
    uint64_t             s1, s2;
    unsigned int         mdlen;
    unsigned char        md[EVP_MAX_MD_SIZE];
    dvc_media_t          declared;
    dvc_upload_result_t  r1, r2;
    dvc_clamd_verdict_t  v1, v2;

    if (size == 0) {
        return 0;
    }

    declared = types[data[0] & 3];
    len = size - 1;
    p = malloc(len ? len : 1);           /* exact size: ASan sees overreads */
    memcpy(p, data + 1, len);

    r1 = run(declared, p, len, 0, h1, &s1);
    r2 = run(declared, p, len, (data[0] >> 2) + 1, h2, &s2);

    if (r1 != r2 || strcmp(h1, h2) != 0 || s1 != s2 || s1 != len) {
        abort();
    }

    if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        abort();
    }
    for (i = 0; i < 32; i++) {
        snprintf(ref + 2 * i, 3, "%02x", md[i]);
    }
    if (strcmp(ref, h1) != 0) {
        abort();
    }

    if ((r1 == DVC_UPLOAD_EMPTY) != (len == 0)) {
        abort();
    }

    if (r1 == DVC_UPLOAD_ENCRYPTED
        && (declared != DVC_MEDIA_PDF || memmem(p, len, "/Encrypt", 8) == NULL))
    {
        abort();
    }

    if (r1 == DVC_UPLOAD_OK && declared == DVC_MEDIA_PDF
        && memmem(p, len, "/Encrypt", 8) != NULL)
    {
        abort();
    }

    /* the same bytes as clamd's answer, within its length limit */
    if (len > DVC_CLAMD_REPLY_MAX) {
        free(p);
        return 0;
    }
    v1 = dvc_clamd_parse_reply((const char *) p, len, 1, w1, sizeof(w1));
    v2 = DVC_CLAMD_INCOMPLETE;
    for (i = 0; i <= len && v2 == DVC_CLAMD_INCOMPLETE; i++) {
        v2 = dvc_clamd_parse_reply((const char *) p, i, i == len, w2,
                                   sizeof(w2));
        if (v2 == DVC_CLAMD_INCOMPLETE && memchr(p, '\0', i) != NULL) {
            abort();
        }
    }
    if (v1 == DVC_CLAMD_INCOMPLETE || v1 != v2 || strcmp(w1, w2) != 0) {
        abort();
    }

    free(p);
    return 0;
}
