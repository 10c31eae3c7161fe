import { describe, expect, it } from 'vitest';
import { checkBuildQuery } from '../../src/proxy/body-policy/build-query.js';
import { checkExecCreate } from '../../src/proxy/body-policy/exec.js';
import { checkImageName, checkImagePull, targetReference } from '../../src/proxy/body-policy/image.js';
import { checkNetworkConnect, checkNetworkCreate, checkNetworkDisconnect } from '../../src/proxy/body-policy/network.js';
import { newRefs, type PolicyContext } from '../../src/proxy/body-policy/schema.js';
import { checkVolumeCreate } from '../../src/proxy/body-policy/volume.js';
import { ruleOf } from '../helpers/thrown.js';
import { parseStrictJson } from '../../src/proxy/json-strict.js';
import { injectOwnerFilter } from '../../src/proxy/label-filter.js';
import { OwnerTokens } from '../../src/proxy/labels.js';
import { parseQuery } from '../../src/proxy/query.js';

const OWNER = new OwnerTokens('unit-test-owner-secret-0123456789abcdef');
const ctx = (): PolicyContext => ({ workspaceDir: null, capAddAllow: [], owner: OWNER, refs: newRefs() });
const json = (v: string) => parseStrictJson(v);
/** What containers, networks and volumes get; images get IMAGE_LABEL (another token). */
const LABEL = { 'cloud.helvetia.managed': 'true', 'cloud.helvetia.owner': OWNER.object };
const IMAGE_LABEL = { 'cloud.helvetia.owner': OWNER.image };

describe('exec create', () => {
  it('allows an ordinary exec and refuses privileged ones in any spelling', () => {
    expect(checkExecCreate(json('{"Cmd":["sh"],"AttachStdout":true,"Tty":false}'), ctx())).toMatchObject({ Cmd: ['sh'] });
    expect(ruleOf(() => checkExecCreate(json('{"Cmd":["sh"],"Privileged":true}'), ctx()))).toBe('privileged');
    expect(ruleOf(() => checkExecCreate(json('{"Cmd":["sh"],"privileged":true}'), ctx()))).toBe('privileged');
    expect(ruleOf(() => checkExecCreate(json('{"Privileged":false,"privileged":true}'), ctx()))).toBe('json-duplicate-key');
  });
});

describe('network policy', () => {
  it('creates bridge networks only, labelled, never duplicated by name', () => {
    const out = checkNetworkCreate(json('{"Name":"n1","Driver":"bridge","Labels":{"x":"y","cloud.helvetia.owner":"guess"}}'), ctx());
    expect(out).toMatchObject({ Name: 'n1', CheckDuplicate: true });
    expect({ ...(out.Labels as object) }).toEqual({ x: 'y', ...LABEL });
    for (const driver of ['host', 'macvlan', 'ipvlan', 'overlay', 'null']) {
      expect(ruleOf(() => checkNetworkCreate(json(`{"Name":"n","Driver":"${driver}"}`), ctx())), driver).toBe('network-driver');
    }
    expect(ruleOf(() => checkNetworkCreate(json('{"Name":"n","driver":"macvlan"}'), ctx()))).toBe('network-driver');
    expect(ruleOf(() => checkNetworkCreate(json('{"Name":"n","Options":{"com.docker.network.bridge.name":"docker0"}}'), ctx()))).toBe('network-options');
    expect(ruleOf(() => checkNetworkCreate(json('{"Name":"n","IPAM":{"Config":[{"Subnet":"192.168.1.0/24"}]}}'), ctx()))).toBe('network-ipam');
    expect(ruleOf(() => checkNetworkCreate(json('{"Name":"n","Ingress":true}'), ctx()))).toBe('network-ingress');
  });

  it('connect and disconnect name the container for the ownership check', () => {
    const c = ctx();
    checkNetworkConnect(json('{"Container":"app","EndpointConfig":{"Aliases":["web"]}}'), 'edge', c);
    expect([...c.refs.containers]).toEqual(['app']);
    expect([...c.refs.networks]).toEqual(['edge']);
    expect(ruleOf(() => checkNetworkDisconnect(json('{"Force":true}'), ctx()))).toBe('network-connect');
  });

  it('connect takes a fixed IPv4 address (a replaced container rejoins at its own), never IPv6, link-local or a MAC', () => {
    const connect = (endpoint: string) => checkNetworkConnect(json(`{"Container":"app","EndpointConfig":${endpoint}}`), 'edge', ctx());
    expect(connect('{"IPAMConfig":{"IPv4Address":"10.0.0.2"}}')).toMatchObject({ EndpointConfig: { IPAMConfig: { IPv4Address: '10.0.0.2' } } });
    expect(connect('{"ipamconfig":{"ipv4address":"172.30.255.254"}}')).toMatchObject({ EndpointConfig: { IPAMConfig: { IPv4Address: '172.30.255.254' } } });
    for (const bad of ['10.0.0.256', '10.0.0', '010.0.0.1', '10.0.0.1/24', ' 10.0.0.1', '::1', 'edge']) {
      expect(ruleOf(() => connect(`{"IPAMConfig":{"IPv4Address":${JSON.stringify(bad)}}}`)), bad).toBe('endpoint-ipam');
    }
    expect(ruleOf(() => connect('{"IPAMConfig":{"IPv4Address":7}}'))).toBe('json-type');
    expect(ruleOf(() => connect('{"IPAMConfig":{"IPv6Address":"fd00::2"}}'))).toBe('endpoint-ipam');
    expect(ruleOf(() => connect('{"IPAMConfig":{"LinkLocalIPs":["169.254.0.9"]}}'))).toBe('endpoint-ipam');
    expect(ruleOf(() => connect('{"IPAMConfig":{"IPv4Address":"10.0.0.2","Subnet":"10.0.0.0/8"}}'))).toBe('unknown-field');
    expect(ruleOf(() => connect('{"MacAddress":"02:42:0a:00:00:02"}'))).toBe('mac-address');
  });

});

