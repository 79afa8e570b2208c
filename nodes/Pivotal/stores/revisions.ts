/**
 * A writer's revision, the count of entries it added, and when it grew: a save of its state
 * counts as overwritten only for revisions older than the save grace (see entryLog.ts).
 */
export class Revisions {
	private count = 0;
	/** [when, revision] as the revision grew, oldest first. */
	private readonly times: Array<[number, number]> = [];

	get current(): number {
		return this.count;
	}

	bump(nowSeconds: number) {
		this.count++;
		const last = this.times[this.times.length - 1];
		if (last && last[0] >= nowSeconds) last[1] = this.count;
		else this.times.push([nowSeconds, this.count]);
	}

	/** The newest revision made at or before `atSeconds`; forgets the times it no longer needs. */
	before(atSeconds: number): number {
		const times = this.times;
		while (times.length > 1 && times[1][0] <= atSeconds) times.shift();
		return times.length > 0 && times[0][0] <= atSeconds ? times[0][1] : 0;
	}
}
