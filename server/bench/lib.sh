# Shared by the benchmark scripts, which source it first: one way to set up the run (the environment, a
# work directory, the release binary, the old and new Dovecot with TLS) and to measure a tool.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" NAME     (work directory /tmp/fountain-NAME.XXXXXX)
#
# Sets here, rig, work, fountain, old_port, new_port, old_imaps, new_imaps; old_port + 4 and up are free
# for the script's own listeners. Processes added to bench_pids are stopped on exit, with the servers.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../.ci/env"
rig="$FOUNTAIN_ROOT/server/rig"
work=$(mktemp -d "/tmp/fountain-$1.XXXXXX"); chmod 755 "$work"
old_port=$((20000 + RANDOM % 10000)); new_port=$((old_port + 1))
old_imaps=$((old_port + 2)); new_imaps=$((old_port + 3))

cargo build -q --release -p server --bin fountain
fountain="$CARGO_TARGET_DIR/release/fountain"

bench_pids=()
bench_cleanup() {
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$rig/dovecot.sh" stop "$work/old" || true; "$rig/dovecot.sh" stop "$work/new" || true
}
trap bench_cleanup EXIT

# start_servers OLD_USERS NEW_USERS [OLD_ADMIN]: the old Dovecot (with the admin as master user if
# OLD_ADMIN is "admin"; at most OLD_PROCESS_LIMIT sessions if set) and the new one (admin always), each
# speaking STARTTLS with a CA of its own: sets old_ca and new_ca.
start_servers() {
  local old_admin=()
  [ "${3:-}" = admin ] && old_admin=(admin admin-pass)
  DOVECOT_PROCESS_LIMIT=${OLD_PROCESS_LIMIT:-} DOVECOT_IMAPS_PORT=$old_imaps \
    "$rig/dovecot.sh" start old "$work/old" "$old_port" "$1" "${old_admin[@]}" >/dev/null
  DOVECOT_IMAPS_PORT=$new_imaps "$rig/dovecot.sh" start new "$work/new" "$new_port" "$2" admin admin-pass >/dev/null
  old_ca="$work/old/tls/ca.pem"; new_ca="$work/new/tls/ca.pem"
}

# import_mbox MBOX USER...: the mbox file's messages into each user's INBOX on the old server.
import_mbox() {
  local mbox=$1; shift
  # Mail is owned by nobody (65534) on the rig: the import reads (and locks) as that user.
  chown -R 65534:65534 "$(dirname "$mbox")"
  for user in "$@"; do
    doveadm -c "$work/old/dovecot.conf" import -u "$user" mbox:"$(dirname "$mbox")":INBOX="$mbox" "" all
  done
}

# messages_of USER: how many messages USER has on the new server, all folders.
messages_of() {
  doveadm -c "$work/new/dovecot.conf" -f flow mailbox status -u "$1" messages '*' |
    awk -F'messages=' '{s+=$2} END {print s+0}'
}

# wall_of / rss_of TIME_FILE: elapsed seconds and peak RSS (KB) from `/usr/bin/time -v`'s report.
wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
rss_of() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

# measure NAME COMMAND...: runs it (output in $work/NAME.out and .err); prints "wall_s rss_kb".
measure() {
  local name=$1; shift
  sync
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || true
  echo "$(wall_of "$work/$name.time") $(rss_of "$work/$name.time")"
}

# start_link PORT [link-proxy.py options]: the old server behind server/bench/link-proxy.py on PORT,
# counting (and with --mbit/--rtt-ms, emulating a link); link_reset zeroes its counts, link_stat KEY reads one.
start_link() {
  local port=$1; shift
  python3 "$here/link-proxy.py" "$port" "$old_port" "$work/link.json" "$@" >"$work/link.log" 2>&1 &
  bench_pids+=($!); link_pid=$!
  for _ in $(seq 50); do grep -q ready "$work/link.log" 2>/dev/null && break; sleep 0.1; done
}
link_reset() { kill -USR1 "$link_pid"; sleep 0.3; }
link_stat() { sleep 0.3; python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/link.json" "$1"; }

now() { date +%s.%N; }
since() { awk -v s="$1" -v n="$(now)" 'BEGIN {print n - s}'; }
