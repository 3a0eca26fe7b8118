# `make demo` pays (issue 19): scripts/demo.sh start, as the README's first
# command runs it (without the dependency step), on free ports in a
# directory of its own, with the back-end at a fast pace.  The demo starts
# the VNPAY simulator and its citizens pay the fees the back-end asks for
# through it; this test then reads every seeded dossier back through the
# lookup and checks, from the lookups and the schemas alone, that at least
# one went 6 -> 4 through the provider with a signed receipt for its
# procedure's fee, and that the report's paid_online and
# fees_collected_online are what those lookups add up to; and that the
# demo's citizens uploaded PDFs and JPEGs that their dossiers reference, as
# the back-end fetches them and the citizen's signed receipt names them.
# Then scripts/demo.sh stop, and nothing of it is left running.
use strict;
use warnings;
use FindBin;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use HTTP::Tiny;
use JSON::PP;
use Digest::SHA ();

my $ROOT = "$FindBin::Bin/..";
plan skip_all => "build the module first (make)" unless -f "$ROOT/build/ngx_http_dvc_module.so"
                                                      && -x "$ROOT/build/dvc";

my $J = JSON::PP->new->utf8->canonical;
my $RUN = tempdir(CLEANUP => 1);
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1) or die "$!";
    my $p = $s->sockport;
    close $s;
    return $p;
}
my ($port, $rport, $sport) = (free_port(), free_port(), free_port());
$ENV{DVC_DEMO_RUN} = $RUN;
$ENV{DVC_DEMO_PORT} = $port;
$ENV{DVC_DEMO_REDIS_PORT} = $rport;
$ENV{DVC_DEMO_SIM_PORT} = $sport;
$ENV{DVC_DEMO_SPEED} = 0.3;
delete $ENV{DVC_DEMO_FOREGROUND};
my $GW = "http://127.0.0.1:$port/dvc/v1";
my $http = HTTP::Tiny->new(timeout => 10);

sub vn_today { my @g = gmtime(time + 7 * 3600); sprintf("%04d-%02d-%02d", $g[5] + 1900, $g[4] + 1, $g[3]) }
my $from = vn_today();

my $out = `$ROOT/scripts/demo.sh start < /dev/null 2>&1`;
my $rc = $? >> 8;
END { system("$ROOT/scripts/demo.sh stop > /dev/null 2>&1") if $RUN && -d $RUN }
is($rc, 0, "scripts/demo.sh start: 0") or diag($out);
like($out, qr/VNPAY simulator on 127\.0\.0\.1:$sport/, "it says fees are paid through the simulator");
ok(-s "$RUN/vnpay-sim.pid" && -s "$RUN/citizen.pid" && -s "$RUN/backend.pid",
   "simulator, citizens and back-end running");

# the fees, from the schemas themselves
my %fee;
for my $f (glob "$ROOT/schemas/*.json") {
    open my $fh, '<', $f or die;
    my $x = $J->decode(do { local $/; <$fh> })->{'x-dvc'};
    $fee{$x->{code}} = $x->{fee};
}

open my $sf, '<', "$RUN/seeded" or die "no seeded file";
my @seeded = map { [split] } grep { /\S/ } <$sf>;
close $sf;
is(scalar @seeded, 8, "8 dossiers seeded");

sub lookup {
    my ($code, $token) = @_;
    my $r = $http->get("$GW/dossiers/$code", { headers => { 'X-DVC-Lookup-Token' => $token } });
    return $r->{status} == 200 ? $J->decode($r->{content}) : undef;
}

# until every dossier has come to rest: closed (3, 8, 9, 10) or waiting
# for a supplement (5) that nobody sends
my %d;
my $deadline = time + 120;
while (time < $deadline) {
    my $busy = 0;
    for my $s (@seeded) {
        my $l = lookup(@$s);
        $d{$s->[0]} = $l if $l;
        $busy++ unless $l && $l->{status_number} =~ /^(3|5|8|9|10)$/;
    }
    last unless $busy;
    sleep 1;
}
is(scalar(grep { $_->{status_number} =~ /^(3|5|8|9|10)$/ } values %d), 8,
   "every dossier came to rest within 2 minutes")
    or diag(join ", ", map { "$_ $d{$_}{status_number}" } sort keys %d);

