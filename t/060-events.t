# Back-end events (issue 5): POST /dvc/v1/dossiers/{code}/events signed with
# HMAC-SHA256 (dvc_event_key), through the real nginx and Redis.  The signer
# below is written from the protocol's text (docs/events.md) with Perl's
# Digest::SHA, and one signature is checked against `openssl dgst` too.
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP;
use POSIX qw(strftime);

our $ROOT = "$FindBin::Bin/..";
our $J = JSON::PP->new->utf8->canonical;

# three secrets as a back-end would make them (openssl rand -hex 32), in
# files only their owner may read
our $KEYS = gateway_defaults(extra_http =>
    "    dvc_event_key \$TEST_NGINX_EVKEY1 name=current;\n"
  . "    dvc_event_key \$TEST_NGINX_EVKEY2 name=next;\n");
our %SECRET;
for my $n (1 .. 3) {
    my $s = `openssl rand -hex 32`;
    chomp $s;
    $SECRET{$n} = $s;
    my $f = "$KEYS/event$n.key";
    open my $fh, '>', $f or die; print $fh "$s\n"; close $fh;
    chmod 0600, $f;
    $ENV{"TEST_NGINX_EVKEY$n"} = $f;
}
# a key of 31 bytes (plus its newline): too short
{
    my $f = "$KEYS/short.key";
    open my $fh, '>', $f or die; print $fh substr($SECRET{1}, 0, 31), "\n"; close $fh;
    chmod 0600, $f;
    $ENV{TEST_NGINX_SHORTKEY} = $f;
}
# a key file others may read
{
    my $f = "$KEYS/open.key";
    open my $fh, '>', $f or die; print $fh "$SECRET{1}\n"; close $fh;
    chmod 0644, $f;
    $ENV{TEST_NGINX_OPENKEY} = $f;
}

