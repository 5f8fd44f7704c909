#!/usr/bin/env bash
# Install the Debian packages ForceWatch's tests and PDF/browser features use, when missing.
# Runs apt-get only as root (CI); otherwise prints what to install and carries on.
set -euo pipefail
pkgs=(chromium postgresql postgresql-15-postgis-3 libgl1)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: missing Debian packages (${missing[*]}); install them as root for the browser and" \
       "PostgreSQL tests (they skip without them)" >&2
fi
