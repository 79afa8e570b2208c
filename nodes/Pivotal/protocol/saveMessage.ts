/**
 * The body of the node's save request to its own process (saveRequest.ts), signed with the
 * endpoint's key as a delivery is. A request is a save request exactly when its verified body is
 * these bytes: no header decides it, so a header added to a delivery cannot turn it into a save
 * (and drop it), and a captured save request sent again, with or without any header, only saves
 * again. It carries no event id, so it is never an event.
 */
export const SAVE_MESSAGE = Buffer.from('{"type":"pivotal-trigger.save"}');

export function isSaveMessage(rawBody: Buffer): boolean {
	return rawBody.equals(SAVE_MESSAGE);
}