sub example { local $/; open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die; my $b = <$f>; $b =~ s/\n\z//; $b }

# a dossier of procedure 1.001612 (accepted by the desk, status 1): [code, token]
sub submit {
    my $r = http_request("POST /dvc/v1/dossiers\n" . example($_[0] // "1.001612"),
                         more_headers => "Content-Type: application/json");
    $r->{status} == 201 or die "submission: $r->{status} $r->{body}";
    my $a = $J->decode($r->{body});
    return ($a->{code}, $a->{lookup_token});
}

# the protocol: HMAC-SHA256(key, ts "\n" METHOD "\n" target "\n" body)
sub signature { my ($key, $ts, $method, $target, $body) = @_;
    "v1=" . hmac_sha256_hex("$ts\n$method\n$target\n$body", $key) }

sub event_target { "/dvc/v1/dossiers/$_[0]/events" }

sub send_event {
    my ($code, $body, %o) = @_;
    my $ts = $o{ts} // time;
    my $target = $o{target} // event_target($code);
    my $sig = $o{sig} // signature($o{secret} // $SECRET{1}, $ts, 'POST', $target, $o{signed_body} // $body);
    my $h = "Content-Type: application/json\n";
    $h .= "X-DVC-Timestamp: $ts\n" unless $o{no_ts};
    $h .= "X-DVC-Signature: $sig\n" unless $o{no_sig};
    return http_request("POST $target\n$body", more_headers => $h);
}

sub event_json { my (%e) = @_; $J->encode(\%e) }

sub lookup { my ($code, $token) = @_;
    my $r = http_request("GET /dvc/v1/dossiers/$code", more_headers => "X-DVC-Lookup-Token: $token");
    $r->{status} == 200 or die "lookup: $r->{status} $r->{body}";
    return $J->decode($r->{body});
}

sub vn_time { strftime("%Y-%m-%dT%H:%M:%S+07:00", gmtime($_[0] + 7 * 3600)) }

# every counter of the statistics: {key => {day => n}}
sub counters {
    my %c;
    for my $k (@{ redis_cmd('KEYS', 'dvc:st:*:*') }) {
        next if $k eq 'dvc:st:cells';
        my $h = redis_cmd('HGETALL', $k);
        $c{$k} = { @$h };
    }
    return \%c;
}

# the contract's table, written out again: type => {from => to}; P = back
our %LEGAL = (
    accept             => { 1 => 2 },
    refuse             => { 1 => 3 },
    request_supplement => { 1 => 5, 2 => 5, 4 => 5 },
    process            => { 2 => 4, 6 => 4 },
    request_payment    => { 2 => 6, 4 => 6 },
    delay              => { 2 => 2, 4 => 4, 6 => 6 },
    stop               => { 2 => 8, 4 => 8, 5 => 8, 6 => 8 },
    confirm_withdrawal => { 7 => 8 },
    decline_withdrawal => { 7 => 'P' },
    resolve            => { 2 => 9, 4 => 9 },
    return             => { 9 => 10 },
);

sub body_for {
    my ($type, $id) = @_;
    my %e = (id => $id, type => $type);
    $e{reason} = "Hồ sơ không thuộc thẩm quyền giải quyết của phường"
        if $type =~ /^(refuse|stop|decline_withdrawal)$/;
    if ($type eq 'request_supplement') {
        $e{reason} = { vi => "Thiếu bản sao giấy khai sinh của con",
                       en => "The child's birth certificate copy is missing" };
        $e{documents} = [{ name => "Bản sao Giấy khai sinh", note => "bản sao có chứng thực" }];
    }
    if ($type eq 'request_payment') {
        $e{reason} = "Nộp lệ phí 100.000 đồng tại Bộ phận Một cửa";
        $e{amount} = 100000;
    }
    if ($type eq 'delay') {
        $e{reason} = "Xin lỗi ông/bà: hồ sơ cần xác minh thêm tại địa phương";
        $e{new_due_at} = vn_time(time + 40 * 86400);
    }
    return event_json(%e);
}

# A building permit dossier (1.009994) with the 20 files the schema allows:
# its receipt, and so its acceptance's answer, is over 6 KB
sub big_dossier {
    my $d = $J->decode(example("1.009994"));
    my @docs = @{ $d->{documents} };
    for my $i (1 .. 20 - @docs) {
        my %c = %{ $docs[$i % @docs] };
        $c{file_name} = "ban-ve-chi-tiet-$i.pdf";
        $c{sha256} = Digest::SHA::sha256_hex("bản vẽ $i");
        push @{ $d->{documents} }, \%c;
    }
    my $r = http_request("POST /dvc/v1/dossiers\n" . $J->encode($d),
                         more_headers => "Content-Type: application/json");
    $r->{status} == 201 or die "submission: $r->{status} $r->{body}";
    return $J->decode($r->{body})->{code};
}

# an event sent by a back-end that reads its answer only when told
# (http_response_read): nginx must keep the rest of a large answer and
# write it later
sub send_event_stalled {
    my ($code, $body) = @_;
    my $ts = time;
    my $target = event_target($code);
    return http_request_stalled("POST $target\n$body", more_headers =>
        "Content-Type: application/json\nX-DVC-Timestamp: $ts\n"
      . "X-DVC-Signature: " . signature($SECRET{1}, $ts, 'POST', $target, $body));
}

# did nginx have to wait to write the answer of the request whose info line
# matches $line (its connection's writev() found the socket full)?
sub waited_to_write {
    my ($line) = @_;
    my $log = block_error_log();
    my ($c) = $log =~ /\*(\d+) [^\n]*$line/ or return 0;
    return $log =~ /\*$c writev\(\) not ready/ ? 1 : 0;
}

run_tests();

__DATA__

=== TEST 1: every (type, status) pair of the table over HTTP: legal ones applied, illegal ones 409 naming the legal types
--- timeout: 30
--- post_init
my ($code) = main::submit();
my $key = "dvc:d:$code";
my $n = 0;
for my $type (sort keys %main::LEGAL) {
    for my $from (1 .. 10) {
        # put the dossier in status $from as earlier changes would have
        redis_cmd('HSET', $key, 'status', $from, 'prev_status', 4,
                  'due_ts', time + 86400, 'due_at', main::vn_time(time + 86400));
        redis_cmd('HDEL', $key, 'appointment_ts', 'appointment_at');
        $from == 7 or redis_cmd('HDEL', $key, 'prev_status');
        my $id = "evt-" . ++$n;
        my $r = main::send_event($code, main::body_for($type, $id));
        my $want = $main::LEGAL{$type}{$from};
        if (defined $want) {
            $want = 4 if $want eq 'P';
            is($r->{status}, 200, "$type from $from: 200") or diag($r->{body});
            my $a = eval { $J->decode($r->{body}) } // {};
            is($a->{status}, $want, "$type from $from: answered status $want");
            is(redis_cmd('HGET', $key, 'status'), $want, "$type from $from: status $want recorded");
            like(redis_cmd('HGET', $key, 'history'), qr/"event":"$id","type":"$type"/,
                 "$type from $from: history entry");
        } else {
            is($r->{status}, 409, "$type from $from: 409") or diag($r->{body});
            my $a = eval { $J->decode($r->{body}) } // {};
            is($a->{error}, 'illegal_transition', "$type from $from: illegal_transition");
            is($a->{status}{number}, $from, "$type from $from: names the status");
            my @allowed = sort map { $_->{type} } @{ $a->{allowed} // [] };
            my @expect = sort grep { exists $main::LEGAL{$_}{$from} } keys %main::LEGAL;
            is("@allowed", "@expect", "$type from $from: allowed types");
            is(redis_cmd('HGET', $key, 'status'), $from, "$type from $from: status unchanged");
            unlike(redis_cmd('HGET', $key, 'history'), qr/"event":"$id"/,
                   "$type from $from: no history entry");
        }
    }
}
is($n, 110, "11 types x 10 statuses");

=== TEST 2: the 409 body in full, from status 7 (decline goes back to the status before)
--- post_init
my ($code) = main::submit();
redis_cmd('HSET', "dvc:d:$code", 'status', 7, 'prev_status', 6);
my $r = main::send_event($code, main::event_json(id => "e1", type => "accept"));
is($r->{status}, 409);
like($r->{body}, qr/^\{"error":"illegal_transition","status":\{"number":7,"slug":"withdrawal_requested"\},"allowed":\[\{"type":"confirm_withdrawal","to":8\},\{"type":"decline_withdrawal","to":6\}\],"message":\{"vi":"(?:[^"\\]|\\.)+","en":"\\"accept\\" is not allowed while the dossier is in status 7 \([^)]+\)."\}\}$/, "409 body");
$r = main::send_event($code, main::event_json(id => "e2", type => "decline_withdrawal", reason => "Hồ sơ đã được giải quyết xong phần chính"));
is($r->{status}, 200);
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 6, "back to 6");
is(redis_cmd('HEXISTS', "dvc:d:$code", 'prev_status'), 0, "prev_status dropped");

=== TEST 3: signatures: missing, malformed, stale and wrong are 401 with one log line and no secret
--- post_init
my ($code) = main::submit();
my $body = main::event_json(id => "s1", type => "accept");
my $t = time;
my @cases = (
    [ 'signature_missing', no_ts => 1 ],
    [ 'signature_missing', no_sig => 1 ],
    [ 'signature_missing', sig => 'v1=' . ('0' x 63) ],
    [ 'signature_missing', sig => 'v1=' . ('A' x 64) ],
    [ 'signature_missing', sig => 'sha256=' . ('0' x 64) ],
    [ 'signature_missing', ts => "$t.5" ],
    # 30 s past the window each way: $t was read before the requests go
    # out, and on a loaded machine a second or more passes (at +301 a late
    # request fell back inside the window); the exact edges are unit-tested
    # (core/tests/test_hmac.c)
    [ 'signature_stale', ts => $t - 330 ],
    [ 'signature_stale', ts => $t + 330 ],
    [ 'signature_invalid', secret => $main::SECRET{3} ],
    [ 'signature_invalid', signed_body => $body . ' ' ],
    [ 'signature_invalid', target => main::event_target($code) . '?x=1',
                           sig => main::signature($main::SECRET{1}, $t, 'POST', main::event_target($code), $body), ts => $t ],
);
for my $c (@cases) {
    my ($want, %o) = @$c;
    my $r = main::send_event($code, $body, %o);
    is($r->{status}, 401, "$want (" . join(',', keys %o) . "): 401");
    like($r->{body}, qr/^\{"error":"$want","message":\{"vi":"[^"]+","en":"[^"]+"\}\}$/, "$want: body");
}
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 1, "nothing applied");
my $log = block_error_log();
my @lines = grep { /event for .* refused: signature_/ } split /\n/, $log;
is(scalar @lines, scalar @cases, "one log line per refusal");
is(scalar(grep { /\[warn\]/ } @lines), scalar @cases, "at [warn]");
for my $s (values %main::SECRET) { unlike($log, qr/\Q$s\E/, "no key in the log") }
# nginx's own debug lines echo every header; ours never do
my $ours = join "\n", grep { !/\[debug\]/ } split /\n/, $log;
unlike($ours, qr/v1=[0-9a-f]{64}/, "no signature in the log");
unlike($ours, qr/"type":"accept"/, "no body in the log");
# the 300 s window holds at its edges
my $r = main::send_event($code, $body, ts => $t - 290);
is($r->{status}, 200, "290 s old: accepted");

=== TEST 4: the Perl signer agrees with openssl dgst (the documented worked example)
--- post_init
my ($code) = main::submit();
my $ts = time;
my $path = main::event_target($code);
my $body = main::event_json(id => "o1", type => "refuse", reason => "Hồ sơ nộp nhầm cơ quan giải quyết");
open my $f, '>', "$main::KEYS/event.json" or die; print $f $body; close $f;
my $k = $main::SECRET{1};
my $out = `printf '%s\\nPOST\\n%s\\n' '$ts' '$path' | cat - $main::KEYS/event.json | openssl dgst -sha256 -hmac "\$(cat $ENV{TEST_NGINX_EVKEY1})"`;
my ($hex) = $out =~ /= ([0-9a-f]{64})$/m;
is("v1=$hex", main::signature($k, $ts, 'POST', $path, $body), "openssl and the Perl signer agree");
my $r = main::send_event($code, $body, ts => $ts, sig => "v1=$hex");
is($r->{status}, 200, "the openssl signature is accepted") or diag($r->{body});
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 3, "refused");

