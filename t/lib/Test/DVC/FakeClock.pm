# nginx on a fake clock, for the tests that script weeks of a province's work
# (t/069-transfer.t, t/070-stats.t): libfaketime preloaded into nginx only,
# reading a timestamp file this module rewrites, and the Vietnam-time and
# office-calendar arithmetic the tests use to compute what they expect.
#
#   use Test::DVC::FakeClock;     # BEFORE Test::Nginx::DVC (it reads the
#   use Test::Nginx::DVC;         # preload when it is loaded)
#   fake_clock_blocks();          # each block's nginx gets the clock's env
#   set_clock(vn("2026-11-23 08:00"));
#
# $FAKE is false when the sanitizers' runtime was preloaded by hand
# (TEST_NGINX_PRELOAD naming libasan): libfaketime cannot run beside it, and
# the fake-clock blocks say so and stop.
package Test::DVC::FakeClock;
use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use Time::Local qw(timegm);

our @EXPORT = qw(vn vn_iso vn_text vday set_clock midnight working office_due
                 fake_clock_blocks $FAKE $CLOCK);

our $FAKE;
our $CLOCK;

BEGIN {
    $FAKE = !grep { /libasan|libubsan/ } split /:/, ($ENV{TEST_NGINX_PRELOAD} // '');
    $ENV{TEST_NGINX_PRELOAD} = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1" if $FAKE;
}

# the fake clock, as libfaketime's "@YYYY-MM-DD hh:mm:ss" (UTC): starts where
# set_clock puts it and runs
$CLOCK = File::Temp::tempdir(CLEANUP => 1) . "/faketime";
$ENV{TZ} = 'UTC';
$ENV{FAKETIME_TIMESTAMP_FILE} = $CLOCK;
$ENV{FAKETIME_NO_CACHE} = 1;
$ENV{FAKETIME_DONT_FAKE_MONOTONIC} = 1;    # nginx's timers keep real time

# nginx passes the clock's variables on to its workers
sub fake_clock_blocks {
    Test::Nginx::DVC::add_block_preprocessor(sub {
        my $block = shift;
        $block->set_value(main_config => "env FAKETIME_TIMESTAMP_FILE;\n"
                                       . "env FAKETIME_NO_CACHE;\n"
                                       . "env FAKETIME_DONT_FAKE_MONOTONIC;\n");
    });
}

# "YYYY-MM-DD hh:mm" in Vietnam time -> Unix seconds
sub vn {
    my ($y, $m, $d, $H, $M) = $_[0] =~ /^(\d+)-(\d+)-(\d+)(?: (\d+):(\d+))?$/
        or die "bad time $_[0]";
    return timegm(0, $M // 0, $H // 0, $d, $m - 1, $y) - 7 * 3600;
}
sub vn_iso {
    my @g = gmtime($_[0] + 7 * 3600);
    sprintf("%04d-%02d-%02dT%02d:%02d:%02d+07:00", $g[5] + 1900, $g[4] + 1,
            $g[3], $g[2], $g[1], $g[0]);
}
sub vn_text { my @g = gmtime($_[0] + 7 * 3600);
    sprintf("%04d-%02d-%02d %02d:%02d", $g[5] + 1900, $g[4] + 1, $g[3], $g[2], $g[1]) }
sub vday { my @g = gmtime($_[0] + 7 * 3600); sprintf("%04d%02d%02d", $g[5] + 1900, $g[4] + 1, $g[3]) }
sub set_clock {
    my @g = gmtime($_[0]);
    open my $f, '>', "$CLOCK.new" or die;
    printf $f "@%04d-%02d-%02d %02d:%02d:%02d\n", $g[5] + 1900, $g[4] + 1,
           $g[3], $g[2], $g[1], $g[0];
    close $f;
    rename "$CLOCK.new", $CLOCK or die;
}

# The office calendar of the tests' weeks: Monday-Friday, 07:30-11:30 and
# 13:00-17:00, no holiday between 2025-06-09 and 2025-06-13 nor between
# 2026-11-23 and 2026-12-18 in calendar/vn-2025-2027.cal (the rules of
# docs/calendar.md written again here, not the gateway's code).
my @PERIODS = ([450, 690], [780, 1020]);
sub midnight { my $t = $_[0] + 7 * 3600; $t - $t % 86400 - 7 * 3600 }
sub working { my $wd = (gmtime($_[0] + 7 * 3600))[6]; $wd >= 1 && $wd <= 5 }
# the due time: counting starts at `at` (or the next office period; past the
# cut-off, minutes after midnight, the next working day) and runs `minutes`
# of office time
sub office_due {
    my ($at, $minutes, $cutoff) = @_;
    $at -= $at % 60;
    my $day = midnight($at);
    my $m = ($at - $day) / 60;
    if (!working($day) || (defined $cutoff && $m > $cutoff) || $m >= $PERIODS[-1][1]) {
        do { $day += 86400 } until working($day);
        $m = $PERIODS[0][0];
    }
    while (1) {
        for my $p (@PERIODS) {
            next if $m >= $p->[1];
            $m = $p->[0] if $m < $p->[0];
            my $left = $p->[1] - $m;
            return $day + ($m + $minutes) * 60 if $minutes <= $left;
            $minutes -= $left;
            $m = $p->[1];
        }
        do { $day += 86400 } until working($day);
        $m = $PERIODS[0][0];
    }
}

1;
