# dvc_redis_cluster: a real 3-master Redis Cluster (redis-server
# --cluster-enabled, redis-cli --cluster create) on loopback ports.  The slot
# map from CLUSTER SLOTS; each dossier's keys in its agency's partition
# dvc:*:{NN}:... (docs/redis.md), so the submission's MULTI/EXEC is in one
# slot on one master; the report summed over the partitions; a slot moved
# behind the worker's back (MOVED), a key asked of the importing node (ASK),
# a submission during a migration (TRYAGAIN until it is over).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use JSON::PP ();


our $ROOT = "$FindBin::Bin/..";
our (@PORTS, @PIDS);

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub submit { my ($p, $key) = @_;
    http_request("POST /dvc/v1/dossiers\n" . example($p // "1.001612"),
                 more_headers => "Content-Type: application/json"
                                 . ($key ? "\nIdempotency-Key: $key" : "")) }
# a cluster node also listens on its port + 10000 (the cluster bus): both
# free, the port at most 55535
sub free_port {
    for (1 .. 200) {
        my $p = 20000 + int(rand(30000));
        my @s = map { IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $_,
                                            Listen => 1, ReuseAddr => 1) } $p, $p + 10000;
        my $ok = 2 == grep { defined } @s;
        close $_ for grep { defined } @s;
        return $p if $ok;
    }
    die "no free port pair";
}
sub conn { Test::Nginx::DVC::Redis->new('127.0.0.1', $_[0]) or die "connect $_[0]: $!" }
sub node { conn($_[0])->cmd(@_[1 .. $#_]) }
sub wait_for { my ($what, $cb) = @_;
    for (1 .. 1500) { return 1 if eval { $cb->() }; sleep 0.02 } die "timed out: $what" }
sub pidof { my ($f) = @_; for (1 .. 250) { if (open my $h, '<', $f) { my ($p) = <$h> =~ /(\d+)/; return $p if $p } sleep 0.02 } die "no $f" }

# the partition of an agency and its slot, computed here as the docs say
sub crc16 { my $c = 0; for my $b (unpack 'C*', $_[0]) { $c ^= $b << 8;
    for (1 .. 8) { $c = $c & 0x8000 ? (($c << 1) ^ 0x1021) & 0xffff : ($c << 1) & 0xffff } } $c }
# the partitions' hash tags (core/dvc_cluster.c, docs/redis.md)
our @TAGS = ("00dd", "01dc", "02d", "03fc", "04c", "05ad", "06bd", "07bc", "08bb", "09c", "10c", "11aa", "12bd", "13bc", "14da", "15db");
sub part { $TAGS[crc16(substr($_[0], 0, 13)) % 16] }
sub slot_of { crc16($_[0]) % 16384 }
# the port of the master serving a slot, as the cluster says
sub owner { my ($slot) = @_;
    for my $r (@{ node($PORTS[0], 'CLUSTER', 'SLOTS') }) {
        return $r->[2][1] if $r->[0] <= $slot && $slot <= $r->[1] } die "slot $slot unserved" }
sub id_of { node($_[0], 'CLUSTER', 'MYID') }

sub topology {
    return if @PORTS;
    require File::Temp;
    my $dir = File::Temp::tempdir("dvc-cluster-XXXXXX", TMPDIR => 1, CLEANUP => 1);
    for my $i (1 .. 3) {
        my $p = free_port();
        mkdir "$dir/$p";
        system('redis-server', '--port', $p, '--bind', '127.0.0.1',
               '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
               '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no',
               '--daemonize', 'yes', '--pidfile', "$dir/$p.pid", '--dir', "$dir/$p",
               '--logfile', "$dir/$p.log") == 0 or die "redis $p";
        push @PIDS, pidof("$dir/$p.pid");
        push @PORTS, $p;
    }
    system("redis-cli --cluster create " . join(' ', map { "127.0.0.1:$_" } @PORTS)
           . " --cluster-yes > $dir/create.log 2>&1") == 0 or die "cluster create";
    wait_for("cluster ok", sub { !grep { node($_, 'CLUSTER', 'INFO') !~ /cluster_state:ok/ } @PORTS });
}

# moves a slot from its master to another, as redis-cli --cluster reshard
# does it: IMPORTING, MIGRATING, MIGRATE each key, then NODE everywhere
sub migrating { my ($slot, $from, $to) = @_;
    node($to, 'CLUSTER', 'SETSLOT', $slot, 'IMPORTING', id_of($from));
    node($from, 'CLUSTER', 'SETSLOT', $slot, 'MIGRATING', id_of($to)) }
sub migrate_keys { my ($slot, $from, $to, @only) = @_;
    my @keys = @only ? @only : @{ node($from, 'CLUSTER', 'GETKEYSINSLOT', $slot, 1000) };
    node($from, 'MIGRATE', '127.0.0.1', $to, '', 0, 5000, 'KEYS', @keys) if @keys;
    scalar @keys }
sub settle { my ($slot, $to) = @_;
    node($_, 'CLUSTER', 'SETSLOT', $slot, 'NODE', id_of($to)) for @PORTS }

END { kill 'TERM', @PIDS if @PIDS }

# an agency's event key (hex text, mode 0600), for examples/backend.py
{
    require File::Temp;
    my $kd = File::Temp::tempdir(CLEANUP => 1);
    $ENV{TEST_NGINX_BKEY} = "$kd/event.key";
    open my $f, '>', $ENV{TEST_NGINX_BKEY} or die;
    printf $f "%s\n", join '', map { sprintf '%02x', int rand 256 } 1 .. 32;
    close $f;
    chmod 0600, $ENV{TEST_NGINX_BKEY} or die;
}

my $http = <<'HTTP';
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_cluster 127.0.0.1:$TEST_NGINX_SEED;
HTTP

add_block_preprocessor(sub {
    my $b = shift;
    topology();
    $ENV{TEST_NGINX_SEED} = $PORTS[1];
    $b->set_value(http_config => $http . ($b->extra // '')) unless defined $b->http_config;
});

gateway_defaults(json => 1);

# the worker asks CLUSTER SLOTS when it starts: until the answer is in, a
# request is 503 at once
sub ready { wait_for("the worker has the map", sub { block_error_log() =~ /redis cluster map from "127\.0\.0\.1:\d+": 16384 of 16384 slots served/ }) }

run_tests();

__DATA__

=== TEST 1: the map from a seed; 201, the dossier's keys in its partition on the master serving it; the lookup; an idempotent retry
--- init
main::ready();
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- more_headers
Content-Type: application/json
Idempotency-Key: cluster-1
--- error_code: 201
--- post_init
my ($r) = responses();
my $d = JSON::PP::decode_json($r->{body});
my $nn = main::part($d->{code});
my $owner = main::owner(main::slot_of($nn));
is(main::node($owner, 'EXISTS', "dvc:d:{$nn}:$d->{code}"), 1, "dvc:d:{$nn}:CODE on the master serving slot " . main::slot_of($nn));
is(main::node($owner, 'XLEN', "dvc:inbox:{$nn}"), 1, "the partition's inbox there");
like(main::node($owner, 'GET', "dvc:seq:{$nn}:000.20.31.H29:" . substr($d->{code}, 14, 6)), qr/^1$/, "the agency-day sequence there");
is(scalar @{ main::node($owner, 'KEYS', "dvc:idem:{$nn}:*") }, 1, "the idempotency record there");
is(scalar @{ main::node($owner, 'KEYS', "dvc:d:*") }, 1, "no untagged dossier key");
my $l = http_request("GET /dvc/v1/dossiers/$d->{code}?token=$d->{lookup_token}");
is($l->{status}, 200, "the lookup: 200");
like($l->{body}, qr/"status":"submitted"/, "as recorded");
my $again = main::submit("1.001612", "cluster-1");
is($again->{status}, 201, "the retry: 201");
is(JSON::PP::decode_json($again->{body})->{code}, $d->{code}, "with the first code");

=== TEST 2: three agencies on two masters or more; the report sums every partition
--- init
main::ready();
$main::N = 0;
for my $p ("1.001612", "1.002820", "1.001193", "1.002820") {
    my $s = main::submit($p);
    die "submit $p: $s->{status}" unless $s->{status} == 201;
    $main::N++;
}
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2027-12-31
--- error_code: 200
--- post_init
my ($r) = responses();
my $j = JSON::PP::decode_json($r->{body});
my %owners = map { main::owner(main::slot_of(main::part($_))) => 1 } qw(000.20.31.H29 000.00.07.H29 000.05.22.H29);
cmp_ok(scalar keys %owners, '>=', 2, "the three agencies' partitions are on more than one master");
# TEST 1's dossier is there too
# TEST 1's dossier is there too; 1.001193 is accepted at once
is($j->{received_new} + $j->{awaiting_acceptance}, $main::N + 1, "every dossier of every partition, once");
is($j->{received_new}, 1, "the one accepted at once");

=== TEST 3: a slot moved behind the worker's back: MOVED followed, the map corrected; the earlier dossier found, a new one recorded on the new master
--- init
main::ready();
my $s = main::submit("1.002820");
die "submit: $s->{status}" unless $s->{status} == 201;
$main::D = JSON::PP::decode_json($s->{body});
my $slot = main::slot_of(main::part($main::D->{code}));
my $from = main::owner($slot);
my ($to) = grep { $_ != $from } @main::PORTS;
main::migrating($slot, $from, $to);
main::migrate_keys($slot, $from, $to);
main::settle($slot, $to);
$main::TO = $to;
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.002820")
--- error_code: 201
--- post_init
my ($r) = responses();
my $d = JSON::PP::decode_json($r->{body});
like(block_error_log(), qr/\[info\] .*dvc: redis cluster: slot \d+ moved to "127\.0\.0\.1:$main::TO"/, "MOVED followed");
is(main::node($main::TO, 'EXISTS', "dvc:d:{" . main::part($d->{code}) . "}:$d->{code}"), 1, "recorded on the new master");
my $l = http_request("GET /dvc/v1/dossiers/$main::D->{code}?token=$main::D->{lookup_token}");
is($l->{status}, 200, "the dossier recorded before the move: 200");
like(block_error_log(), qr/redis cluster map from "127\.0\.0\.1:\d+": 16384 of 16384 slots served(?s:.*)moved to/, "the map asked for again");

=== TEST 4: a slot being migrated, the dossier's key already moved: ASK followed (ASKING), the lookup answered by the importing node
--- init
main::ready();
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001193")
--- error_code: 201
--- post_init
my ($r) = responses();
my $d = JSON::PP::decode_json($r->{body});
my $nn = main::part($d->{code});
my $slot = main::slot_of($nn);
my $from = main::owner($slot);
my ($to) = grep { $_ != $from } @main::PORTS;
main::migrating($slot, $from, $to);
main::migrate_keys($slot, $from, $to, "dvc:d:{$nn}:$d->{code}");
my $l = http_request("GET /dvc/v1/dossiers/$d->{code}?token=$d->{lookup_token}");
is($l->{status}, 200, "the lookup: 200");
like($l->{body}, qr/"status":"accepted"/, "as recorded");
like(block_error_log(), qr/\[info\] .*dvc: redis cluster: slot \d+ asked of "127\.0\.0\.1:$to"/, "ASK followed");
main::migrate_keys($slot, $from, $to);
main::settle($slot, $to);

=== TEST 5: a submission while its slot is half migrated: TRYAGAIN, sent again until the migration is over, then 201 on the new master
--- init
main::ready();
my $s = main::submit("1.009994");
die "submit: $s->{status}" unless $s->{status} == 201;
my $nn = main::part("000.21.31.H29");
my $slot = main::slot_of($nn);
my $from = main::owner($slot);
my ($to) = grep { $_ != $from } @main::PORTS;
main::migrating($slot, $from, $to);
# the sequence moved, the counters not yet: the transaction's keys are on
# both sides
main::migrate_keys($slot, $from, $to, grep { /^dvc:seq:/ } @{ main::node($from, 'CLUSTER', 'GETKEYSINSLOT', $slot, 1000) });
$main::TO = $to;
if (!fork) {
    select undef, undef, undef, 0.3;
    main::migrate_keys($slot, $from, $to);
    main::settle($slot, $to);
    require POSIX; POSIX::_exit(0);
}
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.009994")
--- error_code: 201
--- post_init
wait;
my ($r) = responses();
my $d = JSON::PP::decode_json($r->{body});
is($d->{code}, "000.21.31.H29-" . substr($d->{code}, 14, 6) . "-0002", "the agency's second code of the day: none skipped, none repeated");
is(main::node($main::TO, 'EXISTS', "dvc:d:{" . main::part($d->{code}) . "}:$d->{code}"), 1, "recorded on the new master");
cmp_ok($r->{elapsed}, '>', 0.2, "it waited for the migration");
cmp_ok($r->{elapsed}, '<', 1.0, "within dvc_redis_timeout");

=== TEST 6: examples/inbox-consumer.py --cluster reads the 16 streams on their masters: every dossier once
--- init
main::ready();
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2027-12-31
--- error_code: 200
--- post_init
my $dir = servroot() . "/inbox-out";
my $run = sub { my $out = `/usr/bin/python3 $main::ROOT/examples/inbox-consumer.py --cluster --port $main::PORTS[2] --once --out $dir --consumer t037 2>&1`; ($? >> 8, $out) };
my ($rc, $out) = $run->();
is($rc, 0, "exit 0") or diag($out);
my $n = 0;
for my $p (@main::TAGS) {
    my $o = main::owner(main::slot_of($p));
    $n += main::node($o, 'XLEN', "dvc:inbox:{$p}");
}
my @files = glob("$dir/*.json");
cmp_ok($n, '>=', 8, "the earlier blocks' dossiers in the inbox streams");
is(scalar @files, $n, "one file per inbox entry, over every master");
my ($c) = $out =~ /done: (\d+) entries handled/;
is($c, $n, "each handled once");
my ($rc2, $out2) = $run->();
like($out2, qr/done: 0 entries handled/, "a second pass: nothing left (all acknowledged)");

=== TEST 7: dvc_metrics: dvc_redis_connected counts the worker's connections to the masters
--- config
    location /dvc/ { dvc_api; }
    location = /metrics { dvc_metrics; }
--- init
main::ready();
for my $p ("1.001612", "1.002820", "1.001193") {
    my $s = main::submit($p);
    die "submit $p: $s->{status}" unless $s->{status} == 201;
}
--- request
GET /metrics
--- error_code: 200
--- post_init
my ($r) = responses();
my ($n) = $r->{body} =~ /^dvc_redis_connected (\d+)$/m;
# the masters serving the three agencies now (earlier blocks moved slots),
# and the seed CLUSTER SLOTS was asked of
my %m = map { main::owner(main::slot_of(main::part($_))) => 1 } qw(000.20.31.H29 000.00.07.H29 000.05.22.H29);
$m{$main::PORTS[1]} = 1;
is($n, scalar keys %m, "one per master the worker talks to") or diag(join "\n", grep { /redis/ } split /\n/, $r->{body});

=== TEST 8: the seeds unreachable: 503 at once, the log says so
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_cluster 127.0.0.1:1;
--- init
sleep 0.2;
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- error_log eval
[qr/dvc: redis cluster "127\.0\.0\.1:1" refused CLUSTER SLOTS|dvc: redis connect to "127\.0\.0\.1:1" failed/]
--- post_init
my ($r) = responses();
cmp_ok($r->{elapsed}, '<', 0.1, "at once");

=== TEST 9: dvc_redis_cluster with dvc_redis_db: nginx -t refuses it
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_cluster 127.0.0.1:$TEST_NGINX_SEED;
    dvc_redis_db 2;
--- must_die
--- error_log
"dvc_redis_db" cannot be used with "dvc_redis_cluster"

=== TEST 10: dvc_redis_cluster with dvc_documents: nginx -t refuses it
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis_cluster 127.0.0.1:$TEST_NGINX_SEED;
    dvc_documents $TEST_NGINX_SERVROOT/documents;
--- must_die
--- error_log
"dvc_documents" cannot be used with "dvc_redis_cluster" yet

=== TEST 11: dvc_redis_cluster with dvc_redis: refused
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    dvc_redis_cluster 127.0.0.1:$TEST_NGINX_SEED;
--- must_die
--- error_log
"dvc_redis_cluster" directive excludes "dvc_redis"

=== TEST 12: examples/notifier.py --cluster mails the acceptance notice from its partition's stream through a real SMTP server, once
--- extra
    dvc_notify on link=https://dichvucong.example.vn/tra-cuu?ma=;
--- init
main::ready();
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2027-12-31
--- error_code: 200
--- post_init
use utf8;
require File::Temp; require POSIX;
my $s = main::submit("1.001193");                       # accepted at once
is($s->{status}, 201, "submitted") or diag($s->{body});
my $d = JSON::PP::decode_json($s->{body});
my $nn = main::part($d->{code});
my $owner = main::owner(main::slot_of($nn));
my @notices;
for my $p (@main::TAGS) {
    for my $x (@{ main::node(main::owner(main::slot_of($p)), 'XRANGE', "dvc:notify:{$p}", '-', '+') }) {
        my %h = @{ $x->[1] }; utf8::decode($_) for values %h; push @notices, [$p, \%h];
    }
}
is(scalar @notices, 1, "one notice in all the partitions' streams");
is($notices[0][0], $nn, "in the stream of the dossier's partition, dvc:notify:{$nn}");
is(main::node(main::owner(main::slot_of('dvc:notify')), 'EXISTS', 'dvc:notify'), 0, "no untagged stream");

# aiosmtpd's Mailbox handler (as t/067): each message a file in a maildir
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $sport = main::free_port();
my $spid = fork // die;
if (!$spid) { open STDOUT, '>', "$dir/smtp.log"; open STDERR, '>&', \*STDOUT;
    exec "/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:$sport",
         "-c", "aiosmtpd.handlers.Mailbox", "$dir/mail" or POSIX::_exit(127) }
main::wait_for("aiosmtpd", sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $sport) });
my $run = sub { my $out = `/usr/bin/python3 $main::ROOT/examples/notifier.py --cluster 127.0.0.1:$main::PORTS[2] --once --consumer t037 --smtp 127.0.0.1:$sport 2>&1`; ($? >> 8, $out) };
my ($rc, $out) = $run->();
is($rc, 0, "notifier --cluster: exit 0") or diag($out);
like($out, qr/^\Q$d->{code}\E accepted email sent /m, "it logs the code, the template, the channel");
unlike($out, qr/\@example\.vn|0912345678/, "no address, no phone in its log");
# the mails, read back with Python's own parser
my $py = 'import email, email.policy, json, mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
print(json.dumps([(str(m["To"]), str(m["Subject"]), m.get_content()) for m in
    (email.message_from_bytes(md.get_bytes(k), policy=email.policy.default) for k in sorted(md.keys()))]))';
my $mails = sub { open my $f, '-|', "/usr/bin/python3", "-c", $py, "$dir/mail" or die; local $/; JSON::PP->new->utf8->decode(<$f> || "[]") };
my $m = $mails->();
is(scalar @$m, 1, "one mail") or diag(explain($m));
is($m->[0][0], 'hung.nguyen@example.vn', "to the dossier's contact");
is($m->[0][1], "Hồ sơ $d->{code}: đã được tiếp nhận", "the acceptance's subject, in Vietnamese");
is($m->[0][1], $notices[0][1]{subject_vi}, "the notice's subject, exactly");
like($m->[0][2], qr/\Qhttps:\/\/dichvucong.example.vn\/tra-cuu?ma=$d->{code}\E/, "the lookup link");
is(main::node($owner, 'XPENDING', "dvc:notify:{$nn}", 'notifier')->[0], 0, "acknowledged on the partition's master");
is(main::node($owner, 'HEXISTS', "dvc:notify:{$nn}:sent:$d->{code}:$notices[0][1]{event}", 'email'), 1,
   "the sent mark in the same partition, dvc:notify:{$nn}:sent:CODE:EVENT");
# delivered again (the group's position reset): not mailed twice
main::node($owner, 'XGROUP', 'SETID', "dvc:notify:{$nn}", 'notifier', '0');
($rc, $out) = $run->();
is($rc, 0, "a second run: exit 0") or diag($out);
like($out, qr/^\Q$d->{code}\E accepted email skipped \(already sent\)/m, "the entry delivered again is skipped");
is(scalar @{ $mails->() }, 1, "still one mail");
kill 'TERM', $spid; waitpid $spid, 0;

=== TEST 13: examples/backend.py --cluster works the 16 inbox streams on their masters: dossiers of three agencies returned, every entry acknowledged
--- extra
    dvc_event_key $TEST_NGINX_BKEY;
--- init
main::ready();
--- request
GET /dvc/v1/stats?from=2026-01-01&to=2027-12-31
--- error_code: 200
--- post_init
my @d;
for my $p ("1.001612", "1.002820", "1.001193") {
    my $s = main::submit($p);
    is($s->{status}, 201, "$p submitted") or diag($s->{body});
    push @d, JSON::PP::decode_json($s->{body});
}
my %owners = map { main::owner(main::slot_of(main::part($_->{code}))) => 1 } @d;
cmp_ok(scalar keys %owners, '>=', 2, "their partitions are on more than one master");
my $cmd = "/usr/bin/python3 $main::ROOT/examples/backend.py --cluster 127.0.0.1:$main::PORTS[0]"
        . " --gateway http://127.0.0.1:" . server_port() . "/dvc/v1 --key $ENV{TEST_NGINX_BKEY}"
        . " --once --speed 0 --consumer t037 --group agency --refuse 0 --supplement 0 --payment 0 --delay 0";
my $out = `$cmd 2>&1`;
is($? >> 8, 0, "backend --cluster: exit 0") or diag($out);
for my $d (@d) {
    like($out, qr/^\Q$d->{code}\E return 200 status=10 /m, "$d->{code}: the return event logged");
    my $l = http_request("GET /dvc/v1/dossiers/$d->{code}?token=$d->{lookup_token}");
    like($l->{body}, qr/"status_number":10\b/, "$d->{code}: returned, as the lookup says") or diag($l->{body});
}
my ($pending, $entries) = (0, 0);
for my $p (@main::TAGS) {
    my $o = main::owner(main::slot_of($p));
    $entries += main::node($o, 'XLEN', "dvc:inbox:{$p}");
    $pending += main::node($o, 'XPENDING', "dvc:inbox:{$p}", 'agency')->[0];
}
cmp_ok($entries, '>=', 3, "the inbox entries over the partitions");
is($pending, 0, "every one acknowledged by the group");
$out = `$cmd 2>&1`;
like($out, qr/^done: 0 events sent/m, "a second run: nothing left");
