# POST /dvc/v1/uploads: a citizen's scanned document as the raw body,
# streamed to nginx's temp file, hashed and sniffed on the way, renamed
# into the content-addressed store (dvc_documents DIR/ab/abcdef...) and
# recorded in Redis with a TTL.  No clamd here (t/111-clamd.t).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Uploads;
use Digest::SHA qw(sha256_hex);
use File::Temp ();
use Time::Local ();

our $T14 = sha256_hex(pdf_file("t14"));

my $schemas = rules_schemas(File::Temp::tempdir(CLEANUP => 1));
$ENV{TEST_NGINX_RULES_SCHEMAS} = $schemas;

gateway_defaults(extra_http => "    dvc_documents \$TEST_NGINX_SERVROOT/documents;\n");

add_block_preprocessor(sub {
    my $block = shift;
    # an empty store for each block (Test::Base has no accessor for a
    # section no block names)
    $block->{init} = ["main::clear_store();"] unless exists $block->{init};
});

# what a stored upload must look like, from the store and Redis
sub check_stored {
    my ($r, $body, $type) = @_;
    my $sha = sha256_hex($body);
    is($r->{status}, 201, "201") or diag($r->{body});
    is($r->{json}{sha256}, $sha, "the answer's sha256 is the body's");
    is($r->{json}{size}, length $body, "its size");
    is($r->{json}{type}, $type, "its type");
    like($r->{json}{expires_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/,
         "expires_at, Vietnam time");
    my $path = store_dir() . "/" . substr($sha, 0, 2) . "/$sha";
    ok(-f $path, "stored as DIR/ab/abcdef...");
    open my $f, '<', $path;
    binmode $f;
    my $got = do { local $/; <$f> };
    is($got // '', $body, "byte for byte");
    is(sprintf("%o", (stat $path)[2] & 0777), "600", "mode 0600");
    my %rec = @{ redis_cmd('HGETALL', "dvc:up:$sha") };
    is($rec{size}, length $body, "Redis: size");
    is($rec{type}, $type, "Redis: type");
    is($rec{scan}, "off", "Redis: not scanned (no dvc_clamd)");
    my $ttl = redis_cmd('TTL', "dvc:up:$sha");
    ok($ttl > 86300 && $ttl <= 86400, "Redis: a TTL of 24 h ($ttl)");
    return $sha;
}

sub nothing_stored {
    my ($what) = @_;
    is(join(',', store_files()), '', "$what: nothing in the store");
    is(scalar @{ redis_cmd('KEYS', 'dvc:up:*') }, 0, "$what: no record");
    is(scalar(temp_files()), 0, "$what: no temp file left");
}

run_tests();

__DATA__

=== TEST 1: a PDF is stored content-addressed, recorded with a TTL, answered 201
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t1", 20000);
my $r = upload("application/pdf", $pdf);
main::check_stored($r, $pdf, "application/pdf");
is(scalar(temp_files()), 0, "the temp file was renamed, not copied");
like(block_error_log(), qr/dvc: upload [0-9a-f]{64} stored: 20000 bytes, application\/pdf, scan off/,
     "an [info] line with the hash, never a name");
--- no_error_log
[error]



=== TEST 2: a PNG and a JPEG; Content-Type parameters and case are fine
--- request
GET /dvc/v1/keys
--- post_init
my $png = png_file("t2");
main::check_stored(upload("image/png", $png), $png, "image/png");
my $jpeg = jpeg_file("t2");
main::check_stored(upload("Image/JPEG; name=scan", $jpeg), $jpeg, "image/jpeg");
is(scalar(store_files()), 2, "two files");
--- no_error_log
[error]



=== TEST 3: the same file twice is stored once; both get 201 with the same hash
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t3");
my $a = upload("application/pdf", $pdf);
my $b = upload("application/pdf", $pdf);
is($a->{status}, 201, "first 201");
is($b->{status}, 201, "second 201");
is($b->{json}{sha256}, $a->{json}{sha256}, "same hash");
is(scalar(store_files()), 1, "one file in the store");
is(scalar(temp_files()), 0, "the second temp file is gone");
--- no_error_log
[error]



=== TEST 4: the magic must match the declared type: 422 document_type_mismatch, nothing stored
--- request
GET /dvc/v1/keys
--- post_init
for my $c (["application/pdf", png_file("x"), "a PNG declared PDF"],
           ["image/png", pdf_file("x"), "a PDF declared PNG"],
           ["image/jpeg", "<html><script>alert(1)</script></html>", "HTML declared JPEG"],
           ["application/pdf", " %PDF-1.4 junk first", "a PDF not at byte 0"],
           ["application/pdf", "%PD", "shorter than the magic"]) {
    my $r = upload($c->[0], $c->[1]);
    is($r->{status}, 422, "$c->[2]: 422");
    is($r->{json}{error}, "document_type_mismatch", "$c->[2]: document_type_mismatch");
    like($r->{json}{message}{vi} // '', qr/Content-Type/, "$c->[2]: a Vietnamese message");
    like($r->{json}{message}{en} // '', qr/does not match/, "$c->[2]: an English one");
}
main::nothing_stored("mismatches");
--- error_log
dvc: upload refused: document_type_mismatch (declared application/pdf



=== TEST 5: an empty file, a malformed PDF header, an encrypted PDF: 422 each
--- request
GET /dvc/v1/keys
--- post_init
my $r = upload("application/pdf", "");
is($r->{status}, 422, "empty: 422");
is($r->{json}{error}, "document_empty", "document_empty");
$r = upload("application/pdf", "%PDF-x.y\nnot a version\n");
is($r->{status}, 422, "malformed header: 422");
is($r->{json}{error}, "document_malformed", "document_malformed");
my $enc = pdf_file("t5") . "trailer\n<< /Root 1 0 R /Encrypt 5 0 R /ID [<ab><cd>] >>\n%%EOF\n";
$r = upload("application/pdf", $enc);
is($r->{status}, 422, "encrypted: 422");
is($r->{json}{error}, "document_encrypted", "document_encrypted");
# /Encrypt past the first buffers nginx reads (client_body_buffer_size)
$r = upload("application/pdf", pdf_file("t5b", 300000) . "<< /Encrypt 9 0 R >>\n");
is($r->{status}, 422, "encrypted, far in: 422");
is($r->{json}{error}, "document_encrypted", "found however nginx cut the body");
main::nothing_stored("refused files");
--- no_error_log
[error]



=== TEST 6: Content-Type: another type, none, or given twice
--- request
GET /dvc/v1/keys
--- post_init
my $r = upload("text/html", "<html>");
is($r->{status}, 415, "text/html: 415");
is($r->{json}{error}, "unsupported_media_type", "unsupported_media_type");
$r = upload("image/gif", "GIF89a");
is($r->{status}, 415, "image/gif: 415");
$r = upload(undef, pdf_file("t6"));
is($r->{status}, 415, "no Content-Type: 415");
$r = upload("application/pdf", pdf_file("t6"), headers => ["Content-Type: image/png"]);
is($r->{status}, 400, "Content-Type twice: 400");
is($r->{json}{error}, "bad_header", "bad_header");
main::nothing_stored("refused types");
--- no_error_log
[error]



=== TEST 7: GET and PUT on /uploads: 405 with Allow
--- request
GET /dvc/v1/uploads
--- error_code: 405
--- response_headers
Allow: POST
--- response_body_like: "error":"method_not_allowed"



=== TEST 8: a kind's rules: types and max_size from x-dvc; a lie about the length is never read
--- config
    client_max_body_size 2g;
    location /dvc/ { dvc_api; }
--- http_config
    dvc_schemas $TEST_NGINX_RULES_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_documents $TEST_NGINX_SERVROOT/documents;
--- request
GET /dvc/v1/keys
--- post_init
my @k = ("X-DVC-Procedure: 1.001193", "X-DVC-Document-Kind: birth_medical_certificate");
my $pdf = pdf_file("t8");
my $r = upload("application/pdf", $pdf, headers => \@k);
main::check_stored($r, $pdf, "application/pdf");
$r = upload("image/png", png_file("t8"), headers => \@k);
is($r->{status}, 422, "a PNG for a PDF-only kind: 422");
is($r->{json}{error}, "document_type", "document_type");
$r = upload("application/pdf", pdf_file("t8", 5000), headers => \@k);
is($r->{status}, 413, "over max_size (4096): 413");
is($r->{json}{error}, "document_too_large", "document_too_large");
# a Content-Length of 1 GB with 10 bytes behind it: answered at once,
# before the body (client_max_body_size 2g lets it reach the kind's rule)
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die;
my $t0 = time;
print $s "POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pdf\r\n"
       . join('', map { "$_\r\n" } @k) . "Content-Length: 1073741824\r\n\r\n%PDF-1.4\n\n";
my $in = '';
my $sel = IO::Select->new($s);
while ($in !~ /\r\n\r\n.*\}\}/s && $sel->can_read(5)) {
    sysread($s, my $c, 4096) or last;
    $in .= $c;
}
ok(time - $t0 < 2, "answered without waiting for the body");
like($in, qr{^HTTP/1.1 413}, "Content-Length 1 GB: 413");
like($in, qr/"error":"document_too_large"/, "document_too_large");
like($in, qr/Connection: close/i, "and the connection closes");
close $s;
# the other kind takes images only
$r = upload("application/pdf", pdf_file("t8c"),
            headers => ["X-DVC-Procedure: 1.001193", "X-DVC-Document-Kind: witness_statement"]);
is($r->{json}{error}, "document_type", "witness_statement: images only");
my $png = png_file("t8d");
$r = upload("image/png", $png,
            headers => ["X-DVC-Procedure: 1.001193", "X-DVC-Document-Kind: witness_statement"]);
is($r->{status}, 201, "a PNG witness statement: 201");
# the procedure alone names no kind: only the gateway's rules
$r = upload("application/pdf", pdf_file("t8", 5000), headers => ["X-DVC-Procedure: 1.001193"]);
is($r->{status}, 201, "procedure without kind: 201");
is(scalar(store_files()), 3, "three stored");
--- no_error_log
[error]



=== TEST 9: rule headers: unknown procedure or kind, path tricks, repeated, kind alone
--- http_config
    dvc_schemas $TEST_NGINX_RULES_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_documents $TEST_NGINX_SERVROOT/documents;
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t9");
my $r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: 9.999999"]);
is($r->{status}, 404, "unknown procedure: 404");
is($r->{json}{error}, "unknown_procedure", "unknown_procedure");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: ../../etc/passwd"]);
is($r->{status}, 404, "a path as procedure: 404");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: %2e%2e%2f%2e%2e%2fetc%2fpasswd"]);
is($r->{status}, 404, "an encoded path as procedure: 404");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: " . ("A" x 4096)]);
is($r->{json}{error}, "unknown_procedure", "a 4 KB procedure: unknown_procedure");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: 1.001193",
                                                 "X-DVC-Document-Kind: ../../../etc/passwd"]);
is($r->{status}, 422, "a path as kind: 422");
is($r->{json}{error}, "unknown_document", "unknown_document");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: 1.001193",
                                                 "X-DVC-Document-Kind: no_such_kind"]);
