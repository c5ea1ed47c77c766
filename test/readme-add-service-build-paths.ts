/**
 * Run inside the copy of the repository that test/readme-add-service.test.ts makes:
 * `node --import tsx test/readme-add-service-build-paths.ts <service>`. Prints, as JSON, where the
 * service's Dockerfile and the build paths its construct declares disagree, by the check
 * test/services/build-paths.test.ts holds every built service to. Its imports are relative, so
 * it reads the copy's constructs, environments and files, not this repository's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workingTree } from '../charts/build-context.ts';
import { findService } from '../constructs/index.ts';
import { REPO_ROOT } from '../constructs/repo-root.ts';
import { afterDockerignore, buildPathProblems } from './helpers/dockerfile-inputs.ts';
import { buildEnvironments } from './helpers/synth.ts';

const name = process.argv[2];
if (name === undefined) throw new Error('usage: readme-add-service-build-paths.ts <service>');
const [environment] = await buildEnvironments();
const build = findService(environment!, name)?.data.build;
if (build === undefined) throw new Error(`environment "${environment!.name}" builds no service "${name}"`);

const dockerignore = join(REPO_ROOT, build.context, '.dockerignore');
const contextFiles = afterDockerignore(workingTree.list(build.context), build.context, existsSync(dockerignore) ? readFileSync(dockerignore, 'utf8') : undefined);
const dockerfile = readFileSync(join(REPO_ROOT, build.context, build.dockerfile), 'utf8');
process.stdout.write(`${JSON.stringify({ build, problems: buildPathProblems(dockerfile, build, contextFiles) })}\n`);
