# dvc_metrics and the log variables: what `dvc_metrics;` serves (the
# Prometheus text format, summed over workers from the shared zone) and
# what $dvc_code, $dvc_procedure, $dvc_agency, $dvc_outcome and
# $dvc_redis_time put in an access log; docs/operations.md, "Metrics" and
# "Access log".  TEST 4 scrapes it with Debian's prometheus under load.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use JSON::PP;
use IO::Socket::INET;
use POSIX ();

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

# the example with the applicant's phone and email taken out: two
# "required" violations, and a date of birth that is no date: "format"
sub invalid {
    my $d = $J->decode(example("1.001612"));
    delete $d->{applicant}{full_name};
    delete $d->{applicant}{citizen_id};
    $d->{applicant}{date_of_birth} = "1985-13-45";
    return $J->encode($d);
}

sub post { "POST /dvc/v1/dossiers\n" . $_[0] }

# the metrics page, parsed: { 'name{labels}' => value }
sub scrape_once {
    my $res = http_request("GET /metrics");
    my %m;
    for (split /\n/, $res->{body}) {
        next if /^#/;
        my ($k, $v) = /^(\S+) (\S+)$/ or next;
        $m{$k} = $v;
    }
    return ($res, \%m);
}

# A request is counted in its log phase, which runs just after its answer
# has gone out; with two workers the scrape can reach the other worker
# before that.  Given a counter and the value the test expects, scrape
# again for up to 2 s until it is there; the caller still asserts it.
sub scrape {
    my ($key, $want) = @_;
    my ($res, $m) = scrape_once();
    for (1 .. 40) {
        last unless defined $key;
        last if counted($m, $key) == $want;
        select(undef, undef, undef, 0.05);
        ($res, $m) = scrape_once();
    }
    return ($res, $m);
}

# a counter's value, or with key "requests" the requests counted on the
# API's endpoints, all statuses together (the scrape itself not among them)
sub counted {
    my ($m, $key) = @_;
    return $m->{$key} // 0 unless $key eq 'requests';
    my $n = 0;
    for (keys %$m) {
        next unless /^dvc_http_requests_total\{endpoint="([^"]+)"/;
        next if $1 eq 'other' || $1 eq 'metrics';
        $n += $m->{$_};
    }
    return $n;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1, ReuseAddr => 1) or die;
    my $p = $s->sockport; close $s; return $p;
}

# the load's own port: a server with "reuseport", so that the kernel
# spreads its connections over both workers (a listening socket each) and
# the zone's sums over workers are tested for sure, not by luck of accept()
$ENV{TEST_NGINX_LOAD_PORT} = free_port();

# one request on a new connection to the load port: the status
sub load_post {
    my ($body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{TEST_NGINX_LOAD_PORT},
                                  Timeout => 5) or return 0;
    print $s "POST /dvc/v1/dossiers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n" . $body;
    local $/;
    my $r = <$s> // '';
    return $r =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 0;
}

sub slurp { local $/; open my $f, '<', $_[0] or return ''; my $s = <$f>; $s }

our $LOG_FORMAT = <<'LF';
    log_format dvc_json escape=json
        '{"time":"$time_iso8601","pid":$pid,"method":"$request_method",'
        '"uri":"$uri","status":$status,"bytes":$body_bytes_sent,'
        '"request_time":$request_time,"code":"$dvc_code",'
        '"procedure":"$dvc_procedure","agency":"$dvc_agency",'
        '"outcome":"$dvc_outcome","redis_time":"$dvc_redis_time"}';
LF

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => <<'CONF') unless defined $block->config;
    location /dvc/ {
        dvc_api;
        access_log $TEST_NGINX_SERVROOT/logs/dvc.log dvc_json;
    }
    location = /metrics {
        dvc_metrics;
    }
CONF
    # each block reads only its own access log lines
    $block->set_value(init => 'truncate(servroot() . "/logs/dvc.log", 0)')
        unless defined $block->init;
    if (!defined $block->http_config) {
        my $http = "    dvc_schemas \$TEST_NGINX_SCHEMAS;\n"
                 . "    dvc_calendar \$TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;\n"
                 . "    dvc_signing_key \$TEST_NGINX_KEY;\n"
                 . "    dvc_redis_timeout 500ms;\n" . $LOG_FORMAT;
        $block->set_value(http_config => $http);
    }
});

