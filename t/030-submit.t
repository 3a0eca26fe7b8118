# POST /dvc/v1/dossiers end to end: validation against the real procedure
# schemas, codes from Redis, the durable record, signed acknowledgement and
# receipt checked by an independent JOSE implementation (python3-jwcrypto).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use utf8;
use JSON::PP;
use POSIX qw(strftime);

# a signing key made for this run, mode 0600 as the module demands

# the gateway with submissions; its signing key lives in $keys
our $keys = gateway_defaults(json => 1, extra_http => "    dvc_redis_timeout 500ms;\n");
our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub post { my ($body, $headers) = @_;
    "POST /dvc/v1/dossiers\n" . $body }
sub vn_yymmdd { strftime("%y%m%d", gmtime(time + 7 * 3600)) }

# verify a compact JWS with jwcrypto against the gateway's own JWKS
sub jws_payload {
    my ($jws) = @_;
    my $jwks = http_request("GET /dvc/v1/keys")->{body};
    open my $f, '>', "$keys/jwks.json" or die; print $f $jwks; close $f;
    my $out = `printf '%s' '$jws' | /usr/bin/python3 $ROOT/t/util/jws_verify.py $keys/jwks.json`;
    return $? == 0 ? $J->decode($out) : undef;
}


run_tests();

__DATA__

=== TEST 1: a valid dossier is recorded and acknowledged (manual acceptance)
--- request eval
main::post(main::example("1.001612"))
--- error_code: 201
--- response_headers_like
Location: ^/dvc/v1/dossiers/000\.20\.31\.H29-\d{6}-0001$
Content-Type: application/json
--- response_body_like: ^\{"code":"000\.20\.31\.H29-\d{6}-0001","procedure":"1\.001612","status":"submitted","status_number":1,"submitted_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00","lookup_token":"[A-Za-z0-9_-]{22}","acknowledgement":"[^"]+"\}$
--- post_init
my $r = $main::J->decode((responses())[0]{body});
my $code = $r->{code};
is($code, "000.20.31.H29-" . main::vn_yymmdd() . "-0001", "today's first code for the agency");
my $ack = main::jws_payload($r->{acknowledgement});
ok($ack, "acknowledgement verifies with jwcrypto against GET /dvc/v1/keys");
is($ack->{code}, $code, "acknowledgement names the code");
is($ack->{agency}, "000.20.31.H29", "acknowledgement names the agency");
my $body = main::example("1.001612");
is($ack->{body_sha256}, sha256_hex($body), "acknowledgement carries the body's SHA-256");
is(scalar @{$ack->{documents}}, 2, "acknowledgement lists the documents");
# the durable record
my $h = { @{ redis_cmd('HGETALL', "dvc:d:$code") } };
is($h->{status}, 1, "status 1 (submitted) stored");
is($h->{token_sha256}, sha256_hex($r->{lookup_token}), "only the token's hash is stored");
ok(!grep({ $_ eq $r->{lookup_token} } values %$h), "the token itself is not stored");
my $inbox = redis_cmd('XRANGE', 'dvc:inbox', '-', '+');
is(scalar @$inbox, 1, "one inbox entry");
my %e = @{ $inbox->[0][1] };
is($e{code}, $code, "inbox entry names the code");
is(length($e{body}), length($body), "inbox body length") or do { my $i = 0; $i++ while $i < length($body) && substr($e{body}, $i, 1) eq substr($body, $i, 1); diag("first difference at byte $i: inbox [" . substr($e{body}, $i - 10, 20) . "] file [" . substr($body, $i - 10, 20) . "]") };
is($e{body}, $body, "inbox entry holds the body byte for byte");
# the citizen looks it up with the token
my $l = http_request("GET /dvc/v1/dossiers/$code?token=$r->{lookup_token}");
is($l->{status}, 200, "lookup with the token");
like($l->{body}, qr/"status":"submitted".*"due_at":null/, "lookup shows it submitted, no due time yet");
my $rc = http_request("GET /dvc/v1/dossiers/$code/receipt?token=$r->{lookup_token}");
is($rc->{status}, 409, "no receipt before acceptance");
like($rc->{body}, qr/"error":"not_accepted_yet"/, "receipt refusal says why");
--- no_error_log
[error]



