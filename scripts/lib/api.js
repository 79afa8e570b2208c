'use strict';

const { randomUUID } = require('node:crypto');

class HttpError extends Error {
	constructor(method, url, status, text) {
		super(`${method} ${url} answered ${status}: ${text.slice(0, 500)}`);
		this.status = status;
	}
}

/**
 * Talks to one n8n: the internal REST API with the owner's session cookie (owner set-up, API
 * keys, manual runs) and the public API with an API key (everything a user could script).
 */
class N8nClient {
	constructor(baseUrl, { apiKey, cookie, browserId = randomUUID() } = {}) {
		this.baseUrl = baseUrl;
		this.apiKey = apiKey;
		this.cookie = cookie;
		// The session cookie is bound to a browser id, which n8n checks on every REST call.
		this.browserId = browserId;
	}

	async request(method, path, { body, headers = {}, expect = [200] } = {}) {
		const url = `${this.baseUrl}${path}`;
		const response = await fetch(url, {
			method,
			headers: {
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
				...headers,
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
		const text = await response.text();
		if (!expect.includes(response.status)) {
			throw new HttpError(method, path, response.status, text);
		}
		return { response, json: text ? JSON.parse(text) : undefined };
	}

	async rest(method, path, options = {}) {
		const { response, json } = await this.request(method, `/rest${path}`, {
			...options,
			headers: {
				'browser-id': this.browserId,
				...(this.cookie ? { cookie: this.cookie } : {}),
			},
		});
		const auth = response.headers.getSetCookie().find((cookie) => cookie.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		// The REST API wraps results in { data }.
		return json && 'data' in json ? json.data : json;
	}

	async api(method, path, options = {}) {
		if (!this.apiKey) throw new Error('no API key: call createApiKey() first');
		const { json } = await this.request(method, `/api/v1${path}`, {
			...options,
			headers: { 'x-n8n-api-key': this.apiKey },
		});
		return json;
	}

	async setupOwner({ email, password, firstName = 'Pivotal', lastName = 'Tester' }) {
		return await this.rest('POST', '/owner/setup', {
			body: { email, password, firstName, lastName },
		});
	}

	async login({ email, password }) {
		return await this.rest('POST', '/login', {
			body: { emailOrLdapLoginId: email, email, password },
		});
	}

	/** Creates an API key with every scope the owner may grant and keeps it for api(). */
	async createApiKey(label = 'pivotal-e2e') {
		const scopes = await this.rest('GET', '/api-keys/scopes');
		const created = await this.rest('POST', '/api-keys', {
			body: { label, scopes, expiresAt: null },
		});
		this.apiKey = created.rawApiKey;
		return this.apiKey;
	}

	async createCredential({ name, type, data }) {
		return await this.api('POST', '/credentials', { body: { name, type, data } });
	}

	/**
	 * The credentials UI's "Test" button on an open credential: runs the credential's test on the
	 * form's (unsaved) data; n8n fills in only the fields the form left redacted from `id`'s.
	 */
	async testCredential({ id, type, data }) {
		return await this.rest('POST', '/credentials/test', {
			body: { credentials: { id, name: 'credential test', type, data } },
		});
	}

	async createWorkflow(workflow) {
		return await this.api('POST', '/workflows', { body: workflow });
	}

	async getWorkflow(id) {
		return await this.api('GET', `/workflows/${id}`);
	}

	async activateWorkflow(id) {
		return await this.api('POST', `/workflows/${id}/activate`);
	}

	async personalProject() {
		return await this.rest('GET', '/projects/personal');
	}

	/** A data table in a project; `columns` are `{ name, type }` with n8n's column types. */
	async createDataTable(projectId, { name, columns }) {
		return await this.rest('POST', `/projects/${projectId}/data-tables`, {
			body: { name, columns },
		});
	}

	/** A data table's rows (the first page), as the data table's page in the editor lists them. */
	async dataTableRows(projectId, dataTableId) {
		return await this.rest('GET', `/projects/${projectId}/data-tables/${dataTableId}/rows`);
	}

	/** Every finished execution of a workflow, newest first; running ones are not listed. */
	async listExecutions(workflowId, { includeData = true } = {}) {
		const all = [];
		let cursor;
		do {
			const query = new URLSearchParams({ workflowId, includeData: String(includeData) });
			query.set('limit', '250');
			if (cursor) query.set('cursor', cursor);
			const page = await this.api('GET', `/executions?${query}`);
			all.push(...page.data);
			cursor = page.nextCursor;
		} while (cursor);
		return all;
	}

	async getExecution(id, { includeData = true } = {}) {
		return await this.api('GET', `/executions/${id}?includeData=${includeData}`);
	}

	/**
	 * "Listen for test event": registers the workflow's test webhooks. n8n 1.x runs the
	 * workflowData sent; 2.x reads the workflow from the database and ignores it.
	 */
	async listenForTestEvent(workflowId, triggerName) {
		const workflowData = await this.rest('GET', `/workflows/${workflowId}`);
		return await this.rest('POST', `/workflows/${workflowId}/run`, {
			body: { workflowData, triggerToStartFrom: { name: triggerName } },
		});
	}
}

module.exports = { HttpError, N8nClient };
