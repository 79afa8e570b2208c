'use strict';

const { createServer } = require('node:http');

/**
 * A server on 127.0.0.1 for the requests the node sends itself in unit tests (its save
 * requests): each is handed to `serve(path, body, headers)`, whose answer goes back. Unref'd, so
 * it never keeps the test process alive. The header comment of repository.js says why this is JS.
 * @param {(path: string, body: Buffer, headers: Record<string, string>) => Promise<{ status: number, body: unknown }>} serve
 * @returns {Promise<{ port: number, inFlight: Set<Promise<unknown>> }>}
 */
async function startLoopback(serve) {
	const inFlight = new Set();
	const server = createServer((request, reply) => {
		const chunks = [];
		request.on('data', (chunk) => chunks.push(chunk));
		request.on('end', () => {
			const headers = Object.fromEntries(
				Object.entries(request.headers).filter(([, value]) => typeof value === 'string'),
			);
			const served = serve(request.url ?? '', Buffer.concat(chunks), headers).then(
				(answer) => answer,
				(error) => ({ status: 500, body: { message: String(error) } }),
			);
			inFlight.add(served);
			void served.then(({ status, body }) => {
				inFlight.delete(served);
				reply.writeHead(status, { 'content-type': 'application/json' });
				reply.end(JSON.stringify(body));
			});
		});
	});
	await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
	server.unref();
	return { port: server.address().port, inFlight };
}

/** How many property runs each model-based test makes: more on CI, or as PROPERTY_RUNS says. */
const propertyRuns = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 400 : 120));

module.exports = { propertyRuns, startLoopback };
