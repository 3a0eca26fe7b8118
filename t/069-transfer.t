# Liên thông (issue 19): transfer and transfer_return, signed back-end events,
# through the real nginx and Redis on a fake clock (libfaketime reading a
# timestamp file this script rewrites, as t/070 does).
#
# TEST 1: three dossiers of two agencies hand parts of their work to two
# other agencies; some come back late.  The share's due times are computed
# here from the calendar's rules (office_due, written again from
# docs/calendar.md), not read from the gateway; the receiving agency's inbox
# stream, the lookup's `transfers` and history, and the report's liên thông
# figures for several periods and agencies are compared with what this
# script itself did.
#
# TEST 2: refusals, each a 4xx JSON naming its cause, with nothing applied.
# TEST 3: dvc_agency refuses a value that is no agency identifier.
use FindBin;
use lib "$FindBin::Bin/lib";
# the fake clock and the calendar's arithmetic, as t/070:
# t/lib/Test/DVC/FakeClock.pm, loaded before the harness
use Test::DVC::FakeClock;
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use Time::Local qw(timegm);
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use utf8;

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;
our $TMP = tempdir(CLEANUP => 1);

set_clock(vn("2026-11-23 08:00"));

our $EVENT_KEY = "$TMP/event.key";
our $SECRET = `openssl rand -hex 32`;
chomp $SECRET;
{
    open my $f, '>', $EVENT_KEY or die;
    print $f "$SECRET\n";
    close $f;
    chmod 0600, $EVENT_KEY;
}

# 000.00.15.H29 is the agency of procedure 2.000488; 000.01.01.H29 is known
# only through dvc_agency
gateway_defaults(json => 1, extra_http => "    dvc_event_key $EVENT_KEY;\n"
                                        . "    dvc_agency 000.01.01.H29 000.02.02.H29;\n");

fake_clock_blocks();

# ------------------------------------------------------------------ time
# vn, vn_iso, vn_text, set_clock, office_due: Test::DVC::FakeClock

# ------------------------------------------------------------ the gateway

our %PROC = (
    '1.001612' => { agency => '000.20.31.H29', minutes => 3 * 480 },
    '1.002820' => { agency => '000.00.07.H29', minutes => 5 * 480 },
);

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

our (%BY, @XFER, $evn);

sub submit {
    my ($name, $proc, $when) = @_;
    set_clock(vn($when));
    my $r = http_request("POST /dvc/v1/dossiers\n" . example($proc),
                         more_headers => "Content-Type: application/json\n");
    $r->{status} == 201 or die "submission: $r->{status} $r->{body}";
    my $a = $J->decode($r->{body});
    $BY{$name} = { name => $name, proc => $proc, agency => $PROC{$proc}{agency},
                   code => $a->{code}, token => $a->{lookup_token} };
    return $BY{$name};
}

# a signed event at $when (the fake clock is set there first); the response
sub send_event {
    my ($name, $when, %e) = @_;
    my $d = $BY{$name};
    my $t = vn($when);
    set_clock($t);
    $e{id} //= "evt-" . ++$evn;
    $e{at} //= vn_iso($t);
    my $body = $e{_raw} // $J->encode({ map { $_ => $e{$_} } grep { !/^_/ } keys %e });
    my $path = "/dvc/v1/dossiers/$d->{code}/events";
    my $sig = hmac_sha256_hex("$t\nPOST\n$path\n$body", $SECRET);
    my $r = http_request("POST $path\n$body", more_headers =>
        "Content-Type: application/json\nX-DVC-Timestamp: $t\nX-DVC-Signature: v1=$sig\n");
    $r->{json} = eval { $J->decode($r->{body}) };
    $r->{sent} = $body;
    return $r;
}

sub ok_event {
    my ($name, $when, %e) = @_;
    my $r = send_event($name, $when, %e);
    main::is($r->{status}, 200, "$name: $e{type} at $when") or main::diag($r->{body});
    return $r;
}

# the dossier accepted and in processing
sub in_processing {
    my ($name, $proc, $when) = @_;
    my $d = submit($name, $proc, $when);
    my $t = vn($when) + 600;
    my $r = ok_event($name, vn_text($t), type => 'accept');
    $d->{due} = office_due($t, $PROC{$proc}{minutes});
    main::is($r->{json}{due_at}, vn_iso($d->{due}), "$name: due as the test computes it");
    ok_event($name, vn_text($t + 600), type => 'process');
    return $d;
}

