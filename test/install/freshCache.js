'use strict';

/**
 * The install path a newcomer's `npm start` takes, on an empty cache and under npm's
 * environment (which carries the project's ignore-scripts=true): n8n 2.41 is installed, starts,
 * and a cache whose SQLite binding went missing is repaired on the next run; a failed install
 * names its log and leaves no marker. Slow (a full n8n install): run by `npm run test:install`,
 * part of `npm run test:all`, not of `npm test`.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { N8nInstance, freePort, runMain } = require('../../scripts/lib/n8n');
const { REPO_DIR, ensureInstalled, runtimeFor } = require('../../scripts/lib/runtimes');

const MAJOR = 2;
const INSTALL_SCRIPT = path.join(REPO_DIR, 'scripts', 'install-n8n.sh');

async function startsAndServes(cacheDir, label) {
	const instance = new N8nInstance({
		runtime: runtimeFor(MAJOR),
		userFolder: path.join(cacheDir, `user-${label}`),
		port: await freePort(),
		brokerPort: await freePort(),
		logFile: path.join(cacheDir, `n8n-${label}.log`),
	});
	try {
		await instance.start();
	} finally {
		await instance.stop();
	}
}

/** install-n8n.sh as a child of this npm-run process, its output captured. */
function runInstallScript() {
	const result = spawnSync('bash', [INSTALL_SCRIPT, String(MAJOR)], { encoding: 'utf8' });
	return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const cases = [
	{
		name: 'runs under npm, whose environment turns install scripts off',
		run: () => {
			assert.equal(
				process.env.npm_config_ignore_scripts,
				'true',
				'start this through `npm run test:install`: the trap it guards against lives in npm',
			);
		},
	},
	{
		name: 'installs n8n into an empty cache and it starts',
		run: async (ctx) => {
			ensureInstalled(MAJOR);
			assert.ok(fs.existsSync(path.join(ctx.n8nDir, 'node_modules', 'sqlite3', 'build')));
			await startsAndServes(ctx.cacheDir, 'fresh');
		},
	},
	{
		name: 'repairs a cache marked done whose SQLite binding is missing, saying so once',
		run: async (ctx) => {
			fs.rmSync(path.join(ctx.n8nDir, 'node_modules', 'sqlite3', 'build'), { recursive: true });
			const repair = runInstallScript();
			assert.equal(repair.status, 0, repair.output);
			assert.equal(
				repair.output.match(/cannot load its SQLite binding/g)?.length,
				1,
				repair.output,
			);
			assert.ok(fs.existsSync(path.join(ctx.n8nDir, '.done')));
			const again = runInstallScript();
			assert.equal(again.status, 0, again.output);
			assert.equal(again.output, '', 'a healthy cache is reused silently');
			await startsAndServes(ctx.cacheDir, 'repaired');
		},
	},
	{
		name: 'a failed install names its log and leaves no done marker',
		run: (ctx) => {
			fs.rmSync(path.join(ctx.n8nDir, 'node_modules', 'sqlite3', 'build'), { recursive: true });
			fs.rmSync(path.join(ctx.n8nDir, 'node_modules', 'sqlite3', 'binding.gyp'));
			const failed = runInstallScript();
			assert.notEqual(failed.status, 0, failed.output);
			assert.match(failed.output, /compiling sqlite3 for n8n failed; log: .*install\.log/);
			assert.equal(fs.existsSync(path.join(ctx.n8nDir, '.done')), false);
		},
	},
];

async function main() {
	const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-pivotal-fresh-cache-'));
	process.env.N8N_PIVOTAL_CACHE = cacheDir;
	const ctx = { cacheDir, n8nDir: path.join(cacheDir, `n8n-${runtimeFor(MAJOR).version}`) };
	let passed = 0;
	try {
		for (const testCase of cases) {
			const started = Date.now();
			try {
				await testCase.run(ctx);
				passed++;
				console.log(`  ✓ pass  ${testCase.name} (${Date.now() - started} ms)`);
			} catch (error) {
				console.log(`  ✗ FAIL  ${testCase.name}\n${error.stack}`);
				// Later cases build on the install; without it they prove nothing, and count as failed.
				break;
			}
		}
	} finally {
		if (passed === cases.length) fs.rmSync(cacheDir, { recursive: true, force: true });
		else console.log(`cache kept in ${cacheDir}`);
	}
	console.log(`${passed} passed, ${cases.length - passed} failed`);
	return passed === cases.length ? 0 : 1;
}

runMain(main, () => console.log('0 passed, 1 failed'));
