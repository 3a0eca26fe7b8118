/* Vietnam civil time by fixed offset; see dvc_time.h. */
#include <string.h>

#include "dvc_time.h"

/* floor division, so instants before 1970 still land on the right day */
static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

/* H. Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t
dvc_days_from_civil(int y, int m, int d)
{
    int64_t yy, era, yoe, doy, doe;

    yy = (int64_t) y - (m <= 2);
    era = floor_div(yy, 400);
    yoe = yy - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
dvc_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z, era, doe, yoe, doy, mp, yy;

    z = days + 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yy + (*m <= 2));
}

int
dvc_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday */
    return (int) (days - floor_div(days + 4, 7) * 7 + 4);
}

int
dvc_date_valid(int y, int m, int d)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int max;

    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) {
        return 0;
    }
    max = mdays[m - 1];
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
        max = 29;
    }
    return d <= max;
}

void
dvc_time_vn_date(int64_t unix_time, int *y, int *m, int *d)
{
    dvc_civil_from_days(floor_div(unix_time + DVC_VN_UTC_OFFSET, 86400), y, m, d);
}

static char *
put_digits(char *p, int v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (char) ('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

void
dvc_time_format_vn(int64_t unix_time, char out[DVC_TIME_VN_LEN + 1])
{
    int64_t local, secs;
    int     y, m, d;
    char   *p = out;

    local = unix_time + DVC_VN_UTC_OFFSET;
    secs = local - floor_div(local, 86400) * 86400;
    dvc_civil_from_days(floor_div(local, 86400), &y, &m, &d);
    if (y < 0 || y > 9999) {
        /* no caller means such an instant; keep the fixed width */
        y = y < 0 ? 0 : 9999;
    }
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, (int) (secs / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (int) (secs / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (int) (secs % 60), 2);
    memcpy(p, "+07:00", 7);
}

/* n decimal digits at s as a number, or -1 */
static int
digits(const char *s, size_t n)
{
    int    v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int
dvc_time_parse_hhmm(const char *s, size_t len)
{
    int h, mi;

    if (len != 5 || s[2] != ':') {
        return -1;
    }
    h = digits(s, 2);
    mi = digits(s + 3, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59) {
        return -1;
    }
    return h * 60 + mi;
}

int
dvc_time_parse_vn(const char *s, size_t len, int64_t *unix_time)
{
    int     y, mo, d, h, mi, sec, oh, om, sign;
    size_t  i;
    int64_t t;

    /* YYYY-MM-DDTHH:MM:SS is 19 bytes, then the fraction and offset */
    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't')
        || s[13] != ':' || s[16] != ':')
    {
        return -1;
    }
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    sec = digits(s + 17, 2);
    if (!dvc_date_valid(y, mo, d) || h < 0 || h > 23 || mi < 0 || mi > 59
        || sec < 0 || sec > 59)
    {
        /* a leap second (:60) cannot be an acceptance time we record */
        return -1;
    }
    i = 19;
    if (s[i] == '.') {
        i++;
        if (i >= len || s[i] < '0' || s[i] > '9') {
            return -1;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }
    if (i == len) {
        return -1;                      /* a local time without offset is ambiguous */
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        oh = om = 0;
        sign = 1;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == len && s[i + 3] == ':') {
        sign = s[i] == '-' ? -1 : 1;
        oh = digits(s + i + 1, 2);
        om = digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return -1;
        }
    } else {
        return -1;
    }
    t = dvc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *unix_time = t - sign * (oh * 3600 + om * 60);
    return 0;
}
