# dvc_redis_sentinel: the master found through a real Redis Sentinel
# (redis-server --sentinel, requirepass), checked with ROLE on every new
# connection, followed on +switch-master and on -READONLY; no master:
# submissions 503 at once; dvc_redis_read replica: lookups from a replica
# while the master is down.  One replica (--replicaof) of this file's Redis,
# one Sentinel monitoring it as "m" (down-after 30 s: no failover happens
# unless a block asks for one with SENTINEL FAILOVER).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use JSON::PP ();


our $ROOT = "$FindBin::Bin/..";

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub submit { http_request("POST /dvc/v1/dossiers\n" . example("1.001612"),
                          more_headers => "Content-Type: application/json") }

our ($REPLICA_PORT, $SENTINEL_PORT, $HOLE_PORT, $HOLE, @PIDS);

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "socket: $!";
    my $p = $s->sockport; close $s; $p
}
sub conn { Test::Nginx::DVC::Redis->new('127.0.0.1', $_[0]) or die "connect $_[0]: $!" }
sub sentinel { my $c = conn($SENTINEL_PORT); $c->cmd('AUTH', 'sentpw'); $c->cmd(@_) }
sub wait_for { my ($what, $cb) = @_;
    for (1 .. 1500) { return 1 if eval { $cb->() }; sleep 0.02 } die "timed out: $what" }
# the worker asks Sentinel when it starts: until the answer is in, a
# submission is 503 at once (docs/operations.md); wait for it
sub ready { wait_for("the worker knows the master", sub { block_error_log() =~ /redis master is "127\.0\.0\.1:\d+" now/ }) }
sub pidof { my ($f) = @_; for (1 .. 250) { if (open my $h, '<', $f) { my ($p) = <$h> =~ /(\d+)/; return $p if $p } sleep 0.02 } die "no $f" }

sub topology {
    return if $SENTINEL_PORT;
    my $dir = servroot() . "/topo";
    mkdir $dir;
    $REPLICA_PORT = free_port();
    system('redis-server', '--port', $REPLICA_PORT, '--bind', '127.0.0.1',
           '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
           '--pidfile', "$dir/replica.pid", '--dir', $dir,
           '--logfile', "$dir/replica.log",
           '--replicaof', '127.0.0.1', redis_port()) == 0 or die "replica";
    push @PIDS, pidof("$dir/replica.pid");
    wait_for("replica in sync", sub { conn($REPLICA_PORT)->cmd('INFO', 'replication') =~ /master_link_status:up/ });
    $SENTINEL_PORT = free_port();
    open my $f, '>', "$dir/sentinel.conf" or die;
    my $m = redis_port();
    print $f <<"CONF";
port $SENTINEL_PORT
bind 127.0.0.1
daemonize yes
pidfile $dir/sentinel.pid
logfile $dir/sentinel.log
dir $dir
requirepass sentpw
sentinel monitor m 127.0.0.1 $m 1
sentinel down-after-milliseconds m 30000
sentinel failover-timeout m 5000
CONF
    close $f;
    system('redis-server', "$dir/sentinel.conf", '--sentinel') == 0 or die "sentinel";
    push @PIDS, pidof("$dir/sentinel.pid");
    wait_for("sentinel knows the replica", sub {
        grep { my %h = @$_; $h{flags} eq 'slave' && $h{port} == $REPLICA_PORT }
             @{ sentinel('SENTINEL', 'replicas', 'm') } });
}

END { kill 'TERM', @PIDS if @PIDS }

my $http = <<'HTTP';
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_sentinel 127.0.0.1:$TEST_NGINX_SENTINEL_PORT master=m;
    dvc_redis_sentinel_password sentpw;
HTTP

