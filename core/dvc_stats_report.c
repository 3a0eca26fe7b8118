/*
 * The statistics report: the query's parameters, sums of the daily counters
 * before and inside the period, the figures and rates of issue 5's contract,
 * and their JSON and CSV renderings.  See dvc_stats.h.
 */
#include <string.h>

#include "dvc_err.h"
#include "dvc_stats.h"
#include "dvc_time.h"

typedef struct {
    const char  *name;
    const char  *definition_vi;
} figure_doc_t;

static const figure_doc_t figures[DVC_FIG_COUNT] = {
    { "received_new",
      "Hồ sơ mới tiếp nhận trong kỳ (trực tuyến, qua bưu chính, trực tiếp)" },
    { "received_online", "Hồ sơ mới tiếp nhận trực tuyến trong kỳ" },
    { "received_postal",
      "Hồ sơ mới tiếp nhận qua dịch vụ bưu chính công ích trong kỳ" },
    { "received_counter",
      "Hồ sơ mới tiếp nhận trực tiếp tại Bộ phận Một cửa trong kỳ" },
    { "carried_over",
      "Hồ sơ kỳ trước chuyển sang: đã tiếp nhận, chưa kết thúc trước ngày "
      "đầu kỳ" },
    { "handled",
      "Tổng số hồ sơ phải giải quyết: mới tiếp nhận + kỳ trước chuyển sang" },
    { "resolved", "Hồ sơ đã giải quyết xong trong kỳ" },
    { "resolved_early",
      "Giải quyết trước hạn: xong vào một ngày trước ngày hẹn trả" },
    { "resolved_on_time",
      "Giải quyết đúng hạn: xong trong ngày hẹn trả, không quá giờ hẹn" },
    { "resolved_late", "Giải quyết quá hạn: xong sau thời điểm hẹn trả" },
    { "in_progress",
      "Hồ sơ đang giải quyết tại thời điểm cuối kỳ (đã tiếp nhận, chưa kết "
      "thúc)" },
    { "in_progress_on_time",
      "Đang giải quyết, trong hạn tại thời điểm cuối kỳ (kể cả hồ sơ đang "
      "chờ bổ sung)" },
    { "overdue", "Đang giải quyết, đã quá hạn tại thời điểm cuối kỳ" },
    { "overdue_with_apology",
      "Quá hạn, đã có văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)" },
    { "overdue_without_apology", "Quá hạn, chưa có văn bản xin lỗi" },
    { "withdrawn", "Hồ sơ công dân rút, được chấp thuận trong kỳ" },
    { "refused", "Hồ sơ không được tiếp nhận trong kỳ" },
    { "stopped", "Hồ sơ dừng xử lý trong kỳ (không kể hồ sơ rút)" },
    { "awaiting_acceptance",
      "Hồ sơ trực tuyến chờ tiếp nhận tại thời điểm cuối kỳ" },
    { "awaiting_on_time",
      "Chờ tiếp nhận, chưa quá hạn tiếp nhận (1 ngày làm việc)" },
    { "awaiting_late",
      "Chờ tiếp nhận, đã quá hạn tiếp nhận (1 ngày làm việc)" },
    { "ratings", "Lượt đánh giá mức độ hài lòng trong kỳ" },
    { "rating_very_satisfied", "Đánh giá rất hài lòng" },
    { "rating_satisfied", "Đánh giá hài lòng" },
    { "rating_dissatisfied", "Đánh giá không hài lòng" },
    { "lien_thong",
      "Hồ sơ liên thông: chuyển lần đầu sang cơ quan khác trong kỳ" },
    { "transfers_received",
      "Lượt hồ sơ liên thông cơ quan nhận xử lý trong kỳ" },
    { "transfers_returned_on_time",
      "Lượt liên thông cơ quan trả lại trong thời hạn được giao" },
    { "transfers_returned_late",
      "Lượt liên thông cơ quan trả lại quá thời hạn được giao (cơ quan gây "
      "chậm)" },
    { "transfers_open",
      "Lượt liên thông cơ quan đang xử lý tại thời điểm cuối kỳ" },
    { "level_3_received_new",
      "Hồ sơ mới tiếp nhận trong kỳ của dịch vụ công trực tuyến một phần "
      "(mức độ 3), mọi hình thức nộp" },
    { "level_3_received_online",
      "Trong đó tiếp nhận trực tuyến (dịch vụ công trực tuyến một phần, "
      "mức độ 3)" },
    { "level_4_received_new",
      "Hồ sơ mới tiếp nhận trong kỳ của dịch vụ công trực tuyến toàn trình "
      "(mức độ 4), mọi hình thức nộp" },
    { "level_4_received_online",
      "Trong đó tiếp nhận trực tuyến (dịch vụ công trực tuyến toàn trình, "
      "mức độ 4)" },
    { "paid_online",
      "Hồ sơ đã thanh toán trực tuyến phí, lệ phí trong kỳ (mỗi hồ sơ tính "
      "một lần)" },
    { "fees_collected_online",
      "Số tiền phí, lệ phí đã thu qua thanh toán trực tuyến trong kỳ (đồng)" }
};

