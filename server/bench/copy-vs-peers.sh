#!/usr/bin/env bash
# Benchmark: `fountain copy` against `doveadm backup -R` via imapc (and mbsync when installed), on the
# same seeded mailbox copied from an "old" Dovecot to a "new" one over loopback, with TLS on both sides
# as deployments run it (STARTTLS, each server with its own CA; every tool verifies certificates).
# Prints a table: first-copy wall time, msgs/s, MB/s, peak RSS (/usr/bin/time -v), no-op re-run time;
# then a second one for a mailbox holding one BIG_MB message (default 200 MB), where memory is the point.
#
#   bash server/bench/copy-vs-peers.sh [MESSAGES] [AVG_KB]     (default 5000 messages of ~60 KB ≈ 300 MB)
#
# fountain and doveadm each copy RUNS times (default 3) into fresh mailboxes; the table shows the median
# run (by wall time) and its peak RSS. mbsync, much slower, runs once. BIG_MB=0 skips the big message.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" bench
messages=${1:-5000}; avg_kb=${2:-60}; runs=${RUNS:-3}; big_mb=${BIG_MB:-200}

{ printf 'alice:alice-old\ncarol:carol-old\nbig:big-old\nfbig:x\ndbig:x\nfliar:x\n'; for i in $(seq "$runs"); do printf 'f%s:x\nd%s:x\n' "$i" "$i"; done; } >"$work/users"
start_servers "$work/users" "$work/users"

echo "generating $messages messages (~$avg_kb KB each, seeded) on the old server..." >&2
mkdir -p "$work/mbox"
read -r total_msgs total_bytes < <(python3 "$here/make-mbox.py" "$work/mbox/inbox" --messages "$messages" --avg-kb "$avg_kb")
import_mbox "$work/mbox/inbox" alice
echo "source: $total_msgs messages, $((total_bytes / 1000000)) MB" >&2

export FOUNTAIN_DEST_PASSWORD=admin-pass
fountain_run() { # measurement name, target user [source user]
  local from=${3:-alice}
  FOUNTAIN_SOURCE_PASSWORD=$from-old measure "$1" "$fountain" copy \
    --from "imap://$from@127.0.0.1:$old_port" --source-ca-file "$old_ca" \
    --to "imap://$2@127.0.0.1:$new_port" --dest-ca-file "$new_ca" \
    --dest-auth master:admin --journal "$work/journal-$2.db"
}
doveadm_run() { # measurement name, target user [source user]
  # doveadm writes into its own server directly; it reads the old one through imapc, over STARTTLS.
  local from=${3:-alice}
  measure "$1" doveadm -c "$work/new/dovecot.conf" -o imapc_host=127.0.0.1 -o imapc_port="$old_port" \
    -o imapc_ssl=starttls -o imapc_ssl_verify=yes -o ssl_client_ca_file="$old_ca" \
    -o imapc_user="$from" -o imapc_password="$from-old" -o imapc_features="rfc822.size fetch-headers" \
    -o mail_prefetch_count=20 backup -R -u "$2" imapc:
}
# Alternating the tools, so that a slow spell of the machine does not favour one.
for i in $(seq "$runs"); do
  fountain_run "fountain-$i" "f$i" >"$work/fountain-$i.m"
  doveadm_run "doveadm-$i" "d$i" >"$work/doveadm-$i.m"
done
median() { sort -n "$@" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
read -r f_wall f_rss < <(median "$work"/fountain-*.m)
read -r d_wall d_rss < <(median "$work"/doveadm-*.m)
read -r f_noop _ < <(fountain_run fountain-noop f1)
read -r d_noop _ < <(doveadm_run doveadm-noop d1)
copied_by_fountain=$(messages_of f1)
copied_by_doveadm=$(messages_of d1)

row() { # tool wall rss noop copied; the last two columns are the tool's time and memory over fountain's
  awk -v t="$1" -v w="$2" -v r="$3" -v n="$4" -v c="$5" -v m="$total_msgs" -v b="$total_bytes" -v fw="$f_wall" -v fr="$f_rss" 'BEGIN {
    printf "| %-22s | %8.2f s | %8.0f | %7.1f | %7.1f MB | %9.2f s | %6d/%d | %5.2f | %5.2f |\n", t, w, (w>0? m/w : 0), (w>0? b/1e6/w : 0), r/1024, n, c, m, (fw>0? w/fw : 0), (fr>0? r/fr : 0) }'
}
echo
echo "| tool                   |  first copy |  msgs/s |    MB/s |  peak RSS | no-op run |  copied | time ×F | RSS ×F |"
echo "|------------------------|-------------|---------|---------|-----------|-----------|---------|---------|--------|"
row "fountain copy"          "$f_wall" "$f_rss" "$f_noop" "$copied_by_fountain"
row "doveadm backup (imapc)" "$d_wall" "$d_rss" "$d_noop" "$copied_by_doveadm"
if command -v mbsync >/dev/null; then
  # mbsync (isync) into carol's mailbox: the same source, its own target.
  cat >"$work/mbsyncrc" <<RC
