/*
 * ClamAV's daemon, INSTREAM (clamd(8)): the framing of a stream to scan and
 * the parsing of clamd's answer.  No I/O: the caller (nginx's event loop in
 * the glue, a test) moves the bytes.
 *
 *   client:  "zINSTREAM\0"
 *            then chunks: <4-byte length, network order> <bytes>
 *            then <0 0 0 0>
 *   clamd:   "stream: OK\0"
 *            "stream: <signature name> FOUND\0"
 *            "INSTREAM size limit exceeded. ERROR\0", "<text> ERROR\0"
 *
 * The "z" form has clamd end its answer with NUL; clamd closes the
 * connection after it.
 */
#ifndef DVC_CLAMD_H
#define DVC_CLAMD_H

#include <stddef.h>
#include <stdint.h>

#define DVC_CLAMD_COMMAND      "zINSTREAM"          /* sent with its NUL */
#define DVC_CLAMD_COMMAND_LEN  (sizeof(DVC_CLAMD_COMMAND))
#define DVC_CLAMD_CHUNK_MAX    (1024 * 1024)        /* below StreamMaxLength */
#define DVC_CLAMD_REPLY_MAX    1024

typedef enum {
    DVC_CLAMD_INCOMPLETE = 0,   /* no NUL yet: read more */
    DVC_CLAMD_CLEAN,
    DVC_CLAMD_INFECTED,
    DVC_CLAMD_ERROR             /* clamd's ERROR, or an answer we cannot read */
} dvc_clamd_verdict_t;

/* A chunk's 4-byte header for len bytes (0: the end of the stream). */
void dvc_clamd_chunk_header(unsigned char out[4], uint32_t len);

/*
 * clamd's answer so far (buf, len bytes).  eof: clamd closed the connection
 * (an answer without its NUL is then whole).  For INFECTED the signature's
 * name, for ERROR clamd's text, goes into what (NUL-terminated, cut to
 * whatlen - 1 bytes, printable ASCII only).
 */
dvc_clamd_verdict_t dvc_clamd_parse_reply(const char *buf, size_t len,
    int eof, char *what, size_t whatlen);

const char *dvc_clamd_verdict_name(dvc_clamd_verdict_t v);

#endif
