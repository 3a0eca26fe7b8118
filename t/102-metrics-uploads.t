# dvc_metrics for uploads: the uploads endpoint's statuses and clamd's
# verdicts (a real clamd, Test::DVC::Uploads), counted once each.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Uploads;

clamd_start();
$ENV{TEST_NGINX_CLAMD_SOCKET} = clamd_socket();

gateway_defaults(extra_http => "    dvc_documents \$TEST_NGINX_SERVROOT/documents;\n"
                             . "    dvc_clamd unix:\$TEST_NGINX_CLAMD_SOCKET;\n"
                             . "    dvc_clamd_timeout 2s;\n");

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => "    location /dvc/ { dvc_api; }\n"
                              . "    location = /metrics { dvc_metrics; }\n");
});

sub metrics {
    my %m;
    for (split /\n/, http_request("GET /metrics")->{body}) {
        $m{$1} = $2 if /^([^#]\S*) (\S+)$/;
    }
    return \%m;
}

run_tests();

__DATA__

=== TEST 1: clean, infected, clamd down: one scan verdict each, statuses by endpoint
--- request
GET /dvc/v1/keys
--- post_init
is(upload("application/pdf", pdf_file("m1", 50000))->{status}, 201, "a clean PDF: 201");
is(upload("application/pdf", pdf_file("m2", 60000))->{status}, 201, "another: 201");
is(upload("application/pdf", eicar_pdf())->{status}, 422, "EICAR: 422");
clamd_stop();
is(upload("application/pdf", pdf_file("m3", 70000))->{status}, 503, "clamd down: 503");
my $m = main::metrics();
is($m->{'dvc_clamd_scans_total{result="clean"}'}, 2, "2 clean");
is($m->{'dvc_clamd_scans_total{result="infected"}'}, 1, "1 infected");
is($m->{'dvc_clamd_scans_total{result="error"}'}, 1, "1 error");
is($m->{'dvc_http_requests_total{endpoint="uploads",code="201"}'}, 2, "uploads 201");
is($m->{'dvc_http_requests_total{endpoint="uploads",code="422"}'}, 1, "uploads 422");
is($m->{'dvc_http_requests_total{endpoint="uploads",code="503"}'}, 1, "uploads 503");
--- error_log
document_infected
