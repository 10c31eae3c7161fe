import type Docker from 'dockerode';
import { sleep } from './stack.js';

/** A container on the edge network requesting http://<alias>:8080/ every 50 ms; resolves when `body` answers (dockerd's clock). */
export async function whenServed(docker: Docker, network: string, alias: string, body: string, label: Record<string, string>, timeoutMs = 120_000): Promise<number> {
  const poller = await docker.createContainer({
    Image: 'helvetia-base:latest', Labels: label, Cmd: ['sh', '-c', `while :; do timeout 1 wget -q -O- http://${alias}:8080/ 2>/dev/null || echo -; sleep 0.05; done`],
    HostConfig: { NetworkMode: network, AutoRemove: false },
  });
  await poller.start();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const raw = (await poller.logs({ stdout: true, timestamps: true })) as unknown as Buffer;
      const text = raw.toString('utf8').replace(/[\x00-\x08]/g, '');
      const hit = text.split('\n').find((line) => line.includes(body));
      if (hit) return Date.parse(/(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(hit)![1]!);
      if (Date.now() > deadline) throw new Error(`${alias} never answered "${body}"`);
      await sleep(100);
    }
  } finally {
    await poller.remove({ force: true });
  }
}
