#!/usr/bin/env node
'use strict';

/**
 * End-to-end suite: packs this package, installs it as a community package into a real n8n
 * (1.123.81 on Node 20, 2.41.1 on Node 24, one after the other) and drives signed deliveries
 * through it, counting executions through n8n's public API.
 *
 *   node scripts/e2e.js         one n8n process per version, SQLite
 *   node scripts/e2e.js queue   n8n 2.41 in queue mode: PostgreSQL, Redis, main, two webhook
 *                               processes and a worker (needs Debian's postgresql, redis-server)
 *
 *   N8N_E2E_VERSIONS=1,2   which n8n majors to run (default both)
 *   N8N_E2E_KEEP=1         keep ~/.cache/n8n-nodes-pivotal/instances/e2e-<time>/ (user folders, n8n logs) even when all pass
 *   N8N_E2E_QUIET_MS=1500  how long the execution count must be stable before it is trusted
 *   N8N_E2E_TARBALL=<tgz>  test this packed package instead of building and packing the checkout
 *   N8N_E2E_ONLY=<text>    run only the scenarios whose name contains <text>
 */

const fs = require('node:fs');
const path = require('node:path');

const { E2eContext } = require('../test/e2e/context');
const { QueueContext } = require('../test/e2e/queueContext');
const { queueScenarios } = require('../test/e2e/queueScenarios');
const { scenarios: singleProcessScenarios } = require('../test/e2e/scenarios');
const { runMain, stopAll } = require('./lib/n8n');
const { packPackage } = require('./lib/package');
const { instancesDir, release } = require('./lib/runtimes');

const SCENARIO_TIMEOUT_MS = 120_000;

const SUITES = {
	single: { Context: E2eContext, scenarios: singleProcessScenarios, majors: '1,2' },
	// Queue mode with separate webhook processes is what teams run on n8n 2.x.
	queue: { Context: QueueContext, scenarios: queueScenarios, majors: '2' },
};

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

/** An assertion's message and where in the scenarios it failed; the full stack otherwise. */
function describe(error) {
	if (error.code !== 'ERR_ASSERTION') return error.stack || String(error);
	const where = (error.stack || '').split('\n').find((line) => line.includes('test/e2e/'));
	return where ? `${error.message}\n${where.trim()}` : error.message;
}

async function runVersion(suite, major, tarball, workDir, results) {
	const only = process.env.N8N_E2E_ONLY;
	const scenarios = suite.scenarios.filter((scenario) => !only || scenario.name.includes(only));
	const ctx = new suite.Context({ major, tarball, workDir, log });
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
			await withTimeout(ctx.setUp(), 300_000, 'set-up');
		} catch (error) {
			// Every scenario counts as failed: none of them could prove anything.
			for (const scenario of scenarios) record(scenario.name, error, 0);
			console.log(indent(ctx.logTails(30), '      n8n| '));
			return;
		}
		for (const scenario of scenarios) {
			if (interrupted) break;
			const scenarioStart = Date.now();
			let failure;
			try {
				await withTimeout(scenario.run(ctx), SCENARIO_TIMEOUT_MS, scenario.name);
			} catch (error) {
				failure = error;
			}
			record(scenario.name, failure, Date.now() - scenarioStart);
			if (failure) console.log(indent(ctx.logTails(15), '      n8n| '));
		}
	} finally {
		await ctx.tearDown();
		const seconds = ((Date.now() - started) / 1000).toFixed(1);
		console.log(`  ${ctx.label}: ${seconds} s including start-up and restart`);
		for (const { label, figures } of ctx.figures) {
			console.log(`  figures [${ctx.label}] ${label}: ${JSON.stringify(figures)}`);
		}
	}
}

async function main() {
	const suiteName = process.argv[2] ?? 'single';
	const suite = SUITES[suiteName];
	if (!suite) throw new Error(`unknown suite ${suiteName}; use one of ${Object.keys(SUITES)}`);
	const majors = (process.env.N8N_E2E_VERSIONS || suite.majors)
		.split(',')
		.map((value) => value.trim())
		.filter(Boolean);
	for (const major of majors) release(major);

	const runDir = path.join(
		instancesDir(),
		`e2e-${suiteName}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
	);
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
	// One n8n at a time: the machine has two cores and the counts must not depend on load.
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
	if (interrupted) console.log('Interrupted: the scenarios after the signal did not run.');
	console.log(`${passed} passed, ${failed.length} failed`);
	if (interrupted) return 130;
	return failed.length === 0 && results.length > 0 ? 0 : 1;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.once(signal, () => {
		console.log(`\n${signal}: stopping n8n`);
		interrupted = true;
		// The running scenario fails once n8n is gone; the loops then stop and report.
		void stopAll();
	});
}

runMain(main, () => console.log('0 passed, 1 failed'));
