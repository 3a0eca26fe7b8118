package Test::Nginx::DVC;

# Integration-test harness for ngx_dvc, in the data-driven style of
# Test::Nginx::Socket, on Test::Base (Test::Nginx itself is not packaged in
# Debian).  Each test file gets a private server root, a private redis-server
# and free loopback ports; each block gets a fresh nginx (master + workers,
# daemonized) built from its sections, seeded Redis, its requests, and a scan
# of the error log it wrote.  Nothing is mocked: Debian's /usr/sbin/nginx with
# the built module and a real redis-server.  See t/README.md.

use strict;
use warnings;

use Test::Base ();
use Test::More ();
use Test::Base::Filter ();
use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use Errno qw(EAGAIN EWOULDBLOCK EINTR EINPROGRESS);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Socket qw(IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_RCVBUF inet_aton
              pack_sockaddr_in);
use Time::HiRes qw(time sleep);

our @ISA = ('Test::Base');

our @EXPORT = qw(
    run_tests run_block add_block_preprocessor gateway_defaults
    redis_cmd redis_session redis_start redis_stop redis_restart redis_pause
    redis_resume
    redis_running redis_pid
    nginx_reload nginx_worker_pids nginx_master_pid
    http_request http_request_stalled http_response_read responses
    block_error_log
    server_port redis_port servroot repo_root
    sha256_hex note explain sleep
);

sub note    { Test::More->builder->note(@_) }
sub explain { Test::More->builder->explain(@_) }

# ------------------------------------------------------------------ settings

my $RepoRoot = abs_path(dirname(abs_path(__FILE__)) . '/../../../..');
my $NginxBin = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $RedisBin = $ENV{TEST_NGINX_REDIS_BINARY} || 'redis-server';
my $ModulePath = $ENV{TEST_NGINX_MODULE}
    || "$RepoRoot/build/ngx_http_dvc_module.so";
my $Verbose = $ENV{TEST_NGINX_VERBOSE};
my $NoClean = $ENV{TEST_NGINX_NO_CLEAN};
# For a module built with -fsanitize=address: the sanitizer runtime preloaded
# into nginx only (not into perl), e.g. TEST_NGINX_PRELOAD=$(gcc
# -print-file-name=libasan.so).  Workers are forked, not exec'd, so they keep it.
my $Preload = $ENV{TEST_NGINX_PRELOAD};
# make test-asan: the sanitizer runtime, always first in nginx's LD_PRELOAD
# (ASan refuses to start otherwise), before whatever a test file preloads
# itself (t/050 and t/070 set TEST_NGINX_PRELOAD to libfaketime)
my $SanitizerRt = $ENV{TEST_NGINX_ASAN_RT};
$Preload = join ' ', grep { defined && length } $SanitizerRt, $Preload;
$Preload = undef unless length $Preload;

my $ServRoot;                    # per test file
my ($ServerPort, $RedisPort);
my $OwnerPid = $$;               # only this process cleans up (we fork)
my $SetUp = 0;
my $AnyFailure = 0;

my $RedisConn;                   # Test::Nginx::DVC::Redis
my $RedisPid;
my $RedisPaused = 0;

my $NginxPid;                    # master pid while a block runs
my $BlockWorkers = 1;

our $CurBlock;                    # the block being run
our $CurName = q();
my $BlockFailed = 0;
my $LogOffset = 0;
my @Responses;                   # responses of the current block

my $Tb = Test::More->builder;
my @Preprocessors;

# As in Test::Nginx: code run on every block before it runs, e.g. to give
# blocks a default config ($block->set_value(config => ...)).
sub add_block_preprocessor { push @Preprocessors, @_ }

# The gateway with submissions: a signing key made for this file (mode 0600,
# as the module demands; in $TEST_NGINX_KEY), and blocks that say nothing of
# their own get the shipped schemas and calendar, that key, `dvc_api` on
# /dvc/ and, with json => 1, a JSON Content-Type.  extra_http => "..." adds
# lines to the default http_config.
sub gateway_defaults {
    my (%opt) = @_;
    require File::Temp;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    system("$RepoRoot/build/dvc", "keygen", "--out", "$dir/k1.pem") == 0
        or die "dvc keygen failed (run 'make' first)\n";
    $ENV{TEST_NGINX_KEY} = "$dir/k1.pem";
    my $http = "    dvc_schemas \$TEST_NGINX_SCHEMAS;\n"
             . "    dvc_calendar \$TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;\n"
             . "    dvc_signing_key \$TEST_NGINX_KEY;\n"
             . ($opt{extra_http} // '');
    add_block_preprocessor(sub {
        my $block = shift;
        $block->set_value(http_config => $http) unless defined $block->http_config;
        $block->set_value(config => "    location /dvc/ { dvc_api; }\n")
            unless defined $block->config;
        $block->set_value(more_headers => "Content-Type: application/json\n")
            if $opt{json} && !defined $block->more_headers;
    });
    return $dir;
}

sub repo_root  { $RepoRoot }
sub servroot   { $ServRoot }
sub server_port { $ServerPort }
sub redis_port { $RedisPort }
sub redis_pid  { $RedisPid }
sub nginx_master_pid { $NginxPid }
sub responses  { @Responses }

sub _diag { $Tb->diag(@_) }
sub _note { $Tb->note(@_) }

# Checks that remember a failure so the block can print its log tail.
sub _ok {
    my ($test, $name, @diag) = @_;
    my $r = $Tb->ok($test, $name);
    if (!$r) {
        $BlockFailed = 1;
        $AnyFailure = 1;
        _diag($_) for grep { defined && length } @diag;
    }
    return $r;
}

sub _is {
    my ($got, $want, $name) = @_;
    my $r = $Tb->is_eq($got, $want, $name);
    if (!$r) { $BlockFailed = 1; $AnyFailure = 1 }
    return $r;
}

sub _like {
    my ($got, $re, $name) = @_;
    my $r = $Tb->like($got, $re, $name);
    if (!$r) { $BlockFailed = 1; $AnyFailure = 1 }
    return $r;
}

# ------------------------------------------------------------------ helpers

sub _free_port {
    my %taken = map { $_ => 1 } grep { defined } @_;
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Proto => 'tcp', Listen => 1)
            or die "cannot bind 127.0.0.1:0: $!";
        my $port = $s->sockport;
        close $s;
        return $port unless $taken{$port};
    }
    die "no free port found";
}

sub _slurp {
    my ($file, $offset) = @_;
    open my $fh, '<:raw', $file or return '';
    seek $fh, $offset, 0 if $offset;
    local $/;
    my $data = <$fh>;
    close $fh;
    return defined $data ? $data : '';
}

sub _spew {
    my ($file, $data) = @_;
    open my $fh, '>:raw', $file or die "cannot write $file: $!";
    print $fh $data;
    close $fh or die "cannot write $file: $!";
}

sub _alive {
    my ($pid) = @_;
    return 0 unless $pid;
    return 0 unless kill 0, $pid;
    # a zombie is dead for our purposes
    my $stat = _slurp("/proc/$pid/stat");
    return 0 if $stat =~ /^\d+ \(.*\) Z /s;
    return 1;
}

sub _wait_gone {
    my ($secs, @pids) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        return 1 unless grep { _alive($_) } @pids;
        waitpid(-1, POSIX::WNOHANG());
        sleep 0.02;
    }
    return !grep { _alive($_) } @pids;
}

