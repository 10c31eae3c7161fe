import { PolicyError, UpstreamError } from './errors.js';
import { ownerLabelHint, type OwnerKind, type OwnerTokens } from './labels.js';
import type { Refs } from './body-policy/schema.js';
import type { Upstream } from './upstream.js';
import { getJson } from './upstream-json.js';
import { OwnedIds } from './owned-ids.js';

/** Docker object names and IDs (containers, networks, volumes); anything else never reaches an inspect. */
const OBJECT_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Image references: name[:tag][@digest] with registry and path components. */
const IMAGE_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.\-/:@]*$/;

type Inspected = Record<string, unknown> & { Id?: string; Name?: string; Driver?: string; Labels?: unknown; Config?: { Labels?: unknown } };

/** A container as the update rule sees it. */
export interface ContainerFacts {
  id: string;
  owned: boolean;
  /** Creation time (ms since the epoch; NaN if dockerd did not say). */
  created: number;
  /** HostConfig.Memory (0: unlimited). */
  memory: number;
  /** HostConfig.PidsLimit (0 or negative: unlimited). */
  pidsLimit: number;
}

const ref = (kind: string, value: string, pattern: RegExp): string => {
  if (!pattern.test(value) || value.includes('..')) throw new PolicyError('object-ref', `${JSON.stringify(value)} is not a valid ${kind} reference`);
  return value;
};
const message = (body: unknown, fallback: string): string =>
  typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : fallback;

/**
 * Ownership checks against the daemon: an object may be touched only when it carries
 * cloud.helvetia.managed=true and cloud.helvetia.owner=<this proxy's token of its kind>: the
 * object token for containers, networks and volumes, the image token for images. A container
 * shows its image's labels too, so a container created elsewhere from an image we built carries
 * the image token, not the object token: it is not ours. Checks resolve names to immutable IDs so
 * the forwarded request acts on exactly the object that was checked. A missing object answers
 * dockerd's own 404.
 */
export class Ownership {
  constructor(
    private readonly upstream: Upstream,
    private readonly owner: OwnerTokens,
    private readonly allowedNetworks: readonly string[],
    /**
     * Drivers of networks containers may join: bridge; with PROXY_PROFILE=swarm also (attachable)
     * overlay. By ID, the host or none network would pass as "user-defined" otherwise.
     */
    private readonly containerDrivers: readonly string[] = ['bridge'],
    /** Full IDs already known to be ours: a request naming one skips the inspect. */
    readonly owned = new OwnedIds(),
  ) {}

  private async inspect(kind: string, path: string, name: string): Promise<Inspected> {
    const { status, body } = await getJson(this.upstream, path);
    if (status === 404) throw new PolicyError('not-found', message(body, `No such ${kind}: ${name}`), 404);
    if (status !== 200 || typeof body !== 'object' || body === null) {
      throw new UpstreamError(`inspecting ${kind} ${name} failed (${status}): ${message(body, 'no details')}`);
    }
    return body as Inspected;
  }

  private notOwned(what: string, name: string, kind: OwnerKind = 'object'): never {
    throw new PolicyError('not-owned', `${what} ${name} is not managed by helvetia (${ownerLabelHint(kind)})`);
  }

  /** Returns the container's full ID if it is ours. */
  async container(name: string): Promise<string> {
    if (this.owned.has(name)) return name;
    const info = await this.containerInfo(name);
    if (!info.owned) this.notOwned('container', name);
    // Only an ID that just passed the owner-token check is remembered.
    this.owned.add(info.id);
    return info.id;
  }

  /** What the update rule needs of any container, owned or not (404 if it does not exist). */
  async containerInfo(name: string): Promise<ContainerFacts> {
    const info = await this.inspect('container', `/containers/${ref('container', name, OBJECT_REF)}/json`, name);
    const host = (typeof info.HostConfig === 'object' && info.HostConfig !== null ? info.HostConfig : {}) as Record<string, unknown>;
    const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
    return {
      id: String(info.Id),
      owned: this.owner.owns(info.Config?.Labels, 'object'),
      created: typeof info.Created === 'string' ? Date.parse(info.Created) : Number.NaN,
      memory: num(host.Memory),
      pidsLimit: num(host.PidsLimit),
    };
  }

