import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctorCommand, httpGet } from '../../src/doctor/doctor-command.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { docker } from '../helpers/docker.js';
import { REDIS_URL, TEST_PRIVATE_KEY_PATH } from '../helpers/env.js';
import { GitHubDouble } from '../helpers/github-double.js';
import { startProxyProcess, type ProxyProcess } from '../helpers/proxy-process.js';

/** `helvetia doctor` against real Redis, real dockerd through helvetia proxy, and the GitHub double. */
describe('helvetia doctor', () => {
  const github = new GitHubDouble();
  const prefix = `hvdoctor${randomBytes(3).toString('hex')}`;
  const edge = `${prefix}-edge`;
  let proxy: ProxyProcess;
  let healthz: Server;
  let traefikLike: Server;
  const base = () => ({
    APP_ID: '777', PRIVATE_KEY_PATH: TEST_PRIVATE_KEY_PATH, WEBHOOK_SECRET: 'doctor-webhook-secret', REDIS_URL, PREVIEW_DOMAIN: 'preview.test',
    APP_BASE_URL: `http://127.0.0.1:${(healthz.address() as AddressInfo).port}`, GHE_HOST: github.host, GHE_PROTOCOL: 'http', QUEUE_PREFIX: prefix,
    LOG_SIGNING_KEY: randomBytes(32).toString('hex'), DOCKER_HOST: proxy.dockerHost, EDGE_NETWORK: edge, PROBE_IMAGE: 'helvetia-base:latest', DOCKER_DATA_ROOT: '/',
  });
  const run = async (env: Record<string, string>, overrides: Parameters<typeof doctorCommand>[2] = {}) => {
    let text = '';
    const out = new Writable({ write: (chunk: Buffer, _e, done) => ((text += chunk.toString()), done()) });
    const code = await doctorCommand(env, out, overrides);
    return { code, text };
  };
  /** The host's DNS and Traefik, stood in for on 127.0.0.1 (tests send nothing anywhere else). */
  const localDns = { lookup: async () => '127.0.0.1' };

  beforeAll(async () => {
    await github.start();
    proxy = await startProxyProcess({ EDGE_NETWORK: edge });
    healthz = createServer((req, res) => void res.writeHead(req.url === '/healthz' ? 200 : 404).end());
    // What Traefik answers for a host no router matches.
    traefikLike = createServer((_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n'));
    await Promise.all([healthz, traefikLike].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  });

  afterAll(async () => {
    await proxy?.process.stop();
    healthz?.close();
    traefikLike?.close();
    await docker().getNetwork(edge).remove().catch(() => undefined);
    await github.stop();
  });

  it('names every problem with its fix, and exits 1', async () => {
    const { code, text } = await run(base(), { ...localDns, httpGet: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:80')) });
    expect(code).toBe(1);
    expect(text).toContain('✓ Redis: reachable');
    expect(text).toContain('✓ Redis eviction: maxmemory-policy noeviction');
    expect(text).toMatch(/✓ Docker: tcp:\/\/127\.0\.0\.1:\d+ answers, through helvetia proxy/);
    expect(text).toContain(`✗ Edge network: ${edge} does not exist\n    fix: helvetia start / worker create it`);
    expect(text).toContain('✓ Probe image: helvetia-base:latest present');
    expect(text).toContain('✓ GitHub App: credentials valid: helvetia-double (id 777)');
    expect(text).toMatch(/✗ APP_BASE_URL: .*ECONNREFUSED/);
    expect(text).toContain('✓ Preview DNS: *.preview.test resolves');
    expect(text).toMatch(/✗ Traefik: nothing answers on 127\.0\.0\.1.*\n {4}fix: run Traefik/);
  });

  it('exits 0 when every check passes', async () => {
    const persistent = new PrivateRedis(['--appendonly', 'yes', '--dir', mkdtempSync(join(tmpdir(), 'hvdoctor-'))]);
    await persistent.start();
    try {
      await docker().createNetwork({ Name: edge, Labels: { 'hvtest.tmp': prefix } });
      const traefikPort = (traefikLike.address() as AddressInfo).port;
      const { code, text } = await run({ ...base(), REDIS_URL: persistent.url }, {
        ...localDns,
        httpGet: (url, host) => httpGet(url.replace(/^http:\/\/127\.0\.0\.1\/$/, `http://127.0.0.1:${traefikPort}/`), { host }),
      });
      expect(text).toContain('✓ Redis persistence: appendonly yes');
      expect(text).toContain(`✓ Edge network: ${edge} exists`);
      expect(text).toMatch(/✓ APP_BASE_URL: http:\/\/127\.0\.0\.1:\d+\/healthz answers 200/);
      expect(text).toContain('✓ Traefik: answers for helvetia-doctor.preview.test');
      expect(text).toMatch(/✓ Disk: [\d.]+ GiB free/);
      expect(text.trim().split('\n').at(-1)).toBe('all checks passed');
      expect(code).toBe(0);
    } finally {
      await persistent.stop();
    }
  });
});