# a transfer the gateway must accept: the test's own record of it
sub transfer {
    my ($name, $when, $to, $share, $reason) = @_;
    my $d = $BY{$name};
    my ($unit, $n) = %$share;
    my $t = vn($when);
    my $due = office_due($t, $unit eq 'days' ? $n * 480 : $n * 60);
    my $r = ok_event($name, $when, type => 'transfer', to_agency => $to,
                     share => $share, reason => $reason);
    main::is($r->{json}{share_due_at}, vn_iso($due), "$name: share due as the test computes it");
    main::is($r->{json}{to_agency}, $to, "$name: answered the agency");
    main::is($r->{json}{status}, 4, "$name: still in processing");
    push @XFER, { d => $d, to => $to, from => $d->{agency}, sent => $t, due => $due,
                  share => $share, event => $J->decode($r->{sent})->{id}, reason => $reason };
    return $r;
}

sub transfer_return {
    my ($name, $when) = @_;
    my ($x) = grep { $_->{d}{name} eq $name && !defined $_->{back} } @XFER;
    my $t = vn($when);
    my $r = ok_event($name, $when, type => 'transfer_return',
                     note => "Đã có kết quả xác minh của cơ quan phối hợp");
    $x->{back} = $t;
    my $late = $t > $x->{due} ? 1 : 0;
    main::is($r->{json}{late} ? 1 : 0, $late, "$name: back at $when, late=$late");
    main::is($r->{json}{agency}, $x->{to}, "$name: the agency that had it");
    return $r;
}

# The report's liên thông figures for [from, to] (days, Vietnam) and an
# agency (undef: all), from the script's own record.
sub expected {
    my ($from, $to, $agency) = @_;
    my ($f, $e) = (vn($from), vn($to) + 86400);
    my %x = map { $_ => 0 } qw(lien_thong transfers_received transfers_returned_on_time
                               transfers_returned_late transfers_open);
    my %first;
    for my $x (sort { $a->{sent} <=> $b->{sent} } @XFER) {
        $first{$x->{d}{code}} //= $x;
    }
    for my $x (values %first) {
        next if defined $agency && $x->{from} ne $agency;
        $x{lien_thong}++ if $x->{sent} >= $f && $x->{sent} < $e;
    }
    for my $x (@XFER) {
        next if defined $agency && $x->{to} ne $agency;
        $x{transfers_received}++ if $x->{sent} >= $f && $x->{sent} < $e;
        if (defined $x->{back} && $x->{back} >= $f && $x->{back} < $e) {
            $x{$x->{back} > $x->{due} ? 'transfers_returned_late'
                                      : 'transfers_returned_on_time'}++;
        }
        $x{transfers_open}++ if $x->{sent} < $e && !(defined $x->{back} && $x->{back} < $e);
    }
    return \%x;
}

sub check_report {
    my ($from, $to, $agency) = @_;
    my $q = "from=$from&to=$to" . (defined $agency ? "&agency=$agency" : "");
    my $r = http_request("GET /dvc/v1/stats?$q");
    main::is($r->{status}, 200, "report $q: 200") or return;
    my $got = $J->decode($r->{body});
    my $x = expected($from, $to, $agency);
    my %g = map { $_ => $got->{$_} } keys %$x;
    main::is_deeply(\%g, $x, "report $q: liên thông figures as the script says")
        or main::diag($r->{body});
    my $c = http_request("GET /dvc/v1/stats?$q", more_headers => "Accept: text/csv\n");
    my %rows = map { /^([a-z_]+),([^,]*),/ ? ($1 => $2) : () } split /\r\n/, $c->{body};
    my %cg = map { $_ => $rows{$_} } keys %$x;
    main::is_deeply(\%cg, $x, "report $q: the same in CSV");
}

sub lookup {
    my ($name) = @_;
    my $d = $BY{$name};
    my $r = http_request("GET /dvc/v1/dossiers/$d->{code}",
                         more_headers => "X-DVC-Lookup-Token: $d->{token}\n");
    $r->{status} == 200 or die "lookup: $r->{status} $r->{body}";
    return $J->decode($r->{body});
}

# a stream's entries as [{field => value}]
sub stream {
    my $e = redis_cmd('XRANGE', $_[0], '-', '+');
    return [ map { { @{ $_->[1] } } } @$e ];
}

run_tests();

__DATA__

