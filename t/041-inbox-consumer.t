# The inbox consumer protocol (docs/inbox.md) end to end: dossiers submitted
# through nginx land in dvc:inbox, and examples/inbox-consumer.py (consumer
# group, XREADGROUP, XACK, XPENDING/XCLAIM, XTRIM) hands each to its handler
# once, takes over what a crashed consumer left, and leaves nothing pending.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use JSON::PP;


our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8;

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }
sub post { "POST /dvc/v1/dossiers\n" . $_[0] }
sub slurp { local $/; open my $f, '<', $_[0] or return undef; <$f> }

# runs the example consumer against the harness's Redis; returns its output
sub consumer {
    my ($out, @args) = @_;
    my $cmd = join ' ', "/usr/bin/python3", "$ROOT/examples/inbox-consumer.py",
        "--port", redis_port(), "--out", $out, "--once", @args;
    my $text = `$cmd 2>&1`;
    main::is($? >> 8, 0, "consumer exits 0 (@args)") or main::diag($text);
    return $text;
}

sub codes { map { $J->decode($_->{body})->{code} } grep { $_->{status} == 201 } responses() }

gateway_defaults(json => 1);

run_tests();

__DATA__

=== TEST 1: two dossiers submitted through nginx are processed once each, nothing left pending
--- requests eval
[main::post(main::example("1.001612")), main::post(main::example("1.001193"))]
--- error_code eval
[201, 201]
--- post_init
my @codes = main::codes();
is(scalar @codes, 2, "two dossiers recorded");
is(redis_cmd('XLEN', 'dvc:inbox'), 2, "two inbox entries");
my $out = File::Temp::tempdir(CLEANUP => 1);
my $text = main::consumer($out, "--consumer", "w1");
for my $c (@codes) {
    like($text, qr/^processed \Q$c\E \d+-\d+ /m, "consumer processed $c");
}
like($text, qr/^done: 2 entries handled$/m, "two entries handled");
is(main::slurp("$out/$codes[0].json"), main::example("1.001612"), "handler got the body byte for byte");
is(main::slurp("$out/$codes[1].json"), main::example("1.001193"), "second body byte for byte");
my $pending = redis_cmd('XPENDING', 'dvc:inbox', 'backend');
is($pending->[0], 0, "the group has no pending entries");
my $groups = redis_cmd('XINFO', 'GROUPS', 'dvc:inbox');
my %g = @{ $groups->[0] };
is($g{name}, 'backend', "consumer group 'backend' created");
# a second pass finds nothing new: each dossier is handed over once
$text = main::consumer($out, "--consumer", "w1");
unlike($text, qr/^processed/m, "second pass processes nothing");
like($text, qr/^done: 0 entries handled$/m, "second pass handles 0");
# acknowledged entries may then be trimmed, and only those
$text = main::consumer($out, "--consumer", "w1", "--trim");
like($text, qr/^trimmed 2 entries$/m, "both acknowledged entries trimmed");
is(redis_cmd('XLEN', 'dvc:inbox'), 0, "stream empty after trim");

=== TEST 2: a crashed consumer's entries are claimed; one it had processed before the crash is not processed twice
--- requests eval
[main::post(main::example("1.002820")), main::post(main::example("2.000488")), main::post(main::example("1.009994"))]
--- error_code eval
[201, 201, 201]
--- post_init
my @codes = main::codes();
is(scalar @codes, 3, "three dossiers recorded");
redis_cmd('XGROUP', 'CREATE', 'dvc:inbox', 'backend', '0', 'MKSTREAM');
# consumer "crashed" read the first two entries and died before XACK
my $got = redis_cmd('XREADGROUP', 'GROUP', 'backend', 'crashed', 'COUNT', '2',
                    'STREAMS', 'dvc:inbox', '>');
is(scalar @{ $got->[0][1] }, 2, "the crashed consumer held two entries");
my $first_id = $got->[0][1][0][0];
my $out = File::Temp::tempdir(CLEANUP => 1);
# it had finished the first one's work (its handler's output exists)
open my $f, '>', "$out/$codes[0].json" or die; print $f main::example("1.002820"); close $f;
# a short claim threshold: the test does not wait a minute
my $text = main::consumer($out, "--consumer", "w2", "--claim-idle", "0");
like($text, qr/^claimed \Q$first_id\E from crashed/m, "entry of the crashed consumer claimed");
like($text, qr/^skipped \Q$codes[0]\E .*already processed/m, "already processed dossier skipped, not redone");
like($text, qr/^processed \Q$codes[1]\E /m, "claimed dossier processed");
like($text, qr/^processed \Q$codes[2]\E /m, "new dossier processed");
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 0, "no pending entries left");
is(main::slurp("$out/$codes[1].json"), main::example("2.000488"), "claimed body byte for byte");

