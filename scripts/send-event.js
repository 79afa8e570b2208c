#!/usr/bin/env node
'use strict';

const fs = require('node:fs');
const { parseArgs } = require('node:util');

const { STATE_FILE, readDemoState } = require('./lib/demo');
const {
	newEventId,
	newMessageId,
	postDelivery,
	sampleEvent,
	signDelivery,
} = require('./lib/signing');
const { mapLimit } = require('./lib/util');

const USAGE = `Sends Pivotal-style events, signed with svix, to a Pivotal Trigger webhook.

Usage: node scripts/send-event.js [options]

  --url <url>              webhook URL (default: the npm start demo's, from ${STATE_FILE})
  --secret <whsec_...>     signing secret (default: the demo's)
  --type <type>            event type (default: invoice.paid)
  --id <id>                event id (default: a new evt_... id)
  --data <file.json>       JSON object used as the event's data.object (default: a sample invoice)
  --repeat <n>             send the event n times: retries of one message, so n8n should run once
  --distinct               with --repeat: every delivery is a new event with its own id
  --concurrency <n>        deliveries in flight at once (default: 1)
  --header-set svix|webhook   svix-* (default) or Standard Webhooks webhook-* header names
  --help
`;

function positiveInt(value, name) {
	const number = Number(value);
	if (!Number.isInteger(number) || number < 1)
		throw new Error(`--${name} must be a positive integer`);
	return number;
}

function readOptions() {
	const { values } = parseArgs({
		options: {
			url: { type: 'string' },
			secret: { type: 'string' },
			type: { type: 'string', default: 'invoice.paid' },
			id: { type: 'string' },
			data: { type: 'string' },
			repeat: { type: 'string', default: '1' },
			distinct: { type: 'boolean', default: false },
			concurrency: { type: 'string', default: '1' },
			'header-set': { type: 'string', default: 'svix' },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) return { help: true };

	const demo = values.url && values.secret ? undefined : readDemoState();
	const url = values.url ?? demo?.webhookUrl;
	const secret = values.secret ?? demo?.signingSecret;
	if (!url || !secret) {
		throw new Error(
			`no --url/--secret given and no demo state in ${STATE_FILE}: run npm start first`,
		);
	}
	if (!['svix', 'webhook'].includes(values['header-set'])) {
		throw new Error('--header-set must be svix or webhook');
	}
	let object;
	if (values.data) {
		object = JSON.parse(fs.readFileSync(values.data, 'utf8'));
		if (typeof object !== 'object' || object === null || Array.isArray(object)) {
			throw new Error(`${values.data} must hold a JSON object`);
		}
	}
	if (values.distinct && values.id) throw new Error('--distinct and --id exclude each other');
	return {
		url,
		secret,
		type: values.type,
		id: values.id,
		object,
		repeat: positiveInt(values.repeat, 'repeat'),
		distinct: values.distinct,
		concurrency: positiveInt(values.concurrency, 'concurrency'),
		headerSet: values['header-set'],
	};
}

async function main() {
	const options = readOptions();
	if (options.help) {
		process.stdout.write(USAGE);
		return 0;
	}
	const shared = {
		event: sampleEvent({ id: options.id, type: options.type, object: options.object }),
	};
	shared.messageId = newMessageId();
	console.log(`POST ${options.url}`);

	const deliveries = Array.from({ length: options.repeat }, (_, index) => index);
	const answers = await mapLimit(deliveries, options.concurrency, async (index) => {
		const event = options.distinct ? { ...shared.event, id: newEventId() } : shared.event;
		// Re-signed per delivery like a retry; one message id unless each is a distinct event.
		const signed = signDelivery(event, {
			secret: options.secret,
			messageId: options.distinct ? newMessageId() : shared.messageId,
			headerSet: options.headerSet,
		});
		const started = Date.now();
		let answer;
		try {
			answer = await postDelivery(options.url, signed);
		} catch (error) {
			answer = { status: 0, text: error.cause?.message ?? error.message };
		}
		const ms = Date.now() - started;
		console.log(
			`#${index + 1} ${event.type} ${event.id}: ${answer.status} ${answer.text} (${ms} ms)`,
		);
		return answer;
	});

	if (options.repeat > 1) {
		const counts = {};
		for (const { status, json } of answers) {
			const key = `${status} ${json?.status ?? ''}`.trim();
			counts[key] = (counts[key] ?? 0) + 1;
		}
		console.log(
			Object.entries(counts)
				.map(([key, count]) => `${count} × ${key}`)
				.join(', '),
		);
	}
	return answers.every(({ status }) => status >= 200 && status < 300) ? 0 : 1;
}

main().then(
	(code) => {
		process.exitCode = code;
	},
	(error) => {
		console.error(`send-event: ${error.message}`);
		process.exitCode = 2;
	},
);