=== TEST 1: transfers and returns with lateness: the receiving agency's inbox, lookup, history and report figures
--- request
GET /dvc/v1/stats?from=2026-11-23&to=2026-11-23
--- post_init
my $XT = '000.00.15.H29';       # a procedure's agency
my $XD = '000.01.01.H29';       # known through dvc_agency
# d1, d3: 000.00.07.H29 (5 days); d2: 000.20.31.H29 (3 days)
main::in_processing(d1 => '1.002820', '2026-11-23 08:00');
main::in_processing(d2 => '1.001612', '2026-11-23 08:30');
main::in_processing(d3 => '1.002820', '2026-11-23 09:00');

# d1: one day at 000.00.15.H29, back 1 h 30 late; then 4 hours at
# 000.01.01.H29, back in time
main::transfer(d1 => '2026-11-23 09:30', $XT, { days => 1 },
               { vi => "Đề nghị xác minh nghĩa vụ tài chính về đất đai",
                 en => "Please verify the land-related financial obligations" });
main::transfer_return(d1 => '2026-11-24 11:00');
main::transfer(d1 => '2026-11-24 11:10', $XD, { hours => 4 }, "Đề nghị xác nhận tình trạng cư trú của người nộp");
main::transfer_return(d1 => '2026-11-24 16:00');
# d2: two days at 000.00.15.H29, back the next morning: late
main::transfer(d2 => '2026-11-23 10:00', $XT, { days => 2 }, "Đề nghị cung cấp thông tin thửa đất liên quan");
main::transfer_return(d2 => '2026-11-26 08:00');
# d3: half a day at 000.01.01.H29, still there
main::transfer(d3 => '2026-11-25 08:00', $XD, { days => 0.5 }, "Đề nghị xác minh hộ khẩu thường trú");

