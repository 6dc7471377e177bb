#!/usr/bin/env bash
# Starts a private Dovecot instance for Fountain's demo and tests, bound to 127.0.0.1, all state under DIR.
#
#   dovecot.sh start old|new DIR PORT USERS_FILE [MASTER_USER MASTER_PASSWORD]
#   dovecot.sh stop DIR
#
# old: a Cyrus-2.x-like layout (namespace prefix "INBOX.", separator "."), like the seed's aging server.
# new: a modern layout (no prefix, "/" separator, SPECIAL-USE folders) with an optional master user
#      (log in as "user*MASTER" with the master password), like the destination.
# USERS_FILE has one "name:password" a line.
set -euo pipefail

cmd=${1:?usage: dovecot.sh start old|new DIR PORT USERS_FILE [MASTER PASSWORD] | stop DIR}
case "$cmd" in
  stop)
    dir=${2:?DIR}
    [ -f "$dir/dovecot.conf" ] && doveadm -c "$dir/dovecot.conf" stop 2>/dev/null || true
    exit 0 ;;
  start) ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

layout=${2:?layout old|new}; dir=${3:?DIR}; port=${4:?PORT}; users=${5:?USERS_FILE}
master=${6:-}; master_pw=${7:-}
mkdir -p "$dir"/{run,state,home}
dir=$(cd "$dir" && pwd)
# Mail is owned by nobody (65534): the dirs it lives in must be reachable.
chmod 755 "$dir"; chown 65534:65534 "$dir/home"

: >"$dir/passwd"
while IFS=: read -r name pw; do
  [ -n "$name" ] && printf '%s:{PLAIN}%s::::::\n' "$name" "$pw" >>"$dir/passwd"
done <"$users"

# Dovecot's auth and login processes run unprivileged: every parent of DIR must be traversable.
if ! su -s /bin/sh dovecot -c "test -r '$dir/passwd'" 2>/dev/null; then
  echo "dovecot.sh: $dir is not reachable by the unprivileged dovecot user (a parent directory is private?)" >&2
  exit 1
fi

if [ "$layout" = old ]; then
  namespace='namespace inbox {
  inbox = yes
  prefix = INBOX.
  separator = .
}'
else
  namespace='namespace inbox {
  inbox = yes
  prefix =
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
}'
fi

# DOVECOT_MAX_MAIL_SIZE (e.g. 20k) makes the server refuse larger messages, like a destination's limits.
limits_conf=""
if [ -n "${DOVECOT_MAX_MAIL_SIZE:-}" ]; then
  limits_conf="mail_plugins = \$mail_plugins quota
plugin {
  quota = maildir:User quota
  quota_max_mail_size = $DOVECOT_MAX_MAIL_SIZE
}"
fi

# DOVECOT_PROCESS_LIMIT=N lets at most N IMAP sessions run at once (an aging server that takes no more).
process_conf=""
if [ -n "${DOVECOT_PROCESS_LIMIT:-}" ]; then
  process_conf="service imap {
  process_limit = $DOVECOT_PROCESS_LIMIT
}"
fi

# DOVECOT_IMAPS_PORT=N turns TLS on: STARTTLS on PORT and implicit TLS on N, with a certificate for
# localhost/127.0.0.1 signed by a private CA written to DIR/tls/ca.pem (the file clients must trust).
# With DOVECOT_SELF_SIGNED=1 the certificate is self-signed instead (CA:TRUE), and ca.pem is itself.
ssl_conf="ssl = no"
imaps_port=0
if [ -n "${DOVECOT_IMAPS_PORT:-}" ]; then
  imaps_port=$DOVECOT_IMAPS_PORT
  tls="$dir/tls"; mkdir -p "$tls"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  if [ -n "${DOVECOT_SELF_SIGNED:-}" ] && [ ! -f "$tls/cert.pem" ]; then
    # The usual way an aging server got its certificate: self-signed by `openssl req -x509`, which
    # marks it CA:TRUE. Clients can only pin it (it is its own CA file).
    openssl req -x509 "${ec[@]}" -days 30 -subj "/CN=localhost" \
      -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
    cp "$tls/cert.pem" "$tls/ca.pem"
  fi
  if [ ! -f "$tls/cert.pem" ]; then
    openssl req -x509 "${ec[@]}" -days 30 -subj "/CN=Fountain rig CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req "${ec[@]}" -subj "/CN=localhost" -keyout "$tls/key.pem" -out "$tls/cert.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
      >"$tls/ext.cnf"
    openssl x509 -req -in "$tls/cert.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
      -days 30 -extfile "$tls/ext.cnf" -out "$tls/cert.pem" 2>/dev/null
  fi
  ssl_conf="ssl = yes
ssl_cert = <$tls/cert.pem
ssl_key = <$tls/key.pem"
fi

