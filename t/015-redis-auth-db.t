# dvc_redis_password and dvc_redis_db against a real Redis that requires a
# password and holds the dossier in another database.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;

our $CODE = "000.00.10.H47-261121-0007";
our @SEED = ('HSET', "dvc:d:$CODE", 'code', $CODE, 'status', '4', 'history', '[]');

run_tests();

__DATA__

=== TEST 1: dvc_redis_password: AUTH on connect, lookups answered
--- http_config
    dvc_redis_password s3cret;
--- config
    location /dvc/ { dvc_api; }
--- init
redis_session([@main::SEED, 'token_sha256', sha256_hex("tok")], ['CONFIG', 'SET', 'requirepass', 's3cret']);
--- request
GET /dvc/v1/dossiers/000.00.10.H47-261121-0007?token=tok
--- response_body_like: "status":"processing"
--- post_init
like(redis_session(['AUTH', 's3cret'], ['CONFIG', 'SET', 'requirepass', '']), qr/^\+OK\r?\n\+OK/, "password removed again");
--- no_error_log
s3cret



=== TEST 2: a wrong password: 503 JSON and Redis's answer in the log, never the password
--- http_config
    dvc_redis_password wrong-one;
--- config
    location /dvc/ { dvc_api; }
--- init
redis_session(['CONFIG', 'SET', 'requirepass', 's3cret']);
--- request
GET /dvc/v1/dossiers/000.00.10.H47-261121-0007?token=tok
--- error_code: 503
--- response_body_like: "error":"unavailable"
--- response_headers
Retry-After: 1
--- post_init
redis_session(['AUTH', 's3cret'], ['CONFIG', 'SET', 'requirepass', '']);
--- error_log
dvc: redis AUTH failed
--- no_error_log
wrong-one



=== TEST 3: dvc_redis_db: the dossier is read from the database named
--- http_config
    dvc_redis_db 3;
--- config
    location /dvc/ { dvc_api; }
--- init
redis_session(['SELECT', '3'], [@main::SEED, 'token_sha256', sha256_hex("tok")]);
--- request
GET /dvc/v1/dossiers/000.00.10.H47-261121-0007?token=tok
--- response_body_like: "code":"000.00.10.H47-261121-0007"
--- post_init
redis_session(['SELECT', '3'], ['FLUSHDB']);



=== TEST 4: dvc_redis_db: a dossier only in database 0 is not found
--- http_config
    dvc_redis_db 3;
--- config
    location /dvc/ { dvc_api; }
--- init
redis_session([@main::SEED, 'token_sha256', sha256_hex("tok")]);
--- request
GET /dvc/v1/dossiers/000.00.10.H47-261121-0007?token=tok
--- error_code: 404



=== TEST 5: dvc_redis_db outside 0..15 is refused by nginx -t
--- http_config
    dvc_redis_db 16;
--- config
    location /dvc/ { dvc_api; }
--- must_die
--- error_log
value must be between 0 and 15
