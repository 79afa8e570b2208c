import type { LogLine } from '../nodes/Pivotal/delivery/outcome';
import type { NodeStores } from '../nodes/Pivotal/n8n/nodeStores';
import { settleOnAnswer } from '../nodes/Pivotal/n8n/settlement';
import { DedupeLedger } from '../nodes/Pivotal/stores/dedupeLedger';

const NOW = 1_780_000_000;
const EVENT = 'evt_settled';

/** A node's stores with EVENT claimed, as webhook() leaves them when n8n is about to answer. */
function claimed() {
	const ledger = new DedupeLedger('settlement');
	expect(ledger.claim(EVENT, NOW, 3600)).toBe('new');
	const stores = {
		dedupe: { ledger, stored: undefined, save: () => {}, keepAside: () => {} },
	} as unknown as NodeStores;
	return { ledger, stores };
}

function answered(
	overrides: Partial<Parameters<typeof settleOnAnswer>[0]> & { stores: NodeStores },
) {
	const log: LogLine[] = [];
	const saves: string[] = [];
	const answer = settleOnAnswer({
		acknowledge: 'onReceipt',
		n8nStatus: 200,
		claimedId: EVENT,
		heldVersion: undefined,
		routed: false,
		firstSave: false,
		log: (lines) => log.push(...lines),
		nowSeconds: () => NOW,
		save: async () => {
			saves.push('save');
		},
		...overrides,
	});
	return { answer, log, saves };
}

describe('settleOnAnswer: what the sender gets once n8n answers, and what becomes of the claim', () => {
	it('frees the id and tells the sender to retry when n8n did not answer 2xx, saving nothing', () => {
		const { ledger, stores } = claimed();
		let forgotten = false;
		const { answer, log, saves } = answered({
			stores,
			n8nStatus: 500,
			forgetRun: () => {
				forgotten = true;
			},
		});
		expect(answer).toMatchObject({ safe: false, httpStatus: 500, body: { status: 'failed' } });
		expect(ledger.claim(EVENT, NOW, 3600)).toBe('new');
		expect(forgotten).toBe(true);
		expect(saves).toEqual([]);
		expect(log).toEqual([{ level: 'warn', message: expect.stringContaining('answered 500') }]);
	});

	it('with When the Workflow Succeeds, records the id and holds the 2xx until its save is done', async () => {
		const { ledger, stores } = claimed();
		const { answer, saves } = answered({ stores, acknowledge: 'onSuccess' });
		expect(answer).toMatchObject({ safe: true, httpStatus: 200, body: { status: 'accepted' } });
		expect(ledger.has(EVENT)).toBe(true);
		await answer.after;
		expect(saves).toEqual(['save']);
	});

	it('with When Received, leaves the save to the run, unless the run turns out to be elsewhere', async () => {
		for (const elsewhere of [false, true]) {
			const { ledger, stores } = claimed();
			let checked: Promise<boolean> | undefined;
			const { answer, saves } = answered({
				stores,
				runElsewhere: () => (checked = Promise.resolve(elsewhere)),
			});
			expect(answer).toMatchObject({ httpStatus: 200, body: { status: 'accepted' } });
			expect(ledger.has(EVENT)).toBe(true);
			await checked;
			await Promise.resolve();
			expect(saves).toEqual(elsewhere ? ['save'] : []);
		}
	});

	it('saves at once where only this process can: with Route by Event ID, or a first store', () => {
		for (const flags of [{ routed: true }, { firstSave: true }]) {
			const { stores } = claimed();
			const { saves } = answered({ stores, ...flags });
			expect(saves).toEqual(['save']);
		}
	});

	it('where n8n answers before the execution exists, keeps the claim until the run starts, then records it', async () => {
		const { ledger, stores } = claimed();
		let start: (inTime: boolean) => void = () => {};
		const { answer, log } = answered({
			stores,
			runStart: { wait: () => new Promise((resolve) => (start = resolve)), forget: () => {} },
		});
		expect(ledger.claim(EVENT, NOW, 3600)).toBe('in-progress');
		start(false);
		await answer.after;
		expect(ledger.claim(EVENT, NOW, 3600)).toBe('duplicate');
		expect(log).toEqual([
			{ level: 'warn', message: expect.stringContaining('had not started 2000 ms after') },
		]);
	});
});
