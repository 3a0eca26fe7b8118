# Uploaded documents in dossiers, and the back-end's fetch:
# - a submission's documents[].sha256 must name an upload that exists,
#   matches the size and type the dossier gives and fits its kind's rules,
#   else 422 per document, nothing recorded, no sequence number taken;
# - the uploads a recorded dossier lists lose their TTL and name it;
# - GET /dvc/v1/documents/{sha256}, signed like events, serves the file
#   from the store (Range, HEAD), and nothing without the signature.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Uploads;
use Test::DVC::Citizen;
use Digest::SHA qw(sha256_hex);
use File::Temp ();

my $schemas = rules_schemas(File::Temp::tempdir(CLEANUP => 1));
$ENV{TEST_NGINX_RULES_SCHEMAS} = $schemas;
my $evkey = event_key_config();

add_block_preprocessor(sub {
    my $block = shift;
    $block->{init} = ["main::clear_store();"] unless exists $block->{init};
    $block->set_value(http_config => <<"EOF") unless defined $block->http_config;
    dvc_schemas \$TEST_NGINX_RULES_SCHEMAS;
    dvc_calendar \$TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key \$TEST_NGINX_KEY;
    dvc_documents \$TEST_NGINX_SERVROOT/documents;
$evkey
EOF
});
gateway_defaults();

# dossier_with (the example birth registration with these documents):
# t/lib/Test/DVC/Uploads.pm
sub submit_raw {
    my ($body) = @_;
    my $r = http_request("POST /dvc/v1/dossiers\n$body",
                         more_headers => "Content-Type: application/json");
    $r->{json} = eval { $J->decode($r->{body}) };
    return $r;
}

sub fetch {
    my ($sha, %o) = @_;
    my $target = "/dvc/v1/documents/$sha";
    my $h = $o{unsigned} ? "" : signed_headers("GET", $target, "", %o);
    return http_request(($o{method} // "GET") . " $target",
                        more_headers => $h . ($o{more} // ""));
}

run_tests();

__DATA__

=== TEST 1: a dossier listing two uploads is recorded; they lose their TTL and name it
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d1");
my $jpg = jpeg_file("d1");
is(upload("application/pdf", $pdf)->{status}, 201, "PDF uploaded");
is(upload("image/jpeg", $jpg)->{status}, 201, "JPEG uploaded");
my $r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf },
    { kind => "parents_marriage_certificate", type => "image/jpeg", body => $jpg }));
is($r->{status}, 201, "201") or diag($r->{body});
my $code = $r->{json}{code};
for my $b ($pdf, $jpg) {
    my $k = "dvc:up:" . sha256_hex($b);
    is(redis_cmd('TTL', $k), -1, "$k: no TTL any more");
    is(redis_cmd('HGET', $k, 'dossier'), $code, "$k: names the dossier");
}
my @e = inbox();
is(scalar @e, 1, "one inbox entry");
my $body = $J->decode($e[0]{body});
is_deeply([ map { [$_->{kind}, $_->{sha256}, $_->{size}, $_->{media_type}] } @{ $body->{documents} } ],
          [ ["birth_medical_certificate", sha256_hex($pdf), length $pdf, "application/pdf"],
            ["parents_marriage_certificate", sha256_hex($jpg), length $jpg, "image/jpeg"] ],
          "the inbox lists each document's kind, hash, size and type, as uploaded");
is_deeply($J->decode($e[0]{documents}),
          [ { kind => "birth_medical_certificate", sha256 => sha256_hex($pdf), size => length $pdf, type => "application/pdf", scan => "off" },
            { kind => "parents_marriage_certificate", sha256 => sha256_hex($jpg), size => length $jpg, type => "image/jpeg", scan => "off" } ],
          "and its documents field, as checked against the uploads (no dvc_clamd: scan off)");
--- no_error_log
[error]



=== TEST 2: hashes never uploaded, or expired: 422 document_not_uploaded per document, nothing recorded, no code used
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d2");
is(upload("application/pdf", $pdf)->{status}, 201, "one uploaded");
my $r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => "never uploaded" },
    { kind => "parents_marriage_certificate", type => "application/pdf", body => $pdf },
    { kind => "witness_statement", type => "image/png", body => "nor this" }));
is($r->{status}, 422, "422");
is($r->{json}{error}, "validation_failed", "validation_failed");
is_deeply([ map { [$_->{path}, $_->{code}] } @{ $r->{json}{violations} } ],
          [ ["/documents/0/sha256", "document_not_uploaded"],
            ["/documents/2/sha256", "document_not_uploaded"] ], "the two, by their paths");