=== TEST 2: auto acceptance: due time from the calendar, signed receipt
--- request eval
main::post(main::example("1.001193"))
--- error_code: 201
--- response_body_like: "status":"accepted","status_number":2,.*"accepted_at":"[^"]+","due_at":"[^"]+","receipt":"[^"]+"
--- post_init
my $r = $main::J->decode((responses())[0]{body});
my $rec = main::jws_payload($r->{receipt});
ok($rec, "receipt verifies with jwcrypto");
is($rec->{code}, $r->{code}, "receipt names the code");
is($rec->{procedure}{name}, "Đăng ký khai sinh", "receipt names the procedure");
is_deeply($rec->{processing}, { hours => 2 }, "receipt gives the processing time");
ok($rec->{due_at} && $rec->{accepted_at}, "receipt has accepted_at and due_at to the minute");
ok($rec->{due_at} gt $rec->{accepted_at}, "due after acceptance");
my $g = http_request("GET /dvc/v1/dossiers/$r->{code}/receipt?token=$r->{lookup_token}");
is($g->{status}, 200, "GET receipt");
is($main::J->decode($g->{body})->{receipt}, $r->{receipt}, "the stored receipt is the one returned");
my $l = $main::J->decode(http_request("GET /dvc/v1/dossiers/$r->{code}?token=$r->{lookup_token}")->{body});
is($l->{due_at}, $r->{due_at}, "lookup shows the due time");
is(scalar @{$l->{history}}, 2, "history: submitted then accepted");



=== TEST 3: violations: all of them, with JSON Pointers, in Vietnamese and English
--- request eval
my $d = $main::J->decode(main::example("1.001612"));
$d->{applicant}{id_number} = "12345";
delete $d->{delivery};
main::post($main::J->encode($d))
--- error_code: 422
--- response_body_like: ^\{"error":"validation_failed","violations":\[
--- post_init
my $v = $main::J->decode((responses())[0]{body})->{violations};
my %paths = map { $_->{path} => $_ } @$v;
ok($paths{"/delivery"}, "missing delivery reported at /delivery");
is($paths{"/delivery"}{code}, "required", "... as required");
ok((grep { $_->{path} eq "/applicant/id_number" } @$v), "bad citizen id reported at /applicant/id_number");
ok(length $v->[0]{message}{vi} && length $v->[0]{message}{en}, "messages in both languages");
is(redis_cmd('EXISTS', 'dvc:inbox'), 0, "nothing recorded");
--- error_log
submission for procedure "1.001612" refused



=== TEST 4: the procedure's required documents are checked from x-dvc
--- request eval
my $d = $main::J->decode(main::example("1.001612"));
$d->{documents} = [ grep { $_->{kind} ne "owner_identity" } @{$d->{documents}} ];
main::post($main::J->encode($d))
--- error_code: 422
--- response_body_like: "path":"/documents","keyword":"/x-dvc/documents","code":"missing_document"



=== TEST 5: malformed JSON: 400 with the byte offset
--- request eval
main::post('{"procedure":"1.001612","applicant":{"full_name":')
--- error_code: 400
--- response_body_like: ^\{"error":"json_\w+","offset":\d+,"message":\{"vi":"[^"]+","en":"[^"]+"\}\}$



=== TEST 6: an empty body is malformed too
--- request
POST /dvc/v1/dossiers
--- more_headers
Content-Type: application/json
Content-Length: 0
--- error_code: 400
--- response_body_like: "error":"json_



=== TEST 7: wrong content type: 415
--- request eval
main::post(main::example("1.001612"))
--- more_headers
Content-Type: text/plain
--- error_code: 415
--- response_body_like: "error":"unsupported_media_type"



=== TEST 8: unknown procedure: 404; no procedure at all: 422
--- requests eval
[ main::post('{"procedure":"9.999999","applicant":{}}'),
  main::post('{"applicant":{},"form":{}}') ]
--- error_code eval
[404, 422]
--- response_body_like eval
[ qr/"error":"unknown_procedure"/, qr/"path":"\/procedure".*"code":"required"/ ]



=== TEST 9: only POST on the collection
--- request
GET /dvc/v1/dossiers
--- more_headers
--- error_code: 405
--- response_headers
Allow: POST



=== TEST 10: Idempotency-Key: the same answer for a retry, 409 for another body
--- requests eval
my $b = main::example("1.001612");
(my $other = $b) =~ s/"delivery"/"note":"x","delivery"/;
[ { request => main::post($b), more_headers => "Content-Type: application/json\nIdempotency-Key: retry-1" },
  { request => main::post($b), more_headers => "Content-Type: application/json\nIdempotency-Key: retry-1" },
  { request => main::post($other), more_headers => "Content-Type: application/json\nIdempotency-Key: retry-1" } ]
--- error_code eval
[201, 201, 409]
--- post_init
my @r = (responses());
is($r[1]{body}, $r[0]{body}, "the retry gets the first answer, byte for byte");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "one dossier, not two");
like($r[2]{body}, qr/"error":"idempotency_key_reused"/, "another body: 409 idempotency_key_reused");



=== TEST 11: concurrent submissions get distinct, consecutive codes
--- workers: 2
--- request eval
main::post(main::example("1.001612"))
--- error_code: 201
--- post_init
use IO::Socket::INET;
my $body = main::example("1.001612");
my @socks;
for (1 .. 30) {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:" . server_port()) or die;
    print $s "POST /dvc/v1/dossiers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
    push @socks, $s;
}
my @codes;
for my $s (@socks) { local $/; my $resp = <$s>; push @codes, $1 if $resp =~ /"code":"([^"]+)"/; }
is(scalar @codes, 30, "30 answers with a code");
my %seen; $seen{$_}++ for @codes;
is(scalar keys %seen, 30, "30 distinct codes");
my @seq = sort { $a <=> $b } map { /-(\d{4})$/ ? $1 + 0 : 0 } @codes;
is_deeply(\@seq, [2 .. 31], "consecutive sequence numbers 0002..0031");



