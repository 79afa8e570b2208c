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
 *   N8N_E2E_ONLY=<text>    run only the scenarios whose name contains <text> (a|b: either)
 */

const { acknowledgeScenarios } = require('../test/e2e/acknowledgeScenarios');
const { E2eContext } = require('../test/e2e/context');
const { orderingScenarios } = require('../test/e2e/orderingScenarios');
const { QueueContext } = require('../test/e2e/queueContext');
const { queueReleaseScenarios, queueScenarios } = require('../test/e2e/queueScenarios');
const { releaseScenarios } = require('../test/e2e/releaseScenarios');
const { scenarios: singleProcessScenarios } = require('../test/e2e/scenarios');
const { runMain } = require('./lib/n8n');
const { runSuite } = require('./lib/suite');

const SUITES = {
	single: {
		Context: E2eContext,
		scenarios: [
			...singleProcessScenarios,
			...acknowledgeScenarios,
			...orderingScenarios,
			...releaseScenarios,
		],
		majors: '1,2',
	},
	// Queue mode with separate webhook processes is what teams run on n8n 2.x.
	queue: {
		Context: QueueContext,
		scenarios: [...queueScenarios, ...queueReleaseScenarios],
		majors: '2',
	},
};

async function main() {
	const suiteName = process.argv[2] ?? 'single';
	const suite = SUITES[suiteName];
	if (!suite) throw new Error(`unknown suite ${suiteName}; use one of ${Object.keys(SUITES)}`);
	return await runSuite({
		kind: `e2e-${suiteName}`,
		cases: suite.scenarios,
		majors: suite.majors,
		caseTimeoutMs: 120_000,
		createContext: (options) => new suite.Context(options),
	});
}

runMain(main, () => console.log('0 passed, 1 failed'));
