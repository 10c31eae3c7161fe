import { Router } from 'express';
import type { Logger } from '../logger.js';
import type { Keyring } from './keyring.js';
import { SEAL_KEY_PATH } from './sealed-format.js';
import { encodeKey } from './sealing.js';


type Lookup = (owner: string, repo: string) => Promise<{ id: number; fullName: string }>;

/** How many repository look-ups (GitHub calls) the public endpoint makes a minute, at most. */
const LOOKUPS_PER_MINUTE = 30;
const CACHE_MS = 10 * 60_000;

/**
 * GET /.well-known/helvetia-seal-key: the public sealing key, so a developer seals on a laptop
 * with nothing but this URL. `?repository=owner/name` adds that repository's id (what a sealed
 * value is bound to), only for repositories this app is installed on; look-ups are cached and
 * rate-limited, since the endpoint needs no sign-in.
 */
export function createSealKeyRouter(deps: { keyring?: Keyring; lookup: Lookup; logger: Logger }): Router {
  const router = Router();
  const cache = new Map<string, { at: number; answer: { id: number; full_name: string } | null }>();
  let window = { start: 0, count: 0 };
  router.get(SEAL_KEY_PATH, async (req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (!deps.keyring) return void res.status(404).json({ error: 'this server has no sealing key (SEAL_PRIVATE_KEY is not set)' });
    const body: Record<string, unknown> = {
      keyId: deps.keyring.current.id,
      publicKey: await encodeKey(deps.keyring.current.publicKey),
      algorithm: 'libsodium crypto_box_seal (X25519, XSalsa20-Poly1305)',
      format: 'sealed:v1:<keyId>:<base64url>',
    };
    const wanted = typeof req.query.repository === 'string' ? req.query.repository : undefined;
    if (wanted === undefined) return void res.json(body);
    const match = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/.exec(wanted);
    if (!match) return void res.status(400).json({ error: 'repository must be owner/name' });
    const key = wanted.toLowerCase();
    let cached = cache.get(key);
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      if (Date.now() - window.start > 60_000) window = { start: Date.now(), count: 0 };
      if (++window.count > LOOKUPS_PER_MINUTE) return void res.status(429).json({ error: 'too many repository look-ups; try again in a minute' });
      try {
        const found = await deps.lookup(match[1]!, match[2]!);
        cached = { at: Date.now(), answer: { id: found.id, full_name: found.fullName } };
      } catch (error) {
        if ((error as { status?: number }).status !== 404) {
          deps.logger.warn({ err: error }, 'repository look-up for sealing failed');
          return void res.status(502).json({ error: 'GitHub did not answer the repository look-up' });
        }
        cached = { at: Date.now(), answer: null };
      }
      if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
      cache.set(key, cached);
    }
    if (!cached.answer) return void res.status(404).json({ error: `this app is not installed on ${wanted}` });
    res.json({ ...body, repository: cached.answer });
  });
  return router;
}