=== TEST 5: key rotation: both configured keys are accepted, a third is not
--- post_init
my ($code) = main::submit();
my $r = main::send_event($code, main::event_json(id => "k1", type => "accept"), secret => $main::SECRET{2});
is($r->{status}, 200, "the next key");
$r = main::send_event($code, main::event_json(id => "k2", type => "process"), secret => $main::SECRET{1});
is($r->{status}, 200, "the current key");
$r = main::send_event($code, main::event_json(id => "k3", type => "resolve"), secret => $main::SECRET{3});
is($r->{status}, 401, "an unknown key");
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 4);

=== TEST 6: after rotation the removed key is refused, the remaining one works
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_EVKEY2;
--- post_init
my ($code) = main::submit();
my $r = main::send_event($code, main::event_json(id => "r1", type => "accept"), secret => $main::SECRET{1});
is($r->{status}, 401, "the removed key");
is($J->decode($r->{body})->{error}, 'signature_invalid');
$r = main::send_event($code, main::event_json(id => "r1", type => "accept"), secret => $main::SECRET{2});
is($r->{status}, 200, "the remaining key");

=== TEST 7: without dvc_event_key the endpoint is 403 events_disabled
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
--- post_init
my ($code) = main::submit();
my $r = main::send_event($code, main::event_json(id => "d1", type => "accept"));
is($r->{status}, 403);
like($r->{body}, qr/^\{"error":"events_disabled",/);

=== TEST 8: a key file others may read is refused at start
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_OPENKEY;
--- must_die
--- error_log
open.key

=== TEST 8b: a key under 32 bytes is refused at start, saying how to make one
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_SHORTKEY;
--- must_die
--- error_log
the key is 31 bytes, at least 32 are needed (make one with: openssl rand -hex 32)

=== TEST 9: a replayed event: the first answer byte for byte, applied once; same id other body 409
--- post_init
my ($code) = main::submit();
my $body = main::event_json(id => "evt-000123", type => "accept", actor => "Bộ phận Một cửa UBND phường Hồng Gai");
my $r1 = main::send_event($code, $body);
is($r1->{status}, 200) or diag($r1->{body});
my $hash1 = { @{ redis_cmd('HGETALL', "dvc:d:$code") } };
my $c1 = main::counters();
ok(scalar(keys %$c1) > 0, "counters written");
sleep(1.1);
my $r2 = main::send_event($code, $body);
is($r2->{status}, 200, "replay: 200");
is($r2->{body}, $r1->{body}, "replay: same answer byte for byte");
my $hash2 = { @{ redis_cmd('HGETALL', "dvc:d:$code") } };
is_deeply($hash2, $hash1, "replay: the dossier untouched (ver, history, receipt)");
is_deeply(main::counters(), $c1, "replay: counters unchanged");
my @entries = $hash2->{history} =~ /"event":"evt-000123"/g;
is(scalar @entries, 1, "one history entry");
# the same id with another body
my $r3 = main::send_event($code, main::event_json(id => "evt-000123", type => "accept", actor => "Một người khác"));
is($r3->{status}, 409);
like($r3->{body}, qr/^\{"error":"event_id_reused",/);
# the id is per dossier: another dossier may use it
my ($code2) = main::submit();
is(main::send_event($code2, $body)->{status}, 200, "same id, other dossier");

=== TEST 10: accept computes due_at from the calendar and signs a receipt that verifies
--- post_init
my ($code, $token) = main::submit();
my $r = main::send_event($code, main::event_json(id => "a1", type => "accept"));
is($r->{status}, 200) or diag($r->{body});
my $a = $J->decode($r->{body});
is($a->{code}, $code);
is($a->{event}, "a1");
is($a->{type}, "accept");
is($a->{status}, 2);
is($a->{status_slug}, "accepted");
like($a->{applied_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$/);
# the due time: 3 working days (x-dvc of 1.001612) on the shipped calendar,
# asked of the command line tool
my $acc = redis_cmd('HGET', "dvc:d:$code", 'accepted_at');
my $due = `$main::ROOT/build/dvc due --calendar $main::ROOT/calendar/vn-2025-2027.cal --accepted '$acc' --days 3`;
($due) = $due =~ /^due:\s+(\S+)/m;
like($due // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d/, "dvc due answers ($due)");
is(substr($a->{due_at}, 0, 16), substr($due, 0, 16), "due_at as the calendar says");
is(redis_cmd('HGET', "dvc:d:$code", 'due_at'), $a->{due_at}, "due_at recorded");
# the receipt: verified with jwcrypto against the gateway's JWKS
my $jwks = http_request("GET /dvc/v1/keys")->{body};
open my $f, '>', "$main::KEYS/jwks.json" or die; print $f $jwks; close $f;
my $out = `printf '%s' '$a->{receipt}' | /usr/bin/python3 $main::ROOT/t/util/jws_verify.py $main::KEYS/jwks.json`;
is($?, 0, "the receipt verifies") or diag($out);
my $p = eval { $J->decode($out) } // {};
is($p->{code}, $code, "receipt: code");
is($p->{due_at}, substr($a->{due_at}, 0, 16), "receipt: due_at");
is($p->{accepted_at}, substr($acc, 0, 16), "receipt: accepted_at");
is($p->{procedure}{code}, "1.001612", "receipt: procedure");
ok(length($p->{applicant}{name} // '') > 0, "receipt: the applicant from the submission");
ok(scalar(@{ $p->{documents} // [] }) > 0 && $p->{documents}[0]{name}, "receipt: documents with their names");
is($p->{fee}, 100000, "receipt: fee");
# GET .../receipt gives it to the citizen
my $rr = http_request("GET /dvc/v1/dossiers/$code/receipt", more_headers => "X-DVC-Lookup-Token: $token");
is($rr->{status}, 200);
is($J->decode($rr->{body})->{receipt}, $a->{receipt}, "the citizen gets the same receipt");
my $l = main::lookup($code, $token);
is($l->{status_number}, 2);
is($l->{due_at}, $a->{due_at});
is($l->{overdue}, JSON::PP::false);

=== TEST 11: delay records the apology and the new appointment; due_at stays, overdue judged on it
--- post_init
my ($code, $token) = main::submit();
main::send_event($code, main::event_json(id => "d0", type => "accept"))->{status} == 200 or die;
my $due = redis_cmd('HGET', "dvc:d:$code", 'due_at');
my $new = main::vn_time(time + 30 * 86400);
my $r = main::send_event($code, main::event_json(id => "d1", type => "delay",
    reason => { vi => "Xin lỗi ông/bà: cần lấy ý kiến cơ quan thuế", en => "We apologise: the tax office must be consulted" },
    new_due_at => $new));
is($r->{status}, 200) or diag($r->{body});
my $a = $J->decode($r->{body});
is($a->{appointment_at}, $new, "answer: appointment_at");
is($a->{status}, 2, "status unchanged");
is(redis_cmd('HGET', "dvc:d:$code", 'due_at'), $due, "due_at is the original");
is(redis_cmd('HGET', "dvc:d:$code", 'appointment_at'), $new);
my $l = main::lookup($code, $token);
is($l->{due_at}, $due, "lookup: due_at original");
is($l->{appointment_at}, $new, "lookup: appointment_at");
is($l->{apology}{reason}{vi}, "Xin lỗi ông/bà: cần lấy ý kiến cơ quan thuế", "lookup: the apology");
is($l->{apology}{new_due_at}, $new);
my ($h) = grep { ($_->{type} // '') eq 'delay' } @{ $l->{history} };
is($h->{new_due_at}, $new, "history: new_due_at");
is($h->{reason}{en}, "We apologise: the tax office must be consulted", "history: reason");
# a second delay must go beyond the current appointment
$r = main::send_event($code, main::event_json(id => "d2", type => "delay",
    reason => "Xin lỗi ông/bà vì chậm trễ thêm", new_due_at => main::vn_time(time + 20 * 86400)));
is($r->{status}, 422);
like($r->{body}, qr/^\{"error":"invalid_field","field":"new_due_at",/);
# overdue: derived from due_at (the original), not from the appointment
redis_cmd('HSET', "dvc:d:$code", 'due_ts', time - 60);
is(main::lookup($code, $token)->{overdue}, JSON::PP::true, "overdue on the original due time despite the apology");

=== TEST 12: refuse and request_supplement carry the human reason and the documents to the lookup
--- post_init
my ($code, $token) = main::submit();
my $r = main::send_event($code, main::event_json(id => "rs1", type => "request_supplement",
    actor => "Bộ phận Một cửa UBND phường Hồng Gai",
    reason => { vi => "Thiếu bản sao giấy khai sinh của con", en => "The child's birth certificate copy is missing" },
    documents => [{ name => "Bản sao Giấy khai sinh", note => "bản sao có chứng thực" }, "Sổ hộ khẩu"]));
is($r->{status}, 200) or diag($r->{body});
my $l = main::lookup($code, $token);
is($l->{status_number}, 5);
my $h = $l->{history}[-1];
is($h->{type}, "request_supplement");
is($h->{actor}, "Bộ phận Một cửa UBND phường Hồng Gai");
is($h->{reason}{vi}, "Thiếu bản sao giấy khai sinh của con");
is_deeply($h->{documents}, [{ name => "Bản sao Giấy khai sinh", note => "bản sao có chứng thực" }, { name => "Sổ hộ khẩu" }], "documents");
ok(!exists $l->{due_at} || !defined $l->{due_at}, "no appointment while in 5");
# a bare technical code is not a reason
my ($code2, $token2) = main::submit();
$r = main::send_event($code2, main::event_json(id => "rf0", type => "refuse", reason => "ERR_DOC_MISSING"));
is($r->{status}, 422);
like($r->{body}, qr/^\{"error":"reason_not_human","field":"reason",/);
$r = main::send_event($code2, main::event_json(id => "rf1", type => "refuse", reason => "Hồ sơ thuộc thẩm quyền của UBND tỉnh, không phải của phường"));
is($r->{status}, 200);
$l = main::lookup($code2, $token2);
is($l->{status}, "refused");
is($l->{history}[-1]{reason}{vi}, "Hồ sơ thuộc thẩm quyền của UBND tỉnh, không phải của phường");
# terminal: nothing moves it any more
is(main::send_event($code2, main::event_json(id => "rf2", type => "accept"))->{status}, 409);

=== TEST 13: bodies: bad JSON 400, missing and invalid fields 422 naming them, over 64 KiB 413, wrong content type 415
--- post_init
my ($code) = main::submit();
my @cases = (
    [ '{"id":"x1","type":', 400, 'json_syntax', undef ],
    [ '[]', 400, 'json_syntax', undef ],
    [ '{"type":"accept"}', 422, 'missing_field', 'id' ],
    [ '{"id":"x 1","type":"accept"}', 422, 'invalid_field', 'id' ],
    [ '{"id":"x1","type":"approve"}', 422, 'invalid_field', 'type' ],
    [ '{"id":"x1","type":"refuse"}', 422, 'missing_field', 'reason' ],
    [ '{"id":"x1","type":"request_supplement","reason":"Thiếu giấy tờ"}', 422, 'missing_field', 'documents' ],
    [ '{"id":"x1","type":"accept","at":"' . main::vn_time(time + 3600) . '"}', 422, 'invalid_field', 'at' ],
    [ '{"id":"x1","type":"accept","note":"a b"}', 422, 'invalid_field', 'note' ],
);
for my $c (@cases) {
    my ($body, $status, $err, $field) = @$c;
    my $r = main::send_event($code, $body);
    is($r->{status}, $status, "$body: $status");
    my $a = eval { $J->decode($r->{body}) } // {};
    is($a->{error}, $err, "$body: $err");
    is($a->{field}, $field, "$body: field") if defined $field;
}
my $big = '{"id":"big","type":"refuse","reason":"' . ("Lý do rất dài " x 6000) . '"}';
my $r = main::send_event($code, $big);
is($r->{status}, 413, "over 64 KiB");
like($r->{body}, qr/^\{"error":"body_too_large"/);
my $ts = time; my $body = '{"id":"ct","type":"accept"}';
$r = http_request("POST " . main::event_target($code) . "\n$body", more_headers =>
    "Content-Type: text/plain\nX-DVC-Timestamp: $ts\nX-DVC-Signature: " . main::signature($main::SECRET{1}, $ts, 'POST', main::event_target($code), $body));
is($r->{status}, 415, "text/plain");
$r = http_request("GET " . main::event_target($code));
is($r->{status}, 405, "GET");
is(redis_cmd('HGET', "dvc:d:$code", 'status'), 1, "nothing applied");

=== TEST 14: unknown dossier 404, malformed code 400
--- post_init
my $r = main::send_event("000.20.31.H29-261121-0042", main::event_json(id => "u1", type => "accept"));
is($r->{status}, 404);
like($r->{body}, qr/^\{"error":"not_found",/);
is(redis_cmd('EXISTS', "dvc:d:000.20.31.H29-261121-0042"), 0, "nothing created");
$r = main::send_event("not-a-code", main::event_json(id => "u1", type => "accept"));
is($r->{status}, 400);

=== TEST 15: concurrent events on one dossier: the ver guard lets exactly one apply
--- post_init
my ($code) = main::submit();
main::send_event($code, main::event_json(id => "c0", type => "accept"))->{status} == 200 or die;
# Redis paused: every request reads the dossier in the same state, then all
# compete in the script when it resumes
redis_pause();
my @kids;
# four "process" events (2 -> 4): once one is applied the others are
# illegal from 4, if they are decided on what is true then
for my $i (1 .. 4) {
    my $body = main::event_json(id => "c$i", type => "process");
    my $pid = fork // die;
    if (!$pid) {
        my $r = main::send_event($code, $body);
        open my $f, '>', "$main::KEYS/conc-$i" or die; print $f "$r->{status} $r->{body}"; close $f;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
sleep(0.5);
redis_resume();
waitpid($_, 0) for @kids;
my @res = map { local $/; open my $f, '<', "$main::KEYS/conc-$_" or die; <$f> } 1 .. 4;
my @ok = grep { /^200 / } @res;
is(scalar @ok, 1, "exactly one applied") or diag(join "\n", @res);
is(scalar(grep { /^409 \{"error":"illegal_transition"/ } @res), 3, "the others: 409 from the new status") or diag(join "\n", @res);
my $hist = redis_cmd('HGET', "dvc:d:$code", 'history');
my @entries = $hist =~ /"event":"c[1-4]"/g;
is(scalar @entries, 1, "one history entry");
is(redis_cmd('HGET', "dvc:d:$code", 'ver'), 2, "ver: accept, then one change");
like(block_error_log(), qr/raced another change; deciding again/, "the losers re-read");

=== TEST 16: the statistics move with the events, in the same write (all four cells)
--- post_init
my ($code) = main::submit();
my $today = POSIX::strftime("%Y%m%d", gmtime(time + 7 * 3600));
my $r = main::send_event($code, main::event_json(id => "st1", type => "accept"));
is($r->{status}, 200) or diag($r->{body});
my $due = $J->decode($r->{body})->{due_at};
(my $due_day = substr($due, 0, 10)) =~ s/-//g;
for my $cell ('all', 'a:000.20.31.H29', 'p:1.001612', 'ap:000.20.31.H29:1.001612') {
    is(redis_cmd('HGET', "dvc:st:$cell:received_online", $today), 1, "$cell: received online today");
    is(redis_cmd('HGET', "dvc:st:$cell:due_n", $due_day), 1, "$cell: due on $due_day, no apology");
}
is(redis_cmd('HGET', "dvc:d:$code", 'st_rcv'), 1, "st_rcv");
# a delay moves the due from "without" to "with apology"
$r = main::send_event($code, main::event_json(id => "st2", type => "delay",
    reason => "Xin lỗi ông/bà vì cần xác minh thêm", new_due_at => main::vn_time(time + 30 * 86400)));
is($r->{status}, 200) or diag($r->{body});
my $n = redis_cmd('HGETALL', "dvc:st:all:due_n"); my %n = @$n;
my $a = redis_cmd('HGETALL', "dvc:st:all:due_a"); my %a = @$a;
my $sum_n = 0; $sum_n += $_ for values %n;
my $sum_a = 0; $sum_a += $_ for values %a;
is($sum_n, 0, "due_n: moved out");
is($sum_a, 1, "due_a: moved in");
# resolved: closed, and resolved early (before the due day)
$r = main::send_event($code, main::event_json(id => "st3", type => "resolve", note => "Đã cấp giấy chứng nhận đăng ký hộ kinh doanh"));
is($r->{status}, 200) or diag($r->{body});
is(redis_cmd('HGET', "dvc:st:all:closed", $today), 1, "closed today");
my $early = redis_cmd('HGET', "dvc:st:all:resolved_early", $today) // 0;
my $ontime = redis_cmd('HGET', "dvc:st:all:resolved_ontime", $today) // 0;
is($early + $ontime, 1, "resolved in time");
ok(redis_cmd('HGET', "dvc:d:$code", 'closed_ts') > 0, "closed_ts");

=== TEST 17: a dossier recorded without receipt facts still gets its appointment and a receipt
--- post_init
my ($code) = main::submit();
redis_cmd('HDEL', "dvc:d:$code", 'receipt_facts');
my $r = main::send_event($code, main::event_json(id => "nf1", type => "accept"));
is($r->{status}, 200) or diag($r->{body});
my $a = $J->decode($r->{body});
ok($a->{receipt} =~ /^[\w-]+\.[\w-]+\.[\w-]+$/, "a compact JWS");
like(block_error_log(), qr/\[warn\].*has no receipt facts/, "said in the log");

=== TEST 18: "at" is the time of the act: kept in the history and the acceptance, never before the last entry
--- post_init
my ($code, $token) = main::submit();
my $sub = redis_cmd('ZSCORE', 'dvc:idx:submitted', $code);   # the submission's unix time
# before the submission itself: refused, naming "at"
my $r = main::send_event($code, main::event_json(id => "t0", type => "accept", at => main::vn_time($sub - 60)));
is($r->{status}, 422);
like($r->{body}, qr/^\{"error":"invalid_field","field":"at",/);
# 2 s after the submission (and before now): taken as the acceptance time
my $at = main::vn_time($sub + 2);
sleep(3.2);
$r = main::send_event($code, main::event_json(id => "t1", type => "accept", at => $at));
is($r->{status}, 200) or diag($r->{body});
is(redis_cmd('HGET', "dvc:d:$code", 'accepted_at'), $at, "accepted_at is the act's time");
my $l = main::lookup($code, $token);
is($l->{history}[-1]{at}, $at, "history: the act's time");
isnt($J->decode($r->{body})->{applied_at}, $at, "applied_at is the gateway's clock");
# the next event may not go back before it
$r = main::send_event($code, main::event_json(id => "t2", type => "process", at => main::vn_time($sub + 1)));
is($r->{status}, 422);
like($r->{body}, qr/"field":"at"/);

=== TEST 19: the script goes by its SHA-1 (EVALSHA); after SCRIPT FLUSH (redis-cli) the next event applies exactly once, with the text (EVAL)
--- post_init
my $cli = "redis-cli -p " . redis_port();
my ($code) = main::submit();
# a cache as after a restart, and counts from zero
is(`$cli SCRIPT FLUSH`, "OK\n", "redis-cli SCRIPT FLUSH");
redis_cmd('CONFIG', 'RESETSTAT');
sub calls {
    my %c;
    for (split /\r\n/, redis_cmd('INFO', 'commandstats')) {
        $c{$1} = { calls => $2, failed => $3 } if /^cmdstat_(evalsha|eval):calls=(\d+),.*failed_calls=(\d+)/;
    }
    return sprintf "evalsha %d (%d NOSCRIPT), eval %d", $c{evalsha}{calls} // 0,
        $c{evalsha}{failed} // 0, $c{eval}{calls} // 0;
}
my $r = main::send_event($code, main::event_json(id => "sha1", type => "accept"));
is($r->{status}, 200, "accept, the cache empty: 200") or diag($r->{body});
is(calls(), "evalsha 1 (1 NOSCRIPT), eval 1", "EVALSHA refused with NOSCRIPT, then EVAL once");
like(redis_cmd('INFO', 'memory'), qr/number_of_cached_scripts:1\r/, "the EVAL put the script back in the cache");
$r = main::send_event($code, main::event_json(id => "sha2", type => "process"));
is($r->{status}, 200, "process: 200") or diag($r->{body});
is(calls(), "evalsha 2 (1 NOSCRIPT), eval 1", "then EVALSHA alone: Redis knows the script by the SHA-1 the gateway computed");
# flushed between two events
is(`$cli SCRIPT FLUSH`, "OK\n", "SCRIPT FLUSH again");
my $resolve = main::event_json(id => "sha3", type => "resolve", note => "Trả kết quả qua dịch vụ bưu chính công ích");
$r = main::send_event($code, $resolve);
is($r->{status}, 200, "resolve after the flush: 200") or diag($r->{body});
is(calls(), "evalsha 3 (2 NOSCRIPT), eval 2", "NOSCRIPT, EVAL once more");
my $h = { @{ redis_cmd('HGETALL', "dvc:d:$code") } };
is($h->{status}, 9, "resolved");
is($h->{ver}, 3, "ver: three changes, each applied once");
is(join(",", $h->{history} =~ /"event":"(sha\d)"/g), "sha1,sha2,sha3", "one history entry per event");
my $today = POSIX::strftime("%Y%m%d", gmtime(time + 7 * 3600));
my $closed = redis_cmd('HGET', "dvc:st:all:closed", $today);
# a retry of the resolve: the gateway's read finds it applied and answers
# the stored answer without calling the script
my $again = main::send_event($code, $resolve);
is($again->{status}, 200, "the resolve sent again: 200");
is($again->{body}, $r->{body}, "the first answer byte for byte");
is(calls(), "evalsha 3 (2 NOSCRIPT), eval 2", "no script call for a replay");
is_deeply({ @{ redis_cmd('HGETALL', "dvc:d:$code") } }, $h, "the dossier untouched");
is(redis_cmd('HGET', "dvc:st:all:closed", $today), $closed, "the counters untouched");
my @said = block_error_log() =~ /\[notice\].*redis does not know the apply script/g;
is(scalar @said, 2, "each NOSCRIPT said once in the log, at notice");

=== TEST 20: no error but NOSCRIPT is retried: Redis full (OOM) is 503, one EVALSHA, no EVAL, nothing applied; the retry then applies once
--- post_init
my ($code) = main::submit();
is(main::send_event($code, main::event_json(id => "oom1", type => "accept"))->{status}, 200, "accept: the script is in the cache");
my $before = { @{ redis_cmd('HGETALL', "dvc:d:$code") } };
redis_cmd('CONFIG', 'RESETSTAT');
redis_cmd('CONFIG', 'SET', 'maxmemory', '1');
my $body = main::event_json(id => "oom2", type => "process");
my $r = main::send_event($code, $body);
redis_cmd('CONFIG', 'SET', 'maxmemory', '0');
is($r->{status}, 503, "Redis full: 503") or diag($r->{body});
like($r->{body}, qr/^\{"error":"unavailable",/);
my $cs = redis_cmd('INFO', 'commandstats');
like($cs, qr/^cmdstat_evalsha:calls=1,/m, "one EVALSHA");
unlike($cs, qr/^cmdstat_eval:/m, "no EVAL after it");
is_deeply({ @{ redis_cmd('HGETALL', "dvc:d:$code") } }, $before, "nothing applied");
like(block_error_log(), qr/event "oom2" on "\Q$code\E" not applied: OOM/, "the OOM logged");
unlike(block_error_log(), qr/does not know the apply script/, "not taken for a NOSCRIPT");
my $again = main::send_event($code, $body);
is($again->{status}, 200, "the same event again: 200") or diag($again->{body});
is(join(",", redis_cmd('HGET', "dvc:d:$code", 'history') =~ /"event":"(oom\d)"/g), "oom1,oom2", "applied once");

=== TEST 21: a replay nginx cannot write at once (a slow back-end): the first answer byte for byte, though the Redis reply it came from is freed
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_EVKEY1 name=current;
    # the smallest send buffer on the test's port (accepted sockets inherit
    # it): an answer of 6 KB takes several writes to a slow reader
    server { listen 127.0.0.1:$TEST_NGINX_SERVER_PORT sndbuf=1; server_name sndbuf.invalid; }
--- post_init
my $body = main::event_json(id => "evt-gpxd-1", type => "accept",
                            actor => "Bộ phận Một cửa UBND phường Hòa Xuân");
my (@code, @first);
for my $i (0, 1) {
    $code[$i] = main::big_dossier();
    my $r = main::send_event($code[$i], $body);
    is($r->{status}, 200, "dossier $i accepted") or diag($r->{body});
    $first[$i] = $r->{body};
}
ok(length($first[0]) > 6000, "the answer is large (" . length($first[0]) . " bytes)");
is(length($first[1]), length($first[0]), "both answers the same size");
isnt($first[1], $first[0], "and different");
# the back-end sends the event again and reads nothing for a while; the
# other dossier's replay meanwhile gets a reply of the same size from Redis
# (in the old code its memory was where the first answer's rest was read)
my $slow = main::send_event_stalled($code[0], $body);
sleep(0.5);
my $r = main::send_event($code[1], $body);
is($r->{status}, 200, "the other replay: 200");
is($r->{body}, $first[1], "the other replay: its own first answer");
sleep(0.5);
$r = http_response_read($slow);
is($r->{status}, 200, "the slow replay: 200") or diag($r->{error});
is($r->{body}, $first[0], "the slow replay: the first answer byte for byte");
is($r->{headers}{'content-length'}[0], length($first[0]), "Content-Length");
ok(main::waited_to_write(qr/for "\Q$code[0]\E" replayed/),
   "nginx had to wait to write the rest (the case under test)");
my $stored = redis_cmd('HGET', "dvc:d:$code[0]", 'e:evt-gpxd-1');
is(substr($stored, 65), $first[0], "what Redis keeps");
is(redis_cmd('HGET', "dvc:d:$code[0]", 'ver'), 1, "applied once");

=== TEST 22: the same event twice at once, both slow to read: the loser is answered from the script's reply ("done"), byte for byte the winner's answer
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_EVKEY1 name=current;
    server { listen 127.0.0.1:$TEST_NGINX_SERVER_PORT sndbuf=1; server_name sndbuf.invalid; }
--- post_init
my $code = main::big_dossier();
my $body = main::event_json(id => "evt-gpxd-2", type => "accept");
redis_cmd('CONFIG', 'RESETSTAT');
# Redis paused: both read the dossier before either applies, so the second
# learns of the first only from the script, which answers {"done", stored}
redis_pause();
my @c = map { main::send_event_stalled($code, $body) } 1 .. 2;
sleep(0.4);
redis_resume();
sleep(0.6);
my @r = map { http_response_read($_) } @c;
is($r[0]{status}, 200, "first: 200") or diag($r[0]{error} // $r[0]{body});
is($r[1]{status}, 200, "second: 200") or diag($r[1]{error} // $r[1]{body});
my $stored = redis_cmd('HGET', "dvc:d:$code", 'e:evt-gpxd-2');
ok(length($stored) > 6000, "a large answer");
is($r[0]{body}, substr($stored, 65), "first: the stored answer");
is($r[1]{body}, substr($stored, 65), "second: the stored answer, byte for byte");
# the script's runs: EVALSHA (less those refused with NOSCRIPT) and EVAL
my $runs = 0;
for (split /\r\n/, redis_cmd('INFO', 'commandstats')) {
    $runs += $2 - $3 if /^cmdstat_(evalsha|eval):calls=(\d+),.*failed_calls=(\d+)/;
}
is($runs, 2, "both went to the script (the loser got 'done', not a re-read)");
is(redis_cmd('HGET', "dvc:d:$code", 'ver'), 1, "applied once");
my @entries = redis_cmd('HGET', "dvc:d:$code", 'history') =~ /"event":"evt-gpxd-2"/g;
is(scalar @entries, 1, "one history entry");
my @conns = block_error_log() =~ /\*(\d+) [^\n]*event "evt-gpxd-2"/g;
my %seen; @conns = grep { !$seen{$_}++ } @conns;
is(scalar @conns, 2, "two requests logged");
for my $n (@conns) {
    like(block_error_log(), qr/\*$n writev\(\) not ready/, "*$n: nginx had to wait to write the rest");
}



=== TEST 23: a signature header given twice (any case, any mix of valid and forged) is 401 signature_ambiguous: one [warn] line naming it, nothing applied
--- post_init
my ($code) = main::submit();
my $key = "dvc:d:$code";
my $target = main::event_target($code);
my $body = main::event_json(id => "dup1", type => "refuse", reason => "Hồ sơ không thuộc thẩm quyền");
my $t = time;
my $good = main::signature($main::SECRET{1}, $t, 'POST', $target, $body);
my $next = main::signature($main::SECRET{2}, $t, 'POST', $target, $body);   # the other configured key: valid too
my $forged = main::signature($main::SECRET{3}, $t, 'POST', $target, $body);
my $moved = main::signature($main::SECRET{1}, $t + 1, 'POST', $target, $body);  # valid for the second timestamp
my $ct = "Content-Type: application/json\n";
my $sig_twice = "X-DVC-Signature given more than once";
my $ts_twice = "X-DVC-Timestamp given more than once";
my @cases = (
    [ "the same valid signature twice", $sig_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $good\nX-DVC-Signature: $good\n" ],
    [ "two valid signatures (both keys)", $sig_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $good\nX-DVC-Signature: $next\n" ],
    [ "two forged signatures", $sig_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $forged\nX-DVC-Signature: v1=" . ('0' x 64) . "\n" ],
    [ "valid, then forged", $sig_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $good\nX-DVC-Signature: $forged\n" ],
    [ "forged, then valid", $sig_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $forged\nX-DVC-Signature: $good\n" ],
    [ "valid, then malformed", $sig_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $good\nX-DVC-Signature: nonsense\n" ],
    [ "the same timestamp twice", $ts_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Timestamp: $t\nX-DVC-Signature: $good\n" ],
    [ "two timestamps, signed with the first", $ts_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Timestamp: " . ($t + 1) . "\nX-DVC-Signature: $good\n" ],
    [ "two timestamps, signed with the last", $ts_twice,
      "X-DVC-Timestamp: $t\nX-DVC-Timestamp: " . ($t + 1) . "\nX-DVC-Signature: $moved\n" ],
    [ "signature in lower and upper case", $sig_twice,
      "X-DVC-Timestamp: $t\nx-dvc-signature: $good\nX-DVC-Signature: $good\n" ],
    [ "signature in mixed case, forged first", $sig_twice,
      "X-DVC-Timestamp: $t\nX-Dvc-Signature: $forged\nx-dvc-signature: $good\n" ],
    [ "timestamp in upper and lower case", $ts_twice,
      "X-DVC-TIMESTAMP: $t\nx-dvc-timestamp: $t\nX-DVC-Signature: $good\n" ],
    [ "both headers twice", "X-DVC-Timestamp and X-DVC-Signature given more than once",
      "X-DVC-Timestamp: $t\nX-DVC-Signature: $good\nx-dvc-timestamp: $t\nx-dvc-signature: $good\n" ],
    [ "a signature twice, no timestamp", $sig_twice,
      "X-DVC-Signature: $good\nX-DVC-Signature: $good\n" ],
);
my %before = (history => redis_cmd('HGET', $key, 'history'),
              ver => redis_cmd('HGET', $key, 'ver') // 0,
              inbox => redis_cmd('XLEN', 'dvc:inbox'));
my $first;
for my $c (@cases) {
    my ($name, $said, $h) = @$c;
    my $r = http_request("POST $target\n$body", more_headers => $ct . $h);
    is($r->{status}, 401, "$name: 401");
    is($r->{body}, '{"error":"signature_ambiguous","message":{"vi":"X-DVC-Timestamp và X-DVC-Signature chỉ được gửi một lần; yêu cầu có một trong hai tiêu đề này lặp lại bị từ chối.","en":"X-DVC-Timestamp and X-DVC-Signature must each be sent once; a request repeating either header is refused."}}',
       "$name: the body the back-end sees");
    $first //= $r->{body};
}
is(redis_cmd('HGET', $key, 'status'), 1, "nothing applied: still submitted");
is(redis_cmd('HGET', $key, 'history'), $before{history}, "history unchanged");
is(redis_cmd('HGET', $key, 'ver') // 0, $before{ver}, "ver unchanged");
is(redis_cmd('HGET', $key, 'e:dup1'), undef, "no event recorded");
is(redis_cmd('XLEN', 'dvc:inbox'), $before{inbox}, "no inbox entry");
my $log = block_error_log();
my @lines = grep { /event for .* refused: signature_/ } split /\n/, $log;
is(scalar @lines, scalar @cases, "one log line per refusal");
is(scalar(grep { /\[warn\]/ } @lines), scalar @cases, "all at [warn]");
for my $i (0 .. $#cases) {
    like($lines[$i] // '', qr/event for "\Q$code\E" refused: signature_ambiguous \(\Q$cases[$i][1]\E\)/,
         "$cases[$i][0]: the line names the header");
}
for my $s (values %main::SECRET) { unlike($log, qr/\Q$s\E/, "no key in the log") }
my $ours = join "\n", grep { !/\[debug\]/ } @lines;
unlike($ours, qr/v1=|nonsense|\Q$t\E/, "no signature or timestamp value in our lines");
unlike($ours, qr/thẩm quyền|"type"/, "no body in our lines");
# each header once, in any case, is the back-end's own request: applied
my $r = http_request("POST $target\n$body",
                     more_headers => $ct . "x-dvc-timestamp: $t\nx-dvc-signature: $good\n");
is($r->{status}, 200, "each header once (lower case): applied") or diag($r->{body});
is(redis_cmd('HGET', $key, 'status'), 3, "refused (3)");
--- no_error_log
[error]
