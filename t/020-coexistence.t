# Debian's nchan bundles its own hiredis and exports its symbols; nginx loads
# modules with RTLD_GLOBAL, so whichever loads first would supply hiredis to
# the other.  ngx_dvc links hiredis and yajl statically with their symbols
# private: here nchan (talking to Redis through its hiredis) and the lua
# module live in one worker with ngx_dvc, loaded in both orders.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;

run_tests();

__DATA__

=== TEST 1: our module exports no hiredis or yajl symbol
--- no_dvc_module
--- config
    location / { return 200 "ok\n"; }
--- request
GET /
--- response_body
ok
--- post_init
my $so = $ENV{TEST_NGINX_MODULE} || "$FindBin::Bin/../build/ngx_http_dvc_module.so";
my @syms = split /\n/, `nm -D --defined-only $so`;
# the check must have read the real table: the module's own symbol is there
ok((grep { /\bngx_http_dvc_module$/ } @syms), "nm read $so");
my @leaked = grep { /\b(redis|yajl|sds|dict)\w*$/i } @syms;
is(scalar(@leaked), 0, "no hiredis/yajl symbol exported") or diag(join "\n", @leaked);



=== TEST 2: nchan and lua loaded first, ngx_dvc last
--- no_dvc_module
--- main_config
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
load_module $TEST_NGINX_MODULE;
--- http_config
    dvc_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    nchan_redis_url "redis://127.0.0.1:$TEST_NGINX_REDIS_PORT";
--- config
    location /dvc/ { dvc_api; }
    location = /lua { content_by_lua_block { ngx.say("lua ", 6 * 7) } }
    location ~ ^/pub/(\w+)$ {
        nchan_publisher;
        nchan_channel_id $1;
        nchan_use_redis on;
    }
--- redis
HSET dvc:d:000.00.10.H47-261121-0001 code 000.00.10.H47-261121-0001 status 4 token_sha256 [% sha256_hex("tok-1") %] history "[]"
--- requests eval
[
  "GET /dvc/v1/dossiers/000.00.10.H47-261121-0001?token=tok-1",
  # nchan connects to Redis asynchronously: its first publish may be early
  { request => "POST /pub/news\nhello from nchan", retry_within => 3 },
  "GET /lua",
  "GET /dvc/v1/dossiers/000.00.10.H47-261121-0001?token=wrong",
  "GET /dvc/v1/dossiers/000.00.10.H47-261121-0001?token=tok-1",
]
--- error_code eval
# nchan: 202, the message is stored and no subscriber is waiting
[200, 202, 200, 404, 200]
--- response_body_like eval
[
  qr/"status":"processing","status_number":4/,
  qr/queued messages: 1/,
  qr/^lua 42$/m,
  qr/"error":"not_found"/,
  qr/"status":"processing"/,
]
--- redis_check
# nchan stored its message in Redis through its own hiredis
KEYS *news* =~ \{channel:/news\}:messages



=== TEST 3: ngx_dvc loaded first, nchan and lua after it
--- no_dvc_module
--- main_config
load_module $TEST_NGINX_MODULE;
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
--- http_config
    dvc_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    nchan_redis_url "redis://127.0.0.1:$TEST_NGINX_REDIS_PORT";
--- config
    location /dvc/ { dvc_api; }
    location = /lua { content_by_lua_block { ngx.say("lua ", 6 * 7) } }
    location ~ ^/pub/(\w+)$ {
        nchan_publisher;
        nchan_channel_id $1;
        nchan_use_redis on;
    }
--- redis
HSET dvc:d:000.00.10.H47-261121-0002 code 000.00.10.H47-261121-0002 status 1 token_sha256 [% sha256_hex("tok-2") %] history "[]"
--- requests eval
[
  { request => "POST /pub/alerts\nfirst", retry_within => 3 },
  "GET /dvc/v1/dossiers/000.00.10.H47-261121-0002?token=tok-2",
  "GET /lua",
  "POST /pub/alerts\nsecond",
  "GET /dvc/v1/dossiers/000.00.10.H47-261121-0002?token=tok-2",
]
--- error_code eval
[202, 200, 200, 202, 200]
--- response_body_like eval
[
  qr/queued messages: 1/,
  qr/"status":"submitted","status_number":1/,
  qr/^lua 42$/m,
  qr/queued messages: 2/,
  qr/"status":"submitted"/,
]
