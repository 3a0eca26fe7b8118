#!/usr/bin/env bash
# Reads the valgrind reports `make test-valgrind` left (t/servroot-*/logs/
# valgrind.PID, one per nginx process) and says what they found: memory
# errors (invalid reads/writes, uninitialised values, bad frees) anywhere,
# and definite/indirect leaks with a frame of ours (dvc_*, ngx_http_dvc_*,
# the module's static hiredis/yajl) apart from nginx's own.  Exit 1 if any
# error or any leak of ours.
set -euo pipefail
exec perl -e '
use strict; use warnings;
my ($procs, $errors, $ours_blocks, $ours_bytes, $nginx_bytes) = (0, 0, 0, 0, 0);
my (%ours, %errs);
for my $f (@ARGV) {
    open my $fh, "<", $f or next;
    local $/; my $t = <$fh>;
    $procs++;
    # records are blank-line separated, each line prefixed with ==PID==
    (my $clean = $t) =~ s/^==\d+== ?//mg;
    for my $rec (split /\n\s*\n/, $clean) {
        my ($head) = $rec =~ /\A\s*(.*)/;
        next unless defined $head;
        my $mine = $rec =~ /\b(?:ngx_http_dvc_\w+|dvc_\w+|redis\w+|yajl_\w+)\s*\(|ngx_http_dvc_module\.so/;
        if ($head =~ /^([\d,]+) (?:\(([\d,]+) direct, ([\d,]+) indirect\) )?bytes in [\d,]+ blocks are (definitely|indirectly) lost/) {
            (my $b = $1) =~ tr/,//d;
            if ($mine) {
                $ours_blocks++; $ours_bytes += $b;
                my ($frame) = $rec =~ /by 0x\w+: ((?:ngx_http_dvc_|dvc_)\w+ \([^)]*\))/;
                $ours{$frame // "(module)"} += $b;
            } else {
                $nginx_bytes += $b;
            }
        } elsif ($head =~ /^(Invalid (?:read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap)/) {
            $errors++;
            my ($frame) = $rec =~ /(?:at|by) 0x\w+: (\w+ \([^)]*\))/;
            $errs{"$1 in " . ($frame // "?")}++;
        }
    }
}
printf "valgrind: %d nginx processes checked\n", $procs;
printf "memory errors: %d\n", $errors;
printf "  %s x%d\n", $_, $errs{$_} for sort keys %errs;
printf "leaks from ngx_dvc code (definite + indirect): %d bytes in %d records\n", $ours_bytes, $ours_blocks;
printf "  %s: %d bytes\n", $_, $ours{$_} for sort keys %ours;
printf "leaks without a frame of ours (nginx itself): %d bytes\n", $nginx_bytes;
exit(($errors || $ours_blocks || !$procs) ? 1 : 0);
' "$@"