is($r->{json}{error}, "unknown_document", "an unknown kind: unknown_document");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Document-Kind: birth_medical_certificate"]);
is($r->{status}, 400, "a kind without its procedure: 400");
is($r->{json}{error}, "bad_header", "bad_header");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: 1.001193",
                                                 "X-DVC-Procedure: 1.001612"]);
is($r->{status}, 400, "procedure twice: 400");
$r = upload("application/pdf", $pdf, headers => ["X-DVC-Procedure: 1.001193",
                                                 "X-DVC-Document-Kind: birth_medical_certificate",
                                                 "X-DVC-Document-Kind: witness_statement"]);
is($r->{status}, 400, "kind twice: 400");
main::nothing_stored("refused headers");
--- no_error_log
[error]



=== TEST 10: over client_max_body_size: nginx's 413 as JSON, nothing stored
--- config
    client_max_body_size 64k;
    location /dvc/ { dvc_api; }
--- request
GET /dvc/v1/keys
--- post_init
my $r = upload("application/pdf", pdf_file("t10", 100000));
is($r->{status}, 413, "413");
is($r->{json}{error}, "body_too_large", "the API's JSON");
main::nothing_stored("too large");
--- error_log
client intended to send too large body



=== TEST 11: a client that hangs up mid-body leaves no file and no record
--- request
GET /dvc/v1/keys
--- post_init
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die;
my $pdf = pdf_file("t11", 200000);
print $s "POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pdf\r\n"
       . "Content-Length: " . length($pdf) . "\r\n\r\n" . substr($pdf, 0, 100000);
