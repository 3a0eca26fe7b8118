#include <stdio.h>
#include <string.h>

#include "dvc_code.h"

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_upper_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z');
}

int
dvc_agency_valid(const char *s, size_t len)
{
    /* groups of 3, 2, 2 and 3 characters; the last opens with a letter
     * naming the level (H: province, G: ministry, ...) */
    static const char shape[] = "xxx.xx.xx.Lxx";
    size_t            i;

    if (len != DVC_AGENCY_LEN) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        switch (shape[i]) {
        case '.':
            if (s[i] != '.') {
                return 0;
            }
            break;
        case 'L':
            if (!(s[i] >= 'A' && s[i] <= 'Z')) {
                return 0;
            }
            break;
        default:
            if (!is_upper_alnum(s[i])) {
                return 0;
            }
        }
    }
    return 1;
}

static int
date_valid(int yy, int mm, int dd)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int              y = 2000 + yy, max;

    if (yy < 0 || yy > 99 || mm < 1 || mm > 12 || dd < 1) {
        return 0;
    }
    max = days[mm - 1];
    if (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        max = 29;
    }
    return dd <= max;
}

int
dvc_code_valid(const char *s, size_t len)
{
    const char *d;
    size_t      i;
    int         seq;

    if (len != DVC_CODE_LEN || !dvc_agency_valid(s, DVC_AGENCY_LEN)
        || s[13] != '-' || s[20] != '-')
    {
        return 0;
    }
    d = s + 14;
    for (i = 0; i < 6; i++) {
        if (!is_digit(d[i])) {
            return 0;
        }
    }
    for (i = 21; i < 25; i++) {
        if (!is_digit(s[i])) {
            return 0;
        }
    }
    if (!date_valid((d[0] - '0') * 10 + d[1] - '0', (d[2] - '0') * 10 + d[3] - '0',
                    (d[4] - '0') * 10 + d[5] - '0'))
    {
        return 0;
    }
    seq = (s[21] - '0') * 1000 + (s[22] - '0') * 100 + (s[23] - '0') * 10 + s[24] - '0';
    return seq >= 1;
}

int
dvc_code_format(char *out, const char *agency, size_t agency_len,
                int yy, int mm, int dd, long seq)
{
    if (!dvc_agency_valid(agency, agency_len) || !date_valid(yy, mm, dd)
        || seq < 1 || seq > DVC_SEQ_MAX)
    {
        return -1;
    }
    memcpy(out, agency, DVC_AGENCY_LEN);
    snprintf(out + DVC_AGENCY_LEN, DVC_CODE_LEN - DVC_AGENCY_LEN + 1,
             "-%02d%02d%02d-%04ld", yy, mm, dd, seq);
    return 0;
}
