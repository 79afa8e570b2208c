import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

import {
	DELIVERY_STATUSES,
	type Answer,
	type DeliveryOutcome,
	type LogLine,
} from '../delivery/outcome';
import type { Headers } from '../protocol/signature';
import { FORWARD_TIMEOUT_MS, FORWARDED_HEADER } from '../delivery/eventOwner';

const ANSWERS: ReadonlySet<unknown> = new Set(DELIVERY_STATUSES);

/**
 * Errors after which the owner may hold the delivery: the connection was up and then timed out
 * or broke. Any other error (refused, unreachable, a certificate that does not match, a request
 * n8n's SSRF protection blocks, one n8n's next release names differently) came before anything
 * was sent, or is taken to have: the delivery is handled here, as with routing off, rather than
 * every forwarded delivery being refused.
 */
const MAYBE_SENT =
	/ECONNABORTED|ETIMEDOUT|ESOCKETTIMEDOUT|ECONNRESET|EPIPE|socket hang up|timeout/i;

/**
 * The owner may have the delivery and be slow to answer: handling it here too could run it
 * twice, so the sender is asked to retry; its retry is deduplicated wherever it lands.
 */
const BUSY: Answer = {
	httpStatus: 503,
	body: {
		status: 'busy',
		message: 'The n8n process that handles this event did not answer in time; retry later',
	},
};

/**
 * Sends a verified delivery, as received, to the webhook process that handles its event, and
 * returns that process's answer, or a 503 when it took the delivery but did not answer in time.
 * Undefined when the delivery never reached it or its answer is not this node's (an address can
 * outlive its process): the caller then handles the delivery itself.
 */
export async function passOn(
	context: IWebhookFunctions,
	owner: string,
	delivery: { rawBody: Buffer; headers: Headers; from: string },
	path: string,
	log: (lines: LogLine[]) => void,
): Promise<Answer | undefined> {
	const headers: IDataObject = { 'content-type': 'application/octet-stream' };
	for (const [name, value] of Object.entries(delivery.headers)) {
		if (/^(svix|webhook)-/i.test(name)) headers[name] = value;
	}
	headers[FORWARDED_HEADER] = delivery.from;
	try {
		const response = await context.helpers.httpRequest({
			method: 'POST',
			url: `${owner}${path}`,
			body: delivery.rawBody,
			headers,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			json: true,
			timeout: FORWARD_TIMEOUT_MS,
		});
		const body = response.body as DeliveryOutcome['body'] | undefined;
		if (typeof body === 'object' && body !== null && ANSWERS.has(body.status)) {
			return { httpStatus: response.statusCode as number, body };
		}
		log([
			{
				level: 'warn',
				message: `${owner} answered ${response.statusCode} without a Pivotal Trigger answer: handling the delivery here`,
			},
		]);
	} catch (error) {
		const { message, code } = error as Error & { code?: unknown };
		if (MAYBE_SENT.test(`${String(code)} ${message}`)) {
			log([
				{
					level: 'warn',
					message: `${owner} did not answer in time (${message}): asking the sender to retry`,
				},
			]);
			return BUSY;
		}
		log([
			{
				level: 'warn',
				message: `could not pass the delivery on to ${owner} (${message}): handling it here`,
			},
		]);
	}
	return undefined;
}
