#!/usr/bin/env bash
# The package's code must run on every Node.js n8n 1.x and 2.x run on (20, 22, 24): the unit
# tests run once more on 22 and 24 (npm test already ran them on this machine's Node).
set -euo pipefail
cd "$(dirname "$0")/.."
for major in 22 24; do
	node_bin=$(bash scripts/install-n8n.sh node-bin "$major")
	echo "Unit tests on Node $("$node_bin" --version)"
	"$node_bin" node_modules/jest/bin/jest.js --silent
done
