#!/usr/bin/env node
'use strict';

/**
 * Browser suite: the editor path a user takes (nodes panel, credential form, node panel,
 * "Listen for test event") in Debian's Chromium driven by playwright-core, against a real n8n
 * with the package installed as a community package, on n8n 1.123.81 and 2.41.1.
 * Every step's screenshot goes to test-results/ui/<n8n version>/.
 *
 *   --update-docs          after a run where every step passed, copy the README's screenshots
 *                          (from the newest n8n that ran) into docs/
 *   N8N_E2E_VERSIONS, N8N_E2E_KEEP, N8N_E2E_TARBALL   as for npm run test:e2e
 */

const fs = require('node:fs');
const path = require('node:path');

const { EditorContext, SHOTS_DIR } = require('../test/ui/context');
const { steps } = require('../test/ui/steps');
const { runMain } = require('./lib/n8n');
const { N8N_RELEASES, REPO_DIR } = require('./lib/runtimes');
const { runSuite } = require('./lib/suite');

/** The screenshots the README's set-up section shows, in its order. */
const DOC_SHOTS = ['nodes-panel', 'credential-rejected', 'node-panel', 'listening', 'output'];
const DOCS_DIR = path.join(REPO_DIR, 'docs');

const slug = (text) =>
	text
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '')
		.slice(0, 48);

function updateDocs() {
	const versions = (process.env.N8N_E2E_VERSIONS || '1,2').split(',').map((v) => v.trim());
	const newest = N8N_RELEASES[Math.max(...versions.map(Number))].version;
	fs.mkdirSync(DOCS_DIR, { recursive: true });
	for (const name of DOC_SHOTS) {
		fs.copyFileSync(
			path.join(SHOTS_DIR, newest, `${name}.png`),
			path.join(DOCS_DIR, `${name}.png`),
		);
	}
	console.log(`Copied ${DOC_SHOTS.length} screenshots of n8n ${newest} into docs/`);
}

async function main() {
	const code = await runSuite({
		kind: 'ui',
		cases: steps,
		caseTimeoutMs: 120_000,
		createContext: (options) => new EditorContext(options),
		// The editor as each step left it, passed or failed.
		afterCase: async (ctx, step) => {
			if (!ctx.page) return;
			const index = String(steps.indexOf(step) + 1).padStart(2, '0');
			await ctx.screenshot(`step-${index}-${slug(step.name)}`);
		},
	});
	console.log(`Screenshots: ${path.relative(process.cwd(), SHOTS_DIR)}/`);
	if (code === 0 && process.argv.includes('--update-docs')) updateDocs();
	return code;
}

runMain(main, () => console.log('0 passed, 1 failed'));
