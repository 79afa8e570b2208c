'use strict';

const { randomBytes } = require('node:crypto');
const path = require('node:path');

const { REPO_DIR } = require('../../scripts/lib/runtimes');
const { sampleEvent, signDelivery } = require('../../scripts/lib/signing');

const DIST = path.join(REPO_DIR, 'dist', 'nodes', 'Pivotal');

/** The built package: benchmarks measure what n8n loads, not the TypeScript sources. */
function builtModules() {
	return {
		delivery: require(path.join(DIST, 'delivery.js')),
		dedupeStore: require(path.join(DIST, 'dedupeStore.js')),
	};
}

const HOUR = 3600;
const RETENTION_HOURS = 168;

/** The node's defaults (PivotalTrigger.node.ts settingsFrom) with the given cap and retention. */
function defaultSettings(maxIds, retentionHours = RETENTION_HOURS) {
	return {
		output: 'event',
		includeDeliveryMetadata: false,
		toleranceSeconds: 300,
		retentionSeconds: retentionHours * HOUR,
		maxIds,
		// As PivotalTrigger.node.ts sets it (CLAIM_HOLD_SECONDS).
		claimHoldSeconds: 3600,
	};
}

/** A Pivotal-shaped event whose JSON is `bytes` long, padded in data.object. */
function eventOfSize(bytes) {
	const event = sampleEvent();
	event.data.object.description = '';
	const padding = bytes - Buffer.byteLength(JSON.stringify(event));
	event.data.object.description = 'x'.repeat(Math.max(0, padding));
	return event;
}

/** `count` signed deliveries of `bytes` each, every one a new event id; signed now. */
function signedDeliveries(count, bytes, secret) {
	const template = eventOfSize(bytes);
	const batch = randomBytes(6).toString('hex');
	const out = new Array(count);
	for (let i = 0; i < count; i++) {
		// Same length as sampleEvent()'s ids (28 characters), so every body is `bytes` long.
		const id = `evt_${batch}${String(i).padStart(12, '0')}`;
		out[i] = signDelivery({ ...template, id }, { secret });
	}
	return out;
}

/**
 * A ledger holding `ids` ids spread evenly over the retention window's hours, as a store that
 * filled over the whole window would be. Filled through add(), so it does not depend on the
 * stored format.
 */
function filledLedger(DedupeLedger, ids, nowSeconds, writerId = 'bench', hours = RETENTION_HOURS) {
	const ledger = new DedupeLedger(writerId);
	const firstHour = nowSeconds - (hours - 1) * HOUR;
	for (let i = 0; i < ids; i++) {
		const hour = Math.floor((i * hours) / Math.max(ids, 1));
		ledger.add(`prefill_${writerId}_${i}`, firstHour + hour * HOUR);
	}
	return ledger;
}

/**
 * What the node does with a delivery once n8n has read it: receiveDelivery with the process's
 * ledger and the request's copy of static data, then, as the run starts, the claimed id recorded
 * and the store handed to static data. n8n hands every request the state the last save wrote,
 * which here is the ledger's own object.
 */
function pivotalHandler({ receiveDelivery, ledger, secret, settings }) {
	let saved = ledger.persistent();
	const dedupe = {
		ledger,
		stored: saved,
		save: (state) => {
			saved = state;
		},
	};
	return (delivery) => {
		dedupe.stored = saved;
		const outcome = receiveDelivery({
			rawBody: delivery.body,
			headers: delivery.headers,
			signingSecret: secret,
			previousSigningSecret: '',
			events: '*',
			settings,
			nowMs: Date.now(),
			dedupe,
		});
		if (outcome.body.status !== 'accepted') {
			throw new Error(`benchmark delivery was ${outcome.body.status}: ${JSON.stringify(outcome)}`);
		}
		ledger.settle(outcome.claimedId, Math.floor(Date.now() / 1000), true);
		dedupe.save(ledger.persistent());
		return outcome.item;
	};
}

module.exports = {
	HOUR,
	RETENTION_HOURS,
	builtModules,
	defaultSettings,
	eventOfSize,
	filledLedger,
	pivotalHandler,
	signedDeliveries,
};
