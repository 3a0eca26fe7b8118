# The gateway's verdict is the core library's verdict (issue 12): the same
# bodies go to nginx (a submission, and a citizen's supplement: the two
# streaming paths that validate a dossier), whole and chunked with cuts at
# every byte (near the fault, or sampled, for the large ones), and to `dvc validate --dossier`
# (core's intake over the same schemas/).  Every answer must be the CLI's:
# accepted exactly when it says valid, and otherwise the same status and, for
# 400 and 422, the same body byte for byte.  Nothing refused is recorded.
# The corpus has 99, 100, 101 and 10,000 violations and limits hit after the
# cap (the cap once turned invalid into valid: 201, recorded and signed).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use Time::HiRes qw(time);

gateway_defaults(extra_http => "    client_max_body_size 32m;\n");

our $ROOT = repo_root();

# {"procedure":"1.001193","zz0":0,...}: 4 + n violations; open: no '}'
sub many {
    my ($n, $open) = @_;
    my $b = '{"procedure":"1.001193"' . join('', map { ",\"zz$_\":$_" } 0 .. $n - 1);
    return $open ? $b : "$b}";
}

# name => [body, cuts: 'all' (every byte), 'tail' (every byte of the last
# 160, where the fault after the cap is, and 31 places before) or a number
# of places spread over it]
sub corpus {
    my $ex = example("1.001193");
    my $ex2 = example("1.001612");
    (my $bad2 = $ex2) =~ s/"employees":\s*\d+/'"employees":"ba",' . join(',', map { "\"u$_\":1" } 0 .. 98)/e
        or die "no employees in the example";
    (my $items = $ex2) =~ s/"business_lines":\s*\[/'"business_lines":[' . join(',', (1) x 100) . ','/e
        or die "no business_lines";
    (my $form = $ex2) =~ s/"form":\s*\{/'"form":{' . join('', map { "\"m$_\":0," } 0 .. 199_999)/e
        or die "no form";
    return (
        [ 'valid 1.001193',              $ex, 'all' ],
        [ 'valid 1.001612',              $ex2, 97 ],
        [ '99 violations',               many(95), 'all' ],
        [ '100 violations',              many(96), 'all' ],
        [ '101 violations',              many(97), 'all' ],
        [ '10,000 violations',           many(9996), 61 ],
        [ '1.001612 employees "ba" + 99 unknown', $bad2, 97 ],
        [ '100 wrong-typed business_lines', $items, 97 ],
        [ '200,000 members in form',     $form, 7 ],
        [ '10 MB string after the cap',  many(100, 1) . ',"s":"' . ('0123456789' x 1_048_576) . '"}', 5 ],
        [ '10,001 members after the cap', many(100, 1) . ',"o":{' . join(',', map { "\"k$_\":0" } 0 .. 10_000) . '}}', 31 ],
        [ 'nesting 70 deep after the cap', many(100, 1) . ',"d":' . ('[' x 70) . (']' x 70) . '}', 'tail' ],
        [ 'syntax error after the cap',  many(100, 1) . ',"x":tru}', 'tail' ],
        [ 'overlong UTF-8 after the cap', many(100, 1) . ",\"x\":\"\xc0\xaf\"}", 'tail' ],
        [ 'second document after the cap', many(100) . '{}', 'tail' ],
        [ 'ends early after the cap',    many(100, 1) . ',"x":[1,2', 'tail' ],
        [ 'procedure twice after the cap', many(100, 1) . ',"procedure":"1.001612"}', 'tail' ],
        [ 'unknown procedure',           '{"procedure":"9.999999","a":1}', 'all' ],
        [ 'no procedure',                '{"form":{}}', 'all' ],
    );
}

# what `dvc validate --dossier` says of each body, by name
sub cli_verdicts {
    my @c = @_;
    my $dir = servroot() . "/corpus";
    mkdir $dir;
    my @files;
    for my $i (0 .. $#c) {
        my $f = "$dir/$i.json";
        open my $fh, '>:raw', $f or die "$f: $!";
        print $fh $c[$i][1];
        close $fh;
        push @files, $f;
    }
    open my $p, '-|', "$ROOT/build/dvc", 'validate', '--dossier', "$ROOT/schemas", @files
        or die "dvc: $!";
    my @lines = <$p>;
    close $p;
    die "dvc validate --dossier gave " . scalar(@lines) . " lines for " . scalar(@c) . " bodies\n"
        unless @lines == @c;
    chomp @lines;
    my @v;
    for my $line (@lines) {
        my $v = $J->decode($line);
        # the answer's own bytes, as the core wrote them
        ($v->{raw_answer}) = $line =~ /^\{"verdict":"refused","status":\d+,"answer":(.*)\}\z/s;
        push @v, $v;
    }
    return @v;
}

# the cuts of a body: every byte, or n places spread over it
sub cuts_of {
    my ($len, $how) = @_;
    return (1 .. $len - 1) if $how eq 'all';
    return ((map { int(($len - 160) * $_ / 32) } 1 .. 31), $len - 160 .. $len - 1)
        if $how eq 'tail';
    return map { int($len * $_ / ($how + 1)) } 1 .. $how;
}

# POST the body chunked, one chunk ending at each cut (none: whole, with a
# Content-Length)
sub post_body {
    my ($target, $body, $headers, @cuts) = @_;
    my $head = "POST $target HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
             . "${headers}Connection: close\r\n";
    return http_request(raw => "${head}Content-Length: " . length($body) . "\r\n\r\n$body", timeout => 20)
        unless @cuts;
    my ($raw, $at) = ("${head}Transfer-Encoding: chunked\r\n\r\n", 0);
    for my $to (@cuts, length $body) {
        next if $to <= $at;
        $raw .= sprintf("%x\r\n", $to - $at) . substr($body, $at, $to - $at) . "\r\n";
        $at = $to;
    }
    return http_request(raw => "${raw}0\r\n\r\n", timeout => 20);
}

# "" if the answer is the CLI's verdict, else what differs
sub differs {
    my ($r, $v, $ok_status) = @_;
    if ($v->{verdict} eq 'valid') {
        return $r->{status} == $ok_status ? "" : "status $r->{status} for a valid body: "
            . substr($r->{body} // '', 0, 200);
    }
    return "status $r->{status}, the core says $v->{status}: " . substr($r->{body} // '', 0, 200)
        if $r->{status} != $v->{status};
    if ($v->{status} == 400 || $v->{status} == 422) {
        # byte for byte: the gateway sends core's own bytes
        return "" if defined $v->{raw_answer} && $v->{raw_answer} eq ($r->{body} // '');
        my $want = $J->encode($v->{answer});
        my $got = eval { $J->encode($J->decode($r->{body})) } // "(not JSON) $r->{body}";
        return "another answer:\n got  " . substr($got, 0, 300) . "\n want " . substr($want, 0, 300)
            if $got ne $want;
        return "the same JSON but other bytes";
    } else {
        my ($code) = ($r->{body} // '') =~ /"error":"([^"]+)"/;
        return "error \"" . ($code // '') . "\", the core says $v->{answer}{error}"
            if ($code // '') ne $v->{answer}{error};
    }
    return "";
}

# every cut of every body through one path; returns the number of 2xx
sub run_path {
    my ($what, $target, $headers, $ok_status, $corpus, $verdicts, $before, $after) = @_;
    my $accepted = 0;
    for my $i (0 .. $#$corpus) {
        my ($name, $body, $how) = @{ $corpus->[$i] };
        my $v = $verdicts->[$i];
        my ($n, $bad, $t0) = (0, "", time);
        for my $cuts ([], map { [$_] } cuts_of(length $body, $how)) {
            $before->() if $before;
            my $r = post_body($target->(), $body, $headers->(), @$cuts);
            $n++;
            my $d = differs($r, $v, $ok_status);
            $accepted++ if $r->{status} == $ok_status;
            $after->($r) if $after;
            if ($d ne "") { $bad = "cut at " . (@$cuts ? $cuts->[0] : "none (whole)") . ": $d"; last }
        }
        note(sprintf("%s %s: %.1f s", $what, $name, time - $t0)) if $ENV{DIFF_TIMES};
        is($bad, "", "$what, $name: the core's verdict ($v->{verdict}"
           . ($v->{status} ? " $v->{status}" : "") . ") for all $n deliveries");
    }
    return $accepted;
}

run_tests();

__DATA__

=== TEST 1: submissions: every delivery of every body gets the core's verdict; only valid ones are recorded
--- request
GET /dvc/v1/keys
--- post_init
my @c = main::corpus();
my @v = main::cli_verdicts(@c);
is($v[2]{verdict}, "refused", "the core refuses 99 violations");
is($v[3]{answer}{error}, "validation_failed", "and 100");
is(scalar @{ $v[5]{answer}{violations} }, 100, "10,000 violations: 100 listed");
is($v[9]{answer}{error}, "limit_string", "a 10 MB string after the cap is limit_string");
my $n = main::run_path("submission", sub { "/dvc/v1/dossiers" }, sub { "" }, 201, \@c, \@v);
ok($n > 0, "some valid deliveries were accepted ($n)");
is(redis_cmd('XLEN', 'dvc:inbox'), $n, "the inbox holds exactly the $n accepted submissions, nothing refused");
my @keys = grep { /^dvc:d:/ } @{ redis_cmd('KEYS', 'dvc:d:*') };
is(scalar @keys, $n, "and Redis $n dossiers");



=== TEST 2: supplements (a dossier in status 5): the same verdicts; a refused one leaves the dossier in 5
--- request
GET /dvc/v1/keys
--- post_init
# (a body of another procedure is refused first as procedure_mismatch);
# 31 cuts a body here: every byte is the submissions' test
my @c = map { [ $_->[0], $_->[1], $_->[2] =~ /^\d+$/ && $_->[2] < 31 ? $_->[2] : 31 ] } grep { $_->[1] !~ /1\.001612|9\.999999/ } main::corpus();
my @v = main::cli_verdicts(@c);
my $d;
my $fresh = sub { $d = submit_dossier("1.001193"); set_status($d->{code}, 5) };
$fresh->();
my $target = sub { "/dvc/v1/dossiers/$d->{code}/supplement" };
my $headers = sub { "X-DVC-Lookup-Token: $d->{lookup_token}\r\n" };
my $moved = 0;
my $after = sub {
    my $r = shift;
    my $st = dossier($d->{code})->{status};
    if ($r->{status} == 200) { $moved++ if $st == 1; $fresh->() }
    elsif ($st != 5) { die "a refused supplement ($r->{status}) moved the dossier to $st\n" }
};
my $n = main::run_path("supplement", $target, $headers, 200, \@c, \@v, undef, $after);
ok($n > 0, "valid supplements were taken ($n)");
is($moved, $n, "each valid one moved its dossier 5 -> 1, no refused one did");
is(scalar(inbox("supplement")), $n, "the inbox holds exactly the $n accepted supplements");
