/**
 * Group commit for the stores' writes. n8n rewrites a workflow's whole static data after every
 * run that changed it, so when runs are dense only one run per window changes it: that run
 * waits out the window before it hands n8n the stores, and its one save carries every id
 * recorded meanwhile, since all runs of a process share the stores' state. After a quiet
 * window a run saves at once, so sparse traffic keeps one save per event.
 */
export class GroupCommit {
	private lastCommitAt = Number.NEGATIVE_INFINITY;
	private pending = false;

	constructor(
		private readonly windowMs: number,
		private readonly clock: () => number,
		private readonly sleep: (ms: number) => Promise<void>,
	) {}

	/** A run is waiting to hand n8n the stores: their state is not saved yet. */
	get waiting(): boolean {
		return this.pending;
	}

	/**
	 * Called by a run once its ids are recorded: true when this run is to hand n8n the stores
	 * (after waiting for the window, if the last commit was within it), false when a run already
	 * waiting to do so will carry its ids.
	 */
	async join(): Promise<boolean> {
		if (this.pending) return false;
		const wait = this.lastCommitAt + this.windowMs - this.clock();
		if (wait > 0) {
			this.pending = true;
			try {
				await this.sleep(wait);
			} finally {
				this.pending = false;
			}
		}
		this.lastCommitAt = this.clock();
		return true;
	}
}
