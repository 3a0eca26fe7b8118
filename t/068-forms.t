# The one-stop desk's signed forms besides the receipt (issue 19): the
# supplement request (form 02), the refusal (03), the apology with a new
# date (04) and the stop notice, each a compact JWS signed by the events
# that decide them, with the human reason; kept in the dossier's `forms`,
# shown by the lookup and in the event's answer, and verified here with
# python3-jwcrypto (an implementation independent of ours) against the
# gateway's JWKS (GET /dvc/v1/keys), for EdDSA, ES256 and RS256 keys.
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use File::Temp qw(tempdir);
use POSIX ();

our $ROOT = "$FindBin::Bin/..";
our $DIR = gateway_defaults(extra_http => event_key_config());
for my $t (qw(p256 rsa)) {
    system("$ROOT/build/dvc", "keygen", "--type", $t, "--bits", "2048", "--out", "$DIR/$t.pem") == 0
        or system("$ROOT/build/dvc", "keygen", "--type", $t, "--out", "$DIR/$t.pem") == 0
        or die "dvc keygen --type $t failed\n";
}
$ENV{TEST_NGINX_P256} = "$DIR/p256.pem";
$ENV{TEST_NGINX_RSA} = "$DIR/rsa.pem";

# jwcrypto verifies the JWS against the gateway's JWKS: {header, payload}
# (payload decoded), or undef and the reason
sub jwcrypto {
    my ($jws) = @_;
    my $jwks = http_request("GET /dvc/v1/keys")->{body};
    open my $f, '>', "$DIR/jwks.json" or die; print $f $jwks; close $f;
    open $f, '>', "$DIR/token" or die; print $f $jws; close $f;
    my $py = <<'PY';
import json, sys
from jwcrypto import jwk, jws
keys = jwk.JWKSet.from_json(open(sys.argv[1]).read())
t = jws.JWS()
try:
    t.deserialize(open(sys.argv[2]).read().strip())
    h = t.jose_header
    key = keys.get_key(h.get("kid"))
    if key is None:
        raise ValueError("no key with that kid")
    t.verify(key, alg=h["alg"])
except Exception as e:
    print("invalid: %s" % e)
    sys.exit(1)
print(json.dumps({"header": h, "payload": json.loads(t.payload.decode("utf-8")),
                  "thumbprint": key.thumbprint()}))
PY
    my $out = `/usr/bin/python3 -c '$py' $DIR/jwks.json $DIR/token 2>&1`;
    return (undef, $out) if $?;
    return ($J->decode($out), "");
}

