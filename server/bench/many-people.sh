#!/usr/bin/env bash
# Benchmark: many people at once. PEOPLE mailboxes (default 50) of ~MB each (default 5) copied from an
# old Dovecot to a new one by Fountain's own machinery — an IT-run wave started from the command line,
# copied by one `fountain worker` (pre-flight scans included) within the servers' connection cap —
# against PEOPLE `doveadm backup -R` processes started all at once (one per mailbox, imapc over
# STARTTLS), and imapsync likewise when installed. TLS on both sides, every tool verifying the CA.
# Prints aggregate throughput, wall time, total peak RSS (the sum of the processes' peaks), the most
# connections the old server saw at once, and the ratios to Fountain.
#
#   bash server/bench/many-people.sh [PEOPLE] [MB_EACH]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../.ci/env"
people=${1:-50}; mb_each=${2:-5}; cap=${CAP:-16}
rig="$FOUNTAIN_ROOT/server/rig"
work=$(mktemp -d /tmp/fountain-many.XXXXXX); chmod 755 "$work"
old_port=$((20000 + RANDOM % 10000)); new_port=$((old_port + 1))
old_imaps=$((old_port + 2)); new_imaps=$((old_port + 3)); watch_port=$((old_port + 4))

cargo build -q --release -p server --bin fountain
fountain="$CARGO_TARGET_DIR/release/fountain"

