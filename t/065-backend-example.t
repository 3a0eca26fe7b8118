# examples/backend.py against the real gateway and Redis: dossiers submitted
# through nginx end in the statuses the back-end chose, and each dossier's
# history (what a citizen's lookup shows) is exactly the events the back-end
# logged, in order.  This keeps the example (and docs/events.md, which it
# follows) honest.
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use JSON::PP;

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;

# the event key, as an agency makes it: hex text, mode 0600
our $KEYDIR = tempdir(CLEANUP => 1);
our $KEY = "$KEYDIR/event.key";
{
    open my $f, '>', $KEY or die;
    printf $f "%s\n", join '', map { sprintf '%02x', int rand 256 } 1 .. 32;
    close $f;
    chmod 0600, $KEY or die;
}

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

# a citizen submits: returns (code, token)
sub submit {
    my ($procedure) = @_;
    my $r = http_request("POST /dvc/v1/dossiers\n" . example($procedure),
                         more_headers => "Content-Type: application/json");
    main::is($r->{status}, 201, "$procedure submitted") or main::diag($r->{body});
    my $a = $J->decode($r->{body});
    return ($a->{code}, $a->{lookup_token});
}

sub lookup {
    my ($code, $token) = @_;
    my $r = http_request("GET /dvc/v1/dossiers/$code",
                         more_headers => "X-DVC-Lookup-Token: $token");
    main::is($r->{status}, 200, "lookup $code") or main::diag($r->{body});
    return $J->decode($r->{body});
}

sub citizen {
    my ($code, $token, $action, $body) = @_;
    utf8::encode($body) if utf8::is_utf8($body);     # sent as UTF-8 bytes
    return http_request("POST /dvc/v1/dossiers/$code/$action\n$body",
        more_headers => "X-DVC-Lookup-Token: $token\nContent-Type: application/json");
}

# every event logged in the current block, run after run
our @ALL;

# runs the back-end once; returns (exit status, output, [events it logged])
sub backend {
    my (@args) = @_;
    my $cmd = join ' ', "/usr/bin/python3", "$ROOT/examples/backend.py",
        "--gateway", "http://127.0.0.1:" . server_port() . "/dvc/v1",
        "--redis", "redis://127.0.0.1:" . redis_port() . "/0",
        "--key", $KEY, "--once", "--speed", "0", "--consumer", "t1", @args;
    my $out = `$cmd 2>&1`;
    my @ev;
    for (split /\n/, $out) {
        # code type http [error] [status=N] event-id
        next unless /^(\d{3}\.\d\d\.\d\d\.\w+-\d{6}-\d{4}) (\w+) (\d{3})(?: ([a-z_]+))?(?: field=\S+)?(?: status=(\d+))? (\S+)$/;
        push @ev, { code => $1, type => $2, http => $3, error => $4, status => $5, id => $6 };
    }
    push @ALL, @ev;
    return ($? >> 8, $out, \@ev);
}

# The history entries the back-end made: those with an event id.
sub backend_history { grep { defined $_->{event} } @{ $_[0]->{history} } }

# Every applied event the back-end logged for `code` (in this block: all its
# runs) is in its history, in order, with the status it logged; the dossier is
# where the last one left it.
sub check_dossier {
    my ($code, $token, $what) = @_;
    my $events = \@ALL;
    my @mine = grep { $_->{code} eq $code && $_->{http} == 200 } @$events;
    my $d = lookup($code, $token);
    my @h = backend_history($d);
    main::is(join(' ', map { $_->{id} } @mine), join(' ', map { $_->{event} } @h),
             "$what: history holds the back-end's events, in order");
    main::is(join(' ', map { "$_->{type}>$_->{status}" } @mine),
             join(' ', map { "$_->{type}>$_->{status_number}" } @h),
             "$what: each with the type and status the back-end logged");
    main::is($d->{status_number}, $mine[-1]{status}, "$what: ends where the last event left it")
        if @mine;
    return $d;
}