static const figure_doc_t rates[DVC_RATE_COUNT] = {
    { "on_time_rate_handled",
      "Tỷ lệ đúng hạn trên tổng số hồ sơ phải giải quyết: (trước hạn + đúng "
      "hạn + đang giải quyết trong hạn) / (mới tiếp nhận + kỳ trước chuyển "
      "sang)" },
    { "on_time_rate_resolved",
      "Tỷ lệ đúng hạn trên số hồ sơ đã giải quyết: (trước hạn + đúng hạn) / "
      "đã giải quyết" },
    { "satisfaction_rate",
      "Tỷ lệ hài lòng: (rất hài lòng + hài lòng) / lượt đánh giá" },
    { "online_rate_level_3",
      "Tỷ lệ hồ sơ trực tuyến mức độ 3 (một phần): tiếp nhận trực tuyến / "
      "mới tiếp nhận" },
    { "online_rate_level_4",
      "Tỷ lệ hồ sơ trực tuyến mức độ 4 (toàn trình): tiếp nhận trực tuyến / "
      "mới tiếp nhận" },
    { "online_rate_level_3_4",
      "Tỷ lệ hồ sơ trực tuyến mức độ 3, 4: (trực tuyến mức 3 + mức 4) / "
      "(mới tiếp nhận mức 3 + mức 4)" }
};


const char *
dvc_stat_figure_name(dvc_stat_figure_t f)
{
    return (int) f >= 0 && f < DVC_FIG_COUNT ? figures[f].name : NULL;
}


const char *
dvc_stat_figure_definition_vi(dvc_stat_figure_t f)
{
    return (int) f >= 0 && f < DVC_FIG_COUNT ? figures[f].definition_vi : NULL;
}


const char *
dvc_stat_rate_name(dvc_stat_rate_t r)
{
    return (int) r >= 0 && r < DVC_RATE_COUNT ? rates[r].name : NULL;
}


const char *
dvc_stat_rate_definition_vi(dvc_stat_rate_t r)
{
    return (int) r >= 0 && r < DVC_RATE_COUNT ? rates[r].definition_vi : NULL;
}


/* ------------------------------------------------------------------- query */

/* "YYYY-MM-DD", a real date of the years DVC_STAT_YEAR_MIN..MAX: its day
 * count. */
static int
parse_date(const char *s, size_t len, int64_t *days, int32_t *ymd)
{
    int     y, m, d;
    size_t  i;

    if (len != 10 || s[4] != '-' || s[7] != '-') {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) {
            return -1;
        }
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
        + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < DVC_STAT_YEAR_MIN || y > DVC_STAT_YEAR_MAX
        || !dvc_date_valid(y, m, d))
    {
        return -1;
    }
    *days = dvc_days_from_civil(y, m, d);
    *ymd = (int32_t) (y * 10000 + m * 100 + d);
    return 0;
}


