'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { REPO_DIR } = require('./runtimes');

function run(command, args, cwd) {
	return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Builds the package and packs it as npm would publish it; returns the tarball's path. */
function packPackage(outDir, { build = true } = {}) {
	fs.mkdirSync(outDir, { recursive: true });
	if (build) {
		try {
			run('npm', ['run', 'build'], REPO_DIR);
		} catch (error) {
			throw new Error(`npm run build failed:\n${error.stdout}${error.stderr}`);
		}
	}
	const out = run('npm', ['pack', '--json', '--pack-destination', outDir], REPO_DIR);
	// Lifecycle scripts may print before npm's JSON report.
	const [report] = JSON.parse(out.slice(out.indexOf('[')));
	return path.join(outDir, report.filename);
}

/** The same npm flags n8n's community-package installer passes (1.123 and 2.41 alike). */
const N8N_INSTALLER_NPM_ARGS = [
	'install',
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

/**
 * Installs a packed tarball into <userFolder>/.n8n/nodes the way n8n's "Install community
 * node" does: unpack into node_modules/<name>, drop dev/peer/optional dependencies (so
 * n8n-workflow resolves to n8n's own copy), npm install there, and record the dependency in the
 * folder's package.json. A plain `npm install <tgz>` would also install the n8n-workflow peer.
 */
function installCommunityPackage(userFolder, tarball) {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	fs.mkdirSync(nodesDir, { recursive: true });
	const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], nodesDir));
	const packageDir = path.join(nodesDir, 'node_modules', manifest.name);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1'], nodesDir);
	const kept = { ...manifest };
	for (const field of ['devDependencies', 'peerDependencies', 'optionalDependencies']) {
		delete kept[field];
	}
	fs.writeFileSync(path.join(packageDir, 'package.json'), JSON.stringify(kept, null, 2));
	run('npm', N8N_INSTALLER_NPM_ARGS, packageDir);

	const listPath = path.join(nodesDir, 'package.json');
	const list = fs.existsSync(listPath)
		? JSON.parse(fs.readFileSync(listPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	list.dependencies = { ...list.dependencies, [manifest.name]: manifest.version };
	fs.writeFileSync(listPath, JSON.stringify(list, null, 2));
	return { name: manifest.name, version: manifest.version, dir: packageDir };
}

module.exports = { installCommunityPackage, packPackage };
