# The statistics report (GET /dvc/v1/stats) end to end.
#
# TEST 1: a scripted fortnight.  Dossiers are submitted and moved through
# acceptance, supplement request, delay, refusal, stop and resolution (signed
# back-end events) through the real gateway while nginx runs on a fake clock
# (libfaketime reading a timestamp file this script rewrites).  The expected
# figures are NOT read from Redis: the test replays its own script with the
# contract's definitions (who was in progress, overdue, at the desk... at the
# end of the period) and compares every figure, for several periods and
# filters, in JSON and CSV.
#
# TEST 2: the seed figures.  Quảng Ninh reported 62,798 dossiers received
# new and 1,612 carried over, 63,256 of them handled on time: 98.2 %.  A
# synthetic province of 64,410 dossier timelines is generated here and its
# COUNTERS ARE SEEDED DIRECTLY into Redis (HSET, in the exact key format
# dvc:st:{cell}:{counter} / YYYYMMDD fields), because half a million API calls
# would prove nothing more; beside them, a few dossiers go through the real
# API into the same hashes, proving the seeded format is the gateway's own.
# The report read through nginx must match the timelines' own figures.
#
# TEST 3-: parameters, methods, formats.
use FindBin;
use lib "$FindBin::Bin/lib";
# the fake clock (libfaketime preloaded into nginx only, unless the
# sanitizers' runtime is preloaded by hand: $FAKE false), vn(), set_clock(),
# office_due(): t/lib/Test/DVC/FakeClock.pm, loaded before the harness
use Test::DVC::FakeClock;
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use Time::Local qw(timegm);
use POSIX qw(floor);
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use Encode ();
use utf8;

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;
our $TMP = tempdir(CLEANUP => 1);

set_clock(vn("2026-11-23 08:00"));

# the back-end's event key (dvc_event_key)
our $EVENT_KEY = "$TMP/event.key";
{
    open my $f, '>', $EVENT_KEY or die;
    print $f "8f2c4e7a1b9d3f60c5e8a2b7d4f1c9e36a0b5d8e2f7c4a1b9e6d3f0c8a5b2e7d\n";
    close $f;
    chmod 0600, $EVENT_KEY;
}

gateway_defaults(json => 1, extra_http => "    dvc_event_key $EVENT_KEY;\n");

fake_clock_blocks();

# ------------------------------------------------------------------ time

# vn, vn_iso, vday, set_clock, office_due: Test::DVC::FakeClock

# ----------------------------------------------------------- procedures

# level of online service and sector as docs/procedures.md lists them
our %PROC = (
    '1.001193' => { agency => '000.05.22.H29', minutes => 120, cutoff => 900, auto => 1,
                    level => 4, sector => 'ho_tich' },
    '1.001612' => { agency => '000.20.31.H29', minutes => 3 * 480, level => 4, sector => 'ho_kinh_doanh' },
    '1.002820' => { agency => '000.00.07.H29', minutes => 5 * 480, level => 3, sector => 'duong_bo' },
    '2.000488' => { agency => '000.00.15.H29', minutes => 10 * 480, level => 4, sector => 'ly_lich_tu_phap' },
);

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

# ------------------------------------------------- the script and its model

our (@D, %BY);

# a citizen submits procedure $proc at $t (Vietnam time text)
sub submit {
    my ($name, $proc, $when) = @_;
    my $t = vn($when);
    set_clock($t);
    my $r = http_request("POST /dvc/v1/dossiers\n" . example($proc),
                         more_headers => "Content-Type: application/json\n");
    main::is($r->{status}, 201, "$name: $proc submitted at $when") or main::diag($r->{body});
    my $a = $J->decode($r->{body});
    my $got = $a->{submitted_at} // '';
    my $d = { name => $name, proc => $proc, agency => $PROC{$proc}{agency},
              code => $a->{code}, token => $a->{lookup_token}, submitted => $t,
              channel => 'online', events => [] };
    my @p = $got =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/;
    my $gw = timegm($p[5], $p[4], $p[3], $p[2], $p[1] - 1, $p[0]) - 7 * 3600;
    main::ok(abs($gw - $t) < 60, "$name: the gateway's clock is the script's ($got)");
    if ($PROC{$proc}{auto}) {
        my $due = office_due($t, $PROC{$proc}{minutes}, $PROC{$proc}{cutoff});
        main::is($a->{due_at}, vn_iso($due), "$name: due as the test computes it");
        push @{ $d->{events} }, [$t, 'accept', $due];
    } else {
        $d->{deadline} = office_due($t, 480);
    }
    push @D, $d;
    $BY{$name} = $d;
    return $d;
}

# the desk enters a paper dossier received at the counter or by post: a
# signed submission saying its channel, accepted at once
sub intake {
    my ($name, $proc, $channel, $when) = @_;
    my $t = vn($when);
    set_clock($t);
    my $doc = $J->decode(example($proc));
    $doc->{channel} = $channel;
    my $body = $J->encode($doc);
    my $sig = hmac_sha256_hex("$t\nPOST\n/dvc/v1/dossiers\n$body", event_key());
    my $r = http_request("POST /dvc/v1/dossiers\n$body", more_headers =>
        "Content-Type: application/json\nX-DVC-Timestamp: $t\nX-DVC-Signature: v1=$sig\n");
    main::is($r->{status}, 201, "$name: $proc entered ($channel) at $when") or main::diag($r->{body});
    my $a = $J->decode($r->{body});
    my $due = office_due($t, $PROC{$proc}{minutes}, $PROC{$proc}{cutoff});
    main::is($a->{due_at}, vn_iso($due), "$name: due as the test computes it");
    my $d = { name => $name, proc => $proc, agency => $PROC{$proc}{agency},
              code => $a->{code}, token => $a->{lookup_token}, submitted => $t,
              channel => $channel, events => [[$t, 'accept', $due]] };
    push @D, $d;
    $BY{$name} = $d;
}

# the citizen acts with the lookup token: withdrawal, supplement, rating
sub citizen {
    my ($name, $action, $when, $body, $level) = @_;
    my $d = $BY{$name};
    my $t = vn($when);
    utf8::encode($body) if utf8::is_utf8($body);    # Perl text goes out as UTF-8
    set_clock($t);
    my $r = http_request("POST /dvc/v1/dossiers/$d->{code}/$action\n$body", more_headers =>
        "Content-Type: application/json\nX-DVC-Lookup-Token: $d->{token}\n");
    main::is($r->{status}, $action eq 'rating' ? 201 : 200, "$name: $action at $when")
        or main::diag($r->{body});
    push @{ $d->{events} }, [$t, $action, undef, $level];
}

sub event_key {
    my $key = do { local $/; open my $f, '<', $EVENT_KEY or die; <$f> };
    $key =~ s/\s+\z//;
    return $key;
}