  async volume(name: string): Promise<string> {
    const info = await this.inspect('volume', `/volumes/${ref('volume', name, OBJECT_REF)}`, name);
    if (!this.owner.owns(info.Labels, 'object')) this.notOwned('volume', name);
    return String(info.Name);
  }

  /** A network the proxy may attach owned containers (or services: overlays) to: ours, or named in PROXY_ALLOWED_NETWORKS. */
  async network(name: string, mode: 'use' | 'own', drivers: readonly string[] = this.containerDrivers): Promise<string> {
    const info = await this.inspect('network', `/networks/${ref('network', name, OBJECT_REF)}`, name);
    if (typeof info.Driver !== 'string' || !drivers.includes(info.Driver)) {
      throw new PolicyError('network-driver', `network ${name} uses driver ${String(info.Driver)}; only ${drivers.join(' or ')} networks can be joined`);
    }
    const allowed = mode === 'use' && typeof info.Name === 'string' && this.allowedNetworks.includes(info.Name);
    if (!allowed && !this.owner.owns(info.Labels, 'object')) {
      throw new PolicyError('not-owned', `network ${name} is neither managed by helvetia nor in PROXY_ALLOWED_NETWORKS (${this.allowedNetworks.join(', ') || 'empty'})`);
    }
    return String(info.Id);
  }

  /** Returns the service's ID if its labels carry this proxy's token (services are "object" kind). */
  async service(name: string): Promise<string> {
    const info = await this.inspect('service', `/services/${ref('service', name, OBJECT_REF)}`, name);
    const spec = (typeof info.Spec === 'object' && info.Spec !== null ? info.Spec : {}) as { Labels?: unknown };
    if (!this.owner.owns(spec.Labels, 'object')) this.notOwned('service', name);
    return String(info.ID);
  }

  /** A task belongs to its service: readable only when that service is ours. */
  async task(id: string): Promise<string> {
    const info = await this.inspect('task', `/tasks/${ref('task', id, OBJECT_REF)}`, id);
    const service = String(info.ServiceID ?? '');
    try {
      await this.service(service);
    } catch (error) {
      // A task of a removed service, or of one that is not ours: the same refusal either way.
      if (error instanceof PolicyError) this.notOwned('task', id);
      throw error;
    }
    return String(info.ID);
  }

  async image(name: string): Promise<void> {
    const info = await this.inspect('image', `/images/${ref('image', name, IMAGE_REF)}/json`, name);
    if (!this.owner.owns(info.Config?.Labels, 'image')) this.notOwned('image', name, 'image');
  }

  /** An exec instance belongs to the container it runs in. */
  async exec(id: string): Promise<void> {
    const info = await this.inspect('exec instance', `/exec/${ref('exec', id, OBJECT_REF)}/json`, id);
    await this.container(String(info.ContainerID ?? ''));
  }

  /** A tag the request would write must be unused or already name one of our images. */
  async freeOrOwnedTag(name: string): Promise<void> {
    const { status, body } = await getJson(this.upstream, `/images/${ref('image', name, IMAGE_REF)}/json`);
    if (status === 404) return;
    if (status !== 200) throw new UpstreamError(`inspecting image ${name} failed (${status}): ${message(body, 'no details')}`);
    if (!this.owner.owns((body as Inspected).Config?.Labels, 'image')) {
      throw new PolicyError('image-tag', `${name} already names an image not managed by helvetia; the proxy will not re-point it`);
    }
  }

  /** Checks every object a create/connect body refers to. */
  async refs(refs: Refs): Promise<void> {
    await Promise.all([
      ...[...refs.containers].map((c) => this.container(c)),
      ...[...refs.volumes].map((v) => this.volume(v)),
      ...[...refs.networks].map((n) => this.network(n, 'use')),
      ...[...refs.overlays].map((n) => this.network(n, 'use', ['overlay'])),
    ]);
  }
}
