'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');

const { chromium } = require('playwright-core');

const { REPO_DIR } = require('../../scripts/lib/runtimes');
const { E2eContext, OWNER } = require('../e2e/context');

const CHROMIUM = '/usr/bin/chromium';
// Without the networking flags Chromium's own background connections are refused here and
// the browser stalls; --user-data-dir is the fresh profile launchPersistentContext creates.
const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
const ACTION_TIMEOUT_MS = 20_000;
/** Where every step's screenshot goes, per n8n version; git-ignored. */
const SHOTS_DIR = path.join(REPO_DIR, 'test-results', 'ui');

/**
 * One n8n with the package installed and an owner (no credential, no workflow: the steps make
 * them in the editor as a user would) and a logged-in Chromium page on its editor.
 */
class EditorContext extends E2eContext {
	constructor(options) {
		super(options);
		this.shotsDir = path.join(SHOTS_DIR, this.runtime.version);
		/** What earlier steps left for later ones: the test URL, the event sent. */
		this.state = {};
	}

	async setUp() {
		await this.startWithOwner();
		fs.rmSync(this.shotsDir, { recursive: true, force: true });
		fs.mkdirSync(this.shotsDir, { recursive: true });
		this.profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pivotal-ui-chromium-'));
		this.browser = await chromium.launchPersistentContext(this.profileDir, {
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_FLAGS,
			viewport: VIEWPORT,
		});
		this.page = this.browser.pages()[0] ?? (await this.browser.newPage());
		this.page.setDefaultTimeout(ACTION_TIMEOUT_MS);
		await this.signIn();
	}

	async tearDown() {
		if (this.browser) await this.browser.close();
		if (this.profileDir) fs.rmSync(this.profileDir, { recursive: true, force: true });
		await super.tearDown();
	}

	get baseUrl() {
		return this.instance.baseUrl;
	}

	async signIn() {
		const { page } = this;
		await page.goto(`${this.baseUrl}/signin`);
		await page.locator('input[name="emailOrLdapLoginId"]').fill(OWNER.email);
		await page.locator('input[name="password"]').fill(OWNER.password);
		await this.byTestId('form-submit-button').click();
		await page.waitForURL((url) => !url.pathname.includes('/signin'));
	}

	byTestId(id, root = this.page) {
		return root.locator(`[data-test-id="${id}"]`);
	}

	get ndv() {
		return this.byTestId('ndv');
	}

	async screenshot(name) {
		const file = path.join(this.shotsDir, `${name}.png`);
		await this.page.screenshot({ path: file });
		return file;
	}

	/**
	 * The text of the tooltip n8n shows for a parameter's help icon: hovering the label reveals
	 * the icon, hovering the icon opens the tooltip.
	 */
	async parameterHelp(parameterItem) {
		await parameterItem.locator('label').first().hover();
		await parameterItem.locator('[data-icon="circle-help"]').first().hover();
		const tooltip = this.page
			// 2.x renders its own tooltip; 1.x an Element Plus dark popper.
			.locator('.n8n-tooltip:visible, .el-popper.is-dark:visible')
			.filter({ hasText: /\S/ })
			.last();
		await tooltip.waitFor();
		const text = (await tooltip.innerText()).trim();
		// Moves away so the tooltip closes before the next one is read.
		await this.page.mouse.move(0, 0);
		await tooltip.waitFor({ state: 'hidden' });
		return text;
	}
}

/**
 * `npm run send-event` as a user runs it; resolves with its exit code and output (a non-2xx
 * answer exits 1, which is an outcome here, not an error).
 */
function sendEvent(args) {
	return new Promise((resolve) => {
		execFile(
			'npm',
			['run', '--silent', 'send-event', '--', ...args],
			{ cwd: REPO_DIR, encoding: 'utf8', timeout: 60_000 },
			(error, stdout, stderr) => {
				resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
			},
		);
	});
}

module.exports = { EditorContext, SHOTS_DIR, sendEvent };