sub _children_of {
    my ($ppid) = @_;
    my @kids;
    opendir my $dh, '/proc' or return;
    for my $p (grep { /^\d+$/ } readdir $dh) {
        my $stat = _slurp("/proc/$p/stat");
        next unless $stat =~ /^\d+ \(.*\) \S+ (\d+) /s;
        push @kids, $p if $1 == $ppid;
    }
    closedir $dh;
    @kids = sort { $a <=> $b } @kids;
    return @kids;
}

# Run a command, capturing stdout and stderr into one string (through a file:
# a daemonizing nginx keeps a pipe open long after the command returns).
sub _run_capture {
    my (@cmd) = @_;
    my $nginx = $cmd[0] eq $NginxBin;
    my $out = "$ServRoot/logs/cmd.out";
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        if ($nginx && $Preload) {
            $ENV{LD_PRELOAD} = $Preload;
            # Debian's nginx is not built with ASan: its workers exit without
            # freeing the cycle, which LeakSanitizer reports against nginx
            # itself (frames in /usr/sbin/nginx only), so leaks are off
            # unless asked for.  The allocator's release-to-OS clock is off:
            # under libfaketime (t/050) ASan's allocator calls clock_gettime,
            # faketime's first call does dlsym, which mallocs: a deadlock
            $ENV{ASAN_OPTIONS} //= 'detect_leaks=0:allocator_release_to_os_interval_ms=-1';
            $ENV{UBSAN_OPTIONS} //= 'print_stacktrace=1';
        }
        if ($nginx) {
            # a sanitizer's reports go to files of their own
            # (logs/sanitizer.PID), whatever nginx did with its stderr;
            # every block reads them (_sanitizer_reports)
            for my $v (qw(ASAN_OPTIONS UBSAN_OPTIONS)) {
                my $o = $ENV{$v} // '';
                $ENV{$v} = join ':', grep { length } $o,
                    "log_path=$ServRoot/logs/sanitizer"
                    unless $o =~ /\blog_path=/;
            }
        }
        no warnings "exec";
        exec { $cmd[0] } @cmd;
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $status = $?;
    return ($status, _slurp($out));
}

sub _subst_vars {
    my ($text) = @_;
    return $text unless defined $text && !ref $text;
    my %vars = (
        TEST_NGINX_SERVER_PORT => $ServerPort,
        TEST_NGINX_REDIS_PORT  => $RedisPort,
        TEST_NGINX_SERVROOT    => $ServRoot,
        TEST_NGINX_ROOT        => $RepoRoot,
        TEST_NGINX_SCHEMAS     => "$RepoRoot/schemas",
        TEST_NGINX_MODULE      => $ModulePath,
    );
    $text =~ s{\$(TEST_NGINX_[A-Z0-9_]+)\b}{
        exists $vars{$1} ? $vars{$1}
        : defined $ENV{$1} ? $ENV{$1} : "\$$1"
    }ge;
    return $text;
}

# Run a block's Perl (init, post_init, redis_check perl, actions): checks it
# makes with Test::More get the block's name in front ("TEST 3: x - the
# check"), and count as the block's failures.
sub _user_code {
    my ($code) = @_;
    my $orig = \&Test::Builder::ok;
    no warnings 'redefine';
    local *Test::Builder::ok = sub {
        my ($tb, $test, $name) = @_;
        $name = defined $name ? "$CurName - $name" : $CurName
            unless defined $name && index($name, $CurName) == 0;
        my $r = $orig->($tb, $test, $name);
        $BlockFailed = $AnyFailure = 1 unless $test;
        return $r;
    };
    return $code->();
}

sub _eval_perl {
    my ($code, $where) = @_;
    my @r = eval "package main; no strict 'vars'; no warnings 'once';\n"
                 . "#line 1 \"$where\"\n$code";
    die $@ if $@;
    return wantarray ? @r : $r[-1];
}

# [% perl expression %] substitution (redis and redis_check sections)
sub _subst_tt {
    my ($text) = @_;
    $text =~ s{\[%(.*?)%\]}{ join '', _eval_perl($1, "$CurName [% %]") }gse;
    return $text;
}

# ------------------------------------------------------------------ Redis

sub _redis_dir { "$ServRoot/redis" }

sub redis_running { return _alive($RedisPid) ? 1 : 0 }

sub redis_start {
    die "redis_start: already running (pid $RedisPid)\n" if redis_running();
    make_path(_redis_dir());
    my $dir = _redis_dir();
    unlink "$dir/redis.pid";
    my ($st, $out) = _run_capture($RedisBin,
        '--port', $RedisPort, '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no', '--daemonize', 'yes',
        '--pidfile', "$dir/redis.pid", '--dir', $dir,
        '--logfile', "$dir/redis.log");
    die "redis-server failed to start: $out\n" if $st != 0;
    my $deadline = time + 10;
    $RedisConn = undef;
    while (time < $deadline) {
        my $pid = _slurp("$dir/redis.pid");
        if ($pid =~ /(\d+)/) {
            $RedisPid = $1;
            my $c = Test::Nginx::DVC::Redis->new('127.0.0.1', $RedisPort);
            if ($c && eval { $c->cmd('PING') } && !$@) {
                $RedisConn = $c;
                $RedisPaused = 0;
                return 1;
            }
        }
        sleep 0.02;
    }
    die "redis-server did not answer PING on port $RedisPort:\n"
        . _slurp("$dir/redis.log") . "\n";
}

sub redis_stop {
    $RedisConn = undef;
    return 1 unless $RedisPid;
    if ($RedisPaused) { kill 'CONT', $RedisPid; $RedisPaused = 0 }
    kill 'TERM', $RedisPid;
    unless (_wait_gone(5, $RedisPid)) {
        kill 'KILL', $RedisPid;
        _wait_gone(2, $RedisPid);
    }
    $RedisPid = undef;
    return 1;
}

sub redis_restart { redis_stop(); redis_start() }

sub redis_pause {
    die "redis_pause: redis is not running\n" unless redis_running();
    kill 'STOP', $RedisPid or die "kill STOP $RedisPid: $!\n";
    $RedisPaused = 1;
    $RedisConn = undef;       # a pending reply would confuse the next command
    return 1;
}

sub redis_resume {
    return 1 unless $RedisPaused && $RedisPid;
    kill 'CONT', $RedisPid;
    $RedisPaused = 0;
    return 1;
}

# Raw reply: strings, integers, undef for nil, array refs, and
# Test::Nginx::DVC::Redis::Error objects for error replies.
sub _redis_cmd_raw {
    my (@args) = @_;
    die "redis is paused\n" if $RedisPaused;
    $RedisConn ||= Test::Nginx::DVC::Redis->new('127.0.0.1', $RedisPort)
        or die "cannot connect to redis on port $RedisPort: $!\n";
    my $r = eval { $RedisConn->cmd(@args) };
    if ($@) { $RedisConn = undef; die $@ }
    return $r;
}

sub redis_cmd {
    my (@args) = @_;
    my $r = _redis_cmd_raw(@args);
    die "redis error for '@args': $$r\n"
        if ref $r eq 'Test::Nginx::DVC::Redis::Error';
    return $r;
}

# Several commands on one fresh connection of the test's own, for what
# holds per connection (AUTH, SELECT) and is not the harness's shared one:
# the first line of each reply, concatenated (enough for +OK, :N, -ERR).
sub redis_session {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$RedisPort")
        or die "redis: $!";
    my $out = '';
    for my $cmd (@_) {
        print $s "*" . @$cmd . "\r\n"
            . join('', map { '$' . length($_) . "\r\n$_\r\n" } @$cmd);
        $out .= <$s>;
    }
    close $s;
    return $out;
}

