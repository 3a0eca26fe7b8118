/* Redis Cluster's slot arithmetic and redirections (see dvc_cluster.h). */
#include "dvc_cluster.h"
#include "dvc_code.h"

#include <string.h>
#include <strings.h>


/* each tag's slot is in [part * 1024, part * 1024 + 1023]: the unit test
 * checks it */
static const char *const  tags[DVC_CLUSTER_PARTS] = {
    "00dd", "01dc", "02d", "03fc", "04c", "05ad", "06bd", "07bc",
    "08bb", "09c", "10c", "11aa", "12bd", "13bc", "14da", "15db"
};


uint16_t
dvc_cluster_crc16(const char *buf, size_t len)
{
    size_t    i;
    int       b;
    uint16_t  crc = 0;

    for (i = 0; i < len; i++) {
        crc ^= (uint16_t) ((unsigned char) buf[i] << 8);
        for (b = 0; b < 8; b++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021)
                                 : (uint16_t) (crc << 1);
        }
    }
    return crc;
}


unsigned
dvc_cluster_slot(const char *key, size_t len)
{
    size_t  s, e;

    for (s = 0; s < len && key[s] != '{'; s++) {
        /* the first '{' */
    }
    if (s < len) {
        for (e = s + 1; e < len && key[e] != '}'; e++) {
            /* the next '}' */
        }
        if (e < len && e > s + 1) {
            return dvc_cluster_crc16(key + s + 1, e - s - 1)
                   & (DVC_CLUSTER_SLOTS - 1);
        }
    }
    return dvc_cluster_crc16(key, len) & (DVC_CLUSTER_SLOTS - 1);
}


static int
parse_uint(const char *p, size_t len, unsigned long max, unsigned long *out)
{
    size_t         i;
    unsigned long  v = 0;

    if (len == 0 || len > 10) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
        v = v * 10 + (unsigned long) (p[i] - '0');
    }
    if (v > max) {
        return -1;
    }
    *out = v;
    return 0;
}


dvc_redirect_kind_t
dvc_cluster_redirect(const char *err, size_t len, dvc_redirect_t *out)
{
    size_t               i, n, sp, colon, hs, he;
    unsigned long        v;
    dvc_redirect_kind_t  kind;

    memset(out, 0, sizeof(*out));

    if (len >= 8 && memcmp(err, "TRYAGAIN", 8) == 0
        && (len == 8 || err[8] == ' '))
    {
        out->kind = DVC_REDIRECT_TRYAGAIN;
        return out->kind;
    }

    if (len > 6 && memcmp(err, "MOVED ", 6) == 0) {
        kind = DVC_REDIRECT_MOVED;
        i = 6;
    } else if (len > 4 && memcmp(err, "ASK ", 4) == 0) {
        kind = DVC_REDIRECT_ASK;
        i = 4;
    } else {
        return DVC_REDIRECT_NONE;
    }

    for (sp = i; sp < len && err[sp] != ' '; sp++) {
        /* the slot's end */
    }
    if (sp == len || parse_uint(err + i, sp - i, DVC_CLUSTER_SLOTS - 1, &v)) {
        return DVC_REDIRECT_NONE;
    }
    out->slot = (unsigned) v;

    /* host:port, the port after the last ':' (an IPv6 host has more) */
    hs = sp + 1;
    for (n = len; n > hs && err[n - 1] == ' '; n--) {
        /* trailing blanks */
    }
    for (colon = n; colon > hs && err[colon - 1] != ':'; colon--) {
        /* the last ':' */
    }
    if (colon == hs) {
        return DVC_REDIRECT_NONE;
    }
    colon--;
    if (parse_uint(err + colon + 1, n - colon - 1, 65535, &v) || v == 0) {
        return DVC_REDIRECT_NONE;
    }
    out->port = (int) v;

    he = colon;
    if (he - hs >= 2 && err[hs] == '[' && err[he - 1] == ']') {
        hs++;
        he--;
    }
    if (he - hs >= sizeof(out->host)) {
        return DVC_REDIRECT_NONE;
    }
    for (i = hs; i < he; i++) {
        if (err[i] == ' ') {
            return DVC_REDIRECT_NONE;
        }
    }
    memcpy(out->host, err + hs, he - hs);
    out->host[he - hs] = '\0';
    out->kind = kind;
    return kind;
}


static int
is(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}


