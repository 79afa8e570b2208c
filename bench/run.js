#!/usr/bin/env node
'use strict';

/**
 * `npm run bench`: builds the package, runs B1–B4 and rewrites their sections of BENCHMARKS.md
 * (charts under bench/charts/). Not part of `npm test`: B4 starts a real n8n and takes minutes.
 * B5, a soak of most of an hour, runs only when named (BENCH_ONLY=B5).
 *
 *   BENCH_ONLY=B1,B2    run only these benchmarks (the other sections of BENCHMARKS.md stay)
 *   BENCH_SECONDS=20    length of each B4 measuring window
 *   BENCH_B5_*          B5's soak settings (bench/soak.js)
 *   BENCH_KEEP=1        keep B4's n8n user folder (database, log) under ~/.cache/n8n-nodes-pivotal/instances/
 */

const { execFileSync } = require('node:child_process');

const { runMain } = require('../scripts/lib/n8n');
const { REPO_DIR, release } = require('../scripts/lib/runtimes');
const { runB1, runB2 } = require('./handler');
const { runB3 } = require('./storage');
const { runB4 } = require('./n8n');
const { runB5 } = require('./soak');
const { writeSections } = require('./lib/report');

const BENCHMARKS = { B1: runB1, B2: runB2, B3: runB3, B4: runB4, B5: runB5 };

function selected() {
	const only = (process.env.BENCH_ONLY || '').toUpperCase();
	// B5, the soak, takes most of an hour: only when named.
	if (!only) return Object.keys(BENCHMARKS).filter((id) => id !== 'B5');
	const ids = only.split(',').map((id) => id.trim());
	const unknown = ids.filter((id) => !BENCHMARKS[id]);
	if (unknown.length > 0) throw new Error(`BENCH_ONLY: no benchmark ${unknown.join(', ')}`);
	return ids;
}

function command(ids) {
	const env = [];
	if (process.env.BENCH_ONLY) env.push(`BENCH_ONLY=${ids.join(',')}`);
	if (process.env.BENCH_SECONDS) env.push(`BENCH_SECONDS=${process.env.BENCH_SECONDS}`);
	for (const [key, value] of Object.entries(process.env)) {
		if (key.startsWith('BENCH_B5_') && ids.includes('B5')) env.push(`${key}=${value}`);
	}
	return [...env, 'npm run bench'].join(' ');
}

async function main() {
	const ids = selected();
	const log = (message) => console.log(`[bench] ${message}`);
	log('npm run build');
	execFileSync('npm', ['run', 'build'], { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
	const context = {
		command: command(ids),
		versions: `bench on Node ${process.version}`,
		n8nVersion: release(2).version,
		log,
	};
	for (const id of ids) {
		log(`${id}…`);
		const started = Date.now();
		const section = await BENCHMARKS[id](context);
		// Written after each benchmark, so a later one failing keeps what was measured.
		writeSections({ [id]: section });
		log(`${id} done in ${Math.round((Date.now() - started) / 1000)} s`);
	}
	log('BENCHMARKS.md written');
	return 0;
}

runMain(main);
