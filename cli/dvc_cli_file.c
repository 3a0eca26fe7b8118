/* Reading a whole (small) file for the CLI: keys, JWK Sets, payloads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dvc_cli.h"

int
dvc_cli_file_read(const char *path, size_t max, dvc_buf_t *out, char *err,
    size_t errlen)
{
    FILE    *f;
    char     chunk[8192];
    size_t   n, start = out->len;
    int      stdin_ = strcmp(path, "-") == 0;

    f = stdin_ ? stdin : fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (out->len - start + n > max) {
            snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
            goto failed;
        }
        dvc_buf_append(out, chunk, n);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto failed;
    }
    if (out->failed) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto failed;
    }
    if (!stdin_) {
        fclose(f);
    }
    return 0;

failed:
    if (!stdin_) {
        fclose(f);
    }
    out->len = start;
    return -1;
}