# before gateway_defaults(), whose defaults would take the blocks first
our $keys = gateway_defaults(json => 1, extra_http => "    dvc_redis_timeout 500ms;\n");

run_tests();

__DATA__

=== TEST 1: the counters are what was sent: statuses, violations, signatures
--- workers: 2
--- requests eval
[ map({ main::post(main::example("1.001193")) } 1..3),
  map({ main::post(main::invalid()) } 1..2),
  { request => "GET /dvc/v1/dossiers/000.00.10.H47-261121-0001?token=nope" },
  { request => "GET /dvc/v1/procedures" },
  { request => "DELETE /dvc/v1/keys" },
]
--- error_code eval
[201, 201, 201, 422, 422, 404, 200, 405]
--- post_init
my ($res, $m) = main::scrape('requests', 8);
is($res->{status}, 200, "GET /metrics answers");
like($res->{headers}{'content-type'}[0], qr{^text/plain; version=0\.0\.4}, "Prometheus text format");
is($m->{'dvc_http_requests_total{endpoint="submit",code="201"}'}, 3, "3 submissions 201");
is($m->{'dvc_http_requests_total{endpoint="submit",code="422"}'}, 2, "2 submissions 422");
is($m->{'dvc_http_requests_total{endpoint="lookup",code="404"}'}, 1, "1 lookup 404");
is($m->{'dvc_http_requests_total{endpoint="procedures",code="200"}'}, 1, "1 procedures 200");
is($m->{'dvc_http_requests_total{endpoint="keys",code="405"}'}, 1, "1 keys 405");
is($m->{'dvc_http_request_duration_seconds_count{endpoint="submit"}'}, 5, "5 submit latencies");
is($m->{'dvc_http_request_duration_seconds_bucket{endpoint="submit",le="+Inf"}'}, 5, "+Inf bucket is the count");
is($m->{'dvc_validation_failures_total{procedure="1.001612",code="required"}'}, 4, "2 x 2 required");
is($m->{'dvc_validation_failures_total{procedure="1.001612",code="format"}'}, 2, "2 x 1 format");
my ($ack) = grep { /^dvc_signatures_total\{kid="[^"]+",document="acknowledgement"\}$/ } keys %$m;
ok($ack, "signatures by kid") and is($m->{$ack}, 3, "3 acknowledgements signed");
my ($rec) = grep { /document="receipt"/ } keys %$m;
is($m->{$rec}, 3, "3 receipts signed (1.001193 is accepted at once)");
is($m->{dvc_procedures_loaded}, 5, "5 procedures loaded");
is($m->{dvc_redis_replies_pending}, 0, "nothing pending once answered");
ok($m->{dvc_redis_connected} >= 1 && $m->{dvc_redis_connected} <= 2, "1 or 2 workers connected");
is($m->{dvc_redis_reconnects_total}, 0, "no reconnect");
unlike($res->{body}, qr/H47-261121|nope|Nguy|citizen/, "no code, token or personal data");
# promtool: Debian's prometheus package
open my $f, '>', servroot() . "/metrics.txt" or die; print $f $res->{body}; close $f;
my $out = `promtool check metrics < @{[servroot()]}/metrics.txt 2>&1`;
is($?, 0, "promtool check metrics passes") or diag($out);
is($out, "", "promtool has nothing to say");

=== TEST 2: log variables in a JSON access log, no token or personal data
--- requests eval
[ main::post(main::example("1.001193")),
  main::post(main::invalid()),
  main::post('{"procedure":"9.999999"}'),
  main::post('{"procedure":'),
  { request => "GET /dvc/v1/keys" },
]
--- error_code eval
[201, 422, 404, 400, 200]
--- post_init
my $sub = $main::J->decode((responses())[0]{body});
my $code = $sub->{code};
my $r = http_request("GET /dvc/v1/dossiers/$code?token=$sub->{lookup_token}");
is($r->{status}, 200, "lookup with the token");
$r = http_request("GET /dvc/v1/dossiers/$code", more_headers => "X-DVC-Lookup-Token: wrong-token-123");
is($r->{status}, 404, "lookup with a wrong token");
sleep 0.2;
my @l = map { $main::J->decode($_) } split /\n/, main::slurp(servroot() . "/logs/dvc.log");
is(scalar @l, 7, "7 log lines") or diag(explain(\@l));
is_deeply([map { [@$_{qw(status code procedure agency outcome)}] } @l], [
    [201, $code, "1.001193", "000.05.22.H29", "ok"],
    [422, "", "1.001612", "000.20.31.H29", "validation_failed"],
    [404, "", "", "", "unknown_procedure"],
    [400, "", "", "", "json_syntax"],
    [200, "", "", "", "ok"],
    [200, $code, "1.001193", "000.05.22.H29", "ok"],
    [404, "", "", "", "not_found"],
], "status, code, procedure, agency, outcome per line");
like($l[0]{redis_time}, qr/^\d+\.\d{3}$/, "a submission waited for Redis: $l[0]{redis_time}");
is($l[4]{redis_time}, "", "GET keys never asks Redis");
like($l[5]{redis_time}, qr/^\d+\.\d{3}$/, "a lookup waited for Redis");
my $log = main::slurp(servroot() . "/logs/dvc.log");
unlike($log, qr/\Q$sub->{lookup_token}\E|wrong-token|token=/, "no lookup token in the log");
unlike($log, qr/Lê|079185003312|Nguy|0983456712/, "no personal data in the log");

=== TEST 3: Redis state: a timeout, a reconnect, nothing left pending
--- requests eval
[ main::post(main::example("1.001193")),
  sub { redis_pause() },
  main::post(main::example("1.001193")),
  sub { redis_resume() },
  { request => main::post(main::example("1.001193")), retry_within => 5 },
]
--- error_code eval
[201, 503, 201]
--- post_init
my ($res, $m) = main::scrape();
is($m->{dvc_redis_timeouts_total}, 1, "one timeout");
ok($m->{dvc_redis_reconnects_total} >= 1, "reconnected: $m->{dvc_redis_reconnects_total}");
is($m->{dvc_redis_connected}, 1, "the worker is connected again");
is($m->{dvc_redis_replies_pending}, 0, "nothing pending");
my $n503 = () = block_error_log() =~ /submission answered 503/g;
ok($n503 >= 1, "$n503 submission(s) answered 503");
is($m->{'dvc_http_requests_total{endpoint="submit",code="503"}'}, $n503, "each 503 counted");
--- error_log
did not answer within 500 ms

=== TEST 4: Debian's prometheus scrapes it under load; counters equal what was sent
--- workers: 2
--- config
    location /dvc/ {
        dvc_api;
        access_log $TEST_NGINX_SERVROOT/logs/dvc.log dvc_json;
    }
    location = /metrics {
        dvc_metrics;
    }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_LOAD_PORT reuseport;
        location /dvc/ {
            dvc_api;
            access_log $TEST_NGINX_SERVROOT/logs/dvc.log dvc_json;
        }
--- timeout: 60
--- request
GET /dvc/v1/keys
--- post_init
my $pport = main::free_port();
my $dir = servroot() . "/prometheus";
mkdir $dir;
my $port = server_port();
open my $c, '>', "$dir/prometheus.yml" or die;
print $c "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
       . "scrape_configs:\n  - job_name: dvc\n    metrics_path: /metrics\n"
       . "    static_configs:\n      - targets: ['127.0.0.1:$port']\n";
close $c;
my $prom = fork // die;
if ($prom == 0) {
    open STDOUT, '>', "$dir/out.log"; open STDERR, '>&', \*STDOUT;
    exec { 'prometheus' } 'prometheus', "--config.file=$dir/prometheus.yml", "--storage.tsdb.path=$dir/data",
         "--web.listen-address=127.0.0.1:$pport"
        or POSIX::_exit(127);
}
my $query = sub {
    my ($q) = @_;
    my $out = `curl -s --max-time 2 -G --data-urlencode 'query=$q' http://127.0.0.1:$pport/api/v1/query`;
    my $d = eval { $main::J->decode($out) } or return undef;
    my $v = $d->{data}{result}[0]{value}[1];
    return $v;
};
# prometheus up and a first scrape in
my $dl = time + 20;
sleep 0.5 until (($query->('up{job="dvc"}') // 0) == 1) || time > $dl;
is($query->('up{job="dvc"}'), 1, "prometheus scrapes the gateway");
# the load: 2 clients, a new connection per request, for 4 s while it
# scrapes every second; every 8th dossier invalid (3 violations)
my $t0 = time;
my @kids;
for my $k (1..2) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($ok, $inv, $bad, $i) = (0, 0, 0, 0);
        while (time < $t0 + 4) {
            my $invalid = ++$i % 8 == 0;
            my $st = main::load_post($invalid ? main::invalid() : main::example("1.001612"));
            if ($st == ($invalid ? 422 : 201)) { $invalid ? $inv++ : $ok++ }
            else { $bad++; print STDERR "load: $st\n" }
        }
        open my $o, '>', "$dir/load-$k" or POSIX::_exit(2);
        print $o "$ok $inv\n"; close $o;
        POSIX::_exit($bad ? 1 : 0);
    }
    push @kids, $pid;
}
my $bad = 0;
for (@kids) { waitpid($_, 0); $bad++ if $? }
is($bad, 0, "every answer was 201 or 422 as sent");
my ($N, $M) = (0, 0);
for (1..2) { my ($a, $b) = split ' ', main::slurp("$dir/load-$_"); $N += $a; $M += $b }
ok($N > 100, "the load sent $N valid and $M invalid dossiers in 4 s");
my $want = $N;
$dl = time + 20;
my $got;
until (((($got = $query->('dvc_http_requests_total{endpoint="submit",code="201"}')) // 0) == $want) || time > $dl) { sleep 0.5 }
is($got, $want, "prometheus has the 201s the clients got");
is($query->('dvc_http_requests_total{endpoint="submit",code="422"}'), $M, "and the 422s");
is($query->('dvc_validation_failures_total{procedure="1.001612",code="required"}'), 2 * $M, "and their violations");
is($query->('dvc_validation_failures_total{procedure="1.001612",code="format"}'), $M, "of both codes");
is($query->('dvc_http_request_duration_seconds_count{endpoint="submit"}'), $N + $M, "one latency each");
is($query->('min_over_time(up{job="dvc"}[1m])'), 1, "every scrape succeeded");
ok($query->('count_over_time(up{job="dvc"}[1m])') >= 4, "several scrapes during the load");
is($query->('dvc_redis_replies_pending'), 0, "nothing pending after the load");
my @pids = map { /"pid":(\d+)/ ? $1 : () } split /\n/, main::slurp(servroot() . "/logs/dvc.log");
my %w = map { $_ => 1 } @pids;
is(scalar keys %w, 2, "both workers served (reuseport): the zone sums them")
    or diag("pids in the log: @{[ sort keys %w ]}");
kill 'TERM', $prom; waitpid($prom, 0);

=== TEST 5: a reload with the same procedures and key keeps the counters
--- workers: 2
--- requests eval
[ main::post(main::example("1.001193")),
  main::post(main::example("1.001193")),
  sub { nginx_reload() },
  main::post(main::example("1.001193")),
]
--- error_code eval
[201, 201, 201]
--- post_init
my ($res, $m) = main::scrape('dvc_http_requests_total{endpoint="submit",code="201"}', 3);
is($m->{'dvc_http_requests_total{endpoint="submit",code="201"}'}, 3, "2 before the reload + 1 after");
my ($ack) = grep { /document="acknowledgement"/ } keys %$m;
is($m->{$ack}, 3, "signatures kept too");
is($m->{dvc_redis_replies_pending}, 0, "nothing pending after the old workers left");
ok($m->{dvc_redis_connected} >= 1 && $m->{dvc_redis_connected} <= 2,
   "connected: the new workers only ($m->{dvc_redis_connected})");
