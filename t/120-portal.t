# The citizen's web portal (web/) in a real browser: Debian's chromium,
# driven by npm playwright-core (t/browser/portal.mjs), against this nginx
# with the module, a real Redis, and the example back-end moving the dossier.
# A citizen finds a procedure, fills it with mistakes and sees each message
# at its field (the browser's and the gateway's dry run), uploads a document,
# submits, prints the receipt (the PDF read back: code and QR, the QR decoded
# to the lookup link), looks it up, and rates it after the back-end's result;
# a dossier the back-end asks to pay is paid through examples/vnpay-sim.py
# (VNPAY's side of the protocol: the payment page, the IPN, the return);
# the agency's signed forms (02, 03, 04, stop) are opened from the lookup,
# verified in the browser and printed like the receipt.
# Each step's screenshot is in t/servroot-120-portal/browser/ (kept with
# TEST_NGINX_NO_CLEAN=1 or on failure); axe-core checks every page.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use IO::Socket::INET;

our $ROOT = "$FindBin::Bin/..";
our $KEYDIR = tempdir(CLEANUP => 1);
our $KEY = "$KEYDIR/event.key";
{
    open my $f, '>', $KEY or die;
    printf $f "%s\n", join '', map { sprintf '%02x', int rand 256 } 1 .. 32;
    close $f;
    chmod 0600, $KEY or die;
}
$ENV{TEST_NGINX_EVENT_KEY} = $KEY;

# the merchant's VNPAY secret (mode 0600, as dvc_payment demands) and a
# port for the provider's simulator
our $TMN = "DVCTEST1";
our $PAY_SECRET = "$KEYDIR/vnpay.secret";
{
    open my $f, '>', $PAY_SECRET or die;
    printf $f "%s\n", join '', map { ('A' .. 'Z', 0 .. 9)[rand 36] } 1 .. 32;
    close $f;
    chmod 0600, $PAY_SECRET or die;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1) or die;
    $ENV{TEST_NGINX_SIM_PORT} = $s->sockport;
    close $s;
}
$ENV{TEST_NGINX_PAY_SECRET} = $PAY_SECRET;
our $SIM_PID;
END { local $?; if ($SIM_PID) { kill "TERM", $SIM_PID; waitpid $SIM_PID, 0; } }

sub sim_start {
    my $ipn = "http://127.0.0.1:" . server_port() . "/dvc/v1/payments/vnpay/ipn";
    open my $log, '>', servroot() . "/vnpay-sim.log" or die;
    $SIM_PID = fork // die;
    if ($SIM_PID == 0) {
        open STDERR, '>&', $log or die;
        exec "/usr/bin/python3", "$ROOT/examples/vnpay-sim.py", "--port", $ENV{TEST_NGINX_SIM_PORT},
             "--tmn", $TMN, "--secret-file", $PAY_SECRET, "--ipn", $ipn;
        die "exec: $!";
    }
    for (1 .. 100) {
        return if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ENV{TEST_NGINX_SIM_PORT}");
        select undef, undef, undef, 0.05;
    }
    die "the VNPAY simulator did not start\n";
}

for my $need ("$ROOT/t/browser/node_modules/playwright-core", "$ROOT/web/vendor/qrcode.js") {
    die "$need missing: run 'make web' first\n" unless -e $need;
}

gateway_defaults(extra_http => "    dvc_documents \$TEST_NGINX_SERVROOT/documents;\n"
                             . "    dvc_event_key \$TEST_NGINX_EVENT_KEY name=backend;\n"
                             . "    dvc_payment vnpay tmn_code=$TMN secret=\$TEST_NGINX_PAY_SECRET"
                             . " return_url=http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/lookup.html"
                             . " url=http://127.0.0.1:\$TEST_NGINX_SIM_PORT/paymentv2/vpcpay.html;\n");

sub walk {
    my $out = servroot() . "/browser";
    local $ENV{PORTAL_BASE} = "http://127.0.0.1:" . server_port() . "/";
    local $ENV{PORTAL_OUT} = $out;
    local $ENV{PORTAL_EXAMPLE} = "$ROOT/examples/dossiers/1.001193.json";
    local $ENV{PORTAL_EXAMPLES} = "$ROOT/examples/dossiers";
    local $ENV{PORTAL_KEY} = $KEY;
    local $ENV{PORTAL_REDIS_PORT} = redis_port();
    local $ENV{PORTAL_SIM} = "http://127.0.0.1:$ENV{TEST_NGINX_SIM_PORT}/";
    sim_start();
    local $ENV{PORTAL_BACKEND} = join ' ', "$ROOT/examples/backend.py",
        "--gateway", "http://127.0.0.1:" . server_port() . "/dvc/v1",
        "--redis", "redis://127.0.0.1:" . redis_port() . "/0",
        "--key", $KEY, "--once", "--speed", "0", "--consumer", "portal",
        "--refuse", "0", "--supplement", "0", "--payment", "0", "--delay", "0", "--decline", "0";
    my @lines = `node $ROOT/t/browser/portal.mjs 2>&1`;
    my $rc = $?;
    my $steps = 0;
    for (my $i = 0; $i < @lines; $i++) {
        my $l = $lines[$i];
        if ($l =~ /^(not )?ok \d+ - (.*)$/) {
            my ($bad, $what) = ($1, $2);
            my @why;
            push @why, $lines[++$i] =~ s/^# ?//r while $i + 1 < @lines && $lines[$i + 1] =~ /^# / && $lines[$i + 1] !~ /passed, \d+ failed/;
            ok(!$bad, $what) or diag(join '', @why);
            $steps++;
        } elsif ($l !~ /^# \d+ passed/ && $l !~ /dbus|^Connection /) {
            diag($l);
        }
    }
    ok($steps >= 40, "the walk-through made its $steps checks");
    is($rc, 0, "the browser run exited 0");
}

run_tests();

__DATA__

=== TEST 1: a citizen's whole path through the portal
--- config
    include /etc/nginx/mime.types;
    charset utf-8;
    charset_types text/css application/javascript;
    gzip on;
    gzip_types text/css application/javascript application/json image/svg+xml;
    root $TEST_NGINX_ROOT/web;
    location / { index index.html; }
    location /schemas/common/ { alias $TEST_NGINX_SCHEMAS/common/; }
    location /dvc/ { dvc_api; client_max_body_size 12m; }
--- request
GET /index.html
--- response_body_like: <main id="main"
--- post_init
main::walk();
--- timeout: 10
--- no_error_log
[error]
