# Retention (issue 18): `dvc dossiers archive --retention 2y` moves the
# dossiers refused, stopped or returned more than two years ago from Redis to
# the stream dvc:archive, and the gateway (dvc_retention 2y) answers their
# lookup 410 archived, in JSON, vi and en.  Real nginx and Redis on a fake
# clock (libfaketime, as t/069 and t/070), the sweep on the same clock.
#
# TEST 1: in June 2025 dossiers are submitted and moved with signed events:
# returned, refused, stopped, one left in processing, one returned only in
# 2027, and 150 refused ones; two years and two days later:
# - the sweep, killed with SIGKILL after it archived some, then run again,
#   archives every finished one exactly once (archive first then delete, in
#   one atomic script per dossier: nothing lost, nothing twice);
# - a dossier still open, and one returned within the two years, stay, and
#   their lookup with the token still answers 200;
# - each archive entry holds every field the dossier's hash had (history,
#   receipt, forms, ...), the code, archived_at and the retention;
# - the lookup of an archived dossier answers 410 archived, byte for byte the
#   same with the right token, a wrong one and none, and as a wrong token on
#   an old dossier still kept; a young unknown code is still 404;
# - the province's report for June 2025 is byte for byte what it was;
# - a third sweep archives nothing; --dry-run changes nothing.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::DVC::FakeClock;
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use Digest::SHA qw(hmac_sha256_hex);
use POSIX qw(WNOHANG);
use JSON::PP;
use utf8;

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;
our $TMP = tempdir(CLEANUP => 1);

set_clock(vn("2025-06-10 08:00"));

our $EVENT_KEY = "$TMP/event.key";
our $SECRET = `openssl rand -hex 32`;
chomp $SECRET;
{
    open my $f, '>', $EVENT_KEY or die;
    print $f "$SECRET\n";
    close $f;
    chmod 0600, $EVENT_KEY;
}

gateway_defaults(json => 1, extra_http => "    dvc_event_key $EVENT_KEY;\n"
                                        . "    dvc_retention 2y;\n");
fake_clock_blocks();

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

our (%BY, $evn);

sub submit {
    my ($name, $when) = @_;
    set_clock(vn($when));
    my $r = http_request("POST /dvc/v1/dossiers\n" . example('1.001612'),
                         more_headers => "Content-Type: application/json\n");
    $r->{status} == 201 or die "submission: $r->{status} $r->{body}";
    my $a = $J->decode($r->{body});
    return $BY{$name} = { code => $a->{code}, token => $a->{lookup_token} };
}

sub event {
    my ($name, $type, $when, %f) = @_;
    my $d = $BY{$name};
    my $t = vn($when);
    set_clock($t);
    my $body = $J->encode({ id => "evt-" . ++$evn, type => $type, at => vn_iso($t), %f });
    my $path = "/dvc/v1/dossiers/$d->{code}/events";
    my $sig = hmac_sha256_hex("$t\nPOST\n$path\n$body", $SECRET);
    my $r = http_request("POST $path\n$body", more_headers =>
        "Content-Type: application/json\nX-DVC-Timestamp: $t\nX-DVC-Signature: v1=$sig\n");
    $r->{status} == 200 or die "$name: $type at $when: $r->{status} $r->{body}";
}

sub lookup {
    my ($code, $token) = @_;
    return http_request("GET /dvc/v1/dossiers/$code",
                        more_headers => defined $token ? "X-DVC-Lookup-Token: $token\n" : "");
}

# the sweep, on the test's fake clock; returns its exit status and output
sub sweep {
    my @args = @_;
    local $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_PRELOAD};
    my $out = `$ROOT/build/dvc dossiers archive --retention 2y --redis 127.0.0.1:@{[redis_port()]} @args 2>&1`;
    return ($? >> 8, $out);
}