like($r->{json}{violations}[0]{message}{vi}, qr/POST \/dvc\/v1\/uploads/, "a message that says what to do");
is(scalar @{ redis_cmd('KEYS', 'dvc:d:*') }, 0, "no dossier");
is(scalar @{ redis_cmd('KEYS', 'dvc:seq:*') }, 0, "no sequence number taken");
ok(redis_cmd('TTL', "dvc:up:" . sha256_hex($pdf)) > 0, "the good upload keeps its TTL");
# expired: the record is gone
redis_cmd('DEL', "dvc:up:" . sha256_hex($pdf));
$r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf }));
is($r->{json}{violations}[0]{code}, "document_not_uploaded", "expired: document_not_uploaded");
--- no_error_log
[error]



=== TEST 3: size or type other than the upload's; the kind's types and max_size
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d3");
my $big = pdf_file("d3big", 5000);
my $png = png_file("d3");
upload("application/pdf", $_) for $pdf, $big;
upload("image/png", $png);
my $r = main::submit_raw(main::dossier_with(
    { kind => "parents_marriage_certificate", type => "application/pdf", body => $pdf, size => length($pdf) + 1 },
    { kind => "parents_marriage_certificate", type => "image/jpeg", body => $png },
    { kind => "birth_medical_certificate", type => "image/png", body => $png },
    { kind => "birth_medical_certificate", type => "application/pdf", body => $big }));
is($r->{status}, 422, "422");
is_deeply([ map { [$_->{path}, $_->{code}] } @{ $r->{json}{violations} } ],
          [ ["/documents/0/sha256", "document_mismatch"],
            ["/documents/1/sha256", "document_mismatch"],
            ["/documents/2/sha256", "document_type"],
            ["/documents/3/sha256", "document_too_large"] ], "each its code");
is(scalar @{ redis_cmd('KEYS', 'dvc:d:*') }, 0, "no dossier");
--- no_error_log
[error]



=== TEST 4: Redis down when the documents are checked: 503, nothing recorded
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d4");
upload("application/pdf", $pdf);
redis_stop();
my $r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf }));
is($r->{status}, 503, "503");
redis_start();
--- error_log
redis unavailable



=== TEST 5: the back-end fetches a file, signed: 200 with its type; Range 206; HEAD
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d5", 10000);
my $sha = sha256_hex($pdf);
upload("application/pdf", $pdf);
my $r = main::fetch($sha);
is($r->{status}, 200, "200");
is($r->{body}, $pdf, "the file, byte for byte");
is($r->{headers}{'content-type'}[0], "application/pdf", "its type");
is($r->{headers}{'cache-control'}[0], "no-store", "never cached");
is($r->{headers}{'accept-ranges'}[0], "bytes", "ranges accepted");
$r = main::fetch($sha, more => "Range: bytes=0-7\n");
is($r->{status}, 206, "Range: 206");
is($r->{body}, "%PDF-1.7", "the first 8 bytes");
$r = main::fetch($sha, more => "Range: bytes=9990-\n");
is($r->{body}, substr($pdf, 9990), "the tail");
$r = main::fetch($sha, method => "HEAD");
is($r->{status}, 200, "HEAD 200");
is($r->{headers}{'content-length'}[0], length $pdf, "HEAD: its length");
my $png = png_file("d5");
upload("image/png", $png);
is(main::fetch(sha256_hex($png))->{headers}{'content-type'}[0], "image/png", "a PNG is image/png");
--- no_error_log
[error]



=== TEST 6: the fetch without a good signature: 401; an unknown or malformed hash: 404
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d6");
my $sha = sha256_hex($pdf);
upload("application/pdf", $pdf);
my $r = main::fetch($sha, unsigned => 1);
is($r->{status}, 401, "unsigned: 401");
is($J->decode($r->{body})->{error}, "signature_missing", "signature_missing");
unlike($r->{body}, qr/PDF/, "no byte of the file");
$r = main::fetch($sha, key => "0" x 64);
is($r->{status}, 401, "another key: 401");
is($J->decode($r->{body})->{error}, "signature_invalid", "signature_invalid");
$r = main::fetch($sha, ts => time - 3600);
is($J->decode($r->{body})->{error}, "signature_stale", "an hour old: signature_stale");
# a signature for another file does not open this one
my $other = "0" x 64;
my $h = signed_headers("GET", "/dvc/v1/documents/$other", "");
$r = http_request("GET /dvc/v1/documents/$sha", more_headers => $h);
is($r->{status}, 401, "signed for another hash: 401");
$r = main::fetch("f" x 64);
is($r->{status}, 404, "signed, unknown hash: 404");
$r = main::fetch(uc $sha);
is($r->{status}, 404, "upper case: not a hash of the store");
$r = main::fetch("..");
is($r->{status}, 400, "dot segment: bad_path");
$r = main::fetch("a/../../etc/passwd");
is($r->{status}, 400, "a path: bad_path");
$r = http_request("POST /dvc/v1/documents/$sha\nx");
is($r->{status}, 405, "POST: 405");
--- no_error_log
[alert]