cleanup() {
  [ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null
  "$rig/dovecot.sh" stop "$work/old"; "$rig/dovecot.sh" stop "$work/new"
}
trap cleanup EXIT
names=$(seq -f "p%02g" 1 "$people")
for n in $names; do printf '%s:x\n' "$n"; done >"$work/old-users"
for n in $names; do printf '%s:x\nd%s:x\ns%s:x\n' "$n" "$n" "$n"; done >"$work/new-users"
DOVECOT_IMAPS_PORT=$old_imaps "$rig/dovecot.sh" start old "$work/old" "$old_port" "$work/old-users" admin admin-pass >/dev/null
DOVECOT_IMAPS_PORT=$new_imaps "$rig/dovecot.sh" start new "$work/new" "$new_port" "$work/new-users" admin admin-pass >/dev/null
old_ca="$work/old/tls/ca.pem"; new_ca="$work/new/tls/ca.pem"

echo "generating $people mailboxes of ~$mb_each MB on the old server..." >&2
mkdir -p "$work/mbox"
read -r per_msgs per_bytes < <(python3 "$here/make-mbox.py" "$work/mbox/inbox" --mb "$mb_each" --avg-kb 49 --seed 7 --id-prefix many)
chown -R 65534:65534 "$work/mbox"
for n in $names; do
  doveadm -c "$work/old/dovecot.conf" import -u "$n" mbox:"$work/mbox":INBOX="$work/mbox/inbox" "" all
done
total_msgs=$((per_msgs * people)); total_bytes=$((per_bytes * people))
echo "source: $people × $per_msgs messages = $((total_bytes / 1000000)) MB" >&2

# The old server behind a counting proxy: the most connections it sees at once, per tool.
python3 "$here/link-proxy.py" "$watch_port" "$old_port" "$work/link.json" >"$work/watch.log" 2>&1 &
watch_pid=$!
for _ in $(seq 50); do grep -q ready "$work/watch.log" 2>/dev/null && break; sleep 0.1; done
peak_reset() { kill -USR1 "$watch_pid"; sleep 0.2; }
peak_seen() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak"])' "$work/link.json"; }
# STARTTLS through the proxy: the certificate still names 127.0.0.1.

rss_of() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
now() { date +%s.%N; }

# --- Fountain: an IT-run wave, one worker process.
cat >"$work/fountain.toml" <<TOML
[database]
url = "sqlite://$work/fountain.db?mode=rwc"
[auth]
issuer = "http://127.0.0.1:9"
client_id = "bench"
client_secret = "bench"
allowed_domains = ["example.org"]
[migration]
workers_in_portal = false
concurrent_requests = $((cap / 2))
parallel_folders = 2
max_connections_per_server = $cap
[migration.old_server]
url = "imap://127.0.0.1:$watch_port"
auth = "master"
admin = "admin"
admin_password = "admin-pass"
login = "{localpart}"
ca_file = "$old_ca"
[migration.new_server]
url = "imap://127.0.0.1:$new_port"
auth = "master"
admin = "admin"
admin_password = "admin-pass"
login = "{localpart}"
ca_file = "$new_ca"
TOML
{ echo "email,old_login,note"; for n in $names; do echo "$n@example.org,,"; done; } >"$work/wave.csv"
f() { RUST_LOG=warn "$fountain" --config "$work/fountain.toml" "$@"; }
f waves import "$work/wave.csv" --wave bench --by bench >/dev/null
f waves set bench --mode it-run --concurrency "$people" --by bench >/dev/null
peak_reset
start=$(now)
f waves start bench --by bench >/dev/null
RUST_LOG=warn /usr/bin/time -v -o "$work/fountain.time" "$fountain" --config "$work/fountain.toml" worker 2>"$work/fountain.err" &
worker_pid=$!
done_count() { sqlite3 "$work/fountain.db" "SELECT COUNT(*) FROM migration_requests WHERE state = 'done'"; }
until [ "$(done_count)" -ge "$people" ]; do
  sleep 0.2
  if ! kill -0 "$worker_pid" 2>/dev/null; then echo "the worker stopped: $(tail -5 "$work/fountain.err")" >&2; exit 1; fi
  if awk -v s="$start" -v n="$(now)" 'BEGIN {exit !(n - s > 3600)}'; then echo "fountain: not done within an hour" >&2; exit 1; fi
done
f_wall=$(awk -v s="$start" -v n="$(now)" 'BEGIN {print n - s}')
f_peak=$(peak_seen)
# The worker's own time -v is written when it exits: stop it the way systemd does.
pkill -TERM -P "$worker_pid" || true
wait "$worker_pid" 2>/dev/null || true
f_rss=$(rss_of "$work/fountain.time")

messages_of() { doveadm -c "$work/new/dovecot.conf" -f flow mailbox status -u "$1" messages '*' | awk -F'messages=' '{s+=$2} END {print s+0}'; }
copied() { local s=0; for n in $names; do s=$((s + $(messages_of "$1$n"))); done; echo "$s"; }
f_copied=$(copied "")

# --- doveadm backup: one process per mailbox, all at once.
peak_reset
start=$(now)
for n in $names; do
  /usr/bin/time -v -o "$work/doveadm-$n.time" doveadm -c "$work/new/dovecot.conf" \
    -o imapc_host=127.0.0.1 -o imapc_port="$watch_port" -o imapc_ssl=starttls -o imapc_ssl_verify=yes \
    -o ssl_client_ca_file="$old_ca" -o imapc_user="$n*admin" \
    -o imapc_password=admin-pass -o imapc_features="rfc822.size fetch-headers" \
    -o mail_prefetch_count=20 backup -R -u "d$n" imapc: >"$work/doveadm-$n.log" 2>&1 &
done
failed=0
wait_all() { failed=0; for pid in $(jobs -p); do [ "$pid" = "$watch_pid" ] && continue; wait "$pid" || failed=$((failed + 1)); done; }
wait_all
d_failed=$failed
d_wall=$(awk -v s="$start" -v n="$(now)" 'BEGIN {print n - s}')
d_peak=$(peak_seen)
d_rss=$(for n in $names; do rss_of "$work/doveadm-$n.time"; done | awk '{s+=$1} END {print s}')
d_copied=$(copied d)

row() { # tool wall rss peak copied
  awk -v t="$1" -v w="$2" -v r="$3" -v p="$4" -v c="$5" -v m="$total_msgs" -v b="$total_bytes" -v fw="$f_wall" -v fr="$f_rss" 'BEGIN {
    printf "| %-26s | %8.1f s | %6.1f | %9.1f MB | %5d | %7d/%d | %5.2f | %5.2f |\n", t, w, (w>0? b/1e6/w : 0), r/1024, p, c, m, (fw>0? w/fw : 0), (fr>0? r/fr : 0) }'
}
echo
echo "$people mailboxes of ~$mb_each MB ($((total_bytes / 1000000)) MB, $total_msgs messages), TLS on both sides:"
echo "| tool                       |       wall |   MB/s | total peak RSS | conns | copied        | wall ×F | RSS ×F |"
echo "|----------------------------|------------|--------|----------------|-------|---------------|---------|--------|"
row "fountain (1 worker, cap $cap)" "$f_wall" "$f_rss" "$f_peak" "$f_copied"
row "doveadm backup ×$people" "$d_wall" "$d_rss" "$d_peak" "$d_copied"
[ "$d_failed" -gt 0 ] && echo "($d_failed doveadm processes failed: see $work/doveadm-*.log)"
if command -v imapsync >/dev/null; then
  peak_reset
  start=$(now)
  for n in $names; do
    /usr/bin/time -v -o "$work/imapsync-$n.time" imapsync --host1 127.0.0.1 --port1 "$watch_port" \
      --user1 "$n*admin" --password1 admin-pass --tls1 --sslargs1 "SSL_ca_file=$old_ca" \
      --host2 127.0.0.1 --port2 "$new_port" --user2 "s$n*admin" --password2 admin-pass --tls2 \
      --sslargs2 "SSL_ca_file=$new_ca" --nolog --noreleasecheck >"$work/imapsync-$n.log" 2>&1 &
  done
  wait_all
  s_wall=$(awk -v s="$start" -v n="$(now)" 'BEGIN {print n - s}')
  s_rss=$(for n in $names; do rss_of "$work/imapsync-$n.time"; done | awk '{s+=$1} END {print s}')
  row "imapsync ×$people" "$s_wall" "$s_rss" "$(peak_seen)" "$(copied s)"
else
  echo "(imapsync is not installed here: it would be a third row)"
fi
echo "(×F: the tool's figure over Fountain's; conns: the most connections the old server saw at once)"
echo "logs: $work" >&2