sub archive_entries {
    my $x = redis_cmd('XRANGE', 'dvc:archive', '-', '+');
    return [ map { my ($id, $f) = @$_; { id => $id, @$f } } @{ $x // [] } ];
}

run_tests();

__DATA__

=== TEST 1: two years after they closed, finished dossiers go to dvc:archive, open ones stay, lookups answer 410, the report is unchanged
--- request
GET /dvc/v1/stats?from=2025-06-01&to=2025-06-30
--- post_init
return pass("skipped: libfaketime cannot run beside the sanitizers' runtime") unless $main::FAKE;
main::submit(ret => '2025-06-10 08:00');
main::event(ret => 'accept', '2025-06-10 08:10');
main::event(ret => 'process', '2025-06-10 08:20');
main::event(ret => 'resolve', '2025-06-10 15:00', note => 'Nhận kết quả tại Bộ phận Một cửa');
main::event(ret => 'return', '2025-06-11 09:00');
main::submit(ref => '2025-06-10 08:30');
main::event(ref => 'refuse', '2025-06-10 09:00', reason => 'Hồ sơ không thuộc thẩm quyền giải quyết');
main::submit(stp => '2025-06-10 08:40');
main::event(stp => 'accept', '2025-06-10 08:50');
main::event(stp => 'stop', '2025-06-10 10:00', reason => 'Công dân không bổ sung hồ sơ đúng hạn');
main::submit(open => '2025-06-10 09:00');
main::event(open => 'accept', '2025-06-10 09:10');
main::event(open => 'process', '2025-06-10 09:20');
main::submit(late => '2025-06-10 09:30');
main::event(late => 'accept', '2025-06-10 09:40');
main::event(late => 'process', '2025-06-10 09:50');
main::event(late => 'resolve', '2025-06-11 10:00');
main::event(late => 'return', '2027-06-01 09:00');
for my $k (1 .. 150) {
    main::submit("bulk$k" => '2025-06-12 08:00');
    main::event("bulk$k" => 'refuse', '2025-06-12 08:30', reason => 'Hồ sơ không đúng thủ tục');
}
my @finished = ('ret', 'ref', 'stp', map { "bulk$_" } 1 .. 150);

set_clock(vn("2027-06-14 08:00"));
my $report = http_request("GET /dvc/v1/stats?from=2025-06-01&to=2025-06-30");
main::is($report->{status}, 200, "the report before the sweep");
my %hash = map { $_ => { @{ redis_cmd('HGETALL', "dvc:d:$main::BY{$_}{code}") } } } qw(ret ref stp);
main::ok($hash{ret}{receipt} && $hash{ret}{history} =~ /returned/, "the returned dossier has its receipt and history");

# --dry-run lists and changes nothing
my ($rc, $out) = main::sweep('--dry-run');
main::is($rc, 0, "dry run: exit 0") or main::diag($out);
main::is(scalar(() = $out =~ /^would archive /mg), scalar @finished, "dry run: every finished dossier listed");
main::is(redis_cmd('EXISTS', 'dvc:archive'), 0, "dry run: no archive written");

# the sweep killed partway (SIGKILL once it said it archived 20), then again
my $pid = open(my $pipe, '-|') // die;
if (!$pid) {
    $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_PRELOAD};
    open STDERR, '>', '/dev/null';
    exec "$main::ROOT/build/dvc", 'dossiers', 'archive', '--retention', '2y',
         '--redis', '127.0.0.1:' . redis_port();
    exit 127;
}
my $n = 0;
while (<$pipe>) { last if /^archived / && ++$n == 20 }
kill 'KILL', $pid;
close $pipe;
my $first = scalar @{ main::archive_entries() };
main::ok($first >= 20 && $first < @finished, "the killed sweep archived some ($first), not all");
($rc, $out) = main::sweep();
main::is($rc, 0, "the sweep again: exit 0") or main::diag($out);

my $arch = main::archive_entries();
my %count;
$count{$_->{code}}++ for @$arch;
main::is(scalar @$arch, scalar @finished, "one archive entry per finished dossier");
main::is(scalar(grep { ($count{$main::BY{$_}{code}} // 0) == 1 } @finished), scalar @finished,
         "each finished dossier archived exactly once");
main::is(scalar(grep { redis_cmd('EXISTS', "dvc:d:$main::BY{$_}{code}") } @finished), 0,
         "no finished dossier left in Redis");
main::is(scalar(grep { defined redis_cmd('ZSCORE', 'dvc:idx:submitted', $main::BY{$_}{code}) } @finished), 0,
         "nor in the submission index");
for my $k (qw(open late)) {
    main::is(redis_cmd('EXISTS', "dvc:d:$main::BY{$k}{code}"), 1, "$k: still in Redis");
    main::ok(!$count{$main::BY{$k}{code}}, "$k: not archived");
    my $r = main::lookup($main::BY{$k}{code}, $main::BY{$k}{token});
    main::is($r->{status}, 200, "$k: its lookup still answers 200");
}

# the archive entry holds the whole hash
my %by_code = map { $_->{code} => $_ } @$arch;
for my $k (qw(ret ref stp)) {
    my $e = { %{ $by_code{$main::BY{$k}{code}} } };
    delete $e->{id};
    main::is(delete $e->{archived_at}, '2027-06-14T08:00:00+07:00', "$k: archived_at");
    main::is(delete $e->{retention}, 2 * 365 * 86400, "$k: the retention, in seconds");
    main::is_deeply($e, $hash{$k}, "$k: the archive entry is every field of the hash");
}

# the lookups
my $gone = main::lookup($main::BY{ret}{code}, $main::BY{ret}{token});
main::is($gone->{status}, 410, "the archived dossier's lookup: 410");
my $g = eval { $J->decode($gone->{body}) } // {};
main::is($g->{error}, 'archived', "error archived");
main::like($g->{message}{vi} // '', qr/lưu trữ của cơ quan tiếp nhận/, "message in Vietnamese: the agency's archive");
main::like($g->{message}{en} // '', qr/one-stop desk/, "and in English: where to ask");
main::is(main::lookup($main::BY{ret}{code}, 'x' x 22)->{body}, $gone->{body}, "a wrong token: the same 410");
main::is(main::lookup($main::BY{ret}{code})->{body}, $gone->{body}, "no token: the same 410");
main::is(main::lookup($main::BY{open}{code}, 'x' x 22)->{body}, $gone->{body},
         "a wrong token on an old dossier still kept: the same 410 (nothing to probe)");
my $r = http_request("GET /dvc/v1/dossiers/$main::BY{ret}{code}/receipt",
                     more_headers => "X-DVC-Lookup-Token: $main::BY{ret}{token}\n");
main::is($r->{status}, 410, "the receipt of an archived dossier: 410");
main::is(main::lookup('000.20.31.H29-270614-0001', 'x' x 22)->{status}, 404,
         "a young unknown code: 404");

# the counters stay: the report is unchanged
my $after = http_request("GET /dvc/v1/stats?from=2025-06-01&to=2025-06-30");
main::is($after->{body}, $report->{body}, "the report of June 2025 is byte for byte the same");
main::like($after->{body}, qr/"refused":151\b/, "and counts the 151 refusals");

($rc, $out) = main::sweep();
main::is($rc, 0, "a third sweep: exit 0");
main::is(scalar @{ main::archive_entries() }, scalar @finished, "and archives nothing more");
--- response_body_like: "received_new":\d+
--- no_error_log
[alert]
[crit]
