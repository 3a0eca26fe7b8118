# The API over TLS and HTTP/2, configured as docs/operations.md's production
# server block: examples/tls/tls.conf and examples/rate-limits/ loaded as
# they are, a certificate made for the run, curl --http2 as the client (a
# submission with its uploads (one of 9.5 MB), a lookup, many streams on
# one connection, bodies over the limits).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Uploads;
use JSON::PP;
use IO::Socket::INET;
use Digest::SHA qw(sha256_hex);
use File::Temp ();

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;
our $TLS = File::Temp::tempdir(CLEANUP => 1);

system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
     . "-subj /CN=localhost -addext subjectAltName=DNS:localhost -days 2 "
     . "-keyout $TLS/key.pem -out $TLS/cert.pem 2>/dev/null") == 0 or die "openssl req failed\n";
{
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die;
    $ENV{TEST_NGINX_TLS_PORT} = $s->sockport;
}
$ENV{TEST_NGINX_TLS_DIR} = $TLS;
our $PORT = $ENV{TEST_NGINX_TLS_PORT};
our $BASE = "https://localhost:$PORT";

# the production server block of docs/operations.md, with this run's
# certificate and port
gateway_defaults(extra_http => <<'HTTP');
    dvc_documents $TEST_NGINX_SERVROOT/documents;
    include $TEST_NGINX_ROOT/examples/rate-limits/http.conf;
    server {
        listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl http2;
        server_name localhost;
        ssl_certificate     $TEST_NGINX_TLS_DIR/cert.pem;
        ssl_certificate_key $TEST_NGINX_TLS_DIR/key.pem;
        include $TEST_NGINX_ROOT/examples/tls/tls.conf;
        include $TEST_NGINX_ROOT/examples/rate-limits/server.conf;
    }
HTTP

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b }

