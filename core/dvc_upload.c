/*
 * Uploaded documents: the one-pass hash, sniff and verdict (dvc_upload.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#include <string.h>

#include <openssl/evp.h>

#include "dvc_upload.h"


/* "/Encrypt" split across two buffers is found through the tail kept from
 * the previous one */
#define DVC_ENCRYPT_KEY      "/Encrypt"
#define DVC_ENCRYPT_KEY_LEN  (sizeof(DVC_ENCRYPT_KEY) - 1)

struct dvc_upload {
    const dvc_alloc_t  *alloc;
    EVP_MD_CTX         *md;
    dvc_media_t         declared;
    uint64_t            size;
    unsigned char       head[DVC_UPLOAD_HEAD];
    size_t              head_len;
    unsigned char       tail[DVC_ENCRYPT_KEY_LEN - 1];
    size_t              tail_len;
    int                 encrypted;
    int                 failed;
    int                 finished;
};


static const unsigned char  pdf_magic[] = "%PDF-";
static const unsigned char  jpeg_magic[] = { 0xff, 0xd8, 0xff };
static const unsigned char  png_magic[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
};


static int
ci_prefix(const char *s, size_t len, const char *want)
{
    size_t  i, n;
    char    c;

    n = strlen(want);
    if (len < n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }
        if (c != want[i]) {
            return 0;
        }
    }

    return 1;
}


dvc_media_t
dvc_media_parse(const char *value, size_t len)
{
    static const struct {
        const char   *name;
        dvc_media_t   media;
    } types[] = {
        { "application/pdf", DVC_MEDIA_PDF },
        { "image/jpeg", DVC_MEDIA_JPEG },
        { "image/png", DVC_MEDIA_PNG },
    };

    size_t  i, n;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        n = strlen(types[i].name);

        if (!ci_prefix(value, len, types[i].name)) {
            continue;
        }

        /* the whole type, then nothing, parameters or white space */
        if (len == n || value[n] == ';' || value[n] == ' '
            || value[n] == '\t')
        {
            return types[i].media;
        }
    }

    return DVC_MEDIA_NONE;
}


const char *
dvc_media_name(dvc_media_t m)
{
    switch (m) {
    case DVC_MEDIA_PDF:
        return "application/pdf";
    case DVC_MEDIA_JPEG:
        return "image/jpeg";
    case DVC_MEDIA_PNG:
        return "image/png";
    default:
        return NULL;
    }
}


dvc_media_t
dvc_media_sniff(const unsigned char *head, size_t len)
{
    if (len >= sizeof(pdf_magic) - 1
        && memcmp(head, pdf_magic, sizeof(pdf_magic) - 1) == 0)
    {
        return DVC_MEDIA_PDF;
    }

    if (len >= sizeof(jpeg_magic)
        && memcmp(head, jpeg_magic, sizeof(jpeg_magic)) == 0)
    {
        return DVC_MEDIA_JPEG;
    }

    if (len >= sizeof(png_magic)
        && memcmp(head, png_magic, sizeof(png_magic)) == 0)
    {
        return DVC_MEDIA_PNG;
    }

    return DVC_MEDIA_NONE;
}


dvc_upload_t *
dvc_upload_new(const dvc_alloc_t *a)
{
    dvc_upload_t  *u;

    u = dvc_calloc(a, 1, sizeof(dvc_upload_t));
    if (u == NULL) {
        return NULL;
    }

    u->alloc = a;
    u->md = EVP_MD_CTX_new();

    if (u->md == NULL) {
        dvc_free(a, u);
        return NULL;
    }

    return u;
}


void
dvc_upload_free(dvc_upload_t *u)
{
    if (u == NULL) {
        return;
    }

    EVP_MD_CTX_free(u->md);
    dvc_free(u->alloc, u);
}


int
dvc_upload_begin(dvc_upload_t *u, dvc_media_t declared)
{
    u->declared = declared;
    u->size = 0;
    u->head_len = 0;
    u->tail_len = 0;
    u->encrypted = 0;
    u->finished = 0;
    u->failed = EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1;

    return u->failed ? -1 : 0;
}


