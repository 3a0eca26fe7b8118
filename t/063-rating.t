# POST /dvc/v1/dossiers/{code}/rating: once the dossier has its result (9
# resolved or 10 returned) the citizen rates it, once: very_satisfied,
# satisfied or dissatisfied, with an optional comment (<= 1,000 code points,
# valid UTF-8).  The rating counts in the province's statistics
# (dvc:st:{cell}:rating_*, by the Vietnam day it was given).
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use POSIX qw(strftime);
use utf8;

gateway_defaults();

sub vn_day { strftime("%Y%m%d", gmtime(time + 7 * 3600)) }

# the four cells every counter change goes to
sub cells {
    my ($agency, $proc) = @_;
    return ("all", "a:$agency", "p:$proc", "ap:$agency:$proc");
}

run_tests();

__DATA__

=== TEST 1: before the result: 409 not_resolved, naming what the citizen may do
--- request
GET /dvc/v1/keys
--- post_init
my %allowed = (1 => [{ action => "withdrawal", to => 7 }],
               2 => [{ action => "withdrawal", to => 7 }],
               3 => [],
               4 => [{ action => "withdrawal", to => 7 }],
               5 => [{ action => "withdrawal", to => 7 }, { action => "supplement", to => 1 }],
               6 => [{ action => "withdrawal", to => 7 }],
               7 => [], 8 => []);
my $d = submit_dossier("1.001612");
for my $st (1 .. 8) {
    set_status($d->{code}, $st);
    my $r = citizen_post($d->{code}, "rating", $d->{lookup_token}, '{"rating":"satisfied"}');
    is($r->{status}, 409, "in $st: 409");
    is($r->{json}{error}, "not_resolved", "in $st: not_resolved");
    is($r->{json}{status}{number}, $st, "in $st: names the status");
    is_deeply($r->{json}{allowed}, $allowed{$st}, "in $st: what the citizen may do");
}
ok(!exists dossier($d->{code})->{rating}, "no rating stored");
is_deeply(redis_cmd('KEYS', 'dvc:st:*:rating_*'), [], "no rating counted");
--- no_error_log
[error]



