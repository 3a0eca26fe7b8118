# build/dvc documents gc DIR: the uploads no Redis record keeps are
# removed; recorded ones, a dossier's, files too recent (an upload in
# progress) and names that are not store files are left alone.  Real
# nginx stores the files, real Redis holds (or lost) their records.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Uploads;
use Digest::SHA qw(sha256_hex);

gateway_defaults(extra_http => "    dvc_documents \$TEST_NGINX_SERVROOT/documents;\n");

add_block_preprocessor(sub {
    my $block = shift;
    $block->{init} = ["main::clear_store();"] unless exists $block->{init};
});

sub path_of { my $s = sha256_hex($_[0]); store_dir() . "/" . substr($s, 0, 2) . "/$s" }
sub age { my ($p, $secs) = @_; my $t = time - $secs; utime($t, $t, $p) or die "utime $p: $!" }

sub gc {
    my (@o) = @_;
    my $out = `$ENV{TEST_NGINX_ROOT_DIR}/build/dvc documents gc @{[ store_dir() ]} --redis 127.0.0.1:@{[ redis_port() ]} @o 2>&1`;
    return ($? >> 8, $out);
}

$ENV{TEST_NGINX_ROOT_DIR} = "$FindBin::Bin/..";

run_tests();

__DATA__

=== TEST 1: expired uploads go; recorded, a dossier's, recent ones and strangers stay
--- request
GET /dvc/v1/keys
--- post_init
my %f = map { $_ => pdf_file("gc-$_") } qw(live expired owned recent);
is(upload("application/pdf", $f{$_})->{status}, 201, "$_ uploaded") for sort keys %f;
# expired: its record is gone; owned: a dossier's, no TTL
redis_cmd('DEL', "dvc:up:" . sha256_hex($f{expired}));
redis_cmd('HSET', "dvc:up:" . sha256_hex($f{owned}), dossier => '000.00.10.H47-261121-0001');
redis_cmd('PERSIST', "dvc:up:" . sha256_hex($f{owned}));
# recent: no record either, but written a minute ago (an upload between
# its rename and its record)
redis_cmd('DEL', "dvc:up:" . sha256_hex($f{recent}));
main::age(main::path_of($f{$_}), 7200) for qw(live expired owned);
main::age(main::path_of($f{recent}), 60);
# names gc must never touch
my $d = store_dir();
mkdir "$d/zz"; open my $x, '>', "$d/zz/notes.txt"; close $x;
open $x, '>', "$d/README"; close $x;
my $misplaced = "$d/00/" . ("ab" x 32);
mkdir "$d/00"; open $x, '>', $misplaced; close $x; main::age($misplaced, 7200);

my ($rc, $out) = main::gc("--dry-run");
is($rc, 0, "dry run: exit 0");
like($out, qr/would remove/, "dry run: says what");
ok(-f main::path_of($f{expired}), "dry run: nothing removed");

($rc, $out) = main::gc();
is($rc, 0, "exit 0") or diag($out);
like($out, qr/4 file\(s\): 2 kept \(recorded\), 1 too recent, 1 removed, 0 put back, 0 failed/, "the summary");
ok(!-e main::path_of($f{expired}), "the expired upload is gone");
ok(-f main::path_of($f{$_}), "$_ stays") for qw(live owned recent);
ok(-f "$d/zz/notes.txt" && -f "$d/README" && -f $misplaced, "other names are never touched");
my @aside = glob("$d/*/.gc-*");
is(scalar @aside, 0, "nothing left aside");
# the expired file uploaded again: stored again
my $r = upload("application/pdf", $f{expired});
is($r->{status}, 201, "uploaded again: 201");
ok(-f main::path_of($f{expired}), "and stored");
--- no_error_log
[error]



=== TEST 2: an upload of a file already stored refreshes its time, so gc keeps it for the new record
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("gc2");
upload("application/pdf", $pdf);
main::age(main::path_of($pdf), 7200);
redis_cmd('DEL', "dvc:up:" . sha256_hex($pdf));
# uploaded again: the same bytes are there, their time is now
is(upload("application/pdf", $pdf)->{status}, 201, "201");
ok(time - (stat main::path_of($pdf))[9] < 60, "the stored file's time is refreshed");
redis_cmd('DEL', "dvc:up:" . sha256_hex($pdf));
my ($rc, $out) = main::gc();
like($out, qr/1 too recent, 0 removed/, "gc leaves it (its record would follow)");
--- no_error_log
[error]



=== TEST 3: Redis unreachable: exit 1, nothing removed
--- request
GET /dvc/v1/keys
--- post_init
my $pdf = pdf_file("gc3");
upload("application/pdf", $pdf);
main::age(main::path_of($pdf), 7200);
redis_stop();
my ($rc, $out) = main::gc();
is($rc, 1, "exit 1");
like($out, qr/redis/i, "says why");
ok(-f main::path_of($pdf), "nothing removed");
redis_start();
my $bad = `$ENV{TEST_NGINX_ROOT_DIR}/build/dvc documents gc 2>&1`;
like($bad, qr/usage: dvc documents gc DIR/, "usage without DIR");
