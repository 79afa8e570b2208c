#!/usr/bin/env node
'use strict';

/**
 * End-to-end suite: packs this package, installs it as a community package into a real n8n
 * (1.123.81 on Node 20, 2.41.1 on Node 24, one after the other) and drives signed deliveries
 * through it, counting executions through n8n's public API.
 *
 *   N8N_E2E_VERSIONS=1,2   which n8n majors to run (default both)
 *   N8N_E2E_KEEP=1         keep ~/.cache/n8n-nodes-pivotal/instances/e2e-<time>/ (user folders, n8n logs) even when all pass
 *   N8N_E2E_QUIET_MS=1500  how long the execution count must be stable before it is trusted
 *   N8N_E2E_TARBALL=<tgz>  test this packed package instead of building and packing the checkout
 */

const { E2eContext } = require('../test/e2e/context');
const { scenarios } = require('../test/e2e/scenarios');
const { runMain } = require('./lib/n8n');
const { runSuite } = require('./lib/suite');

runMain(
	() =>
		runSuite({
			kind: 'e2e',
			cases: scenarios,
			caseTimeoutMs: 120_000,
			createContext: (options) => new E2eContext(options),
		}),
	() => console.log('0 passed, 1 failed'),
);
