import { checkBuildQuery } from '../body-policy/build-query.js';
import { checkCommitConfig } from '../body-policy/container-create.js';
import { checkImageName, checkImagePull, checkPushTarget, targetReference } from '../body-policy/image.js';
import { PolicyError } from '../errors.js';
import { queryOne } from '../query.js';
import { NONE, STREAM, ownedFilter, param, pass, pick, planOf, policyContext } from './common.js';
import { NAME, path, type Authorize, type Route } from './types.js';

const build: Authorize = async (input) => {
  const plan = checkBuildQuery(input.target.query, input.config.owner);
  for (const t of plan.tags) checkImageName(t, input.config);
  await Promise.all(plan.tags.map((t) => input.ownership.freeOrOwnedTag(t)));
  // The builder gives every step container the build's memory limit: a recorded step must show it.
  const memory = Number(queryOne(plan.query, 'memory') ?? 0);
  const observe = input.buildSteps.track({ memory: Number.isSafeInteger(memory) ? memory : -1 });
  return planOf(input, STREAM, { query: plan.query, observe });
};

const pull: Authorize = async (input) => planOf(input, NONE, { query: checkImagePull(input.target.query) });

const tag: Authorize = async (input) => {
  const target = targetReference(input.target.query);
  if (target === null) throw new PolicyError('image-tag', 'repo is required');
  checkImageName(target, input.config);
  await input.ownership.freeOrOwnedTag(target);
  return planOf(input, NONE, { query: pick(input.target.query, ['repo', 'tag']) });
};

/**
 * Push: an owned image, only to REGISTRY_URL (builder workers feed the cluster's registry). The
 * reference checked is the one pushed (name:tag when a tag is given), never just the bare name.
 */
const push: Authorize = async (input) => {
  const name = param(input, 0);
  const tagged = queryOne(input.target.query, 'tag');
  checkPushTarget(name, input.config);
  await input.ownership.image(tagged ? `${name}:${tagged}` : name);
  return planOf(input, NONE, { query: tagged ? [['tag', tagged]] : [] });
};

const ownedImage: Authorize = async (input) => {
  await input.ownership.image(param(input, 0));
  return planOf(input);
};

const commit: Authorize = async (input) => {
  const container = queryOne(input.target.query, 'container');
  if (!container) throw new PolicyError('commit', 'container is required');
  const id = await input.ownership.container(container);
  const target = targetReference(input.target.query);
  if (target !== null) await input.ownership.freeOrOwnedTag(checkImageName(target, input.config));
  const value = checkCommitConfig(await input.readJson(), policyContext(input));
  const query = pick(input.target.query, ['repo', 'tag', 'comment', 'author', 'pause', 'changes']);
  return planOf(input, { kind: 'json', value }, { query: [['container', id], ...query] });
};

const I = '/images/' + NAME;

export const imageRoutes: Route[] = [
  { name: 'images.list', section: 'IMAGES', methods: ['GET'], pattern: path('/images/json'), authorize: ownedFilter(['all', 'digests', 'shared-size', 'manifests'], 'image') },
  { name: 'images.pull', section: 'IMAGES', methods: ['POST'], pattern: path('/images/create'), authorize: pull },
  { name: 'images.prune', section: 'IMAGES', methods: ['POST'], pattern: path('/images/prune'), authorize: ownedFilter([], 'image') },
  // Inspect stays open: the worker checks whether a service image is present before pulling it.
  { name: 'images.inspect', section: 'IMAGES', methods: ['GET'], pattern: path(`${I}/(?:json|history)`), authorize: pass },
  { name: 'images.tag', section: 'IMAGES', methods: ['POST'], pattern: path(`${I}/tag`), authorize: tag },
  { name: 'images.push', section: 'IMAGES', methods: ['POST'], pattern: path(`${I}/push`), authorize: push },
  { name: 'images.remove', section: 'IMAGES', methods: ['DELETE'], pattern: path(I), authorize: ownedImage },
  { name: 'build', section: 'BUILD', methods: ['POST'], pattern: path('/build'), authorize: build },
  { name: 'commit', section: 'COMMIT', methods: ['POST'], pattern: path('/commit'), authorize: commit },
];