sub _redis_render {
    my ($r) = @_;
    return '(nil)' unless defined $r;
    return "(error) $$r" if ref $r eq 'Test::Nginx::DVC::Redis::Error';
    return '[' . join(', ', map { _redis_render($_) } @$r) . ']'
        if ref $r eq 'ARRAY';
    return "$r";
}

# Split a command line into arguments: whitespace separated, "double quoted"
# with \" \\ \n \r \t \xHH escapes, and [% perl %] pieces inserted verbatim
# (their value never splits an argument).  Stops at a bare => or =~ when
# asked to, returning the rest of the line.
sub _redis_tokenize {
    my ($line, $stop_at_arrow) = @_;
    my @args;
    my $cur;
    my $pos = 0;
    my $len = length $line;
    while ($pos < $len) {
        my $c = substr($line, $pos, 1);
        if ($c =~ /\s/) {
            push @args, $cur if defined $cur;
            undef $cur;
            $pos++;
            next;
        }
        if ($stop_at_arrow && !defined $cur
            && substr($line, $pos) =~ /^(=>|=~)(?:\s|$)/) {
            return (\@args, $1, substr($line, $pos + 2));
        }
        if (substr($line, $pos, 2) eq '[%') {
            my $end = index($line, '%]', $pos + 2);
            die "unterminated [% in: $line\n" if $end < 0;
            my $expr = substr($line, $pos + 2, $end - $pos - 2);
            $cur .= join '', _eval_perl($expr, "$CurName [% %]");
            $pos = $end + 2;
            next;
        }
        if ($c eq '"') {
            $cur .= '';
            $pos++;
            while (1) {
                die "unterminated quote in: $line\n" if $pos >= $len;
                my $q = substr($line, $pos, 1);
                if ($q eq '"') { $pos++; last }
                if ($q eq '\\') {
                    my $e = substr($line, $pos + 1, 1);
                    if ($e eq 'x') {
                        $cur .= chr hex substr($line, $pos + 2, 2);
                        $pos += 4;
                        next;
                    }
                    $cur .= $e eq 'n' ? "\n" : $e eq 'r' ? "\r"
                          : $e eq 't' ? "\t" : $e;
                    $pos += 2;
                    next;
                }
                $cur .= $q;
                $pos++;
            }
            next;
        }
        $cur .= $c;
        $pos++;
    }
    push @args, $cur if defined $cur;
    return (\@args, undef, undef);
}

