/* Retention decisions: see dvc_retention.h. */
#include "dvc_retention.h"
#include "dvc_code.h"
#include "dvc_time.h"


int
dvc_retention_parse(const char *s, size_t len, int64_t *seconds)
{
    size_t   i;
    int64_t  n, unit;

    if (len == 0) {
        return -1;
    }

    n = 0;
    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (n > 100000000) {
            return -1;
        }
        n = n * 10 + (s[i] - '0');
    }

    if (i == 0 || len - i > 1) {
        return -1;
    }

    unit = 1;
    if (i < len) {
        switch (s[i]) {
        case 'y': unit = 365 * 86400; break;
        case 'M': unit = 30 * 86400; break;
        case 'w': unit = 7 * 86400; break;
        case 'd': unit = 86400; break;
        case 'h': unit = 3600; break;
        case 'm': unit = 60; break;
        case 's': unit = 1; break;
        default: return -1;
        }
    }

    if (n == 0 || n > INT64_MAX / unit / 4) {
        return -1;
    }

    *seconds = n * unit;
    return 0;
}


int
dvc_retention_final(int status)
{
    return status == 3 || status == 8 || status == 10;
}


int
dvc_retention_due(int status, int64_t changed, int64_t now, int64_t retention)
{
    return dvc_retention_final(status) && retention > 0
           && changed > 0 && now - changed >= retention;
}


int
dvc_retention_code_old(const char *code, size_t len, int64_t now,
    int64_t retention)
{
    int          y, m, d;
    int64_t      day;
    const char  *p;

    if (retention <= 0 || !dvc_code_valid(code, len)) {
        return 0;
    }

    /* AGENCY-YYMMDD-NNNN: the date is the 6 digits before the last dash */
    p = code + len - 11;
    y = 2000 + (p[0] - '0') * 10 + (p[1] - '0');
    m = (p[2] - '0') * 10 + (p[3] - '0');
    d = (p[4] - '0') * 10 + (p[5] - '0');

    day = dvc_days_from_civil(y, m, d) * 86400 - DVC_VN_UTC_OFFSET;

    return now - day >= retention;
}