=== TEST 7: a supplement's documents: checked like a submission's, after the token; claimed once applied
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d7");
upload("application/pdf", $pdf);
my $r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf }));
is($r->{status}, 201, "submitted") or diag($r->{body});
my ($code, $token) = ($r->{json}{code}, $r->{json}{lookup_token});
set_status($code, 5);
my $new = jpeg_file("d7");
my $body = main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf },
    { kind => "parents_marriage_certificate", type => "image/jpeg", body => $new });
# not uploaded yet: 422, but only to the dossier's owner
my $s = citizen_post($code, "supplement", "wrong-token-0000000000", $body);
is($s->{status}, 404, "a wrong token: 404, not the documents' 422");
$s = citizen_post($code, "supplement", $token, $body);
is($s->{status}, 422, "the owner: 422");
is($s->{json}{violations}[0]{path}, "/documents/1/sha256", "the new document");
is($s->{json}{violations}[0]{code}, "document_not_uploaded", "document_not_uploaded");
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 5, "still waiting for the supplement");
# uploaded: applied, the new upload is the dossier's
is(upload("image/jpeg", $new)->{status}, 201, "uploaded");
$s = citizen_post($code, "supplement", $token, $body);
is($s->{status}, 200, "200") or diag($s->{body});
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 1, "back at the desk");
my $k = "dvc:up:" . sha256_hex($new);
is(redis_cmd('TTL', $k), -1, "the new upload lost its TTL");
is(redis_cmd('HGET', $k, 'dossier'), $code, "and names the dossier");
--- no_error_log
[error]



=== TEST 8: a file a dossier holds, uploaded again: 201 as any upload; the dossier keeps it
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d8");
my $sha = sha256_hex($pdf);
my $k = "dvc:up:$sha";
is(upload("application/pdf", $pdf)->{status}, 201, "uploaded");
my $r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf }));
is($r->{status}, 201, "a dossier lists it") or diag($r->{body});
my $code = $r->{json}{code};
is(redis_cmd('TTL', $k), -1, "held: no TTL");
my $path = store_dir() . "/" . substr($sha, 0, 2) . "/$sha";
my $ino = (stat $path)[1];
# the citizen uploads the same scan again, for another dossier, with and
# without the kind's rules: the same answer as any upload, but that it
# never expires
for my $h ([], ["X-DVC-Procedure: 1.001193", "X-DVC-Document-Kind: birth_medical_certificate"]) {
    my $u = upload("application/pdf", $pdf, headers => $h);
    my $with = @$h ? "with the kind's rules" : "plain";
    is($u->{status}, 201, "again, $with: 201") or diag($u->{body});
    my $l = length $pdf;
    like($u->{body}, qr/^\{"sha256":"$sha","size":$l,"type":"application\/pdf","expires_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00"\}$/,
         "again, $with: its sha256, size, type and an expires_at, as any upload");
}
is(redis_cmd('TTL', $k), -1, "still no TTL");
is(redis_cmd('HGET', $k, 'dossier'), $code, "still the first dossier's");
is(redis_cmd('HGET', $k, 'size'), length $pdf, "its size kept");
is((stat $path)[1], $ino, "stored once: the same file, not replaced");
is(scalar(temp_files()), 0, "no temp file left");
# a second dossier may list it too
$r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf }));
is($r->{status}, 201, "a second dossier lists it") or diag($r->{body});
is(redis_cmd('HGET', $k, 'dossier'), $code, "the record still names the first");
--- no_error_log
[error]



=== TEST 9: an upload about to expire when a dossier is checked is kept 60 s, so it cannot lapse before the claim
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("d9");
my $k = "dvc:up:" . sha256_hex($pdf);
is(upload("application/pdf", $pdf)->{status}, 201, "uploaded");
redis_cmd('EXPIRE', $k, 2);
# checked (then refused for its other document): the record found is given 60 s
my $r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf },
    { kind => "parents_marriage_certificate", type => "application/pdf", body => "never uploaded" }));
is($r->{status}, 422, "refused for the other one");
my $ttl = redis_cmd('TTL', $k);
ok($ttl > 55 && $ttl <= 60, "the record it found now has 60 s ($ttl)");
# a longer TTL is never shortened; a held record keeps none
my $pdf2 = pdf_file("d9 long");
my $k2 = "dvc:up:" . sha256_hex($pdf2);
upload("application/pdf", $pdf2);
$r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf2 },
    { kind => "parents_marriage_certificate", type => "application/pdf", body => "never uploaded" }));
ok(redis_cmd('TTL', $k2) > 86000, "a record with hours left keeps them");
$r = main::submit_raw(main::dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf }));
is($r->{status}, 201, "the first one, listed alone: recorded") or diag($r->{body});
is(redis_cmd('TTL', $k), -1, "claimed: no TTL");
--- no_error_log
[error]
