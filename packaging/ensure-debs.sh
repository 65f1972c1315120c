#!/usr/bin/env bash
# Install the Debian packages given as arguments if any is missing.
# As root: apt-get update (once) and install. Otherwise: print the exact command and fail.
set -euo pipefail
command -v dpkg >/dev/null 2>&1 || { echo "ensure-debs: not a Debian/Ubuntu system; install the equivalents of: $*" >&2; exit 0; }
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -eq 0 ]]; then
  echo "ensure-debs: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "ensure-debs: missing system packages. Run this, then try again:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
