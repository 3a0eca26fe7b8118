# Configuration-time loading: procedure schemas, the calendar and keys are read
# and checked when nginx reads its configuration, so `nginx -t` names a broken
# file and why; then the endpoints that publish what was loaded.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use JSON::PP;

our $ROOT = "$FindBin::Bin/..";
my $tmp = tempdir(CLEANUP => 1);

sub write_file { my ($p, $s) = @_; open my $f, '>', $p or die "$p: $!"; print $f $s; close $f }
sub slurp { local $/; open my $f, '<', $_[0] or die "$_[0]: $!"; <$f> }

# a good key, and one that others may read
system("$ROOT/build/dvc", "keygen", "--out", "$tmp/good.pem") == 0 or die;
copy("$tmp/good.pem", "$tmp/open.pem") or die; chmod 0644, "$tmp/open.pem";
$ENV{TEST_NGINX_TMP} = $tmp;

# schema folders, each broken in one way
for my $case (qw(bad_agency bad_json unreadable bad_ref bad_type bad_minimum)) {
    mkdir "$tmp/$case"; mkdir "$tmp/$case/common";
    copy($_, "$tmp/$case/common/") for glob "$ROOT/schemas/common/*.json";
    copy("$ROOT/schemas/1.001612.json", "$tmp/$case/1.001612.json") or die;
}
my $s = slurp("$tmp/bad_agency/1.001612.json");
$s =~ s/"agency": "000\.20\.31\.H29"/"agency": "000.20.31.29"/ or die "agency not found";
write_file("$tmp/bad_agency/1.001612.json", $s);
write_file("$tmp/bad_json/1.001612.json", "{\n  \"x-dvc\": {,\n}\n");
# root reads any mode: a link to nothing is unreadable for everyone
unlink "$tmp/unreadable/1.001612.json";
symlink "$tmp/unreadable/gone.json", "$tmp/unreadable/1.001612.json" or die;
$s = slurp("$tmp/bad_ref/1.001612.json");
$s =~ s{common/person\.json#/\$defs/}{common/nobody.json#/\$defs/} or die "ref not found";
write_file("$tmp/bad_ref/1.001612.json", $s);
# the root's own type misspelt; a nested keyword with a value of the wrong kind
$s = slurp("$tmp/bad_type/1.001612.json");
$s =~ s/\n  "type": "object",/\n  "type": "objekt",/ or die "root type not found";
write_file("$tmp/bad_type/1.001612.json", $s);
$s = slurp("$tmp/bad_minimum/1.001612.json");
$s =~ s/("employees": \{\s*"type": "integer",)/$1 "maxLength": -3,/ or die "employees not found";
write_file("$tmp/bad_minimum/1.001612.json", $s);

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => "    location /dvc/ { dvc_api; }\n")
        unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the shipped procedures load; the listing and each schema are served
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- requests eval
[ "GET /dvc/v1/procedures", "GET /dvc/v1/procedures/1.001193",
  "GET /dvc/v1/procedures/9.999999", "POST /dvc/v1/procedures\n{}" ]
--- error_code eval
[200, 200, 404, 405]
--- response_body_like eval
[ qr/^\{"procedures":\[\{"code":"1\.001193","name":"Đăng ký khai sinh",/,
  qr/"\$schema":\s*"https:\/\/json-schema\.org\/draft\/2020-12\/schema"/,
  qr/"error":"unknown_procedure"/, qr/"error":"method_not_allowed"/ ]
--- post_init
my $l = JSON::PP->new->utf8->decode((responses())[0]{body});
is(scalar @{$l->{procedures}}, 5, "five procedures listed");
is_deeply([map { $_->{code} } @{$l->{procedures}}], [sort map { $_->{code} } @{$l->{procedures}}], "in code order");
my ($birth) = grep { $_->{code} eq "1.001193" } @{$l->{procedures}};
is($birth->{level}, 4, "level given");
ok(exists $birth->{fee} && ref $birth->{documents} eq 'ARRAY', "fee and documents given");
my $schema = (responses())[1]{body};
is($schema, main::slurp("$main::ROOT/schemas/1.001193.json"), "the schema is served as written");
--- error_log
5 procedure(s) loaded



=== TEST 2: the JWKS holds the signing key and a previous key, public parts only
--- http_config
    dvc_signing_key $TEST_NGINX_TMP/good.pem kid=current-2026;
    dvc_verify_key $TEST_NGINX_TMP/open.pem kid=previous-2025;
--- request
GET /dvc/v1/keys
--- response_body_like: ^\{"keys":\[\{"kty":"OKP","crv":"Ed25519","x":"[A-Za-z0-9_-]{43}","kid":"current-2026","alg":"EdDSA","use":"sig"\},\{[^}]*"kid":"previous-2025"[^}]*\}\]\}$
--- response_body_unlike: "d":



=== TEST 3: nginx -t names the file and the field of a bad x-dvc
--- http_config
    dvc_schemas $TEST_NGINX_TMP/bad_agency;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- must_die
--- error_log
1.001612.json: x-dvc.agency "000.20.31.29" is not an agency identifier



=== TEST 4: nginx -t names a file that is not JSON, with the line
--- http_config
    dvc_schemas $TEST_NGINX_TMP/bad_json;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- must_die
--- error_log eval
[qr/1\.001612\.json: invalid JSON at line 2/]



=== TEST 5: nginx -t names an unreadable file
--- http_config
    dvc_schemas $TEST_NGINX_TMP/unreadable;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- must_die
--- error_log eval
[qr/1\.001612\.json/]



=== TEST 6: nginx -t names a $ref that resolves to nothing
--- http_config
    dvc_schemas $TEST_NGINX_TMP/bad_ref;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- must_die
--- error_log eval
[qr/1\.001612\.json: .*nobody\.json/]



=== TEST 6b: nginx -t names the root of a schema as "/" and shows the bad value
--- http_config
    dvc_schemas $TEST_NGINX_TMP/bad_type;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- must_die
--- error_log eval
[qr{\[emerg\] .*dvc: \S*/1\.001612\.json: type at /: unknown type "objekt" \(null, boolean, integer, number, string, array, object\)}]
--- no_error_log
type at :



=== TEST 6c: nginx -t names a nested keyword by its JSON Pointer, with its value
--- http_config
    dvc_schemas $TEST_NGINX_TMP/bad_minimum;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_TMP/good.pem;
--- must_die
--- error_log eval
[qr{\[emerg\] .*dvc: \S*/1\.001612\.json: maxLength at /properties/form/properties/employees: must be a non-negative integer, not -3}]



=== TEST 7: a signing key others can read is refused
--- http_config
    dvc_signing_key $TEST_NGINX_TMP/open.pem;
--- must_die
--- error_log eval
[qr/open\.pem.*(group|other|world)/i]



=== TEST 8: procedures without a signing key or a calendar are refused
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
--- must_die
--- error_log
"dvc_schemas" needs "dvc_signing_key"



=== TEST 9: dvc_api without dvc_redis is refused
--- no_dvc_module
--- main_config
load_module $TEST_NGINX_MODULE;
--- must_die
--- error_log
"dvc_api" needs "dvc_redis"
