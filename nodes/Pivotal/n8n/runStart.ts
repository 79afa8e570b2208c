/**
 * When a run has started, for an answer that must wait for it. n8n 1.x answers "When Received"
 * before it has written the execution (its two inserts come after the answer), so a crash right
 * after the 2xx can leave no execution, or one without its data, which cannot be retried. A run
 * starts only once both are written, so the answer waits for the run's first step.
 */
export class RunStarts {
	private readonly expected = new Map<string, () => void>();
	private readonly started = new Map<string, Promise<void>>();

	constructor(private readonly sleep: (ms: number) => Promise<void>) {}

	/** Before n8n gets the run: its start (`begin`) is to be waited for. */
	expect(key: string) {
		this.started.set(
			key,
			new Promise<void>((resolve) => {
				this.expected.set(key, resolve);
			}),
		);
	}

	/** The run's first step: its execution exists. */
	begin(key: string) {
		this.expected.get(key)?.();
		this.expected.delete(key);
	}

	/**
	 * Resolves true once the run has started, false after `timeoutMs` without it (a run that
	 * started elsewhere, say); either way the key is forgotten.
	 */
	async wait(key: string, timeoutMs: number): Promise<boolean> {
		const started = this.started.get(key);
		if (!started) return true;
		try {
			return await Promise.race([
				started.then(() => true),
				this.sleep(timeoutMs).then(() => false),
			]);
		} finally {
			this.forget(key);
		}
	}

	/** No run is coming (n8n could not start it). */
	forget(key: string) {
		this.expected.delete(key);
		this.started.delete(key);
	}

	get waiting(): number {
		return this.started.size;
	}
}
