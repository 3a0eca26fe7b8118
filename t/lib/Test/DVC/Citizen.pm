# Helpers shared by the citizen's tests (t/061-064): submit a real dossier
# through the gateway, read what Redis holds, sign a request as the
# back-end does.  Everything goes through the running nginx and Redis.
package Test::DVC::Citizen;
use strict;
use warnings;
use Exporter 'import';
use FindBin;
use JSON::PP;
use Digest::SHA qw(hmac_sha256_hex);
use IO::Socket::INET;
use Time::HiRes ();
use Test::Nginx::DVC;

our @EXPORT = qw(example submit_dossier dossier inbox set_status
                 history_last citizen_post racing_posts post_and_hang_up
                 answer_shape signed_headers send_event event_raw
                 event_key_config $J $EVENT_KEY);

our $J = JSON::PP->new->utf8->canonical;
our $ROOT = "$FindBin::Bin/..";
# the back-end's event key (dvc_event_key): text, >= 32 bytes
our $EVENT_KEY = "4f1c2b9e8d7a6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170605f4e3";

sub example {
    local $/;
    open my $f, '<', "$ROOT/examples/dossiers/$_[0].json" or die "$_[0]: $!";
    my $b = <$f>;
    $b =~ s/\n\z//;
    return $b;
}

# POST a dossier (an example file or a body); returns the 201's fields
sub submit_dossier {
    my ($proc, $body) = @_;
    $body //= example($proc);
    my $r = http_request("POST /dvc/v1/dossiers\n$body",
                         more_headers => "Content-Type: application/json");
    die "submission answered $r->{status}: $r->{body}\n" unless $r->{status} == 201;
    return $J->decode($r->{body});
}

sub dossier {
    my ($code) = @_;
    return { @{ redis_cmd('HGETALL', "dvc:d:$code") } };
}

