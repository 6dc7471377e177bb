#!/usr/bin/env bash
# Benchmark: many people at once. PEOPLE mailboxes (default 50) of ~MB each (default 5) copied from an
# old Dovecot to a new one by Fountain's own machinery — an IT-run wave started from the command line,
# copied by one `fountain worker` (pre-flight scans included) within the servers' connection cap —
# against PEOPLE `doveadm backup -R` processes started all at once (one per mailbox, imapc over
# STARTTLS), and imapsync likewise when installed. TLS on both sides, every tool verifying the CA.
# Prints aggregate throughput, wall time, total peak RSS (the sum of the processes' peaks), the most
# connections the old server saw at once, requests or processes that failed, and the ratios to Fountain.
#
#   bash server/bench/many-people.sh [PEOPLE] [MB_EACH]
#
# Environment: CAP (Fountain's max_connections_per_server, default 16), CONCURRENT (its
# concurrent_requests, default CAP/2), PEERS_AT_ONCE (peer processes at once, default all),
# PROCESS_LIMIT (the old Dovecot runs at most that many IMAP sessions: logins beyond it hang 10 s, then
# drop), LINK_MBIT / LINK_RTT_MS (the old server behind an emulated link, see link-proxy.py).
# The ceiling case of the README:
#   PROCESS_LIMIT=2 CAP=8 CONCURRENT=8 PEERS_AT_ONCE=8 LINK_MBIT=40 bash server/bench/many-people.sh 20 40
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" many
people=${1:-50}; mb_each=${2:-5}; cap=${CAP:-16}; concurrent=${CONCURRENT:-$((cap / 2))}
at_once=${PEERS_AT_ONCE:-$people}
watch_port=$((old_port + 4)); metrics_port=$((old_port + 5))

names=$(seq -f "p%02g" 1 "$people")
for n in $names; do printf '%s:x\n' "$n"; done >"$work/old-users"
for n in $names; do printf '%s:x\nd%s:x\ns%s:x\n' "$n" "$n" "$n"; done >"$work/new-users"
OLD_PROCESS_LIMIT=${PROCESS_LIMIT:-} start_servers "$work/old-users" "$work/new-users" admin

echo "generating $people mailboxes of ~$mb_each MB on the old server..." >&2
# Messages of 50,000 bytes on average (48.828125 KiB), as the README's figures were measured with.
mkdir -p "$work/mbox"
read -r per_msgs per_bytes < <(python3 "$here/make-mbox.py" "$work/mbox/inbox" --mb "$mb_each" --avg-kb 48.828125 --seed 7 --id-prefix many)
# shellcheck disable=SC2086 # one argument per name
import_mbox "$work/mbox/inbox" $names
total_msgs=$((per_msgs * people)); total_bytes=$((per_bytes * people))
echo "source: $people × $per_msgs messages = $((total_bytes / 1000000)) MB" >&2

# The old server behind a counting proxy: the most connections it sees at once, per tool.
start_link "$watch_port" --mbit "${LINK_MBIT:-0}" --rtt-ms "${LINK_RTT_MS:-0}"
# STARTTLS through the proxy: the certificate still names 127.0.0.1.

# --- Fountain: an IT-run wave, one worker process.
cat >"$work/fountain.toml" <<TOML
[server]
worker_listen = "127.0.0.1:$metrics_port"
[database]
url = "sqlite://$work/fountain.db?mode=rwc"
[auth]
issuer = "http://127.0.0.1:9"
client_id = "bench"
client_secret = "bench"
allowed_domains = ["example.org"]
[migration]
workers_in_portal = false
concurrent_requests = $concurrent
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
link_reset
start=$(now)
f waves start bench --by bench >/dev/null
RUST_LOG=warn /usr/bin/time -v -o "$work/fountain.time" "$fountain" --config "$work/fountain.toml" worker 2>"$work/fountain.err" &
worker_pid=$!
ended_count() { sqlite3 "$work/fountain.db" "SELECT COUNT(*) FROM migration_requests WHERE state IN ('done', 'failed', 'needs_attention', 'cancelled')"; }
until [ "$(ended_count)" -ge "$people" ]; do
  sleep 0.2
  if ! kill -0 "$worker_pid" 2>/dev/null; then echo "the worker stopped: $(tail -5 "$work/fountain.err")" >&2; exit 1; fi
  if awk -v s="$start" -v n="$(now)" 'BEGIN {exit !(n - s > 3600)}'; then echo "fountain: not done within an hour" >&2; exit 1; fi
done
f_wall=$(since "$start")
f_peak=$(link_stat peak)
f_failed=$(sqlite3 "$work/fountain.db" "SELECT COUNT(*) FROM migration_requests WHERE state <> 'done'")
curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/fountain.metrics" || true
metric() { awk -v k="$1" 'index($0, k) == 1 {s += $NF} END {print s + 0}' "$work/fountain.metrics"; }
# The worker's own time -v is written when it exits: stop it the way systemd does.
pkill -TERM -P "$worker_pid" || true
wait "$worker_pid" 2>/dev/null || true
f_rss=$(rss_of "$work/fountain.time")

