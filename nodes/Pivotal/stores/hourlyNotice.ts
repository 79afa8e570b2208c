import { BUCKET_SECONDS } from './storedState';

/** A warning worth repeating, but not for every delivery: due at most once an hour. */
export class HourlyNotice {
	private givenAt = Number.NEGATIVE_INFINITY;

	due(nowSeconds: number): boolean {
		if (nowSeconds - this.givenAt < BUCKET_SECONDS) return false;
		this.givenAt = nowSeconds;
		return true;
	}
}
