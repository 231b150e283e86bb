#!/usr/bin/env bash
# Installs the system packages the end-to-end tests need when they are
# missing. Exits 0 when everything is present, 2 when it cannot install
# (not root) so that the caller can say the e2e tests are skipped.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have ovs-vswitchd || need+=(openvswitch-switch)
have ovs-ofctl || need+=(openvswitch-common)
have ip || need+=(iproute2)
have ping || need+=(iputils-ping)
have ethtool || need+=(ethtool)
have iperf3 || need+=(iperf3)
have nft || need+=(nftables)
have prometheus && have promtool || need+=(prometheus)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${need[*]} and not root: cannot install" >&2
  exit 2
fi
echo "deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
