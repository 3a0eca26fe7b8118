# Appointment times end to end: nginx runs under Debian's libfaketime at a
# chosen instant, a citizen submits a birth registration (accepted at once,
# 2 office hours, cut-off 15:00) and the answer, the stored dossier and the
# signed receipt carry the due time the shipped calendar gives.
use FindBin;
BEGIN {
    # preloaded into nginx only; workers are forked and keep it
    $ENV{TEST_NGINX_PRELOAD} = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
}
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use File::Temp qw(tempdir);

our $ROOT = "$FindBin::Bin/..";
my $keys = tempdir(CLEANUP => 1);
system("$ROOT/build/dvc", "keygen", "--out", "$keys/k1.pem") == 0 or die;
$ENV{TEST_NGINX_KEY} = "$keys/k1.pem";

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

add_block_preprocessor(sub {
    my $block = shift;
    # the fake clock: "@YYYY-MM-DD hh:mm:ss" in UTC, then running
    $ENV{TZ} = 'UTC';
    $ENV{FAKETIME} = '@' . $block->faketime if defined $block->faketime;
    $ENV{FAKETIME_NO_CACHE} = 1;
    $block->set_value(main_config => "env FAKETIME;\nenv FAKETIME_NO_CACHE;\n");
    $block->set_value(http_config => <<'CONF');
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
CONF
    $block->set_value(config => "    location /dvc/ { dvc_api; }\n");
    $block->set_value(more_headers => "Content-Type: application/json\n");
    $block->set_value(request => "POST /dvc/v1/dossiers\n" . main::example("1.001193"));
    $block->set_value(error_code => 201);
});

run_tests();

__DATA__

=== TEST 1: Friday 16:59 is past the 15:00 cut-off: counting starts Monday 07:30
--- faketime: 2026-11-20 09:59:10
--- response_body_like: "submitted_at":"2026-11-20T16:59:\d\d\+07:00".*"due_at":"2026-11-23T09:30:00\+07:00"



=== TEST 2: after the 15:00 cut-off on the last day before Tết: counting starts after the holiday
--- faketime: 2026-02-13 08:30:10
--- response_body_like: "submitted_at":"2026-02-13T15:30:\d\d\+07:00".*"due_at":"2026-02-23T09:30:00\+07:00"



=== TEST 3: a swapped Saturday (22/8/2026) is a working day
--- faketime: 2026-08-22 02:00:10
--- response_body_like: "submitted_at":"2026-08-22T09:00:\d\d\+07:00".*"due_at":"2026-08-22T11:00:00\+07:00"



=== TEST 4: Friday after the cut-off; the bridge Monday 31/8 and 1-2/9 are off: Thursday 3/9
--- faketime: 2026-08-28 09:30:10
--- response_body_like: "submitted_at":"2026-08-28T16:30:\d\d\+07:00".*"due_at":"2026-09-03T09:30:00\+07:00"



=== TEST 5: a deadline spanning New Year: the 1/1 holiday and the weekend skipped
--- faketime: 2026-12-31 07:30:10
--- response_body_like: "submitted_at":"2026-12-31T14:30:\d\d\+07:00".*"due_at":"2026-12-31T16:30:00\+07:00"



=== TEST 6: after the cut-off on New Year's Eve: due on the first working day of 2027
--- faketime: 2026-12-31 08:05:10
--- response_body_like: "submitted_at":"2026-12-31T15:05:\d\d\+07:00".*"due_at":"2027-01-04T09:30:00\+07:00"
