-- wrk: the same file as the body of every request; env BODY (its path),
-- METHOD (POST or PUT), CT (Content-Type).  PUT replaces one file by
-- rename each time, as the uploads (content-addressed, the same file) keep
-- one: both write a temp file and drop one file per request
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = os.getenv("METHOD") or "POST"
wrk.headers["Content-Type"] = os.getenv("CT") or "application/pdf"
local path = wrk.method == "PUT" and "/dav/file.pdf" or "/dvc/v1/uploads"
request = function()
    return wrk.format(nil, path)
end