# what the lookups say was paid, checked one by one
my ($paid, $fees) = (0, 0);
for my $code (sort keys %d) {
    my $l = $d{$code};
    next unless $l->{payment};
    my @h = @{ $l->{history} };
    my ($ask) = grep { $_->{status_number} == 6 } @h;
    my ($pay) = grep { ($_->{type} // '') eq 'payment' } @h;
    my $want = $fee{$l->{procedure}};
    ok($ask && $pay, "$code: asked to pay (6), then paid (history)");
    is($pay->{status_number}, 4, "$code: the payment moved it to 4");
    is($pay->{actor}, 'vnpay', "$code: ... by the provider's notice");
    is($l->{payment}{amount}, $want, "$code: paid the procedure's fee, $want VND");
    like($l->{payment}{receipt}, qr/^[\w-]+\.[\w-]+\.[\w-]+$/, "$code: a signed payment receipt");
    $paid++;
    $fees += $l->{payment}{amount};
}
ok($paid >= 1, "at least one dossier was paid through the simulator ($paid)");

# one receipt verified with the gateway's published keys (python3-jwcrypto)
if (my ($one) = grep { $_->{payment} } values %d) {
    my $jwks = "$RUN/jwks.json";
    open my $jf, '>', $jwks or die; print $jf $http->get("$GW/keys")->{content}; close $jf;
    my $v = `printf '%s' '$one->{payment}{receipt}' | /usr/bin/python3 $FindBin::Bin/util/jws_verify.py $jwks`;
    is($? >> 8, 0, "the payment receipt verifies against GET /dvc/v1/keys");
    is(eval { $J->decode($v)->{amount} }, $one->{payment}{amount}, "... and says the amount paid");
}

my $to = vn_today();
my $r = $http->get("$GW/stats?from=$from&to=$to");
is($r->{status}, 200, "the report: 200");
my $s = $J->decode($r->{content});
is($s->{paid_online}, $paid, "report: paid_online = the dossiers the lookups show paid");
is($s->{fees_collected_online}, $fees, "report: fees_collected_online = their amounts, $fees VND");

my $cl = do { local $/; open my $f, '<', "$RUN/citizen.log" or die; <$f> };
like($cl, qr/: paid \d+ VND through vnpay/, "the citizens' log says what they paid");
unlike($cl, qr/lookup_token|X-DVC-Lookup-Token/i, "... and no token");

# the documents (issue 14): the demo's citizens uploaded each paper their
# dossier lists (POST /uploads: PDFs and JPEGs) and named them by hash.
# What the back-end sees: its inbox entry's documents, each fetched from
# GET /dvc/v1/documents/{sha256} signed with the demo's event key, the
# bytes hashed and sniffed here; what the citizen sees: the signed receipt
# (form 01), verified with the JWKS, naming the same hashes.
{
    my $ek = do { local $/; open my $f, '<', "$RUN/keys/event.key" or die; <$f> };
    $ek =~ s/\s+\z//;
    my $py = 'import json, sys, redis; r = redis.Redis(port=int(sys.argv[1]), decode_responses=True); '
           . 'print(json.dumps([f for _, f in r.xrange("dvc:inbox") if f.get("documents")]))';
    my $entries = $J->decode(`/usr/bin/python3 -c '$py' $rport` || "[]");
    my %inbox = map { ($_->{code} => $_) } @$entries;
    is(scalar(grep { $inbox{$_->[0]} } @seeded), scalar @seeded,
       "every seeded dossier reached the back-end's inbox with its documents");
    my $jwks = "$RUN/jwks-docs.json";
    open my $jf, '>', $jwks or die; print $jf $http->get("$GW/keys")->{content}; close $jf;
    my (%types, $both);
    for my $s (@seeded) {
        my ($code, $token) = @$s;
        my $e = $inbox{$code} or next;
        # the entry's values are text already (decoded from the JSON above)
        my $docs = JSON::PP->new->decode($e->{documents});
        my $body = JSON::PP->new->decode($e->{body});
        is_deeply([ map { $_->{sha256} } @$docs ], [ map { $_->{sha256} } @{ $body->{documents} } ],
                  "$code: the inbox's documents are the ones the dossier names");
        my %t;
        for my $d (@$docs) {
            my $target = "/dvc/v1/documents/$d->{sha256}";
            my $ts = time;
            my $mac = Digest::SHA::hmac_sha256_hex("$ts\nGET\n$target\n", $ek);
            my $r = $http->get("http://127.0.0.1:$port$target",
                               { headers => { 'X-DVC-Timestamp' => $ts, 'X-DVC-Signature' => "v1=$mac" } });
            my $magic = $d->{type} eq 'application/pdf' ? qr/^%PDF-/ : $d->{type} eq 'image/jpeg' ? qr/^\xff\xd8\xff/ : qr/^\x89PNG/;
            ok($r->{status} == 200 && Digest::SHA::sha256_hex($r->{content}) eq $d->{sha256}
               && length($r->{content}) == $d->{size} && $r->{content} =~ $magic
               && ($r->{headers}{'content-type'} // '') eq $d->{type},
               "$code: the back-end fetches its $d->{kind} ($d->{type}, $d->{size} bytes), the bytes hash to its name")
                or diag("$r->{status} " . ($r->{headers}{'content-type'} // ''));
            $t{$d->{type}}++;
            $types{$d->{type}}++;
        }
        $both++ if $t{'application/pdf'} && $t{'image/jpeg'};
        my $rr = $http->get("$GW/dossiers/$code/receipt", { headers => { 'X-DVC-Lookup-Token' => $token } });
        next unless $rr->{status} == 200;            # refused or never accepted
        my $jws = $J->decode($rr->{content})->{receipt};
        my $v = `printf '%s' '$jws' | /usr/bin/python3 $FindBin::Bin/util/jws_verify.py $jwks`;
        my $p = $? == 0 ? eval { $J->decode($v) } : undef;
        is_deeply([ map { $_->{sha256} } @{ $p->{documents} // [] } ], [ map { $_->{sha256} } @$docs ],
                  "$code: the citizen's signed receipt names the same files");
    }
    ok($types{'application/pdf'} && $types{'image/jpeg'},
       "the demo uploaded PDFs and JPEGs: " . join(", ", map { "$types{$_} $_" } sort keys %types));
    ok($both, "and submitted dossiers that reference a PDF and a JPEG together ($both)");
}

$out = `$ROOT/scripts/demo.sh stop 2>&1`;
like($out, qr/demo: stopped/, "scripts/demo.sh stop");
for my $p ($port, $rport, $sport) {
    ok(!IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p"), "nothing listens on $p any more");
}
ok(!-s "$RUN/$_.pid", "$_ stopped") for qw(nginx vnpay-sim citizen backend redis);

done_testing();