/* /Encrypt in a PDF: in this buffer, or across its start and the tail of
 * the previous one */
static void
dvc_upload_find_encrypt(dvc_upload_t *u, const unsigned char *p, size_t len)
{
    size_t         n, take;
    unsigned char  join[2 * (DVC_ENCRYPT_KEY_LEN - 1)];

    if (u->tail_len) {
        take = len < DVC_ENCRYPT_KEY_LEN - 1 ? len : DVC_ENCRYPT_KEY_LEN - 1;
        memcpy(join, u->tail, u->tail_len);
        memcpy(join + u->tail_len, p, take);

        if (memmem(join, u->tail_len + take, DVC_ENCRYPT_KEY,
                   DVC_ENCRYPT_KEY_LEN) != NULL)
        {
            u->encrypted = 1;
            return;
        }
    }

    if (memmem(p, len, DVC_ENCRYPT_KEY, DVC_ENCRYPT_KEY_LEN) != NULL) {
        u->encrypted = 1;
        return;
    }

    /* the last bytes that could start the key, for the next buffer */
    if (len >= DVC_ENCRYPT_KEY_LEN - 1) {
        memcpy(u->tail, p + len - (DVC_ENCRYPT_KEY_LEN - 1),
               DVC_ENCRYPT_KEY_LEN - 1);
        u->tail_len = DVC_ENCRYPT_KEY_LEN - 1;

    } else {
        n = u->tail_len + len;

        if (n > DVC_ENCRYPT_KEY_LEN - 1) {
            memmove(u->tail, u->tail + (n - (DVC_ENCRYPT_KEY_LEN - 1)),
                    u->tail_len - (n - (DVC_ENCRYPT_KEY_LEN - 1)));
            u->tail_len -= n - (DVC_ENCRYPT_KEY_LEN - 1);
        }

        memcpy(u->tail + u->tail_len, p, len);
        u->tail_len += len;
    }
}


int
dvc_upload_feed(dvc_upload_t *u, const void *data, size_t len)
{
    size_t                take;
    const unsigned char  *p = data;

    if (u->failed) {
        return -1;
    }

    if (len == 0) {
        return 0;
    }

    if (EVP_DigestUpdate(u->md, p, len) != 1) {
        u->failed = 1;
        return -1;
    }

    if (u->head_len < DVC_UPLOAD_HEAD) {
        take = DVC_UPLOAD_HEAD - u->head_len;
        take = take < len ? take : len;
        memcpy(u->head + u->head_len, p, take);
        u->head_len += take;
    }

    if (u->declared == DVC_MEDIA_PDF && !u->encrypted) {
        dvc_upload_find_encrypt(u, p, len);
    }

    u->size += len;

    return 0;
}


int
dvc_upload_finish(dvc_upload_t *u, char hex[DVC_SHA256_HEX_LEN + 1])
{
    static const char  digits[] = "0123456789abcdef";

    size_t         i;
    unsigned int   n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (u->failed || u->finished) {
        return -1;
    }

    u->finished = 1;

    if (EVP_DigestFinal_ex(u->md, md, &n) != 1 || n != 32) {
        u->failed = 1;
        return -1;
    }

    for (i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }

    hex[DVC_SHA256_HEX_LEN] = '\0';

    return 0;
}


uint64_t
dvc_upload_size(const dvc_upload_t *u)
{
    return u->size;
}


int
dvc_upload_too_large(const dvc_upload_rules_t *rules, uint64_t declared)
{
    return rules && rules->max_size && declared > rules->max_size;
}


/* "%PDF-" then a version: digit, ".", digit */
static int
dvc_upload_pdf_header_ok(const dvc_upload_t *u)
{
    const unsigned char  *v;

    if (u->head_len < 8) {
        return 0;
    }

    v = u->head + 5;

    return v[0] >= '1' && v[0] <= '2' && v[1] == '.'
           && v[2] >= '0' && v[2] <= '9';
}


