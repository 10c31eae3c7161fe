import { BASE_IMAGE } from './proxy-harness.js';

/** The hardened spec the swarm backend sends (Engine API 1.41: no NoNewPrivileges field exists). */
export const spec = (name: string, network: string, edit: (s: Record<string, any>) => void = () => undefined): Record<string, any> => {
  const s: Record<string, any> = {
    Name: name,
    Labels: { 'cloud.helvetia.owner': 'forged-by-client' },
    TaskTemplate: {
      ContainerSpec: { Image: BASE_IMAGE, Command: ['sh', '-c', 'echo hello-from-hvswp; exec sleep 300'], CapabilityDrop: ['ALL'], Init: true },
      Resources: { Limits: { NanoCPUs: 2e8, MemoryBytes: 32 * 1024 * 1024, Pids: 64 } },
      RestartPolicy: { Condition: 'none' },
      Networks: [{ Target: network, Aliases: ['app'] }],
      LogDriver: { Name: 'json-file' },
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
  edit(s);
  return s;
};