=== TEST 3: an entry that keeps failing is parked in dvc:inbox:dead instead of looping
--- request eval
main::post(main::example("1.001612"))
--- error_code: 201
--- post_init
redis_cmd('XGROUP', 'CREATE', 'dvc:inbox', 'backend', '0', 'MKSTREAM');
my $got = redis_cmd('XREADGROUP', 'GROUP', 'backend', 'crashed', 'STREAMS', 'dvc:inbox', '>');
my $id = $got->[0][1][0][0];
# delivered (and lost) four more times
redis_cmd('XCLAIM', 'dvc:inbox', 'backend', 'crashed', '0', $id) for 1 .. 4;
my $out = File::Temp::tempdir(CLEANUP => 1);
my $text = main::consumer($out, "--consumer", "w3", "--claim-idle", "0", "--max-deliveries", "5");
like($text, qr/^dead-lettered \Q$id\E after 5 deliveries/m, "poison entry dead-lettered");
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 0, "not pending any more");
my $dead = redis_cmd('XRANGE', 'dvc:inbox:dead', '-', '+');
my %e = @{ $dead->[0][1] };
is($e{id}, $id, "dead letter names the original entry");
is($e{body}, main::example("1.001612"), "dead letter keeps the body");

=== TEST 4: --trim never drops an entry a group has not acknowledged: one pending, then a second group that read nothing
--- requests eval
[main::post(main::example("1.001612")), main::post(main::example("1.001193")), main::post(main::example("1.002820"))]
--- error_code eval
[201, 201, 201]
--- post_init
my @codes = main::codes();
redis_cmd('XGROUP', 'CREATE', 'dvc:inbox', 'backend', '0', 'MKSTREAM');
# a worker took the first entry and died before XACK
my $got = redis_cmd('XREADGROUP', 'GROUP', 'backend', 'crashed', 'COUNT', '1',
                    'STREAMS', 'dvc:inbox', '>');
my $first = $got->[0][1][0][0];
my $out = File::Temp::tempdir(CLEANUP => 1);
# not idle long enough to be claimed: w1 handles the two others and trims
my $text = main::consumer($out, "--consumer", "w1", "--trim");
like($text, qr/^processed \Q$codes[1]\E /m, "second dossier processed");
like($text, qr/^processed \Q$codes[2]\E /m, "third dossier processed");
is(redis_cmd('XLEN', 'dvc:inbox'), 3, "nothing trimmed: the first entry is still pending");
is(redis_cmd('XRANGE', 'dvc:inbox', $first, $first)->[0][0], $first, "the pending entry is still readable");
# a second group (an archive, statistics) that has read nothing yet
redis_cmd('XGROUP', 'CREATE', 'dvc:inbox', 'audit', '0');
$text = main::consumer($out, "--consumer", "w1", "--trim", "--claim-idle", "0");
like($text, qr/^claimed \Q$first\E from crashed/m, "the crashed worker's entry claimed");
is(redis_cmd('XPENDING', 'dvc:inbox', 'backend')->[0], 0, "backend acknowledged everything");
is(redis_cmd('XLEN', 'dvc:inbox'), 3, "still nothing trimmed: group audit has read none of them");
# audit reads two and acknowledges one: only what both groups are done with goes
$got = redis_cmd('XREADGROUP', 'GROUP', 'audit', 'a1', 'COUNT', '2', 'STREAMS', 'dvc:inbox', '>');
redis_cmd('XACK', 'dvc:inbox', 'audit', $got->[0][1][0][0]);
main::consumer($out, "--consumer", "w1", "--trim");
is(redis_cmd('XLEN', 'dvc:inbox'), 2, "one trimmed: audit's second entry is pending, the third undelivered");
is(redis_cmd('XRANGE', 'dvc:inbox', '-', '+')->[0][0], $got->[0][1][1][0], "the oldest left is audit's pending one");
redis_cmd('XACK', 'dvc:inbox', 'audit', $got->[0][1][1][0]);
redis_cmd('XREADGROUP', 'GROUP', 'audit', 'a1', 'STREAMS', 'dvc:inbox', '>');
main::consumer($out, "--consumer", "w1", "--trim");
is(redis_cmd('XLEN', 'dvc:inbox'), 1, "audit's last entry delivered, not acknowledged: kept");
