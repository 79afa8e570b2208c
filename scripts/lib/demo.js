'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { instancesDir } = require('./runtimes');

/** The `npm start` instance's user folder and what start.js remembers about it. */
const DEMO_DIR = path.join(instancesDir(), 'demo');
const STATE_FILE = path.join(DEMO_DIR, 'demo.json');

function readDemoState() {
	try {
		return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
	} catch {
		return undefined;
	}
}

function writeDemoState(state) {
	fs.mkdirSync(DEMO_DIR, { recursive: true });
	// It holds the demo's API key and signing secret: readable by this user only.
	fs.writeFileSync(STATE_FILE, `${JSON.stringify(state, null, '\t')}\n`, { mode: 0o600 });
}

module.exports = { DEMO_DIR, STATE_FILE, readDemoState, writeDemoState };
