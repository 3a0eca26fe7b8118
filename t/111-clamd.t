# Uploads scanned by a real ClamAV daemon (Debian's clamav-daemon) over
# INSTREAM, on a unix socket and on a loopback port.  The machine is
# offline: the test writes clamd's database itself, one signature that
# finds the EICAR test string (Test::DVC::Uploads).  clamd down, clamd too
# slow (SIGSTOP) and clamd refusing the stream are each their own answer.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Uploads;
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(time);
use utf8;

clamd_start();
$ENV{TEST_NGINX_CLAMD_SOCKET} = clamd_socket();
$ENV{TEST_NGINX_CLAMD_PORT} = clamd_port();

gateway_defaults(extra_http => "    dvc_documents \$TEST_NGINX_SERVROOT/documents;\n"
                             . "    dvc_clamd unix:\$TEST_NGINX_CLAMD_SOCKET;\n"
                             . "    dvc_clamd_timeout 2s;\n");

add_block_preprocessor(sub {
    my $block = shift;
    $block->{init} = ["main::clear_store(); main::clamd_up();"]
        unless exists $block->{init};
});

# clamd running and answering (a block may have stopped or paused it)
sub clamd_up {
    kill 'CONT', clamd_pid() if clamd_pid();
    clamd_start() unless clamd_pid() && kill(0, clamd_pid());
}

