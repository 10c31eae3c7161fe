import { PolicyError } from '../errors.js';
import { list, type Check } from './schema.js';

/** A capability name as dockerd normalizes it: "cap_net_admin" → NET_ADMIN. */
const normalize = (v: string): string => v.toUpperCase().replace(/^CAP_/, '');

/** CapAdd (containers) and CapabilityAdd (services): every entry must be on PROXY_CAP_ADD_ALLOW. */
export const capAdd: Check = list((v, at, ctx) => {
  if (typeof v !== 'string') throw new PolicyError('json-type', `${at} must be a string`);
  if (!ctx.capAddAllow.includes(normalize(v))) {
    throw new PolicyError('cap-add', `${at} adds capability ${v}; allowed: ${ctx.capAddAllow.join(', ') || 'none'}`);
  }
  return v;
});

/**
 * CapabilityDrop of a service must drop ALL: a service runs on every node the scheduler picks, and
 * the allowlist above only means something when the default set is gone first.
 */
export const capDropAll: Check = (v, at, ctx) => {
  const out = list((x, where) => {
    if (typeof x !== 'string') throw new PolicyError('json-type', `${where} must be a string`);
    return x;
  })(v, at, ctx);
  if (!Array.isArray(out) || !out.some((c) => typeof c === 'string' && normalize(c) === 'ALL')) {
    throw new PolicyError('cap-drop', `${at} must contain "ALL" (drop every capability, then add back only from PROXY_CAP_ADD_ALLOW)`);
  }
  return out;
};
