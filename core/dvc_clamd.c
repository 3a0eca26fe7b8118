/*
 * ClamAV's INSTREAM protocol: framing and answers (dvc_clamd.h).
 */
#include <string.h>

#include "dvc_clamd.h"


void
dvc_clamd_chunk_header(unsigned char out[4], uint32_t len)
{
    out[0] = (unsigned char) (len >> 24);
    out[1] = (unsigned char) (len >> 16);
    out[2] = (unsigned char) (len >> 8);
    out[3] = (unsigned char) len;
}


static void
dvc_clamd_copy(const char *s, size_t len, char *what, size_t whatlen)
{
    size_t  i, n;

    if (what == NULL || whatlen == 0) {
        return;
    }

    n = len < whatlen - 1 ? len : whatlen - 1;

    for (i = 0; i < n; i++) {
        what[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }

    what[n] = '\0';
}


dvc_clamd_verdict_t
dvc_clamd_parse_reply(const char *buf, size_t len, int eof, char *what,
    size_t whatlen)
{
    size_t       n;
    const char  *nul, *s;

    if (what && whatlen) {
        what[0] = '\0';
    }

    nul = memchr(buf, '\0', len);

    if (nul == NULL) {
        if (!eof) {
            return len > DVC_CLAMD_REPLY_MAX ? DVC_CLAMD_ERROR
                                             : DVC_CLAMD_INCOMPLETE;
        }

        n = len;

    } else {
        n = (size_t) (nul - buf);
    }

    /* a trailing newline (the "n" form) is not part of the answer */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    if (n == 0) {
        dvc_clamd_copy("no answer", 9, what, whatlen);
        return DVC_CLAMD_ERROR;
    }

    s = buf;

    /* "stream: OK", "stream: NAME FOUND" */
    if (n > 8 && memcmp(s, "stream: ", 8) == 0) {
        s += 8;
        n -= 8;

        if (n == 2 && memcmp(s, "OK", 2) == 0) {
            return DVC_CLAMD_CLEAN;
        }

        if (n > 6 && memcmp(s + n - 6, " FOUND", 6) == 0) {
            dvc_clamd_copy(s, n - 6, what, whatlen);
            return DVC_CLAMD_INFECTED;
        }
    }

    dvc_clamd_copy(buf, (size_t) (s - buf) + n, what, whatlen);

    return DVC_CLAMD_ERROR;
}


const char *
dvc_clamd_verdict_name(dvc_clamd_verdict_t v)
{
    switch (v) {
    case DVC_CLAMD_INCOMPLETE:
        return "incomplete";
    case DVC_CLAMD_CLEAN:
        return "clean";
    case DVC_CLAMD_INFECTED:
        return "infected";
    default:
        return "error";
    }
}
