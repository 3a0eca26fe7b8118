# Idempotency-Key as docs/api.md promises it, beyond t/030's retry and 409:
# a key held by a submission in flight gets 409 idempotency_key_in_use and
# nothing recorded, then the retry goes through once the reservation expired;
# a refused (422) submission leaves the key free; the 1-255 byte bounds.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;


our $ROOT = "$FindBin::Bin/..";

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub post { my ($body, $key) = @_;
    { request => "POST /dvc/v1/dossiers\n" . $body,
      more_headers => "Content-Type: application/json\nIdempotency-Key: $key" } }
sub send_post { my $p = post(@_);
    http_request($p->{request}, more_headers => $p->{more_headers}) }
# the Redis key the gateway keeps for a client's Idempotency-Key
sub idem { "dvc:idem:" . sha256_hex($_[0]) }

# A dossier of 1.001193 (accepted at once: its 201 carries the signed
# receipt) with the 20 files the schema allows: an answer over 8 KB
sub big_dossier {
    require JSON::PP;
    my $J = JSON::PP->new->utf8->canonical;
    my $d = $J->decode(example("1.001193"));
    my @docs = @{ $d->{documents} };
    for my $i (1 .. 20 - @docs) {
        my %c = %{ $docs[$i % @docs] };
        $c{file_name} = "ban-sao-$i.pdf";
        $c{sha256} = sha256_hex("bản sao $i");
        push @{ $d->{documents} }, \%c;
    }
    return $J->encode($d);
}

# did nginx have to wait to write the answer of the request whose info line
# matches $line (its connection's writev() found the socket full)?
sub waited_to_write {
    my ($line) = @_;
    my $log = block_error_log();
    my ($c) = $log =~ /\*(\d+) [^\n]*$line/ or return 0;
    return $log =~ /\*$c writev\(\) not ready/ ? 1 : 0;
}

gateway_defaults();

run_tests();

__DATA__

=== TEST 1: a key held by a submission in flight: 409 idempotency_key_in_use, nothing recorded
--- redis eval
[['SET', main::idem('inflight-1'), 'pending:0123456789abcdef01234567', 'EX', '10']]
--- request eval
main::post(main::example("1.001612"), "inflight-1")
--- error_code: 409
--- response_body_like: ^\{"error":"idempotency_key_in_use","message":\{"vi":"[^"]+","en":"A submission with this Idempotency-Key is in progress; retry in a few seconds."\}\}$
--- redis_check
XLEN dvc:inbox => 0
KEYS dvc:d:* => []
GET dvc:idem:[% sha256_hex("inflight-1") %] => pending:0123456789abcdef01234567

=== TEST 2: once the in-flight reservation expires, the retry is processed, once
--- redis eval
[['SET', main::idem('inflight-2'), 'pending:0123456789abcdef01234567', 'PX', '3000']]
--- requests eval
[main::post(main::example("1.001612"), "inflight-2"),
 sub { sleep(3.5) },
 main::post(main::example("1.001612"), "inflight-2"),
 main::post(main::example("1.001612"), "inflight-2")]
--- error_code eval
[409, 201, 201]
--- post_init
my @r = responses();
is($r[1]{body}, $r[2]{body}, "the second retry gets the first 201 byte for byte");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "one dossier recorded");
like(redis_cmd('GET', main::idem('inflight-2')), qr/^done:[0-9a-f]{64}:000\.20\.31\.H29-\d{6}-0001:\{/, "the key now holds the answer");
my $ttl = redis_cmd('TTL', main::idem('inflight-2'));
ok($ttl > 86000 && $ttl <= 86400, "the answer is kept for a day (TTL $ttl)");

=== TEST 3: a refused (422) submission leaves the key free for the corrected one
--- requests eval
[main::post('{"procedure":"1.001612","applicant":{},"form":{},"documents":[],"delivery":"fax"}', "fix-me"),
 main::post(main::example("1.001612"), "fix-me")]
--- error_code eval
[422, 201]
--- redis_check
XLEN dvc:inbox => 1

=== TEST 4: Idempotency-Key of 255 bytes is taken, 256 bytes is refused with 400
--- requests eval
[main::post(main::example("1.001612"), "k" x 255),
 main::post(main::example("1.001612"), "k" x 256)]
--- error_code eval
[201, 400]
--- response_body_like eval
[qr/^\{"code":/, qr/^\{"error":"bad_idempotency_key",/]
--- redis_check
XLEN dvc:inbox => 1


=== TEST 5: a retry nginx cannot answer at once (a slow client): the first 201 byte for byte, though the Redis reply it came from is freed
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    # the smallest send buffer on the test's port (accepted sockets inherit
    # it): an answer of 8 KB takes several writes to a slow reader
    server { listen 127.0.0.1:$TEST_NGINX_SERVER_PORT sndbuf=1; server_name sndbuf.invalid; }
--- post_init
my $body = main::big_dossier();
my @first = map { main::send_post($body, "slow-$_") } 1 .. 2;
is($first[$_]{status}, 201, "submission $_: 201") for 0, 1;
ok(length($first[0]{body}) > 8000, "the answer is large (" . length($first[0]{body}) . " bytes)");
is(length($first[1]{body}), length($first[0]{body}), "both answers the same size");
# the client sends its submission again and reads nothing for a while; the
# other key's retry meanwhile gets a reply of the same size from Redis (in
# the old code its memory was where the first answer's rest was read)
my $p = main::post($body, "slow-1");
my $slow = http_request_stalled($p->{request}, more_headers => $p->{more_headers});
sleep(0.5);
my $r = main::send_post($body, "slow-2");
is($r->{status}, 201, "the other retry: 201");
is($r->{body}, $first[1]{body}, "the other retry: its own first answer");
sleep(0.5);
$r = http_response_read($slow);
is($r->{status}, 201, "the slow retry: 201") or diag($r->{error});
is($r->{body}, $first[0]{body}, "the slow retry: the first answer byte for byte");
is($r->{headers}{location}[0], $first[0]{headers}{location}[0], "the same Location");
my ($code) = $first[0]{body} =~ /^\{"code":"([^"]+)"/;
ok(main::waited_to_write(qr/idempotent retry answered with "\Q$code\E"/),
   "nginx had to wait to write the rest (the case under test)");
is(redis_cmd('XLEN', 'dvc:inbox'), 2, "two dossiers recorded, no more");