=== TEST 12: past 9,999 dossiers a day: 503 and an [error] line, never a wrong code
--- init
redis_cmd('SET', "dvc:seq:000.20.31.H29:" . main::vn_yymmdd(), 9999);
--- request eval
main::post(main::example("1.001612"))
--- error_code: 503
--- response_body_like: "error":"daily_limit_reached"
--- redis_check
XLEN dvc:inbox => 0
--- error_log
daily sequence of agency "000.20.31.H29" exhausted



=== TEST 13: Redis down: 503 quickly, nothing half written, works again after
--- init
redis_stop();
--- requests eval
[ main::post(main::example("1.001612")),
  sub { redis_start() },
  { request => main::post(main::example("1.001612")), retry_within => 3 } ]
--- error_code eval
[503, 201]
--- response_time_max: 3.5
--- post_init
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "only the dossier accepted after Redis returned");



=== TEST 14: a chunked body is validated as it streams
--- raw_request eval
my $b = main::example("1.001612");
my $half = int(length($b) / 2);
"POST /dvc/v1/dossiers HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n", $half) . substr($b, 0, $half) . "\r\n"
. sprintf("%x\r\n", length($b) - $half) . substr($b, $half) . "\r\n0\r\n\r\n"
--- error_code: 201



=== TEST 15: a body larger than the memory buffer goes through a temp file, still validated
--- config
    client_body_buffer_size 1k;
    location /dvc/ { dvc_api; }
--- request eval
main::post(main::example("1.001612"))
--- error_code: 201



=== TEST 16: a body over client_max_body_size: 413 in JSON, not nginx's HTML page
--- config
    client_max_body_size 1k;
    location /dvc/ { dvc_api; }
--- request eval
main::post(main::example("1.001612"))
--- error_code: 413
--- response_headers_like
Content-Type: ^application/json
--- response_body_like: ^\{"error":"body_too_large","message":\{"vi":"[^"]+","en":"[^"]+"\}\}$
--- redis_check
XLEN dvc:inbox => 0



=== TEST 17: a chunked body that grows past the limit: 413 in JSON as well
--- config
    client_max_body_size 1k;
    location /dvc/ { dvc_api; }
--- raw_request eval
my $b = main::example("1.001612");
"POST /dvc/v1/dossiers HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n", length $b) . $b . "\r\n0\r\n\r\n"
--- error_code: 413
--- response_body_like: "error":"body_too_large"



=== TEST 18: a sysadmin's own error_page 413 is left in place
--- config
    client_max_body_size 1k;
    location /dvc/ { dvc_api; error_page 413 /too-big.html; }
    location = /too-big.html { return 413 "mine\n"; }
--- request eval
main::post(main::example("1.001612"))
--- error_code: 413
--- response_body
mine
