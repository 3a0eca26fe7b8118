# What must stay closed (issue 6, "Security"): a dossier opens only to its
# lookup token, an event only to the back-end's key, and nothing in an answer
# tells an outsider whether a code exists.  Every refusal of one kind is
# compared whole: status, body and every header but Date.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use Digest::SHA qw(hmac_sha256_hex);
use POSIX qw(strftime);

gateway_defaults(extra_http => event_key_config());

# the answer as a client sees it, minus the Date header (the clock moves)
sub shape {
    my ($r) = @_;
    my ($head, $body) = split /\r\n\r\n/, $r->{raw} // '', 2;
    my @h = grep { !/^Date:/i } split /\r\n/, $head // '';
    return join("\n", @h) . "\n\n" . ($body // '');
}

# every answer in @$cases (pairs name => response) the same as the first
sub all_alike {
    my ($what, @cases) = @_;
    my ($name0, $r0) = @{ $cases[0] };
    for my $c (@cases[1 .. $#cases]) {
        is(shape($c->[1]), shape($r0), "$what: $c->[0] answered exactly as $name0");
    }
}

sub get { my ($target, $token) = @_;
    http_request("GET $target", defined $token ? (more_headers => "X-DVC-Lookup-Token: $token\n") : ()) }

# a code of the same agency and day, but another number (never issued)
sub neighbour { my ($code, $n) = @_; (my $c = $code) =~ s/-\d{4}$/sprintf("-%04d", $n)/e; $c }

our $WRONG = "AAAAAAAAAAAAAAAAAAAAAA";      # 22 base64url characters, as a real token

run_tests();

__DATA__

=== TEST 1: lookup and receipt: no token, an empty, short, long, wrong or other dossier's token, an unknown code: one 404
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001193");               # accepted at once: it has a receipt
my $o = submit_dossier("1.001612");
my $c = $d->{code};
for my $path ("", "/receipt") {
    my @cases = (
        [ "no token"              => get("/dvc/v1/dossiers/$c$path") ],
        [ "wrong token"           => get("/dvc/v1/dossiers/$c$path", $WRONG) ],
        [ "empty ?token="         => get("/dvc/v1/dossiers/$c$path?token=") ],
        [ "short token"           => get("/dvc/v1/dossiers/$c$path", "A") ],
        [ "4 KB token"            => get("/dvc/v1/dossiers/$c$path", "A" x 4096) ],
        [ "token with a NUL"      => get("/dvc/v1/dossiers/$c$path?token=" . substr($d->{lookup_token}, 0, 10) . "%00" . substr($d->{lookup_token}, 11)) ],
        [ "the token, one char off" => get("/dvc/v1/dossiers/$c$path", substr($d->{lookup_token}, 0, -1) . (substr($d->{lookup_token}, -1) eq 'A' ? 'B' : 'A')) ],
        [ "other dossier's token" => get("/dvc/v1/dossiers/$c$path", $o->{lookup_token}) ],
        [ "unknown code, its token" => get("/dvc/v1/dossiers/" . neighbour($c, 9999) . $path, $d->{lookup_token}) ],
        [ "unknown code, no token"  => get("/dvc/v1/dossiers/" . neighbour($c, 42) . $path) ],
    );
    is($cases[0][1]{status}, 404, "lookup$path: 404");
    like($cases[0][1]{body}, qr/^\{"error":"not_found"/, "lookup$path: not_found");
    all_alike("lookup$path", @cases);
    is(get("/dvc/v1/dossiers/$c$path", $d->{lookup_token})->{status}, 200, "lookup$path: the right token opens it");
}
--- no_error_log
[error]



=== TEST 2: code enumeration: codes that exist and codes that do not answer alike to a wrong token
--- request
GET /dvc/v1/keys
--- post_init
my @real = map { submit_dossier("1.001612")->{code} } 1 .. 3;
my @unknown = (neighbour($real[0], 4), neighbour($real[0], 9999),
               "000.00.10.H47-261121-0001", "000.20.31.H29-000101-0001",
               "999.99.99.Z99-991231-9999");
my @cases = map { [ $_ => get("/dvc/v1/dossiers/$_", $WRONG) ] } @real, @unknown;
all_alike("wrong token", @cases);
@cases = map { [ "$_ (withdrawal)" => citizen_post($_, "withdrawal", $WRONG, "{}") ] } @real, @unknown;
all_alike("withdrawal with a wrong token", @cases);
is(shape($cases[0][1]), shape(get("/dvc/v1/dossiers/$real[0]", $WRONG)), "the withdrawal's 404 is the lookup's");
--- no_error_log
[error]



=== TEST 3: withdrawal, supplement and rating without the token: the lookup's 404, nothing changed, nothing sent
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my $c = $d->{code};
my $lookup = get("/dvc/v1/dossiers/$c", $WRONG);
for my $action (qw(withdrawal supplement rating)) {
    my $body = $action eq 'supplement' ? example("1.001612")
             : $action eq 'rating' ? '{"rating":"dissatisfied"}' : '{"reason":"Tôi muốn rút hồ sơ"}';
    my @cases = (
        [ "lookup, wrong token" => $lookup ],
        [ "$action, no token"   => citizen_post($c, $action, undef, $body) ],
        [ "$action, wrong token" => citizen_post($c, $action, $WRONG, $body) ],
        [ "$action, ?token= wrong" => citizen_post($c, $action, $WRONG, $body, query => 1) ],
        [ "$action, other dossier's token" => citizen_post($c, $action, submit_dossier("1.001612")->{lookup_token}, $body) ],
    );
    all_alike($action, @cases);
}
is(dossier($c)->{status}, 1, "the dossier is still submitted");
is(dossier($c)->{ver} // 0, 0, "nothing applied to it (ver)");
is(scalar(grep { ($_->{code} // '') eq $c } inbox()), 1, "the back-end's inbox holds its submission alone");
--- no_error_log
[error]



=== TEST 4: events: no signature, a wrong key, a tampered body, another dossier's path, a signature header twice: 401, nothing applied; unknown or existing code alike
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
my $c = $d->{code};
my $u = neighbour($c, 9999);
my $ev = '{"id":"evt-closed-1","type":"refuse","reason":"Hồ sơ không thuộc thẩm quyền giải quyết"}';
utf8::encode($ev);
my $send = sub {
    my ($code, $body, $headers) = @_;
    http_request("POST /dvc/v1/dossiers/$code/events\n$body",
                 more_headers => "Content-Type: application/json\n" . ($headers // ''));
};
my $t = sub { "/dvc/v1/dossiers/$_[0]/events" };
my $ts = time;
my %bad = (
    "no signature"      => sub { $send->($_[0], $ev) },
    "no timestamp"      => sub { (my $h = signed_headers("POST", $t->($_[0]), $ev)) =~ s/^X-DVC-Timestamp:.*\n//m; $send->($_[0], $ev, $h) },
    "a wrong key"       => sub { $send->($_[0], $ev, signed_headers("POST", $t->($_[0]), $ev, key => "f" x 64)) },
    "a tampered body"   => sub { (my $b = $ev) =~ s/refuse/accept/; $send->($_[0], $b, signed_headers("POST", $t->($_[0]), $ev)) },
    "a body with a byte added" => sub { $send->($_[0], "$ev ", signed_headers("POST", $t->($_[0]), $ev)) },
    "another dossier's path" => sub { $send->($_[0], $ev, signed_headers("POST", $t->(neighbour($c, 7)), $ev)) },
    "a timestamp moved" => sub { (my $h = signed_headers("POST", $t->($_[0]), $ev, ts => $ts)) =~ s/X-DVC-Timestamp: \d+/"X-DVC-Timestamp: " . ($ts + 1)/e; $send->($_[0], $ev, $h) },
    "a stale signature" => sub { $send->($_[0], $ev, signed_headers("POST", $t->($_[0]), $ev, ts => $ts - 301)) },
    "a signature in capitals" => sub { (my $h = signed_headers("POST", $t->($_[0]), $ev)) =~ s/v1=(\w+)/"v1=" . uc $1/e; $send->($_[0], $ev, $h) },
    "a signature cut short" => sub { (my $h = signed_headers("POST", $t->($_[0]), $ev)) =~ s/v1=(\w+)\w{2}/v1=$1/; $send->($_[0], $ev, $h) },
    # a header of the scheme twice: a proxy keeping the last one must not
    # see another request than ours, so neither copy is believed
    "a forged signature after the genuine one" => sub { my $h = signed_headers("POST", $t->($_[0]), $ev, ts => $ts); $send->($_[0], $ev, $h . "X-DVC-Signature: v1=" . ("f" x 64) . "\n") },
    "a genuine signature after a forged one" => sub { my $h = signed_headers("POST", $t->($_[0]), $ev, ts => $ts); $h =~ s/^(X-DVC-Signature:)/X-DVC-Signature: v1=@{["f" x 64]}\n$1/m; $send->($_[0], $ev, $h) },
    "the genuine signature twice, in two cases" => sub { my $h = signed_headers("POST", $t->($_[0]), $ev, ts => $ts); my ($s) = $h =~ /^X-DVC-Signature: (\S+)/m; $send->($_[0], $ev, $h . "x-dvc-signature: $s\n") },
    "a second timestamp" => sub { $send->($_[0], $ev, signed_headers("POST", $t->($_[0]), $ev, ts => $ts) . "x-dvc-timestamp: " . ($ts + 1) . "\n") },
);
my %expect = ("no signature" => "signature_missing", "no timestamp" => "signature_missing",
              "a stale signature" => "signature_stale", "a signature in capitals" => undef,
              "a signature cut short" => undef,
              map { $_ => "signature_ambiguous" } "a forged signature after the genuine one",
                  "a genuine signature after a forged one", "the genuine signature twice, in two cases",
                  "a second timestamp");
for my $name (sort keys %bad) {
    my $r = $bad{$name}->($c);
    is($r->{status}, 401, "$name: 401");
    my $want = exists $expect{$name} ? $expect{$name} : "signature_invalid";
    like($r->{body}, qr/"error":"\Q$want\E"/, "$name: $want") if defined $want;
    like($r->{body}, qr/"error":"signature_(?:missing|invalid)"/, "$name: refused as unsigned or invalid") unless defined $want;
    # the same forgery against a code that does not exist: the same answer
    is(shape($bad{$name}->($u)), shape($r), "$name: an unknown code answers alike (no oracle for codes)");
}
is(dossier($c)->{status}, 1, "the dossier is still submitted");
is(dossier($c)->{"e:evt-closed-1"}, undef, "no event recorded");
# the genuine one applies
my $ok = $send->($c, $ev, signed_headers("POST", $t->($c), $ev));
is($ok->{status}, 200, "the back-end's own signature: applied");
is(dossier($c)->{status}, 3, "refused (3)");
--- no_error_log
[error]