sub _redis_lines {
    my ($text) = @_;
    return grep { /\S/ && !/^\s*#/ } split /\n/, $text;
}

sub _redis_seed {
    my ($spec) = @_;
    my @cmds;
    if (ref $spec eq 'ARRAY') {
        @cmds = map { ref $_ ? $_ : [ @{ (_redis_tokenize($_))[0] } ] } @$spec;
    } else {
        for my $line (_redis_lines($spec)) {
            my ($args) = _redis_tokenize($line);
            push @cmds, $args if @$args;
        }
    }
    for my $c (@cmds) {
        my $r = _redis_cmd_raw(@$c);
        die "redis seeding '@$c' failed: $$r\n"
            if ref $r eq 'Test::Nginx::DVC::Redis::Error';
    }
}

sub _redis_check {
    my ($block, $spec) = @_;
    my $filters = $block->_section_map->{redis_check}{filters} || '';
    if ($filters =~ /\bperl\b/) {
        eval { _user_code(sub { _eval_perl($spec, "$CurName redis_check") }); 1 }
            or _ok(0, "$CurName - redis_check code ran", "died: $@");
        return;
    }
    for my $line (_redis_lines($spec)) {
        my ($args, $op, $rest) = eval { _redis_tokenize($line, 1) };
        if (!$args || !$op) {
            _ok(0, "$CurName - redis_check line '$line'",
                $@ || "expected 'COMMAND args => value' or '=~ regex'");
            next;
        }
        $rest =~ s/^\s+|\s+$//g;
        my $want = $rest;
        if ($want =~ /^"/) {
            my ($w) = _redis_tokenize($want);
            $want = join ' ', @$w;
        } elsif ($want =~ /\[%/) {
            $want = _subst_tt($want);
        }
        my $got = eval { _redis_render(_redis_cmd_raw(@$args)) };
        $got = "(harness) $@" unless defined $got;
        if ($op eq '=>') {
            _is($got, $want, "$CurName - redis: @$args");
        } else {
            $want =~ s{^/(.*)/$}{$1}s;
            _like($got, qr/$want/s, "$CurName - redis: @$args");
        }
    }
}

# ------------------------------------------------------------------ nginx

sub _conf_file { "$ServRoot/conf/nginx.conf" }
sub _error_log { "$ServRoot/logs/error.log" }

sub _has_section { my ($b, $s) = @_; exists $b->{$s} }

sub _section {
    my ($block, $name) = @_;
    return undef unless exists $block->{$name};
    my @v = @{ $block->{$name} };
    return @v > 1 ? [@v] : $v[0];
}

sub _build_conf {
    my ($block) = @_;
    my $no_module = _has_section($block, 'no_dvc_module');
    my $workers = _section($block, 'workers');
    $workers = 1 unless defined $workers && $workers =~ /^\d+$/;
    $BlockWorkers = $workers;
    my $main = _section($block, 'main_config') // '';
    my $http = _section($block, 'http_config') // '';
    my $server = _section($block, 'config') // '';

    my $default_redis = '';
    if (!$no_module && $http !~ /^\s*dvc_redis(?:_sentinel|_cluster)?\s/m) {
        $default_redis = "    dvc_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n";
    }
    my $user = $> == 0 ? "user root;\n" : '';
    my $load = $no_module ? '' : "load_module $ModulePath;\n";
    my $r = $ServRoot;

    my $conf = <<"CONF";
# generated by t/lib/Test/Nginx/DVC.pm for: $CurName
${user}daemon on;
master_process on;
worker_processes $workers;
pid $r/logs/nginx.pid;
error_log $r/logs/error.log debug;
${load}$main
events {
    worker_connections 1024;
}

http {
    access_log off;
    default_type text/plain;
    client_body_temp_path $r/tmp/client_body;
    proxy_temp_path $r/tmp/proxy;
    fastcgi_temp_path $r/tmp/fastcgi;
    uwsgi_temp_path $r/tmp/uwsgi;
    scgi_temp_path $r/tmp/scgi;
$default_redis$http
    server {
        listen 127.0.0.1:\$TEST_NGINX_SERVER_PORT;
        server_name localhost;
$server
    }
}
CONF
    return _subst_vars($conf);
}

sub _nginx_cmd {
    return ($NginxBin, '-p', "$ServRoot/", '-c', _conf_file(),
            '-e', _error_log(), @_);
}

# Start nginx; returns (ok, output).
sub _nginx_start {
    unlink "$ServRoot/logs/nginx.pid";
    my ($st, $out) = _run_capture(_nginx_cmd());
    return (0, $out || "nginx exited with status " . ($st >> 8)) if $st != 0;
    my $deadline = time + 10;
    while (time < $deadline) {
        my $pid = _slurp("$ServRoot/logs/nginx.pid");
        if ($pid =~ /(\d+)/ && _alive($1)) {
            $NginxPid = $1;
            # the listening socket exists before the pid file; wait for the
            # workers so timings measure requests, not start-up
            my $wdl = time + 5;
            while (time < $wdl
                   && (my @w = _children_of($NginxPid)) < $BlockWorkers) {
                sleep 0.01;
            }
            return (1, $out);
        }
        sleep 0.01;
    }
    return (0, "nginx did not write its pid file\n$out");
}

sub nginx_worker_pids {
    return () unless $NginxPid;
    return _children_of($NginxPid);
}

sub nginx_reload {
    die "nginx_reload: nginx is not running\n" unless _alive($NginxPid);
    my @old = nginx_worker_pids();
    kill 'HUP', $NginxPid or die "kill HUP: $!\n";
    my $deadline = time + 10;
    while (time < $deadline) {
        my %old = map { $_ => 1 } @old;
        my @new = grep { !$old{$_} && _slurp("/proc/$_/cmdline") =~ /worker/ }
                  nginx_worker_pids();
        return 1 if @new >= $BlockWorkers && !grep { _alive($_) } @old;
        sleep 0.02;
    }
    die "nginx_reload: new workers did not take over within 10 s\n";
}

# Graceful stop (QUIT) after a block, so workers run their exit handlers;
# fast stop (TERM) when the test is interrupted, since a graceful stop waits
# for connections still reading a request.
sub _nginx_stop {
    my ($fast) = @_;
    return 1 unless $NginxPid;
    my $master = $NginxPid;
    undef $NginxPid;
    my @workers = _children_of($master);
    return 1 unless _alive($master);
    if ($fast) {
        kill 'TERM', $master;
        return 1 if _wait_gone(3, $master, @workers);
        kill 'KILL', $master, @workers;
        return _wait_gone(2, $master, @workers);
    }
    kill 'QUIT', $master;
    return 1 if _wait_gone(10, $master, @workers);
    _diag("nginx did not quit gracefully within 10 s; sending TERM");
    kill 'TERM', $master, @workers;
    return 1 if _wait_gone(3, $master, @workers);
    kill 'KILL', $master, @workers;
    _wait_gone(2, $master, @workers);
    return 0;
}

sub block_error_log {
    return _slurp(_error_log(), $LogOffset);
}

# ------------------------------------------------------------------ HTTP

# Build the bytes of one request from Test::Nginx's "METHOD URI[ HTTP/x]\nbody"
# form plus more_headers.
sub _build_request {
    my ($text, $more_headers) = @_;
    my ($first, $body) = split /\n/, $text, 2;
    $first =~ s/\r$//;
    $first =~ s/^\s+//;
    my ($method, $uri, $proto) = split /\s+/, $first, 3;
    die "bad request line '$first'\n" unless defined $uri;
    $proto ||= 'HTTP/1.1';
    if (defined $body) {
        $body =~ s/\n\z//;        # Test::Base keeps the section's last newline
    }
    my @hdrs;
    my %have;
    for my $h (split /\n/, $more_headers // '') {
        $h =~ s/\r$//;
        next unless $h =~ /\S/;
        push @hdrs, $h;
        $have{ lc $1 } = 1 if $h =~ /^([^:\s]+)\s*:/;
    }
    my $req = "$method $uri $proto\r\n";
    $req .= "Host: localhost\r\n" unless $have{host};
    $req .= "Connection: close\r\n" unless $have{connection};
    $req .= "$_\r\n" for @hdrs;
    if (defined $body && length $body || $method =~ /^(POST|PUT|PATCH)$/) {
        $body //= '';
        $req .= "Content-Length: " . length($body) . "\r\n"
            unless $have{'content-length'} || $have{'transfer-encoding'};
    }
    $req .= "\r\n";
    $req .= $body if defined $body;
    my $keepalive = ($more_headers // '') =~ /^connection:\s*keep-alive/mi;
    return ($req, $method, $keepalive);
}

# Parse one response from the front of $$buf.  Returns a hash ref, or undef
# when more bytes are needed ($eof: the connection is closed, take what is
# there).  Interim 1xx responses are skipped.
sub _parse_response {
    my ($buf, $method, $eof) = @_;
    while (1) {
        my $hend = index($$buf, "\r\n\r\n");
        if ($hend < 0) {
            return undef unless $eof;
            return undef unless length $$buf;
            return { error => "incomplete response header", raw => $$buf };
        }
        my $head = substr($$buf, 0, $hend);
        my @lines = split /\r\n/, $head;
        my $status_line = shift @lines;
        my ($ver, $status, $reason) =
            $status_line =~ m{^(HTTP/\d\.\d)\s+(\d{3})(?:\s+(.*))?$};
        return { error => "bad status line '$status_line'", raw => $$buf }
            unless $status;
        my (%h, @order);
        for my $l (@lines) {
            my ($n, $v) = $l =~ /^([^:]+):\s*(.*?)\s*$/ or next;
            push @{ $h{lc $n} }, $v;
            push @order, [$n, $v];
        }
        my $pos = $hend + 4;
        if ($status >= 100 && $status < 200 && $status != 101) {
            substr($$buf, 0, $pos) = '';
            next;
        }
        my $body;
        my $chunked = grep { /chunked/i } @{ $h{'transfer-encoding'} || [] };
        if ($method eq 'HEAD' || $status == 204 || $status == 304) {
            $body = '';
        } elsif ($chunked) {
            $body = '';
            my $p = $pos;
            while (1) {
                my $le = index($$buf, "\r\n", $p);
                if ($le < 0) {
                    return undef unless $eof;
                    return { error => "truncated chunked body", raw => $$buf,
                             status => $status, headers => \%h, body => $body };
                }
                my ($size) = substr($$buf, $p, $le - $p) =~ /^([0-9a-fA-F]+)/;
                return { error => "bad chunk size", raw => $$buf }
                    unless defined $size;
                $size = hex $size;
                $p = $le + 2;
                if ($size == 0) {
                    # trailers end with an empty line
                    my $te = index($$buf, "\r\n", $p);
                    while ($te >= 0 && $te != $p) {
                        $p = $te + 2;
                        $te = index($$buf, "\r\n", $p);
                    }
                    if ($te < 0) {
                        return undef unless $eof;
                        $te = length($$buf) - 2;
                    }
                    $pos = $te + 2;
                    last;
                }
                if (length($$buf) < $p + $size + 2) {
                    return undef unless $eof;
                    return { error => "truncated chunk", raw => $$buf,
                             status => $status, headers => \%h, body => $body };
                }
                $body .= substr($$buf, $p, $size);
                $p += $size + 2;
            }
        } elsif (defined $h{'content-length'}) {
            my $cl = $h{'content-length'}[0];
            if (length($$buf) - $pos < $cl) {
                return undef unless $eof;
                return { error => "body shorter than Content-Length $cl",
                         status => $status, headers => \%h,
                         body => substr($$buf, $pos), raw => $$buf };
            }
            $body = substr($$buf, $pos, $cl);
            $pos += $cl;
        } else {
            return undef unless $eof;      # body runs to the close
            $body = substr($$buf, $pos);
            $pos = length $$buf;
        }
        my $raw = substr($$buf, 0, $pos);
        substr($$buf, 0, $pos) = '';
        return { status => $status, reason => $reason // '', version => $ver,
                 headers => \%h, header_order => \@order, body => $body,
                 raw => $raw };
    }
}

# Send requests over one connection and read the responses.
#   $reqs: [ [bytes, method, keepalive], ... ] (several = pipelined)
#   $raw:  send bytes as is, read until close
sub _exchange {
    my ($reqs, $timeout) = @_;
    my $t0 = time;
    my $deadline = $t0 + $timeout;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ServerPort,
                                     Proto => 'tcp', Timeout => $timeout);
    if (!$sock) {
        return map { { error => "connect to 127.0.0.1:$ServerPort: $!",
                       elapsed => time - $t0 } } @$reqs;
    }
    setsockopt($sock, IPPROTO_TCP, TCP_NODELAY, 1);
    my $flags = fcntl($sock, F_GETFL, 0);
    fcntl($sock, F_SETFL, $flags | O_NONBLOCK);
    local $SIG{PIPE} = 'IGNORE';

    my $out = join '', map { $_->[0] } @$reqs;
    my $in = '';
    my $eof = 0;
    my $write_error;
    my @resps;
    my $sel = IO::Select->new($sock);
    my $want = @$reqs;

    while (1) {
        # parse what has arrived
        while (@resps < $want) {
            my $m = $reqs->[@resps][1];
            my $last = @resps == $want - 1;
            # for the last request without keep-alive we read to the close
            my $r = _parse_response(\$in, $m,
                                    $eof || 0);
            last unless $r;
            $r->{elapsed} = time - $t0;
            push @resps, $r;
            last if $r->{error};
        }
        last if @resps == $want && ($eof || $reqs->[-1][2]);
        last if $eof;
        last if @resps && $resps[-1]{error};
        my $left = $deadline - time;
        if ($left <= 0) {
            last;
        }
        my @w = length $out && !$write_error ? ($sock) : ();
        my ($r, $w) = IO::Select::select($sel, @w ? IO::Select->new(@w) : undef,
                                         undef, $left);
        if ($w && @$w) {
            my $n = syswrite($sock, $out, 65536);
            if (defined $n) {
                substr($out, 0, $n) = '';
            } elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
                $write_error = "$!";
                $out = '';
            }
        }
        if ($r && @$r) {
            my $n = sysread($sock, my $chunk, 65536);
            if (defined $n) {
                if ($n == 0) { $eof = 1 } else { $in .= $chunk }
            } elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
                $eof = 1;
                $write_error //= "read: $!";
            }
        }
    }
    my $elapsed = time - $t0;
    close $sock;
    my $timed_out = !$eof && !(@resps == $want && $reqs->[-1][2]);
    if ($timed_out && @resps < $want) {
        # give what we have one more chance as if closed, for the report
        my $r = _parse_response(\$in, $reqs->[@resps][1], 1);
        push @resps, $r if $r;
    }
    for my $i (0 .. $want - 1) {
        my $r = $resps[$i] ||= { error => 'no response', raw => $in };
        $r->{elapsed} //= $elapsed;
        $r->{write_error} = $write_error if $write_error;
        if ($timed_out && !defined $r->{status}) {
            $r->{error} = "timed out after ${timeout}s ($r->{error})";
        }
        $r->{timed_out} = 1 if $timed_out;
    }
    return @resps;
}

