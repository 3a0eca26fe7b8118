# POST /dvc/v1/dossiers/{code}/withdrawal: the citizen asks to withdraw a
# dossier with its lookup token.  Legal from 1, 2, 4, 5 and 6 (-> 7, the
# back-end then confirms -> 8 or declines -> the status before); the token
# rules are the lookup's; the request reaches the back-end through dvc:inbox.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use utf8;
use POSIX qw(strftime);

sub vn_day { strftime("%Y%m%d", gmtime(time + 7 * 3600)) }

gateway_defaults(extra_http => event_key_config());

run_tests();

__DATA__

=== TEST 1: from each status that allows it: 7, the status before kept, history and inbox say so
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
for my $from (1, 2, 4, 5, 6) {
    my $d = submit_dossier("1.001612");
    my $code = $d->{code};
    set_status($code, $from) if $from != 1;
    my $r = citizen_post($code, "withdrawal", $d->{lookup_token},
        $J->encode({ reason => "Tôi đã nộp nhầm thủ tục, xin rút hồ sơ" }));
    is($r->{status}, 200, "from $from: 200");
    is($r->{json}{status}, 7, "from $from: answer says status 7");
    is($r->{json}{status_slug}, "withdrawal_requested", "from $from: and its slug");
    is($r->{json}{code}, $code, "from $from: answer names the dossier");
    like($r->{json}{applied_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/,
         "from $from: applied_at in Vietnam time");
    my $h = dossier($code);
    is($h->{status}, 7, "from $from: status 7 stored");
    is($h->{prev_status}, $from, "from $from: the status before kept for a decline");
    my $e = history_last($code);
    is($e->{status}, "withdrawal_requested", "from $from: history entry status");
    is($e->{status_number}, 7, "from $from: history entry number");
    is($e->{actor}, "citizen", "from $from: history entry actor");
    is($e->{type}, "withdrawal", "from $from: history entry type");
    is($e->{reason}{vi}, "Tôi đã nộp nhầm thủ tục, xin rút hồ sơ", "from $from: history keeps the reason");
    my @w = grep { $_->{code} eq $code } inbox("withdrawal_requested");
    is(scalar @w, 1, "from $from: one withdrawal_requested in dvc:inbox");
    is($J->decode($w[0]{reason})->{vi}, "Tôi đã nộp nhầm thủ tục, xin rút hồ sơ",
       "from $from: the inbox entry carries the reason") if @w;
    my $l = http_request("GET /dvc/v1/dossiers/$code",
                         more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
    like($l->{body}, qr/"status":"withdrawal_requested","status_number":7/,
         "from $from: the lookup shows it");
}
--- no_error_log
[error]



=== TEST 2: from each status that does not allow it: 409 naming what the citizen may do, nothing changed (7: TEST 7)
--- request
GET /dvc/v1/keys
--- post_init
my %allowed = (3 => [], 8 => [], 9 => [{ action => "rating" }],
               10 => [{ action => "rating" }]);
for my $from (3, 8, 9, 10) {
    my $d = submit_dossier("1.001612");
    my $code = $d->{code};
    set_status($code, $from);
    my $before = dossier($code);
    my $r = citizen_post($code, "withdrawal", $d->{lookup_token}, "{}");
    is($r->{status}, 409, "from $from: 409");
    is($r->{json}{error}, "illegal_transition", "from $from: illegal_transition");
    is($r->{json}{status}{number}, $from, "from $from: names the current status");
    is_deeply($r->{json}{allowed}, $allowed{$from}, "from $from: lists the citizen's legal actions");
    ok($r->{json}{message}{vi} && $r->{json}{message}{en}, "from $from: explained in vi and en");
    is_deeply(dossier($code), $before, "from $from: the dossier is untouched");
    is(scalar(grep { $_->{code} eq $code } inbox("withdrawal_requested")), 0,
       "from $from: nothing sent to the back-end");
}
# the legal ones from 1 list withdrawal with its target
my $d = submit_dossier("1.001612");
set_status($d->{code}, 9);
my $r = citizen_post($d->{code}, "supplement", $d->{lookup_token}, main::example("1.001612"));
is_deeply($r->{json}{allowed}, [{ action => "rating" }], "a supplement in 9 lists the rating");
set_status($d->{code}, 5);
$r = citizen_post($d->{code}, "rating", $d->{lookup_token}, '{"rating":"satisfied"}');
is_deeply($r->{json}{allowed}, [{ action => "withdrawal", to => 7 }, { action => "supplement", to => 1 }],
          "a rating in 5 lists withdrawal and supplement with their targets");
--- no_error_log
[error]



=== TEST 3: no token, a wrong token, an unknown code: the lookup's 404, byte for byte
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my $code = $d->{code};
my $lookup404 = http_request("GET /dvc/v1/dossiers/$code",
                             more_headers => "X-DVC-Lookup-Token: wrong")->{body};
like($lookup404, qr/"error":"not_found"/, "the lookup's 404");
(my $unknown = $code) =~ s/-\d{4}$/-9999/;
my @cases = (
    [ "no token",               citizen_post($code, "withdrawal", undef, "{}") ],
    [ "wrong token (header)",   citizen_post($code, "withdrawal", "AAAAAAAAAAAAAAAAAAAAAA", "{}") ],
    [ "wrong token (?token=)",  citizen_post($code, "withdrawal", "AAAAAAAAAAAAAAAAAAAAAA", "{}", query => 1) ],
    [ "empty token",            citizen_post($code, "withdrawal", "", "{}", query => 1) ],
    [ "unknown code",           citizen_post($unknown, "withdrawal", $d->{lookup_token}, "{}") ],
    [ "other dossier's token",  citizen_post(submit_dossier("1.001612")->{code}, "withdrawal", $d->{lookup_token}, "{}") ],
    [ "no token, no body",      citizen_post($code, "withdrawal", undef, undef) ],
);
for my $c (@cases) {
    is($c->[1]{status}, 404, "$c->[0]: 404");
    is($c->[1]{body}, $lookup404, "$c->[0]: the same body as the lookup's");
    like($c->[1]{headers}{"content-type"}[0], qr{^application/json}, "$c->[0]: JSON");
}
is(dossier($code)->{status}, 1, "nothing changed");
is(scalar(inbox("withdrawal_requested")), 0, "nothing sent to the back-end");
# the query form of the token works like the header
my $r = citizen_post($code, "withdrawal", $d->{lookup_token}, undef, query => 1);
is($r->{status}, 200, "?token= opens it as the header does");
# a malformed code: the lookup's 400
$r = citizen_post("not-a-code", "withdrawal", $d->{lookup_token}, "{}");
is($r->{status}, 400, "malformed code: 400");
is($r->{json}{error}, "bad_code", "bad_code as the lookup says");
--- no_error_log
[error]



=== TEST 4: the body: empty is fine, a reason must be a human one, JSON only
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $d = submit_dossier("1.001612");
my $code = $d->{code};
my $r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"ERR_DUPLICATE"}');
is($r->{status}, 422, "a bare code as the reason: 422");
is($r->{json}{error}, "reason_not_human", "reason_not_human");
is($r->{json}{field}, "reason", "names the field");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"xin rút"');
is($r->{status}, 400, "broken JSON: 400");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"Tôi muốn rút hồ sơ","amount":5}');
is($r->{status}, 422, "a field a withdrawal does not take: 422");
is($r->{json}{field}, "amount", "names it");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"' . ("rút " x 501) . '"}');
is($r->{status}, 422, "a reason over 2,000 code points: 422");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, 'reason=x', type => "application/x-www-form-urlencoded");
is($r->{status}, 415, "a form body: 415");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"' . ("a " x 33000) . '"}');
is($r->{status}, 413, "a body over 64 KiB: 413");
is($r->{json}{error}, "body_too_large", "in JSON");
# just under the cap, every character escaped as a client with ensure_ascii
# would send it: the reason's own limit speaks, not the body's
my $esc = join '', map { sprintf "\\u%04x", ord } split //, ("Tôi muốn rút hồ sơ " x 110);
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, qq({"reason":{"vi":"$esc","en":"$esc"}}));
is($r->{status}, 422, "a reason of 2,090 escaped code points (25 KB): 422, not 413");
is($r->{json}{field}, "reason.vi", "names the field");
is(dossier($code)->{status}, 1, "none of them changed the dossier");
$r = http_request("GET /dvc/v1/dossiers/$code/withdrawal",
                  more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
is($r->{status}, 405, "GET: 405");
is($r->{headers}{allow}[0], "POST", "Allow: POST");
# an empty body: a withdrawal without a reason
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, "");
is($r->{status}, 200, "an empty body: 200");
my $e = history_last($code);
ok(!exists $e->{reason}, "no reason in the history");
my @w = inbox("withdrawal_requested");
ok(@w == 1 && !exists $w[0]{reason}, "inbox entry without a reason");
# twice: the second finds it in 7 and gets the first answer (TEST 7)
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, "");
is($r->{status}, 200, "again: 200, it is already requested");
is(scalar(inbox("withdrawal_requested")), 1, "again: still one inbox entry");
--- no_error_log
[error]



