'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');

const { REPO_DIR } = require('../../scripts/lib/runtimes');
const { newEventId, newSecret } = require('../../scripts/lib/signing');
const { sleep } = require('../../scripts/lib/util');
const { sendEvent } = require('./context');

/**
 * The strings the editor must show are the ones the package ships, read from dist/ once the
 * suite has built it.
 */
function shipped() {
	const dist = path.join(REPO_DIR, 'dist', 'nodes', 'Pivotal');
	const { PivotalTrigger } = require(path.join(dist, 'PivotalTrigger.node.js'));
	const { parseSigningSecret } = require(path.join(dist, 'protocol', 'signingSecret.js'));
	const { description } = new PivotalTrigger();
	const property = (name) => description.properties.find((p) => p.name === name);
	return { description, property, parseSigningSecret };
}
const ICON_PATH = '/icons/n8n-nodes-pivotal/dist/nodes/Pivotal/';
/** An API key pasted by mistake, the commonest wrong secret. */
const MALFORMED_SECRET = 'sk_live_51HqLyjWDarjtT1zdp7dcQx';
/**
 * n8n pushes a received test event to the editor within a few hundred milliseconds; nothing
 * having arrived after this long is what "the editor keeps waiting" means.
 */
const NOTHING_ARRIVES_MS = 3000;

async function openNodesPanel(ctx, query) {
	await ctx.byTestId('canvas-plus-button').click();
	// Typed into the field itself: keystrokes sent before its autofocus lands (a loaded CI
	// machine) would leave part of the query behind and the panel listing other nodes.
	await ctx.byTestId('node-creator-search-bar').fill(query);
	const { displayName } = shipped().description;
	const item = ctx.byTestId('node-creator-node-item').filter({ hasText: displayName });
	await item.waitFor();
	return item;
}

/**
 * The panel filters as it renders, so the list is read until two reads agree, for at most a few
 * seconds: a list still showing other nodes then is what n8n shows the user.
 */
async function settledSearchResults(ctx) {
	const read = () => ctx.byTestId('node-creator-item-name').allInnerTexts();
	let names = await read();
	for (let attempt = 0; attempt < 20; attempt++) {
		await sleep(250);
		const again = await read();
		if (JSON.stringify(again) === JSON.stringify(names)) return names;
		names = again;
	}
	return names;
}

async function assertIcon(item, file) {
	const img = item.locator('img').first();
	const src = await img.getAttribute('src');
	assert.ok(src?.endsWith(`${ICON_PATH}${file}`), `icon src ${src} is not ${ICON_PATH}${file}`);
	// Loaded and drawn, not a broken image.
	await img.evaluate(
		(element) =>
			new Promise((resolve, reject) => {
				const check = () =>
					element.naturalWidth > 0 ? resolve() : reject(new Error('icon did not load'));
				if (element.complete) check();
				else element.addEventListener('load', check, { once: true });
			}),
	);
}

async function nodesPanel(ctx) {
	const { page } = ctx;
	await page.goto(`${ctx.baseUrl}/workflow/new?theme=dark`);
	await assertIcon(await openNodesPanel(ctx, 'Pivotal'), 'pivotal.dark.svg');
	await ctx.screenshot('nodes-panel-dark');

	await page.goto(`${ctx.baseUrl}/workflow/new`);
	const item = await openNodesPanel(ctx, 'Pivotal');
	assert.deepEqual(
		await settledSearchResults(ctx),
		[shipped().description.displayName],
		'search results',
	);
	await assertIcon(item, 'pivotal.svg');
	await ctx.screenshot('nodes-panel');

	// A community node opens its details first; "Add to workflow" puts it on the canvas.
	await item.click();
	await page.getByRole('button', { name: 'Add to workflow' }).click();
	await ctx.ndv.waitFor();
	await ctx.byTestId('canvas-trigger-node').waitFor();
}

