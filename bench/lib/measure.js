'use strict';

const fs = require('node:fs');
const os = require('node:os');

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile, p in 0..100. */
function percentile(values, p) {
	if (values.length === 0) return Number.NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}

function nowNs() {
	return process.hrtime.bigint();
}

/** Milliseconds a synchronous function takes once. */
function timeOnce(fn) {
	const start = nowNs();
	const result = fn();
	return { ms: Number(nowNs() - start) / 1e6, result };
}

/**
 * Runs every side's batch once per round, in an order that rotates from round to round so no
 * side always runs right after another (GC debt, cache state), after `warmupRounds` unrecorded
 * rounds. A batch is `(round) => operationsDone`; returns each side's median ns per operation.
 */
function interleave(sides, { rounds, warmupRounds = 2 }) {
	const samples = new Map(sides.map((side) => [side.name, []]));
	for (let round = 0; round < warmupRounds + rounds; round++) {
		const order = sides.map((_, i) => sides[(i + round) % sides.length]);
		for (const side of order) {
			const start = nowNs();
			const operations = side.batch(round);
			const nsPerOp = Number(nowNs() - start) / operations;
			if (round >= warmupRounds) samples.get(side.name).push(nsPerOp);
		}
	}
	const result = {};
	for (const [name, values] of samples) {
		const nsPerOp = median(values);
		result[name] = { nsPerOp, opsPerSecond: 1e9 / nsPerOp, rounds: values.length };
	}
	return result;
}

/** What else was using the machine: the 1-minute load average over the core count. */
function machineLoad() {
	return { load1: os.loadavg()[0], cores: os.cpus().length };
}

function formatInt(value) {
	return Math.round(value).toLocaleString('en-US');
}

function formatFixed(value, digits = 2) {
	return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function formatMicros(ns) {
	return `${formatFixed(ns / 1000, ns < 10_000 ? 2 : 1)} µs`;
}

function verdict(pass) {
	return pass ? '**pass**' : '**FAIL**';
}

/** Linux counts CPU time in ticks of 1/100 s (USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds used so far by every process in n8n's process group (n8n and its task runners). */
function groupCpuSeconds(pgid) {
	let ticks = 0;
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
		} catch {
			continue;
		}
		// Fields after the command name, which may hold spaces: state is field 3, pgrp 5, utime 14.
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (Number(fields[2]) !== pgid) continue;
		ticks += Number(fields[11]) + Number(fields[12]);
	}
	return ticks / CLOCK_TICKS_PER_SECOND;
}

module.exports = {
	groupCpuSeconds,
	formatFixed,
	formatInt,
	formatMicros,
	interleave,
	machineLoad,
	median,
	percentile,
	timeOnce,
	verdict,
};
