'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const { sleep } = require('./util');

/** Debian installs PostgreSQL's server programs here, out of PATH. */
function postgresBin(program) {
	const root = '/usr/lib/postgresql';
	const versions = fs.existsSync(root)
		? fs
				.readdirSync(root)
				.filter((name) => fs.existsSync(path.join(root, name, 'bin', program)))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (versions.length === 0) {
		throw new Error(
			`PostgreSQL's ${program} is not installed (apt-get install postgresql); .ci/run installs it`,
		);
	}
	return path.join(root, versions[0], 'bin', program);
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's postgres user. */
function asDatabaseUser(command, args) {
	if (process.getuid?.() !== 0) return [command, args];
	return ['runuser', ['-u', 'postgres', '--', command, ...args]];
}

function runChecked(command, args, what) {
	const [cmd, argv] = asDatabaseUser(command, args);
	const result = spawnSync(cmd, argv, { encoding: 'utf8' });
	if (result.status !== 0) {
		throw new Error(`${what} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
	}
	return result.stdout;
}

/**
 * A throwaway PostgreSQL cluster on 127.0.0.1:<port>, trust authentication, owned by the test
 * and removed by stop(). Its folder is under the system's temp folder, where Debian's postgres
 * user (the server's owner when the test runs as root) can reach it.
 */
class PostgresServer {
	constructor({ port }) {
		this.port = port;
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pivotal-postgres-'));
		this.dataDir = path.join(this.dir, 'data');
		this.logFile = path.join(this.dir, 'postgres.log');
	}

	async start() {
		if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', this.dir]);
		runChecked(
			postgresBin('initdb'),
			['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
			'initdb',
		);
		runChecked(
			postgresBin('pg_ctl'),
			[
				'-D',
				this.dataDir,
				'-l',
				this.logFile,
				'-w',
				'-o',
				`-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`,
				'start',
			],
			'pg_ctl start',
		);
		this.started = true;
		runChecked(
			postgresBin('createdb'),
			['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', 'n8n'],
			'createdb',
		);
	}

	/** Runs SQL in n8n's database; returns psql's unaligned output. */
	query(sql) {
		return runChecked(
			postgresBin('psql'),
			[
				'-h',
				'127.0.0.1',
				'-p',
				String(this.port),
				'-U',
				'postgres',
				'-d',
				'n8n',
				'-At',
				'-v',
				'ON_ERROR_STOP=1',
				'-c',
				sql,
			],
			'psql',
		);
	}

	/** What n8n needs to use this cluster. */
	n8nEnv() {
		return {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.port),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
		};
	}

	async stop() {
		if (this.started) {
			this.started = false;
			spawnSync(
				...asDatabaseUser(postgresBin('pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']),
			);
		}
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

/** A Redis server on 127.0.0.1:<port> that keeps nothing on disk, owned by the test. */
class RedisServer {
	constructor({ dir, port }) {
		this.dir = dir;
		this.port = port;
		this.logFile = path.join(dir, 'redis.log');
	}

	async start() {
		fs.mkdirSync(this.dir, { recursive: true });
		const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(fs.existsSync);
		if (!binary) {
			throw new Error(
				'redis-server is not installed (apt-get install redis-server); .ci/run installs it',
			);
		}
		const log = fs.openSync(this.logFile, 'a');
		this.child = spawn(
			binary,
			[
				'--port',
				String(this.port),
				'--bind',
				'127.0.0.1',
				'--save',
				'',
				'--appendonly',
				'no',
				'--dir',
				this.dir,
			],
			{ stdio: ['ignore', log, log] },
		);
		this.exited = new Promise((resolve) => this.child.once('exit', resolve));
		const deadline = Date.now() + 10_000;
		while (Date.now() < deadline) {
			if (await this.ping()) return;
			await sleep(100);
		}
		throw new Error(`redis-server did not answer PING in 10 s; log: ${this.logFile}`);
	}

	ping() {
		return new Promise((resolve) => {
			const socket = net.connect(this.port, '127.0.0.1');
			socket.setTimeout(1000);
			socket.once('connect', () => socket.write('PING\r\n'));
			socket.once('data', (data) => {
				socket.destroy();
				resolve(data.toString().startsWith('+PONG'));
			});
			socket.once('error', () => resolve(false));
			socket.once('timeout', () => {
				socket.destroy();
				resolve(false);
			});
		});
	}

	n8nEnv() {
		return { QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(this.port) };
	}

	async stop() {
		if (!this.child) return;
		const child = this.child;
		this.child = undefined;
		child.kill('SIGTERM');
		await this.exited;
	}
}

module.exports = { PostgresServer, RedisServer };
