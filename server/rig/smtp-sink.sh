#!/usr/bin/env bash
# Runs a real SMTP sink (maildev) whose HTTP API (GET /email) and web UI show what Fountain sent.
#
#   smtp-sink.sh DIR SMTP_PORT WEB_PORT     (runs in the foreground; stop it with SIGTERM)
set -euo pipefail
dir=${1:?DIR}; smtp=${2:?SMTP_PORT}; web=${3:?WEB_PORT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$dir/mail"
exec "$here/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp "$smtp" --web "$web" --mail-directory "$dir/mail" --silent