sleep 0.3;
close $s;
sleep 0.5;
main::nothing_stored("hung up");
# the gateway still answers
my $r = upload("application/pdf", pdf_file("t11b"));
is($r->{status}, 201, "the next upload: 201");
--- no_error_log
[alert]



=== TEST 12: a slow client: client_body_timeout ends it, nothing stored
--- config
    client_body_timeout 1s;
    location /dvc/ { dvc_api; }
--- request
GET /dvc/v1/keys
--- post_init
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die;
print $s "POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pdf\r\n"
       . "Content-Length: 50000\r\n\r\n%PDF-1.4\n";
my $t0 = time;
my $sel = IO::Select->new($s);
my $got = '';
if ($sel->can_read(5)) { sysread($s, $got, 4096) }
ok(time - $t0 < 4, "nginx gave up after client_body_timeout");
close $s;
main::nothing_stored("timed out");
--- error_log
http finalize request: 408, "/dvc/v1/uploads?"



=== TEST 13: chunked bodies are hashed as they are de-chunked
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t13", 70000);
my $chunked = '';
for (my $i = 0; $i < length $pdf; $i += 5000) {
    my $c = substr($pdf, $i, 5000);
    $chunked .= sprintf("%x\r\n%s\r\n", length $c, $c);
}
$chunked .= "0\r\n\r\n";
my $r = upload_raw("POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                   . "Content-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n\r\n$chunked");
main::check_stored($r, $pdf, "application/pdf");
--- no_error_log
[error]



=== TEST 14: an upload a dossier already holds keeps no TTL; answered as any upload
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t14");
my $sha = sha256_hex($pdf);
redis_cmd('HSET', "dvc:up:$sha", size => length $pdf, type => 'application/pdf',
          dossier => '000.00.10.H47-261121-0001');
my $fresh = upload("application/pdf", pdf_file("t14 fresh"));
my $r = upload("application/pdf", $pdf);
is($r->{status}, 201, "201");
like($r->{body}, qr/^\{"sha256":"$sha","size":@{[length $pdf]},"type":"application\/pdf","expires_at":"[^"]+"\}$/,
     "its sha256, size and type, and an expires_at");
# the same answer as for a new upload: nobody learns that a dossier holds it
my $at = sub { my ($y, $mo, $d, $h, $mi, $s) = $_[0] =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\+07:00$/
               or return -1; Time::Local::timegm($s, $mi, $h, $d, $mo - 1, $y) - 7 * 3600 };
my $d = $at->($r->{json}{expires_at}) - $at->($fresh->{json}{expires_at});
ok($d >= 0 && $d <= 1, "expires_at as a new upload's, 24 h from now ($d s apart)");
is(redis_cmd('TTL', "dvc:up:$sha"), -1, "still no TTL");
is(redis_cmd('HGET', "dvc:up:$sha", 'dossier'), '000.00.10.H47-261121-0001', "still the dossier's");
--- error_log eval
[qr/dvc: upload $main::T14 stored: \d+ bytes, application\/pdf, scan off, held by a dossier/]
--- no_error_log
[error]



=== TEST 15: Redis down: 503, and no record (the stored file waits for gc)
--- request
GET /dvc/v1/keys
--- post_init
redis_stop();
my $r = upload("application/pdf", pdf_file("t15"));
is($r->{status}, 503, "503");
is($r->{json}{error}, "unavailable", "unavailable");
redis_start();
--- error_log
dvc: upload answered 503



=== TEST 16: the same file from two clients at once: both 201, one file, nothing half-written
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t16", 400000);
my @s;
for (1 .. 2) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die;
    print $s "POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "Content-Type: application/pdf\r\nContent-Length: " . length($pdf) . "\r\n\r\n"
           . substr($pdf, 0, 200000);
    push @s, $s;
}
sleep 0.2;
print $_ substr($pdf, 200000) for @s;
my @st;
for my $s (@s) {
    local $/;
    my $a = <$s>;
    push @st, $a =~ m{^HTTP/1.1 (\d+)} ? $1 : 'none';
}
is("@st", "201 201", "both 201");
my @f = store_files();
is(scalar @f, 1, "one file");
my $path = store_dir() . "/$f[0]";
is(-s $path, length $pdf, "whole");
is(sha256_hex(do { local $/; open my $f, '<', $path; <$f> }), sha256_hex($pdf), "the bytes sent");
--- no_error_log
[error]