int
dvc_stat_query_parse(dvc_stat_query_t *q, const char *from, size_t flen,
    const char *to, size_t tlen, const char *agency, size_t alen,
    const char *procedure, size_t plen, const char *level, size_t llen,
    const char *sector, size_t slen, const char **bad, char *err,
    size_t errlen)
{
    int64_t  fdays, tdays;

    memset(q, 0, sizeof(*q));

    if (from == NULL) {
        *bad = "from";
        dvc_errf(err, errlen, "from is required (YYYY-MM-DD)");
        return -1;
    }
    if (parse_date(from, flen, &fdays, &q->from) != 0) {
        *bad = "from";
        dvc_errf(err, errlen, "from must be a date YYYY-MM-DD of the years "
                 "%d-%d", DVC_STAT_YEAR_MIN, DVC_STAT_YEAR_MAX);
        return -1;
    }
    if (to == NULL) {
        *bad = "to";
        dvc_errf(err, errlen, "to is required (YYYY-MM-DD)");
        return -1;
    }
    if (parse_date(to, tlen, &tdays, &q->to) != 0) {
        *bad = "to";
        dvc_errf(err, errlen, "to must be a date YYYY-MM-DD of the years "
                 "%d-%d", DVC_STAT_YEAR_MIN, DVC_STAT_YEAR_MAX);
        return -1;
    }
    if (tdays < fdays) {
        *bad = "to";
        dvc_errf(err, errlen, "to must not be before from");
        return -1;
    }
    if (tdays - fdays + 1 > DVC_STAT_MAX_DAYS) {
        *bad = "to";
        dvc_errf(err, errlen, "the period is longer than %d days",
                 DVC_STAT_MAX_DAYS);
        return -1;
    }
    if (agency != NULL) {
        if (!dvc_stat_name_ok(agency, alen)) {
            *bad = "agency";
            dvc_errf(err, errlen, "agency must be an agency code "
                     "(letters, digits, '.', '_', '-')");
            return -1;
        }
        q->agency = agency;
        q->agency_len = alen;
    }
    if (procedure != NULL) {
        if (!dvc_stat_name_ok(procedure, plen)) {
            *bad = "procedure";
            dvc_errf(err, errlen, "procedure must be a procedure code "
                     "(letters, digits, '.', '_', '-')");
            return -1;
        }
        q->procedure = procedure;
        q->procedure_len = plen;
    }
    if (level != NULL) {
        if (llen != 1 || (level[0] != '3' && level[0] != '4')) {
            *bad = "level";
            dvc_errf(err, errlen, "level must be 3 (mot phan, partly online) "
                     "or 4 (toan trinh, full online)");
            return -1;
        }
        if (procedure != NULL) {
            *bad = "level";
            dvc_errf(err, errlen, "level does not go with procedure: a "
                     "procedure has one level; give one or the other");
            return -1;
        }
        q->level = level[0] - '0';
    }
    if (sector != NULL) {
        if (!dvc_stat_name_ok(sector, slen)) {
            *bad = "sector";
            dvc_errf(err, errlen, "sector must be a sector code as in the "
                     "procedures' x-dvc (letters, digits, '.', '_', '-')");
            return -1;
        }
        if (procedure != NULL) {
            *bad = "sector";
            dvc_errf(err, errlen, "sector does not go with procedure: a "
                     "procedure has one sector; give one or the other");
            return -1;
        }
        q->sector = sector;
        q->sector_len = slen;
    }
    return 0;
}


int
dvc_stat_query_cell(const dvc_stat_query_t *q, char *out, size_t cap)
{
    int              which, n;
    dvc_stat_dims_t  d;

    d.agency = q->agency;
    d.agency_len = q->agency_len;
    d.procedure = q->procedure;
    d.procedure_len = q->procedure_len;
    d.level = q->level;
    d.sector = q->sector;
    d.sector_len = q->sector_len;

    if (q->procedure && (q->level || q->sector)) {
        return -1;
    }
    /* the cells' order in dvc_stat_cell_of: all, a, p, ap, l, al, s, as,
     * ls, als */
    if (q->procedure) {
        which = q->agency ? 3 : 2;
    } else if (q->level && q->sector) {
        which = q->agency ? 9 : 8;
    } else if (q->sector) {
        which = q->agency ? 7 : 6;
    } else if (q->level) {
        which = q->agency ? 5 : 4;
    } else {
        which = q->agency ? 1 : 0;
    }
    n = dvc_stat_cell_of(which, &d, out, cap);
    return n == 0 ? -1 : n;
}


