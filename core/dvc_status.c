#include <string.h>

#include "dvc_status.h"

static const dvc_status_info_t statuses[] = {
    { DVC_STATUS_SUBMITTED, "submitted", "Mới đăng ký", "Submitted" },
    { DVC_STATUS_ACCEPTED, "accepted", "Được tiếp nhận", "Accepted" },
    { DVC_STATUS_REFUSED, "refused", "Không được tiếp nhận", "Refused" },
    { DVC_STATUS_PROCESSING, "processing", "Đang xử lý", "Processing" },
    { DVC_STATUS_SUPPLEMENT_REQUESTED, "supplement_requested",
      "Yêu cầu bổ sung giấy tờ", "Supplement requested" },
    { DVC_STATUS_PAYMENT_REQUIRED, "payment_required",
      "Yêu cầu thực hiện nghĩa vụ tài chính", "Payment required" },
    { DVC_STATUS_WITHDRAWAL_REQUESTED, "withdrawal_requested",
      "Công dân yêu cầu rút hồ sơ", "Withdrawal requested" },
    { DVC_STATUS_STOPPED, "stopped", "Dừng xử lý", "Processing stopped" },
    { DVC_STATUS_RESOLVED, "resolved", "Đã xử lý xong", "Resolved" },
    { DVC_STATUS_RETURNED, "returned", "Đã trả kết quả", "Result returned" },
};

const dvc_status_info_t *
dvc_status_info(int number)
{
    if (number < DVC_STATUS_MIN || number > DVC_STATUS_MAX) {
        return NULL;
    }
    return &statuses[number - 1];
}

int
dvc_status_by_slug(const char *slug, unsigned long len)
{
    size_t i;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (strlen(statuses[i].slug) == len && memcmp(statuses[i].slug, slug, len) == 0) {
            return (int) statuses[i].number;
        }
    }
    return 0;
}
