# dvc_redis_wait N TIMEOUT: a submission's 201 waits until N replicas have
# its transaction (Redis's WAIT after EXEC); fewer acknowledgements within
# TIMEOUT are answered 503 outcome unknown, and the same Idempotency-Key
# then gets the real answer.  Real replicas: a redis-server started with
# --replicaof this file's Redis, paused with SIGSTOP to stop acknowledging.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use POSIX ();
use Test::DVC::Citizen ();


our $ROOT = "$FindBin::Bin/..";

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub post { my ($key) = @_;
    { request => "POST /dvc/v1/dossiers\n" . example("1.001612"),
      more_headers => "Content-Type: application/json"
                      . (defined $key ? "\nIdempotency-Key: $key" : '') } }

our ($REPLICA_PORT, $REPLICA_PID);

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Listen => 1) or die "socket: $!";
    my $p = $s->sockport; close $s; $p
}

sub replica { Test::Nginx::DVC::Redis->new('127.0.0.1', $REPLICA_PORT) or die "replica: $!" }

# a replica of this file's Redis, in sync before it returns
sub replica_start {
    return if $REPLICA_PID;
    $REPLICA_PORT = free_port();
    my $dir = servroot() . "/replica";
    mkdir $dir;
    system('redis-server', '--port', $REPLICA_PORT, '--bind', '127.0.0.1',
           '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
           '--pidfile', "$dir/redis.pid", '--dir', $dir,
           '--logfile', "$dir/redis.log",
           '--replicaof', '127.0.0.1', redis_port()) == 0 or die "replica";
    for (1 .. 500) {
        my $info = eval { replica()->cmd('INFO', 'replication') } // '';
        if ($info =~ /master_link_status:up/) {
            open my $f, '<', "$dir/redis.pid" or die; ($REPLICA_PID) = <$f> =~ /(\d+)/;
            master_counts_replica();
            return;
        }
        sleep 0.02;
    }
    die "the replica did not sync";
}