/* -------------------------------------------------------------------- sums */

void
dvc_stat_sums_init(dvc_stat_sums_t *s, int32_t from, int32_t to)
{
    memset(s, 0, sizeof(*s));
    s->from = from;
    s->to = to;
}


int
dvc_stat_sums_add(dvc_stat_sums_t *s, dvc_stat_counter_t c,
    const char *day, size_t dlen, const char *val, size_t vlen)
{
    size_t   i;
    int32_t  dd = 0;
    int64_t  v = 0;
    int      neg = 0;

    if ((int) c < 0 || c >= DVC_STAT_NCOUNTERS || (dlen != 8 && dlen != 4)) {
        return -1;
    }
    for (i = 0; i < dlen; i++) {
        if (day[i] < '0' || day[i] > '9') {
            return -1;
        }
        dd = dd * 10 + (day[i] - '0');
    }

    i = 0;
    if (vlen > 0 && val[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (vlen == i || vlen - i > 18) {
        return -1;
    }
    for ( /* void */ ; i < vlen; i++) {
        if (val[i] < '0' || val[i] > '9') {
            return -1;
        }
        v = v * 10 + (val[i] - '0');
    }
    if (neg) {
        v = -v;
    }

    if (dlen == 4) {
        /* a rolled-up year: all its days at once */
        if (dd > s->to / 10000) {
            return 0;
        }
        if (dd < s->from / 10000) {
            s->before[c] += v;
            return 0;
        }
        if (dd * 10000 + 101 >= s->from && dd * 10000 + 1231 <= s->to) {
            s->during[c] += v;              /* the period holds the whole year */
            return 0;
        }
        if (dd > s->rolled_up) {
            s->rolled_up = dd;
        }
        return 0;
    }

    if (dd > s->to) {
        return 0;
    }
    if (dd < s->from) {
        s->before[c] += v;
    } else {
        s->during[c] += v;
    }
    return 0;
}


/* ------------------------------------------------------------------ report */

void
dvc_stat_report(const dvc_stat_sums_t *s, dvc_stat_report_t *r)
{
    int64_t        rcv_before, rcv_to, t[DVC_STAT_NCOUNTERS];
    int64_t       *f;
    const int64_t *d;
    int            i;

    memset(r, 0, sizeof(*r));
    f = r->fig;
    d = s->during;

    /* as of T (the day after `to`): everything before T */
    for (i = 0; i < DVC_STAT_NCOUNTERS; i++) {
        t[i] = s->before[i] + d[i];
    }

    f[DVC_FIG_RECEIVED_ONLINE] = d[DVC_STAT_RECEIVED_ONLINE];
    f[DVC_FIG_RECEIVED_POSTAL] = d[DVC_STAT_RECEIVED_POSTAL];
    f[DVC_FIG_RECEIVED_COUNTER] = d[DVC_STAT_RECEIVED_COUNTER];
    f[DVC_FIG_RECEIVED_NEW] = f[DVC_FIG_RECEIVED_ONLINE]
                              + f[DVC_FIG_RECEIVED_POSTAL]
                              + f[DVC_FIG_RECEIVED_COUNTER];

    rcv_before = s->before[DVC_STAT_RECEIVED_ONLINE]
                 + s->before[DVC_STAT_RECEIVED_POSTAL]
                 + s->before[DVC_STAT_RECEIVED_COUNTER];
    rcv_to = t[DVC_STAT_RECEIVED_ONLINE] + t[DVC_STAT_RECEIVED_POSTAL]
             + t[DVC_STAT_RECEIVED_COUNTER];

    f[DVC_FIG_CARRIED_OVER] = rcv_before - s->before[DVC_STAT_CLOSED];
    f[DVC_FIG_HANDLED] = f[DVC_FIG_RECEIVED_NEW] + f[DVC_FIG_CARRIED_OVER];

    f[DVC_FIG_RESOLVED_EARLY] = d[DVC_STAT_RESOLVED_EARLY];
    f[DVC_FIG_RESOLVED_ON_TIME] = d[DVC_STAT_RESOLVED_ONTIME];
    f[DVC_FIG_RESOLVED_LATE] = d[DVC_STAT_RESOLVED_LATE];
    f[DVC_FIG_RESOLVED] = f[DVC_FIG_RESOLVED_EARLY]
                          + f[DVC_FIG_RESOLVED_ON_TIME]
                          + f[DVC_FIG_RESOLVED_LATE];

    f[DVC_FIG_IN_PROGRESS] = rcv_to - t[DVC_STAT_CLOSED];
    f[DVC_FIG_OVERDUE_WITH_APOLOGY] = t[DVC_STAT_DUE_A]
                                      - t[DVC_STAT_CLOSED_LATE_A]
                                      - t[DVC_STAT_CLOSED_ONTIME_A];
    f[DVC_FIG_OVERDUE_WITHOUT_APOLOGY] = t[DVC_STAT_DUE_N]
                                         - t[DVC_STAT_CLOSED_LATE_N]
                                         - t[DVC_STAT_CLOSED_ONTIME_N];
    f[DVC_FIG_OVERDUE] = f[DVC_FIG_OVERDUE_WITH_APOLOGY]
                         + f[DVC_FIG_OVERDUE_WITHOUT_APOLOGY];
    f[DVC_FIG_IN_PROGRESS_ON_TIME] = f[DVC_FIG_IN_PROGRESS] - f[DVC_FIG_OVERDUE];

    f[DVC_FIG_WITHDRAWN] = d[DVC_STAT_WITHDRAWN];
    f[DVC_FIG_REFUSED] = d[DVC_STAT_REFUSED];
    f[DVC_FIG_STOPPED] = d[DVC_STAT_STOPPED];

    f[DVC_FIG_AWAITING_ACCEPTANCE] = t[DVC_STAT_SUBMITTED_ONLINE]
                                     - t[DVC_STAT_LEFT_DESK];
    f[DVC_FIG_AWAITING_LATE] = t[DVC_STAT_ACCEPT_DUE]
                               - t[DVC_STAT_LEFT_DESK_LATE]
                               - t[DVC_STAT_LEFT_DESK_ONTIME];
    f[DVC_FIG_AWAITING_ON_TIME] = f[DVC_FIG_AWAITING_ACCEPTANCE]
                                  - f[DVC_FIG_AWAITING_LATE];

    f[DVC_FIG_RATING_VERY_SATISFIED] = d[DVC_STAT_RATING_VERY_SATISFIED];
    f[DVC_FIG_RATING_SATISFIED] = d[DVC_STAT_RATING_SATISFIED];
    f[DVC_FIG_RATING_DISSATISFIED] = d[DVC_STAT_RATING_DISSATISFIED];
    f[DVC_FIG_RATINGS] = f[DVC_FIG_RATING_VERY_SATISFIED]
                         + f[DVC_FIG_RATING_SATISFIED]
                         + f[DVC_FIG_RATING_DISSATISFIED];

    /* liên thông: the dossier's agency counts its dossiers sent; the
     * receiving agency its parts, and which came back late */
    f[DVC_FIG_LIEN_THONG] = d[DVC_STAT_TRANSFERRED];
    f[DVC_FIG_TRANSFERS_RECEIVED] = d[DVC_STAT_TRANSFER_IN];
    f[DVC_FIG_TRANSFERS_RETURNED_ON_TIME] = d[DVC_STAT_TRANSFER_IN_ONTIME];
    f[DVC_FIG_TRANSFERS_RETURNED_LATE] = d[DVC_STAT_TRANSFER_IN_LATE];
    f[DVC_FIG_TRANSFERS_OPEN] = t[DVC_STAT_TRANSFER_IN]
                                - t[DVC_STAT_TRANSFER_IN_ONTIME]
                                - t[DVC_STAT_TRANSFER_IN_LATE];

    r->num[DVC_RATE_ON_TIME_HANDLED] = f[DVC_FIG_RESOLVED_EARLY]
                                       + f[DVC_FIG_RESOLVED_ON_TIME]
                                       + f[DVC_FIG_IN_PROGRESS_ON_TIME];
    r->den[DVC_RATE_ON_TIME_HANDLED] = f[DVC_FIG_HANDLED];
    r->num[DVC_RATE_ON_TIME_RESOLVED] = f[DVC_FIG_RESOLVED_EARLY]
                                        + f[DVC_FIG_RESOLVED_ON_TIME];
    r->den[DVC_RATE_ON_TIME_RESOLVED] = f[DVC_FIG_RESOLVED];
    r->num[DVC_RATE_SATISFACTION] = f[DVC_FIG_RATING_VERY_SATISFIED]
                                    + f[DVC_FIG_RATING_SATISFIED];
    r->den[DVC_RATE_SATISFACTION] = f[DVC_FIG_RATINGS];

    /* by the level of online service each dossier was submitted under */
    f[DVC_FIG_LEVEL_3_RECEIVED_NEW] = d[DVC_STAT_RECEIVED_L3];
    f[DVC_FIG_LEVEL_3_RECEIVED_ONLINE] = d[DVC_STAT_RECEIVED_ONLINE_L3];
    f[DVC_FIG_LEVEL_4_RECEIVED_NEW] = d[DVC_STAT_RECEIVED_L4];
    f[DVC_FIG_LEVEL_4_RECEIVED_ONLINE] = d[DVC_STAT_RECEIVED_ONLINE_L4];
    f[DVC_FIG_PAID_ONLINE] = d[DVC_STAT_PAID_ONLINE];
    f[DVC_FIG_FEES_COLLECTED_ONLINE] = d[DVC_STAT_FEES_ONLINE];

    r->num[DVC_RATE_ONLINE_LEVEL_3] = f[DVC_FIG_LEVEL_3_RECEIVED_ONLINE];
    r->den[DVC_RATE_ONLINE_LEVEL_3] = f[DVC_FIG_LEVEL_3_RECEIVED_NEW];
    r->num[DVC_RATE_ONLINE_LEVEL_4] = f[DVC_FIG_LEVEL_4_RECEIVED_ONLINE];
    r->den[DVC_RATE_ONLINE_LEVEL_4] = f[DVC_FIG_LEVEL_4_RECEIVED_NEW];
    r->num[DVC_RATE_ONLINE_LEVEL_3_4] = f[DVC_FIG_LEVEL_3_RECEIVED_ONLINE]
                                        + f[DVC_FIG_LEVEL_4_RECEIVED_ONLINE];
    r->den[DVC_RATE_ONLINE_LEVEL_3_4] = f[DVC_FIG_LEVEL_3_RECEIVED_NEW]
                                        + f[DVC_FIG_LEVEL_4_RECEIVED_NEW];
}


/* ------------------------------------------------------------------ render */

/* num/den rounded half away from zero to `scale` units (10000: 4 decimals). */
static int64_t
rounded(int64_t num, int64_t den, int64_t scale)
{
    int64_t  a;
    int      neg;

    neg = (num < 0) != (den < 0);
    a = (num < 0 ? -num : num) * scale;
    den = den < 0 ? -den : den;
    a = (2 * a + den) / (2 * den);
    return neg ? -a : a;
}


/* "0.9821" */
static void
put_rate(dvc_buf_t *b, int64_t num, int64_t den)
{
    int64_t  v = rounded(num, den, 10000);

    dvc_buf_printf(b, "%s%lld.%04lld", v < 0 ? "-" : "",
                   (long long) ((v < 0 ? -v : v) / 10000),
                   (long long) ((v < 0 ? -v : v) % 10000));
}


/* "98.2%" */
static void
put_percent(dvc_buf_t *b, int64_t num, int64_t den)
{
    int64_t  v = rounded(num, den, 1000);

    dvc_buf_printf(b, "%s%lld.%lld%%", v < 0 ? "-" : "",
                   (long long) ((v < 0 ? -v : v) / 10),
                   (long long) ((v < 0 ? -v : v) % 10));
}


static void
put_date(dvc_buf_t *b, int32_t ymd)
{
    dvc_buf_printf(b, "%04d-%02d-%02d", (int) (ymd / 10000),
                   (int) (ymd / 100 % 100), (int) (ymd % 100));
}


int
dvc_stat_report_json(const dvc_stat_query_t *q, const dvc_stat_report_t *r,
    dvc_buf_t *b)
{
    int      i, y, m, d;
    int64_t  t;

    dvc_buf_puts(b, "{\"from\":\"");
    put_date(b, q->from);
    dvc_buf_puts(b, "\",\"to\":\"");
    put_date(b, q->to);

    /* as of the period's end: 00:00 of the day after `to` */
    t = dvc_days_from_civil(q->to / 10000, q->to / 100 % 100, q->to % 100) + 1;
    dvc_civil_from_days(t, &y, &m, &d);
    dvc_buf_printf(b, "\",\"as_of\":\"%04d-%02d-%02dT00:00:00+07:00\","
                   "\"agency\":", y, m, d);
    if (q->agency) {
        dvc_buf_json_str(b, q->agency, q->agency_len);
    } else {
        dvc_buf_puts(b, "null");
    }
    dvc_buf_puts(b, ",\"procedure\":");
    if (q->procedure) {
        dvc_buf_json_str(b, q->procedure, q->procedure_len);
    } else {
        dvc_buf_puts(b, "null");
    }
    if (q->level) {
        dvc_buf_printf(b, ",\"level\":%d", q->level);
    } else {
        dvc_buf_puts(b, ",\"level\":null");
    }
    dvc_buf_puts(b, ",\"sector\":");
    if (q->sector) {
        dvc_buf_json_str(b, q->sector, q->sector_len);
    } else {
        dvc_buf_puts(b, "null");
    }

    for (i = 0; i < DVC_FIG_COUNT; i++) {
        dvc_buf_printf(b, ",\"%s\":%lld", figures[i].name,
                       (long long) r->fig[i]);
    }

    for (i = 0; i < DVC_RATE_COUNT; i++) {
        dvc_buf_printf(b, ",\"%s\":", rates[i].name);
        if (r->den[i] == 0) {
            dvc_buf_printf(b, "null,\"%s_percent\":null", rates[i].name);
            continue;
        }
        put_rate(b, r->num[i], r->den[i]);
        dvc_buf_printf(b, ",\"%s_percent\":\"", rates[i].name);
        put_percent(b, r->num[i], r->den[i]);
        dvc_buf_putc(b, '"');
    }

    dvc_buf_putc(b, '}');
    return b->failed ? -1 : 0;
}


/* A CSV field: quoted, inner quotes doubled (RFC 4180). */
static void
put_csv_field(dvc_buf_t *b, const char *s)
{
    dvc_buf_putc(b, '"');
    for ( /* void */ ; *s; s++) {
        if (*s == '"') {
            dvc_buf_putc(b, '"');
        }
        dvc_buf_putc(b, *s);
    }
    dvc_buf_putc(b, '"');
}


int
dvc_stat_report_csv(const dvc_stat_query_t *q, const dvc_stat_report_t *r,
    dvc_buf_t *b)
{
    int  i;

    (void) q;

    dvc_buf_puts(b, "figure,value,definition_vi\r\n");

    for (i = 0; i < DVC_FIG_COUNT; i++) {
        dvc_buf_printf(b, "%s,%lld,", figures[i].name, (long long) r->fig[i]);
        put_csv_field(b, figures[i].definition_vi);
        dvc_buf_puts(b, "\r\n");
    }

    for (i = 0; i < DVC_RATE_COUNT; i++) {
        dvc_buf_printf(b, "%s,", rates[i].name);
        if (r->den[i] != 0) {
            put_rate(b, r->num[i], r->den[i]);
        }
        dvc_buf_putc(b, ',');
        put_csv_field(b, rates[i].definition_vi);
        dvc_buf_puts(b, "\r\n");
    }

    return b->failed ? -1 : 0;
}