IMAPAccount old
Host 127.0.0.1
Port $old_port
User alice
Pass alice-old
SSLType STARTTLS
CertificateFile $old_ca
AuthMechs LOGIN

IMAPStore old
Account old

IMAPAccount new
Host 127.0.0.1
Port $new_port
User carol*admin
Pass admin-pass
SSLType STARTTLS
CertificateFile $new_ca
AuthMechs LOGIN

IMAPStore new
Account new

Channel bench
Far :old:
Near :new:
Patterns INBOX
Create Near
SyncState $work/mbsync-state/
RC
  mkdir -p "$work/mbsync-state"
  read -r m_wall m_rss < <(measure mbsync mbsync -c "$work/mbsyncrc" -q bench)
  read -r m_noop _ < <(measure mbsync-noop mbsync -c "$work/mbsyncrc" -q bench)
  copied_by_mbsync=$(messages_of carol)
  row "mbsync" "$m_wall" "$m_rss" "$m_noop" "$copied_by_mbsync"
else
  echo "(mbsync not installed: apt-get install isync to add it to the table)"
fi
echo "(×F: the tool's figure over fountain's)"

if [ "$big_mb" -gt 0 ]; then
  # One BIG_MB message (and two small ones): memory must stay flat, whatever the message's size.
  python3 - "$work/big.eml" "$big_mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
line = (b"0123456789abcdefghij" * 4)[:78] + b"\r\n"
with open(path, "wb") as out:
    out.write(b"From: big@example.org\r\nSubject: a very big message\r\nMessage-ID: <big@example.org>\r\n\r\n")
    for _ in range(mb * 1_000_000 // len(line)):
        out.write(line)
PY
  chown 65534:65534 "$work/big.eml"
  for i in 1 2; do
    printf 'Subject: small %s\r\nMessage-ID: <small-%s@example.org>\r\n\r\nhello\r\n' "$i" "$i" |
      doveadm -c "$work/old/dovecot.conf" save -u big
  done
  doveadm -c "$work/old/dovecot.conf" save -u big <"$work/big.eml"
  read -r fb_wall fb_rss < <(fountain_run fountain-big fbig big)
  read -r db_wall db_rss < <(doveadm_run doveadm-big dbig big)
  # The same mailbox from an old server that under-reports every size (2 KB), through a proxy that
  # rewrites RFC822.SIZE: plain text on that side (the proxy cannot read TLS), TLS to the new server.
  liar_port=$((old_port + 4))
  python3 "$here/under-reporting-proxy.py" "$liar_port" "$old_port" 2000 >"$work/liar.log" 2>&1 &
  liar_pid=$!
  for _ in $(seq 50); do grep -q ready "$work/liar.log" 2>/dev/null && break; sleep 0.1; done
  FOUNTAIN_SOURCE_PASSWORD=big-old measure fountain-liar "$fountain" copy \
    --from "imap://big@127.0.0.1:$liar_port" --to "imap://fliar@127.0.0.1:$new_port" \
    --dest-ca-file "$new_ca" --dest-auth master:admin --journal "$work/journal-fliar.db" >"$work/fountain-liar.m"
  kill "$liar_pid" 2>/dev/null || true
  read -r fl_wall fl_rss <"$work/fountain-liar.m"
  big_bytes=$(stat -c %s "$work/big.eml")
  largest_of() { doveadm -c "$work/$2/dovecot.conf" -f flow fetch -u "$1" size.physical mailbox INBOX |
    awk -F'size.physical=' '{if ($2+0 > m) m = $2+0} END {print m+0}'; }
  echo
  echo "one $big_mb MB message (and 2 small), TLS on both sides:"
  echo "| tool                   |  first copy |    MB/s |  peak RSS |"
  echo "|------------------------|-------------|---------|-----------|"
  for t in "fountain copy:$fb_wall:$fb_rss" "doveadm backup (imapc):$db_wall:$db_rss" \
    "fountain, sizes under-reported (plain old side):$fl_wall:$fl_rss"; do
    IFS=: read -r name wall rss <<<"$t"
    awk -v t="$name" -v w="$wall" -v r="$rss" -v b="$big_bytes" 'BEGIN {
      printf "| %-22s | %8.2f s | %7.1f | %7.1f MB |\n", t, w, (w>0? b/1e6/w : 0), r/1024 }'
  done
  echo "(the big message: $(largest_of big old) bytes on the old server, $(largest_of fbig new) copied by fountain, $(largest_of dbig new) by doveadm, $(largest_of fliar new) from the under-reporting server; messages: $(messages_of fbig), $(messages_of dbig) and $(messages_of fliar) of 3)"
fi
echo
echo "logs: $work" >&2
