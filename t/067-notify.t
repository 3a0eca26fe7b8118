# Notifications (issue 19): every change a citizen must hear of appends one
# entry to dvc:notify in the same Redis call as the change (with
# `dvc_notify on`), and examples/notifier.py mails it through a real SMTP
# server (Debian's python3-aiosmtpd, its Mailbox handler writing a maildir),
# in Vietnamese, without the applicant's ID number or name.  SMS goes through
# the same consumer's command adapter.  TEST 5 walks every change the issue
# lists (and the online payment's confirmation, IPN 00) to a mail each.  The gateway's error log never holds
# the contact.
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::DVC;
use Test::DVC::Citizen;
use Test::DVC::Payment;
use File::Temp qw(tempdir);
use POSIX ();

our $ROOT = "$FindBin::Bin/..";
our $LINK = "https://dichvucong.example.vn/tra-cuu?ma=";

gateway_defaults(extra_http => event_key_config() . payment_config()
                               . "    dvc_agency 000.01.01.H29;\n"
                               . "    dvc_notify on link=$LINK;\n");

# the notices, as hashes (values decoded from UTF-8)
sub notices {
    my @e;
    for my $x (@{ redis_cmd('XRANGE', 'dvc:notify', '-', '+') }) {
        my %h = @{ $x->[1] };
        utf8::decode($_) for values %h;
        push @e, \%h;
    }
    return @e;
}


sub ok_event {
    my ($code, $ev, $what) = @_;
    my $r = send_event($code, $ev);
    main::is($r->{status}, 200, "$what: 200") or main::diag($r->{body});
    return $r;
}

# an SMTP server: aiosmtpd's Mailbox handler, each message a file in a
# maildir; returns (pid, port, dir)
sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                  LocalPort => 0) or die;
    my $p = $s->sockport;
    close $s;
    return $p;
}

# a local server (its command, output to $log) listening on $port: its pid
sub server_start {
    my ($port, $log, @cmd) = @_;
    my $pid = fork // die;
    if (!$pid) {
        open STDOUT, '>', $log; open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }
    for (1 .. 100) {
        my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port);
        if ($c) { close $c; return $pid }
        select undef, undef, undef, 0.05;
    }
    die "$cmd[1] did not listen on $port\n";
}

sub smtp_start {
    my ($dir, $port) = @_;
    $dir //= tempdir(CLEANUP => 1);
    $port //= free_port();
    my $pid = server_start($port, "$dir.log", "/usr/bin/python3", "-m", "aiosmtpd", "-n",
                           "-l", "127.0.0.1:$port", "-c", "aiosmtpd.handlers.Mailbox", "$dir/mail");
    return ($pid, $port, $dir);
}

sub smtp_stop { my ($pid) = @_; kill 'TERM', $pid; waitpid $pid, 0 }

# the messages of the maildir, read back with Python's own email parser (not
# the notifier's code): [{to, from, subject, body, charset}] sorted by file
sub mails {
    my ($dir) = @_;
    my $py = <<'PY';
import email, email.policy, json, mailbox, sys
out = []
for key in sorted(mailbox.Maildir(sys.argv[1], create=False).keys()):
    pass
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key in sorted(md.keys()):
    # the bytes as the SMTP server stored them
    m = email.message_from_bytes(md.get_bytes(key), policy=email.policy.default)
    out.append({"to": str(m["To"]), "from": str(m["From"]),
                "subject": str(m["Subject"]), "body": m.get_content(),
                "charset": m.get_content_charset(),
                "raw": m.as_bytes().decode("ascii", "replace")})
print(json.dumps(out))
PY
    open my $f, '-|', "/usr/bin/python3", "-c", $py, "$dir/mail" or die;
    local $/;
    my $j = <$f>;
    close $f;
    return JSON::PP->new->utf8->decode($j || "[]");
}

