# The harness itself, against plain nginx and Redis (no ngx_dvc module): it
# must pass before anything else is believed.  The blocks with
# `expect_failures` run a deliberately failing block inside Test2's intercept
# and assert that the harness reported exactly those failures, so its failure
# detection (status, body, headers, Redis, logs, crashes) is proven too.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->use_default_config && !defined $block->config) {
        $block->set_value(config => "    location / { return 418 \"default\\n\"; }\n");
    }
});

run_tests();

__DATA__

=== TEST 1: return 200 with a body, headers set and absent
--- no_dvc_module
--- config
    location = /hello {
        add_header X-Test "one two" always;
        return 200 "hello, world\n";
    }
--- request
GET /hello
--- error_code: 200
--- response_body
hello, world
--- response_headers
X-Test: one two
Content-Length: 13
!X-Absent
--- response_headers_like
Server: ^nginx
Content-Type: ^text/plain
--- no_error_log
[error]
[warn]



=== TEST 2: unknown location answers nginx's 404 page
--- no_dvc_module
--- config
    location = /hello { return 200 "hello\n"; }
--- request
GET /nothing-here
--- error_code: 404
--- response_body_like: <title>404 Not Found</title>
--- error_log
open() "
--- no_error_log
[alert]



=== TEST 3: request body is sent with Content-Length and echoed back by nginx
--- no_dvc_module
--- config
    location = /echo {
        client_body_buffer_size 64k;
        return 200 "len=$content_length type=$content_type\n";
    }
--- more_headers
Content-Type: application/json
--- request
POST /echo
{"a":1}
--- response_body
len=7 type=application/json



=== TEST 4: raw_request with an odd URI and HTTP/1.0
--- no_dvc_module
--- config
    location / { return 200 "uri=$uri\n"; }
--- raw_request eval
"GET /a/%2e%2e/b//c HTTP/1.0\r\nHost: x\r\n\r\n"
--- error_code: 200
--- response_body
uri=/b/c



=== TEST 5: malformed HTTP gets nginx's 400
--- no_dvc_module
--- config
    location / { return 200 "ok\n"; }
--- raw_request eval
"GARBAGE\r\n\r\n"
--- error_code: 400
--- error_log
client sent invalid method



=== TEST 6: several requests in one block, chunked response, per-request expectations
--- no_dvc_module
--- config
    location = /a { return 200 "A\n"; }
    location = /b { return 404; }
    location = /chunked {
        sub_filter_types text/plain;
        sub_filter_once off;
        sub_filter a b;
        return 200 "aaa\n";
    }
--- request eval
["GET /a", "GET /b", "HEAD /a", "GET /chunked"]
--- error_code eval
[200, 404, 200, 200]
--- response_body eval
["A\n", undef, "", "bbb\n"]
--- response_body_like eval
[undef, "404 Not Found", undef, undef]
--- response_headers eval
["Content-Length: 2", "Content-Type: text/html", "", "Transfer-Encoding: chunked\n!Content-Length"]



=== TEST 7: pipelined requests on one keep-alive connection
--- no_dvc_module
--- config
    location = /a { return 200 "A\n"; }
    location = /b { return 200 "BB\n"; }
--- pipelined_requests eval
["GET /a", "GET /b", "GET /a"]
--- error_code eval
[200, 200, 200]
--- response_body eval
["A\n", "BB\n", "A\n"]



=== TEST 8: Redis seeding, [% perl %] substitution and redis_check
--- no_dvc_module
--- config
    location = /a { return 204; }
--- redis
HSET dvc:d:X code X status 1 token_sha256 [% sha256_hex("tok-1") %]
SET "key with spaces" "a \"quoted\" value"
RPUSH list a b c
--- request
GET /a
--- error_code: 204
--- redis_check
HGET dvc:d:X status => 1
HGET dvc:d:X token_sha256 => [% sha256_hex("tok-1") %]
HGET dvc:d:X missing => (nil)
GET "key with spaces" => "a \"quoted\" value"
LRANGE list 0 -1 => [a, b, c]
TTL list => -1
EXISTS dvc:seq:none => 0
HGET dvc:d:X token_sha256 =~ ^[0-9a-f]{64}$



