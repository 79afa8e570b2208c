import packageJson from '../package.json';
import { exists, readText } from './helpers/repository';

const readme = readText('README.md');
// github.com/<owner>/<repo> from package.json: the README's links must follow the placeholder.
const repository = packageJson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const [, owner, repo] = /github\.com\/([^/]+)\/([^/]+)$/.exec(repository) ?? [];

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
	heading
		.toLowerCase()
		.replace(/[^\w\s-]/g, '')
		.replace(/\s/g, '-');

describe('README', () => {
	it('reads in the order an n8n user needs it', () => {
		const sections = [...readme.matchAll(/^## (.+)$/gm)].map(([, heading]) => heading);
		expect(sections).toEqual([
			'Install',
			'Set up',
			'What each delivery gets',
			'Parameters',
			'When a run fails, when n8n stops',
			'Troubleshooting',
			'Guarantees and limits',
			'Compatibility',
			'Try it from a clone',
			'Development',
			'License',
		]);
	});

	it('gives the two commands for a clone on its first screen', () => {
		const firstScreen = readme.split('\n').slice(0, 20).join('\n');
		expect(firstScreen).toMatch(/clone/i);
		expect(firstScreen).toContain('npm install && npm start');
		expect(firstScreen).toContain('npm run test:all');
	});

	it('shows pictures from the repository, which render on the npm page too', () => {
		const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map(([, url]) => url);
		expect(images.length).toBeGreaterThanOrEqual(5);
		const base = `https://raw.githubusercontent.com/${owner}/${repo}/main/`;
		for (const url of images) {
			expect(url.startsWith(base)).toBe(true);
			expect(exists(url.slice(base.length))).toBe(true);
		}
	});

	it('links no file by a relative path, which the npm page cannot follow', () => {
		const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map(([, url]) => url);
		expect(links.filter((url) => !/^(https:\/\/|#)/.test(url))).toEqual([]);
	});

	it("links only headings it has and the repository's files that exist", () => {
		const anchors = new Set(
			[...readme.matchAll(/^#+ (.+)$/gm)].map(([, heading]) => slug(heading)),
		);
		const base = `https://github.com/${owner}/${repo}/`;
		for (const [, url] of readme.matchAll(/\]\(([^)]+)\)/g)) {
			if (url.startsWith('#')) expect(anchors).toContain(url.slice(1));
			if (url.startsWith(base)) {
				const file = url
					.slice(base.length)
					.replace(/^(blob|tree)\/main\//, '')
					.split('#')[0];
				expect(exists(file)).toBe(true);
			}
		}
	});
});

describe('the repository URL', () => {
	// The placeholder is set in package.json; every other place that names it must follow.
	it.each([
		'README.md',
		'CHANGELOG.md',
		'CONTRIBUTING.md',
		'package.json',
		'nodes/Pivotal/PivotalTrigger.node.json',
		'credentials/PivotalWebhookApi.credentials.ts',
	])('%s names only the repository in package.json', (file) => {
		const text = readText(file);
		const named = [
			...text.matchAll(
				/(?:github\.com|raw\.githubusercontent\.com)\/([\w.-]+)\/([\w.-]+?)(?:\.git)?(?=[/#)'"`\s]|$)/g,
			),
		];
		expect(named.length).toBeGreaterThan(0);
		for (const [, who, what] of named) expect(`${who}/${what}`).toBe(`${owner}/${repo}`);
	});
});