sub notifier {
    my (@args) = @_;
    my $cmd = join ' ', "/usr/bin/python3", "$ROOT/examples/notifier.py",
        "--redis", "redis://127.0.0.1:" . redis_port() . "/0",
        "--once", "--consumer", "t1", "--claim-idle", "100", @args;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

run_tests();

__DATA__

=== TEST 1: each change a citizen must hear of leaves one notice, written with the change; the contact never in the log
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my $LINK = $main::LINK;

# accepted at once on submission (1.001193 is "accept": "auto")
my $a = submit_dossier("1.001193");
my @n = main::notices();
is(scalar @n, 1, "auto-accepted submission: one notice");
is($n[0]{template}, "accepted", "template accepted");
is($n[0]{code}, $a->{code}, "its code");
is($n[0]{event}, "submit", "event: submit");
is($n[0]{status}, "2", "status 2");
is($n[0]{email}, 'hung.nguyen@example.vn', "email hint: the dossier's contact");
is($n[0]{phone}, '0912345678', "phone hint");
is($n[0]{channels}, "email,sms,zalo", "channels");
is($n[0]{link}, "$LINK$a->{code}", "lookup link: the page and the code, no token");
unlike(join("\n", values %{ $n[0] }), qr/\Q$a->{lookup_token}\E/, "the lookup token is nowhere in it");
is($n[0]{subject_vi}, "Hồ sơ $a->{code}: đã được tiếp nhận", "Vietnamese subject");
is($n[0]{subject_en}, "Dossier $a->{code}: accepted", "English subject");
my ($d, $m, $y) = $a->{due_at} =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/ ? ($3, $2, $1) : ();
my ($hh, $mm) = $a->{due_at} =~ /T(\d\d):(\d\d)/;
like($n[0]{text_vi}, qr/^Hồ sơ \Q$a->{code}\E \(Đăng ký khai sinh\) đã được tiếp nhận lúc \d\d:\d\d ngày \d\d\/\d\d\/\d{4}\.\nHẹn trả kết quả lúc $hh:$mm ngày $d\/$m\/$y\.\n/,
     "text_vi: accepted, with the receipt's appointment") or diag($n[0]{text_vi});
like($n[0]{text_en}, qr/The result is due at $hh:$mm on $d\/$m\/$y\./, "text_en");
unlike($n[0]{text_vi} . $n[0]{text_en}, qr/001089012345|Nguyễn Văn Hùng/, "no ID number, no name");

# left at the desk: nothing on submission; then each event
my $b = submit_dossier("1.001612");
is(scalar(main::notices()), 1, "a dossier waiting for the desk: no notice");
my $acc = main::ok_event($b->{code}, { type => "accept" }, "accept");
ok_event($b->{code}, { type => "process" }, "process");
is(scalar(main::notices()), 2, "accept: one notice; process: none");
my $nb = (main::notices())[1];
is($nb->{template}, "accepted", "accept event: accepted");
is($nb->{event}, $acc->{json}{event}, "with the event's id");
is($nb->{email}, 'lan.le@example.vn', "the dossier's own contact");
my ($hh2, $mm2) = $acc->{json}{due_at} =~ /T(\d\d):(\d\d)/;
like($nb->{text_vi}, qr/Hẹn trả kết quả lúc $hh2:$mm2 ngày/, "the appointment of the event's answer");

ok_event($b->{code}, { type => "request_payment", amount => 150000,
    reason => { vi => "Nộp lệ phí đăng ký hộ kinh doanh", en => "Pay the registration fee" } }, "request_payment");
ok_event($b->{code}, { type => "process" }, "process after the fee");
my $due2 = $acc->{json}{due_at};
my $new_due = POSIX::strftime("%Y-%m-%dT16:30:00+07:00", gmtime(time + 7 * 3600 + 20 * 86400));
ok_event($b->{code}, { type => "delay", new_due_at => $new_due,
    reason => { vi => "Cần xác minh thêm địa điểm kinh doanh", en => "The premises need checking" } }, "delay");
ok_event($b->{code}, { type => "resolve", note => "Nhận kết quả qua bưu điện" }, "resolve");
my $ret_body = $J->encode({ id => "t067-return", type => "return" });
my $ret = main::event_raw($b->{code}, $ret_body);
is($ret->{status}, 200, "return: 200");
my @all = main::notices();
is(join(" ", map { $_->{template} } @all),
   "accepted accepted payment_required delayed resolved returned",
   "one notice per change that matters, in order");
my %t = map { ($_->{template} => $_) } @all[1 .. $#all];
like($t{payment_required}{text_vi}, qr/cần thực hiện nghĩa vụ tài chính: 150\.000 đồng\.\nNộp lệ phí đăng ký hộ kinh doanh\n/, "payment: the amount in dong");
like($t{payment_required}{text_en}, qr/: 150,000 VND\.\nPay the registration fee\n/, "payment, in English");
my ($ny, $nm, $nd) = $new_due =~ /^(\d{4})-(\d\d)-(\d\d)/;
like($t{delayed}{text_vi}, qr/xin lỗi.*\nLý do: Cần xác minh thêm địa điểm kinh doanh\nHẹn lại ngày trả kết quả: 16:30 ngày $nd\/$nm\/$ny\.\n/s, "delay: the apology and the new date");
is($t{delayed}{form}, "04", "delay: names its signed form 04");
like($t{resolved}{text_vi}, qr/đã giải quyết xong.*\nNhận kết quả qua bưu điện\n/s, "resolve: the note");
like($t{returned}{text_vi}, qr/đã được trả lúc .*đánh giá/s, "returned: invites a rating");

# the same event again: the first answer, no second notice
my $again = main::event_raw($b->{code}, $ret_body);
is($again->{status}, 200, "the return again: 200 (replay)");
is($again->{body}, $ret->{body}, "byte for byte the first answer");
# an illegal one: nothing
my $bad = send_event($b->{code}, { type => "resolve" });
is($bad->{status}, 409, "resolve on a returned dossier: 409");
is(scalar(main::notices()), 6, "neither left a notice");

# supplement, refusal, stop, confirmed withdrawal
my $c = submit_dossier("2.000488");
ok_event($c->{code}, { type => "request_supplement",
    reason => "Thiếu bản sao hợp đồng thuê nhà có chứng thực",
    documents => [{ name => "Hợp đồng thuê nhà", note => "bản sao có chứng thực" }, "Sơ đồ vị trí"] }, "request_supplement");
my $e = submit_dossier("1.001612");
ok_event($e->{code}, { type => "refuse", reason => "Hồ sơ không thuộc thẩm quyền giải quyết của phường" }, "refuse");
my $f = submit_dossier("1.002820");
ok_event($f->{code}, { type => "accept" }, "accept (no e-mail in this dossier)");
ok_event($f->{code}, { type => "stop", reason => "Cơ quan dừng xử lý theo yêu cầu của cơ quan điều tra" }, "stop");
my $g = submit_dossier("1.009994");
is(citizen_post($g->{code}, "withdrawal", $g->{lookup_token}, "{}")->{status}, 200, "withdrawal asked");
is(scalar(main::notices()), 10, "the citizen's own request: no notice");
ok_event($g->{code}, { type => "decline_withdrawal", reason => "Hồ sơ đã được ký kết quả, không thể rút" }, "decline_withdrawal");
is(scalar(main::notices()), 10, "a declined withdrawal: no notice");
is(citizen_post($g->{code}, "withdrawal", $g->{lookup_token}, "{}")->{status}, 200, "withdrawal asked again");
ok_event($g->{code}, { type => "confirm_withdrawal" }, "confirm_withdrawal");
my @more = (main::notices())[6 .. 10];
is(join(" ", map { "$_->{template}/" . ($_->{form} // "-") } @more),
   "supplement_requested/02 refused/03 accepted/- stopped/stop stopped/-",
   "supplement 02, refusal 03, stop; a confirmed withdrawal is a stop without form");
like($more[0]{text_vi}, qr/Lý do: Thiếu bản sao hợp đồng thuê nhà có chứng thực\nGiấy tờ cần bổ sung:\n- Hợp đồng thuê nhà \(bản sao có chứng thực\)\n- Sơ đồ vị trí\n/, "supplement: the reason and each document");
like($more[1]{text_vi}, qr/không được tiếp nhận giải quyết\.\nLý do: Hồ sơ không thuộc thẩm quyền/, "refusal: the reason");
ok(!exists $more[2]{email}, "no e-mail in the dossier: no email hint");
is($more[2]{channels}, "sms,zalo", "the phone's channels only");
# the stream holds nothing else
is(redis_cmd('XLEN', 'dvc:notify'), 11, "eleven notices in all");
--- no_error_log
[error]
hung.nguyen@example.vn
lan.le@example.vn
0912345678
0983456712
0868123987
thang.vu@example.vn
001089012345
079185003312



=== TEST 2: without dvc_notify nothing is written (and the dossier keeps its contact for later)
--- http_config
    dvc_schemas $TEST_NGINX_SCHEMAS;
    dvc_calendar $TEST_NGINX_ROOT/calendar/vn-2025-2027.cal;
    dvc_signing_key $TEST_NGINX_KEY;
    dvc_event_key $TEST_NGINX_CITIZEN_EVKEY;
--- request
GET /dvc/v1/keys
--- post_init
my $a = submit_dossier("1.001193");
my $b = submit_dossier("1.001612");
is(send_event($b->{code}, { type => "accept" })->{status}, 200, "accept: 200");
is(redis_cmd('EXISTS', 'dvc:notify'), 0, "no dvc:notify stream");
is(dossier($b->{code})->{contact_email}, 'lan.le@example.vn', "contact_email kept");
is(dossier($b->{code})->{contact_phone}, '0983456712', "contact_phone kept");
--- no_error_log
[error]



=== TEST 3: nginx -t refuses a bad dvc_notify
--- http_config
    dvc_notify maybe;
--- must_die
--- error_log
dvc_notify takes "on" or "off"



=== TEST 4: examples/notifier.py mails every notice through SMTP, in Vietnamese, without the ID number; once; SMTP down leaves it pending; SMS by command
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my ($spid, $sport, $sdir) = main::smtp_start();
my $a = submit_dossier("1.001193");                      # accepted at once
my $b = submit_dossier("1.001612");
is(send_event($b->{code}, { type => "accept" })->{status}, 200, "accept");
is(send_event($b->{code}, { type => "request_supplement",
    reason => { vi => "Thiếu hợp đồng thuê địa điểm kinh doanh", en => "The lease is missing" },
    documents => ["Hợp đồng thuê địa điểm"] })->{status}, 200, "request_supplement");
my $f = submit_dossier("1.002820");                      # phone only
is(send_event($f->{code}, { type => "refuse", reason => "Hồ sơ không đúng thẩm quyền của phường" })->{status}, 200, "refuse (no e-mail)");

my $smsdir = tempdir(CLEANUP => 1);
my $sms = "$smsdir/sms.sh";
open my $fh, '>', $sms or die;
print $fh "#!/bin/sh\n{ echo \"TO \$1\"; cat; echo; echo END; } >> $smsdir/sent.txt\n";
close $fh;
chmod 0700, $sms;

my ($rc, $out) = main::notifier("--smtp", "127.0.0.1:$sport", "--sms-cmd", $sms);
is($rc, 0, "notifier: exit 0") or diag($out);
my $mails = main::mails($sdir);
is(scalar @$mails, 3, "three mails: the two dossiers with an address, three notices") or diag(explain($mails));
is(join(" ", sort map { $_->{to} } @$mails),
   "hung.nguyen\@example.vn lan.le\@example.vn lan.le\@example.vn", "to each dossier's contact");
is(join("|", sort map { $_->{subject} } @$mails),
   join("|", sort map { $_->{subject_vi} } grep { $_->{email} } main::notices()),
   "each mail's subject is its notice's, exactly");
my ($m1) = grep { $_->{subject} =~ /\Q$a->{code}\E/ } @$mails;
is($m1->{subject}, "Hồ sơ $a->{code}: đã được tiếp nhận", "the subject, in Vietnamese (decoded from its MIME encoding)");
like($m1->{body}, qr/^Hồ sơ \Q$a->{code}\E \(Đăng ký khai sinh\) đã được tiếp nhận lúc .*\nHẹn trả kết quả lúc /s, "the body, in Vietnamese first");
like($m1->{body}, qr/-- English --\nDossier \Q$a->{code}\E: accepted\n\nYour dossier/, "then in English");
like($m1->{body}, qr/\Qhttps:\/\/dichvucong.example.vn\/tra-cuu?ma=$a->{code}\E/, "the lookup link");
is(lc($m1->{charset} // ''), "utf-8", "UTF-8");
my ($m2) = grep { $_->{subject} =~ /bổ sung/ } @$mails;
like($m2->{body}, qr/Lý do: Thiếu hợp đồng thuê địa điểm kinh doanh\nGiấy tờ cần bổ sung:\n- Hợp đồng thuê địa điểm\n/, "the supplement's reason and documents");
for my $m (@$mails) {
    unlike($m->{raw} . $m->{body}, qr/001089012345|079185003312|030195007788/, "no ID number in \"$m->{subject}\"");
    unlike($m->{body}, qr/Nguyễn Văn Hùng|Lê Thị Lan/, "no name in \"$m->{subject}\"");
}
unlike($out, qr/\@example\.vn|0912345678|0983456712|0868123987/, "the notifier's log: no address, no phone");
like($out, qr/^\Q$b->{code}\E supplement_requested email sent /m, "it logs code, template, channel");

# SMS: every notice, to the phone, the Vietnamese text on stdin
my $sent = do { local $/; open my $s, '<:utf8', "$smsdir/sent.txt" or die; <$s> };
my @sms = $sent =~ /^TO (\S+)$/mg;
is(join(" ", sort @sms), "0868123987 0912345678 0983456712 0983456712", "four SMS, to each phone");
like($sent, qr/TO 0868123987\nHồ sơ \Q$f->{code}\E \(.*\) không được tiếp nhận giải quyết\.\nLý do: Hồ sơ không đúng thẩm quyền của phường\n/, "the refusal by SMS");

# nothing pending, and a second run sends nothing again
my $pending = redis_cmd('XPENDING', 'dvc:notify', 'notifier');
is($pending->[0], 0, "nothing pending");
($rc, $out) = main::notifier("--smtp", "127.0.0.1:$sport", "--sms-cmd", $sms);
is($rc, 0, "second run: exit 0");
is(scalar @{ main::mails($sdir) }, 3, "no mail twice");

# the same entry delivered again (a crash before XACK): not mailed twice
redis_cmd('XGROUP', 'SETID', 'dvc:notify', 'notifier', '0');
($rc, $out) = main::notifier("--smtp", "127.0.0.1:$sport", "--sms-cmd", $sms);
is($rc, 0, "entries delivered again: exit 0");
like($out, qr/skipped \(already sent\)/, "recognised as sent");
is(scalar @{ main::mails($sdir) }, 3, "still three mails");

# SMTP down: the new notice stays pending, and is mailed once SMTP is back
main::smtp_stop($spid);
is(citizen_post($b->{code}, "withdrawal", $b->{lookup_token}, "{}")->{status}, 200, "withdrawal asked");
is(send_event($b->{code}, { type => "confirm_withdrawal" })->{status}, 200, "confirmed: a stop notice");
($rc, $out) = main::notifier("--smtp", "127.0.0.1:$sport");
is($rc, 1, "SMTP down: exit 1");
like($out, qr/^\Q$b->{code}\E stopped email failed ConnectionRefusedError /m, "the failure logged by its kind");
is(redis_cmd('XPENDING', 'dvc:notify', 'notifier')->[0], 1, "the notice is pending");
($spid) = main::smtp_start($sdir, $sport);
($rc, $out) = main::notifier("--smtp", "127.0.0.1:$sport");
is($rc, 0, "SMTP back: exit 0") or diag($out);
my @stop = grep { $_->{subject} =~ /dừng xử lý/ } @{ main::mails($sdir) };
is(scalar @stop, 1, "the stop notice mailed, once") or diag($out, explain(main::mails($sdir)));
like($stop[0]{body}, qr/Việc giải quyết hồ sơ \Q$b->{code}\E .*đã dừng lúc/, "its text");
is(redis_cmd('XPENDING', 'dvc:notify', 'notifier')->[0], 0, "nothing pending");
main::smtp_stop($spid);
--- no_error_log
[error]
lan.le@example.vn
hung.nguyen@example.vn



=== TEST 5: a confirmed payment leaves a notice, a transfer none; every kind arrives by SMTP, in Vietnamese, no ID number
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
my ($spid, $sport, $sdir) = main::smtp_start();
# 1.001612: accepted, payment required, paid online, transferred and back,
# delayed, resolved, returned
my $b = awaiting_payment();
my $r = pay($b);
is($r->{status}, 200, "payment URL: 200") or diag($r->{body});
my $txn = $r->{json}{txn_ref};
my $q = ipn_query(ipn_params($txn, amount => 5000000, no => "14226001"));
is(ipn($q)->{json}{RspCode}, "00", "IPN: 00, paid");
my @n = main::notices();
is(join(" ", map { $_->{template} } @n), "accepted payment_required payment_received",
   "the payment confirmed: one notice after payment_required");
my $p = $n[-1];
is($p->{status}, "4", "payment_received: status 4, processing again");
is($p->{event}, "payment:$txn", "its event: the attempt's reference, applied once");
is($p->{email}, 'lan.le@example.vn', "the dossier's contact");
is($p->{channels}, "email,sms,zalo", "channels");
is($p->{subject_vi}, "Hồ sơ $b->{code}: đã thanh toán trực tuyến", "subject");
like($p->{text_vi}, qr/^Hồ sơ \Q$b->{code}\E \(Đăng ký thành lập hộ kinh doanh\) đã được thanh toán trực tuyến số tiền 50\.000 đồng lúc \d\d:\d\d ngày \d\d\/\d\d\/\d{4} qua VNPAY \(mã giao dịch 14226001\)\.\nHồ sơ tiếp tục được giải quyết\. Biên lai thanh toán có chữ ký số/,
     "text_vi: the amount, the provider, VNPAY's transaction number, the signed receipt") or diag($p->{text_vi});
like($p->{text_en}, qr/was paid online: 50,000 VND, at .* through VNPAY \(transaction 14226001\)/, "text_en");
is($p->{link}, "$main::LINK$b->{code}", "the lookup link");
is(ipn($q)->{json}{RspCode}, "02", "the same IPN again: 02");
is(scalar(main::notices()), 3, "a replayed IPN: no second notice");
my $no = ipn(ipn_query(ipn_params($txn, amount => 5000000, rsp => "24", status => "02", no => "0")));
is($no->{json}{RspCode}, "02", "a later cancelled notice of the same attempt: 02");
is(scalar(main::notices()), 3, "nothing for it");

# liên thông: the part sent to another agency and back is internal work;
# the status stays 4 and the appointment is unchanged: no notice
is(send_event($b->{code}, { type => "transfer", to_agency => "000.01.01.H29",
    share => { hours => 2 }, reason => "Đề nghị xác minh địa điểm kinh doanh" })->{status}, 200, "transfer");
is(send_event($b->{code}, { type => "transfer_return", note => "Đã xác minh" })->{status}, 200, "transfer_return");
is(scalar(main::notices()), 3, "transfer and transfer_return: no notice");

my $new_due = POSIX::strftime("%Y-%m-%dT16:30:00+07:00", gmtime(time + 7 * 3600 + 20 * 86400));
is(send_event($b->{code}, { type => "delay", new_due_at => $new_due,
    reason => "Cần xác minh thêm địa điểm kinh doanh" })->{status}, 200, "delay");
is(send_event($b->{code}, { type => "resolve", note => "Nhận kết quả qua bưu điện" })->{status}, 200, "resolve");
is(send_event($b->{code}, { type => "return" })->{status}, 200, "return");
# 2.000488: supplement requested; 1.001612 again: refused; 1.001193:
# accepted at once
my $c = submit_dossier("2.000488");
is(send_event($c->{code}, { type => "request_supplement", reason => "Thiếu bản sao hợp đồng thuê nhà",
    documents => ["Hợp đồng thuê nhà"] })->{status}, 200, "request_supplement");
my $e = submit_dossier("1.001612");
is(send_event($e->{code}, { type => "refuse", reason => "Hồ sơ không thuộc thẩm quyền của phường" })->{status}, 200, "refuse");
my $a = submit_dossier("1.001193");
my @all = main::notices();
is(join(" ", map { $_->{template} } @all),
   "accepted payment_required payment_received delayed resolved returned supplement_requested refused accepted",
   "each change the issue lists left its notice, in order");

my ($rc, $out) = main::notifier("--smtp", "127.0.0.1:$sport");
is($rc, 0, "notifier: exit 0") or diag($out);
my $mails = main::mails($sdir);
my @with = grep { $_->{email} } @all;
is(scalar @$mails, scalar @with, "one mail per notice with an address (" . scalar(@with) . ")") or diag(explain($mails));
# what a mail reader shows, per change
my %phrase = (
    accepted => qr/đã được tiếp nhận lúc .*\nHẹn trả kết quả lúc /s,
    supplement_requested => qr/cần được bổ sung, hoàn thiện\.\nLý do: Thiếu bản sao hợp đồng thuê nhà\nGiấy tờ cần bổ sung:\n- Hợp đồng thuê nhà\n/,
    refused => qr/không được tiếp nhận giải quyết\.\nLý do: Hồ sơ không thuộc thẩm quyền của phường\n/,
    delayed => qr/xin lỗi vì hồ sơ .* chưa có kết quả đúng hẹn\.\nLý do: Cần xác minh thêm địa điểm kinh doanh\nHẹn lại ngày trả kết quả: 16:30 ngày /s,
    payment_required => qr/cần thực hiện nghĩa vụ tài chính: 50\.000 đồng\.\nNộp lệ phí đăng ký hộ kinh doanh\n/,
    payment_received => qr/đã được thanh toán trực tuyến số tiền 50\.000 đồng lúc .* qua VNPAY \(mã giao dịch 14226001\)/,
    resolved => qr/đã giải quyết xong lúc .*, đã có kết quả\.\nNhận kết quả qua bưu điện\n/s,
    returned => qr/đã được trả lúc .*\nMời Ông\/Bà đánh giá mức độ hài lòng/s,
);
# the ID numbers and names of these dossiers, read from their bodies
my (%ids, %names);
for my $proc ("1.001612", "2.000488", "1.001193") {
    my $ex = example($proc);
    $ids{$1}++ while $ex =~ /"citizen_id":\s*"(\d+)"/g;
    $names{$1}++ while $ex =~ /"full_name":\s*"([^"]+)"/g;
}
utf8::decode($_) for my @names = keys %names;
my $id_re = join "|", keys %ids;
my $name_re = join "|", map { quotemeta } @names;
ok(keys(%ids) >= 3 && @names >= 3, "ID numbers and names to look for: " . scalar(keys %ids) . ", " . scalar(@names));
my %seen;
for my $n (@with) {
    my @m = grep { $_->{subject} eq $n->{subject_vi} && $_->{to} eq $n->{email} } @$mails;
    is(scalar @m, 1, "$n->{template} of $n->{code}: one mail, its Vietnamese subject \"$n->{subject_vi}\"");
    next unless @m;
    $seen{$n->{template}}++;
    like($m[0]{body}, qr/^\Q$n->{text_vi}\E\n\n-- English --\n/, "$n->{template}: the body starts with the notice's Vietnamese text");
    like($m[0]{body}, $phrase{$n->{template}}, "$n->{template}: what it says, in Vietnamese");
    like($m[0]{body}, qr/Đây là thư tự động, xin đừng trả lời\./, "$n->{template}: do not reply");
    unlike($m[0]{raw} . $m[0]{body}, qr/$id_re/, "$n->{template}: no ID number");
    unlike($m[0]{body}, qr/$name_re/, "$n->{template}: no name");
}
is(join(" ", sort keys %seen), join(" ", sort keys %phrase), "a mail for every kind of change");
is(redis_cmd('XPENDING', 'dvc:notify', 'notifier')->[0], 0, "nothing pending");
main::smtp_stop($spid);
--- no_error_log
[error]
lan.le@example.vn
hung.nguyen@example.vn
0983456712



=== TEST 6: the HTTP adapters: SMS through a carrier's gateway, Zalo through ZNS, against a local HTTP server; a failure leaves the notice pending
--- request
GET /dvc/v1/keys
--- post_init
use utf8;
use MIME::Base64 ();
my $dir = tempdir(CLEANUP => 1);
my $port = main::free_port();
my $hpid = main::server_start($port, "$dir/recorder.log", "/usr/bin/python3", "$main::ROOT/t/util/http_recorder.py",
    $port, "$dir/requests.jsonl", "/sms=200:OK", "/sms-down=503:busy",
    '/zns=200:{"error":0,"message":"Success","data":{"msg_id":"m1"}}',
    '/zns-bad=200:{"error":-124,"message":"Access token is invalid"}');
sub spew { my ($f, $t, $mode) = @_; open my $h, '>:utf8', $f or die; print $h $t; close $h; chmod $mode // 0600, $f }
spew("$dir/sms.cred", "dvc:s3cret\n");
spew("$dir/zalo.token", "OA-TOKEN-1\n");
spew("$dir/open.cred", "dvc:s3cret\n", 0644);
spew("$dir/zns.json", $J->encode({
    accepted => { template_id => 231001, params => { ma_ho_so => "code", thoi_gian => "at_vi", tra_cuu => "link" } },
    refused  => { template_id => "231003", params => { ma_ho_so => "code" } } }));
my $U = "http://127.0.0.1:$port";
my @common = ("--no-email", "--sms-http-param", "brandname=UBND-PHUONG", "--sms-http-auth-file", "$dir/sms.cred",
              "--zalo-zns-templates", "$dir/zns.json", "--zalo-token-file", "$dir/zalo.token");
sub requests {
    open my $h, '<:utf8', "$dir/requests.jsonl" or return ();
    return map { JSON::PP->new->decode($_) } <$h>;
}
sub form {
    my %f;
    for (split /&/, $_[0]) {
        my ($k, $v) = map { (my $x = $_) =~ tr/+/ /; $x =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; utf8::decode($x); $x } split /=/, $_, 2;
        $f{$k} = $v;
    }
    return \%f;
}

my $a = submit_dossier("1.001193");                                  # accepted at once
my $e = submit_dossier("1.001612");
is(send_event($e->{code}, { type => "refuse", reason => "Hồ sơ không thuộc thẩm quyền của phường" })->{status}, 200, "refuse");
my $f = submit_dossier("1.002820");                                  # a phone, no e-mail
is(send_event($f->{code}, { type => "accept" })->{status}, 200, "accept");
is(send_event($f->{code}, { type => "request_payment", amount => 30000, reason => "Lệ phí" })->{status}, 200, "request_payment");
my @n = main::notices();
is(scalar @n, 4, "four notices");

my ($rc, $out) = main::notifier(@common, "--sms-http", "$U/sms", "--zalo-zns-url", "$U/zns");
is($rc, 0, "notifier: exit 0") or diag($out);
my @req = main::requests();
my @sms = grep { $_->{path} eq "/sms" } @req;
my @zns = grep { $_->{path} eq "/zns" } @req;
is(scalar @sms, 4, "one SMS per notice");
is(join(" ", map { main::form($_->{body})->{to} } @sms), join(" ", map { $_->{phone} } @n), "each to the dossier's phone, in order");
for my $i (0 .. $#n) {
    my $fm = main::form($sms[$i]{body});
    my ($first) = split /\n/, $n[$i]{text_vi};
    is($fm->{text}, "$first\n$n[$i]{link}", "SMS $i ($n[$i]{template}): the first line and the lookup link, in Vietnamese");
    is($fm->{brandname}, "UBND-PHUONG", "SMS $i: the fixed parameter");
    is($sms[$i]{headers}{authorization}, "Basic " . MIME::Base64::encode_base64("dvc:s3cret", ""), "SMS $i: the credentials, as Basic");
    like($sms[$i]{headers}{'content-type'}, qr{^application/x-www-form-urlencoded}, "SMS $i: a form");
}
like($sms[1]{body}, qr/^to=0983456712&text=H%E1%BB%93\+s%C6%A1\+/, "the form's own bytes: UTF-8, percent-encoded");
is(scalar @zns, 3, "Zalo: the three notices with a ZNS template");
like($out, qr/^\Q$f->{code}\E payment_required zalo skipped \(no ZNS template\) /m, "the one without a template: skipped");
my @znotes = grep { $_->{template} ne "payment_required" } @n;
for my $i (0 .. $#zns) {
    my $b = $J->decode($zns[$i]{body});
    my $x = $znotes[$i];
    (my $p84 = $x->{phone}) =~ s/^0/84/;
    is($zns[$i]{headers}{access_token}, "OA-TOKEN-1", "ZNS $i: the OA's access token");
    is($b->{phone}, $p84, "ZNS $i: the phone as 84…");
    is($b->{template_id}, $x->{template} eq "accepted" ? "231001" : "231003", "ZNS $i: the template registered for $x->{template}");
    is($b->{tracking_id}, "$x->{code}:$x->{event}", "ZNS $i: tracking_id the notice's identity");
    my ($Y, $M, $D, $h, $m) = $x->{at} =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/;
    is_deeply($b->{template_data}, $x->{template} eq "accepted"
              ? { ma_ho_so => $x->{code}, thoi_gian => "$h:$m $D/$M/$Y", tra_cuu => $x->{link} }
              : { ma_ho_so => $x->{code} }, "ZNS $i: the parameters from the notice");
}
unlike($out, qr/0912345678|0983456712|0868123987|OA-TOKEN|s3cret/, "the log: no phone, no credentials");

# the gateway and ZNS failing: the new notice stays pending, then goes
my $g = submit_dossier("1.001193");
($rc, $out) = main::notifier(@common, "--sms-http", "$U/sms-down", "--zalo-zns-url", "$U/zns-bad");
is($rc, 1, "SMS gateway 503, ZNS error -124: exit 1");
like($out, qr/^\Q$g->{code}\E accepted sms failed RuntimeError /m, "sms failed, by its kind");
like($out, qr/^\Q$g->{code}\E accepted zalo failed RuntimeError /m, "zalo failed, by its kind");
unlike($out, qr/Access token is invalid/, "not the provider's text");
is(redis_cmd('XPENDING', 'dvc:notify', 'notifier')->[0], 1, "the notice is pending");
($rc, $out) = main::notifier(@common, "--sms-ascii", "--sms-http", "$U/sms", "--zalo-zns-url", "$U/zns");
is($rc, 0, "both back: exit 0") or diag($out);
is(redis_cmd('XPENDING', 'dvc:notify', 'notifier')->[0], 0, "nothing pending");
@req = main::requests();
@sms = grep { $_->{path} eq "/sms" } @req;
is(scalar @sms, 5, "the pending SMS sent once");
is(scalar(grep { $_->{path} eq "/zns" } @req), 4, "the pending Zalo message sent once");
like(main::form($sms[-1]{body})->{text}, qr/^Ho so \Q$g->{code}\E \(Dang ky khai sinh\) da duoc tiep nhan luc \d\d:\d\d ngay \d\d\/\d\d\/\d{4}\.\n/, "--sms-ascii: without diacritics");

($rc, $out) = main::notifier("--no-email", "--sms-http", "$U/sms", "--sms-http-auth-file", "$dir/open.cred");
is($rc, 2, "credentials readable by others: refused, exit 2");
like($out, qr/must be mode 0600/, "said so");
kill 'TERM', $hpid; waitpid $hpid, 0;
--- no_error_log
[error]
0912345678
0983456712