# the docs' example key (docs/events.md), as a second key: rotation
our $DOCKEY = "$KEYDIR/doc-example.key";
{
    open my $f, '>', $DOCKEY or die;
    print $f "3f1d9a7c5e2b8f4061a7d3c9e5b1f8a2c4d6e0b9a3f5c7d1e8b2a4c6f0d9e3b7\n";
    close $f;
    chmod 0600, $DOCKEY or die;
}

gateway_defaults(json => 1, extra_http => "    dvc_event_key $KEY name=backend;\n"
                                       . "    dvc_event_key $DOCKEY name=docs-example;\n");

run_tests();

__DATA__

=== TEST 1: a working day: ten dossiers, each ends where the back-end's plan took it; the history is its events
--- request
GET /dvc/v1/procedures
--- post_init
@main::ALL = ();
my @d;
for my $p (qw(1.001612 1.002820 1.009994 2.000488 1.001193 1.001612 1.002820 1.009994 2.000488 1.001193)) {
    push @d, [ main::submit($p), $p ];
}
my ($rc, $out, $ev) = main::backend(qw(--seed day1 --refuse 0.2 --supplement 0.2 --payment 0.3 --delay 0.4));
is($rc, 0, "back-end exits 0") or diag($out);
like($out, qr/^done: \d+ events sent$/m, "back-end says how many events it sent");
my %final;
for my $x (@d) {
    my ($code, $token, $p) = @$x;
    my @mine = grep { $_->{code} eq $code } @$ev;
    ok(@mine, "$code ($p): the back-end worked it");
    is(scalar(grep { $_->{http} != 200 } @mine), 0, "$code: every event answered 200");
    my $d = main::check_dossier($code, $token, "$code ($p)");
    $final{$d->{status_number}}++;
    my $last = $mine[-1]{type};
    # the plans end in three ways
    my %end = (refuse => 3, request_supplement => 5, return => 10);
    is($d->{status_number}, $end{$last}, "$code: a plan ends refused, waiting for a supplement or returned");
    # the desk accepts hand-accepted procedures by an event, the gateway the others
    if ($p eq '1.001193') {
        ok(!grep({ $_->{type} eq 'accept' } @mine), "$code: accepted at once, no accept event");
    } elsif ($last ne 'refuse') {
        is($mine[0]{type}, 'accept', "$code: accepted by the desk first");
        ok($d->{due_at}, "$code: accepted by the back-end, so it has an appointment") if $last eq 'return';
    }
    for my $h (main::backend_history($d)) {
        if ($h->{type} =~ /^(refuse|request_supplement|delay|request_payment)$/) {
            like($h->{reason}{vi}, qr/ .* /, "$code: $h->{type} carries a human reason in Vietnamese");
            ok($h->{reason}{en}, "$code: and in English");
        }
        ok(@{ $h->{documents} } >= 1 && $h->{documents}[0]{name}, "$code: the supplement names the missing documents")
            if $h->{type} eq 'request_supplement';
        if ($h->{type} eq 'delay') {
            like($h->{new_due_at}, qr/^\d{4}-\d\d-\d\dT16:30:00\+07:00$/, "$code: the apology sets a new appointment");
            ok($h->{new_due_at} gt $d->{due_at}, "$code: later than the original due time, which stays");
            is($d->{appointment_at}, $h->{new_due_at}, "$code: the lookup shows the new appointment");
            is($d->{apology}{new_due_at}, $h->{new_due_at}, "$code: and the apology (form 04)");
            is_deeply($d->{apology}{reason}, $h->{reason}, "$code: with its reason");
        }
        like($h->{actor}, qr/ /, "$code: $h->{type} names who did it");
    }
}
note(explain(\%final));
# nothing left for the back-end
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 0, "every inbox entry acknowledged");

# a second run from the start of the stream (a consumer group reset, a
# restart that lost its place) sends every event again: each is answered
# from the gateway's memory and nothing moves
my %before = map { $_->[0] => $J->encode(main::lookup($_->[0], $_->[1])) } @d;
redis_cmd('XGROUP', 'SETID', 'dvc:inbox', 'backend', '0');
my ($rc2, $out2, $ev2) = main::backend(qw(--seed day1 --refuse 0.2 --supplement 0.2 --payment 0.3 --delay 0.4));
is($rc2, 0, "the replay run exits 0") or diag($out2);
is(join("\n", map { "$_->{code} $_->{type} $_->{http} $_->{status} $_->{id}" } @$ev2),
   join("\n", map { "$_->{code} $_->{type} $_->{http} $_->{status} $_->{id}" } @$ev),
   "the same events, the same answers");