# curl over TLS: (status, http version, body, headers, stderr)
sub curl {
    my (@args) = @_;
    my $out = servroot() . "/curl.out";
    my @cmd = ('curl', '-sS', '--cacert', "$TLS/cert.pem", '--resolve', "localhost:$PORT:127.0.0.1",
               '-o', $out, '-D', "$out.h", '-w', '%{http_code} %{http_version}', @args);
    open my $p, '-|', join(' ', map { "'$_'" } @cmd) . " 2>$out.err" or die;
    my $w = <$p> // ''; close $p;
    my ($status, $ver) = split ' ', $w;
    local $/;
    my %f = map { open my $f, '<', $_ or return ''; ($_ => scalar <$f>) } ($out, "$out.h", "$out.err");
    return ($status // '', $ver // '', $f{$out} // '', $f{"$out.h"} // '', $f{"$out.err"} // '');
}

run_tests();

__DATA__

=== TEST 1: a citizen's whole visit over HTTP/2: two uploads (one of 9.5 MB), the dossier listing them, its lookup
--- request
GET /dvc/v1/keys
--- timeout: 60
--- post_init
my %files = (pdf => [pdf_file("h2-cert", 9_500_000), "application/pdf"],
             jpg => [jpeg_file("h2-marriage"), "image/jpeg"]);
my %up;
for my $k (sort keys %files) {
    my ($bytes, $type) = @{ $files{$k} };
    open my $f, '>', servroot() . "/$k" or die; print $f $bytes; close $f;
    my ($st, $ver, $body) = main::curl('--http2', '-H', "Content-Type: $type",
        '--data-binary', '@' . servroot() . "/$k", "$main::BASE/dvc/v1/uploads");
    is("$st $ver", "201 2", "upload of " . length($bytes) . " bytes ($type) over HTTP/2: 201") or diag($body);
    $up{$k} = sha256_hex($bytes);
    is((eval { $main::J->decode($body) } // {})->{sha256}, $up{$k}, "its SHA-256");
    is(-s (store_dir() . "/" . substr($up{$k}, 0, 2) . "/$up{$k}"), length($bytes), "stored whole");
}
my $d = $main::J->decode(main::example("1.001193"));
@{ $d->{documents}[0] }{qw(size sha256)} = (length($files{pdf}[0]), $up{pdf});
@{ $d->{documents}[1] }{qw(size sha256)} = (length($files{jpg}[0]), $up{jpg});
open my $f, '>', servroot() . "/d.json" or die; print $f $main::J->encode($d); close $f;
my ($st, $ver, $body, $h) = main::curl('--http2', '-H', 'Content-Type: application/json',
    '--data-binary', '@' . servroot() . '/d.json', "$main::BASE/dvc/v1/dossiers");
is($st, 201, "the dossier submitted over TLS: 201") or diag($body);
is($ver, 2, "over HTTP/2");
like($h, qr/^strict-transport-security: max-age=63072000\r$/mi, "HSTS from tls.conf");
my $a = eval { $main::J->decode($body) } // {};
like($a->{code} // '', qr/^000\.05\.22\.H29-\d{6}-0001$/, "a code");
is(redis_cmd('HGET', "dvc:d:$a->{code}", 'status'), 2, "recorded in Redis");
($st, $ver, $body) = main::curl('--http2', '-H', "X-DVC-Lookup-Token: $a->{lookup_token}",
    "$main::BASE/dvc/v1/dossiers/$a->{code}");
is("$st $ver", "200 2", "looked up over HTTP/2");
is((eval { $main::J->decode($body) } // {})->{status}, "accepted", "its status");
($st, $ver) = main::curl('--http1.1', "$main::BASE/dvc/v1/keys");
is("$st $ver", "200 1.1", "HTTP/1.1 over TLS too");

=== TEST 2: TLS 1.2 and 1.3 both negotiate; plain HTTP on the TLS port does not
--- request
GET /dvc/v1/keys
--- post_init
my ($st, $ver, $b, $h, $err) = main::curl('-v', '--http2', '--tlsv1.2', '--tls-max', '1.2', "$main::BASE/dvc/v1/keys");
is($st, 200, "TLS 1.2: 200");
like($err, qr/SSL connection using TLSv1\.2 \/ ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)\n/, "TLS 1.2 with an ECDHE AEAD cipher");
($st, $ver, $b, $h, $err) = main::curl('-v', '--http2', '--tlsv1.3', "$main::BASE/dvc/v1/keys");
is($st, 200, "TLS 1.3: 200");
like($err, qr/SSL connection using TLSv1\.3/, "TLS 1.3");
($st) = main::curl("http://localhost:$main::PORT/dvc/v1/keys");
is($st, 400, "plain HTTP to the TLS port: nginx's 400");

=== TEST 3: 20 lookups multiplexed on one HTTP/2 connection
--- request
GET /dvc/v1/keys
--- post_init
my @urls = map { sprintf("$main::BASE/dvc/v1/dossiers/000.00.10.H47-261121-%04d", $_) } 1 .. 20;
my @cmd = ('curl', '-sS', '--no-progress-meter', '--http2', '--parallel', '--parallel-max', 20,
           '--cacert', "$main::TLS/cert.pem", '--resolve', "localhost:$main::PORT:127.0.0.1",
           '-H', 'X-DVC-Lookup-Token: nope',
           '-w', '%{http_code} %{http_version} %{num_connects}\n', map { ('-o', '/dev/null', $_) } @urls);
my $out = join '', `@{[ join ' ', map { "'$_'" } @cmd ]} 2>&1`;
my @l = split /\n/, $out;
is(scalar @l, 20, "20 answers") or diag($out);
is(scalar(grep { /^404 2 / } @l), 20, "each a 404 over HTTP/2 (unknown codes, same answer)");
my $connects = 0; $connects += (split ' ')[2] for @l;
ok($connects <= 2, "on one connection (connects: $connects)");

=== TEST 4: over the uploads' 10 MiB and the API's 256 KB limits: 413 in JSON over HTTP/2
--- request
GET /dvc/v1/keys
--- timeout: 60
--- post_init
open my $f, '>', servroot() . "/huge.pdf" or die; print $f pdf_file("h2-huge", 11 * 1024 * 1024); close $f;
my ($st, $ver, $body) = main::curl('--http2', '-H', 'Content-Type: application/pdf',
    '--data-binary', '@' . servroot() . '/huge.pdf', "$main::BASE/dvc/v1/uploads");
is("$st $ver", "413 2", "an 11 MiB upload: 413 over HTTP/2");
is((eval { $main::J->decode($body) } // {})->{error}, "body_too_large", "in JSON");
open $f, '>', servroot() . "/d.json" or die; print $f "{" . ("\"x\":1," x 50000) . "\"y\":1}"; close $f;
($st, $ver, $body) = main::curl('--http2', '-H', 'Content-Type: application/json',
    '--data-binary', '@' . servroot() . '/d.json', "$main::BASE/dvc/v1/dossiers");
is("$st $ver", "413 2", "a 300 KB dossier: 413, the 256k of /dvc/ still holds there");
is((eval { $main::J->decode($body) } // {})->{error}, "body_too_large", "in JSON too");
--- error_log
client intended to send too large body
