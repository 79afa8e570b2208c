'use strict';

// n8n-node lint holds every .ts file to n8n Cloud's rules for node code (no node:fs, no
// child_process, no __dirname). Those rules are for what n8n loads; the tests that read this
// repository's own files do it through this module, as scripts/ and test/e2e/ do, and the
// package never ships it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');

/** A file of the repository as text, by its path from the root. @param {string} file */
function readText(file) {
	return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** @param {string} file */
function exists(file) {
	return fs.existsSync(path.join(ROOT, file));
}

/** The folders directly inside a folder of the repository. @param {string} dir */
function folders(dir) {
	return fs
		.readdirSync(path.join(ROOT, dir), { withFileTypes: true })
		.filter((entry) => entry.isDirectory())
		.map((entry) => entry.name);
}

/**
 * Every file under a folder of the repository whose name ends in `suffix`, by its path from
 * the root, in a stable order.
 * @param {string} dir
 * @param {string} suffix
 * @returns {string[]}
 */
function filesUnder(dir, suffix) {
	return fs
		.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
		.map((entry) => path.relative(ROOT, path.join(entry.parentPath ?? entry.path, entry.name)))
		.sort();
}

/**
 * Runs a script of the repository with this Node.js, from the root.
 * @param {string} script
 * @param {string[]} [args]
 * @returns {{ status: number | null, output: string }}
 */
function runNode(script, args = []) {
	const { status, stdout, stderr } = spawnSync(
		process.execPath,
		[path.join(ROOT, script), ...args],
		{ cwd: ROOT, encoding: 'utf8' },
	);
	return { status, output: stdout + stderr };
}

/**
 * Calls `use` with the path of a temporary file holding `text`, and removes it after.
 * @template T
 * @param {string} name
 * @param {string} text
 * @param {(file: string) => T} use
 * @returns {T}
 */
function withTempFile(name, text, use) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pivotal-test-'));
	try {
		const file = path.join(dir, name);
		fs.writeFileSync(file, text);
		return use(file);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

module.exports = { exists, filesUnder, folders, readText, runNode, withTempFile };