for my $x (@d) {
    is($J->encode(main::lookup($x->[0], $x->[1])), $before{$x->[0]}, "$x->[0]: unchanged by the replay");
}

=== TEST 2: supplement round, payment, delay with apology, confirmed and declined withdrawals
--- request
GET /dvc/v1/procedures
--- post_init
@main::ALL = ();
# a driving licence the specialist finds incomplete
my ($c1, $t1) = main::submit('1.002820');
my ($rc, $out, $ev) = main::backend(qw(--refuse 0 --supplement 1));
is($rc, 0, "back-end exits 0") or diag($out);
is(join(' ', map { $_->{type} } @$ev), 'accept process request_supplement', "accept, process, ask for a supplement");
my $d = main::check_dossier($c1, $t1, "supplement");
is($d->{status_number}, 5, "waiting for the citizen");
ok(!defined $d->{due_at}, "no appointment while the dossier is incomplete");
my ($req) = grep { $_->{type} eq 'request_supplement' } main::backend_history($d);
like($req->{documents}[0]{name}, qr/Giấy khám sức khỏe/, "the missing document is named");

# the citizen sends the corrected dossier: the desk takes it again
my $r = main::citizen($c1, $t1, 'supplement', main::example('1.002820'));
ok($r->{status} >= 200 && $r->{status} < 300, "supplement accepted by the gateway") or diag($r->{body});
($rc, $out, $ev) = main::backend(qw(--refuse 0 --supplement 1 --payment 1 --delay 1));
is($rc, 0, "back-end exits 0") or diag($out);
is(join(' ', map { $_->{type} } @$ev), 'accept process request_payment process delay resolve return',
   "a new round: accept, process, payment, process, delay, resolve, return (no second supplement)");
$d = main::check_dossier($c1, $t1, "after the supplement");
is($d->{status_number}, 10, "returned");
ok($d->{due_at}, "a fresh appointment from the re-acceptance");
my ($delay) = grep { $_->{type} eq 'delay' } main::backend_history($d);
like($delay->{reason}{vi}, qr/xin lỗi/, "the delay apologises");
my ($pay) = grep { $_->{type} eq 'request_payment' } main::backend_history($d);
like($pay->{reason}{vi}, qr/lệ phí/, "the payment request says what to pay");

# two dossiers the citizens withdraw while they wait for a supplement
my ($c2, $t2) = main::submit('2.000488');
my ($c3, $t3) = main::submit('1.009994');
($rc, $out, $ev) = main::backend(qw(--refuse 0 --supplement 1));
is($rc, 0, "back-end exits 0") or diag($out);
for ([$c2, $t2], [$c3, $t3]) {
    $r = main::citizen(@$_, 'withdrawal', '{"reason":"Tôi đã nộp nhầm thủ tục"}');
    ok($r->{status} >= 200 && $r->{status} < 300, "withdrawal requested") or diag($r->{body});
    is(main::lookup(@$_)->{status_number}, 7, "withdrawal requested (7)");
}
# the inbox brings both requests; the back-end confirms all of them...
($rc, $out, $ev) = main::backend(qw(--decline 0));
is($rc, 0, "back-end exits 0") or diag($out);
is(join(' ', sort map { "$_->{type}>$_->{status}" } @$ev), 'confirm_withdrawal>8 confirm_withdrawal>8',
   "both withdrawals confirmed: stopped (8)");
main::check_dossier($c2, $t2, "confirmed withdrawal");

# ...and declines the next one, which goes back to where it was
my ($c4, $t4) = main::submit('1.001612');
($rc, $out, $ev) = main::backend(qw(--refuse 0 --supplement 1));
$r = main::citizen($c4, $t4, 'withdrawal', '{}');
ok($r->{status} >= 200 && $r->{status} < 300, "withdrawal requested") or diag($r->{body});
($rc, $out, $ev) = main::backend(qw(--decline 1));
is($rc, 0, "back-end exits 0") or diag($out);
is(join(' ', map { "$_->{type}>$_->{status}" } @$ev), 'decline_withdrawal>5', "declined: back to 5");
$d = main::check_dossier($c4, $t4, "declined withdrawal");
my ($dec) = grep { $_->{type} eq 'decline_withdrawal' } main::backend_history($d);
like($dec->{reason}{vi}, qr/ /, "the decline says why");

