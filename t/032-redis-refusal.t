# Redis refusing what the gateway writes, at each step: the answer is 503
# unavailable, nothing is recorded, and the error log says why (Redis's own
# reason), also when the refused command sat inside MULTI and EXEC itself
# says only EXECABORT.  (Under load: t/faults/.)
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;


our $ROOT = "$FindBin::Bin/..";

# today in Vietnam, as the sequence key has it (YYMMDD)
sub vn_day { my @t = gmtime(time + 7 * 3600); sprintf "%02d%02d%02d", $t[5] % 100, $t[4] + 1, $t[3] }
sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

gateway_defaults(json => 1);

run_tests();

__DATA__

=== TEST 1: a command inside MULTI refused (an ACL without HSET): 503, nothing recorded, the log gives the command's reason, not only EXECABORT
--- init
redis_cmd('ACL', 'SETUSER', 'default', '-hset');
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- response_body_like: ^\{"error":"unavailable",
--- response_headers
Retry-After: 1
--- error_log eval
[qr/\[error\] .*dvc: redis discarded the transaction, a command was refused: NOPERM this user has no permissions to run the 'hset' command/,
 qr/\[error\] .*dvc: submission answered 503, nothing recorded: EXECABORT/]
--- post_init
redis_cmd('ACL', 'SETUSER', 'default', '+hset');
is(redis_cmd('XLEN', 'dvc:inbox'), 0, "no inbox entry");
is_deeply(redis_cmd('KEYS', 'dvc:d:*'), [], "no dossier");
like(redis_cmd('GET', 'dvc:seq:000.20.31.H29:' . main::vn_day()), qr/^1$/, "the sequence number was taken (codes skip, never repeat)");

=== TEST 2: the sequence refused (min-replicas-to-write, no replica): 503, nothing recorded, NOREPLICAS logged
--- init
redis_cmd('CONFIG', 'SET', 'min-replicas-to-write', '1');
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 503
--- response_body_like: ^\{"error":"unavailable",
--- error_log eval
[qr/\[error\] .*dvc: submission answered 503, nothing recorded: NOREPLICAS Not enough good replicas to write/]
--- no_error_log
discarded the transaction
--- post_init
redis_cmd('CONFIG', 'SET', 'min-replicas-to-write', '0');
is(redis_cmd('XLEN', 'dvc:inbox'), 0, "no inbox entry");
is_deeply(redis_cmd('KEYS', 'dvc:*'), [], "nothing written at all");

=== TEST 3: Redis accepts writes again: the same dossier is recorded, no reload needed
--- request eval
"POST /dvc/v1/dossiers\n" . main::example("1.001612")
--- error_code: 201
--- post_init
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "one inbox entry");
