/*
 * Dossier statuses, numbered as the National Public Service Portal numbers
 * them, so reports and integrations agree.  The legal transitions between them
 * live in dvc_lifecycle (the lifecycle issue); here only names.
 */
#ifndef DVC_STATUS_H
#define DVC_STATUS_H

typedef enum {
    DVC_STATUS_SUBMITTED = 1,            /* Mới đăng ký */
    DVC_STATUS_ACCEPTED = 2,             /* Được tiếp nhận */
    DVC_STATUS_REFUSED = 3,              /* Không được tiếp nhận */
    DVC_STATUS_PROCESSING = 4,           /* Đang xử lý */
    DVC_STATUS_SUPPLEMENT_REQUESTED = 5, /* Yêu cầu bổ sung giấy tờ */
    DVC_STATUS_PAYMENT_REQUIRED = 6,     /* Yêu cầu thực hiện nghĩa vụ tài chính */
    DVC_STATUS_WITHDRAWAL_REQUESTED = 7, /* Công dân yêu cầu rút hồ sơ */
    DVC_STATUS_STOPPED = 8,              /* Dừng xử lý */
    DVC_STATUS_RESOLVED = 9,             /* Đã xử lý xong */
    DVC_STATUS_RETURNED = 10             /* Đã trả kết quả */
} dvc_status_t;

#define DVC_STATUS_MIN 1
#define DVC_STATUS_MAX 10

typedef struct {
    dvc_status_t  number;
    const char   *slug;   /* stable English identifier used in the API */
    const char   *name_vi;
    const char   *name_en;
} dvc_status_info_t;

/* NULL for a number outside 1..10. */
const dvc_status_info_t *dvc_status_info(int number);
/* 0 if slug names no status. */
int dvc_status_by_slug(const char *slug, unsigned long len);

#endif
