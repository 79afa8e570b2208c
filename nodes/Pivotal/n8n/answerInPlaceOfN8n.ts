import type { DeliveryOutcome } from '../delivery/outcome';

/** The part of Node's ServerResponse (under Express's) that the answer is written through. */
export interface AnswerableResponse {
	statusCode: number;
	headersSent: boolean;
	setHeader(name: string, value: string | number): unknown;
	removeHeader(name: string): void;
	end: (...args: never[]) => unknown;
}

export interface Answer extends Pick<DeliveryOutcome, 'httpStatus' | 'body'> {
	/** What must be done before the sender gets the answer (it never rejects). */
	after?: Promise<void>;
}

/**
 * Lets n8n answer the request when its own rules say (after creating the execution, or after
 * the run), and puts this node's answer in place of n8n's: `decide` gets the status n8n chose
 * and returns what the sender gets. Whatever path n8n takes (its success answer, its error
 * handler, a run that outlived the sender), every answer ends in `end`, so `decide` runs once.
 */
export function answerInPlaceOfN8n(res: AnswerableResponse, decide: (n8nStatus: number) => Answer) {
	const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => unknown;
	let decided = false;
	res.end = ((...args: unknown[]) => {
		if (decided) return end(...args);
		decided = true;
		const { httpStatus, body, after } = decide(res.statusCode);
		// Headers already out (a streamed answer) cannot be changed; n8n's answer then stands.
		if (res.headersSent) return end(...args);
		const text = JSON.stringify(body);
		res.statusCode = httpStatus;
		res.removeHeader('etag');
		res.setHeader('content-type', 'application/json; charset=utf-8');
		res.setHeader('content-length', Buffer.byteLength(text));
		if (!after) return end(text);
		void after.then(() => end(text));
		return res;
	}) as AnswerableResponse['end'];
}
