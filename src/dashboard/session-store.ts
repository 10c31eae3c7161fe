import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { safeEqual } from './csrf.js';

/** A signed-in dashboard user, as Redis holds it. The GitHub token never leaves the server. */
export interface Session {
  login: string;
  userId: number;
  /** The user's GitHub access token (ghu_…): only ever sent to GitHub. */
  token: string;
  /** Per-session CSRF token, put into every form. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

/** A pending sign-in: the OAuth `state`, bound to the browser that asked for it. */
interface PendingLogin {
  binding: string;
  at: number;
}

const STATE_TTL_SECONDS = 600;
const random = (): string => randomBytes(32).toString('base64url');
/** Redis keys hold a hash of the id: someone reading Redis cannot ride a session from the key names. */
const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');

/**
 * Server-side dashboard sessions in Redis under `<prefix>:dashboard:`: random 256-bit ids, an
 * absolute expiry (Redis TTL), and one-time OAuth states.
 */
export class SessionStore {
  constructor(private readonly redis: Redis, private readonly prefix: string, readonly ttlMs: number) {}

  private key(kind: 'session' | 'state', id: string): string {
    return `${this.prefix}:dashboard:${kind}:${digest(id)}`;
  }

  /** A fresh session (the id is new at every sign-in: rotation). */
  async create(user: { login: string; userId: number; token: string }, now = Date.now()): Promise<{ id: string; session: Session }> {
    const id = random();
    const session: Session = { ...user, csrf: random(), createdAt: now, expiresAt: now + this.ttlMs };
    await this.redis.set(this.key('session', id), JSON.stringify(session), 'PX', this.ttlMs);
    return { id, session };
  }

  async get(id: string | undefined, now = Date.now()): Promise<Session | undefined> {
    if (!id || id.length > 100) return undefined;
    const raw = await this.redis.get(this.key('session', id));
    if (raw === null) return undefined;
    const session = JSON.parse(raw) as Session;
    return session.expiresAt > now ? session : undefined;
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id && id.length <= 100) await this.redis.del(this.key('session', id));
  }

  /** A one-time OAuth state for a sign-in, bound to a random value the browser keeps in a cookie. */
  async createState(): Promise<{ state: string; binding: string; maxAgeSeconds: number }> {
    const state = random();
    const binding = random();
    await this.redis.set(this.key('state', state), JSON.stringify({ binding, at: Date.now() } satisfies PendingLogin), 'EX', STATE_TTL_SECONDS);
    return { state, binding, maxAgeSeconds: STATE_TTL_SECONDS };
  }

  /** Consumes `state` (whatever the outcome); true only when it exists and belongs to this browser. */
  async consumeState(state: string, binding: string | undefined): Promise<boolean> {
    if (!state || state.length > 100) return false;
    const raw = await this.redis.getdel(this.key('state', state));
    if (raw === null || !binding) return false;
    const pending = JSON.parse(raw) as PendingLogin;
    return safeEqual(pending.binding, binding);
  }
}
