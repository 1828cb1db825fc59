// Unit specs live beside the code (src/**/*.spec.ts); integration and e2e suites in test/.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec|int-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    }],
    '/node_modules/(jose|openid-client|oauth4webapi|@fastify/cookie)/.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // jose 6, openid-client 6 and oauth4webapi ship only ES modules, and @fastify/cookie loads cookie
  // with import(): let swc turn them into CommonJS, which jest's runtime can load.
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi|@fastify/cookie)/)'],
  testTimeout: 30000,
  // Two workers (`npm test` passes --maxWorkers=2: the CI machine has two cores), each recycled once it holds more than this
  // after a file: every suite boots Nest apps, and a single long-lived process (--runInBand) keeps
  // each file's module graph alive until the heap nears its limit and garbage collection dominates.
  workerIdleMemoryLimit: '1GB',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
