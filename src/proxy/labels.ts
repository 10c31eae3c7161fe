import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import { isObject, type JsonObject, type JsonValue } from './json-strict.js';
import { volumeNamespace } from '../docker/volume-namespace.js';

/**
 * The "managed" label: forced on everything created through the proxy (the worker filters its own
 * objects on it). It alone proves nothing: anyone can put it on an image, and a container inherits
 * its image's labels.
 */
export const OWNER_LABEL = 'cloud.helvetia.managed';
export const OWNER_VALUE = 'true';
export const OWNER_FILTER = `${OWNER_LABEL}=${OWNER_VALUE}`;

/**
 * The ownership proof: `cloud.helvetia.owner=<token>`, a token derived from PROXY_OWNER_SECRET.
 * Forced (over any client value) on everything created through the proxy and required, equal to
 * the token of the object's kind, to touch it later.
 */
export const OWNER_TOKEN_LABEL = 'cloud.helvetia.owner';

/** Which token an object carries: images differ, so a container created from our image elsewhere inherits nothing usable. */
export type OwnerKind = 'object' | 'image';

/**
 * The two tokens derived from PROXY_OWNER_SECRET (HMAC-SHA256, hex). `object` goes on containers,
 * networks and volumes; `image` on images built or committed through the proxy. A container's
 * labels include its image's labels, so with one token for both, any container started from an
 * image the bot built (by anyone, on the raw socket) would count as the bot's. Never logged:
 * JSON and util.inspect show a placeholder.
 */
export class OwnerTokens {
  readonly object: string;
  readonly image: string;
  /** The prefix of the volume names this owner's services may mount (src/docker/volume-namespace.ts). */
  readonly volumeNamespace: string;

  constructor(secret: string) {
    const derive = (purpose: string): string => createHmac('sha256', secret).update(`helvetia proxy owner token v1: ${purpose}`).digest('hex');
    this.object = derive('containers, networks, volumes');
    this.image = derive('images');
    this.volumeNamespace = volumeNamespace(this.object);
    Object.freeze(this);
  }

  /**
   * The labels an object of `kind` created through the proxy carries (and an owned one must show).
   * Images get the token alone: the classic builder turns every forced label into one more build
   * step, and the managed label proves nothing anyway (the worker writes it in the Dockerfile).
   */
  labels(kind: OwnerKind): Record<string, string> {
    return kind === 'image' ? { [OWNER_TOKEN_LABEL]: this.image } : { [OWNER_LABEL]: OWNER_VALUE, [OWNER_TOKEN_LABEL]: this.object };
  }

  /** `label=` filter values that select exactly the owned objects of `kind` (Docker ANDs them). */
  filters(kind: OwnerKind): string[] {
    return Object.entries(this.labels(kind)).map(([k, v]) => `${k}=${v}`);
  }

  /** Returns `labels` with the ownership labels of `kind` set, overriding any value the client sent. */
  withLabels(labels: JsonValue | undefined, kind: OwnerKind): JsonObject {
    const out = Object.create(null) as JsonObject;
    if (isObject(labels)) Object.assign(out, labels);
    return Object.assign(out, this.labels(kind));
  }

  /** True only when `labels` carry every ownership label of `kind` (above all this proxy's token). */
  owns(labels: unknown, kind: OwnerKind): boolean {
    if (typeof labels !== 'object' || labels === null) return false;
    const l = labels as Record<string, unknown>;
    return Object.entries(this.labels(kind)).every(([k, v]) => l[k] === v);
  }

  toJSON(): string {
    return '[owner tokens]';
  }

  [inspect.custom](): string {
    return 'OwnerTokens [redacted]';
  }
}

/** What an ownership refusal says is missing (never the token itself). */
export const ownerLabelHint = (kind: OwnerKind): string =>
  `label ${OWNER_TOKEN_LABEL} of this proxy${kind === 'image' ? ' for images' : ''} missing`;
