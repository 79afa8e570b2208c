#!/usr/bin/env node
'use strict';

/**
 * Soak test for the dedupe store across restarts; not part of `npm run test:e2e` because it
 * hunts a race and takes minutes. Each round: a burst of parallel new events, a look at what
 * the workflow's static data persisted, a restart, and a resend of the burst, which must be
 * all duplicates.
 *
 *   node test/e2e/soak-dedupe.js [major=1] [burst=100] [rounds=8]
 *   N8N_E2E_TARBALL=<tgz> tests a packed package instead of packing the checkout.
 */

const fs = require('node:fs');
const path = require('node:path');

const { E2eContext } = require('./context');
const { runMain } = require('../../scripts/lib/n8n');
const { packPackage } = require('../../scripts/lib/package');
const { instancesDir } = require('../../scripts/lib/runtimes');
const { sampleEvent } = require('../../scripts/lib/signing');

async function main() {
	const [major = '1', burst = '100', rounds = '8'] = process.argv.slice(2);
	const workDir = path.join(instancesDir(), `soak-${Date.now()}`);
	const tarball = process.env.N8N_E2E_TARBALL || packPackage(workDir);
	const ctx = new E2eContext({ major, tarball, workDir, log: console.log });
	const sent = [];
	let lostRounds = 0;
	try {
		await ctx.setUp();
		for (let round = 1; round <= Number(rounds); round++) {
			const events = Array.from({ length: Number(burst) }, () => sampleEvent());
			sent.push(...events.map((event) => event.id));
			const sendAll = () => Promise.all(events.map((event) => ctx.send(event)));
			const first = await ctx.observe(ctx.main, sendAll, { atLeast: events.length });
			const accepted = first.result.filter((answer) => answer.json?.status === 'accepted').length;
			const store = await ctx.storedIds(ctx.main, sent);
			const lost = sent.length - store.held.length;
			await ctx.restart();
			const again = await ctx.observe(ctx.main, sendAll);
			const rerun = events.filter((_, i) => again.result[i].json?.status !== 'duplicate');
			if (lost > 0 || rerun.length > 0) lostRounds++;
			console.log(
				`round ${round}: ${accepted}/${events.length} accepted, ${first.executions.length} ` +
					`executions; static data holds ${store.held.length}/${sent.length} ids (rev ${store.rev}); ` +
					`after restart ${rerun.length} not deduplicated, ${again.executions.length} executions ran again`,
			);
		}
	} finally {
		await ctx.tearDown();
	}
	console.log(`${lostRounds} of ${rounds} rounds lost ids; n8n log: ${ctx.instance.logFile}`);
	if (lostRounds === 0) fs.rmSync(workDir, { recursive: true, force: true });
	return lostRounds === 0 ? 0 : 1;
}

runMain(main);
