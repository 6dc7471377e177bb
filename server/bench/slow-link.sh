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
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../.ci/env"
mb=${1:-100}; mbit=${2:-50}; rtt=${3:-20}
rig="$FOUNTAIN_ROOT/server/rig"
work=$(mktemp -d /tmp/fountain-slow.XXXXXX); chmod 755 "$work"
old_port=$((20000 + RANDOM % 10000)); new_port=$((old_port + 1))
old_imaps=$((old_port + 2)); new_imaps=$((old_port + 3)); link_port=$((old_port + 4))

cargo build -q --release -p server --bin fountain
fountain="$CARGO_TARGET_DIR/release/fountain"

cleanup() {
  [ -n "${link_pid:-}" ] && kill "$link_pid" 2>/dev/null || true
  "$rig/dovecot.sh" stop "$work/old"; "$rig/dovecot.sh" stop "$work/new"
}
trap cleanup EXIT
printf 'alice:alice-old\nfplain:x\nfzip:x\ndcot:x\nisync:x\n' >"$work/users"
DOVECOT_IMAPS_PORT=$old_imaps "$rig/dovecot.sh" start old "$work/old" "$old_port" "$work/users" >/dev/null
DOVECOT_IMAPS_PORT=$new_imaps "$rig/dovecot.sh" start new "$work/new" "$new_port" "$work/users" admin admin-pass >/dev/null
old_ca="$work/old/tls/ca.pem"; new_ca="$work/new/tls/ca.pem"

echo "generating ~$mb MB of mail on the old server..." >&2
mkdir -p "$work/mbox"
read -r total_msgs total_bytes < <(python3 "$here/make-mbox.py" "$work/mbox/inbox" --mb "$mb" --id-prefix slow --varied)
chown -R 65534:65534 "$work/mbox"
doveadm -c "$work/old/dovecot.conf" import -u alice mbox:"$work/mbox":INBOX="$work/mbox/inbox" "" all
echo "source: $total_msgs messages, $((total_bytes / 1000000)) MB; link: $mbit Mbit/s, $rtt ms RTT" >&2
# Read every message once, so that no tool pays for a cold cache.
doveadm -c "$work/old/dovecot.conf" fetch -u alice text mailbox INBOX all >/dev/null

python3 "$here/link-proxy.py" "$link_port" "$old_port" "$work/link.json" --mbit "$mbit" --rtt-ms "$rtt" \
  >"$work/link.log" 2>&1 &
link_pid=$!
for _ in $(seq 50); do grep -q ready "$work/link.log" 2>/dev/null && break; sleep 0.1; done
link_reset() { kill -USR1 "$link_pid"; sleep 0.3; }
link_down() { sleep 0.3; python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["down"])' "$work/link.json"; }

measure() { # name, then the command; prints "wall_s rss_kb down_bytes"
  local name=$1; shift
  link_reset
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
  echo "$wall $rss $(link_down)"
}

export FOUNTAIN_SOURCE_PASSWORD=alice-old FOUNTAIN_DEST_PASSWORD=admin-pass
fountain_run() { # measurement name, target user, more options
  local name=$1 to=$2; shift 2
  measure "$name" "$fountain" copy --from "imap://alice@127.0.0.1:$link_port" --source-ca-file "$old_ca" \
    --to "imap://$to@127.0.0.1:$new_port" --dest-ca-file "$new_ca" --dest-auth master:admin \
    --journal "$work/journal-$to.db" "$@"
}
read -r z_wall z_rss z_down < <(fountain_run fountain-zip fzip --compress-source)
read -r p_wall p_rss p_down < <(fountain_run fountain-plain fplain)
read -r d_wall d_rss d_down < <(measure doveadm doveadm -c "$work/new/dovecot.conf" -o imapc_host=127.0.0.1 \
  -o imapc_port="$link_port" -o imapc_ssl=starttls -o imapc_ssl_verify=yes -o ssl_client_ca_file="$old_ca" \
  -o imapc_user=alice -o imapc_password=alice-old -o imapc_features="rfc822.size fetch-headers" \
  -o mail_prefetch_count=20 backup -R -u dcot imapc:)
messages_of() { doveadm -c "$work/new/dovecot.conf" -f flow mailbox status -u "$1" messages '*' | awk -F'messages=' '{s+=$2} END {print s+0}'; }

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
  read -r s_wall s_rss s_down < <(measure imapsync imapsync --host1 127.0.0.1 --port1 "$link_port" --user1 alice \
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