# the receiving agency's own inbox: its two parts, nothing of the others
my $in = main::stream("dvc:inbox:$XT");
is(scalar @$in, 2, "dvc:inbox:$XT holds its two parts");
my @mine = grep { $_->{to} eq $XT } @main::XFER;
for my $i (0 .. 1) {
    my ($e, $x) = ($in->[$i], $mine[$i]);
    is($e->{type}, 'transfer', "entry $i: type transfer");
    is($e->{code}, $x->{d}{code}, "entry $i: the dossier");
    is($e->{procedure}, $x->{d}{proc}, "entry $i: its procedure");
    is($e->{from_agency}, $x->{from}, "entry $i: the sending agency");
    is($e->{due_at}, main::vn_iso($x->{due}), "entry $i: the share's due time");
    is($e->{dossier_due_at}, main::vn_iso($x->{d}{due}), "entry $i: the dossier's due time");
    is_deeply($J->decode($e->{share}), $x->{share}, "entry $i: the share");
    is($e->{event}, $x->{event}, "entry $i: the event id");
    like($e->{body_sha256} // '', qr/^[0-9a-f]{64}$/, "entry $i: the body's hash");
    my $reason = $J->decode($e->{reason});
    is($reason->{vi}, ref $x->{reason} ? $x->{reason}{vi} : $x->{reason}, "entry $i: the reason");
}
my $in2 = main::stream("dvc:inbox:$XD");
is_deeply([ map { $_->{code} } @$in2 ], [ $main::BY{d1}{code}, $main::BY{d3}{code} ],
          "dvc:inbox:$XD holds d1's and d3's parts, in order");
# the sending agencies' back-end hears of each return, with its lateness
my @back = grep { ($_->{type} // '') eq 'transfer_returned' } @{ main::stream('dvc:inbox') };
is_deeply([ map { "$_->{code} $_->{agency} $_->{late}" } @back ],
          [ "$main::BY{d1}{code} $XT true", "$main::BY{d1}{code} $XD false",
            "$main::BY{d2}{code} $XT true" ], "dvc:inbox: transfer_returned entries with lateness");

# lookup: each agency, its share, its due time, whether it was late
my $l = main::lookup('d1');
is(scalar @{ $l->{transfers} }, 2, "d1: two parts on lookup");
my @x1 = grep { $_->{d}{name} eq 'd1' } @main::XFER;
for my $i (0 .. 1) {
    my ($t, $x) = ($l->{transfers}[$i], $x1[$i]);
    is($t->{agency}, $x->{to}, "d1 part $i: agency");
    is($t->{from_agency}, '000.00.07.H29', "d1 part $i: from the dossier's agency");
    is_deeply($t->{share}, $x->{share}, "d1 part $i: share");
    is($t->{due_at}, main::vn_iso($x->{due}), "d1 part $i: due");
    is($t->{sent_at}, main::vn_iso($x->{sent}), "d1 part $i: sent");
    is($t->{returned_at}, main::vn_iso($x->{back}), "d1 part $i: returned");
    is($t->{late} ? 1 : 0, $x->{back} > $x->{due} ? 1 : 0, "d1 part $i: late as the test says");
}
is($l->{status_number}, 4, "d1: still in processing");
my @h = grep { ($_->{type} // "") =~ /^transfer/ } @{ $l->{history} };
is_deeply([ map { $_->{type} } @h ], [qw(transfer transfer_return transfer transfer_return)],
          "d1: four history entries of the transfers");
is($h[0]{to_agency}, $XT, "history: the transfer names the agency");
is($h[0]{share_due_at}, main::vn_iso($x1[0]{due}), "history: and its share's due time");
is_deeply([ map { $_->{late} } @h[1, 3] ], [JSON::PP::true, JSON::PP::false],
          "history: the returns say whether they were late");
is($h[1]{agency}, $XT, "history: the return names the agency");
my $l3 = main::lookup('d3');
is(scalar @{ $l3->{transfers} }, 1, "d3: one part");
is($l3->{transfers}[0]{returned_at}, undef, "d3: not back yet");
is($l3->{transfers}[0]{late}, undef, "d3: lateness not known yet");
is_deeply(main::lookup('d2')->{transfers}[0]{late}, JSON::PP::true, "d2: late");

# the report, for several periods and agencies, against the script's record
for my $p (['2026-11-23', '2026-11-23'], ['2026-11-23', '2026-11-24'],
           ['2026-11-24', '2026-11-25'], ['2026-11-23', '2026-11-30'],
           ['2026-11-26', '2026-11-26']) {
    main::check_report(@$p, $_) for (undef, $XT, $XD, '000.00.07.H29', '000.20.31.H29');
}
# the figures are not all zero (the test would prove nothing)
my $all = main::expected('2026-11-23', '2026-11-30', undef);
is_deeply($all, { lien_thong => 3, transfers_received => 4, transfers_returned_on_time => 1,
                  transfers_returned_late => 2, transfers_open => 1 }, "the script's own totals");

=== TEST 2: refusals: unknown agency, own agency, a share that does not fit, wrong status, no part out, replay; nothing applied
--- request
GET /dvc/v1/stats?from=2026-11-23&to=2026-11-23
--- post_init
my $XT = '000.00.15.H29';
main::in_processing(e1 => '1.001612', '2026-11-30 08:00');   # due Thu 3 Dec 08:10
my $code = $main::BY{e1}{code};
my $key = "dvc:d:$code";
my $ver = redis_cmd('HGET', $key, 'ver');
my $reason = "Đề nghị xác minh thông tin đất đai";
my @cases = (
    [ 422, 'unknown_agency', 'to_agency', to_agency => '000.99.99.H99', share => { days => 1 } ],
    [ 422, 'invalid_field', 'to_agency', to_agency => '000.20.31.H29', share => { days => 1 } ],
    [ 422, 'invalid_field', 'to_agency', to_agency => 'không/mã', share => { days => 1 } ],
    [ 422, 'share_does_not_fit', 'share', to_agency => $XT, share => { days => 3 } ],
    [ 422, 'invalid_field', 'share', to_agency => $XT, share => { days => 0.3 } ],
    [ 422, 'invalid_field', 'share', to_agency => $XT, share => { weeks => 1 } ],
    [ 422, 'invalid_field', 'share', to_agency => $XT, share => { days => -1 } ],
    [ 422, 'missing_field', 'share', to_agency => $XT ],
    [ 422, 'missing_field', 'to_agency', share => { days => 1 } ],
);
for my $c (@cases) {
    my ($http, $err, $field, %e) = @$c;
    my $r = main::send_event(e1 => '2026-11-30 09:00', type => 'transfer', reason => $reason, %e);
    my $what = "$err ($field) for " . $J->encode(\%e);
    is($r->{status}, $http, "$what: $http");
    is($r->{json}{error}, $err, "$what: error");
    is($r->{json}{field}, $field, "$what: field");
    like($r->{json}{message}{en} // '', qr/\S/, "$what: an English message");
    like($r->{json}{message}{vi} // '', qr/\S/, "$what: a Vietnamese message");
}
my $r = main::send_event(e1 => '2026-11-30 09:00', type => 'transfer', reason => $reason,
                         to_agency => $XT, share => { days => 3 });
like($r->{json}{message}{en}, qr/2026-12-03T09:00:00\+07:00.*2026-12-03T08:10:00\+07:00/,
     "the share that does not fit: both times named");
$r = main::send_event(e1 => '2026-11-30 09:00', type => 'transfer_return');
is($r->{status}, 409, "return with no part out: 409");
is($r->{json}{error}, 'no_open_transfer', "no_open_transfer");
is(redis_cmd('HGET', $key, 'ver'), $ver, "nothing applied by the refusals");
is(redis_cmd('EXISTS', "dvc:inbox:$XT"), 0, "no inbox entry");
is(redis_cmd('HEXISTS', $key, 'transfers'), 0, "no transfer recorded");

# a good one, then its replay and a reuse of its id
$r = main::send_event(e1 => '2026-11-30 09:00', id => 'x1', type => 'transfer', reason => $reason,
                      to_agency => $XT, share => { days => 1 });
is($r->{status}, 200, "transfer: 200");
my $first = $r->{body};
my $stats = redis_cmd('HGETALL', "dvc:st:a:$XT:transfer_in");
my $r2 = main::send_event(e1 => '2026-11-30 09:00', id => 'x1', _raw => $r->{sent});
is($r2->{status}, 200, "the same event again: 200");
is($r2->{body}, $first, "the first answer, byte for byte");
is(redis_cmd('XLEN', "dvc:inbox:$XT"), 1, "one inbox entry, not two");
is_deeply(redis_cmd('HGETALL', "dvc:st:a:$XT:transfer_in"), $stats, "counted once");
$r = main::send_event(e1 => '2026-11-30 09:05', id => 'x1', type => 'transfer', reason => $reason,
                      to_agency => '000.01.01.H29', share => { days => 1 });
is($r->{status}, 409, "the id with another body: 409");
is($r->{json}{error}, 'event_id_reused', "event_id_reused");
# a second part while the first is out
$r = main::send_event(e1 => '2026-11-30 09:10', type => 'transfer', reason => $reason,
                      to_agency => '000.01.01.H29', share => { days => 1 });
is($r->{status}, 409, "a second transfer while one is out: 409");
is($r->{json}{error}, 'transfer_open', "transfer_open");
like($r->{json}{message}{en}, qr/\Q$XT\E/, "names the agency that has it");
# at before the last change
$r = main::send_event(e1 => '2026-11-30 09:20', type => 'transfer_return',
                      at => main::vn_iso(main::vn('2026-11-30 08:50')));
is($r->{status}, 422, "a return dated before the transfer: 422");
is($r->{json}{field}, 'at', "names at");
is(scalar @{ $J->decode(redis_cmd('HGET', $key, 'transfers')) }, 1, "still one part");

# status 2 (accepted, not processing) forbids a transfer: 409 with the legal events
main::submit(e2 => '1.001612', '2026-11-30 10:00');
main::ok_event(e2 => '2026-11-30 10:05', type => 'accept');
$r = main::send_event(e2 => '2026-11-30 10:10', type => 'transfer', reason => $reason,
                      to_agency => $XT, share => { days => 1 });
is($r->{status}, 409, "transfer in status 2: 409");
is($r->{json}{error}, 'illegal_transition', "illegal_transition");
is($r->{json}{status}{number}, 2, "names the status");
ok((grep { $_->{type} eq 'process' } @{ $r->{json}{allowed} }), "lists the legal events");
$r = main::send_event(e2 => '2026-11-30 10:10', type => 'transfer_return');
is($r->{status}, 409, "transfer_return in status 2: 409");
# a field transfer does not take
$r = main::send_event(e1 => '2026-11-30 10:20', type => 'transfer_return', to_agency => $XT);
is($r->{status}, 422, "transfer_return with to_agency: 422");
is($r->{json}{field}, 'to_agency', "names it");
# unsigned: 401 before anything
my $path = "/dvc/v1/dossiers/$code/events";
my $u = http_request("POST $path\n{\"id\":\"u1\",\"type\":\"transfer_return\"}",
                     more_headers => "Content-Type: application/json\n");
is($u->{status}, 401, "unsigned: 401");
--- error_log eval
[ qr/event "evt-\d+" \(transfer\) on "[^"]+" in status 4 refused: unknown_agency to_agency/,
  qr/refused: share_does_not_fit share/, qr/refused: transfer_open/ ]
--- no_error_log
[error]

=== TEST 3: dvc_agency refuses what is no agency identifier
--- http_config
    dvc_agency 000.00.10.H47 "000 00";
--- config
    location /dvc/ { dvc_api; }
--- must_die
--- error_log
"000 00" is not an agency identifier