describe('volume policy', () => {
  it('never creates a volume in another owner\'s namespace (its services would mount it unchecked), and allows its own', () => {
    const mine = `${OWNER.volumeNamespace}-0123456789ab-db`;
    expect(checkVolumeCreate(json(JSON.stringify({ Name: mine })), ctx())).toMatchObject({ Name: mine, Labels: LABEL });
    const other = new OwnerTokens('another-owner-secret-0123456789abcdefgh').volumeNamespace;
    expect(ruleOf(() => checkVolumeCreate(json(JSON.stringify({ Name: `${other}-0123456789ab-db` })), ctx()))).toBe('volume-name');
    // Outside any namespace (plain names, as on a single host): allowed as before.
    expect(checkVolumeCreate(json('{"Name":"hv-data"}'), ctx())).toMatchObject({ Name: 'hv-data' });
  });

  it('allows plain local volumes, labelled ours, and refuses every driver option (bind, remote, even tmpfs)', () => {
    const out = checkVolumeCreate(json('{"Name":"v","Driver":"local","DriverOpts":{},"Labels":{"cloud.helvetia.owner":"guess","a":"b"}}'), ctx());
    expect(out).toMatchObject({ Name: 'v', Driver: 'local' });
    expect({ ...(out.Labels as object) }).toEqual({ a: 'b', ...LABEL });
    expect(checkVolumeCreate(null, ctx())).toMatchObject({ Labels: LABEL });
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=64m,uid=1000"}}'), ctx()))).toBe('volume-driver-opts');
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","DriverOpts":{"type":"tmpfs","device":"tmpfs"}}'), ctx()))).toBe('volume-driver-opts');
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","driveropts":{"o":"bind","type":"none","device":"/"}}'), ctx()))).toBe('volume-driver-opts');
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/etc"}}'), ctx()))).toBe('volume-driver-opts');
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","DriverOpts":{"type":"nfs","o":"addr=10.0.0.1","device":":/x"}}'), ctx()))).toBe('volume-driver-opts');
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=1m,bind"}}'), ctx()))).toBe('volume-driver-opts');
    expect(ruleOf(() => checkVolumeCreate(json('{"Name":"v","Driver":"rexray"}'), ctx()))).toBe('volume-driver');
  });
});

