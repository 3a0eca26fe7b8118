# Hostile input (issue 6): the catalogue, each with the answer expected (the
# module's 4xx JSON, or nginx's own answer where nginx refuses before any
# module runs, said so), the log line that records it, and no crash: every
# block also fails on [alert], [crit], "exited on signal" and any sanitizer
# report (the harness), and on a worker that died of a signal (below).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use utf8;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;

# bodies up to 32 MB reach the module, so its own limits answer (depth 64,
# strings 1 MiB); slow bodies time out after 1 s
gateway_defaults(extra_http => event_key_config()
    . "    client_max_body_size 32m;\n    client_body_timeout 1s;\n");

add_block_preprocessor(sub {
    my $block = shift;
    # a worker killed by a signal, or any [alert], is a crash whatever the
    # answers were
    $block->set_value(no_error_log => "exited on\n[alert]\nsignal 11\nsignal 6\nsignal 7\nsignal 8\n")
        unless defined $block->no_error_log;
});

our $EX = example("1.001612");
our $JSON = "Content-Type: application/json\n";

sub post_dossier { my ($body, %o) = @_;
    http_request("POST /dvc/v1/dossiers\n$body", more_headers => $o{headers} // $JSON, %o) }

# the module's JSON refusal
sub refused {
    my ($r, $status, $code, $what) = @_;
    is($r->{status}, $status, "$what: $status") or diag(substr($r->{body} // '', 0, 300));
    like($r->{headers}{'content-type'}[0] // '', qr{^application/json}, "$what: JSON");
    like($r->{body} // '', qr/^\{"error":"\Q$code\E"/, "$what: $code");
}

# a body with a piece replaced (bytes, not characters)
sub edit { my ($re, $with) = @_; my $b = $EX; utf8::encode($with) if utf8::is_utf8($with); $b =~ s/$re/$with/ or die "no $re"; $b }

# nginx's own HTML refusal, before any module
sub nginx_html {
    my ($r, $status, $what) = @_;
    is($r->{status}, $status, "$what: nginx answers $status itself");
    like($r->{body} // '', qr{<center>nginx</center>|<center>nginx/}, "$what: nginx's own page (the module never saw it)");
}

sub nothing_recorded { is(redis_cmd('XLEN', 'dvc:inbox'), 0, "$_[0]: nothing recorded, nothing sent to the back-end") }

run_tests();

__DATA__

=== TEST 1: empty, missing and truncated bodies: 400 with the byte offset
--- request
GET /dvc/v1/keys
--- post_init
main::refused(main::post_dossier("", headers => $main::JSON . "Content-Length: 0\n"), 400, 'json_syntax', 'empty body');
main::refused(http_request("POST /dvc/v1/dossiers", more_headers => $main::JSON), 400, 'json_syntax', 'no body at all');
my $r = main::post_dossier(substr($main::EX, 0, 60));
main::refused($r, 400, 'json_incomplete', 'cut at byte 60');
like($r->{body}, qr/"offset":60\b/, "cut at byte 60: offset 60");
$r = main::post_dossier(substr($main::EX, 0, length($main::EX) - 1));
main::refused($r, 400, 'json_incomplete', 'the last brace missing');
main::refused(main::post_dossier('{"procedure":"1.001612"'), 400, 'json_incomplete', 'cut after the procedure');
main::refused(main::post_dossier("$main::EX}"), 400, 'json_syntax', 'a brace too many');
main::refused(main::post_dossier("$main::EX $main::EX"), 400, 'json_syntax', 'two documents');
main::nothing_recorded('truncated bodies');
--- error_log eval
[qr/dvc: submission refused: malformed body \(json_syntax at byte 0\)/,
 qr/dvc: submission refused: malformed body \(json_incomplete at byte 60\)/]



=== TEST 2: a body that stops half way (Content-Length larger than what comes): nginx gives up, nothing recorded
--- request
GET /dvc/v1/keys
--- post_init
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die;
my $part = substr($main::EX, 0, 500);
print $s "POST /dvc/v1/dossiers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
       . "Content-Length: " . length($main::EX) . "\r\nConnection: close\r\n\r\n$part";
shutdown($s, 1);                      # the client stops sending
my $answer = do { local $/; <$s> } // '';
ok($answer eq '' || $answer =~ m{^HTTP/1\.1 400 }, "a 400 or nothing (the client is gone)")
    or diag(substr($answer, 0, 200));
main::nothing_recorded('a body cut by the client');
--- error_log
client prematurely closed connection



=== TEST 3: a body slower than client_body_timeout (1 s): nginx closes with 408 (no answer is sent), nothing recorded
--- config
    access_log logs/access-080.log;
    location /dvc/ { dvc_api; }
--- request
GET /dvc/v1/keys
--- post_init
# the client waits 20 s: only a hang lets it give up first (speed is not
# checked here; see bench/)
my $r = http_request(raw => "POST /dvc/v1/dossiers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                          . "Content-Length: 100000\r\nConnection: close\r\n\r\n{\"procedure\":", timeout => 20);
ok(!$r->{status} || $r->{status} == 408, "no answer (or 408): nginx's client_body_timeout")
    or diag("status $r->{status}");
ok(!$r->{timed_out}, sprintf("nginx closed the connection itself, not hung (%.1f s; the client would have waited 20 s)", $r->{elapsed}));
main::nothing_recorded('a slow body');
# nginx logs a body timeout only in the access log (status 408)
sleep 0.2;
my $log = do { local $/; open my $f, '<', servroot() . "/logs/access-080.log" or die; <$f> };
like($log, qr{"POST /dvc/v1/dossiers HTTP/1\.1" 408 }, "the access log records the 408");



=== TEST 4: over client_max_body_size (32 MB here): 413 in JSON, known length and chunked
--- request
GET /dvc/v1/keys
--- post_init
my $big = '{"procedure":"1.001612","x":"' . ('a' x (33 * 1024 * 1024)) . '"}';
my $r = main::post_dossier($big, timeout => 20);
main::refused($r, 413, 'body_too_large', '33 MB, Content-Length');
main::nothing_recorded('33 MB');
--- error_log
dvc: body over client_max_body_size refused
--- timeout: 20



=== TEST 5: nesting 100,000 deep: 400 limit_depth, inside a dossier or before the procedure
--- request
GET /dvc/v1/keys
--- post_init
# each request waits 20 s for its answer: a hang guard, not a speed target
# (the time is bench/strings/run.sh's; it is noted here, never asserted)
sub deep { my ($what, $body) = @_;
    my $r = main::post_dossier($body, timeout => 20);
    ok(!$r->{timed_out}, sprintf("%s: answered, not hung (%.2f s)", $what, $r->{elapsed}));
    main::refused($r, 400, 'limit_depth', $what);
    $r }
my $r = deep('arrays 100,000 deep in a dossier', '{"procedure":"1.001612","x":' . ('[' x 100000) . (']' x 100000) . '}');
like($r->{body}, qr/"offset":9[12]\b/, "the offset where depth 64 was passed");
deep('objects 100,000 deep', '{"procedure":"1.001612","x":' . ('{"a":' x 100000) . '1' . ('}' x 100000) . '}');
$r = deep('arrays 100,000 deep, no procedure', ('[' x 100000) . (']' x 100000));
like($r->{body}, qr/nesting deeper than 64/, "says why");
main::nothing_recorded('deep nesting');
--- error_log eval
[qr/malformed body \(limit_depth at byte 9[12]\)/]



=== TEST 6: a 10 MB string: 400 limit_string (strings stop at 1 MiB)
--- request
GET /dvc/v1/keys
--- post_init
# a hang guard only (the client waits 20 s).  Whether the parse is linear in
# the string's length (it was 13.6 s for 10 MB while yajl got the body buffer
# by buffer and rescanned the cut token) is measured side by side by
# bench/strings/run.sh, not by a timed test on a shared machine
my $r = main::post_dossier('{"procedure":"1.001612","note":"' . ('a' x 10_000_000) . '"}', timeout => 20);
ok(!$r->{timed_out}, sprintf("10 MB string: answered, not hung (%.1f s)", $r->{elapsed}));
main::refused($r, 400, 'limit_string', '10 MB string');
my $wide = '{"procedure":"1.001612","note":"' . ('á' x 600_000) . '"}';
utf8::encode($wide);
$r = main::post_dossier($wide, timeout => 20);
ok(!$r->{timed_out}, "1.2 MB of two-byte characters: answered, not hung");
main::refused($r, 400, 'limit_string', '1.2 MB of two-byte characters');
main::nothing_recorded('huge strings');
--- error_log eval
[qr/malformed body \(limit_string at byte \d+\)/]



=== TEST 7: invalid UTF-8 anywhere in the body, first or last buffer: 400 json_utf8 at its byte, never recorded
--- request
GET /dvc/v1/keys
--- post_init
my %bad = (
    "a 0xFF byte in a key"         => ["\"applicant\"", "\"appl\xFFcant\""],
    "a lone continuation byte"     => ["Xin nh", "Xin \x80nh"],
    "overlong '/' (C0 AF)"         => ["Xin nh", "Xin nh\xC0\xAF"],
    "overlong NUL (C0 80)"         => ["Xin nh", "Xin nh\xC0\x80"],
    "overlong 3-byte (E0 80 AF)"   => ["Xin nh", "Xin nh\xE0\x80\xAF"],
    "a UTF-16 surrogate (ED A0 80)" => ["Xin nh", "Xin nh\xED\xA0\x80"],
    "past U+10FFFF (F4 90 80 80)"  => ["Xin nh", "Xin nh\xF4\x90\x80\x80"],
    "a sequence cut short"         => ["Xin nh", "Xin nh\xE1\xBB"],
    "an unpaired \\ud800 escape"   => ["Xin nh", "Xin nh\\ud800"],
    "overlong early in the body"   => ["\"procedure\": \"1.001612\"", "\"procedure\": \"1.001612\", \"x\": \"\xC0\xAF\""],
);
for my $name (sort keys %bad) {
    my ($from, $to) = @{ $bad{$name} };
    my $b = $main::EX;
    my $at = index($b, $from);
    $at >= 0 or die "$name: no $from";
    substr($b, $at, length $from) = $to;
    my $r = main::post_dossier($b);
    main::refused($r, 400, 'json_utf8', $name);
}
main::nothing_recorded('invalid UTF-8');
--- error_log eval
[qr/malformed body \(json_utf8 at byte \d+\)/]



=== TEST 8: NUL bytes: raw in a string or after the document 400; escaped \u0000 is JSON text and stays text
--- request
GET /dvc/v1/keys
--- post_init
main::refused(main::post_dossier(main::edit(qr/Xin nh/, "Xin\x00nh")), 400, 'json_syntax', 'a raw NUL in a string');
main::refused(main::post_dossier("$main::EX\x00"), 400, 'json_syntax', 'a NUL after the document');
main::refused(main::post_dossier("\x00$main::EX"), 400, 'json_syntax', 'a NUL before the document');
main::nothing_recorded('raw NULs');
# \u0000 is a valid JSON escape: the note is text with a NUL character; the
# gateway keeps it as JSON (escaped) and never cuts at it
my $r = main::post_dossier(main::edit(qr/Xin nh/, 'Xin\u0000nh'));
is($r->{status}, 201, 'an escaped NUL in the note: accepted as text');
my ($e) = inbox();
like($e->{body}, qr/Xin\\u0000nh/, 'the inbox gets the body byte for byte, escape kept');
--- error_log eval
[qr/malformed body \(json_syntax at byte \d+\)/]



=== TEST 9: duplicate keys where the gateway reads one value: 400 json_duplicate_key (the validator and the back-end must not see different values)
--- request
GET /dvc/v1/keys
--- post_init
my %dup = (
    "procedure twice (at the start)" => [qr/^\{/, '{"procedure": "1.001193", '],
    "procedure twice (at the end)"   => [qr/"note"/, '"procedure": "1.001193", "note"'],
    "delivery twice"                 => [qr/"note"/, '"delivery": "online", "note"'],
    "applicant's name twice"         => [qr/("applicant": \{)/, '"applicant": {"full_name": "Nguyễn Văn Giả", '],
);
for my $name (sort keys %dup) {
    my $r = main::post_dossier(main::edit(@{ $dup{$name} }));
    main::refused($r, 400, 'json_duplicate_key', $name);
}
main::nothing_recorded('duplicate keys');
# a member the gateway itself does not read, given twice: the validator
# checks every occurrence, so whichever one a back-end keeps has passed
my $r = main::post_dossier(main::edit(qr/("postal_address": \{)/, '"postal_address": {"phone": "12345", '));
main::refused($r, 422, 'validation_failed', 'postal_address.phone twice, the first one invalid');
like($r->{body}, qr{"path":"/postal_address/phone"}, "the invalid occurrence is named");
main::nothing_recorded('a nested member twice');
--- error_log eval
[qr/malformed body \(json_duplicate_key at byte \d+\)/]



=== TEST 10: 1e999 and -0: exact, never Infinity or a float; bounds hold
--- request
GET /dvc/v1/keys
--- post_init
my $r = main::post_dossier(main::edit(qr/"employees": 3/, '"employees": 1e999'));
main::refused($r, 422, 'validation_failed', 'employees 1e999');
like($r->{body}, qr{"path":"/form/employees","keyword":"[^"]*maximum"}, "1e999 is over the maximum of 10,000");
$r = main::post_dossier(main::edit(qr/"employees": 3/, '"employees": -1e999'));
main::refused($r, 422, 'validation_failed', 'employees -1e999');
$r = main::post_dossier(main::edit(qr/"employees": 3/, '"employees": 1e-999'));
main::refused($r, 422, 'validation_failed', 'employees 1e-999 (not an integer)');
like($r->{body}, qr{"path":"/form/employees","keyword":"[^"]*type"}, "1e-999 is not an integer");
$r = main::post_dossier(main::edit(qr/"capital": 150000000/, '"capital": -0'));
main::refused($r, 422, 'validation_failed', 'capital -0');
like($r->{body}, qr{"path":"/form/capital","keyword":"[^"]*minimum"}, "-0 is under the minimum of 1");
main::nothing_recorded('bad numbers');
# -0 where 0 is allowed is 0: accepted, and the back-end gets the text as sent
$r = main::post_dossier(main::edit(qr/"employees": 3/, '"employees": -0'));
is($r->{status}, 201, 'employees -0 (= 0): accepted');
my ($e) = inbox();
like($e->{body}, qr/"employees": -0,/, 'the inbox body keeps -0 as sent');



=== TEST 11: wrong, missing and odd content types: 415 in JSON
--- request
GET /dvc/v1/keys
--- post_init
for my $ct ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/jsonx", "application/json-patch+json", "json", "") {
    my $h = length $ct ? "Content-Type: $ct\n" : "";
    main::refused(main::post_dossier($main::EX, headers => $h), 415, 'unsupported_media_type', "Content-Type \"$ct\"");
}
main::nothing_recorded('wrong types');
# parameters do not change JSON (RFC 8259 defines none): accepted
my $r = main::post_dossier($main::EX, headers => "Content-Type: application/json; charset=utf-8\n");
is($r->{status}, 201, "application/json; charset=utf-8: accepted");
$r = main::post_dossier($main::EX, headers => "Content-Type: Application/JSON\n");
is($r->{status}, 201, "Application/JSON (case-insensitive): accepted");
--- error_log
dvc: submission with content type "text/plain" refused



=== TEST 12: chunked bodies: a valid one recorded, a malformed one and chunked + Content-Length refused by nginx (HTML 400)
--- request
GET /dvc/v1/keys
--- post_init
my $head = "POST /dvc/v1/dossiers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n";
# many small chunks, split inside UTF-8 sequences
my $body = $main::EX;
my $chunked = '';
for (my $i = 0; $i < length $body; $i += 7) { my $c = substr($body, $i, 7); $chunked .= sprintf("%x\r\n%s\r\n", length $c, $c) }
my $r = http_request(raw => "${head}Transfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n");
is($r->{status}, 201, "7-byte chunks: recorded");
$r = http_request(raw => "${head}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
main::nginx_html($r, 400, 'a malformed chunk size');
$r = http_request(raw => "${head}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
main::nginx_html($r, 400, 'chunked and Content-Length together (request smuggling)');
$r = http_request(raw => "${head}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
ok($r->{status} == 501 || $r->{status} == 400, "an unknown transfer coding: nginx refuses it ($r->{status})");
$r = http_request(raw => "${head}Transfer-Encoding: chunked\r\n\r\n" . sprintf("%x\r\n", 33 * 1024 * 1024) . "abc", timeout => 5);
is($r->{status}, 413, "a chunk announcing 33 MB: 413 before it is read");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "only the valid one was recorded");
--- error_log eval
["client sent invalid chunked body",
 qr/client sent "Content-Length" and "Transfer-Encoding" headers at the same time/]



=== TEST 13: oversized headers and request lines: nginx's own 400/414 (HTML: nginx refuses before any location runs)
--- request
GET /dvc/v1/keys
--- post_init
main::nginx_html(http_request("GET /dvc/v1/keys", more_headers => "X-Big: " . ("a" x 20000) . "\n"), 400, 'a 20 KB header');
main::nginx_html(http_request("GET /dvc/v1/dossiers/000.00.10.H47-261121-0001", more_headers => "X-DVC-Lookup-Token: " . ("A" x 20000) . "\n"), 400, 'a 20 KB token header');
main::nginx_html(http_request("GET /dvc/v1/dossiers/" . ("9" x 20000)), 414, 'a 20 KB URI');
main::nginx_html(http_request("GET /dvc/v1/keys", more_headers => join('', map { "X-H$_: v\n" } 1 .. 2000)), 400, '2,000 headers');
--- error_log eval
[qr/client sent too long header line/, qr/client sent too long URI/]



=== TEST 14: odd and overlong codes and tokens in URIs: 400 bad_code or the uniform 404, in JSON
--- request
GET /dvc/v1/keys
--- post_init
for my $code ("9" x 2000, "000.00.10.H47-261121-00011", "000.00.10.H47-261121-001",
              "000.00.10.H47-261321-0001", "000.00.10.h47-261121-0001", "%E2%80%AE000.00.10.H47-261121-0001",
              "000.00.10.H47-261121-0001%20", "000.00.10.H47%2D261121%2D0001x", "'%20OR%201=1--",
              "%7B%22%24ne%22%3A1%7D", "dvc:d:*", "*", "%2A%3F[a-z]") {
    my $r = http_request("GET /dvc/v1/dossiers/$code", more_headers => "X-DVC-Lookup-Token: AAAAAAAAAAAAAAAAAAAAAA\n");
    ok($r->{status} == 400 || $r->{status} == 404, "code \"" . substr($code, 0, 40) . "\": 400 or 404 ($r->{status})");
    like($r->{body}, qr/^\{"error":"(?:bad_code|not_found|unknown_endpoint)"/, "code \"" . substr($code, 0, 40) . "\": JSON");
}
my $ok = "000.00.10.H47-261121-0001";
for my $token ("A" x 7000, "%00", "AAAA%0d%0aX-Injected:%201", "\xff\xfe", "../../etc/passwd", "*") {
    my $r = http_request("GET /dvc/v1/dossiers/$ok?token=$token");
    main::refused($r, 404, 'not_found', "token \"" . substr($token, 0, 30) . "\"");
    ok(!exists $r->{headers}{'x-injected'}, "no header injected");
}
ok(!@{ redis_cmd('KEYS', '*') }, "no key created by any of them");
--- error_log eval
[qr/dvc: lookup of a malformed code \(2000 bytes\)/]



=== TEST 15: path traversal: nginx normalizes the URI first; what resolves into the API is refused 400 bad_path (TEST 15b), what resolves elsewhere is not a file
--- request
GET /dvc/v1/keys
--- post_init
# resolved below /dvc/: the API refuses the path as sent, in JSON
for my $u ("/dvc/v1/procedures/..%2f..%2fschemas", "/dvc/v1/procedures/../../dvc/schemas",
           "/dvc/v1/dossiers/000.00.10.H47-261121-0001/..%2F..%2Fkeys%2F..%2Fsigning.pem") {
    my $r = http_request("GET $u");
    main::refused($r, 400, 'bad_path', $u);
    unlike($r->{body}, qr/\$schema|BEGIN .*KEY/, "$u: no file content");
}
# resolved outside /dvc/: not ours (nginx's default location, no such file)
for my $u ("/dvc/v1/dossiers/../../../etc/passwd", "/dvc/v1/dossiers/..%2f..%2f..%2fetc%2fpasswd",
           "/dvc/v1/dossiers/000.00.10.H47-261121-0001/..%2F..%2Fkeys%2F..%2F..%2F..%2Fetc%2Fshadow") {
    my $r = http_request("GET $u");
    is($r->{status}, 404, "$u: 404 outside the API");
    unlike($r->{body}, qr/root:/, "$u: no /etc/passwd");
}
# above the root, or with a NUL: nginx refuses the request line (HTML 400)
main::nginx_html(http_request("GET /../../etc/passwd"), 400, 'above the root');
main::nginx_html(http_request("GET /dvc/v1/procedures/%00"), 400, 'a %00 in the path');
main::nginx_html(http_request("GET /dvc/v1/dossiers/000.00.10.H47-261121-0001%00"), 400, 'a %00 after a code');
my $r = http_request("GET /dvc/v1/procedures/" . ("1" x 3000));
main::refused($r, 404, 'unknown_procedure', 'a 3,000-character procedure code');
--- error_log eval
[qr/client sent invalid request while reading client request line/, qr/dvc: path refused \(bad_path\)/]



=== TEST 15b: an encoded slash or backslash, a dot segment however spelt, or "//" in the path: 400 bad_path before routing, the signature or Redis; one line; nothing recorded
--- request
GET /dvc/v1/keys
--- post_init
my $c = submit_dossier("1.001612")->{code};
my ($tok) = ();
my $before = dossier($c);
redis_cmd('CONFIG', 'RESETSTAT');
my @bad = (
    [ "GET /dvc/v1/dossiers/000.00.10.H47%2F261121-0001",  "an encoded slash" ],
    [ "GET /dvc/v1/dossiers/000.00.10.H47%2f261121-0001",  "an encoded slash" ],
    [ "GET /dvc/v1%2Fkeys",                                "an encoded slash" ],
    [ "GET /dvc/v1/dossiers/$c%5C",                        "an encoded backslash" ],
    [ "GET /dvc/v1/dossiers/$c%5creceipt",                 "an encoded backslash" ],
    [ "GET /dvc/v1/dossiers/%2e%2e/keys",                  "a dot segment" ],
    [ "GET /dvc/v1/dossiers/%2E%2E/keys",                  "a dot segment" ],
    [ "GET /dvc/v1/dossiers/.%2e/keys",                    "a dot segment" ],
    [ "GET /dvc/v1/dossiers/%2E./keys",                    "a dot segment" ],
    [ "GET /dvc/v1/%2e/keys",                              "a dot segment" ],
    [ "GET /dvc/v1/./keys",                                "a dot segment" ],
    [ "GET /dvc/v1/dossiers/../keys",                      "a dot segment" ],
    [ "GET /dvc/v1/dossiers/$c/%2e%2e",                    "a dot segment" ],
    [ "GET /dvc//v1/keys",                                 "an empty segment" ],
    [ "GET /dvc/v1/dossiers//$c",                          "an empty segment" ],
    [ "GET /elsewhere/..%2Fdvc/v1/keys",                   "an encoded slash" ],   # resolves into the API
    [ "GET /elsewhere/%2e%2e/dvc/v1/keys",                 "a dot segment" ],
    # the citizen's actions, a submission and events: refused before the body is read
    [ "POST /dvc/v1/dossiers/$c%2Fwithdrawal\n{}",         "an encoded slash" ],
    [ "POST /dvc/v1/dossiers/x/..%2F$c/rating\n{\"rating\":3}", "an encoded slash" ],
    [ "POST /dvc/v1/./dossiers\n" . example("1.001612"),   "a dot segment" ],
    [ "POST /dvc/v1/dossiers/x/%2E%2E/$c/events\n{}",      "a dot segment" ],
);
for my $b (@bad) {
    my ($req, $why) = @$b;
    (my $line = $req) =~ s/\n.*//s;
    my $r = http_request($req, more_headers => $main::JSON . "X-DVC-Lookup-Token: x\n");
    main::refused($r, 400, 'bad_path', $line);
}
# an event signed over the target as sent, which nginx would route to $c's
# events: the signature is not even looked at
my $target = "/dvc/v1/dossiers/000.00.10.H47-261121-0001%2F..%2F$c/events";
my $body = '{"id":"evt-path-1","type":"accept"}';
my $r = http_request("POST $target\n$body", more_headers => $main::JSON . signed_headers("POST", $target, $body));
main::refused($r, 400, 'bad_path', 'a signed event whose path has encoded slashes');
# nothing reached Redis, nothing changed
unlike(redis_cmd('INFO', 'commandstats'), qr/cmdstat_(?:hmget|evalsha|eval|hset|xadd|multi|incr|set)/, "no refusal reached Redis");
is_deeply(dossier($c), $before, "the dossier is unchanged");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "the inbox holds only the submission made before");
my @lines = grep { /dvc: path refused \(bad_path\)/ } split /\n/, block_error_log();
is(scalar @lines, @bad + 1, "one line per refusal");
like($lines[0], qr/dvc: path refused \(bad_path\): an encoded slash, "\/dvc\/v1\/dossiers\/000\.00\.10\.H47%2F", client/, "the line says what and where, the path cut after it");
for my $i (0 .. $#bad) {
    like($lines[$i] // '', qr/\(bad_path\): \Q$bad[$i][1]\E, /, "line " . ($i + 1) . ": $bad[$i][1]");
}
# what changes no segment is routed as before
my %fine = (
    "GET /dvc/v1/k%65ys"                      => 200,   # an encoded letter
    "GET /dvc/v1/procedures/..."              => 404,   # three dots are a name
    "GET /dvc/v1/procedures/.hidden"          => 404,
    "GET /dvc/v1/stats/"                      => 404,   # a trailing slash is no empty segment
    "GET /dvc/v1/stats?from=2026-01-01&to=2026-01-31&agency=..%2F..%2Fx" => 400,   # the query is not the path
);
for my $u (sort keys %fine) {
    my $r = http_request($u);
    is($r->{status}, $fine{$u}, "$u: $fine{$u}");
    unlike($r->{body}, qr/bad_path/, "$u: not bad_path");
}
--- error_log eval
[qr/dvc: path refused \(bad_path\): an encoded backslash, "\/dvc\/v1\/dossiers\/[^"]+%5C"/]



=== TEST 16: hostile bodies on the citizen's actions and events: the same refusals, nothing applied
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my ($c, $t) = ($d->{code}, $d->{lookup_token});
# bytes, not Perl characters: the hostile bytes go out as they are.  The
# actions' codes: invalid UTF-8 is 400 json_utf8 as for a submission, a field
# repeated or of the wrong shape 422 invalid_field (docs/api.md)
my %bodies = (
    "a 0xFF byte in the reason"     => ["{\"reason\":\"Toi muon \xFF rut\"}", 400, 'json_utf8'],
    "overlong UTF-8 in the reason"  => ["{\"reason\":\"Toi muon \xC0\xAF rut\"}", 400, 'json_utf8'],
    "a surrogate in the reason"     => ["{\"reason\":\"Toi muon \xED\xA0\x80 rut\"}", 400, 'json_utf8'],
    "nesting 20,000 deep"           => ['{"reason":' . ('[' x 20000) . (']' x 20000) . '}', 422, 'invalid_field'],
    "truncated"                     => ['{"reason":"Toi muon', 400, 'json_syntax'],
    "duplicate reason"              => ['{"reason":"Toi muon rut ho so","reason":"A B"}', 422, 'invalid_field'],
    "1 MB reason"                   => ['{"reason":"' . ('a ' x 500_000) . '"}', 413, 'body_too_large'],
);
for my $name (sort keys %bodies) {
    my ($body, $status, $code) = @{ $bodies{$name} };
    my $r = citizen_post($c, "withdrawal", $t, $body);
    is($r->{status}, $status, "withdrawal, $name: $status") or diag(substr($r->{body}, 0, 200));
    like($r->{body}, qr/^\{"error":"\Q$code\E"/, "withdrawal, $name: $code") if $code;
    like($r->{headers}{'content-type'}[0] // '', qr{^application/json}, "withdrawal, $name: JSON");
    # the same body as a signed event
    my $target = "/dvc/v1/dossiers/$c/events";
    my $e = http_request("POST $target\n$body", more_headers => $main::JSON . signed_headers("POST", $target, $body));
    ok($e->{status} >= 400 && $e->{status} < 500, "event, $name: refused ($e->{status})");
    like($e->{headers}{'content-type'}[0] // '', qr{^application/json}, "event, $name: JSON");
}
is(dossier($c)->{status}, 1, "the dossier is untouched");
is(dossier($c)->{ver} // 0, 0, "nothing applied");



=== TEST 17: replayed events: the same signed request again is answered from the record, applied once; replayed elsewhere or late it is refused
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my $c = $d->{code};
my $other = submit_dossier("1.001612")->{code};
my $body = '{"id":"evt-replay-1","type":"accept","actor":"Bộ phận Một cửa"}';
utf8::encode($body);
my $target = "/dvc/v1/dossiers/$c/events";
my $ts = time;
my $headers = $main::JSON . signed_headers("POST", $target, $body, ts => int $ts);
my $first = http_request("POST $target\n$body", more_headers => $headers);
is($first->{status}, 200, "the event: applied");
my $ver = dossier($c)->{ver};
# the very same bytes, as an attacker who captured them would send them
for my $n (1 .. 3) {
    my $again = http_request("POST $target\n$body", more_headers => $headers);
    is($again->{status}, 200, "replay $n: 200");
    is($again->{body}, $first->{body}, "replay $n: the first answer, byte for byte");
}
is(dossier($c)->{ver}, $ver, "applied once (ver unchanged)");
is(scalar(grep { ($_->{status} // '') eq 'accepted' } @{ JSON::PP->new->decode(dossier($c)->{history}) }), 1, "one acceptance in the history");
# the captured request sent to another dossier: its path is signed
my $t2 = "/dvc/v1/dossiers/$other/events";
my $r = http_request("POST $t2\n$body", more_headers => $headers);
is($r->{status}, 401, "replayed against another dossier: 401");
like($r->{body}, qr/"error":"signature_invalid"/, "signature_invalid");
is(dossier($other)->{status}, 1, "the other dossier is untouched");
# the same event id with another body (a tampered replay, re-signed by the
# back-end's key itself): 409, not applied
(my $b2 = $body) =~ s/"actor":"[^"]*"/"actor":"Van thu UBND phuong"/;
$r = http_request("POST $target\n$b2", more_headers => $main::JSON . signed_headers("POST", $target, $b2));
is($r->{status}, 409, "the id again with another body: 409");
like($r->{body}, qr/"error":"event_id_reused"/, "event_id_reused");
# a capture replayed after the 300 s window (its timestamp is old)
my $old = int($ts) - 301;
my $late = http_request("POST $t2\n$body", more_headers => $main::JSON . signed_headers("POST", $t2, $body, ts => $old));
is($late->{status}, 401, "a request signed 301 s ago: 401");
like($late->{body}, qr/"error":"signature_stale"/, "signature_stale");
--- error_log eval
[qr/refused: signature_invalid/, qr/refused: signature_stale/]



=== TEST 18: forged receipts and acknowledgements do not verify against the published keys (jwcrypto and dvc verify)
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001193");                 # accepted at once: it has a receipt
ok($d->{receipt}, "a receipt to forge");
my $dir = servroot() . "/forge";
mkdir $dir;
my $jwks = http_request("GET /dvc/v1/keys")->{body};
open my $f, '>', "$dir/jwks.json" or die; print $f $jwks; close $f;
my $root = repo_root();
my $verify_py = sub { my ($jws) = @_;
    open my $o, '>', "$dir/jws" or die; print $o $jws; close $o;
    system("/usr/bin/python3 $root/t/util/jws_verify.py $dir/jwks.json < $dir/jws > $dir/out 2>&1") == 0 };
my $verify_dvc = sub { my ($jws) = @_;
    open my $o, '>', "$dir/jws" or die; print $o $jws; close $o;
    system("$root/build/dvc verify - --jwks $dir/jwks.json < $dir/jws > $dir/out 2>&1") == 0 };
my $forge = sub { my ($mode, $jws) = @_;
    open my $o, '>', "$dir/jws" or die; print $o $jws; close $o;
    my $out = `/usr/bin/python3 $root/t/util/jws_forge.py $mode $dir/jwks.json < $dir/jws`;
    $? == 0 or die "jws_forge.py $mode failed";
    chomp $out; $out };
for my $doc (qw(receipt acknowledgement)) {
    my $jws = $d->{$doc};
    ok($verify_py->($jws), "$doc: the genuine one verifies (jwcrypto)");
    ok($verify_dvc->($jws), "$doc: the genuine one verifies (dvc verify)");
    for my $mode (qw(payload foreign none hs256)) {
        my $forged = $forge->($mode, $jws);
        isnt($forged, $jws, "$doc, $mode: a different document");
        ok(!$verify_py->($forged), "$doc, $mode: refused by jwcrypto");
        ok(!$verify_dvc->($forged), "$doc, $mode: refused by dvc verify");
    }
}
# the citizen's copy from the gateway is the genuine one, whatever was forged
my $rc = http_request("GET /dvc/v1/dossiers/$d->{code}/receipt", more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}\n");
like($rc->{body}, qr/"receipt":"\Q$d->{receipt}\E"/, "GET .../receipt gives the signed original");



=== TEST 19: malformed signature headers on events: 401 signature_missing, one line each, no crash
--- request
GET /dvc/v1/keys
--- post_init
my $c = submit_dossier("1.001612")->{code};
my $target = "/dvc/v1/dossiers/$c/events";
my $body = '{"id":"evt-h-1","type":"accept"}';
my $good = signed_headers("POST", $target, $body);
my ($sig) = $good =~ /X-DVC-Signature: (\S+)/;
my $now = time;
my %h = (
    "timestamp 1e10"                => "X-DVC-Timestamp: 1e10\nX-DVC-Signature: $sig\n",
    "timestamp -1"                  => "X-DVC-Timestamp: -1\nX-DVC-Signature: $sig\n",
    "timestamp of 30 digits"        => "X-DVC-Timestamp: " . ("9" x 30) . "\nX-DVC-Signature: $sig\n",
    "timestamp in hex"              => "X-DVC-Timestamp: 0x10\nX-DVC-Signature: $sig\n",
    "timestamp with a space"        => "X-DVC-Timestamp: 12 34\nX-DVC-Signature: $sig\n",
    "empty signature"               => "X-DVC-Timestamp: $now\nX-DVC-Signature: \n",
    "v2= signature"                 => "X-DVC-Timestamp: $now\nX-DVC-Signature: v2=" . ("a" x 64) . "\n",
    "signature not hex"             => "X-DVC-Timestamp: $now\nX-DVC-Signature: v1=" . ("z" x 64) . "\n",
    "signature of 4 KB"             => "X-DVC-Timestamp: $now\nX-DVC-Signature: v1=" . ("a" x 4096) . "\n",
);
for my $name (sort keys %h) {
    my $r = http_request("POST $target\n$body", more_headers => $main::JSON . $h{$name});
    is($r->{status}, 401, "$name: 401");
    like($r->{body}, qr/^\{"error":"signature_(?:missing|stale|invalid)"/, "$name: a signature error in JSON");
}
# two signature headers, the first one right: ambiguous, refused (neither
# copy is believed; t/060 TEST 23 goes through the variants)
my $r = http_request("POST $target\n$body", more_headers => $main::JSON . $good . "X-DVC-Signature: v1=" . ("0" x 64) . "\n");
is($r->{status}, 401, "two X-DVC-Signature headers: 401");
like($r->{body}, qr/^\{"error":"signature_ambiguous"/, "two X-DVC-Signature headers: signature_ambiguous");
is(dossier($c)->{status}, 1, "nothing applied");
--- error_log eval
[qr/refused: signature_missing/, qr/refused: signature_ambiguous \(X-DVC-Signature given more than once\)/]
