import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The webhook path the app serves (Probot's own manifest flow registers a different one). */
export const WEBHOOK_PATH = '/api/github/webhooks';

export interface AppManifest {
  name: string;
  url: string;
  description?: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  callback_urls: string[];
  setup_url: string;
  public: boolean;
  default_permissions: Record<string, string>;
  default_events: string[];
}

/**
 * The GitHub App manifest from app.yml, pointed at this server: webhooks to
 * APP_BASE_URL/api/github/webhooks, the conversion callback to APP_BASE_URL/setup/callback.
 */
export function buildManifest(appYml: string, baseUrl: string, name?: string): AppManifest {
  const file = parse(appYml) as Partial<AppManifest>;
  if (!file.default_permissions || !file.default_events) throw new Error('app.yml needs default_permissions and default_events');
  return {
    name: name ?? file.name ?? 'helvetia',
    url: file.url ?? baseUrl,
    ...(file.description ? { description: file.description } : {}),
    hook_attributes: { url: `${baseUrl}${WEBHOOK_PATH}`, active: true },
    redirect_url: `${baseUrl}/setup/callback`,
    callback_urls: [`${baseUrl}/auth/callback`],
    // After an installation GitHub sends the user here: the dashboard (the setup server is gone by then).
    setup_url: `${baseUrl}/`,
    public: false,
    default_permissions: file.default_permissions,
    default_events: file.default_events,
  };
}

export const readAppYml = (path = new URL('../../app.yml', import.meta.url)): string => readFileSync(path, 'utf8');