=== TEST 5: the back-end confirms (8, counted as withdrawn) or declines (back to the status before) by signed events
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $day = main::vn_day();
# confirmed: an accepted dossier the citizen withdraws
my $d = submit_dossier("1.001612");
my $code = $d->{code};
is(send_event($code, { type => "accept" })->{status}, 200, "accepted by the desk");
my $r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"Tôi đã nộp nhầm thủ tục"}');
is($r->{status}, 200, "withdrawal requested");
$r = send_event($code, { type => "confirm_withdrawal" });
is($r->{status}, 200, "confirm_withdrawal: 200");
is($r->{json}{status}, 8, "stopped");
is(dossier($code)->{status}, 8, "8 stored");
is(redis_cmd('HGET', "dvc:st:all:withdrawn", $day), 1, "counted as withdrawn today");
ok(!defined redis_cmd('HGET', "dvc:st:all:stopped", $day), "not as stopped by the agency");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, "");
is($r->{status}, 409, "8 is final: no withdrawal again");
# declined: a dossier in processing goes back to processing
$d = submit_dossier("1.001612");
$code = $d->{code};
is(send_event($code, { type => "accept" })->{status}, 200, "accepted");
is(send_event($code, { type => "process" })->{status}, 200, "processing");
is(citizen_post($code, "withdrawal", $d->{lookup_token}, "")->{status}, 200, "withdrawal requested");
$r = send_event($code, { type => "decline_withdrawal",
    reason => "Hồ sơ đã được thẩm định xong, không thể rút ở giai đoạn này" });
