# Helpers of the upload tests (t/110-uploads.t, t/111-clamd.t,
# t/112-documents.t):
# small real files, the raw POST /dvc/v1/uploads, what the store and Redis
# hold, a copy of the shipped schemas with per-kind rules, and a real clamd
# (Debian's clamav-daemon) on a unix socket and a loopback port with a
# signature database the test writes (the machine is offline: no freshclam).
package Test::DVC::Uploads;
use strict;
use warnings;
use Exporter 'import';
use FindBin;
use JSON::PP;
use File::Path qw(make_path remove_tree);
use File::Find ();
use File::Copy ();
use File::Temp ();
use IO::Socket::INET;
use Time::HiRes ();
use Digest::SHA ();
use Test::Nginx::DVC;

our @EXPORT = qw(pdf_file png_file jpeg_file eicar_pdf upload upload_raw
                 store_dir store_files clear_store temp_files
                 rules_schemas clamd_start clamd_stop clamd_pid clamd_socket
                 clamd_port dossier_with $UJ);

our $UJ = JSON::PP->new->utf8->canonical;
my $ROOT = "$FindBin::Bin/..";

# a PDF of n bytes or so (a real header, a body, a trailer); $tag makes
# each one's hash its own
sub pdf_file {
    my ($tag, $size) = @_;
    my $b = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
          . "% $tag\n";
    my $t = "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
    $b .= "x" x ($size - length($b) - length($t)) if $size && $size > length($b) + length($t);
    return $b . $t;
}

sub png_file {
    my ($tag) = @_;
    return "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0"
         . "tEXt$tag";
}

sub jpeg_file {
    my ($tag) = @_;
    return "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0" . $tag
         . "\xff\xd9";
}

# a PDF carrying the EICAR test string, which the test's signature finds
sub eicar_pdf {
    return "%PDF-1.4\n% " . 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-'
         . 'TEST-FILE!$H+H*' . "\ntrailer\n<< >>\n%%EOF\n";
}