=== TEST 2: after the result: 201 once, then 409 already_rated; stored and counted in all four cells
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $day = main::vn_day();
my @rated;
for my $c ([9, "very_satisfied", "Cán bộ hướng dẫn tận tình, trả kết quả sớm hơn hẹn."],
           [10, "satisfied", undef],
           [9, "dissatisfied", "Phải đi lại hai lần mới nộp đủ giấy tờ 😞"]) {
    my ($st, $rating, $comment) = @$c;
    my $d = submit_dossier("1.001612");
    set_status($d->{code}, $st);
    my $body = { rating => $rating };
    $body->{comment} = $comment if defined $comment;
    my $r = citizen_post($d->{code}, "rating", $d->{lookup_token}, $J->encode($body));
    is($r->{status}, 201, "$rating in $st: 201");
    is($r->{json}{rating}, $rating, "$rating: the answer repeats it");
    like($r->{json}{rated_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/, "$rating: rated_at");
    my $h = dossier($d->{code});
    is($h->{rating}, $rating, "$rating: stored");
    is($h->{rating_at}, $r->{json}{rated_at}, "$rating: its time stored");
    my $stored = $h->{rating_comment};
    utf8::decode($stored) if defined $stored;
    is($stored, $comment, "$rating: the comment stored as sent (or none)");
    is($h->{status}, $st, "$rating: the status does not change");
    my $again = citizen_post($d->{code}, "rating", $d->{lookup_token}, '{"rating":"dissatisfied"}');
    is($again->{status}, 409, "$rating: a second rating: 409");
    is($again->{json}{error}, "already_rated", "$rating: already_rated");
    is(dossier($d->{code})->{rating}, $rating, "$rating: the first one stays");
    my $l = http_request("GET /dvc/v1/dossiers/$d->{code}",
                         more_headers => "X-DVC-Lookup-Token: $d->{lookup_token}");
    like($l->{body}, qr/"rating":"$rating"/, "$rating: the lookup shows it");
}
for my $cell (main::cells("000.20.31.H29", "1.001612")) {
    for my $r ("very_satisfied", "satisfied", "dissatisfied") {
        is(redis_cmd('HGET', "dvc:st:$cell:rating_$r", $day), 1,
           "dvc:st:$cell:rating_$r counts one today");
    }
}
--- no_error_log
[error]



=== TEST 3: bad bodies: 422 naming the field, 400 for broken JSON, nothing stored or counted
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $d = submit_dossier("1.001612");
set_status($d->{code}, 9);
my @bad = (
    [ '{"rating":"excellent"}',                 422, "rating",  "an unknown level" ],
    [ '{"rating":5}',                           422, "rating",  "a number" ],
    [ '{}',                                     422, "rating",  "no rating" ],
    [ '',                                       400, undef,     "an empty body" ],
    [ '{"rating":"satisfied","comment":7}',     422, "comment", "a comment that is not text" ],
    [ '{"rating":"satisfied","stars":5}',       422, "stars",   "a field a rating does not take" ],
    [ '{"rating":"satisfied"',                  400, undef,     "broken JSON" ],
);
for my $b (@bad) {
    my $r = citizen_post($d->{code}, "rating", $d->{lookup_token}, $b->[0]);
    is($r->{status}, $b->[1], "$b->[3]: $b->[1]");
    is($r->{json}{field}, $b->[2], "$b->[3]: names the field") if defined $b->[2];
}
# 1,000 code points (each 3 bytes in UTF-8) are taken, 1,001 are not
my $long = "ạ" x 1001;
my $r = citizen_post($d->{code}, "rating", $d->{lookup_token}, $J->encode({ rating => "satisfied", comment => $long }));
is($r->{status}, 422, "a comment of 1,001 code points: 422");
is($r->{json}{field}, "comment", "names the comment");
# invalid UTF-8: a lone continuation byte, an overlong '/', an encoded surrogate
for my $bytes ("\x80abc", "\xc0\xaf", "\xed\xa0\x80") {
    my $body = '{"rating":"satisfied","comment":"Tốt ' . $bytes . '"}';
    utf8::encode(my $pre = '{"rating":"satisfied","comment":"Tốt ');
    $body = $pre . $bytes . '"}';
    $r = citizen_post($d->{code}, "rating", $d->{lookup_token}, $body);
    is($r->{status}, 400, sprintf("comment with bytes %vX: 400", $bytes));
    is($r->{json}{error}, "json_utf8", sprintf("comment with bytes %vX: json_utf8, as a submission", $bytes));
    is($r->{json}{offset}, length($pre), sprintf("comment with bytes %vX: offset of the bad byte", $bytes));
}
ok(!exists dossier($d->{code})->{rating}, "nothing stored");
is_deeply(redis_cmd('KEYS', 'dvc:st:*:rating_*'), [], "nothing counted");
# an empty comment is no comment (a form's empty text box)
my $e = submit_dossier("1.001612");
set_status($e->{code}, 9);
$r = citizen_post($e->{code}, "rating", $e->{lookup_token}, '{"rating":"satisfied","comment":""}');
is($r->{status}, 201, "an empty comment: 201");
ok(!exists dossier($e->{code})->{rating_comment}, "and no comment stored");
# and now the longest comment there may be
$r = citizen_post($d->{code}, "rating", $d->{lookup_token}, $J->encode({ rating => "satisfied", comment => substr($long, 1) }));
is($r->{status}, 201, "a comment of 1,000 code points: 201");
my $c = dossier($d->{code})->{rating_comment};
utf8::decode($c);
is(length($c), 1000, "stored whole");
--- no_error_log
[error]



=== TEST 4: two ratings at the same instant: exactly one counts (compare-and-set on ver)
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
set_status($d->{code}, 10);
my $day = main::vn_day();
# both read the dossier at the same ver, so the second write finds ver
# moved on, reads again, and refuses
my @status = map { $_->{status} } racing_posts($d->{code}, $d->{lookup_token},
    map { [ "rating", qq({"rating":"$_"}) ] } "satisfied", "dissatisfied");
is_deeply([ sort @status ], [201, 409], "one 201, one 409");
my $h = dossier($d->{code});
my $n = 0;
$n += redis_cmd('HGET', "dvc:st:all:rating_$_", $day) // 0 for qw(satisfied dissatisfied);
is($n, 1, "one rating counted");
ok($h->{rating} eq "satisfied" || $h->{rating} eq "dissatisfied", "one rating stored");
--- error_log
the dossier changed meanwhile, deciding again
rating of "000.20.31.H29-
refused: already rated
--- no_error_log
[error]



=== TEST 5: the same rating sent again after it applied: the first answer, byte for byte, counted once; another body: 409
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $day = main::vn_day();
(my $date = $day) =~ s/^(\d{4})(\d\d)(\d\d)$/$1-$2-$3/;
my $stats = sub { $J->decode(http_request("GET /dvc/v1/stats?from=$date&to=$date")->{body}) };
my $body = $J->encode({ rating => "satisfied", comment => "Nhanh, gọn, không phải đi lại." });
my $d = submit_dossier("1.001612");
my $code = $d->{code};
set_status($code, 9);
my $first = citizen_post($code, "rating", $d->{lookup_token}, $body);
is($first->{status}, 201, "first: 201");
my $ver = dossier($code)->{ver};
sleep 1;                                  # a retry's rated_at would differ
my $again = citizen_post($code, "rating", $d->{lookup_token}, $body);
is($again->{status}, 201, "again: 201");
is(answer_shape($again), answer_shape($first), "again: the first answer, headers and body");
is(dossier($code)->{ver}, $ver, "nothing written");
is(dossier($code)->{rating_at}, $first->{json}{rated_at}, "rated when first sent");
my $s = $stats->();
is($s->{ratings}, 1, "the report counts one rating");
is($s->{rating_satisfied}, 1, "a satisfied one");
# the answer was lost: the retry tells the citizen it worked
my $e = submit_dossier("1.001612");
set_status($e->{code}, 10);
ok(post_and_hang_up($e->{code}, "rating", $e->{lookup_token}, '{"rating":"very_satisfied"}',
                    sub { defined dossier($e->{code})->{rating} }),
   "a rating whose answer was lost is applied");
my $retry = citizen_post($e->{code}, "rating", $e->{lookup_token}, '{"rating":"very_satisfied"}');
is($retry->{status}, 201, "its retry: 201");
is($retry->{json}{rated_at}, dossier($e->{code})->{rating_at}, "rated_at: when it was applied");
$s = $stats->();
is($s->{ratings}, 2, "the report counts two ratings, one per dossier");
is($s->{rating_very_satisfied}, 1, "one very satisfied");
for my $cell (main::cells("000.20.31.H29", "1.001612")) {
    is(redis_cmd('HGET', "dvc:st:$cell:rating_satisfied", $day), 1, "dvc:st:$cell:rating_satisfied: one");
}
# the result handed over meanwhile (9 -> 10): still the first answer
set_status($code, 10);
$again = citizen_post($code, "rating", $d->{lookup_token}, $body);
is(answer_shape($again), answer_shape($first), "in 10: still the first answer");
# another body, even the same rating with another comment, or reformatted
for my $other ('{"rating":"dissatisfied"}',
               $J->encode({ rating => "satisfied", comment => "Đổi ý: rất hài lòng." }),
               '{"rating":"satisfied"}',
               do { (my $b = $body) =~ s/,/, /; $b }) {
    my $r = citizen_post($code, "rating", $d->{lookup_token}, $other);
    is($r->{status}, 409, "another body: 409");
    is($r->{json}{error}, "already_rated", "already_rated");
}
is(dossier($code)->{rating}, "satisfied", "the first rating stays");
is($stats->()->{ratings}, 2, "still two counted");
# the token rules do not change for a retry
my $lookup404 = http_request("GET /dvc/v1/dossiers/$code")->{body};
my $r = citizen_post($code, "rating", undef, $body);
is($r->{status}, 404, "no token: 404");
is($r->{body}, $lookup404, "no token: the lookup's body");
--- error_log
rating of "000.20.31.H29-
sent again: the first answer repeated, nothing applied
refused: already rated
--- no_error_log
[error]



=== TEST 6: the same rating twice at the same instant: counted once, both answered the same
--- request
GET /dvc/v1/keys
--- post_init
my $d = submit_dossier("1.001612");
set_status($d->{code}, 9);
my $day = main::vn_day();
my @r = racing_posts($d->{code}, $d->{lookup_token},
    [ "rating", '{"rating":"dissatisfied","comment":"Chờ lâu."}' ],
    [ "rating", '{"rating":"dissatisfied","comment":"Chờ lâu."}' ]);
is_deeply([ map { $_->{status} } @r ], [201, 201], "both 201");
is(answer_shape($r[1]), answer_shape($r[0]), "the same answer, headers and body");
for my $cell (main::cells("000.20.31.H29", "1.001612")) {
    is(redis_cmd('HGET', "dvc:st:$cell:rating_dissatisfied", $day), 1, "dvc:st:$cell: counted once");
}
is(dossier($d->{code})->{ver}, 1, "one change written");
--- error_log
the dossier changed meanwhile, deciding again
sent again: the first answer repeated, nothing applied
--- no_error_log
[error]