=== TEST 3: a wrong key: the gateway refuses, the back-end exits 1 and leaves the entry for later; a crashed consumer's entry is claimed
--- request
GET /dvc/v1/procedures
--- post_init
@main::ALL = ();
my ($c, $t) = main::submit('1.001612');
my $bad = "$main::KEYDIR/wrong.key";
open my $f, '>', $bad or die; print $f "0" x 64, "\n"; close $f; chmod 0600, $bad;
{
    local $main::KEY = $bad;
    my ($rc, $out) = main::backend();
    is($rc, 1, "back-end exits 1") or diag($out);
    like($out, qr/^\S+ accept 401 signature_invalid /m, "the gateway answered 401 signature_invalid");
    like($out, qr/check --key and dvc_event_key/, "and the back-end says what to check");
}
is(main::lookup($c, $t)->{status_number}, 1, "nothing applied");
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 1, "the entry stays pending");
# another worker (a different consumer name) takes it over once idle
my ($rc, $out, $ev) = main::backend(qw(--consumer t2 --claim-idle 0 --refuse 0 --supplement 0 --payment 0 --delay 0));
is($rc, 0, "the other worker exits 0") or diag($out);
like($out, qr/^claimed \d+-\d+ delivered \d+ times$/m, "it claimed the idle entry");
my $d = main::check_dossier($c, $t, "claimed");
is($d->{status_number}, 10, "and worked it to the end");
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 0, "nothing pending any more");

=== TEST 4: a dossier the desk entered at the counter (signed intake) is not accepted again
--- request
GET /dvc/v1/procedures
--- post_init
@main::ALL = ();
use Digest::SHA qw(hmac_sha256_hex);
my $d = $main::J->decode(main::example('1.001612'));
$d->{channel} = 'counter';
my $body = $main::J->encode($d);
my $key = do { local $/; open my $f, '<', $main::KEY or die; <$f> };
$key =~ s/\s+\z//;
my $ts = time;
my $mac = hmac_sha256_hex("$ts\nPOST\n/dvc/v1/dossiers\n$body", $key);
my $r = http_request("POST /dvc/v1/dossiers\n$body", more_headers =>
    "Content-Type: application/json\nX-DVC-Timestamp: $ts\nX-DVC-Signature: v1=$mac");
is($r->{status}, 201, "counter intake recorded") or diag($r->{body});
my $a = $main::J->decode($r->{body});
is($a->{status_number}, 2, "accepted at once");
my ($rc, $out, $ev) = main::backend(qw(--refuse 0.5 --supplement 0 --payment 0 --delay 0));
is($rc, 0, "back-end exits 0") or diag($out);
is(join(' ', map { "$_->{type}>$_->{http}" } @$ev), 'process>200 resolve>200 return>200',
   "process, resolve, return: no accept (nor refusal) for a dossier already accepted");
my $l = main::check_dossier($a->{code}, $a->{lookup_token}, "counter");
is($l->{status_number}, 10, "returned");