async function credentialForm(ctx) {
	const { page } = ctx;
	// With no credential of the type yet, n8n 2.x offers a button instead of the drop-down.
	const select = ctx.byTestId('node-credentials-select');
	const connect = ctx.ndv.getByRole('button', { name: /^Connect to / });
	await select.or(connect).first().waitFor();
	if (await connect.isVisible()) {
		await connect.click();
	} else {
		await select.click();
		await ctx.byTestId('node-credentials-select-item-new').click();
	}
	const modal = ctx.byTestId('editCredential-modal');
	const secret = ctx.byTestId('parameter-input-signingSecret', modal).locator('input');
	const previous = ctx.byTestId('parameter-input-previousSigningSecret', modal).locator('input');
	assert.equal(await secret.getAttribute('type'), 'password', 'Signing Secret is masked');
	assert.equal(
		await previous.getAttribute('type'),
		'password',
		'Previous Signing Secret is masked',
	);

	await secret.fill(MALFORMED_SECRET);
	await ctx.byTestId('credential-save-button', modal).click();
	await modal.getByText('Couldn’t connect with these settings').waitFor();
	await modal.getByText('More details').click();
	const { problem } = shipped().parseSigningSecret(MALFORMED_SECRET);
	await modal.getByText(problem).waitFor();
	await ctx.screenshot('credential-rejected');

	await secret.fill(ctx.secret);
	// Retry tests what the form holds now, before it is saved.
	await modal.getByRole('button', { name: 'Retry' }).click();
	await modal.getByText('Connection tested successfully').waitFor();
	assert.equal(await modal.getByText(problem).count(), 0, 'the old problem is gone');
	await ctx.screenshot('credential-tested');

	await ctx.byTestId('credential-save-button', modal).click();
	// n8n 2.x closes the form once a saved credential tests green; 1.x keeps it open.
	if (ctx.runtime.major === 1) {
		await ctx.byTestId('credential-save-button', modal).filter({ hasText: 'Saved' }).waitFor();
		await modal.getByText('Connection tested successfully').waitFor();
		await page.keyboard.press('Escape');
	}
	await modal.waitFor({ state: 'hidden' });
	const selected = ctx.byTestId('node-credentials-select').locator('input');
	assert.match(await selected.inputValue(), /^Pivotal Webhook/, 'the node uses the new credential');
}

async function nodePanel(ctx) {
	const { ndv } = ctx;
	await ndv.getByText('Webhook URLs').click();
	const parameters = ctx.byTestId('node-parameters', ndv);
	const shownUrl = async (kind) => {
		await ctx.byTestId(`radio-button-${kind}`, ndv).click();
		const text = await parameters.innerText();
		return text.match(/https?:\/\/\S+/)?.[0];
	};
	const testUrl = await shownUrl('test');
	const productionUrl = await shownUrl('production');
	const id = '[0-9a-f-]{36}';
	assert.match(testUrl ?? '', new RegExp(`^${ctx.baseUrl}/webhook-test/${id}/webhook$`));
	assert.match(productionUrl ?? '', new RegExp(`^${ctx.baseUrl}/webhook/${id}/webhook$`));
	assert.equal(testUrl.replace('/webhook-test/', '/webhook/'), productionUrl);
	ctx.state.testUrl = testUrl;

	const { property } = shipped();
	const events = property('events');
	const eventsItem = ndv
		.locator('[data-test-id="parameter-item"]')
		.filter({ has: ctx.page.locator('label[for="events"]') })
		.last();
	assert.equal(
		await ctx.byTestId('parameter-input-field', eventsItem).inputValue(),
		events.default,
	);
	assert.equal(await ctx.parameterHelp(eventsItem), events.description);
	const acknowledge = property('acknowledge');
	const acknowledgeItem = ndv
		.locator('[data-test-id="parameter-item"]')
		.filter({ has: ctx.page.locator('label[for="acknowledge"]') })
		.last();
	const defaultMode = acknowledge.options.find((option) => option.value === acknowledge.default);
	// A select shows its choice as an input's value (1.x) or as text (2.x).
	const shownChoice = [
		await acknowledgeItem.innerText(),
		...(await acknowledgeItem.locator('input').evaluateAll((inputs) => inputs.map((i) => i.value))),
	].join('\n');
	assert.ok(shownChoice.includes(defaultMode.name), `Acknowledge shows: ${shownChoice}`);
	assert.equal(await ctx.parameterHelp(acknowledgeItem), acknowledge.description);
	await ctx.screenshot('node-panel');

	for (const option of property('options').options) {
		const add = ctx.byTestId('collection-parameter-add', ndv);
		// 1.x has no test id on the "Add option" select.
		await ((await add.count()) ? add : ndv.getByPlaceholder('Add option')).click();
		await ctx
			.byTestId('collection-parameter-option')
			.filter({ hasText: option.displayName })
			.click();
		const item = ndv
			.locator('[data-test-id="parameter-item"]')
			.filter({ has: ctx.page.locator(`label[for="${option.name}"]`) })
			.last();
		assert.equal(await ctx.parameterHelp(item), option.description, option.displayName);
	}
	await ctx.screenshot('node-options');
}

