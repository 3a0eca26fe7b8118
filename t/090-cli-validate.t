# `dvc validate` on invalid UTF-8: the core validator's own strict check
# (RFC 3629), without the gateway's dossier scanner in front of it.  A real
# dossier (examples/dossiers/1.001612.json against schemas/1.001612.json)
# with one bad sequence put into the applicant's name: exit 1, json_utf8,
# and the byte offset of the sequence's first byte on stderr.  Then
# `dvc check-schemas` on a schema with invalid UTF-8.  No nginx, no Redis:
# only build/dvc.
use strict;
use warnings;
use FindBin;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP;

my $ROOT = "$FindBin::Bin/..";
my $DVC = "$ROOT/build/dvc";
my $SCHEMA = "$ROOT/schemas/1.001612.json";
-x $DVC or plan skip_all => "build/dvc not built (make build/dvc)";

my $tmp = tempdir(CLEANUP => 1);

sub slurp { local $/; open my $f, '<:raw', $_[0] or die "$_[0]: $!"; scalar(<$f>) // '' }

# exit code, stdout, stderr of `dvc validate SCHEMA FILE` (FILE "-": the
# bytes on stdin)
sub validate {
    my ($bytes, $stdin) = @_;
    open my $f, '>:raw', "$tmp/doc.json" or die; print $f $bytes; close $f;
    my $cmd = $stdin ? "$DVC validate $SCHEMA - < $tmp/doc.json"
                     : "$DVC validate $SCHEMA $tmp/doc.json";
    system("$cmd > $tmp/out 2> $tmp/err");
    return ($? >> 8, slurp("$tmp/out"), slurp("$tmp/err"));
}

my $dossier = slurp("$ROOT/examples/dossiers/1.001612.json");
my $name = "L\xc3\xaa Th\xe1\xbb\x8b Lan";            # "Lê Thị Lan", NFC
my $at = index($dossier, $name);
$at > 0 or die "the applicant's name is not in the example dossier";

my ($rc, $out, $err) = validate($dossier);
is($rc, 0, 'the example dossier is valid');
is($out, '', 'nothing on stdout');

# the name in other valid forms: decomposed (NFD: e U+0302, i U+0323),
# with a 4-byte character (U+20000, a Nom ideograph)
for my $good ("Le\xcc\x82 Thi\xcc\xa3 Lan", "L\xc3\xaa \xf0\xa0\x80\x80 Lan") {
    (my $doc = $dossier) =~ s/\Q$name\E/$good/;
    ($rc) = validate($doc);
    is($rc, 0, 'valid name ' . unpack('H*', $good));
}

my @bad = (
    [ "\xc0\xaf",         'overlong 2-byte /' ],
    [ "\xc1\xbf",         'overlong 2-byte U+007F' ],
    [ "\xe0\x80\xaf",     'overlong 3-byte /' ],
    [ "\xf0\x80\x80\xaf", 'overlong 4-byte /' ],
    [ "\xed\xa0\x80",     'surrogate U+D800' ],
    [ "\xed\xbf\xbf",     'surrogate U+DFFF' ],
    [ "\xf4\x90\x80\x80", 'past U+10FFFF' ],
    [ "\xf5\x80\x80\x80", 'lead F5' ],
    [ "\xff",             'byte FF' ],
    [ "\x80",             'lone continuation byte' ],
    [ "\xe1\xbb",         'sequence cut by the next character' ],
);
for my $case (@bad) {
    my ($seq, $what) = @$case;
    # "Lê Thị La<bad>n": the bad sequence starts this many bytes in
    my $doc = $dossier;
    substr($doc, $at, length $name) = "L\xc3\xaa Th\xe1\xbb\x8b La${seq}n";
    my $off = $at + length("L\xc3\xaa Th\xe1\xbb\x8b La");
    for my $stdin (0, 1) {
        my $how = $stdin ? 'stdin' : 'file';
        ($rc, $out, $err) = validate($doc, $stdin);
        is($rc, 1, "$what ($how): exit 1");
        my $e = eval { decode_json($out) } || [];
        is_deeply([ map { $_->{code} } @$e ], ['json_utf8'],
                  "$what ($how): one error, json_utf8");
        like($err, qr/^dvc validate: json_utf8 at byte $off$/m,
             "$what ($how): at byte $off");
    }
}

# a \u escape of a lone surrogate (yajl would make bytes that are not
# UTF-8 of it): json_utf8 at its backslash; a pair is a character
for my $esc ('\udc00', '\ud800', '\ud800\u0041') {
    my $doc = $dossier;
    substr($doc, $at, length $name) = "La${esc}n";
    ($rc, $out, $err) = validate($doc);
    is($rc, 1, "escape $esc: exit 1");
    like($err, qr/^dvc validate: json_utf8 at byte @{[ $at + 2 ]}$/m,
         "escape $esc: at its backslash");
}
(my $pair = $dossier) =~ s/\Q$name\E/L\\ud840\\udc00n/ or die;
$pair =~ /\\ud840\\udc00/ or die 'the pair is not in the document';
($rc) = validate($pair);
is($rc, 0, 'a surrogate pair escaped (U+20000): valid');

# the document ends inside a sequence: at its first byte
my $cut = substr($dossier, 0, $at + length("L\xc3\xaa Th\xe1\xbb"));
($rc, $out, $err) = validate($cut);
is($rc, 1, 'document cut inside a character: exit 1');
like($err, qr/json_utf8 at byte @{[ $at + length("L\xc3\xaa Th") ]}$/m,
     'document cut inside a character: at its first byte');

# a sequence split by the CLI's 64 KiB reads: "ễ" valid, the overlong
# E0 80 AF refused, both starting at byte 65535
my $head = '{"procedure":"1.001612","note":"';
my $pad = 'a' x (65535 - length $head);
($rc, $out, $err) = validate("$head$pad\xe1\xbb\x85\"}");
is($rc, 1, 'valid character across two reads: only the schema complains');
unlike($out, qr/json_utf8/, 'valid character across two reads: no json_utf8');
($rc, $out, $err) = validate("$head$pad\xe0\x80\xaf\"}");
is($rc, 1, 'overlong across two reads: exit 1');
like($err, qr/json_utf8 at byte 65535$/m, 'overlong across two reads: at byte 65535');

# what comes first in the document is reported: a syntax error before the
# bad byte
(my $doc = $dossier) =~ s/"procedure"/"procedure",/;
substr($doc, index($doc, $name) + 2, 0) = "\xc0\xaf";
($rc, $out, $err) = validate($doc);
is($rc, 1, 'syntax error, then bad UTF-8: exit 1');
like($err, qr/^dvc validate: json_syntax at byte/m, 'the syntax error is reported');

# `dvc check-schemas` (what `nginx -t` runs) holds schema files to the same
# rule: the shipped schemas pass, one with an overlong in its title does not
system("$DVC check-schemas $ROOT/schemas > $tmp/out 2> $tmp/err");
is($? >> 8, 0, 'check-schemas: the shipped schemas pass');
mkdir "$tmp/schemas" or die;
my $schema = slurp($SCHEMA);
my $title = index($schema, '"title": "') + length('"title": "');
$title > 20 or die "no title in $SCHEMA";
substr($schema, $title, 0) = "\xc0\xa9";
open my $sf, '>:raw', "$tmp/schemas/1.001612.json" or die;
print $sf $schema; close $sf;
system("$DVC check-schemas $tmp/schemas > $tmp/out 2> $tmp/err");
is($? >> 8, 2, 'check-schemas: an overlong in a title: exit 2');
like(slurp("$tmp/out"), qr/not JSON at byte $title: invalid UTF-8/,
     'check-schemas: says where');

done_testing();
