/*
 * Vietnamese identifiers used by our procedures.  Rules and sources are in
 * docs/formats.md; the tables below are copied from the documents named
 * there and must change with them.
 */
#include <string.h>

#include "dvc_code.h"
#include "dvc_format.h"

static int
all_digits(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int
num(const char *s, size_t n)
{
    int     v = 0;
    size_t  i;

    for (i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/*
 * Province or city of birth registration, Circular 07/2016/TT-BCA Appendix I
 * kept by Circular 59/2021/TT-BCA: the 63 units' codes of Decision
 * 124/2004/QD-TTg.  Numbers issued before the 2025 merger of provinces keep
 * their codes; codes published for births registered after it go here too.
 */
static const unsigned short vn_province_codes[] = {
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
    34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62,
    64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92,
    93, 94, 95, 96,
};

int
dvc_fmt_vn_citizen_id(const char *s, size_t len, int this_year)
{
    int     province, gender_century, year;
    size_t  i;

    if (len != 12 || !all_digits(s, len)) {
        return 0;
    }
    province = num(s, 3);
    for (i = 0; i < sizeof(vn_province_codes) / sizeof(vn_province_codes[0]); i++) {
        if (vn_province_codes[i] == province) {
            break;
        }
    }
    if (i == sizeof(vn_province_codes) / sizeof(vn_province_codes[0])) {
        return 0;
    }
    /* 0/1: 20th century male/female, 2/3: 21st, 4/5: 22nd, 6/7: 23rd,
     * 8/9: 24th; with the two digits of the year, the year of birth */
    gender_century = s[3] - '0';
    year = 1900 + 100 * (gender_century / 2) + num(s + 4, 2);
    return year <= this_year;
}

/*
 * Mobile network codes in use after the 2018 conversion of 11-digit numbers
 * (Ministry of Information and Communications, numbering plan of Circular
 * 22/2014/TT-BTTTT): the second and third digits of the 10-digit national
 * number.  Index: first digit 3, 5, 7, 8, 9; bit n set when digit n follows.
 */
static int
vn_mobile_code(int a, int b)
{
    static const struct { int first; unsigned bits; } codes[] = {
        { 3, 0x3FC },   /* 032-039 Viettel */
        { 5, 0x364 },   /* 052, 056, 058 Vietnamobile; 055 Wintel; 059 Gmobile */
        { 7, 0x3C1 },   /* 070, 076-079 MobiFone */
        { 8, 0x3FE },   /* 081-085, 088 VinaPhone; 086 Viettel; 087 Itel; 089 MobiFone */
        { 9, 0x3DF },   /* 090-094, 096-099 (095 is not assigned) */
    };
    size_t  i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (codes[i].first == a) {
            return (codes[i].bits >> b) & 1;
        }
    }
    return 0;
}

/*
 * Fixed-line area codes after the 2017 conversion (Decision 2036/QD-BTTTT):
 * 24 (Ha Noi) and 28 (Ho Chi Minh City) with 8-digit subscriber numbers,
 * and three-digit codes 2xx with 7 digits.
 */
static const unsigned short vn_area_codes[] = {
    203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 218,
    219, 220, 221, 222, 225, 226, 227, 228, 229, 232, 233, 234, 235, 236, 237,
    238, 239, 251, 252, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 269,
    270, 271, 272, 273, 274, 275, 276, 277, 290, 291, 292, 293, 294, 296, 297,
    299,
};

int
dvc_fmt_vn_phone(const char *s, size_t len)
{
    const char  *n;
    size_t       nlen, i;
    int          area;

    /* national significant number after the trunk 0 or +84 */
    if (len > 0 && s[0] == '0') {
        n = s + 1;
        nlen = len - 1;
    } else if (len > 3 && s[0] == '+' && s[1] == '8' && s[2] == '4') {
        n = s + 3;
        nlen = len - 3;
    } else {
        return 0;
    }
    if (!all_digits(n, nlen)) {
        return 0;
    }
    if (nlen == 9) {
        return vn_mobile_code(n[0] - '0', n[1] - '0');
    }
    if (nlen != 10 || n[0] != '2') {
        return 0;
    }
    if (n[1] == '4' || n[1] == '8') {
        return 1;
    }
    area = num(n, 3);
    for (i = 0; i < sizeof(vn_area_codes) / sizeof(vn_area_codes[0]); i++) {
        if (vn_area_codes[i] == area) {
            return 1;
        }
    }
    return 0;
}

/*
 * Enterprise tax code (ma so thue), Circular 105/2020/TT-BTC art. 5:
 * N1..N10 or N1..N10-N11N12N13 for dependent units.  N10 is the check digit
 * of the General Department of Taxation: 10 - (sum of N1..N9 weighted
 * 31, 29, 23, 19, 17, 13, 7, 5, 3) mod 11; when that is 10 no code is issued.
 */
int
dvc_fmt_vn_tax_code(const char *s, size_t len)
{
    static const int  w[9] = { 31, 29, 23, 19, 17, 13, 7, 5, 3 };
    int               sum = 0, check, i;

    if (len != 10 && len != 14) {
        return 0;
    }
    if (!all_digits(s, 10)) {
        return 0;
    }
    if (len == 14 && (s[10] != '-' || !all_digits(s + 11, 3)
                      || memcmp(s + 11, "000", 3) == 0))
    {
        return 0;
    }
    if (memcmp(s, "00", 2) == 0 || memcmp(s + 2, "0000000", 7) == 0) {
        return 0;
    }
    for (i = 0; i < 9; i++) {
        sum += (s[i] - '0') * w[i];
    }
    check = 10 - sum % 11;
    return check < 10 && s[9] - '0' == check;
}

int
dvc_fmt_vn_agency_code(const char *s, size_t len)
{
    return dvc_agency_valid(s, len);
}
