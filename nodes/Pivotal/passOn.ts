import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

import {
	DELIVERY_STATUSES,
	type DeliveryOutcome,
	type DeliveryRequest,
	type LogLine,
} from './delivery';
import { FORWARD_TIMEOUT_MS, FORWARDED_HEADER } from './eventOwner';

const ANSWERS: ReadonlySet<unknown> = new Set(DELIVERY_STATUSES);

/**
 * Sends a verified delivery, as received, to the webhook process that handles its event, and
 * returns that process's answer; undefined when it cannot be reached or its answer is not this
 * node's (an address can outlive its process), so the caller handles the delivery itself.
 */
export async function passOn(
	context: IWebhookFunctions,
	owner: string,
	delivery: DeliveryRequest,
	path: string,
	log: (lines: LogLine[]) => void,
): Promise<Pick<DeliveryOutcome, 'httpStatus' | 'body'> | undefined> {
	const headers: IDataObject = { 'content-type': 'application/octet-stream' };
	for (const [name, value] of Object.entries(delivery.headers)) {
		if (/^(svix|webhook)-/i.test(name)) headers[name] = value;
	}
	headers[FORWARDED_HEADER] = delivery.route?.self;
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
		log([
			{
				level: 'warn',
				message: `could not pass the delivery on to ${owner} (${(error as Error).message}): handling it here`,
			},
		]);
	}
	return undefined;
}