int
dvc_cluster_cmd_keys(int argc, const char *const *argv,
    const size_t *argvlen, int *pos, int max)
{
    static const char *const  keyless[] = {
        "MULTI", "EXEC", "DISCARD", "WAIT", "PING", "ASKING", "ROLE",
        "AUTH", "SELECT", "CLUSTER", "READONLY", "READWRITE", NULL
    };
    unsigned long             nk;
    int                       i, n;

    if (argc < 1) {
        return 0;
    }
    for (i = 0; keyless[i]; i++) {
        if (is(argv[0], argvlen[0], keyless[i])) {
            return 0;
        }
    }
    if (is(argv[0], argvlen[0], "EVAL") || is(argv[0], argvlen[0], "EVALSHA")
        || is(argv[0], argvlen[0], "EVAL_RO")
        || is(argv[0], argvlen[0], "EVALSHA_RO"))
    {
        if (argc < 3 || parse_uint(argv[2], argvlen[2], 1000000, &nk)
            || nk > (unsigned long) (argc - 3))
        {
            return 0;
        }
        for (n = 0; n < (int) nk && n < max; n++) {
            pos[n] = 3 + n;
        }
        return n;
    }
    if (argc < 2 || max < 1) {
        return 0;
    }
    pos[0] = 1;
    return 1;
}


int
dvc_cluster_cmd_key(int argc, const char *const *argv,
    const size_t *argvlen, const char **key, size_t *klen)
{
    int  pos;

    if (dvc_cluster_cmd_keys(argc, argv, argvlen, &pos, 1) < 1) {
        return 0;
    }
    *key = argv[pos];
    *klen = argvlen[pos];
    return 1;
}


int
dvc_cluster_key_part(const char *key, size_t len)
{
    size_t    k, e;
    unsigned  p;

    if (len > 6 && memcmp(key, "dvc:d:", 6) == 0 && key[6] != '{'
        && len >= 6 + DVC_AGENCY_LEN)
    {
        return (int) dvc_cluster_part(key + 6, DVC_AGENCY_LEN);
    }
    if (len > 8 && memcmp(key, "dvc:seq:", 8) == 0 && key[8] != '{'
        && len >= 8 + DVC_AGENCY_LEN)
    {
        return (int) dvc_cluster_part(key + 8, DVC_AGENCY_LEN);
    }
    if (len < 4 || memcmp(key, "dvc:", 4) != 0) {
        return -1;
    }
    for (k = 4; k < len && key[k] != ':'; k++) {
        /* the kind's end */
    }
    if (k + 1 < len && key[k + 1] == '{') {
        for (e = k + 2; e < len && key[e] != '}'; e++) {
            /* the tag's end */
        }
        for (p = 0; e < len && p < DVC_CLUSTER_PARTS; p++) {
            if (strlen(tags[p]) == e - k - 2
                && memcmp(key + k + 2, tags[p], e - k - 2) == 0)
            {
                return (int) p;
            }
        }
    }
    return -1;
}


int
dvc_cluster_key_placed(const char *key, size_t len)
{
    if (len < 5 || memcmp(key, "dvc:", 4) != 0
        || memchr(key, '{', len) != NULL
        || (len >= 7 && memcmp(key, "dvc:up:", 7) == 0))
    {
        return 0;
    }
    return 1;
}


unsigned
dvc_cluster_part(const char *agency, size_t len)
{
    if (len > DVC_AGENCY_LEN) {
        len = DVC_AGENCY_LEN;
    }
    return dvc_cluster_crc16(agency, len) % DVC_CLUSTER_PARTS;
}


const char *
dvc_cluster_tag(unsigned part)
{
    return part < DVC_CLUSTER_PARTS ? tags[part] : NULL;
}


int
dvc_cluster_key(const char *key, size_t len, unsigned part, char *out,
    size_t cap)
{
    size_t       k, tl;
    const char  *tag;

    tag = dvc_cluster_tag(part);
    if (len < 5 || memcmp(key, "dvc:", 4) != 0 || tag == NULL) {
        return -1;
    }
    tl = strlen(tag) + 3;                           /* ":{" tag "}" */
    if (len + tl + 1 > cap) {
        return -1;
    }
    for (k = 4; k < len && key[k] != ':'; k++) {
        /* the kind's end */
    }
    if (k == 4) {
        return -1;
    }
    memcpy(out, key, k);
    out[k] = ':';
    out[k + 1] = '{';
    memcpy(out + k + 2, tag, tl - 3);
    out[k + tl - 1] = '}';
    memcpy(out + k + tl, key + k, len - k);
    out[len + tl] = '\0';
    return (int) (len + tl);
}
