# The official JSON Schema suite through the command line, as a user would
# reproduce it: every case of every draft2020-12 file (tests/ and
# tests/optional/, formats included) as a schema file and a document file,
# judged by `dvc validate --spec --remotes SUITE/remotes` (plus
# --format-assertion in optional/format/) and nothing else: no map, no
# meta-schema folder (the 2020-12 ones are built in), no network.  Exit 0
# must be the suite's "valid", exit 1 its "invalid", for every case but
# those of t/conformance/known-failures.txt (their reasons are there and in
# docs/validator.md).  The cases are written out by t/conformance/export.py,
# which keeps number texts and member order as the suite has them.  Then
# what --spec changes: without it our defaults (format asserted, strings
# compared in NFC) answer otherwise.  No nginx, no Redis: only build/dvc.
use strict;
use warnings;
use FindBin;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;

my $ROOT = "$FindBin::Bin/..";
my $DVC = "$ROOT/build/dvc";
my $SUITE = $ENV{DVC_SCHEMA_SUITE} // "$ROOT/../shared/conformance/json-schema-test-suite";
-x $DVC or plan skip_all => "build/dvc not built (make build/dvc)";
-d "$SUITE/tests/draft2020-12" or BAIL_OUT("no suite at $SUITE");

my $tmp = tempdir(CLEANUP => 1);
system('python3', "$ROOT/t/conformance/export.py", $SUITE, "$tmp/cases") == 0
    or BAIL_OUT('export.py failed');

sub slurp { local $/; open my $f, '<:raw', $_[0] or die "$_[0]: $!"; scalar(<$f>) // '' }

my %known;
for (split /\n/, slurp("$ROOT/t/conformance/known-failures.txt")) {
    next if /^#/ || !/\S/;
    s/\s+#.*//;
    $known{$_} = 1;
}

my (%files, @order);
open my $m, '<:raw', "$tmp/cases/manifest.jsonl" or die;
while (my $line = <$m>) {
    my $c = decode_json($line);
    push @order, $c->{file} unless $files{$c->{file}};
    push @{ $files{$c->{file}} }, $c;
}
close $m;
cmp_ok(scalar @order, '>=', 80, scalar(@order) . ' files of the suite');

my ($total, $passed, $known_seen) = (0, 0, 0);
for my $file (@order) {
    my @bad;
    my $n = 0;
    for my $c (@{ $files{$file} }) {
        my @opt = ('--spec', $c->{format} ? ('--format-assertion') : (),
                   '--remotes', "$SUITE/remotes");
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', "$tmp/err";
            exec $DVC, 'validate', @opt, $c->{schema}, $c->{data};
            exit 127;
        }
        waitpid $pid, 0;
        my $rc = $? >> 8;
        my $want = $c->{valid} ? 0 : 1;
        $total++;
        if ($rc == $want) {
            $n++;
            $passed++;
            next;
        }
        my $key = "$c->{file}|$c->{group}|$c->{test}";
        if ($known{$key}) {
            $known_seen++;
            next;
        }
        push @bad, "$c->{group} | $c->{test}: exit $rc, the suite says "
                   . ($c->{valid} ? 'valid' : 'invalid')
                   . ($rc == 2 ? ': ' . slurp("$tmp/err") : '');
    }
    ok(!@bad, "$file: $n/" . scalar(@{ $files{$file} }) . ' as the suite says')
        or diag(join("\n", @bad));
}
note("dvc validate --spec: $passed/$total cases as the suite says, "
     . "$known_seen known failures");
is($passed + $known_seen, $total, "every case but the known failures");

# --spec is what makes the difference: our defaults assert format and
# compare strings in NFC
my $schema = "$tmp/s.json";
open my $f, '>:raw', $schema or die; print $f '{"format":"ipv4"}'; close $f;
open $f, '>:raw', "$tmp/d.json" or die; print $f '"not an address"'; close $f;
system("$DVC validate $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 1, 'our default: format asserted');
system("$DVC validate --spec $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 0, '--spec: format an annotation');
system("$DVC validate --spec --format-assertion $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 1, '--spec --format-assertion: asserted');
open $f, '>:raw', $schema or die; print $f "{\"const\":\"H\xc3\xa0\"}"; close $f;
open $f, '>:raw', "$tmp/d.json" or die; print $f "\"Ha\xcc\x80\""; close $f;
system("$DVC validate $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 0, 'our default: a decomposed string equals the composed one');
system("$DVC validate --spec $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 1, '--spec: code point by code point');
system("$DVC validate --format-assertion $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 2, '--format-assertion without --spec: a wrong call');
system("$DVC validate --spec --spec $schema $tmp/d.json > /dev/null 2>&1");
is($? >> 8, 2, '--spec twice: refused');

done_testing();
