#!/usr/bin/env bash
# Starts a private Cyrus IMAP 3.6 (the seed's old-server family) for Fountain's tests and demo, bound to
# 127.0.0.1, all state under DIR. Cyrus' imapd is unpacked by .ci/setup beside Dovecot (the packages conflict).
#
#   cyrus.sh start DIR PORT USERS_FILE      USERS_FILE: one "name:password" a line; admin is "cyradmin"
#   cyrus.sh stop DIR
#
# Layout: "INBOX." prefix, "." separator; with CYRUS_UNIXHIERARCHYSEP=yes, "INBOX/" and "/" (then user
# names may hold dots, as logins made from email addresses do). The admin "cyradmin" (password in DIR/admin-password) may log in
# as any user with SASL PLAIN authzid=USER (admin proxy).
set -euo pipefail
cmd=${1:?usage: cyrus.sh start DIR PORT USERS_FILE | stop DIR}
case "$cmd" in
  stop)
    dir=${2:?DIR}
    if [ -f "$dir/master.pid" ]; then kill "$(cat "$dir/master.pid")" 2>/dev/null || true; fi
    exit 0 ;;
  start) ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
dir=${2:?DIR}; port=${3:?PORT}; users=${4:?USERS_FILE}
imapd="${FOUNTAIN_CACHE:-/var/cache/fountain}/cyrus/usr/lib/cyrus/bin/imapd"
[ -x "$imapd" ] || { echo "Cyrus imapd is not unpacked at $imapd: run .ci/setup" >&2; exit 1; }
bin=/usr/lib/cyrus/bin
mkdir -p "$dir"/{lib,spool,socket,run,lock,proc}
dir=$(cd "$dir" && pwd)
admin_pw=${CYRUS_ADMIN_PASSWORD:-cyradmin-pass}
unixsep=${CYRUS_UNIXHIERARCHYSEP:-no}
case "$unixsep" in yes) sep=/ ;; no) sep=. ;; *) echo "CYRUS_UNIXHIERARCHYSEP must be yes or no" >&2; exit 2 ;; esac
echo "$admin_pw" >"$dir/admin-password"

cat >"$dir/imapd.conf" <<CONF
configdirectory: $dir/lib
partition-default: $dir/spool
servername: fountain-cyrus
admins: cyradmin
proxyservers: cyradmin
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $dir/sasldb2
sasl_mech_list: PLAIN LOGIN
unixhierarchysep: $unixsep
altnamespace: no
virtdomains: off
lmtpsocket: $dir/socket/lmtp
idlesocket: $dir/socket/idle
notifysocket: $dir/socket/notify
mboxname_lockpath: $dir/lock
proc_path: $dir/proc
syslog_prefix: fountain-cyrus-$port
# Keep 8-bit header bytes as they are (the default replaces them with X).
munge8bit: no
reject8bit: no
CONF

cat >"$dir/cyrus.conf" <<CONF
START {
  recover cmd="$bin/ctl_cyrusdb -C $dir/imapd.conf -r"
}
SERVICES {
  imap cmd="$imapd -C $dir/imapd.conf" listen="127.0.0.1:$port" prefork=1
}
EVENTS {
}
CONF


chmod 755 "$dir"; chown -R cyrus:mail "$dir"; rm -f "$dir/sasldb2"
echo "$admin_pw" | saslpasswd2 -p -c -f "$dir/sasldb2" -u fountain-cyrus cyradmin
while IFS=: read -r name pw; do
  [ -n "$name" ] && echo "$pw" | saslpasswd2 -p -c -f "$dir/sasldb2" -u fountain-cyrus "$name"
done <"$users"
chown cyrus:mail "$dir/sasldb2"; chmod 640 "$dir/sasldb2"

"$bin/master" -C "$dir/imapd.conf" -M "$dir/cyrus.conf" -p "$dir/master.pid" -d </dev/null >>"$dir/startup.log" 2>&1
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || {
  echo "Cyrus did not start (it logs only to syslog); startup output:" >&2; cat "$dir/startup.log" >&2; exit 1; }

# Each user needs a mailbox, created by the admin.
python3 - "$port" "$admin_pw" "$users" "$sep" <<'PY'
import imaplib, sys
port, pw, users, sep = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
imap = imaplib.IMAP4("127.0.0.1", port)
imap.login("cyradmin", pw)
for line in open(users):
    name = line.strip().split(":")[0]
    if name:
        typ, data = imap.create(f"user{sep}{name}")
        if typ != "OK" and b"exists" not in b" ".join(data).lower():
            sys.exit(f"cannot create user{sep}{name}: {data}")
imap.logout()
PY
echo "ready imap://127.0.0.1:$port"
