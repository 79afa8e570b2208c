import { randomBytes } from 'node:crypto';
import type { IWebhookFunctions } from 'n8n-workflow';

import type { LogLine } from '../delivery/outcome';
import { SAVE_MESSAGE } from '../protocol/saveMessage';
import { expectedSignature } from '../protocol/signature';

const BODY = SAVE_MESSAGE;
/** A save request takes one webhook round trip; past this the answer goes without it. */
const SAVE_TIMEOUT_MS = 2000;

/**
 * The save request a process sends itself so that n8n saves the workflow's static data: with
 * Acknowledge "When the Workflow Succeeds" an id is recorded when n8n answers, after n8n's
 * last save for that request, and nothing else would write it before the next delivery.
 * Signed like a delivery with the endpoint's own key, so only this node can make one, and
 * verified by the same code; its body alone makes it a save (saveMessage.ts).
 * @internal Exported for the tests.
 */
export function saveRequestFor(key: Buffer, nowSeconds: number, messageId: string) {
	const timestamp = String(nowSeconds);
	return {
		body: BODY,
		headers: {
			'svix-id': messageId,
			'svix-timestamp': timestamp,
			'svix-signature': `v1,${expectedSignature(key, messageId, timestamp, BODY)}`,
		},
	};
}

interface SaveQueue {
	/** The save under way or last made. */
	tail: Promise<void>;
	/** The save queued behind it: it has not read the store yet, so it carries any id recorded now. */
	next?: Promise<void>;
}

const queues = new Map<string, SaveQueue>();

/**
 * Resolves once a save that started after this call has finished: the one queued behind the
 * save under way, shared by every caller until it starts, so a burst of successes costs two.
 * `send` must not reject.
 */
export function saveSoon(key: string, send: () => Promise<void>): Promise<void> {
	let queue = queues.get(key);
	if (!queue) {
		queue = { tail: Promise.resolve() };
		queues.set(key, queue);
	}
	if (queue.next) return queue.next;
	const own = queue;
	const save = own.tail.then(async () => {
		own.next = undefined;
		await send();
	});
	own.next = save;
	own.tail = save;
	// Nothing queued behind it once it is done: the queue goes, so idle nodes hold no memory.
	void save.then(() => {
		if (own.tail === save && queues.get(key) === own) queues.delete(key);
	});
	return save;
}

/**
 * How many nodes have a save queued or under way in this process.
 * @internal Exported for the tests.
 */
export function queuedSaves(): number {
	return queues.size;
}

/** Sends the save request to this process (`url`: its own address and the webhook's path). */
export async function sendSaveRequest(
	context: IWebhookFunctions,
	key: Buffer,
	url: string,
	log: (lines: LogLine[]) => void,
) {
	const messageId = `save_${randomBytes(8).toString('hex')}`;
	const save = saveRequestFor(key, Math.floor(Date.now() / 1000), messageId);
	try {
		await context.helpers.httpRequest({
			method: 'POST',
			url,
			body: save.body,
			headers: { ...save.headers, 'content-type': 'application/json' },
			timeout: SAVE_TIMEOUT_MS,
		});
	} catch (error) {
		log([
			{
				level: 'warn',
				message: `could not save the dedupe store (${(error as Error).message}): it is saved with the next delivery`,
			},
		]);
	}
}
