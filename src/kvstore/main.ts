/**
 * Entry point of a kvstore node (run by the kvstore target): `node main.js`, configured by
 * KV_* environment variables (every one is described at the top of server.ts).
 */
import { configFromEnv, createKvServer } from './server.js';

const config = configFromEnv();
const server = createKvServer(config);
server.listen(config.port, '0.0.0.0', () => {
  const { node, port, n, r, w, readRepair, replicationDelayMs, modes, dataDir } = config;
  console.log(
    `kvstore ${node} listening on ${port}: N=${n} R=${r} W=${w} readRepair=${readRepair} replicationDelayMs=${replicationDelayMs} modes=${JSON.stringify(modes)} dataDir=${dataDir ?? '(memory)'} peers=${JSON.stringify(config.peers)} clock=${new Date().toISOString()}`,
  );
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