sub lookup {
    my ($d) = @_;
    my $r = http_request("GET /dvc/v1/dossiers/$d->{code}",
                         more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
    return $J->decode($r->{body});
}


# the whole path of one dossier and a refused one, every form verified;
# returns nothing, asserts as it goes
sub forms_path {
    my ($alg) = @_;
    my $d = submit_dossier("1.001612");

    # 02: the supplement request, with the reason and the documents
    my $reason02 = { vi => "Thiếu hợp đồng thuê địa điểm kinh doanh", en => "The lease of the premises is missing" };
    my $docs = [{ name => "Hợp đồng thuê địa điểm kinh doanh", note => "bản sao có chứng thực" }, { name => "Sơ đồ vị trí" }];
    my $body02 = $J->encode({ id => "f-$alg-02", type => "request_supplement", actor => "Bộ phận Một cửa UBND phường",
                              reason => $reason02, documents => $docs });
    my $e02 = main::event_raw($d->{code}, $body02);
    main::is($e02->{status}, 200, "$alg: request_supplement 200") or main::diag($e02->{body});
    main::is($e02->{json}{form}{form}, "02", "$alg: the answer carries form 02");
    my ($v, $why) = main::jwcrypto($e02->{json}{form}{jws});
    main::ok($v, "$alg: form 02 verifies with jwcrypto against /dvc/v1/keys") or main::diag($why);
    main::is($v->{header}{alg}, $alg, "$alg: its alg");
    main::is($v->{header}{typ}, "dvc-supplement+jws", "$alg: typ dvc-supplement+jws");
    main::is($v->{header}{kid}, $v->{thumbprint}, "$alg: kid is the key's RFC 7638 thumbprint (jwcrypto's)");
    my $p = $v->{payload};
    main::is($p->{form}, "02", "$alg: payload form 02");
    main::is($p->{title}{vi}, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "$alg: the form's title");
    main::is($p->{code}, $d->{code}, "$alg: the dossier");
    main::is($p->{procedure}{code}, "1.001612", "$alg: the procedure's code");
    main::is($p->{procedure}{name}, "Đăng ký thành lập hộ kinh doanh", "$alg: and name");
    main::is($p->{agency}, "000.20.31.H29", "$alg: the agency");
    main::is($p->{event}, "f-$alg-02", "$alg: the event's id");
    main::is($p->{actor}, "Bộ phận Một cửa UBND phường", "$alg: who decided");
    main::is_deeply($p->{reason}, $reason02, "$alg: the human reason, as sent");
    main::is_deeply($p->{documents}, $docs, "$alg: each missing document");
    main::like($p->{issued_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/, "$alg: issued_at");

    # the same event again: its answer, no second form
    main::is(main::event_raw($d->{code}, $body02)->{body}, $e02->{body}, "$alg: replay: the first answer");
    main::is(scalar @{ main::lookup($d)->{forms} }, 1, "$alg: replay: still one form");

    # the supplement, accepted again; then 04, the apology with a new date
    main::is(citizen_post($d->{code}, "supplement", $d->{lookup_token}, example("1.001612"))->{status}, 200, "$alg: supplement sent");
    my $acc = send_event($d->{code}, { type => "accept" });
    main::is($acc->{status}, 200, "$alg: accepted again");
    my $new_due = POSIX::strftime("%Y-%m-%dT16:30:00+07:00", gmtime(time + 7 * 3600 + 30 * 86400));
    my $reason04 = { vi => "Cần lấy ý kiến của Phòng Tài chính - Kế hoạch", en => "The finance office must be consulted" };
    my $e04 = send_event($d->{code}, { type => "delay", new_due_at => $new_due, reason => $reason04 });
    main::is($e04->{status}, 200, "$alg: delay 200") or main::diag($e04->{body});
    ($v, $why) = main::jwcrypto($e04->{json}{form}{jws});
    main::ok($v, "$alg: form 04 verifies") or main::diag($why);
    main::is($v->{header}{typ}, "dvc-apology+jws", "$alg: typ dvc-apology+jws");
    main::is($v->{payload}{form}, "04", "$alg: form 04");
    main::is($v->{payload}{title}{vi}, "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "$alg: its title");
    main::is_deeply($v->{payload}{reason}, $reason04, "$alg: the apology's reason");
    main::is($v->{payload}{due_at}, $acc->{json}{due_at}, "$alg: the appointment it apologises for");
    main::is($v->{payload}{new_due_at}, $new_due, "$alg: the new date");

    # the stop notice
    my $e08 = send_event($d->{code}, { type => "stop", reason => "Cơ quan dừng giải quyết vì hộ kinh doanh đã đăng ký tại phường khác" });
    main::is($e08->{status}, 200, "$alg: stop 200");
    ($v, $why) = main::jwcrypto($e08->{json}{form}{jws});
    main::ok($v, "$alg: the stop notice verifies") or main::diag($why);
    main::is($v->{header}{typ}, "dvc-stop+jws", "$alg: typ dvc-stop+jws");
    main::is($v->{payload}{form}, "stop", "$alg: form stop");
    main::is($v->{payload}{reason}{vi}, "Cơ quan dừng giải quyết vì hộ kinh doanh đã đăng ký tại phường khác", "$alg: its reason");

    # the lookup lists the three, oldest first, the same JWS as the answers
    my $forms = main::lookup($d)->{forms};
    main::is(join(" ", map { "$_->{form}:$_->{typ}" } @$forms),
             "02:dvc-supplement+jws 04:dvc-apology+jws stop:dvc-stop+jws", "$alg: the lookup's forms");
    main::is(join(" ", map { $_->{jws} } @$forms),
             join(" ", map { $_->{json}{form}{jws} } $e02, $e04, $e08), "$alg: the JWS the events answered");
    main::is($forms->[0]{event}, "f-$alg-02", "$alg: each names its event");

    # 03: a refusal at the desk
    my $r = submit_dossier("1.001612");
    my $e03 = send_event($r->{code}, { type => "refuse", reason => { vi => "Hồ sơ không thuộc thẩm quyền giải quyết của phường", en => "Not within the ward's competence" } });
    main::is($e03->{status}, 200, "$alg: refuse 200");
    ($v, $why) = main::jwcrypto(main::lookup($r)->{forms}[0]{jws});
    main::ok($v, "$alg: form 03, from the lookup, verifies") or main::diag($why);
    main::is($v->{header}{typ}, "dvc-refusal+jws", "$alg: typ dvc-refusal+jws");
    main::is($v->{payload}{title}{vi}, "Phiếu từ chối tiếp nhận giải quyết hồ sơ", "$alg: its title");
    main::is($v->{payload}{reason}{en}, "Not within the ward's competence", "$alg: its reason");

    # a changed payload does not verify: the check can fail
    my ($h, $pl, $sig) = split /\./, $e03->{json}{form}{jws};
    (my $forged = $pl) =~ tr/A-Za-z/B-ZAb-za/;
    ($v, $why) = main::jwcrypto("$h.$forged.$sig");
    main::ok(!$v, "$alg: a changed payload is refused by jwcrypto");

    # no form for events that have none
    main::is(scalar @{ main::lookup(submit_dossier("1.001612"))->{forms} }, 0, "$alg: a new dossier: forms []");
}

run_tests();

__DATA__

=== TEST 1: EdDSA: forms 02, 04, stop and 03, each verified with jwcrypto, with its reason
--- request
GET /dvc/v1/keys
--- post_init
main::forms_path("EdDSA");
--- no_error_log
[error]



=== TEST 2: ES256 (P-256)
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_P256;
    dvc_event_key $TEST_NGINX_CITIZEN_EVKEY;
--- request
GET /dvc/v1/keys
--- post_init
main::forms_path("ES256");
--- no_error_log
[error]



=== TEST 3: RS256
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_RSA;
    dvc_event_key $TEST_NGINX_CITIZEN_EVKEY;
--- request
GET /dvc/v1/keys
--- post_init
main::forms_path("RS256");
--- no_error_log
[error]