async function startListening(ctx) {
	// n8n labels this button "Listen for test event" only on its own Webhook node.
	await ctx.byTestId('node-execute-button', ctx.ndv).click();
	const listening = ctx.byTestId('trigger-listening', ctx.ndv);
	await listening.getByText('Listening for test event').waitFor();
	return listening;
}

async function sendSigned(ctx, { id, secret = ctx.secret }) {
	assert.ok(ctx.state.testUrl, 'the node panel step found the test URL');
	const args = ['--url', ctx.state.testUrl, '--secret', secret, '--type', 'invoice.paid'];
	return await sendEvent([...args, '--id', id]);
}

async function assertOutputShows(ctx, id) {
	const output = ctx.byTestId('output-panel', ctx.ndv);
	await output.getByText(id).waitFor();
	await output.getByText('invoice.paid').first().waitFor();
	await output.getByText('created_at').first().waitFor();
}

async function listenForTestEvent(ctx) {
	await startListening(ctx);
	await ctx.screenshot('listening');
	const id = newEventId();
	const sent = await sendSigned(ctx, { id });
	assert.equal(sent.code, 0, `send-event failed:\n${sent.stdout}${sent.stderr}`);
	assert.match(sent.stdout, / 200 \{"status":"accepted"\}/);
	await assertOutputShows(ctx, id);
	await ctx.screenshot('output');
}

async function badSignatureWhileListening(ctx) {
	const listening = await startListening(ctx);
	const forged = newEventId();
	const rejected = await sendSigned(ctx, { id: forged, secret: newSecret() });
	assert.equal(rejected.code, 1, `send-event should report the rejection:\n${rejected.stdout}`);
	assert.match(rejected.stdout, / 401 \{"status":"rejected"/);
	await sleep(NOTHING_ARRIVES_MS);
	assert.ok(await listening.isVisible(), 'the editor is still listening');
	const output = ctx.byTestId('output-panel', ctx.ndv);
	assert.equal(await output.getByText(forged).count(), 0, 'the forged event is not shown');
	await ctx.screenshot('bad-signature-still-listening');

	// Still the same listening session: a good delivery now arrives.
	const id = newEventId();
	const sent = await sendSigned(ctx, { id });
	assert.equal(sent.code, 0, `send-event failed:\n${sent.stdout}${sent.stderr}`);
	await assertOutputShows(ctx, id);
	assert.equal(await output.getByText(forged).count(), 0, 'the forged event is not shown');
}

/** In the order a user meets them; each step starts where the previous one left the editor. */
const steps = [
	{
		name: 'nodes panel: "Pivotal" finds the trigger with its icon (light and dark), added to the canvas',
		run: nodesPanel,
	},
	{
		name: 'credential form: malformed secret explained, good secret tests green and saves, masked',
		run: credentialForm,
	},
	{
		name: "node panel: test and production URLs, Events, the options' descriptions",
		run: nodePanel,
	},
	{
		name: 'Listen for test event: a signed delivery from npm run send-event shows in the output',
		run: listenForTestEvent,
	},
	{
		name: 'bad signature while listening: 401, no output, still listening; a good one then arrives',
		run: badSignatureWhileListening,
	},
];

module.exports = { steps };
