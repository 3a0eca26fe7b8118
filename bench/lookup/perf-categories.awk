# Buckets of ngx_dvc's worker profile, from `perf report -n --no-children --sort dso,sym
# -g none` (sample counts in column 2); first matching rule wins.
# usage: perf report -n ... | awk -f perf-categories.awk
/%/ {
  n = $2; total += $2
  if ($0 ~ /\[k\]/) c = "kernel (loopback TCP, epoll, syscalls)"
  else if ($0 ~ /ngx_http_dvc_module\.so/ && $0 ~ /\] (redis|sds|__redis|createReply|createString|createArray|createNil|createInteger|moveToNextTask|processItem|processBulk|processLine|processMultiBulk|seekNewline|string2ll|readLine)/) c = "hiredis (reply parsing, command formatting)"
  else if ($0 ~ /ngx_http_dvc_module\.so/ && $0 ~ /\] yajl_/) c = "yajl"
  else if ($0 ~ /ngx_http_dvc_module\.so/ && $0 ~ /\] dvc_/) c = "core/ (dvc_*: code check, JSON output, buffers)"
  else if ($0 ~ /ngx_http_dvc_module\.so/) c = "ngx_dvc_module/ glue (ngx_http_dvc_*)"
  else if ($0 ~ /libcrypto/) c = "libcrypto (SHA-256, CRYPTO_memcmp)"
  else if ($0 ~ /% +[0-9]+ +nginx /) c = "nginx core (HTTP, events, pools)"
  else if ($0 ~ /libc\.so/) c = "libc (malloc, memcpy, ...)"
  else c = "other"
  sum[c] += n
}
END { for (c in sum) if (100 * sum[c] / total >= 0.05) printf "%6.1f%%  %s\n", 100 * sum[c] / total, c | "sort -rn" }