=== TEST 17: without dvc_documents the endpoint does not exist
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
--- request eval
"POST /dvc/v1/uploads\n%PDF-1.4\n"
--- more_headers
Content-Type: application/pdf
--- error_code: 404
--- response_body_like: "error":"unknown_endpoint"



=== TEST 18: dvc_documents that cannot be a directory fails nginx -t
--- http_config
    dvc_documents /dev/null;
--- must_die
--- error_log
dvc: "dvc_documents" "/dev/null" is not a directory



=== TEST 19: dvc_upload_ttl sets the record's TTL and the answer's expires_at
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_documents $TEST_NGINX_SERVROOT/documents;
    dvc_upload_ttl 90s;
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("t19");
my $before = time;
my $r = upload("application/pdf", $pdf);
is($r->{status}, 201, "201");
my ($y, $mo, $d, $h, $mi, $s) = $r->{json}{expires_at} =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\+07:00$/;
my $at = Time::Local::timegm($s, $mi, $h, $d, $mo - 1, $y) - 7 * 3600;
ok($at - $before >= 89 && $at - $before <= 91, "expires_at 90 s ahead (" . ($at - $before) . ")");
my $ttl = redis_cmd('TTL', "dvc:up:" . sha256_hex($pdf));
ok($ttl > 85 && $ttl <= 90, "Redis: a TTL of 90 s ($ttl)");
--- no_error_log
[error]