# the inbox entries, as hashes, optionally only one type
sub inbox {
    my ($type) = @_;
    my @e = map { { @{ $_->[1] } } } @{ redis_cmd('XRANGE', 'dvc:inbox', '-', '+') };
    return defined $type ? grep { ($_->{type} // '') eq $type } @e : @e;
}

# puts a dossier in a status the way the back-end's events would leave it
sub set_status {
    my ($code, $status, %extra) = @_;
    redis_cmd('HSET', "dvc:d:$code", status => $status, %extra);
}

sub history_last {
    my ($code) = @_;
    my $h = $J->decode(dossier($code)->{history});
    return $h->[-1];
}

# POST {code}/<action> with the token in the header (or ?token= with
# query => 1)
sub citizen_post {
    my ($code, $action, $token, $body, %o) = @_;
    # Perl text (use utf8) goes out as UTF-8 bytes
    utf8::encode($body) if defined $body && utf8::is_utf8($body);
    my $target = "/dvc/v1/dossiers/$code/$action";
    my $h = "";
    if (defined $token) {
        if ($o{query}) { $target .= "?token=$token" }
        else { $h .= "X-DVC-Lookup-Token: $token\n" }
    }
    $h .= "Content-Type: " . ($o{type} // "application/json") . "\n"
        if defined $body;
    my $r = http_request("POST $target" . (defined $body ? "\n$body" : ""),
                         more_headers => $h);
    $r->{json} = eval { $J->decode($r->{body}) };
    return $r;
}

# Citizen actions on one dossier at the same instant: Redis is held still
# while they arrive (0.1 s apart, in the order given), so every one reads
# the dossier at the same ver and all but the first to write lose the
# compare-and-set and are decided again.  Each request is [action, body];
# returns { status, body } for each, in the same order.
sub racing_posts {
    my ($code, $token, @req) = @_;
    my @socks;
    for my $q (@req) {
        my ($action, $body) = @$q;
        utf8::encode($body) if utf8::is_utf8($body);
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => server_port())
            or die "racing_posts: connect: $!\n";
        push @socks, [ $s, "POST /dvc/v1/dossiers/$code/$action HTTP/1.1\r\nHost: localhost\r\n"
                           . "Connection: close\r\nX-DVC-Lookup-Token: $token\r\n"
                           . "Content-Type: application/json\r\nContent-Length: " . length($body)
                           . "\r\n\r\n$body" ];
    }
    redis_pause();
    for (@socks) { syswrite($_->[0], $_->[1]); Time::HiRes::sleep(0.1) }
    Time::HiRes::sleep(0.2);
    redis_resume();
    my @answers;
    for (@socks) {
        local $/;
        my $resp = readline($_->[0]) // "";
        my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
        my ($body) = $resp =~ m{\r\n\r\n(.*)\z}s;
        push @answers, { status => $status // 0, body => $body // "", raw => $resp };
    }
    return @answers;
}

# A citizen action whose answer is lost: the request is sent whole and the
# connection closed without reading (a phone losing its signal); the
# gateway still applies it.  Waits until `$applied->()` (checked against
# Redis) holds, at most 5 s; returns whether it did.
sub post_and_hang_up {
    my ($code, $action, $token, $body, $applied) = @_;
    utf8::encode($body) if utf8::is_utf8($body);
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => server_port())
        or die "post_and_hang_up: connect: $!\n";
    syswrite($s, "POST /dvc/v1/dossiers/$code/$action HTTP/1.1\r\nHost: localhost\r\n"
                 . "Connection: close\r\nX-DVC-Lookup-Token: $token\r\n"
                 . "Content-Type: application/json\r\nContent-Length: " . length($body)
                 . "\r\n\r\n$body");
    close $s;
    for (1 .. 50) {
        return 1 if $applied->();
        Time::HiRes::sleep(0.1);
    }
    return 0;
}

# an answer as the client sees it, but the Date header (the clock moves):
# status line, headers, body; from http_request's or racing_posts' raw
sub answer_shape {
    my ($r) = @_;
    my ($head, $body) = split /\r\n\r\n/, $r->{raw} // '', 2;
    my @h = grep { !/^Date:/i } split /\r\n/, $head // '';
    return join("\n", @h) . "\n\n" . ($body // '');
}

# X-DVC-Timestamp / X-DVC-Signature for a request as the back-end signs it
sub signed_headers {
    my ($method, $target, $body, %o) = @_;
    my $ts = $o{ts} // time;
    my $key = $o{key} // $EVENT_KEY;
    my $mac = hmac_sha256_hex("$ts\n$method\n$target\n$body", $key);
    return "X-DVC-Timestamp: $ts\nX-DVC-Signature: v1=$mac\n";
}

# the http_config line for the back-end's key, in a file only its owner
# may read (as nginx -t demands); for gateway_defaults(extra_http => ...)
sub event_key_config {
    require File::Temp;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my $f = "$dir/event.key";
    open my $fh, '>', $f or die; print $fh "$EVENT_KEY\n"; close $fh;
    chmod 0600, $f;
    $ENV{TEST_NGINX_CITIZEN_EVKEY} = $f;
    return "    dvc_event_key \$TEST_NGINX_CITIZEN_EVKEY;\n";
}

# a signed back-end event on a dossier; returns the response (json decoded)
my $event_seq = 0;
sub send_event {
    my ($code, $event) = @_;
    $event = { id => "evt-citizen-" . $$ . "-" . ++$event_seq, %$event };
    return event_raw($code, $J->encode($event));
}

# an event with a fixed id and body, as given (send_event makes a new id
# each time): for replays byte for byte
sub event_raw {
    my ($code, $body) = @_;
    my $target = "/dvc/v1/dossiers/$code/events";
    my $r = http_request("POST $target\n$body",
        more_headers => "Content-Type: application/json\n"
                        . signed_headers("POST", $target, $body));
    $r->{json} = eval { $J->decode($r->{body}) };
    return $r;
}

1;