dvc_upload_result_t
dvc_upload_verdict(const dvc_upload_t *u, const dvc_upload_rules_t *rules)
{
    dvc_media_t  seen;

    if (u->size == 0) {
        return DVC_UPLOAD_EMPTY;
    }

    if (u->declared == DVC_MEDIA_NONE) {
        return DVC_UPLOAD_MEDIA_TYPE;
    }

    seen = dvc_media_sniff(u->head, u->head_len);

    if (seen != u->declared) {
        return DVC_UPLOAD_MISMATCH;
    }

    if (seen == DVC_MEDIA_PDF) {
        if (!dvc_upload_pdf_header_ok(u)) {
            return DVC_UPLOAD_MALFORMED;
        }

        if (u->encrypted) {
            return DVC_UPLOAD_ENCRYPTED;
        }
    }

    if (rules && rules->types && (rules->types & seen) == 0) {
        return DVC_UPLOAD_TYPE;
    }

    if (rules && rules->max_size && u->size > rules->max_size) {
        return DVC_UPLOAD_TOO_LARGE;
    }

    return DVC_UPLOAD_OK;
}


static const struct {
    const char  *code;
    int          status;
    const char  *vi;
    const char  *en;
} dvc_upload_results[DVC_UPLOAD_RESULT_LAST] = {

    [DVC_UPLOAD_OK] = { "ok", 201, "", "" },

    [DVC_UPLOAD_EMPTY] = { "document_empty", 422,
        "Tệp tải lên không có dữ liệu (0 byte).",
        "The uploaded file is empty (0 bytes)." },

    [DVC_UPLOAD_MISMATCH] = { "document_type_mismatch", 422,
        "Nội dung tệp không đúng với loại tệp đã khai báo (Content-Type): "
        "chỉ nhận PDF, JPEG hoặc PNG đúng định dạng.",
        "The file's content does not match its declared Content-Type: "
        "only real PDF, JPEG or PNG files are accepted." },

    [DVC_UPLOAD_MALFORMED] = { "document_malformed", 422,
        "Tệp PDF có phần đầu không hợp lệ (thiếu phiên bản %PDF-1.x).",
        "The PDF file's header is malformed (no %PDF-1.x version)." },

    [DVC_UPLOAD_ENCRYPTED] = { "document_encrypted", 422,
        "Tệp PDF được mã hóa hoặc đặt mật khẩu; hãy gửi tệp không mã hóa.",
        "The PDF file is encrypted or password-protected; send it "
        "unencrypted." },

    [DVC_UPLOAD_TYPE] = { "document_type", 422,
        "Loại giấy tờ này không nhận tệp thuộc loại đã gửi.",
        "This kind of document does not accept files of this type." },

    [DVC_UPLOAD_TOO_LARGE] = { "document_too_large", 413,
        "Tệp vượt quá dung lượng cho phép của loại giấy tờ này.",
        "The file is larger than this kind of document allows." },

    [DVC_UPLOAD_INFECTED] = { "document_infected", 422,
        "Tệp có chứa mã độc và đã bị từ chối.",
        "The file contains malware and was refused." },

    [DVC_UPLOAD_BAD_KIND] = { "unknown_document", 422,
        "X-DVC-Procedure hoặc X-DVC-Document-Kind không đúng: thủ tục không "
        "có loại giấy tờ này.",
        "X-DVC-Procedure or X-DVC-Document-Kind is wrong: the procedure has "
        "no such kind of document." },

    [DVC_UPLOAD_BAD_HEADER] = { "bad_header", 400,
        "X-DVC-Procedure, X-DVC-Document-Kind và Content-Type chỉ được gửi "
        "một lần, X-DVC-Document-Kind cần X-DVC-Procedure.",
        "X-DVC-Procedure, X-DVC-Document-Kind and Content-Type must each be "
        "sent once, and X-DVC-Document-Kind needs X-DVC-Procedure." },

    [DVC_UPLOAD_NOT_UPLOADED] = { "document_not_uploaded", 422,
        "Giấy tờ này chưa được tải lên (POST /dvc/v1/uploads) hoặc đã hết "
        "hạn lưu; hãy tải tệp lên rồi nộp lại hồ sơ.",
        "This document was not uploaded (POST /dvc/v1/uploads) or its "
        "upload expired; upload the file, then submit again." },

    [DVC_UPLOAD_LISTED_MISMATCH] = { "document_mismatch", 422,
        "Dung lượng hoặc loại tệp khai trong hồ sơ khác với tệp đã tải lên.",
        "The size or type the dossier gives differs from the uploaded "
        "file's." },

    [DVC_UPLOAD_MEDIA_TYPE] = { "unsupported_media_type", 415,
        "Chỉ nhận tệp PDF, JPEG hoặc PNG (Content-Type: application/pdf, "
        "image/jpeg, image/png).",
        "Only PDF, JPEG or PNG files are accepted (Content-Type: "
        "application/pdf, image/jpeg, image/png)." },
};


