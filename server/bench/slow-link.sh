#!/usr/bin/env bash
# Benchmark: a slow link to the old server. One mailbox of ~MB megabytes (default 100) copied from an old
# Dovecot reached through an emulated link of MBIT megabits per second each way (default 50) and RTT_MS
# milliseconds round trip (default 20), shared by every connection (server/bench/link-proxy.py), to a new
# Dovecot on this machine. TLS on both sides (STARTTLS, each tool verifying the CA). Compared:
# `fountain copy` with and without COMPRESS=DEFLATE (RFC 4978; the rig's Dovecot offers it through
# imap_zlib), `doveadm backup -R` via imapc, and imapsync with --compress1 when installed.
# Prints wall time, mail throughput, the bytes that crossed the link from the old server, peak RSS,
# and the ratios to Fountain compressed.
#
#   bash server/bench/slow-link.sh [MB] [MBIT] [RTT_MS]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" slow
mb=${1:-100}; mbit=${2:-50}; rtt=${3:-20}
link_port=$((old_port + 4))

printf 'alice:alice-old\nfplain:x\nfzip:x\ndcot:x\nisync:x\n' >"$work/users"
start_servers "$work/users" "$work/users"

echo "generating ~$mb MB of mail on the old server..." >&2
mkdir -p "$work/mbox"
read -r total_msgs total_bytes < <(python3 "$here/make-mbox.py" "$work/mbox/inbox" --mb "$mb" --id-prefix slow --varied)
import_mbox "$work/mbox/inbox" alice
echo "source: $total_msgs messages, $((total_bytes / 1000000)) MB; link: $mbit Mbit/s, $rtt ms RTT" >&2
# Read every message once, so that no tool pays for a cold cache.
doveadm -c "$work/old/dovecot.conf" fetch -u alice text mailbox INBOX all >/dev/null

start_link "$link_port" --mbit "$mbit" --rtt-ms "$rtt"
# measure_link NAME COMMAND...: as measure, and the bytes the old server sent through the link.
measure_link() {
  link_reset
  echo "$(measure "$@") $(link_stat down)"
}

export FOUNTAIN_SOURCE_PASSWORD=alice-old FOUNTAIN_DEST_PASSWORD=admin-pass
fountain_run() { # measurement name, target user, more options
  local name=$1 to=$2; shift 2
  measure_link "$name" "$fountain" copy --from "imap://alice@127.0.0.1:$link_port" --source-ca-file "$old_ca" \
    --to "imap://$to@127.0.0.1:$new_port" --dest-ca-file "$new_ca" --dest-auth master:admin \
    --journal "$work/journal-$to.db" "$@"
}
read -r z_wall z_rss z_down < <(fountain_run fountain-zip fzip --compress-source)
read -r p_wall p_rss p_down < <(fountain_run fountain-plain fplain)
read -r d_wall d_rss d_down < <(measure_link doveadm doveadm -c "$work/new/dovecot.conf" -o imapc_host=127.0.0.1 \
  -o imapc_port="$link_port" -o imapc_ssl=starttls -o imapc_ssl_verify=yes -o ssl_client_ca_file="$old_ca" \
  -o imapc_user=alice -o imapc_password=alice-old -o imapc_features="rfc822.size fetch-headers" \
  -o mail_prefetch_count=20 backup -R -u dcot imapc:)

row() { # tool wall rss down copied
  awk -v t="$1" -v w="$2" -v r="$3" -v d="$4" -v c="$5" -v m="$total_msgs" -v b="$total_bytes" -v zw="$z_wall" -v zr="$z_rss" 'BEGIN {
    printf "| %-31s | %8.1f s | %6.2f | %8.1f MB | %5.2f | %7.1f MB | %6d/%d | %5.2f | %5.2f |\n", t, w, (w>0? b/1e6/w : 0), d/1e6, d/b, r/1024, c, m, (zw>0? w/zw : 0), (zr>0? r/zr : 0) }'
}
echo
echo "~$mb MB of mail ($total_msgs messages) from an old server behind a $mbit Mbit/s, $rtt ms RTT link; TLS on both sides:"
echo "| tool                            |       wall | mail MB/s | on the link | ×mail |  peak RSS | copied        | wall ×Z | RSS ×Z |"
echo "|---------------------------------|------------|-----------|-------------|-------|-----------|---------------|---------|--------|"
row "fountain copy, COMPRESS=DEFLATE" "$z_wall" "$z_rss" "$z_down" "$(messages_of fzip)"
row "fountain copy, uncompressed" "$p_wall" "$p_rss" "$p_down" "$(messages_of fplain)"
row "doveadm backup (imapc)" "$d_wall" "$d_rss" "$d_down" "$(messages_of dcot)"
if command -v imapsync >/dev/null; then
  read -r s_wall s_rss s_down < <(measure_link imapsync imapsync --host1 127.0.0.1 --port1 "$link_port" --user1 alice \
    --password1 alice-old --tls1 --sslargs1 "SSL_ca_file=$old_ca" --compress1 --host2 127.0.0.1 \
    --port2 "$new_port" --user2 "isync*admin" --password2 admin-pass --tls2 --sslargs2 "SSL_ca_file=$new_ca" \
    --nolog --noreleasecheck)
  row "imapsync --compress1" "$s_wall" "$s_rss" "$s_down" "$(messages_of isync)"
else
  echo "(imapsync is not installed here: it would be a fourth row, with --compress1)"
fi
echo "(on the link: bytes the old server sent through it, TLS included; ×mail: that over the mail's size;"
echo " ×Z: the tool's figure over Fountain compressed. doveadm's imapc has no COMPRESS.)"
echo "logs: $work" >&2