=== TEST 20: a 64 MB upload leaves the worker's memory flat; a 1 GB Content-Length over the limit is never read
--- config
    client_max_body_size 100m;
    location /dvc/ { dvc_api; }
--- request
GET /dvc/v1/keys
--- post_init
my ($worker) = grep { /^\d+$/ } split /\s+/, `pgrep -P ${\ nginx_master_pid()}`;
my $hwm = sub { open my $f, '<', "/proc/$worker/status" or return -1;
                my ($kb) = join('', <$f>) =~ /^VmHWM:\s+(\d+) kB/m; $kb };
# a first small upload: the worker's buffers and Redis connection are made
is(upload("application/pdf", pdf_file("t20 warm"))->{status}, 201, "a small upload first");
my $before = $hwm->();
my $big = pdf_file("t20", 64 * 1024 * 1024);
my $r = upload("application/pdf", $big, timeout => 60);
is($r->{status}, 201, "64 MB: 201") or diag($r->{body});
is($r->{json}{sha256}, sha256_hex($big), "its SHA-256");
my $after = $hwm->();
ok($before > 0 && $after - $before < 8192,
   "the worker's peak RSS grew by " . ($after - $before) . " kB (from $before kB), not by the file's 65536 kB");
is(-s store_dir() . "/" . substr($r->{json}{sha256}, 0, 2) . "/$r->{json}{sha256}", length $big, "stored whole");
# 1 GB announced, a few bytes sent: nginx's 413 on the header, in JSON
$r = upload_raw("POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/pdf\r\n"
                . "Content-Length: 1073741824\r\n\r\n%PDF-1.4\n", timeout => 5);
is($r->{status}, 413, "a 1 GB Content-Length: 413");
is($r->{json}{error}, "body_too_large", "in JSON");
is(scalar(temp_files()), 0, "no temp file left");
--- error_log
client intended to send too large body: 1073741824 bytes
