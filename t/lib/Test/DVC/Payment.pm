# Helpers shared by the payment tests (t/066, t/067): the dvc_payment
# configuration with its secret file, VNPAY's side through
# examples/vnpay-sim.py, and IPNs forged and signed here with Digest::SHA
# (an implementation independent of the gateway's).  Everything goes
# through the running nginx and Redis.
package Test::DVC::Payment;
use strict;
use warnings;
use utf8;
use Exporter 'import';
use FindBin;
use Digest::SHA qw(hmac_sha512_hex);
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use Test::Nginx::DVC;
use Test::DVC::Citizen;

our @EXPORT = qw(payment_config sim_start sim_get awaiting_payment pay
                 php_urlencode ipn_query ipn_params ipn pay_through_sim
                 $TMN $SECRET $SIM_PORT);

our $TMN = "DVCTEST1";
our $SECRET = "Q7V3XK2M9P4L8R6T1Y5W0Z3N7B2C9D4F";
our $SIM_PORT;
our $SIM_PID;

sub payment_config {
    require File::Temp;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/vnpay.secret" or die; print $fh "$SECRET\n"; close $fh;
    chmod 0600, "$dir/vnpay.secret";
    open $fh, '>', "$dir/open.secret" or die; print $fh "$SECRET\n"; close $fh;
    chmod 0644, "$dir/open.secret";
    $ENV{TEST_NGINX_PAY_SECRET} = "$dir/vnpay.secret";
    $ENV{TEST_NGINX_PAY_OPEN_SECRET} = "$dir/open.secret";
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1) or die;
    $SIM_PORT = $s->sockport;
    close $s;
    $ENV{TEST_NGINX_SIM_PORT} = $SIM_PORT;
    return "    dvc_payment vnpay tmn_code=$TMN secret=\$TEST_NGINX_PAY_SECRET"
         . " return_url=https://dichvucong.example.vn/thanh-toan/ket-qua"
         . " url=http://127.0.0.1:\$TEST_NGINX_SIM_PORT/paymentv2/vpcpay.html;\n";
}

sub sim_start {
    return if $SIM_PID && kill 0, $SIM_PID;
    my $ipn = "http://127.0.0.1:" . server_port() . "/dvc/v1/payments/vnpay/ipn";
    $SIM_PID = fork // die;
    if ($SIM_PID == 0) {
        exec "/usr/bin/python3", "$FindBin::Bin/../examples/vnpay-sim.py",
             "--port", $SIM_PORT, "--tmn", $TMN,
             "--secret-file", $ENV{TEST_NGINX_PAY_SECRET}, "--ipn", $ipn;
        die "exec: $!";
    }
    for (1 .. 100) {
        my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$SIM_PORT");
        return if $c;
        sleep 0.05;
    }
    die "the simulator did not start\n";
}
END { kill 'TERM', $SIM_PID if $SIM_PID; }

# a plain HTTP GET to the simulator; no redirect followed
sub sim_get {
    my ($path) = @_;
    my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$SIM_PORT") or die;
    print $c "GET $path HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    local $/;
    my $raw = <$c>;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($status) = $head =~ m{^HTTP/1\.\d (\d+)};
    my ($loc) = $head =~ m{^Location: (.*?)\r?$}mi;
    return { status => $status, location => $loc, body => $body };
}

# a dossier waiting for its fee, as the back-end's events leave it
sub awaiting_payment {
    my (%o) = @_;
    my $d = submit_dossier($o{procedure} // "1.001612");
    my $r = send_event($d->{code}, { type => "accept" });
    die "accept: $r->{status} $r->{body}" unless $r->{status} == 200;
    $r = send_event($d->{code}, { type => "request_payment",
        exists $o{amount} ? (defined $o{amount} ? (amount => $o{amount}) : ())
                          : (amount => 50000),
        reason => { vi => "Nộp lệ phí đăng ký hộ kinh doanh",
                    en => "Pay the household business registration fee" } });
    die "request_payment: $r->{status} $r->{body}" unless $r->{status} == 200;
    return $d;
}

sub pay {
    my ($d, $body) = @_;
    my $r = http_request("POST /dvc/v1/dossiers/$d->{code}/payment"
                         . (defined $body ? "\n$body" : ""),
        more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}\n"
                        . (defined $body ? "Content-Type: application/json\n" : ""));
    $r->{json} = eval { $J->decode($r->{body}) };
    return $r;
}

sub php_urlencode {
    my ($s) = @_;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9_.\- ])/sprintf("%%%02X", ord $1)/ge;
    $s =~ tr/ /+/;
    return $s;
}

# an IPN query as VNPAY's server sends it, signed here
sub ipn_query {
    my (%p) = @_;
    my $extra = delete $p{_extra} // "";
    my $secret = delete $p{_secret} // $SECRET;
    my $data = join "&", map { php_urlencode($_) . "=" . php_urlencode($p{$_}) }
                         sort keys %p;
    return "$data&vnp_SecureHashType=HmacSHA512&vnp_SecureHash="
           . hmac_sha512_hex($data, $secret) . $extra;
}

sub ipn_params {
    my ($txn_ref, %o) = @_;
    return (vnp_Amount => $o{amount} // 5000000, vnp_BankCode => "NCB",
            vnp_CardType => "ATM", vnp_OrderInfo => "Thanh toan",
            vnp_PayDate => "20261207103000",
            vnp_ResponseCode => $o{rsp} // "00", vnp_TmnCode => $o{tmn} // $TMN,
            vnp_TransactionNo => $o{no} // "14226999",
            vnp_TransactionStatus => $o{status} // "00", vnp_TxnRef => $txn_ref);
}

sub ipn {
    my ($q) = @_;
    my $r = http_request("GET /dvc/v1/payments/vnpay/ipn?$q");
    $r->{json} = eval { $J->decode($r->{body}) };
    return $r;
}

# the citizen pays through the simulator (payment URL -> IPN -> redirect);
# returns the IPN's answer
sub pay_through_sim {
    my ($d) = @_;
    my $r = pay($d);
    die "payment: $r->{status} $r->{body}" unless $r->{status} == 200;
    (my $path = $r->{json}{payment_url}) =~ s{^http://[^/]+}{};
    my $s = sim_get($path);
    die "simulator: $s->{status}" unless $s->{status} == 302;
    return $J->decode(sim_get("/sim/last")->{body});
}


1;