sub http_with {
    my ($clamd, $more) = @_;
    return "    dvc_schemas \$TEST_NGINX_SCHEMAS;\n"
         . "    dvc_calendar \$TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;\n"
         . "    dvc_signing_key \$TEST_NGINX_KEY;\n"
         . "    dvc_documents \$TEST_NGINX_SERVROOT/documents;\n"
         . "    dvc_clamd $clamd;\n" . ($more // '');
}

run_tests();

__DATA__

=== TEST 1: a clean PDF is scanned, stored and recorded as clean
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("c1", 200000);
my $r = upload("application/pdf", $pdf);
is($r->{status}, 201, "201") or diag($r->{body});
my $sha = sha256_hex($pdf);
is($r->{json}{sha256}, $sha, "its hash");
ok(-f store_dir() . "/" . substr($sha, 0, 2) . "/$sha", "stored");
is(redis_cmd('HGET', "dvc:up:$sha", 'scan'), 'clean', "Redis: scan clean");
--- error_log eval
[qr/dvc: upload [0-9a-f]{64} stored: 200000 bytes, application\/pdf, scan clean/]
--- no_error_log
[error]



=== TEST 2: the EICAR test string: 422 document_infected, nothing stored, a [warn] with the signature
--- request
GET /dvc/v1/keys
--- post_init
my $r = upload("application/pdf", eicar_pdf());
is($r->{status}, 422, "422");
is($r->{json}{error}, "document_infected", "document_infected");
like($r->{json}{message}{vi}, qr/mã độc/, "in Vietnamese");
is(join(',', store_files()), '', "nothing in the store");
is(scalar @{ redis_cmd('KEYS', 'dvc:up:*') }, 0, "no record");
is(scalar(temp_files()), 0, "no temp file");
--- error_log
dvc: upload refused: document_infected ("DVC.Test.EICAR.UNOFFICIAL"
--- no_error_log
[error]



=== TEST 3: over TCP (host:port), a 3 MB image, in many INSTREAM chunks
--- config
    client_max_body_size 16m;
    location /dvc/ { dvc_api; }
--- http_config eval
main::http_with("127.0.0.1:\$TEST_NGINX_CLAMD_PORT")
--- request
GET /dvc/v1/keys
--- post_init
my $png = png_file("c3") . ("\0" x (3 * 1024 * 1024));
my $r = upload("image/png", $png, timeout => 20);
is($r->{status}, 201, "201") or diag($r->{body});
is($r->{json}{size}, length $png, "whole");
my $e = eicar_pdf();
$e =~ s/^%PDF-1.4/%PDF-1.5/;
$r = upload("application/pdf", ("%PDF-1.4\n" . ("y" x 500000) . substr($e, 9)));
is($r->{json}{error}, "document_infected", "EICAR after 500 KB, over TCP: found");
--- no_error_log
[error]



=== TEST 4: clamd down: 503, nothing stored (fail closed)
--- request
GET /dvc/v1/keys
--- post_init
clamd_stop();
my $r = upload("application/pdf", pdf_file("c4"));
is($r->{status}, 503, "503");
is($r->{json}{error}, "unavailable", "unavailable");
is(join(',', store_files()), '', "nothing stored");
is(scalar @{ redis_cmd('KEYS', 'dvc:up:*') }, 0, "no record");
--- error_log
dvc: upload answered 503, nothing stored: clamd



=== TEST 5: clamd down over TCP (connection refused): 503 at once
--- http_config eval
main::http_with("127.0.0.1:\$TEST_NGINX_CLAMD_PORT")
--- request
GET /dvc/v1/keys
--- post_init
clamd_stop();
my $t0 = time;
my $r = upload("application/pdf", pdf_file("c5"));
is($r->{status}, 503, "503");
ok(time - $t0 < 1.5, "at once");
--- error_log
dvc: upload answered 503, nothing stored: clamd



=== TEST 6: clamd too slow (stopped with SIGSTOP): 503 after dvc_clamd_timeout, the worker serves others meanwhile
--- http_config eval
main::http_with("unix:\$TEST_NGINX_CLAMD_SOCKET", "    dvc_clamd_timeout 2500ms;\n")
--- request
GET /dvc/v1/keys
--- post_init
kill 'STOP', clamd_pid();
my $c = http_request_stalled("GET /dvc/v1/keys");
my $pdf = pdf_file("c6");
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die;
my $t0 = time;
print $s "POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
       . "Content-Type: application/pdf\r\nContent-Length: " . length($pdf) . "\r\n\r\n$pdf";
sleep 0.3;
my $k = http_request("GET /dvc/v1/keys");
is($k->{status}, 200, "another request is answered while the scan waits");
ok(time - $t0 < 2, "promptly, before the scan times out");
my $a = do { local $/; <$s> };
my $dt = time - $t0;
like($a, qr{^HTTP/1.1 503}, "503");
ok($dt >= 2.4 && $dt < 5, "after the timeout ($dt s)");
kill 'CONT', clamd_pid();
is(join(',', store_files()), '', "nothing stored");
http_response_read($c);
--- error_log
dvc: upload answered 503, nothing stored: clamd "unix:
(timed out)



=== TEST 7: dvc_clamd_fail open: clamd down, stored unscanned, a [warn] for each upload; the inbox entry says so
--- http_config eval
main::http_with("unix:\$TEST_NGINX_CLAMD_SOCKET", "    dvc_clamd_fail open;\n")
--- request
GET /dvc/v1/keys
--- post_init
clamd_stop();
my @pdf;
for my $i (1 .. 2) {
    my $pdf = pdf_file("c7-$i");
    push @pdf, $pdf;
    my $r = upload("application/pdf", $pdf);
    is($r->{status}, 201, "upload $i: 201");
    is(redis_cmd('HGET', "dvc:up:" . sha256_hex($pdf), 'scan'), 'unscanned', "upload $i: recorded unscanned");
}
my @w = block_error_log() =~ /stored UNSCANNED, "dvc_clamd_fail open"/g;
is(scalar @w, 2, "one [warn] per upload");
# clamd back: a JPEG scanned clean; a dossier lists it and an unscanned PDF
main::clamd_up();
my $jpg = jpeg_file("c7");
is(upload("image/jpeg", $jpg)->{status}, 201, "a JPEG with clamd back: 201");
is(redis_cmd('HGET', "dvc:up:" . sha256_hex($jpg), 'scan'), 'clean', "recorded clean");
my $body = dossier_with(
    { kind => "birth_medical_certificate", type => "application/pdf", body => $pdf[0] },
    { kind => "parents_marriage_certificate", type => "image/jpeg", body => $jpg });
my $s = http_request("POST /dvc/v1/dossiers\n$body", more_headers => "Content-Type: application/json");
is($s->{status}, 201, "the dossier: 201") or diag($s->{body});
my $code = eval { $UJ->decode($s->{body})->{code} } // '';
my @inbox = map { { @{ $_->[1] } } } @{ redis_cmd('XRANGE', 'dvc:inbox', '-', '+') };
my ($e) = grep { ($_->{code} // '') eq $code } @inbox;
ok($e, "its inbox entry");
my $docs = $e ? $UJ->decode($e->{documents}) : [];
is_deeply([ map { [$_->{sha256}, $_->{scan}] } @$docs ],
          [ [sha256_hex($pdf[0]), "unscanned"], [sha256_hex($jpg), "clean"] ],
          "the back-end's inbox entry says which file clamd never saw");
is(redis_cmd('HGET', "dvc:up:" . sha256_hex($pdf[0]), 'scan'), 'unscanned', "the upload held by the dossier still says unscanned");
is(redis_cmd('HGET', "dvc:up:" . sha256_hex($pdf[0]), 'dossier'), $code, "and names it");
--- no_error_log
[alert]



=== TEST 8: fail open still refuses what clamd finds
--- http_config eval
main::http_with("unix:\$TEST_NGINX_CLAMD_SOCKET", "    dvc_clamd_fail open;\n")
--- request
GET /dvc/v1/keys
--- post_init
my $r = upload("application/pdf", eicar_pdf());
is($r->{json}{error}, "document_infected", "infected: 422");
--- no_error_log
[error]



=== TEST 9: a file over clamd's StreamMaxLength: clamd's ERROR is 503, never "clean"
--- config
    client_max_body_size 16m;
    location /dvc/ { dvc_api; }
--- http_config eval
main::http_with("unix:\$TEST_NGINX_CLAMD_SOCKET")
--- init
main::clear_store();
main::clamd_stop();
main::clamd_start(stream_max => '1M');
--- request
GET /dvc/v1/keys
--- post_init
my $r = upload("application/pdf", pdf_file("c9", 3 * 1024 * 1024), timeout => 20);
is($r->{status}, 503, "503");
is(join(',', store_files()), '', "nothing stored");
clamd_stop();
clamd_start();
--- error_log
INSTREAM size limit exceeded



=== TEST 10: a bad dvc_clamd fails nginx -t; dvc_clamd needs dvc_documents
--- http_config
    dvc_clamd "unix:";
--- must_die
--- error_log
dvc: "dvc_clamd" "unix:"



=== TEST 11: dvc_clamd without dvc_documents
--- http_config
    dvc_clamd 127.0.0.1:3310;
--- must_die
--- error_log
dvc: "dvc_clamd" needs "dvc_documents"
