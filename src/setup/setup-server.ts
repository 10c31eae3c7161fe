import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import type { Logger } from '../logger.js';
import { updateEnvFile } from './env-file.js';
import { buildManifest } from './manifest.js';
import { renderDonePage, renderGonePage, renderSetupPage } from './setup-page.js';
import type { SetupConfig } from './setup-config.js';

const STATE_TTL_MS = 60 * 60_000;

interface Conversion {
  id: number;
  slug: string;
  pem: string;
  webhook_secret: string;
  client_id: string;
  client_secret: string;
  html_url: string;
}

/**
 * First run, before the GitHub App exists: GET /setup offers GitHub's manifest flow; GitHub sends
 * the user back to /setup/callback with a code, converted (POST /app-manifests/{code}/conversions)
 * into the app's credentials, which go into the .env file (or onto the page, once, when it cannot
 * be written). Answers only on APP_BASE_URL's host, and only until the app is registered.
 */
export function createSetupServer(config: SetupConfig, appYml: string, logger: Logger): Server {
  const app = express();
  app.disable('x-powered-by');
  const states = new Map<string, number>();
  let registered = false;
  const baseHost = new URL(config.APP_BASE_URL).host;
  const githubWeb = config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}` : 'https://github.com';
  const api = config.GHE_HOST ? `${config.GHE_PROTOCOL}://${config.GHE_HOST}/api/v3` : 'https://api.github.com';

  app.use((req, res, next) => {
    res.setHeader('Content-Security-Policy', `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${githubWeb}; base-uri 'none'; frame-ancestors 'none'`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (req.headers.host !== baseHost) return void res.status(404).type('text').send('not found');
    next();
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'setup', registered }));
  app.use('/setup', (req, res, next) => {
    if (registered && req.path !== '/callback') return void res.status(410).type('html').send(renderGonePage('The GitHub App is registered; restart helvetia to use it.'));
    next();
  });
  app.get('/setup', (_req, res) => {
    const now = Date.now();
    for (const [state, at] of states) if (now - at > STATE_TTL_MS) states.delete(state);
    const state = randomBytes(24).toString('hex');
    states.set(state, now);
    res.type('html').send(renderSetupPage({ manifest: buildManifest(appYml, config.APP_BASE_URL, config.APP_NAME), state, githubWeb }));
  });
  // The organization form: sent on to GitHub with a 307, which repeats the POST and its body.
  app.post('/setup/organization', express.urlencoded({ extended: false, limit: '64kb' }), (req, res) => {
    const organization = String((req.body as { organization?: unknown }).organization ?? '');
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(organization)) return void res.status(400).type('text').send('not an organization name');
    res.redirect(307, `${githubWeb}/organizations/${organization}/settings/apps/new?state=${encodeURIComponent(String(req.query.state ?? ''))}`);
  });
  app.get('/setup/callback', async (req, res) => {
    const state = String(req.query.state ?? '');
    const code = String(req.query.code ?? '');
    const issued = states.get(state);
    states.delete(state);
    if (registered || issued === undefined || Date.now() - issued > STATE_TTL_MS) return void res.status(400).type('html').send(renderGonePage('This setup link is not valid (unknown or used state). Open /setup again.'));
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(code)) return void res.status(400).type('text').send('bad code');
    const answer = await fetch(`${api}/app-manifests/${code}/conversions`, { method: 'POST', headers: { accept: 'application/vnd.github+json' } });
    if (!answer.ok) {
      logger.warn({ status: answer.status }, 'GitHub refused the manifest conversion');
      return void res.status(502).type('html').send(renderGonePage(`GitHub refused the conversion (${answer.status}); open /setup and register again.`));
    }
    const app = (await answer.json()) as Conversion;
    registered = true;
    const values = {
      APP_ID: String(app.id), PRIVATE_KEY: app.pem, WEBHOOK_SECRET: app.webhook_secret, GITHUB_CLIENT_ID: app.client_id, GITHUB_CLIENT_SECRET: app.client_secret,
    };
    const installUrl = `${app.html_url}/installations/new`;
    try {
      updateEnvFile(config.ENV_FILE, values);
      logger.info({ appId: app.id, slug: app.slug, envFile: config.ENV_FILE }, 'GitHub App registered; credentials written; restart helvetia');
      res.type('html').send(renderDonePage({ slug: app.slug, installUrl, written: config.ENV_FILE }));
    } catch (error) {
      logger.warn({ appId: app.id, slug: app.slug, err: (error as Error).message }, `GitHub App registered; ${config.ENV_FILE} is not writable, the credentials were shown on the setup page`);
      res.type('html').send(renderDonePage({ slug: app.slug, installUrl, values }));
    }
  });
  app.use((_req, res) => void res.status(404).type('text').send('helvetia is not set up yet: open /setup'));
  return createServer(app);
}
