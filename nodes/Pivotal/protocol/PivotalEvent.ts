/**
 * A Pivotal webhook event as it is delivered: Pivotal may add fields to the envelope, so the
 * index signature keeps them. Pivotal's own advice is to trust `data.object` over event order.
 */
export interface PivotalEvent<TObject = Record<string, unknown>> {
	id: string;
	type: string;
	data: {
		object: TObject;
		[field: string]: unknown;
	};
	[field: string]: unknown;
}

/** Added to the output under `_delivery` when the node's "Include Delivery Metadata" is on. */
export interface PivotalDeliveryMetadata {
	messageId: string;
	/** When the sender signed the delivery (ISO 8601). */
	signedAt: string;
	/** When this n8n received it (ISO 8601). */
	receivedAt: string;
}
