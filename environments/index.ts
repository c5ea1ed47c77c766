/**
 * The environment files `npm run synth` renders, in this order. Each default-exports a function
 * that builds one StackEnvironment under the scope it is given.
 */
export const ENVIRONMENT_FILES = ['environments/development.ts', 'environments/staging.ts', 'environments/production.ts'];
