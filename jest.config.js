/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// svix ships ES modules only; ts-jest turns them into CommonJS like the tests.
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
		'^.+\\.m?js$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }],
	},
	transformIgnorePatterns: ['/node_modules/(?!svix/)'],
	moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
