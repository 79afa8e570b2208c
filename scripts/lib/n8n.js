'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { sleep } = require('./util');

/** Every n8n this process started and has not seen exit, so an exit handler can kill them. */
const running = new Set();

function killGroup(child, signal) {
	try {
		// Negative pid: the whole process group, so n8n's task runners go too.
		process.kill(-child.pid, signal);
		return true;
	} catch {
		return false;
	}
}

let exitHookInstalled = false;
function installExitHook() {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// Last resort when the caller crashed or forgot stop(): an exit handler must be synchronous.
	process.on('exit', () => {
		for (const child of running) killGroup(child, 'SIGKILL');
	});
}

function isPortFree(port, host = '127.0.0.1') {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, host, () => server.close(() => resolve(true)));
	});
}

function freePort(host = '127.0.0.1') {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, host, () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** Drops the caller's N8N_*, DB_* and similar settings so only the ones given here apply. */
function cleanEnv() {
	const env = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$)/.test(key)) continue;
		env[key] = value;
	}
	return env;
}

/**
 * One local n8n process on loopback with its own SQLite user folder. Stop and start again on
 * the same folder to simulate a restart.
 */
class N8nInstance {
	/**
	 * @param {object} options
	 * @param {ReturnType<import('./runtimes').runtimeFor>} options.runtime
	 * @param {string} options.userFolder
	 * @param {number} options.port
	 * @param {number} options.brokerPort
	 * @param {string} options.logFile
	 * @param {Record<string, string>} [options.env]
	 * @param {(chunk: Buffer) => void} [options.onOutput] sees n8n's output besides the log file
	 * @param {'start' | 'webhook' | 'worker'} [options.command] which n8n process (queue mode
	 *   runs `webhook` and `worker` processes beside the main one); `port` is then the port of
	 *   the webhook server or of the worker's health server
	 */
	constructor(options) {
		this.runtime = options.runtime;
		this.userFolder = options.userFolder;
		this.port = options.port;
		this.brokerPort = options.brokerPort;
		this.logFile = options.logFile;
		this.extraEnv = options.env ?? {};
		this.onOutput = options.onOutput;
		this.command = options.command ?? 'start';
		this.child = undefined;
		this.exited = undefined;
	}

	get baseUrl() {
		return `http://127.0.0.1:${this.port}`;
	}

	env() {
		const nodeDir = path.dirname(this.runtime.nodeBin);
		return {
			...cleanEnv(),
			// Anything n8n spawns as `node` must be the same Node as n8n itself.
			PATH: `${nodeDir}${path.delimiter}${process.env.PATH}`,
			N8N_USER_FOLDER: this.userFolder,
			N8N_PORT: String(this.port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
			DB_TYPE: 'sqlite',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_SECURE_COOKIE: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_PUBLIC_API_DISABLED: 'false',
			EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
			N8N_LOG_OUTPUT: 'console',
			...(this.command === 'worker'
				? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(this.port) }
				: {}),
			...this.runtime.env,
			...this.extraEnv,
		};
	}

	/** Starts n8n and waits until it serves its API. */
	async start({ timeoutMs = 120_000 } = {}) {
		if (this.child) throw new Error('n8n is already running');
		for (const port of [this.port, this.brokerPort]) {
			if (!(await isPortFree(port))) throw new Error(`port ${port} on 127.0.0.1 is in use`);
		}
		fs.mkdirSync(this.userFolder, { recursive: true });
		fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
		const log = fs.createWriteStream(this.logFile, { flags: 'a' });
		log.write(
			`\n===== ${new Date().toISOString()} starting n8n ${this.runtime.version} ${this.command}\n`,
		);

		installExitHook();
		const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, this.command], {
			cwd: this.userFolder,
			env: this.env(),
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.child = child;
		running.add(child);
		const forward = (chunk) => {
			log.write(chunk);
			if (this.onOutput) this.onOutput(chunk);
		};
		child.stdout.on('data', forward);
		child.stderr.on('data', forward);
		this.exited = new Promise((resolve) => {
			child.once('exit', (code, signal) => {
				running.delete(child);
				log.end(`===== n8n exited (code ${code}, signal ${signal})\n`);
				resolve({ code, signal });
			});
		});
		child.once('error', (error) => log.write(`spawn error: ${error.message}\n`));

		try {
			await this.waitHealthy(timeoutMs);
		} catch (error) {
			await this.stop();
			throw error;
		}
	}

	async waitHealthy(timeoutMs) {
		const deadline = Date.now() + timeoutMs;
		let exit;
		this.exited.then((value) => (exit = value));
		while (Date.now() < deadline) {
			if (exit) {
				throw new Error(
					`n8n exited during start-up (code ${exit.code}); log: ${this.logFile}\n${this.logTail()}`,
				);
			}
			if (await this.isReady()) return;
			await sleep(250);
		}
		throw new Error(`n8n did not become healthy in ${timeoutMs} ms; log: ${this.logFile}`);
	}

	/**
	 * /healthz answers as soon as n8n listens, while every other route still answers 200
	 * "n8n is starting up. Please wait": only a JSON answer from the REST API means ready.
	 */
	async isReady() {
		try {
			if (this.command !== 'start') {
				// Webhook and worker processes serve no REST API; readiness checks DB and Redis.
				const ready = await fetch(`${this.baseUrl}/healthz/readiness`, {
					signal: AbortSignal.timeout(2000),
				});
				return ready.ok;
			}
			const health = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
			if (!health.ok) return false;
			const settings = await fetch(`${this.baseUrl}/rest/settings`, {
				signal: AbortSignal.timeout(5000),
			});
			return settings.ok && (settings.headers.get('content-type') ?? '').includes('json');
		} catch {
			return false;
		}
	}

	/** SIGTERM lets n8n finish running executions and save; SIGKILL if it hangs. */
	async stop({ timeoutMs = 30_000 } = {}) {
		const child = this.child;
		if (!child) return;
		this.child = undefined;
		if (running.has(child) && killGroup(child, 'SIGTERM')) {
			let timer;
			const timedOut = await Promise.race([
				this.exited.then(() => false),
				new Promise((resolve) => {
					timer = setTimeout(() => resolve(true), timeoutMs);
				}),
			]);
			clearTimeout(timer);
			if (timedOut) {
				killGroup(child, 'SIGKILL');
				await this.exited;
			}
		}
		// n8n's task runners live in the same group; make sure none outlives it.
		killGroup(child, 'SIGKILL');
	}

	/** A crash: SIGKILL, nothing saved, no execution finished. */
	async kill() {
		const child = this.child;
		if (!child) return;
		this.child = undefined;
		killGroup(child, 'SIGKILL');
		await this.exited;
	}

	async restart(options) {
		await this.stop();
		await this.start(options);
	}

	logTail(lines = 40) {
		try {
			return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
		} catch {
			return '';
		}
	}
}

/** Stops every instance still running, for SIGINT/SIGTERM handlers. */
async function stopAll() {
	const children = [...running];
	for (const child of children) killGroup(child, 'SIGTERM');
	const deadline = Date.now() + 15_000;
	while (running.size > 0 && Date.now() < deadline) await sleep(100);
	for (const child of running) killGroup(child, 'SIGKILL');
}

/** Runs a script's main(), whose result is its exit code; a crash still stops every n8n it started. */
function runMain(main, onCrash = () => {}) {
	main().then(
		(code) => {
			process.exitCode = code;
		},
		async (error) => {
			console.error(error);
			await stopAll();
			onCrash();
			process.exitCode = 1;
		},
	);
}

module.exports = { N8nInstance, freePort, isPortFree, runMain, stopAll };
