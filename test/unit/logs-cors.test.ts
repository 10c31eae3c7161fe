import express from 'express';
import { describe, expect, it } from 'vitest';
import { corsMiddleware, originGate, sseCorsHeaders } from '../../src/logs/cors-policy.js';
import { createGetSafeOrigin } from '../../src/logs/origins.js';

const allowed = ['https://app.example.com', 'http://localhost:3000'];
const getSafeOrigin = createGetSafeOrigin(allowed);

describe('getSafeOrigin', () => {
  it('returns whitelisted origins exactly', () => {
    expect(getSafeOrigin('https://app.example.com')).toBe('https://app.example.com');
    expect(getSafeOrigin('http://localhost:3000')).toBe('http://localhost:3000');
  });

  it.each([
    'https://evil.example.com',
    'https://app.example.com.evil.com',
    'https://APP.example.com',
    'http://app.example.com',
    'https://app.example.com:443',
    'null',
    '*',
    '',
  ])('refuses %j', (origin) => {
    expect(getSafeOrigin(origin)).toBeUndefined();
  });

  it('refuses everything when no origin is configured and ignores a configured wildcard', () => {
    expect(createGetSafeOrigin([])('https://app.example.com')).toBeUndefined();
    expect(createGetSafeOrigin(['*'])('https://app.example.com')).toBeUndefined();
    expect(getSafeOrigin(undefined)).toBeUndefined();
  });

  it('SSE headers come from getSafeOrigin: the allowed origin with credentials, otherwise only Vary', () => {
    expect(sseCorsHeaders(getSafeOrigin, 'https://app.example.com')).toEqual({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin',
    });
    expect(sseCorsHeaders(getSafeOrigin, 'https://evil.example.com')).toEqual({ Vary: 'Origin' });
    expect(sseCorsHeaders(getSafeOrigin, undefined)).toEqual({ Vary: 'Origin' });
  });
});

describe('cors middleware and origin gate', () => {
  const app = express();
  app.use(originGate(getSafeOrigin), corsMiddleware(getSafeOrigin));
  app.get('/x', (_req, res) => {
    res.send('secret log');
  });

  async function call(origin: string | undefined, method = 'GET'): Promise<Response> {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      const headers: Record<string, string> = origin ? { Origin: origin } : {};
      if (method === 'OPTIONS') headers['Access-Control-Request-Method'] = 'GET';
      const res = await fetch(`http://127.0.0.1:${port}/x`, { method, headers });
      await res.clone().text();
      return res;
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  it('allows an allowed origin with credentials and Vary: Origin', async () => {
    for (const origin of allowed) {
      const res = await call(origin);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('refuses a disallowed origin with 403 and no log content, without reflecting it', async () => {
    const res = await call('https://evil.example.com');
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('secret log');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('refuses a disallowed preflight and answers an allowed one', async () => {
    expect((await call('https://evil.example.com', 'OPTIONS')).status).toBe(403);
    const ok = await call('https://app.example.com', 'OPTIONS');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-origin')).not.toBe('*');
  });

  it('allows requests without Origin and sends no CORS grant', async () => {
    const res = await call(undefined);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('secret log');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