# the back-end sends a signed event at $when
my $evn = 0;
sub event {
    my ($name, $type, $when, %f) = @_;
    my $d = $BY{$name};
    my $t = vn($when);
    set_clock($t);
    my $body = $J->encode({ id => "evt-" . ++$evn, type => $type, at => vn_iso($t), %f });
    my $path = "/dvc/v1/dossiers/$d->{code}/events";
    my $sig = hmac_sha256_hex("$t\nPOST\n$path\n$body", event_key());
    my $r = http_request("POST $path\n$body", more_headers =>
        "Content-Type: application/json\nX-DVC-Timestamp: $t\nX-DVC-Signature: v1=$sig\n");
    main::is($r->{status}, 200, "$name: $type at $when") or main::diag($r->{body});
    my $due;
    if ($type eq 'accept') {
        $due = office_due($t, $PROC{$d->{proc}}{minutes}, $PROC{$d->{proc}}{cutoff});
        main::is($J->decode($r->{body})->{due_at}, vn_iso($due), "$name: due as the test computes it");
    }
    push @{ $d->{events} }, [$t, $type, $due];
}

# The dossier as of instant $t (events strictly before $t).
sub state_at {
    my ($d, $t) = @_;
    my %s = (status => 0);
    return \%s if $d->{submitted} >= $t;
    %s = (status => 1, at_desk => !$PROC{$d->{proc}}{auto});
    for my $e (@{ $d->{events} }) {
        my ($at, $type, $due) = @$e;
        last if $at >= $t;
        $s{at_desk} = 0 unless $type eq 'delay';
        if ($type eq 'accept') {
            @s{qw(status accepted due apology)} = (2, 1, $due, 0);
        } elsif ($type eq 'request_supplement') {
            @s{qw(status due apology)} = (5, undef, 0);
        } elsif ($type eq 'delay') {
            $s{apology} = 1 if $s{due};
        } elsif ($type =~ /^(refuse|stop|resolve)$/) {
            $s{status} = { refuse => 3, stop => 8, resolve => 9 }->{$type};
            $s{closed} = 1 if $s{accepted};
        } elsif ($type eq 'withdrawal') {
            @s{qw(prev status)} = ($s{status}, 7);
        } elsif ($type eq 'confirm_withdrawal') {
            $s{status} = 8;
            $s{closed} = 1 if $s{accepted};
        } elsif ($type eq 'decline_withdrawal') {
            $s{status} = $s{prev};
        } elsif ($type eq 'supplement') {
            $s{status} = 1;             # back at the desk, no due until accepted
        } elsif ($type eq 'process') {
            $s{status} = 4;
        } elsif ($type eq 'return') {
            $s{status} = 10;
        }
    }
    return \%s;
}