is($r->{status}, 200, "decline_withdrawal: 200");
is($r->{json}{status}, 4, "back to processing");
my $h = dossier($code);
is($h->{status}, 4, "4 stored");
my @hist = map { "$_->{status}/$_->{actor}" } @{ $J->decode($h->{history}) };
is_deeply(\@hist, [ "submitted/citizen", "accepted/back-end", "processing/back-end",
                    "withdrawal_requested/citizen", "processing/back-end" ],
          "the history tells the story");
# and the citizen may ask again
is(citizen_post($code, "withdrawal", $d->{lookup_token}, "")->{status}, 200, "a new request after a decline");
--- no_error_log
[error]



=== TEST 6: Redis down: 503 with Retry-After, and the withdrawal goes through once Redis is back
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
# the log says "redis unavailable" when the gateway already saw the connection
# drop, "redis failed" when the read was sent before it did (a race with the
# stop): either way one "answered 503: redis" line (--- error_log)
redis_stop();
my $r = citizen_post($d->{code}, "withdrawal", $d->{lookup_token}, "{}");
is($r->{status}, 503, "503");
is($r->{json}{error}, "unavailable", "unavailable");
is($r->{headers}{'retry-after'}[0], "1", "Retry-After: 1");
redis_start();
# the data went with the stopped Redis (no persistence in tests): submit
# again, once the gateway's reconnection backoff (<= 1 s) lets it
for (1 .. 30) {
    $d = eval { submit_dossier("1.001612") } and last;
    sleep(0.1);
}
ok($d, "submission works again");
$r = undef;
for (1 .. 20) {
    $r = citizen_post($d->{code}, "withdrawal", $d->{lookup_token}, "{}");
    last if $r->{status} == 200;
    sleep(0.1);
}
is($r->{status}, 200, "works again without a reload");
--- error_log
answered 503: redis



