# POST /dvc/v1/dossiers/{code}/supplement: in status 5 (supplement
# requested) the citizen sends the whole corrected dossier with the lookup
# token.  It is validated exactly like a submission, against the dossier's
# own procedure, and returns the dossier to the desk (status 1); the
# back-end gets the corrected body through dvc:inbox (type supplement).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use Digest::SHA qw(sha256_hex);
use utf8;

gateway_defaults(extra_http => event_key_config());

# the corrected dossier: the household members' ID copies the desk asked for
sub corrected {
    my $d = $J->decode(example("1.001612"));
    push @{ $d->{documents} }, {
        kind => "members_identity", file_name => "can-cuoc-thanh-vien-ho.pdf",
        media_type => "application/pdf", size => 288120,
        sha256 => "0b7c4d2f9e3a18c6b5d4e3f2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f7e6" };
    return $J->encode($d);
}

# a dossier the desk sent back: accepted on 2026-11-02, due 2026-11-05,
# then a supplement was requested (entering 5 voids the appointment)
sub in_supplement {
    my $d = submit_dossier("1.001612");
    set_status($d->{code}, 5, accepted_at => "2026-11-02T09:00:00+07:00",
               accepted_ts => 1762048800);
    return $d;
}

run_tests();

__DATA__

=== TEST 1: a valid supplement returns the dossier to the desk; the back-end gets the corrected body
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::in_supplement();
my $code = $d->{code};
my $body = main::corrected();
my $r = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is($r->{status}, 200, "200");
is($r->{json}{status}, 1, "the answer gives the new status: 1");
is($r->{json}{status_slug}, "submitted", "submitted");
is($r->{json}{action}, "supplement", "names the action");
my $h = dossier($code);
is($h->{status}, 1, "status 1 stored");
is($h->{body_sha256}, sha256_hex($body), "the corrected body's SHA-256 replaces the first");
is($h->{procedure}, "1.001612", "same procedure");
my $e = history_last($code);
is($e->{status}, "submitted", "history: back to submitted");
is($e->{actor}, "citizen", "history: by the citizen");
is($e->{type}, "supplement", "history: type supplement");
my @s = inbox("supplement");
is(scalar @s, 1, "one supplement entry in dvc:inbox");
is($s[0]{code}, $code, "it names the dossier");
is($s[0]{procedure}, "1.001612", "and its procedure");
is($s[0]{body}, $body, "it carries the corrected body byte for byte");
my $l = http_request("GET /dvc/v1/dossiers/$code",
                     more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
like($l->{body}, qr/"status":"submitted","status_number":1/, "the lookup shows it back at the desk");
like($l->{body}, qr/"type":"supplement"/, "with the supplement in its history");
# another supplement: it is at the desk now, not in 5 (the same body again
# is a retry: TEST 7)
my $other = $J->decode($body);
$other->{applicant}{phone} = "0912345679";
$r = citizen_post($code, "supplement", $d->{lookup_token}, $J->encode($other));
is($r->{status}, 409, "another body: 409");
is($r->{json}{error}, "illegal_transition", "illegal_transition");
is_deeply($r->{json}{allowed}, [{ action => "withdrawal", to => 7 }], "from 1 only a withdrawal");
--- no_error_log
[error]



=== TEST 2: an invalid supplement: the validator's 422 (the same as for a submission), nothing changed
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $d = main::in_supplement();
my $code = $d->{code};
my $before = dossier($code);
my $bad = $J->decode(main::corrected());
$bad->{applicant}{citizen_id} = "12345";
delete $bad->{documents}[1];                  # owner_identity is required
$bad->{documents} = [ grep { defined } @{ $bad->{documents} } ];
my $bad_body = $J->encode($bad);
my $r = citizen_post($code, "supplement", $d->{lookup_token}, $bad_body);
is($r->{status}, 422, "422");
is($r->{json}{error}, "validation_failed", "validation_failed");
my %paths = map { $_->{path} => $_->{code} } @{ $r->{json}{violations} };
ok(exists $paths{"/applicant/citizen_id"}, "names /applicant/citizen_id");
ok((grep { $_->{code} eq "missing_document" } @{ $r->{json}{violations} }),
   "names the missing owner_identity document");
# the same body as a submission gets the same violations
my $s = http_request("POST /dvc/v1/dossiers\n$bad_body",
                     more_headers => "Content-Type: application/json");
is($s->{status}, 422, "as a submission: 422 too");
is($r->{body}, $s->{body}, "the same answer, byte for byte");
is_deeply(dossier($code), $before, "the dossier is untouched");
is(scalar(inbox("supplement")), 0, "nothing sent to the back-end");
# malformed JSON: 400 with the offset, as for a submission
$r = citizen_post($code, "supplement", $d->{lookup_token}, '{"procedure":"1.001612",');
is($r->{status}, 400, "broken JSON: 400");
is($r->{json}{error}, "json_incomplete", "json_incomplete, as for a submission");
is($r->{json}{offset}, 24, "at the body's end");
# not JSON
$r = citizen_post($code, "supplement", $d->{lookup_token}, main::corrected(), type => "text/plain");
is($r->{status}, 415, "text/plain: 415");
# no procedure named
$r = citizen_post($code, "supplement", $d->{lookup_token}, '{"applicant":{}}');
is($r->{status}, 422, "no procedure: 422");
is($r->{json}{violations}[0]{path}, "/procedure", "names /procedure");
is(dossier($code)->{status}, 5, "still waiting for the supplement");
--- no_error_log
[error]



=== TEST 3: another procedure's dossier: 422 procedure_mismatch
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::in_supplement();
my $r = citizen_post($d->{code}, "supplement", $d->{lookup_token}, example("1.001193"));
is($r->{status}, 422, "a valid dossier of 1.001193 for a 1.001612 dossier: 422");
is($r->{json}{error}, "procedure_mismatch", "procedure_mismatch");
ok($r->{json}{message}{vi} && $r->{json}{message}{en}, "explained");
(my $other = example("1.001612")) =~ s/"procedure": "1.001612"/"procedure": "9.999999"/;
$r = citizen_post($d->{code}, "supplement", $d->{lookup_token}, $other);
is($r->{status}, 422, "an unknown procedure: 422 as well");
is($r->{json}{error}, "procedure_mismatch", "procedure_mismatch");
is(dossier($d->{code})->{status}, 5, "unchanged");
--- no_error_log
[error]



=== TEST 4: outside status 5: 409 naming the citizen's legal actions; the token rules of the lookup
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my $code = $d->{code};
my %allowed = (1 => [{ action => "withdrawal", to => 7 }],
               2 => [{ action => "withdrawal", to => 7 }],
               4 => [{ action => "withdrawal", to => 7 }],
               7 => [], 8 => [],
               9 => [{ action => "rating" }]);
for my $st (sort { $a <=> $b } keys %allowed) {
    set_status($code, $st);
    my $r = citizen_post($code, "supplement", $d->{lookup_token}, main::corrected());
    is($r->{status}, 409, "in $st: 409");
    is($r->{json}{error}, "illegal_transition", "in $st: illegal_transition");
    is_deeply($r->{json}{allowed}, $allowed{$st}, "in $st: the citizen's legal actions");
}
set_status($code, 5);
my $lookup404 = http_request("GET /dvc/v1/dossiers/$code")->{body};
# the token with its first character changed (it may itself start with "x")
my $wrong = ($d->{lookup_token} =~ /^x/ ? "y" : "x") . substr($d->{lookup_token}, 1);
for my $c ([ "no token", undef ], [ "wrong token", $wrong ]) {
    my $r = citizen_post($code, "supplement", $c->[1], main::corrected());
    is($r->{status}, 404, "$c->[0]: 404");
    is($r->{body}, $lookup404, "$c->[0]: the lookup's body");
}
is(dossier($code)->{status}, 5, "unchanged");
--- no_error_log
[error]



=== TEST 5: the whole loop with the back-end's signed events: accept, request_supplement, supplement, accept with a fresh due
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $d = submit_dossier("1.001612");
my $code = $d->{code};
my $r = send_event($code, { type => "accept" });
is($r->{status}, 200, "accept: 200");
# as if the desk had accepted it a week ago: the first appointment is past
my $week = 7 * 86400;
my $h = dossier($code);
my ($old_due_ts) = $h->{due_ts} - $week;
redis_cmd('HSET', "dvc:d:$code", accepted_ts => $h->{accepted_ts} - $week,
          due_ts => $old_due_ts);
$r = send_event($code, { type => "request_supplement",
    reason => { vi => "Thiếu bản sao giấy tờ pháp lý của thành viên hộ gia đình",
                en => "The household members' ID copies are missing" },
    documents => [{ name => "Bản sao giấy tờ pháp lý của thành viên hộ gia đình" }] });
is($r->{status}, 200, "request_supplement: 200");
$h = dossier($code);
is($h->{status}, 5, "in 5");
ok(!exists $h->{due_ts} && !exists $h->{due_at}, "entering 5 voided the appointment");
$r = citizen_post($code, "supplement", $d->{lookup_token}, main::corrected());
is($r->{status}, 200, "supplement: 200");
is($r->{json}{status}, 1, "back at the desk");
my ($s) = inbox("supplement");
is($s->{body}, main::corrected(), "the back-end has the corrected body");
my $before_accept = time;
$r = send_event($code, { type => "accept" });
is($r->{status}, 200, "accept again: 200");
$h = dossier($code);
is($h->{status}, 2, "accepted");
ok($h->{accepted_ts} >= $before_accept, "accepted now, not a week ago");
ok($h->{due_ts} > time && $h->{due_ts} > $old_due_ts,
   "the due time is computed afresh from the new acceptance");
is($h->{due_at}, $r->{json}{due_at}, "and answered to the back-end");
is($h->{st_due}, $h->{due_ts}, "the statistics count the new due, not the voided one");
# the receipt signed at the second acceptance names the corrected documents
my (undef, $payload) = split /\./, $r->{json}{receipt};
$payload =~ tr{-_}{+/};
$payload .= "=" x ((4 - length($payload) % 4) % 4);
require MIME::Base64;
my $receipt = $J->decode(MIME::Base64::decode_base64($payload));
is_deeply([ map { $_->{kind} } @{ $receipt->{documents} } ],
          [ "registration_request", "owner_identity", "members_identity" ],
          "the new receipt lists the supplemented document");
my @hist = map { "$_->{status}/$_->{actor}" } @{ $J->decode($h->{history}) };
is_deeply(\@hist, [ "submitted/citizen", "accepted/back-end",
                    "supplement_requested/back-end", "submitted/citizen",
                    "accepted/back-end" ], "the history tells the story");
--- no_error_log
[error]



=== TEST 6: a supplement racing a withdrawal: the one that loses is decided again on what the winner left
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::in_supplement();
my $code = $d->{code};
# both read the dossier in 5 at the same ver
my @status = map { $_->{status} } racing_posts($code, $d->{lookup_token},
    [ "withdrawal", '{"reason":"Tôi không bổ sung nữa, xin rút hồ sơ"}' ],
    [ "supplement", main::corrected() ]);
is_deeply(\@status, [200, 409], "the withdrawal (first) wins; the supplement finds the dossier in 7: 409");
my $h = dossier($code);
is($h->{status}, 7, "withdrawal requested");
is($h->{prev_status}, 5, "from 5");
is(scalar(inbox("supplement")), 0, "no supplement reached the back-end");
is(scalar(inbox("withdrawal_requested")), 1, "the withdrawal did");
--- error_log
supplement of "000.20.31.H29-
the dossier changed meanwhile, deciding again
--- no_error_log
[error]



=== TEST 7: the same supplement sent again after it applied: the first answer, byte for byte, applied once
--- request
GET /dvc/v1/keys
--- post_init
my $body = main::corrected();
# the citizen read the answer, and the app sends it again anyway
my $d = main::in_supplement();
my $code = $d->{code};
my $first = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is($first->{status}, 200, "first: 200");
my $ver = dossier($code)->{ver};
sleep 1;                                  # a retry's applied_at would differ
my $again = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is($again->{status}, 200, "again: 200");
is(answer_shape($again), answer_shape($first), "again: the first answer, headers and body");
is(dossier($code)->{ver}, $ver, "nothing written");
my $l = http_request("GET /dvc/v1/dossiers/$code",
                     more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
my @sup = grep { ($_->{type} // '') eq "supplement" } @{ $J->decode($l->{body})->{history} };
is(scalar @sup, 1, "the lookup's history has one supplement");
is(scalar(inbox("supplement")), 1, "one supplement in dvc:inbox");
# the answer was lost (the phone lost its signal): the retry tells the
# citizen it worked, when it did
my $e = main::in_supplement();
ok(post_and_hang_up($e->{code}, "supplement", $e->{lookup_token}, $body,
                    sub { dossier($e->{code})->{status} == 1 }),
   "a supplement whose answer was lost is applied");
my $retry = citizen_post($e->{code}, "supplement", $e->{lookup_token}, $body);
is($retry->{status}, 200, "its retry: 200");
is($retry->{json}{status}, 1, "status 1, as it was applied");
is($retry->{json}{applied_at}, history_last($e->{code})->{at}, "applied_at: when it was applied");
is_deeply([ map { $_->{code} } inbox("supplement") ], [ $code, $e->{code} ],
          "one supplement each in dvc:inbox");
is(redis_cmd('XLEN', 'dvc:inbox'), 4, "dvc:inbox: two submissions, two supplements");
# the desk has accepted it meanwhile: still the first answer
is(send_event($code, { type => "accept" })->{status}, 200, "the desk accepts");
$again = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is(answer_shape($again), answer_shape($first), "after the acceptance: still the first answer");
is(dossier($code)->{status}, 2, "and the dossier stays accepted");
# a retry needs the token as the first request did: the lookup's 404
my $lookup404 = http_request("GET /dvc/v1/dossiers/$code")->{body};
my $wrong = ($d->{lookup_token} =~ /^x/ ? "y" : "x") . substr($d->{lookup_token}, 1);
my $r = citizen_post($code, "supplement", $wrong, $body);
is($r->{status}, 404, "wrong token: 404");
is($r->{body}, $lookup404, "wrong token: the lookup's body");
my $stored = dossier($code)->{"c:supplement"};
is(substr($stored, 0, 65), sha256_hex($body) . " ", "c:supplement keeps the body's SHA-256");
is(substr($stored, 65), $first->{body}, "and the answer");
--- error_log
supplement of "000.20.31.H29-
sent again: the first answer repeated, nothing applied
--- no_error_log
[error]



=== TEST 8: the desk asks again: the same body is a new supplement, and its retry the new answer
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $body = main::corrected();
my $d = submit_dossier("1.001612");
my $code = $d->{code};
my $ask = { type => "request_supplement",
    reason => { vi => "Bản sao giấy tờ pháp lý không đọc được", en => "The ID copies are unreadable" },
    documents => [{ name => "Bản sao giấy tờ pháp lý của thành viên hộ gia đình" }] };
is(send_event($code, { type => "accept" })->{status}, 200, "accepted");
is(send_event($code, $ask)->{status}, 200, "supplement requested");
my $first = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is($first->{status}, 200, "supplement: 200");
is(send_event($code, { type => "accept" })->{status}, 200, "accepted again");
is(send_event($code, $ask)->{status}, 200, "supplement requested again");
sleep 1;
my $second = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is($second->{status}, 200, "the same body in 5 again: 200");
isnt($second->{json}{applied_at}, $first->{json}{applied_at}, "applied anew");
my @sup = grep { ($_->{type} // '') eq "supplement" } @{ $J->decode(dossier($code)->{history}) };
is(scalar @sup, 2, "two supplements in the history");
is(scalar(inbox("supplement")), 2, "two in dvc:inbox");
my $again = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is(answer_shape($again), answer_shape($second), "its retry: the second answer");
--- no_error_log
[error]



=== TEST 9: the same supplement twice at the same instant: applied once, both answered the same
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::in_supplement();
my $code = $d->{code};
# both read the dossier in 5 at the same ver; the second to write loses the
# compare-and-set, reads again and finds the first one's answer
my @r = racing_posts($code, $d->{lookup_token},
    [ "supplement", main::corrected() ], [ "supplement", main::corrected() ]);
is_deeply([ map { $_->{status} } @r ], [200, 200], "both 200");
is(answer_shape($r[1]), answer_shape($r[0]), "the same answer, headers and body");
my @sup = grep { ($_->{type} // '') eq "supplement" } @{ $J->decode(dossier($code)->{history}) };
is(scalar @sup, 1, "one supplement in the history");
is(scalar(inbox("supplement")), 1, "one in dvc:inbox");
is(dossier($code)->{ver}, 1, "one change written");
--- error_log
the dossier changed meanwhile, deciding again
sent again: the first answer repeated, nothing applied
--- no_error_log
[error]

=== TEST 10: Redis lost the script (SCRIPT FLUSH through redis-cli): the supplement goes again with the script's text and its inbox entry is whole
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::in_supplement();
my $code = $d->{code};
my $body = main::corrected();
my $cli = "redis-cli -p " . redis_port();
is(`$cli SCRIPT FLUSH`, "OK\n", "redis-cli SCRIPT FLUSH");
redis_cmd('CONFIG', 'RESETSTAT');
my $r = citizen_post($code, "supplement", $d->{lookup_token}, $body);
is($r->{status}, 200, "200");
my $cs = redis_cmd('INFO', 'commandstats');
like($cs, qr/^cmdstat_evalsha:calls=1,.*failed_calls=1\r?$/m, "EVALSHA: NOSCRIPT");
like($cs, qr/^cmdstat_eval:calls=1,/m, "then EVAL once");
# the EVAL leaves after the values the gateway read from Redis were freed:
# what reaches the back-end must still be the dossier's own
my @s = inbox("supplement");
is(scalar @s, 1, "one supplement entry in dvc:inbox");
is($s[0]{code}, $code, "it names the dossier");
is($s[0]{procedure}, "1.001612", "and its procedure");
is($s[0]{body}, $body, "it carries the corrected body byte for byte");
my $h = dossier($code);
is($h->{status}, 1, "status 1 stored");
is($h->{body_sha256}, sha256_hex($body), "the corrected body's SHA-256");
is($h->{ver}, 1, "applied once");
like(block_error_log(), qr/\[notice\].*redis does not know the apply script/, "the NOSCRIPT said in the log");
--- no_error_log
[error]