add_block_preprocessor(sub {
    my $b = shift;
    topology();
    $ENV{TEST_NGINX_SENTINEL_PORT} = $SENTINEL_PORT;
    # TEST 8's black-hole Sentinel: a listening socket nobody accepts on
    # (connects succeed, nothing answers), open before nginx starts
    $HOLE //= IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 16) or die "hole: $!";
    $HOLE_PORT = $HOLE->sockport;
    $ENV{TEST_NGINX_HOLE_PORT} = $HOLE_PORT;
    $b->set_value(http_config => $http . ($b->extra // '')) unless defined $b->http_config;
});

gateway_defaults(json => 1);

run_tests();

__DATA__

=== TEST 1: the master as Sentinel names it: 201, recorded on it (and replicated)
--- init
main::ready();
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 201
--- error_log eval
[qr/\[notice\] .*dvc: redis master is "127\.0\.0\.1:\d+" now \(was "unknown"\)/]
--- post_init
my $port = redis_port();
like(block_error_log(), qr/redis master is "127\.0\.0\.1:$port" now/, "this file's Redis");
is(scalar @{ redis_cmd('KEYS', 'dvc:d:*') }, 1, "on the master");

=== TEST 2: the Sentinel's password wrong: no master, submissions 503 at once
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_sentinel 127.0.0.1:$TEST_NGINX_SENTINEL_PORT master=m;
    dvc_redis_sentinel_password wrong;
--- init
sleep 0.2;
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- response_body_like: ^\{"error":"unavailable",
--- error_log eval
[qr/\[error\] .*dvc: redis sentinel AUTH failed: WRONGPASS/]
--- post_init
my ($r) = responses();
cmp_ok($r->{elapsed}, '<', 0.1, "at once");
is_deeply(redis_cmd('KEYS', 'dvc:*'), [], "nothing written");

=== TEST 3: a master name Sentinel does not know: 503 at once, the log says so
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_sentinel 127.0.0.1:$TEST_NGINX_SENTINEL_PORT master=nope;
    dvc_redis_sentinel_password sentpw;
--- init
sleep 0.2;
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- error_log eval
[qr/dvc: redis sentinel "127\.0\.0\.1:\d+" knows no master "nope"/]
--- post_init
my ($r) = responses();
cmp_ok($r->{elapsed}, '<', 0.1, "at once");

=== TEST 4: the master down, dvc_redis_read replica: the lookup is answered from the replica, submissions 503 at once
--- extra
    dvc_redis_read replica;
--- init
main::ready();
my $s = main::submit();
die "submit: $s->{status}" unless $s->{status} == 201;
$main::D = JSON::PP::decode_json($s->{body});
main::wait_for("on the replica", sub { main::conn($main::REPLICA_PORT)->cmd('EXISTS', "dvc:d:$main::D->{code}") });
redis_stop();
sleep 0.3;
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- post_init
my ($p) = responses();
cmp_ok($p->{elapsed}, '<', 0.1, "the submission: 503 at once");
my $l = http_request("GET /dvc/v1/dossiers/$main::D->{code}?token=$main::D->{lookup_token}");
is($l->{status}, 200, "the lookup: 200");
like($l->{body}, qr/"status":"submitted"/, "the dossier as the replica has it");
like(block_error_log(), qr/dvc: no redis master, read from replica "127\.0\.0\.1:$main::REPLICA_PORT"/, "from the replica");
redis_start();
main::wait_for("replica in sync again", sub { main::conn($main::REPLICA_PORT)->cmd('INFO', 'replication') =~ /master_link_status:up/ });

=== TEST 5: the master turned replica behind Sentinel's back: -READONLY drops it, then ROLE refuses it; 503, nothing recorded
--- init
main::ready();
my $s = main::submit();
die "submit: $s->{status}" unless $s->{status} == 201;
redis_cmd('FLUSHALL');
redis_cmd('REPLICAOF', '127.0.0.1', '1');
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- error_log eval
[qr/\[error\] .*dvc: redis "127\.0\.0\.1:\d+" answers READONLY: not the master any more/]
--- post_init
sleep 0.3;
my $p = main::submit();
is($p->{status}, 503, "again: 503");
like(block_error_log(), qr/dvc: redis "127\.0\.0\.1:\d+" says ROLE "slave", not master/, "ROLE checked on the new connection");
redis_cmd('REPLICAOF', 'NO', 'ONE');
sleep 0.3;
my $q = main::submit();
is($q->{status}, 201, "a master again: 201");
main::wait_for("replica in sync again", sub { main::conn($main::REPLICA_PORT)->cmd('INFO', 'replication') =~ /master_link_status:up/ });

=== TEST 6: SENTINEL FAILOVER: +switch-master moves the gateway to the promoted replica; 201 recorded there
--- init
main::ready();
main::sentinel('SENTINEL', 'FAILOVER', 'm');
main::wait_for("switched", sub { main::sentinel('SENTINEL', 'get-master-addr-by-name', 'm')->[1] == $main::REPLICA_PORT });
main::wait_for("promoted", sub { main::conn($main::REPLICA_PORT)->cmd('ROLE')->[0] eq 'master' });
sleep 0.3;
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 201
--- error_log eval
[qr/\[notice\] .*dvc: redis sentinel: \+switch-master m -> 127\.0\.0\.1:\d+/,
 qr/\[notice\] .*dvc: redis master is "127\.0\.0\.1:\d+" now \(was "127\.0\.0\.1:\d+"\)/]
--- post_init
like(block_error_log(), qr/\+switch-master m -> 127\.0\.0\.1:$main::REPLICA_PORT\b/, "to the replica");
my ($r) = responses();
my ($code) = $r->{headers}{location}[0] =~ m{/([^/]+)$};
is(main::conn($main::REPLICA_PORT)->cmd('HGET', "dvc:d:$code", 'code'), $code, "recorded on the new master");

=== TEST 7: dvc_redis_sentinel and dvc_redis exclude each other; dvc_redis_read replica needs Sentinel
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_read replica;
--- must_die
--- error_log
"dvc_redis_read replica" needs "dvc_redis_sentinel"

=== TEST 8: the first Sentinel a black hole (it accepts, never answers): the subscription is given up after dvc_redis_timeout and made on the next
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_sentinel 127.0.0.1:$TEST_NGINX_HOLE_PORT 127.0.0.1:$TEST_NGINX_SENTINEL_PORT master=m;
    dvc_redis_sentinel_password sentpw;
    dvc_redis_timeout 300ms;
--- workers: 2
--- request
GET /dvc/v1/keys
--- error_code: 200
--- post_init
main::wait_for("the subscription given up", sub { block_error_log() =~ /dvc: redis sentinel "127\.0\.0\.1:$main::HOLE_PORT" did not confirm the subscription within 300 ms/ });
main::wait_for("subscribed on the next", sub { block_error_log() =~ /dvc: redis sentinel "127\.0\.0\.1:$main::SENTINEL_PORT": subscribed again/ });
pass("moved to the next Sentinel");
main::ready();
my $s = main::submit();
is($s->{status}, 201, "submissions as before");
