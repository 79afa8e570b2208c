import { DedupeLedger, STORE_FORMAT_VERSION } from '../nodes/Pivotal/stores/dedupeLedger';
import { isPeerAddress, PEER_LIVENESS_SECONDS } from '../nodes/Pivotal/stores/peers';

const A = 'http://10.0.0.1:5678';
const B = 'http://10.0.0.2:5678';

describe('peers read from the store', () => {
	const now = 1_780_000_000;
	const storedWith = (writers: Record<string, unknown[]>) => ({
		v: STORE_FORMAT_VERSION,
		rev: `${Object.keys(writers)[0]}.1`,
		writers,
		buckets: [],
	});

	it('are only addresses that are a scheme, a host and a port', () => {
		const ledger = new DedupeLedger('self');
		ledger.sync(
			storedWith({
				good: [1, now, B],
				path: [1, now, 'http://10.0.0.4:5678/elsewhere'],
				credentials: [1, now, 'http://user:pass@10.0.0.5:5678'],
				port: [1, now, 'http://10.0.0.6:99999'],
				number: [1, now, 5678],
			}),
			now,
		);
		expect(ledger.peers(now, PEER_LIVENESS_SECONDS)).toEqual([B]);
	});

	it('stay live from a time in the future only as long as from now', () => {
		const ledger = new DedupeLedger('self');
		ledger.sync(storedWith({ ahead: [1, now + 365 * 86_400, B] }), now);
		expect(ledger.peers(now + PEER_LIVENESS_SECONDS, PEER_LIVENESS_SECONDS)).toEqual([B]);
		expect(ledger.peers(now + PEER_LIVENESS_SECONDS + 1, PEER_LIVENESS_SECONDS)).toEqual([]);
	});

	it('are told apart from other values by isPeerAddress', () => {
		for (const address of [A, 'https://[fd00::1]:443', 'http://n8n-webhook-2.internal:5678']) {
			expect(isPeerAddress(address)).toBe(true);
		}
		for (const value of [
			'10.0.0.1:5678',
			'ftp://10.0.0.1:21',
			'http://10.0.0.1',
			'http://10.0.0.1:0',
			'',
			undefined,
		]) {
			expect(isPeerAddress(value)).toBe(false);
		}
	});
});