=== TEST 9: Redis is flushed between blocks; redis_check as Perl code
--- no_dvc_module
--- config
    location = /a { return 204; }
--- request
GET /a
--- error_code: 204
--- redis_check perl
is(redis_cmd('EXISTS', 'dvc:d:X'), 0, 'previous block\'s keys are gone');
is(redis_cmd('DBSIZE'), 0, 'database empty');



=== TEST 10: redis_stop / redis_start / redis_pause / redis_resume / redis_restart
--- no_dvc_module
--- config
    location = /a { return 204; }
--- redis
SET k v
--- init
redis_stop();
die "still running\n" if redis_running();
die "connect should fail\n" if eval { redis_cmd('PING'); 1 };
redis_start();
die "restarted redis keeps no data\n" if defined redis_cmd('GET', 'k');
redis_cmd('SET', 'k2', 'v2');
redis_pause();
my $t0 = Time::HiRes::time();
die "a paused redis must not answer\n" if eval { redis_cmd('PING'); 1 };
redis_resume();
die "resumed redis answers\n" unless redis_cmd('PING') eq 'PONG';
redis_restart();
--- request
GET /a
--- error_code: 204
--- redis_check
GET k2 => (nil)
PING => PONG



=== TEST 11: a paused Redis left by a block is resumed for the next one
--- no_dvc_module
--- config
    location = /a { return 204; }
--- init
redis_pause();
--- request
GET /a
--- error_code: 204



=== TEST 12: ... and this block finds Redis answering
--- no_dvc_module
--- config
    location = /a { return 204; }
--- redis
SET alive yes
--- request
GET /a
--- error_code: 204
--- redis_check
GET alive => yes



=== TEST 13: must_die: a bad directive fails nginx -t, its stderr is checked
--- no_dvc_module
--- config
    location / { no_such_directive on; }
--- must_die
--- error_log
unknown directive "no_such_directive"
[emerg]



=== TEST 14: variables are substituted in config, request and body checks
--- no_dvc_module
--- config
    location = /vars {
        return 200 "port=$server_port root=$TEST_NGINX_SERVROOT redis=$TEST_NGINX_REDIS_PORT\n";
    }
--- request
GET /vars
--- response_body
port=$TEST_NGINX_SERVER_PORT root=$TEST_NGINX_SERVROOT redis=$TEST_NGINX_REDIS_PORT



=== TEST 15: worker count, nginx_reload and post_init
--- no_dvc_module
--- workers: 2
--- config
    location = /pid { return 200 "$pid\n"; }
--- init
my @w = nginx_worker_pids();
die "expected 2 workers, got @w\n" unless @w == 2;
$main::old_workers = join ',', @w;
nginx_reload();
--- request
GET /pid
--- response_body_like: ^\d+$
--- post_init
my @w = nginx_worker_pids();
is(scalar @w, 2, 'two workers after reload');
my %old = map { $_ => 1 } split /,/, $main::old_workers;
ok(!grep({ $old{$_} } @w), 'reload replaced the workers');
my ($r) = responses();
chomp(my $pid = $r->{body});
ok(!$old{$pid}, 'the request was served by a new worker');



=== TEST 16: response time bound and a client timeout on a request nginx never answers
--- no_dvc_module
--- config
    location = /fast { return 204; }
--- request eval
["GET /fast", { raw_request => "GET /fast HTTP/1.1\r\nHost: x\r\n" , timeout => 0.5 }]
--- error_code eval
[204, ""]
--- response_time_max eval
[1.0, 1.5]



=== TEST 17: http_request from Perl, with code between requests
--- no_dvc_module
--- config
    location = /a { return 200 "a\n"; }
