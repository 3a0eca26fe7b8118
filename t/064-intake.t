# Counter and postal intake: the one-stop back-end enters a paper dossier
# (received at the counter or by post) with POST /dvc/v1/dossiers, signed as
# its events are (X-DVC-Timestamp, X-DVC-Signature, dvc_event_key), saying
# "channel": "counter" or "postal".  It is validated like any submission and
# recorded accepted at once, due time and receipt included, with its channel;
# a citizen cannot claim a channel: unsigned, 422 channel_needs_signature.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use POSIX qw(strftime);
use utf8;

gateway_defaults(extra_http => event_key_config());

sub vn_day { strftime("%Y%m%d", gmtime(time + 7 * 3600)) }

# the example dossier, as the desk's software enters it
sub paper {
    my ($proc, $channel) = @_;
    my $d = $J->decode(example($proc));
    $d->{channel} = $channel;
    return $J->encode($d);
}

sub intake {
    my ($body, %o) = @_;
    my $target = $o{target} // "/dvc/v1/dossiers";
    my $h = "Content-Type: application/json\n";
    $h .= signed_headers("POST", $o{signed_target} // $target,
                         $o{signed_body} // $body, %o)
        unless $o{unsigned};
    my $r = http_request("POST $target\n$body", more_headers => $h);
    $r->{json} = eval { $J->decode($r->{body}) };
    return $r;
}

run_tests();

__DATA__

=== TEST 1: counter and postal intake, signed: accepted at once with the channel, due and receipt
--- request
GET /dvc/v1/keys
--- post_init
my $day = main::vn_day();
for my $channel ("counter", "postal") {
    my $body = main::paper("1.001612", $channel);   # a manual-acceptance procedure
    my $r = main::intake($body);
    is($r->{status}, 201, "$channel: 201");
    is($r->{json}{status}, "accepted", "$channel: accepted at once (the desk received it)");
    is($r->{json}{status_number}, 2, "$channel: status 2");
    is($r->{json}{channel}, $channel, "$channel: the answer says the channel");
    like($r->{json}{due_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/, "$channel: a due time");
    ok(length($r->{json}{receipt} // ''), "$channel: a signed receipt");
    my $code = $r->{json}{code};
    my $h = dossier($code);
    is($h->{status}, 2, "$channel: status 2 stored");
    is($h->{channel}, $channel, "$channel: channel stored");
    ok($h->{due_ts} > time, "$channel: due in the future");
    my $hist = $J->decode($h->{history});
    is_deeply([ map { "$_->{status}/$_->{actor}" } @$hist ],
              [ "submitted/citizen", "accepted/back-end" ],
              "$channel: submitted, then accepted by the back-end");
    is(redis_cmd('HGET', "dvc:st:all:received_$channel", $day), 1,
       "$channel: counted in received_$channel today");
    ok(!defined redis_cmd('HGET', "dvc:st:all:submitted_online", $day),
       "$channel: not in the online desk's queue");
    # the citizen's token works as for any dossier, and the lookup shows the channel
    my $l = http_request("GET /dvc/v1/dossiers/$code",
                         more_headers => "X-DVC-Lookup-Token: $r->{json}{lookup_token}");
    is($l->{status}, 200, "$channel: the lookup opens it");
    like($l->{body}, qr/"channel":"$channel"/, "$channel: the lookup shows the channel");
    like($l->{body}, qr/"status":"accepted"/, "$channel: accepted");
    my $rc = http_request("GET /dvc/v1/dossiers/$code/receipt",
                          more_headers => "X-DVC-Lookup-Token: $r->{json}{lookup_token}");
    is($rc->{status}, 200, "$channel: the receipt is there");
}
# an online dossier: online in the lookup
my $d = submit_dossier("1.001612");
my $l = http_request("GET /dvc/v1/dossiers/$d->{code}",
                     more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
like($l->{body}, qr/"channel":"online"/, "an online submission shows online");
ok(!defined dossier($d->{code})->{channel}, "and stores nothing: absent is online (docs/redis.md)");
--- no_error_log
[error]



=== TEST 2: a citizen cannot claim a channel: unsigned is 422 channel_needs_signature, nothing recorded
--- request
GET /dvc/v1/keys
--- post_init
for my $channel ("counter", "postal") {
    my $r = main::intake(main::paper("1.001612", $channel), unsigned => 1);
    is($r->{status}, 422, "$channel unsigned: 422");
    is($r->{json}{error}, "channel_needs_signature", "$channel unsigned: channel_needs_signature");
    ok($r->{json}{message}{vi} && $r->{json}{message}{en}, "explained");
}
is_deeply(redis_cmd('KEYS', 'dvc:d:*'), [], "no dossier recorded");
is(scalar(inbox()), 0, "nothing in the inbox");
# "online" needs no signature; an unknown channel is the schema's 422
my $r = main::intake(main::paper("1.001612", "online"), unsigned => 1);
is($r->{status}, 201, "channel online, unsigned: 201");
is($r->{json}{status}, "submitted", "waits for the desk as usual");
$r = main::intake(main::paper("1.001612", "fax"), unsigned => 1);
is($r->{status}, 422, "channel fax: 422");
is($r->{json}{violations}[0]{path}, "/channel", "the validator names /channel");
--- no_error_log
[error]



=== TEST 3: bad signatures: 401 with the event protocol's codes, nothing recorded
--- request
GET /dvc/v1/keys
--- post_init
my $body = main::paper("1.001612", "counter");
my @cases = (
    [ "stale timestamp", main::intake($body, ts => time - 301), "signature_stale" ],
    [ "another key", main::intake($body, key => "x" x 64), "signature_invalid" ],
    [ "another body signed", main::intake($body, signed_body => main::paper("1.001612", "postal")), "signature_invalid" ],
    [ "another target signed", main::intake($body, signed_target => "/dvc/v1/dossiers?channel=online"), "signature_invalid" ],
);
for my $c (@cases) {
    is($c->[1]{status}, 401, "$c->[0]: 401");
    is($c->[1]{json}{error}, $c->[2], "$c->[0]: $c->[2]");
}
my $target = "/dvc/v1/dossiers";
$r = http_request("POST $target\n$body",
    more_headers => "Content-Type: application/json\nX-DVC-Timestamp: " . time . "\n");
is($r->{status}, 401, "a timestamp without a signature: 401");
like($r->{body}, qr/"error":"signature_missing"/, "signature_missing");
is_deeply(redis_cmd('KEYS', 'dvc:d:*'), [], "no dossier recorded");
--- error_log
signed submission refused: signature_stale
signed submission refused: signature_invalid
signed submission refused: signature_missing
--- no_error_log
[error]



=== TEST 4: signed, the dossier is still validated like any submission
--- request
GET /dvc/v1/keys
--- post_init
my $d = $J->decode(main::paper("1.001612", "counter"));
$d->{applicant}{citizen_id} = "12";
my $r = main::intake($J->encode($d));
is($r->{status}, 422, "an invalid paper dossier: 422");
is($r->{json}{error}, "validation_failed", "validation_failed");
is($r->{json}{violations}[0]{path}, "/applicant/citizen_id", "names the field");
is_deeply(redis_cmd('KEYS', 'dvc:d:*'), [], "nothing recorded");
--- no_error_log
[error]



=== TEST 5: without dvc_event_key a signed submission is refused: 403 events_disabled
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
--- request
GET /dvc/v1/keys
--- post_init
my $r = main::intake(main::paper("1.001612", "counter"));
is($r->{status}, 403, "403");
like($r->{body}, qr/"error":"events_disabled"/, "events_disabled");
$r = main::intake(main::paper("1.001612", "counter"), unsigned => 1);
is($r->{status}, 422, "unsigned: 422 as anywhere");
--- no_error_log
[error]



=== TEST 6: a signature header given twice (any case, genuine or forged) is 401 signature_ambiguous, one [warn] line naming it, nothing recorded
--- request
GET /dvc/v1/keys
--- post_init
my $body = main::paper("1.001612", "counter");
my $target = "/dvc/v1/dossiers";
my $ts = time;
my $h = signed_headers("POST", $target, $body, ts => $ts);
my ($sig) = $h =~ /^X-DVC-Signature: (\S+)/m;
my $forged = "v1=" . ("e" x 64);
my $sig_twice = "X-DVC-Signature given more than once";
my @cases = (
    [ "the genuine signature twice", $sig_twice, $h . "X-DVC-Signature: $sig\n" ],
    [ "genuine, then forged", $sig_twice, $h . "X-DVC-Signature: $forged\n" ],
    [ "forged, then genuine", $sig_twice, "X-DVC-Signature: $forged\n" . $h ],
    [ "two forged", $sig_twice, "X-DVC-Timestamp: $ts\nX-DVC-Signature: $forged\nX-DVC-Signature: $forged\n" ],
    [ "a second timestamp, lower case", "X-DVC-Timestamp given more than once", $h . "x-dvc-timestamp: " . ($ts + 1) . "\n" ],
    [ "the signature in two cases", $sig_twice, $h . "x-dvc-signature: $sig\n" ],
);
for my $c (@cases) {
    my ($name, $said, $headers) = @$c;
    my $r = http_request("POST $target\n$body",
                         more_headers => "Content-Type: application/json\n$headers");
    is($r->{status}, 401, "$name: 401");
    is_deeply(eval { $J->decode($r->{body}) }, { error => "signature_ambiguous", message => {
        vi => "X-DVC-Timestamp và X-DVC-Signature chỉ được gửi một lần; yêu cầu có một trong hai tiêu đề này lặp lại bị từ chối.",
        en => "X-DVC-Timestamp and X-DVC-Signature must each be sent once; a request repeating either header is refused." } },
        "$name: the body the desk's software sees");
}
is_deeply(redis_cmd('KEYS', 'dvc:d:*'), [], "no dossier recorded");
is(scalar(inbox()), 0, "nothing in the inbox");
my @lines = grep { /signed submission refused/ } split /\n/, block_error_log();
is(scalar @lines, scalar @cases, "one line per refusal");
for my $i (0 .. $#cases) {
    like($lines[$i] // '', qr/\[warn\].*signed submission refused: signature_ambiguous \(\Q$cases[$i][1]\E\)/,
         "$cases[$i][0]: [warn], names the header");
    unlike($lines[$i] // '', qr/v1=|\Q$ts\E/, "$cases[$i][0]: no signature or timestamp value");
}
# the same request with each header once: recorded
my $r = main::intake($body, ts => $ts);
is($r->{status}, 201, "each header once: 201") or diag($r->{body});
--- no_error_log
[error]
