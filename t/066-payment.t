# Online payment (issue 19): POST /dvc/v1/dossiers/{code}/payment answers
# VNPAY's payment URL for the amount the back-end asked for; VNPAY's server
# confirms with GET /dvc/v1/payments/vnpay/ipn, answered with its RspCode
# JSON.  The provider is examples/vnpay-sim.py (VNPAY's side of the same
# protocol); the IPNs the tests forge are signed here with Digest::SHA, an
# implementation independent of the gateway's.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use Test::DVC::Payment;
use Digest::SHA qw(hmac_sha512_hex);
use IO::Socket::INET;
use utf8;

# the provider's helpers ($TMN, $SECRET, the simulator, signed IPNs):
# t/lib/Test/DVC/Payment.pm
our $keys = gateway_defaults(extra_http => event_key_config() . payment_config());

sub jws_payload {
    my ($jws) = @_;
    my $jwks = http_request("GET /dvc/v1/keys")->{body};
    open my $f, '>', "$keys/jwks.json" or die; print $f $jwks; close $f;
    my $out = `printf '%s' '$jws' | /usr/bin/python3 $FindBin::Bin/util/jws_verify.py $keys/jwks.json`;
    return $? == 0 ? $J->decode($out) : undef;
}

sub history { $J->decode(dossier($_[0])->{history}) }

sub vn_today { my @g = gmtime(time + 7 * 3600); sprintf("%04d-%02d-%02d", $g[5] + 1900, $g[4] + 1, $g[3]) }

run_tests();

__DATA__