# The contract's figures for [from, to] computed from the script alone.
sub expected {
    my ($from, $to, $agency, $proc, $dossiers, $level, $sector) = @_;
    my $F = vn($from);
    my $T = vn($to) + 86400;
    my %x = map { $_ => 0 } qw(received_new received_online received_postal
        received_counter carried_over handled resolved resolved_early
        resolved_on_time resolved_late in_progress in_progress_on_time overdue
        overdue_with_apology overdue_without_apology withdrawn refused stopped
        awaiting_acceptance awaiting_on_time awaiting_late ratings
        rating_very_satisfied rating_satisfied rating_dissatisfied
        level_3_received_new level_3_received_online level_4_received_new
        level_4_received_online);
    for my $d (@{ $dossiers // \@D }) {
        next if defined $agency && $d->{agency} ne $agency;
        next if defined $proc && $d->{proc} ne $proc;
        next if defined $level && $PROC{$d->{proc}}{level} != $level;
        next if defined $sector && $PROC{$d->{proc}}{sector} ne $sector;
        my $sf = state_at($d, $F);
        my $st = state_at($d, $T);
        $x{carried_over}++ if $sf->{accepted} && !$sf->{closed};
        if ($st->{accepted} && !$st->{closed}) {
            $x{in_progress}++;
            if ($st->{due} && $st->{due} < $T) {
                $x{overdue}++;
                $x{$st->{apology} ? 'overdue_with_apology' : 'overdue_without_apology'}++;
            }
        }
        if ($st->{at_desk}) {
            $x{awaiting_acceptance}++;
            $x{$d->{deadline} < $T ? 'awaiting_late' : 'awaiting_on_time'}++;
        }
        my $accepted = 0;
        for my $e (@{ $d->{events} }) {
            my ($at, $type) = @$e;
            my $before = state_at($d, $at);
            my $in = $at >= $F && $at < $T;
            if ($type eq 'accept') {
                if ($in && !$accepted) {
                    my $lv = "level_$PROC{$d->{proc}}{level}";
                    $x{received_new}++;
                    $x{'received_' . ($d->{channel} // 'online')}++;
                    $x{"${lv}_received_new"}++;
                    $x{"${lv}_received_online"}++ if ($d->{channel} // 'online') eq 'online';
                }
                $accepted = 1;
            }
            next unless $in;
            $x{withdrawn}++ if $type eq 'confirm_withdrawal';
            $x{ratings}++, $x{"rating_$e->[3]"}++ if $type eq 'rating';
            $x{refused}++ if $type eq 'refuse';
            $x{stopped}++ if $type eq 'stop';
            if ($type eq 'resolve') {
                my $due = $before->{due};
                $x{resolved}++;
                $x{ vday($at) lt vday($due) ? 'resolved_early'
                   : $at <= $due ? 'resolved_on_time' : 'resolved_late' }++;
            }
        }
    }
    $x{handled} = $x{received_new} + $x{carried_over};
    $x{in_progress_on_time} = $x{in_progress} - $x{overdue};
    return \%x;
}

# "0.9821" and "98.2%" as the contract rounds them (half up)
sub rate {
    my ($n, $d) = @_;
    return (undef, undef) unless $d;
    my $r = floor(($n * 20000 + $d) / (2 * $d));
    my $p = floor(($n * 2000 + $d) / (2 * $d));
    return (sprintf("%d.%04d", $r / 10000, $r % 10000),
            sprintf("%d.%d%%", $p / 10, $p % 10));
}

sub query {
    my ($from, $to, $agency, $proc, $level, $sector) = @_;
    my $q = "from=$from&to=$to";
    $q .= "&agency=$agency" if defined $agency;
    $q .= "&procedure=$proc" if defined $proc;
    $q .= "&level=$level" if defined $level;
    $q .= "&sector=$sector" if defined $sector;
    return $q;
}

# Asks nginx and compares every figure and rate with the expectation.
sub check_report {
    my ($label, $from, $to, $agency, $proc, $x, $level, $sector) = @_;
    my $q = query($from, $to, $agency, $proc, $level, $sector);
    my $r = http_request("GET /dvc/v1/stats?$q");
    main::is($r->{status}, 200, "$label: 200") or return;
    my $got = $J->decode($r->{body});
    my %g = map { $_ => $got->{$_} } keys %$x;
    main::is_deeply(\%g, $x, "$label: every figure") or main::diag($r->{body});
    main::is($got->{from}, $from, "$label: from");
    main::is($got->{as_of}, vn_iso(vn($to) + 86400), "$label: as of the day after to");
    my ($h, $hp) = rate($x->{resolved_early} + $x->{resolved_on_time}
                        + $x->{in_progress_on_time}, $x->{handled});
    my ($s, $sp) = rate($x->{resolved_early} + $x->{resolved_on_time}, $x->{resolved});
    main::is($r->{body} =~ /"on_time_rate_handled":([0-9.]+|null)/ ? $1 : 'missing',
             $h // 'null', "$label: on-time rate over handled");
    main::is($got->{on_time_rate_handled_percent}, $hp, "$label: ... percent");
    main::is($r->{body} =~ /"on_time_rate_resolved":([0-9.]+|null)/ ? $1 : 'missing',
             $s // 'null', "$label: on-time rate over resolved");
    main::is($got->{on_time_rate_resolved_percent}, $sp, "$label: ... percent");
    my (undef, $hp2) = rate($x->{rating_very_satisfied} + $x->{rating_satisfied}, $x->{ratings});
    main::is($got->{satisfaction_rate_percent}, $hp2, "$label: satisfaction rate");
    # "tỷ lệ hồ sơ trực tuyến mức độ 3, 4": online over all received, by level
    for my $l ('3', '4', '3_4') {
        my @l = split /_/, $l;
        my ($n, $d) = (0, 0);
        $n += $x->{"level_${_}_received_online"}, $d += $x->{"level_${_}_received_new"} for @l;
        my ($o, $op) = rate($n, $d);
        main::is($r->{body} =~ /"online_rate_level_$l":([0-9.]+|null),/ ? $1 : 'missing',
                 $o // 'null', "$label: online rate of level $l");
        main::is($got->{"online_rate_level_${l}_percent"}, $op, "$label: ... percent");
    }
    main::is($got->{level}, $level, "$label: level named") if defined $level;
    main::is($got->{sector}, $sector, "$label: sector named") if defined $sector;

    # the same report as CSV: one row per figure, same values
    my $c = http_request("GET /dvc/v1/stats?$q", more_headers => "Accept: text/csv\n");
    main::is($c->{status}, 200, "$label: CSV 200");
    main::like($c->{headers}{'content-type'}[0], qr{^text/csv; charset=utf-8$}, "$label: CSV type");
    my %rows = map { /^([a-z0-9_]+),([^,]*),/ ? ($1 => $2) : () } split /\r\n/, $c->{body};
    my %cg = map { $_ => $rows{$_} } keys %$x;
    main::is_deeply(\%cg, $x, "$label: CSV figures");
    main::is($rows{on_time_rate_handled}, $h // '', "$label: CSV rate");
    return $got;
}

run_tests();

__DATA__

=== TEST 1: a scripted fortnight through the gateway; every figure as the script says, for several periods and filters
--- request
GET /dvc/v1/stats?from=2026-11-23&to=2026-11-23
--- post_init
return pass("skipped: libfaketime cannot run beside the sanitizers' runtime") unless $main::FAKE;
# week 1
main::submit(d1 => '1.001612', '2026-11-23 09:00');   # manual, 3 days
main::submit(w1 => '1.001612', '2026-11-23 09:30');   # withdrawn at the desk
main::submit(d2 => '1.001193', '2026-11-23 10:00');   # accepted at once, 2 h: due 13:30
main::citizen(w1 => 'withdrawal', '2026-11-23 10:30', '{"reason":"Tôi nộp nhầm thủ tục"}');
main::intake(c1 => '1.001612', 'counter', '2026-11-23 11:00');   # due Thu 26 11:00
main::event(d1 => 'accept', '2026-11-23 15:00');            # desk in time
main::event(d2 => 'request_supplement', '2026-11-23 15:30',       # after its due
    reason => 'Thiếu bản sao giấy khai sinh', documents => ['Bản sao Giấy khai sinh']);
main::event(w1 => 'confirm_withdrawal', '2026-11-24 08:00');       # never received
main::intake(p1 => '1.002820', 'postal', '2026-11-24 09:00');
main::submit(s1 => '1.001612', '2026-11-24 10:00');
main::event(s1 => 'accept', '2026-11-24 11:00');
main::submit(d3 => '1.002820', '2026-11-24 14:00');   # manual, 5 days
main::submit(d4 => '1.001193', '2026-11-25 08:00');   # due 10:00
main::event(s1 => 'request_supplement', '2026-11-25 09:00',
    reason => 'Bản sao giấy tờ không rõ nét', documents => [{ name => 'Bản sao CCCD', note => 'bản chụp rõ nét' }]);
main::event(d1 => 'resolve', '2026-11-25 10:00');           # early
main::event(d4 => 'process', '2026-11-25 10:30');
main::event(d4 => 'resolve', '2026-11-25 11:00');           # late
main::event(d3 => 'accept', '2026-11-25 15:00');            # desk late; due Wed 2 15:00
main::event(c1 => 'resolve', '2026-11-25 16:00');           # early
main::event(d2 => 'stop', '2026-11-26 09:00', reason => 'Công dân không bổ sung hồ sơ đúng hạn');
main::event(c1 => 'return', '2026-11-26 09:30');
main::citizen(c1 => 'rating', '2026-11-26 10:00', '{"rating":"satisfied"}', 'satisfied');
main::citizen(s1 => 'supplement', '2026-11-26 10:30', main::example('1.001612'));   # back at the desk
main::event(d1 => 'return', '2026-11-26 11:00');
main::citizen(d1 => 'rating', '2026-11-26 12:00',
    '{"rating":"dissatisfied","comment":"Phải đến lấy kết quả hai lần"}', 'dissatisfied');
main::submit(d8 => '2.000488', '2026-11-27 09:00');   # manual, 10 days
main::event(s1 => 'accept', '2026-11-27 09:30');            # again: a fresh due, no second receipt count
main::event(d8 => 'accept', '2026-11-27 11:00');            # due Dec 11
main::submit(d5 => '1.001612', '2026-11-27 16:00');   # deadline Mon 16:00
main::submit(d6 => '1.002820', '2026-11-28 10:00');   # Saturday: deadline Mon 17:00
# week 2
main::event(d5 => 'refuse', '2026-11-30 08:00', reason => 'Hồ sơ không thuộc thẩm quyền giải quyết');
main::submit(d7 => '1.001193', '2026-11-30 16:30');   # past the 15:00 cut-off: due Tue 09:30
main::event(d3 => 'delay', '2026-12-01 09:00', reason => 'Cần xác minh thêm tại địa phương',
    new_due_at => '2026-12-10T17:00:00+07:00');
main::event(d8 => 'delay', '2026-12-01 10:00', reason => 'Chờ ý kiến của cơ quan liên quan',
    new_due_at => '2026-12-18T17:00:00+07:00');
main::event(s1 => 'resolve', '2026-12-01 10:30');           # by its second due
main::citizen(s1 => 'rating', '2026-12-01 11:00', '{"rating":"very_satisfied"}', 'very_satisfied');
main::citizen(d8 => 'withdrawal', '2026-12-02 09:00', '{}');
main::event(d8 => 'decline_withdrawal', '2026-12-02 10:00',
    reason => 'Hồ sơ đã được thẩm định xong, đang chờ ký');
main::citizen(d8 => 'withdrawal', '2026-12-03 09:00', '{"reason":"Tôi không còn nhu cầu"}');
main::event(d8 => 'confirm_withdrawal', '2026-12-03 11:00');     # before its due
main::event(d3 => 'resolve', '2026-12-04 09:00');           # late, apologised
main::submit(d9 => '1.001612', '2026-12-07 09:00');

my @periods = (['week 1', '2026-11-23', '2026-11-29'], ['week 2', '2026-11-30', '2026-12-06'],
               ['Tuesday 24', '2026-11-24', '2026-11-24'], ['Wednesday 25', '2026-11-25', '2026-11-25'],
               ['Monday 30', '2026-11-30', '2026-11-30'], ['Tuesday 1', '2026-12-01', '2026-12-01'],
               ['Wednesday 2', '2026-12-02', '2026-12-02'],
               ['both weeks', '2026-11-23', '2026-12-06'], ['a month', '2026-11-01', '2026-12-31']);
for my $p (@periods) {
    my ($label, $f, $t) = @$p;
    main::check_report("$label, all", $f, $t, undef, undef, main::expected($f, $t));
}
# filters: an agency, a procedure, both, and a pair that matches nothing
my ($f, $t) = ('2026-11-23', '2026-12-06');
main::check_report("agency", $f, $t, '000.05.22.H29', undef, main::expected($f, $t, '000.05.22.H29'));
main::check_report("procedure", $f, $t, undef, '1.002820', main::expected($f, $t, undef, '1.002820'));
main::check_report("agency and procedure", $f, $t, '000.20.31.H29', '1.001612',
                   main::expected($f, $t, '000.20.31.H29', '1.001612'));
my $none = main::check_report("another agency's procedure", $f, $t, '000.20.31.H29', '1.001193',
                              main::expected($f, $t, '000.20.31.H29', '1.001193'));
is($none->{received_new} + $none->{awaiting_acceptance}, 0, "a mismatched pair counts nothing");

# by the level of online service and the sector each dossier was submitted
# under (x-dvc level and sector), alone and with an agency
main::check_report("level $_", $f, $t, undef, undef,
                   main::expected($f, $t, undef, undef, undef, $_), $_) for 3, 4;
main::check_report("sector $_", $f, $t, undef, undef,
                   main::expected($f, $t, undef, undef, undef, undef, $_), undef, $_)
    for qw(ho_kinh_doanh duong_bo ho_tich ly_lich_tu_phap);
main::check_report("agency and level", $f, $t, '000.20.31.H29', undef,
                   main::expected($f, $t, '000.20.31.H29', undef, undef, 4), 4);
main::check_report("agency and sector", $f, $t, '000.00.07.H29', undef,
                   main::expected($f, $t, '000.00.07.H29', undef, undef, undef, 'duong_bo'),
                   undef, 'duong_bo');
main::check_report("level and sector", $f, $t, undef, undef,
                   main::expected($f, $t, undef, undef, undef, 4, 'ho_tich'), 4, 'ho_tich');
main::check_report("agency, level and sector", $f, $t, '000.05.22.H29', undef,
                   main::expected($f, $t, '000.05.22.H29', undef, undef, 4, 'ho_tich'), 4, 'ho_tich');
my $mis = main::check_report("a sector of the other level", $f, $t, undef, undef,
                             main::expected($f, $t, undef, undef, undef, 3, 'ho_tich'), 3, 'ho_tich');
is($mis->{received_new} + $mis->{awaiting_acceptance}, 0, "level 3 of a level 4 sector counts nothing");
main::check_report("week 1 at level 3", '2026-11-23', '2026-11-29', undef, undef,
                   main::expected('2026-11-23', '2026-11-29', undef, undef, undef, 3), 3);
{
    # the hand count of the script, beside the model's: received 23 Nov to 6 Dec
    my $all = main::expected($f, $t);
    is($all->{level_3_received_new}, 2, "level 3 received: d3 online, p1 by post");
    is($all->{level_3_received_online}, 1, "... of which online: d3");
    is($all->{level_4_received_new}, 7, "level 4 received: d1 d2 c1 s1 d4 d8 d7, online or at the counter");
    is($all->{level_4_received_online}, 6, "... of which online: all but c1");
    is($all->{level_3_received_new} + $all->{level_4_received_new}, $all->{received_new},
       "every dossier here has a level: the two add up to received_new");
    my $r = $main::J->decode(http_request("GET /dvc/v1/stats?" . main::query($f, $t))->{body});
    is($r->{online_rate_level_3_4}, '0.7778', "online share at levels 3 and 4: 7 of 9");
    is($r->{online_rate_level_3_4_percent}, '77.8%', "... 77.8%");
}

# the script is not empty: the figures checked above are not all zero
my $w1 = main::expected('2026-11-23', '2026-11-29');
ok($w1->{awaiting_acceptance} >= 1 && $w1->{received_new} >= 1, "week 1 has dossiers received and waiting");
{
    is($w1->{resolved_early}, 2, "d1 and c1 resolved early");
    is($w1->{resolved_late}, 1, "d4 resolved late");
    is($w1->{stopped}, 1, "d2 stopped");
    is($w1->{withdrawn}, 1, "w1 withdrawn at the desk");
    is($w1->{received_counter} + $w1->{received_postal}, 2, "c1 and p1 entered on paper");
    # s1 was accepted twice (before and after its supplement): received once
    is(main::expected('2026-11-23', '2026-12-06')->{received_online}, 7,
       "d1 d2 s1 d3 d4 d8 d7 received online, each once");
    is($w1->{ratings}, 2, "two ratings in week 1");
    my $w2 = main::expected('2026-11-30', '2026-12-06');
    is($w2->{refused}, 1, "d5 refused");
    is($w2->{withdrawn}, 1, "d8 withdrawn after its acceptance");
    is($w2->{rating_very_satisfied}, 1, "s1 rated");
    is($w2->{overdue_with_apology}, 0, "d3's apology closed with it");
    my $we = main::expected('2026-12-02', '2026-12-02');
    is($we->{overdue_with_apology}, 1, "as of 3 December, d3 is overdue with an apology");
    is($we->{overdue_without_apology}, 2, "... and d7 and p1 (by post, due 1 December 09:00) without one");
}

# the gateway wrote the channel and the statistics fields into the dossier
my $d1 = $main::BY{d1};
is(redis_cmd('HEXISTS', "dvc:d:$d1->{code}", 'channel'), 0, "channel online: not written (docs/redis.md)");
is(redis_cmd('HGET', "dvc:d:$d1->{code}", 'st_ch'), 'online', "st_ch online");
ok(redis_cmd('SISMEMBER', 'dvc:st:cells', 'ap:000.20.31.H29:1.001612'), "the cells are listed");
is(redis_cmd('HGET', "dvc:d:$d1->{code}", 'st_lv'), '4', "st_lv: the level it was submitted under");
is(redis_cmd('HGET', "dvc:d:$d1->{code}", 'st_sec'), 'ho_kinh_doanh', "st_sec: its sector");
ok(redis_cmd('SISMEMBER', 'dvc:st:cells', $_), "cell $_ listed")
    for 'l:3', 'al:000.20.31.H29:4', 's:duong_bo', 'as:000.00.07.H29:duong_bo', 'ls:4:ho_tich',
        'als:000.05.22.H29:4:ho_tich';



=== TEST 2: the seed figures: 62,798 new + 1,612 carried over, 63,256 on time -> 98.2 % (counters seeded, a few real submissions beside them)
--- request
GET /dvc/v1/stats?from=2025-01-01&to=2025-12-31
--- post_init
# ---- a synthetic province: Quảng Ninh's year 2025, dossier by dossier
srand(2025);
my $AG = '000.00.00.H22';
my @procs = ('1.000894', '2.002154', '1.004227');
my $y0 = main::vn('2025-01-01');
my $y1 = main::vn('2026-01-01');
my @cat = (('early') x 40000, ('ontime') x 21856, ('late') x 854,
           ('open') x 1400, ('overdue_n') x 100, ('overdue_a') x 200);
# Fisher-Yates with the seeded rand: deterministic
for (my $i = $#cat; $i > 0; $i--) { my $j = int(rand($i + 1)); @cat[$i, $j] = @cat[$j, $i] }
my @chan = (('online') x 41000, ('postal') x 2798, ('counter') x 19000);
for (my $i = $#chan; $i > 0; $i--) { my $j = int(rand($i + 1)); @chan[$i, $j] = @chan[$j, $i] }
my (@Q, $carried);
for my $c (@cat) {
    my %d = (proc => $procs[int(rand(3))], channel => 'online');
    my $day = 86400;
    if ($c =~ /^(early|ontime|late)$/ && ($carried // 0) < 1612) {
        # accepted in December 2024, due in January: carried over into 2025
        $carried++;
        $d{A} = main::vn('2024-12-13 08:00') + int(rand(18)) * $day + int(rand(8 * 3600));
        $d{D} = main::midnight($d{A}) + 20 * $day + 16 * 3600;
    } elsif ($c =~ /^(early|ontime|late)$/) {
        $d{A} = $y0 + int(rand(333)) * $day + 3600 + int(rand(8 * 3600));
        $d{D} = main::midnight($d{A}) + (5 + int(rand(16))) * $day + 16 * 3600;
        $d{channel} = pop @chan;
    } elsif ($c eq 'open') {
        # accepted in the last fortnight, due in 2026; some apologised already
        $d{A} = main::vn('2025-12-15 08:00') + int(rand(17)) * $day + int(rand(8 * 3600));
        $d{D} = main::midnight($d{A}) + 20 * $day + 16 * 3600;
        $d{M} = $d{A} + 3600 if rand() < 0.05;
        $d{channel} = pop @chan;
    } else {
        # overdue at the year's end: accepted in November, due in December
        $d{A} = main::vn('2025-11-03 08:00') + int(rand(20)) * $day + int(rand(8 * 3600));
        $d{D} = main::midnight($d{A}) + 10 * $day + 16 * 3600;
        $d{channel} = pop @chan;
        # the apology before the due for half of them, after it for the rest
        $d{M} = rand() < 0.5 ? $d{D} - 3 * $day : $d{D} + 2 * $day if $c eq 'overdue_a';
        # some resolved in January 2026, after the period: must not count
        $d{R} = main::vn('2026-01-06 09:00') if rand() < 0.3;
    }
    if ($c eq 'early' && $d{A} < $y0) {
        # resolved in January, before its due day
        my $span = int((main::midnight($d{D}) - $y0) / $day);     # >= 1
        $d{R} = $y0 + int(rand($span)) * $day + 10 * 3600;
    } elsif ($c eq 'early') {
        my $span = int(($d{D} - main::midnight($d{A})) / $day);   # >= 5
        $d{R} = main::midnight($d{A}) + int(rand($span)) * $day + 10 * 3600;
        $d{R} = $d{A} + 60 if $d{R} <= $d{A};
    } elsif ($c eq 'ontime') {
        $d{R} = main::midnight($d{D}) + 9 * 3600;
    } elsif ($c eq 'late') {
        $d{R} = $d{D} + 3600 + int(rand(10)) * $day;
        $d{M} = $d{D} - $day if rand() < 0.1;
    }
    # ratings after the result, on the day it came
    if (defined $d{R} && $d{R} >= $y0 && $d{R} < $y1) {
        my $u = rand();
        $d{rating} = $u < 0.66 ? 'very_satisfied' : $u < 0.99 ? 'satisfied' : 'dissatisfied';
    }
    push @Q, \%d;
}
is(scalar @Q, 64410, "64,410 dossier timelines");

# ---- their counters, by the contract's rules, SEEDED DIRECTLY (HSET)
my %C;
for my $d (@Q) {
    my @cells = ('all', "a:$AG", "p:$d->{proc}", "ap:$AG:$d->{proc}");
    my $add = sub { my ($counter, $t, $v) = @_; $C{"$_:$counter"}{main::vday($t)} += $v for @cells };
    $add->("received_$d->{channel}", $d->{A}, 1);
    $add->('due_n', $d->{D}, 1);
    my $x = 'n';
    if (defined $d->{M} && (!defined $d->{R} || $d->{M} < $d->{R})) {
        my $mt = $d->{M} > $d->{D} ? $d->{M} : $d->{D};
        $add->('due_n', $mt, -1);
        $add->('due_a', $mt, 1);
        $x = 'a';
    }
    if (defined $d->{R}) {
        my $cls = main::vday($d->{R}) lt main::vday($d->{D}) ? 'early'
                : $d->{R} <= $d->{D} ? 'ontime' : 'late';
        $add->("resolved_$cls", $d->{R}, 1);
        $add->('closed', $d->{R}, 1);
        $add->($d->{R} <= $d->{D} ? "closed_ontime_$x" : "closed_late_$x",
               $d->{R} <= $d->{D} ? $d->{D} : $d->{R}, 1);
    }
    $add->("rating_$d->{rating}", $d->{R}, 1) if $d->{rating};
}
my $fields = 0;
for my $k (sort keys %C) {
    my @fv = map { ($_, $C{$k}{$_}) } sort keys %{ $C{$k} };
    redis_cmd('HSET', "dvc:st:$k", @fv);
    $fields += @fv / 2;
}
redis_cmd('SADD', 'dvc:st:cells', 'all', "a:$AG", map { ("p:$_", "ap:$AG:$_") } @procs);
note("seeded " . scalar(keys %C) . " counter hashes, $fields day fields");

# ---- beside them, real dossiers through the API in June 2025 (on the fake
# clock; under the sanitizers only the seeded province is read)
@main::D = ();
%main::BY = ();
if ($main::FAKE) {
    main::submit(q1 => '1.001193', '2025-06-10 09:00');    # accepted at once, due 11:00
    main::submit(q3 => '1.001193', '2025-06-10 09:30');    # due 11:30, left open
    main::event(q1 => 'resolve', '2025-06-10 10:30');
    main::submit(q2 => '1.001612', '2025-06-11 14:00');    # waits at the desk
    main::event(q2 => 'accept', '2025-06-12 08:00');
    ok(redis_cmd('HEXISTS', 'dvc:st:all:received_online', '20250610'), "the gateway counted into the seeded hash");
}

# ---- the expectation from the timelines (not from the counters)
my $F = $y0;
my $T = $y1;
my $qexp = sub {
    my ($F, $T, $proc) = @_;
    my %x = map { $_ => 0 } qw(received_new received_online received_postal received_counter
        carried_over resolved_early resolved_on_time resolved_late in_progress overdue
        overdue_with_apology overdue_without_apology rating_very_satisfied rating_satisfied
        rating_dissatisfied);
    for my $d (@Q) {
        next if defined $proc && $d->{proc} ne $proc;
        my $closed = sub { defined $d->{R} && $d->{R} < $_[0] };
        if ($d->{A} >= $F && $d->{A} < $T) { $x{received_new}++; $x{"received_$d->{channel}"}++ }
        $x{carried_over}++ if $d->{A} < $F && !$closed->($F);
        if ($d->{A} < $T && !$closed->($T)) {
            $x{in_progress}++;
            if ($d->{D} < $T) {
                $x{overdue}++;
                $x{ defined $d->{M} && $d->{M} < $T ? 'overdue_with_apology' : 'overdue_without_apology' }++;
            }
        }
        if (defined $d->{R} && $d->{R} >= $F && $d->{R} < $T) {
            $x{ main::vday($d->{R}) lt main::vday($d->{D}) ? 'resolved_early'
              : $d->{R} <= $d->{D} ? 'resolved_on_time' : 'resolved_late' }++;
            $x{"rating_$d->{rating}"}++ if $d->{rating};
        }
    }
    $x{handled} = $x{received_new} + $x{carried_over};
    $x{resolved} = $x{resolved_early} + $x{resolved_on_time} + $x{resolved_late};
    $x{in_progress_on_time} = $x{in_progress} - $x{overdue};
    $x{ratings} = $x{rating_very_satisfied} + $x{rating_satisfied} + $x{rating_dissatisfied};
    return \%x;
};
my $x = $qexp->($F, $T);
# the timelines are the reported province
is($x->{received_new}, 62798, "the timelines: 62,798 received new");
is($x->{carried_over}, 1612, "the timelines: 1,612 carried over");
is($x->{resolved_early} + $x->{resolved_on_time} + $x->{in_progress_on_time}, 63256,
   "the timelines: 63,256 on time");

# ---- the report through nginx, for the province's agency
my $r = http_request("GET /dvc/v1/stats?from=2025-01-01&to=2025-12-31&agency=$AG");
is($r->{status}, 200, "report 200");
my $g = JSON::PP->new->utf8->decode($r->{body});
is($g->{received_new}, 62798, "received new 62,798");
is($g->{carried_over}, 1612, "carried over 1,612");
is($g->{handled}, 64410, "handled 64,410");
is($g->{resolved_early} + $g->{resolved_on_time} + $g->{in_progress_on_time}, 63256, "63,256 on time");
like($r->{body}, qr/"on_time_rate_handled":0\.9821,"on_time_rate_handled_percent":"98\.2%"/, "98.2 %");
is($g->{received_online}, 41000, "41,000 online");
is($g->{received_postal}, 2798, "2,798 by post");
is($g->{received_counter}, 19000, "19,000 at the counter");
is($g->{overdue_with_apology}, 200, "200 overdue with an apology");
is($g->{overdue_without_apology}, 100, "100 overdue without");
my %gx = map { $_ => $g->{$_} } keys %$x;
is_deeply(\%gx, $x, "every figure of the year as the timelines say") or diag($r->{body});
my ($sr, $sp) = main::rate($x->{rating_very_satisfied} + $x->{rating_satisfied}, $x->{ratings});
like($r->{body}, qr/"satisfaction_rate":\Q$sr\E,"satisfaction_rate_percent":"\Q$sp\E"/, "satisfaction $sp");

# the CSV of the same report
my $c = http_request("GET /dvc/v1/stats?from=2025-01-01&to=2025-12-31&agency=$AG",
                     more_headers => "Accept: text/csv\n");
like($c->{body}, qr/^figure,value,definition_vi\r\nreceived_new,62798,"/, "CSV: header and first row");
like($c->{body}, qr/\r\ncarried_over,1612,"/, "CSV: carried over");
like(Encode::decode_utf8($c->{body}), qr/\r\non_time_rate_handled,0\.9821,"Tỷ lệ đúng hạn/,
     "CSV: the rate and its definition, in Vietnamese");

# other periods and a procedure of the province, against the timelines
for my $p (['Q1', '2025-01-01', '2025-03-31', undef], ['December', '2025-12-01', '2025-12-31', undef],
           ['a procedure, H2', '2025-07-01', '2025-12-31', $procs[1]],
           ['January 2026', '2026-01-01', '2026-01-31', undef]) {
    my ($label, $f, $t, $proc) = @$p;
    my $want = $qexp->(main::vn($f), main::vn($t) + 86400, $proc);
    my $q = "from=$f&to=$t&agency=$AG" . (defined $proc ? "&procedure=$proc" : "");
    my $rr = http_request("GET /dvc/v1/stats?$q");
    my $gg = JSON::PP->new->utf8->decode($rr->{body});
    my %h = map { $_ => $gg->{$_} } keys %$want;
    is_deeply(\%h, $want, "$label: every figure as the timelines say") or diag($rr->{body});
}

# ---- old days rolled up into yearly totals (scripts/stats-rollup.sh): the
# same report, byte for byte; a period cutting the year refused, naming from
my $year_report = $r->{body};
my $out = `$main::ROOT/scripts/stats-rollup.sh 2024 -p ${\ redis_port()} 2>&1`;
is($? >> 8, 0, "stats-rollup.sh 2024 exits 0") or diag($out);
like($out, qr/^stats-rollup: (\d+) day fields of 2024 folded/m, "it says what it folded");
my ($folded) = $out =~ /: (\d+) day fields/;
ok($folded > 0, "day fields of 2024 were folded ($folded)");
ok(redis_cmd('HEXISTS', "dvc:st:a:$AG:received_online", '2024'), "a yearly field 2024");
ok(!redis_cmd('HEXISTS', "dvc:st:a:$AG:received_online", '20241215'), "its days gone");
is(http_request("GET /dvc/v1/stats?from=2025-01-01&to=2025-12-31&agency=$AG")->{body}, $year_report,
   "the 2025 report is the same, byte for byte");
my $y24 = JSON::PP->new->utf8->decode(http_request("GET /dvc/v1/stats?from=2024-01-01&to=2024-12-31&agency=$AG")->{body});
my $want24 = $qexp->(main::vn('2024-01-01'), main::vn('2025-01-01'));
my %h24 = map { $_ => $y24->{$_} } keys %$want24;
is_deeply(\%h24, $want24, "the whole of 2024 still answers, as the timelines say");
is($y24->{received_new}, 1612, "2024: the 1,612 received in December");
my $cut = http_request("GET /dvc/v1/stats?from=2024-12-01&to=2025-01-31&agency=$AG");
is($cut->{status}, 400, "a period cutting 2024: 400");
like($cut->{body}, qr/"parameter":"from".*the days of 2024 are kept as one yearly total/, "... naming from");
$out = `$main::ROOT/scripts/stats-rollup.sh 2024 -p ${\ redis_port()} 2>&1`;
like($out, qr/^stats-rollup: 0 day fields of 2024 folded/m, "a second run folds nothing");

# "all" is the province plus the real dossiers: the gateway's counters and
# the seeded ones add up in the same hashes
my $real = main::expected('2025-01-01', '2025-12-31');
my $ra = JSON::PP->new->utf8->decode(http_request("GET /dvc/v1/stats?from=2025-01-01&to=2025-12-31")->{body});
for my $k (qw(received_new received_online in_progress overdue awaiting_acceptance awaiting_late resolved_early)) {
    is($ra->{$k}, ($x->{$k} // 0) + $real->{$k}, "all: $k = province + real dossiers");
}



=== TEST 3: a parameter missing or malformed: 400 naming it, in both languages
--- requests eval
["GET /dvc/v1/stats?to=2026-12-31",
 "GET /dvc/v1/stats?from=2026-02-29&to=2026-12-31",
 "GET /dvc/v1/stats?from=2026-01-01",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-13-01",
 "GET /dvc/v1/stats?from=2026-12-31&to=2026-01-01",
 "GET /dvc/v1/stats?from=2023-01-01&to=2026-01-10",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&agency=000.00.10.H47%3Ax",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&procedure=",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&level=2",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&level=toan_trinh",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&level=",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&sector=h%E1%BB%99_t%E1%BB%8Bch",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&sector=",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&procedure=1.001193&level=4",
 "GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&sector=ho_tich&procedure=1.001193"]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400]
--- response_body_like eval
[qr/^\{"error":"bad_parameter","parameter":"from","message":\{"vi":"Tham s[^"]+ from [^"]+","en":"from is required \(YYYY-MM-DD\)"\}\}$/,
 qr/"parameter":"from".*"en":"from must be a date YYYY-MM-DD of the years 2000-2100"/,
 qr/"parameter":"to".*"en":"to is required/,
 qr/"parameter":"to".*"en":"to must be a date YYYY-MM-DD of the years 2000-2100"/,
 qr/"parameter":"to".*"en":"to must not be before from"/,
 qr/"parameter":"to".*"en":"the period is longer than 1098 days"/,
 qr/"parameter":"agency"/,
 qr/"parameter":"procedure"/,
 qr/"parameter":"level".*"en":"level must be 3 \(mot phan, partly online\) or 4 \(toan trinh, full online\)"/,
 qr/"parameter":"level".*"en":"level must be 3/,
 qr/"parameter":"level".*"en":"level must be 3/,
 qr/"parameter":"sector".*"en":"sector must be a sector code/,
 qr/"parameter":"sector".*"en":"sector must be a sector code/,
 qr/"parameter":"level".*"en":"level does not go with procedure: a procedure has one level; give one or the other"/,
 qr/"parameter":"sector".*"en":"sector does not go with procedure/]
--- no_error_log
[error]



=== TEST 3b: an unknown parameter, or one given twice, is 400 naming it (never ignored, never decided by order); years 2000-2100 only; Redis is not asked
--- init
redis_cmd('CONFIG', 'RESETSTAT');
--- request
GET /dvc/v1/keys
--- post_init
my $p = "from=2026-01-01&to=2026-12-31";
for my $case (["$p&levels=3", "levels", qr/"en":"levels is not a parameter of this report \(from, to, agency, procedure, level, sector\)"/],
              ["muc_do=3&$p", "muc_do", qr/not a parameter/],
              ["$p&level=3&level=3", "level", qr/"en":"level is given more than once"/],
              ["$p&level=3&LEVEL=4", "level", qr/more than once/],
              ["$p&sector=ho_tich&%73ector=duong_bo", "sector", qr/"en":"sector is given more than once"/],
              ["$p&debug", "debug", qr/"en":"debug is not a parameter/],
              ["$p&=x", "", qr/"en":"a parameter without a name is not a parameter/],
              ["$p&a%22b=1", "a%22b", qr/not a parameter/],
              ["$p&x\"y\\=1", "x?y?", qr/not a parameter/],
              ["$p&" . ("n" x 100) . "=1", "n" x 32, qr/"en":"n{32}\.\.\. is not a parameter/],
              ["$p&from=2026-02-01", "from", qr/"vi":"Tham số chỉ được gửi một lần.","en":"from is given more than once"/],
              ["$p&from=2026-01-01", "from", qr/"en":"from is given more than once"/],
              ["$p&FROM=2026-01-01", "from", qr/more than once/],
              ["$p&%66rom=2026-01-01", "from", qr/more than once/],
              ["$p&to", "to", qr/"en":"to is given more than once"/],
              ["$p&agency=000.00.10.H47&agency=000.00.10.H47", "agency", qr/more than once/],
              ["$p&procedure=1.001193&Procedure=1.001612", "procedure", qr/more than once/],
              ["from=1999-12-31&to=2000-01-05", "from", qr/"en":"from must be a date YYYY-MM-DD of the years 2000-2100"/],
              ["from=1970-01-01&to=1970-01-31", "from", qr/of the years 2000-2100/],
              ["from=2100-12-01&to=2101-01-01", "to", qr/"en":"to must be a date YYYY-MM-DD of the years 2000-2100"/],
              ["from=9999-12-01&to=9999-12-31", "from", qr/of the years 2000-2100/]) {
    my ($q, $param, $re) = @$case;
    my $r = http_request("GET /dvc/v1/stats?$q");
    is($r->{status}, 400, "?$q: 400");
    my $j = eval { $main::J->decode($r->{body}) } || {};
    is($j->{error}, 'bad_parameter', "?$q: bad_parameter");
    is($j->{parameter}, $param, "?$q: names \"$param\"");
    ok(defined $j->{message}{vi} && defined $j->{message}{en}, "?$q: both languages");
    like(Encode::decode('UTF-8', $r->{body}), $re, "?$q: says why");
}
my $info = redis_cmd('INFO', 'commandstats');
unlike($info, qr/cmdstat_(?:hgetall|multi|exec)/, "no refused report asked Redis anything");
# the edges of the years, and empty pieces, are a report
for my $q ("from=2000-01-01&to=2000-01-31", "from=2100-12-01&to=2100-12-31", "&from=2026-01-01&&to=2026-01-31&") {
    my $r = http_request("GET /dvc/v1/stats?$q");
    is($r->{status}, 200, "?$q: 200");
}
--- error_log eval
[qr/dvc: statistics refused: levels is not a parameter of this report/,
 qr/dvc: statistics refused: from is given more than once/,
 qr/dvc: statistics refused: to must be a date YYYY-MM-DD of the years 2000-2100/]
--- no_error_log
[error]



=== TEST 4: only GET and HEAD; HEAD gives the headers alone
--- requests eval
[{ request => "POST /dvc/v1/stats?from=2026-01-01&to=2026-01-31\n{}" },
 "HEAD /dvc/v1/stats?from=2026-01-01&to=2026-01-31",
 "GET /dvc/v1/stats/?from=2026-01-01&to=2026-01-31"]
--- error_code eval
[405, 200, 404]
--- response_body eval
[undef, "", undef]
--- response_body_like eval
["method_not_allowed", "^\$", "unknown_endpoint"]



=== TEST 5: an empty province: every figure 0, every rate null (never a division by zero)
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31&agency=000.00.99.H99
--- response_body_like
^\{"from":"2026-01-01","to":"2026-12-31","as_of":"2027-01-01T00:00:00\+07:00","agency":"000.00.99.H99","procedure":null,"level":null,"sector":null,"received_new":0,.*"level_4_received_online":0,"paid_online":0,"fees_collected_online":0,"on_time_rate_handled":null,"on_time_rate_handled_percent":null,"on_time_rate_resolved":null,"on_time_rate_resolved_percent":null,"satisfaction_rate":null,"satisfaction_rate_percent":null,"online_rate_level_3":null,"online_rate_level_3_percent":null,"online_rate_level_4":null,"online_rate_level_4_percent":null,"online_rate_level_3_4":null,"online_rate_level_3_4_percent":null\}$
--- response_headers
Content-Type: application/json; charset=utf-8
Vary: Accept



=== TEST 6: Redis down: 503 in JSON, logged
--- init
redis_stop();
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2026-12-31
--- error_code: 503
--- response_body_like
"error":"unavailable"
--- error_log
dvc: statistics answered 503



=== TEST 7: what the gateway's own writes add up to, read back (on the real clock under ASan, where the fake clock cannot run)
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2026-01-01
--- post_init
my $now = $main::FAKE ? main::vn('2026-12-15 09:00') : time;
main::set_clock($now) if $main::FAKE;
my $json = "Content-Type: application/json\n";
my $a1 = http_request("POST /dvc/v1/dossiers\n" . main::example('1.001193'), more_headers => $json);
my $a2 = http_request("POST /dvc/v1/dossiers\n" . main::example('1.002820'), more_headers => $json);
my $doc = $main::J->decode(main::example('1.001612'));
$doc->{channel} = 'counter';
my $body = $main::J->encode($doc);
my $sig = hmac_sha256_hex("$now\nPOST\n/dvc/v1/dossiers\n$body", main::event_key());
my $a3 = http_request("POST /dvc/v1/dossiers\n$body",
    more_headers => "${json}X-DVC-Timestamp: $now\nX-DVC-Signature: v1=$sig\n");
is($_->{status}, 201, "recorded") for $a1, $a2, $a3;
my $day = substr($main::J->decode($a1->{body})->{submitted_at}, 0, 10);
my $q = "from=$day&to=$day";
my $g = $main::J->decode(http_request("GET /dvc/v1/stats?$q")->{body});
is($g->{received_new}, 2, "received: the auto-accepted one and the counter's");
is($g->{received_online}, 1, "one online");
is($g->{received_counter}, 1, "one at the counter");
is($g->{awaiting_acceptance}, 1, "one waits at the desk");
is($g->{awaiting_late}, 0, "within its deadline as of tomorrow 00:00");
is($g->{in_progress}, 2, "two in progress");
is($g->{handled}, 2, "handled 2");
like(http_request("GET /dvc/v1/stats?$q")->{body}, qr/"on_time_rate_handled":(0\.0000|0\.5000|1\.0000),/,
     "a rate with 4 decimals");
my $p = $main::J->decode(http_request("GET /dvc/v1/stats?$q&procedure=1.002820")->{body});
is($p->{awaiting_acceptance} . '/' . $p->{received_new}, '1/0', "the procedure's cell: waiting, not received");
my $ag = $main::J->decode(http_request("GET /dvc/v1/stats?$q&agency=000.20.31.H29")->{body});
is($ag->{received_counter}, 1, "the agency's cell: the counter's dossier");
# by level: 1.001193 and 1.001612 are level 4, 1.002820 level 3 (waiting)
is(join('/', map { $g->{$_} } qw(level_4_received_new level_4_received_online
                                 level_3_received_new level_3_received_online)),
   '2/1/0/0', "level 4: the two received, one online; level 3: none received yet");
is($g->{online_rate_level_3_4_percent}, '50.0%', "online share at levels 3 and 4: 1 of 2");
my $l3 = $main::J->decode(http_request("GET /dvc/v1/stats?$q&level=3")->{body});
is($l3->{awaiting_acceptance} . '/' . $l3->{received_new} . '/' . $l3->{level}, '1/0/3',
   "level=3: the driving licence waiting, nothing received");
my $s4 = $main::J->decode(http_request("GET /dvc/v1/stats?$q&sector=ho_kinh_doanh&level=4")->{body});
is($s4->{received_counter} . '/' . $s4->{sector}, '1/ho_kinh_doanh', "sector and level: the counter's dossier");
my $code3 = $main::J->decode($a3->{body})->{code};
is(redis_cmd('HGET', "dvc:d:$code3", 'st_lv') . ' ' . redis_cmd('HGET', "dvc:d:$code3", 'st_sec'),
   '4 ho_kinh_doanh', "the dossier keeps its level and sector");
my $c = http_request("GET /dvc/v1/stats?$q", more_headers => "Accept: text/csv\n");
like($c->{body}, qr/\r\nreceived_new,2,"/, "CSV: received_new");
like($c->{body}, qr/\r\nawaiting_acceptance,1,"/, "CSV: awaiting");
is($c->{headers}{'content-disposition'}[0], "attachment; filename=\"dvc-stats_${day}_$day.csv\"",
   "CSV: saved under a name that says the period");
$c = http_request("GET /dvc/v1/stats?$q&agency=000.20.31.H29&procedure=1.001612",
                  more_headers => "Accept: text/csv\n");
is($c->{headers}{'content-disposition'}[0],
   "attachment; filename=\"dvc-stats_${day}_${day}_000.20.31.H29_1.001612.csv\"",
   "CSV: ... and the cell");
$c = http_request("GET /dvc/v1/stats?$q&agency=000.20.31.H29&level=4&sector=ho_kinh_doanh",
                  more_headers => "Accept: text/csv\n");
is($c->{headers}{'content-disposition'}[0],
   "attachment; filename=\"dvc-stats_${day}_${day}_000.20.31.H29_level-4_sector-ho_kinh_doanh.csv\"",
   "CSV: ... with level and sector");
like($c->{body}, qr/\r\nlevel_4_received_new,1,"/, "CSV: the level's figure");
ok(!$g->{'content-disposition'} && !defined http_request("GET /dvc/v1/stats?$q")->{headers}{'content-disposition'},
   "JSON: no attachment");