# http_request("GET /x", more_headers => "...", timeout => 5)
# http_request(raw => "bytes", timeout => 5)
# Returns a response hash: status, reason, headers (lower-case name =>
# [values]), body, raw, elapsed (seconds), error, timed_out.
sub http_request {
    my $text = @_ % 2 ? shift : undef;
    my %o = @_;
    my $timeout = $o{timeout} || 5;
    if (defined $o{raw}) {
        my $raw = _subst_vars($o{raw});
        my ($m) = $raw =~ /^(\S+)/;
        my ($r) = _exchange([[ $raw, $m // 'GET', 0 ]], $timeout);
        return $r;
    }
    my ($bytes, $method, $ka) = _build_request(_subst_vars($text),
                                               _subst_vars($o{more_headers}));
    my ($r) = _exchange([[ $bytes, $method, $ka ]], $timeout);
    return $r;
}

# A client that sends its request and reads nothing until
# http_response_read($c): with a small SO_RCVBUF (set before connecting, so
# the window stays small; rcvbuf => bytes, default the kernel's minimum)
# nginx cannot write a large answer at once and keeps the rest in its output
# chain until the client reads.  Returns a handle for http_response_read.
sub http_request_stalled {
    my $text = shift;
    my %o = @_;
    my ($bytes, $method) = _build_request(_subst_vars($text),
                                          _subst_vars($o{more_headers}));
    my $sock = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!\n";
    setsockopt($sock, SOL_SOCKET, SO_RCVBUF, $o{rcvbuf} // 1)
        or die "SO_RCVBUF: $!\n";
    connect($sock, pack_sockaddr_in($ServerPort, inet_aton('127.0.0.1')))
        or die "connect to 127.0.0.1:$ServerPort: $!\n";
    while (length $bytes) {
        my $n = syswrite($sock, $bytes) // die "write: $!\n";
        substr($bytes, 0, $n) = '';
    }
    return { sock => $sock, method => $method, t0 => time };
}

# The whole response of a stalled request (read to the close), as
# http_request returns it.
sub http_response_read {
    my ($c, %o) = @_;
    my $deadline = time + ($o{timeout} || 5);
    my $sel = IO::Select->new($c->{sock});
    my ($in, $eof) = ('', 0);
    while (!$eof) {
        my $left = $deadline - time;
        last if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($c->{sock}, my $chunk, 65536);
        if (!defined $n) {
            next if $! == EINTR;
            last;
        }
        if ($n == 0) { $eof = 1 } else { $in .= $chunk }
    }
    close $c->{sock};
    my $r = _parse_response(\$in, $c->{method}, 1)
            || { error => 'no response', raw => $in };
    $r->{elapsed} = time - $c->{t0};
    if (!$eof) {
        $r->{timed_out} = 1;
        $r->{error} //= 'timed out';
    }
    return $r;
}

sub _header_value {
    my ($resp, $name) = @_;
    my $v = $resp->{headers}{lc $name};
    return undef unless $v;
    return join ', ', @$v;
}

# ------------------------------------------------------------------ blocks

sub _as_list {
    my ($v) = @_;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return ($v);
}

sub _lines_or_list {
    my ($v) = @_;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return (qr/$v/) if ref $v eq 'Regexp';
    return grep { /\S/ } split /\n/, $v;
}

sub _nth {
    my ($v, $i) = @_;
    return $v->[$i] if ref $v eq 'ARRAY';
    return $v;
}

# The list of actions: [kind, spec]; kind 'req' or 'code'.
sub _block_requests {
    my ($block) = @_;
    my @actions;
    my $more = _section($block, 'more_headers');
    if (_has_section($block, 'pipelined_requests')) {
        my $list = _section($block, 'pipelined_requests');
        die "pipelined_requests needs an eval list\n" unless ref $list eq 'ARRAY';
        push @actions, [ 'pipelined', $list ];
        return @actions;
    }
    my ($sec) = grep { _has_section($block, $_) }
                qw(request requests raw_request);
    return () unless $sec;
    my $v = _section($block, $sec);
    for my $item (ref $v eq 'ARRAY' ? @$v : ($v)) {
        if (ref $item eq 'CODE') {
            push @actions, [ 'code', $item ];
        } elsif (ref $item eq 'HASH') {
            push @actions, [ 'req', { more_headers => $more, %$item } ];
        } elsif ($sec eq 'raw_request') {
            push @actions, [ 'req', { raw_request => $item } ];
        } else {
            push @actions, [ 'req', { request => $item, more_headers => $more } ];
        }
    }
    return @actions;
}

sub _expected_code {
    my ($block, $i) = @_;
    return '200' unless _has_section($block, 'error_code');
    my $v = _nth(_section($block, 'error_code'), $i);
    return defined $v ? "$v" : '';
}

sub _send_one {
    my ($spec, $timeout) = @_;
    $timeout = $spec->{timeout} if $spec->{timeout};
    if (defined $spec->{raw_request}) {
        return http_request(raw => $spec->{raw_request}, timeout => $timeout);
    }
    return http_request($spec->{request}, more_headers => $spec->{more_headers},
                        timeout => $timeout);
}

sub _check_response {
    my ($block, $r, $i, $n) = @_;
    my $tag = $n > 1 ? " [request " . ($i + 1) . "]" : '';
    my $want = _expected_code($block, $i);
    my $got = $r->{status} // '';
    my @why;
    push @why, "client: $r->{error}" if $r->{error};
    push @why, "raw response: " . substr($r->{raw}, 0, 600)
        if $r->{error} && defined $r->{raw} && length $r->{raw};
    if (_has_section($block, 'error_code_like')
        && !_has_section($block, 'error_code')) {
        my $re = _nth(_section($block, 'error_code_like'), $i);
        $re = qr/^(?:$re)$/ unless ref $re;
        _ok($got =~ $re, "$CurName - status code like$tag",
            "     got: '$got'", "expected: $re", @why);
    } elsif ($want eq '') {
        _ok(!defined $r->{status}, "$CurName - no response$tag",
            "got status $got");
    } else {
        _ok($got eq $want, "$CurName - status code$tag",
            "     got: '$got'", "expected: '$want'", @why);
    }

    if (_has_section($block, 'response_time_max')) {
        my $max = _nth(_section($block, 'response_time_max'), $i);
        if (defined $max) {
            _ok($r->{elapsed} <= $max,
                "$CurName - answered within ${max}s$tag",
                sprintf("took %.3fs", $r->{elapsed}));
        }
    }
    if (_has_section($block, 'response_body')) {
        my $w = _nth(_section($block, 'response_body'), $i);
        if (defined $w) {
            _is($r->{body}, _subst_vars($w), "$CurName - response body$tag");
        }
    }
    if (_has_section($block, 'response_body_like')) {
        my $w = _nth(_section($block, 'response_body_like'), $i);
        if (defined $w) {
            my $re = ref $w eq 'Regexp' ? $w : do {
                (my $p = _subst_vars($w)) =~ s/\n\z//;
                qr/$p/s;
            };
            _like($r->{body} // '', $re, "$CurName - response body like$tag");
        }
    }
    if (_has_section($block, 'response_body_unlike')) {
        my $w = _nth(_section($block, 'response_body_unlike'), $i);
        if (defined $w) {
            my $re = ref $w eq 'Regexp' ? $w : do {
                (my $p = _subst_vars($w)) =~ s/\n\z//;
                qr/$p/s;
            };
            my $r2 = $Tb->unlike($r->{body} // '', $re,
                                 "$CurName - response body unlike$tag");
            $BlockFailed = $AnyFailure = 1 unless $r2;
        }
    }
    for my $sec (qw(response_headers response_headers_like)) {
        next unless _has_section($block, $sec);
        my $spec = _nth(_section($block, $sec), $i);
        next unless defined $spec;
        for my $line (grep { /\S/ } split /\n/, $spec) {
            if ($line =~ /^\s*!\s*([^:\s]+)\s*$/) {
                my $v = _header_value($r, $1);
                _ok(!defined $v, "$CurName - header $1 absent$tag",
                    defined $v ? "got '$1: $v'" : ());
                next;
            }
            my ($name, $val) = $line =~ /^\s*([^:\s]+)\s*:\s?(.*?)\s*$/;
            if (!defined $name) {
                _ok(0, "$CurName - $sec line '$line'", "expected 'Name: value'");
                next;
            }
            $val = _subst_vars($val);
            my $v = _header_value($r, $name);
            if ($sec eq 'response_headers') {
                _is($v, $val, "$CurName - header $name$tag");
            } else {
                _like($v // '', qr/$val/, "$CurName - header $name like$tag");
            }
        }
    }
}

sub _run_actions {
    my ($block) = @_;
    my $timeout = _section($block, 'timeout') || 5;
    my @actions = _block_requests($block);
    my $nreq = grep { $_->[0] eq 'req' } @actions;
    if (@actions && $actions[0][0] eq 'pipelined') {
        my $list = $actions[0][1];
        my $more = _section($block, 'more_headers');
        my @reqs;
        for my $k (0 .. $#$list) {
            my $last = $k == $#$list;
            my $mh = ($more // '') . ($last ? '' : "\nConnection: keep-alive");
            push @reqs, [ _build_request(_subst_vars($list->[$k]),
                                         _subst_vars($mh)) ];
        }
        my @r = _exchange(\@reqs, $timeout);
        push @Responses, @r;
        _check_response($block, $r[$_], $_, scalar @r) for 0 .. $#r;
        return;
    }
    my $i = 0;
    for my $a (@actions) {
        if ($a->[0] eq 'code') {
            eval { _user_code($a->[1]); 1 }
                or _ok(0, "$CurName - action between requests", "died: $@");
            next;
        }
        my $spec = $a->[1];
        my $r = _send_one($spec, $timeout);
        if (my $within = $spec->{retry_within}) {
            # e.g. Redis just came back: the module may need its reconnect
            # window; require success within the bound, not at once
            my $want = _expected_code($block, $i);
            my $deadline = time + $within;
            my $tries = 1;
            my $t0 = time - $r->{elapsed};
            while (($r->{status} // '') ne $want && time < $deadline) {
                sleep 0.05;
                $r = _send_one($spec, $timeout);
                $tries++;
            }
            $r->{tries} = $tries;
            $r->{retry_elapsed} = time - $t0;
            _note(sprintf("%s: request %d answered %s after %d tries, %.2fs",
                          $CurName, $i + 1, $r->{status} // 'nothing',
                          $tries, $r->{retry_elapsed}));
        }
        push @Responses, $r;
        if ($Verbose) {
            _note("response " . ($i + 1) . ":\n" . ($r->{raw} // '(none)'));
        }
        _check_response($block, $r, $i, $nreq);
        $i++;
    }
}

my $CleanRe = qr/\[(?:alert|crit)\]|exited on signal|AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer/;

# What a sanitizer reported since the last block (files logs/sanitizer.PID,
# one per process that reported; moved to logs/sanitizer-seen/ once read so
# each report fails one block only).
sub _sanitizer_reports {
    my $dir = "$ServRoot/logs";
    my $text = '';
    opendir my $dh, $dir or return $text;
    for my $f (sort grep { /^sanitizer\./ } readdir $dh) {
        my $body = _slurp("$dir/$f");
        $text .= "\nAddressSanitizer/UBSan report in logs/$f:\n$body";
        mkdir "$dir/sanitizer-seen";
        rename "$dir/$f", "$dir/sanitizer-seen/$f";
    }
    closedir $dh;
    return $text;
}

# Personal data and secrets that must never reach a log (docs/security.md):
# the people's names, ID numbers, phones, e-mails and streets of the shipped
# example dossiers every test submits, and the back-end's event key of the
# citizen tests.  Every block of every test file checks its error log for
# them: nginx's own [debug] dumps of request headers are left out (debug is
# not a production level), our own "dvc:" lines at every level are not.
my @Sensitive;
sub _sensitive_values {
    return @Sensitive if @Sensitive;
    require JSON::PP;
    my %seen;
    my $walk;
    $walk = sub {
        my ($o, $key) = @_;
        if (ref $o eq 'HASH') { $walk->($o->{$_}, $_) for keys %$o }
        elsif (ref $o eq 'ARRAY') { $walk->($_, $key) for @$o }
        elsif (defined $o && !ref $o && defined $key
               && $key =~ /^(?:full_name|father_name|mother_name|recipient|citizen_id|phone|email|street|tax_code|certificate_number)$/
               && length $o >= 6) {
            my $v = $o;
            utf8::encode($v);
            $seen{$v} = 1;
        }
    };
    for my $f (glob "$RepoRoot/examples/dossiers/*.json") {
        my $d = eval { JSON::PP->new->utf8->decode(_slurp($f)) } or next;
        $walk->($d);
    }
    my $citizen = _slurp("$RepoRoot/t/lib/Test/DVC/Citizen.pm");
    $seen{$1} = 1 if $citizen =~ /\$EVENT_KEY = "([0-9a-f]{32,})"/;
    @Sensitive = sort keys %seen;
    return @Sensitive;
}

sub _personal_data_in {
    my ($log) = @_;
    my @hits;
    my $debug = 0;
    for my $line (split /\n/, $log) {
        # a line without a time stamp continues the one before
        $debug = $line =~ /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[debug\]/ ? 1 : 0
            if $line =~ /^\d{4}\/\d\d\/\d\d /;
        next if $debug && $line !~ / dvc: /;
        for my $v (_sensitive_values()) {
            if (index($line, $v) >= 0) {
                push @hits, "\"$v\" in: " . substr($line, 0, 200);
                last;
            }
        }
    }
    return @hits;
}

sub _log_checks {
    my ($block, $log, $must_die) = @_;
    my @pii = _personal_data_in($log);
    _ok(!@pii, "$CurName - no personal data or secret in the error log",
        @pii ? ("found: " . join("\n       ", @pii[0 .. ($#pii < 4 ? $#pii : 4)])) : ());
    for my $p (_lines_or_list(_section($block, 'error_log'))) {
        my $pat = ref $p ? $p : _subst_vars($p);
        my $found = ref $pat ? $log =~ $pat : index($log, $pat) >= 0;
        _ok($found, "$CurName - error_log has: $pat");
    }
    for my $p (_lines_or_list(_section($block, 'no_error_log'))) {
        my $pat = ref $p ? $p : _subst_vars($p);
        my @hits = grep { ref $pat ? $_ =~ $pat : index($_, $pat) >= 0 }
                   split /\n/, $log;
        _ok(!@hits, "$CurName - no_error_log: $pat",
            @hits ? ("found: " . join("\n       ", @hits[0 .. ($#hits < 4 ? $#hits : 4)])) : ());
    }
    my $re = $must_die ? $CleanRe : qr/$CleanRe|\[emerg\]/;
    my @bad = grep { $_ =~ $re } split /\n/, $log;
    _ok(!@bad, "$CurName - error log clean (no alert/crit/emerg/crash)",
        @bad ? ("found: " . join("\n       ", @bad[0 .. ($#bad < 9 ? $#bad : 9)])) : ());
}

sub _log_tail {
    my ($log) = @_;
    # logged lines other than debug ones (whose dumps of headers span
    # several lines), and whatever a sanitizer wrote
    my @lines = grep { m{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?!debug)} || $_ =~ $CleanRe }
                split /\n/, $log;
    @lines = @lines[-40 .. -1] if @lines > 40;
    return join "\n", "error log of this block (non-debug lines; full log in "
        . _error_log() . "):", map { "  | $_" } @lines;
}

sub _ensure_redis {
    if ($RedisPaused) { redis_resume() }
    redis_start() unless redis_running();
    $RedisConn = undef unless $RedisConn && eval { $RedisConn->cmd('PING'); 1 };
}

sub _run_block_inner {
    my ($block) = @_;
    local $CurBlock = $block;
    local $CurName = $block->name;
    $CurName =~ s/\s+$//;
    $BlockFailed = 0;
    @Responses = ();
    my $must_die = _has_section($block, 'must_die');

    eval {
        _ensure_redis();
        redis_cmd('FLUSHALL');
        _redis_seed(_section($block, 'redis')) if _has_section($block, 'redis');
        1;
    } or do {
        _ok(0, "$CurName - redis seeding", $@);
        return;
    };

    my $conf = _build_conf($block);
    _spew(_conf_file(), $conf);
    _note("nginx.conf:\n$conf") if $Verbose;
    $LogOffset = -s _error_log() || 0;

    if ($must_die) {
        my ($st, $out) = _run_capture(_nginx_cmd('-t'));
        my $died = $st != 0;
        my $stage = 'nginx -t';
        if (!$died) {
            (my $ok, $out) = _nginx_start();
            $died = !$ok;
            $stage = 'nginx start';
            _nginx_stop() if $ok;
        }
        _ok($died, "$CurName - nginx refused to start",
            "$stage succeeded; output: $out");
        my $log = block_error_log() . _sanitizer_reports();
        _log_checks($block, "$out\n$log", 1);
        _diag(_log_tail("$out\n$log")) if $BlockFailed;
        return;
    }

    my ($ok, $out) = _nginx_start();
    if (!$ok) {
        _ok(0, "$CurName - nginx started", $out);
    } else {
        if (_has_section($block, 'init')) {
            eval { _user_code(sub { _eval_perl(_section($block, 'init'), "$CurName init") }); 1 }
                or _ok(0, "$CurName - init code ran", "died: $@");
        }
        _run_actions($block);
        if (_has_section($block, 'redis_check')) {
            _redis_check($block, _section($block, 'redis_check'));
        }
        if (_has_section($block, 'post_init')) {
            eval { _user_code(sub { _eval_perl(_section($block, 'post_init'), "$CurName post_init") }); 1 }
                or _ok(0, "$CurName - post_init code ran", "died: $@");
        }
        if (my $w = _section($block, 'wait')) { sleep $w }
    }
    my $stopped = _nginx_stop();
    _ok($stopped, "$CurName - nginx stopped", "nginx needed SIGKILL") unless $stopped;
    my $log = block_error_log() . _sanitizer_reports();
    _log_checks($block, $log, 0);
    _diag(_log_tail($log)) if $BlockFailed;
}

# Run one block; with --- expect_failures, run it under Test2's intercept and
# check that exactly the named checks failed (this proves that the harness
# itself detects failures).
sub run_block {
    my ($block) = @_;
    $_->($block) for @Preprocessors;
    if (_has_section($block, 'expect_failures')) {
        require Test2::API;
        my $name = $block->name;
        $name =~ s/\s+$//;
        my $saved_any = $AnyFailure;
        my $events = Test2::API::intercept(sub {
            eval { _run_block_inner($block); 1 }
                or Test::More::fail("$name - harness error: $@");
        });
        $AnyFailure = $saved_any;
        $BlockFailed = 0;
        my (@failed, @passed, $diag);
        $diag = '';
        for my $e (@$events) {
            if ($e->isa('Test2::Event::Ok')) {
                push @{ $e->pass ? \@passed : \@failed }, $e->name;
            } elsif ($e->isa('Test2::Event::Diag')) {
                $diag .= $e->message . "\n";
            }
        }
        my @want = _lines_or_list(_section($block, 'expect_failures'));
        my %matched;
        for my $w (@want) {
            my @m = grep { index($_, $w) >= 0 } @failed;
            $matched{$_} = 1 for @m;
            _ok(scalar @m, "$name - harness reports the failure: $w",
                "failed checks: " . join('; ', @failed),
                "passed checks: " . join('; ', @passed));
        }
        my @unexpected = grep { !$matched{$_} } @failed;
        _ok(!@unexpected, "$name - no other check failed",
            "unexpected failures: " . join('; ', @unexpected), $diag);
        for my $p (_lines_or_list(_section($block, 'expect_diag_like'))) {
            _like($diag, ref $p ? $p : qr/\Q$p\E/,
                  "$name - harness diagnostics mention: $p");
        }
        return;
    }
    eval { _run_block_inner($block); 1 } or do {
        my $err = $@;
        (my $name = $block->name) =~ s/\s+$//;
        _ok(0, "$name - harness error", $err);
        eval { _nginx_stop() };
    };
}

# ------------------------------------------------------------------ file setup

sub _kill_stale {
    # processes left by a killed earlier run of this file
    for my $pf ("$ServRoot/logs/nginx.pid", "$ServRoot/redis/redis.pid") {
        my ($pid) = _slurp($pf) =~ /(\d+)/ or next;
        my $comm = _slurp("/proc/$pid/comm");
        next unless $comm =~ /nginx|redis/;
        my @kids = _children_of($pid);
        kill 'CONT', $pid;
        kill 'TERM', $pid, @kids;
        _wait_gone(3, $pid, @kids) or kill 'KILL', $pid, @kids;
    }
}

sub _setup_file {
    return if $SetUp;
    $SetUp = 1;
    my $name = $0;
    $name =~ s{^.*?\bt/}{};
    $name =~ s/\.t$//;
    $name =~ s{[^A-Za-z0-9_.-]+}{-}g;
    $ServRoot = $ENV{TEST_NGINX_SERVROOT} || "$RepoRoot/t/servroot-$name";
    _kill_stale() if -d $ServRoot;
    remove_tree($ServRoot);
    make_path(map { "$ServRoot/$_" } qw(conf logs tmp html redis));
    $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || _free_port();
    $RedisPort = $ENV{TEST_NGINX_REDIS_PORT} || _free_port($ServerPort);
    for my $sig (qw(INT TERM HUP)) {
        $SIG{$sig} = sub {
            _cleanup(1);
            print STDERR "# interrupted by SIG$sig; server root kept: $ServRoot\n";
            POSIX::_exit(130);
        };
    }
    redis_start();
}

sub _cleanup {
    my ($interrupted) = @_;
    return unless $$ == $OwnerPid && $SetUp;
    $SetUp = 0;
    if (!$NginxPid && _slurp("$ServRoot/logs/nginx.pid") =~ /(\d+)/) {
        $NginxPid = $1 if _slurp("/proc/$1/comm") =~ /nginx/;
    }
    eval { _nginx_stop($interrupted) };
    eval { redis_stop() };
    if (!$NoClean && !$AnyFailure && !$interrupted) {
        remove_tree($ServRoot);
    } elsif ($AnyFailure && !$interrupted) {
        print STDERR "# server root kept for debugging: $ServRoot\n";
    }
}

END {
    local $?;
    _cleanup();
}

sub run_tests {
    unless (-x $NginxBin) {
        Test::More::plan(skip_all => "nginx binary $NginxBin not found");
    }
    my @blocks = Test::Base::blocks();
    my $need_module = grep { !exists $_->{no_dvc_module} && !exists $_->{SKIP} }
                      @blocks;
    # through Test::Builder::plan, which Test::Base wraps: otherwise its END
    # block believes nothing was planned and plans again ("plan twice")
    Test::More::plan('no_plan') unless $Tb->has_plan;
    _setup_file();
    if ($need_module && !-f $ModulePath) {
        _diag("module $ModulePath not built: run 'make' first");
    }
    for my $block (@blocks) {
        run_block($block);
    }
}

# ------------------------------------------------------------------ filters

package Test::Nginx::DVC::Filter;
our @ISA = ('Test::Base::Filter');

# Evaluate in package main (the test file's helpers and the harness's exports
# are there) and fail loudly: Test::Base's own eval returns the error text as
# the section's value, which would turn a typo into a puzzling mismatch.
sub eval {
    my $self = shift;
    $self->assert_scalar(@_);
    my $code = shift;
    my $name = $self->current_block ? $self->current_block->name : '?';
    my @r = CORE::eval("package main; no strict 'vars'; no warnings 'once';\n"
                       . "#line 1 \"$name eval\"\n$code");
    die "eval filter in '$name' failed: $@" if $@;
    return @r;
}

# Marks a redis_check section as Perl code: the value is left as is.
sub perl {
    my $self = shift;
    return @_;
}

# ------------------------------------------------------------------ RESP client

package Test::Nginx::DVC::Redis::Error;
# an error reply: a blessed scalar ref holding the message

package Test::Nginx::DVC::Redis;

use IO::Socket::INET;
use IO::Select;
use Errno qw(EINTR);
use Time::HiRes qw(time);

sub new {
    my ($class, $host, $port, $timeout) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
                                  Proto => 'tcp', Timeout => 2) or return undef;
    binmode $s;
    return bless { sock => $s, buf => '', timeout => $timeout || 3 }, $class;
}

sub cmd {
    my ($self, @args) = @_;
    my $req = '*' . scalar(@args) . "\r\n";
    for my $a (@args) {
        my $b = defined $a ? "$a" : '';
        utf8::encode($b) if utf8::is_utf8($b);
        $req .= '$' . length($b) . "\r\n$b\r\n";
    }
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $req) {
        my $n = syswrite($self->{sock}, $req, length($req) - $off, $off);
        die "redis write: $!\n" unless defined $n || $! == EINTR;
        $off += $n // 0;
    }
    $self->{deadline} = time + $self->{timeout};
    return $self->_reply;
}

sub _fill {
    my ($self) = @_;
    my $left = $self->{deadline} - time;
    die "redis: no reply within $self->{timeout}s\n" if $left <= 0;
    my $sel = IO::Select->new($self->{sock});
    die "redis: no reply within $self->{timeout}s\n" unless $sel->can_read($left);
    my $n = sysread($self->{sock}, my $chunk, 65536);
    die "redis read: $!\n" unless defined $n;
    die "redis: connection closed\n" if $n == 0;
    $self->{buf} .= $chunk;
}

sub _line {
    my ($self) = @_;
    while ((my $i = index($self->{buf}, "\r\n")) < 0) { $self->_fill }
    my $i = index($self->{buf}, "\r\n");
    my $line = substr($self->{buf}, 0, $i);
    substr($self->{buf}, 0, $i + 2) = '';
    return $line;
}

sub _bytes {
    my ($self, $n) = @_;
    $self->_fill while length($self->{buf}) < $n + 2;
    my $data = substr($self->{buf}, 0, $n);
    substr($self->{buf}, 0, $n + 2) = '';
    return $data;
}

sub _reply {
    my ($self) = @_;
    my $line = $self->_line;
    my $t = substr($line, 0, 1);
    my $v = substr($line, 1);
    return $v if $t eq '+';
    return bless \$v, 'Test::Nginx::DVC::Redis::Error' if $t eq '-';
    return 0 + $v if $t eq ':';
    if ($t eq '$') {
        return undef if $v < 0;
        return $self->_bytes($v);
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [ map { $self->_reply } 1 .. $v ];
    }
    die "redis: unexpected reply line '$line'\n";
}

1;
