import { createHash } from 'node:crypto';

/**
 * Swarm volumes are node-local, and a manager cannot see the volumes of the node a task lands on:
 * a service may therefore mount only volumes named in its owner's namespace, `hv<16 hex>-…`,
 * derived from the proxy's object owner token (which every object the bot owns shows in its
 * labels, so the worker derives the same prefix). Proxies create no volume in another owner's
 * namespace, so a name there is one this owner's proxies created (labelled), or a new one Swarm
 * creates with the owner labels the proxy forces on the mount.
 */
export const volumeNamespace = (objectToken: string): string =>
  `hv${createHash('sha256').update(`helvetia volume namespace v1\0${objectToken}`).digest('hex').slice(0, 16)}`;

/** A name in some owner's volume namespace. */
export const NAMESPACED_VOLUME = /^hv[0-9a-f]{16}-/;
