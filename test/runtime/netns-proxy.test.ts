/**
 * The Docker runtime's latency proxy, its shell side: what the harness writes for the proxy in
 * a node's sidecar parses, names only the slowed nodes, and waits for the acknowledgement of
 * exactly that setting. The whole path runs in test/nemesis/runs.docker.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { proxyDelayScript, proxyReadyScript, proxySidecar } from '../../src/runtime/docker/netns-proxy.js';

const parses = (script: string) => spawnSync('/bin/sh', ['-n', '-c', script]).status === 0;

describe('Docker latency proxy scripts', () => {
  it('the delays name the slowed nodes only, numbered; the scripts parse', () => {
    const script = proxyDelayScript(
      { n1: { delayMs: 100, jitterMs: 50 }, n2: undefined, n3: { lossPercent: 5 } },
      7,
    );
    expect(script).toContain(`'{"gen":7,"delays":{"n1":{"delayMs":100,"jitterMs":50}}}'`);
    expect(script).toContain('kill -HUP');
    expect(script).toMatch(/applied 2>\/dev\/null\)" = 7 \]/);
    expect(parses(script)).toBe(true);
    expect(parses(proxyReadyScript())).toBe(true);
    expect(proxyDelayScript({ n1: undefined }, 8)).toContain(`'{"gen":8,"delays":{}}'`);
  });

  it("the sidecar runs the host's node on the bundled proxy, with the node's ports and peers", () => {
    const { cmd, binds } = proxySidecar(
      {
        node: 'n1',
        host: '10.0.0.11',
        ports: [2379, 2380, 2379],
        peers: { n2: '10.0.0.12' },
        iptables: '/x',
      },
      '/usr/bin/node',
      '/tmp/bundle',
    );
    expect(cmd.slice(0, 4)).toEqual(['/usr/bin/tini', '-s', '--', '/usr/bin/node']);
    expect(JSON.parse(cmd.at(-1)!)).toEqual({
      node: 'n1',
      host: '10.0.0.11',
      ports: [2379, 2380],
      peers: { n2: '10.0.0.12' },
      iptables: '/x',
      dir: '/run/faultline-proxy',
    });
    expect(binds).toEqual(['/tmp/bundle:/faultline/netns-proxy:ro']);
  });
});
