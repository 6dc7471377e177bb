#!/usr/bin/env bash
# Benchmark: the portal under load. PEOPLE people (default 10) sign in through the rig's OpenID provider,
# connect their old mailboxes and start their moves, which the portal's own workers copy (old and new
# Dovecot over STARTTLS, the old server's rate capped so the copies last); meanwhile CLIENTS connections
# (default 500, half and half) poll a person's status (`POST /api/my_migration`) and the helpdesk's queue
# (`POST /api/helpdesk_triage`) with wrk for SECONDS (default 20), twice: each connection polling about as
# the pages do (every ~2 s; the helpdesk's every ~3 s, more often than its page's 5 s, since wrk delays a
# connection's first request too, and the portal answers a new connection that sends nothing for 5 s with
# 408, as a page never makes it), then as fast as it can (the most the portal answers). Prints requests/s, p50/p99 latency and errors per endpoint, and the copies running.
#
#   bash server/bench/portal-load.sh [CLIENTS] [SECONDS] [PEOPLE]
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" load
clients=${1:-500}; seconds=${2:-20}; people=${3:-10}
port=$((old_port + 4)); idp_port=$((old_port + 5))
url="http://127.0.0.1:$port"

names=$(seq -f "p%02g" 1 "$people")
python3 - "$work" $names <<'PY'
import json, sys
work, names = sys.argv[1], sys.argv[2:]
users = [{"username": n, "password": f"{n}-pass", "email": f"{n}@example.org", "name": n, "groups": ["staff"]}
         for n in names]
users.append({"username": "hd", "password": "hd-pass", "email": "hd@example.org", "name": "Helpdesk",
              "groups": ["staff", "helpdesk"]})
json.dump(users, open(f"{work}/users.json", "w"))
with open(f"{work}/old-users", "w") as old, open(f"{work}/new-users", "w") as new:
    for n in names:
        old.write(f"{n}:{n}-old\n")
        new.write(f"{n}@example.org:x\n")
PY
start_servers "$work/old-users" "$work/new-users"
mkdir -p "$work/mbox"
python3 "$here/make-mbox.py" "$work/mbox/inbox" --mb 20 --id-prefix load >/dev/null
# shellcheck disable=SC2086 # one argument per name
import_mbox "$work/mbox/inbox" $names
node "$rig/idp.mjs" --users "$work/users.json" --client-id fountain --client-secret bench \
  --redirect-uri "$url/auth/callback" --port "$idp_port" >"$work/idp.out" 2>"$work/idp.log" &
bench_pids+=($!)
for _ in $(seq 100); do grep -q issuer "$work/idp.out" 2>/dev/null && break; sleep 0.1; done
head -c 32 /dev/urandom | base64 >"$work/secrets.key"
cat >"$work/fountain.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
public_url = "$url"
site_root = "$FOUNTAIN_ROOT/target/site"
[database]
url = "sqlite://$work/fountain.db?mode=rwc"
[auth]
issuer = "http://127.0.0.1:$idp_port"
client_id = "fountain"
client_secret = "bench"
scopes = ["email", "profile", "groups"]
allowed_domains = ["example.org"]
[auth.roles]
claim = "groups"
user_group = "staff"
helpdesk_group = "helpdesk"
it_group = "it"
[migration]
secrets_key_file = "$work/secrets.key"
concurrent_requests = $people
parallel_folders = 1
max_connections_per_server = $((people + 2))
[migration.old_server]
url = "imap://127.0.0.1:$old_port"
auth = "password"
login = "{localpart}"
ca_file = "$old_ca"
# A slow old server: the copies go on while the portal is under load.
max_mb_per_sec = 1
[migration.new_server]
url = "imap://127.0.0.1:$new_port"
auth = "master"
admin = "admin"
admin_password = "admin-pass"
login = "{email}"
ca_file = "$new_ca"
TOML
RUST_LOG=warn "$fountain" --config "$work/fountain.toml" serve >"$work/portal.log" 2>&1 &
bench_pids+=($!)
for _ in $(seq 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

echo "signing in $people people and starting their moves..." >&2
RIG="$rig" python3 - "$url" "$work" $names <<'PY'
import os, sys
sys.path.insert(0, os.environ["RIG"])
from demo_flow import Person
url, work, names = sys.argv[1], sys.argv[2], sys.argv[3:]
for n in names:
    p = Person(url)
    p.sign_in(n, f"{n}-pass")
    p.start(p.connect_and_scan(n, f"{n}-old"))
    person = p
hd = Person(url)
hd.sign_in("hd", "hd-pass")
hd.call("helpdesk_triage")
open(f"{work}/person.cookie", "w").write(person.cookie_header())
open(f"{work}/helpdesk.cookie", "w").write(hd.cookie_header())
PY
copying() { sqlite3 "$work/fountain.db" "SELECT COUNT(*) FROM migration_requests WHERE state = 'copying'"; }
for _ in $(seq 100); do [ "$(copying)" -ge "$people" ] && break; sleep 0.2; done

load() { # name, api function, cookie file, pause between a connection's requests (ms; 0: none)
  cat >"$work/$1.lua" <<LUA
-- Spread over half to one and a half times the interval, so the pages do not poll in lockstep.
function delay() if $4 == 0 then return 0 end return math.random($4 / 2, $4 * 3 / 2) end
wrk.method = "POST"
wrk.body = ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$(cat "$3")"
LUA
  wrk -t 1 -c $((clients / 2)) -d "${seconds}s" --latency -s "$work/$1.lua" "$url/api/$2" >"$work/$1.wrk" 2>&1
}
both() { # suffix, status page pause, helpdesk pause
  load "status$1" my_migration "$work/person.cookie" "$2" &
  local other=$!
  load "helpdesk$1" helpdesk_triage "$work/helpdesk.cookie" "$3"
  wait "$other"
}
at_start=$(copying)
both -paced 2000 3000
both -flat 0 0
at_end=$(copying)

row() { # name, wrk output
  awk -v t="$1" '
    /Requests\/sec/ {rps = $2}
    $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2}
    /requests in/ {total = $1}
    /Non-2xx/ {bad += $NF}
    /Socket errors/ {gsub(",", ""); bad += $4 + $6 + $8 + $10}
    END {printf "| %-37s | %10s | %8s | %8s | %8s | %6d |\n", t, rps, total, p50, p99, bad}' "$2"
}
echo
echo "$clients connections, ${seconds} s each way, while $at_start copies ran ($at_end still at the end), 2 cores:"
echo "| endpoint                              | requests/s | requests |      p50 |      p99 | errors |"
echo "|---------------------------------------|------------|----------|----------|----------|--------|"
row "status, polled every ~2 s" "$work/status-paced.wrk"
row "helpdesk queue, polled every ~3 s" "$work/helpdesk-paced.wrk"
row "status, as fast as it answers" "$work/status-flat.wrk"
row "helpdesk queue, as fast as it answers" "$work/helpdesk-flat.wrk"
echo "(errors: answers other than 2xx, and connections that failed or timed out)"
echo "logs: $work" >&2