master_conf=""
if [ -n "$master" ]; then
  printf '%s:{PLAIN}%s::::::\n' "$master" "$master_pw" >"$dir/masters"
  master_conf="auth_master_user_separator = *
passdb {
  driver = passwd-file
  master = yes
  args = scheme=PLAIN $dir/masters
  result_success = continue
}"
fi

# DOVECOT_OAUTH2_URL=URL (an OpenID provider's userinfo endpoint, e.g. rig/idp.mjs's /me) also accepts
# AUTHENTICATE XOAUTH2 / OAUTHBEARER with a bearer access token: Dovecot sends the token to URL and takes the
# login name from the answer's preferred_username (it must equal the user the client names, and that user must
# still be in USERS_FILE: the userdb stays the passwd file). Password logins are unchanged.
mechanisms="plain login"
oauth2_conf=""
if [ -n "${DOVECOT_OAUTH2_URL:-}" ]; then
  mechanisms="plain login xoauth2 oauthbearer"
  # Asked as Dovecot's "tokeninfo" URL, not its "introspection" one: 2.3 takes an introspection answer of 401
  # for a temporary failure (NO [UNAVAILABLE]), a tokeninfo 401 for a wrong token (NO [AUTHENTICATIONFAILED]).
  # Dovecot appends the token to tokeninfo_url, and oidc-provider refuses a token in ?access_token=, so it goes
  # in a parameter the IdP ignores; introspection_mode = auth is what makes Dovecot also send it as
  # "Authorization: Bearer", which is what the IdP reads.
  case "$DOVECOT_OAUTH2_URL" in *\?*) sep='&' ;; *) sep='?' ;; esac
  cat >"$dir/dovecot-oauth2.conf.ext" <<EXT
tokeninfo_url = ${DOVECOT_OAUTH2_URL}${sep}dovecot_token=
introspection_mode = auth
username_attribute = preferred_username
# A login waits at most 10 s for the IdP.
timeout_msecs = 10000
EXT
  chmod 644 "$dir/dovecot-oauth2.conf.ext"
  # Only for the token mechanisms (so it never sees a password), and a refused token is final: otherwise
  # Dovecot would go on to the passwd file and accept a "token" equal to the user's password.
  oauth2_conf="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
  result_failure = return-fail
  result_internalfail = return-fail
}"
fi

# DOVECOT_OAUTH2_APP_URL=URL (an OAuth2 introspection endpoint, with the introspecting client's id and
# secret in it: http://ID:SECRET@host/token/introspection) lets a service log in to any mailbox with an
# app-only bearer token of that client (client credentials), as Exchange Online's IMAP.AccessAsApp does:
# AUTHENTICATE XOAUTH2 as "user*ID" (the master separator) with the token. Dovecot asks URL about every
# token and takes it only while active and issued to ID. Needs a master user (the separator).
if [ -n "${DOVECOT_OAUTH2_APP_URL:-}" ]; then
  mechanisms="plain login xoauth2 oauthbearer"
  cat >"$dir/dovecot-oauth2-app.conf.ext" <<EXT
introspection_url = ${DOVECOT_OAUTH2_APP_URL}
introspection_mode = post
force_introspection = yes
username_attribute = client_id
active_attribute = active
active_value = true
timeout_msecs = 10000
EXT
  chmod 644 "$dir/dovecot-oauth2-app.conf.ext"
  master_conf="$master_conf
passdb {
  driver = oauth2
  master = yes
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2-app.conf.ext
  result_success = continue
  result_failure = return-fail
  result_internalfail = return-fail
}"
fi

cat >"$dir/dovecot.conf" <<CONF
instance_name = fountain-$(basename "$dir")-$port
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
listen = 127.0.0.1
protocols = imap
$ssl_conf
disable_plaintext_auth = no
auth_mechanisms = $mechanisms
mail_location = maildir:~/Maildir
mail_max_userip_connections = 64
default_login_user = dovenull
default_internal_user = dovecot
mail_plugins = \$mail_plugins
$limits_conf
protocol imap {
  mail_plugins = \$mail_plugins imap_zlib
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
  }
}
service anvil {
  chroot =
}
$process_conf
$master_conf
$oauth2_conf
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/passwd
}
userdb {
  driver = passwd-file
  args = $dir/passwd
  default_fields = uid=65534 gid=65534 home=$dir/home/%u
}
$namespace
CONF

# Its daemons must not hold our caller's stdout/stderr open (a caller waiting for EOF would hang).
if ! dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/startup.log" 2>&1; then
  cat "$dir/startup.log" >&2; exit 1
fi
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "ready imap://127.0.0.1:$port"; exit 0; fi
  sleep 0.1
done
echo "dovecot did not start; its log:" >&2; cat "$dir/dovecot.log" >&2; exit 1
