import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config/load-config.js';

const ROOT = new URL('../../', import.meta.url);
/** The one proxy variable .env.example carries: docker-compose.yml hands it to both proxies from .env. */
const PROXY_FROM_ENV = ['PROXY_OWNER_SECRET'];

/** A checkout after the README's first step: docker-compose.yml beside `cp .env.example .env`. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hvcompose-'));
  copyFileSync(new URL('docker-compose.yml', ROOT), join(dir, 'docker-compose.yml'));
  copyFileSync(new URL('.env.example', ROOT), join(dir, '.env'));
  return dir;
}

describe('the files a newcomer starts from', () => {
  it('.env.example lists every variable loadConfig reads, and nothing it does not', () => {
    const example = readFileSync(new URL('.env.example', ROOT), 'utf8');
    const listed = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!).sort();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual([...CONFIG_VARIABLES(), ...PROXY_FROM_ENV].sort());
  });

  it('docker-compose config (Debian docker-compose) parses docker-compose.yml; every service has an image, networks and a health check or a reason', () => {
    const rendered = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      cwd: checkout(), encoding: 'utf8', env: { PATH: process.env.PATH, PROXY_OWNER_SECRET: 'x'.repeat(64) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const compose = parse(rendered) as { services: Record<string, { image?: string; build?: unknown; networks?: unknown; healthcheck?: { test?: unknown; disable?: boolean }; environment?: Record<string, string>; env_file?: unknown }> };
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'docker-proxy', 'redis', 'traefik', 'traefik-docker-proxy', 'worker']);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, name).toBeDefined();
      expect(service.networks, name).toBeDefined();
      // The app's health check is its image's (Dockerfile HEALTHCHECK); the worker's is switched off on purpose.
      if (name === 'worker') expect(service.healthcheck?.test).toEqual(['NONE']);
      else if (name !== 'app') expect(service.healthcheck?.test, name).toBeDefined();
    }
    expect(readFileSync(new URL('Dockerfile', ROOT), 'utf8')).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/healthz/m);
    expect(compose.services['docker-proxy']!.environment!.PROXY_OWNER_SECRET).toBe('x'.repeat(64));
    expect(String(compose.services.worker!.environment!.WORKER_METRICS_PORT)).toBe('9464');
    // env_file .env is inlined by `config`: the app and worker get every variable of .env.
    for (const role of ['app', 'worker']) expect(compose.services[role]!.environment, role).toMatchObject({ PREVIEW_DOMAIN: 'preview.example.com', QUEUE_PREFIX: 'helvetia' });
  });

  it('docker-compose refuses to start the proxies without PROXY_OWNER_SECRET', () => {
    expect(() => execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: checkout(), env: { PATH: process.env.PATH }, stdio: 'pipe' })).toThrow(/PROXY_OWNER_SECRET/);
  });
});
