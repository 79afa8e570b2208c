'use strict';

const { randomBytes } = require('node:crypto');
// svix 2.x ships ES modules only; Node >= 20.19 loads them through require().
const { Webhook } = require('svix');

/** A fresh Svix-style signing secret: whsec_ + base64 of random bytes. */
function newSecret(bytes = 32) {
	return `whsec_${randomBytes(bytes).toString('base64')}`;
}

function newMessageId() {
	return `msg_${randomBytes(12).toString('hex')}`;
}

function newEventId() {
	return `evt_${randomBytes(12).toString('hex')}`;
}

/**
 * An event envelope shaped like Pivotal's.
 * @param {{ id?: string, type?: string, object?: object }} [options]
 */
function sampleEvent({ id = newEventId(), type = 'invoice.paid', object } = {}) {
	return {
		id,
		type,
		created_at: new Date().toISOString(),
		data: {
			object: object ?? {
				id: `inv_${randomBytes(4).toString('hex')}`,
				status: 'paid',
				amount: 4200,
				currency: 'eur',
			},
		},
	};
}

/**
 * Signs the exact bytes that will be sent, with the real svix library, the way Pivotal does.
 * @param {string | Buffer | object} body an object is serialised with JSON.stringify
 * @param {object} options
 * @param {string} options.secret
 * @param {string} [options.messageId]
 * @param {number} [options.timestampSeconds]
 * @param {'svix' | 'webhook'} [options.headerSet] Standard Webhooks names are webhook-*
 */
function signDelivery(body, options) {
	const bytes = Buffer.isBuffer(body)
		? body
		: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
	const messageId = options.messageId ?? newMessageId();
	const timestampSeconds = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
	const signature = new Webhook(options.secret).sign(
		messageId,
		new Date(timestampSeconds * 1000),
		bytes.toString('utf8'),
	);
	const prefix = options.headerSet ?? 'svix';
	return {
		body: bytes,
		messageId,
		headers: {
			[`${prefix}-id`]: messageId,
			[`${prefix}-timestamp`]: String(timestampSeconds),
			[`${prefix}-signature`]: signature,
		},
	};
}

/** POSTs a delivery; returns the status and the body, parsed when it is JSON. */
async function postDelivery(url, { body, headers = {} }, { timeoutMs = 30_000 } = {}) {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body,
		signal: AbortSignal.timeout(timeoutMs),
	});
	const text = await response.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, text, json };
}

module.exports = {
	newEventId,
	newMessageId,
	newSecret,
	postDelivery,
	sampleEvent,
	signDelivery,
};