const char *
dvc_upload_result_code(dvc_upload_result_t r)
{
    return r < DVC_UPLOAD_RESULT_LAST ? dvc_upload_results[r].code
                                      : "internal_error";
}


int
dvc_upload_result_status(dvc_upload_result_t r)
{
    return r < DVC_UPLOAD_RESULT_LAST ? dvc_upload_results[r].status : 500;
}


int
dvc_upload_error_json(dvc_upload_result_t r, dvc_buf_t *out)
{
    if (r == DVC_UPLOAD_OK || r >= DVC_UPLOAD_RESULT_LAST) {
        return -1;
    }

    dvc_buf_puts(out, "{\"error\":\"");
    dvc_buf_puts(out, dvc_upload_results[r].code);
    dvc_buf_puts(out, "\",\"message\":{\"vi\":");
    dvc_buf_json_str(out, dvc_upload_results[r].vi,
                     strlen(dvc_upload_results[r].vi));
    dvc_buf_puts(out, ",\"en\":");
    dvc_buf_json_str(out, dvc_upload_results[r].en,
                     strlen(dvc_upload_results[r].en));
    dvc_buf_puts(out, "}}");

    return out->failed ? -1 : 0;
}


dvc_upload_result_t
dvc_upload_check_listed(const dvc_upload_record_t *rec,
    long long declared_size, dvc_media_t declared_type,
    const dvc_upload_rules_t *rules)
{
    if (!rec->found) {
        return DVC_UPLOAD_NOT_UPLOADED;
    }

    if ((declared_size >= 0 && (uint64_t) declared_size != rec->size)
        || (declared_type != DVC_MEDIA_NONE && declared_type != rec->type))
    {
        return DVC_UPLOAD_LISTED_MISMATCH;
    }

    if (rules && rules->types && (rules->types & rec->type) == 0) {
        return DVC_UPLOAD_TYPE;
    }

    if (rules && rules->max_size && rec->size > rules->max_size) {
        return DVC_UPLOAD_TOO_LARGE;
    }

    return DVC_UPLOAD_OK;
}


int
dvc_upload_violation_json(dvc_upload_result_t r, size_t index,
    dvc_buf_t *out)
{
    if (r == DVC_UPLOAD_OK || r >= DVC_UPLOAD_RESULT_LAST) {
        return -1;
    }

    dvc_buf_printf(out, "{\"path\":\"/documents/%zu/sha256\",\"keyword\":"
                   "\"/x-dvc/uploads\",\"code\":\"%s\",\"message\":{\"vi\":",
                   index, dvc_upload_results[r].code);
    dvc_buf_json_str(out, dvc_upload_results[r].vi,
                     strlen(dvc_upload_results[r].vi));
    dvc_buf_puts(out, ",\"en\":");
    dvc_buf_json_str(out, dvc_upload_results[r].en,
                     strlen(dvc_upload_results[r].en));
    dvc_buf_puts(out, "}}");

    return out->failed ? -1 : 0;
}


int
dvc_sha256_hex_valid(const char *s, size_t len)
{
    size_t  i;

    if (len != DVC_SHA256_HEX_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }

    return 1;
}


int
dvc_upload_store_path(const char *hex, size_t len,
    char out[DVC_UPLOAD_REL_LEN])
{
    if (!dvc_sha256_hex_valid(hex, len)) {
        return -1;
    }

    out[0] = hex[0];
    out[1] = hex[1];
    out[2] = '/';
    memcpy(out + 3, hex, DVC_SHA256_HEX_LEN);

    return 0;
}
