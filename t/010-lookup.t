# Status lookup: GET /dvc/v1/dossiers/{code} answered by nginx from Redis
# (issue 2).  Written from the contract: docs/redis.md for the key schema, the
# issue for the answers.  Real nginx, real redis-server, no mocks.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Encode ();
use JSON::PP ();
use Time::Local qw(timegm);
use Time::HiRes ();

our $CODE  = '000.00.10.H47-261121-0001';
our $TOKEN = 'Kq7mZ2xP9tRw4LbV';          # distinctive: searched for in logs
our $CODE2 = '000.00.53.H48-220921-0099';
our $TOKEN2 = 'Yh3nC8sD1fGj6QaE';

# Every block talks to the module under /dvc/ with a short Redis timeout,
# unless it says otherwise.
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(http_config => "    dvc_redis_timeout 300ms;\n")
        unless defined $block->http_config;
    $block->set_value(config => "    location /dvc/ { dvc_api; }\n")
        unless defined $block->config;
});

# ---------------------------------------------------------------- test data

sub u { Encode::decode('UTF-8', $_[0]) }

# Vietnam wall time of a Unix time, as docs/redis.md writes it.
sub vn_time {
    my @t = gmtime($_[0] + 7 * 3600);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02d+07:00',
        $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
}

our $SUBMITTED_TS = timegm(2, 15, 2, 21, 10, 2026);   # 09:15:02 +07:00
our @STATUSES = (
    [ 1,  'submitted',            'Mới đăng ký', 'Submitted' ],
    [ 2,  'accepted',             'Được tiếp nhận', 'Accepted' ],
    [ 3,  'refused',              'Không được tiếp nhận', 'Refused' ],
    [ 4,  'processing',           'Đang xử lý', 'Processing' ],
    [ 5,  'supplement_requested', 'Yêu cầu bổ sung giấy tờ', 'Supplement requested' ],
    [ 6,  'payment_required',     'Yêu cầu thực hiện nghĩa vụ tài chính', 'Payment required' ],
    [ 7,  'withdrawal_requested', 'Công dân yêu cầu rút hồ sơ', 'Withdrawal requested' ],
    [ 8,  'stopped',              'Dừng xử lý', 'Processing stopped' ],
    [ 9,  'resolved',             'Đã xử lý xong', 'Resolved' ],
    [ 10, 'returned',             'Đã trả kết quả', 'Result returned' ],
);

our $HISTORY_SUBMITTED = '[{"at":"2026-11-21T09:15:02+07:00","status":"submitted",'
    . '"status_number":1,"actor":"citizen"}]';

our $HISTORY_SUPPLEMENT = '[{"at":"2026-11-21T09:15:02+07:00","status":"submitted",'
    . '"status_number":1,"actor":"citizen"},'
    . '{"at":"2026-11-21T10:02:40+07:00","status":"accepted","status_number":2,'
    . '"actor":"officer"},'
    . '{"at":"2026-11-23T14:30:00+07:00","status":"supplement_requested",'
    . '"status_number":5,"actor":"officer","reason":"Bản sao giấy khai sinh '
    . 'chưa được chứng thực \"hợp lệ\"","documents":["Bản sao có chứng thực '
    . 'Giấy khai sinh","Sổ hộ khẩu"]}]';

# HSET command for one dossier hash; %f overrides fields (undef drops one).
sub dossier {
    my (%f) = @_;
    my $code = delete $f{code} // $CODE;
    my $token = delete $f{token} // $TOKEN;
    my %h = (
        code         => $code,
        procedure    => '1.000001',
        agency       => substr($code, 0, 13),
        status       => 1,
        delivery     => 'online',
        submitted_at => vn_time($SUBMITTED_TS),
        submitted_ts => $SUBMITTED_TS,
        updated_at   => vn_time($SUBMITTED_TS),
        token_sha256 => Digest::SHA::sha256_hex($token),
        body_sha256  => Digest::SHA::sha256_hex('{"ho_ten":"Nguyễn Văn A"}'),
        history      => $HISTORY_SUBMITTED,
        ack          => 'eyJhbGciOiJFZERTQSJ9.e30.c2ln',
        %f,
    );
    delete @h{ grep { !defined $h{$_} } keys %h };
    return [ 'HSET', "dvc:d:$code", map { $_ => $h{$_} } sort keys %h ];
}