=== TEST 7: asked again while the first request waits (a retry after a lost answer): the first answer, 200, nothing applied again
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $day = main::vn_day();
my $d = submit_dossier("1.001612");
my $code = $d->{code};
my $first = citizen_post($code, "withdrawal", $d->{lookup_token},
    $J->encode({ reason => "Tôi đã nộp nhầm thủ tục, xin rút hồ sơ" }));
is($first->{status}, 200, "the first request: 200");
my $before = dossier($code);
is($before->{status}, 7, "in 7");
is(redis_cmd('HGET', "dvc:st:all:left_desk", $day), 1, "the first request left the desk (counted once)");
sleep(1.1);    # a later second: an answer made now would say so
for my $body ("", "{}", $J->encode({ reason => "Tôi muốn rút hồ sơ vì đã chuyển nơi ở" })) {
    my $r = citizen_post($code, "withdrawal", $d->{lookup_token}, $body);
    is($r->{status}, 200, "again with body '$body': 200");
    is($r->{body}, $first->{body}, "again with body '$body': the first answer, byte for byte (applied_at of the first)");
    is_deeply(dossier($code), $before, "again with body '$body': the dossier untouched (ver, history, reason)");
}
is(scalar(grep { $_->{code} eq $code } inbox("withdrawal_requested")), 1,
   "one withdrawal_requested in dvc:inbox");
my @hist = map { $_->{status} } @{ $J->decode(dossier($code)->{history}) };
is_deeply(\@hist, [ "submitted", "withdrawal_requested" ], "one history entry for the withdrawal");
is(redis_cmd('HGET', "dvc:st:all:left_desk", $day), 1, "counters unchanged");
# the body is still checked: a bad retry is refused as a first request is
my $r = citizen_post($code, "withdrawal", $d->{lookup_token}, '{"reason":"WITHDRAW"}');
is($r->{status}, 422, "a bare technical code as the reason: 422 even in 7");
# a wrong token still gets the lookup's 404
is(citizen_post($code, "withdrawal", "AAAAAAAAAAAAAAAAAAAAAA", "{}")->{status}, 404, "wrong token: 404");
# once the back-end has decided, a withdrawal is decided anew: after a decline, a new request
is(send_event($code, { type => "decline_withdrawal",
    reason => "Hồ sơ đã được thẩm định xong, không thể rút" })->{status}, 200, "declined: back to 1");
$r = citizen_post($code, "withdrawal", $d->{lookup_token}, "{}");
is($r->{status}, 200, "a new request after the decline: 200");
isnt($r->{json}{applied_at}, $first->{json}{applied_at}, "applied now, not the first time again");
is(scalar(grep { $_->{code} eq $code } inbox("withdrawal_requested")), 2, "and a second inbox entry");
# supplement and rating in 7 are still refused
is(citizen_post($code, "rating", $d->{lookup_token}, '{"rating":"satisfied"}')->{status}, 409, "rating in 7: 409");
--- no_error_log
[error]
--- error_log
already requested: answered with the current status, nothing applied



=== TEST 8: two withdrawals at once (a double click): the loser is decided again, finds 7 and gets the winner's answer
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my $code = $d->{code};
# both read the dossier in 1 at the same ver
my @a = racing_posts($code, $d->{lookup_token},
    map { [ "withdrawal", $J->encode({ reason => $_ }) ] }
        "Tôi đã nộp nhầm thủ tục", "Tôi đã nộp nhầm thủ tục, xin rút");
is_deeply([ map { $_->{status} } @a ], [200, 200], "both answered 200");
is($a[1]{body}, $a[0]{body}, "the same answer, byte for byte");
my $h = dossier($code);
is($h->{status}, 7, "withdrawal requested");
my @hist = map { $_->{status} } @{ $J->decode($h->{history}) };
is_deeply(\@hist, [ "submitted", "withdrawal_requested" ], "one history entry");
is($J->decode($h->{history})->[-1]{reason}{vi}, "Tôi đã nộp nhầm thủ tục", "the winner's reason");
is(scalar(grep { $_->{code} eq $code } inbox("withdrawal_requested")), 1, "one inbox entry");
--- error_log
the dossier changed meanwhile, deciding again
already requested: answered with the current status, nothing applied
--- no_error_log
[error]
