# POST /dvc/v1/dossiers?dry_run=1: the web portal's final check.  The body
# gets exactly the verdict a submission gets (400/404/422 with the same
# violations) and a valid one 200; nothing reaches Redis: no code, no
# sequence, no inbox entry, no Idempotency-Key reservation.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use JSON::PP;

gateway_defaults(json => 1);
our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub broken { my $d = $J->decode(example("1.001193")); delete $d->{applicant}{full_name}; $d->{delivery} = "pigeon"; $J->encode($d) }

run_tests();

__DATA__

=== TEST 1: a valid dossier: 200, and Redis is left untouched
--- request eval
"POST /dvc/v1/dossiers?dry_run=1\n" . main::example("1.001193")
--- more_headers
Content-Type: application/json
Idempotency-Key: 8d3f0c9e-1111-4e5a-9d2b-dry-run-test
--- error_code: 200
--- response_body: {"dry_run":true,"valid":true,"procedure":"1.001193"}
--- redis_check
DBSIZE => 0
--- error_log
dry run for procedure "1.001193": valid, nothing recorded
--- no_error_log
[error]



=== TEST 2: an invalid dossier: the same 422 as a submission, nothing recorded
--- request eval
["POST /dvc/v1/dossiers?dry_run=1\n" . main::broken(),
 "POST /dvc/v1/dossiers\n" . main::broken()]
--- error_code eval
[422, 422]
--- response_body_like eval
[qr{"path":"/applicant/full_name".*"path":"/delivery"}s, qr{"path":"/applicant/full_name"}]
--- post_init
my @r = responses();
is($r[0]{body}, $r[1]{body}, "dry run and submission give the same violations, byte for byte");
is(redis_cmd('DBSIZE'), 0, "nothing in Redis");
--- no_error_log
[error]



=== TEST 3: the dry run then the real submission: only the second is recorded
--- request eval
["POST /dvc/v1/dossiers?dry_run=1\n" . main::example("1.001612"),
 "POST /dvc/v1/dossiers\n" . main::example("1.001612")]
--- error_code eval
[200, 201]
--- response_body_like eval
[qr{^\{"dry_run":true}, qr{"code":"000\.20\.31\.H29-\d{6}-0001"}]
--- post_init
is(scalar @{ redis_cmd('XRANGE', 'dvc:inbox', '-', '+') }, 1, "one inbox entry: the real one");
--- no_error_log
[error]



=== TEST 4: dry_run given twice, or with another value: 400, body not judged
--- request eval
["POST /dvc/v1/dossiers?dry_run=1&dry_run=1\n" . main::example("1.001193"),
 "POST /dvc/v1/dossiers?dry_run=0\n" . main::example("1.001193"),
 "POST /dvc/v1/dossiers?DRY_RUN=1&dry%5frun=1\n" . main::example("1.001193"),
 "POST /dvc/v1/dossiers?dry_run\n" . main::example("1.001193")]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
[qr{"error":"bad_dry_run"}, qr{"error":"bad_dry_run"}, qr{"error":"bad_dry_run"}, qr{"error":"bad_dry_run"}]
--- redis_check
DBSIZE => 0
--- error_log
a repeated dry_run parameter
--- no_error_log
[error]



=== TEST 5: malformed JSON and an unknown procedure: the submission's answers
--- request eval
["POST /dvc/v1/dossiers?dry_run=1\n" . '{"procedure":"1.001193","applicant":{',
 "POST /dvc/v1/dossiers?dry_run=1\n" . '{"procedure":"9.999999"}']
--- error_code eval
[400, 404]
--- response_body_like eval
[qr{"error":"json_incomplete"}, qr{"error":"unknown_procedure"}]
--- redis_check
DBSIZE => 0
--- no_error_log
[error]



=== TEST 6: with a document store, a listed file never uploaded: the same 422
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_documents $TEST_NGINX_SERVROOT/documents;
--- request eval
["POST /dvc/v1/dossiers?dry_run=1\n" . main::example("1.001193"),
 "POST /dvc/v1/dossiers\n" . main::example("1.001193")]
--- error_code eval
[422, 422]
--- response_body_like eval
[qr{"path":"/documents/0/sha256"}, qr{"path":"/documents/0/sha256"}]
--- post_init
my @r = responses();
is($r[0]{body}, $r[1]{body}, "the dry run checks the uploads as the submission does");
is(redis_cmd('DBSIZE'), 0, "nothing in Redis");
--- no_error_log
[error]
