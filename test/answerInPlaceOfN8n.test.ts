import {
	answerInPlaceOfN8n,
	type AnswerableResponse,
} from '../nodes/Pivotal/n8n/answerInPlaceOfN8n';

/** The slice of an Express response n8n writes an answer through: status, headers, end. */
function response() {
	const written: { status?: number; body?: string; headers: Record<string, unknown> } = {
		headers: { etag: 'W/"n8n"', 'content-length': 999 },
	};
	const res = {
		statusCode: 200,
		headersSent: false,
		setHeader: (name: string, value: unknown) => {
			written.headers[name] = value;
		},
		removeHeader: (name: string) => {
			delete written.headers[name];
		},
		end: (body?: string) => {
			written.status = res.statusCode;
			written.body = body;
			res.headersSent = true;
			return res;
		},
	};
	return {
		res,
		written,
		n8nAnswers: (status: number, body?: string) => {
			res.statusCode = status;
			(res as unknown as { end: (b?: string) => unknown }).end(body);
		},
	};
}

describe('answerInPlaceOfN8n', () => {
	it("sends the node's answer, decided from n8n's status, never n8n's body", () => {
		const { res, written, n8nAnswers } = response();
		const seen: number[] = [];
		answerInPlaceOfN8n(res as unknown as AnswerableResponse, (status) => {
			seen.push(status);
			return { httpStatus: 500, body: { status: 'failed' } };
		});
		n8nAnswers(200, '{"secret":"workflow data"}');
		expect(seen).toEqual([200]);
		expect(written.status).toBe(500);
		expect(written.body).toBe('{"status":"failed"}');
		expect(written.headers).toEqual({
			'content-type': 'application/json; charset=utf-8',
			'content-length': Buffer.byteLength('{"status":"failed"}'),
		});
	});

	it('holds the answer until what must come first is done', async () => {
		const { res, written, n8nAnswers } = response();
		let done: () => void = () => {};
		const after = new Promise<void>((resolve) => {
			done = resolve;
		});
		answerInPlaceOfN8n(res as unknown as AnswerableResponse, () => ({
			httpStatus: 200,
			body: { status: 'accepted' },
			after,
		}));
		n8nAnswers(200);
		await Promise.resolve();
		expect(written.body).toBeUndefined();
		done();
		await after;
		await Promise.resolve();
		expect(written).toMatchObject({ status: 200, body: '{"status":"accepted"}' });
	});

	it('decides once, and leaves an answer whose headers are already out as n8n sent it', () => {
		const { res, written, n8nAnswers } = response();
		let decisions = 0;
		answerInPlaceOfN8n(res as unknown as AnswerableResponse, () => {
			decisions++;
			return { httpStatus: 500, body: { status: 'failed' } };
		});
		res.headersSent = true;
		n8nAnswers(200, 'streamed');
		expect(written).toMatchObject({ status: 200, body: 'streamed' });
		n8nAnswers(200, 'again');
		expect(decisions).toBe(1);
	});
});