=== TEST 1: the citizen pays through the provider: 6 -> 4, history, signed receipt on lookup, back-end told
--- request
GET /dvc/v1/keys
--- post_init
main::sim_start();
my $d = main::awaiting_payment();
my $code = $d->{code};
is(dossier($code)->{pay_amount}, 50000, "request_payment stored the amount");
# an amount from the client is never read
my $r = main::pay($d, '{"amount":1000}');
is($r->{status}, 200, "payment: 200");
is($r->{json}{amount}, 50000, "the amount the back-end asked for, not the client's");
is($r->{json}{provider}, "vnpay", "vnpay");
like($r->{json}{txn_ref}, qr/^\Q$code\E-\d{14}$/, "vnp_TxnRef: the code and the attempt's time");
my $url = $r->{json}{payment_url};
like($url, qr{^http://127\.0\.0\.1:\d+/paymentv2/vpcpay\.html\?vnp_Amount=5000000&}, "VND x 100, sorted first");
like($url, qr/&vnp_TmnCode=DVCTEST1&/, "our tmn_code");
like($url, qr/&vnp_ReturnUrl=https%3A%2F%2Fdichvucong\.example\.vn%2Fthanh-toan%2Fket-qua&/, "return_url PHP-urlencoded");
like($url, qr/&vnp_SecureHash=[0-9a-f]{128}$/, "HMAC-SHA512 last");
# the signature, recomputed here over the URL's own parameters
my ($q) = $url =~ /\?(.*)&vnp_SecureHash=/;
my ($h) = $url =~ /vnp_SecureHash=(\w+)$/;
is($h, Digest::SHA::hmac_sha512_hex($q, $main::SECRET), "vnp_SecureHash verifies independently");
# the citizen follows it: the provider sends the IPN, then redirects back
(my $path = $url) =~ s{^http://[^/]+}{};
my $s = main::sim_get($path);
is($s->{status}, 302, "the provider accepted the URL and sends the citizen back");
like($s->{location}, qr{^https://dichvucong\.example\.vn/thanh-toan/ket-qua\?vnp_Amount=5000000&}, "to return_url");
my $last = $J->decode(main::sim_get("/sim/last")->{body});
is_deeply($last->{answer}, { RspCode => "00", Message => "Confirm Success" }, "IPN answered 00 before the redirect");
my $dh = dossier($code);
is($dh->{status}, 4, "status 6 -> 4");
my $e = main::history($code)->[-1];
is($e->{type}, "payment", "history: a payment entry");
is($e->{status_number}, 4, "history: to 4");
is($e->{amount}, 50000, "history: the amount");
is($e->{actor}, "vnpay", "history: by the provider");
is($e->{transaction_no}, $last->{ipn}{vnp_TransactionNo}, "history: VNPAY's transaction number");
my @p = inbox("payment_received");
is(scalar @p, 1, "one payment_received entry for the back-end");
is($p[0]{amount}, 50000, "with the amount");
is($p[0]{code}, $code, "and the dossier");
# the lookup shows the payment and its receipt, verifiable with the JWKS
my $l = http_request("GET /dvc/v1/dossiers/$code",
                     more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
my $lj = $J->decode($l->{body});
is($lj->{status_number}, 4, "lookup: processing");
is($lj->{payment}{amount}, 50000, "lookup: the payment");
my $pl = main::jws_payload($lj->{payment}{receipt});
ok($pl, "the payment receipt verifies with python3-jwcrypto against the JWKS");
is($pl->{amount}, 50000, "receipt: amount");
is($pl->{currency}, "VND", "receipt: VND");
is($pl->{code}, $code, "receipt: the dossier");
is($pl->{transaction_no}, $last->{ipn}{vnp_TransactionNo}, "receipt: provider transaction id");
like($pl->{paid_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/, "receipt: the time paid");
# VNPAY sends it again (it does until it reads 00): nothing applied twice
my $again = $J->decode(main::sim_get("/sim/replay")->{body});
is_deeply($again, { RspCode => "02", Message => "Order already confirmed" }, "a replay: 02");
is(scalar @{ main::history($code) }, scalar @{ $J->decode($dh->{history}) }, "no second history entry");
is(scalar(inbox("payment_received")), 1, "no second inbox entry");
is(dossier($code)->{ver}, $dh->{ver}, "nothing written");
# and paying again is refused: nothing is awaited
$r = main::pay($d);
is($r->{status}, 409, "a second payment: 409");
is($r->{json}{error}, "payment_not_required", "payment_not_required");
--- no_error_log
[error]



=== TEST 2: every IPN code: 97 forged, 01 unknown, 04 wrong amount, 99 ambiguous, 00 cancelled; nothing applied
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::awaiting_payment();
my $code = $d->{code};
my $ref = "$code-20261207102500";
my $before = dossier($code);
my %p = main::ipn_params($ref);
# forged: signed with another secret, or changed after signing
my $r = main::ipn(main::ipn_query(%p, _secret => "not-the-merchant-secret-0000000"));
is($r->{status}, 200, "answered 200, as VNPAY expects");
is_deeply($r->{json}, { RspCode => "97", Message => "Invalid signature" }, "another secret: 97");
(my $q = main::ipn_query(%p)) =~ s/vnp_Amount=5000000/vnp_Amount=5000100/;
is(main::ipn($q)->{json}{RspCode}, "97", "amount changed after signing: 97");
is(main::ipn("vnp_TxnRef=$ref&vnp_Amount=5000000")->{json}{RspCode}, "97", "unsigned: 97");
# unknown order: another dossier, a reference that names none, another merchant
is(main::ipn(main::ipn_query(main::ipn_params("000.20.31.H29-261101-0999-20261207102500")))->{json}{RspCode},
   "01", "no such dossier: 01");
is(main::ipn(main::ipn_query(main::ipn_params("12345")))->{json}{RspCode}, "01", "not a reference of ours: 01");
is(main::ipn(main::ipn_query(main::ipn_params($ref, tmn => "OTHER001")))->{json}{RspCode}, "01", "another tmn_code: 01");
# wrong amount
$r = main::ipn(main::ipn_query(main::ipn_params($ref, amount => 4000000)));
is_deeply($r->{json}, { RspCode => "04", Message => "Invalid amount" }, "40,000 VND for 50,000: 04");
is(main::ipn(main::ipn_query(main::ipn_params($ref, amount => 5000050)))->{json}{RspCode}, "04", "a fraction of a dong: 04");
# a parameter twice, even signed, even the same value, however spelt: 99
is(main::ipn(main::ipn_query(%p, _extra => "&vnp_Amount=5000000"))->{json}{RspCode}, "99", "vnp_Amount twice: 99");
is(main::ipn(main::ipn_query(%p, _extra => "&vnp_%54xnRef=x"))->{json}{RspCode}, "99", "vnp_TxnRef twice, encoded: 99");
is(main::ipn("")->{json}{RspCode}, "99", "nothing at all: 99");
is_deeply(dossier($code), $before, "nothing changed by any of them");
# the citizen cancelled at VNPAY: confirmed (00) but nothing applied
$r = main::ipn(main::ipn_query(main::ipn_params($ref, rsp => "24", status => "02", no => "0")));
is_deeply($r->{json}, { RspCode => "00", Message => "Confirm Success" }, "cancelled: 00");
is_deeply(dossier($code), $before, "still waiting for the payment");
# then pays: 00 and applied
$r = main::ipn(main::ipn_query(%p));
is($r->{json}{RspCode}, "00", "paid: 00");
is(dossier($code)->{status}, 4, "applied");
# a dossier that is not waiting for a payment (the desk took it): 02
my $o = main::awaiting_payment();
send_event($o->{code}, { type => "process" });
is(main::ipn(main::ipn_query(main::ipn_params("$o->{code}-20261207102500")))->{json}{RspCode},
   "02", "not in 6 any more: 02");
is(dossier($o->{code})->{status}, 4, "untouched");
is(scalar(inbox("payment_received")), 1, "only the one payment reached the back-end");
--- error_log
vnpay notice refused with 97
vnpay notice refused with 99: a parameter given twice
--- no_error_log
[error]
Q7V3XK2M



=== TEST 3: two IPNs of the same payment at the same instant: one applies, the other gets 02
--- request
GET /dvc/v1/keys
--- post_init
my $d = main::awaiting_payment();
my $code = $d->{code};
my $q = main::ipn_query(main::ipn_params("$code-20261207102500"));
# Redis held still while both arrive: both read status 6, nothing paid,
# before either writes; the compare-and-set lets one apply
redis_pause();
my @c = map { http_request_stalled("GET /dvc/v1/payments/vnpay/ipn?$q") } 1 .. 2;
sleep 0.3;
redis_resume();
my @r = map { http_response_read($_) } @c;
my @codes = sort map { $J->decode($_->{body})->{RspCode} } @r;
is_deeply(\@codes, ["00", "02"], "one 00, one 02");
is(scalar(grep { ($_->{type} // "") eq "payment" } @{ main::history($code) }), 1, "one payment in the history");
is(scalar(inbox("payment_received")), 1, "one inbox entry");
--- error_log
applied: 50000 VND
answered 02: applied meanwhile
--- no_error_log
[error]



=== TEST 3b: the report's payment figures: dossiers paid online and the fees, as the test saw them applied
--- request
GET /dvc/v1/keys
--- post_init
main::sim_start();
my $from = main::vn_today();
# what the test itself saw: each payment answered 00 that moved 6 -> 4
my @paid;
my %proc = ('1.001612' => { level => 4, sector => 'ho_kinh_doanh', agency => '000.20.31.H29' },
            '1.002820' => { level => 3, sector => 'duong_bo', agency => '000.00.07.H29' });
sub settle {
    my ($d, $proc, $amount, $last) = @_;
    my $st = dossier($d->{code})->{status};
    push @paid, [$d->{code}, $proc, $amount]
        if ($last->{answer}{RspCode} // '') eq '00' && $st == 4;
}
# A: 50,000 paid through the provider
my $a = main::awaiting_payment();
settle($a, '1.001612', 50000, main::pay_through_sim($a));
# B: cancelled at the provider first (00, nothing applied), then paid;
# the provider's retry of the same notice applies nothing
my $b = main::awaiting_payment(amount => 120000);
main::sim_get("/sim/outcome?code=24");
settle($b, '1.001612', 120000, main::pay_through_sim($b));
is(dossier($b->{code})->{status}, 6, "B cancelled: still waiting");
main::sim_get("/sim/outcome?code=00");
settle($b, '1.001612', 120000, main::pay_through_sim($b));
is($J->decode(main::sim_get("/sim/replay")->{body})->{RspCode}, "02", "B's notice again: 02");
# C: a forged notice and a wrong amount: never paid
my $c = main::awaiting_payment(amount => 75000);
my $ref = "$c->{code}-20261207102500";
is(main::ipn(main::ipn_query(main::ipn_params($ref, amount => 7500000), _secret => "x" x 32))->{json}{RspCode},
   "97", "C forged: 97");
is(main::ipn(main::ipn_query(main::ipn_params($ref, amount => 7000000)))->{json}{RspCode}, "04", "C 70,000 for 75,000: 04");
# D: a level 3 procedure of another agency and sector
my $d = main::awaiting_payment(procedure => '1.002820', amount => 135000);
settle($d, '1.002820', 135000, main::pay_through_sim($d));
# A again: a second fee for the same dossier (4 -> 6 -> 4)
my $r = send_event($a->{code}, { type => "request_payment", amount => 20000,
    reason => { vi => "Nộp phí cấp bản sao", en => "Pay the copy fee" } });
is($r->{status}, 200, "A asked for a second fee");
# vnp_TxnRef is the code and the attempt's second: a second attempt in the
# same second as a paid one would be taken for it (02); not what this tests
select(undef, undef, undef, 1.05);
settle($a, '1.001612', 20000, main::pay_through_sim($a));
is(scalar @paid, 4, "four payments applied: A twice, B, D");

my $to = main::vn_today();
# the expectation, from @paid alone
sub want {
    my (%f) = @_;
    my (%codes, $fees);
    for my $p (@paid) {
        my $m = $proc{$p->[1]};
        next if grep { defined $f{$_} && $m->{$_} ne $f{$_} } qw(level sector agency);
        $codes{$p->[0]} = 1;
        $fees += $p->[2];
    }
    return (scalar keys %codes, $fees // 0);
}
for my $f ([], [level => 4], [level => 3], [sector => 'ho_kinh_doanh'], [sector => 'duong_bo'],
           [agency => '000.20.31.H29'], [agency => '000.00.07.H29', level => 4]) {
    my %f = @$f;
    my $q = "from=$from&to=$to" . join('', map { "&$_=$f{$_}" } sort keys %f);
    my $g = $J->decode(http_request("GET /dvc/v1/stats?$q")->{body});
    my ($n, $fees) = want(%f);
    is("$g->{paid_online} $g->{fees_collected_online}", "$n $fees",
       "?$q: $n dossiers paid online, $fees VND");
}
# the hand count beside the model: A (50,000 + 20,000), B 120,000, D 135,000
my $all = $J->decode(http_request("GET /dvc/v1/stats?from=$from&to=$to")->{body});
is($all->{paid_online}, 3, "3 dossiers paid online (A counted once)");
is($all->{fees_collected_online}, 325000, "325,000 VND");
my $csv = http_request("GET /dvc/v1/stats?from=$from&to=$to", more_headers => "Accept: text/csv\n")->{body};
like($csv, qr/\r\npaid_online,3,"/, "CSV: paid_online");
like($csv, qr/\r\nfees_collected_online,325000,"/, "CSV: fees_collected_online");
is(redis_cmd('HGET', "dvc:d:$a->{code}", 'st_paid'), '1', "A remembers it was counted");
is(redis_cmd('HGET', "dvc:d:$c->{code}", 'st_paid'), undef, "C was never paid");
--- no_error_log
[error]



=== TEST 4: the payment endpoint's refusals
--- request
GET /dvc/v1/keys
--- post_init
# no amount asked for: paid at the desk
my $d = main::awaiting_payment(amount => undef);
my $r = main::pay($d);
is($r->{status}, 409, "no amount: 409");
is($r->{json}{error}, "not_payable_online", "not_payable_online");
# more than VNPAY's 12 digits take
$d = main::awaiting_payment(amount => 10000000000);
is(main::pay($d)->{json}{error}, "not_payable_online", "over 9,999,999,999 VND: not_payable_online");
# not in 6
$d = submit_dossier("1.001612");
$r = main::pay($d);
is($r->{status}, 409, "status 1: 409");
is($r->{json}{error}, "payment_not_required", "payment_not_required");
# the lookup's token rules
$d = main::awaiting_payment();
my $lookup404 = http_request("GET /dvc/v1/dossiers/$d->{code}")->{body};
$r = http_request("POST /dvc/v1/dossiers/$d->{code}/payment");
is($r->{status}, 404, "no token: 404");
is($r->{body}, $lookup404, "the lookup's 404");
$r = http_request("POST /dvc/v1/dossiers/$d->{code}/payment?token=$d->{lookup_token}",
                  more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
is($r->{status}, 400, "token twice: 400");
$r = http_request("GET /dvc/v1/dossiers/$d->{code}/payment");
is($r->{status}, 405, "GET: 405");
$r = http_request("POST /dvc/v1/payments/vnpay/ipn");
is($r->{status}, 405, "IPN by POST: 405");
$r = http_request("GET /dvc/v1/payments/napas/ipn?x=1");
is($r->{status}, 404, "another provider: 404");
is(dossier($d->{code})->{status}, 6, "unchanged");
--- no_error_log
[error]



=== TEST 5: without dvc_payment the endpoint is 403
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
--- request
POST /dvc/v1/dossiers/000.20.31.H29-261101-0001/payment
--- error_code: 403
--- response_body_like: "error":"payments_disabled"



=== TEST 6: a secret file others may read is refused at configuration time
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_payment vnpay tmn_code=DVCTEST1 secret=$TEST_NGINX_PAY_OPEN_SECRET return_url=https://x.example.vn/;
--- must_die
--- error_log
open.secret



=== TEST 7: an unknown provider, a missing parameter: refused at configuration time
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_payment paypal tmn_code=DVCTEST1 secret=$TEST_NGINX_PAY_SECRET return_url=https://x.example.vn/;
--- must_die
--- error_log
unknown payment provider "paypal"



=== TEST 8: no tmn_code
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_payment vnpay secret=$TEST_NGINX_PAY_SECRET return_url=https://x.example.vn/;
--- must_die
--- error_log
needs tmn_code