# POST /dvc/v1/uploads with the raw body; headers: extra lines. Returns
# http_request's hash with {json} when the body is JSON.
sub upload {
    my ($type, $body, %o) = @_;
    my $h = "POST /dvc/v1/uploads HTTP/1.1\r\nHost: localhost\r\n"
          . "Connection: close\r\n"
          . (defined $type ? "Content-Type: $type\r\n" : "")
          . "Content-Length: " . ($o{length} // length $body) . "\r\n"
          . join('', map { "$_\r\n" } @{ $o{headers} || [] })
          . "\r\n";
    return upload_raw($h . $body, timeout => $o{timeout});
}

sub upload_raw {
    my ($raw, %o) = @_;
    my $r = http_request(raw => $raw, timeout => $o{timeout} || 10);
    $r->{json} = eval { $UJ->decode($r->{body}) } if ($r->{body} // '') =~ /^\{/;
    return $r;
}

# the example birth registration (examples/dossiers/1.001193.json), its
# documents replaced by these: [{kind, type, body} or {kind, type, size,
# sha256}]; the body as JSON text
sub dossier_with {
    my (@docs) = @_;
    local $/;
    open my $f, '<', "$ROOT/examples/dossiers/1.001193.json" or die "$!";
    my $d = $UJ->decode(<$f>);
    $d->{documents} = [ map { {
        kind => $_->{kind}, file_name => "scan.bin", media_type => $_->{type},
        size => $_->{size} // length($_->{body}),
        sha256 => $_->{sha256} // Digest::SHA::sha256_hex($_->{body}),
    } } @docs ];
    return $UJ->encode($d);
}

sub store_dir { servroot() . "/documents" }

# every file below the store, relative
sub store_files {
    my $d = store_dir();
    my @f;
    return () unless -d $d;
    File::Find::find({ no_chdir => 1, wanted => sub {
        push @f, substr($_, length($d) + 1) if -f $_;
    } }, $d);
    @f = sort @f;
    return @f;
}

sub clear_store {
    my $d = store_dir();
    remove_tree($d) if -d $d;
    make_path($d, { mode => 0700 });
}

# nginx's client body temp files left behind.  nginx deletes one with the
# request's pool, which may go a moment after the client has its answer
# (lingering close): they are counted once none went for 50 ms, within 2 s.
sub temp_files {
    my @f = _temp_files();
    my $deadline = Time::HiRes::time() + 2;
    while (@f && Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep(0.05);
        @f = _temp_files();
    }
    return @f;
}

sub _temp_files {
    my $d = servroot() . "/tmp";
    my @f;
    return () unless -d $d;
    File::Find::find({ no_chdir => 1, wanted => sub { push @f, $_ if -f $_ } },
                     $d);
    return @f;
}

# the shipped schemas, copied, with rules on 1.001193's kinds:
# birth_medical_certificate PDF only, at most 4096 bytes; witness_statement
# images only.  Returns the directory.
sub rules_schemas {
    my ($dir) = @_;
    make_path("$dir/common");
    for my $f (glob("$ROOT/schemas/*.json"), glob("$ROOT/schemas/common/*.json")) {
        my $to = $f =~ m{/common/} ? "$dir/common/" : "$dir/";
        File::Copy::copy($f, $to) or die "copy $f: $!";
    }
    my $p = "$dir/1.001193.json";
    open my $in, '<', $p or die "$p: $!";
    my $s = do { local $/; <$in> };
    close $in;
    my $j = JSON::PP->new->utf8->canonical->pretty;
    my $d = $j->decode($s);
    for my $doc (@{ $d->{'x-dvc'}{documents} }) {
        if ($doc->{kind} eq 'birth_medical_certificate') {
            $doc->{types} = ['application/pdf'];
            $doc->{max_size} = 4096;
        } elsif ($doc->{kind} eq 'witness_statement') {
            $doc->{types} = ['image/jpeg', 'image/png'];
        }
    }
    open my $out, '>', $p or die "$p: $!";
    print $out $j->encode($d);
    close $out;
    return $dir;
}

# ------------------------------------------------------------------ clamd
my ($ClamdPid, $ClamdDir, $ClamdPort);

sub clamd_pid    { $ClamdPid }
sub clamd_socket { "$ClamdDir/clamd.sock" }
sub clamd_port   { $ClamdPort }

sub _free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
        or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# Starts clamd in the foreground (its pid is ours) with a database of one
# signature: the EICAR test string, anywhere in any file.  Waits until the
# socket answers PING.
sub clamd_start {
    my (%o) = @_;
    # its own directory: the file's server root is wiped when its tests
    # start, and a unix socket path must stay short
    $ClamdDir //= File::Temp::tempdir("dvc-clamd-XXXXXX", TMPDIR => 1,
                                      CLEANUP => 1);
    make_path("$ClamdDir/db");
    $ClamdPort //= _free_port();
    my $hex = unpack('H*', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE');
    open my $db, '>', "$ClamdDir/db/dvc-test.ndb" or die $!;
    print $db "DVC.Test.EICAR:0:*:$hex\n";
    close $db;
    my $user = getpwuid($<);
    open my $c, '>', "$ClamdDir/clamd.conf" or die $!;
    print $c <<"EOF";
DatabaseDirectory $ClamdDir/db
LocalSocket $ClamdDir/clamd.sock
TCPSocket $ClamdPort
TCPAddr 127.0.0.1
Foreground yes
LogFile $ClamdDir/clamd.log
LogTime yes
User $user
StreamMaxLength @{[ $o{stream_max} // '100M' ]}
MaxThreads 2
EOF
    close $c;
    unlink "$ClamdDir/clamd.sock";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$ClamdDir/clamd.out";
        open STDERR, '>&', \*STDOUT;
        exec '/usr/sbin/clamd', '-c', "$ClamdDir/clamd.conf";
        exit 127;
    }
    $ClamdPid = $pid;
    my $deadline = Time::HiRes::time() + 20;
    while (Time::HiRes::time() < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ClamdPort, Timeout => 1);
        if ($s) {
            print $s "zPING\0";
            my $a = '';
            sysread($s, $a, 64);
            return $pid if $a =~ /^PONG/ && -S "$ClamdDir/clamd.sock";
        }
        Time::HiRes::sleep(0.05);
    }
    die "clamd did not start: " . `tail -5 $ClamdDir/clamd.log $ClamdDir/clamd.out 2>&1`;
}

sub clamd_stop {
    return unless $ClamdPid;
    kill 'TERM', $ClamdPid;
    waitpid($ClamdPid, 0);
    $ClamdPid = undef;
}

END { clamd_stop() }

1;