describe('build query', () => {
  const q = (s: string) => checkBuildQuery(parseQuery(s), OWNER);

  it('forces the classic builder and the ownership label, keeps known parameters, drops unknown ones', () => {
    const plan = q('t=app:1&t=app:latest&labels=%7B%22a%22%3A%22b%22%7D&memory=1024&rm=1&abortSignal=%7B%7D&networkmode=bridge');
    expect(plan.tags).toEqual(['app:1', 'app:latest']);
    const map = new Map(plan.query);
    // Images get the image token, never the object token containers carry.
    expect(JSON.parse(map.get('labels')!)).toEqual({ a: 'b', ...IMAGE_LABEL });
    const forged = new Map(q(`labels=${encodeURIComponent(JSON.stringify({ 'cloud.helvetia.owner': OWNER.object, 'cloud.helvetia.managed': 'yes' }))}`).query);
    // The forged token is replaced; the managed label is the client's business (it proves nothing).
    expect(JSON.parse(forged.get('labels')!)).toEqual({ 'cloud.helvetia.managed': 'yes', ...IMAGE_LABEL });
    expect(JSON.parse(new Map(q('t=app:1').query).get('labels')!)).toEqual(IMAGE_LABEL);
    expect(map.get('version')).toBe('1');
    expect(map.get('memory')).toBe('1024');
    expect(map.has('abortSignal')).toBe(false);
  });

  it('refuses host networking, remote contexts and BuildKit', () => {
    expect(ruleOf(() => q('networkmode=host'))).toBe('build-networkmode');
    expect(ruleOf(() => q('networkmode=container:abc'))).toBe('build-networkmode');
    expect(ruleOf(() => q('networkmode=bridge&networkmode=host'))).toBe('query');
    expect(ruleOf(() => q('remote=https://example.com/ctx.tar'))).toBe('build-remote');
    expect(ruleOf(() => q('remote=git%40github.com:a/b.git'))).toBe('build-remote');
    expect(ruleOf(() => q('version=2'))).toBe('build-buildkit');
    expect(ruleOf(() => q('session=abc'))).toBe('build-buildkit');
    expect(ruleOf(() => q('cgroupparent=/'))).toBe('cgroup-parent');
    expect(ruleOf(() => q('labels=%7B%22a%22%3A1%2C%22a%22%3A2%7D'))).toBe('json-duplicate-key');
  });
});

describe('image pull and tag', () => {
  it('allows pulls, refuses imports', () => {
    expect(checkImagePull(parseQuery('fromImage=busybox&tag=1.36&other=x'))).toEqual([['fromImage', 'busybox'], ['tag', '1.36']]);
    expect(ruleOf(() => checkImagePull(parseQuery('fromSrc=http://10.0.0.1/rootfs.tar&repo=x')))).toBe('image-import');
    expect(ruleOf(() => checkImagePull(parseQuery('fromSrc=-')))).toBe('image-import');
    expect(targetReference(parseQuery('repo=a/b&tag=1'))).toBe('a/b:1');
    expect(checkImageName('helvetia/app--o:abc', { imagePrefixes: ['helvetia/'], registry: null })).toBe('helvetia/app--o:abc');
    expect(ruleOf(() => checkImageName('redis:7', { imagePrefixes: ['helvetia/'], registry: null }))).toBe('image-name');
    expect(ruleOf(() => checkImageName('docker.io/helvetia/app:1', { imagePrefixes: ['helvetia/'], registry: null }))).toBe('image-name');
  });
});

describe('owner label filter', () => {
  it('adds the owner label filters to every filters shape', () => {
    const f = OWNER.filters('object');
    const owner = { 'cloud.helvetia.managed=true': true, [`cloud.helvetia.owner=${OWNER.object}`]: true };
    expect(f).toEqual(['cloud.helvetia.managed=true', `cloud.helvetia.owner=${OWNER.object}`]);
    // Images carry the token alone: each forced label is one more classic-builder step.
    expect(OWNER.filters('image')).toEqual([`cloud.helvetia.owner=${OWNER.image}`]);
    // Always written in dockerd's own map form, whatever form the client used.
    expect(JSON.parse(injectOwnerFilter(undefined, f))).toEqual({ label: owner });
    expect(JSON.parse(injectOwnerFilter('{"label":["a=b"],"status":["running"]}', f))).toEqual({ label: { 'a=b': true, ...owner }, status: { running: true } });
    expect(JSON.parse(injectOwnerFilter('{"status":["exited"]}', f))).toEqual({ status: { exited: true }, label: owner });
    expect(JSON.parse(injectOwnerFilter('{"label":{"a=b":true}}', f))).toEqual({ label: { 'a=b': true, ...owner } });
    // A client's own "owner" filter (any value) is only ANDed with ours: it cannot widen the list.
    expect(JSON.parse(injectOwnerFilter(`{"label":{"cloud.helvetia.owner=guess":true,"cloud.helvetia.owner=${OWNER.object}":false}}`, f)))
      .toEqual({ label: { 'cloud.helvetia.owner=guess': true, ...owner } });
    expect(ruleOf(() => injectOwnerFilter('{"label":[],"label":["x"]}', f))).toBe('json-duplicate-key');
    expect(ruleOf(() => injectOwnerFilter('[1]', f))).toBe('query');
    expect(ruleOf(() => injectOwnerFilter('{"label":"a=b"}', f))).toBe('query');
    expect(ruleOf(() => injectOwnerFilter('{"status":[1]}', f))).toBe('query');
    expect(() => injectOwnerFilter(undefined, [])).toThrow();
  });
});
