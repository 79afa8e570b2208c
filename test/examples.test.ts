import { PivotalTrigger } from '../nodes/Pivotal/PivotalTrigger.node';
import { exists, folders, readText } from './helpers/repository';

const names = folders('examples');
const latestVersion = new PivotalTrigger().description.defaultVersion;

type Node = {
	name: string;
	type: string;
	typeVersion: number;
	credentials?: unknown;
	webhookId?: string;
};
type Workflow = {
	nodes: Node[];
	connections: Record<string, { main: Array<Array<{ node: string }>> }>;
};
const load = (name: string) => JSON.parse(readText(`examples/${name}/workflow.json`)) as Workflow;

describe('examples', () => {
	it('there are at least two, each a workflow with a README', () => {
		expect(names.length).toBeGreaterThanOrEqual(2);
		for (const name of names) {
			expect(exists(`examples/${name}/README.md`)).toBe(true);
			expect(exists(`examples/${name}/workflow.json`)).toBe(true);
		}
	});

	it.each(names)('%s starts with the Pivotal Trigger and uses only n8n built-in nodes', (name) => {
		const { nodes } = load(name);
		const triggers = nodes.filter((node) => node.type === 'n8n-nodes-pivotal.pivotalTrigger');
		expect(triggers).toEqual([
			expect.objectContaining({ name: 'Pivotal Trigger', typeVersion: latestVersion }),
		]);
		for (const node of nodes) {
			if (node !== triggers[0]) expect(node.type).toMatch(/^n8n-nodes-base\./);
		}
	});

	it.each(names)('%s carries no credential or webhook id of ours', (name) => {
		// n8n assigns both on import; a shipped webhook id would collide when imported twice.
		for (const node of load(name).nodes) {
			expect(node.credentials).toBeUndefined();
			expect(node.webhookId).toBeUndefined();
		}
	});

	it.each(names)('%s connects only nodes it has', (name) => {
		const { nodes, connections } = load(name);
		const known = new Set(nodes.map((node) => node.name));
		for (const [from, { main }] of Object.entries(connections)) {
			expect(known).toContain(from);
			for (const to of main.flat()) expect(known).toContain(to.node);
		}
	});

	it.each(names)('%s is imported and run by the end-to-end suite', (name) => {
		const scenarios = readText('test/e2e/scenarios.js');
		expect(scenarios).toContain(`importExample('${name}'`);
	});
});