sub wait_for_sync {
    for (1 .. 500) {
        if ((eval { replica()->cmd('INFO', 'replication') } // '') =~ /master_link_status:up/) {
            master_counts_replica();
            return;
        }
        sleep 0.02;
    }
    die "the replica did not sync again";
}

# The replica's link can be up before the master counts it for WAIT (the
# master puts it online on its first acknowledgement); on a loaded machine
# the gateway's 300 ms WAIT then saw 0 replicas.  The master's own WAIT
# answering 1 is the state the tests mean by "in sync".
sub master_counts_replica {
    for (1 .. 50) {
        # a write of this client's own, so that WAIT asks for an offset
        # the replica has yet to acknowledge, as the gateway's WAIT does
        redis_cmd('SET', 'test:replica-sync', $_);
        return if (redis_cmd('WAIT', 1, 200) // 0) >= 1;
    }
    die "the master never counted the replica";
}

END { if ($REPLICA_PID) { kill 'CONT', $REPLICA_PID; kill 'TERM', $REPLICA_PID } }

gateway_defaults(extra_http => "    dvc_redis_wait 1 300ms;\n");

run_tests();

__DATA__

=== TEST 1: WAIT 1 and no replica: 503 after the WAIT timeout, outcome unknown; the dossier is on the master
--- request eval
main::post("wait-1")
--- error_code: 503
--- response_body_like: ^\{"error":"unavailable",
--- error_log eval
[qr/\[error\] .*dvc: redis WAIT: 0 of 1 replica\(s\) acknowledged within 300 ms/,
 qr/\[error\] .*dvc: submission answered 503, outcome unknown/]
--- post_init
my ($r) = responses();
cmp_ok($r->{elapsed}, '>=', 0.29, "answered after the WAIT timeout");
cmp_ok($r->{elapsed}, '<', 1.2, "not after the command timeout too");
is(scalar @{ redis_cmd('KEYS', 'dvc:d:*') }, 1, "recorded on the master");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "one inbox entry");

=== TEST 2: the same Idempotency-Key after that 503 gets the real answer: 201 and the dossier recorded, not a second one
--- redis eval
[]
--- init
my $p = main::post("wait-2");
my $r = http_request($p->{request}, more_headers => $p->{more_headers});
die "first try: $r->{status}" unless $r->{status} == 503;
$main::FIRST = redis_cmd('KEYS', 'dvc:d:*')->[0];
--- request eval
main::post("wait-2")
--- error_code: 201
--- response_headers_like
Location: ^/dvc/v1/dossiers/000\.20\.31\.H29-\d{6}-0001$
--- post_init
is_deeply(redis_cmd('KEYS', 'dvc:d:*'), [$main::FIRST], "the dossier of the first try, and only it");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "one inbox entry");

=== TEST 3: a replica in sync: 201 at once, and the replica has the dossier when the 201 arrives
--- init
main::replica_start();
--- request eval
main::post()
--- error_code: 201
--- no_error_log
WAIT:
--- post_init
my ($r) = responses();
cmp_ok($r->{elapsed}, '<', 0.25, "not held for the WAIT timeout");
my ($code) = $r->{headers}{location}[0] =~ m{/([^/]+)$};
is(main::replica()->cmd('HGET', "dvc:d:$code", 'code'), $code, "on the replica");

=== TEST 4: the replica stops acknowledging (SIGSTOP): 503 after the timeout, outcome unknown
--- init
main::replica_start();
kill 'STOP', $main::REPLICA_PID;
--- request eval
main::post()
--- error_code: 503
--- error_log eval
[qr/dvc: redis WAIT: 0 of 1 replica\(s\) acknowledged within 300 ms/]
--- post_init
kill 'CONT', $main::REPLICA_PID;
my ($r) = responses();
cmp_ok($r->{elapsed}, '>=', 0.29, "answered after the WAIT timeout");

=== TEST 5: the same stopped replica without dvc_redis_wait: 201 at once (what test 4 refuses is WAIT's doing)
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
--- init
main::replica_start();
kill 'STOP', $main::REPLICA_PID;
--- request eval
main::post()
--- error_code: 201
--- post_init
kill 'CONT', $main::REPLICA_PID;
my ($r) = responses();
cmp_ok($r->{elapsed}, '<', 0.25, "not held");

=== TEST 6: a lookup is not held behind a submission's WAIT (its own connection): 404 at once while the submission waits 1 s
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_wait 1 1s;
--- init
main::replica_start();
kill 'STOP', $main::REPLICA_PID;
my $p = main::post();
$main::SLOW = http_request_stalled($p->{request}, more_headers => $p->{more_headers}, rcvbuf => 65536);
sleep 0.2;
--- request
GET /dvc/v1/dossiers/000.20.31.H29-250101-0001?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- error_code: 404
--- post_init
my ($r) = responses();
cmp_ok($r->{elapsed}, '<', 0.3, "the lookup was answered at once");
my $s = http_response_read($main::SLOW);
kill 'CONT', $main::REPLICA_PID;
is($s->{status}, 503, "the submission: 503 after its WAIT");
cmp_ok($s->{elapsed}, '>=', 0.99, "after the WAIT timeout");

=== TEST 7: dvc_redis_wait needs 1 or more replicas and a timeout above 0
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_wait 1 0;
--- must_die
--- error_log
invalid timeout "0" in "dvc_redis_wait"

=== TEST 8: dvc_redis_wait 0 is refused
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_wait 0 1s;
--- must_die
--- error_log
invalid replica count "0" in "dvc_redis_wait"

=== TEST 9: a citizen's withdrawal WAITs too: the replica has status 7 when the 200 arrives
--- request
GET /dvc/v1/keys
--- no_error_log
WAIT:
--- post_init
main::replica_start();
my $d = Test::DVC::Citizen::submit_dossier("1.001612");
my $r = Test::DVC::Citizen::citizen_post($d->{code}, "withdrawal", $d->{lookup_token}, "{}");
is($r->{status}, 200, "the withdrawal: 200");
is(main::replica()->cmd('HGET', "dvc:d:$d->{code}", 'status'), "7", "on the replica when the 200 arrives");

=== TEST 10: the replica stops acknowledging: the withdrawal is 503 outcome unknown after the WAIT timeout; sent again, its answer
--- request
GET /dvc/v1/keys
--- error_log eval
[qr/dvc: redis WAIT: 0 of 1 replica\(s\) acknowledged within 300 ms/,
 qr/dvc: withdrawal of "[^"]+" answered 503, outcome unknown/]
--- post_init
main::replica_start();
my $d = Test::DVC::Citizen::submit_dossier("1.001612");
kill 'STOP', $main::REPLICA_PID;
my $r = Test::DVC::Citizen::citizen_post($d->{code}, "withdrawal", $d->{lookup_token}, "{}");
kill 'CONT', $main::REPLICA_PID;
is($r->{status}, 503, "the withdrawal: 503");
cmp_ok($r->{elapsed}, '>=', 0.29, "answered after the WAIT timeout");
is(redis_cmd('HGET', "dvc:d:$d->{code}", 'status'), "7", "applied on the master (outcome unknown)");
main::wait_for_sync();
my $again = Test::DVC::Citizen::citizen_post($d->{code}, "withdrawal", $d->{lookup_token}, "{}");
is($again->{status}, 200, "the same request again: 200");
is($again->{json}{status_slug}, "withdrawal_requested", "its answer");
