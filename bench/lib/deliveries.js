'use strict';

const { randomBytes } = require('node:crypto');
const path = require('node:path');

const { REPO_DIR } = require('../../scripts/lib/runtimes');
const { sampleEvent, signDelivery } = require('../../scripts/lib/signing');

const DIST = path.join(REPO_DIR, 'dist', 'nodes', 'Pivotal');

/** The built package: benchmarks measure what n8n loads, not the TypeScript sources. */
function builtModules() {
	return {
		delivery: builtDelivery(),
		dedupeLedger: require(path.join(DIST, 'stores', 'dedupeLedger.js')),
		objectVersion: require(path.join(DIST, 'protocol', 'objectVersion.js')),
		versionLedger: require(path.join(DIST, 'stores', 'versionLedger.js')),
	};
}

/**
 * The node's pass through one delivery, from the built modules, as PivotalTrigger.webhook()
 * makes it once n8n has read the request: the configuration read, the one signature check,
 * the admission. A large store's first read is not part of a delivery's steady cost.
 */
function builtDelivery() {
	const load = (name) => require(path.join(DIST, 'delivery', `${name}.js`));
	const { readConfiguration } = load('configuration');
	const { verifyRequest } = load('verification');
	const { admitDelivery } = load('admission');
	return {
		receiveDelivery(request) {
			const config = readConfiguration(request);
			const verified = verifyRequest(config, request.rawBody, request.headers, request.nowMs);
			if (verified.kind !== 'event') return verified.outcome ?? { body: { status: 'saved' } };
			return admitDelivery({ ...request, event: verified.event, config });
		},
	};
}

const HOUR = 3600;
const RETENTION_HOURS = 168;

/** The node's defaults (delivery/configuration.ts settingsFrom) with the given cap and retention. */
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

/** With Skip Out-of-Order Events on, at the node's default fields. */
function orderedSettings(maxIds, retentionHours = RETENTION_HOURS) {
	return {
		...defaultSettings(maxIds, retentionHours),
		ordering: { objectIdField: 'data.object.id', objectVersionField: 'data.object.updated_at' },
	};
}

/** Object ids and versions of one length, so every body stays `bytes` long. */
const orderedObject = (i) => ({
	id: `obj_${String(i).padStart(12, '0')}`,
	updated_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
});

/** A Pivotal-shaped event whose JSON is `bytes` long, padded in data.object. */
function eventOfSize(bytes) {
	const event = sampleEvent();
	Object.assign(event.data.object, orderedObject(0));
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
		// Each about an object of its own, at a version: what Skip Out-of-Order Events reads.
		const data = { object: { ...template.data.object, ...orderedObject(i) } };
		out[i] = signDelivery({ ...template, id, data }, { secret });
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
 * A version ledger holding `objects` objects, one version each, accepted evenly over the
 * retention window's hours (the objects of filledLedger's events).
 */
function filledVersionLedger(
	modules,
	objects,
	nowSeconds,
	writerId = 'bench',
	hours = RETENTION_HOURS,
) {
	const { VersionLedger } = modules.versionLedger;
	const token = modules.objectVersion.versionToken(Date.UTC(2025, 0, 1));
	const ledger = new VersionLedger(writerId);
	const firstHour = nowSeconds - (hours - 1) * HOUR;
	for (let i = 0; i < objects; i++) {
		const hour = Math.floor((i * hours) / Math.max(objects, 1));
		ledger.settle(
			VersionLedger.entryOf(`prefill_${writerId}_${i}`, token),
			firstHour + hour * HOUR,
			true,
		);
	}
	return ledger;
}

/**
 * What the node does with a delivery once n8n has read it: the pass above with the process's
 * ledger and the request's copy of static data, then, as the run starts, the claimed id recorded
 * and the store handed to static data. n8n hands every request the state the last save wrote,
 * which here is the ledger's own object.
 */
function pivotalHandler({ receiveDelivery, ledger, versionLedger, secret, settings }) {
	const access = (storeLedger) => {
		const store = {
			ledger: storeLedger,
			stored: storeLedger.persistent(),
			save: (state) => {
				store.stored = state;
			},
		};
		return store;
	};
	const dedupe = access(ledger);
	const versions = versionLedger && access(versionLedger);
	return (delivery) => {
		const outcome = receiveDelivery({
			rawBody: delivery.body,
			headers: delivery.headers,
			signingSecret: secret,
			previousSigningSecret: '',
			events: '*',
			settings,
			nowMs: Date.now(),
			dedupe,
			versions,
		});
		if (outcome.body.status !== 'accepted') {
			throw new Error(`benchmark delivery was ${outcome.body.status}: ${JSON.stringify(outcome)}`);
		}
		const now = Math.floor(Date.now() / 1000);
		ledger.settle(outcome.claimedId, now, true);
		dedupe.save(ledger.persistent());
		if (versions) {
			if (outcome.heldVersion === undefined) throw new Error('benchmark delivery was not ordered');
			versionLedger.settle(outcome.heldVersion, now, true);
			versions.save(versionLedger.persistent());
		}
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
	filledVersionLedger,
	orderedSettings,
	pivotalHandler,
	signedDeliveries,
};
