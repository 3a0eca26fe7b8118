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
# the Redis key the gateway keeps for a client's Idempotency-Key
sub idem { "dvc:idem:" . sha256_hex($_[0]) }

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
[['SET', main::idem('inflight-2'), 'pending:0123456789abcdef01234567', 'PX', '400']]
--- requests eval
[main::post(main::example("1.001612"), "inflight-2"),
 sub { sleep(0.6) },
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
