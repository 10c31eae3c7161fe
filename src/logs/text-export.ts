/** GET /logs/<id>.txt: the whole log as plain text (colour codes removed), streamed in batches. */
import type { Response } from 'express';
import type { BuildLogStore } from './build-log-store.js';
import type { LogMeta } from './log-entry.js';
import { stripSgr } from './sanitize-line.js';
import { waitForDrain } from './wait-drain.js';

const BATCH = 5000;

export async function sendTextLog(res: Response, store: BuildLogStore, id: string, meta: LogMeta): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Disposition', `inline; filename="${id}.txt"`);
  res.write(`# ${meta.repository} @ ${meta.sha} (${meta.environment}) status=${meta.status}\n`);
  let position = '0-0';
  for (;;) {
    const batch = await store.readEntries(id, position, BATCH);
    if (batch.length === 0 || res.destroyed) break;
    position = batch[batch.length - 1]!.id;
    let chunk = '';
    for (const entry of batch) {
      if (entry.kind === 'line') chunk += `${new Date(entry.t).toISOString()} ${stripSgr(entry.text)}\n`;
      else if (entry.kind === 'end') chunk += `# ended: ${entry.conclusion}\n`;
    }
    if (!res.write(chunk)) await waitForDrain(res);
  }
  res.end();
}
