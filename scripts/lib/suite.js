'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { stopAll } = require('./n8n');
const { packPackage } = require('./package');
const { instancesDir, release } = require('./runtimes');

const SET_UP_TIMEOUT_MS = 300_000;

const log = (message) => console.log(`  · ${message}`);

function withTimeout(promise, ms, what) {
	let timer;
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function indent(text, prefix = '      ') {
	return String(text)
		.split('\n')
		.map((line) => prefix + line)
		.join('\n');
}

/** An assertion's message and where in the test files it failed; the full stack otherwise. */
function describe(error) {
	if (error.code !== 'ERR_ASSERTION') return error.stack || String(error);
	const where = (error.stack || '').split('\n').find((line) => line.includes('/test/'));
	return where ? `${error.message}\n${where.trim()}` : error.message;
}

let interrupted = false;
let signalsHooked = false;
function hookSignals() {
	if (signalsHooked) return;
	signalsHooked = true;
	for (const signal of ['SIGINT', 'SIGTERM']) {
		process.once(signal, () => {
			console.log(`\n${signal}: stopping n8n`);
			interrupted = true;
			// The running case fails once n8n is gone; the loops then stop and report.
			void stopAll();
		});
	}
}

async function runVersion(suite, major, tarball, runDir, results) {
	const only = process.env.N8N_E2E_ONLY;
	// Several texts may be given, separated by |.
	const cases = suite.cases.filter(
		(testCase) => !only || only.split('|').some((text) => testCase.name.includes(text)),
	);
	const ctx = suite.createContext({ major, tarball, workDir: runDir, log });
	console.log(`\n${ctx.label} (${path.basename(ctx.runtime.nodeBin)} ${ctx.runtime.nodeBin})`);
	const started = Date.now();
	const record = (name, error, ms) => {
		results.push({ version: ctx.label, name, error });
		const mark = error ? '✗ FAIL' : '✓ pass';
		console.log(`  ${mark}  [${ctx.label}] ${name} (${ms} ms)`);
		if (error) console.log(indent(describe(error)));
	};
	try {
		try {
			await withTimeout(ctx.setUp(), SET_UP_TIMEOUT_MS, 'set-up');
		} catch (error) {
			// Every case counts as failed: none of them could prove anything.
			for (const testCase of cases) record(testCase.name, error, 0);
			console.log(indent(ctx.logTails(30), '      n8n| '));
			return;
		}
		for (const testCase of cases) {
			if (interrupted) break;
			const caseStart = Date.now();
			let failure;
			try {
				await withTimeout(
					testCase.run(ctx),
					testCase.timeoutMs ?? suite.caseTimeoutMs,
					testCase.name,
				);
			} catch (error) {
				failure = error;
			}
			if (suite.afterCase) {
				try {
					await suite.afterCase(ctx, testCase, failure);
				} catch (error) {
					failure = failure ?? error;
				}
			}
			record(testCase.name, failure, Date.now() - caseStart);
			if (failure) console.log(indent(ctx.logTails(15), '      n8n| '));
		}
	} finally {
		await ctx.tearDown();
		const seconds = ((Date.now() - started) / 1000).toFixed(1);
		console.log(`  ${ctx.label}: ${seconds} s including start-up`);
		for (const { label, figures } of ctx.figures) {
			console.log(`  figures [${ctx.label}] ${label}: ${JSON.stringify(figures)}`);
		}
	}
}

/**
 * Packs the package (or takes N8N_E2E_TARBALL), then runs every case (those whose name contains
 * N8N_E2E_ONLY, when set) against each n8n major in N8N_E2E_VERSIONS (default suite.majors), one
 * n8n at a time: the machine has two cores and the results must not depend on load. Returns the
 * exit code.
 *
 * @param {object} suite
 * @param {string} suite.kind names the run's folder under instancesDir()
 * @param {Array<{ name: string, run: (ctx: any) => Promise<void>, timeoutMs?: number }>} suite.cases a case may take longer than caseTimeoutMs when it says so
 * @param {string} [suite.majors] the n8n majors to run by default, e.g. '1,2'
 * @param {number} suite.caseTimeoutMs
 * @param {(options: object) => any} suite.createContext an E2eContext or a subclass
 * @param {(ctx: any, testCase: object, failure?: Error) => Promise<void>} [suite.afterCase]
 */
async function runSuite(suite) {
	hookSignals();
	const majors = (process.env.N8N_E2E_VERSIONS || suite.majors || '1,2')
		.split(',')
		.map((value) => value.trim())
		.filter(Boolean);
	for (const major of majors) release(major);

	const stamp = new Date().toISOString().replace(/[:.]/g, '-');
	const runDir = path.join(instancesDir(), `${suite.kind}-${stamp}`);
	fs.mkdirSync(runDir, { recursive: true });
	let tarball = process.env.N8N_E2E_TARBALL && path.resolve(process.env.N8N_E2E_TARBALL);
	if (tarball) {
		console.log(`Testing ${tarball}`);
	} else {
		const packStart = Date.now();
		console.log('Building and packing n8n-nodes-pivotal…');
		tarball = packPackage(runDir);
		log(`${path.basename(tarball)} in ${Date.now() - packStart} ms`);
	}

	const results = [];
	for (const major of majors) {
		if (!interrupted) await runVersion(suite, major, tarball, runDir, results);
	}

	const failed = results.filter((result) => result.error);
	const passed = results.length - failed.length;
	console.log('');
	if (failed.length > 0) {
		console.log('Failed:');
		for (const result of failed) console.log(`  [${result.version}] ${result.name}`);
		console.log(`n8n user folders and logs kept in ${runDir}`);
	} else if (process.env.N8N_E2E_KEEP) {
		console.log(`n8n user folders and logs kept in ${runDir}`);
	} else {
		fs.rmSync(runDir, { recursive: true, force: true });
	}
	if (interrupted) console.log('Interrupted: the cases after the signal did not run.');
	console.log(`${passed} passed, ${failed.length} failed`);
	if (interrupted) return 130;
	return failed.length === 0 && results.length > 0 ? 0 : 1;
}

module.exports = { log, runSuite };
