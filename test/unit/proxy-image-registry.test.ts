import { describe, expect, it } from 'vitest';
import { checkImageName, checkPushTarget, checkServiceImage } from '../../src/proxy/body-policy/image.js';
import { ruleOf } from '../helpers/thrown.js';

const REG = { imagePrefixes: ['helvetia/'], registry: 'registry.example.com:5000' };
const NONE = { imagePrefixes: ['helvetia/'], registry: null };
const DIGEST = `@sha256:${'0'.repeat(64)}`;

describe('image names with REGISTRY_URL', () => {
  it('the prefixes hold here and behind the registry host, nowhere else', () => {
    expect(checkImageName('helvetia/app:1', REG)).toBe('helvetia/app:1');
    expect(checkImageName('registry.example.com:5000/helvetia/app:1', REG)).toBe('registry.example.com:5000/helvetia/app:1');
    expect(ruleOf(() => checkImageName('registry.example.com:5000/redis:7', REG))).toBe('image-name');
    expect(ruleOf(() => checkImageName('registry.example.com:5001/helvetia/app:1', REG))).toBe('image-name');
    expect(ruleOf(() => checkImageName('registry.example.com:5000.evil.com/helvetia/app:1', REG))).toBe('image-name');
    // The host must end where the registry's does: "…:5000xhelvetia/" is another host's name.
    expect(ruleOf(() => checkImageName('registry.example.com:5000xhelvetia/app:1', REG))).toBe('image-name');
    expect(ruleOf(() => checkPushTarget('registry.example.com:50001/helvetia/app', REG))).toBe('image-push');
    expect(ruleOf(() => checkImageName('registry.example.com:5000/helvetia/app:1', NONE))).toBe('image-name');
  });

  it('pushes go only to the registry, and only without it set nowhere', () => {
    expect(checkPushTarget('registry.example.com:5000/helvetia/app', REG)).toBe('registry.example.com:5000/helvetia/app');
    expect(ruleOf(() => checkPushTarget('helvetia/app', REG))).toBe('image-push');
    expect(ruleOf(() => checkPushTarget('docker.io/helvetia/app', REG))).toBe('image-push');
    expect(ruleOf(() => checkPushTarget('registry.example.com:5000/other/app', REG))).toBe('image-name');
    expect(ruleOf(() => checkPushTarget('helvetia/app', NONE))).toBe('image-push');
  });

  it('a service image comes from the registry by digest when there is one', () => {
    expect(checkServiceImage(`registry.example.com:5000/helvetia/app${DIGEST}`, REG)).toContain(DIGEST);
    expect(checkServiceImage(`registry.example.com:5000/helvetia/app:1${DIGEST}`, REG)).toContain(DIGEST);
    expect(ruleOf(() => checkServiceImage('registry.example.com:5000/helvetia/app:1', REG))).toBe('image-name');
    expect(ruleOf(() => checkServiceImage(`helvetia/app${DIGEST}`, REG))).toBe('image-name');
    expect(ruleOf(() => checkServiceImage(`registry.example.com:5000/helvetia/app@sha256:${'0'.repeat(63)}`, REG))).toBe('image-name');
    expect(checkServiceImage('helvetia/app:1', NONE)).toBe('helvetia/app:1');
  });
});