--- request eval
["GET /a", sub { $main::between = http_request("GET /a")->{body} }, "GET /a"]
--- response_body eval
["a\n", "a\n"]
--- post_init
is($main::between, "a\n", 'code ran between the two requests');
is(scalar(responses()), 2, 'two block responses recorded');



=== TEST 17b: error_code_like and a block preprocessor's default config
--- no_dvc_module
--- use_default_config
--- request eval
["GET /x", "GET /y"]
--- error_code_like eval
["418|419", qr/^4\d\d$/]
--- response_body
default



=== TEST 17c: huge and binary request bodies; nginx refusing a body it will not read
--- no_dvc_module
--- config
    client_max_body_size 8m;
    location = /small { client_max_body_size 1k; return 200 "never\n"; }
    location = /big {
        client_body_buffer_size 16k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/sink;
    }
    location = /sink { return 200 "len=$content_length\n"; }
--- request eval
[ "POST /small\n" . ("x" x (4 * 1024 * 1024)),
  "POST /big\n" . join('', map { chr($_ % 256) } 0 .. 3 * 1024 * 1024 - 1) ]
--- error_code eval
[ 413, 200 ]
--- response_body eval
[ undef, "len=3145728\n" ]
--- error_log
client intended to send too large body
a client request body is buffered to a temporary file



=== TEST 18: the harness detects a wrong status, body, header and a forbidden log line
--- no_dvc_module
--- config
    location = /a { return 200 "A\n"; }
--- request
GET /a
--- error_code: 201
--- response_body
B
--- response_headers
Content-Length: 99
--- no_error_log
http finalize request
--- expect_failures
status code
response body
header Content-Length
no_error_log: http finalize request
--- expect_diag_like
error log of this block



=== TEST 19: the harness catches a crashed worker ([alert] ... exited on signal)
--- no_dvc_module
--- config
    location = /a { return 200 "A\n"; }
--- init
my ($w) = nginx_worker_pids();
kill 'SEGV', $w;
Time::HiRes::sleep(0.3);
--- request
GET /a
--- error_code: 200
--- expect_failures
error log clean
--- expect_diag_like eval
# with a sanitizer preloaded (make test-integration-asan) ASan reports the SEGV
[ qr/exited on signal 11|AddressSanitizer: SEGV/ ]



=== TEST 19b: the harness catches a report a sanitizer wrote to its own log file
(ASAN_OPTIONS/UBSAN_OPTIONS log_path=servroot/logs/sanitizer, set for nginx)
--- no_dvc_module
--- config
    location = /a { return 200 "A\n"; }
--- init
my ($w) = nginx_worker_pids();
open my $f, '>', servroot() . "/logs/sanitizer.$w" or die;
print $f "==$w==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010\n";
close $f;
--- request
GET /a
--- error_code: 200
--- expect_failures
error log clean
--- expect_diag_like
AddressSanitizer/UBSan report in logs/sanitizer.



=== TEST 19c: the harness catches personal data of the test dossiers in the error log
(nginx logs the path of a missing file: here a phone number of examples/dossiers)
--- no_dvc_module
--- config
    location / { root html; }
--- request
GET /0983456712
--- error_code: 404
--- expect_failures
no personal data or secret in the error log
--- expect_diag_like
"0983456712" in:



=== TEST 20: the harness catches an [emerg] during start-up (not must_die)
--- no_dvc_module
--- config
    location / { no_such_directive on; }
--- request
GET /
--- expect_failures
nginx started
error log clean



=== TEST 21: the harness catches a must_die config that nginx accepts
--- no_dvc_module
--- config
    location / { return 204; }
--- must_die
--- expect_failures
nginx refused to start



=== TEST 22: the harness catches a wrong redis_check value and a missing log line
--- no_dvc_module
--- config
    location = /a { return 204; }
--- redis
SET k v
--- request
GET /a
--- error_code: 204
--- redis_check
GET k => w
--- error_log
this line is never logged
--- expect_failures
redis: GET k
error_log has: this line is never logged