=== TEST 5: a withdrawal declined after the back-end restarted: the dossier's plan is taken up after the step that led to its status
--- request
GET /dvc/v1/procedures
--- post_init
@main::ALL = ();
use Digest::SHA qw(hmac_sha256_hex);
my ($c, $t) = main::submit('1.002820');
# an earlier back-end run took the entry, accepted and processed the
# dossier, then saw the citizen's withdrawal request stop its plan, and
# acknowledged the entry; then it was restarted (its memory is gone)
redis_cmd('XGROUP', 'CREATE', 'dvc:inbox', 'backend', '0');
my $got = redis_cmd('XREADGROUP', 'GROUP', 'backend', 'earlier', 'STREAMS', 'dvc:inbox', '>');
redis_cmd('XACK', 'dvc:inbox', 'backend', $got->[0][1][0][0]);
my $key = do { local $/; open my $f, '<', $main::KEY or die; <$f> };
$key =~ s/\s+\z//;
for my $e (['b.1.accept', 'accept'], ['b.2.process', 'process']) {
    my $body = qq({"id":"$e->[0]","type":"$e->[1]"});
    my $target = "/dvc/v1/dossiers/$c/events";
    my $ts = time;
    my $r = http_request("POST $target\n$body", more_headers => "Content-Type: application/json\n"
        . "X-DVC-Timestamp: $ts\nX-DVC-Signature: v1=" . hmac_sha256_hex("$ts\nPOST\n$target\n$body", $key));
    is($r->{status}, 200, "$e->[1] applied") or diag($r->{body});
}
my $r = main::citizen($c, $t, 'withdrawal', '{}');
is($r->{status}, 200, "withdrawal requested") or diag($r->{body});
my ($rc, $out, $ev) = main::backend(qw(--decline 1 --supplement 0 --payment 0 --delay 0 --refuse 0));
is($rc, 0, "back-end exits 0") or diag($out);
is(join(' ', map { "$_->{type}>$_->{status}" } @$ev), 'decline_withdrawal>4 resolve>9 return>10',
   "declined back to processing, then the rest of the plan: resolve, return");
is(main::lookup($c, $t)->{status_number}, 10, "returned");
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 0, "the withdrawal's entry acknowledged once the plan ended");

=== TEST 6: docs/events.md's worked example: its openssl recipe gives the hex it shows, and the same recipe is accepted by the gateway
--- request
GET /dvc/v1/procedures
--- post_init
my $doc = do { local $/; open my $f, '<:encoding(UTF-8)', "$main::ROOT/docs/events.md" or die; <$f> };
my ($key) = $doc =~ /^printf '%s\\n' ([0-9a-f]{64}) > event\.key$/m;
my ($json) = $doc =~ /^printf '%s' '(\{[^']+\})' > event\.json$/m;
my ($sha) = $doc =~ /^([0-9a-f]{64})  event\.json$/m;
my ($ts) = $doc =~ /^ts=(\d+) /m;
my ($path) = $doc =~ m{^path=(/dvc/v1/dossiers/\S+/events)$}m;
my ($hex) = $doc =~ /^SHA2-256\(stdin\)= ([0-9a-f]{64})$/m;
ok($key && $json && $sha && $ts && $path && $hex, "the example's key, body, digest, timestamp, path and signature found");
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $run = sub { my $c = shift; my $o = `cd $dir && $c`; chomp $o; $o };
$run->("printf '%s\\n' $key > event.key && chmod 600 event.key");
{ open my $f, '>:raw', "$dir/event.json" or die; my $b = $json; utf8::encode($b); print $f $b; close $f; }
is($run->("sha256sum event.json | cut -d' ' -f1"), $sha, "the body's SHA-256 is the one shown");
my $recipe = sub { my ($t, $p) = @_;
    $run->(qq{printf '%s\\nPOST\\n%s\\n' "$t" "$p" | cat - event.json | openssl dgst -sha256 -hmac "\$(cat event.key)" | awk '{print \$NF}'}) };
is($recipe->($ts, $path), $hex, "openssl gives the signature shown");
# the same recipe with a fresh timestamp, on a dossier of this gateway
# whose nginx takes the example's key as a second key (rotation)
my ($c, $t) = main::submit('1.001612');
my $live = "/dvc/v1/dossiers/$c/events";
my $now = time;
my $sig = $recipe->($now, $live);
my $r = http_request("POST $live\n" . do { my $b = $json; utf8::encode($b); $b },
    more_headers => "Content-Type: application/json\nX-DVC-Timestamp: $now\nX-DVC-Signature: v1=$sig");
is($r->{status}, 200, "the gateway accepts the example event signed by the recipe") or diag($r->{body});
like($r->{body}, qr/"type":"accept","status":2,"status_slug":"accepted"/, "and applies it");
is(main::lookup($c, $t)->{history}[-1]{actor}, "Bộ phận Tiếp nhận và Trả kết quả UBND quận Hoàn Kiếm", "with the example's actor");