copied() { local s=0; for n in $names; do s=$((s + $(messages_of "$1$n"))); done; echo "$s"; }
f_copied=$(copied "")

# Peer processes, PEERS_AT_ONCE at a time; each one's exit code in $work/TOOL-NAME.rc.
run_peer() { # tool name, then the command
  local tool=$1 n=$2; shift 2
  { rc=0; /usr/bin/time -v -o "$work/$tool-$n.time" "$@" >"$work/$tool-$n.log" 2>&1 || rc=$?; echo "$rc" >"$work/$tool-$n.rc"; } &
  while [ "$(jobs -rp | grep -vcx "$link_pid")" -ge "$at_once" ]; do sleep 0.05; done
}
wait_all() { for pid in $(jobs -p); do [ "$pid" = "$link_pid" ] || wait "$pid" || true; done; }
failed_of() { cat "$work/$1"-*.rc | grep -vcx 0 || true; }

# --- doveadm backup: one process per mailbox.
link_reset
start=$(now)
for n in $names; do
  run_peer doveadm "$n" doveadm -c "$work/new/dovecot.conf" \
    -o imapc_host=127.0.0.1 -o imapc_port="$watch_port" -o imapc_ssl=starttls -o imapc_ssl_verify=yes \
    -o ssl_client_ca_file="$old_ca" -o imapc_user="$n*admin" \
    -o imapc_password=admin-pass -o imapc_features="rfc822.size fetch-headers" \
    -o mail_prefetch_count=20 backup -R -u "d$n" imapc:
done
wait_all
d_failed=$(failed_of doveadm)
d_wall=$(since "$start")
d_peak=$(link_stat peak)
d_rss=$(for n in $names; do rss_of "$work/doveadm-$n.time"; done | awk '{s+=$1} END {print s}')
d_copied=$(copied d)

row() { # tool wall rss peak copied failed
  awk -v t="$1" -v w="$2" -v r="$3" -v p="$4" -v c="$5" -v x="$6" -v m="$total_msgs" -v b="$total_bytes" -v fw="$f_wall" -v fr="$f_rss" 'BEGIN {
    printf "| %-30s | %8.1f s | %6.1f | %9.1f MB | %5d | %7d/%d | %6d | %5.2f | %5.2f |\n", t, w, (w>0? b/1e6/w : 0), r/1024, p, c, m, x, (fw>0? w/fw : 0), (fr>0? r/fr : 0) }'
}
peers="×$people"; [ "$at_once" -lt "$people" ] && peers="×$people, $at_once at once"
echo
echo "$people mailboxes of ~$mb_each MB ($((total_bytes / 1000000)) MB, $total_msgs messages), TLS on both sides${PROCESS_LIMIT:+; the old server runs at most $PROCESS_LIMIT sessions}${LINK_MBIT:+; behind a $LINK_MBIT Mbit/s link}:"
echo "| tool                           |       wall |   MB/s | total peak RSS | conns | copied        | failed | wall ×F | RSS ×F |"
echo "|--------------------------------|------------|--------|----------------|-------|---------------|--------|---------|--------|"
row "fountain (1 worker, cap $cap)" "$f_wall" "$f_rss" "$f_peak" "$f_copied" "$f_failed"
row "doveadm backup $peers" "$d_wall" "$d_rss" "$d_peak" "$d_copied" "$d_failed"
if command -v imapsync >/dev/null; then
  link_reset
  start=$(now)
  for n in $names; do
    run_peer imapsync "$n" imapsync --host1 127.0.0.1 --port1 "$watch_port" \
      --user1 "$n*admin" --password1 admin-pass --tls1 --sslargs1 "SSL_ca_file=$old_ca" \
      --host2 127.0.0.1 --port2 "$new_port" --user2 "s$n*admin" --password2 admin-pass --tls2 \
      --sslargs2 "SSL_ca_file=$new_ca" --nolog --noreleasecheck
  done
  wait_all
  s_wall=$(since "$start")
  s_rss=$(for n in $names; do rss_of "$work/imapsync-$n.time"; done | awk '{s+=$1} END {print s}')
  row "imapsync $peers" "$s_wall" "$s_rss" "$(link_stat peak)" "$(copied s)" "$(failed_of imapsync)"
else
  echo "(imapsync is not installed here: it would be a third row)"
fi
echo "(×F: the tool's figure over Fountain's; conns: the most connections the old server saw at once;"
echo " failed: Fountain's requests not done, the peer's processes that exited with an error)"
echo "fountain's worker at the end: connection ceiling learned on the old server $(metric 'fountain_server_connection_ceiling{server="old"}') (0: none), adaptive limit $(metric 'fountain_server_adaptive_limit{server="old"}'), IMAP errors with it $(metric 'fountain_imap_errors_total{server="old"')"
echo "logs: $work" >&2
