import { randomBytes } from 'node:crypto';

import {
	CLAIM_FIELD,
	openClaim,
	sealClaim,
	withoutInternalFields,
} from '../nodes/Pivotal/delivery/runClaim';
import { VersionLedger } from '../nodes/Pivotal/stores/versionLedger';
import { newSecret, sampleEvent, signDelivery } from './helpers/signing';
import { newInstance, serve } from './helpers/webhookContext';

describe('the claim a run carries from webhook() to execute()', () => {
	const key = randomBytes(32);

	it('opens with the key that sealed it, or with any of the keys given (a rotation)', () => {
		const sealed = sealClaim(key, { eventId: 'evt_1', version: 'abc' });
		expect(openClaim([key], sealed)).toEqual({ eventId: 'evt_1', version: 'abc' });
		expect(openClaim([randomBytes(32), key], sealed)).toEqual({ eventId: 'evt_1', version: 'abc' });
		expect(openClaim([key], sealClaim(key, { eventId: 'evt_2' }))).toEqual({ eventId: 'evt_2' });
	});

	it('does not open for another key, a changed id or version, or something else', () => {
		const sealed = sealClaim(key, { eventId: 'evt_1', version: 'abc' });
		expect(openClaim([randomBytes(32)], sealed)).toBeUndefined();
		expect(openClaim([key], { ...sealed, eventId: 'evt_other' })).toBeUndefined();
		expect(openClaim([key], { ...sealed, version: 'abd' })).toBeUndefined();
		expect(openClaim([key], { eventId: 'evt_1' })).toBeUndefined();
		for (const other of [undefined, null, 'evt_1', 42, [], { eventId: 1, tag: 'x' }]) {
			expect(openClaim([key], other)).toBeUndefined();
		}
	});

	it("leaves an item's other fields alone and drops the node's own", () => {
		const item = { id: 'x', [CLAIM_FIELD]: {}, __pivotalTriggerEventId: 'evt_1', __other: 1 };
		expect(withoutInternalFields(item)).toEqual({ id: 'x', __other: 1 });
		const plain = { id: 'y' };
		expect(withoutInternalFields(plain)).toBe(plain);
	});
});

describe('a run records only what its webhook() claimed', () => {
	it('an event whose object carries a claim field of its own gets it dropped; the real id is recorded', async () => {
		const instance = newInstance(
			{ signingSecret: newSecret() },
			{ events: '*', options: { output: 'object' } },
		);
		const secret = instance.credentials.signingSecret as string;
		const planted = { eventId: 'evt_not_yet_sent', tag: 'AAAA' };
		const event = sampleEvent({
			object: { id: 'inv_1', [CLAIM_FIELD]: planted, __pivotalTriggerEventId: 'evt_not_yet_sent' },
		});
		const first = await serve(instance, signDelivery(JSON.stringify(event), { secret }));
		expect(first.output).toEqual([{ json: { id: 'inv_1' } }]);
		const later = sampleEvent({ id: 'evt_not_yet_sent' });
		const second = await serve(instance, signDelivery(JSON.stringify(later), { secret }));
		expect(second.response.body).toEqual({ status: 'accepted' });
		const again = await serve(instance, signDelivery(JSON.stringify(event), { secret }));
		expect(again.response.body).toEqual({ status: 'duplicate' });
	});

	it('a planted object version moves no object forward (Skip Out-of-Order Events)', async () => {
		const instance = newInstance(
			{ signingSecret: newSecret() },
			{ events: '*', options: { output: 'object', skipStale: true } },
		);
		const secret = instance.credentials.signingSecret as string;
		// The year 2100 for customer cus_1, as the node's own field would carry it.
		const farFuture = VersionLedger.entryOf(
			'cus_1',
			(4_102_444_800_000).toString(36).padStart(13, '0'),
		);
		// No updated_at: the event cannot be ordered, so the node holds no version of its own for it.
		const planted = sampleEvent({
			object: { id: 'inv_2', __pivotalTriggerObjectVersion: farFuture },
		});
		await serve(instance, signDelivery(JSON.stringify(planted), { secret }));
		const customer = sampleEvent({
			type: 'customer.updated',
			object: { id: 'cus_1', updated_at: '2026-12-01T10:00:00Z' },
		});
		const answer = await serve(instance, signDelivery(JSON.stringify(customer), { secret }));
		expect(answer.response.body).toEqual({ status: 'accepted' });
	});
});
