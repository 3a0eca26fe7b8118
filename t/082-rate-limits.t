# Rate limits per endpoint with nginx's limit_req, as docs/security.md shows:
# the shipped example (examples/rate-limits/) loaded as it is, a burst sent to
# each endpoint, and the refusals answered in JSON by the module's error pages
# (429 with limit_req_status 429, 503 with nginx's default, 403 from deny),
# with nginx's own "limiting requests" line in the log.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use JSON::PP;

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;
# before gateway_defaults' own, which would give every block a plain /dvc/
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => "    include \$TEST_NGINX_ROOT/examples/rate-limits/server.conf;\n")
        unless defined $block->config;
});
gateway_defaults(extra_http => "    include \$TEST_NGINX_ROOT/examples/rate-limits/http.conf;\n"
                              . "    limit_req_zone \$binary_remote_addr zone=one:1m rate=1r/m;\n");

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

# n requests at once, one after another: the statuses in order
sub burst {
    my ($n, $req, %o) = @_;
    return map { http_request($req, %o) } 1 .. $n;
}

# the module's JSON refusal: status, code, both languages, Retry-After
sub refused_in_json {
    my ($r, $status, $code, $what) = @_;
    is($r->{status}, $status, "$what: $status");
    like($r->{headers}{'content-type'}[0] // '', qr{^application/json}, "$what: JSON");
    my $b = eval { $J->decode($r->{body}) } // {};
    is($b->{error}, $code, "$what: error $code");
    ok($b->{message}{vi} && $b->{message}{en}, "$what: message in Vietnamese and English");
    is($r->{headers}{'retry-after'}[0], 1, "$what: Retry-After") if $status != 403;
}


run_tests();

__DATA__

=== TEST 1: submissions: 1 + a burst of 10 recorded, then 429 in JSON, logged with the zone
--- post_init
my @r = main::burst(14, "POST /dvc/v1/dossiers\n" . main::example("1.001612"),
                    more_headers => "Content-Type: application/json");
my @st = map { $_->{status} } @r;
is(join(' ', @st[0 .. 10]), join(' ', ('201') x 11), "the first 11 recorded");
ok(!grep({ $_ != 201 && $_ != 429 } @st), "then only 201 (a token earned meanwhile) or 429: @st");
my ($cut) = grep { $_->{status} == 429 } @r;
ok($cut, "the burst is cut") and main::refused_in_json($cut, 429, 'too_many_requests', 'a submission over the limit');
is(redis_cmd('XLEN', 'dvc:inbox'), scalar(grep { $_ == 201 } @st), "only the admitted reached the inbox");
--- error_log eval
[qr/\[warn\].*limiting requests, excess: \d+\.\d+ by zone "dvc_submit"/]
--- no_error_log
[error]



=== TEST 2: lookups of unknown codes (a scan) are cut after the burst: 21 uniform 404s, then 429
--- post_init
my @r = main::burst(28, "GET /dvc/v1/dossiers/000.00.10.H47-261121-0001",
                    more_headers => "X-DVC-Lookup-Token: AAAAAAAAAAAAAAAAAAAAAA");
my @st = map { $_->{status} } @r;
is(join(' ', @st[0 .. 20]), join(' ', ('404') x 21), "the burst: 404 each");
ok(!grep({ $_ != 404 && $_ != 429 } @st), "then only 404 or 429 (" . join(' ', @st) . ")");
my ($cut) = grep { $_->{status} == 429 } @r;
ok($cut, "the scan is cut") and main::refused_in_json($cut, 429, 'too_many_requests', 'a lookup over the limit');
my @rc = main::burst(3, "GET /dvc/v1/dossiers/000.00.10.H47-261121-0001/receipt",
                     more_headers => "X-DVC-Lookup-Token: AAAAAAAAAAAAAAAAAAAAAA");
ok(grep({ $_->{status} == 429 } @rc), "the receipt shares the lookup's zone");
--- error_log eval
[qr/limiting requests, excess: \d+\.\d+ by zone "dvc_lookup"/]



=== TEST 3: the citizen's actions: 1 + 5, then 429; other endpoints keep their own budget
--- post_init
my @r = main::burst(8, "POST /dvc/v1/dossiers/000.00.10.H47-261121-0001/withdrawal\n{}",
                    more_headers => "Content-Type: application/json\nX-DVC-Lookup-Token: AAAAAAAAAAAAAAAAAAAAAA");
my @st = map { $_->{status} } @r;
is(join(' ', @st[0 .. 5]), '404 404 404 404 404 404', "the first 6 reach the module (404: no such dossier)");
is($st[6], 429, "the 7th is refused");
main::refused_in_json($r[6], 429, 'too_many_requests', 'the 7th withdrawal');
my $p = http_request("GET /dvc/v1/procedures");
is($p->{status}, 200, "procedures are still served (their own zone)");
my $k = http_request("GET /dvc/v1/keys");
is($k->{status}, 200, "keys are still served");
--- error_log eval
[qr/by zone "dvc_action"/]



=== TEST 4: events: the back-end's address passes the allow list and reaches the module (401 unsigned)
--- request
POST /dvc/v1/dossiers/000.00.10.H47-261121-0001/events
{"id":"e1","type":"accept"}
--- more_headers
Content-Type: application/json
--- error_code_like: ^(?:401|403)$
--- response_body_like: "error":"(?:signature_missing|events_disabled)"



=== TEST 5: nginx's default limit_req_status (503) is JSON too, with Retry-After
--- config
    location /dvc/ {
        dvc_api;
        limit_req zone=one;
        limit_req_status 503;
        limit_req_log_level error;
    }
--- post_init
my @r = main::burst(2, "GET /dvc/v1/procedures");
is($r[0]{status}, 200, "the first is served");
main::refused_in_json($r[1], 503, 'unavailable', 'the second at once');
--- error_log eval
[qr/\[error\].*limiting requests, excess: 1\.\d+ by zone "one"/]



=== TEST 6: deny is a 403 in JSON; a HEAD gets the headers alone
--- config
    location /dvc/ {
        dvc_api;
        location /dvc/v1/stats { deny all; }
    }
--- post_init
my $r = http_request("GET /dvc/v1/stats?from=2026-01-01&to=2026-01-31");
main::refused_in_json($r, 403, 'forbidden', 'a denied address');
my $h = http_request("HEAD /dvc/v1/stats?from=2026-01-01&to=2026-01-31");
is($h->{status}, 403, "HEAD: 403");
is($h->{body}, '', "HEAD: no body");
--- error_log
access forbidden by rule



=== TEST 7: a sysadmin's own error_page for 429 wins over the module's
--- config
    location /dvc/ {
        dvc_api;
        limit_req zone=one;
        error_page 429 = /busy.html;
    }
    location = /busy.html { return 429 "come back later\n"; }
--- post_init
my @r = main::burst(2, "GET /dvc/v1/procedures");
is($r[0]{status}, 200, "the first is served");
is($r[1]{status}, 429, "the second: 429");
is($r[1]{body}, "come back later\n", "the sysadmin's page");
