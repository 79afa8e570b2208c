/**
 * How long a trigger node's state stays in a process's memory after its last request. Static
 * data holds all of it, so letting it go costs only a fresh read of the store on the next
 * request; an hour is longer than Pivotal's bursts of retries are apart early on.
 */
export const IDLE_RELEASE_SECONDS = 3600;
/** Idle state is looked for at most this often, on a request to any node. */
const SWEEP_EVERY_SECONDS = 60;

/**
 * Per-node state of one process (the stores' in-memory indexes, above all), let go when
 * `isQuiet` says nothing of it is under way or unsaved and either the node's workflow was
 * deactivated (deleting it does that too) or the node has had no request for `idleSeconds`.
 */
export class NodeMemory<T> {
	private readonly held = new Map<string, { value: T; usedAt: number }>();
	private sweptAt = Number.NEGATIVE_INFINITY;

	constructor(
		private readonly idleSeconds: number,
		private readonly isQuiet: (value: T, nowSeconds: number) => boolean,
	) {}

	/** The node's state, made by `create` if the process holds none. */
	of(key: string, nowSeconds: number, create: () => T): T {
		this.sweep(nowSeconds);
		let entry = this.held.get(key);
		if (!entry) {
			entry = { value: create(), usedAt: nowSeconds };
			this.held.set(key, entry);
		}
		entry.usedAt = Math.max(entry.usedAt, nowSeconds);
		return entry.value;
	}

	/** On deactivation: gone now if quiet, else once idle (a run may still be saving it). */
	release(key: string, nowSeconds: number) {
		const entry = this.held.get(key);
		if (entry && this.isQuiet(entry.value, nowSeconds)) this.held.delete(key);
	}

	get size(): number {
		return this.held.size;
	}

	private sweep(nowSeconds: number) {
		if (nowSeconds - this.sweptAt < SWEEP_EVERY_SECONDS) return;
		this.sweptAt = nowSeconds;
		for (const [key, { value, usedAt }] of this.held) {
			if (nowSeconds - usedAt >= this.idleSeconds && this.isQuiet(value, nowSeconds)) {
				this.held.delete(key);
			}
		}
	}
}
