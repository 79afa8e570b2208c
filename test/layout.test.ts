import { exists, filesUnder, readText } from './helpers/repository';

const NODE = 'nodes/Pivotal';
/** The node's parts, lowest first: a file may import its own part or a lower one, never a higher. */
const PARTS = ['protocol', 'stores', 'delivery', 'n8n'] as const;
const TOP = PARTS.length;

const sources = filesUnder(NODE, '.ts');

function partOf(file: string): number {
	const [folder, ...rest] = file.slice(NODE.length + 1).split('/');
	if (rest.length === 0) return TOP;
	const part = PARTS.indexOf(folder as (typeof PARTS)[number]);
	if (part < 0 || rest.length > 1) throw new Error(`${file} is outside the node's parts`);
	return part;
}

/** The node's own files a source imports, by path from the repository root. */
function importsOf(file: string): string[] {
	const dir = file.slice(0, file.lastIndexOf('/'));
	return [...readText(file).matchAll(/from '(\.{1,2}\/[^']+)'/g)].map(([, target]) => {
		const parts = `${dir}/${target}`.split('/');
		const resolved: string[] = [];
		for (const part of parts) {
			if (part === '..') resolved.pop();
			else if (part !== '.') resolved.push(part);
		}
		const path = resolved.join('/');
		return path.endsWith('.json') ? path : `${path}.ts`;
	});
}

describe("the node's layout", () => {
	it('puts every source in a part, each part with a page saying what it owns and may import', () => {
		expect(sources.length).toBeGreaterThan(20);
		for (const file of sources) expect(() => partOf(file)).not.toThrow();
		for (const part of PARTS) expect(exists(`${NODE}/${part}/README.md`)).toBe(true);
	});

	it('has imports that only point down the parts: protocol, stores, delivery, n8n, the node', () => {
		const upward = sources.flatMap((file) =>
			importsOf(file)
				.filter((target) => target.endsWith('.ts') && partOf(target) > partOf(file))
				.map((target) => `${file} -> ${target}`),
		);
		expect(upward).toEqual([]);
	});

	it('has no import cycle between its files', () => {
		const graph = new Map(sources.map((file) => [file, importsOf(file)]));
		const state = new Map<string, 'open' | 'done'>();
		const cycles: string[] = [];
		const visit = (file: string, path: string[]) => {
			if (state.get(file) === 'done') return;
			if (state.get(file) === 'open') {
				cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
				return;
			}
			state.set(file, 'open');
			for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
			state.set(file, 'done');
		};
		for (const file of sources) visit(file, []);
		expect(cycles).toEqual([]);
	});
});
