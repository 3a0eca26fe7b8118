# dvc_redis_user: the gateway as a least-privilege Redis ACL user.  The ACL
# line is read from docs/operations.md (the one a sysadmin copies), so the
# documentation and this test cannot drift: every endpoint a citizen, a
# desk or the back-end uses must work under exactly that line.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use utf8;
use POSIX ();
use Test::DVC::Uploads;
use Digest::SHA qw(sha256_hex);

our $USER = "dvc-gateway";
our $PW = "b7c1f0e24a9d3e86c5f1a20d94be7c3a";

# the documented line, as words for ACL SETUSER, PASSWORD replaced
sub documented_acl {
    local $/;
    open my $f, '<', repo_root() . "/docs/operations.md" or die "docs/operations.md: $!";
    my $doc = <$f>;
    my @lines = $doc =~ /^(ACL SETUSER dvc-gateway .*)$/mg;
    die "docs/operations.md: expected one ACL SETUSER line, found " . @lines . "\n"
        unless @lines == 1;
    my @w = split ' ', $lines[0];
    die "the documented line has no >PASSWORD\n" unless grep { $_ eq '>PASSWORD' } @w;
    return map { $_ eq '>PASSWORD' ? ">$PW" : $_ } @w;
}

# ACL SETUSER through the harness's own connection (the default user: the
# administrator); the words after "ACL SETUSER" may be filtered
sub set_acl {
    my (@drop) = @_;
    my @w = documented_acl();
    my %drop = map { $_ => 1 } @drop;
    my @kept = grep { !$drop{$_} } @w;
    die "nothing dropped of @drop\n" if @drop && @kept == @w;
    is(redis_cmd(@kept), "OK", "ACL SETUSER " . join(' ', grep { !/^>/ } @kept[2 .. ($#kept > 8 ? 8 : $#kept)]) . " ...");
}

# a command as the ACL user, on a raw connection of our own
sub as_user { redis_session(['AUTH', $USER, $PW], [@_]) }


# a dossier the back-end accepted (status 2) and the citizen may withdraw
sub accepted_dossier {
    my $d = submit_dossier("1.001612");
    my $r = send_event($d->{code}, { type => "accept" });
    is($r->{status}, 200, "accept event: 200") or diag($r->{body});
    return $d;
}

our $CODE = "000.00.10.H47-261121-0007";

# the commands Redis ran since CONFIG RESETSTAT, but for the ones this test
# itself sends as the administrator
sub commands_run {
    my $stats = redis_cmd('INFO', 'commandstats');
    return sort grep { !/^(config|info|acl|dbsize)$/ } $stats =~ /^cmdstat_(\w+):/mg;
}

gateway_defaults(extra_http => event_key_config()
                             . "    dvc_redis_user $USER;\n"
                             . "    dvc_redis_password $PW;\n");

run_tests();

__DATA__

=== TEST 1: every endpoint under exactly the documented ACL line, the EVAL fallback after SCRIPT FLUSH included
--- timeout: 30
--- init
main::set_acl();
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
# the user is what the documentation promises: nothing outside dvc: keys,
# no administration
like(main::as_user('PING'), qr/^\+OK\r\n-NOPERM/, "the user may not even PING");
like(main::as_user('GET', 'other-app:session'), qr/^\+OK\r\n-NOPERM/, "no keys outside dvc:");
like(main::as_user('FLUSHALL'), qr/^\+OK\r\n-NOPERM/, "no FLUSHALL");
like(main::as_user('KEYS', 'dvc:*'), qr/^\+OK\r\n-NOPERM/, "no KEYS");
like(main::as_user('CONFIG', 'GET', 'requirepass'), qr/^\+OK\r\n-NOPERM/, "no CONFIG");
like(main::as_user('SCRIPT', 'FLUSH'), qr/^\+OK\r\n-NOPERM/, "no SCRIPT FLUSH");

# submission, without and with Idempotency-Key
my $d = submit_dossier("1.001612");
like($d->{code}, qr/^\d{3}\.\d\d\.\d\d\.H\d\d-\d{6}-\d{4}$/, "submission: 201 with a code");
like(redis_cmd('CLIENT', 'LIST'), qr/ user=dvc-gateway /, "the gateway is connected as dvc-gateway");
unlike(redis_cmd('CLIENT', 'LIST') =~ s/^.*cmd=client.*$//mr, qr/ user=default /,
       "and not as default (but for this check's own connection)");
my $body = example("1.001612");
my $idem = "acl-test-" . $$;
my $h = "Content-Type: application/json\nIdempotency-Key: $idem\n";
my $r1 = http_request("POST /dvc/v1/dossiers\n$body", more_headers => $h);
is($r1->{status}, 201, "submission with Idempotency-Key: 201") or diag($r1->{body});
my $r2 = http_request("POST /dvc/v1/dossiers\n$body", more_headers => $h);
is($r2->{status}, 201, "the same again: 201");
is($r2->{body}, $r1->{body}, "the same again: the first answer, byte for byte");

# lookup
my $l = http_request("GET /dvc/v1/dossiers/$d->{code}",
                     more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
is($l->{status}, 200, "lookup: 200") or diag($l->{body});
like($l->{body}, qr/"code":"\Q$d->{code}\E"/, "lookup: the dossier");

# a signed back-end event (accept), then the receipt
my $e = send_event($d->{code}, { type => "accept" });
is($e->{status}, 200, "accept event: 200") or diag($e->{body});
is($e->{json}{status}, 2, "accept event: status 2");
my $rc = http_request("GET /dvc/v1/dossiers/$d->{code}/receipt",
                      more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
is($rc->{status}, 200, "receipt: 200") or diag($rc->{body});
like($rc->{body}, qr/"receipt":"ey/, "receipt: a JWS");

# a citizen action: withdrawal
my $w = citizen_post($d->{code}, "withdrawal", $d->{lookup_token},
                     $J->encode({ reason => "Tôi đã nộp nhầm thủ tục, xin rút hồ sơ" }));
is($w->{status}, 200, "withdrawal: 200") or diag($w->{body});
is($w->{json}{status}, 7, "withdrawal: status 7");

# a rating, after the result
my $d2 = accepted_dossier();
is(send_event($d2->{code}, { type => "resolve" })->{status}, 200, "resolve event: 200");
my $rt = citizen_post($d2->{code}, "rating", $d2->{lookup_token},
                      $J->encode({ rating => "satisfied" }));
is($rt->{status}, 201, "rating: 201") or diag($rt->{body});

# the statistics report
my $today = POSIX::strftime("%Y-%m-%d", gmtime(time + 7 * 3600));
my $st = http_request("GET /dvc/v1/stats?from=$today&to=$today");
is($st->{status}, 200, "stats: 200") or print STDERR "BODY: $st->{body}\n";
my $sj = eval { $J->decode($st->{body}) } // {};
# the two accepted dossiers are received (the third awaits acceptance), one
# resolved and rated: counters written by the submission's MULTI and by the
# apply script's HINCRBY alike
is(join(",", map { "$_=" . ($sj->{$_} // "none") } qw(received_new awaiting_acceptance resolved ratings rating_satisfied)),
   "received_new=2,awaiting_acceptance=1,resolved=1,ratings=1,rating_satisfied=1",
   "stats: every act counted");

# Redis loses its script cache (the administrator's SCRIPT FLUSH): the next
# change goes by EVALSHA, NOSCRIPT, then EVAL, still under the ACL
my $d3 = submit_dossier("1.001612");
is(redis_cmd('SCRIPT', 'FLUSH'), "OK", "SCRIPT FLUSH as the administrator");
redis_cmd('CONFIG', 'RESETSTAT');
my $e3 = send_event($d3->{code}, { type => "accept" });
is($e3->{status}, 200, "accept after SCRIPT FLUSH: 200") or diag($e3->{body});
my $stats = redis_cmd('INFO', 'commandstats');
like($stats, qr/^cmdstat_eval:calls=1,/m, "it went by EVAL once");
is(dossier($d3->{code})->{status}, 2, "and was applied");
# a citizen action after another flush goes the same way
is(redis_cmd('SCRIPT', 'FLUSH'), "OK", "SCRIPT FLUSH again");
my $w3 = citizen_post($d3->{code}, "withdrawal", $d3->{lookup_token}, "{}");
is($w3->{status}, 200, "withdrawal after SCRIPT FLUSH: 200") or diag($w3->{body});
--- no_error_log
[error]
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 2: the same user without +eval: after SCRIPT FLUSH an event is 503 JSON, the log says NOPERM and never the password
--- init
main::set_acl('+eval');
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
is(redis_cmd('SCRIPT', 'FLUSH'), "OK", "SCRIPT FLUSH as the administrator");
my $e = send_event($d->{code}, { type => "accept" });
is($e->{status}, 503, "accept: 503");
is($e->{json}{error}, "unavailable", "a JSON error: unavailable");
is(dossier($d->{code})->{status}, 1, "nothing applied");
main::set_acl();
--- error_log eval
qr/event "[^"]+" on "[^"]+" not applied: NOPERM [^\n]*'eval'/
--- no_error_log
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 3: a user name Redis does not know (the default user locked, as it must be): 503 and Redis's answer in the log, never the password
--- http_config
    dvc_redis_user nobody-here;
    dvc_redis_password b7c1f0e24a9d3e86c5f1a20d94be7c3a;
--- config
    location /dvc/ { dvc_api; }
--- init
main::set_acl();
redis_session(['CONFIG', 'SET', 'requirepass', 'admin-s3cret']);
--- request
GET /dvc/v1/dossiers/000.00.10.H47-261121-0007?token=tok
--- error_code: 503
--- response_body_like: "error":"unavailable"
--- post_init
like(redis_session(['AUTH', 'admin-s3cret'], ['CONFIG', 'SET', 'requirepass', '']),
     qr/^\+OK\r?\n\+OK/, "the default user's password removed again");
--- error_log
dvc: redis AUTH failed: WRONGPASS
--- no_error_log
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 4: dvc_redis_user without dvc_redis_password is refused by nginx -t
--- http_config
    dvc_redis_user dvc-gateway;
--- config
    location /dvc/ { dvc_api; }
--- must_die
--- error_log
"dvc_redis_user" needs "dvc_redis_password"



=== TEST 5: a wrong user name while Redis's default user needs no password: AUTH fails, the connection is dropped (fail closed) and the request is answered 503, and Redis ran none of the gateway's commands as default
--- http_config
    dvc_redis_user nobody-here;
    dvc_redis_password b7c1f0e24a9d3e86c5f1a20d94be7c3a;
--- config
    location /dvc/ { dvc_api; }
--- init
redis_cmd('HSET', "dvc:d:$main::CODE", 'code', $main::CODE, 'status', '4', 'history', '[]',
          'token_sha256', sha256_hex("tok"));
redis_cmd('CONFIG', 'RESETSTAT');
--- request
GET /dvc/v1/dossiers/000.00.10.H47-261121-0007?token=tok
--- error_code: 503
--- response_body_like: "error":"unavailable"
--- post_init
# the lookup was held behind AUTH and never sent: the only commands Redis
# ran are the gateway's AUTH (refused) and this test's own
is(join(",", main::commands_run()), "auth", "Redis ran AUTH and nothing else of the gateway's");
--- error_log
dvc: redis AUTH failed: WRONGPASS
dropped: AUTH failed
--- no_error_log
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 6: SELECT refused (the documented ACL line has no +select, dvc_redis_db 3): a submission is answered 503 and nothing is written to database 0 (nor 3)
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_user dvc-gateway;
    dvc_redis_password b7c1f0e24a9d3e86c5f1a20d94be7c3a;
    dvc_redis_db 3;
--- init
main::set_acl();
redis_cmd('CONFIG', 'RESETSTAT');
--- request
GET /dvc/v1/keys
--- post_init
my $keys0 = redis_cmd('DBSIZE');
my $r = http_request("POST /dvc/v1/dossiers\n" . example("1.001612"),
                     more_headers => "Content-Type: application/json\n");
is($r->{status}, 503, "submission: 503") or diag($r->{body});
like($r->{body}, qr/"error":"unavailable"/, "a JSON error: unavailable");
is(join(",", main::commands_run()), "auth,select",
   "Redis ran AUTH and the refused SELECT, none of the submission's commands");
is(redis_cmd('DBSIZE'), $keys0, "nothing written to database 0");
like(redis_session(['SELECT', '3'], ['DBSIZE']), qr/^\+OK\r\n:0\r\n/, "nor to database 3");
--- error_log
dvc: redis SELECT failed: NOPERM
dropped: SELECT failed
--- no_error_log
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 7: a burst on a fresh connection: lookups arriving while AUTH is unanswered are held, then all answered, each with its own dossier
--- init
main::set_acl();
for my $i (1 .. 6) {
    my $code = sprintf("000.00.10.H47-261121-%04d", $i);
    redis_cmd('HSET', "dvc:d:$code", 'code', $code, 'status', '4', 'history', '[]',
              'token_sha256', sha256_hex("tok$i"));
}
--- request
GET /dvc/v1/keys
--- post_init
# Redis stopped: the worker's first connection is accepted by the kernel
# and AUTH written, but not answered; every lookup queues behind it
redis_pause();
my @c;
for my $i (1 .. 6) {
    my $code = sprintf("000.00.10.H47-261121-%04d", $i);
    push @c, http_request_stalled("GET /dvc/v1/dossiers/$code?token=tok$i",
                                  rcvbuf => 65536);
    sleep 0.05;
}
sleep 0.2;
redis_resume();
for my $i (1 .. 6) {
    my $code = sprintf("000.00.10.H47-261121-%04d", $i);
    my $r = http_response_read($c[$i - 1]);
    is($r->{status}, 200, "lookup $i: 200") or diag($r->{body} // $r->{error});
    like($r->{body}, qr/"code":"\Q$code\E"/, "lookup $i: its own dossier");
}
like(redis_cmd('CLIENT', 'LIST'), qr/ user=dvc-gateway /, "the gateway is connected as dvc-gateway");
--- no_error_log
[error]
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 8: Redis stopped before AUTH is answered: the held lookups are answered 503 by the timeout and never sent; once Redis is back a lookup is answered
--- http_config
    dvc_redis_user dvc-gateway;
    dvc_redis_password b7c1f0e24a9d3e86c5f1a20d94be7c3a;
    dvc_redis_timeout 300ms;
--- config
    location /dvc/ { dvc_api; }
--- init
main::set_acl();
redis_cmd('HSET', "dvc:d:$main::CODE", 'code', $main::CODE, 'status', '4', 'history', '[]',
          'token_sha256', sha256_hex("tok"));
redis_cmd('CONFIG', 'RESETSTAT');
--- request
GET /dvc/v1/keys
--- post_init
redis_pause();
my @c = map { http_request_stalled("GET /dvc/v1/dossiers/$main::CODE?token=tok", rcvbuf => 65536) } 1 .. 2;
for my $i (1 .. 2) {
    my $r = http_response_read($c[$i - 1]);
    is($r->{status}, 503, "held lookup $i: 503 when Redis does not answer AUTH")
        or diag($r->{body} // $r->{error});
}
redis_resume();
sleep 1.2;    # the backoff after the dropped connection
my $r = http_request("GET /dvc/v1/dossiers/$main::CODE?token=tok");
is($r->{status}, 200, "Redis back: the lookup is answered") or diag($r->{body});
like($r->{body}, qr/"code":"\Q$main::CODE\E"/, "with the dossier");
like(redis_cmd('INFO', 'commandstats'), qr/^cmdstat_hmget:calls=1,/m,
     "Redis ran the last lookup only: the held ones were never sent");
--- error_log
did not answer within 300 ms
dropped: command timed out
--- no_error_log
b7c1f0e24a9d3e86c5f1a20d94be7c3a



=== TEST 9: uploads under the documented ACL line: upload, a dossier that lists it, the same file again, the back-end's fetch
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_CITIZEN_EVKEY;
    dvc_redis_user dvc-gateway;
    dvc_redis_password b7c1f0e24a9d3e86c5f1a20d94be7c3a;
    dvc_documents $TEST_NGINX_SERVROOT/documents;
--- init
main::set_acl();
main::clear_store();
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("acl");
my $sha = sha256_hex($pdf);
my $u = upload("application/pdf", $pdf);
is($u->{status}, 201, "upload: 201") or diag($u->{body});
ok(redis_cmd('TTL', "dvc:up:$sha") > 0, "recorded with its TTL");
my $d = $J->decode(example("1.001193"));
$d->{documents} = [ { kind => "birth_medical_certificate", file_name => "a.pdf",
                      media_type => "application/pdf", size => length $pdf, sha256 => $sha } ];
my $r = http_request("POST /dvc/v1/dossiers\n" . $J->encode($d), more_headers => "Content-Type: application/json");
is($r->{status}, 201, "a dossier listing it: 201") or diag($r->{body});
my $code = eval { $J->decode($r->{body})->{code} } // '';
is(redis_cmd('TTL', "dvc:up:$sha"), -1, "claimed: no TTL");
is(redis_cmd('HGET', "dvc:up:$sha", 'dossier'), $code, "and names the dossier");
is(upload("application/pdf", $pdf)->{status}, 201, "the same file again: 201");
my $target = "/dvc/v1/documents/$sha";
my $f = http_request("GET $target", more_headers => signed_headers("GET", $target, ""));
is($f->{status}, 200, "the back-end's fetch: 200");
is($f->{body}, $pdf, "the file");
--- no_error_log
[error]
b7c1f0e24a9d3e86c5f1a20d94be7c3a
