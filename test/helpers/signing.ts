/**
 * The end-to-end suite, `npm start` and `send-event` sign with scripts/lib/signing.js; the unit
 * tests sign with the same code, so all of them send what Pivotal sends.
 */
export { newSecret, sampleEvent, signDelivery } from '../../scripts/lib/signing';

export function keyOf(secret: string): Buffer {
	return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}