sub lookup { my ($code, $token) = @_;
    return "GET /dvc/v1/dossiers/$code" . (defined $token ? "?token=$token" : '');
}

# ---------------------------------------------------------------- checks

sub json_of {
    my ($r) = @_;
    my $j = eval { JSON::PP->new->utf8->decode($r->{body} // '') };
    ok(ref $j eq 'HASH', "body is a JSON object")
        or diag("body: " . ($r->{body} // '(none)') . "\n$@");
    return $j || {};
}

sub is_error_json {
    my ($r, $code, $what) = @_;
    my $j = json_of($r);
    is($j->{error}, $code, "$what: error is '$code'");
    ok(ref $j->{message} eq 'HASH' && length($j->{message}{vi} // '')
       && length($j->{message}{en} // ''),
       "$what: message has vi and en");
    like($r->{headers}{'content-type'}[0] // '',
         qr{^application/json; charset=utf-8$}i, "$what: JSON content type");
    return $j;
}

# The module's own log lines at a level a sysadmin sees (not debug).
sub dvc_log_lines {
    return grep { /\[(?:info|notice|warn|error|crit|alert)\] \d+#\d+: (?:\*\d+ )?dvc: / }
           split /\n/, block_error_log();
}

# The module's own lines (prefixed "dvc:", at any level, debug included) that
# contain the token.  nginx itself prints the request line (with the query
# string) in its debug lines and appends `request: "..."` to any line logged
# for a request: those parts are nginx's, not the module's, and are removed
# before looking (see t/README.md; a lookup token in the query string does
# reach nginx's logs that way, the header does not).
sub token_leaks {
    my ($token) = @_;
    my @leaks;
    for my $l (split /\n/, block_error_log()) {
        next if index($l, $token) < 0;
        next unless $l =~ /\] \d+#\d+: (?:\*\d+ )?dvc/;
        (my $stripped = $l) =~ s/, request: "(?:[^"\\]|\\.)*"//g;
        push @leaks, $l if index($stripped, $token) >= 0;
    }
    return @leaks;
}

# Commands Redis ran since the last CONFIG RESETSTAT, leaving out the
# connection set-up and the harness's own (name => calls).
sub redis_data_commands {
    my %calls;
    for (split /\r?\n/, redis_cmd('INFO', 'commandstats')) {
        $calls{$1} = $2 if /^cmdstat_([a-z|]+):calls=(\d+)/;
    }
    delete @calls{ grep { /^(?:ping|auth|select|client|hello|info|config)\b/ }
                   keys %calls };
    return %calls;
}

run_tests();

__DATA__

=== TEST 1: lookup hit with the token in the query: the whole answer
--- redis eval
[ dossier() ]
--- init
redis_cmd('CONFIG', 'RESETSTAT');
--- request eval
main::lookup($main::CODE, $main::TOKEN)
--- error_code: 200
--- response_headers
Content-Type: application/json; charset=utf-8
Cache-Control: no-store
--- response_body_like: "status":"submitted"
--- post_init
my %calls = redis_data_commands();
like(join(',', map { "$_=$calls{$_}" } sort keys %calls), qr/^(?:hgetall|hmget)=1$/,
     'one command reading the dossier hash answers the lookup (one round trip)');
my ($r) = responses();
my $j = json_of($r);
my $want = {
    code          => $CODE,
    procedure     => '1.000001',
    agency        => '000.00.10.H47',
    status        => 'submitted',
    status_number => 1,
    status_name   => { vi => u('Mới đăng ký'), en => 'Submitted' },
    delivery      => 'online',
    submitted_at  => '2026-11-21T09:15:02+07:00',
    accepted_at   => undef,
    due_at        => undef,
    updated_at    => '2026-11-21T09:15:02+07:00',
    overdue       => JSON::PP::false,
    history       => JSON::PP->new->decode($HISTORY_SUBMITTED),
};
my @missing = grep { !exists $j->{$_} } sort keys %$want;
is("@missing", '', 'every field of the contract is present (null ones too)');
is_deeply({ map { $_ => $j->{$_} } keys %$want }, $want, 'answer matches the dossier');
ok(JSON::PP::is_bool($j->{overdue}), 'overdue is a JSON boolean');
for my $secret (qw(token token_sha256 body_sha256 submitted_ts)) {
    ok(!exists $j->{$secret}, "no '$secret' in the answer");
}
unlike($r->{body}, qr/\Q$TOKEN\E/, 'the token is not echoed');
unlike($r->{body}, qr/[0-9a-f]{64}/, 'no hash is exposed');
--- no_error_log
[error]
[warn]



=== TEST 2: lookup hit with the token in X-DVC-Lookup-Token; HEAD too
--- redis eval
[ dossier() ]
--- more_headers eval
"X-DVC-Lookup-Token: $main::TOKEN"
--- request eval
[ main::lookup($main::CODE), "HEAD /dvc/v1/dossiers/$main::CODE" ]
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr/"code":"\Q$main::CODE\E"/, undef ]
--- response_body eval
[ undef, "" ]
--- response_headers eval
[ "Content-Type: application/json; charset=utf-8\nCache-Control: no-store",
  "Content-Type: application/json; charset=utf-8" ]
--- no_error_log
[error]



=== TEST 3: accepted dossier past its due time is overdue; times are passed through
--- redis eval
my $now = time;
[ dossier(status => 2,
          accepted_at => main::vn_time($now - 3 * 86400),
          accepted_ts => $now - 3 * 86400,
          due_at => main::vn_time($now - 3600), due_ts => $now - 3600,
          updated_at => main::vn_time($now - 3 * 86400)) ]
--- request eval
main::lookup($main::CODE, $main::TOKEN)
--- error_code: 200
--- post_init
my $j = json_of((responses())[0]);
my $now = time;
is($j->{status}, 'accepted', 'status slug');
is($j->{status_number}, 2, 'status number');
is_deeply($j->{status_name}, { vi => u('Được tiếp nhận'), en => 'Accepted' }, 'status names');
like($j->{accepted_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/, 'accepted_at set');
ok(defined $j->{due_at} && $j->{due_at} lt vn_time($now), 'due_at in the past');
ok($j->{overdue} && JSON::PP::is_bool($j->{overdue}), 'overdue is true');



=== TEST 4: overdue only for open dossiers: past due but resolved, refused, stopped or returned is not late; future due is not late
--- redis eval
my $now = time;
my @d;
my $n = 1;
for my $st (3, 8, 9, 10, 4, 5) {
    my $due = $st == 4 || $st == 5 ? $now + 86400 : $now - 86400;
    push @d, dossier(code => sprintf('000.00.10.H47-261121-%04d', $n++),
                     status => $st, due_ts => $due, due_at => main::vn_time($due),
                     accepted_ts => $now - 2 * 86400,
                     accepted_at => main::vn_time($now - 2 * 86400));
}
# open (processing) and past due: the one that is late
push @d, dossier(code => '000.00.10.H47-261121-0007', status => 4,
                 due_ts => $now - 60, due_at => main::vn_time($now - 60));
\@d
--- request eval
[ map { main::lookup(sprintf('000.00.10.H47-261121-%04d', $_), $main::TOKEN) } 1 .. 7 ]
--- error_code eval
[ (200) x 7 ]
--- response_body_like eval
[ (qr/"overdue":false/) x 6, qr/"overdue":true/ ]



=== TEST 5: every national-portal status 1-10 maps to its slug and Vietnamese/English names
--- redis eval
[ map { dossier(code => sprintf('000.00.10.H47-261121-%04d', $_->[0]),
                status => $_->[0]) } @main::STATUSES ]
--- request eval
[ map { main::lookup(sprintf('000.00.10.H47-261121-%04d', $_->[0]), $main::TOKEN) }
  @main::STATUSES ]
--- error_code eval
[ (200) x 10 ]
--- post_init
my @r = responses();
for my $i (0 .. $#STATUSES) {
    my ($num, $slug, $vi, $en) = @{ $STATUSES[$i] };
    my $j = json_of($r[$i]);
    is($j->{status}, $slug, "status $num slug");
    is($j->{status_number}, $num, "status $num number");
    is_deeply($j->{status_name}, { vi => u($vi), en => $en }, "status $num names");
}



=== TEST 6: history is passed through as stored (Vietnamese reason, quotes, document list)
--- redis eval
[ dossier(status => 5, history => $main::HISTORY_SUPPLEMENT) ]
--- request eval
main::lookup($main::CODE, $main::TOKEN)
--- post_init
my $j = json_of((responses())[0]);
is_deeply($j->{history}, JSON::PP->new->utf8->decode($HISTORY_SUPPLEMENT),
          'history array equals the stored one');
is($j->{history}[2]{reason}, u('Bản sao giấy khai sinh chưa được chứng thực "hợp lệ"'),
   'Vietnamese reason with quotes intact');



=== TEST 7: unknown code, wrong token and missing token: the same 404, byte for byte
--- redis eval
[ dossier(), dossier(code => $main::CODE2, token => $main::TOKEN2) ]
--- request eval
[ main::lookup('000.00.10.H47-240229-0001', $main::TOKEN),   # valid date, no dossier
  main::lookup($main::CODE, $main::TOKEN2),                  # another dossier's token
  main::lookup($main::CODE),                                 # no token
  main::lookup($main::CODE, ''),                             # empty token
  main::lookup($main::CODE, substr($main::TOKEN, 0, 15)),    # a prefix of the token
  main::lookup($main::CODE, lc $main::TOKEN),                # wrong case
  main::lookup($main::CODE, Digest::SHA::sha256_hex($main::TOKEN)) ] # the stored hash itself
--- error_code eval
[ (404) x 7 ]
--- post_init
my @r = responses();
is_error_json($r[0], 'not_found', 'unknown code');
for my $i (1 .. $#r) {
    is($r[$i]{body}, $r[0]{body}, "answer $i is byte-identical to the unknown-code one");
    is($r[$i]{headers}{'content-type'}[0], $r[0]{headers}{'content-type'}[0],
       "answer $i has the same content type");
}
my @lines = dvc_log_lines();
is(scalar @lines, scalar @r, 'one dvc: log line per 404') or diag join "\n", @lines;
ok(!grep({ !/\[(?:info|error)\]/ } @lines), 'logged at info or error level');
is(join("\n", token_leaks($TOKEN), token_leaks($TOKEN2)), '', 'no token in the log from the module');



=== TEST 8: a wrong token in the header is the same 404 as an unknown code
--- redis eval
[ dossier() ]
--- request eval
[ { request => main::lookup($main::CODE), more_headers => "X-DVC-Lookup-Token: $main::TOKEN2" },
  { request => main::lookup('000.00.10.H47-261121-0002'), more_headers => "X-DVC-Lookup-Token: $main::TOKEN" },
  { request => main::lookup($main::CODE), more_headers => "X-DVC-Lookup-Token: $main::TOKEN" } ]
--- error_code eval
[ 404, 404, 200 ]
--- post_init
my @r = responses();
is($r[0]{body}, $r[1]{body}, 'wrong header token and unknown code answer the same');
# the token from the header must not reach any non-debug line at all
my @seen = grep { index($_, $TOKEN) >= 0 || index($_, $TOKEN2) >= 0 }
           grep { !/\[debug\]/ } split /\n/, block_error_log();
is(join("\n", @seen), '', 'no token in any non-debug log line');
is(join("\n", token_leaks($TOKEN), token_leaks($TOKEN2)), '', 'no token in the module\'s debug lines');



=== TEST 8b: a lookup token given twice is 400 token_ambiguous on every endpoint that takes it, before Redis; one line without the values, nothing applied
--- redis eval
[ dossier(status => 9) ]
--- init
redis_cmd('CONFIG', 'RESETSTAT');
--- request
GET /dvc/v1/keys
--- post_init
my ($T, $T2) = ($main::TOKEN, $main::TOKEN2);
my @twice = (
    [ "two headers, equal",          "",                          "X-DVC-Lookup-Token: $T\nX-DVC-Lookup-Token: $T\n" ],
    [ "two headers, differing",      "",                          "X-DVC-Lookup-Token: $T2\nX-DVC-Lookup-Token: $T\n" ],
    [ "two headers, any case",       "",                          "x-dvc-lookup-token: $T\nX-DVC-LOOKUP-TOKEN: $T2\n" ],
    [ "two headers joined by a proxy", "",                        "X-DVC-Lookup-Token: $T, $T2\n" ],
    [ "an empty header and a good one", "",                       "X-DVC-Lookup-Token: \nX-DVC-Lookup-Token: $T\n" ],
    [ "two parameters, equal",       "?token=$T&token=$T",        "" ],
    [ "two parameters, differing",   "?token=$T2&token=$T",       "" ],
    [ "two parameters, any case",    "?token=$T&TOKEN=$T2",       "" ],
    [ "two parameters, one encoded", "?tok%65n=$T2&token=$T",     "" ],
    [ "an empty parameter first",    "?token=&token=$T",          "" ],
    [ "a bare parameter after",      "?token=$T&token",           "" ],
    [ "a header and a parameter, equal",    "?token=$T",          "X-DVC-Lookup-Token: $T\n" ],
    [ "a header and a parameter, differing", "?token=$T2",        "X-DVC-Lookup-Token: $T\n" ],
);
my @endpoints = (
    [ 'lookup',     'GET',  "" ],
    [ 'receipt',    'GET',  "/receipt" ],
    [ 'withdrawal', 'POST', "/withdrawal" ],
    [ 'supplement', 'POST', "/supplement" ],
    [ 'rating',     'POST', "/rating" ],
);
my $n = 0;
for my $e (@endpoints) {
    my ($name, $method, $tail) = @$e;
    for my $c (@twice) {
        my ($what, $query, $headers) = @$c;
        my $body = $method eq 'POST' ? ($name eq 'rating' ? '{"rating":3}' : '{}') : undef;
        my $req = "$method /dvc/v1/dossiers/$main::CODE$tail$query" . (defined $body ? "\n$body" : '');
        my $h = $headers . (defined $body ? "Content-Type: application/json\n" : '');
        my $r = http_request($req, more_headers => $h);
        is($r->{status}, 400, "$name, $what: 400") or diag($r->{body});
        is_error_json($r, 'token_ambiguous', "$name, $what");
        $n++;
    }
}
# Redis was never asked: no HMGET, no script, no write
my $info = redis_cmd('INFO', 'commandstats');
unlike($info, qr/cmdstat_(?:hmget|evalsha|eval|hset|xadd|multi)/, "no refusal reached Redis");
is(redis_cmd('HGET', "dvc:d:$main::CODE", 'status'), 9, 'the dossier is unchanged');
ok(!defined redis_cmd('HGET', "dvc:d:$main::CODE", 'rating'), 'no rating recorded');
is(redis_cmd('EXISTS', 'dvc:inbox'), 0, 'nothing sent to the back-end');
my @lines = grep { /token_ambiguous/ } dvc_log_lines();
is(scalar @lines, $n, "one log line per refusal ($n)");
like($lines[0] // '', qr/dvc: lookup of "\Q$main::CODE\E" refused: token_ambiguous, the token given \d+ times in the query and \d+ in headers/, 'the line says how often, not what');
my @seen = grep { index($_, $T) >= 0 || index($_, $T2) >= 0 }
           map { s/, request: "(?:[^"\\]|\\.)*"//gr } grep { !/\[debug\]/ } split /\n/, block_error_log();
is(join("\n", @seen), '', 'no token value in any non-debug line (outside nginx\'s own request line)');
is(join("\n", token_leaks($T), token_leaks($T2)), '', 'no token in the module\'s debug lines');
# given once, either way, it is still the lookup it was
for my $once ([ "?token=$T", "" ], [ "", "X-DVC-Lookup-Token: $T\n" ], [ "?TOKEN=$T", "" ], [ "?tok%65n=$T", "" ]) {
    my $r = http_request("GET /dvc/v1/dossiers/$main::CODE$once->[0]", more_headers => $once->[1]);
    is($r->{status}, 200, "once (" . ($once->[0] || 'header') . "): 200");
}
my $r = http_request("GET /dvc/v1/dossiers/$main::CODE?token=$T2");
is($r->{status}, 404, 'a wrong token once is still the uniform 404');



=== TEST 9: malformed codes are 400 bad_code, without asking Redis
--- redis eval
[ dossier() ]
--- init
redis_cmd('CONFIG', 'RESETSTAT');
--- request eval
[ map { main::lookup($_, $main::TOKEN) }
  'abc',
  '000.00.10.H47-261321-0001',        # month 13
  '000.00.10.H47-260230-0001',        # 30 February
  '000.00.10.H47-261132-0001',        # day 32
  '000.00.10.H47-261121-0000',        # sequence 0
  '000.00.10.H47-261121-00011',       # too long
  '000.00.10.H47-261121-001',         # too short
  '000.00.10.h47-261121-0001',        # lower-case agency
  '000.00.10.147-261121-0001',        # level letter missing
  '000-00-10-H47-261121-0001',        # wrong separators
  '000.00.10.H47_261121_0001',
  '000.00.10.H47-26112a-0001',
  '%20000.00.10.H47-261121-0001',     # leading space
  '000.00.10.H47-261121-0001%20',     # trailing space
  '000.00.10.H47-261121-0001%C3%A9',  # trailing UTF-8
  ('9' x 25) ]
--- error_code eval
[ (400) x 16 ]
--- post_init
my @r = responses();
is_error_json($r[$_], 'bad_code', "malformed code " . ($_ + 1)) for 0 .. $#r;
is(scalar(my @l = dvc_log_lines()), scalar @r, 'one dvc: log line per 400');
my %calls = redis_data_commands();
is(join(',', sort keys %calls), '', 'Redis was not asked');
is(redis_cmd('DBSIZE'), 1, 'only the seeded dossier in Redis');



=== TEST 10: other methods on a dossier URL are 405 with Allow: GET, HEAD
--- redis eval
[ dossier() ]
--- request eval
[ "POST /dvc/v1/dossiers/$main::CODE?token=$main::TOKEN\n{\"status\":9}",
  "PUT /dvc/v1/dossiers/$main::CODE?token=$main::TOKEN\n{\"status\":9}",
  "DELETE /dvc/v1/dossiers/$main::CODE?token=$main::TOKEN",
  "PATCH /dvc/v1/dossiers/$main::CODE?token=$main::TOKEN\n{}",
  "OPTIONS /dvc/v1/dossiers/$main::CODE" ]
--- error_code eval
[ (405) x 5 ]
--- response_headers
Allow: GET, HEAD
--- post_init
my @r = responses();
for my $i (0 .. $#r) {
    my $j = json_of($r[$i]);
    ok(defined $j->{error}, "answer $i is a JSON error");
}
is(scalar(my @l = dvc_log_lines()), scalar @r, 'one dvc: log line per 405');
--- redis_check
HGET dvc:d:000.00.10.H47-261121-0001 status => 1
EXISTS dvc:d:000.00.10.H47-261121-0001 => 1



=== TEST 11: unknown API paths under /dvc/ are 404 JSON
--- request eval
[ "GET /dvc/", "GET /dvc/v1", "GET /dvc/v1/", "GET /dvc/v2/dossiers/$main::CODE",
  "GET /dvc/v1/dossier/$main::CODE", "GET /dvc/v1/dossiers/$main::CODE/history",
  "GET /dvc/nothing", "GET /dvc/v1/DOSSIERS/$main::CODE" ]
--- error_code eval
[ (404) x 8 ]
--- response_headers
Content-Type: application/json; charset=utf-8
--- post_init
my @r = responses();
ok(defined json_of($r[$_])->{error}, "path " . ($_ + 1) . ": JSON error") for 0 .. $#r;



=== TEST 12: odd URIs the module sees: 400 or 404 JSON, never 500
--- http_config
    dvc_redis_timeout 300ms;
    large_client_header_buffers 4 64k;
--- redis eval
[ dossier() ]
--- request eval
[ "GET /dvc/v1/dossiers/" . ('0' x 8192) . "?token=$main::TOKEN",            # 8 KB code
  "GET /dvc/v1/dossiers/" . ('A.' x 16000),                                  # 32 KB
  "GET /dvc/v1/dossiers/",                                                   # empty code
  "GET /dvc/v1/dossiers/000.00.10.H47%2F261121-0001?token=$main::TOKEN",     # encoded slash
  "GET /dvc/v1/dossiers/..%2F..%2Fetc%2Fpasswd",
  "GET /dvc/v1/dossiers/../dossiers/000.00.10.H47-261121-0002",              # normalised by nginx
  "GET /dvc//v1//dossiers//000.00.10.H47-261121-0002",
  "GET /dvc/v1/dossiers/%E0%80%80",                                          # overlong UTF-8
  "GET /dvc/v1/dossiers/%FF%FE",
  "GET /dvc/v1/dossiers/" . $main::CODE . "?token=" . ('x' x 8000),         # 8 KB token
  "GET /dvc/v1/dossiers/" . $main::CODE . "?token=a&token=b&token=c",
  "GET /dvc/v1/dossiers/" . $main::CODE . "?tok%65n=" . $main::TOKEN . "&token=" . $main::TOKEN,  # the same name twice
  "GET /dvc/v1/dossiers/" . $main::CODE . "?token=%ZZ",
  "GET /dvc/v1/dossiers/%2e%2e" ]
--- error_code_like: 400|404
--- response_headers
Content-Type: application/json; charset=utf-8
--- post_init
my @r = responses();
ok(defined json_of($r[$_])->{error}, "odd URI " . ($_ + 1) . ": JSON error") for 0 .. $#r;



=== TEST 13: URIs nginx itself rejects never reach the module and never crash it
--- redis eval
[ dossier() ]
--- raw_request eval
[ "GET /dvc/v1/dossiers/abc%00def HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "GET /dvc/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "GET /dvc/v1/dossiers/" . ('0' x 9000) . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "GET /dvc/v1/dossiers/$main::CODE\x01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  "GET /dvc/v1/dossiers/$main::CODE HTTP/1.1\r\nHost: x\r\nX-DVC-Lookup-Token: a\r\n bad\r\n\r\n" ]
--- error_code_like eval
[ 400, 400, 414, 400, 400 ]



=== TEST 14: lookups on one keep-alive connection
--- redis eval
[ dossier(), dossier(code => $main::CODE2, token => $main::TOKEN2) ]
--- pipelined_requests eval
[ main::lookup($main::CODE, $main::TOKEN), main::lookup($main::CODE2, $main::TOKEN2),
  main::lookup($main::CODE, $main::TOKEN2), main::lookup($main::CODE, $main::TOKEN) ]
--- error_code eval
[ 200, 200, 404, 200 ]
--- response_body_like eval
[ qr/"code":"\Q$main::CODE\E"/, qr/"code":"\Q$main::CODE2\E"/, qr/"not_found"/,
  qr/"code":"\Q$main::CODE\E"/ ]



=== TEST 15: two workers, many lookups: each worker's Redis connection serves them all
--- workers: 2
--- redis eval
[ map { dossier(code => sprintf('000.00.10.H47-261121-%04d', $_)) } 1 .. 5 ]
--- request eval
[ map { main::lookup(sprintf('000.00.10.H47-261121-%04d', 1 + $_ % 5), $main::TOKEN) } 0 .. 39 ]
--- error_code eval
[ (200) x 40 ]
--- no_error_log
[error]



=== TEST 16: Redis stopped: 503 with Retry-After within the timeout; lookups work again once it is back, without a reload
--- redis eval
[ dossier() ]
--- request eval
[ main::lookup($main::CODE, $main::TOKEN),
  sub { redis_stop() },
  main::lookup($main::CODE, $main::TOKEN),
  main::lookup($main::CODE, $main::TOKEN),
  sub { redis_start(); redis_cmd(@{ main::dossier() }) },
  { request => main::lookup($main::CODE, $main::TOKEN), retry_within => 2 } ]
--- error_code eval
[ 200, 503, 503, 200 ]
--- response_time_max eval
[ 1.5, 1.5, 1.5, undef ]
--- response_headers_like eval
[ "", "Retry-After: ^\\d+\$", "Retry-After: ^\\d+\$", "" ]
--- post_init
my @r = responses();
is_error_json($r[1], 'unavailable', 'Redis down');
note(sprintf('Redis stopped: 503 answered in %.3f s and %.3f s',
             $r[1]{elapsed}, $r[2]{elapsed}));
is($r[2]{body}, $r[1]{body}, 'the same 503 answer each time');
ok(grep({ /\[error\]/ } dvc_log_lines()), 'the outage is logged at error level');
is(join("\n", token_leaks($TOKEN)), '', 'no token in the log from the module');



=== TEST 17: Redis down before the first lookup: 503, then 200 when it starts
--- redis eval
[ dossier() ]
--- init
redis_stop();
--- request eval
[ main::lookup($main::CODE, $main::TOKEN),
  sub { redis_start(); redis_cmd(@{ main::dossier() }) },
  { request => main::lookup($main::CODE, $main::TOKEN), retry_within => 2 } ]
--- error_code eval
[ 503, 200 ]
--- response_time_max eval
[ 1.5, undef ]
--- response_headers_like eval
[ "Retry-After: ^\\d+\$", "" ]



=== TEST 18: Redis paused (SIGSTOP): 503 within the timeout; after resume it answers again
--- redis eval
[ dossier() ]
--- request eval
[ main::lookup($main::CODE, $main::TOKEN),
  sub { redis_pause() },
  main::lookup($main::CODE, $main::TOKEN),
  main::lookup($main::CODE, $main::TOKEN),
  sub { redis_resume() },
  { request => main::lookup($main::CODE, $main::TOKEN), retry_within => 2 },
  main::lookup($main::CODE, $main::TOKEN2) ]
--- error_code eval
[ 200, 503, 503, 200, 404 ]
--- response_time_max eval
[ 1.5, 1.5, 1.5, undef, 1.5 ]
--- response_headers_like eval
[ "", "Retry-After: ^\\d+\$", "Retry-After: ^\\d+\$", "", "" ]
--- post_init
my @r = responses();
is_error_json($r[1], 'unavailable', 'Redis paused');
note(sprintf('Redis paused: 503 answered in %.3f s and %.3f s',
             $r[1]{elapsed}, $r[2]{elapsed}));
# nothing but the timeout can tell a stopped process from a slow one
cmp_ok($r[1]{elapsed}, '>=', 0.25, 'the first 503 waited for dvc_redis_timeout (300ms)');
# the late replies to the timed-out commands must not be taken for the
# answers to later ones: the lookups after resume get their own dossier
like($r[3]{body}, qr/"code":"\Q$CODE\E"/, 'the answer after resume is the right dossier');



=== TEST 19: Redis restarted between two lookups: both answered correctly
--- redis eval
[ dossier() ]
--- request eval
[ main::lookup($main::CODE, $main::TOKEN),
  sub { redis_restart(); redis_cmd(@{ main::dossier(status => 2) }) },
  { request => main::lookup($main::CODE, $main::TOKEN), retry_within => 2 } ]
--- error_code eval
[ 200, 200 ]
--- response_body_like eval
[ qr/"status":"submitted"/, qr/"status":"accepted"/ ]



=== TEST 20: a client that leaves before Redis answers: no crash, the next lookup is right
--- redis eval
[ dossier(), dossier(code => $main::CODE2, token => $main::TOKEN2) ]
--- request eval
[ main::lookup($main::CODE, $main::TOKEN),
  sub {
      redis_pause();
      # the client gives up after 0.1 s; Redis answers at 0.2 s, before the
      # module's 300 ms timeout: the reply finds its request gone
      for (1 .. 3) {
          http_request(main::lookup($main::CODE, $main::TOKEN), timeout => 0.1);
      }
      Time::HiRes::sleep(0.1);
      redis_resume();
      Time::HiRes::sleep(0.5);
  },
  main::lookup($main::CODE2, $main::TOKEN2),
  main::lookup($main::CODE, $main::TOKEN) ]
--- error_code eval
[ 200, 200, 200 ]
--- response_body_like eval
[ qr/"code":"\Q$main::CODE\E"/, qr/"code":"\Q$main::CODE2\E"/, qr/"code":"\Q$main::CODE\E"/ ]



=== TEST 21: dossier hash with status out of range is not served as if valid
--- redis eval
[ dossier(status => 11), dossier(code => $main::CODE2, token => $main::TOKEN2, status => 'x') ]
--- request eval
[ main::lookup($main::CODE, $main::TOKEN), main::lookup($main::CODE2, $main::TOKEN2) ]
--- error_code_like: 404|500|503
--- post_init
my @r = responses();
ok(defined json_of($r[$_])->{error}, "corrupt dossier " . ($_ + 1) . ": JSON error") for 0 .. 1;
